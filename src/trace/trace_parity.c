/* Parity's trace_* results as reth serves them (revm-inspectors'
 * ParityTraceBuilder and populate_state_diff, which anvil shares):
 * {"output", "stateDiff", "trace", "vmTrace"}. The frames come from
 * callTracer's tree, run with each frame's revm error name recorded
 * ("_parityError"); the state diff from the transaction's change set
 * against the state before it. Field order is reth's. */
#include <stdlib.h>
#include <string.h>
#include "parevm/hex.h"
#include "trace_internal.h"

static bool is_type(const json_t *frame, const char *type) {
    const char *t = json_string_value(json_object_get(frame, "type"));
    return t && !strcmp(t, type);
}

static bool is_create(const json_t *f) { return is_type(f, "CREATE") || is_type(f, "CREATE2"); }

/* A zero-value call to a precompile below the top frame: revm-inspectors
 * does not attach it to its parent. */
static bool excluded(const json_t *f, fork_id fork) {
    if (is_create(f) || is_type(f, "SELFDESTRUCT")) return false;
    address a;
    const char *to = json_string_value(json_object_get(f, "to"));
    if (!to || !hex_to_fixed(to, a.b, 20) || !precompile_is_active(&a, fork)) return false;
    const char *v = json_string_value(json_object_get(f, "value"));
    return !v || !strcmp(v, "0x0");
}

static json_t *get_or(const json_t *f, const char *key, const char *dflt) {
    json_t *v = json_object_get(f, key);
    return v ? json_incref(v) : trace_take(json_string(dflt));
}

static void lower_into(const char *s, char *out, size_t cap) {
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++) out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[i] = 0;
}

static json_t *quantity(uint64_t v) {
    u256 w = u256_from_u64(v);
    return trace_json_quantity(&w);
}

typedef struct {
    const trace_config *cfg;
    const parity_input *in;
    json_t *out;
    int path[TR_MAX_DEPTH + 2];
} parity_walk;

/* revm's MODEXP refuses lengths that do not fit a usize (and, from Osaka,
 * EIP-7823's 1,024 bytes) before it prices anything: "Built-in failed"
 * where the gas rules here (and geth's) ran out of gas. Only its minimum
 * price comes first (200 from Berlin, 500 from Osaka): a call given less
 * is out of gas whatever its lengths. */
