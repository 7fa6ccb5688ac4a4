/* Persisted trie nodes for the incremental state-root engine (trie_engine.h),
 * and the node-store interface the engine reads them through.
 *
 * Tries here are the "secure" tries of the state: every key is a 32-byte
 * hash (keccak of an address or of a storage slot), i.e. 64 nibbles. A path
 * is a sequence of nibbles, one per byte (values 0..15), from the root.
 *
 * What is stored, for each trie (the account trie, or the storage trie of
 * one account, named by its owner = keccak(address)):
 *   - leaves: the hashed state, key -> leaf value (the bytes the trie
 *     stores: RLP of the account, or RLP of the storage word);
 *   - branch records: for some branch nodes, keyed by the branch's path, the
 *     node's child masks and the hashes of its non-leaf children, as reth's
 *     AccountsTrie/StoragesTrie tables do (the format is ours):
 *       state_mask  bit c: child c exists
 *       tree_mask   bit c: child c's subtrie holds branch records
 *       hash_mask   bit c: child c is not a leaf and its reference is a
 *                   32-byte hash, kept in hashes[c]
 *       leaf_mask   bit c: child c is a leaf and its reference is a
 *                   32-byte hash, kept in hashes[c]
 *     A branch is recorded iff tree_mask | hash_mask != 0. A branch whose
 *     children are all leaves (the bottom of the trie, most branches) is not
 *     recorded: it is rebuilt from its few leaves when needed. The leaves'
 *     hashes in a record spare an update the reading and hashing of every
 *     unchanged leaf beside a changed key (reth stores only the branches').
 * Records are a cache derived from the leaves: a consistent store has
 * exactly the records of the trie its leaves define. */
#ifndef PAREVM_TRIE_STORE_H
#define PAREVM_TRIE_STORE_H

#include "buf.h"

#define TRIE_NIBBLES 64 /* nibbles in a key */

/* ---- Branch records ------------------------------------------------------- */

typedef struct {
    uint16_t state_mask, tree_mask, hash_mask, leaf_mask;
    bytes32 hashes[16]; /* by nibble; only the hash_mask | leaf_mask entries are meaningful */
} trie_branch;

/* Encoded size: 8 bytes of masks (big-endian u16: state, tree, hash, leaf),
 * then one 32-byte hash per hash_mask | leaf_mask bit in nibble order. */
#define TRIE_BRANCH_MAX_ENC (8 + 16 * 32)
size_t trie_branch_encode(const trie_branch *b, uint8_t out[TRIE_BRANCH_MAX_ENC]);
/* Strict decoding of a stored record (from disk: may be corrupt): false if
 * the length does not match the masks, if tree, hash or leaf bits lie
 * outside the state mask, if a leaf bit is also a tree or hash bit, if no
 * child is a tree or hash child (such a branch is not recorded), or if fewer
 * than two children exist. */
bool trie_branch_decode(const uint8_t *in, size_t len, trie_branch *out);

/* ---- The node-store interface --------------------------------------------- */

/* A reader serves one thread. Every call returns 1 (found), 0 (nothing
 * there) or -1 (a store error: *err gets a static reason). Bytes it returns
 * stay valid until the next call on the same reader. owner is NULL for the
 * account trie, else the storage trie's keccak(address). */
typedef struct trie_reader_ops {
    /* The first branch record of owner's trie whose path is >= path[0..len)
     * in path order (nibble by nibble; a path sorts before its extensions).
     * Fills found[0..*found_len) and rec (the encoded record). */
    int (*branch_seek)(void *rd, const bytes32 *owner, const uint8_t *path, size_t len,
                       uint8_t found[TRIE_NIBBLES], size_t *found_len, byte_span *rec,
                       const char **err);
    /* The first leaf of owner's trie whose key is >= *from. */
    int (*leaf_seek)(void *rd, const bytes32 *owner, const bytes32 *from, bytes32 *key,
                     byte_span *val, const char **err);
    /* The leaf after the one the last leaf_seek/leaf_next returned, within
     * the same trie (0 past its last leaf). */
    int (*leaf_next)(void *rd, bytes32 *key, byte_span *val, const char **err);
    void (*close)(void *rd);
} trie_reader_ops;

/* A store: opens readers (from any thread) that all see the same snapshot
 * for as long as the engine runs. */
typedef struct {
    const trie_reader_ops *ops;
    void *(*open)(void *ctx, const char **err); /* NULL + *err on failure */
    void *ctx;
} trie_store;

/* ---- Updates the engine produces -------------------------------------------- */

/* A log of branch-record writes (put or delete), serialised into segments
 * of at most TRIE_UPDATES_SEGMENT bytes that no entry straddles, so the log
 * grows without copying what it holds and moving one log into another only
 * moves segments. Entries have distinct (owner, path) keys, so they may be
 * applied in any order. Zero-initialise; the log owns its segments; free
 * with trie_updates_free. */
#define TRIE_UPDATES_SEGMENT (64u << 10)
typedef struct {
    buf_t *segs;
    size_t n_segs, cap_segs;
    size_t count;           /* entries */
} trie_updates;

typedef struct {
    bool has_owner;
    bytes32 owner;
    uint8_t path[TRIE_NIBBLES];
    size_t path_len;
    bool del;               /* delete the record (else put rec) */
    const uint8_t *rec;     /* encoded trie_branch, pointing into the log */
    size_t rec_len;
} trie_update;

void trie_updates_put(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len,
                      const trie_branch *b);
void trie_updates_del(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len);
void trie_updates_append(trie_updates *dst, const trie_updates *src);
/* Appends src to dst and leaves src empty, taking over src's segments
 * (nothing is copied). */
void trie_updates_move(trie_updates *dst, trie_updates *src);
/* Iteration in log order: *pos starts at 0; false at the end. A position
 * is opaque (it names a segment and an offset), but a later entry's is
 * greater, and iteration may resume from any position it returned. out's
 * rec points into the log. */
bool trie_updates_next(const trie_updates *u, size_t *pos, trie_update *out);
void trie_updates_clear(trie_updates *u);
void trie_updates_free(trie_updates *u);

/* ---- An in-memory store (tests, small states) ------------------------------ */

/* Sorted arrays of leaves and records. Modifications are buffered and take
 * effect at the next trie_mem_store_store() call, which must happen (on one
 * thread) between modifying and reading; readers may then run concurrently. */
typedef struct trie_mem_store trie_mem_store;

trie_mem_store *trie_mem_store_new(void);
void trie_mem_store_free(trie_mem_store *m);
/* Sets (len > 0) or deletes (len == 0) a leaf. */
void trie_mem_store_set_leaf(trie_mem_store *m, const bytes32 *owner, const bytes32 *key,
                             const uint8_t *val, size_t len);
/* Deletes every leaf and record of owner's trie. */
void trie_mem_store_wipe(trie_mem_store *m, const bytes32 *owner);
/* Applies the engine's record updates. */
void trie_mem_store_apply(trie_mem_store *m, const trie_updates *u);
/* Makes the buffered modifications visible; returns the store interface. */
trie_store trie_mem_store_store(trie_mem_store *m);
size_t trie_mem_store_records(trie_mem_store *m); /* record count (after _store) */

#endif
