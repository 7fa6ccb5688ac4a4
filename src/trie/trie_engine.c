/* The incremental root engine (trie_engine.h).
 *
 * walk(P, K) computes the summary (trie_internal.h) of the new keys under
 * the nibble prefix P, where K are the changed keys under P:
 *   - the first branch record at or below P tells the old structure: a
 *     record at P itself is a branch there, so each child is handled on its
 *     own (partition); a record deeper than P, at Q, means every old key
 *     lies under Q (an extension P..Q), so if all changes do too the walk
 *     continues at Q, else P becomes a branch point (partition, old NULL);
 *   - no record: the keys under P are a leaf or one unrecorded branch plus
 *     the changes, few enough to rebuild by streaming the old leaves merged
 *     with the changes (stream).
 * partition(P, K, old) takes each child c of P: unchanged children come from
 * the old record's hashes (OPAQUE, leaves too) or, when embedded (shorter
 * than 32 bytes), from the store; changed ones from walk/stream on P+c,
 * except a hashed leaf whose one change is to a key the caller knows is in
 * the trie (trie_change's present): that leaf is the key's own, replaced
 * without reading the store (own_leaf: 35-40% of the changed keys in bench
 * engine's erc20 blocks over 1M accounts; the others share their place with
 * other keys, in a branch that has no record).
 * Then 0 children: empty; 1: the node collapses into its child, which is
 * resolved to its real form (a leaf or a branch further down: an opaque
 * hash cannot be moved up); 2 or more: a branch at P, encoded, and its
 * record written or deleted.
 *
 * Parallelism: a job with many changes is split at depth 1 or 2; phase 1
 * walks each prefix with changes as its own task (tries of all jobs mixed,
 * largest first), phase 2 walks the top of each split job, taking those
 * prefixes' summaries from the memo. Records written by the two phases lie
 * at different depths, so their updates never collide.
 *
 * Hashing: nodes are not hashed as the walk encodes them but queued in the
 * worker's hash_defer and hashed eight at a time, a level of the trie after
 * another (trie_defer.c), so a task's summary and records are complete
 * only after hash_defer_flush. */
#include <stdatomic.h>
#include <stdlib.h>

#include "trie_internal.h"

/* Changes from which a split job is split at depth 2 (256 tasks). */
enum { SPLIT2_MIN = 4096 };

typedef struct {
    const trie_store *store;
    void *rd;               /* opened on first use */
    trie_updates out;       /* this worker's record writes */
    arena keep;             /* LEAF values of memoised summaries */
    arena tmp;              /* LEAF values within one task */
    stream_builder sb;
    buf_t scratch;
    hash_defer defer;       /* the task's nodes, hashed a level at a time (1 MiB, and at its end) */
    const char *err;
} worker_ctx;

typedef struct {
    worker_ctx *w;
    const bytes32 *owner;   /* NULL: account trie */
    bool wiped;
    size_t split;           /* split depth of the job (0: none) */
    const trie_sum *memo;   /* phase 2: summaries at depth split, by prefix */
    record_sink sink;
} walk_ctx;

static bool walk(walk_ctx *c, uint8_t *path, size_t plen, const trie_change *k, size_t n,
                 trie_sum *out);

static bool fail(walk_ctx *c, const char *why) {
    if (!c->w->err) c->w->err = why;
    return false;
}

static bool ensure_reader(walk_ctx *c) {
    worker_ctx *w = c->w;
    if (w->rd) return true;
    const char *err = "cannot open a trie store reader";
    w->rd = w->store->open(w->store->ctx, &err);
    return w->rd ? true : fail(c, err);
}

