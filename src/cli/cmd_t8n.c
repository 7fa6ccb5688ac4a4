/* parevm t8n: geth's `evm t8n` state transition tool, the interface through
 * which the execution-spec-tests' fillers and differential fuzzers drive a
 * client. It applies transactions to a pre-state (alloc) in one block
 * (env: t8n_env.c), and writes the post-state (alloc), the result (roots,
 * receipts, rejected transactions, the block's derived fields) and the body
 * (the included transactions' RLP). An invalid transaction is not fatal: it
 * is listed in "rejected" with its reason and the block goes on without it.
 *
 * Inputs are files, or "stdin" for one object {"alloc", "env", "txs" or
 * "txsRlp"}; outputs are files under --output.basedir, or "stdout" /
 * "stderr" for one object holding every output sent there. A txs file
 * named *.rlp holds the transactions' RLP list as a JSON hex string; a
 * transaction in it that does not decode is rejected, as geth's t8n does.
 * An empty output name writes nothing. Exit codes are geth's (t8n.h), with
 * "ERROR(code): reason" on stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "commands.h"
#include "exceptions.h"
#include "mainnet_fixture.h"
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/overlay.h"
#include "parevm/rlp.h"
#include "parevm/rpc_codec.h"
#include "parevm/state_host.h"
#include "parevm/state_root.h"
#include "parevm/trace.h"
#include "t8n.h"
#include "trace.h"

typedef struct {
    const char *alloc_in, *env_in, *txs_in;
    const char *basedir, *alloc_out, *result_out, *body_out;
    const char *fork;
    const char *opcode_count; /* --opcode.count: a file under basedir, or NULL */
    uint64_t chain_id;
    u256 reward;
    bool no_reward; /* --state.reward -1: not even a touch */
    bool trace;
    json_trace_opts trace_opts;
    const char *tracer;      /* --trace.tracer: a geth tracer's name, or NULL */
    const char *tracer_json; /* --trace.jsonconfig: its tracerConfig */
    trace_config tracer_cfg;
} t8n_opts;

/* The block's tracer: counts every instruction run (system calls included,
 * as geth's opcode counter sees them) and hands each step of a transaction
 * to that transaction's EIP-3155 file, if any. */
typedef struct {
    evm_tracer base;
    uint64_t counts[256];
    json_tracer *file; /* the current transaction's, or NULL */
} t8n_tracer;

typedef struct {
    t8n_opts o;
    chain_config cfg;
    json_t *in;         /* stdin's object, when an input is "stdin" */
    mem_state *state;
    t8n_env env;
    transaction *txs;
    char **undecoded;   /* per transaction: why its RLP did not decode, or NULL */
    size_t n_txs;
    /* the outcome */
    block_result res;
    transaction **included;
    size_t n_included;
    json_t *rejected;
    t8n_tracer tracer;
    bytes32 root;
    int code;
    char err[1400];
} t8n_run;

