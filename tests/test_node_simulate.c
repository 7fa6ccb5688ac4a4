/* eth_simulateV1 against its specification's cases and the chain itself:
 *
 * - the execution-apis cases (simulate_cases.h: overrides, precompile
 *   moves, reverts, multiple blocks and gaps, validation on and off,
 *   traceTransfers, full transactions, the error codes) on a dev chain
 *   shaped like the one they were written on, each compared with geth's
 *   response less the state-dependent fields;
 * - a simulated block equal to a block the node then really mines (same
 *   environment, the same transaction unsigned) has its state root,
 *   receipts root, bloom and gas; every simulated block hash is the keccak
 *   of the header its JSON describes; BLOCKHASH in a simulated block sees
 *   the simulated parents;
 * - historical base blocks, the dev edits, and that nothing is written. */
#include "test.h"
#include <openssl/sha.h>
#include "node_rpc.h"
#include "parevm/block.h"
#include "parevm/keccak.h"
#include "simulate_cases.h"

static const uint64_t SPEC_CHAIN_ID = 3503995874084926ULL;

/* The execution-apis test chain's shape: its chain id and gas limit, head
 * 54 at time 540 (blocks 10 s apart), the zero address existing. */
static bool open_spec_chain(test_node *t) {
    memset(t, 0, sizeof *t);
    strcpy(t->path, "/tmp/parevm-node-test-XXXXXX");
    if (!mkdtemp(t->path)) abort();
    node_config cfg = {.datadir = t->path, .dev = true, .threads = 2, .dev_genesis_time = 1,
                       .dev_chain_id = SPEC_CHAIN_ID, .dev_gas_limit = 200000000};
    if (node_open(&cfg, &t->n)) return false;
    for (unsigned i = 0; i < 4; i++)
        if (!node_dev_account(t->n, i, &t->acct[i], t->key[i])) return false;
    json_t *r = test_ok(t, "evm_setAutomine", "[false]");
    bool good = r != NULL;
    json_decref(r);
    transaction tx;
    address zero = {{0}};
    test_tx(&tx, 0, &zero, NULL, 1);
    tx.chain_id = SPEC_CHAIN_ID;
    good &= test_send(t, &tx, 0);
    tx_free(&tx);
    for (int i = 1; good && i <= 54; i++) {
        char p[64];
        snprintf(p, sizeof p, "[{\"timestamp\":\"0x%x\"}]", 10 * i);
        json_t *m = test_ok(t, "evm_mine", p);
        good = m != NULL;
        json_decref(m);
    }
    return good;
}

/* The fields that depend on the chain's state go (see the generator). */
static void reduce(json_t *result, bool validation) {
    for (size_t i = 0; i < json_array_size(result); i++) {
        json_t *b = json_array_get(result, i);
        json_object_del(b, "hash");
        json_object_del(b, "parentHash");
        json_object_del(b, "stateRoot");
        if (validation) json_object_del(b, "baseFeePerGas"), json_object_del(b, "size");
        json_t *txs = json_object_get(b, "transactions");
        for (size_t k = 0; k < json_array_size(txs); k++)
            if (json_is_object(json_array_get(txs, k))) json_object_del(json_array_get(txs, k), "blockHash");
        json_t *calls = json_object_get(b, "calls");
        for (size_t k = 0; k < json_array_size(calls); k++) {
            json_t *logs = json_object_get(json_array_get(calls, k), "logs");
            for (size_t l = 0; l < json_array_size(logs); l++) json_object_del(json_array_get(logs, l), "blockHash");
        }
    }
}

static void calls_summary(const json_t *result, char *out, size_t cap) {
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < json_array_size(result); i++) {
        const json_t *calls = json_object_get(json_array_get(result, i), "calls");
        if (i) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "|");
        for (size_t k = 0; k < json_array_size(calls); k++) {
            const json_t *c = json_array_get(calls, k);
            n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s:%s", k ? "," : "", test_str(c, "status") + 2,
                                  test_str(c, "gasUsed") + 2);
        }
    }
}

