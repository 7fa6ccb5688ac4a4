/* Method group: the transaction pool -- eth_sendRawTransaction (validated
 * against the head's state; blob transactions in their network form, with
 * the sidecar's structure and KZG proofs checked), eth_sendRawTransactionSync
 * (EIP-7966: the same, answered with the receipt once it is mined),
 * eth_sendRawTransactionConditional (ERC-7796), eth_pendingTransactions,
 * debug_clearTxpool, txpool_status, txpool_content, txpool_contentFrom,
 * txpool_inspect. In dev mode with automine a sent transaction is mined
 * before the call returns. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "node_dev.h"
#include "parevm/db_proof.h"
#include "parevm/kzg.h"

/* The blobs against their commitments, by the proofs of the sidecar's
 * version: a pool that gossips or builds with blobs vouches for them. The
 * count is checked first (the pool's rules would refuse more anyway): each
 * blob costs milliseconds of KZG work. */
static const char *sidecar_kzg(const tx_network *net, fork_id fork) {
    if (net->n_blobs > tx_max_blobs(fork)) return "too many blobs in transaction";
    if (net->wrapper_version == 0)
        return kzg_verify_blob_proofs(net->blobs, net->commitments, net->proofs, net->n_blobs);
    return kzg_verify_cell_proofs(net->blobs, net->commitments, net->proofs, net->n_blobs);
}

const char *node_pool_add_raw(node *n, const uint8_t *raw, size_t len, const txpool_condition *cond, bytes32 *hash,
                              char *detail, size_t dlen) {
    node_read r;
    node_state st;
    rpc_error err = {0};
    if (!node_read_open(n, &r, &err)) return "store unavailable";
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_state_open(&r, &latest, &st, &err)) {
        node_read_close(&r);
        rpc_error_clear(&err);
        return "store unavailable";
    }
    const char *why = NULL;
    buf_t block_form = {0};
    const uint8_t *network = NULL;
    size_t network_len = 0;
    uint8_t version = 0;
    /* a blob transaction arrives with its blobs (network form); the pool
     * keeps them for the Engine API (getPayload, getBlobs) */
    if (len && raw[0] == TX_BLOB) {
        tx_network net;
        fork_id fork = node_fork(n, &st.header);
        if (!tx_decode_network(raw, len, &net, detail, dlen)) why = "invalid transaction encoding";
        else {
            if (!net.has_sidecar) why = "blob transaction without its blobs (send the network form)";
            else why = tx_network_check(&net, fork >= FORK_OSAKA ? FORK_OSAKA : fork);
            if (!why) why = sidecar_kzg(&net, fork);
            if (!why) tx_encode(&net.tx, &block_form);
            version = net.wrapper_version;
            tx_network_free(&net);
        }
        network = raw;
        network_len = len;
        raw = block_form.data;
        len = block_form.len;
    }
    txpool_added added;
    if (!why && network)
        why = txpool_add_blob(n->pool, st.view, raw, len, network, network_len, version, cond, &added, detail, dlen);
    else if (!why) why = txpool_add_conditional(n->pool, st.view, raw, len, cond, &added, detail, dlen);
    if (!why) {
        *hash = added.hash;
        node_filters_tx_added(n, hash);
    }
    buf_free(&block_form);
    node_state_close(&st);
    node_read_close(&r);
    return why;
}

/* geth's SubmitTransaction checks before the pool, on one decode (a
 * dev chain makes neither, as anvil): checkTxFee, the fee cap (or gas
 * price) times the gas limit, blob gas aside, in ether against the cap
 * (in floating point: the product may pass 2^256); then a legacy
 * transaction must carry EIP-155's chain id unless allowed. False with
 * err set when refused; one that does not decode passes (the pool says
 * why). */
