/* libFuzzer target for the incremental state-root engine (src/trie/
 * trie_engine.c and the deferred hashing of trie_defer.c).
 *
 * The input is a program of change batches over one to four tries (the
 * account trie and storage tries) in an in-memory trie store, or in an
 * overlay over it (the store of db_preroot's rounds). Keys come in three
 * shapes: random (hashed from two input bytes), a base key with a few
 * nibbles set from the input (deep shared prefixes: long extensions and
 * branches near the leaves), and runs of hundreds of generated keys (jobs
 * large enough to be split into subtasks on the pool). Values have any
 * length from 1 to 80 bytes, so nodes fall on both sides of the 32-byte
 * line between embedded and hashed. Wipes empty storage tries.
 *
 * After each batch every job's root must equal the root that the streaming
 * full build (trie_stream, another code path) makes from a plain model of
 * the tries; at the end the store's branch records must be exactly those
 * the full build records. Any difference aborts. Build with
 * scripts/build-fuzz.sh, which also makes the engine hash its deferred
 * queue every few hundred bytes, so that the flushes inside a task run. */
#include <stdio.h>
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/pool.h"
#include "parevm/trie_engine.h"
#include "parevm/trie_proof.h"

enum { MAX_TRIES = 4, MAX_VAL = 80, MAX_BATCHES = 24, MAX_RUN = 700 };

#include "fuzz_input.h"

/* ---- the model: per trie, sorted (key, value) entries ---- */

typedef struct {
    uint8_t key[32];
    uint8_t len;
    uint8_t val[MAX_VAL];
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} model_trie;

static int cmp_entry(const void *a, const void *b) { return memcmp(a, b, 32); }

static entry *model_find(model_trie *t, const uint8_t key[32]) {
    return t->n ? bsearch(key, t->e, t->n, sizeof *t->e, cmp_entry) : NULL;
}

/* ---- one batch ---- */

typedef struct {
    trie_change *c;
    size_t n, cap;
    uint8_t (*vals)[MAX_VAL]; /* the changes' values (c[i].val points here) */
} batch;

static void batch_add(batch *b, const uint8_t key[32], const uint8_t *val, size_t len) {
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->c = realloc(b->c, b->cap * sizeof *b->c);
        b->vals = realloc(b->vals, b->cap * sizeof *b->vals);
        if (!b->c || !b->vals) abort();
    }
    memcpy(b->c[b->n].key.b, key, 32);
    memcpy(b->vals[b->n], val, len);
    b->c[b->n].val_len = len;
    b->n++;
}

/* Sorts by key and keeps the last change of each key. */
static void batch_fix(batch *b) {
    for (size_t i = 0; i < b->n; i++) b->c[i].val = (const uint8_t *)(uintptr_t)i; /* order tag */
    trie_change *c = b->c;
    for (size_t i = 1; i < b->n; i++) /* insertion sort: stable, batches are small or mostly ordered */
        for (size_t j = i; j > 0 && memcmp(c[j - 1].key.b, c[j].key.b, 32) > 0; j--) {
            trie_change t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    size_t out = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (out && !memcmp(c[out - 1].key.b, c[i].key.b, 32)) out--;
        c[out++] = c[i];
    }
    b->n = out;
    for (size_t i = 0; i < b->n; i++) b->c[i].val = b->vals[(uintptr_t)b->c[i].val];
}

static void make_value(input *in, uint8_t *val, size_t *len) {
    uint8_t l = take(in);
    *len = l % 4 == 0 ? 0 : 1 + l % MAX_VAL; /* a quarter are deletions */
    uint8_t fill = take(in);
    for (size_t i = 0; i < *len; i++) val[i] = (uint8_t)(fill + i * (fill & 7));
}

