/* Method group: geth's polling filters. eth_newFilter (log criteria as
 * eth_getLogs takes them), eth_newBlockFilter and
 * eth_newPendingTransactionFilter install a filter and return its id;
 * eth_getFilterChanges gives what is new since the filter's last poll,
 * eth_getFilterLogs a log filter's whole query (as eth_getLogs), and
 * eth_uninstallFilter removes one.
 *
 * Block and log filters keep no backlog: each remembers the last block it
 * reported (number and hash), and a poll walks the canonical chain from
 * there in the request's snapshot. When that block is no longer canonical
 * (evm_revert, an Engine API reorg) the poll first walks the old chain back
 * to the common ancestor (unwinds keep the dropped blocks' headers and
 * receipts), giving a log filter the dropped blocks' logs with
 * `removed: true`. One poll covers at most max_log_range blocks and stops
 * after the block that brings it to max_logs logs; the next goes on from
 * there. A log filter reports blocks inside its fromBlock/toBlock numbers
 * only; one made with a blockHash reports nothing new (its block is fixed).
 *
 * Pending-transaction filters read one shared ring of the last FILTER_RING
 * hashes the pool accepted (with fullTx, each poll looks the transactions
 * up: in the pool, or in the chain once mined) (node_filters_tx_added, called where
 * transactions enter the pool); each filter keeps its position in it. The
 * memory is bounded whatever clients do; a filter that falls further
 * behind than the ring misses the oldest hashes.
 *
 * A filter not polled with eth_getFilterChanges for filter_timeout_ms
 * (default 5 minutes, geth's) is removed; at most max_filters (default
 * 10,000) are installed at once. Unknown ids get geth's -32000 "filter not
 * found".
 *
 * Threads: the registry (id -> filter, the ring) has its own mutex, held
 * for bookkeeping only. A poll takes a reference to its filter, then the
 * filter's own mutex (two polls of one filter run one after the other) and
 * reads the store holding neither the registry's lock nor any other. */
#include <stdlib.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>
#include "node_logs.h"

enum { FILTER_RING = 1 << 14 };

typedef enum { FILTER_LOGS, FILTER_BLOCKS, FILTER_PENDING } filter_kind;

typedef struct {
    u256 id;                   /* 128 random bits (w[0], w[1]) */
    filter_kind kind;
    node_log_filter crit;      /* FILTER_LOGS: the criteria (never changed) */
    uint64_t deadline_ms;      /* registry lock */
    unsigned refs;             /* registry lock: the registry's and polls' */
    pthread_mutex_t mu;        /* a poll's: the position below */
    uint64_t number;           /* blocks, logs: the last block reported */
    bytes32 hash;
    uint64_t seq;              /* pending: the next ring position to report */
    bool full;                 /* pending: whole transactions (geth's fullTx), not hashes */
} filter;