/* Every simulated block's logs and transactions carry its hash, and its
 * parentHash is the previous one's. */
static bool hashes_consistent(const json_t *result, const char *base_hash) {
    const char *parent = base_hash;
    for (size_t i = 0; i < json_array_size(result); i++) {
        const json_t *b = json_array_get(result, i);
        const char *h = test_str(b, "hash");
        if (parent && strcmp(test_str(b, "parentHash"), parent)) return false;
        parent = h;
        const json_t *calls = json_object_get(b, "calls");
        for (size_t k = 0; k < json_array_size(calls); k++) {
            const json_t *logs = json_object_get(json_array_get(calls, k), "logs");
            for (size_t l = 0; l < json_array_size(logs); l++)
                if (strcmp(test_str(json_array_get(logs, l), "blockHash"), h)) return false;
        }
    }
    return true;
}

TEST(simulate_execution_apis_cases) {
    test_node t;
    CHECK(open_spec_chain(&t));
    json_t *head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(test_qty(head, "number") == 54 && test_qty(head, "timestamp") == 540);
    size_t passed = 0, n = sizeof SIM_CASES / sizeof *SIM_CASES;
    for (size_t i = 0; i < n; i++) {
        json_t *r = test_rpc(&t, "eth_simulateV1", SIM_CASES[i].params);
        json_t *err = json_object_get(r, "error"), *res = json_object_get(r, "result");
        bool good;
        char got[4096] = "";
        if (SIM_CASES[i].error) {
            long long code = err ? json_integer_value(json_object_get(err, "code")) : 0;
            good = code == SIM_CASES[i].error;
            snprintf(got, sizeof got, "error %lld %s", code, err ? test_str(err, "message") : "(none)");
        } else if (!res) {
            good = false;
            snprintf(got, sizeof got, "error %s", err ? test_str(err, "message") : "(no response)");
        } else {
            bool hashes = hashes_consistent(res, strstr(SIM_CASES[i].params, "\"latest\"") ? test_str(head, "hash")
                                                                                         : NULL);
            calls_summary(res, got, sizeof got);
            reduce(res, strstr(SIM_CASES[i].params, "\"validation\":true") != NULL);
            char *text = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
            uint8_t d[32];
            SHA256((const uint8_t *)text, strlen(text), d);
            char hex[67];
            hex_encode(d, 32, hex);
            good = hashes && !strcmp(got, SIM_CASES[i].calls) && !strcmp(hex + 2, SIM_CASES[i].digest);
            if (!good) fprintf(stderr, "  %s: hashes %d, reduced result %.2000s\n", SIM_CASES[i].name, hashes, text);
            free(text);
        }
        if (!good)
            fprintf(stderr, "  %s: got %.300s, want %d %.300s\n", SIM_CASES[i].name, got, SIM_CASES[i].error,
                    SIM_CASES[i].calls ? SIM_CASES[i].calls : "");
        passed += good;
        json_decref(r);
    }
    fprintf(stderr, "  execution-apis eth_simulateV1 cases: %zu of %zu\n", passed, n);
    CHECK(n >= 70 && passed == n);
    json_decref(head);
    test_node_close(&t);
}

/* ---- The simulation against the chain ------------------------------------------------------ */

/* runtime: slot 1 = calldata word; LOG1(word; caller) */
static const char LOGGER_INIT[] = "0x6011600c60003960116000f3" "600035806001556000523360206000a100";

static bool hex_field(const json_t *o, const char *key, uint8_t *out, size_t n) {
    return hex_to_fixed(test_str(o, key), out, n);
}

