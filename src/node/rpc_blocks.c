/* Method group: blocks, transactions and receipts -- eth_getBlockByNumber,
 * eth_getBlockByHash, eth_getBlockTransactionCountBy*, eth_getUncleCountBy*,
 * eth_getUncleBy*AndIndex,
 * eth_getTransactionByHash (pool transactions too), eth_getTransactionBy*AndIndex,
 * eth_getTransactionReceipt, eth_getBlockReceipts, eth_getRawTransactionByHash,
 * eth_getRawTransactionByBlock{Number,Hash}AndIndex,
 * eth_getTransactionBySenderAndNonce (reth's: a bisection over the history),
 * eth_getHeaderByNumber and eth_getHeaderByHash (geth's RPCMarshalHeader:
 * the block's fields without size, transactions, uncles and withdrawals).
 * A block or transaction that does not exist is JSON null. "pending" is
 * the pending block (node_pending.c: the pool's transactions in the next
 * block, none if it has none) for every method taking a block number (its
 * transactions by index and its receipts too): anvil's in dev mode, geth's
 * outside it (once the chain is merged; hash, nonce and miner null). */
#include <stdlib.h>
#include <string.h>
#include "node_build.h"
#include "node_internal.h"

static bool store_error(rpc_error *err, const char *why) {
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
}

/* Resolves a block argument (a hash when by_hash, else a number or tag) and
 * loads the block with `what`. *found false: no such block. */
static bool load_arg(node_read *r, const json_t *params, size_t i, bool by_hash, unsigned what, node_block *nb,
                     bool *found, rpc_error *err) {
    uint64_t number;
    bytes32 hash;
    *found = false;
    if (by_hash) {
        rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
        const char *why = rpc_parse_hash(rpc_arg(params, i), &ref.hash);
        if (why) return rpc_error_invalid_param(err, i, why);
        if (!node_resolve(r, &ref, &number, &hash, found, err)) return false;
    } else if (!node_resolve_arg(r, params, i, true, &number, &hash, found, err)) {
        return false;
    }
    if (!*found) return true;
    const char *why = node_block_load(r, number, &hash, what, nb);
    if (why == DB_NOT_FOUND) {
        *found = false;
        return true;
    }
    return why ? store_error(err, why) : true;
}

/* The pending block when params[i] is "pending" (node_pending_view_open);
 * *built false otherwise: the head stands for "pending". */
static bool pending_arg(node_read *r, const json_t *params, size_t i, node_pending_view *v, bool *built,
                        rpc_error *err) {
    *built = false;
    rpc_block_ref ref;
    if (rpc_parse_block_ref(rpc_arg(params, i), &ref) || ref.kind != RPC_BLOCK_PENDING) return true;
    return node_pending_view_open(r, v, built, err);
}

/* Answers params[0] when it is the pending block, by render (its
 * JSON, full or not); false when it is not (the caller answers), true when
 * answered, with *ok false and err set when that failed. */
static bool answer_pending(node_read *r, const json_t *params, json_t *(*render)(const node_block *, bool), bool full,
                           json_t **result, bool *ok, rpc_error *err) {
    node_pending_view pv;
    bool pending;
    *ok = pending_arg(r, params, 0, &pv, &pending, err);
    if (!*ok || !pending) return !*ok;
    *result = render(&pv.nb, full);
    /* geth's: "pending blocks need to nil out a few fields" */
    static const char *const UNSET[] = {"hash", "nonce", "miner"};
    if (!r->n->dev && json_is_object(*result))
        for (size_t i = 0; i < sizeof UNSET / sizeof UNSET[0]; i++) json_object_set_new(*result, UNSET[i], json_null());
    node_pending_view_close(&pv);
    return true;
}

static json_t *render_header(const node_block *nb, bool full) { return (void)full, node_json_header(nb); }
static json_t *render_tx_count(const node_block *nb, bool full) { return (void)full, rpc_json_u64(nb->b.n_txs); }
static json_t *render_no_ommers(const node_block *nb, bool full) { return (void)nb, (void)full, rpc_json_u64(0); }

