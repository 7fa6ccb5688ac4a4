/* The node's dev-mode methods (anvil's and hardhat's: mining, snapshots,
 * balance/code/storage/nonce setters, impersonation, time, block fields,
 * reset, dump and load of the state) and eth_sendTransaction from the dev
 * accounts, each checked through the ordinary eth_ methods that read what it
 * changed. */
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "node_rpc.h"
#include "parevm/db.h"
#include "parevm/keccak.h"

TEST(node_dev_methods) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", *A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const char *A5 = "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc";
    char p[512], msg[256];
    /* eth_sendTransaction from a dev account: mined at once */
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1000\"}]", A0, A1);
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        CHECK(rc && test_qty(rc, "status") == 1 && test_qty(rc, "blockNumber") == 1 && !strcmp(test_str(rc, "from"), A0));
        json_decref(rc);
    }
    json_decref(h);
    /* edits show at once, are kept by the next block, and history is untouched */
    sprintf(p, "[\"%s\",\"0x1234\"]", A5);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    sprintf(p, "[\"%s\",\"latest\"]", A5);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x1234\""));
    sprintf(p, "[\"%s\",\"0x0\"]", A5);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x21e19e0c9bab2400000\""));
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(b1 && b2 && strcmp(test_str(b1, "stateRoot"), test_str(b2, "stateRoot")));
    json_decref(b1);
    json_decref(b2);
    sprintf(p, "[\"%s\",\"0x2\"]", A5);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x1234\""));
    sprintf(p, "[\"%s\",\"0x1\"]", A5);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x21e19e0c9bab2400000\""));
    CHECK(test_result_is(&t, "hardhat_setBalance", "[\"0x00000000000000000000000000000000000000c1\",\"0x00ff\"]", "null"));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000c1\"]", "\"0xff\""));
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c1\",\"0x6001\"]", "null"));
    CHECK(test_result_is(&t, "eth_getCode", "[\"0x00000000000000000000000000000000000000c1\",\"latest\"]", "\"0x6001\""));
    CHECK(test_result_is(&t, "anvil_setNonce", "[\"0x00000000000000000000000000000000000000c1\",\"0x7\"]", "null"));
    CHECK(test_result_is(&t, "eth_getTransactionCount", "[\"0x00000000000000000000000000000000000000c1\",\"latest\"]", "\"0x7\""));
    /* the value is a whole word, as anvil takes it */
    CHECK(test_err(&t, "anvil_setStorageAt", "[\"0x00000000000000000000000000000000000000c1\",\"0x1\",\"0x05\"]", NULL,
                   0) == -32602);
    CHECK(test_result_is(&t, "anvil_setStorageAt",
                    "[\"0x00000000000000000000000000000000000000c1\",\"0x1\","
                    "\"0x0000000000000000000000000000000000000000000000000000000000000005\"]",
                    "true"));
    CHECK(test_result_is(&t, "eth_getStorageAt", "[\"0x00000000000000000000000000000000000000c1\",\"0x1\",\"latest\"]",
                    "\"0x0000000000000000000000000000000000000000000000000000000000000005\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000c1\"]", "\"0xff\""));

    /* snapshot, more blocks, revert: the chain and the edits come back */
    CHECK(test_result_is(&t, "evm_snapshot", "[]", "\"0x1\""));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"}]", A1, A0);
    h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000c1\",\"0x1\"]", "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    CHECK(test_result_is(&t, "evm_revert", "[\"0x1\"]", "true"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x2\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000c1\"]", "\"0xff\""));
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        CHECK(test_result_is(&t, "eth_getTransactionReceipt", p, "null"));
    }
    json_decref(h);
    CHECK(test_result_is(&t, "evm_revert", "[\"0x1\"]", "false"));

    /* impersonation: eth_sendTransaction from any address, unsigned */
    const char *X = "0x00000000000000000000000000000000000000aa";
    sprintf(p, "[\"%s\",\"0xde0b6b3a7640000\"]", X);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x5\"}]", X, A1);
    CHECK(test_err(&t, "eth_sendTransaction", p, msg, sizeof msg) == -32000 && !strcmp(msg, "unknown account"));
    sprintf(p, "[\"%s\"]", X);
    CHECK(test_result_is(&t, "anvil_impersonateAccount", p, "null"));
    /* eth_accounts lists it after the dev accounts, as anvil's */
    json_t *accts = test_ok(&t, "eth_accounts", "[]");
    CHECK(accts && json_array_size(accts) == 11 && !strcmp(json_string_value(json_array_get(accts, 10)) ?: "", X));
    json_decref(accts);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x5\"}]", X, A1);
    h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        CHECK(rc && test_qty(rc, "status") == 1 && !strcmp(test_str(rc, "from"), X));
        json_decref(rc);
        json_t *tx = test_ok(&t, "eth_getTransactionByHash", p);
        CHECK(tx && !strcmp(test_str(tx, "from"), X));
        json_decref(tx);
    }
    json_decref(h);
    /* an impersonated contract sends too: no EIP-3607 in dev mode, as
     * anvil's disable_eip3607 (a Safe or a timelock in a test suite) */
    sprintf(p, "[\"%s\",\"0x6000\"]", X);
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x6\"}]", X, A1);
    h = test_ok(&t, "eth_sendTransaction", p);
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        CHECK(rc && test_qty(rc, "status") == 1 && !strcmp(test_str(rc, "from"), X));
        json_decref(rc);
    }
    CHECK(h != NULL);
    json_decref(h);
    sprintf(p, "[\"%s\"]", X);
    CHECK(test_result_is(&t, "hardhat_stopImpersonatingAccount", p, "null"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x5\"}]", X, A1);
    CHECK(test_err(&t, "eth_sendTransaction", p, NULL, 0) == -32000);

    /* time */
    json_t *head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    uint64_t ts = head ? test_qty(head, "timestamp") : 0;
    json_decref(head);
    sprintf(p, "[\"0x%llx\"]", (unsigned long long)(ts + 1000));
    CHECK(test_result_is(&t, "evm_setNextBlockTimestamp", p, "null"));
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(head && test_qty(head, "timestamp") == ts + 1000);
    json_decref(head);
    sprintf(p, "[\"0x%llx\"]", (unsigned long long)ts);
    CHECK(test_err(&t, "evm_setNextBlockTimestamp", p, NULL, 0) == -32602);
    json_t *inc = test_ok(&t, "evm_increaseTime", "[3600]");
    CHECK(inc != NULL);
    json_decref(inc);
    CHECK(test_result_is(&t, "anvil_mine", "[\"0x3\"]", "null"));
    head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(head && test_qty(head, "timestamp") >= ts + 1000 + 3 && test_qty(head, "number") == 8);
    json_decref(head);

    /* EIP-191 signatures recover to the signer */
    json_t *sig = test_ok(&t, "eth_sign", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0x68656c6c6f\"]");
    json_t *sig2 = test_ok(&t, "personal_sign", "[\"0x68656c6c6f\",\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"]");
    CHECK(sig && sig2 && json_equal(sig, sig2) && strlen(json_string_value(sig)) == 132);
    json_decref(sig);
    json_decref(sig2);
    CHECK(test_err(&t, "eth_sign", "[\"0x00000000000000000000000000000000000000aa\",\"0x00\"]", NULL, 0) == -32000);
    test_node_close(&t);
}

/* anvil's header controls: the coinbase, the gas limit and the next base
 * fee reach the mined blocks; anvil_reset goes back to genesis. */
