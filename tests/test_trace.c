/* Tests of the geth-format tracers (src/trace) on small hand-assembled
 * contracts. Every expected trace below was written by hand from the
 * specification (the Yellow Paper's and the EIPs' gas rules, EIP-150's 63/64,
 * EIP-2929's cold/warm costs, EIP-3529's refunds, EIP-7702) and geth's
 * tracer conventions (eth/tracers/logger and native/{call,prestate}.go):
 * none was produced by parevm. The comments give the arithmetic. */
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/state_host.h"
#include "parevm/trace.h"
#include "test.h"
#include "trace/trace_internal.h" /* trace_revert_reason */

/* ---- a small world ---- */

static const uint8_t KEY[32] = {[31] = 1}; /* secret key 1 */
static const uint8_t AUTH_KEY[32] = {[31] = 2};

typedef struct {
    mem_state *s;
    block_env env;
    address sender;
} world;

static address addr_of(uint32_t n) {
    address a = {{0}};
    a.b[16] = (uint8_t)(n >> 24), a.b[17] = (uint8_t)(n >> 16), a.b[18] = (uint8_t)(n >> 8), a.b[19] = (uint8_t)n;
    return a;
}

static void world_init(world *w, fork_id fork) {
    memset(w, 0, sizeof *w);
    w->s = mem_state_new();
    w->env.fork = fork;
    w->env.number = 100;
    w->env.timestamp = 1000;
    w->env.gas_limit = 30000000;
    w->env.coinbase = addr_of(0xc0ffee);
    w->env.chain_id = 1;
    w->env.base_fee = u256_from_u64(7);
    CHECK(tx_address_of_key(KEY, &w->sender));
    u256 bal = u256_from_u64(1000000000000000000ULL);
    mem_state_set_account(w->s, &w->sender, &bal, 0, NULL, 0);
}

static void put(world *w, address a, const char *code_hex, uint64_t balance) {
    uint8_t code[512];
    long n = hex_decode(code_hex, code, sizeof code);
    CHECK(n >= 0);
    u256 b = u256_from_u64(balance);
    mem_state_set_account(w->s, &a, &b, 0, code, n < 0 ? 0 : (size_t)n);
}

static void put_slot(world *w, address a, uint64_t key, uint64_t val) {
    u256 k = u256_from_u64(key), v = u256_from_u64(val);
    mem_state_set_storage(w->s, &a, &k, &v);
}

/* A signed legacy transaction (gas price 10) from the world's sender. */
static transaction make_tx(world *w, address to, uint64_t gas, uint64_t value, uint64_t nonce) {
    transaction tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TX_LEGACY;
    tx.nonce = nonce;
    tx.gas_price = u256_from_u64(10);
    tx.gas_limit = gas;
    tx.has_to = true;
    tx.to = to;
    tx.value = u256_from_u64(value);
    CHECK(tx_sign(&tx, KEY));
    return tx;
}

static json_t *trace(world *w, const char *config, const transaction *tx, change_set *changes) {
    json_t *cj = json_loads(config, 0, NULL);
    CHECK(cj != NULL);
    trace_config cfg;
    char err[256] = "";
    CHECK(trace_config_parse(cj, &cfg, err, sizeof err));
    json_decref(cj);
    executor *ex = executor_new();
    json_t *out = trace_tx_on(&cfg, ex, &w->env, mem_state_view(w->s), mem_state_codes(w->s), tx, 0, 0, false, NULL,
                              err, sizeof err);
    if (!out) fprintf(stderr, "  trace failed: %s\n", err);
    if (changes) {
        const change_set *cs = executor_changes(ex);
        change_set_append(changes, cs, cs->n_accounts);
    }
    executor_free(ex);
    return out;
}

/* got must be exactly want (compact JSON, keys in geth's order). */
static void check_text(json_t *got, const char *want) {
    CHECK(got != NULL);
    if (!got) return;
    json_t *w = json_loads(want, 0, NULL);
    CHECK(w != NULL);
    char *a = trace_dumps(got), *b = w ? trace_dumps(w) : strdup("(bad expected JSON)");
    if (strcmp(a, b)) {
        fprintf(stderr, "  got:  %s\n  want: %s\n", a, b);
        test_failed_checks++;
    }
    free(a);
    free(b);
    json_decref(w);
}

static char *hexs(const void *p, size_t n) {
    char *s = malloc(2 * n + 3);
    hex_encode(p, n, s);
    return s;
}

static char *addr_hex(address a) { return hexs(a.b, 20); }

/* ---- the opcode logger ---- */

/* One expected structLog: stack items comma-separated; extra is JSON that
 * follows "stack" (storage, refund). */
typedef struct {
    uint64_t pc;
    const char *op;
    int64_t gas, cost;
    int depth;
    const char *error, *stack, *extra;
} step_exp;

static char *struct_logs_text(const step_exp *e, size_t n) {
    buf_t b = {0};
    buf_append(&b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        char head[256];
        int k = snprintf(head, sizeof head, "%s{\"pc\":%llu,\"op\":\"%s\",\"gas\":%lld,\"gasCost\":%lld,\"depth\":%d",
                         i ? "," : "", (unsigned long long)e[i].pc, e[i].op, (long long)e[i].gas,
                         (long long)e[i].cost, e[i].depth);
        buf_append(&b, head, (size_t)k);
        if (e[i].error) {
            k = snprintf(head, sizeof head, ",\"error\":\"%s\"", e[i].error);
            buf_append(&b, head, (size_t)k);
        }
        buf_append(&b, ",\"stack\":[", 10);
        const char *s = e[i].stack;
        bool first = true;
        while (s && *s) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (!first) buf_append(&b, ",", 1);
            buf_append(&b, "\"", 1);
            buf_append(&b, s, len);
            buf_append(&b, "\"", 1);
            first = false;
            s += len + (end ? 1 : 0);
        }
        buf_append(&b, "]", 1);
        if (e[i].extra) {
            buf_append(&b, ",", 1);
            buf_append(&b, e[i].extra, strlen(e[i].extra));
        }
        buf_append(&b, "}", 1);
    }
    buf_append(&b, "]", 2); /* with the NUL */
    return (char *)b.data;
}

static void check_struct(json_t *got, uint64_t gas, bool failed, const char *ret, const step_exp *e, size_t n) {
    char *logs = struct_logs_text(e, n);
    size_t len = strlen(logs) + 200;
    char *want = malloc(len);
    snprintf(want, len, "{\"gas\":%llu,\"failed\":%s,\"returnValue\":\"%s\",\"structLogs\":%s}",
             (unsigned long long)gas, failed ? "true" : "false", ret, logs);
    check_text(got, want);
    free(want);
    free(logs);
}

/* C calls T with 50000 gas; T reverts with Error("nope"). */
static const char *REVERT_NOPE = "6308c379a060e01b60005260206004526004602452636e6f706560e01b60445260646000fd";
static const char *NOPE_DATA =
    "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000"
    "000000000000000000000000000046e6f706500000000000000000000000000000000000000000000000000000000";

static void revert_world(world *w, address *c, address *t) {
    world_init(w, FORK_CANCUN);
    *t = addr_of(0x7100), *c = addr_of(0xc100);
    put(w, *t, REVERT_NOPE, 0);
    /* PUSH1 0 x5, PUSH20 T, PUSH2 0xc350, CALL, PUSH1 0, SSTORE, STOP */
    put(w, *c, "60006000600060006000730000000000000000000000000000000000007100" "61c350f1600055" "00", 0);
}

TEST(struct_logs_of_a_call_that_reverts) {
    world w;
    address c, t;
    revert_world(&w, &c, &t);
    transaction tx = make_tx(&w, c, 100000, 0, 0);
    json_t *got = trace(&w, "{}", &tx, NULL);
    /* 79000 after the intrinsic 21000. CALL: 100 warm + 2500 cold + the
     * 50000 handed over = 52600. T: 14 pushes/SHLs at 3, four MSTOREs at 3 +
     * 3 for one new word each, REVERT within memory: 66 used, 49934 back.
     * Then 78979 - 52600 + 49934 = 76313; SSTORE of 0 into a clean cold zero
     * slot: 2100 + 100. Used 100000 - (76310 - 2200) = 25890. */
    static const step_exp e[] = {
        {0, "PUSH1", 79000, 3, 1, NULL, "", NULL},
        {2, "PUSH1", 78997, 3, 1, NULL, "0x0", NULL},
        {4, "PUSH1", 78994, 3, 1, NULL, "0x0,0x0", NULL},
        {6, "PUSH1", 78991, 3, 1, NULL, "0x0,0x0,0x0", NULL},
        {8, "PUSH1", 78988, 3, 1, NULL, "0x0,0x0,0x0,0x0", NULL},
        {10, "PUSH20", 78985, 3, 1, NULL, "0x0,0x0,0x0,0x0,0x0", NULL},
        {31, "PUSH2", 78982, 3, 1, NULL, "0x0,0x0,0x0,0x0,0x0,0x7100", NULL},
        {34, "CALL", 78979, 52600, 1, NULL, "0x0,0x0,0x0,0x0,0x0,0x7100,0xc350", NULL},
        {0, "PUSH4", 50000, 3, 2, NULL, "", NULL},
        {5, "PUSH1", 49997, 3, 2, NULL, "0x8c379a0", NULL},
        {7, "SHL", 49994, 3, 2, NULL, "0x8c379a0,0xe0", NULL},
        {8, "PUSH1", 49991, 3, 2, NULL, "0x8c379a000000000000000000000000000000000000000000000000000000000", NULL},
        {10, "MSTORE", 49988, 6, 2, NULL, "0x8c379a000000000000000000000000000000000000000000000000000000000,0x0", NULL},
        {11, "PUSH1", 49982, 3, 2, NULL, "", NULL},
        {13, "PUSH1", 49979, 3, 2, NULL, "0x20", NULL},
        {15, "MSTORE", 49976, 6, 2, NULL, "0x20,0x4", NULL},
        {16, "PUSH1", 49970, 3, 2, NULL, "", NULL},
        {18, "PUSH1", 49967, 3, 2, NULL, "0x4", NULL},
        {20, "MSTORE", 49964, 6, 2, NULL, "0x4,0x24", NULL},
        {21, "PUSH4", 49958, 3, 2, NULL, "", NULL},
        {26, "PUSH1", 49955, 3, 2, NULL, "0x6e6f7065", NULL},
        {28, "SHL", 49952, 3, 2, NULL, "0x6e6f7065,0xe0", NULL},
        {29, "PUSH1", 49949, 3, 2, NULL, "0x6e6f706500000000000000000000000000000000000000000000000000000000", NULL},
        {31, "MSTORE", 49946, 6, 2, NULL, "0x6e6f706500000000000000000000000000000000000000000000000000000000,0x44", NULL},
        {32, "PUSH1", 49940, 3, 2, NULL, "", NULL},
        {34, "PUSH1", 49937, 3, 2, NULL, "0x64", NULL},
        {36, "REVERT", 49934, 0, 2, NULL, "0x64,0x0", NULL},
        {35, "PUSH1", 76313, 3, 1, NULL, "0x0", NULL},
        {37, "SSTORE", 76310, 2200, 1, NULL, "0x0,0x0",
         "\"storage\":{\"0x0000000000000000000000000000000000000000000000000000000000000000\":"
         "\"0x0000000000000000000000000000000000000000000000000000000000000000\"}"},
        {38, "STOP", 74110, 0, 1, NULL, "", NULL},
    };
    check_struct(got, 25890, false, "0x", e, sizeof e / sizeof e[0]);
    json_decref(got);
    mem_state_free(w.s);
}

