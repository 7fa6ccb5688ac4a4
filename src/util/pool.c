/* The task pool: worker threads sleep on a condition variable until a new
 * batch is published (a generation counter), then take task indices from
 * one atomic counter. The last worker to finish a batch wakes the caller. */
#include "parevm/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    task_pool *pool;
    unsigned id;
    pthread_t thread;
} pool_worker;

struct task_pool {
    unsigned threads;
    pool_worker *workers; /* threads - 1 of them */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t generation;  /* bumped for every batch */
    unsigned busy;        /* pool threads still in the current batch */
    bool stop;
    /* the current batch */
    task_fn fn;
    void *arg;
    size_t n;
    atomic_size_t next;
};

static void run_tasks(task_pool *p, unsigned worker) {
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (i >= p->n) return;
        p->fn(p->arg, i, worker);
    }
}

static void *worker_main(void *arg) {
    pool_worker *w = arg;
    task_pool *p = w->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->generation == seen && !p->stop) pthread_cond_wait(&p->wake, &p->lock);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p, w->id);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

task_pool *task_pool_new(unsigned threads) {
    task_pool *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->threads = threads ? threads : 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (p->threads > 1) {
        p->workers = calloc(p->threads - 1, sizeof *p->workers);
        if (!p->workers) abort();
    }
    for (unsigned i = 0; i + 1 < p->threads; i++) {
        p->workers[i] = (pool_worker){.pool = p, .id = i + 1};
        if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i])) {
            fprintf(stderr, "parevm: cannot create a pool thread\n");
            abort();
        }
    }
    return p;
}

void task_pool_free(task_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i + 1 < p->threads; i++) pthread_join(p->workers[i].thread, NULL);
    free(p->workers);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

unsigned task_pool_threads(const task_pool *p) { return p->threads; }

void task_pool_run(task_pool *p, size_t n, task_fn fn, void *arg) {
    if (n == 0) return;
    /* A single task, or no helpers: no hand-off needed. */
    if (p->threads == 1 || n == 1) {
        for (size_t i = 0; i < n; i++) fn(arg, i, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_tasks(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->busy) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
