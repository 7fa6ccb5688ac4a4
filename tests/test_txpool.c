/* The transaction pool over an in-memory state: validation errors, pending
 * and queued lists with nonce gaps, the 10% replacement rule, eviction by
 * count and price, head updates, block order by effective tip, lookups, and
 * adders racing a block builder. */
#include "test.h"
#include <pthread.h>
#include "parevm/txpool.h"

enum { N_KEYS = 8, CHAIN = 1337 };
#define GWEI 1000000000ULL

static uint8_t KEYS[N_KEYS][32];
static address ADDR[N_KEYS];
static const address TO = {{0xaa, 0xbb}};

static void setup_keys(void) {
    for (int i = 0; i < N_KEYS; i++) {
        memset(KEYS[i], 0, 32);
        KEYS[i][31] = (uint8_t)(i + 1);
        KEYS[i][0] = 0x11;
        if (!tx_address_of_key(KEYS[i], &ADDR[i])) abort();
    }
}

static txpool_env test_env(void) {
    return (txpool_env){.fork = FORK_PRAGUE, .chain_id = CHAIN, .block_gas_limit = 30000000,
                        .base_fee = u256_from_u64(GWEI), .blob_base_fee = u256_from_u64(1)};
}

/* A state where every test key holds 100 ether at nonce 0. */
static mem_state *funded_state(void) {
    mem_state *s = mem_state_new();
    u256 bal = u256_mul(&(u256){{100, 0, 0, 0}}, &(u256){{1000000000000000000ULL, 0, 0, 0}});
    for (int i = 0; i < N_KEYS; i++) mem_state_set_account(s, &ADDR[i], &bal, 0, NULL, 0);
    return s;
}

typedef struct {
    uint8_t type;
    uint64_t nonce, tip, cap, gas, value; /* tip and cap in gwei; legacy uses cap as gas price */
    uint64_t blob_fee;                    /* wei; 0: 10 */
    bool no_chain_id;
    size_t data_len;
    unsigned auth_keys; /* set-code: a bit per key that signs an authorization */
    bool bad_auth;      /* set-code: the authorizations' y parity is invalid (they name no authority) */
} spec;

/* Signs and encodes a transaction from key `who`. */
static buf_t make_raw(int who, spec sp) {
    static bytes32 blob_hash = {{0x01, 0x02}};
    static uint8_t data[200000];
    transaction tx = {0};
    tx.type = sp.type;
    tx.has_chain_id = !sp.no_chain_id;
    tx.chain_id = CHAIN;
    tx.nonce = sp.nonce;
    u256 g = u256_from_u64(GWEI);
    u256 tip = u256_from_u64(sp.tip), cap = u256_from_u64(sp.cap);
    if (sp.type >= TX_DYNAMIC_FEE) {
        tx.max_priority_fee = u256_mul(&tip, &g);
        tx.max_fee = u256_mul(&cap, &g);
    } else {
        tx.gas_price = u256_mul(&cap, &g);
    }
    tx.gas_limit = sp.gas ? sp.gas : 21000 + 16 * sp.data_len;
    tx.has_to = true;
    tx.to = TO;
    tx.value = u256_from_u64(sp.value);
    tx.data = sp.data_len ? data : NULL;
    tx.data_len = sp.data_len;
    if (sp.type == TX_BLOB) {
        tx.blob_hashes = &blob_hash;
        tx.n_blob_hashes = 1;
        tx.max_fee_per_blob_gas = u256_from_u64(sp.blob_fee ? sp.blob_fee : 10);
    }
    authorization auths[N_KEYS];
    if (sp.type == TX_SET_CODE) {
        tx.auths = auths;
        for (int k = 0; k < N_KEYS; k++) {
            if (!(sp.auth_keys >> k & 1)) continue;
            authorization *a = &auths[tx.n_auths++];
            *a = (authorization){.chain_id = u256_from_u64(CHAIN), .addr = {{0x42}}};
            if (!tx_auth_sign(a, KEYS[k])) abort();
            if (sp.bad_auth) a->y_parity = 2;
        }
        if (!sp.gas) tx.gas_limit += 25000 * tx.n_auths;
    }
    if (!tx_sign(&tx, KEYS[who])) abort();
    buf_t b = {0};
    tx_encode(&tx, &b);
    return b;
}

static const char *add(txpool *p, mem_state *s, int who, spec sp, txpool_added *out) {
    buf_t raw = make_raw(who, sp);
    char err[128];
    const char *why = txpool_add_raw(p, mem_state_view(s), raw.data, raw.len, out, err, sizeof err);
    buf_free(&raw);
    return why;
}

