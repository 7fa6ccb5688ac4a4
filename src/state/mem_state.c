/* mem_state: a complete world state in memory (hash maps of accounts and
 * per-account storage). It serves as the state_view for state tests and
 * block replay and absorbs transaction change sets. */
#include <stdlib.h>
#include "parevm/hashmap.h"
#include "parevm/state.h"

typedef struct {
    address addr;
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    word_map storage;
    bool live;
} mem_account;

typedef struct {
    uint64_t number;
    bytes32 hash;
} block_hash_entry;

struct mem_state {
    mem_account *accounts;
    size_t n, cap;
    uint32_t *free_list;
    size_t n_free, cap_free;
    addr_map index;
    code_store *codes;
    bool owns_codes;
    block_hash_entry *hashes;
    size_t n_hashes;
};

mem_state *mem_state_new(void) {
    mem_state *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->codes = code_store_new();
    s->owns_codes = true;
    return s;
}

void mem_state_free(mem_state *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) word_map_free(&s->accounts[i].storage);
    free(s->accounts);
    free(s->free_list);
    addr_map_free(&s->index);
    if (s->owns_codes) code_store_free(s->codes);
    free(s->hashes);
    free(s);
}

code_store *mem_state_codes(mem_state *s) { return s->codes; }

static mem_account *find(mem_state *s, const address *addr) {
    uint32_t i;
    return addr_map_get(&s->index, addr, &i) ? &s->accounts[i] : NULL;
}

static mem_account *find_or_create(mem_state *s, const address *addr) {
    mem_account *a = find(s, addr);
    if (a) return a;
    uint32_t i;
    if (s->n_free) {
        i = s->free_list[--s->n_free];
    } else {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->accounts = realloc(s->accounts, s->cap * sizeof *s->accounts);
            if (!s->accounts) abort();
        }
        i = (uint32_t)s->n++;
        memset(&s->accounts[i].storage, 0, sizeof(word_map));
    }
    a = &s->accounts[i];
    word_map_clear(&a->storage);
    a->addr = *addr;
    a->balance = U256_ZERO;
    a->nonce = 0;
    a->code = &EVM_EMPTY_CODE;
    a->live = true;
    addr_map_put(&s->index, addr, i);
    return a;
}

static void delete_account(mem_state *s, const address *addr) {
    uint32_t i;
    if (!addr_map_get(&s->index, addr, &i)) return;
    addr_map_del(&s->index, addr);
    s->accounts[i].live = false;
    word_map_clear(&s->accounts[i].storage);
    if (s->n_free == s->cap_free) {
        s->cap_free = s->cap_free ? s->cap_free * 2 : 16;
        s->free_list = realloc(s->free_list, s->cap_free * sizeof *s->free_list);
        if (!s->free_list) abort();
    }
    s->free_list[s->n_free++] = i;
}

void mem_state_set_account(mem_state *s, const address *addr, const u256 *balance, uint64_t nonce,
                           const uint8_t *code, size_t code_len) {
    mem_account *a = find_or_create(s, addr);
    a->balance = *balance;
    a->nonce = nonce;
    a->code = code_store_intern(s->codes, code, code_len);
}

void mem_state_set_storage(mem_state *s, const address *addr, const u256 *key, const u256 *value) {
    mem_account *a = find_or_create(s, addr);
    if (u256_is_zero(value))
        word_map_del(&a->storage, key);
    else
        word_map_put(&a->storage, key, value);
}

void mem_state_set_block_hash(mem_state *s, uint64_t number, const bytes32 *hash) {
    for (size_t i = 0; i < s->n_hashes; i++)
        if (s->hashes[i].number == number) {
            s->hashes[i].hash = *hash;
            return;
        }
    s->hashes = realloc(s->hashes, (s->n_hashes + 1) * sizeof *s->hashes);
    if (!s->hashes) abort();
    s->hashes[s->n_hashes++] = (block_hash_entry){number, *hash};
}

