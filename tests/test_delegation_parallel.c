/* EIP-7702 delegations and EIP-7623 in execution: the calldata floor is
 * charged; Block-STM gives exactly the sequential result on blocks where
 * delegations written by one transaction are executed, replaced, cleared,
 * inspected (EXTCODE*) or used as senders by later ones, and where an
 * authority brought into existence by an earlier transaction earns the
 * existing-account refund. */
#include <stdlib.h>
#include "parevm/hex.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"
#include "test.h"

static uint64_t rng = 0x7702770277027702ULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

static address addr_n(uint8_t tag, uint32_t n) {
    address a = {{0}};
    a.b[0] = tag;
    memcpy(a.b + 16, &n, 4);
    return a;
}

static void set_code_hex(mem_state *s, const address *a, const char *hex) {
    uint8_t *code;
    size_t len;
    CHECK(hex_decode_alloc(hex, &code, &len));
    u256 zero = U256_ZERO;
    mem_state_set_account(s, a, &zero, 1, code, len);
    free(code);
}

/* ---- EIP-7623: the floor is charged ------------------------------------- */

static tx_result run_one(fork_id fork, mem_state *s, transaction *tx) {
    executor *ex = executor_new();
    block_env env = {.fork = fork, .number = 1, .timestamp = 1, .gas_limit = 30000000,
                     .base_fee = u256_from_u64(7), .chain_id = 1};
    memset(env.coinbase.b, 0xcb, 20);
    tx_result res;
    exec_transaction(ex, &env, mem_state_view(s), mem_state_codes(s), tx, 0, &res);
    if (res.valid) mem_state_apply(s, executor_changes(ex));
    executor_free(ex);
    return res;
}

TEST(calldata_floor_is_charged) {
    for (int prague = 0; prague < 2; prague++) {
        mem_state *s = mem_state_new();
        transaction tx = {0};
        uint8_t key[32];
        memset(key, 0x21, 32);
        CHECK(tx_address_of_key(key, &tx.sender));
        u256 rich = u256_from_u64(1000000000000000000ULL);
        mem_state_set_account(s, &tx.sender, &rich, 0, NULL, 0);
        tx.type = TX_DYNAMIC_FEE;
        tx.has_chain_id = true;
        tx.chain_id = 1;
        tx.max_fee = u256_from_u64(7);
        tx.gas_limit = 100000;
        tx.has_to = true;
        tx.to = addr_n(0xee, 1); /* no code: execution costs nothing */
        tx.data_len = 1000;
        tx.data = malloc(1000);
        memset(tx.data, 0xff, 1000);
        CHECK(tx_sign(&tx, key));
        tx_result r = run_one(prague ? FORK_PRAGUE : FORK_CANCUN, s, &tx);
        CHECK(r.valid && r.status == EVM_SUCCESS);
        /* intrinsic 21000 + 16 * 1000; floor 21000 + 10 * 4 * 1000 */
        CHECK_EQ_U64(r.gas_used, prague ? 61000 : 37000);
        /* the sender paid for what the receipt says */
        account_info info;
        state_view v = mem_state_view(s);
        v.ops->get_account(v.ctx, &tx.sender, FIELD_BALANCE, &info);
        u256 paid = u256_sub(&rich, &info.balance);
        CHECK(u256_eq(&paid, &(u256){{7 * r.gas_used, 0, 0, 0}}));
        tx_free(&tx);
        mem_state_free(s);
    }
}

/* ---- Block-STM with delegations ----------------------------------------- */

/* D1: sstore(0, sload(0) + 1) in whatever account runs it. */
static const char D1_CODE[] = "60005460010160005500";
/* D2: sstore(1, caller); sstore(2, balance(address)); call(cd[0]). */
static const char D2_CODE[] = "336001553031600255600060006000600060006000355af15000";
/* PROBE: sstore(0, extcodehash(cd[0])); sstore(1, extcodesize(cd[0]));
 * sstore(2, call(cd[0])); sstore(3, delegatecall(cd[0])). */
static const char PROBE_CODE[] =
    "6000353f600055" "6000353b600155"
    "600060006000600060006000355af1600255"
    "6000600060006000600035" "5af4600355" "00";

#define N_EOAS 12   /* in the pre-state, rich */
#define N_GHOSTS 4  /* keys whose accounts do not exist yet */

