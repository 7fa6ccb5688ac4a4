/* The smaller methods clients of geth, reth and anvil call, on a dev node:
 * the next block's prevrandao and the head's wall time (anvil), the pool's
 * pending list, clearing it and the conditional send (ERC-7796), a block's
 * raw transactions and the opcode gas (reth), geth's intermediate roots,
 * and the aliases. */
#include <time.h>
#include "node_rpc.h"
#include "parevm/db.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


/* anvil_setNextBlockPrevRandao: the next block's mixHash and what
 * PREVRANDAO reads in it, one block only, dropped by evm_revert;
 * anvil_getLastBlockWallTime moves with each head. */
TEST(node_dev_next_randao_and_wall_time) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *R = "0x1111111111111111111111111111111111111111111111111111111111111111";
    /* PREVRANDAO; PUSH0; SSTORE; STOP */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000aa\",\"0x445f5500\"]", "null"));
    json_t *w0 = test_ok(&t, "anvil_getLastBlockWallTime", "[]");
    CHECK(json_is_integer(w0) && (uint64_t)json_integer_value(w0) <= now_ms());
    char p[256];
    snprintf(p, sizeof p, "[\"%s\"]", R);
    CHECK(test_result_is(&t, "anvil_setNextBlockPrevRandao", p, "null"));
    uint64_t before = now_ms();
    json_decref(test_ok(&t, "eth_sendTransaction",
                        "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                        "\"to\":\"0x00000000000000000000000000000000000000aa\",\"gas\":\"0x10000\"}]"));
    json_t *w1 = test_ok(&t, "anvil_getLastBlockWallTime", "[]");
    CHECK(json_is_integer(w1) && (uint64_t)json_integer_value(w1) >= before &&
          (uint64_t)json_integer_value(w1) <= now_ms());
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(b1 && !strcmp(test_str(b1, "mixHash"), R));
    CHECK(test_result_is(&t, "eth_getStorageAt", "[\"0x00000000000000000000000000000000000000aa\",\"0x0\",\"latest\"]",
                         "\"0x1111111111111111111111111111111111111111111111111111111111111111\""));
    /* one block only */
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(b2 && strcmp(test_str(b2, "mixHash"), R));
    /* set, then reverted past: dropped */
    json_t *snap = test_ok(&t, "evm_snapshot", "[]");
    CHECK(test_result_is(&t, "anvil_setNextBlockPrevRandao", p, "null"));
    char rp[64];
    snprintf(rp, sizeof rp, "[\"%s\"]", json_string_value(snap) ? json_string_value(snap) : "?");
    CHECK(test_result_is(&t, "evm_revert", rp, "true"));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b3 = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(b3 && strcmp(test_str(b3, "mixHash"), R));
    CHECK(test_err(&t, "anvil_setNextBlockPrevRandao", "[\"0x11\"]", NULL, 0) == -32602);
    /* Hardhat's name of it */
    CHECK(test_result_is(&t, "hardhat_setPrevRandao", p, "null"));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b4 = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(b4 && !strcmp(test_str(b4, "mixHash"), R));
    json_decref(b4);
    CHECK(test_err(&t, "anvil_getLastBlockWallTime", "[1]", NULL, 0) == -32602);
    /* anvil's aliases and answers */
    CHECK(test_result_is(&t, "eth_networkId", "[]", "\"31337\""));
    CHECK(test_result_is(&t, "eth_protocolVersion", "[]", "1"));
    json_t *a = test_ok(&t, "eth_accounts", "[]"), *ra = test_ok(&t, "eth_requestAccounts", "[]");
    CHECK(a && ra && json_equal(a, ra) && json_array_size(a) > 0);
    CHECK(test_result_is(&t, "tenderly_setBalance", "[\"0x00000000000000000000000000000000000000bb\",\"0x10\"]", "null"));
    CHECK(test_result_is(&t, "tenderly_addBalance", "[\"0x00000000000000000000000000000000000000bb\",\"0x5\"]", "null"));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000bb\",\"latest\"]", "\"0x15\""));
    CHECK(test_result_is(&t, "debug_freeOSMemory", "[]", "null"));
    json_decref(w0);
    json_decref(w1);
    json_decref(b1);
    json_decref(b2);
    json_decref(b3);
    json_decref(snap);
    json_decref(a);
    json_decref(ra);
    test_node_close(&t);
}

/* eth_pendingTransactions and debug_clearTxpool with automine off;
 * eth_sendRawTransactionConditional's conditions against the head. */
TEST(node_pool_pending_clear_conditional) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *TO = "0x00000000000000000000000000000000000000cc";
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    char raw[512], p[1024];
    test_signed_hex(t.key[0], 0, TO, "", 1, 21000, raw, sizeof raw);
    snprintf(p, sizeof p, "[\"%s\"]", raw);
    json_t *h = test_ok(&t, "eth_sendRawTransaction", p);
    test_signed_hex(t.key[0], 5, TO, "", 1, 21000, raw, sizeof raw); /* a nonce gap: queued, not pending */
    snprintf(p, sizeof p, "[\"%s\"]", raw);
    json_decref(test_ok(&t, "eth_sendRawTransaction", p));
    json_t *pend = test_ok(&t, "eth_pendingTransactions", "[]");
    CHECK(json_array_size(pend) == 1 && json_equal(json_object_get(json_array_get(pend, 0), "hash"), h) &&
          json_is_null(json_object_get(json_array_get(pend, 0), "blockHash")));
    CHECK(test_result_is(&t, "debug_clearTxpool", "[]", "null"));
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    CHECK(test_result_is(&t, "eth_pendingTransactions", "[]", "[]"));
    /* a contract with slot 0 = 7, mined at block 1 */
    CHECK(test_result_is(&t, "anvil_setStorageAt",
                         "[\"0x00000000000000000000000000000000000000dd\",\"0x0\","
                         "\"0x0000000000000000000000000000000000000000000000000000000000000007\"]",
                         "true"));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    test_signed_hex(t.key[0], 0, TO, "", 1, 21000, raw, sizeof raw);
    char msg[200];
    static const struct {
        const char *cond;
        int code;
        const char *msg;
    } refused[] = {
        {"{\"blockNumberMin\":\"0x2\"}", -32003, "blockNumberMin condition not met"},
        {"{\"blockNumberMax\":\"0x0\"}", -32003, "blockNumberMax condition not met"},
        {"{\"timestampMax\":1000}", -32003, "timestampMax condition not met"},
        {"{\"timestampMin\":\"0xffffffffff\"}", -32003, "timestampMin condition not met"},
        {"{\"knownAccounts\":{\"0x00000000000000000000000000000000000000dd\":{"
         "\"0x0000000000000000000000000000000000000000000000000000000000000000\":"
         "\"0x0000000000000000000000000000000000000000000000000000000000000008\"}}}",
         -32003, "Storage Slot Value condition not met"},
        {"{\"knownAccounts\":{\"0x00000000000000000000000000000000000000dd\":"
         "\"0x1111111111111111111111111111111111111111111111111111111111111111\"}}",
         -32003, "Storage Trie Root Hash condition not met"},
        {"{\"knownAccounts\":7}", -32602, NULL},
        {"{\"blockNumberMin\":\"soon\"}", -32602, NULL},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(p, sizeof p, "[\"%s\",%s]", raw, refused[i].cond);
        long long code = test_err(&t, "eth_sendRawTransactionConditional", p, msg, sizeof msg);
        bool good = code == refused[i].code && (!refused[i].msg || !strcmp(msg, refused[i].msg));
        if (!good) fprintf(stderr, "  condition %zu: %lld %s\n", i, code, msg);
        CHECK(good);
    }
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    /* more than 1,000 slots */
    size_t cap = 1100 * 140 + 4096;
    char *big = malloc(cap), *o = big;
    o += sprintf(o, "[\"%s\",{\"knownAccounts\":{\"0x00000000000000000000000000000000000000dd\":{", raw);
    for (int i = 0; i < 1001; i++)
        o += sprintf(o, "%s\"0x%064x\":\"0x%064x\"", i ? "," : "", i, 0);
    strcpy(o, "}}}]");
    CHECK(test_err(&t, "eth_sendRawTransactionConditional", big, NULL, 0) == -32005);
    /* 1,000 slots and a block range: op-geth's cost 1001, checked first */
    o = big + sprintf(big, "[\"%s\",{\"blockNumberMin\":\"0x0\",\"knownAccounts\":{\"0x00000000000000000000000000000000000000dd\":{", raw);
    for (int i = 0; i < 1000; i++)
        o += sprintf(o, "%s\"0x%064x\":\"0x%064x\"", i ? "," : "", i, 0);
    strcpy(o, "}}}]");
    CHECK(test_err(&t, "eth_sendRawTransactionConditional", big, msg, sizeof msg) == -32005 &&
          !strcmp(msg, "conditional cost, 1001, exceeded max: 1000"));
    free(big);
    /* the state's own storage root and slot, the head's number and time: sent */
    json_t *acct = test_ok(&t, "eth_getAccount", "[\"0x00000000000000000000000000000000000000dd\",\"latest\"]");
    json_t *head = test_ok(&t, "eth_getBlockByNumber", "[\"latest\",false]");
    snprintf(p, sizeof p,
             "[\"%s\",{\"blockNumberMin\":\"0x1\",\"blockNumberMax\":\"0x1\",\"timestampMin\":\"%s\","
             "\"timestampMax\":\"%s\",\"knownAccounts\":{\"0x00000000000000000000000000000000000000dd\":\"%s\","
             "\"0x00000000000000000000000000000000000000DD\":{"
             "\"0x0000000000000000000000000000000000000000000000000000000000000000\":"
             "\"0x0000000000000000000000000000000000000000000000000000000000000007\"}}}]",
             raw, test_str(head, "timestamp"), test_str(head, "timestamp"), test_str(acct, "storageRoot"));
    json_t *sent = test_ok(&t, "eth_sendRawTransactionConditional", p);
    CHECK(json_is_string(sent));
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x1\",\"queued\":\"0x0\"}"));
    CHECK(test_err(&t, "eth_sendRawTransactionConditional", "[\"0x02\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_sendRawTransactionConditional", "[\"0x02\",[]]", NULL, 0) == -32602);
    /* the pending block (2) is past blockNumberMax 1: left out there */
    json_t *pb = test_ok(&t, "eth_getBlockByNumber", "[\"pending\",false]");
    CHECK(json_array_size(json_object_get(pb, "transactions")) == 0);
    json_decref(pb);
    /* checked again at inclusion (as op-geth's miner): block 2 is past
     * blockNumberMax 1, so the transaction is left out and dropped */
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(json_array_size(json_object_get(b2, "transactions")) == 0);
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    json_decref(b2);
    /* a range that holds at block 3: included */
    snprintf(p, sizeof p, "[\"%s\",{\"blockNumberMin\":\"0x3\",\"blockNumberMax\":\"0x3\"}]", raw);
    CHECK(test_err(&t, "eth_sendRawTransactionConditional", p, NULL, 0) == -32003); /* the head is 2 */
    snprintf(p, sizeof p, "[\"%s\",{\"blockNumberMin\":\"0x2\",\"blockNumberMax\":\"0x3\"}]", raw);
    json_decref(test_ok(&t, "eth_sendRawTransactionConditional", p));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b3 = test_ok(&t, "eth_getBlockByNumber", "[\"0x3\",false]");
    CHECK(json_array_size(json_object_get(b3, "transactions")) == 1);
    CHECK(test_result_is(&t, "txpool_status", "[]", "{\"pending\":\"0x0\",\"queued\":\"0x0\"}"));
    json_decref(b3);
    json_decref(sent);
    json_decref(acct);
    json_decref(head);
    json_decref(pend);
    json_decref(h);
    test_node_close(&t);
}

