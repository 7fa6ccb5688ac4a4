/* The JSON-RPC server's WebSocket transport (RFC 6455) and its
 * subscriptions, eth_subscribe / eth_unsubscribe (newHeads, logs,
 * newPendingTransactions, syncing), as viem's webSocket transport, ethers'
 * WebSocketProvider and `cast ... --rpc-url ws://` use them.
 *
 * A GET with "Upgrade: websocket" on the HTTP port is answered 101 and its
 * socket taken over from libmicrohttpd. Each session then runs on a thread
 * of its own: it reads frames, answers every request through rpc_process on
 * a method table of its own (the server's plus the two subscription
 * methods, bound to the session), and every tick pushes what its
 * subscriptions gathered. A subscription is one of the node's polling
 * filters (eth_newBlockFilter, eth_newFilter,
 * eth_newPendingTransactionFilter) that the session polls itself, so that
 * a subscription sees exactly what a filter sees, reorgs included; a
 * newHeads notification is the block's header fields. "syncing" polls
 * eth_syncing and pushes its changes. Only the session's
 * thread writes to its socket. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include "parevm/buf.h"
#include "rpc_internal.h"

enum {
    WS_TICK_MS = 50,            /* how often subscriptions are polled */
    WS_SEND_TIMEOUT_MS = 10000, /* a client that stops reading is dropped */
    WS_MAX_SUBSCRIPTIONS = 128, /* per session */
    WS_READ_CHUNK = 65536,
};

/* Close codes (RFC 6455 7.4.1). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_TRY_LATER = 1013,
};

enum { OP_CONTINUATION = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

typedef enum { SUB_HEADS, SUB_LOGS, SUB_PENDING, SUB_SYNCING } sub_kind;

typedef struct {
    char id[35];   /* "0x" and 32 hex digits */
    sub_kind kind;
    json_t *filter; /* the node's filter id; syncing: the last eth_syncing answer */
} subscription;

typedef struct {
    rpc_ws_hub *hub;
    rpc_methods *methods;     /* the server's plus eth_subscribe / eth_unsubscribe */
    MHD_socket fd;
    struct MHD_UpgradeResponseHandle *urh;
    buf_t in;                 /* received, not yet parsed */
    buf_t msg;                /* the message being assembled from fragments */
    int msg_opcode;           /* its opcode; 0 when none is in progress */
    bool closed;              /* a close frame went out, or the socket failed */
    subscription *subs;
    size_t n_subs;
} ws_session;

void rpc_ws_hub_init(rpc_ws_hub *h, const rpc_methods *m, size_t max_message, size_t max_batch, size_t thread_stack,
                     unsigned max_sessions) {
    memset(h, 0, sizeof *h);
    h->methods = m;
    h->max_message = max_message;
    h->max_batch = max_batch;
    h->thread_stack = thread_stack;
    h->max_sessions = max_sessions;
    atomic_init(&h->stopping, false);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

void rpc_ws_hub_stop(rpc_ws_hub *h) {
    atomic_store(&h->stopping, true);
    /* each session sees the flag within a tick, says goodbye and ends */
    pthread_mutex_lock(&h->mu);
    while (h->sessions) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void rpc_ws_hub_destroy(rpc_ws_hub *h) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

unsigned rpc_ws_sessions(rpc_ws_hub *h) {
    pthread_mutex_lock(&h->mu);
    unsigned n = h->sessions;
    pthread_mutex_unlock(&h->mu);
    return n;
}

/* ---- Handshake ------------------------------------------------------------------------ */

/* Whether header (a comma-separated list) holds token, case aside. */
static bool header_has_token(const char *header, const char *token) {
    size_t tl = strlen(token);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t')) m--;
        if (m == tl && !strncasecmp(p, token, tl)) return true;
        p += n;
    }
    return false;
}

bool rpc_ws_is_upgrade(struct MHD_Connection *c) {
    const char *up = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
    return up && header_has_token(up, "websocket");
}

const char *rpc_ws_check(rpc_ws_hub *h, struct MHD_Connection *c, char accept[RPC_WS_ACCEPT_LEN + 1],
                         unsigned *status) {
    *status = MHD_HTTP_BAD_REQUEST;
    const char *conn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
    if (!conn || !header_has_token(conn, "upgrade")) return "WebSocket handshake without Connection: Upgrade\n";
    const char *version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    if (!version || strcmp(version, "13")) return "unsupported WebSocket version (want Sec-WebSocket-Version: 13)\n";
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    uint8_t nonce[18];
    /* the key is base64 of 16 bytes: 24 characters, two of them padding */
    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=' ||
        EVP_DecodeBlock(nonce, (const unsigned char *)key, 24) != 18)
        return "bad Sec-WebSocket-Key (want base64 of 16 bytes)\n";
    if (rpc_ws_sessions(h) >= h->max_sessions) {
        *status = MHD_HTTP_SERVICE_UNAVAILABLE;
        return "too many WebSocket sessions\n";
    }
    static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char both[24 + sizeof GUID];
    memcpy(both, key, 24);
    memcpy(both + 24, GUID, sizeof GUID);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)both, strlen(both), digest);
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    return NULL;
}

