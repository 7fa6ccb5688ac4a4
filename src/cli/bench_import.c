/* parevm bench import: a large genesis and a chain of full blocks built by
 * the chain builder (chain_builder.h, roots by full rebuild), written to a
 * temporary datadir and RLP file on disk, then imported by `parevm import`
 * in a child process (its own peak RSS), which verifies every root
 * incrementally. Reports Mgas/s, where the import's time went (execution,
 * state root, commit), the store's size and the import's peak RSS.
 *
 * --out DIR only builds: DIR/genesis.json (geth format, for parevm init)
 * and DIR/chain.rlp (for parevm import), for tests and the demo. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "chain_builder.h"
#include "cli_util.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"

typedef struct {
    build_options b;
    uint64_t blocks, root_every;
    unsigned threads, batch;
    const char *out, *tmpdir;
    bool json, keep, sync, no_pipeline;
    const char *root_first; /* "on" or "off" for import (NULL: its default) */
} bench_opts;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void say(const bench_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const bench_opts *o, const char *fmt, ...) {
    if (o->json) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static const char *load_chunk(void *arg, const change_set *cs) { return db_load_state(arg, cs, NULL); }
static const char *skip_chunk(void *arg, const change_set *cs) {
    (void)arg;
    (void)cs;
    return NULL;
}

/* Writes the blocks to path; sums their gas and transactions. */
static const char *write_blocks(chain_builder *b, const bench_opts *o, const char *path, uint64_t *gas, uint64_t *txs) {
    FILE *f = fopen(path, "wb");
    if (!f) return "cannot create the chain file";
    buf_t rlp = {0};
    const char *err = NULL;
    *gas = *txs = 0;
    for (uint64_t i = 0; i < o->blocks && !err; i++) {
        uint64_t g;
        size_t n;
        buf_clear(&rlp);
        err = builder_next_block(b, &rlp, &g, &n);
        if (!err && fwrite(rlp.data, 1, rlp.len, f) != rlp.len) err = "cannot write the chain file";
        *gas += g;
        *txs += n;
        if (!o->json && isatty(2)) fprintf(stderr, "\r  block %llu/%llu", (unsigned long long)i + 1, (unsigned long long)o->blocks);
    }
    if (!o->json && isatty(2)) fprintf(stderr, "\n");
    buf_free(&rlp);
    if (fclose(f) && !err) err = "cannot write the chain file";
    return err;
}

/* --out: genesis.json and chain.rlp for parevm init / import. */
static int build_only(const bench_opts *o) {
    if (mkdir(o->out, 0755) && errno != EEXIST) {
        fprintf(stderr, "parevm bench import: cannot create %s\n", o->out);
        return 1;
    }
    code_store *codes = code_store_new();
    chain_builder *b = builder_new(&o->b, codes);
    char path[1024];
    const char *err = builder_genesis(b, skip_chunk, NULL);
    snprintf(path, sizeof path, "%s/genesis.json", o->out);
    FILE *f = err ? NULL : fopen(path, "w");
    if (!err && (!f || !builder_write_genesis_json(b, f))) err = "cannot write genesis.json";
    if (f && fclose(f) && !err) err = "cannot write genesis.json";
    uint64_t gas = 0, txs = 0;
    block_header g = builder_genesis_header(b);
    snprintf(path, sizeof path, "%s/chain.rlp", o->out);
    if (!err) err = write_blocks(b, o, path, &gas, &txs);
    if (!err) {
        char h[67];
        hex_encode(g.hash.b, 32, h);
        printf("genesis %s\nblocks %llu, transactions %llu, gas %llu\n", h, (unsigned long long)o->blocks,
               (unsigned long long)txs, (unsigned long long)gas);
    } else {
        fprintf(stderr, "parevm bench import: %s\n", err);
    }
    builder_free(b);
    code_store_free(codes);
    return err ? 1 : 0;
}

/* Runs `parevm import --json` on the chain; returns its JSON summary and
 * peak RSS (KiB). */
static json_t *run_import(const bench_opts *o, const char *dir, const char *chain, long *rss_kib, double *cpu) {
    int fd[2];
    if (pipe(fd)) return NULL;
    char threads[16], every[24], batch[16];
    snprintf(threads, sizeof threads, "%u", o->threads);
    snprintf(every, sizeof every, "%llu", (unsigned long long)o->root_every);
    snprintf(batch, sizeof batch, "%u", o->batch);
    char *argv[20] = {"parevm", "import", "--datadir", (char *)dir, "--threads", threads, "--root-every", every,
                      "--json"};
    int n = 9;
    if (o->batch) argv[n++] = "--batch", argv[n++] = batch;
    if (!o->sync) argv[n++] = "--no-sync";
    if (o->no_pipeline) argv[n++] = "--no-pipeline";
    if (o->root_first) argv[n++] = "--root-first", argv[n++] = (char *)o->root_first;
    argv[n++] = (char *)chain;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return NULL;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fd[1]);
    buf_t text = {0};
    char tmp[4096];
    ssize_t r;
    while ((r = read(fd[0], tmp, sizeof tmp)) > 0) buf_append(&text, tmp, (size_t)r);
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        buf_free(&text);
        return NULL;
    }
    *rss_kib = ru.ru_maxrss;
    *cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
    buf_push(&text, 0);
    json_error_t jerr;
    json_t *j = json_loads((const char *)text.data, 0, &jerr);
    buf_free(&text);
    if (j && (!WIFEXITED(status) || WEXITSTATUS(status))) json_object_set_new(j, "failed", json_true());
    return j;
}

