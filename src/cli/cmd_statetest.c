/* parevm statetest: runs ethereum/tests GeneralStateTests fixtures.
 *
 * For each test, fork and (data, gas, value) index the transaction runs on
 * the pre-state, with the conventions of geth's and evmone's runners
 * (BLOCKHASH of n is keccak256 of n in decimal; the coinbase gets a 0-value
 * reward after a valid transaction); the post-state root and the logs hash
 * are compared with the fixture's, and a transaction marked expectException
 * must be rejected for the kind of reason it names (exceptions.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli_util.h"
#include "exceptions.h"
#include "commands.h"
#include "parevm/chain.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/state_root.h"
#include "statetest_blocks.h"
#include "statetest_trace.h"
#include "trace.h"

typedef struct {
    fixture_run base; /* first: the runner calls back with it */
    bool json, trace, has_fork;
    fork_id only_fork;
    executor *ex;
    overlay *touch; /* the runner's 0-value coinbase reward (coinbase_touch) */
    json_tracer tracer;
    json_trace_opts trace_opts; /* --trace.memory, --trace.nostack, --trace.returndata */
    st_tracing tracing; /* --tracer, --tracer-config, --check-trace */
    st_blocks *blocks;  /* --block-stm N: also as blocks, Block-STM against sequential */
    int block_threads, block_sample;
} st_run;

/* The transaction template of a test: arrays indexed by the post entries. */
typedef struct {
    json_t *data, *gas, *value, *access_lists;
    transaction base;
    bool nonce_overflow; /* a nonce beyond 64 bits: every case is rejected */
    bool has_sender;     /* "sender" given: it is the sender (as in geth) */
    address sender;
    bytes32 secret_key;
    /* an authorization field no transaction can encode (a nonce of 2^64...):
     * every case must then expect the transaction to be rejected */
    bool auth_overflow;
} tx_template;

static void fail_line(st_run *r, const char *file, const char *test, const char *fork, size_t d,
                      size_t g, size_t v, const char *expected, const char *actual) {
    r->base.failed++;
    if (r->json) return;
    printf("FAIL %s %s %s d%zu g%zu v%zu: expected %s, got %s\n", file, test, fork, d, g, v, expected, actual);
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
              json_hex_u64(env, "currentTimestamp", &b->timestamp, e, sizeof e);
    /* the difficulty may be left out after the Merge (currentRandom) */
    if (ok && (json_object_get(env, "currentDifficulty") || !json_object_get(env, "currentRandom")))
        ok = json_hex_u256(env, "currentDifficulty", &b->prevrandao, e, sizeof e);
    if (ok && json_object_get(env, "currentBaseFee"))
        ok = json_hex_u256(env, "currentBaseFee", &b->base_fee, e, sizeof e);
    if (ok && json_object_get(env, "currentExcessBlobGas"))
        ok = json_hex_u64(env, "currentExcessBlobGas", &b->excess_blob_gas, e, sizeof e);
    if (!ok) snprintf(err, errlen, "env: %s", e);
    return ok;
}

/* A JSON array of 32-byte hashes into a fresh array (*out, *n). */
static bool load_hashes(json_t *list, bytes32 **out, size_t *n, const char *what, char *err, size_t errlen) {
    if (!json_is_array(list)) {
        snprintf(err, errlen, "%s is not an array", what);
        return false;
    }
    *n = json_array_size(list);
    *out = calloc(*n ? *n : 1, sizeof(bytes32));
    if (!*out) abort();
    for (size_t i = 0; i < *n; i++) {
        const char *h = json_string_value(json_array_get(list, i));
        if (!h || !hex_parse_fixed(h, (*out)[i].b, 32)) {
            snprintf(err, errlen, "%s[%zu] is not a 32-byte hex hash", what, i);
            return false;
        }
    }
    return true;
}

/* The recipient: "" for a creation, else a 0x-prefixed address. A missing
 * or null "to" is a creation too, as geth's and evmone's readers take it
 * (evmone's exported tests leave it out). */
static bool load_to(json_t *tx, transaction *b, char *err, size_t errlen) {
    json_t *j = json_object_get(tx, "to");
    const char *to = j && !json_is_null(j) ? json_string_value(j) : "";
    if (!to) {
        snprintf(err, errlen, "field \"to\" is not a string");
        return false;
    }
    b->has_to = to[0] != 0;
    if (b->has_to && (strncmp(to, "0x", 2) || !hex_parse_fixed(to, b->to.b, 20))) {
        snprintf(err, errlen, "field \"to\" is neither \"\" nor a 0x-prefixed address: \"%.60s\"", to);
        return false;
    }
    return true;
}

