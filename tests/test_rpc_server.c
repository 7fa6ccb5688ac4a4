/* The JSON-RPC HTTP server through real sockets on the loopback: single
 * and batch requests, limits (413, batch size), malformed input, unknown
 * methods, notifications, CORS, JWT authentication (the Engine API server),
 * concurrent clients and a stop while a request is in flight. */
#include "test.h"
#include "loopback.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "parevm/jwt.h"
#include "parevm/rpc.h"
#include "parevm/rpc_codec.h"

/* ---- A minimal HTTP/1.1 client ------------------------------------------------ */

typedef struct {
    int status;           /* 0: no response (connection failed or closed) */
    char headers[4096];   /* raw header block, lower-cased */
    char *body;           /* NUL-terminated; free with resp_free */
    size_t body_len;
} http_resp;

static void resp_free(http_resp *r) {
    free(r->body);
    r->body = NULL;
}

static int connect_to(uint16_t port) { return loopback_connect(port, 30); }

static bool send_all(int fd, const char *p, size_t n) { return loopback_send_all(fd, p, n); }

/* Reads a whole response (the server closes: we send Connection: close). */
static void read_response(int fd, http_resp *r) {
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 == cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    buf[len] = 0;
    memset(r, 0, sizeof *r);
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
        free(buf);
        return;
    }
    size_t hlen = (size_t)(end - buf);
    if (hlen >= sizeof r->headers) hlen = sizeof r->headers - 1;
    for (size_t i = 0; i < hlen; i++) r->headers[i] = (char)(buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i]);
    r->body_len = len - (size_t)(end + 4 - buf);
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = 0;
    free(buf);
}

/* Sends method/body with the extra header lines (each ending in \r\n). */
static void http_request(uint16_t port, const char *method, const char *extra, const char *body, size_t len,
                         http_resp *r) {
    memset(r, 0, sizeof *r);
    int fd = connect_to(port);
    if (fd < 0) return;
    char head[2048];
    int n = snprintf(head, sizeof head,
                     "%s / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
                     method, extra ? extra : "", len);
    /* The server may answer (413, 401) and close before the body is sent:
     * read the answer even when sending the body fails. */
    if (send_all(fd, head, (size_t)n)) {
        send_all(fd, body, len);
        read_response(fd, r);
    }
    close(fd);
}

static void post(uint16_t port, const char *body, http_resp *r) {
    http_request(port, "POST", "Content-Type: application/json\r\n", body, strlen(body), r);
}

static bool has_header(const http_resp *r, const char *line) { return strstr(r->headers, line) != NULL; }

/* ---- Test methods ------------------------------------------------------------------ */

typedef struct {
    atomic_int calls;   /* handler invocations, all methods */
    atomic_int notes;   /* "note" invocations */
} test_ctx;

static bool m_echo(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    atomic_fetch_add(&t->calls, 1);
    *result = json_deep_copy(params);
    return true;
}

static bool m_add(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    atomic_fetch_add(&t->calls, 1);
    if (!rpc_check_args(params, 2, 2, err)) return false;
    uint64_t a, b;
    const char *why;
    if ((why = rpc_parse_u64(rpc_arg(params, 0), &a))) return rpc_error_invalid_param(err, 0, why);
    if ((why = rpc_parse_u64(rpc_arg(params, 1), &b))) return rpc_error_invalid_param(err, 1, why);
    *result = rpc_json_u64(a + b);
    return true;
}

static bool m_note(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    atomic_fetch_add(&t->calls, 1);
    atomic_fetch_add(&t->notes, 1);
    return true;
}

static bool m_slow(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    atomic_fetch_add(&t->calls, 1);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    *result = json_string("done");
    return true;
}

