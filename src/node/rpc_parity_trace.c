/* Method group: Parity's trace_* namespace as reth serves it (what
 * OpenEthereum, Erigon and reth clients, block explorers and indexers call):
 *   trace_transaction, trace_get, trace_block, trace_filter   localized
 *       flat traces (each with its block and transaction), null for a
 *       transaction that does not exist, reth's "block not found: REF"
 *       (-32001) for a block;
 *   trace_replayTransaction, trace_replayBlockTransactions,
 *   trace_call, trace_callMany, trace_rawTransaction          TraceResults
 *       {output, stateDiff, trace, vmTrace} for the trace types asked
 *       ("trace", "stateDiff", "vmTrace");
 *   trace_transactionOpcodeGas, trace_blockOpcodeGas          reth's count
 *       and gas of each opcode run (trace.h's TRACER_OPCODE_GAS).
 * src/trace builds the results (trace_parity.c, its header says how they
 * differ from geth's flatCallTracer). Blocks before the Merge get reth's
 * "reward" traces (the block's author, then each ommer's) after their
 * transactions' in trace_block and block by block in trace_filter
 * (its mode union by default, alloy's). trace_filter spans at
 * most 100 blocks, as reth. Calls at "pending" run in reth's pending
 * environment (trace_callMany's default; the others' is latest).
 * Everything runs on layers over the request's snapshot: nothing is
 * written. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node_build.h"
#include "node_internal.h"
#include "parevm/hex.h"
#include "parevm/trace.h"

#define TRACE_FILTER_MAX_BLOCKS 100
#define TRACE_CALL_MANY_MAX 10000
/* A request's vmTrace holds every step's memory: a block can make it
 * terabytes. Past this much JSON the request fails ("vmTrace too large")
 * rather than the node running out of memory. */
#define VM_TRACE_MAX_BYTES ((int64_t)256 << 20)

/* The trace types of params[arg]; budget (the caller's, living as long as
 * the request) bounds a vmTrace. */
static bool parse_types(const json_t *params, size_t arg, bool localized, trace_config *cfg, int64_t *budget,
                        rpc_error *err) {
    char why[200];
    if (!trace_config_parity(rpc_arg(params, arg), localized, cfg, why, sizeof why))
        return rpc_error_invalid_param(err, arg, why);
    *budget = VM_TRACE_MAX_BYTES;
    cfg->vm_trace_budget = budget;
    return true;
}

/* The config of trace_transaction, trace_block and trace_filter. */
static void localized_config(trace_config *cfg) {
    json_t *types = json_pack("[s]", "trace");
    char why[128];
    if (!types || !trace_config_parity(types, true, cfg, why, sizeof why)) abort();
    json_decref(types);
}

/* ---- one mined transaction -------------------------------------------------------------- */

/* TraceResults of the mined transaction txh under cfg; *result null when
 * there is no such transaction and missing_is_null (else reth's -32001
 * "transaction not found"). */
static bool replay_one(node *n, const bytes32 *txh, const trace_config *cfg, bool missing_is_null, json_t **result,
                       rpc_error *err) {
    bool found;
    if (!node_trace_mined(n, txh, cfg, &found, result, err)) return false;
    if (found) return true;
    if (!missing_is_null) return rpc_error_set(err, RPC_RESOURCE_NOT_FOUND, "transaction not found");
    *result = json_null();
    return true;
}

/* The "trace" list of a TraceResults (taken), as a new reference. */
static json_t *traces_of(json_t *results) {
    json_t *t = json_incref(json_object_get(results, "trace"));
    json_decref(results);
    return t ? t : json_array();
}

/* The localized traces of mined transaction txh, or null. */
static bool localized_traces(node *n, const bytes32 *txh, json_t **result, rpc_error *err) {
    trace_config cfg;
    localized_config(&cfg);
    if (!replay_one(n, txh, &cfg, true, result, err)) return false;
    if (!json_is_null(*result)) *result = traces_of(*result);
    return true;
}

static bool trace_transaction_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bytes32 txh;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &txh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    return localized_traces(ctx, &txh, result, err);
}

const char *node_parse_count(const json_t *v, uint64_t *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return NULL;
    }
    return rpc_parse_u64(v, out);
}

