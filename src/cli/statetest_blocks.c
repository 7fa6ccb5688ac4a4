/* State-test cases as one-block chains, sequential against Block-STM (see
 * statetest_blocks.h). */
#include "statetest_blocks.h"
#include <stdio.h>
#include <stdlib.h>
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/chain.h"
#include "parevm/keccak.h"
#include "parevm/parallel.h"
#include "parevm/state_root.h"

struct st_blocks {
    executor *ex;
    par_engine *par;
    uint8_t helper_key[32]; /* signs the transfer before the case's transaction */
    address helper;
    unsigned sample;
    uint64_t cases;
    uint64_t variants, accepted, rejected, executions;
    char diff[300];
};

st_blocks *st_blocks_new(int threads, unsigned sample) {
    st_blocks *sb = calloc(1, sizeof *sb);
    if (!sb) abort();
    sb->sample = sample;
    sb->par = par_engine_new(threads);
    if (!sb->par) {
        free(sb);
        return NULL;
    }
    par_options o = {.hints = true, .sequential_fallback = false};
    par_engine_set_options(sb->par, &o);
    sb->ex = executor_new();
    keccak256("parevm statetest --block-stm helper", 35, sb->helper_key);
    sb->helper_key[0] &= 0x7f; /* below the group order */
    if (!tx_address_of_key(sb->helper_key, &sb->helper)) abort();
    return sb;
}

void st_blocks_free(st_blocks *sb) {
    if (!sb) return;
    par_engine_free(sb->par);
    executor_free(sb->ex);
    free(sb);
}

/* What one execution of a block gave. */
typedef struct {
    const char *error;
    long invalid_tx;
    uint64_t gas;
    bytes32 state_root;
    buf_t receipts; /* every receipt's encoding, concatenated */
} outcome;

static void capture(outcome *o, const char *why, const block_result *r, mem_state *s) {
    o->error = why;
    o->invalid_tx = why ? r->invalid_tx : -1;
    if (why) return;
    o->gas = r->gas_used;
    o->state_root = mem_state_root(s);
    for (size_t i = 0; i < r->n_receipts; i++) receipt_encode(r, i, &o->receipts);
}

/* The block for env's fields and fork, holding txs. */
static void make_block(block *b, const block_env *env, transaction *txs, size_t n) {
    memset(b, 0, sizeof *b);
    block_header *h = &b->header;
    h->number = env->number;
    h->timestamp = env->timestamp;
    h->gas_limit = env->gas_limit;
    h->coinbase = env->coinbase;
    if (env->fork >= FORK_PARIS)
        u256_to_be(&env->prevrandao, h->mix_hash.b);
    else
        h->difficulty = env->prevrandao;
    h->has_base_fee = env->fork >= FORK_LONDON;
    h->base_fee = env->base_fee;
    h->has_blob_gas = env->fork >= FORK_CANCUN;
    h->excess_blob_gas = env->excess_blob_gas;
    h->has_beacon_root = env->fork >= FORK_CANCUN;
    b->txs = txs;
    b->n_txs = n;
}

/* A transfer of 1 wei from the helper to `to`, valid under env. */
static bool helper_transfer(st_blocks *sb, const block_env *env, const address *to, transaction *t) {
    memset(t, 0, sizeof *t);
    t->type = TX_LEGACY;
    t->gas_limit = 21000;
    t->gas_price = env->fork >= FORK_LONDON ? env->base_fee : u256_from_u64(1);
    t->has_to = true;
    t->to = *to;
    t->value = u256_from_u64(1);
    return tx_sign(t, sb->helper_key);
}

/* Executes b on a copy of pre, sequentially or with Block-STM. */
static void run(st_blocks *sb, const block_rules *rules0, block *b, mem_state *pre, bool parallel, outcome *o,
                par_stats *st) {
    mem_state *s = mem_state_clone(pre);
    block_rules rules = *rules0;
    rules.state_root_ctx = s; /* pre-Byzantium receipts' roots: s plus the block's changes */
    block_result r = {0};
    for (size_t i = 0; i < b->n_txs; i++) b->txs[i].sender_known = false;
    const char *why = parallel ? par_block_execute_mem(sb->par, &rules, b, s, &r, st)
                               : block_execute_mem(sb->ex, &rules, b, s, &r);
    capture(o, why, &r, s);
    block_result_free(&r);
    mem_state_free(s);
}

