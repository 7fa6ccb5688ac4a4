/* parevm trace: geth-format traces (src/trace) of the calls or transactions
 * in JSON request files, one JSON line per file on stdout: what the node's
 * debug_traceCall, debug_traceTransaction and debug_traceBlock* return.
 *
 * A request file:
 *   {"fork": "Prague",                        a fixture network name
 *    "chainId": 1,                            optional (default 1)
 *    "pre": {address: {balance, nonce, code, storage}},   as in state tests
 *    "block": {"number", "timestamp", "gasLimit", "baseFee", "coinbase",
 *              "prevRandao", "difficulty", "excessBlobGas",
 *              "parentBeaconBlockRoot", "parentHash", "hash"},  hex; optional fields
 *    "blockHashes": {"<number>": "0x<hash>"},  optional: for BLOCKHASH (the
 *                                             parent's is "parentHash")
 *    "call": {call object},                   debug_traceCall, or
 *    "transactions": ["0x<raw tx>"...],       the block's transactions:
 *    "txIndex": N,                            debug_traceTransaction of one,
 *                                             debug_traceBlock without it
 *    "config": {TraceConfig / TraceCallConfig},
 *    "traceTypes": ["trace", "stateDiff"],   optional: Parity's results instead
 *                                             (trace_call, trace_replayTransaction,
 *                                             trace_replayBlockTransactions)
 *    "otterscan": "trace" | "operations"}    optional: Otterscan's view in the
 *                                             result's "trace" instead
 *                                             (ots_traceTransaction,
 *                                             ots_getInternalOperations)
 * The state of a call is "pre" (as after the block); transactions run on
 * "pre" as the state before the block. */
#include <stdio.h>
#include <stdlib.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "parevm/trace.h"

static bool opt_field(json_t *o, const char *name, bool (*get)(json_t *, const char *, void *, char *, size_t),
                      void *out, bool *has, char *err, size_t errlen) {
    if (!json_object_get(o, name)) return true;
    if (has) *has = true;
    return get(o, name, out, err, errlen);
}

static bool get_u64(json_t *o, const char *n, void *out, char *e, size_t el) { return json_hex_u64(o, n, out, e, el); }
static bool get_u256(json_t *o, const char *n, void *out, char *e, size_t el) { return json_hex_u256(o, n, out, e, el); }
static bool get_addr(json_t *o, const char *n, void *out, char *e, size_t el) { return json_hex_address(o, n, out, e, el); }
static bool get_b32(json_t *o, const char *n, void *out, char *e, size_t el) { return json_hex_bytes32(o, n, out, e, el); }

static bool load_header(json_t *j, block_header *h, char *err, size_t errlen) {
    memset(h, 0, sizeof *h);
    h->gas_limit = 30000000;
    if (!j) return true;
    if (!json_is_object(j)) {
        snprintf(err, errlen, "field \"block\" is not an object");
        return false;
    }
    char e[200] = "";
    bool ok = opt_field(j, "number", get_u64, &h->number, NULL, e, sizeof e) &&
              opt_field(j, "timestamp", get_u64, &h->timestamp, NULL, e, sizeof e) &&
              opt_field(j, "gasLimit", get_u64, &h->gas_limit, NULL, e, sizeof e) &&
              opt_field(j, "baseFee", get_u256, &h->base_fee, &h->has_base_fee, e, sizeof e) &&
              opt_field(j, "coinbase", get_addr, &h->coinbase, NULL, e, sizeof e) &&
              opt_field(j, "prevRandao", get_b32, &h->mix_hash, NULL, e, sizeof e) &&
              opt_field(j, "difficulty", get_u256, &h->difficulty, NULL, e, sizeof e) &&
              opt_field(j, "excessBlobGas", get_u64, &h->excess_blob_gas, &h->has_blob_gas, e, sizeof e) &&
              opt_field(j, "parentBeaconBlockRoot", get_b32, &h->parent_beacon_root, &h->has_beacon_root, e,
                        sizeof e) &&
              opt_field(j, "parentHash", get_b32, &h->parent_hash, NULL, e, sizeof e) &&
              opt_field(j, "hash", get_b32, &h->hash, NULL, e, sizeof e);
    if (!ok) snprintf(err, errlen, "block: %s", e);
    return ok;
}

static bool load_txs(json_t *list, block *b, char *err, size_t errlen) {
    if (!json_is_array(list)) {
        snprintf(err, errlen, "field \"transactions\" is not an array");
        return false;
    }
    b->n_txs = json_array_size(list);
    b->txs = calloc(b->n_txs ? b->n_txs : 1, sizeof *b->txs);
    if (!b->txs) abort();
    for (size_t i = 0; i < b->n_txs; i++) {
        uint8_t *raw;
        size_t len;
        char e[160];
        if (!json_value_bytes(json_array_get(list, i), &raw, &len)) {
            snprintf(err, errlen, "transactions[%zu] is not hex", i);
            b->n_txs = i;
            return false;
        }
        bool ok = tx_decode(raw, len, &b->txs[i], e, sizeof e);
        free(raw);
        if (!ok) {
            snprintf(err, errlen, "transactions[%zu]: %s", i, e);
            b->n_txs = i;
            return false;
        }
    }
    return true;
}

