/* Dev mode's pending block, as anvil's: the pool's transactions that the
 * next block would take, in the order it would take them, executed on the
 * latest state (with the dev edits) in the next block's context. Nothing
 * is written and the pool is not touched: a transaction that cannot go in
 * is left out with the rest of its sender's. The state root is not
 * computed (zero, as anvil's pending block has it); the other roots are. */
#include <stdlib.h>
#include <string.h>
#include "node_build.h"
#include "node_dev.h"
#include "parevm/chain_rules.h"
#include "parevm/keccak.h"

bool node_dev_has_pending(node *n) {
    if (!n->dev) return false;
    size_t pending, queued;
    txpool_counts(n->pool, &pending, &queued);
    return pending > 0;
}

static void push(block *b, size_t *cap, const transaction *tx) {
    if (b->n_txs == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        b->txs = realloc(b->txs, *cap * sizeof *b->txs);
        if (!b->txs) abort();
    }
    b->txs[b->n_txs++] = *tx;
}

/* The pool's transactions, each run as the next in the block. */
static void add_pool_txs(node *n, executor *ex, const block_rules *rules, block_env *env, fork_id fork,
                         const blob_params *bp, node_pending *p) {
    u256 blob_fee = fork >= FORK_CANCUN ? blob_base_fee(p->b.header.excess_blob_gas, bp->update_fraction) : U256_ZERO;
    txpool_best *it = txpool_best_new(n->pool, &p->b.header.base_fee, fork >= FORK_CANCUN ? &blob_fee : NULL,
                                      n->cfg.dev_order_fifo ? TXPOOL_BY_ARRIVAL : TXPOOL_BY_TIP);
    size_t cap = 0;
    const txpool_tx *t;
    while ((t = txpool_best_next(it))) {
        transaction tx;
        tx_result res;
        bool fits = t->tx.gas_limit <= p->b.header.gas_limit - p->result.gas_used;
        if (!fits || !node_pool_tx_copy(t, &tx)) {
            txpool_best_skip_sender(it);
            continue;
        }
        if (block_add_transaction(ex, rules, env, p->state, &tx, &p->result, &res)) {
            tx_free(&tx);
            txpool_best_skip_sender(it);
            continue;
        }
        push(&p->b, &cap, &tx);
    }
    txpool_best_free(it);
}

bool node_pending_build(node *n, node_state *st, node_pending *p, rpc_error *err) {
    memset(p, 0, sizeof *p);
    node_build_attrs a = {0};
    a.timestamp = node_next_time(n, &st->header);
    a.coinbase = node_dev_coinbase(n->dev);
    a.prev_randao = keccak256_hash(&a.timestamp, sizeof a.timestamp);
    fork_id fork;
    blob_params bp = {0};
    const char *why = node_build_start_header(n, &st->header, &a, &p->b, &fork, &bp);
    if (why) return rpc_error_set(err, RPC_SERVER_ERROR, "pending block: %s", why);
    p->codes = code_store_new();
    p->state = block_state_new(st->view, p->codes);
    block_rules rules = chain_block_rules(&n->chain, &p->b.header, fork >= FORK_PARIS);
    rules.host = node_host(n);
    rules.chain_id = node_chain_id(n);
    block_env env = block_env_of(&p->b.header, &rules);
    executor *ex = node_executor_get(n);
    block_begin(ex, &rules, &p->b, p->state, &p->result);
    add_pool_txs(n, ex, &rules, &env, fork, &bp, p);
    why = block_finish(ex, &rules, &p->b, p->state, &p->result);
    node_executor_put(n, ex);
    if (why) {
        node_pending_free(p);
        return rpc_error_set(err, RPC_SERVER_ERROR, "pending block: %s", why);
    }
    static const bytes32 no_root = {{0}};
    block_header *h = &p->b.header;
    node_build_finish_header(&p->b, &p->result, &no_root);
    buf_t enc = {0};
    header_encode(h, &enc);
    h->hash = keccak256_hash(enc.data, enc.len);
    buf_clear(&enc);
    block_encode(&p->b, &enc);
    p->rlp_size = enc.len;
    buf_free(&enc);
    return true;
}

void node_pending_free(node_pending *p) {
    block_free(&p->b);
    block_result_free(&p->result);
    if (p->state) block_state_free(p->state);
    if (p->codes) code_store_free(p->codes);
    memset(p, 0, sizeof *p);
}