TEST(call_tracer_revert_reason) {
    world w;
    address c, t;
    revert_world(&w, &c, &t);
    transaction tx = make_tx(&w, c, 100000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    char *s = addr_hex(w.sender), *ch = addr_hex(c), *th = addr_hex(t), want[1200];
    /* the top frame's gas is the transaction's, gasUsed the receipt's
     * (25890 = 0x6522); T used 66 = 0x42 of 0xc350 */
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x186a0\",\"gasUsed\":\"0x6522\",\"to\":\"%s\",\"input\":\"0x\","
             "\"calls\":[{\"from\":\"%s\",\"gas\":\"0xc350\",\"gasUsed\":\"0x42\",\"to\":\"%s\",\"input\":\"0x\","
             "\"output\":\"%s\",\"error\":\"execution reverted\",\"revertReason\":\"nope\",\"value\":\"0x0\","
             "\"type\":\"CALL\"}],\"value\":\"0x0\",\"type\":\"CALL\"}",
             s, ch, ch, th, NOPE_DATA); /* geth's order: output, error, revertReason */
    check_text(got, want);
    json_decref(got);
    /* onlyTopCall: the same top frame without its calls */
    got = trace(&w, "{\"tracer\":\"callTracer\",\"tracerConfig\":{\"onlyTopCall\":true}}", &tx, NULL);
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x186a0\",\"gasUsed\":\"0x6522\",\"to\":\"%s\",\"input\":\"0x\","
             "\"value\":\"0x0\",\"type\":\"CALL\"}",
             s, ch);
    check_text(got, want);
    json_decref(got);
    free(s), free(ch), free(th);
    mem_state_free(w.s);
}

/* F: CREATE2 of init code 602a60005260206000f3 (returns 32 bytes ...2a)
 * with salt 1, then stores the new address in slot 0. */
static const char *INIT = "602a60005260206000f3";

static address create2_world(world *w, address *f) {
    world_init(w, FORK_CANCUN);
    *f = addr_of(0xf100);
    /* PUSH10 init, PUSH1 0, MSTORE, PUSH1 1, PUSH1 10, PUSH1 22, PUSH1 0, CREATE2, PUSH1 0, SSTORE, STOP */
    put(w, *f, "69602a60005260206000f3600052600160" "0a6016" "6000f560005500", 0);
    uint8_t init[10];
    hex_decode(INIT, init, sizeof init);
    bytes32 salt = {{[31] = 1}};
    return create2_address(f, &salt, init, sizeof init);
}

TEST(call_tracer_create2) {
    world w;
    address f;
    address made = create2_world(&w, &f);
    transaction tx = make_tx(&w, f, 200000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* 179000 at the start; after the push/MSTORE prologue CREATE2 runs with
     * 178976: 32000 + 6 (hash, one word) + 2 (EIP-3860, one word) = 32008;
     * the init code gets 146968 - 146968/64 = 144672 = 0x23520 and uses 18
     * plus the 6400 deposit of 32 bytes = 6418 = 0x1912. Back with 140550,
     * SSTORE of a new non-zero slot 22100: 200000 - 118447 = 81553. */
    char *s = addr_hex(w.sender), *fh = addr_hex(f), *mh = addr_hex(made), want[1200];
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x30d40\",\"gasUsed\":\"0x13e91\",\"to\":\"%s\",\"input\":\"0x\","
             "\"calls\":[{\"from\":\"%s\",\"gas\":\"0x23520\",\"gasUsed\":\"0x1912\",\"to\":\"%s\",\"input\":\"0x%s\","
             "\"output\":\"0x000000000000000000000000000000000000000000000000000000000000002a\",\"value\":\"0x0\","
             "\"type\":\"CREATE2\"}],\"value\":\"0x0\",\"type\":\"CALL\"}",
             s, fh, fh, mh, INIT);
    check_text(got, want);
    json_decref(got);
    free(s), free(fh), free(mh);
    mem_state_free(w.s);
}

TEST(prestate_and_diff_of_a_create2) {
    world w;
    address f;
    address made = create2_world(&w, &f);
    transaction tx = make_tx(&w, f, 200000, 0, 0);
    change_set cs = {0};
    json_t *pre = trace(&w, "{\"tracer\":\"prestateTracer\"}", &tx, NULL);
    json_t *diff = trace(&w, "{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true}}", &tx, &cs);
    uint8_t fcode[64];
    long fn = hex_decode("69602a60005260206000f3600052600160" "0a6016" "6000f560005500", fcode, sizeof fcode);
    bytes32 fhash = keccak256_hash(fcode, (size_t)fn);
    uint8_t made_code[32] = {[31] = 0x2a};
    bytes32 mhash = keccak256_hash(made_code, 32);
    char *s = addr_hex(w.sender), *fh = addr_hex(f), *mh = addr_hex(made), *fc = hexs(fcode, (size_t)fn),
         *fhh = hexs(fhash.b, 32), *mhh = hexs(mhash.b, 32), *cb = addr_hex(w.env.coinbase), want[2000];
    /* pre: the sender (nonce 0 omitted), F with its slot 0 read by SSTORE;
     * the coinbase and the new address were empty and are left out */
    json_t *w1 = json_object();
    json_object_set_new(w1, s, json_pack("{s:s}", "balance", "0xde0b6b3a7640000"));
    json_object_set_new(w1, fh, json_pack("{s:s,s:s,s:s,s:{s:s}}", "balance", "0x0", "code", fc, "codeHash", fhh,
                                          "storage", "0x0000000000000000000000000000000000000000000000000000000000000000",
                                          "0x0000000000000000000000000000000000000000000000000000000000000000"));
    CHECK(json_equal(pre, w1));
    /* diffMode: gasUsed 81553 at 10 wei (tip 3 over the base fee 7); F's
     * nonce goes to 1 with its CREATE2 */
    u256 spent = u256_from_u64(815530), start = u256_from_u64(1000000000000000000ULL);
    u256 left = u256_sub(&start, &spent), tip = u256_from_u64(3 * 81553);
    char lh[67], th[67], made_word[67];
    u256_to_hex(&left, lh);
    u256_to_hex(&tip, th);
    u256 mw = u256_from_address(&made);
    bytes32 mwb = u256_to_bytes32(&mw);
    hex_encode(mwb.b, 32, made_word);
    char *mc = hexs(made_code, 32);
    snprintf(want, sizeof want,
             "{\"post\":{\"%s\":{\"balance\":\"%s\",\"nonce\":1},\"%s\":{\"nonce\":1,\"storage\":{"
             "\"0x0000000000000000000000000000000000000000000000000000000000000000\":\"%s\"}},"
             "\"%s\":{\"code\":\"%s\",\"codeHash\":\"%s\",\"nonce\":1},\"%s\":{\"balance\":\"%s\"}},"
             "\"pre\":{\"%s\":{\"balance\":\"0xde0b6b3a7640000\"},\"%s\":{\"balance\":\"0x0\",\"code\":\"%s\","
             "\"codeHash\":\"%s\"}}}",
             s, lh, fh, made_word, mh, mc, mhh, cb, th, s, fh, fc, fhh);
    json_t *w2 = json_loads(want, 0, NULL);
    CHECK(w2 && json_equal(diff, w2));
    if (w2 && !json_equal(diff, w2)) {
        char *a = trace_dumps(diff);
        fprintf(stderr, "  got:  %s\n  want: %s\n", a, want);
        free(a);
    }
    /* and each post entry is what the change set says */
    size_t checked = 0;
    for (size_t i = 0; i < cs.n_accounts; i++) {
        char *ah = addr_hex(cs.accounts[i].addr);
        json_t *p = json_object_get(json_object_get(diff, "post"), ah);
        if (cs.accounts[i].flags & CHANGE_NONCE) {
            CHECK(p && (uint64_t)json_integer_value(json_object_get(p, "nonce")) == cs.accounts[i].nonce);
            checked++;
        }
        for (uint32_t k = 0; k < cs.accounts[i].n_slots; k++) {
            const slot_change *sc = &cs.slots[cs.accounts[i].first_slot + k];
            bytes32 kb = u256_to_bytes32(&sc->key), vb = u256_to_bytes32(&sc->value);
            char kh[67], vh[67];
            hex_encode(kb.b, 32, kh);
            hex_encode(vb.b, 32, vh);
            const char *got_v = json_string_value(json_object_get(json_object_get(p, "storage"), kh));
            CHECK(got_v && !strcmp(got_v, vh));
            checked++;
        }
        free(ah);
    }
    CHECK(checked == 4); /* the nonces of the sender, F (CREATE2) and the new contract; F's slot */
    json_decref(w1), json_decref(w2), json_decref(pre), json_decref(diff);
    free(s), free(fh), free(mh), free(fc), free(fhh), free(mhh), free(cb), free(mc);
    change_set_free(&cs);
    mem_state_free(w.s);
}

/* A contract-creating transaction of init code (hex). */
static transaction make_create_tx(world *w, const char *init_hex, uint64_t gas, uint8_t *buf) {
    transaction tx = make_tx(w, addr_of(0), gas, 0, 0);
    tx.has_to = false;
    long n = hex_decode(init_hex, buf, 64);
    tx.data = buf;
    tx.data_len = n < 0 ? 0 : (size_t)n;
    CHECK(tx_sign(&tx, KEY));
    return tx;
}

TEST(call_tracer_top_level_creations) {
    world w;
    world_init(&w, FORK_CANCUN);
    uint8_t data[64];
    transaction tx = make_create_tx(&w, INIT, 200000, data);
    address made = create_address(&w.sender, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* intrinsic 53000 + 8 non-zero bytes * 16 + 2 zero bytes * 4 + one
     * initcode word * 2 = 53138; the init code 18 and the deposit 6400:
     * 59556 = 0xe8a4 */
    char *s = addr_hex(w.sender), *mh = addr_hex(made), want[900];
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x30d40\",\"gasUsed\":\"0xe8a4\",\"to\":\"%s\",\"input\":\"0x%s\","
             "\"output\":\"0x000000000000000000000000000000000000000000000000000000000000002a\",\"value\":\"0x0\","
             "\"type\":\"CREATE\"}",
             s, mh, INIT);
    check_text(got, want);
    json_decref(got);
    /* a creation that reverts has no "to" and, reverting with no data, no
     * output: 53000 + 3 non-zero * 16 + 2 zero * 4 + 2 + 6 = 53064 */
    tx = make_create_tx(&w, "60006000fd", 200000, data);
    got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x30d40\",\"gasUsed\":\"0xcf48\",\"input\":\"0x60006000fd\","
             "\"error\":\"execution reverted\",\"value\":\"0x0\",\"type\":\"CREATE\"}",
             s);
    check_text(got, want);
    json_decref(got);
    free(s), free(mh);
    mem_state_free(w.s);
}

