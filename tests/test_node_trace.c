/* The node's tracing methods (src/node/rpc_trace.c) over HTTP: a dev node
 * served by the real HTTP server, contracts deployed and called with
 * eth_sendTransaction, then debug_traceTransaction, debug_traceBlockByNumber,
 * debug_traceBlockByHash and debug_traceCall checked against values worked
 * out here from the bytecode (every step of a small contract's structLogs,
 * the gas of each opcode, callTracer's frames and revert reason, the
 * prestate's storage), each geth error, and the node's answers equal to
 * the trace library's own on the same stored state (read after the node
 * is closed), and debug_standardTraceBlockToFile's files step for step
 * against structLogs. Also reth's eth_callMany and debug_traceCallMany
 * (rpc_call_many.c): state carried across calls and bundles, the state
 * context's block and transaction index, block overrides per bundle. */
#include "test.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parevm/block.h"
#include "parevm/chain_import.h"
#include "parevm/chain_rules.h"
#include "parevm/db.h"
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rpc_codec.h"
#include "parevm/trace.h"

/* request texts are built in fixed buffers sized for the hex strings they hold */
#ifndef __clang__ /* gcc's warning; clang has none of that name */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ---- Contracts ------------------------------------------------------------------------ */

/* A: SSTORE(0, 0x2a); MSTORE(0, SLOAD(0)); RETURN(0, 32)
 *   pc 0 PUSH1 2a, 2 PUSH1 0, 4 SSTORE, 5 PUSH1 0, 7 SLOAD, 8 PUSH1 0,
 *   10 MSTORE, 11 PUSH1 20, 13 PUSH1 0, 15 RETURN */
static const char A_CODE[] = "602a60005560005460005260206000f3";
/* R: REVERT with Error("nope") (100 bytes of ABI data) */
static const char R_CODE[] = "6308c379a060e01b60005260206004526004602452636e6f706560e01b60445260646000fd";
static const char NOPE_DATA[] =
    "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000"
    "000000000000000000000000000046e6f706500000000000000000000000000000000000000000000000000000000";
static const char WORD_0[] = "0x0000000000000000000000000000000000000000000000000000000000000000";
static const char WORD_2A[] = "0x000000000000000000000000000000000000000000000000000000000000002a";
static const char WORD_1[] = "0x0000000000000000000000000000000000000000000000000000000000000001";

/* ---- HTTP ------------------------------------------------------------------------------ */

typedef struct {
    char dir[64];
    node *n;
    rpc_server *srv;
    uint16_t port;
    char acct[4][43];
    char a[43], r[43], c[43];      /* the contracts */
    char tx_store[67], tx_call[67]; /* acct1 -> A, acct1 -> C: one per block */
    uint64_t blk_store, blk_call;
    char tx_multi[3][67];          /* a transfer, a call of A, a call of C: one block */
    uint64_t blk_multi;
} chain;

/* POSTs body to the server; the response body (malloc'd) or NULL. */
static char *post(uint16_t port, const char *body) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0) close(fd);
        return NULL;
    }
    size_t len = strlen(body);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     len);
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n || send(fd, body, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (got + 1 == cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + got, cap - got - 1, 0);
        if (k <= 0) break;
        got += (size_t)k;
    }
    buf[got] = 0;
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *b = strstr(buf, "\r\n\r\n");
    char *out = status == 200 && b ? strdup(b + 4) : NULL;
    free(buf);
    return out;
}

/* One request over HTTP; the whole response object. */
static json_t *http(const chain *c, const char *method, const char *params) {
    size_t len = strlen(method) + strlen(params) + 64;
    char *body = malloc(len);
    snprintf(body, len, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    char *resp = post(c->port, body);
    free(body);
    json_t *r = resp ? json_loads(resp, 0, NULL) : NULL;
    free(resp);
    return r;
}

/* The result (new reference), or NULL after printing the error. */
static json_t *ok(const chain *c, const char *method, const char *params) {
    json_t *r = http(c, method, params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (!res) {
        char *s = r ? json_dumps(r, 0) : NULL;
        fprintf(stderr, "  %s %.300s -> %s\n", method, params, s ? s : "(no response)");
        free(s);
    } else {
        json_incref(res);
    }
    json_decref(r);
    return res;
}

/* The error code of a request (0 when it succeeded), its message in msg. */
static long long err_of(const chain *c, const char *method, const char *params, char *msg, size_t cap) {
    json_t *r = http(c, method, params);
    json_t *e = r ? json_object_get(r, "error") : NULL;
    long long code = e ? json_integer_value(json_object_get(e, "code")) : 0;
    snprintf(msg, cap, "%s", e ? json_string_value(json_object_get(e, "message")) : "");
    json_decref(r);
    return code;
}

static bool err_is(const chain *c, const char *method, const char *params, long long code, const char *msg) {
    char got[300];
    long long k = err_of(c, method, params, got, sizeof got);
    bool good = k == code && (!msg || !strcmp(got, msg));
    if (!good) fprintf(stderr, "  %s %s -> %lld %s (want %lld %s)\n", method, params, k, got, code, msg ? msg : "");
    return good;
}

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static uint64_t qty(const json_t *o, const char *key) {
    uint64_t v = UINT64_MAX;
    const json_t *f = json_object_get(o, key);
    if (!json_is_string(f) || !hex_to_u64(json_string_value(f), &v)) return UINT64_MAX;
    return v;
}

static u256 qty256(const json_t *o, const char *key) {
    u256 v = U256_ZERO;
    if (rpc_parse_u256(json_object_get(o, key), &v)) return U256_ZERO;
    return v;
}

/* o[key] (an address or hash key, whatever its case). */
static json_t *get_ci(const json_t *o, const char *key) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) if (!strcasecmp(k, key)) return v;
    return NULL;
}

/* ---- The chain --------------------------------------------------------------------------- */

/* Sends a transaction from dev account `from`; its hash into out. With
 * automine on it is mined before the call returns. */
static bool send_tx(chain *c, int from, const char *to, const char *data, uint64_t gas, const char *value,
                    char out[67]) {
    char p[4096];
    snprintf(p, sizeof p, "[{\"from\":\"%s\"%s%s%s,\"data\":\"0x%s\",\"gas\":\"0x%llx\",\"value\":\"%s\"}]",
             c->acct[from], to ? ",\"to\":\"" : "", to ? to : "", to ? "\"" : "", data, (unsigned long long)gas,
             value ? value : "0x0");
    json_t *h = ok(c, "eth_sendTransaction", p);
    bool good = json_is_string(h) && strlen(json_string_value(h)) == 66;
    if (good) strcpy(out, json_string_value(h));
    json_decref(h);
    return good;
}

static json_t *get_receipt(const chain *c, const char *txh) {
    char p[80];
    snprintf(p, sizeof p, "[\"%s\"]", txh);
    return ok(c, "eth_getTransactionReceipt", p);
}

/* Deploys runtime code from account 0; its address into out. */
static bool deploy(chain *c, const char *runtime, char out[43]) {
    char init[2048], h[67];
    snprintf(init, sizeof init, "60%02zx80600c6000396000f300%s", strlen(runtime) / 2, runtime);
    if (!send_tx(c, 0, NULL, init, 300000, NULL, h)) return false;
    json_t *rc = get_receipt(c, h);
    bool good = rc && !strcmp(str(rc, "status"), "0x1") && strlen(str(rc, "contractAddress")) == 42;
    if (good) strcpy(out, str(rc, "contractAddress"));
    json_decref(rc);
    return good;
}

static uint64_t block_of(const chain *c, const char *txh) {
    json_t *rc = get_receipt(c, txh);
    uint64_t b = rc ? qty(rc, "blockNumber") : UINT64_MAX;
    json_decref(rc);
    return b;
}

static bool simple(const chain *c, const char *method, const char *params) {
    json_t *r = ok(c, method, params);
    json_decref(r);
    return r != NULL;
}

/* Blocks: 1-3 deploy A, R and C (C calls A, then R, then LOG1(topic 1));
 * 4: acct1 calls A; 5: acct1 calls C; 6: a transfer acct2 -> acct3, acct0
 * calls A, acct1 calls C. */