static spec dyn(uint64_t nonce, uint64_t tip, uint64_t cap) {
    return (spec){.type = TX_DYNAMIC_FEE, .nonce = nonce, .tip = tip, .cap = cap};
}

static bool is(const char *got, const char *want) {
    bool ok = want ? got && !strcmp(got, want) : got == NULL;
    if (!ok) fprintf(stderr, "  got \"%s\", want \"%s\"\n", got ? got : "(accepted)", want ? want : "(accepted)");
    return ok;
}

static void counts(txpool *p, size_t *pending, size_t *queued) { txpool_counts(p, pending, queued); }

/* ---- Validation ----------------------------------------------------------------- */

TEST(validation_errors) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){.min_tip = u256_from_u64(1)}, &env);
    uint8_t code[] = {0x60, 0x00};
    u256 bal = u256_from_u64(1000000 * GWEI);
    mem_state_set_account(s, &ADDR[6], &bal, 0, code, sizeof code);   /* a contract */
    uint8_t delegation[23] = {0xef, 0x01, 0x00, 0x42};
    mem_state_set_account(s, &ADDR[7], &bal, 0, delegation, 23);       /* EIP-7702 delegated EOA */
    u256 poor = u256_from_u64(21000 * 2 * GWEI);
    mem_state_set_account(s, &ADDR[5], &poor, 3, NULL, 0);             /* nonce 3, little money */

    CHECK(is(add(p, s, 5, dyn(2, 1, 2), NULL), "nonce too low"));
    CHECK(is(add(p, s, 5, (spec){.type = 2, .nonce = 3, .tip = 1, .cap = 2, .value = 1}, NULL),
             "insufficient funds for gas * price + value"));
    CHECK(is(add(p, s, 5, dyn(3, 1, 2), NULL), NULL));                 /* exactly affordable */
    CHECK(is(add(p, s, 5, dyn(4, 1, 2), NULL), "insufficient funds for gas * price + value")); /* with 3's */
    CHECK(is(add(p, s, 0, (spec){.type = 2, .tip = 1, .cap = 2, .gas = 20000}, NULL), "intrinsic gas too low"));
    CHECK(is(add(p, s, 0, (spec){.type = 2, .tip = 1, .cap = 2, .gas = 30000001}, NULL), "exceeds block gas limit"));
    env.base_fee = u256_from_u64(3 * GWEI);
    txpool_set_head(p, mem_state_view(s), &env);
    CHECK(is(add(p, s, 0, dyn(0, 1, 2), NULL), "max fee per gas less than block base fee"));
    env.base_fee = u256_from_u64(GWEI);
    txpool_set_head(p, mem_state_view(s), &env);
    CHECK(is(add(p, s, 0, dyn(0, 3, 2), NULL), "max priority fee per gas higher than max fee per gas"));
    CHECK(is(add(p, s, 0, (spec){.type = 0, .cap = 0}, NULL), "transaction gas price below minimum")); /* below min tip */
    CHECK(is(add(p, s, 6, dyn(0, 1, 2), NULL), "sender not an eoa"));
    CHECK(is(add(p, s, 7, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 0, (spec){.type = TX_BLOB, .tip = 1, .cap = 2}, NULL), NULL));
    /* blob fee cap 10 wei against a blob base fee of 11 */
    env.blob_base_fee = u256_from_u64(11);
    txpool_set_head(p, mem_state_view(s), &env);
    CHECK(is(add(p, s, 1, (spec){.type = TX_BLOB, .tip = 1, .cap = 2}, NULL),
             "max fee per blob gas less than block blob gas fee"));
    /* oversized, garbage, duplicate, wrong chain */
    CHECK(is(add(p, s, 1, (spec){.type = 2, .tip = 1, .cap = 2, .data_len = 140000}, NULL), "oversized data"));
    char err[128] = "";
    static const uint8_t junk[] = {0x02, 0xc1, 0x80};
    CHECK(is(txpool_add_raw(p, mem_state_view(s), junk, sizeof junk, NULL, err, sizeof err),
             "invalid transaction encoding"));
    CHECK(err[0] != 0);
    CHECK(is(txpool_add_raw(p, mem_state_view(s), junk, 0, NULL, NULL, 0), "invalid transaction encoding"));
    CHECK(is(add(p, s, 2, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 2, dyn(0, 1, 2), NULL), "already known"));
    buf_t raw = make_raw(3, dyn(0, 1, 2));
    raw.data[raw.len - 1] ^= 1; /* another s: another (or no) sender */
    const char *why = txpool_add_raw(p, mem_state_view(s), raw.data, raw.len, NULL, err, sizeof err);
    CHECK(why != NULL);
    buf_free(&raw);
    env.chain_id = 1;
    txpool_set_head(p, mem_state_view(s), &env);
    CHECK(is(add(p, s, 3, dyn(0, 1, 2), NULL), "invalid sender: invalid chain id for signer"));
    txpool_free(p);

    /* unprotected legacy transactions only when allowed */
    env = test_env();
    p = txpool_new(&(txpool_config){.reject_unprotected = true}, &env);
    CHECK(is(add(p, s, 0, (spec){.type = 0, .cap = 2, .no_chain_id = true}, NULL),
             "only replay-protected (EIP-155) transactions allowed"));
    txpool_free(p);
    p = txpool_new(&(txpool_config){0}, &env);
    CHECK(is(add(p, s, 0, (spec){.type = 0, .cap = 2, .no_chain_id = true}, NULL), NULL));
    txpool_free(p);
    mem_state_free(s);
}