TEST(call_tracer_delegatecall_keeps_the_value) {
    world w;
    world_init(&w, FORK_CANCUN);
    address d = addr_of(0xd100), lib = addr_of(0x1100);
    /* LIB: CALLER PUSH1 1 SSTORE PUSH1 0xab PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN */
    put(&w, lib, "336001556" "0ab60005260206000f3", 0);
    /* D: PUSH1 0 x4, PUSH20 LIB, PUSH3 100000, DELEGATECALL, PUSH1 0, SSTORE, STOP */
    put(&w, d, "600060006000600073000000000000000000000000000000000000110062" "0186a0f4600055" "00", 0);
    transaction tx = make_tx(&w, d, 200000, 5, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* DELEGATECALL at 178982: 2600 + 100000. LIB: 2 + 3 + 22100 (D's cold
     * new slot 1) + 3 + 3 + 6 + 3 + 3 = 22123 = 0x566b. D goes on with
     * 154259, 3 + 22100 for slot 0: used 200000 - 132156 = 67844 = 0x10904.
     * The DELEGATECALL frame carries D's call value (5) as geth reports it. */
    char *s = addr_hex(w.sender), *dh = addr_hex(d), *lh = addr_hex(lib), want[1200];
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x30d40\",\"gasUsed\":\"0x10904\",\"to\":\"%s\",\"input\":\"0x\","
             "\"calls\":[{\"from\":\"%s\",\"gas\":\"0x186a0\",\"gasUsed\":\"0x566b\",\"to\":\"%s\",\"input\":\"0x\","
             "\"output\":\"0x00000000000000000000000000000000000000000000000000000000000000ab\",\"value\":\"0x5\","
             "\"type\":\"DELEGATECALL\"}],\"value\":\"0x5\",\"type\":\"CALL\"}",
             s, dh, dh, lh);
    check_text(got, want);
    json_decref(got);
    free(s), free(dh), free(lh);
    mem_state_free(w.s);
}

TEST(call_tracer_selfdestruct) {
    world w;
    world_init(&w, FORK_CANCUN);
    address x = addr_of(0xde00), b = addr_of(0xbe00);
    put(&w, x, "73000000000000000000000000000000000000be00ff", 1000); /* PUSH20 B SELFDESTRUCT */
    transaction tx = make_tx(&w, x, 100000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* 21000 + 3 + SELFDESTRUCT 5000 + 2600 (cold B) + 25000 (B is empty and
     * 1000 wei move) = 53603 = 0xd163; the SELFDESTRUCT frame has gas 0 and
     * carries the balance */
    char *s = addr_hex(w.sender), *xh = addr_hex(x), *bh = addr_hex(b), want[1200];
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x186a0\",\"gasUsed\":\"0xd163\",\"to\":\"%s\",\"input\":\"0x\","
             "\"calls\":[{\"from\":\"%s\",\"gas\":\"0x0\",\"gasUsed\":\"0x0\",\"to\":\"%s\",\"input\":\"0x\","
             "\"value\":\"0x3e8\",\"type\":\"SELFDESTRUCT\"}],\"value\":\"0x0\",\"type\":\"CALL\"}",
             s, xh, xh, bh);
    check_text(got, want);
    json_decref(got);
    /* diffMode: from Cancun the account is not deleted (not created in the
     * transaction): its balance goes to 0, B's to 1000 */
    json_t *diff = trace(&w, "{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true}}", &tx, NULL);
    json_t *post = json_object_get(diff, "post");
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(post, xh), "balance")), "0x0"));
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(post, bh), "balance")), "0x3e8"));
    CHECK(json_object_get(json_object_get(diff, "pre"), xh) != NULL);
    CHECK(json_object_get(json_object_get(diff, "pre"), bh) == NULL); /* empty before */
    json_decref(diff);
    free(s), free(xh), free(bh);
    mem_state_free(w.s);
}

TEST(call_tracer_logs_with_positions) {
    world w;
    world_init(&w, FORK_CANCUN);
    address lg = addr_of(0x1000), lr = addr_of(0x1001);
    /* LR: MSTORE 0x77 at 0, LOG0 of 32 bytes, REVERT(0, 0) */
    put(&w, lr, "6077600052" "60206000a0" "60006000fd", 0);
    /* LG: MSTORE 0xdeadbeef at 0; LOG2(28, 4, 0xbb, 0xaa); CALL LR; POP; LOG0(0, 32); STOP */
    put(&w, lg, "63deadbeef600052" "60aa60bb6004601ca2" "600060006000600060007300000000000000000000000000000000000010016175" "30f150"
                "60206000a0" "00", 0);
    transaction tx = make_tx(&w, lg, 100000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\",\"tracerConfig\":{\"withLog\":true}}", &tx, NULL);
    /* LG: 3+3+6 (MSTORE), 4 pushes 12, LOG2 375 + 2*375 + 8*4 = 1157,
     * 7 pushes 21, CALL 2600 + 30000 handed; LR: 3+3+6, 3+3 + LOG0 375+256 =
     * 649, 3+3+0 REVERT = 655 = 0x28f used; back 30000-655 returned; POP 2;
     * 3+3 + LOG0 631; STOP: 79000 - (12+12+1157+21+2600+655+2+6+631) = ...
     * gasUsed 21000 + 5096 = 26096 = 0x65f0. The reverted frame's log is
     * gone; the second log of LG is the block's log 1 (the reverted one
     * never counted) and comes after one call (position 1). */
    char *s = addr_hex(w.sender), *gh = addr_hex(lg), *rh = addr_hex(lr), want[2000];
    snprintf(want, sizeof want,
             "{\"from\":\"%s\",\"gas\":\"0x186a0\",\"gasUsed\":\"0x65f0\",\"to\":\"%s\",\"input\":\"0x\","
             "\"calls\":[{\"from\":\"%s\",\"gas\":\"0x7530\",\"gasUsed\":\"0x28f\",\"to\":\"%s\",\"input\":\"0x\","
             "\"error\":\"execution reverted\",\"value\":\"0x0\",\"type\":\"CALL\"}],"
             "\"logs\":[{\"address\":\"%s\",\"topics\":[\"0x00000000000000000000000000000000000000000000000000000000000000bb\","
             "\"0x00000000000000000000000000000000000000000000000000000000000000aa\"],\"data\":\"0xdeadbeef\","
             "\"index\":\"0x0\",\"position\":\"0x0\"},{\"address\":\"%s\",\"topics\":[],"
             "\"data\":\"0x00000000000000000000000000000000000000000000000000000000deadbeef\",\"index\":\"0x1\","
             "\"position\":\"0x1\"}],\"value\":\"0x0\",\"type\":\"CALL\"}",
             s, gh, gh, rh, gh, gh);
    check_text(got, want);
    json_decref(got);
    free(s), free(gh), free(rh);
    mem_state_free(w.s);
}

TEST(struct_logs_sstore_refunds) {
    world w;
    world_init(&w, FORK_CANCUN);
    address r = addr_of(0x5500);
    /* slot1 5 -> 0, slot2 0 -> 7 -> 0, slot3 4 -> 9 */
    put(&w, r, "6000600155" "6007600255" "6000600255" "6009600355" "00", 0);
    put_slot(&w, r, 1, 5);
    put_slot(&w, r, 3, 4);
    transaction tx = make_tx(&w, r, 100000, 0, 0);
    json_t *got = trace(&w, "{}", &tx, NULL);
    /* EIP-2929/3529: clearing a clean slot: 2100 + 2900, refund 4800; a new
     * slot 22100; writing its original 0 back: 100, refund 20000 - 100 =
     * 19900; a clean non-zero slot 2100 + 2900. geth shows the refund
     * counter after the instruction's gas rules: the SSTORE's own refund is
     * on its entry. Used 53224, refund capped at a fifth: 10644 -> 42580. */
#define W(x) "\"0x000000000000000000000000000000000000000000000000000000000000000" #x "\""
    static const step_exp e[] = {
        {0, "PUSH1", 79000, 3, 1, NULL, "", NULL},
        {2, "PUSH1", 78997, 3, 1, NULL, "0x0", NULL},
        {4, "SSTORE", 78994, 5000, 1, NULL, "0x0,0x1", "\"storage\":{" W(1) ":" W(0) "},\"refund\":4800"},
        {5, "PUSH1", 73994, 3, 1, NULL, "", "\"refund\":4800"},
        {7, "PUSH1", 73991, 3, 1, NULL, "0x7", "\"refund\":4800"},
        {9, "SSTORE", 73988, 22100, 1, NULL, "0x7,0x2", "\"storage\":{" W(1) ":" W(0) "," W(2) ":" W(7) "},\"refund\":4800"},
        {10, "PUSH1", 51888, 3, 1, NULL, "", "\"refund\":4800"},
        {12, "PUSH1", 51885, 3, 1, NULL, "0x0", "\"refund\":4800"},
        {14, "SSTORE", 51882, 100, 1, NULL, "0x0,0x2", "\"storage\":{" W(1) ":" W(0) "," W(2) ":" W(0) "},\"refund\":24700"},
        {15, "PUSH1", 51782, 3, 1, NULL, "", "\"refund\":24700"},
        {17, "PUSH1", 51779, 3, 1, NULL, "0x9", "\"refund\":24700"},
        {19, "SSTORE", 51776, 5000, 1, NULL, "0x9,0x3",
         "\"storage\":{" W(1) ":" W(0) "," W(2) ":" W(0) "," W(3) ":" W(9) "},\"refund\":24700"},
        {20, "STOP", 46776, 0, 1, NULL, "", "\"refund\":24700"},
    };
#undef W
    check_struct(got, 42580, false, "0x", e, sizeof e / sizeof e[0]);
    json_decref(got);
    /* disableStack and disableStorage drop those fields */
    got = trace(&w, "{\"disableStack\":true,\"disableStorage\":true}", &tx, NULL);
    json_t *third = json_array_get(json_object_get(got, "structLogs"), 2);
    CHECK(third && !json_object_get(third, "stack") && !json_object_get(third, "storage"));
    CHECK(json_integer_value(json_object_get(third, "refund")) == 4800);
    json_decref(got);
    mem_state_free(w.s);
}

/* MSTORE 0x1234 at 0; STATICCALL sha256(mem[0..32]) -> mem[32..64]; CALL
 * identity(mem[32..64]) -> mem[64..96]; RETURN mem[0..64] */
static const char PRECOMPILE_CALLER[] =
    "611234600052" "60206020602060006002" "61fffffa50" "602060406020602060006004" "61fffff150" "60406000f3";

