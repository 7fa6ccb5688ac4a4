/* block_state (block_state.h): a base state_view plus the changes a block
 * has applied so far, one entry per changed account (its current fields and
 * the slots written since its storage was last reset), itself a state_view. */
#include <stdlib.h>
#include "parevm/block_state.h"
#include "parevm/hashmap.h"

typedef struct {
    address addr;
    bool exists;      /* exists now */
    bool base_exists; /* existed in the base */
    bool wiped;       /* storage reset in this block: base slots are hidden */
    bool code_set;    /* code is ours (set, or emptied by a deletion) */
    u256 balance;
    uint64_t nonce;
    bytes32 code_hash;
    const evm_code *code; /* when code_set */
    word_map slots;       /* slots written since the last reset (zeros kept) */
} bs_account;

struct block_state {
    state_view base;
    code_store *codes;
    addr_map index;
    bs_account *a;
    size_t n, cap; /* a[n..cap) keep their slot maps' memory for reuse */
};

block_state *block_state_new(state_view base, code_store *codes) {
    block_state *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->base = base;
    s->codes = codes;
    return s;
}

void block_state_free(block_state *s) {
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++) word_map_free(&s->a[i].slots);
    free(s->a);
    addr_map_free(&s->index);
    free(s);
}

block_state *block_state_clone(const block_state *s) {
    block_state *c = block_state_new(s->base, s->codes);
    if (s->n) {
        c->a = malloc(s->n * sizeof *c->a);
        if (!c->a) abort();
        c->n = c->cap = s->n;
        for (size_t i = 0; i < s->n; i++) {
            c->a[i] = s->a[i];
            word_map_clone(&c->a[i].slots, &s->a[i].slots);
        }
    }
    addr_map_clone(&c->index, &s->index);
    return c;
}

void block_state_reset(block_state *s, state_view base, code_store *codes) {
    s->base = base;
    s->codes = codes;
    s->n = 0;
    addr_map_clear(&s->index);
}

void block_state_rebase(block_state *s, state_view base) { s->base = base; }

code_store *block_state_codes(block_state *s) { return s->codes; }
state_view block_state_base(const block_state *s) { return s->base; }
size_t block_state_accounts(const block_state *s) { return s->n; }

static bs_account *find(const block_state *s, const address *addr) {
    uint32_t i;
    if (!s->n || !addr_map_get(&s->index, addr, &i)) return NULL;
    return &s->a[i];
}

/* The entry of addr, created from the base account on first use. */
static bs_account *touch(block_state *s, const address *addr) {
    bs_account *e = find(s, addr);
    if (e) return e;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        s->a = realloc(s->a, cap * sizeof *s->a);
        if (!s->a) abort();
        memset(s->a + s->cap, 0, (cap - s->cap) * sizeof *s->a);
        s->cap = cap;
    }
    e = &s->a[s->n];
    word_map slots = e->slots;
    word_map_clear(&slots);
    memset(e, 0, sizeof *e);
    e->slots = slots;
    e->addr = *addr;
    account_info info;
    e->exists = e->base_exists = s->base.ops->get_account(s->base.ctx, addr, FIELD_ALL, &info);
    e->balance = info.balance;
    e->nonce = info.nonce;
    e->code_hash = info.code_hash;
    addr_map_put(&s->index, addr, (uint32_t)s->n);
    s->n++;
    return e;
}

static void set_code(bs_account *e, const evm_code *code) {
    e->code = code ? code : &EVM_EMPTY_CODE;
    e->code_hash = e->code->len ? e->code->hash : EMPTY_CODE_HASH;
    e->code_set = true;
}

void block_state_apply(block_state *s, const change_set *cs) {
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        bs_account *e = touch(s, &c->addr);
        if (c->flags & CHANGE_DELETED) {
            e->exists = false;
            e->wiped = true;
            word_map_clear(&e->slots);
            e->balance = U256_ZERO;
            e->nonce = 0;
            set_code(e, &EVM_EMPTY_CODE);
            continue;
        }
        e->exists = true; /* fields of an absent account are zero already */
        if (c->flags & CHANGE_CREATED) {
            e->wiped = true;
            word_map_clear(&e->slots);
        }
        if (c->flags & CHANGE_BALANCE) e->balance = c->balance;
        if (c->flags & CHANGE_BALANCE_DELTA) e->balance = u256_add(&e->balance, &c->balance);
        if (c->flags & CHANGE_NONCE) e->nonce = c->nonce;
        if (c->flags & CHANGE_CODE) set_code(e, c->code);
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *sc = &cs->slots[c->first_slot + k];
            word_map_put(&e->slots, &sc->key, &sc->value);
        }
    }
}

static bool any_nonzero(const word_map *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].used && !u256_is_zero(&m->e[i].val)) return true;
    return false;
}