static bool build_chain(chain *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->dir, "/tmp/parevm-trace-test-XXXXXX");
    if (!mkdtemp(c->dir)) return false;
    node_config cfg = {.datadir = c->dir, .dev = true, .threads = 2, .dev_genesis_time = 1700000000};
    const char *why = node_open(&cfg, &c->n);
    if (why) {
        fprintf(stderr, "node_open: %s\n", why);
        return false;
    }
    rpc_server_config http_cfg = {.port = 0, .threads = 2, .thread_stack = NODE_THREAD_STACK};
    char err[200];
    c->srv = rpc_server_start(&http_cfg, node_methods(c->n), err, sizeof err);
    if (!c->srv) {
        fprintf(stderr, "rpc_server_start: %s\n", err);
        return false;
    }
    c->port = rpc_server_port(c->srv);
    for (unsigned i = 0; i < 4; i++) {
        address a;
        uint8_t key[32];
        if (!node_dev_account(c->n, i, &a, key)) return false;
        hex_encode(a.b, 20, c->acct[i]);
    }
    bool good = deploy(c, A_CODE, c->a) && deploy(c, R_CODE, c->r);
    if (!good) return false;
    char c_code[512];
    /* PUSH1 0 x5, PUSH20 A, GAS, CALL, POP; the same for R; LOG1(0, 0, 1); STOP */
    snprintf(c_code, sizeof c_code, "6000600060006000600073%s5af1506000600060006000600073%s5af150600160006000a100",
             c->a + 2, c->r + 2);
    good = deploy(c, c_code, c->c) && send_tx(c, 1, c->a, "", 100000, NULL, c->tx_store) &&
           send_tx(c, 1, c->c, "", 300000, NULL, c->tx_call);
    if (!good) return false;
    c->blk_store = block_of(c, c->tx_store);
    c->blk_call = block_of(c, c->tx_call);
    good = simple(c, "evm_setAutomine", "[false]") && send_tx(c, 2, c->acct[3], "", 21000, "0x5", c->tx_multi[0]) &&
           send_tx(c, 0, c->a, "", 100000, NULL, c->tx_multi[1]) &&
           send_tx(c, 1, c->c, "", 300000, NULL, c->tx_multi[2]) && simple(c, "evm_mine", "[]") &&
           simple(c, "evm_setAutomine", "[true]");
    if (!good) return false;
    c->blk_multi = block_of(c, c->tx_multi[0]);
    return c->blk_store == 4 && c->blk_call == 5 && c->blk_multi == 6 && block_of(c, c->tx_multi[1]) == 6 &&
           block_of(c, c->tx_multi[2]) == 6;
}

/* Stops the server and closes the node (the store stays). */
static void stop_node(chain *c) {
    if (c->srv) rpc_server_stop(c->srv, 1000);
    if (c->n) node_close(c->n);
    c->srv = NULL;
    c->n = NULL;
}

static void free_chain(chain *c) {
    stop_node(c);
    if (c->dir[0]) test_remove_tree(c->dir);
}

/* The chain most tests share, built on first use. */
static chain shared_chain;
static int shared_state; /* 0: not built, 1: built, -1: failed */

static void free_shared(void) { free_chain(&shared_chain); }

static chain *shared(void) {
    if (shared_state == 0) {
        shared_state = build_chain(&shared_chain) ? 1 : -1;
        atexit(free_shared);
    }
    return shared_state == 1 ? &shared_chain : NULL;
}

/* debug_traceTransaction of txh with config (JSON text, or NULL). */
static json_t *trace_tx(const chain *c, const char *txh, const char *config) {
    char p[512];
    if (config) snprintf(p, sizeof p, "[\"%s\",%s]", txh, config);
    else snprintf(p, sizeof p, "[\"%s\"]", txh);
    return ok(c, "debug_traceTransaction", p);
}

/* ---- structLogs, by hand --------------------------------------------------------------- */

typedef struct {
    uint64_t pc;
    const char *op;
    int64_t gas, cost;
    const char *stack; /* comma-separated, bottom first */
    bool storage;      /* shows slot 0 = 0x2a */
} step;

static bool step_is(const json_t *s, const step *e) {
    bool good = json_integer_value(json_object_get(s, "pc")) == (json_int_t)e->pc && !strcmp(str(s, "op"), e->op) &&
                json_integer_value(json_object_get(s, "gas")) == e->gas &&
                json_integer_value(json_object_get(s, "gasCost")) == e->cost &&
                json_integer_value(json_object_get(s, "depth")) == 1 && !json_object_get(s, "error") &&
                !json_object_get(s, "refund") && !json_object_get(s, "memory");
    /* the stack */
    const json_t *st = json_object_get(s, "stack");
    char text[256] = "";
    for (size_t i = 0; st && i < json_array_size(st); i++) {
        if (i) strcat(text, ",");
        strncat(text, json_string_value(json_array_get(st, i)), 80);
    }
    good &= json_is_array(st) && !strcmp(text, e->stack);
    /* storage only on SLOAD and SSTORE: the slot written or read */
    const json_t *sto = json_object_get(s, "storage");
    if (e->storage)
        good &= json_object_size(sto) == 1 && !strcmp(str(sto, WORD_0), WORD_2A);
    else
        good &= sto == NULL;
    if (!good) {
        char *t = json_dumps(s, 0);
        fprintf(stderr, "  step %s at pc %llu: got %s\n", e->op, (unsigned long long)e->pc, t);
        free(t);
    }
    return good;
}

/* A's ten steps when it runs with 79,000 gas (100,000 minus the 21,000 of
 * a call without data) and slot 0 is still zero: PUSH1 3, SSTORE of a
 * cold, zero slot to non-zero 2100 + 20000, SLOAD warm 100, MSTORE 3 + 3
 * for one new memory word, RETURN 0 (memory already there). */
static const step A_STEPS[] = {
    {0, "PUSH1", 79000, 3, "", false},           {2, "PUSH1", 78997, 3, "0x2a", false},
    {4, "SSTORE", 78994, 22100, "0x2a,0x0", true}, {5, "PUSH1", 56894, 3, "", false},
    {7, "SLOAD", 56891, 100, "0x0", true},       {8, "PUSH1", 56791, 3, "0x2a", false},
    {10, "MSTORE", 56788, 6, "0x2a,0x0", false}, {11, "PUSH1", 56782, 3, "", false},
    {13, "PUSH1", 56779, 3, "0x20", false},      {15, "RETURN", 56776, 0, "0x20,0x0", false},
};

TEST(node_trace_struct_logs_by_hand) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    json_t *t = trace_tx(c, c->tx_store, NULL);
    CHECK(t != NULL);
    if (!t) return;
    /* 21000 + the 22,224 A's steps cost */
    CHECK_EQ_U64(json_integer_value(json_object_get(t, "gas")), 43224);
    CHECK(json_is_false(json_object_get(t, "failed")));
    CHECK(!strcmp(str(t, "returnValue"), WORD_2A));
    json_t *logs = json_object_get(t, "structLogs");
    CHECK_EQ_U64(json_array_size(logs), 10);
    for (size_t i = 0; i < 10 && i < json_array_size(logs); i++) CHECK(step_is(json_array_get(logs, i), &A_STEPS[i]));
    json_t *rc = get_receipt(c, c->tx_store);
    CHECK(rc && qty(rc, "gasUsed") == 43224);
    json_decref(rc);
    json_decref(t);

    /* the options: no stack, no storage; memory (the word MSTORE wrote, from
     * the step after it) */
    t = trace_tx(c, c->tx_store, "{\"disableStack\":true,\"disableStorage\":true,\"enableMemory\":true}");
    logs = json_object_get(t, "structLogs");
    CHECK(json_array_size(logs) == 10);
    for (size_t i = 0; i < json_array_size(logs); i++) {
        json_t *s = json_array_get(logs, i);
        CHECK(!json_object_get(s, "stack") && !json_object_get(s, "storage"));
        json_t *mem = json_object_get(s, "memory");
        if (i <= 6) CHECK(mem == NULL);
        else CHECK(json_array_size(mem) == 1 && !strcmp(json_string_value(json_array_get(mem, 0)), WORD_2A));
    }
    json_decref(t);
    /* limit: entries stop once the JSON written exceeds it */
    t = trace_tx(c, c->tx_store, "{\"limit\":1}");
    CHECK(t && json_array_size(json_object_get(t, "structLogs")) == 1 && json_integer_value(json_object_get(t, "gas")) == 43224);
    json_decref(t);
}

/* ---- callTracer ------------------------------------------------------------------------ */