TEST(call_tracer_precompile_calls) {
    world w;
    world_init(&w, FORK_CANCUN);
    address p = addr_of(0x0200);
    put(&w, p, PRECOMPILE_CALLER, 0);
    transaction tx = make_tx(&w, p, 200000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* precompiles are warm (EIP-2929); each gets 0xffff. sha256: 60 + 12
     * per word = 72 = 0x48; identity: 15 + 3 = 18 = 0x12. STATICCALL has no
     * value. The sha256 of 0x00..1234 (32 bytes) is 730e0397...0eea32. */
    static const char *H = "0x730e03974dc00b82b4d4c914b1c59f088d0a6472e8ed592970d384b8e80eea32";
    json_t *calls = json_object_get(got, "calls");
    CHECK(json_array_size(calls) == 2);
    char want[900];
    snprintf(want, sizeof want,
             "{\"from\":\"0x0000000000000000000000000000000000000200\",\"gas\":\"0xffff\",\"gasUsed\":\"0x48\","
             "\"to\":\"0x0000000000000000000000000000000000000002\","
             "\"input\":\"0x0000000000000000000000000000000000000000000000000000000000001234\",\"output\":\"%s\","
             "\"type\":\"STATICCALL\"}",
             H);
    check_text(json_array_get(calls, 0), want);
    snprintf(want, sizeof want,
             "{\"from\":\"0x0000000000000000000000000000000000000200\",\"gas\":\"0xffff\",\"gasUsed\":\"0x12\","
             "\"to\":\"0x0000000000000000000000000000000000000004\",\"input\":\"%s\",\"output\":\"%s\","
             "\"value\":\"0x0\",\"type\":\"CALL\"}",
             H, H);
    check_text(json_array_get(calls, 1), want);
    json_decref(got);
    mem_state_free(w.s);
}

/* flatCallTracer and 4byteTracer over callTracer's tree: precompile calls
 * dropped unless asked for, inner STATICCALLs valued 0, traceAddress and
 * subtraces, and a 4-byte count that skips precompiles. */
TEST(flat_and_4byte_tracers_over_precompile_calls) {
    world w;
    world_init(&w, FORK_CANCUN);
    address p = addr_of(0x0200);
    put(&w, p, PRECOMPILE_CALLER, 0);
    transaction tx = make_tx(&w, p, 200000, 0, 0);
    uint8_t data[6] = {0x12, 0x34, 0x56, 0x78, 0xaa, 0xbb};
    tx.data = data;
    tx.data_len = sizeof data;
    CHECK(tx_sign(&tx, KEY));
    json_t *calls = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    const char *gas_used = json_string_value(json_object_get(calls, "gasUsed"));
    char *from = addr_hex(w.sender), want[2400];
    json_t *flat = trace(&w, "{\"tracer\":\"flatCallTracer\"}", &tx, NULL);
    snprintf(want, sizeof want,
             "[{\"action\":{\"callType\":\"call\",\"from\":\"%s\",\"gas\":\"0x30d40\",\"input\":\"0x12345678aabb\","
             "\"to\":\"0x0000000000000000000000000000000000000200\",\"value\":\"0x0\"},\"blockHash\":null,"
             "\"blockNumber\":0,\"result\":{\"gasUsed\":\"%s\",\"output\":\"0x%064x%064x\"},\"subtraces\":0,"
             "\"traceAddress\":[],\"transactionHash\":null,\"transactionPosition\":0,\"type\":\"call\"}]",
             from, gas_used ? gas_used : "?", 0, 0);
    /* the output is mem[0..64]: 0x1234 then sha256's digest */
    json_t *out = json_object_get(json_object_get(json_array_get(flat, 0), "result"), "output");
    CHECK(json_string_length(out) == 130 && !strncmp(json_string_value(out) + 62, "1234", 4));
    if (json_string_length(out) == 130) memcpy(strstr(want, "\"output\":\"") + 10, json_string_value(out), 130);
    check_text(flat, want);
    json_decref(flat);
    flat = trace(&w, "{\"tracer\":\"flatCallTracer\",\"tracerConfig\":{\"includePrecompiles\":true}}", &tx, NULL);
    CHECK(json_array_size(flat) == 3);
    CHECK(json_integer_value(json_object_get(json_array_get(flat, 0), "subtraces")) == 2);
    json_t *sc = json_array_get(flat, 1), *ca = json_array_get(flat, 2);
    check_text(json_object_get(sc, "action"),
               "{\"callType\":\"staticcall\",\"from\":\"0x0000000000000000000000000000000000000200\",\"gas\":\"0xffff\","
               "\"input\":\"0x0000000000000000000000000000000000000000000000000000000000001234\","
               "\"to\":\"0x0000000000000000000000000000000000000002\",\"value\":\"0x0\"}");
    check_text(json_object_get(sc, "traceAddress"), "[0]");
    check_text(json_object_get(ca, "traceAddress"), "[1]");
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(ca, "action"), "callType")) ?: "", "call"));
    json_decref(flat);
    json_t *fb = trace(&w, "{\"tracer\":\"4byteTracer\"}", &tx, NULL);
    check_text(fb, "{\"0x12345678-2\":1}");
    json_decref(fb);
    json_t *noop = trace(&w, "{\"tracer\":\"noopTracer\"}", &tx, NULL);
    check_text(noop, "{}");
    json_decref(noop);
    json_decref(calls);
    free(from);
    mem_state_free(w.s);
}

/* flatCallTracer's errors: a failed frame has no result, a reverted one
 * keeps it; convertParityErrors gives Parity's words; a creation's action
 * and result. 4byteTracer counts each selector and argument size. */
TEST(flat_tracer_errors_and_creations) {
    world w;
    world_init(&w, FORK_CANCUN);
    address r = addr_of(0x0300), bad = addr_of(0x0301);
    put(&w, bad, "fe", 0);
    /* CALL 0x0301 (INVALID) with 0x1000 gas and 4+1 bytes of input; twice
     * more with 4+0 bytes; then CREATE of init code PUSH1 0 PUSH1 0 REVERT */
    put(&w, r,
        "63a9059cbb60e01b600052" "6000600060056000600061030161" "1000f150"
        "6000600060046000600061030161" "1000f150" "6000600060046000600061030161" "1000f150"
        "6460006000fd600052" "6005601b6000f050" "00",
        0);
    transaction tx = make_tx(&w, r, 300000, 0, 0);
    json_t *flat = trace(&w, "{\"tracer\":\"flatCallTracer\"}", &tx, NULL);
    CHECK(json_array_size(flat) == 5);
    json_t *top = json_array_get(flat, 0), *fail = json_array_get(flat, 1), *create = json_array_get(flat, 4);
    CHECK(json_integer_value(json_object_get(top, "subtraces")) == 4);
    CHECK(!strcmp(json_string_value(json_object_get(fail, "error")) ?: "", "invalid opcode: INVALID"));
    CHECK(!json_object_get(fail, "result"));
    check_text(json_object_get(fail, "action"),
               "{\"callType\":\"call\",\"from\":\"0x0000000000000000000000000000000000000300\",\"gas\":\"0x1000\","
               "\"input\":\"0xa9059cbb00\",\"to\":\"0x0000000000000000000000000000000000000301\",\"value\":\"0x0\"}");
    CHECK(!strcmp(json_string_value(json_object_get(create, "type")) ?: "", "create"));
    CHECK(!strcmp(json_string_value(json_object_get(create, "error")) ?: "", "execution reverted"));
    json_t *ca = json_object_get(create, "action"), *cr = json_object_get(create, "result");
    CHECK(!strcmp(json_string_value(json_object_get(ca, "creationMethod")) ?: "", "create") &&
          !strcmp(json_string_value(json_object_get(ca, "init")) ?: "", "0x60006000fd") &&
          !strcmp(json_string_value(json_object_get(ca, "value")) ?: "", "0x0"));
    /* reverted: the result stays, without an address */
    CHECK(cr && !json_object_get(cr, "address") && !strcmp(json_string_value(json_object_get(cr, "code")) ?: "", "0x") &&
          json_object_get(cr, "gasUsed"));
    check_text(json_object_get(create, "traceAddress"), "[3]");
    json_decref(flat);
    flat = trace(&w, "{\"tracer\":\"flatCallTracer\",\"tracerConfig\":{\"convertParityErrors\":true}}", &tx, NULL);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(flat, 1), "error")) ?: "", "Bad instruction"));
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(flat, 4), "error")) ?: "", "Reverted"));
    json_decref(flat);
    json_t *fb = trace(&w, "{\"tracer\":\"4byteTracer\"}", &tx, NULL);
    check_text(fb, "{\"0xa9059cbb-0\":2,\"0xa9059cbb-1\":1}");
    json_decref(fb);
    /* the config is geth's: a wrong type is refused */
    json_t *cj = json_loads("{\"tracer\":\"flatCallTracer\",\"tracerConfig\":{\"convertParityErrors\":1}}", 0, NULL);
    trace_config cfg;
    char err[200];
    CHECK(!trace_config_parse(cj, &cfg, err, sizeof err) && strstr(err, "native.flatCallTracerConfig"));
    json_decref(cj);
    mem_state_free(w.s);
}

TEST(eip7702_delegated_call_and_authorization_refund) {
    world w;
    world_init(&w, FORK_PRAGUE);
    address impl = addr_of(0x1e00), eoa = addr_of(0xee00), c = addr_of(0xc100);
    put(&w, impl, "33600055" "34600155" "00", 0); /* CALLER->0, CALLVALUE->1 */
    put(&w, eoa, "ef0100" "0000000000000000000000000000000000001e00", 0);
    /* C: CALL(gas 100000, eoa, value 3, no data) STOP */
    put(&w, c, "6000600060006000600373000000000000000000000000000000000000ee00620186a0f100", 10);
    transaction tx = make_tx(&w, c, 200000, 0, 0);
    json_t *got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    /* CALL at 178979 (6 pushes before it... 7: 179000 - 21): 100 + 2500 cold
     * eoa + 2600 cold delegate (EIP-7702) + 9000 value + 100000 = 114200;
     * the frame gets 100000 + 2300 stipend = 0x18f9c. IMPL: 2 + 3 + 22100 +
     * 2 + 3 + 22100 + 0 = 44210 = 0xacb2. The frame is a CALL to the
     * delegating account, as geth reports it. */
    json_t *call = json_array_get(json_object_get(got, "calls"), 0);
    check_text(call, "{\"from\":\"0x000000000000000000000000000000000000c100\",\"gas\":\"0x18f9c\",\"gasUsed\":\"0xacb2\","
                     "\"to\":\"0x000000000000000000000000000000000000ee00\",\"input\":\"0x\",\"value\":\"0x3\","
                     "\"type\":\"CALL\"}");
    json_decref(got);
    /* prestate looks up the delegate of a called account too */
    got = trace(&w, "{\"tracer\":\"prestateTracer\"}", &tx, NULL);
    CHECK(json_object_get(got, "0x0000000000000000000000000000000000001e00") != NULL);
    CHECK(json_object_get(got, "0x000000000000000000000000000000000000ee00") != NULL);
    json_decref(got);

    /* a set-code transaction whose authority already exists starts the
     * refund counter at 25000 - 12500 = 12500 (EIP-7702) */
    address authority;
    CHECK(tx_address_of_key(AUTH_KEY, &authority));
    u256 one = u256_from_u64(1);
    mem_state_set_account(w.s, &authority, &one, 0, NULL, 0);
    transaction t4;
    memset(&t4, 0, sizeof t4);
    t4.type = TX_SET_CODE;
    t4.has_chain_id = true;
    t4.chain_id = 1;
    t4.max_fee = t4.max_priority_fee = u256_from_u64(10);
    t4.gas_limit = 200000;
    t4.has_to = true;
    t4.to = authority;
    authorization auth = {.chain_id = u256_from_u64(1), .addr = impl, .nonce = 0};
    CHECK(tx_auth_sign(&auth, AUTH_KEY));
    t4.auths = &auth;
    t4.n_auths = 1;
    CHECK(tx_sign(&t4, KEY));
    got = trace(&w, "{}", &t4, NULL);
    json_t *logs = json_object_get(got, "structLogs");
    CHECK(json_array_size(logs) == 7);
    /* intrinsic 21000 + 25000 per authorization: 154000 left; IMPL runs in
     * the authority's account (CALLER = the sender) */
    json_t *first = json_array_get(logs, 0);
    CHECK(json_integer_value(json_object_get(first, "gas")) == 154000);
    CHECK(json_integer_value(json_object_get(first, "refund")) == 12500);
    CHECK(json_integer_value(json_object_get(json_array_get(logs, 6), "refund")) == 12500);
    json_decref(got);

    /* an authorization to the zero address clears a delegation: diffMode's
     * post has the nonce, "code": "0x" and the empty code's hash (geth's
     * eip7702_deauth case since v1.17.3), pre the old code */
    uint8_t designator[23] = {0xef, 0x01, 0x00};
    memcpy(designator + 3, impl.b, 20);
    mem_state_set_account(w.s, &authority, &one, 1, designator, sizeof designator);
    authorization clear = {.chain_id = u256_from_u64(1), .nonce = 1}; /* address zero */
    CHECK(tx_auth_sign(&clear, AUTH_KEY));
    t4.auths = &clear;
    CHECK(tx_sign(&t4, KEY));
    got = trace(&w, "{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true}}", &t4, NULL);
    char key[43];
    hex_encode(authority.b, 20, key);
    json_t *pre = json_object_get(json_object_get(got, "pre"), key), *post = json_object_get(json_object_get(got, "post"), key);
    CHECK(pre && !strcmp(json_string_value(json_object_get(pre, "code")) ?: "",
                         "0xef01000000000000000000000000000000000000001e00"));
    CHECK(post && json_integer_value(json_object_get(post, "nonce")) == 2 &&
          !strcmp(json_string_value(json_object_get(post, "code")) ?: "", "0x") &&
          !strcmp(json_string_value(json_object_get(post, "codeHash")) ?: "",
                  "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"));
    json_decref(got);
    mem_state_free(w.s);
}

