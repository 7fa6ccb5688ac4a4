/* Method group (dev mode only): anvil's methods about the node and its
 * chain as a whole -- anvil_nodeInfo, anvil_metadata (also
 * hardhat_metadata), anvil_getGenesisTime, anvil_getBlobByHash,
 * anvil_getBlobsByTransactionHash (the last NODE_DEV_MAX_BLOBS blobs mined
 * are kept), evm_setTime/anvil_setTime, anvil_rollback,
 * anvil_reorg, anvil_setNextBlockPrevRandao (one block's mixHash; dropped
 * by anvil_reset, evm_revert and anvil_rollback, as anvil drops it),
 * anvil_getLastBlockWallTime, eth_protocolVersion (anvil's 1),
 * anvil_setChainId -- and the
 * answer of evm_mine_detailed (rpc_dev.c mines, this file describes the
 * blocks).
 *
 * anvil_rollback(depth) is debug_setHead(head - depth) with the dev clock
 * set back to the new head's timestamp, as anvil's. evm_setTime(t) moves
 * the clock to t (milliseconds above 10^12, as anvil reads them) and
 * answers how far that is ahead of the next block's timestamp; unlike
 * anvil's, blocks still get at least their parent's timestamp + 1 (a time
 * set into the past does not make an invalid chain). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "node_dev.h"
#include "parevm/abi.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/version.h"

void node_dev_new_instance(node_dev *d) {
    if (getrandom(d->instance_id.b, sizeof d->instance_id.b, GRND_NONBLOCK) == (ssize_t)sizeof d->instance_id.b)
        return;
    /* no entropy yet: unique enough for an id that only tells runs apart */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct { struct timespec ts; const void *d; } seed = {ts, d};
    d->instance_id = keccak256_hash(&seed, sizeof seed);
}

/* ---- anvil_nodeInfo, anvil_metadata --------------------------------------------------- */

/* The fork of the next block as anvil names it (alloy's hardfork names). */
static const char *fork_label(const node *n, const block_header *head) {
    static const char *const names[FORK_COUNT] = {
        "Frontier", "Homestead", "Tangerine", "SpuriousDragon", "Byzantium", "Constantinople", "Petersburg",
        "Istanbul", "Berlin",    "London",    "Paris",          "Shanghai",  "Cancun",         "Prague",
        "Osaka"};
    static const char *const bpo[5] = {"Bpo1", "Bpo2", "Bpo3", "Bpo4", "Bpo5"};
    block_header next = *head;
    next.number++;
    next.timestamp++;
    fork_id f = node_fork(n, &next);
    if (f == FORK_OSAKA)
        for (int k = 4; k >= 0; k--)
            if (n->chain.bpo_time[k] != CHAIN_NEVER && next.timestamp >= n->chain.bpo_time[k]) return bpo[k];
    return f < FORK_COUNT ? names[f] : "unknown";
}

static void set(json_t *o, const char *key, json_t *v) {
    if (!v || json_object_set_new(o, key, v)) abort();
}

static bool node_info(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    block_header h;
    u256 tip;
    const char *why = node_header(&r, r.head, &r.head_hash, &h);
    bool ok = why ? rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why) : node_suggest_tip(&r, &tip, err);
    if (ok) {
        u256 fee, blob, price;
        uint64_t excess;
        node_next_fees(n, &h, h.timestamp + 1, &fee, &excess, &blob);
        price = node_gas_price(n, &fee, h.has_base_fee, &tip);
        pthread_mutex_lock(&n->dev->mu);
        uint64_t gas_limit = n->dev->gas_limit ? n->dev->gas_limit : h.gas_limit;
        pthread_mutex_unlock(&n->dev->mu);
        json_t *env = json_object(), *fork = json_object(), *o = json_object();
        if (!env || !fork || !o) abort();
        set(env, "baseFee", rpc_json_u256(&fee));
        set(env, "chainId", json_integer((json_int_t)node_chain_id(n)));
        set(env, "gasLimit", rpc_json_u64(gas_limit));
        set(env, "gasPrice", rpc_json_u256(&price));
        set(fork, "forkUrl", json_null());
        set(fork, "forkBlockNumber", json_null());
        set(fork, "forkRetryBackoff", json_null());
        set(o, "currentBlockNumber", rpc_json_u64(r.head));
        set(o, "currentBlockTimestamp", json_integer((json_int_t)h.timestamp));
        set(o, "currentBlockHash", rpc_json_hash(&r.head_hash));
        set(o, "hardFork", json_string(fork_label(n, &h)));
        set(o, "transactionOrder", json_string(n->cfg.dev_order_fifo ? "fifo" : "fees"));
        set(o, "environment", env);
        set(o, "forkConfig", fork);
        *result = o;
    }
    node_read_close(&r);
    return ok;
}

