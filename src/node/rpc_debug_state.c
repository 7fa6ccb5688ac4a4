/* Method group: geth's debug methods over the state of past blocks --
 * debug_getModifiedAccountsByNumber / ByHash, debug_storageRangeAt,
 * debug_accountRange and debug_dumpBlock -- and reth's
 * reth_getBalanceChangesInBlock (below).
 *
 * debug_getModifiedAccountsBy*(start, end?): the accounts whose trie leaf
 * (nonce, balance, code hash or storage root) differs between the state
 * after start and the state after end -- with one argument, between the
 * block's parent and the block. geth diffs the two tries; here the blocks'
 * change sets name the candidates and each is compared in the two states
 * (its slots that changed, for the storage root). As geth's trie diff, an
 * account that exists at start but not at end is not listed, the list is
 * in hashed-address order, and an empty list is null. Both blocks must be
 * canonical (the store keeps the state of the canonical chain only).
 *
 * debug_storageRangeAt(block, txIndex, address, keyStart, maxResult): the
 * slots of address in the state before transaction txIndex of the block
 * (the block's system calls and its first txIndex transactions replayed on
 * its parent's state), in hashed-key order from keyStart, as {storage:
 * {hashedKey: {key, value}}, nextKey}. geth reads the trie of the account's
 * storage root as of the parent state for txIndex > 0 (its own TODO says
 * so); this gives the state the transactions leave. keyStart is a position
 * in hashed-key order as geth's trie iterator seeks it (its first 32 bytes,
 * zero-padded). An account without storage gives storage null.
 *
 * debug_accountRange(block, start, maxResults, nocode, nostorage,
 * incompletes) and debug_dumpBlock(number): geth's state.Dump of the block's
 * state: {root, accounts: {checksummedAddress: {balance, nonce, root,
 * codeHash, code?, storage?, address, key}}, next?}, at most 256 accounts
 * (maxResults outside 1..256 is 256), in hashed-address order from start
 * (geth's common.BytesToHash(start): left-padded, or its last 32 bytes).
 * Every key's preimage is known, so incompletes changes nothing. Any
 * retained block's state can be dumped (node_range.h says how); "latest"
 * includes dev-mode edits not yet in a block, and "pending" is the head.
 *
 * Numbers that geth decodes as Go integers (startNum, endNum, txIndex,
 * maxResult, maxResults) are taken as JSON integers, as geth does, or as
 * hex quantities, as most clients send numbers.
 *
 * Errors follow geth: "start block ff not found", "block 0 has no parent",
 * "start block height (2) must be less than end block height (1)",
 * "block #N not found", "no transaction in genesis", "transaction index N
 * out of range for block 0x...", "transaction 0x... failed: ..." (-32000);
 * parameters that do not decode are -32602. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_range.h"
#include "parevm/db_proof.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_engine.h"

static bool store_error(rpc_error *err, const char *why) {
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
}

static void put(json_t *o, const char *key, json_t *v) {
    if (!v || json_object_set_new(o, key, v)) abort();
}

static json_t *new_object(void) {
    json_t *o = json_object();
    if (!o) abort();
    return o;
}

/* A Go int or uint64 argument: a JSON integer (what geth decodes), or a
 * hex quantity (what most clients send for numbers). */
static const char *parse_int(const json_t *v, bool allow_negative, int64_t *out) {
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out < 0 && !allow_negative ? "number must not be negative" : NULL;
    }
    uint64_t u;
    const char *why = json_is_string(v) ? rpc_parse_u64(v, &u) : "expected a number";
    if (!why && u > (uint64_t)INT64_MAX) why = "number larger than int64";
    if (!why) *out = (int64_t)u;
    return why;
}

/* ---- debug_getModifiedAccountsBy* ---------------------------------------------------- */

/* An account a change set names, with one slot it names (has_slot). */
typedef struct {
    bytes32 hkey;
    address addr;
    bool has_slot;
    u256 slot;
} touched;

typedef struct {
    touched *v;
    size_t n, cap;
} touched_list;

static bool on_touched(void *arg, uint64_t number, const address *a, const u256 *slot) {
    (void)number;
    touched_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    touched *t = &l->v[l->n++];
    memset(t, 0, sizeof *t);
    t->hkey = keccak256_hash(a->b, 20);
    t->addr = *a;
    t->has_slot = slot != NULL;
    if (slot) t->slot = *slot;
    return true;
}

