/* The state_view a Block-STM worker executes against: reads go to the
 * multi-version memory (highest version below the transaction) and fall
 * back to the block's base state; every read is recorded for validation. A
 * read that meets an ESTIMATE abandons the execution (longjmp back to the
 * worker, which suspends the transaction until the blocker has executed). */
#include "par_internal.h"
#include <stdlib.h>

/* The value a transaction sees at one location, as a read entry. Sets
 * *blocker and returns false on an ESTIMATE. */
typedef struct {
    u256 value;
    uint32_t flags, writer;
} resolved;

/* Adds the coinbase increments of transactions from..reader-1, which
 * live in their outputs: every transaction pays the coinbase, and keeping
 * those increments out of the multi-version memory keeps its cell from
 * being written by every worker. Reading the coinbase's balance is rare;
 * it waits for every lower transaction to have executed. */
static bool add_coinbase_deltas(worker *w, uint32_t from, resolved *out, uint32_t *blocker) {
    for (uint32_t j = from; j < w->tx; j++) {
        tx_output *o = atomic_load_explicit(&w->e->job.outputs[j], memory_order_acquire);
        if (!o || atomic_load_explicit(&o->estimate, memory_order_acquire)) {
            *blocker = j;
            return false;
        }
        if (o->credits_coinbase) {
            out->value = u256_add(&out->value, &o->coinbase_delta);
            out->writer = j;
            out->flags = 0; /* credited after a deletion: exists again */
        }
    }
    return true;
}

/* Balance, nonce or code: the highest version below the reader (for a
 * balance, with the increments since the last full write), else the base. */
static bool resolve_simple(worker *w, const location *loc, const u256 *base, resolved *out, uint32_t *blocker) {
    mv_read_result r = mv_read(&w->e->mv, loc, w->tx);
    if (r.status == MV_BLOCKED) {
        *blocker = r.blocker;
        return false;
    }
    if (r.status == MV_FOUND) {
        out->value = r.add_base ? u256_add(base, &r.value) : r.value;
        out->flags = r.deleted ? READ_DELETED : 0;
        out->writer = r.writer;
    } else {
        out->value = *base;
        out->flags = 0;
        out->writer = UINT32_MAX;
    }
    if (loc->kind != LOC_BALANCE || !address_eq(&loc->addr, &w->e->job.env.coinbase)) return true;
    /* the increments above the last full write (or delta version) */
    return add_coinbase_deltas(w, r.status == MV_FOUND ? r.writer + 1 : 0, out, blocker);
}

/* A storage slot: the later of the slot's last write and the account's last
 * storage reset (creation or deletion) decides. */
static bool resolve_slot(worker *w, const location *loc, resolved *out, uint32_t *blocker) {
    location cl = {loc->addr, LOC_CLEARED, U256_ZERO};
    mv_read_result rs = mv_read(&w->e->mv, loc, w->tx);
    mv_read_result rc = mv_read(&w->e->mv, &cl, w->tx);
    if (rs.status == MV_BLOCKED || rc.status == MV_BLOCKED) {
        *blocker = rs.status == MV_BLOCKED ? rs.blocker : rc.blocker;
        return false;
    }
    out->flags = 0;
    if (rc.status == MV_FOUND && (rs.status != MV_FOUND || rs.writer < rc.writer)) {
        out->value = U256_ZERO;
        out->writer = rc.writer;
    } else if (rs.status == MV_FOUND) {
        out->value = rs.value;
        out->writer = rs.writer;
    } else {
        const state_view *b = &w->e->job.base_view;
        out->value = b->ops->get_storage(b->ctx, &loc->addr, &loc->slot);
        out->writer = UINT32_MAX;
    }
    return true;
}

static bool resolve_has_storage(worker *w, const location *loc, resolved *out, uint32_t *blocker) {
    mv_read_result rc = mv_read(&w->e->mv, loc, w->tx);
    if (rc.status == MV_BLOCKED) {
        *blocker = rc.blocker;
        return false;
    }
    const state_view *b = &w->e->job.base_view;
    bool has = rc.status != MV_FOUND && b->ops->has_storage(b->ctx, &loc->addr);
    out->value = u256_from_u64(has);
    out->flags = 0;
    out->writer = rc.status == MV_FOUND ? rc.writer : UINT32_MAX;
    return true;
}

/* Code: like a nonce, with the base state's code object as the base value. */
static bool resolve_code(worker *w, const location *loc, resolved *out, uint32_t *blocker) {
    const state_view *b = &w->e->job.base_view;
    u256 base = u256_from_u64((uint64_t)(uintptr_t)b->ops->get_code(b->ctx, &loc->addr));
    return resolve_simple(w, loc, &base, out, blocker);
}

/* Resolves loc as transaction w->tx sees it now. base: the account in the
 * base state if the caller has it (else it is read here when needed). */