struct node_filters {
    pthread_mutex_t mu;
    word_map by_id;            /* id -> the filter's pointer (val.w[0]) */
    size_t n_pending;          /* pending filters: the ring is written while there are some */
    uint64_t ring_next;        /* the sequence number of the next hash */
    uint64_t next_sweep_ms;
    bytes32 ring[FILTER_RING];
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char NOT_FOUND[] = "filter not found";

/* ---- The registry ------------------------------------------------------------------- */

node_filters *node_filters_new(void) {
    node_filters *fs = calloc(1, sizeof *fs);
    if (!fs) abort();
    pthread_mutex_init(&fs->mu, NULL);
    return fs;
}

static void filter_destroy(filter *f) {
    node_log_filter_free(&f->crit);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static filter *entry_filter(const u256 *val) { return (filter *)(uintptr_t)val->w[0]; }

void node_filters_free(node_filters *fs) {
    if (!fs) return;
    for (size_t i = 0; i < fs->by_id.cap; i++)
        if (fs->by_id.e[i].used) filter_destroy(entry_filter(&fs->by_id.e[i].val));
    word_map_free(&fs->by_id);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
}

/* Drops the registry's hold on f (registry lock held). */
static void unlink_locked(node_filters *fs, filter *f) {
    word_map_del(&fs->by_id, &f->id);
    if (f->kind == FILTER_PENDING) fs->n_pending--;
    if (--f->refs == 0) filter_destroy(f);
}

/* Removes the filters whose deadline has passed, at most once a second
 * unless forced (registry lock held). */
static void sweep_locked(node_filters *fs, uint64_t now, bool force) {
    if (!force && now < fs->next_sweep_ms) return;
    fs->next_sweep_ms = now + 1000;
    filter **dead = malloc((fs->by_id.n + 1) * sizeof *dead);
    if (!dead) abort();
    size_t n = 0;
    for (size_t i = 0; i < fs->by_id.cap; i++) {
        if (!fs->by_id.e[i].used) continue;
        filter *f = entry_filter(&fs->by_id.e[i].val);
        if (f->deadline_ms <= now) dead[n++] = f;
    }
    for (size_t i = 0; i < n; i++) unlink_locked(fs, dead[i]);
    free(dead);
}

/* Installs f (its kind and position set) under a new random id; false
 * when max_filters are installed. */
static bool install(node *n, filter *f, rpc_error *err) {
    node_filters *fs = n->filters;
    pthread_mutex_init(&f->mu, NULL);
    f->refs = 1;
    uint64_t now = now_ms();
    f->deadline_ms = now + n->cfg.filter_timeout_ms;
    pthread_mutex_lock(&fs->mu);
    sweep_locked(fs, now, fs->by_id.n >= n->cfg.max_filters);
    bool room = fs->by_id.n < n->cfg.max_filters;
    while (room) {
        uint8_t rnd[16];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) abort();
        rnd[0] |= 0x80; /* 32 hex digits, none of them a leading zero */
        f->id = (u256){0};
        memcpy(&f->id.w[0], rnd, 8);
        memcpy(&f->id.w[1], rnd + 8, 8);
        if (!word_map_get(&fs->by_id, &f->id)) break;
    }
    if (room) {
        u256 val = {.w = {(uint64_t)(uintptr_t)f}};
        word_map_put(&fs->by_id, &f->id, &val);
        if (f->kind == FILTER_PENDING) {
            fs->n_pending++;
            f->seq = fs->ring_next;
        }
    }
    pthread_mutex_unlock(&fs->mu);
    if (!room) {
        filter_destroy(f);
        return rpc_error_set(err, RPC_LIMIT_EXCEEDED, "too many filters installed (at most %zu): uninstall some",
                             n->cfg.max_filters);
    }
    return true;
}

/* The filter with this id, with a reference the caller drops with
 * release(); NULL when there is none (or it expired). A poll of changes
 * moves its deadline. */
static filter *acquire(node *n, const u256 *id, bool poll) {
    node_filters *fs = n->filters;
    uint64_t now = now_ms();
    pthread_mutex_lock(&fs->mu);
    sweep_locked(fs, now, false);
    const u256 *val = word_map_get(&fs->by_id, id);
    filter *f = val ? entry_filter(val) : NULL;
    if (f && f->deadline_ms <= now) {
        unlink_locked(fs, f);
        f = NULL;
    }
    if (f) {
        f->refs++;
        if (poll) f->deadline_ms = now + n->cfg.filter_timeout_ms;
    }
    pthread_mutex_unlock(&fs->mu);
    return f;
}

static void release(node *n, filter *f) {
    pthread_mutex_lock(&n->filters->mu);
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&n->filters->mu);
    if (last) filter_destroy(f);
}

void node_filters_tx_added(node *n, const bytes32 *hash) {
    node_filters *fs = n->filters;
    pthread_mutex_lock(&fs->mu);
    if (fs->n_pending) fs->ring[fs->ring_next++ % FILTER_RING] = *hash;
    pthread_mutex_unlock(&fs->mu);
}

/* ---- Arguments ---------------------------------------------------------------------- */