static bool submit_checks(const node *n, const uint8_t *raw, size_t len, rpc_error *err) {
    double cap = n->cfg.tx_fee_cap;
    if (n->dev || !len || (cap <= 0 && n->cfg.allow_unprotected_txs)) return true;
    transaction tx;
    tx_network net;
    bool blob = raw[0] == TX_BLOB;
    if (blob ? !tx_decode_network(raw, len, &net, NULL, 0) : !tx_decode(raw, len, &tx, NULL, 0)) return true;
    const transaction *t = blob ? &net.tx : &tx;
    const u256 *price = t->type >= TX_DYNAMIC_FEE ? &t->max_fee : &t->gas_price;
    double eth = 0;
    for (int i = 3; i >= 0; i--) eth = eth * 18446744073709551616.0 + (double)price->w[i];
    eth = eth * (double)t->gas_limit / 1e18;
    bool ok = true;
    if (cap > 0 && eth > cap)
        ok = rpc_error_set(err, RPC_SERVER_ERROR, "tx fee (%.2f ether) exceeds the configured cap (%.2f ether)", eth,
                           cap);
    else if (!n->cfg.allow_unprotected_txs && !t->has_chain_id)
        ok = rpc_error_set(err, RPC_SERVER_ERROR, "only replay-protected (EIP-155) transactions allowed over RPC");
    if (blob) tx_network_free(&net);
    else tx_free(&tx);
    return ok;
}

/* Sends raw (params[0]'s bytes) to the pool, with cond (ERC-7796's ranges)
 * when not NULL; the hash as *result. */
static bool send_bytes(node *n, const uint8_t *raw, size_t len, const txpool_condition *cond, json_t **result,
                       rpc_error *err) {
    if (!submit_checks(n, raw, len, err)) return false;
    bytes32 hash;
    char detail[160] = "";
    const char *why = node_pool_add_raw(n, raw, len, cond, &hash, detail, sizeof detail);
    if (why) {
        if (detail[0]) return rpc_error_set(err, RPC_SERVER_ERROR, "%s: %s", why, detail);
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    }
    if (n->dev) node_dev_submitted(n, &hash);
    *result = rpc_json_hash(&hash);
    return true;
}

static bool send_raw(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &raw, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bool ok = send_bytes(ctx, raw, len, NULL, result, err);
    free(raw);
    return ok;
}

/* ---- ERC-7796: a send on conditions ------------------------------------------------------------- */

enum { CONDITION_MAX_COST = 1000 }; /* as geth and op-geth */

/* op-geth's TransactionConditional.Cost: a slot or a storage root 1 each,
 * a block number range 1, a timestamp range 1. */
static size_t condition_cost(const json_t *c) {
    size_t cost = 0;
    const char *key;
    const json_t *want, *known = json_object_get(c, "knownAccounts");
    json_object_foreach((json_t *)known, key, want) cost += json_is_object(want) ? json_object_size(want) : 1;
    if (json_object_get(c, "blockNumberMin") || json_object_get(c, "blockNumberMax")) cost++;
    if (json_object_get(c, "timestampMin") || json_object_get(c, "timestampMax")) cost++;
    return cost;
}

/* The conditions {knownAccounts, blockNumberMin/Max, timestampMin/Max}
 * against the head and its state, the ranges also into *ranges (kept with
 * the transaction for the blocks built): NULL when they hold, else why not (with
 * *code the error code: -32003, or -32005 past the cost limit). */
