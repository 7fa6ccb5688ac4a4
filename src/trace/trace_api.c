/* The tracing API of trace.h: geth's TraceConfig and TraceCallConfig
 * decoding, and the drivers of debug_traceTransaction (replay the block up
 * to the transaction, then trace it), debug_traceBlockByNumber/ByHash and
 * debug_traceCall (a call object turned into a transaction run with eth_call
 * rules, after block and state overrides). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include "parevm/hex.h"
#include "trace_internal.h"

#define DEFAULT_GAS_CAP 50000000ULL /* geth's --rpc.gascap default */

/* ---- configs, decoded as Go's encoding/json does ---- */

static bool type_error(char *err, size_t errlen, const char *got, const char *field, const char *type) {
    snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field %s of type %s", got, field, type);
    return false;
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

/* A bool field (null leaves it). */
static bool get_bool(const json_t *v, bool *out, const char *field, char *err, size_t errlen) {
    if (json_is_null(v)) return true;
    if (!json_is_boolean(v)) return type_error(err, errlen, json_kind(v), field, "bool");
    *out = json_is_true(v);
    return true;
}

typedef struct {
    const char *name;
    bool *flag;
} bool_field;

/* Decodes the bool fields of a tracerConfig object (keys case-insensitive,
 * others ignored). */
static bool decode_flags(const json_t *v, const bool_field *fields, size_t n, const char *type, char *err,
                         size_t errlen) {
    if (!v || json_is_null(v)) return true;
    if (!json_is_object(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s", json_kind(v), type);
        return false;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        for (size_t i = 0; i < n; i++) {
            if (strcasecmp(key, fields[i].name)) continue;
            char field[96];
            snprintf(field, sizeof field, "%s.%s", type, fields[i].name);
            if (!get_bool(val, fields[i].flag, field, err, errlen)) return false;
        }
    }
    return true;
}

#define DEFAULT_TIMEOUT_NS 5000000000LL /* geth's defaultTraceTimeout */

/* "timeout" (a string or null, the last of several keys winning): a bad
 * duration is kept as its error for the trace to answer, as geth parses it
 * only when it traces a transaction. */
static void decode_timeout(const json_t *v, trace_config *out) {
    out->timeout_ns = DEFAULT_TIMEOUT_NS;
    out->timeout_error[0] = 0;
    if (json_is_string(v) &&
        !trace_parse_duration(json_string_value(v), &out->timeout_ns, out->timeout_error, sizeof out->timeout_error))
        out->timeout_ns = DEFAULT_TIMEOUT_NS;
}

/* Decodes a TraceConfig's keys into out; other keys go to extra (may be
 * NULL) for TraceCallConfig. */
static bool decode_trace_config(const json_t *v, trace_config *out, const json_t **tracer_config,
                                bool (*extra)(void *arg, const char *key, const json_t *val, char *err, size_t errlen),
                                void *arg, char *err, size_t errlen) {
    const char *key;
    json_t *val;
    const char *tracer = NULL;
    json_object_foreach((json_t *)v, key, val) {
        if (!strcasecmp(key, "disableStack")) {
            if (!get_bool(val, &out->disable_stack, "TraceConfig.disableStack", err, errlen)) return false;
        } else if (!strcasecmp(key, "disableStorage")) {
            if (!get_bool(val, &out->disable_storage, "TraceConfig.disableStorage", err, errlen)) return false;
        } else if (!strcasecmp(key, "enableMemory")) {
            if (!get_bool(val, &out->enable_memory, "TraceConfig.enableMemory", err, errlen)) return false;
        } else if (!strcasecmp(key, "enableReturnData")) {
            if (!get_bool(val, &out->enable_return_data, "TraceConfig.enableReturnData", err, errlen)) return false;
        } else if (!strcasecmp(key, "limit")) {
            if (json_is_null(val)) continue;
            if (!json_is_integer(val)) return type_error(err, errlen, json_kind(val), "TraceConfig.limit", "int");
            out->limit = json_integer_value(val);
        } else if (!strcasecmp(key, "tracer")) {
            if (json_is_null(val)) {
                tracer = NULL;
                continue;
            }
            if (!json_is_string(val)) return type_error(err, errlen, json_kind(val), "TraceConfig.tracer", "string");
            tracer = json_string_value(val);
        } else if (!strcasecmp(key, "timeout")) {
            if (!json_is_null(val) && !json_is_string(val))
                return type_error(err, errlen, json_kind(val), "TraceConfig.timeout", "string");
            decode_timeout(val, out);
        } else if (!strcasecmp(key, "tracerConfig")) {
            *tracer_config = val;
        } else if (extra && !extra(arg, key, val, err, errlen)) {
            return false;
        }
    }
    if (!tracer || !tracer[0]) {
        out->kind = TRACER_STRUCT_LOG;
    } else if (!strcmp(tracer, "callTracer")) {
        out->kind = TRACER_CALL;
    } else if (!strcmp(tracer, "prestateTracer")) {
        out->kind = TRACER_PRESTATE;
    } else if (!strcmp(tracer, "flatCallTracer")) {
        out->kind = TRACER_FLAT_CALL;
    } else if (!strcmp(tracer, "4byteTracer")) {
        out->kind = TRACER_FOUR_BYTE;
    } else if (!strcmp(tracer, "noopTracer")) {
        out->kind = TRACER_NOOP;
    } else if (!strcmp(tracer, "muxTracer")) {
        out->kind = TRACER_MUX;
    } else {
        snprintf(err, errlen, "tracer not found");
        return false;
    }
    return true;
}

bool trace_config_parity(const json_t *types, bool localized, trace_config *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->kind = TRACER_PARITY;
    out->parity_localized = localized;
    if (!json_is_array(types)) {
        snprintf(err, errlen, "trace types must be an array of \"trace\", \"stateDiff\" and \"vmTrace\"");
        return false;
    }
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t) {
        const char *s = json_string_value(t);
        if (s && !strcmp(s, "trace")) {
            out->parity_trace = true;
        } else if (s && !strcmp(s, "stateDiff")) {
            out->parity_state_diff = true;
        } else if (s && !strcmp(s, "vmTrace")) {
            out->parity_vm_trace = true;
        } else {
            snprintf(err, errlen, "unknown trace type%s%.64s%s, expected one of trace, stateDiff, vmTrace",
                     s ? " \"" : "", s ? s : "", s ? "\"" : "");
            return false;
        }
    }
    return true;
}

void trace_config_otterscan(trace_ots_view view, trace_config *out) {
    memset(out, 0, sizeof *out);
    out->kind = TRACER_PARITY;
    out->parity_trace = true;
    out->otterscan = view;
}

void trace_config_opcode_gas(trace_config *out) {
    memset(out, 0, sizeof *out);
    out->kind = TRACER_OPCODE_GAS;
}

static bool decode_tracer_config(trace_config *out, const json_t *tc, char *err, size_t errlen);

/* The kind of a tracer muxTracer may run (geth's native ones), or false. */
static bool mux_kind(const char *name, tracer_kind *kind) {
    static const struct {
        const char *name;
        tracer_kind kind;
    } K[] = {{"callTracer", TRACER_CALL},     {"prestateTracer", TRACER_PRESTATE}, {"flatCallTracer", TRACER_FLAT_CALL},
             {"4byteTracer", TRACER_FOUR_BYTE}, {"noopTracer", TRACER_NOOP},       {"muxTracer", TRACER_MUX}};
    for (size_t i = 0; i < sizeof K / sizeof K[0]; i++)
        if (!strcmp(name, K[i].name)) return *kind = K[i].kind, true;
    return false;
}

bool trace_config_mux_entry(const trace_config *mux, const char *name, const json_t *tc, trace_config *out, char *err,
                            size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!mux_kind(name, &out->kind)) {
        snprintf(err, errlen, "tracer not found");
        return false;
    }
    out->has_timeout = mux->has_timeout;
    out->timeout_ns = mux->timeout_ns;
    memcpy(out->timeout_error, mux->timeout_error, sizeof out->timeout_error);
    return decode_tracer_config(out, tc, err, errlen);
}

