/* The store's walks (db.h: db_each_account_from, db_each_slot_from,
 * db_each_change) against a mem_state mirror of random blocks: the walks
 * from random positions give exactly the mirror's accounts and non-zero
 * slots at or after the position, in hashed-key order; each block's change
 * set names every account and slot whose value the block changed, and only
 * accounts of the block's change set; the error cases. */
#include "test.h"

#include "parevm/db.h"
#include "parevm/keccak.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

enum { N_ADDRS = 24, N_SLOTS = 16, BLOCKS = 12 };

typedef struct {
    address addrs[N_ADDRS];
    u256 slots[N_SLOTS];
} world;

static void world_init(world *w) {
    for (int i = 0; i < N_ADDRS; i++) {
        bytes32 h = keccak256_hash(&i, sizeof i);
        memcpy(w->addrs[i].b, h.b, 20);
    }
    for (int i = 0; i < N_SLOTS; i++) w->slots[i] = u256_from_u64((uint64_t)i * 7);
}

/* A block: balance and nonce edits, slot writes (zeros too), deletions and
 * re-creations (their storage wiped). */
static void gen_changes(const world *w, change_set *cs, int entries) {
    change_set_clear(cs);
    for (int e = 0; e < entries; e++) {
        account_change *ac = change_set_add_account(cs, &w->addrs[rnd() % N_ADDRS]);
        unsigned r = (unsigned)(rnd() % 100);
        if (r < 8) {
            ac->flags = CHANGE_DELETED;
            continue;
        }
        ac->flags = r < 16 ? CHANGE_CREATED | CHANGE_NONCE | CHANGE_BALANCE : CHANGE_BALANCE;
        ac->nonce = 1;
        ac->balance = u256_from_u64(1 + rnd() % 1000);
        int n = (int)(rnd() % 5);
        for (int k = 0; k < n; k++) {
            u256 v = u256_from_u64(rnd() % 3 ? rnd() % 500 : 0);
            change_set_add_slot(cs, ac, &w->slots[rnd() % N_SLOTS], &v);
        }
    }
}

static bytes32 slot_hash(const u256 *slot) {
    uint8_t be[32];
    u256_to_be(slot, be);
    return keccak256_hash(be, 32);
}

/* ---- Walks from a position ---- */

typedef struct {
    bytes32 keys[N_ADDRS * N_SLOTS];
    size_t n;
    size_t stop_at; /* the callback says stop after this many (0: never) */
} seen;

static bool on_account(void *arg, const address *a, const account_info *info) {
    (void)info;
    seen *s = arg;
    s->keys[s->n++] = keccak256_hash(a->b, 20);
    return s->n != s->stop_at && s->n < N_ADDRS * N_SLOTS;
}

static bool on_slot(void *arg, const u256 *slot, const u256 *value) {
    seen *s = arg;
    s->keys[s->n++] = u256_is_zero(value) ? (bytes32){{0}} : slot_hash(slot);
    return s->n != s->stop_at && s->n < N_ADDRS * N_SLOTS;
}

static int cmp32(const void *a, const void *b) { return memcmp(a, b, 32); }

/* The mirror's keys (accounts, or addr's non-zero slots) at or after start, sorted. */
static size_t want_keys(mem_state *m, const world *w, const address *addr, const bytes32 *start, bytes32 *out) {
    size_t n = 0;
    state_view v = mem_state_view(m);
    for (int i = 0; i < (addr ? N_SLOTS : N_ADDRS); i++) {
        bytes32 h;
        if (addr) {
            u256 val = v.ops->get_storage(v.ctx, addr, &w->slots[i]);
            if (u256_is_zero(&val)) continue;
            h = slot_hash(&w->slots[i]);
        } else {
            account_info info;
            if (!v.ops->get_account(v.ctx, &w->addrs[i], FIELD_ALL, &info)) continue;
            h = keccak256_hash(w->addrs[i].b, 20);
        }
        if (!start || memcmp(h.b, start->b, 32) >= 0) out[n++] = h;
    }
    qsort(out, n, 32, cmp32);
    return n;
}

static void check_walks(db *d, mem_state *m, const world *w) {
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    static bytes32 want[N_ADDRS * N_SLOTS];
    for (int round = 0; round < 8; round++) {
        bytes32 start;
        for (int i = 0; i < 32; i++) start.b[i] = (uint8_t)rnd();
        const bytes32 *from = round == 0 ? NULL : &start;
        static seen got;
        got.n = 0, got.stop_at = 0;
        CHECK(db_each_account_from(s, from, on_account, &got) == NULL);
        size_t n = want_keys(m, w, NULL, from, want);
        CHECK(got.n == n && !memcmp(got.keys, want, n * 32));
        const address *a = &w->addrs[rnd() % N_ADDRS];
        got.n = 0;
        CHECK(db_each_slot_from(s, a, from, on_slot, &got) == NULL);
        n = want_keys(m, w, a, from, want);
        CHECK(got.n == n && !memcmp(got.keys, want, n * 32));
        /* the callback stops the walk */
        got.n = 0, got.stop_at = 1;
        CHECK(db_each_account_from(s, NULL, on_account, &got) == NULL && got.n == 1);
    }
    db_snapshot_close(s);
}

/* ---- Change sets ---- */

