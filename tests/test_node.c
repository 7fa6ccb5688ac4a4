/* The node's JSON-RPC methods against a chain built in the test through
 * the node's own commit path (dev mode: signed transactions of all five
 * types into blocks at fixed timestamps), request -> JSON response, with
 * the expected values computed here from the transactions the test signed
 * (hashes, signatures, addresses, gas of known operations), not read back
 * from the node. Then state and block overrides, historical state, the
 * pool, bad input (every request gets its JSON-RPC error and nothing is
 * written), and readers racing the writer. The dev methods are in
 * test_node_dev. */
#include "test.h"
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>
#include "parevm/block.h"
#include "parevm/hdkeys.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/node.h"
#include "parevm/rlp.h"
#include "parevm/rpc_codec.h"
#include "parevm/tx.h"
#include "node_rpc.h"

/* ---- Harness ------------------------------------------------------------------------- */

typedef struct {
    char path[64];
} tmpdir;

static void tmp_make(tmpdir *t) {
    strcpy(t->path, "/tmp/parevm-node-test-XXXXXX");
    if (!mkdtemp(t->path)) abort();
}

static void tmp_remove(tmpdir *t) { test_remove_tree(t->path); }

static const uint64_t T0 = 1700000000; /* genesis time */

static node *open_dev(tmpdir *t) {
    tmp_make(t);
    node_config cfg = {.datadir = t->path, .dev = true, .threads = 2, .dev_genesis_time = T0};
    node *n = NULL;
    const char *err = node_open(&cfg, &n);
    if (err) fprintf(stderr, "node_open: %s\n", err);
    return n;
}

static void close_dev(node *n, tmpdir *t) {
    node_close(n);
    tmp_remove(t);
}

/* Sends one request; returns the parsed response object. */
static json_t *rpc(node *n, const char *method, const char *params) {
    char *body = malloc(strlen(params) + strlen(method) + 64);
    sprintf(body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":%s}", method, params);
    size_t len;
    char *out = rpc_process(node_methods(n), body, strlen(body), 0, &len);
    free(body);
    json_t *r = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return r;
}