/* ---- Pending, queued, replacement ------------------------------------------------------ */

TEST(nonce_gaps_pending_and_queued) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    txpool_added out;
    size_t pend, queue;
    CHECK(is(add(p, s, 0, dyn(0, 1, 2), &out), NULL) && out.pending && !out.replaced);
    CHECK(is(add(p, s, 0, dyn(2, 1, 2), &out), NULL) && !out.pending);
    CHECK(is(add(p, s, 0, dyn(3, 1, 2), &out), NULL) && !out.pending);
    counts(p, &pend, &queue);
    CHECK(pend == 1 && queue == 2);
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[0], 0), 1);
    CHECK(is(add(p, s, 0, dyn(1, 1, 2), &out), NULL) && out.pending); /* fills the gap */
    counts(p, &pend, &queue);
    CHECK(pend == 4 && queue == 0);
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[0], 0), 4);
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[1], 7), 7);
    /* removal demotes the later ones */
    buf_t raw = make_raw(0, dyn(1, 1, 2));
    transaction tx;
    CHECK(tx_decode(raw.data, raw.len, &tx, NULL, 0));
    CHECK(txpool_remove(p, &tx.hash));
    CHECK(!txpool_remove(p, &tx.hash));
    counts(p, &pend, &queue);
    CHECK(pend == 1 && queue == 2);
    tx_free(&tx);
    buf_free(&raw);
    txpool_free(p);
    mem_state_free(s);
}

/* geth's miner_setGasPrice: a raised threshold drops what tips less, by
 * the tip cap (a legacy transaction's tip is its gas price); lowering it
 * drops nothing. */
TEST(raised_min_tip_drops_cheaper) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    txpool_added out;
    size_t pend, queue;
    CHECK(is(add(p, s, 0, dyn(0, 1, 50), &out), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 3, 50), &out), NULL));
    CHECK(is(add(p, s, 0, dyn(2, 2, 50), &out), NULL)); /* exactly the new threshold: stays */
    CHECK(is(add(p, s, 1, dyn(0, 5, 50), &out), NULL));
    CHECK(is(add(p, s, 2, (spec){.type = TX_LEGACY, .nonce = 0, .cap = 1}, &out), NULL));
    counts(p, &pend, &queue);
    CHECK(pend == 5 && queue == 0);
    u256 two = u256_from_u64(2 * GWEI), zero = U256_ZERO;
    CHECK_EQ_U64(txpool_set_min_tip(p, &two), 2);
    counts(p, &pend, &queue);
    CHECK(pend == 1 && queue == 2); /* sender 0's nonces 1 and 2 wait behind the gap */
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[2], 0), 0);
    CHECK(is(add(p, s, 2, (spec){.type = TX_LEGACY, .nonce = 0, .cap = 1}, &out), "transaction gas price below minimum"));
    CHECK_EQ_U64(txpool_set_min_tip(p, &two), 0); /* not raised */
    CHECK_EQ_U64(txpool_set_min_tip(p, &zero), 0);
    CHECK(is(add(p, s, 0, dyn(0, 1, 50), &out), NULL) && out.pending);
    counts(p, &pend, &queue);
    CHECK(pend == 4 && queue == 0);
    txpool_free(p);
    mem_state_free(s);
}