static bool load_fees(json_t *tx, transaction *b, char *err, size_t errlen) {
    if (json_object_get(tx, "maxFeePerGas")) {
        b->type = TX_DYNAMIC_FEE;
        return json_hex_u256(tx, "maxFeePerGas", &b->max_fee, err, errlen) &&
               json_hex_u256(tx, "maxPriorityFeePerGas", &b->max_priority_fee, err, errlen);
    }
    return json_hex_u256(tx, "gasPrice", &b->gas_price, err, errlen);
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
    if (!addr || !hex_parse_fixed(addr, a->addr.b, 20)) {
        snprintf(err, errlen, "field \"address\" is not 20 bytes of hex");
        return -1;
    }
    if (!u256_fits_u64(&nonce) || !u256_fits_u64(&y) || y.w[0] > 0xff) return 0;
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
        if (r == 0) t->auth_overflow = true;
    }
    return true;
}

static bool load_tx_template(json_t *tx, tx_template *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (!json_is_object(tx)) {
        snprintf(err, errlen, "field \"transaction\" is missing or not an object");
        return false;
    }
    t->data = json_object_get(tx, "data");
    t->gas = json_object_get(tx, "gasLimit");
    t->value = json_object_get(tx, "value");
    t->access_lists = json_object_get(tx, "accessLists");
    if (!json_is_array(t->data) || !json_is_array(t->gas) || !json_is_array(t->value)) {
        snprintf(err, errlen, "transaction: data, gasLimit and value must be arrays");
        return false;
    }
    if (t->access_lists && !json_is_array(t->access_lists)) {
        snprintf(err, errlen, "transaction: accessLists is not an array");
        return false;
    }
    transaction *b = &t->base;
    char e[200] = "";
    u256 nonce;
    bool ok = json_hex_u256(tx, "nonce", &nonce, e, sizeof e) && load_to(tx, b, e, sizeof e) &&
              load_fees(tx, b, e, sizeof e);
    /* geth rejects such a transaction (EIP-2681) rather than the file */
    t->nonce_overflow = !u256_fits_u64(&nonce);
    b->nonce = nonce.w[0];
    json_t *blobs = json_object_get(tx, "blobVersionedHashes");
    if (ok && blobs) {
        b->type = TX_BLOB;
        ok = json_hex_u256(tx, "maxFeePerBlobGas", &b->max_fee_per_blob_gas, e, sizeof e) &&
             load_hashes(blobs, &b->blob_hashes, &b->n_blob_hashes, "blobVersionedHashes", e, sizeof e);
    }
    json_t *auths = json_object_get(tx, "authorizationList");
    if (ok && auths && !json_is_null(auths)) ok = load_authorizations(auths, t, e, sizeof e);
    if (ok) ok = json_hex_bytes32(tx, "secretKey", &t->secret_key, e, sizeof e);
    t->has_sender = json_object_get(tx, "sender") != NULL;
    if (ok && t->has_sender) ok = json_hex_address(tx, "sender", &t->sender, e, sizeof e);
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

static bool load_access_list(json_t *list, transaction *tx, char *err, size_t errlen) {
    if (!json_is_array(list)) {
        snprintf(err, errlen, "is not an array");
        return false;
    }
    size_t n = json_array_size(list);
    tx->access_list = calloc(n ? n : 1, sizeof *tx->access_list);
    if (!tx->access_list) abort();
    tx->access_list_len = n;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        access_entry *a = &tx->access_list[i];
        char what[40];
        snprintf(what, sizeof what, "[%zu].storageKeys", i);
        if (!json_is_object(e) || !json_hex_address(e, "address", &a->addr, err, errlen) ||
            !load_hashes(json_object_get(e, "storageKeys"), &a->keys, &a->n_keys, what, err, errlen)) {
            if (!json_is_object(e)) snprintf(err, errlen, "[%zu] is not an object", i);
            return false;
        }
    }
    return true;
}

