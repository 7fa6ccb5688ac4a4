/* The JSON-RPC server's IPC transport: a Unix domain socket (geth's and
 * reth's --ipcpath, anvil's --ipc), as `cast ... --rpc-url PATH.ipc`,
 * ethers' IpcSocketProvider and viem's ipc transport use it.
 *
 * The stream carries JSON values back to back, as geth's IPC codec reads
 * them: a request object or a batch array, optional whitespace between.
 * Each answer (and each subscription notification) is one compact JSON
 * text followed by a newline, which ethers splits on. The end of a request
 * is found by counting brackets outside strings, so a request may come in
 * many reads and many requests in one. Text that does not start with '{'
 * or '[' gets a -32700 answer and the connection is closed, as geth does;
 * a request over the size limit gets -32600 and the same.
 *
 * One thread accepts; each connection then runs on a session thread of its
 * own (rpc_session.c: its own subscriptions, answered in order). The socket
 * file is created with mode 0600 and removed at the stop; a stale file
 * (no process listening) is replaced, a live one refused. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "parevm/buf.h"
#include "rpc_internal.h"

enum {
    IPC_SEND_TIMEOUT_MS = 10000, /* a client that stops reading is dropped */
    IPC_DEFAULT_MAX_MESSAGE = 5 * 1024 * 1024,
    IPC_DEFAULT_MAX_SESSIONS = 128,
};

struct rpc_ipc {
    rpc_hub hub;
    int fd;                /* the listening socket */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev;             /* the socket file's identity: removed at the stop only if still ours */
    ino_t ino;
    pthread_t acceptor;
};

/* Where the scan of the request being received stands. */
typedef struct {
    size_t pos;            /* bytes of in scanned so far */
    unsigned depth;        /* open brackets outside strings */
    bool in_string, escaped;
} request_scan;

typedef struct {
    rpc_hub *hub;
    rpc_subs *subs;
    int fd;
    buf_t in;              /* received, not yet answered from start on */
    size_t start;          /* where the request being received begins */
    request_scan scan;     /* its scan (pos counts from the buffer's start) */
    bool closed;           /* a send failed, or the peer broke the protocol */
} ipc_session;

/* ---- Requests ------------------------------------------------------------------------- */

/* Writes one message and its newline. */
static bool send_line(void *conn, const char *text, size_t len) {
    ipc_session *s = conn;
    if (s->closed) return false;
    if (!rpc_send_all(s->fd, text, len, IPC_SEND_TIMEOUT_MS) || !rpc_send_all(s->fd, "\n", 1, IPC_SEND_TIMEOUT_MS))
        s->closed = true;
    return !s->closed;
}

/* Answers an error with a null id and ends the session. */
static void refuse(ipc_session *s, int code, const char *message) {
    char text[256];
    int n = snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\"}}",
                     code, message);
    send_line(s, text, (size_t)n);
    s->closed = true;
}

/* Moves the start past n bytes (a request answered, or whitespace). */
static void consume(ipc_session *s, size_t n) {
    s->start += n;
    s->scan = (request_scan){.pos = s->start};
}

/* Drops what has been answered from the buffer: once per read, so that a
 * read of many requests is not moved once per request. */
static void compact(ipc_session *s) {
    if (!s->start) return;
    memmove(s->in.data, s->in.data + s->start, s->in.len - s->start);
    s->in.len -= s->start;
    s->scan.pos -= s->start;
    s->start = 0;
}

/* The length of the request at s->start once it is complete, 0 while more
 * bytes are needed. The scan resumes where the last one ended. */
static size_t request_end(ipc_session *s) {
    request_scan *c = &s->scan;
    const uint8_t *p = s->in.data;
    if (c->pos < s->start) c->pos = s->start;
    for (; c->pos < s->in.len; c->pos++) {
        uint8_t b = p[c->pos];
        if (c->in_string) {
            if (c->escaped) c->escaped = false;
            else if (b == '\\') c->escaped = true;
            else if (b == '"') c->in_string = false;
        } else if (b == '"') {
            c->in_string = true;
        } else if (b == '{' || b == '[') {
            c->depth++;
        } else if ((b == '}' || b == ']') && --c->depth == 0) {
            return ++c->pos - s->start;
        }
    }
    return 0;
}

/* Answers every complete request in s->in; false when the session ends. */
static bool handle_input(ipc_session *s) {
    for (;;) {
        size_t skip = 0;
        while (s->start + skip < s->in.len && rpc_is_space(s->in.data[s->start + skip])) skip++;
        if (skip) consume(s, skip);
        if (s->start == s->in.len) break;
        uint8_t first = s->in.data[s->start];
        if (first != '{' && first != '[') {
            refuse(s, RPC_PARSE_ERROR, "parse error: a request is a JSON object or array");
            return false;
        }
        size_t end = request_end(s);
        if (!end) {
            if (s->in.len - s->start <= s->hub->max_message) break;
            refuse(s, RPC_INVALID_REQUEST, "request too large");
            return false;
        }
        if (end > s->hub->max_message) {
            refuse(s, RPC_INVALID_REQUEST, "request too large");
            return false;
        }
        size_t len = 0;
        char *out = rpc_process(rpc_subs_methods(s->subs), (const char *)s->in.data + s->start, end, s->hub->max_batch,
                                &len);
        if (out) send_line(s, out, len);
        free(out);
        consume(s, end);
        if (s->closed) return false;
    }
    compact(s);
    return true;
}

