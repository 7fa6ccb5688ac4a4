/* The JSON-RPC server's WebSocket transport through real sockets on the
 * loopback, with a client written here from RFC 6455: the handshake (the
 * RFC's own key and accept value), requests, batches and notifications as
 * messages, fragments, ping/pong, the close handshake, protocol errors
 * (unmasked frames, reserved bits, oversized messages, bad handshakes),
 * JWT on the handshake, the Origin against the CORS list, the session
 * limit, a server stop with sessions open, a message right behind the
 * handshake and 5,000 pipelined ones, geth's 32 MiB message limit and
 * the pool that large messages share, keepalive pings,
 * and subscriptions fed by filter methods that the test provides. */
#include "test.h"
#include "loopback.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "parevm/jwt.h"
#include "parevm/rpc.h"

/* ---- Client ------------------------------------------------------------------------ */

static const char RFC_KEY[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char RFC_ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static int connect_to(uint16_t port) { return loopback_connect(port, 20); }

static bool send_all(int fd, const void *p, size_t n) { return loopback_send_all(fd, p, n); }

static bool recv_all(int fd, void *p, size_t n) {
    uint8_t *b = p;
    while (n) {
        ssize_t k = recv(fd, b, n, 0);
        if (k <= 0) return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

/* Sends a handshake with the extra header lines; returns the status and
 * the header block (read byte by byte up to its end, so that no frame is
 * consumed). */
static int handshake(int fd, const char *extra, char *head, size_t cap) {
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                     extra ? extra : "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    if (!send_all(fd, req, (size_t)n)) return 0;
    size_t len = 0;
    while (len + 1 < cap && recv(fd, head + len, 1, 0) == 1) {
        len++;
        if (len >= 4 && !memcmp(head + len - 4, "\r\n\r\n", 4)) break;
    }
    head[len] = 0;
    int status = 0;
    sscanf(head, "HTTP/1.1 %d", &status);
    return status;
}

/* A connected session, or -1. */
static int ws_open(uint16_t port, const char *extra) {
    int fd = connect_to(port);
    char head[2048];
    if (fd < 0 || handshake(fd, extra, head, sizeof head) != 101) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Sends one frame, masked unless told otherwise. */
static bool ws_send(int fd, int op, bool fin, const void *data, size_t len, bool masked) {
    uint8_t h[14];
    size_t hl = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (len < 126) {
        h[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    uint8_t *buf = malloc(len + 1);
    memcpy(buf, data, len);
    if (masked) {
        static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
        h[1] |= 0x80;
        memcpy(h + hl, key, 4);
        hl += 4;
        for (size_t i = 0; i < len; i++) buf[i] ^= key[i & 3];
    }
    bool ok = send_all(fd, h, hl) && send_all(fd, buf, len);
    free(buf);
    return ok;
}

static bool ws_text(int fd, const char *text) { return ws_send(fd, 1, true, text, strlen(text), true); }

/* Sends a text frame's header for len bytes (a zero mask) and the first n
 * of them: the rest may follow with send_all. */
static bool ws_send_head(int fd, uint64_t len, const char *data, size_t n) {
    uint8_t h[14] = {0x81, 0x80 | 127};
    for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return send_all(fd, h, sizeof h) && send_all(fd, data, n);
}

/* Receives one frame: its opcode (-1 when the connection ended) and its
 * payload, NUL-terminated (free it). */
static int ws_recv(int fd, char **payload, size_t *len) {
    *payload = NULL;
    *len = 0;
    uint8_t h[2];
    if (!recv_all(fd, h, 2)) return -1;
    if (h[1] & 0x80) return -2; /* a server never masks */
    uint64_t n = h[1] & 0x7f;
    uint8_t ext[8];
    if (n == 126) {
        if (!recv_all(fd, ext, 2)) return -1;
        n = (uint64_t)ext[0] << 8 | ext[1];
    } else if (n == 127) {
        if (!recv_all(fd, ext, 8)) return -1;
        n = 0;
        for (int i = 0; i < 8; i++) n = n << 8 | ext[i];
    }
    char *p = malloc(n + 1);
    if (!recv_all(fd, p, n)) {
        free(p);
        return -1;
    }
    p[n] = 0;
    *payload = p;
    *len = n;
    return h[0] & 0x0f;
}

/* The next text message as JSON (NULL if the next frame is not text). */
static json_t *ws_json(int fd) {
    char *p;
    size_t n;
    int op = ws_recv(fd, &p, &n);
    json_t *j = op == 1 ? json_loadb(p, n, JSON_DECODE_ANY, NULL) : NULL;
    free(p);
    return j;
}

/* The close code of the next frame (0 if it is not a close frame). */
static unsigned ws_close_code(int fd) {
    char *p;
    size_t n;
    int op = ws_recv(fd, &p, &n);
    unsigned code = op == 8 && n >= 2 ? (unsigned)(uint8_t)p[0] << 8 | (uint8_t)p[1] : 0;
    free(p);
    return code;
}

/* ---- Server and methods --------------------------------------------------------------- */

typedef struct {
    atomic_int filters_open;   /* eth_new*Filter minus eth_uninstallFilter */
    atomic_int polls;
    atomic_int pending_hashes; /* hashes eth_getFilterChanges still hands out */
    atomic_int syncing;        /* eth_syncing: 0 false, else {"currentBlock": that} */
} test_ctx;

static bool m_syncing(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)params, (void)err;
    int s = atomic_load(&((test_ctx *)ctx)->syncing);
    *result = s ? json_pack("{s:i}", "currentBlock", s) : json_false();
    return true;
}

static bool m_echo(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_deep_copy(params);
    return true;
}

static bool m_new_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    if (json_array_size(params) > 1) return rpc_error_set(err, RPC_INVALID_PARAMS, "too many");
    atomic_fetch_add(&t->filters_open, 1);
    *result = json_string("0xf1");
    return true;
}

/* Hands out the block hash 0xaa..aa once per pending_hashes. */
static bool m_changes(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    test_ctx *t = ctx;
    if (!json_is_string(json_array_get(params, 0))) return rpc_error_set(err, RPC_INVALID_PARAMS, "no id");
    atomic_fetch_add(&t->polls, 1);
    json_t *list = json_array();
    int left = atomic_load(&t->pending_hashes);
    while (left > 0 && !atomic_compare_exchange_weak(&t->pending_hashes, &left, left - 1)) {
    }
    if (left > 0) json_array_append_new(list, json_string("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    *result = list;
    return true;
}

static bool m_uninstall(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)params, (void)err;
    test_ctx *t = ctx;
    atomic_fetch_sub(&t->filters_open, 1);
    *result = json_true();
    return true;
}

static bool m_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_pack("{s:O,s:s,s:[],s:s,s:[]}", "hash", json_array_get(params, 0), "number", "0x1", "transactions",
                        "size", "0x10", "uncles");
    return true;
}

typedef struct {
    test_ctx ctx;
    rpc_methods *methods;
    rpc_server *server;
    uint16_t port;
} fixture;

static void start(fixture *f, rpc_server_config cfg, bool with_filters) {
    memset(&f->ctx, 0, sizeof f->ctx);
    f->methods = rpc_methods_new();
    rpc_methods_add(f->methods, "test_echo", m_echo, &f->ctx);
    if (with_filters) {
        rpc_methods_add(f->methods, "eth_newBlockFilter", m_new_filter, &f->ctx);
        rpc_methods_add(f->methods, "eth_newFilter", m_new_filter, &f->ctx);
        rpc_methods_add(f->methods, "eth_getFilterChanges", m_changes, &f->ctx);
        rpc_methods_add(f->methods, "eth_uninstallFilter", m_uninstall, &f->ctx);
        rpc_methods_add(f->methods, "eth_getBlockByHash", m_block, &f->ctx);
        rpc_methods_add(f->methods, "eth_syncing", m_syncing, &f->ctx);
    }
    char err[200] = "";
    f->server = rpc_server_start(&cfg, f->methods, err, sizeof err);
    if (!f->server) fprintf(stderr, "  server: %s\n", err);
    CHECK(f->server != NULL);
    f->port = f->server ? rpc_server_port(f->server) : 0;
}

static void stop(fixture *f) {
    rpc_server_stop(f->server, 5000);
    rpc_methods_free(f->methods);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

/* A test_echo request of len bytes with id 1. */
static char *echo_of_size(size_t len) {
    char *msg = malloc(len + 1);
    int k = sprintf(msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":[\"");
    memset(msg + k, 'y', len - (size_t)k - 3);
    strcpy(msg + len - 3, "\"]}");
    return msg;
}

static bool answered(int fd) {
    json_t *r = ws_json(fd);
    bool ok = r && json_integer_value(json_object_get(r, "id")) == 1;
    json_decref(r);
    return ok;
}

/* ---- Tests ------------------------------------------------------------------------ */

TEST(ws_handshake_accept_value) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    int fd = connect_to(f.port);
    char head[2048];
    CHECK_EQ_U64((uint64_t)handshake(fd, NULL, head, sizeof head), 101);
    char want[64];
    snprintf(want, sizeof want, "Sec-WebSocket-Accept: %s\r\n", RFC_ACCEPT);
    CHECK(strstr(head, want) != NULL);
    CHECK(strstr(head, "Upgrade: websocket\r\n") != NULL);
    close(fd);
    stop(&f);
}

TEST(ws_requests_batches_notifications) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    int fd = ws_open(f.port, NULL);
    CHECK(fd >= 0);
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":[5,\"x\"]}"));
    json_t *r = ws_json(fd);
    CHECK(r && json_integer_value(json_object_get(r, "id")) == 1);
    json_t *want = json_pack("[i,s]", 5, "x");
    CHECK(r && json_equal(json_object_get(r, "result"), want));
    json_decref(want);
    json_decref(r);
    /* a notification gets nothing: the next answer is the next request's */
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"params\":[]}"));
    CHECK(ws_text(fd, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test_echo\"},"
                      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}]"));
    r = ws_json(fd);
    CHECK(json_array_size(r) == 2);
    CHECK(json_integer_value(json_object_get(json_object_get(json_array_get(r, 1), "error"), "code")) == -32601);
    json_decref(r);
    /* bad JSON is a parse error, and the session goes on */
    CHECK(ws_text(fd, "{nope"));
    r = ws_json(fd);
    CHECK(json_integer_value(json_object_get(json_object_get(r, "error"), "code")) == -32700);
    json_decref(r);
    /* a binary message is a request too */
    const char *bin = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test_echo\"}";
    CHECK(ws_send(fd, 2, true, bin, strlen(bin), true));
    r = ws_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 4);
    json_decref(r);
    /* no subscriptions without the eth namespace's filters behind them (a
     * port whose --http.api leaves eth out): both methods are unknown */
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}"));
    r = ws_json(fd);
    CHECK(json_integer_value(json_object_get(json_object_get(r, "error"), "code")) == -32601);
    json_decref(r);
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"eth_unsubscribe\",\"params\":[\"0x1\"]}"));
    r = ws_json(fd);
    CHECK(json_integer_value(json_object_get(json_object_get(r, "error"), "code")) == -32601);
    json_decref(r);
    /* the close handshake: the server echoes the code */
    uint8_t bye[2] = {0x03, 0xe8};
    CHECK(ws_send(fd, 8, true, bye, 2, true));
    CHECK_EQ_U64(ws_close_code(fd), 1000);
    close(fd);
    stop(&f);
}