/* Whether text is a quantity in form (0x-hex or decimal), whatever its size. */
static bool quantity_form(const char *text) {
    bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const char *p = hex ? text + 2 : text;
    if (hex && !*p) return false;
    for (; *p; p++)
        if (hex ? !isxdigit((unsigned char)*p) : !isdigit((unsigned char)*p)) return false;
    return true;
}

/* A transaction value as geth's state-test runner reads it: "0x" is zero,
 * retesteth's "0x:bigint N" is N; a value beyond 256 bits makes a
 * transaction that cannot exist (*overflow: geth rejects it). */
static bool load_value(json_t *v, u256 *out, bool *overflow) {
    *overflow = false;
    const char *s = json_string_value(v);
    if (!s) return json_value_u256(v, out);
    if (!strcmp(s, "0x")) {
        *out = U256_ZERO;
        return true;
    }
    if (!strncmp(s, "0x:bigint ", 10)) s += 10;
    if (hex_parse_u256(s, out)) return true;
    *overflow = quantity_form(s);
    return *overflow;
}

/* The post entry's (data, gas, value) indexes, each within its array. */
static bool load_indexes(json_t *post, const tx_template *t, size_t idx[3], char *err, size_t errlen) {
    static const char *const names[3] = {"data", "gas", "value"};
    json_t *arrays[3] = {t->data, t->gas, t->value};
    json_t *indexes = json_object_get(post, "indexes");
    if (!json_is_object(indexes)) {
        snprintf(err, errlen, "post: field \"indexes\" is missing or not an object");
        return false;
    }
    for (int k = 0; k < 3; k++) {
        json_t *v = json_object_get(indexes, names[k]);
        json_int_t i = json_is_integer(v) ? json_integer_value(v) : -1;
        if (i < 0 || (unsigned long long)i >= json_array_size(arrays[k])) {
            snprintf(err, errlen, "post: indexes.%s is not an index of transaction.%s (%zu entries)", names[k],
                     k == 0 ? "data" : k == 1 ? "gasLimit" : "value", json_array_size(arrays[k]));
            return false;
        }
        idx[k] = (size_t)i;
    }
    return true;
}

/* Fills tx from the template for indexes (d, g, v). A transaction that
 * cannot exist (value beyond 256 bits, nonce beyond 64) gets *reject. */
static bool build_tx(tx_template *t, const size_t idx[3], transaction *tx, uint8_t **data, const char **reject,
                     char *err, size_t errlen) {
    *tx = t->base;
    tx->access_list = NULL;
    tx->access_list_len = 0;
    *reject = NULL;
    size_t d = idx[0], g = idx[1], v = idx[2];
    size_t len;
    bool value_overflow;
    if (!json_value_bytes(json_array_get(t->data, d), data, &len)) {
        snprintf(err, errlen, "transaction.data[%zu] is not 0x-prefixed hex of whole bytes", d);
        return false;
    }
    if (!json_value_u64(json_array_get(t->gas, g), &tx->gas_limit)) {
        snprintf(err, errlen, "transaction.gasLimit[%zu] is not a 64-bit number", g);
        return false;
    }
    if (!load_value(json_array_get(t->value, v), &tx->value, &value_overflow)) {
        snprintf(err, errlen, "transaction.value[%zu] is not a number", v);
        return false;
    }
    if (value_overflow) *reject = REASON_TX_VALUE_OVERFLOW;
    if (t->nonce_overflow) *reject = REASON_TX_NONCE_OVERFLOW;
    if (t->auth_overflow) *reject = REASON_TX_AUTH_OVERFLOW;
    tx->data = *data;
    tx->data_len = len;
    json_t *al = json_array_get(t->access_lists, d);
    if (t->access_lists && d >= json_array_size(t->access_lists)) {
        snprintf(err, errlen, "transaction.accessLists has no entry %zu", d);
        return false;
    }
    if (al && !json_is_null(al)) {
        if (tx->type == TX_LEGACY) tx->type = TX_ACCESS_LIST;
        char e[160];
        if (!load_access_list(al, tx, e, sizeof e)) {
            free_access_list(tx);
            snprintf(err, errlen, "transaction.accessLists[%zu]%s", d, e);
            return false;
        }
    }
    /* sign as the fixture's sender did (legacy: unprotected, v = 27/28), so
     * the signature rules apply too */
    tx->has_chain_id = tx->type != TX_LEGACY;
    if (!tx_sign(tx, t->secret_key.b)) {
        free_access_list(tx);
        snprintf(err, errlen, "transaction: cannot sign with secretKey");
        return false;
    }
    if (t->has_sender) tx->sender = t->sender;
    return true;
}