/* The result of a request (a new reference), or NULL after printing its error. */
static json_t *ok(node *n, const char *method, const char *params) {
    json_t *r = rpc(n, method, params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (!res) {
        char *s = r ? json_dumps(r, 0) : NULL;
        fprintf(stderr, "  %s %s -> %s\n", method, params, s ? s : "(no response)");
        free(s);
        json_decref(r);
        return NULL;
    }
    json_incref(res);
    json_decref(r);
    return res;
}

/* The error code of a request (0 when it succeeded); its message into msg. */
static long long err_code(node *n, const char *method, const char *params, char *msg, size_t cap) {
    json_t *r = rpc(n, method, params);
    json_t *e = r ? json_object_get(r, "error") : NULL;
    long long code = e ? json_integer_value(json_object_get(e, "code")) : 0;
    if (msg && cap) snprintf(msg, cap, "%s", e ? json_string_value(json_object_get(e, "message")) : "");
    json_decref(r);
    return code;
}

static void hexs(const uint8_t *p, size_t n, char *out) { hex_encode(p, n, out); }

static void addr_hex(const address *a, char out[43]) { hex_encode(a->b, 20, out); }
static void hash_hex(const bytes32 *h, char out[67]) { hex_encode(h->b, 32, out); }

/* "0x..." of a u256 without leading zeros. */
static void q256(const u256 *v, char out[67]) {
    json_t *j = rpc_json_u256(v);
    snprintf(out, 67, "%s", json_string_value(j));
    json_decref(j);
}

/* ---- The test chain ------------------------------------------------------------------------ */

/* A contract: slot 0 = calldata word; a word starting with 0xff reverts with
 * Error("nope"); else LOG2(word; topic "emit", caller) and returns it. */
static const char CONTRACT_INIT[] =
    
    "609880600c6000396000f300600035806000558060f81c60ff14604057600052337f00000000000000000000000000000000"
    "000000000000000000000000656d697460206000a260206000f35b7f08c379a0000000000000000000000000000000000000"
    "00000000000000000000600052602060045260046024527f6e6f706500000000000000000000000000000000000000000000"
    "00000000000060445260646000fd";
static const char EMIT_TOPIC[] = "0x00000000000000000000000000000000000000000000000000000000656d6974";

typedef struct {
    tmpdir t;
    node *n;
    address acct[4];
    uint8_t key[4][32];
    address contract;           /* created by acct[0] with nonce 1 */
    transaction tx[16];         /* what was sent, in order (signed here) */
    uint64_t block_of[16];      /* the block each went into */
    size_t n_tx;
    bytes32 block_hash[8];
    uint64_t head;
} chain;

static u256 gwei(uint64_t g) { return u256_from_u64(g * 1000000000ULL); }

static void base_tx(chain *c, transaction *tx, uint8_t type, int from, uint64_t nonce) {
    memset(tx, 0, sizeof *tx);
    tx->type = type;
    tx->has_chain_id = true;
    tx->chain_id = 31337;
    tx->nonce = nonce;
    tx->gas_limit = 200000;
    tx->gas_price = gwei(3);
    tx->max_fee = gwei(3);
    tx->max_priority_fee = gwei(1);
    (void)c, (void)from;
}

static void set_data(transaction *tx, const char *hex) {
    uint8_t *d;
    size_t n;
    if (!hex_decode_alloc(hex, &d, &n)) abort();
    tx->data = d;
    tx->data_len = n;
}

/* Sends tx signed by acct[from] as a raw transaction; keeps it. */
static bool send_raw(chain *c, transaction *tx, int from) {
    if (!tx_sign(tx, c->key[from])) return false;
    buf_t raw = {0};
    tx_encode(tx, &raw);
    char *hex = malloc(2 * raw.len + 3);
    hexs(raw.data, raw.len, hex);
    char *params = malloc(strlen(hex) + 8);
    sprintf(params, "[\"%s\"]", hex);
    json_t *r = ok(c->n, "eth_sendRawTransaction", params);
    char want[67];
    hash_hex(&tx->hash, want);
    bool good = r && !strcmp(json_string_value(r), want);
    json_decref(r);
    free(params);
    free(hex);
    buf_free(&raw);
    c->tx[c->n_tx++] = *tx;
    return good;
}

/* The network form of a blob transaction (EIP-7594 wrapper: version 1,
 * 128 cell proofs per blob), with one blob: zero, so that its commitment and
 * cell proofs are the point at infinity, which the pool's KZG check takes. */
static bool send_blob(chain *c, transaction *tx, int from) {
    uint8_t commitment[48] = {0xc0};
    uint8_t h[32];
    SHA256(commitment, 48, h);
    h[0] = 0x01;
    tx->blob_hashes = malloc(32);
    memcpy(tx->blob_hashes[0].b, h, 32);
    tx->n_blob_hashes = 1;
    if (!tx_sign(tx, c->key[from])) return false;
    buf_t signed_tx = {0}, out = {0};
    tx_encode(tx, &signed_tx);
    buf_push(&out, TX_BLOB);
    size_t l = rlp_list_begin(&out);
    rlp_encode_raw(&out, signed_tx.data + 1, signed_tx.len - 1);
    rlp_encode_u64(&out, 1);
    uint8_t *blob = calloc(1, TX_BLOB_SIZE), proof[48] = {0xc0};
    size_t b = rlp_list_begin(&out);
    rlp_encode_bytes(&out, blob, TX_BLOB_SIZE);
    rlp_list_end(&out, b);
    b = rlp_list_begin(&out);
    rlp_encode_bytes(&out, commitment, 48);
    rlp_list_end(&out, b);
    b = rlp_list_begin(&out);
    for (int i = 0; i < TX_CELLS_PER_EXT_BLOB; i++) rlp_encode_bytes(&out, proof, 48);
    rlp_list_end(&out, b);
    rlp_list_end(&out, l);
    char *hex = malloc(2 * out.len + 16);
    strcpy(hex, "[\"");
    hexs(out.data, out.len, hex + 2);
    strcat(hex, "\"]");
    json_t *r = ok(c->n, "eth_sendRawTransaction", hex);
    char want[67];
    hash_hex(&tx->hash, want);
    bool good = r && !strcmp(json_string_value(r), want);
    json_decref(r);
    free(hex);
    free(blob);
    buf_free(&signed_tx);
    buf_free(&out);
    c->tx[c->n_tx++] = *tx;
    return good;
}

static bool mine_at(chain *c, uint64_t ts) {
    char p[64];
    sprintf(p, "[{\"timestamp\":\"0x%llx\"}]", (unsigned long long)ts);
    json_t *r = ok(c->n, "evm_mine", p);
    bool good = r != NULL;
    json_decref(r);
    c->head++;
    for (size_t i = 0; i < c->n_tx; i++)
        if (!c->block_of[i]) c->block_of[i] = c->head;
    return good;
}

/* Blocks 1-4 at T0 + 12 * n:
 *   1: legacy transfer acct0 -> acct1 (1 ether); type-2 creation of the contract by acct0
 *   2: type-1 call by acct1 (access list); type-2 call by acct0 (logs); type-2 call that reverts
 *   3: type-3 blob transaction acct1 -> acct3; type-4: acct2 delegates to the contract
 *   4: empty */
static bool build_chain(chain *c) {
    memset(c, 0, sizeof *c);
    c->n = open_dev(&c->t);
    if (!c->n) return false;
    for (int i = 0; i < 4; i++)
        if (!hd_account(DEV_MNEMONIC, NULL, (uint32_t)i, c->key[i], &c->acct[i])) return false;
    json_t *r = ok(c->n, "evm_setAutomine", "[false]");
    json_decref(r);
    if (!r) return false;
    bool good = true;
    transaction tx;
    /* block 1 */
    base_tx(c, &tx, TX_LEGACY, 0, 0);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = c->acct[1];
    tx.value = u256_from_u64(1000000000000000000ULL);
    good &= send_raw(c, &tx, 0);
    base_tx(c, &tx, TX_DYNAMIC_FEE, 0, 1);
    set_data(&tx, CONTRACT_INIT);
    good &= send_raw(c, &tx, 0);
    good &= mine_at(c, T0 + 12);
    if (!hex_to_fixed("e7f1725e7734ce288f8367e1bb143e90bb3f0512", c->contract.b, 20)) abort();
    /* block 2 */
    base_tx(c, &tx, TX_ACCESS_LIST, 1, 0);
    tx.has_to = true;
    tx.to = c->contract;
    set_data(&tx, "0x0000000000000000000000000000000000000000000000000000000000000007");
    tx.access_list = calloc(1, sizeof *tx.access_list);
    tx.access_list_len = 1;
    tx.access_list[0].addr = c->contract;
    tx.access_list[0].keys = calloc(1, 32);
    tx.access_list[0].n_keys = 1;
    good &= send_raw(c, &tx, 1);
    base_tx(c, &tx, TX_DYNAMIC_FEE, 0, 2);
    tx.has_to = true;
    tx.to = c->contract;
    set_data(&tx, "0x0000000000000000000000000000000000000000000000000000000000000009");
    good &= send_raw(c, &tx, 0);
    base_tx(c, &tx, TX_DYNAMIC_FEE, 0, 3);
    tx.has_to = true;
    tx.to = c->contract;
    set_data(&tx, "0xff00000000000000000000000000000000000000000000000000000000000001");
    good &= send_raw(c, &tx, 0);
    good &= mine_at(c, T0 + 24);
    /* block 3 */
    base_tx(c, &tx, TX_BLOB, 1, 1);
    tx.has_to = true;
    tx.to = c->acct[3];
    tx.value = u256_from_u64(5);
    tx.max_fee_per_blob_gas = u256_from_u64(10);
    good &= send_blob(c, &tx, 1);
    base_tx(c, &tx, TX_SET_CODE, 0, 4);
    tx.has_to = true;
    tx.to = c->acct[2];
    tx.auths = calloc(1, sizeof *tx.auths);
    tx.n_auths = 1;
    tx.auths[0].chain_id = u256_from_u64(31337);
    tx.auths[0].addr = c->contract;
    tx.auths[0].nonce = 0;
    good &= tx_auth_sign(&tx.auths[0], c->key[2]);
    good &= send_raw(c, &tx, 0);
    good &= mine_at(c, T0 + 36);
    good &= mine_at(c, T0 + 48);
    for (uint64_t b = 0; b <= c->head; b++) {
        char p[64];
        sprintf(p, "[\"0x%llx\",false]", (unsigned long long)b);
        json_t *blk = ok(c->n, "eth_getBlockByNumber", p);
        good &= blk && hex_to_fixed(test_str(blk, "hash"), c->block_hash[b].b, 32);
        json_decref(blk);
    }
    return good;
}

static void free_chain(chain *c) {
    for (size_t i = 0; i < c->n_tx; i++) tx_free(&c->tx[i]);
    close_dev(c->n, &c->t);
}

/* ---- Blocks, transactions, receipts ------------------------------------------------------------ */

static void tx_hash_hex(const chain *c, size_t i, char out[67]) { hash_hex(&c->tx[i].hash, out); }

TEST(node_blocks_and_transactions) {
    chain c;
    CHECK(build_chain(&c));
    json_t *r = ok(c.n, "eth_blockNumber", "[]");
    CHECK(test_json_is(r, "\"0x4\""));
    json_decref(r);
    char h[5][67], t[16][67], a[4][43], k[43], p[512];
    for (int b = 0; b < 5; b++) hash_hex(&c.block_hash[b], h[b]);
    for (size_t i = 0; i < c.n_tx; i++) tx_hash_hex(&c, i, t[i]);
    for (int i = 0; i < 4; i++) addr_hex(&c.acct[i], a[i]);
    addr_hex(&c.contract, k);
    CHECK(!strcmp(k, "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"));

    /* the block hash is the keccak of the raw header */
    json_t *raw = ok(c.n, "debug_getRawHeader", "[\"0x1\"]");
    uint8_t *hdr = NULL;
    size_t hlen = 0;
    CHECK(raw && hex_decode_alloc(json_string_value(raw), &hdr, &hlen));
    bytes32 kh = keccak256_hash(hdr, hlen);
    CHECK(bytes32_eq(&kh, &c.block_hash[1]));
    free(hdr);
    json_decref(raw);

    /* block 1 with hashes: base fee 1 gwei - 1/8 after the empty genesis */
    json_t *b1 = ok(c.n, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(b1 != NULL);
    if (b1) {
        CHECK(!strcmp(test_str(b1, "hash"), h[1]));
        CHECK(!strcmp(test_str(b1, "parentHash"), h[0]));
        CHECK(test_qty(b1, "number") == 1);
        CHECK(test_qty(b1, "timestamp") == T0 + 12);
        CHECK(test_qty(b1, "baseFeePerGas") == 875000000);
        CHECK(test_qty(b1, "gasLimit") == 30000000);
        CHECK(!strcmp(test_str(b1, "miner"), "0x0000000000000000000000000000000000000000"));
        CHECK(!strcmp(test_str(b1, "sha3Uncles"), "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"));
        CHECK(!strcmp(test_str(b1, "difficulty"), "0x0") && !strcmp(test_str(b1, "nonce"), "0x0000000000000000"));
        sprintf(p, "[\"%s\",\"%s\"]", t[0], t[1]);
        CHECK(test_json_is(json_object_get(b1, "transactions"), p));
        CHECK(test_json_is(json_object_get(b1, "uncles"), "[]"));
        CHECK(test_json_is(json_object_get(b1, "withdrawals"), "[]"));
        CHECK(test_qty(b1, "blobGasUsed") == 0 && test_qty(b1, "excessBlobGas") == 0);
        CHECK(json_object_get(b1, "parentBeaconBlockRoot") && json_object_get(b1, "requestsHash"));
        /* size: the raw block's length */
        json_t *rb = ok(c.n, "debug_getRawBlock", "[\"0x1\"]");
        CHECK(rb && test_qty(b1, "size") == (strlen(json_string_value(rb)) - 2) / 2);
        json_decref(rb);
    }
    /* by hash, with full transactions */
    sprintf(p, "[\"%s\",true]", h[1]);
    json_t *b1f = ok(c.n, "eth_getBlockByHash", p);
    json_t *b1n = ok(c.n, "eth_getBlockByNumber", "[\"0x1\",true]");
    CHECK(b1f && b1n && json_equal(b1f, b1n));
    /* the legacy transfer, field for field */
    char v[67], rr[67], s[67], want[2048];
    q256(&c.tx[0].v, v), q256(&c.tx[0].r, rr), q256(&c.tx[0].s, s);
    sprintf(want,
            "{\"blockHash\":\"%s\",\"blockNumber\":\"0x1\",\"blockTimestamp\":\"0x%llx\",\"from\":\"%s\",\"gas\":\"0x5208\","
            "\"gasPrice\":\"0xb2d05e00\",\"hash\":\"%s\",\"input\":\"0x\",\"nonce\":\"0x0\",\"to\":\"%s\","
            "\"transactionIndex\":\"0x0\",\"value\":\"0xde0b6b3a7640000\",\"type\":\"0x0\",\"chainId\":\"0x7a69\","
            "\"v\":\"%s\",\"r\":\"%s\",\"s\":\"%s\"}",
            h[1], (unsigned long long)(T0 + 12), a[0], t[0], a[1], v, rr, s);
    CHECK(b1f && test_json_is(json_array_get(json_object_get(b1f, "transactions"), 0), want));
    CHECK(!strcmp(v, "0xf4f5") || !strcmp(v, "0xf4f6")); /* EIP-155: 31337 * 2 + 35 + parity */
    sprintf(p, "[\"%s\"]", t[0]);
    json_t *tx0 = ok(c.n, "eth_getTransactionByHash", p);
    CHECK(test_json_is(tx0, want));
    json_decref(tx0);
    /* the creation: effective gas price = base fee + tip, capped by the fee cap */
    q256(&c.tx[1].v, v), q256(&c.tx[1].r, rr), q256(&c.tx[1].s, s);
    sprintf(want,
            "{\"blockHash\":\"%s\",\"blockNumber\":\"0x1\",\"blockTimestamp\":\"0x%llx\",\"from\":\"%s\",\"gas\":\"0x30d40\","
            "\"gasPrice\":\"0x6fc23ac0\",\"maxFeePerGas\":\"0xb2d05e00\",\"maxPriorityFeePerGas\":\"0x3b9aca00\","
            "\"hash\":\"%s\",\"input\":\"0x%s\",\"nonce\":\"0x1\",\"to\":null,\"transactionIndex\":\"0x1\","
            "\"value\":\"0x0\",\"type\":\"0x2\",\"accessList\":[],\"chainId\":\"0x7a69\",\"v\":\"%s\",\"r\":\"%s\","
            "\"s\":\"%s\",\"yParity\":\"%s\"}",
            h[1], (unsigned long long)(T0 + 12), a[0], t[1], CONTRACT_INIT, v, rr, s, v);
    CHECK(b1f && test_json_is(json_array_get(json_object_get(b1f, "transactions"), 1), want));
    json_decref(b1f);
    json_decref(b1n);
    json_decref(b1);

    /* receipts of block 1 */
    sprintf(p, "[\"%s\"]", t[0]);
    json_t *rc0 = ok(c.n, "eth_getTransactionReceipt", p);
    char zeros[515] = "0x";
    for (int i = 0; i < 512; i++) zeros[2 + i] = '0';
    sprintf(want,
            "{\"blockHash\":\"%s\",\"blockNumber\":\"0x1\",\"contractAddress\":null,\"cumulativeGasUsed\":\"0x5208\","
            "\"effectiveGasPrice\":\"0xb2d05e00\",\"from\":\"%s\",\"gasUsed\":\"0x5208\",\"logs\":[],\"logsBloom\":\"%s\","
            "\"status\":\"0x1\",\"to\":\"%s\",\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"type\":\"0x0\"}",
            h[1], a[0], zeros, a[1], t[0]);
    CHECK(test_json_is(rc0, want));
    json_decref(rc0);
    sprintf(p, "[\"%s\"]", t[1]);
    json_t *rc1 = ok(c.n, "eth_getTransactionReceipt", p);
    CHECK(rc1 && !strcmp(test_str(rc1, "contractAddress"), k) && test_qty(rc1, "status") == 1);
    CHECK(rc1 && test_qty(rc1, "cumulativeGasUsed") == 21000 + test_qty(rc1, "gasUsed"));
    CHECK(rc1 && json_is_null(json_object_get(rc1, "to")) && test_qty(rc1, "effectiveGasPrice") == 1875000000);
    json_decref(rc1);

    /* block 2: logs indexed within the block; the reverted call has status 0 */
    json_t *rcs = ok(c.n, "eth_getBlockReceipts", "[\"0x2\"]");
    CHECK(rcs && json_array_size(rcs) == 3);
    if (rcs && json_array_size(rcs) == 3) {
        json_t *l0 = json_array_get(json_object_get(json_array_get(rcs, 0), "logs"), 0);
        sprintf(want,
                "{\"address\":\"%s\",\"topics\":[\"%s\",\"0x000000000000000000000000%s\"],"
                "\"data\":\"0x0000000000000000000000000000000000000000000000000000000000000007\",\"blockNumber\":\"0x2\","
                "\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"blockHash\":\"%s\",\"blockTimestamp\":\"0x%llx\","
                "\"logIndex\":\"0x0\",\"removed\":false}",
                k, EMIT_TOPIC, a[1] + 2, t[2], h[2], (unsigned long long)(T0 + 24));
        CHECK(test_json_is(l0, want));
        json_t *l1 = json_array_get(json_object_get(json_array_get(rcs, 1), "logs"), 0);
        CHECK(test_qty(l1, "logIndex") == 1 && test_qty(l1, "transactionIndex") == 1);
        json_t *r2 = json_array_get(rcs, 2);
        CHECK(test_qty(r2, "status") == 0 && json_array_size(json_object_get(r2, "logs")) == 0);
        CHECK(!strcmp(test_str(json_array_get(rcs, 0), "type"), "0x1"));
    }
    sprintf(p, "[\"%s\"]", h[2]);
    json_t *rcs_h = ok(c.n, "eth_getBlockReceipts", p);
    CHECK(rcs && rcs_h && json_equal(rcs, rcs_h));
    json_decref(rcs);
    json_decref(rcs_h);

    /* block 3: the blob transaction and the set-code transaction */
    sprintf(p, "[\"%s\"]", t[5]);
    json_t *rb = ok(c.n, "eth_getTransactionReceipt", p);
    CHECK(rb && !strcmp(test_str(rb, "blobGasUsed"), "0x20000") && !strcmp(test_str(rb, "blobGasPrice"), "0x1"));
    CHECK(rb && !strcmp(test_str(rb, "type"), "0x3"));
    json_decref(rb);
    json_t *tb = ok(c.n, "eth_getTransactionByHash", p);
    sprintf(want, "[\"0x%s\"]", "");
    CHECK(tb && json_array_size(json_object_get(tb, "blobVersionedHashes")) == 1 &&
          !strcmp(test_str(tb, "maxFeePerBlobGas"), "0xa"));
    json_decref(tb);
    sprintf(p, "[\"%s\"]", t[6]);
    json_t *ts = ok(c.n, "eth_getTransactionByHash", p);
    json_t *auth = ts ? json_array_get(json_object_get(ts, "authorizationList"), 0) : NULL;
    char ar[67], as[67];
    q256(&c.tx[6].auths[0].r, ar), q256(&c.tx[6].auths[0].s, as);
    sprintf(want, "{\"chainId\":\"0x7a69\",\"address\":\"%s\",\"nonce\":\"0x0\",\"yParity\":\"0x%x\",\"r\":\"%s\",\"s\":\"%s\"}", k,
            c.tx[6].auths[0].y_parity, ar, as);
    CHECK(test_json_is(auth, want));
    json_decref(ts);

    /* counts, positions */
    r = ok(c.n, "eth_getBlockTransactionCountByNumber", "[\"0x2\"]");
    CHECK(test_json_is(r, "\"0x3\""));
    json_decref(r);
    sprintf(p, "[\"%s\"]", h[3]);
    r = ok(c.n, "eth_getBlockTransactionCountByHash", p);
    CHECK(test_json_is(r, "\"0x2\""));
    json_decref(r);
    r = ok(c.n, "eth_getUncleCountByBlockNumber", "[\"0x1\"]");
    CHECK(test_json_is(r, "\"0x0\""));
    json_decref(r);
    json_t *bi = ok(c.n, "eth_getTransactionByBlockNumberAndIndex", "[\"0x2\",\"0x1\"]");
    sprintf(p, "[\"%s\"]", t[3]);
    json_t *bh = ok(c.n, "eth_getTransactionByHash", p);
    CHECK(bi && bh && json_equal(bi, bh));
    json_decref(bi);
    json_decref(bh);
    sprintf(p, "[\"%s\",\"0x0\"]", h[2]);
    bi = ok(c.n, "eth_getTransactionByBlockHashAndIndex", p);
    CHECK(bi && !strcmp(test_str(bi, "hash"), t[2]));
    json_decref(bi);

    /* what does not exist is null */
    const char *nulls[][2] = {
        {"eth_getBlockByNumber", "[\"0x99\",false]"},
        {"eth_getBlockByHash", "[\"0x0000000000000000000000000000000000000000000000000000000000000000\",true]"},
        {"eth_getTransactionByHash", "[\"0x0000000000000000000000000000000000000000000000000000000000000000\"]"},
        {"eth_getTransactionReceipt", "[\"0x0000000000000000000000000000000000000000000000000000000000000000\"]"},
        {"eth_getBlockReceipts", "[\"0x99\"]"},
        {"eth_getBlockTransactionCountByNumber", "[\"0x99\"]"},
        {"eth_getTransactionByBlockNumberAndIndex", "[\"0x1\",\"0x7\"]"},
        {"debug_getRawTransaction", "[\"0x0000000000000000000000000000000000000000000000000000000000000000\"]"},
    };
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
        r = ok(c.n, nulls[i][0], nulls[i][1]);
        CHECK(r && json_is_null(r));
        json_decref(r);
    }
    /* genesis: no transactions, no receipts */
    r = ok(c.n, "eth_getBlockReceipts", "[\"earliest\"]");
    CHECK(test_json_is(r, "[]"));
    json_decref(r);
    free_chain(&c);
}

/* ---- State at any block ------------------------------------------------------------------------- */

static bool result_is(node *n, const char *method, const char *params, const char *want) {
    json_t *r = ok(n, method, params);
    bool good = test_json_is(r, want);
    json_decref(r);
    return good;
}

TEST(node_state_at_blocks) {
    chain c;
    CHECK(build_chain(&c));
    char a[4][43], k[43], h1[67], p[512], want[512];
    for (int i = 0; i < 4; i++) addr_hex(&c.acct[i], a[i]);
    addr_hex(&c.contract, k);
    hash_hex(&c.block_hash[1], h1);
    /* 10,000 ether before, 10,001 after block 1 (acct1 pays nothing until block 2) */
    sprintf(p, "[\"%s\",\"0x0\"]", a[1]);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e19e0c9bab2400000\""));
    sprintf(p, "[\"%s\",\"0x1\"]", a[1]);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e27c1806e59a40000\""));
    sprintf(p, "[\"%s\",{\"blockNumber\":\"0x1\"}]", a[1]);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e27c1806e59a40000\""));
    sprintf(p, "[\"%s\",{\"blockHash\":\"%s\",\"requireCanonical\":true}]", a[1], h1);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e27c1806e59a40000\""));
    sprintf(p, "[\"%s\",\"%s\"]", a[1], h1);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e27c1806e59a40000\""));
    /* acct3 got 5 wei in block 3 */
    sprintf(p, "[\"%s\",\"latest\"]", a[3]);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e19e0c9bab2400005\""));
    sprintf(p, "[\"%s\",\"0x2\"]", a[3]);
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x21e19e0c9bab2400000\""));
    /* storage: slot 0 written in block 2 (7, then 9; the reverted call leaves it) */
    sprintf(p, "[\"%s\",\"0x0\",\"0x1\"]", k);
    CHECK(result_is(c.n, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000000\""));
    sprintf(p, "[\"%s\",\"0x0\",\"0x2\"]", k);
    CHECK(result_is(c.n, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000009\""));
    sprintf(p, "[\"%s\",\"0x0000000000000000000000000000000000000000000000000000000000000000\"]", k);
    CHECK(result_is(c.n, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000009\""));
    /* code: none before block 1; the runtime after; acct2's delegation after block 3 */
    sprintf(p, "[\"%s\",\"0x0\"]", k);
    CHECK(result_is(c.n, "eth_getCode", p, "\"0x\""));
    sprintf(p, "[\"%s\",\"latest\"]", k);
    sprintf(want, "\"0x%s\"", CONTRACT_INIT + 24);
    CHECK(result_is(c.n, "eth_getCode", p, want));
    sprintf(p, "[\"%s\",\"latest\"]", a[2]);
    sprintf(want, "\"0xef0100%s\"", k + 2);
    CHECK(result_is(c.n, "eth_getCode", p, want));
    sprintf(p, "[\"%s\",\"0x2\"]", a[2]);
    CHECK(result_is(c.n, "eth_getCode", p, "\"0x\""));
    /* nonces: acct0 sent 5, acct2 was bumped by its authorization */
    sprintf(p, "[\"%s\",\"latest\"]", a[0]);
    CHECK(result_is(c.n, "eth_getTransactionCount", p, "\"0x5\""));
    sprintf(p, "[\"%s\",\"pending\"]", a[0]);
    CHECK(result_is(c.n, "eth_getTransactionCount", p, "\"0x5\""));
    sprintf(p, "[\"%s\",\"0x1\"]", a[0]);
    CHECK(result_is(c.n, "eth_getTransactionCount", p, "\"0x2\""));
    sprintf(p, "[\"%s\"]", a[2]);
    CHECK(result_is(c.n, "eth_getTransactionCount", p, "\"0x1\""));
    /* a block past the head, an unknown hash */
    char msg[256];
    sprintf(p, "[\"%s\",\"0x99\"]", a[0]);
    CHECK(err_code(c.n, "eth_getBalance", p, msg, sizeof msg) == -32000 && !strcmp(msg, "header not found"));
    sprintf(p, "[\"%s\",{\"blockHash\":\"0x%064x\"}]", a[0], 5);
    CHECK(err_code(c.n, "eth_getBalance", p, NULL, 0) == -32000);
    /* storage keys as geth takes them */
    sprintf(p, "[\"%s\",\"0xasdf\",\"latest\"]", k);
    CHECK(err_code(c.n, "eth_getStorageAt", p, msg, sizeof msg) == -32602 &&
          !strcmp(msg, "invalid hex in storage key: \"0xasdf\""));
    sprintf(p, "[\"%s\",\"0x%066x\",\"latest\"]", k, 0);
    CHECK(err_code(c.n, "eth_getStorageAt", p, NULL, 0) == -32602);
    free_chain(&c);
}

