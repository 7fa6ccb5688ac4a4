/* The node's header and debug-state methods on a dev chain built here with
 * signed transactions (tests/node_rpc.h): eth_getHeaderBy* against
 * eth_getBlockBy*'s fields, debug_getModifiedAccountsBy* against the
 * accounts the test's transactions touch (in hashed-address order),
 * debug_setHead (the chain, the state and a block filter follow, the chain
 * goes on), debug_storageRangeAt before given transactions of a block and
 * at older blocks, paged with nextKey, debug_accountRange and
 * debug_dumpBlock (fields, paging, historical state, dev edits), reth's
 * debug_accountInfoAt, debug_accountAt and debug_dbGet, and their errors
 * and malformed parameters. */
#include <stdarg.h>
#include "test.h"
#include "node_rpc.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/state_host.h"
#include "parevm/trie.h"

/* Constructor: slot i = (i + 1) * 0x11 for i in 0..9; runtime (8 bytes at
 * offset 0x3e): SSTORE(calldata[0], calldata[32]). */
static const char INIT[] = "0x"
                           "601160005560226001556033600255604460035560556004556066600555607760065560886007556099600855"
                           "60aa600955"
                           "6008603e60003960086000f3"
                           "6020356000355500";
static const char RUNTIME[] = "0x6020356000355500";
static const char BEACON[] = "000f3df6d732807ef1319fb7b8bb8522d0beac02";  /* EIP-4788 */
static const char HISTORY[] = "0000f90827f1c53a10cb7a02335b175320002935"; /* EIP-2935 */

typedef struct {
    test_node t;
    address contract, fresh, beacon, history, coinbase;
    char hash[8][67]; /* block hashes */
    uint64_t head;
} chain;

static bool mine(chain *c) {
    json_t *r = test_ok(&c->t, "evm_mine", "[]");
    json_decref(r);
    if (!r) return false;
    c->head++;
    char p[48];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)c->head);
    json_t *b = test_ok(&c->t, "eth_getBlockByNumber", p);
    bool good = b && c->head < 8;
    if (good) snprintf(c->hash[c->head], 67, "%s", test_str(b, "hash"));
    json_decref(b);
    return good;
}

/* calldata of SSTORE(key, value). */
static void store_data(uint64_t key, uint64_t value, char out[131]) {
    snprintf(out, 131, "0x%064llx%064llx", (unsigned long long)key, (unsigned long long)value);
}

static bool call_store(chain *c, int from, uint64_t nonce, uint64_t key, uint64_t value) {
    char data[131];
    store_data(key, value, data);
    transaction tx;
    test_tx(&tx, nonce, &c->contract, data, 0);
    bool good = test_send(&c->t, &tx, from);
    tx_free(&tx);
    return good;
}

static bool transfer(chain *c, int from, uint64_t nonce, const address *to, uint64_t value) {
    transaction tx;
    test_tx(&tx, nonce, to, NULL, value);
    bool good = test_send(&c->t, &tx, from);
    tx_free(&tx);
    return good;
}

/* Blocks (automine off, one evm_mine each):
 *   1: acct0 creates the contract (slots 0..9)
 *   2: acct1 sends 5 wei to a fresh account
 *   3: acct2 sets slot 1 = 0x99
 *   4: acct2 sets slot 1 back to 0x22
 *   5: acct3 sets slot 20 = 7 (tx 0); acct0 clears slot 0 (tx 1)
 *   6: acct3 sends 1 wei to the fresh account */
static bool build(chain *c) {
    memset(c, 0, sizeof *c);
    if (!test_node_open(&c->t)) return false;
    hex_to_fixed(BEACON, c->beacon.b, 20);
    hex_to_fixed(HISTORY, c->history.b, 20);
    memset(c->fresh.b, 0x5a, 20);
    c->contract = create_address(&c->t.acct[0], 0);
    json_t *r = test_ok(&c->t, "evm_setAutomine", "[false]");
    json_decref(r);
    bool good = r != NULL;
    transaction tx;
    test_tx(&tx, 0, NULL, INIT, 0);
    good &= test_send(&c->t, &tx, 0) && mine(c);
    tx_free(&tx);
    good &= transfer(c, 1, 0, &c->fresh, 5) && mine(c);
    good &= call_store(c, 2, 0, 1, 0x99) && mine(c);
    good &= call_store(c, 2, 1, 1, 0x22) && mine(c);
    good &= call_store(c, 3, 0, 20, 7) && call_store(c, 0, 1, 0, 0) && mine(c);
    good &= transfer(c, 3, 1, &c->fresh, 1) && mine(c);
    json_t *blk = test_ok(&c->t, "eth_getBlockByNumber", "[\"latest\",false]");
    good &= blk && hex_to_fixed(test_str(blk, "miner"), c->coinbase.b, 20);
    json_decref(blk);
    return good && c->head == 6;
}

static bytes32 addr_hash(const address *a) { return keccak256_hash(a->b, 20); }

static bytes32 slot_hash(uint64_t slot) {
    uint8_t be[32] = {0};
    for (int i = 0; i < 8; i++) be[31 - i] = (uint8_t)(slot >> (8 * i));
    return keccak256_hash(be, 32);
}

static int cmp_by_hash(const void *a, const void *b) {
    bytes32 x = addr_hash(a), y = addr_hash(b);
    return memcmp(x.b, y.b, 32);
}

/* Whether result is exactly the addresses want[0..n) in hashed order. */
static bool is_address_list(const json_t *result, address *want, size_t n) {
    qsort(want, n, sizeof *want, cmp_by_hash);
    bool good = json_is_array(result) && json_array_size(result) == n;
    for (size_t i = 0; good && i < n; i++) {
        char h[43];
        hex_encode(want[i].b, 20, h);
        good = !strcmp(json_string_value(json_array_get(result, i)) ?: "", h);
    }
    if (!good) {
        char *s = result ? json_dumps(result, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "  got %s\n", s ? s : "(null)");
        free(s);
    }
    return good;
}