/* debug_getRawTransactions: each transaction's bytes as
 * eth_getRawTransactionByHash gives them; trace_transactionOpcodeGas: per
 * opcode, the count and gas of the opcode logger's steps; the block's is
 * each transaction's. */
TEST(node_raw_transactions_and_opcode_gas) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    /* a loop: PUSH1 3 (JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH1 2 JUMPI) POP PUSH0 SLOAD POP STOP:
     * ten opcodes, JUMPI three times */
    CHECK(test_result_is(&t, "anvil_setCode",
                         "[\"0x00000000000000000000000000000000000000ee\",\"0x60035b6001900380600257505f545000\"]",
                         "null"));
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    json_t *h1 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                         "\"to\":\"0x00000000000000000000000000000000000000ee\",\"gas\":\"0x20000\"}]");
    json_t *h2 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\","
                         "\"to\":\"0x00000000000000000000000000000000000000ee\",\"gas\":\"0x20000\",\"value\":\"0x1\"}]");
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *raws = test_ok(&t, "debug_getRawTransactions", "[\"0x1\"]");
    CHECK(json_array_size(raws) == 2);
    json_t *hashes[2] = {h1, h2};
    char p[256];
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(hashes[i]));
        json_t *raw = test_ok(&t, "eth_getRawTransactionByHash", p);
        CHECK(raw && json_equal(raw, json_array_get(raws, i)));
        json_decref(raw);
        /* the logger's steps, summed by opcode */
        snprintf(p, sizeof p, "[\"%s\",{\"disableStack\":true,\"disableStorage\":true}]", json_string_value(hashes[i]));
        json_t *log = test_ok(&t, "debug_traceTransaction", p);
        json_t *want = json_object();
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(log, "structLogs"), k, s) {
            const char *op = json_string_value(json_object_get(s, "op"));
            json_t *e = json_object_get(want, op);
            if (!e) {
                e = json_pack("{s:I, s:I}", "count", (json_int_t)0, "gasUsed", (json_int_t)0);
                json_object_set_new(want, op, e);
            }
            json_object_set_new(e, "count", json_integer(json_integer_value(json_object_get(e, "count")) + 1));
            json_object_set_new(e, "gasUsed", json_integer(json_integer_value(json_object_get(e, "gasUsed")) +
                                                           json_integer_value(json_object_get(s, "gasCost"))));
        }
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(hashes[i]));
        json_t *og = test_ok(&t, "trace_transactionOpcodeGas", p);
        CHECK(og && json_equal(json_object_get(og, "transactionHash"), hashes[i]));
        json_t *got = json_object();
        json_array_foreach(json_object_get(og, "opcodeGas"), k, s) {
            json_object_set_new(got, json_string_value(json_object_get(s, "opcode")),
                                json_pack("{s:O, s:O}", "count", json_object_get(s, "count"), "gasUsed",
                                          json_object_get(s, "gasUsed")));
        }
        char *want_text = json_dumps(want, JSON_SORT_KEYS);
        CHECK(json_object_size(want) == 10 && test_json_is(got, want_text));
        free(want_text);
        /* the loop ran three times */
        CHECK(json_integer_value(json_object_get(json_object_get(got, "JUMPI"), "count")) == 3);
        json_decref(got);
        json_decref(want);
        json_decref(log);
        json_decref(og);
    }
    /* a CALL with value counts its own cost, not its callee's gas (the
     * forwarded gas and the stipend: revm-inspectors' measure):
     * PUSH0 x4, PUSH1 1, PUSH1 0xee, PUSH2 0x1000, CALL, POP, STOP */
    CHECK(test_result_is(&t, "anvil_setCode",
                         "[\"0x00000000000000000000000000000000000000ef\",\"0x5f5f5f5f600160ee611000f15000\"]", "null"));
    json_t *h3 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                         "\"to\":\"0x00000000000000000000000000000000000000ef\",\"gas\":\"0x20000\",\"value\":\"0x1\"}]");
    json_decref(test_ok(&t, "evm_mine", "[]"));
    snprintf(p, sizeof p, "[\"%s\",{\"disableStack\":true,\"disableStorage\":true}]", json_string_value(h3));
    json_t *log3 = test_ok(&t, "debug_traceTransaction", p);
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"callTracer\"}]", json_string_value(h3));
    json_t *calls3 = test_ok(&t, "debug_traceTransaction", p);
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h3));
    json_t *og3 = test_ok(&t, "trace_transactionOpcodeGas", p);
    long long call_cost = -1, callee = (long long)test_qty(json_array_get(json_object_get(calls3, "calls"), 0), "gas");
    size_t k3;
    json_t *s3;
    json_array_foreach(json_object_get(log3, "structLogs"), k3, s3) {
        if (!strcmp(test_str(s3, "op"), "CALL")) call_cost = json_integer_value(json_object_get(s3, "gasCost"));
    }
    long long got_call = -2;
    json_array_foreach(json_object_get(og3, "opcodeGas"), k3, s3) {
        if (!strcmp(test_str(s3, "opcode"), "CALL")) got_call = json_integer_value(json_object_get(s3, "gasUsed"));
    }
    /* cold account 2600, value 9000, forwarded 4096; the callee has 4096 + 2300 */
    CHECK(call_cost == 2600 + 9000 + 4096 && callee == 4096 + 2300 && got_call == call_cost - callee);
    json_decref(h3);
    json_decref(log3);
    json_decref(calls3);
    json_decref(og3);
    json_t *blk = test_ok(&t, "trace_blockOpcodeGas", "[\"0x1\"]");
    json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(blk && b && json_equal(json_object_get(blk, "blockHash"), json_object_get(b, "hash")) &&
          json_integer_value(json_object_get(blk, "blockNumber")) == 1 &&
          json_array_size(json_object_get(blk, "transactions")) == 2);
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h2));
    json_t *og2 = test_ok(&t, "trace_transactionOpcodeGas", p);
    CHECK(og2 && json_equal(json_array_get(json_object_get(blk, "transactions"), 1), og2));
    /* reth fetches the block first: HeaderNotFound */
    char msg[128];
    CHECK(test_err(&t, "trace_blockOpcodeGas", "[\"0x63\"]", msg, sizeof msg) == -32001 &&
          !strcmp(msg, "block not found: 0x63"));
    /* the calls take their environment there first (evm_env_at) */
    CHECK(test_err(&t, "trace_call", "[{\"to\":\"0x1111111111111111111111111111111111111111\"},[\"trace\"],\"0x63\"]",
                   msg, sizeof msg) == -32001 &&
          !strcmp(msg, "block not found: 0x63"));
    CHECK(test_err(&t, "trace_callMany", "[[[{\"to\":\"0x1111111111111111111111111111111111111111\"},[\"trace\"]]],\"0x63\"]",
                   msg, sizeof msg) == -32001);
    CHECK(test_result_is(&t, "trace_transactionOpcodeGas",
                         "[\"0x1111111111111111111111111111111111111111111111111111111111111111\"]", "null"));
    json_t *g = test_ok(&t, "trace_blockOpcodeGas", "[\"0x0\"]");
    CHECK(g && json_integer_value(json_object_get(g, "blockNumber")) == 0 &&
          json_is_array(json_object_get(g, "transactions")) && !json_array_size(json_object_get(g, "transactions")));
    json_decref(g);
    CHECK(test_err(&t, "debug_getRawTransactions", "[\"0x63\"]", NULL, 0) == -32000);
    CHECK(test_err(&t, "trace_transactionOpcodeGas", "[\"0x12\"]", NULL, 0) == -32602);
    json_decref(og2);
    json_decref(blk);
    json_decref(b);
    json_decref(raws);
    json_decref(h1);
    json_decref(h2);
    test_node_close(&t);
}

