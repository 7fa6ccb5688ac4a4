/* Block execution (execution-specs apply_body and the pre-Merge block
 * rewards): system calls, transactions, withdrawals, rewards, receipts;
 * the requests are in requests.c. */
#include <stdlib.h>
#include "block_internal.h"
#include "parevm/keccak.h"

static const address SYSTEM_ADDRESS = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
static const address BEACON_ROOTS_ADDRESS = {{0x00, 0x0f, 0x3d, 0xf6, 0xd7, 0x32, 0x80, 0x7e, 0xf1, 0x31,
                                              0x9f, 0xb7, 0xb8, 0xbb, 0x85, 0x22, 0xd0, 0xbe, 0xac, 0x02}};
static const address HISTORY_STORAGE_ADDRESS = {{0x00, 0x00, 0xf9, 0x08, 0x27, 0xf1, 0xc5, 0x3a, 0x10, 0xcb,
                                                 0x7a, 0x02, 0x33, 0x5b, 0x17, 0x53, 0x20, 0x00, 0x29, 0x35}};
#define SYSTEM_CALL_GAS 30000000

void block_result_free(block_result *r) {
    free(r->receipts);
    free(r->logs);
    buf_free(&r->log_data);
    for (int t = 0; t < REQUEST_TYPES; t++) buf_free(&r->requests[t]);
    memset(r, 0, sizeof *r);
}

static void reset(block_result *r) {
    r->n_receipts = 0;
    r->n_logs = 0;
    buf_clear(&r->log_data);
    r->gas_used = r->blob_gas_used = 0;
    memset(r->bloom, 0, sizeof r->bloom);
    r->invalid_tx = -1;
    r->error = NULL;
    r->has_requests = false;
    r->requests_unknown = false;
    for (int t = 0; t < REQUEST_TYPES; t++) buf_clear(&r->requests[t]);
    memset(&r->requests_hash, 0, sizeof r->requests_hash);
}

block_env block_env_of(const block_header *h, const block_rules *rules) {
    block_env e = {
        .fork = rules->fork, .number = h->number, .timestamp = h->timestamp, .gas_limit = h->gas_limit,
        .coinbase = h->coinbase, .chain_id = rules->chain_id,
        .prevrandao = rules->fork >= FORK_PARIS ? u256_from_bytes32(&h->mix_hash) : h->difficulty,
        .base_fee = h->has_base_fee ? h->base_fee : U256_ZERO,
        .excess_blob_gas = h->has_blob_gas ? h->excess_blob_gas : 0,
        .max_code_size = rules->max_code_size,
        .no_tx_gas_cap = rules->no_tx_gas_cap,
        .no_eip3607 = rules->no_eip3607,
        .host = rules->host,
    };
    if (rules->fork >= FORK_CANCUN) block_env_set_blob_params(&e, &rules->blob);
    return e;
}

/* Runs a few balance edits in one overlay session and applies them. */
typedef struct {
    executor *ex;
    block_state *state;
    overlay *ov;
} state_edit;

static state_edit edit_begin(executor *ex, block_state *state, fork_id fork) {
    state_edit e = {ex, state, executor_overlay(ex)};
    overlay_begin(e.ov, block_state_view(state), block_state_codes(state), fork);
    return e;
}

static void edit_commit(state_edit *e) {
    change_set cs = {0};
    overlay_finish(e->ov, &cs);
    block_state_apply(e->state, &cs);
    change_set_free(&cs);
}

/* The DAO irregular state change, as a change set handed to apply. */
static void apply_dao(executor *ex, const block_rules *rules, state_view view, code_store *codes,
                      void (*apply)(void *arg, const change_set *cs), void *arg) {
    overlay *ov = executor_overlay(ex);
    overlay_begin(ov, view, codes, rules->fork);
    static const u256 zero = {{0}};
    for (size_t i = 0; i < rules->n_dao_accounts; i++) {
        u256 bal = overlay_balance(ov, &rules->dao_accounts[i]);
        overlay_add_balance(ov, &rules->dao_refund, &bal);
        overlay_set_balance(ov, &rules->dao_accounts[i], &zero);
    }
    change_set cs = {0};
    overlay_finish(ov, &cs);
    apply(arg, &cs);
    change_set_free(&cs);
}

static void apply_withdrawals(executor *ex, const block_rules *rules, const block *b, block_state *state) {
    if (!b->n_withdrawals) return;
    state_edit e = edit_begin(ex, state, rules->fork);
    for (size_t i = 0; i < b->n_withdrawals; i++) {
        u256 wei = u256_from_u64(b->withdrawals[i].amount_gwei);
        u256 gwei = u256_from_u64(1000000000);
        wei = u256_mul(&wei, &gwei);
        overlay_add_balance(e.ov, &b->withdrawals[i].addr, &wei);
    }
    edit_commit(&e);
}

u256 block_author_reward(const block_rules *rules, size_t n_ommers) {
    u256 k32 = u256_from_u64(32), n = u256_from_u64(n_ommers);
    u256 inclusion = u256_div(&rules->block_reward, &k32), extra = u256_mul(&inclusion, &n);
    return u256_add(&rules->block_reward, &extra);
}

