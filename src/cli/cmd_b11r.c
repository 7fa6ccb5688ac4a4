/* parevm b11r: geth's `evm b11r` (block builder): assembles a block from a
 * header object, an RLP list of transactions, ommers (blocks, whose
 * headers are taken) and withdrawals, and writes {"rlp", "hash"}. Nothing is executed or checked:
 * the header's roots are taken as given (the transactions and receipts
 * roots default to the empty trie's, the ommers hash to that of the given
 * ommers), as geth's tool does. Clique sealing is not offered.
 *
 * Inputs are files or "stdin" (one object {header, txs, ommers,
 * withdrawals}); the output is a file under --output.basedir, or stdout /
 * stderr. Exit codes are geth's t8n codes: 3 configuration, 10 JSON,
 * 11 I/O, 12 RLP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include <stdarg.h>
#include "parevm/block_exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/rpc_codec.h"
#include "t8n.h"

static int usage(void) {
    fprintf(stderr,
            "usage: parevm b11r [--input.header F] [--input.txs F] [--input.ommers F] [--input.withdrawals F]\n"
            "                   [--output.basedir DIR] [--output.block F]\n"
            "  geth's evm b11r: assembles a block from a header object, an RLP list of transactions\n"
            "  (a JSON hex string), ommers (a JSON array of blocks' RLP hex, whose headers count) and\n"
            "  withdrawals (a JSON array), and writes {\"rlp\", \"hash\"}. Roots are taken as given\n"
            "  (transactions and receipts root default to the empty trie's, the ommers hash to the\n"
            "  ommers').\n"
            "  Defaults: header.json, txs.rlp, ommers.json, no withdrawals in; block.json out.\n"
            "  Inputs may be \"stdin\" (one object {header, txs, ommers, withdrawals}), the output\n"
            "  \"stdout\" or \"stderr\".\n"
            "exit status: 0, 3 configuration, 10 JSON, 11 I/O, 12 RLP\n");
    return 2;
}

typedef struct {
    const char *header, *txs, *ommers, *withdrawals, *basedir, *out;
    json_t *in; /* stdin's object */
    int code;
    char err[512];
    block b;
} b11r_run;

static bool fail(b11r_run *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(b11r_run *r, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->code = code;
    return false;
}

/* The JSON of one input (a new reference); NULL with *absent when it is
 * not given (no path, or stdin's object lacks it or holds null). */
static json_t *load_input(b11r_run *r, const char *path, const char *key, bool *absent) {
    *absent = !path || !*path;
    json_t *v = *absent ? NULL : t8n_load_input(path, key, &r->in, &r->code, r->err, sizeof r->err);
    if (json_is_null(v)) {
        json_decref(v);
        v = NULL;
    }
    if (!v && !r->code) *absent = true;
    return v;
}

/* ---- the header ---- */

static bool opt_address(json_t *o, const char *field, address *out, char *err, size_t n) {
    json_t *v = json_object_get(o, field);
    return !v || json_is_null(v) || json_hex_address(o, field, out, err, n);
}

static bool opt_data(json_t *o, const char *field, uint8_t *out, size_t want, size_t *len, char *err, size_t n) {
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v)) return true;
    uint8_t *data;
    size_t l;
    if (!json_hex_bytes(o, field, &data, &l, err, n)) return false;
    bool ok = want ? l == want : l <= 64;
    if (ok) memcpy(out, data, l);
    free(data);
    if (len) *len = l;
    if (!ok) snprintf(err, n, "field \"%s\" is not %s", field, want ? "of its size" : "at most 64 bytes");
    return ok;
}

/* geth's b11r header: stateRoot, number, gasLimit and timestamp required;
 * the rest optional. An optional field after the London ones forces the
 * ones before it into the encoding (as zero), as geth's RLP does. */
