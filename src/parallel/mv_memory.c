/* Multi-version memory (see mv_memory.h). */
#include "mv_memory.h"
#include <stdalign.h>
#include <stdlib.h>
#include "parevm/hashmap.h"

/* 128 bytes a cell, two cache lines: cells are handed out in order of
 * first write, so neighbours are mostly written by different workers; at
 * 80 bytes they shared cache lines, and every lock and write bounced them
 * between cores. The first line is what lookups and validations read and
 * is written once per block (and min_tx rarely); the second is what the
 * lock guards, with room for one version: most locations have one writer
 * in a block, and a version list of its own was one more cache miss (and a
 * malloc the first time) per write. */
struct mv_cell {
    alignas(64) location loc;
    uint32_t slot_pos;        /* its entry in the index, for mv_reset */
    _Atomic uint32_t min_tx;  /* at most the lowest tx with a version (UINT32_MAX: none yet) */
    alignas(64) atomic_flag lock;
    uint32_t n, cap;
    mv_version *v; /* sorted by tx: &one (cap 1), a heap array, or NULL (cap 0) */
    mv_version one;
};
_Static_assert(sizeof(struct mv_cell) == 128, "two cache lines a cell");

static bool inline_versions(const mv_cell *c) { return c->v == &c->one; }

/* Index entries: 0 empty, CLAIMING while a cell is being set up, else
 * (hash tag << 32) | (cell + 1). The index is 8 bytes an entry so that the
 * probes of a lookup stay in cache; cells are handed out densely. */
#define CLAIMING UINT64_MAX

uint64_t location_hash(const location *loc) {
    uint64_t h = hash_address(&loc->addr) ^ hash_mix64(loc->kind + 0x9e3779b97f4a7c15ULL);
    if (loc->kind == LOC_STORAGE) h ^= hash_u256(&loc->slot);
    return h;
}

static bool loc_eq(const location *a, const location *b) {
    return a->kind == b->kind && address_eq(&a->addr, &b->addr) &&
           (a->kind != LOC_STORAGE || u256_eq(&a->slot, &b->slot));
}

static size_t index_cap_for(size_t cells) {
    size_t cap = 1024;
    while (cap / 4 * 3 < cells) cap *= 2;
    return cap;
}

/* n zeroed cells on cache-line boundaries (calloc: zero pages, untouched
 * cells cost nothing; a zero atomic_flag is clear, version buffers NULL
 * until used). *raw is what to free. NULL if out of memory. */
static mv_cell *alloc_cells(size_t n, void **raw) {
    *raw = calloc(n * sizeof(mv_cell) + 64, 1);
    if (!*raw) return NULL;
    return (mv_cell *)(((uintptr_t)*raw + 63) & ~(uintptr_t)63);
}

/* The filter's bit for a location hash (other bits than the index slot's). */
static inline size_t filter_bit(const mv_memory *m, uint64_t h) { return (size_t)(h >> 23) & m->filter_mask; }

static inline bool filter_test(const mv_memory *m, uint64_t h) {
    size_t b = filter_bit(m, h);
    return atomic_load_explicit(&m->filter[b / 64], memory_order_relaxed) & (1ULL << (b % 64));
}

static inline void filter_set(mv_memory *m, uint64_t h) {
    size_t b = filter_bit(m, h);
    if (!(atomic_load_explicit(&m->filter[b / 64], memory_order_relaxed) & (1ULL << (b % 64))))
        atomic_fetch_or_explicit(&m->filter[b / 64], 1ULL << (b % 64), memory_order_relaxed);
}

/* 4 filter bits per index entry, in 64-bit words. */
static size_t filter_words(size_t cap) { return cap * 4 / 64; }

bool mv_init(mv_memory *m, size_t cells) {
    memset(m, 0, sizeof *m);
    size_t cap = index_cap_for(cells);
    m->index = calloc(cap, sizeof *m->index);
    m->cells = alloc_cells(cap / 4 * 3, &m->cells_raw);
    m->filter = calloc(filter_words(cap), sizeof *m->filter);
    if (!m->index || !m->cells || !m->filter) {
        free(m->index);
        free(m->cells_raw);
        free(m->filter);
        memset(m, 0, sizeof *m);
        return false;
    }
    m->filter_mask = cap * 4 - 1;
    m->cap = cap;
    m->max_cells = cap / 4 * 3;
    atomic_init(&m->used, 0);
    atomic_init(&m->claimed, 0);
    return true;
}

void mv_free(mv_memory *m) {
    if (!m->cells) return;
    for (size_t i = 0; i < m->max_cells; i++)
        if (!inline_versions(&m->cells[i])) free(m->cells[i].v);
    free(m->cells_raw);
    free(m->index);
    free(m->filter);
    memset(m, 0, sizeof *m);
}