static bool get_block(node *n, const json_t *params, bool by_hash, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    bool full;
    const char *why = rpc_parse_bool(rpc_arg(params, 1), &full);
    if (why) return rpc_error_invalid_param(err, 1, why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    bool answered_ok;
    if (!by_hash && answer_pending(&r, params, node_json_block, full, result, &answered_ok, err)) {
        node_read_close(&r);
        return answered_ok;
    }
    node_block nb;
    bool found;
    bool ok = load_arg(&r, params, 0, by_hash, NODE_LOAD_BODY | (full ? NODE_LOAD_SENDERS : 0), &nb, &found, err);
    if (ok && found) {
        *result = node_json_block(&nb, full);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

/* The header of params[0] (a hash when by_hash, else a number or tag) as
 * geth's RPCMarshalHeader: eth_getBlockBy*'s object less its body fields. */
static bool get_header(node *n, const json_t *params, bool by_hash, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    bool answered_ok;
    if (!by_hash && answer_pending(&r, params, render_header, false, result, &answered_ok, err)) {
        node_read_close(&r);
        return answered_ok;
    }
    node_block nb;
    bool found;
    bool ok = load_arg(&r, params, 0, by_hash, 0, &nb, &found, err);
    if (ok && found) {
        *result = node_json_header(&nb);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

static bool header_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_header(ctx, params, false, result, err);
}

static bool header_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_header(ctx, params, true, result, err);
}

static bool block_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_block(ctx, params, false, result, err);
}

static bool block_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_block(ctx, params, true, result, err);
}

/* The number of transactions (or ommers) of a block. */
static bool count(node *n, const json_t *params, bool by_hash, bool ommers, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    bool answered_ok;
    json_t *(*render)(const node_block *, bool) = ommers ? render_no_ommers : render_tx_count;
    if (!by_hash && answer_pending(&r, params, render, false, result, &answered_ok, err)) {
        node_read_close(&r);
        return answered_ok;
    }
    node_block nb;
    bool found;
    bool ok = load_arg(&r, params, 0, by_hash, NODE_LOAD_BODY, &nb, &found, err);
    if (ok && found) {
        *result = rpc_json_u64(ommers ? nb.b.n_ommers : nb.b.n_txs);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

static bool tx_count_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return count(ctx, params, false, false, result, err);
}
static bool tx_count_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return count(ctx, params, true, false, result, err);
}
static bool uncle_count_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return count(ctx, params, false, true, result, err);
}
static bool uncle_count_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return count(ctx, params, true, true, result, err);
}

/* An ommer as geth shows it: its header as a block with no transactions or
 * ommers, sized as that block's RLP. */
static json_t *ommer_json(const block_header *h) {
    node_block u;
    memset(&u, 0, sizeof u);
    u.b.header = *h;
    u.hash = h->hash;
    u.number = h->number;
    buf_t rlp = {0};
    header_encode(h, &rlp);
    size_t payload = rlp.len + 2, len_bytes = 0;
    for (size_t x = payload; payload >= 56 && x; x >>= 8) len_bytes++;
    u.rlp_size = 1 + len_bytes + payload;
    buf_free(&rlp);
    return node_json_block(&u, false);
}

node_tx_place node_tx_place_at(const node_block *nb, size_t i) {
    const block_header *h = &nb->b.header;
    return (node_tx_place){nb->hash, nb->number, h->timestamp, i, h->has_base_fee, h->base_fee};
}

/* Item `index` of a loaded block, or NULL past the last. */
typedef json_t *(*pick_fn)(const node_block *nb, uint64_t index);

static json_t *pick_tx(const node_block *nb, uint64_t index) {
    if (index >= nb->b.n_txs) return NULL;
    node_tx_place at = node_tx_place_at(nb, index);
    return node_json_tx(&nb->b.txs[index], &at);
}

static json_t *pick_raw_tx(const node_block *nb, uint64_t index) {
    if (index >= nb->b.n_txs) return NULL;
    buf_t raw = {0};
    tx_encode(&nb->b.txs[index], &raw);
    json_t *out = rpc_json_data(raw.data, raw.len);
    buf_free(&raw);
    return out;
}

