/* geth's tracers that are views of callTracer's tree: flatCallTracer (the
 * frames as Parity's flat trace list, each with its traceAddress and
 * subtrace count), 4byteTracer (how often each 4-byte selector was called
 * with each argument size) and noopTracer ({}). The run records the tree
 * once (trace_core.c runs these as callTracer) and the result is rebuilt
 * here, field for field and in the order geth's structs marshal them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/hex.h"
#include "trace_internal.h"

static bool is_type(const json_t *frame, const char *type) {
    const char *t = json_string_value(json_object_get(frame, "type"));
    return t && !strcmp(t, type);
}

static bool is_call_family(const json_t *f) {
    return is_type(f, "CALL") || is_type(f, "STATICCALL") || is_type(f, "CALLCODE") || is_type(f, "DELEGATECALL");
}

static bool to_precompile(const json_t *frame, fork_id fork) {
    address a;
    const char *to = json_string_value(json_object_get(frame, "to"));
    return to && hex_to_fixed(to, a.b, 20) && precompile_is_active(&a, fork);
}

/* A field of frame (a new reference), or a default string when absent. */
static json_t *field_or(const json_t *frame, const char *key, const char *dflt) {
    json_t *v = json_object_get(frame, key);
    return v ? json_incref(v) : trace_take(json_string(dflt));
}

static void lower_into(const char *s, char *out, size_t cap) {
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++) out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[i] = 0;
}

/* ---- flatCallTracer ------------------------------------------------------------- */

/* geth's convertErrorToParity. */
static const char *parity_error(const char *e) {
    static const char *const exact[][2] = {
        {"contract creation code storage out of gas", "Out of gas"},
        {"out of gas", "Out of gas"},
        {"gas uint64 overflow", "Out of gas"},
        {"max code size exceeded", "Out of gas"},
        {"invalid jump destination", "Bad jump destination"},
        {"execution reverted", "Reverted"},
        {"return data out of bounds", "Out of bounds"},
        {"stack limit reached 1024 (1023)", "Out of stack"},
        {"precompiled failed", "Built-in failed"},
        {"invalid input length", "Built-in failed"},
    };
    static const char *const prefix[][2] = {
        {"out of gas:", "Out of gas"}, {"invalid opcode:", "Bad instruction"}, {"stack underflow", "Stack underflow"}};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(e, exact[i][0])) return exact[i][1];
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (!strncmp(e, prefix[i][0], strlen(prefix[i][0]))) return prefix[i][1];
    return e;
}

/* The action and result of one frame; *type gets the flat type. */
static void flat_action(const json_t *f, json_t *action, json_t **result, const char **type, bool top) {
    char lower[16];
    lower_into(json_string_value(json_object_get(f, "type")), lower, sizeof lower);
    /* an inner frame without a value (STATICCALL) shows 0, as geth's OnEnter sets it */
    json_t *value = top ? json_incref(json_object_get(f, "value")) : field_or(f, "value", "0x0");
    if (is_type(f, "CREATE") || is_type(f, "CREATE2")) {
        *type = "create";
        trace_set(action, "creationMethod", json_string(lower));
        trace_set(action, "from", field_or(f, "from", "0x"));
        trace_set(action, "gas", field_or(f, "gas", "0x0"));
        trace_set(action, "init", field_or(f, "input", "0x"));
        if (value) trace_set(action, "value", value);
        *result = trace_take(json_object());
        if (json_object_get(f, "to")) trace_set(*result, "address", field_or(f, "to", ""));
        trace_set(*result, "code", field_or(f, "output", "0x"));
        trace_set(*result, "gasUsed", field_or(f, "gasUsed", "0x0"));
    } else if (is_type(f, "SELFDESTRUCT")) {
        *type = "suicide";
        trace_set(action, "address", field_or(f, "from", "0x"));
        if (value) trace_set(action, "balance", value);
        trace_set(action, "refundAddress", field_or(f, "to", "0x"));
        *result = NULL;
    } else {
        *type = "call";
        trace_set(action, "callType", json_string(lower));
        trace_set(action, "from", field_or(f, "from", "0x"));
        trace_set(action, "gas", field_or(f, "gas", "0x0"));
        trace_set(action, "input", field_or(f, "input", "0x"));
        trace_set(action, "to", field_or(f, "to", "0x"));
        if (value) trace_set(action, "value", value);
        *result = trace_take(json_object());
        trace_set(*result, "gasUsed", field_or(f, "gasUsed", "0x0"));
        trace_set(*result, "output", field_or(f, "output", "0x"));
    }
}

typedef struct {
    const trace_config *cfg;
    fork_id fork;
    const trace_tx_context *where;
    json_t *out;
    int path[TR_MAX_DEPTH + 2];
} flattener;