void block_state_changes(const block_state *s, change_set *out) {
    change_set_clear(out);
    for (size_t i = 0; i < s->n; i++) {
        const bs_account *e = &s->a[i];
        if (!e->exists) {
            if (e->base_exists) change_set_add_account(out, &e->addr)->flags = CHANGE_DELETED;
            continue;
        }
        account_change *c = change_set_add_account(out, &e->addr);
        c->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE;
        c->balance = e->balance;
        c->nonce = e->nonce;
        if (e->wiped) c->flags |= CHANGE_CREATED | CHANGE_CODE;
        if (e->code_set) c->flags |= CHANGE_CODE;
        if (c->flags & CHANGE_CODE)
            c->code = e->code_set ? e->code : s->base.ops->get_code(s->base.ctx, &e->addr);
        for (size_t k = 0; k < e->slots.cap; k++) {
            const word_map_entry *w = &e->slots.e[k];
            if (!w->used || (e->wiped && u256_is_zero(&w->val))) continue;
            /* c stays valid: adding slots does not move the accounts */
            change_set_add_slot(out, c, &w->key, &w->val);
        }
    }
}

void mem_state_apply_block(mem_state *m, const block_state *bs) {
    change_set cs = {0};
    block_state_changes(bs, &cs);
    mem_state_apply(m, &cs);
    change_set_free(&cs);
}

/* ---- state_view ---- */

/* The reads, on s's changes over base (s's own, or another that shows the
 * same state). */
static bool read_account(const block_state *s, state_view base, const address *addr, unsigned fields,
                         account_info *out) {
    const bs_account *e = find(s, addr);
    if (!e) return base.ops->get_account(base.ctx, addr, fields, out);
    out->balance = e->balance;
    out->nonce = e->nonce;
    out->code_hash = e->code_hash;
    return e->exists;
}

static u256 read_storage(const block_state *s, state_view base, const address *addr, const u256 *key) {
    const bs_account *e = find(s, addr);
    if (e) {
        const u256 *v = word_map_get(&e->slots, key);
        if (v) return *v;
        if (e->wiped) return U256_ZERO;
    }
    return base.ops->get_storage(base.ctx, addr, key);
}

/* Approximate in one case, as Block-STM's view is: an account of the base
 * whose every slot the block has set to zero still counts as having storage
 * (EIP-7610 only asks this of addresses being created, with no code and
 * nonce 0, which such an account cannot be made into within a block). */
static bool read_has_storage(const block_state *s, state_view base, const address *addr) {
    const bs_account *e = find(s, addr);
    if (e && any_nonzero(&e->slots)) return true;
    if (e && e->wiped) return false;
    return base.ops->has_storage(base.ctx, addr);
}

static const evm_code *read_code(const block_state *s, state_view base, const address *addr) {
    const bs_account *e = find(s, addr);
    if (e && e->code_set) return e->code;
    return base.ops->get_code(base.ctx, addr);
}

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    block_state *s = ctx;
    return read_account(s, s->base, addr, fields, out);
}
static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    block_state *s = ctx;
    return read_storage(s, s->base, addr, key);
}
static bool v_has_storage(void *ctx, const address *addr) {
    block_state *s = ctx;
    return read_has_storage(s, s->base, addr);
}
static const evm_code *v_get_code(void *ctx, const address *addr) {
    block_state *s = ctx;
    return read_code(s, s->base, addr);
}
static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    block_state *s = ctx;
    return s->base.ops->get_block_hash(s->base.ctx, number);
}

static const state_view_ops block_state_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code,
                                               v_get_block_hash};

state_view block_state_view(block_state *s) { return (state_view){&block_state_ops, s}; }

static bool o_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    const block_state_over *o = ctx;
    return read_account(o->s, o->base, addr, fields, out);
}
static u256 o_get_storage(void *ctx, const address *addr, const u256 *key) {
    const block_state_over *o = ctx;
    return read_storage(o->s, o->base, addr, key);
}
static bool o_has_storage(void *ctx, const address *addr) {
    const block_state_over *o = ctx;
    return read_has_storage(o->s, o->base, addr);
}
static const evm_code *o_get_code(void *ctx, const address *addr) {
    const block_state_over *o = ctx;
    return read_code(o->s, o->base, addr);
}
static bytes32 o_get_block_hash(void *ctx, uint64_t number) {
    const block_state_over *o = ctx;
    return o->base.ops->get_block_hash(o->base.ctx, number);
}

static const state_view_ops over_ops = {o_get_account, o_get_storage, o_has_storage, o_get_code, o_get_block_hash};

state_view block_state_view_over(block_state_over *over, const block_state *s, state_view base) {
    over->s = s;
    over->base = base;
    return (state_view){&over_ops, over};
}