static bool fail(t8n_run *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(t8n_run *r, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->code = code;
    return false;
}

/* ---- Options ---- */

static int usage(void) {
    fprintf(stderr,
            "usage: parevm t8n [--input.alloc F] [--input.env F] [--input.txs F] [--output.basedir DIR]\n"
            "                  [--output.alloc F] [--output.result F] [--output.body F] [--state.fork NAME]\n"
            "                  [--state.chainid N] [--state.reward WEI] [--trace] [--trace.memory]\n"
            "                  [--trace.nostack] [--trace.returndata] [--trace.tracer NAME]\n"
            "                  [--trace.jsonconfig JSON] [--opcode.count F] [--verbosity N]\n"
            "  geth's evm t8n: applies txs (JSON, or an RLP list in a .rlp file) to alloc in the block env\n"
            "  describes; writes the post-state alloc, the result (roots, receipts, rejected txs) and the\n"
            "  body. Inputs may be \"stdin\" (one object {alloc, env, txs}), outputs \"stdout\" or \"stderr\".\n"
            "  Defaults: alloc.json, env.json, txs.json in; alloc.json, result.json out; fork GrayGlacier,\n"
            "  chain id 1, reward 0 (-1: none). --trace writes trace-<index>-<hash>.jsonl per transaction\n"
            "  (<index>: the transactions included before it, as geth numbers them),\n"
            "  --trace.tracer (callTracer, prestateTracer, flatCallTracer, 4byteTracer, noopTracer; its\n"
            "  tracerConfig in --trace.jsonconfig) trace-<index>-<hash>.json with its result;\n"
            "  --opcode.count writes how often each instruction ran, by name. --verbosity is accepted.\n"
            "  Forks:");
    const char *name;
    size_t col = 100;
    for (size_t i = 0; (name = chain_network_name(i)); i++) {
        if (col + strlen(name) > 96) col = (size_t)fprintf(stderr, "%s\n   ", i ? "," : "");
        else col += (size_t)fprintf(stderr, ",");
        col += (size_t)fprintf(stderr, " %s", name);
    }
    fputc('\n', stderr);
    return 2;
}

static bool parse_options(int argc, char **argv, t8n_opts *o) {
    *o = (t8n_opts){.alloc_in = "alloc.json", .env_in = "env.json", .txs_in = "txs.json", .basedir = ".",
                    .alloc_out = "alloc.json", .result_out = "result.json", .fork = "GrayGlacier", .chain_id = 1};
    struct {
        const char *name;
        const char **dst;
    } strs[] = {{"--input.alloc", &o->alloc_in},       {"--input.env", &o->env_in},
                {"--input.txs", &o->txs_in},           {"--output.basedir", &o->basedir},
                {"--output.alloc", &o->alloc_out},     {"--output.result", &o->result_out},
                {"--output.body", &o->body_out},       {"--state.fork", &o->fork},
                {"--opcode.count", &o->opcode_count},  {"--trace.tracer", &o->tracer},
                {"--trace.jsonconfig", &o->tracer_json}};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool done = false;
        for (size_t k = 0; k < sizeof strs / sizeof *strs && !done; k++)
            if ((v = cli_option_value(argc, argv, &i, strs[k].name))) *strs[k].dst = v, done = true;
        if (done) continue;
        bool ok = true;
        if (json_trace_option(argv[i], &o->trace_opts, &ok)) {
            if (!ok) return false;
            continue;
        }
        long n;
        if ((v = cli_option_value(argc, argv, &i, "--state.chainid"))) {
            if (!cli_parse_long(v, 1, (1L << 62), &n)) return false;
            o->chain_id = (uint64_t)n;
        } else if ((v = cli_option_value(argc, argv, &i, "--state.reward"))) {
            json_t *j = json_string(v);
            o->no_reward = !strcmp(v, "-1");
            ok = o->no_reward || (j && json_value_u256(j, &o->reward)); /* decimal or 0x-hex wei */
            json_decref(j);
            if (!ok) return false;
        } else if (!strcmp(argv[i], "--trace")) {
            o->trace = true;
        } else if ((v = cli_option_value(argc, argv, &i, "--verbosity"))) {
            if (!cli_parse_long(v, 0, 10, &n)) return false; /* geth's log level: nothing to log here */
        } else {
            return false;
        }
    }
    return true;
}

/* ---- Inputs ---- */

/* The JSON of one input: stdin's object's key, or the file (a new reference). */
static json_t *load_input(t8n_run *r, const char *path, const char *key) {
    json_t *v = t8n_load_input(path, key, &r->in, &r->code, r->err, sizeof r->err);
    if (!v && !r->code && strcmp(key, "txs")) fail(r, T8N_ERR_JSON, "stdin: no \"%s\" object", key);
    return v;
}

/* The RLP list of transactions (typed ones as strings holding the envelope).
 * A transaction that does not decode keeps its place, to be rejected. */
