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
    bool has_base_fee;          /* London on: this base fee instead of EIP-1559's
                                   (dev mode's anvil_setNextBlockBaseFeePerGas) */
    u256 base_fee;
    size_t max_txs;             /* 0: as many as fit */
    bool by_arrival;            /* the pool's transactions by arrival, not by tip
                                   (dev mode's --dev.order fifo) */
    bool empty;                 /* no transactions from the pool */
    /* Engine API payloads: blob transactions only with a sidecar of the
     * fork's wrapper version (their pool entries kept in node_built.src),
     * the EIP-7934 size limit, and more rounds of selection while the gas
     * actually used leaves room */
    bool engine;
    /* an explicit list instead of the pool (testing_buildBlockV1; senders
     * recovered): copied; a transaction that cannot be included fails the
     * build instead of being dropped */
    const transaction *txs;
    size_t n_txs;
    bool has_txs;
    const uint8_t *extra;       /* extra data (at most 32 bytes) */
    size_t extra_len;
    u256 min_tip;               /* pool transactions tipping less are left out
                                   (with their sender's later ones); 0: none */
} node_build_attrs;

typedef struct {
    block b;                    /* complete: header with every root and its hash */
    block_result result;        /* receipts, logs, requests */
    change_set changes;         /* the block's net change set (dev edits included) */
    par_stats stats;
    double t_select, t_execute, t_root, t_commit; /* seconds in each step */
    buf_t header_rlp, body_rlp, receipts_rlp; /* as stored */
    bytes32 *tx_hashes;
    const txpool_tx **src;      /* engine builds: per transaction, the pool entry
                                   of a blob transaction (retained; its sidecar), or NULL */
    long bad_tx;                /* explicit list: the transaction that failed, or -1 */
    db_preview *preview;        /* the state root's work, written by node_commit_built */
    const change_set *edits;    /* dev mode: the edits folded in (NULL: none; the
                                   caller's), stored with the block for its replays */
} node_built;

/* A copy of a pool transaction that a block owns (sender and authorities
 * known); false when its encoding does not decode. */
bool node_pool_tx_copy(const txpool_tx *t, transaction *out);
/* The parts of b's header known before execution, for a child of parent
 * built with a: *fork and, from Cancun, *bp the blob parameters. NULL, or
 * why no such block can be built. */
const char *node_build_start_header(node *n, const block_header *parent, const node_build_attrs *a, block *b,
                                    fork_id *fork, blob_params *bp);

/* The parts of b's header known after its execution r: the roots (the
 * state root given), bloom, gas used, blob gas used, requests hash. */
void node_build_finish_header(block *b, const block_result *r, const bytes32 *state_root);

/* Room for a built block's transactions (EIP-7934's limit less room for
 * the header and withdrawals). */
#define NODE_BLOCK_TX_BYTES (CHAIN_MAX_RLP_BLOCK_SIZE - 256 * 1024)
/* A blob transaction can go into an Engine API payload only with the
 * sidecar the fork gossips (EIP-7594 cell proofs from Osaka). */
bool node_sidecar_fits(const txpool_tx *t, fork_id fork);

/* The pending block (node_pending.c): the pool's transactions the next
 * block would take, run in order on a state's view in the next block's
 * context; the header complete (with its hash). Dev mode's is anvil's
 * (state root zero), outside dev mode geth's (miner.Pending: wall-clock
 * time, zero fee recipient, no beacon root, --miner.gasprice's filter, the
 * state root computed). Nothing is written; the pool is not touched. */
typedef struct node_pending {
    block b;                    /* header (with its hash) and transactions */
    block_result result;
    block_state *state;         /* the state with the block's changes */
    code_store *codes;          /* code the block created */
    size_t rlp_size;
} node_pending;
/* Whether "pending" on head is a pending block: in dev mode when the pool
 * has transactions for one, as anvil; outside dev mode once the chain is
 * merged, as geth. Otherwise "pending" is the head, with the next block's
 * context for calls. */
bool node_has_pending(node *n, const block_header *head);
/* Builds it on st (the latest state), which must outlive it. */
bool node_pending_build(node *n, node_state *st, node_pending *p, rpc_error *err);
void node_pending_free(node_pending *p);

/* The pending block as a loaded block, for the methods that show one. */
typedef struct {
    node_state st;              /* the head's state it is built on */
    node_pending p;
    node_block nb;              /* borrows p's block; receipts on demand
                                   (node_block_receipts_of with p.result) */
} node_pending_view;
/* Builds "pending"'s block on the head: in dev mode always (an empty one
 * when the pool has nothing, as anvil's), outside dev mode when
 * node_has_pending. *built false (nothing open): the head stands for
 * "pending". On success with *built, close with node_pending_view_close. */
bool node_pending_view_open(node_read *r, node_pending_view *v, bool *built, rpc_error *err);
void node_pending_view_close(node_pending_view *v);

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
