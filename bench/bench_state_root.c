/* Micro-benchmark of the store and its incremental state root (not a test).
 *
 * Builds a state of --accounts accounts (1% of them contracts) and --slots
 * storage slots (one contract holds a tenth of them: a huge storage trie) in
 * a temporary datadir, then commits --blocks blocks that each change
 * --changed accounts (balances, nonces, some new accounts) and --changed-slots
 * slots (updates, insertions, deletions; a fifth in the huge contract), and
 * reports per block the time to read the prior state, to update the root
 * incrementally, and to write and commit; then the time of a full rebuild
 * from the flat state (which must give the same root), the store's size and
 * the peak RSS.
 *
 * With --dir naming an existing benchmark store (kept with --keep), the
 * build is skipped and the blocks continue from its head.
 *
 *   bench_state_root [--accounts N] [--slots N] [--changed N] [--changed-slots N]
 *                    [--blocks N] [--batch K] [--threads N] [--dir DIR] [--keep] [--no-full]
 *
 * --batch K commits K blocks per write transaction (db_commit_blocks), the
 * root computed once per batch; the times are then per batch. */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "parevm/db.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct {
    uint64_t accounts, slots, changed, changed_slots, blocks, contracts, huge_slots, per_contract, batch;
    unsigned threads;
    const char *dir;
    bool keep, no_full;
} config;

static address addr_of(uint64_t i) {
    bytes32 h = keccak256_hash(&i, sizeof i);
    address a;
    memcpy(a.b, h.b, 20);
    return a;
}

/* Slots contract c holds at the start. */
static uint64_t slots_of(const config *c, uint64_t contract) {
    if (contract == 0) return c->huge_slots;
    uint64_t rest = c->slots - c->huge_slots, others = c->contracts - 1;
    return rest / others + (contract - 1 < rest % others);
}

static const char *fail_db(const char *what, const char *err) {
    fprintf(stderr, "bench_state_root: %s: %s\n", what, err);
    exit(1);
}

/* Loads the initial state in chunks of at most ~chunk_slots slots. */
static double build_state(db *d, const config *c, const evm_code *code, bytes32 *root) {
    const size_t chunk_slots = 400000, chunk_accounts = 50000;
    change_set cs = {0};
    double t0 = now();
    uint64_t acct = 0, slot_in = 0; /* next account; next slot of the current contract */
    while (acct < c->accounts) {
        change_set_clear(&cs);
        size_t slots = 0, accts = 0;
        while (acct < c->accounts && slots < chunk_slots && accts < chunk_accounts) {
            address a = addr_of(acct);
            account_change *ac = change_set_add_account(&cs, &a);
            if (slot_in == 0) {
                ac->flags = CHANGE_BALANCE | CHANGE_NONCE;
                ac->balance = u256_from_u64(acct + 1);
                ac->nonce = acct % 7;
                if (acct < c->contracts) ac->flags |= CHANGE_CODE, ac->code = code;
            }
            uint64_t have = acct < c->contracts ? slots_of(c, acct) : 0;
            while (slot_in < have && slots < chunk_slots) {
                u256 k = u256_from_u64(slot_in), v = u256_from_u64(slot_in + 1);
                change_set_add_slot(&cs, ac, &k, &v);
                slot_in++, slots++;
            }
            if (slot_in == have) acct++, slot_in = 0, accts++;
        }
        const char *err = db_load_state(d, &cs, root);
        if (err) fail_db("loading the state", err);
        fprintf(stderr, "\r  loaded %llu/%llu accounts", (unsigned long long)acct, (unsigned long long)c->accounts);
    }
    fprintf(stderr, "\n");
    change_set_free(&cs);
    return now() - t0;
}