TEST(node_trace_call_tracer_nesting_and_revert_reason) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    json_t *t = trace_tx(c, c->tx_call, "{\"tracer\":\"callTracer\"}");
    CHECK(t != NULL);
    if (!t) return;
    CHECK(!strcmp(str(t, "type"), "CALL") && !strcasecmp(str(t, "from"), c->acct[1]) && !strcasecmp(str(t, "to"), c->c));
    CHECK(!strcmp(str(t, "value"), "0x0") && !strcmp(str(t, "input"), "0x") && !json_object_get(t, "error"));
    CHECK(qty(t, "gas") == 300000); /* the top frame: the transaction's gas limit */
    json_t *rc = get_receipt(c, c->tx_call);
    CHECK(rc && qty(t, "gasUsed") == qty(rc, "gasUsed"));
    json_decref(rc);
    json_t *calls = json_object_get(t, "calls");
    CHECK(json_array_size(calls) == 2);
    json_t *ca = json_array_get(calls, 0), *cr = json_array_get(calls, 1);
    /* A: slot 0 already 0x2a (block 4), so SSTORE is 2100 cold + 100:
     * 3+3+2200+3+100+3+6+3+3+0 = 2324 */
    CHECK(ca && !strcmp(str(ca, "type"), "CALL") && !strcasecmp(str(ca, "from"), c->c) &&
          !strcasecmp(str(ca, "to"), c->a));
    CHECK(ca && qty(ca, "gasUsed") == 2324 && !strcmp(str(ca, "output"), WORD_2A) && !json_object_get(ca, "error"));
    /* A's gas: C had 279000, spent 5 PUSH1 + PUSH20 + GAS (20) and pushed
     * 278980; CALL to a cold account costs 2600, and 276380 - 276380/64 =
     * 272062 is all a callee can get */
    CHECK(ca && qty(ca, "gas") == 272062);
    CHECK(ca && !strcmp(str(ca, "input"), "0x") && !strcmp(str(ca, "value"), "0x0") && !json_object_get(ca, "calls"));
    CHECK(cr && !strcasecmp(str(cr, "to"), c->r) && !strcmp(str(cr, "error"), "execution reverted"));
    CHECK(cr && !strcmp(str(cr, "revertReason"), "nope") && !strcmp(str(cr, "output"), NOPE_DATA));
    /* no logs unless asked */
    CHECK(!json_object_get(t, "logs"));
    json_decref(t);

    /* withLog: C's LOG1 after its two calls */
    t = trace_tx(c, c->tx_call, "{\"tracer\":\"callTracer\",\"tracerConfig\":{\"withLog\":true}}");
    json_t *logs = t ? json_object_get(t, "logs") : NULL;
    CHECK(json_array_size(logs) == 1);
    json_t *l = json_array_get(logs, 0);
    CHECK(l && !strcasecmp(str(l, "address"), c->c) && !strcmp(str(l, "data"), "0x") && !strcmp(str(l, "position"), "0x2"));
    CHECK(l && json_array_size(json_object_get(l, "topics")) == 1 &&
          !strcmp(json_string_value(json_array_get(json_object_get(l, "topics"), 0)), WORD_1));
    json_decref(t);

    /* onlyTopCall: the top frame alone */
    t = trace_tx(c, c->tx_call, "{\"tracer\":\"callTracer\",\"tracerConfig\":{\"onlyTopCall\":true}}");
    CHECK(t && !json_object_get(t, "calls") && !strcasecmp(str(t, "to"), c->c));
    json_decref(t);

    /* flatCallTracer: the same frames, each placed in its block and transaction */
    t = trace_tx(c, c->tx_call, "{\"tracer\":\"flatCallTracer\"}");
    CHECK(json_array_size(t) == 3);
    json_t *rcpt = get_receipt(c, c->tx_call);
    for (size_t i = 0; i < json_array_size(t) && rcpt; i++) {
        json_t *f = json_array_get(t, i);
        CHECK(!strcmp(str(f, "blockHash"), str(rcpt, "blockHash")) &&
              !strcmp(str(f, "transactionHash"), str(rcpt, "transactionHash")) &&
              (uint64_t)json_integer_value(json_object_get(f, "blockNumber")) == qty(rcpt, "blockNumber") &&
              (uint64_t)json_integer_value(json_object_get(f, "transactionPosition")) == qty(rcpt, "transactionIndex"));
    }
    json_decref(rcpt);
    json_t *f2 = json_array_get(t, 2);
    CHECK(f2 && !strcmp(str(f2, "error"), "execution reverted") &&
          !strcmp(str(json_object_get(f2, "result"), "output"), NOPE_DATA));
    json_decref(t);
    t = trace_tx(c, c->tx_call, "{\"tracer\":\"noopTracer\"}");
    CHECK(t && json_is_object(t) && json_object_size(t) == 0);
    json_decref(t);
}

/* ---- prestateTracer -------------------------------------------------------------------- */

TEST(node_trace_prestate_and_diff_mode) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    json_t *t = trace_tx(c, c->tx_store, "{\"tracer\":\"prestateTracer\"}");
    CHECK(t != NULL);
    if (!t) return;
    json_t *a = get_ci(t, c->a), *from = get_ci(t, c->acct[1]);
    char code[80];
    snprintf(code, sizeof code, "0x%s", A_CODE);
    CHECK(a && !strcmp(str(a, "code"), code) && json_integer_value(json_object_get(a, "nonce")) == 1 &&
          !strcmp(str(a, "balance"), "0x0"));
    /* slot 0 as it was before: zero */
    CHECK(a && !strcmp(str(json_object_get(a, "storage"), WORD_0), WORD_0));
    /* nonce 0 and no code: omitted */
    CHECK(from && !json_object_get(from, "nonce") && !json_object_get(from, "code") && json_object_get(from, "balance"));
    json_decref(t);

    t = trace_tx(c, c->tx_store, "{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true}}");
    json_t *pre = t ? json_object_get(t, "pre") : NULL, *post = t ? json_object_get(t, "post") : NULL;
    CHECK(pre && post);
    if (!pre || !post) {
        json_decref(t);
        return;
    }
    json_t *pa = get_ci(post, c->a);
    CHECK(pa && !strcmp(str(json_object_get(pa, "storage"), WORD_0), WORD_2A));
    /* the sender: nonce + 1, balance less gasUsed * effectiveGasPrice */
    json_t *fp = get_ci(pre, c->acct[1]), *fq = get_ci(post, c->acct[1]);
    CHECK(fp && fq && json_integer_value(json_object_get(fq, "nonce")) == 1 && !json_object_get(fp, "nonce"));
    json_t *rc = get_receipt(c, c->tx_store);
    if (fp && fq && rc) {
        u256 used = u256_from_u64(qty(rc, "gasUsed")), price = qty256(rc, "effectiveGasPrice");
        u256 fee = u256_mul(&used, &price), before = qty256(fp, "balance"), after = qty256(fq, "balance");
        u256 spent = u256_sub(&before, &after);
        CHECK(u256_eq(&spent, &fee) && !u256_is_zero(&fee));
    }
    json_decref(rc);
    json_decref(t);
}

/* ---- Blocks ------------------------------------------------------------------------------ */

TEST(node_trace_block_one_entry_per_tx) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char p[256];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)c->blk_multi);
    json_t *blk = ok(c, "eth_getBlockByNumber", p);
    json_t *txs = blk ? json_object_get(blk, "transactions") : NULL;
    CHECK(json_array_size(txs) == 3);
    snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)c->blk_multi);
    json_t *t = ok(c, "debug_traceBlockByNumber", p);
    CHECK(json_array_size(t) == 3);
    for (size_t i = 0; i < json_array_size(t) && i < json_array_size(txs); i++) {
        json_t *e = json_array_get(t, i);
        const char *h = json_string_value(json_array_get(txs, i));
        CHECK(json_object_size(e) == 2 && !strcmp(str(e, "txHash"), h));
        /* each entry is the transaction's own trace */
        json_t *one = trace_tx(c, h, NULL);
        CHECK(one && json_equal(one, json_object_get(e, "result")));
        json_decref(one);
    }
    json_decref(t);
    /* by hash, with a tracer */
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"callTracer\"}]", str(blk, "hash"));
    t = ok(c, "debug_traceBlockByHash", p);
    CHECK(json_array_size(t) == 3);
    for (size_t i = 0; i < json_array_size(t) && i < json_array_size(txs); i++) {
        json_t *e = json_array_get(t, i);
        json_t *one = trace_tx(c, json_string_value(json_array_get(txs, i)), "{\"tracer\":\"callTracer\"}");
        CHECK(one && json_equal(one, json_object_get(e, "result")));
        json_decref(one);
    }
    /* debug_traceBlock: the same block as RLP */
    snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)c->blk_multi);
    json_t *raw = ok(c, "debug_getRawBlock", p);
    if (json_is_string(raw)) {
        size_t len = json_string_length(raw) + 64;
        char *q = malloc(len);
        snprintf(q, len, "[\"%s\",{\"tracer\":\"callTracer\"}]", json_string_value(raw));
        json_t *t2 = ok(c, "debug_traceBlock", q);
        CHECK(t2 && json_equal(t2, t));
        json_decref(t2);
        free(q);
    }
    CHECK(json_is_string(raw));
    json_decref(raw);
    /* the plain transfer: a frame without calls, 21000 gas */
    json_t *tr = NULL;
    for (size_t i = 0; i < json_array_size(t); i++)
        if (!strcmp(str(json_array_get(t, i), "txHash"), c->tx_multi[0])) tr = json_object_get(json_array_get(t, i), "result");
    CHECK(tr && qty(tr, "gasUsed") == 21000 && !strcmp(str(tr, "value"), "0x5") && !json_object_get(tr, "calls"));
    json_decref(t);
    json_decref(blk);
    /* a block without transactions: an empty array; "latest" resolves */
    CHECK(simple(c, "evm_mine", "[]"));
    t = ok(c, "debug_traceBlockByNumber", "[\"latest\"]");
    CHECK(json_is_array(t) && json_array_size(t) == 0);
    json_decref(t);
    /* an earlier block by number: block 4's only transaction */
    snprintf(p, sizeof p, "[\"0x%llx\",{\"tracer\":\"prestateTracer\"}]", (unsigned long long)c->blk_store);
    t = ok(c, "debug_traceBlockByNumber", p);
    json_t *one = trace_tx(c, c->tx_store, "{\"tracer\":\"prestateTracer\"}");
    CHECK(json_array_size(t) == 1 && one && json_equal(one, json_object_get(json_array_get(t, 0), "result")));
    json_decref(one);
    json_decref(t);
}

