/* The on-disk store: world state, chain data and history in one LMDB
 * environment (one writer, many concurrent MVCC readers), with the state
 * root maintained incrementally by the trie engine (trie_engine.h).
 *
 * Tables (LMDB named databases); integers are big-endian so that keys sort
 * by number; "min-BE" is a word's big-endian bytes without leading zeros:
 *
 *   meta             text key -> value: "schema" (u32 version), "head"
 *                    (number u64 | hash 32: the last block whose state is
 *                    applied), "trie" (u64: the block whose state the
 *                    branch records and "root" reflect; <= head), "root"
 *                    (32: the state root at "trie"), "history" (u64: the
 *                    first block with a change set; every later block has one)
 *   stages           stage name -> u64 checkpoint
 *   code             code hash 32 -> code bytes (never deleted)
 *   hashed_accounts  keccak(address) 32 -> address 20 | the account trie's
 *                    leaf value, RLP [nonce, balance, storage_root,
 *                    code_hash]; while the trie lags behind the head,
 *                    storage_root may be stale for accounts whose storage
 *                    changed since "trie"
 *   hashed_storage   keccak(address) 32 | keccak(slot) 32 -> slot 32 |
 *                    RLP(value) (never zero: a zero word is an absent key)
 *                    The state is kept once, keyed as the tries key it:
 *                    execution reads hash the address and slot, and each
 *                    changed account or slot is one row to write (a flat
 *                    table by address as well would double the dirty pages
 *                    of a commit). The preimages let wipes, change sets and
 *                    full rebuilds recover the keys.
 *   trie_accounts    0x00 | path (nibbles, one per byte) -> branch record
 *   trie_storage     keccak(address) 32 | path -> branch record
 *                    (records: trie_store.h; a cache derived from the
 *                    state rows)
 *   headers          number 8 | hash 32 -> header RLP (block hash = its keccak)
 *   bodies           number 8 | hash 32 -> body bytes (as the caller gave them)
 *   receipts         number 8 | hash 32 -> receipts bytes (likewise)
 *   block_txs        number 8 | hash 32 -> the block's transaction hashes, 32 each
 *   header_numbers   hash 32 -> number 8
 *   canonical        number 8 -> hash 32
 *   tx_index         tx hash 32 -> number 8 | index u32 (canonical blocks only)
 *   acct_changes     (dupsort) number 8 -> address 20 | prior account: empty
 *                    if it did not exist, else RLP [nonce, balance,
 *                    code_hash or "" when there is no code]
 *   storage_changes  (dupsort) number 8 | address 20 -> slot 32 | prior min-BE
 *                    value (empty: zero); a block that wipes an account's
 *                    storage lists every slot the account had
 *   td               number 8 | hash 32 -> the block's total difficulty, min-BE
 *                    (blocks committed with one; kept by unwinds, like headers)
 *
 * The meta table also holds the caller's named values ("chain." + name ->
 * bytes: the chain configuration, a dev block's folded edits...), written
 * with a block (db_block.meta).
 *
 * A block's writes -- state, hashed state, branch records, change set, block
 * data, head and stage checkpoints -- commit in one write transaction: after
 * a crash the store is at a block boundary. Data read from disk is checked:
 * a corrupt or truncated record gives an error, never a crash.
 *
 * Readers see the map read-only; the writer writes its dirty pages with
 * write() at commit. A write transaction is refused when the disk has too
 * little room for it.
 *
 * Threads: any number of threads may read (snapshots); write calls
 * (db_load_state, db_commit_block, db_update_root, db_unwind) are serialised
 * by the db. A thread must not hold a snapshot while it calls a write
 * function: when the map is full, the writer waits for all snapshots to close
 * before it grows the map. */
#ifndef PAREVM_DB_H
#define PAREVM_DB_H

#include "buf.h"
#include "pool.h"
#include "state.h"

typedef struct db db;
typedef struct db_snapshot db_snapshot;

/* Returned (by pointer identity) when a record does not exist. */
extern const char DB_NOT_FOUND[];
/* Returned by db_commit_block when the computed root differs from the
 * expected one (nothing is written). */
extern const char DB_ROOT_MISMATCH[];