/* ---- Logs -------------------------------------------------------------------------------------- */

static size_t n_logs(node *n, const char *filter) {
    char p[1100];
    snprintf(p, sizeof p, "[%s]", filter);
    json_t *r = ok(n, "eth_getLogs", p);
    size_t k = r ? json_array_size(r) : (size_t)-1;
    if (getenv("NODE_DEBUG")) fprintf(stderr, "logs %s -> %zu\n", filter, k);
    json_decref(r);
    return k;
}

TEST(node_get_logs) {
    chain c;
    CHECK(build_chain(&c));
    char a[4][43], k[43], h2[67], f[1024], msg[256];
    for (int i = 0; i < 4; i++) addr_hex(&c.acct[i], a[i]);
    addr_hex(&c.contract, k);
    hash_hex(&c.block_hash[2], h2);
    /* two calls of the contract in block 2, and acct2's delegated code in block 3 */
    CHECK(n_logs(c.n, "{\"fromBlock\":\"0x0\",\"toBlock\":\"latest\"}") == 3);
    sprintf(f, "{\"fromBlock\":\"0x3\",\"address\":\"%s\"}", a[2]);
    CHECK(n_logs(c.n, f) == 1);
    CHECK(n_logs(c.n, "{}") == 0); /* latest only: block 4 is empty */
    sprintf(f, "{\"fromBlock\":\"earliest\",\"address\":\"%s\"}", k);
    CHECK(n_logs(c.n, f) == 2);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"address\":[\"%s\",\"%s\"]}", a[0], k);
    CHECK(n_logs(c.n, f) == 2);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"address\":\"%s\"}", a[0]);
    CHECK(n_logs(c.n, f) == 0);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"topics\":[[\"%s\"],[\"0x000000000000000000000000%s\"]]}", EMIT_TOPIC, a[1] + 2);
    CHECK(n_logs(c.n, f) == 1);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"topics\":[null,[\"0x000000000000000000000000%s\",\"0x000000000000000000000000%s\"]]}",
            a[0] + 2, a[1] + 2);
    CHECK(n_logs(c.n, f) == 3);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"topics\":[[],\"0x000000000000000000000000%s\"]}", a[0] + 2);
    CHECK(n_logs(c.n, f) == 2);
    /* null among a position's alternatives: any topic there (geth) */
    sprintf(f, "{\"fromBlock\":\"0x0\",\"topics\":[[\"0x%064x\",null],\"0x000000000000000000000000%s\"]}", 7, a[0] + 2);
    CHECK(n_logs(c.n, f) == 2);
    sprintf(f, "{\"fromBlock\":\"0x0\",\"topics\":[\"%s\",null,null]}", EMIT_TOPIC);
    CHECK(n_logs(c.n, f) == 0); /* three positions: the logs have two topics */
    sprintf(f, "{\"blockHash\":\"%s\"}", h2);
    CHECK(n_logs(c.n, f) == 2);
    CHECK(n_logs(c.n, "{\"fromBlock\":\"0x3\",\"toBlock\":\"0x4\"}") == 1);
    CHECK(n_logs(c.n, "{\"fromBlock\":\"0x4\",\"toBlock\":\"0x4\"}") == 0);
    /* errors */
    sprintf(f, "[{\"blockHash\":\"%s\",\"fromBlock\":\"0x1\"}]", h2);
    CHECK(err_code(c.n, "eth_getLogs", f, msg, sizeof msg) == -32602 &&
          !strcmp(msg, "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"));
    CHECK(err_code(c.n, "eth_getLogs", "[{\"fromBlock\":\"0x3\",\"toBlock\":\"0x2\"}]", msg, sizeof msg) == -32602 &&
          !strcmp(msg, "invalid block range params"));
    CHECK(err_code(c.n, "eth_getLogs", "[{\"fromBlock\":\"0x3\",\"toBlock\":\"0x9\"}]", msg, sizeof msg) == -32602 &&
          !strcmp(msg, "block range extends beyond current head block"));
    /* a reversed range is named first, even past the head (geth's order) */
    CHECK(err_code(c.n, "eth_getLogs", "[{\"fromBlock\":\"0x9\",\"toBlock\":\"0x7\"}]", msg, sizeof msg) == -32602 &&
          !strcmp(msg, "invalid block range params"));
    /* geth's limits on a position's alternatives: 1000 */
    char *many = malloc(1100 * 70 + 64);
    if (!many) abort();
    for (int topics = 0; topics < 2; topics++) {
        size_t k = (size_t)sprintf(many, topics ? "[{\"topics\":[[" : "[{\"address\":[");
        for (int i = 0; i < 1001; i++)
            k += (size_t)sprintf(many + k, topics ? "%s\"0x%064x\"" : "%s\"0x%040x\"", i ? "," : "", i + 1);
        sprintf(many + k, topics ? "]]}]" : "]}]");
        CHECK(err_code(c.n, "eth_getLogs", many, msg, sizeof msg) == (topics ? -32602 : -32000) &&
              strstr(msg, topics ? "exceed max topics" : "exceed max addresses or topics per search position"));
    }
    free(many);
    CHECK(err_code(c.n, "eth_getLogs", "[{\"topics\":[null,null,null,null,null]}]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "eth_getLogs", "[{\"topics\":[\"0x12\"]}]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "eth_getLogs", "[{\"blockHash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\"}]", NULL,
                   0) == -32000);
    free_chain(&c);
}

TEST(node_get_logs_limits) {
    tmpdir t;
    tmp_make(&t);
    node_config cfg = {.datadir = t.path, .dev = true, .dev_genesis_time = T0, .max_log_range = 3, .max_logs = 1};
    node *n = NULL;
    CHECK(node_open(&cfg, &n) == NULL);
    if (!n) return;
    json_t *r = ok(n, "anvil_mine", "[\"0x5\"]");
    json_decref(r);
    char msg[256];
    CHECK(err_code(n, "eth_getLogs", "[{\"fromBlock\":\"0x0\",\"toBlock\":\"0x4\"}]", msg, sizeof msg) == -32005 &&
          !strcmp(msg, "query exceeds max block range 3"));
    CHECK(n_logs(n, "{\"fromBlock\":\"0x2\",\"toBlock\":\"0x4\"}") == 0);
    /* two logs: over the result limit of one */
    r = ok(n, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c0\",\"0x60006000a060006000a000\"]");
    json_decref(r);
    r = ok(n, "eth_sendTransaction",
           "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":\"0x00000000000000000000000000000000000000c0\"}]");
    CHECK(r != NULL);
    json_decref(r);
    CHECK(err_code(n, "eth_getLogs", "[{\"fromBlock\":\"0x6\"}]", msg, sizeof msg) == -32005 &&
          !strcmp(msg, "query returned more than 1 results"));
    node_close(n);
    tmp_remove(&t);
}

/* ---- Calls ----------------------------------------------------------------------------------- */

TEST(node_calls) {
    chain c;
    CHECK(build_chain(&c));
    char a0[43], k[43], p[2048], msg[256];
    addr_hex(&c.acct[0], a0);
    addr_hex(&c.contract, k);
    const char *w5 = "0x0000000000000000000000000000000000000000000000000000000000000005";
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"%s\"},\"latest\"]", a0, k, w5);
    json_t *r = ok(c.n, "eth_call", p);
    CHECK(r && !strcmp(json_string_value(r), w5));
    json_decref(r);
    /* no sender, no gas: the call still runs (zero address, the gas cap) */
    sprintf(p, "[{\"to\":\"%s\",\"data\":\"%s\"}]", k, w5);
    CHECK(result_is(c.n, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000000005\""));
    /* at block 0 the contract does not exist; at block 1 it does */
    sprintf(p, "[{\"to\":\"%s\",\"data\":\"%s\"},\"0x0\"]", k, w5);
    CHECK(result_is(c.n, "eth_call", p, "\"0x\""));
    sprintf(p, "[{\"to\":\"%s\",\"data\":\"%s\"},\"0x1\"]", k, w5);
    CHECK(result_is(c.n, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000000005\""));
    /* a revert: code 3, the reason in the message, the data */
    sprintf(p, "[{\"to\":\"%s\",\"data\":\"0xff\"}]", k);
    json_t *resp = rpc(c.n, "eth_call", p);
    CHECK(test_json_is(json_object_get(resp, "error"),
                  "{\"code\":3,\"message\":\"execution reverted: nope\",\"data\":\"0x08c379a0"
                  "0000000000000000000000000000000000000000000000000000000000000020"
                  "0000000000000000000000000000000000000000000000000000000000000004"
                  "6e6f706500000000000000000000000000000000000000000000000000000000\"}"));
    json_decref(resp);
    /* state override (code and storage) with a block override (number) */
    sprintf(p,
            "[{\"to\":\"0x0000000000000000000000000000000000001234\"},\"latest\","
            "{\"0x0000000000000000000000000000000000001234\":{\"code\":\"0x435f5260205ff3\"}},{\"number\":\"0x77\"}]");
    CHECK(result_is(c.n, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000000077\""));
    sprintf(p,
            "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x6000545f5260205ff3\","
            "\"stateDiff\":{\"0x0000000000000000000000000000000000000000000000000000000000000001\":"
            "\"0x000000000000000000000000000000000000000000000000000000000000002a\"}}}]",
            k, k);
    /* slot 0 keeps its 9 under stateDiff */
    CHECK(result_is(c.n, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000000009\""));
    sprintf(p,
            "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0x6000545f5260205ff3\","
            "\"state\":{\"0x0000000000000000000000000000000000000000000000000000000000000001\":"
            "\"0x000000000000000000000000000000000000000000000000000000000000002a\"}}}]",
            k, k);
    /* and is gone under state */
    CHECK(result_is(c.n, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000000000\""));
    /* a balance override pays for the value */
    sprintf(p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\",\"value\":\"0x10\"}]", a0);
    CHECK(err_code(c.n, "eth_call", p, msg, sizeof msg) == -32000);
    sprintf(p,
            "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\",\"value\":\"0x10\"},\"latest\","
            "{\"0x00000000000000000000000000000000000000ab\":{\"balance\":\"0x10\"}}]",
            a0);
    CHECK(result_is(c.n, "eth_call", p, "\"0x\""));
    /* overrides never reach the state */
    sprintf(p, "[\"0x00000000000000000000000000000000000000ab\"]");
    CHECK(result_is(c.n, "eth_getBalance", p, "\"0x0\""));
    /* a precompile's address overridden: its code runs instead (geth's
     * StateOverride.Apply); moved elsewhere, it runs there */
    CHECK(result_is(c.n, "eth_call",
                    "[{\"to\":\"0x0000000000000000000000000000000000000002\"},\"latest\","
                    "{\"0x0000000000000000000000000000000000000002\":{\"code\":\"0x602a60005260206000f3\"}}]",
                    "\"0x000000000000000000000000000000000000000000000000000000000000002a\""));
    CHECK(result_is(c.n, "eth_call",
                    "[{\"to\":\"0x0000000000000000000000000000000000000abc\"},\"latest\","
                    "{\"0x0000000000000000000000000000000000000002\":{\"movePrecompileToAddress\":"
                    "\"0x0000000000000000000000000000000000000abc\"}}]",
                    "\"0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"")); /* sha256 of nothing */
    /* a revert without data: code 3 and data 0x, as geth since its #31456 */
    resp = rpc(c.n, "eth_call",
               "[{\"to\":\"0x0000000000000000000000000000000000001234\"},\"latest\","
               "{\"0x0000000000000000000000000000000000001234\":{\"code\":\"0x5f5ffd\"}}]");
    CHECK(test_json_is(json_object_get(resp, "error"), "{\"code\":3,\"message\":\"execution reverted\",\"data\":\"0x\"}"));
    json_decref(resp);

    /* estimates: a transfer is 21000; a call's estimate is enough and tight */
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"0x0000000000000000000000000000000000000077\",\"value\":\"0x1\"}]", a0);
    CHECK(result_is(c.n, "eth_estimateGas", p, "\"0x5208\""));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"%s\"}]", a0, k, w5);
    r = ok(c.n, "eth_estimateGas", p);
    uint64_t est = r ? test_qty(r, NULL) : 0;
    json_decref(r);
    CHECK(est > 21000 && est < 100000);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"%s\",\"gas\":\"0x%llx\"}]", a0, k, w5, (unsigned long long)est);
    r = ok(c.n, "eth_call", p);
    CHECK(r && !strcmp(json_string_value(r), w5));
    json_decref(r);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"%s\",\"gas\":\"0x%llx\"}]", a0, k, w5,
            (unsigned long long)(est * 97 / 100));
    CHECK(err_code(c.n, "eth_call", p, msg, sizeof msg) == -32000 && !strcmp(msg, "out of gas"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"0xff\"}]", a0, k);
    CHECK(err_code(c.n, "eth_estimateGas", p, msg, sizeof msg) == 3 && !strcmp(msg, "execution reverted: nope"));
    /* block overrides (geth's fourth parameter): code that reverts unless
     * NUMBER is 0x77 estimates only with the override */
    const char *needs77 = "[{\"to\":\"0x0000000000000000000000000000000000001234\"},\"latest\","
                          "{\"0x0000000000000000000000000000000000001234\":{\"code\":\"0x43607714600c5760006000fd5b00\"}}";
    sprintf(p, "%s]", needs77);
    CHECK(err_code(c.n, "eth_estimateGas", p, msg, sizeof msg) == 3);
    sprintf(p, "%s,{\"number\":\"0x77\"}]", needs77);
    r = ok(c.n, "eth_estimateGas", p);
    CHECK(r && test_qty(r, NULL) > 21000);
    json_decref(r);
    /* geth's search: the optimistic guess is the peak gas (before the
     * refund) + 2300, times 64/63: clearing slot 0 (needs 26006, uses 21206
     * after the refund) estimates 26159, as geth's */
    const char *clears = "[{\"to\":\"0x0000000000000000000000000000000000001234\"%s},\"latest\","
                         "{\"0x0000000000000000000000000000000000001234\":{\"code\":\"0x600060005500\",\"stateDiff\":"
                         "{\"0x0000000000000000000000000000000000000000000000000000000000000000\":"
                         "\"0x0000000000000000000000000000000000000000000000000000000000000001\"}}}%s]";
    sprintf(p, clears, "", "");
    CHECK(result_is(c.n, "eth_estimateGas", p, "\"0x662f\""));
    /* a gas below 21000 is no limit (geth: the block's gas limit instead) */
    sprintf(p, clears, ",\"gas\":\"0x100\"", "");
    CHECK(result_is(c.n, "eth_estimateGas", p, "\"0x662f\""));
    /* the limit is the overridden block's gas limit */
    sprintf(p, clears, "", ",{\"gasLimit\":\"0x6000\"}");
    CHECK(err_code(c.n, "eth_estimateGas", p, msg, sizeof msg) == -32000 &&
          !strcmp(msg, "gas required exceeds allowance (24576)"));
    /* eth_call's block overrides take no withdrawals or beacon root */
    sprintf(p, clears, "", ",{\"withdrawals\":[]}");
    CHECK(err_code(c.n, "eth_call", p, msg, sizeof msg) == -32000 &&
          !strcmp(msg, "block override \"withdrawals\" is not supported for this RPC method"));

    /* access list: the contract with slot 0 (the sender is left out) */
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"%s\"}]", a0, k, w5);
    r = ok(c.n, "eth_createAccessList", p);
    char want[512];
    sprintf(want,
            "[{\"address\":\"%s\",\"storageKeys\":[\"0x0000000000000000000000000000000000000000000000000000000000000000\"]}]",
            k);
    CHECK(r && test_json_is(json_object_get(r, "accessList"), want) && test_qty(r, "gasUsed") > 21000 &&
          !json_object_get(r, "error"));
    json_decref(r);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"0xff\"}]", a0, k);
    r = ok(c.n, "eth_createAccessList", p);
    CHECK(r && !strcmp(test_str(r, "error"), "execution reverted"));
    json_decref(r);
    /* the list given stays in (geth's tracer starts from it), less the
     * sender: a transfer with one address and one slot costs 25300 */
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"0x0000000000000000000000000000000000000077\",\"accessList\":["
               "{\"address\":\"%s\",\"storageKeys\":[]},{\"address\":\"0x000000000000000000000000000000000000dead\","
               "\"storageKeys\":[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}]}]", a0, a0);
    r = ok(c.n, "eth_createAccessList", p);
    CHECK(r && test_json_is(json_object_get(r, "accessList"),
                            "[{\"address\":\"0x000000000000000000000000000000000000dead\",\"storageKeys\":"
                            "[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}]") &&
          test_qty(r, "gasUsed") == 25300);
    json_decref(r);
    /* a creation whose init code reads a balance: that account without keys
     * (the new address is left out, as geth) */
    sprintf(p, "[{\"from\":\"%s\",\"input\":\"0x7300000000000000000000000000000000000000883100\"}]", a0);
    r = ok(c.n, "eth_createAccessList", p);
    CHECK(r && test_json_is(json_object_get(r, "accessList"),
                       "[{\"address\":\"0x0000000000000000000000000000000000000088\",\"storageKeys\":[]}]"));
    json_decref(r);
    /* init code that writes slot 0: the new contract is listed with it (geth's
     * tracer lists every SSTORE's slot; the new storage is never read) */
    sprintf(p, "[{\"from\":\"%s\",\"input\":\"0x600160005560006000f3\"}]", a0);
    r = ok(c.n, "eth_createAccessList", p);
    json_t *al = r ? json_object_get(r, "accessList") : NULL, *keys = json_object_get(json_array_get(al, 0), "storageKeys");
    CHECK(json_array_size(al) == 1 && json_array_size(keys) == 1 &&
          !strcmp(json_string_value(json_array_get(keys, 0)) ?: "",
                  "0x0000000000000000000000000000000000000000000000000000000000000000"));
    json_decref(r);
    /* bad call objects */
    CHECK(err_code(c.n, "eth_call", "[]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "eth_call", "[{\"to\":\"0x12\"}]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "eth_call", "[{\"gasPrice\":\"0x1\",\"maxFeePerGas\":\"0x1\"}]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "eth_call", "[{},\"latest\",{\"0x00000000000000000000000000000000000000ab\":{\"stateDif\":{}}}]",
                   NULL, 0) == -32602);
    free_chain(&c);
}

/* ---- Fees, raw data, node info ------------------------------------------------------------------ */

TEST(node_fees_raw_info) {
    chain c;
    CHECK(build_chain(&c));
    json_t *r = ok(c.n, "eth_feeHistory", "[\"0x4\",\"latest\",[25,75]]");
    CHECK(r && !strcmp(test_str(r, "oldestBlock"), "0x1"));
    if (r) {
        json_t *base = json_object_get(r, "baseFeePerGas"), *rew = json_object_get(r, "reward");
        CHECK(json_array_size(base) == 5 && test_qty(json_array_get(base, 0), NULL) == 875000000);
        CHECK(json_array_size(json_object_get(r, "gasUsedRatio")) == 4);
        CHECK(json_array_size(json_object_get(r, "baseFeePerBlobGas")) == 5);
        CHECK(json_array_size(json_object_get(r, "blobGasUsedRatio")) == 4);
        CHECK(json_array_size(rew) == 4 && test_json_is(json_array_get(rew, 3), "[\"0x0\",\"0x0\"]"));
        /* block 1: the creation tips 1 gwei, the legacy transfer 3 gwei - base fee;
         * the percentiles are weighted by gas used */
        char p1[80];
        hash_hex(&c.tx[1].hash, p1 + 2);
        p1[0] = '[', p1[1] = '"';
        strcat(p1, "\"]");
        json_t *rc1 = ok(c.n, "eth_getTransactionReceipt", p1);
        uint64_t g1 = rc1 ? test_qty(rc1, "gasUsed") : 0;
        json_decref(rc1);
        bool high_is_creation = g1 * 4 >= (g1 + 21000) * 3;
        CHECK(test_json_is(json_array_get(rew, 0), high_is_creation ? "[\"0x3b9aca00\",\"0x3b9aca00\"]"
                                                                : "[\"0x3b9aca00\",\"0x7ea8ed40\"]"));
        /* block 4's base fee follows block 3's from the header */
        json_t *b4 = ok(c.n, "eth_getBlockByNumber", "[\"0x4\",false]");
        CHECK(b4 && json_equal(json_object_get(b4, "baseFeePerGas"), json_array_get(base, 3)));
        json_decref(b4);
    }
    json_decref(r);
    char fmsg[200];
    CHECK(err_code(c.n, "eth_feeHistory", "[\"0x2\",\"latest\",[75,25]]", fmsg, sizeof fmsg) == -32000 &&
          !strcmp(fmsg, "invalid reward percentile: #0:75.000000 >= #1:25.000000")); /* geth's */
    CHECK(err_code(c.n, "eth_feeHistory", "[\"0x2\",\"latest\",[10,10]]", NULL, 0) == -32000);
    r = ok(c.n, "eth_feeHistory", "[\"2\",\"latest\"]"); /* a decimal count, as geth's HexOrDecimal64 */
    CHECK(r && json_array_size(json_object_get(r, "gasUsedRatio")) == 2);
    json_decref(r);
    r = ok(c.n, "eth_feeHistory", "[2,\"0x2\"]");
    CHECK(r && !strcmp(test_str(r, "oldestBlock"), "0x1") && !json_object_get(r, "reward"));
    json_decref(r);
    /* geth: a count of 0 is answered before the block or the percentiles
     * are looked at; more than 100 percentiles is over its query limit */
    CHECK(result_is(c.n, "eth_feeHistory", "[0,\"0x99\",[50,10]]", "{\"oldestBlock\":\"0x0\",\"gasUsedRatio\":null}"));
    char many[600] = "[\"0x2\",\"latest\",[";
    for (int i = 0; i <= 100; i++) snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d", i ? "," : "", i / 2);
    strcat(many, "]]");
    CHECK(err_code(c.n, "eth_feeHistory", many, fmsg, sizeof fmsg) == -32000 &&
          !strcmp(fmsg, "invalid reward percentile: over the query limit 100"));
    CHECK(err_code(c.n, "eth_feeHistory", "[\"0x1\",\"0x99\"]", fmsg, sizeof fmsg) == -32000 &&
          !strncmp(fmsg, "request beyond head block: requested 153, head ", 47));
    CHECK(result_is(c.n, "eth_blobBaseFee", "[]", "\"0x1\""));
    r = ok(c.n, "eth_maxPriorityFeePerGas", "[]");
    CHECK(r && test_qty(r, NULL) == 1000000000);
    json_decref(r);
    r = ok(c.n, "eth_gasPrice", "[]");
    CHECK(r && test_qty(r, NULL) > 1000000000);
    json_decref(r);

    /* raw data decodes to what was sent */
    json_t *rb = ok(c.n, "debug_getRawBlock", "[\"0x2\"]");
    uint8_t *raw;
    size_t len;
    block b;
    char err[128];
    CHECK(rb && hex_decode_alloc(json_string_value(rb), &raw, &len));
    if (rb && block_decode(raw, len, &b, err, sizeof err)) {
        CHECK(bytes32_eq(&b.header.hash, &c.block_hash[2]) && b.n_txs == 3);
        CHECK(b.n_txs == 3 && bytes32_eq(&b.txs[0].hash, &c.tx[2].hash));
        block_free(&b);
    } else {
        CHECK(false);
    }
    if (rb) free(raw);
    json_decref(rb);
    char p[128], want[1024];
    hash_hex(&c.tx[6].hash, p + 2);
    p[0] = '[', p[1] = '"';
    strcat(p, "\"]");
    buf_t enc = {0};
    tx_encode(&c.tx[6], &enc);
    want[0] = '"';
    hexs(enc.data, enc.len, want + 1);
    strcat(want, "\"");
    CHECK(result_is(c.n, "debug_getRawTransaction", p, want));
    CHECK(result_is(c.n, "eth_getRawTransactionByHash", p, want));
    /* the same by its block and index (its index: where it sits among the block's) */
    uint64_t blk = c.block_of[6], idx = 0;
    for (size_t i = 0; i < 6; i++) idx += c.block_of[i] == blk;
    char q[160];
    snprintf(q, sizeof q, "[\"0x%llx\",\"0x%llx\"]", (unsigned long long)blk, (unsigned long long)idx);
    CHECK(result_is(c.n, "eth_getRawTransactionByBlockNumberAndIndex", q, want));
    q[0] = '[', q[1] = '"';
    hash_hex(&c.block_hash[blk], q + 2);
    snprintf(q + strlen(q), sizeof q - strlen(q), "\",\"0x%llx\"]", (unsigned long long)idx);
    CHECK(result_is(c.n, "eth_getRawTransactionByBlockHashAndIndex", q, want));
    snprintf(q, sizeof q, "[\"0x%llx\",\"0x63\"]", (unsigned long long)blk);
    CHECK(result_is(c.n, "eth_getRawTransactionByBlockNumberAndIndex", q, "null"));
    CHECK(result_is(c.n, "eth_getRawTransactionByBlockNumberAndIndex", "[\"0x99\",\"0x0\"]", "null"));
    CHECK(err_code(c.n, "eth_getRawTransactionByBlockHashAndIndex", "[\"0x12\",\"0x0\"]", NULL, 0) == -32602);
    buf_free(&enc);
    /* debug_codeByHash: the contract's code by its hash; the empty code; an unknown hash */
    char cp[96] = "[\"";
    hexs(c.contract.b, 20, cp + 2);
    strcat(cp, "\",\"latest\"]");
    r = ok(c.n, "eth_getCode", cp);
    uint8_t *code = NULL;
    size_t code_len = 0;
    CHECK(r && hex_decode_alloc(json_string_value(r), &code, &code_len) && code_len > 0);
    if (code) {
        bytes32 ch = keccak256_hash(code, code_len);
        char hq[80] = "[\"";
        hash_hex(&ch, hq + 2);
        strcat(hq, "\"]");
        char *w = malloc(strlen(json_string_value(r)) + 3);
        sprintf(w, "\"%s\"", json_string_value(r));
        CHECK(result_is(c.n, "debug_codeByHash", hq, w));
        free(w);
        free(code);
    }
    json_decref(r);
    CHECK(result_is(c.n, "debug_codeByHash", "[\"0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\"]", "\"0x\""));
    CHECK(result_is(c.n, "debug_codeByHash", "[\"0x1212121212121212121212121212121212121212121212121212121212121212\"]", "null"));
    CHECK(err_code(c.n, "debug_codeByHash", "[\"0x12\"]", NULL, 0) == -32602);
    r = ok(c.n, "debug_getRawReceipts", "[\"0x2\"]");
    CHECK(r && json_array_size(r) == 3 && !strncmp(json_string_value(json_array_get(r, 0)), "0x01", 4) &&
          !strncmp(json_string_value(json_array_get(r, 1)), "0x02", 4));
    json_decref(r);
    CHECK(err_code(c.n, "debug_getRawHeader", "[\"2\"]", NULL, 0) == -32602);
    CHECK(err_code(c.n, "debug_getRawBlock", "[\"0x99\"]", NULL, 0) == -32000);

    /* the node itself */
    CHECK(result_is(c.n, "eth_chainId", "[]", "\"0x7a69\""));
    CHECK(result_is(c.n, "net_version", "[]", "\"31337\""));
    CHECK(result_is(c.n, "eth_syncing", "[]", "false"));
    CHECK(result_is(c.n, "web3_sha3", "[\"0x\"]", "\"0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\""));
    /* a dev node names anvil first (hardhat-network-helpers' check), then itself */
    r = ok(c.n, "web3_clientVersion", "[]");
    CHECK(r && !strncmp(json_string_value(r), "anvil/v", 7) && strstr(json_string_value(r), "(parevm/v"));
    json_decref(r);
    r = ok(c.n, "eth_accounts", "[]");
    CHECK(r && json_array_size(r) == 10 &&
          !strcmp(json_string_value(json_array_get(r, 0)), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    json_decref(r);
    free_chain(&c);
}

/* ---- The pool ---------------------------------------------------------------------------------- */

static char *raw_hex_params(transaction *tx) {
    buf_t raw = {0};
    tx_encode(tx, &raw);
    char *p = malloc(2 * raw.len + 16);
    strcpy(p, "[\"");
    hexs(raw.data, raw.len, p + 2);
    strcat(p, "\"]");
    buf_free(&raw);
    return p;
}

TEST(node_pool) {
    chain c;
    CHECK(build_chain(&c));
    char a1[43], msg[256], p[512];
    addr_hex(&c.acct[1], a1);
    transaction tx;
    /* a nonce already used */
    base_tx(&c, &tx, TX_DYNAMIC_FEE, 0, 0);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = c.acct[3];
    CHECK(tx_sign(&tx, c.key[0]));
    char *raw = raw_hex_params(&tx);
    CHECK(err_code(c.n, "eth_sendRawTransaction", raw, msg, sizeof msg) == -32000 && !strcmp(msg, "nonce too low"));
    free(raw);
    /* acct1 is at nonce 2: nonce 2 is pending, nonce 4 queued (automine is off) */
    base_tx(&c, &tx, TX_DYNAMIC_FEE, 1, 2);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = c.acct[3];
    CHECK(tx_sign(&tx, c.key[1]));
    bytes32 pending_hash = tx.hash;
    raw = raw_hex_params(&tx);
    json_t *sent = ok(c.n, "eth_sendRawTransaction", raw);
    CHECK(sent != NULL);
    json_decref(sent);
    CHECK(err_code(c.n, "eth_sendRawTransaction", raw, msg, sizeof msg) == -32000 && !strcmp(msg, "already known"));
    free(raw);
    /* the same nonce with a tip 5% higher is not enough */
    tx.max_priority_fee = u256_from_u64(1050000000);
    CHECK(tx_sign(&tx, c.key[1]));
    raw = raw_hex_params(&tx);
    CHECK(err_code(c.n, "eth_sendRawTransaction", raw, msg, sizeof msg) == -32000 &&
          !strcmp(msg, "replacement transaction underpriced"));
    free(raw);
    base_tx(&c, &tx, TX_DYNAMIC_FEE, 1, 4);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = c.acct[3];
    CHECK(tx_sign(&tx, c.key[1]));
    raw = raw_hex_params(&tx);
    json_t *r = ok(c.n, "eth_sendRawTransaction", raw);
    json_decref(r);
    free(raw);
    CHECK(result_is(c.n, "txpool_status", "[]", "{\"pending\":\"0x1\",\"queued\":\"0x1\"}"));
    sprintf(p, "[\"%s\"]", a1);
    r = ok(c.n, "txpool_contentFrom", p);
    CHECK(r && json_object_get(json_object_get(r, "pending"), "2") && json_object_get(json_object_get(r, "queued"), "4"));
    json_decref(r);
    r = ok(c.n, "txpool_content", "[]");
    /* keyed by the checksummed address */
    CHECK(r && json_object_get(json_object_get(r, "pending"), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    json_decref(r);
    sprintf(p, "[\"%s\",\"pending\"]", a1);
    CHECK(result_is(c.n, "eth_getTransactionCount", p, "\"0x3\""));
    char hh[67];
    hash_hex(&pending_hash, hh);
    sprintf(p, "[\"%s\"]", hh);
    r = ok(c.n, "eth_getTransactionByHash", p);
    CHECK(r && json_is_null(json_object_get(r, "blockHash")) && json_is_null(json_object_get(r, "transactionIndex")));
    json_decref(r);
    /* mined: the pending one leaves the pool, the queued one stays */
    r = ok(c.n, "evm_mine", "[]");
    json_decref(r);
    CHECK(result_is(c.n, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x1\"}"));
    r = ok(c.n, "eth_getTransactionReceipt", p);
    CHECK(r && test_qty(r, "blockNumber") == 5 && test_qty(r, "status") == 1);
    json_decref(r);
    /* a blob transaction without its blobs is refused */
    base_tx(&c, &tx, TX_BLOB, 1, 3);
    tx.has_to = true;
    tx.to = c.acct[3];
    tx.blob_hashes = calloc(1, 32);
    tx.blob_hashes[0].b[0] = 1;
    tx.n_blob_hashes = 1;
    CHECK(tx_sign(&tx, c.key[1]));
    raw = raw_hex_params(&tx);
    CHECK(err_code(c.n, "eth_sendRawTransaction", raw, msg, sizeof msg) == -32000);
    free(raw);
    tx_free(&tx);
    free_chain(&c);
}

/* geth's EIP-7702 pool limits hold on a node, not in dev mode (anvil takes
 * what they refuse): a sender that authorized a delegation in a pooled
 * set-code transaction has one transaction in flight. */
static const char *send_pair(node *n, const uint8_t key[32], const address *acct, char *msg, size_t cap) {
    authorization a = {.chain_id = u256_from_u64(31337), .addr = {{0x42}}, .nonce = 1};
    transaction tx;
    base_tx(NULL, &tx, TX_SET_CODE, 0, 0);
    tx.has_to = true;
    tx.to = *acct;
    tx.auths = &a;
    tx.n_auths = 1;
    if (!tx_auth_sign(&a, key) || !tx_sign(&tx, key)) return "signing";
    char *raw = raw_hex_params(&tx);
    json_t *r = ok(n, "eth_sendRawTransaction", raw);
    free(raw);
    json_decref(r);
    if (!r) return "set-code transaction refused";
    base_tx(NULL, &tx, TX_DYNAMIC_FEE, 0, 1);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = *acct;
    if (!tx_sign(&tx, key)) return "signing";
    raw = raw_hex_params(&tx);
    long long code = err_code(n, "eth_sendRawTransaction", raw, msg, cap);
    free(raw);
    return code ? (code == -32000 ? msg : "another code") : NULL;
}

TEST(node_pool_delegation_limits) {
    tmpdir t;
    node *n = open_dev(&t);
    CHECK(n != NULL);
    if (!n) return;
    uint8_t key[32];
    address acct;
    char msg[256];
    CHECK(hd_account(DEV_MNEMONIC, NULL, 0, key, &acct));
    json_t *r = ok(n, "evm_setAutomine", "[false]");
    json_decref(r);
    CHECK(send_pair(n, key, &acct, msg, sizeof msg) == NULL);
    node_close(n);
    /* the same store, as a node: account 0 is still at nonce 0 */
    node_config cfg = {.datadir = t.path, .threads = 2};
    const char *err = node_open(&cfg, &n);
    CHECK(err == NULL);
    if (err) {
        fprintf(stderr, "node_open: %s\n", err);
        tmp_remove(&t);
        return;
    }
    const char *why = send_pair(n, key, &acct, msg, sizeof msg);
    CHECK(why && !strcmp(why, "in-flight transaction limit reached for delegated accounts"));
    close_dev(n, &t);
}

/* ---- Bad input: an error each, nothing written ----------------------------------------------------- */

TEST(node_bad_input) {
    chain c;
    CHECK(build_chain(&c));
    json_t *before = ok(c.n, "eth_getBlockByNumber", "[\"latest\",false]");
    static const struct {
        const char *method, *params;
        long long code;
    } cases[] = {
        {"eth_nope", "[]", -32601},
        {"eth_getBalance", "[\"f39fd6e51aad88f6f4ce6ab8827279cfffb92266\"]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226\"]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0x01\"]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",1]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0xffffffffffffffffff\"]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0x99\"]", -32000},
        {"eth_getBalance", "[]", -32602},
        {"eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"latest\",3]", -32602},
        {"eth_getBalance", "{}", -32602},
        {"eth_getBlockByNumber", "[\"0x1\"]", -32602},
        {"eth_getBlockByNumber", "[\"0x1\",\"true\"]", -32602},
        {"eth_getBlockByNumber", "[\"latest!\",false]", -32602},
        {"eth_getBlockByHash", "[\"0x123\",false]", -32602},
        {"eth_getTransactionByHash", "[\"0xabc\"]", -32602},
        {"eth_getCode", "[\"0x\"]", -32602},
        {"eth_call", "[{\"to\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"gas\":\"0xzz\"}]", -32602},
        {"eth_call", "[{\"data\":\"0x123\"}]", -32602},
        {"eth_estimateGas", "[{\"value\":\"0x00\"}]", -32602},
        {"eth_sendRawTransaction", "[\"0x01\"]", -32000},
        {"eth_sendRawTransaction", "[\"0x\"]", -32000},
        {"eth_sendRawTransaction", "[\"0xf8\"]", -32000},
        {"eth_sendRawTransaction", "[\"0xgg\"]", -32602},
        {"eth_sendRawTransaction", "[12]", -32602},
        {"eth_getLogs", "[{\"address\":\"0x12\"}]", -32602},
        {"eth_getLogs", "[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x99\"}]", -32602},
        {"eth_getLogs", "[\"0x1\"]", -32602},
        {"eth_feeHistory", "[\"0x1\",\"0x99\",[]]", -32000},
        {"eth_feeHistory", "[\"0x1\",\"latest\",[101]]", -32000},
        {"eth_getStorageAt", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0xqq\"]", -32602},
        {"anvil_setBalance", "[\"0x1234\",\"0x1\"]", -32602},
        {"anvil_setBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"12\"]", -32602},
        {"anvil_setCode", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0x1\"]", -32602},
        {"evm_revert", "[\"zz\"]", -32602},
        {"evm_mine", "[\"0x1\",\"0x2\"]", -32602},
        {"debug_getRawBlock", "[\"0x99\"]", -32000},
        {"txpool_contentFrom", "[\"0x00\"]", -32602},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[256];
        long long code = err_code(c.n, cases[i].method, cases[i].params, msg, sizeof msg);
        if (code != cases[i].code) fprintf(stderr, "  %s %s -> %lld %s\n", cases[i].method, cases[i].params, code, msg);
        CHECK(code == cases[i].code);
    }
    /* whole bodies */
    static const struct {
        const char *body;
        long long code;
    } bodies[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"", -32700},
        {"", -32700},
        {"[]", -32600},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"eth_chainId\"}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"eth_chainId\"}", -32600},
        {"\"eth_chainId\"", -32600},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        size_t len;
        char *out = rpc_process(node_methods(c.n), bodies[i].body, strlen(bodies[i].body), 0, &len);
        json_t *r = out ? json_loads(out, 0, NULL) : NULL;
        CHECK(json_integer_value(json_object_get(json_object_get(r, "error"), "code")) == bodies[i].code);
        json_decref(r);
        free(out);
    }
    /* a batch over the limit is one error; deep nesting is a parse error */
    size_t cap = 1001 * 64 + 16, len = 0;
    char *big = malloc(cap);
    big[len++] = '[';
    for (int i = 0; i < 1001; i++)
        len += (size_t)sprintf(big + len, "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"eth_chainId\"}", i ? "," : "", i);
    big[len++] = ']';
    char *out = rpc_process(node_methods(c.n), big, len, 0, &len);
    json_t *r = out ? json_loads(out, 0, NULL) : NULL;
    CHECK(json_array_size(r) == 1 &&
          json_integer_value(json_object_get(json_object_get(json_array_get(r, 0), "error"), "code")) == -32600);
    json_decref(r);
    free(out);
    char *deep = malloc(200001);
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    out = rpc_process(node_methods(c.n), deep, 200000, 0, &len);
    r = out ? json_loads(out, 0, NULL) : NULL;
    CHECK(json_integer_value(json_object_get(json_object_get(r, "error"), "code")) == -32700);
    json_decref(r);
    free(out);
    free(deep);
    free(big);
    /* nothing moved */
    json_t *after = ok(c.n, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(before && after && json_equal(before, after));
    CHECK(result_is(c.n, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    json_decref(before);
    json_decref(after);
    free_chain(&c);
}

/* ---- Readers while the writer mines ------------------------------------------------------------------ */

typedef struct {
    node *n;
    atomic_bool stop;
    atomic_int bad, reads;
} race;

static void *reader(void *arg) {
    race *r = arg;
    while (!atomic_load(&r->stop)) {
        json_t *b = ok(r->n, "eth_getBlockByNumber", "[\"latest\",true]");
        if (!b) {
            atomic_fetch_add(&r->bad, 1);
            continue;
        }
        /* the block, its receipts and its count agree: each request reads one snapshot */
        char p[128];
        sprintf(p, "[\"%s\"]", test_str(b, "hash"));
        json_t *rc = ok(r->n, "eth_getBlockReceipts", p);
        json_t *cnt = ok(r->n, "eth_getBlockTransactionCountByHash", p);
        size_t ntx = json_array_size(json_object_get(b, "transactions"));
        if (!rc || json_array_size(rc) != ntx || !cnt || test_qty(cnt, NULL) != ntx) atomic_fetch_add(&r->bad, 1);
        for (size_t i = 0; rc && i < json_array_size(rc); i++)
            if (strcmp(test_str(json_array_get(rc, i), "blockHash"), test_str(b, "hash"))) atomic_fetch_add(&r->bad, 1);
        json_decref(rc);
        json_decref(cnt);
        json_decref(b);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

TEST(node_readers_race_the_writer) {
    tmpdir t;
    node *n = open_dev(&t);
    CHECK(n != NULL);
    if (!n) return;
    race r = {.n = n};
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader, &r);
    const char *from[3] = {"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                           "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"};
    int sent = 0;
    for (int i = 0; i < 24; i++) {
        char p[256];
        sprintf(p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b%d\",\"value\":\"0x1\"}]",
                from[i % 3], i % 10);
        json_t *h = ok(n, "eth_sendTransaction", p);
        sent += h != NULL;
        json_decref(h);
    }
    atomic_store(&r.stop, true);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK(sent == 24);
    CHECK(atomic_load(&r.bad) == 0);
    CHECK(atomic_load(&r.reads) > 0);
    CHECK(result_is(n, "eth_blockNumber", "[]", "\"0x18\""));
    close_dev(n, &t);
}

/* ---- A dev store reopened --------------------------------------------------------------------------- */

TEST(node_reopen_dev_store) {
    tmpdir t;
    node *n = open_dev(&t);
    CHECK(n != NULL);
    if (!n) return;
    json_t *r = ok(n, "anvil_mine", "[\"0x2\"]");
    json_decref(r);
    json_t *before = ok(n, "eth_getBlockByNumber", "[\"latest\",false]");
    node_close(n);
    node_config cfg = {.datadir = t.path, .dev = true};
    CHECK(node_open(&cfg, &n) == NULL);
    json_t *after = n ? ok(n, "eth_getBlockByNumber", "[\"latest\",false]") : NULL;
    CHECK(before && after && json_equal(before, after));
    json_decref(before);
    json_decref(after);
    if (n) close_dev(n, &t);
}
