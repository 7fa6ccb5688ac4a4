/* The Block-STM engine: a fixed pool of pinned worker threads, the
 * execute/validate task loop over the scheduler and multi-version memory,
 * and the sequential commit of the final incarnations. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "par_internal.h"

#define WORKER_STACK ((size_t)256 << 20) /* deep EVM recursion, ASan-sized */

/* ---- arena ---- */

void *arena_alloc(arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (!a->head || a->head->used + size > a->head->cap) {
        arena_chunk *c = a->free_list;
        if (c && c->cap >= size) {
            a->free_list = c->next;
        } else {
            size_t cap = size > ((size_t)1 << 20) ? size : (size_t)1 << 20;
            c = malloc(sizeof *c + cap);
            if (!c) abort();
            c->cap = cap;
        }
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += size;
    return p;
}

void arena_shrink(arena *a, void *p, size_t old_size, size_t new_size) {
    old_size = (old_size + 15) & ~(size_t)15;
    new_size = (new_size + 15) & ~(size_t)15;
    arena_chunk *c = a->head;
    if (c && (uint8_t *)p + old_size == c->data + c->used) c->used -= old_size - new_size;
}

void arena_reset(arena *a) {
    while (a->head) {
        arena_chunk *c = a->head;
        a->head = c->next;
        c->next = a->free_list;
        a->free_list = c;
    }
}

void arena_free(arena *a) {
    arena_reset(a);
    while (a->free_list) {
        arena_chunk *c = a->free_list;
        a->free_list = c->next;
        free(c);
    }
}

/* ---- worker pool ---- */

static void *worker_main(void *arg) {
    worker *w = arg;
    par_engine *e = w->e;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        while (!e->shutdown && e->generation == seen) pthread_cond_wait(&e->start_cv, &e->lock);
        if (e->shutdown) {
            pthread_mutex_unlock(&e->lock);
            return NULL;
        }
        seen = e->generation;
        int (*work)(worker *) = e->work;
        pthread_mutex_unlock(&e->lock);
        work(w);
        pthread_mutex_lock(&e->lock);
        if (--e->running == 0) pthread_cond_signal(&e->done_cv);
        pthread_mutex_unlock(&e->lock);
    }
}

static void pin(pthread_t t, int i) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu <= 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(i % ncpu, &set);
    pthread_setaffinity_np(t, sizeof set, &set); /* best effort */
}

/* Runs work on every worker (the caller is worker 0) and waits for all. */
void run_on_all_workers(par_engine *e, int (*work)(worker *)) {
    /* the caller is worker 0: keep it off the other workers' CPUs */
    if (e->threads > 1 && !pthread_equal(e->pinned_caller, pthread_self())) {
        pin(pthread_self(), 0);
        e->pinned_caller = pthread_self();
    }
    pthread_mutex_lock(&e->lock);
    e->work = work;
    e->running = e->threads - 1;
    e->generation++;
    pthread_cond_broadcast(&e->start_cv);
    pthread_mutex_unlock(&e->lock);
    work(&e->workers[0]);
    pthread_mutex_lock(&e->lock);
    while (e->running) pthread_cond_wait(&e->done_cv, &e->lock);
    pthread_mutex_unlock(&e->lock);
}