static double jnum(json_t *o, const char *path1, const char *path2) {
    json_t *v = json_object_get(o, path1);
    if (path2) v = json_object_get(v, path2);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static void remove_tree(const char *dir) {
    const char *files[] = {"db/data.mdb", "db/lock.mdb", "chain.rlp"};
    char p[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/db", dir);
    rmdir(p);
    rmdir(dir);
}

static void report(const bench_opts *o, json_t *imp, double t_genesis, double t_build, uint64_t gas, uint64_t db_bytes,
                   long rss_kib, double cpu) {
    double secs = jnum(imp, "seconds", NULL), exec = jnum(imp, "time", "execute"),
           root = jnum(imp, "time", "state_root"), commit = jnum(imp, "time", "commit"),
           senders = jnum(imp, "time", "senders"), validate = jnum(imp, "time", "validate"),
           wait = jnum(imp, "time", "commit_wait");
    double mgas = secs > 0 ? (double)gas / secs / 1e6 : 0;
    double share = secs > 0 ? 100.0 * (root + commit) / secs : 0;
    static const char *const kinds[] = {"transfers", "erc20", "uniswap", "mixed"};
    if (o->json) {
        json_t *r = json_object();
        json_object_set_new(r, "kind", json_string(kinds[o->b.kind]));
        json_object_set_new(r, "accounts", json_integer((json_int_t)o->b.accounts));
        json_object_set_new(r, "slots", json_integer((json_int_t)o->b.slots));
        json_object_set_new(r, "blocks", json_integer((json_int_t)o->blocks));
        json_object_set_new(r, "threads", json_integer(o->threads));
        json_object_set_new(r, "gas", json_integer((json_int_t)gas));
        json_object_set_new(r, "genesis_seconds", json_real(t_genesis));
        json_object_set_new(r, "build_seconds", json_real(t_build));
        json_object_set_new(r, "import_seconds", json_real(secs));
        json_object_set_new(r, "mgas_per_s", json_real(mgas));
        json_object_set_new(r, "import_cpu_seconds", json_real(cpu));
        json_object_set_new(r, "root_commit_share", json_real(share / 100));
        json_object_set_new(r, "commit_wait_share", json_real(secs > 0 ? wait / secs : 0));
        json_object_set_new(r, "db_bytes", json_integer((json_int_t)db_bytes));
        json_object_set_new(r, "peak_rss_bytes", json_integer((json_int_t)rss_kib * 1024));
        json_object_set_new(r, "import", json_incref(imp));
        char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        json_decref(r);
        return;
    }
    printf("bench import %s: %llu accounts, %llu slots, %llu blocks of %llu gas, %u threads\n", kinds[o->b.kind],
           (unsigned long long)o->b.accounts, (unsigned long long)o->b.slots, (unsigned long long)o->blocks,
           (unsigned long long)o->b.block_gas, o->threads);
    printf("  genesis %.1f s (builder roots + store load), blocks built in %.1f s\n", t_genesis, t_build);
    printf("  import  %.3f s, %.1f Mgas/s (%.0f txs); CPU %.2f s (%.0f%% of %u threads' wall time)\n", secs, mgas,
           jnum(imp, "txs", NULL), cpu, secs > 0 ? 100 * cpu / (secs * o->threads) : 0, o->threads);
    if (secs > 0)
        printf("  time    execution %.0f%%, state root %.0f%%, commit %.0f%%, senders %.0f%%, validation %.0f%%\n",
               100 * exec / secs, 100 * root / secs, 100 * commit / secs, 100 * senders / secs, 100 * validate / secs);
    /* root and commit run on the committer thread beside execution: the
     * wait is the part of them that lengthened the import */
    if (secs > 0) printf("  overlap execution waited for the store %.0f%% of the import\n", 100 * wait / secs);
    printf("  store   %.2f GiB on disk; import peak RSS %.2f GiB\n", (double)db_bytes / (1 << 30),
           (double)rss_kib / (1 << 20));
    printf("  targets state root + commit %.0f%% (<= 25%%), %.2f Ggas/s (>= 1), peak RSS %.2f GiB (< 4)\n", share,
           mgas / 1000, (double)rss_kib / (1 << 20));
}

static int bench(const bench_opts *o) {
    char dir[512], db_dir[600], chain[700];
    snprintf(dir, sizeof dir, "%s/parevm-bench-import-XXXXXX", o->tmpdir);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "parevm bench import: cannot create a folder under %s\n", o->tmpdir);
        return 1;
    }
    snprintf(db_dir, sizeof db_dir, "%s/db", dir);
    snprintf(chain, sizeof chain, "%s/chain.rlp", dir);
    code_store *codes = code_store_new();
    chain_builder *b = builder_new(&o->b, codes);
    db *d;
    db_options dopt = {.no_sync = true, .threads = o->threads};
    const char *err = db_open(db_dir, &dopt, &d);
    double t0 = now();
    say(o, "building the genesis (%llu accounts, %llu slots) into %s\n", (unsigned long long)o->b.accounts,
        (unsigned long long)o->b.slots, db_dir);
    if (!err) err = builder_genesis(b, load_chunk, d);
    if (!err) {
        chain_config cfg = builder_config(b);
        block_header h = builder_genesis_header(b), out;
        err = chain_init(d, &cfg, &h, NULL, &out);
        if (!err && !bytes32_eq(&out.hash, &h.hash)) err = "the store's genesis root differs from the builder's";
    }
    if (d) db_close(d);
    double t1 = now();
    uint64_t gas = 0, txs = 0;
    say(o, "building %llu blocks\n", (unsigned long long)o->blocks);
    if (!err) err = write_blocks(b, o, chain, &gas, &txs);
    double t2 = now();
    builder_free(b);
    code_store_free(codes);
    int status = 1;
    if (err) {
        fprintf(stderr, "parevm bench import: %s\n", err);
    } else {
        say(o, "importing\n");
        long rss = 0;
        double cpu = 0;
        json_t *imp = run_import(o, db_dir, chain, &rss, &cpu);
        struct stat st;
        snprintf(chain, sizeof chain, "%s/data.mdb", db_dir);
        uint64_t bytes = stat(chain, &st) ? 0 : (uint64_t)st.st_blocks * 512;
        if (!imp || json_object_get(imp, "failed") || json_integer_value(json_object_get(imp, "blocks")) != (json_int_t)o->blocks) {
            fprintf(stderr, "parevm bench import: the import failed\n");
            if (imp) {
                char *s = json_dumps(imp, JSON_INDENT(2));
                fprintf(stderr, "%s\n", s);
                free(s);
            }
        } else {
            report(o, imp, t1 - t0, t2 - t1, gas, bytes, rss, cpu);
            status = 0;
        }
        json_decref(imp);
    }
    if (o->keep) say(o, "kept %s\n", dir);
    else remove_tree(dir);
    return status;
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm bench import [--accounts N] [--slots M] [--blocks B] [--kind transfers|erc20|uniswap|mixed]\n"
            "                           [--threads T] [--gas G] [--root-every R] [--batch K] [--sync] [--no-pipeline]\n"
            "                           [--root-first on|off] [--seed S] [--keep] [--json] [--out DIR]\n"
            "  defaults: 1000000 accounts, 10000000 slots, 20 blocks of 30000000 gas, erc20, 2 threads\n"
            "  --out DIR  only build: DIR/genesis.json and DIR/chain.rlp (for parevm init / import)\n"
            "  --no-pipeline  the import commits on its executing thread (no committer thread)\n"
            "  --root-first   as parevm import's (default on)\n"
            "  the datadir goes under $TMPDIR (default /tmp)\n");
    return 2;
}

