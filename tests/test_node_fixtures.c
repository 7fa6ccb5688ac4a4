/* The node over chains imported from BlockchainTests (chain_init, then
 * every block through node_import_block: the chain layer's importer on the
 * node's writer thread): every block, transaction, withdrawal, uncle and
 * receipt the JSON-RPC methods return is compared field by field with the
 * fixture's own JSON (its blockHeader, transactions, withdrawals,
 * uncleHeaders and postState), and each block's raw receipts must give the
 * header's receipts root again. Covers legacy to blob transactions,
 * withdrawals, uncles and pre-Byzantium receipts. A missing fixture file
 * fails. */
#include "test.h"
#include <stdio.h>
#include <unistd.h>
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rlp.h"
#include "parevm/rpc_codec.h"
#include "parevm/trie.h"
#include "engine_helpers.h"

/* ---- Comparing fixture JSON with the node's ----------------------------------------- */

static int mismatches, compared;

static void same_num(const json_t *fix, const char *fk, const json_t *got, const char *gk, const char *what) {
    u256 a, b;
    const json_t *fv = json_object_get(fix, fk), *gv = json_object_get(got, gk);
    if (!fv) return; /* the fixture does not have it */
    compared++;
    if (!eh_num(fv, &a) || !eh_num(gv, &b) || !u256_eq(&a, &b)) {
        fprintf(stderr, "  %s.%s: fixture %s, node %s\n", what, gk, json_string_value(fv),
                gv ? (json_string_value(gv) ? json_string_value(gv) : "(not a string)") : "(missing)");
        mismatches++;
    }
}

static void same_str(const json_t *fix, const char *fk, const json_t *got, const char *gk, const char *what) {
    const json_t *fv = json_object_get(fix, fk), *gv = json_object_get(got, gk);
    if (!fv) return;
    compared++;
    const char *a = json_string_value(fv), *b = json_string_value(gv);
    if (!a || !b || strcasecmp(a, b)) {
        fprintf(stderr, "  %s.%s: fixture %s, node %s\n", what, gk, a ? a : "?", b ? b : "(missing)");
        mismatches++;
    }
}

static json_t *call(node *n, const char *method, const char *params) {
    char body[4096];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    size_t len;
    char *out = rpc_process(node_methods(n), body, strlen(body), 0, &len);
    json_t *r = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (res) json_incref(res);
    else {
        fprintf(stderr, "  %s %s failed\n", method, params);
        mismatches++;
    }
    json_decref(r);
    return res;
}

static void check_header(const json_t *fh, const json_t *b, const char *what) {
    static const char *const strs[][2] = {
        {"hash", "hash"}, {"parentHash", "parentHash"}, {"uncleHash", "sha3Uncles"}, {"coinbase", "miner"},
        {"stateRoot", "stateRoot"}, {"transactionsTrie", "transactionsRoot"}, {"receiptTrie", "receiptsRoot"},
        {"bloom", "logsBloom"}, {"extraData", "extraData"}, {"mixHash", "mixHash"}, {"nonce", "nonce"},
        {"withdrawalsRoot", "withdrawalsRoot"}, {"parentBeaconBlockRoot", "parentBeaconBlockRoot"},
        {"requestsHash", "requestsHash"},
    };
    static const char *const nums[] = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp",
                                       "baseFeePerGas", "blobGasUsed", "excessBlobGas"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) same_str(fh, strs[i][0], b, strs[i][1], what);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) same_num(fh, nums[i], b, nums[i], what);
}

