/* JSON-RPC 2.0 dispatch: error objects, the method table and the processing
 * of one HTTP body (a request or a batch), transport-independent so that
 * tests and the HTTP server share it. */
#include "parevm/rpc.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "parevm/abi.h"
#include "parevm/hex.h"
#include "rpc_internal.h"

/* ---- Errors ---------------------------------------------------------------- */

bool rpc_error_set(rpc_error *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return false;
}

bool rpc_error_invalid_param(rpc_error *e, size_t index, const char *why) {
    return rpc_error_set(e, RPC_INVALID_PARAMS, "invalid argument %zu: %s", index, why);
}

void rpc_error_clear(rpc_error *e) {
    if (e->data) json_decref(e->data);
    e->data = NULL;
    e->code = 0;
    e->message[0] = 0;
}

bool rpc_error_revert(rpc_error *e, const uint8_t *data, size_t len) {
    rpc_error_clear(e);
    const uint8_t *s;
    size_t slen;
    u256 code;
    abi_revert_kind kind = abi_decode_revert(data, len, &s, &slen, &code);
    if (kind == ABI_REVERT_ERROR && memchr(s, 0, slen) == NULL && rpc_utf8_valid(s, slen)) {
        int n = slen > 200 ? 200 : (int)slen;
        rpc_error_set(e, RPC_EXECUTION_REVERTED, "execution reverted: %.*s", n, (const char *)s);
    } else if (kind == ABI_REVERT_PANIC) {
        /* geth's UnpackRevert: the first word is the code, any size */
        const char *why = abi_panic_reason_geth(&code);
        if (why) {
            rpc_error_set(e, RPC_EXECUTION_REVERTED, "execution reverted: %s", why);
        } else {
            char hex[67];
            u256_to_hex(&code, hex);
            rpc_error_set(e, RPC_EXECUTION_REVERTED, "execution reverted: unknown panic code: %s", hex);
        }
    } else {
        rpc_error_set(e, RPC_EXECUTION_REVERTED, "execution reverted");
    }
    char *hex = malloc(2 * len + 3);
    if (!hex) abort();
    hex_encode(data, len, hex);
    e->data = rpc_json_take(json_string(hex));
    free(hex);
    return false;
}

/* ---- Method table ------------------------------------------------------------ */

typedef struct {
    char *name;
    rpc_handler fn;
    void *ctx;
} method_entry;

struct rpc_methods {
    method_entry *v; /* sorted by name */
    size_t n, cap;
    rpc_observer observer;
    void *observer_arg;
};

rpc_methods *rpc_methods_new(void) {
    rpc_methods *m = calloc(1, sizeof *m);
    if (!m) abort();
    return m;
}

void rpc_methods_free(rpc_methods *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) free(m->v[i].name);
    free(m->v);
    free(m);
}

/* Index of the first entry whose name is >= name. */
static size_t lower_bound(const rpc_methods *m, const char *name) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->v[mid].name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

bool rpc_methods_add(rpc_methods *m, const char *name, rpc_handler fn, void *ctx) {
    size_t i = lower_bound(m, name);
    if (i < m->n && !strcmp(m->v[i].name, name)) return false;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        if (!m->v) abort();
    }
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof *m->v);
    m->v[i] = (method_entry){strdup(name), fn, ctx};
    if (!m->v[i].name) abort();
    m->n++;
    return true;
}

size_t rpc_methods_count(const rpc_methods *m) { return m->n; }

static const method_entry *find_method(const rpc_methods *m, const char *name) {
    size_t i = lower_bound(m, name);
    return i < m->n && !strcmp(m->v[i].name, name) ? &m->v[i] : NULL;
}

rpc_methods *rpc_methods_copy(const rpc_methods *m) {
    rpc_methods *c = rpc_methods_new();
    c->cap = c->n = m->n;
    c->v = malloc((m->n ? m->n : 1) * sizeof *c->v);
    if (!c->v) abort();
    for (size_t i = 0; i < m->n; i++) {
        c->v[i] = m->v[i];
        if (!(c->v[i].name = strdup(m->v[i].name))) abort();
    }
    c->observer = m->observer;
    c->observer_arg = m->observer_arg;
    return c;
}

