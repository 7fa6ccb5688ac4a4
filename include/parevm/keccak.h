/* Keccak-256 and Keccak-512 (the original Keccak padding used by Ethereum,
 * not SHA3). */
#ifndef PAREVM_KECCAK_H
#define PAREVM_KECCAK_H

#include "types.h"

/* Incremental hashing state; no heap use. */
typedef struct {
    uint64_t s[25];
    uint8_t buf[136];
    size_t n; /* bytes buffered in buf */
} keccak_ctx;

void keccak_init(keccak_ctx *c);
void keccak_update(keccak_ctx *c, const void *data, size_t len);
/* Leaves c spent: keccak_init it again before reuse. */
void keccak_final(keccak_ctx *c, uint8_t out[32]);

/* One-shot hash of len bytes. data may be NULL when len is 0. */
void keccak256(const void *data, size_t len, uint8_t out[32]);
static inline bytes32 keccak256_hash(const void *data, size_t len) {
    bytes32 h;
    keccak256(data, len, h.b);
    return h;
}

/* One-shot Keccak-512 (the original padding, rate 72 bytes) of len bytes,
 * as Ethash uses it. data may be NULL when len is 0; out may alias data. */
void keccak512(const void *data, size_t len, uint8_t out[64]);

/* Hashes n independent messages: out[i] = keccak256(data[i], len[i]).
 * With AVX-512F, eight at a time (one state per 64-bit lane), about six
 * times one call's throughput on a Zen 4; messages with the same number of
 * 136-byte blocks group best (a group runs as many permutations as its
 * longest message needs). Without AVX-512F it calls keccak256 n times. The
 * caller owns every buffer; out[i] may not overlap data[j]. */
void keccak256_many(size_t n, const uint8_t *const data[], const size_t len[], uint8_t *const out[]);
/* Whether keccak256_many runs eight at a time on this CPU. */
bool keccak256_many_vectorised(void);

/* The raw permutation, exposed for tests and benchmarks. On x86-64 it runs
 * a copy built for x86-64-v3 when the CPU has those features. */
void keccak_f1600(uint64_t s[25]);
/* The same permutation, always the copy built for the baseline target
 * (tests check that both copies agree). */
void keccak_f1600_baseline(uint64_t s[25]);

#endif