par_engine *par_engine_new(int threads) {
    if (threads < 1) threads = 1;
    /* the scheduler's counters sit on cache lines of their own (alignas 64),
     * which calloc's 16-byte alignment would not honour */
    size_t size = (sizeof(par_engine) + 63) / 64 * 64;
    par_engine *e = aligned_alloc(64, size);
    if (!e) abort();
    memset(e, 0, size);
    e->threads = threads;
    e->opts = (par_options){.hints = true, .sequential_fallback = true};
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->start_cv, NULL);
    pthread_cond_init(&e->done_cv, NULL);
    scheduler_init(&e->sched);
    e->workers = aligned_alloc(64, (size_t)threads * sizeof *e->workers);
    if (!e->workers) abort();
    memset(e->workers, 0, (size_t)threads * sizeof *e->workers);
    for (int i = 0; i < threads; i++) {
        worker *w = &e->workers[i];
        w->e = e;
        w->id = i;
        w->ex = executor_new();
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&e->workers[i].thread, &attr, worker_main, &e->workers[i])) {
            /* too many threads for this system: stop those started */
            e->started = i;
            pthread_attr_destroy(&attr);
            par_engine_free(e);
            return NULL;
        }
        pin(e->workers[i].thread, i);
    }
    e->started = threads;
    pthread_attr_destroy(&attr);
    return e;
}

void par_engine_free(par_engine *e) {
    if (!e) return;
    pthread_mutex_lock(&e->lock);
    e->shutdown = true;
    pthread_cond_broadcast(&e->start_cv);
    pthread_mutex_unlock(&e->lock);
    for (int i = 1; i < e->started; i++) pthread_join(e->workers[i].thread, NULL);
    for (int i = 0; i < e->threads; i++) {
        executor_free(e->workers[i].ex);
        arena_free(&e->workers[i].mem);
        free(e->workers[i].reads);
    }
    free(e->workers);
    mv_free(&e->mv);
    scheduler_free(&e->sched);
    free(e->job.outputs);
    par_deps_free(&e->use_deps);
    hint_scratch_free(&e->hints);
    free(e->fin.cum_gas);
    free(e->fin.first_log);
    free(e->fin.data_off);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->start_cv);
    pthread_cond_destroy(&e->done_cv);
    free(e);
}

int par_engine_threads(const par_engine *e) { return e->threads; }
void par_engine_set_options(par_engine *e, const par_options *o) { e->opts = *o; }

/* ---- execution and validation tasks ---- */

/* Copies what the executor produced into the worker's arena. Sized
 * exactly: the outputs of a whole block stay in memory until its commit. */
static tx_output *publish_output(worker *w, uint32_t inc, const tx_result *res) {
    arena *a = &w->mem;
    overlay *ov = executor_overlay(w->ex);
    const change_set *cs = executor_changes(w->ex);
    tx_output *o = arena_alloc(a, sizeof *o);
    o->incarnation = inc;
    atomic_init(&o->estimate, false);
    o->credits_coinbase = false;
    o->res = *res;
    o->res.output = NULL; /* points into the VM's scratch */
    o->res.output_size = 0;
    o->n_reads = w->n_reads;
    o->reads = w->n_reads ? arena_alloc(a, w->n_reads * sizeof *o->reads) : NULL;
    if (w->n_reads) memcpy(o->reads, w->reads, w->n_reads * sizeof *o->reads);
    o->changes = (change_set){0};
    o->changes.n_accounts = cs->n_accounts;
    o->changes.n_slots = cs->n_slots;
    if (cs->n_accounts) {
        o->changes.accounts = arena_alloc(a, cs->n_accounts * sizeof *cs->accounts);
        memcpy(o->changes.accounts, cs->accounts, cs->n_accounts * sizeof *cs->accounts);
    }
    if (cs->n_slots) {
        o->changes.slots = arena_alloc(a, cs->n_slots * sizeof *cs->slots);
        memcpy(o->changes.slots, cs->slots, cs->n_slots * sizeof *cs->slots);
    }
    mv_writes_from_changes(a, cs, &w->e->job.env.coinbase, o);
    size_t n_logs;
    const overlay_log *logs = overlay_logs(ov, &n_logs);
    o->n_logs = n_logs;
    o->logs = NULL;
    o->log_data = NULL;
    o->bloom = NULL;
    if (n_logs) {
        size_t data_len = logs[n_logs - 1].data_off + logs[n_logs - 1].data_len;
        o->logs = arena_alloc(a, n_logs * sizeof *o->logs);
        memcpy(o->logs, logs, n_logs * sizeof *o->logs);
        if (data_len) {
            o->log_data = arena_alloc(a, data_len);
            memcpy(o->log_data, overlay_log_data(ov), data_len);
        }
        o->bloom = arena_alloc(a, 256);
        memset(o->bloom, 0, 256);
        logs_bloom(o->bloom, logs, n_logs, executor_bloom_cache(w->ex)); /* here, in parallel, not in the commit */
    }
    return o;
}

