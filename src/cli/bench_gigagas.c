/* parevm bench gigagas: a block of about 1 Ggas of independent transactions,
 * each signed with libsecp256k1 so that sender recovery is real work, run
 * sequentially and with Block-STM; prints both execution times (senders
 * recovered before timing), the speedup, whether Block-STM ran, and sender
 * recovery on its own line.
 *
 *   transfers  raw ETH transfers between distinct accounts
 *   erc20      ERC-20 transfers between distinct holders of one token
 *   uniswap    Uniswap V2 swaps through the router, spread over many pairs
 *
 * The contracts are the npm builds of @uniswap/v2-core@1.0.1 and
 * @uniswap/v2-periphery@1.1.0-beta.0 (scripts/fetch-uniswap.sh), deployed by
 * running their constructors in parevm; setup transactions (deployments,
 * liquidity, token distribution, approvals) run unsigned and untimed. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "parevm/block_exec.h"
#include "cli_util.h"
#include "parevm/block_roots.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"

#define TARGET_GAS 1000000000ULL
#define GWEI 1000000000ULL

typedef struct {
    mem_state *state;
    executor *ex;
    block_env env;
    uint8_t deployer_key[32];
    address deployer;
    uint64_t deployer_nonce;
} sim;

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Deterministic secret key number i (a valid secp256k1 scalar). */
static void key_of(uint64_t i, uint8_t key[32]) {
    uint8_t seed[24] = "parevm-gigagas-key";
    memcpy(seed + 16, &i, 8);
    keccak256(seed, sizeof seed, key);
    key[0] &= 0x7f; /* well below the group order */
}

static void fund(sim *s, const address *a, uint64_t ether) {
    u256 wei = u256_from_u64(ether), e18 = u256_from_u64(1000000000000000000ULL);
    wei = u256_mul(&wei, &e18);
    mem_state_set_account(s->state, a, &wei, 0, NULL, 0);
}

static void fill_fees(transaction *tx) {
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = 1;
    tx->max_fee = u256_from_u64(3 * GWEI);
    tx->max_priority_fee = u256_from_u64(GWEI);
}

/* Runs a setup transaction signed with key and applies it; fails loudly. */
static bool setup_tx(sim *s, const uint8_t key[32], uint64_t nonce, const address *to, const uint8_t *data,
                     size_t len, uint64_t gas, address *created) {
    transaction tx = {0};
    fill_fees(&tx);
    tx.nonce = nonce;
    tx.gas_limit = gas;
    tx.has_to = to != NULL;
    if (to) tx.to = *to;
    tx.data = (uint8_t *)data;
    tx.data_len = len;
    if (!tx_sign(&tx, key)) return false;
    tx_result r;
    exec_transaction(s->ex, &s->env, mem_state_view(s->state), mem_state_codes(s->state), &tx, 0, &r);
    if (!r.valid || r.status != EVM_SUCCESS) {
        fprintf(stderr, "parevm bench: setup transaction failed: %s\n",
                r.valid ? evm_status_name(r.status) : r.error);
        return false;
    }
    mem_state_apply(s->state, executor_changes(s->ex));
    if (created) *created = r.created;
    return true;
}

static bool deploy(sim *s, const uint8_t *code, size_t len, const uint8_t *args, size_t args_len, address *out) {
    uint8_t *init = malloc(len + args_len);
    memcpy(init, code, len);
    if (args_len) memcpy(init + len, args, args_len);
    bool ok = setup_tx(s, s->deployer_key, s->deployer_nonce++, NULL, init, len + args_len, 15000000, out);
    free(init);
    return ok;
}

/* ---- ABI encoding ---- */

static void selector(const char *sig, uint8_t out[4]) {
    uint8_t h[32];
    keccak256(sig, strlen(sig), h);
    memcpy(out, h, 4);
}

static void abi_word(uint8_t *p, const u256 *v) { u256_to_be(v, p); }
static void abi_addr(uint8_t *p, const address *a) {
    memset(p, 0, 12);
    memcpy(p + 12, a->b, 20);
}
static void abi_u64(uint8_t *p, uint64_t v) {
    u256 x = u256_from_u64(v);
    abi_word(p, &x);
}
static const u256 U256_MAX = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}};

/* ---- contract artifacts ---- */

