/* Tests for the incremental state-root engine on the in-memory node store:
 * the streaming builder against trie_root, and random sequences of change
 * batches (insertions, updates, deletions, wipes, keys with long shared
 * prefixes so that extensions and inline nodes occur) where every root must
 * equal a full rebuild and the stored branch records must be exactly those
 * a full rebuild records; on one thread and on a pool (split tries). */
#include "test.h"

#include <stdatomic.h>

#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "parevm/pool.h"
#include "parevm/rlp.h"
#include "parevm/trie.h"
#include "parevm/trie_engine.h"
#include "parevm/trie_proof.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

/* ---- A model: per trie, key -> value (values are RLP of a word) ---- */

enum { MAX_TRIES = 6 };

typedef struct {
    word_map t[MAX_TRIES];
    bytes32 owner[MAX_TRIES]; /* trie 0 is the account trie (no owner) */
} model;

static void val_bytes(const u256 *v, buf_t *out) {
    buf_clear(out);
    rlp_encode_u256(out, v);
}

/* Root of trie i of the model by a full rebuild (trie.c). */
static bytes32 model_root(const model *m, int i) {
    const word_map *w = &m->t[i];
    trie_kv *kv = malloc((w->n + 1) * sizeof *kv);
    uint8_t (*keys)[32] = malloc((w->n + 1) * 32);
    buf_t vals = {0};
    size_t *off = malloc((w->n + 1) * sizeof *off), n = 0;
    for (size_t s = 0; s < w->cap; s++) {
        if (!w->e[s].used) continue;
        u256_to_be(&w->e[s].key, keys[n]);
        off[n] = vals.len;
        rlp_encode_u256(&vals, &w->e[s].val);
        kv[n] = (trie_kv){keys[n], 32, NULL, vals.len - off[n]};
        n++;
    }
    for (size_t j = 0; j < n; j++) kv[j].val = vals.data + off[j];
    bytes32 r = trie_root(kv, n);
    free(kv);
    free(keys);
    free(off);
    buf_free(&vals);
    return r;
}

/* ---- Streaming builder ---- */

static int cmp32(const void *a, const void *b) { return memcmp(a, b, 32); }

TEST(stream_builder_matches_trie_root) {
    for (int round = 0; round < 40; round++) {
        size_t n = round < 10 ? (size_t)round : 1 + rnd() % 3000;
        uint8_t (*keys)[32] = malloc((n + 1) * 32);
        for (size_t i = 0; i < n; i++) {
            for (int b = 0; b < 32; b++) keys[i][b] = (uint8_t)rnd();
            if (i && rnd() % 3 == 0) { /* share a long prefix with an earlier key */
                size_t from = rnd() % i, keep = rnd() % 32;
                memcpy(keys[i], keys[from], keep);
            }
        }
        qsort(keys, n, 32, cmp32);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!m || memcmp(keys[m - 1], keys[i], 32)) memcpy(keys[m++], keys[i], 32);
        trie_kv *kv = malloc((m + 1) * sizeof *kv);
        uint8_t vals[3] = {0x01, 0x82, 0x05};
        trie_stream *s = trie_stream_new(NULL, NULL);
        for (size_t i = 0; i < m; i++) {
            size_t vl = 1 + i % 3;
            kv[i] = (trie_kv){keys[i], 32, vals, vl};
            CHECK(trie_stream_push(s, (const bytes32 *)keys[i], vals, vl) == NULL);
        }
        if (m) CHECK(trie_stream_push(s, (const bytes32 *)keys[0], vals, 1) != NULL);
        bytes32 a = trie_stream_root(s), b = trie_root(kv, m);
        CHECK(bytes32_eq(&a, &b));
        trie_stream_free(s);
        free(kv);
        free(keys);
    }
}

/* ---- Property test of the engine ---- */

typedef struct {
    trie_change *c;
    size_t n, cap;
    buf_t vals;
    size_t *off;
} change_list;

/* present: key is in the trie the job walks (trie_change's hint). */
static void cl_add(change_list *l, const uint8_t key[32], const u256 *v, bool present) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->c = realloc(l->c, l->cap * sizeof *l->c);
        l->off = realloc(l->off, l->cap * sizeof *l->off);
    }
    trie_change *c = &l->c[l->n];
    memcpy(c->key.b, key, 32);
    c->present = present;
    l->off[l->n] = l->vals.len;
    if (v) rlp_encode_u256(&l->vals, v);
    c->val_len = l->vals.len - l->off[l->n];
    l->n++;
}

static void cl_fix(change_list *l) {
    for (size_t i = 0; i < l->n; i++) l->c[i].val = l->c[i].val_len ? l->vals.data + l->off[i] : NULL;
}

static void cl_free(change_list *l) {
    free(l->c);
    free(l->off);
    buf_free(&l->vals);
    memset(l, 0, sizeof *l);
}

/* A random key: fresh, an existing one, or an existing one's long prefix
 * with a new tail. */
static void pick_key(const word_map *w, uint8_t key[32]) {
    for (int b = 0; b < 32; b++) key[b] = (uint8_t)rnd();
    if (!w->n || rnd() % 3 == 0) return;
    size_t s = rnd() % w->cap;
    while (!w->e[s].used) s = (s + 1) % w->cap;
    uint8_t old[32];
    u256_to_be(&w->e[s].key, old);
    size_t keep = rnd() % 2 ? 32 : 24 + rnd() % 8;
    memcpy(key, old, keep);
}

