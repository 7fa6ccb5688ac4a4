/* parevm blocktest: runs ethereum/tests BlockchainTests fixtures.
 *
 * The genesis state comes from "pre"; each block's RLP is decoded,
 * validated against its parent (header rules, ommers, body roots), executed
 * on a copy of its parent's state and checked against its header (gas, bloom,
 * receipts, state root). Blocks marked expectException must be rejected; all
 * others must be accepted. Blocks form a tree: the head is the heaviest
 * proof-of-work chain, or the last accepted block after the Merge. At the end
 * the head must be lastblockhash and its state must equal postState (or have
 * postStateHash as root).
 *
 * --requests FILE writes the EIP-7685 requests of every accepted block from
 * Prague on, one JSON line each: {"hash": block hash, "requests": [type byte
 * and data, one per non-empty type, as engine_newPayloadV4 takes them]}.
 * They match the header's requestsHash (the block was accepted), so the
 * Engine API conversion of the fixtures (tests/tools/blocktests_engine.mjs)
 * can carry blocks the fixtures give only the hash of. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "exceptions.h"
#include "fixture_store.h"
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"

typedef struct {
    fixture_run base; /* first: the runner calls back with it */
    executor *ex;
    par_engine *par; /* --threads: Block-STM instead of the sequential executor */
    int repeat;      /* --repeat: execute each block this many times */
    uint64_t stm_blocks, seq_blocks, executions, aborts; /* --threads: what ran */
    FILE *requests;  /* --requests: the accepted blocks' requests */
} bt_run;

/* One accepted block. ommers are kept for the uncle rules of descendants. */
typedef struct {
    block_header header;
    block_header *ommers;
    size_t n_ommers;
    mem_state *state;
    u256 td; /* total difficulty */
    bool merged;
} chain_node;

typedef struct {
    chain_node *v;
    size_t n, cap;
    size_t head;
} block_tree;

static chain_node *tree_find(block_tree *t, const bytes32 *hash) {
    for (size_t i = 0; i < t->n; i++)
        if (bytes32_eq(&t->v[i].header.hash, hash)) return &t->v[i];
    return NULL;
}

static void tree_free(block_tree *t) {
    for (size_t i = 0; i < t->n; i++) {
        mem_state_free(t->v[i].state);
        free(t->v[i].ommers);
    }
    free(t->v);
}

static chain_node *tree_add(block_tree *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        if (!t->v) abort();
    }
    chain_node *n = &t->v[t->n++];
    memset(n, 0, sizeof *n);
    return n;
}

/* The ommer rules (Yellow Paper 11.1): at most two, distinct, each a valid
 * header at most six generations old (its parent an ancestor), not itself an
 * ancestor and not already included by an ancestor. */
static const char *check_ommers(const chain_config *cfg, block_tree *t, const block *b, bool merged) {
    if (merged) return b->n_ommers ? "ommers after the Merge" : NULL;
    if (b->n_ommers > 2) return "more than two ommers";
    for (size_t i = 0; i < b->n_ommers; i++) {
        const block_header *o = &b->ommers[i];
        for (size_t j = 0; j < i; j++)
            if (bytes32_eq(&b->ommers[j].hash, &o->hash)) return "duplicate ommer";
        if (bytes32_eq(&o->hash, &b->header.hash)) return "block is its own ommer";
        /* an ommer up to six generations old has its parent up to seven back */
        const chain_node *anc = tree_find(t, &b->header.parent_hash);
        const chain_node *ommer_parent = NULL;
        for (int depth = 1; anc && depth <= 7; depth++) {
            if (bytes32_eq(&anc->header.hash, &o->hash)) return "ommer is an ancestor";
            for (size_t k = 0; k < anc->n_ommers; k++)
                if (bytes32_eq(&anc->ommers[k].hash, &o->hash)) return "ommer already included";
            if (bytes32_eq(&anc->header.hash, &o->parent_hash)) ommer_parent = anc;
            anc = tree_find(t, &anc->header.parent_hash);
        }
        if (!ommer_parent) return "ommer's parent is not a recent ancestor";
        if (o->number + 6 < b->header.number || o->number >= b->header.number) return "ommer too old";
        const char *why = header_validate(cfg, &ommer_parent->header, o, false);
        if (why) return why;
    }
    return NULL;
}

static bool td_reached(const chain_config *cfg, const u256 *td) {
    return cfg->has_ttd && !u256_lt(td, &cfg->terminal_total_difficulty);
}

/* BLOCKHASH sees the 256 ancestors of the block being executed. */
static void set_ancestor_hashes(block_tree *t, const chain_node *parent, mem_state *s) {
    for (int depth = 0; parent && depth < 256; depth++) {
        mem_state_set_block_hash(s, parent->header.number, &parent->header.hash);
        parent = tree_find(t, &parent->header.parent_hash);
    }
}