static bool decode_tracer_config(trace_config *out, const json_t *tc, char *err, size_t errlen) {
    if (out->kind == TRACER_MUX) {
        if (tc && !json_is_null(tc) && !json_is_object(tc)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type map[string]json.RawMessage",
                     json_kind(tc));
            return false;
        }
        out->mux[0] = 0;
        if (!json_is_object(tc)) return true;
        /* the size first: it also bounds how deep muxTracers nest below */
        char *text = json_dumps(tc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text) abort();
        bool fits = strlen(text) < sizeof out->mux;
        if (fits) memcpy(out->mux, text, strlen(text) + 1);
        else snprintf(err, errlen, "muxTracer config over %zu bytes", sizeof out->mux - 1);
        free(text);
        if (!fits) return false;
        const char *name;
        json_t *sub;
        json_object_foreach((json_t *)tc, name, sub) {
            trace_config c;
            if (!trace_config_mux_entry(out, name, sub, &c, err, errlen)) return false;
        }
        return true;
    }
    if (out->kind == TRACER_CALL) {
        const bool_field f[] = {{"onlyTopCall", &out->only_top_call}, {"withLog", &out->with_log}};
        return decode_flags(tc, f, 2, "native.callTracerConfig", err, errlen);
    }
    if (out->kind == TRACER_FLAT_CALL) {
        const bool_field f[] = {{"convertParityErrors", &out->convert_parity_errors},
                                {"includePrecompiles", &out->include_precompiles}};
        return decode_flags(tc, f, 2, "native.flatCallTracerConfig", err, errlen);
    }
    if (out->kind == TRACER_PRESTATE) {
        const bool_field f[] = {{"diffMode", &out->diff_mode},
                                {"disableCode", &out->disable_code},
                                {"disableStorage", &out->prestate_disable_storage},
                                {"includeEmpty", &out->include_empty}};
        if (!decode_flags(tc, f, 4, "native.PrestateTracerConfig", err, errlen)) return false;
        if (out->diff_mode && out->include_empty) {
            snprintf(err, errlen, "cannot use diffMode with includeEmpty");
            return false;
        }
    }
    return true;
}

