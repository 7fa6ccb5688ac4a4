/* Method group: Otterscan's ots_* namespace (API level 8), what the
 * Otterscan block explorer calls, as reth and anvil serve it:
 *   ots_getApiLevel                          8
 *   ots_getHeaderByNumber, erigon_getHeaderByNumber   the header (null past
 *       the head), as eth_getHeaderByNumber
 *   ots_hasCode(address, block)              code there (a delegation too)
 *   ots_traceTransaction(hash)               the frames (trace.h's
 *       TRACE_OTS_TRACE); null for an unknown transaction
 *   ots_getInternalOperations(hash)          value moves, creations and
 *       self-destructs (TRACE_OTS_OPERATIONS); [] for an unknown one
 *   ots_getTransactionError(hash)            a failed transaction's revert
 *       data ("0x" for a success or a failure other than REVERT); null
 *       for an unknown one
 *   ots_getBlockDetails(block), ...ByHash    {block: the header fields with
 *       uncles, size, withdrawals and transactionCount, issuance, totalFees}
 *   ots_getBlockTransactions(block, page, size)   {fullblock: the block with
 *       page `page` of its transactions in block order (inputs cut to their
 *       4-byte selector, as Erigon and anvil), transactionCount: all of
 *       them (reth's); receipts: theirs with logs and logsBloom null (the
 *       specification's) and the block's timestamp}
 *   ots_searchTransactionsBefore/After(address, block, size)   below
 *   ots_getTransactionBySenderAndNonce(address, nonce)   the mined
 *       transaction's hash (eth_getTransactionBySenderAndNonce's bisection)
 *   ots_getContractCreator(address)          {hash, creator} below
 * Block arguments are lenient as reth's: a JSON number, a decimal string, a
 * quantity or a tag.
 *
 * Issuance (Erigon's): before the Merge, blockReward is the author's reward
 * (with 1/32 per ommer), uncleReward the ommers' together, issuance both;
 * zeros after it. totalFees is the sum of gasUsed * effectiveGasPrice (the
 * burnt base fee included; blob fees are not).
 *
 * The searches keep no address index (as anvil; reth does not serve
 * them): they replay the blocks, newest first for Before (from the block
 * below `block`; the head for 0, "latest" or "pending"), oldest first for
 * After (from the block above `block`; block 1 for 0 or "earliest"), and
 * take whole blocks until `size`
 * transactions are found. A transaction matches when one of its Parity
 * traces names the address: a call's sender or target, a creation's sender
 * or new contract (a failed creation has none), a self-destruct's contract
 * or (unlike anvil) beneficiary. Results are newest first (in a block,
 * the last transaction first); firstPage: the newest block was reached,
 * lastPage: the oldest (block 1). A search replays at most
 * OTS_SEARCH_MAX_TRACED blocks with transactions: past that the page is
 * returned short (its flags false), or refused when empty.
 *
 * ots_getContractCreator (reth's): null unless the address has code at the
 * head; the first block after which it has code is found by bisection and
 * replayed; its first successful creation of the address gives the
 * transaction and the creating frame's address. */
#include <stdlib.h>
#include <string.h>
#include "node_internal.h"
#include "parevm/chain.h"

#define OTS_API_LEVEL 8
#define OTS_SEARCH_MAX_TRACED 10000

static bool store_error(rpc_error *err, const char *why) {
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
}

/* Whether v is a block number as alloy's LenientBlockNumberOrTag also
 * takes one: a JSON number or a string of decimal digits (within 64 bits). */
static bool lenient_number(const json_t *v, uint64_t *n) {
    if (json_is_integer(v)) {
        *n = (uint64_t)json_integer_value(v);
        return json_integer_value(v) >= 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s) return false;
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *n = x;
    return true;
}

/* params[i] as a block number or tag (a JSON number or a decimal string
 * too); *found false past the head. */