/* ---- the state-test conventions of geth and evmone ---------------------- */

/* After a valid transaction the runners pay the coinbase a 0-value block
 * reward and commit again: before EIP-158 (Spurious Dragon) that leaves the
 * coinbase in the state, empty if it was absent or self-destructed; from
 * EIP-158 on, an empty coinbase is removed. After a rejected transaction
 * the runners differ: geth's returns before the reward, so the pre-state
 * stays as it was (execution-spec-tests' post-states agree), while evmone's
 * pays it anyway. parevm's root is geth's; an expected root that is
 * evmone's is accepted too (geth's and revm's runners do not compare the
 * root of a rejected transaction at all). */
static void coinbase_touch(st_run *r, mem_state *s, const address *coinbase, fork_id fork) {
    overlay_begin(r->touch, mem_state_view(s), mem_state_codes(s), fork);
    overlay_touch(r->touch, coinbase);
    change_set cs = {0};
    overlay_finish(r->touch, &cs);
    mem_state_apply(s, &cs);
    change_set_free(&cs);
}

/* What a post entry expects. */
typedef struct {
    size_t idx[3]; /* data, gas, value */
    bytes32 root, logs;
    const char *exception; /* expectException, or NULL */
} case_expect;

static bool load_expect(json_t *post, const tx_template *t, case_expect *x, char *err, size_t errlen) {
    memset(x, 0, sizeof *x);
    if (!json_is_object(post)) {
        snprintf(err, errlen, "post: an entry is not an object");
        return false;
    }
    if (!load_indexes(post, t, x->idx, err, errlen)) return false;
    char e[200];
    if (!json_hex_bytes32(post, "hash", &x->root, e, sizeof e) ||
        !json_hex_bytes32(post, "logs", &x->logs, e, sizeof e)) {
        snprintf(err, errlen, "post: %s", e);
        return false;
    }
    json_t *exc = json_object_get(post, "expectException");
    if (exc && !json_is_string(exc)) {
        snprintf(err, errlen, "post: field \"expectException\" is not a string");
        return false;
    }
    x->exception = json_string_value(exc);
    char unknown[80];
    if (x->exception && !exception_known(x->exception, unknown, sizeof unknown)) {
        snprintf(err, errlen, "post: unknown exception name \"%s\" in expectException", unknown);
        return false;
    }
    uint8_t *raw;
    size_t len;
    if (json_object_get(post, "txbytes")) {
        if (!json_hex_bytes(post, "txbytes", &raw, &len, e, sizeof e)) {
            snprintf(err, errlen, "post: %s", e);
            return false;
        }
        free(raw);
    }
    return true;
}

/* What running a case gave. */
typedef struct {
    tx_result res;
    bytes32 root, logs;
    bytes32 touched_root; /* a rejected transaction: the root after evmone's coinbase touch */
    const char *trace_bad; /* --check-trace: how the two traces differ */
} case_outcome;

/* Runs tx (or rejects it for `reject`) on a copy of pre, then the runners'
 * coinbase touch if it was valid, and takes the state root and the logs hash. */
static void execute_case(st_run *r, const block_env *env, mem_state *pre, const transaction *tx, const char *reject,
                         const char *label, case_outcome *o) {
    memset(o, 0, sizeof *o);
    mem_state *s = mem_state_clone(pre);
    /* State tests carry no block hashes: the runners answer BLOCKHASH(n)
     * (for the 256 blocks before currentNumber, the EVM checks the range)
     * with keccak256 of n written in decimal. */
    hash_override ho = {mem_state_view(s), decimal_block_hash, NULL};
    state_view view = hash_override_view(&ho);
    if (reject) {
        o->res.error = reject;
    } else {
        if (r->trace) executor_set_tracer(r->ex, &r->tracer.base);
        if (st_tracing_on(&r->tracing))
            o->trace_bad = st_tracing_run(&r->tracing, r->ex, env, view, mem_state_codes(s), tx, &o->res, label);
        else
            exec_transaction(r->ex, env, view, mem_state_codes(s), tx, 0, &o->res);
    }
    if (r->trace && !reject) {
        /* a transaction refused before execution has no top-level frame
         * and no summary (geth's OnExit, evmone's pass/gasUsed): only the
         * state root follows */
        if (o->res.valid) json_tracer_summary_tx(&r->tracer, r->ex, &o->res);
        executor_set_tracer(r->ex, NULL);
    }
    size_t nlogs = 0;
    const overlay_log *logs = NULL;
    if (o->res.valid) {
        mem_state_apply(s, executor_changes(r->ex));
        logs = overlay_logs(executor_overlay(r->ex), &nlogs);
    }
    o->logs = logs_hash(logs, nlogs, overlay_log_data(executor_overlay(r->ex)));
    if (o->res.valid) {
        coinbase_touch(r, s, &env->coinbase, env->fork);
        o->root = mem_state_root(s);
    } else {
        o->root = mem_state_root(s); /* geth's: the pre-state */
        coinbase_touch(r, s, &env->coinbase, env->fork);
        o->touched_root = mem_state_root(s); /* evmone's */
    }
    if (r->trace) {
        json_tracer_state_root(&r->tracer, &o->root); /* as geth's evm statetest ends each case */
        fflush(stderr); /* the case's whole trace before its result */
    }
    mem_state_free(s);
}

