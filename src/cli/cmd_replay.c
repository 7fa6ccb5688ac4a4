/* parevm replay: executes real mainnet blocks from fixture folders on their
 * pre-state held in memory and verifies gasUsed, logsBloom and (from
 * Byzantium on) receiptsRoot against the header; prints a table of gas,
 * time and Mgas/s per block and in total. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli_util.h"
#include "commands.h"
#include "mainnet_fixture.h"
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"

typedef enum { MODE_SEQ, MODE_PAR, MODE_BOTH } replay_mode;

typedef struct {
    int repeat, threads;
    replay_mode mode;
    bool json, progress;
    int passed, failed;
    executor *ex;
    par_engine *par;
    chain_config cfg;
    double total_gas, total_time, total_seq, total_par, total_seq_exec, total_par_exec;
    uint64_t total_execs, total_txs, total_aborts;
    json_t *record;       /* --record-deps: {"blocks": {number: [[deps]...]}} */
    const char *record_path;
    json_t *replay;       /* --deps: the same, loaded */
} replay_run;

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool is_block_dir(const char *dir) {
    char p[1100];
    struct stat st;
    snprintf(p, sizeof p, "%.1024s/block.json", dir);
    return stat(p, &st) == 0;
}

static void add_path(path_list *l, const char *p) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[l->n++] = strdup(p);
}

/* PATH is a block folder or a folder of block folders. */
static bool collect_blocks(path_list *l, const char *path) {
    if (is_block_dir(path)) {
        add_path(l, path);
        return true;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "parevm replay: %s: not a block folder (no block.json) and not a folder\n", path);
        return false;
    }
    struct dirent *e;
    size_t before = l->n;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1100];
        snprintf(p, sizeof p, "%.800s/%.256s", path, e->d_name);
        if (is_block_dir(p)) add_path(l, p);
    }
    closedir(d);
    if (l->n == before) fprintf(stderr, "parevm replay: %s: no block folders found\n", path);
    return l->n > before;
}

static unsigned long long trailing_number(const char *p) {
    const char *s = strrchr(p, '/');
    return strtoull(s ? s + 1 : p, NULL, 10);
}

static int cmp_block_path(const void *a, const void *b) {
    unsigned long long x = trailing_number(*(char *const *)a), y = trailing_number(*(char *const *)b);
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bytes32 full_root_unavailable(void *ctx, const block_state *s) {
    (void)ctx;
    (void)s;
    return (bytes32){{0}};
}

/* Rules for a mainnet block: fork from the schedule, reward, DAO. */
static block_rules rules_for(const replay_run *r, const block_header *h) {
    bool merged = chain_reached(r->cfg.paris_block, h->number) || u256_is_zero(&h->difficulty);
    block_rules rules = chain_block_rules(&r->cfg, h, merged);
    /* the pre-state is partial: intermediate state roots cannot be computed */
    rules.state_root = full_root_unavailable;
    return rules;
}

/* One timed run of b on a copy of pre: sender recovery (sequential, or on
 * the engine's threads) then execution. Verifies the result against the
 * header. Returns NULL or why it failed; *post receives the final state when
 * post is given (else it is freed). */
static const char *run_once(replay_run *r, mainnet_block *mb, const block_rules *rules, bool parallel,
                            double *seconds, double *exec_seconds, block_result *res, par_stats *ps,
                            mem_state **post) {
    mem_state *s = mem_state_clone(mb->pre);
    block *b = &mb->blk;
    bool homestead = rules->fork >= FORK_HOMESTEAD;
    for (size_t i = 0; i < b->n_txs; i++) b->txs[i].sender_known = false;
    const char *why = NULL;
    double t0 = now_sec();
    if (parallel) {
        if (par_recover_senders(r->par, b, homestead) >= 0) why = "invalid transaction signature";
    } else {
        for (size_t i = 0; i < b->n_txs && !why; i++)
            if (!tx_recover_sender(&b->txs[i], homestead)) why = "invalid transaction signature";
    }
    double t1 = now_sec();
    if (!why)
        why = parallel ? par_block_execute_mem(r->par, rules, b, s, res, ps) : block_execute_mem(r->ex, rules, b, s, res);
    double t2 = now_sec();
    *seconds = t2 - t0;
    *exec_seconds = t2 - t1;
    if (!why) {
        bytes32 root;
        if (rules->fork >= FORK_BYZANTIUM) root = block_receipts_root(res);
        why = block_check_results(&b->header, res, rules->fork >= FORK_BYZANTIUM ? &root : NULL);
    }
    if (post)
        *post = s;
    else
        mem_state_free(s);
    return why;
}

/* Receipts and final states of two executions are identical. */
static const char *compare_runs(const block_result *a, mem_state *sa, const block_result *b, mem_state *sb) {
    if (a->n_receipts != b->n_receipts || a->gas_used != b->gas_used) return "receipt count or gas differs";
    for (size_t i = 0; i < a->n_receipts; i++) {
        buf_t x = {0}, y = {0};
        receipt_encode(a, i, &x);
        receipt_encode(b, i, &y);
        bool same = x.len == y.len && !memcmp(x.data, y.data, x.len);
        buf_free(&x);
        buf_free(&y);
        if (!same) return "a receipt differs";
    }
    bytes32 ra = mem_state_root(sa), rb = mem_state_root(sb);
    return bytes32_eq(&ra, &rb) ? NULL : "final state differs";
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* --deps: the recorded dependency graph of mb, if any, for the next run. */
static void use_recorded_deps(replay_run *r, const mainnet_block *mb) {
    if (!r->replay) return;
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)mb->number);
    json_t *g = json_object_get(json_object_get(r->replay, "blocks"), key);
    if (!json_is_array(g) || json_array_size(g) != mb->blk.n_txs) return;
    size_t n = json_array_size(g), edges = 0;
    for (size_t i = 0; i < n; i++) edges += json_array_size(json_array_get(g, i));
    par_deps d = {malloc((n + 1) * sizeof *d.offsets), malloc((edges ? edges : 1) * sizeof *d.edges), (uint32_t)n};
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        d.offsets[i] = (uint32_t)e;
        json_t *list = json_array_get(g, i), *v;
        size_t k;
        json_array_foreach(list, k, v) {
            json_int_t t = json_integer_value(v);
            if (json_is_integer(v) && t >= 0 && (size_t)t < i) d.edges[e++] = (uint32_t)t; /* ignore junk */
        }
    }
    d.offsets[n] = (uint32_t)e;
    par_engine_use_deps(r->par, &d);
    par_deps_free(&d);
}