void mv_reset(mv_memory *m) {
    size_t used = atomic_load(&m->used);
    /* a cell is set up anew when handed out again: only the index entries
     * go, one by one for a few cells, else all at once (the cells of a
     * large block are many cold lines; the index is one sequential write) */
    if (used * 16 < m->cap) {
        for (size_t k = 0; k < used; k++)
            atomic_store_explicit(&m->index[m->cells[k].slot_pos], 0, memory_order_relaxed);
    } else {
        memset((void *)m->index, 0, m->cap * sizeof *m->index);
    }
    if (used) memset(m->filter, 0, filter_words(m->cap) * sizeof *m->filter);
    atomic_store(&m->used, 0);
    atomic_store(&m->claimed, 0);
}

bool mv_reserve(mv_memory *m, size_t n) {
    size_t before = atomic_fetch_add_explicit(&m->claimed, n, memory_order_relaxed);
    if (before + n <= m->max_cells) return true;
    atomic_fetch_sub_explicit(&m->claimed, n, memory_order_relaxed);
    return false;
}

void mv_unreserve(mv_memory *m, size_t n, size_t created) {
    if (n > created) atomic_fetch_sub_explicit(&m->claimed, n - created, memory_order_relaxed);
}

static void index_insert(_Atomic uint64_t *index, size_t cap, mv_cell *c, size_t k) {
    uint64_t h = location_hash(&c->loc);
    size_t mask = cap - 1, i = h & mask;
    while (atomic_load_explicit(&index[i], memory_order_relaxed)) i = (i + 1) & mask;
    atomic_store_explicit(&index[i], ((h >> 32) | 1) << 32 | (k + 1), memory_order_relaxed);
    c->slot_pos = (uint32_t)i;
}

bool mv_grow(mv_memory *m, size_t extra) {
    size_t claimed = atomic_load(&m->claimed), used = atomic_load(&m->used);
    size_t cap = index_cap_for(claimed + extra);
    if (cap < 2 * m->cap) cap = 2 * m->cap; /* doubling keeps growth rare */
    size_t max_cells = cap / 4 * 3;
    _Atomic uint64_t *index = calloc(cap, sizeof *index);
    _Atomic uint64_t *filter = calloc(filter_words(cap), sizeof *filter);
    void *raw = NULL;
    mv_cell *cells = index && filter ? alloc_cells(max_cells, &raw) : NULL;
    if (!cells) {
        free(index);
        free(filter);
        return false;
    }
    memcpy(cells, m->cells, m->max_cells * sizeof *cells); /* the version buffers move with them */
    for (size_t k = 0; k < m->max_cells; k++)
        if (inline_versions(&m->cells[k])) cells[k].v = &cells[k].one;
    free(m->cells_raw);
    m->cells_raw = raw;
    free(m->index);
    free(m->filter);
    m->index = index;
    m->filter = filter;
    m->filter_mask = cap * 4 - 1;
    m->cells = cells;
    m->cap = cap;
    m->max_cells = max_cells;
    for (size_t k = 0; k < used; k++) {
        index_insert(index, cap, &cells[k], k);
        filter_set(m, location_hash(&cells[k].loc));
    }
    return true;
}

static inline void cell_lock(mv_cell *c) {
    while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire))
        __builtin_ia32_pause();
}
static inline void cell_unlock(mv_cell *c) { atomic_flag_clear_explicit(&c->lock, memory_order_release); }

/* Finds loc's cell; with create (and a reservation), sets one up and counts
 * it in *created. NULL if absent and not created. */
static mv_cell *find_cell(mv_memory *m, const location *loc, size_t *created) {
    uint64_t h = location_hash(loc);
    if (!created && !filter_test(m, h)) return NULL;
    uint64_t tag = (h >> 32) | 1; /* never zero: 0 marks an empty entry */
    size_t mask = m->cap - 1;
    /* the index is at most 3/4 full: every probe sequence meets an empty entry */
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t e = atomic_load_explicit(&m->index[i], memory_order_acquire);
        if (e == 0) {
            if (!created) return NULL;
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong_explicit(&m->index[i], &expected, CLAIMING, memory_order_acq_rel,
                                                        memory_order_acquire)) {
                size_t k = atomic_fetch_add_explicit(&m->used, 1, memory_order_relaxed);
                if (k >= m->max_cells) abort(); /* broken invariant: a write without a reservation */
                mv_cell *c = &m->cells[k];
                c->loc = *loc;
                c->n = 0;
                c->slot_pos = (uint32_t)i;
                atomic_store_explicit(&c->min_tx, UINT32_MAX, memory_order_relaxed);
                filter_set(m, h); /* before the entry is published */
                atomic_store_explicit(&m->index[i], tag << 32 | (k + 1), memory_order_release);
                (*created)++;
                return c;
            }
            e = expected; /* someone else claimed it: look at what they wrote */
        }
        while (e == CLAIMING) {
            __builtin_ia32_pause();
            e = atomic_load_explicit(&m->index[i], memory_order_acquire);
        }
        if ((e >> 32) == tag) {
            mv_cell *c = &m->cells[(e & 0xffffffffu) - 1];
            if (loc_eq(&c->loc, loc)) return c;
        }
    }
}

