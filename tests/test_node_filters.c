/* The node's polling filters (eth_newFilter, eth_newBlockFilter,
 * eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs,
 * eth_uninstallFilter) on a dev chain built here: two contracts that log
 * their calldata word as a topic, called in blocks of one transaction each.
 * Each filter's changes are checked against what the test sent (addresses,
 * topics, block numbers and hashes, transaction hashes), across polls, an
 * unwind (removed logs), pagination, expiry and the filter limit, bad
 * input, and polls of one filter racing each other while blocks are mined. */
#include "test.h"
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "node_rpc.h"

/* LOG1(topic = calldata word 0) with no data, then STOP. */
static const char LOGGER[] = "0x60003560006000a100";
static const char C0[] = "0x00000000000000000000000000000000000000c0";
static const char C1[] = "0x00000000000000000000000000000000000000c1";
static const char T1[] = "0x1111111111111111111111111111111111111111111111111111111111111111";
static const char T2[] = "0x2222222222222222222222222222222222222222222222222222222222222222";

typedef struct {
    char v[80];
} id_t_;

/* Installs a filter; its id into id (empty on failure). */
static bool install(test_node *t, const char *method, const char *params, id_t_ *id) {
    json_t *r = test_ok(t, method, params);
    id->v[0] = 0;
    if (json_is_string(r)) snprintf(id->v, sizeof id->v, "%s", json_string_value(r));
    json_decref(r);
    /* "0x" and 32 hex digits, no leading zero */
    return strlen(id->v) == 34 && !strncmp(id->v, "0x", 2) && id->v[2] != '0';
}

static json_t *by_id(test_node *t, const char *method, const id_t_ *id) {
    char p[100];
    snprintf(p, sizeof p, "[\"%s\"]", id->v);
    return test_ok(t, method, p);
}

static long long id_err(test_node *t, const char *method, const id_t_ *id, char *msg, size_t cap) {
    char p[100];
    snprintf(p, sizeof p, "[\"%s\"]", id->v);
    return test_err(t, method, p, msg, cap);
}

static size_t n_changes(test_node *t, const id_t_ *id) {
    json_t *r = by_id(t, "eth_getFilterChanges", id);
    size_t n = json_is_array(r) ? json_array_size(r) : (size_t)-1;
    json_decref(r);
    return n;
}

/* eth_sendTransaction from dev account 0 (automine: one block each); the
 * transaction's hash into hash. */
static bool send(test_node *t, const char *to, const char *data, char hash[67]) {
    char from[43], p[400];
    hex_encode(t->acct[0].b, 20, from);
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"data\":\"%s\"}]", from, to, data);
    json_t *r = test_ok(t, "eth_sendTransaction", p);
    bool good = json_is_string(r) && strlen(json_string_value(r)) == 66;
    if (good && hash) strcpy(hash, json_string_value(r));
    json_decref(r);
    return good;
}

static bool call_ok(test_node *t, const char *method, const char *params) {
    json_t *r = test_ok(t, method, params);
    json_decref(r);
    return r != NULL;
}

static uint64_t head(test_node *t) {
    json_t *r = test_ok(t, "eth_blockNumber", "[]");
    uint64_t h = test_qty(r, NULL);
    json_decref(r);
    return h;
}

static void block_hash(test_node *t, uint64_t number, char out[67]) {
    char p[64];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)number);
    json_t *b = test_ok(t, "eth_getBlockByNumber", p);
    snprintf(out, 67, "%s", test_str(b, "hash"));
    json_decref(b);
}

/* Whether log is the LOGGER's log of contract `addr` with `topic` in block
 * `number`, from transaction `tx`, removed or not. */
static bool log_is(const json_t *log, const char *addr, const char *topic, uint64_t number, const char *tx,
                   bool removed) {
    const json_t *topics = json_object_get(log, "topics");
    return !strcmp(test_str(log, "address"), addr) && json_array_size(topics) == 1 &&
           !strcmp(json_string_value(json_array_get(topics, 0)), topic) && test_qty(log, "blockNumber") == number &&
           !strcmp(test_str(log, "transactionHash"), tx) &&
           json_is_boolean(json_object_get(log, "removed")) &&
           json_is_true(json_object_get(log, "removed")) == removed;
}

