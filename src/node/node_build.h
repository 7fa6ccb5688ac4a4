/* Building a block on the head and committing it (node_build.c): the
 * writer thread's two steps for dev-mode mining, and for the Engine API's
 * payloads (build on forkchoiceUpdated with attributes, commit when the
 * payload comes back through newPayload + forkchoiceUpdated). Both run on
 * the writer thread only (node_writer_call). */
#ifndef PAREVM_NODE_BUILD_H
#define PAREVM_NODE_BUILD_H

#include "node_internal.h"

typedef struct {
    uint64_t timestamp;         /* > the parent's */
    address coinbase;           /* fee recipient */
    bytes32 prev_randao;
    bytes32 beacon_root;        /* Cancun on */
    const withdrawal *withdrawals; /* Shanghai on (copied) */
    size_t n_withdrawals;
    uint64_t gas_limit;         /* 0: the parent's */
    size_t max_txs;             /* 0: as many as fit */
    bool empty;                 /* no transactions from the pool */
} node_build_attrs;

typedef struct {
    block b;                    /* complete: header with every root and its hash */
    block_result result;        /* receipts, logs, requests */
    change_set changes;         /* the block's net change set (dev edits included) */
    par_stats stats;
    double t_select, t_execute, t_root, t_commit; /* seconds in each step */
    buf_t header_rlp, body_rlp, receipts_rlp; /* as stored */
    bytes32 *tx_hashes;
} node_built;

/* Builds a block on the head: the pool's best transactions that fit
 * (transactions that turn out invalid are dropped from the block and the
 * pool), executed with Block-STM over the head's state and the dev edits.
 * Writer thread only. */
const char *node_build_block(node *n, const node_build_attrs *a, node_built *out);
/* Commits a block built on the current head: the store, then the dev
 * edits and the pool follow the new head. Writer thread only. */
const char *node_commit_built(node *n, node_built *bb);
void node_built_free(node_built *bb);

#endif
