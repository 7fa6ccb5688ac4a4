/* Block-STM must give exactly the sequential result: receipts, gas, logs and
 * the final state. Checked on every mainnet fixture block at 1, 2, 4 and 8
 * threads (hints on and off, the sequential fallback off), and on random
 * blocks built around chosen conflict patterns (nonce chains, hot storage
 * slots, balance reads of credited accounts, CREATE2 + self-destruct +
 * redeploy, reverts, invalid opcodes, out of gas) with random thread counts
 * and injected delays. */
#include <dirent.h>
#include <stdlib.h>
#include "mainnet_fixture.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"
#include "test.h"

typedef struct {
    const char *error;
    long invalid_tx;
    bytes32 state_root;
    buf_t receipts; /* all receipts' encodings, concatenated */
    uint64_t gas;
} outcome;

static void outcome_free(outcome *o) { buf_free(&o->receipts); }

static void capture(outcome *o, const char *why, const block_result *r, mem_state *s) {
    memset(o, 0, sizeof *o);
    o->error = why;
    o->invalid_tx = r->invalid_tx;
    if (why) return;
    o->state_root = mem_state_root(s);
    o->gas = r->gas_used;
    for (size_t i = 0; i < r->n_receipts; i++) receipt_encode(r, i, &o->receipts);
}

static bool same(const outcome *a, const outcome *b) {
    if (!a->error != !b->error) return false;
    if (a->error) return a->invalid_tx == b->invalid_tx;
    return a->gas == b->gas && bytes32_eq(&a->state_root, &b->state_root) && a->receipts.len == b->receipts.len &&
           (!a->receipts.len || !memcmp(a->receipts.data, b->receipts.data, a->receipts.len));
}

static void run_seq(executor *ex, const block_rules *rules, block *b, mem_state *pre, outcome *o) {
    mem_state *s = mem_state_clone(pre);
    block_result r = {0};
    const char *why = block_execute_mem(ex, rules, b, s, &r);
    capture(o, why, &r, s);
    block_result_free(&r);
    mem_state_free(s);
}

static uint64_t total_aborts, total_suspensions, total_executions;

static void run_par(par_engine *e, const block_rules *rules, block *b, mem_state *pre, outcome *o) {
    mem_state *s = mem_state_clone(pre);
    block_result r = {0};
    par_stats st;
    const char *why = par_block_execute_mem(e, rules, b, s, &r, &st);
    total_aborts += st.aborts;
    total_suspensions += st.suspensions;
    total_executions += st.executions;
    capture(o, why, &r, s);
    block_result_free(&r);
    mem_state_free(s);
}

/* ---- mainnet fixtures ---- */

static block_rules mainnet_rules(const chain_config *cfg, const block_header *h) {
    bool merged = chain_reached(cfg->paris_block, h->number) || u256_is_zero(&h->difficulty);
    return chain_block_rules(cfg, h, merged);
}

TEST(parallel_equals_sequential_on_mainnet) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mainnet", test_fixtures_dir());
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    chain_config cfg = chain_config_mainnet();
    executor *ex = executor_new();
    static const int threads[] = {1, 2, 4, 8};
    par_engine *engines[4];
    for (int i = 0; i < 4; i++) engines[i] = par_engine_new(threads[i]);
    struct dirent *de;
    int blocks = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1400], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        mainnet_block mb;
        if (!mainnet_block_load(path, &mb, err, sizeof err)) {
            fprintf(stderr, "  %s\n", err);
            CHECK(false);
            continue;
        }
        block_rules rules = mainnet_rules(&cfg, &mb.blk.header);
        CHECK(mainnet_block_recover_senders(&mb, rules.fork >= FORK_HOMESTEAD, err, sizeof err));
        outcome want;
        run_seq(ex, &rules, &mb.blk, mb.pre, &want);
        for (int i = 0; i < 4; i++)
            for (int hints = 0; hints < 2; hints++) {
                par_options o = {.hints = hints, .sequential_fallback = false};
                par_engine_set_options(engines[i], &o);
                for (int rep = 0; rep < (threads[i] > 1 ? 2 : 1); rep++) {
                    outcome got;
                    run_par(engines[i], &rules, &mb.blk, mb.pre, &got);
                    if (!same(&want, &got)) {
                        fprintf(stderr, "  block %s: %d threads, hints %d differ\n", de->d_name, threads[i], hints);
                        CHECK(false);
                    }
                    outcome_free(&got);
                }
            }
        outcome_free(&want);
        mainnet_block_free(&mb);
        blocks++;
    }
    closedir(d);
    CHECK(blocks == 44);
    for (int i = 0; i < 4; i++) par_engine_free(engines[i]);
    executor_free(ex);
}

