/* A small fixed pool of worker threads that runs "parallel for" batches:
 * task_pool_run(p, n, fn, arg) calls fn(arg, i, worker) once for every i in
 * [0, n), spread over the pool's threads, and returns when all calls have
 * returned. The calling thread works too (as worker 0), so a pool of one
 * thread creates no thread at all.
 *
 * Used by the state-root engine (storage tries hashed in parallel) and the
 * store; the importer passes its thread count. Not reentrant: one run at a
 * time per pool (callers serialise), and fn must not call task_pool_run on
 * the same pool. */
#ifndef PAREVM_POOL_H
#define PAREVM_POOL_H

#include <stddef.h>

typedef struct task_pool task_pool;

/* worker: 0 for the calling thread, 1..threads-1 for the pool's own. */
typedef void (*task_fn)(void *arg, size_t task, unsigned worker);

/* threads >= 1 counts the calling thread (0 is taken as 1). Aborts if a
 * thread cannot be created (out of resources). Free with task_pool_free. */
task_pool *task_pool_new(unsigned threads);
void task_pool_free(task_pool *p);
unsigned task_pool_threads(const task_pool *p);

/* Runs fn for tasks 0..n-1; tasks are handed out in increasing order to
 * whichever worker is free. Every write made by fn happens before the return. */
void task_pool_run(task_pool *p, size_t n, task_fn fn, void *arg);

#endif