/* ---- growing the multi-version memory ----
 * Workers touch the multi-version memory only inside tasks. A worker whose
 * write set does not fit stops the others at their next task boundary
 * (in_task/growing, a Dekker-style handshake: both sides store, then load,
 * sequentially consistent), grows the table alone, and lets them go on. */

static void task_enter(worker *w) {
    par_engine *e = w->e;
    for (;;) {
        atomic_store(&w->in_task, true);
        if (!atomic_load(&e->growing)) return;
        atomic_store(&w->in_task, false);
        while (atomic_load_explicit(&e->growing, memory_order_acquire)) sched_yield();
    }
}

static void task_leave(worker *w) { atomic_store_explicit(&w->in_task, false, memory_order_release); }

/* Called inside a task: makes room for `extra` more cells. */
static void grow_mv(worker *w, size_t extra) {
    par_engine *e = w->e;
    atomic_store(&w->in_task, false);
    bool expected = false;
    if (atomic_compare_exchange_strong(&e->growing, &expected, true)) {
        for (int i = 0; i < e->threads; i++)
            while (atomic_load(&e->workers[i].in_task)) sched_yield();
        if (!mv_reserve(&e->mv, extra)) {
            if (!mv_grow(&e->mv, extra)) abort(); /* out of memory */
            e->mv_grows++;
        } else {
            mv_unreserve(&e->mv, extra, 0);
        }
        atomic_store(&e->growing, false);
    }
    task_enter(w); /* waits for whoever is growing */
}

static task execute_task(worker *w, uint32_t tx, uint32_t inc) {
    par_engine *e = w->e;
    block_job *j = &e->job;
    tx_result res;
    for (;;) {
        w->tx = tx;
        w->n_reads = 0;
        w->has_last_code = false;
        if (setjmp(w->blocked_jmp) == 0) {
            state_view view = {&mv_view_ops, w};
            /* the block gas limit depends on the gas of all earlier
             * transactions: the commit checks it in order */
            exec_transaction(w->ex, &j->env, view, j->codes, &j->blk->txs[tx], 0, &res);
            break;
        }
        /* read an ESTIMATE: wait for the blocking transaction */
        w->suspensions++;
        if (scheduler_add_dependency(&e->sched, tx, w->blocked_on)) return (task){TASK_NONE, 0, 0};
    }
    tx_output *prev = atomic_load_explicit(&j->outputs[tx], memory_order_acquire);
    tx_output *o = publish_output(w, inc, &res);
    size_t need = o->n_writes, created = 0;
    while (!mv_reserve(&e->mv, need)) grow_mv(w, need);
    bool wrote_new = mv_record(&e->mv, tx, o->writes, o->n_writes, prev ? prev->writes : NULL,
                               prev ? prev->n_writes : 0, &created);
    mv_unreserve(&e->mv, need, created);
    /* crediting the coinbase anew is a new write for its readers */
    if (o->credits_coinbase && !(prev && prev->credits_coinbase)) wrote_new = true;
    atomic_store_explicit(&j->outputs[tx], o, memory_order_release);
    w->executions++;
    return scheduler_finish_execution(&e->sched, tx, inc, wrote_new);
}

/* ---- rolling commit ----
 * One worker at a time commits from the frontier on. A transaction whose
 * lower ones are all committed can no longer be aborted by them: if its
 * read set holds now, it is final. If it does not, the scheduler has a
 * validation of it pending and re-executes it. */

