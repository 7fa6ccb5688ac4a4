/* parevm import: imports RLP chain files (blocks concatenated, as geth's
 * and reth's `export` write them, gzip-compressed or not) into a store made
 * by parevm init, verifying every block (chain_import.h); resumable after a
 * crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"

typedef struct {
    const char *dir;
    chain_import_options o;
    bool json, no_sync;
    unsigned ahead; /* sender recovery threads ahead of the importer (0: none) */
    char **files;
    int n_files;
} import_args;

/* Reads n bytes (fewer only at the end of the data): the count, or -1 on a
 * read error or corrupt compressed data. gzread takes an int's worth at
 * most, so large blocks come in parts. */
static long long read_bytes(gzFile f, void *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < (1u << 30) ? n - got : (1u << 30);
        int r = gzread(f, (uint8_t *)p + got, (unsigned)want);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got == n) return (long long)got;
    /* a gzip stream cut short reads as an early end with the error set
     * (set as soon as its last input is read: the data before it counts) */
    int zerr;
    gzerror(f, &zerr);
    return zerr == Z_OK ? (long long)got : -1;
}

static const char *read_error(gzFile f) {
    int zerr;
    gzerror(f, &zerr);
    return zerr == Z_ERRNO ? "read error" : "corrupt or truncated gzip data";
}

/* Reads the next top-level RLP item of f (plain or gzip: zlib reads both)
 * into b: 1, 0 at the end of the file, -1 with *err on a malformed or
 * truncated item or unreadable data. */
static int read_item(gzFile f, buf_t *b, const char **err) {
    uint8_t h[9];
    long long r = read_bytes(f, h, 1);
    if (r != 1) {
        if (r < 0) *err = read_error(f);
        return r < 0 ? -1 : 0;
    }
    if (h[0] < 0xc0) {
        *err = "not an RLP list where a block should start";
        return -1;
    }
    size_t hl = 1;
    uint64_t len = 0;
    if (h[0] <= 0xf7) {
        len = h[0] - 0xc0u;
    } else {
        size_t ll = h[0] - 0xf7u;
        if ((r = read_bytes(f, h + 1, ll)) != (long long)ll) {
            *err = r < 0 ? read_error(f) : "truncated block";
            return -1;
        }
        for (size_t i = 0; i < ll; i++) len = len << 8 | h[1 + i];
        hl += ll;
    }
    if (len > ((uint64_t)1 << 31)) {
        *err = "block larger than 2 GiB";
        return -1;
    }
    buf_clear(b);
    buf_append(b, h, hl);
    /* in parts: a length the file does not hold costs no more memory than
     * the bytes that are there (the buffer doubles, so no quadratic copy) */
    for (uint64_t left = len; left;) {
        size_t part = left < ((size_t)16 << 20) ? (size_t)left : ((size_t)16 << 20);
        buf_reserve(b, part);
        if ((r = read_bytes(f, b->data + b->len, part)) != (long long)part) {
            *err = r < 0 ? read_error(f) : "truncated block";
            return -1;
        }
        b->len += part;
        left -= part;
    }
    return 1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    double start, last_print;
    uint64_t bytes_total, bytes_done;
    bool tty;
} progress;

static void print_progress(progress *p, const chain_importer *im, bool final) {
    double t = now();
    if (!p->tty || (!final && t - p->last_print < 1.0)) return;
    p->last_print = t;
    const chain_import_stats *s = chain_importer_stats(im);
    uint64_t head;
    chain_importer_head(im, &head, NULL);
    double el = t - p->start > 1e-9 ? t - p->start : 1e-9;
    char eta_text[32] = "--:--"; /* unknown: nothing read yet, or a pipe (no size) */
    if (p->bytes_done && p->bytes_done < p->bytes_total) {
        double eta = el * (double)(p->bytes_total - p->bytes_done) / (double)p->bytes_done;
        if (eta < 1e8) snprintf(eta_text, sizeof eta_text, "%02d:%02d", (int)(eta / 60), (int)eta % 60);
    } else if (final || (p->bytes_total && p->bytes_done >= p->bytes_total)) {
        snprintf(eta_text, sizeof eta_text, "00:00");
    }
    fprintf(stderr, "\rblock %llu  %.1f blocks/s  %.1f Mgas/s  ETA %s   ", (unsigned long long)head,
            (double)s->blocks / el, (double)s->gas / el / 1e6, eta_text);
    if (final) fprintf(stderr, "\n");
}

