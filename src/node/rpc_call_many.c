/* Method group: bundles of calls, as reth (and Erigon) serve them to
 * searchers and simulators --
 *
 *   eth_callMany(bundles, stateContext?, stateOverride?, timeout?)
 *       [[{"value": output} | {"error": reason}...]...]
 *   debug_traceCallMany(bundles, stateContext?, traceCallConfig?)
 *       [[trace...]...]
 *
 * A bundle is {"transactions": [call object...], "blockOverride": {...}?};
 * stateContext is {"blockNumber": block (default latest),
 * "transactionIndex": n (default -1: after the whole block)}. The calls run
 * one after another, each on the state the calls before it left, across
 * bundles too; the state overrides apply once, before the first call. With
 * a transactionIndex n below the block's count the state is the one before
 * the block with its first n transactions executed.
 *
 * As in reth: eth_callMany answers a revert or an exceptional halt in the
 * call's entry ("execution reverted: reason", geth's halt words) but fails
 * the request for a call that is not valid (a nonce or balance rule), naming
 * the bundle and call; a bundle without calls gets no entry. In
 * debug_traceCallMany every bundle after the first runs one block later
 * (number + 1, timestamp + 12), the config's blockOverrides and txIndex are
 * not used (each bundle has its own), and an empty bundle's entry is [].
 * eth_callMany's fourth argument (Erigon's timeout in milliseconds) is
 * accepted and not needed: every call is bounded by the node's gas cap,
 * and a request by 10,000 calls (eth_simulateV1's limit).
 * Nothing is written. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node_internal.h"
#include "node_build.h"
#include "node_call.h"
#include "parevm/trace.h"

/* At most this many calls in one request, as eth_simulateV1 takes: each
 * may run up to the gas cap. */
#define CALL_MANY_MAX_CALLS 10000

/* The parsed bundles, owning their call objects and overrides. */
typedef struct {
    trace_bundle *bundles;
    rpc_call_args *calls;       /* all bundles' calls, in order */
    rpc_block_override *blocks; /* one per bundle (used where it has one) */
    size_t n, n_calls;
} bundle_list;

static void bundles_free(bundle_list *l) {
    for (size_t i = 0; i < l->n_calls; i++) rpc_call_args_free(&l->calls[i]);
    free(l->bundles);
    free(l->calls);
    free(l->blocks);
    memset(l, 0, sizeof *l);
}

static bool bundle_error(rpc_error *err, size_t k, const char *why) {
    char msg[400];
    snprintf(msg, sizeof msg, "bundle %zu: %s", k, why);
    return rpc_error_invalid_param(err, 0, msg);
}

/* params[0]: a non-empty array of {"transactions": [...], "blockOverride"}. */
static bool parse_bundles(const json_t *v, bundle_list *l, rpc_error *err) {
    memset(l, 0, sizeof *l);
    if (!json_is_array(v)) return rpc_error_invalid_param(err, 0, "expected an array of bundles");
    if (json_array_size(v) == 0) return rpc_error_set(err, RPC_INVALID_PARAMS, "bundles are empty.");
    size_t total = 0;
    for (size_t k = 0; k < json_array_size(v); k++) {
        const json_t *b = json_array_get(v, k), *txs = json_object_get(b, "transactions");
        if (!json_is_object(b)) return bundle_error(err, k, "expected an object");
        if (!json_is_array(txs)) return bundle_error(err, k, "missing field `transactions` (an array of calls)");
        total += json_array_size(txs);
    }
    if (total > CALL_MANY_MAX_CALLS)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "too many calls: %zu > %d", total, CALL_MANY_MAX_CALLS);
    l->n = json_array_size(v);
    l->bundles = calloc(l->n, sizeof *l->bundles);
    l->blocks = calloc(l->n, sizeof *l->blocks);
    l->calls = calloc(total + 1, sizeof *l->calls);
    if (!l->bundles || !l->blocks || !l->calls) abort();
    char why[256];
    for (size_t k = 0; k < l->n; k++) {
        const json_t *b = json_array_get(v, k), *txs = json_object_get(b, "transactions"),
                     *bo = json_object_get(b, "blockOverride");
        trace_bundle *bd = &l->bundles[k];
        bd->calls = l->calls + l->n_calls;
        if (bo && !json_is_null(bo)) {
            if (!rpc_parse_block_override(bo, &l->blocks[k], why, sizeof why)) return bundle_error(err, k, why);
            bd->block = &l->blocks[k];
        }
        for (size_t i = 0; i < json_array_size(txs); i++) {
            if (!rpc_parse_call_args(json_array_get(txs, i), &l->calls[l->n_calls], why, sizeof why)) {
                char msg[300];
                snprintf(msg, sizeof msg, "transaction %zu: %s", i, why);
                return bundle_error(err, k, msg);
            }
            l->n_calls++;
            bd->n++;
        }
    }
    return true;
}