/* Checks that m's records are exactly those a full rebuild records. */
static void check_records(trie_mem_store *ms, const model *m, int tries) {
    trie_updates full = {0};
    for (int i = 0; i < tries; i++) {
        const word_map *w = &m->t[i];
        uint8_t (*keys)[32] = malloc((w->n + 1) * 32);
        size_t n = 0;
        for (size_t s = 0; s < w->cap; s++)
            if (w->e[s].used) u256_to_be(&w->e[s].key, keys[n++]);
        qsort(keys, n, 32, cmp32);
        trie_stream *st = trie_stream_new(&full, i ? &m->owner[i] : NULL);
        buf_t v = {0};
        for (size_t k = 0; k < n; k++) {
            u256 key = u256_from_be(keys[k], 32);
            val_bytes(word_map_get(w, &key), &v);
            trie_stream_push(st, (const bytes32 *)keys[k], v.data, v.len);
        }
        trie_stream_root(st);
        trie_stream_free(st);
        buf_free(&v);
        free(keys);
    }
    trie_store store = trie_mem_store_store(ms);
    CHECK_EQ_U64(full.count, trie_mem_store_records(ms));
    void *rd = store.open(store.ctx, NULL);
    size_t pos = 0;
    trie_update u;
    int bad = 0;
    while (trie_updates_next(&full, &pos, &u)) {
        uint8_t found[TRIE_NIBBLES];
        size_t flen;
        byte_span rec;
        const char *err;
        int r = store.ops->branch_seek(rd, u.has_owner ? &u.owner : NULL, u.path, u.path_len, found,
                                       &flen, &rec, &err);
        if (r != 1 || flen != u.path_len || memcmp(found, u.path, flen) || rec.len != u.rec_len ||
            memcmp(rec.data, u.rec, rec.len))
            bad++;
    }
    CHECK(bad == 0);
    store.ops->close(rd);
    trie_updates_free(&full);
}

/* One random batch over tries [0, tries): returns false on engine error. */
/* One random batch over tries [0, tries); jobs of split_min changes or
 * more are split across the pool. */
static void run_batch_on(trie_mem_store *ms, trie_overlay *ov, model *m, int tries, task_pool *pool, size_t size,
                         size_t split_min) {
    change_list cl[MAX_TRIES] = {0};
    bool wiped[MAX_TRIES] = {0};
    trie_job jobs[MAX_TRIES];
    size_t n_jobs = 0;
    for (int i = 0; i < tries; i++) {
        if (i && rnd() % 8 == 0) wiped[i] = true;
        size_t want = rnd() % 4 == 0 ? 0 : 1 + rnd() % size;
        word_map seen = {0};
        word_map *w = &m->t[i];
        for (size_t k = 0; k < want; k++) {
            uint8_t key[32];
            pick_key(w, key);
            u256 kk = u256_from_be(key, 32), one = u256_from_u64(1);
            if (word_map_get(&seen, &kk)) continue;
            word_map_put(&seen, &kk, &one);
            bool del = rnd() % 3 == 0;
            u256 v = rnd() % 2 ? u256_from_u64(rnd() % 300) : (u256){{rnd(), rnd(), rnd(), rnd()}};
            if (u256_is_zero(&v)) del = true;
            /* the hint where it holds, three times in four (the engine
             * must give the same root and records either way) */
            bool present = !wiped[i] && word_map_get(w, &kk) && rnd() % 4 != 0;
            cl_add(&cl[i], key, del ? NULL : &v, present);
        }
        word_map_free(&seen);
        cl_fix(&cl[i]);
        trie_changes_sort(cl[i].c, cl[i].n);
        if (cl[i].n || wiped[i] || rnd() % 4 == 0)
            jobs[n_jobs++] = (trie_job){.has_owner = i > 0, .owner = m->owner[i], .wiped = wiped[i],
                                        .changes = cl[i].c, .n_changes = cl[i].n};
    }
    trie_updates up = {0};
    trie_store store = ov ? trie_overlay_store(ov) : trie_mem_store_store(ms);
    const char *err = trie_update_roots_split(&store, pool, jobs, n_jobs, split_min, &up);
    CHECK(err == NULL);
    if (err) fprintf(stderr, "  engine: %s\n", err);
    /* apply to the store and the model */
    for (int i = 0; i < tries; i++) {
        if (wiped[i] && ov) {
            trie_overlay_wipe(ov, &m->owner[i]);
            word_map_clear(&m->t[i]);
        } else if (wiped[i]) {
            trie_mem_store_wipe(ms, &m->owner[i]);
            word_map_clear(&m->t[i]);
        }
        for (size_t k = 0; k < cl[i].n; k++) {
            const trie_change *c = &cl[i].c[k];
            if (ov)
                trie_overlay_set_leaf(ov, i ? &m->owner[i] : NULL, &c->key, c->val, c->val_len);
            else
                trie_mem_store_set_leaf(ms, i ? &m->owner[i] : NULL, &c->key, c->val, c->val_len);
            u256 key = u256_from_be(c->key.b, 32);
            if (c->val_len) {
                rlp_item it;
                u256 v;
                rlp_decode(c->val, c->val_len, &it);
                rlp_to_u256(&it, &v);
                word_map_put(&m->t[i], &key, &v);
            } else {
                word_map_del(&m->t[i], &key);
            }
        }
    }
    if (ov)
        trie_overlay_apply(ov, &up);
    else
        trie_mem_store_apply(ms, &up);
    trie_updates_free(&up);
    for (size_t j = 0; j < n_jobs; j++) {
        int i = 0;
        while (i < tries && (jobs[j].has_owner != (i > 0) || (i && !bytes32_eq(&jobs[j].owner, &m->owner[i])))) i++;
        bytes32 want = model_root(m, i);
        CHECK(bytes32_eq(&jobs[j].root, &want));
    }
    for (int i = 0; i < tries; i++) cl_free(&cl[i]);
}

