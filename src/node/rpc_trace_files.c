/* Method group: geth's debug_standardTraceBlockToFile(blockHash, config?)
 * and debug_standardTraceBadBlockToFile(blockHash, config?). The block is
 * replayed on its parent's state as debug_traceBlock replays it (its system
 * calls first, untraced; a dev block with the edits it folded in), and each
 * transaction's EIP-3155 trace (trace_json.h: the lines of `parevm
 * statetest --trace` and geth's `evm --json`, then the summary line) goes
 * to a new file in the temporary directory ($TMPDIR, else /tmp), named as
 * geth names them: block_0x<the block hash's first 4 bytes>-<index>-0x<the
 * transaction hash's first 4 bytes>-<random>. The answer lists the files.
 *
 * config, geth's StdTraceConfig: txHash (that transaction alone: the replay
 * stops after it; one the block lacks is refused, "transaction 0x... not
 * found in block"), enableMemory, disableStack and enableReturnData (what
 * the lines carry); disableStorage, limit, debug and reexec are taken and
 * change nothing (the lines have no storage, nothing is pruned); other
 * fields are ignored, as Go's decoder ignores them, but not fork
 * overrides, which are refused.
 *
 * Files on the node's disk at the asking of a request: served where
 * debug_setHead is (the authenticated port, dev mode, or --http.api naming
 * debug), never by default on the open port. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "node_engine.h"
#include "parevm/hex.h"
#include "parevm/trace_json.h"

typedef struct {
    bool has_tx;
    bytes32 tx;
    json_trace_opts opts;
} std_trace_config;

static bool flag(const json_t *o, const char *name, bool *out, char *why, size_t whylen) {
    const json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return true;
    if (!json_is_boolean(v)) {
        snprintf(why, whylen, "%s must be a boolean", name);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static bool parse_config(const json_t *v, std_trace_config *c, char *why, size_t whylen) {
    memset(c, 0, sizeof *c);
    if (!v || json_is_null(v)) return true;
    if (!json_is_object(v)) {
        snprintf(why, whylen, "the trace config must be an object");
        return false;
    }
    bool ignored = false;
    if (!flag(v, "enableMemory", &c->opts.memory, why, whylen) ||
        !flag(v, "disableStack", &c->opts.no_stack, why, whylen) ||
        !flag(v, "enableReturnData", &c->opts.return_data, why, whylen) ||
        !flag(v, "disableStorage", &ignored, why, whylen) || !flag(v, "debug", &ignored, why, whylen))
        return false;
    const json_t *ov = json_object_get(v, "overrides");
    if (ov && !json_is_null(ov)) {
        snprintf(why, whylen, "fork overrides are not supported");
        return false;
    }
    const json_t *h = json_object_get(v, "txHash");
    if (h && !json_is_null(h)) {
        const char *e = rpc_parse_hash(h, &c->tx);
        if (e) {
            snprintf(why, whylen, "txHash: %s", e);
            return false;
        }
        static const bytes32 zero;
        c->has_tx = !bytes32_eq(&c->tx, &zero); /* geth: the zero hash is "every one" */
    }
    return true;
}

/* A new file for transaction i's trace (its name appended to names). */
static FILE *trace_file(const block *b, size_t i, json_t *names, char *why, size_t whylen) {
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    char bh[67], th[67], path[4096];
    hex_encode(b->header.hash.b, 4, bh);
    hex_encode(b->txs[i].hash.b, 4, th);
    int n = snprintf(path, sizeof path, "%s/block_%s-%zu-%s-XXXXXX", dir, bh, i, th);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(why, whylen, "the temporary directory's name is too long");
        return NULL;
    }
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(why, whylen, "cannot create a trace file in %s: %s", dir, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    json_array_append_new(names, json_string(path));
    return f;
}

/* Replays b over view, tracing as c asks into files named in names; false
 * with why when a transaction cannot be applied or a file not written. */
