/* parevm enginetest: runs execution-spec-tests' blockchain_test_engine
 * fixtures as a consensus client would. Each test's genesis is written into
 * a fresh store (as chaintest does) and a node is opened on it; every entry
 * of engineNewPayloads goes to engine_newPayloadV<newPayloadVersion> with
 * its params, through the node's authenticated method set (the handlers the
 * Engine API server runs, called in process). An entry with errorCode must
 * get that JSON-RPC error; one with validationError must come back INVALID
 * (or, for V1, INVALID_BLOCK_HASH; the node's reason is not compared: the
 * fixtures' names are not its words); the others must be VALID, and are
 * then made the head with
 * engine_forkchoiceUpdatedV<forkchoiceUpdatedVersion> (older fixtures: the
 * test's engineFcuVersion; without either, the payload's version up to 3),
 * which must answer VALID too. At the end the head must be lastblockhash,
 * with the post state's root (postState or postStateHash). Files without
 * engineNewPayloads are not this format: each of their tests fails.
 *
 * blockchain_tests_engine_x fixtures name a shared pre-state group
 * (preHash) instead of holding pre and genesisBlockHeader: the group file,
 * pre_alloc/<preHash>.json in the test's folder or the nearest one above,
 * gives the pre-state and the environment from which EEST builds the
 * genesis (number and timestamp 0, extraData 0x00, the environment's
 * coinbase, gas limit, difficulty, base fee and blob gas fields). That
 * genesis must be the parent of the first payload that names one. The
 * head's hash, which holds its state root, is the post-state check
 * (postStateDiff is not read). Each test gets its own store: the format
 * lets a client share one per group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cli_util.h"
#include "commands.h"
#include "fixture_store.h"
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rpc.h"
#include "parevm/state_root.h"

typedef struct {
    fixture_run base;
    unsigned threads;
    int preroot;   /* CHAIN_PREROOT_* for the node */
    char tmp[256]; /* parent folder of the datadirs */
    unsigned seq;
    char err[600];
    char group_file[1200]; /* the engine_x group loaded last, kept for the next test */
    json_t *group;
} et_run;

/* Calls method of the node's authenticated set in process. */
static json_t *call(node *n, const char *method, json_t *params) {
    return cli_rpc_call(node_auth_methods(n), method, params);
}

/* A version field: "4" or 4, from 1 to 9. */
static int version_of(json_t *v) {
    long x = 0;
    if (json_is_integer(v)) x = (long)json_integer_value(v);
    else if (json_is_string(v) && !cli_parse_long(json_string_value(v), 1, 9, &x)) x = 0;
    return x >= 1 && x <= 9 ? (int)x : 0;
}

static const char *status_of(json_t *resp) {
    json_t *res = json_object_get(resp, "result");
    json_t *st = json_object_get(res, "payloadStatus");
    return json_string_value(json_object_get(st ? st : res, "status"));
}

/* engine_forkchoiceUpdatedV<v> to hash, which must answer want (VALID: it
 * is the head now). */
static const char *forkchoice(et_run *r, node *n, int v, json_t *hash, const char *want) {
    static const char ZERO[] = "0x0000000000000000000000000000000000000000000000000000000000000000";
    char method[48];
    snprintf(method, sizeof method, "engine_forkchoiceUpdatedV%d", v);
    json_t *params = json_pack("[{s:O,s:s,s:s},n]", "headBlockHash", hash, "safeBlockHash", ZERO,
                               "finalizedBlockHash", ZERO);
    json_t *resp = call(n, method, params);
    json_decref(params);
    const char *st = status_of(resp);
    const char *why = NULL;
    if (!st || strcmp(st, want)) {
        char *text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
        snprintf(r->err, sizeof r->err, "%s: want %s, got %.300s", method, want, text ? text : "no answer");
        free(text);
        why = r->err;
    }
    json_decref(resp);
    return why;
}

/* One entry of engineNewPayloads; fcu_default: the test's engineFcuVersion
 * (older fixtures), or 0; head: the hash the last forkchoice update made the
 * head (the genesis at first), moved when this payload becomes it.
 *
 * A payload on another branch than the head's may be answered ACCEPTED
 * (kept, not executed), as the specification allows: the forkchoice update
 * to it then decides, VALID for a valid one (a reorg onto it), INVALID for
 * an invalid one. Chains converted from BlockchainTests have such branches. */