TEST(node_dev_block_fields_and_reset) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *C = "0x00000000000000000000000000000000000000c5";
    char p[512];
    CHECK(test_result_is(&t, "eth_coinbase", "[]", "\"0x0000000000000000000000000000000000000000\""));
    CHECK(test_result_is(&t, "anvil_getAutomine", "[]", "true"));
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    CHECK(test_result_is(&t, "hardhat_getAutomine", "[]", "false"));
    CHECK(test_result_is(&t, "evm_setAutomine", "[true]", "null"));
    sprintf(p, "[\"%s\"]", C);
    CHECK(test_result_is(&t, "anvil_setCoinbase", p, "null"));
    sprintf(p, "\"%s\"", C);
    CHECK(test_result_is(&t, "eth_coinbase", "[]", p));
    CHECK(test_result_is(&t, "evm_setBlockGasLimit", "[\"0x2000000\"]", "true"));
    CHECK(test_result_is(&t, "anvil_setNextBlockBaseFeePerGas", "[\"0x3b9aca07\"]", "null"));
    /* a transfer pays its tip to the coinbase */
    sprintf(p, "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":\"0x00000000000000000000000000000000000000c6\","
               "\"value\":\"0x1\",\"maxFeePerGas\":\"0x77359400\",\"maxPriorityFeePerGas\":\"0x2\"}]");
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    json_decref(h);
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(b1 && !strcmp(test_str(b1, "miner"), C) && test_qty(b1, "gasLimit") == 0x2000000 &&
          test_qty(b1, "baseFeePerGas") == 1000000007ULL && test_qty(b1, "gasUsed") == 21000);
    json_decref(b1);
    sprintf(p, "[\"%s\",\"0x1\"]", C);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0xa410\"")); /* 21000 gas x 2 wei */
    /* the base fee was for one block: the next follows EIP-1559 from it */
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    uint64_t want = 1000000007ULL - 1000000007ULL * (0x1000000 - 21000) / 0x1000000 / 8;
    CHECK(b2 && test_qty(b2, "baseFeePerGas") == want && test_qty(b2, "gasLimit") == 0x2000000);
    json_decref(b2);
    CHECK(test_result_is(&t, "evm_setBlockGasLimit", "[\"0x1000000\"]", "true"));
    CHECK(test_result_is(&t, "anvil_mine", "[]", "null"));
    json_t *b3 = test_ok(&t, "eth_getBlockByNumber", "[\"0x3\",false]");
    CHECK(b3 && test_qty(b3, "gasLimit") == 0x1000000);
    json_decref(b3);
    /* geth's floor and EIP-1985's ceiling; a base fee in 64 bits */
    CHECK(test_err(&t, "evm_setBlockGasLimit", "[\"0x1387\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "evm_setBlockGasLimit", "[\"0x8000000000000000\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_setNextBlockBaseFeePerGas", "[\"0x10000000000000000\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_setCoinbase", "[\"0x12\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_getAutomine", "[1]", NULL, 0) == -32602);
    /* anvil_snapshot / anvil_revert are evm_snapshot / evm_revert */
    json_t *id = test_ok(&t, "anvil_snapshot", "[]");
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x4\""));
    sprintf(p, "[\"%s\"]", id ? json_string_value(id) : "");
    json_decref(id);
    CHECK(test_result_is(&t, "anvil_revert", p, "true"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    /* reset: genesis, no edits, no pending transactions, default fields */
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000c7\",\"0x5\"]", "null"));
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    sprintf(p, "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":\"%s\",\"value\":\"0x1\"}]", C);
    json_t *pending = test_ok(&t, "eth_sendTransaction", p);
    CHECK(pending != NULL);
    CHECK(test_err(&t, "anvil_reset", "[{\"forking\":{\"jsonRpcUrl\":\"http://x\"}}]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_reset", "[3]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "anvil_reset", "[]", "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x0\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000c7\",\"latest\"]", "\"0x0\""));
    CHECK(test_result_is(&t, "eth_coinbase", "[]", "\"0x0000000000000000000000000000000000000000\""));
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    if (pending) {
        sprintf(p, "[\"%s\"]", json_string_value(pending));
        CHECK(test_result_is(&t, "eth_getTransactionByHash", p, "null"));
    }
    json_decref(pending);
    CHECK(test_result_is(&t, "hardhat_reset", "[null]", "null"));
    CHECK(test_result_is(&t, "anvil_reset", "[{\"forking\":{\"blockNumber\":null}}]", "null")); /* viem's reset() */
    CHECK(test_err(&t, "anvil_reset", "[{\"forking\":{\"blockNumber\":5}}]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(b && test_qty(b, "number") == 1 && test_qty(b, "gasLimit") == 30000000 &&
          !strcmp(test_str(b, "miner"), "0x0000000000000000000000000000000000000000"));
    json_decref(b);
    CHECK(test_result_is(&t, "rpc_modules", "[]",
                    "{\"anvil\":\"1.0\",\"debug\":\"1.0\",\"erigon\":\"1.0\",\"eth\":\"1.0\",\"evm\":\"1.0\","
                    "\"hardhat\":\"1.0\",\"net\":\"1.0\",\"ots\":\"1.0\",\"personal\":\"1.0\",\"reth\":\"1.0\",\"rpc\":\"1.0\",\"tenderly\":\"1.0\","
                    "\"trace\":\"1.0\",\"txpool\":\"1.0\",\"web3\":\"1.0\"}"));

    /* a timestamp interval: each block that much after its parent, until removed */
    CHECK(test_result_is(&t, "anvil_setBlockTimestampInterval", "[\"0x64\"]", "null"));
    CHECK(test_result_is(&t, "anvil_mine", "[\"0x2\"]", "null"));
    json_t *p2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]"), *p3 = test_ok(&t, "eth_getBlockByNumber", "[\"0x3\",false]");
    CHECK(p2 && p3 && test_qty(p3, "timestamp") == test_qty(p2, "timestamp") + 100);
    json_decref(p2);
    json_decref(p3);
    CHECK(test_result_is(&t, "anvil_removeBlockTimestampInterval", "[]", "true"));
    CHECK(test_result_is(&t, "anvil_removeBlockTimestampInterval", "[]", "false"));
    CHECK(test_err(&t, "anvil_setBlockTimestampInterval", "[\"0x0\"]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "anvil_setLoggingEnabled", "[false]", "null"));
    /* interval mining: blocks come by themselves, automine is off; 0 stops it */
    CHECK(test_result_is(&t, "evm_setIntervalMining", "[1]", "null"));
    CHECK(test_result_is(&t, "anvil_getIntervalMining", "[]", "1"));
    CHECK(test_result_is(&t, "anvil_getAutomine", "[]", "false"));
    uint64_t mined = 0;
    for (int i = 0; i < 100 && mined < 4; i++) {
        usleep(100000);
        json_t *bn = test_ok(&t, "eth_blockNumber", "[]");
        mined = bn ? test_qty(bn, NULL) : 0;
        json_decref(bn);
    }
    CHECK(mined >= 4); /* block 3 was the last one mined by hand */
    CHECK(test_result_is(&t, "anvil_setIntervalMining", "[0]", "null"));
    CHECK(test_result_is(&t, "anvil_getIntervalMining", "[]", "null"));
    CHECK(test_err(&t, "evm_setIntervalMining", "[\"soon\"]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "evm_setAutomine", "[true]", "null"));
    test_node_close(&t);
}

/* EIP-7966's synchronous sends, transactions by sender and nonce, and
 * eth_getAccountInfo. */
TEST(node_sync_sends_and_sender_nonce) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *A = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", *B = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    char p[512], msg[256];
    /* automine: the receipt comes back */
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"}]", A, B);
    json_t *rc = test_ok(&t, "eth_sendTransactionSync", p);
    CHECK(rc && test_qty(rc, "status") == 1 && test_qty(rc, "blockNumber") == 1 && !strcmp(test_str(rc, "from"), A));
    json_t *h0 = rc ? json_incref(json_object_get(rc, "transactionHash")) : NULL;
    json_decref(rc);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x2\"}]", B, A);
    json_decref(test_ok(&t, "eth_sendTransaction", p));
    /* without automine it times out: error 4, the hash as data, geth's words */
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x3\"},\"0xc8\"]", A, B);
    json_t *r = test_rpc(&t, "eth_sendTransactionSync", p);
    json_t *e = r ? json_object_get(r, "error") : NULL;
    CHECK(e && json_integer_value(json_object_get(e, "code")) == 4);
    CHECK(e && !strcmp(test_str(e, "message"), "The transaction was added to the transaction pool but wasn't processed in 200ms"));
    CHECK(e && strlen(test_str(e, "data")) == 66);
    json_decref(r);
    CHECK(test_err(&t, "eth_sendRawTransactionSync", "[\"0x02\",\"soon\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_sendRawTransactionSync", "[\"0x02\"]", msg, sizeof msg) == -32000);
    CHECK(test_err(&t, "eth_sendTransactionSync", "[{}, 5]", NULL, 0) == -32602);
    /* by sender and nonce: mined ones, the pool's, and unused nonces */
    sprintf(p, "[\"%s\",\"0x0\"]", A);
    json_t *tx = test_ok(&t, "eth_getTransactionBySenderAndNonce", p);
    CHECK(tx && h0 && json_equal(json_object_get(tx, "hash"), h0) && test_qty(tx, "blockNumber") == 1);
    json_decref(tx);
    sprintf(p, "[\"%s\",\"0x0\"]", B);
    tx = test_ok(&t, "eth_getTransactionBySenderAndNonce", p);
    CHECK(tx && test_qty(tx, "blockNumber") == 2 && !strcmp(test_str(tx, "from"), B));
    json_decref(tx);
    sprintf(p, "[\"%s\",\"0x1\"]", A);
    tx = test_ok(&t, "eth_getTransactionBySenderAndNonce", p);
    CHECK(tx && json_is_null(json_object_get(tx, "blockNumber")) && test_qty(tx, "value") == 3);
    json_decref(tx);
    sprintf(p, "[\"%s\",\"0x2\"]", A);
    CHECK(test_result_is(&t, "eth_getTransactionBySenderAndNonce", p, "null"));
    CHECK(test_result_is(&t, "eth_getTransactionBySenderAndNonce",
                    "[\"0x00000000000000000000000000000000000000c8\",\"0x0\"]", "null"));
    CHECK(test_err(&t, "eth_getTransactionBySenderAndNonce", "[\"0x12\",\"0x0\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_getTransactionBySenderAndNonce", "[\"0x00000000000000000000000000000000000000c8\"]", NULL,
                   0) == -32602);
    json_decref(h0);
    /* eth_getAccountInfo: with dev edits at latest, history before them */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c9\",\"0x6001\"]", "null"));
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000c9\",\"0x5\"]", "null"));
    CHECK(test_result_is(&t, "eth_getAccountInfo", "[\"0x00000000000000000000000000000000000000c9\",\"latest\"]",
                    "{\"balance\":\"0x5\",\"nonce\":\"0x0\",\"code\":\"0x6001\"}"));
    CHECK(test_result_is(&t, "eth_getAccountInfo", "[\"0x00000000000000000000000000000000000000c9\",\"0x1\"]",
                    "{\"balance\":\"0x0\",\"nonce\":\"0x0\",\"code\":\"0x\"}"));
    CHECK(test_err(&t, "eth_getAccountInfo", "[\"0x00000000000000000000000000000000000000c9\",\"0x99\"]", NULL, 0) ==
          -32000);
    test_node_close(&t);
}