/* The first record at or under path: 1 (found, rec decoded), 0, -1. */
static int seek_record(walk_ctx *c, const uint8_t *path, size_t plen, uint8_t found[TRIE_NIBBLES],
                       size_t *flen, trie_branch *rec) {
    if (c->wiped) return 0;
    if (!ensure_reader(c)) return -1;
    byte_span raw;
    const char *err = "trie store error";
    int r = c->w->store->ops->branch_seek(c->w->rd, c->owner, path, plen, found, flen, &raw, &err);
    if (r < 0) err = err ? err : "trie store error";
    else if (r == 0 || *flen < plen || memcmp(found, path, plen) != 0) return 0;
    else if (*flen >= TRIE_NIBBLES) err = "corrupt trie record: path too long";
    else if (!trie_branch_decode(raw.data, raw.len, rec)) err = "corrupt trie record";
    else err = NULL;
    for (size_t i = 0; !err && i < *flen; i++)
        if (found[i] > 15) err = "corrupt trie record: bad nibble in path";
    if (!err) return 1;
    fail(c, err);
    return -1;
}

/* The smallest key under path (the path padded with zero nibbles). */
static void path_key(const uint8_t *path, size_t plen, uint8_t key[32]) {
    memset(key, 0, 32);
    for (size_t i = 0; i < plen; i++) key[i / 2] |= (uint8_t)(path[i] << ((i & 1) ? 0 : 4));
}

/* Rebuilds the keys under path from the store's leaves merged with the
 * changes k (the caller knows that no record lies under path). Records are
 * written only when something changed (n > 0). */
static bool stream(walk_ctx *c, const uint8_t *path, size_t plen, const trie_change *k, size_t n,
                   trie_sum *out) {
    stream_builder *sb = &c->w->sb;
    sb->sink = n ? &c->sink : NULL;
    bytes32 from, key;
    byte_span val;
    int r = 0;
    const char *err = "trie store error";
    if (!c->wiped) {
        if (!ensure_reader(c)) return false;
        path_key(path, plen, from.b);
        r = c->w->store->ops->leaf_seek(c->w->rd, c->owner, &from, &key, &val, &err);
    }
    size_t i = 0;
    for (;;) {
        if (r < 0) return fail(c, err);
        bool have_leaf = r == 1 && key_has_prefix(key.b, path, plen);
        if (have_leaf && val.len == 0) return fail(c, "corrupt hashed state: empty leaf value");
        if (!have_leaf && i == n) break;
        int cmp = !have_leaf ? 1 : i == n ? -1 : memcmp(key.b, k[i].key.b, 32);
        if (cmp < 0) {
            sb_push(sb, key.b, val.data, val.len);
        } else {
            if (k[i].val_len) sb_push(sb, k[i].key.b, k[i].val, k[i].val_len);
            i++;
        }
        if (cmp <= 0) r = c->w->store->ops->leaf_next(c->w->rd, &key, &val, &err);
    }
    sb_finish(sb, &c->w->tmp, out);
    return true;
}

/* The real form (leaf or node) of an unchanged child known only by its
 * hash: its subtrie holds records (walk finds them) or not (stream). */
static bool resolve(walk_ctx *c, uint8_t *path, size_t plen, bool stored, trie_sum *out) {
    return stored ? walk(c, path, plen, NULL, 0, out) : stream(c, path, plen, NULL, 0, out);
}

/* The summary under a child that the parent's record shows as a hashed
 * leaf, whose one change k is to a key the trie holds (trie_change's
 * present): that leaf is k's own, so the child is k's new leaf, or nothing
 * once k is deleted. The store's leaves are not read. */
static void own_leaf(const trie_change *k, trie_sum *out) {
    memset(out, 0, sizeof *out);
    if (!k->val_len) return; /* SUM_EMPTY */
    out->kind = SUM_LEAF;
    memcpy(out->key, k->key.b, 32);
    out->val = k->val;
    out->val_len = k->val_len;
}