TEST(failures_in_struct_logs_and_frames) {
    world w;
    world_init(&w, FORK_CANCUN);
    address u = addr_of(0x0901), o = addr_of(0x0902), v = addr_of(0x0903), k = addr_of(0x0904);
    put(&w, u, "50", 0);         /* POP on an empty stack */
    put(&w, o, "6001600101600100", 0); /* PUSH1 1 PUSH1 1 ADD PUSH1 1 STOP */
    put(&w, v, "fe", 0);         /* INVALID */
    put(&w, k, "0c", 0);         /* unassigned */
    /* stack underflow: geth reports it on the step, with the static cost */
    transaction tx = make_tx(&w, u, 21100, 0, 0);
    json_t *got = trace(&w, "{}", &tx, NULL);
    static const step_exp e1[] = {{0, "POP", 100, 2, 1, "stack underflow (0 <=> 1)", "", NULL}};
    check_struct(got, 21100, true, "0x", e1, 1);
    json_decref(got);
    got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    CHECK(!strcmp(json_string_value(json_object_get(got, "error")), "stack underflow (0 <=> 1)"));
    json_decref(got);
    /* out of gas: 10 gas for 3 + 3 + 3 + 3 */
    tx = make_tx(&w, o, 21010, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    static const step_exp e2[] = {
        {0, "PUSH1", 10, 3, 1, NULL, "", NULL},
        {2, "PUSH1", 7, 3, 1, NULL, "0x1", NULL},
        {4, "ADD", 4, 3, 1, NULL, "0x1,0x1", NULL},
        {5, "PUSH1", 1, 3, 1, "out of gas", "0x2", NULL},
    };
    check_struct(got, 21010, true, "0x", e2, 4);
    json_decref(got);
    /* INVALID fails while running: no error on the step, the frame's is
     * "invalid opcode: INVALID"; an unassigned opcode is named by number */
    tx = make_tx(&w, v, 30000, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    static const step_exp e3[] = {{0, "INVALID", 9000, 0, 1, NULL, "", NULL}};
    check_struct(got, 30000, true, "0x", e3, 1);
    json_decref(got);
    got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    CHECK(!strcmp(json_string_value(json_object_get(got, "error")), "invalid opcode: INVALID"));
    json_decref(got);
    tx = make_tx(&w, k, 30000, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    static const step_exp e4[] = {{0, "opcode 0xc not defined", 9000, 0, 1, NULL, "", NULL}};
    check_struct(got, 30000, true, "0x", e4, 1);
    json_decref(got);
    got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    CHECK(!strcmp(json_string_value(json_object_get(got, "error")), "invalid opcode: opcode 0xc not defined"));
    json_decref(got);
    /* running out of gas in a memory expansion: geth prices the whole
     * expansion (to 2049 words: 2049 * 3 + 2049^2 / 512 = 14347) on top of
     * the static 3; offsets it cannot even size are errors of their own */
    address m1 = addr_of(0x0905), m2 = addr_of(0x0906), m3 = addr_of(0x0907);
    put(&w, m1, "600162010000" "52", 0);                                          /* MSTORE(0x10000, 1) */
    put(&w, m2, "60017fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff52", 0); /* MSTORE(2^256-1, 1) */
    put(&w, m3, "6001642000000000" "52", 0);                                      /* MSTORE(2^37, 1) */
    tx = make_tx(&w, m1, 22000, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    json_t *last = json_array_get(json_object_get(got, "structLogs"), 2);
    CHECK(json_integer_value(json_object_get(last, "gasCost")) == 14350);
    CHECK(!strcmp(json_string_value(json_object_get(last, "error")), "out of gas"));
    json_decref(got);
    tx = make_tx(&w, m2, 22000, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    last = json_array_get(json_object_get(got, "structLogs"), 2);
    CHECK(json_integer_value(json_object_get(last, "gasCost")) == 3);
    CHECK(!strcmp(json_string_value(json_object_get(last, "error")), "gas uint64 overflow"));
    json_decref(got);
    got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
    CHECK(!strcmp(json_string_value(json_object_get(got, "error")), "gas uint64 overflow"));
    json_decref(got);
    tx = make_tx(&w, m3, 22000, 0, 0);
    got = trace(&w, "{}", &tx, NULL);
    last = json_array_get(json_object_get(got, "structLogs"), 2);
    CHECK(!strcmp(json_string_value(json_object_get(last, "error")), "out of gas: gas uint64 overflow"));
    json_decref(got);
    /* RETURNDATACOPY(0, 0, 1) past empty return data: geth prices memory
     * and words (3 + 3 + 3) before the bounds check, so the step costs 9 and
     * short of 9 gas it is out of gas rather than out of bounds */
    address rd = addr_of(0x0908);
    put(&w, rd, "6001600060003e", 0);
    for (int short_of_gas = 0; short_of_gas < 2; short_of_gas++) {
        tx = make_tx(&w, rd, 21009 + (short_of_gas ? 8 : 100), 0, 0);
        got = trace(&w, "{}", &tx, NULL);
        last = json_array_get(json_object_get(got, "structLogs"), 3);
        CHECK(json_integer_value(json_object_get(last, "gasCost")) == 9);
        const char *step_error = json_string_value(json_object_get(last, "error"));
        CHECK(short_of_gas ? step_error && !strcmp(step_error, "out of gas") : !step_error);
        json_decref(got);
        got = trace(&w, "{\"tracer\":\"callTracer\"}", &tx, NULL);
        CHECK(!strcmp(json_string_value(json_object_get(got, "error")),
                      short_of_gas ? "out of gas" : "return data out of bounds"));
        json_decref(got);
    }
    mem_state_free(w.s);
}

TEST(struct_logs_memory_return_data_and_limit) {
    world w;
    address c, t;
    revert_world(&w, &c, &t);
    transaction tx = make_tx(&w, c, 100000, 0, 0);
    json_t *got = trace(&w, "{\"enableMemory\":true,\"enableReturnData\":true}", &tx, NULL);
    json_t *logs = json_object_get(got, "structLogs");
    /* T's last MSTORE sees three words; C's step after the CALL has T's
     * revert data as return data */
    json_t *mstore = json_array_get(logs, 23);
    CHECK(json_array_size(json_object_get(mstore, "memory")) == 3);
    CHECK(!strcmp(json_string_value(json_array_get(json_object_get(mstore, "memory"), 0)),
                  "0x08c379a000000000000000000000000000000000000000000000000000000000"));
    json_t *after = json_array_get(logs, 27);
    CHECK(!strcmp(json_string_value(json_object_get(after, "returnData")), NOPE_DATA));
    CHECK(json_object_get(json_array_get(logs, 0), "memory") == NULL); /* empty memory is omitted */
    json_decref(got);
    /* limit: entries are dropped once the JSON written so far exceeds it;
     * the first two entries of this trace are 68 and 72 bytes long */
    got = trace(&w, "{\"limit\":100}", &tx, NULL);
    CHECK(json_array_size(json_object_get(got, "structLogs")) == 2);
    json_decref(got);
    got = trace(&w, "{\"limit\":-1}", &tx, NULL);
    CHECK(json_array_size(json_object_get(got, "structLogs")) == 0);
    json_decref(got);
    mem_state_free(w.s);
}

/* ---- blocks and calls ---- */

TEST(trace_block_and_transaction_replay) {
    world w;
    world_init(&w, FORK_CANCUN);
    address lg = addr_of(0x1000);
    put(&w, lg, "60206000a000", 0); /* LOG0 of 32 zero bytes, STOP */
    block b;
    memset(&b, 0, sizeof b);
    b.header.number = 100;
    b.header.timestamp = 1000;
    b.header.gas_limit = 30000000;
    b.header.coinbase = w.env.coinbase;
    b.header.has_base_fee = true;
    b.header.base_fee = w.env.base_fee;
    b.header.has_blob_gas = true;
    transaction txs[2] = {make_tx(&w, lg, 100000, 0, 0), make_tx(&w, lg, 100000, 0, 1)};
    b.txs = txs;
    b.n_txs = 2;
    block_rules rules = {.fork = FORK_CANCUN, .chain_id = 1, .blob = {3, 6, 3338477}};
    trace_config cfg;
    char err[256];
    json_t *cj = json_pack("{s:s,s:{s:b}}", "tracer", "callTracer", "tracerConfig", "withLog", 1);
    CHECK(trace_config_parse(cj, &cfg, err, sizeof err));
    json_decref(cj);
    json_t *all = trace_block(&cfg, mem_state_view(w.s), &b, &rules, err, sizeof err);
    CHECK(json_array_size(all) == 2);
    json_t *second = json_array_get(all, 1);
    char *hash = hexs(txs[1].hash.b, 32);
    CHECK(!strcmp(json_string_value(json_object_get(second, "txHash")), hash));
    /* the second transaction's log is the block's log 1 */
    json_t *log = json_array_get(json_object_get(json_object_get(second, "result"), "logs"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(log, "index")), "0x1"));
    json_t *one = trace_transaction(&cfg, mem_state_view(w.s), &b, &rules, 1, err, sizeof err);
    CHECK(one && json_equal(one, json_object_get(second, "result")));
    json_decref(one);
    /* out of range, and a transaction the block cannot contain */
    CHECK(trace_transaction(&cfg, mem_state_view(w.s), &b, &rules, 2, err, sizeof err) == NULL);
    txs[1].nonce = 5;
    CHECK(tx_sign(&txs[1], KEY));
    CHECK(trace_transaction(&cfg, mem_state_view(w.s), &b, &rules, 1, err, sizeof err) == NULL);
    CHECK(strstr(err, "nonce too high") != NULL);
    json_decref(all);
    free(hash);
    mem_state_free(w.s);
}

TEST(trace_call_with_overrides) {
    world w;
    world_init(&w, FORK_CANCUN);
    block b;
    memset(&b, 0, sizeof b);
    b.header.number = 100;
    b.header.timestamp = 1000;
    b.header.gas_limit = 30000000;
    b.header.has_base_fee = true;
    b.header.base_fee = w.env.base_fee;
    b.header.has_blob_gas = true;
    b.header.hash.b[0] = 0xbb;
    block_rules rules = {.fork = FORK_CANCUN, .chain_id = 1, .blob = {3, 6, 3338477}};
    /* code override: return SLOAD(5) and BLOCKHASH(100) (64 bytes); slot 5
     * from stateDiff; the caller has no balance and pays nothing (no fee
     * fields: geth's base fee 0 for calls); the block number override 101
     * makes block 100's hash known */
    const char *cfg_text =
        "{\"tracer\":\"callTracer\",\"stateOverrides\":{\"0x00000000000000000000000000000000000000aa\":"
        "{\"code\":\"0x600554600052606440602052" "60406000f3\",\"stateDiff\":{"
        "\"0x0000000000000000000000000000000000000000000000000000000000000005\":"
        "\"0x0000000000000000000000000000000000000000000000000000000000000009\"}}},"
        "\"blockOverrides\":{\"number\":\"0x65\"}}";
    json_t *cj = json_loads(cfg_text, 0, NULL);
    trace_call_config cc;
    char err[256];
    CHECK(trace_call_config_parse(cj, &cc, err, sizeof err));
    json_decref(cj);
    json_t *args_j = json_loads("{\"from\":\"0x00000000000000000000000000000000000000f0\","
                                "\"to\":\"0x00000000000000000000000000000000000000aa\",\"gas\":\"0x10000\"}",
                                0, NULL);
    rpc_call_args args;
    CHECK(rpc_parse_call_args(args_j, &args, err, sizeof err));
    json_decref(args_j);
    json_t *got = trace_call(&cc, mem_state_view(w.s), &b, &rules, &args, 0, err, sizeof err);
    /* 65536 - 21000 = 44536 to run: PUSH1 3, SLOAD 2100 (cold), PUSH1 3,
     * MSTORE 6, PUSH1 3, BLOCKHASH 20, PUSH1 3, MSTORE 6, PUSH1 3, PUSH1 3,
     * RETURN 0 = 2150: gasUsed 23150 = 0x5a6e */
    check_text(got, "{\"from\":\"0x00000000000000000000000000000000000000f0\",\"gas\":\"0x10000\",\"gasUsed\":\"0x5a6e\","
                    "\"to\":\"0x00000000000000000000000000000000000000aa\",\"input\":\"0x\","
                    "\"output\":\"0x0000000000000000000000000000000000000000000000000000000000000009"
                    "bb00000000000000000000000000000000000000000000000000000000000000\",\"value\":\"0x0\","
                    "\"type\":\"CALL\"}");
    json_decref(got);
    /* a gas price makes the caller pay: it has nothing */
    args.has_gas_price = true;
    args.gas_price = u256_from_u64(10);
    CHECK(trace_call(&cc, mem_state_view(w.s), &b, &rules, &args, 0, err, sizeof err) == NULL);
    CHECK(strstr(err, "insufficient funds") != NULL);
    rpc_call_args_free(&args);
    trace_call_config_free(&cc);
    mem_state_free(w.s);
}

TEST(trace_config_decoding) {
    trace_config c;
    char err[256];
    json_t *v = json_loads("{\"DISABLESTACK\":true,\"limit\":5,\"timeout\":\"10s\",\"unknown\":1}", 0, NULL);
    CHECK(trace_config_parse(v, &c, err, sizeof err) && c.kind == TRACER_STRUCT_LOG && c.disable_stack && c.limit == 5);
    json_decref(v);
    CHECK(trace_config_parse(NULL, &c, err, sizeof err) && c.kind == TRACER_STRUCT_LOG);
    v = json_loads("{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true,\"includeEmpty\":true}}", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err) && !strcmp(err, "cannot use diffMode with includeEmpty"));
    json_decref(v);
    v = json_loads("{\"tracer\":\"4byteTracerX\"}", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err) && !strcmp(err, "tracer not found"));
    json_decref(v);
    v = json_loads("{\"tracer\":\"callTracer\",\"tracerConfig\":{\"onlyTopCall\":\"yes\"}}", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err) && strstr(err, "cannot unmarshal string"));
    json_decref(v);
    v = json_loads("{\"enableMemory\":1}", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err));
    json_decref(v);
    v = json_loads("[1]", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err));
    json_decref(v);
    trace_call_config cc;
    v = json_loads("{\"txIndex\":\"0x2\",\"stateOverrides\":{\"0x01\":{}}}", 0, NULL);
    CHECK(!trace_call_config_parse(v, &cc, err, sizeof err)); /* not an address */
    json_decref(v);
    v = json_loads("{\"txIndex\":\"0x2\",\"blockOverrides\":{\"number\":\"0x5\"}}", 0, NULL);
    CHECK(trace_call_config_parse(v, &cc, err, sizeof err) && cc.has_tx_index && cc.tx_index == 2 && cc.has_block);
    trace_call_config_free(&cc);
    json_decref(v);
}