void rpc_methods_set_observer(rpc_methods *m, rpc_observer fn, void *arg) {
    m->observer = fn;
    m->observer_arg = arg;
}

bool rpc_methods_has(const rpc_methods *m, const char *name) { return find_method(m, name) != NULL; }

size_t rpc_method_namespace_len(const char *method) { return strcspn(method, "_"); }

const char *rpc_methods_name(const rpc_methods *m, size_t i) { return i < m->n ? m->v[i].name : NULL; }

size_t rpc_methods_retain(rpc_methods *m, bool (*keep)(const char *name, void *arg), void *arg) {
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (keep(m->v[i].name, arg)) m->v[k++] = m->v[i];
        else free(m->v[i].name);
    }
    return m->n = k;
}

bool rpc_call(const rpc_methods *m, const char *method, const json_t *params, json_t **result, rpc_error *err) {
    *result = NULL;
    const method_entry *me = find_method(m, method);
    if (!me) return rpc_error_set(err, RPC_METHOD_NOT_FOUND, "the method %.80s does not exist/is not available", method);
    json_t *empty = params ? NULL : rpc_json_take(json_array());
    bool ok = me->fn(me->ctx, params ? params : empty, result, err);
    if (empty) json_decref(empty);
    if (!ok && *result) {
        json_decref(*result);
        *result = NULL;
    }
    if (!ok && !err->code) rpc_error_set(err, RPC_INTERNAL_ERROR, "internal error in %.80s", method);
    return ok;
}

/* ---- Responses ------------------------------------------------------------------ */

json_t *rpc_json_take(json_t *v) {
    if (!v) abort(); /* jansson returns NULL only when out of memory here */
    return v;
}

/* Sets key on obj, taking the reference; aborts on out-of-memory. */
static void put(json_t *obj, const char *key, json_t *v) {
    if (json_object_set_new(obj, key, rpc_json_take(v))) abort();
}

static json_t *envelope(json_t *id) {
    json_t *r = rpc_json_take(json_object());
    put(r, "jsonrpc", json_string("2.0"));
    put(r, "id", id ? json_incref(id) : json_null());
    return r;
}

/* The response for err (its data is moved into the response). */
static json_t *error_response(json_t *id, rpc_error *err) {
    json_t *r = envelope(id);
    json_t *e = rpc_json_take(json_object());
    put(e, "code", json_integer(err->code));
    put(e, "message", rpc_json_string_lossy(err->message));
    if (err->data) {
        put(e, "data", err->data);
        err->data = NULL;
    }
    put(r, "error", e);
    return r;
}

static json_t *simple_error(json_t *id, int code, const char *msg) {
    rpc_error err = {.code = code};
    snprintf(err.message, sizeof err.message, "%s", msg);
    return error_response(id, &err);
}

/* ---- Requests ------------------------------------------------------------------- */