static int cmp_touched(const void *a, const void *b) {
    return memcmp(((const touched *)a)->hkey.b, ((const touched *)b)->hkey.b, 32);
}

/* Whether the account's trie leaf differs between the snapshots from and
 * to; group: its change-set entries (the slots that may differ). */
static const char *leaf_differs(db_snapshot *from, db_snapshot *to, const touched *group, size_t n, bool *out) {
    const address *a = &group[0].addr;
    account_info x, y;
    *out = false;
    const char *why = db_read_account(to, a, &y);
    if (why == DB_NOT_FOUND) return NULL; /* gone: not in the new trie */
    if (why) return why;
    why = db_read_account(from, a, &x);
    if (why == DB_NOT_FOUND) return (*out = true), NULL;
    if (why) return why;
    *out = x.nonce != y.nonce || !u256_eq(&x.balance, &y.balance) || !bytes32_eq(&x.code_hash, &y.code_hash);
    for (size_t i = 0; i < n && !*out; i++) {
        if (!group[i].has_slot) continue;
        u256 u, v;
        if ((why = db_read_storage(from, a, &group[i].slot, &u)) || (why = db_read_storage(to, a, &group[i].slot, &v)))
            return why;
        *out = !u256_eq(&u, &v);
    }
    return NULL;
}

/* The accounts modified between the states after blocks from and to
 * (canonical, from < to), in hashed-address order; null when none. */
static bool modified_between(node_read *r, uint64_t from, uint64_t to, json_t **result, rpc_error *err) {
    touched_list l = {0};
    db_snapshot *sf = NULL, *st = NULL;
    const char *why = db_each_change(r->snap, from + 1, to, NULL, on_touched, &l);
    if (!why) why = db_snapshot_at(r->n->db, from, 1, &sf);
    if (!why && to < r->head) why = db_snapshot_at(r->n->db, to, 1, &st);
    db_snapshot *end = to < r->head ? st : r->snap;
    json_t *out = json_array();
    if (!out) abort();
    if (!why) qsort(l.v, l.n, sizeof *l.v, cmp_touched);
    for (size_t i = 0; !why && i < l.n;) {
        size_t j = i + 1;
        while (j < l.n && address_eq(&l.v[j].addr, &l.v[i].addr)) j++;
        bool differs;
        why = leaf_differs(sf, end, &l.v[i], j - i, &differs);
        if (!why && differs && json_array_append_new(out, rpc_json_address(&l.v[i].addr))) abort();
        i = j;
    }
    free(l.v);
    if (sf) db_snapshot_close(sf);
    if (st) db_snapshot_close(st);
    if (why) {
        json_decref(out);
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        out = json_null();
    }
    *result = out;
    return true;
}

/* Whether block number is canonical with this hash (the state is kept for
 * the canonical chain only). */
static bool require_canonical(node_read *r, uint64_t number, const bytes32 *hash, rpc_error *err) {
    bytes32 c;
    const char *why = db_canonical_hash(r->snap, number, &c);
    if (why && why != DB_NOT_FOUND) return store_error(err, why);
    if (!why && bytes32_eq(&c, hash)) return true;
    return rpc_error_set(err, RPC_SERVER_ERROR, "the state of a non-canonical block is not available");
}

static bool check_order(uint64_t from, uint64_t to, rpc_error *err) {
    if (from < to) return true;
    return rpc_error_set(err, RPC_SERVER_ERROR, "start block height (%" PRIu64 ") must be less than end block height (%" PRIu64 ")",
                         from, to);
}

static bool modified_by_number_in(node_read *r, const json_t *params, json_t **result, rpc_error *err) {
    int64_t start, end = 0;
    const char *why = parse_int(rpc_arg(params, 0), false, &start);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bool has_end = rpc_arg(params, 1) != NULL;
    if (has_end && (why = parse_int(rpc_arg(params, 1), false, &end))) return rpc_error_invalid_param(err, 1, why);
    if ((uint64_t)start > r->head)
        return rpc_error_set(err, RPC_SERVER_ERROR, "start block %" PRIx64 " not found", (uint64_t)start);
    uint64_t from = (uint64_t)start, to = (uint64_t)end;
    if (!has_end) {
        if (start == 0) return rpc_error_set(err, RPC_SERVER_ERROR, "block 0 has no parent");
        to = from--;
    } else if (to > r->head) {
        return rpc_error_set(err, RPC_SERVER_ERROR, "end block %" PRIu64 " not found", to);
    }
    return check_order(from, to, err) && modified_between(r, from, to, result, err);
}