static const char *check_conditions(node_state *st, const json_t *c, txpool_condition *ranges, int *code,
                                    char *why_buf, size_t cap) {
    size_t cost = condition_cost(c); /* op-geth checks it before the conditions */
    if (cost > CONDITION_MAX_COST) {
        *code = RPC_LIMIT_EXCEEDED;
        snprintf(why_buf, cap, "conditional cost, %zu, exceeded max: %d", cost, CONDITION_MAX_COST);
        return why_buf;
    }
    *code = RPC_TRANSACTION_REJECTED;
    static const struct {
        const char *key;
        bool max, time;
    } bounds[] = {{"blockNumberMin", false, false}, {"blockNumberMax", true, false},
                  {"timestampMin", false, true},     {"timestampMax", true, true}};
    uint64_t *into[] = {&ranges->number_min, &ranges->number_max, &ranges->time_min, &ranges->time_max};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        const json_t *v = json_object_get(c, bounds[i].key);
        if (!v || json_is_null(v)) continue;
        uint64_t bound, at = bounds[i].time ? st->header.timestamp : st->number;
        const char *bad = json_is_integer(v) && json_integer_value(v) >= 0
                              ? (bound = (uint64_t)json_integer_value(v), NULL)
                              : rpc_parse_u64(v, &bound);
        if (bad) {
            *code = RPC_INVALID_PARAMS;
            snprintf(why_buf, cap, "%s: %s", bounds[i].key, bad);
            return why_buf;
        }
        *into[i] = bound;
        if (bounds[i].max ? at > bound : at < bound) {
            snprintf(why_buf, cap, "%s condition not met", bounds[i].key);
            return why_buf;
        }
    }
    const json_t *known = json_object_get(c, "knownAccounts");
    if (known && !json_is_null(known) && !json_is_object(known)) {
        *code = RPC_INVALID_PARAMS;
        return "knownAccounts must be an object of address: storage root or {slot: value}";
    }
    const char *key;
    const json_t *want;
    json_object_foreach((json_t *)known, key, want) {
        address a;
        json_t *k = json_string(key);
        const char *bad = rpc_parse_address(k, &a);
        json_decref(k);
        if (bad || (!json_is_string(want) && !json_is_object(want))) {
            *code = RPC_INVALID_PARAMS;
            snprintf(why_buf, cap, "knownAccounts %.42s: %s", key, bad ? bad : "a storage root or {slot: value}");
            return why_buf;
        }
        if (json_is_string(want)) {
            bytes32 root;
            if ((bad = rpc_parse_hash(want, &root))) {
                *code = RPC_INVALID_PARAMS;
                snprintf(why_buf, cap, "knownAccounts %.42s: %s", key, bad);
                return why_buf;
            }
            db_proof p;
            memset(&p, 0, sizeof p);
            const char *e = db_get_proof(st->src, &a, NULL, 0, &p);
            bytes32 have = p.exists ? p.storage_root : EMPTY_TRIE_ROOT;
            db_proof_free(&p);
            if (e) {
                *code = RPC_INTERNAL_ERROR;
                snprintf(why_buf, cap, "store: %s", e);
                return why_buf;
            }
            if (!bytes32_eq(&have, &root)) return "Storage Trie Root Hash condition not met";
            continue;
        }
        const char *slot;
        const json_t *val;
        json_object_foreach((json_t *)want, slot, val) {
            json_t *sj = json_string(slot);
            bytes32 sk, sv;
            bad = rpc_parse_hash(sj, &sk);
            json_decref(sj);
            if (!bad) bad = rpc_parse_hash(val, &sv);
            if (bad) {
                *code = RPC_INVALID_PARAMS;
                snprintf(why_buf, cap, "knownAccounts %.42s slot: %s", key, bad);
                return why_buf;
            }
            u256 k = u256_from_bytes32(&sk), v = u256_from_bytes32(&sv);
            u256 have = st->view.ops->get_storage(st->view.ctx, &a, &k);
            if (!u256_eq(&have, &v)) return "Storage Slot Value condition not met";
        }
    }
    return NULL;
}

/* eth_sendRawTransactionConditional(raw, conditions) (ERC-7796, as
 * geth's and op-geth's): the conditions are checked against the head (its
 * number and timestamp) and its state, then the transaction is sent as by
 * eth_sendRawTransaction; a condition not met is -32003 with its name. */
