/* Method group: eth_getLogs. A filter is a block range (fromBlock, toBlock:
 * tags or numbers, default latest) or one block hash, an address or a list
 * of them (OR), and up to four topic positions, each null (any), a topic or
 * a list of topics (OR). Blocks whose header bloom cannot match are skipped
 * without reading their receipts. The range and the result count are
 * limited (node_config); past a limit the query fails with -32005 and says
 * which limit. */
#include <inttypes.h>
#include <stdlib.h>
#include "node_logs.h"
#include "parevm/keccak.h"

typedef node_topic_set topic_set;
typedef node_log_filter log_filter;

/* Alternatives (addresses, or topics at one position) a filter may list:
 * geth's maxSubTopics and its default --rpc.logquerylimit. Each is hashed
 * for every block's bloom, so a long list is a long query. */
enum { MAX_ALTERNATIVES = 1000 };

void node_log_filter_free(log_filter *f) {
    free(f->addrs);
    for (size_t i = 0; i < 4; i++) free(f->topics[i].v);
}

static bool bad(rpc_error *err, const char *field, const char *why) {
    return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid argument 0: %s: %s", field, why);
}

static bool parse_addresses(const json_t *v, log_filter *f, rpc_error *err) {
    if (!v || json_is_null(v)) return true;
    if (json_is_string(v)) {
        f->addrs = calloc(1, sizeof *f->addrs);
        if (!f->addrs) abort();
        f->n_addrs = 1;
        const char *why = rpc_parse_address(v, f->addrs);
        return why ? bad(err, "address", why) : true;
    }
    if (!json_is_array(v)) return bad(err, "address", "expected an address or a list of addresses");
    if (json_array_size(v) > MAX_ALTERNATIVES)
        return rpc_error_set(err, RPC_SERVER_ERROR, "exceed max addresses or topics per search position");
    f->n_addrs = json_array_size(v);
    f->addrs = calloc(f->n_addrs ? f->n_addrs : 1, sizeof *f->addrs);
    if (!f->addrs) abort();
    for (size_t i = 0; i < f->n_addrs; i++) {
        const char *why = rpc_parse_address(json_array_get(v, i), &f->addrs[i]);
        if (why) return bad(err, "address", why);
    }
    return true;
}

static bool parse_topics(const json_t *v, log_filter *f, rpc_error *err) {
    if (!v || json_is_null(v)) return true;
    if (!json_is_array(v)) return bad(err, "topics", "expected a list");
    if (json_array_size(v) > 4) return bad(err, "topics", "too many topic positions (at most 4)");
    f->n_topics = json_array_size(v);
    for (size_t i = 0; i < f->n_topics; i++) {
        const json_t *t = json_array_get(v, i);
        topic_set *s = &f->topics[i];
        if (json_is_null(t)) continue;
        bool list = json_is_array(t);
        if (list && json_array_size(t) > MAX_ALTERNATIVES)
            return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid argument 0: exceed max topics");
        s->n = list ? json_array_size(t) : 1;
        s->v = calloc(s->n ? s->n : 1, sizeof *s->v);
        if (!s->v) abort();
        for (size_t k = 0; k < s->n; k++) {
            const json_t *e = list ? json_array_get(t, k) : t;
            if (json_is_null(e)) { /* null among the alternatives: any topic there, as geth takes it */
                free(s->v);
                s->v = NULL;
                s->n = 0;
                break;
            }
            const char *why = rpc_parse_hash(e, &s->v[k]);
            if (why) return bad(err, "topics", why);
        }
    }
    return true;
}

bool node_log_filter_parse(const json_t *v, log_filter *f, rpc_error *err) {
    memset(f, 0, sizeof *f);
    f->from.kind = f->to.kind = RPC_BLOCK_LATEST;
    if (!json_is_object(v)) return rpc_error_invalid_param(err, 0, "filter must be an object");
    const json_t *from = json_object_get(v, "fromBlock"), *to = json_object_get(v, "toBlock");
    const json_t *hash = json_object_get(v, "blockHash");
    if (from && json_is_null(from)) from = NULL;
    if (to && json_is_null(to)) to = NULL;
    if (hash && !json_is_null(hash)) {
        if (from || to)
            return rpc_error_invalid_param(err, 0,
                                           "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other");
        const char *why = rpc_parse_hash(hash, &f->hash);
        if (why) return bad(err, "blockHash", why);
        f->by_hash = true;
    }
    const char *why;
    if (from && (why = rpc_parse_block_number(from, &f->from))) return bad(err, "fromBlock", why);
    if (to && (why = rpc_parse_block_number(to, &f->to))) return bad(err, "toBlock", why);
    return parse_addresses(json_object_get(v, "address"), f, err) && parse_topics(json_object_get(v, "topics"), f, err);
}

/* ---- Matching ------------------------------------------------------------------------- */

static bool bloom_has(const uint8_t bloom[256], const uint8_t *data, size_t len) {
    uint8_t h[32];
    keccak256(data, len, h);
    for (int i = 0; i < 6; i += 2) {
        unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047;
        if (!(bloom[255 - bit / 8] & (1u << (bit % 8)))) return false;
    }
    return true;
}

/* One end of a range; an unknown safe or finalized block is what geth's
 * filter calls it (resolveSpecial: "safe header not found"). */
