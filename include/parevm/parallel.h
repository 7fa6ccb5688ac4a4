/* Parallel block execution with Block-STM: optimistic execution of a block's
 * transactions on a fixed pool of worker threads over a multi-version
 * memory, validation of every read set, abort and re-execution, and a
 * sequential commit of the final change sets, so that receipts, gas, logs
 * and state are exactly those of sequential execution.
 *
 * Static dependency hints (same sender, value sent to a later sender, ERC-20
 * transfers touching the same holder) make predicted dependents wait instead
 * of aborting, and blocks that are small or predicted to be one chain run
 * sequentially. A block whose transactions keep aborting one another (a
 * chain the hints missed) is finished sequentially from the commit front.
 * A recorded dependency graph can be replayed so that nothing aborts
 * (historical sync). */
#ifndef PAREVM_PARALLEL_H
#define PAREVM_PARALLEL_H

#include "block_exec.h"

typedef struct par_engine par_engine;

/* Creates the engine and its worker threads (threads >= 1, the calling
 * thread included). Workers are pinned to CPUs and live until freed.
 * Returns NULL if the system cannot start that many threads. One block at a
 * time per engine: callers serialise. */
par_engine *par_engine_new(int threads);
void par_engine_free(par_engine *e);
int par_engine_threads(const par_engine *e);

typedef struct {
    bool hints;              /* use static-analysis dependency hints (default on) */
    bool sequential_fallback;/* run small or chained blocks sequentially, and finish one that aborts too
                              * often sequentially (default on) */
    unsigned jitter_us;      /* tests: sleep up to this long before each task */
    unsigned bail_after;     /* tests: give up on Block-STM once this many transactions are committed, the
                              * rest run sequentially (0: with the fallback, when they abort too often) */
    bool timings;            /* fill par_stats' phase times (clock reads around each commit) */
} par_options;
void par_engine_set_options(par_engine *e, const par_options *o);

typedef struct {
    uint64_t executions;     /* incarnations executed */
    uint64_t aborts;         /* incarnations aborted by validation */
    uint64_t suspensions;    /* executions suspended on an ESTIMATE */
    uint64_t validations;    /* read-set validations */
    uint64_t mv_grows;       /* times the multi-version memory grew during the block */
    bool sequential;         /* Block-STM did not run: the block ran sequentially */
    const char *why_sequential; /* why (static string), when sequential */
    uint64_t sequential_tail;   /* transactions run sequentially after Block-STM gave up on the block
                                 * (too many aborts): its last ones, from the commit front */
    /* With par_options.timings, where a Block-STM block's time went (s):
     * the serial part before the workers (dependency prediction, setup),
     * the workers, the rolling commit inside it (one worker at a time: the
     * serial part beside execution), and the part after them (leftover
     * commits, receipts, applying the outputs, the block's end). */
    double before_seconds, workers_seconds, commit_seconds, after_seconds;
} par_stats;

/* Same contract as block_execute (block_exec.h): executes b on state (a
 * block_state; the block's change set is then block_state_changes(state))
 * and fills out, with the same result: an invalid block is rejected with
 * the same transaction index and reason. Senders not yet known are
 * recovered on the engine's threads. Blocks with transactions run through
 * Block-STM, except (with sequential_fallback) those predicted to gain
 * nothing from it; stats (required) says which ran and why. The engine's
 * threads read state's base view at once. Never aborts on input. */
const char *par_block_execute(par_engine *e, const block_rules *rules, block *b, block_state *state,
                              block_result *out, par_stats *stats);

/* par_block_execute on an in-memory state, as block_execute_mem. */
const char *par_block_execute_mem(par_engine *e, const block_rules *rules, block *b, mem_state *state,
                                  block_result *out, par_stats *stats);

/* Recovers the senders of all of b's transactions on the engine's threads.
 * Returns the index of the first transaction that fails, or -1. */
long par_recover_senders(par_engine *e, block *b, bool homestead);

/* Dependency graph: deps[i] lists the earlier transactions that transaction
 * i read values from in its final execution. */
typedef struct {
    uint32_t *offsets; /* n + 1 entries: deps of i are edges[offsets[i] .. offsets[i+1]) */
    uint32_t *edges;
    uint32_t n;
} par_deps;
void par_deps_free(par_deps *d);
/* The graph observed in the last par_block_execute (empty if it ran
 * sequentially or stopped at a signature), in new memory: par_deps_free. */
void par_engine_observed_deps(const par_engine *e, par_deps *out);
/* Use deps (copied) as pre-waits for the next par_block_execute only (NULL:
 * none). */
void par_engine_use_deps(par_engine *e, const par_deps *deps);

#endif