static void make_key(input *in, uint8_t key[32]) {
    uint8_t shape = take(in);
    if (shape % 3 == 0) { /* random */
        uint8_t seed[2] = {take(in), take(in)};
        keccak256(seed, 2, key);
        return;
    }
    /* a base key with a few nibbles set: keys that share long prefixes */
    memset(key, shape % 3 == 1 ? 0x00 : 0xa5, 32);
    for (int k = 0, nset = 1 + (shape >> 2) % 3; k < nset; k++) {
        uint8_t pos = take(in) % 64, nib = take(in) & 15;
        key[pos / 2] = pos % 2 ? (uint8_t)((key[pos / 2] & 0xf0) | nib) : (uint8_t)((key[pos / 2] & 0x0f) | nib << 4);
    }
}

/* ---- the reference: the streaming full build over the model ---- */

static bytes32 model_root(const model_trie *t, trie_updates *records, const bytes32 *owner) {
    trie_stream *s = trie_stream_new(records, owner);
    for (size_t i = 0; i < t->n; i++)
        if (trie_stream_push(s, (const bytes32 *)t->e[i].key, t->e[i].val, t->e[i].len)) abort();
    bytes32 r = trie_stream_root(s);
    trie_stream_free(s);
    return r;
}

static void model_apply(model_trie *t, const batch *b, bool wiped) {
    if (wiped) t->n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const trie_change *c = &b->c[i];
        entry *e = model_find(t, c->key.b);
        if (!c->val_len) {
            if (e) {
                memmove(e, e + 1, (size_t)(t->e + t->n - (e + 1)) * sizeof *e);
                t->n--;
            }
            continue;
        }
        if (!e) {
            if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 64;
                t->e = realloc(t->e, t->cap * sizeof *t->e);
                if (!t->e) abort();
            }
            size_t at = 0;
            while (at < t->n && memcmp(t->e[at].key, c->key.b, 32) < 0) at++;
            memmove(&t->e[at + 1], &t->e[at], (t->n - at) * sizeof *t->e);
            t->n++;
            e = &t->e[at];
            memcpy(e->key, c->key.b, 32);
        }
        e->len = (uint8_t)c->val_len;
        memcpy(e->val, c->val, c->val_len);
    }
}

/* Whether the store holds every record of a full build (their count into
 * *n_full: the caller compares it with the store's where it can). */
static bool records_match(const trie_store *store, const model_trie *m, const bytes32 *owners, int tries,
                          size_t *n_full) {
    trie_updates full = {0};
    for (int i = 0; i < tries; i++) model_root(&m[i], &full, i ? &owners[i] : NULL);
    void *rd = store->open(store->ctx, NULL);
    if (!rd) abort();
    bool ok = true;
    size_t pos = 0;
    trie_update u;
    while (ok && trie_updates_next(&full, &pos, &u)) {
        uint8_t found[TRIE_NIBBLES];
        size_t flen;
        byte_span rec;
        const char *err;
        int r = store->ops->branch_seek(rd, u.has_owner ? &u.owner : NULL, u.path, u.path_len, found, &flen, &rec,
                                        &err);
        ok = r == 1 && flen == u.path_len && !memcmp(found, u.path, flen) && rec.len == u.rec_len &&
             !memcmp(rec.data, u.rec, rec.len);
    }
    store->ops->close(rd);
    *n_full = full.count;
    trie_updates_free(&full);
    return ok;
}