static bool m_revert(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    static const uint8_t data[] = {0x4e, 0x48, 0x7b, 0x71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
    return rpc_error_revert(err, data, sizeof data);
}

static rpc_methods *test_methods(test_ctx *t) {
    rpc_methods *m = rpc_methods_new();
    CHECK(rpc_methods_add(m, "test_echo", m_echo, t));
    CHECK(rpc_methods_add(m, "test_add", m_add, t));
    CHECK(rpc_methods_add(m, "test_note", m_note, t));
    CHECK(rpc_methods_add(m, "test_slow", m_slow, t));
    CHECK(rpc_methods_add(m, "test_revert", m_revert, t));
    CHECK(!rpc_methods_add(m, "test_add", m_echo, t)); /* names are unique */
    CHECK_EQ_U64(rpc_methods_count(m), 5);
    return m;
}

typedef struct {
    test_ctx ctx;
    rpc_methods *methods;
    rpc_server *server;
    uint16_t port;
} fixture;

static void start(fixture *f, rpc_server_config cfg) {
    memset(&f->ctx, 0, sizeof f->ctx);
    f->methods = test_methods(&f->ctx);
    char err[200] = "";
    f->server = rpc_server_start(&cfg, f->methods, err, sizeof err);
    if (!f->server) fprintf(stderr, "  server: %s\n", err);
    CHECK(f->server != NULL);
    f->port = f->server ? rpc_server_port(f->server) : 0;
    CHECK(f->port != 0);
}

static void stop(fixture *f) {
    rpc_server_stop(f->server, 5000);
    rpc_methods_free(f->methods);
}

static json_t *body_json(const http_resp *r) {
    return r->body ? json_loads(r->body, 0, NULL) : NULL;
}

static long long error_code(const json_t *resp) {
    return json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

/* ---- Tests ------------------------------------------------------------------------ */

TEST(single_request_and_result) {
    fixture f;
    start(&f, (rpc_server_config){.port = 0});
    http_resp r;
    post(f.port, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test_add\",\"params\":[\"0x2\",\"0x3\"]}", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(has_header(&r, "content-type: application/json"));
    CHECK(r.body && !strcmp(r.body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x5\"}"));
    resp_free(&r);
    /* string ids come back as given */
    post(f.port, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"test_echo\",\"params\":[1,{\"a\":true}]}", &r);
    CHECK(r.body && !strcmp(r.body, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":[1,{\"a\":true}]}"));
    resp_free(&r);
    stop(&f);
}

TEST(batch_requests) {
    fixture f;
    start(&f, (rpc_server_config){.max_batch = 10});
    http_resp r;
    post(f.port,
         "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[\"0x1\",\"0x1\"]},"
         "{\"jsonrpc\":\"2.0\",\"method\":\"test_note\"},"
         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"},"
         "5,"
         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test_add\",\"params\":[\"0x1\"]}]",
         &r);
    CHECK_EQ_U64(r.status, 200);
    json_t *v = body_json(&r);
    CHECK(json_is_array(v));
    CHECK_EQ_U64(json_array_size(v), 4); /* the notification has no response */
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(v, 0), "result")), "0x2"));
    CHECK_EQ_U64(error_code(json_array_get(v, 1)), (uint64_t)RPC_METHOD_NOT_FOUND);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_array_get(v, 1), "id")), 2);
    CHECK_EQ_U64(error_code(json_array_get(v, 2)), (uint64_t)RPC_INVALID_REQUEST);
    CHECK(json_is_null(json_object_get(json_array_get(v, 2), "id")));
    CHECK_EQ_U64(error_code(json_array_get(v, 3)), (uint64_t)RPC_INVALID_PARAMS);
    CHECK_EQ_U64(atomic_load(&f.ctx.notes), 1);
    json_decref(v);
    resp_free(&r);
    /* empty batch: one error object */
    post(f.port, "[]", &r);
    v = body_json(&r);
    CHECK(json_is_object(v) && error_code(v) == RPC_INVALID_REQUEST);
    json_decref(v);
    resp_free(&r);
    /* a batch past the limit: one error, nothing run */
    int before = atomic_load(&f.ctx.calls);
    char big[4096] = "[";
    for (int i = 0; i < 11; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test_note\"}",
                 i ? "," : "", i + 100);
    strcat(big, "]");
    post(f.port, big, &r);
    v = body_json(&r);
    CHECK(json_is_array(v) && json_array_size(v) == 1);
    CHECK_EQ_U64(error_code(json_array_get(v, 0)), (uint64_t)RPC_INVALID_REQUEST);
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(json_array_get(v, 0), "error"), "message")),
                  "batch too large"));
    CHECK_EQ_U64(json_integer_value(json_object_get(json_array_get(v, 0), "id")), 100);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), (uint64_t)before);
    json_decref(v);
    resp_free(&r);
    stop(&f);
}