static bool block_arg(node_read *r, const json_t *params, size_t i, uint64_t *number, bytes32 *hash, bool *found,
                      rpc_error *err) {
    const json_t *v = rpc_arg(params, i);
    rpc_block_ref ref = {.kind = RPC_BLOCK_NUMBER};
    if (json_is_integer(v) && json_integer_value(v) < 0)
        return rpc_error_invalid_param(err, i, "block number must not be negative");
    if (!lenient_number(v, &ref.number)) return node_resolve_arg(r, params, i, true, number, hash, found, err);
    return node_resolve(r, &ref, number, hash, found, err);
}

static bool parse_hash_arg(const json_t *params, size_t i, bytes32 *h, rpc_error *err) {
    const char *why = rpc_parse_hash(rpc_arg(params, i), h);
    return why ? rpc_error_invalid_param(err, i, why) : true;
}

static bool block_not_found(rpc_error *err) { return rpc_error_set(err, RPC_RESOURCE_NOT_FOUND, "block not found"); }

/* ---- Simple ones ----------------------------------------------------------------------- */

static bool api_level(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_integer(OTS_API_LEVEL);
    return true;
}

static bool header_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = block_arg(&r, params, 0, &number, &hash, &found, err);
    if (ok && found) {
        node_block nb;
        const char *why = node_block_load(&r, number, &hash, 0, &nb);
        if (why && why != DB_NOT_FOUND) ok = store_error(err, why);
        else if (!why) {
            *result = node_json_header(&nb);
            node_block_free(&nb);
        }
    }
    node_read_close(&r);
    return ok;
}

/* Whether a has code after block number (hash). */
static bool code_after(node_read *r, uint64_t number, const bytes32 *hash, const address *a, bool *has,
                       rpc_error *err) {
    node_state st;
    if (!node_state_at(r, number, hash, &st, err)) return false;
    account_info info;
    bool exists = st.view.ops->get_account(st.view.ctx, a, FIELD_CODE, &info);
    *has = exists && !bytes32_eq(&info.code_hash, &EMPTY_CODE_HASH);
    bool ok = !node_state_failed(&st, err);
    node_state_close(&st);
    return ok;
}