static bool load_artifact(const char *rel, uint8_t **code, size_t *len) {
    char path[1024];
    const char *cache = getenv("PAREVM_CACHE");
    snprintf(path, sizeof path, "%s/uniswap/%s", cache && *cache ? cache : PAREVM_SOURCE_DIR "/.cache", rel);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "%s/scripts/fetch-uniswap.sh", PAREVM_SOURCE_DIR);
        if (system(cmd) == 0) j = json_load_file(path, 0, &jerr);
    }
    if (!j) {
        fprintf(stderr, "parevm bench: cannot read %s (run scripts/fetch-uniswap.sh)\n", path);
        return false;
    }
    /* waffle's artifacts write the bytecode as hex without 0x */
    const char *hex = json_string_value(json_object_get(j, "bytecode"));
    bool ok = hex && hex_decode_alloc(hex, code, len);
    if (!ok) fprintf(stderr, "parevm bench: %s: field \"bytecode\" is not hex\n", path);
    json_decref(j);
    return ok;
}

/* ---- the three workloads ---- */

typedef struct {
    transaction *txs;
    size_t n, cap;
    uint8_t (*keys)[32]; /* signer of each transaction */
} tx_list;

static transaction *add_tx(tx_list *l, const uint8_t key[32]) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->txs = realloc(l->txs, l->cap * sizeof *l->txs);
        l->keys = realloc(l->keys, l->cap * 32);
        if (!l->txs || !l->keys) abort();
    }
    transaction *tx = &l->txs[l->n];
    memset(tx, 0, sizeof *tx);
    memcpy(l->keys[l->n], key, 32);
    l->n++;
    fill_fees(tx);
    return tx;
}

static bool build_transfers(sim *s, tx_list *l) {
    size_t n = TARGET_GAS / 21000;
    for (size_t i = 0; i < n; i++) {
        uint8_t key[32], rkey[32];
        address from, to;
        key_of(2 * i + 1, key);
        key_of(2 * i + 2, rkey);
        if (!tx_address_of_key(key, &from)) return false;
        memcpy(to.b, rkey, 20); /* recipients need no key */
        fund(s, &from, 10);
        transaction *tx = add_tx(l, key);
        tx->gas_limit = 21000;
        tx->has_to = true;
        tx->to = to;
        tx->value = u256_from_u64(1000 + i);
    }
    return true;
}

static bool build_erc20(sim *s, tx_list *l) {
    uint8_t *code;
    size_t len;
    if (!load_artifact("v2-core/build/ERC20.json", &code, &len)) return false;
    uint8_t args[32];
    abi_word(args, &U256_MAX);
    address token;
    bool ok = deploy(s, code, len, args, 32, &token);
    free(code);
    if (!ok) return false;
    /* first a sample to learn the gas of one transfer */
    size_t n = TARGET_GAS / 52000;
    uint8_t sel[4];
    selector("transfer(address,uint256)", sel);
    for (size_t i = 0; i < n && ok; i++) {
        uint8_t key[32], rkey[32];
        address from, to;
        key_of(2 * i + 1, key);
        key_of(2 * i + 2, rkey);
        if (!tx_address_of_key(key, &from)) return false;
        memcpy(to.b, rkey, 20);
        fund(s, &from, 10);
        uint8_t data[68];
        memcpy(data, sel, 4);
        abi_addr(data + 4, &from);
        abi_u64(data + 36, 1000000);
        ok = setup_tx(s, s->deployer_key, s->deployer_nonce++, &token, data, 68, 100000, NULL);
        transaction *tx = add_tx(l, key);
        tx->gas_limit = 80000;
        tx->has_to = true;
        tx->to = token;
        tx->data_len = 68;
        tx->data = malloc(68);
        memcpy(tx->data, sel, 4);
        abi_addr(tx->data + 4, &to);
        abi_u64(tx->data + 36, 1000 + i);
    }
    return ok;
}

#define UNISWAP_TOKENS 46 /* 1,035 possible pairs */
#define UNISWAP_PAIRS 1000