static json_t *call(chain *c, const char *method, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_t *call(chain *c, const char *method, const char *fmt, ...) {
    char p[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    return test_ok(&c->t, method, p);
}

/* The error of a request: its code, and whether its message contains want. */
static long long error_of(chain *c, const char *method, const char *params, const char *want) {
    char msg[300];
    long long code = test_err(&c->t, method, params, msg, sizeof msg);
    if (want && !strstr(msg, want)) {
        fprintf(stderr, "  %s %s: message \"%s\", want \"%s\"\n", method, params, msg, want);
        return 0;
    }
    return code;
}

/* ---- eth_getHeaderBy* ---------------------------------------------------------------------- */

TEST(headers_are_the_blocks_fields) {
    chain c;
    CHECK(build(&c));
    for (uint64_t b = 0; b <= c.head; b++) {
        json_t *blk = call(&c, "eth_getBlockByNumber", "[\"0x%llx\",false]", (unsigned long long)b);
        json_t *h = call(&c, "eth_getHeaderByNumber", "[\"0x%llx\"]", (unsigned long long)b);
        json_t *hh = call(&c, "eth_getHeaderByHash", "[\"%s\"]", test_str(blk, "hash"));
        CHECK(blk && h && hh);
        if (!blk || !h || !hh) continue;
        /* the block's object is the header's plus its body fields */
        json_t *want = json_deep_copy(blk);
        CHECK(json_object_get(want, "transactions") && json_object_get(want, "uncles") &&
              json_object_get(want, "size") && json_object_get(want, "withdrawals"));
        json_object_del(want, "transactions");
        json_object_del(want, "uncles");
        json_object_del(want, "size");
        json_object_del(want, "withdrawals");
        CHECK(json_equal(h, want));
        CHECK(json_equal(hh, want));
        CHECK(json_object_size(h) == json_object_size(blk) - 4);
        CHECK(test_qty(h, "number") == b && json_object_get(h, "withdrawalsRoot"));
        json_decref(want);
        json_decref(blk);
        json_decref(h);
        json_decref(hh);
    }
    json_t *latest = call(&c, "eth_getHeaderByNumber", "[\"latest\"]");
    CHECK(latest && !strcmp(test_str(latest, "hash"), c.hash[6]));
    json_decref(latest);
    /* no such block: null */
    json_t *none = call(&c, "eth_getHeaderByNumber", "[\"0x7\"]");
    CHECK(none && json_is_null(none));
    json_decref(none);
    none = call(&c, "eth_getHeaderByHash", "[\"0x%064d\"]", 1);
    CHECK(none && json_is_null(none));
    json_decref(none);
    /* malformed */
    CHECK(error_of(&c, "eth_getHeaderByNumber", "[]", NULL) == -32602);
    CHECK(error_of(&c, "eth_getHeaderByNumber", "[1]", NULL) == -32602);
    CHECK(error_of(&c, "eth_getHeaderByNumber", "[\"0x1\",true]", NULL) == -32602);
    CHECK(error_of(&c, "eth_getHeaderByHash", "[\"0x12\"]", NULL) == -32602);
    CHECK(error_of(&c, "eth_getHeaderByHash", "[\"latest\"]", NULL) == -32602);
    test_node_close(&c.t);
}

/* ---- debug_getModifiedAccountsBy* ----------------------------------------------------------- */

TEST(modified_accounts_of_a_transfer) {
    chain c;
    CHECK(build(&c));
    /* block 2: sender, recipient, the coinbase (its tip) and the system
     * contracts every block writes (EIP-4788, EIP-2935) */
    address want[5] = {c.t.acct[1], c.fresh, c.coinbase, c.beacon, c.history};
    json_t *r = call(&c, "debug_getModifiedAccountsByNumber", "[2]");
    CHECK(is_address_list(r, want, 5));
    json_decref(r);
    r = call(&c, "debug_getModifiedAccountsByNumber", "[\"0x2\"]");
    CHECK(is_address_list(r, want, 5));
    json_decref(r);
    r = call(&c, "debug_getModifiedAccountsByHash", "[\"%s\"]", c.hash[2]);
    CHECK(is_address_list(r, want, 5));
    json_decref(r);
    /* two arguments, one block apart: the same */
    r = call(&c, "debug_getModifiedAccountsByNumber", "[1,2]");
    CHECK(is_address_list(r, want, 5));
    json_decref(r);
    /* block 1: the creator and the new contract */
    address want1[5] = {c.t.acct[0], c.contract, c.coinbase, c.beacon, c.history};
    r = call(&c, "debug_getModifiedAccountsByNumber", "[1]");
    CHECK(is_address_list(r, want1, 5));
    json_decref(r);
    test_node_close(&c.t);
}

TEST(modified_accounts_between_states) {
    chain c;
    CHECK(build(&c));
    /* blocks 3 and 4 set slot 1 and set it back: the contract's leaf is the
     * same after 2 and after 4, though each block changed it */
    address want[4] = {c.t.acct[2], c.coinbase, c.beacon, c.history};
    json_t *r = call(&c, "debug_getModifiedAccountsByNumber", "[2,4]");
    CHECK(is_address_list(r, want, 4));
    json_decref(r);
    r = call(&c, "debug_getModifiedAccountsByHash", "[\"%s\",\"%s\"]", c.hash[2], c.hash[4]);
    CHECK(is_address_list(r, want, 4));
    json_decref(r);
    address want3[5] = {c.t.acct[2], c.contract, c.coinbase, c.beacon, c.history};
    r = call(&c, "debug_getModifiedAccountsByNumber", "[3]");
    CHECK(is_address_list(r, want3, 5));
    json_decref(r);
    /* from genesis to the head: every account the chain touched */
    address all[9] = {c.t.acct[0], c.t.acct[1], c.t.acct[2], c.t.acct[3], c.contract,
                      c.fresh,     c.coinbase,  c.beacon,    c.history};
    r = call(&c, "debug_getModifiedAccountsByNumber", "[0,6]");
    CHECK(is_address_list(r, all, 9));
    json_decref(r);
    /* geth's errors */
    CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", "[5,3]",
                   "start block height (5) must be less than end block height (3)") == -32000);
    CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", "[3,3]",
                   "start block height (3) must be less than end block height (3)") == -32000);
    CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", "[99]", "start block 63 not found") == -32000);
    CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", "[1,100]", "end block 100 not found") == -32000);
    CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", "[0]", "block 0 has no parent") == -32000);
    char p[200], want_msg[100];
    snprintf(p, sizeof p, "[\"0x%064d\"]", 7);
    snprintf(want_msg, sizeof want_msg, "start block %064d not found", 7);
    CHECK(error_of(&c, "debug_getModifiedAccountsByHash", p, want_msg) == -32000);
    snprintf(p, sizeof p, "[\"%s\",\"0x%064d\"]", c.hash[1], 7);
    snprintf(want_msg, sizeof want_msg, "end block %064d not found", 7);
    CHECK(error_of(&c, "debug_getModifiedAccountsByHash", p, want_msg) == -32000);
    snprintf(p, sizeof p, "[\"%s\",\"%s\"]", c.hash[4], c.hash[2]);
    CHECK(error_of(&c, "debug_getModifiedAccountsByHash", p, "start block height (4) must be less") == -32000);
    /* malformed */
    const char *bad[] = {"[]", "[\"zz\"]", "[-1]", "[1.5]", "[1,2,3]", "[true]", "[\"0x01\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(error_of(&c, "debug_getModifiedAccountsByNumber", bad[i], NULL) == -32602);
    CHECK(error_of(&c, "debug_getModifiedAccountsByHash", "[\"0x12\"]", NULL) == -32602);
    CHECK(error_of(&c, "debug_getModifiedAccountsByHash", "[2]", NULL) == -32602);
    test_node_close(&c.t);
}

