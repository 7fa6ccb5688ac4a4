/* parevm chaintest: runs ethereum/tests BlockchainTests through the store:
 * every test's genesis (its pre-state and genesisBlockHeader, turned into a
 * geth genesis object) goes through the genesis reader and chain_init into
 * a fresh datadir, and its blocks through the importer (chain_import.h)
 * with the state root checked at every block (or every T with
 * --root-every). Blocks marked expectException must be rejected with the
 * store left at their parent; blocks on another branch make the driver
 * unwind the store to the fork point and re-import that branch. At the end
 * the head must be lastblockhash, its state root the post state's, and the
 * incremental root must equal a full rebuild from the state rows. With
 * --stateless, every block of the final chain is then checked again with
 * nothing but its execution witness (the node's debug_executionWitness
 * over the store, checked as parevm stateless does). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli_util.h"
#include "commands.h"
#include "fixture_store.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rpc_proof.h"
#include "stateless_check.h"
#include "parevm/state_root.h"

typedef struct {
    fixture_run base;
    chain_import_options o;
    char tmp[256]; /* parent folder of the datadirs */
    unsigned seq;
    bool stateless;
} ct_run;

/* A block the test accepted (or the genesis). */
typedef struct {
    bytes32 hash, parent;
    uint64_t number;
    uint8_t *rlp;
    size_t len;
} accepted;

typedef struct {
    ct_run *r;
    db *d;
    chain_importer *im;
    accepted *v;
    size_t n, cap;
    char err[400];
} ct_state;

static accepted *find(ct_state *s, const bytes32 *hash) {
    for (size_t i = 0; i < s->n; i++)
        if (bytes32_eq(&s->v[i].hash, hash)) return &s->v[i];
    return NULL;
}

static void add(ct_state *s, const bytes32 *hash, const bytes32 *parent, uint64_t number, const uint8_t *rlp,
                size_t len) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) abort();
    }
    accepted *a = &s->v[s->n++];
    a->hash = *hash;
    a->parent = *parent;
    a->number = number;
    a->len = len;
    a->rlp = malloc(len ? len : 1);
    if (!a->rlp) abort();
    if (len) memcpy(a->rlp, rlp, len);
}

static bool canonical(ct_state *s, const accepted *a) {
    db_snapshot *snap;
    if (db_snapshot_open(s->d, 1, &snap)) return false;
    bytes32 h;
    bool yes = !db_canonical_hash(snap, a->number, &h) && bytes32_eq(&h, &a->hash);
    db_snapshot_close(snap);
    return yes;
}

/* Makes the accepted block `to` the store's head: unwinds to where its
 * branch meets the canonical chain and imports the branch. */
static const char *switch_to(ct_state *s, accepted *to) {
    chain_bad_block bad;
    const char *err = chain_import_flush(s->im, &bad);
    if (err) return err;
    accepted **path = malloc((s->n + 1) * sizeof *path);
    if (!path) abort();
    size_t np = 0;
    accepted *a = to;
    while (a && !canonical(s, a)) {
        path[np++] = a;
        a = find(s, &a->parent);
    }
    if (!a) err = "branch does not reach the stored chain";
    if (!err) {
        chain_importer_free(s->im);
        s->im = NULL;
        err = db_unwind(s->d, a->number, NULL);
        if (!err) err = chain_importer_open(s->d, &s->r->o, &s->im);
    }
    for (size_t i = np; i-- > 0 && !err;) {
        err = chain_import_block(s->im, path[i]->rlp, path[i]->len, &bad);
        if (err == CHAIN_KNOWN_BLOCK) err = NULL;
    }
    free(path);
    return err;
}

/* The parent hash a block's RLP names (false if its header does not decode). */
static bool parent_of(const uint8_t *rlp, size_t len, block_header *h) {
    block b;
    char err[160];
    if (!block_decode(rlp, len, &b, err, sizeof err)) return false;
    *h = b.header;
    block_free(&b);
    return true;
}

