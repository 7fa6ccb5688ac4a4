/* Internals of the LMDB store (db.h): the environment and its tables, the
 * write helper that grows the map, record codecs and the state work set. */
#ifndef PAREVM_DB_INTERNAL_H
#define PAREVM_DB_INTERNAL_H

#include <lmdb.h>
#include <stdatomic.h>
#include <pthread.h>

#include "parevm/db.h"
#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "parevm/trie_engine.h"
#include "parevm/trie_proof.h"

#define DB_SCHEMA 3u

enum {
    T_META, T_STAGES, T_CODE, T_HACCOUNTS, T_HSTORAGE, T_TRIE_ACC,
    T_TRIE_STO, T_HEADERS, T_BODIES, T_RECEIPTS, T_BLOCK_TXS, T_HEADER_NUMBERS, T_CANONICAL,
    T_TX_INDEX, T_ACCT_CHANGES, T_STORAGE_CHANGES, T_TD, T_COUNT
};

struct db {
    MDB_env *env;
    char *dir;
    MDB_dbi t[T_COUNT];
    size_t map_size;
    code_store *codes;
    task_pool *pool;
    task_pool *chain_pool;    /* chained root work's (it runs beside a commit) */
    pthread_mutex_t chain_lock; /* one user of chain_pool at a time */
    pthread_mutex_t writer;   /* one write call at a time */
    /* Growing the map needs every read transaction closed: open snapshots
     * are counted, and a resize waits for zero (new snapshots wait while a
     * resize is pending). Not a rwlock: a snapshot may close on another
     * thread than the one that opened it. */
    pthread_mutex_t snap_lock;
    pthread_cond_t snap_cond;
    unsigned snapshots;
    bool resizing;
};

void db_snapshots_enter(db *d);
/* db_snapshots_enter unless a resize is pending (false: not entered), for
 * a thread that must not wait on a resize, which may wait on it. */
bool db_snapshots_try_enter(db *d);
void db_snapshots_leave(db *d);

/* ---- Small codecs ---- */

static inline void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}
static inline uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}
static inline MDB_val mval(const void *p, size_t n) { return (MDB_val){n, (void *)p}; }

/* An account's fields (its storage root aside). */
typedef struct {
    uint64_t nonce;
    u256 balance;
    bytes32 code_hash;
} db_account;

/* RLP [nonce, balance, code_hash or ""] (change sets). */
void db_account_encode(const db_account *a, buf_t *out);
bool db_account_decode(const uint8_t *p, size_t n, db_account *out);
/* The account trie's leaf value: RLP [nonce, balance, storage_root, code_hash]. */
void db_leaf_encode(const db_account *a, const bytes32 *storage_root, buf_t *out);

/* keccak of a storage slot's 32-byte big-endian form: its key in the
 * storage trie and in hashed_storage. */
static inline bytes32 db_slot_hash(const u256 *slot) {
    uint8_t be[32];
    u256_to_be(slot, be);
    return keccak256_hash(be, 32);
}

/* Rows of the state tables, which carry their key's preimage before the
 * trie's leaf value (db.h):
 *   hashed_accounts  address 20 | RLP [nonce, balance, storage_root, code_hash]
 *   hashed_storage   slot 32 | RLP(value) */
#define DB_ACCOUNT_PREIMAGE 20
#define DB_SLOT_PREIMAGE 32
/* Appends an account row to out. */
void db_account_row_encode(const address *addr, const db_account *a, const bytes32 *storage_root, buf_t *out);
/* Strict decoding of an account row: the leaf must be canonical RLP, and
 * the address the row's (out params may be NULL). */
