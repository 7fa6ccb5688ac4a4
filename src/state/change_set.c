/* Change sets: growable arrays of account changes and their storage writes,
 * reused across transactions (cleared, not freed). */
#include <stdlib.h>
#include "parevm/hashmap.h"
#include "parevm/state.h"

void change_set_clear(change_set *cs) {
    cs->n_accounts = 0;
    cs->n_slots = 0;
}

void change_set_free(change_set *cs) {
    free(cs->accounts);
    free(cs->slots);
    memset(cs, 0, sizeof *cs);
}

account_change *change_set_add_account(change_set *cs, const address *addr) {
    if (cs->n_accounts == cs->cap_accounts) {
        cs->cap_accounts = cs->cap_accounts ? cs->cap_accounts * 2 : 16;
        cs->accounts = realloc(cs->accounts, cs->cap_accounts * sizeof *cs->accounts);
        if (!cs->accounts) abort();
    }
    account_change *ac = &cs->accounts[cs->n_accounts++];
    memset(ac, 0, sizeof *ac);
    ac->addr = *addr;
    ac->first_slot = (uint32_t)cs->n_slots;
    return ac;
}

void change_set_add_slot(change_set *cs, account_change *ac, const u256 *key, const u256 *value) {
    if (cs->n_slots == cs->cap_slots) {
        cs->cap_slots = cs->cap_slots ? cs->cap_slots * 2 : 32;
        cs->slots = realloc(cs->slots, cs->cap_slots * sizeof *cs->slots);
        if (!cs->slots) abort();
    }
    cs->slots[cs->n_slots++] = (slot_change){*key, *value};
    ac->n_slots++;
}

void change_set_append_entry(change_set *dst, const change_set *src, size_t i) {
    const account_change *a = &src->accounts[i];
    account_change *c = change_set_add_account(dst, &a->addr);
    uint32_t first = c->first_slot;
    *c = *a;
    c->first_slot = first;
    c->n_slots = 0;
    for (uint32_t k = 0; k < a->n_slots; k++)
        change_set_add_slot(dst, c, &src->slots[a->first_slot + k].key, &src->slots[a->first_slot + k].value);
}

void change_set_append(change_set *dst, const change_set *src, size_t n_accounts) {
    if (n_accounts > src->n_accounts) n_accounts = src->n_accounts;
    for (size_t i = 0; i < n_accounts; i++) change_set_append_entry(dst, src, i);
}

/* ---- change_set_same ---- */

static bool same_slot(const slot_change *x, const slot_change *y) {
    return u256_eq(&x->key, &y->key) && u256_eq(&x->value, &y->value);
}

/* x[0..n) and y[0..n) hold the same distinct keys with the same values. */
static bool same_slot_sets(const slot_change *x, const slot_change *y, size_t n) {
    word_map m = {0};
    bool same = true;
    for (size_t k = 0; same && k < n; k++) {
        same = !word_map_get(&m, &x[k].key);
        word_map_put(&m, &x[k].key, &x[k].value);
    }
    for (size_t k = 0; same && k < n; k++) {
        const u256 *v = word_map_get(&m, &y[k].key);
        same = v && u256_eq(v, &y[k].value);
        word_map_del(&m, &y[k].key); /* a key y repeats is not found again */
    }
    word_map_free(&m);
    return same;
}

static bool same_slots(const change_set *a, const account_change *x, const change_set *b, const account_change *y) {
    if (x->n_slots != y->n_slots) return false;
    const slot_change *sx = a->slots + x->first_slot, *sy = b->slots + y->first_slot;
    size_t n = x->n_slots, k = 0;
    while (k < n && same_slot(&sx[k], &sy[k])) k++;
    return k == n || same_slot_sets(sx + k, sy + k, n - k);
}

static bool same_account(const change_set *a, const account_change *x, const change_set *b, const account_change *y) {
    uint32_t f = x->flags;
    if (!address_eq(&x->addr, &y->addr) || f != y->flags) return false;
    if ((f & (CHANGE_BALANCE | CHANGE_BALANCE_DELTA)) && !u256_eq(&x->balance, &y->balance)) return false;
    if ((f & CHANGE_NONCE) && x->nonce != y->nonce) return false;
    if ((f & CHANGE_CODE) && x->code != y->code) return false;
    return same_slots(a, x, b, y);
}

bool change_set_same(const change_set *a, const change_set *b) {
    size_t n = a->n_accounts, i = 0;
    if (n != b->n_accounts || a->n_slots != b->n_slots) return false;
    while (i < n && same_account(a, &a->accounts[i], b, &b->accounts[i])) i++;
    if (i == n) return true;
    addr_map m = {0};
    addr_map_reserve(&m, n - i);
    bool same = true;
    uint32_t at;
    for (size_t k = i; same && k < n; k++) {
        same = !addr_map_get(&m, &a->accounts[k].addr, &at);
        addr_map_put(&m, &a->accounts[k].addr, (uint32_t)k);
    }
    for (size_t k = i; same && k < n; k++) {
        const account_change *y = &b->accounts[k];
        same = addr_map_get(&m, &y->addr, &at) && same_account(a, &a->accounts[at], b, y);
        addr_map_del(&m, &y->addr); /* an address b repeats is not found again */
    }
    addr_map_free(&m);
    return same;
}