typedef struct {
    int fd, n;
} ws_writer;

static void *ws_writer_main(void *arg) {
    ws_writer *w = arg;
    for (int i = 0; i < w->n; i++) {
        char req[96];
        snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test_echo\",\"params\":[]}", i);
        if (!ws_text(w->fd, req)) break;
    }
    return NULL;
}

/* A request right behind the handshake (before its answer is read) is
 * answered without waiting for more; then 5,000 messages written as fast
 * as the socket takes them are all answered, in order. */
TEST(ws_pipelined_messages_in_order) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    int fd = connect_to(f.port);
    static const char hs[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    CHECK(send_all(fd, hs, sizeof hs - 1));
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":\"first\",\"method\":\"test_echo\",\"params\":[]}"));
    char head[2048];
    size_t hl = 0;
    while (hl + 1 < sizeof head && recv(fd, head + hl, 1, 0) == 1) {
        hl++;
        if (hl >= 4 && !memcmp(head + hl - 4, "\r\n\r\n", 4)) break;
    }
    head[hl] = 0;
    CHECK(!strncmp(head, "HTTP/1.1 101", 12));
    json_t *r = ws_json(fd);
    CHECK(r && !strcmp(json_string_value(json_object_get(r, "id")), "first"));
    json_decref(r);
    enum { N = 5000 };
    ws_writer w = {fd, N};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, ws_writer_main, &w) == 0);
    int in_order = 0;
    for (int i = 0; i < N; i++) {
        json_t *m = ws_json(fd);
        if (!m) break;
        if (json_integer_value(json_object_get(m, "id")) == i) in_order++;
        json_decref(m);
    }
    pthread_join(t, NULL);
    CHECK_EQ_U64((uint64_t)in_order, N);
    close(fd);
    stop(&f);
}

