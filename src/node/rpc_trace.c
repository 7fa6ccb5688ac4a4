/* Method group: geth's tracing API over the store (src/trace does the
 * tracing) -- debug_traceTransaction, debug_traceBlockByNumber,
 * debug_traceBlockByHash, debug_traceBlock (a block's RLP),
 * debug_traceBadBlock (one debug_getBadBlocks lists) and
 * debug_traceCall, with geth's TraceConfig
 * (tracer, tracerConfig, timeout, disableStack, disableStorage, enableMemory,
 * enableReturnData, limit) and TraceCallConfig (stateOverrides,
 * blockOverrides, txIndex).
 *
 * A mined transaction or block is replayed on the state after its parent
 * (the store's historical state, so any retained block can be traced); a
 * call runs on the state after the block named, or before it with txIndex.
 * Everything runs on layers over the request's read snapshot: nothing is
 * written. Errors follow geth's eth/tracers API: "transaction not found",
 * "block #N not found", "block 0x... not found", "genesis is not
 * traceable", "tracer not found", "tracing failed: ...", "execution
 * timeout", Go's "time: invalid duration ..." (-32000); a config that does
 * not decode is -32602. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node_engine.h"
#include "node_internal.h"
#include "parevm/hex.h"
#include "parevm/trace.h"

bool node_trace_config_error(rpc_error *err, size_t arg, const char *why) {
    if (!strcmp(why, "tracer not found") || strstr(why, "diffMode") || strstr(why, "native."))
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    return rpc_error_invalid_param(err, arg, why);
}

static bool parse_trace_config(const json_t *params, size_t arg, trace_config *cfg, rpc_error *err) {
    char why[256];
    if (!trace_config_parse(rpc_arg(params, arg), cfg, why, sizeof why)) return node_trace_config_error(err, arg, why);
    return true;
}

bool node_trace_finish(json_t *out, node_state *st, const char *why, json_t **result, rpc_error *err) {
    if (node_state_failed(st, err)) {
        json_decref(out);
        return false;
    }
    if (!out) return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    *result = out;
    return true;
}

bool node_open_replay(node_read *r, uint64_t number, const bytes32 *hash, node_block *nb, node_state *st,
                        rpc_error *err) {
    if (number == 0) return rpc_error_set(err, RPC_SERVER_ERROR, "genesis is not traceable");
    const char *why = node_block_load(r, number, hash, NODE_LOAD_BODY | NODE_LOAD_SENDERS, nb);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    if (!node_state_at(r, number - 1, &nb->b.header.parent_hash, st, err)) {
        node_block_free(nb);
        return false;
    }
    if ((why = node_dev_layer_edits(r, hash, st))) {
        node_state_close(st);
        node_block_free(nb);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    }
    return true;
}

/* ---- debug_traceTransaction -------------------------------------------------------------- */

bool node_trace_mined(node *n, const bytes32 *txh, const trace_config *cfg, bool *found, json_t **result,
                      rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    uint32_t index;
    bytes32 hash;
    bool ok = false;
    *found = true;
    const char *why = node_tx_location(&r, txh, &number, &index);
    if (why == DB_NOT_FOUND) {
        *found = false;
        ok = true;
    } else if (why || (why = db_canonical_hash(r.snap, number, &hash))) {
        rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    } else {
        node_block nb;
        node_state st;
        if (node_open_replay(&r, number, &hash, &nb, &st, err)) {
            if (index >= nb.b.n_txs || !bytes32_eq(&nb.b.txs[index].hash, txh)) {
                rpc_error_set(err, RPC_INTERNAL_ERROR, "store: transaction index does not match the block");
            } else {
                block_rules rules = node_rules(n, &nb.b.header);
                char reason[256] = "";
                json_t *out = trace_transaction(cfg, st.view, &nb.b, &rules, index, reason, sizeof reason);
                ok = node_trace_finish(out, &st, reason, result, err);
            }
            node_state_close(&st);
            node_block_free(&nb);
        }
    }
    node_read_close(&r);
    return ok;
}

static bool trace_tx(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    bytes32 txh;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &txh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    trace_config cfg;
    if (!parse_trace_config(params, 1, &cfg, err)) return false;
    bool found;
    if (!node_trace_mined(ctx, &txh, &cfg, &found, result, err)) return false;
    return found || rpc_error_set(err, RPC_SERVER_ERROR, "transaction not found");
}

