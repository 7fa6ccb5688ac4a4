/* An overlay node store (trie_proof.h): sorted tables of replaced leaves and
 * records in front of a base store. A record seek takes the first base
 * record that the overlay does not replace, and the first record the
 * overlay puts, whichever comes first in path order; leaf iteration merges
 * the base's leaves with the overlay's (the overlay's win, its deletions
 * hide). Keys are [0][key or path] (account trie) and [1][owner][key or
 * path] (storage tries), whose byte order is the path order. A wiped
 * storage trie hides the base's leaves and records of its owner, and the
 * overlay's own entries written before the wipe (by write order). */
#include <stdlib.h>

#include "parevm/trie_proof.h"

enum { KEY_MAX = 1 + 32 + TRIE_NIBBLES };
#define KEY_SHARED SIZE_MAX

typedef struct {
    const uint8_t *key; /* in the table's keys (set when the table is sorted), or shared */
    size_t koff;        /* in the table's keys, or KEY_SHARED: key points into another overlay */
    uint8_t klen;
    bool del;
    size_t seq;      /* write order: the last write of a key wins */
    const uint8_t *ext; /* the value in the caller's memory (shared), or NULL: */
    size_t off, len;    /* the value in the table's bytes */
} ov_entry;

/* Entries [0, n_sorted) are sorted by key, one per key; later puts are
 * sorted on their own and merged in (an overlay that grows block by block
 * pays for what it adds). */
typedef struct {
    ov_entry *e;
    size_t n, cap, n_sorted;
    buf_t keys, bytes;
    bool sorted;
} ov_table;

typedef struct {
    bytes32 owner;
    size_t seq; /* entries written before it are hidden */
} ov_wipe;

struct trie_overlay {
    const trie_store *base;
    ov_table leaves, records;
    ov_wipe *wipes; /* sorted by owner (one per owner, its last) once sorted */
    size_t n_wipes, cap_wipes;
    bool wipes_sorted;
    size_t seq;
};

static int cmp_key(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static int cmp_entry(const void *x, const void *y) {
    const ov_entry *a = x, *b = y;
    int c = cmp_key(a->key, a->klen, b->key, b->klen);
    if (c) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
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

static const uint8_t *entry_value(const ov_table *t, const ov_entry *e) {
    return e->ext ? e->ext : t->bytes.data + e->off;
}

/* shared: val stays valid as long as the overlay (not copied) */
static void table_put(trie_overlay *o, ov_table *t, const bytes32 *owner, const uint8_t *tail, size_t len,
                      const uint8_t *val, size_t vlen, bool del, bool shared) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->e = realloc(t->e, t->cap * sizeof *t->e);
        if (!t->e) abort();
    }
    ov_entry *e = &t->e[t->n++];
    uint8_t k[KEY_MAX];
    e->klen = (uint8_t)make_key(k, owner, tail, len);
    e->koff = t->keys.len;
    buf_append(&t->keys, k, e->klen);
    e->del = del;
    e->seq = o->seq++;
    e->off = t->bytes.len;
    e->len = del ? 0 : vlen;
    e->ext = !del && shared ? val : NULL;
    if (!del && !shared) buf_append(&t->bytes, val, vlen);
    t->sorted = false;
}

static bool same_key(const ov_entry *a, const ov_entry *b) { return cmp_key(a->key, a->klen, b->key, b->klen) == 0; }

/* Sorts by key and keeps each key's last write: the new entries are
 * sorted, then merged with the sorted ones (a new entry replaces an old
 * one of its key). */
static void table_sort(ov_table *t) {
    if (t->sorted) return;
    for (size_t i = 0; i < t->n; i++) /* own keys may have moved */
        if (t->e[i].koff != KEY_SHARED) t->e[i].key = t->keys.data + t->e[i].koff;
    ov_entry *tail = t->e + t->n_sorted;
    size_t nt = t->n - t->n_sorted, w = 0;
    if (nt > 1) qsort(tail, nt, sizeof *tail, cmp_entry);
    for (size_t i = 0; i < nt; i++)
        if (i + 1 == nt || !same_key(&tail[i], &tail[i + 1])) tail[w++] = tail[i];
    nt = w;
    if (t->n_sorted && nt) {
        ov_entry *m = malloc((t->n_sorted + nt) * sizeof *m);
        if (!m) abort();
        size_t a = 0, b = 0, n = 0;
        while (a < t->n_sorted || b < nt) {
            int c = a == t->n_sorted ? 1 : b == nt ? -1 : cmp_key(t->e[a].key, t->e[a].klen, tail[b].key, tail[b].klen);
            if (c == 0) a++; /* replaced by the newer write */
            m[n++] = c < 0 ? t->e[a++] : tail[b++];
        }
        free(t->e);
        t->e = m;
        t->n = t->cap = n;
    } else {
        if (!t->n_sorted) memmove(t->e, tail, nt * sizeof *tail);
        t->n = t->n_sorted + nt;
    }
    t->n_sorted = t->n;
    t->sorted = true;
}