/* Writer job: anvil_metadata's object (the snapshot list is the writer's). */
static const char *metadata_run(node *n, void *arg) {
    json_t **out = arg;
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    node_dev *d = n->dev;
    json_t *snaps = json_object(), *o = json_object();
    if (!snaps || !o) abort();
    for (size_t i = 0; i < d->n_snapshots; i++) {
        char id[24];
        snprintf(id, sizeof id, "0x%llx", (unsigned long long)d->snapshots[i].id);
        json_t *pair = json_array();
        if (!pair || json_array_append_new(pair, json_integer((json_int_t)d->snapshots[i].number)) ||
            json_array_append_new(pair, rpc_json_hash(&d->snapshots[i].hash)))
            abort();
        set(snaps, id, pair);
    }
    pthread_mutex_lock(&d->mu);
    bytes32 instance = d->instance_id;
    pthread_mutex_unlock(&d->mu);
    set(o, "clientVersion", json_string("parevm/v" PAREVM_VERSION));
    set(o, "clientSemver", json_string(PAREVM_VERSION));
    set(o, "chainId", json_integer((json_int_t)node_chain_id(n)));
    set(o, "instanceId", rpc_json_hash(&instance));
    set(o, "latestBlockNumber", json_integer((json_int_t)r.head));
    set(o, "latestBlockHash", rpc_json_hash(&r.head_hash));
    set(o, "forkedNetwork", json_null());
    set(o, "snapshots", snaps);
    node_read_close(&r);
    *out = o;
    return NULL;
}

static bool metadata(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    json_t *o = NULL;
    const char *why = node_writer_call(ctx, metadata_run, &o);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = o;
    return true;
}

/* anvil_getGenesisTime: block 0's timestamp. */
static bool genesis_time(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    bytes32 hash;
    block_header h;
    const char *why = db_canonical_hash(r.snap, 0, &hash);
    if (!why) why = node_header(&r, 0, &hash, &h);
    node_read_close(&r);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    json_t *v = json_integer((json_int_t)h.timestamp);
    if (!v) abort();
    *result = v;
    return true;
}

/* A blob getter's [hash]: what find gives for it, or null. */
static bool blob_lookup(node *n, const json_t *params, json_t *(*find)(node_dev *, const bytes32 *), json_t **result,
                        rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bytes32 h;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &h);
    if (why) return rpc_error_invalid_param(err, 0, why);
    json_t *found = find(n->dev, &h);
    *result = found ? found : json_null();
    return true;
}

/* anvil_getBlobByHash(versionedHash): a mined transaction's blob, or null. */
static bool blob_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return blob_lookup(ctx, params, node_dev_blob_json, result, err);
}

/* anvil_getBlobsByTransactionHash(txHash): its blobs, or null. */
static bool blobs_by_tx(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return blob_lookup(ctx, params, node_dev_tx_blobs_json, result, err);
}

/* ---- evm_setTime, anvil_rollback -------------------------------------------------------- */