/* ---- debug_standardTraceBlockToFile --------------------------------------------------------- */

/* A trace file's lines against the transaction's structLogs: the same
 * steps (pc, op, gas, depth), then the summary with the receipt's gas;
 * with_memory: some step carries the memory. The file is removed. */
/* The gas a successful transaction's top-level frame used, from its
 * structLogs: what its first step had less what its last step left. */
static uint64_t top_frame_gas(json_t *logs) {
    json_int_t first = -1, left = 0;
    for (size_t i = 0; i < json_array_size(logs); i++) {
        json_t *s = json_array_get(logs, i);
        if (json_integer_value(json_object_get(s, "depth")) != 1) continue;
        json_int_t gas = json_integer_value(json_object_get(s, "gas"));
        if (first < 0) first = gas;
        left = gas - json_integer_value(json_object_get(s, "gasCost"));
    }
    return first < 0 ? 0 : (uint64_t)(first - left);
}

static bool file_matches(const chain *c, const char *path, const char *txh, bool with_memory) {
    FILE *f = fopen(path, "r");
    json_t *t = trace_tx(c, txh, NULL), *rc = get_receipt(c, txh);
    json_t *logs = json_object_get(t, "structLogs");
    bool good = f && logs && rc;
    size_t step = 0;
    bool summary = false, memory = false;
    char line[65536];
    while (good && fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        good = o != NULL && !summary;
        if (good && json_object_get(o, "output")) {
            summary = true;
            good = qty(o, "gasUsed") == top_frame_gas(logs) && qty(rc, "status") == 1;
        } else if (good) {
            json_t *s = json_array_get(logs, step++);
            good = s && json_integer_value(json_object_get(o, "pc")) == json_integer_value(json_object_get(s, "pc")) &&
                   !strcmp(str(o, "opName"), str(s, "op")) &&
                   (int64_t)qty(o, "gas") == json_integer_value(json_object_get(s, "gas")) &&
                   json_integer_value(json_object_get(o, "depth")) == json_integer_value(json_object_get(s, "depth"));
            memory |= json_object_get(o, "memory") != NULL;
        }
        json_decref(o);
    }
    good = good && summary && step == json_array_size(logs) && memory == with_memory;
    if (f) fclose(f);
    unlink(path);
    json_decref(t);
    json_decref(rc);
    return good;
}

/* geth's name: <dir>/block_0x<8 hex>-<index>-0x<8 hex of the transaction's hash>-<random> */
static bool file_named(const char *path, const char *block_hash, size_t index, const char *txh) {
    const char *base = strrchr(path, '/');
    char want[64];
    snprintf(want, sizeof want, "block_%.10s-%zu-%.10s-", block_hash, index, txh);
    return base && !strncmp(base + 1, want, strlen(want)) && strlen(base + 1) > strlen(want);
}

TEST(node_trace_block_to_files) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char p[512], msg[300];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)c->blk_multi);
    json_t *blk = ok(c, "eth_getBlockByNumber", p);
    const char *bh = str(blk, "hash");
    snprintf(p, sizeof p, "[\"%s\"]", bh);
    json_t *files = ok(c, "debug_standardTraceBlockToFile", p);
    CHECK(json_array_size(files) == 3);
    for (size_t i = 0; i < json_array_size(files) && i < 3; i++) {
        const char *path = json_string_value(json_array_get(files, i));
        CHECK(path && file_named(path, bh, i, c->tx_multi[i]));
        CHECK(path && file_matches(c, path, c->tx_multi[i], false));
    }
    json_decref(files);
    /* one transaction, with its memory */
    snprintf(p, sizeof p, "[\"%s\",{\"txHash\":\"%s\",\"enableMemory\":true,\"disableStorage\":true}]", bh,
             c->tx_multi[1]);
    files = ok(c, "debug_standardTraceBlockToFile", p);
    CHECK(json_array_size(files) == 1);
    const char *path = json_string_value(json_array_get(files, 0));
    CHECK(path && file_named(path, bh, 1, c->tx_multi[1]) && file_matches(c, path, c->tx_multi[1], true));
    json_decref(files);
    /* geth's refusals */
    snprintf(p, sizeof p, "[\"%s\",{\"txHash\":\"%s\"}]", bh, c->tx_store);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32000 &&
          strstr(msg, "not found in block"));
    snprintf(p, sizeof p, "[\"%s\",{\"overrides\":{\"pragueTime\":0}}]", bh);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",{\"enableMemory\":1}]", bh);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",5]", bh);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32602);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", "[\"0x12\"]", msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"0x%064d\"]", 7);
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32000);
    json_t *g = ok(c, "eth_getBlockByNumber", "[\"0x0\",false]");
    snprintf(p, sizeof p, "[\"%s\"]", str(g, "hash"));
    CHECK(err_of(c, "debug_standardTraceBlockToFile", p, msg, sizeof msg) == -32000 &&
          strstr(msg, "genesis is not traceable"));
    json_decref(g);
    /* only bad blocks: none here */
    snprintf(p, sizeof p, "[\"%s\"]", bh);
    CHECK(err_of(c, "debug_standardTraceBadBlockToFile", p, msg, sizeof msg) == -32000 && strstr(msg, "bad block"));
    json_decref(blk);
}

/* ---- debug_traceCall ---------------------------------------------------------------------- */

/* The gasCost of A's SSTORE in a traceCall at block (and config). */
static int64_t sstore_cost(const chain *c, const char *block, const char *config) {
    char p[512];
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x186a0\"},%s%s%s]", c->acct[1], c->a, block,
             config ? "," : "", config ? config : "");
    json_t *t = ok(c, "debug_traceCall", p);
    json_t *s = json_array_get(json_object_get(t, "structLogs"), 2);
    int64_t cost = s && !strcmp(str(s, "op"), "SSTORE") ? json_integer_value(json_object_get(s, "gasCost")) : -1;
    /* the call starts with the gas of a transaction's first step */
    if (json_integer_value(json_object_get(json_array_get(json_object_get(t, "structLogs"), 0), "gas")) != 79000)
        cost = -2;
    json_decref(t);
    return cost;
}