static bool modified_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    bool ok = modified_by_number_in(&r, params, result, err);
    node_read_close(&r);
    return ok;
}

/* The stored block of hash: its number and parent; false when unknown. */
static bool stored_block(node_read *r, const bytes32 *hash, uint64_t *number, bytes32 *parent, rpc_error *err,
                         bool *found) {
    *found = false;
    const char *why = db_block_number(r->snap, hash, number);
    if (why == DB_NOT_FOUND) return true;
    block_header h;
    if (!why) why = node_header(r, *number, hash, &h);
    if (why) return store_error(err, why);
    *parent = h.parent_hash;
    *found = true;
    return true;
}

static bool modified_by_hash_in(node_read *r, const json_t *params, json_t **result, rpc_error *err) {
    bytes32 sh, eh, parent, unused;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &sh);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bool has_end = rpc_arg(params, 1) != NULL, found;
    if (has_end && (why = rpc_parse_hash(rpc_arg(params, 1), &eh))) return rpc_error_invalid_param(err, 1, why);
    char text[67];
    uint64_t from, to;
    if (!stored_block(r, &sh, &from, &parent, err, &found)) return false;
    if (!found) {
        hex_encode(sh.b, 32, text);
        return rpc_error_set(err, RPC_SERVER_ERROR, "start block %s not found", text + 2);
    }
    if (!has_end) {
        eh = sh;
        to = from;
        if (to == 0) return rpc_error_set(err, RPC_SERVER_ERROR, "block 0 has no parent");
        if (!stored_block(r, &parent, &from, &unused, err, &found)) return false;
        if (!found) return rpc_error_set(err, RPC_SERVER_ERROR, "block %" PRIx64 " has no parent", to);
        sh = parent;
    } else {
        if (!stored_block(r, &eh, &to, &unused, err, &found)) return false;
        if (!found) {
            hex_encode(eh.b, 32, text);
            return rpc_error_set(err, RPC_SERVER_ERROR, "end block %s not found", text + 2);
        }
    }
    return check_order(from, to, err) && require_canonical(r, from, &sh, err) && require_canonical(r, to, &eh, err) &&
           modified_between(r, from, to, result, err);
}

static bool modified_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    bool ok = modified_by_hash_in(&r, params, result, err);
    node_read_close(&r);
    return ok;
}

/* ---- reth_getBalanceChangesInBlock ---------------------------------------------------- */

/* reth_getBalanceChangesInBlock(block): {address: balance after the block}
 * for each account the block's change set names whose balance (or
 * existence: reth compares Option<balance>) differs from the parent's state;
 * an account that is gone is 0. The genesis has no parent: {}. */
static bool balance_changes(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = node_resolve_arg(&r, params, 0, false, &number, &hash, &found, err);
    if (ok && !found) ok = rpc_error_set(err, RPC_RESOURCE_NOT_FOUND, "block not found");
    if (ok) ok = require_canonical(&r, number, &hash, err);
    touched_list l = {0};
    db_snapshot *before = NULL, *after = NULL;
    json_t *out = new_object();
    const char *why = NULL;
    if (ok && number > 0) {
        why = db_each_change(r.snap, number, number, NULL, on_touched, &l);
        if (!why) why = db_snapshot_at(r.n->db, number - 1, 1, &before);
        if (!why && number < r.head) why = db_snapshot_at(r.n->db, number, 1, &after);
        db_snapshot *end = number < r.head ? after : r.snap;
        if (!why) qsort(l.v, l.n, sizeof *l.v, cmp_touched);
        for (size_t i = 0; !why && i < l.n; i++) {
            if (i && address_eq(&l.v[i].addr, &l.v[i - 1].addr)) continue;
            account_info x, y;
            const char *wx = db_read_account(before, &l.v[i].addr, &x), *wy = db_read_account(end, &l.v[i].addr, &y);
            if ((wx && wx != DB_NOT_FOUND) || (wy && wy != DB_NOT_FOUND)) {
                why = wx && wx != DB_NOT_FOUND ? wx : wy;
                break;
            }
            bool had = !wx, has = !wy;
            if (had == has && (!has || u256_eq(&x.balance, &y.balance))) continue;
            u256 now = has ? y.balance : U256_ZERO;
            json_t *k = rpc_json_address(&l.v[i].addr);
            put(out, json_string_value(k), rpc_json_u256(&now));
            json_decref(k);
        }
    }
    free(l.v);
    if (before) db_snapshot_close(before);
    if (after) db_snapshot_close(after);
    node_read_close(&r);
    if (ok && why) ok = store_error(err, why);
    if (ok) *result = out;
    else json_decref(out);
    return ok;
}

