/* The pending block: the pool's transactions that the next block would
 * take, in the order it would take them, executed on the latest state in
 * the next block's context. Nothing is written and the pool is not
 * touched: a transaction that cannot go in is left out with the rest of
 * its sender's.
 *
 * In dev mode it is anvil's: built when the pool has transactions, on the
 * state with the dev edits, with the dev clock and coinbase, and no state
 * root (zero, as anvil's). Outside dev mode it is geth's miner.Pending:
 * always there once the chain is merged, at the wall clock's time (or the
 * parent's + 1), the pending fee recipient (zero unless
 * --miner.pending.feeRecipient names one), no randomness and no
 * beacon root, the gas limit and extra data a payload would get, the pool
 * filtered by --miner.gasprice, and the state root computed from the
 * store's tries. Built for each request (geth keeps one for 2 s). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "node_build.h"
#include "node_dev.h"
#include "node_engine.h"
#include "parevm/chain_rules.h"
#include "parevm/keccak.h"

bool node_has_pending(node *n, const block_header *head) {
    if (!n->dev) return node_child_merged(n, head);
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

/* The pool's transactions, each run as the next in the block; those
 * tipping less than min_tip are left out with their sender's later ones. */
static void add_pool_txs(node *n, executor *ex, const block_rules *rules, block_env *env, fork_id fork,
                         const blob_params *bp, const u256 *min_tip, node_pending *p) {
    u256 blob_fee = fork >= FORK_CANCUN ? blob_base_fee(p->b.header.excess_blob_gas, bp->update_fraction) : U256_ZERO;
    txpool_best *it = txpool_best_new(n->pool, &p->b.header.base_fee, fork >= FORK_CANCUN ? &blob_fee : NULL,
                                      n->cfg.dev_order_fifo ? TXPOOL_BY_ARRIVAL : TXPOOL_BY_TIP);
    size_t cap = 0;
    uint64_t bytes = NODE_BLOCK_TX_BYTES; /* as a payload's */
    const txpool_tx *t;
    while ((t = txpool_best_next(it))) {
        transaction tx;
        tx_result res;
        u256 tip;
        if (!txpool_condition_holds(t, p->b.header.number, p->b.header.timestamp)) {
            txpool_best_skip_sender(it); /* ERC-7796's ranges: out, with its later ones (as node_build.c) */
            continue;
        }
        bool fits = t->tx.gas_limit <= p->b.header.gas_limit - p->result.gas_used;
        if (!n->dev) fits = fits && t->raw_len <= bytes && node_sidecar_fits(t, fork);
        if (!u256_is_zero(min_tip))
            fits = fits && txpool_effective_tip(&t->tx, &p->b.header.base_fee, &tip) && !u256_lt(&tip, min_tip);
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
        if (!n->dev) bytes -= t->raw_len;
    }
    txpool_best_free(it);
}

/* A pending block's attributes outside dev mode (geth's getPending):
 * extra has room for the miner's extra data, which they point to. */
static node_build_attrs geth_attrs(node *n, const block_header *parent, uint8_t extra[32]) {
    node_build_attrs a = {0};
    time_t now = time(NULL);
    a.timestamp = now > 0 && (uint64_t)now > parent->timestamp ? (uint64_t)now : parent->timestamp + 1;
    a.coinbase = n->cfg.pending_fee_recipient;
    pthread_mutex_lock(&n->miner_mu);
    a.gas_limit = engine_gas_limit(parent->gas_limit, n->miner_gas_limit);
    memcpy(extra, n->miner_extra, n->miner_extra_len);
    a.extra = extra;
    a.extra_len = n->miner_extra_len;
    a.min_tip = n->miner_min_tip;
    pthread_mutex_unlock(&n->miner_mu);
    return a;
}

/* The state root after the block's changes, from the store's tries. */
static const char *state_root(const node_state *st, const node_pending *p, bytes32 *root) {
    change_set cs = {0};
    block_state_changes(p->state, &cs);
    const char *why = node_root_after(st, &cs, root);
    change_set_free(&cs);
    return why;
}