static bool txs_from_rlp(t8n_run *r, const char *hex) {
    uint8_t *raw;
    size_t len;
    if (!hex || !hex_parse_data(hex, &raw, &len)) return fail(r, T8N_ERR_RLP, "txs: the RLP is not hex");
    rlp_item list, it;
    bool ok = rlp_decode(raw, len, &list) == RLP_OK && list.is_list;
    size_t cap = 16, used;
    r->txs = calloc(cap, sizeof *r->txs);
    r->undecoded = calloc(cap, sizeof *r->undecoded);
    if (!r->txs || !r->undecoded) abort();
    for (const uint8_t *p = list.data, *end = list.data + list.len; ok && p < end; p += used) {
        char why[160];
        ok = rlp_decode_item(p, (size_t)(end - p), &it, &used) == RLP_OK;
        if (!ok) break;
        if (r->n_txs == cap) {
            cap *= 2;
            r->txs = realloc(r->txs, cap * sizeof *r->txs);
            r->undecoded = realloc(r->undecoded, cap * sizeof *r->undecoded);
            if (!r->txs || !r->undecoded) abort();
        }
        size_t i = r->n_txs++;
        r->undecoded[i] = NULL;
        if (!tx_decode(it.is_list ? it.raw : it.data, it.is_list ? it.raw_len : it.len, &r->txs[i], why, sizeof why)) {
            if (!(r->undecoded[i] = strdup(why))) abort();
        }
    }
    free(raw);
    return ok ? true : fail(r, T8N_ERR_RLP, "txs: not an RLP list of transactions");
}

/* One JSON transaction: signed with its "secretKey" when it has one and
 * its v, r and s are zero (a legacy one with EIP-155 unless "protected" is
 * false); one already signed is taken as it is, as geth's t8n takes it
 * (execution-spec-tests write both the signature and the key). */
static bool tx_from_json(t8n_run *r, json_t *t, transaction *tx, size_t i) {
    char why[240];
    json_t *key = json_object_get(t, "secretKey");
    if (!json_load_rpc_tx(t, tx, key != NULL, why, sizeof why)) return fail(r, T8N_ERR_JSON, "txs[%zu]: %s", i, why);
    if (!key || !u256_is_zero(&tx->v) || !u256_is_zero(&tx->r) || !u256_is_zero(&tx->s)) {
        buf_t enc = {0};
        tx_encode(tx, &enc);
        tx->hash = keccak256_hash(enc.data, enc.len);
        buf_free(&enc);
        return true;
    }
    uint8_t sk[32];
    if (!json_is_string(key) || !hex_parse_fixed(json_string_value(key), sk, 32))
        return fail(r, T8N_ERR_JSON, "txs[%zu]: \"secretKey\" is not 32 bytes of hex", i);
    if (tx->type == TX_LEGACY) {
        json_t *prot = json_object_get(t, "protected");
        tx->has_chain_id = !json_is_false(prot);
        tx->chain_id = r->cfg.chain_id;
    }
    return tx_sign(tx, sk) ? true : fail(r, T8N_ERR_JSON, "txs[%zu]: cannot sign with its secretKey", i);
}

static bool load_txs(t8n_run *r) {
    const char *p = r->o.txs_in;
    size_t plen = strlen(p);
    bool rlp_file = plen > 4 && !strcmp(p + plen - 4, ".rlp");
    json_t *v = load_input(r, p, "txs");
    if (!v && r->code) return false;
    if (!v && r->in) v = json_incref(json_object_get(r->in, "txsRlp"));
    bool ok;
    if (!v || json_is_null(v)) {
        ok = true; /* no transactions (none on stdin, or null): an empty block */
    } else if (rlp_file || json_is_string(v)) {
        ok = txs_from_rlp(r, json_string_value(v));
    } else if (!json_is_array(v)) {
        ok = fail(r, T8N_ERR_JSON, "txs: not an array");
    } else {
        r->txs = calloc(json_array_size(v) + 1, sizeof *r->txs);
        if (!r->txs) abort();
        ok = true;
        for (size_t i = 0; ok && i < json_array_size(v); i++, r->n_txs++)
            ok = tx_from_json(r, json_array_get(v, i), &r->txs[i], i);
    }
    json_decref(v);
    return ok;
}

