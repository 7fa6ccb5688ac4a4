/* A small harness for the node's method tests (test_node_dev,
 * test_node_proofs, test_node_simulate, ...): a dev-mode node in a
 * temporary folder, requests as JSON text in and parsed responses out, and
 * signed transactions sent as raw transactions (automine: each one is a
 * block). */
#ifndef PAREVM_TEST_NODE_RPC_H
#define PAREVM_TEST_NODE_RPC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rpc_codec.h"
#include "parevm/tx.h"
#include "test.h"

typedef struct {
    char path[64];
    node *n;
    address acct[4];
    uint8_t key[4][32];
} test_node;

/* The harness's dev node settings on t's folder. */
static inline node_config test_node_config(const test_node *t) {
    return (node_config){.datadir = t->path, .dev = true, .threads = 2, .dev_genesis_time = 1700000000};
}

static inline bool test_node_open(test_node *t) {
    memset(t, 0, sizeof *t);
    strcpy(t->path, "/tmp/parevm-node-test-XXXXXX");
    if (!mkdtemp(t->path)) abort();
    node_config cfg = test_node_config(t);
    const char *err = node_open(&cfg, &t->n);
    if (err) {
        fprintf(stderr, "node_open: %s\n", err);
        return false;
    }
    for (unsigned i = 0; i < 4; i++)
        if (!node_dev_account(t->n, i, &t->acct[i], t->key[i])) return false;
    return true;
}

/* Closes the node and opens its datadir again (a restart). */
static inline bool test_node_reopen(test_node *t) {
    node_close(t->n);
    t->n = NULL;
    node_config cfg = test_node_config(t);
    const char *err = node_open(&cfg, &t->n);
    if (err) fprintf(stderr, "node_open again: %s\n", err);
    return !err;
}

static inline void test_node_close(test_node *t) {
    if (t->n) node_close(t->n);
    test_remove_tree(t->path);
}

/* Sends one request; returns the parsed response object. */
static inline json_t *test_rpc(test_node *t, const char *method, const char *params) {
    size_t cap = strlen(params) + strlen(method) + 64;
    char *body = malloc(cap);
    snprintf(body, cap, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":%s}", method, params);
    size_t len;
    char *out = rpc_process(node_methods(t->n), body, strlen(body), 0, &len);
    free(body);
    json_t *r = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return r;
}

/* The result of a request (a new reference), or NULL after printing its error. */
static inline json_t *test_ok(test_node *t, const char *method, const char *params) {
    json_t *r = test_rpc(t, method, params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (!res) {
        char *s = r ? json_dumps(r, 0) : NULL;
        fprintf(stderr, "  %s %.300s -> %s\n", method, params, s ? s : "(no response)");
        free(s);
        json_decref(r);
        return NULL;
    }
    json_incref(res);
    json_decref(r);
    return res;
}

/* The error code of a request (0 when it succeeded); its message into msg. */
static inline long long test_err(test_node *t, const char *method, const char *params, char *msg, size_t cap) {
    json_t *r = test_rpc(t, method, params);
    json_t *e = r ? json_object_get(r, "error") : NULL;
    long long code = e ? json_integer_value(json_object_get(e, "code")) : 0;
    if (msg && cap) snprintf(msg, cap, "%s", e ? json_string_value(json_object_get(e, "message")) : "");
    json_decref(r);
    return code;
}

static inline const char *test_str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static inline uint64_t test_qty(const json_t *o, const char *key) {
    uint64_t v = 0;
    const json_t *f = key ? json_object_get(o, key) : o;
    if (!json_is_string(f) || !hex_to_u64(json_string_value(f), &v)) return UINT64_MAX;
    return v;
}

/* Whether got equals the JSON text want_text; prints both when not. */
static inline bool test_json_is(const json_t *got, const char *want_text) {
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
    bool eq = want && got && json_equal(got, want);
    if (!eq) {
        char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "  got  %s\n  want %.300s\n", g ? g : "(null)", want_text);
        free(g);
    }
    json_decref(want);
    return eq;
}

/* Whether a request's result equals the JSON text want. */
static inline bool test_result_is(test_node *t, const char *method, const char *params, const char *want) {
    json_t *r = test_ok(t, method, params);
    bool good = test_json_is(r, want);
    json_decref(r);
    return good;
}

/* Signs tx (chain id, fees and nonce as given) with acct[from]'s key and
 * sends it raw; with automine it is then in a block of its own. */
static inline bool test_send(test_node *t, transaction *tx, int from) {
    if (!tx_sign(tx, t->key[from])) return false;
    buf_t raw = {0};
    tx_encode(tx, &raw);
    char *params = malloc(2 * raw.len + 16);
    strcpy(params, "[\"");
    hex_encode(raw.data, raw.len, params + 2);
    strcat(params, "\"]");
    json_t *r = test_ok(t, "eth_sendRawTransaction", params);
    bool good = r != NULL;
    json_decref(r);
    free(params);
    buf_free(&raw);
    return good;
}

/* A type-2 transaction of the dev chain (31337) with generous fees. */
static inline void test_tx(transaction *tx, uint64_t nonce, const address *to, const char *data_hex, uint64_t value) {
    memset(tx, 0, sizeof *tx);
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = 31337;
    tx->nonce = nonce;
    tx->gas_limit = 300000;
    tx->max_fee = u256_from_u64(30000000000ULL);
    tx->max_priority_fee = u256_from_u64(1000000000ULL);
    tx->value = u256_from_u64(value);
    if (to) tx->has_to = true, tx->to = *to;
    if (data_hex && !hex_decode_alloc(data_hex, &tx->data, &tx->data_len)) abort();
}

/* Hex of tx signed with key (nonce, to, data, value, gas as given). */
static inline void test_signed_hex(const uint8_t key[32], uint64_t nonce, const char *to_hex, const char *data,
                                   uint64_t value, uint64_t gas, char *out, size_t cap) {
    transaction tx;
    address to;
    hex_to_fixed(to_hex, to.b, 20);
    test_tx(&tx, nonce, &to, data, value);
    tx.gas_limit = gas;
    buf_t b = {0};
    if (!tx_sign(&tx, key)) abort();
    tx_encode(&tx, &b);
    if (2 * b.len + 3 > cap) abort();
    hex_encode(b.data, b.len, out);
    buf_free(&b);
    tx_free(&tx);
}

#endif