static bool open_with_loggers(test_node *t) {
    if (!test_node_open(t)) return false;
    char p[200];
    snprintf(p, sizeof p, "[\"%s\",\"%s\"]", C0, LOGGER);
    bool good = call_ok(t, "anvil_setCode", p);
    snprintf(p, sizeof p, "[\"%s\",\"%s\"]", C1, LOGGER);
    return good && call_ok(t, "anvil_setCode", p);
}

/* ---- Log filters -------------------------------------------------------------------- */

TEST(filters_logs_across_blocks) {
    test_node t;
    CHECK(open_with_loggers(&t));
    uint64_t h0 = head(&t);
    char p[600], tx[5][67];
    id_t_ all, c0, topic, both, range, past, from0;
    CHECK(install(&t, "eth_newFilter", "[{}]", &all));
    snprintf(p, sizeof p, "[{\"address\":\"%s\"}]", C0);
    CHECK(install(&t, "eth_newFilter", p, &c0));
    snprintf(p, sizeof p, "[{\"topics\":[[\"%s\",\"%s\"]]}]", T1, T2);
    CHECK(install(&t, "eth_newFilter", p, &topic));
    snprintf(p, sizeof p, "[{\"address\":[\"%s\",\"%s\"],\"topics\":[\"%s\"]}]", C0, C1, T2);
    CHECK(install(&t, "eth_newFilter", p, &both));
    snprintf(p, sizeof p, "[{\"fromBlock\":\"0x%llx\",\"toBlock\":\"0x%llx\"}]", (unsigned long long)h0 + 2,
             (unsigned long long)h0 + 2);
    CHECK(install(&t, "eth_newFilter", p, &range));
    CHECK(install(&t, "eth_newFilter", "[{\"fromBlock\":\"0x0\",\"toBlock\":\"0x0\"}]", &past));
    snprintf(p, sizeof p, "[{\"fromBlock\":\"earliest\",\"address\":\"%s\"}]", C0);
    CHECK(install(&t, "eth_newFilter", p, &from0));
    CHECK(strcmp(all.v, c0.v) && strcmp(c0.v, topic.v)); /* distinct ids */
    /* nothing happened yet */
    CHECK(n_changes(&t, &all) == 0);
    /* blocks h0+1..h0+4: C0 T1, C1 T2, C0 T2, a transfer without logs */
    CHECK(send(&t, C0, T1, tx[0]));
    CHECK(send(&t, C1, T2, tx[1]));
    CHECK(send(&t, C0, T2, tx[2]));
    CHECK(send(&t, "0x00000000000000000000000000000000000000d0", "0x", tx[3])); /* no code: no log */
    CHECK(head(&t) == h0 + 4);

    json_t *r = by_id(&t, "eth_getFilterChanges", &all);
    CHECK(json_array_size(r) == 3);
    CHECK(log_is(json_array_get(r, 0), C0, T1, h0 + 1, tx[0], false));
    CHECK(log_is(json_array_get(r, 1), C1, T2, h0 + 2, tx[1], false));
    CHECK(log_is(json_array_get(r, 2), C0, T2, h0 + 3, tx[2], false));
    json_decref(r);
    r = by_id(&t, "eth_getFilterChanges", &c0);
    CHECK(json_array_size(r) == 2 && log_is(json_array_get(r, 0), C0, T1, h0 + 1, tx[0], false) &&
          log_is(json_array_get(r, 1), C0, T2, h0 + 3, tx[2], false));
    json_decref(r);
    CHECK(n_changes(&t, &topic) == 3);
    r = by_id(&t, "eth_getFilterChanges", &both);
    CHECK(json_array_size(r) == 2 && log_is(json_array_get(r, 0), C1, T2, h0 + 2, tx[1], false) &&
          log_is(json_array_get(r, 1), C0, T2, h0 + 3, tx[2], false));
    json_decref(r);
    r = by_id(&t, "eth_getFilterChanges", &range);
    CHECK(json_array_size(r) == 1 && log_is(json_array_get(r, 0), C1, T2, h0 + 2, tx[1], false));
    json_decref(r);
    CHECK(n_changes(&t, &past) == 0); /* its range ended before it was installed */
    /* a second poll: nothing new */
    CHECK(n_changes(&t, &all) == 0);
    CHECK(n_changes(&t, &c0) == 0);

    /* one more block: C1 T1; the range filter's block is behind it */
    CHECK(send(&t, C1, T1, tx[4]));
    r = by_id(&t, "eth_getFilterChanges", &all);
    CHECK(json_array_size(r) == 1 && log_is(json_array_get(r, 0), C1, T1, h0 + 5, tx[4], false));
    json_decref(r);
    CHECK(n_changes(&t, &range) == 0);
    CHECK(n_changes(&t, &c0) == 0);
    CHECK(n_changes(&t, &topic) == 1);

    /* getFilterLogs: the whole range, as eth_getLogs gives it */
    r = by_id(&t, "eth_getFilterLogs", &from0);
    snprintf(p, sizeof p, "[{\"fromBlock\":\"earliest\",\"address\":\"%s\"}]", C0);
    json_t *want = test_ok(&t, "eth_getLogs", p);
    CHECK(json_array_size(r) == 2 && json_equal(r, want));
    json_decref(r);
    json_decref(want);
    r = by_id(&t, "eth_getFilterLogs", &range);
    CHECK(json_array_size(r) == 1 && log_is(json_array_get(r, 0), C1, T2, h0 + 2, tx[1], false));
    json_decref(r);
    r = by_id(&t, "eth_getFilterLogs", &all); /* latest to latest: the head's logs */
    CHECK(json_array_size(r) == 1 && log_is(json_array_get(r, 0), C1, T1, h0 + 5, tx[4], false));
    json_decref(r);
    /* and the polls go on after it */
    CHECK(n_changes(&t, &from0) == 2);
    CHECK(n_changes(&t, &from0) == 0);
    test_node_close(&t);
}