static const char *modexp_error(const json_t *f, const char *perr, fork_id fork) {
    const char *to = json_string_value(json_object_get(f, "to"));
    const char *in = json_string_value(json_object_get(f, "input"));
    if (!perr || strcmp(perr, "Out of gas") || !to || !in || strcmp(to, "0x0000000000000000000000000000000000000005"))
        return perr;
    uint64_t gas, min_gas = fork >= FORK_OSAKA ? 500 : fork >= FORK_BERLIN ? 200 : 0;
    const char *g = json_string_value(json_object_get(f, "gas"));
    if (g && hex_to_u64(g, &gas) && gas < min_gas) return perr;
    uint8_t head[96] = {0};
    size_t hex = strlen(in) > 2 ? strlen(in) - 2 : 0;
    for (size_t i = 0; i < 96 && 2 * i + 1 < hex; i++) {
        char b[3] = {in[2 + 2 * i], in[3 + 2 * i], 0};
        head[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    bool big[3];
    uint64_t len[3];
    for (int k = 0; k < 3; k++) {
        big[k] = false;
        for (int i = 0; i < 24; i++) big[k] |= head[32 * k + i] != 0;
        len[k] = 0;
        for (int i = 24; i < 32; i++) len[k] = len[k] << 8 | head[32 * k + i];
    }
    if (big[0] || big[2]) return "Built-in failed";         /* base, modulus */
    if (!len[0] && !len[2]) return perr;                    /* the empty case */
    if (big[1]) return "Built-in failed";                    /* exponent */
    if (fork >= FORK_OSAKA && (len[0] > 1024 || len[1] > 1024 || len[2] > 1024)) return "Built-in failed";
    return perr;
}

/* action, result and type of one frame (top: the transaction's own). */
static void frame_parts(const parity_walk *w, const json_t *f, bool top, json_t **action, json_t **result,
                        const char **type) {
    json_t *a = trace_take(json_object());
    *result = NULL;
    if (is_type(f, "SELFDESTRUCT")) {
        *type = "suicide";
        static const char ZERO[] = "0x0000000000000000000000000000000000000000";
        bool zeros = json_object_get(f, "_noSelfdestructHook") != NULL; /* see trace_calls.c */
        trace_set(a, "address", zeros ? json_string(ZERO) : get_or(f, "from", "0x"));
        trace_set(a, "balance", zeros ? json_string("0x0") : get_or(f, "value", "0x0"));
        trace_set(a, "refundAddress", zeros ? json_string(ZERO) : get_or(f, "to", "0x"));
        *action = a;
        return;
    }
    const char *perr = json_string_value(json_object_get(f, "_parityError"));
    bool has_result = !perr || !strcmp(perr, "Reverted");
    json_t *gas = top ? quantity(w->in->top_gas) : get_or(f, "gas", "0x0");
    json_t *used = top ? quantity(w->in->top_gas_used) : get_or(f, "gasUsed", "0x0");
    char lower[16];
    lower_into(json_string_value(json_object_get(f, "type")), lower, sizeof lower);
    if (is_create(f)) {
        *type = "create";
        trace_set(a, "from", get_or(f, "from", "0x"));
        trace_set(a, "gas", gas);
        trace_set(a, "init", get_or(f, "input", "0x"));
        trace_set(a, "value", get_or(f, "value", "0x0"));
        trace_set(a, "creationMethod", json_string(lower));
        if (has_result) {
            *result = trace_take(json_object());
            json_t *to = json_object_get(f, "to");
            trace_set(*result, "address", json_incref(to ? to : json_object_get(f, "_to")));
            trace_set(*result, "code", get_or(f, "output", "0x"));
            trace_set(*result, "gasUsed", used);
        } else {
            json_decref(used);
        }
    } else {
        *type = "call";
        trace_set(a, "from", get_or(f, "from", "0x"));
        trace_set(a, "callType", json_string(lower));
        trace_set(a, "gas", gas);
        trace_set(a, "input", get_or(f, "input", "0x"));
        trace_set(a, "to", get_or(f, "to", "0x"));
        trace_set(a, "value", get_or(f, "value", "0x0"));
        if (has_result) {
            *result = trace_take(json_object());
            trace_set(*result, "gasUsed", used);
            trace_set(*result, "output", get_or(f, "output", "0x"));
        } else {
            json_decref(used);
        }
    }
    *action = a;
}

static void walk(parity_walk *w, const json_t *f, int depth) {
    const trace_tx_context *where = w->in->where;
    json_t *action, *result;
    const char *type;
    frame_parts(w, f, depth == 0, &action, &result, &type);
    const char *perr = modexp_error(f, json_string_value(json_object_get(f, "_parityError")), w->in->fork);
    json_t *calls = json_object_get(f, "calls");
    size_t n = 0, i;
    json_t *c;
    json_array_foreach(calls, i, c) n += !excluded(c, w->in->fork);
    json_t *addr = trace_take(json_array());
    for (int d = 0; d < depth; d++) trace_append(addr, json_integer(w->path[d]));
    json_t *t = trace_take(json_object());
    if (w->cfg->parity_localized) {
        trace_set(t, "action", action);
        trace_set(t, "blockHash", where && where->has_block_hash ? rpc_json_hash(&where->block_hash) : json_null());
        trace_set(t, "blockNumber", where ? json_integer((json_int_t)where->block_number) : json_null());
        if (perr) trace_set(t, "error", json_string(perr));
        trace_set(t, "result", result ? result : json_null());
        trace_set(t, "subtraces", json_integer((json_int_t)n));
        trace_set(t, "traceAddress", addr);
        trace_set(t, "transactionHash", where && where->has_tx_hash ? rpc_json_hash(&where->tx_hash) : json_null());
        trace_set(t, "transactionPosition", where ? json_integer((json_int_t)where->tx_index) : json_null());
        trace_set(t, "type", json_string(type));
    } else {
        trace_set(t, "type", json_string(type));
        trace_set(t, "action", action);
        if (perr) trace_set(t, "error", json_string(perr));
        trace_set(t, "result", result ? result : json_null());
        trace_set(t, "subtraces", json_integer((json_int_t)n));
        trace_set(t, "traceAddress", addr);
    }
    trace_append(w->out, t);
    if (depth > TR_MAX_DEPTH) return;
    int k = 0;
    json_array_foreach(calls, i, c) {
        if (excluded(c, w->in->fork)) continue;
        w->path[depth] = k++;
        walk(w, c, depth + 1);
    }
}

/* ---- Otterscan's views (trace.h) --------------------------------------------------- */

static json_t *ots_entry(json_t *type, int depth, json_t *from, json_t *to, json_t *value, json_t *input,
                         json_t *output) {
    json_t *e = trace_take(json_object());
    trace_set(e, "type", type);
    if (depth >= 0) trace_set(e, "depth", json_integer(depth));
    trace_set(e, "from", from);
    trace_set(e, "to", to);
    trace_set(e, "value", value);
    if (input) trace_set(e, "input", input);
    if (output) trace_set(e, "output", output);
    return e;
}

/* A frame's own address: a creation's also when it failed (kept as "_to"). */
static json_t *frame_to(const json_t *f) {
    json_t *to = json_object_get(f, "to");
    if (!to) to = json_object_get(f, "_to");
    return to ? json_incref(to) : trace_take(json_string("0x0000000000000000000000000000000000000000"));
}

static json_t *ots_trace_entry(const json_t *f, int depth) {
    /* the beneficiary and the balance also where Parity's trace has zeros
     * (trace.h) */
    if (is_type(f, "SELFDESTRUCT"))
        return ots_entry(json_string("SELFDESTRUCT"), depth, get_or(f, "from", "0x"), get_or(f, "to", "0x"),
                         get_or(f, "value", "0x0"), json_string("0x"), json_string("0x"));
    const char *perr = json_string_value(json_object_get(f, "_parityError"));
    bool has_result = !perr || !strcmp(perr, "Reverted");
    return ots_entry(get_or(f, "type", "CALL"), depth, get_or(f, "from", "0x"), frame_to(f),
                     get_or(f, "value", "0x0"), get_or(f, "input", "0x"),
                     has_result ? get_or(f, "output", "0x") : json_string("0x"));
}

/* The frame's operation for ots_getInternalOperations, or NULL. */
static json_t *ots_operation(const json_t *f) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(f, "calls"), i, c) {
        if (!is_type(c, "SELFDESTRUCT")) continue;
        return ots_entry(json_integer(1), -1, frame_to(f), get_or(c, "to", "0x"), get_or(c, "value", "0x0"), NULL,
                         NULL);
    }
    int type;
    if (is_type(f, "CREATE")) type = 2;
    else if (is_type(f, "CREATE2")) type = 3;
    else if (is_type(f, "CALL") && json_is_string(json_object_get(f, "value")) &&
             strcmp(json_string_value(json_object_get(f, "value")), "0x0"))
        type = 0;
    else return NULL;
    return ots_entry(json_integer(type), -1, get_or(f, "from", "0x"), frame_to(f), get_or(f, "value", "0x0"), NULL,
                     NULL);
}

