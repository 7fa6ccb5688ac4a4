/* The JSON-RPC server's IPC transport through real Unix sockets in a
 * temporary folder: requests back to back, split across writes and packed
 * into one, brackets and escapes inside strings, batches and notifications,
 * each answer one line; a malformed request answered and the connection
 * kept; text that is no request, and a request over the limit, answered and
 * the connection closed; a half-closed peer still answered; subscriptions
 * fed by filter methods that the test provides (and uninstalled when the
 * peer goes); 20,000 requests pipelined on one connection; the
 * connection limit; the socket file's mode, a stale file
 * replaced, a live socket and other files refused, a path too long; and a
 * stop with connections open, which removes the file. */
#include "test.h"
#include "loopback.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "parevm/buf.h"
#include "parevm/rpc.h"

/* ---- Client ------------------------------------------------------------------------ */

static int ipc_connect(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool put(int fd, const char *text) { return loopback_send_all(fd, text, strlen(text)); }

/* One line (the newline dropped), malloc'd; NULL at the end of the stream. */
static char *get_line(int fd) {
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    for (;;) {
        char c;
        if (recv(fd, &c, 1, 0) != 1) {
            free(s);
            return NULL;
        }
        if (c == '\n') break;
        if (len + 2 > cap) s = realloc(s, cap *= 2);
        s[len++] = c;
    }
    s[len] = 0;
    return s;
}

static json_t *get_json(int fd) {
    char *line = get_line(fd);
    json_t *v = line ? json_loads(line, 0, NULL) : NULL;
    free(line);
    return v;
}

static json_int_t error_code(const json_t *v) {
    return json_integer_value(json_object_get(json_object_get(v, "error"), "code"));
}

/* Whether the server ended the connection (the next read sees its end). */
static bool closed_by_server(int fd) {
    char c;
    return recv(fd, &c, 1, 0) == 0;
}

/* ---- Server and methods --------------------------------------------------------------- */

typedef struct {
    atomic_int filters_open;   /* eth_newBlockFilter minus eth_uninstallFilter */
    atomic_int pending_hashes; /* hashes eth_getFilterChanges still hands out */
} test_ctx;

static bool m_echo(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_deep_copy(params);
    return true;
}

static bool m_new_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)params, (void)err;
    atomic_fetch_add(&((test_ctx *)ctx)->filters_open, 1);
    *result = json_string("0xf1");
    return true;
}

static bool m_changes(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)params, (void)err;
    test_ctx *t = ctx;
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
    atomic_fetch_sub(&((test_ctx *)ctx)->filters_open, 1);
    *result = json_true();
    return true;
}

static bool m_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_pack("{s:O,s:s,s:[]}", "hash", json_array_get(params, 0), "number", "0x1", "transactions");
    return true;
}

typedef struct {
    char dir[64], path[128];
    test_ctx ctx;
    rpc_methods *methods;
    rpc_ipc *server;
} fixture;

static void start(fixture *f, rpc_ipc_config cfg) {
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/parevm-ipc-XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);
    snprintf(f->path, sizeof f->path, "%s/node.ipc", f->dir);
    f->methods = rpc_methods_new();
    rpc_methods_add(f->methods, "test_echo", m_echo, &f->ctx);
    rpc_methods_add(f->methods, "eth_newBlockFilter", m_new_filter, &f->ctx);
    rpc_methods_add(f->methods, "eth_newFilter", m_new_filter, &f->ctx);
    rpc_methods_add(f->methods, "eth_getFilterChanges", m_changes, &f->ctx);
    rpc_methods_add(f->methods, "eth_uninstallFilter", m_uninstall, &f->ctx);
    rpc_methods_add(f->methods, "eth_getBlockByHash", m_block, &f->ctx);
    char err[200] = "";
    f->server = rpc_ipc_start(f->path, &cfg, f->methods, err, sizeof err);
    if (!f->server) fprintf(stderr, "  ipc: %s\n", err);
    CHECK(f->server != NULL);
}

