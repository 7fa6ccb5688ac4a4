/* parevm stateless: checks one block the way a stateless client does, with
 * nothing but the block and its execution witness (debug_executionWitness:
 * the pre-state's trie nodes on every path the block opens, the codes it
 * runs and the headers up to the parent). The header is checked against
 * the parent (the witness's last header), the body against the header's
 * roots, the transactions are executed on the witness's state (witness.h)
 * sequentially or with Block-STM, and the post-state root is computed from
 * the witness's nodes and compared with the header's.
 *
 * Exit status: 0 valid, 1 invalid, 2 when no verdict can be given (bad
 * arguments or files, a witness that is not a chain of headers, or one that
 * lacks a node or code the block needs: then the run says what). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/hex.h"
#include "parevm/rpc_proof.h"
#include "stateless_check.h"

static int usage(void) {
    fprintf(stderr,
            "usage: parevm stateless [--chain mainnet|FORK | --genesis FILE] [--threads N] [--json]\n"
            "                        WITNESS BLOCK\n"
            "  checks BLOCK with nothing but its execution witness, as a stateless client:\n"
            "  the header against the parent (the witness's last header), the body's roots,\n"
            "  execution (gas used, receipts root, bloom, requests) and the post-state root\n"
            "  computed from the witness's trie nodes\n"
            "  WITNESS  debug_executionWitness's result ({state, codes, keys, headers}) as JSON,\n"
            "           or the JSON-RPC response that holds it\n"
            "  BLOCK    the block's RLP: a binary file, or a file holding it as hex (debug_getRawBlock)\n"
            "  --chain  mainnet (default) or a fixture fork name (Cancun, Prague...: every fork\n"
            "           from genesis, chain id 1)\n"
            "  --genesis FILE  the chain configuration of a geth genesis file\n"
            "  --threads N     execute with Block-STM on N threads (default: sequentially)\n"
            "  --json   one JSON object: number, hash, valid, error, state_root, gas_used, txs\n"
            "exit status: 0 valid, 1 invalid, 2 no verdict (bad input, or a witness that\n"
            "lacks what the block needs)\n");
    return 2;
}

typedef struct {
    const char *chain, *genesis, *witness_file, *block_file;
    long threads;
    bool json;
} options;

/* ---- inputs ---- */

/* A FIFO or a device would block the reader or never end. */
static bool regular_file(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st)) {
        snprintf(err, errlen, "%s: cannot open", path);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return false;
    }
    return true;
}

static bool load_config(const options *o, chain_config *cfg, char *err, size_t errlen) {
    if (o->genesis) {
        if (!regular_file(o->genesis, err, errlen)) return false;
        json_t *g = cli_json_load(o->genesis, err, errlen);
        if (!g) return false;
        const json_t *c = json_object_get(g, "config");
        char why[256] = "";
        bool ok = c && chain_config_from_json(c, cfg, why, sizeof why);
        if (!ok) snprintf(err, errlen, "%s: %s", o->genesis, c ? why : "no \"config\" object");
        json_decref(g);
        return ok;
    }
    if (!o->chain || !strcmp(o->chain, "mainnet")) {
        *cfg = chain_config_mainnet();
        return true;
    }
    if (chain_config_by_name(o->chain, cfg)) return true;
    snprintf(err, errlen, "unknown chain \"%s\" (mainnet or a fixture fork name)", o->chain);
    return false;
}

static bool load_witness(const char *file, execution_witness *w, char *err, size_t errlen) {
    if (!regular_file(file, err, errlen)) return false;
    json_error_t jerr;
    json_t *v = json_load_file(file, 0, &jerr);
    if (!v) {
        snprintf(err, errlen, "%s: invalid JSON at line %d: %s", file, jerr.line, jerr.text);
        return false;
    }
    const json_t *res = json_object_get(v, "result"); /* a whole JSON-RPC response */
    char why[200];
    bool ok = rpc_parse_witness(res ? res : v, w, why, sizeof why);
    if (!ok) snprintf(err, errlen, "%s: %s", file, why);
    json_decref(v);
    return ok;
}

/* The whole file; binary RLP, or hex text (optional 0x, surrounding
 * whitespace or quotes) when it reads as such. */
