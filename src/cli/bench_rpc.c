/* parevm bench rpc: `parevm node --dev` and anvil side by side in one run.
 *
 * Each node is started on a free loopback port with the same chain (id
 * 31337, Osaka, a 300M gas limit) and given the same ERC-20 (Uniswap V2's
 * test ERC20, scripts/fetch-uniswap.sh) and the same N funded holders
 * (anvil_setBalance, anvil_setStorageAt on the balanceOf slot). Then:
 *
 *  - mining: automining off, N signed ERC-20 transfers (each holder to a
 *    fresh address) into the pool, and the wall time of evm_mine, which
 *    returns once the block is built and stored; the median over K blocks;
 *  - reads: eth_call (balanceOf), eth_getBalance and eth_getLogs (the
 *    token's Transfer logs to one address over the whole chain) at 1, 8
 *    and 64 keep-alive connections, each sending its next request as soon
 *    as the answer came (closed loop), for S seconds each: requests/s.
 *
 * The load generator runs on the same machine as the nodes: on a small or
 * shared machine the figures are noisy and the generator takes its share
 * of the CPU; compare the ratios within one run. --log FILE keeps parevm's
 * log (where each mined block's time went: select, execute, root, commit). */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "bench_http.h"
#include "cli_util.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/tx.h"

#define GWEI 1000000000ULL
#define CHAIN_ID 31337
#define GAS_LIMIT "300000000"
/* the first dev account of the test mnemonic (anvil's and parevm's) */
static const char DEV_KEY[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/* Uniswap V2's ERC20: totalSupply at slot 0, balanceOf at slot 1 */
#define BALANCE_SLOT 1

typedef struct {
    const char *anvil;
    double seconds;
    int txs, blocks;
    int conns[8], n_conns;
    const char *http_threads, *threads;
    const char *log; /* the nodes' output (parevm's log of each mined block) */
} rpc_opts;

/* What one node measured. */
typedef struct {
    const char *name;
    bool ran;
    double block_ms;   /* median evm_mine time */
    double gas_per_block;
    double rps[3][8];  /* [method][conns] */
    unsigned long errors;
} node_result;

static const char *METHODS[3] = {"eth_call", "eth_getBalance", "eth_getLogs"};

/* ---- encoding helpers ------------------------------------------------------------------ */

static void key_of(uint64_t i, uint8_t key[32]) {
    uint8_t seed[24] = "parevm-bench-rpc-key";
    memcpy(seed + 16, &i, 8);
    keccak256(seed, sizeof seed, key);
    key[0] &= 0x7f; /* well below the group order */
}

static json_t *hex_json(const uint8_t *b, size_t n) {
    char *s = malloc(2 * n + 3);
    if (!s) abort();
    hex_encode(b, n, s); /* "0x..." */
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *addr_json(const address *a) { return hex_json(a->b, 20); }

static void word_addr(uint8_t w[32], const address *a) {
    memset(w, 0, 12);
    memcpy(w + 12, a->b, 20);
}

static void selector(const char *sig, uint8_t out[4]) {
    uint8_t h[32];
    keccak256(sig, strlen(sig), h);
    memcpy(out, h, 4);
}

/* A signed EIP-1559 transaction, in its raw hex form (a JSON string). */
static json_t *signed_raw(const uint8_t key[32], uint64_t nonce, const address *to, const uint8_t *data, size_t len,
                          uint64_t gas) {
    transaction tx = {0};
    tx.type = TX_DYNAMIC_FEE;
    tx.has_chain_id = true;
    tx.chain_id = CHAIN_ID;
    tx.nonce = nonce;
    tx.max_fee = u256_from_u64(100 * GWEI);
    tx.max_priority_fee = u256_from_u64(GWEI);
    tx.gas_limit = gas;
    tx.has_to = to != NULL;
    if (to) tx.to = *to;
    tx.data = (uint8_t *)data;
    tx.data_len = len;
    if (!tx_sign(&tx, key)) return NULL;
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    json_t *j = hex_json(raw.data, raw.len);
    buf_free(&raw);
    return j;
}

/* ---- setup ------------------------------------------------------------------------------ */

static bool load_erc20(uint8_t **code, size_t *len) {
    char path[1024];
    const char *cache = getenv("PAREVM_CACHE");
    snprintf(path, sizeof path, "%s/uniswap/v2-core/build/ERC20.json", cache && *cache ? cache : PAREVM_SOURCE_DIR "/.cache");
    if (access(path, R_OK) != 0) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "%s/scripts/fetch-uniswap.sh", PAREVM_SOURCE_DIR);
        if (system(cmd) != 0) fprintf(stderr, "parevm bench: scripts/fetch-uniswap.sh failed\n");
    }
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        fprintf(stderr, "parevm bench: cannot read %s\n", path);
        return false;
    }
    /* the artifact's hex has no 0x */
    const char *hex = json_string_value(json_object_get(j, "bytecode"));
    bool ok = hex && hex_decode_alloc(hex, code, len);
    if (!ok) fprintf(stderr, "parevm bench: %s: no bytecode\n", path);
    json_decref(j);
    return ok;
}