TEST(ws_fragments_and_ping) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    int fd = ws_open(f.port, NULL);
    const char *a = "{\"jsonrpc\":\"2.0\",\"id\":7,", *b = "\"method\":\"test_echo\",", *c = "\"params\":[1]}";
    CHECK(ws_send(fd, 1, false, a, strlen(a), true));
    /* a ping between fragments is answered at once */
    CHECK(ws_send(fd, 9, true, "hey", 3, true));
    char *p;
    size_t n;
    CHECK(ws_recv(fd, &p, &n) == 10 && n == 3 && !memcmp(p, "hey", 3));
    free(p);
    CHECK(ws_send(fd, 0, false, b, strlen(b), true));
    CHECK(ws_send(fd, 0, true, c, strlen(c), true));
    json_t *r = ws_json(fd);
    CHECK(r && json_integer_value(json_object_get(r, "id")) == 7);
    json_decref(r);
    /* a large message (16-bit and 64-bit lengths both ways) */
    size_t big = 70000;
    char *msg = malloc(big + 100);
    int len = sprintf(msg, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"test_echo\",\"params\":[\"");
    memset(msg + len, 'z', big);
    strcpy(msg + len + big, "\"]}");
    CHECK(ws_text(fd, msg));
    r = ws_json(fd);
    CHECK(r && strlen(json_string_value(json_array_get(json_object_get(r, "result"), 0))) == big);
    json_decref(r);
    free(msg);
    close(fd);
    stop(&f);
}