/* The header a simulated block's JSON describes. */
static bool header_of(const json_t *b, block_header *h) {
    memset(h, 0, sizeof *h);
    uint8_t *extra = NULL;
    size_t extra_len = 0;
    uint64_t v;
    bool good = hex_field(b, "parentHash", h->parent_hash.b, 32) && hex_field(b, "sha3Uncles", h->ommers_hash.b, 32) &&
                hex_field(b, "miner", h->coinbase.b, 20) && hex_field(b, "stateRoot", h->state_root.b, 32) &&
                hex_field(b, "transactionsRoot", h->tx_root.b, 32) &&
                hex_field(b, "receiptsRoot", h->receipts_root.b, 32) && hex_field(b, "logsBloom", h->bloom, 256) &&
                hex_field(b, "mixHash", h->mix_hash.b, 32) && hex_decode_alloc(test_str(b, "extraData"), &extra, &extra_len) &&
                extra_len <= 32;
    if (extra) memcpy(h->extra_data, extra, extra_len), h->extra_len = extra_len;
    free(extra);
    h->number = test_qty(b, "number");
    h->gas_limit = test_qty(b, "gasLimit");
    h->gas_used = test_qty(b, "gasUsed");
    h->timestamp = test_qty(b, "timestamp");
    good &= (v = test_qty(b, "difficulty")) != UINT64_MAX;
    h->difficulty = u256_from_u64(v);
    h->has_base_fee = (v = test_qty(b, "baseFeePerGas")) != UINT64_MAX;
    h->base_fee = u256_from_u64(v);
    h->has_withdrawals_root = hex_field(b, "withdrawalsRoot", h->withdrawals_root.b, 32);
    h->has_blob_gas = (h->blob_gas_used = test_qty(b, "blobGasUsed")) != UINT64_MAX;
    h->excess_blob_gas = test_qty(b, "excessBlobGas");
    h->has_beacon_root = hex_field(b, "parentBeaconBlockRoot", h->parent_beacon_root.b, 32);
    h->has_requests_hash = hex_field(b, "requestsHash", h->requests_hash.b, 32);
    return good && test_qty(b, "nonce") == 0;
}

/* Each block's hash is the keccak of the header its fields describe. */
static bool hashes_are_headers(const json_t *result) {
    for (size_t i = 0; i < json_array_size(result); i++) {
        const json_t *b = json_array_get(result, i);
        block_header h;
        bytes32 want;
        if (!header_of(b, &h) || !hex_field(b, "hash", want.b, 32)) return false;
        buf_t enc = {0};
        header_encode(&h, &enc);
        bytes32 got = keccak256_hash(enc.data, enc.len);
        buf_free(&enc);
        if (!bytes32_eq(&got, &want)) {
            fprintf(stderr, "  block %zu: the hash is not the header's\n", i);
            return false;
        }
    }
    return true;
}

static const char *receipt_contract(test_node *t, const transaction *tx, address *out) {
    char h[67], p[80];
    hex_encode(tx->hash.b, 32, h);
    snprintf(p, sizeof p, "[\"%s\"]", h);
    json_t *rc = test_ok(t, "eth_getTransactionReceipt", p);
    bool good = rc && hex_to_fixed(test_str(rc, "contractAddress"), out->b, 20);
    json_decref(rc);
    return good ? NULL : "no receipt";
}

/* A block the node mines, simulated from its parent with the same
 * environment and the same transactions unsigned: the same state root,
 * receipts, bloom and gas (and base fee, computed under validation). */
