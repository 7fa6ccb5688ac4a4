/* Block-STM scheduler (see scheduler.h). The structure follows the paper's
 * pseudo-code closely so that its correctness argument carries over. */
#include "scheduler.h"
#include <stdlib.h>
#include <string.h>

void scheduler_init(scheduler *s) { memset(s, 0, sizeof *s); }

void scheduler_free(scheduler *s) {
    for (uint32_t i = 0; i < s->cap; i++) {
        pthread_mutex_destroy(&s->txs[i].lock);
        free(s->txs[i].dependents);
    }
    free(s->txs);
    memset(s, 0, sizeof *s);
}

void scheduler_reset(scheduler *s, uint32_t n) {
    if (n > s->cap) {
        /* aligned for the per-line slots; mutexes are re-created, not moved */
        tx_slot *nt = aligned_alloc(64, n * sizeof *nt);
        if (!nt) abort();
        for (uint32_t i = 0; i < n; i++) {
            memset(&nt[i], 0, sizeof nt[i]);
            pthread_mutex_init(&nt[i].lock, NULL);
        }
        for (uint32_t i = 0; i < s->cap; i++) {
            nt[i].dependents = s->txs[i].dependents;
            nt[i].cap_dependents = s->txs[i].cap_dependents;
            pthread_mutex_destroy(&s->txs[i].lock);
        }
        free(s->txs);
        s->txs = nt;
        s->cap = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        s->txs[i].status = TX_READY;
        s->txs[i].incarnation = 0;
        s->txs[i].n_dependents = 0;
        s->txs[i].prewaits = 0;
        s->txs[i].committed = false;
    }
    s->n = n;
    atomic_store(&s->execution_idx, 0);
    atomic_store(&s->validation_idx, 0);
    atomic_store(&s->decrease_cnt, 0);
    atomic_store(&s->num_active_tasks, 0);
    atomic_store(&s->done, n == 0);
}

static void push_dependent(tx_slot *t, uint32_t tx) {
    if (t->n_dependents == t->cap_dependents) {
        t->cap_dependents = t->cap_dependents ? t->cap_dependents * 2 : 4;
        t->dependents = realloc(t->dependents, t->cap_dependents * sizeof *t->dependents);
        if (!t->dependents) abort();
    }
    t->dependents[t->n_dependents++] = tx;
}

void scheduler_prewait(scheduler *s, uint32_t tx, uint32_t on) {
    s->txs[tx].status = TX_ABORTING;
    s->txs[tx].prewaits++;
    push_dependent(&s->txs[on], tx | PREWAIT_BIT);
}

bool scheduler_done(scheduler *s) { return atomic_load_explicit(&s->done, memory_order_acquire); }

static void fetch_min(_Atomic uint32_t *a, uint32_t v) {
    uint32_t cur = atomic_load(a);
    while (v < cur && !atomic_compare_exchange_weak(a, &cur, v)) {
    }
}

static void decrease_execution_idx(scheduler *s, uint32_t target) {
    fetch_min(&s->execution_idx, target);
    atomic_fetch_add(&s->decrease_cnt, 1);
}

static void decrease_validation_idx(scheduler *s, uint32_t target) {
    fetch_min(&s->validation_idx, target);
    atomic_fetch_add(&s->decrease_cnt, 1);
}

static void check_done(scheduler *s) {
    uint64_t observed = atomic_load(&s->decrease_cnt);
    uint32_t e = atomic_load(&s->execution_idx), v = atomic_load(&s->validation_idx);
    if ((e < v ? e : v) >= s->n && atomic_load(&s->num_active_tasks) == 0 &&
        observed == atomic_load(&s->decrease_cnt))
        atomic_store_explicit(&s->done, true, memory_order_release);
}

static task try_incarnate(scheduler *s, uint32_t tx) {
    if (tx < s->n) {
        tx_slot *t = &s->txs[tx];
        pthread_mutex_lock(&t->lock);
        if (t->status == TX_READY) {
            t->status = TX_EXECUTING;
            task k = {TASK_EXECUTE, tx, t->incarnation};
            pthread_mutex_unlock(&t->lock);
            return k;
        }
        pthread_mutex_unlock(&t->lock);
    }
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return (task){TASK_NONE, 0, 0};
}

/* The validation candidate idx (claimed, holding one active-task count). */
static task try_validate(scheduler *s, uint32_t idx) {
    if (idx < s->n) {
        tx_slot *t = &s->txs[idx];
        pthread_mutex_lock(&t->lock);
        if (t->status == TX_EXECUTED && !t->committed) {
            task k = {TASK_VALIDATE, idx, t->incarnation};
            pthread_mutex_unlock(&t->lock);
            return k;
        }
        pthread_mutex_unlock(&t->lock);
    }
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return (task){TASK_NONE, 0, 0};
}

/* How many indices to claim at once from idx: one at the end of a block,
 * a few in a long one, so that the shared counters are touched less often
 * (a batch is what one worker claiming several times in a row would get). */