/* anvil_dumpState / anvil_loadState: anvil's gzip'd JSON both ways, the
 * dev edits included in a dump, and every malformed dump refused. */
TEST(node_dump_and_load_state) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c1\",\"0x6001\"]", "null"));
    CHECK(test_result_is(&t, "anvil_setStorageAt",
                    "[\"0x00000000000000000000000000000000000000c1\",\"0x1\","
                    "\"0x0000000000000000000000000000000000000000000000000000000000000005\"]",
                    "true"));
    json_t *d = test_ok(&t, "anvil_dumpState", "[]");
    CHECK(json_is_string(d) && !strncmp(json_string_value(d), "0x1f8b", 6)); /* gzip */
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    CHECK(d && hex_decode_alloc(json_string_value(d), &gz, &gz_len));
    size_t cap = 1 << 20;
    uint8_t *text = malloc(cap);
    z_stream z = {0};
    CHECK(inflateInit2(&z, 15 + 32) == Z_OK);
    z.next_in = gz, z.avail_in = (uInt)gz_len, z.next_out = text, z.avail_out = (uInt)cap - 1;
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    json_t *dump = json_loadb((const char *)text, z.total_out, 0, NULL);
    inflateEnd(&z);
    free(gz);
    json_t *accts = json_object_get(dump, "accounts");
    json_t *c1 = json_object_get(accts, "0x00000000000000000000000000000000000000c1");
    json_t *dev = json_object_get(accts, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    CHECK(test_json_is(c1, "{\"nonce\":0,\"balance\":\"0x0\",\"code\":\"0x6001\",\"storage\":{"
                      "\"0x0000000000000000000000000000000000000000000000000000000000000001\":"
                      "\"0x0000000000000000000000000000000000000000000000000000000000000005\"}}"));
    CHECK(dev && !strcmp(test_str(dev, "balance"), "0x21e19e0c9bab2400000"));
    CHECK(json_integer_value(json_object_get(dump, "best_block_number")) == 0 &&
          json_is_array(json_object_get(dump, "blocks")));
    json_decref(dump);
    free(text);
    /* a plain JSON dump (hex of the text) loads too; it sets what it names */
    const char *plain = "{\"accounts\":{\"0x00000000000000000000000000000000000000d1\":{\"nonce\":\"0x3\","
                        "\"balance\":\"0x99\",\"code\":\"0x60016002\",\"storage\":{\"0x2\":\"0x9\"}}}}";
    char p[1024], hexed[800];
    size_t pl = strlen(plain);
    for (size_t i = 0; i < pl; i++) sprintf(hexed + 2 * i, "%02x", (unsigned char)plain[i]);
    sprintf(p, "[\"0x%s\"]", hexed);
    CHECK(test_result_is(&t, "anvil_loadState", p, "true"));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000d1\",\"latest\"]", "\"0x99\""));
    CHECK(test_result_is(&t, "eth_getTransactionCount", "[\"0x00000000000000000000000000000000000000d1\",\"latest\"]",
                    "\"0x3\""));
    CHECK(test_result_is(&t, "eth_getCode", "[\"0x00000000000000000000000000000000000000d1\",\"latest\"]", "\"0x60016002\""));
    CHECK(test_result_is(&t, "eth_getStorageAt", "[\"0x00000000000000000000000000000000000000d1\",\"0x2\",\"latest\"]",
                    "\"0x0000000000000000000000000000000000000000000000000000000000000009\""));
    /* the gzip'd dump taken before loads back into a reset chain */
    CHECK(test_result_is(&t, "anvil_reset", "[]", "null"));
    const char *dumped = d ? json_string_value(d) : "";
    char *again = malloc(strlen(dumped) + 8);
    sprintf(again, "[\"%s\"]", dumped);
    CHECK(test_result_is(&t, "hardhat_loadState", again, "true"));
    free(again);
    CHECK(test_result_is(&t, "eth_getCode", "[\"0x00000000000000000000000000000000000000c1\",\"latest\"]", "\"0x6001\""));
    json_decref(d);
    /* malformed dumps */
    static const char *const bad[] = {
        "[\"0x1f8b0000\"]",     /* broken gzip */
        "[\"0x7b7d\"]",         /* {} */
        "[\"0x5b5d\"]",         /* [] */
        "[\"nothex\"]",
        "[]",
        "[\"0x7b226163636f756e7473223a7b223078313222x3a7b7d7d7d\"]", /* bad hex digit */
        "[\"0x7b226163636f756e7473223a7b2230783132223a7b7d7d7d\"]",  /* {"accounts":{"0x12":{}}} */
        "[\"0x7b226163636f756e7473223a5b5d7d\"]",                      /* {"accounts":[]} */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(test_err(&t, "anvil_loadState", bad[i], NULL, 0) == -32602);
    test_node_close(&t);
}

