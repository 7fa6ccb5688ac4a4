/* Method group: Flashbots' eth_callBundle, as reth serves it.
 *
 * eth_callBundle({txs, blockNumber, stateBlockNumber, timestamp, coinbase,
 * gasLimit, difficulty, baseFee, timeout}): the signed transactions txs run
 * in a row, each on the state the ones before left, as transactions of a
 * block numbered blockNumber on the state after stateBlockNumber (a number
 * or tag; at "pending" the state block is the pending block, or the next
 * block's header over the latest state, as reth's evm_env_at gives it).
 * The block's environment is the state block's, with its number
 * replaced, its timestamp 12 seconds later (or `timestamp`), and coinbase,
 * gasLimit (at most the node's gas cap, which is also the default),
 * difficulty and baseFee when given. Nothing is written.
 *
 * The answer, in Flashbots' form (amounts as decimal strings): per
 * transaction its gas, its effective tip as gasPrice, gasFees (gas used
 * times that tip), coinbaseDiff (what the coinbase's balance gained) and
 * ethSentToCoinbase (that less the fees), and value (the returned data)
 * or revert (the revert data, empty for another failure); for the bundle
 * the totals, bundleGasPrice (coinbaseDiff / totalGasUsed) and bundleHash
 * (keccak of the transactions' hashes, concatenated). A transaction that
 * is not valid there (nonce, balance, fee cap...) fails the call with its
 * reason. A blob transaction may come with or without its blobs; the
 * blobs themselves are not checked. */
#include <stdlib.h>
#include <string.h>
#include "node_build.h"
#include "node_call.h"
#include "parevm/keccak.h"
#include "parevm/txpool.h"

enum { MAX_BUNDLE_TXS = 10000 };

typedef struct {
    transaction *txs;
    size_t n;
    uint64_t number;
    rpc_block_override bo;   /* number, time, coinbase, gas limit, difficulty, base fee */
    bool has_time;
    json_t *state_ref;       /* [stateBlockNumber] for node_call_begin */
} bundle;

static void bundle_free(bundle *b) {
    for (size_t i = 0; i < b->n; i++) tx_free(&b->txs[i]);
    free(b->txs);
    json_decref(b->state_ref);
}

/* A number as the bundle's fields come: a JSON number or a hex quantity. */
static const char *u64_field(const json_t *v, uint64_t *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return NULL;
    }
    return rpc_parse_u64(v, out);
}

static const char *u256_field(const json_t *v, u256 *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return NULL;
    }
    return rpc_parse_u256(v, out);
}

/* One raw transaction, sender recovered; its blobs, if sent, dropped. */
static bool decode_tx(const json_t *v, size_t i, transaction *out, rpc_error *err) {
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(v, &raw, &len);
    if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "txs[%zu]: %s", i, why);
    tx_network net;
    char detail[128] = "";
    bool ok = tx_decode_network(raw, len, &net, detail, sizeof detail);
    free(raw);
    if (!ok) return rpc_error_set(err, RPC_INVALID_PARAMS, "txs[%zu]: failed to decode signed transaction: %s", i, detail);
    *out = net.tx;
    memset(&net.tx, 0, sizeof net.tx);
    tx_network_free(&net);
    if (!tx_recover_sender(out, true)) return rpc_error_set(err, RPC_INVALID_PARAMS, "txs[%zu]: invalid signature", i);
    return true;
}