/* One block's changes. */
static void gen_block(const config *c, change_set *cs, uint64_t *next_new) {
    change_set_clear(cs);
    for (uint64_t i = 0; i < c->changed; i++) {
        uint64_t id = rnd() % 10 == 0 ? (*next_new)++ : c->contracts + rnd() % (c->accounts - c->contracts);
        address a = addr_of(id);
        account_change *ac = change_set_add_account(cs, &a);
        ac->flags = CHANGE_BALANCE_DELTA | CHANGE_NONCE;
        ac->balance = u256_from_u64(1 + rnd() % 1000);
        ac->nonce = 1000 + rnd() % 1000;
    }
    /* slot writes, grouped by contract: 5 per contract visit */
    for (uint64_t done = 0; done < c->changed_slots;) {
        uint64_t contract = rnd() % 5 == 0 ? 0 : 1 + rnd() % (c->contracts - 1);
        address a = addr_of(contract);
        account_change *ac = change_set_add_account(cs, &a);
        uint64_t have = slots_of(c, contract);
        for (int k = 0; k < 5 && done < c->changed_slots; k++, done++) {
            unsigned r = (unsigned)(rnd() % 10);
            uint64_t j = r < 2 ? have + rnd() % 1000000 : rnd() % (have ? have : 1);
            u256 key = u256_from_u64(j), val = r == 9 ? U256_ZERO : u256_from_u64(rnd());
            change_set_add_slot(cs, ac, &key, &val);
        }
    }
}

static double file_gib(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    return stat(path, &st) ? 0 : (double)st.st_blocks * 512 / (1 << 30);
}

/* Peak RSS, and the current resident memory split into heap (anonymous)
 * and the store's mapped file pages (reclaimable page cache). */
static void print_memory(const char *dir) {
    long hwm = 0, anon = 0, file = 0;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "VmHWM: %ld", &hwm);
        sscanf(line, "RssAnon: %ld", &anon);
        sscanf(line, "RssFile: %ld", &file);
    }
    if (f) fclose(f);
    printf("store %.2f GiB; peak RSS %ld MiB; now: heap %ld MiB, mapped store pages %ld MiB\n", file_gib(dir),
           hwm / 1024, anon / 1024, file / 1024);
}

static long peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}


static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) { return remove(path); }