/* Deploys the token from the dev account (automining is on); sets *token. */
static bool deploy_token(bench_conn *c, const char *name, const uint8_t *code, size_t len, address *token) {
    uint8_t key[32];
    hex_decode(DEV_KEY, key, 32);
    uint8_t *init = malloc(len + 32);
    if (!init) abort();
    memcpy(init, code, len);
    memset(init + len, 0xff, 32); /* the supply: all of it to the deployer */
    address dev;
    tx_address_of_key(key, &dev);
    json_t *n = bench_rpc(c, name, "eth_getTransactionCount", json_pack("[o,s]", addr_json(&dev), "latest"));
    uint64_t nonce = 0;
    bool ok = n && hex_parse_u64(json_string_value(n), &nonce);
    json_decref(n);
    json_t *raw = ok ? signed_raw(key, nonce, NULL, init, len + 32, 3000000) : NULL;
    free(init);
    json_t *h = raw ? bench_rpc(c, name, "eth_sendRawTransaction", json_pack("[o]", raw)) : NULL;
    json_t *rc = NULL;
    for (int i = 0; h && !rc && i < 200; i++) {
        rc = bench_rpc(c, name, "eth_getTransactionReceipt", json_pack("[O]", h));
        if (json_is_null(rc)) {
            json_decref(rc);
            rc = NULL;
            usleep(20000);
        }
    }
    json_decref(h);
    ok = rc && !strcmp(json_string_value(json_object_get(rc, "status")) ?: "", "0x1") &&
         hex_parse_fixed(json_string_value(json_object_get(rc, "contractAddress")) ?: "", token->b, 20);
    if (!ok) fprintf(stderr, "parevm bench: %s: the token deployment failed\n", name);
    json_decref(rc);
    return ok;
}

/* Gives every holder ether and tokens, in batches. */
static bool fund_holders(bench_conn *c, const char *name, const address *token, const address *holders, int n) {
    uint8_t amount[32] = {0};
    amount[20] = 1; /* 2^88 tokens' base units */
    for (int i = 0; i < n; i += 250) {
        json_t *calls = json_array();
        for (int k = i; k < n && k < i + 250; k++) {
            uint8_t pre[64] = {0}, slot[32];
            word_addr(pre, &holders[k]);
            pre[63] = BALANCE_SLOT;
            keccak256(pre, 64, slot);
            json_array_append_new(calls, json_pack("{s:s, s:[o,s]}", "method", "anvil_setBalance", "params",
                                                   addr_json(&holders[k]), "0x3635c9adc5dea00000"));
            json_array_append_new(calls, json_pack("{s:s, s:[o,o,o]}", "method", "anvil_setStorageAt", "params",
                                                   addr_json(token), hex_json(slot, 32), hex_json(amount, 32)));
        }
        json_t *r = bench_rpc_batch(c, name, calls);
        if (!r) return false;
        json_decref(r);
    }
    return true;
}