/* A time as anvil takes it: a number, a hex quantity or a decimal string. */
static const char *parse_time(const json_t *v, uint64_t *out) {
    const char *s = json_string_value(v);
    if (s && s[0] >= '0' && s[0] <= '9' && s[1] != 'x' && s[1] != 'X') {
        char *end;
        unsigned long long x = strtoull(s, &end, 10);
        if (*end || strlen(s) > 20 || (x == ~0ULL)) return "expected a number of seconds";
        *out = x;
        return NULL;
    }
    return node_dev_u64(v, out);
}

static bool set_time(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t t;
    const char *why = parse_time(rpc_arg(params, 0), &t);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if (t > 1000000000000ULL) t /= 1000; /* milliseconds, as anvil reads them */
    if (t > (1ULL << 62)) return rpc_error_invalid_param(err, 0, "too large");
    node_read r;
    block_header h;
    if (!node_read_open(n, &r, err)) return false;
    why = node_header(&r, r.head, &r.head_hash, &h);
    node_read_close(&r);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    json_t *v = json_integer((json_int_t)node_dev_set_time(n->dev, h.timestamp, t));
    if (!v) abort();
    *result = v;
    return true;
}

/* Writer thread: the head's number. */
static const char *head_number(node *n, uint64_t *head) {
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    *head = r.head;
    node_read_close(&r);
    return NULL;
}

/* Writer thread: back depth blocks (none for 0), the clock set back to
 * the new head's time, as anvil's rollback does. */
static const char *rewind_by(node *n, uint64_t head, uint64_t depth) {
    const char *why = depth ? node_set_head(n, head - depth) : NULL;
    if (why) return why;
    node_read r;
    block_header h;
    if ((why = node_read_open_job(n, &r))) return why;
    why = node_header(&r, r.head, &r.head_hash, &h);
    node_read_close(&r);
    if (!why) node_dev_set_time(n->dev, h.timestamp, h.timestamp);
    return why;
}

typedef struct {
    uint64_t depth, head;
    bool too_deep;
} rollback_job;

static const char *rollback_run(node *n, void *arg) {
    rollback_job *j = arg;
    const char *why = head_number(n, &j->head);
    if (why) return why;
    if (j->depth > j->head) {
        j->too_deep = true;
        return "too deep";
    }
    why = rewind_by(n, j->head, j->depth);
    if (!why) node_dev_drop_next_randao(n->dev);
    return why;
}

static bool rollback(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 1, err)) return false;
    rollback_job j = {.depth = 1};
    const json_t *p = rpc_arg(params, 0);
    const char *why = p && !json_is_null(p) ? node_dev_u64(p, &j.depth) : NULL;
    if (why) return rpc_error_invalid_param(err, 0, why);
    why = node_writer_call(ctx, rollback_run, &j);
    if (j.too_deep)
        return rpc_error_set(err, RPC_INVALID_PARAMS,
                             "Rollback depth must not exceed current chain height: current height %llu, depth %llu",
                             (unsigned long long)j.head, (unsigned long long)j.depth);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = json_null();
    return true;
}

/* ---- anvil_reorg ------------------------------------------------------------------------- */

/* One of anvil_reorg's transactions: a raw one, or a call object to fill
 * and sign (from a dev account or an impersonated one). */
typedef struct {
    uint64_t block;            /* 0: the first new block */
    bool raw;
    transaction tx;            /* raw: decoded, sender recovered; else filled on the writer */
    rpc_call_args call;
} reorg_tx;

typedef struct {
    uint64_t depth, head;
    reorg_tx *txs;             /* sorted by block */
    size_t n;
    bool too_deep;
    rpc_error err;             /* a call object that cannot become a transaction */
} reorg_job;

static const char REORG_FAILED[] = "reorg failed";