static bool has_code(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    address a;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    /* a block as a JSON number: as its quantity */
    json_t *args = json_copy((json_t *)params);
    if (!args) abort();
    const json_t *b = rpc_arg(params, 1);
    if (json_is_integer(b) && json_integer_value(b) >= 0)
        json_array_set_new(args, 1, rpc_json_u64((uint64_t)json_integer_value(b)));
    node_read r;
    bool ok = node_read_open(ctx, &r, err);
    if (ok) {
        node_state st;
        ok = node_state_arg(&r, args, 1, &st, err);
        if (ok) {
            account_info info;
            bool exists = st.view.ops->get_account(st.view.ctx, &a, FIELD_CODE, &info);
            ok = !node_state_failed(&st, err);
            if (ok) *result = json_boolean(exists && !bytes32_eq(&info.code_hash, &EMPTY_CODE_HASH));
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    json_decref(args);
    return ok;
}

/* ---- One transaction ------------------------------------------------------------------- */

/* The Otterscan view of mined transaction params[0]: its list, or
 * missing (taken) when there is no such transaction. */
static bool ots_view(node *n, const json_t *params, trace_ots_view view, json_t *missing, json_t **result,
                     rpc_error *err) {
    bytes32 txh;
    if (!rpc_check_args(params, 1, 1, err) || !parse_hash_arg(params, 0, &txh, err)) {
        json_decref(missing);
        return false;
    }
    trace_config cfg;
    trace_config_otterscan(view, &cfg);
    bool found;
    json_t *res = NULL;
    if (!node_trace_mined(n, &txh, &cfg, &found, &res, err)) {
        json_decref(missing);
        return false;
    }
    if (!found) {
        *result = missing;
        return true;
    }
    json_decref(missing);
    json_t *list = json_object_get(res, view == TRACE_OTS_NONE ? "output" : "trace");
    *result = list ? json_incref(list) : json_array();
    json_decref(res);
    return true;
}

static bool ots_trace_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return ots_view(ctx, params, TRACE_OTS_TRACE, json_null(), result, err);
}

static bool internal_operations(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return ots_view(ctx, params, TRACE_OTS_OPERATIONS, json_array(), result, err);
}

/* Whether mined transaction txh failed (*found false: no such one). */
static bool tx_failed(node *n, const bytes32 *txh, bool *found, bool *failed, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    uint32_t index;
    bytes32 hash;
    node_block nb;
    *found = false;
    const char *why = node_tx_location(&r, txh, &number, &index);
    if (why == DB_NOT_FOUND) why = NULL;
    else if (!why && !(why = db_canonical_hash(r.snap, number, &hash)) &&
             !(why = node_block_load(&r, number, &hash, NODE_LOAD_RECEIPTS, &nb))) {
        if (index < nb.n_receipts) {
            /* a receipt with a state root (before Byzantium) has no status,
             * and no REVERT could leave data then: "0x" either way */
            *found = true;
            *failed = !nb.receipts[index].success && !nb.receipts[index].has_root;
        } else {
            why = "transaction index past the block's receipts";
        }
        node_block_free(&nb);
    }
    node_read_close(&r);
    return why ? store_error(err, why) : true;
}

static bool transaction_error(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    bytes32 txh;
    if (!rpc_check_args(params, 1, 1, err) || !parse_hash_arg(params, 0, &txh, err)) return false;
    bool found, failed;
    if (!tx_failed(ctx, &txh, &found, &failed, err)) return false;
    if (!found) {
        *result = json_null();
        return true;
    }
    if (!failed) {
        *result = json_string("0x");
        return true;
    }
    /* the replay's output: a revert's data, "0x" for a halt */
    return ots_view(ctx, params, TRACE_OTS_NONE, json_null(), result, err);
}

static bool by_sender_and_nonce(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    address a;
    uint64_t nonce;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = node_parse_count(rpc_arg(params, 1), &nonce))) return rpc_error_invalid_param(err, 1, why);
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    node_block nb;
    size_t index;
    bool found, ok = node_mined_by_sender_nonce(&r, &a, nonce, &nb, &index, &found, err);
    node_read_close(&r);
    if (ok && found) {
        *result = rpc_json_hash(&nb.b.txs[index].hash);
        node_block_free(&nb);
    }
    return ok;
}

/* ---- Blocks ---------------------------------------------------------------------------- */

/* Erigon's issuance of a block before the Merge (zeros after it). */
static json_t *issuance(node *n, const node_block *nb) {
    block_rules rules = node_rules(n, &nb->b.header);
    u256 block_reward = U256_ZERO, uncles = U256_ZERO;
    if (!u256_is_zero(&rules.block_reward) && nb->number) {
        block_reward = block_author_reward(&rules, nb->b.n_ommers);
        for (size_t i = 0; i < nb->b.n_ommers; i++) {
            u256 r = chain_ommer_reward(rules.fork, nb->number, nb->b.ommers[i].number);
            uncles = u256_add(&uncles, &r);
        }
    }
    u256 total = u256_add(&block_reward, &uncles);
    return json_pack("{s:o, s:o, s:o}", "blockReward", rpc_json_u256(&block_reward), "uncleReward",
                     rpc_json_u256(&uncles), "issuance", rpc_json_u256(&total));
}

static u256 total_fees(const node_block *nb) {
    const block_header *h = &nb->b.header;
    u256 sum = U256_ZERO;
    for (size_t i = 0; i < nb->b.n_txs && i < nb->n_receipts; i++) {
        u256 price = tx_effective_gas_price(&nb->b.txs[i], h->has_base_fee, &h->base_fee);
        u256 used = u256_from_u64(nb->receipts[i].gas_used), fee = u256_mul(&price, &used);
        sum = u256_add(&sum, &fee);
    }
    return sum;
}