static size_t lower_bound(const ov_table *t, const uint8_t *key, size_t klen) {
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

trie_overlay *trie_overlay_new(const trie_store *base) {
    trie_overlay *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->base = base;
    o->leaves.sorted = o->records.sorted = o->wipes_sorted = true;
    return o;
}

void trie_overlay_free(trie_overlay *o) {
    if (!o) return;
    ov_table *t[2] = {&o->leaves, &o->records};
    for (int i = 0; i < 2; i++) {
        free(t[i]->e);
        buf_free(&t[i]->keys);
        buf_free(&t[i]->bytes);
    }
    free(o->wipes);
    free(o);
}

void trie_overlay_set_leaf(trie_overlay *o, const bytes32 *owner, const bytes32 *key, const uint8_t *val,
                           size_t len) {
    table_put(o, &o->leaves, owner, key->b, 32, val, len, len == 0, false);
}

static void apply_updates(trie_overlay *o, const trie_updates *u, bool shared) {
    ov_table *t = &o->records;
    if (t->cap < t->n + u->count) { /* room for them all at once, and for more */
        t->cap = t->n + u->count > 2 * t->cap ? t->n + u->count : 2 * t->cap;
        t->e = realloc(t->e, t->cap * sizeof *t->e);
        if (!t->e) abort();
    }
    buf_reserve(&t->keys, u->count * KEY_MAX);
    size_t pos = 0;
    trie_update up;
    while (trie_updates_next(u, &pos, &up))
        table_put(o, t, up.has_owner ? &up.owner : NULL, up.path, up.path_len, up.rec, up.rec_len, up.del, shared);
}

void trie_overlay_apply(trie_overlay *o, const trie_updates *u) { apply_updates(o, u, false); }

void trie_overlay_apply_shared(trie_overlay *o, const trie_updates *u) { apply_updates(o, u, true); }

static void table_reserve(ov_table *t, size_t n) {
    if (t->cap >= t->n + n) return;
    t->cap = t->n + n > 2 * t->cap ? t->n + n : 2 * t->cap;
    t->e = realloc(t->e, t->cap * sizeof *t->e);
    if (!t->e) abort();
}

/* src's keys and values are shared, not copied: src outlives t unchanged. */
static void append_table(ov_table *t, const ov_table *src, size_t seq0) {
    table_reserve(t, src->n);
    for (size_t i = 0; i < src->n; i++) {
        const ov_entry *e = &src->e[i];
        ov_entry *d = &t->e[t->n++];
        *d = *e;
        if (e->koff != KEY_SHARED) d->key = src->keys.data + e->koff;
        d->koff = KEY_SHARED;
        d->seq = seq0 + e->seq;
        d->ext = e->del ? NULL : entry_value(src, e);
        d->off = 0;
    }
    if (src->n) t->sorted = false;
}

void trie_overlay_reserve(trie_overlay *o, const trie_overlay *const *src, size_t n) {
    size_t leaves = 0, records = 0;
    for (size_t i = 0; i < n; i++) {
        leaves += src[i]->leaves.n;
        records += src[i]->records.n;
    }
    table_reserve(&o->leaves, leaves);
    table_reserve(&o->records, records);
}

void trie_overlay_apply_overlay(trie_overlay *o, const trie_overlay *src) {
    size_t seq0 = o->seq;
    append_table(&o->leaves, &src->leaves, seq0);
    append_table(&o->records, &src->records, seq0);
    for (size_t i = 0; i < src->n_wipes; i++) {
        trie_overlay_wipe(o, &src->wipes[i].owner);
        o->wipes[o->n_wipes - 1].seq = seq0 + src->wipes[i].seq;
    }
    o->seq = seq0 + src->seq;
}

void trie_overlay_wipe(trie_overlay *o, const bytes32 *owner) {
    if (o->n_wipes == o->cap_wipes) {
        o->cap_wipes = o->cap_wipes ? 2 * o->cap_wipes : 16;
        o->wipes = realloc(o->wipes, o->cap_wipes * sizeof *o->wipes);
        if (!o->wipes) abort();
    }
    o->wipes[o->n_wipes++] = (ov_wipe){*owner, o->seq++};
    o->wipes_sorted = false;
}

static int cmp_wipe(const void *x, const void *y) {
    const ov_wipe *a = x, *b = y;
    int c = memcmp(a->owner.b, b->owner.b, 32);
    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sorts by owner and keeps each owner's last wipe. */
static void wipes_sort(trie_overlay *o) {
    if (o->wipes_sorted) return;
    if (o->n_wipes > 1) qsort(o->wipes, o->n_wipes, sizeof *o->wipes, cmp_wipe);
    size_t w = 0;
    for (size_t i = 0; i < o->n_wipes; i++) {
        if (i + 1 < o->n_wipes && bytes32_eq(&o->wipes[i].owner, &o->wipes[i + 1].owner)) continue;
        o->wipes[w++] = o->wipes[i];
    }
    o->n_wipes = w;
    o->wipes_sorted = true;
}

/* The write order before which owner's entries are hidden (0: none), and
 * whether the base's are. */
static size_t wiped_before(const trie_overlay *o, const bytes32 *owner, bool *hide_base) {
    *hide_base = false;
    if (!owner || !o->n_wipes) return 0;
    size_t lo = 0, hi = o->n_wipes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(o->wipes[mid].owner.b, owner->b, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == o->n_wipes || !bytes32_eq(&o->wipes[lo].owner, owner)) return 0;
    *hide_base = true;
    return o->wipes[lo].seq;
}

/* ---- Readers ---- */

typedef struct {
    const trie_overlay *o;
    void *base;
    uint8_t rec_path[TRIE_NIBBLES]; /* a record the reader returns from the base */
    buf_t rec;
    /* leaf iteration: the trie's key prefix, the base's current leaf (copied),
     * the next overlay entry, and the leaf last returned */
    uint8_t prefix[33];
    size_t plen;
    bool base_valid, base_advance;
    bytes32 base_key;
    buf_t base_val;
    size_t ov;
    bytes32 cur_key;
    buf_t cur_val;
    size_t hidden_before; /* the iterated trie's wipe (wiped_before) */
} ov_reader;

/* An entry the trie's wipe hides, or a deletion: no value. */
static bool entry_absent(const ov_entry *e, size_t hidden_before) { return e->del || e->seq < hidden_before; }

static const ov_entry *entry_of(const ov_table *t, size_t i, const uint8_t *prefix, size_t plen) {
    if (i >= t->n || t->e[i].klen < plen || memcmp(t->e[i].key, prefix, plen) != 0) return NULL;
    return &t->e[i];
}

static int ov_branch_seek(void *rd, const bytes32 *owner, const uint8_t *path, size_t len,
                          uint8_t found[TRIE_NIBBLES], size_t *found_len, byte_span *rec, const char **err) {
    ov_reader *r = rd;
    const ov_table *t = &r->o->records;
    uint8_t pre[33], k[KEY_MAX];
    size_t pl = make_key(pre, owner, NULL, 0);
    bool hide_base;
    size_t hidden_before = wiped_before(r->o, owner, &hide_base);
    /* the overlay's first put record at or after path */
    size_t kl = make_key(k, owner, path, len), i = lower_bound(t, k, kl);
    const ov_entry *e;
    while ((e = entry_of(t, i, pre, pl)) && entry_absent(e, hidden_before)) i++;
    /* one at path itself comes first whatever the base holds: most seeks
     * of a walk over rounds or unwritten blocks end here, without a base
     * seek (each of which, through stacked overlays, is a B-tree search) */
    bool exact = e && e->klen == kl && memcmp(e->key, k, kl) == 0;
    /* else the base's first record that the overlay does not replace; one
     * the overlay replaces with a record ends the search too (e comes no
     * later than it) */
    uint8_t q[TRIE_NIBBLES + 1], bpath[TRIE_NIBBLES];
    size_t qlen = len, blen = 0;
    if (len) memcpy(q, path, len);
    int br = 0;
    while (!hide_base && !exact) {
        byte_span raw;
        br = r->o->base->ops->branch_seek(r->base, owner, q, qlen, bpath, &blen, &raw, err);
        if (br <= 0) break;
        if (blen >= TRIE_NIBBLES) {
            *err = "corrupt trie record: path too long";
            return -1;
        }
        uint8_t bk[KEY_MAX];
        size_t bkl = make_key(bk, owner, bpath, blen), b = lower_bound(t, bk, bkl);
        if (b < t->n && cmp_key(t->e[b].key, t->e[b].klen, bk, bkl) == 0) { /* replaced */
            if (!entry_absent(&t->e[b], hidden_before)) {
                br = 0; /* e lies at or before bpath */
                break;
            }
            memcpy(q, bpath, blen);
            q[blen] = 0; /* the first path after bpath */
            qlen = blen + 1;
            continue;
        }
        buf_clear(&r->rec);
        buf_append(&r->rec, raw.data, raw.len);
        break;
    }
    if (br < 0) return -1;
    if (e && (br == 0 || cmp_key(e->key + pl, e->klen - pl, bpath, blen) < 0)) {
        *found_len = e->klen - pl;
        memcpy(found, e->key + pl, *found_len);
        *rec = (byte_span){entry_value(t, e), e->len};
        return 1;
    }
    if (br == 0) return 0;
    memcpy(found, bpath, blen);
    *found_len = blen;
    *rec = (byte_span){r->rec.data, r->rec.len};
    return 1;
}

static int base_copy(ov_reader *r, int rc, const bytes32 *key, byte_span val) {
    r->base_valid = rc == 1;
    if (rc == 1) {
        r->base_key = *key;
        buf_clear(&r->base_val);
        buf_append(&r->base_val, val.data, val.len);
    }
    return rc;
}

/* The next leaf of the merged iteration. */
static int leaf_merged(ov_reader *r, bytes32 *key, byte_span *val, const char **err) {
    const ov_table *t = &r->o->leaves;
    for (;;) {
        if (r->base_advance) {
            r->base_advance = false;
            bytes32 k;
            byte_span v;
            if (base_copy(r, r->o->base->ops->leaf_next(r->base, &k, &v, err), &k, v) < 0) return -1;
        }
        const ov_entry *e = entry_of(t, r->ov, r->prefix, r->plen);
        if (e && e->klen != r->plen + 32) e = NULL; /* not a leaf key */
        if (!r->base_valid && !e) return 0;
        int c = !r->base_valid ? 1 : !e ? -1 : memcmp(r->base_key.b, e->key + r->plen, 32);
        if (c <= 0) r->base_advance = true; /* the base's leaf is returned or replaced */
        if (c < 0) {
            r->cur_key = r->base_key;
            buf_clear(&r->cur_val);
            buf_append(&r->cur_val, r->base_val.data, r->base_val.len);
        } else {
            r->ov++;
            if (entry_absent(e, r->hidden_before)) continue;
            memcpy(r->cur_key.b, e->key + r->plen, 32);
            buf_clear(&r->cur_val);
            buf_append(&r->cur_val, entry_value(t, e), e->len);
        }
        *key = r->cur_key;
        *val = (byte_span){r->cur_val.data, r->cur_val.len};
        return 1;
    }
}

static int ov_leaf_seek(void *rd, const bytes32 *owner, const bytes32 *from, bytes32 *key, byte_span *val,
                        const char **err) {
    ov_reader *r = rd;
    bytes32 k;
    byte_span v;
    r->base_advance = false;
    bool hide_base;
    r->hidden_before = wiped_before(r->o, owner, &hide_base);
    r->base_valid = false;
    if (!hide_base && base_copy(r, r->o->base->ops->leaf_seek(r->base, owner, from, &k, &v, err), &k, v) < 0)
        return -1;
    r->plen = make_key(r->prefix, owner, NULL, 0);
    uint8_t full[KEY_MAX];
    size_t kl = make_key(full, owner, from->b, 32);
    r->ov = lower_bound(&r->o->leaves, full, kl);
    return leaf_merged(r, key, val, err);
}

static int ov_leaf_next(void *rd, bytes32 *key, byte_span *val, const char **err) {
    return leaf_merged(rd, key, val, err);
}

static void ov_close(void *rd) {
    ov_reader *r = rd;
    if (!r) return;
    if (r->base) r->o->base->ops->close(r->base);
    buf_free(&r->rec);
    buf_free(&r->base_val);
    buf_free(&r->cur_val);
    free(r);
}

static void *ov_open(void *ctx, const char **err) {
    const trie_overlay *o = ctx;
    ov_reader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->o = o;
    r->base = o->base->open(o->base->ctx, err);
    if (!r->base) {
        free(r);
        return NULL;
    }
    return r;
}

static const trie_reader_ops ov_ops = {ov_branch_seek, ov_leaf_seek, ov_leaf_next, ov_close};

trie_store trie_overlay_store(trie_overlay *o) {
    table_sort(&o->leaves);
    table_sort(&o->records);
    wipes_sort(o);
    return (trie_store){&ov_ops, ov_open, o};
}