TEST(replacement_needs_ten_percent_on_both_fees) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    txpool_added out;
    CHECK(is(add(p, s, 0, dyn(0, 10, 100), &out), NULL));
    bytes32 first = out.hash;
    CHECK(is(add(p, s, 0, dyn(0, 10, 109), NULL), "replacement transaction underpriced"));
    CHECK(is(add(p, s, 0, dyn(0, 10, 200), NULL), "replacement transaction underpriced")); /* tip not bumped */
    CHECK(is(add(p, s, 0, dyn(0, 20, 105), NULL), "replacement transaction underpriced")); /* cap not bumped */
    CHECK(is(add(p, s, 0, dyn(0, 11, 110), &out), NULL) && out.replaced && out.pending);
    const txpool_tx *old = txpool_get(p, &first);
    CHECK(old == NULL);
    const txpool_tx *now = txpool_get(p, &out.hash);
    CHECK(now && now->tx.max_fee.w[0] == 110 * GWEI);
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 1 && queue == 0);
    /* the reference outlives the transaction's removal */
    CHECK(txpool_remove(p, &out.hash));
    CHECK(now->tx.nonce == 0 && now->raw_len > 0);
    txpool_tx_release(now);
    /* legacy: the gas price is both fees */
    CHECK(is(add(p, s, 1, (spec){.type = 0, .cap = 100}, NULL), NULL));
    CHECK(is(add(p, s, 1, (spec){.type = 0, .cap = 109}, NULL), "replacement transaction underpriced"));
    CHECK(is(add(p, s, 1, (spec){.type = 0, .cap = 110}, &out), NULL) && out.replaced);
    txpool_free(p);
    mem_state_free(s);
}

/* geth's blobpool: a blob transaction is replaced at twice its three prices. */
TEST(blob_replacement_needs_double_prices) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    txpool_added out;
    CHECK(is(add(p, s, 0, (spec){.type = TX_BLOB, .tip = 10, .cap = 100, .blob_fee = 10}, NULL), NULL));
    CHECK(is(add(p, s, 0, (spec){.type = TX_BLOB, .tip = 11, .cap = 110, .blob_fee = 11}, NULL),
             "replacement transaction underpriced"));
    CHECK(is(add(p, s, 0, (spec){.type = TX_BLOB, .tip = 20, .cap = 200, .blob_fee = 19}, NULL),
             "replacement transaction underpriced")); /* blob fee not doubled */
    CHECK(is(add(p, s, 0, (spec){.type = TX_BLOB, .tip = 20, .cap = 200, .blob_fee = 20}, &out), NULL) &&
          out.replaced);
    txpool_free(p);
    mem_state_free(s);
}

/* geth's overdraft rule: a replacement is paid for with the sender's other
 * pending transactions. */
TEST(replacement_counts_later_pending_costs) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    u256 bal = u256_from_u64(130000 * GWEI); /* two of 21000 gas at 3 gwei, with 4000 gwei spare */
    mem_state_set_account(s, &ADDR[0], &bal, 0, NULL, 0);
    CHECK(is(add(p, s, 0, dyn(0, 1, 3), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 1, 3), NULL), NULL));
    CHECK(is(add(p, s, 0, (spec){.type = 2, .nonce = 0, .tip = 2, .cap = 4, .value = 10000 * GWEI}, NULL),
             "insufficient funds for gas * price + value"));
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 2 && queue == 0);
    txpool_free(p);
    mem_state_free(s);
}

/* ---- Eviction --------------------------------------------------------------------------- */

TEST(eviction_by_count_and_price) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){.max_pending = 3, .max_queued = 2}, &env);
    txpool_added out;
    CHECK(is(add(p, s, 0, dyn(0, 5, 100), &out), NULL));
    CHECK(is(add(p, s, 1, dyn(0, 2, 100), &out), NULL));
    bytes32 cheap = out.hash;
    CHECK(is(add(p, s, 2, dyn(0, 7, 100), &out), NULL));
    /* a fourth, better paying: the cheapest (tip 2) goes */
    CHECK(is(add(p, s, 3, dyn(0, 4, 100), &out), NULL));
    CHECK(txpool_get(p, &cheap) == NULL);
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 3 && queue == 0);
    /* a newcomer cheaper than everything is refused */
    CHECK(is(add(p, s, 4, dyn(0, 1, 100), NULL), "txpool is full"));
    counts(p, &pend, &queue);
    CHECK(pend == 3 && queue == 0);
    /* the queue has its own limit: the cheapest queued tail goes (a
     * sender's earlier queued transactions are not evicted before its last) */
    CHECK(is(add(p, s, 5, dyn(5, 3, 100), NULL), NULL));
    CHECK(is(add(p, s, 5, dyn(6, 9, 100), &out), NULL));
    bytes32 tail = out.hash;
    CHECK(is(add(p, s, 6, dyn(4, 8, 100), NULL), "txpool is full"));
    CHECK(is(add(p, s, 6, dyn(4, 10, 100), &out), NULL) && !out.pending);
    CHECK(txpool_get(p, &tail) == NULL);
    counts(p, &pend, &queue);
    CHECK(pend == 3 && queue == 2);
    const txpool_tx *kept = txpool_get(p, &out.hash);
    CHECK(kept != NULL);
    txpool_tx_release(kept);
    txpool_free(p);

    /* per-sender limit */
    p = txpool_new(&(txpool_config){.max_per_sender = 2}, &env);
    CHECK(is(add(p, s, 0, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(2, 1, 2), NULL), "too many transactions from this sender"));
    CHECK(is(add(p, s, 0, dyn(1, 2, 3), NULL), NULL)); /* replacing is not adding */
    txpool_free(p);
    mem_state_free(s);
}