/* --record-deps: keeps the graph the last parallel run of mb observed. */
static void record_deps(replay_run *r, const mainnet_block *mb) {
    if (!r->record) return;
    par_deps d;
    par_engine_observed_deps(r->par, &d);
    if (d.n != mb->blk.n_txs) { /* ran sequentially: nothing observed */
        par_deps_free(&d);
        return;
    }
    json_t *g = json_array();
    for (uint32_t i = 0; i < d.n; i++) {
        json_t *list = json_array();
        for (uint32_t k = d.offsets[i]; k < d.offsets[i + 1]; k++) json_array_append_new(list, json_integer(d.edges[k]));
        json_array_append_new(g, list);
    }
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)mb->number);
    json_object_set_new(json_object_get(r->record, "blocks"), key, g);
    par_deps_free(&d);
}

static void replay_block(replay_run *r, const char *dir, size_t idx, size_t total) {
    char err[512];
    mainnet_block mb;
    if (!mainnet_block_load(dir, &mb, err, sizeof err)) {
        printf("FAIL %s: %s\n", dir, err);
        r->failed++;
        return;
    }
    block_rules rules = rules_for(r, &mb.blk.header);
    if (!mainnet_block_recover_senders(&mb, rules.fork >= FORK_HOMESTEAD, err, sizeof err)) {
        printf("FAIL %s: %s\n", dir, err);
        r->failed++;
        mainnet_block_free(&mb);
        return;
    }
    int n = r->repeat;
    double *tseq = calloc((size_t)n * 4, sizeof *tseq), *tpar = tseq + n, *eseq = tseq + 2 * n, *epar = tseq + 3 * n;
    block_result rs = {0}, rp = {0};
    par_stats ps = {0};
    const char *why = NULL;
    bool seq = r->mode != MODE_PAR, par = r->mode != MODE_SEQ;
    for (int k = 0; k < n && !why; k++) {
        mem_state *ss = NULL, *sp = NULL;
        bool last = k == n - 1;
        if (seq) why = run_once(r, &mb, &rules, false, &tseq[k], &eseq[k], &rs, NULL, r->mode == MODE_BOTH && last ? &ss : NULL);
        if (par) use_recorded_deps(r, &mb);
        if (!why && par) why = run_once(r, &mb, &rules, true, &tpar[k], &epar[k], &rp, &ps, r->mode == MODE_BOTH && last ? &sp : NULL);
        if (!why && par && last) record_deps(r, &mb);
        if (!why && ss && sp) why = compare_runs(&rs, ss, &rp, sp);
        mem_state_free(ss);
        mem_state_free(sp);
    }
    double ts = seq ? median(tseq, n) : 0, tp = par ? median(tpar, n) : 0;
    double es = seq ? median(eseq, n) : 0, ep = par ? median(epar, n) : 0;
    /* seq mode reports execution alone (senders recovered beforehand) */
    double t = r->mode == MODE_SEQ ? es : par ? tp : ts;
    double gas = (double)mb.blk.header.gas_used;
    const block_result *res = par ? &rp : &rs;
    if (why) {
        printf("FAIL %s block %llu: %s", dir, (unsigned long long)mb.number, why);
        if (res->invalid_tx >= 0) printf(" (transaction %ld)", res->invalid_tx);
        printf("\n");
        r->failed++;
    } else {
        r->passed++;
        r->total_gas += gas;
        r->total_time += t;
        r->total_seq += ts;
        r->total_par += tp;
        r->total_seq_exec += es;
        r->total_par_exec += ep;
        r->total_execs += ps.executions;
        r->total_aborts += ps.aborts;
        r->total_txs += mb.blk.n_txs;
    }
    const char *how = ps.sequential ? ps.why_sequential : "";
    if (r->json) {
        printf("{\"block\":%llu,\"fork\":\"%s\",\"txs\":%zu,\"gas\":%.0f,\"seconds\":%.9f,\"mgas_per_s\":%.3f",
               (unsigned long long)mb.number, fork_name(rules.fork), mb.blk.n_txs, gas, t, t > 0 ? gas / t / 1e6 : 0);
        if (r->mode == MODE_BOTH)
            printf(",\"seq_seconds\":%.9f,\"par_seconds\":%.9f,\"speedup\":%.3f,\"seq_exec_seconds\":%.9f,"
                   "\"par_exec_seconds\":%.9f,\"exec_speedup\":%.3f",
                   ts, tp, tp > 0 ? ts / tp : 0, es, ep, ep > 0 ? es / ep : 0);
        if (par) printf(",\"executions\":%llu,\"aborts\":%llu,\"sequential\":%s", (unsigned long long)ps.executions,
                        (unsigned long long)ps.aborts, ps.sequential ? "true" : "false");
        printf(",\"pass\":%s}\n", why ? "false" : "true");
    } else if (!why && r->mode == MODE_BOTH) {
        printf("%10llu  %-17s %5zu %12.0f %9.3f %9.3f %7.2fx %9.3f %9.3f %7.2fx %6llu  %s\n",
               (unsigned long long)mb.number, fork_name(rules.fork), mb.blk.n_txs, gas, ts * 1e3, tp * 1e3, ts / tp,
               es * 1e3, ep * 1e3, es / ep,
               (unsigned long long)(ps.executions > mb.blk.n_txs ? ps.executions - mb.blk.n_txs : 0), how);
    } else if (!why) {
        printf("%10llu  %-17s %5zu %12.0f %10.3f %10.1f\n", (unsigned long long)mb.number, fork_name(rules.fork),
               mb.blk.n_txs, gas, t * 1e3, gas / t / 1e6);
    }
    if (r->progress)
        fprintf(stderr, "\r[%zu/%zu] block %llu  %.1f Mgas/s so far   ", idx + 1, total,
                (unsigned long long)mb.number, r->total_time > 0 ? r->total_gas / r->total_time / 1e6 : 0.0);
    fflush(stdout);
    block_result_free(&rs);
    block_result_free(&rp);
    free(tseq);
    mainnet_block_free(&mb);
}