static void walk_ots(parity_walk *w, const json_t *f, int depth) {
    if (w->cfg->otterscan == TRACE_OTS_TRACE) {
        trace_append(w->out, ots_trace_entry(f, depth));
    } else if (!is_type(f, "SELFDESTRUCT")) {
        json_t *op = ots_operation(f);
        if (op) trace_append(w->out, op);
    }
    if (depth > TR_MAX_DEPTH) return;
    size_t i;
    json_t *c;
    /* the list keeps the zero-value calls to precompiles (as anvil and Erigon) */
    json_array_foreach(json_object_get(f, "calls"), i, c) {
        if (w->cfg->otterscan == TRACE_OTS_TRACE || !excluded(c, w->in->fork)) walk_ots(w, c, depth + 1);
    }
}

/* ---- stateDiff ------------------------------------------------------------------ */

static json_t *delta_changed(json_t *from, json_t *to) {
    if (json_equal(from, to)) {
        json_decref(from);
        json_decref(to);
        return trace_take(json_string("="));
    }
    json_t *ft = trace_take(json_object()), *d = trace_take(json_object());
    trace_set(ft, "from", from);
    trace_set(ft, "to", to);
    trace_set(d, "*", ft);
    return d;
}

static json_t *delta_added(json_t *v) {
    json_t *d = trace_take(json_object());
    trace_set(d, "+", v);
    return d;
}