static bool load_inputs(t8n_run *r) {
    if (!chain_config_by_name(r->o.fork, &r->cfg))
        return fail(r, T8N_ERR_CONFIG, "unsupported fork \"%s\"", r->o.fork);
    r->cfg.chain_id = r->o.chain_id;
    json_t *alloc = load_input(r, r->o.alloc_in, "alloc");
    if (!alloc) return false;
    r->state = mem_state_new();
    char why[400];
    bool ok = json_load_pre_state(alloc, r->state, why, sizeof why);
    json_decref(alloc);
    if (!ok) return fail(r, T8N_ERR_JSON, "alloc: %s", why + (strncmp(why, "pre.", 4) ? 0 : 4));
    json_t *env = load_input(r, r->o.env_in, "env");
    if (!env) return false;
    ok = t8n_env_load(env, &r->cfg, &r->env, &r->code, r->err, sizeof r->err);
    json_decref(env);
    return ok && load_txs(r);
}

/* ---- Execution ---- */

/* BLOCKHASH from env.blockHashes; a number it lacks is noted (geth's t8n
 * fails with exit code 4). */
typedef struct {
    const t8n_env *env;
    bool missing;
    uint64_t missing_number;
} env_hashes;

static bytes32 env_block_hash(void *ctx, uint64_t number) {
    env_hashes *h = ctx;
    const bytes32 *hash = t8n_env_hash(h->env, number);
    if (hash) return *hash;
    if (!h->missing) h->missing_number = number;
    h->missing = true;
    return (bytes32){{0}};
}

/* A rejected transaction, with geth's wording of the reason. */
static void reject(t8n_run *r, size_t i, const char *why) {
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)i));
    json_object_set_new(o, "error", json_string(exception_geth_text(why)));
    json_array_append_new(r->rejected, o);
}

/* An EIP-3155 trace file for a transaction, or NULL. i is geth's index:
 * how many transactions the block has taken before it (a rejected one's
 * file shares it with the next one), which execution-spec-tests' fill reads
 * the files back by. */
static FILE *trace_file(t8n_run *r, size_t i, const transaction *tx) {
    char path[1200], h[67];
    hex_encode(tx->hash.b, 32, h);
    snprintf(path, sizeof path, "%s/trace-%zu-%s.jsonl", r->o.basedir, i, h);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "parevm t8n: cannot write %s\n", path);
    return f;
}

static void tracer_step(evm_tracer *base, const evm_step *s) {
    t8n_tracer *t = (t8n_tracer *)base;
    t->counts[s->op]++;
    if (t->file) t->file->base.step(&t->file->base, s);
}

/* The tracer for the whole block, when --trace or --opcode.count asks for one. */
static evm_tracer *block_tracer(t8n_run *r) {
    if (!r->o.trace && !r->o.opcode_count) return NULL;
    memset(&r->tracer, 0, sizeof r->tracer);
    r->tracer.base.step = tracer_step;
    r->tracer.base.ctx = &r->tracer;
    return &r->tracer.base;
}

/* --trace.tracer: transaction i traced by the named tracer on the block's
 * state so far (on a layer that is dropped: the block then executes it),
 * its result in trace-<index>-<hash>.json as geth's t8n writes it; a
 * transaction the block cannot take gets no file. */
static void trace_with(t8n_run *r, const block_env *benv, block_state *bs, size_t i) {
    transaction *tx = &r->txs[i];
    /* the block recovers it too; a sender that cannot be recovered is rejected there */
    if (!tx->sender_known && !tx_recover_sender(tx, benv->fork >= FORK_HOMESTEAD)) return;
    executor *ex = executor_new();
    tx_result res;
    char err[200];
    json_t *out = trace_tx_at(&r->o.tracer_cfg, ex, benv, block_state_view(bs), block_state_codes(bs), tx,
                              r->res.gas_used, r->res.n_logs, false, NULL, &res, err, sizeof err);
    executor_free(ex);
    if (!out) {
        if (res.valid) fprintf(stderr, "trace of transaction %zu: %s\n", i, err);
        return;
    }
    char path[1200], h[67];
    hex_encode(tx->hash.b, 32, h);
    snprintf(path, sizeof path, "%s/trace-%zu-%s.json", r->o.basedir, r->n_included, h); /* trace_file's index */
    FILE *f = fopen(path, "w");
    char *text = trace_dumps(out);
    if (f) {
        fprintf(f, "%s\n", text);
        fclose(f);
    } else {
        fprintf(stderr, "cannot write %s\n", path);
    }
    free(text);
    json_decref(out);
}