/* Loads the block params[0] names (a hash when by_hash) with its receipts
 * and senders; -32001 when there is none. */
static bool load_block(node_read *r, const json_t *params, bool by_hash, node_block *nb, rpc_error *err) {
    uint64_t number;
    bytes32 hash;
    bool found;
    if (by_hash) {
        rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
        if (!parse_hash_arg(params, 0, &ref.hash, err)) return false;
        if (!node_resolve(r, &ref, &number, &hash, &found, err)) return false;
    } else if (!block_arg(r, params, 0, &number, &hash, &found, err)) {
        return false;
    }
    if (!found) return block_not_found(err);
    const char *why = node_block_load(r, number, &hash, NODE_LOAD_SENDERS | NODE_LOAD_RECEIPTS, nb);
    if (why == DB_NOT_FOUND) return block_not_found(err);
    return why ? store_error(err, why) : true;
}

static bool block_details(node *n, const json_t *params, bool by_hash, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_block nb;
    bool ok = load_block(&r, params, by_hash, &nb, err);
    node_read_close(&r);
    if (!ok) return false;
    json_t *block = node_json_block(&nb, false);
    json_object_del(block, "transactions");
    json_object_set_new(block, "transactionCount", json_integer((json_int_t)nb.b.n_txs));
    u256 fees = total_fees(&nb);
    *result = json_pack("{s:o, s:o, s:o}", "block", block, "issuance", issuance(n, &nb), "totalFees",
                        rpc_json_u256(&fees));
    node_block_free(&nb);
    return true;
}

static bool details_by_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return block_details(ctx, params, false, result, err);
}

static bool details_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return block_details(ctx, params, true, result, err);
}

/* Sets the success of the receipts that keep a state root instead of a
 * status (before Byzantium) from the block's Parity traces (per_tx, as
 * node_trace_block_replay gives them): whether the top frame failed. */
static void root_receipts_success(node_block *nb, const json_t *per_tx) {
    size_t i;
    json_t *e;
    json_array_foreach(per_tx, i, e) {
        if (i >= nb->n_receipts || !nb->receipts[i].has_root) continue;
        const json_t *top = json_array_get(json_object_get(json_object_get(e, "result"), "trace"), 0);
        nb->receipts[i].success = top && !json_object_get(top, "error");
    }
}

/* The config of the Parity traces the searches and the creator look at. */
static void parity_config(trace_config *cfg) {
    json_t *types = json_pack("[s]", "trace");
    char why[128];
    if (!types || !trace_config_parity(types, false, cfg, why, sizeof why)) abort();
    json_decref(types);
}

/* Receipt i as Otterscan lists it: logs and logsBloom null, the block's
 * timestamp added; a status also before Byzantium, in place of the state
 * root (reth's OtsReceipt), from root_receipts_success. */
static json_t *ots_receipt(const node_block *nb, size_t i, bool slim) {
    json_t *o = node_json_receipt(nb, i);
    if (nb->receipts[i].has_root) {
        json_object_del(o, "root");
        json_object_set_new(o, "status", rpc_json_u64(nb->receipts[i].success ? 1 : 0));
    }
    if (slim) {
        json_object_set_new(o, "logs", json_null());
        json_object_set_new(o, "logsBloom", json_null());
    }
    json_object_set_new(o, "timestamp", rpc_json_u64(nb->b.header.timestamp));
    return o;
}