typedef struct {
    replay_run *r;
    path_list *blocks;
} job;

static int run_all(void *arg) {
    job *j = arg;
    replay_run *r = j->r;
    bool both = r->mode == MODE_BOTH;
    if (!r->json && both) {
        printf("%10s  %-17s %5s %12s %29s %29s\n", "", "", "", "", "senders + execution", "execution alone");
        printf("%10s  %-17s %5s %12s %9s %9s %8s %9s %9s %8s %6s\n", "block", "fork", "txs", "gas", "seq ms",
               "par ms", "speedup", "seq ms", "par ms", "speedup", "reexec");
    }
    else if (!r->json)
        printf("%10s  %-17s %5s %12s %10s %10s\n", "block", "fork", "txs", "gas", "ms", "Mgas/s");
    for (size_t i = 0; i < j->blocks->n; i++) replay_block(r, j->blocks->v[i], i, j->blocks->n);
    if (r->progress) fprintf(stderr, "\r%60s\r", "");
    if (!r->json && both)
        printf("%10s  %-17s %5llu %12.0f %9.3f %9.3f %7.2fx %9.3f %9.3f %7.2fx %6llu\n"
               "  seq %.1f Mgas/s, par %.1f Mgas/s (senders + execution); execution alone: seq %.1f, par %.1f Mgas/s\n",
               "total", "", (unsigned long long)r->total_txs, r->total_gas, r->total_seq * 1e3, r->total_par * 1e3,
               r->total_par > 0 ? r->total_seq / r->total_par : 0, r->total_seq_exec * 1e3, r->total_par_exec * 1e3,
               r->total_par_exec > 0 ? r->total_seq_exec / r->total_par_exec : 0,
               (unsigned long long)(r->total_execs > r->total_txs ? r->total_execs - r->total_txs : 0),
               r->total_gas / r->total_seq / 1e6, r->total_gas / r->total_par / 1e6,
               r->total_gas / r->total_seq_exec / 1e6, r->total_gas / r->total_par_exec / 1e6);
    else if (!r->json)
        printf("%10s  %-17s %5s %12.0f %10.3f %10.1f\n", "total", "", "", r->total_gas, r->total_time * 1e3,
               r->total_time > 0 ? r->total_gas / r->total_time / 1e6 : 0.0);
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm replay [--mode seq|par|both] [--threads N] [--repeat K] [--json]\n"
            "                     [--record-deps FILE | --deps FILE] PATH...\n"
            "  PATH       a mainnet block folder (block.json, pre_state.json) or a folder of them\n"
            "  --mode     seq (default), par (Block-STM) or both (compare them)\n"
            "  --threads N  worker threads for par/both (default: all CPUs)\n"
            "  --repeat K run each block K times and report the median time\n"
            "  --record-deps FILE  write the dependency graph each block showed\n"
            "  --deps FILE         execute with a recorded graph (nothing aborts)\n"
            "  --json     one JSON object per block\n");
    return 2;
}