static json_t *code_json(const evm_code *c) { return rpc_json_data(c ? c->bytes : NULL, c ? c->len : 0); }

static int by_key(const void *a, const void *b) {
    const slot_change *x = a, *y = b;
    return u256_lt(&x->key, &y->key) ? -1 : u256_lt(&y->key, &x->key);
}

static int by_address(const void *a, const void *b) {
    return memcmp((*(const account_change *const *)a)->addr.b, (*(const account_change *const *)b)->addr.b, 20);
}

static bool same_info(const account_info *a, const account_info *b) {
    return u256_eq(&a->balance, &b->balance) && a->nonce == b->nonce && bytes32_eq(&a->code_hash, &b->code_hash);
}

/* The slots whose value the transaction changed: "+" for an added
 * account, else {"*": {from, to}}, in key order. */
static json_t *storage_diff(const account_change *ac, const change_set *cs, state_view pre, bool fresh, bool added) {
    json_t *storage = trace_take(json_object());
    if (!ac->n_slots) return storage;
    slot_change *slots = malloc(ac->n_slots * sizeof *slots);
    if (!slots) abort();
    memcpy(slots, &cs->slots[ac->first_slot], ac->n_slots * sizeof *slots);
    qsort(slots, ac->n_slots, sizeof *slots, by_key);
    for (uint32_t i = 0; i < ac->n_slots; i++) {
        u256 old = fresh ? U256_ZERO : pre.ops->get_storage(pre.ctx, &ac->addr, &slots[i].key);
        if (u256_eq(&old, &slots[i].value)) continue;
        json_t *key = trace_json_word(&slots[i].key);
        json_t *now = trace_json_word(&slots[i].value);
        trace_set(storage, json_string_value(key), added ? delta_added(now) : delta_changed(trace_json_word(&old), now));
        json_decref(key);
    }
    free(slots);
    return storage;
}

/* A destroyed account's slots that the transaction changed before it went,
 * as revm keeps them (present against original), gathered unsorted. */
typedef struct {
    slot_change *v;
    size_t n, cap;
} slot_list;