static bool parse_config(const json_t *v, trace_config *out,
                         bool (*extra)(void *, const char *, const json_t *, char *, size_t), void *arg, char *err,
                         size_t errlen) {
    memset(out, 0, sizeof *out);
    out->has_timeout = true;
    out->timeout_ns = DEFAULT_TIMEOUT_NS;
    if (!v || json_is_null(v)) return true;
    if (!json_is_object(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type tracers.TraceConfig", json_kind(v));
        return false;
    }
    const json_t *tc = NULL;
    return decode_trace_config(v, out, &tc, extra, arg, err, errlen) && decode_tracer_config(out, tc, err, errlen);
}

bool trace_config_parse(const json_t *v, trace_config *out, char *err, size_t errlen) {
    return parse_config(v, out, NULL, NULL, err, errlen);
}

static bool call_extra(void *arg, const char *key, const json_t *val, char *err, size_t errlen) {
    trace_call_config *c = arg;
    char e[200];
    if (!strcasecmp(key, "stateOverrides")) {
        if (json_is_null(val)) return true;
        rpc_state_override_free(&c->state);
        if (!rpc_parse_state_override(val, &c->state, e, sizeof e)) {
            snprintf(err, errlen, "stateOverrides: %s", e);
            return false;
        }
    } else if (!strcasecmp(key, "blockOverrides")) {
        if (json_is_null(val)) return true;
        if (!rpc_parse_block_override(val, &c->block, e, sizeof e)) {
            snprintf(err, errlen, "blockOverrides: %s", e);
            return false;
        }
        c->has_block = true;
    } else if (!strcasecmp(key, "txIndex")) {
        if (json_is_null(val)) return true;
        const char *why = rpc_parse_u64(val, &c->tx_index);
        if (why || c->tx_index > UINT32_MAX) {
            snprintf(err, errlen, "txIndex: %s", why ? why : "hex number > 32 bits");
            return false;
        }
        c->has_tx_index = true;
    }
    return true;
}

bool trace_call_config_parse(const json_t *v, trace_call_config *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (parse_config(v, &out->trace, call_extra, out, err, errlen)) return true;
    trace_call_config_free(out);
    return false;
}

void trace_call_config_free(trace_call_config *c) {
    rpc_state_override_free(&c->state);
    memset(&c->state, 0, sizeof c->state);
}

/* ---- replaying a block ---- */

static void apply_layer(void *s, const change_set *cs) { trace_state_apply(s, cs); }

/* A block's replay: its layer, executor and running totals. */
typedef struct {
    trace_state *ts;
    executor *ex;
    block_env env;
    uint64_t gas_used, logs;
} replay;

static bool replay_begin(replay *rp, state_view pre, block *b, const block_rules *rules, size_t upto, char *err,
                         size_t errlen) {
    memset(rp, 0, sizeof *rp);
    for (size_t i = 0; i < upto && i < b->n_txs; i++) {
        transaction *tx = &b->txs[i];
        if (!tx->sender_known && !tx_recover_sender(tx, rules->fork >= FORK_HOMESTEAD)) {
            snprintf(err, errlen, "transaction %zu: invalid signature", i);
            return false;
        }
    }
    rp->ts = trace_state_new(pre);
    rp->ex = executor_new();
    rp->env = block_env_of(&b->header, rules);
    block_pre_transactions(rp->ex, rules, b, trace_state_view(rp->ts), trace_state_codes(rp->ts), apply_layer, rp->ts);
    return true;
}

static void replay_free(replay *rp) {
    executor_free(rp->ex);
    trace_state_free(rp->ts);
}

/* Applies the executor's last transaction to the layer and the totals. */
static void replay_commit(replay *rp, const tx_result *res) {
    trace_state_apply(rp->ts, executor_changes(rp->ex));
    size_t n;
    overlay_logs(executor_overlay(rp->ex), &n);
    rp->gas_used += res->gas_used;
    rp->logs += n;
}

/* Executes transaction i untraced. */
static bool replay_tx(replay *rp, block *b, size_t i, char *err, size_t errlen) {
    tx_result res;
    exec_transaction(rp->ex, &rp->env, trace_state_view(rp->ts), trace_state_codes(rp->ts), &b->txs[i], rp->gas_used,
                     &res);
    if (!res.valid) {
        snprintf(err, errlen, "transaction %zu cannot be applied: %s", i, res.error);
        return false;
    }
    replay_commit(rp, &res);
    return true;
}

static json_t *trace_next(const trace_config *cfg, replay *rp, block *b, size_t i, char *err, size_t errlen) {
    tx_result res;
    trace_tx_context where = {.has_block_hash = true, .has_tx_hash = true, .block_hash = b->header.hash,
                              .tx_hash = b->txs[i].hash, .block_number = b->header.number, .tx_index = i};
    json_t *out = trace_tx_at(cfg, rp->ex, &rp->env, trace_state_view(rp->ts), trace_state_codes(rp->ts), &b->txs[i],
                              rp->gas_used, rp->logs, false, &where, &res, err, errlen);
    if (out) replay_commit(rp, &res);
    return out;
}

json_t *trace_transaction(const trace_config *cfg, state_view pre, block *b, const block_rules *rules, size_t index,
                          char *err, size_t errlen) {
    if (index >= b->n_txs) {
        snprintf(err, errlen, "transaction index %zu out of range (block has %zu)", index, b->n_txs);
        return NULL;
    }
    replay rp;
    if (!replay_begin(&rp, pre, b, rules, index + 1, err, errlen)) return NULL;
    json_t *out = NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < index; i++) ok = replay_tx(&rp, b, i, err, errlen);
    if (ok) out = trace_next(cfg, &rp, b, index, err, errlen);
    replay_free(&rp);
    return out;
}