TEST(notifications_get_no_response) {
    fixture f;
    start(&f, (rpc_server_config){0});
    http_resp r;
    post(f.port, "{\"jsonrpc\":\"2.0\",\"method\":\"test_note\",\"params\":[]}", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK_EQ_U64(r.body_len, 0);
    resp_free(&r);
    post(f.port, "[{\"jsonrpc\":\"2.0\",\"method\":\"test_note\"},{\"jsonrpc\":\"2.0\",\"method\":\"unknown\"}]", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK_EQ_U64(r.body_len, 0);
    resp_free(&r);
    CHECK_EQ_U64(atomic_load(&f.ctx.notes), 2);
    stop(&f);
}

TEST(malformed_requests) {
    fixture f;
    start(&f, (rpc_server_config){0});
    static const struct {
        const char *body;
        int code;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",", RPC_PARSE_ERROR},
        {"not json", RPC_PARSE_ERROR},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\"} trailing", RPC_PARSE_ERROR},
        {"\"just a string\"", RPC_INVALID_REQUEST},
        {"42", RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"test_echo\"}", RPC_INVALID_REQUEST},
        {"{\"id\":1,\"method\":\"test_echo\"}", RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", RPC_INVALID_REQUEST}, /* geth's isCall */
        {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"test_echo\"}", RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":{\"a\":1}}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":5}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_nothing\"}", RPC_METHOD_NOT_FOUND},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[\"2\",\"0x1\"]}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[2,\"0x1\"]}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[\"0x01\",\"0x1\"]}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[\"0x1\",\"0x1\",\"0x1\"]}", RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_revert\"}", RPC_EXECUTION_REVERTED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_resp r;
        post(f.port, cases[i].body, &r);
        json_t *v = body_json(&r);
        bool ok = r.status == 200 && json_is_object(v) && error_code(v) == cases[i].code;
        if (!ok) fprintf(stderr, "  case %zu: status %d body %s\n", i, r.status, r.body ? r.body : "(none)");
        CHECK(ok);
        json_decref(v);
        resp_free(&r);
    }
    /* no request in the body (geth's io.EOF): 200 and nothing, not a parse error */
    http_resp r;
    static const char *const blank[] = {"", " \r\n\t "};
    for (size_t i = 0; i < 2; i++) {
        post(f.port, blank[i], &r);
        CHECK(r.status == 200 && r.body_len == 0 && has_header(&r, "content-type: application/json"));
        resp_free(&r);
    }
    /* a NUL byte is no whitespace */
    http_request(f.port, "POST", "Content-Type: application/json\r\n", "", 1, &r);
    CHECK(r.status == 200 && r.body && strstr(r.body, "\"code\":-32700"));
    resp_free(&r);
    /* the messages say what is wrong */
    post(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_add\",\"params\":[\"0x1\",\"0x01\"]}", &r);
    CHECK(r.body && strstr(r.body, "invalid argument 1: hex number with leading zero digits"));
    resp_free(&r);
    post(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_nothing\"}", &r);
    CHECK(r.body && strstr(r.body, "the method eth_nothing does not exist/is not available"));
    resp_free(&r);
    /* geth's maxMethodNameLength: a longer name is an invalid request */
    char long_call[2200];
    snprintf(long_call, sizeof long_call, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%02100d\"}", 0);
    post(f.port, long_call, &r);
    CHECK(r.body && strstr(r.body, "{\"code\":-32600,\"message\":\"method name too long: 2100 > 2048\"}"));
    resp_free(&r);
    post(f.port, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_revert\"}", &r);
    CHECK(r.body && strstr(r.body, "\"message\":\"execution reverted: division or modulo by zero\""));
    CHECK(r.body && strstr(r.body, "\"data\":\"0x4e487b71"));
    resp_free(&r);
    CHECK_EQ_U64(rpc_server_in_flight(f.server), 0);
    stop(&f);
}

TEST(http_level_rejections) {
    fixture f;
    start(&f, (rpc_server_config){.max_body = 1000});
    http_resp r;
    const char *ok_body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_note\"}";
    /* a body over the limit, declared: 413 before anything runs */
    char *big = malloc(5000);
    memset(big, ' ', 4999);
    big[4999] = 0;
    memcpy(big, ok_body, strlen(ok_body));
    post(f.port, big, &r);
    CHECK_EQ_U64(r.status, 413);
    resp_free(&r);
    /* the same without Content-Length (chunked): 413 once the body ends,
     * nothing run */
    int fd = connect_to(f.port);
    CHECK(fd >= 0);
    const char *head = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    bool sent = send_all(fd, head, strlen(head));
    char chunk[64];
    for (int i = 0; sent && i < 8; i++) {
        snprintf(chunk, sizeof chunk, "%x\r\n", 600);
        sent = send_all(fd, chunk, strlen(chunk)) && send_all(fd, big, 600) && send_all(fd, "\r\n", 2);
    }
    if (sent) send_all(fd, "0\r\n\r\n", 5);
    read_response(fd, &r);
    close(fd);
    CHECK_EQ_U64(r.status, 413);
    resp_free(&r);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 0);
    /* just under the limit is served */
    big[999] = 0;
    post(f.port, big, &r);
    CHECK_EQ_U64(r.status, 200);
    resp_free(&r);
    free(big);
    /* other methods and content types; an empty GET is a health check
     * (geth's 200), one with a body is refused */
    http_request(f.port, "GET", NULL, "", 0, &r);
    CHECK_EQ_U64(r.status, 200);
    resp_free(&r);
    http_request(f.port, "GET", "Content-Type: application/json\r\n", ok_body, strlen(ok_body), &r);
    CHECK_EQ_U64(r.status, 405);
    resp_free(&r);
    http_request(f.port, "PUT", "Content-Type: application/json\r\n", ok_body, strlen(ok_body), &r);
    CHECK_EQ_U64(r.status, 405);
    resp_free(&r);
    http_request(f.port, "POST", "Content-Type: text/plain\r\n", ok_body, strlen(ok_body), &r);
    CHECK_EQ_U64(r.status, 415);
    resp_free(&r);
    http_request(f.port, "POST", "Content-Type: application/json; charset=utf-8\r\n", ok_body, strlen(ok_body), &r);
    CHECK_EQ_U64(r.status, 200);
    resp_free(&r);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 2);
    stop(&f);
}