/* ---- debug_storageRangeAt ------------------------------------------------------------ */

/* A block reference as geth's BlockNumberOrHash.String() writes it. */
static void ref_text(const rpc_block_ref *ref, char out[80]) {
    static const char *const tags[] = {[RPC_BLOCK_LATEST] = "latest", [RPC_BLOCK_EARLIEST] = "earliest",
                                       [RPC_BLOCK_PENDING] = "pending", [RPC_BLOCK_SAFE] = "safe",
                                       [RPC_BLOCK_FINALIZED] = "finalized"};
    if (ref->kind == RPC_BLOCK_HASH) hex_encode(ref->hash.b, 32, out);
    else if (ref->kind == RPC_BLOCK_NUMBER) snprintf(out, 80, "0x%" PRIx64, ref->number);
    else snprintf(out, 80, "%s", tags[ref->kind]);
}

/* The state before transaction `index` of a block: its parent's state with
 * a layer holding the block's system calls and first `index` transactions.
 * Owns everything: tx_state_close. */
typedef struct {
    node_block nb;
    node_state parent;
    block_state *layer;
    change_set changes; /* the layer's net change set */
} tx_state;

static void tx_state_close(tx_state *ts) {
    change_set_free(&ts->changes);
    if (ts->layer) block_state_free(ts->layer);
    node_state_close(&ts->parent);
    node_block_free(&ts->nb);
    memset(ts, 0, sizeof *ts);
}

/* Executes the system calls and the transactions before `index` on the
 * layer; false with geth's error when one cannot be applied. */
static bool replay_prefix(node *n, tx_state *ts, int64_t index, rpc_error *err) {
    executor *ex = node_executor_get(n);
    block *b = &ts->nb.b;
    block_env env = node_replay_begin(n, ex, b, ts->layer);
    uint64_t gas = 0;
    bool ok = true;
    for (int64_t i = 0; ok && i < index; i++) {
        tx_result res;
        if (!node_replay_tx(ex, &env, ts->layer, &b->txs[i], &gas, &res)) {
            char h[67];
            hex_encode(b->txs[i].hash.b, 32, h);
            ok = rpc_error_set(err, RPC_SERVER_ERROR, "transaction %s failed: %s", h, res.error);
        }
    }
    node_executor_put(n, ex);
    return ok;
}

/* The layer of ts (opened by node_open_replay) with the block's system
 * calls and its first count transactions; false (ts closed) on failure. */
static bool tx_state_replay(node *n, tx_state *ts, int64_t count, rpc_error *err) {
    ts->layer = block_state_new(ts->parent.view, ts->parent.codes);
    if (!replay_prefix(n, ts, count, err)) {
        tx_state_close(ts);
        return false;
    }
    block_state_changes(ts->layer, &ts->changes);
    return true;
}

static bool tx_state_open(node *n, node_read *r, uint64_t number, const bytes32 *hash, int64_t index, tx_state *ts,
                          rpc_error *err) {
    memset(ts, 0, sizeof *ts);
    if (number == 0) return rpc_error_set(err, RPC_SERVER_ERROR, "no transaction in genesis");
    if (!node_open_replay(r, number, hash, &ts->nb, &ts->parent, err)) return false;
    size_t n_txs = ts->nb.b.n_txs;
    if (!(index == 0 && n_txs == 0) && (index < 0 || (uint64_t)index >= n_txs)) {
        char h[67];
        hex_encode(hash->b, 32, h);
        rpc_error_set(err, RPC_SERVER_ERROR, "transaction index %" PRId64 " out of range for block %s", index, h);
        tx_state_close(ts);
        return false;
    }
    return tx_state_replay(n, ts, index, err);
}

