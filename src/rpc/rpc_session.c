/* What the JSON-RPC server's long-lived connections share, whatever their
 * transport (WebSocket in rpc_ws.c, IPC in rpc_ipc.c): the hub that counts
 * sessions and ends them on a stop, and a session's subscriptions,
 * eth_subscribe / eth_unsubscribe (newHeads, logs, newPendingTransactions,
 * syncing).
 *
 * A subscription is one of the node's polling filters (eth_newBlockFilter,
 * eth_newFilter, eth_newPendingTransactionFilter) that the session polls
 * itself every tick, so that a subscription sees exactly what a filter
 * sees, reorgs included; a newHeads notification is the block's header
 * fields. "syncing" polls eth_syncing and pushes its changes. Notifications
 * go out through the transport's send, on the session's thread. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include "parevm/buf.h"
#include "rpc_internal.h"

enum { MAX_SUBSCRIPTIONS = 128 }; /* per session */

/* ---- Hub ------------------------------------------------------------------------------ */

void rpc_hub_init(rpc_hub *h, const rpc_methods *m, size_t max_message, size_t max_batch, size_t thread_stack,
                  unsigned max_sessions) {
    memset(h, 0, sizeof *h);
    h->methods = m;
    h->max_message = max_message;
    h->max_batch = max_batch;
    h->thread_stack = thread_stack;
    h->max_sessions = max_sessions;
    atomic_init(&h->stopping, false);
    atomic_init(&h->pool_used, 0);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

void rpc_hub_stop(rpc_hub *h) {
    atomic_store(&h->stopping, true);
    /* each session sees the flag within a tick, says goodbye and ends */
    pthread_mutex_lock(&h->mu);
    while (h->sessions) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void rpc_hub_destroy(rpc_hub *h) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

unsigned rpc_hub_sessions(rpc_hub *h) {
    pthread_mutex_lock(&h->mu);
    unsigned n = h->sessions;
    pthread_mutex_unlock(&h->mu);
    return n;
}

bool rpc_hub_stopping(rpc_hub *h) { return atomic_load(&h->stopping); }

void rpc_hub_leave(rpc_hub *h) {
    pthread_mutex_lock(&h->mu);
    h->sessions--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

rpc_hub_refusal rpc_hub_spawn(rpc_hub *h, void *(*session_main)(void *), void *arg) {
    pthread_mutex_lock(&h->mu);
    bool stopping = atomic_load(&h->stopping), room = h->sessions < h->max_sessions && !stopping;
    if (room) h->sessions++;
    pthread_mutex_unlock(&h->mu);
    if (!room) return stopping ? RPC_HUB_STOPPING : RPC_HUB_FULL;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (h->thread_stack) pthread_attr_setstacksize(&attr, h->thread_stack);
    bool started = pthread_create(&t, &attr, session_main, arg) == 0;
    pthread_attr_destroy(&attr);
    if (started) return RPC_HUB_STARTED;
    rpc_hub_leave(h);
    return RPC_HUB_FULL;
}

double rpc_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

bool rpc_send_all(int fd, const void *data, size_t n, int timeout_ms) {
    const uint8_t *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd q = {.fd = fd, .events = POLLOUT};
            if (poll(&q, 1, timeout_ms) <= 0) return false;
        } else {
            return false;
        }
    }
    return true;
}

bool rpc_read_available(int fd, buf_t *in, size_t start, size_t limit) {
    uint8_t chunk[65536];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r > 0) {
            buf_append(in, chunk, (size_t)r);
            if ((size_t)r < sizeof chunk || in->len - start > limit) return true;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
}

/* ---- Subscriptions -------------------------------------------------------------------- */

typedef enum { SUB_HEADS, SUB_LOGS, SUB_PENDING, SUB_SYNCING } sub_kind;

typedef struct {
    char id[35];   /* "0x" and 32 hex digits */
    sub_kind kind;
    json_t *filter; /* the node's filter id; syncing: the last eth_syncing answer */
} subscription;

struct rpc_subs {
    const rpc_methods *server; /* where the filters live */
    rpc_methods *methods;      /* the server's plus eth_subscribe / eth_unsubscribe */
    rpc_session_send send;
    void *conn;
    subscription *subs;
    size_t n_subs;
};

static void random_id(char out[35]) {
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r > 0) got += (size_t)r;
        else if (errno != EINTR) abort(); /* the kernel's generator is always there */
    }
    b[0] |= 0x80; /* 32 hex digits, none of them a leading zero (geth's ids are quantities) */
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
static bool open_filter(rpc_subs *s, const json_t *params, subscription *sub, rpc_error *err) {
    json_t *args = rpc_json_take(json_array());
    const char *method = filter_method(params, sub, args, err);
    bool ok = method && rpc_call(s->server, method, args, &sub->filter, err);
    json_decref(args);
    if (ok && sub->kind != SUB_SYNCING && !json_is_string(sub->filter)) {
        json_decref(sub->filter);
        ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "filter without an id");
    }
    return ok;
}

