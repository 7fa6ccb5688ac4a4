/* Tests for proofs and partial tries over the in-memory node store
 * (trie_proof.h), on random tries kept up to date by the root engine over
 * rounds of insertions, updates and deletions, with clusters of keys that
 * share 60 nibbles (embedded leaves and branches) or 10 (extensions):
 *   - proofs of present and absent keys checked independently
 *     (proof_check.h) against the reference root (trie.c);
 *   - the overlay store: a base store plus a round's leaves and the engine's
 *     records, unwritten, gives the new trie's proofs and root;
 *   - trie_sparse_root from the old root equals the new root, opening only
 *     the nodes a sparse update needs; with only those nodes it still does,
 *     and without any one of them it fails;
 *   - corrupted nodes never crash the walk or the sparse update. */
#include "test.h"

#include "parevm/keccak.h"
#include "parevm/trie.h"
#include "parevm/trie_proof.h"
#include "parevm/witness.h"
#include "proof_check.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

/* ---- A model trie: key -> value ---- */

enum { MAX_KEYS = 600 };

typedef struct {
    bytes32 key[MAX_KEYS];
    uint8_t val[MAX_KEYS][40];
    size_t len[MAX_KEYS]; /* 0: absent */
    size_t n;
} model;

static bytes32 model_root(const model *m) {
    trie_kv kv[MAX_KEYS];
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->len[i]) kv[n++] = (trie_kv){m->key[i].b, 32, m->val[i], m->len[i]};
    return trie_root(kv, n);
}

static void rnd_value(uint8_t *v, size_t *len) {
    *len = rnd() % 3 == 0 ? 1 : 1 + rnd() % 40;
    for (size_t i = 0; i < *len; i++) v[i] = (uint8_t)rnd();
}

/* A new key: random, or sharing 60 nibbles (embedded nodes) or 10
 * (extensions) with an existing one. */
static bytes32 new_key(const model *m) {
    bytes32 k;
    for (int i = 0; i < 32; i++) k.b[i] = (uint8_t)rnd();
    if (m->n && rnd() % 3) {
        const bytes32 *base = &m->key[rnd() % m->n];
        size_t shared = rnd() % 2 ? 30 : 5;
        memcpy(k.b, base->b, shared);
    }
    return k;
}

/* ---- Stores ---- */

typedef struct {
    trie_mem_store *m;
    trie_store store;
    const bytes32 *owner;
    bytes32 root;
} tstore;

/* Applies changes to the model and, through the engine, to the store; the
 * engine's records go to *upd as well. */
static void apply_round(tstore *t, model *m, trie_change *ch, size_t n, trie_updates *upd) {
    trie_job job = {.has_owner = t->owner != NULL, .changes = ch, .n_changes = n};
    if (t->owner) job.owner = *t->owner;
    const char *err = trie_update_roots(&t->store, NULL, &job, 1, upd);
    CHECK(err == NULL);
    bytes32 want = model_root(m);
    CHECK(bytes32_eq(&job.root, &want));
    t->root = job.root;
}

static void commit_round(tstore *t, trie_change *ch, size_t n, const trie_updates *upd) {
    for (size_t i = 0; i < n; i++) trie_mem_store_set_leaf(t->m, t->owner, &ch[i].key, ch[i].val, ch[i].val_len);
    trie_mem_store_apply(t->m, upd);
    t->store = trie_mem_store_store(t->m);
}

/* Random changes: inserts of new keys, updates and deletions of old ones. */
static size_t gen_changes(model *m, trie_change *ch, size_t want) {
    size_t n = 0;
    for (size_t i = 0; i < want && m->n < MAX_KEYS; i++) {
        size_t idx;
        if (m->n == 0 || rnd() % 2) {
            idx = m->n++;
            m->key[idx] = new_key(m);
        } else {
            idx = rnd() % m->n;
        }
        bool dup = false;
        for (size_t j = 0; j < n; j++) dup |= bytes32_eq(&ch[j].key, &m->key[idx]);
        if (dup) continue;
        if (m->len[idx] && rnd() % 3 == 0) m->len[idx] = 0; /* delete */
        else rnd_value(m->val[idx], &m->len[idx]);
        ch[n] = (trie_change){m->key[idx], m->val[idx], m->len[idx], false};
        n++;
    }
    trie_changes_sort(ch, n);
    return n;
}

/* Proves every key of the model (and absent neighbours) from store s
 * against root; checks values. */