/* ---- measuring ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Mines o->blocks blocks of o->txs transfers; the median evm_mine time. */
static bool bench_mining(bench_conn *c, node_result *res, const rpc_opts *o, const address *token,
                         uint8_t (*keys)[32]) {
    json_t *r = bench_rpc(c, res->name, "evm_setAutomine", json_pack("[b]", 0));
    if (!r) return false;
    json_decref(r);
    uint8_t sel[4];
    selector("transfer(address,uint256)", sel);
    double *times = calloc((size_t)o->blocks, sizeof *times);
    if (!times) abort();
    bool ok = true;
    for (int b = 0; ok && b < o->blocks; b++) {
        for (int i = 0; ok && i < o->txs; i += 250) {
            json_t *calls = json_array();
            for (int k = i; k < o->txs && k < i + 250; k++) {
                uint8_t data[68] = {0}, to_seed[16];
                memcpy(data, sel, 4);
                address to;
                uint64_t id = (uint64_t)b * 1000000 + (uint64_t)k;
                memcpy(to_seed, "recipient", 9);
                memcpy(to_seed + 8, &id, 8);
                uint8_t h[32];
                keccak256(to_seed, sizeof to_seed, h);
                memcpy(to.b, h, 20);
                word_addr(data + 4, &to);
                data[67] = 1;
                json_t *raw = signed_raw(keys[k], (uint64_t)b, token, data, sizeof data, 100000);
                if (!raw) abort();
                json_array_append_new(calls, json_pack("{s:s, s:[o]}", "method", "eth_sendRawTransaction", "params", raw));
            }
            json_t *h = bench_rpc_batch(c, res->name, calls);
            ok = h != NULL;
            json_decref(h);
        }
        double t0 = bench_now();
        json_t *m = ok ? bench_rpc(c, res->name, "evm_mine", NULL) : NULL;
        times[b] = bench_now() - t0;
        json_t *blk = m ? bench_rpc(c, res->name, "eth_getBlockByNumber", json_pack("[s,b]", "latest", 0)) : NULL;
        json_decref(m);
        size_t n = json_array_size(json_object_get(blk, "transactions"));
        uint64_t gas = 0;
        hex_parse_u64(json_string_value(json_object_get(blk, "gasUsed")) ?: "0x0", &gas);
        if (blk && n != (size_t)o->txs) {
            fprintf(stderr, "parevm bench: %s mined %zu of the %d transactions into one block\n", res->name, n, o->txs);
            ok = false;
        }
        ok = ok && blk;
        res->gas_per_block = (double)gas;
        json_decref(blk);
    }
    qsort(times, (size_t)o->blocks, sizeof *times, cmp_double);
    res->block_ms = times[o->blocks / 2] * 1e3;
    free(times);
    return ok;
}

static char *request_body(const char *method, json_t *params) {
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!s) abort();
    return s;
}

static void bench_reads(node_result *res, int port, const rpc_opts *o, const address *token, const address *holder) {
    uint8_t call[36] = {0}, topic[32], to_word[32];
    selector("balanceOf(address)", call);
    word_addr(call + 4, holder);
    keccak256("Transfer(address,address,uint256)", 33, topic);
    /* the first recipient of the first mined block */
    uint8_t to_seed[16] = "recipient", h[32];
    memset(to_seed + 8, 0, 8);
    keccak256(to_seed, sizeof to_seed, h);
    memset(to_word, 0, 12);
    memcpy(to_word + 12, h, 20);
    char *bodies[3] = {
        request_body("eth_call", json_pack("[{s:o, s:o}, s]", "to", addr_json(token), "data", hex_json(call, 36), "latest")),
        request_body("eth_getBalance", json_pack("[o, s]", addr_json(holder), "latest")),
        request_body("eth_getLogs", json_pack("[{s:s, s:s, s:o, s:[o, n, o]}]", "fromBlock", "0x0", "toBlock", "latest",
                                              "address", addr_json(token), "topics", hex_json(topic, 32),
                                              hex_json(to_word, 32))),
    };
    for (int m = 0; m < 3; m++)
        for (int k = 0; k < o->n_conns; k++) {
            unsigned long errors = 0;
            res->rps[m][k] = bench_load(port, bodies[m], o->conns[k], o->seconds, &errors);
            res->errors += errors;
            if (errors) fprintf(stderr, "parevm bench: %s %s x%d: %lu errors\n", res->name, METHODS[m], o->conns[k], errors);
        }
    for (int m = 0; m < 3; m++) free(bodies[m]);
}

/* Starts one node, sets it up, measures, stops it. */
static void bench_node(node_result *res, char **argv, int port, const rpc_opts *o, const uint8_t *code, size_t len,
                       uint8_t (*keys)[32], const address *holders) {
    bench_child ch;
    fprintf(stderr, "parevm bench rpc: %s ...\n", res->name);
    if (!bench_child_start(&ch, res->name, argv, port, o->log, 60)) return;
    bench_conn c = {.fd = -1};
    address token;
    res->ran = bench_conn_open(&c, port) && deploy_token(&c, res->name, code, len, &token) &&
               fund_holders(&c, res->name, &token, holders, o->txs) && bench_mining(&c, res, o, &token, keys);
    bench_conn_close(&c);
    if (res->ran) bench_reads(res, port, o, &token, &holders[0]);
    bench_child_stop(&ch);
}

/* ---- the command ----------------------------------------------------------------------- */