TEST(revert_reasons_and_names) {
    size_t n;
    uint8_t data[100];
    long len = hex_decode(NOPE_DATA, data, sizeof data);
    char *r = trace_revert_reason(data, (size_t)len, &n);
    CHECK(r && n == 4 && !memcmp(r, "nope", 4));
    free(r);
    /* the string ends at byte 72: shorter data cannot hold it */
    CHECK(trace_revert_reason(data, 71, &n) == NULL);
    r = trace_revert_reason(data, 72, &n);
    CHECK(r && n == 4);
    free(r);
    uint8_t panic[36] = {0x4e, 0x48, 0x7b, 0x71, [35] = 0x11};
    r = trace_revert_reason(panic, 36, &n);
    CHECK(r && !strcmp(r, "arithmetic underflow or overflow"));
    free(r);
    panic[35] = 0x99;
    r = trace_revert_reason(panic, 36, &n);
    CHECK(r && !strcmp(r, "unknown panic code: 0x99"));
    free(r);
    char buf[32];
    CHECK(!strcmp(trace_op_name(0x44, buf), "DIFFICULTY"));
    CHECK(!strcmp(trace_op_name(0x5f, buf), "PUSH0"));
    CHECK(!strcmp(trace_op_name(0x0c, buf), "opcode 0xc not defined"));
}

/* ---- the timeout ---- */

typedef struct {
    const char *s;
    int64_t ns;
} duration_case;