static void run_batch(trie_mem_store *ms, model *m, int tries, task_pool *pool, size_t size, size_t split_min) {
    run_batch_on(ms, NULL, m, tries, pool, size, split_min);
}

static void property_run(unsigned threads, int rounds, size_t size, int tries, size_t split_min) {
    task_pool *pool = threads ? task_pool_new(threads) : NULL;
    trie_mem_store *ms = trie_mem_store_new();
    model m = {0};
    for (int i = 1; i < tries; i++) m.owner[i] = keccak256_hash(&i, sizeof i);
    for (int r = 0; r < rounds; r++) {
        run_batch(ms, &m, tries, pool, size, split_min);
        if (r % 5 == 4 || r == rounds - 1) check_records(ms, &m, tries);
    }
    /* emptying every trie gives the empty root and no records */
    for (int i = 0; i < tries; i++) {
        change_list cl = {0};
        for (size_t s = 0; s < m.t[i].cap; s++)
            if (m.t[i].e[s].used) {
                uint8_t key[32];
                u256_to_be(&m.t[i].e[s].key, key);
                cl_add(&cl, key, NULL, true);
            }
        cl_fix(&cl);
        trie_changes_sort(cl.c, cl.n);
        trie_job job = {.has_owner = i > 0, .owner = m.owner[i], .changes = cl.c, .n_changes = cl.n};
        trie_updates up = {0};
        trie_store store = trie_mem_store_store(ms);
        CHECK(trie_update_roots(&store, pool, &job, 1, &up) == NULL);
        CHECK(bytes32_eq(&job.root, &EMPTY_TRIE_ROOT));
        for (size_t k = 0; k < cl.n; k++)
            trie_mem_store_set_leaf(ms, i ? &m.owner[i] : NULL, &cl.c[k].key, NULL, 0);
        trie_mem_store_apply(ms, &up);
        trie_updates_free(&up);
        cl_free(&cl);
        word_map_clear(&m.t[i]);
    }
    trie_mem_store_store(ms);
    CHECK_EQ_U64(trie_mem_store_records(ms), 0);
    for (int i = 0; i < tries; i++) word_map_free(&m.t[i]);
    trie_mem_store_free(ms);
    task_pool_free(pool);
}

TEST(engine_small_batches_one_thread) { property_run(0, 60, 40, 4, TRIE_SPLIT_MIN); }

/* A round that puts every key back to its value in start (the base). */
static void revert_round(trie_overlay *ov, model *m, const model *start, int tries, task_pool *pool) {
    change_list cl[MAX_TRIES] = {0};
    trie_job jobs[MAX_TRIES];
    for (int i = 0; i < tries; i++) {
        for (int side = 0; side < 2; side++) {
            const word_map *w = side ? &start->t[i] : &m->t[i];
            for (size_t s = 0; s < w->cap; s++) {
                if (!w->e[s].used) continue;
                const u256 *now = word_map_get(&m->t[i], &w->e[s].key), *was = word_map_get(&start->t[i], &w->e[s].key);
                if ((now && was && u256_eq(now, was)) || (side == 1 && now)) continue;
                uint8_t key[32];
                u256_to_be(&w->e[s].key, key);
                cl_add(&cl[i], key, was, now != NULL);
            }
        }
        cl_fix(&cl[i]);
        trie_changes_sort(cl[i].c, cl[i].n);
        jobs[i] = (trie_job){.has_owner = i > 0, .owner = m->owner[i], .changes = cl[i].c, .n_changes = cl[i].n};
    }
    trie_updates up = {0};
    trie_store store = trie_overlay_store(ov);
    CHECK(trie_update_roots(&store, pool, jobs, (size_t)tries, &up) == NULL);
    for (int i = 0; i < tries; i++) {
        bytes32 want = model_root(start, i);
        CHECK(bytes32_eq(&jobs[i].root, &want));
        for (size_t k = 0; k < cl[i].n; k++)
            trie_overlay_set_leaf(ov, i ? &m->owner[i] : NULL, &cl[i].c[k].key, cl[i].c[k].val, cl[i].c[k].val_len);
        word_map_free(&m->t[i]);
        word_map_clone(&m->t[i], &start->t[i]);
        cl_free(&cl[i]);
    }
    trie_overlay_apply(ov, &up);
    trie_updates_free(&up);
}

/* Rounds of changes kept in an overlay over a store (db_preroot's way):
 * every round's roots equal the model's, the overlay's records are read
 * back as the next round's old structure. Wiped storage tries hide the
 * base's leaves and records and the overlay's earlier ones; a revert
 * round then writes every key of the base back. */
static void overlay_run(unsigned threads, int rounds, size_t size, int tries, size_t split_min) {
    task_pool *pool = threads ? task_pool_new(threads) : NULL;
    trie_mem_store *ms = trie_mem_store_new();
    model m = {0};
    for (int i = 1; i < tries; i++) m.owner[i] = keccak256_hash(&i, sizeof i);
    for (int r = 0; r < 3; r++) run_batch(ms, &m, tries, pool, size, TRIE_SPLIT_MIN);
    trie_store base = trie_mem_store_store(ms);
    model start = {0};
    for (int i = 0; i < tries; i++) word_map_clone(&start.t[i], &m.t[i]);
    trie_overlay *ov = trie_overlay_new(&base);
    for (int r = 0; r < rounds; r++) {
        run_batch_on(ms, ov, &m, tries, pool, size, split_min);
        if (r % 3 == 1) revert_round(ov, &m, &start, tries, pool);
    }
    /* a copy of the overlay's writes (sorted: one entry per key) on
     * another overlay of the base shows the same tries: more rounds on it
     * give the model's roots */
    trie_overlay_store(ov);
    trie_overlay *copy = trie_overlay_new(&base);
    trie_overlay_apply_overlay(copy, ov);
    for (int r = 0; r < 3; r++) run_batch_on(ms, copy, &m, tries, pool, size, split_min);
    trie_overlay_free(copy);
    trie_overlay_free(ov);
    for (int i = 0; i < tries; i++) word_map_free(&start.t[i]);
    for (int i = 0; i < tries; i++) word_map_free(&m.t[i]);
    trie_mem_store_free(ms);
    task_pool_free(pool);
}