/* Compares the outcome with the expectation: a rejection must be for the
 * kind of reason expectException names (exceptions.c), then the root and
 * the logs hash must match. Fills want/got and returns false on a
 * difference. */
static bool judge(const case_expect *x, const case_outcome *o, char *want, size_t wn, char *got, size_t gn) {
    char a[67], b[67];
    if (x->exception && o->res.valid) {
        hex_encode(o->root.b, 32, b);
        snprintf(want, wn, "exception %.120s", x->exception);
        snprintf(got, gn, "a valid transaction (root %s)", b);
        return false;
    }
    if (x->exception && exception_match(x->exception, o->res.error, NULL, 0) != EXC_MATCH) {
        snprintf(want, wn, "exception %.120s", x->exception);
        snprintf(got, gn, "a rejection for another reason: %s", o->res.error);
        return false;
    }
    if (!x->exception && !o->res.valid) {
        snprintf(want, wn, "a valid transaction");
        snprintf(got, gn, "rejection: %s", o->res.error);
        return false;
    }
    const bytes32 *w = &x->root, *g = &o->root;
    const char *what = "root";
    if (bytes32_eq(w, g) || (!o->res.valid && bytes32_eq(w, &o->touched_root))) {
        w = &x->logs;
        g = &o->logs;
        what = "logs";
        if (bytes32_eq(w, g)) return true;
    }
    hex_encode(w->b, 32, a);
    hex_encode(g->b, 32, b);
    snprintf(want, wn, "%s %s", what, a);
    snprintf(got, gn, "%s %s", what, b);
    return false;
}