TEST(filters_blockhash_criteria) {
    test_node t;
    CHECK(open_with_loggers(&t));
    char tx[67], hash[67], p[300];
    CHECK(send(&t, C0, T1, tx));
    block_hash(&t, head(&t), hash);
    snprintf(p, sizeof p, "[{\"blockHash\":\"%s\"}]", hash);
    id_t_ f;
    CHECK(install(&t, "eth_newFilter", p, &f));
    json_t *r = by_id(&t, "eth_getFilterLogs", &f);
    CHECK(json_array_size(r) == 1 && !strcmp(test_str(json_array_get(r, 0), "blockHash"), hash));
    json_decref(r);
    CHECK(send(&t, C0, T1, tx));
    CHECK(n_changes(&t, &f) == 0); /* its block is fixed: nothing new */
    snprintf(p, sizeof p, "[{\"blockHash\":\"%s\",\"fromBlock\":\"0x1\"}]", hash);
    CHECK(test_err(&t, "eth_newFilter", p, NULL, 0) == -32602);
    test_node_close(&t);
}

/* An unwind (evm_revert) drops a block whose log a filter reported: the
 * next poll gives that log again with removed: true, then the new chain's. */
TEST(filters_unwind_removes_logs) {
    test_node t;
    CHECK(open_with_loggers(&t));
    char tx_old[67], tx_new[67], old_hash[67], new_hash[67], p[200];
    id_t_ logs, blocks;
    CHECK(install(&t, "eth_newFilter", "[{}]", &logs));
    CHECK(install(&t, "eth_newBlockFilter", "[]", &blocks));
    uint64_t h0 = head(&t);
    json_t *snap = test_ok(&t, "evm_snapshot", "[]");
    CHECK(json_is_string(snap));
    CHECK(send(&t, C1, T1, tx_old));
    block_hash(&t, h0 + 1, old_hash);
    CHECK(n_changes(&t, &logs) == 1);
    json_t *r = by_id(&t, "eth_getFilterChanges", &blocks);
    CHECK(json_array_size(r) == 1 && !strcmp(json_string_value(json_array_get(r, 0)), old_hash));
    json_decref(r);
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(snap));
    json_decref(snap);
    r = test_ok(&t, "evm_revert", p);
    CHECK(json_is_true(r));
    json_decref(r);
    CHECK(head(&t) == h0);
    CHECK(send(&t, C0, T2, tx_new));
    block_hash(&t, h0 + 1, new_hash);
    CHECK(strcmp(old_hash, new_hash) != 0);
    r = by_id(&t, "eth_getFilterChanges", &logs);
    CHECK(json_array_size(r) == 2);
    CHECK(log_is(json_array_get(r, 0), C1, T1, h0 + 1, tx_old, true) &&
          !strcmp(test_str(json_array_get(r, 0), "blockHash"), old_hash));
    CHECK(log_is(json_array_get(r, 1), C0, T2, h0 + 1, tx_new, false) &&
          !strcmp(test_str(json_array_get(r, 1), "blockHash"), new_hash));
    json_decref(r);
    r = by_id(&t, "eth_getFilterChanges", &blocks);
    CHECK(json_array_size(r) == 1 && !strcmp(json_string_value(json_array_get(r, 0)), new_hash));
    json_decref(r);
    CHECK(n_changes(&t, &logs) == 0);
    /* an unwind of two blocks with nothing after it: the removed logs
     * alone, the older block's first (geth's order) */
    r = test_ok(&t, "evm_snapshot", "[]");
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(r));
    json_decref(r);
    CHECK(send(&t, C0, T1, tx_old));
    CHECK(send(&t, C0, T2, tx_new));
    CHECK(n_changes(&t, &logs) == 2);
    CHECK(call_ok(&t, "evm_revert", p));
    r = by_id(&t, "eth_getFilterChanges", &logs);
    CHECK(json_array_size(r) == 2 && log_is(json_array_get(r, 0), C0, T1, h0 + 2, tx_old, true) &&
          log_is(json_array_get(r, 1), C0, T2, h0 + 3, tx_new, true));
    json_decref(r);
    CHECK(n_changes(&t, &logs) == 0);
    test_node_close(&t);
}