/* A filter id: "0x" and 1 to 32 hex digits. */
static bool parse_id(const json_t *params, u256 *id, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *s = json_string_value(rpc_arg(params, 0));
    if (!s) return rpc_error_invalid_param(err, 0, "filter id must be a string");
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return rpc_error_invalid_param(err, 0, "filter id: hex string without 0x prefix");
    size_t len = strlen(s + 2);
    if (len == 0 || len > 32) return rpc_error_invalid_param(err, 0, "filter id: expected 1 to 32 hex digits");
    uint8_t bytes[16] = {0};
    for (size_t i = 0; i < len; i++) {
        char c = s[2 + len - 1 - i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return rpc_error_invalid_param(err, 0, "filter id: invalid hex digit");
        bytes[15 - i / 2] |= (uint8_t)(i % 2 ? d << 4 : d);
    }
    *id = (u256){0};
    memcpy(&id->w[0], bytes, 8);
    memcpy(&id->w[1], bytes + 8, 8);
    return true;
}

static json_t *json_id(const u256 *id) {
    uint8_t bytes[16];
    memcpy(bytes, &id->w[0], 8);
    memcpy(bytes + 8, &id->w[1], 8);
    return rpc_json_data(bytes, 16);
}

/* Whether a block reference is a number for a filter's range (earliest is
 * block 0). */
static bool numbered(rpc_block_ref *ref) {
    if (ref->kind == RPC_BLOCK_EARLIEST) *ref = (rpc_block_ref){.kind = RPC_BLOCK_NUMBER, .number = 0};
    return ref->kind == RPC_BLOCK_NUMBER;
}

/* geth's ranges of a live filter: latest to latest (new blocks), number to
 * number, number to latest (SubscribeLogs reads earliest as 0 in fromBlock
 * only: a toBlock of earliest is refused). */
static bool check_range(node_log_filter *c, rpc_error *err) {
    if (c->by_hash) return true;
    if (c->from.kind == RPC_BLOCK_PENDING || c->to.kind == RPC_BLOCK_PENDING)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "pending logs are not supported");
    bool from_n = numbered(&c->from), to_n = c->to.kind == RPC_BLOCK_NUMBER;
    bool from_latest = c->from.kind == RPC_BLOCK_LATEST, to_latest = c->to.kind == RPC_BLOCK_LATEST;
    if ((from_latest && to_latest) || (from_n && to_latest) || (from_n && to_n && c->to.number >= c->from.number))
        return true;
    return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid block range params");
}

/* ---- Creating filters ---------------------------------------------------------------- */

static filter *new_filter(filter_kind kind) {
    filter *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->kind = kind;
    return f;
}

/* Starts a chain filter at the current head; installs it and answers its id. */
static bool install_at_head(node *n, filter *f, json_t **result, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) {
        node_log_filter_free(&f->crit);
        free(f);
        return false;
    }
    f->number = r.head;
    f->hash = r.head_hash;
    node_read_close(&r);
    if (!install(n, f, err)) return false;
    *result = json_id(&f->id);
    return true;
}

static bool new_log_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    filter *f = new_filter(FILTER_LOGS);
    if (!node_log_filter_parse(rpc_arg(params, 0), &f->crit, err) || !check_range(&f->crit, err)) {
        node_log_filter_free(&f->crit);
        free(f);
        return false;
    }
    return install_at_head(n, f, result, err);
}

static bool new_block_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    return install_at_head(ctx, new_filter(FILTER_BLOCKS), result, err);
}

static bool new_pending_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 1, err)) return false;
    const json_t *full = rpc_arg(params, 0);
    if (full && !json_is_boolean(full)) return rpc_error_invalid_param(err, 0, "fullTx must be a boolean");
    filter *f = new_filter(FILTER_PENDING);
    f->full = full && json_is_true(full);
    if (!install(ctx, f, err)) return false;
    *result = json_id(&f->id);
    return true;
}

/* ---- Polling ---------------------------------------------------------------------- */

static bool store_error(rpc_error *err, const char *why) {
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
}

/* Whether a log filter reports some block of lo..hi (its fromBlock/toBlock
 * numbers; a blockHash filter none). */
