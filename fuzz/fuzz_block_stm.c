/* libFuzzer target: Block-STM against sequential execution on fuzzed
 * blocks. The input decodes into a block (fork, header gas limit including
 * absurd values, coinbase, then up to 24 transactions: sender, nonce gap,
 * type, fees, gas limit, value, recipient, call data) over a small fixed
 * pre-state: eight funded accounts, contracts that read and write hot
 * storage, read balances others change, create and self-destruct, and one
 * whose code is taken from the input. Senders are given, not recovered.
 * Both executions must reject the block with the same reason at the same
 * transaction, or accept it with the same receipts, gas and post-state; and
 * Block-STM (2 threads, fallback off) must have run. */
#include <stdio.h>
#include <stdlib.h>
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/chain.h"
#include "parevm/hex.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"

#include "fuzz_input.h"

static uint64_t take_n(input *in, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | take(in);
    return v;
}

/* sload(cd[0]) + 1 stored back and logged; cd[32]: 0 stop, 1 revert, else invalid */
static const char SLOTS_CODE[] = "600035805460010180600052905560206000a06020358015602757600114602257fe5b600080fd5b00";
/* sstore(0, balance(cd[0])); call(cd[32]) with the value */
static const char READER_CODE[] = "6000353160005560006000600060003460203560005af15000";
/* cd[32] == 0: CREATE2 (salt cd[0]) a child that self-destructs to its caller; else call it */
static const char FACTORY_CODE[] = "602035602857"
                                   "6f60016000556133ff6000526002601ef3"
                                   "600052600035601060106000f560015500"
                                   "5b600060006000600060006001545af15000";

enum { N_EOAS = 8, N_CONTRACTS = 4, MAX_TXS = 24, MAX_DATA = 68 };

typedef struct {
    address eoa[N_EOAS], contract[N_CONTRACTS];
    uint64_t nonce[N_EOAS];
} world;

static address addr_n(uint8_t tag, uint32_t n) {
    address a = {{0}};
    a.b[0] = tag;
    a.b[19] = (uint8_t)n;
    return a;
}

static mem_state *make_world(world *w, input *in) {
    mem_state *s = mem_state_new();
    u256 rich = {{0, 1, 0, 0}}; /* 2^64 wei */
    for (uint32_t i = 0; i < N_EOAS; i++) {
        w->eoa[i] = addr_n(0xe0, i);
        w->nonce[i] = 0;
        mem_state_set_account(s, &w->eoa[i], &rich, 0, NULL, 0);
    }
    const char *hex[3] = {SLOTS_CODE, READER_CODE, FACTORY_CODE};
    u256 zero = U256_ZERO;
    for (uint32_t i = 0; i < 3; i++) {
        uint8_t *code;
        size_t len;
        if (!hex_decode_alloc(hex[i], &code, &len)) abort();
        w->contract[i] = addr_n(0xc0, i);
        mem_state_set_account(s, &w->contract[i], &zero, 1, code, len);
        free(code);
    }
    /* the last contract runs code from the input, with a few storage slots */
    uint8_t code[64];
    size_t len = take(in) % sizeof code;
    for (size_t i = 0; i < len; i++) code[i] = take(in);
    w->contract[3] = addr_n(0xc0, 3);
    mem_state_set_account(s, &w->contract[3], &rich, 1, code, len);
    for (uint64_t k = 0; k < 3; k++) {
        u256 key = u256_from_u64(k), v = u256_from_u64(k + 1);
        mem_state_set_storage(s, &w->contract[3], &key, &v);
    }
    return s;
}

static void make_tx(world *w, input *in, fork_id fork, transaction *tx) {
    static const uint64_t gas[] = {21000, 25000, 53000, 100000, 300000, 1000000, 20000, 30000000};
    memset(tx, 0, sizeof *tx);
    uint8_t b = take(in);
    uint32_t from = b % N_EOAS;
    tx->sender = w->eoa[from];
    tx->sender_known = true;
    tx->nonce = w->nonce[from]++;
    if ((b & 0x38) == 0x38) tx->nonce += take(in) % 3; /* a gap or a repeat */
    if ((b & 0x38) == 0x30 && tx->nonce) tx->nonce--;
    uint8_t t = take(in);
    tx->type = t % 4 == 3 ? TX_LEGACY : (uint8_t)(t % 3);
    tx->has_chain_id = tx->type != TX_LEGACY || (t & 4);
    tx->chain_id = (t & 0x40) ? 5 : 1; /* sometimes the wrong chain */
    uint64_t fee = take(in) % 24;
    tx->gas_price = u256_from_u64(fee);
    tx->max_fee = u256_from_u64(fee);
    tx->max_priority_fee = u256_from_u64(take(in) % 8);
    tx->v = u256_from_u64(27);
    tx->r = tx->s = u256_from_u64(1);
    tx->gas_limit = gas[take(in) % 8];
    uint8_t v = take(in);
    tx->value = u256_from_u64(v < 200 ? v : v == 255 ? UINT64_MAX : (uint64_t)v << 40);
    uint8_t to = take(in);
    tx->has_to = to % 16 != 15;
    if (to % 16 < N_EOAS)
        tx->to = w->eoa[to % 16];
    else if (to % 16 < N_EOAS + N_CONTRACTS)
        tx->to = w->contract[to % 16 - N_EOAS];
    else if (tx->has_to)
        tx->to = addr_n(0xa0, to); /* a fresh account */
    size_t len = take(in) % (MAX_DATA + 1);
    if (len) {
        tx->data = calloc(len, 1);
        if (!tx->data) abort();
        /* mostly small words: hot slots, known accounts, small flags */
        for (size_t i = 0; i < len; i++) tx->data[i] = (i % 32 == 31 || i % 32 == 0) ? take(in) : 0;
        if (len >= 64 && (to & 0x40)) memcpy(tx->data + 44, w->eoa[take(in) % N_EOAS].b, 20);
    }
    tx->data_len = len;
    if (tx->type >= TX_ACCESS_LIST && (t & 0x80)) {
        tx->access_list_len = 1;
        tx->access_list = calloc(1, sizeof *tx->access_list);
        if (!tx->access_list) abort();
        tx->access_list[0].addr = w->contract[t % N_CONTRACTS];
    }
    (void)fork;
}