json_t *trace_block(const trace_config *cfg, state_view pre, block *b, const block_rules *rules, char *err,
                    size_t errlen) {
    replay rp;
    if (!replay_begin(&rp, pre, b, rules, b->n_txs, err, errlen)) return NULL;
    json_t *results = trace_take(json_array());
    for (size_t i = 0; i < b->n_txs; i++) {
        json_t *r = trace_next(cfg, &rp, b, i, err, errlen);
        if (!r) {
            json_decref(results);
            results = NULL;
            break;
        }
        json_t *o = trace_take(json_object());
        trace_set(o, "txHash", rpc_json_hash(&b->txs[i].hash));
        trace_set(o, "result", r);
        trace_append(results, o);
    }
    replay_free(&rp);
    return results;
}

/* ---- debug_traceCall ---- */

static void apply_block_override(const rpc_block_override *o, block_env *env, fork_id fork) {
    if (o->has_number) env->number = o->number;
    if (o->has_time) env->timestamp = o->time;
    if (o->has_gas_limit) env->gas_limit = o->gas_limit;
    if (o->has_fee_recipient) env->coinbase = o->fee_recipient;
    if (fork >= FORK_PARIS && o->has_prev_randao) env->prevrandao = u256_from_bytes32(&o->prev_randao);
    if (fork < FORK_PARIS && o->has_difficulty) env->prevrandao = o->difficulty;
    if (o->has_base_fee) env->base_fee = o->base_fee;
    if (o->has_blob_base_fee) env->blob_base_fee = o->blob_base_fee;
}