TEST(node_trace_call_state_and_overrides) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char blk[32], before[32];
    snprintf(blk, sizeof blk, "\"0x%llx\"", (unsigned long long)c->blk_store);
    snprintf(before, sizeof before, "\"0x%llx\"", (unsigned long long)(c->blk_store - 1));
    /* after block 4 slot 0 is 0x2a: 2100 cold + 100 for an unchanged value;
     * before it (block 3, or block 4 before its first transaction) 22100 */
    CHECK(sstore_cost(c, "\"latest\"", NULL) == 2200);
    CHECK(sstore_cost(c, blk, NULL) == 2200);
    CHECK(sstore_cost(c, before, NULL) == 22100);
    CHECK(sstore_cost(c, blk, "{\"txIndex\":\"0x0\"}") == 22100);
    /* geth's stateAtTransaction: no transaction at the index past the last */
    char q[512], range[300];
    snprintf(q, sizeof q, "[{\"from\":\"%s\",\"to\":\"%s\"},%s,{\"txIndex\":\"0x1\"}]", c->acct[1], c->a, blk);
    CHECK(err_of(c, "debug_traceCall", q, range, sizeof range) == -32000 &&
          !strncmp(range, "transaction index 1 out of range for block 0x", 45));
    /* eth_simulateV1's block overrides are refused, as geth's BlockOverrides.Apply */
    snprintf(q, sizeof q, "[{\"from\":\"%s\",\"to\":\"%s\"},%s,{\"blockOverrides\":{\"withdrawals\":[]}}]", c->acct[1],
             c->a, blk);
    CHECK(err_of(c, "debug_traceCall", q, range, sizeof range) == -32000 &&
          !strcmp(range, "block override \"withdrawals\" is not supported for this RPC method"));
    /* a block by hash (EIP-1898 object) */
    char p[1024];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)(c->blk_store - 1));
    json_t *b3 = ok(c, "eth_getBlockByNumber", p);
    char ref[128];
    snprintf(ref, sizeof ref, "{\"blockHash\":\"%s\"}", str(b3, "hash"));
    CHECK(sstore_cost(c, ref, NULL) == 22100);
    json_decref(b3);

    /* state and block overrides: X's code returns slot 0 and NUMBER
     * (SLOAD(0), MSTORE at 0; NUMBER, MSTORE at 32; RETURN(0, 64)) */
    const char *x = "0x00000000000000000000000000000000000c0de1";
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"to\":\"%s\"},\"latest\",{\"tracer\":\"callTracer\","
             "\"stateOverrides\":{\"%s\":{\"code\":\"0x6000546000524360205260406000f3\",\"stateDiff\":{\"%s\":"
             "\"0x0000000000000000000000000000000000000000000000000000000000000007\"}}},"
             "\"blockOverrides\":{\"number\":\"0x99\"}}]",
             c->acct[1], x, x, WORD_0);
    json_t *t = ok(c, "debug_traceCall", p);
    CHECK(t && !strcmp(str(t, "output"), "0x0000000000000000000000000000000000000000000000000000000000000007"
                                         "0000000000000000000000000000000000000000000000000000000000000099"));
    json_decref(t);
    /* balance override: a sender without funds paying a gas price fails,
     * with a balance it runs */
    const char *poor = "0x00000000000000000000000000000000000bad01";
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"},\"latest\"]", poor, c->acct[3]);
    char msg[300];
    CHECK(err_of(c, "debug_traceCall", p, msg, sizeof msg) == -32000 && strstr(msg, "tracing failed") &&
          strstr(msg, "insufficient funds"));
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1\"},\"latest\",{\"tracer\":\"prestateTracer\","
             "\"stateOverrides\":{\"%s\":{\"balance\":\"0x10\"}}}]",
             poor, c->acct[3], poor);
    t = ok(c, "debug_traceCall", p);
    json_t *pa = t ? get_ci(t, poor) : NULL;
    CHECK(pa && !strcmp(str(pa, "balance"), "0x10"));
    json_decref(t);

    /* a call that reverts at the top: callTracer's error and reason */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\"},\"latest\",{\"tracer\":\"callTracer\"}]", c->acct[1], c->r);
    t = ok(c, "debug_traceCall", p);
    CHECK(t && !strcmp(str(t, "error"), "execution reverted") && !strcmp(str(t, "revertReason"), "nope") &&
          !strcmp(str(t, "output"), NOPE_DATA));
    json_decref(t);
    /* the default logger on the same: failed, the revert data returned */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\"},\"latest\"]", c->acct[1], c->r);
    t = ok(c, "debug_traceCall", p);
    CHECK(t && json_is_true(json_object_get(t, "failed")) && !strcmp(str(t, "returnValue"), NOPE_DATA));
    json_decref(t);
}

/* ---- Errors ------------------------------------------------------------------------------ */

TEST(node_trace_errors) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    json_t *head = ok(c, "eth_getBlockByNumber", "[\"latest\",false]");
    const char *unknown = "\"0x1111111111111111111111111111111111111111111111111111111111111111\"";
    char p[512];
    snprintf(p, sizeof p, "[%s]", unknown);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, "transaction not found"));
    CHECK(err_is(c, "debug_traceBlockByHash", p, -32000,
                 "block 0x1111111111111111111111111111111111111111111111111111111111111111 not found"));
    CHECK(err_is(c, "debug_traceBlockByNumber", "[\"0x3e8\"]", -32000, "block #1000 not found"));
    CHECK(err_is(c, "debug_traceBlockByNumber", "[\"0x0\"]", -32000, "genesis is not traceable"));
    CHECK(err_is(c, "debug_traceBlockByNumber", "[\"earliest\"]", -32000, "genesis is not traceable"));
    CHECK(err_is(c, "debug_traceBlock", "[\"0xc0\"]", -32000, NULL));
    json_t *g = ok(c, "debug_getRawBlock", "[\"0x0\"]");
    if (json_is_string(g)) {
        size_t len = json_string_length(g) + 8;
        char *q = malloc(len);
        snprintf(q, len, "[\"%s\"]", json_string_value(g));
        CHECK(err_is(c, "debug_traceBlock", q, -32000, "genesis is not traceable"));
        free(q);
    }
    CHECK(json_is_string(g));
    json_decref(g);
    /* tracers */
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"4byteTracerX\"}]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, "tracer not found"));
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"{step: function() {}}\"}]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, "tracer not found"));
    CHECK(err_is(c, "debug_traceBlockByNumber", "[\"0x1\",{\"tracer\":\"nope\"}]", -32000, "tracer not found"));
    snprintf(p, sizeof p, "[\"%s\",{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true,\"includeEmpty\":true}}]",
             c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, NULL));
    /* configs that do not decode, bad arguments */
    snprintf(p, sizeof p, "[\"%s\",{\"disableStack\":\"yes\"}]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32602, NULL));
    snprintf(p, sizeof p, "[\"%s\",[]]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32602, NULL));
    CHECK(err_is(c, "debug_traceTransaction", "[]", -32602, NULL));
    CHECK(err_is(c, "debug_traceTransaction", "[\"0x12\"]", -32602, NULL));
    CHECK(err_is(c, "debug_traceBlockByNumber", "[\"0xzz\"]", -32602, NULL));
    CHECK(err_is(c, "debug_traceBlockByHash", "[\"0x1\"]", -32602, NULL));
    CHECK(err_is(c, "debug_traceCall", "[]", -32602, NULL));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"latest\",{\"stateOverrides\":{\"0x12\":{}}}]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32602, NULL));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"latest\",{\"timeout\":5}]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32602, NULL));
    /* traceCall's blocks */
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"pending\"]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "tracing on top of pending is not supported"));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"0x3e8\"]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "block #1000 not found"));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},{\"blockHash\":%s}]", c->a, unknown);
    CHECK(err_is(c, "debug_traceCall", p, -32000,
                 "block 0x1111111111111111111111111111111111111111111111111111111111111111 not found"));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"0x0\",{\"txIndex\":\"0x0\"}]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "no transaction in genesis"));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"0x4\",{\"txIndex\":\"0x5\"}]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, NULL));
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"latest\",{\"tracer\":\"bad\"}]", c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "tracer not found"));
    /* the genesis is traceable as a call's state */
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"0x0\"]", c->a);
    json_t *t = ok(c, "debug_traceCall", p);
    CHECK(t && json_array_size(json_object_get(t, "structLogs")) == 0 && json_integer_value(json_object_get(t, "gas")) == 21000);
    json_decref(t);
    /* nothing was written: the head is the same block */
    json_t *head2 = ok(c, "eth_getBlockByNumber", "[\"latest\",false]");
    CHECK(head && head2 && !strcmp(str(head, "hash"), str(head2, "hash")));
    json_decref(head);
    json_decref(head2);
}

/* ---- eth_callMany and debug_traceCallMany ------------------------------------------------ */

/* X counts: slot 0 + 1 stored and returned; N returns NUMBER; B returns
 * acct3's balance (code filled in per chain); H halts (INVALID). */
#define X_ADDR "0x00000000000000000000000000000000000c0de2"
#define N_ADDR "0x00000000000000000000000000000000000c0de3"
#define B_ADDR "0x00000000000000000000000000000000000c0de4"
#define H_ADDR "0x00000000000000000000000000000000000c0de5"
#define X_CALL "{\"to\":\"" X_ADDR "\"}"
#define N_CALL "{\"to\":\"" N_ADDR "\"}"

static void many_overrides(const chain *c, char *out, size_t cap) {
    snprintf(out, cap,
             "{\"" X_ADDR "\":{\"code\":\"0x6000546001018060005560005260206000f3\"},"
             "\"" N_ADDR "\":{\"code\":\"0x4360005260206000f3\"},"
             "\"" B_ADDR "\":{\"code\":\"0x73%s3160005260206000f3\"},"
             "\"" H_ADDR "\":{\"code\":\"0xfe\"}}",
             c->acct[3] + 2);
}

