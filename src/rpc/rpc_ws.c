/* The JSON-RPC server's WebSocket transport (RFC 6455), as viem's
 * webSocket transport, ethers' WebSocketProvider and `cast ... --rpc-url
 * ws://` use it.
 *
 * A GET with "Upgrade: websocket" on the HTTP port is answered 101 and its
 * socket taken over from libmicrohttpd. Each session then runs on a thread
 * of its own: it reads frames, answers every request through rpc_process on
 * its subscriptions' method table (rpc_session.c: the server's methods plus
 * eth_subscribe / eth_unsubscribe) and every tick pushes what its
 * subscriptions gathered. Only the session's thread writes to its socket.
 *
 * A message may be as large as geth's (32 MiB by default). What a session
 * holds past WS_UNPOOLED bytes is taken from the hub's pool (a few such
 * messages) before it is read, at most WS_UNPOOLED ahead of what came (a
 * frame's header alone takes none), so slow senders of large messages
 * cannot make the node hold one per session: when the pool is spent the
 * session is closed with 1013 (try again later). As geth's pingLoop, a session
 * that has sent nothing for hub->ping_ms is pinged, and closed when the
 * pong has not come ping_ms after. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "parevm/buf.h"
#include "rpc_internal.h"

enum {
    WS_SEND_TIMEOUT_MS = 10000, /* a client that stops reading is dropped */
    WS_UNPOOLED = 1 << 20,      /* bytes a session holds without the hub's pool */
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

typedef struct {
    rpc_hub *hub;
    rpc_subs *subs;           /* its subscriptions and method table */
    MHD_socket fd;
    struct MHD_UpgradeResponseHandle *urh;
    buf_t in;                 /* received; parsed up to start */
    size_t start;
    buf_t msg;                /* the message being assembled from fragments */
    int msg_opcode;           /* its opcode; 0 when none is in progress */
    bool closed;              /* a close frame went out, or the socket failed */
    size_t frame_need;        /* bytes the incomplete frame at start will take; 0: unknown */
    size_t pooled;            /* this session's bytes of hub->pool_used */
    double idle_since;        /* when a message or a ping last went out */
    double pong_due;          /* when the pong to our ping must have come; 0: none due */
} ws_session;

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