/* debug_intermediateRoots on dev blocks: one root per transaction, the
 * last the block's (no withdrawals, and the request system calls change
 * nothing here), with the anvil_set* edits the block folded in counted. */
TEST(node_dev_intermediate_roots) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000b1\",\"0x77\"]", "null"));
    for (int i = 0; i < 3; i++)
        json_decref(test_ok(&t, "eth_sendTransaction",
                            "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                            "\"to\":\"0x00000000000000000000000000000000000000b2\",\"value\":\"0x1\"}]"));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    char p[128];
    snprintf(p, sizeof p, "[\"%s\"]", test_str(b, "hash"));
    json_t *roots = test_ok(&t, "debug_intermediateRoots", p);
    CHECK(json_array_size(roots) == 3 && !strcmp(json_string_value(json_array_get(roots, 2)), test_str(b, "stateRoot")) &&
          strcmp(json_string_value(json_array_get(roots, 0)), json_string_value(json_array_get(roots, 1))));
    /* with a trace config too (ignored), and the refusals */
    snprintf(p, sizeof p, "[\"%s\",{}]", test_str(b, "hash"));
    json_t *again = test_ok(&t, "debug_intermediateRoots", p);
    CHECK(again && json_equal(again, roots));
    json_t *g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
    snprintf(p, sizeof p, "[\"%s\"]", test_str(g, "hash"));
    char msg[128];
    CHECK(test_err(&t, "debug_intermediateRoots", p, msg, sizeof msg) == -32000 && strstr(msg, "genesis"));
    CHECK(test_err(&t, "debug_intermediateRoots",
                   "[\"0x1111111111111111111111111111111111111111111111111111111111111111\"]", msg, sizeof msg) == -32000 &&
          strstr(msg, "not found"));
    /* an empty block: geth's nil slice */
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_t *e = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    snprintf(p, sizeof p, "[\"%s\"]", test_str(e, "hash"));
    CHECK(test_result_is(&t, "debug_intermediateRoots", p, "null"));
    json_decref(e);
    CHECK(test_err(&t, "debug_intermediateRoots", "[\"0x1\"]", NULL, 0) == -32602);
    CHECK(test_err(&t, "debug_intermediateRoots", "[]", NULL, 0) == -32602);
    json_decref(b);
    json_decref(g);
    json_decref(roots);
    json_decref(again);
    test_node_close(&t);
}

/* muxTracer (geth's): each named tracer's result, as that tracer alone
 * gives it, for a mined transaction, a block and a call; a nested mux; the
 * refusals of an unknown tracer and of a config that is no object. */
TEST(node_mux_tracer) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    /* SSTORE(0, CALLVALUE); LOG0(0, 0); a call with value to it */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c1\",\"0x345f555f5fa000\"]",
                         "null"));
    json_t *h = test_ok(&t, "eth_sendTransaction",
                        "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                        "\"to\":\"0x00000000000000000000000000000000000000c1\",\"value\":\"0x9\",\"gas\":\"0x20000\"}]");
    static const char *const subs[][2] = {
        {"callTracer", "{\"withLog\":true}"},
        {"prestateTracer", "{\"diffMode\":true}"},
        {"flatCallTracer", "{}"},
        {"4byteTracer", "null"},
    };
    char mux[512] = "{", p[1024];
    for (size_t i = 0; i < 4; i++)
        snprintf(mux + strlen(mux), sizeof mux - strlen(mux), "%s\"%s\":%s", i ? "," : "", subs[i][0], subs[i][1]);
    strcat(mux, "}");
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"muxTracer\",\"tracerConfig\":%s}]", json_string_value(h), mux);
    json_t *all = test_ok(&t, "debug_traceTransaction", p);
    CHECK(json_object_size(all) == 4);
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"%s\",\"tracerConfig\":%s}]", json_string_value(h), subs[i][0],
                 subs[i][1]);
        json_t *one = test_ok(&t, "debug_traceTransaction", p);
        CHECK(one && json_equal(one, json_object_get(all, subs[i][0])));
        json_decref(one);
    }
    /* a block: each transaction's mux result; a nested mux */
    snprintf(p, sizeof p, "[\"latest\",{\"tracer\":\"muxTracer\",\"tracerConfig\":{\"muxTracer\":%s}}]", mux);
    json_t *blk = test_ok(&t, "debug_traceBlockByNumber", p);
    CHECK(json_array_size(blk) == 1 &&
          json_equal(json_object_get(json_object_get(json_array_get(blk, 0), "result"), "muxTracer"), all));
    /* a call */
    json_t *call = test_ok(&t, "debug_traceCall",
                           "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                           "\"to\":\"0x00000000000000000000000000000000000000c1\",\"value\":\"0x3\"},\"latest\","
                           "{\"tracer\":\"muxTracer\",\"tracerConfig\":{\"callTracer\":{},\"noopTracer\":{}}}]");
    CHECK(call && !strcmp(test_str(json_object_get(call, "callTracer"), "value"), "0x3") &&
          json_is_object(json_object_get(call, "noopTracer")));
    char msg[128];
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"muxTracer\",\"tracerConfig\":{\"structLogger\":{}}}]", json_string_value(h));
    CHECK(test_err(&t, "debug_traceTransaction", p, msg, sizeof msg) == -32000 && !strcmp(msg, "tracer not found"));
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"muxTracer\",\"tracerConfig\":[1]}]", json_string_value(h));
    CHECK(test_err(&t, "debug_traceTransaction", p, NULL, 0) != 0);
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"muxTracer\"}]", json_string_value(h));
    CHECK(test_result_is(&t, "debug_traceTransaction", p, "{}"));
    json_decref(h);
    json_decref(all);
    json_decref(blk);
    json_decref(call);
    test_node_close(&t);
}

/* debug_getAccessibleState (geth's): every canonical block's state is kept,
 * so the answer is `from`; geth's refusals. */
TEST(node_accessible_state) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    json_decref(test_ok(&t, "evm_mine", "[]"));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    CHECK(test_result_is(&t, "debug_getAccessibleState", "[0, 2]", "0"));
    CHECK(test_result_is(&t, "debug_getAccessibleState", "[\"0x2\", \"0x0\"]", "2"));
    CHECK(test_result_is(&t, "debug_getAccessibleState", "[\"latest\", 0]", "2"));
    char msg[128];
    CHECK(test_err(&t, "debug_getAccessibleState", "[1, 1]", msg, sizeof msg) == -32000 &&
          !strcmp(msg, "from and to needs to be different"));
    CHECK(test_err(&t, "debug_getAccessibleState", "[9, 0]", msg, sizeof msg) == -32000 && !strcmp(msg, "missing header 9"));
    CHECK(test_err(&t, "debug_getAccessibleState", "[\"x\", 0]", NULL, 0) == -32602);
    CHECK(test_err(&t, "debug_getAccessibleState", "[0]", NULL, 0) == -32602);
    test_node_close(&t);
}

/* A contract that self-destructs to itself (not created in the
 * transaction, Osaka): Parity's trace has zeros (revm leaves no journal
 * entry), Otterscan's views the beneficiary and the balance, as Erigon. */
TEST(node_ots_selfdestruct_to_itself) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *C = "0x00000000000000000000000000000000000000c7";
    char p[256];
    snprintf(p, sizeof p, "[\"%s\",\"0x30ff\"]", C); /* ADDRESS SELFDESTRUCT */
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    snprintf(p, sizeof p, "[\"%s\",\"0x3b9aca00\"]", C);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    json_t *h = test_ok(&t, "eth_sendTransaction",
                        "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                        "\"to\":\"0x00000000000000000000000000000000000000c7\",\"value\":\"0x3e8\"}]");
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h));
    CHECK(test_result_is(&t, "ots_getInternalOperations", p,
                         "[{\"type\":1,\"from\":\"0x00000000000000000000000000000000000000c7\","
                         "\"to\":\"0x00000000000000000000000000000000000000c7\",\"value\":\"0x3b9acde8\"}]"));
    json_t *tr = test_ok(&t, "ots_traceTransaction", p);
    json_t *sd = json_array_get(tr, 1);
    CHECK(json_array_size(tr) == 2 && !strcmp(test_str(sd, "type"), "SELFDESTRUCT") && !strcmp(test_str(sd, "to"), C) &&
          !strcmp(test_str(sd, "value"), "0x3b9acde8") && json_integer_value(json_object_get(sd, "depth")) == 1);
    json_t *pt = test_ok(&t, "trace_transaction", p);
    json_t *act = json_object_get(json_array_get(pt, 1), "action");
    CHECK(!strcmp(test_str(act, "refundAddress"), "0x0000000000000000000000000000000000000000") &&
          !strcmp(test_str(act, "balance"), "0x0"));
    json_decref(h);
    json_decref(tr);
    json_decref(pt);
    test_node_close(&t);
}