/* Reads what the socket has; false when the peer has gone. */
static bool read_more(ipc_session *s) { return rpc_read_available(s->fd, &s->in, s->start, s->hub->max_message); }

/* ---- Sessions ------------------------------------------------------------------------- */

static void session_free(ipc_session *s) {
    rpc_subs_free(s->subs);
    buf_free(&s->in);
    close(s->fd);
    free(s);
}

static void *session_main(void *arg) {
    ipc_session *s = arg;
    rpc_hub *h = s->hub;
    double last_tick = rpc_now_ms();
    while (!s->closed && !rpc_hub_stopping(h)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int r = poll(&p, 1, RPC_SESSION_TICK_MS);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) break;
        if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
            bool open = read_more(s);
            /* what came before the peer's end is still answered */
            if (!handle_input(s) || !open) break;
        }
        if (!rpc_subs_tick_due(s->subs, &last_tick)) break;
    }
    session_free(s);
    rpc_hub_leave(h);
    return NULL;
}

static void start_session(rpc_ipc *srv, int fd) {
    ipc_session *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->hub = &srv->hub;
    s->fd = fd;
    s->subs = rpc_subs_new(srv->hub.methods, send_line, s);
    rpc_hub_refusal r = rpc_hub_spawn(&srv->hub, session_main, s);
    if (r == RPC_HUB_STARTED) return;
    refuse(s, RPC_LIMIT_EXCEEDED, r == RPC_HUB_STOPPING ? "server is shutting down" : "too many IPC connections");
    session_free(s);
}

static void *acceptor_main(void *arg) {
    rpc_ipc *srv = arg;
    while (!rpc_hub_stopping(&srv->hub)) {
        struct pollfd p = {.fd = srv->fd, .events = POLLIN};
        if (poll(&p, 1, RPC_SESSION_TICK_MS) <= 0) continue;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) start_session(srv, fd);
        /* EMFILE and the like: the listening socket stays readable, so
         * wait a tick rather than spin */
        else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) poll(NULL, 0, RPC_SESSION_TICK_MS);
    }
    return NULL;
}

/* ---- Start and stop ------------------------------------------------------------------- */

/* Makes room for the socket at path: a stale socket file goes, anything
 * else (a live socket, another kind of file) is refused. */
static bool clear_path(const char *path, const struct sockaddr_un *addr, char *err, size_t errlen) {
    struct stat st;
    if (lstat(path, &st) != 0) return true;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        return false;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof *addr) == 0;
    if (probe >= 0) close(probe);
    if (live) {
        snprintf(err, errlen, "%s: another process is listening there", path);
        return false;
    }
    if (unlink(path) != 0) {
        snprintf(err, errlen, "%s: cannot remove the stale socket: %s", path, strerror(errno));
        return false;
    }
    return true;
}

static int listen_at(rpc_ipc *srv, const char *path, char *err, size_t errlen) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!*path || strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "IPC path %s (at most %zu bytes, not empty)", *path ? "too long" : "empty",
                 sizeof addr.sun_path - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (!clear_path(path, &addr, err, errlen)) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* no access for others: mode 0600, as geth's (chmod, not umask, which
     * is the whole process's) */
    int rc = bind(fd, (const struct sockaddr *)&addr, sizeof addr);
    struct stat st;
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 128) != 0 || stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (rc == 0) unlink(path);
        close(fd);
        return -1;
    }
    memcpy(srv->path, path, strlen(path) + 1);
    srv->dev = st.st_dev;
    srv->ino = st.st_ino;
    return fd;
}

rpc_ipc *rpc_ipc_start(const char *path, const rpc_ipc_config *cfg, const rpc_methods *methods, char *err,
                       size_t errlen) {
    rpc_ipc *srv = calloc(1, sizeof *srv);
    if (!srv) abort();
    rpc_hub_init(&srv->hub, methods, cfg->max_message ? cfg->max_message : IPC_DEFAULT_MAX_MESSAGE,
                 cfg->max_batch ? cfg->max_batch : RPC_DEFAULT_MAX_BATCH, cfg->thread_stack,
                 cfg->max_sessions ? cfg->max_sessions : IPC_DEFAULT_MAX_SESSIONS);
    srv->fd = listen_at(srv, path, err, errlen);
    if (srv->fd >= 0 && pthread_create(&srv->acceptor, NULL, acceptor_main, srv) == 0) return srv;
    if (srv->fd >= 0) {
        snprintf(err, errlen, "cannot start the IPC thread");
        unlink(srv->path);
        close(srv->fd);
    }
    rpc_hub_destroy(&srv->hub);
    free(srv);
    return NULL;
}

void rpc_ipc_stop(rpc_ipc *srv) {
    if (!srv) return;
    atomic_store(&srv->hub.stopping, true);
    pthread_join(srv->acceptor, NULL);
    close(srv->fd);
    /* another process may have taken the path meanwhile: leave its socket */
    struct stat st;
    if (stat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino) unlink(srv->path);
    rpc_hub_stop(&srv->hub);
    rpc_hub_destroy(&srv->hub);
    free(srv);
}

unsigned rpc_ipc_sessions(rpc_ipc *srv) { return rpc_hub_sessions(&srv->hub); }