static json_t *word_json(const u256 *v) {
    bytes32 b;
    u256_to_be(v, b.b);
    return rpc_json_hash(&b);
}

/* geth's StorageRangeResult: storage null for an account without storage. */
static json_t *storage_range_json(const node_range *rg, bool empty) {
    json_t *o = new_object(), *m = empty ? json_null() : new_object();
    for (size_t i = 0; i < rg->n; i++) {
        const node_range_item *it = &rg->items[i];
        json_t *e = new_object();
        put(e, "key", word_json(&it->slot));
        put(e, "value", word_json(&it->value));
        char k[67];
        hex_encode(it->hkey.b, 32, k);
        put(m, k, e);
    }
    put(o, "storage", m);
    put(o, "nextKey", rg->more ? rpc_json_hash(&rg->next) : json_null());
    return o;
}

typedef struct {
    rpc_block_ref ref;
    int64_t index, max;
    address addr;
    bytes32 start; /* keyStart as the trie iterator seeks it */
} range_args;

static bool parse_range_args(const json_t *params, range_args *a, rpc_error *err) {
    const char *why = rpc_parse_block_ref(rpc_arg(params, 0), &a->ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = parse_int(rpc_arg(params, 1), true, &a->index))) return rpc_error_invalid_param(err, 1, why);
    if ((why = rpc_parse_address(rpc_arg(params, 2), &a->addr))) return rpc_error_invalid_param(err, 2, why);
    uint8_t *key;
    size_t len;
    if ((why = rpc_parse_data(rpc_arg(params, 3), &key, &len))) return rpc_error_invalid_param(err, 3, why);
    memset(a->start.b, 0, 32);
    memcpy(a->start.b, key, len < 32 ? len : 32);
    free(key);
    if ((why = parse_int(rpc_arg(params, 4), true, &a->max))) return rpc_error_invalid_param(err, 4, why);
    if (a->max < 0) a->max = 0;
    return true;
}

/* The range in ts's state; *empty when the account has no storage at all. */
static bool range_in(node_read *r, tx_state *ts, const range_args *a, node_range *rg, bool *empty, rpc_error *err) {
    node_range_src src = {r, ts->parent.number, block_state_view(ts->layer), {&ts->changes, NULL}};
    *empty = false;
    if (!node_range_slots(&src, &a->addr, &a->start, (size_t)a->max, rg, err)) return false;
    if (rg->n || rg->more) return true;
    node_range all;
    if (!node_range_slots(&src, &a->addr, NULL, 0, &all, err)) return false;
    *empty = !all.more;
    node_range_free(&all);
    return true;
}