static bool build_uniswap(sim *s, tx_list *l) {
    uint8_t *erc20, *weth_code, *factory_code, *router_code;
    size_t erc20_len, weth_len, factory_len, router_len;
    if (!load_artifact("v2-core/build/ERC20.json", &erc20, &erc20_len) ||
        !load_artifact("v2-periphery/build/WETH9.json", &weth_code, &weth_len) ||
        !load_artifact("v2-core/build/UniswapV2Factory.json", &factory_code, &factory_len) ||
        !load_artifact("v2-periphery/build/UniswapV2Router02.json", &router_code, &router_len))
        return false;
    address weth, factory, router, tokens[UNISWAP_TOKENS];
    uint8_t args[64];
    bool ok = deploy(s, weth_code, weth_len, NULL, 0, &weth);
    abi_addr(args, &s->deployer);
    ok = ok && deploy(s, factory_code, factory_len, args, 32, &factory);
    abi_addr(args, &factory);
    abi_addr(args + 32, &weth);
    ok = ok && deploy(s, router_code, router_len, args, 64, &router);
    abi_word(args, &U256_MAX);
    for (int t = 0; ok && t < UNISWAP_TOKENS; t++) ok = deploy(s, erc20, erc20_len, args, 32, &tokens[t]);
    free(erc20);
    free(weth_code);
    free(factory_code);
    free(router_code);
    uint8_t sel_approve[4], sel_create[4], sel_add[4], sel_transfer[4], sel_swap[4];
    selector("approve(address,uint256)", sel_approve);
    selector("createPair(address,address)", sel_create);
    selector("addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)", sel_add);
    selector("transfer(address,uint256)", sel_transfer);
    selector("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)", sel_swap);
    /* the deployer lets the router pull every token */
    for (int t = 0; ok && t < UNISWAP_TOKENS; t++) {
        uint8_t d[68];
        memcpy(d, sel_approve, 4);
        abi_addr(d + 4, &router);
        abi_word(d + 36, &U256_MAX);
        ok = setup_tx(s, s->deployer_key, s->deployer_nonce++, &tokens[t], d, 68, 100000, NULL);
    }
    /* pairs (a, b) with liquidity */
    int pa[UNISWAP_PAIRS], pb[UNISWAP_PAIRS], np = 0;
    for (int a = 0; a < UNISWAP_TOKENS && np < UNISWAP_PAIRS; a++)
        for (int b = a + 1; b < UNISWAP_TOKENS && np < UNISWAP_PAIRS; b++) pa[np] = a, pb[np] = b, np++;
    u256 liquidity = u256_from_u64(1000000000000000000ULL);
    for (int p = 0; ok && p < np; p++) {
        uint8_t d[4 + 8 * 32];
        memcpy(d, sel_create, 4);
        abi_addr(d + 4, &tokens[pa[p]]);
        abi_addr(d + 36, &tokens[pb[p]]);
        ok = setup_tx(s, s->deployer_key, s->deployer_nonce++, &factory, d, 68, 5000000, NULL);
        memcpy(d, sel_add, 4);
        abi_addr(d + 4, &tokens[pa[p]]);
        abi_addr(d + 36, &tokens[pb[p]]);
        abi_word(d + 68, &liquidity);
        abi_word(d + 100, &liquidity);
        abi_u64(d + 132, 0);
        abi_u64(d + 164, 0);
        abi_addr(d + 196, &s->deployer);
        abi_u64(d + 228, UINT64_MAX);
        ok = ok && setup_tx(s, s->deployer_key, s->deployer_nonce++, &router, d, sizeof d, 5000000, NULL);
    }
    /* swappers: one swap each, on pair i % np, paying with token a */
    size_t n = TARGET_GAS / 115000;
    for (size_t i = 0; ok && i < n; i++) {
        int p = (int)(i % (size_t)np);
        uint8_t key[32];
        address who;
        key_of(i + 1, key);
        if (!tx_address_of_key(key, &who)) return false;
        fund(s, &who, 10);
        uint8_t d[4 + 7 * 32];
        memcpy(d, sel_transfer, 4);
        abi_addr(d + 4, &who);
        abi_u64(d + 36, 1000000000000ULL);
        ok = setup_tx(s, s->deployer_key, s->deployer_nonce++, &tokens[pa[p]], d, 68, 100000, NULL);
        memcpy(d, sel_approve, 4);
        abi_addr(d + 4, &router);
        abi_word(d + 36, &U256_MAX);
        ok = ok && setup_tx(s, key, 0, &tokens[pa[p]], d, 68, 100000, NULL);
        transaction *tx = add_tx(l, key);
        tx->nonce = 1;
        tx->gas_limit = 200000;
        tx->has_to = true;
        tx->to = router;
        /* swapExactTokensForTokens(amountIn, amountOutMin, path, to, deadline) */
        tx->data_len = 4 + 8 * 32;
        tx->data = malloc(tx->data_len);
        uint8_t *q = tx->data;
        memcpy(q, sel_swap, 4);
        abi_u64(q + 4, 1000000 + i);
        abi_u64(q + 36, 0);
        abi_u64(q + 68, 160); /* offset of path */
        abi_addr(q + 100, &who);
        abi_u64(q + 132, UINT64_MAX);
        abi_u64(q + 164, 2); /* path: [a, b] */
        abi_addr(q + 196, &tokens[pa[p]]);
        abi_addr(q + 228, &tokens[pb[p]]);
    }
    return ok;
}