int bench_import(int argc, char **argv) {
    bench_opts o = {.b = {.accounts = 1000000, .slots = 10000000, .block_gas = 30000000, .kind = BUILD_ERC20},
                    .blocks = 20, .root_every = 1, .threads = 2};
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        bool more = i + 1 < argc;
        uint64_t v = 0;
        const char *val = more ? argv[i + 1] : NULL;
        bool num = cli_parse_u64(val, 0, UINT64_MAX, &v);
        if (!strcmp(s, "--accounts") && num) o.b.accounts = v, i++;
        else if (!strcmp(s, "--slots") && num) o.b.slots = v, i++;
        else if (!strcmp(s, "--blocks") && num) o.blocks = v, i++;
        else if (!strcmp(s, "--gas") && num) o.b.block_gas = v, i++;
        else if (!strcmp(s, "--seed") && num) o.b.seed = v, i++;
        else if (!strcmp(s, "--root-every") && num) o.root_every = v, i++;
        else if (!strcmp(s, "--threads") && num) o.threads = v > 1024 ? 0 : (unsigned)v, i++;
        else if (!strcmp(s, "--batch") && num && v <= 1u << 20) o.batch = (unsigned)v, i++;
        else if (!strcmp(s, "--kind") && more) {
            if (!build_kind_parse(argv[++i], &o.b.kind)) return usage();
        } else if (!strcmp(s, "--out") && more) o.out = argv[++i];
        else if (!strcmp(s, "--keep")) o.keep = true;
        else if (!strcmp(s, "--sync")) o.sync = true;
        else if (!strcmp(s, "--no-pipeline")) o.no_pipeline = true;
        else if (!strcmp(s, "--root-first") && more && (!strcmp(argv[i + 1], "on") || !strcmp(argv[i + 1], "off")))
            o.root_first = argv[++i];
        else if (!strcmp(s, "--json")) o.json = true;
        else return usage();
    }
    if (!o.b.accounts || o.threads < 1 || o.threads > 1024 || o.root_every < 1 || o.b.block_gas < 21000)
        return usage();
    const char *t = getenv("TMPDIR");
    o.tmpdir = t && *t ? t : "/tmp";
    return o.out ? build_only(&o) : bench(&o);
}