static void hexs(const bytes32 *h, char out[67]) { hex_encode(h->b, 32, out); }

static void summary(const import_args *a, const chain_importer *im, double seconds, const chain_bad_block *bad,
                    const char *err) {
    const chain_import_stats *s = chain_importer_stats(im);
    uint64_t head;
    bytes32 hash;
    chain_importer_head(im, &head, &hash);
    char hh[67], bh[67];
    hexs(&hash, hh);
    hexs(&bad->hash, bh);
    double mgas = seconds > 0 ? (double)s->gas / seconds / 1e6 : 0;
    if (!a->json) {
        printf("imported %llu blocks (%llu known), %llu txs, %.1f Mgas in %.2f s: %.1f blocks/s, %.1f Mgas/s\n",
               (unsigned long long)s->blocks, (unsigned long long)s->known, (unsigned long long)s->txs,
               (double)s->gas / 1e6, seconds, seconds > 0 ? (double)s->blocks / seconds : 0, mgas);
        /* root and commit run on the committer thread beside execution
         * (unless no_pipeline): the wait is what they added to the time */
        if (s->senders_known)
            printf("senders recovered ahead of the importer: %llu of %llu transactions\n",
                   (unsigned long long)s->senders_known, (unsigned long long)s->txs);
        printf("time: validate %.2f s, senders %.2f s, execute %.2f s, state root %.2f s, commit %.2f s"
               " (%.2f s reading the prior state); execution waited for the store %.2f s\n",
               s->validate, s->senders, s->execute, s->root, s->commit, s->prepare, s->wait);
        if (s->preroot_blocks)
            printf("state root while executing: %llu blocks (%llu on unwritten blocks), %llu rounds, %.2f s during "
                   "execution, ready %.3f s after execution ended (%.3f s of it waiting for the round running then; "
                   "%llu blocks without a final round, their last guess being the block)\n",
                   (unsigned long long)s->preroot_blocks, (unsigned long long)s->preroot_chained,
                   (unsigned long long)s->preroot_rounds, s->root_during, s->root_tail, s->root_tail_wait,
                   (unsigned long long)s->preroot_as_guessed);
        if (s->root_chained)
            printf("state roots computed before the parent's write ended: %llu blocks\n",
                   (unsigned long long)s->root_chained);
        printf("head %llu %s\n", (unsigned long long)head, hh);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "blocks", json_integer((json_int_t)s->blocks));
    json_object_set_new(o, "known", json_integer((json_int_t)s->known));
    json_object_set_new(o, "txs", json_integer((json_int_t)s->txs));
    json_object_set_new(o, "gas", json_integer((json_int_t)s->gas));
    json_object_set_new(o, "senders_ahead", json_integer((json_int_t)s->senders_known));
    json_object_set_new(o, "seconds", json_real(seconds));
    json_object_set_new(o, "mgas_per_s", json_real(mgas));
    json_object_set_new(o, "blocks_per_s", json_real(seconds > 0 ? (double)s->blocks / seconds : 0));
    json_t *t = json_object();
    json_object_set_new(t, "validate", json_real(s->validate));
    json_object_set_new(t, "senders", json_real(s->senders));
    json_object_set_new(t, "execute", json_real(s->execute));
    json_object_set_new(t, "state_root", json_real(s->root));
    json_object_set_new(t, "commit", json_real(s->commit));
    json_object_set_new(t, "commit_wait", json_real(s->wait));
    json_object_set_new(t, "commit_prepare", json_real(s->prepare));
    json_object_set_new(t, "root_during_execution", json_real(s->root_during));
    json_object_set_new(t, "root_after_execution", json_real(s->root_tail));
    json_object_set_new(t, "root_after_execution_waiting", json_real(s->root_tail_wait));
    json_object_set_new(o, "time", t);
    json_object_set_new(o, "preroot_blocks", json_integer((json_int_t)s->preroot_blocks));
    json_object_set_new(o, "preroot_rounds", json_integer((json_int_t)s->preroot_rounds));
    json_object_set_new(o, "preroot_chained", json_integer((json_int_t)s->preroot_chained));
    json_object_set_new(o, "preroot_as_guessed", json_integer((json_int_t)s->preroot_as_guessed));
    json_object_set_new(o, "commits", json_integer((json_int_t)s->commits));
    json_object_set_new(o, "root_checks", json_integer((json_int_t)s->root_checks));
    json_object_set_new(o, "reruns", json_integer((json_int_t)s->reruns));
    json_object_set_new(o, "roots_chained", json_integer((json_int_t)s->root_chained));
    json_t *rows = json_object();
    json_object_set_new(rows, "accounts", json_integer((json_int_t)s->accounts));
    json_object_set_new(rows, "slots", json_integer((json_int_t)s->slots));
    json_object_set_new(rows, "branch_records", json_integer((json_int_t)s->records));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "head", json_integer((json_int_t)head));
    json_object_set_new(o, "head_hash", json_string(hh));
    if (bad->invalid) {
        json_t *b = json_object();
        json_object_set_new(b, "number", json_integer((json_int_t)bad->number));
        json_object_set_new(b, "hash", json_string(bh));
        json_object_set_new(b, "reason", json_string(bad->reason));
        if (bad->tx >= 0) json_object_set_new(b, "tx", json_integer(bad->tx));
        json_object_set_new(o, "invalid_block", b);
    }
    json_object_set_new(o, "error", err && !bad->invalid ? json_string(err) : json_null());
    char *text = json_dumps(o, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(o);
}

