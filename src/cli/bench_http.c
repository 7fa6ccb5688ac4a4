/* The HTTP/1.1 JSON-RPC client, load generator and child processes of
 * `parevm bench rpc` (see bench_http.h). */
#define _GNU_SOURCE
#include "bench_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- connections ---------------------------------------------------------------------- */

bool bench_conn_open(bench_conn *c, int port) {
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {30, 0}; /* a stuck server fails the benchmark, not hangs it */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

void bench_conn_close(bench_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
}

static bool write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads more into c->buf at *len; false on EOF or error. */
static bool read_more(bench_conn *c, size_t *len) {
    if (c->cap - *len < 65536) {
        c->cap = c->cap ? c->cap * 2 : 1 << 17;
        c->buf = realloc(c->buf, c->cap);
        if (!c->buf) abort();
    }
    ssize_t r;
    do r = recv(c->fd, c->buf + *len, c->cap - *len - 1, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    *len += (size_t)r;
    c->buf[*len] = 0;
    return true;
}

/* The value of header name in the head [0, head_len), or NULL. */
static const char *header(const char *buf, size_t head_len, const char *name) {
    size_t n = strlen(name);
    for (const char *p = buf; p && p < buf + head_len; p = memchr(p, '\n', (size_t)(buf + head_len - p))) {
        if (*p == '\n') p++;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            p += n + 1;
            while (*p == ' ') p++;
            return p;
        }
    }
    return NULL;
}

/* Decodes a chunked body in place from body (have bytes so far), reading
 * more as needed; sets *out_len. */
static bool read_chunked(bench_conn *c, size_t body_off, size_t *len, size_t *out_len) {
    size_t rd = body_off, wr = body_off;
    for (;;) {
        char *eol;
        while (!(eol = memmem(c->buf + rd, *len - rd, "\r\n", 2)))
            if (!read_more(c, len)) return false;
        size_t sz = strtoul(c->buf + rd, NULL, 16);
        size_t data = (size_t)(eol - c->buf) + 2;
        while (*len < data + sz + 2)
            if (!read_more(c, len)) return false;
        memmove(c->buf + wr, c->buf + data, sz);
        wr += sz;
        rd = data + sz + 2;
        if (!sz) break;
    }
    *out_len = wr - body_off;
    c->buf[wr] = 0;
    return true;
}

static bool post_once(bench_conn *c, const char *body, size_t len, int *status, const char **resp, size_t *resp_len) {
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      len);
    if (!write_all(c->fd, head, (size_t)hn) || !write_all(c->fd, body, len)) return false;
    size_t have = 0;
    char *end;
    for (;;) {
        if (!read_more(c, &have)) return false;
        if ((end = strstr(c->buf, "\r\n\r\n"))) break;
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    *status = atoi(c->buf + 9);
    const char *cl = header(c->buf, head_len, "content-length");
    const char *te = header(c->buf, head_len, "transfer-encoding");
    if (cl) {
        size_t n = strtoul(cl, NULL, 10);
        while (have < head_len + n)
            if (!read_more(c, &have)) return false;
        *resp_len = n;
    } else if (te && !strncasecmp(te, "chunked", 7)) {
        if (!read_chunked(c, head_len, &have, resp_len)) return false;
    } else {
        return false;
    }
    *resp = c->buf + head_len;
    return true;
}

bool bench_conn_post(bench_conn *c, const char *body, size_t len, int *status, const char **resp, size_t *resp_len) {
    if (c->fd >= 0 && post_once(c, body, len, status, resp, resp_len)) return true;
    /* the server may have closed an idle keep-alive connection */
    if (c->fd >= 0) close(c->fd);
    return bench_conn_open(c, c->port) && post_once(c, body, len, status, resp, resp_len);
}

/* ---- JSON-RPC ------------------------------------------------------------------------- */

static json_t *exchange(bench_conn *c, const char *what, json_t *req) {
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) abort();
    int status;
    const char *resp;
    size_t n;
    bool ok = bench_conn_post(c, body, strlen(body), &status, &resp, &n);
    free(body);
    if (!ok || status != 200) {
        fprintf(stderr, "parevm bench: %s: %s\n", what, ok ? "HTTP error" : "no answer");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(resp, n, 0, &je);
    if (!j) fprintf(stderr, "parevm bench: %s: bad JSON: %s\n", what, je.text);
    return j;
}

static json_t *take_result(json_t *r, const char *what) {
    json_t *e = json_object_get(r, "error");
    if (e) {
        char *s = json_dumps(e, JSON_COMPACT);
        fprintf(stderr, "parevm bench: %s: %s\n", what, s ? s : "error");
        free(s);
        return NULL;
    }
    json_t *res = json_object_get(r, "result");
    if (!res) fprintf(stderr, "parevm bench: %s: no result\n", what);
    return res ? json_incref(res) : NULL;
}

json_t *bench_rpc(bench_conn *c, const char *what, const char *method, json_t *params) {
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params",
                            params ? params : json_array());
    json_t *r = exchange(c, what, req);
    if (!r) return NULL;
    json_t *res = take_result(r, what);
    json_decref(r);
    return res;
}