static bool storage_range_at(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    range_args a;
    if (!rpc_check_args(params, 5, 5, err) || !parse_range_args(params, &a, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = node_resolve(&r, &a.ref, &number, &hash, &found, err);
    if (ok && !found) {
        char t[80];
        ref_text(&a.ref, t);
        ok = rpc_error_set(err, RPC_SERVER_ERROR, "block %s not found", t);
    }
    tx_state ts;
    if (ok && (ok = tx_state_open(n, &r, number, &hash, a.index, &ts, err))) {
        node_range rg;
        bool empty;
        ok = range_in(&r, &ts, &a, &rg, &empty, err);
        if (ok && node_state_failed(&ts.parent, err)) ok = false;
        if (ok) *result = storage_range_json(&rg, empty);
        node_range_free(&rg);
        tx_state_close(&ts);
    }
    node_read_close(&r);
    return ok;
}

/* ---- debug_accountRange, debug_dumpBlock ---------------------------------------------- */

enum { DUMP_MAX = 256 }; /* geth's AccountRangeMaxResults */

typedef struct {
    node_state *st;
    node_range_src src;
    bool nocode, nostorage;
} dump_ctx;

/* Whether the layer's change set touches the storage of a. */
static bool layer_touches_storage(const change_set *cs, const address *a) {
    for (size_t i = 0; cs && i < cs->n_accounts; i++) {
        const account_change *ac = &cs->accounts[i];
        if (address_eq(&ac->addr, a) && (ac->n_slots || (ac->flags & (CHANGE_CREATED | CHANGE_DELETED)))) return true;
    }
    return false;
}

/* The storage root of a complete list of slots (in hashed order). */
static bytes32 root_of_slots(const node_range *slots) {
    trie_stream *ts = trie_stream_new(NULL, NULL);
    buf_t v = {0};
    for (size_t i = 0; i < slots->n; i++) {
        buf_clear(&v);
        rlp_encode_u256(&v, &slots->items[i].value);
        trie_stream_push(ts, &slots->items[i].hkey, v.data, v.len);
    }
    bytes32 root = trie_stream_root(ts);
    trie_stream_free(ts);
    buf_free(&v);
    return root;
}

/* geth's storage map: slot (as a hash) -> the value's bytes without
 * leading zero bytes, in hex without 0x. */
static json_t *storage_json(const node_range *slots) {
    json_t *m = new_object();
    for (size_t i = 0; i < slots->n; i++) {
        uint8_t be[32];
        u256_to_be(&slots->items[i].value, be);
        size_t z = 0;
        while (z < 31 && be[z] == 0) z++;
        char k[67], v[67];
        hex_encode(be + z, 32 - z, v);
        u256_to_be(&slots->items[i].slot, be);
        hex_encode(be, 32, k);
        put(m, k, json_string(v + 2));
    }
    return m;
}

/* The account's storage root: from its slots when they are listed, else
 * from the tries of the block's state. */
static bool storage_root(dump_ctx *d, const address *a, const node_range *slots, bool listed, bytes32 *root,
                         rpc_error *err) {
    if (listed) {
        *root = root_of_slots(slots);
        return true;
    }
    db_proof p;
    const char *why = db_get_proof(d->st->src, a, NULL, 0, &p);
    *root = p.storage_root;
    db_proof_free(&p);
    return why ? store_error(err, why) : true;
}

static json_t *account_json(dump_ctx *d, const node_range_item *it, rpc_error *err) {
    bool listed = !d->nostorage || layer_touches_storage(d->src.layers[0], &it->addr);
    node_range slots = {0};
    bytes32 root;
    if ((listed && !node_range_slots(&d->src, &it->addr, NULL, SIZE_MAX, &slots, err)) ||
        !storage_root(d, &it->addr, &slots, listed, &root, err)) {
        node_range_free(&slots);
        return NULL;
    }
    json_t *o = new_object();
    char dec[80];
    u256_to_dec(&it->info.balance, dec);
    put(o, "balance", json_string(dec));
    put(o, "nonce", json_integer((json_int_t)it->info.nonce));
    put(o, "root", rpc_json_hash(&root));
    put(o, "codeHash", rpc_json_hash(&it->info.code_hash));
    state_view v = d->src.view;
    const evm_code *code = d->nocode ? NULL : v.ops->get_code(v.ctx, &it->addr);
    if (code && code->len) put(o, "code", rpc_json_data(code->bytes, code->len));
    if (!d->nostorage && slots.n) put(o, "storage", storage_json(&slots));
    put(o, "address", rpc_json_address(&it->addr));
    put(o, "key", rpc_json_hash(&it->hkey));
    node_range_free(&slots);
    return o;
}

/* geth's state.Dump of st: at most max accounts from start. */
static bool dump(node_read *r, node_state *st, const bytes32 *start, size_t max, bool nocode, bool nostorage,
                 json_t **result, rpc_error *err) {
    const change_set *edits = st->head_edits ? node_patch_changes(r->patch) : NULL;
    dump_ctx d = {st, {r, st->number, st->view, {edits, NULL}}, nocode, nostorage};
    node_range rg;
    if (!node_range_accounts(&d.src, start, max, &rg, err)) return false;
    json_t *accounts = new_object();
    bool ok = true;
    for (size_t i = 0; ok && i < rg.n; i++) {
        json_t *a = account_json(&d, &rg.items[i], err);
        char key[43];
        rpc_address_checksum(&rg.items[i].addr, key);
        if ((ok = a != NULL)) put(accounts, key, a);
    }
    if (ok && node_state_failed(st, err)) ok = false;
    if (!ok) {
        json_decref(accounts);
        node_range_free(&rg);
        return false;
    }
    json_t *o = new_object();
    char root[67];
    hex_encode(st->header.state_root.b, 32, root);
    put(o, "root", json_string(root + 2));
    put(o, "accounts", accounts);
    if (rg.more) put(o, "next", rpc_json_hash(&rg.next));
    node_range_free(&rg);
    *result = o;
    return true;
}

/* Resolves ref to an existing block (geth's "block #N not found") and
 * dumps its state. */
static bool dump_at(node *n, const rpc_block_ref *ref, const bytes32 *start, size_t max, bool nocode, bool nostorage,
                    json_t **result, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    node_state st;
    bool ok = node_resolve_existing(&r, ref, &number, &hash, err) && node_state_at(&r, number, &hash, &st, err);
    if (ok) {
        ok = dump(&r, &st, start, max, nocode, nostorage, result, err);
        node_state_close(&st);
    }
    node_read_close(&r);
    return ok;
}

static bool dump_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    rpc_block_ref ref;
    const char *why = rpc_parse_block_number(rpc_arg(params, 0), &ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    return dump_at(ctx, &ref, NULL, DUMP_MAX, false, false, result, err);
}

static bool account_range(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 6, 6, err)) return false;
    rpc_block_ref ref;
    const char *why = rpc_parse_block_ref(rpc_arg(params, 0), &ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    uint8_t *raw;
    size_t len;
    if ((why = rpc_parse_data(rpc_arg(params, 1), &raw, &len))) return rpc_error_invalid_param(err, 1, why);
    bytes32 start = {{0}}; /* common.BytesToHash: left-padded, or the last 32 bytes */
    size_t take = len < 32 ? len : 32;
    memcpy(start.b + 32 - take, raw + len - take, take);
    free(raw);
    int64_t max;
    if ((why = parse_int(rpc_arg(params, 2), true, &max))) return rpc_error_invalid_param(err, 2, why);
    if (max <= 0 || max > DUMP_MAX) max = DUMP_MAX;
    bool flags[3];
    for (size_t i = 0; i < 3; i++)
        if ((why = rpc_parse_bool(rpc_arg(params, 3 + i), &flags[i]))) return rpc_error_invalid_param(err, 3 + i, why);
    /* flags[2], incompletes: every preimage is known, nothing is incomplete */
    return dump_at(ctx, &ref, &start, (size_t)max, flags[0], flags[1], result, err);
}

/* ---- debug_accountAt, debug_accountInfoAt (reth's) ------------------------------------ */

/* reth's block_id_to_str: "0x1f", a tag, "hash 0x..." or "canonical hash 0x...". */
void node_reth_ref_text(const rpc_block_ref *ref, char out[100]) {
    char t[80];
    ref_text(ref, t);
    if (ref->kind == RPC_BLOCK_HASH) snprintf(out, 100, "%shash %s", ref->require_canonical ? "canonical " : "", t);
    else snprintf(out, 100, "%s", t);
}

/* reth's replay_block_until: the state after transaction index of the
 * block params[0] names, its system calls and transactions 0...index run;
 * "block not found: REF" (-32001) when there is no such block, invalid
 * params when the index is past its transactions. *a: params[2]. */
static bool tx_state_after(node *n, node_read *r, const json_t *params, tx_state *ts, address *a, rpc_error *err) {
    rpc_block_ref ref;
    int64_t index;
    memset(ts, 0, sizeof *ts);
    if (!rpc_check_args(params, 3, 3, err)) return false;
    const char *why = rpc_parse_block_ref(rpc_arg(params, 0), &ref);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = parse_int(rpc_arg(params, 1), false, &index))) return rpc_error_invalid_param(err, 1, why);
    if ((why = rpc_parse_address(rpc_arg(params, 2), a))) return rpc_error_invalid_param(err, 2, why);
    uint64_t number;
    bytes32 hash;
    bool found;
    if (!node_resolve(r, &ref, &number, &hash, &found, err)) return false;
    if (!found) {
        char t[100];
        node_reth_ref_text(&ref, t);
        return rpc_error_set(err, RPC_RESOURCE_NOT_FOUND, "block not found: %s", t);
    }
    /* (the genesis block has no transactions, and no parent to replay on) */
    if (number == 0)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "tx_index %" PRId64 " out of bounds for block with 0 transactions",
                             index);
    if (!node_open_replay(r, number, &hash, &ts->nb, &ts->parent, err)) return false;
    if ((uint64_t)index >= ts->nb.b.n_txs) {
        rpc_error_set(err, RPC_INVALID_PARAMS, "tx_index %" PRId64 " out of bounds for block with %zu transactions",
                      index, ts->nb.b.n_txs);
        tx_state_close(ts);
        return false;
    }
    return tx_state_replay(n, ts, index + 1, err);
}

