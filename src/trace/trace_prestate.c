/* prestateTracer: the accounts a transaction touches, as they were before it
 * (balance, code, codeHash, nonce and the storage slots it used), following
 * geth's rules for which accounts count: the sender, the recipient (or the
 * created address), the coinbase, EIP-7702 authorities and delegation
 * targets, and the accounts and slots named by BALANCE, EXTCODE*, SLOAD,
 * SSTORE, the CALL family, CREATE, CREATE2 and SELFDESTRUCT when geth's
 * OnOpcode sees them. Values are read from the state the transaction started
 * on, which is what geth reads at each first use.
 *
 * diffMode: {"post", "pre"} with only what changed, the post values taken
 * from the transaction's change set; accounts self-destructed (from Cancun:
 * created in the same transaction) keep their full pre entry and have no
 * post. Accounts empty before the transaction are left out of pre (unless
 * includeEmpty), as geth does. */
#include <stdlib.h>
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/state_host.h"
#include "trace_internal.h"

enum {
    OP_BALANCE = 0x31, OP_EXTCODESIZE = 0x3b, OP_EXTCODECOPY = 0x3c, OP_EXTCODEHASH = 0x3f, OP_SLOAD = 0x54,
    OP_SSTORE = 0x55, OP_CREATE = 0xf0, OP_CALL = 0xf1, OP_CALLCODE = 0xf2, OP_DELEGATECALL = 0xf4,
    OP_CREATE2 = 0xf5, OP_STATICCALL = 0xfa, OP_SELFDESTRUCT = 0xff,
    MEMORY_PAD_LIMIT = 1024 * 1024,
};

void ps_init(trace_run *r) { (void)r; }

static bool in_set(const addr_map *m, const address *a) {
    uint32_t v;
    return addr_map_get(m, a, &v);
}

void ps_free(trace_run *r) {
    tr_prestate *p = &r->ps;
    for (size_t i = 0; i < p->n; i++) {
        word_map_free(&p->accounts[i].slots);
        free(p->accounts[i].order);
    }
    free(p->accounts);
    addr_map_free(&p->index);
    addr_map_free(&p->created);
    addr_map_free(&p->deleted);
}

static ps_account *find(tr_prestate *p, const address *a) {
    uint32_t i;
    return addr_map_get(&p->index, a, &i) ? &p->accounts[i] : NULL;
}

static ps_account *lookup_account(trace_run *r, const address *a) {
    tr_prestate *p = &r->ps;
    ps_account *acc = find(p, a);
    if (acc) return acc;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->accounts = realloc(p->accounts, p->cap * sizeof *p->accounts);
        if (!p->accounts) abort();
    }
    acc = &p->accounts[p->n];
    memset(acc, 0, sizeof *acc);
    acc->addr = *a;
    account_info info;
    r->pre.ops->get_account(r->pre.ctx, a, FIELD_ALL, &info);
    acc->balance = info.balance;
    acc->nonce = info.nonce;
    acc->code = r->pre.ops->get_code(r->pre.ctx, a);
    acc->empty = acc->nonce == 0 && acc->code->len == 0 && u256_is_zero(&acc->balance);
    addr_map_put(&p->index, a, (uint32_t)p->n++);
    return acc;
}

static void lookup_slot(trace_run *r, const address *a, const u256 *key) {
    if (r->cfg->prestate_disable_storage) return;
    ps_account *acc = lookup_account(r, a);
    if (word_map_get(&acc->slots, key)) return;
    u256 v = r->pre.ops->get_storage(r->pre.ctx, a, key);
    word_map_put(&acc->slots, key, &v);
    if (acc->n_order == acc->cap_order) {
        acc->cap_order = acc->cap_order ? 2 * acc->cap_order : 8;
        acc->order = realloc(acc->order, acc->cap_order * sizeof *acc->order);
        if (!acc->order) abort();
    }
    acc->order[acc->n_order++] = *key;
}

/* The delegate of a 7702-delegated account (Prague on), from code. */
static bool delegate_of(trace_run *r, const evm_code *code, address *out) {
    return r->fork >= FORK_PRAGUE && evm_delegation_target(code->bytes, code->len, out);
}