/* A contract at address 0x..e<k> whose every call reverts with the given
 * bytes (at most 32), or, with panic set, Panic(uint256) of a code. */
static void reverter(test_node *t, int k, const char *hex_bytes, int panic_code) {
    char code[200], word[65], p[300];
    if (panic_code >= 0) {
        /* the selector word, then the code written over bytes 4..35 */
        snprintf(code, sizeof code, "0x7f4e487b71%s600052%s%02x600452602460" "00fd",
                 "00000000000000000000000000000000000000000000000000000000", "60", panic_code);
    } else {
        size_t n = strlen(hex_bytes) / 2;
        snprintf(word, sizeof word, "%-64s", hex_bytes);
        for (char *c = word; *c; c++)
            if (*c == ' ') *c = '0';
        snprintf(code, sizeof code, "0x7f%s60005260%02zx6000fd", word, n);
    }
    snprintf(p, sizeof p, "[\"0x00000000000000000000000000000000000000e%d\",\"%s\"]", k, code);
    CHECK(test_result_is(t, "anvil_setCode", p, "null"));
}

/* anvil's node-level methods: evm_mine_detailed's outputs and revert
 * reasons (each form anvil's decoder gives), anvil_nodeInfo, anvil_metadata,
 * evm_setTime and anvil_rollback. */
TEST(node_dev_chain_methods) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    static const struct {
        const char *bytes;      /* revert data, or NULL */
        int panic;              /* panic code, or -1 */
        const char *reason;     /* the revertReason, NULL for none */
    } cases[] = {
        {NULL, 0x99, "panic: unknown code (0x99)"},
        {NULL, 0x11, "panic: arithmetic underflow or overflow (0x11)"},
        {"deadbeef6869", -1, "custom error 0xdeadbeef: hi"},
        {"deadbeefff", -1, "custom error 0xdeadbeef: ff"},
        {"deadbeef", -1, "custom error 0xdeadbeef"},
        {"ffee", -1, "custom error bytes 0xffee"},
        {"6f6f7073", -1, "oops"},
        {"", -1, NULL},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    for (int k = 0; k < N; k++) reverter(&t, k, cases[k].bytes, cases[k].panic);
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000f0\",\"0xfe\"]", "null"));
    /* the block these edits go into is replayed with them */
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    char p[512];
    for (int k = 0; k <= N; k++) {
        sprintf(p, "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"to\":\"0x00000000000000000000000000000000000000%s%d\","
                   "\"gas\":\"0x20000\"}]", k < N ? "e" : "f", k < N ? k : 0);
        json_decref(test_ok(&t, "eth_sendTransaction", p));
    }
    /* a minute ahead of the next block: the answer, and the block at it */
    json_t *head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    uint64_t t0 = head ? test_qty(head, "timestamp") : 0;
    json_decref(head);
    sprintf(p, "[%llu]", (unsigned long long)(t0 + 10));
    json_decref(test_ok(&t, "evm_setTime", p)); /* the clock at a known time */
    sprintf(p, "[%llu]", (unsigned long long)(t0 + 71));
    json_t *off = test_ok(&t, "evm_setTime", p);
    CHECK(json_is_integer(off) && json_integer_value(off) >= 55 && json_integer_value(off) <= 61);
    json_decref(off);
    json_t *blocks = test_ok(&t, "evm_mine_detailed", "[]");
    json_t *b = json_array_get(blocks, 0);
    json_t *txs = json_object_get(b, "transactions");
    CHECK(json_array_size(blocks) == 1 && test_qty(b, "number") == 1 && test_qty(b, "timestamp") >= t0 + 71 && test_qty(b, "timestamp") <= t0 + 72 &&
          json_array_size(txs) == N + 1);
    for (size_t i = 0; i < json_array_size(txs); i++) {
        json_t *tx = json_array_get(txs, i);
        const char *reason = json_string_value(json_object_get(tx, "revertReason"));
        if (i == N) { /* INVALID: a halt, no output */
            CHECK(!json_object_get(tx, "output") && !reason);
            continue;
        }
        CHECK(json_is_string(json_object_get(tx, "output")) && test_str(tx, "hash") != NULL);
        bool same = cases[i].reason ? reason && !strcmp(reason, cases[i].reason) : !reason;
        if (!same) fprintf(stderr, "case %zu: revertReason %s, want %s\n", i, reason ? reason : "none",
                           cases[i].reason ? cases[i].reason : "none");
        CHECK(same);
    }
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(txs, N - 1), "output")), "0x"));
    /* the tracers replay the block with the code set before it too */
    sprintf(p, "[\"%s\",{\"tracer\":\"callTracer\"}]", test_str(json_array_get(txs, N - 2), "hash"));
    json_t *call = test_ok(&t, "debug_traceTransaction", p);
    CHECK(call && !strcmp(test_str(call, "output"), "0x6f6f7073") && !strcmp(test_str(call, "error"), "execution reverted"));
    json_decref(call);
    sprintf(p, "[\"%s\"]", test_str(json_array_get(txs, N - 2), "hash"));
    json_t *flat = test_ok(&t, "trace_transaction", p);
    CHECK(flat && !strcmp(test_str(json_object_get(json_array_get(flat, 0), "result"), "output"), "0x6f6f7073"));
    json_decref(flat);
    json_decref(blocks);
    /* blocks: 2 with evm_mine_detailed's {blocks}; none with 0 */
    blocks = test_ok(&t, "anvil_mine_detailed", "[{\"blocks\":2}]");
    CHECK(json_array_size(blocks) == 2 && test_qty(json_array_get(blocks, 1), "number") == 3);
    json_decref(blocks);
    CHECK(test_result_is(&t, "evm_mine_detailed", "[{\"blocks\":0}]", "[]"));

    /* anvil_nodeInfo and anvil_metadata describe the head */
    json_t *info = test_ok(&t, "anvil_nodeInfo", "[]");
    json_t *env = json_object_get(info, "environment");
    CHECK(info && test_qty(info, "currentBlockNumber") == 3 && !strcmp(test_str(info, "hardFork"), "Osaka") &&
          json_integer_value(json_object_get(env, "chainId")) == 31337 && test_qty(env, "gasLimit") > 0 &&
          json_is_null(json_object_get(json_object_get(info, "forkConfig"), "forkUrl")));
    CHECK(test_result_is(&t, "evm_snapshot", "[]", "\"0x1\""));
    json_t *meta = test_ok(&t, "anvil_metadata", "[]");
    json_t *snap = json_object_get(json_object_get(meta, "snapshots"), "0x1");
    CHECK(meta && json_integer_value(json_object_get(meta, "latestBlockNumber")) == 3 &&
          !strcmp(test_str(meta, "latestBlockHash"), test_str(info, "currentBlockHash")) &&
          json_integer_value(json_array_get(snap, 0)) == 3 && json_is_null(json_object_get(meta, "forkedNetwork")));
    char instance[67] = "";
    if (meta) snprintf(instance, sizeof instance, "%s", test_str(meta, "instanceId"));
    json_decref(meta);
    json_decref(info);

    /* anvil_rollback: one block by default, the snapshot above it gone; a
     * depth past the genesis refused; the clock back at the head's time */
    CHECK(test_result_is(&t, "anvil_rollback", "[]", "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x2\""));
    CHECK(test_result_is(&t, "evm_revert", "[\"0x1\"]", "false"));
    char msg[256];
    CHECK(test_err(&t, "anvil_rollback", "[3]", msg, sizeof msg) == -32602 &&
          strstr(msg, "current height 2, depth 3") != NULL);
    CHECK(test_err(&t, "anvil_rollback", "[\"x\"]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "anvil_rollback", "[\"0x1\"]", "null"));
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(b1 && b2 && test_qty(b2, "timestamp") >= test_qty(b1, "timestamp") + 1 &&
          test_qty(b2, "timestamp") <= test_qty(b1, "timestamp") + 3);
    json_decref(b1);
    json_decref(b2);
    CHECK(test_result_is(&t, "anvil_rollback", "[0]", "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x2\""));
    /* evm_setTime: milliseconds are read as seconds; a time in the past answers 0 */
    CHECK(test_result_is(&t, "evm_setTime", "[1000]", "0"));
    CHECK(test_err(&t, "evm_setTime", "[-5]", NULL, 0) == -32602);
    CHECK(test_err(&t, "evm_setTime", "[]", NULL, 0) == -32602);
    off = test_ok(&t, "anvil_setTime", "[\"4102444800000\"]"); /* 2100-01-01 in ms */
    CHECK(json_is_integer(off) && json_integer_value(off) > 0);
    json_decref(off);
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    b = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(b && test_qty(b, "timestamp") >= 4102444800ULL && test_qty(b, "timestamp") <= 4102444802ULL);
    json_decref(b);
    /* no forking: anvil_setRpcUrl is refused */
    CHECK(test_err(&t, "anvil_setRpcUrl", "[\"http://127.0.0.1:1\"]", msg, sizeof msg) == -32602 &&
          strstr(msg, "forking is not supported"));
    CHECK(test_err(&t, "anvil_setRpcUrl", "[1]", NULL, 0) == -32602);
    /* anvil_reset draws a new instance id */
    CHECK(test_result_is(&t, "anvil_reset", "[]", "null"));
    meta = test_ok(&t, "anvil_metadata", "[]");
    CHECK(meta && strcmp(test_str(meta, "instanceId"), instance) && json_integer_value(json_object_get(meta, "latestBlockNumber")) == 0);
    json_decref(meta);
    test_node_close(&t);
}