bool node_pending_build(node *n, node_state *st, node_pending *p, rpc_error *err) {
    memset(p, 0, sizeof *p);
    node_build_attrs a = {0};
    uint8_t extra[32];
    if (n->dev) {
        a.timestamp = node_next_time(n, &st->header);
        a.coinbase = node_dev_coinbase(n->dev);
        a.prev_randao = keccak256_hash(&a.timestamp, sizeof a.timestamp);
    } else {
        a = geth_attrs(n, &st->header, extra);
    }
    fork_id fork;
    blob_params bp = {0};
    const char *why = node_build_start_header(n, &st->header, &a, &p->b, &fork, &bp);
    if (why) return rpc_error_set(err, RPC_SERVER_ERROR, "pending block: %s", why);
    /* geth's pending block has no beacon root, so no EIP-4788 call */
    if (!n->dev) p->b.header.has_beacon_root = false;
    p->codes = code_store_new();
    p->state = block_state_new(st->view, p->codes);
    block_rules rules = chain_block_rules(&n->chain, &p->b.header, fork >= FORK_PARIS);
    rules.host = node_host(n);
    rules.chain_id = node_chain_id(n);
    block_env env = block_env_of(&p->b.header, &rules);
    executor *ex = node_executor_get(n);
    block_begin(ex, &rules, &p->b, p->state, &p->result);
    add_pool_txs(n, ex, &rules, &env, fork, &bp, &a.min_tip, p);
    why = block_finish(ex, &rules, &p->b, p->state, &p->result);
    node_executor_put(n, ex);
    bytes32 root = {{0}};
    if (!why && !n->dev) why = state_root(st, p, &root);
    if (why) {
        node_pending_free(p);
        return rpc_error_set(err, RPC_SERVER_ERROR, "pending block: %s", why);
    }
    block_header *h = &p->b.header;
    node_build_finish_header(&p->b, &p->result, &root);
    buf_t enc = {0};
    header_encode(h, &enc);
    h->hash = keccak256_hash(enc.data, enc.len);
    buf_clear(&enc);
    block_encode(&p->b, &enc);
    p->rlp_size = enc.len;
    buf_free(&enc);
    return true;
}

bool node_pending_view_open(node_read *r, node_pending_view *v, bool *built, rpc_error *err) {
    *built = false;
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_state_open(r, &latest, &v->st, err)) return false;
    if (!r->n->dev && !node_has_pending(r->n, &v->st.header)) {
        node_state_close(&v->st);
        return true;
    }
    if (!node_pending_build(r->n, &v->st, &v->p, err)) {
        node_state_close(&v->st);
        return false;
    }
    memset(&v->nb, 0, sizeof v->nb);
    v->nb.number = v->p.b.header.number;
    v->nb.hash = v->p.b.header.hash;
    v->nb.b = v->p.b;
    v->nb.has_body = true;
    v->nb.rlp_size = v->p.rlp_size;
    const block_header *h = &v->p.b.header;
    if (h->has_blob_gas) {
        blob_params bp = chain_blob_params(&r->n->chain, h->timestamp);
        if (bp.update_fraction) v->nb.blob_base_fee = blob_base_fee(h->excess_blob_gas, bp.update_fraction);
    }
    *built = true;
    return true;
}

void node_pending_view_close(node_pending_view *v) {
    /* the receipts node_block_receipts_of gave it; its block is p's */
    buf_free(&v->nb.receipts_rlp);
    free(v->nb.receipts);
    free(v->nb.logs);
    node_pending_free(&v->p);
    node_state_close(&v->st);
}

void node_pending_free(node_pending *p) {
    block_free(&p->b);
    block_result_free(&p->result);
    if (p->state) block_state_free(p->state);
    if (p->codes) code_store_free(p->codes);
    memset(p, 0, sizeof *p);
}