/* The anvil_set* edits a block folded in are stored with it: after a
 * restart on the same datadir its transactions replay as they ran (a
 * transfer only the edited balance pays for, code and storage set by
 * hand), with the same traces and intermediate roots; a block without
 * edits next to it, too. Edits not yet mined outlive a restart as well. */
TEST(node_dev_edits_outlive_restart) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *X = "0x00000000000000000000000000000000000000e1";
    char p[512];
    CHECK(test_result_is(&t, "anvil_setBalance",
                         "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"0xffffffffffffffffffffffffffffffffffff\"]",
                         "null"));
    snprintf(p, sizeof p, "[\"%s\",\"0x6005546001556001600255\"]", X); /* SLOAD(5) -> slot 1; 1 -> slot 2 */
    CHECK(test_result_is(&t, "anvil_setCode", p, "null"));
    snprintf(p, sizeof p, "[\"%s\",\"0x5\",\"0x%064x\"]", X, 0x2a);
    CHECK(test_result_is(&t, "anvil_setStorageAt", p, "true"));
    json_t *h1 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                         "\"to\":\"0x00000000000000000000000000000000000000e1\",\"value\":\"0xfffffffffffffffffffffffffffff\"}]");
    json_t *h2 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                         "\"to\":\"0x00000000000000000000000000000000000000e1\"}]");
    const char *methods[][2] = {{"debug_traceTransaction", "[\"%s\",{\"tracer\":\"prestateTracer\"}]"},
                                {"debug_traceTransaction", "[\"%s\",{\"tracer\":\"callTracer\"}]"},
                                {"trace_replayTransaction", "[\"%s\",[\"trace\",\"stateDiff\"]]"}};
    enum { N = sizeof methods / sizeof methods[0] };
    json_t *before[2][N] = {{0}}, *roots[2] = {0}, *blocks[2] = {0};
    for (int pass = 0; pass < 2; pass++) {
        if (pass) CHECK(test_node_reopen(&t));
        if (!t.n) break;
        for (int k = 0; k < 2; k++) {
            const json_t *h = k ? h2 : h1;
            for (int m = 0; m < N; m++) {
                snprintf(p, sizeof p, methods[m][1], json_string_value(h));
                json_t *got = test_ok(&t, methods[m][0], p);
                CHECK(got != NULL);
                if (!pass) before[k][m] = got;
                else {
                    CHECK(json_equal(got, before[k][m]));
                    json_decref(got);
                }
            }
        }
        json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
        snprintf(p, sizeof p, "[\"%s\"]", test_str(b, "hash"));
        json_t *r = test_ok(&t, "debug_intermediateRoots", p);
        CHECK(json_array_size(r) == 1 && !strcmp(json_string_value(json_array_get(r, 0)), test_str(b, "stateRoot")));
        if (pass) CHECK(json_equal(r, roots[0]) && json_equal(b, blocks[0]));
        roots[pass] = r;
        blocks[pass] = b;
    }
    /* what the prestate shows is the edits: the balance and the slot */
    json_t *pre = json_object_get(before[0][0], X);
    CHECK(pre && !strcmp(test_str(json_object_get(pre, "storage"),
                                  "0x0000000000000000000000000000000000000000000000000000000000000005"),
                         "0x000000000000000000000000000000000000000000000000000000000000002a"));
    CHECK(test_result_is(&t, "eth_getStorageAt", "[\"0x00000000000000000000000000000000000000e1\",\"0x1\",\"latest\"]",
                         "\"0x000000000000000000000000000000000000000000000000000000000000002a\""));
    /* edits not yet mined are kept too; folded into a block, or reverted,
     * they do not come back */
    const char *Y = "[\"0x00000000000000000000000000000000000000e2\",\"latest\"]";
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000e2\",\"0x99\"]", "null"));
    CHECK(test_node_reopen(&t));
    CHECK(test_result_is(&t, "eth_getBalance", Y, "\"0x99\""));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    CHECK(test_node_reopen(&t));
    CHECK(test_result_is(&t, "eth_getBalance", Y, "\"0x99\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000e2\",\"0x2\"]", "\"0x0\""));
    json_t *snap = test_ok(&t, "evm_snapshot", "[]");
    CHECK(test_result_is(&t, "anvil_setBalance", "[\"0x00000000000000000000000000000000000000e2\",\"0x5\"]", "null"));
    snprintf(p, sizeof p, "[\"%s\"]", json_string_value(snap) ? json_string_value(snap) : "?");
    CHECK(test_result_is(&t, "evm_revert", p, "true"));
    CHECK(test_node_reopen(&t));
    CHECK(test_result_is(&t, "eth_getBalance", Y, "\"0x99\""));
    CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x3\""));
    for (int k = 0; k < 2; k++)
        for (int m = 0; m < N; m++) json_decref(before[k][m]);
    for (int i = 0; i < 2; i++) json_decref(roots[i]), json_decref(blocks[i]);
    json_decref(h1);
    json_decref(h2);
    json_decref(snap);
    test_node_close(&t);
}

/* An impersonated transaction's placeholder signature recovers to no one:
 * its hash covers its sender (anvil's: keccak of the transaction as the
 * block holds it, then the sender), so two senders' identical transactions
 * are two; and its sender is stored with the block, so after a restart the
 * transactions, their receipts, logs and block still name it, and the
 * block replays. */
TEST(node_dev_impersonated_senders_outlive_restart) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *S[2] = {"0x00000000000000000000000000000000000000a1", "0x00000000000000000000000000000000000000a2"};
    char p[512];
    /* PUSH0 PUSH0 LOG0 STOP */
    CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000b1\",\"0x5f5fa000\"]", "null"));
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "[\"%s\",\"0xffffffffffffffffffff\"]", S[k]);
        CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
        snprintf(p, sizeof p, "[\"%s\"]", S[k]);
        CHECK(test_result_is(&t, "anvil_impersonateAccount", p, "null"));
    }
    CHECK(test_result_is(&t, "evm_setAutomine", "[false]", "null"));
    /* block 1: a signed transaction, then the same one from each sender */
    json_decref(test_ok(&t, "eth_sendTransaction",
                        "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                        "\"to\":\"0x00000000000000000000000000000000000000b1\",\"value\":\"0x1\"}]"));
    json_t *h[2];
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p,
                 "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b1\",\"value\":\"0x7\","
                 "\"gas\":\"0x10000\",\"maxFeePerGas\":\"0x77359400\",\"maxPriorityFeePerGas\":\"0x1\"}]",
                 S[k]);
        h[k] = test_ok(&t, "eth_sendTransaction", p);
    }
    CHECK(h[0] && h[1] && !json_equal(h[0], h[1]));
    json_decref(test_ok(&t, "evm_mine", "[]"));
    /* the hash: keccak(RLP string of the typed transaction || sender) */
    for (int k = 0; k < 2 && h[k]; k++) {
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h[k]));
        json_t *raw = test_ok(&t, "eth_getRawTransactionByHash", p);
        uint8_t tx[512], sender[20];
        long n = raw ? hex_decode(json_string_value(raw), tx, sizeof tx) : -1;
        CHECK(n > 0 && hex_to_fixed(S[k], sender, 20));
        if (n <= 0) n = 0;
        buf_t item = {0};
        rlp_encode_bytes(&item, tx, (size_t)n);
        buf_append(&item, sender, 20);
        bytes32 want = keccak256_hash(item.data, item.len);
        char hex[67];
        hex_encode(want.b, 32, hex);
        CHECK(!strcmp(hex, json_string_value(h[k])));
        buf_free(&item);
        json_decref(raw);
    }
    json_t *seen[2][6] = {{0}};
    for (int pass = 0; pass < 2; pass++) {
        if (pass) CHECK(test_node_reopen(&t));
        if (!t.n) break;
        for (int k = 0; k < 2; k++) {
            snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h[k]) ? json_string_value(h[k]) : "?");
            seen[pass][k] = test_ok(&t, "eth_getTransactionByHash", p);
            seen[pass][2 + k] = test_ok(&t, "eth_getTransactionReceipt", p);
            CHECK(seen[pass][k] && !strcmp(test_str(seen[pass][k], "from"), S[k]) &&
                  !strcmp(test_str(seen[pass][k], "hash"), json_string_value(h[k])));
            CHECK(seen[pass][2 + k] && !strcmp(test_str(seen[pass][2 + k], "from"), S[k]) &&
                  !strcmp(test_str(seen[pass][2 + k], "transactionHash"), json_string_value(h[k])));
        }
        seen[pass][4] = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
        seen[pass][5] = test_ok(&t, "trace_block", "[\"0x1\"]");
        json_t *txs = json_object_get(seen[pass][4], "transactions");
        CHECK(json_array_size(txs) == 3 && json_equal(json_array_get(txs, 1), h[0]) &&
              json_equal(json_array_get(txs, 2), h[1]));
        CHECK(json_array_size(seen[pass][5]) == 3 &&
              !strcmp(test_str(json_array_get(seen[pass][5], 2), "transactionHash"), json_string_value(h[1])));
        json_t *logs = test_ok(&t, "eth_getLogs", "[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x1\"}]");
        CHECK(json_array_size(logs) == 3 &&
              !strcmp(test_str(json_array_get(logs, 1), "transactionHash"), json_string_value(h[0])) &&
              !strcmp(test_str(json_array_get(logs, 2), "transactionHash"), json_string_value(h[1])));
        json_decref(logs);
        for (int k = 0; pass && k < 6; k++) CHECK(json_equal(seen[0][k], seen[1][k]));
    }
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < 6; k++) json_decref(seen[pass][k]);
    json_decref(h[0]);
    json_decref(h[1]);
    test_node_close(&t);
}