bool db_account_row_decode(const uint8_t *p, size_t n, address *addr, db_account *a, bytes32 *storage_root);
/* A slot row for a non-zero value into out; returns its length. */
size_t db_slot_row_encode(const u256 *slot, const u256 *value, uint8_t out[DB_SLOT_PREIMAGE + 33]);
/* Strict decoding of a slot row: a canonical RLP of a non-zero word. */
bool db_slot_row_decode(const uint8_t *p, size_t n, u256 *slot, u256 *value);
/* min-BE word (0..32 bytes); returns the length written to out[32]. */
size_t db_word_encode(const u256 *v, uint8_t out[32]);
bool db_word_decode(const uint8_t *p, size_t n, u256 *out);

/* ---- Environment helpers (db_env.c) ---- */

const char *db_mdb_error(int rc);
/* Begins a read transaction (no resize lock taken: for the writer's own
 * use, or under a snapshot's lock). */
int db_read_begin(db *d, MDB_txn **txn);
/* Begins a transaction for a caller that holds no other transaction and no
 * snapshot: if another process grew the map, adopts its size first. */
int db_begin(db *d, unsigned flags, MDB_txn **txn);
/* Adopts the map size another process set (waits for snapshots to close). */
const char *db_adopt_map_size(db *d);
/* Runs fn in a write transaction and commits; on MDB_MAP_FULL aborts,
 * doubles the map (waiting for snapshots to close) and runs fn again, so fn
 * must be re-runnable. fn returns 0 or an LMDB code; *err may carry a reason
 * of its own. rows estimates the rows fn writes: the disk must have room
 * for the pages they may add (see db_env.c). */
typedef int (*db_write_fn)(db *d, MDB_txn *txn, void *arg, const char **err);
const char *db_write(db *d, db_write_fn fn, void *arg, size_t rows);

/* meta and chain lookups inside any transaction: 0, MDB_NOTFOUND or an
 * error; a malformed record gives MDB_CORRUPTED. */
int db_get_head(db *d, MDB_txn *txn, uint64_t *number, bytes32 *hash);
int db_get_meta_u64(db *d, MDB_txn *txn, const char *key, uint64_t *v);
int db_put_meta_u64(db *d, MDB_txn *txn, const char *key, uint64_t v);
int db_get_root(db *d, MDB_txn *txn, bytes32 *root);

/* Deletes every key of table t that starts with prefix. */
int db_del_prefix(MDB_txn *txn, MDB_dbi t, const uint8_t *prefix, size_t n);

/* State reads in a transaction: 0, MDB_NOTFOUND, MDB_CORRUPTED (also when
 * a row's preimage is not the key asked for), or an LMDB error. haddr is
 * keccak(a), hslot db_slot_hash(slot); storage_root (may be NULL) gets the
 * account row's, stale while the trie lags behind. */
int db_get_account(db *d, MDB_txn *txn, const address *a, const bytes32 *haddr, db_account *out,
                   bytes32 *storage_root);
int db_get_slot(db *d, MDB_txn *txn, const bytes32 *haddr, const u256 *slot, const bytes32 *hslot, u256 *out);

/* ---- The trie store over LMDB (db_trie_store.c) ---- */

trie_store db_trie_store(db *d);

/* A trie store whose readers use txn, which the caller holds open for as
 * long as the store is used (one thread at a time: the readers share it). */
typedef struct {
    db *d;
    MDB_txn *txn;
} db_txn_store;
trie_store db_trie_store_in(db_txn_store *t);

/* ---- Snapshot internals (db_view.c), for the store's own readers ----
 * db_snapshot_take gives a lane's read transaction for exclusive use until
 * db_snapshot_give (the thread must not call other snapshot reads between:
 * with one lane they would wait forever). */
MDB_txn *db_snapshot_take(db_snapshot *s, void **lane_token);
/* Whether s's commit holds the state after block number (at most its head,
 * the change sets back to it kept): NULL, or why not. */
const char *db_snapshot_has_state(db_snapshot *s, uint64_t number);
void db_snapshot_give(db_snapshot *s, void *lane_token);
db *db_snapshot_db(db_snapshot *s);