/* trace_get(hash, [index]): the index-th trace of the transaction; null
 * unless exactly one index is given (reth and Erigon). */
static bool trace_get_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    bytes32 txh;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &txh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    const json_t *indices = rpc_arg(params, 1);
    if (!json_is_array(indices)) return rpc_error_invalid_param(err, 1, "expected an array of indices");
    uint64_t want = 0;
    size_t i;
    json_t *v;
    json_array_foreach(indices, i, v) {
        uint64_t x;
        if (node_parse_count(v, &x)) return rpc_error_invalid_param(err, 1, "an index is not a number");
        if (i == 0) want = x;
    }
    if (json_array_size(indices) != 1) {
        *result = json_null();
        return true;
    }
    if (!localized_traces(ctx, &txh, result, err)) return false;
    if (json_is_null(*result)) return true;
    json_t *t = want < json_array_size(*result) ? json_array_get(*result, (size_t)want) : NULL;
    json_t *one = t ? json_incref(t) : json_null();
    json_decref(*result);
    *result = one;
    return true;
}

static bool trace_replay_transaction_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    bytes32 txh;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &txh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    trace_config cfg;
    int64_t budget;
    if (!parse_types(params, 1, false, &cfg, &budget, err)) return false;
    return replay_one(ctx, &txh, &cfg, false, result, err);
}

/* ---- whole blocks ------------------------------------------------------------------------- */

static json_t *reward_trace(const address *author, const char *kind, const u256 *value, uint64_t number,
                            const bytes32 *hash) {
    json_t *t = json_object(), *a = json_object();
    if (!t || !a) abort();
    json_object_set_new(a, "author", rpc_json_address(author));
    json_object_set_new(a, "rewardType", json_string(kind));
    json_object_set_new(a, "value", rpc_json_u256(value));
    json_object_set_new(t, "action", a);
    json_object_set_new(t, "blockHash", rpc_json_hash(hash));
    json_object_set_new(t, "blockNumber", json_integer((json_int_t)number));
    json_object_set_new(t, "result", json_null());
    json_object_set_new(t, "subtraces", json_integer(0));
    json_object_set_new(t, "traceAddress", json_array());
    json_object_set_new(t, "transactionHash", json_null());
    json_object_set_new(t, "transactionPosition", json_null());
    json_object_set_new(t, "type", json_string("reward"));
    return t;
}

/* Appends reth's reward traces of a block before the Merge to out: the
 * author's (base reward + 1/32 per ommer), then each ommer's. */
static void add_rewards(json_t *out, const block *b, const block_rules *rules) {
    if (u256_is_zero(&rules->block_reward) || b->header.number == 0) return;
    u256 total = block_author_reward(rules, b->n_ommers);
    json_array_append_new(out, reward_trace(&b->header.coinbase, "block", &total, b->header.number, &b->header.hash));
    for (size_t i = 0; i < b->n_ommers; i++) {
        u256 r = chain_ommer_reward(rules->fork, b->header.number, b->ommers[i].number);
        json_array_append_new(out, reward_trace(&b->ommers[i].coinbase, "uncle", &r, b->header.number,
                                                &b->header.hash));
    }
}

bool node_trace_block_replay(node *n, node_read *r, uint64_t number, const bytes32 *hash, const trace_config *cfg,
                             json_t *rewards, json_t **out, rpc_error *err) {
    if (number == 0) {
        *out = json_array();
        return true;
    }
    node_block nb;
    node_state st;
    if (!node_open_replay(r, number, hash, &nb, &st, err)) return false;
    block_rules rules = node_rules(n, &nb.b.header);
    char reason[256] = "";
    json_t *res = trace_block(cfg, st.view, &nb.b, &rules, reason, sizeof reason);
    bool ok = node_trace_finish(res, &st, reason, out, err);
    if (ok && rewards) add_rewards(rewards, &nb.b, &rules);
    node_state_close(&st);
    node_block_free(&nb);
    return ok;
}

/* reth's HeaderNotFound: "block not found: REF" (-32001). */
static bool block_not_found(const rpc_block_ref *ref, rpc_error *err) {
    char t[100];
    node_reth_ref_text(ref, t);
    return rpc_error_set(err, RPC_RESOURCE_NOT_FOUND, "block not found: %s", t);
}