/* The transaction geth's TransactionArgs.ToMessage makes of a call object
 * (CallDefaults applied); *price gets its effective gas price. Borrows args'
 * buffers except auths (malloc'd: caller frees). */
static bool call_transaction(const rpc_call_args *a, const block_env *env, uint64_t chain_id, uint64_t gas_cap,
                             transaction *tx, u256 *price, char *err, size_t errlen) {
    memset(tx, 0, sizeof *tx);
    if (a->has_chain_id && a->chain_id != chain_id) {
        snprintf(err, errlen, "chainId does not match node's (have=%llu, want=%llu)", (unsigned long long)a->chain_id,
                 (unsigned long long)chain_id);
        return false;
    }
    fork_id fork = env->fork;
    if (!gas_cap) gas_cap = DEFAULT_GAS_CAP;
    tx->gas_limit = a->has_gas && a->gas < gas_cap ? a->gas : gas_cap;
    if (a->has_from) tx->sender = a->from;
    tx->sender_known = true;
    tx->has_to = a->has_to;
    if (a->has_to) tx->to = a->to;
    if (a->has_value) tx->value = a->value;
    tx->data = a->data;
    tx->data_len = a->data_len;
    tx->access_list = a->access_list;
    tx->access_list_len = a->access_list_len;
    tx->blob_hashes = a->blob_hashes;
    tx->n_blob_hashes = a->n_blob_hashes;
    tx->chain_id = chain_id;
    if (a->has_auths) {
        tx->type = TX_SET_CODE;
        tx->auths = calloc(a->n_auths ? a->n_auths : 1, sizeof *tx->auths);
        if (!tx->auths) abort();
        tx->n_auths = a->n_auths;
        for (size_t i = 0; i < a->n_auths; i++) {
            const rpc_authorization *s = &a->auths[i];
            authorization *d = &tx->auths[i];
            d->chain_id = s->chain_id;
            d->addr = s->addr;
            d->nonce = s->nonce;
            /* a y parity beyond a byte can never be valid: keep it invalid */
            d->y_parity = s->y_parity > 1 ? 2 : (uint8_t)s->y_parity;
            d->r = s->r;
            d->s = s->s;
        }
    } else if (a->has_blob_hashes) {
        tx->type = TX_BLOB;
    } else if (fork >= FORK_LONDON) {
        tx->type = TX_DYNAMIC_FEE;
    } else if (a->has_access_list && fork >= FORK_BERLIN) {
        tx->type = TX_ACCESS_LIST;
    }
    tx->has_chain_id = tx->type != TX_LEGACY;
    if (a->has_max_fee_per_blob_gas) tx->max_fee_per_blob_gas = a->max_fee_per_blob_gas;
    if (tx->type >= TX_DYNAMIC_FEE) {
        /* a legacy gasPrice stands for both caps */
        tx->max_fee = a->has_gas_price ? a->gas_price : a->max_fee;
        tx->max_priority_fee = a->has_gas_price ? a->gas_price : a->max_priority_fee;
        *price = U256_ZERO;
        if (!u256_is_zero(&tx->max_fee) || !u256_is_zero(&tx->max_priority_fee)) {
            *price = u256_add(&tx->max_priority_fee, &env->base_fee);
            if (u256_lt(&tx->max_fee, price)) *price = tx->max_fee;
        }
    } else {
        tx->gas_price = a->gas_price;
        *price = tx->gas_price;
    }
    return true;
}

