/* Code store: interns contract code by hash so that each distinct code is
 * stored and jump-analysed once. A mutex guards insertion; published code
 * objects are immutable and live until the store is freed. */
#include <pthread.h>
#include <stdlib.h>
#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "parevm/state.h"

struct code_store {
    pthread_mutex_t lock;
    evm_code **codes;
    size_t n, cap;   /* open-addressing table of code pointers keyed by hash */
};

code_store *code_store_new(void) {
    code_store *cs = calloc(1, sizeof *cs);
    if (!cs) abort();
    pthread_mutex_init(&cs->lock, NULL);
    return cs;
}

void code_store_free(code_store *cs) {
    if (!cs) return;
    for (size_t i = 0; i < cs->cap; i++) evm_code_free(cs->codes[i]);
    free(cs->codes);
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

static uint64_t slot_of(const bytes32 *h) {
    uint64_t x;
    memcpy(&x, h->b, 8);
    return x;
}

static void insert(evm_code **tab, size_t cap, evm_code *c) {
    size_t mask = cap - 1;
    for (size_t i = slot_of(&c->hash) & mask;; i = (i + 1) & mask)
        if (!tab[i]) {
            tab[i] = c;
            return;
        }
}

static void grow(code_store *cs) {
    size_t ncap = cs->cap ? cs->cap * 2 : 64;
    evm_code **tab = calloc(ncap, sizeof *tab);
    if (!tab) abort();
    for (size_t i = 0; i < cs->cap; i++)
        if (cs->codes[i]) insert(tab, ncap, cs->codes[i]);
    free(cs->codes);
    cs->codes = tab;
    cs->cap = ncap;
}

/* The interned object with hash h; the caller holds the lock. */
static const evm_code *lookup(code_store *cs, const bytes32 *h) {
    if (!cs->cap) return NULL;
    size_t mask = cs->cap - 1;
    for (size_t i = slot_of(h) & mask; cs->codes[i]; i = (i + 1) & mask)
        if (bytes32_eq(&cs->codes[i]->hash, h)) return cs->codes[i];
    return NULL;
}

const evm_code *code_store_find(code_store *cs, const bytes32 *hash) {
    if (bytes32_eq(hash, &EMPTY_CODE_HASH)) return &EVM_EMPTY_CODE;
    pthread_mutex_lock(&cs->lock);
    const evm_code *found = lookup(cs, hash);
    pthread_mutex_unlock(&cs->lock);
    return found;
}

const evm_code *code_store_intern(code_store *cs, const uint8_t *bytes, size_t len) {
    if (!len) return &EVM_EMPTY_CODE;
    bytes32 h = keccak256_hash(bytes, len);
    pthread_mutex_lock(&cs->lock);
    const evm_code *found = lookup(cs, &h);
    if (!found) {
        if ((cs->n + 1) * 2 > cs->cap) grow(cs);
        evm_code *c = evm_code_new(bytes, len, &h);
        insert(cs->codes, cs->cap, c);
        cs->n++;
        found = c;
    }
    pthread_mutex_unlock(&cs->lock);
    return found;
}