typedef struct {
    uint8_t key[N_EOAS + N_GHOSTS][32];
    address eoa[N_EOAS + N_GHOSTS];
    uint64_t nonce[N_EOAS + N_GHOSTS]; /* as sequential execution will see them */
    address d1, d2, probe;
} world;

static mem_state *make_world(world *w) {
    mem_state *s = mem_state_new();
    u256 rich = u256_from_u64(1000000000000000000ULL);
    for (int i = 0; i < N_EOAS + N_GHOSTS; i++) {
        memset(w->key[i], 0x30 + i, 32);
        CHECK(tx_address_of_key(w->key[i], &w->eoa[i]));
        w->nonce[i] = 0;
        if (i < N_EOAS) mem_state_set_account(s, &w->eoa[i], &rich, 0, NULL, 0);
    }
    w->d1 = addr_n(0xd1, 0);
    w->d2 = addr_n(0xd2, 0);
    w->probe = addr_n(0xbe, 0);
    set_code_hex(s, &w->d1, D1_CODE);
    set_code_hex(s, &w->d2, D2_CODE);
    set_code_hex(s, &w->probe, PROBE_CODE);
    /* Prague's checked system calls (EIP-7002, EIP-7251) need code at their
     * addresses: a stub that returns no requests */
    address wr, cr;
    hex_to_fixed("0x00000961ef480eb55e80d19ad83579a64c007002", wr.b, 20);
    hex_to_fixed("0x0000bbddc7ce488642fb579f8b00f3a590007251", cr.b, 20);
    set_code_hex(s, &wr, "00");
    set_code_hex(s, &cr, "00");
    return s;
}

static void word_addr(uint8_t *p, const address *a) {
    memset(p, 0, 12);
    memcpy(p + 12, a->b, 20);
}

/* A delegation target: a contract, another account, a precompile, or the
 * zero address (clears). */
static address random_delegate(world *w) {
    switch (rnd() % 6) {
    case 0: return w->d1;
    case 1: return w->d2;
    case 2: return w->eoa[rnd() % N_EOAS];
    case 3: return addr_n(0, 0) /* zero */;
    case 4: {
        address p = {{0}};
        p.b[19] = 4; /* identity precompile: runs as empty code */
        return p;
    }
    default: return w->probe;
    }
}

/* Adds authorizations to tx, updating the model of nonces as sequential
 * execution will apply them (after the sender's own nonce increment). */
static void add_auths(world *w, transaction *tx) {
    tx->type = TX_SET_CODE;
    tx->n_auths = 1 + rnd() % 3;
    tx->auths = calloc(tx->n_auths, sizeof *tx->auths);
    for (size_t k = 0; k < tx->n_auths; k++) {
        authorization *a = &tx->auths[k];
        int who = (int)(rnd() % (N_EOAS + N_GHOSTS));
        a->addr = random_delegate(w);
        uint64_t m = rnd() % 8;
        a->chain_id = u256_from_u64(m == 0 ? 0 : m == 1 ? 5 : 1); /* 5: another chain */
        a->nonce = w->nonce[who] + (m == 2); /* sometimes stale */
        CHECK(tx_auth_sign(a, w->key[who]));
        if (m == 3) a->s = u256_from_u64(0), a->status = AUTH_UNKNOWN; /* bad signature */
        bool applies = m != 1 && m != 2 && m != 3;
        if (applies) w->nonce[who]++;
    }
}

static void random_tx(world *w, transaction *tx) {
    memset(tx, 0, sizeof *tx);
    int from = (int)(rnd() % N_EOAS);
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = 1;
    tx->max_fee = u256_from_u64(20);
    tx->max_priority_fee = u256_from_u64(rnd() % 2);
    tx->sender = w->eoa[from];
    tx->sender_known = true;
    tx->nonce = w->nonce[from]++;
    tx->r = tx->s = u256_from_u64(1);
    tx->has_to = true;
    tx->gas_limit = 300000;
    switch (rnd() % 5) {
    case 0: /* authorizations, calling an authority or a random account */
        add_auths(w, tx);
        tx->to = rnd() % 2 ? tx->auths[0].authority : w->eoa[rnd() % (N_EOAS + N_GHOSTS)];
        break;
    case 1: /* value to an account, maybe a ghost (which then exists) */
        tx->to = w->eoa[rnd() % (N_EOAS + N_GHOSTS)];
        tx->value = u256_from_u64(rnd() % 3);
        break;
    case 2: /* call a maybe-delegated account whose code calls another */
        tx->to = w->eoa[rnd() % N_EOAS];
        tx->data_len = 32;
        tx->data = malloc(32);
        word_addr(tx->data, &w->eoa[rnd() % (N_EOAS + N_GHOSTS)]);
        break;
    default: /* EXTCODEHASH/EXTCODESIZE/CALL/DELEGATECALL of an account */
        tx->to = w->probe;
        tx->data_len = 32;
        tx->data = malloc(32);
        word_addr(tx->data, &w->eoa[rnd() % (N_EOAS + N_GHOSTS)]);
        break;
    }
}

