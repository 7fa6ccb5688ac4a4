/* The writer thread: the one thread that writes to the store. It runs the
 * jobs other threads hand it (node_writer_call) in order and, in dev mode,
 * mines: when kicked (a transaction arrived, automine) and every
 * dev_period_s seconds. Jobs queued when the node stops get "node is
 * stopping". A job may leave a block's write pending (newPayload): the
 * writer settles it before the next job (but forkchoiceUpdated's, which
 * need not wait for it) or as soon as it ends when there is none. */
#include <errno.h>
#include <time.h>
#include "node_dev.h"
#include "node_engine.h"
#include "node_internal.h"

struct node_job {
    node_write_fn fn;
    void *arg;
    const char *result;
    bool done;
    bool keeps_write; /* may run with a block's write pending */
    node_job *next;
};

static const char STOPPING[] = "node is stopping";

static const char *call(node *n, node_write_fn fn, void *arg, bool keeps_write) {
    node_job job = {fn, arg, NULL, false, keeps_write, NULL};
    pthread_mutex_lock(&n->wmu);
    if (n->stopping || !n->writer_started) {
        pthread_mutex_unlock(&n->wmu);
        return STOPPING;
    }
    if (n->jobs_tail) n->jobs_tail->next = &job;
    else n->jobs = &job;
    n->jobs_tail = &job;
    pthread_cond_signal(&n->wcond);
    while (!job.done) pthread_cond_wait(&n->dcond, &n->wmu);
    pthread_mutex_unlock(&n->wmu);
    return job.result;
}

const char *node_writer_call(node *n, node_write_fn fn, void *arg) { return call(n, fn, arg, false); }
const char *node_writer_call_keeping(node *n, node_write_fn fn, void *arg) { return call(n, fn, arg, true); }

void node_writer_kick(node *n) {
    pthread_mutex_lock(&n->wmu);
    n->kicked = true;
    pthread_cond_signal(&n->wcond);
    pthread_mutex_unlock(&n->wmu);
}

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *writer_main(void *arg) {
    node *n = arg;
    unsigned period = node_dev_period(n);
    double next_block = mono_now() + period;
    pthread_mutex_lock(&n->wmu);
    while (!n->stopping) {
        unsigned now_period = node_dev_period(n); /* evm_setIntervalMining changes it */
        if (now_period != period) {
            period = now_period;
            next_block = mono_now() + period;
        }
        if (n->jobs) {
            node_job *j = n->jobs;
            n->jobs = j->next;
            if (!n->jobs) n->jobs_tail = NULL;
            pthread_mutex_unlock(&n->wmu);
            if (!j->keeps_write) node_import_settle(n);
            const char *r = j->fn(n, j->arg);
            pthread_mutex_lock(&n->wmu);
            j->result = r;
            j->done = true;
            pthread_cond_broadcast(&n->dcond);
            continue;
        }
        if (node_import_queue_waiting(n)) { /* a write ended (written() woke us) with blocks queued */
            pthread_mutex_unlock(&n->wmu);
            node_import_write_queue(n);
            pthread_mutex_lock(&n->wmu);
            continue;
        }
        if (n->import_unsettled && !node_write_pending(n)) { /* the write ended (written() woke us) */
            pthread_mutex_unlock(&n->wmu);
            node_import_settle(n);
            pthread_mutex_lock(&n->wmu);
            continue;
        }
        if (atomic_load(&n->fc_unsaved) && !n->import_unsettled) { /* a forkchoice update moved the head */
            pthread_mutex_unlock(&n->wmu);
            node_engine_save_head(n);
            pthread_mutex_lock(&n->wmu);
            continue;
        }
        bool due = period && mono_now() >= next_block;
        if (n->kicked || due) {
            n->kicked = false;
            pthread_mutex_unlock(&n->wmu);
            node_import_settle(n);
            node_dev_mine_due(n, due);
            if (due) next_block = mono_now() + period;
            pthread_mutex_lock(&n->wmu);
            continue;
        }
        if (period) {
            /* the condition variable uses the realtime clock */
            double wait = next_block - mono_now();
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + (long)((wait > 0 ? wait : 0) * 1e9);
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&n->wcond, &n->wmu, &ts);
        } else {
            pthread_cond_wait(&n->wcond, &n->wmu);
        }
    }
    /* refuse what is still queued */
    while (n->jobs) {
        node_job *j = n->jobs;
        n->jobs = j->next;
        j->result = STOPPING;
        j->done = true;
    }
    n->jobs_tail = NULL;
    pthread_cond_broadcast(&n->dcond);
    pthread_mutex_unlock(&n->wmu);
    node_import_settle(n);
    /* a restart begins at the head the consensus client named last: the
     * payloads newPayload put above it stay stored, off the chain */
    uint64_t view = atomic_load(&n->fc_head);
    const char *err = view != UINT64_MAX ? node_unwind_to(n, view) : NULL;
    if (err) fprintf(stderr, "parevm node: going back to the forkchoice head failed: %s\n", err);
    return NULL;
}

bool node_writer_start(node *n) {
    /* block execution runs Block-STM's first worker on this thread: deep EVM
     * recursion needs a deep stack (reserved, not committed) */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, NODE_THREAD_STACK);
    int rc = pthread_create(&n->writer, &attr, writer_main, n);
    pthread_attr_destroy(&attr);
    if (rc) return false;
    pthread_mutex_lock(&n->wmu);
    n->writer_started = true;
    pthread_mutex_unlock(&n->wmu);
    return true;
}

void node_writer_stop(node *n) {
    pthread_mutex_lock(&n->wmu);
    bool started = n->writer_started;
    n->stopping = true;
    pthread_cond_broadcast(&n->wcond);
    pthread_mutex_unlock(&n->wmu);
    if (started) pthread_join(n->writer, NULL);
    pthread_mutex_lock(&n->wmu);
    n->writer_started = false;
    pthread_mutex_unlock(&n->wmu);
}