static const char *run_payload(et_run *r, node *n, json_t *e, size_t i, int fcu_default, json_t **head) {
    int v = version_of(json_object_get(e, "newPayloadVersion"));
    if (!v) v = version_of(json_object_get(e, "version")); /* older fixtures */
    int fv = version_of(json_object_get(e, "forkchoiceUpdatedVersion"));
    if (!fv) fv = fcu_default ? fcu_default : v < 3 ? v : 3;
    json_t *params = json_object_get(e, "params"), *code = json_object_get(e, "errorCode");
    const char *invalid = json_string_value(json_object_get(e, "validationError"));
    if (!v || !json_is_array(params) || !json_is_object(json_array_get(params, 0))) {
        snprintf(r->err, sizeof r->err, "malformed fixture: engineNewPayloads[%zu]", i);
        return r->err;
    }
    char method[40];
    snprintf(method, sizeof method, "engine_newPayloadV%d", v);
    json_t *resp = call(n, method, params);
    const char *st = status_of(resp);
    json_t *got_code = json_object_get(json_object_get(resp, "error"), "code");
    json_t *payload = json_array_get(params, 0), *hash = json_object_get(payload, "blockHash");
    const char *parent = json_string_value(json_object_get(payload, "parentHash"));
    bool side = !code && st && !strcmp(st, "ACCEPTED") && json_is_string(hash) && parent &&
                strcasecmp(parent, json_string_value(*head));
    bool ok;
    if (code) {
        /* a number, or its decimal text ("-32602": the codes are negative) */
        const char *text = json_string_value(code);
        uint64_t mag = 0;
        bool neg = text && text[0] == '-';
        bool parsed = text && cli_parse_u64(text + neg, 0, 1000000, &mag);
        long want = parsed ? (neg ? -(long)mag : (long)mag) : 0;
        ok = json_is_integer(got_code) && (json_is_integer(code) ? json_integer_value(code) == json_integer_value(got_code)
                                                                 : parsed && want == json_integer_value(got_code));
    } else {
        /* V1 answers a blockHash that is not the header's INVALID_BLOCK_HASH (V2 on: INVALID) */
        ok = st && (!strcmp(st, invalid ? "INVALID" : "VALID") || (invalid && v == 1 && !strcmp(st, "INVALID_BLOCK_HASH")));
    }
    if (!ok && side) {
        json_decref(resp);
        const char *why = forkchoice(r, n, fv, hash, invalid ? "INVALID" : "VALID");
        if (!why && !invalid) {
            json_decref(*head);
            *head = json_incref(hash);
        }
        return why;
    }
    if (!ok) {
        char *text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
        snprintf(r->err, sizeof r->err, "engineNewPayloads[%zu] (%s): want %s, got %.300s", i, method,
                 code ? "an error" : invalid ? "INVALID" : "VALID", text ? text : "no answer");
        free(text);
    }
    json_decref(resp);
    if (!ok) return r->err;
    if (code || invalid) return NULL;
    const char *why = forkchoice(r, n, fv, hash, "VALID");
    if (!why) {
        json_decref(*head);
        *head = json_incref(hash);
    }
    return why;
}

/* The head is lastblockhash, with the post state's root. */
static const char *check_end(et_run *r, node *n, json_t *t) {
    json_t *params = json_pack("[s,b]", "latest", 0);
    json_t *resp = call(n, "eth_getBlockByNumber", params);
    json_decref(params);
    json_t *head = json_object_get(resp, "result");
    bytes32 hash, root, last, want;
    const char *why = NULL;
    if (!json_hex_bytes32(head, "hash", &hash, r->err, sizeof r->err) ||
        !json_hex_bytes32(head, "stateRoot", &root, r->err, sizeof r->err))
        why = "eth_getBlockByNumber(latest) gave no head";
    else if (!json_hex_bytes32(t, "lastblockhash", &last, r->err, sizeof r->err))
        why = r->err;
    else if (!bytes32_eq(&hash, &last))
        why = "the head is not lastblockhash";
    json_decref(resp);
    if (why) return why;
    json_t *post = json_object_get(t, "postState");
    if (post) {
        mem_state *s = mem_state_new();
        bool loaded = json_load_pre_state(post, s, r->err, sizeof r->err);
        want = mem_state_root(s);
        mem_state_free(s);
        if (!loaded) return r->err;
    } else if (!json_object_get(t, "postStateHash") && json_object_get(t, "preHash")) {
        return NULL; /* engine_x: the head's hash holds its root */
    } else if (!json_hex_bytes32(t, "postStateHash", &want, r->err, sizeof r->err)) {
        return r->err;
    }
    return bytes32_eq(&root, &want) ? NULL : "the head's state root is not the post state's";
}