/* Resolves params[0] to a block; *found false for one that does not exist,
 * or reth's "block not found" error where missing_is_error (trace_block and
 * trace_blockOpcodeGas fetch the block first). */
static bool block_arg(node_read *r, const json_t *params, bool missing_is_error, uint64_t *number, bytes32 *hash,
                      bool *found, rpc_error *err) {
    rpc_block_ref ref;
    const char *why = rpc_parse_block_ref(rpc_arg(params, 0), &ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if (!node_resolve(r, &ref, number, hash, found, err)) return false;
    return *found || !missing_is_error || block_not_found(&ref, err);
}

static bool trace_block_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    trace_config cfg;
    localized_config(&cfg);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = block_arg(&r, params, true, &number, &hash, &found, err);
    if (ok) {
        json_t *rewards = json_array(), *per_tx;
        ok = node_trace_block_replay(n, &r, number, &hash, &cfg, rewards, &per_tx, err);
        if (ok) {
            json_t *all = json_array();
            size_t i;
            json_t *e;
            json_array_foreach(per_tx, i, e) json_array_extend(all, json_object_get(json_object_get(e, "result"), "trace"));
            json_array_extend(all, rewards);
            json_decref(per_tx);
            *result = all;
        }
        json_decref(rewards);
    }
    node_read_close(&r);
    return ok;
}

static bool trace_replay_block_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 2, err)) return false;
    trace_config cfg;
    int64_t budget;
    if (!parse_types(params, 1, false, &cfg, &budget, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = block_arg(&r, params, false, &number, &hash, &found, err);
    if (ok && !found) {
        *result = json_null();
    } else if (ok) {
        json_t *per_tx;
        ok = node_trace_block_replay(n, &r, number, &hash, &cfg, NULL, &per_tx, err);
        if (ok) {
            json_t *all = json_array();
            size_t i;
            json_t *e;
            json_array_foreach(per_tx, i, e) {
                json_t *one = json_deep_copy(json_object_get(e, "result"));
                json_object_set(one, "transactionHash", json_object_get(e, "txHash"));
                json_array_append_new(all, one);
            }
            json_decref(per_tx);
            *result = all;
        }
    }
    node_read_close(&r);
    return ok;
}

/* ---- trace_filter ---------------------------------------------------------------------------- */

typedef struct {
    address *v;
    size_t n;
    bool given;
} address_set;

typedef struct {
    bool has_from, has_to, has_hash, intersection;
    rpc_block_ref from, to;
    bytes32 hash;
    address_set from_addr, to_addr;
    bool has_after, has_count;
    uint64_t after, count;
} trace_filter;

static void filter_free(trace_filter *f) {
    free(f->from_addr.v);
    free(f->to_addr.v);
}

static const char *parse_addresses(const json_t *v, address_set *out) {
    if (json_is_null(v)) return NULL;
    if (!json_is_array(v)) return "expected an array of addresses";
    out->given = true;
    out->v = calloc(json_array_size(v) + 1, sizeof *out->v);
    if (!out->v) abort();
    size_t i;
    json_t *a;
    json_array_foreach(v, i, a) {
        const char *why = rpc_parse_address(a, &out->v[out->n++]);
        if (why) return why;
    }
    return NULL;
}

static const char *parse_filter(const json_t *v, trace_filter *f) {
    memset(f, 0, sizeof *f);
    if (!json_is_object(v)) return "expected a filter object";
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        const char *why = NULL;
        if (json_is_null(val)) continue;
        if (!strcmp(key, "fromBlock")) {
            f->has_from = true;
            why = rpc_parse_block_number(val, &f->from);
        } else if (!strcmp(key, "toBlock")) {
            f->has_to = true;
            why = rpc_parse_block_number(val, &f->to);
        } else if (!strcmp(key, "blockHash")) {
            f->has_hash = true;
            why = rpc_parse_hash(val, &f->hash);
        } else if (!strcmp(key, "fromAddress")) {
            why = parse_addresses(val, &f->from_addr);
        } else if (!strcmp(key, "toAddress")) {
            why = parse_addresses(val, &f->to_addr);
        } else if (!strcmp(key, "mode")) {
            const char *m = json_string_value(val);
            if (m && !strcmp(m, "union")) f->intersection = false;
            else if (m && !strcmp(m, "intersection")) f->intersection = true;
            else why = "mode must be \"union\" or \"intersection\"";
        } else if (!strcmp(key, "after")) {
            f->has_after = true;
            why = node_parse_count(val, &f->after);
        } else if (!strcmp(key, "count")) {
            f->has_count = true;
            why = node_parse_count(val, &f->count);
        } else {
            return "unknown field in the filter";
        }
        if (why) return why;
    }
    if (f->has_hash && (f->has_from || f->has_to)) return "blockHash cannot be combined with fromBlock or toBlock";
    return NULL;
}