static bool load_header(json_t *o, block_header *h, bool *has_ommers_hash, char *err, size_t n) {
    memset(h, 0, sizeof *h);
    if (!json_is_object(o)) return snprintf(err, n, "the header is not an object"), false;
    h->ommers_hash = keccak256_hash("\xc0", 1); /* of no ommers */
    h->tx_root = EMPTY_TRIE_ROOT;
    h->receipts_root = EMPTY_TRIE_ROOT;
    uint8_t nonce[8] = {0};
    bool ok = json_hex_bytes32(o, "stateRoot", &h->state_root, err, n) && json_hex_u64(o, "number", &h->number, err, n) &&
              json_hex_u64(o, "gasLimit", &h->gas_limit, err, n) && json_hex_u64(o, "timestamp", &h->timestamp, err, n);
    bool present;
    ok = ok && json_opt_bytes32(o, "parentHash", &h->parent_hash, &present, err, n) &&
         json_opt_bytes32(o, "sha3Uncles", &h->ommers_hash, has_ommers_hash, err, n) &&
         opt_address(o, "miner", &h->coinbase, err, n) &&
         json_opt_bytes32(o, "transactionsRoot", &h->tx_root, &present, err, n) &&
         json_opt_bytes32(o, "receiptsRoot", &h->receipts_root, &present, err, n) &&
         opt_data(o, "logsBloom", h->bloom, 256, NULL, err, n) &&
         json_opt_u256(o, "difficulty", &h->difficulty, &present, err, n) &&
         json_opt_u64(o, "gasUsed", &h->gas_used, &present, err, n) &&
         opt_data(o, "extraData", h->extra_data, 0, &h->extra_len, err, n) &&
         json_opt_bytes32(o, "mixHash", &h->mix_hash, &present, err, n) &&
         opt_data(o, "nonce", nonce, 8, NULL, err, n) &&
         json_opt_u256(o, "baseFeePerGas", &h->base_fee, &h->has_base_fee, err, n) &&
         json_opt_bytes32(o, "withdrawalsRoot", &h->withdrawals_root, &h->has_withdrawals_root, err, n);
    bool has_used = false, has_excess = false;
    ok = ok && json_opt_u64(o, "blobGasUsed", &h->blob_gas_used, &has_used, err, n) &&
         json_opt_u64(o, "excessBlobGas", &h->excess_blob_gas, &has_excess, err, n) &&
         json_opt_bytes32(o, "parentBeaconBlockRoot", &h->parent_beacon_root, &h->has_beacon_root, err, n) &&
         json_opt_bytes32(o, "requestsHash", &h->requests_hash, &h->has_requests_hash, err, n);
    if (!ok) return false;
    for (int i = 0; i < 8; i++) h->nonce = h->nonce << 8 | nonce[i];
    h->has_blob_gas = has_used || has_excess;
    /* a later optional field brings the earlier ones (zero) with it */
    if (h->has_requests_hash) h->has_beacon_root = true;
    if (h->has_beacon_root) h->has_blob_gas = true;
    if (h->has_blob_gas) h->has_withdrawals_root = true;
    if (h->has_withdrawals_root) h->has_base_fee = true;
    return true;
}

/* ---- the body ---- */

static bool load_txs(b11r_run *r, json_t *v) {
    const char *hex = json_string_value(v);
    if (!hex) return fail(r, T8N_ERR_JSON, "txs: not a JSON string of RLP hex");
    /* geth's FromHex: the 0x is optional */
    char *with0x = malloc(strlen(hex) + 3);
    if (!with0x) abort();
    sprintf(with0x, "%s%s", strncmp(hex, "0x", 2) && strncmp(hex, "0X", 2) ? "0x" : "", hex);
    uint8_t *raw;
    size_t len;
    bool ok = hex_parse_data(with0x, &raw, &len);
    free(with0x);
    if (!ok) return fail(r, T8N_ERR_RLP, "txs: not hex of whole bytes");
    rlp_item list, it;
    size_t used, cap = 8;
    ok = rlp_decode(raw, len, &list) == RLP_OK && list.is_list;
    r->b.txs = calloc(cap, sizeof *r->b.txs);
    if (!r->b.txs) abort();
    char why[200] = "not an RLP list";
    for (const uint8_t *p = list.data, *end = list.data + list.len; ok && p < end; p += used) {
        ok = rlp_decode_item(p, (size_t)(end - p), &it, &used) == RLP_OK;
        if (ok && r->b.n_txs == cap && !(r->b.txs = realloc(r->b.txs, (cap *= 2) * sizeof *r->b.txs))) abort();
        ok = ok && tx_decode(it.is_list ? it.raw : it.data, it.is_list ? it.raw_len : it.len, &r->b.txs[r->b.n_txs],
                             why, sizeof why);
        if (ok) r->b.n_txs++;
    }
    free(raw);
    return ok ? true : fail(r, T8N_ERR_RLP, "unable to decode transaction from rlp data: %s", why);
}