static void check_proofs(const trie_store *s, const bytes32 *owner, const model *m, const bytes32 *root) {
    trie_prover *p;
    CHECK(trie_prover_open(s, &p) == NULL);
    bytes32 r;
    CHECK(trie_prover_root(p, owner, &r) == NULL && bytes32_eq(&r, root));
    int bad = 0;
    for (size_t i = 0; i < m->n + 20; i++) {
        bytes32 key;
        if (i < m->n) {
            key = m->key[i];
        } else { /* absent: random, or a near miss of a present key */
            for (int b = 0; b < 32; b++) key.b[b] = (uint8_t)rnd();
            if (m->n && i % 2) key = m->key[rnd() % m->n], key.b[31 - rnd() % 3] ^= (uint8_t)(1 + rnd() % 255);
        }
        size_t idx = m->n;
        for (size_t j = 0; j < m->n; j++)
            if (bytes32_eq(&m->key[j], &key)) idx = j;
        bool present = idx < m->n && m->len[idx];
        byte_list proof = {0};
        buf_t val = {0}, checked = {0};
        bool found;
        const char *err = trie_prover_prove(p, owner, &key, &proof, &found, &val);
        int v = proof_check(root, key.b, &proof, &checked);
        if (err || found != present || v != (present ? 1 : 0)) bad++;
        if (present && (val.len != m->len[idx] || memcmp(val.data, m->val[idx], val.len) ||
                        checked.len != val.len || memcmp(checked.data, val.data, val.len)))
            bad++;
        byte_list_free(&proof);
        buf_free(&val);
        buf_free(&checked);
    }
    CHECK(bad == 0);
    trie_prover_close(p);
}

/* A getter over a prover that checks hashes and records what it hands out. */
typedef struct {
    trie_prover *p;
    const bytes32 *owner;
    trie_nodes *seen;
    size_t calls;
} store_getter;

static const char *store_get(void *ctx, const uint8_t *path, size_t len, const bytes32 *hash, byte_span *out) {
    store_getter *g = ctx;
    g->calls++;
    const char *err = trie_prover_node(g->p, g->owner, path, len, out);
    if (err) return err;
    bytes32 h = keccak256_hash(out->data, out->len);
    if (!bytes32_eq(&h, hash)) return "hash mismatch";
    if (g->seen) trie_nodes_add(g->seen, out->data, out->len);
    return NULL;
}

/* A getter over a node set, optionally missing one node. */
typedef struct {
    const trie_nodes *set;
    bytes32 skip;
    bool skipping;
} set_getter;

static const char *set_get(void *ctx, const uint8_t *path, size_t len, const bytes32 *hash, byte_span *out) {
    set_getter *g = ctx;
    if (g->skipping && bytes32_eq(hash, &g->skip)) return "skipped";
    return trie_nodes_get(g->set, hash, out) ? NULL : "missing";
}

static void check_sparse(const trie_store *old, const bytes32 *owner, const bytes32 *old_root,
                         const trie_change *ch, size_t n, const bytes32 *new_root) {
    trie_prover *p;
    CHECK(trie_prover_open(old, &p) == NULL);
    trie_nodes *seen = trie_nodes_new();
    store_getter g = {p, owner, seen, 0};
    bytes32 r;
    const char *err = trie_sparse_root(old_root, ch, n, store_get, &g, &r);
    CHECK(err == NULL && bytes32_eq(&r, new_root));
    /* the recorded nodes alone suffice; every one of them is needed */
    set_getter sg = {seen, {{0}}, false};
    CHECK(trie_sparse_root(old_root, ch, n, set_get, &sg, &r) == NULL && bytes32_eq(&r, new_root));
    size_t count = trie_nodes_count(seen);
    for (size_t i = 0; i < count && i < 6; i++) {
        byte_span node = trie_nodes_at(seen, rnd() % count);
        sg.skip = keccak256_hash(node.data, node.len);
        sg.skipping = true;
        CHECK(trie_sparse_root(old_root, ch, n, set_get, &sg, &r) != NULL);
    }
    trie_nodes_free(seen);
    trie_prover_close(p);
}

static void check_overlay(const trie_store *old, const bytes32 *owner, const trie_change *ch, size_t n,
                          const trie_updates *upd, const model *m, const bytes32 *new_root) {
    trie_overlay *o = trie_overlay_new(old);
    for (size_t i = 0; i < n; i++) trie_overlay_set_leaf(o, owner, &ch[i].key, ch[i].val, ch[i].val_len);
    trie_overlay_apply(o, upd);
    trie_store s = trie_overlay_store(o);
    check_proofs(&s, owner, m, new_root);
    trie_overlay_free(o);
}

/* Rounds over one trie (owned or not) of a store that holds another trie
 * too, so that owners must be kept apart. */
static void run_rounds(const bytes32 *owner, int rounds) {
    static model m, other;
    memset(&m, 0, sizeof m);
    memset(&other, 0, sizeof other);
    static bytes32 other_owner = {{7, 7, 7}};
    tstore t = {trie_mem_store_new(), {0}, owner, EMPTY_TRIE_ROOT};
    tstore u = {t.m, {0}, owner ? NULL : &other_owner, EMPTY_TRIE_ROOT};
    t.store = trie_mem_store_store(t.m);
    trie_change ch[MAX_KEYS];
    for (int round = 0; round < rounds; round++) {
        size_t want = round == 0 ? 40 : 1 + rnd() % (round % 4 == 0 ? 60 : 8);
        /* the other trie changes too */
        size_t on = gen_changes(&other, ch, 10);
        trie_updates uo = {0};
        u.store = t.store;
        apply_round(&u, &other, ch, on, &uo);
        commit_round(&u, ch, on, &uo);
        t.store = u.store;
        trie_updates_free(&uo);

        bytes32 old_root = t.root;
        size_t n = gen_changes(&m, ch, want);
        trie_updates upd = {0};
        apply_round(&t, &m, ch, n, &upd);
        check_overlay(&t.store, owner, ch, n, &upd, &m, &t.root);
        check_sparse(&t.store, owner, &old_root, ch, n, &t.root);
        commit_round(&t, ch, n, &upd);
        trie_updates_free(&upd);
        if (round % 5 == 4 || round == rounds - 1) check_proofs(&t.store, owner, &m, &t.root);
    }
    trie_mem_store_free(t.m);
}