/* A test node with a new, empty datadir and no node open. */
static void fresh_datadir(test_node *t) {
    memset(t, 0, sizeof *t);
    strcpy(t->path, "/tmp/parevm-node-test-XXXXXX");
    if (!mkdtemp(t->path)) abort();
}

/* Opens a dev node with the rules named (NULL: the default). */
static const char *open_with_rules(test_node *t, const char *hardfork) {
    fresh_datadir(t);
    node_config cfg = test_node_config(t);
    cfg.dev_hardfork = hardfork;
    return node_open(&cfg, &t->n);
}

/* A dev node on those rules for one case of a table; false (counted as a
 * failure, the folder removed) when it does not open. */
static bool open_case(test_node *t, const char *rules) {
    const char *err = open_with_rules(t, rules);
    CHECK(err == NULL);
    if (err) test_remove_tree(t->path);
    return err == NULL;
}

/* --dev.hardfork (anvil's --hardfork): the dev chain on earlier rules.
 * Shanghai: withdrawals in the header, no blob fields, no system
 * contracts, TSTORE undefined; Cancun: the blob fields and EIP-4788's
 * contract, TSTORE defined, no requests hash and no EIP-2935 contract;
 * the default is Osaka's. Rules before the Merge, or unknown, are
 * refused. */
TEST(node_dev_hardfork) {
    static const struct {
        const char *name;
        bool withdrawals, blobs, requests, tstore;
    } cases[] = {{"shanghai", true, false, false, false},
                 {"Cancun", true, true, false, true},
                 {"paris", false, false, false, false},
                 {"latest", true, true, true, true},
                 {NULL, true, true, true, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_node t;
        if (!open_case(&t, cases[i].name)) continue;
        json_t *g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
        CHECK(g && (json_object_get(g, "withdrawalsRoot") != NULL) == cases[i].withdrawals);
        CHECK(g && (json_object_get(g, "blobGasUsed") != NULL) == cases[i].blobs);
        CHECK(g && (json_object_get(g, "parentBeaconBlockRoot") != NULL) == cases[i].blobs);
        CHECK(g && (json_object_get(g, "requestsHash") != NULL) == cases[i].requests);
        json_t *c4788 = test_ok(&t, "eth_getCode", "[\"0x000f3df6d732807ef1319fb7b8bb8522d0beac02\",\"latest\"]");
        json_t *c2935 = test_ok(&t, "eth_getCode", "[\"0x0000f90827f1c53a10cb7a02335b175320002935\",\"latest\"]");
        CHECK(c4788 && (strcmp(json_string_value(c4788), "0x") != 0) == cases[i].blobs);
        CHECK(c2935 && (strcmp(json_string_value(c2935), "0x") != 0) == cases[i].requests);
        /* PUSH1 1 PUSH1 0 TSTORE STOP */
        CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c1\",\"0x600160005d00\"]",
                             "null"));
        json_t *h = test_ok(&t, "eth_sendTransaction",
                            "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                            "\"to\":\"0x00000000000000000000000000000000000000c1\",\"gas\":\"0x10000\"}]");
        char p[128];
        snprintf(p, sizeof p, "[\"%s\"]", h ? json_string_value(h) : "?");
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        CHECK(rc && !strcmp(test_str(rc, "status"), cases[i].tstore ? "0x1" : "0x0"));
        json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
        CHECK(b1 && (json_object_get(b1, "requestsHash") != NULL) == cases[i].requests &&
              (json_object_get(b1, "blobGasUsed") != NULL) == cases[i].blobs);
        json_decref(g);
        json_decref(c4788);
        json_decref(c2935);
        json_decref(h);
        json_decref(rc);
        json_decref(b1);
        test_node_close(&t);
    }
    /* a store keeps its rules: the same asked again opens, others do not */
    test_node t;
    CHECK(open_with_rules(&t, "cancun") == NULL);
    if (t.n) node_close(t.n);
    node_config again = test_node_config(&t);
    again.dev_hardfork = "Cancun";
    CHECK(node_open(&again, &t.n) == NULL);
    if (t.n) node_close(t.n);
    again.dev_hardfork = NULL;
    CHECK(node_open(&again, &t.n) == NULL);
    if (t.n) node_close(t.n);
    t.n = NULL;
    again.dev_hardfork = "prague";
    const char *err = node_open(&again, &t.n);
    CHECK(err && strstr(err, "other rules") && !t.n);
    test_remove_tree(t.path);
    const char *refused[] = {"osaka2", "", "merge2"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err = open_with_rules(&t, refused[i]);
        CHECK(err != NULL && t.n == NULL);
        if (t.n) node_close(t.n);
        test_remove_tree(t.path);
    }
}

/* The gas a dev-account transaction used (0 when it failed to go in). */
static uint64_t sent_gas(test_node *t, const char *tx) {
    json_t *h = test_ok(t, "eth_sendTransaction", tx);
    char p[128];
    snprintf(p, sizeof p, "[\"%s\"]", h ? json_string_value(h) : "?");
    json_t *rc = h ? test_ok(t, "eth_getTransactionReceipt", p) : NULL;
    uint64_t gas = rc ? strtoull(test_str(rc, "gasUsed"), NULL, 16) : 0;
    json_decref(h);
    json_decref(rc);
    return gas;
}

/* --dev.hardfork before the Merge, as anvil's: the blocks are sealed
 * (clique: difficulty 0, no block reward: the coinbase earns the tips
 * alone), DIFFICULTY reads 0, the fork's EVM (PUSH0 undefined; EIP-1283's
 * SSTORE gas in Constantinople, not in Petersburg), London's base fee and
 * none before it, where a call object without fees becomes a legacy
 * transaction (without a chain id before Spurious Dragon) and EIP-1559
 * fees are refused. The store keeps its rules across a restart. */
TEST(node_dev_before_merge) {
    static const struct {
        const char *name;
        bool base_fee, chain_id;
        uint64_t sstore_gas; /* SSTORE 1 then 0 into an empty slot */
    } cases[] = {{"london", true, true, 43212 - 8642},
                 {"Berlin", false, true, 43212 - 19900},
                 {"petersburg", false, true, 46012 - 15000},
                 {"constantinople", false, true, 41212 - 19800},
                 {"frontier", false, false, 46012 - 15000}};
    const char *DEV = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", *COINBASE = "0x00000000000000000000000000000000000000cb";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_node t;
        if (!open_case(&t, cases[i].name)) continue;
        json_t *g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
        CHECK(g && (json_object_get(g, "baseFeePerGas") != NULL) == cases[i].base_fee);
        CHECK(g && !json_object_get(g, "withdrawalsRoot") && !strcmp(test_str(g, "difficulty"), "0x0"));
        char p[512];
        snprintf(p, sizeof p, "[\"%s\"]", COINBASE);
        CHECK(test_result_is(&t, "anvil_setCoinbase", p, "null"));
        /* DIFFICULTY; PUSH0 */
        CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x4460005260206000f3\"},\"latest\"]",
                             "\"0x0000000000000000000000000000000000000000000000000000000000000000\""));
        CHECK(test_err(&t, "eth_call", "[{\"data\":\"0x5f\"},\"latest\"]", NULL, 0) == -32000);
        /* a simulated call without fee fields: legacy before London too */
        snprintf(p, sizeof p, "[{\"blockStateCalls\":[{\"calls\":[{\"from\":\"%s\",\"to\":\"%s\"}]}]},\"latest\"]", DEV,
                 COINBASE);
        json_t *sim = test_ok(&t, "eth_simulateV1", p);
        json_t *call0 = json_array_get(json_object_get(json_array_get(sim, 0), "calls"), 0);
        CHECK(call0 && !strcmp(test_str(call0, "status"), "0x1"));
        json_decref(sim);
        snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b1\"}]", DEV);
        CHECK_EQ_U64(sent_gas(&t, p), 21000);
        json_t *tx = test_ok(&t, "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\",\"0x0\"]");
        CHECK(tx && !strcmp(test_str(tx, "type"), cases[i].base_fee ? "0x2" : "0x0"));
        CHECK(tx && (json_object_get(tx, "chainId") != NULL) == cases[i].chain_id);
        /* the coinbase earned 21000 gas at a 1 gwei tip (the gas price
         * before London), no block reward */
        snprintf(p, sizeof p, "[\"%s\",\"latest\"]", COINBASE);
        CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x1319718a5000\""));
        json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
        CHECK(b1 && !strcmp(test_str(b1, "difficulty"), "0x0") &&
              (json_object_get(b1, "baseFeePerGas") != NULL) == cases[i].base_fee);
        /* PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 SSTORE STOP */
        CHECK(test_result_is(&t, "anvil_setCode", "[\"0x00000000000000000000000000000000000000c1\",\"0x6001600055600060005500\"]",
                             "null"));
        snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000c1\",\"gas\":\"0x20000\"}]", DEV);
        CHECK_EQ_U64(sent_gas(&t, p), cases[i].sstore_gas);
        snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b1\",\"maxFeePerGas\":\"0x100000000\"}]", DEV);
        CHECK(test_err(&t, "eth_sendTransaction", p, NULL, 0) == (cases[i].base_fee ? 0 : -32000));
        json_decref(g);
        json_decref(tx);
        json_decref(b1);
        test_node_close(&t);
    }
    /* the rules outlive a restart; other rules are refused */
    test_node t;
    CHECK(open_with_rules(&t, "london") == NULL);
    if (t.n) node_close(t.n);
    node_config again = test_node_config(&t);
    again.dev_hardfork = NULL;
    CHECK(node_open(&again, &t.n) == NULL);
    if (t.n) {
        json_t *g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
        CHECK(g && json_object_get(g, "baseFeePerGas") && !json_object_get(g, "withdrawalsRoot"));
        json_decref(g);
        CHECK(test_err(&t, "eth_call", "[{\"data\":\"0x5f\"},\"latest\"]", NULL, 0) == -32000);
        node_close(t.n);
    }
    t.n = NULL;
    again.dev_hardfork = "berlin";
    const char *err = node_open(&again, &t.n);
    CHECK(err && strstr(err, "other rules") && !t.n);
    again.dev_hardfork = "paris";
    err = node_open(&again, &t.n);
    CHECK(err && strstr(err, "other rules") && !t.n);
    test_remove_tree(t.path);
}