/* The word an eth_callMany entry returned, as a number (UINT64_MAX: none). */
static uint64_t entry_word(const json_t *all, size_t bundle, size_t call) {
    const char *v = json_string_value(json_object_get(json_array_get(json_array_get(all, bundle), call), "value"));
    uint64_t x;
    return v && strlen(v) == 66 && hex_to_u64(v + 50, &x) && !strncmp(v, WORD_0, 50) ? x : UINT64_MAX;
}

static const char *entry_error(const json_t *all, size_t bundle, size_t call) {
    return str(json_array_get(json_array_get(all, bundle), call), "error");
}

TEST(node_call_many_bundles_in_a_row) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char ov[1024], p[4096];
    many_overrides(c, ov, sizeof ov);
    /* the counter's changes carry over calls and bundles; an empty bundle
     * gets no entry; the revert's reason and the halt's words are entries;
     * a bundle's block override holds for that bundle only */
    snprintf(p, sizeof p,
             "[[{\"transactions\":[" X_CALL "," X_CALL "]},{\"transactions\":[]},"
             "{\"transactions\":[" X_CALL ",{\"to\":\"%s\"},{\"to\":\"" H_ADDR "\"}," N_CALL "],"
             "\"blockOverride\":{\"number\":\"0x99\"}},{\"transactions\":[" N_CALL "]}],"
             "{\"blockNumber\":\"latest\",\"transactionIndex\":-1},%s]",
             c->r, ov);
    json_t *head = ok(c, "eth_blockNumber", "[]");
    uint64_t latest = UINT64_MAX;
    CHECK(json_is_string(head) && hex_to_u64(json_string_value(head), &latest));
    json_decref(head);
    json_t *all = ok(c, "eth_callMany", p);
    CHECK(json_array_size(all) == 3);
    CHECK(entry_word(all, 0, 0) == 1 && entry_word(all, 0, 1) == 2 && entry_word(all, 1, 0) == 3);
    CHECK(!strcmp(entry_error(all, 1, 1), "execution reverted: nope"));
    CHECK(!strcmp(entry_error(all, 1, 2), "invalid opcode: INVALID"));
    CHECK(entry_word(all, 1, 3) == 0x99 && entry_word(all, 2, 0) == latest);
    json_decref(all);
    /* at "pending": the pending block's environment (reth's call_many) */
    snprintf(p, sizeof p, "[[{\"transactions\":[" N_CALL "]}],{\"blockNumber\":\"pending\"},%s]", ov);
    all = ok(c, "eth_callMany", p);
    CHECK(entry_word(all, 0, 0) == latest + 1);
    json_decref(all);

    /* debug_traceCallMany: the same state carried over, each later bundle
     * one block on (an empty one too, with its own [] entry) */
    snprintf(p, sizeof p,
             "[[{\"transactions\":[" X_CALL "]},{\"transactions\":[]},{\"transactions\":[" X_CALL "," N_CALL "]}],"
             "{\"blockNumber\":\"latest\"},{\"tracer\":\"callTracer\",\"stateOverrides\":%s}]",
             ov);
    all = ok(c, "debug_traceCallMany", p);
    CHECK(json_array_size(all) == 3 && json_array_size(json_array_get(all, 1)) == 0);
    const json_t *b2 = json_array_get(all, 2);
    char want[67];
    snprintf(want, sizeof want, "0x%064llx", (unsigned long long)(latest + 2));
    CHECK(!strcmp(str(json_array_get(json_array_get(all, 0), 0), "output"), WORD_1));
    CHECK(!strcmp(str(json_array_get(b2, 0), "output"),
                  "0x0000000000000000000000000000000000000000000000000000000000000002"));
    CHECK(!strcmp(str(json_array_get(b2, 1), "output"), want));
    json_decref(all);
}

/* An eth_callMany entry's value or a trace's output, as a word. */
static u256 word_of(const char *hex) {
    bytes32 b;
    if (hex_decode(hex, b.b, 32) != 32) return u256_from_u64(0xdead);
    return u256_from_bytes32(&b);
}

TEST(node_call_many_state_context) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char ov[1024], p[4096];
    many_overrides(c, ov, sizeof ov);
    /* block 6's transaction 0 sends acct3 5 wei: acct3's balance before it,
     * after it, after the block (-1, and an index past the end) */
    u256 got[4];
    const char *index[4] = {"0", "1", "-1", "\"0x9\""};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p,
                 "[[{\"transactions\":[{\"to\":\"" B_ADDR "\"}]}],{\"blockNumber\":\"0x%llx\","
                 "\"transactionIndex\":%s},%s]",
                 (unsigned long long)c->blk_multi, index[i], ov);
        json_t *all = ok(c, "eth_callMany", p);
        got[i] = word_of(str(json_array_get(json_array_get(all, 0), 0), "value"));
        json_decref(all);
    }
    snprintf(p, sizeof p, "[\"%s\",\"0x%llx\"]", c->acct[3], (unsigned long long)(c->blk_multi - 1));
    json_t *bal = ok(c, "eth_getBalance", p);
    u256 before = U256_ZERO, five = u256_from_u64(5);
    CHECK(json_is_string(bal) && !rpc_parse_u256(bal, &before));
    json_decref(bal);
    u256 after = u256_add(&before, &five);
    CHECK(u256_eq(&got[0], &before) && u256_eq(&got[1], &after) && u256_eq(&got[2], &after) &&
          u256_eq(&got[3], &after));
    /* debug_traceCallMany takes the same context */
    snprintf(p, sizeof p,
             "[[{\"transactions\":[{\"to\":\"" B_ADDR "\"}]}],{\"blockNumber\":\"0x%llx\",\"transactionIndex\":1},"
             "{\"tracer\":\"callTracer\",\"stateOverrides\":%s}]",
             (unsigned long long)c->blk_multi, ov);
    json_t *all = ok(c, "debug_traceCallMany", p);
    u256 traced = word_of(str(json_array_get(json_array_get(all, 0), 0), "output"));
    CHECK(u256_eq(&traced, &after));
    json_decref(all);
}

TEST(node_call_many_errors) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    char p[1024];
    CHECK(err_is(c, "eth_callMany", "[[]]", -32602, "bundles are empty."));
    CHECK(err_is(c, "debug_traceCallMany", "[[]]", -32602, "bundles are empty."));
    CHECK(err_is(c, "eth_callMany", "[]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[{}]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"txs\":[]}]]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"transactions\":[{\"to\":\"0x12\"}]}]]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"transactions\":[]}],{\"transactionIndex\":-2}]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"transactions\":[]}],{\"blockNumber\":\"0xzz\"}]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"transactions\":[]}],null,null,\"soon\"]", -32602, NULL));
    CHECK(err_is(c, "eth_callMany", "[[{\"transactions\":[]}],{\"blockNumber\":\"0x3e8\"}]", -32000,
                 "block #1000 not found"));
    /* a call that is not valid fails the request, naming it */
    snprintf(p, sizeof p,
             "[[{\"transactions\":[" X_CALL "]},{\"transactions\":[{\"from\":\"0x00000000000000000000000000000000000bad02\","
             "\"to\":\"%s\",\"value\":\"0x1\"}]}]]",
             c->acct[3]);
    char msg[300];
    CHECK(err_of(c, "eth_callMany", p, msg, sizeof msg) == -32000 &&
          !strncmp(msg, "call many error in bundle 1 and transaction 0: ", 47) && strstr(msg, "insufficient funds"));
    CHECK(err_is(c, "debug_traceCallMany", "[[{\"transactions\":[]}],null,{\"tracer\":\"nope\"}]", -32000,
                 "tracer not found"));
    CHECK(err_is(c, "debug_traceCallMany", "[[{\"transactions\":[]}],null,{\"disableStack\":\"yes\"}]", -32602, NULL));
    /* more than 10,000 calls in one request are refused before any runs */
    size_t cap = 32 + 10001 * 3;
    char *many = malloc(cap);
    size_t at = (size_t)snprintf(many, cap, "[[{\"transactions\":[");
    for (int i = 0; i <= 10000; i++) at += (size_t)snprintf(many + at, cap - at, "%s{}", i ? "," : "");
    snprintf(many + at, cap - at, "]}]]");
    CHECK(err_is(c, "eth_callMany", many, -32602, "too many calls: 10001 > 10000"));
    free(many);
    /* the Erigon timeout is taken; bundles of nothing answer nothing */
    json_t *all = ok(c, "eth_callMany", "[[{\"transactions\":[]}],null,null,5000]");
    CHECK(json_is_array(all) && json_array_size(all) == 0);
    json_decref(all);
}

/* ---- Halts in geth's words -------------------------------------------------------------- */

