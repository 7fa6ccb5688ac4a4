/* Open-addressing maps (linear probing, backward-shift deletion) for
 * addresses and 256-bit words. Load factor is kept at or below 1/2. */
#include "parevm/hashmap.h"
#include <stdlib.h>

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) abort();
    return p;
}

/* ---- address -> uint32 ---- */

static void addr_map_grow(addr_map *m) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    addr_map_entry *old = m->e;
    size_t ocap = m->cap;
    m->e = xcalloc(ncap, sizeof *m->e);
    m->cap = ncap;
    m->n = 0;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].used) addr_map_put(m, &old[i].key, old[i].val);
    free(old);
}

bool addr_map_get(const addr_map *m, const address *k, uint32_t *val) {
    if (!m->cap) return false;
    size_t mask = m->cap - 1;
    for (size_t i = hash_address(k) & mask;; i = (i + 1) & mask) {
        if (!m->e[i].used) return false;
        if (address_eq(&m->e[i].key, k)) {
            *val = m->e[i].val;
            return true;
        }
    }
}

void addr_map_put(addr_map *m, const address *k, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap) addr_map_grow(m);
    size_t mask = m->cap - 1;
    for (size_t i = hash_address(k) & mask;; i = (i + 1) & mask) {
        if (!m->e[i].used) {
            m->e[i] = (addr_map_entry){*k, val, true};
            m->n++;
            return;
        }
        if (address_eq(&m->e[i].key, k)) {
            m->e[i].val = val;
            return;
        }
    }
}

bool addr_map_del(addr_map *m, const address *k) {
    if (!m->cap) return false;
    size_t mask = m->cap - 1, i = hash_address(k) & mask;
    for (;; i = (i + 1) & mask) {
        if (!m->e[i].used) return false;
        if (address_eq(&m->e[i].key, k)) break;
    }
    /* backward shift: move later entries of the probe run into the gap */
    for (size_t j = (i + 1) & mask; m->e[j].used; j = (j + 1) & mask) {
        size_t home = hash_address(&m->e[j].key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->e[i] = m->e[j];
            i = j;
        }
    }
    m->e[i].used = false;
    m->n--;
    return true;
}

void addr_map_clear(addr_map *m) {
    if (m->n) memset(m->e, 0, m->cap * sizeof *m->e);
    m->n = 0;
}

void addr_map_free(addr_map *m) {
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- u256 -> u256 ---- */

static void word_map_grow(word_map *m) {
    size_t ncap = m->cap ? m->cap * 2 : 8;
    word_map_entry *old = m->e;
    size_t ocap = m->cap;
    m->e = xcalloc(ncap, sizeof *m->e);
    m->cap = ncap;
    m->n = 0;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].used) word_map_put(m, &old[i].key, &old[i].val);
    free(old);
}

const u256 *word_map_get(const word_map *m, const u256 *k) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash_u256(k) & mask;; i = (i + 1) & mask) {
        if (!m->e[i].used) return NULL;
        if (u256_eq(&m->e[i].key, k)) return &m->e[i].val;
    }
}

void word_map_put(word_map *m, const u256 *k, const u256 *val) {
    if ((m->n + 1) * 2 > m->cap) word_map_grow(m);
    size_t mask = m->cap - 1;
    for (size_t i = hash_u256(k) & mask;; i = (i + 1) & mask) {
        if (!m->e[i].used) {
            m->e[i].key = *k;
            m->e[i].val = *val;
            m->e[i].used = true;
            m->n++;
            return;
        }
        if (u256_eq(&m->e[i].key, k)) {
            m->e[i].val = *val;
            return;
        }
    }
}

bool word_map_del(word_map *m, const u256 *k) {
    if (!m->cap) return false;
    size_t mask = m->cap - 1, i = hash_u256(k) & mask;
    for (;; i = (i + 1) & mask) {
        if (!m->e[i].used) return false;
        if (u256_eq(&m->e[i].key, k)) break;
    }
    for (size_t j = (i + 1) & mask; m->e[j].used; j = (j + 1) & mask) {
        size_t home = hash_u256(&m->e[j].key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->e[i] = m->e[j];
            i = j;
        }
    }
    m->e[i].used = false;
    m->n--;
    return true;
}

void word_map_clear(word_map *m) {
    if (m->n) memset(m->e, 0, m->cap * sizeof *m->e);
    m->n = 0;
}

void word_map_free(word_map *m) {
    free(m->e);
    memset(m, 0, sizeof *m);
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