/* params[1]: {"blockNumber", "transactionIndex"} (null or absent: the
 * latest block, after all its transactions). *index is -1 for "all". */
static bool parse_context(const json_t *v, rpc_block_ref *ref, int64_t *index, rpc_error *err) {
    *ref = (rpc_block_ref){.kind = RPC_BLOCK_LATEST};
    *index = -1;
    if (!v || json_is_null(v)) return true;
    if (!json_is_object(v)) return rpc_error_invalid_param(err, 1, "expected a state context object");
    const json_t *bn = json_object_get(v, "blockNumber"), *ti = json_object_get(v, "transactionIndex");
    const char *why;
    if (bn && !json_is_null(bn) && (why = rpc_parse_block_ref(bn, ref))) return rpc_error_invalid_param(err, 1, why);
    if (!ti || json_is_null(ti)) return true;
    uint64_t u;
    if (json_is_integer(ti) && json_integer_value(ti) == -1) return true;
    if (json_is_integer(ti) && json_integer_value(ti) >= 0) {
        *index = json_integer_value(ti);
    } else if (json_is_string(ti) && !rpc_parse_u64(ti, &u) && u <= INT64_MAX) {
        *index = (int64_t)u;
    } else {
        return rpc_error_invalid_param(err, 1, "transactionIndex: expected -1 or a transaction index");
    }
    return true;
}

/* The block the context names, with the state the bundles start from: the
 * state before the block when only its first `index` transactions are to
 * run (ctx gets that index), else the state after it. */
static bool open_context(node_read *r, const rpc_block_ref *ref, int64_t index, node_block *nb, node_state *st,
                         trace_bundle_context *ctx, rpc_error *err) {
    uint64_t number;
    bytes32 hash;
    if (!node_resolve_existing(r, ref, &number, &hash, err)) return false;
    const char *why = node_block_load(r, number, &hash, NODE_LOAD_BODY | NODE_LOAD_SENDERS, nb);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    if (index >= 0 && (uint64_t)index < nb->b.n_txs) {
        ctx->has_tx_index = true;
        ctx->tx_index = (uint64_t)index;
        /* number > 0: genesis has no transactions to stop before */
        if (node_state_at(r, number - 1, &nb->b.header.parent_hash, st, err)) {
            if (!(why = node_dev_layer_edits(r, &hash, st))) return true;
            node_state_close(st);
            rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        }
    } else if (node_state_at(r, number, &hash, st, err)) {
        return true;
    }
    node_block_free(nb);
    return false;
}

/* Opens the context of params[1], runs the bundles with fn and finishes
 * as the tracing methods do. */