TEST(cors_headers) {
    fixture f;
    start(&f, (rpc_server_config){.cors = "http://a.example, http://b.example"});
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\"}";
    http_resp r;
    http_request(f.port, "POST", "Content-Type: application/json\r\nOrigin: http://b.example\r\n", body, strlen(body), &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(has_header(&r, "access-control-allow-origin: http://b.example"));
    resp_free(&r);
    http_request(f.port, "POST", "Content-Type: application/json\r\nOrigin: http://evil.example\r\n", body, strlen(body), &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(!has_header(&r, "access-control-allow-origin"));
    resp_free(&r);
    http_request(f.port, "OPTIONS",
                 "Origin: http://a.example\r\nAccess-Control-Request-Method: POST\r\n"
                 "Access-Control-Request-Headers: content-type\r\n", "", 0, &r);
    CHECK_EQ_U64(r.status, 204);
    CHECK(has_header(&r, "access-control-allow-origin: http://a.example"));
    CHECK(has_header(&r, "access-control-allow-methods: post, options"));
    CHECK(has_header(&r, "access-control-allow-headers: content-type"));
    resp_free(&r);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 2);
    stop(&f);

    start(&f, (rpc_server_config){.cors = "*"});
    http_request(f.port, "POST", "Content-Type: application/json\r\nOrigin: http://any.example\r\n", body, strlen(body), &r);
    CHECK(has_header(&r, "access-control-allow-origin: *"));
    resp_free(&r);
    stop(&f);

    start(&f, (rpc_server_config){0});
    http_request(f.port, "POST", "Content-Type: application/json\r\nOrigin: http://any.example\r\n", body, strlen(body), &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(!has_header(&r, "access-control-allow-origin"));
    resp_free(&r);
    stop(&f);
}

/* ---- JWT (Engine API) -------------------------------------------------------------- */

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int post_with_auth(uint16_t port, const char *auth) {
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\"}";
    char extra[JWT_MAX_TOKEN_LEN + 128];
    snprintf(extra, sizeof extra, "Content-Type: application/json\r\n%s%s%s", auth ? "Authorization: " : "",
             auth ? auth : "", auth ? "\r\n" : "");
    http_resp r;
    http_request(port, "POST", extra, body, strlen(body), &r);
    int status = r.status;
    resp_free(&r);
    return status;
}

TEST(jwt_authenticated_server) {
    fixture f;
    start(&f, (rpc_server_config){.jwt_secret = SECRET});
    int64_t now = (int64_t)time(NULL);
    char tok[512], auth[600];
    jwt_make(SECRET, now, tok, sizeof tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    CHECK_EQ_U64(post_with_auth(f.port, auth), 200);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 1);

    uint8_t other[32];
    memcpy(other, SECRET, 32);
    other[31] ^= 1;
    jwt_make(other, now, tok, sizeof tok); /* wrong key */
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    CHECK_EQ_U64(post_with_auth(f.port, auth), 401);
    jwt_make(SECRET, now - 120, tok, sizeof tok); /* expired */
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    CHECK_EQ_U64(post_with_auth(f.port, auth), 401);
    jwt_make(SECRET, now + 120, tok, sizeof tok); /* from the future */
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    CHECK_EQ_U64(post_with_auth(f.port, auth), 401);
    CHECK_EQ_U64(post_with_auth(f.port, NULL), 401); /* missing */
    /* alg none: {"alg":"none","typ":"JWT"}.{"iat":now}. with no signature */
    char claims[64], none[256];
    snprintf(claims, sizeof claims, "{\"iat\":%lld}", (long long)now);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char enc[128];
    size_t o = 0, n = strlen(claims);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)claims[i] << 16 | (i + 1 < n ? (uint32_t)(uint8_t)claims[i + 1] << 8 : 0) |
                     (i + 2 < n ? (uint8_t)claims[i + 2] : 0);
        enc[o++] = b64[v >> 18 & 63];
        enc[o++] = b64[v >> 12 & 63];
        if (i + 1 < n) enc[o++] = b64[v >> 6 & 63];
        if (i + 2 < n) enc[o++] = b64[v & 63];
    }
    enc[o] = 0;
    snprintf(none, sizeof none, "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.", enc);
    CHECK_EQ_U64(post_with_auth(f.port, none), 401);
    CHECK_EQ_U64(post_with_auth(f.port, "Bearer not.a.token"), 401);
    CHECK_EQ_U64(post_with_auth(f.port, "Bearer abc"), 401);
    CHECK_EQ_U64(post_with_auth(f.port, "Basic dXNlcjpwYXNz"), 401);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 1); /* no work done for any 401 */
    stop(&f);
}

