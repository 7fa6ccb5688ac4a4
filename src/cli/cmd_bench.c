/* parevm bench: throughput benchmarks.
 *
 *   bench evm [PATH]  the evm-benchmarks suite (ipsilon/evm-benchmarks): each
 *                     contract runs as a CALL with the input as call data,
 *                     Istanbul rules, a very large gas limit, no intrinsic
 *                     gas, state kept across runs, jump analysis done once.
 *                     Prints the median time per run and Mgas/s, as
 *                     evmone-bench's baseline/execute does. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "cli_util.h"
#include "commands.h"
#include <stdbool.h>
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/state_host.h"

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define MAX_RUNS 2000

typedef struct {
    double median_s;
    uint64_t gas;
    int runs;
    evm_status status;
} bench_result;

/* Runs code at `to` with input repeatedly on one state. */
static bench_result bench_call(mem_state *s, const address *to, const uint8_t *input, size_t len) {
    bench_result br = {0};
    evm_vm *vm = evm_vm_new();
    overlay *ov = overlay_new();
    change_set cs = {0};
    evm_tx_context ctx = {.fork = FORK_ISTANBUL, .gas_limit = 1000000000, .number = 1, .timestamp = 1,
                          .chain_id = u256_from_u64(1)};
    state_host host = {ov, vm, &ctx, NULL};
    evm_host ih = state_host_interface(&host);
    evm_message msg = {.kind = EVM_CALL, .gas = INT64_MAX / 2, .recipient = *to, .code_address = *to,
                       .input = input, .input_size = len};
    static double times[MAX_RUNS];
    double total = 0;
    while (br.runs < MAX_RUNS && (br.runs < 3 || total < 0.5)) {
        overlay_begin(ov, mem_state_view(s), mem_state_codes(s), ctx.fork);
        const evm_code *code = overlay_code(ov, to);
        evm_code_jumpdests(code); /* analysis is not part of execution time */
        double t0 = now_sec();
        evm_result r = evm_execute(vm, &ih, &ctx, &msg, code);
        double dt = now_sec() - t0;
        br.gas = (uint64_t)(msg.gas - r.gas_left);
        br.status = r.status;
        times[br.runs++] = dt;
        total += dt;
        overlay_finish(ov, &cs);
        mem_state_apply(s, &cs);
    }
    qsort(times, (size_t)br.runs, sizeof times[0], cmp_double);
    br.median_s = times[br.runs / 2];
    change_set_free(&cs);
    overlay_free(ov);
    evm_vm_free(vm);
    return br;
}

/* Totals over the benchmarks run, and how many inputs were bad. */
typedef struct {
    double gas, time;
    int runs, errors;
} bench_totals;

static void bench_error(bench_totals *t, const char *file, const char *what) {
    fprintf(stderr, "parevm bench: %s: %s\n", file, what);
    t->errors++;
}

/* The group and name of a benchmark file, "group/name" without ".json". */
static void file_title(const char *file, char *out, size_t n) {
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *p = base > file ? base - 1 : file;
    while (p > file && p[-1] != '/') p--;
    size_t blen = strlen(base);
    if (blen > 5 && !strcmp(base + blen - 5, ".json")) blen -= 5;
    if (base > file)
        snprintf(out, n, "%.*s%.*s", (int)(base - p), p, (int)blen, base);
    else
        snprintf(out, n, "%.*s", (int)blen, base);
}

static void bench_test(bench_totals *tot, const char *file, const char *title, json_t *t) {
    char err[256];
    address to;
    json_t *tx = json_object_get(t, "transaction");
    json_t *data = json_object_get(tx, "data");
    if (!json_is_object(t) || !json_is_object(tx) || !json_is_array(data))
        return bench_error(tot, file, "not a state test with transaction.data (an evm-benchmarks file?)");
    mem_state *s = mem_state_new();
    if (!json_load_pre_state(json_object_get(t, "pre"), s, err, sizeof err) ||
        !json_hex_address(tx, "to", &to, err, sizeof err)) {
        mem_state_free(s);
        return bench_error(tot, file, err);
    }
    json_t *labels = json_object_get(json_object_get(t, "_info"), "labels");
    size_t i;
    json_t *d;
    json_array_foreach(data, i, d) {
        uint8_t *input;
        size_t len;
        if (!json_value_bytes(d, &input, &len)) {
            snprintf(err, sizeof err, "transaction.data[%zu] is not 0x-prefixed hex of whole bytes", i);
            bench_error(tot, file, err);
            continue;
        }
        char key[24];
        snprintf(key, sizeof key, "%zu", i);
        const char *label = json_string_value(json_object_get(labels, key));
        mem_state *run_state = mem_state_clone(s);
        bench_result br = bench_call(run_state, &to, input, len);
        mem_state_free(run_state);
        char name[160];
        snprintf(name, sizeof name, "%s/%s", title, label ? label : key);
        double mgas = br.median_s > 0 ? (double)br.gas / br.median_s / 1e6 : 0;
        printf("%-44s %12llu %12.2f %10.1f%s\n", name, (unsigned long long)br.gas, br.median_s * 1e6, mgas,
               br.status == EVM_SUCCESS ? "" : "  (not success)");
        tot->gas += (double)br.gas;
        tot->time += br.median_s;
        tot->runs++;
        free(input);
    }
    mem_state_free(s);
}