static bool partition(walk_ctx *c, uint8_t *path, size_t plen, const trie_change *k, size_t n,
                      const trie_branch *old, trie_sum *out) {
    trie_sum ch[16];
    size_t lo = 0;
    for (unsigned nib = 0; nib < 16; nib++) {
        size_t hi = lo;
        while (hi < n && key_nibble(k[hi].key.b, plen) == nib) hi++;
        uint16_t bit = (uint16_t)(1u << nib);
        trie_sum *s = &ch[nib];
        memset(s, 0, sizeof *s);
        path[plen] = (uint8_t)nib;
        bool ok = true;
        if (hi > lo) {
            if (old && hi - lo == 1 && k[lo].present && (old->leaf_mask & bit))
                own_leaf(&k[lo], s);
            else if (old && !(old->tree_mask & bit))
                ok = stream(c, path, plen + 1, k + lo, hi - lo, s);
            else
                ok = walk(c, path, plen + 1, k + lo, hi - lo, s);
        } else if (!old) {
            ok = walk(c, path, plen + 1, NULL, 0, s);
        } else if (!(old->state_mask & bit)) {
            s->kind = SUM_EMPTY;
        } else if ((old->hash_mask | old->leaf_mask) & bit) {
            s->kind = SUM_OPAQUE;
            s->leaf = old->leaf_mask & bit;
            s->stored = old->tree_mask & bit;
            s->ref.len = 32;
            memcpy(s->ref.b, old->hashes[nib].b, 32);
        } else {
            ok = resolve(c, path, plen + 1, old->tree_mask & bit, s);
        }
        if (!ok) return false;
        lo = hi;
    }
    if (lo != n) return fail(c, "trie changes not under their prefix");

    unsigned count = 0, only = 0;
    for (unsigned nib = 0; nib < 16; nib++)
        if (ch[nib].kind != SUM_EMPTY) count++, only = nib;
    bool changed = n > 0;
    if (count < 2) {
        if (old && changed) trie_updates_del(c->sink.out, c->owner, path, plen);
        if (count == 0) {
            memset(out, 0, sizeof *out);
            return true;
        }
        if (ch[only].kind == SUM_OPAQUE) {
            path[plen] = (uint8_t)only;
            return resolve(c, path, plen + 1, ch[only].stored, out);
        }
        *out = ch[only];
        return true;
    }
    child_ref refs[16];
    for (unsigned nib = 0; nib < 16; nib++) refs[nib] = sum_child(&ch[nib], plen + 1, &c->w->scratch, &c->w->defer);
    memset(out, 0, sizeof *out);
    out->kind = SUM_NODE;
    out->depth = (uint8_t)plen;
    path_key(path, plen, out->key);
    branch_finish(refs, out->key, plen, changed ? &c->sink : NULL, &c->w->scratch, &c->w->defer,
                  &out->ref, &out->stored);
    if (old && changed && !out->stored) trie_updates_del(c->sink.out, c->owner, path, plen);
    return true;
}

static size_t memo_index(const uint8_t *path, size_t len) {
    size_t i = 0;
    for (size_t d = 0; d < len; d++) i = i * 16 + path[d];
    return i;
}

static bool walk(walk_ctx *c, uint8_t *path, size_t plen, const trie_change *k, size_t n,
                 trie_sum *out) {
    if (c->memo && plen == c->split && n > 0) {
        *out = c->memo[memo_index(path, plen)];
        return true;
    }
    uint8_t found[TRIE_NIBBLES];
    size_t flen = 0;
    trie_branch rec;
    int r = seek_record(c, path, plen, found, &flen, &rec);
    if (r < 0) return false;
    bool here = r == 1 && flen == plen;
    /* Above the split depth the walk always goes nibble by nibble, so that
     * it meets the memoised prefixes. */
    if (plen < c->split) return partition(c, path, plen, k, n, here ? &rec : NULL, out);
    if (r == 0) return stream(c, path, plen, k, n, out);
    if (here) return partition(c, path, plen, k, n, &rec, out);
    if (n == 0 || (key_has_prefix(k[0].key.b, found, flen) && key_has_prefix(k[n - 1].key.b, found, flen))) {
        memcpy(path + plen, found + plen, flen - plen);
        return partition(c, path, flen, k, n, &rec, out);
    }
    return partition(c, path, plen, k, n, NULL, out);
}

/* ---- Jobs and tasks ---- */

typedef struct {
    size_t job;
    uint8_t prefix[2];
    uint8_t plen;
    size_t lo, n; /* the job's changes under the prefix */
} task;