static void stop(fixture *f) {
    rpc_ipc_stop(f->server);
    rpc_methods_free(f->methods);
    test_remove_tree(f->dir);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define ECHO(id, arg) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"test_echo\",\"params\":[" arg "]}"

/* ---- Tests ------------------------------------------------------------------------ */

TEST(ipc_requests_back_to_back_split_and_packed) {
    fixture f;
    start(&f, (rpc_ipc_config){0});
    struct stat st;
    CHECK(stat(f.path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
    int fd = ipc_connect(f.path);
    CHECK(fd >= 0);
    /* three requests in one write, whitespace and no separator between */
    CHECK(put(fd, " \n" ECHO(1, "1") ECHO(2, "2") "\r\n\t" ECHO(3, "3")));
    for (int i = 1; i <= 3; i++) {
        json_t *r = get_json(fd);
        CHECK(json_integer_value(json_object_get(r, "id")) == i);
        CHECK(json_integer_value(json_array_get(json_object_get(r, "result"), 0)) == i);
        json_decref(r);
    }
    /* one request a byte at a time, with brackets, quotes and escapes in
     * its strings */
    const char *tricky = "{\"jsonrpc\":\"2.0\",\"id\":\"}]\\\"{\",\"method\":\"test_echo\","
                         "\"params\":[\"[{\\\"}\\\\\", {\"a\":[\"]\"]}]}";
    for (const char *p = tricky; *p; p++) {
        char one[2] = {*p, 0};
        CHECK(put(fd, one));
    }
    json_t *r = get_json(fd);
    CHECK(r && !strcmp(json_string_value(json_object_get(r, "id")), "}]\"{"));
    CHECK(!strcmp(json_string_value(json_array_get(json_object_get(r, "result"), 0)), "[{\"}\\"));
    json_decref(r);
    /* a batch, and a notification (no answer) before a request */
    CHECK(put(fd, "[" ECHO(4, "4") "," ECHO(5, "5") "]"
                  "{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"params\":[]}" ECHO(6, "6")));
    json_t *b = get_json(fd);
    CHECK(json_is_array(b) && json_array_size(b) == 2);
    CHECK(json_integer_value(json_object_get(json_array_get(b, 1), "id")) == 5);
    json_decref(b);
    r = get_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 6);
    json_decref(r);
    /* malformed JSON inside a request: -32700, and the connection goes on */
    CHECK(put(fd, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":}" ECHO(8, "8")));
    r = get_json(fd);
    CHECK(error_code(r) == -32700);
    json_decref(r);
    r = get_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 8);
    json_decref(r);
    /* a half-closed peer is still answered, then the connection ends */
    CHECK(put(fd, ECHO(9, "9")));
    shutdown(fd, SHUT_WR);
    r = get_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 9);
    json_decref(r);
    CHECK(closed_by_server(fd));
    close(fd);
    stop(&f);
    CHECK(stat(f.path, &st) != 0);
}

typedef struct {
    int fd;
    const char *text;
    size_t len;
} writer_arg;

static void *writer_main(void *arg) {
    writer_arg *w = arg;
    loopback_send_all(w->fd, w->text, w->len);
    return NULL;
}

/* 20,000 requests written as fast as the socket takes them (from a thread
 * of their own: the answers come meanwhile) are all answered, in order. */
TEST(ipc_pipelined_requests_in_order) {
    fixture f;
    start(&f, (rpc_ipc_config){0});
    enum { N = 20000 };
    buf_t all = {0};
    for (int i = 0; i < N; i++) {
        char one[96];
        int n = snprintf(one, sizeof one, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test_echo\",\"params\":[]}", i);
        buf_append(&all, one, (size_t)n);
    }
    int fd = ipc_connect(f.path);
    writer_arg w = {fd, (const char *)all.data, all.len};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, writer_main, &w) == 0);
    int in_order = 0;
    for (int i = 0; i < N; i++) {
        json_t *r = get_json(fd);
        if (json_integer_value(json_object_get(r, "id")) == i) in_order++;
        json_decref(r);
        if (!r) break;
    }
    pthread_join(t, NULL);
    CHECK_EQ_U64((uint64_t)in_order, N);
    close(fd);
    buf_free(&all);
    stop(&f);
}

TEST(ipc_no_request_or_too_large_closes) {
    fixture f;
    start(&f, (rpc_ipc_config){.max_message = 1000});
    static const char *const junk[] = {"hello", "42 ", "\"text\"", "}"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        int fd = ipc_connect(f.path);
        CHECK(put(fd, junk[i]));
        json_t *r = get_json(fd);
        CHECK(error_code(r) == -32700 && json_is_null(json_object_get(r, "id")));
        json_decref(r);
        CHECK(closed_by_server(fd));
        close(fd);
    }
    /* over the limit, whole or unfinished */
    char big[1400];
    snprintf(big, sizeof big, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":[\"%01200d\"]}", 0);
    for (int whole = 0; whole < 2; whole++) {
        int fd = ipc_connect(f.path);
        if (!whole) big[1100] = 0;
        CHECK(put(fd, big));
        json_t *r = get_json(fd);
        CHECK(error_code(r) == -32600);
        json_decref(r);
        CHECK(closed_by_server(fd));
        close(fd);
        big[1100] = '0';
    }
    /* a request just under the limit passes */
    int fd = ipc_connect(f.path);
    CHECK(put(fd, ECHO(1, "\"0000000000000000000000000000000000000000000000000000000000000000000000000000000000\"")));
    json_t *r = get_json(fd);
    CHECK(json_is_array(json_object_get(r, "result")));
    json_decref(r);
    /* a peer that leaves in the middle of a request */
    int gone = ipc_connect(f.path);
    CHECK(put(gone, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth"));
    close(gone);
    CHECK(put(fd, ECHO(2, "")));
    r = get_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 2);
    json_decref(r);
    close(fd);
    stop(&f);
}

TEST(ipc_subscriptions_and_their_filters) {
    fixture f;
    start(&f, (rpc_ipc_config){0});
    int fd = ipc_connect(f.path);
    CHECK(put(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}"));
    json_t *r = get_json(fd);
    const char *id = json_string_value(json_object_get(r, "result"));
    CHECK(id && strlen(id) == 34);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 1);
    atomic_store(&f.ctx.pending_hashes, 2);
    for (int i = 0; i < 2; i++) {
        json_t *n = get_json(fd);
        json_t *params = json_object_get(n, "params");
        CHECK(!strcmp(json_string_value(json_object_get(n, "method")), "eth_subscription"));
        CHECK(id && !strcmp(json_string_value(json_object_get(params, "subscription")), id));
        CHECK(json_is_string(json_object_get(json_object_get(params, "result"), "hash")));
        CHECK(!json_object_get(json_object_get(params, "result"), "transactions"));
        json_decref(n);
    }
    json_decref(r);
    /* a second subscription; the peer leaves: both filters are removed */
    CHECK(put(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_subscribe\",\"params\":[\"logs\",{}]}"));
    r = get_json(fd);
    CHECK(json_is_string(json_object_get(r, "result")));
    json_decref(r);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 2);
    close(fd);
    for (int i = 0; i < 100 && atomic_load(&f.ctx.filters_open); i++) sleep_ms(20);
    CHECK_EQ_U64((uint64_t)atomic_load(&f.ctx.filters_open), 0);
    for (int i = 0; i < 100 && rpc_ipc_sessions(f.server); i++) sleep_ms(20);
    CHECK_EQ_U64(rpc_ipc_sessions(f.server), 0);
    stop(&f);
}