/* anvil_reorg: the chain from depth blocks back replaced by as many new
 * blocks holding the given transactions (raw, or call objects the node
 * signs with nonces counted from the common ancestor); one that cannot be
 * included is left out; the refusals. */
TEST(node_dev_reorg) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", *E1 = "0x00000000000000000000000000000000000000e1";
    char p[2048], msg[256];
    for (int i = 0; i < 3; i++) {
        sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"}]", A0, E1);
        json_decref(test_ok(&t, "eth_sendTransaction", p));
    }
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    json_t *old2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    /* raw: account 1's nonce 0 (valid) and nonce 7 (left out) */
    address e1;
    hex_to_fixed(E1, e1.b, 20);
    char raw[2][600];
    for (int k = 0; k < 2; k++) {
        transaction tx;
        test_tx(&tx, k ? 7 : 0, &e1, NULL, 100);
        tx.gas_limit = 21000;
        CHECK(tx_sign(&tx, t.key[1]));
        buf_t b = {0};
        tx_encode(&tx, &b);
        hex_encode(b.data, b.len, raw[k]);
        buf_free(&b);
        tx_free(&tx);
    }
    snprintf(p, sizeof p, "[2,[[\"%s\",1],[\"%s\",0],[{\"to\":\"%s\",\"value\":\"0x10\"},1],[{\"to\":\"%s\",\"value\":\"0x20\"},0]]]",
            raw[0], raw[1], E1, E1);
    CHECK(test_result_is(&t, "anvil_reorg", p, "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",true]"), *b3 = test_ok(&t, "eth_getBlockByNumber", "[\"0x3\",true]");
    json_t *t2 = json_object_get(b2, "transactions"), *t3 = json_object_get(b3, "transactions");
    /* block 2: the call object (account 0's nonce 1, counted from block 1); the nonce-7 one left out */
    CHECK(b2 && old2 && strcmp(test_str(b2, "hash"), test_str(old2, "hash")) && json_array_size(t2) == 1 &&
          test_qty(json_array_get(t2, 0), "nonce") == 1 && test_qty(json_array_get(t2, 0), "value") == 0x20);
    /* block 3: the raw one, then account 0's next */
    CHECK(json_array_size(t3) == 2 && test_qty(json_array_get(t3, 0), "value") == 100 &&
          test_qty(json_array_get(t3, 1), "nonce") == 2 && test_qty(json_array_get(t3, 1), "value") == 0x10);
    json_decref(old2);
    json_decref(b2);
    json_decref(b3);
    sprintf(p, "[\"%s\",\"latest\"]", E1);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x95\"")); /* 1 + 0x20 + 100 + 0x10 */
    /* depth 0: nothing rolled back, nothing mined */
    CHECK(test_result_is(&t, "anvil_reorg", "[0,[]]", "null"));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    CHECK(test_err(&t, "anvil_reorg", "[4,[]]", msg, sizeof msg) == -32602 && strstr(msg, "current height 3, depth 4"));
    CHECK(test_err(&t, "anvil_reorg", "[1,[[\"0x1234\",0]]]", msg, sizeof msg) == -32602 &&
          strstr(msg, "Failed to decode transaction"));
    CHECK(test_err(&t, "anvil_reorg", "[1,[[{},1]]]", msg, sizeof msg) == -32602 && strstr(msg, "must not exceed (depth-1) 0"));
    CHECK(test_err(&t, "anvil_reorg", "[1,[[{\"from\":\"0x00000000000000000000000000000000000000e1\"},0]]]", msg,
                   sizeof msg) == -32602 && strstr(msg, "No Signer available"));
    CHECK(test_err(&t, "anvil_reorg", "[1,[[1,0]]]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_reorg", "[1,[[\"0x\"]]]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_reorg", "[1,{}]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_reorg", "[1]", NULL, 0) == -32602);
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    test_node_close(&t);
}

/* anvil_dealERC20 / anvil_setERC20Allowance on a token whose balances are
 * a mapping at slot 0 (any call answers balanceOf(calldata word 0)): the
 * slot found and set; a contract that reads no storage is refused. */