const char *rpc_ws_check(rpc_hub *h, struct MHD_Connection *c, char accept[RPC_WS_ACCEPT_LEN + 1],
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
    if (rpc_hub_sessions(h) >= h->max_sessions) {
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
    return rpc_send_all(s->fd, p, n, WS_SEND_TIMEOUT_MS);
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
    if (op == OP_TEXT) s->idle_since = rpc_now_ms();
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

static void handle_message(ws_session *s, const uint8_t *msg, size_t n) {
    size_t len = 0;
    char *out = rpc_process(rpc_subs_methods(s->subs), (const char *)msg, n, s->hub->max_batch, &len);
    if (out) send_frame(s, OP_TEXT, out, len);
    free(out);
}

/* Lets the session hold bytes: past WS_UNPOOLED they are taken from (or
 * given back to) the hub's pool. False when the pool has too few left. */
static bool hold(ws_session *s, size_t bytes) {
    rpc_hub *h = s->hub;
    size_t want = bytes > WS_UNPOOLED ? bytes - WS_UNPOOLED : 0;
    if (want <= s->pooled) {
        atomic_fetch_sub(&h->pool_used, s->pooled - want);
    } else {
        size_t used = atomic_load(&h->pool_used), more = want - s->pooled;
        do {
            if (more > h->pool_max - used) return false;
        } while (!atomic_compare_exchange_weak(&h->pool_used, &used, used + more));
    }
    s->pooled = want;
    return true;
}

/* Parses and handles the frame at s->in's start. Returns 1 when one
 * was handled, 0 when more bytes are needed, -1 when the session ends. */
static int next_frame(ws_session *s) {
    uint8_t *p = s->in.data + s->start;
    size_t n = s->in.len - s->start;
    s->frame_need = 0;
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
    if (n - hl < 4 || n - hl - 4 < len) {
        s->frame_need = hl + 4 + (size_t)len;
        return 0;
    }
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
        if (fin && op) {
            handle_message(s, data, dl); /* a whole message: no copy */
            break;
        }
        if (op) s->msg_opcode = op;
        buf_append(&s->msg, data, dl);
        if (fin) {
            handle_message(s, s->msg.data, s->msg.len);
            buf_free(&s->msg);
            s->msg_opcode = 0;
        }
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
        s->pong_due = 0;
        break;
    default:
        send_close(s, WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");
        return -1;
    }
    /* the buffer is compacted once per read (drop_parsed), not per frame */
    s->start += hl + 4 + dl;
    return s->closed ? -1 : rc;
}

/* Reads what the socket has, no further ahead than the session may hold
 * beside its message so far; false when the peer has gone. */
static bool read_more(ws_session *s) {
    size_t may = WS_UNPOOLED + s->pooled;
    return rpc_read_available(s->fd, &s->in, s->start, may > s->msg.len ? may - s->msg.len : 0);
}

/* A notification, as rpc_subs sends it. */
static bool send_text(void *conn, const char *text, size_t len) { return send_frame(conn, OP_TEXT, text, len); }

/* ---- Sessions ------------------------------------------------------------------------- */

static void session_free(ws_session *s) {
    hold(s, 0);
    rpc_subs_free(s->subs);
    buf_free(&s->in);
    buf_free(&s->msg);
    MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(s);
}

/* Handles every complete frame received, then drops them from the
 * buffer at once; false when the session ends. */
static bool handle_frames(ws_session *s) {
    int rc;
    while ((rc = next_frame(s)) > 0) {
    }
    if (s->start) {
        memmove(s->in.data, s->in.data + s->start, s->in.len - s->start);
        s->in.len -= s->start;
        s->start = 0;
    }
    if (rc) return false;
    /* what the message and the frame being read will take, before they are
     * read, but no more than WS_UNPOOLED past what came: a frame's header
     * alone holds none of the pool (geth's reader holds what it was sent) */
    size_t ahead = s->frame_need > s->in.len ? s->frame_need : s->in.len;
    if (ahead - s->in.len > WS_UNPOOLED) ahead = s->in.len + WS_UNPOOLED;
    if (!hold(s, s->msg.len + ahead)) {
        send_close(s, WS_CLOSE_TRY_LATER, "too many large messages at once");
        return false;
    }
    if (!s->pooled && s->in.cap > 2 * WS_UNPOOLED) {
        /* nor is a large message's buffer kept once its share is back */
        buf_t small = {0};
        buf_append(&small, s->in.data, s->in.len);
        buf_free(&s->in);
        s->in = small;
    }
    return true;
}

static void *session_main(void *arg) {
    ws_session *s = arg;
    rpc_hub *h = s->hub;
    double last_tick = rpc_now_ms();
    s->idle_since = last_tick;
    /* frames that came with the handshake are not waited on */
    if (s->in.len && !handle_frames(s)) s->closed = true;
    while (!s->closed) {
        if (rpc_hub_stopping(h)) {
            send_close(s, WS_CLOSE_GOING_AWAY, "server is shutting down");
            break;
        }
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int r = poll(&p, 1, RPC_SESSION_TICK_MS);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) break;
        if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
            if (!read_more(s) || !handle_frames(s)) break;
        }
        if (!rpc_subs_tick_due(s->subs, &last_tick)) break;
        double now = rpc_now_ms();
        if (s->pong_due && now >= s->pong_due) {
            send_close(s, WS_CLOSE_NORMAL, "no pong"); /* geth closes with 1000 */
            break;
        }
        if (h->ping_ms && now - s->idle_since >= h->ping_ms) {
            send_frame(s, OP_PING, NULL, 0);
            s->idle_since = now;
            s->pong_due = now + h->ping_ms;
        }
    }
    session_free(s);
    rpc_hub_leave(h);
    return NULL;
}

/* libmicrohttpd hands the socket over once the 101 is sent. */
static void on_upgrade(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
    (void)c;
    (void)con_cls;
    rpc_hub *h = cls;
    ws_session *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->hub = h;
    s->fd = sock;
    s->urh = urh;
    s->subs = rpc_subs_new(h->methods, send_text, s);
    if (extra_in_size) buf_append(&s->in, extra_in, extra_in_size);
    rpc_hub_refusal r = rpc_hub_spawn(h, session_main, s);
    if (r == RPC_HUB_STARTED) return;
    if (r == RPC_HUB_STOPPING) send_close(s, WS_CLOSE_GOING_AWAY, "server is shutting down");
    else send_close(s, WS_CLOSE_TRY_LATER, "too many WebSocket sessions");
    session_free(s);
}

enum MHD_Result rpc_ws_upgrade(rpc_hub *h, struct MHD_Connection *c, const char *accept) {
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, h);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    return ok;
}