/* Imports one file; returns NULL or the failure. With sa, blocks are read
 * SENDERS_AHEAD_MAX ahead of the one imported and pushed to it, so that
 * their senders are recovered while earlier blocks execute; a read error
 * is reported once the blocks read before it are imported and written. */
static const char *import_file(chain_importer *im, senders_ahead *sa, const char *path, progress *p,
                               chain_bad_block *bad) {
    gzFile f = gzopen(path, "rb");
    if (!f) return "cannot open the file";
    gzbuffer(f, 1 << 17);
    uint64_t done_before = p->bytes_done;
    enum { RING = SENDERS_AHEAD_MAX };
    buf_t ring[RING] = {{0}};
    size_t head = 0, n = 0, want = sa ? RING : 1;
    const char *err = NULL, *read_err = NULL;
    int r = 1;
    for (;;) {
        for (; r == 1 && n < want; n++) {
            buf_t *b = &ring[(head + n) % RING];
            if ((r = read_item(f, b, &read_err)) != 1) break;
            if (sa) senders_ahead_push(sa, b->data, b->len);
        }
        if (!n) break;
        buf_t *b = &ring[head];
        err = chain_import_block(im, b->data, b->len, bad);
        if (sa) senders_ahead_pop(sa);
        /* the file's bytes, compressed or not, against the files' sizes */
        long off = gzoffset(f);
        if (off >= 0) p->bytes_done = done_before + (uint64_t)off;
        head = (head + 1) % RING;
        n--;
        if (err == CHAIN_KNOWN_BLOCK) err = NULL;
        if (err) break;
        print_progress(p, im, false);
    }
    while (sa && n--) senders_ahead_pop(sa); /* read, not imported */
    for (size_t i = 0; i < RING; i++) buf_free(&ring[i]);
    gzclose(f);
    if (!err && read_err) { /* the blocks before the bad bytes are valid: they are kept */
        const char *ferr = chain_import_flush(im, bad);
        err = ferr ? ferr : read_err;
    } else if (err && !bad->invalid) {
        /* a block that does not follow (a gap, another chain): the blocks
         * queued before it are kept too, their roots checked; one of them
         * found invalid then is the first invalid block */
        const char *ferr = chain_import_flush(im, bad);
        if (ferr) err = ferr;
    }
    return err;
}

