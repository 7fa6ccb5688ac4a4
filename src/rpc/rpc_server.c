/* The JSON-RPC HTTP server on libmicrohttpd: a thread pool of epoll loops,
 * the HTTP checks done before a body is read (method, JWT, content type,
 * declared length), the body limit while it is read, CORS headers, and a
 * stop that drains the requests in flight. The JSON-RPC work itself is
 * rpc_process (rpc_dispatch.c), run on the pool thread of the connection.
 * A GET that asks for a WebSocket becomes a session of rpc_ws.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "parevm/buf.h"
#include "parevm/jwt.h"
#include "parevm/rpc.h"
#include "rpc_internal.h"

enum {
    DEFAULT_THREADS = 4,
    DEFAULT_MAX_BODY = 5 * 1024 * 1024,
    DEFAULT_MAX_CONNECTIONS = 512,
    DEFAULT_IDLE_TIMEOUT_S = 60,
    DEFAULT_MAX_WS_SESSIONS = 128,
    DEFAULT_MAX_WS_MESSAGE = 32 * 1024 * 1024, /* geth's wsDefaultReadLimit */
    DEFAULT_WS_PING_MS = 30000,                /* geth's wsPingInterval and wsPongTimeout */
    WS_POOL_MESSAGES = 4,                      /* largest messages held at once (rpc_ws.c) */
    WS_POOL_MAX = 1 << 30,                     /* ...in at most this many bytes */
    LISTEN_BACKLOG = 256,
    DISCARD_SLACK = 1 << 20, /* bytes read past the limit before closing */
};

struct rpc_server {
    struct MHD_Daemon *daemon;
    const rpc_methods *methods;
    size_t max_body, max_batch;
    char *cors;           /* NULL: no CORS */
    bool has_jwt;
    uint8_t jwt_secret[JWT_SECRET_LEN];
    uint16_t port;
    atomic_bool stopping;
    pthread_mutex_t mu;   /* guards in_flight, signals cv when it drops */
    pthread_cond_t cv;
    unsigned in_flight;
    rpc_hub ws;           /* WebSocket sessions (rpc_ws.c) */
};

/* Per request: the body read so far. */
typedef struct {
    buf_t body;
    size_t seen;     /* body bytes received, kept or not */
    bool too_large;
} request_state;

/* ---- Responses --------------------------------------------------------------- */

/* The Access-Control-Allow-Origin value for this request, or NULL. */
static const char *cors_origin(const rpc_server *s, struct MHD_Connection *c) {
    if (!s->cors) return NULL;
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin) return NULL;
    size_t olen = strlen(origin);
    for (const char *p = s->cors; *p;) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        size_t n = (size_t)(end - p);
        while (n && p[n - 1] == ' ') n--;
        if (n == 1 && *p == '*') return "*";
        if (n && n == olen && !strncasecmp(p, origin, n)) return origin;
        p = end;
    }
    return NULL;
}

static enum MHD_Result send_response(rpc_server *s, struct MHD_Connection *c, unsigned status,
                                     struct MHD_Response *r) {
    if (!r) return MHD_NO;
    const char *origin = cors_origin(s, c);
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(r, "Vary", "Origin");
    }
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_text(rpc_server *s, struct MHD_Connection *c, unsigned status, const char *text) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST, OPTIONS");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    return send_response(s, c, status, r);
}

static enum MHD_Result send_json(rpc_server *s, struct MHD_Connection *c, char *text, size_t len) {
    struct MHD_Response *r = text ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE)
                                  : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return send_response(s, c, MHD_HTTP_OK, r);
}

/* CORS preflight: the methods and headers a browser may use. */
static enum MHD_Result send_preflight(rpc_server *s, struct MHD_Connection *c) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST, OPTIONS");
    if (cors_origin(s, c)) {
        const char *want = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers", want ? want : "Content-Type, Authorization");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
    return send_response(s, c, MHD_HTTP_NO_CONTENT, r);
}

/* ---- Checks before the body ---------------------------------------------------- */

/* Whether the Content-Type (if any) names JSON, parameters aside. */
static bool json_content_type(const char *ct) {
    if (!ct) return true;
    static const char *ok[] = {"application/json", "application/json-rpc", "application/jsonrequest"};
    while (*ct == ' ') ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == n && !strncasecmp(ct, ok[i], n)) return true;
    return false;
}