static void run_case(st_run *r, const char *file, const char *test, const char *fork_name, fork_id fork,
                     json_t *post, mem_state *pre, block_env env, tx_template *t) {
    char err[300];
    case_expect x;
    if (!load_expect(post, t, &x, err, sizeof err)) return malformed(r, file, test, err);
    transaction tx;
    uint8_t *data = NULL;
    const char *reject;
    if (!build_tx(t, x.idx, &tx, &data, &reject, err, sizeof err)) {
        free(data);
        return malformed(r, file, test, err);
    }
    env.fork = fork;
    if (r->blocks && !reject) {
        const char *diff = st_blocks_check(r->blocks, &env, pre, &tx);
        if (diff)
            fail_line(r, file, test, fork_name, x.idx[0], x.idx[1], x.idx[2], "Block-STM equal to sequential", diff);
    }
    case_outcome o;
    char label[400];
    snprintf(label, sizeof label, "%s %s %s d%zu g%zu v%zu", file, test, fork_name, x.idx[0], x.idx[1], x.idx[2]);
    execute_case(r, &env, pre, &tx, reject, label, &o);
    free(data);
    free_access_list(&tx);

    /* an unfilled test (goevmlab's generated ones): a zero expected root
     * is no expectation, since no trie hashes to it; the root is reported
     * as geth's evm statetest reports it, on stderr and stdout */
    static const bytes32 zero = {{0}};
    bool unfilled = bytes32_eq(&x.root, &zero) && !x.exception;
    char want[200], got[200];
    bool pass = unfilled || judge(&x, &o, want, sizeof want, got, sizeof got);
    if (pass && o.trace_bad) {
        pass = false;
        snprintf(want, sizeof want, "matching traces");
        snprintf(got, sizeof got, "%.190s", o.trace_bad);
    }
    if (pass)
        r->base.passed++;
    else
        fail_line(r, file, test, fork_name, x.idx[0], x.idx[1], x.idx[2], want, got);
    char root_hex[67];
    hex_encode(o.root.b, 32, root_hex);
    if (unfilled && !r->trace) fprintf(stderr, "{\"stateRoot\": \"%s\"}\n", root_hex);
    if (r->json || unfilled) {
        /* one line, with geth's spacing ("stateRoot": "0x..": harnesses
         * written for geth look for those bytes) */
        json_t *j = json_pack("{s:s,s:s,s:b,s:s}", "name", test, "fork", fork_name, "pass", pass,
                              "stateRoot", root_hex);
        if (!pass) json_object_set_new(j, "error", json_string(got));
        char *line = json_dumps(j, JSON_PRESERVE_ORDER);
        printf("%s\n", line);
        free(line);
        json_decref(j);
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

static void run_cases(st_run *r, const char *file, const char *test, json_t *test_json, json_t *post, mem_state *pre,
                      const block_env *env, const u256 *prevrandao_merge, tx_template *tt) {
    const char *fork_name;
    json_t *entries;
    json_object_foreach(post, fork_name, entries) {
        if (!json_is_array(entries)) {
            char err[160];
            snprintf(err, sizeof err, "post.%.60s is not an array", fork_name);
            malformed(r, file, test, err);
            continue;
        }
        fork_id fork;
        if (!fork_from_name(fork_name, &fork)) {
            r->base.skipped += (int)json_array_size(entries);
            fprintf(stderr, "parevm statetest: %s %s: unknown fork %s skipped\n", file, test, fork_name);
            continue;
        }
        if (r->has_fork && fork != r->only_fork) continue;
        block_env e = *env;
        if (fork >= FORK_PARIS) e.prevrandao = *prevrandao_merge;
        char err[300];
        if (fork >= FORK_CANCUN && !set_blob_params(test_json, fork_name, fork, &e, err, sizeof err)) {
            malformed(r, file, test, err);
            continue;
        }
        size_t i;
        json_t *entry;
        json_array_foreach(entries, i, entry) run_case(r, file, test, fork_name, fork, entry, pre, e, tt);
    }
}

static void run_test(fixture_run *fr, const char *file, const char *test, json_t *t) {
    st_run *r = (st_run *)fr;
    char err[300];
    block_env env;
    tx_template tt;
    json_t *post = json_object_get(t, "post");
    if (!json_is_object(post)) return malformed(r, file, test, "field \"post\" is missing or not an object");
    if (!load_env(json_object_get(t, "env"), &env, err, sizeof err)) return malformed(r, file, test, err);
    u256 prevrandao_merge = env.prevrandao;
    if (json_object_get(json_object_get(t, "env"), "currentRandom") &&
        !json_hex_u256(json_object_get(t, "env"), "currentRandom", &prevrandao_merge, err, sizeof err))
        return malformed(r, file, test, err);
    if (!load_tx_template(json_object_get(t, "transaction"), &tt, err, sizeof err)) {
        free(tt.base.blob_hashes);
        free(tt.base.auths);
        return malformed(r, file, test, err);
    }
    mem_state *pre = mem_state_new();
    if (!json_load_pre_state(json_object_get(t, "pre"), pre, err, sizeof err))
        malformed(r, file, test, err);
    else
        run_cases(r, file, test, t, post, pre, &env, &prevrandao_merge, &tt);
    mem_state_free(pre);
    free(tt.base.blob_hashes);
    free(tt.base.auths);
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm statetest [--fork NAME] [--run REGEX] [--json] [--trace] [--trace.memory]\n"
            "                        [--trace.nostack] [--trace.returndata]\n"
            "                        [--tracer NAME] [--tracer-config JSON] [--check-trace] [PATH...]\n"
            "  PATH: a GeneralStateTests JSON file or a folder (searched recursively); without\n"
            "        one, paths are read from stdin, one per line, each run and summed up in turn\n"
            "  --fork NAME   only this fork (e.g. Cancun, Shanghai, Merge, EIP158)\n"
            "  --run REGEX   only tests whose name matches (POSIX extended regex)\n"
            "  --json        one JSON object per case on stdout\n"
            "  a zero expected root (an unfilled test) checks nothing: the root is written\n"
            "  as geth writes it, {\"stateRoot\": \"0x..\"} on stderr and a JSON line on stdout\n"
            "  --trace       EIP-3155 trace of every case on stderr; --trace.memory, --trace.nostack,\n"
            "                --trace.returndata (geth's) add or drop those fields; geth's evm flags\n"
            "                --trace.format=json, --trace.nomemory, --trace.noreturndata, --trace.nostorage,\n"
            "                --nomemory, --nostack, --noreturndata, --nostorage are taken too\n"
            "  --tracer NAME geth's callTracer, prestateTracer, flatCallTracer, 4byteTracer or noopTracer\n"
            "                (structLogger: the opcode logger) of every case, one JSON line on stdout:\n"
            "                {\"case\", \"result\"}\n"
            "  --tracer-config JSON  geth's trace config object (tracer, tracerConfig, logger options)\n"
            "  --check-trace the EIP-3155 trace and the opcode logger's structLogs must agree\n"
            "  --block-stm N also run each case as blocks, sequentially and with Block-STM\n"
            "                on N threads, and fail where they differ\n"
            "  --block-stm-sample K  only every K-th case, one block variant each in turn\n");
    return 2;
}

/* Reads the options into r; returns 0, or the exit status to stop with. */
static int parse_options(st_run *r, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool ok = true;
        int used = fixture_run_option(&r->base, argc, argv, &i);
        if (used == 0) used = st_tracing_option(&r->tracing, argc, argv, &i);
        if (used < 0) return 2;
        if (used) continue;
        if (!strcmp(a, "--fork")) {
            if (++i == argc) return usage();
            if (!fork_from_name(argv[i], &r->only_fork)) {
                fprintf(stderr, "parevm statetest: unknown fork '%s'\n", argv[i]);
                return 2;
            }
            r->has_fork = true;
        } else if (!strcmp(a, "--json")) {
            r->json = true;
        } else if (!strcmp(a, "--trace")) {
            r->trace = true;
        } else if (json_trace_option(a, &r->trace_opts, &ok)) {
            if (!ok) return usage();
            r->trace = true; /* as --trace, with those fields */
        } else if (json_trace_geth_option(argc, argv, &i, &r->trace_opts, &ok)) {
            if (!ok) return usage();
        } else if (!strcmp(a, "--block-stm") && i + 1 < argc) {
            r->block_threads = atoi(argv[++i]);
            if (r->block_threads < 1 || r->block_threads > 1024) return usage();
        } else if (!strcmp(a, "--block-stm-sample") && i + 1 < argc) {
            r->block_sample = atoi(argv[++i]);
            if (r->block_sample < 1) return usage();
        } else {
            return usage();
        }
    }
    return 0;
}