/* "blockHashes": {"<number>": "0x<hash>"}: what BLOCKHASH returns for them. */
static bool load_block_hashes(json_t *map, mem_state *pre, char *err, size_t errlen) {
    if (!map) return true;
    if (!json_is_object(map)) {
        snprintf(err, errlen, "field \"blockHashes\" is not an object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v) {
        uint64_t n;
        bytes32 h;
        char e[160];
        if (!hex_parse_u64(key, &n) || !json_hex_bytes32(map, key, &h, e, sizeof e)) {
            snprintf(err, errlen, "blockHashes: \"%.40s\" is not a block number with a 32-byte hash", key);
            return false;
        }
        mem_state_set_block_hash(pre, n, &h);
    }
    return true;
}

/* Runs one request; the result or error JSON. */
/* The request's tracer: Parity's trace types when it has "traceTypes"
 * (what trace_call / trace_replayTransaction answer), else its geth
 * "config" (a TraceCallConfig's TraceConfig part for a call). */
static bool tracer_config(json_t *req, trace_config *c, char *err, size_t errlen) {
    json_t *ots = json_object_get(req, "otterscan");
    if (ots) {
        const char *v = json_string_value(ots);
        bool trace = v && !strcmp(v, "trace"), ops = v && !strcmp(v, "operations");
        if (!trace && !ops) {
            snprintf(err, errlen, "\"otterscan\" must be \"trace\" or \"operations\"");
            return false;
        }
        trace_config_otterscan(trace ? TRACE_OTS_TRACE : TRACE_OTS_OPERATIONS, c);
        return true;
    }
    json_t *types = json_object_get(req, "traceTypes");
    if (types) return trace_config_parity(types, false, c, err, errlen);
    return json_object_get(req, "call") ? true : trace_config_parse(json_object_get(req, "config"), c, err, errlen);
}

static json_t *run_request(json_t *req, char *err, size_t errlen) {
    const char *fork = json_string_value(json_object_get(req, "fork"));
    chain_config cfg;
    if (!fork || !chain_config_by_name(fork, &cfg)) {
        snprintf(err, errlen, "field \"fork\" is missing or not a fork name");
        return NULL;
    }
    json_t *cid = json_object_get(req, "chainId");
    if (json_is_integer(cid)) cfg.chain_id = (uint64_t)json_integer_value(cid);
    block b = {0};
    if (!load_header(json_object_get(req, "block"), &b.header, err, errlen)) return NULL;
    block_rules rules = chain_block_rules(&cfg, &b.header, true);
    mem_state *pre = mem_state_new();
    json_t *out = NULL;
    /* BLOCKHASH of the parent, and of older blocks the request lists */
    if (b.header.number > 0) mem_state_set_block_hash(pre, b.header.number - 1, &b.header.parent_hash);
    if (!load_block_hashes(json_object_get(req, "blockHashes"), pre, err, errlen)) {
        mem_state_free(pre);
        return NULL;
    }
    if (json_load_pre_state(json_object_get(req, "pre"), pre, err, errlen)) {
        json_t *call = json_object_get(req, "call"), *txs = json_object_get(req, "transactions");
        if (call) {
            trace_call_config c;
            rpc_call_args args;
            if (trace_call_config_parse(json_object_get(req, "config"), &c, err, errlen)) {
                if (tracer_config(req, &c.trace, err, errlen) && rpc_parse_call_args(call, &args, err, errlen)) {
                    out = trace_call(&c, mem_state_view(pre), &b, &rules, &args, 0, err, errlen);
                    rpc_call_args_free(&args);
                }
                trace_call_config_free(&c);
            }
        } else if (txs) {
            trace_config c;
            json_t *index = json_object_get(req, "txIndex");
            if (load_txs(txs, &b, err, errlen) && tracer_config(req, &c, err, errlen)) {
                if (json_is_integer(index))
                    out = trace_transaction(&c, mem_state_view(pre), &b, &rules, (size_t)json_integer_value(index), err,
                                            errlen);
                else
                    out = trace_block(&c, mem_state_view(pre), &b, &rules, err, errlen);
            }
            for (size_t i = 0; i < b.n_txs; i++) tx_free(&b.txs[i]);
            free(b.txs);
        } else {
            snprintf(err, errlen, "neither \"call\" nor \"transactions\"");
        }
    }
    mem_state_free(pre);
    return out;
}

static int trace_file(const char *path) {
    json_error_t je;
    json_t *req = json_load_file(path, 0, &je);
    char err[512];
    json_t *out = NULL;
    if (!req) snprintf(err, sizeof err, "%s: line %d: %s", path, je.line, je.text);
    else out = run_request(req, err, sizeof err);
    json_decref(req);
    json_t *line = out ? json_pack("{s:o}", "result", out) : json_pack("{s:s}", "error", err);
    char *text = trace_dumps(line);
    printf("%s\n", text);
    free(text);
    json_decref(line);
    return out ? 0 : 1;
}

typedef struct {
    int argc;
    char **argv;
} trace_args;

static int run_all(void *arg) {
    trace_args *a = arg;
    int status = 0;
    for (int i = 1; i < a->argc; i++) status |= trace_file(a->argv[i]);
    return status;
}

int cmd_trace(int argc, char **argv) {
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: parevm trace REQUEST.json...\n"
                        "  each file: {fork, pre, block, call | transactions [+ txIndex], config}, or\n"
                        "  traceTypes [\"trace\", \"stateDiff\", \"vmTrace\"] for Parity's results instead of config,\n"
                        "  or otterscan \"trace\" | \"operations\" for Otterscan's views;\n"
                        "  prints {\"result\": trace} or {\"error\": why} per file (see src/cli/cmd_trace.c)\n");
        return 2;
    }
    trace_args a = {argc, argv};
    return run_on_big_stack(run_all, &a);
}