/* eth_call of code (put at X by a state override) fails with msg. */
static bool call_halts(const chain *c, const char *method, const char *code, const char *msg) {
    char p[512];
    snprintf(p, sizeof p, "[{\"to\":\"0x00000000000000000000000000000000000100f1\"},\"latest\","
             "{\"0x00000000000000000000000000000000000100f1\":{\"code\":\"%s\"}}]", code);
    return err_is(c, method, p, -32000, msg);
}

/* eth_call (and callTracer's frame) of precompile number pc with data fail with msg. */
static bool precompile_fails(const chain *c, int pc, const char *data, const char *msg) {
    char p[1024];
    snprintf(p, sizeof p, "[{\"to\":\"0x%040x\",\"data\":\"0x%s\"},\"latest\"]", pc, data);
    bool call = err_is(c, "eth_call", p, -32000, msg);
    snprintf(p, sizeof p, "[{\"to\":\"0x%040x\",\"data\":\"0x%s\"},\"latest\",{\"tracer\":\"callTracer\"}]", pc, data);
    json_t *t = ok(c, "debug_traceCall", p);
    bool traced = t && !strcmp(str(t, "error"), msg);
    json_decref(t);
    return call && traced;
}

TEST(node_halts_in_geths_words) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    /* what geth's eth_call and eth_estimateGas answer, not parevm's status names */
    CHECK(call_halts(c, "eth_call", "0xfe", "invalid opcode: INVALID"));
    CHECK(call_halts(c, "eth_call", "0xef", "invalid opcode: opcode 0xef not defined"));
    CHECK(call_halts(c, "eth_call", "0x600101", "stack underflow (1 <=> 2)"));
    CHECK(call_halts(c, "eth_call", "0x5f56", "invalid jump destination"));
    CHECK(call_halts(c, "eth_call", "0x5f5f3e", "stack underflow (2 <=> 3)"));
    CHECK(call_halts(c, "eth_call", "0x60015f5f3e", "return data out of bounds"));
    CHECK(call_halts(c, "eth_estimateGas", "0xfe", "invalid opcode: INVALID"));
    CHECK(call_halts(c, "eth_estimateGas", "0x600101", "stack underflow (1 <=> 2)"));
    /* eth_createAccessList's error field and eth_simulateV1's call error (-32015) */
    const char *x = "0x00000000000000000000000000000000000100f1";
    char p[512];
    snprintf(p, sizeof p, "[{\"to\":\"%s\"},\"latest\",{\"%s\":{\"code\":\"0xfe\"}}]", x, x);
    json_t *r = ok(c, "eth_createAccessList", p);
    CHECK(r && !strcmp(str(r, "error"), "invalid opcode: INVALID"));
    json_decref(r);
    snprintf(p, sizeof p,
             "[{\"blockStateCalls\":[{\"stateOverrides\":{\"%s\":{\"code\":\"0x600101\"}},\"calls\":[{\"to\":\"%s\"}]}]},"
             "\"latest\"]", x, x);
    r = ok(c, "eth_simulateV1", p);
    json_t *e = json_object_get(json_array_get(json_object_get(json_array_get(r, 0), "calls"), 0), "error");
    CHECK(json_integer_value(json_object_get(e, "code")) == -32015 &&
          !strcmp(str(e, "message"), "stack underflow (1 <=> 2)"));
    json_decref(r);

    /* invalid calls: DoCall's "err: ... (supplied gas N)" around core's error
     * with its values (EIP-55 address); the gas estimator's own refusal, and
     * core's error after its run()'s "failed with N gas: " (N: the block's
     * gas limit) */
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\",\"value\":\"0x10\","
             "\"gas\":\"0x5208\"}]", x);
    CHECK(err_is(c, "eth_call", p, -32000,
                 "err: insufficient funds for gas * price + value: address 0x00000000000000000000000000000000000000AB "
                 "have 0 want 16 (supplied gas 21000)"));
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\",\"gasPrice\":\"0x1\"}]", x);
    CHECK(err_is(c, "eth_estimateGas", p, -32000, "insufficient funds for transfer"));
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\",\"value\":\"0x10\"}]", x);
    CHECK(err_is(c, "eth_estimateGas", p, -32000,
                 "failed with 30000000 gas: insufficient funds for gas * price + value: address "
                 "0x00000000000000000000000000000000000000AB have 0 want 16"));
    /* core's static checks in geth's words (core/error.go) */
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\","
             "\"blobVersionedHashes\":[]}]", x);
    CHECK(err_is(c, "eth_call", p, -32000, "err: blob transaction missing blob hashes (supplied gas 50000000)"));
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"to\":\"%s\","
             "\"maxFeePerGas\":\"0x0\",\"maxPriorityFeePerGas\":\"0x1\"}]", x);
    CHECK(err_is(c, "eth_call", p, -32000,
                 "err: max priority fee per gas higher than max fee per gas: address "
                 "0x00000000000000000000000000000000000000AB, maxPriorityFeePerGas: 1, maxFeePerGas: 0 "
                 "(supplied gas 50000000)"));
    snprintf(p, sizeof p, "[{\"from\":\"0x00000000000000000000000000000000000000ab\",\"authorizationList\":[]}]");
    CHECK(err_is(c, "eth_call", p, -32000,
                 "err: EIP-7702 transaction cannot be used to create contract (sender "
                 "0x00000000000000000000000000000000000000AB) (supplied gas 50000000)")); /* checked first, as geth */

    /* a failing precompile says why, as geth's does */
    char d[512];
    CHECK(precompile_fails(c, 8, "00", "bad elliptic curve pairing size"));
    memset(d, 'f', 128); /* x = y = 2^256 - 1 >= p */
    d[128] = 0;
    CHECK(precompile_fails(c, 6, d, "invalid fp.Element encoding"));
    snprintf(d, sizeof d, "%064x%064x", 1, 1); /* (1, 1) is not on y^2 = x^3 + 3 */
    CHECK(precompile_fails(c, 7, d, "point is not on curve"));
    CHECK(precompile_fails(c, 9, "00", "invalid input length"));
    memset(d, '0', 426);
    d[425] = '2'; /* 213 bytes, final flag 2 */
    d[426] = 0;
    CHECK(precompile_fails(c, 9, d, "invalid final flag"));
    memset(d, '0', 384); /* 192 zero bytes: the zero versioned hash is not the commitment's */
    d[384] = 0;
    CHECK(precompile_fails(c, 10, d, "mismatched versioned hash"));
    CHECK(precompile_fails(c, 0x0b, "00", "invalid input length"));
    memset(d, '0', 128);
    d[0] = '1'; /* a top byte set */
    d[128] = 0;
    CHECK(precompile_fails(c, 0x10, d, "invalid field element top bytes"));
    /* an MSM input of no whole pair: geth prices it at zero pairs, then refuses it */
    CHECK(precompile_fails(c, 0x0c, "00", "invalid input length"));
    /* Osaka's MODEXP bounds */
    snprintf(d, sizeof d, "%064x%064x%064x", 1025, 1, 1);
    snprintf(p, sizeof p, "[{\"to\":\"0x%040x\",\"data\":\"0x%s\",\"gas\":\"0x5f5e100\"},\"latest\"]", 5, d);
    CHECK(err_is(c, "eth_call", p, -32000, "one or more of base/exponent/modulus length exceeded 1024 bytes"));
}

/* ---- The timeout ------------------------------------------------------------------------- */

/* debug_traceCall of a loop (JUMPDEST; PUSH1 0; JUMP, put at X by a state
 * override) with 50M gas and the given extra config keys. */
static bool loop_times_out(const chain *c, const char *extra) {
    const char *x = "0x00000000000000000000000000000000000100f0";
    char p[1024];
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x2faf080\"},\"latest\",{%s\"stateOverrides\":{\"%s\":"
             "{\"code\":\"0x5b600056\"}}}]",
             c->acct[1], x, extra, x);
    return err_is(c, "debug_traceCall", p, -32000, "execution timeout");
}