static int import_main(void *arg) {
    import_args *a = arg;
    db_options dopt = {.no_sync = a->no_sync, .threads = a->o.threads, .existing = true};
    db *d;
    const char *err = db_open(a->dir, &dopt, &d);
    if (!err && (err = cli_lock_store(a->dir))) db_close(d);
    if (err) {
        fprintf(stderr, "parevm import: %s: %s\n", a->dir, err);
        return 1;
    }
    senders_ahead *sa = a->ahead ? senders_ahead_new(a->ahead) : NULL;
    if (sa) {
        a->o.known_sender = senders_ahead_lookup;
        a->o.known_sender_arg = sa;
    }
    chain_importer *im;
    if ((err = chain_importer_open(d, &a->o, &im))) {
        fprintf(stderr, "parevm import: %s\n", err);
        senders_ahead_free(sa);
        db_close(d);
        return 1;
    }
    progress p = {.start = now(), .tty = isatty(2) && !a->json};
    for (int i = 0; i < a->n_files; i++) {
        struct stat st;
        if (!stat(a->files[i], &st)) p.bytes_total += (uint64_t)st.st_size;
    }
    chain_bad_block bad = {.tx = -1};
    const char *file = NULL;
    for (int i = 0; i < a->n_files && !err; i++) {
        file = a->files[i];
        err = import_file(im, sa, file, &p, &bad);
    }
    if (!err) err = chain_import_flush(im, &bad);
    double seconds = now() - p.start;
    print_progress(&p, im, true);
    if (bad.invalid) {
        char h[67];
        hexs(&bad.hash, h);
        fprintf(stderr, "parevm import: invalid block %llu %s: %s", (unsigned long long)bad.number, h, bad.reason);
        if (bad.tx >= 0) fprintf(stderr, " (transaction %ld)", bad.tx);
        fprintf(stderr, "\n");
    } else if (err) {
        fprintf(stderr, "parevm import: %s: %s\n", file ? file : a->dir, err);
    }
    summary(a, im, seconds, &bad, err);
    chain_importer_free(im);
    senders_ahead_free(sa);
    db_close(d);
    return err ? 1 : 0;
}

static bool on_off(const char *s, bool *out) {
    if (strcmp(s, "on") && strcmp(s, "off")) return false;
    *out = !strcmp(s, "on");
    return true;
}