static bool block_transactions(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 3, 3, err)) return false;
    uint64_t page, size;
    const char *why = node_parse_count(rpc_arg(params, 1), &page);
    if (why) return rpc_error_invalid_param(err, 1, why);
    if ((why = node_parse_count(rpc_arg(params, 2), &size))) return rpc_error_invalid_param(err, 2, why);
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    node_block nb;
    bool ok = load_block(&r, params, false, &nb, err);
    if (ok && nb.n_receipts && nb.receipts[0].has_root) {
        /* before Byzantium: the statuses from a replay */
        trace_config cfg;
        parity_config(&cfg);
        json_t *per_tx;
        ok = node_trace_block_replay(ctx, &r, nb.number, &nb.hash, &cfg, NULL, &per_tx, err);
        if (ok) {
            root_receipts_success(&nb, per_tx);
            json_decref(per_tx);
        } else {
            node_block_free(&nb);
        }
    }
    node_read_close(&r);
    if (!ok) return false;
    size_t n = nb.b.n_txs;
    uint64_t start = size && page > n / size ? n : page * size;
    uint64_t end = start + size > n || start + size < start ? n : start + size;
    json_t *block = node_json_block(&nb, true);
    json_t *all = json_object_get(block, "transactions"), *txs = json_array(), *receipts = json_array();
    for (uint64_t i = start; i < end; i++) {
        /* the input cut to its selector, as Erigon and anvil */
        json_t *tx = json_array_get(all, i);
        const char *input = json_string_value(json_object_get(tx, "input"));
        if (input && strlen(input) > 10) json_object_set_new(tx, "input", json_stringn(input, 10));
        json_array_append(txs, tx);
        json_array_append_new(receipts, ots_receipt(&nb, i, true));
    }
    json_object_set_new(block, "transactions", txs);
    json_object_set_new(block, "transactionCount", json_integer((json_int_t)n));
    *result = json_pack("{s:o, s:o}", "fullblock", block, "receipts", receipts);
    node_block_free(&nb);
    return true;
}

/* ---- Searches -------------------------------------------------------------------------- */

static bool same(const json_t *v, const char *addr) {
    const char *s = json_string_value(v);
    return s && !strcmp(s, addr);
}

/* Whether a Parity trace names the address: a call's sender or target, a
 * creation's sender or new contract, a self-destruct's contract or
 * beneficiary. */
static bool trace_has(const json_t *t, const char *addr) {
    const json_t *a = json_object_get(t, "action");
    return same(json_object_get(a, "from"), addr) || same(json_object_get(a, "to"), addr) ||
           same(json_object_get(a, "address"), addr) || same(json_object_get(a, "refundAddress"), addr) ||
           same(json_object_get(json_object_get(t, "result"), "address"), addr);
}

typedef struct {
    node *n;
    node_read *r;
    char addr[43];             /* lower-case hex, as the traces write it */
    json_t *txs, *receipts;    /* newest first */
    bool oldest_first;         /* blocks come oldest first (After): each goes in front */
    size_t found, traced;
} ots_search;

/* Appends block number's transactions that touch the address, last first. */
static bool search_block(ots_search *s, uint64_t number, rpc_error *err) {
    bytes32 hash;
    block_header h;
    const char *why = db_canonical_hash(s->r->snap, number, &hash);
    if (!why) why = node_header(s->r, number, &hash, &h);
    if (why) return store_error(err, why);
    if (bytes32_eq(&h.tx_root, &EMPTY_TRIE_ROOT)) return true;
    s->traced++;
    trace_config cfg;
    parity_config(&cfg);
    json_t *per_tx;
    if (!node_trace_block_replay(s->n, s->r, number, &hash, &cfg, NULL, &per_tx, err)) return false;
    size_t n_tx = json_array_size(per_tx);
    bool *hit = calloc(n_tx ? n_tx : 1, sizeof *hit);
    if (!hit) abort();
    size_t any = 0, i, k;
    json_t *e, *t;
    json_array_foreach(per_tx, i, e) {
        json_array_foreach(json_object_get(json_object_get(e, "result"), "trace"), k, t) {
            if (trace_has(t, s->addr)) hit[i] = true;
        }
        any += hit[i];
    }
    bool ok = true;
    if (any) {
        node_block nb;
        why = node_block_load(s->r, number, &hash, NODE_LOAD_SENDERS | NODE_LOAD_RECEIPTS, &nb);
        if (why) {
            ok = store_error(err, why);
        } else {
            root_receipts_success(&nb, per_tx);
            size_t pos = s->oldest_first ? 0 : json_array_size(s->txs);
            for (size_t j = n_tx; j-- > 0;) {
                if (!hit[j] || j >= nb.b.n_txs) continue;
                node_tx_place at = node_tx_place_at(&nb, j);
                json_array_insert_new(s->txs, pos, node_json_tx(&nb.b.txs[j], &at));
                json_array_insert_new(s->receipts, pos++, ots_receipt(&nb, j, false));
                s->found++;
            }
            node_block_free(&nb);
        }
    }
    json_decref(per_tx);
    free(hit);
    return ok;
}