TEST(trace_timeout_durations) {
    /* values worked out from Go's time.ParseDuration rules */
    static const duration_case good[] = {
        {"5s", 5000000000LL},
        {"300ms", 300000000LL},
        {"1.5s", 1500000000LL},
        {"2m", 120000000000LL},
        {"1h30m", 5400000000000LL},
        {"1h30m15.5s", 5415500000000LL},
        {"-1.5h", -5400000000000LL},
        {"+5s", 5000000000LL},
        {"0", 0},
        {"-0", 0},
        {"+0", 0},
        {"0s", 0},
        {"1ns", 1},
        {"1us", 1000},
        {"1\xc2\xb5s", 1000}, /* U+00B5 */
        {"1\xce\xbcs", 1000}, /* U+03BC */
        {"0.1ms", 100000},
        {".5s", 500000000LL},
        {"5.s", 5000000000LL},
        {"1.0000000001s", 1000000000LL}, /* below a nanosecond: truncated */
        {"1.000000001s", 1000000001LL},
        {"2h45m", 9900000000000LL},
        {"1s1s", 2000000000LL},
        {"9223372036854775807ns", INT64_MAX},
        {"-9223372036854775808ns", INT64_MIN},
        {"2562047h", 9223369200000000000LL},
    };
    char err[160];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ns = 12345;
        bool okp = trace_parse_duration(good[i].s, &ns, err, sizeof err);
        if (!okp || ns != good[i].ns) fprintf(stderr, "  %s -> %d %lld (%s)\n", good[i].s, okp, (long long)ns, err);
        CHECK(okp && ns == good[i].ns);
    }
    static const char *const bad[][2] = {
        {"", "time: invalid duration \"\""},
        {"x", "time: invalid duration \"x\""},
        {"-", "time: invalid duration \"-\""},
        {".", "time: invalid duration \".\""},
        {".s", "time: invalid duration \".s\""},
        {"-.s", "time: invalid duration \"-.s\""},
        {"s", "time: invalid duration \"s\""},
        {" 5s", "time: invalid duration \" 5s\""},
        {"\"q\"", "time: invalid duration \"\\\"q\\\"\""},
        {"5", "time: missing unit in duration \"5\""},
        {"00", "time: missing unit in duration \"00\""},
        {"1.5", "time: missing unit in duration \"1.5\""},
        {"5d", "time: unknown unit \"d\" in duration \"5d\""},
        {"5S", "time: unknown unit \"S\" in duration \"5S\""},
        {"5 s", "time: unknown unit \" s\" in duration \"5 s\""},
        {"1s-1s", "time: unknown unit \"s-\" in duration \"1s-1s\""},
        {"1e3s", "time: unknown unit \"e\" in duration \"1e3s\""},
        {"5\xc3\xa9", "time: unknown unit \"\\xc3\\xa9\" in duration \"5\\xc3\\xa9\""},
        {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
        {"2562048h", "time: invalid duration \"2562048h\""},
        {"99999999999999999999s", "time: invalid duration \"99999999999999999999s\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns;
        bool okp = trace_parse_duration(bad[i][0], &ns, err, sizeof err);
        if (okp || strcmp(err, bad[i][1])) fprintf(stderr, "  %s -> %d %s\n", bad[i][0], okp, okp ? "" : err);
        CHECK(!okp && !strcmp(err, bad[i][1]));
    }
    /* a long string is cut to the buffer, still terminated */
    char longs[400];
    memset(longs, '7', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    int64_t ns;
    CHECK(!trace_parse_duration(longs, &ns, err, sizeof err) && strlen(err) < sizeof err &&
          !strncmp(err, "time: invalid duration \"777", 27));
}

TEST(trace_timeout_config) {
    trace_config c;
    char err[256];
    /* absent or null: geth's 5 s */
    CHECK(trace_config_parse(NULL, &c, err, sizeof err) && c.has_timeout && c.timeout_ns == 5000000000LL &&
          !c.timeout_error[0]);
    json_t *v = json_loads("{\"timeout\":null}", 0, NULL);
    CHECK(trace_config_parse(v, &c, err, sizeof err) && c.has_timeout && c.timeout_ns == 5000000000LL);
    json_decref(v);
    v = json_loads("{\"Timeout\":\"1m30s\"}", 0, NULL);
    CHECK(trace_config_parse(v, &c, err, sizeof err) && c.timeout_ns == 90000000000LL && !c.timeout_error[0]);
    json_decref(v);
    /* a bad duration decodes: geth reports it when it traces */
    v = json_loads("{\"timeout\":\"10\"}", 0, NULL);
    CHECK(trace_config_parse(v, &c, err, sizeof err) && !strcmp(c.timeout_error, "time: missing unit in duration \"10\""));
    json_decref(v);
    trace_call_config cc;
    v = json_loads("{\"timeout\":\"-3ms\",\"txIndex\":\"0x1\"}", 0, NULL);
    CHECK(trace_call_config_parse(v, &cc, err, sizeof err) && cc.trace.has_timeout && cc.trace.timeout_ns == -3000000);
    trace_call_config_free(&cc);
    json_decref(v);
    v = json_loads("{\"timeout\":true}", 0, NULL);
    CHECK(!trace_config_parse(v, &c, err, sizeof err) && strstr(err, "TraceConfig.timeout"));
    json_decref(v);
}

/* Counts steps and asks the EVM to stop at step stop_at. */
typedef struct {
    evm_tracer base;
    int steps, stop_at, halts, last_depth;
    evm_status last_halt;
} stopper;

static void stopper_step(evm_tracer *t, const evm_step *s) {
    stopper *p = (stopper *)t;
    p->last_depth = s->depth;
    if (++p->steps == p->stop_at) t->stop = true;
}

static void stopper_halt(evm_tracer *t, int depth, evm_status st, int64_t gas, int64_t refund) {
    (void)depth, (void)gas, (void)refund;
    stopper *p = (stopper *)t;
    p->halts++;
    p->last_halt = st;
}

TEST(evm_tracer_stop_flag_unwinds_at_once) {
    world w;
    world_init(&w, FORK_CANCUN);
    address loop = addr_of(0x100f), caller = addr_of(0xca11);
    put(&w, loop, "5b600056", 0); /* JUMPDEST; PUSH1 0; JUMP: forever */
    /* PUSH1 0 x4, PUSH1 0, PUSH20 loop, GAS, CALL, PUSH1 1, SSTORE, STOP */
    put(&w, caller, "6000600060006000600073000000000000000000000000000000000000100f5af160015500", 0);
    executor *ex = executor_new();
    /* the frame that stops runs no further instruction */
    stopper s = {.base = {.step = stopper_step, .halt = stopper_halt}, .stop_at = 1000};
    s.base.ctx = &s;
    transaction tx = make_tx(&w, loop, 10000000, 0, 0);
    tx_result res;
    executor_set_tracer(ex, &s.base);
    exec_transaction(ex, &w.env, mem_state_view(w.s), mem_state_codes(w.s), &tx, 0, &res);
    executor_set_tracer(ex, NULL);
    CHECK(res.valid && res.status == EVM_OUT_OF_GAS && res.gas_used == 10000000);
    CHECK(s.steps == 1000 && s.halts == 1 && s.last_halt == EVM_OUT_OF_GAS);
    /* stopped in a callee: the caller runs one more step (the one after
     * its CALL) and halts there too */
    stopper n = {.base = {.step = stopper_step, .halt = stopper_halt}, .stop_at = 500};
    n.base.ctx = &n;
    transaction tx2 = make_tx(&w, caller, 10000000, 0, 0);
    executor_set_tracer(ex, &n.base);
    exec_transaction(ex, &w.env, mem_state_view(w.s), mem_state_codes(w.s), &tx2, 0, &res);
    executor_set_tracer(ex, NULL);
    CHECK(res.valid && res.status == EVM_OUT_OF_GAS);
    CHECK(n.steps == 501 && n.last_depth == 0 && n.halts == 2 && n.last_halt == EVM_OUT_OF_GAS);
    /* untraced, the same executor runs normally: the callee runs out of
     * gas and the caller goes on to its end */
    transaction tx3 = make_tx(&w, caller, 200000, 0, 0);
    exec_transaction(ex, &w.env, mem_state_view(w.s), mem_state_codes(w.s), &tx3, 0, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS);
    executor_free(ex);
    mem_state_free(w.s);
}

/* trace_tx_on with a config; NULL with the reason in err. */
static json_t *trace_with(world *w, const char *config, const transaction *tx, char *err, size_t errlen) {
    json_t *cj = json_loads(config, 0, NULL);
    trace_config cfg;
    CHECK(cj && trace_config_parse(cj, &cfg, err, errlen));
    json_decref(cj);
    executor *ex = executor_new();
    json_t *out = trace_tx_on(&cfg, ex, &w->env, mem_state_view(w->s), mem_state_codes(w->s), tx, 0, 0, false, NULL,
                              err, errlen);
    executor_free(ex);
    return out;
}

TEST(trace_timeout_stops_a_long_transaction) {
    world w;
    world_init(&w, FORK_CANCUN);
    w.env.gas_limit = 1000000000000ULL; /* a loop this long could not end while the test runs */
    address loop = addr_of(0x100f), st = addr_of(0x5700);
    put(&w, loop, "5b600056", 0);
    put(&w, st, "602a60005500", 0); /* SSTORE(0, 0x2a) */
    char err[256];
    const char *tracers[] = {"{\"timeout\":\"20ms\",\"tracer\":\"callTracer\"}",
                             "{\"timeout\":\"20ms\",\"tracer\":\"prestateTracer\"}",
                             "{\"timeout\":\"20ms\",\"disableStack\":true,\"limit\":100000}"};
    transaction tx = make_tx(&w, loop, 999999999999ULL, 0, 0);
    for (size_t i = 0; i < 3; i++) {
        err[0] = 0;
        CHECK(trace_with(&w, tracers[i], &tx, err, sizeof err) == NULL && !strcmp(err, "execution timeout"));
    }
    /* a timeout <= 0 has passed before the transaction starts */
    transaction small = make_tx(&w, st, 100000, 0, 0);
    CHECK(trace_with(&w, "{\"timeout\":\"0s\"}", &small, err, sizeof err) == NULL && !strcmp(err, "execution timeout"));
    CHECK(trace_with(&w, "{\"timeout\":\"-1h\",\"tracer\":\"callTracer\"}", &small, err, sizeof err) == NULL &&
          !strcmp(err, "execution timeout"));
    /* a bad one is the trace's error; an invalid transaction's error comes after it */
    CHECK(trace_with(&w, "{\"timeout\":\"abc\"}", &small, err, sizeof err) == NULL &&
          !strcmp(err, "time: invalid duration \"abc\""));
    /* a generous one traces as without */
    json_t *a = trace_with(&w, "{\"timeout\":\"10s\"}", &small, err, sizeof err);
    json_t *b = trace_with(&w, "{}", &small, err, sizeof err);
    CHECK(a && b && json_equal(a, b) && json_array_size(json_object_get(a, "structLogs")) == 4);
    json_decref(a);
    json_decref(b);
    /* no deadline at all (a zeroed config, statetest's) */
    trace_config none = {.kind = TRACER_CALL};
    executor *ex = executor_new();
    json_t *c = trace_tx_on(&none, ex, &w.env, mem_state_view(w.s), mem_state_codes(w.s), &small, 0, 0, false, NULL,
                            err, sizeof err);
    CHECK(c && !strcmp(json_string_value(json_object_get(c, "type")), "CALL"));
    json_decref(c);
    executor_free(ex);
    mem_state_free(w.s);
}

/* The Parity trace of one call (trace, vmTrace) to c with gas and value. */
static json_t *parity_of_value(world *w, address c, uint64_t gas, uint64_t value) {
    json_t *types = json_loads("[\"trace\",\"vmTrace\"]", 0, NULL);
    trace_config cfg;
    char err[256] = "";
    bool ok = trace_config_parity(types, false, &cfg, err, sizeof err);
    json_decref(types);
    transaction tx = make_tx(w, c, gas, value, 0);
    executor *ex = executor_new();
    json_t *out = ok ? trace_tx_on(&cfg, ex, &w->env, mem_state_view(w->s), mem_state_codes(w->s), &tx, 0, 0, false,
                                   NULL, err, sizeof err)
                     : NULL;
    executor_free(ex);
    tx_free(&tx);
    return out;
}

static json_t *parity_of(world *w, address c, uint64_t gas) { return parity_of_value(w, c, gas, 0); }

/* Failing steps as revm charges them (campaign seed 77): an opcode of a
 * later fork pays its static cost before it is found not activated, so with
 * less gas it runs out of gas; CALL refuses a value in a static frame after
 * popping gas, address and value, so its "push" is the next item. */
TEST(parity_failing_steps_follow_revm) {
    world w;
    world_init(&w, FORK_PRAGUE);
    address c = addr_of(0xc1), a = addr_of(0xa1), b = addr_of(0xb2);
    put(&w, c, "5f1e00", 0); /* PUSH0 CLZ (Osaka's) STOP */
    static const char *const WANT[] = {"Out of gas", "NotActivated"};
    for (int extra = 0; extra < 2; extra++) {
        json_t *out = parity_of(&w, c, 21000 + 2 + 4 + (uint64_t)extra);
        const json_t *top = json_array_get(json_object_get(out, "trace"), 0);
        const json_t *clz = json_array_get(json_object_get(json_object_get(out, "vmTrace"), "ops"), 1);
        CHECK(top && !strcmp(json_string_value(json_object_get(top, "error")), WANT[extra]));
        CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(clz, "cost")), (uint64_t)(4 + extra));
        json_decref(out);
    }
    /* revm also knows EIP-8024's SWAPN (0xe7): named, its 3 paid, not activated */
    put(&w, c, "e7", 0);
    json_t *sw = parity_of(&w, c, 50000);
    const json_t *swop = json_array_get(json_object_get(json_object_get(sw, "vmTrace"), "ops"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(swop, "op")), "SWAPN"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(swop, "cost")), 3);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(sw, "trace"), 0), "error")),
                  "NotActivated"));
    json_decref(sw);
    /* and EIP-7843's SLOTNUM (0x4b, campaign seed 79381): its base cost of 2 */
    put(&w, c, "4b", 0);
    sw = parity_of(&w, c, 50000);
    swop = json_array_get(json_object_get(json_object_get(sw, "vmTrace"), "ops"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(swop, "op")), "SLOTNUM"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(swop, "cost")), 2);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(sw, "trace"), 0), "error")),
                  "NotActivated"));
    json_decref(sw);
    put(&w, c, "0c", 0); /* an opcode revm does not know */
    sw = parity_of(&w, c, 50000);
    swop = json_array_get(json_object_get(json_object_get(sw, "vmTrace"), "ops"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(swop, "op")), "UNKNOWN(0x0C)"));
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(sw, "trace"), 0), "error")),
                  "Bad instruction"));
    json_decref(sw);
    put(&w, a, "60006000600060006000" "60b2" "5a" "fa" "00", 0); /* STATICCALL(gas, b) */
    put(&w, b, "6014604060406002600160066108fcf100", 0);     /* CALL(0x8fc, 6, 1, 2, 0x40, 0x40, 0x14) */
    json_t *out = parity_of(&w, a, 100000);
    const json_t *inner = json_array_get(json_object_get(out, "trace"), 1);
    CHECK(inner && !strcmp(json_string_value(json_object_get(inner, "error")), "CallNotAllowedInsideStatic"));
    const json_t *sc = json_array_get(json_object_get(json_object_get(out, "vmTrace"), "ops"), 7);
    const json_t *call = json_array_get(json_object_get(json_object_get(sc, "sub"), "ops"), 7);
    CHECK(!strcmp(json_string_value(json_object_get(call, "op")), "CALL"));
    char *push = trace_dumps(json_object_get(json_object_get(call, "ex"), "push"));
    CHECK(push && !strcmp(push, "[\"0x2\"]"));
    free(push);
    json_decref(out);
    /* the same CALL short of the value's 9000: the EVM (as geth) runs out of
     * gas, revm refuses the value first, for its static 100 (seed 90) */
    put(&w, a, "600060006000600060b26107d0fa00", 0); /* STATICCALL(2000 gas, b) */
    out = parity_of(&w, a, 100000);
    inner = json_array_get(json_object_get(out, "trace"), 1);
    CHECK(inner && !strcmp(json_string_value(json_object_get(inner, "error")), "CallNotAllowedInsideStatic"));
    sc = json_array_get(json_object_get(json_object_get(out, "vmTrace"), "ops"), 6);
    call = json_array_get(json_object_get(json_object_get(sc, "sub"), "ops"), 7);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(call, "cost")), 100);
    json_decref(out);
    /* SELFDESTRUCT in a static frame: revm's table charges its 5000 first, so
     * short of it the frame runs out of gas, past it the write is refused
     * (anvil campaign, seed 87) */
    address d = addr_of(0xb3);
    put(&w, d, "60ffff", 0); /* PUSH1 0xff SELFDESTRUCT */
    static const char *const CODE[] = {"600060006000600060b3610fa0fa00", "600060006000600060b3612710fa00"};
    static const char *const WANT_SD[] = {"Out of gas", "StateChangeDuringStaticCall"};
    for (int i = 0; i < 2; i++) {
        put(&w, a, CODE[i], 0); /* STATICCALL(4000 or 10000 gas, d) */
        out = parity_of(&w, a, 100000);
        inner = json_array_get(json_object_get(out, "trace"), 1);
        CHECK(inner && !strcmp(json_string_value(json_object_get(inner, "error")), WANT_SD[i]));
        json_decref(out);
    }
    mem_state_free(w.s);
    /* TSTORE in a static frame: before Cancun revm finds it not activated
     * before it looks at the frame (anvil campaign, seed 79545); from
     * Cancun the write is refused */
    static const fork_id TS_FORK[] = {FORK_LONDON, FORK_CANCUN};
    static const char *const WANT_TS[] = {"NotActivated", "StateChangeDuringStaticCall"};
    for (int i = 0; i < 2; i++) {
        world_init(&w, TS_FORK[i]);
        address t = addr_of(0xb4);
        put(&w, t, "600160005d00", 0);                     /* PUSH1 1 PUSH1 0 TSTORE */
        put(&w, a, "600060006000600060b4612710fa00", 0); /* STATICCALL(10000 gas, t) */
        out = parity_of(&w, a, 100000);
        inner = json_array_get(json_object_get(out, "trace"), 1);
        CHECK(inner && !strcmp(json_string_value(json_object_get(inner, "error")), WANT_TS[i]));
        json_decref(out);
        if (i == 0) mem_state_free(w.s);
    }
    /* the chain's own contract size limit (anvil's --code-size-limit) names
     * a deposit past it, not EIP-170's; under it, a deposit short of gas is
     * out of gas */
    static const struct {
        uint32_t limit;
        const char *init; /* PUSH3 n PUSH1 0 RETURN: n zero bytes */
        uint64_t gas;
        const char *want; /* the CREATE's error, NULL: none */
    } SIZE[] = {{0, "62006001" "6000f3", 10000000, "CreateContractSizeLimit"},
                {30000, "62007530" "6000f3", 10000000, NULL},
                {30000, "62007531" "6000f3", 10000000, "CreateContractSizeLimit"},
                {30000, "62007530" "6000f3", 4000000, "Out of gas"}};
    for (int i = 0; i < 4; i++) {
        char code[64];
        /* PUSH7 init, PUSH1 0, MSTORE, CREATE(0, 25, 7), STOP */
        snprintf(code, sizeof code, "66%s600052600760196000f000", SIZE[i].init);
        put(&w, a, code, 0);
        w.env.max_code_size = SIZE[i].limit;
        out = parity_of(&w, a, SIZE[i].gas);
        inner = json_array_get(json_object_get(out, "trace"), 1);
        const json_t *e = inner ? json_object_get(inner, "error") : NULL;
        CHECK(inner && (SIZE[i].want ? e && !strcmp(json_string_value(e), SIZE[i].want) : !e));
        json_decref(out);
    }
    w.env.max_code_size = 0;
    /* MODEXP with a modulus length past 64 bits: revm refuses it before
     * pricing ("Built-in failed"), but only once its minimum price (200
     * from Berlin) is covered: given less, it is out of gas (anvil
     * campaign, seed 79437) */
    static const char *const MODEXP_CALL[] = {"60016020526001604053600060006060600060056000f400",
                                              "60016020526001604053600060006060600060056103e8f400"};
    static const char *const WANT_MX[] = {"Out of gas", "Built-in failed"};
    for (int i = 0; i < 2; i++) {
        /* DELEGATECALL(0 or 1000 gas, MODEXP), mod length 2^248; the
         * transaction's value makes it a call with value (kept in the list) */
        put(&w, a, MODEXP_CALL[i], 0);
        out = parity_of_value(&w, a, 100000, 1000);
        inner = json_array_get(json_object_get(out, "trace"), 1);
        CHECK(inner && !strcmp(json_string_value(json_object_get(inner, "error")), WANT_MX[i]));
        json_decref(out);
    }
    mem_state_free(w.s);

    /* EXTCODECOPY whose memory cannot be paid: revm charges the static 100
     * and the words, expands the memory, and only then loads the (here
     * cold) account, so the cost is 100 + 3 * 2048 whatever it has left
     * (anvil campaign, seed 108) */
    world_init(&w, FORK_CANCUN);
    put(&w, c, "62010000" "6000" "6040" "60b9" "3c" "00", 0); /* EXTCODECOPY(0xb9, 0x40, 0, 65536) */
    out = parity_of(&w, c, 21000 + 12 + 6800);
    const json_t *xc = json_array_get(json_object_get(json_object_get(out, "vmTrace"), "ops"), 4);
    CHECK(!strcmp(json_string_value(json_object_get(xc, "op")), "EXTCODECOPY"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(xc, "cost")), 100 + 3 * 2048);
    json_decref(out);
    mem_state_free(w.s);

    /* a CREATE whose memory cannot be paid: before Shanghai nothing was
     * charged before it (seed 79); from Shanghai its init code word (2) */
    static const fork_id FORKS[] = {FORK_BERLIN, FORK_SHANGHAI};
    for (int i = 0; i < 2; i++) {
        world_init(&w, FORKS[i]);
        put(&w, c, "6020650100000000006000f000", 0); /* CREATE(0, 2^40, 32) */
        out = parity_of(&w, c, 100000);
        const json_t *top = json_array_get(json_object_get(out, "trace"), 0);
        const json_t *cr = json_array_get(json_object_get(json_object_get(out, "vmTrace"), "ops"), 3);
        CHECK(top && !strcmp(json_string_value(json_object_get(top, "error")), "Out of gas"));
        CHECK(!strcmp(json_string_value(json_object_get(cr, "op")), "CREATE"));
        CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(cr, "cost")), i ? 2 : 0);
        json_decref(out);
        mem_state_free(w.s);
    }
}

