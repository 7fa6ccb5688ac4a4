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

#define MAX_REPEAT 1000000

/* Sums over blocks of one way of running them. */
typedef struct {
    double exec, cpu, senders; /* execution alone (wall, process CPU), sender recovery */
} run_sums;

/* Totals over a class of blocks, both ways. */
typedef struct {
    int blocks;
    uint64_t txs;
    double gas;
    run_sums seq, par;
} block_class;

typedef struct {
    int repeat, threads;
    replay_mode mode;
    bool json, progress, no_fallback;
    int passed, failed;
    int requests_unchecked; /* Prague blocks whose pre-state lacks a request contract */
    executor *ex;
    par_engine *par;
    chain_config cfg;
    block_class all, stm, fallback; /* every passing block; those Block-STM ran; the others */
    uint64_t total_execs, total_aborts;
    json_t *record;       /* --record-deps: {"blocks": {number: [[deps]...]}} */
    const char *record_path;
    json_t *replay;       /* --deps: the same, loaded */
} replay_run;

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (every worker thread included). */
static double cpu_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
    /* the pre-state is partial: intermediate state roots cannot be computed,
     * and it may lack the request contracts (their requests go unchecked) */
    rules.state_root = full_root_unavailable;
    rules.partial_state = true;
    return rules;
}

/* One run's measurements. */
typedef struct {
    double exec, cpu, senders;
} run_time;

/* One run of b on a copy of pre: sender recovery (sequential, or on the
 * engine's threads), timed on its own, then execution with every sender
 * known, timed alone (wall clock and process CPU time). Verifies the result
 * against the header. Returns NULL or why it failed; *post receives the
 * final state when post is given (else it is freed). */