/* Transaction i: executed and included, or rejected. */
static void run_tx(t8n_run *r, executor *ex, const block_rules *rules, block_env *benv, block_state *bs, size_t i) {
    transaction *tx = &r->txs[i];
    if (r->undecoded && r->undecoded[i]) {
        reject(r, i, r->undecoded[i]);
        return;
    }
    if (r->o.tracer) trace_with(r, benv, bs, i);
    json_tracer tracer;
    FILE *tf = r->o.trace ? trace_file(r, r->n_included, tx) : NULL;
    if (tf) {
        json_tracer_init(&tracer, tf);
        tracer.opts = r->o.trace_opts;
        r->tracer.file = &tracer;
    }
    tx_result tr;
    const char *why = block_add_transaction(ex, rules, benv, bs, tx, &r->res, &tr);
    if (tf) {
        if (!why)
            json_tracer_summary_tx(&tracer, ex, &tr);
        r->tracer.file = NULL;
        fclose(tf);
    }
    if (why) {
        /* geth's core text, with its values where it has them ("nonce too
         * low: address 0x.., tx: 0 state: 1", "blob 0 has invalid hash
         * version"), which the fillers' exception mappers read */
        char geth[240];
        if (trace_invalid_reason(block_state_view(bs), benv, tx, why, geth, sizeof geth)) why = geth;
        reject(r, i, why);
        return;
    }
    r->included[r->n_included++] = tx;
}

/* geth's t8n pays a block reward of 0 too: the coinbase and the ommers'
 * miners are touched (before EIP-158 an absent one becomes an empty account). */
static void touch_rewarded(const t8n_run *r, block_state *bs) {
    overlay *ov = overlay_new();
    overlay_begin(ov, block_state_view(bs), block_state_codes(bs), r->env.fork);
    overlay_touch(ov, &r->env.blk.header.coinbase);
    for (size_t i = 0; i < r->env.blk.n_ommers; i++) overlay_touch(ov, &r->env.blk.ommers[i].coinbase);
    change_set cs = {0};
    overlay_finish(ov, &cs);
    block_state_apply(bs, &cs);
    change_set_free(&cs);
    overlay_free(ov);
}

static bool execute(t8n_run *r) {
    block *b = &r->env.blk;
    block_rules rules = chain_block_rules(&r->cfg, &b->header, r->env.merged);
    rules.state_root = mem_state_root_after;
    rules.state_root_ctx = r->state;
    rules.block_reward = r->o.no_reward ? U256_ZERO : r->o.reward;
    env_hashes hashes = {&r->env, false, 0};
    hash_override ho = {mem_state_view(r->state), env_block_hash, &hashes};
    block_state *bs = block_state_new(hash_override_view(&ho), mem_state_codes(r->state));
    executor *ex = executor_new();
    executor_set_tracer(ex, block_tracer(r));
    r->included = calloc(r->n_txs + 1, sizeof *r->included);
    if (!r->included) abort();
    r->rejected = json_array();
    block_begin(ex, &rules, b, bs, &r->res);
    block_env benv = block_env_of(&b->header, &rules);
    for (size_t i = 0; i < r->n_txs; i++) run_tx(r, ex, &rules, &benv, bs, i);
    /* the block's transactions are the included ones (withdrawals and
     * requests read only the header and withdrawals) */
    const char *why = block_finish(ex, &rules, b, bs, &r->res);
    if (!why && !r->o.no_reward && u256_is_zero(&r->o.reward)) touch_rewarded(r, bs);
    mem_state_apply_block(r->state, bs);
    block_state_free(bs);
    executor_free(ex);
    if (why) return fail(r, T8N_ERR_EVM, "could not finish the block: %s", why);
    if (hashes.missing) {
        return fail(r, T8N_ERR_BLOCKHASH, "getHash(%llu) invoked, blockhash for that block not provided",
                    (unsigned long long)hashes.missing_number);
    }
    r->root = mem_state_root(r->state);
    return true;
}

/* ---- Outputs ---- */

/* geth's t8n gives its unsealed block this hash in receipts and logs */
static const bytes32 UNSEALED_BLOCK_HASH = {{0x13, 0x37}};