/* ---- debug_setHead ---------------------------------------------------------------------------- */

static bool result_is(chain *c, const char *method, const char *params, const char *want_text) {
    json_t *r = test_ok(&c->t, method, params);
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
    bool eq = r && want && json_equal(r, want);
    if (!eq) {
        char *g = r ? json_dumps(r, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "  %s %s: got %s, want %s\n", method, params, g ? g : "(error)", want_text);
        free(g);
    }
    json_decref(r);
    json_decref(want);
    return eq;
}

TEST(set_head_rewinds_the_chain_and_state) {
    chain c;
    CHECK(build(&c));
    char fresh[43], contract[43], p[200];
    hex_encode(c.fresh.b, 20, fresh);
    hex_encode(c.contract.b, 20, contract);
    json_t *filter = test_ok(&c.t, "eth_newBlockFilter", "[]");
    CHECK(filter != NULL);
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(filter) ?: "");
    CHECK(result_is(&c, "eth_getFilterChanges", p, "[]"));
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", fresh);
    CHECK(result_is(&c, "eth_getBalance", p, "\"0x6\""));

    /* a pending transaction of acct3 (nonce 2) */
    CHECK(transfer(&c, 3, 2, &c.fresh, 1000));
    CHECK(result_is(&c, "txpool_status", "[]", "{\"pending\":\"0x1\",\"queued\":\"0x0\"}"));

    CHECK(result_is(&c, "debug_setHead", "[\"0x2\"]", "null"));
    CHECK(result_is(&c, "eth_blockNumber", "[]", "\"0x2\""));
    /* the pool follows the new head: acct3's nonce is 0 again, so its
     * nonce-2 transaction waits (the rewound blocks' transactions are not
     * put back, as in geth after a setHead) */
    CHECK(result_is(&c, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x1\"}"));
    CHECK(result_is(&c, "eth_getBalance", p, "\"0x5\""));
    snprintf(p, sizeof p, "[\"%s\",\"0x1\",\"latest\"]", contract);
    CHECK(result_is(&c, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000022\""));
    snprintf(p, sizeof p, "[\"%s\",\"0x0\",\"latest\"]", contract);
    CHECK(result_is(&c, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000011\""));
    char a3[43];
    hex_encode(c.t.acct[3].b, 20, a3);
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", a3);
    CHECK(result_is(&c, "eth_getTransactionCount", p, "\"0x0\""));
    CHECK(result_is(&c, "eth_getBlockByNumber", "[\"0x3\",false]", "null"));
    CHECK(result_is(&c, "eth_getHeaderByNumber", "[\"0x3\"]", "null"));
    json_t *h = call(&c, "eth_getHeaderByNumber", "[\"latest\"]");
    CHECK(h && !strcmp(test_str(h, "hash"), c.hash[2]));
    json_decref(h);
    /* the head or above: refused, nothing moves */
    CHECK(error_of(&c, "debug_setHead", "[\"0x2\"]", "not allowed to rewind to a future block") == -32000);
    CHECK(error_of(&c, "debug_setHead", "[\"0x5\"]", "not allowed to rewind to a future block") == -32000);
    const char *bad[] = {"[]", "[1]", "[\"1\"]", "[\"0x01\"]", "[\"0x1\",\"0x2\"]", "[\"latest\"]", "[{}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(error_of(&c, "debug_setHead", bad[i], NULL) == -32602);
    CHECK(result_is(&c, "eth_blockNumber", "[]", "\"0x2\""));

    /* the chain goes on from block 2: acct3's nonce 0 again */
    CHECK(transfer(&c, 3, 0, &c.fresh, 100));
    c.head = 2;
    CHECK(mine(&c));
    CHECK(result_is(&c, "eth_blockNumber", "[]", "\"0x3\""));
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", fresh);
    CHECK(result_is(&c, "eth_getBalance", p, "\"0x69\""));
    address want[5] = {c.t.acct[3], c.fresh, c.coinbase, c.beacon, c.history};
    json_t *r = call(&c, "debug_getModifiedAccountsByNumber", "[3]");
    CHECK(is_address_list(r, want, 5));
    json_decref(r);
    /* the block filter reports the new block 3 */
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(filter) ?: "");
    r = test_ok(&c.t, "eth_getFilterChanges", p);
    bool seen = false;
    for (size_t i = 0; r && i < json_array_size(r); i++) seen |= !strcmp(json_string_value(json_array_get(r, i)) ?: "", c.hash[3]);
    CHECK(seen);
    json_decref(r);
    json_decref(filter);
    /* back to genesis */
    CHECK(result_is(&c, "debug_setHead", "[\"0x0\"]", "null"));
    CHECK(result_is(&c, "eth_blockNumber", "[]", "\"0x0\""));
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", fresh);
    CHECK(result_is(&c, "eth_getBalance", p, "\"0x0\""));
    test_node_close(&c.t);
}

/* ---- debug_storageRangeAt --------------------------------------------------------------------- */

/* The contract's slots as a test expects them: values by slot (0: absent). */
typedef struct {
    uint64_t value[32];
} slots;

static slots constructor_slots(void) {
    slots s = {{0}};
    for (int i = 0; i < 10; i++) s.value[i] = (uint64_t)(i + 1) * 0x11;
    return s;
}

static bool word_is(const json_t *v, uint64_t want) {
    char w[67];
    snprintf(w, sizeof w, "0x%064llx", (unsigned long long)want);
    return json_is_string(v) && !strcmp(json_string_value(v), w);
}

/* Checks one page: each entry keyed by the keccak of its key, with the
 * expected value, in hashed order after *last (updated); counts them. */