/* ---- Block and pending-transaction filters ----------------------------------------- */

TEST(filters_blocks_and_pending) {
    test_node t;
    CHECK(open_with_loggers(&t));
    id_t_ blocks, pending, full;
    CHECK(install(&t, "eth_newBlockFilter", "[]", &blocks));
    CHECK(install(&t, "eth_newPendingTransactionFilter", "[]", &pending));
    CHECK(install(&t, "eth_newPendingTransactionFilter", "[true]", &full));
    uint64_t h0 = head(&t);
    char tx[4][67], hash[67];
    CHECK(send(&t, C0, T1, tx[0]));
    CHECK(send(&t, C1, T1, tx[1]));
    json_t *r = by_id(&t, "eth_getFilterChanges", &blocks);
    CHECK(json_array_size(r) == 2);
    for (uint64_t i = 0; i < 2 && json_array_size(r) == 2; i++) {
        block_hash(&t, h0 + 1 + i, hash);
        CHECK(!strcmp(json_string_value(json_array_get(r, i)), hash));
    }
    json_decref(r);
    CHECK(n_changes(&t, &blocks) == 0);
    CHECK(call_ok(&t, "anvil_mine", "[\"0x3\"]"));
    CHECK(n_changes(&t, &blocks) == 3);
    /* automine: the transactions went through the pool into blocks */
    r = by_id(&t, "eth_getFilterChanges", &pending);
    CHECK(json_array_size(r) == 2 && !strcmp(json_string_value(json_array_get(r, 0)), tx[0]) &&
          !strcmp(json_string_value(json_array_get(r, 1)), tx[1]));
    json_decref(r);
    CHECK(n_changes(&t, &pending) == 0);
    /* fullTx: the same transactions as objects, without block fields (mined
     * by now, so they come from the chain) */
    r = by_id(&t, "eth_getFilterChanges", &full);
    CHECK(json_array_size(r) == 2);
    for (size_t i = 0; i < 2 && json_array_size(r) == 2; i++) {
        const json_t *o = json_array_get(r, i);
        CHECK(!strcmp(json_string_value(json_object_get(o, "hash")), tx[i]));
        CHECK(json_is_null(json_object_get(o, "blockHash")) && json_is_string(json_object_get(o, "input")));
    }
    json_decref(r);
    /* without automine they wait in the pool: seen at once, no block yet */
    CHECK(call_ok(&t, "evm_setAutomine", "[false]"));
    id_t_ late;
    CHECK(send(&t, C0, T2, tx[2]));
    CHECK(install(&t, "eth_newPendingTransactionFilter", "[false]", &late));
    CHECK(send(&t, C1, T2, tx[3]));
    r = by_id(&t, "eth_getFilterChanges", &pending);
    CHECK(json_array_size(r) == 2 && !strcmp(json_string_value(json_array_get(r, 0)), tx[2]) &&
          !strcmp(json_string_value(json_array_get(r, 1)), tx[3]));
    json_decref(r);
    r = by_id(&t, "eth_getFilterChanges", &full); /* from the pool this time */
    CHECK(json_array_size(r) == 2 &&
          !strcmp(json_string_value(json_object_get(json_array_get(r, 1), "hash")), tx[3]));
    json_decref(r);
    r = by_id(&t, "eth_getFilterChanges", &late); /* installed after the first */
    CHECK(json_array_size(r) == 1 && !strcmp(json_string_value(json_array_get(r, 0)), tx[3]));
    json_decref(r);
    CHECK(n_changes(&t, &blocks) == 0);
    CHECK(call_ok(&t, "evm_mine", "[]"));
    CHECK(n_changes(&t, &blocks) == 1);
    CHECK(n_changes(&t, &pending) == 0); /* mining adds nothing to the pool */
    /* getFilterLogs is for log filters only */
    char msg[256];
    CHECK(id_err(&t, "eth_getFilterLogs", &blocks, msg, sizeof msg) == -32000 && !strcmp(msg, "filter not found"));
    CHECK(id_err(&t, "eth_getFilterLogs", &pending, msg, sizeof msg) == -32000);
    test_node_close(&t);
}

