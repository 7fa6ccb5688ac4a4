/* Shared by the store's tests (test_db.c, test_db_chain.c): temporary
 * datadirs, random change sets over a small world of accounts and slots,
 * a mirror (mem_state) to compare the store with, and commits of blocks
 * with fake headers, on the calling thread or on one of their own. */
#ifndef PAREVM_TESTS_DB_HELPERS_H
#define PAREVM_TESTS_DB_HELPERS_H

#include <pthread.h>
#include "parevm/db.h"
#include "parevm/keccak.h"
#include "parevm/state_root.h"
#include "test.h"

#define DBH_UNUSED __attribute__((unused))

static DBH_UNUSED uint64_t rng = 0x853c49e6748fea9bULL;
static DBH_UNUSED uint64_t rnd(void) { return test_xorshift(&rng); }

/* ---- Temporary datadirs ---- */

typedef struct {
    char path[64];
} tmpdir;

static DBH_UNUSED void tmp_make(tmpdir *t) {
    strcpy(t->path, "/tmp/parevm_db_XXXXXX");
    if (!mkdtemp(t->path)) abort();
}

static DBH_UNUSED void tmp_remove(tmpdir *t) { test_remove_tree(t->path); }

static DBH_UNUSED db *open_db(const tmpdir *t, unsigned threads) {
    db *d = NULL;
    db_options o = {.threads = threads, .no_sync = true};
    const char *err = db_open(t->path, &o, &d);
    if (err) fprintf(stderr, "  db_open: %s\n", err);
    CHECK(err == NULL);
    return d;
}

/* ---- Random change sets over a small world ---- */

enum { N_ADDRS = 40, N_SLOTS = 24 };

typedef struct {
    address addrs[N_ADDRS];
    u256 slots[N_SLOTS];
    const evm_code *codes[3];
} world;

static DBH_UNUSED void world_init(world *w, mem_state *ref) {
    for (int i = 0; i < N_ADDRS; i++) {
        bytes32 h = keccak256_hash(&i, sizeof i);
        memcpy(w->addrs[i].b, h.b, 20);
    }
    for (int i = 0; i < N_SLOTS; i++) w->slots[i] = i < 8 ? u256_from_u64((uint64_t)i) : (u256){{rnd(), rnd(), 0, rnd()}};
    static const uint8_t c0[] = {0x60, 0x00, 0x54}, c1[] = {0x60, 0x01, 0x60, 0x00, 0x55};
    uint8_t c2[300];
    for (size_t i = 0; i < sizeof c2; i++) c2[i] = (uint8_t)i;
    w->codes[0] = code_store_intern(mem_state_codes(ref), c0, sizeof c0);
    w->codes[1] = code_store_intern(mem_state_codes(ref), c1, sizeof c1);
    w->codes[2] = code_store_intern(mem_state_codes(ref), c2, sizeof c2);
}

static DBH_UNUSED u256 rnd_value(void) {
    switch (rnd() % 4) {
    case 0: return U256_ZERO;
    case 1: return u256_from_u64(1 + rnd() % 200);
    case 2: return u256_from_u64(rnd());
    default: return (u256){{rnd(), rnd(), rnd(), rnd()}};
    }
}

static DBH_UNUSED void add_slots(change_set *cs, account_change *ac, const world *w, int max) {
    int n = (int)(rnd() % (unsigned)(max + 1));
    for (int k = 0; k < n; k++) {
        u256 v = rnd_value();
        change_set_add_slot(cs, ac, &w->slots[rnd() % N_SLOTS], &v);
    }
}

/* A block's change set: entries applied in order, sometimes several for
 * one address. */
static DBH_UNUSED void gen_changes(const world *w, change_set *cs, int entries) {
    change_set_clear(cs);
    for (int e = 0; e < entries; e++) {
        const address *a = &w->addrs[rnd() % N_ADDRS];
        account_change *ac = change_set_add_account(cs, a);
        unsigned r = (unsigned)(rnd() % 100);
        if (r < 8) {
            ac->flags = CHANGE_DELETED;
        } else if (r < 18) { /* (re)creation: storage reset, new code, new slots */
            ac->flags = CHANGE_CREATED | CHANGE_NONCE | CHANGE_BALANCE | CHANGE_CODE;
            ac->nonce = 1;
            ac->balance = u256_from_u64(rnd() % 1000);
            ac->code = rnd() % 3 ? w->codes[rnd() % 3] : &EVM_EMPTY_CODE;
            add_slots(cs, ac, w, 4);
        } else if (r < 24) { /* touched: exists afterwards, maybe empty */
            ac->flags = CHANGE_TOUCHED;
        } else if (r < 30) { /* emptied */
            ac->flags = CHANGE_BALANCE | CHANGE_NONCE;
        } else {
            if (rnd() % 2) ac->flags |= CHANGE_BALANCE, ac->balance = rnd_value();
            if (rnd() % 3 == 0) ac->flags |= CHANGE_BALANCE_DELTA, ac->balance = u256_from_u64(rnd() % 50);
            if (rnd() % 3 == 0) ac->flags |= CHANGE_NONCE, ac->nonce = rnd() % 100;
            if (rnd() % 10 == 0) ac->flags |= CHANGE_CODE, ac->code = w->codes[rnd() % 3];
            add_slots(cs, ac, w, 6);
        }
    }
}

/* ---- Comparing the store with the mirror ---- */