/* Parity's trace_* results (trace_parity.c, trace_vm.c) for a call that
 * makes a failing call and a zero-value call to a precompile; the numbers
 * are revm-inspectors' (anvil's trace_replayBlockTransactions of the same
 * code): the frame gas without the intrinsic gas, a call's cost with the gas
 * it forwards, "push" read before a call's result, the precompile call in
 * neither the flat list nor the subs. */
TEST(parity_trace_and_vm_trace) {
    world w;
    world_init(&w, FORK_PRAGUE);
    static const char C_CODE[] = "6007600881905050506000600060006000600060d05af16000600060006000600060045af160206000f3";
    address c = addr_of(0xc1), d = addr_of(0xd0);
    put(&w, c, C_CODE, 0);
    put(&w, d, "600160020150fe", 0);
    transaction tx = make_tx(&w, c, 0x30000, 0, 0);
    json_t *types = json_loads("[\"trace\",\"vmTrace\",\"stateDiff\"]", 0, NULL);
    trace_config cfg;
    char err[256] = "";
    CHECK(trace_config_parity(types, false, &cfg, err, sizeof err));
    json_decref(types);
    executor *ex = executor_new();
    json_t *out = trace_tx_on(&cfg, ex, &w.env, mem_state_view(w.s), mem_state_codes(w.s), &tx, 0, 0, false, NULL, err,
                              sizeof err);
    executor_free(ex);
    CHECK(out != NULL);
    const json_t *flat = json_object_get(out, "trace"), *vm = json_object_get(out, "vmTrace");
    CHECK_EQ_U64(json_array_size(flat), 2);
    const json_t *top = json_array_get(flat, 0), *inner = json_array_get(flat, 1);
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(top, "action"), "gas")), "0x2adf8"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(top, "subtraces")), 1);
    CHECK(!strcmp(json_string_value(json_object_get(inner, "error")), "Bad instruction"));
    CHECK(json_is_null(json_object_get(inner, "result")));
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(inner, "action"), "gas")), "0x2991c"));
    /* the flat list is unlocalized (trace_replay*): no block fields */
    CHECK(!json_object_get(top, "blockHash") && !strcmp(json_string_value(json_object_get(top, "type")), "call"));
    const json_t *ops = json_object_get(vm, "ops");
    CHECK(!strcmp(json_string_value(json_object_get(vm, "code")), "0x6007600881905050506000600060006000600060d05af1"
                                                                     "6000600060006000600060045af160206000f3"));
    CHECK_EQ_U64(json_array_size(ops), 26);
#define OP(i) json_array_get(ops, i)
#define EX(o) json_object_get(o, "ex")
    char *push = trace_dumps(json_object_get(EX(OP(2)), "push"));
    CHECK(!strcmp(push, "[\"0x7\",\"0x8\",\"0x7\"]")); /* DUP2 leaves its three */
    free(push);
    const json_t *call = OP(14), *pre = OP(22), *ret = OP(25);
    CHECK(!strcmp(json_string_value(json_object_get(call, "op")), "CALL"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(call, "cost")), 172868);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(EX(call), "used")), 175570);
    CHECK_EQ_U64(json_array_size(json_object_get(EX(call), "push")), 0);
    const json_t *sub = json_object_get(call, "sub"), *sub_ops = json_object_get(sub, "ops");
    CHECK(!strcmp(json_string_value(json_object_get(sub, "code")), "0x600160020150fe"));
    CHECK_EQ_U64(json_array_size(sub_ops), 5);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(EX(json_array_get(sub_ops, 0)), "used")), 170268);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(sub_ops, 4), "op")), "INVALID"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(json_array_get(sub_ops, 4), "cost")), 0);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(pre, "cost")), 2642);
    CHECK(json_is_null(json_object_get(pre, "sub")));
    push = trace_dumps(json_object_get(EX(pre), "push"));
    CHECK(!strcmp(push, "[\"0x0\"]")); /* the first call's result, below the precompile call's operands */
    free(push);
    CHECK(!strcmp(json_string_value(json_object_get(ret, "op")), "RETURN"));
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(ret, "cost")), 3);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(EX(ret), "used")), 2561);
    CHECK(json_is_null(json_object_get(EX(ret), "store")));
#undef OP
#undef EX
    /* the state diff: the sender's nonce and balance, the coinbase's fee */
    const json_t *diff = json_object_get(out, "stateDiff");
    CHECK_EQ_U64(json_object_size(diff), 2);
    char *sender = addr_hex(w.sender);
    const json_t *s = json_object_get(diff, sender);
    free(sender);
    CHECK(s && !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(s, "nonce"), "*"), "to")),
                       "0x1"));
    CHECK(s && !strcmp(json_string_value(json_object_get(s, "code")), "="));
    json_decref(out);
    tx_free(&tx);
    mem_state_free(w.s);
}