/* Runs of dev edits (each one's index built from the previous edit's)
 * read back as a model of them says, whatever the order: balances set and
 * added to, nonces, code and storage of a few accounts, with blocks mined
 * now and then (they fold the edits in and the run starts again). */
TEST(node_dev_edit_runs) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    enum { N = 5, SLOTS = 3 };
    struct {
        uint64_t balance, nonce, slot[SLOTS];
        unsigned code; /* 0: none, else PUSH1 code STOP */
    } m[N] = {{0}};
    uint64_t rng = 0x5eedULL;
    char p[256], want[128];
    for (int step = 0; step < 240; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned i = (unsigned)(rng >> 33) % N, op = (unsigned)(rng >> 40) % 5, k = (unsigned)(rng >> 50) % SLOTS;
        uint64_t v = (rng >> 20) & 0xffffff;
        char a[43];
        snprintf(a, sizeof a, "0x00000000000000000000000000000000000000e%u", i);
        if (op == 0) snprintf(p, sizeof p, "[\"%s\",\"0x%llx\"]", a, (unsigned long long)v), m[i].balance = v;
        if (op == 1) snprintf(p, sizeof p, "[\"%s\",\"0x%llx\"]", a, (unsigned long long)v), m[i].balance += v;
        if (op == 2) snprintf(p, sizeof p, "[\"%s\",\"0x%llx\"]", a, (unsigned long long)v), m[i].nonce = v;
        if (op == 3) snprintf(p, sizeof p, "[\"%s\",\"0x60%02x00\"]", a, (unsigned)(v & 0xff)), m[i].code = 0x100 | (v & 0xff);
        if (op == 4)
            snprintf(p, sizeof p, "[\"%s\",\"0x%x\",\"0x%064llx\"]", a, k, (unsigned long long)v), m[i].slot[k] = v;
        static const char *const METHOD[] = {"anvil_setBalance", "anvil_addBalance", "anvil_setNonce", "anvil_setCode",
                                             "anvil_setStorageAt"};
        json_t *r = test_ok(&t, METHOD[op], p);
        CHECK(r != NULL);
        json_decref(r);
        if (step % 60 == 59) CHECK(test_result_is(&t, "evm_mine", "[]", "\"0x0\""));
        /* every account, every field */
        for (unsigned j = 0; j < N; j++) {
            snprintf(a, sizeof a, "0x00000000000000000000000000000000000000e%u", j);
            snprintf(p, sizeof p, "[\"%s\",\"latest\"]", a);
            snprintf(want, sizeof want, "\"0x%llx\"", (unsigned long long)m[j].balance);
            CHECK(test_result_is(&t, "eth_getBalance", p, want));
            snprintf(want, sizeof want, "\"0x%llx\"", (unsigned long long)m[j].nonce);
            CHECK(test_result_is(&t, "eth_getTransactionCount", p, want));
            if (m[j].code) snprintf(want, sizeof want, "\"0x60%02x00\"", m[j].code & 0xff);
            else snprintf(want, sizeof want, "\"0x\"");
            CHECK(test_result_is(&t, "eth_getCode", p, want));
            for (unsigned q = 0; q < SLOTS; q++) {
                snprintf(p, sizeof p, "[\"%s\",\"0x%x\",\"latest\"]", a, q);
                snprintf(want, sizeof want, "\"0x%064llx\"", (unsigned long long)m[j].slot[q]);
                CHECK(test_result_is(&t, "eth_getStorageAt", p, want));
            }
        }
    }
    test_node_close(&t);
}

/* Writes name = value into the closed node's store. */
static bool put_record(test_node *t, const char *name, const void *value, size_t len) {
    db *d;
    db_options o = {.existing = true};
    if (db_open(t->path, &o, &d)) return false;
    db_meta m = {name, {value, len}};
    bool ok = db_put_meta(d, &m) == NULL;
    db_close(d);
    return ok;
}

/* The dev records in the store are checked when read: a damaged block
 * record makes that block's methods fail with a store error (the node
 * serves the rest), and a damaged record of unmined edits stops the start
 * with a reason. Never a crash or a wrong answer. */
TEST(node_dev_damaged_records) {
    test_node t;
    CHECK(test_node_open(&t));
    if (!t.n) return;
    const char *S = "0x00000000000000000000000000000000000000a1";
    char p[512];
    snprintf(p, sizeof p, "[\"%s\",\"0xffffffffffffffffffff\"]", S);
    CHECK(test_result_is(&t, "anvil_setBalance", p, "null"));
    snprintf(p, sizeof p, "[\"%s\"]", S);
    CHECK(test_result_is(&t, "anvil_impersonateAccount", p, "null"));
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b1\"}]", S);
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    json_t *b = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    char senders[96], edits[96];
    snprintf(senders, sizeof senders, "dev.senders.%s", b ? test_str(b, "hash") : "?");
    snprintf(edits, sizeof edits, "dev.edits.%s", b ? test_str(b, "hash") : "?");
    node_close(t.n);
    t.n = NULL;
    static const uint8_t short_rec[23] = {0}, far_index[24] = {0, 0, 0, 9}, junk[3] = {0xc3, 0x01, 0x02};
    const struct {
        const char *name;
        const uint8_t *value;
        size_t len;
        const char *method, *params;
    } cases[] = {
        {senders, short_rec, sizeof short_rec, "eth_getBlockByNumber", "[\"0x1\",true]"},
        {senders, far_index, sizeof far_index, "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\",\"0x0\"]"},
        {edits, junk, sizeof junk, "trace_block", "[\"0x1\"]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(put_record(&t, cases[i].name, cases[i].value, cases[i].len));
        CHECK(test_node_reopen(&t));
        if (!t.n) break;
        char msg[200];
        CHECK(test_err(&t, cases[i].method, cases[i].params, msg, sizeof msg) == -32603 && strstr(msg, "damaged"));
        CHECK(test_result_is(&t, "eth_blockNumber", "[]", "\"0x1\""));
        node_close(t.n);
        t.n = NULL;
    }
    /* the unmined edits' record: shorter than a hash, or a damaged set */
    uint8_t pending[40] = {0};
    CHECK(put_record(&t, "dev.pending", pending, 20));
    node_config cfg = test_node_config(&t);
    const char *err = node_open(&cfg, &t.n);
    CHECK(err && strstr(err, "damaged") && !t.n);
    if (b) {
        hex_to_fixed(test_str(b, "hash"), pending, 32);
        pending[32] = 0xc5; /* a list of 5 bytes, only 7 given */
        CHECK(put_record(&t, "dev.pending", pending, 40));
        err = node_open(&cfg, &t.n);
        CHECK(err && strstr(err, "damaged") && !t.n);
    }
    if (t.n) node_close(t.n);
    t.n = NULL;
    json_decref(h);
    json_decref(b);
    test_node_close(&t);
}

/* A dev node on a geth genesis (node_config's dev_genesis, anvil's --init)
 * with cfg's other settings; NULL or why it did not open. */
static const char *open_genesis(test_node *t, node_config cfg, const char *genesis) {
    json_error_t jerr;
    json_t *g = json_loads(genesis, 0, &jerr);
    if (!g) abort();
    cfg.dev_genesis = g;
    t->n = NULL;
    const char *err = node_open(&cfg, &t->n);
    json_decref(g);
    return err;
}