/* The body roots that execution does not produce: the execution specs
 * compare them with the header after executing the transactions, so an
 * invalid transaction is reported before a root that excludes it. */
static const char *check_body_roots(const block *b) {
    bytes32 h = block_tx_root(b);
    if (!bytes32_eq(&h, &b->header.tx_root)) return "transactions root mismatch";
    if (b->header.has_withdrawals_root != b->has_withdrawals) return "withdrawals presence mismatch";
    if (b->has_withdrawals) {
        h = block_withdrawals_root(b);
        if (!bytes32_eq(&h, &b->header.withdrawals_root)) return "withdrawals root mismatch";
    }
    return NULL;
}

/* One line of --requests: the block's hash and its requests, each its type
 * byte and data in hex. */
static void write_requests(FILE *f, const bytes32 *hash, const block_result *res) {
    char hx[67];
    hex_encode(hash->b, 32, hx);
    fprintf(f, "{\"hash\":\"%s\",\"requests\":[", hx);
    buf_t one = {0};
    const char *sep = "";
    for (int t = 0; t < REQUEST_TYPES; t++) {
        const buf_t *q = &res->requests[t];
        if (!q->len) continue;
        uint8_t type = (uint8_t)t;
        buf_clear(&one);
        buf_append(&one, &type, 1);
        buf_append(&one, q->data, q->len);
        char *text = malloc(2 * one.len + 3);
        if (!text) abort();
        hex_encode(one.data, one.len, text);
        fprintf(f, "%s\"%s\"", sep, text);
        free(text);
        sep = ",";
    }
    buf_free(&one);
    fputs("]}\n", f);
}

/* Executes b on s (sequentially or with Block-STM) and checks the results,
 * the body roots and the state root against its header, in the order of
 * the execution specs' state_transition. body_why: the body roots are
 * already known not to match (check_body_roots); such a block is invalid
 * whatever happens and runs sequentially, only to name an invalid
 * transaction first if it has one. last: the block's last execution (of
 * --repeat), whose requests --requests writes. */
static const char *execute_and_check(bt_run *r, const block_rules *rules, block *b, mem_state *s,
                                     const char *body_why, bool last) {
    block_result res = {0};
    const char *why;
    if (r->par && !body_why) {
        /* senders are recovered by the engine: a signature that does not
         * recover ends the block after the transactions before it */
        par_stats st;
        why = par_block_execute_mem(r->par, rules, b, s, &res, &st);
        /* the fallback is off: every block with transactions runs Block-STM */
        if (st.sequential && b->n_txs && !why) why = "Block-STM did not run";
        r->stm_blocks += !st.sequential;
        r->seq_blocks += st.sequential;
        r->executions += st.executions;
        r->aborts += st.aborts;
    } else {
        why = block_execute_mem(r->ex, rules, b, s, &res);
    }
    bytes32 h;
    if (!why && res.gas_used != b->header.gas_used) why = "gas used does not match the header";
    if (!why) why = body_why;
    if (!why) {
        h = mem_state_root(s);
        if (!bytes32_eq(&h, &b->header.state_root)) why = "state root mismatch";
    }
    if (!why) {
        h = block_receipts_root(&res);
        why = block_check_results(&b->header, &res, &h);
    }
    if (!why && last && r->requests && res.has_requests) write_requests(r->requests, &b->header.hash, &res);
    block_result_free(&res);
    return why;
}

/* Validates and executes one decoded block on top of its parent. On success
 * fills node (state ownership passes to it). */
static const char *import_block(bt_run *r, const chain_config *cfg, block_tree *t, block *b, size_t rlp_size,
                                chain_node *out) {
    chain_node *parent = tree_find(t, &b->header.parent_hash);
    if (!parent) return "unknown parent";
    bool merged = parent->merged || td_reached(cfg, &parent->td) ||
                  (!cfg->has_ttd && chain_reached(cfg->paris_block, b->header.number));
    const char *why = header_validate(cfg, &parent->header, &b->header, merged);
    if (why) return why;
    block_rules rules = chain_block_rules(cfg, &b->header, merged);
    rules.state_root = mem_state_root_after;
    if ((why = chain_check_block_size(rules.fork, rlp_size))) return why;
    if ((why = check_ommers(cfg, t, b, merged))) return why;
    bytes32 h = block_ommers_hash(b);
    if (!bytes32_eq(&h, &b->header.ommers_hash)) return "ommers hash mismatch";
    const char *body_why = check_body_roots(b);
    mem_state *s = NULL;
    for (int rep = 0; rep < r->repeat && !why; rep++) {
        if (s) mem_state_free(s);
        s = mem_state_clone(parent->state);
        set_ancestor_hashes(t, parent, s);
        rules.state_root_ctx = s;
        why = execute_and_check(r, &rules, b, s, body_why, rep + 1 == r->repeat);
    }
    if (why) {
        mem_state_free(s);
        return why;
    }
    out->header = b->header;
    out->n_ommers = b->n_ommers;
    out->ommers = NULL;
    if (b->n_ommers) {
        out->ommers = malloc(b->n_ommers * sizeof *out->ommers);
        memcpy(out->ommers, b->ommers, b->n_ommers * sizeof *out->ommers);
    }
    out->state = s;
    out->td = u256_add(&parent->td, &b->header.difficulty);
    out->merged = merged;
    return NULL;
}