/* ---- engine_x: the genesis from a shared pre-state group ---- */

/* The group file of pre_hash: pre_alloc/<pre_hash>.json beside file or in
 * the nearest folder above that has one; NULL after writing why into r->err. */
static json_t *load_group(et_run *r, const char *file, const char *pre_hash) {
    size_t n = strlen(pre_hash);
    if (!n || n > 80 || strspn(pre_hash, "0123456789abcdefABCDEFx") != n) {
        snprintf(r->err, sizeof r->err, "malformed fixture: preHash \"%.100s\"", pre_hash);
        return NULL;
    }
    char dir[1024], path[sizeof r->group_file];
    snprintf(dir, sizeof dir, "%s", file);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        snprintf(path, sizeof path, "%s/pre_alloc/%s.json", !slash ? "." : dir, pre_hash);
        if (!access(path, R_OK)) break;
        if (!slash || !dir[0]) {
            snprintf(r->err, sizeof r->err, "no pre_alloc/%s.json in the test's folder or above it", pre_hash);
            return NULL;
        }
    }
    if (r->group && !strcmp(path, r->group_file)) return r->group;
    json_decref(r->group);
    r->group = NULL;
    json_error_t jerr;
    json_t *g = json_load_file(path, 0, &jerr);
    if (!g || !json_is_object(json_object_get(g, "pre")) || !json_is_object(json_object_get(g, "environment"))) {
        snprintf(r->err, sizeof r->err, "%.300s: %s", path, g ? "not a pre_alloc group (pre, environment)" : jerr.text);
        json_decref(g);
        return NULL;
    }
    snprintf(r->group_file, sizeof r->group_file, "%s", path);
    return r->group = g;
}

/* The header fields EEST's genesis takes from the group's environment. */
static const char *const env_fields[][2] = {{"currentCoinbase", "coinbase"},
                                            {"currentDifficulty", "difficulty"},
                                            {"currentGasLimit", "gasLimit"},
                                            {"currentBaseFee", "baseFeePerGas"},
                                            {"currentExcessBlobGas", "excessBlobGas"},
                                            {"currentBlobGasUsed", "blobGasUsed"}};

/* t as a blockchain_test_engine fixture: the group's pre, a
 * genesisBlockHeader built from its environment whose hash must be the
 * parent of the first payload that names one. A new reference, or NULL
 * after writing why into r->err. */
static json_t *with_group_genesis(et_run *r, const char *file, json_t *t) {
    json_t *group = load_group(r, file, json_string_value(json_object_get(t, "preHash")));
    if (!group) return NULL;
    /* the first payload that names its parent (one may lack the field on purpose: -32602) */
    json_t *parent = NULL, *e;
    size_t i;
    json_array_foreach(json_object_get(t, "engineNewPayloads"), i, e) {
        parent = json_object_get(json_array_get(json_object_get(e, "params"), 0), "parentHash");
        if (json_is_string(parent)) break;
    }
    if (!json_is_string(parent)) {
        snprintf(r->err, sizeof r->err, "malformed fixture: no payload's parentHash to check the genesis by");
        return NULL;
    }
    static const char ZERO[] = "0x0000000000000000000000000000000000000000000000000000000000000000";
    json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O}", "coinbase", "0x0000000000000000000000000000000000000000",
                          "number", "0x00", "timestamp", "0x00", "extraData", "0x00", "mixHash", ZERO, "nonce",
                          "0x0000000000000000", "difficulty", "0x020000", "hash", parent);
    json_t *env = json_object_get(group, "environment");
    for (size_t k = 0; k < sizeof env_fields / sizeof env_fields[0]; k++) {
        json_t *v = json_object_get(env, env_fields[k][0]);
        if (v) json_object_set(h, env_fields[k][1], v);
    }
    json_t *g = json_copy(t);
    json_object_set(g, "pre", json_object_get(group, "pre"));
    json_object_set_new(g, "genesisBlockHeader", h);
    return g;
}

