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
 * published; lives in the executing worker's arena until the block ends. */
/* A balance increment whose base the transaction never read. */
typedef struct {
    address addr;
    u256 amount;
} balance_delta;

typedef struct {
    uint32_t incarnation;
    _Atomic bool estimate;   /* aborted: its increments are about to change */
    balance_delta *deltas;   /* kept out of the multi-version memory (mv_memory.h) */
    size_t n_deltas;
    tx_result res;
    read_entry *reads;
    size_t n_reads;
    mv_write *writes;
    size_t n_writes;
    change_set changes;      /* arrays in the arena (cap fields unused) */
    overlay_log *logs;
    size_t n_logs;
    uint8_t *log_data;
    uint8_t bloom[256];      /* of the logs, computed by the worker */
} tx_output;

/* Bump allocator in 1 MiB chunks, reset per block. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    uint8_t data[];
} arena_chunk;
typedef struct {
    arena_chunk *head, *free_list;
} arena;
void *arena_alloc(arena *a, size_t size);
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
    uint64_t suspensions, validations;
    uint64_t rng; /* jitter_us test hook */
} worker;

/* The block being executed, shared by all workers. */
typedef struct {
    const block_rules *rules;
    block *blk;
    block_env env;
    block_state *base;
    state_view base_view;
    code_store *codes;
    _Atomic(tx_output *) *outputs; /* per transaction: the latest published incarnation */
} block_job;

struct par_engine {
    int threads;
    worker *workers;
    par_options opts;
    mv_memory mv;
    unsigned mv_scale; /* grows after an overflow */
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
    par_deps observed;
    hint_scratch hints;
    /* parallel sender recovery job */
    struct {
        block *blk;
        bool homestead;
        _Atomic long next, failed;
    } recover;
};

/* Runs work on every worker thread (the caller is worker 0); returns when
 * all have finished. */
void run_on_all_workers(struct par_engine *e, int (*work)(worker *w));
/* The Block-STM task loop of one worker. */
int par_stm_work(worker *w);

/* The multi-version state_view of worker w (ctx = w). */
extern const state_view_ops mv_view_ops;
/* Re-reads the read set of transaction tx's output; false if any value
 * changed or meets an ESTIMATE. */
bool mv_validate_reads(worker *w, uint32_t tx, const tx_output *out);
/* Splits a change set into multi-version writes and balance increments
 * (both allocated in the arena). */
void mv_writes_from_changes(arena *a, const change_set *cs, tx_output *o);


/* Static dependency hints (hints.c): the earlier transactions each
 * transaction is predicted to read from. Free out with par_deps_free. */
void par_predict(const block *b, const state_view *base, hint_scratch *h, par_deps *out);

#endif