bool mem_state_exists(mem_state *s, const address *addr) { return find(s, addr) != NULL; }

void mem_state_apply(mem_state *s, const change_set *cs) {
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        if (c->flags & CHANGE_DELETED) {
            delete_account(s, &c->addr);
            continue;
        }
        mem_account *a = find_or_create(s, &c->addr);
        if (c->flags & CHANGE_CREATED) word_map_clear(&a->storage);
        if (c->flags & CHANGE_BALANCE) a->balance = c->balance;
        if (c->flags & CHANGE_BALANCE_DELTA) a->balance = u256_add(&a->balance, &c->balance);
        if (c->flags & CHANGE_NONCE) a->nonce = c->nonce;
        if (c->flags & CHANGE_CODE) a->code = c->code;
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *sc = &cs->slots[c->first_slot + k];
            if (u256_is_zero(&sc->value))
                word_map_del(&a->storage, &sc->key);
            else
                word_map_put(&a->storage, &sc->key, &sc->value);
        }
    }
}

mem_state *mem_state_clone(mem_state *s) {
    mem_state *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->codes = s->codes;
    c->owns_codes = false;
    for (size_t i = 0; i < s->n; i++) {
        const mem_account *a = &s->accounts[i];
        if (!a->live) continue;
        mem_account *b = find_or_create(c, &a->addr);
        b->balance = a->balance;
        b->nonce = a->nonce;
        b->code = a->code;
        word_map_free(&b->storage);
        word_map_clone(&b->storage, &a->storage);
    }
    for (size_t i = 0; i < s->n_hashes; i++) mem_state_set_block_hash(c, s->hashes[i].number, &s->hashes[i].hash);
    return c;
}

void mem_state_each_account(mem_state *s, mem_account_fn fn, void *arg) {
    for (size_t i = 0; i < s->n; i++) {
        const mem_account *a = &s->accounts[i];
        if (!a->live) continue;
        mem_account_ref r = {&a->addr, &a->balance, a->nonce, a->code};
        if (!fn(arg, &r)) return;
    }
}

void mem_state_each_slot(mem_state *s, const address *addr, mem_slot_fn fn, void *arg) {
    mem_account *a = find(s, addr);
    if (!a) return;
    for (size_t i = 0; i < a->storage.cap; i++)
        if (a->storage.e[i].used && !fn(arg, &a->storage.e[i].key, &a->storage.e[i].val)) return;
}

size_t mem_state_account_count(mem_state *s) { return s->index.n; }

/* ---- state_view implementation ---- */

static bool view_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    (void)fields;
    mem_account *a = find(ctx, addr);
    if (!a) {
        out->balance = U256_ZERO;
        out->nonce = 0;
        out->code_hash = EMPTY_CODE_HASH;
        return false;
    }
    out->balance = a->balance;
    out->nonce = a->nonce;
    out->code_hash = a->code->hash;
    return true;
}

static u256 view_get_storage(void *ctx, const address *addr, const u256 *key) {
    mem_account *a = find(ctx, addr);
    const u256 *v = a ? word_map_get(&a->storage, key) : NULL;
    return v ? *v : U256_ZERO;
}

static bool view_has_storage(void *ctx, const address *addr) {
    mem_account *a = find(ctx, addr);
    return a && a->storage.n > 0;
}

static const evm_code *view_get_code(void *ctx, const address *addr) {
    mem_account *a = find(ctx, addr);
    return a ? a->code : &EVM_EMPTY_CODE;
}

static bytes32 view_get_block_hash(void *ctx, uint64_t number) {
    mem_state *s = ctx;
    for (size_t i = 0; i < s->n_hashes; i++)
        if (s->hashes[i].number == number) return s->hashes[i].hash;
    return (bytes32){{0}};
}

static const state_view_ops mem_view_ops = {
    view_get_account, view_get_storage, view_has_storage, view_get_code, view_get_block_hash,
};

state_view mem_state_view(mem_state *s) { return (state_view){&mem_view_ops, s}; }
