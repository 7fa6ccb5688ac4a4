/* libFuzzer target for the node's methods (src/node): one dev-mode node,
 * made once with a contract that stores and logs, a call to it and a
 * transfer, then every input runs one method of its open port's table on
 * parameters from the fuzzer. The first two bytes pick the method (the
 * tables hold more than 256); the rest is
 * the parameters as JSON text (the Engine API's methods too, from the
 * authenticated port's table), where @t, @b, @a, @s and @h stand for the
 * call's transaction hash, its block hash, the contract, the sender and a
 * block number held by the chain, so that inputs reach past "not found".
 * Methods that move the chain's time or head on purpose (evm_, anvil_,
 * hardhat_ but the ones that only read, debug_setHead), wait for a block
 * (the *Sync sends) or write files (debug_standardTrace*ToFile) are left
 * out. Nothing may crash or leak, and a result must serialise as JSON.
 *
 *   build-fuzz/fuzz_node -dict=fuzz/fuzz_node.dict -timeout=20 CORPUS
 *   (FUZZ_NODE_HARDFORK=homestead ...: on the dev chain of those rules) */
#define _GNU_SOURCE /* nftw's FTW_DEPTH */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/node.h"
#include "parevm/rpc.h"

static node *the_node;
static const char *names[1024];
static size_t n_names;
static char store_dir[] = "/tmp/parevm-fuzz-node-XXXXXX";
static char tx_hash[67], block_hash[67], contract[43], sender[43], block_number[8];

/* One method in-process; the result (a new reference) or NULL. */
static json_t *call(const char *method, const char *params_text) {
    json_t *params = json_loads(params_text, 0, NULL), *res = NULL;
    rpc_error err = {0};
    if (!params || !rpc_call(node_methods(the_node), method, params, &res, &err)) {
        fprintf(stderr, "fuzz_node: set-up %s failed: %s\n", method, params ? err.message : "bad JSON");
        abort();
    }
    rpc_error_clear(&err);
    json_decref(params);
    return res;
}

static void copy_str(char *out, size_t cap, const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= cap) abort();
    strcpy(out, s);
}

