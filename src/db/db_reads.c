/* The index of a snapshot's read logs (db_internal.h: read_index), for a
 * root worked out on the commit the snapshot shows: the accounts and slots
 * the block's execution read need not be looked up in the store again.
 *
 * Two open-addressing tables of pointers to log entries (load at most
 * 1/2). A key read several times (Block-STM re-executions, several
 * transactions) keeps its first entry: every entry of a snapshot shows the
 * same commit. read_index_build indexes the logs once nobody reads through
 * the snapshot; a read_log_follow indexes what they gained since its last
 * call while execution goes on (the root rounds), its tables growing.
 * Lookups run between those calls, never during one. */
#include <stdlib.h>

#include "db_internal.h"

static uint64_t slot_hash(const address *addr, const u256 *key) {
    return hash_address(addr) ^ hash_u256(key);
}

static void *table_new(size_t cap) {
    void *t = calloc(cap, sizeof(void *));
    if (!t) abort();
    return t;
}

/* Into an empty slot of a table known not to hold e's key. */
static void place_account(const logged_account **t, size_t mask, const logged_account *e) {
    size_t i = hash_address(&e->addr) & mask;
    while (t[i]) i = (i + 1) & mask;
    t[i] = e;
}

static void place_slot(const logged_slot **t, size_t mask, const logged_slot *e) {
    size_t i = slot_hash(&e->addr, &e->key) & mask;
    while (t[i]) i = (i + 1) & mask;
    t[i] = e;
}

/* Room for more accounts and slots at a load of at most 1/2: the tables
 * doubled (rehashed) as often as needed. */
static void reserve(read_index *x, size_t accounts, size_t slots) {
    size_t cap = x->accounts ? x->account_mask + 1 : 0;
    if (2 * (x->n_accounts + accounts) > cap) {
        size_t n = cap ? cap : 16;
        while (2 * (x->n_accounts + accounts) > n) n *= 2;
        const logged_account **t = table_new(n);
        for (size_t i = 0; i < cap; i++)
            if (x->accounts[i]) place_account(t, n - 1, x->accounts[i]);
        free(x->accounts);
        x->accounts = t;
        x->account_mask = n - 1;
    }
    cap = x->slots ? x->slot_mask + 1 : 0;
    if (2 * (x->n_slots + slots) > cap) {
        size_t n = cap ? cap : 16;
        while (2 * (x->n_slots + slots) > n) n *= 2;
        const logged_slot **t = table_new(n);
        for (size_t i = 0; i < cap; i++)
            if (x->slots[i]) place_slot(t, n - 1, x->slots[i]);
        free(x->slots);
        x->slots = t;
        x->slot_mask = n - 1;
    }
}

/* e unless its key is indexed already (false); reserve first. */
static bool put_account(read_index *x, const logged_account *e) {
    if (read_index_account(x, &e->addr)) return false;
    place_account(x->accounts, x->account_mask, e);
    x->n_accounts++;
    return true;
}

static bool put_slot(read_index *x, const logged_slot *e) {
    if (read_index_slot(x, &e->addr, &e->key)) return false;
    place_slot(x->slots, x->slot_mask, e);
    x->n_slots++;
    return true;
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
    reserve(x, na, ns);
    for (unsigned l = 0; l < n_logs; l++) {
        for (size_t i = 0; i < logs[l].n_accounts; i++) put_account(x, log_account_at(&logs[l], i));
        for (size_t i = 0; i < logs[l].n_slots; i++) put_slot(x, log_slot_at(&logs[l], i));
    }
    return true;
}

void read_index_free(read_index *x) {
    free(x->accounts);
    free(x->slots);
    memset(x, 0, sizeof *x);
}

const logged_account *read_index_account(const read_index *x, const address *addr) {
    if (!x->accounts) return NULL;
    for (size_t i = hash_address(addr) & x->account_mask;; i = (i + 1) & x->account_mask) {
        const logged_account *at = x->accounts[i];
        if (!at || address_eq(&at->addr, addr)) return at;
    }
}

const logged_slot *read_index_slot(const read_index *x, const address *addr, const u256 *key) {
    if (!x->slots) return NULL;
    for (size_t i = slot_hash(addr, key) & x->slot_mask;; i = (i + 1) & x->slot_mask) {
        const logged_slot *at = x->slots[i];
        if (!at || (address_eq(&at->addr, addr) && u256_eq(&at->key, key))) return at;
    }
}

/* ---- Following logs that are still being written ---- */

void read_log_follow_take(read_log_follow *f, const read_log *g, size_t *seen_accounts, size_t *seen_slots) {
    read_index *x = &f->index;
    size_t na = atomic_load_explicit(&g->n_accounts, memory_order_acquire);
    size_t ns = atomic_load_explicit(&g->n_slots, memory_order_acquire);
    if (na < *seen_accounts || ns < *seen_slots) return; /* restarted (not while followed) */
    reserve(x, na - *seen_accounts, ns - *seen_slots);
    for (size_t i = *seen_accounts; i < na; i++) put_account(x, log_account_at(g, i));
    for (size_t i = *seen_slots; i < ns; i++) put_slot(x, log_slot_at(g, i));
    *seen_accounts = na;
    *seen_slots = ns;
}

void read_log_follow_free(read_log_follow *f) {
    free(f->seen);
    read_index_free(&f->index);
    memset(f, 0, sizeof *f);
}