static uint32_t batch_size(const scheduler *s, uint32_t idx) {
    return idx + CLAIM_BATCH_FROM < s->n ? CLAIM_BATCH : 1;
}

/* Claims indices from *idx (the paper's fetch-and-increment, k at once);
 * each claimed index holds one active-task count until it is looked at. */
static bool claim(scheduler *s, _Atomic uint32_t *idx, uint32_t *next, uint32_t *end) {
    uint32_t cur = atomic_load(idx);
    if (cur >= s->n) {
        check_done(s);
        return false;
    }
    uint32_t k = batch_size(s, cur);
    atomic_fetch_add(&s->num_active_tasks, k);
    *next = atomic_fetch_add(idx, k);
    *end = *next + k;
    return true;
}

task scheduler_next_task(scheduler *s, sched_claims *c) {
    for (;;) {
        while (c->val_next < c->val_end) {
            task v = try_validate(s, c->val_next++);
            if (v.kind != TASK_NONE) return v;
        }
        while (c->exec_next < c->exec_end) {
            task e = try_incarnate(s, c->exec_next++);
            if (e.kind != TASK_NONE) return e;
        }
        bool claimed = atomic_load(&s->validation_idx) < atomic_load(&s->execution_idx)
                           ? claim(s, &s->validation_idx, &c->val_next, &c->val_end)
                           : claim(s, &s->execution_idx, &c->exec_next, &c->exec_end);
        if (!claimed) return (task){TASK_NONE, 0, 0};
    }
}

bool scheduler_add_dependency(scheduler *s, uint32_t tx, uint32_t blocking) {
    tx_slot *b = &s->txs[blocking];
    pthread_mutex_lock(&b->lock);
    if (b->status == TX_EXECUTED) {
        pthread_mutex_unlock(&b->lock);
        return false;
    }
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    t->status = TX_ABORTING;
    pthread_mutex_unlock(&t->lock);
    push_dependent(b, tx);
    pthread_mutex_unlock(&b->lock);
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return true;
}

static void set_ready_status(scheduler *s, uint32_t tx) {
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    t->incarnation++;
    t->status = TX_READY;
    pthread_mutex_unlock(&t->lock);
}

task scheduler_finish_execution(scheduler *s, uint32_t tx, uint32_t incarnation, bool wrote_new_location) {
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    t->status = TX_EXECUTED;
    uint32_t n = t->n_dependents;
    uint32_t deps_buf[64], *deps = n <= 64 ? deps_buf : malloc(n * sizeof *deps);
    if (n) memcpy(deps, t->dependents, n * sizeof *deps);
    t->n_dependents = 0;
    pthread_mutex_unlock(&t->lock);

    uint32_t min_dep = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = deps[i] & ~PREWAIT_BIT;
        if (deps[i] & PREWAIT_BIT) {
            /* ready once every predicted dependency has executed */
            tx_slot *dt = &s->txs[d];
            pthread_mutex_lock(&dt->lock);
            bool last = --dt->prewaits == 0;
            pthread_mutex_unlock(&dt->lock);
            if (!last) continue;
        }
        set_ready_status(s, d);
        if (d < min_dep) min_dep = d;
    }
    if (deps != deps_buf) free(deps);
    if (min_dep != UINT32_MAX) decrease_execution_idx(s, min_dep);

    if (atomic_load(&s->validation_idx) > tx) {
        if (wrote_new_location)
            decrease_validation_idx(s, tx);
        else
            return (task){TASK_VALIDATE, tx, incarnation};
    }
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return (task){TASK_NONE, 0, 0};
}

bool scheduler_try_validation_abort(scheduler *s, uint32_t tx, uint32_t incarnation) {
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    bool ok = t->incarnation == incarnation && t->status == TX_EXECUTED && !t->committed;
    if (ok) t->status = TX_ABORTING;
    pthread_mutex_unlock(&t->lock);
    return ok;
}

task scheduler_finish_validation(scheduler *s, uint32_t tx, bool aborted) {
    if (aborted) {
        set_ready_status(s, tx);
        decrease_validation_idx(s, tx + 1);
        /* try_incarnate keeps the active-task count for the task it returns
         * and releases it otherwise */
        if (atomic_load(&s->execution_idx) > tx) return try_incarnate(s, tx);
    }
    atomic_fetch_sub(&s->num_active_tasks, 1);
    return (task){TASK_NONE, 0, 0};
}

bool scheduler_executed(scheduler *s, uint32_t tx, uint32_t *incarnation) {
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    bool ok = t->status == TX_EXECUTED && !t->committed;
    *incarnation = t->incarnation;
    pthread_mutex_unlock(&t->lock);
    return ok;
}

bool scheduler_commit(scheduler *s, uint32_t tx, uint32_t incarnation) {
    tx_slot *t = &s->txs[tx];
    pthread_mutex_lock(&t->lock);
    bool ok = t->status == TX_EXECUTED && t->incarnation == incarnation && !t->committed;
    if (ok) t->committed = true;
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void scheduler_halt(scheduler *s) { atomic_store_explicit(&s->done, true, memory_order_release); }