static void print_results(const node_result *p, const node_result *a, const rpc_opts *o) {
    printf("%-16s %6s %14s %14s %8s\n", "method", "conns", "parevm req/s", "anvil req/s", "ratio");
    for (int m = 0; m < 3; m++)
        for (int k = 0; k < o->n_conns; k++) {
            double pr = p->ran ? p->rps[m][k] : 0, ar = a->ran ? a->rps[m][k] : 0;
            printf("%-16s %6d %14.0f %14.0f %8.2f\n", METHODS[m], o->conns[k], pr, ar, ar > 0 ? pr / ar : 0);
        }
    printf("%-16s %6s %14.1f %14.1f %8.2f   (ms per block of %d ERC-20 transfers, %.1f Mgas; median of %d)\n",
           "mine block", "-", p->block_ms, a->block_ms, a->block_ms > 0 ? p->block_ms / a->block_ms : 0, o->txs,
           p->gas_per_block / 1e6, o->blocks);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm bench rpc [--anvil PATH] [--seconds S] [--txs N] [--blocks K] [--conns 1,8,64]\n"
                    "                        [--http.threads N] [--threads N] [--log FILE]\n");
    return 2;
}

static const char *default_anvil(void) {
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/.npm-tools/node_modules/@foundry-rs/anvil-linux-%s/bin/anvil", PAREVM_SOURCE_DIR,
#if defined(__aarch64__)
             "arm64"
#else
             "amd64"
#endif
    );
    return access(path, X_OK) == 0 ? path : NULL;
}

static bool parse_conns(rpc_opts *o, const char *s) {
    o->n_conns = 0;
    for (char *end; *s && o->n_conns < 8; s = *end ? end + 1 : end) {
        long v = strtol(s, &end, 10);
        if (v < 1 || v > 1024 || (*end && *end != ',')) return false;
        o->conns[o->n_conns++] = (int)v;
    }
    return o->n_conns > 0;
}

int bench_rpc_main(int argc, char **argv) {
    rpc_opts o = {default_anvil(), 2.0, 2000, 3, {1, 8, 64}, 3, NULL, NULL, NULL};
    for (int i = 0; i < argc; i += 2) { /* every option takes a value */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(argv[i], "--anvil")) o.anvil = *v ? v : NULL; /* "": parevm only */
        else if (!strcmp(argv[i], "--seconds")) o.seconds = atof(v);
        else if (!strcmp(argv[i], "--txs")) o.txs = atoi(v);
        else if (!strcmp(argv[i], "--blocks")) o.blocks = atoi(v);
        else if (!strcmp(argv[i], "--conns")) { if (!parse_conns(&o, v)) return usage(); }
        else if (!strcmp(argv[i], "--http.threads")) o.http_threads = v;
        else if (!strcmp(argv[i], "--threads")) o.threads = v;
        else if (!strcmp(argv[i], "--log")) o.log = v;
        else return usage();
    }
    if (o.seconds <= 0 || o.txs < 1 || o.txs > 100000 || o.blocks < 1) return usage();
    uint8_t *code;
    size_t len;
    if (!load_erc20(&code, &len)) return 1;
    uint8_t (*keys)[32] = malloc((size_t)o.txs * 32);
    address *holders = malloc((size_t)o.txs * sizeof *holders);
    if (!keys || !holders) abort();
    for (int i = 0; i < o.txs; i++) {
        key_of((uint64_t)i, keys[i]);
        tx_address_of_key(keys[i], &holders[i]);
    }
    char self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sn <= 0) return 1;
    self[sn] = 0;

    node_result pr = {.name = "parevm"}, ar = {.name = "anvil"};
    char port_s[16];
    int port = bench_free_port();
    snprintf(port_s, sizeof port_s, "%d", port);
    char *pargv[16] = {self, "node", "--dev", "--http.port", port_s, "--dev.gaslimit", GAS_LIMIT};
    int pn = 7;
    if (!o.log) pargv[pn++] = "--quiet";
    if (o.http_threads) pargv[pn++] = "--http.threads", pargv[pn++] = (char *)o.http_threads;
    if (o.threads) pargv[pn++] = "--threads", pargv[pn++] = (char *)o.threads;
    bench_node(&pr, pargv, port, &o, code, len, keys, holders);

    if (o.anvil) {
        port = bench_free_port();
        snprintf(port_s, sizeof port_s, "%d", port);
        char *aargv[] = {(char *)o.anvil, "--port", port_s, "--hardfork", "osaka", "--chain-id", "31337",
                         "--gas-limit", GAS_LIMIT, "--silent", NULL};
        bench_node(&ar, aargv, port, &o, code, len, keys, holders);
    } else {
        fprintf(stderr, "parevm bench rpc: anvil not found (--anvil PATH, or scripts/install-deps.sh npm): parevm only\n");
    }
    free(code);
    free(keys);
    free(holders);
    print_results(&pr, &ar, &o);
    return pr.ran && (!o.anvil || ar.ran) && !pr.errors && !ar.errors ? 0 : 1;
}