void ps_start(trace_run *r, const transaction *tx, const address *to, const block_env *env) {
    tr_prestate *p = &r->ps;
    if (!tx->has_to) {
        addr_map_put(&p->created, to, 1);
    } else {
        address target;
        if (delegate_of(r, r->pre.ops->get_code(r->pre.ctx, to), &target)) lookup_account(r, &target);
    }
    lookup_account(r, &tx->sender);
    lookup_account(r, to);
    lookup_account(r, &env->coinbase);
    for (size_t i = 0; i < tx->n_auths; i++) {
        authorization a = tx->auths[i];
        if (a.status == AUTH_UNKNOWN) tx_auth_recover(&a);
        if (a.status == AUTH_VALID) lookup_account(r, &a.authority);
    }
}

/* The CREATE2 address a step would use: geth's GetMemoryCopyPadded of the
 * init code (false where geth gives up). */
static bool create2_target(const evm_step *s, address *out) {
    const u256 *top = &s->stack[s->stack_size - 1];
    int64_t off = (int64_t)top[-1].w[0], size = (int64_t)top[-2].w[0]; /* uint256.Uint64(): the low limb */
    if (off < 0 || size < 0) return false;
    int64_t have = (int64_t)s->mem_size;
    uint8_t *init;
    if (off + size < have) {
        init = malloc(size ? (size_t)size : 1);
        if (!init) abort();
        memcpy(init, s->memory + off, (size_t)size);
    } else {
        if (off + size - have > MEMORY_PAD_LIMIT) return false;
        init = calloc(size ? (size_t)size : 1, 1);
        if (!init) abort();
        if (have - off > 0) memcpy(init, s->memory + off, (size_t)(have - off));
    }
    address sender = s->msg->recipient;
    bytes32 salt = u256_to_bytes32(&top[-3]);
    *out = create2_address(&sender, &salt, init, (size_t)size);
    free(init);
    return true;
}

void ps_step(trace_run *r, const evm_step *s) {
    tr_prestate *p = &r->ps;
    p->n_lookups = 0;
    p->lookup_slot = p->mark_created = p->mark_deleted = false;
    const u256 *top = s->stack_size ? &s->stack[s->stack_size - 1] : NULL;
    const address *self = &s->msg->recipient;
    switch (s->op) {
    case OP_SLOAD:
    case OP_SSTORE:
        if (s->stack_size >= 1) p->lookup_slot = true, p->slot = top[0];
        break;
    case OP_EXTCODECOPY:
    case OP_EXTCODEHASH:
    case OP_EXTCODESIZE:
    case OP_BALANCE:
    case OP_SELFDESTRUCT:
        if (s->stack_size < 1) break;
        p->lookups[p->n_lookups++] = u256_to_address(&top[0]);
        if (s->op == OP_SELFDESTRUCT)
            p->mark_deleted = r->fork < FORK_CANCUN || in_set(&p->created, self);
        break;
    case OP_CALL:
    case OP_CALLCODE:
    case OP_DELEGATECALL:
    case OP_STATICCALL:
        if (s->stack_size < 5) break;
        p->lookups[p->n_lookups++] = u256_to_address(&top[-1]);
        address target;
        if (delegate_of(r, overlay_code(r->ov, &p->lookups[0]), &target)) p->lookups[p->n_lookups++] = target;
        break;
    case OP_CREATE:
        p->lookups[p->n_lookups++] = create_address(self, overlay_nonce(r->ov, self));
        p->mark_created = true;
        break;
    case OP_CREATE2:
        if (s->stack_size >= 4 && create2_target(s, &p->lookups[0])) {
            p->n_lookups = 1;
            p->mark_created = true;
        }
        break;
    }
}

void ps_done(trace_run *r, const tr_done *d) {
    tr_prestate *p = &r->ps;
    if (d->error) return; /* geth's OnOpcode ignores steps that failed before running */
    const address *self = &d->s->msg->recipient;
    for (int i = 0; i < p->n_lookups; i++) lookup_account(r, &p->lookups[i]);
    if (p->lookup_slot) lookup_slot(r, self, &p->slot);
    if (p->mark_created) addr_map_put(&p->created, &p->lookups[0], 1);
    if (p->mark_deleted) addr_map_put(&p->deleted, self, 1);
}