static void bench_file(const char *file, bench_totals *tot) {
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    if (!root) {
        char err[300];
        snprintf(err, sizeof err, "invalid JSON at line %d: %s", jerr.line, jerr.text);
        return bench_error(tot, file, err);
    }
    char title[128];
    file_title(file, title, sizeof title);
    if (!json_is_object(root)) bench_error(tot, file, "the top level is not an object");
    const char *name;
    json_t *t;
    json_object_foreach(root, name, t) bench_test(tot, file, title, t);
    json_decref(root);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm bench evm [PATH...]\n"
                    "       parevm bench gigagas --kind transfers|erc20|uniswap [--threads N] [--repeat K]\n"
                    "                            [--no-fallback] [--phases] [--json]\n"
                    "       parevm bench precompiles\n"
                    "       parevm bench rpc [--anvil PATH] [--seconds S] [--txs N] [--blocks K] [--conns 1,8,64]\n"
                    "       parevm bench mainnet [replay's options] [PATH]   (replay --mode both --repeat 5)\n"
                    "       parevm bench import [--accounts N] [--slots M] [--blocks B] [--kind K] [--threads T] ...\n"
                    "       parevm bench engine [--kind erc20|mixed] [--accounts N] [--blocks K] [--gas-limit GAS] [--threads N]\n"
                    "                           [--preroot auto|on|off] [--interval-ms MS] [--gossip] [--json]\n");
    return 2;
}

static int bench_evm(int argc, char **argv) {
    path_list files = {0};
    const char *fx = getenv("PAREVM_FIXTURES");
    char def[1024];
    snprintf(def, sizeof def, "%s/evm-benchmarks/benchmarks", fx && *fx ? fx : PAREVM_FIXTURES_DEFAULT);
    bool ok = true;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == '-') return usage(); /* no options, only paths */
    if (argc < 1)
        ok = path_list_collect(&files, "bench", def);
    else
        for (int i = 0; i < argc; i++) ok &= path_list_collect(&files, "bench", argv[i]);
    if (!ok) {
        path_list_free(&files);
        return 1;
    }
    path_list_sort(&files);
    printf("%-44s %12s %12s %10s\n", "benchmark/input", "gas used", "median us", "Mgas/s");
    bench_totals tot = {0};
    for (size_t i = 0; i < files.n; i++) bench_file(files.v[i], &tot);
    path_list_free(&files);
    if (!tot.runs) {
        fprintf(stderr, "parevm bench: no benchmark ran\n");
        return 1;
    }
    double mgas = tot.time > 0 ? tot.gas / tot.time / 1e6 : 0;
    printf("%-44s %12.0f %12.2f %10.1f\n", "total", tot.gas, tot.time * 1e6, mgas);
    return tot.errors ? 1 : 0;
}

/* Whether bench mainnet's arguments name a PATH: a word that is no
 * replay option's value. */
static bool names_path(int argc, char **argv) {
    static const char *const with_value[] = {"--mode", "--threads", "--repeat", "--record-deps", "--deps"};
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] != '-') return true;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (!strcmp(argv[i], with_value[k])) {
                i++; /* its value */
                break;
            }
    }
    return false;
}

typedef struct {
    int argc;
    char **argv;
} bench_args;

static int bench_evm_job(void *p) {
    bench_args *a = p;
    return bench_evm(a->argc, a->argv);
}

int cmd_bench(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "evm")) {
        bench_args a = {argc - 2, argv + 2};
        return run_on_big_stack(bench_evm_job, &a);
    }
    if (!strcmp(argv[1], "gigagas")) return bench_gigagas(argc - 2, argv + 2);
    if (!strcmp(argv[1], "precompiles")) return bench_precompiles(argc - 2, argv + 2);
    if (!strcmp(argv[1], "rpc")) return bench_rpc_main(argc - 2, argv + 2);
    if (!strcmp(argv[1], "import")) return bench_import(argc - 2, argv + 2);
    if (!strcmp(argv[1], "engine")) return bench_engine(argc - 2, argv + 2);
    if (!strcmp(argv[1], "mainnet")) {
        /* the mainnet set in both modes: replay --mode both --repeat 5 */
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "--help")) return usage();
        const char *fx = getenv("PAREVM_FIXTURES");
        char path[1024];
        snprintf(path, sizeof path, "%s/mainnet", fx && *fx ? fx : PAREVM_FIXTURES_DEFAULT);
        char *args[16] = {"replay", "--mode", "both", "--repeat", "5"};
        int n = 5;
        for (int i = 2; i < argc && n < 14; i++) args[n++] = argv[i];
        if (!names_path(argc, argv)) args[n++] = path;
        return cmd_replay(n, args);
    }
    return usage();
}