/* The server's answer to method(args) (a new reference), NULL on any
 * error; takes args (NULL: the call is skipped). */
static json_t *ask(rpc_subs *s, const char *method, json_t *args) {
    json_t *res = NULL;
    rpc_error err = {0};
    if (args) rpc_call(s->server, method, args, &res, &err);
    rpc_error_clear(&err);
    json_decref(args);
    return res;
}

static void close_filter(rpc_subs *s, subscription *sub) {
    if (sub->kind == SUB_SYNCING) {
        json_decref(sub->filter);
        return;
    }
    json_decref(ask(s, "eth_uninstallFilter", json_pack("[O]", sub->filter)));
    json_decref(sub->filter);
}

static bool eth_subscribe(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    rpc_subs *s = ctx;
    if (json_array_size(params) < 1 || json_array_size(params) > 2)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "expected a subscription name and its options");
    if (s->n_subs >= MAX_SUBSCRIPTIONS)
        return rpc_error_set(err, RPC_LIMIT_EXCEEDED, "too many subscriptions (at most %d per connection)",
                             MAX_SUBSCRIPTIONS);
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
    rpc_subs *s = ctx;
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
static json_t *header_of(rpc_subs *s, json_t *hash) {
    json_t *block = ask(s, "eth_getBlockByHash", json_pack("[O,b]", hash, 0));
    if (!json_is_object(block)) {
        json_decref(block);
        return NULL;
    }
    static const char *const BODY[] = {"transactions", "uncles", "withdrawals", "size", "totalDifficulty"};
    for (size_t i = 0; i < sizeof BODY / sizeof BODY[0]; i++) json_object_del(block, BODY[i]);
    return block;
}

static bool notify(rpc_subs *s, const char *id, json_t *result) {
    json_t *n = json_pack("{s:s,s:s,s:{s:s,s:o}}", "jsonrpc", "2.0", "method", "eth_subscription", "params",
                          "subscription", id, "result", result);
    if (!n) abort();
    char *text = json_dumps(n, JSON_COMPACT);
    json_decref(n);
    if (!text) abort();
    bool ok = s->send(s->conn, text, strlen(text));
    free(text);
    return ok;
}

/* A syncing subscription: geth's SyncingResult when eth_syncing's answer
 * changed ({"syncing": true, "status": ...}, or false once done). */
static bool tick_syncing(rpc_subs *s, subscription *sub) {
    json_t *now = ask(s, "eth_syncing", json_array());
    if (!now || json_equal(now, sub->filter)) {
        json_decref(now);
        return true;
    }
    json_decref(sub->filter);
    sub->filter = now;
    return notify(s, sub->id, json_is_false(now) ? json_false() : json_pack("{s:b,s:O}", "syncing", 1, "status", now));
}

rpc_subs *rpc_subs_new(const rpc_methods *server, rpc_session_send send, void *conn) {
    rpc_subs *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->server = server;
    s->send = send;
    s->conn = conn;
    s->methods = rpc_methods_copy(server);
    /* subscriptions are the eth namespace's, built on its filters */
    if (rpc_methods_has(server, "eth_newFilter")) {
        rpc_methods_add(s->methods, "eth_subscribe", eth_subscribe, s);
        rpc_methods_add(s->methods, "eth_unsubscribe", eth_unsubscribe, s);
    }
    return s;
}

const rpc_methods *rpc_subs_methods(const rpc_subs *s) { return s->methods; }

bool rpc_subs_tick_due(rpc_subs *s, double *last_tick) {
    if (!s->n_subs || rpc_now_ms() - *last_tick < RPC_SESSION_TICK_MS) return true;
    bool ok = rpc_subs_tick(s);
    *last_tick = rpc_now_ms();
    return ok;
}

bool rpc_subs_tick(rpc_subs *s) {
    for (size_t i = 0; i < s->n_subs; i++) {
        subscription *sub = &s->subs[i];
        if (sub->kind == SUB_SYNCING) {
            if (!tick_syncing(s, sub)) return false;
            continue;
        }
        json_t *changes = ask(s, "eth_getFilterChanges", json_pack("[O]", sub->filter));
        size_t k;
        json_t *item;
        bool sent = true;
        json_array_foreach(changes, k, item) {
            json_t *res = sub->kind == SUB_HEADS ? header_of(s, item) : json_incref(item);
            if (res && !(sent = notify(s, sub->id, res))) break;
        }
        json_decref(changes);
        if (!sent) return false;
    }
    return true;
}

void rpc_subs_free(rpc_subs *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_subs; i++) close_filter(s, &s->subs[i]);
    free(s->subs);
    rpc_methods_free(s->methods);
    free(s);
}