static bool valid_id(const json_t *id) {
    return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/* Runs one request object; returns its response, or NULL for a
 * notification (a request without "id"), whose outcome is not reported. */
static json_t *process_one(const rpc_methods *m, json_t *req) {
    if (!json_is_object(req)) return simple_error(NULL, RPC_INVALID_REQUEST, "invalid request");
    json_t *id = json_object_get(req, "id");
    bool notification = id == NULL;
    if (id && !valid_id(id)) return simple_error(NULL, RPC_INVALID_REQUEST, "invalid request: id must be a string, number or null");
    json_t *version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0"))
        return simple_error(id, RPC_INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"");
    json_t *method = json_object_get(req, "method");
    /* an empty name is no call either (geth's isCall) */
    if (!json_is_string(method) || !json_string_length(method))
        return simple_error(id, RPC_INVALID_REQUEST, "invalid request: method must be a non-empty string");
    json_t *params = json_object_get(req, "params");
    json_t *empty = NULL;
    if (!params || json_is_null(params)) params = empty = rpc_json_take(json_array());
    else if (!json_is_array(params)) {
        if (notification) return NULL;
        return simple_error(id, RPC_INVALID_PARAMS, "invalid params: expected an array of positional arguments");
    }
    const char *name = json_string_value(method);
    /* geth's handleCall: a name over maxMethodNameLength is no request */
    if (json_string_length(method) > RPC_MAX_METHOD_NAME) {
        if (empty) json_decref(empty);
        if (notification) return NULL;
        rpc_error err = {0};
        rpc_error_set(&err, RPC_INVALID_REQUEST, "method name too long: %zu > %d", json_string_length(method),
                      RPC_MAX_METHOD_NAME);
        return error_response(id, &err);
    }
    const method_entry *me = find_method(m, name);
    json_t *resp = NULL;
    if (!me) {
        if (!notification) {
            rpc_error err = {0};
            rpc_error_set(&err, RPC_METHOD_NOT_FOUND, "the method %.80s does not exist/is not available", name);
            resp = error_response(id, &err);
        }
    } else {
        json_t *result = NULL;
        rpc_error err = {0};
        if (m->observer) m->observer(m->observer_arg, name, params, NULL);
        if (me->fn(me->ctx, params, &result, &err)) {
            if (!notification) {
                resp = envelope(id);
                put(resp, "result", result ? result : json_null());
            } else if (result) {
                json_decref(result);
            }
            rpc_error_clear(&err);
        } else {
            if (result) json_decref(result);
            if (!err.code) /* a handler that forgot to say why */
                rpc_error_set(&err, RPC_INTERNAL_ERROR, "internal error in %.80s", name);
            if (m->observer) m->observer(m->observer_arg, name, params, &err);
            if (!notification) resp = error_response(id, &err);
            rpc_error_clear(&err);
        }
    }
    if (empty) json_decref(empty);
    return resp;
}

/* geth's answer to an oversized batch: one error in an array, carrying the
 * id of the first call in the batch. */
static json_t *batch_too_large(json_t *batch) {
    json_t *id = NULL;
    size_t i;
    json_t *req;
    json_array_foreach(batch, i, req) {
        json_t *rid = json_is_object(req) ? json_object_get(req, "id") : NULL;
        if (rid && valid_id(rid)) {
            id = rid;
            break;
        }
    }
    json_t *arr = rpc_json_take(json_array());
    json_array_append_new(arr, simple_error(id, RPC_INVALID_REQUEST, "batch too large"));
    return arr;
}

static json_t *process_batch(const rpc_methods *m, json_t *batch, size_t max_batch) {
    size_t n = json_array_size(batch);
    if (n == 0) return simple_error(NULL, RPC_INVALID_REQUEST, "empty batch");
    if (n > max_batch) return batch_too_large(batch);
    json_t *out = rpc_json_take(json_array());
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = process_one(m, json_array_get(batch, i));
        if (!r) continue;
        /* geth's BatchResponseMaxSize: once the results and errors passed
         * the limit, each call not yet run is answered "response too large" */
        json_t *body = json_object_get(r, "result");
        if (!body) body = json_object_get(r, "error");
        bytes += body ? json_dumpb(body, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
        if (json_array_append_new(out, r)) abort();
        if (bytes <= RPC_MAX_BATCH_RESPONSE) continue;
        for (size_t j = i + 1; j < n; j++) {
            json_t *req = json_array_get(batch, j);
            json_t *rid = json_is_object(req) ? json_object_get(req, "id") : NULL;
            if (json_is_object(req) && !rid) continue; /* a notification */
            json_t *e = simple_error(rid && valid_id(rid) ? rid : NULL, RPC_RESPONSE_TOO_LARGE, "response too large");
            if (json_array_append_new(out, e)) abort();
        }
        break;
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

char *rpc_process(const rpc_methods *m, const char *body, size_t len, size_t max_batch, size_t *out_len) {
    if (!max_batch) max_batch = RPC_DEFAULT_MAX_BATCH;
    json_error_t jerr;
    json_t *in = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    json_t *resp;
    if (!in) resp = simple_error(NULL, RPC_PARSE_ERROR, "parse error");
    else if (json_is_array(in)) resp = process_batch(m, in, max_batch);
    else if (json_is_object(in)) resp = process_one(m, in);
    else resp = simple_error(NULL, RPC_INVALID_REQUEST, "invalid request");
    if (in) json_decref(in);
    if (!resp) return NULL;
    char *text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    if (!text) abort();
    if (out_len) *out_len = strlen(text);
    return text;
}