TEST(node_dev_erc20_edits) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *TOKEN = "0x00000000000000000000000000000000000000c7", *OWNER = "0x00000000000000000000000000000000000000a1";
    char p[512], msg[256];
    sprintf(p, "[\"%s\",\"0x60043560005260006020526040600020545f5260205ff3\"]", TOKEN);
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    sprintf(p, "[\"%s\",\"%s\",\"0x1234\"]", OWNER, TOKEN);
    CHECK(test_result_is(&t, "anvil_dealERC20", p, "null"));
    /* balanceOf(OWNER) */
    sprintf(p, "[{\"to\":\"%s\",\"data\":\"0x70a08231000000000000000000000000%s\"},\"latest\"]", TOKEN, OWNER + 2);
    CHECK(test_result_is(&t, "eth_call", p, "\"0x0000000000000000000000000000000000000000000000000000000000001234\""));
    /* the mapping's slot keccak(owner . 0) holds it */
    uint8_t key[64] = {0};
    hex_to_fixed(OWNER, key + 12, 20);
    bytes32 slot = keccak256_hash(key, 64);
    char slot_hex[67];
    hex_encode(slot.b, 32, slot_hex);
    sprintf(p, "[\"%s\",\"%s\",\"latest\"]", TOKEN, slot_hex);
    CHECK(test_result_is(&t, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000001234\""));
    sprintf(p, "[\"%s\",\"0x00000000000000000000000000000000000000a2\",\"%s\",\"0x99\"]", OWNER, TOKEN);
    CHECK(test_result_is(&t, "anvil_setERC20Allowance", p, "null"));
    sprintf(p, "[\"%s\",\"%s\",\"latest\"]", TOKEN, slot_hex);
    CHECK(test_result_is(&t, "eth_getStorageAt", p, "\"0x0000000000000000000000000000000000000000000000000000000000000099\""));
    /* no storage read: no slot */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c8\",\"0x00\"]", "null"));
    sprintf(p, "[\"%s\",\"0x00000000000000000000000000000000000000c8\",\"0x1\"]", OWNER);
    CHECK(test_err(&t, "anvil_dealERC20", p, msg, sizeof msg) == -32603 && strstr(msg, "no slot found"));
    CHECK(test_err(&t, "anvil_dealERC20", "[\"0x12\",\"0x12\",\"0x1\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "anvil_setERC20Allowance", "[]", NULL, 0) == -32602);
    test_node_close(&t);
}


/* eth_callBundle (Flashbots', as reth): three transactions in a row at the
 * next block on the latest state with another coinbase: a direct payment
 * to it, a call that returns, one that reverts; the per-transaction and
 * bundle figures; nothing written; the refusals. */
TEST(node_call_bundle) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *RET = "0x00000000000000000000000000000000000000e8", *REV = "0x00000000000000000000000000000000000000e9";
    const char *CB = "0x0000000000000000000000000000000000000c0b";
    char p[4096], msg[256], raw[3][400];
    sprintf(p, "[\"%s\",\"0x435f5260205ff3\"]", RET); /* returns NUMBER */
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    sprintf(p, "[\"%s\",\"0x60ff60005260206000fd\"]", REV);
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000ea\",\"0x425f5260205ff3\"]", "null"));
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    uint64_t number = head ? test_qty(head, "number") : 0, base = head ? test_qty(head, "baseFeePerGas") : 0;
    uint64_t time0 = head ? test_qty(head, "timestamp") : 0;
    json_decref(head);
    test_signed_hex(t.key[0], 0, CB, NULL, 1000, 21000, raw[0], sizeof raw[0]);
    test_signed_hex(t.key[0], 1, RET, NULL, 0, 60000, raw[1], sizeof raw[1]);
    test_signed_hex(t.key[1], 0, REV, NULL, 0, 60000, raw[2], sizeof raw[2]);
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\",\"%s\",\"%s\"],\"blockNumber\":\"0x%llx\",\"stateBlockNumber\":\"latest\",\"coinbase\":\"%s\"}]",
             raw[0], raw[1], raw[2], (unsigned long long)number + 1, CB);
    json_t *res = test_ok(&t, "eth_callBundle", p);
    json_t *rs = json_object_get(res, "results");
    CHECK(res && json_array_size(rs) == 3);
    uint64_t tip = 30000000000ULL - base < 1000000000ULL ? 30000000000ULL - base : 1000000000ULL;
    if (json_array_size(rs) == 3) {
        json_t *r0 = json_array_get(rs, 0), *r1 = json_array_get(rs, 1), *r2 = json_array_get(rs, 2);
        char want[80];
        snprintf(want, sizeof want, "%llu", (unsigned long long)(21000 * tip));
        CHECK(!strcmp(test_str(r0, "gasFees"), want));
        snprintf(want, sizeof want, "%llu", (unsigned long long)(21000 * tip + 1000));
        CHECK(!strcmp(test_str(r0, "coinbaseDiff"), want) && !strcmp(test_str(r0, "ethSentToCoinbase"), "1000"));
        snprintf(want, sizeof want, "%llu", (unsigned long long)tip);
        CHECK(!strcmp(test_str(r0, "gasPrice"), want) && json_integer_value(json_object_get(r0, "gasUsed")) == 21000);
        CHECK(!strcmp(test_str(r0, "fromAddress"), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266") &&
              !strcmp(test_str(r0, "toAddress"), CB) && !strcmp(test_str(r0, "value"), "0x"));
        /* the block is blockNumber, 12 seconds after the state block */
        snprintf(want, sizeof want, "0x%064llx", (unsigned long long)number + 1);
        CHECK(!strcmp(test_str(r1, "value"), want) && !json_object_get(r1, "revert") &&
              !strcmp(test_str(r1, "ethSentToCoinbase"), "0"));
        CHECK(!strcmp(test_str(r2, "revert"), "0x00000000000000000000000000000000000000000000000000000000000000ff") &&
              !json_object_get(r2, "value"));
        /* the totals */
        uint64_t gas = 0;
        for (size_t i = 0; i < 3; i++) gas += (uint64_t)json_integer_value(json_object_get(json_array_get(rs, i), "gasUsed"));
        CHECK((uint64_t)json_integer_value(json_object_get(res, "totalGasUsed")) == gas);
        snprintf(want, sizeof want, "%llu", (unsigned long long)(gas * tip + 1000));
        CHECK(!strcmp(test_str(res, "coinbaseDiff"), want) && !strcmp(test_str(res, "ethSentToCoinbase"), "1000"));
        snprintf(want, sizeof want, "%llu", (unsigned long long)((gas * tip + 1000) / gas));
        CHECK(!strcmp(test_str(res, "bundleGasPrice"), want));
        CHECK((uint64_t)json_integer_value(json_object_get(res, "stateBlockNumber")) == number);
        uint8_t hashes[96];
        for (int i = 0; i < 3; i++) hex_to_fixed(test_str(json_array_get(rs, i), "txHash"), hashes + 32 * i, 32);
        bytes32 bh = keccak256_hash(hashes, 96);
        char bh_hex[67];
        hex_encode(bh.b, 32, bh_hex);
        CHECK(!strcmp(test_str(res, "bundleHash"), bh_hex));
    }
    json_decref(res);
    /* a timestamp given */
    char ts_call[400];
    test_signed_hex(t.key[1], 0, "0x00000000000000000000000000000000000000ea", NULL, 0, 60000, ts_call, sizeof ts_call);
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":\"0x%llx\"}]", ts_call, (unsigned long long)number + 1);
    res = test_ok(&t, "eth_callBundle", p);
    char want_ts[80];
    snprintf(want_ts, sizeof want_ts, "0x%064llx", (unsigned long long)time0 + 12);
    CHECK(res && !strcmp(test_str(json_array_get(json_object_get(res, "results"), 0), "value"), want_ts));
    json_decref(res);
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":%llu,\"timestamp\":1900000000}]", ts_call,
             (unsigned long long)number + 1);
    res = test_ok(&t, "eth_callBundle", p);
    CHECK(res && !strcmp(test_str(json_array_get(json_object_get(res, "results"), 0), "value"),
                         "0x00000000000000000000000000000000000000000000000000000000713fb300"));
    json_decref(res);
    /* on the pending block's state: it is the state block (reth's evm_env_at) */
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":\"0x%llx\",\"stateBlockNumber\":\"pending\"}]", ts_call,
             (unsigned long long)number + 2);
    res = test_ok(&t, "eth_callBundle", p);
    CHECK(res && (uint64_t)json_integer_value(json_object_get(res, "stateBlockNumber")) == number + 1);
    json_decref(res);
    /* nothing was written */
    sprintf(p, "[\"%s\",\"latest\"]", CB);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x0\""));
    CHECK(test_result_is(&t, "eth_getTransactionCount", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"latest\"]", "\"0x0\""));
    /* refusals */
    CHECK(test_err(&t, "eth_callBundle", "[{}]", msg, sizeof msg) == -32602 && strstr(msg, "bundle missing txs"));
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"]}]", raw[0]);
    CHECK(test_err(&t, "eth_callBundle", p, msg, sizeof msg) == -32602 && strstr(msg, "bundle missing blockNumber"));
    CHECK(test_err(&t, "eth_callBundle", "[{\"txs\":[\"0x1234\"],\"blockNumber\":\"0x9\"}]", msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":\"0x9\",\"gasLimit\":999999999999}]", raw[0]);
    CHECK(test_err(&t, "eth_callBundle", p, msg, sizeof msg) == -32000 && strstr(msg, "intrinsic gas too high"));
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":\"0x9\"}]", raw[1]); /* nonce 1 before 0 */
    CHECK(test_err(&t, "eth_callBundle", p, msg, sizeof msg) == -32000 && strstr(msg, "nonce too high"));
    snprintf(p, sizeof p, "[{\"txs\":[\"%s\"],\"blockNumber\":\"0x9\",\"stateBlockNumber\":\"0x99\"}]", raw[0]);
    CHECK(test_err(&t, "eth_callBundle", p, NULL, 0) == -32000);
    CHECK(test_err(&t, "eth_callBundle", "[1]", NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_callBundle", "[{\"txs\":\"0x12\",\"blockNumber\":\"0x9\"}]", NULL, 0) == -32602);
    test_node_close(&t);
}

/* anvil_impersonateSignature: ecrecover answers the registered address for
 * the signature (whatever the hash; v is the last byte of its word) in
 * eth_call, eth_simulateV1 and a traced call, for 3000 gas; below that it
 * runs out of gas as ecrecover does; another signature gets the real
 * answer; a pair inside the list is anvil's form, the plain pair ours. */
TEST(node_dev_impersonated_signature) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    static const char R[] = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
    static const char S[] = "1717171717171717171717171717171717171717171717171717171717171717";
    static const char WHO[] = "0x000000000000000000000000d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
    char p[1024], in[300], msg[256];
    snprintf(in, sizeof in, "0x%064d%062d1b%s%s", 7, 0, R, S);
    snprintf(p, sizeof p, "[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\"},\"latest\"]", in);
    CHECK(test_result_is(&t, "eth_call", p, "\"0x\"")); /* not a signature of anything */
    char reg[300];
    snprintf(reg, sizeof reg, "[[\"0x%s%s1b\",\"0xd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0\"]]", R, S);
    CHECK(test_result_is(&t, "anvil_impersonateSignature", reg, "null"));
    char want[80];
    snprintf(want, sizeof want, "\"%s\"", WHO);
    CHECK(test_result_is(&t, "eth_call", p, want));
    /* 3000 gas is enough, 2999 is not */
    snprintf(p, sizeof p, "[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\",\"gas\":\"0x%x\"},\"latest\"]",
             in, 21000 + 4 * 62 + 16 * 66 + 3000);
    CHECK(test_result_is(&t, "eth_call", p, want));
    snprintf(p, sizeof p, "[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\",\"gas\":\"0x%x\"},\"latest\"]",
             in, 21000 + 4 * 62 + 16 * 66 + 2999);
    CHECK(test_err(&t, "eth_call", p, msg, sizeof msg) != 0 && strstr(msg, "out of gas"));
    /* eth_simulateV1 and debug_traceCall see it too */
    snprintf(p, sizeof p,
             "[{\"blockStateCalls\":[{\"calls\":[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\"}]}]},"
             "\"latest\"]", in);
    json_t *sim = test_ok(&t, "eth_simulateV1", p);
    json_t *call0 = json_array_get(json_object_get(json_array_get(sim, 0), "calls"), 0);
    CHECK(call0 && !strcmp(test_str(call0, "returnData"), WHO) &&
          test_qty(call0, "gasUsed") == 21000 + 4 * 62 + 16 * 66 + 3000);
    json_decref(sim);
    snprintf(p, sizeof p, "[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\"},\"latest\","
             "{\"tracer\":\"callTracer\"}]", in);
    json_t *tr = test_ok(&t, "debug_traceCall", p);
    CHECK(tr && !strcmp(test_str(tr, "output"), WHO));
    json_decref(tr);
    /* v 28: not registered, the real precompile answers (nothing here) */
    snprintf(in, sizeof in, "0x%064d%062d1c%s%s", 7, 0, R, S);
    snprintf(p, sizeof p, "[{\"to\":\"0x0000000000000000000000000000000000000001\",\"data\":\"%s\"},\"latest\"]", in);
    CHECK(test_result_is(&t, "eth_call", p, "\"0x\""));
    /* the plain pair registers too, and again replaces the address */
    snprintf(reg, sizeof reg, "[\"0x%s%s1c\",\"0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1\"]", R, S);
    CHECK(test_result_is(&t, "anvil_impersonateSignature", reg, "null"));
    CHECK(test_result_is(&t, "eth_call", p, "\"0x000000000000000000000000d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1\""));
    snprintf(reg, sizeof reg, "[\"0x%s%s1c\",\"0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2\"]", R, S);
    CHECK(test_result_is(&t, "anvil_impersonateSignature", reg, "null"));
    CHECK(test_result_is(&t, "eth_call", p, "\"0x000000000000000000000000d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2\""));
    /* another length is taken and never matches; bad parameters are refused */
    CHECK(test_result_is(&t, "anvil_impersonateSignature", "[\"0x1234\",\"0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1\"]",
                         "null"));
    CHECK(test_err(&t, "anvil_impersonateSignature", "[\"0x12\"]", msg, sizeof msg) == -32602);
    CHECK(test_err(&t, "anvil_impersonateSignature", "[\"0xzz\",\"0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1\"]", msg,
                   sizeof msg) == -32602);
    CHECK(test_err(&t, "anvil_impersonateSignature", "[\"0x12\",\"0x12\"]", msg, sizeof msg) == -32602);
    test_node_close(&t);
}