typedef struct {
    const trie_store *store;
    trie_job *jobs;
    size_t *split;          /* per job */
    trie_sum **memo;        /* per split job: 16^split summaries */
    task *tasks;
    size_t n_tasks;
    size_t *phase2;         /* split jobs */
    size_t n_phase2;
    worker_ctx *workers;
    size_t split_min;       /* depth 1 from this many changes */
    atomic_bool failed;
} run_ctx;

static walk_ctx walk_for(run_ctx *r, worker_ctx *w, size_t j) {
    trie_job *job = &r->jobs[j];
    walk_ctx c = {.w = w, .owner = job->has_owner ? &job->owner : NULL, .wiped = job->wiped,
                  .split = r->split[j]};
    c.sink = (record_sink){&w->out, c.owner};
    return c;
}

static void copy_to_keep(worker_ctx *w, trie_sum *s) {
    if (s->kind != SUM_LEAF) return;
    uint8_t *v = trie_arena_alloc(&w->keep, s->val_len);
    memcpy(v, s->val, s->val_len);
    s->val = v;
}

/* Hashes the task's queued nodes and gives the root of its summary s. */
static bytes32 task_root(worker_ctx *w, const trie_sum *s) {
    child_ref c = {.kind = CH_EMPTY};
    if (s->kind != SUM_EMPTY) c = sum_child(s, 0, &w->scratch, &w->defer);
    hash_defer_flush(&w->defer);
    hash_defer_resolve(&w->defer, &c.ref);
    hash_defer_reset(&w->defer);
    return s->kind == SUM_EMPTY ? EMPTY_TRIE_ROOT : root_from_ref(&c.ref);
}

static void run_phase1(void *arg, size_t i, unsigned worker) {
    run_ctx *r = arg;
    if (atomic_load_explicit(&r->failed, memory_order_relaxed)) return;
    worker_ctx *w = &r->workers[worker];
    const task *t = &r->tasks[i];
    trie_job *job = &r->jobs[t->job];
    walk_ctx c = walk_for(r, w, t->job);
    uint8_t path[TRIE_NIBBLES];
    memcpy(path, t->prefix, t->plen);
    trie_sum s;
    /* a job without changes may have none allocated (NULL) */
    bool ok = walk(&c, path, t->plen, t->n ? job->changes + t->lo : NULL, t->n, &s);
    if (ok && r->split[t->job] == 0) {
        job->root = task_root(w, &s);
    } else if (ok) {
        hash_defer_flush(&w->defer);
        hash_defer_resolve(&w->defer, &s.ref);
        hash_defer_reset(&w->defer);
        copy_to_keep(w, &s);
        r->memo[t->job][memo_index(t->prefix, t->plen)] = s;
    } else {
        hash_defer_reset(&w->defer);
    }
    trie_arena_free(&w->tmp);
    if (!ok) atomic_store(&r->failed, true);
}

static void run_phase2(void *arg, size_t i, unsigned worker) {
    run_ctx *r = arg;
    if (atomic_load_explicit(&r->failed, memory_order_relaxed)) return;
    worker_ctx *w = &r->workers[worker];
    size_t j = r->phase2[i];
    trie_job *job = &r->jobs[j];
    walk_ctx c = walk_for(r, w, j);
    c.memo = r->memo[j];
    uint8_t path[TRIE_NIBBLES];
    trie_sum s;
    if (walk(&c, path, 0, job->changes, job->n_changes, &s)) {
        job->root = task_root(w, &s);
    } else {
        hash_defer_reset(&w->defer);
        atomic_store(&r->failed, true);
    }
    trie_arena_free(&w->tmp);
}

static int cmp_change(const void *a, const void *b) {
    return memcmp(((const trie_change *)a)->key.b, ((const trie_change *)b)->key.b, 32);
}

void trie_changes_sort(trie_change *changes, size_t n) {
    if (n > 1) qsort(changes, n, sizeof *changes, cmp_change);
}