#define GENESIS_ALLOC                                                                                               \
    "\"alloc\":{\"0x00000000000000000000000000000000000000c1\":{\"balance\":\"0x5\",\"code\":\"0x60015460005260206000f3\"," \
    "\"storage\":{\"0x01\":\"0x2a\"}},\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"balance\":\"0x3635c9adc5dea00000\","  \
    "\"nonce\":\"0x3\"}}"

/* --dev.genesis (anvil's --init): the file's chain id, fork schedule (here
 * Cancun at genesis, Prague at a later time), allocation (a contract with
 * storage; a dev account's own balance and nonce) and header fields
 * (timestamp, gas limit, base fee, extra data, coinbase: the mined blocks'
 * until anvil_setCoinbase, again after anvil_reset); the other dev accounts
 * prefunded; the system contracts of the forks the schedule reaches. The
 * settings given win over the file's; a store keeps its genesis; a file
 * without a terminal total difficulty is a clique chain before the Merge
 * (no block reward); a terminal total difficulty above 0, a genesis number
 * other than 0 and a malformed allocation are refused. */
TEST(node_dev_genesis_file) {
    const char *file =
        "{\"config\":{\"chainId\":1337,\"homesteadBlock\":0,\"eip150Block\":0,\"eip155Block\":0,\"eip158Block\":0,"
        "\"byzantiumBlock\":0,\"constantinopleBlock\":0,\"petersburgBlock\":0,\"istanbulBlock\":0,\"berlinBlock\":0,"
        "\"londonBlock\":0,\"terminalTotalDifficulty\":0,\"shanghaiTime\":0,\"cancunTime\":0,\"pragueTime\":4000000000},"
        "\"timestamp\":\"1600000000\",\"gasLimit\":\"0x1312d00\",\"baseFeePerGas\":\"0x1a13b8600\",\"extraData\":\"0x1234\","
        "\"coinbase\":\"0x00000000000000000000000000000000000000cb\"," GENESIS_ALLOC "}";
    const char *DEV0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    test_node t;
    fresh_datadir(&t);
    node_config cfg = test_node_config(&t);
    cfg.dev_genesis_time = 0;
    CHECK(open_genesis(&t, cfg, file) == NULL);
    if (!t.n) {
        test_remove_tree(t.path);
        return;
    }
    CHECK(test_result_is(&t, "eth_chainId", "[]", "\"0x539\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"latest\"]",
                         "\"0x3635c9adc5dea00000\""));
    CHECK(test_result_is(&t, "eth_getTransactionCount", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"latest\"]",
                         "\"0x3\""));
    CHECK(test_result_is(&t, "eth_getBalance", "[\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"latest\"]",
                         "\"0x21e19e0c9bab2400000\""));
    CHECK(test_result_is(&t, "eth_call", "[{\"to\":\"0x00000000000000000000000000000000000000c1\"},\"latest\"]",
                         "\"0x000000000000000000000000000000000000000000000000000000000000002a\""));
    CHECK(test_result_is(&t, "eth_coinbase", "[]", "\"0x00000000000000000000000000000000000000cb\""));
    json_t *c2935 = test_ok(&t, "eth_getCode", "[\"0x0000f90827f1c53a10cb7a02335b175320002935\",\"latest\"]");
    CHECK(c2935 && strlen(json_string_value(c2935)) > 100);
    json_decref(c2935);
    json_t *g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
    CHECK(g && !strcmp(test_str(g, "timestamp"), "0x5f5e1000") && !strcmp(test_str(g, "gasLimit"), "0x1312d00") &&
          !strcmp(test_str(g, "baseFeePerGas"), "0x1a13b8600") && !strcmp(test_str(g, "extraData"), "0x1234") &&
          !strcmp(test_str(g, "miner"), "0x00000000000000000000000000000000000000cb") &&
          json_object_get(g, "parentBeaconBlockRoot") && !json_object_get(g, "requestsHash"));
    char p[256];
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"0x00000000000000000000000000000000000000b1\"}]", DEV0);
    CHECK_EQ_U64(sent_gas(&t, p), 21000);
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(b1 && !strcmp(test_str(b1, "miner"), "0x00000000000000000000000000000000000000cb") &&
          !json_object_get(b1, "requestsHash"));
    /* Prague from its time on */
    CHECK(test_result_is(&t, "evm_setNextBlockTimestamp", "[4000000100]", "null"));
    json_t *mined = test_ok(&t, "evm_mine", "[]");
    CHECK(mined != NULL);
    json_decref(mined);
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(b2 && json_object_get(b2, "requestsHash"));
    CHECK(test_result_is(&t, "anvil_setCoinbase", "[\"0x00000000000000000000000000000000000000cc\"]", "null"));
    CHECK(test_result_is(&t, "anvil_reset", "[]", "null"));
    CHECK(test_result_is(&t, "eth_coinbase", "[]", "\"0x00000000000000000000000000000000000000cb\""));
    json_decref(g);
    json_decref(b1);
    json_decref(b2);
    /* the store keeps its genesis: the same file opens it, so does none,
     * another is refused */
    node_close(t.n);
    CHECK(open_genesis(&t, cfg, file) == NULL);
    if (t.n) node_close(t.n);
    t.n = NULL;
    CHECK(node_open(&cfg, &t.n) == NULL);
    if (t.n) CHECK(test_result_is(&t, "eth_chainId", "[]", "\"0x539\""));
    if (t.n) node_close(t.n);
    node_config other = cfg;
    other.dev_chain_id = 5;
    const char *err = open_genesis(&t, other, file);
    CHECK(err && strstr(err, "another chain") && !t.n);
    test_remove_tree(t.path);

    /* the settings given win: chain id, rules, time, gas limit, base fee */
    fresh_datadir(&t);
    cfg = test_node_config(&t);
    cfg.dev_chain_id = 77;
    cfg.dev_hardfork = "london";
    cfg.dev_gas_limit = 12345678;
    cfg.dev_base_fee = 5000000000ULL;
    cfg.dev_base_fee_set = true;
    CHECK(open_genesis(&t, cfg, file) == NULL);
    if (t.n) {
        CHECK(test_result_is(&t, "eth_chainId", "[]", "\"0x4d\""));
        g = test_ok(&t, "eth_getBlockByNumber", "[\"0x0\",false]");
        CHECK(g && !strcmp(test_str(g, "timestamp"), "0x6553f100") && !strcmp(test_str(g, "gasLimit"), "0xbc614e") &&
              !strcmp(test_str(g, "baseFeePerGas"), "0x12a05f200") && !json_object_get(g, "withdrawalsRoot"));
        json_decref(g);
        CHECK(test_err(&t, "eth_call", "[{\"data\":\"0x5f\"},\"latest\"]", NULL, 0) == -32000);
        CHECK(test_result_is(&t, "eth_blobBaseFee", "[]", "null")); /* before Cancun: none, as geth */
    }
    test_node_close(&t);

    /* no terminal total difficulty: a clique chain, no block reward */
    const char *byzantium =
        "{\"config\":{\"chainId\":9,\"homesteadBlock\":0,\"eip150Block\":0,\"eip155Block\":0,\"eip158Block\":0,"
        "\"byzantiumBlock\":0},\"difficulty\":\"0x20000\",\"coinbase\":\"0x00000000000000000000000000000000000000cb\","
        GENESIS_ALLOC "}";
    fresh_datadir(&t);
    cfg = test_node_config(&t);
    CHECK(open_genesis(&t, cfg, byzantium) == NULL);
    if (t.n) {
        CHECK_EQ_U64(sent_gas(&t, p), 21000);
        CHECK(test_result_is(&t, "eth_getBalance", "[\"0x00000000000000000000000000000000000000cb\",\"latest\"]",
                             "\"0x1319718a5000\""));
        json_t *tx = test_ok(&t, "eth_getTransactionByBlockNumberAndIndex", "[\"0x1\",\"0x0\"]");
        CHECK(tx && !strcmp(test_str(tx, "type"), "0x0") && !strcmp(test_str(tx, "chainId"), "0x9"));
        json_decref(tx);
    }
    test_node_close(&t);

    /* refused: a terminal total difficulty the chain never reaches, a
     * genesis number, an allocation that is not one */
    const char *refused[][2] = {
        {"{\"config\":{\"chainId\":9,\"homesteadBlock\":0,\"terminalTotalDifficulty\":5}}", "terminalTotalDifficulty"},
        {"{\"config\":{\"chainId\":9},\"number\":\"0x1\"}", "genesis"},
        {"{\"config\":{\"chainId\":9},\"alloc\":{\"0x12\":{}}}", "genesis"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        fresh_datadir(&t);
        cfg = test_node_config(&t);
        err = open_genesis(&t, cfg, refused[i][0]);
        CHECK(err && strstr(err, refused[i][1]) && !t.n);
        test_remove_tree(t.path);
    }
}

/* "pending" is the latest state in the next block's context, as anvil and
 * reth run calls: its number and rules. On a chain whose London comes at
 * block 2, with block 1 the head: a call with EIP-1559 fees is refused on
 * the latest block and sees London's initial base fee on the pending one;
 * a transaction sent without a type is filled for the next block (type 2),
 * which doubles the gas limit (EIP-1559's fork block). */