/* Both ways on one variant; NULL or what differed. */
static const char *compare(st_blocks *sb, const char *variant, const block_rules *rules, block *b, mem_state *pre) {
    outcome want = {0}, got = {0};
    par_stats st;
    run(sb, rules, b, pre, false, &want, NULL);
    run(sb, rules, b, pre, true, &got, &st);
    sb->variants++;
    sb->executions += st.executions;
    if (want.error) sb->rejected++;
    else sb->accepted++;
    const char *d = NULL;
    if (st.sequential) {
        snprintf(sb->diff, sizeof sb->diff, "%s: Block-STM did not run (%s)", variant, st.why_sequential);
        d = sb->diff;
    } else if (!want.error != !got.error || (want.error && (strcmp(want.error, got.error) ||
                                                              want.invalid_tx != got.invalid_tx))) {
        snprintf(sb->diff, sizeof sb->diff, "%s: sequential %s (transaction %ld), Block-STM %s (transaction %ld)",
                 variant, want.error ? want.error : "accepts", want.invalid_tx, got.error ? got.error : "accepts",
                 got.invalid_tx);
        d = sb->diff;
    } else if (!want.error && (want.gas != got.gas || !bytes32_eq(&want.state_root, &got.state_root) ||
                               want.receipts.len != got.receipts.len ||
                               (want.receipts.len && memcmp(want.receipts.data, got.receipts.data, want.receipts.len)))) {
        snprintf(sb->diff, sizeof sb->diff, "%s: Block-STM's %s differs from sequential", variant,
                 want.gas != got.gas ? "gas used" : !bytes32_eq(&want.state_root, &got.state_root) ? "post-state" : "receipts");
        d = sb->diff;
    }
    buf_free(&want.receipts);
    buf_free(&got.receipts);
    return d;
}

enum { V_ALONE = 1, V_AFTER = 2, V_ABSURD = 4, V_ALL = 7 };

const char *st_blocks_check(st_blocks *sb, const block_env *env, mem_state *pre, const transaction *tx) {
    static const uint64_t absurd_gas[] = {1ULL << 52, 100000000000000000ULL, UINT64_MAX};
    uint64_t k = sb->cases++;
    unsigned which = V_ALL;
    if (sb->sample) {
        if (k % sb->sample) return NULL;
        which = 1u << (k / sb->sample % 3);
    }
    block_rules rules = {.fork = env->fork, .chain_id = env->chain_id, .block_reward = chain_block_reward(env->fork),
                         .state_root = mem_state_root_after};
    chain_config cfg; /* the fork's blob parameters (those the state tests use) */
    if (env->fork >= FORK_CANCUN && chain_config_by_name(fork_name(env->fork), &cfg))
        rules.blob = chain_blob_params(&cfg, env->timestamp);
    transaction txs[2];
    block b;
    const char *d = NULL;
    if (which & V_ALONE) {
        txs[0] = *tx;
        make_block(&b, env, txs, 1);
        if ((d = compare(sb, "alone", &rules, &b, pre))) return d;
    }
    if (!(which & (V_AFTER | V_ABSURD))) return NULL;
    /* after a valid transfer that credits the sender: the helper is funded
     * in a copy of the pre-state */
    mem_state *pre2 = mem_state_clone(pre);
    u256 rich = {{0, 0, 0, 1ULL << 60}};
    mem_state_set_account(pre2, &sb->helper, &rich, 0, NULL, 0);
    if (!helper_transfer(sb, env, &tx->sender, &txs[0])) abort();
    txs[1] = *tx;
    if (which & V_AFTER) {
        make_block(&b, env, txs, 2);
        d = compare(sb, "after a transfer", &rules, &b, pre2);
    }
    if (!d && (which & V_ABSURD)) {
        block_env absurd = *env;
        absurd.gas_limit = absurd_gas[k % 3];
        absurd.timestamp = UINT64_MAX;
        make_block(&b, &absurd, txs, 2);
        b.header.gas_used = absurd.gas_limit;
        d = compare(sb, "absurd header", &rules, &b, pre2);
    }
    tx_free(&txs[0]);
    mem_state_free(pre2);
    return d;
}

void st_blocks_summary(const st_blocks *sb, FILE *out) {
    fprintf(out, "block-stm: %llu cases as %llu blocks (%llu accepted, %llu rejected), %llu Block-STM executions\n",
            (unsigned long long)sb->cases, (unsigned long long)sb->variants, (unsigned long long)sb->accepted,
            (unsigned long long)sb->rejected, (unsigned long long)sb->executions);
}
