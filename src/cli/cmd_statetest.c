/* parevm statetest: runs ethereum/tests GeneralStateTests fixtures.
 *
 * For each test, fork and (data, gas, value) index the transaction runs on
 * the pre-state; the post-state root and the logs hash are compared with the
 * fixture's, and transactions marked expectException must be rejected. */
#include <stdio.h>
#include <stdlib.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/state_root.h"
#include "statetest_trace.h"
#include "trace.h"

typedef struct {
    fixture_run base; /* first: the runner calls back with it */
    bool json, trace, has_fork;
    fork_id only_fork;
    executor *ex;
    json_tracer tracer;
    st_tracing tracing; /* --tracer, --tracer-config, --check-trace */
} st_run;

/* The transaction template of a test: arrays indexed by the post entries. */
typedef struct {
    json_t *tx;
    json_t *data, *gas, *value, *access_lists;
    transaction base;
    uint8_t secret_key[32];
    /* an authorization field no transaction can encode (a nonce of 2^64...):
     * every case must then expect the transaction to be rejected */
    char unencodable[200];
} tx_template;

static void fail_line(st_run *r, const char *file, const char *test, const char *fork, int d,
                      int g, int v, const char *expected, const char *actual) {
    r->base.failed++;
    if (r->json) return;
    printf("FAIL %s %s %s d%d g%d v%d: expected %s, got %s\n", file, test, fork, d, g, v, expected, actual);
}

static void malformed(st_run *r, const char *file, const char *test, const char *why) {
    fixture_run_fail(&r->base, file, test, "malformed fixture: %s", why);
}

static bool load_env(json_t *env, block_env *b, char *err, size_t errlen) {
    if (!json_is_object(env)) {
        snprintf(err, errlen, "field \"env\" is missing or not an object");
        return false;
    }
    memset(b, 0, sizeof *b);
    b->chain_id = 1;
    char e[200] = "";
    bool ok = json_hex_address(env, "currentCoinbase", &b->coinbase, e, sizeof e) &&
              json_hex_u64(env, "currentGasLimit", &b->gas_limit, e, sizeof e) &&
              json_hex_u64(env, "currentNumber", &b->number, e, sizeof e) &&
              json_hex_u64(env, "currentTimestamp", &b->timestamp, e, sizeof e) &&
              json_hex_u256(env, "currentDifficulty", &b->prevrandao, e, sizeof e);
    if (ok && json_object_get(env, "currentBaseFee"))
        ok = json_hex_u256(env, "currentBaseFee", &b->base_fee, e, sizeof e);
    if (ok && json_object_get(env, "currentExcessBlobGas"))
        ok = json_hex_u64(env, "currentExcessBlobGas", &b->excess_blob_gas, e, sizeof e);
    if (!ok) snprintf(err, errlen, "env: %s", e);
    return ok;
}

/* One EIP-7702 tuple as execution-spec-tests write it: chainId, address,
 * nonce, yParity (or v), r, s (and the signer, which we recover). Returns 1,
 * 0 for a value out of its field's range, -1 for a malformed entry. */
static int load_authorization(json_t *j, authorization *a, char *err, size_t errlen) {
    u256 nonce, y;
    json_t *yj = json_object_get(j, "yParity");
    if (!yj) yj = json_object_get(j, "v");
    if (!json_is_object(j) || !json_value_u256(json_object_get(j, "chainId"), &a->chain_id) ||
        !json_value_u256(json_object_get(j, "nonce"), &nonce) || !json_value_u256(yj, &y) ||
        !json_value_u256(json_object_get(j, "r"), &a->r) || !json_value_u256(json_object_get(j, "s"), &a->s)) {
        snprintf(err, errlen, "chainId, nonce, yParity, r and s must be hex quantities");
        return -1;
    }
    const char *addr = json_string_value(json_object_get(j, "address"));
    if (!addr || !hex_to_fixed(addr, a->addr.b, 20)) {
        snprintf(err, errlen, "field \"address\" is not 20 bytes of hex");
        return -1;
    }
    if (!u256_fits_u64(&nonce) || !u256_fits_u64(&y) || y.w[0] > 0xff) {
        snprintf(err, errlen, "nonce or yParity out of range");
        return 0;
    }
    a->nonce = nonce.w[0];
    a->y_parity = (uint8_t)y.w[0];
    return 1;
}