static void check_tx(const json_t *ft, const json_t *t, const char *what) {
    static const char *const nums[][2] = {
        {"nonce", "nonce"}, {"gasLimit", "gas"}, {"value", "value"}, {"v", "v"}, {"r", "r"}, {"s", "s"},
        {"maxFeePerGas", "maxFeePerGas"}, {"maxPriorityFeePerGas", "maxPriorityFeePerGas"}, {"chainId", "chainId"},
        {"maxFeePerBlobGas", "maxFeePerBlobGas"}, {"type", "type"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) same_num(ft, nums[i][0], t, nums[i][1], what);
    same_str(ft, "data", t, "input", what);
    same_str(ft, "sender", t, "from", what);
    /* the legacy price is the price; a dynamic fee's is the effective one */
    if (!json_object_get(ft, "maxFeePerGas")) same_num(ft, "gasPrice", t, "gasPrice", what);
    const json_t *to = json_object_get(ft, "to");
    if (to && !strcmp(json_string_value(to), "")) {
        if (!json_is_null(json_object_get(t, "to"))) {
            fprintf(stderr, "  %s: a creation's to must be null\n", what);
            mismatches++;
        }
    } else {
        same_str(ft, "to", t, "to", what);
    }
    const json_t *al = json_object_get(ft, "accessList");
    if (al && json_array_size(al) != json_array_size(json_object_get(t, "accessList"))) {
        fprintf(stderr, "  %s: access list size\n", what);
        mismatches++;
    }
    for (size_t i = 0; al && i < json_array_size(al); i++) {
        const json_t *fe = json_array_get(al, i), *ge = json_array_get(json_object_get(t, "accessList"), i);
        same_str(fe, "address", ge, "address", what);
        const json_t *fk = json_object_get(fe, "storageKeys"), *gk = json_object_get(ge, "storageKeys");
        for (size_t k = 0; k < json_array_size(fk); k++)
            if (strcasecmp(json_string_value(json_array_get(fk, k)), json_string_value(json_array_get(gk, k)) ?: "")) {
                fprintf(stderr, "  %s: access list key %zu\n", what, k);
                mismatches++;
            }
    }
    const json_t *bh = json_object_get(ft, "blobVersionedHashes");
    for (size_t i = 0; bh && i < json_array_size(bh); i++)
        if (strcasecmp(json_string_value(json_array_get(bh, i)),
                       json_string_value(json_array_get(json_object_get(t, "blobVersionedHashes"), i)) ?: "")) {
            fprintf(stderr, "  %s: blob hash %zu\n", what, i);
            mismatches++;
        }
}

/* The block's raw receipts give its receipts root again; the receipts JSON
 * adds up to the header. */
static void check_receipts(node *n, const json_t *b, const char *what) {
    char p[128];
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(json_object_get(b, "hash")));
    json_t *raw = call(n, "debug_getRawReceipts", p);
    json_t *rcs = call(n, "eth_getBlockReceipts", p);
    size_t k = json_array_size(raw);
    byte_span *v = calloc(k ? k : 1, sizeof *v);
    uint8_t **bufs = calloc(k ? k : 1, sizeof *bufs);
    for (size_t i = 0; i < k; i++) {
        size_t len;
        if (!hex_decode_alloc(json_string_value(json_array_get(raw, i)), &bufs[i], &len)) mismatches++;
        v[i] = (byte_span){bufs[i], len};
    }
    bytes32 root = trie_root_ordered(v, k);
    char hex[67];
    hex_encode(root.b, 32, hex);
    if (strcmp(hex, json_string_value(json_object_get(b, "receiptsRoot")))) {
        fprintf(stderr, "  %s: raw receipts give root %s\n", what, hex);
        mismatches++;
    }
    uint64_t gas = 0, last = 0;
    for (size_t i = 0; i < json_array_size(rcs); i++) {
        const json_t *r = json_array_get(rcs, i);
        uint64_t g = 0, c = 0;
        hex_to_u64(json_string_value(json_object_get(r, "gasUsed")), &g);
        hex_to_u64(json_string_value(json_object_get(r, "cumulativeGasUsed")), &c);
        gas += g;
        last = c;
        if (c != gas || strcmp(json_string_value(json_object_get(r, "blockHash")), json_string_value(json_object_get(b, "hash")))) {
            fprintf(stderr, "  %s: receipt %zu gas or block hash\n", what, i);
            mismatches++;
        }
    }
    uint64_t used = 0;
    hex_to_u64(json_string_value(json_object_get(b, "gasUsed")), &used);
    if (json_array_size(rcs) != json_array_size(json_object_get(b, "transactions")) || last != (json_array_size(rcs) ? used : 0)) {
        fprintf(stderr, "  %s: receipts do not add up to the block\n", what);
        mismatches++;
    }
    for (size_t i = 0; i < k; i++) free(bufs[i]);
    free(bufs);
    free(v);
    json_decref(raw);
    json_decref(rcs);
}

/* eth_getUncleBy{Hash,Number}AndIndex: each ommer's header as the fixture
 * has it, with no transactions or ommers of its own; past the last, null. */
static void check_uncles(node *n, const json_t *fu, const json_t *b, const char *what) {
    const char *hash = json_string_value(json_object_get(b, "hash")), *num = json_string_value(json_object_get(b, "number"));
    if (!hash || !num) return;
    char p[256], w[300];
    for (size_t i = 0; i <= json_array_size(fu); i++) {
        snprintf(p, sizeof p, "[\"%s\",\"0x%zx\"]", hash, i);
        json_t *u = call(n, "eth_getUncleByBlockHashAndIndex", p);
        snprintf(p, sizeof p, "[\"%s\",\"0x%zx\"]", num, i);
        json_t *v = call(n, "eth_getUncleByBlockNumberAndIndex", p);
        snprintf(w, sizeof w, "%s uncle %zu", what, i);
        if (i == json_array_size(fu)) {
            if (!json_is_null(u) || !json_is_null(v)) {
                fprintf(stderr, "  %s: past the last ommer, not null\n", w);
                mismatches++;
            }
        } else if (!json_is_object(u) || !json_equal(u, v)) {
            fprintf(stderr, "  %s: missing, or by hash and by number differ\n", w);
            mismatches++;
        } else {
            check_header(json_array_get(fu, i), u, w);
            if (json_array_size(json_object_get(u, "transactions")) || json_array_size(json_object_get(u, "uncles")))
                mismatches++;
        }
        json_decref(u);
        json_decref(v);
    }
}

/* Parity's trace_block: the transactions' traces, each transaction's
 * trace_transaction in order, then before the Merge the rewards (the
 * fixtures' pre-Merge chains are Frontier/Homestead: 5 ether) -- the
 * author's with 1/32 more per ommer, then each ommer's, (8 + ommer number
 * - number) / 8 of it. */