static bool check_page(const json_t *storage, const slots *want, bytes32 *last, size_t *count) {
    if (!json_is_object(storage)) return false;
    /* jansson keeps no order: sort the page's keys */
    size_t n = json_object_size(storage), k = 0;
    bytes32 *keys = calloc(n ? n : 1, sizeof *keys);
    const char *key;
    json_t *e;
    bool good = true;
    json_object_foreach((json_t *)storage, key, e) {
        good &= hex_to_fixed(key, keys[k].b, 32);
        uint64_t slot = UINT64_MAX;
        const char *ks = json_string_value(json_object_get(e, "key"));
        good &= ks && strlen(ks) == 66 && hex_parse_u64(ks, &slot) && slot < 32;
        if (!good) break;
        bytes32 h = slot_hash(slot);
        good &= bytes32_eq(&h, &keys[k]) && want->value[slot] != 0 && word_is(json_object_get(e, "value"), want->value[slot]);
        k++;
    }
    for (size_t i = 0; good && i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            if (memcmp(keys[j].b, keys[i].b, 32) < 0) {
                bytes32 t = keys[i];
                keys[i] = keys[j], keys[j] = t;
            }
        good &= memcmp(keys[i].b, last->b, 32) > 0;
        *last = keys[i];
    }
    free(keys);
    *count += n;
    return good;
}

/* Pages through the contract's storage before transaction index of block,
 * page slots at a time; true when it is exactly want, in order. */
static bool range_is(chain *c, uint64_t block, int index, size_t page, const slots *want) {
    char start[67] = "0x";
    bytes32 last = {{0}};
    size_t count = 0, expected = 0, pages = 0;
    for (int i = 0; i < 32; i++) expected += want->value[i] != 0;
    char addr[43];
    hex_encode(c->contract.b, 20, addr);
    for (;;) {
        json_t *r = call(c, "debug_storageRangeAt", "[\"0x%llx\",%d,\"%s\",\"%s\",%zu]", (unsigned long long)block,
                         index, addr, start, page);
        bool good = r && check_page(json_object_get(r, "storage"), want, &last, &count);
        const json_t *next = json_object_get(r, "nextKey");
        good &= next && (json_is_null(next) || json_is_string(next));
        if (good && json_is_string(next)) snprintf(start, sizeof start, "%s", json_string_value(next));
        bool done = !good || json_is_null(next);
        json_decref(r);
        if (!good) return false;
        pages++;
        if (done) break;
        if (pages > 40) return false;
    }
    if (count != expected) fprintf(stderr, "  block %llu index %d: %zu slots, want %zu\n", (unsigned long long)block, index, count, expected);
    /* full pages, the last one with a null nextKey */
    return count == expected && pages == (expected + page - 1) / page;
}

TEST(storage_range_before_transactions_and_paged) {
    chain c;
    CHECK(build(&c));
    slots s = constructor_slots();
    /* before block 3's call (the state after block 2), at once and paged */
    CHECK(range_is(&c, 3, 0, 100, &s));
    CHECK(range_is(&c, 3, 0, 3, &s));
    CHECK(range_is(&c, 3, 0, 1, &s));
    /* before block 4's call: slot 1 is 0x99 */
    s.value[1] = 0x99;
    CHECK(range_is(&c, 4, 0, 4, &s));
    /* block 5: before tx 0, then before tx 1 (slot 20 set by tx 0) */
    s.value[1] = 0x22;
    CHECK(range_is(&c, 5, 0, 4, &s));
    s.value[20] = 7;
    CHECK(range_is(&c, 5, 1, 4, &s));
    /* before block 6's transfer: slot 0 cleared by block 5's tx 1 */
    s.value[0] = 0;
    CHECK(range_is(&c, 6, 0, 2, &s));
    CHECK(range_is(&c, 6, 0, 10, &s));

    char addr[43], p[300];
    hex_encode(c.contract.b, 20, addr);
    /* maxResult 0: nothing, and the first key as nextKey */
    json_t *r = call(&c, "debug_storageRangeAt", "[\"0x6\",0,\"%s\",\"0x\",0]", addr);
    bytes32 first = {{0xff}};
    for (int i = 1; i < 32; i++) {
        bytes32 h = slot_hash((uint64_t)i);
        if (s.value[i] && memcmp(h.b, first.b, 32) < 0) first = h;
    }
    char fh[67];
    hex_encode(first.b, 32, fh);
    CHECK(r && json_object_size(json_object_get(r, "storage")) == 0 && !strcmp(test_str(r, "nextKey"), fh));
    json_decref(r);
    /* a start past every key: an empty map, no next key */
    r = call(&c, "debug_storageRangeAt", "[\"0x6\",0,\"%s\",\"0x%s\",5]", addr,
             "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    CHECK(r && json_is_object(json_object_get(r, "storage")) && json_object_size(json_object_get(r, "storage")) == 0 &&
          json_is_null(json_object_get(r, "nextKey")));
    json_decref(r);
    /* a short start is a prefix: "0x" + the first key's first byte starts at or before it */
    snprintf(p, sizeof p, "[\"0x6\",0,\"%s\",\"%.4s\",1]", addr, fh);
    r = test_ok(&c.t, "debug_storageRangeAt", p);
    CHECK(r && json_object_get(json_object_get(r, "storage"), fh));
    json_decref(r);
    /* no storage: the contract before its creation, an account */
    CHECK(result_is(&c, "debug_storageRangeAt",
                    (snprintf(p, sizeof p, "[\"0x1\",0,\"%s\",\"0x\",5]", addr), p), "{\"storage\":null,\"nextKey\":null}"));
    char fresh[43];
    hex_encode(c.fresh.b, 20, fresh);
    CHECK(result_is(&c, "debug_storageRangeAt",
                    (snprintf(p, sizeof p, "[\"latest\",0,\"%s\",\"0x\",5]", fresh), p), "{\"storage\":null,\"nextKey\":null}"));
    /* by hash */
    snprintf(p, sizeof p, "[\"%s\",1,\"%s\",\"0x\",100]", c.hash[5], addr);
    r = test_ok(&c.t, "debug_storageRangeAt", p);
    CHECK(r && json_object_size(json_object_get(r, "storage")) == 11);
    json_decref(r);
    /* errors */
    snprintf(p, sizeof p, "[\"0x0\",0,\"%s\",\"0x\",5]", addr);
    CHECK(error_of(&c, "debug_storageRangeAt", p, "no transaction in genesis") == -32000);
    snprintf(p, sizeof p, "[\"0x9\",0,\"%s\",\"0x\",5]", addr);
    CHECK(error_of(&c, "debug_storageRangeAt", p, "block 0x9 not found") == -32000);
    snprintf(p, sizeof p, "[\"0x5\",2,\"%s\",\"0x\",5]", addr);
    char want[160];
    snprintf(want, sizeof want, "transaction index 2 out of range for block %s", c.hash[5]);
    CHECK(error_of(&c, "debug_storageRangeAt", p, want) == -32000);
    snprintf(p, sizeof p, "[\"0x5\",-1,\"%s\",\"0x\",5]", addr);
    CHECK(error_of(&c, "debug_storageRangeAt", p, "out of range") == -32000);
    const char *bad[] = {
        "[\"0x5\",0,\"%s\",\"0x\"]",        "[\"0x5\",\"zero\",\"%s\",\"0x\",5]", "[\"0x5\",0,\"0x12\",\"0x\",5]",
        "[\"0x5\",0,\"%s\",\"0x1\",5]",     "[\"0x5\",0,\"%s\",\"12\",5]",        "[\"0x5\",0,\"%s\",\"0x\",\"many\"]",
        "[\"soon\",0,\"%s\",\"0x\",5]",     "[\"0x5\",0.5,\"%s\",\"0x\",5]",      "[\"0x5\",0,\"%s\",\"0x\",5,1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(p, sizeof p, bad[i], addr);
        CHECK(error_of(&c, "debug_storageRangeAt", p, NULL) == -32602);
    }
    test_node_close(&c.t);
}

