/* statetest --block-stm: every state-test case also runs as one-block
 * chains, executed sequentially (block_execute) and with Block-STM (the
 * sequential fallback off), which must agree: the same rejection (reason and
 * transaction index), or the same receipts, gas and post-state. It covers
 * every transaction-validity rule the fixtures exercise, in the block
 * executor and in Block-STM's commit, and headers claiming absurd gas and
 * timestamps. */
#ifndef PAREVM_CLI_STATETEST_BLOCKS_H
#define PAREVM_CLI_STATETEST_BLOCKS_H

#include <stdio.h>
#include "parevm/exec.h"
#include "parevm/state.h"

typedef struct st_blocks st_blocks;

/* Sets up the checker with a Block-STM engine of `threads` threads (>= 2
 * for real parallelism). sample 0: every case runs every variant; sample
 * K >= 1: every K-th case runs one variant, each variant in turn (cheaper,
 * for the test suite). NULL if the threads cannot be started. */
st_blocks *st_blocks_new(int threads, unsigned sample);
void st_blocks_free(st_blocks *sb);

/* Runs one case's transaction (senders recovered by each execution) as the
 * variants below (or those the sampling picks) over pre (not modified), with
 * env's block fields and fork:
 *   - the transaction alone;
 *   - after a valid transfer that credits its sender (a dependency);
 *   - the same with the header claiming an absurd gas limit (2^52, 10^17 or
 *     2^64-1, in turn) and the last timestamp (2^64-1).
 * Returns NULL if Block-STM agreed with sequential execution on all, else
 * what differed (valid until the next call). */
const char *st_blocks_check(st_blocks *sb, const block_env *env, mem_state *pre, const transaction *tx);

/* Prints what ran: variants, accepted and rejected blocks, Block-STM
 * executions. */
void st_blocks_summary(const st_blocks *sb, FILE *out);

#endif