/* One fixture block. Returns NULL or why the test fails. */
static const char *run_block(ct_state *s, json_t *bj, size_t i) {
    const char *expect = json_string_value(json_object_get(bj, "expectException"));
    uint8_t *raw = NULL;
    size_t len = 0;
    if (!json_hex_bytes(bj, "rlp", &raw, &len, s->err, sizeof s->err)) return s->err;
    block_header h;
    bool decodes = parent_of(raw, len, &h);
    uint64_t head;
    bytes32 head_hash;
    chain_importer_head(s->im, &head, &head_hash);
    const char *err = NULL;
    accepted *parent = decodes ? find(s, &h.parent_hash) : NULL;
    if (decodes && !parent) { /* an unknown parent: rejected without import */
        free(raw);
        if (expect) return NULL;
        snprintf(s->err, sizeof s->err, "block %zu: unknown parent", i);
        return s->err;
    }
    if (parent && !bytes32_eq(&parent->hash, &head_hash)) err = switch_to(s, parent);
    if (err) {
        free(raw);
        snprintf(s->err, sizeof s->err, "block %zu: switching branch: %s", i, err);
        return s->err;
    }
    chain_importer_head(s->im, &head, &head_hash);
    chain_bad_block bad;
    err = chain_import_block(s->im, raw, len, &bad);
    bool ok = !err || err == CHAIN_KNOWN_BLOCK;
    /* a root is checked by the committer thread, or with --root-every T at
     * the next check: a bad one shows later; flush to see it now */
    if (ok && expect) {
        err = chain_import_flush(s->im, &bad);
        if (bad.invalid && !bytes32_eq(&bad.hash, &h.hash)) {
            snprintf(s->err, sizeof s->err, "block %zu: the flush blamed another block", i);
            free(raw);
            return s->err;
        }
        ok = !err;
    }
    if (err && err != CHAIN_KNOWN_BLOCK && !bad.invalid) {
        snprintf(s->err, sizeof s->err, "block %zu: import error: %s", i, err);
    } else if (ok && expect) {
        snprintf(s->err, sizeof s->err, "block %zu accepted, expected %s", i, expect);
    } else if (!ok && !expect) {
        snprintf(s->err, sizeof s->err, "block %zu rejected: %s", i, err);
    } else {
        s->err[0] = 0;
    }
    if (!s->err[0] && !ok) { /* rejected: the store is at the parent */
        uint64_t n2;
        bytes32 h2;
        chain_importer_head(s->im, &n2, &h2);
        if (n2 != head || !bytes32_eq(&h2, &head_hash))
            snprintf(s->err, sizeof s->err, "block %zu rejected but the head moved", i);
    }
    if (!s->err[0] && ok && decodes && !find(s, &h.hash)) add(s, &h.hash, &h.parent_hash, h.number, raw, len);
    free(raw);
    return s->err[0] ? s->err : NULL;
}

/* Every canonical block reads back from the store (as export writes it)
 * as the bytes it was imported from. */
static const char *check_stored_blocks(ct_state *s, uint64_t head) {
    db_snapshot *snap;
    const char *err = db_snapshot_open(s->d, 1, &snap);
    buf_t rlp = {0};
    for (uint64_t n = 1; !err && n <= head; n++) {
        bytes32 hash;
        buf_clear(&rlp);
        if ((err = db_canonical_hash(snap, n, &hash)) || (err = chain_read_block_rlp(snap, n, &hash, &rlp))) break;
        const accepted *a = find(s, &hash);
        if (!a || a->len != rlp.len || memcmp(a->rlp, rlp.data, rlp.len)) {
            snprintf(s->err, sizeof s->err, "block %llu reads back from the store as other bytes",
                     (unsigned long long)n);
            err = s->err;
        }
    }
    buf_free(&rlp);
    db_snapshot_close(snap);
    return err;
}

/* The head is lastblockhash, with the post state's root, which a full
 * rebuild from the state rows gives too; the canonical blocks read back
 * as they came. */