/* ---- Read logs (db_view.c records, db_reads.c indexes) ----
 * What a logging snapshot's state reads found in the store, lane by lane:
 * a lane's log is appended to only by the thread that holds the lane. Its
 * entries lie in chunks that never move (chunk k holds LOG_CHUNK << k), and
 * each count is stored (release) after its entry, so another thread may
 * read the entries below a count it loads (acquire) while appends go on. */
typedef struct {
    address addr;
    bool exists;
    db_account acct;
    bytes32 storage_root; /* the row's (EMPTY_TRIE_ROOT when absent) */
} logged_account;

typedef struct {
    address addr;
    u256 key, value;
} logged_slot;

enum { LOG_CHUNK = 1024, LOG_CHUNKS = 40 };

typedef struct {
    logged_account *accounts[LOG_CHUNKS];
    logged_slot *slots[LOG_CHUNKS];
    _Atomic size_t n_accounts, n_slots;
} read_log;

/* Chunk and offset of entry i of a read log. */
static inline size_t log_chunk(size_t i, size_t *off) {
    size_t q = i / LOG_CHUNK + 1, k = 63 - (size_t)__builtin_clzll(q);
    *off = i - LOG_CHUNK * (((size_t)1 << k) - 1);
    return k;
}

static inline const logged_account *log_account_at(const read_log *g, size_t i) {
    size_t off, k = log_chunk(i, &off);
    return &g->accounts[k][off];
}

static inline const logged_slot *log_slot_at(const read_log *g, size_t i) {
    size_t off, k = log_chunk(i, &off);
    return &g->slots[k][off];
}

/* s's lane logs (*n of them) and the transaction id of the commit they
 * show; NULL when s does not log. Nobody may read through s meanwhile. */
const read_log *db_snapshot_logs(const db_snapshot *s, unsigned *n, size_t *txn_id);

/* The logs of a snapshot indexed by address and by (address, slot);
 * read-only once built, so any number of threads may look up. Entries
 * point into the logs, which must outlive the index. */
typedef struct {
    size_t txn_id;
    const logged_account **accounts; /* open addressing; NULL: empty */
    const logged_slot **slots;
    size_t account_mask, slot_mask;
    size_t n_accounts, n_slots;      /* keys indexed */
} read_index;

/* Indexes s's logs (false, nothing to free: s does not log, or logged nothing). */
bool read_index_build(read_index *x, const db_snapshot *s);
void read_index_free(read_index *x);
const logged_account *read_index_account(const read_index *x, const address *addr);
const logged_slot *read_index_slot(const read_index *x, const address *addr, const u256 *key);

/* An index that follows a logging snapshot's logs while they grow
 * (db_snapshot_follow_logs): it points into the logs, which must stay
 * (the snapshot open and logging) while it is used. */
typedef struct {
    read_index index;
    size_t *seen;     /* [2 * lane]: accounts, [2 * lane + 1]: slots indexed */
    unsigned n_lanes;
} read_log_follow;

/* Indexes what g holds beyond *seen_accounts / *seen_slots (advanced). */
void read_log_follow_take(read_log_follow *f, const read_log *g, size_t *seen_accounts, size_t *seen_slots);
/* Indexes in f what s's lanes logged since the last call on f (f starts
 * zeroed); other threads may go on reading through s meanwhile (one
 * follower at a time). False (nothing added) when s does not log. */
bool db_snapshot_follow_logs(db_snapshot *s, read_log_follow *f);
void read_log_follow_free(read_log_follow *f);

/* ---- The state work set (db_work.c) ----
 * The accounts and slots an operation changes, with their final values,
 * from which the trie jobs and the writes are derived. */

typedef struct {
    u256 key;
    u256 value;      /* final value (zero: absent) */
    u256 prior;      /* value before the block (commit: for the change set) */
    bool in_block;   /* written by the operation itself: its row is written */
    bool prior_set;  /* commit: prior loaded */
    bool hashed;     /* hkey holds keccak(key) */
    bytes32 hkey;
} slot_work;