TEST(ws_protocol_errors_close_the_session) {
    fixture f;
    start(&f, (rpc_server_config){.max_ws_message = 1024}, false);
    const char *req = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\"}";
    int fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 1, true, req, strlen(req), false)); /* unmasked */
    CHECK_EQ_U64(ws_close_code(fd), 1002);
    close(fd);
    fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 0x41, true, req, strlen(req), true)); /* RSV1 */
    CHECK_EQ_U64(ws_close_code(fd), 1002);
    close(fd);
    fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 0, true, req, strlen(req), true)); /* continuation of nothing */
    CHECK_EQ_U64(ws_close_code(fd), 1002);
    close(fd);
    fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 9, false, "x", 1, true)); /* fragmented control frame */
    CHECK_EQ_U64(ws_close_code(fd), 1002);
    close(fd);
    fd = ws_open(f.port, NULL);
    char *big = calloc(1, 2000);
    memset(big, ' ', 1999);
    CHECK(ws_send(fd, 1, true, big, 1999, true)); /* past max_ws_message */
    CHECK_EQ_U64(ws_close_code(fd), 1009);
    close(fd);
    fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 1, false, big, 1000, true) && ws_send(fd, 0, true, big, 100, true)); /* fragments add up */
    CHECK_EQ_U64(ws_close_code(fd), 1009);
    close(fd);
    free(big);
    fd = ws_open(f.port, NULL);
    CHECK(ws_send(fd, 5, true, "", 0, true)); /* reserved opcode */
    CHECK_EQ_U64(ws_close_code(fd), 1002);
    close(fd);
    /* the server still serves */
    fd = ws_open(f.port, NULL);
    CHECK(ws_text(fd, req));
    json_t *r = ws_json(fd);
    CHECK(r && json_integer_value(json_object_get(r, "id")) == 1);
    json_decref(r);
    close(fd);
    stop(&f);
}