TEST(ipc_connection_limit_and_stop) {
    fixture f;
    start(&f, (rpc_ipc_config){.max_sessions = 2});
    int a = ipc_connect(f.path), b = ipc_connect(f.path);
    CHECK(put(a, ECHO(1, "")) && put(b, ECHO(1, "")));
    json_t *ra = get_json(a), *rb = get_json(b);
    CHECK(ra && rb);
    json_decref(ra);
    json_decref(rb);
    CHECK_EQ_U64(rpc_ipc_sessions(f.server), 2);
    int c = ipc_connect(f.path);
    json_t *rc = get_json(c);
    CHECK(error_code(rc) == -32005);
    json_decref(rc);
    CHECK(closed_by_server(c));
    close(c);
    /* the stop ends both connections and removes the socket file */
    rpc_ipc_stop(f.server);
    CHECK(closed_by_server(a));
    CHECK(closed_by_server(b));
    close(a);
    close(b);
    struct stat st;
    CHECK(stat(f.path, &st) != 0 && errno == ENOENT);
    rpc_methods_free(f.methods);
    test_remove_tree(f.dir);
}

TEST(ipc_socket_path_checks) {
    fixture f;
    start(&f, (rpc_ipc_config){0});
    char err[200] = "";
    /* a live socket is not taken over */
    rpc_ipc_config cfg = {0};
    CHECK(rpc_ipc_start(f.path, &cfg, f.methods, err, sizeof err) == NULL);
    CHECK(strstr(err, "listening") != NULL);
    int fd = ipc_connect(f.path);
    CHECK(put(fd, ECHO(1, "")));
    json_t *r = get_json(fd);
    CHECK(json_is_array(json_object_get(r, "result")));
    json_decref(r);
    close(fd);
    /* a stale one (its server gone without removing it) is replaced */
    char stale[100];
    snprintf(stale, sizeof stale, "%.60s/stale.ipc", f.dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", stale);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    close(s);
    rpc_ipc *second = rpc_ipc_start(stale, &cfg, f.methods, err, sizeof err);
    CHECK(second != NULL);
    fd = ipc_connect(stale);
    CHECK(put(fd, ECHO(2, "")));
    r = get_json(fd);
    CHECK(json_integer_value(json_object_get(r, "id")) == 2);
    json_decref(r);
    close(fd);
    rpc_ipc_stop(second);
    /* a file that is not a socket is left alone; a path too long, an
     * empty one and a missing folder are refused */
    char plain[160];
    snprintf(plain, sizeof plain, "%s/plain", f.dir);
    FILE *pf = fopen(plain, "w");
    fputs("keep", pf);
    fclose(pf);
    CHECK(rpc_ipc_start(plain, &cfg, f.methods, err, sizeof err) == NULL && strstr(err, "not a socket"));
    struct stat st;
    CHECK(stat(plain, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    CHECK(rpc_ipc_start(longp, &cfg, f.methods, err, sizeof err) == NULL && strstr(err, "too long"));
    CHECK(rpc_ipc_start("", &cfg, f.methods, err, sizeof err) == NULL && strstr(err, "empty"));
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/missing/x.ipc", f.dir);
    CHECK(rpc_ipc_start(nodir, &cfg, f.methods, err, sizeof err) == NULL);
    stop(&f);
}