typedef struct {
    size_t map_size;   /* initial map size in bytes (0: 64 GiB); doubled when full */
    bool no_sync;      /* no fsync per commit: survives a process crash, not an OS crash */
    unsigned threads;  /* root-engine threads, the caller's included (0: 1) */
    bool existing;     /* open only a store that is there: fail with DB_NO_STORE, creating nothing */
} db_options;

/* Returned (by pointer identity) by db_open with opt->existing when dir
 * holds no store. */
extern const char DB_NO_STORE[];

/* Opens the store in dir (created if missing, unless opt->existing). opt
 * may be NULL (defaults). Fails on a store of another schema version. */
const char *db_open(const char *dir, const db_options *opt, db **out);
void db_close(db *d);
/* Whether dir holds a store's data file (opened or not). */
bool db_exists(const char *dir);
/* The code objects that snapshots hand out; they live until db_close. */
code_store *db_codes(db *d);
/* The pool the root engine runs on (usable by the caller between writes). */
task_pool *db_pool(db *d);

/* ---- Writing ------------------------------------------------------------------- */

typedef struct {
    const char *name;
    uint64_t number;
} db_checkpoint;

/* A named value of the caller (name: 1..200 bytes), kept in meta. */
typedef struct {
    const char *name;
    byte_span value;
} db_meta;

/* Where a commit's time went (seconds), for progress reports and benchmarks. */
typedef struct {
    double prepare; /* reading the prior state, applying the change set */
    double root;    /* trie jobs: storage tries, then the account trie */
    double write;   /* the write transaction, commit included */
    size_t accounts, slots; /* account and slot rows changed */
    size_t read_ahead; /* of those, read on the worker pool before the change
                          set was applied (large change sets, threads > 1) */
    size_t from_log;   /* of those, taken (the account row or value) from a
                          snapshot's read log (db_preview_root_keep's reads) */
    size_t records; /* branch records written or deleted */
} db_commit_stats;

typedef struct {
    uint64_t number;            /* head + 1, or 0 on an empty store */
    byte_span header;           /* header RLP; the block hash is its keccak */
    byte_span body, receipts;   /* stored as given */
    const bytes32 *tx_hashes;   /* indexed: tx hash -> (number, position) */
    size_t n_txs;
    const change_set *changes;  /* the block's state changes, applied in order as
                                   mem_state_apply does (NULL: none) */
    bool root;                  /* bring the trie up to this block and compute the
                                   state root (false: the trie lags; a later
                                   db_commit_block with root or db_update_root
                                   catches up over all blocks since) */
    const bytes32 *expected_root; /* with root: on a mismatch nothing is written
                                     and DB_ROOT_MISMATCH is returned */
    const db_checkpoint *checkpoints;
    size_t n_checkpoints;
    const u256 *td;             /* the block's total difficulty (NULL: none stored) */
    const db_meta *meta;        /* named values to store with the block */
    size_t n_meta;
    db_commit_stats *stats;     /* optional: filled on success */
    const struct db_preview *preview; /* optional: db_preview_root_keep of exactly
                                   `changes` on the current head; its root work is
                                   written instead of recomputed when nothing was
                                   committed since (else it is ignored) */
} db_block;

/* Applies block b: its state changes (with their change set, the prior
 * values, for unwinds and historical reads), the block data, the canonical
 * entry, transaction index, head and checkpoints, in one write transaction.
 * root (may be NULL) gets the state root when b->root (always for block 0).
 * Returns NULL or a reason; on failure nothing is written. */
const char *db_commit_block(db *d, const db_block *b, bytes32 *root);

/* Applies n consecutive blocks in one write transaction, as n calls of
 * db_commit_block would. Either only the last block asks for a root (the
 * trie catches up once for the batch), or every block does (each root is
 * computed on the state the blocks before it leave and checked against
 * its expected_root; the first block may use its preview). Pages the
 * blocks share are copied and written once. The store moves from the head
 * before to the last block, or (on failure, a mismatch at any block
 * included) not at all. Stats, if the last block asks for them, cover the
 * whole batch. */
const char *db_commit_blocks(db *d, const db_block *blocks, size_t n, bytes32 *root);