static json_t *pick_ommer(const node_block *nb, uint64_t index) {
    return index < nb->b.n_ommers ? ommer_json(&nb->b.ommers[index]) : NULL;
}

/* [block (a hash when by_hash, else a number or tag), index]: the block
 * loaded with `what`, and the item pick gives; null for either missing. */
static bool by_block_and_index(node *n, const json_t *params, bool by_hash, unsigned what, pick_fn pick,
                               json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    uint64_t index;
    const char *why = rpc_parse_u64(rpc_arg(params, 1), &index);
    if (why) return rpc_error_invalid_param(err, 1, why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_pending_view pv;
    bool pending = false;
    bool ok = by_hash || pending_arg(&r, params, 0, &pv, &pending, err);
    if (ok && pending) {
        *result = pick(&pv.nb, index);
        node_pending_view_close(&pv);
        node_read_close(&r);
        return true;
    }
    node_block nb;
    bool found;
    ok = ok && load_arg(&r, params, 0, by_hash, what, &nb, &found, err);
    if (ok && found) {
        *result = pick(&nb, index);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

static bool uncle_by_number_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, false, NODE_LOAD_BODY, pick_ommer, result, err);
}
static bool uncle_by_hash_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, true, NODE_LOAD_BODY, pick_ommer, result, err);
}
static bool tx_by_number_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, false, NODE_LOAD_SENDERS, pick_tx, result, err);
}
static bool tx_by_hash_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, true, NODE_LOAD_SENDERS, pick_tx, result, err);
}
static bool raw_tx_by_number_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, false, NODE_LOAD_BODY, pick_raw_tx, result, err);
}
static bool raw_tx_by_hash_and_index(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return by_block_and_index(ctx, params, true, NODE_LOAD_BODY, pick_raw_tx, result, err);
}

/* Finds a mined transaction: loads its block with `what`; *found false
 * when the index does not know it. */
static bool locate(node_read *r, const bytes32 *txh, unsigned what, node_block *nb, uint32_t *index, bool *found,
                   rpc_error *err) {
    uint64_t number;
    bytes32 hash;
    *found = false;
    const char *why = node_tx_location(r, txh, &number, index);
    if (why == DB_NOT_FOUND) return true;
    if (!why) why = db_canonical_hash(r->snap, number, &hash);
    if (!why) why = node_block_load(r, number, &hash, what, nb);
    if (why) return store_error(err, why);
    if (*index >= nb->b.n_txs || !bytes32_eq(&nb->b.txs[*index].hash, txh)) {
        node_block_free(nb);
        return store_error(err, "transaction index does not match the block");
    }
    *found = true;
    return true;
}

/* The sender's nonce after block number (committed state). */
static bool nonce_after(node_read *r, uint64_t number, const address *a, uint64_t *nonce, rpc_error *err) {
    bytes32 hash;
    const char *why = db_canonical_hash(r->snap, number, &hash);
    if (why) return store_error(err, why);
    node_state st;
    if (!node_state_at(r, number, &hash, &st, err)) return false;
    account_info info;
    st.view.ops->get_account(st.view.ctx, a, FIELD_NONCE, &info);
    bool ok = !node_state_failed(&st, err);
    *nonce = info.nonce;
    node_state_close(&st);
    return ok;
}

typedef struct {
    uint64_t nonce;
    json_t *found;
} pool_nonce_search;

static bool pool_tx_with_nonce(void *arg, const txpool_tx *t, bool pending) {
    (void)pending;
    pool_nonce_search *q = arg;
    if (t->tx.nonce != q->nonce) return true;
    q->found = node_json_tx(&t->tx, NULL);
    return false;
}

/* The block whose execution moved the sender's nonce past `nonce`: the
 * first block after which it is larger, by bisection over the history
 * (NULL found: the nonce was never used in the chain). */