static bool resolve(worker *w, const location *loc, const account_info *base, resolved *out, uint32_t *blocker) {
    const state_view *b = &w->e->job.base_view;
    switch (loc->kind) {
    case LOC_STORAGE: return resolve_slot(w, loc, out, blocker);
    case LOC_CLEARED: return resolve_has_storage(w, loc, out, blocker);
    case LOC_CODE: return resolve_code(w, loc, out, blocker);
    default: {
        account_info own;
        if (!base) {
            b->ops->get_account(b->ctx, &loc->addr, loc->kind == LOC_BALANCE ? FIELD_BALANCE : FIELD_NONCE, &own);
            base = &own;
        }
        u256 bv = loc->kind == LOC_BALANCE ? base->balance : u256_from_u64(base->nonce);
        return resolve_simple(w, loc, &bv, out, blocker);
    }
    }
}

static void record(worker *w, const location *loc, const resolved *r) {
    if (w->n_reads == w->cap_reads) {
        w->cap_reads = w->cap_reads ? w->cap_reads * 2 : 256;
        w->reads = realloc(w->reads, w->cap_reads * sizeof *w->reads);
        if (!w->reads) abort();
    }
    w->reads[w->n_reads++] = (read_entry){*loc, r->value, r->flags, r->writer};
}

/* Resolves and records, or abandons the execution on an ESTIMATE. */
static resolved read_or_block(worker *w, const location *loc, const account_info *base) {
    resolved r;
    uint32_t blocker;
    if (!resolve(w, loc, base, &r, &blocker)) {
        w->blocked_on = blocker;
        longjmp(w->blocked_jmp, 1);
    }
    record(w, loc, &r);
    return r;
}

/* Whether an account exists, from the reads of its fields: the latest
 * write decides (a deletion writes every field), else the base state. */
typedef struct {
    uint32_t writer; /* latest writer seen, UINT32_MAX: none */
    bool deleted;    /* that write deleted the account */
} existence;

static void note_write(existence *x, const resolved *r) {
    if (r->writer == UINT32_MAX) return;
    if (x->writer == UINT32_MAX || r->writer >= x->writer) {
        x->writer = r->writer;
        x->deleted = r->flags & READ_DELETED;
    }
}

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    worker *w = ctx;
    const state_view *b = &w->e->job.base_view;
    bool exists = b->ops->get_account(b->ctx, addr, fields, out);
    account_info base = *out;
    existence x = {UINT32_MAX, false};
    static const uint8_t kinds[3] = {LOC_BALANCE, LOC_NONCE, LOC_CODE};
    static const unsigned field_of[3] = {FIELD_BALANCE, FIELD_NONCE, FIELD_CODE};
    resolved r[3];
    for (int k = 0; k < 3; k++) {
        if (!(fields & field_of[k])) continue;
        location loc = {*addr, kinds[k], U256_ZERO};
        r[k] = read_or_block(w, &loc, kinds[k] == LOC_CODE ? NULL : &base);
        note_write(&x, &r[k]);
    }
    /* A field never written, or written by a deletion, does not tell
     * whether a later transaction (re)created the account through another
     * field: read the other fields too (rare: new or deleted accounts). */
    bool known = x.writer != UINT32_MAX ? !x.deleted : exists;
    if (!known) {
        b->ops->get_account(b->ctx, addr, FIELD_BALANCE | FIELD_NONCE, &base);
        for (int k = 0; k < 3; k++) {
            if (fields & field_of[k]) continue;
            location loc = {*addr, kinds[k], U256_ZERO};
            resolved o = read_or_block(w, &loc, kinds[k] == LOC_CODE ? NULL : &base);
            note_write(&x, &o);
        }
    }
    if (fields & FIELD_BALANCE) out->balance = r[0].value;
    if (fields & FIELD_NONCE) out->nonce = r[1].value.w[0];
    if (fields & FIELD_CODE) {
        const evm_code *code = (const evm_code *)(uintptr_t)r[2].value.w[0];
        out->code_hash = code->hash;
        w->last_code_addr = *addr;
        w->last_code = code;
        w->has_last_code = true;
    }
    return x.writer != UINT32_MAX ? !x.deleted : exists;
}

static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    location loc = {*addr, LOC_STORAGE, *key};
    return read_or_block(ctx, &loc, NULL).value;
}

static bool v_has_storage(void *ctx, const address *addr) {
    location loc = {*addr, LOC_CLEARED, U256_ZERO};
    resolved r = read_or_block(ctx, &loc, NULL);
    return !u256_is_zero(&r.value);
}

static const evm_code *v_get_code(void *ctx, const address *addr) {
    worker *w = ctx;
    if (w->has_last_code && address_eq(&w->last_code_addr, addr)) return w->last_code;
    location loc = {*addr, LOC_CODE, U256_ZERO};
    return (const evm_code *)(uintptr_t)read_or_block(w, &loc, NULL).value.w[0];
}

static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    worker *w = ctx;
    const state_view *b = &w->e->job.base_view;
    return b->ops->get_block_hash(b->ctx, number);
}

const state_view_ops mv_view_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code, v_get_block_hash};

/* An account field read from the base state and one read from a write
 * differ even with equal values: the write makes the account exist (before
 * EIP-158 a call with no value creates the empty account it calls, writing
 * the nonce an absent account reads as), and v_get_account decides
 * existence by whether a field was written. */