/* Writes one named value (as db_block.meta does) in a write transaction of
 * its own, between blocks: what belongs to the head but is no block (dev
 * mode's edits not yet mined). Returns NULL or a reason. */
const char *db_put_meta(db *d, const db_meta *m);

/* Bulk-loads state (a genesis allocation, possibly in several calls) before
 * any block is committed: no change set is kept. root (may be NULL) gets the
 * state root of everything loaded so far. */
const char *db_load_state(db *d, const change_set *cs, bytes32 *root);
/* Empties a store that holds no block yet: what an interrupted genesis load
 * (db_load_state in several calls, then no block 0) left behind. Refused
 * on a store with blocks. Returns NULL or a reason. */
const char *db_clear_unfinished(db *d);

/* Brings the trie up to the head (if it lags) and returns the state root. */
const char *db_update_root(db *d, bytes32 *root);

/* Restores the state after block number (<= head; every later block must
 * have a change set), recomputes the root (root may be NULL), makes number
 * the head, drops the later blocks' canonical entries, transaction index
 * entries and change sets (headers, bodies, receipts stay, by hash), and
 * lowers checkpoints above number to number. One write transaction. */
const char *db_unwind(db *d, uint64_t number, bytes32 *root);

/* The state root the store would have after applying the change sets
 * sets[0..n) in order to the latest committed state (the trie catching up
 * first if it lags), computed without writing anything: pre-Byzantium
 * receipts' intermediate roots. Costs like a commit's root. */
const char *db_preview_root(db *d, const change_set *const *sets, size_t n, bytes32 *root);

/* db_preview_root of one change set that also keeps the work (the hashed
 * state and the trie records of the new root) in *out, owned by the caller
 * (db_preview_free; it points into cs, which must outlive it). A block that
 * builds its header from the root (the node's block building) passes it as
 * db_block.preview so that its commit does not compute the root again.
 * reads (optional): a snapshot that logs its reads (db_snapshot_log_reads),
 * typically the one cs was executed on; where it shows the commit the
 * preview starts from, the accounts and slots it read are not looked up in
 * the store again (otherwise it is ignored). Nobody may read through it
 * during the call. */
typedef struct db_preview db_preview;
const char *db_preview_root_keep(db *d, const change_set *cs, const db_snapshot *reads, bytes32 *root,
                                 db_preview **out);
void db_preview_free(db_preview *p);

/* db_preview_root_keep of cs for the child of ancestors[n-1], computed
 * while some of the ancestors are not written yet (their commits may run
 * meanwhile, on another thread; the ancestors are only read and must
 * outlive the call). ancestors[0..n) are consecutive blocks, the oldest
 * first, each with its hash and its kept preview; the store must be at
 * one of them, or at the block ancestors[0]'s preview was computed on
 * (n >= 1). The state is the store's with the unwritten ancestors' changes
 * on top. The preview becomes usable for the block's commit once the store's
 * head is ancestors[n-1] (in a batch, once the blocks before it are written
 * in the batch's transaction); if every ancestor is written already, it is
 * an ordinary preview on the head. The roots run on a pool of their own,
 * without the writer lock. The caller must hold no snapshot (a map resize
 * in an ancestor's commit waits for snapshots to close). Fails (nothing
 * kept; the block's root then takes the normal path) when the store is at
 * none of those blocks, its trie lags, an unwritten ancestor has no usable
 * preview, or this block or an unwritten ancestor wipes stored storage. */
typedef struct {
    const db_preview *preview; /* NULL: none (fails if the block is unwritten) */
    bytes32 hash;              /* the block's hash */
} db_preview_link;
const char *db_preview_root_chain(db *d, const db_preview_link *ancestors, size_t n, const change_set *cs,
                                  bytes32 *root, db_preview **out);