/* ---- running the block ---- */

#define MAX_REPEAT 1000

typedef struct {
    double exec, cpu, senders; /* medians: execution alone (wall, process CPU), sender recovery */
    double phase[4];           /* medians of Block-STM's phase times (--phases; par_stats) */
    block_result res;
    bytes32 state_root, receipts_root;
    par_stats stats;
} run_result;

static void clear_senders(block *b) {
    for (size_t i = 0; i < b->n_txs; i++) b->txs[i].sender_known = false;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static double cpu_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Measurements of each repetition of one way of running the block. */
typedef struct {
    double *exec, *cpu, *senders;
    double *phase[4]; /* before, workers, commit, after */
} samples;

/* One run of b on a copy of base: sender recovery (one thread, or the
 * engine's), timed on its own, then execution with every sender known. */
static bool run_block(mem_state *base, block *b, block_rules *rules, executor *ex, par_engine *par, samples *sm,
                      int k, bool keep, run_result *out) {
    mem_state *s = mem_state_clone(base);
    clear_senders(b);
    double t0 = now_sec(); /* out->res keeps its buffers across runs */
    const char *why = NULL;
    if (par) {
        if (par_recover_senders(par, b, true) >= 0) why = "invalid signature";
    } else {
        for (size_t i = 0; i < b->n_txs && !why; i++)
            if (!tx_recover_sender(&b->txs[i], true)) why = "invalid signature";
    }
    double t1 = now_sec(), c1 = cpu_sec();
    if (!why) why = par ? par_block_execute_mem(par, rules, b, s, &out->res, &out->stats)
                        : block_execute_mem(ex, rules, b, s, &out->res);
    sm->exec[k] = now_sec() - t1;
    sm->cpu[k] = cpu_sec() - c1;
    sm->senders[k] = t1 - t0;
    if (par) {
        sm->phase[0][k] = out->stats.before_seconds;
        sm->phase[1][k] = out->stats.workers_seconds;
        sm->phase[2][k] = out->stats.commit_seconds;
        sm->phase[3][k] = out->stats.after_seconds;
    }
    if (why) {
        fprintf(stderr, "parevm bench: block failed: %s (transaction %ld)\n", why, out->res.invalid_tx);
    } else if (keep) {
        out->state_root = mem_state_root(s);
        out->receipts_root = block_receipts_root(&out->res);
    }
    mem_state_free(s);
    return !why;
}

static void take_medians(samples *sm, int reps, run_result *out) {
    out->exec = median(sm->exec, reps);
    out->cpu = median(sm->cpu, reps);
    out->senders = median(sm->senders, reps);
    for (int i = 0; i < 4; i++)
        if (sm->phase[i]) out->phase[i] = median(sm->phase[i], reps);
}

typedef struct {
    const char *kind;
    int threads, reps;
    bool json, no_fallback, phases;
} gigagas_opts;

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

static void report(const gigagas_opts *o, const block *b, const run_result *seq, const run_result *pr, double setup) {
    double gas = (double)seq->res.gas_used, speedup = ratio(seq->exec, pr->exec);
    bool stm = !pr->stats.sequential;
    if (o->json) {
        printf("{\"kind\":\"%s\",\"txs\":%zu,\"gas\":%.0f,\"threads\":%d,\"block_stm\":%s,", o->kind, b->n_txs,
               gas, o->threads, stm ? "true" : "false");
        if (!stm) printf("\"why_sequential\":\"%s\",", pr->stats.why_sequential);
        printf("\"executions\":%llu,\"aborts\":%llu,\"seq_exec_seconds\":%.6f,\"par_exec_seconds\":%.6f,"
               "\"seq_exec_cpu_seconds\":%.6f,\"par_exec_cpu_seconds\":%.6f,\"seq_senders_seconds\":%.6f,"
               "\"par_senders_seconds\":%.6f,\"seq_mgas_per_s\":%.1f,\"par_mgas_per_s\":%.1f,\"speedup\":%.3f,",
               (unsigned long long)pr->stats.executions, (unsigned long long)pr->stats.aborts, seq->exec, pr->exec,
               seq->cpu, pr->cpu, seq->senders, pr->senders, gas / seq->exec / 1e6, gas / pr->exec / 1e6, speedup);
        if (stm) printf("\"block_stm_speedup\":%.3f,", speedup);
        else printf("\"block_stm_speedup\":null,");
        if (stm && o->phases)
            printf("\"phases_seconds\":{\"before\":%.6f,\"workers\":%.6f,\"commit\":%.6f,\"after\":%.6f},",
                   pr->phase[0], pr->phase[1], pr->phase[2], pr->phase[3]);
        printf("\"senders_speedup\":%.3f,\"with_senders_speedup\":%.3f}\n", ratio(seq->senders, pr->senders),
               ratio(seq->exec + seq->senders, pr->exec + pr->senders));
        return;
    }
    printf("gigagas %s: %zu transactions, %.0f gas (setup %.1f s), %d threads, median of %d\n", o->kind, b->n_txs,
           gas, setup, o->threads, o->reps);
    printf("  execution alone (senders recovered before timing in both runs):\n");
    printf("    sequential  %9.3f ms  %8.1f Mgas/s  CPU %9.3f ms\n", seq->exec * 1e3, gas / seq->exec / 1e6,
           seq->cpu * 1e3);
    printf("    parallel    %9.3f ms  %8.1f Mgas/s  CPU %9.3f ms  ", pr->exec * 1e3, gas / pr->exec / 1e6, pr->cpu * 1e3);
    if (stm)
        printf("(Block-STM: %llu executions, %llu aborts)\n", (unsigned long long)pr->stats.executions,
               (unsigned long long)pr->stats.aborts);
    else
        printf("(Block-STM did not run: %s)\n", pr->stats.why_sequential);
    printf("    speedup     %9.2fx%s  (CPU par/seq %.2f)\n", speedup, stm ? "" : " (sequential fallback)",
           ratio(pr->cpu, seq->cpu));
    if (stm && o->phases)
        printf("    Block-STM phases: before the workers %.3f ms, workers %.3f ms (rolling commit, serial: %.3f ms), "
               "after %.3f ms\n",
               pr->phase[0] * 1e3, pr->phase[1] * 1e3, pr->phase[2] * 1e3, pr->phase[3] * 1e3);
    printf("  sender recovery: sequential %.1f ms, parallel %.1f ms (%.2fx)\n", seq->senders * 1e3,
           pr->senders * 1e3, ratio(seq->senders, pr->senders));
    printf("  senders + execution: %.2fx\n", ratio(seq->exec + seq->senders, pr->exec + pr->senders));
}

static int gigagas(const gigagas_opts *o) {
    par_engine *par = par_engine_new(o->threads);
    if (!par) {
        fprintf(stderr, "parevm bench gigagas: cannot start %d threads\n", o->threads);
        return 1;
    }
    par_options popts = {.hints = true, .sequential_fallback = !o->no_fallback, .timings = o->phases};
    par_engine_set_options(par, &popts);
    sim s = {.state = mem_state_new(), .ex = executor_new()};
    s.env = (block_env){.fork = FORK_CANCUN, .number = 20000000, .timestamp = 1720000000,
                        .gas_limit = 2 * TARGET_GAS, .chain_id = 1, .base_fee = u256_from_u64(GWEI)};
    block_env_set_blob_params(&s.env, &(blob_params){3, 6, 3338477});
    key_of(0, s.deployer_key);
    tx_address_of_key(s.deployer_key, &s.deployer);
    fund(&s, &s.deployer, 1000000);
    tx_list l = {0};
    double t0 = now_sec();
    bool ok = !strcmp(o->kind, "transfers") ? build_transfers(&s, &l)
              : !strcmp(o->kind, "erc20")   ? build_erc20(&s, &l)
                                            : build_uniswap(&s, &l);
    /* sign the benchmark block */
    for (size_t i = 0; ok && i < l.n; i++) ok = tx_sign(&l.txs[i], l.keys[i]);
    double setup = now_sec() - t0;
    if (!ok) fprintf(stderr, "parevm bench: setup of %s failed\n", o->kind);
    block b = {0};
    b.header.number = s.env.number;
    b.header.timestamp = s.env.timestamp;
    b.header.gas_limit = s.env.gas_limit;
    b.header.has_base_fee = true;
    b.header.base_fee = s.env.base_fee;
    b.header.has_blob_gas = true;
    memset(b.header.coinbase.b, 0xc0, 20);
    b.txs = l.txs;
    b.n_txs = l.n;
    block_rules rules = {.fork = FORK_CANCUN, .chain_id = 1, .blob = {3, 6, 3338477}}; /* EIP-4844's */
    run_result seq = {0}, pr = {0};
    double *buf = calloc((size_t)o->reps * 10, sizeof *buf);
    if (!buf) abort();
    samples ss = {buf, buf + o->reps, buf + 2 * o->reps, {NULL}},
            sp = {buf + 3 * o->reps,
                  buf + 4 * o->reps,
                  buf + 5 * o->reps,
                  {buf + 6 * o->reps, buf + 7 * o->reps, buf + 8 * o->reps, buf + 9 * o->reps}};
    /* sequential and parallel runs alternate, so that both meet the same
     * machine load and warm caches */
    for (int k = 0; ok && k < o->reps; k++) {
        bool last = k == o->reps - 1;
        ok = run_block(s.state, &b, &rules, s.ex, NULL, &ss, k, last, &seq) &&
             run_block(s.state, &b, &rules, s.ex, par, &sp, k, last, &pr);
    }
    if (ok) {
        take_medians(&ss, o->reps, &seq);
        take_medians(&sp, o->reps, &pr);
    }
    if (ok && (!bytes32_eq(&seq.state_root, &pr.state_root) || !bytes32_eq(&seq.receipts_root, &pr.receipts_root))) {
        fprintf(stderr, "parevm bench: parallel result differs from sequential\n");
        ok = false;
    }
    if (ok && o->no_fallback && pr.stats.sequential) {
        fprintf(stderr, "parevm bench: Block-STM did not run: %s\n", pr.stats.why_sequential);
        ok = false;
    }
    if (ok) report(o, &b, &seq, &pr, setup);
    free(buf);
    block_result_free(&seq.res);
    block_result_free(&pr.res);
    par_engine_free(par);
    for (size_t i = 0; i < l.n; i++) tx_free(&l.txs[i]);
    free(l.txs);
    free(l.keys);
    executor_free(s.ex);
    mem_state_free(s.state);
    return ok ? 0 : 1;
}

typedef struct {
    gigagas_opts o;
    int rc;
} gigagas_job;

static int gigagas_main(void *p) {
    gigagas_job *j = p;
    return j->rc = gigagas(&j->o);
}

static int gigagas_usage(void) {
    fprintf(stderr, "usage: parevm bench gigagas --kind transfers|erc20|uniswap [--threads N] [--repeat K]\n"
                    "                            [--no-fallback] [--phases] [--json]\n"
                    "  --threads N    Block-STM threads, 1-1024 (default: all CPUs)\n"
                    "  --repeat K     runs of each way, 1-%d (default 3); medians are reported\n"
                    "  --no-fallback  run the block through Block-STM even where it is predicted not to pay\n"
                    "  --phases       time Block-STM's phases: before the workers, the workers, the rolling\n"
                    "                 commit inside them (serial), after them (clock reads around each commit)\n",
            MAX_REPEAT);
    return 2;
}

int bench_gigagas(int argc, char **argv) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    gigagas_opts o = {.kind = NULL, .threads = ncpu < 1 ? 1 : ncpu > 1024 ? 1024 : (int)ncpu, .reps = 3};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--kind") && i + 1 < argc) o.kind = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) o.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json")) o.json = true;
        else if (!strcmp(argv[i], "--no-fallback")) o.no_fallback = true;
        else if (!strcmp(argv[i], "--phases")) o.phases = true;
        else {
            if (strcmp(argv[i], "--help")) fprintf(stderr, "parevm bench gigagas: unknown option '%s'\n", argv[i]);
            return gigagas_usage();
        }
    }
    if (!o.kind || (strcmp(o.kind, "transfers") && strcmp(o.kind, "erc20") && strcmp(o.kind, "uniswap")) ||
        o.threads < 1 || o.threads > 1024 || o.reps < 1 || o.reps > MAX_REPEAT)
        return gigagas_usage();
    gigagas_job j = {o, 0};
    return run_on_big_stack(gigagas_main, &j);
}
