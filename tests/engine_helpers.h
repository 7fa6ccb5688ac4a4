/* Shared by the Engine API tests (test_engine*.c; test_node_fixtures.c uses
 * its fixture helpers): a node over a fresh store
 * served on a JWT-authenticated loopback port, a small HTTP client that
 * signs every request with a fresh HS256 token as a consensus client does,
 * and the BlockchainTests genesis written with chain_init. */
#ifndef PAREVM_TESTS_ENGINE_HELPERS_H
#define PAREVM_TESTS_ENGINE_HELPERS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/jwt.h"
#include "parevm/node.h"
#include "parevm/rlp.h"
#include "test.h"
#include "parevm/rpc_codec.h"

#define EH_UNUSED __attribute__((unused))

/* ---- HTTP with a bearer token --------------------------------------------------------- */

typedef struct {
    int status;        /* 0: no response */
    char *body;        /* NUL-terminated (free) */
} eh_resp;

static EH_UNUSED bool eh_send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* POSTs body to 127.0.0.1:port with the given Authorization value (NULL:
 * none); the server closes after the answer. */
static EH_UNUSED eh_resp eh_post(uint16_t port, const char *auth, const char *body) {
    eh_resp r = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return r;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 120};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return r;
    }
    size_t len = strlen(body);
    char head[JWT_MAX_TOKEN_LEN + 512];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "%s%s%sContent-Length: %zu\r\n\r\n",
                     auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "", len);
    if (eh_send_all(fd, head, (size_t)n)) {
        eh_send_all(fd, body, len);
        size_t cap = 1 << 16, got = 0;
        char *buf = malloc(cap);
        for (;;) {
            if (got + 1 == cap) buf = realloc(buf, cap *= 2);
            ssize_t k = recv(fd, buf + got, cap - got - 1, 0);
            if (k <= 0) break;
            got += (size_t)k;
        }
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end && sscanf(buf, "HTTP/1.%*d %d", &r.status) == 1) r.body = strdup(end + 4);
        free(buf);
    }
    close(fd);
    return r;
}

/* ---- A node behind the authenticated server ------------------------------------------------ */

typedef struct {
    char dir[64];
    node *n;
    rpc_server *srv;
    uint8_t secret[JWT_SECRET_LEN];
    uint16_t port;
    int failures;      /* calls that got no JSON-RPC answer */
} eh_node;

/* Opens a node over the store at e->dir and serves its authenticated
 * methods on a free port. */
static EH_UNUSED bool eh_start(eh_node *e, const node_config *base) {
    node_config cfg = base ? *base : (node_config){0};
    cfg.datadir = e->dir;
    if (!cfg.threads) cfg.threads = 2;
    const char *err = node_open(&cfg, &e->n);
    if (err) {
        fprintf(stderr, "  node_open: %s\n", err);
        return false;
    }
    for (int i = 0; i < JWT_SECRET_LEN; i++) e->secret[i] = (uint8_t)(0x5a ^ i);
    rpc_server_config sc = {.port = 0, .threads = 2, .jwt_secret = e->secret, .thread_stack = NODE_THREAD_STACK};
    char why[200];
    e->srv = rpc_server_start(&sc, node_auth_methods(e->n), why, sizeof why);
    if (!e->srv) {
        fprintf(stderr, "  server: %s\n", why);
        return false;
    }
    e->port = rpc_server_port(e->srv);
    return true;
}

static EH_UNUSED void eh_stop(eh_node *e, bool remove_dir) {
    if (e->srv) rpc_server_stop(e->srv, 2000);
    if (e->n) node_close(e->n);
    e->srv = NULL;
    e->n = NULL;
    if (remove_dir) test_remove_tree(e->dir);
}

/* Calls method with params (stolen) over HTTP with a fresh token; returns
 * the response object ({"result": ...} or {"error": ...}), or NULL. */