TEST(ws_message_limit_is_geths) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    /* past the HTTP body limit (5 MiB), within geth's wsDefaultReadLimit */
    int fd = ws_open(f.port, NULL);
    char *msg = echo_of_size(6 << 20);
    CHECK(ws_text(fd, msg));
    CHECK(answered(fd));
    free(msg);
    CHECK(ws_send_head(fd, (32 << 20) + 1, "", 0));
    CHECK_EQ_U64(ws_close_code(fd), 1009);
    close(fd);
    stop(&f);
}

TEST(ws_large_messages_share_a_pool) {
    fixture f;
    /* the pool holds 4 messages of 2 MiB: about 1 MiB each past the
     * session's own, so 8 sessions in the middle of one fill it */
    start(&f, (rpc_server_config){.max_ws_message = 2 << 20}, false);
    size_t len = (2 << 20) - 100;
    char *msg = echo_of_size(len);
    /* a frame's header alone takes nothing from the pool */
    int hdr[9];
    for (int i = 0; i < 9; i++) {
        hdr[i] = ws_open(f.port, NULL);
        CHECK(ws_send_head(hdr[i], len, msg, 0));
    }
    sleep_ms(100);
    int h = ws_open(f.port, NULL);
    CHECK(ws_send_head(h, len, msg, len));
    CHECK(answered(h));
    close(h);
    for (int i = 0; i < 9; i++) close(hdr[i]);
    int fd[9];
    struct pollfd pf[9];
    for (int i = 0; i < 9; i++) {
        fd[i] = ws_open(f.port, NULL);
        ws_send_head(fd[i], len, msg, len - 1000); /* the late one may be closed midway */
        pf[i] = (struct pollfd){.fd = fd[i], .events = POLLIN};
    }
    /* the sessions that came last to the pool (one, or more that were
     * reading at once) are closed with 1013 (or reset, the rest of their
     * message unread); the others wait */
    bool gone[9] = {false};
    int closed = 0;
    while (poll(pf, 9, closed ? 300 : 10000) > 0)
        for (int i = 0; i < 9; i++) {
            if (!pf[i].revents) continue;
            unsigned code = ws_close_code(fd[i]);
            CHECK(code == 1013 || code == 0);
            close(fd[i]);
            pf[i].fd = -1;
            gone[i] = true;
            closed++;
        }
    CHECK(closed >= 1 && closed < 9);
    /* one finishes: it is answered and gives its share back */
    int first = 0;
    while (first < 8 && gone[first]) first++;
    CHECK(send_all(fd[first], msg + len - 1000, 1000));
    CHECK(answered(fd[first]));
    /* its share comes back just after its answer went out: a session
     * quicker than that thread may still find the pool spent */
    bool taken = false;
    for (int k = 0; k < 50 && !taken; k++) {
        int g = ws_open(f.port, NULL);
        ws_send_head(g, len, msg, len);
        taken = answered(g);
        close(g);
        if (!taken) sleep_ms(20);
    }
    CHECK(taken);
    for (int i = 0; i < 9; i++)
        if (!gone[i]) close(fd[i]);
    free(msg);
    stop(&f);
}

TEST(ws_idle_sessions_are_pinged) {
    fixture f;
    start(&f, (rpc_server_config){.ws_ping_ms = 200}, false);
    /* each time is taken before what starts the server's interval, so that
     * a client slow to run on a loaded machine cannot shorten it */
    double t0 = now_ms();
    int fd = ws_open(f.port, NULL);
    char *p;
    size_t n;
    for (int i = 0; i < 3; i++) { /* answered pings keep the session */
        CHECK_EQ_U64(ws_recv(fd, &p, &n), 9);
        free(p);
        CHECK(ws_send(fd, 10, true, "", 0, true));
    }
    double t = now_ms() - t0;
    CHECK(t >= 550 && t < 3000);
    char *msg = echo_of_size(100);
    t0 = now_ms();
    CHECK(ws_text(fd, msg));
    CHECK(answered(fd));
    free(msg);
    /* a ping left unanswered for the interval ends the session, as geth's
     * pong deadline */
    CHECK_EQ_U64(ws_recv(fd, &p, &n), 9);
    free(p);
    CHECK_EQ_U64(ws_close_code(fd), 1000);
    t = now_ms() - t0;
    CHECK(t >= 350 && t < 3000);
    close(fd);
    stop(&f);
}