static bool kept(const char *name) {
    static const char *const OUT[] = {"evm_", "anvil_", "hardhat_"};
    /* the ones of those that only read */
    static const char *const READS[] = {"anvil_nodeInfo", "anvil_metadata", "hardhat_metadata", "anvil_getGenesisTime",
                                        "anvil_getAutomine", "anvil_getIntervalMining"};
    for (size_t i = 0; i < sizeof READS / sizeof READS[0]; i++)
        if (!strcmp(name, READS[i])) return true;
    for (size_t i = 0; i < sizeof OUT / sizeof OUT[0]; i++)
        if (!strncmp(name, OUT[i], strlen(OUT[i]))) return false;
    size_t len = strlen(name);
    /* nor the ones that write files (debug_standardTrace*ToFile) */
    if (len > 6 && !strcmp(name + len - 6, "ToFile")) return false;
    return strcmp(name, "debug_setHead") && !(len > 4 && !strcmp(name + len - 4, "Sync"));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The store goes when the fuzzer ends (not after a crash: it may help). */
static void tear_down(void) {
    node_close(the_node);
    nftw(store_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void set_up(void) {
    if (!mkdtemp(store_dir)) abort();
    /* FUZZ_NODE_HARDFORK: the dev chain's rules (--dev.hardfork), Osaka's by default */
    /* console.log output, block reports and --print-traces on (to
     * /dev/null): mined blocks and eth_calls take those paths too */
    static FILE *console;
    if (!console && !(console = fopen("/dev/null", "w"))) abort();
    node_config cfg = {.datadir = store_dir, .dev = true, .threads = 2, .dev_genesis_time = 1700000000,
                       .dev_hardfork = getenv("FUZZ_NODE_HARDFORK"), .console = console, .report = console,
                       .print_traces = true};
    if (node_open(&cfg, &the_node)) abort();
    atexit(tear_down);
    json_t *accts = call("eth_accounts", "[]");
    snprintf(sender, sizeof sender, "%s", json_string_value(json_array_get(accts, 0)));
    json_decref(accts);
    /* runtime: SSTORE(0, 1); LOG0(0, 32); STOP, returned by its init code */
    char p[600];
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"data\":\"0x6a600160005560206000a000600052600b6015f3\"}]", sender);
    json_t *h = call("eth_sendTransaction", p);
    char *hs = json_dumps(h, JSON_ENCODE_ANY);
    snprintf(p, sizeof p, "[%s]", hs);
    free(hs);
    json_decref(h);
    json_t *rcpt = call("eth_getTransactionReceipt", p);
    copy_str(contract, sizeof contract, rcpt, "contractAddress");
    json_decref(rcpt);
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"data\":\"0x01\"}]", sender, contract);
    h = call("eth_sendTransaction", p);
    snprintf(tx_hash, sizeof tx_hash, "%s", json_string_value(h));
    json_decref(h);
    snprintf(p, sizeof p, "[\"%s\"]", tx_hash);
    rcpt = call("eth_getTransactionReceipt", p);
    copy_str(block_hash, sizeof block_hash, rcpt, "blockHash");
    copy_str(block_number, sizeof block_number, rcpt, "blockNumber");
    json_decref(rcpt);
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x5\"}]", sender, contract);
    json_decref(call("eth_sendTransaction", p));

    const rpc_methods *m = node_methods(the_node), *auth = node_auth_methods(the_node);
    for (size_t i = 0; i < rpc_methods_count(m) && n_names < sizeof names / sizeof names[0]; i++)
        if (kept(rpc_methods_name(m, i))) names[n_names++] = rpc_methods_name(m, i);
    /* and the authenticated port's own (the Engine API) */
    for (size_t i = 0; i < rpc_methods_count(auth) && n_names < sizeof names / sizeof names[0]; i++) {
        const char *name = rpc_methods_name(auth, i);
        if (kept(name) && !rpc_methods_has(m, name)) names[n_names++] = name;
    }
}

/* Expands the placeholders into quoted values (malloc'd: the caller frees). */
static char *expand(const uint8_t *data, size_t size) {
    size_t cap = size * 68 + 1;
    char *out = malloc(cap), *o = out;
    if (!out) abort();
    for (size_t i = 0; i < size; i++) {
        const char *v = NULL;
        if (data[i] == '@' && i + 1 < size) {
            switch (data[i + 1]) {
            case 't': v = tx_hash; break;
            case 'b': v = block_hash; break;
            case 'a': v = contract; break;
            case 's': v = sender; break;
            case 'h': v = block_number; break;
            }
        }
        if (v) {
            o += sprintf(o, "\"%s\"", v);
            i++;
        } else {
            *o++ = (char)data[i];
        }
    }
    *o = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!the_node) set_up();
    if (size < 2 || size > 4096) return 0;
    const char *method = names[(data[0] | (size_t)data[1] << 8) % n_names];
    char *text = expand(data + 2, size - 2);
    json_t *params = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    if (!params) return 0;
    if (!json_is_array(params)) {
        json_t *wrapped = json_array();
        json_array_append_new(wrapped, params);
        params = wrapped;
    }
    json_t *res = NULL;
    rpc_error err = {0};
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FUZZ_NODE_VERBOSE") != NULL;
    const rpc_methods *table = rpc_methods_has(node_methods(the_node), method) ? node_methods(the_node)
                                                                               : node_auth_methods(the_node);
    if (rpc_call(table, method, params, &res, &err)) {
        char *out = res ? json_dumps(res, JSON_ENCODE_ANY) : NULL;
        if (res && !out) abort(); /* a result that is not JSON */
        if (verbose) fprintf(stderr, "%s -> %.200s\n", method, out ? out : "null");
        free(out);
    } else if (!err.message[0] || err.code == 0) {
        abort(); /* a failure must say why */
    } else if (verbose) {
        fprintf(stderr, "%s -> error %d %s\n", method, err.code, err.message);
    }
    rpc_error_clear(&err);
    json_decref(res);
    json_decref(params);
    return 0;
}
