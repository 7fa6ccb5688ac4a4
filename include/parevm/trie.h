/* Merkle-Patricia trie root computation (Yellow Paper, appendix D).
 *
 * These functions compute the root hash of a trie from the complete set of
 * its key/value pairs in one pass; they keep no trie in memory between calls.
 * That is all the engine needs for state, storage, transaction, receipt and
 * withdrawal roots: the final key/value sets are known when a root is due.
 *
 * Values are stored as byte strings; callers pass the already-encoded value
 * (e.g. the RLP of an account, or the RLP of a storage word). An empty value
 * means "absent" in Ethereum tries, so callers must drop such pairs first. */
#ifndef PAREVM_TRIE_H
#define PAREVM_TRIE_H

#include "pool.h"
#include "types.h"

/* One key/value pair; the memory is the caller's and must outlive the call. */
typedef struct {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val;
    size_t val_len;
} trie_kv;

/* Root hash of the trie holding items[0..n).
 * Contract: keys are pairwise distinct and every val_len is non-zero (both
 * checked by assert() in debug builds only). The array is reordered (sorted
 * by key); the bytes it points to are not modified. n == 0 gives
 * EMPTY_TRIE_ROOT. Aborts on out-of-memory. Recursion depth is at most
 * 2 * (longest key length) + 2 nodes: keys are meant to be hashes or short
 * indices, as in every Ethereum trie. Reentrant: no shared state. */
bytes32 trie_root(trie_kv *items, size_t n);

/* Root hash of the "secure" trie holding items[0..n): the path of each pair
 * is keccak256(key) rather than the key itself (state and storage tries).
 * Same contract as trie_root, except that items is left untouched. */
bytes32 trie_root_secure(trie_kv *items, size_t n);

/* Root hash of the ordered trie used for the transactions, receipts and
 * withdrawals roots of a block: values[i] is stored under the key rlp(i).
 * Every values[i] must be non-empty. n == 0 gives EMPTY_TRIE_ROOT. */
bytes32 trie_root_ordered(const byte_span *values, size_t n);

/* trie_root with its subtries built on pool (NULL, or one thread: as
 * trie_root). Same contract and result; the pool must be the caller's to
 * use for the call (task_pool_run). Below TRIE_POOL_MIN pairs it runs on
 * the caller's thread alone. */
enum { TRIE_POOL_MIN = 256 };
bytes32 trie_root_pool(trie_kv *items, size_t n, task_pool *pool);

/* trie_root_ordered with trie_root_pool. */
bytes32 trie_root_ordered_pool(const byte_span *values, size_t n, task_pool *pool);

#endif