/* anvil_setChainId: eth_chainId, net_version, anvil_nodeInfo, CHAINID in
 * calls and mined blocks, and the signing of eth_sendTransaction follow the
 * new id; the pool refuses the old one; out-of-range ids are refused. */
TEST(node_dev_set_chain_id) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    char msg[256];
    CHECK(test_result_is(&t, "anvil_setChainId", "[1337]", "null"));
    CHECK(test_result_is(&t, "eth_chainId", "[]", "\"0x539\""));
    CHECK(test_result_is(&t, "net_version", "[]", "\"1337\""));
    CHECK(node_chain_id(t.n) == 1337);
    /* CHAINID; MSTORE; RETURN, as init code of a call without a recipient */
    CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x4660005260206000f3\"},\"latest\"]",
                         "\"0x0000000000000000000000000000000000000000000000000000000000000539\""));
    json_t *info = test_ok(&t, "anvil_nodeInfo", "[]");
    CHECK(info && json_integer_value(json_object_get(json_object_get(info, "environment"), "chainId")) == 1337);
    json_decref(info);
    /* a mined transaction signed with it, whose code stores CHAINID */
    json_t *h = test_ok(&t, "eth_sendTransaction",
                        "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"data\":\"0x4660005500\"}]");
    char p[128];
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h) ?: "");
    json_t *tx = test_ok(&t, "eth_getTransactionByHash", p);
    json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
    CHECK(tx && !strcmp(test_str(tx, "chainId"), "0x539") && rc && test_qty(rc, "status") == 1);
    snprintf(p, sizeof p, "[\"%s\",\"0x0\",\"latest\"]", test_str(rc, "contractAddress"));
    CHECK(test_result_is(&t, "eth_getStorageAt", p,
                         "\"0x0000000000000000000000000000000000000000000000000000000000000539\""));
    json_decref(h);
    json_decref(tx);
    json_decref(rc);
    /* the pool checks the new id: a transaction for 31337 is refused */
    transaction old;
    test_tx(&old, 0, NULL, "0x00", 0);
    CHECK(!test_send(&t, &old, 1));
    tx_free(&old);
    test_tx(&old, 0, NULL, "0x00", 0);
    old.chain_id = 1337;
    CHECK(test_send(&t, &old, 1));
    tx_free(&old);
    CHECK(test_err(&t, "anvil_setChainId", "[0]", msg, sizeof msg) == -32602);
    CHECK(test_err(&t, "anvil_setChainId", "[\"0xffffffffffffffff\"]", msg, sizeof msg) == -32602);
    CHECK(test_err(&t, "anvil_setChainId", "[]", msg, sizeof msg) == -32602);
    CHECK(test_result_is(&t, "anvil_setChainId", "[\"0x7a69\"]", "null"));
    CHECK(test_result_is(&t, "eth_chainId", "[]", "\"0x7a69\""));
    test_node_close(&t);
}

/* anvil's clock and fees. A chain started at a genesis time goes on from
 * it (anvil's --timestamp); anvil_mine(n, interval) moves the clock on by
 * the interval before each block; anvil_setNextBlockBaseFeePerGas prices
 * eth_gasPrice and the fees eth_sendTransaction fills, which are the base
 * fee plus the tip (anvil's eth_gasPrice), so a balance less gas times
 * eth_gasPrice can be sent. */