static bool load_ommers(b11r_run *r, json_t *v) {
    if (!json_is_array(v)) return fail(r, T8N_ERR_JSON, "ommers: not a JSON array of RLP hex strings");
    r->b.n_ommers = json_array_size(v);
    r->b.ommers = calloc(r->b.n_ommers + 1, sizeof *r->b.ommers);
    if (!r->b.ommers) abort();
    for (size_t i = 0; i < r->b.n_ommers; i++) {
        uint8_t *raw;
        size_t len;
        char why[200] = "not 0x-hex of whole bytes";
        const char *hex = json_string_value(json_array_get(v, i));
        bool ok = hex && hex_parse_data(hex, &raw, &len);
        if (ok) { /* each ommer comes as a block (header, txs, ommers): its header counts */
            block ob;
            ok = block_decode(raw, len, &ob, why, sizeof why);
            if (ok) r->b.ommers[i] = ob.header, block_free(&ob);
            free(raw);
        }
        if (!ok) return fail(r, T8N_ERR_RLP, "unable to decode ommer %zu: %s", i, why);
    }
    return true;
}

static bool load_withdrawals(b11r_run *r, json_t *v) {
    char why[300];
    return json_load_withdrawals(v, &r->b, why, sizeof why) || fail(r, T8N_ERR_JSON, "%s", why);
}

static bool build(b11r_run *r) {
    bool absent;
    char why[300];
    json_t *v = load_input(r, r->header, "header", &absent);
    if (!v) return absent ? fail(r, T8N_ERR_CONFIG, "no header given") : false;
    bool has_ommers_hash = false;
    bool ok = load_header(v, &r->b.header, &has_ommers_hash, why, sizeof why);
    json_decref(v);
    if (!ok) return fail(r, T8N_ERR_JSON, "header: %s", why);
    const struct {
        const char *path, *key;
        bool (*load)(b11r_run *, json_t *);
    } body[] = {{r->txs, "txs", load_txs}, {r->ommers, "ommers", load_ommers},
                {r->withdrawals, "withdrawals", load_withdrawals}};
    for (size_t i = 0; i < sizeof body / sizeof *body; i++) {
        if (!(v = load_input(r, body[i].path, body[i].key, &absent))) {
            if (absent) continue;
            return false;
        }
        ok = body[i].load(r, v);
        json_decref(v);
        if (!ok) return false;
    }
    /* withdrawals belong to Shanghai's body: an empty list with the root */
    if (!r->b.has_withdrawals && r->b.header.has_withdrawals_root) r->b.has_withdrawals = true;
    if (!has_ommers_hash && r->b.n_ommers) r->b.header.ommers_hash = block_ommers_hash(&r->b);
    return true;
}

int cmd_b11r(int argc, char **argv) {
    b11r_run r = {.header = "header.json", .txs = "txs.rlp", .ommers = "ommers.json", .basedir = ".",
                  .out = "block.json"};
    struct {
        const char *name;
        const char **dst;
    } opts[] = {{"--input.header", &r.header},   {"--input.txs", &r.txs},           {"--input.ommers", &r.ommers},
                {"--input.withdrawals", &r.withdrawals}, {"--output.basedir", &r.basedir}, {"--output.block", &r.out}};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof *opts && !v; k++)
            if ((v = cli_option_value(argc, argv, &i, opts[k].name))) *opts[k].dst = v;
        if (v) continue;
        if (cli_option_value(argc, argv, &i, "--seal.clique")) {
            fprintf(stderr, "ERROR(%d): clique sealing is not supported\n", T8N_ERR_CONFIG);
            return T8N_ERR_CONFIG;
        }
        return usage();
    }
    bool ok = build(&r);
    if (ok) {
        buf_t enc = {0}, head = {0};
        block_encode(&r.b, &enc);
        header_encode(&r.b.header, &head);
        bytes32 hash = keccak256_hash(head.data, head.len);
        buf_free(&head);
        json_t *o = json_object();
        json_object_set_new(o, "rlp", rpc_json_data(enc.data, enc.len));
        json_object_set_new(o, "hash", rpc_json_hash(&hash));
        buf_free(&enc);
        if (!strcmp(r.out, "stdout") || !strcmp(r.out, "stderr")) {
            FILE *f = !strcmp(r.out, "stdout") ? stdout : stderr;
            json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', f);
        } else {
            char path[1200];
            snprintf(path, sizeof path, "%s/%s", r.basedir, r.out);
            if (json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
                ok = fail(&r, T8N_ERR_IO, "%s: cannot write", path);
        }
        json_decref(o);
    }
    json_decref(r.in);
    block_free(&r.b);
    if (!ok) fprintf(stderr, "ERROR(%d): %s\n", r.code, r.err);
    return ok ? 0 : r.code;
}
