/* Shared structures of the parallel engine (internal to src/parallel). */
#ifndef PAREVM_PAR_INTERNAL_H
#define PAREVM_PAR_INTERNAL_H

#include <setjmp.h>
#include "mv_memory.h"
#include "parevm/parallel.h"
#include "scheduler.h"

/* One value a transaction read from outside its own writes. */
typedef struct {
    location loc;
    u256 value;    /* what the read returned (for code: the evm_code pointer) */
    uint32_t flags;/* READ_DELETED: the value came from an account deletion */
    uint32_t writer; /* UINT32_MAX: base state */
} read_entry;
enum { READ_DELETED = 1 };

/* Everything one incarnation of a transaction produced. Immutable once
 * published (but for estimate); lives in the executing worker's arena until
 * the next block starts (the observed dependency graph is read from it). */
typedef struct {
    uint32_t incarnation;
    _Atomic bool estimate;   /* aborted: its coinbase increment is about to change */
    bool credits_coinbase;   /* coinbase_delta is an increment to the coinbase */
    u256 coinbase_delta;     /* kept out of the multi-version memory (mv_view.c) */
    tx_result res;
    read_entry *reads;
    size_t n_reads;
    mv_write *writes;
    size_t n_writes;
    change_set changes;      /* arrays in the arena (cap fields unused) */
    overlay_log *logs;
    size_t n_logs;
    uint8_t *log_data;
    uint8_t *bloom;          /* 256 bytes, of the logs, computed by the worker; NULL: no logs */
} tx_output;

/* Bump allocator in 1 MiB chunks, reset at the start of each block. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    uint8_t data[];
} arena_chunk;
typedef struct {
    arena_chunk *head, *free_list;
} arena;
void *arena_alloc(arena *a, size_t size);
/* Gives back the end of the last allocation (p, of old_size) beyond new_size. */
void arena_shrink(arena *a, void *p, size_t old_size, size_t new_size);
void arena_reset(arena *a);
void arena_free(arena *a);

/* Scratch of the static analysis, kept by the engine across blocks. */
typedef struct {
    uint64_t key;     /* 0: empty */
    uint32_t last_rw; /* last transaction that read and wrote the key, or UINT32_MAX */
    uint32_t n_deltas, cap_deltas;
    uint32_t *deltas; /* increments since last_rw: the next reader waits for all */
} key_state;
typedef struct {
    uint32_t *v;
    size_t n, cap;
} u32_vec;
typedef struct {
    struct {
        key_state *v;
        size_t cap;
    } keys;
    uint32_t *used; /* entries of keys in use */
    size_t n_used;
    uint32_t *mark; /* per transaction: dedup of one transaction's deps */
    size_t cap_mark;
    u32_vec deps;
} hint_scratch;
typedef __typeof__(((hint_scratch *)0)->keys) key_map;
void hint_scratch_free(hint_scratch *h);

struct par_engine;

typedef struct worker {
    alignas(64) _Atomic bool in_task; /* inside a task: using the multi-version memory */
    struct par_engine *e;
    int id;
    pthread_t thread;
    executor *ex;
    arena mem;
    /* the transaction being executed */
    uint32_t tx;
    jmp_buf blocked_jmp;
    uint32_t blocked_on;
    read_entry *reads;
    size_t n_reads, cap_reads;
    address last_code_addr;  /* code resolved by the last get_account(FIELD_CODE) */
    const evm_code *last_code;
    bool has_last_code;
    uint64_t executions, aborts, suspensions, validations; /* this block (no shared counters) */
    double commit_seconds; /* in the rolling commit, this block (par_options.timings) */
    sched_claims claims;
    uint64_t rng; /* jitter_us test hook */
    uint8_t bloom[256]; /* OR of the receipts this worker made (finish_work) */
} worker;

