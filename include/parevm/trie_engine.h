/* The incremental, parallel state-root engine.
 *
 * Given the changed leaves of some tries (the account trie and the storage
 * tries of changed accounts) and a store holding the tries before the change
 * (trie_store.h: leaves and branch records), it computes the new roots and
 * the branch-record writes that bring the store's records up to date. It
 * walks only the paths to changed keys: unchanged subtries are taken from the
 * hashes in the records, and a branch whose children are all leaves is
 * rebuilt from those leaves. The cost is proportional to the changes, not to
 * the size of the tries.
 *
 * Jobs run on a task pool: different tries in parallel, and a trie with many
 * changes is split by its first nibbles into subtasks (one huge storage trie
 * does not serialise the run), whose results are joined at the top.
 *
 * The leaves of the store are not modified by the engine: the caller writes
 * the changed leaves and the returned record updates together, after the
 * run (the engine merges its changes with the store's old leaves). */
#ifndef PAREVM_TRIE_ENGINE_H
#define PAREVM_TRIE_ENGINE_H

#include "pool.h"
#include "trie_store.h"

/* A changed leaf: the new value, or a deletion (val_len == 0).
 *
 * present: the caller knows that key is a leaf of the trie as the store
 * holds it (the job's trie before the change). Where a branch record shows
 * the key's position as a hashed leaf and key is the only change under it,
 * that leaf can only be key's, so the engine replaces it without reading
 * the store's leaves there. false is always correct (the leaves are read);
 * true for a key the trie lacks gives a wrong root. */
typedef struct {
    bytes32 key;
    const uint8_t *val; /* the caller's memory, valid during the run */
    size_t val_len;
    bool present;
} trie_change;

typedef struct {
    bool has_owner;        /* false: the account trie; true: owner's storage trie */
    bytes32 owner;
    bool wiped;            /* the trie's stored leaves and records count as empty
                              (self-destruct, re-creation): the root is built from
                              the changes alone, and the caller deletes the old
                              leaves and records before applying the updates */
    trie_change *changes;  /* sorted by key, keys distinct */
    size_t n_changes;
    bytes32 root;          /* out: the trie's new root */
} trie_job;

/* Sorts changes by key (the order jobs need). */
void trie_changes_sort(trie_change *changes, size_t n);

/* Computes jobs[i].root for every job and appends the record writes to *out.
 * Jobs must name distinct tries. pool may be NULL (run on the calling
 * thread). Returns NULL, or a reason (unsorted or duplicate keys, a store
 * error, a corrupt record); then roots and *out are unspecified. A job with
 * no changes and not wiped yields the trie's current root. */
const char *trie_update_roots(const trie_store *store, task_pool *pool, trie_job *jobs,
                              size_t n_jobs, trie_updates *out);

/* Changes from which trie_update_roots splits a job into tasks by its
 * keys' first nibble (from 4096, the first two), so that one large trie
 * is walked on the whole pool. Below it a job is one task: its
 * walk is short, and the jobs of other tries keep the pool busy. */
enum { TRIE_SPLIT_MIN = 256 };

/* trie_update_roots, splitting from split_min changes instead (at least
 * 1). For a caller whose walk is on the critical path while the pool
 * would idle: a few trie jobs of tens of changes (a block's last
 * transactions) spread over every thread. */
const char *trie_update_roots_split(const trie_store *store, task_pool *pool, trie_job *jobs,
                                    size_t n_jobs, size_t split_min, trie_updates *out);

/* ---- Streaming full build ------------------------------------------------------ */

/* Builds a root from leaves given in increasing key order, keeping only the
 * open path in memory (bounded memory however many leaves). Optionally
 * records the branch records of the result (a full rebuild of a store's
 * records). */
typedef struct trie_stream trie_stream;

/* records: where to write the records (NULL: none); owner: the trie's owner
 * for those records (NULL: the account trie). */
trie_stream *trie_stream_new(trie_updates *records, const bytes32 *owner);
void trie_stream_free(trie_stream *s);
/* Adds a leaf (len > 0). Returns NULL, or a reason if key is not greater
 * than the previous key (the leaf is then ignored). */
const char *trie_stream_push(trie_stream *s, const bytes32 *key, const uint8_t *val, size_t len);
/* The root of the leaves pushed so far (EMPTY_TRIE_ROOT if none); the stream
 * is then empty again, ready for another trie. */
bytes32 trie_stream_root(trie_stream *s);

#endif