TEST(engine_rounds_on_an_overlay) {
    overlay_run(0, 40, 40, 3, TRIE_SPLIT_MIN);
    overlay_run(2, 10, 1500, 2, TRIE_SPLIT_MIN);
}
TEST(engine_medium_batches_pool) { property_run(3, 25, 1500, 3, TRIE_SPLIT_MIN); }
TEST(engine_large_split_batches_pool) { property_run(2, 4, 40000, 2, TRIE_SPLIT_MIN); }

/* Jobs split from 1 or 2 changes (trie_update_roots_split, as db_preroot's
 * rounds split from 64): tasks of a single change, prefixes where the
 * only change is a deletion that empties or collapses its subtrie, and
 * the memo's top walk over them, on a store and on a rounds' overlay. */
TEST(engine_tiny_jobs_split) {
    property_run(2, 40, 40, 4, 1);
    property_run(3, 20, 300, 3, 2);
    overlay_run(2, 20, 60, 3, 1);
}

/* A job with no changes and no change array (NULL) gives the trie's
 * current root, on the calling thread and on a pool. fuzz_trie_engine
 * found the task's slice of a NULL array computed as NULL + 0, which
 * clang's UBSan reports (gcc's, of make sanitize, does not). */
TEST(engine_job_without_change_array) {
    task_pool *pool = task_pool_new(2);
    trie_mem_store *ms = trie_mem_store_new();
    trie_change c[3] = {0};
    uint8_t v[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        c[i].key = keccak256_hash(&i, sizeof i);
        c[i].val = &v[i], c[i].val_len = 1;
    }
    trie_changes_sort(c, 3);
    trie_job job = {.changes = c, .n_changes = 3};
    trie_updates up = {0};
    trie_store store = trie_mem_store_store(ms);
    CHECK(trie_update_roots(&store, NULL, &job, 1, &up) == NULL);
    bytes32 root = job.root;
    for (int i = 0; i < 3; i++) trie_mem_store_set_leaf(ms, NULL, &c[i].key, c[i].val, 1);
    trie_mem_store_apply(ms, &up);
    for (int on_pool = 0; on_pool < 2; on_pool++) {
        bytes32 owner = keccak256_hash("o", 1);
        trie_job jobs[2] = {{.changes = NULL, .n_changes = 0},
                            {.has_owner = true, .owner = owner, .changes = NULL, .n_changes = 0}};
        trie_updates none = {0};
        store = trie_mem_store_store(ms);
        CHECK(trie_update_roots(&store, on_pool ? pool : NULL, jobs, 2, &none) == NULL);
        CHECK(bytes32_eq(&jobs[0].root, &root));
        CHECK(bytes32_eq(&jobs[1].root, &EMPTY_TRIE_ROOT));
        CHECK_EQ_U64(none.count, 0);
        trie_updates_free(&none);
    }
    trie_updates_free(&up);
    trie_mem_store_free(ms);
    task_pool_free(pool);
}

/* ---- trie_change's present hint ---- */

/* A store that counts the leaf reads of its readers (on any threads). */
typedef struct {
    trie_store inner;
    atomic_size_t leaf_reads;
} counting_store;

typedef struct {
    counting_store *cs;
    void *rd;
} counting_reader;

static int cnt_branch_seek(void *p, const bytes32 *owner, const uint8_t *path, size_t len, uint8_t found[TRIE_NIBBLES],
                           size_t *found_len, byte_span *rec, const char **err) {
    counting_reader *r = p;
    return r->cs->inner.ops->branch_seek(r->rd, owner, path, len, found, found_len, rec, err);
}
static int cnt_leaf_seek(void *p, const bytes32 *owner, const bytes32 *from, bytes32 *key, byte_span *val,
                         const char **err) {
    counting_reader *r = p;
    atomic_fetch_add(&r->cs->leaf_reads, 1);
    return r->cs->inner.ops->leaf_seek(r->rd, owner, from, key, val, err);
}
static int cnt_leaf_next(void *p, bytes32 *key, byte_span *val, const char **err) {
    counting_reader *r = p;
    atomic_fetch_add(&r->cs->leaf_reads, 1);
    return r->cs->inner.ops->leaf_next(r->rd, key, val, err);
}
static void cnt_close(void *p) {
    counting_reader *r = p;
    r->cs->inner.ops->close(r->rd);
    free(r);
}
static const trie_reader_ops counting_ops = {cnt_branch_seek, cnt_leaf_seek, cnt_leaf_next, cnt_close};
static void *cnt_open(void *ctx, const char **err) {
    counting_store *cs = ctx;
    counting_reader *r = calloc(1, sizeof *r);
    r->cs = cs;
    r->rd = cs->inner.open(cs->inner.ctx, err);
    if (!r->rd) {
        free(r);
        return NULL;
    }
    return r;
}

static int cmp_update(const void *p, const void *q) {
    const trie_update *a = p, *b = q;
    if (a->has_owner != b->has_owner) return a->has_owner ? 1 : -1;
    int c = a->has_owner ? memcmp(a->owner.b, b->owner.b, 32) : 0; /* no owner: unset */
    if (c) return c;
    c = memcmp(a->path, b->path, a->path_len < b->path_len ? a->path_len : b->path_len);
    return c ? c : (a->path_len > b->path_len) - (a->path_len < b->path_len);
}

