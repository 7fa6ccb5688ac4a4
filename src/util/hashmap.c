/* Open-addressing maps (linear probing, backward-shift deletion) for
 * addresses and 256-bit words. Load factor is kept at or below 1/2. */
#include "parevm/hashmap.h"
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) abort();
    return p;
}

/* What every map shares, generated per key type: the probe to k's slot
 * (or the empty slot where it would go), growth, deletion by backward shift
 * (later entries of the probe run move into the gap), clear and free. */
#define DEFINE_MAP_CORE(map, entry, key_t, hash, eq)                                  \
    static size_t map##_slot(const map *m, const key_t *k) {                          \
        size_t mask = m->cap - 1, i = hash(k) & mask;                                 \
        while (m->e[i].used && !eq(&m->e[i].key, k)) i = (i + 1) & mask;              \
        return i;                                                                     \
    }                                                                                 \
    /* a table of cap slots (a power of two), every entry re-slotted */              \
    static void map##_resize(map *m, size_t cap) {                                    \
        entry *old = m->e;                                                            \
        size_t ocap = m->cap;                                                         \
        m->cap = cap;                                                                 \
        m->e = xcalloc(m->cap, sizeof *m->e);                                         \
        for (size_t i = 0; i < ocap; i++)                                             \
            if (old[i].used) m->e[map##_slot(m, &old[i].key)] = old[i];               \
        free(old);                                                                    \
    }                                                                                 \
    /* doubles the table (or allocates `initial` slots) */                            \
    static void map##_grow(map *m, size_t initial) {                                  \
        map##_resize(m, m->cap ? m->cap * 2 : initial);                               \
    }                                                                                 \
    void map##_reserve(map *m, size_t more) {                                         \
        size_t cap = m->cap ? m->cap : 8;                                             \
        while (cap < 2 * (m->n + more)) cap *= 2;                                     \
        if (cap > m->cap) map##_resize(m, cap);                                       \
    }                                                                                 \
    bool map##_del(map *m, const key_t *k) {                                          \
        if (!m->cap) return false;                                                    \
        size_t mask = m->cap - 1, i = map##_slot(m, k);                               \
        if (!m->e[i].used) return false;                                              \
        for (size_t j = (i + 1) & mask; m->e[j].used; j = (j + 1) & mask) {           \
            size_t home = hash(&m->e[j].key) & mask;                                  \
            if (((j - home) & mask) >= ((j - i) & mask)) {                            \
                m->e[i] = m->e[j];                                                    \
                i = j;                                                                \
            }                                                                         \
        }                                                                             \
        m->e[i].used = false;                                                         \
        m->n--;                                                                       \
        return true;                                                                  \
    }                                                                                 \
    void map##_clear(map *m) {                                                        \
        if (m->n) memset(m->e, 0, m->cap * sizeof *m->e);                             \
        m->n = 0;                                                                     \
    }                                                                                 \
    void map##_free(map *m) {                                                         \
        free(m->e);                                                                   \
        memset(m, 0, sizeof *m);                                                      \
    }

/* ---- address -> uint32 ---- */

DEFINE_MAP_CORE(addr_map, addr_map_entry, address, hash_address, address_eq)

bool addr_map_get(const addr_map *m, const address *k, uint32_t *val) {
    if (!m->cap) return false;
    const addr_map_entry *e = &m->e[addr_map_slot(m, k)];
    if (!e->used) return false;
    *val = e->val;
    return true;
}

void addr_map_put(addr_map *m, const address *k, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap) addr_map_grow(m, 16);
    addr_map_entry *e = &m->e[addr_map_slot(m, k)];
    if (!e->used) {
        e->key = *k;
        e->used = true;
        m->n++;
    }
    e->val = val;
}

/* ---- u256 -> u256 ---- */

DEFINE_MAP_CORE(word_map, word_map_entry, u256, hash_u256, u256_eq)

const u256 *word_map_get(const word_map *m, const u256 *k) {
    if (!m->cap) return NULL;
    const word_map_entry *e = &m->e[word_map_slot(m, k)];
    return e->used ? &e->val : NULL;
}

void word_map_put(word_map *m, const u256 *k, const u256 *val) {
    if ((m->n + 1) * 2 > m->cap) word_map_grow(m, 8);
    word_map_entry *e = &m->e[word_map_slot(m, k)];
    if (!e->used) {
        e->key = *k;
        e->used = true;
        m->n++;
    }
    e->val = *val;
}

void addr_map_clone(addr_map *dst, const addr_map *src) {
    memset(dst, 0, sizeof *dst);
    if (!src->cap) return;
    dst->e = xcalloc(src->cap, sizeof *dst->e);
    memcpy(dst->e, src->e, src->cap * sizeof *dst->e);
    dst->cap = src->cap;
    dst->n = src->n;
}

bool word_map_clone(word_map *dst, const word_map *src) {
    memset(dst, 0, sizeof *dst);
    if (!src->cap) return true;
    dst->e = xcalloc(src->cap, sizeof *dst->e);
    memcpy(dst->e, src->e, src->cap * sizeof *dst->e);
    dst->cap = src->cap;
    dst->n = src->n;
    return true;
}