/* Test, then test-and-set: idle workers poll this, and must not take the
 * committer's cache line away at every poll. */
static bool commit_lock(block_job *j) {
    return !j->per_tx_roots && !atomic_load_explicit(&j->committing, memory_order_relaxed) &&
           !atomic_exchange_explicit(&j->committing, true, memory_order_acquire);
}
static void commit_unlock(block_job *j) { atomic_store_explicit(&j->committing, false, memory_order_release); }

/* Transactions that keep aborting one another form a chain the prediction
 * missed (a counter behind distinct contracts, a shared balance): Block-STM
 * runs it one transaction after another with hand-offs and wasted
 * executions in between, slower than sequential (0.4-0.8x at 2 threads).
 * With the fallback on, the workers stop at the commit frontier and the
 * rest of the block runs sequentially. Mainnet blocks abort at most 0.05
 * incarnations per transaction at 2 threads; such chains 0.1-0.8. */
#define BAIL_MIN_ABORTS 16   /* per extra thread */
#define BAIL_TXS_PER_ABORT 8 /* committed transactions per abort and extra thread, below which it bails */
static bool too_many_aborts(par_engine *e, uint32_t committed) {
    if (committed >= e->job.n) return false;
    if (e->opts.bail_after) return committed >= e->opts.bail_after;
    if (!e->opts.sequential_fallback) return false;
    uint64_t a = atomic_load_explicit(&e->job.aborts, memory_order_relaxed), extra = (uint64_t)e->threads - 1;
    return a >= BAIL_MIN_ABORTS * extra && a * BAIL_TXS_PER_ABORT > committed * extra;
}

/* Under the commit flag, inside a task. validated: a transaction at the
 * frontier whose incarnation validated_inc was validated under the flag
 * (UINT32_MAX: none), not to be validated twice. */
static void commit_from_frontier(worker *w, uint32_t validated, uint32_t validated_inc) {
    par_engine *e = w->e;
    block_job *j = &e->job;
    for (uint32_t i = atomic_load_explicit(&j->committed, memory_order_relaxed); i < j->n && j->halt_tx < 0 && !j->bail;
         i++) {
        uint32_t inc;
        if (!scheduler_executed(&e->sched, i, &inc)) break;
        tx_output *o = atomic_load_explicit(&j->outputs[i], memory_order_acquire);
        if (!o || o->incarnation != inc) break;
        if (!(i == validated && inc == validated_inc) && !mv_validate_reads(w, i, o)) break;
        if (!scheduler_commit(&e->sched, i, inc)) break;
        if (!par_commit_tx(e, i, o)) {
            scheduler_halt(&e->sched); /* the rest of the block does not matter */
            break;
        }
        atomic_store_explicit(&j->committed, i + 1, memory_order_relaxed);
        if (too_many_aborts(e, i + 1)) {
            j->bail = true;
            scheduler_halt(&e->sched);
        }
    }
}

double par_mono_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* commit_from_frontier, timed when asked (par_stats.commit_seconds) */
static void commit_timed(worker *w, uint32_t validated, uint32_t validated_inc) {
    if (!w->e->opts.timings) {
        commit_from_frontier(w, validated, validated_inc);
        return;
    }
    double t = par_mono_sec();
    commit_from_frontier(w, validated, validated_inc);
    w->commit_seconds += par_mono_sec() - t;
}

static void try_commit(worker *w) {
    block_job *j = &w->e->job;
    /* nothing to do unless the frontier's transaction has executed */
    uint32_t i = atomic_load_explicit(&j->committed, memory_order_relaxed);
    if (i >= j->n || !atomic_load_explicit(&j->outputs[i], memory_order_relaxed) || !commit_lock(j)) return;
    task_enter(w);
    commit_timed(w, UINT32_MAX, 0);
    task_leave(w);
    commit_unlock(j);
}