TEST(simulate_matches_a_mined_block) {
    test_node t;
    CHECK(test_node_open(&t));
    transaction tx;
    address logger;
    test_tx(&tx, 0, NULL, LOGGER_INIT, 0);
    CHECK(test_send(&t, &tx, 0));
    CHECK(receipt_contract(&t, &tx, &logger) == NULL);
    tx_free(&tx);
    json_t *r = test_ok(&t, "evm_setAutomine", "[false]");
    json_decref(r);
    /* block 2: acct1 calls the logger (value 3), acct0 sends 1000 wei to acct3 */
    transaction txs[2];
    test_tx(&txs[0], 0, &logger, "0x0000000000000000000000000000000000000000000000000000000000000077", 3);
    test_tx(&txs[1], 1, &t.acct[3], NULL, 1000);
    CHECK(test_send(&t, &txs[0], 1));
    CHECK(test_send(&t, &txs[1], 0));
    json_t *parent = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    char p[2048];
    snprintf(p, sizeof p, "[{\"timestamp\":\"0x%llx\"}]", (unsigned long long)test_qty(parent, "timestamp") + 12);
    r = test_ok(&t, "evm_mine", p);
    json_decref(r);
    json_t *mined = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(mined && json_array_size(json_object_get(mined, "transactions")) == 2);

    char a0[43], a1[43], a3[43], lg[43];
    hex_encode(t.acct[0].b, 20, a0);
    hex_encode(t.acct[1].b, 20, a1);
    hex_encode(t.acct[3].b, 20, a3);
    hex_encode(logger.b, 20, lg);
    snprintf(p, sizeof p,
             "[{\"validation\":true,\"blockStateCalls\":[{\"blockOverrides\":{\"time\":\"%s\",\"feeRecipient\":\"%s\","
             "\"prevRandao\":\"%s\",\"gasLimit\":\"%s\",\"beaconRoot\":\"%s\",\"withdrawals\":[]},\"calls\":["
             "{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x3\",\"gas\":\"0x493e0\",\"nonce\":\"0x0\",\"maxFeePerGas\":"
             "\"0x6fc23ac00\",\"maxPriorityFeePerGas\":\"0x3b9aca00\",\"input\":"
             "\"0x0000000000000000000000000000000000000000000000000000000000000077\"},"
             "{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x3e8\",\"gas\":\"0x493e0\",\"nonce\":\"0x1\",\"maxFeePerGas\":"
             "\"0x6fc23ac00\",\"maxPriorityFeePerGas\":\"0x3b9aca00\"}]}]},\"0x1\"]",
             test_str(mined, "timestamp"), test_str(mined, "miner"), test_str(mined, "mixHash"),
             test_str(mined, "gasLimit"), test_str(mined, "parentBeaconBlockRoot"), a1, lg, a0, a3);
    json_t *res = test_ok(&t, "eth_simulateV1", p);
    CHECK(res && json_array_size(res) == 1);
    json_t *sb = json_array_get(res, 0);
    static const char *const same[] = {"stateRoot", "receiptsRoot", "logsBloom", "gasUsed", "baseFeePerGas",
                                       "number", "parentHash", "blobGasUsed", "excessBlobGas", "requestsHash",
                                       "withdrawalsRoot", "timestamp", "miner", "gasLimit"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        bool eq = !strcmp(test_str(sb, same[i]), test_str(mined, same[i]));
        if (!eq) fprintf(stderr, "  %s: simulated %s, mined %s\n", same[i], test_str(sb, same[i]), test_str(mined, same[i]));
        CHECK(eq);
    }
    CHECK(hashes_are_headers(res));
    /* the call's log, numbered in the block, carrying the simulated hashes */
    json_t *call = json_array_get(json_object_get(sb, "calls"), 0);
    json_t *log = json_array_get(json_object_get(call, "logs"), 0);
    CHECK(!strcmp(test_str(call, "status"), "0x1") && json_array_size(json_object_get(call, "logs")) == 1);
    CHECK(!strcmp(test_str(log, "address"), lg) && !strcmp(test_str(log, "blockHash"), test_str(sb, "hash")));
    CHECK(!strcmp(test_str(log, "transactionHash"),
                  json_string_value(json_array_get(json_object_get(sb, "transactions"), 0))));
    json_decref(res);

    /* the same without validation: base fee 0, so the fees differ and the
     * state root with them; the gas does not */
    char *nv = strstr(p, "\"validation\":true,");
    memmove(nv, nv + strlen("\"validation\":true,"), strlen(nv + strlen("\"validation\":true,")) + 1);
    res = test_ok(&t, "eth_simulateV1", p);
    sb = json_array_get(res, 0);
    CHECK(res && !strcmp(test_str(sb, "baseFeePerGas"), "0x0") &&
          !strcmp(test_str(sb, "gasUsed"), test_str(mined, "gasUsed")) &&
          strcmp(test_str(sb, "stateRoot"), test_str(mined, "stateRoot")));
    json_decref(res);
    /* validation checks the nonce against the base block's state (acct0
     * sent one transaction in block 1), without validation it is free */
    static const struct {
        int nonce;
        bool validation;
        int code;
    } nonces[] = {{1, true, 0}, {0, true, -38010}, {5, true, -38011}, {5, false, 0}};
    for (size_t i = 0; i < sizeof nonces / sizeof *nonces; i++) {
        snprintf(p, sizeof p,
                 "[{\"validation\":%s,\"blockStateCalls\":[{\"calls\":[{\"from\":\"%s\",\"to\":\"%s\",\"nonce\":"
                 "\"0x%x\",\"maxFeePerGas\":\"0x6fc23ac00\"}]}]},\"0x1\"]",
                 nonces[i].validation ? "true" : "false", a0, a3, nonces[i].nonce);
        CHECK(test_err(&t, "eth_simulateV1", p, NULL, 0) == nonces[i].code);
    }
    json_decref(parent);
    json_decref(mined);
    tx_free(&txs[0]);
    tx_free(&txs[1]);
    test_node_close(&t);
}