/* The nonce of a at block number (the reorg's common ancestor). */
static bool nonce_at(node *n, uint64_t number, const address *a, uint64_t *nonce, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    bytes32 hash;
    node_state st;
    const char *why = db_canonical_hash(r.snap, number, &hash);
    bool ok = why ? rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why) : node_state_at(&r, number, &hash, &st, err);
    if (ok) {
        account_info info;
        st.view.ops->get_account(st.view.ctx, a, FIELD_NONCE, &info);
        *nonce = info.nonce;
        ok = !node_state_failed(&st, err);
        node_state_close(&st);
    }
    node_read_close(&r);
    return ok;
}

/* Fills and signs the call objects, in block order, with nonces counted
 * from the common ancestor's (gas estimated on the head, as anvil does). */
static bool fill_calls(node *n, reorg_job *j, rpc_error *err) {
    uint64_t common = j->head - j->depth;
    for (size_t i = 0; i < j->n; i++) {
        reorg_tx *t = &j->txs[i];
        if (t->raw) continue;
        rpc_call_args *a = &t->call;
        if (!a->has_from) {
            a->from = n->dev->n_accounts ? n->dev->addrs[0] : (address){0};
            a->has_from = n->dev->n_accounts > 0;
        }
        const uint8_t *key = a->has_from ? node_dev_key(n, &a->from) : NULL;
        if (!a->has_from || (!key && !node_dev_impersonated(n, &a->from)))
            return rpc_error_set(err, RPC_INVALID_PARAMS, "No Signer available");
        if (!a->has_nonce) {
            /* one past this sender's call object before, else its nonce then */
            size_t k = i;
            while (k > 0 && (j->txs[k - 1].raw || !address_eq(&j->txs[k - 1].call.from, &a->from))) k--;
            if (k > 0) a->nonce = j->txs[k - 1].tx.nonce + 1;
            else if (!nonce_at(n, common, &a->from, &a->nonce, err)) return false;
            a->has_nonce = true;
        }
        if (!node_dev_fill_tx(n, a, false, &t->tx, err)) return false;
        if (key) {
            if (!tx_sign(&t->tx, key)) return rpc_error_set(err, RPC_INTERNAL_ERROR, "signing failed");
        } else {
            node_dev_vouch(n, &t->tx, &a->from);
        }
    }
    return true;
}

static const char *reorg_run(node *n, void *arg) {
    reorg_job *j = arg;
    const char *why = head_number(n, &j->head);
    if (why) return why;
    if (j->depth > j->head) {
        j->too_deep = true;
        return REORG_FAILED;
    }
    if (!fill_calls(n, j, &j->err)) return REORG_FAILED;
    if ((why = rewind_by(n, j->head, j->depth))) return why;
    size_t k = 0;
    for (uint64_t b = 0; b < j->depth; b++) {
        size_t first = k;
        while (k < j->n && j->txs[k].block == b) k++;
        transaction *list = malloc((k - first + 1) * sizeof *list);
        if (!list) abort();
        for (size_t i = first; i < k; i++) list[i - first] = j->txs[i].tx;
        why = node_dev_mine_list(n, list, k - first, NULL);
        free(list);
        if (why) return why;
    }
    return NULL;
}