static void check_parity_traces(node *n, const json_t *fb, const json_t *b, const char *what) {
    const json_t *fh = json_object_get(fb, "blockHeader"), *fu = json_object_get(fb, "uncleHeaders");
    char p[128], w[300];
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(json_object_get(fh, "hash")));
    json_t *all = call(n, "trace_block", p);
    if (!json_is_array(all)) {
        fprintf(stderr, "  %s: trace_block is not a list\n", what);
        mismatches++;
        json_decref(all);
        return;
    }
    size_t k = 0;
    const json_t *txs = json_object_get(b, "transactions");
    for (size_t i = 0; i < json_array_size(txs); i++) {
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(json_object_get(json_array_get(txs, i), "hash")));
        json_t *ts = call(n, "trace_transaction", p);
        for (size_t j = 0; j < json_array_size(ts); j++, k++)
            if (!json_equal(json_array_get(ts, j), json_array_get(all, k))) {
                fprintf(stderr, "  %s: trace_block's trace %zu is not tx %zu's trace_transaction\n", what, k, i);
                mismatches++;
            }
        if (!json_array_size(ts)) mismatches++;
        json_decref(ts);
    }
    uint64_t difficulty = 0, number = 0;
    hex_to_u64(json_string_value(json_object_get(fh, "difficulty")), &difficulty);
    hex_to_u64(json_string_value(json_object_get(fh, "number")), &number);
    size_t rewards = difficulty ? 1 + json_array_size(fu) : 0;
    if (json_array_size(all) != k + rewards) {
        fprintf(stderr, "  %s: trace_block has %zu traces, want %zu\n", what, json_array_size(all), k + rewards);
        mismatches++;
        json_decref(all);
        return;
    }
    const uint64_t base = 5000000000000000000ULL;
    for (size_t r = 0; r < rewards; r++) {
        const json_t *t = json_array_get(all, k + r), *a = json_object_get(t, "action");
        const json_t *who = r ? json_array_get(fu, r - 1) : fh;
        uint64_t value = 0, un = 0, want = base + base / 32 * json_array_size(fu);
        if (r) {
            hex_to_u64(json_string_value(json_object_get(who, "number")), &un);
            want = (8 + un - number) * (base / 8);
        }
        hex_to_u64(json_string_value(json_object_get(a, "value")), &value);
        snprintf(w, sizeof w, "%s reward %zu", what, r);
        compared++;
        if (strcmp(json_string_value(json_object_get(t, "type")), "reward") ||
            strcmp(json_string_value(json_object_get(a, "rewardType")), r ? "uncle" : "block") ||
            strcasecmp(json_string_value(json_object_get(a, "author")), json_string_value(json_object_get(who, "coinbase"))) ||
            value != want || !json_is_null(json_object_get(t, "transactionHash"))) {
            fprintf(stderr, "  %s: %s\n", w, json_dumps(t, JSON_COMPACT));
            mismatches++;
        }
    }
    json_decref(all);
}

/* ---- Otterscan's ots_* against the node's other methods ------------------------------- */

static void ots_fail(const char *what, const char *detail, const json_t *got) {
    char *d = got ? json_dumps(got, JSON_COMPACT) : NULL;
    fprintf(stderr, "  %s: %s%s%.300s\n", what, detail, d ? ": " : "", d ? d : "");
    free(d);
    mismatches++;
}

static json_t *callf(node *n, const char *method, const char *fmt, const char *a, const char *b) {
    char p[512];
    snprintf(p, sizeof p, fmt, a, b);
    return call(n, method, p);
}

static bool hex_is(const json_t *v, uint64_t want) {
    uint64_t got;
    return json_is_string(v) && hex_to_u64(json_string_value(v), &got) && got == want;
}

static const char *upper(const char *s, char *buf, size_t cap) {
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++) buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    buf[i] = 0;
    return buf;
}

static void check_ots_frames(const json_t *parity, const json_t *ots, const char *what);

/* A zero-value call to a precompile below the top (these chains' forks
 * have 1 to 0x0a): Parity's traces leave it out, Otterscan's list has it. */
static bool precompile_call(const json_t *e) {
    const char *to = json_string_value(json_object_get(e, "to"));
    uint64_t a = 0;
    return json_integer_value(json_object_get(e, "depth")) > 0 && to && strlen(to) == 42 &&
           !strncmp(to, "0x00000000000000000000000000000000000000", 40) && hex_to_u64(to, &a) && a >= 1 && a <= 0x0a &&
           !strcmp(json_string_value(json_object_get(e, "value")), "0x0");
}

/* ots_traceTransaction's entries are trace_transaction's frames (and the
 * precompile calls those leave out): type, depth (the trace address'
 * length), sender and target. */
static void check_ots_trace(const json_t *parity, const json_t *all, const char *what) {
    compared++;
    json_t *ots = json_array();
    for (size_t k = 0; k < json_array_size(all); k++)
        if (!precompile_call(json_array_get(all, k))) json_array_append(ots, json_array_get(all, k));
    check_ots_frames(parity, ots, what);
    json_decref(ots);
}

static void check_ots_frames(const json_t *parity, const json_t *ots, const char *what) {
    if (json_array_size(parity) != json_array_size(ots)) return ots_fail(what, "ots trace length", ots);
    for (size_t k = 0; k < json_array_size(ots); k++) {
        const json_t *t = json_array_get(parity, k), *e = json_array_get(ots, k);
        const json_t *a = json_object_get(t, "action"), *res = json_object_get(t, "result");
        const char *type = json_string_value(json_object_get(t, "type"));
        char want[32];
        const json_t *from = json_object_get(a, "from"), *to = json_object_get(a, "to");
        if (!strcmp(type, "create")) {
            upper(json_string_value(json_object_get(a, "creationMethod")), want, sizeof want);
            to = json_object_get(res, "address");
        } else if (!strcmp(type, "suicide")) {
            snprintf(want, sizeof want, "SELFDESTRUCT");
            from = json_object_get(a, "address");
            to = json_object_get(a, "refundAddress");
        } else {
            upper(json_string_value(json_object_get(a, "callType")), want, sizeof want);
        }
        if (strcmp(json_string_value(json_object_get(e, "type")), want) ||
            json_integer_value(json_object_get(e, "depth")) !=
                (json_int_t)json_array_size(json_object_get(t, "traceAddress")) ||
            !json_equal(json_object_get(e, "from"), from) || (to && !json_equal(json_object_get(e, "to"), to)))
            return ots_fail(what, "ots trace entry", e);
    }
}