static bool trace_to_files(node *n, block *b, state_view view, code_store *codes, const std_trace_config *c,
                           json_t *names, char *why, size_t whylen) {
    block_state *layer = block_state_new(view, codes);
    executor *ex = node_executor_get(n);
    block_env env = node_replay_begin(n, ex, b, layer);
    uint64_t gas = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < b->n_txs; i++) {
        transaction *tx = &b->txs[i];
        if (!tx->sender_known && !tx_recover_sender(tx, env.fork >= FORK_HOMESTEAD)) {
            snprintf(why, whylen, "transaction %zu: invalid signature", i);
            ok = false;
            break;
        }
        bool traced = !c->has_tx || bytes32_eq(&tx->hash, &c->tx);
        FILE *f = NULL;
        json_tracer jt;
        if (traced) {
            if (!(f = trace_file(b, i, names, why, whylen))) {
                ok = false;
                break;
            }
            json_tracer_init(&jt, f);
            jt.opts = c->opts;
            executor_set_tracer(ex, &jt.base);
        }
        tx_result res;
        bool applied = node_replay_tx(ex, &env, layer, tx, &gas, &res);
        if (traced) {
            if (res.valid)
                json_tracer_summary_tx(&jt, ex, &res);
            executor_set_tracer(ex, NULL);
            if (fclose(f) && res.valid) {
                snprintf(why, whylen, "cannot write the trace file of transaction %zu", i);
                ok = false;
            }
        }
        if (ok && !applied) {
            snprintf(why, whylen, "transaction %zu: %s", i, res.error ? res.error : "invalid");
            ok = false;
        }
        if (!ok || (traced && c->has_tx)) break;
    }
    node_executor_put(n, ex);
    block_state_free(layer);
    return ok;
}

/* Whether b holds c's transaction (when it names one); err otherwise. */
static bool has_asked_tx(const block *b, const std_trace_config *c, rpc_error *err) {
    if (!c->has_tx) return true;
    for (size_t i = 0; i < b->n_txs; i++)
        if (bytes32_eq(&b->txs[i].hash, &c->tx)) return true;
    char h[67];
    hex_encode(c->tx.b, 32, h);
    return rpc_error_set(err, RPC_SERVER_ERROR, "transaction %s not found in block", h);
}

/* b traced over st's view: the file list as *result. */
static bool finish(node *n, block *b, node_state *st, const std_trace_config *c, json_t **result, rpc_error *err) {
    json_t *names = json_array();
    if (!names) abort();
    char why[300];
    bool ok = trace_to_files(n, b, st->view, st->codes, c, names, why, sizeof why);
    if (node_state_failed(st, err)) ok = false;
    else if (!ok) rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    if (ok) *result = node_json_go_list(names); /* geth's nil slice */
    else json_decref(names);
    return ok;
}

static bool parse_params(const json_t *params, bytes32 *hash, std_trace_config *c, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), hash);
    if (why) return rpc_error_invalid_param(err, 0, why);
    char reason[200];
    if (!parse_config(rpc_arg(params, 1), c, reason, sizeof reason)) return rpc_error_invalid_param(err, 1, reason);
    return true;
}

static bool block_to_file(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
    std_trace_config c;
    if (!parse_params(params, &ref.hash, &c, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    node_block nb;
    node_state st;
    bool ok = node_resolve_existing(&r, &ref, &number, &hash, err) &&
              node_open_replay(&r, number, &hash, &nb, &st, err);
    if (ok) {
        ok = has_asked_tx(&nb.b, &c, err) && finish(n, &nb.b, &st, &c, result, err);
        node_state_close(&st);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

/* One of the blocks debug_getBadBlocks lists, on its parent's state. */
static bool bad_block_to_file(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    bytes32 want;
    std_trace_config c;
    if (!parse_params(params, &want, &c, err)) return false;
    buf_t raw = {0};
    block b;
    char reason[128];
    bool found = node_engine_bad_block(n, &want, &raw) && block_decode(raw.data, raw.len, &b, reason, sizeof reason);
    buf_free(&raw);
    bool ok = false;
    if (!found) {
        char hex[67];
        hex_encode(want.b, 32, hex);
        return rpc_error_set(err, RPC_SERVER_ERROR, "bad block %s not found", hex);
    }
    node_read r;
    if (has_asked_tx(&b, &c, err) && node_read_open(n, &r, err)) {
        rpc_block_ref parent = {.kind = RPC_BLOCK_HASH, .hash = b.header.parent_hash};
        uint64_t number;
        bytes32 hash;
        node_state st;
        if (node_resolve_existing(&r, &parent, &number, &hash, err) && node_state_at(&r, number, &hash, &st, err)) {
            ok = finish(n, &b, &st, &c, result, err);
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    block_free(&b);
    return ok;
}

void node_register_trace_files(node *n, rpc_methods *m) {
    if (m != n->auth_methods && !n->dev && !n->open_debug) return;
    rpc_methods_add(m, "debug_standardTraceBlockToFile", block_to_file, n);
    rpc_methods_add(m, "debug_standardTraceBadBlockToFile", bad_block_to_file, n);
}