static const char *check_end(ct_state *s, json_t *t) {
    bytes32 last, want, have, full;
    if (!json_hex_bytes32(t, "lastblockhash", &last, s->err, sizeof s->err)) return s->err;
    accepted *a = find(s, &last);
    if (!a) return "lastblockhash is not an accepted block";
    uint64_t head;
    bytes32 hh;
    chain_importer_head(s->im, &head, &hh);
    const char *err = bytes32_eq(&hh, &last) ? NULL : switch_to(s, a);
    chain_bad_block bad;
    if (!err) err = chain_import_flush(s->im, &bad);
    if (err) return err;
    chain_importer_head(s->im, &head, &hh);
    if (!bytes32_eq(&hh, &last)) return "the head is not lastblockhash";
    json_t *post = json_object_get(t, "postState");
    if (post) {
        mem_state *m = mem_state_new();
        bool loaded = json_load_pre_state(post, m, s->err, sizeof s->err);
        if (loaded) want = mem_state_root(m);
        mem_state_free(m);
        if (!loaded) return s->err;
    } else if (!json_hex_bytes32(t, "postStateHash", &want, s->err, sizeof s->err)) {
        return s->err;
    }
    if ((err = db_update_root(s->d, &have)) || (err = db_root_full(s->d, &full))) return err;
    if (!bytes32_eq(&have, &want)) return "the store's state root is not the post state's";
    if (!bytes32_eq(&full, &have)) return "a full rebuild of the root differs from the incremental root";
    return check_stored_blocks(s, head);
}

static const char *run_chain(ct_state *s, json_t *t, const chain_config *cfg) {
    block_header out;
    const char *err = fixture_init_store(s->d, t, cfg, &out, s->err, sizeof s->err);
    if (err) return err;
    add(s, &out.hash, &out.parent_hash, 0, NULL, 0);
    if ((err = chain_importer_open(s->d, &s->r->o, &s->im))) return err;
    size_t i;
    json_t *bj;
    json_array_foreach(json_object_get(t, "blocks"), i, bj) {
        if ((err = run_block(s, bj, i))) return err;
    }
    return check_end(s, t);
}

/* The node's method on block number: its result (a new reference) or NULL
 * with the error in err. */
static json_t *node_call(node *n, const char *method, uint64_t number, char *err, size_t errlen) {
    char q[24];
    snprintf(q, sizeof q, "0x%llx", (unsigned long long)number);
    json_t *params = json_pack("[s]", q);
    json_t *resp = cli_rpc_call(node_methods(n), method, params);
    json_decref(params);
    json_t *res = json_incref(json_object_get(resp, "result"));
    const char *why = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
    if (!res) snprintf(err, errlen, "%s of block %llu: %s", method, (unsigned long long)number, why ? why : "no result");
    json_decref(resp);
    return res;
}

static bool stateless_block(ct_state *s, node *n, const chain_config *cfg, uint64_t number) {
    char why[300];
    json_t *wj = node_call(n, "debug_executionWitness", number, s->err, sizeof s->err);
    json_t *bj = wj ? node_call(n, "debug_getRawBlock", number, s->err, sizeof s->err) : NULL;
    execution_witness w;
    uint8_t *rlp = NULL;
    size_t len = 0;
    block b;
    bool ok = wj && bj;
    if (ok && !rpc_parse_witness(wj, &w, why, sizeof why)) {
        snprintf(s->err, sizeof s->err, "block %llu: the node's witness: %s", (unsigned long long)number, why);
        ok = false;
    } else if (ok) {
        if (!json_string_value(bj) || !hex_decode_alloc(json_string_value(bj), &rlp, &len) ||
            !block_decode(rlp, len, &b, why, sizeof why)) {
            snprintf(s->err, sizeof s->err, "block %llu: the node's raw block does not decode", (unsigned long long)number);
            ok = false;
        } else {
            stateless_verdict v;
            stateless_check(cfg, &w, &b, len, s->r->o.threads > 1 ? s->r->o.threads : 0, &v);
            if (v.status) {
                snprintf(s->err, sizeof s->err, "stateless check of block %llu: %s", (unsigned long long)number, v.why);
                ok = false;
            }
            block_free(&b);
        }
        free(rlp);
        execution_witness_free(&w);
    }
    json_decref(wj);
    json_decref(bj);
    return ok;
}