/* ots_getInternalOperations from the Parity frames, by anvil's rule: a
 * frame that self-destructed gives type 1 (to its beneficiary), else a
 * CALL moving value type 0, a creation 2 or 3. */
static void check_ots_operations(const json_t *parity, const json_t *ops, const char *what) {
    size_t k, i = 0;
    const json_t *t;
    compared++;
    json_array_foreach(parity, k, t) {
        const json_t *a = json_object_get(t, "action"), *res = json_object_get(t, "result");
        const char *type = json_string_value(json_object_get(t, "type"));
        if (!strcmp(type, "suicide")) continue;
        const json_t *child = json_array_get(parity, k + 1), *sd = NULL;
        size_t depth = json_array_size(json_object_get(t, "traceAddress"));
        for (size_t j = k + 1; (child = json_array_get(parity, j)); j++) {
            size_t d = json_array_size(json_object_get(child, "traceAddress"));
            if (d <= depth) break;
            if (d == depth + 1 && !strcmp(json_string_value(json_object_get(child, "type")), "suicide")) sd = child;
        }
        json_int_t want;
        const json_t *to = json_object_get(a, "to"), *value = json_object_get(a, "value");
        bool create = !strcmp(type, "create");
        if (sd) {
            want = 1;
            to = json_object_get(json_object_get(sd, "action"), "refundAddress");
            value = json_object_get(json_object_get(sd, "action"), "balance");
        } else if (create) {
            want = strcmp(json_string_value(json_object_get(a, "creationMethod")), "create2") ? 2 : 3;
            to = json_object_get(res, "address");
        } else if (!strcmp(json_string_value(json_object_get(a, "callType")), "call") &&
                   strcmp(json_string_value(value), "0x0")) {
            want = 0;
        } else {
            continue;
        }
        const json_t *op = json_array_get(ops, i++);
        if (!op || json_integer_value(json_object_get(op, "type")) != want ||
            (to && !json_equal(json_object_get(op, "to"), to)) || !json_equal(json_object_get(op, "value"), value) ||
            (!sd && !json_equal(json_object_get(op, "from"), json_object_get(a, "from"))))
            return ots_fail(what, "internal operation", op ? op : ops);
    }
    if (i != json_array_size(ops)) ots_fail(what, "internal operations count", ops);
}

static void check_ots_tx(node *n, const json_t *tx, const json_t *receipt, const char *what) {
    const char *h = json_string_value(json_object_get(tx, "hash"));
    const char *from = json_string_value(json_object_get(tx, "from"));
    json_t *parity = callf(n, "trace_transaction", "[\"%s\"]", h, NULL);
    json_t *ots = callf(n, "ots_traceTransaction", "[\"%s\"]", h, NULL);
    check_ots_trace(parity, ots, what);
    json_t *ops = callf(n, "ots_getInternalOperations", "[\"%s\"]", h, NULL);
    check_ots_operations(parity, ops, what);
    json_t *error = callf(n, "ots_getTransactionError", "[\"%s\"]", h, NULL);
    bool ok = hex_is(json_object_get(receipt, "status"), 1) || !json_object_get(receipt, "status");
    compared++;
    if (!json_is_string(error) || (ok && strcmp(json_string_value(error), "0x")))
        ots_fail(what, "transaction error", error);
    /* the bisection over the sender's nonce finds it */
    uint64_t nonce = 0;
    hex_to_u64(json_string_value(json_object_get(tx, "nonce")), &nonce);
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)nonce);
    json_t *by_nonce = callf(n, "ots_getTransactionBySenderAndNonce", "[\"%s\",%s]", from, num);
    compared++;
    if (!json_is_string(by_nonce) || strcasecmp(json_string_value(by_nonce), h))
        ots_fail(what, "by sender and nonce", by_nonce);
    /* a contract it created (and still there) names it as its creator */
    const char *created = json_string_value(json_object_get(receipt, "contractAddress"));
    if (created && ok) {
        json_t *code = callf(n, "eth_getCode", "[\"%s\",\"latest\"]", created, NULL);
        json_t *has = callf(n, "ots_hasCode", "[\"%s\",\"latest\"]", created, NULL);
        json_t *creator = callf(n, "ots_getContractCreator", "[\"%s\"]", created, NULL);
        bool live = json_is_string(code) && strcmp(json_string_value(code), "0x");
        compared++;
        if (!json_is_boolean(has) || json_is_true(has) != live) ots_fail(what, "hasCode", has);
        if (live && (!json_is_object(creator) || strcasecmp(json_string_value(json_object_get(creator, "hash")), h) ||
                     strcasecmp(json_string_value(json_object_get(creator, "creator")), from)))
            ots_fail(what, "contract creator", creator);
        json_decref(code);
        json_decref(has);
        json_decref(creator);
    }
    json_decref(parity);
    json_decref(ots);
    json_decref(ops);
    json_decref(error);
    json_decref(by_nonce);
}