/* ---- Heads -------------------------------------------------------------------------------- */

TEST(new_head_drops_included_and_unpayable) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    for (uint64_t n = 0; n < 3; n++) CHECK(is(add(p, s, 0, dyn(n, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 2, dyn(1, 1, 2), NULL), NULL)); /* queued: nonce 0 missing */
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 4 && queue == 1);
    /* a block included sender 0's nonces 0 and 1 and sender 2's nonce 0
     * (from elsewhere); sender 1 spent nearly everything */
    u256 bal = u256_mul(&(u256){{100, 0, 0, 0}}, &(u256){{1000000000000000000ULL, 0, 0, 0}});
    mem_state_set_account(s, &ADDR[0], &bal, 2, NULL, 0);
    mem_state_set_account(s, &ADDR[2], &bal, 1, NULL, 0);
    u256 little = u256_from_u64(1000);
    mem_state_set_account(s, &ADDR[1], &little, 0, NULL, 0);
    env.base_fee = u256_from_u64(GWEI + 1);
    CHECK_EQ_U64(txpool_set_head(p, mem_state_view(s), &env), 3);
    counts(p, &pend, &queue);
    CHECK(pend == 2 && queue == 0); /* sender 0's nonce 2, sender 2's nonce 1 (promoted) */
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[0], 2), 3);
    CHECK_EQ_U64(txpool_next_nonce(p, &ADDR[1], 0), 0);
    txpool_free(p);
    mem_state_free(s);
}

/* ---- EIP-7702 limits (delegation_limits) ------------------------------------------------------ */

static spec set_code(uint64_t nonce, uint64_t tip, unsigned auth_keys) {
    return (spec){.type = TX_SET_CODE, .nonce = nonce, .tip = tip, .cap = 2 * tip, .auth_keys = auth_keys};
}

static bytes32 hash_of(int who, spec sp) {
    buf_t raw = make_raw(who, sp);
    transaction tx;
    if (!tx_decode(raw.data, raw.len, &tx, NULL, 0)) abort();
    bytes32 h = tx.hash;
    tx_free(&tx);
    buf_free(&raw);
    return h;
}

/* geth's legacypool rules, as `on` says; with them off (dev mode) the pool
 * takes the same sequence whole. Key 7 is delegated in the state. */
static void delegation_sequence(bool on) {
    setup_keys();
    mem_state *s = funded_state();
    u256 bal = u256_mul(&(u256){{100, 0, 0, 0}}, &(u256){{1000000000000000000ULL, 0, 0, 0}});
    uint8_t delegation[23] = {0xef, 0x01, 0x00, 0x42};
    mem_state_set_account(s, &ADDR[7], &bal, 0, delegation, 23);
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){.delegation_limits = on}, &env);
    const char *gapped = on ? "gapped-nonce tx from delegated accounts" : NULL;
    const char *inflight = on ? "in-flight transaction limit reached for delegated accounts" : NULL;
    const char *reserved = on ? "authority already reserved" : NULL;
    txpool_added out;
    /* a delegated sender: its account nonce only, then one pending transaction,
     * which it may replace */
    CHECK(is(add(p, s, 7, dyn(3, 1, 2), NULL), gapped));
    CHECK(is(add(p, s, 7, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 7, dyn(1, 1, 2), NULL), inflight));
    CHECK(is(add(p, s, 7, dyn(2, 1, 2), NULL), inflight));
    CHECK(is(add(p, s, 7, dyn(0, 2, 4), &out), NULL) && out.replaced);
    /* an authority of a pooled set-code transaction (sender 0 authorizes 1
     * and itself) is held to the same */
    CHECK(is(add(p, s, 0, set_code(0, 1, 1u << 1 | 1u << 0), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(2, 1, 2), NULL), gapped));
    CHECK(is(add(p, s, 1, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(1, 1, 2), NULL), inflight));
    CHECK(is(add(p, s, 0, dyn(1, 1, 2), NULL), inflight));
    CHECK(is(add(p, s, 0, set_code(0, 2, 1u << 1 | 1u << 0), &out), NULL) && out.replaced);
    /* an authority with more than one transaction is reserved, the sender
     * too; with one it is not; an invalid signature names no authority */
    CHECK(is(add(p, s, 2, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 3, set_code(0, 1, 1u << 2), NULL), NULL));
    CHECK(is(add(p, s, 2, dyn(1, 1, 2), NULL), inflight));
    CHECK(is(add(p, s, 4, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 4, dyn(1, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 5, set_code(0, 1, 1u << 4), NULL), reserved));
    CHECK(is(add(p, s, 4, set_code(2, 1, 1u << 4), NULL), reserved));
    spec bad = set_code(1, 1, 1u << 4);
    bad.bad_auth = true;
    CHECK(is(add(p, s, 3, bad, NULL), NULL));
    CHECK(is(add(p, s, 4, dyn(2, 5, 10), NULL), NULL)); /* 4 is named by no valid authorization */
    /* a blob transaction holds its sender (geth: the blobpool reserves it) */
    CHECK(is(add(p, s, 6, (spec){.type = TX_BLOB, .tip = 1, .cap = 2}, NULL), NULL));
    CHECK(is(add(p, s, 3, set_code(2, 1, 1u << 6), NULL), reserved));
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK_EQ_U64(pend + queue, on ? 10 : 19);
    txpool_free(p);
    mem_state_free(s);
}