/* ---- random blocks with chosen conflict patterns ---- */

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

/* slots: v = sload(cd[0]) + 1; sstore(cd[0], v); log0(v); then cd[32]:
 * 0 stop, 1 revert, else an invalid opcode (all gas). */
static const char SLOTS_CODE[] =
    "600035805460010180600052905560206000a0602035801560275760011460225"
    "7fe5b600080fd5b00";
/* balance reader: sstore(0, balance(cd[0])); call(cd[32]) with the value. */
static const char READER_CODE[] = "6000353160005560006000600060003460203560005af15000";
/* factory: cd[32] == 0: CREATE2 a child (salt cd[0]) whose init stores 1 and
 * whose runtime self-destructs to its caller; else call the last child. */
static const char FACTORY_CODE[] =
    "602035602857"
    "6f6001600055613" "3ff6000526002601ef3"
    "600052600035601060106000f560015500"
    "5b60006000600060006000600154" "5af15000";

#define N_EOAS 24

typedef struct {
    address eoa[N_EOAS];
    uint64_t nonce[N_EOAS];
    address slots, reader, factory;
} world;

static address addr_n(uint8_t tag, uint32_t n) {
    address a = {{0}};
    a.b[0] = tag;
    memcpy(a.b + 16, &n, 4);
    return a;
}

static mem_state *make_world(world *w) {
    mem_state *s = mem_state_new();
    u256 rich = u256_from_u64(1000000000000000000ULL);
    rich = u256_mul(&rich, &(u256){{1000, 0, 0, 0}});
    for (uint32_t i = 0; i < N_EOAS; i++) {
        w->eoa[i] = addr_n(0xe0, i);
        w->nonce[i] = 0;
        mem_state_set_account(s, &w->eoa[i], &rich, 0, NULL, 0);
    }
    struct { address *a; const char *hex; uint8_t tag; } c[] = {
        {&w->slots, SLOTS_CODE, 0xc1}, {&w->reader, READER_CODE, 0xc2}, {&w->factory, FACTORY_CODE, 0xc3}};
    for (int i = 0; i < 3; i++) {
        uint8_t *code;
        size_t len;
        CHECK(hex_decode_alloc(c[i].hex, &code, &len));
        *c[i].a = addr_n(c[i].tag, 0);
        u256 zero = U256_ZERO;
        mem_state_set_account(s, c[i].a, &zero, 1, code, len);
        free(code);
    }
    return s;
}

static void word(uint8_t *p, uint64_t v) {
    memset(p, 0, 32);
    for (int i = 0; i < 8; i++) p[31 - i] = (uint8_t)(v >> (8 * i));
}

static void word_addr(uint8_t *p, const address *a) {
    memset(p, 0, 12);
    memcpy(p + 12, a->b, 20);
}