static void apply_rewards(executor *ex, const block_rules *rules, const block *b, block_state *state) {
    if (u256_is_zero(&rules->block_reward)) return;
    state_edit e = edit_begin(ex, state, rules->fork);
    const u256 *r = &rules->block_reward;
    u256 miner = block_author_reward(rules, b->n_ommers);
    u256 k8 = u256_from_u64(8);
    for (size_t i = 0; i < b->n_ommers; i++) {
        const block_header *o = &b->ommers[i];
        /* (8 + ommer number - block number) / 8 of the block reward */
        u256 k = u256_from_u64(8 + o->number - b->header.number);
        u256 amount = u256_mul(&k, r);
        amount = u256_div(&amount, &k8);
        overlay_add_balance(e.ov, &o->coinbase, &amount);
    }
    overlay_add_balance(e.ov, &b->header.coinbase, &miner);
    edit_commit(&e);
}

evm_result block_system_call(executor *ex, const block_env *env, block_state *state, const address *target,
                             const uint8_t *data, size_t len) {
    evm_result r = exec_system_call(ex, env, block_state_view(state), block_state_codes(state), &SYSTEM_ADDRESS,
                                    target, data, len, SYSTEM_CALL_GAS);
    block_state_apply(state, executor_changes(ex));
    return r;
}

receipt_place block_grow_receipts(block_result *out, size_t n, size_t logs, size_t data) {
    receipt_place at = {out->n_receipts, out->n_logs, out->log_data.len};
    if (out->n_receipts + n > out->cap_receipts) {
        while (out->n_receipts + n > out->cap_receipts) out->cap_receipts = out->cap_receipts ? out->cap_receipts * 2 : 64;
        out->receipts = realloc(out->receipts, out->cap_receipts * sizeof *out->receipts);
        if (!out->receipts) abort();
    }
    if (out->n_logs + logs > out->cap_logs) {
        while (out->n_logs + logs > out->cap_logs) out->cap_logs = out->cap_logs ? out->cap_logs * 2 : 64;
        out->logs = realloc(out->logs, out->cap_logs * sizeof *out->logs);
        if (!out->logs) abort();
    }
    buf_reserve(&out->log_data, data);
    out->n_receipts += n;
    out->n_logs += logs;
    out->log_data.len += data;
    return at;
}

void block_place_receipt(block_result *out, receipt_place at, uint8_t type, const tx_result *res,
                         uint64_t cumulative_gas, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                         const uint8_t *bloom) {
    receipt *rc = &out->receipts[at.receipt];
    memset(rc, 0, sizeof *rc);
    rc->type = type;
    rc->success = res->status == EVM_SUCCESS;
    rc->gas_used = res->gas_used;
    rc->cumulative_gas = cumulative_gas;
    rc->first_log = at.log;
    rc->n_logs = n_logs;
    size_t off = at.data;
    for (size_t i = 0; i < n_logs; i++) {
        overlay_log l = logs[i];
        l.data_off = off;
        if (l.data_len) memcpy(out->log_data.data + off, log_data + logs[i].data_off, l.data_len);
        off += l.data_len;
        out->logs[at.log + i] = l;
    }
    if (bloom) memcpy(rc->bloom, bloom, 256);
}

void block_add_receipt(block_result *out, const block_rules *rules, block_state *state, const transaction *tx,
                       const tx_result *res, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                       const uint8_t *bloom) {
    out->gas_used += res->gas_used;
    size_t data = 0;
    for (size_t i = 0; i < n_logs; i++) data += logs[i].data_len;
    receipt_place at = block_grow_receipts(out, 1, n_logs, data);
    block_place_receipt(out, at, tx->type, res, out->gas_used, logs, n_logs, log_data, bloom);
    receipt *rc = &out->receipts[at.receipt];
    for (int i = 0; i < 256; i++) out->bloom[i] |= rc->bloom[i];
    if (rules->fork < FORK_BYZANTIUM && rules->state_root) {
        rc->has_root = true;
        rc->post_state = rules->state_root(rules->state_root_ctx, state);
    }
}

void block_pre_transactions(executor *ex, const block_rules *rules, const block *b, state_view view,
                            code_store *codes, void (*apply)(void *arg, const change_set *cs), void *arg) {
    block_env env = block_env_of(&b->header, rules);
    if (rules->dao_fork) apply_dao(ex, rules, view, codes, apply, arg);
    /* unchecked system calls: no code does nothing, a failure is ignored */
    if (rules->fork >= FORK_CANCUN && b->header.has_beacon_root) {
        exec_system_call(ex, &env, view, codes, &SYSTEM_ADDRESS, &BEACON_ROOTS_ADDRESS,
                         b->header.parent_beacon_root.b, 32, SYSTEM_CALL_GAS);
        apply(arg, executor_changes(ex));
    }
    if (rules->fork >= FORK_PRAGUE) { /* EIP-2935 */
        exec_system_call(ex, &env, view, codes, &SYSTEM_ADDRESS, &HISTORY_STORAGE_ADDRESS, b->header.parent_hash.b,
                         32, SYSTEM_CALL_GAS);
        apply(arg, executor_changes(ex));
    }
}