TEST(filters_uninstall_and_unknown_ids) {
    test_node t;
    CHECK(test_node_open(&t));
    id_t_ f, g, unknown = {"0x1234"};
    char msg[256];
    CHECK(install(&t, "eth_newBlockFilter", "[]", &f));
    CHECK(install(&t, "eth_newFilter", "[{}]", &g));
    json_t *r = by_id(&t, "eth_uninstallFilter", &f);
    CHECK(json_is_true(r));
    json_decref(r);
    r = by_id(&t, "eth_uninstallFilter", &f);
    CHECK(json_is_false(r));
    json_decref(r);
    CHECK(id_err(&t, "eth_getFilterChanges", &f, msg, sizeof msg) == -32000 && !strcmp(msg, "filter not found"));
    CHECK(id_err(&t, "eth_getFilterChanges", &unknown, msg, sizeof msg) == -32000 &&
          !strcmp(msg, "filter not found"));
    CHECK(id_err(&t, "eth_getFilterLogs", &unknown, NULL, 0) == -32000);
    r = by_id(&t, "eth_uninstallFilter", &unknown);
    CHECK(json_is_false(r));
    json_decref(r);
    /* ids are hex of any case */
    for (char *c = g.v + 2; *c; c++) *c = (char)toupper((unsigned char)*c);
    CHECK(n_changes(&t, &g) == 0);
    /* the authenticated server has them too (the same registry) */
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_newBlockFilter\",\"params\":[]}";
    size_t len;
    char *out = rpc_process(node_auth_methods(t.n), body, strlen(body), 0, &len);
    json_t *resp = out ? json_loads(out, 0, NULL) : NULL;
    CHECK(json_is_string(json_object_get(resp, "result")));
    if (json_is_string(json_object_get(resp, "result"))) {
        id_t_ a;
        snprintf(a.v, sizeof a.v, "%s", json_string_value(json_object_get(resp, "result")));
        CHECK(n_changes(&t, &a) == 0);
    }
    json_decref(resp);
    free(out);
    test_node_close(&t);
}