static json_t *log_json(const t8n_run *r, size_t li, size_t tx_index, const bytes32 *tx_hash) {
    const overlay_log *l = &r->res.logs[li];
    json_t *o = json_object(), *topics = json_array();
    for (uint32_t t = 0; t < l->n_topics; t++) json_array_append_new(topics, rpc_json_hash(&l->topics[t]));
    json_object_set_new(o, "address", rpc_json_address(&l->addr));
    json_object_set_new(o, "topics", topics);
    json_object_set_new(o, "data", rpc_json_data(overlay_log_bytes(l, r->res.log_data.data), l->data_len));
    json_object_set_new(o, "blockNumber", rpc_json_u64(r->env.blk.header.number));
    json_object_set_new(o, "transactionHash", rpc_json_hash(tx_hash));
    json_object_set_new(o, "transactionIndex", rpc_json_u64(tx_index));
    json_object_set_new(o, "blockHash", rpc_json_hash(&UNSEALED_BLOCK_HASH));
    json_object_set_new(o, "blockTimestamp", rpc_json_u64(r->env.blk.header.timestamp));
    json_object_set_new(o, "logIndex", rpc_json_u64(li));
    json_object_set_new(o, "removed", json_false());
    return o;
}

/* A receipt as geth's t8n writes it: the unsealed block's placeholder hash,
 * and no effective gas price (geth's receipts get it only when read back
 * from a chain). */
static json_t *receipt_json(const t8n_run *r, size_t i) {
    const receipt *rc = &r->res.receipts[i];
    const transaction *tx = r->included[i];
    const block_header *h = &r->env.blk.header;
    json_t *o = json_object(), *logs = json_array();
    address contract = {{0}}; /* a creation's, whatever its outcome, as geth's */
    if (!tx->has_to) contract = create_address(&tx->sender, tx->nonce);
    if (rc->type) json_object_set_new(o, "type", rpc_json_u64(rc->type));
    json_object_set_new(o, "root", rc->has_root ? rpc_json_hash(&rc->post_state) : json_string("0x"));
    json_object_set_new(o, "status", rpc_json_u64(rc->success));
    json_object_set_new(o, "cumulativeGasUsed", rpc_json_u64(rc->cumulative_gas));
    json_object_set_new(o, "logsBloom", rpc_json_data(rc->bloom, 256));
    for (size_t l = rc->first_log; l < rc->first_log + rc->n_logs; l++)
        json_array_append_new(logs, log_json(r, l, i, &tx->hash));
    json_object_set_new(o, "logs", logs);
    json_object_set_new(o, "transactionHash", rpc_json_hash(&tx->hash));
    json_object_set_new(o, "contractAddress", rpc_json_address(&contract));
    json_object_set_new(o, "gasUsed", rpc_json_u64(rc->gas_used));
    json_object_set_new(o, "effectiveGasPrice", json_null());
    if (tx->n_blob_hashes) {
        blob_params bp = chain_blob_params(&r->cfg, h->timestamp);
        u256 blob_price = blob_base_fee(h->excess_blob_gas, bp.update_fraction);
        json_object_set_new(o, "blobGasUsed", rpc_json_u64(tx->n_blob_hashes * GAS_PER_BLOB));
        json_object_set_new(o, "blobGasPrice", rpc_json_u256(&blob_price));
    }
    json_object_set_new(o, "blockHash", rpc_json_hash(&UNSEALED_BLOCK_HASH));
    json_object_set_new(o, "blockNumber", rpc_json_u64(h->number));
    json_object_set_new(o, "transactionIndex", rpc_json_u64(i));
    return o;
}

/* The included transactions as a block's body needs them. */
static block included_block(const t8n_run *r, transaction *txs) {
    block b = r->env.blk;
    for (size_t i = 0; i < r->n_included; i++) txs[i] = *r->included[i];
    b.txs = txs;
    b.n_txs = r->n_included;
    return b;
}