TEST(delegation_limits_geth) { delegation_sequence(true); }
TEST(delegation_limits_off_in_dev) { delegation_sequence(false); }

/* An authority is held while a set-code transaction naming it is in the
 * pool: until the last of them is included, removed or evicted. */
TEST(delegation_limits_release) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){.delegation_limits = true, .max_pending = 4}, &env);
    const char *gapped = "gapped-nonce tx from delegated accounts";
    /* senders 0 and 2 both authorize 1 */
    CHECK(is(add(p, s, 0, set_code(0, 1, 1u << 1), NULL), NULL));
    CHECK(is(add(p, s, 2, set_code(0, 1, 1u << 1), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(1, 1, 2), NULL), gapped));
    bytes32 h = hash_of(2, set_code(0, 1, 1u << 1));
    CHECK(txpool_remove(p, &h));
    CHECK(is(add(p, s, 1, dyn(1, 1, 2), NULL), gapped)); /* sender 0's still names it */
    /* a block includes sender 0's (the state here leaves 1 undelegated) */
    u256 bal = u256_mul(&(u256){{100, 0, 0, 0}}, &(u256){{1000000000000000000ULL, 0, 0, 0}});
    mem_state_set_account(s, &ADDR[0], &bal, 1, NULL, 0);
    CHECK_EQ_U64(txpool_set_head(p, mem_state_view(s), &env), 1);
    CHECK(is(add(p, s, 1, dyn(1, 1, 2), NULL), NULL)); /* queued behind its gap */
    /* the cheapest pending transaction, a set-code one naming 3, is evicted */
    CHECK(is(add(p, s, 4, set_code(0, 1, 1u << 3), NULL), NULL));
    CHECK(is(add(p, s, 3, dyn(1, 1, 2), NULL), gapped));
    for (int k = 5; k < 8; k++) CHECK(is(add(p, s, k, dyn(0, 5, 10), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 5, 10), NULL), NULL));
    h = hash_of(4, set_code(0, 1, 1u << 3));
    const txpool_tx *gone = txpool_get(p, &h);
    CHECK(!gone);
    txpool_tx_release(gone);
    CHECK(is(add(p, s, 3, dyn(1, 1, 2), NULL), NULL));
    txpool_free(p);
    mem_state_free(s);
}

/* ---- Block order --------------------------------------------------------------------------- */

typedef struct {
    int n;
    uint64_t nonces[16];
    int senders[16];
} order;

static int sender_index(const address *a) {
    for (int i = 0; i < N_KEYS; i++)
        if (address_eq(a, &ADDR[i])) return i;
    return -1;
}

static order drain_in(txpool *p, const u256 *base_fee, int skip_sender, txpool_order by) {
    order o = {0};
    txpool_best *it = txpool_best_new(p, base_fee, NULL, by);
    const txpool_tx *t;
    while ((t = txpool_best_next(it)) && o.n < 16) {
        int who = sender_index(&t->tx.sender);
        if (who == skip_sender) {
            txpool_best_skip_sender(it);
            continue;
        }
        o.senders[o.n] = who;
        o.nonces[o.n++] = t->tx.nonce;
    }
    txpool_best_free(it);
    return o;
}