/* ---- Root work while a block executes ----
 * For a block that executes on the current head while nothing is committed
 * (the Engine API's newPayload, an import with nothing queued), with the
 * trie up to date. db_preroot_update computes the root of the head plus a
 * guess of the block's changes (the transactions final so far: any values;
 * a wrong guess costs time, never correctness) and keeps its work as an
 * overlay, so that the next call walks only what changed since the last.
 * db_preroot_finish does the same with the block's real change set: *root
 * gets the block's state root and *out a preview for db_block.preview, so
 * the commit writes it instead of computing the root again. It is usually
 * ready soon after the last transaction, since only what the last
 * transactions changed is left to walk.
 *
 * One thread at a time per db_preroot; each call holds the store's writer
 * lock while it runs (a chained one, below, does not). A call that fails
 * (the store moved since the first call, the trie lags the head, a block
 * that wipes the storage of an account with stored storage, a store
 * error) makes every later call fail: the block's root then takes the
 * normal path. db_preroot_finish may be called once; cs must outlive the
 * preview. */
typedef struct db_preroot db_preroot;
db_preroot *db_preroot_new(db *d);
/* A db_preroot for the child of ancestors[n-1] while some of its ancestors
 * are not written yet: db_preview_root_chain's ancestors (copied here;
 * their previews must outlive p), whose commits may run meanwhile on
 * another thread. The rounds hold no writer lock. An update round that
 * finds a map resize pending does not run (the resize may wait for the
 * caller's snapshot; the next round catches up); the finish waits for it,
 * so its caller must hold no snapshot. The finish's preview is chained:
 * usable once the parent is the store's head. Rounds fail where
 * db_preview_root_chain would, and when the store leaves the ancestors'
 * path. */
db_preroot *db_preroot_new_chain(db *d, const db_preview_link *ancestors, size_t n);
const char *db_preroot_update(db_preroot *p, const change_set *guess, bytes32 *root);
/* Between update rounds, where a later one is sure to walk (transactions
 * are still to come): the last update's work joins the overlay, and the
 * accounts and slots of guess join the work set (stored values read, slots
 * hashed), so that the next round has only its walk left. Computes no
 * root; a finish after it, with no update in between, is not as guessed. */
const char *db_preroot_prepare(db_preroot *p, const change_set *guess);
const char *db_preroot_finish(db_preroot *p, const change_set *cs, bytes32 *root, db_preview **out);
/* db_preroot_finish for a cs with the effect of the last update's guess
 * (the caller found them change_set_same): where that update was the last
 * call and ran, its work is the final round's, and only the final round's
 * checks of the store run; else it is db_preroot_finish. */
const char *db_preroot_finish_as_guessed(db_preroot *p, const change_set *cs, bytes32 *root, db_preview **out);
/* s: the snapshot the block executes on, logging its reads
 * (db_snapshot_log_reads): a plain p's rounds take the stored values of
 * what execution has read so far from its log instead of searching the
 * store again, where s shows the head the rounds start from. Other
 * threads may go on reading through s (each round indexes what the logs
 * gained since the last, without stopping them); s must stay open, and
 * keep logging, until p is freed. A chained p ignores it. */
void db_preroot_use_reads(db_preroot *p, db_snapshot *s);
/* Rounds that succeeded (updates, and the finish unless it was as guessed). */
unsigned db_preroot_rounds(const db_preroot *p);
void db_preroot_free(db_preroot *p);

/* The state root rebuilt from the state rows alone, ignoring the branch
 * records and the storage roots the account rows hold: the reference for
 * the incremental root. Every row's preimage is checked against its key.
 * Memory stays bounded whatever the state size (the rows stream in key
 * order). */
const char *db_root_full(db *d, bytes32 *root);

/* ---- Snapshots: consistent reads ---------------------------------------------------- */

/* A read snapshot of the latest committed block. lanes (>= 1) read
 * transactions serve it, so that up to lanes threads read at once (more
 * wait); all see the same commit. Close with db_snapshot_close. */
const char *db_snapshot_open(db *d, unsigned lanes, db_snapshot **out);
/* A snapshot whose state reads show the state after block number
 * (history: the latest state with the change sets of the later blocks
 * undone; a read costs one lookup per later block). Chain reads are those
 * of the latest commit. */
const char *db_snapshot_at(db *d, uint64_t number, unsigned lanes, db_snapshot **out);
void db_snapshot_close(db_snapshot *s);
/* The oldest block whose state db_snapshot_at can give (the store keeps
 * the change sets of every later block). DB_NOT_FOUND without a head. */
const char *db_oldest_state(db_snapshot *s, uint64_t *number);