typedef struct {
    const char *error;
    long invalid_tx;
    uint64_t gas;
    bytes32 root;
    buf_t receipts;
} outcome;

static void run(executor *ex, par_engine *e, const block_rules *rules0, block *b, mem_state *pre, outcome *o,
                par_stats *st) {
    mem_state *s = mem_state_clone(pre);
    block_rules rules = *rules0;
    rules.state_root_ctx = s; /* pre-Byzantium receipts' roots: s plus the block's changes */
    block_result r = {0};
    const char *why = e ? par_block_execute_mem(e, &rules, b, s, &r, st) : block_execute_mem(ex, &rules, b, s, &r);
    memset(o, 0, sizeof *o);
    o->error = why;
    o->invalid_tx = why ? r.invalid_tx : -1;
    if (!why) {
        o->gas = r.gas_used;
        o->root = mem_state_root(s);
        for (size_t i = 0; i < r.n_receipts; i++) receipt_encode(&r, i, &o->receipts);
    }
    block_result_free(&r);
    mem_state_free(s);
}

static executor *ex;
static par_engine *engine;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    ex = executor_new();
    engine = par_engine_new(2);
    if (!engine) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint64_t gas_limits[] = {30000000, 60000000, 1ULL << 52, 100000000000000000ULL, UINT64_MAX, 100000};
    input in = {data, size};
    world w;
    mem_state *pre = make_world(&w, &in);
    uint8_t h = take(&in);
    fork_id fork = (fork_id)(h % FORK_COUNT);
    block b = {0};
    b.header.number = 1000 + take(&in);
    b.header.timestamp = (h & 0x80) ? UINT64_MAX : 1700000000ULL + take(&in);
    b.header.gas_limit = gas_limits[take(&in) % 6];
    b.header.gas_used = (h & 0x40) ? b.header.gas_limit : 0;
    b.header.has_base_fee = fork >= FORK_LONDON;
    b.header.base_fee = u256_from_u64(take(&in) % 8);
    b.header.has_blob_gas = b.header.has_beacon_root = fork >= FORK_CANCUN;
    uint8_t cb = take(&in);
    b.header.coinbase = cb % 3 == 0 ? w.eoa[cb % N_EOAS] : cb % 3 == 1 ? w.contract[cb % N_CONTRACTS] : addr_n(0xcb, 0);
    b.n_txs = 1 + take(&in) % MAX_TXS;
    transaction txs[MAX_TXS];
    for (size_t i = 0; i < b.n_txs; i++) make_tx(&w, &in, fork, &txs[i]);
    b.txs = txs;
    static const blob_params blobs[] = {{3, 6, 3338477}, {6, 9, 5007716}, {14, 21, 11684671}};
    block_rules rules = {.fork = fork, .chain_id = 1, .block_reward = chain_block_reward(fork),
                         .state_root = mem_state_root_after, .blob = blobs[h % 3]};
    par_options o = {.hints = h & 0x20, .sequential_fallback = false};
    par_engine_set_options(engine, &o);
    outcome want, got;
    par_stats st;
    run(ex, NULL, &rules, &b, pre, &want, NULL);
    run(ex, engine, &rules, &b, pre, &got, &st);
    bool same = !want.error == !got.error;
    if (same && want.error)
        same = !strcmp(want.error, got.error) && want.invalid_tx == got.invalid_tx;
    else if (same)
        same = want.gas == got.gas && bytes32_eq(&want.root, &got.root) && want.receipts.len == got.receipts.len &&
               (!want.receipts.len || !memcmp(want.receipts.data, got.receipts.data, want.receipts.len));
    if (!same || st.sequential) {
        fprintf(stderr, "%s %s: sequential %s (tx %ld, gas %llu), Block-STM %s (tx %ld, gas %llu)%s\n",
                fork_name(fork), same ? "ran sequentially" : "differs", want.error ? want.error : "accepts",
                want.invalid_tx, (unsigned long long)want.gas, got.error ? got.error : "accepts", got.invalid_tx,
                (unsigned long long)got.gas, st.sequential ? " (Block-STM did not run)" : "");
        abort();
    }
    buf_free(&want.receipts);
    buf_free(&got.receipts);
    for (size_t i = 0; i < b.n_txs; i++) tx_free(&txs[i]);
    mem_state_free(pre);
    return 0;
}