/* ---- debug_traceBlockByNumber / ByHash ----------------------------------------------------- */

bool node_resolve_existing(node_read *r, const rpc_block_ref *ref, uint64_t *number, bytes32 *hash, rpc_error *err) {
    bool found;
    if (!node_resolve(r, ref, number, hash, &found, err)) return false;
    if (found) return true;
    if (ref->kind != RPC_BLOCK_HASH)
        return rpc_error_set(err, RPC_SERVER_ERROR, "block #%" PRIu64 " not found", ref->number);
    char h[67];
    hex_encode(ref->hash.b, 32, h);
    return rpc_error_set(err, RPC_SERVER_ERROR, "block %s not found", h);
}

/* Resolves params[0] (a hash when by_hash, else a number or tag) to an
 * existing block; geth's "not found" errors otherwise. */
static bool resolve_block(node_read *r, const json_t *params, bool by_hash, uint64_t *number, bytes32 *hash,
                          rpc_error *err) {
    rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
    const char *why;
    if (by_hash) why = rpc_parse_hash(rpc_arg(params, 0), &ref.hash);
    else why = rpc_parse_block_number(rpc_arg(params, 0), &ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    return node_resolve_existing(r, &ref, number, hash, err);
}

static bool trace_block_of(node *n, const json_t *params, bool by_hash, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    if (!by_hash && !rpc_arg(params, 0)) return rpc_error_invalid_param(err, 0, "missing block number");
    trace_config cfg;
    if (!parse_trace_config(params, 1, &cfg, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    node_block nb;
    node_state st;
    bool ok = false;
    if (resolve_block(&r, params, by_hash, &number, &hash, err) && node_open_replay(&r, number, &hash, &nb, &st, err)) {
        block_rules rules = node_rules(n, &nb.b.header);
        char reason[256] = "";
        json_t *out = trace_block(&cfg, st.view, &nb.b, &rules, reason, sizeof reason);
        ok = node_trace_finish(out, &st, reason, result, err);
        node_state_close(&st);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

static bool trace_block_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return trace_block_of(ctx, params, false, result, err);
}

static bool trace_block_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return trace_block_of(ctx, params, true, result, err);
}

/* A block given as RLP (not necessarily stored) traced on the state after
 * its parent, which must be a stored block. */
static bool trace_raw_block(node *n, const uint8_t *raw, size_t len, const trace_config *cfg, json_t **result,
                            rpc_error *err) {
    block b;
    char reason[400] = "";
    if (!block_decode(raw, len, &b, reason, sizeof reason))
        return rpc_error_set(err, RPC_SERVER_ERROR, "could not decode block: %s", reason);
    if (b.header.number == 0) {
        block_free(&b);
        return rpc_error_set(err, RPC_SERVER_ERROR, "genesis is not traceable");
    }
    node_read r;
    if (!node_read_open(n, &r, err)) {
        block_free(&b);
        return false;
    }
    rpc_block_ref parent = {.kind = RPC_BLOCK_HASH, .hash = b.header.parent_hash};
    uint64_t number;
    bytes32 hash;
    node_state st;
    bool ok = false;
    if (node_resolve_existing(&r, &parent, &number, &hash, err) && node_state_at(&r, number, &hash, &st, err)) {
        block_rules rules = node_rules(n, &b.header);
        json_t *out = trace_block(cfg, st.view, &b, &rules, reason, sizeof reason);
        ok = node_trace_finish(out, &st, reason, result, err);
        node_state_close(&st);
    }
    node_read_close(&r);
    block_free(&b);
    return ok;
}

/* debug_traceBlock(rlp, config?) */
static bool trace_block_rlp(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &raw, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    trace_config cfg;
    bool ok = parse_trace_config(params, 1, &cfg, err) && trace_raw_block(ctx, raw, len, &cfg, result, err);
    free(raw);
    return ok;
}

/* debug_traceBadBlock(hash, config?): one of the blocks debug_getBadBlocks
 * lists (the Engine API found it invalid), traced as debug_traceBlock
 * traces it: on its parent's state, every transaction until one cannot
 * be applied. */
static bool trace_bad_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 2, err)) return false;
    bytes32 want;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &want);
    if (why) return rpc_error_invalid_param(err, 0, why);
    trace_config cfg;
    if (!parse_trace_config(params, 1, &cfg, err)) return false;
    buf_t raw = {0};
    if (node_engine_bad_block(n, &want, &raw)) {
        bool ok = trace_raw_block(n, raw.data, raw.len, &cfg, result, err);
        buf_free(&raw);
        return ok;
    }
    char hex[67];
    hex_encode(want.b, 32, hex);
    return rpc_error_set(err, RPC_SERVER_ERROR, "bad block %s not found", hex);
}