/* The frame's children that the flat list keeps, into kept (room for all
 * of them): calls to precompiles (CALL and STATICCALL) are dropped unless
 * includePrecompiles. */
static size_t kept_children(const flattener *fl, const json_t *f, const json_t **kept) {
    size_t n = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(f, "calls"), i, c) {
        if (!fl->cfg->include_precompiles && (is_type(c, "CALL") || is_type(c, "STATICCALL")) &&
            to_precompile(c, fl->fork))
            continue;
        kept[n++] = c;
    }
    return n;
}

static void flatten(flattener *fl, const json_t *f, int depth) {
    const trace_tx_context *w = fl->where;
    json_t *frame = trace_take(json_object()), *action = trace_take(json_object()), *result;
    const char *type;
    flat_action(f, action, &result, &type, depth == 0);
    trace_set(frame, "action", action);
    trace_set(frame, "blockHash", w && w->has_block_hash ? rpc_json_hash(&w->block_hash) : json_null());
    trace_set(frame, "blockNumber", json_integer(w ? (json_int_t)w->block_number : 0));
    const char *error = json_string_value(json_object_get(f, "error"));
    if (error && error[0])
        trace_set(frame, "error", json_string(fl->cfg->convert_parity_errors ? parity_error(error) : error));
    /* a failed frame has no result, unless it reverted */
    if (result && (!error || !error[0] || !strcmp(error, "execution reverted"))) trace_set(frame, "result", result);
    else json_decref(result);
    const json_t **kept = malloc((json_array_size(json_object_get(f, "calls")) + 1) * sizeof *kept);
    if (!kept) abort();
    size_t n = kept_children(fl, f, kept);
    trace_set(frame, "subtraces", json_integer((json_int_t)n));
    json_t *addr = trace_take(json_array());
    for (int i = 0; i < depth; i++) trace_append(addr, json_integer(fl->path[i]));
    trace_set(frame, "traceAddress", addr);
    trace_set(frame, "transactionHash", w && w->has_tx_hash ? rpc_json_hash(&w->tx_hash) : json_null());
    trace_set(frame, "transactionPosition", json_integer(w ? (json_int_t)w->tx_index : 0));
    trace_set(frame, "type", json_string(type));
    trace_append(fl->out, frame);
    for (size_t i = 0; i < n && depth <= TR_MAX_DEPTH; i++) {
        fl->path[depth] = (int)i;
        flatten(fl, kept[i], depth + 1);
    }
    free(kept);
}

/* ---- 4byteTracer ------------------------------------------------------------------ */

typedef struct {
    char key[32]; /* "0x" + 8 digits + "-" + size */
    long count;
} selector_count;

typedef struct {
    selector_count *v;
    size_t n, cap;
} selector_counts;

static void count_selectors(selector_counts *c, const json_t *f, fork_id fork) {
    const char *in = json_string_value(json_object_get(f, "input"));
    size_t hex = in && !strncmp(in, "0x", 2) ? strlen(in) - 2 : 0;
    if (is_call_family(f) && hex >= 8 && !to_precompile(f, fork)) {
        char key[32];
        snprintf(key, sizeof key, "0x%.8s-%zu", in + 2, hex / 2 - 4);
        size_t i = 0;
        while (i < c->n && strcmp(c->v[i].key, key)) i++;
        if (i == c->n) {
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 16;
                c->v = realloc(c->v, c->cap * sizeof *c->v);
                if (!c->v) abort();
            }
            memcpy(c->v[c->n].key, key, sizeof key);
            c->v[c->n++].count = 0;
        }
        c->v[i].count++;
    }
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(f, "calls"), i, child) count_selectors(c, child, fork);
}

static int by_key(const void *a, const void *b) {
    return strcmp(((const selector_count *)a)->key, ((const selector_count *)b)->key);
}

/* ---- The derived result ------------------------------------------------------------ */

json_t *trace_derive(const trace_config *cfg, json_t *calls, fork_id fork, const trace_tx_context *where) {
    json_t *out;
    if (cfg->kind == TRACER_FLAT_CALL) {
        flattener *fl = calloc(1, sizeof *fl);
        if (!fl) abort();
        *fl = (flattener){.cfg = cfg, .fork = fork, .where = where, .out = trace_take(json_array())};
        flatten(fl, calls, 0);
        out = fl->out;
        free(fl);
    } else if (cfg->kind == TRACER_FOUR_BYTE) {
        selector_counts c = {0};
        count_selectors(&c, calls, fork);
        /* Go marshals a map with its keys sorted */
        if (c.n) qsort(c.v, c.n, sizeof *c.v, by_key);
        out = trace_take(json_object());
        for (size_t i = 0; i < c.n; i++) trace_set(out, c.v[i].key, json_integer(c.v[i].count));
        free(c.v);
    } else {
        out = trace_take(json_object());
    }
    json_decref(calls);
    return out;
}