static const char *run_once(replay_run *r, mainnet_block *mb, const block_rules *rules, bool parallel,
                            run_time *t, block_result *res, par_stats *ps, mem_state **post) {
    mem_state *s = mem_state_clone(mb->pre);
    block *b = &mb->blk;
    bool homestead = rules->fork >= FORK_HOMESTEAD;
    for (size_t i = 0; i < b->n_txs; i++) b->txs[i].sender_known = false;
    const char *why = NULL;
    res->invalid_tx = -1;
    double t0 = now_sec();
    if (parallel) {
        long bad = par_recover_senders(r->par, b, homestead);
        if (bad >= 0) why = "invalid transaction signature", res->invalid_tx = bad;
    } else {
        for (size_t i = 0; i < b->n_txs && !why; i++)
            if (!tx_recover_sender(&b->txs[i], homestead)) why = "invalid transaction signature", res->invalid_tx = (long)i;
    }
    double t1 = now_sec(), c1 = cpu_sec();
    if (!why)
        why = parallel ? par_block_execute_mem(r->par, rules, b, s, res, ps)
                       : block_execute_mem(r->ex, rules, b, s, res);
    t->exec = now_sec() - t1;
    t->cpu = cpu_sec() - c1;
    t->senders = t1 - t0;
    if (!why) {
        bytes32 root;
        if (rules->fork >= FORK_BYZANTIUM) root = block_receipts_root(res);
        why = block_check_results(&b->header, res, rules->fork >= FORK_BYZANTIUM ? &root : NULL);
        res->invalid_tx = -1; /* a header mismatch names no transaction */
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

/* Medians of each measurement over n runs. */
static run_time median_time(run_time *v, int n, double *scratch) {
    run_time m;
    for (int i = 0; i < n; i++) scratch[i] = v[i].exec;
    m.exec = median(scratch, n);
    for (int i = 0; i < n; i++) scratch[i] = v[i].cpu;
    m.cpu = median(scratch, n);
    for (int i = 0; i < n; i++) scratch[i] = v[i].senders;
    m.senders = median(scratch, n);
    return m;
}

static void add_run(run_sums *s, const run_time *t) {
    s->exec += t->exec;
    s->cpu += t->cpu;
    s->senders += t->senders;
}

static void add_block(block_class *c, double gas, size_t txs, const run_time *ts, const run_time *tp) {
    c->blocks++;
    c->gas += gas;
    c->txs += txs;
    add_run(&c->seq, ts);
    add_run(&c->par, tp);
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

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

/* How the parallel run executed the block, for the text table. */
static void describe_par(char *out, size_t n, const par_stats *ps, size_t txs) {
    if (ps->sequential)
        snprintf(out, n, "sequential: %s", ps->why_sequential);
    else
        snprintf(out, n, "Block-STM, %llu re-executions%s", (unsigned long long)(ps->executions > txs ? ps->executions - txs : 0),
                 ps->sequential_tail ? ", then sequential (aborts)" : "");
}

static void print_json_block(const replay_run *r, const mainnet_block *mb, const block_rules *rules, double gas,
                             const run_time *ts, const run_time *tp, const par_stats *ps, const char *why,
                             bool requests_unchecked) {
    bool seq = r->mode != MODE_PAR, par = r->mode != MODE_SEQ;
    printf("{\"block\":%llu,\"fork\":\"%s\",\"txs\":%zu,\"gas\":%.0f", (unsigned long long)mb->number,
           fork_name(rules->fork), mb->blk.n_txs, gas);
    if (seq)
        printf(",\"seq_exec_seconds\":%.9f,\"seq_exec_cpu_seconds\":%.9f,\"seq_senders_seconds\":%.9f", ts->exec,
               ts->cpu, ts->senders);
    if (par) {
        printf(",\"par_exec_seconds\":%.9f,\"par_exec_cpu_seconds\":%.9f,\"par_senders_seconds\":%.9f", tp->exec,
               tp->cpu, tp->senders);
        printf(",\"block_stm\":%s", ps->sequential ? "false" : "true");
        if (ps->sequential) printf(",\"why_sequential\":\"%s\"", ps->why_sequential);
        printf(",\"executions\":%llu,\"aborts\":%llu,\"suspensions\":%llu,\"validations\":%llu",
               (unsigned long long)ps->executions, (unsigned long long)ps->aborts,
               (unsigned long long)ps->suspensions, (unsigned long long)ps->validations);
        if (ps->sequential_tail) printf(",\"sequential_tail\":%llu", (unsigned long long)ps->sequential_tail);
    }
    if (seq && par)
        printf(",\"speedup\":%.3f,\"senders_speedup\":%.3f", ratio(ts->exec, tp->exec), ratio(ts->senders, tp->senders));
    const run_time *t = par ? tp : ts;
    printf(",\"mgas_per_s\":%.3f,\"pass\":%s", ratio(gas, t->exec) / 1e6, why ? "false" : "true");
    if (mb->blk.header.has_requests_hash && !why) printf(",\"requests_checked\":%s", requests_unchecked ? "false" : "true");
    if (why) printf(",\"error\":\"%s\"", why);
    printf("}\n");
}

static void print_text_block(const replay_run *r, const mainnet_block *mb, const block_rules *rules, double gas,
                             const run_time *ts, const run_time *tp, const par_stats *ps) {
    char how[160];
    describe_par(how, sizeof how, ps, mb->blk.n_txs);
    printf("%10llu  %-17s %5zu %12.0f", (unsigned long long)mb->number, fork_name(rules->fork), mb->blk.n_txs, gas);
    if (r->mode == MODE_BOTH)
        printf(" %9.3f %9.3f %7.2fx %7.2f %9.3f %9.3f  %s\n", ts->exec * 1e3, tp->exec * 1e3,
               ratio(ts->exec, tp->exec), ratio(tp->cpu, ts->cpu), ts->senders * 1e3, tp->senders * 1e3, how);
    else {
        const run_time *t = r->mode == MODE_SEQ ? ts : tp;
        printf(" %9.3f %9.1f %9.3f%s%s\n", t->exec * 1e3, ratio(gas, t->exec) / 1e6, t->senders * 1e3,
               r->mode == MODE_PAR ? "  " : "", r->mode == MODE_PAR ? how : "");
    }
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
    run_time *times = calloc((size_t)n * 2, sizeof *times);
    double *scratch = calloc((size_t)n, sizeof *scratch);
    if (!times || !scratch) {
        fprintf(stderr, "parevm replay: out of memory for %d repetitions\n", n);
        exit(1);
    }
    run_time *tseq = times, *tpar = times + n;
    block_result rs = {0}, rp = {0};
    const block_result *failed_res = NULL;
    par_stats ps = {.sequential = true, .why_sequential = "not run"};
    const char *why = NULL;
    bool seq = r->mode != MODE_PAR, par = r->mode != MODE_SEQ;
    /* an untimed run of each first: whichever ran first would otherwise
     * pay for the code analysis and caches the other then finds warm */
    run_time warm;
    if (seq) why = run_once(r, &mb, &rules, false, &warm, &rs, NULL, NULL);
    if (why) failed_res = &rs;
    if (!why && par) {
        why = run_once(r, &mb, &rules, true, &warm, &rp, &ps, NULL);
        if (why) failed_res = &rp;
    }
    for (int k = 0; k < n && !why; k++) {
        mem_state *ss = NULL, *sp = NULL;
        bool last = k == n - 1;
        if (seq) {
            why = run_once(r, &mb, &rules, false, &tseq[k], &rs, NULL, r->mode == MODE_BOTH && last ? &ss : NULL);
            if (why) failed_res = &rs;
        }
        if (par) use_recorded_deps(r, &mb);
        if (!why && par) {
            why = run_once(r, &mb, &rules, true, &tpar[k], &rp, &ps, r->mode == MODE_BOTH && last ? &sp : NULL);
            if (why) failed_res = &rp;
        }
        if (!why && par && last) record_deps(r, &mb);
        if (!why && ss && sp) why = compare_runs(&rs, ss, &rp, sp);
        mem_state_free(ss);
        mem_state_free(sp);
    }
    run_time ts = {0}, tp = {0};
    if (!why) {
        if (seq) ts = median_time(tseq, n, scratch);
        if (par) tp = median_time(tpar, n, scratch);
    }
    double gas = (double)mb.blk.header.gas_used;
    if (why) {
        printf("FAIL %s block %llu: %s", dir, (unsigned long long)mb.number, why);
        if (failed_res && failed_res->invalid_tx >= 0) printf(" (transaction %ld)", failed_res->invalid_tx);
        printf("\n");
        r->failed++;
    } else {
        r->passed++;
        add_block(&r->all, gas, mb.blk.n_txs, &ts, &tp);
        if (par) add_block(ps.sequential ? &r->fallback : &r->stm, gas, mb.blk.n_txs, &ts, &tp);
        r->total_execs += ps.executions;
        r->total_aborts += ps.aborts;
    }
    bool unchecked = (seq ? &rs : &rp)->requests_unknown;
    if (!why && unchecked) r->requests_unchecked++;
    if (r->json)
        print_json_block(r, &mb, &rules, gas, &ts, &tp, &ps, why, unchecked);
    else if (!why)
        print_text_block(r, &mb, &rules, gas, &ts, &tp, &ps);
    if (r->progress) {
        const run_sums *sum = par ? &r->all.par : &r->all.seq;
        fprintf(stderr, "\r[%zu/%zu] block %llu  %.1f Mgas/s so far   ", idx + 1, total,
                (unsigned long long)mb.number, ratio(r->all.gas, sum->exec) / 1e6);
    }
    fflush(stdout);
    block_result_free(&rs);
    block_result_free(&rp);
    free(times);
    free(scratch);
    mainnet_block_free(&mb);
}

typedef struct {
    replay_run *r;
    path_list *blocks;
} job;

static void print_header(const replay_run *r) {
    if (r->json) return;
    if (r->mode == MODE_BOTH) {
        printf("%10s  %-17s %5s %12s %27s %7s %19s\n", "", "", "", "", "execution alone", "CPU", "sender recovery");
        printf("%10s  %-17s %5s %12s %9s %9s %8s %7s %9s %9s  %s\n", "block", "fork", "txs", "gas", "seq ms",
               "par ms", "speedup", "par/seq", "seq ms", "par ms", "parallel run");
    } else {
        printf("%10s  %-17s %5s %12s %9s %9s %9s%s\n", "block", "fork", "txs", "gas", "exec ms", "Mgas/s",
               "send. ms", r->mode == MODE_PAR ? "  parallel run" : "");
    }
}

/* One line of the closing summary for a class of blocks. */
static void print_class(const char *name, const block_class *c) {
    if (!c->blocks) {
        printf("  %-17s none\n", name);
        return;
    }
    printf("  %-17s %3d blocks %6llu txs %7.1f Mgas: seq %9.3f ms, par %9.3f ms, speedup %5.2fx; "
           "CPU seq %9.3f ms, par %9.3f ms (par/seq %.2f)\n",
           name, c->blocks, (unsigned long long)c->txs, c->gas / 1e6, c->seq.exec * 1e3, c->par.exec * 1e3,
           ratio(c->seq.exec, c->par.exec), c->seq.cpu * 1e3, c->par.cpu * 1e3, ratio(c->par.cpu, c->seq.cpu));
}

static void print_totals(const replay_run *r) {
    const block_class *a = &r->all;
    if (r->json) {
        printf("{\"summary\":true,\"blocks\":%d,\"failed\":%d,\"txs\":%llu,\"gas\":%.0f", a->blocks, r->failed,
               (unsigned long long)a->txs, a->gas);
        if (r->requests_unchecked) printf(",\"requests_unchecked\":%d", r->requests_unchecked);
        if (r->mode != MODE_PAR)
            printf(",\"seq_exec_seconds\":%.9f,\"seq_senders_seconds\":%.9f", a->seq.exec, a->seq.senders);
        if (r->mode != MODE_SEQ)
            printf(",\"par_exec_seconds\":%.9f,\"par_senders_seconds\":%.9f,\"block_stm_blocks\":%d,"
                   "\"fallback_blocks\":%d,\"executions\":%llu,\"aborts\":%llu",
                   a->par.exec, a->par.senders, r->stm.blocks, r->fallback.blocks,
                   (unsigned long long)r->total_execs, (unsigned long long)r->total_aborts);
        if (r->mode == MODE_BOTH)
            printf(",\"speedup\":%.3f,\"block_stm_speedup\":%.3f,\"fallback_speedup\":%.3f,"
                   "\"senders_speedup\":%.3f,\"seq_exec_cpu_seconds\":%.9f,\"par_exec_cpu_seconds\":%.9f,"
                   "\"block_stm_seq_cpu_seconds\":%.9f,\"block_stm_par_cpu_seconds\":%.9f",
                   ratio(a->seq.exec, a->par.exec), ratio(r->stm.seq.exec, r->stm.par.exec),
                   ratio(r->fallback.seq.exec, r->fallback.par.exec), ratio(a->seq.senders, a->par.senders),
                   a->seq.cpu, a->par.cpu, r->stm.seq.cpu, r->stm.par.cpu);
        printf("}\n");
        return;
    }
    if (r->requests_unchecked)
        printf("requests hash unchecked on %d block(s): the pre-state lacks the EIP-7002/EIP-7251 contracts\n",
               r->requests_unchecked);
    if (r->mode != MODE_BOTH) {
        const run_sums *t = r->mode == MODE_SEQ ? &a->seq : &a->par;
        printf("%10s  %-17s %5llu %12.0f %9.3f %9.1f %9.3f\n", "total", "", (unsigned long long)a->txs, a->gas,
               t->exec * 1e3, ratio(a->gas, t->exec) / 1e6, t->senders * 1e3);
        if (r->mode == MODE_PAR)
            printf("  Block-STM ran %d blocks (%llu executions, %llu aborts), %d ran sequentially\n", r->stm.blocks,
                   (unsigned long long)r->total_execs, (unsigned long long)r->total_aborts, r->fallback.blocks);
        return;
    }
    printf("%10s  %-17s %5llu %12.0f %9.3f %9.3f %7.2fx %7.2f %9.3f %9.3f\n", "total", "", (unsigned long long)a->txs,
           a->gas, a->seq.exec * 1e3, a->par.exec * 1e3, ratio(a->seq.exec, a->par.exec), ratio(a->par.cpu, a->seq.cpu),
           a->seq.senders * 1e3, a->par.senders * 1e3);
    printf("execution alone (senders recovered before timing in both runs), %d threads:\n", r->threads);
    print_class("Block-STM blocks", &r->stm);
    print_class("fallback blocks", &r->fallback);
    print_class("all blocks", a);
    printf("  Block-STM: %llu executions, %llu aborts\n", (unsigned long long)r->total_execs,
           (unsigned long long)r->total_aborts);
    printf("sender recovery: seq %.3f ms, par %.3f ms (%.2fx)\n", a->seq.senders * 1e3, a->par.senders * 1e3,
           ratio(a->seq.senders, a->par.senders));
    printf("throughput, execution alone: seq %.1f Mgas/s, par %.1f Mgas/s\n", ratio(a->gas, a->seq.exec) / 1e6,
           ratio(a->gas, a->par.exec) / 1e6);
}

static int run_all(void *arg) {
    job *j = arg;
    replay_run *r = j->r;
    print_header(r);
    for (size_t i = 0; i < j->blocks->n; i++) replay_block(r, j->blocks->v[i], i, j->blocks->n);
    if (r->progress) fprintf(stderr, "\r%60s\r", "");
    print_totals(r);
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm replay [--mode seq|par|both] [--threads N] [--repeat K] [--no-fallback] [--json]\n"
            "                     [--record-deps FILE | --deps FILE] PATH...\n"
            "  PATH       a mainnet block folder (block.json, pre_state.json) or a folder of them\n"
            "  --mode     seq (default), par (Block-STM) or both (compare them)\n"
            "  --threads N  worker threads for par/both, 1-1024 (default: all CPUs)\n"
            "  --repeat K run each block K times (1-%d) and report the median times\n"
            "  --no-fallback  run every block with transactions through Block-STM\n"
            "  --record-deps FILE  write the dependency graph each block showed\n"
            "  --deps FILE         execute with a recorded graph (nothing aborts)\n"
            "  --json     one JSON object per block, then a summary object\n"
            "Times are execution alone: senders are recovered before the timer starts,\n"
            "and sender recovery is reported separately.\n",
            MAX_REPEAT);
    return 2;
}

int cmd_replay(int argc, char **argv) {
    replay_run r = {.repeat = 1, .mode = MODE_SEQ};
    path_list blocks = {0};
    bool ok = true;
    int status = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--repeat") && i + 1 < argc) {
            r.repeat = atoi(argv[++i]);
            if (r.repeat < 1 || r.repeat > MAX_REPEAT) goto bad_usage;
        } else if (!strcmp(a, "--mode") && i + 1 < argc) {
            const char *m = argv[++i];
            if (!strcmp(m, "seq")) r.mode = MODE_SEQ;
            else if (!strcmp(m, "par")) r.mode = MODE_PAR;
            else if (!strcmp(m, "both")) r.mode = MODE_BOTH;
            else goto bad_usage;
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            r.threads = atoi(argv[++i]);
            if (r.threads < 1 || r.threads > 1024) goto bad_usage;
        } else if (!strcmp(a, "--json")) {
            r.json = true;
        } else if (!strcmp(a, "--no-fallback")) {
            r.no_fallback = true;
        } else if (!strcmp(a, "--record-deps") && i + 1 < argc) {
            r.record_path = argv[++i];
        } else if (!strcmp(a, "--deps") && i + 1 < argc) {
            json_error_t jerr;
            json_decref(r.replay);
            r.replay = json_load_file(argv[++i], 0, &jerr);
            if (!r.replay || !json_is_object(json_object_get(r.replay, "blocks"))) {
                fprintf(stderr, "parevm replay: %s: not a dependency file (%s)\n", argv[i],
                        r.replay ? "no \"blocks\" object" : jerr.text);
                goto done;
            }
        } else if (a[0] == '-') {
            goto bad_usage;
        } else {
            ok &= collect_blocks(&blocks, a);
        }
    }
    if (!blocks.n) {
        if (ok) goto bad_usage;
        status = 1;
        goto done;
    }
    qsort(blocks.v, blocks.n, sizeof *blocks.v, cmp_block_path);
    r.cfg = chain_config_mainnet();
    r.progress = !r.json && isatty(2);
    if ((r.record_path || r.replay) && r.mode == MODE_SEQ) r.mode = MODE_PAR;
    if (r.mode != MODE_SEQ) {
        if (!r.threads) r.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (r.threads < 1) r.threads = 1;
        if (r.threads > 1024) r.threads = 1024;
        r.par = par_engine_new(r.threads);
        if (!r.par) {
            fprintf(stderr, "parevm replay: cannot start %d threads\n", r.threads);
            status = 1;
            goto done;
        }
        /* --record-deps observes every block's real graph: no sequential shortcuts */
        par_options o = {.hints = true, .sequential_fallback = !r.no_fallback && !r.record_path};
        par_engine_set_options(r.par, &o);
    }
    if (r.record_path) r.record = json_pack("{s:s,s:o}", "format", "parevm-deps-1", "blocks", json_object());
    r.ex = executor_new();
    job j = {&r, &blocks};
    run_on_big_stack(run_all, &j);
    if (r.record && json_dump_file(r.record, r.record_path, JSON_INDENT(0) | JSON_COMPACT)) {
        fprintf(stderr, "parevm replay: cannot write %s\n", r.record_path);
        r.failed++;
    }
    printf("%d passed, %d failed\n", r.passed, r.failed);
    status = r.failed || !ok ? 1 : 0;
    goto done;
bad_usage:
    status = usage();
done:
    json_decref(r.record);
    json_decref(r.replay);
    par_engine_free(r.par);
    executor_free(r.ex);
    path_list_free(&blocks);
    return status;
}