TEST(node_dev_clock_and_fees_as_anvil) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", *A2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
    char p[512];
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    uint64_t ts = b ? test_qty(b, "timestamp") : 0;
    CHECK(ts >= 1700000001 && ts < 1700000000 + 600);
    json_decref(b);
    /* evm_increaseTime answers the clock's whole offset, as anvil: here
     * negative (a genesis in the past), a JSON integer */
    json_t *off = test_ok(&t, "evm_increaseTime", "[100]");
    CHECK(off && json_is_integer(off) && json_integer_value(off) < -1000 &&
          json_integer_value(off) > (json_int_t)1700000000 + 100 - (json_int_t)time(NULL) - 600);
    json_decref(off);
    CHECK(test_result_is(&t, "evm_setNextBlockTimestamp", "[\"0x77359400\"]", "null")); /* 2000000000 */
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    CHECK(test_result_is(&t, "anvil_mine", "[\"0x3\",\"0x3c\"]", "null"));
    uint64_t prev = 2000000000;
    for (int i = 3; i <= 5; i++) {
        sprintf(p, "[\"0x%x\",false]", i);
        b = test_ok(&t, "eth_getBlockByNumber", p);
        ts = b ? test_qty(b, "timestamp") : 0;
        CHECK(ts >= prev + 60 && ts <= prev + 62); /* the clock may tick between */
        prev = ts;
        json_decref(b);
    }
    /* a base fee of 100 gwei for the next block: priced and filled so */
    CHECK(test_result_is(&t, "anvil_setNextBlockBaseFeePerGas", "[\"0x174876e800\"]", "null"));
    json_t *gp = test_ok(&t, "eth_gasPrice", "[]");
    CHECK(gp && !strcmp(json_string_value(gp) ?: "", "0x178411b200"));
    json_decref(gp);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"}]", A2, A1);
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        json_t *tx = test_ok(&t, "eth_getTransactionByHash", p);
        CHECK(tx && !strcmp(test_str(tx, "maxFeePerGas"), "0x178411b200") && test_qty(tx, "blockNumber") == 6);
        json_decref(tx);
    }
    CHECK(h != NULL);
    json_decref(h);
    /* all of a balance but gas * eth_gasPrice */
    sprintf(p, "[\"%s\",\"0xde0b6b3a7640000\"]", A2);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    gp = test_ok(&t, "eth_gasPrice", "[]");
    uint64_t price = gp ? strtoull(json_string_value(gp) + 2, NULL, 16) : 0;
    json_decref(gp);
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x5208\",\"value\":\"0x%llx\"}]", A2, A1,
            (unsigned long long)(1000000000000000000ULL - 21000 * price));
    h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    json_decref(h);
    /* a balance short of the gas: anvil's error, which clients match */
    const char *A3 = "0x90f79bf6eb2c4f870365e785982e1f101e93b906";
    sprintf(p, "[\"%s\",\"0x1000\"]", A3);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    char msg[256];
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"}]", A3, A1);
    CHECK(test_err(&t, "eth_sendTransaction", p, msg, sizeof msg) == -32003 &&
          !strcmp(msg, "Insufficient funds for gas * price + value"));
    /* a call the estimate cannot run (out of any gas) goes with the
     * block's gas, as anvil sends it, and is mined with status 0 */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000cc\",\"0x5b600056\"]", "null"));
    sprintf(p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000cc\"}]", A1);
    CHECK(test_err(&t, "eth_estimateGas", p, msg, sizeof msg) == -32000 &&
          !strncmp(msg, "gas required exceeds allowance", 30));
    h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    if (h) {
        sprintf(p, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        b = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
        CHECK(rc && b && test_qty(rc, "status") == 0 && test_qty(rc, "gasUsed") == test_qty(b, "gasLimit"));
        json_decref(rc);
        json_decref(b);
    }
    json_decref(h);
    /* times past 2^63 - 1: taken, the clock's offset held within int64
     * (UBSan checks the arithmetic) */
    CHECK(test_result_is(&t, "anvil_mine", "[\"0x2\",\"0x7fffffffffffffff\"]", "null"));
    CHECK(test_result_is(&t, "anvil_setNextBlockTimestamp", "[\"0x9000000000000000\"]", "null"));
    CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    b = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(b && !strcmp(test_str(b, "timestamp"), "0x9000000000000000"));
    json_decref(b);
    CHECK(test_result_is(&t, "evm_mine", "[{\"timestamp\":\"0x9000000000000100\",\"blocks\":\"0x2\"}]", "\"0x0\""));
    test_node_close(&t);
}

/* Edits repeated on one account before a block: each keeps its effect,
 * what a later edit sets again is not kept twice (a test loop of
 * snapshot + setBalance held a copy of every earlier edit per snapshot:
 * 1 GB after 5,000), and the edits survive a restart. */
TEST(node_dev_repeated_edits) {
    test_node t;
    CHECK(test_node_open(&t));
    const char *C3 = "0x00000000000000000000000000000000000000c3";
    char p[512], want[80];
    for (int i = 1; i <= 50; i++) {
        sprintf(p, "[\"%s\",\"0x%x\"]", C3, i);
        CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
        json_t *id = test_ok(&t, "evm_snapshot", "[]");
        CHECK(id != NULL);
        json_decref(id);
    }
    sprintf(p, "[\"%s\",\"0x1\",\"0x%064x\"]", C3, 1);
    CHECK(test_result_is(&t, "anvil_setStorageAt", p, "true"));
    sprintf(p, "[\"%s\",\"0x40\"]", C3);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    sprintf(p, "[\"%s\",\"0x5\"]", C3);
    CHECK(test_result_is(&t, "anvil_addBalance", p, "null"));
    sprintf(p, "[\"%s\",\"0x2\",\"0x%064x\"]", C3, 2);
    CHECK(test_result_is(&t, "anvil_setStorageAt", p, "true"));
    sprintf(p, "[\"%s\",\"0x6001\"]", C3);
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    sprintf(p, "[\"%s\",\"0x6002\"]", C3);
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    sprintf(p, "[\"%s\",\"0x3\"]", C3);
    CHECK(test_result_is(&t, "anvil_setNonce", p, "null"));
    sprintf(p, "[\"%s\",\"0x4\"]", C3);
    CHECK(test_result_is(&t, "anvil_setNonce", p, "null"));
    /* in the store: an entry per kind of edit (balance, code, nonce, each
     * slot), not one per call (56 before) */
    node_close(t.n);
    t.n = NULL;
    db *d;
    db_options o = {.existing = true};
    CHECK(db_open(t.path, &o, &d) == NULL);
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    buf_t v = {0};
    CHECK(db_read_meta(s, "dev.pending", &v) == NULL);
    change_set cs = {0};
    CHECK(v.len > 32 && change_set_decode(v.data + 32, v.len - 32, db_codes(d), &cs) == NULL);
    if (cs.n_accounts > 6) fprintf(stderr, "  %zu edits kept\n", cs.n_accounts);
    CHECK(cs.n_accounts >= 3 && cs.n_accounts <= 6);
    change_set_free(&cs);
    buf_free(&v);
    db_snapshot_close(s);
    db_close(d);
    node_config cfg = test_node_config(&t);
    CHECK(node_open(&cfg, &t.n) == NULL);
    for (int mined = 0; mined < 2; mined++) {
        sprintf(p, "[\"%s\",\"latest\"]", C3);
        CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x45\""));
        CHECK(test_result_is(&t, "eth_getCode", p, "\"0x6002\""));
        CHECK(test_result_is(&t, "eth_getTransactionCount", p, "\"0x4\""));
        for (int k = 1; k <= 2; k++) {
            sprintf(p, "[\"%s\",\"0x%x\",\"latest\"]", C3, k);
            sprintf(want, "\"0x%064x\"", k);
            CHECK(test_result_is(&t, "eth_getStorageAt", p, want));
        }
        CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
    }
    test_node_close(&t);
}