static bool load_authorizations(json_t *list, tx_template *t, char *err, size_t errlen) {
    transaction *b = &t->base;
    if (!json_is_array(list)) {
        snprintf(err, errlen, "field \"authorizationList\" is not an array");
        return false;
    }
    b->type = TX_SET_CODE;
    b->n_auths = json_array_size(list);
    b->auths = calloc(b->n_auths ? b->n_auths : 1, sizeof *b->auths);
    if (!b->auths) abort();
    for (size_t i = 0; i < b->n_auths; i++) {
        char e[64];
        int r = load_authorization(json_array_get(list, i), &b->auths[i], e, sizeof e);
        if (r < 0) {
            snprintf(err, errlen, "authorizationList[%zu]: %s", i, e);
            return false;
        }
        if (r == 0 && !t->unencodable[0]) snprintf(t->unencodable, sizeof t->unencodable, "authorizationList[%zu]: %s", i, e);
    }
    return true;
}

static bool load_tx_template(json_t *tx, tx_template *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (!json_is_object(tx)) {
        snprintf(err, errlen, "field \"transaction\" is missing or not an object");
        return false;
    }
    t->tx = tx;
    t->data = json_object_get(tx, "data");
    t->gas = json_object_get(tx, "gasLimit");
    t->value = json_object_get(tx, "value");
    t->access_lists = json_object_get(tx, "accessLists");
    if (!json_is_array(t->data) || !json_is_array(t->gas) || !json_is_array(t->value)) {
        snprintf(err, errlen, "transaction: data, gasLimit and value must be arrays");
        return false;
    }
    transaction *b = &t->base;
    char e[200] = "";
    const char *to = json_string_value(json_object_get(tx, "to"));
    if (!to) {
        snprintf(err, errlen, "transaction: field \"to\" is missing");
        return false;
    }
    b->has_to = to[0] && strcmp(to, "0x");
    bool ok = json_hex_u64(tx, "nonce", &b->nonce, e, sizeof e) &&
              (!b->has_to || json_hex_address(tx, "to", &b->to, e, sizeof e));
    if (ok && json_object_get(tx, "maxFeePerGas")) {
        b->type = TX_DYNAMIC_FEE;
        ok = json_hex_u256(tx, "maxFeePerGas", &b->max_fee, e, sizeof e) &&
             json_hex_u256(tx, "maxPriorityFeePerGas", &b->max_priority_fee, e, sizeof e);
    } else if (ok) {
        ok = json_hex_u256(tx, "gasPrice", &b->gas_price, e, sizeof e);
    }
    json_t *blobs = json_object_get(tx, "blobVersionedHashes");
    if (ok && blobs) {
        b->type = TX_BLOB;
        ok = json_hex_u256(tx, "maxFeePerBlobGas", &b->max_fee_per_blob_gas, e, sizeof e);
        size_t n = json_array_size(blobs);
        b->blob_hashes = calloc(n ? n : 1, sizeof(bytes32));
        b->n_blob_hashes = n;
        for (size_t i = 0; ok && i < n; i++) {
            const char *h = json_string_value(json_array_get(blobs, i));
            if (!h || !hex_to_fixed(h, b->blob_hashes[i].b, 32)) {
                snprintf(e, sizeof e, "blobVersionedHashes[%zu] is not a hash", i);
                ok = false;
            }
        }
    }
    json_t *auths = json_object_get(tx, "authorizationList");
    if (ok && auths && !json_is_null(auths)) {
        if (!load_authorizations(auths, t, err, errlen)) return false;
    }
    if (ok) {
        const char *sk = json_string_value(json_object_get(tx, "secretKey"));
        ok = sk && hex_to_fixed(sk, t->secret_key, 32);
        if (!ok) snprintf(e, sizeof e, "field \"secretKey\" is missing or not 32 bytes of hex");
    }
    b->chain_id = 1;
    if (!ok) snprintf(err, errlen, "transaction: %s", e);
    return ok;
}

