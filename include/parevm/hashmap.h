/* Open-addressing hash maps for the fixed-size keys of Ethereum state:
 * addresses (to a 32-bit index) and 256-bit words (to 256-bit words).
 * Linear probing with backward-shift deletion, so there are no tombstones.
 * Not thread-safe; callers synchronise. */
#ifndef PAREVM_HASHMAP_H
#define PAREVM_HASHMAP_H

#include "u256.h"

static inline uint64_t hash_mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t hash_address(const address *a) {
    uint64_t x, y;
    uint32_t z;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    memcpy(&z, a->b + 16, 4);
    return hash_mix64(x ^ hash_mix64(y ^ hash_mix64(z)));
}

static inline uint64_t hash_u256(const u256 *k) {
    return hash_mix64(k->w[0] ^ hash_mix64(k->w[1] ^ hash_mix64(k->w[2] ^ hash_mix64(k->w[3]))));
}

/* address -> uint32 */
typedef struct {
    address key;
    uint32_t val;
    bool used;
} addr_map_entry;
typedef struct {
    addr_map_entry *e;
    size_t cap, n; /* cap is a power of two or 0 */
} addr_map;

bool addr_map_get(const addr_map *m, const address *k, uint32_t *val);
void addr_map_put(addr_map *m, const address *k, uint32_t val);
bool addr_map_del(addr_map *m, const address *k);
void addr_map_clear(addr_map *m); /* keeps capacity */
void addr_map_reserve(addr_map *m, size_t more); /* room for `more` puts of new keys without growing */
void addr_map_free(addr_map *m);
/* dst (uninitialised) becomes a copy of src, with its own table. */
void addr_map_clone(addr_map *dst, const addr_map *src);

/* u256 -> u256 */
typedef struct {
    u256 key, val;
    bool used;
} word_map_entry;
typedef struct {
    word_map_entry *e;
    size_t cap, n;
} word_map;

/* A pointer into the table: valid until the next put, del, reserve or clear. */
const u256 *word_map_get(const word_map *m, const u256 *k);
void word_map_put(word_map *m, const u256 *k, const u256 *val);
bool word_map_del(word_map *m, const u256 *k);
void word_map_clear(word_map *m);
void word_map_reserve(word_map *m, size_t more); /* room for `more` puts of new keys without growing */
void word_map_free(word_map *m);
/* As addr_map_clone; always true (out of memory aborts). */
bool word_map_clone(word_map *dst, const word_map *src);

#endif
