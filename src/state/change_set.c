/* Change sets: growable arrays of account changes and their storage writes,
 * reused across transactions (cleared, not freed). */
#include <stdlib.h>
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

void change_set_append(change_set *dst, const change_set *src, size_t n_accounts) {
    if (n_accounts > src->n_accounts) n_accounts = src->n_accounts;
    for (size_t i = 0; i < n_accounts; i++) {
        const account_change *a = &src->accounts[i];
        account_change *c = change_set_add_account(dst, &a->addr);
        uint32_t first = c->first_slot;
        *c = *a;
        c->first_slot = first;
        c->n_slots = 0;
        for (uint32_t k = 0; k < a->n_slots; k++)
            change_set_add_slot(dst, c, &src->slots[a->first_slot + k].key, &src->slots[a->first_slot + k].value);
    }
}