/* ---- Concurrency and shutdown ---------------------------------------------------------- */

typedef struct {
    uint16_t port;
    int id;
    int good;
} client_arg;

static void *client_thread(void *p) {
    client_arg *a = p;
    for (int i = 0; i < 40; i++) {
        char body[160], want[160];
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test_add\",\"params\":[\"0x%x\",\"0x%x\"]}",
                 i, a->id, i);
        snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":\"0x%x\"}", i, a->id + i);
        http_resp r;
        post(a->port, body, &r);
        a->good += r.status == 200 && r.body && !strcmp(r.body, want);
        resp_free(&r);
    }
    return NULL;
}

TEST(concurrent_clients) {
    fixture f;
    start(&f, (rpc_server_config){.threads = 4});
    enum { N = 8 };
    pthread_t th[N];
    client_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (client_arg){.port = f.port, .id = 1000 * (i + 1)};
        pthread_create(&th[i], NULL, client_thread, &args[i]);
    }
    int good = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        good += args[i].good;
    }
    CHECK_EQ_U64(good, N * 40);
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), N * 40);
    stop(&f);
}

typedef struct {
    uint16_t port;
    http_resp resp;
} slow_arg;

static void *slow_client(void *p) {
    slow_arg *a = p;
    post(a->port, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test_slow\"}", &a->resp);
    return NULL;
}

TEST(stop_drains_requests_in_flight) {
    fixture f;
    start(&f, (rpc_server_config){0});
    slow_arg a = {.port = f.port};
    pthread_t th;
    pthread_create(&th, NULL, slow_client, &a);
    /* wait (bounded) until the request is inside the server */
    for (int i = 0; i < 10000 && atomic_load(&f.ctx.calls) == 0; i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK_EQ_U64(atomic_load(&f.ctx.calls), 1);
    uint16_t port = f.port;
    stop(&f); /* returns once the slow request has been answered */
    pthread_join(th, NULL);
    CHECK_EQ_U64(a.resp.status, 200);
    CHECK(a.resp.body && !strcmp(a.resp.body, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":\"done\"}"));
    resp_free(&a.resp);
    /* nothing listens any more */
    int fd = connect_to(port);
    CHECK(fd < 0);
    if (fd >= 0) close(fd);
}

TEST(start_errors) {
    rpc_methods *m = rpc_methods_new();
    char err[200] = "";
    rpc_server *s = rpc_server_start(&(rpc_server_config){.addr = "not-an-address"}, m, err, sizeof err);
    CHECK(s == NULL && strstr(err, "bad listen address"));
    rpc_server *a = rpc_server_start(&(rpc_server_config){0}, m, err, sizeof err);
    CHECK(a != NULL);
    if (a) {
        err[0] = 0;
        s = rpc_server_start(&(rpc_server_config){.port = rpc_server_port(a)}, m, err, sizeof err);
        CHECK(s == NULL && strstr(err, "cannot listen"));
        rpc_server_stop(a, 1000);
    }
    /* IPv6 loopback works where the machine has it; either way no crash */
    s = rpc_server_start(&(rpc_server_config){.addr = "::1"}, m, err, sizeof err);
    if (s) rpc_server_stop(s, 1000);
    rpc_methods_free(m);
}