/* NULL when the request carries a valid bearer token, else why not. */
static const char *check_jwt(const rpc_server *s, struct MHD_Connection *c) {
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth) return "missing token";
    if (strncasecmp(auth, "Bearer ", 7)) return "missing token (want Authorization: Bearer)";
    const char *tok = auth + 7;
    while (*tok == ' ') tok++;
    return jwt_verify(s->jwt_secret, tok, strlen(tok), (int64_t)time(NULL));
}

/* How a declared Content-Length compares with the limit. */
typedef enum { BODY_FITS, BODY_DISCARD, BODY_REFUSE } body_fate;

/* A body a little over the limit is read and dropped before the 413: a
 * client that sends its whole body before reading (no Expect:
 * 100-continue) would otherwise see the connection reset, its unread data
 * discarded with the answer. A far larger one is refused at once. */
static body_fate declared_fate(const rpc_server *s, struct MHD_Connection *c) {
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl) return BODY_FITS;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno != ERANGE && n <= s->max_body) return BODY_FITS;
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if (expect || errno == ERANGE || n > 2 * (unsigned long long)s->max_body + DISCARD_SLACK) return BODY_REFUSE;
    return BODY_DISCARD;
}

/* The first call for a request (headers only): answer it at once if it
 * cannot be served, else start reading its body. */
static enum MHD_Result start_request(rpc_server *s, struct MHD_Connection *c, const char *method, void **con_cls) {
    if (atomic_load(&s->stopping)) return send_text(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "server is shutting down\n");
    if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS)) return send_preflight(s, c);
    bool websocket = !strcmp(method, MHD_HTTP_METHOD_GET) && rpc_ws_is_upgrade(c);
    /* an empty GET is a load balancer's health check: geth answers 200 */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    bool health = !strcmp(method, MHD_HTTP_METHOD_GET) && !websocket && (!cl || !strcmp(cl, "0"));
    if (strcmp(method, MHD_HTTP_METHOD_POST) && !websocket && !health)
        return send_text(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: JSON-RPC takes POST\n");
    if (s->has_jwt) {
        const char *why = check_jwt(s, c);
        if (why) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s\n", why);
            return send_text(s, c, MHD_HTTP_UNAUTHORIZED, msg);
        }
    }
    if (health) return send_text(s, c, MHD_HTTP_OK, "");
    if (websocket) {
        /* a browser page may open a WebSocket to any host: as geth's
         * ws.origins, an Origin must be one the CORS list allows */
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin") && !cors_origin(s, c))
            return send_text(s, c, MHD_HTTP_FORBIDDEN, "origin not allowed (see --http.corsdomain)\n");
        char accept[RPC_WS_ACCEPT_LEN + 1];
        unsigned status;
        const char *why = rpc_ws_check(&s->ws, c, accept, &status);
        return why ? send_text(s, c, status, why) : rpc_ws_upgrade(&s->ws, c, accept);
    }
    if (!json_content_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return send_text(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "invalid content type, only application/json is supported\n");
    body_fate fate = declared_fate(s, c);
    if (fate == BODY_REFUSE) return send_text(s, c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
    request_state *st = calloc(1, sizeof *st);
    if (!st) return MHD_NO;
    st->too_large = fate == BODY_DISCARD;
    pthread_mutex_lock(&s->mu);
    s->in_flight++;
    pthread_mutex_unlock(&s->mu);
    *con_cls = st;
    return MHD_YES;
}

/* ---- MHD callbacks ------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    rpc_server *s = cls;
    request_state *st = *con_cls;
    if (!st) return start_request(s, c, method, con_cls);
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        st->seen += n;
        if (!st->too_large && n > s->max_body - st->body.len) {
            /* Without a Content-Length we learn the size only now. MHD cannot
             * answer before the body ends: drop it as it comes and answer 413
             * then, or close the connection if it goes on far past the limit. */
            st->too_large = true;
            buf_free(&st->body);
        }
        if (st->too_large) return st->seen > 2 * s->max_body + DISCARD_SLACK ? MHD_NO : MHD_YES;
        buf_append(&st->body, upload_data, n);
        return MHD_YES;
    }
    if (st->too_large) return send_text(s, c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
    /* geth reads no request from a body of only whitespace (io.EOF) and
     * answers 200 with nothing, not a parse error */
    size_t i = 0;
    while (i < st->body.len && rpc_is_space(st->body.data[i])) i++;
    if (i == st->body.len) return send_json(s, c, NULL, 0);
    size_t len = 0;
    char *out = rpc_process(s->methods, (const char *)st->body.data, st->body.len, s->max_batch, &len);
    return send_json(s, c, out, len);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    rpc_server *s = cls;
    request_state *st = *con_cls;
    if (!st) return;
    buf_free(&st->body);
    free(st);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- Start and stop -------------------------------------------------------------------- */

/* A bound, listening, non-blocking socket on addr:port, or -1 with err. */
static int listen_on(const char *addr, uint16_t port, uint16_t *bound, char *err, size_t errlen) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        sl = sizeof *v6;
    } else {
        snprintf(err, errlen, "bad listen address '%.64s' (want an IPv4 or IPv6 literal)", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, LISTEN_BACKLOG)) {
        snprintf(err, errlen, "cannot listen on %.64s:%u: %s", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    return fd;
}

static void server_free(rpc_server *s) {
    rpc_hub_destroy(&s->ws);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->cors);
    free(s);
}

