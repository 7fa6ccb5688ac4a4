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
#define _XOPEN_SOURCE 700 /* nftw (node_rpc.h) */
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