typedef struct {
    const char *error;
    long invalid_tx;
    bytes32 root;
    buf_t receipts;
    uint64_t gas;
} outcome;

static void capture(outcome *o, const char *why, const block_result *r, mem_state *s) {
    memset(o, 0, sizeof *o);
    o->error = why;
    o->invalid_tx = r->invalid_tx;
    if (why) return;
    o->root = mem_state_root(s);
    o->gas = r->gas_used;
    for (size_t i = 0; i < r->n_receipts; i++) receipt_encode(r, i, &o->receipts);
}

static bool same(const outcome *a, const outcome *b) {
    if (!a->error != !b->error) return false;
    if (a->error) return a->invalid_tx == b->invalid_tx;
    return a->gas == b->gas && bytes32_eq(&a->root, &b->root) && a->receipts.len == b->receipts.len &&
           (!a->receipts.len || !memcmp(a->receipts.data, b->receipts.data, a->receipts.len));
}

static uint64_t total_aborts, total_suspensions;

static void run(par_engine *e, executor *ex, const block_rules *rules, block *b, mem_state *pre, outcome *o) {
    mem_state *s = mem_state_clone(pre);
    block_result r = {0};
    par_stats st = {0};
    const char *why = e ? par_block_execute_mem(e, rules, b, s, &r, &st) : block_execute_mem(ex, rules, b, s, &r);
    total_aborts += st.aborts;
    total_suspensions += st.suspensions;
    capture(o, why, &r, s);
    block_result_free(&r);
    mem_state_free(s);
}

static void header_of(block *b, uint64_t n) {
    b->header.number = n;
    b->header.timestamp = 1750000000;
    b->header.gas_limit = 60000000;
    b->header.has_base_fee = true;
    b->header.base_fee = u256_from_u64(7);
    memset(b->header.coinbase.b, 0xcb, 20);
}

/* Runs b sequentially and through Block-STM under several engines and
 * options; every parallel outcome must equal the sequential one. */
static void check_block(block *b, mem_state *pre, par_engine **engines, int n_engines, const char *what) {
    executor *ex = executor_new();
    block_rules rules = {.fork = FORK_PRAGUE, .chain_id = 1};
    outcome want;
    run(NULL, ex, &rules, b, pre, &want);
    if (want.error) fprintf(stderr, "  %s: sequential rejects it: %s (tx %ld)\n", what, want.error, want.invalid_tx);
    CHECK(want.error == NULL);
    for (int k = 0; k < 4; k++) {
        par_engine *e = engines[rnd() % (uint64_t)n_engines];
        par_options o = {.hints = rnd() % 2, .sequential_fallback = false, .jitter_us = rnd() % 2 ? 30 : 0};
        par_engine_set_options(e, &o);
        outcome got;
        run(e, ex, &rules, b, pre, &got);
        if (!same(&want, &got)) {
            fprintf(stderr, "  %s (%zu txs, %d threads, hints %d) differs from sequential\n", what, b->n_txs,
                    par_engine_threads(e), o.hints);
            CHECK(false);
        }
        buf_free(&got.receipts);
    }
    buf_free(&want.receipts);
    executor_free(ex);
}

static par_engine **engines_new(int n) {
    par_engine **e = calloc((size_t)n, sizeof *e);
    for (int i = 0; i < n; i++) e[i] = par_engine_new(i + 2);
    return e;
}

static void engines_free(par_engine **e, int n) {
    for (int i = 0; i < n; i++) par_engine_free(e[i]);
    free(e);
}