static bool parse_bundle(const json_t *v, bundle *b, rpc_error *err) {
    memset(b, 0, sizeof *b);
    if (!json_is_object(v)) return rpc_error_invalid_param(err, 0, "expected a bundle object");
    const json_t *txs = json_object_get(v, "txs");
    if (txs && !json_is_array(txs)) return rpc_error_invalid_param(err, 0, "txs: expected a list of raw transactions");
    if (!json_array_size(txs)) return rpc_error_set(err, RPC_INVALID_PARAMS, "bundle missing txs");
    if (json_array_size(txs) > MAX_BUNDLE_TXS) return rpc_error_set(err, RPC_INVALID_PARAMS, "too many txs (at most 10000)");
    const json_t *num = json_object_get(v, "blockNumber");
    if (num && !json_is_null(num) && u64_field(num, &b->number))
        return rpc_error_invalid_param(err, 0, "blockNumber: expected a hex quantity");
    if (!b->number) return rpc_error_set(err, RPC_INVALID_PARAMS, "bundle missing blockNumber");
    b->bo.has_number = true;
    b->bo.number = b->number;
    const json_t *f;
    const char *why;
    if ((f = json_object_get(v, "timestamp")) && !json_is_null(f)) {
        if ((why = u64_field(f, &b->bo.time))) return rpc_error_invalid_param(err, 0, "timestamp: expected a number");
        b->bo.has_time = b->has_time = true;
    }
    if ((f = json_object_get(v, "coinbase")) && !json_is_null(f)) {
        if ((why = rpc_parse_address(f, &b->bo.fee_recipient))) return rpc_error_invalid_param(err, 0, "coinbase: expected an address");
        b->bo.has_fee_recipient = true;
    }
    if ((f = json_object_get(v, "gasLimit")) && !json_is_null(f)) {
        if ((why = u64_field(f, &b->bo.gas_limit))) return rpc_error_invalid_param(err, 0, "gasLimit: expected a number");
        b->bo.has_gas_limit = true;
    }
    if ((f = json_object_get(v, "difficulty")) && !json_is_null(f)) {
        if (u256_field(f, &b->bo.difficulty)) return rpc_error_invalid_param(err, 0, "difficulty: expected a number");
        b->bo.has_difficulty = true;
    }
    if ((f = json_object_get(v, "baseFee")) && !json_is_null(f)) {
        if (u256_field(f, &b->bo.base_fee)) return rpc_error_invalid_param(err, 0, "baseFee: expected a number");
        b->bo.has_base_fee = true;
    }
    const json_t *state = json_object_get(v, "stateBlockNumber");
    b->state_ref = state && !json_is_null(state) ? json_pack("[O]", state) : json_pack("[s]", "latest");
    if (!b->state_ref) abort();
    b->txs = calloc(json_array_size(txs), sizeof *b->txs);
    if (!b->txs) abort();
    for (size_t i = 0; i < json_array_size(txs); i++) {
        if (!decode_tx(json_array_get(txs, i), i, &b->txs[i], err)) return false;
        b->n = i + 1;
    }
    return true;
}

/* A U256 as Flashbots writes amounts: a decimal string. */
static json_t *amount(const u256 *v) {
    char dec[80];
    u256_to_dec(v, dec);
    return json_string(dec);
}

static void put(json_t *o, const char *key, json_t *v) {
    if (!v || json_object_set_new(o, key, v)) abort();
}

static u256 coinbase_balance(state_view view, const address *coinbase) {
    account_info info;
    view.ops->get_account(view.ctx, coinbase, FIELD_BALANCE, &info);
    return info.balance;
}

static u256 sub_or_zero(const u256 *a, const u256 *b) { return u256_lt(a, b) ? U256_ZERO : u256_sub(a, b); }

/* Runs b's transactions on c's state (the state block's header sh); the
 * answer or err. */