/* ---- the result ---- */

/* An account after the transaction, from its pre entry and the change set. */
typedef struct {
    bool exists;
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    const account_change *change;
    const change_set *cs;
} post_account;

static post_account post_of(trace_run *r, const ps_account *a, const change_set *cs) {
    post_account q = {.balance = a->balance, .nonce = a->nonce, .code = a->code, .cs = cs};
    account_info info;
    q.exists = r->pre.ops->get_account(r->pre.ctx, &a->addr, FIELD_ALL, &info);
    for (size_t i = 0; i < cs->n_accounts; i++)
        if (address_eq(&cs->accounts[i].addr, &a->addr)) q.change = &cs->accounts[i];
    const account_change *c = q.change;
    if (!c) return q;
    if (c->flags & CHANGE_DELETED) {
        q.exists = false;
        q.balance = U256_ZERO;
        q.nonce = 0;
        q.code = &EVM_EMPTY_CODE;
        return q;
    }
    q.exists = true;
    if (c->flags & CHANGE_BALANCE) q.balance = c->balance;
    if (c->flags & CHANGE_BALANCE_DELTA) q.balance = u256_add(&a->balance, &c->balance);
    if (c->flags & CHANGE_NONCE) q.nonce = c->nonce;
    if (c->flags & CHANGE_CODE) q.code = c->code;
    return q;
}

static u256 post_slot(const ps_account *a, const post_account *q, const u256 *key, const u256 *pre) {
    const account_change *c = q->change;
    if (!c) return *pre;
    for (uint32_t k = 0; k < c->n_slots; k++)
        if (u256_eq(&q->cs->slots[c->first_slot + k].key, key)) return q->cs->slots[c->first_slot + k].value;
    (void)a;
    return c->flags & (CHANGE_DELETED | CHANGE_CREATED) ? U256_ZERO : *pre;
}

static int cmp_u256(const void *x, const void *y) {
    const u256 *a = x, *b = y;
    return u256_lt(a, b) ? -1 : u256_lt(b, a);
}

/* A storage object of the slots keys[0..n) with values from vals (sorted). */
static json_t *storage_json(u256 *keys, size_t n, const word_map *vals) {
    qsort(keys, n, sizeof *keys, cmp_u256);
    json_t *o = trace_take(json_object());
    for (size_t i = 0; i < n; i++) {
        bytes32 k = u256_to_bytes32(&keys[i]);
        char hex[67];
        hex_encode(k.b, 32, hex);
        trace_set(o, hex, trace_json_word(word_map_get(vals, &keys[i])));
    }
    return o;
}

static json_t *code_json(const evm_code *c) {
    char *hex = malloc(2 * c->len + 3);
    if (!hex) abort();
    hex_encode(c->bytes, c->len, hex);
    json_t *s = trace_take(json_string(hex));
    free(hex);
    return s;
}

static json_t *hash_json(const bytes32 *h) { return rpc_json_hash(h); }

/* geth's account JSON: {balance, code, codeHash, nonce, storage}. */
static json_t *pre_json(trace_run *r, ps_account *a) {
    json_t *o = trace_take(json_object());
    trace_set(o, "balance", trace_json_quantity(&a->balance));
    if (a->code->len && !r->cfg->disable_code) trace_set(o, "code", code_json(a->code));
    if (a->code->len) trace_set(o, "codeHash", hash_json(&a->code->hash));
    if (a->nonce) trace_set(o, "nonce", json_integer((json_int_t)a->nonce));
    if (a->n_order) trace_set(o, "storage", storage_json(a->order, a->n_order, &a->slots));
    return o;
}

static int cmp_account(const void *x, const void *y) {
    const ps_account *const *a = x, *const *b = y;
    return memcmp((*a)->addr.b, (*b)->addr.b, 20);
}