static bool search(node *n, const json_t *params, bool before, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 3, 3, err)) return false;
    address a;
    uint64_t size;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = node_parse_count(rpc_arg(params, 2), &size))) return rpc_error_invalid_param(err, 2, why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t at = 0;
    bytes32 h;
    bool found = true, ok = true;
    /* 0 starts from the head (Before) or block 1 (After); so do "latest"
     * and "pending" for Before, "earliest" for After */
    const json_t *v = rpc_arg(params, 1);
    const char *tag = json_string_value(v);
    uint64_t zero;
    bool from_end = (lenient_number(v, &zero) && zero == 0) || (tag && !strcmp(tag, "0x0")) ||
                    (tag && before && (!strcmp(tag, "latest") || !strcmp(tag, "pending"))) ||
                    (tag && !before && !strcmp(tag, "earliest"));
    if (!from_end) ok = block_arg(&r, params, 1, &at, &h, &found, err);
    if (ok && !found) at = r.head + 1; /* past the head: Before starts at the head */
    ots_search s = {.n = n, .r = &r, .txs = json_array(), .receipts = json_array()};
    json_t *addr = rpc_json_address(&a);
    snprintf(s.addr, sizeof s.addr, "%s", json_string_value(addr));
    json_decref(addr);
    bool first = false, last = false, short_page = false;
    if (ok && before) {
        uint64_t from = at == 0 || at > r.head ? r.head : at - 1;
        first = from >= r.head;
        uint64_t b = from;
        for (; ok && b >= 1 && s.found < size; b--) {
            if (s.traced >= OTS_SEARCH_MAX_TRACED) {
                short_page = true;
                break;
            }
            ok = search_block(&s, b, err);
        }
        last = ok && !short_page && b == 0;
    } else if (ok) {
        s.oldest_first = true;
        uint64_t from = at == 0 ? 1 : at + 1;
        last = from <= 1;
        uint64_t b = from;
        for (; ok && b <= r.head && s.found < size; b++) {
            if (s.traced >= OTS_SEARCH_MAX_TRACED) {
                short_page = true;
                break;
            }
            ok = search_block(&s, b, err);
        }
        first = ok && !short_page && b > r.head;
    }
    node_read_close(&r);
    if (ok && short_page && !s.found)
        ok = rpc_error_set(err, RPC_LIMIT_EXCEEDED,
                           "no transaction of the address in %d blocks with transactions; this node keeps no address "
                           "index: search from an earlier or later block",
                           OTS_SEARCH_MAX_TRACED);
    if (!ok) {
        json_decref(s.txs);
        json_decref(s.receipts);
        return false;
    }
    *result = json_pack("{s:o, s:o, s:b, s:b}", "txs", s.txs, "receipts", s.receipts, "firstPage", first,
                        "lastPage", last);
    return true;
}

static bool search_before(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return search(ctx, params, true, result, err);
}

static bool search_after(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return search(ctx, params, false, result, err);
}

/* ---- The creator of a contract --------------------------------------------------------- */

/* The first block after which a has code (by bisection; 0 when the
 * genesis has it). */