static order drain(txpool *p, const u256 *base_fee, int skip_sender) {
    return drain_in(p, base_fee, skip_sender, TXPOOL_BY_TIP);
}

TEST(best_transactions_in_block_order) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    /* sender 0: tips 1 then 100 (the 100 cannot go first); sender 1: 50;
     * sender 2: 50, later than sender 1; sender 3: legacy at 6 gwei = tip 5;
     * sender 4: queued only */
    CHECK(is(add(p, s, 0, dyn(0, 1, 200), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 100, 200), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(0, 50, 200), NULL), NULL));
    CHECK(is(add(p, s, 2, dyn(0, 50, 200), NULL), NULL));
    CHECK(is(add(p, s, 3, (spec){.type = 0, .cap = 6}, NULL), NULL));
    CHECK(is(add(p, s, 4, dyn(1, 90, 200), NULL), NULL));
    u256 base = u256_from_u64(GWEI);
    order o = drain(p, &base, -1);
    static const int want_s[] = {1, 2, 3, 0, 0};
    static const uint64_t want_n[] = {0, 0, 0, 0, 1};
    CHECK_EQ_U64(o.n, 5);
    for (int i = 0; i < 5 && i < o.n; i++) CHECK(o.senders[i] == want_s[i] && o.nonces[i] == want_n[i]);
    /* a sender whose transaction failed is skipped as a whole */
    o = drain(p, &base, 0);
    CHECK_EQ_U64(o.n, 3);
    /* at a base fee of 60 gwei: sender 3 (6 gwei) is out; effective tips
     * are min(tip, 200 - 60): sender 0's first now pays 1 */
    base = u256_from_u64(60 * GWEI);
    o = drain(p, &base, -1);
    CHECK_EQ_U64(o.n, 4);
    CHECK(o.senders[0] == 1 && o.senders[1] == 2 && o.senders[2] == 0 && o.senders[3] == 0);
    /* by arrival (anvil's --order fifo): sender 0's two first, then 1, 2
     * and 3, whatever they pay; the fee caps still count */
    base = u256_from_u64(GWEI);
    o = drain_in(p, &base, -1, TXPOOL_BY_ARRIVAL);
    static const int fifo_s[] = {0, 0, 1, 2, 3};
    static const uint64_t fifo_n[] = {0, 1, 0, 0, 0};
    CHECK_EQ_U64(o.n, 5);
    for (int i = 0; i < 5 && i < o.n; i++) CHECK(o.senders[i] == fifo_s[i] && o.nonces[i] == fifo_n[i]);
    base = u256_from_u64(60 * GWEI);
    o = drain_in(p, &base, -1, TXPOOL_BY_ARRIVAL);
    CHECK_EQ_U64(o.n, 4);
    CHECK(o.senders[0] == 0 && o.senders[1] == 0 && o.senders[2] == 1 && o.senders[3] == 2);
    /* the content view lists pending and queued */
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 5 && queue == 1);
    txpool_free(p);
    mem_state_free(s);
}

/* geth's pool (below_base_fee): fee caps under the next block's base fee
 * and blob base fee are admitted, pending, and the builder passes them by
 * until the fees fall; a tip under the price limit is refused with geth's
 * words and numbers. */
TEST(below_base_fee_waits_in_geths_pool) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    env.base_fee = u256_from_u64(3 * GWEI);
    env.blob_base_fee = u256_from_u64(11);
    txpool *p = txpool_new(&(txpool_config){.below_base_fee = true, .min_tip = u256_from_u64(1)}, &env);
    CHECK(is(add(p, s, 0, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(1, 1, 50), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(0, 1, 50), NULL), NULL));
    CHECK(is(add(p, s, 2, (spec){.type = TX_BLOB, .tip = 1, .cap = 5}, NULL), NULL)); /* blob fee 10 < 11 */
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == 4 && queue == 0);
    /* at 3 gwei only sender 1's goes (sender 0's second waits behind its
     * first; the drain has no blob base fee) */
    u256 base = u256_from_u64(3 * GWEI);
    order o = drain(p, &base, -1);
    CHECK(o.n == 2 && o.senders[0] == 1 && o.senders[1] == 2);
    base = u256_from_u64(GWEI);
    o = drain(p, &base, -1);
    CHECK_EQ_U64(o.n, 4);
    /* a tip of 0 wei under the limit of 1 */
    buf_t raw = make_raw(3, (spec){.type = TX_LEGACY, .cap = 0});
    char err[128] = "";
    CHECK(is(txpool_add_raw(p, mem_state_view(s), raw.data, raw.len, NULL, err, sizeof err),
             "transaction gas price below minimum"));
    CHECK(!strcmp(err, "gas tip cap 0, minimum needed 1"));
    buf_free(&raw);
    txpool_free(p);
    mem_state_free(s);
}