static bool reports(const filter *f, uint64_t lo, uint64_t hi) {
    const node_log_filter *c = &f->crit;
    if (c->by_hash) return false;
    if (c->from.kind == RPC_BLOCK_NUMBER && hi < c->from.number) return false;
    return c->to.kind != RPC_BLOCK_NUMBER || lo <= c->to.number;
}

static bool in_range(const filter *f, uint64_t number) { return reports(f, number, number); }

/* Walks (*number, *hash) back along its own chain until it is canonical
 * again, collecting a log filter's logs of each dropped block (removed),
 * newest block first, into blocks (an array per block). */
static bool walk_back(node_read *r, const filter *f, uint64_t *number, bytes32 *hash, json_t *blocks,
                      rpc_error *err) {
    for (;;) {
        bytes32 canon;
        const char *why = *number <= r->head ? db_canonical_hash(r->snap, *number, &canon) : DB_NOT_FOUND;
        if (why && why != DB_NOT_FOUND) return store_error(err, why);
        if (!why && bytes32_eq(&canon, hash)) return true;
        if (f->kind == FILTER_LOGS && in_range(f, *number)) {
            json_t *logs = json_array();
            json_array_append_new(blocks, logs);
            if (!node_log_scan_block(r, &f->crit, *number, hash, true, SIZE_MAX, logs, err)) return false;
        }
        block_header h;
        why = *number ? node_header(r, *number, hash, &h) : DB_NOT_FOUND;
        if (why == DB_NOT_FOUND) { /* nothing to walk: start again at the head */
            *number = r->head;
            *hash = r->head_hash;
            return true;
        }
        if (why) return store_error(err, why);
        *hash = h.parent_hash;
        (*number)--;
    }
}

/* walk_back, adding the dropped blocks' logs to out oldest block first, as
 * geth's reorg sends its removed logs (core/blockchain.go: "forward
 * order"). */
static bool back_to_canonical(node_read *r, const filter *f, uint64_t *number, bytes32 *hash, json_t *out,
                              rpc_error *err) {
    json_t *blocks = json_array();
    bool ok = walk_back(r, f, number, hash, blocks, err);
    for (size_t i = json_array_size(blocks); ok && i-- > 0;) json_array_extend(out, json_array_get(blocks, i));
    json_decref(blocks);
    return ok;
}

/* Adds what the canonical blocks after (number, hash) hold for f (block
 * hashes, or matching logs), within one poll's limits, and moves f there. */
static bool forward(node_read *r, filter *f, uint64_t number, bytes32 hash, json_t *out, rpc_error *err) {
    const node_config *cfg = &r->n->cfg;
    uint64_t last = r->head - number > cfg->max_log_range ? number + cfg->max_log_range : r->head;
    if (f->kind == FILTER_LOGS && number < last && !reports(f, number + 1, last)) {
        /* nothing to report in between (before fromBlock, after toBlock or
         * a blockHash filter): go straight to the last block */
        number = last;
        const char *why = db_canonical_hash(r->snap, number, &hash);
        if (why) return store_error(err, why);
    }
    while (number < last && json_array_size(out) < cfg->max_logs) {
        number++;
        const char *why = db_canonical_hash(r->snap, number, &hash);
        if (why) return store_error(err, why);
        if (f->kind == FILTER_BLOCKS) json_array_append_new(out, rpc_json_hash(&hash));
        else if (in_range(f, number) && !node_log_scan_block(r, &f->crit, number, &hash, false, SIZE_MAX, out, err))
            return false;
    }
    f->number = number;
    f->hash = hash;
    return true;
}

static bool poll_chain(node *n, filter *f, json_t *out, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number = f->number;
    bytes32 hash = f->hash;
    bool ok = back_to_canonical(&r, f, &number, &hash, out, err) && forward(&r, f, number, hash, out, err);
    node_read_close(&r);
    return ok;
}

/* Transaction h as a pending transaction (no block fields): from the pool,
 * or from the chain when it was mined since (geth keeps the object it was
 * told about); NULL when it is in neither (dropped, or on a reorged-out
 * block). */