static bool resolve_end(node_read *r, const rpc_block_ref *ref, uint64_t *number, rpc_error *err) {
    bytes32 hash;
    bool found;
    if (node_resolve(r, ref, number, &hash, &found, err)) return true;
    if (ref->kind == RPC_BLOCK_SAFE || ref->kind == RPC_BLOCK_FINALIZED)
        rpc_error_set(err, RPC_SERVER_ERROR, "%s header not found", ref->kind == RPC_BLOCK_SAFE ? "safe" : "finalized");
    return false;
}

/* Whether a block with this bloom may hold a matching log. */
static bool bloom_may_match(const log_filter *f, const uint8_t bloom[256]) {
    if (f->n_addrs) {
        bool any = false;
        for (size_t i = 0; i < f->n_addrs && !any; i++) any = bloom_has(bloom, f->addrs[i].b, 20);
        if (!any) return false;
    }
    for (size_t p = 0; p < f->n_topics; p++) {
        const topic_set *s = &f->topics[p];
        if (!s->n) continue;
        bool any = false;
        for (size_t k = 0; k < s->n && !any; k++) any = bloom_has(bloom, s->v[k].b, 32);
        if (!any) return false;
    }
    return true;
}

static bool log_matches(const log_filter *f, const node_log *l) {
    if (f->n_addrs) {
        bool any = false;
        for (size_t i = 0; i < f->n_addrs && !any; i++) any = address_eq(&f->addrs[i], &l->addr);
        if (!any) return false;
    }
    if (f->n_topics > l->n_topics) return false;
    for (size_t p = 0; p < f->n_topics; p++) {
        const topic_set *s = &f->topics[p];
        if (!s->n) continue;
        bool any = false;
        for (size_t k = 0; k < s->n && !any; k++) any = bytes32_eq(&s->v[k], &l->topics[p]);
        if (!any) return false;
    }
    return true;
}

bool node_log_scan_block(node_read *r, const log_filter *f, uint64_t number, const bytes32 *hash, bool removed,
                         size_t max, json_t *out, rpc_error *err) {
    block_header h;
    const char *why = node_header(r, number, hash, &h);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    if (!bloom_may_match(f, h.bloom)) return true;
    node_block nb;
    why = node_block_load(r, number, hash, NODE_LOAD_LOGS, &nb);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    bool ok = true;
    for (size_t i = 0; i < nb.n_receipts && ok; i++) {
        const node_receipt *rc = &nb.receipts[i];
        for (size_t k = rc->first_log; k < rc->first_log + rc->n_logs; k++) {
            if (!log_matches(f, &nb.logs[k])) continue;
            if (json_array_size(out) >= max) {
                ok = rpc_error_set(err, RPC_LIMIT_EXCEEDED, "query returned more than %zu results", max);
                break;
            }
            node_block_tx_hash(&nb, i); /* the block's transaction hashes, once */
            json_t *log = node_json_log(&nb, i, k);
            if (removed) json_object_set_new(log, "removed", json_true());
            json_array_append_new(out, log);
        }
    }
    node_block_free(&nb);
    return ok;
}

bool node_log_query(node_read *r, const log_filter *f, json_t **result, rpc_error *err) {
    node *n = r->n;
    size_t max = n->cfg.max_logs;
    json_t *out = json_array();
    bool ok = true;
    uint64_t from, to;
    bytes32 hash;
    bool found;
    if (f->by_hash) {
        rpc_block_ref ref = {.kind = RPC_BLOCK_HASH, .hash = f->hash};
        ok = node_resolve(r, &ref, &from, &hash, &found, err);
        if (ok && !found) ok = rpc_error_set(err, RPC_SERVER_ERROR, "unknown block");
        if (ok) ok = node_log_scan_block(r, f, from, &hash, false, max, out, err);
    } else if (!n->dev && (f->from.kind == RPC_BLOCK_PENDING || f->to.kind == RPC_BLOCK_PENDING)) {
        /* geth's, as eth_newFilter's; a dev chain reads the head, as anvil */
        ok = rpc_error_set(err, RPC_INVALID_PARAMS, "pending logs are not supported");
    } else {
        ok = resolve_end(r, &f->from, &from, err) && resolve_end(r, &f->to, &to, err);
        /* numbers as given, past the head too: a reversed range first, then
         * one past the head (an error, not an empty range), as geth checks */
        if (f->from.kind == RPC_BLOCK_NUMBER) from = f->from.number;
        if (f->to.kind == RPC_BLOCK_NUMBER) to = f->to.number;
        if (ok && from > to) ok = rpc_error_set(err, RPC_INVALID_PARAMS, "invalid block range params");
        else if (ok && to > r->head)
            ok = rpc_error_set(err, RPC_INVALID_PARAMS, "block range extends beyond current head block");
        else if (ok && to - from >= n->cfg.max_log_range)
            ok = rpc_error_set(err, RPC_LIMIT_EXCEEDED, "query exceeds max block range %" PRIu64, n->cfg.max_log_range);
        for (uint64_t b = from; ok && b <= to; b++) {
            const char *why = db_canonical_hash(r->snap, b, &hash);
            if (why) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
            else ok = node_log_scan_block(r, f, b, &hash, false, max, out, err);
        }
    }
    if (!ok) {
        json_decref(out);
        return false;
    }
    *result = out;
    return true;
}

static bool get_logs(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    log_filter f;
    node_read r;
    bool ok = node_log_filter_parse(rpc_arg(params, 0), &f, err) && node_read_open(n, &r, err);
    if (ok) {
        ok = node_log_query(&r, &f, result, err);
        node_read_close(&r);
    }
    node_log_filter_free(&f);
    return ok;
}

void node_register_logs(node *n, rpc_methods *m) { rpc_methods_add(m, "eth_getLogs", get_logs, n); }