/* ots_getBlockDetails(ByHash) and ots_getBlockTransactions against
 * eth_getBlockByHash and the receipts: the same fields, the issuance by
 * the rewards' formula (5 ether in these pre-Merge chains, 1/32 more per
 * ommer; an ommer (8 + its number - number) / 8 of it), the fees. */
static void check_otterscan(node *n, const json_t *fb, const json_t *b, const char *what) {
    const json_t *fh = json_object_get(fb, "blockHeader"), *fu = json_object_get(fb, "uncleHeaders");
    const char *number = json_string_value(json_object_get(b, "number"));
    const char *hash = json_string_value(json_object_get(b, "hash"));
    const json_t *txs = json_object_get(b, "transactions");
    json_t *details = callf(n, "ots_getBlockDetails", "[\"%s\"]", number, NULL);
    json_t *by_hash = callf(n, "ots_getBlockDetailsByHash", "[\"%s\"]", hash, NULL);
    compared++;
    if (!json_equal(details, by_hash)) ots_fail(what, "details by hash differ", by_hash);
    json_t *slim = json_deep_copy(b);
    json_object_del(slim, "transactions");
    json_object_set_new(slim, "transactionCount", json_integer((json_int_t)json_array_size(txs)));
    if (!json_equal(json_object_get(details, "block"), slim)) ots_fail(what, "details' block", details);
    json_decref(slim);
    uint64_t difficulty = 0, num = 0;
    hex_to_u64(json_string_value(json_object_get(fh, "difficulty")), &difficulty);
    hex_to_u64(number, &num);
    const uint64_t base = 5000000000000000000ULL;
    uint64_t block_reward = difficulty ? base + base / 32 * json_array_size(fu) : 0, uncles = 0;
    for (size_t i = 0; difficulty && i < json_array_size(fu); i++) {
        uint64_t un = 0;
        hex_to_u64(json_string_value(json_object_get(json_array_get(fu, i), "number")), &un);
        uncles += (8 + un - num) * (base / 8);
    }
    const json_t *iss = json_object_get(details, "issuance");
    if (!hex_is(json_object_get(iss, "blockReward"), block_reward) || !hex_is(json_object_get(iss, "uncleReward"), uncles) ||
        !hex_is(json_object_get(iss, "issuance"), block_reward + uncles))
        ots_fail(what, "issuance", iss);
    json_t *page = callf(n, "ots_getBlockTransactions", "[\"%s\",0,1000]", number, NULL);
    const json_t *full = json_object_get(page, "fullblock"), *receipts = json_object_get(page, "receipts");
    if (json_array_size(json_object_get(full, "transactions")) != json_array_size(txs) ||
        json_array_size(receipts) != json_array_size(txs) ||
        !json_equal(json_object_get(full, "transactionCount"), json_object_get(json_object_get(details, "block"), "transactionCount")))
        ots_fail(what, "block transactions", page);
    u256 fees = U256_ZERO;
    for (size_t i = 0; i < json_array_size(txs); i++) {
        const json_t *tx = json_array_get(txs, i);
        char w[300];
        snprintf(w, sizeof w, "%s tx %zu", what, i);
        json_t *r = callf(n, "eth_getTransactionReceipt", "[\"%s\"]", json_string_value(json_object_get(tx, "hash")), NULL);
        u256 used, price;
        if (eh_num(json_object_get(r, "gasUsed"), &used) && eh_num(json_object_get(r, "effectiveGasPrice"), &price)) {
            u256 fee = u256_mul(&used, &price);
            fees = u256_add(&fees, &fee);
        }
        json_t *want = json_deep_copy(r);
        json_object_set_new(want, "logs", json_null());
        json_object_set_new(want, "logsBloom", json_null());
        json_object_set(want, "timestamp", json_object_get(b, "timestamp"));
        if (json_object_get(want, "root")) {
            /* before Byzantium: a status (the replay's) in place of the root */
            json_t *tr = callf(n, "trace_transaction", "[\"%s\"]", json_string_value(json_object_get(tx, "hash")), NULL);
            bool failed = json_object_get(json_array_get(tr, 0), "error") != NULL;
            json_object_del(want, "root");
            json_object_set_new(want, "status", json_string(failed ? "0x0" : "0x1"));
            json_decref(tr);
        }
        if (!json_equal(json_array_get(receipts, i), want)) ots_fail(w, "page receipt", json_array_get(receipts, i));
        json_t *cut = json_deep_copy(tx);
        const char *input = json_string_value(json_object_get(cut, "input"));
        if (input && strlen(input) > 10) json_object_set_new(cut, "input", json_stringn(input, 10));
        if (!json_equal(json_array_get(json_object_get(full, "transactions"), i), cut)) ots_fail(w, "page transaction", cut);
        json_decref(cut);
        json_decref(want);
        check_ots_tx(n, tx, r, w);
        json_decref(r);
    }
    u256 got;
    if (!eh_num(json_object_get(details, "totalFees"), &got) || !u256_eq(&got, &fees))
        ots_fail(what, "totalFees", details);
    json_decref(page);
    json_decref(details);
    json_decref(by_hash);
}

/* A search over the whole chain for the first transaction's sender: every
 * transaction it sent, newest first, the same both ways. */