/* The storage root of a in ts's state: from its slots when the layer
 * touched them, else from the parent's trie. */
static bool storage_root_after(node_read *r, tx_state *ts, const address *a, bytes32 *root, rpc_error *err) {
    if (layer_touches_storage(&ts->changes, a)) {
        node_range_src src = {r, ts->parent.number, block_state_view(ts->layer), {&ts->changes, NULL}};
        node_range slots = {0};
        bool ok = node_range_slots(&src, a, NULL, SIZE_MAX, &slots, err);
        if (ok) *root = root_of_slots(&slots);
        node_range_free(&slots);
        return ok;
    }
    db_proof p;
    const char *why = db_get_proof(ts->parent.src, a, NULL, 0, &p);
    *root = p.storage_root;
    db_proof_free(&p);
    return why ? store_error(err, why) : true;
}

/* debug_accountInfoAt(block, txIndex, address): {balance, nonce, code}
 * after that transaction (zeros for an account that is not there); with
 * root (debug_accountAt): {balance, nonce, codeHash, storageRoot}, null
 * for an account that is not there. */
static bool account_after(node *n, const json_t *params, bool root, json_t **result, rpc_error *err) {
    node_read r;
    tx_state ts;
    address a;
    if (!node_read_open(n, &r, err)) return false;
    bool ok = tx_state_after(n, &r, params, &ts, &a, err);
    if (ok) {
        state_view v = block_state_view(ts.layer);
        account_info info = {0};
        bool exists = v.ops->get_account(v.ctx, &a, FIELD_ALL, &info);
        const evm_code *code = root ? NULL : v.ops->get_code(v.ctx, &a);
        bytes32 sroot = EMPTY_TRIE_ROOT;
        if (root && exists) ok = storage_root_after(&r, &ts, &a, &sroot, err);
        if (ok && !node_state_failed(&ts.parent, err)) {
            json_t *o = root && !exists ? json_null() : new_object();
            if (!root || exists) {
                put(o, "balance", rpc_json_u256(&info.balance));
                put(o, "nonce", rpc_json_u64(info.nonce));
            }
            if (!root) put(o, "code", rpc_json_data(code ? code->bytes : NULL, code ? code->len : 0));
            if (root && exists) {
                put(o, "codeHash", rpc_json_hash(&info.code_hash));
                put(o, "storageRoot", rpc_json_hash(&sroot));
            }
            *result = o;
        } else {
            ok = false;
        }
        tx_state_close(&ts);
    }
    node_read_close(&r);
    return ok;
}

static bool account_info_at(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return account_after(ctx, params, false, result, err);
}

static bool account_at(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return account_after(ctx, params, true, result, err);
}

void node_register_debug_state(node *n, rpc_methods *m) {
    rpc_methods_add(m, "debug_getModifiedAccountsByNumber", modified_by_number, n);
    rpc_methods_add(m, "debug_getModifiedAccountsByHash", modified_by_hash, n);
    rpc_methods_add(m, "debug_storageRangeAt", storage_range_at, n);
    rpc_methods_add(m, "debug_accountAt", account_at, n);
    rpc_methods_add(m, "debug_accountInfoAt", account_info_at, n);
    rpc_methods_add(m, "debug_accountRange", account_range, n);
    rpc_methods_add(m, "debug_dumpBlock", dump_block, n);
    rpc_methods_add(m, "reth_getBalanceChangesInBlock", balance_changes, n);
}