TEST(node_dev_pending_is_next_block) {
    const char *file = "{\"config\":{\"chainId\":1337,\"homesteadBlock\":0,\"eip150Block\":0,\"eip155Block\":0,"
                       "\"eip158Block\":0,\"byzantiumBlock\":0,\"constantinopleBlock\":0,\"petersburgBlock\":0,"
                       "\"istanbulBlock\":0,\"berlinBlock\":0,\"londonBlock\":2},\"gasLimit\":\"0x1c9c380\"}";
    test_node t;
    fresh_datadir(&t);
    CHECK(open_genesis(&t, test_node_config(&t), file) == NULL);
    if (!t.n) {
        test_remove_tree(t.path);
        return;
    }
    json_t *m = test_ok(&t, "evm_mine", "[]");
    json_decref(m);
    /* NUMBER; BASEFEE (with fees, so that the call sees the block's) */
    CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x4360005260206000f3\"},\"latest\"]",
                         "\"0x0000000000000000000000000000000000000000000000000000000000000001\""));
    CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x4360005260206000f3\"},\"pending\"]",
                         "\"0x0000000000000000000000000000000000000000000000000000000000000002\""));
    const char *basefee = "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"data\":\"0x4860005260206000f3\","
                          "\"gas\":\"0x10000\",\"maxFeePerGas\":\"0x77359400\"},\"%s\"]";
    char p[256];
    snprintf(p, sizeof p, basefee, "latest");
    CHECK(test_err(&t, "eth_call", p, NULL, 0) != 0);
    snprintf(p, sizeof p, basefee, "pending");
    CHECK(test_result_is(&t, "eth_call", p, "\"0x000000000000000000000000000000000000000000000000000000003b9aca00\""));
    CHECK_EQ_U64(sent_gas(&t, "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                              "\"to\":\"0x00000000000000000000000000000000000000b1\"}]"),
                 21000);
    json_t *tx = test_ok(&t, "eth_getTransactionByBlockNumberAndIndex", "[\"0x2\",\"0x0\"]");
    CHECK(tx && !strcmp(test_str(tx, "type"), "0x2"));
    json_t *b2 = test_ok(&t, "eth_getBlockByNumber", "[\"0x2\",false]");
    CHECK(b2 && !strcmp(test_str(b2, "baseFeePerGas"), "0x3b9aca00") && !strcmp(test_str(b2, "gasLimit"), "0x3938700"));
    json_decref(tx);
    json_decref(b2);
    test_node_close(&t);
}

/* eth_txGasLimitCap (EIP-8123): 2^24 from Osaka (EIP-7825) with
 * --dev.tx-gas-limit, else the block gas limit (a dev chain lifts the cap
 * as anvil's does), which also bounds it from Osaka on. */
TEST(node_tx_gas_limit_cap) {
    static const struct {
        const char *rules;
        uint64_t gas_limit;
        bool cap;
        const char *want;
    } cases[] = {{NULL, 0, true, "\"0x1000000\""},       {NULL, 0, false, "\"0x1c9c380\""},
                 {"prague", 0, true, "\"0x1c9c380\""},   {"osaka", 5000000, true, "\"0x4c4b40\""},
                 {"osaka", 50000000, false, "\"0x2faf080\""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_node t;
        fresh_datadir(&t);
        node_config cfg = test_node_config(&t);
        cfg.dev_hardfork = cases[i].rules;
        cfg.dev_gas_limit = cases[i].gas_limit;
        cfg.dev_tx_gas_cap = cases[i].cap;
        CHECK(node_open(&cfg, &t.n) == NULL);
        if (t.n) {
            CHECK(test_result_is(&t, "eth_txGasLimitCap", "[]", cases[i].want));
            CHECK(test_err(&t, "eth_txGasLimitCap", "[1]", NULL, 0) == -32602);
        }
        test_node_close(&t);
    }
}

/* Dev mode's pending block (anvil's) with mining off: the pool's two
 * transactions, by tip, on the head in the next block's context. It
 * shows in eth_getBlockByNumber / eth_getBlockTransactionCountByNumber /
 * eth_getHeaderByNumber("pending") (state root zero; the other roots those
 * of the block evm_mine then makes) and in every state read and call at
 * "pending"; "latest" does not see it, and once mined "pending" is an
 * empty block on the new head. */
TEST(node_dev_pending_block) {
    test_node t;
    fresh_datadir(&t);
    node_config cfg = test_node_config(&t);
    cfg.dev_no_mining = true;
    CHECK(node_open(&cfg, &t.n) == NULL);
    if (!t.n) {
        test_remove_tree(t.path);
        return;
    }
    const char *B1 = "0x00000000000000000000000000000000000000b1";
    json_t *h1 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                         "\"to\":\"0x00000000000000000000000000000000000000b1\",\"value\":\"0x7\"}]");
    json_t *h2 = test_ok(&t, "eth_sendTransaction",
                         "[{\"from\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\","
                         "\"to\":\"0x00000000000000000000000000000000000000b1\",\"value\":\"0x9\","
                         "\"maxPriorityFeePerGas\":\"0x77359400\",\"maxFeePerGas\":\"0x174876e800\"}]");
    json_t *pb = test_ok(&t, "eth_getBlockByNumber", "[\"pending\",false]");
    json_t *txs = json_object_get(pb, "transactions");
    CHECK(pb && !strcmp(test_str(pb, "number"), "0x1") && !strcmp(test_str(pb, "gasUsed"), "0xa410") &&
          !strcmp(test_str(pb, "stateRoot"), "0x0000000000000000000000000000000000000000000000000000000000000000"));
    /* the higher tip first */
    CHECK(json_array_size(txs) == 2 && json_equal(json_array_get(txs, 0), h2) && json_equal(json_array_get(txs, 1), h1));
    CHECK(test_result_is(&t, "eth_getBlockTransactionCountByNumber", "[\"pending\"]", "\"0x2\""));
    json_t *ph = test_ok(&t, "eth_getHeaderByNumber", "[\"pending\"]");
    CHECK(ph && pb && !strcmp(test_str(ph, "hash"), test_str(pb, "hash")));
    json_t *full = test_ok(&t, "eth_getBlockByNumber", "[\"pending\",true]");
    json_t *tx0 = json_array_get(json_object_get(full, "transactions"), 0);
    CHECK(tx0 && !strcmp(test_str(tx0, "blockNumber"), "0x1") && !strcmp(test_str(tx0, "transactionIndex"), "0x0"));
    /* by index and its receipts: the same block (geth's miner.Pending) */
    json_t *byi = test_ok(&t, "eth_getTransactionByBlockNumberAndIndex", "[\"pending\",\"0x1\"]");
    CHECK(byi && json_equal(json_object_get(byi, "hash"), h1) && !strcmp(test_str(byi, "blockNumber"), "0x1"));
    json_t *rcs = test_ok(&t, "eth_getBlockReceipts", "[\"pending\"]");
    json_t *rc1 = json_array_get(rcs, 1);
    CHECK(json_array_size(rcs) == 2 && rc1 && json_equal(json_object_get(rc1, "transactionHash"), h1) &&
          !strcmp(test_str(rc1, "cumulativeGasUsed"), "0xa410") && !strcmp(test_str(rc1, "blockNumber"), "0x1"));
    json_decref(byi);
    json_decref(rcs);
    char p[256];
    snprintf(p, sizeof p, "[\"%s\",\"pending\"]", B1);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x10\""));
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", B1);
    CHECK(test_result_is(&t, "eth_getBalance", p, "\"0x0\""));
    /* BALANCE of 0xb1 in a call at pending and at latest */
    CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x60b13160005260206000f3\"},\"pending\"]",
                         "\"0x0000000000000000000000000000000000000000000000000000000000000010\""));
    CHECK(test_result_is(&t, "eth_call", "[{\"data\":\"0x60b13160005260206000f3\"},\"latest\"]",
                         "\"0x0000000000000000000000000000000000000000000000000000000000000000\""));
    CHECK(test_result_is(&t, "eth_getTransactionCount",
                         "[\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"pending\"]", "\"0x1\""));
    /* the block evm_mine makes has the pending block's transactions and roots */
    json_t *m = test_ok(&t, "evm_mine", "[]");
    json_decref(m);
    json_t *b1 = test_ok(&t, "eth_getBlockByNumber", "[\"0x1\",false]");
    CHECK(b1 && pb && !strcmp(test_str(b1, "transactionsRoot"), test_str(pb, "transactionsRoot")) &&
          !strcmp(test_str(b1, "receiptsRoot"), test_str(pb, "receiptsRoot")) &&
          !strcmp(test_str(b1, "gasUsed"), test_str(pb, "gasUsed")) &&
          !strcmp(test_str(b1, "baseFeePerGas"), test_str(pb, "baseFeePerGas")));
    /* with the pool empty, pending is an empty block on the head (anvil's, geth's) */
    json_t *again = test_ok(&t, "eth_getBlockByNumber", "[\"pending\",false]");
    CHECK(again && b1 && !strcmp(test_str(again, "parentHash"), test_str(b1, "hash")) &&
          !strcmp(test_str(again, "number"), "0x2") && json_array_size(json_object_get(again, "transactions")) == 0);
    CHECK(test_result_is(&t, "eth_getBlockTransactionCountByNumber", "[\"pending\"]", "\"0x0\""));
    json_decref(h1);
    json_decref(h2);
    json_decref(pb);
    json_decref(ph);
    json_decref(full);
    json_decref(b1);
    json_decref(again);
    test_node_close(&t);
}