/* ---- debug_traceCall -------------------------------------------------------------------- */

/* Runs the call of a parsed request on r's snapshot. */
static bool trace_call_in(node *n, node_read *r, const json_t *params, const rpc_call_args *args,
                          const trace_call_config *cfg, json_t **result, rpc_error *err) {
    rpc_block_ref ref;
    const char *why = rpc_parse_block_ref(rpc_arg(params, 1), &ref);
    if (why) return rpc_error_invalid_param(err, 1, why);
    /* geth: trace the next block with block overrides instead */
    if (ref.kind == RPC_BLOCK_PENDING)
        return rpc_error_set(err, RPC_SERVER_ERROR, "tracing on top of pending is not supported");
    uint64_t number;
    bytes32 hash;
    if (!node_resolve_existing(r, &ref, &number, &hash, err)) return false;
    node_block nb;
    node_state st;
    if (cfg->has_tx_index) {
        /* the state before the block; the first txIndex transactions replayed */
        if (number == 0) return rpc_error_set(err, RPC_SERVER_ERROR, "no transaction in genesis");
        if (!node_open_replay(r, number, &hash, &nb, &st, err)) return false;
        /* geth's stateAtTransaction: an index past the last transaction (the
         * end of a block that has some included) is out of range */
        if (cfg->tx_index > nb.b.n_txs || (cfg->tx_index == nb.b.n_txs && nb.b.n_txs > 0)) {
            char h[67];
            hex_encode(hash.b, 32, h);
            node_state_close(&st);
            node_block_free(&nb);
            return rpc_error_set(err, RPC_SERVER_ERROR, "transaction index %" PRIu64 " out of range for block %s",
                                 cfg->tx_index, h);
        }
    } else {
        why = node_block_load(r, number, &hash, 0, &nb);
        if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        if (!node_state_at(r, number, &hash, &st, err)) {
            node_block_free(&nb);
            return false;
        }
    }
    block_rules rules = node_rules(n, &nb.b.header);
    char reason[400] = "";
    json_t *out = trace_call(cfg, st.view, &nb.b, &rules, args, n->cfg.gas_cap, reason, sizeof reason);
    bool ok = node_trace_finish(out, &st, reason, result, err);
    node_state_close(&st);
    node_block_free(&nb);
    return ok;
}

static bool trace_call_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 3, err)) return false;
    rpc_call_args args;
    char why[256];
    if (!rpc_parse_call_args(rpc_arg(params, 0), &args, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    trace_call_config cfg;
    if (!trace_call_config_parse(rpc_arg(params, 2), &cfg, why, sizeof why)) {
        rpc_call_args_free(&args);
        return node_trace_config_error(err, 2, why);
    }
    const char *sim_only = rpc_block_override_simulate_only(json_object_get(rpc_arg(params, 2), "blockOverrides"));
    if (sim_only) {
        trace_call_config_free(&cfg);
        rpc_call_args_free(&args);
        return rpc_error_set(err, RPC_SERVER_ERROR, "block override \"%s\" is not supported for this RPC method",
                             sim_only);
    }
    node_read r;
    bool ok = node_read_open(n, &r, err);
    if (ok) {
        ok = trace_call_in(n, &r, params, &args, &cfg, result, err);
        node_read_close(&r);
    }
    trace_call_config_free(&cfg);
    rpc_call_args_free(&args);
    return ok;
}

void node_register_trace(node *n, rpc_methods *m) {
    rpc_methods_add(m, "debug_traceTransaction", trace_tx, n);
    rpc_methods_add(m, "debug_traceBlockByNumber", trace_block_by_number, n);
    rpc_methods_add(m, "debug_traceBlockByHash", trace_block_by_hash, n);
    rpc_methods_add(m, "debug_traceBlock", trace_block_rlp, n);
    rpc_methods_add(m, "debug_traceBadBlock", trace_bad_block, n);
    rpc_methods_add(m, "debug_traceCall", trace_call_method, n);
}