static uint64_t arg_u64(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "bench_state_root: %s needs a value\n", argv[*i]);
        exit(2);
    }
    char *end;
    unsigned long long v = strtoull(argv[++*i], &end, 10);
    if (*end || v == 0) {
        fprintf(stderr, "bench_state_root: bad value for %s\n", argv[*i - 1]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    config c = {.accounts = 1000000, .slots = 10000000, .changed = 10000, .changed_slots = 50000,
                .blocks = 3, .threads = 2, .batch = 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--accounts")) c.accounts = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--slots")) c.slots = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--changed")) c.changed = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--changed-slots")) c.changed_slots = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--blocks")) c.blocks = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--batch")) c.batch = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--threads")) c.threads = (unsigned)arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) c.dir = argv[++i];
        else if (!strcmp(argv[i], "--keep")) c.keep = true;
        else if (!strcmp(argv[i], "--no-full")) c.no_full = true;
        else {
            fprintf(stderr, "usage: bench_state_root [--accounts N] [--slots N] [--changed N] "
                            "[--changed-slots N] [--blocks N] [--batch K] [--threads N] [--dir DIR] [--keep] [--no-full]\n");
            return 2;
        }
    }
    c.contracts = c.accounts / 100 > 1 ? c.accounts / 100 : 2;
    c.huge_slots = c.slots / 10;
    char tmp[] = "/tmp/parevm_bench_XXXXXX";
    const char *dir = c.dir;
    if (!dir) {
        if (!mkdtemp(tmp)) return fail_db("mkdtemp", "failed"), 1;
        dir = tmp;
    }
    db *d;
    db_options o = {.threads = c.threads, .no_sync = true};
    const char *err = db_open(dir, &o, &d);
    if (err) fail_db("opening the store", err);
    printf("state: %llu accounts (%llu contracts), %llu slots (one contract: %llu); %u threads; %s\n",
           (unsigned long long)c.accounts, (unsigned long long)c.contracts, (unsigned long long)c.slots,
           (unsigned long long)c.huge_slots, c.threads, dir);

    static const uint8_t code_bytes[] = {0x60, 0x00, 0x35, 0x54, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3};
    const evm_code *code = code_store_intern(db_codes(d), code_bytes, sizeof code_bytes);
    bytes32 root;
    uint64_t head = 0;
    db_snapshot *snap;
    if ((err = db_snapshot_open(d, 1, &snap))) fail_db("snapshot", err);
    bool reuse = db_head(snap, &head, NULL) == NULL;
    db_snapshot_close(snap);
    if (!reuse) {
        double c0 = cpu(), t_build = build_state(d, &c, code, &root);
        uint8_t header[] = {0xc0};
        db_block b0 = {.number = 0, .header = {header, 1}, .root = true};
        if ((err = db_commit_block(d, &b0, &root))) fail_db("block 0", err);
        printf("build: %.1f s (cpu %.1f s, %.0f slots/s), store %.2f GiB, peak RSS %ld MiB\n", t_build,
               cpu() - c0, (double)c.slots / t_build, file_gib(dir), peak_rss_mib());
    } else {
        printf("reusing the store at block %llu\n", (unsigned long long)head);
    }

    change_set *cs = calloc(c.batch, sizeof *cs);
    db_block *blocks = calloc(c.batch, sizeof *blocks);
    uint8_t (*headers)[9] = calloc(c.batch, 9);
    if (!cs || !blocks || !headers) return 1;
    uint64_t next_new = c.accounts + head * c.changed;
    rng += head;
    double sum_prep = 0, sum_root = 0, sum_write = 0;
    uint64_t batches = 0;
    for (uint64_t n = head + 1; n <= head + c.blocks;) {
        size_t k = 0;
        size_t entries = 0, slot_writes = 0;
        for (; k < c.batch && n <= head + c.blocks; k++, n++) {
            gen_block(&c, &cs[k], &next_new);
            entries += cs[k].n_accounts, slot_writes += cs[k].n_slots;
            headers[k][0] = 0xc8, headers[k][1] = 0x87;
            memcpy(headers[k] + 2, &n, 7);
            blocks[k] = (db_block){.number = n, .header = {headers[k], 9}, .changes = &cs[k]};
        }
        db_commit_stats st;
        blocks[k - 1].root = true;
        blocks[k - 1].stats = &st;
        double c0 = cpu();
        if ((err = db_commit_blocks(d, blocks, k, &root))) fail_db("committing blocks", err);
        printf("blocks %llu..%llu: %zu account entries, %zu slot writes (%zu accounts, %zu slots, %zu branch "
               "records): prior state %.3f s, root %.3f s, write+commit %.3f s (cpu, all threads: %.3f s)\n",
               (unsigned long long)(n - k), (unsigned long long)(n - 1), entries, slot_writes, st.accounts, st.slots,
               st.records, st.prepare, st.root, st.write, cpu() - c0);
        sum_prep += st.prepare, sum_root += st.root, sum_write += st.write;
        batches++;
    }
    printf("mean per block: prior state %.3f s, incremental root %.3f s, write+commit %.3f s\n",
           sum_prep / (double)c.blocks, sum_root / (double)c.blocks, sum_write / (double)c.blocks);

    bytes32 full = root;
    if (!c.no_full) {
        double t0 = now(), c0 = cpu();
        if ((err = db_root_full(d, &full))) fail_db("full rebuild", err);
        double t_full = now() - t0;
        char hex[67], hex2[67];
        hex_encode(root.b, 32, hex), hex_encode(full.b, 32, hex2);
        printf("full rebuild from the flat state: %.1f s (cpu %.1f s), root %s (incremental %s): %s\n", t_full,
               cpu() - c0, hex2, hex, bytes32_eq(&root, &full) ? "equal" : "DIFFERENT");
    }
    print_memory(dir);
    for (uint64_t i = 0; i < c.batch; i++) change_set_free(&cs[i]);
    free(cs), free(blocks), free(headers);
    db_close(d);
    if (!c.keep) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return bytes32_eq(&root, &full) ? 0 : 1;
}