static bool count_visit(void *arg, const txpool_tx *t, bool pending) {
    int *c = arg;
    c[pending ? 0 : 1]++;
    return true;
}

TEST(content_iteration) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    CHECK(is(add(p, s, 0, dyn(0, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 0, dyn(5, 1, 2), NULL), NULL));
    CHECK(is(add(p, s, 1, dyn(0, 1, 2), NULL), NULL));
    int all[2] = {0}, one[2] = {0};
    txpool_each(p, NULL, count_visit, all);
    txpool_each(p, &ADDR[0], count_visit, one);
    CHECK(all[0] == 2 && all[1] == 1 && one[0] == 1 && one[1] == 1);
    txpool_free(p);
    mem_state_free(s);
}

/* ---- Threads ----------------------------------------------------------------------------------- */

typedef struct {
    txpool *p;
    mem_state *s;
    buf_t raws[40];
    int accepted;
} adder_arg;

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER; /* mem_state is not thread-safe */

static bool locked_get_account(void *ctx, const address *a, unsigned fields, account_info *out) {
    pthread_mutex_lock(&state_mu);
    state_view v = mem_state_view(ctx);
    bool r = v.ops->get_account(v.ctx, a, fields, out);
    pthread_mutex_unlock(&state_mu);
    return r;
}

static const evm_code *locked_get_code(void *ctx, const address *a) {
    pthread_mutex_lock(&state_mu);
    state_view v = mem_state_view(ctx);
    const evm_code *c = v.ops->get_code(v.ctx, a);
    pthread_mutex_unlock(&state_mu);
    return c;
}

static const state_view_ops locked_ops = {.get_account = locked_get_account, .get_code = locked_get_code};

static void *adder(void *p) {
    adder_arg *a = p;
    state_view view = {&locked_ops, a->s};
    for (int i = 0; i < 40; i++) {
        a->accepted += txpool_add_raw(a->p, view, a->raws[i].data, a->raws[i].len, NULL, NULL, 0) == NULL;
        buf_free(&a->raws[i]);
    }
    return NULL;
}

typedef struct {
    txpool *p;
    _Atomic bool stop;
    int rounds;
} builder_arg;

static void *builder(void *p) {
    builder_arg *b = p;
    u256 base = u256_from_u64(GWEI);
    while (!atomic_load(&b->stop) || b->rounds == 0) {
        txpool_best *it = txpool_best_new(b->p, &base, NULL, TXPOOL_BY_TIP);
        uint64_t last_nonce[N_KEYS];
        memset(last_nonce, 0xff, sizeof last_nonce);
        const txpool_tx *t;
        while ((t = txpool_best_next(it))) {
            int who = sender_index(&t->tx.sender);
            /* nonce order per sender, whatever the adders do meanwhile */
            if (who < 0 || (last_nonce[who] != UINT64_MAX && t->tx.nonce != last_nonce[who] + 1)) abort();
            last_nonce[who] = t->tx.nonce;
        }
        txpool_best_free(it);
        b->rounds++;
    }
    return NULL;
}

TEST(adders_race_a_builder) {
    setup_keys();
    mem_state *s = funded_state();
    txpool_env env = test_env();
    txpool *p = txpool_new(&(txpool_config){0}, &env);
    enum { T = 4 };
    adder_arg args[T];
    for (int t = 0; t < T; t++) {
        args[t] = (adder_arg){.p = p, .s = s};
        for (int i = 0; i < 40; i++) args[t].raws[i] = make_raw(t, dyn((uint64_t)i, 1 + (uint64_t)(i % 7), 100));
    }
    builder_arg b = {.p = p};
    pthread_t th[T], bt;
    pthread_create(&bt, NULL, builder, &b);
    for (int t = 0; t < T; t++) pthread_create(&th[t], NULL, adder, &args[t]);
    int accepted = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        accepted += args[t].accepted;
    }
    atomic_store(&b.stop, true);
    pthread_join(bt, NULL);
    CHECK_EQ_U64(accepted, T * 40);
    size_t pend, queue;
    counts(p, &pend, &queue);
    CHECK(pend == T * 40 && queue == 0);
    u256 base = u256_from_u64(GWEI);
    order o = drain(p, &base, -1);
    CHECK_EQ_U64(o.n, 16);
    txpool_free(p);
    mem_state_free(s);
}