static bool in_set(const address_set *s, const json_t *addr) {
    if (!s->given || !s->n) return true;
    address a;
    if (!addr || rpc_parse_address(addr, &a)) return false;
    for (size_t i = 0; i < s->n; i++)
        if (!memcmp(s->v[i].b, a.b, 20)) return true;
    return false;
}

static bool set_empty(const address_set *s) { return !s->given || !s->n; }

/* alloy's TraceFilterMatcher: from/to by the trace's kind, empty sets
 * matching everything; union needs one side, intersection both. */
static bool filter_matches(const trace_filter *f, const json_t *t) {
    const char *type = json_string_value(json_object_get(t, "type"));
    const json_t *a = json_object_get(t, "action");
    bool from_ok, to_ok;
    if (type && !strcmp(type, "create")) {
        from_ok = in_set(&f->from_addr, json_object_get(a, "from"));
        const json_t *res = json_object_get(t, "result");
        to_ok = json_is_object(res) ? in_set(&f->to_addr, json_object_get(res, "address")) : set_empty(&f->to_addr);
    } else if (type && !strcmp(type, "suicide")) {
        from_ok = in_set(&f->from_addr, json_object_get(a, "address"));
        to_ok = in_set(&f->to_addr, json_object_get(a, "refundAddress"));
    } else if (type && !strcmp(type, "reward")) {
        from_ok = set_empty(&f->from_addr);
        to_ok = in_set(&f->to_addr, json_object_get(a, "author"));
    } else {
        from_ok = in_set(&f->from_addr, json_object_get(a, "from"));
        to_ok = in_set(&f->to_addr, json_object_get(a, "to"));
    }
    if (f->intersection) return from_ok && to_ok;
    if (set_empty(&f->from_addr)) return to_ok;
    if (set_empty(&f->to_addr)) return from_ok;
    return from_ok || to_ok;
}

/* Appends the matching traces of block (number, hash) to out, then its
 * matching rewards (reth: block by block). */
static bool filter_block(node *n, node_read *r, const trace_filter *f, const trace_config *cfg, uint64_t number,
                         const bytes32 *hash, json_t *out, rpc_error *err) {
    json_t *per_tx, *rw = json_array();
    if (!node_trace_block_replay(n, r, number, hash, cfg, rw, &per_tx, err)) {
        json_decref(rw);
        return false;
    }
    size_t i, k;
    json_t *e, *t;
    json_array_foreach(per_tx, i, e) {
        json_array_foreach(json_object_get(json_object_get(e, "result"), "trace"), k, t) {
            if (filter_matches(f, t)) json_array_append(out, t);
        }
    }
    json_array_foreach(rw, k, t) {
        if (filter_matches(f, t)) json_array_append(out, t);
    }
    json_decref(per_tx);
    json_decref(rw);
    return true;
}