/* An update log's entries sorted by trie and path (a pool's workers
 * append in no fixed order). */
static trie_update *sorted_updates(const trie_updates *u) {
    trie_update *v = malloc((u->count + 1) * sizeof *v);
    size_t pos = 0, n = 0;
    while (n < u->count && trie_updates_next(u, &pos, &v[n])) n++;
    qsort(v, n, sizeof *v, cmp_update);
    return v;
}

/* Whether two update logs hold the same entries. */
static bool same_updates(const trie_updates *a, const trie_updates *b) {
    if (a->count != b->count) return false;
    trie_update *x = sorted_updates(a), *y = sorted_updates(b);
    bool same = true;
    for (size_t i = 0; same && i < a->count; i++)
        same = !cmp_update(&x[i], &y[i]) && x[i].del == y[i].del && x[i].rec_len == y[i].rec_len &&
               (!x[i].rec_len || !memcmp(x[i].rec, y[i].rec, x[i].rec_len));
    free(x);
    free(y);
    return same;
}

/* Puts the account-trie leaves of init (fixed and sorted here) and their
 * records into ms; returns the number of records. */
static size_t store_account_trie(trie_mem_store *ms, change_list *init) {
    cl_fix(init);
    trie_changes_sort(init->c, init->n);
    trie_job job = {.changes = init->c, .n_changes = init->n};
    trie_updates up = {0};
    trie_store base = trie_mem_store_store(ms);
    CHECK(trie_update_roots(&base, NULL, &job, 1, &up) == NULL);
    for (size_t k = 0; k < init->n; k++) trie_mem_store_set_leaf(ms, NULL, &init->c[k].key, init->c[k].val, init->c[k].val_len);
    trie_mem_store_apply(ms, &up);
    size_t records = up.count;
    trie_updates_free(&up);
    return records;
}

/* Runs cl's changes on ms's account trie, every key hinted present or
 * not, through a counting store; checks the root against want and
 * returns the leaf reads (the record writes into *out). */
static size_t hinted_run(trie_mem_store *ms, change_list *cl, bool hint, task_pool *pool, size_t split_min,
                         const bytes32 *want, trie_updates *out) {
    for (size_t k = 0; k < cl->n; k++) cl->c[k].present = hint;
    counting_store cs = {.inner = trie_mem_store_store(ms)};
    atomic_init(&cs.leaf_reads, 0);
    trie_store counted = {&counting_ops, cnt_open, &cs};
    trie_job j = {.changes = cl->c, .n_changes = cl->n};
    CHECK(trie_update_roots_split(&counted, pool, &j, 1, split_min, out) == NULL);
    CHECK(bytes32_eq(&j.root, want));
    return atomic_load(&cs.leaf_reads);
}

/* Updates and deletions of keys the trie holds, each hinted present or
 * not: the same root and records either way, the root of a full rebuild,
 * and with the hint the engine reads far fewer leaves (a key whose parent's
 * record shows a hashed leaf at its place needs none). On one thread and
 * split on a pool. */
TEST(engine_present_hint_skips_leaf_reads) {
    enum { KEYS = 6000, CHANGED = 300 };
    task_pool *pool = task_pool_new(2);
    trie_mem_store *ms = trie_mem_store_new();
    model m = {0};
    change_list init = {0};
    for (int i = 0; i < KEYS; i++) {
        uint8_t key[32];
        for (int b = 0; b < 32; b++) key[b] = (uint8_t)rnd();
        u256 v = u256_from_u64(1 + rnd() % 1000000), kk = u256_from_be(key, 32);
        if (word_map_get(&m.t[0], &kk)) continue;
        word_map_put(&m.t[0], &kk, &v);
        cl_add(&init, key, &v, false);
    }
    store_account_trie(ms, &init);
    cl_free(&init);

    /* CHANGED existing keys: new values, one in five deleted */
    change_list cl = {0};
    model after = {0};
    for (size_t s = 0; s < m.t[0].cap; s++)
        if (m.t[0].e[s].used) word_map_put(&after.t[0], &m.t[0].e[s].key, &m.t[0].e[s].val);
    for (size_t s = 0; s < m.t[0].cap && cl.n < CHANGED; s++) {
        if (!m.t[0].e[s].used || rnd() % 10) continue;
        uint8_t key[32];
        u256_to_be(&m.t[0].e[s].key, key);
        bool del = rnd() % 5 == 0;
        u256 v = u256_from_u64(2000000 + rnd() % 1000);
        cl_add(&cl, key, del ? NULL : &v, false);
        if (del) word_map_del(&after.t[0], &m.t[0].e[s].key);
        else word_map_put(&after.t[0], &m.t[0].e[s].key, &v);
    }
    cl_fix(&cl);
    trie_changes_sort(cl.c, cl.n);
    CHECK(cl.n > CHANGED / 2);
    bytes32 want = model_root(&after, 0);
    for (int on_pool = 0; on_pool < 2; on_pool++) {
        size_t reads[2];
        trie_updates out[2] = {{0}};
        for (int hint = 0; hint < 2; hint++) {
            reads[hint] = hinted_run(ms, &cl, hint, on_pool ? pool : NULL, on_pool ? 16 : TRIE_SPLIT_MIN, &want,
                                     &out[hint]);
        }
        CHECK(same_updates(&out[0], &out[1]));
        CHECK(reads[0] >= cl.n); /* without the hint: a leaf stream per change at least */
        /* with it: the keys alone at their place read none (a quarter of
         * them at this density: 854 against 632 reads when written) */
        CHECK(reads[1] + cl.n / 8 < reads[0]);
        trie_updates_free(&out[0]);
        trie_updates_free(&out[1]);
    }
    cl_free(&cl);
    word_map_free(&m.t[0]);
    word_map_free(&after.t[0]);
    trie_mem_store_free(ms);
    task_pool_free(pool);
}