bool mv_written_below(mv_memory *m, const location *loc, uint32_t tx) {
    mv_cell *c = find_cell(m, loc, NULL);
    return c && atomic_load_explicit(&c->min_tx, memory_order_acquire) < tx;
}

mv_read_result mv_read(mv_memory *m, const location *loc, uint32_t reader) {
    mv_read_result r = {.status = MV_BASE};
    mv_cell *c = find_cell(m, loc, NULL);
    /* no version below the reader (a version being inserted now counts as
     * one inserted just after this read): no lock */
    if (!c || atomic_load_explicit(&c->min_tx, memory_order_acquire) >= reader) return r;
    cell_lock(c);
    /* versions are sorted by tx: binary search for the highest below reader */
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c->v[mid].tx < reader) lo = mid + 1;
        else hi = mid;
    }
    /* then down through increments to a full version */
    for (uint32_t k = lo; k-- > 0;) {
        const mv_version *v = &c->v[k];
        if (v->flags & MV_ESTIMATE) {
            r.status = MV_BLOCKED;
            r.blocker = v->tx;
            break;
        }
        if (r.status == MV_BASE) {
            r.status = MV_FOUND;
            r.writer = v->tx;
            r.add_base = true;
        }
        r.value = u256_add(&r.value, &v->value);
        if (!(v->flags & MV_DELTA)) {
            r.add_base = false;
            r.deleted = (v->flags & MV_DELETED) && r.writer == v->tx;
            break;
        }
    }
    cell_unlock(c);
    return r;
}

/* Room for one more version: the cell's own, then the heap. */
static void grow_versions(mv_cell *c) {
    if (c->cap == 0) {
        c->v = &c->one;
        c->cap = 1;
        return;
    }
    uint32_t cap = c->cap < 4 ? 4 : 2 * c->cap;
    mv_version *v = inline_versions(c) ? malloc(cap * sizeof *v) : realloc(c->v, cap * sizeof *v);
    if (!v) abort();
    if (inline_versions(c)) memcpy(v, &c->one, c->n * sizeof *v);
    c->v = v;
    c->cap = cap;
}

/* Inserts or replaces tx's version in c (locked by the caller). */
static bool cell_put(mv_cell *c, uint32_t tx, uint32_t flags, const u256 *value) {
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c->v[mid].tx < tx) lo = mid + 1;
        else hi = mid;
    }
    bool existed = lo < c->n && c->v[lo].tx == tx;
    if (!existed) {
        if (c->n == c->cap) grow_versions(c);
        memmove(&c->v[lo + 1], &c->v[lo], (c->n - lo) * sizeof *c->v);
        c->n++;
    }
    c->v[lo] = (mv_version){tx, flags, *value};
    /* removals leave it low: a stale bound only sends validation the slow way */
    if (tx < atomic_load_explicit(&c->min_tx, memory_order_relaxed))
        atomic_store_explicit(&c->min_tx, tx, memory_order_release);
    return !existed;
}

static void cell_remove(mv_cell *c, uint32_t tx) {
    for (uint32_t i = 0; i < c->n; i++)
        if (c->v[i].tx == tx) {
            memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
            c->n--;
            return;
        }
}

static bool written_in(const mv_write *w, size_t n, const location *loc) {
    for (size_t i = 0; i < n; i++)
        if (loc_eq(&w[i].loc, loc)) return true;
    return false;
}

bool mv_record(mv_memory *m, uint32_t tx, const mv_write *writes, size_t n, const mv_write *prev, size_t n_prev,
               size_t *created) {
    bool new_location = false;
    for (size_t i = 0; i < n; i++) {
        mv_cell *c = find_cell(m, &writes[i].loc, created);
        cell_lock(c);
        bool inserted = cell_put(c, tx, writes[i].flags, &writes[i].value);
        cell_unlock(c);
        if (inserted && !written_in(prev, n_prev, &writes[i].loc)) new_location = true;
    }
    for (size_t i = 0; i < n_prev; i++) {
        if (written_in(writes, n, &prev[i].loc)) continue;
        mv_cell *c = find_cell(m, &prev[i].loc, NULL);
        if (!c) continue;
        cell_lock(c);
        cell_remove(c, tx);
        cell_unlock(c);
    }
    return new_location;
}

void mv_mark_estimates(mv_memory *m, uint32_t tx, const mv_write *writes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        mv_cell *c = find_cell(m, &writes[i].loc, NULL);
        if (!c) continue;
        cell_lock(c);
        for (uint32_t k = 0; k < c->n; k++)
            if (c->v[k].tx == tx) c->v[k].flags |= MV_ESTIMATE;
        cell_unlock(c);
    }
}