static json_t *result_json(t8n_run *r) {
    const block_header *h = &r->env.blk.header;
    transaction *txs = calloc(r->n_included + 1, sizeof *txs);
    if (!txs) abort();
    block b = included_block(r, txs);
    bytes32 tx_root = block_tx_root(&b), receipts_root = block_receipts_root(&r->res);
    bytes32 logs = logs_hash(r->res.logs, r->res.n_logs, r->res.log_data.data);
    json_t *o = json_object(), *receipts = json_array();
    json_object_set_new(o, "stateRoot", rpc_json_hash(&r->root));
    json_object_set_new(o, "txRoot", rpc_json_hash(&tx_root));
    json_object_set_new(o, "receiptsRoot", rpc_json_hash(&receipts_root));
    json_object_set_new(o, "logsHash", rpc_json_hash(&logs));
    json_object_set_new(o, "logsBloom", rpc_json_data(r->res.bloom, 256));
    for (size_t i = 0; i < r->n_included; i++) json_array_append_new(receipts, receipt_json(r, i));
    json_object_set_new(o, "receipts", receipts);
    if (json_array_size(r->rejected)) json_object_set(o, "rejected", r->rejected);
    const t8n_env *e = &r->env;
    json_object_set_new(o, "currentDifficulty", e->difficulty_known ? rpc_json_u256(&h->difficulty) : json_null());
    json_object_set_new(o, "gasUsed", rpc_json_u64(r->res.gas_used));
    if (h->has_base_fee || e->has_env_base_fee)
        json_object_set_new(o, "currentBaseFee", rpc_json_u256(h->has_base_fee ? &h->base_fee : &e->env_base_fee));
    if (b.has_withdrawals) {
        bytes32 wr = block_withdrawals_root(&b);
        json_object_set_new(o, "withdrawalsRoot", rpc_json_hash(&wr));
    }
    if (h->has_blob_gas && e->blob_fee_known) {
        json_object_set_new(o, "currentExcessBlobGas", rpc_json_u64(h->excess_blob_gas));
        json_object_set_new(o, "blobGasUsed", rpc_json_u64(r->res.blob_gas_used));
    }
    if (r->res.has_requests) {
        json_t *reqs = json_array();
        for (int t = 0; t < REQUEST_TYPES; t++) {
            const buf_t *q = &r->res.requests[t];
            if (!q->len) continue;
            buf_t one = {0};
            uint8_t type = (uint8_t)t;
            buf_append(&one, &type, 1);
            buf_append(&one, q->data, q->len);
            json_array_append_new(reqs, rpc_json_data(one.data, one.len));
            buf_free(&one);
        }
        json_object_set_new(o, "requestsHash", rpc_json_hash(&r->res.requests_hash));
        json_object_set_new(o, "requests", reqs);
    } else {
        json_object_set_new(o, "requests", json_null()); /* as geth's, before Prague */
    }
    free(txs);
    return o;
}

static json_t *body_json(const t8n_run *r) {
    transaction *txs = calloc(r->n_included + 1, sizeof *txs);
    if (!txs) abort();
    block b = included_block(r, txs);
    buf_t out = {0}, one = {0};
    size_t l = rlp_list_begin(&out);
    for (size_t i = 0; i < b.n_txs; i++) {
        buf_clear(&one);
        tx_encode(&b.txs[i], &one);
        if (b.txs[i].type == TX_LEGACY) buf_append(&out, one.data, one.len);
        else rlp_encode_bytes(&out, one.data, one.len);
    }
    rlp_list_end(&out, l);
    json_t *v = rpc_json_data(out.data, out.len);
    buf_free(&out);
    buf_free(&one);
    free(txs);
    return v;
}

/* Writes v to where (a file under basedir), or adds it to the stdout or
 * stderr object under key. Takes v. */