static bool same_existence(const location *loc, uint32_t was, uint32_t now) {
    if (loc->kind == LOC_STORAGE || loc->kind == LOC_CLEARED) return true;
    return (was == UINT32_MAX) == (now == UINT32_MAX);
}

static bool is_coinbase_balance(const worker *w, const location *loc) {
    return loc->kind == LOC_BALANCE && address_eq(&loc->addr, &w->e->job.env.coinbase);
}

bool mv_validate_reads(worker *w, uint32_t tx, const tx_output *out) {
    uint32_t saved = w->tx, blocker;
    bool ok = true;
    w->tx = tx; /* resolve as the validated transaction sees the memory */
    for (size_t i = 0; ok && i < out->n_reads; i++) {
        const read_entry *e = &out->reads[i];
        /* a base read of a location no lower transaction has written since
         * is still valid: the base state never changes during the block.
         * Not the coinbase's balance: its increments live in the outputs,
         * not in cells, and a lower transaction re-executed may credit it
         * now (an incarnation that was invalid credited nothing) */
        if (e->writer == UINT32_MAX && !is_coinbase_balance(w, &e->loc) && !mv_written_below(&w->e->mv, &e->loc, tx)) {
            if (e->loc.kind != LOC_STORAGE) continue;
            location cl = {e->loc.addr, LOC_CLEARED, U256_ZERO};
            if (!mv_written_below(&w->e->mv, &cl, tx)) continue; /* nor was the account's storage reset */
        }
        resolved r;
        ok = resolve(w, &e->loc, NULL, &r, &blocker) && u256_eq(&r.value, &e->value) && r.flags == e->flags &&
             same_existence(&e->loc, e->writer, r.writer);
    }
    (void)blocker;
    w->tx = saved;
    return ok;
}

static mv_write *push_write(mv_write *v, size_t *n, const address *a, uint8_t kind, const u256 *slot,
                            uint32_t flags, const u256 *value) {
    mv_write *x = &v[(*n)++];
    x->loc.addr = *a;
    x->loc.kind = kind;
    x->loc.slot = slot ? *slot : U256_ZERO;
    x->flags = flags;
    x->value = *value;
    return x;
}

void mv_writes_from_changes(arena *a, const change_set *cs, const address *coinbase, tx_output *o) {
    size_t max = cs->n_slots + 5 * cs->n_accounts;
    mv_write *v = max ? arena_alloc(a, max * sizeof *v) : NULL;
    size_t n = 0;
    static const u256 zero = {{0}}, one = {{1, 0, 0, 0}};
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        const address *ad = &c->addr;
        if (c->flags & CHANGE_DELETED) {
            u256 empty = u256_from_u64((uint64_t)(uintptr_t)&EVM_EMPTY_CODE);
            push_write(v, &n, ad, LOC_BALANCE, NULL, MV_DELETED, &zero);
            push_write(v, &n, ad, LOC_NONCE, NULL, MV_DELETED, &zero);
            push_write(v, &n, ad, LOC_CODE, NULL, MV_DELETED, &empty);
            push_write(v, &n, ad, LOC_CLEARED, NULL, 0, &one);
            continue;
        }
        if (c->flags & CHANGE_CREATED) push_write(v, &n, ad, LOC_CLEARED, NULL, 0, &one);
        /* an account that exists from now on although none of its fields
         * may change (a creation, a touch before EIP-161): its nonce, known
         * then, is the write that tells readers it exists */
        if ((c->flags & (CHANGE_CREATED | CHANGE_TOUCHED)) && !(c->flags & CHANGE_NONCE)) {
            u256 nn = u256_from_u64(c->nonce);
            push_write(v, &n, ad, LOC_NONCE, NULL, 0, &nn);
        }
        if (c->flags & CHANGE_BALANCE) push_write(v, &n, ad, LOC_BALANCE, NULL, 0, &c->balance);
        if ((c->flags & CHANGE_BALANCE_DELTA) && address_eq(ad, coinbase)) {
            o->credits_coinbase = true;
            o->coinbase_delta = c->balance;
        } else if (c->flags & CHANGE_BALANCE_DELTA) {
            push_write(v, &n, ad, LOC_BALANCE, NULL, MV_DELTA, &c->balance);
        }
        if (c->flags & CHANGE_NONCE) {
            u256 nn = u256_from_u64(c->nonce);
            push_write(v, &n, ad, LOC_NONCE, NULL, 0, &nn);
        }
        if (c->flags & CHANGE_CODE) {
            u256 cp = u256_from_u64((uint64_t)(uintptr_t)c->code);
            push_write(v, &n, ad, LOC_CODE, NULL, 0, &cp);
        }
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *sc = &cs->slots[c->first_slot + k];
            push_write(v, &n, ad, LOC_STORAGE, &sc->key, 0, &sc->value);
        }
    }
    if (max) arena_shrink(a, v, max * sizeof *v, n * sizeof *v);
    o->writes = v;
    o->n_writes = n;
}