/* The replay a bundle run starts from: the state after b, or before it
 * with b's first tx_index transactions executed. */
static bool bundles_begin(replay *rp, const trace_bundle_context *ctx, state_view state, block *b,
                          const block_rules *rules, char *err, size_t errlen) {
    if (!ctx->has_tx_index) {
        memset(rp, 0, sizeof *rp);
        rp->ts = trace_state_new(state);
        rp->ex = executor_new();
        rp->env = block_env_of(&b->header, rules);
    } else {
        if (ctx->tx_index > b->n_txs) {
            snprintf(err, errlen, "transaction index %llu out of range for block %llu",
                     (unsigned long long)ctx->tx_index, (unsigned long long)b->header.number);
            return false;
        }
        if (!replay_begin(rp, state, b, rules, (size_t)ctx->tx_index, err, errlen)) return false;
        for (size_t i = 0; i < ctx->tx_index; i++)
            if (!replay_tx(rp, b, i, err, errlen)) {
                replay_free(rp);
                return false;
            }
    }
    /* a later block (a bundle's number override, or the next bundle's
     * block) reads b's hash with BLOCKHASH, as in geth and reth */
    trace_state_set_block_hash(rp->ts, b->header.number, &b->header.hash);
    const char *why = ctx->state ? trace_state_override(rp->ts, ctx->state, rules->fork) : NULL;
    if (why) {
        snprintf(err, errlen, "%s", why);
        replay_free(rp);
        return false;
    }
    return true;
}

/* Runs one call of a bundle in env; its changes go to the layer for the
 * calls after it. */
static json_t *bundle_call(replay *rp, const block_env *env, const rpc_call_args *a, const block_rules *rules,
                           uint64_t gas_cap, trace_bundle_fn fn, void *arg, size_t bundle, size_t call, char *err,
                           size_t errlen) {
    transaction tx;
    u256 price;
    block_env call_env = *env;
    if (!call_transaction(a, &call_env, rules->chain_id, gas_cap, &tx, &price, err, errlen)) return NULL;
    /* geth lowers the base fee to 0 for a call that pays nothing */
    if (u256_is_zero(&price)) call_env.base_fee = U256_ZERO;
    if (a->has_blob_hashes && u256_is_zero(&tx.max_fee_per_blob_gas)) call_env.blob_base_fee = U256_ZERO;
    json_t *out = fn(arg, rp->ex, &call_env, trace_state_view(rp->ts), trace_state_codes(rp->ts), &tx, bundle, call,
                     err, errlen);
    free(tx.auths);
    if (out) trace_state_apply(rp->ts, executor_changes(rp->ex));
    return out;
}