static bool put_output(t8n_run *r, const char *where, const char *key, json_t *v, json_t *to_out, json_t *to_err) {
    if (!where || !*where) {
        json_decref(v);
        return true;
    }
    if (!strcmp(where, "stdout") || !strcmp(where, "stderr")) {
        json_object_set_new(!strcmp(where, "stdout") ? to_out : to_err, key, v);
        return true;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", r->o.basedir, where);
    bool ok = json_dump_file(v, path, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) == 0;
    json_decref(v);
    return ok ? true : fail(r, T8N_ERR_IO, "%s: cannot write: no such folder or not writable", path);
}

static bool dump_stream(json_t *o, FILE *f) {
    if (!json_object_size(o)) return true;
    bool ok = json_dumpf(o, f, JSON_INDENT(2) | JSON_SORT_KEYS) == 0;
    fputc('\n', f);
    return ok;
}

/* mkdir -p of the output folder (traces go there too), as geth makes it. */
static bool make_basedir(t8n_run *r) {
    char path[1024];
    snprintf(path, sizeof path, "%s", r->o.basedir);
    for (char *p = path + 1;; p++) {
        bool end = !*p;
        if (*p != '/' && !end) continue;
        *p = 0;
        if (mkdir(path, 0755) && errno != EEXIST) break;
        if (end) break;
        *p = '/';
    }
    struct stat st;
    return stat(r->o.basedir, &st) == 0 && S_ISDIR(st.st_mode)
               ? true
               : fail(r, T8N_ERR_IO, "failed creating output basedir %s", r->o.basedir);
}

/* --opcode.count: {name: times run} for the instructions that ran, geth's
 * names ("opcode 0xc not defined" for an undefined one). */
static json_t *opcode_counts_json(const t8n_run *r) {
    json_t *o = json_object();
    for (int op = 0; op < 256; op++) {
        if (!r->tracer.counts[op]) continue;
        char buf[32];
        json_object_set_new(o, trace_op_name((uint8_t)op, buf), json_integer((json_int_t)r->tracer.counts[op]));
    }
    return o;
}

static bool write_outputs(t8n_run *r) {
    json_t *out = json_object(), *err = json_object();
    bool ok = (!r->o.opcode_count || put_output(r, r->o.opcode_count, "opcodeCount", opcode_counts_json(r), out, err)) &&
              put_output(r, r->o.alloc_out, "alloc", mem_state_alloc_json(r->state), out, err) &&
              put_output(r, r->o.result_out, "result", result_json(r), out, err) &&
              put_output(r, r->o.body_out, "body", body_json(r), out, err);
    ok = ok && dump_stream(out, stdout) && dump_stream(err, stderr);
    json_decref(out);
    json_decref(err);
    return ok || r->code ? ok : fail(r, T8N_ERR_IO, "cannot write the output");
}

static void run_free(t8n_run *r) {
    for (size_t i = 0; i < r->n_txs; i++) {
        tx_free(&r->txs[i]);
        if (r->undecoded) free(r->undecoded[i]);
    }
    free(r->txs);
    free(r->undecoded);
    free(r->included);
    json_decref(r->rejected);
    json_decref(r->in);
    block_result_free(&r->res);
    t8n_env_free(&r->env);
    if (r->state) mem_state_free(r->state);
}

/* --trace.tracer and --trace.jsonconfig as one TraceConfig (no timeout). */
static bool load_tracer(t8n_run *r) {
    if (!r->o.tracer) return true;
    json_error_t jerr;
    json_t *tc = r->o.tracer_json ? json_loads(r->o.tracer_json, JSON_DECODE_ANY, &jerr) : json_null();
    if (!tc) return fail(r, T8N_ERR_CONFIG, "failed instantiating tracer: --trace.jsonconfig: %s", jerr.text);
    json_t *cfg = json_pack("{s:s,s:o}", "tracer", r->o.tracer, "tracerConfig", tc);
    char why[200];
    bool ok = cfg && trace_config_parse(cfg, &r->o.tracer_cfg, why, sizeof why);
    json_decref(cfg);
    if (!ok) return fail(r, T8N_ERR_CONFIG, "failed instantiating tracer: %s", why);
    r->o.tracer_cfg.has_timeout = false;
    return true;
}

static int run_t8n(void *arg) {
    t8n_run *r = arg;
    bool ok = load_tracer(r) && load_inputs(r) && make_basedir(r) && execute(r) && write_outputs(r);
    if (!ok) fprintf(stderr, "ERROR(%d): %s\n", r->code, r->err);
    return ok ? 0 : r->code;
}

int cmd_t8n(int argc, char **argv) {
    t8n_run r;
    memset(&r, 0, sizeof r);
    if (!parse_options(argc, argv, &r.o)) return usage();
    int status = run_on_big_stack(run_t8n, &r);
    run_free(&r);
    return status;
}