/* A root whose children are one small branch (nibble 0) and fifteen
 * leaves: its record holds the leaves' hashes, so hinted updates of the
 * fifteen read no leaf at all, and unhinted ones stream each. Deleting
 * the fifteen collapses the root onto the small branch, which only its
 * own two leaves are read for. */
TEST(engine_present_hint_exact_reads) {
    trie_mem_store *ms = trie_mem_store_new();
    model m = {0};
    change_list init = {0};
    for (int i = 0; i < 17; i++) {
        uint8_t key[32];
        for (int b = 0; b < 32; b++) key[b] = (uint8_t)rnd();
        key[0] = i == 0 ? 0x00 : i == 1 ? 0x01 : (uint8_t)((i - 1) << 4); /* 0x00, 0x01, 0x10 .. 0xf0 */
        u256 v = u256_from_u64(100 + (uint64_t)i), kk = u256_from_be(key, 32);
        word_map_put(&m.t[0], &kk, &v);
        cl_add(&init, key, &v, false);
    }
    CHECK_EQ_U64(store_account_trie(ms, &init), 1); /* the root's record only */
    /* the fifteen lone leaves: new values, or deleted */
    for (int deleting = 0; deleting < 2; deleting++) {
        change_list cl = {0};
        model after = {0};
        for (size_t s = 0; s < m.t[0].cap; s++)
            if (m.t[0].e[s].used) word_map_put(&after.t[0], &m.t[0].e[s].key, &m.t[0].e[s].val);
        for (size_t k = 2; k < init.n; k++) {
            u256 kk = u256_from_be(init.c[k].key.b, 32), v = u256_from_u64(7000 + k);
            bool del = deleting;
            cl_add(&cl, init.c[k].key.b, del ? NULL : &v, false);
            if (del) word_map_del(&after.t[0], &kk);
            else word_map_put(&after.t[0], &kk, &v);
        }
        cl_fix(&cl);
        trie_changes_sort(cl.c, cl.n);
        bytes32 want = model_root(&after, 0);
        size_t reads[2];
        for (int hint = 0; hint < 2; hint++) {
            trie_updates out = {0};
            reads[hint] = hinted_run(ms, &cl, hint, NULL, TRIE_SPLIT_MIN, &want, &out);
            trie_updates_free(&out);
        }
        CHECK(reads[0] >= 15);
        if (deleting) CHECK(reads[1] > 0 && reads[1] <= 3); /* seek, next, next past them */
        else CHECK_EQ_U64(reads[1], 0);
        cl_free(&cl);
        word_map_free(&after.t[0]);
    }
    cl_free(&init);
    word_map_free(&m.t[0]);
    trie_mem_store_free(ms);
}

TEST(engine_rejects_unsorted_and_corrupt) {
    trie_mem_store *ms = trie_mem_store_new();
    trie_change c[2] = {0};
    uint8_t v = 1;
    c[0].key.b[0] = 2, c[1].key.b[0] = 1;
    c[0].val = c[1].val = &v;
    c[0].val_len = c[1].val_len = 1;
    trie_job job = {.changes = c, .n_changes = 2};
    trie_updates up = {0};
    trie_store store = trie_mem_store_store(ms);
    CHECK(trie_update_roots(&store, NULL, &job, 1, &up) != NULL);
    /* a corrupt record at the root */
    trie_updates bad = {0};
    trie_branch b = {.state_mask = 3, .tree_mask = 0, .hash_mask = 1};
    trie_updates_put(&bad, NULL, NULL, 0, &b);
    /* log entry: flags, path length, record length (2), record: make its
     * state mask name a single child, which no branch has */
    bad.segs[0].data[4] = 0, bad.segs[0].data[5] = 1;
    trie_mem_store_apply(ms, &bad);
    trie_changes_sort(c, 2);
    store = trie_mem_store_store(ms);
    CHECK(trie_update_roots(&store, NULL, &job, 1, &up) != NULL);
    trie_updates_free(&bad);
    trie_updates_free(&up);
    trie_mem_store_free(ms);
}

TEST(branch_codec_rejects_bad_records) {
    trie_branch b = {.state_mask = 0x8003, .tree_mask = 0x8000, .hash_mask = 0x0001, .leaf_mask = 0x0002};
    memset(b.hashes[0].b, 7, 32);
    memset(b.hashes[1].b, 9, 32);
    uint8_t enc[TRIE_BRANCH_MAX_ENC];
    size_t n = trie_branch_encode(&b, enc);
    CHECK_EQ_U64(n, 8 + 2 * 32);
    trie_branch d;
    CHECK(trie_branch_decode(enc, n, &d));
    CHECK(d.state_mask == b.state_mask && d.tree_mask == b.tree_mask && d.hash_mask == b.hash_mask &&
          d.leaf_mask == b.leaf_mask);
    CHECK(bytes32_eq(&d.hashes[0], &b.hashes[0]) && bytes32_eq(&d.hashes[1], &b.hashes[1]));
    CHECK(!trie_branch_decode(enc, n - 1, &d));
    CHECK(!trie_branch_decode(enc, 7, &d));
    uint8_t bad[TRIE_BRANCH_MAX_ENC];
    memcpy(bad, enc, n);
    bad[5] = 0x03; /* a hash bit on a leaf's nibble */
    CHECK(!trie_branch_decode(bad, n, &d));
    memcpy(bad, enc, n);
    bad[5] = 0x05; /* a hash bit outside the state mask */
    CHECK(!trie_branch_decode(bad, n + 32, &d));
    memcpy(bad, enc, n);
    bad[6] = 0x80; /* a leaf that holds records */
    CHECK(!trie_branch_decode(bad, n + 32, &d));
    memcpy(bad, enc, n);
    bad[2] = bad[3] = bad[5] = 0; /* only leaves' hashes: not a recorded branch */
    CHECK(!trie_branch_decode(bad, n - 32, &d));
    uint8_t one_child[8] = {0, 1, 0, 1, 0, 0, 0, 0};
    CHECK(!trie_branch_decode(one_child, 8, &d));
}