static bool filter_range(node_read *r, const trace_filter *f, uint64_t *start, uint64_t *end, bool *any,
                         bytes32 *hash, rpc_error *err) {
    *any = true;
    if (f->has_hash) {
        rpc_block_ref ref = {.kind = RPC_BLOCK_HASH, .hash = f->hash};
        bool found;
        if (!node_resolve(r, &ref, start, hash, &found, err)) return false;
        *any = found;
        *end = *start;
        return true;
    }
    bool found = true;
    bytes32 h;
    *start = 0;
    /* reth: a block past the head is not found, then the range is checked */
    if (f->has_from && !node_resolve(r, &f->from, start, &h, &found, err)) return false;
    if (!found) return block_not_found(&f->from, err);
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_resolve(r, f->has_to ? &f->to : &latest, end, &h, &found, err)) return false;
    if (!found) return block_not_found(&f->to, err);
    if (*start > *end)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid parameters: fromBlock cannot be greater than toBlock");
    if (*end - *start > TRACE_FILTER_MAX_BLOCKS)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "Block range too large; currently limited to %d blocks",
                             TRACE_FILTER_MAX_BLOCKS);
    return true;
}

static bool trace_filter_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    trace_filter f;
    const char *why = parse_filter(rpc_arg(params, 0), &f);
    if (why) {
        filter_free(&f);
        return rpc_error_invalid_param(err, 0, why);
    }
    trace_config cfg;
    localized_config(&cfg);
    node_read r;
    if (!node_read_open(n, &r, err)) {
        filter_free(&f);
        return false;
    }
    uint64_t start, end;
    bytes32 hash;
    bool any, ok = filter_range(&r, &f, &start, &end, &any, &hash, err);
    json_t *txs = json_array();
    for (uint64_t b = start; ok && any && b <= end; b++) {
        bytes32 h = hash;
        if (!f.has_hash) {
            const char *dbw = db_canonical_hash(r.snap, b, &h);
            if (dbw) {
                ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", dbw);
                break;
            }
        }
        ok = filter_block(n, &r, &f, &cfg, b, &h, txs, err);
    }
    node_read_close(&r);
    if (ok) {
        /* reth: after and count on the traces in order; nothing when after passes them all */
        json_t *page = json_array();
        size_t total = json_array_size(txs), from = !f.has_after ? 0 : f.after < total ? (size_t)f.after : total;
        for (size_t i = from; i < total && (!f.has_count || i - from < f.count); i++)
            json_array_append(page, json_array_get(txs, i));
        *result = page;
    }
    json_decref(txs);
    filter_free(&f);
    return ok;
}

/* ---- calls ------------------------------------------------------------------------------------ */

/* The state after the block named by params[arg] (absent: the tag dflt)
 * and the block whose context the calls run in: that block, or for
 * "pending" reth's pending environment -- the pending block's state and
 * header where there is one (node_state_open builds it), else the head's
 * state in the next block's context (next_evm_env). */
static bool open_call_state(node *n, node_read *r, const json_t *params, size_t arg, rpc_block_kind dflt,
                            node_block *nb, node_state *st, rpc_error *err) {
    rpc_block_ref ref = {.kind = dflt};
    const json_t *v = rpc_arg(params, arg);
    if (v && !json_is_null(v)) {
        const char *why = rpc_parse_block_ref(v, &ref);
        if (why) return rpc_error_invalid_param(err, arg, why);
    }
    uint64_t number;
    bytes32 hash;
    bool found;
    if (!node_resolve(r, &ref, &number, &hash, &found, err)) return false;
    if (!found) return block_not_found(&ref, err); /* reth's evm_env_at */
    const char *why = node_block_load(r, number, &hash, 0, nb);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    bool ok = ref.kind == RPC_BLOCK_PENDING ? node_state_open(r, &ref, st, err) : node_state_at(r, number, &hash, st, err);
    if (!ok) {
        node_block_free(nb);
        return false;
    }
    if (ref.kind == RPC_BLOCK_PENDING)
        nb->b.header = st->pending_block ? st->pending_block->b.header : node_next_header(n, &nb->b.header);
    return true;
}

/* Traces calls[0..n) (with their tracers) in a row after the block
 * params[block_arg] names (absent: the tag dflt); cfg carries the
 * overrides. */