typedef struct {
    address addr;
    bytes32 haddr;
    /* final state */
    bool exists;
    db_account acct;
    const evm_code *code;  /* new code to store (CHANGE_CODE) */
    /* prior state (before the block, for the change set) */
    bool prior_exists;
    db_account prior;
    bytes32 storage_root;  /* from hashed_accounts; replaced by a storage job's root */
    bool in_block;         /* the account row and change set are written by the operation */
    bool wiped;            /* storage wiped first in this operation */
    bool trie;             /* the account's trie leaf must be updated */
    slot_work *slots;
    size_t n_slots, cap_slots;
    word_map slot_index;   /* slot -> index + 1 */
    slot_work *wiped_prior; /* commit: every slot the account had before a wipe */
    size_t n_wiped_prior;
    bool storage_job;      /* a storage trie job exists */
    trie_change *changes;  /* storage job changes (sorted) */
    size_t n_changes;
    buf_t change_vals;
} acct_work;

typedef struct work_set {
    db *d;
    MDB_txn *rt;           /* read transaction of the state before the operation */
    size_t base_id;        /* its transaction id: the write must follow it directly */
    /* The id of a read transaction that shows w->rt's state, so that
     * work_apply may read ahead on the pool (work_init: rt's id, which no
     * reader has when rt is a write transaction; 0: never). Also the pool
     * must be the caller's to use (w->pool, else the store's under the
     * writer lock). */
    size_t read_id;
    size_t n_read_ahead;   /* entries whose prior state came from the pool's reads */
    /* Logged reads of a snapshot (or NULL): where its txn_id is read_id,
     * an account's row and a slot's value are taken from it instead
     * of the store. */
    const read_index *reads;
    size_t n_from_log;     /* entries whose prior state came (partly) from it */
    acct_work *a;
    size_t n, cap;
    addr_map index;
    bytes32 root;          /* the new state root */
    trie_updates updates;  /* branch-record writes */
    buf_t leaf_vals;
    trie_change *acct_changes;
    size_t n_acct_changes;
    /* A chained preview (db_preview_root_chain): the unwritten ancestor
     * blocks' final states (parents[0] the parent, then older ones) stand
     * for the store's where they have an entry (the newest one's), the
     * roots read trie (the store's tries with the ancestors' on top) on
     * pool. None otherwise (the store's tries, the store's pool). */
    const struct work_set *const *parents;
    size_t n_parents;
    const trie_store *trie;
    task_pool *pool;
    /* The tries the roots walk (trie, else the store's) hold exactly the
     * prior state: a changed key is in its trie iff its prior value is set
     * (the engine's present hint). Only where the trie does not lag. */
    bool trie_at_prior;
} work_set;

void work_init(work_set *w, db *d, MDB_txn *rt);
/* For a write function: NULL, or a reason if another commit (another
 * process) came between the read of the prior state and this write. */
const char *work_check_base(const work_set *w, MDB_txn *txn);
void work_free(work_set *w);
/* The entry of addr, loading its current state from w->rt on first use. */
int work_account(work_set *w, const address *addr, acct_work **out);
/* The slot entry of a (value loaded from w->rt on first use). */
int work_slot(work_set *w, acct_work *a, const u256 *key, slot_work **out);
/* Applies a change set (entries in order), marking rows in_block. */
int work_apply(work_set *w, const change_set *cs);
/* Adds the keys the change sets of blocks [from, to] touched, for the trie
 * (their values stay the current ones unless the operation set them). */
int work_add_history(work_set *w, uint64_t from, uint64_t to);
/* Sets s's hkey (keccak of its key) unless it is hashed already. */
void work_slot_hash(slot_work *s);
/* work_slot_hash of every slot. */
void work_hash_slots(work_set *w);
/* Computes the storage and account roots (the trie jobs) into w->root and
 * w->updates; w->a[i].storage_root are updated; every slot is hashed. */