/* ---- Frames --------------------------------------------------------------------------- */

static bool write_all(ws_session *s, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd q = {.fd = s->fd, .events = POLLOUT};
            if (poll(&q, 1, WS_SEND_TIMEOUT_MS) <= 0) return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Sends one unfragmented, unmasked frame (a server's). */
static bool send_frame(ws_session *s, int op, const void *data, size_t len) {
    if (s->closed) return false;
    uint8_t h[10];
    size_t hl;
    h[0] = (uint8_t)(0x80 | op);
    if (len < 126) {
        h[1] = (uint8_t)len;
        hl = 2;
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
    if (!write_all(s, h, hl) || !write_all(s, data, len)) {
        s->closed = true;
        return false;
    }
    return true;
}

/* Sends a close frame with code and reason; the session ends after it. */
static void send_close(ws_session *s, unsigned code, const char *reason) {
    uint8_t p[125];
    size_t rl = strlen(reason);
    if (rl > sizeof p - 2) rl = sizeof p - 2;
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    memcpy(p + 2, reason, rl);
    send_frame(s, OP_CLOSE, p, 2 + rl);
    s->closed = true;
}

/* ---- Requests ------------------------------------------------------------------------- */

static void handle_message(ws_session *s) {
    size_t len = 0;
    char *out = rpc_process(s->methods, (const char *)s->msg.data, s->msg.len, s->hub->max_batch, &len);
    if (out) send_frame(s, OP_TEXT, out, len);
    free(out);
    buf_free(&s->msg);
    s->msg_opcode = 0;
}

/* Parses and handles the frame at the start of s->in. Returns 1 when one
 * was handled, 0 when more bytes are needed, -1 when the session ends. */
static int next_frame(ws_session *s) {
    uint8_t *p = s->in.data;
    size_t n = s->in.len;
    if (n < 2) return 0;
    bool fin = p[0] & 0x80;
    int op = p[0] & 0x0f;
    if (p[0] & 0x70) return send_close(s, WS_CLOSE_PROTOCOL_ERROR, "reserved bits set"), -1;
    if (!(p[1] & 0x80)) return send_close(s, WS_CLOSE_PROTOCOL_ERROR, "client frames must be masked"), -1;
    uint64_t len = p[1] & 0x7f;
    size_t hl = 2;
    if (len == 126) {
        if (n < 4) return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        hl = 4;
    } else if (len == 127) {
        if (n < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
        hl = 10;
    }
    if (op >= OP_CLOSE && (!fin || len > 125))
        return send_close(s, WS_CLOSE_PROTOCOL_ERROR, "fragmented or long control frame"), -1;
    if (op < OP_CLOSE && len > s->hub->max_message - s->msg.len)
        return send_close(s, WS_CLOSE_TOO_BIG, "message too large"), -1;
    if (n - hl < 4 || n - hl - 4 < len) return 0;
    uint8_t *mask = p + hl, *data = p + hl + 4;
    for (uint64_t i = 0; i < len; i++) data[i] ^= mask[i & 3];
    size_t dl = (size_t)len;
    int rc = 1;
    switch (op) {
    case OP_CONTINUATION:
    case OP_TEXT:
    case OP_BINARY:
        if ((op == OP_CONTINUATION) != (s->msg_opcode != 0)) {
            send_close(s, WS_CLOSE_PROTOCOL_ERROR, op ? "new message inside a fragmented one" : "continuation of nothing");
            return -1;
        }
        if (op) s->msg_opcode = op;
        buf_append(&s->msg, data, dl);
        if (fin) handle_message(s);
        break;
    case OP_CLOSE:
        /* echo the peer's code (RFC 6455 5.5.1) */
        send_close(s, dl >= 2 ? (unsigned)data[0] << 8 | data[1] : WS_CLOSE_NORMAL, "");
        rc = -1;
        break;
    case OP_PING:
        send_frame(s, OP_PONG, data, dl);
        break;
    case OP_PONG:
        break;
    default:
        send_close(s, WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");
        return -1;
    }
    memmove(s->in.data, s->in.data + hl + 4 + dl, n - hl - 4 - dl);
    s->in.len = n - hl - 4 - dl;
    return s->closed ? -1 : rc;
}

/* Reads what the socket has; false when the peer has gone. */
static bool read_more(ws_session *s) {
    uint8_t chunk[WS_READ_CHUNK];
    for (;;) {
        ssize_t r = recv(s->fd, chunk, sizeof chunk, 0);
        if (r > 0) {
            buf_append(&s->in, chunk, (size_t)r);
            if ((size_t)r < sizeof chunk) return true;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
}

/* ---- Subscriptions -------------------------------------------------------------------- */

static void random_id(char out[35]) {
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r > 0) got += (size_t)r;
        else if (errno != EINTR) abort(); /* the kernel's generator is always there */
    }
    static const char hexd[] = "0123456789abcdef";
    out[0] = '0', out[1] = 'x';
    for (int i = 0; i < 16; i++) out[2 + 2 * i] = hexd[b[i] >> 4], out[3 + 2 * i] = hexd[b[i] & 15];
    out[34] = 0;
}

/* The filter method that feeds a subscription (its arguments into args),
 * or NULL with err. */
static const char *filter_method(const json_t *params, subscription *sub, json_t *args, rpc_error *err) {
    const char *kind = json_string_value(json_array_get(params, 0));
    const json_t *opt = json_array_get(params, 1);
    bool no_opt = !opt || json_is_null(opt);
    if (!kind) return rpc_error_invalid_param(err, 0, "expected a subscription name"), NULL;
    if (!strcmp(kind, "newHeads")) {
        sub->kind = SUB_HEADS;
        if (!no_opt) return rpc_error_invalid_param(err, 1, "newHeads takes no options"), NULL;
        return "eth_newBlockFilter";
    }
    if (!strcmp(kind, "logs")) {
        sub->kind = SUB_LOGS;
        if (!no_opt && !json_is_object(opt)) return rpc_error_invalid_param(err, 1, "expected a filter object"), NULL;
        json_array_append_new(args, no_opt ? json_object() : json_incref((json_t *)opt));
        return "eth_newFilter";
    }
    if (!strcmp(kind, "newPendingTransactions")) {
        sub->kind = SUB_PENDING;
        if (!no_opt && !json_is_boolean(opt))
            return rpc_error_invalid_param(err, 1, "expected a boolean (full transactions)"), NULL;
        if (json_is_true(opt)) json_array_append_new(args, json_true());
        return "eth_newPendingTransactionFilter";
    }
    if (!strcmp(kind, "syncing")) {
        /* polled: a change of eth_syncing's answer is pushed, as geth's */
        sub->kind = SUB_SYNCING;
        if (!no_opt) return rpc_error_invalid_param(err, 1, "syncing takes no options"), NULL;
        return "eth_syncing";
    }
    rpc_error_set(err, RPC_INVALID_PARAMS, "no \"%.60s\" subscription in eth namespace", kind);
    return NULL;
}

/* Opens the node's filter that feeds a subscription; false with err. */
static bool open_filter(ws_session *s, const json_t *params, subscription *sub, rpc_error *err) {
    json_t *args = rpc_json_take(json_array());
    const char *method = filter_method(params, sub, args, err);
    bool ok = method && rpc_call(s->hub->methods, method, args, &sub->filter, err);
    json_decref(args);
    if (ok && sub->kind != SUB_SYNCING && !json_is_string(sub->filter)) {
        json_decref(sub->filter);
        ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "filter without an id");
    }
    return ok;
}

static void close_filter(ws_session *s, subscription *sub) {
    if (sub->kind == SUB_SYNCING) {
        json_decref(sub->filter);
        return;
    }
    json_t *args = json_pack("[O]", sub->filter), *res = NULL;
    rpc_error err = {0};
    if (args) rpc_call(s->hub->methods, "eth_uninstallFilter", args, &res, &err);
    rpc_error_clear(&err);
    json_decref(res);
    json_decref(args);
    json_decref(sub->filter);
}

static bool eth_subscribe(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    ws_session *s = ctx;
    if (json_array_size(params) < 1 || json_array_size(params) > 2)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "expected a subscription name and its options");
    if (s->n_subs >= WS_MAX_SUBSCRIPTIONS)
        return rpc_error_set(err, RPC_LIMIT_EXCEEDED, "too many subscriptions (at most %d per connection)",
                             WS_MAX_SUBSCRIPTIONS);
    subscription sub = {0};
    if (!open_filter(s, params, &sub, err)) return false;
    random_id(sub.id);
    s->subs = realloc(s->subs, (s->n_subs + 1) * sizeof *s->subs);
    if (!s->subs) abort();
    s->subs[s->n_subs++] = sub;
    *result = rpc_json_take(json_string(sub.id));
    return true;
}

static bool eth_unsubscribe(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    ws_session *s = ctx;
    const char *id = json_string_value(json_array_get(params, 0));
    if (json_array_size(params) != 1 || !id) return rpc_error_invalid_param(err, 0, "expected a subscription id");
    bool found = false;
    for (size_t i = 0; i < s->n_subs && !found; i++) {
        if (strcasecmp(s->subs[i].id, id)) continue;
        close_filter(s, &s->subs[i]);
        s->subs[i] = s->subs[--s->n_subs];
        found = true;
    }
    *result = json_boolean(found);
    return true;
}

/* A newHeads notification: the block's header fields. */
static json_t *header_of(ws_session *s, json_t *hash) {
    json_t *args = json_pack("[O,b]", hash, 0), *block = NULL;
    rpc_error err = {0};
    if (args) rpc_call(s->hub->methods, "eth_getBlockByHash", args, &block, &err);
    rpc_error_clear(&err);
    json_decref(args);
    if (!json_is_object(block)) {
        json_decref(block);
        return NULL;
    }
    static const char *const BODY[] = {"transactions", "uncles", "withdrawals", "size", "totalDifficulty"};
    for (size_t i = 0; i < sizeof BODY / sizeof BODY[0]; i++) json_object_del(block, BODY[i]);
    return block;
}

static bool notify(ws_session *s, const char *id, json_t *result) {
    json_t *n = json_pack("{s:s,s:s,s:{s:s,s:o}}", "jsonrpc", "2.0", "method", "eth_subscription", "params",
                          "subscription", id, "result", result);
    if (!n) abort();
    char *text = json_dumps(n, JSON_COMPACT);
    json_decref(n);
    if (!text) abort();
    bool ok = send_frame(s, OP_TEXT, text, strlen(text));
    free(text);
    return ok;
}

/* A syncing subscription: geth's SyncingResult when eth_syncing's answer
 * changed ({"syncing": true, "status": ...}, or false once done). */
static void tick_syncing(ws_session *s, subscription *sub) {
    json_t *args = json_array(), *now = NULL;
    rpc_error err = {0};
    if (args) rpc_call(s->hub->methods, "eth_syncing", args, &now, &err);
    rpc_error_clear(&err);
    json_decref(args);
    if (!now || json_equal(now, sub->filter)) {
        json_decref(now);
        return;
    }
    json_decref(sub->filter);
    sub->filter = now;
    notify(s, sub->id, json_is_false(now) ? json_false() : json_pack("{s:b,s:O}", "syncing", 1, "status", now));
}

/* Pushes what each subscription's filter gathered since the last tick. */
static void tick(ws_session *s) {
    for (size_t i = 0; i < s->n_subs && !s->closed; i++) {
        subscription *sub = &s->subs[i];
        if (sub->kind == SUB_SYNCING) {
            tick_syncing(s, sub);
            continue;
        }
        json_t *args = json_pack("[O]", sub->filter), *changes = NULL;
        rpc_error err = {0};
        if (args) rpc_call(s->hub->methods, "eth_getFilterChanges", args, &changes, &err);
        rpc_error_clear(&err);
        json_decref(args);
        size_t k;
        json_t *item;
        json_array_foreach(changes, k, item) {
            json_t *res = sub->kind == SUB_HEADS ? header_of(s, item) : json_incref(item);
            if (res && !notify(s, sub->id, res)) break;
        }
        json_decref(changes);
    }
}

/* ---- Sessions ------------------------------------------------------------------------- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static void session_free(ws_session *s) {
    for (size_t i = 0; i < s->n_subs; i++) close_filter(s, &s->subs[i]);
    free(s->subs);
    buf_free(&s->in);
    buf_free(&s->msg);
    rpc_methods_free(s->methods);
    MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(s);
}

static void *session_main(void *arg) {
    ws_session *s = arg;
    rpc_ws_hub *h = s->hub;
    double last_tick = now_ms();
    while (!s->closed) {
        if (atomic_load(&h->stopping)) {
            send_close(s, WS_CLOSE_GOING_AWAY, "server is shutting down");
            break;
        }
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int r = poll(&p, 1, WS_TICK_MS);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) break;
        if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
            if (!read_more(s)) break;
            int rc;
            while ((rc = next_frame(s)) > 0) {
            }
            if (rc < 0) break;
        }
        if (s->n_subs && now_ms() - last_tick >= WS_TICK_MS) {
            tick(s);
            last_tick = now_ms();
        }
    }
    session_free(s);
    pthread_mutex_lock(&h->mu);
    h->sessions--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* libmicrohttpd hands the socket over once the 101 is sent. */
static void on_upgrade(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
    (void)c;
    (void)con_cls;
    rpc_ws_hub *h = cls;
    ws_session *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->hub = h;
    s->fd = sock;
    s->urh = urh;
    s->methods = rpc_methods_copy(h->methods);
    /* subscriptions are the eth namespace's, built on its filters */
    if (rpc_methods_has(h->methods, "eth_newFilter")) {
        rpc_methods_add(s->methods, "eth_subscribe", eth_subscribe, s);
        rpc_methods_add(s->methods, "eth_unsubscribe", eth_unsubscribe, s);
    }
    if (extra_in_size) buf_append(&s->in, extra_in, extra_in_size);
    pthread_mutex_lock(&h->mu);
    bool stopping = atomic_load(&h->stopping), room = h->sessions < h->max_sessions && !stopping;
    if (room) h->sessions++;
    pthread_mutex_unlock(&h->mu);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (h->thread_stack) pthread_attr_setstacksize(&attr, h->thread_stack);
    bool started = room && pthread_create(&t, &attr, session_main, s) == 0;
    pthread_attr_destroy(&attr);
    if (started) return;
    if (room) {
        pthread_mutex_lock(&h->mu);
        h->sessions--;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
    if (stopping) send_close(s, WS_CLOSE_GOING_AWAY, "server is shutting down");
    else send_close(s, WS_CLOSE_TRY_LATER, "too many WebSocket sessions");
    session_free(s);
}

enum MHD_Result rpc_ws_upgrade(rpc_ws_hub *h, struct MHD_Connection *c, const char *accept) {
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, h);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    return ok;
}