static DBH_UNUSED void check_state(db *d, db_snapshot *s, mem_state *ref, const world *w) {
    state_view v = db_snapshot_view(s), rv = mem_state_view(ref);
    int bad = 0;
    for (int i = 0; i < N_ADDRS; i++) {
        const address *a = &w->addrs[i];
        account_info x, y;
        bool ex = v.ops->get_account(v.ctx, a, FIELD_ALL, &x), ey = rv.ops->get_account(rv.ctx, a, FIELD_ALL, &y);
        if (ex != ey || !u256_eq(&x.balance, &y.balance) || x.nonce != y.nonce || !bytes32_eq(&x.code_hash, &y.code_hash)) {
            bad++;
            if (getenv("DB_DEBUG")) fprintf(stderr, "  addr %d: exists %d/%d bal %llx/%llx nonce %llu/%llu\n", i, ex, ey, (unsigned long long)x.balance.w[0], (unsigned long long)y.balance.w[0], (unsigned long long)x.nonce, (unsigned long long)y.nonce);
        }
        if (v.ops->has_storage(v.ctx, a) != rv.ops->has_storage(rv.ctx, a)) bad++;
        const evm_code *cx = v.ops->get_code(v.ctx, a), *cy = rv.ops->get_code(rv.ctx, a);
        if (cx->len != cy->len || memcmp(cx->bytes, cy->bytes, cx->len) || !bytes32_eq(&cx->hash, &cy->hash)) bad++;
        for (int k = 0; k < N_SLOTS; k++) {
            u256 sx = v.ops->get_storage(v.ctx, a, &w->slots[k]), sy = rv.ops->get_storage(rv.ctx, a, &w->slots[k]);
            if (!u256_eq(&sx, &sy)) {
                bad++;
                if (getenv("DB_DEBUG")) fprintf(stderr, "  addr %d slot %d: %llx vs %llx\n", i, k, (unsigned long long)sx.w[0], (unsigned long long)sy.w[0]);
            }
        }
    }
    CHECK(bad == 0);
    CHECK(db_snapshot_error(s) == NULL);
}

static DBH_UNUSED void check_latest(db *d, mem_state *ref, const world *w) {
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    check_state(d, s, ref, w);
    db_snapshot_close(s);
}

static DBH_UNUSED bytes32 fake_header(uint64_t number, uint8_t salt, uint8_t out[16]) {
    memset(out, 0, 16);
    out[0] = 0xcf;
    for (int i = 0; i < 8; i++) out[1 + i] = (uint8_t)(number >> (56 - 8 * i));
    out[9] = salt;
    return keccak256_hash(out, 16);
}

/* Commits a block with a fake header; returns the error. */
static DBH_UNUSED const char *commit(db *d, uint64_t number, const change_set *cs, bool root,
                                     const bytes32 *expect, bytes32 *got) {
    uint8_t header[16];
    fake_header(number, 0, header);
    bytes32 tx = keccak256_hash(header, 9);
    db_checkpoint cp = {"execution", number};
    db_block b = {.number = number, .header = {header, 16}, .body = {header, 3}, .receipts = {header, 5},
                  .tx_hashes = &tx, .n_txs = 1, .changes = cs, .root = root, .expected_root = expect,
                  .checkpoints = &cp, .n_checkpoints = 1};
    return db_commit_block(d, &b, got);
}

/* A genesis of 30 random entries (left in cs) in the store and the mirror,
 * then block 0 committed. */
static DBH_UNUSED void load_genesis(db *d, mem_state *ref, const world *w, change_set *cs) {
    gen_changes(w, cs, 30);
    CHECK(db_load_state(d, cs, NULL) == NULL);
    mem_state_apply(ref, cs);
    CHECK(commit(d, 0, NULL, true, NULL, NULL) == NULL);
}

/* Commits a block whose root work a kept preview already did. */
static DBH_UNUSED const char *commit_with_preview(db *d, uint64_t number, const change_set *cs,
                                                  const db_preview *pv, const bytes32 *expect, bytes32 *got,
                                                  db_commit_stats *st) {
    uint8_t header[16];
    fake_header(number, 0, header);
    db_block b = {.number = number, .header = {header, 16}, .changes = cs, .root = true, .expected_root = expect,
                  .preview = pv, .stats = st};
    return db_commit_block(d, &b, got);
}

/* Drops storage wipes (deletions, re-creations) from cs: db_preroot does
 * not follow the wipe of an account with stored storage. */
static DBH_UNUSED void without_wipes(change_set *cs) {
    for (size_t i = 0; i < cs->n_accounts; i++) {
        account_change *ac = &cs->accounts[i];
        if (ac->flags & CHANGE_DELETED) ac->flags = CHANGE_BALANCE | CHANGE_NONCE;
        ac->flags &= ~(uint32_t)CHANGE_CREATED;
    }
}

/* The parent's commit, on a thread of its own. */
typedef struct {
    db *d;
    uint64_t n;
    const change_set *cs;
    const db_preview *pv;
    bytes32 want, root;
    db_commit_stats st;
    const char *err;
} parent_commit;

static DBH_UNUSED void *parent_commit_main(void *arg) {
    parent_commit *c = arg;
    c->err = commit_with_preview(c->d, c->n, c->cs, c->pv, &c->want, &c->root, &c->st);
    return NULL;
}

static DBH_UNUSED void run_parent_commit(parent_commit *c) {
    parent_commit_main(c);
    if (c->err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)c->n, c->err);
    CHECK(c->err == NULL && bytes32_eq(&c->root, &c->want));
    if (c->pv) CHECK(c->st.prepare == 0 && c->st.root == 0); /* the kept work was written */
}

#endif