/* ---- debug_accountInfoAt, debug_accountAt, debug_dbGet (reth's) --------------------------------- */

/* The storage root of slots (value 0: absent), as the state trie has it. */
static bytes32 slots_root(const slots *s) {
    trie_kv kv[32];
    uint8_t keys[32][32], vals[32][40];
    size_t n = 0;
    for (int i = 0; i < 32; i++) {
        if (!s->value[i]) continue;
        memset(keys[n], 0, 32);
        keys[n][31] = (uint8_t)i;
        buf_t v = {0};
        u256 w = u256_from_u64(s->value[i]);
        rlp_encode_u256(&v, &w);
        memcpy(vals[n], v.data, v.len);
        kv[n] = (trie_kv){keys[n], 32, vals[n], v.len};
        buf_free(&v);
        n++;
    }
    return trie_root_secure(kv, n);
}

static bool hash_field_is(const json_t *o, const char *key, const bytes32 *want) {
    bytes32 got;
    const char *t = json_string_value(json_object_get(o, key));
    return t && strlen(t) == 66 && hex_to_fixed(t, got.b, 32) && bytes32_eq(&got, want);
}

TEST(account_at_and_db_get) {
    chain c;
    CHECK(build(&c));
    char contract[43], fresh[43], p[300];
    hex_encode(c.contract.b, 20, contract);
    hex_encode(c.fresh.b, 20, fresh);
    /* after a transaction: balance, nonce and code; an account not there yet is zeros */
    snprintf(p, sizeof p, "[\"0x2\",0,\"%s\"]", fresh);
    CHECK(result_is(&c, "debug_accountInfoAt", p, "{\"balance\":\"0x5\",\"nonce\":\"0x0\",\"code\":\"0x\"}"));
    snprintf(p, sizeof p, "[\"0x6\",\"0x0\",\"%s\"]", fresh);
    CHECK(result_is(&c, "debug_accountInfoAt", p, "{\"balance\":\"0x6\",\"nonce\":\"0x0\",\"code\":\"0x\"}"));
    snprintf(p, sizeof p, "[\"0x1\",0,\"%s\"]", fresh);
    CHECK(result_is(&c, "debug_accountInfoAt", p, "{\"balance\":\"0x0\",\"nonce\":\"0x0\",\"code\":\"0x\"}"));
    CHECK(result_is(&c, "debug_accountAt", p, "null"));
    char want[300];
    snprintf(want, sizeof want, "{\"balance\":\"0x0\",\"nonce\":\"0x1\",\"code\":\"%s\"}", RUNTIME);
    snprintf(p, sizeof p, "[\"%s\",0,\"%s\"]", c.hash[5], contract);
    CHECK(result_is(&c, "debug_accountInfoAt", p, want));

    /* debug_accountAt: the storage root after each of block 5's transactions */
    slots s = constructor_slots();
    s.value[1] = 0x22, s.value[20] = 7;
    bytes32 after0 = slots_root(&s);
    s.value[0] = 0;
    bytes32 after1 = slots_root(&s);
    uint8_t rt[8];
    hex_decode(RUNTIME, rt, sizeof rt);
    bytes32 code_hash = keccak256_hash(rt, sizeof rt);
    json_t *r = call(&c, "debug_accountAt", "[\"0x5\",0,\"%s\"]", contract);
    CHECK(r && hash_field_is(r, "storageRoot", &after0) && hash_field_is(r, "codeHash", &code_hash) &&
          !strcmp(test_str(r, "nonce"), "0x1") && !strcmp(test_str(r, "balance"), "0x0") && json_object_size(r) == 4);
    json_decref(r);
    r = call(&c, "debug_accountAt", "[\"0x5\",1,\"%s\"]", contract);
    json_t *proof = call(&c, "eth_getProof", "[\"%s\",[],\"0x5\"]", contract);
    bytes32 proven;
    CHECK(proof && hex_to_fixed(test_str(proof, "storageHash"), proven.b, 32) && bytes32_eq(&proven, &after1));
    CHECK(r && hash_field_is(r, "storageRoot", &after1));
    json_decref(r);
    json_decref(proof);
    /* untouched by the block: the root from the parent's trie */
    r = call(&c, "debug_accountAt", "[\"0x6\",0,\"%s\"]", contract);
    CHECK(r && hash_field_is(r, "storageRoot", &after1));
    json_decref(r);
    r = call(&c, "debug_accountAt", "[\"0x6\",0,\"%s\"]", fresh);
    CHECK(r && hash_field_is(r, "storageRoot", &EMPTY_TRIE_ROOT) && hash_field_is(r, "codeHash", &EMPTY_CODE_HASH) &&
          !strcmp(test_str(r, "balance"), "0x6"));
    json_decref(r);

    /* reth's errors */
    snprintf(p, sizeof p, "[\"0x9\",0,\"%s\"]", contract);
    CHECK(error_of(&c, "debug_accountAt", p, "block not found: 0x9") == -32001);
    snprintf(p, sizeof p, "[\"0x%064x\",0,\"%s\"]", 7, contract);
    CHECK(error_of(&c, "debug_accountInfoAt", p, "block not found: hash 0x000") == -32001);
    snprintf(p, sizeof p, "[\"0x5\",2,\"%s\"]", contract);
    CHECK(error_of(&c, "debug_accountInfoAt", p, "tx_index 2 out of bounds for block with 2 transactions") == -32602);
    snprintf(p, sizeof p, "[\"0x0\",0,\"%s\"]", contract);
    CHECK(error_of(&c, "debug_accountAt", p, "tx_index 0 out of bounds for block with 0 transactions") == -32602);
    const char *bad[] = {"[\"0x5\",0]", "[\"0x5\",-1,\"%s\"]", "[\"0x5\",0,\"0x12\"]", "[\"soon\",0,\"%s\"]",
                         "[\"0x5\",0,\"%s\",1]", "[\"0x5\",\"one\",\"%s\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(p, sizeof p, bad[i], contract);
        CHECK(error_of(&c, "debug_accountAt", p, NULL) == -32602);
        CHECK(error_of(&c, "debug_accountInfoAt", p, NULL) == -32602);
    }

    /* debug_dbGet: 0x63 + a code hash */
    char h[67];
    hex_encode(code_hash.b, 32, h);
    snprintf(p, sizeof p, "[\"0x63%s\"]", h + 2);
    snprintf(want, sizeof want, "\"%s\"", RUNTIME);
    CHECK(result_is(&c, "debug_dbGet", p, want));
    snprintf(p, sizeof p, "[\"0x63%064x\"]", 9);
    CHECK(result_is(&c, "debug_dbGet", p, "null"));
    snprintf(p, sizeof p, "[\"0x64%s\"]", h + 2);
    CHECK(error_of(&c, "debug_dbGet", p, "Key prefix must be 0x63") == -32602);
    CHECK(error_of(&c, "debug_dbGet", "[\"0x63\"]", "Key must be 33 bytes, got 1") == -32602);
    CHECK(error_of(&c, "debug_dbGet", "[\"0x63zz\"]", "Invalid hex key") == -32602);
    CHECK(error_of(&c, "debug_dbGet", "[\"0x631\"]", "Invalid hex key") == -32602);
    /* a key that is not hex is its own bytes: 'c' and 32 more */
    CHECK(result_is(&c, "debug_dbGet", "[\"cabcdefghijklmnopqrstuvwxyz012345\"]", "null"));
    CHECK(error_of(&c, "debug_dbGet", "[\"abc\"]", "Key must be 33 bytes, got 3") == -32602);
    CHECK(error_of(&c, "debug_dbGet", "[7]", NULL) == -32602);
    CHECK(error_of(&c, "debug_dbGet", "[]", NULL) == -32602);
    test_node_close(&c.t);
}