/* The state as a state_view (thread-safe; code objects from db_codes).
 * The view cannot return errors: a read that meets a corrupt record returns
 * an absent/zero value and records the first error, which
 * db_snapshot_error returns (check it after using the view). Block hashes
 * are those of canonical blocks up to the snapshot's block. */
state_view db_snapshot_view(db_snapshot *s);
const char *db_snapshot_error(db_snapshot *s);
/* on: from now on s keeps every account and slot its state reads find in
 * the store, for db_preview_root_keep's reads (and db_preroot_use_reads');
 * what it kept before is
 * dropped. false: it stops and drops its log. A historical snapshot does
 * not log. Nobody may read through s during the call. */
void db_snapshot_log_reads(db_snapshot *s, bool on);
/* The block whose state the snapshot shows (DB_NOT_FOUND before block 0). */
const char *db_snapshot_block(db_snapshot *s, uint64_t *number);

/* Direct reads with errors (the snapshot's state, as the view sees it). */
const char *db_read_account(db_snapshot *s, const address *addr, account_info *out); /* DB_NOT_FOUND if absent */
const char *db_read_storage(db_snapshot *s, const address *addr, const u256 *slot, u256 *out);
const char *db_read_code(db_snapshot *s, const bytes32 *hash, const evm_code **out);
/* db_read_code for a hash that may name no code: DB_NOT_FOUND then, and
 * the snapshot keeps no error (debug_codeByHash). */
const char *db_find_code(db_snapshot *s, const bytes32 *hash, const evm_code **out);

/* Walks the latest state (not a historical snapshot's): every account in
 * hashed-address order, or one account's slots (non-zero values) in hashed
 * order. fn returns false to stop, and must not read through s (the walk
 * holds one of its lanes). NULL, or why not (a corrupt row). */
typedef bool (*db_account_fn)(void *arg, const address *addr, const account_info *info);
typedef bool (*db_slot_fn)(void *arg, const u256 *slot, const u256 *value);
const char *db_each_account(db_snapshot *s, db_account_fn fn, void *arg);
const char *db_each_slot(db_snapshot *s, const address *addr, db_slot_fn fn, void *arg);
/* The same from a position: the first account (slot) whose hashed key is
 * at or after start (NULL: the first). */
const char *db_each_account_from(db_snapshot *s, const bytes32 *start, db_account_fn fn, void *arg);
const char *db_each_slot_from(db_snapshot *s, const address *addr, const bytes32 *start, db_slot_fn fn, void *arg);
/* The keys the change sets of blocks from..to name (to <= head; every one
 * of those blocks must have a change set), block by block: fn gets each
 * account entry (slot NULL), then each slot entry, of the accounts `only`
 * names (NULL: all). An account may appear for its slots alone. */
typedef bool (*db_change_fn)(void *arg, uint64_t number, const address *addr, const u256 *slot);
const char *db_each_change(db_snapshot *s, uint64_t from, uint64_t to, const address *only, db_change_fn fn,
                           void *arg);

/* Chain reads. Byte results are appended to *out. */
const char *db_head(db_snapshot *s, uint64_t *number, bytes32 *hash);
const char *db_canonical_hash(db_snapshot *s, uint64_t number, bytes32 *hash);
const char *db_block_number(db_snapshot *s, const bytes32 *hash, uint64_t *number);
const char *db_read_header(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out);
const char *db_read_body(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out);
const char *db_read_receipts(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out);
const char *db_read_block_txs(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out);
const char *db_tx_location(db_snapshot *s, const bytes32 *tx_hash, uint64_t *number, uint32_t *index);
const char *db_stage(db_snapshot *s, const char *name, uint64_t *number);
/* A block's total difficulty (DB_NOT_FOUND if it was committed without). */
const char *db_read_td(db_snapshot *s, uint64_t number, const bytes32 *hash, u256 *td);
/* A named value written with db_block.meta (appended to *out). */
const char *db_read_meta(db_snapshot *s, const char *name, buf_t *out);
/* The state root at the trie's block (which is the head unless the trie
 * lags); *trie_block is UINT64_MAX for a state loaded before block 0. */
const char *db_state_root(db_snapshot *s, bytes32 *root, uint64_t *trie_block);

#endif