static bool run_bundles(node *n, const json_t *params, trace_bundle_context *ctx, const bundle_list *l,
                        trace_bundle_fn fn, void *arg, json_t **result, rpc_error *err) {
    rpc_block_ref ref;
    int64_t index;
    if (!parse_context(rpc_arg(params, 1), &ref, &index, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    if (ref.kind == RPC_BLOCK_PENDING) {
        /* reth: the pending block, its first `index` transactions (all by
         * default) replayed on the head's state, in its environment */
        node_pending_view pv;
        bool built, ok = node_pending_view_open(&r, &pv, &built, err);
        if (ok && built) {
            size_t count = pv.p.b.n_txs;
            ctx->has_tx_index = true;
            ctx->tx_index = index >= 0 && (uint64_t)index < count ? (uint64_t)index : count;
            block_rules rules = node_rules(n, &pv.p.b.header);
            char reason[512] = "";
            json_t *out = trace_call_bundles(ctx, l->bundles, l->n, fn, arg, pv.st.view, &pv.p.b, &rules,
                                             n->cfg.gas_cap, reason, sizeof reason);
            ok = node_trace_finish(out, &pv.st, reason, result, err);
            node_pending_view_close(&pv);
        }
        if (!ok || built) {
            node_read_close(&r);
            return ok;
        }
    }
    node_block nb;
    node_state st;
    bool ok = open_context(&r, &ref, index, &nb, &st, ctx, err);
    if (ok) {
        block_rules rules = node_rules(n, &nb.b.header);
        char reason[512] = "";
        json_t *out = trace_call_bundles(ctx, l->bundles, l->n, fn, arg, st.view, &nb.b, &rules, n->cfg.gas_cap,
                                         reason, sizeof reason);
        ok = node_trace_finish(out, &st, reason, result, err);
        node_state_close(&st);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

/* ---- eth_callMany ---------------------------------------------------------------------------- */

/* One call's entry: {"value"} when it succeeded, {"error"} when it
 * reverted or halted; NULL (the request fails) when it is not valid. */
static json_t *call_entry(void *arg, executor *ex, const block_env *env, state_view view, code_store *codes,
                          const transaction *tx, size_t bundle, size_t call, char *err, size_t errlen) {
    (void)arg;
    tx_result res;
    exec_call(ex, env, view, codes, tx, &res);
    if (!res.valid) {
        char why[400];
        node_call_invalid_message(view, env, tx, res.error ? res.error : "invalid call", why, sizeof why);
        snprintf(err, errlen, "call many error in bundle %zu and transaction %zu: %s", bundle, call, why);
        return NULL;
    }
    json_t *entry = json_object();
    if (!entry) abort();
    if (res.status == EVM_SUCCESS) {
        json_object_set_new(entry, "value", rpc_json_data(res.output, res.output_size));
    } else if (res.status == EVM_REVERT) {
        rpc_error e;
        memset(&e, 0, sizeof e);
        rpc_error_revert(&e, res.output, res.output_size);
        json_object_set_new(entry, "error", json_string(e.message));
        rpc_error_clear(&e);
    } else {
        /* re-runs the call traced for geth's words; ex keeps the same changes */
        char why[160];
        json_object_set_new(entry, "error",
                            json_string(node_halt_error(ex, env, view, codes, tx, NULL, res.status, why, sizeof why)));
    }
    return entry;
}

static bool eth_call_many(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 4, err)) return false;
    const json_t *timeout = rpc_arg(params, 3);
    if (timeout && !json_is_null(timeout) && !json_is_integer(timeout))
        return rpc_error_invalid_param(err, 3, "expected a timeout in milliseconds");
    bundle_list l;
    if (!parse_bundles(rpc_arg(params, 0), &l, err)) {
        bundles_free(&l);
        return false;
    }
    rpc_state_override ov;
    memset(&ov, 0, sizeof ov);
    char why[256];
    const json_t *o = rpc_arg(params, 2);
    bool ok = true;
    if (o && !json_is_null(o) && !rpc_parse_state_override(o, &ov, why, sizeof why))
        ok = rpc_error_invalid_param(err, 2, why);
    if (ok) {
        trace_bundle_context bc = {.state = &ov, .skip_empty_bundles = true};
        ok = run_bundles(ctx, params, &bc, &l, call_entry, NULL, result, err);
    }
    rpc_state_override_free(&ov);
    bundles_free(&l);
    return ok;
}

/* ---- debug_traceCallMany --------------------------------------------------------------------- */

static json_t *trace_entry(void *arg, executor *ex, const block_env *env, state_view view, code_store *codes,
                           const transaction *tx, size_t bundle, size_t call, char *err, size_t errlen) {
    (void)bundle;
    (void)call;
    return trace_tx_on(arg, ex, env, view, codes, tx, 0, 0, true, NULL, err, errlen);
}

static bool debug_trace_call_many(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 3, err)) return false;
    bundle_list l;
    if (!parse_bundles(rpc_arg(params, 0), &l, err)) {
        bundles_free(&l);
        return false;
    }
    trace_call_config cfg;
    char why[256];
    if (!trace_call_config_parse(rpc_arg(params, 2), &cfg, why, sizeof why)) {
        bundles_free(&l);
        return node_trace_config_error(err, 2, why);
    }
    trace_bundle_context bc = {.state = &cfg.state, .next_block_per_bundle = true};
    bool ok = run_bundles(ctx, params, &bc, &l, trace_entry, &cfg.trace, result, err);
    trace_call_config_free(&cfg);
    bundles_free(&l);
    return ok;
}

void node_register_call_many(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_callMany", eth_call_many, n);
    rpc_methods_add(m, "debug_traceCallMany", debug_trace_call_many, n);
}