static task validate_task(worker *w, uint32_t tx, uint32_t inc) {
    par_engine *e = w->e;
    block_job *j = &e->job;
    w->validations++;
    /* at the commit frontier this validation is also the commit's: every
     * lower transaction is final while the flag is held */
    bool frontier = atomic_load_explicit(&j->committed, memory_order_relaxed) == tx && commit_lock(j);
    if (frontier && atomic_load_explicit(&j->committed, memory_order_relaxed) != tx) {
        commit_unlock(j);
        frontier = false;
    }
    tx_output *o = atomic_load_explicit(&j->outputs[tx], memory_order_acquire);
    bool valid = o && o->incarnation == inc && mv_validate_reads(w, tx, o);
    if (frontier) {
        if (valid) commit_timed(w, tx, inc);
        commit_unlock(j);
    }
    bool aborted = !valid && scheduler_try_validation_abort(&e->sched, tx, inc);
    if (aborted) {
        w->aborts++;
        atomic_fetch_add_explicit(&j->aborts, 1, memory_order_relaxed);
        atomic_store_explicit(&o->estimate, true, memory_order_release);
        mv_mark_estimates(&e->mv, tx, o->writes, o->n_writes);
    }
    return scheduler_finish_validation(&e->sched, tx, aborted);
}

/* Test hook: a pseudo-random pause that shuffles the workers' interleaving. */
static void jitter(worker *w) {
    unsigned max = w->e->opts.jitter_us;
    if (!max) return;
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    unsigned us = (unsigned)(w->rng % (max + 1));
    if (us) usleep(us);
}

int par_stm_work(worker *w) {
    scheduler *s = &w->e->sched;
    task t = {TASK_NONE, 0, 0};
    unsigned idle = 0;
    w->rng = w->rng * 6364136223846793005ULL + (uint64_t)w->id + 1;
    w->claims = (sched_claims){0, 0, 0, 0};
    while (!scheduler_done(s)) {
        if (t.kind != TASK_NONE) jitter(w);
        if (t.kind != TASK_NONE) {
            task_enter(w);
            t = t.kind == TASK_EXECUTE ? execute_task(w, t.tx, t.incarnation) : validate_task(w, t.tx, t.incarnation);
            task_leave(w);
        }
        if (t.kind == TASK_NONE) {
            try_commit(w);
            t = scheduler_next_task(s, &w->claims);
            if (t.kind == TASK_NONE) {
                __builtin_ia32_pause();
                if (++idle % 64 == 0) sched_yield();
            }
        }
    }
    return 0;
}

/* ---- parallel sender recovery ---- */

static int recover_work(worker *w) {
    par_engine *e = w->e;
    block *b = e->recover.blk;
    for (;;) {
        long i = atomic_fetch_add(&e->recover.next, 1);
        if (i >= (long)b->n_txs) return 0;
        transaction *tx = &b->txs[i];
        if (tx->sender_known) continue;
        if (!tx_recover_sender(tx, e->recover.homestead)) {
            long cur = atomic_load(&e->recover.failed);
            while ((cur < 0 || i < cur) && !atomic_compare_exchange_weak(&e->recover.failed, &cur, i)) {
            }
        }
    }
}

long par_recover_senders(par_engine *e, block *b, bool homestead) {
    e->recover.blk = b;
    e->recover.homestead = homestead;
    atomic_store(&e->recover.next, 0);
    atomic_store(&e->recover.failed, -1);
    /* senders recovered already (an importer's, a pool's) are the usual
     * case: waking the workers for none costs more than the check */
    size_t unknown = 0;
    for (size_t i = 0; i < b->n_txs && unknown < 4; i++) unknown += !b->txs[i].sender_known;
    if (unknown == 0) return -1;
    if (unknown < 4)
        recover_work(&e->workers[0]);
    else
        run_on_all_workers(e, recover_work);
    return atomic_load(&e->recover.failed);
}