/* Builds the expected post state and compares roots (equal roots are equal
 * states); returns NULL if equal. */
static const char *check_post(json_t *t, mem_state *s, char *err, size_t errlen) {
    bytes32 root = mem_state_root(s), want;
    json_t *post = json_object_get(t, "postState");
    if (post) {
        mem_state *exp = mem_state_new();
        if (!json_load_pre_state(post, exp, err, errlen)) {
            mem_state_free(exp);
            return err;
        }
        want = mem_state_root(exp);
        mem_state_free(exp);
    } else if (!json_hex_bytes32(t, "postStateHash", &want, err, errlen)) {
        return err;
    }
    if (bytes32_eq(&root, &want)) return NULL;
    char a[67], b[67];
    hex_encode(want.b, 32, a);
    hex_encode(root.b, 32, b);
    snprintf(err, errlen, "post state root %s expected, got %s", a, b);
    return err;
}

/* Decodes, validates and imports block i of the fixture; a block must be
 * rejected exactly when it has an expectException, and then for the kind of
 * reason it names (exceptions.c). Returns false (after a FAIL line) when the
 * test cannot go on. */
static bool run_block(bt_run *r, const char *file, const char *test, const chain_config *cfg, block_tree *tree,
                      json_t *bj, size_t i) {
    char err[400], unknown[80];
    if (!json_is_object(bj)) {
        fixture_run_fail(&r->base, file, test, "malformed fixture: blocks[%zu] is not an object", i);
        return false;
    }
    json_t *exc = json_object_get(bj, "expectException");
    const char *expect = json_string_value(exc);
    if (exc && !expect) {
        fixture_run_fail(&r->base, file, test, "malformed fixture: blocks[%zu].expectException is not a string", i);
        return false;
    }
    if (expect && !exception_known(expect, unknown, sizeof unknown)) {
        fixture_run_fail(&r->base, file, test, "malformed fixture: blocks[%zu]: unknown exception name \"%s\"", i,
                         unknown);
        return false;
    }
    uint8_t *raw = NULL;
    size_t len = 0;
    block b;
    const char *why = NULL;
    char detail[300] = "";
    if (!json_hex_bytes(bj, "rlp", &raw, &len, err, sizeof err)) {
        fixture_run_fail(&r->base, file, test, "malformed fixture: blocks[%zu]: %s", i, err);
        return false;
    }
    if (!block_decode(raw, len, &b, detail, sizeof detail)) {
        why = REASON_BLOCK_RLP;
    } else {
        chain_node node;
        why = import_block(r, cfg, tree, &b, len, &node);
        if (!why) {
            chain_node *n = tree_add(tree);
            *n = node;
            chain_node *head = &tree->v[tree->head];
            if (n->merged || u256_gt(&n->td, &head->td)) tree->head = tree->n - 1;
        }
        block_free(&b);
    }
    free(raw);
    if (why && !expect) {
        fixture_run_fail(&r->base, file, test, "block %zu rejected: %s%s%s", i, why, *detail ? ": " : "", detail);
        return false;
    }
    if (!why && expect) {
        fixture_run_fail(&r->base, file, test, "block %zu accepted, expected %s", i, expect);
        return false;
    }
    if (why && exception_match(expect, why, NULL, 0) != EXC_MATCH) {
        fixture_run_fail(&r->base, file, test, "block %zu rejected for another reason: %s%s%s (expected %s)", i, why,
                         *detail ? ": " : "", detail, expect);
        return false;
    }
    return true;
}