static void apply_to_block_state(void *state, const change_set *cs) { block_state_apply(state, cs); }

void block_begin(executor *ex, const block_rules *rules, const block *b, block_state *state, block_result *out) {
    reset(out);
    block_pre_transactions(ex, rules, b, block_state_view(state), block_state_codes(state), apply_to_block_state, state);
}

const char *block_finish(executor *ex, const block_rules *rules, const block *b, block_state *state,
                         block_result *out) {
    apply_withdrawals(ex, rules, b, state);
    apply_rewards(ex, rules, b, state);
    if (rules->fork < FORK_PRAGUE) return NULL;
    return out->error = block_collect_requests(ex, rules, b, state, out);
}

/* One transaction; with bloom_later, its receipt's bloom is left empty for
 * add_blooms. */
static const char *add_transaction(executor *ex, const block_rules *rules, block_env *env, block_state *state,
                                   transaction *tx, block_result *out, tx_result *res, bool bloom_later) {
    if (!tx->sender_known && !tx_recover_sender(tx, rules->fork >= FORK_HOMESTEAD)) {
        memset(res, 0, sizeof *res);
        return res->error = "invalid transaction signature";
    }
    env->blob_gas_used = out->blob_gas_used;
    exec_transaction(ex, env, block_state_view(state), block_state_codes(state), tx, out->gas_used, res);
    if (!res->valid) return res->error;
    out->blob_gas_used += res->blob_gas_used;
    block_state_apply(state, executor_changes(ex));
    if (rules->tx_final) rules->tx_final(rules->tx_final_ctx, executor_changes(ex));
    size_t n_logs;
    const overlay_log *logs = overlay_logs(executor_overlay(ex), &n_logs);
    uint8_t bloom[256] = {0};
    if (!bloom_later) logs_bloom(bloom, logs, n_logs, executor_bloom_cache(ex));
    block_add_receipt(out, rules, state, tx, res, logs, n_logs, overlay_log_data(executor_overlay(ex)), bloom);
    return NULL;
}

const char *block_add_transaction(executor *ex, const block_rules *rules, block_env *env, block_state *state,
                                  transaction *tx, block_result *out, tx_result *res) {
    return add_transaction(ex, rules, env, state, tx, out, res, false);
}

/* The blooms of receipts [first, n_receipts), from their kept logs, and
 * the block's: the items the cache misses are hashed eight at a time
 * across transactions (a transfer has two that miss). */
static void add_blooms(executor *ex, block_result *out, size_t first) {
    bloom_batch b;
    bloom_batch_init(&b, executor_bloom_cache(ex));
    for (size_t i = first; i < out->n_receipts; i++) {
        receipt *rc = &out->receipts[i];
        if (rc->n_logs) bloom_batch_add(&b, rc->bloom, out->logs + rc->first_log, rc->n_logs);
    }
    bloom_batch_finish(&b);
    for (size_t i = first; i < out->n_receipts; i++)
        for (int k = 0; k < 256; k++) out->bloom[k] |= out->receipts[i].bloom[k];
}

const char *block_execute_transactions(executor *ex, const block_rules *rules, const block *b, block_state *state,
                                       block_result *out) {
    block_env env = block_env_of(&b->header, rules);
    size_t first = out->n_receipts;
    const char *why = NULL;
    for (size_t i = 0; i < b->n_txs && !why; i++) {
        tx_result res;
        why = add_transaction(ex, rules, &env, state, &b->txs[i], out, &res, true);
        if (why) out->invalid_tx = (long)i;
    }
    add_blooms(ex, out, first);
    return why ? (out->error = why) : NULL;
}

const char *block_execute(executor *ex, const block_rules *rules, const block *b, block_state *state,
                          block_result *out) {
    block_begin(ex, rules, b, state, out);
    const char *why = block_execute_transactions(ex, rules, b, state, out);
    if (why) return why;
    return block_finish(ex, rules, b, state, out);
}

const char *block_execute_mem(executor *ex, const block_rules *rules, const block *b, mem_state *state,
                              block_result *out) {
    block_state *bs = block_state_new(mem_state_view(state), mem_state_codes(state));
    const char *why = block_execute(ex, rules, b, bs, out);
    mem_state_apply_block(state, bs);
    block_state_free(bs);
    return why;
}

const char *block_check_results(const block_header *h, const block_result *r, const bytes32 *receipts_root) {
    if (r->gas_used != h->gas_used) return "gas used does not match the header";
    if (memcmp(r->bloom, h->bloom, 256)) return "logs bloom does not match the header";
    if (h->has_blob_gas && r->blob_gas_used != h->blob_gas_used) return "blob gas used does not match the header";
    if (h->has_requests_hash && !r->requests_unknown &&
        (!r->has_requests || !bytes32_eq(&r->requests_hash, &h->requests_hash)))
        return "requests hash does not match the header";
    if (receipts_root && !bytes32_eq(receipts_root, &h->receipts_root))
        return "receipts root does not match the header";
    return NULL;
}