static bool send_raw_conditional(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 2, err)) return false;
    const json_t *c = rpc_arg(params, 1);
    if (!json_is_object(c)) return rpc_error_invalid_param(err, 1, "conditions must be an object");
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &raw, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    node_read r;
    node_state st;
    txpool_condition ranges = {.number_max = UINT64_MAX, .time_max = UINT64_MAX};
    bool ok = node_read_open(n, &r, err);
    if (ok) {
        rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
        ok = node_state_open(&r, &latest, &st, err);
        if (ok) {
            char buf[160];
            int code;
            why = check_conditions(&st, c, &ranges, &code, buf, sizeof buf);
            if (!why && node_state_failed(&st, err)) ok = false;
            else if (why) ok = rpc_error_set(err, code, "%s", why);
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    if (ok) ok = send_bytes(n, raw, len, &ranges, result, err);
    free(raw);
    return ok;
}

/* ---- EIP-7966: send and wait for the receipt ---------------------------------------------------- */

enum { SYNC_DEFAULT_MS = 20000, SYNC_MAX_MS = 60000, SYNC_POLL_MS = 20 }; /* geth's */

static bool sync_timeout_arg(const json_t *params, size_t i, uint64_t *ms, rpc_error *err) {
    const json_t *v = rpc_arg(params, i);
    *ms = SYNC_DEFAULT_MS;
    if (!v || json_is_null(v)) return true;
    uint64_t t;
    if (json_is_integer(v) && json_integer_value(v) >= 0) t = (uint64_t)json_integer_value(v);
    else {
        const char *why = rpc_parse_u64(v, &t);
        if (why) return rpc_error_invalid_param(err, i, why);
    }
    if (t) *ms = t < SYNC_MAX_MS ? t : SYNC_MAX_MS;
    return true;
}

/* A duration in milliseconds as Go prints it ("20s", "1m0s", "1.5s", "300ms"). */
static void go_duration(uint64_t ms, char *out, size_t cap) {
    if (ms < 1000) snprintf(out, cap, "%" PRIu64 "ms", ms);
    else if (ms < 60000 && ms % 1000) {
        char frac[8];
        snprintf(frac, sizeof frac, "%03" PRIu64, ms % 1000);
        for (int k = 2; k > 0 && frac[k] == '0'; k--) frac[k] = 0;
        snprintf(out, cap, "%" PRIu64 ".%ss", ms / 1000, frac);
    } else if (ms < 60000) snprintf(out, cap, "%" PRIu64 "s", ms / 1000);
    else snprintf(out, cap, "%" PRIu64 "m%" PRIu64 "s", ms / 60000, ms % 60000 / 1000);
}

static bool wait_receipt(node *n, const bytes32 *hash, uint64_t timeout_ms, json_t **result, rpc_error *err) {
    json_t *args = json_pack("[o]", rpc_json_hash(hash));
    if (!args) abort();
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        json_t *rc = NULL;
        if (!rpc_call(n->methods, "eth_getTransactionReceipt", args, &rc, err)) break;
        if (rc) {
            json_decref(args);
            *result = rc;
            return true;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t spent = (uint64_t)(now.tv_sec - start.tv_sec) * 1000 + (uint64_t)(now.tv_nsec / 1000000) -
                         (uint64_t)(start.tv_nsec / 1000000);
        if (spent >= timeout_ms) {
            char d[32];
            go_duration(timeout_ms, d, sizeof d);
            rpc_error_set(err, RPC_TX_SYNC_TIMEOUT,
                          "The transaction was added to the transaction pool but wasn't processed in %s", d);
            err->data = rpc_json_hash(hash);
            break;
        }
        struct timespec pause = {0, SYNC_POLL_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
    json_decref(args);
    return false;
}

bool node_send_sync(node *n, rpc_handler send, const json_t *params, json_t **result, rpc_error *err) {
    uint64_t ms;
    if (!rpc_check_args(params, 1, 2, err) || !sync_timeout_arg(params, 1, &ms, err)) return false;
    json_t *first = json_pack("[O]", rpc_arg(params, 0)), *sent = NULL;
    if (!first) abort();
    bool ok = send(n, first, &sent, err);
    json_decref(first);
    bytes32 hash;
    if (ok && rpc_parse_hash(sent, &hash)) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "no transaction hash");
    json_decref(sent);
    return ok && wait_receipt(n, &hash, ms, result, err);
}

/* eth_sendRawTransactionSync(raw, [timeout ms]) */
static bool send_raw_sync(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return node_send_sync(ctx, send_raw, params, result, err);
}

static bool status(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    size_t pending, queued;
    txpool_counts(n->pool, &pending, &queued);
    json_t *o = json_object();
    json_object_set_new(o, "pending", rpc_json_u64(pending));
    json_object_set_new(o, "queued", rpc_json_u64(queued));
    *result = o;
    return true;
}

typedef struct {
    json_t *pending, *queued;
    bool by_sender;   /* contentFrom: nonce -> tx, no address level */
    bool inspect;     /* txpool_inspect: a summary string per transaction */
} content_ctx;

static json_t *inspect_line(const transaction *tx) {
    char to[43] = "contract creation", value[80], price[80], line[256];
    if (tx->has_to) rpc_address_checksum(&tx->to, to);
    u256_to_dec(&tx->value, value);
    u256_to_dec(tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price, price);
    snprintf(line, sizeof line, "%s: %s wei + %" PRIu64 " gas × %s wei", to, value, tx->gas_limit, price);
    return json_string(line);
}

static bool visit(void *arg, const txpool_tx *t, bool pending) {
    content_ctx *c = arg;
    json_t *group = pending ? c->pending : c->queued, *dst = group;
    if (!c->by_sender) {
        char addr[43];
        rpc_address_checksum(&t->tx.sender, addr);
        dst = json_object_get(group, addr);
        if (!dst) {
            dst = json_object();
            json_object_set_new(group, addr, dst);
        }
    }
    char nonce[24];
    snprintf(nonce, sizeof nonce, "%" PRIu64, t->tx.nonce);
    json_object_set_new(dst, nonce, c->inspect ? inspect_line(&t->tx) : node_json_tx(&t->tx, NULL));
    return true;
}

static bool content_common(node *n, const address *sender, bool inspect, json_t **result) {
    content_ctx c = {json_object(), json_object(), sender != NULL, inspect};
    txpool_each(n->pool, sender, visit, &c);
    json_t *o = json_object();
    json_object_set_new(o, "pending", c.pending);
    json_object_set_new(o, "queued", c.queued);
    *result = o;
    return true;
}

static bool content(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    return content_common(ctx, NULL, false, result);
}

static bool inspect(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    return content_common(ctx, NULL, true, result);
}

static bool content_from(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    address a;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    return content_common(ctx, &a, false, result);
}

/* eth_pendingTransactions: the pool's executable transactions in dev mode
 * (anvil's); outside it, as geth's, only those the node's own accounts
 * sent, and such a node has none. */
static bool collect_pending(void *arg, const txpool_tx *t, bool pending) {
    if (pending) json_array_append_new(arg, node_json_tx(&t->tx, NULL));
    return true;
}

static bool pending_transactions(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    json_t *list = json_array();
    if (n->dev) txpool_each(n->pool, NULL, collect_pending, list);
    *result = list;
    return true;
}

typedef struct {
    bytes32 *h;
    size_t n, cap;
} hash_list;

static bool collect_hash(void *arg, const txpool_tx *t, bool pending) {
    (void)pending;
    hash_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->h = realloc(l->h, l->cap * sizeof *l->h);
        if (!l->h) abort();
    }
    l->h[l->n++] = t->tx.hash;
    return true;
}

void node_pool_drop(node *n, const address *sender) {
    hash_list l = {0};
    txpool_each(n->pool, sender, collect_hash, &l);
    for (size_t i = 0; i < l.n; i++) txpool_remove(n->pool, &l.h[i]);
    free(l.h);
}

/* debug_clearTxpool (geth's): every transaction out of the pool. */
static bool clear_pool(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_pool_drop(ctx, NULL);
    *result = json_null();
    return true;
}

void node_register_pool(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_sendRawTransactionConditional", send_raw_conditional, n);
    rpc_methods_add(m, "eth_pendingTransactions", pending_transactions, n);
    rpc_methods_add(m, "debug_clearTxpool", clear_pool, n);
    rpc_methods_add(m, "eth_sendRawTransaction", send_raw, n);
    rpc_methods_add(m, "eth_sendRawTransactionSync", send_raw_sync, n);
    rpc_methods_add(m, "txpool_status", status, n);
    rpc_methods_add(m, "txpool_content", content, n);
    rpc_methods_add(m, "txpool_contentFrom", content_from, n);
    rpc_methods_add(m, "txpool_inspect", inspect, n);
}