/* Parses anvil_reorg's [[tx, block]...] into j->txs (sorted by block). */
static bool parse_pairs(const json_t *pairs, uint64_t depth, reorg_job *j, rpc_error *err) {
    if (!json_is_array(pairs)) return rpc_error_invalid_param(err, 1, "expected a list of [transaction, block] pairs");
    size_t n = json_array_size(pairs);
    if (n > 10000) return rpc_error_invalid_param(err, 1, "too many transactions (at most 10000)");
    j->txs = calloc(n ? n : 1, sizeof *j->txs);
    if (!j->txs) abort();
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(pairs, i), *tx = json_array_get(p, 0);
        reorg_tx *t = &j->txs[i];
        if (!json_is_array(p) || json_array_size(p) != 2 || (!json_is_string(tx) && !json_is_object(tx)))
            return rpc_error_invalid_param(err, 1, "expected [transaction, block] pairs");
        const char *why = node_dev_u64(json_array_get(p, 1), &t->block);
        if (why) return rpc_error_invalid_param(err, 1, why);
        if (t->block >= depth)
            return rpc_error_set(err, RPC_INVALID_PARAMS,
                                 "Block number for reorg tx will exceed the reorged chain height. Block number %llu "
                                 "must not exceed (depth-1) %llu",
                                 (unsigned long long)t->block, (unsigned long long)(depth - 1));
        j->n = i + 1;
        if (json_is_string(tx)) {
            uint8_t *raw = NULL;
            size_t len = 0;
            char reason[128];
            bool ok = hex_decode_alloc(json_string_value(tx), &raw, &len) &&
                      tx_decode(raw, len, &t->tx, reason, sizeof reason) && tx_recover_sender(&t->tx, true);
            free(raw);
            if (!ok) return rpc_error_set(err, RPC_INVALID_PARAMS, "Failed to decode transaction");
            t->raw = true;
        } else {
            char reason[200];
            if (!rpc_parse_call_args(tx, &t->call, reason, sizeof reason)) return rpc_error_invalid_param(err, 1, reason);
            if (t->call.has_blob_hashes) return rpc_error_invalid_param(err, 1, "blob transactions must be raw");
        }
    }
    /* sort by block, keeping the given order within a block */
    for (size_t i = 1; i < j->n; i++)
        for (size_t k = i; k > 0 && j->txs[k - 1].block > j->txs[k].block; k--) {
            reorg_tx tmp = j->txs[k];
            j->txs[k] = j->txs[k - 1];
            j->txs[k - 1] = tmp;
        }
    return true;
}

static void reorg_job_free(reorg_job *j) {
    for (size_t i = 0; i < j->n; i++) {
        tx_free(&j->txs[i].tx);
        if (!j->txs[i].raw) rpc_call_args_free(&j->txs[i].call);
    }
    free(j->txs);
}

/* anvil_reorg(depth, [[transaction, block]...]): back depth blocks, then
 * depth new ones, block k holding the pairs' transactions for k (raw, or
 * call objects signed by a dev account, nonces counted from the common
 * ancestor); the ones that cannot be included are left out. */
static bool reorg(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    reorg_job j = {0};
    const char *why = node_dev_u64(rpc_arg(params, 0), &j.depth);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bool ok = parse_pairs(rpc_arg(params, 1), j.depth, &j, err);
    if (ok) {
        why = node_writer_call(ctx, reorg_run, &j);
        if (j.too_deep)
            ok = rpc_error_set(err, RPC_INVALID_PARAMS,
                               "Reorg depth must not exceed current chain height: current height %llu, depth %llu",
                               (unsigned long long)j.head, (unsigned long long)j.depth);
        else if (why == REORG_FAILED) {
            *err = j.err;
            ok = false;
        } else if (why) {
            ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
        }
    }
    reorg_job_free(&j);
    if (ok) *result = json_null();
    return ok;
}

/* ---- evm_mine_detailed's blocks --------------------------------------------------------- */

/* An ABI string as a JSON string when it is well formed, non-empty UTF-8;
 * else NULL. */
static json_t *abi_json_string(const uint8_t *s, size_t len) {
    return len ? json_stringn((const char *)s, len) : NULL; /* NULL unless UTF-8 */
}

/* The revertReason anvil gives a failed transaction's output (Foundry's
 * RevertDecoder without known custom errors): Error(string)'s reason, a
 * panic's words, an ABI or ASCII string, else "custom error 0x<selector>"
 * and its data; NULL for no output. */