static task_pool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    pool = task_pool_new(3);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = {data, size};
    uint8_t head = take(&in);
    int tries = 1 + head % MAX_TRIES;
    bool on_pool = head & 4, overlay = head & 8;
    bytes32 owners[MAX_TRIES] = {0};
    for (int i = 1; i < tries; i++) owners[i] = keccak256_hash(&i, sizeof i);
    model_trie m[MAX_TRIES] = {0};
    trie_mem_store *ms = trie_mem_store_new();
    trie_store base = trie_mem_store_store(ms);
    trie_overlay *ov = overlay ? trie_overlay_new(&base) : NULL;
    batch b[MAX_TRIES] = {0};

    for (int round = 0; in.n && round < MAX_BATCHES; round++) {
        trie_job jobs[MAX_TRIES];
        bool wiped[MAX_TRIES] = {0};
        size_t n_jobs = 0;
        for (int i = 0; i < tries; i++) {
            b[i].n = 0;
            uint8_t op = take(&in);
            wiped[i] = i > 0 && op % 16 == 15;
            if (op % 8 == 7) { /* a run of generated keys: a job that splits */
                size_t run = 200 + (size_t)take(&in) * 2;
                uint8_t seed = take(&in), len = (uint8_t)(1 + take(&in) % MAX_VAL);
                for (size_t k = 0; k < run && k < MAX_RUN; k++) {
                    uint8_t key[32], v[MAX_VAL], src[3] = {seed, (uint8_t)k, (uint8_t)(k >> 8)};
                    keccak256(src, 3, key);
                    memset(v, (int)(k + 1), len);
                    batch_add(&b[i], key, v, len);
                }
            } else {
                for (int k = 0, n = op / 8 % 12; k < n; k++) {
                    uint8_t key[32], val[MAX_VAL];
                    size_t len;
                    make_key(&in, key);
                    make_value(&in, val, &len);
                    batch_add(&b[i], key, val, len);
                }
            }
            batch_fix(&b[i]);
            /* the engine's hint where it holds, for about half the keys
             * (root and records must not depend on it) */
            for (size_t k = 0; k < b[i].n; k++)
                b[i].c[k].present = !wiped[i] && model_find(&m[i], b[i].c[k].key.b) && ((op & 2) || (b[i].c[k].key.b[31] & 1));
            if (b[i].n || wiped[i] || op & 1)
                jobs[n_jobs++] = (trie_job){.has_owner = i > 0, .owner = owners[i], .wiped = wiped[i],
                                            .changes = b[i].c, .n_changes = b[i].n};
        }
        trie_updates up = {0};
        trie_store store = ov ? trie_overlay_store(ov) : trie_mem_store_store(ms);
        /* every third batch splits its jobs from 2 changes (db_preroot's rounds split small ones too) */
        size_t split_min = round % 3 == 1 ? 2 : TRIE_SPLIT_MIN;
        const char *err = trie_update_roots_split(&store, on_pool ? pool : NULL, jobs, n_jobs, split_min, &up);
        if (err) {
            fprintf(stderr, "fuzz_trie_engine: the engine failed: %s\n", err);
            abort();
        }
        for (int i = 0; i < tries; i++) {
            if (wiped[i]) {
                if (ov)
                    trie_overlay_wipe(ov, &owners[i]);
                else
                    trie_mem_store_wipe(ms, &owners[i]);
            }
            for (size_t k = 0; k < b[i].n; k++) {
                const trie_change *c = &b[i].c[k];
                if (ov)
                    trie_overlay_set_leaf(ov, i ? &owners[i] : NULL, &c->key, c->val, c->val_len);
                else
                    trie_mem_store_set_leaf(ms, i ? &owners[i] : NULL, &c->key, c->val, c->val_len);
            }
            model_apply(&m[i], &b[i], wiped[i]);
        }
        if (ov)
            trie_overlay_apply(ov, &up);
        else
            trie_mem_store_apply(ms, &up);
        trie_updates_free(&up);
        for (size_t j = 0; j < n_jobs; j++) {
            int i = jobs[j].has_owner ? 1 : 0;
            while (i && !bytes32_eq(&jobs[j].owner, &owners[i])) i++;
            bytes32 want = model_root(&m[i], NULL, NULL);
            if (!bytes32_eq(&jobs[j].root, &want)) {
                fprintf(stderr, "fuzz_trie_engine: batch %d, trie %d: the engine's root differs from a full build\n",
                        round, i);
                abort();
            }
        }
    }
    trie_store store = ov ? trie_overlay_store(ov) : trie_mem_store_store(ms);
    size_t n_full;
    if (!records_match(&store, m, owners, tries, &n_full) || (!ov && n_full != trie_mem_store_records(ms))) {
        fprintf(stderr, "fuzz_trie_engine: the store's branch records differ from a full build's\n");
        abort();
    }
    for (int i = 0; i < tries; i++) {
        free(m[i].e);
        free(b[i].c);
        free(b[i].vals);
    }
    trie_overlay_free(ov);
    trie_mem_store_free(ms);
    return 0;
}