static bool block_of_nonce(node_read *r, const address *a, uint64_t nonce, uint64_t *block, bool *found,
                           rpc_error *err) {
    uint64_t lo = 0, hi = r->head, v;
    *found = false;
    if (!nonce_after(r, hi, a, &v, err)) return false;
    if (v <= nonce) return true;
    if (!nonce_after(r, lo, a, &v, err)) return false;
    if (v > nonce) return true; /* the genesis' own */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (!nonce_after(r, mid, a, &v, err)) return false;
        if (v > nonce) hi = mid;
        else lo = mid;
    }
    *block = hi;
    *found = true;
    return true;
}

bool node_mined_by_sender_nonce(node_read *r, const address *a, uint64_t nonce, node_block *nb, size_t *index,
                                bool *found, rpc_error *err) {
    uint64_t number;
    bool mined = false;
    *found = false;
    if (!r->has_head) return true;
    if (!block_of_nonce(r, a, nonce, &number, &mined, err)) return false;
    if (!mined) return true;
    bytes32 hash;
    const char *why = db_canonical_hash(r->snap, number, &hash);
    if (!why) why = node_block_load(r, number, &hash, NODE_LOAD_SENDERS, nb);
    if (why) return store_error(err, why);
    for (size_t i = 0; i < nb->b.n_txs; i++) {
        const transaction *tx = &nb->b.txs[i];
        if (tx->nonce != nonce || !address_eq(&tx->sender, a)) continue;
        *index = i;
        *found = true;
        return true;
    }
    node_block_free(nb);
    return true;
}

/* eth_getTransactionBySenderAndNonce(sender, nonce): a mined transaction, or
 * one in the pool; null when the nonce was used by none (an EIP-7702
 * authorization, a contract's creation) or is not used yet. */
static bool tx_by_sender_and_nonce(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 2, err)) return false;
    address a;
    uint64_t nonce;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = rpc_parse_u64(rpc_arg(params, 1), &nonce))) return rpc_error_invalid_param(err, 1, why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_block nb;
    size_t index;
    bool found, ok = node_mined_by_sender_nonce(&r, &a, nonce, &nb, &index, &found, err);
    node_read_close(&r);
    if (ok && found) {
        node_tx_place at = node_tx_place_at(&nb, index);
        *result = node_json_tx(&nb.b.txs[index], &at);
        node_block_free(&nb);
    } else if (ok) {
        pool_nonce_search q = {nonce, NULL};
        txpool_each(n->pool, &a, pool_tx_with_nonce, &q);
        *result = q.found;
    }
    return ok;
}

static bool parse_tx_hash(const json_t *params, bytes32 *h, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), h);
    return why ? rpc_error_invalid_param(err, 0, why) : true;
}