static json_t *revert_reason(const uint8_t *d, size_t n) {
    const uint8_t *str;
    size_t len;
    u256 code;
    json_t *s;
    abi_revert_kind kind = abi_decode_revert(d, n, &str, &len, &code);
    if (kind == ABI_REVERT_ERROR && (s = abi_json_string(str, len))) return s;
    if (kind == ABI_REVERT_PANIC) {
        const char *w = abi_panic_reason_alloy(&code);
        if (w) return json_sprintf("panic: %s (0x%02x)", w, (unsigned)code.w[0]);
        char hex[67];
        u256_to_hex(&code, hex);
        return json_sprintf("panic: unknown code (%s)", hex);
    }
    if (abi_decode_string(d, n, &str, &len) && (s = abi_json_string(str, len))) return s;
    bool ascii = n > 0;
    for (size_t i = 0; i < n && ascii; i++) ascii = d[i] < 0x80;
    if (ascii) return json_stringn((const char *)d, n);
    if (n == 0) return NULL;
    buf_t b = {0};
    char *hex = malloc(2 * n + 3);
    if (!hex) abort();
    if (n >= 4) {
        hex_encode(d, 4, hex);
        buf_append(&b, "custom error ", 13);
        buf_append(&b, hex, strlen(hex));
        if (n > 4) {
            buf_append(&b, ": ", 2);
            json_t *text = json_stringn((const char *)d + 4, n - 4);
            if (text) buf_append(&b, d + 4, n - 4);
            else hex_encode(d + 4, n - 4, hex), buf_append(&b, hex + 2, strlen(hex + 2));
            json_decref(text);
        }
    } else {
        hex_encode(d, n, hex);
        buf_append(&b, "custom error bytes ", 19);
        buf_append(&b, hex, strlen(hex));
    }
    free(hex);
    s = json_stringn(b.len ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

/* Adds output and revertReason to tx (a block's transaction object) from
 * its call trace (callTracer, top call only): anvil's output is the
 * returned or reverted data, none for a halt. */
static void add_outcome(json_t *tx, const json_t *call) {
    const char *out = json_string_value(json_object_get(call, "output"));
    const char *error = json_string_value(json_object_get(call, "error"));
    bool reverted = error && !strcmp(error, "execution reverted");
    if (!out && (!error || reverted)) out = "0x";
    if (out) set(tx, "output", json_string(out));
    if (!error) return;
    uint8_t *data = NULL;
    size_t len = 0;
    if (out && hex_decode_alloc(out, &data, &len)) {
        json_t *why = revert_reason(data, len);
        if (why) set(tx, "revertReason", why);
    }
    free(data);
}

/* Block number as eth_getBlockByNumber(n, true), with each transaction's outcome. */
static bool detailed_block(node *n, node_read *r, uint64_t number, const trace_config *cfg, json_t **out,
                           rpc_error *err) {
    bytes32 hash;
    const char *why = db_canonical_hash(r->snap, number, &hash);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    node_block nb;
    node_state st;
    if (!node_open_replay(r, number, &hash, &nb, &st, err)) return false;
    json_t *b = node_json_block(&nb, true);
    block_rules rules = node_rules(n, &nb.b.header);
    char reason[256] = "";
    json_t *calls = nb.b.n_txs ? trace_block(cfg, st.view, &nb.b, &rules, reason, sizeof reason) : json_array();
    bool ok = !node_state_failed(&st, err) && (calls || rpc_error_set(err, RPC_SERVER_ERROR, "%s", reason));
    json_t *txs = json_object_get(b, "transactions");
    for (size_t i = 0; ok && i < json_array_size(txs); i++)
        add_outcome(json_array_get(txs, i), json_object_get(json_array_get(calls, i), "result"));
    json_decref(calls);
    node_state_close(&st);
    node_block_free(&nb);
    if (ok) *out = b;
    else json_decref(b);
    return ok;
}

bool node_dev_detailed_blocks(node *n, uint64_t first, uint64_t last, json_t **result, rpc_error *err) {
    trace_config cfg;
    char why[128];
    json_t *spec = json_pack("{s:s, s:{s:b}}", "tracer", "callTracer", "tracerConfig", "onlyTopCall", 1);
    bool parsed = spec && trace_config_parse(spec, &cfg, why, sizeof why);
    json_decref(spec);
    if (!parsed) return rpc_error_set(err, RPC_INTERNAL_ERROR, "call tracer: %s", why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    json_t *out = json_array();
    if (!out) abort();
    bool ok = true;
    /* blocks rolled back since they were mined are left out */
    for (uint64_t k = first; ok && k <= last && k <= r.head; k++) {
        json_t *b = NULL;
        ok = detailed_block(n, &r, k, &cfg, &b, err);
        if (ok && json_array_append_new(out, b)) abort();
    }
    node_read_close(&r);
    if (ok) *result = out;
    else json_decref(out);
    return ok;
}

/* ---- The next block's prevrandao, the head's wall time, the protocol version ------------ */

/* anvil_setNextBlockPrevRandao(hash): the next mined block's mixHash (what
 * PREVRANDAO reads), for that block only. */
static bool set_next_randao(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bytes32 v;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &v);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&d->mu);
    d->has_next_randao = true;
    d->next_randao = v;
    d->randao_generation++;
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

/* anvil_getLastBlockWallTime: when the head was installed (mined, reverted
 * to), in Unix milliseconds. */
static bool last_block_wall_time(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    pthread_mutex_lock(&d->mu);
    uint64_t ms = d->head_wall_ms;
    pthread_mutex_unlock(&d->mu);
    *result = json_integer((json_int_t)ms);
    return true;
}

/* eth_protocolVersion: anvil's 1 (geth dropped the method). */
static bool protocol_version(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_integer(1);
    return true;
}

/* ---- anvil_setChainId ------------------------------------------------------------------------- */

/* Writer job: the new id, and the pool's checks with it. */
static const char *new_chain_id(node *n, void *arg) {
    atomic_store(&n->chain_id, *(const uint64_t *)arg);
    node_pool_new_head(n);
    return NULL;
}

/* anvil_setChainId(id): null. What eth_chainId answers, CHAINID reads,
 * the pool accepts and eth_sendTransaction signs with from now on; as
 * anvil's, blocks replayed later run with it too, and it is not kept in the
 * datadir (a restart has the stored one). At most 2^63 - 37, as
 * --dev.chainid: a legacy signature's v = 2 id + 36 fits 64 bits. */
static bool set_chain_id(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    uint64_t id;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *why = node_dev_u64(rpc_arg(params, 0), &id);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if (!id || id > UINT64_MAX / 2 - 36) return rpc_error_invalid_param(err, 0, "chain id out of range");
    if ((why = node_writer_call(n, new_chain_id, &id))) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = json_null();
    return true;
}

void node_register_dev_chain(node *n, rpc_methods *m) {
    rpc_methods_add(m, "anvil_setChainId", set_chain_id, n);
    rpc_methods_add(m, "anvil_setNextBlockPrevRandao", set_next_randao, n);
    rpc_methods_add(m, "hardhat_setPrevRandao", set_next_randao, n); /* Hardhat's name (hardhat-network-helpers' setPrevRandao) */
    rpc_methods_add(m, "anvil_getLastBlockWallTime", last_block_wall_time, n);
    rpc_methods_add(m, "eth_protocolVersion", protocol_version, n);
    rpc_methods_add(m, "anvil_nodeInfo", node_info, n);
    rpc_methods_add(m, "anvil_metadata", metadata, n);
    rpc_methods_add(m, "anvil_getGenesisTime", genesis_time, n);
    rpc_methods_add(m, "anvil_getBlobByHash", blob_by_hash, n);
    rpc_methods_add(m, "anvil_getBlobsByTransactionHash", blobs_by_tx, n);
    rpc_methods_add(m, "hardhat_metadata", metadata, n);
    rpc_methods_add(m, "evm_setTime", set_time, n);
    rpc_methods_add(m, "anvil_setTime", set_time, n);
    rpc_methods_add(m, "anvil_rollback", rollback, n);
    rpc_methods_add(m, "anvil_reorg", reorg, n);
}