/* The block being executed, shared by all workers. */
typedef struct {
    const block_rules *rules;
    block *blk;
    block_env env;
    block_state *base;
    /* read directly: a read cache shared by the workers in front of it
     * (tried on erc20 and mixed blocks over a 1M-account store) gained
     * nothing, as a block's base reads are mostly of distinct cold keys */
    state_view base_view;
    code_store *codes;
    _Atomic(tx_output *) *outputs; /* per transaction: the latest published incarnation */
    uint32_t n;              /* transactions Block-STM runs */
    /* Commit: checks of the block-wide limits and receipts, in order, by
     * one worker at a time while the others execute (rolling), except
     * before Byzantium, where each receipt needs the state root after its
     * transaction: then all at the end, applying as it goes. In a big
     * block the receipts are made after the workers end (defer_receipts). */
    block_result *out;
    bool per_tx_roots;
    bool defer_receipts;     /* big blocks: the commit checks the limits only; the receipts are
                              * made after the workers, in parallel (finish_work) */
    _Atomic bool committing; /* held by the worker committing */
    _Atomic uint32_t committed; /* transactions [0, committed) are final; written under committing */
    long halt_tx;            /* -1, or the first transaction that cannot be included */
    const char *halt_error;  /* with halt_tx: the reason, or NULL for the sequential verdict */
    _Atomic uint32_t aborts; /* incarnations aborted by validation, all workers */
    bool bail;               /* too many aborts: [committed, n) run sequentially (finish_commit);
                              * written under committing */
} block_job;

struct par_engine {
    int threads;
    worker *workers;
    par_options opts;
    mv_memory mv;
    _Atomic bool growing; /* a worker is growing mv: the others wait between tasks */
    uint64_t mv_grows;    /* in this block */
    int started;          /* worker threads running (workers[1..started)) */
    scheduler sched;
    block_job job;
    /* pool control */
    pthread_mutex_t lock;
    pthread_cond_t start_cv, done_cv;
    uint64_t generation;
    int running;
    bool shutdown;
    int (*work)(worker *w); /* what workers run this generation */
    pthread_t pinned_caller;
    /* pre-waits for the next block */
    par_deps use_deps;
    bool has_use_deps;
    uint32_t observed_n; /* transactions of the last block Block-STM ran, whose outputs are kept */
    bool observed_valid;
    size_t cap_outputs;
    hint_scratch hints;
    /* the block's end when its receipts are deferred: worker 0 applies the
     * outputs to the state while the others make receipts [0, n) */
    struct {
        uint32_t n;
        _Atomic uint32_t next; /* the next chunk of receipts to make */
        receipt_place at;      /* the first receipt, log and log byte of the transactions' */
        uint64_t *cum_gas;     /* per transaction: cumulative gas, and its first log */
        size_t *first_log;     /* and first byte of log data counted from at */
        size_t *data_off;
        size_t cap;
    } fin;
    /* parallel sender recovery job */
    struct {
        block *blk;
        bool homestead;
        _Atomic long next, failed;
    } recover;
};

/* Seconds on the monotonic clock (par_options.timings). */
double par_mono_sec(void);

/* Runs work on every worker thread (the caller is worker 0); returns when
 * all have finished. */
void run_on_all_workers(struct par_engine *e, int (*work)(worker *w));
/* The Block-STM task loop of one worker. */
int par_stm_work(worker *w);
/* Commits transaction i (its final output o): checks the block's gas and
 * blob gas limits and records the receipt. False if the block ends at i
 * (halt_tx/halt_error are set). */
bool par_commit_tx(struct par_engine *e, uint32_t i, const tx_output *o);

/* The multi-version state_view of worker w (ctx = w). */
extern const state_view_ops mv_view_ops;
/* Re-reads the read set of transaction tx's output; false if any value
 * changed or meets an ESTIMATE. */
bool mv_validate_reads(worker *w, uint32_t tx, const tx_output *out);
/* The multi-version writes of a change set (allocated in the arena), but
 * an increment to the coinbase, which goes to o->coinbase_delta. */
void mv_writes_from_changes(arena *a, const change_set *cs, const address *coinbase, tx_output *o);


/* Static dependency hints (hints.c): the earlier transactions each
 * transaction is predicted to read from. Free out with par_deps_free. */
void par_predict(const block *b, const state_view *base, hint_scratch *h, par_deps *out);

#endif