static void check_ots_search(node *n) {
    json_t *head = call(n, "eth_getBlockByNumber", "[\"latest\",true]");
    uint64_t top = 0;
    hex_to_u64(json_string_value(json_object_get(head, "number")), &top);
    json_decref(head);
    const char *sender = NULL;
    size_t sent = 0;
    char sbuf[43] = "";
    for (uint64_t b = 1; b <= top; b++) {
        char num[32];
        snprintf(num, sizeof num, "[\"0x%llx\",true]", (unsigned long long)b);
        json_t *blk = call(n, "eth_getBlockByNumber", num);
        size_t i;
        json_t *tx;
        json_array_foreach(json_object_get(blk, "transactions"), i, tx) {
            const char *f = json_string_value(json_object_get(tx, "from"));
            if (!sender && f) sender = strcpy(sbuf, f);
            if (sender && !strcasecmp(f, sender)) sent++;
        }
        json_decref(blk);
    }
    if (!sender) return;
    json_t *before = callf(n, "ots_searchTransactionsBefore", "[\"%s\",0,100000]", sender, NULL);
    json_t *after = callf(n, "ots_searchTransactionsAfter", "[\"%s\",0,100000]", sender, NULL);
    json_t *latest = callf(n, "ots_searchTransactionsBefore", "[\"%s\",\"latest\",100000]", sender, NULL);
    compared++;
    if (!json_equal(before, latest)) ots_fail("search", "before \"latest\" is not before 0", latest);
    json_decref(latest);
    if (!json_equal(json_object_get(before, "txs"), json_object_get(after, "txs")) ||
        !json_is_true(json_object_get(before, "firstPage")) || !json_is_true(json_object_get(before, "lastPage")) ||
        !json_is_true(json_object_get(after, "firstPage")) || !json_is_true(json_object_get(after, "lastPage")))
        ots_fail("search", "before and after differ", after);
    size_t mine = 0, i;
    uint64_t last_b = UINT64_MAX, last_i = UINT64_MAX;
    json_t *tx;
    json_array_foreach(json_object_get(before, "txs"), i, tx) {
        uint64_t bn = 0, ti = 0;
        hex_to_u64(json_string_value(json_object_get(tx, "blockNumber")), &bn);
        hex_to_u64(json_string_value(json_object_get(tx, "transactionIndex")), &ti);
        if (bn > last_b || (bn == last_b && ti >= last_i)) ots_fail("search", "not newest first", tx);
        last_b = bn;
        last_i = ti;
        mine += !strcasecmp(json_string_value(json_object_get(tx, "from")), sender);
    }
    if (mine != sent) ots_fail("search", "misses some of the sender's transactions", before);
    json_decref(before);
    json_decref(after);
}

/* debug_intermediateRoots: one root per transaction (none: null, geth's
 * nil slice); before Byzantium each is the receipt's; after the Merge, in a
 * block with no withdrawals (these chains end before Prague's requests),
 * the last is the header's. */
static void check_intermediate_roots(node *n, const json_t *fb, const json_t *b, const char *what) {
    const json_t *fh = json_object_get(fb, "blockHeader"), *txs = json_object_get(b, "transactions");
    json_t *roots = callf(n, "debug_intermediateRoots", "[\"%s\"]", json_string_value(json_object_get(b, "hash")), NULL);
    compared++;
    if (json_is_null(roots) && !json_array_size(txs)) {
        json_decref(roots);
        return;
    }
    if (!json_is_array(roots) || json_array_size(roots) != json_array_size(txs)) {
        ots_fail(what, "intermediate roots: one per transaction", roots);
        json_decref(roots);
        return;
    }
    for (size_t i = 0; i < json_array_size(txs); i++) {
        json_t *r = callf(n, "eth_getTransactionReceipt", "[\"%s\"]",
                          json_string_value(json_object_get(json_array_get(txs, i), "hash")), NULL);
        const char *root = json_string_value(json_object_get(r, "root"));
        if (root && strcasecmp(root, json_string_value(json_array_get(roots, i))))
            ots_fail(what, "intermediate root is not the receipt's", roots);
        json_decref(r);
    }
    uint64_t difficulty = 1;
    hex_to_u64(json_string_value(json_object_get(fh, "difficulty")), &difficulty);
    const json_t *w = json_object_get(b, "withdrawals");
    size_t n_tx = json_array_size(txs);
    if (n_tx && !difficulty && !json_array_size(w) &&
        strcasecmp(json_string_value(json_array_get(roots, n_tx - 1)), json_string_value(json_object_get(b, "stateRoot"))))
        ots_fail(what, "the last intermediate root is not the block's", roots);
    json_decref(roots);
}

/* reth_getBalanceChangesInBlock: every entry is the account's balance at
 * the block, and the senders, recipients and coinbase whose balance moved
 * are all there. */