TEST(ws_bad_handshakes) {
    fixture f;
    start(&f, (rpc_server_config){.max_ws_sessions = 1}, false);
    static const struct {
        const char *headers;
        int status;
    } cases[] = {
        {"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 400},
        {"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 400},
        {"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short==\r\n", 400},
        {"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\n", 400},
        {"Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 400},
        /* a GET that is no WebSocket upgrade: an empty one is a health
         * check, answered 200 as geth answers it */
        {"Connection: Upgrade\r\n", 200},
        {"Upgrade: h2c\r\nConnection: Upgrade\r\n", 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = connect_to(f.port);
        char head[2048];
        int st = handshake(fd, cases[i].headers, head, sizeof head);
        if (st != cases[i].status) fprintf(stderr, "  case %zu: status %d\n", i, st);
        CHECK(st == cases[i].status);
        close(fd);
    }
    /* "Connection: keep-alive, Upgrade" is an upgrade too; one session at most */
    const char *h = "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    int fd = ws_open(f.port, h);
    CHECK(fd >= 0);
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\"}"));
    json_t *r = ws_json(fd); /* the session runs */
    CHECK(r != NULL);
    json_decref(r);
    int fd2 = connect_to(f.port);
    char head[2048];
    CHECK_EQ_U64((uint64_t)handshake(fd2, h, head, sizeof head), 503);
    close(fd2);
    close(fd);
    stop(&f);
}

TEST(ws_jwt_on_the_handshake) {
    static const uint8_t SECRET[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
    fixture f;
    start(&f, (rpc_server_config){.jwt_secret = SECRET}, false);
    int fd = connect_to(f.port);
    char head[2048];
    CHECK_EQ_U64((uint64_t)handshake(fd, NULL, head, sizeof head), 401);
    close(fd);
    char token[256], extra[512];
    CHECK(jwt_make(SECRET, (int64_t)time(NULL), token, sizeof token));
    snprintf(extra, sizeof extra,
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: %s\r\nAuthorization: Bearer %s\r\n", RFC_KEY, token);
    fd = ws_open(f.port, extra);
    CHECK(fd >= 0);
    close(fd);
    stop(&f);
}

/* A browser's Origin must be one the CORS list allows (geth's ws.origins). */
TEST(ws_origin_follows_the_cors_list) {
    static const char *H = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: %s\r\n";
    char extra[400], head[2048];
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    snprintf(extra, sizeof extra, H, "http://evil.example");
    int fd = connect_to(f.port);
    CHECK_EQ_U64((uint64_t)handshake(fd, extra, head, sizeof head), 403);
    close(fd);
    fd = ws_open(f.port, NULL); /* no Origin: not a browser */
    CHECK(fd >= 0);
    close(fd);
    stop(&f);
    start(&f, (rpc_server_config){.cors = "http://localhost:3000, http://app.example"}, false);
    snprintf(extra, sizeof extra, H, "http://app.example");
    CHECK((fd = ws_open(f.port, extra)) >= 0);
    close(fd);
    snprintf(extra, sizeof extra, H, "http://localhost:3001");
    fd = connect_to(f.port);
    CHECK_EQ_U64((uint64_t)handshake(fd, extra, head, sizeof head), 403);
    close(fd);
    stop(&f);
    start(&f, (rpc_server_config){.cors = "*"}, false);
    snprintf(extra, sizeof extra, H, "http://evil.example");
    CHECK((fd = ws_open(f.port, extra)) >= 0);
    close(fd);
    stop(&f);
}

TEST(ws_stop_ends_open_sessions) {
    fixture f;
    start(&f, (rpc_server_config){0}, false);
    int a = ws_open(f.port, NULL), b = ws_open(f.port, NULL);
    CHECK(a >= 0 && b >= 0);
    rpc_server_stop(f.server, 5000);
    CHECK_EQ_U64(ws_close_code(a), 1001);
    CHECK_EQ_U64(ws_close_code(b), 1001);
    close(a);
    close(b);
    rpc_methods_free(f.methods);
}

TEST(ws_subscriptions_push_what_filters_gather) {
    fixture f;
    start(&f, (rpc_server_config){0}, true);
    int fd = ws_open(f.port, NULL);
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}"));
    json_t *r = ws_json(fd);
    const char *id = json_string_value(json_object_get(r, "result"));
    CHECK(id && strlen(id) == 34 && !strncmp(id, "0x", 2));
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 1);
    /* two heads come: each is pushed as its header (no body fields) */
    atomic_store(&f.ctx.pending_hashes, 2);
    for (int i = 0; i < 2; i++) {
        json_t *n = ws_json(fd);
        json_t *params = json_object_get(n, "params"), *head = json_object_get(params, "result");
        CHECK(!strcmp(json_string_value(json_object_get(n, "method")), "eth_subscription"));
        CHECK(id && !strcmp(json_string_value(json_object_get(params, "subscription")), id));
        CHECK(json_is_string(json_object_get(head, "hash")) && !json_object_get(head, "transactions") &&
              !json_object_get(head, "size") && !json_object_get(head, "uncles"));
        CHECK(!json_object_get(n, "id"));
        json_decref(n);
    }
    /* bad subscriptions */
    static const char *const bad[] = {
        "[\"newHeads\",{}]", "[\"logs\",5]", "[\"newPendingTransactions\",\"yes\"]", "[\"syncing\",{}]", "[]", "[7]",
        "[\"logs\",{},3]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"eth_subscribe\",\"params\":%s}", bad[i]);
        CHECK(ws_text(fd, req));
        json_t *e = ws_json(fd);
        CHECK(json_integer_value(json_object_get(json_object_get(e, "error"), "code")) == -32602);
        json_decref(e);
    }
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 1);
    /* a logs subscription in a batch; then unsubscribe the first */
    CHECK(ws_text(fd, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_subscribe\",\"params\":[\"logs\",{\"address\":\"0x00\"}]}]"));
    json_t *b = ws_json(fd);
    CHECK(json_is_string(json_object_get(json_array_get(b, 0), "result")));
    json_decref(b);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 2);
    char req[256];
    snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_unsubscribe\",\"params\":[\"%s\"]}", id ? id : "");
    CHECK(ws_text(fd, req));
    json_t *u = ws_json(fd);
    CHECK(u && json_is_true(json_object_get(u, "result")));
    json_decref(u);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 1);
    /* an id no longer (or never) subscribed unsubscribes nothing */
    CHECK(ws_text(fd, req));
    u = ws_json(fd);
    CHECK(u && json_is_false(json_object_get(u, "result")));
    json_decref(u);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 1);
    json_decref(r);
    /* syncing: nothing while eth_syncing says false; each change is pushed
     * as geth's SyncingResult, and false when it is done */
    CHECK(ws_text(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"eth_subscribe\",\"params\":[\"syncing\"]}"));
    json_t *sr = ws_json(fd);
    CHECK(json_is_string(json_object_get(sr, "result")));
    json_decref(sr);
    sleep_ms(120);
    atomic_store(&f.ctx.syncing, 7);
    json_t *n1 = ws_json(fd);
    json_t *res = json_object_get(json_object_get(n1, "params"), "result");
    CHECK(json_is_true(json_object_get(res, "syncing")) &&
          json_integer_value(json_object_get(json_object_get(res, "status"), "currentBlock")) == 7);
    json_decref(n1);
    atomic_store(&f.ctx.syncing, 0);
    json_t *n2 = ws_json(fd);
    CHECK(json_is_false(json_object_get(json_object_get(n2, "params"), "result")));
    json_decref(n2);
    /* closing the connection uninstalls the rest */
    close(fd);
    for (int i = 0; i < 100 && atomic_load(&f.ctx.filters_open); i++) sleep_ms(20);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 0);
    stop(&f);
}