static bool run_bundle(node_call *c, const block_header *sh, const bundle *b, json_t **result, rpc_error *err) {
    block_state *bs = block_state_new(c->view, c->codes);
    block_env env = c->env;
    u256 initial = coinbase_balance(c->view, &env.coinbase), before = initial, total_fees = U256_ZERO;
    uint64_t total_gas = 0;
    uint8_t *hashes = malloc(32 * b->n);
    json_t *results = json_array();
    if (!hashes || !results) abort();
    bool ok = true;
    for (size_t i = 0; i < b->n && ok; i++) {
        const transaction *tx = &b->txs[i];
        memcpy(hashes + 32 * i, tx->hash.b, 32);
        state_view view = block_state_view(bs);
        tx_result res;
        exec_transaction(c->ex, &env, view, c->codes, tx, total_gas, &res);
        if (!res.valid) {
            char buf[400];
            ok = rpc_error_set(err, RPC_SERVER_ERROR, "transaction %zu: %s", i,
                               node_call_invalid_message(view, &env, tx, res.error ? res.error : "invalid", buf,
                                                         sizeof buf));
            break;
        }
        block_state_apply(bs, executor_changes(c->ex));
        env.blob_gas_used += res.blob_gas_used;
        total_gas += res.gas_used;
        u256 tip = U256_ZERO, gas = u256_from_u64(res.gas_used);
        if (!txpool_effective_tip(tx, &env.base_fee, &tip)) tip = U256_ZERO;
        u256 fees = u256_mul(&gas, &tip), after = coinbase_balance(block_state_view(bs), &env.coinbase);
        u256 diff = sub_or_zero(&after, &before), sent = sub_or_zero(&diff, &fees);
        total_fees = u256_add(&total_fees, &fees);
        before = after;
        json_t *r = json_object();
        if (!r) abort();
        put(r, "coinbaseDiff", amount(&diff));
        put(r, "ethSentToCoinbase", amount(&sent));
        put(r, "fromAddress", rpc_json_address(&tx->sender));
        put(r, "gasFees", amount(&fees));
        put(r, "gasPrice", amount(&tip));
        put(r, "gasUsed", json_integer((json_int_t)res.gas_used));
        put(r, "toAddress", tx->has_to ? rpc_json_address(&tx->to) : json_null());
        put(r, "txHash", rpc_json_hash(&tx->hash));
        put(r, res.status == EVM_SUCCESS ? "value" : "revert",
            rpc_json_data(res.status == EVM_SUCCESS || res.status == EVM_REVERT ? res.output : NULL,
                          res.status == EVM_SUCCESS || res.status == EVM_REVERT ? res.output_size : 0));
        if (json_array_append_new(results, r)) abort();
    }
    if (ok) {
        u256 diff = sub_or_zero(&before, &initial), sent = sub_or_zero(&diff, &total_fees);
        u256 gas = u256_from_u64(total_gas), price = total_gas ? u256_div(&diff, &gas) : U256_ZERO;
        bytes32 bundle_hash = keccak256_hash(hashes, 32 * b->n);
        json_t *o = json_object();
        if (!o) abort();
        put(o, "bundleGasPrice", amount(&price));
        put(o, "bundleHash", rpc_json_hash(&bundle_hash));
        put(o, "coinbaseDiff", amount(&diff));
        put(o, "ethSentToCoinbase", amount(&sent));
        put(o, "gasFees", amount(&total_fees));
        put(o, "results", json_incref(results));
        put(o, "stateBlockNumber", json_integer((json_int_t)sh->number));
        put(o, "totalGasUsed", json_integer((json_int_t)total_gas));
        *result = o;
    }
    json_decref(results);
    free(hashes);
    block_state_free(bs);
    return ok;
}

static bool call_bundle(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bundle b;
    bool ok = parse_bundle(rpc_arg(params, 0), &b, err);
    uint64_t cap = n->cfg.gas_cap ? n->cfg.gas_cap : 50000000;
    if (ok && b.bo.has_gas_limit && b.bo.gas_limit > cap) ok = rpc_error_set(err, RPC_SERVER_ERROR, "intrinsic gas too high");
    if (ok && !b.bo.has_gas_limit) b.bo.has_gas_limit = true, b.bo.gas_limit = cap;
    node_read r;
    node_call c;
    if (ok && (ok = node_read_open(n, &r, err))) {
        if ((ok = node_call_begin(n, &r, b.state_ref, 0, NULL, &b.bo, &c, err))) {
            /* at "pending" the state block is the pending one, or the next
             * block's header over the latest state (reth's evm_env_at) */
            block_header next = c.st.pending && !c.st.pending_block ? node_next_header(n, &c.st.header) : c.st.header;
            const block_header *sh = c.st.pending_block ? &c.st.pending_block->b.header : &next;
            if (!b.has_time) c.env.timestamp = sh->timestamp + 12;
            ok = run_bundle(&c, sh, &b, result, err);
            if (ok && node_state_failed(&c.st, err)) {
                json_decref(*result);
                *result = NULL;
                ok = false;
            }
            node_call_end(&c);
        }
        node_read_close(&r);
    }
    bundle_free(&b);
    return ok;
}

void node_register_call_bundle(node *n, rpc_methods *m) { rpc_methods_add(m, "eth_callBundle", call_bundle, n); }