static void free_access_list(transaction *tx) {
    for (size_t i = 0; i < tx->access_list_len; i++) free(tx->access_list[i].keys);
    free(tx->access_list);
    tx->access_list = NULL;
    tx->access_list_len = 0;
}

static bool load_access_list(json_t *list, transaction *tx) {
    size_t n = json_array_size(list);
    tx->access_list = calloc(n ? n : 1, sizeof *tx->access_list);
    tx->access_list_len = n;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        access_entry *a = &tx->access_list[i];
        const char *addr = json_string_value(json_object_get(e, "address"));
        json_t *keys = json_object_get(e, "storageKeys");
        if (!addr || !hex_to_fixed(addr, a->addr.b, 20) || !json_is_array(keys)) return false;
        a->n_keys = json_array_size(keys);
        a->keys = calloc(a->n_keys ? a->n_keys : 1, sizeof(bytes32));
        for (size_t k = 0; k < a->n_keys; k++) {
            const char *h = json_string_value(json_array_get(keys, k));
            if (!h || !hex_to_fixed(h, a->keys[k].b, 32)) return false;
        }
    }
    return true;
}

/* Fills tx from the template for indexes (d, g, v). */
static bool build_tx(tx_template *t, int d, int g, int v, transaction *tx, uint8_t **data, char *err,
                     size_t errlen) {
    *tx = t->base;
    tx->access_list = NULL;
    tx->access_list_len = 0;
    if (t->unencodable[0]) {
        snprintf(err, errlen, "transaction: %s", t->unencodable);
        return false;
    }
    size_t len;
    if (d < 0 || g < 0 || v < 0 || (size_t)d >= json_array_size(t->data) ||
        (size_t)g >= json_array_size(t->gas) || (size_t)v >= json_array_size(t->value)) {
        snprintf(err, errlen, "post: indexes d%d g%d v%d out of range", d, g, v);
        return false;
    }
    u256 gas;
    if (!json_value_bytes(json_array_get(t->data, (size_t)d), data, &len) ||
        !json_value_u256(json_array_get(t->gas, (size_t)g), &gas) || !u256_fits_u64(&gas) ||
        !json_value_u256(json_array_get(t->value, (size_t)v), &tx->value)) {
        snprintf(err, errlen, "transaction: bad data/gasLimit/value at d%d g%d v%d", d, g, v);
        return false;
    }
    tx->data = *data;
    tx->data_len = len;
    tx->gas_limit = gas.w[0];
    json_t *al = json_array_get(t->access_lists, (size_t)d);
    if (al && !json_is_null(al)) {
        if (tx->type == TX_LEGACY) tx->type = TX_ACCESS_LIST;
        if (!load_access_list(al, tx)) {
            free_access_list(tx);
            snprintf(err, errlen, "transaction: malformed accessLists[%d]", d);
            return false;
        }
    }
    /* sign as the fixture's sender did (legacy: unprotected, v = 27/28), so
     * the signature rules apply too */
    tx->has_chain_id = tx->type != TX_LEGACY;
    if (!tx_sign(tx, t->secret_key)) {
        free_access_list(tx);
        snprintf(err, errlen, "transaction: cannot sign with secretKey");
        return false;
    }
    return true;
}