json_t *bench_rpc_batch(bench_conn *c, const char *what, json_t *calls) {
    size_t i, n = json_array_size(calls);
    json_t *call;
    json_array_foreach(calls, i, call) {
        json_object_set_new(call, "jsonrpc", json_string("2.0"));
        json_object_set_new(call, "id", json_integer((json_int_t)i));
    }
    json_t *r = exchange(c, what, calls);
    if (!r) return NULL;
    json_t *out = json_array();
    for (i = 0; i < n; i++) json_array_append_new(out, json_null());
    bool ok = json_is_array(r) && json_array_size(r) == n;
    json_array_foreach(r, i, call) {
        json_int_t id = json_integer_value(json_object_get(call, "id"));
        json_t *res = ok ? take_result(call, what) : NULL;
        if (!res || id < 0 || (size_t)id >= n) {
            ok = false;
            json_decref(res);
            break;
        }
        json_array_set_new(out, (size_t)id, res);
    }
    if (!ok && !json_is_array(r)) fprintf(stderr, "parevm bench: %s: the batch was not answered\n", what);
    json_decref(r);
    if (!ok) json_decref(out);
    return ok ? out : NULL;
}

/* ---- load ----------------------------------------------------------------------------- */

typedef struct {
    int port;
    const char *body;
    size_t len;
    double until;
    unsigned long done, errors;
    bool connected;
} load_worker;

static void *load_run(void *p) {
    load_worker *w = p;
    bench_conn c = {.fd = -1};
    w->connected = bench_conn_open(&c, w->port);
    while (w->connected && bench_now() < w->until) {
        int status;
        const char *resp;
        size_t n;
        if (!bench_conn_post(&c, w->body, w->len, &status, &resp, &n)) {
            w->errors++;
            break;
        }
        if (status != 200 || !memmem(resp, n, "\"result\"", 8))
            w->errors++;
        else
            w->done++;
    }
    bench_conn_close(&c);
    return NULL;
}

double bench_load(int port, const char *body, int conns, double seconds, unsigned long *errors) {
    load_worker *w = calloc((size_t)conns, sizeof *w);
    pthread_t *t = calloc((size_t)conns, sizeof *t);
    if (!w || !t) abort();
    double t0 = bench_now();
    for (int i = 0; i < conns; i++) {
        w[i] = (load_worker){port, body, strlen(body), t0 + seconds, 0, 0, false};
        if (pthread_create(&t[i], NULL, load_run, &w[i]) != 0) abort();
    }
    unsigned long done = 0;
    *errors = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        done += w[i].done;
        *errors += w[i].errors + !w[i].connected;
    }
    double dt = bench_now() - t0;
    free(w);
    free(t);
    return dt > 0 ? (double)done / dt : 0;
}

/* ---- child processes ------------------------------------------------------------------ */

int bench_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

bool bench_child_start(bench_child *ch, const char *name, char *const argv[], int port, const char *log,
                       double timeout_s) {
    ch->name = name;
    ch->port = port;
    ch->pid = fork();
    if (ch->pid < 0) return false;
    if (ch->pid == 0) {
        int null = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    double until = bench_now() + timeout_s;
    while (bench_now() < until) {
        int st;
        if (waitpid(ch->pid, &st, WNOHANG) == ch->pid) {
            fprintf(stderr, "parevm bench: %s exited before listening (%s)\n", name, argv[0]);
            ch->pid = -1;
            return false;
        }
        bench_conn c = {.fd = -1};
        if (bench_conn_open(&c, port)) {
            json_t *r = bench_rpc(&c, name, "eth_chainId", NULL);
            bench_conn_close(&c);
            if (r) {
                json_decref(r);
                return true;
            }
        }
        usleep(50000);
    }
    fprintf(stderr, "parevm bench: %s did not listen on port %d\n", name, port);
    bench_child_stop(ch);
    return false;
}

void bench_child_stop(bench_child *ch) {
    if (ch->pid <= 0) return;
    kill(ch->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(ch->pid, NULL, WNOHANG) == ch->pid) {
            ch->pid = -1;
            return;
        }
        usleep(50000);
    }
    kill(ch->pid, SIGKILL);
    waitpid(ch->pid, NULL, 0);
    ch->pid = -1;
}