int cmd_statetest(int argc, char **argv) {
    st_run r = {.base = {.cmd = "statetest", .paths_ok = true, .run_test = run_test}};
    int status = parse_options(&r, argc, argv);
    if (status) {
        fixture_run_free(&r.base);
        return status;
    }
    if (st_tracing_on(&r.tracing) && !st_tracing_ready(&r.tracing)) {
        fixture_run_free(&r.base);
        return 2;
    }
    if (r.block_threads && !(r.blocks = st_blocks_new(r.block_threads, (unsigned)r.block_sample))) {
        fprintf(stderr, "parevm statetest: cannot start %d threads\n", r.block_threads);
        fixture_run_free(&r.base);
        return 1;
    }
    r.ex = executor_new();
    r.touch = overlay_new();
    /* a trace line is a dozen writes: buffered, a case's trace costs a
     * few writes instead of a million (flushed at the end of each case) */
    if (r.trace) setvbuf(stderr, NULL, _IOFBF, 1 << 16);
    json_tracer_init(&r.tracer, stderr);
    r.tracer.opts = r.trace_opts;
    /* no PATH: paths from stdin, unless it is a terminal (then usage) */
    status = !r.base.has_paths && !isatty(STDIN_FILENO) ? fixture_run_stdin(&r.base) : fixture_run_all(&r.base);
    if (r.blocks) st_blocks_summary(r.blocks, stdout);
    st_blocks_free(r.blocks);
    overlay_free(r.touch);
    executor_free(r.ex);
    return status < 0 ? usage() : status;
}