/* An account created by a value transfer in one transaction authorizes in
 * the next: it exists, so the authorization is refunded (12500), which a
 * view that judges existence by the nonce alone would miss. */
TEST(parallel_sees_account_created_before_its_authorization) {
    world w;
    mem_state *pre = make_world(&w);
    block b = {0};
    b.n_txs = 3;
    b.txs = calloc(3, sizeof *b.txs);
    int ghost = N_EOAS;
    /* tx0: eoa0 sends 10^15 wei to the ghost */
    transaction *t = &b.txs[0];
    t->type = TX_DYNAMIC_FEE, t->has_chain_id = true, t->chain_id = 1, t->max_fee = u256_from_u64(20);
    t->sender = w.eoa[0], t->sender_known = true, t->nonce = 0, t->r = t->s = u256_from_u64(1);
    t->has_to = true, t->to = w.eoa[ghost], t->value = u256_from_u64(1000000000000000ULL), t->gas_limit = 21000;
    /* tx1: eoa1 carries the ghost's authorization to D1 and calls the ghost */
    t = &b.txs[1];
    *t = b.txs[0];
    t->sender = w.eoa[1], t->value = U256_ZERO, t->gas_limit = 200000;
    t->type = TX_SET_CODE;
    t->n_auths = 1;
    t->auths = calloc(1, sizeof *t->auths);
    t->auths[0].chain_id = u256_from_u64(1);
    t->auths[0].addr = w.d1;
    CHECK(tx_auth_sign(&t->auths[0], w.key[ghost]));
    /* tx2: the ghost, now delegated, sends a transaction (EIP-3607 exception) */
    t = &b.txs[2];
    *t = b.txs[0];
    t->sender = w.eoa[ghost], t->nonce = 1, t->value = U256_ZERO, t->to = w.eoa[2], t->max_fee = u256_from_u64(7);
    header_of(&b, 1);
    b.header.base_fee = u256_from_u64(7);

    /* sequentially, by hand: tx1 pays 21000 + 25000 (one tuple) + D1's
     * PUSH1 3, SLOAD 2100 (cold), PUSH1 3, ADD 3, PUSH1 3, SSTORE 20000
     * (0 -> 1, slot warm), STOP = 68112, less the refund 12500 for an
     * authority that exists (the cap, 68112 / 5, is higher) */
    executor *ex = executor_new();
    block_rules rules = {.fork = FORK_PRAGUE, .chain_id = 1};
    mem_state *s = mem_state_clone(pre);
    block_result r = {0};
    CHECK(block_execute_mem(ex, &rules, &b, s, &r) == NULL);
    CHECK(r.n_receipts == 3);
    if (r.n_receipts == 3) CHECK_EQ_U64(r.receipts[1].gas_used, 68112 - 12500);
    block_result_free(&r);
    mem_state_free(s);
    executor_free(ex);

    par_engine **e = engines_new(3);
    for (int i = 0; i < 10; i++) check_block(&b, pre, e, 3, "existence block");
    engines_free(e, 3);
    for (size_t i = 0; i < b.n_txs; i++) tx_free(&b.txs[i]);
    free(b.txs);
    mem_state_free(pre);
}

TEST(parallel_equals_sequential_with_delegations) {
    total_aborts = total_suspensions = 0;
    par_engine **e = engines_new(4);
    for (int iter = 0; iter < 30; iter++) {
        world w;
        mem_state *pre = make_world(&w);
        block b = {0};
        b.n_txs = 10 + rnd() % 60;
        b.txs = calloc(b.n_txs, sizeof *b.txs);
        for (size_t i = 0; i < b.n_txs; i++) random_tx(&w, &b.txs[i]);
        header_of(&b, 100 + (uint64_t)iter);
        char what[64];
        snprintf(what, sizeof what, "random delegation block %d", iter);
        check_block(&b, pre, e, 4, what);
        for (size_t i = 0; i < b.n_txs; i++) tx_free(&b.txs[i]);
        free(b.txs);
        mem_state_free(pre);
    }
    engines_free(e, 4);
    /* the blocks must really conflict, or this proves little */
    fprintf(stderr, "  delegation blocks: %llu aborts, %llu suspensions\n", (unsigned long long)total_aborts,
            (unsigned long long)total_suspensions);
    CHECK(total_aborts + total_suspensions > 0);
}