/* BLOCKHASH in simulated blocks sees the base chain and the simulated
 * blocks before; state carries over from block to block; the dev edits
 * are in the base state; nothing reaches the store. */
TEST(simulate_chain_of_blocks) {
    test_node t;
    CHECK(test_node_open(&t));
    transaction tx;
    test_tx(&tx, 0, &t.acct[3], NULL, 1);
    CHECK(test_send(&t, &tx, 0)); /* block 1 */
    tx_free(&tx);
    json_t *base = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(base && test_qty(base, "number") == 1);
    /* code at 0xb0: returns BLOCKHASH(NUMBER - 1) ++ BLOCKHASH(1) ++ SLOAD(0)
     * and stores NUMBER in slot 0 */
    static const char CODE[] = "0x600143034060005260014060205260005460405243600055" "60606000f3";
    char p[4096];
    snprintf(p, sizeof p,
             "[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x00000000000000000000000000000000000000b0\":{\"code\":\"%s\"},"
             "\"0x00000000000000000000000000000000000000dd\":{\"balance\":\"0x10\"}},\"calls\":[{\"to\":"
             "\"0x00000000000000000000000000000000000000b0\"}]},"
             "{\"blockOverrides\":{\"number\":\"0x4\"},\"calls\":[{\"to\":\"0x00000000000000000000000000000000000000b0\"},"
             "{\"from\":\"0x00000000000000000000000000000000000000dd\",\"to\":\"0x00000000000000000000000000000000000000de\","
             "\"value\":\"0x10\"}]}],\"traceTransfers\":true},\"latest\"]",
             CODE);
    json_t *res = test_ok(&t, "eth_simulateV1", p);
    CHECK(res && json_array_size(res) == 3); /* 2, the gap 3, 4 */
    CHECK(hashes_are_headers(res) && hashes_consistent(res, test_str(base, "hash")));
    const json_t *b2 = json_array_get(res, 0), *b3 = json_array_get(res, 1), *b4 = json_array_get(res, 2);
    CHECK(test_qty(b2, "number") == 2 && test_qty(b3, "number") == 3 && test_qty(b4, "number") == 4);
    CHECK(test_qty(b2, "timestamp") == test_qty(base, "timestamp") + 12 &&
          test_qty(b3, "timestamp") == test_qty(b2, "timestamp") + 12 &&
          test_qty(b4, "timestamp") == test_qty(b3, "timestamp") + 12);
    CHECK(json_array_size(json_object_get(b3, "calls")) == 0);
    char want[400];
    /* block 2: parent = base, block 1 = base, slot 0 empty */
    snprintf(want, sizeof want, "%s%s%064x", test_str(base, "hash"), test_str(base, "hash") + 2, 0);
    json_t *c = json_array_get(json_object_get(b2, "calls"), 0);
    CHECK(!strcmp(test_str(c, "returnData"), want));
    /* block 4: parent = the simulated 3, slot 0 = 2 from block 2 */
    snprintf(want, sizeof want, "%s%s%064x", test_str(b3, "hash"), test_str(base, "hash") + 2, 2);
    c = json_array_get(json_object_get(b4, "calls"), 0);
    CHECK(!strcmp(test_str(c, "returnData"), want));
    /* the transfer and its ERC-7528 log */
    c = json_array_get(json_object_get(b4, "calls"), 1);
    json_t *log = json_array_get(json_object_get(c, "logs"), 0);
    CHECK(!strcmp(test_str(c, "status"), "0x1") && !strcmp(test_str(log, "address"), "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"));
    CHECK(!strcmp(test_str(log, "data"), "0x0000000000000000000000000000000000000000000000000000000000000010"));
    CHECK(test_qty(log, "logIndex") == 0 && test_qty(log, "transactionIndex") == 1);
    json_decref(res);

    /* nothing was written */
    json_t *head = test_ok(&t, "eth_blockNumber", "[]");
    CHECK(test_qty(head, NULL) == 1);
    json_decref(head);
    json_t *bal = test_ok(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000de\",\"latest\"]");
    CHECK(bal && !strcmp(json_string_value(bal), "0x0"));
    json_decref(bal);

    /* the dev edits of the head are in the base state */
    json_t *e = test_ok(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000dd\",\"0x7\"]");
    json_decref(e);
    const char *send = "[{\"blockStateCalls\":[{\"calls\":[{\"from\":\"0x00000000000000000000000000000000000000dd\","
                       "\"to\":\"0x00000000000000000000000000000000000000de\",\"value\":\"%s\"}]}]}]";
    snprintf(p, sizeof p, send, "0x7");
    CHECK(test_err(&t, "eth_simulateV1", p, NULL, 0) == 0);
    snprintf(p, sizeof p, send, "0x8");
    CHECK(test_err(&t, "eth_simulateV1", p, NULL, 0) == -38014);
    json_decref(base);
    test_node_close(&t);
}

