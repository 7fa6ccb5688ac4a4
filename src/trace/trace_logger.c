/* The default opcode logger (geth's StructLogger in its JSON-RPC form): one
 * entry per instruction {pc, op, gas, gasCost, depth, error, stack,
 * returnData, memory, storage, refund}, keys in that order and omitted as
 * geth omits them, then {gas, failed, returnValue, structLogs}.
 *
 * storage is the running view of the executing contract's slots that SLOAD
 * (the value read) and SSTORE (the value written) have shown so far, attached
 * to those two instructions only. limit counts bytes of entries as Go encodes
 * them: once past it, no more entries (nor storage) are recorded. */
#include <stdlib.h>
#include "parevm/hex.h"
#include "trace_internal.h"

enum { OP_SLOAD = 0x54, OP_SSTORE = 0x55 };

void lg_init(trace_run *r) { r->lg.logs = trace_take(json_array()); }

static void drop_captures(tr_logger *l) {
    json_decref(l->stack);
    json_decref(l->memory);
    json_decref(l->ret);
    json_decref(l->storage);
    l->stack = l->memory = l->ret = l->storage = NULL;
}

static void words_free(lg_words *c) {
    for (size_t i = 0; i < c->n; i++) json_decref(c->strs[i]);
    free(c->words);
    free(c->strs);
}

/* The JSON string of word (32 bytes, big-endian) at position i: the cached
 * one when the word is unchanged. minimal: uint256.Hex's form ("0x0"), else
 * all 64 digits. Returns a new reference. */
static json_t *word_at(lg_words *c, size_t i, const uint8_t word[32], bool minimal) {
    if (i >= c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        while (c->cap <= i) c->cap *= 2;
        c->words = realloc(c->words, c->cap * sizeof *c->words);
        c->strs = realloc(c->strs, c->cap * sizeof *c->strs);
        if (!c->words || !c->strs) abort();
    }
    while (c->n <= i) c->strs[c->n++] = NULL;
    if (c->strs[i] && !memcmp(c->words[i], word, 32)) return json_incref(c->strs[i]);
    char hex[67];
    if (minimal) {
        bytes32 b;
        memcpy(b.b, word, 32);
        u256 v = u256_from_bytes32(&b);
        u256_to_hex(&v, hex);
    } else {
        hex_encode(word, 32, hex);
    }
    json_decref(c->strs[i]);
    c->strs[i] = trace_take(json_string(hex));
    memcpy(c->words[i], word, 32);
    return json_incref(c->strs[i]);
}

void lg_free(trace_run *r) {
    tr_logger *l = &r->lg;
    words_free(&l->stack_cache);
    words_free(&l->memory_cache);
    drop_captures(l);
    json_decref(l->logs);
    for (size_t i = 0; i < l->n_stores; i++) {
        free(l->stores[i].keys);
        free(l->stores[i].vals);
    }
    free(l->stores);
}

static lg_store *store_of(tr_logger *l, const address *a) {
    for (size_t i = 0; i < l->n_stores; i++)
        if (address_eq(&l->stores[i].addr, a)) return &l->stores[i];
    if (l->n_stores == l->cap_stores) {
        l->cap_stores = l->cap_stores ? 2 * l->cap_stores : 8;
        l->stores = realloc(l->stores, l->cap_stores * sizeof *l->stores);
        if (!l->stores) abort();
    }
    lg_store *s = &l->stores[l->n_stores++];
    memset(s, 0, sizeof *s);
    s->addr = *a;
    return s;
}

/* Sets key to val in s, keeping the keys sorted (as Go sorts map keys). */
static void store_put(lg_store *s, const u256 *key, const u256 *val) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u256_lt(&s->keys[mid], key))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && u256_eq(&s->keys[lo], key)) {
        s->vals[lo] = *val;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->keys = realloc(s->keys, s->cap * sizeof *s->keys);
        s->vals = realloc(s->vals, s->cap * sizeof *s->vals);
        if (!s->keys || !s->vals) abort();
    }
    memmove(s->keys + lo + 1, s->keys + lo, (s->n - lo) * sizeof *s->keys);
    memmove(s->vals + lo + 1, s->vals + lo, (s->n - lo) * sizeof *s->vals);
    s->keys[lo] = *key;
    s->vals[lo] = *val;
    s->n++;
}