static const char *run_chain(et_run *r, const char *dir, json_t *t, const chain_config *cfg) {
    json_t *payloads = json_object_get(t, "engineNewPayloads");
    if (!json_is_array(payloads)) return "not a blockchain_test_engine fixture (no engineNewPayloads)";
    db *d;
    db_options dopt = {.no_sync = true, .map_size = (size_t)1 << 26, .threads = r->threads};
    block_header g;
    const char *err = db_open(dir, &dopt, &d);
    if (err) return err;
    err = fixture_init_store(d, t, cfg, &g, r->err, sizeof r->err);
    db_close(d);
    if (err && json_object_get(t, "preHash") && !strncmp(err, "genesis hash differs", 20))
        return "the genesis built from the pre_alloc group is not the first payload's parent";
    if (err) return err;
    node_config nc = {.datadir = dir, .threads = r->threads, .preroot = r->preroot};
    node *n;
    if ((err = node_open(&nc, &n))) return err;
    size_t i;
    json_t *e;
    int fcu = version_of(json_object_get(t, "engineFcuVersion"));
    char ghex[67];
    hex_encode(g.hash.b, 32, ghex);
    json_t *head = json_string(ghex);
    json_array_foreach(payloads, i, e) {
        if ((err = run_payload(r, n, e, i, fcu, &head))) break;
    }
    json_decref(head);
    if (!err) err = check_end(r, n, t);
    node_close(n);
    return err;
}

static void run_test(fixture_run *fr, const char *file, const char *name, json_t *t) {
    et_run *r = (et_run *)fr;
    chain_config cfg;
    if (!fixture_network(fr, file, name, t, &cfg)) return;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%u", r->tmp, r->seq++);
    const char *err = NULL;
    json_t *x = NULL;
    if (json_object_get(t, "preHash") && !json_object_get(t, "pre")) {
        x = with_group_genesis(r, file, t);
        if (!x) err = r->err;
    }
    if (!err) err = run_chain(r, dir, x ? x : t, &cfg);
    json_decref(x);
    if (err) fixture_run_fail(fr, file, name, "%s", err);
    else fr->passed++;
    fixture_remove_store(dir);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm enginetest [--run REGEX] [--threads N] [--preroot auto|on|off] PATH...\n"
                    "  PATH: blockchain_test_engine files or folders (engineNewPayloads), each test run\n"
                    "  through a node on a fresh datadir (under $TMPDIR), payload by payload;\n"
                    "  blockchain_test_engine_x too (preHash: pre_alloc/ beside the tests or above)\n"
                    "  --threads N  the node's Block-STM threads (default 2)\n"
                    "  --preroot M  state roots computed in rounds while blocks execute (node --preroot)\n");
    return 2;
}

int cmd_enginetest(int argc, char **argv) {
    et_run r = {.base = {.cmd = "enginetest", .paths_ok = true, .run_test = run_test}, .threads = 2};
    for (int i = 1; i < argc; i++) {
        int used = fixture_run_option(&r.base, argc, argv, &i);
        if (used < 0) return 2;
        if (used) continue;
        long v;
        if (!strcmp(argv[i], "--threads") && i + 1 < argc && cli_parse_long(argv[i + 1], 1, 64, &v)) {
            r.threads = (unsigned)v;
            i++;
        } else if (!strcmp(argv[i], "--preroot") && i + 1 < argc && chain_preroot_parse(argv[i + 1], &r.preroot)) {
            i++;
        } else {
            fixture_run_free(&r.base);
            return usage();
        }
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(r.tmp, sizeof r.tmp, "%s/parevm-enginetest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r.tmp)) {
        fprintf(stderr, "parevm enginetest: cannot create a folder under %s\n", tmp && *tmp ? tmp : "/tmp");
        fixture_run_free(&r.base);
        return 1;
    }
    int status = fixture_run_all(&r.base);
    json_decref(r.group);
    rmdir(r.tmp);
    return status < 0 ? usage() : status;
}
