/* An in-memory trie store (trie_store.h): leaves and branch records in two
 * sorted arrays. Writes go to a pending list that trie_mem_store_store()
 * sorts and merges in (latest write per key wins), so a batch of n writes
 * costs O(size + n log n) rather than a shifting insert each.
 *
 * Keys: [0][key or path] for the account trie, [1][owner][key or path] for
 * a storage trie; the byte order of these keys is the path order. */
#include <stdlib.h>

#include "parevm/trie_store.h"

enum { MAX_KEY = 1 + 32 + TRIE_NIBBLES };

typedef struct {
    uint8_t key[MAX_KEY];
    uint8_t klen;
    uint8_t *val; /* NULL in a pending entry: delete */
    size_t vlen;
    size_t seq;   /* pending: order of the write */
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} table;

struct trie_mem_store {
    table leaves, records;
    table pend_leaves, pend_records;
    size_t seq;
};

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static int cmp_key(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static int cmp_pending(const void *x, const void *y) {
    const entry *a = x, *b = y;
    int c = cmp_key(a->key, a->klen, b->key, b->klen);
    if (c) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void push(table *t, const entry *e) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->e = xrealloc(t->e, t->cap * sizeof *t->e);
    }
    t->e[t->n++] = *e;
}

static void table_free(table *t) {
    for (size_t i = 0; i < t->n; i++) free(t->e[i].val);
    free(t->e);
    memset(t, 0, sizeof *t);
}

static size_t make_key(uint8_t *k, const bytes32 *owner, const uint8_t *tail, size_t len) {
    size_t n = 0;
    k[n++] = owner ? 1 : 0;
    if (owner) {
        memcpy(k + n, owner->b, 32);
        n += 32;
    }
    if (len) memcpy(k + n, tail, len);
    return n + len;
}

static void pend(trie_mem_store *m, table *t, const bytes32 *owner, const uint8_t *tail, size_t len,
                 const uint8_t *val, size_t vlen) {
    entry e = {.seq = m->seq++};
    e.klen = (uint8_t)make_key(e.key, owner, tail, len);
    if (val) {
        e.val = xrealloc(NULL, vlen);
        memcpy(e.val, val, vlen);
        e.vlen = vlen;
    }
    push(t, &e);
}

/* Merges the pending writes into the sorted table. */
static void merge(table *t, table *p) {
    if (!p->n) return;
    qsort(p->e, p->n, sizeof *p->e, cmp_pending);
    table out = {0};
    size_t i = 0, j = 0;
    while (i < t->n || j < p->n) {
        int c = i == t->n ? 1 : j == p->n ? -1 : cmp_key(t->e[i].key, t->e[i].klen, p->e[j].key, p->e[j].klen);
        if (c < 0) {
            push(&out, &t->e[i++]);
            continue;
        }
        if (c == 0) free(t->e[i++].val);
        /* the last pending write of this key wins */
        size_t last = j;
        while (last + 1 < p->n && cmp_key(p->e[last + 1].key, p->e[last + 1].klen, p->e[j].key, p->e[j].klen) == 0)
            last++;
        for (size_t x = j; x < last; x++) free(p->e[x].val);
        if (p->e[last].val) push(&out, &p->e[last]);
        j = last + 1;
    }
    free(t->e);
    *t = out;
    free(p->e);
    memset(p, 0, sizeof *p);
}

trie_mem_store *trie_mem_store_new(void) {
    trie_mem_store *m = calloc(1, sizeof *m);
    if (!m) abort();
    return m;
}

void trie_mem_store_free(trie_mem_store *m) {
    if (!m) return;
    table_free(&m->leaves);
    table_free(&m->records);
    table_free(&m->pend_leaves);
    table_free(&m->pend_records);
    free(m);
}

void trie_mem_store_set_leaf(trie_mem_store *m, const bytes32 *owner, const bytes32 *key,
                             const uint8_t *val, size_t len) {
    pend(m, &m->pend_leaves, owner, key->b, 32, len ? val : NULL, len);
}