static bool tx_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    bytes32 h;
    if (!parse_tx_hash(params, &h, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_block nb;
    uint32_t index;
    bool found;
    bool ok = locate(&r, &h, NODE_LOAD_SENDERS, &nb, &index, &found, err);
    node_read_close(&r);
    if (!ok) return false;
    if (found) {
        node_tx_place at = node_tx_place_at(&nb, index);
        *result = node_json_tx(&nb.b.txs[index], &at);
        node_block_free(&nb);
        return true;
    }
    const txpool_tx *t = txpool_get(n->pool, &h);
    if (t) {
        *result = node_json_tx(&t->tx, NULL);
        txpool_tx_release(t);
    }
    return true;
}

static bool raw_tx_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    bytes32 h;
    if (!parse_tx_hash(params, &h, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_block nb;
    uint32_t index;
    bool found;
    bool ok = locate(&r, &h, NODE_LOAD_BODY, &nb, &index, &found, err);
    node_read_close(&r);
    if (!ok) return false;
    if (found) {
        buf_t raw = {0};
        tx_encode(&nb.b.txs[index], &raw);
        *result = rpc_json_data(raw.data, raw.len);
        buf_free(&raw);
        node_block_free(&nb);
        return true;
    }
    const txpool_tx *t = txpool_get(n->pool, &h);
    if (t) {
        /* a blob transaction with its blobs, as sent (geth's pooled form) */
        *result = t->network ? rpc_json_data(t->network, t->network_len) : rpc_json_data(t->raw, t->raw_len);
        txpool_tx_release(t);
    }
    return true;
}

static bool tx_receipt(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    bytes32 h;
    if (!parse_tx_hash(params, &h, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    node_block nb;
    uint32_t index;
    bool found;
    bool ok = locate(&r, &h, NODE_LOAD_SENDERS | NODE_LOAD_RECEIPTS, &nb, &index, &found, err);
    node_read_close(&r);
    if (ok && found) {
        *result = node_json_receipt(&nb, index);
        node_block_free(&nb);
    }
    return ok;
}

static bool block_receipts(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    node_pending_view pv;
    bool pending;
    if (!pending_arg(&r, params, 0, &pv, &pending, err)) {
        node_read_close(&r);
        return false;
    }
    if (pending) {
        const char *why = node_block_receipts_of(&pv.nb, &pv.p.result);
        bool ok = why ? store_error(err, why) : true;
        if (ok) {
            json_t *list = json_array();
            for (size_t i = 0; i < pv.nb.b.n_txs; i++) json_array_append_new(list, node_json_receipt(&pv.nb, i));
            *result = list;
        }
        node_pending_view_close(&pv);
        node_read_close(&r);
        return ok;
    }
    uint64_t number;
    bytes32 hash;
    bool found;
    bool ok = node_resolve_arg(&r, params, 0, false, &number, &hash, &found, err);
    if (ok && found) {
        node_block nb;
        const char *why = node_block_load(&r, number, &hash, NODE_LOAD_SENDERS | NODE_LOAD_RECEIPTS, &nb);
        if (why && why != DB_NOT_FOUND) ok = store_error(err, why);
        else if (!why) {
            json_t *list = json_array();
            for (size_t i = 0; i < nb.b.n_txs; i++) json_array_append_new(list, node_json_receipt(&nb, i));
            *result = list;
            node_block_free(&nb);
        }
    }
    node_read_close(&r);
    return ok;
}

void node_register_blocks(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_getBlockByNumber", block_by_number, n);
    rpc_methods_add(m, "eth_getBlockByHash", block_by_hash, n);
    rpc_methods_add(m, "eth_getHeaderByNumber", header_by_number, n);
    rpc_methods_add(m, "eth_getHeaderByHash", header_by_hash, n);
    rpc_methods_add(m, "eth_getBlockTransactionCountByNumber", tx_count_by_number, n);
    rpc_methods_add(m, "eth_getBlockTransactionCountByHash", tx_count_by_hash, n);
    rpc_methods_add(m, "eth_getUncleCountByBlockNumber", uncle_count_by_number, n);
    rpc_methods_add(m, "eth_getUncleCountByBlockHash", uncle_count_by_hash, n);
    rpc_methods_add(m, "eth_getUncleByBlockNumberAndIndex", uncle_by_number_and_index, n);
    rpc_methods_add(m, "eth_getUncleByBlockHashAndIndex", uncle_by_hash_and_index, n);
    rpc_methods_add(m, "eth_getTransactionByHash", tx_by_hash, n);
    rpc_methods_add(m, "eth_getTransactionByBlockNumberAndIndex", tx_by_number_and_index, n);
    rpc_methods_add(m, "eth_getTransactionByBlockHashAndIndex", tx_by_hash_and_index, n);
    rpc_methods_add(m, "eth_getRawTransactionByHash", raw_tx_by_hash, n);
    rpc_methods_add(m, "eth_getRawTransactionByBlockNumberAndIndex", raw_tx_by_number_and_index, n);
    rpc_methods_add(m, "eth_getRawTransactionByBlockHashAndIndex", raw_tx_by_hash_and_index, n);
    rpc_methods_add(m, "debug_getRawTransaction", raw_tx_by_hash, n);
    rpc_methods_add(m, "eth_getTransactionReceipt", tx_receipt, n);
    rpc_methods_add(m, "eth_getBlockReceipts", block_receipts, n);
    rpc_methods_add(m, "eth_getTransactionBySenderAndNonce", tx_by_sender_and_nonce, n);
}
