/* Ethash, the proof-of-work of mainnet before the Merge (Yellow Paper
 * appendix J; geth's consensus/ethash before its removal), verified light-
 * client style: a per-epoch cache (16 MiB at epoch 0, growing 128 KiB an
 * epoch) from which the 64 dataset items a seal touches are computed on
 * demand, never the full dataset (the DAG). No global state: the caller
 * builds an ethash_cache once per epoch, shares it (read-only, so several
 * threads may use one cache at once) across that epoch's headers, and frees
 * it. The seal of a header (its mix hash and nonce over the header's seal
 * hash) is checked by header_verify_seal in block.h. */
#ifndef PAREVM_ETHASH_H
#define PAREVM_ETHASH_H

#include "u256.h"

#define ETHASH_EPOCH_LENGTH 30000
/* The last epoch handled: the dataset's 64-byte items must be countable in
 * 32 bits, as the algorithm indexes them (block 960,029,999, far past any
 * PoW chain; mainnet's last PoW block is in epoch 517). */
#define ETHASH_MAX_EPOCH 32000

typedef struct ethash_cache ethash_cache;

/* The epoch of a block number. */
static inline uint64_t ethash_epoch(uint64_t block_number) {
    return block_number / ETHASH_EPOCH_LENGTH;
}
/* The cache size in bytes at an epoch: the largest multiple of 64 not above
 * 2^24 + 2^17 * epoch - 64 whose row count (size / 64) is prime. */
uint64_t ethash_cache_size(uint64_t epoch);
/* The full dataset size in bytes at an epoch: the largest multiple of 128
 * not above 2^30 + 2^23 * epoch - 128 whose row count (size / 128) is
 * prime. The light client never allocates it; hashimoto indexes it. */
uint64_t ethash_dataset_size(uint64_t epoch);
/* The epoch's seed: keccak256 applied epoch times to 32 zero bytes. */
bytes32 ethash_seed_hash(uint64_t epoch);

/* Builds the verification cache of an epoch (ethash_cache_size bytes, four
 * Keccak-512s a 64-byte row: about 1 s at epoch 0 on one core, growing
 * linearly to about 4 s at epoch 500). NULL when epoch exceeds
 * ETHASH_MAX_EPOCH or memory runs out. The caller owns the cache and frees
 * it with ethash_cache_free. */
ethash_cache *ethash_cache_new(uint64_t epoch);
/* The same with explicit sizes, for tests (geth's vectors use a 1 KiB cache
 * and a 32 KiB dataset): cache_bytes a nonzero multiple of 64,
 * dataset_bytes a nonzero multiple of 128, both with row counts that fit
 * 32 bits; NULL otherwise. The seed is still the epoch's. */
ethash_cache *ethash_cache_new_sized(uint64_t epoch, uint64_t cache_bytes,
                                     uint64_t dataset_bytes);
/* Frees a cache; NULL is fine. */
void ethash_cache_free(ethash_cache *c);
/* The epoch a cache was built for. */
uint64_t ethash_cache_epoch(const ethash_cache *c);
/* Copies the cache's 64-byte row i (as stored, words little-endian) into
 * out; false when i is past the last row. For tests. */
bool ethash_cache_row(const ethash_cache *c, uint64_t i, uint8_t out[64]);

/* hashimotoLight: the mix digest and the result (the value compared with
 * the target) of nonce over seal_hash, on the dataset of the cache's epoch
 * computed from the cache. False, leaving mix and result untouched, when
 * block_number is not in the cache's epoch. A few milliseconds: 128
 * dataset items of 256 random cache reads each. */
bool ethash_hashimoto_light(const ethash_cache *c, uint64_t block_number,
                            const bytes32 *seal_hash, uint64_t nonce, bytes32 *mix,
                            bytes32 *result);

/* Checks a seal as geth's verifySeal does: NULL when valid, else a static
 * reason: "zero difficulty", "block not in the cache's epoch",
 * "invalid mix digest" (the computed mix digest differs from mix_hash) or
 * "invalid proof-of-work" (result > 2^256 / difficulty). */
const char *ethash_verify(const ethash_cache *c, uint64_t block_number,
                          const bytes32 *seal_hash, uint64_t nonce, const bytes32 *mix_hash,
                          const u256 *difficulty);

#endif
