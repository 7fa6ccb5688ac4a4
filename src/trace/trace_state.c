/* A writable layer over a read-only state_view: what the tracers execute on
 * when they replay the transactions of a block before the traced one, apply
 * debug_traceCall's state overrides, or run the block's system calls. Reads
 * fall through to the base view for everything the layer does not hold;
 * change sets and overrides are kept in the layer, never written below. */
#include <stdlib.h>
#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "trace_internal.h"

typedef struct {
    address addr;
    bool exists;
    bool storage_cleared; /* created, deleted or replaced: base storage is hidden */
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    word_map slots;       /* written slots, zero values included */
} layer_account;

typedef struct {
    uint64_t number;
    bytes32 hash;
} layer_hash;

struct trace_state {
    state_view base;
    code_store *codes;
    layer_account *accounts;
    size_t n, cap;
    addr_map index;
    layer_hash *hashes;
    size_t n_hashes;
};

trace_state *trace_state_new(state_view base) {
    trace_state *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->base = base;
    s->codes = code_store_new();
    return s;
}

void trace_state_free(trace_state *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) word_map_free(&s->accounts[i].slots);
    free(s->accounts);
    addr_map_free(&s->index);
    free(s->hashes);
    code_store_free(s->codes);
    free(s);
}

code_store *trace_state_codes(trace_state *s) { return s->codes; }

static layer_account *find(const trace_state *s, const address *addr) {
    uint32_t i;
    return addr_map_get(&s->index, addr, &i) ? &s->accounts[i] : NULL;
}

/* The layer's entry for addr, loaded from the base on first use. */
static layer_account *load(trace_state *s, const address *addr) {
    layer_account *a = find(s, addr);
    if (a) return a;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->accounts = realloc(s->accounts, s->cap * sizeof *s->accounts);
        if (!s->accounts) abort();
    }
    a = &s->accounts[s->n];
    memset(a, 0, sizeof *a);
    a->addr = *addr;
    account_info info;
    a->exists = s->base.ops->get_account(s->base.ctx, addr, FIELD_ALL, &info);
    a->balance = info.balance;
    a->nonce = info.nonce;
    a->code = s->base.ops->get_code(s->base.ctx, addr);
    addr_map_put(&s->index, addr, (uint32_t)s->n++);
    return a;
}

void trace_state_apply(trace_state *s, const change_set *cs) {
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        layer_account *a = load(s, &c->addr);
        if (c->flags & CHANGE_DELETED) {
            a->exists = false;
            a->storage_cleared = true;
            a->balance = U256_ZERO;
            a->nonce = 0;
            a->code = &EVM_EMPTY_CODE;
            word_map_clear(&a->slots);
            continue;
        }
        a->exists = true;
        if (c->flags & CHANGE_CREATED) {
            a->storage_cleared = true;
            word_map_clear(&a->slots);
        }
        if (c->flags & CHANGE_BALANCE) a->balance = c->balance;
        if (c->flags & CHANGE_BALANCE_DELTA) a->balance = u256_add(&a->balance, &c->balance);
        if (c->flags & CHANGE_NONCE) a->nonce = c->nonce;
        if (c->flags & CHANGE_CODE) a->code = c->code;
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *sc = &cs->slots[c->first_slot + k];
            word_map_put(&a->slots, &sc->key, &sc->value);
        }
    }
}

void trace_state_set_block_hash(trace_state *s, uint64_t number, const bytes32 *hash) {
    for (size_t i = 0; i < s->n_hashes; i++)
        if (s->hashes[i].number == number) {
            s->hashes[i].hash = *hash;
            return;
        }
    s->hashes = realloc(s->hashes, (s->n_hashes + 1) * sizeof *s->hashes);
    if (!s->hashes) abort();
    s->hashes[s->n_hashes++] = (layer_hash){number, *hash};
}

const char *trace_state_override(trace_state *s, const rpc_state_override *o, fork_id fork) {
    /* geth takes an overridden precompile out of the precompile set (and can
     * move one); parevm's precompiles are fixed by the fork */
    for (size_t i = 0; i < o->n; i++) {
        if (o->accounts[i].has_move_to) return "movePrecompileToAddress is not supported";
        if (precompile_is_active(&o->accounts[i].addr, fork)) return "overriding a precompile is not supported";
    }
    for (size_t i = 0; i < o->n; i++) {
        const rpc_account_override *ao = &o->accounts[i];
        layer_account *a = load(s, &ao->addr);
        a->exists = true;
        if (ao->has_nonce) a->nonce = ao->nonce;
        if (ao->has_code) a->code = code_store_intern(s->codes, ao->code, ao->code_len);
        if (ao->has_balance) a->balance = ao->balance;
        if (ao->storage == RPC_STORAGE_REPLACE) {
            a->storage_cleared = true;
            word_map_clear(&a->slots);
        }
        for (size_t k = 0; k < ao->n_slots; k++) {
            u256 key = u256_from_bytes32(&ao->slots[k].key), val = u256_from_bytes32(&ao->slots[k].value);
            word_map_put(&a->slots, &key, &val);
        }
    }
    return NULL;
}

/* ---- the state_view ---- */

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    trace_state *s = ctx;
    const layer_account *a = find(s, addr);
    if (!a) return s->base.ops->get_account(s->base.ctx, addr, fields, out);
    out->balance = a->balance;
    out->nonce = a->nonce;
    out->code_hash = a->code->len ? a->code->hash : EMPTY_CODE_HASH;
    return a->exists;
}

static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    trace_state *s = ctx;
    const layer_account *a = find(s, addr);
    if (a) {
        const u256 *v = word_map_get(&a->slots, key);
        if (v) return *v;
        if (a->storage_cleared) return U256_ZERO;
    }
    return s->base.ops->get_storage(s->base.ctx, addr, key);
}

static bool v_has_storage(void *ctx, const address *addr) {
    trace_state *s = ctx;
    const layer_account *a = find(s, addr);
    if (a) {
        for (size_t i = 0; i < a->slots.cap; i++)
            if (a->slots.e[i].used && !u256_is_zero(&a->slots.e[i].val)) return true;
        if (a->storage_cleared) return false;
    }
    return s->base.ops->has_storage(s->base.ctx, addr);
}

static const evm_code *v_get_code(void *ctx, const address *addr) {
    trace_state *s = ctx;
    const layer_account *a = find(s, addr);
    return a ? a->code : s->base.ops->get_code(s->base.ctx, addr);
}

static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    trace_state *s = ctx;
    for (size_t i = 0; i < s->n_hashes; i++)
        if (s->hashes[i].number == number) return s->hashes[i].hash;
    return s->base.ops->get_block_hash(s->base.ctx, number);
}

static const state_view_ops layer_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code, v_get_block_hash};

state_view trace_state_view(trace_state *s) { return (state_view){&layer_ops, s}; }
