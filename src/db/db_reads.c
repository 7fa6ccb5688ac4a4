/* The index of a snapshot's read logs (db_internal.h: read_index), for a
 * root previewed on the commit the snapshot shows: the accounts and slots
 * the block's execution read need not be looked up in the store again.
 *
 * Two open-addressing tables of pointers into the lane logs, sized once
 * (load at most 1/2), built on one thread and only read after. A key read
 * several times (Block-STM re-executions, several transactions) keeps its
 * first entry: every entry of a snapshot shows the same commit. */
#include <stdlib.h>

#include "db_internal.h"

static uint64_t slot_hash(const address *addr, const u256 *key) {
    return hash_address(addr) ^ hash_u256(key);
}

/* A power-of-two table size for n entries, at least twice n. */
static size_t table_size(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    return cap;
}

static void *table_new(size_t cap) {
    void *t = calloc(cap, sizeof(void *));
    if (!t) abort();
    return t;
}

static void put_account(read_index *x, const logged_account *e) {
    for (size_t i = hash_address(&e->addr) & x->account_mask;; i = (i + 1) & x->account_mask) {
        const logged_account *at = x->accounts[i];
        if (!at) {
            x->accounts[i] = e;
            return;
        }
        if (address_eq(&at->addr, &e->addr)) return;
    }
}

static void put_slot(read_index *x, const logged_slot *e) {
    for (size_t i = slot_hash(&e->addr, &e->key) & x->slot_mask;; i = (i + 1) & x->slot_mask) {
        const logged_slot *at = x->slots[i];
        if (!at) {
            x->slots[i] = e;
            return;
        }
        if (address_eq(&at->addr, &e->addr) && u256_eq(&at->key, &e->key)) return;
    }
}

bool read_index_build(read_index *x, const db_snapshot *s) {
    memset(x, 0, sizeof *x);
    unsigned n_logs;
    const read_log *logs = db_snapshot_logs(s, &n_logs, &x->txn_id);
    if (!logs) return false;
    size_t na = 0, ns = 0;
    for (unsigned l = 0; l < n_logs; l++) {
        na += logs[l].n_accounts;
        ns += logs[l].n_slots;
    }
    if (!na && !ns) return false;
    size_t ca = table_size(na), cs = table_size(ns);
    x->accounts = table_new(ca);
    x->slots = table_new(cs);
    x->account_mask = ca - 1;
    x->slot_mask = cs - 1;
    for (unsigned l = 0; l < n_logs; l++) {
        for (size_t i = 0; i < logs[l].n_accounts; i++) put_account(x, &logs[l].accounts[i]);
        for (size_t i = 0; i < logs[l].n_slots; i++) put_slot(x, &logs[l].slots[i]);
    }
    return true;
}

void read_index_free(read_index *x) {
    free(x->accounts);
    free(x->slots);
    memset(x, 0, sizeof *x);
}

const logged_account *read_index_account(const read_index *x, const address *addr) {
    for (size_t i = hash_address(addr) & x->account_mask;; i = (i + 1) & x->account_mask) {
        const logged_account *at = x->accounts[i];
        if (!at || address_eq(&at->addr, addr)) return at;
    }
}

const logged_slot *read_index_slot(const read_index *x, const address *addr, const u256 *key) {
    for (size_t i = slot_hash(addr, key) & x->slot_mask;; i = (i + 1) & x->slot_mask) {
        const logged_slot *at = x->slots[i];
        if (!at || (address_eq(&at->addr, addr) && u256_eq(&at->key, key))) return at;
    }
}