static json_t *pending_tx_json(node *n, const bytes32 *h) {
    const txpool_tx *t = txpool_get(n->pool, h);
    if (t) {
        json_t *j = node_json_tx(&t->tx, NULL);
        txpool_tx_release(t);
        return j;
    }
    node_read r;
    rpc_error err = {0};
    if (!node_read_open(n, &r, &err)) {
        rpc_error_clear(&err);
        return NULL;
    }
    json_t *j = NULL;
    uint64_t number;
    uint32_t index;
    bytes32 hash;
    node_block nb;
    if (!node_tx_location(&r, h, &number, &index) && !db_canonical_hash(r.snap, number, &hash) &&
        !node_block_load(&r, number, &hash, NODE_LOAD_BODY | NODE_LOAD_SENDERS, &nb)) {
        if (index < nb.b.n_txs) j = node_json_tx(&nb.b.txs[index], NULL);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return j;
}

/* The hashes (or with fullTx the transactions) the pool accepted since f's
 * last poll (the ring's newest FILTER_RING at most). */
static void poll_pending(node *n, filter *f, json_t *out) {
    node_filters *fs = n->filters;
    pthread_mutex_lock(&fs->mu);
    uint64_t from = fs->ring_next - f->seq > FILTER_RING ? fs->ring_next - FILTER_RING : f->seq;
    size_t k = (size_t)(fs->ring_next - from);
    bytes32 *copy = malloc((k ? k : 1) * sizeof *copy);
    if (!copy) abort();
    for (size_t i = 0; i < k; i++) copy[i] = fs->ring[(from + i) % FILTER_RING];
    f->seq = fs->ring_next;
    pthread_mutex_unlock(&fs->mu);
    for (size_t i = 0; i < k; i++) {
        json_t *item = f->full ? pending_tx_json(n, &copy[i]) : rpc_json_hash(&copy[i]);
        if (item) json_array_append_new(out, item);
    }
    free(copy);
}

static bool get_changes(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    u256 id;
    if (!parse_id(params, &id, err)) return false;
    filter *f = acquire(n, &id, true);
    if (!f) return rpc_error_set(err, RPC_SERVER_ERROR, "%s", NOT_FOUND);
    json_t *out = json_array();
    pthread_mutex_lock(&f->mu);
    bool ok = true;
    if (f->kind == FILTER_PENDING) poll_pending(n, f, out);
    else ok = poll_chain(n, f, out, err);
    pthread_mutex_unlock(&f->mu);
    release(n, f);
    if (!ok) {
        json_decref(out);
        return false;
    }
    *result = out;
    return true;
}

static bool get_filter_logs(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    u256 id;
    if (!parse_id(params, &id, err)) return false;
    filter *f = acquire(n, &id, false);
    if (!f || f->kind != FILTER_LOGS) {
        if (f) release(n, f);
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", NOT_FOUND);
    }
    node_read r;
    bool ok = node_read_open(n, &r, err);
    if (ok) {
        ok = node_log_query(&r, &f->crit, result, err);
        node_read_close(&r);
    }
    release(n, f);
    return ok;
}

static bool uninstall(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    u256 id;
    if (!parse_id(params, &id, err)) return false;
    node_filters *fs = n->filters;
    uint64_t now = now_ms();
    pthread_mutex_lock(&fs->mu);
    const u256 *val = word_map_get(&fs->by_id, &id);
    filter *f = val ? entry_filter(val) : NULL;
    bool live = f && f->deadline_ms > now;
    if (f) unlink_locked(fs, f);
    pthread_mutex_unlock(&fs->mu);
    *result = json_boolean(live);
    return true;
}

void node_register_filters(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_newFilter", new_log_filter, n);
    rpc_methods_add(m, "eth_newBlockFilter", new_block_filter, n);
    rpc_methods_add(m, "eth_newPendingTransactionFilter", new_pending_filter, n);
    rpc_methods_add(m, "eth_getFilterChanges", get_changes, n);
    rpc_methods_add(m, "eth_getFilterLogs", get_filter_logs, n);
    rpc_methods_add(m, "eth_uninstallFilter", uninstall, n);
}