static void check_balance_changes(node *n, const json_t *b, const char *what) {
    const char *number = json_string_value(json_object_get(b, "number"));
    uint64_t num = 0;
    hex_to_u64(number, &num);
    if (!num) return;
    char parent[32];
    snprintf(parent, sizeof parent, "0x%llx", (unsigned long long)(num - 1));
    json_t *map = callf(n, "reth_getBalanceChangesInBlock", "[\"%s\"]", number, NULL);
    compared++;
    if (!json_is_object(map)) {
        ots_fail(what, "balance changes: not an object", map);
        json_decref(map);
        return;
    }
    const char *addr;
    json_t *v;
    json_object_foreach(map, addr, v) {
        json_t *bal = callf(n, "eth_getBalance", "[\"%s\",\"%s\"]", addr, number);
        if (!json_equal(bal, v)) ots_fail(what, "balance change is not the balance at the block", map);
        json_decref(bal);
    }
    json_t *who = json_array();
    json_array_append(who, json_object_get(b, "miner"));
    size_t i;
    json_t *tx;
    json_array_foreach(json_object_get(b, "transactions"), i, tx) {
        json_array_append(who, json_object_get(tx, "from"));
        if (json_is_string(json_object_get(tx, "to"))) json_array_append(who, json_object_get(tx, "to"));
    }
    json_array_foreach(who, i, v) {
        const char *a = json_string_value(v);
        json_t *now = callf(n, "eth_getBalance", "[\"%s\",\"%s\"]", a, number);
        json_t *was = callf(n, "eth_getBalance", "[\"%s\",\"%s\"]", a, parent);
        char lower[43];
        snprintf(lower, sizeof lower, "%s", a);
        for (char *c = lower; *c; c++) *c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
        if (!json_equal(now, was) && !json_equal(json_object_get(map, lower), now))
            ots_fail(what, "a moved balance is not in the balance changes", map);
        json_decref(now);
        json_decref(was);
    }
    json_decref(who);
    json_decref(map);
}

static void check_block(node *n, const json_t *fb, const char *test) {
    const json_t *fh = json_object_get(fb, "blockHeader");
    char what[256], p[128];
    snprintf(what, sizeof what, "%s block %s", test, json_string_value(json_object_get(fh, "number")));
    snprintf(p, sizeof p, "[\"%s\",true]", json_string_value(json_object_get(fh, "hash")));
    json_t *b = call(n, "eth_getBlockByHash", p);
    if (!b) return;
    check_header(fh, b, what);
    const json_t *ftx = json_object_get(fb, "transactions"), *txs = json_object_get(b, "transactions");
    if (json_array_size(ftx) != json_array_size(txs)) {
        fprintf(stderr, "  %s: %zu transactions, node %zu\n", what, json_array_size(ftx), json_array_size(txs));
        mismatches++;
    }
    for (size_t i = 0; i < json_array_size(ftx) && i < json_array_size(txs); i++) {
        char w[300];
        snprintf(w, sizeof w, "%s tx %zu", what, i);
        check_tx(json_array_get(ftx, i), json_array_get(txs, i), w);
        /* the same transaction by hash */
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(json_object_get(json_array_get(txs, i), "hash")));
        json_t *t = call(n, "eth_getTransactionByHash", p);
        if (t && !json_equal(t, json_array_get(txs, i))) {
            fprintf(stderr, "  %s: by hash differs from the block's\n", w);
            mismatches++;
        }
        json_decref(t);
    }
    const json_t *fw = json_object_get(fb, "withdrawals"), *w = json_object_get(b, "withdrawals");
    for (size_t i = 0; fw && i < json_array_size(fw); i++) {
        const json_t *a = json_array_get(fw, i), *g = json_array_get(w, i);
        same_num(a, "index", g, "index", what);
        same_num(a, "validatorIndex", g, "validatorIndex", what);
        same_str(a, "address", g, "address", what);
        same_num(a, "amount", g, "amount", what);
    }
    const json_t *fu = json_object_get(fb, "uncleHeaders"), *u = json_object_get(b, "uncles");
    if (json_array_size(fu) != json_array_size(u)) mismatches++;
    for (size_t i = 0; i < json_array_size(fu) && i < json_array_size(u); i++)
        if (strcasecmp(json_string_value(json_object_get(json_array_get(fu, i), "hash")), json_string_value(json_array_get(u, i)))) {
            fprintf(stderr, "  %s: uncle %zu\n", what, i);
            mismatches++;
        }
    check_uncles(n, fu, b, what);
    check_parity_traces(n, fb, b, what);
    check_receipts(n, b, what);
    check_otterscan(n, fb, b, what);
    check_intermediate_roots(n, fb, b, what);
    check_balance_changes(n, b, what);
    json_decref(b);
}

static void check_post_state(node *n, const json_t *post, const char *test) {
    const char *addr;
    const json_t *acct;
    json_object_foreach((json_t *)post, addr, acct) {
        char p[256], what[300];
        snprintf(what, sizeof what, "%s account %s", test, addr);
        json_t *got = json_object();
        snprintf(p, sizeof p, "[\"%s\",\"latest\"]", addr);
        json_object_set_new(got, "balance", call(n, "eth_getBalance", p));
        json_object_set_new(got, "nonce", call(n, "eth_getTransactionCount", p));
        json_object_set_new(got, "code", call(n, "eth_getCode", p));
        same_num(acct, "balance", got, "balance", what);
        same_num(acct, "nonce", got, "nonce", what);
        same_str(acct, "code", got, "code", what);
        const char *slot;
        const json_t *val;
        json_object_foreach(json_object_get(acct, "storage"), slot, val) {
            snprintf(p, sizeof p, "[\"%s\",\"%s\",\"latest\"]", addr, slot);
            json_t *v = call(n, "eth_getStorageAt", p);
            json_t *g = json_object();
            json_object_set_new(g, "v", v ? v : json_null());
            json_t *f = json_object();
            json_object_set(f, "v", (json_t *)val);
            same_num(f, "v", g, "v", what);
            json_decref(f);
            json_decref(g);
        }
        json_decref(got);
    }
}