static EH_UNUSED json_t *eh_call(eh_node *e, const char *method, json_t *params) {
    json_t *req = json_pack("{s:s,s:i,s:s,s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char tok[JWT_MAX_TOKEN_LEN], auth[JWT_MAX_TOKEN_LEN + 16];
    jwt_make(e->secret, (int64_t)time(NULL), tok, sizeof tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    eh_resp r = eh_post(e->port, auth, body);
    free(body);
    json_t *out = r.status == 200 && r.body ? json_loads(r.body, 0, NULL) : NULL;
    free(r.body);
    if (!out) e->failures++;
    return out;
}

/* The result of a call (a new reference), or NULL on an error (printed). */
static EH_UNUSED json_t *eh_result(eh_node *e, const char *method, json_t *params) {
    json_t *r = eh_call(e, method, params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (res) json_incref(res);
    else if (r) {
        char *t = json_dumps(r, JSON_COMPACT);
        fprintf(stderr, "  %s: %s\n", method, t);
        free(t);
    }
    json_decref(r);
    return res;
}

/* The error code of a call (0: it succeeded). */
static EH_UNUSED int eh_error_code(eh_node *e, const char *method, json_t *params) {
    json_t *r = eh_call(e, method, params);
    json_t *er = r ? json_object_get(r, "error") : NULL;
    int code = er ? (int)json_integer_value(json_object_get(er, "code")) : 0;
    json_decref(r);
    return code;
}

static EH_UNUSED json_t *eh_hash(const bytes32 *h) {
    char t[67];
    hex_encode(h->b, 32, t);
    return json_string(t);
}

/* The head's hash as eth_getBlockByNumber("latest") gives it. */
static EH_UNUSED bool eh_head(eh_node *e, bytes32 *hash, uint64_t *number) {
    json_t *b = eh_result(e, "eth_getBlockByNumber", json_pack("[s,b]", "latest", 0));
    bool ok = b && !rpc_parse_hash(json_object_get(b, "hash"), hash) &&
              (!number || hex_to_u64(json_string_value(json_object_get(b, "number")), number));
    json_decref(b);
    return ok;
}

/* ---- BlockchainTests genesis ------------------------------------------------------------------ */

/* A fixture quantity ("0x0a" or "0xa"), up to 256 bits. */
static EH_UNUSED bool eh_num(const json_t *v, u256 *out) {
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    if (strncmp(s, "0x", 2)) return false;
    size_t digits = strlen(s + 2);
    if (digits > 64) return false;
    char pad[67] = "0x";
    for (size_t i = 0; i < 64 - digits; i++) pad[2 + i] = '0';
    strcpy(pad + 2 + 64 - digits, s + 2);
    uint8_t b[32];
    if (!hex_to_fixed(pad, b, 32)) return false;
    *out = u256_from_be(b, 32);
    return true;
}

static EH_UNUSED bool eh_load_pre(const json_t *pre, code_store *codes, change_set *cs) {
    const char *addr;
    const json_t *a;
    json_object_foreach((json_t *)pre, addr, a) {
        address ad;
        u256 bal, nonce;
        if (!hex_to_fixed(addr, ad.b, 20) || !eh_num(json_object_get(a, "balance"), &bal) ||
            !eh_num(json_object_get(a, "nonce"), &nonce))
            return false;
        account_change *ac = change_set_add_account(cs, &ad);
        ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE | CHANGE_CODE;
        ac->balance = bal;
        ac->nonce = nonce.w[0];
        uint8_t *code;
        size_t len;
        if (!hex_decode_alloc(json_string_value(json_object_get(a, "code")), &code, &len)) return false;
        ac->code = code_store_intern(codes, code, len);
        free(code);
        const char *k;
        const json_t *v;
        json_object_foreach(json_object_get(a, "storage"), k, v) {
            json_t *kj = json_string(k);
            u256 key, val;
            bool good = eh_num(kj, &key) && eh_num(v, &val);
            json_decref(kj);
            if (!good) return false;
            if (!u256_is_zero(&val)) change_set_add_slot(cs, &cs->accounts[cs->n_accounts - 1], &key, &val);
        }
    }
    return true;
}

/* Writes the test's genesis into a fresh store at dir. */
static EH_UNUSED bool eh_init_fixture(const json_t *t, const char *dir) {
    chain_config cfg;
    if (!chain_config_by_name(json_string_value(json_object_get(t, "network")), &cfg)) return false;
    uint8_t *grlp;
    size_t glen;
    block_header gh;
    char err[200];
    if (!hex_decode_alloc(json_string_value(json_object_get(t, "genesisRLP")), &grlp, &glen)) return false;
    bool good = false;
    rlp_item list, first;
    size_t used;
    db *d = NULL;
    change_set alloc = {0};
    if (rlp_decode(grlp, glen, &list) || rlp_decode_item(list.data, list.len, &first, &used) ||
        !header_decode(first.raw, first.raw_len, &gh, err, sizeof err))
        goto out;
    if (db_open(dir, NULL, &d)) goto out;
    if (!eh_load_pre(json_object_get(t, "pre"), db_codes(d), &alloc)) goto out;
    block_header written;
    const char *why = chain_init(d, &cfg, &gh, &alloc, &written);
    good = !why && bytes32_eq(&written.hash, &gh.hash);
    if (!good) fprintf(stderr, "  chain_init: %s\n", why ? why : "genesis hash differs");
out:
    change_set_free(&alloc);
    if (d) db_close(d);
    free(grlp);
    return good;
}

#endif