TEST(proofs_of_the_account_trie) { run_rounds(NULL, 30); }

TEST(proofs_of_a_storage_trie) {
    bytes32 owner = keccak256_hash("owner", 5);
    run_rounds(&owner, 30);
}

TEST(proofs_of_tiny_tries) {
    /* empty, one leaf (root shorter than 32 bytes), two embedded leaves */
    trie_mem_store *ms = trie_mem_store_new();
    trie_store s = trie_mem_store_store(ms);
    model m = {0};
    check_proofs(&s, NULL, &m, &EMPTY_TRIE_ROOT);
    bytes32 k = {{0}};
    k.b[0] = 0x12;
    uint8_t v = 0x05;
    trie_change ch[2] = {{k, &v, 1, false}};
    m.key[0] = k, m.val[0][0] = v, m.len[0] = 1, m.n = 1;
    tstore t = {ms, s, NULL, EMPTY_TRIE_ROOT};
    trie_updates upd = {0};
    apply_round(&t, &m, ch, 1, &upd);
    commit_round(&t, ch, 1, &upd);
    check_proofs(&t.store, NULL, &m, &t.root);
    k.b[31] = 1;
    ch[0] = (trie_change){k, &v, 1, false};
    m.key[1] = k, m.val[1][0] = v, m.len[1] = 1, m.n = 2;
    trie_updates_clear(&upd);
    apply_round(&t, &m, ch, 1, &upd);
    commit_round(&t, ch, 1, &upd);
    check_proofs(&t.store, NULL, &m, &t.root);
    /* the branch at nibble 63 is embedded in an extension from the root */
    trie_prover *p;
    CHECK(trie_prover_open(&t.store, &p) == NULL);
    byte_list proof = {0};
    buf_t val = {0};
    bool found;
    CHECK(trie_prover_prove(p, NULL, &k, &proof, &found, &val) == NULL && found);
    CHECK_EQ_U64(proof.n, 1);
    trie_prover_close(p);
    byte_list_free(&proof);
    buf_free(&val);
    trie_updates_free(&upd);
    trie_mem_store_free(ms);
}

TEST(corrupt_nodes_give_errors) {
    /* a trie's nodes, mutated at random: walks and sparse updates over them
     * end in an error or a result, never a crash */
    static model m;
    memset(&m, 0, sizeof m);
    tstore t = {trie_mem_store_new(), {0}, NULL, EMPTY_TRIE_ROOT};
    t.store = trie_mem_store_store(t.m);
    trie_change ch[MAX_KEYS];
    size_t n = gen_changes(&m, ch, 80);
    trie_updates upd = {0};
    apply_round(&t, &m, ch, n, &upd);
    commit_round(&t, ch, n, &upd);
    trie_prover *p;
    CHECK(trie_prover_open(&t.store, &p) == NULL);
    trie_nodes *all = trie_nodes_new();
    store_getter g = {p, NULL, all, 0};
    for (size_t i = 0; i < m.n; i++) {
        bool found;
        byte_span v;
        CHECK(trie_walk(&t.root, &m.key[i], store_get, &g, &found, &v) == NULL);
    }
    for (int round = 0; round < 300; round++) {
        trie_nodes *bad = trie_nodes_new();
        bytes32 root = t.root;
        for (size_t i = 0; i < trie_nodes_count(all); i++) {
            byte_span node = trie_nodes_at(all, i);
            uint8_t copy[600];
            size_t len = node.len < sizeof copy ? node.len : sizeof copy;
            memcpy(copy, node.data, len);
            if (rnd() % 4 == 0) copy[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
            if (rnd() % 16 == 0) len = rnd() % len;
            bytes32 h = trie_nodes_add(bad, copy, len);
            bytes32 orig = keccak256_hash(node.data, node.len);
            if (bytes32_eq(&orig, &t.root)) root = h;
        }
        set_getter sg = {bad, {{0}}, false};
        for (size_t i = 0; i < m.n; i += 7) {
            bool found;
            byte_span v;
            trie_walk(&root, &m.key[i], set_get, &sg, &found, &v);
        }
        bytes32 r;
        size_t k = gen_changes(&m, ch, 5);
        trie_sparse_root(&root, ch, k, set_get, &sg, &r);
        trie_nodes_free(bad);
    }
    trie_nodes_free(all);
    trie_prover_close(p);
    trie_updates_free(&upd);
    trie_mem_store_free(t.m);
}