json_t *trace_call_bundles(const trace_bundle_context *ctx, const trace_bundle *bundles, size_t n, trace_bundle_fn fn,
                           void *arg, state_view state, block *b, const block_rules *rules, uint64_t gas_cap,
                           char *err, size_t errlen) {
    replay rp;
    if (!bundles_begin(&rp, ctx, state, b, rules, err, errlen)) return NULL;
    block_env base = rp.env;
    json_t *all = trace_take(json_array());
    for (size_t k = 0; k < n && all; k++) {
        const trace_bundle *bd = &bundles[k];
        if (k > 0 && ctx->next_block_per_bundle) {
            base.number++;
            base.timestamp += 12;
        }
        if (bd->n == 0 && ctx->skip_empty_bundles) continue;
        block_env env = base;
        if (bd->block) apply_block_override(bd->block, &env, rules->fork);
        json_t *results = trace_take(json_array());
        for (size_t i = 0; i < bd->n && results; i++) {
            json_t *out = bundle_call(&rp, &env, &bd->calls[i], rules, gas_cap, fn, arg, k, i, err, errlen);
            if (out) {
                trace_append(results, out);
            } else {
                json_decref(results);
                results = NULL;
            }
        }
        if (results) {
            trace_append(all, results);
        } else {
            json_decref(all);
            all = NULL;
        }
    }
    replay_free(&rp);
    return all;
}

/* trace_call_many's calls: each traced with its own tracer or cfg's. */
typedef struct {
    const trace_config *tracers, *common;
} traced_calls;

static json_t *trace_one_call(void *arg, executor *ex, const block_env *env, state_view view, code_store *codes,
                              const transaction *tx, size_t bundle, size_t call, char *err, size_t errlen) {
    (void)bundle;
    const traced_calls *t = arg;
    return trace_tx_on(t->tracers ? &t->tracers[call] : t->common, ex, env, view, codes, tx, 0, 0, true, NULL, err,
                       errlen);
}

json_t *trace_call_many(const trace_call_config *cfg, const trace_config *tracers, const rpc_call_args *args,
                        size_t n, state_view state, block *b, const block_rules *rules, uint64_t gas_cap, char *err,
                        size_t errlen) {
    trace_bundle_context ctx = {.state = &cfg->state, .has_tx_index = cfg->has_tx_index, .tx_index = cfg->tx_index};
    trace_bundle bundle = {.calls = args, .n = n, .block = cfg->has_block ? &cfg->block : NULL};
    traced_calls t = {tracers, &cfg->trace};
    json_t *all = trace_call_bundles(&ctx, &bundle, 1, trace_one_call, &t, state, b, rules, gas_cap, err, errlen);
    if (!all) return NULL;
    json_t *out = json_incref(json_array_get(all, 0));
    json_decref(all);
    return out;
}

json_t *trace_call(const trace_call_config *cfg, state_view state, block *b, const block_rules *rules,
                   const rpc_call_args *args, uint64_t gas_cap, char *err, size_t errlen) {
    json_t *all = trace_call_many(cfg, NULL, args, 1, state, b, rules, gas_cap, err, errlen);
    if (!all) return NULL;
    json_t *out = json_incref(json_array_get(all, 0));
    json_decref(all);
    return out;
}

json_t *trace_signed_transaction(const trace_config *cfg, state_view state, block *b, const block_rules *rules,
                                 transaction *tx, char *err, size_t errlen) {
    if (!tx->sender_known && !tx_recover_sender(tx, rules->fork >= FORK_HOMESTEAD)) {
        snprintf(err, errlen, "invalid transaction signature");
        return NULL;
    }
    trace_state *ts = trace_state_new(state);
    executor *ex = executor_new();
    block_env env = block_env_of(&b->header, rules);
    json_t *out = trace_tx_on(cfg, ex, &env, trace_state_view(ts), trace_state_codes(ts), tx, 0, 0, false, NULL, err,
                              errlen);
    executor_free(ex);
    trace_state_free(ts);
    return out;
}