typedef struct {
    uint64_t number;
    address addrs[64];
    u256 slots[64];
    bool is_slot[64];
    size_t n;
    bool wrong_number;
} named;

static bool on_change(void *arg, uint64_t number, const address *a, const u256 *slot) {
    named *x = arg;
    x->wrong_number |= number != x->number;
    if (x->n < 64) {
        x->addrs[x->n] = *a;
        x->is_slot[x->n] = slot != NULL;
        if (slot) x->slots[x->n] = *slot;
        x->n++;
    }
    return true;
}

static bool names(const named *x, const address *a, const u256 *slot) {
    for (size_t i = 0; i < x->n; i++)
        if (address_eq(&x->addrs[i], a) && (!slot || (x->is_slot[i] && u256_eq(&x->slots[i], slot)))) return true;
    return false;
}

static bool in_changes(const change_set *cs, const address *a) {
    for (size_t i = 0; i < cs->n_accounts; i++)
        if (address_eq(&cs->accounts[i].addr, a)) return true;
    return false;
}

/* Block number's entries against the states before and after it. */
static void check_block_changes(db_snapshot *s, uint64_t number, const change_set *cs, mem_state *before,
                                mem_state *after, const world *w) {
    static named x;
    memset(&x, 0, sizeof x);
    x.number = number;
    CHECK(db_each_change(s, number, number, NULL, on_change, &x) == NULL);
    CHECK(!x.wrong_number && x.n < 64);
    for (size_t i = 0; i < x.n; i++) CHECK(in_changes(cs, &x.addrs[i]));
    state_view b = mem_state_view(before), a = mem_state_view(after);
    for (int i = 0; i < N_ADDRS; i++) {
        const address *ad = &w->addrs[i];
        account_info p, q;
        bool ep = b.ops->get_account(b.ctx, ad, FIELD_ALL, &p), eq = a.ops->get_account(a.ctx, ad, FIELD_ALL, &q);
        if (ep != eq || p.nonce != q.nonce || !u256_eq(&p.balance, &q.balance)) CHECK(names(&x, ad, NULL));
        for (int k = 0; k < N_SLOTS; k++) {
            u256 u = b.ops->get_storage(b.ctx, ad, &w->slots[k]), v = a.ops->get_storage(a.ctx, ad, &w->slots[k]);
            if (!u256_eq(&u, &v)) CHECK(names(&x, ad, &w->slots[k]));
        }
        /* one account only */
        static named y;
        memset(&y, 0, sizeof y);
        y.number = number;
        CHECK(db_each_change(s, number, number, ad, on_change, &y) == NULL);
        for (size_t j = 0; j < y.n; j++) CHECK(address_eq(&y.addrs[j], ad));
        for (size_t j = 0; j < x.n; j++)
            if (address_eq(&x.addrs[j], ad)) CHECK(names(&y, ad, x.is_slot[j] ? &x.slots[j] : NULL));
    }
}

TEST(db_walks_and_change_sets_match_the_mirror) {
    char dir[64];
    strcpy(dir, "/tmp/parevm_dbwalk_XXXXXX");
    if (!mkdtemp(dir)) abort();
    db *d = NULL;
    db_options o = {.threads = 1, .no_sync = true};
    CHECK(db_open(dir, &o, &d) == NULL);
    if (!d) return;
    world w;
    world_init(&w);
    mem_state *ref = mem_state_new(), *states[BLOCKS];
    change_set sets[BLOCKS];
    memset(sets, 0, sizeof sets);
    uint8_t header[16] = {0xcf};
    for (uint64_t n = 0; n < BLOCKS; n++) {
        gen_changes(&w, &sets[n], n == 0 ? 30 : 1 + (int)(rnd() % 8));
        mem_state_apply(ref, &sets[n]);
        states[n] = mem_state_clone(ref);
        header[1] = (uint8_t)n;
        db_block b = {.number = n, .header = {header, 16}, .body = {header, 3}, .receipts = {header, 5},
                      .changes = &sets[n], .root = true};
        CHECK(db_commit_block(d, &b, NULL) == NULL);
        if (n % 4 == 3) check_walks(d, ref, &w);
    }
    db_snapshot *s, *old;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    for (uint64_t n = 1; n < BLOCKS; n++) check_block_changes(s, n, &sets[n], states[n - 1], states[n], &w);
    /* errors: past the head; a historical snapshot is not walked */
    named x = {0};
    CHECK(db_each_change(s, 1, BLOCKS, NULL, on_change, &x) != NULL);
    CHECK(db_each_change(s, 5, 4, NULL, on_change, &x) == NULL && x.n == 0);
    CHECK(db_snapshot_at(d, 3, 1, &old) == NULL);
    seen got = {0};
    CHECK(db_each_account_from(old, NULL, on_account, &got) != NULL && got.n == 0);
    CHECK(db_each_slot_from(old, &w.addrs[0], NULL, on_slot, &got) != NULL && got.n == 0);
    db_snapshot_close(old);
    db_snapshot_close(s);
    for (uint64_t n = 0; n < BLOCKS; n++) {
        change_set_free(&sets[n]);
        mem_state_free(states[n]);
    }
    db_close(d);
    mem_state_free(ref);
    test_remove_tree(dir);
}