/* One random transaction; pattern decides what it conflicts on. */
static void random_tx(world *w, transaction *tx, bool chains) {
    memset(tx, 0, sizeof *tx);
    uint32_t from = (uint32_t)(rnd() % (chains ? 4 : N_EOAS)); /* few senders: nonce chains */
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = 1;
    tx->max_fee = u256_from_u64(20);
    tx->max_priority_fee = u256_from_u64(rnd() % 3); /* some pay no tip */
    tx->sender = w->eoa[from];
    tx->sender_known = true;
    tx->nonce = w->nonce[from]++;
    tx->r = tx->s = u256_from_u64(1);
    tx->has_to = true;
    tx->gas_limit = 200000;
    switch (rnd() % 5) {
    case 0: /* value transfer, often to another sender: credited senders */
        tx->to = w->eoa[rnd() % N_EOAS];
        tx->value = u256_from_u64(1 + rnd() % 1000);
        tx->gas_limit = 21000;
        break;
    case 1: { /* hot or cold storage slot, maybe reverting or failing */
        tx->to = w->slots;
        tx->data_len = 64;
        tx->data = malloc(64);
        word(tx->data, rnd() % 2 ? rnd() % 3 : rnd());
        uint64_t m = rnd() % 10;
        word(tx->data + 32, m < 7 ? 0 : m < 9 ? 1 : 2);
        if (rnd() % 8 == 0) tx->gas_limit = 23000 + rnd() % 30000; /* out of gas somewhere */
        break;
    }
    case 2: /* read a balance others change, forward value */
        tx->to = w->reader;
        tx->data_len = 64;
        tx->data = malloc(64);
        word_addr(tx->data, &w->eoa[rnd() % N_EOAS]);
        word_addr(tx->data + 32, &w->eoa[rnd() % N_EOAS]);
        tx->value = u256_from_u64(rnd() % 50);
        break;
    default: /* create, self-destruct, recreate under a few salts */
        tx->to = w->factory;
        tx->data_len = 64;
        tx->data = malloc(64);
        word(tx->data, rnd() % 3);
        word(tx->data + 32, rnd() % 2);
        tx->gas_limit = 300000;
        break;
    }
}

TEST(parallel_equals_sequential_on_random_blocks) {
    total_aborts = total_suspensions = total_executions = 0;
    executor *ex = executor_new();
    par_engine *engines[8];
    for (int i = 0; i < 8; i++) engines[i] = par_engine_new(i + 1);
    for (int iter = 0; iter < 40; iter++) {
        world w;
        mem_state *pre = make_world(&w);
        block b = {0};
        b.n_txs = 20 + rnd() % 120;
        b.txs = calloc(b.n_txs, sizeof *b.txs);
        bool chains = iter % 3 == 0;
        for (size_t i = 0; i < b.n_txs; i++) random_tx(&w, &b.txs[i], chains);
        b.header.number = 1000 + (uint64_t)iter;
        b.header.timestamp = 1700000000;
        b.header.gas_limit = 60000000;
        b.header.has_base_fee = true;
        b.header.base_fee = u256_from_u64(7);
        memset(b.header.coinbase.b, iter % 4 ? 0xcb : 0xe0, 20); /* sometimes a sender is the coinbase */
        if (iter % 4 == 0) b.header.coinbase = w.eoa[0];
        block_rules rules = {.fork = iter % 2 ? FORK_CANCUN : FORK_SHANGHAI, .chain_id = 1,
                             .blob = {3, 6, 3338477}}; /* EIP-4844 blob parameters */
        outcome want;
        run_seq(ex, &rules, &b, pre, &want);
        if (want.error) fprintf(stderr, "  random block %d: sequential rejects it: %s (tx %ld)\n", iter, want.error, want.invalid_tx);
        CHECK(want.error == NULL);
        for (int k = 0; k < 3; k++) {
            par_engine *e = engines[rnd() % 8];
            par_options o = {.hints = rnd() % 2, .sequential_fallback = false, .jitter_us = rnd() % 2 ? 40 : 0};
            par_engine_set_options(e, &o);
            outcome got;
            run_par(e, &rules, &b, pre, &got);
            if (!same(&want, &got)) {
                fprintf(stderr, "  random block %d (%zu txs, %d threads, hints %d, jitter %u) differs\n", iter, b.n_txs,
                        par_engine_threads(e), o.hints, o.jitter_us);
                CHECK(false);
            }
            outcome_free(&got);
        }
        outcome_free(&want);
        for (size_t i = 0; i < b.n_txs; i++) tx_free(&b.txs[i]);
        free(b.txs);
        mem_state_free(pre);
    }
    for (int i = 0; i < 8; i++) par_engine_free(engines[i]);
    executor_free(ex);
    /* the patterns must really conflict, or this test proves little */
    fprintf(stderr, "  random blocks: %llu executions, %llu aborts, %llu suspensions\n",
            (unsigned long long)total_executions, (unsigned long long)total_aborts,
            (unsigned long long)total_suspensions);
    CHECK(total_aborts > 0 && total_suspensions > 0);
}