/* Logs of many segments: moved, copied and cleared, every entry comes back
 * in order, and iteration resumes from any position it gave. */
TEST(update_log_segments_keep_order) {
    enum { N = 3000 };
    trie_updates a = {0}, b = {0}, dst = {0}, copy = {0};
    bytes32 owner;
    uint8_t path[TRIE_NIBBLES];
    for (unsigned i = 0; i < N; i++) {
        trie_branch br = {.state_mask = 0xffff, .hash_mask = 0xffff};
        for (unsigned c = 0; c < 16; c++) memset(br.hashes[c].b, (int)(i + c), 32);
        memset(owner.b, (int)i, 32);
        size_t len = 1 + i % TRIE_NIBBLES;
        memset(path, (int)(i % 16), len);
        path[0] = (uint8_t)(i >> 8 & 15), path[len - 1] = (uint8_t)(i & 15);
        trie_updates *u = i < N / 2 ? &a : &b;
        if (i % 7 == 3) trie_updates_del(u, &owner, path, len);
        else trie_updates_put(u, i % 2 ? &owner : NULL, path, len, &br);
    }
    CHECK(a.n_segs > 3 && b.n_segs > 3); /* about 600 bytes an entry */
    trie_updates_append(&copy, &a);
    trie_updates_append(&copy, &b);
    trie_updates_move(&dst, &a);
    trie_updates_move(&dst, &b);
    CHECK(a.count == 0 && b.count == 0 && dst.count == N && copy.count == N);
    size_t pos = 0, pc = 0, last = 0, mid = 0;
    trie_update u, uc;
    unsigned i = 0;
    for (; trie_updates_next(&dst, &pos, &u); i++) {
        CHECK(trie_updates_next(&copy, &pc, &uc));
        size_t len = 1 + i % TRIE_NIBBLES;
        CHECK(u.path_len == len && (len == 1 || u.path[0] == (i >> 8 & 15)) && u.path[len - 1] == (i & 15));
        CHECK(u.del == (i % 7 == 3) && u.has_owner == (i % 7 == 3 || i % 2));
        CHECK(!u.has_owner || u.owner.b[31] == (uint8_t)i);
        trie_branch d;
        CHECK(u.del || (trie_branch_decode(u.rec, u.rec_len, &d) && d.hashes[15].b[0] == (uint8_t)(i + 15)));
        CHECK(uc.path_len == u.path_len && uc.rec_len == u.rec_len && !memcmp(uc.rec, u.rec, u.rec_len));
        CHECK(pos > last);
        last = pos;
        if (i == N / 2 + 10) mid = pos;
    }
    CHECK_EQ_U64(i, N);
    CHECK(!trie_updates_next(&copy, &pc, &uc));
    CHECK(trie_updates_next(&dst, &mid, &u) && u.path[u.path_len - 1] == ((N / 2 + 11) & 15));
    trie_updates_clear(&dst);
    pos = 0;
    CHECK(dst.count == 0 && !trie_updates_next(&dst, &pos, &u));
    trie_updates_del(&dst, NULL, path, 1);
    pos = 0;
    CHECK(trie_updates_next(&dst, &pos, &u) && u.del && !trie_updates_next(&dst, &pos, &u));
    trie_updates_free(&a);
    trie_updates_free(&b);
    trie_updates_free(&dst);
    trie_updates_free(&copy);
}

TEST(update_log_move_keeps_every_entry) {
    trie_branch b = {.state_mask = 3, .tree_mask = 1, .hash_mask = 1, .leaf_mask = 2};
    const uint8_t p1[1] = {1}, p2[2] = {2, 3};
    bytes32 owner = {{0}};
    owner.b[0] = 9;
    trie_updates a = {0}, c = {0}, dst = {0};
    trie_updates_put(&a, NULL, p1, 1, &b);
    trie_updates_del(&c, &owner, p2, 2);
    trie_updates_move(&dst, &a); /* into an empty log: taken over */
    CHECK(a.count == 0 && a.n_segs == 0 && dst.count == 1);
    trie_updates_move(&dst, &c); /* after an entry: appended */
    CHECK(c.count == 0 && c.n_segs == 0 && dst.count == 2);
    size_t pos = 0;
    trie_update u;
    CHECK(trie_updates_next(&dst, &pos, &u) && !u.has_owner && !u.del && u.path_len == 1 && u.path[0] == 1);
    trie_branch d;
    CHECK(trie_branch_decode(u.rec, u.rec_len, &d) && d.leaf_mask == 2 && d.hash_mask == 1);
    CHECK(trie_updates_next(&dst, &pos, &u) && u.has_owner && u.del && u.path_len == 2 && u.owner.b[0] == 9);
    CHECK(!trie_updates_next(&dst, &pos, &u));
    trie_updates_free(&a);
    trie_updates_free(&c);
    trie_updates_free(&dst);
}

/* ---- Record seeks through stacked overlays against a model ----
 * Paths of up to 3 nibbles out of 0-3 (so that seeks land on, between and
 * under records), in the account trie and one storage trie; a store, an
 * overlay on it and one on that (db_preroot's rounds over unwritten
 * blocks), each layer putting and deleting records, the storage trie
 * sometimes wiped. Every seek must give the model's first record at or
 * after the path: the overlay's own record at the path itself wins
 * without asking its base, one it deletes or wipes does not. */