const char *work_roots(work_set *w);
/* Sets w's final values to the priors the change sets of blocks to..from
 * recorded (the state after block from - 1), marking them for the trie. */
int work_restore_priors(work_set *w, uint64_t from, uint64_t to);
/* Writes the state rows (accounts, slots, code, wipes) and the branch
 * records. with_changes: also the change set of block number. */
int work_write(work_set *w, MDB_txn *txn, bool with_changes, uint64_t number);
/* work_write in two halves: the code rows and the change set (which do not
 * need the roots: they may be written while work_roots runs on another
 * thread, which touches other fields), then the state rows and branch
 * records (after work_roots: account rows hold the storage roots). */
int work_write_changes(work_set *w, MDB_txn *txn, bool with_changes, uint64_t number);
int work_write_state(work_set *w, MDB_txn *txn);
/* How many rows work_write writes, roughly (for db_write's disk check). */
size_t work_rows(const work_set *w);

/* A preview's block's leaves and records over the store's tries: what a
 * child's root needs while the block is unwritten. Sorting them costs as
 * much as a quarter of that root, so a thread of its own builds it as soon
 * as the preview is made, while the child executes. */
typedef struct {
    pthread_mutex_t mu; /* the join */
    pthread_t thread;
    bool running;
    trie_store base;  /* the store's tries, under the overlay */
    trie_overlay *ov; /* set by the thread; read after the join */
    trie_store top;   /* ov as a store (sorted: readers share it) */
} preview_overlay;

/* A kept root preview (db.h): the work of one block's root on a head. Its
 * updates may name a record more than once (db_preroot's rounds): the
 * last write of a record wins. Every slot is hashed (so its commit, which
 * may run while a child's chained preview reads it, writes no hkey). */
struct db_preview {
    work_set w;
    const change_set *changes;
    bool reusable;
    bool chained;        /* computed on unwritten ancestors: usable once the store's */
    bytes32 parent_hash; /* head is the parent block (with its trie up to date) */
    preview_overlay *ov; /* NULL: none being built (db_preview_build_overlay) */
};

/* Starts building p's overlay (p->w final, every slot hashed); nothing
 * when no thread can be started. */
void db_preview_build_overlay(db *d, db_preview *p);
/* p's overlay over the store's tries (waits for its thread), or NULL: none
 * was built. Valid as long as p. */
const trie_store *db_preview_overlay(const db_preview *p);

/* ---- Root work on unwritten ancestors (db_commit.c) ----
 * db_preview_root_chain and a chained db_preroot read the ancestors' final
 * states from their previews' work sets and their tries from an overlay of
 * the store's; the ancestors' commits may run meanwhile. */

/* NULL when, at rt, the store is at one of anc[0..n) or at the block
 * anc[0]'s preview was computed on, with its trie up to date, and every
 * later ancestor has a usable preview that wipes no stored storage; *first
 * then gets the oldest unwritten ancestor's index (n: all are written).
 * Otherwise why not. */
const char *db_unwritten_ancestors(db *d, MDB_txn *rt, const db_preview_link *anc, size_t n, size_t *first);
/* An overlay of base (owned by the caller, trie_overlay_free) with the
 * leaves and records of up[0..n) (the newest first) on top; it points into
 * them. NULL when n == 0. */
trie_overlay *db_ancestors_overlay(const trie_store *base, const work_set *const *up, size_t n);
/* The same from the ancestors' previews pv[0..n) (the newest first): each
 * one's overlay (db_preview_build_overlay: sorted, one record per path,
 * where its work set holds every round's record writes) is applied, or its
 * work set where it has none. The previews must outlive the overlay. */
trie_overlay *db_previews_overlay(const trie_store *base, const db_preview *const *pv, size_t n);
/* Whether w wipes an account's storage that was not empty before it. */
bool work_wipes_stored_storage(const work_set *w);

#endif