static bool first_block_with_code(node_read *r, const address *a, uint64_t *block, rpc_error *err) {
    uint64_t lo = 0, hi = r->head;
    bool has;
    bytes32 hash;
    const char *why = db_canonical_hash(r->snap, 0, &hash);
    if (why) return store_error(err, why);
    if (!code_after(r, 0, &hash, a, &has, err)) return false;
    if (has) {
        *block = 0;
        return true;
    }
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((why = db_canonical_hash(r->snap, mid, &hash))) return store_error(err, why);
        if (!code_after(r, mid, &hash, a, &has, err)) return false;
        if (has) hi = mid;
        else lo = mid;
    }
    *block = hi;
    return true;
}

/* {hash, creator} of the first creation of want among a transaction's
 * Parity traces that succeeded with every frame above it, or NULL. */
static json_t *creation_in(const json_t *traces, const json_t *want, const json_t *txh) {
    enum { MAX = 1026 };
    bool *failed = calloc(MAX + 1, sizeof *failed);
    if (!failed) abort();
    json_t *found = NULL;
    size_t k;
    json_t *t;
    json_array_foreach(traces, k, t) {
        size_t d = json_array_size(json_object_get(t, "traceAddress"));
        if (d >= MAX) continue;
        failed[d + 1] = failed[d] || json_object_get(t, "error");
        const char *type = json_string_value(json_object_get(t, "type"));
        if (failed[d + 1] || !type || strcmp(type, "create")) continue;
        if (!json_equal(json_object_get(json_object_get(t, "result"), "address"), want)) continue;
        found = json_pack("{s:O, s:O}", "hash", txh, "creator", json_object_get(json_object_get(t, "action"), "from"));
        break;
    }
    free(failed);
    return found;
}

static bool contract_creator(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    address a;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    bool has = false, ok = !r.has_head || code_after(&r, r.head, &r.head_hash, &a, &has, err);
    uint64_t number = 0;
    if (ok && has) ok = first_block_with_code(&r, &a, &number, err);
    json_t *per_tx = NULL;
    bytes32 hash;
    if (ok && has && number > 0) {
        trace_config cfg;
        parity_config(&cfg);
        if ((why = db_canonical_hash(r.snap, number, &hash))) ok = store_error(err, why);
        else ok = node_trace_block_replay(n, &r, number, &hash, &cfg, NULL, &per_tx, err);
    }
    node_read_close(&r);
    if (!ok) return false;
    json_t *want = rpc_json_address(&a);
    size_t i;
    json_t *e;
    json_array_foreach(per_tx, i, e) {
        *result = creation_in(json_object_get(json_object_get(e, "result"), "trace"), want, json_object_get(e, "txHash"));
        if (*result) break;
    }
    json_decref(want);
    json_decref(per_tx);
    return true;
}

void node_register_otterscan(node *n, rpc_methods *m) {
    rpc_methods_add(m, "ots_getApiLevel", api_level, n);
    rpc_methods_add(m, "ots_getHeaderByNumber", header_by_number, n);
    rpc_methods_add(m, "erigon_getHeaderByNumber", header_by_number, n);
    rpc_methods_add(m, "ots_hasCode", has_code, n);
    rpc_methods_add(m, "ots_traceTransaction", ots_trace_transaction, n);
    rpc_methods_add(m, "ots_getInternalOperations", internal_operations, n);
    rpc_methods_add(m, "ots_getTransactionError", transaction_error, n);
    rpc_methods_add(m, "ots_getBlockDetails", details_by_number, n);
    rpc_methods_add(m, "ots_getBlockDetailsByHash", details_by_hash, n);
    rpc_methods_add(m, "ots_getBlockTransactions", block_transactions, n);
    rpc_methods_add(m, "ots_searchTransactionsBefore", search_before, n);
    rpc_methods_add(m, "ots_searchTransactionsAfter", search_after, n);
    rpc_methods_add(m, "ots_getTransactionBySenderAndNonce", by_sender_and_nonce, n);
    rpc_methods_add(m, "ots_getContractCreator", contract_creator, n);
}