enum { SEEK_PATHS = 1 + 4 + 16 + 64 };

typedef struct {
    int tag[2][SEEK_PATHS]; /* by trie, by path index: 0 none, else the record's tag */
} seek_model;

/* Path index k <-> nibbles (index order is not path order: compared by bytes). */
static size_t seek_path(size_t k, uint8_t p[3]) {
    size_t len = k == 0 ? 0 : k < 5 ? 1 : k < 21 ? 2 : 3, base = len == 0 ? 0 : len == 1 ? 1 : len == 2 ? 5 : 21;
    size_t v = k - base;
    for (size_t i = len; i-- > 0; v /= 4) p[i] = (uint8_t)(v % 4);
    return len;
}

static int path_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static trie_branch seek_rec(int tag) {
    trie_branch b = {.state_mask = 3, .hash_mask = 1, .leaf_mask = 2};
    b.hashes[0].b[0] = (uint8_t)tag;
    b.hashes[0].b[1] = (uint8_t)(tag >> 8);
    return b;
}

/* Random puts and deletions of one layer, into the model and the log. */
static void seek_layer(seek_model *m, trie_updates *u, const bytes32 *owner, int *next_tag) {
    for (int t = 0; t < 2; t++)
        for (size_t k = 0; k < SEEK_PATHS; k++) {
            uint64_t r = rnd() % 8;
            if (r > 1) continue;
            uint8_t p[3];
            size_t len = seek_path(k, p);
            if (r == 0) {
                m->tag[t][k] = ++*next_tag;
                trie_branch b = seek_rec(m->tag[t][k]);
                trie_updates_put(u, t ? owner : NULL, p, len, &b);
            } else {
                m->tag[t][k] = 0;
                trie_updates_del(u, t ? owner : NULL, p, len);
            }
        }
}

static void seek_check(const trie_store *st, const seek_model *m, const bytes32 *owner) {
    const char *err = NULL;
    void *rd = st->open(st->ctx, &err);
    CHECK(rd != NULL);
    for (int t = 0; t < 2; t++)
        for (size_t q = 0; q < SEEK_PATHS; q++) {
            uint8_t qp[3], p[3], found[TRIE_NIBBLES];
            size_t ql = seek_path(q, qp), flen = 0, best = SIZE_MAX;
            for (size_t k = 0; k < SEEK_PATHS; k++) {
                size_t len = seek_path(k, p);
                if (!m->tag[t][k] || path_cmp(p, len, qp, ql) < 0) continue;
                uint8_t bp[3];
                size_t bl = best == SIZE_MAX ? 0 : seek_path(best, bp);
                if (best == SIZE_MAX || path_cmp(p, len, bp, bl) < 0) best = k;
            }
            byte_span rec;
            int r = st->ops->branch_seek(rd, t ? owner : NULL, qp, ql, found, &flen, &rec, &err);
            if (best == SIZE_MAX) {
                CHECK(r == 0);
                continue;
            }
            CHECK(r == 1);
            size_t bl = seek_path(best, p);
            CHECK(flen == bl && memcmp(found, p, bl) == 0);
            uint8_t want[TRIE_BRANCH_MAX_ENC];
            trie_branch b = seek_rec(m->tag[t][best]);
            size_t wl = trie_branch_encode(&b, want);
            CHECK(rec.len == wl && memcmp(rec.data, want, wl) == 0);
        }
    st->ops->close(rd);
}

/* An overlay's writes: two rounds (later ones win), then maybe a wipe of
 * the storage trie and a round after it. */
static void seek_overlay_layer(trie_overlay *ov, seek_model *m, const bytes32 *owner, int *tag, bool wipe) {
    trie_updates u = {0};
    for (int i = 0; i < 2 + wipe; i++) {
        if (i == 2) {
            trie_overlay_wipe(ov, owner);
            memset(m->tag[1], 0, sizeof m->tag[1]);
        }
        seek_layer(m, &u, owner, tag);
        trie_overlay_apply(ov, &u);
        trie_updates_free(&u);
    }
}

TEST(overlay_record_seeks_match_a_model) {
    bytes32 owner = keccak256_hash("seek", 4);
    for (int run = 0; run < 40; run++) {
        seek_model m = {0};
        int tag = 0;
        trie_mem_store *ms = trie_mem_store_new();
        trie_updates u = {0};
        seek_layer(&m, &u, &owner, &tag);
        trie_mem_store_apply(ms, &u);
        trie_updates_free(&u);
        trie_store base = trie_mem_store_store(ms);
        seek_check(&base, &m, &owner);
        trie_overlay *lower = trie_overlay_new(&base);
        seek_overlay_layer(lower, &m, &owner, &tag, run % 4 == 1);
        trie_store mid = trie_overlay_store(lower);
        seek_check(&mid, &m, &owner);
        trie_overlay *upper = trie_overlay_new(&mid);
        seek_overlay_layer(upper, &m, &owner, &tag, run % 4 == 3);
        trie_store top = trie_overlay_store(upper);
        seek_check(&top, &m, &owner);
        /* both layers flattened into one overlay of the base: the same
         * records, the wipes hiding what they hid */
        trie_overlay *flat = trie_overlay_new(&base);
        trie_overlay_apply_overlay(flat, lower);
        trie_overlay_apply_overlay(flat, upper);
        trie_store one = trie_overlay_store(flat);
        seek_check(&one, &m, &owner);
        trie_overlay_free(flat);
        trie_overlay_free(upper);
        trie_overlay_free(lower);
        trie_mem_store_free(ms);
    }
}