TEST(filters_bad_input) {
    test_node t;
    CHECK(test_node_open(&t));
    static const struct {
        const char *method, *params;
    } BAD[] = {
        {"eth_getFilterChanges", "[]"},
        {"eth_getFilterChanges", "[123]"},
        {"eth_getFilterChanges", "[null]"},
        {"eth_getFilterChanges", "[{}]"},
        {"eth_getFilterChanges", "[\"zz\"]"},
        {"eth_getFilterChanges", "[\"0x\"]"},
        {"eth_getFilterChanges", "[\"0xzz\"]"},
        {"eth_getFilterChanges", "[\"0x123456789012345678901234567890123\"]"},
        {"eth_getFilterChanges", "[\"0x1\",\"0x2\"]"},
        {"eth_getFilterLogs", "[true]"},
        {"eth_uninstallFilter", "[]"},
        {"eth_uninstallFilter", "[[\"0x1\"]]"},
        {"eth_newFilter", "[]"},
        {"eth_newFilter", "[\"latest\"]"},
        {"eth_newFilter", "[{},{}]"},
        {"eth_newFilter", "[{\"address\":\"0x12\"}]"},
        {"eth_newFilter", "[{\"address\":[1]}]"},
        {"eth_newFilter", "[{\"topics\":5}]"},
        {"eth_newFilter", "[{\"topics\":[\"0x12\"]}]"},
        {"eth_newFilter", "[{\"topics\":[null,null,null,null,null]}]"},
        {"eth_newFilter", "[{\"fromBlock\":\"0x5\",\"toBlock\":\"0x2\"}]"},
        {"eth_newFilter", "[{\"fromBlock\":\"latest\",\"toBlock\":\"0x5\"}]"},
        {"eth_newFilter", "[{\"fromBlock\":\"pending\"}]"},
        {"eth_newFilter", "[{\"toBlock\":\"safe\"}]"},
        {"eth_newFilter", "[{\"fromBlock\":7}]"},
        {"eth_newBlockFilter", "[1]"},
        {"eth_newPendingTransactionFilter", "[\"x\"]"},
        {"eth_newPendingTransactionFilter", "[true,1]"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char msg[256];
        long long code = test_err(&t, BAD[i].method, BAD[i].params, msg, sizeof msg);
        if (code != -32602) fprintf(stderr, "  %s %s -> %lld %s\n", BAD[i].method, BAD[i].params, code, msg);
        CHECK(code == -32602);
    }
    char msg[256];
    CHECK(test_err(&t, "eth_newFilter", "[{\"fromBlock\":\"0x5\",\"toBlock\":\"0x2\"}]", msg, sizeof msg) == -32602 &&
          !strcmp(msg, "invalid block range params"));
    CHECK(test_err(&t, "eth_newFilter", "[{\"fromBlock\":\"pending\"}]", msg, sizeof msg) == -32602 &&
          !strcmp(msg, "pending logs are not supported"));
    /* geth reads earliest as block 0 in fromBlock only */
    CHECK(test_err(&t, "eth_newFilter", "[{\"fromBlock\":\"0x0\",\"toBlock\":\"earliest\"}]", msg, sizeof msg) ==
              -32602 &&
          !strcmp(msg, "invalid block range params"));
    /* a filter on future blocks is fine (it reports them when they come) */
    id_t_ f;
    CHECK(install(&t, "eth_newFilter", "[{\"fromBlock\":\"0x100\",\"toBlock\":\"0x200\"}]", &f));
    CHECK(n_changes(&t, &f) == 0);
    test_node_close(&t);
}

/* ---- Limits ------------------------------------------------------------------------ */

static node *open_limited(char path[64], const node_config *limits) {
    strcpy(path, "/tmp/parevm-node-test-XXXXXX");
    if (!mkdtemp(path)) abort();
    node_config cfg = *limits;
    cfg.datadir = path;
    cfg.dev = true;
    cfg.dev_genesis_time = 1700000000;
    node *n = NULL;
    const char *err = node_open(&cfg, &n);
    if (err) fprintf(stderr, "node_open: %s\n", err);
    return n;
}

TEST(filters_limits_and_expiry) {
    test_node t = {0};
    node_config limits = {.max_filters = 3, .filter_timeout_ms = 1000, .max_log_range = 3};
    t.n = open_limited(t.path, &limits);
    CHECK(t.n != NULL);
    if (!t.n) return;
    id_t_ f[3], extra;
    char msg[256];
    for (int i = 0; i < 3; i++) CHECK(install(&t, "eth_newBlockFilter", "[]", &f[i]));
    CHECK(test_err(&t, "eth_newPendingTransactionFilter", "[]", msg, sizeof msg) == -32005 &&
          strstr(msg, "too many filters"));
    /* one poll covers at most max_log_range blocks; the next goes on */
    CHECK(call_ok(&t, "anvil_mine", "[\"0x5\"]"));
    CHECK(n_changes(&t, &f[0]) == 3);
    CHECK(n_changes(&t, &f[0]) == 2);
    CHECK(n_changes(&t, &f[0]) == 0);
    /* uninstalling makes room */
    json_t *r = by_id(&t, "eth_uninstallFilter", &f[2]);
    CHECK(json_is_true(r));
    json_decref(r);
    CHECK(install(&t, "eth_newBlockFilter", "[]", &f[2]));
    /* polled filters live on; the others expire after the timeout */
    for (int i = 0; i < 4; i++) {
        usleep(300 * 1000);
        CHECK(n_changes(&t, &f[0]) == 0);
    }
    CHECK(id_err(&t, "eth_getFilterChanges", &f[1], msg, sizeof msg) == -32000 && !strcmp(msg, "filter not found"));
    r = by_id(&t, "eth_uninstallFilter", &f[2]);
    CHECK(json_is_false(r));
    json_decref(r);
    /* expired filters leave room */
    CHECK(install(&t, "eth_newBlockFilter", "[]", &f[1]));
    CHECK(install(&t, "eth_newBlockFilter", "[]", &extra));
    usleep(1300 * 1000);
    CHECK(id_err(&t, "eth_getFilterChanges", &f[0], NULL, 0) == -32000);
    node_close(t.n);
    test_remove_tree(t.path);
}

/* ---- Polls racing each other and the writer ------------------------------------------ */

typedef struct {
    test_node *t;
    const id_t_ *id;
    _Atomic bool *stop;
    json_t *seen; /* every hash this thread got */
} poller;

static void *poll_loop(void *arg) {
    poller *p = arg;
    while (!atomic_load(p->stop)) {
        json_t *r = by_id(p->t, "eth_getFilterChanges", p->id);
        json_array_extend(p->seen, r);
        json_decref(r);
    }
    return NULL;
}

TEST(filters_concurrent_polls_report_each_block_once) {
    test_node t;
    CHECK(test_node_open(&t));
    id_t_ f;
    CHECK(install(&t, "eth_newBlockFilter", "[]", &f));
    uint64_t h0 = head(&t);
    enum { THREADS = 4, BLOCKS = 24 };
    _Atomic bool stop = false;
    poller p[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (poller){&t, &f, &stop, json_array()};
        pthread_create(&th[i], NULL, poll_loop, &p[i]);
    }
    for (int b = 0; b < BLOCKS; b++) CHECK(call_ok(&t, "evm_mine", "[]"));
    atomic_store(&stop, true);
    json_t *all = json_array();
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        json_array_extend(all, p[i].seen);
        json_decref(p[i].seen);
    }
    json_t *last = by_id(&t, "eth_getFilterChanges", &f);
    json_array_extend(all, last);
    json_decref(last);
    CHECK(json_array_size(all) == BLOCKS);
    /* each block's hash exactly once */
    for (uint64_t b = 1; b <= BLOCKS; b++) {
        char hash[67];
        block_hash(&t, h0 + b, hash);
        size_t k = 0;
        for (size_t i = 0; i < json_array_size(all); i++) k += !strcmp(json_string_value(json_array_get(all, i)), hash);
        CHECK(k == 1);
    }
    json_decref(all);
    test_node_close(&t);
}