static void run_test(fixture_run *fr, const char *file, const char *test, json_t *t) {
    bt_run *r = (bt_run *)fr;
    char err[400];
    chain_config cfg;
    if (!fixture_network(fr, file, test, t, &cfg)) return;
    block_tree tree = {0};
    chain_node *g = tree_add(&tree);
    g->state = mem_state_new();
    uint8_t *grlp = NULL;
    size_t glen = 0;
    if (!json_load_pre_state(json_object_get(t, "pre"), g->state, err, sizeof err) ||
        !json_hex_bytes(t, "genesisRLP", &grlp, &glen, err, sizeof err)) {
        tree_free(&tree);
        return fixture_run_fail(fr, file, test, "malformed fixture: %s", err);
    }
    block gb;
    bool gok = block_decode(grlp, glen, &gb, err, sizeof err);
    if (gok) {
        g->header = gb.header;
        block_free(&gb);
    }
    free(grlp);
    if (!gok) {
        tree_free(&tree);
        return fixture_run_fail(fr, file, test, "genesisRLP does not decode: %s", err);
    }
    g->td = g->header.difficulty;
    g->merged = td_reached(&cfg, &g->td) || (!cfg.has_ttd && cfg.paris_block == 0);
    bytes32 groot = mem_state_root(g->state);
    if (!bytes32_eq(&groot, &g->header.state_root)) {
        tree_free(&tree);
        return fixture_run_fail(fr, file, test, "genesis state root does not match the pre-state");
    }
    json_t *blocks = json_object_get(t, "blocks");
    bool ok = json_is_array(blocks);
    if (!ok) fixture_run_fail(fr, file, test, "malformed fixture: field \"blocks\" is missing or not an array");
    for (size_t i = 0; ok && i < json_array_size(blocks); i++)
        ok = run_block(r, file, test, &cfg, &tree, json_array_get(blocks, i), i);
    if (ok) {
        bytes32 last;
        chain_node *head = &tree.v[tree.head];
        if (!json_hex_bytes32(t, "lastblockhash", &last, err, sizeof err)) {
            fixture_run_fail(fr, file, test, "malformed fixture: %s", err);
        } else if (!bytes32_eq(&last, &head->header.hash)) {
            char a[67], b2[67];
            hex_encode(last.b, 32, a);
            hex_encode(head->header.hash.b, 32, b2);
            fixture_run_fail(fr, file, test, "head %s expected, got %s", a, b2);
        } else if (check_post(t, head->state, err, sizeof err)) {
            fixture_run_fail(fr, file, test, "%s", err);
        } else {
            fr->passed++;
        }
    }
    tree_free(&tree);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm blocktest [--run REGEX] [--threads N] [--repeat K] [--requests FILE] PATH...\n"
                    "  PATH: a BlockchainTests JSON file or a folder (searched recursively)\n"
                    "  --threads N      execute with Block-STM on N threads, the sequential fallback off\n"
                    "  --repeat K       execute every block K times; each must give the header's results\n"
                    "  --requests FILE  write each accepted block's EIP-7685 requests (Prague on) to FILE,\n"
                    "                   one JSON line each: {\"hash\", \"requests\"} as engine_newPayloadV4 takes them\n");
    return 2;
}

/* Reads the options into r and *threads; returns 0, or the exit status to
 * stop with. */
static int parse_options(bt_run *r, int *threads, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int used = fixture_run_option(&r->base, argc, argv, &i);
        if (used < 0) return 2;
        if (used) continue;
        long v;
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            if (!cli_parse_long(argv[++i], 1, 1024, &v)) return usage();
            *threads = (int)v;
        } else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
            if (!cli_parse_long(argv[++i], 1, 1000000, &v)) return usage();
            r->repeat = (int)v;
        } else if (!strcmp(argv[i], "--requests") && i + 1 < argc && !r->requests) {
            const char *path = argv[++i];
            if (!(r->requests = fopen(path, "w"))) {
                fprintf(stderr, "parevm blocktest: cannot write %s: %s\n", path, strerror(errno));
                return 1;
            }
        } else {
            return usage();
        }
    }
    return 0;
}

int cmd_blocktest(int argc, char **argv) {
    bt_run r = {.base = {.cmd = "blocktest", .paths_ok = true, .run_test = run_test}, .repeat = 1};
    int threads = 0;
    int status = parse_options(&r, &threads, argc, argv);
    if (status) {
        if (r.requests) fclose(r.requests);
        fixture_run_free(&r.base);
        return status;
    }
    r.ex = executor_new();
    if (threads) {
        r.par = par_engine_new(threads);
        if (!r.par) {
            fprintf(stderr, "parevm blocktest: cannot start %d threads\n", threads);
            executor_free(r.ex);
            if (r.requests) fclose(r.requests);
            fixture_run_free(&r.base);
            return 1;
        }
        par_options o = {.hints = true, .sequential_fallback = false};
        par_engine_set_options(r.par, &o);
    }
    status = fixture_run_all(&r.base);
    if (r.par)
        printf("Block-STM ran %llu blocks (%llu executions, %llu aborts); %llu blocks without transactions ran "
               "sequentially\n", (unsigned long long)r.stm_blocks, (unsigned long long)r.executions,
               (unsigned long long)r.aborts, (unsigned long long)r.seq_blocks);
    if (r.par) par_engine_free(r.par);
    executor_free(r.ex);
    if (r.requests && (ferror(r.requests) | fclose(r.requests))) {
        fprintf(stderr, "parevm blocktest: writing the requests failed\n");
        if (status == 0) status = 1;
    }
    return status < 0 ? usage() : status;
}