rpc_server *rpc_server_start(const rpc_server_config *cfg, const rpc_methods *methods, char *err, size_t errlen) {
    rpc_server *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->methods = methods;
    s->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    s->max_batch = cfg->max_batch ? cfg->max_batch : RPC_DEFAULT_MAX_BATCH;
    if (cfg->cors && *cfg->cors && !(s->cors = strdup(cfg->cors))) abort();
    if (cfg->jwt_secret) {
        s->has_jwt = true;
        memcpy(s->jwt_secret, cfg->jwt_secret, JWT_SECRET_LEN);
    }
    atomic_init(&s->stopping, false);
    size_t max_ws = cfg->max_ws_message ? cfg->max_ws_message : DEFAULT_MAX_WS_MESSAGE;
    rpc_hub_init(&s->ws, methods, max_ws, s->max_batch, cfg->thread_stack,
                 cfg->max_ws_sessions ? cfg->max_ws_sessions : DEFAULT_MAX_WS_SESSIONS);
    s->ws.ping_ms = cfg->ws_ping_ms ? cfg->ws_ping_ms : DEFAULT_WS_PING_MS;
    /* four messages, but no more than the 1 GiB anvil's unlimited size
     * allows one of */
    s->ws.pool_max = WS_POOL_MESSAGES * max_ws;
    if (s->ws.pool_max > WS_POOL_MAX) s->ws.pool_max = max_ws > WS_POOL_MAX ? max_ws : WS_POOL_MAX;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int fd = listen_on(cfg->addr ? cfg->addr : "127.0.0.1", cfg->port, &s->port, err, errlen);
    if (fd < 0) {
        server_free(s);
        return NULL;
    }
    unsigned threads = cfg->threads ? cfg->threads : DEFAULT_THREADS;
    unsigned conns = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS;
    unsigned timeout = cfg->idle_timeout_s ? cfg->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    s->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_UPGRADE, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads,
                                 MHD_OPTION_CONNECTION_LIMIT, conns,
                                 MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_THREAD_STACK_SIZE, cfg->thread_stack,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "libmicrohttpd could not start the server");
        close(fd);
        server_free(s);
        return NULL;
    }
    return s;
}

uint16_t rpc_server_port(const rpc_server *s) { return s->port; }

unsigned rpc_server_in_flight(const rpc_server *s) {
    rpc_server *m = (rpc_server *)s; /* the lock is not part of the value */
    pthread_mutex_lock(&m->mu);
    unsigned n = m->in_flight;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void rpc_server_stop(rpc_server *s, unsigned drain_ms) {
    if (!s) return;
    /* From here a new request is answered 503. The daemon is not quiesced:
     * libmicrohttpd 0.9.75's MHD_quiesce_daemon races its own pool threads
     * for the listen socket's epoll removal and aborts the process when it
     * loses (MHD_PANIC on ENOENT, seen at random in test_rpc_server). The
     * listen socket closes with the daemon. */
    atomic_store(&s->stopping, true);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += drain_ms / 1000;
    deadline.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (s->in_flight && pthread_cond_timedwait(&s->cv, &s->mu, &deadline) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&s->mu);
    /* upgraded sockets must be given back before the daemon stops */
    rpc_hub_stop(&s->ws);
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