static int index_of(json_t *idx, const char *k) {
    json_t *v = json_object_get(idx, k);
    return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

static void run_case(st_run *r, const char *file, const char *test, const char *fork_name, fork_id fork,
                     json_t *post, mem_state *pre, block_env env, tx_template *t) {
    json_t *idx = json_object_get(post, "indexes");
    int d = index_of(idx, "data"), g = index_of(idx, "gas"), v = index_of(idx, "value");
    char err[256];
    bytes32 want_root, want_logs;
    if (!json_hex_bytes32(post, "hash", &want_root, err, sizeof err) ||
        !json_hex_bytes32(post, "logs", &want_logs, err, sizeof err))
        return malformed(r, file, test, err);
    transaction tx;
    uint8_t *data = NULL;
    json_t *exc = json_object_get(post, "expectException");
    tx_result res = {0};
    bool built = build_tx(t, d, g, v, &tx, &data, err, sizeof err);
    if (!built) {
        free(data);
        /* a field no transaction can encode (e.g. a value of 2^256): fine
         * when the fixture expects the transaction to be rejected */
        if (!exc) return malformed(r, file, test, err);
        data = NULL;
        memset(&tx, 0, sizeof tx);
        res.error = "unencodable transaction field";
    }
    env.fork = fork;
    mem_state *s = mem_state_clone(pre);
    if (r->trace) executor_set_tracer(r->ex, &r->tracer.base);
    const char *trace_bad = NULL;
    if (built && st_tracing_on(&r->tracing)) {
        char label[400];
        snprintf(label, sizeof label, "%s %s %s d%d g%d v%d", file, test, fork_name, d, g, v);
        trace_bad = st_tracing_run(&r->tracing, r->ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res, label);
    } else if (built) {
        exec_transaction(r->ex, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &res);
    }
    if (r->trace) {
        json_tracer_summary(&r->tracer, res.output, res.valid ? res.output_size : 0, res.gas_used,
                            res.valid ? (res.status ? evm_status_name(res.status) : NULL) : res.error);
        executor_set_tracer(r->ex, NULL);
    }
    if (res.valid) mem_state_apply(s, executor_changes(r->ex));
    bytes32 root = mem_state_root(s);
    size_t nlogs = 0;
    const overlay_log *logs = res.valid ? overlay_logs(executor_overlay(r->ex), &nlogs) : NULL;
    bytes32 lh = logs_hash(res.valid ? logs : NULL, res.valid ? nlogs : 0,
                           overlay_log_data(executor_overlay(r->ex)));
    mem_state_free(s);
    free(data);
    free_access_list(&tx);

    char want[80], got[200];
    char root_hex[67], want_hex[67];
    hex_encode(root.b, 32, root_hex);
    hex_encode(want_root.b, 32, want_hex);
    bool pass = true;
    const char *why = NULL;
    if (trace_bad) {
        pass = false;
        snprintf(want, sizeof want, "matching traces");
        snprintf(got, sizeof got, "%.190s", trace_bad);
    } else if (exc && res.valid) {
        pass = false;
        snprintf(want, sizeof want, "exception %.50s", json_string_value(exc) ? json_string_value(exc) : "?");
        snprintf(got, sizeof got, "a valid transaction (root %s)", root_hex);
    } else if (!exc && !res.valid) {
        pass = false;
        snprintf(want, sizeof want, "a valid transaction");
        snprintf(got, sizeof got, "rejection: %s", res.error);
    } else if (!bytes32_eq(&root, &want_root)) {
        pass = false;
        snprintf(want, sizeof want, "root %s", want_hex);
        snprintf(got, sizeof got, "root %s", root_hex);
    } else if (!bytes32_eq(&lh, &want_logs)) {
        pass = false;
        char lh_hex[67];
        hex_encode(want_logs.b, 32, want_hex);
        hex_encode(lh.b, 32, lh_hex);
        snprintf(want, sizeof want, "logs %s", want_hex);
        snprintf(got, sizeof got, "logs %s", lh_hex);
    }
    if (!pass) why = got;
    if (pass)
        r->base.passed++;
    else
        fail_line(r, file, test, fork_name, d, g, v, want, got);
    if (r->json) {
        json_t *o = json_pack("{s:s,s:s,s:b,s:s}", "name", test, "fork", fork_name, "pass", pass,
                              "stateRoot", root_hex);
        if (why) json_object_set_new(o, "error", json_string(why));
        char *line = json_dumps(o, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(o);
    }
}

/* The blob parameters of the fork a post entry names (the BPO forks differ
 * from Osaka in nothing else), or of the test's config.blobSchedule where it
 * lists that fork. */
static bool set_blob_params(json_t *t, const char *name, fork_id fork, block_env *e, char *err, size_t errlen) {
    chain_config cfg;
    if (!chain_config_by_name(name, &cfg) && !chain_config_by_name(fork_name(fork), &cfg)) abort();
    json_t *schedule = json_object_get(json_object_get(t, "config"), "blobSchedule");
    if (schedule && !chain_blob_schedule_from_json(schedule, &cfg, err, errlen)) return false;
    blob_params p = chain_blob_params(&cfg, e->timestamp);
    block_env_set_blob_params(e, &p);
    return true;
}

static void run_test(fixture_run *fr, const char *file, const char *test, json_t *t) {
    st_run *r = (st_run *)fr;
    char err[300];
    block_env env;
    tx_template tt;
    json_t *post = json_object_get(t, "post");
    if (!json_is_object(post)) return malformed(r, file, test, "field \"post\" is missing or not an object");
    if (!load_env(json_object_get(t, "env"), &env, err, sizeof err)) return malformed(r, file, test, err);
    json_t *random = json_object_get(json_object_get(t, "env"), "currentRandom");
    u256 prevrandao_merge = env.prevrandao;
    if (random && !json_value_u256(random, &prevrandao_merge))
        return malformed(r, file, test, "env: field \"currentRandom\" is not hex");
    if (!load_tx_template(json_object_get(t, "transaction"), &tt, err, sizeof err)) {
        free(tt.base.blob_hashes);
        free(tt.base.auths);
        return malformed(r, file, test, err);
    }
    mem_state *pre = mem_state_new();
    if (!json_load_pre_state(json_object_get(t, "pre"), pre, err, sizeof err)) {
        malformed(r, file, test, err);
    } else {
        const char *fork_name;
        json_t *entries;
        json_object_foreach(post, fork_name, entries) {
            fork_id fork;
            if (!fork_from_name(fork_name, &fork)) {
                r->base.skipped += (int)json_array_size(entries);
                fprintf(stderr, "parevm statetest: %s %s: unknown fork %s skipped\n", file, test, fork_name);
                continue;
            }
            if (r->has_fork && fork != r->only_fork) continue;
            block_env e = env;
            if (fork >= FORK_PARIS) e.prevrandao = prevrandao_merge;
            if (fork >= FORK_CANCUN && !set_blob_params(t, fork_name, fork, &e, err, sizeof err)) {
                malformed(r, file, test, err);
                continue;
            }
            size_t i;
            json_t *entry;
            json_array_foreach(entries, i, entry) run_case(r, file, test, fork_name, fork, entry, pre, e, &tt);
        }
    }
    mem_state_free(pre);
    free(tt.base.blob_hashes);
    free(tt.base.auths);
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm statetest [--fork NAME] [--run REGEX] [--json] [--trace]\n"
            "                        [--tracer NAME] [--tracer-config JSON] [--check-trace] PATH...\n"
            "  PATH: a GeneralStateTests JSON file or a folder (searched recursively)\n"
            "  --fork NAME   only this fork (e.g. Cancun, Shanghai, Merge, EIP158)\n"
            "  --run REGEX   only tests whose name matches (POSIX extended regex)\n"
            "  --json        one JSON object per case on stdout\n"
            "  --trace       EIP-3155 trace of every case on stderr\n"
            "  --tracer NAME geth's callTracer or prestateTracer (structLogger: the opcode logger) of\n"
            "                every case, one JSON line on stdout: {\"case\", \"result\"}\n"
            "  --tracer-config JSON  geth's trace config object (tracer, tracerConfig, logger options)\n"
            "  --check-trace the EIP-3155 trace and the opcode logger's structLogs must agree\n");
    return 2;
}

int cmd_statetest(int argc, char **argv) {
    st_run r = {.base = {.cmd = "statetest", .paths_ok = true, .run_test = run_test}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = fixture_run_option(&r.base, argc, argv, &i);
        if (used == 0) used = st_tracing_option(&r.tracing, argc, argv, &i);
        if (used < 0) return 2;
        if (used) continue;
        if (!strcmp(a, "--fork")) {
            if (++i == argc) return usage();
            if (!fork_from_name(argv[i], &r.only_fork)) {
                fprintf(stderr, "parevm statetest: unknown fork '%s'\n", argv[i]);
                return 2;
            }
            r.has_fork = true;
        } else if (!strcmp(a, "--json")) {
            r.json = true;
        } else if (!strcmp(a, "--trace")) {
            r.trace = true;
        } else {
            return usage();
        }
    }
    if (st_tracing_on(&r.tracing) && !st_tracing_ready(&r.tracing)) return 2;
    r.ex = executor_new();
    json_tracer_init(&r.tracer, stderr);
    int status = fixture_run_all(&r.base);
    executor_free(r.ex);
    return status < 0 ? usage() : status;
}