static bool run_calls(node *n, const json_t *params, size_t block_arg, rpc_block_kind dflt,
                      const trace_call_config *cfg, const trace_config *tracers, const rpc_call_args *calls,
                      size_t count, json_t **result, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_block nb;
    node_state st;
    bool ok = open_call_state(n, &r, params, block_arg, dflt, &nb, &st, err);
    if (ok) {
        block_rules rules = node_rules(n, &nb.b.header);
        char reason[256] = "";
        json_t *out = trace_call_many(cfg, tracers, calls, count, st.view, &nb.b, &rules, n->cfg.gas_cap, reason,
                                      sizeof reason);
        ok = node_trace_finish(out, &st, reason, result, err);
        node_state_close(&st);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

/* trace_call(call, types, block?, stateOverrides?, blockOverrides?) */
static bool trace_call_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 5, err)) return false;
    rpc_call_args args;
    char why[256];
    if (!rpc_parse_call_args(rpc_arg(params, 0), &args, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    trace_config tracer;
    int64_t budget;
    if (!parse_types(params, 1, false, &tracer, &budget, err)) {
        rpc_call_args_free(&args);
        return false;
    }
    json_t *ov = json_object();
    if (rpc_arg(params, 3)) json_object_set(ov, "stateOverrides", (json_t *)rpc_arg(params, 3));
    if (rpc_arg(params, 4)) json_object_set(ov, "blockOverrides", (json_t *)rpc_arg(params, 4));
    trace_call_config cfg;
    bool ok = trace_call_config_parse(ov, &cfg, why, sizeof why);
    json_decref(ov);
    if (!ok) {
        rpc_call_args_free(&args);
        return rpc_error_invalid_param(err, rpc_arg(params, 3) ? 3 : 4, why);
    }
    cfg.trace = tracer;
    json_t *all = NULL;
    ok = run_calls(ctx, params, 2, RPC_BLOCK_LATEST, &cfg, NULL, &args, 1, &all, err);
    if (ok) {
        *result = json_incref(json_array_get(all, 0));
        json_decref(all);
    }
    trace_call_config_free(&cfg);
    rpc_call_args_free(&args);
    return ok;
}

/* trace_callMany([[call, types]...], block?) */
static bool trace_call_many_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    const json_t *list = rpc_arg(params, 0);
    if (!json_is_array(list)) return rpc_error_invalid_param(err, 0, "expected an array of [call, traceTypes]");
    size_t count = json_array_size(list);
    /* each call may run up to the gas cap: eth_simulateV1's limit */
    if (count > TRACE_CALL_MANY_MAX)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "too many calls: %zu > %d", count, TRACE_CALL_MANY_MAX);
    rpc_call_args *calls = calloc(count + 1, sizeof *calls);
    trace_config *tracers = calloc(count + 1, sizeof *tracers);
    if (!calls || !tracers) abort();
    size_t parsed = 0;
    bool ok = true;
    char why[256];
    int64_t budget = VM_TRACE_MAX_BYTES;
    for (; parsed < count && ok; parsed++) {
        const json_t *pair = json_array_get(list, parsed);
        if (!json_is_array(pair) || json_array_size(pair) != 2) {
            ok = rpc_error_invalid_param(err, 0, "each entry must be [call, traceTypes]");
            break;
        }
        if (!rpc_parse_call_args(json_array_get(pair, 0), &calls[parsed], why, sizeof why)) {
            ok = rpc_error_invalid_param(err, 0, why);
            break;
        }
        if (!trace_config_parity(json_array_get(pair, 1), false, &tracers[parsed], why, sizeof why)) {
            ok = rpc_error_invalid_param(err, 0, why);
            parsed++;
            break;
        }
        tracers[parsed].vm_trace_budget = &budget; /* one for all the calls */
    }
    if (ok) {
        trace_call_config cfg;
        memset(&cfg, 0, sizeof cfg);
        /* reth's default for a list of calls: pending */
        ok = run_calls(ctx, params, 1, RPC_BLOCK_PENDING, &cfg, tracers, calls, count, result, err);
    }
    for (size_t i = 0; i < parsed; i++) rpc_call_args_free(&calls[i]);
    free(calls);
    free(tracers);
    return ok;
}