static json_t *store_json(const lg_store *s) {
    json_t *o = trace_take(json_object());
    for (size_t i = 0; i < s->n; i++) {
        bytes32 k = u256_to_bytes32(&s->keys[i]);
        char hex[67];
        hex_encode(k.b, 32, hex);
        trace_set(o, hex, trace_json_word(&s->vals[i]));
    }
    return o;
}

static json_t *hex_data(const uint8_t *p, size_t n) {
    char *hex = malloc(2 * n + 3);
    if (!hex) abort();
    hex_encode(p, n, hex);
    json_t *s = trace_take(json_string(hex));
    free(hex);
    return s;
}

void lg_step(trace_run *r, const evm_step *s) {
    tr_logger *l = &r->lg;
    const trace_config *c = r->cfg;
    drop_captures(l);
    l->capturing = !(c->limit != 0 && l->size > c->limit);
    if (!l->capturing) return;
    if (!c->disable_stack) {
        l->stack = trace_take(json_array());
        for (int i = 0; i < s->stack_size; i++) {
            bytes32 b = u256_to_bytes32(&s->stack[i]);
            trace_append(l->stack, word_at(&l->stack_cache, (size_t)i, b.b, true));
        }
    }
    if (c->enable_return_data && s->return_size) l->ret = hex_data(s->return_data, s->return_size);
    if (c->enable_memory && s->mem_size) {
        l->memory = trace_take(json_array());
        for (size_t i = 0; i < s->mem_size; i += 32)
            trace_append(l->memory, word_at(&l->memory_cache, i / 32, s->memory + i, false));
    }
    if (!c->disable_storage && ((s->op == OP_SLOAD && s->stack_size >= 1) || (s->op == OP_SSTORE && s->stack_size >= 2))) {
        const u256 *key = &s->stack[s->stack_size - 1];
        u256 val = s->op == OP_SLOAD ? overlay_sload(r->ov, &s->msg->recipient, key) : s->stack[s->stack_size - 2];
        lg_store *st = store_of(l, &s->msg->recipient);
        store_put(st, key, &val);
        l->storage = store_json(st);
    }
}

/* Bytes Go's encoding/json adds over jansson's compact form: it writes <, >
 * and & in strings as \u003c, \u003e and \u0026. */
static size_t go_extra(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (*s == '<' || *s == '>' || *s == '&') n += 5;
    return n;
}

void lg_done(trace_run *r, const tr_done *d) {
    tr_logger *l = &r->lg;
    if (!l->capturing) return;
    const tr_step *s = d->s;
    char name[32];
    json_t *e = trace_take(json_object());
    trace_set(e, "pc", json_integer((json_int_t)s->pc));
    trace_set(e, "op", json_string(trace_op_name(s->op, name)));
    trace_set(e, "gas", json_integer(s->gas));
    trace_set(e, "gasCost", json_integer(d->cost));
    trace_set(e, "depth", json_integer(s->depth + 1));
    if (d->error) trace_set(e, "error", json_string(d->error));
    if (l->stack) trace_set(e, "stack", l->stack);
    if (l->ret) trace_set(e, "returnData", l->ret);
    if (l->memory) trace_set(e, "memory", l->memory);
    if (l->storage) trace_set(e, "storage", l->storage);
    l->stack = l->ret = l->memory = l->storage = NULL;
    if (d->refund) trace_set(e, "refund", json_integer(d->refund));
    if (r->cfg->limit) {
        char *text = trace_dumps(e);
        l->size += (int64_t)(strlen(text) + go_extra(text));
        free(text);
    }
    trace_append(l->logs, e);
    l->capturing = false;
}

json_t *lg_result(trace_run *r, const tx_result *res) {
    json_t *o = trace_take(json_object());
    trace_set(o, "gas", json_integer((json_int_t)res->gas_used));
    trace_set(o, "failed", json_boolean(res->status != EVM_SUCCESS));
    bool out = res->status == EVM_SUCCESS || res->status == EVM_REVERT;
    trace_set(o, "returnValue", hex_data(res->output, out ? res->output_size : 0));
    trace_set(o, "structLogs", json_incref(r->lg.logs));
    return o;
}