TEST(simulate_errors) {
    test_node t;
    CHECK(test_node_open(&t));
    char msg[256];
    static const struct {
        const char *params;
        int code;
    } cases[] = {
        {"[]", -32602},
        {"[{}]", -32602},
        {"[{\"blockStateCalls\":[]}]", -32602},
        {"[{\"blockStateCalls\":{}}]", -32602},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"to\":\"0x12\"}]}]}]", -32602},
        {"[{\"blockStateCalls\":[{\"calls\":[]}],\"validation\":\"yes\"}]", -32602},
        {"[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x00000000000000000000000000000000000000aa\":{\"stateDif\":{}}}}]}]",
         -32602},
        {"[{\"blockStateCalls\":[{}]},\"0x99\"]", -32000},
        {"[{\"blockStateCalls\":[{\"blockOverrides\":{\"number\":\"0x0\"}}]}]", -38020},
        {"[{\"blockStateCalls\":[{\"blockOverrides\":{\"number\":\"0x101\"}}]}]", -38026},
        {"[{\"blockStateCalls\":[{\"blockOverrides\":{\"time\":\"0x1\"}}]}]", -38021},
        {"[{\"blockStateCalls\":[{},{\"blockOverrides\":{\"time\":\"0x1\"}}]}]", -38021},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"gas\":\"0xffffffffff\"}]}]}]", -38015},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"gas\":\"0x5207\",\"to\":\"0x00000000000000000000000000000000000000aa\"}]}]}]",
         -38013},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"from\":\"0x00000000000000000000000000000000000000aa\",\"value\":\"0x1\"}]}]}]",
         -38014},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"maxFeePerGas\":\"0x1\",\"maxPriorityFeePerGas\":\"0x2\"}]}]}]", -32602},
        {"[{\"blockStateCalls\":[{\"calls\":[{\"chainId\":\"0x1\"}]}]}]", -32602},
        {"[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x0000000000000000000000000000000000000001\":"
         "{\"movePrecompileToAddress\":\"0x0000000000000000000000000000000000000001\"}}}]}]",
         -38022},
        {"[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x0000000000000000000000000000000000000001\":"
         "{\"movePrecompileToAddress\":\"0x0000000000000000000000000000000000000002\"},"
         "\"0x0000000000000000000000000000000000000002\":{\"balance\":\"0x1\"}}}]}]",
         -38023},
        {"[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x00000000000000000000000000000000000000aa\":"
         "{\"movePrecompileToAddress\":\"0x0000000000000000000000000000000000000002\"}}}]}]",
         -32000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long long code = test_err(&t, "eth_simulateV1", cases[i].params, msg, sizeof msg);
        if (code != cases[i].code) fprintf(stderr, "  %s -> %lld %s\n", cases[i].params, code, msg);
        CHECK(code == cases[i].code);
    }
    /* geth's words for invalid calls (its DoCall's "err: ... (supplied gas N)", EIP-55 addresses) */
    CHECK(test_err(&t, "eth_simulateV1", cases[14].params, msg, sizeof msg) == -38014 &&
          !strcmp(msg, "err: insufficient funds for gas * price + value: address "
                       "0x00000000000000000000000000000000000000AA have 0 want 1 (supplied gas 30000000)"));
    CHECK(test_err(&t, "eth_simulateV1", cases[13].params, msg, sizeof msg) == -38013 &&
          !strcmp(msg, "err: intrinsic gas too low: have 20999, want 21000 (supplied gas 20999)"));
    CHECK(test_err(&t, "eth_simulateV1", cases[19].params, msg, sizeof msg) == -32000 &&
          !strcmp(msg, "account 0x00000000000000000000000000000000000000AA is not a precompile"));
    /* an override of no fields, or only a precompile move, leaves the state
     * (and its root) as it is, as geth's */
    json_t *plain = test_ok(&t, "eth_simulateV1", "[{\"blockStateCalls\":[{}]}]");
    json_t *empty = test_ok(&t, "eth_simulateV1",
                            "[{\"blockStateCalls\":[{\"stateOverrides\":{\"0x00000000000000000000000000000000000000ab\":{},"
                            "\"0x0000000000000000000000000000000000000001\":{\"movePrecompileToAddress\":"
                            "\"0x00000000000000000000000000000000000000c2\"}}}]}]");
    CHECK(plain && empty &&
          !strcmp(test_str(json_array_get(plain, 0), "stateRoot"), test_str(json_array_get(empty, 0), "stateRoot")));
    json_decref(plain);
    json_decref(empty);
    /* 257 block state calls, and 5001 calls in one block */
    size_t cap = 300000;
    char *p = malloc(cap);
    strcpy(p, "[{\"blockStateCalls\":[");
    for (int i = 0; i < 257; i++) strcat(p, i ? ",{}" : "{}");
    strcat(p, "]}]");
    CHECK(test_err(&t, "eth_simulateV1", p, msg, sizeof msg) == -38026);
    strcpy(p, "[{\"blockStateCalls\":[{\"calls\":[");
    for (int i = 0; i < 5001; i++) strcat(p, i ? ",{}" : "{}");
    strcat(p, "]}]}]");
    CHECK(test_err(&t, "eth_simulateV1", p, msg, sizeof msg) == -38026);
    free(p);
    test_node_close(&t);
}
