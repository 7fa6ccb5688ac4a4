/* The Block-STM collaborative scheduler (Gelashvili et al., algorithms 4-5):
 * shared execution and validation indices, incarnation numbers, dependency
 * suspension and resumption, and a precise completion test. Internal to
 * src/parallel. */
#ifndef PAREVM_SCHEDULER_H
#define PAREVM_SCHEDULER_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { TASK_NONE, TASK_EXECUTE, TASK_VALIDATE } task_kind;

typedef struct {
    task_kind kind;
    uint32_t tx, incarnation;
} task;

typedef enum { TX_READY, TX_EXECUTING, TX_EXECUTED, TX_ABORTING } tx_status;

/* One cache line per transaction: neighbouring transactions run on
 * different workers. */
typedef struct {
    alignas(64) pthread_mutex_t lock;  /* guards status, incarnation and dependents */
    tx_status status;
    uint32_t incarnation;
    uint32_t *dependents;  /* transactions waiting for this one to execute;
                              PREWAIT_BIT marks a predicted dependency */
    uint32_t n_dependents, cap_dependents;
    uint32_t prewaits;     /* predicted dependencies not yet executed */
    bool committed;        /* final: never aborted again */
} tx_slot;

#define PREWAIT_BIT 0x80000000u

/* The shared counters each sit on their own cache line: every task touches
 * some of them, and done is polled in the workers' loop. */
typedef struct {
    uint32_t n;
    tx_slot *txs;
    uint32_t cap;
    alignas(64) _Atomic uint32_t execution_idx;
    alignas(64) _Atomic uint32_t validation_idx;
    alignas(64) _Atomic uint64_t decrease_cnt;
    alignas(64) _Atomic int64_t num_active_tasks;
    alignas(64) _Atomic bool done;
} scheduler;

void scheduler_init(scheduler *s);
void scheduler_free(scheduler *s);
/* Prepares for a block of n transactions (reuses allocations). */
void scheduler_reset(scheduler *s, uint32_t n);
/* Before any worker starts: tx waits for `on` to execute first (a
 * dependency predicted by static analysis or recorded earlier; on < tx).
 * A transaction may wait for several. */
void scheduler_prewait(scheduler *s, uint32_t tx, uint32_t on);

/* Indices a worker claimed from the shared counters and has not looked at
 * yet; each holds one active-task count. Zero it before a block. */
typedef struct {
    uint32_t exec_next, exec_end, val_next, val_end;
} sched_claims;
#define CLAIM_BATCH 4         /* indices claimed at once... */
#define CLAIM_BATCH_FROM 64   /* ...while more than this many remain */

bool scheduler_done(scheduler *s);
task scheduler_next_task(scheduler *s, sched_claims *c);
/* tx (executing) read an ESTIMATE of `blocking`. False if blocking has
 * executed meanwhile: re-run the execution immediately. */
bool scheduler_add_dependency(scheduler *s, uint32_t tx, uint32_t blocking);
/* Returns a follow-up task (validation of the same incarnation) or none. */
task scheduler_finish_execution(scheduler *s, uint32_t tx, uint32_t incarnation, bool wrote_new_location);
/* Fails for a committed transaction. */
bool scheduler_try_validation_abort(scheduler *s, uint32_t tx, uint32_t incarnation);
task scheduler_finish_validation(scheduler *s, uint32_t tx, bool aborted);

/* Rolling commit (engine.c): the incarnation of tx if it has executed and
 * is not committed yet; then, once every lower transaction is committed and
 * its read set still holds, scheduler_commit makes it final (false if it
 * was aborted meanwhile). */
bool scheduler_executed(scheduler *s, uint32_t tx, uint32_t *incarnation);
bool scheduler_commit(scheduler *s, uint32_t tx, uint32_t incarnation);
/* Ends the block early (an invalid transaction was committed up to). */
void scheduler_halt(scheduler *s);

#endif