static bool load_block_rlp(const char *file, uint8_t **out, size_t *len, char *err, size_t errlen) {
    if (!regular_file(file, err, errlen)) return false;
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", file);
        return false;
    }
    buf_t b = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    bool io_error = ferror(f);
    fclose(f);
    if (io_error || b.len == 0) {
        snprintf(err, errlen, "%s: %s", file, io_error ? "read error" : "empty file");
        buf_free(&b);
        return false;
    }
    /* RLP of a block starts with a list prefix (0xf8..0xff): never text */
    size_t s = 0, e = b.len;
    while (s < e && strchr(" \t\r\n\"", b.data[s])) s++;
    while (e > s && strchr(" \t\r\n\"", b.data[e - 1])) e--;
    bool text = e > s && b.data[s] < 0x80;
    if (text) {
        char *t = malloc(e - s + 1);
        if (!t) abort();
        memcpy(t, b.data + s, e - s);
        t[e - s] = 0;
        bool ok = hex_decode_alloc(t, out, len);
        free(t);
        buf_free(&b);
        if (!ok) snprintf(err, errlen, "%s: neither RLP nor hex", file);
        return ok;
    }
    *out = b.data; /* taken */
    *len = b.len;
    return true;
}

/* ---- output ---- */

static void report(const options *o, const block *b, const stateless_verdict *v) {
    char hash[67], root[67] = "";
    hex_encode(b->header.hash.b, 32, hash);
    if (v->has_root) hex_encode(v->root.b, 32, root);
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "number", json_integer((json_int_t)b->header.number));
        json_object_set_new(j, "hash", json_string(hash));
        json_object_set_new(j, "valid", json_boolean(v->status == 0));
        json_object_set_new(j, "error", v->status ? json_string(v->why) : json_null());
        json_object_set_new(j, "verdict", json_boolean(v->status != 2));
        json_object_set_new(j, "state_root", v->has_root ? json_string(root) : json_null());
        json_object_set_new(j, "gas_used", json_integer((json_int_t)v->gas_used));
        json_object_set_new(j, "txs", json_integer((json_int_t)b->n_txs));
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    if (v->status == 0)
        printf("block %llu %s: valid (%zu transactions, %llu gas, state root %s)\n",
               (unsigned long long)b->header.number, hash, b->n_txs, (unsigned long long)v->gas_used, root);
    else
        printf("block %llu %s: %s: %s\n", (unsigned long long)b->header.number, hash,
               v->status == 1 ? "INVALID" : "no verdict", v->why);
}

static bool parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--chain") && val) o->chain = argv[++i];
        else if (!strcmp(a, "--genesis") && val) o->genesis = argv[++i];
        else if (!strcmp(a, "--threads") && val && cli_parse_long(val, 1, 1024, &o->threads)) i++;
        else if (!strcmp(a, "--json")) o->json = true;
        else if (a[0] != '-' && !o->witness_file) o->witness_file = a;
        else if (a[0] != '-' && !o->block_file) o->block_file = a;
        else return false;
    }
    return o->witness_file && o->block_file && !(o->chain && o->genesis);
}

typedef struct {
    const options *o;
    const chain_config *cfg;
    const execution_witness *wit;
    block *b;
    size_t rlp_len;
    stateless_verdict *v;
} check_job;

static int check_on_stack(void *arg) {
    check_job *j = arg;
    stateless_check(j->cfg, j->wit, j->b, j->rlp_len, (unsigned)j->o->threads, j->v);
    return 0;
}

int cmd_stateless(int argc, char **argv) {
    options o;
    if (!parse_args(argc, argv, &o)) return usage();
    chain_config cfg;
    execution_witness wit;
    uint8_t *rlp = NULL;
    size_t len = 0;
    char err[400];
    if (!load_config(&o, &cfg, err, sizeof err) || !load_witness(o.witness_file, &wit, err, sizeof err)) {
        fprintf(stderr, "parevm stateless: %s\n", err);
        return 2;
    }
    block b;
    char why[200];
    if (!load_block_rlp(o.block_file, &rlp, &len, err, sizeof err)) {
        fprintf(stderr, "parevm stateless: %s\n", err);
        execution_witness_free(&wit);
        return 2;
    }
    if (!block_decode(rlp, len, &b, why, sizeof why)) {
        fprintf(stderr, "parevm stateless: %s: not a block: %s\n", o.block_file, why);
        free(rlp);
        execution_witness_free(&wit);
        return 2;
    }
    free(rlp);
    stateless_verdict v;
    check_job j = {&o, &cfg, &wit, &b, len, &v};
    run_on_big_stack(check_on_stack, &j);
    report(&o, &b, &v);
    block_free(&b);
    execution_witness_free(&wit);
    return v.status;
}