int cmd_replay(int argc, char **argv) {
    replay_run r = {.repeat = 1, .mode = MODE_SEQ};
    path_list blocks = {0};
    bool ok = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--repeat") && i + 1 < argc) {
            r.repeat = atoi(argv[++i]);
            if (r.repeat < 1) return usage();
        } else if (!strcmp(a, "--mode") && i + 1 < argc) {
            const char *m = argv[++i];
            if (!strcmp(m, "seq")) r.mode = MODE_SEQ;
            else if (!strcmp(m, "par")) r.mode = MODE_PAR;
            else if (!strcmp(m, "both")) r.mode = MODE_BOTH;
            else return usage();
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            r.threads = atoi(argv[++i]);
            if (r.threads < 1 || r.threads > 1024) return usage();
        } else if (!strcmp(a, "--json")) {
            r.json = true;
        } else if (!strcmp(a, "--record-deps") && i + 1 < argc) {
            r.record_path = argv[++i];
        } else if (!strcmp(a, "--deps") && i + 1 < argc) {
            json_error_t jerr;
            r.replay = json_load_file(argv[++i], 0, &jerr);
            if (!r.replay || !json_is_object(json_object_get(r.replay, "blocks"))) {
                fprintf(stderr, "parevm replay: %s: not a dependency file (%s)\n", argv[i],
                        r.replay ? "no \"blocks\" object" : jerr.text);
                return 2;
            }
        } else if (a[0] == '-') {
            return usage();
        } else {
            ok &= collect_blocks(&blocks, a);
        }
    }
    if (!blocks.n) return ok ? usage() : 1;
    qsort(blocks.v, blocks.n, sizeof *blocks.v, cmp_block_path);
    r.cfg = chain_config_mainnet();
    r.progress = !r.json && isatty(2);
    r.ex = executor_new();
    if ((r.record_path || r.replay) && r.mode == MODE_SEQ) r.mode = MODE_PAR;
    if (r.mode != MODE_SEQ) {
        if (!r.threads) r.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
        r.par = par_engine_new(r.threads);
    }
    if (r.record_path) {
        /* observe every block's real graph: no sequential shortcuts */
        par_options o = {.hints = true, .sequential_fallback = false};
        par_engine_set_options(r.par, &o);
        r.record = json_pack("{s:s,s:o}", "format", "parevm-deps-1", "blocks", json_object());
    }
    job j = {&r, &blocks};
    run_on_big_stack(run_all, &j);
    if (r.record && json_dump_file(r.record, r.record_path, JSON_INDENT(0) | JSON_COMPACT)) {
        fprintf(stderr, "parevm replay: cannot write %s\n", r.record_path);
        r.failed++;
    }
    json_decref(r.record);
    json_decref(r.replay);
    par_engine_free(r.par);
    executor_free(r.ex);
    printf("%d passed, %d failed\n", r.passed, r.failed);
    path_list_free(&blocks);
    return r.failed || !ok ? 1 : 0;
}