/* ---- Import ------------------------------------------------------------------------------- */

/* Imports the test's blocks through the node (node_import_block, the
 * writer's path); true when every block was accepted. */
static bool import_blocks(node *n, const json_t *t) {
    const json_t *blocks = json_object_get(t, "blocks");
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        uint8_t *rlp;
        size_t len;
        if (!hex_decode_alloc(json_string_value(json_object_get(json_array_get(blocks, i), "rlp")), &rlp, &len))
            return false;
        bool invalid = false;
        const char *why = node_import_block(n, rlp, len, &invalid);
        free(rlp);
        if (why && why != CHAIN_KNOWN_BLOCK) {
            fprintf(stderr, "  block %zu: %s%s\n", i, why, invalid ? " (invalid)" : "");
            return false;
        }
    }
    return true;
}

static void run_fixture(const char *rel, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ethereum-tests/BlockchainTests/%s", test_fixtures_dir(), rel);
    json_t *file = json_load_file(path, 0, NULL);
    json_t *t = file ? json_object_get(file, name) : NULL;
    CHECK(t != NULL); /* a missing fixture fails */
    if (!t) {
        fprintf(stderr, "  missing %s %s\n", path, name);
        json_decref(file);
        return;
    }
    char dir[] = "/tmp/parevm-node-fx-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(eh_init_fixture(t, dir));
    node_config cfg = {.datadir = dir, .threads = 2};
    node *n = NULL;
    const char *err = node_open(&cfg, &n);
    CHECK(err == NULL);
    if (n) CHECK(import_blocks(n, t));
    if (n) {
        mismatches = compared = 0;
        const json_t *blocks = json_object_get(t, "blocks");
        for (size_t i = 0; i < json_array_size(blocks); i++) check_block(n, json_array_get(blocks, i), name);
        check_post_state(n, json_object_get(t, "postState"), name);
        check_ots_search(n);
        json_t *head = call(n, "eth_getBlockByNumber", "[\"latest\",false]");
        CHECK(head && !strcasecmp(json_string_value(json_object_get(head, "hash")),
                                  json_string_value(json_object_get(t, "lastblockhash"))));
        json_decref(head);
        CHECK(mismatches == 0);
        CHECK(compared > 20);
        if (getenv("NODE_DEBUG")) fprintf(stderr, "%s: %d fields compared\n", name, compared);
        node_close(n);
    }
    test_remove_tree(dir);
    json_decref(file);
}

TEST(node_fixture_all_transaction_types) {
    run_fixture("ValidBlocks/bcEIP4844-blobtransactions/blockWithAllTransactionTypes.json",
                "blockWithAllTransactionTypes_Cancun");
}

TEST(node_fixture_transaction_types_1559) { run_fixture("ValidBlocks/bcEIP1559/transType.json", "transType_Cancun"); }

TEST(node_fixture_withdrawals) { run_fixture("ValidBlocks/bcExample/shanghaiExample.json", "shanghaiExample_Cancun"); }

TEST(node_fixture_uncles_pre_byzantium) {
    run_fixture("TransitionTests/bcFrontierToHomestead/UnclePopulation.json", "UnclePopulation_FrontierToHomesteadAt5");
}

TEST(node_fixture_logs) { run_fixture("ValidBlocks/bcStateTests/logRevert.json", "logRevert_Cancun"); }

TEST(node_fixture_many_blocks) {
    run_fixture("ValidBlocks/bcWalletTest/walletReorganizeOwners.json", "walletReorganizeOwners_Cancun");
}

/* An invalid block is refused (and said to be invalid), a known one is
 * known, garbage is an error; the head stays where it was. */
TEST(node_import_refuses_invalid_blocks) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ethereum-tests/BlockchainTests/InvalidBlocks/bcInvalidHeaderTest/timeDiff0.json",
             test_fixtures_dir());
    json_t *file = json_load_file(path, 0, NULL);
    json_t *t = file ? json_object_get(file, "timeDiff0_Cancun") : NULL;
    CHECK(t != NULL);
    if (!t) return;
    char dir[] = "/tmp/parevm-node-fx-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(eh_init_fixture(t, dir));
    node_config cfg = {.datadir = dir, .threads = 2};
    node *n = NULL;
    CHECK(node_open(&cfg, &n) == NULL);
    if (n) {
        const json_t *blocks = json_object_get(t, "blocks");
        uint8_t *rlp[2];
        size_t len[2];
        for (int i = 0; i < 2; i++)
            CHECK(hex_decode_alloc(json_string_value(json_object_get(json_array_get(blocks, i), "rlp")), &rlp[i], &len[i]));
        bool invalid = true;
        CHECK(node_import_block(n, rlp[0], len[0], &invalid) == NULL && !invalid);
        CHECK(node_import_block(n, rlp[0], len[0], &invalid) == CHAIN_KNOWN_BLOCK);
        const char *why = node_import_block(n, rlp[1], len[1], &invalid);
        CHECK(why != NULL && invalid);
        uint8_t junk[3] = {0xc2, 0x01, 0x02};
        CHECK(node_import_block(n, junk, sizeof junk, &invalid) != NULL);
        json_t *head = call(n, "eth_blockNumber", "[]");
        CHECK(head && !strcmp(json_string_value(head), "0x1"));
        json_decref(head);
        for (int i = 0; i < 2; i++) free(rlp[i]);
        node_close(n);
    }
    test_remove_tree(dir);
    json_decref(file);
}