/* Blocks 1..head of the store in dir (closed first) from their witnesses. */
static const char *check_stateless(ct_state *s, const chain_config *cfg, const char *dir, uint64_t head) {
    chain_importer_free(s->im);
    s->im = NULL;
    db_close(s->d);
    s->d = NULL;
    node_config nc = {.datadir = dir, .threads = 1};
    node *n;
    const char *err = node_open(&nc, &n);
    if (err) return err;
    for (uint64_t k = 1; k <= head && !err; k++)
        if (!stateless_block(s, n, cfg, k)) err = s->err;
    node_close(n);
    return err;
}

static void run_test(fixture_run *fr, const char *file, const char *name, json_t *t) {
    ct_run *r = (ct_run *)fr;
    chain_config cfg;
    if (!fixture_network(fr, file, name, t, &cfg)) return;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%u", r->tmp, r->seq++);
    ct_state s = {.r = r};
    db_options dopt = {.no_sync = true, .map_size = (size_t)1 << 26, .threads = r->o.threads};
    const char *err = db_open(dir, &dopt, &s.d);
    if (!err) err = run_chain(&s, t, &cfg);
    if (!err && r->stateless) {
        uint64_t head;
        bytes32 hh;
        chain_importer_head(s.im, &head, &hh);
        err = check_stateless(&s, &cfg, dir, head);
    }
    if (err) fixture_run_fail(fr, file, name, "%s", err);
    else fr->passed++;
    chain_importer_free(s.im);
    for (size_t i = 0; i < s.n; i++) free(s.v[i].rlp);
    free(s.v);
    if (s.d) db_close(s.d);
    fixture_remove_store(dir);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm chaintest [--run REGEX] [--threads N] [--root-every T] [--sequential] [--root-first]\n"
                    "                        [--stateless]\n"
                    "                        PATH...\n"
                    "  PATH: BlockchainTests files or folders, each test run through init + import\n"
                    "  into a fresh datadir (under $TMPDIR)\n"
                    "  --root-first  check each root on the importing thread, while the parent's write\n"
                    "                goes on (import --root-first on)\n"
                    "  --stateless   then check every block of the final chain with nothing but its\n"
                    "                execution witness (as parevm stateless, with Block-STM when --threads > 1)\n");
    return 2;
}

int cmd_chaintest(int argc, char **argv) {
    ct_run r = {.base = {.cmd = "chaintest", .paths_ok = true, .run_test = run_test},
                .o = {.threads = 1, .root_every = 1}};
    for (int i = 1; i < argc; i++) {
        int used = fixture_run_option(&r.base, argc, argv, &i);
        if (used < 0) return 2;
        if (used) continue;
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            r.o.threads = (unsigned)atoi(argv[++i]);
            if (r.o.threads < 1 || r.o.threads > 64) return usage();
        } else if (!strcmp(argv[i], "--root-every") && i + 1 < argc) {
            r.o.root_every = strtoull(argv[++i], NULL, 10);
            if (r.o.root_every < 1) return usage();
        } else if (!strcmp(argv[i], "--sequential")) {
            r.o.sequential = true;
        } else if (!strcmp(argv[i], "--root-first")) {
            r.o.root_first = true;
        } else if (!strcmp(argv[i], "--stateless")) {
            r.stateless = true;
        } else {
            return usage();
        }
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(r.tmp, sizeof r.tmp, "%s/parevm-chaintest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r.tmp)) {
        fprintf(stderr, "parevm chaintest: cannot create a folder under %s\n", tmp && *tmp ? tmp : "/tmp");
        return 1;
    }
    int status = fixture_run_all(&r.base);
    rmdir(r.tmp);
    return status < 0 ? usage() : status;
}