/* ---- debug_accountRange, debug_dumpBlock ------------------------------------------------------- */

/* The account of a dump by address (its checksummed key). */
static const json_t *dumped(const json_t *dump, const address *a) {
    const char *key;
    json_t *v;
    char h[43];
    hex_encode(a->b, 20, h);
    json_object_foreach((json_t *)json_object_get(dump, "accounts"), key, v) {
        if (!strcasecmp(key, h)) return strcmp(key, h) ? v : NULL; /* checksummed, not lower-case */
    }
    return NULL;
}

/* The storageHash eth_getProof gives for a at block. */
static bool proof_root(chain *c, const address *a, const char *block, char out[67]) {
    char h[43];
    hex_encode(a->b, 20, h);
    json_t *r = call(c, "eth_getProof", "[\"%s\",[],\"%s\"]", h, block);
    bool good = r && strlen(test_str(r, "storageHash")) == 66;
    if (good) snprintf(out, 67, "%s", test_str(r, "storageHash"));
    json_decref(r);
    return good;
}

/* Checks the contract's dumped entry: fields, code and storage (want). */
static bool contract_entry_is(chain *c, const json_t *e, const char *block, const slots *want, bool code,
                              bool storage) {
    char root[67], key[67], addr[43];
    bytes32 hk = addr_hash(&c->contract);
    hex_encode(hk.b, 32, key);
    hex_encode(c->contract.b, 20, addr);
    uint8_t *rt;
    size_t rtn;
    if (!hex_decode_alloc(RUNTIME, &rt, &rtn)) abort();
    bytes32 ch = keccak256_hash(rt, rtn);
    free(rt);
    char chh[67];
    hex_encode(ch.b, 32, chh);
    bool good = e && proof_root(c, &c->contract, block, root) && !strcmp(test_str(e, "root"), root) &&
                !strcmp(test_str(e, "balance"), "0") && json_integer_value(json_object_get(e, "nonce")) == 1 &&
                !strcmp(test_str(e, "codeHash"), chh) && !strcmp(test_str(e, "key"), key) &&
                !strcmp(test_str(e, "address"), addr);
    good &= code ? !strcmp(test_str(e, "code"), RUNTIME) : json_object_get(e, "code") == NULL;
    const json_t *st = json_object_get(e, "storage");
    if (!storage) return good && st == NULL;
    size_t n = 0;
    for (int i = 0; i < 32; i++) {
        if (!want->value[i]) continue;
        char k[67], v[17];
        snprintf(k, sizeof k, "0x%064x", i);
        snprintf(v, sizeof v, "%02llx", (unsigned long long)want->value[i]);
        good &= !strcmp(json_string_value(json_object_get(st, k)) ?: "", v);
        n++;
    }
    return good && json_object_size(st) == n;
}

/* Every account of a dump at block, paged by `page` accounts; their keys
 * must come in increasing order. */
static json_t *all_accounts(chain *c, const char *block, size_t page) {
    json_t *all = json_object();
    char start[67] = "0x";
    bytes32 last = {{0}};
    bool good = true;
    for (int pages = 0; good && pages < 100; pages++) {
        json_t *r = call(c, "debug_accountRange", "[\"%s\",\"%s\",%zu,true,true,false]", block, start, page);
        good = r && json_object_size(json_object_get(r, "accounts")) <= page;
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(r, "accounts"), key, v) {
            bytes32 k;
            good &= hex_to_fixed(test_str(v, "key"), k.b, 32) && memcmp(k.b, last.b, 32) > 0;
            json_object_set(all, key, v);
        }
        /* the page's highest key, for the order of the next page */
        json_object_foreach(json_object_get(r, "accounts"), key, v) {
            bytes32 k;
            if (hex_to_fixed(test_str(v, "key"), k.b, 32) && memcmp(k.b, last.b, 32) > 0) last = k;
        }
        const json_t *next = json_object_get(r, "next");
        bool done = !next;
        if (next) snprintf(start, sizeof start, "%s", json_string_value(next) ?: "");
        json_decref(r);
        if (done) return good ? all : (json_decref(all), NULL);
    }
    json_decref(all);
    return NULL;
}