TEST(node_trace_timeout) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    /* a transaction that would run for 4M iterations stops with geth's error */
    CHECK(loop_times_out(c, "\"timeout\":\"50ms\","));
    CHECK(loop_times_out(c, "\"timeout\":\"0.05s\",\"tracer\":\"callTracer\","));
    CHECK(loop_times_out(c, "\"timeout\":\"50ms\",\"tracer\":\"prestateTracer\","));
    /* a normal call with a generous timeout traces */
    char p[512];
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x186a0\"},\"latest\",{\"timeout\":\"10s\"}]",
             c->acct[1], c->a);
    json_t *t = ok(c, "debug_traceCall", p);
    CHECK(t && json_array_size(json_object_get(t, "structLogs")) == 10 && json_is_false(json_object_get(t, "failed")));
    json_decref(t);
    /* a timeout <= 0 has expired before the transaction starts */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\"},\"latest\",{\"timeout\":\"0s\"}]", c->acct[1], c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "execution timeout"));
    snprintf(p, sizeof p, "[\"%s\",{\"timeout\":\"-1s\",\"tracer\":\"callTracer\"}]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, "execution timeout"));
    /* a block: each transaction has its own deadline, and one past it
     * fails the call, as geth's traceBlock does for native tracers */
    snprintf(p, sizeof p, "[\"0x%llx\",{\"timeout\":\"0s\"}]", (unsigned long long)c->blk_multi);
    CHECK(err_is(c, "debug_traceBlockByNumber", p, -32000, "execution timeout"));
    snprintf(p, sizeof p, "[\"0x%llx\",{\"timeout\":\"10s\",\"tracer\":\"callTracer\"}]",
             (unsigned long long)c->blk_multi);
    t = ok(c, "debug_traceBlockByNumber", p);
    CHECK(json_array_size(t) == 3);
    json_decref(t);
    /* a bad duration: Go's error, when the transaction is traced (-32000) */
    snprintf(p, sizeof p, "[\"%s\",{\"timeout\":\"5\"}]", c->tx_store);
    CHECK(err_is(c, "debug_traceTransaction", p, -32000, "time: missing unit in duration \"5\""));
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\"},\"latest\",{\"timeout\":\"soon\"}]", c->acct[1], c->a);
    CHECK(err_is(c, "debug_traceCall", p, -32000, "time: invalid duration \"soon\""));
    snprintf(p, sizeof p, "[\"0x%llx\",{\"timeout\":\"5d\"}]", (unsigned long long)c->blk_multi);
    CHECK(err_is(c, "debug_traceBlockByNumber", p, -32000, "time: unknown unit \"d\" in duration \"5d\""));
    /* the node goes on serving: a plain trace still works */
    t = trace_tx(c, c->tx_store, NULL);
    CHECK(t && json_array_size(json_object_get(t, "structLogs")) == 10);
    json_decref(t);
}

/* ---- Tracing while the writer mines ------------------------------------------------------ */

typedef struct {
    const chain *c;
    const json_t *want;
    char params[64];
    int mismatches;
} tracer_job;

static void *trace_loop(void *arg) {
    tracer_job *j = arg;
    for (int i = 0; i < 12; i++) {
        json_t *got = ok(j->c, "debug_traceBlockByNumber", j->params);
        if (!got || !json_equal(got, j->want)) j->mismatches++;
        json_decref(got);
    }
    return NULL;
}

TEST(node_trace_while_blocks_are_mined) {
    chain *c = shared();
    CHECK(c != NULL);
    if (!c) return;
    tracer_job j[2] = {{.c = c}, {.c = c}};
    snprintf(j[0].params, sizeof j[0].params, "[\"0x%llx\",{\"tracer\":\"callTracer\"}]",
             (unsigned long long)c->blk_multi);
    strcpy(j[1].params, j[0].params);
    json_t *want = ok(c, "debug_traceBlockByNumber", j[0].params);
    CHECK(json_array_size(want) == 3);
    j[0].want = j[1].want = want;
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, trace_loop, &j[i]);
    /* new blocks meanwhile: the traces of an older block do not change */
    for (int i = 0; i < 4; i++) {
        char h[67];
        CHECK(send_tx(c, 3, c->a, "", 100000, NULL, h));
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(j[0].mismatches == 0 && j[1].mismatches == 0);
    json_decref(want);
}

/* ---- The node's traces are the library's on the same state ------------------------------ */

typedef struct {
    uint64_t number;
    block b;
    bool has_b;
} raw_block;

static bool fetch_block(const chain *c, uint64_t number, raw_block *out) {
    char p[64];
    snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)number);
    json_t *r = ok(c, "debug_getRawBlock", p);
    uint8_t *raw;
    size_t len;
    char why[200];
    bool good = json_is_string(r) && hex_decode_alloc(json_string_value(r), &raw, &len);
    json_decref(r);
    if (!good) return false;
    out->number = number;
    out->has_b = block_decode(raw, len, &out->b, why, sizeof why);
    free(raw);
    return out->has_b;
}

static const char *const CONFIGS[] = {
    NULL,
    "{\"enableMemory\":true,\"enableReturnData\":true}",
    "{\"tracer\":\"callTracer\",\"tracerConfig\":{\"withLog\":true}}",
    "{\"tracer\":\"prestateTracer\"}",
    "{\"tracer\":\"prestateTracer\",\"tracerConfig\":{\"diffMode\":true}}",
};
#define N_CONFIGS (sizeof CONFIGS / sizeof CONFIGS[0])

static bool parse_cfg(const char *text, trace_config *cfg) {
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    char why[200];
    bool good = trace_config_parse(v, cfg, why, sizeof why);
    json_decref(v);
    return good;
}

TEST(node_trace_equals_library_trace) {
    chain c;
    bool built = build_chain(&c);
    CHECK(built);
    if (!built) {
        free_chain(&c);
        return;
    }
    /* over HTTP: the transactions of blocks 5 and 6 and block 6 as a whole */
    const char *hashes[4] = {c.tx_call, c.tx_multi[0], c.tx_multi[1], c.tx_multi[2]};
    json_t *got[4][N_CONFIGS], *got_block[N_CONFIGS];
    for (size_t k = 0; k < N_CONFIGS; k++) {
        for (size_t i = 0; i < 4; i++) got[i][k] = trace_tx(&c, hashes[i], CONFIGS[k]);
        char p[256];
        snprintf(p, sizeof p, "[\"0x6\"%s%s]", CONFIGS[k] ? "," : "", CONFIGS[k] ? CONFIGS[k] : "");
        got_block[k] = ok(&c, "debug_traceBlockByNumber", p);
    }
    raw_block b5 = {0}, b6 = {0};
    CHECK(fetch_block(&c, 5, &b5) && fetch_block(&c, 6, &b6));
    stop_node(&c);

    /* the library on the state after each block's parent, from the store */
    db *d = NULL;
    const char *why = db_open(c.dir, NULL, &d);
    CHECK(why == NULL);
    db_snapshot *head = NULL, *s4 = NULL, *s5 = NULL;
    chain_config cc;
    if (!why) why = db_snapshot_open(d, 1, &head);
    if (!why) why = chain_config_load(head, &cc);
    if (!why) why = db_snapshot_at(d, 4, 1, &s4);
    if (!why) why = db_snapshot_at(d, 5, 1, &s5);
    CHECK(why == NULL);
    if (!why && b5.has_b && b6.has_b) {
        block_rules r5 = chain_block_rules(&cc, &b5.b.header, true), r6 = chain_block_rules(&cc, &b6.b.header, true);
        for (size_t k = 0; k < N_CONFIGS; k++) {
            trace_config cfg;
            CHECK(parse_cfg(CONFIGS[k], &cfg));
            char err[256];
            /* block 5's only transaction */
            json_t *want = trace_transaction(&cfg, db_snapshot_view(s4), &b5.b, &r5, 0, err, sizeof err);
            CHECK(want && got[0][k] && json_equal(want, got[0][k]));
            json_decref(want);
            /* block 6's three, each found by its hash */
            for (size_t i = 1; i < 4; i++) {
                size_t at = b6.b.n_txs;
                for (size_t j = 0; j < b6.b.n_txs; j++) {
                    char h[67];
                    hex_encode(b6.b.txs[j].hash.b, 32, h);
                    if (!strcmp(h, hashes[i])) at = j;
                }
                CHECK(at < b6.b.n_txs);
                want = at < b6.b.n_txs ? trace_transaction(&cfg, db_snapshot_view(s5), &b6.b, &r6, at, err, sizeof err)
                                       : NULL;
                CHECK(want && got[i][k] && json_equal(want, got[i][k]));
                json_decref(want);
            }
            want = trace_block(&cfg, db_snapshot_view(s5), &b6.b, &r6, err, sizeof err);
            CHECK(want && got_block[k] && json_equal(want, got_block[k]));
            json_decref(want);
        }
    }
    for (size_t k = 0; k < N_CONFIGS; k++) {
        for (size_t i = 0; i < 4; i++) json_decref(got[i][k]);
        json_decref(got_block[k]);
    }
    if (b5.has_b) block_free(&b5.b);
    if (b6.has_b) block_free(&b6.b);
    if (s4) db_snapshot_close(s4);
    if (s5) db_snapshot_close(s5);
    if (head) db_snapshot_close(head);
    if (d) db_close(d);
    free_chain(&c);
}