/* trace_rawTransaction(raw, types, block?) */
static bool trace_raw_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 3, err)) return false;
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &raw, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    /* reth: the pool's form (a blob transaction with its blobs), its
     * signature recovered (EIP-2's low s) before anything runs */
    if (!len) return rpc_error_set(err, RPC_INVALID_PARAMS, "empty transaction data");
    tx_network net;
    char reason[256] = "";
    bool decoded = tx_decode_network(raw, len, &net, reason, sizeof reason);
    free(raw);
    if (decoded && net.tx.type == TX_BLOB && !net.has_sidecar) {
        tx_network_free(&net);
        decoded = false;
    }
    if (!decoded) return rpc_error_set(err, RPC_INVALID_PARAMS, "failed to decode signed transaction");
    transaction tx = net.tx;
    memset(&net.tx, 0, sizeof net.tx);
    tx_network_free(&net);
    if (!tx_recover_sender(&tx, true)) {
        tx_free(&tx);
        return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid transaction signature");
    }
    trace_config cfg;
    int64_t budget;
    bool ok = parse_types(params, 1, false, &cfg, &budget, err);
    node_read r;
    if (ok) ok = node_read_open(n, &r, err);
    if (ok) {
        node_block nb;
        node_state st;
        ok = open_call_state(n, &r, params, 2, RPC_BLOCK_LATEST, &nb, &st, err);
        if (ok) {
            block_rules rules = node_rules(n, &nb.b.header);
            json_t *out = trace_signed_transaction(&cfg, st.view, &nb.b, &rules, &tx, reason, sizeof reason);
            ok = node_trace_finish(out, &st, reason, result, err);
            node_state_close(&st);
            node_block_free(&nb);
        }
        node_read_close(&r);
    }
    tx_free(&tx);
    return ok;
}

/* ---- reth's opcode gas ---------------------------------------------------------------------- */

/* trace_transactionOpcodeGas(hash): {transactionHash, opcodeGas: [{opcode,
 * count, gasUsed}]} (trace.h's TRACER_OPCODE_GAS); null for a transaction
 * that is not mined. */
static bool opcode_gas_tx_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bytes32 txh;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &txh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    trace_config cfg;
    trace_config_opcode_gas(&cfg);
    bool found;
    json_t *gas = NULL;
    if (!node_trace_mined(ctx, &txh, &cfg, &found, &gas, err)) return false;
    *result = found ? json_pack("{s:o, s:o}", "transactionHash", rpc_json_hash(&txh), "opcodeGas", gas) : json_null();
    return true;
}

/* trace_blockOpcodeGas(block): {blockHash, blockNumber, transactions: [...
 * as trace_transactionOpcodeGas]}; null for a block that does not exist. */
static bool opcode_gas_block_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    trace_config cfg;
    trace_config_opcode_gas(&cfg);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = block_arg(&r, params, true, &number, &hash, &found, err);
    json_t *per_tx = NULL;
    if (ok) ok = node_trace_block_replay(n, &r, number, &hash, &cfg, NULL, &per_tx, err);
    node_read_close(&r);
    if (!ok) return false;
    json_t *txs = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(per_tx, i, e) {
        json_array_append_new(txs, json_pack("{s:O, s:O}", "transactionHash", json_object_get(e, "txHash"), "opcodeGas",
                                             json_object_get(e, "result")));
    }
    json_decref(per_tx);
    *result = json_pack("{s:o, s:I, s:o}", "blockHash", rpc_json_hash(&hash), "blockNumber", (json_int_t)number,
                        "transactions", txs);
    return true;
}

void node_register_parity_trace(node *n, rpc_methods *m) {
    rpc_methods_add(m, "trace_transactionOpcodeGas", opcode_gas_tx_method, n);
    rpc_methods_add(m, "trace_blockOpcodeGas", opcode_gas_block_method, n);
    rpc_methods_add(m, "trace_transaction", trace_transaction_method, n);
    rpc_methods_add(m, "trace_get", trace_get_method, n);
    rpc_methods_add(m, "trace_block", trace_block_method, n);
    rpc_methods_add(m, "trace_filter", trace_filter_method, n);
    rpc_methods_add(m, "trace_replayTransaction", trace_replay_transaction_method, n);
    rpc_methods_add(m, "trace_replayBlockTransactions", trace_replay_block_method, n);
    rpc_methods_add(m, "trace_call", trace_call_method, n);
    rpc_methods_add(m, "trace_callMany", trace_call_many_method, n);
    rpc_methods_add(m, "trace_rawTransaction", trace_raw_method, n);
}