static void gather_changed(void *arg, const u256 *key, const u256 *original, const u256 *value) {
    slot_list *l = arg;
    if (u256_eq(original, value)) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = realloc(l->v, 2 * l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[2 * l->n] = (slot_change){*key, *original};
    l->v[2 * l->n + 1] = (slot_change){*key, *value};
    l->n++;
}

static int by_key_pair(const void *a, const void *b) { return by_key(a, b); }

static json_t *destroyed_storage(overlay *ov, const address *addr) {
    slot_list l = {0};
    overlay_each_slot(ov, addr, gather_changed, &l);
    /* pairs (original, now) sort together by key */
    if (l.n) qsort(l.v, l.n, 2 * sizeof *l.v, by_key_pair);
    json_t *storage = trace_take(json_object());
    for (size_t i = 0; i < l.n; i++) {
        json_t *key = trace_json_word(&l.v[2 * i].key);
        trace_set(storage, json_string_value(key),
                  delta_changed(trace_json_word(&l.v[2 * i].value), trace_json_word(&l.v[2 * i + 1].value)));
        json_decref(key);
    }
    free(l.v);
    return storage;
}

/* One account's diff, or NULL where revm-inspectors leaves it out. */
static json_t *account_diff(const account_change *ac, const change_set *cs, state_view pre, state_view post,
                            overlay *ov) {
    account_info before, after;
    bool existed = pre.ops->get_account(pre.ctx, &ac->addr, FIELD_ALL, &before);
    post.ops->get_account(post.ctx, &ac->addr, FIELD_ALL, &after);
    bool deleted = ac->flags & CHANGE_DELETED, created = ac->flags & CHANGE_CREATED;
    bool empty_before = u256_is_zero(&before.balance) && before.nonce == 0 &&
                        bytes32_eq(&before.code_hash, &EMPTY_CODE_HASH);
    json_t *d = trace_take(json_object());
    if (deleted) {
        /* created and destroyed in the transaction, or an empty account swept */
        if (!existed || empty_before) {
            json_decref(d);
            return NULL;
        }
        /* destroyed (before Cancun): revm keeps its code and its nonce as
         * the transaction left it (a CREATE first raises it), its balance gone */
        trace_set(d, "balance", delta_changed(trace_json_quantity(&before.balance), trace_json_quantity(&U256_ZERO)));
        trace_set(d, "code", json_string("="));
        trace_set(d, "nonce", ov ? delta_changed(quantity(before.nonce), quantity(overlay_nonce(ov, &ac->addr)))
                                 : json_string("="));
        trace_set(d, "storage", ov ? destroyed_storage(ov, &ac->addr) : trace_take(json_object()));
        return d;
    }
    if (created && u256_is_zero(&before.balance)) {
        trace_set(d, "balance", delta_added(trace_json_quantity(&after.balance)));
        trace_set(d, "code", delta_added(code_json(post.ops->get_code(post.ctx, &ac->addr))));
        trace_set(d, "nonce", delta_added(quantity(after.nonce)));
        trace_set(d, "storage", storage_diff(ac, cs, pre, true, true));
        return d;
    }
    json_t *storage = storage_diff(ac, cs, pre, created, false);
    if (!json_object_size(storage) && same_info(&before, &after)) {
        json_decref(storage);
        json_decref(d);
        return NULL;
    }
    trace_set(d, "balance",
              delta_changed(trace_json_quantity(&before.balance), trace_json_quantity(&after.balance)));
    trace_set(d, "code", created ? delta_changed(code_json(pre.ops->get_code(pre.ctx, &ac->addr)),
                                                 code_json(post.ops->get_code(post.ctx, &ac->addr)))
                                 : json_string("="));
    trace_set(d, "nonce", delta_changed(quantity(before.nonce), quantity(after.nonce)));
    trace_set(d, "storage", storage);
    return d;
}

static json_t *state_diff(state_view pre, const change_set *cs, overlay *ov) {
    trace_state *ts = trace_state_new(pre);
    trace_state_apply(ts, cs);
    state_view post = trace_state_view(ts);
    const account_change **order = malloc((cs->n_accounts + 1) * sizeof *order);
    if (!order) abort();
    for (size_t i = 0; i < cs->n_accounts; i++) order[i] = &cs->accounts[i];
    qsort(order, cs->n_accounts, sizeof *order, by_address);
    json_t *out = trace_take(json_object());
    for (size_t i = 0; i < cs->n_accounts; i++) {
        if (i && !memcmp(order[i]->addr.b, order[i - 1]->addr.b, 20)) continue;
        json_t *d = account_diff(order[i], cs, pre, post, ov);
        if (!d) continue;
        json_t *key = rpc_json_address(&order[i]->addr);
        trace_set(out, json_string_value(key), d);
        json_decref(key);
    }
    free(order);
    trace_state_free(ts);
    return out;
}

/* ---- The result ------------------------------------------------------------------ */

json_t *trace_parity(const trace_config *cfg, const parity_input *in) {
    json_t *out = trace_take(json_object());
    const tx_result *res = in->res;
    bool has_output = res->status == EVM_SUCCESS || res->status == EVM_REVERT;
    trace_set(out, "output", rpc_json_data(res->output, has_output ? res->output_size : 0));
    trace_set(out, "stateDiff", cfg->parity_state_diff ? state_diff(in->pre, in->changes, in->ov) : json_null());
    parity_walk *w = calloc(1, sizeof *w);
    if (!w) abort();
    *w = (parity_walk){.cfg = cfg, .in = in, .out = trace_take(json_array())};
    if (cfg->parity_trace && cfg->otterscan) walk_ots(w, in->calls, 0);
    else if (cfg->parity_trace) walk(w, in->calls, 0);
    trace_set(out, "trace", w->out);
    free(w);
    trace_set(out, "vmTrace", in->vm_trace ? in->vm_trace : json_null());
    json_decref(in->calls);
    return out;
}