/* The code hash diffMode compares: that of the code, the empty code's for
 * none. geth v1.17.5 reads zero for an account that does not exist after the
 * transaction and so reports {"codeHash": "0x00..."} in post for every
 * account looked up that never existed (a call to an empty address, a
 * precompile): parevm does not copy that regression. */
static bytes32 code_hash(const evm_code *c) { return c->len ? c->hash : EMPTY_CODE_HASH; }

/* processDiffState for one account: fills post (NULL when unmodified) and
 * trims a's slots to the changed ones. */
static json_t *diff_account(trace_run *r, ps_account *a, const change_set *cs) {
    post_account q = post_of(r, a, cs);
    bool modified = false;
    json_t *o = trace_take(json_object());
    if (!u256_eq(&q.balance, &a->balance)) {
        modified = true;
        trace_set(o, "balance", trace_json_quantity(&q.balance));
    }
    bool code_changed = q.code->len != a->code->len || memcmp(q.code->bytes, a->code->bytes, a->code->len);
    if (!r->cfg->disable_code && code_changed) {
        modified = true;
        /* code cleared (an EIP-7702 delegation reset) shows as "0x", as
         * geth's pointer field writes it since v1.17.3 (#34675) */
        trace_set(o, "code", code_json(q.code));
    }
    bytes32 before = code_hash(a->code), after = code_hash(q.code);
    if (!bytes32_eq(&before, &after)) {
        modified = true;
        trace_set(o, "codeHash", hash_json(&after));
    }
    if (q.nonce != a->nonce) {
        modified = true;
        if (q.nonce) trace_set(o, "nonce", json_integer((json_int_t)q.nonce));
    }
    word_map post_vals = {0};
    u256 *post_keys = malloc((a->n_order ? a->n_order : 1) * sizeof *post_keys);
    if (!post_keys) abort();
    size_t n_post = 0, kept = 0;
    for (size_t i = 0; i < a->n_order; i++) {
        const u256 *key = &a->order[i], *pre = word_map_get(&a->slots, key);
        u256 now = post_slot(a, &q, key, pre);
        if (u256_eq(pre, &now)) continue; /* unchanged (and zero pre slots) leave pre */
        modified = true;
        if (!u256_is_zero(&now)) {
            word_map_put(&post_vals, key, &now);
            post_keys[n_post++] = *key;
        }
        if (!u256_is_zero(pre)) a->order[kept++] = *key;
    }
    a->n_order = kept;
    /* the slots moved first the ones to keep in pre; a zero pre slot never stays */
    if (n_post) trace_set(o, "storage", storage_json(post_keys, n_post, &post_vals));
    free(post_keys);
    word_map_free(&post_vals);
    if (!modified) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *ps_result(trace_run *r, const change_set *cs) {
    tr_prestate *p = &r->ps;
    ps_account **sorted = malloc((p->n ? p->n : 1) * sizeof *sorted);
    if (!sorted) abort();
    for (size_t i = 0; i < p->n; i++) sorted[i] = &p->accounts[i];
    qsort(sorted, p->n, sizeof *sorted, cmp_account);
    json_t *pre = trace_take(json_object()), *post = NULL;
    bool *keep = calloc(p->n ? p->n : 1, sizeof *keep);
    if (!keep) abort();
    if (r->cfg->diff_mode) {
        post = trace_take(json_object());
        for (size_t i = 0; i < p->n; i++) {
            ps_account *a = sorted[i];
            char hex[43];
            hex_encode(a->addr.b, 20, hex);
            keep[i] = true;
            if (in_set(&p->deleted, &a->addr)) continue;
            json_t *o = diff_account(r, a, cs);
            if (o)
                trace_set(post, hex, o);
            else
                keep[i] = false;
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        ps_account *a = sorted[i];
        if (r->cfg->diff_mode && !keep[i]) continue;
        if (a->empty && !r->cfg->include_empty) continue;
        char hex[43];
        hex_encode(a->addr.b, 20, hex);
        trace_set(pre, hex, pre_json(r, a));
    }
    free(keep);
    free(sorted);
    if (!post) return pre;
    json_t *o = trace_take(json_object());
    trace_set(o, "post", post);
    trace_set(o, "pre", pre);
    return o;
}