static int usage(void) {
    fprintf(stderr,
            "usage: parevm import --datadir DIR [--threads N] [--root-every T] [--batch B] [--sequential]\n"
            "                     [--senders-ahead K]\n"
            "                     [--no-pipeline] [--preroot auto|on|off] [--root-first on|off]\n"
            "                     [--no-sync] [--verify-seals] [--json] FILE...\n"
            "  FILE: RLP chain files (blocks concatenated, as geth/reth export write them;\n"
            "        gzip-compressed ones too, as geth's export writes FILE.gz)\n"
            "  --threads N     Block-STM and state-root threads (default 2)\n"
            "  --root-every T  check the state root every T blocks and at the end (default 1: every block)\n"
            "  --batch B       blocks per write transaction at most (default min(T, 64); with T = 1,\n"
            "                  8: blocks queue up while the committer writes, one write checks each root)\n"
            "  --sequential    execute without Block-STM\n"
            "  --senders-ahead K  threads recovering the senders of the blocks read ahead while\n"
            "                  earlier ones execute (0: none; default max(1, N/4) on two cores or more)\n"
            "  --no-pipeline   commit on the importing thread (default: a committer thread writes\n"
            "                  one batch while the next blocks execute)\n"
            "  --preroot M     compute a block's root in rounds while it executes, when it runs on the\n"
            "                  store's head with nothing queued: on, off, or auto (default: on when\n"
            "                  the machine has two cores more than execution uses)\n"
            "  --root-first M  on (default): a block's root is checked on the importing thread, on\n"
            "                  the unwritten state of its parent while the committer writes that;\n"
            "                  off: the committer thread computes it before the write\n"
            "  --no-sync       no fsync per commit (survives a process crash, not an OS crash)\n"
            "  --verify-seals  check the Ethash seal of each block before the Merge (and of its\n"
            "                  ommers) when the genesis config names ethash, as geth does by\n"
            "                  default (test chains such as hive's carry fake seals)\n"
            "  --json          print a JSON summary\n");
    return 2;
}

int cmd_import(int argc, char **argv) {
    import_args a = {.o = {.threads = 2, .root_every = 1, .root_first = true}};
    bool ahead_set = false;
    long ahead;
    uint64_t v;
    a.files = calloc((size_t)argc, sizeof *a.files);
    if (!a.files) return 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(s, "--datadir") && more) a.dir = argv[++i];
        else if (!strcmp(s, "--threads") && more && cli_parse_u64(argv[i + 1], 1, 1024, &v))
            a.o.threads = (unsigned)v, i++;
        else if (!strcmp(s, "--root-every") && more && cli_parse_u64(argv[i + 1], 1, UINT64_MAX, &v))
            a.o.root_every = v, i++;
        else if (!strcmp(s, "--batch") && more && cli_parse_u64(argv[i + 1], 0, 1u << 20, &v))
            a.o.batch = (unsigned)v, i++;
        else if (!strcmp(s, "--sequential")) a.o.sequential = true;
        else if (!strcmp(s, "--senders-ahead") && more && cli_parse_long(argv[i + 1], 0, 64, &ahead)) {
            a.ahead = (unsigned)ahead;
            ahead_set = true;
            i++;
        }
        else if (!strcmp(s, "--no-pipeline")) a.o.no_pipeline = true;
        else if (!strcmp(s, "--root-first") && more && on_off(argv[i + 1], &a.o.root_first)) i++;
        else if (!strcmp(s, "--preroot") && more && chain_preroot_parse(argv[i + 1], &a.o.preroot)) i++;
        else if (!strcmp(s, "--no-sync")) a.no_sync = true;
        else if (!strcmp(s, "--verify-seals")) a.o.verify_seals = true;
        else if (!strcmp(s, "--json")) a.json = true;
        else if (s[0] != '-') a.files[a.n_files++] = argv[i];
        else {
            free(a.files);
            return usage();
        }
    }
    if (!a.o.batch && a.o.root_every == 1) a.o.batch = 8; /* fsyncs shared when writing lags */
    /* one thread per 4 of execution's, at least one where there are two
     * cores: even on 2 cores with 2 threads it fills the gaps execution
     * leaves (the root's serial tail, the commits' waits): 20 erc20 blocks
     * over 200k accounts imported in 1.11 s against 1.20 s without it,
     * mixed blocks 1.49 s against 1.55 s, alternated runs on one machine */
    if (!ahead_set) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        a.ahead = cores >= 2 ? (a.o.threads / 4 ? a.o.threads / 4 : 1) : 0;
    }
    if (!a.dir || !a.n_files || a.o.threads < 1 || a.o.threads > 1024 || a.o.root_every < 1 || a.o.batch > 100000) {
        free(a.files);
        return usage();
    }
    int status = run_on_big_stack(import_main, &a);
    free(a.files);
    return status;
}