static int cmp_task_size(const void *a, const void *b) {
    size_t x = ((const task *)a)->n, y = ((const task *)b)->n;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

/* Splits job j into tasks (one per prefix with changes, or one in all). */
static void plan_job(run_ctx *r, size_t j, unsigned threads) {
    trie_job *job = &r->jobs[j];
    size_t n = job->n_changes, s = 0;
    if (threads > 1 && n >= r->split_min) s = n >= SPLIT2_MIN ? 2 : 1;
    r->split[j] = s;
    if (s == 0) {
        r->tasks[r->n_tasks++] = (task){.job = j, .lo = 0, .n = n};
        return;
    }
    r->memo[j] = xcalloc((size_t)1 << (4 * s), sizeof(trie_sum));
    r->phase2[r->n_phase2++] = j;
    for (size_t lo = 0; lo < n;) {
        const uint8_t *key = job->changes[lo].key.b;
        task t = {.job = j, .plen = (uint8_t)s, .lo = lo};
        for (size_t d = 0; d < s; d++) t.prefix[d] = (uint8_t)key_nibble(key, d);
        size_t hi = lo + 1;
        while (hi < n && key_has_prefix(job->changes[hi].key.b, t.prefix, s)) hi++;
        t.n = hi - lo;
        r->tasks[r->n_tasks++] = t;
        lo = hi;
    }
}

const char *trie_update_roots(const trie_store *store, task_pool *pool, trie_job *jobs,
                              size_t n_jobs, trie_updates *out) {
    return trie_update_roots_split(store, pool, jobs, n_jobs, TRIE_SPLIT_MIN, out);
}

const char *trie_update_roots_split(const trie_store *store, task_pool *pool, trie_job *jobs,
                                    size_t n_jobs, size_t split_min, trie_updates *out) {
    size_t total_tasks = 0;
    for (size_t j = 0; j < n_jobs; j++) {
        const trie_job *job = &jobs[j];
        for (size_t i = 1; i < job->n_changes; i++)
            if (memcmp(job->changes[i - 1].key.b, job->changes[i].key.b, 32) >= 0)
                return "trie changes not sorted or not distinct";
        total_tasks += job->n_changes ? job->n_changes : 1;
    }
    unsigned threads = pool ? task_pool_threads(pool) : 1;
    run_ctx r = {.store = store, .jobs = jobs, .split_min = split_min ? split_min : 1};
    r.split = xcalloc(n_jobs, sizeof *r.split);
    r.memo = xcalloc(n_jobs, sizeof *r.memo);
    r.phase2 = xcalloc(n_jobs, sizeof *r.phase2);
    r.tasks = xcalloc(total_tasks < 256 * n_jobs ? total_tasks : 256 * n_jobs, sizeof *r.tasks);
    r.workers = xcalloc(threads, sizeof *r.workers);
    for (unsigned i = 0; i < threads; i++) {
        r.workers[i].store = store;
        sb_init(&r.workers[i].sb, NULL);
        r.workers[i].sb.defer = &r.workers[i].defer;
    }
    for (size_t j = 0; j < n_jobs; j++) plan_job(&r, j, threads);
    qsort(r.tasks, r.n_tasks, sizeof *r.tasks, cmp_task_size);

    if (pool) {
        task_pool_run(pool, r.n_tasks, run_phase1, &r);
        task_pool_run(pool, r.n_phase2, run_phase2, &r);
    } else {
        for (size_t i = 0; i < r.n_tasks; i++) run_phase1(&r, i, 0);
        for (size_t i = 0; i < r.n_phase2; i++) run_phase2(&r, i, 0);
    }

    const char *err = NULL;
    for (unsigned i = 0; i < threads; i++) {
        worker_ctx *w = &r.workers[i];
        if (!err) err = w->err;
        trie_updates_move(out, &w->out);
        trie_updates_free(&w->out);
        if (w->rd) store->ops->close(w->rd);
        trie_arena_free(&w->keep);
        trie_arena_free(&w->tmp);
        sb_free(&w->sb);
        buf_free(&w->scratch);
        hash_defer_free(&w->defer);
    }
    if (!err && atomic_load(&r.failed)) err = "trie engine failed";
    for (size_t j = 0; j < n_jobs; j++) free(r.memo[j]);
    free(r.memo);
    free(r.split);
    free(r.phase2);
    free(r.tasks);
    free(r.workers);
    return err;
}