TEST(account_range_and_dump) {
    chain c;
    CHECK(build(&c));
    slots s = constructor_slots();
    s.value[20] = 7, s.value[0] = 0;
    json_t *d = call(&c, "debug_accountRange", "[\"latest\",\"0x\",256,false,false,false]");
    CHECK(d && !json_object_get(d, "next"));
    json_t *blk = call(&c, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(blk && !strcmp(test_str(d, "root"), test_str(blk, "stateRoot") + 2));
    json_decref(blk);
    CHECK(contract_entry_is(&c, dumped(d, &c.contract), "latest", &s, true, true));
    const json_t *f = dumped(d, &c.fresh);
    CHECK(f && !strcmp(test_str(f, "balance"), "6") && json_integer_value(json_object_get(f, "nonce")) == 0 &&
          !json_object_get(f, "code") && !json_object_get(f, "storage") &&
          !strcmp(test_str(f, "root"), "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"));
    const json_t *a3 = dumped(d, &c.t.acct[3]);
    CHECK(a3 && json_integer_value(json_object_get(a3, "nonce")) == 2);
    /* paged one or three at a time: the same accounts */
    json_t *p1 = all_accounts(&c, "latest", 1), *p3 = all_accounts(&c, "latest", 3);
    CHECK(p1 && p3 && json_object_size(p1) == json_object_size(json_object_get(d, "accounts")) &&
          json_object_size(p3) == json_object_size(p1));
    const char *key;
    json_t *v;
    json_object_foreach(p1, key, v) CHECK(json_object_get(json_object_get(d, "accounts"), key) != NULL);
    json_decref(p1);
    json_decref(p3);
    /* nocode, nostorage: the same root */
    json_t *lean = call(&c, "debug_accountRange", "[\"latest\",\"0x\",0,true,true,true]");
    CHECK(contract_entry_is(&c, dumped(lean, &c.contract), "latest", &s, false, false));
    json_decref(lean);

    /* block 1: the contract as its constructor left it, the fresh account absent */
    json_t *d1 = call(&c, "debug_dumpBlock", "[\"0x1\"]");
    CHECK(d1 && dumped(d1, &c.fresh) == NULL);
    slots s1 = constructor_slots();
    CHECK(contract_entry_is(&c, dumped(d1, &c.contract), "0x1", &s1, true, true));
    const json_t *c1 = dumped(d1, &c.t.acct[3]);
    CHECK(c1 && json_integer_value(json_object_get(c1, "nonce")) == 0);
    /* dumpBlock is accountRange with everything, by number or hash */
    json_t *r1 = call(&c, "debug_accountRange", "[\"0x1\",\"0x\",256,false,false,false]");
    CHECK(r1 && json_equal(r1, d1));
    json_decref(r1);
    r1 = call(&c, "debug_accountRange", "[\"%s\",\"0x\",256,false,false,false]", c.hash[1]);
    CHECK(r1 && json_equal(r1, d1));
    json_decref(r1);
    json_decref(d1);
    /* block 4 (history between): slot 1 back to 0x22, no slot 20 yet */
    json_t *d4 = call(&c, "debug_dumpBlock", "[\"0x4\"]");
    CHECK(contract_entry_is(&c, dumped(d4, &c.contract), "0x4", &s1, true, true));
    json_decref(d4);

    /* a start after the contract's key: the contract is not in the page */
    bytes32 hk = addr_hash(&c.contract);
    char start[67];
    hex_encode(hk.b, 32, start);
    json_t *from = call(&c, "debug_accountRange", "[\"latest\",\"%s\",1,true,true,false]", start);
    CHECK(from && dumped(from, &c.contract) != NULL);
    json_decref(from);
    for (int i = 31; i >= 0 && ++hk.b[i] == 0; i--) {
    }
    hex_encode(hk.b, 32, start);
    from = call(&c, "debug_accountRange", "[\"latest\",\"%s\",256,true,true,false]", start);
    CHECK(from && dumped(from, &c.contract) == NULL);
    json_decref(from);

    /* a dev edit (no block): the latest dump shows it, with the new root */
    char addr[43], p[300];
    hex_encode(c.contract.b, 20, addr);
    snprintf(p, sizeof p, "[\"%s\",\"0x30\",\"0x%064x\"]", addr, 5);
    json_t *e = test_ok(&c.t, "anvil_setStorageAt", p);
    CHECK(e != NULL);
    json_decref(e);
    json_t *de = call(&c, "debug_accountRange", "[\"latest\",\"0x\",256,false,false,false]");
    const json_t *ce = dumped(de, &c.contract);
    CHECK(ce && !strcmp(json_string_value(json_object_get(json_object_get(ce, "storage"),
                                                           "0x0000000000000000000000000000000000000000000000000000000000000030")) ?: "", "05"));
    CHECK(ce && strcmp(test_str(ce, "root"), test_str(dumped(d, &c.contract), "root")));
    /* the same root without the storage listed */
    json_t *dl = call(&c, "debug_accountRange", "[\"latest\",\"0x\",256,true,true,false]");
    CHECK(ce && dl && !strcmp(test_str(dumped(dl, &c.contract), "root"), test_str(ce, "root")));
    json_decref(dl);
    json_decref(de);
    json_decref(d);

    /* errors */
    CHECK(error_of(&c, "debug_dumpBlock", "[\"0x99\"]", "block #153 not found") == -32000);
    snprintf(p, sizeof p, "[\"0x%064d\",\"0x\",1,true,true,false]", 7);
    CHECK(error_of(&c, "debug_accountRange", p, "not found") == -32000);
    const char *bad[] = {"[]", "[\"0x1\",\"0x\"]", "[\"0x1\",\"zz\",1,true,true,false]", "[\"0x1\",\"0x\",\"x\",true,true,false]",
                         "[\"0x1\",\"0x\",1,1,true,false]", "[\"0x1\",\"0x\",1,true,true,false,1]", "[\"soon\",\"0x\",1,true,true,false]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(error_of(&c, "debug_accountRange", bad[i], NULL) == -32602);
    CHECK(error_of(&c, "debug_dumpBlock", "[]", NULL) == -32602);
    CHECK(error_of(&c, "debug_dumpBlock", "[1]", NULL) == -32602);
    CHECK(error_of(&c, "debug_dumpBlock", "[\"0x1\",2]", NULL) == -32602);
    test_node_close(&c.t);
}

/* ---- --http.api --------------------------------------------------------------------------------- */

/* Opens the store at dir (dev or not) with the open port limited to apis. */
static const char *open_with_api(const char *dir, bool dev, const char *apis, node **n) {
    node_config cfg = {.datadir = dir, .dev = dev, .threads = 2, .dev_genesis_time = 1700000000, .http_api = apis};
    return node_open(&cfg, n);
}

static long long code_of(const rpc_methods *m, const char *method) {
    json_t *res = NULL, *params = json_array();
    rpc_error err = {0};
    bool ok = rpc_call(m, method, params, &res, &err);
    long long code = ok ? 0 : err.code;
    rpc_error_clear(&err);
    json_decref(res);
    json_decref(params);
    return code;
}

TEST(http_api_limits_the_open_port) {
    char dir[] = "/tmp/parevm-httpapi-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    node *n = NULL;
    /* a dev store made and closed, reopened as a plain store */
    CHECK(open_with_api(dir, true, NULL, &n) == NULL);
    node_close(n);

    /* by default every namespace, but no chain rewind on the open port */
    CHECK(open_with_api(dir, false, NULL, &n) == NULL);
    CHECK(!rpc_methods_has(node_methods(n), "debug_setHead") && rpc_methods_has(node_auth_methods(n), "debug_setHead"));
    /* nor files written at a request's asking */
    CHECK(!rpc_methods_has(node_methods(n), "debug_standardTraceBlockToFile") &&
          rpc_methods_has(node_auth_methods(n), "debug_standardTraceBadBlockToFile"));
    CHECK(rpc_methods_has(node_methods(n), "trace_block") && rpc_methods_has(node_methods(n), "txpool_status"));
    /* ... and geth's testing namespace only where it is named */
    CHECK(!rpc_methods_has(node_methods(n), "testing_buildBlockV1") &&
          rpc_methods_has(node_auth_methods(n), "testing_buildBlockV1"));
    node_close(n);
    CHECK(open_with_api(dir, false, "eth,testing", &n) == NULL);
    CHECK(rpc_methods_has(node_methods(n), "testing_buildBlockV1") && !rpc_methods_has(node_methods(n), "debug_getBadBlocks"));
    CHECK(!rpc_methods_has(node_methods(n), "engine_newPayloadV4"));
    node_close(n);

    /* eth, net, web3 (spaces allowed, a repeat ignored): the rest is unknown */
    CHECK(open_with_api(dir, false, " eth, net ,web3,eth", &n) == NULL);
    const rpc_methods *m = node_methods(n);
    CHECK(code_of(m, "eth_blockNumber") == 0 && code_of(m, "net_version") == 0 && code_of(m, "web3_clientVersion") == 0);
    CHECK(code_of(m, "debug_getBadBlocks") == -32601 && code_of(m, "txpool_status") == -32601);
    /* no fee recipient of its own outside dev mode: geth has no eth_coinbase */
    CHECK(code_of(m, "eth_coinbase") == -32601);
    json_t *empty = json_pack("[s]", ""), *digest = NULL;
    rpc_error e0 = {0};
    CHECK(rpc_call(m, "web3_sha3", empty, &digest, &e0) && /* "" is no bytes, as geth's hexutil.Bytes */
          !strcmp(json_string_value(digest), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"));
    json_decref(digest);
    json_decref(empty);
    rpc_error_clear(&e0);
    CHECK(!rpc_methods_has(m, "trace_block") && !rpc_methods_has(m, "debug_setHead"));
    json_t *mods = NULL, *none = json_array(), *want = json_pack("{s:s,s:s,s:s,s:s}", "eth", "1.0", "net", "1.0", "rpc", "1.0", "web3", "1.0");
    rpc_error err = {0};
    CHECK(rpc_call(m, "rpc_modules", none, &mods, &err) && json_equal(mods, want));
    json_decref(mods);
    /* the authenticated port keeps everything */
    mods = NULL;
    CHECK(rpc_call(node_auth_methods(n), "rpc_modules", none, &mods, &err));
    CHECK(json_object_get(mods, "engine") && json_object_get(mods, "debug") && json_object_get(mods, "trace"));
    json_decref(mods);
    json_decref(want);
    json_decref(none);
    rpc_error_clear(&err);
    node_close(n);

    /* naming debug opens debug_setHead and the trace files too */
    CHECK(open_with_api(dir, false, "debug,eth", &n) == NULL);
    CHECK(rpc_methods_has(node_methods(n), "debug_setHead") && !rpc_methods_has(node_methods(n), "net_version"));
    CHECK(rpc_methods_has(node_methods(n), "debug_standardTraceBlockToFile"));
    node_close(n);

    /* ots brings erigon_getHeaderByNumber, reth's alias Otterscan calls first */
    CHECK(open_with_api(dir, false, "eth,ots", &n) == NULL);
    CHECK(rpc_methods_has(node_methods(n), "ots_getApiLevel") &&
          rpc_methods_has(node_methods(n), "erigon_getHeaderByNumber"));
    json_t *p1 = json_pack("[s]", "0"), *h = NULL;
    CHECK(rpc_call(node_methods(n), "ots_getHeaderByNumber", p1, &h, &err) && json_is_object(h)); /* decimal: alloy's lenient number */
    json_decref(h);
    json_decref(p1);
    rpc_error_clear(&err);
    node_close(n);
    CHECK(open_with_api(dir, false, "eth", &n) == NULL);
    CHECK(!rpc_methods_has(node_methods(n), "erigon_getHeaderByNumber"));
    node_close(n);

    /* dev mode's namespaces only in dev mode */
    CHECK(open_with_api(dir, true, "anvil,evm", &n) == NULL);
    CHECK(rpc_methods_has(node_methods(n), "anvil_mine") && !rpc_methods_has(node_methods(n), "eth_call"));
    node_close(n);

    /* refused lists: the store is left as it was */
    const char *bad[] = {"", ",", "eth,,net", "eth net", "eth,", "bogus", "anvil", "engine", "Eth",
                         "averyveryverylongnamespacename"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = NULL;
        const char *why = open_with_api(dir, false, bad[i], &n);
        CHECK(why && strstr(why, "--http.api") && !n);
        if (!why || n) fprintf(stderr, "  --http.api \"%s\" accepted\n", bad[i]);
    }
    CHECK(strstr(open_with_api(dir, false, "engine", &n), "authenticated port") != NULL);
    CHECK(open_with_api(dir, false, "eth", &n) == NULL);
    CHECK(code_of(node_methods(n), "eth_chainId") == 0);
    node_close(n);
    test_remove_tree(dir);
}