static void drop_owner(table *t, const bytes32 *owner) {
    uint8_t pre[33];
    size_t pl = make_key(pre, owner, NULL, 0);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].klen >= pl && memcmp(t->e[i].key, pre, pl) == 0)
            free(t->e[i].val);
        else
            t->e[w++] = t->e[i];
    }
    t->n = w;
}

void trie_mem_store_wipe(trie_mem_store *m, const bytes32 *owner) {
    merge(&m->leaves, &m->pend_leaves);
    merge(&m->records, &m->pend_records);
    drop_owner(&m->leaves, owner);
    drop_owner(&m->records, owner);
}

void trie_mem_store_apply(trie_mem_store *m, const trie_updates *u) {
    size_t pos = 0;
    trie_update up;
    while (trie_updates_next(u, &pos, &up))
        pend(m, &m->pend_records, up.has_owner ? &up.owner : NULL, up.path, up.path_len,
             up.del ? NULL : up.rec, up.rec_len);
}

size_t trie_mem_store_records(trie_mem_store *m) { return m->records.n; }

/* ---- Readers ---- */

typedef struct {
    const trie_mem_store *m;
    size_t leaf;          /* index of the last leaf returned */
    uint8_t prefix[33];   /* its trie's key prefix */
    size_t plen;
} mem_reader;

/* Index of the first entry >= key. */
static size_t lower_bound(const table *t, const uint8_t *key, size_t klen) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(t->e[mid].key, t->e[mid].klen, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool has_prefix(const entry *e, const uint8_t *pre, size_t pl) {
    return e->klen >= pl && memcmp(e->key, pre, pl) == 0;
}

static int mem_branch_seek(void *rd, const bytes32 *owner, const uint8_t *path, size_t len,
                           uint8_t found[TRIE_NIBBLES], size_t *found_len, byte_span *rec,
                           const char **err) {
    const mem_reader *r = rd;
    uint8_t k[MAX_KEY], pre[33];
    size_t kl = make_key(k, owner, path, len), pl = make_key(pre, owner, NULL, 0);
    const table *t = &r->m->records;
    size_t i = lower_bound(t, k, kl);
    if (i == t->n || !has_prefix(&t->e[i], pre, pl)) return 0;
    size_t fl = t->e[i].klen - pl;
    if (fl > TRIE_NIBBLES) {
        *err = "trie record path too long";
        return -1;
    }
    memcpy(found, t->e[i].key + pl, fl);
    *found_len = fl;
    *rec = (byte_span){t->e[i].val, t->e[i].vlen};
    return 1;
}

static int leaf_at(mem_reader *r, size_t i, bytes32 *key, byte_span *val) {
    const table *t = &r->m->leaves;
    r->leaf = i;
    if (i >= t->n || !has_prefix(&t->e[i], r->prefix, r->plen) || t->e[i].klen != r->plen + 32) return 0;
    memcpy(key->b, t->e[i].key + r->plen, 32);
    *val = (byte_span){t->e[i].val, t->e[i].vlen};
    return 1;
}

static int mem_leaf_seek(void *rd, const bytes32 *owner, const bytes32 *from, bytes32 *key,
                         byte_span *val, const char **err) {
    mem_reader *r = rd;
    uint8_t k[MAX_KEY];
    size_t kl = make_key(k, owner, from->b, 32);
    r->plen = make_key(r->prefix, owner, NULL, 0);
    return leaf_at(r, lower_bound(&r->m->leaves, k, kl), key, val);
}

static int mem_leaf_next(void *rd, bytes32 *key, byte_span *val, const char **err) {
    mem_reader *r = rd;
    return leaf_at(r, r->leaf + 1, key, val);
}

static void mem_close(void *rd) { free(rd); }

static void *mem_open(void *ctx, const char **err) {
    mem_reader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->m = ctx;
    return r;
}

static const trie_reader_ops mem_ops = {mem_branch_seek, mem_leaf_seek, mem_leaf_next, mem_close};

trie_store trie_mem_store_store(trie_mem_store *m) {
    merge(&m->leaves, &m->pend_leaves);
    merge(&m->records, &m->pend_records);
    return (trie_store){&mem_ops, mem_open, m};
}
