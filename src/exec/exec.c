/* Transaction execution (execution-specs process_transaction): checks that
 * need state, buys gas, warms the access list, runs the top-level message,
 * refunds and pays the coinbase, then turns the overlay into a change set. */
#include <stdlib.h>
#include "parevm/exec.h"
#include "parevm/state_host.h"

struct executor {
    evm_vm *vm;
    overlay *ov;
    change_set changes;
    bloom_cache *bloom;
};

executor *executor_new(void) {
    executor *ex = calloc(1, sizeof *ex);
    if (!ex) abort();
    ex->vm = evm_vm_new();
    ex->ov = overlay_new();
    ex->bloom = bloom_cache_new();
    return ex;
}

void executor_free(executor *ex) {
    if (!ex) return;
    evm_vm_free(ex->vm);
    overlay_free(ex->ov);
    change_set_free(&ex->changes);
    bloom_cache_free(ex->bloom);
    free(ex);
}

void executor_set_tracer(executor *ex, evm_tracer *tracer) { evm_vm_set_tracer(ex->vm, tracer); }
const change_set *executor_changes(const executor *ex) { return &ex->changes; }
overlay *executor_overlay(executor *ex) { return ex->ov; }
bloom_cache *executor_bloom_cache(executor *ex) { return ex->bloom; }

/* fake_exponential(1, excess, 3338477) from EIP-4844 */
u256 blob_base_fee(uint64_t excess_blob_gas) {
    const u256 denom = u256_from_u64(3338477);
    u256 num = u256_from_u64(excess_blob_gas);
    u256 acc = denom; /* factor (1) * denominator */
    u256 out = U256_ZERO;
    for (uint64_t i = 1; !u256_is_zero(&acc); i++) {
        out = u256_add(&out, &acc);
        u256 t = u256_mul(&acc, &num);
        u256 d = u256_mul(&denom, &(u256){{i, 0, 0, 0}});
        acc = u256_div(&t, &d);
    }
    return u256_div(&out, &denom);
}

static u256 mul_u64(const u256 *a, uint64_t b) {
    u256 bb = u256_from_u64(b);
    return u256_mul(a, &bb);
}

/* gas * price fits in 256 bits only if it does not overflow: reject overflow. */
static bool mul_overflows(const u256 *a, uint64_t b) {
    uint64_t r[8];
    u256 bb = u256_from_u64(b);
    u256_mul_full(r, a, &bb);
    return r[4] | r[5] | r[6] | r[7];
}

static const char *invalid(tx_result *out, const char *why) {
    out->valid = false;
    out->error = why;
    return why;
}

/* State-independent and state-dependent validity. Returns NULL if valid and
 * sets the effective gas price and the up-front cost. */
static const char *check(executor *ex, const block_env *env, const transaction *tx,
                         uint64_t block_gas_used, u256 *price, tx_result *out) {
    fork_id fork = env->fork;
    const char *why = tx_check_static(tx, fork, env->chain_id);
    /* geth and evmone compare the fee cap with the base fee before the gas
     * a transaction needs up front: one breaking both is rejected for its
     * fee, as the test fixtures (filled with geth) name it */
    const u256 *fee_cap = tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price;
    if (why && fork >= FORK_LONDON && u256_lt(fee_cap, &env->base_fee) &&
        (!strcmp(why, "intrinsic gas too low") || !strcmp(why, "gas limit below the calldata floor (EIP-7623)")))
        why = tx->type >= TX_DYNAMIC_FEE ? "max fee below base fee" : "gas price below base fee";
    if (why) return invalid(out, why);
    if (tx->gas_limit > env->gas_limit - (block_gas_used < env->gas_limit ? block_gas_used : env->gas_limit))
        return invalid(out, "gas limit exceeds block gas limit");
    u256 max_price;
    if (tx->type >= TX_DYNAMIC_FEE) {
        if (u256_lt(&tx->max_fee, &tx->max_priority_fee)) return invalid(out, "max priority fee exceeds max fee");
        if (u256_lt(&tx->max_fee, &env->base_fee)) return invalid(out, "max fee below base fee");
        u256 room = u256_sub(&tx->max_fee, &env->base_fee);
        u256 tip = u256_lt(&tx->max_priority_fee, &room) ? tx->max_priority_fee : room;
        *price = u256_add(&tip, &env->base_fee);
        max_price = tx->max_fee;
    } else {
        if (fork >= FORK_LONDON && u256_lt(&tx->gas_price, &env->base_fee))
            return invalid(out, "gas price below base fee");
        *price = tx->gas_price;
        max_price = tx->gas_price;
    }
    if (mul_overflows(&max_price, tx->gas_limit)) return invalid(out, "insufficient funds");
    u256 cost = mul_u64(&max_price, tx->gas_limit);
    if (tx->type == TX_BLOB) {
        u256 blob_price = blob_base_fee(env->excess_blob_gas);
        if (u256_lt(&tx->max_fee_per_blob_gas, &blob_price)) return invalid(out, "max fee per blob gas too low");
        uint64_t blob_gas = GAS_PER_BLOB * tx->n_blob_hashes;
        if (mul_overflows(&tx->max_fee_per_blob_gas, blob_gas)) return invalid(out, "insufficient funds");
        u256 blob_cost = mul_u64(&tx->max_fee_per_blob_gas, blob_gas);
        if (u256_add_carry(&cost, &cost, &blob_cost)) return invalid(out, "insufficient funds");
    }
    if (u256_add_carry(&cost, &cost, &tx->value)) return invalid(out, "insufficient funds");

    overlay *ov = ex->ov;
    uint64_t nonce = overlay_nonce(ov, &tx->sender);
    if (nonce < tx->nonce) return invalid(out, "nonce too high");
    if (nonce > tx->nonce) return invalid(out, "nonce too low");
    u256 bal = overlay_balance(ov, &tx->sender);
    if (u256_lt(&bal, &cost)) return invalid(out, "insufficient funds");
    if (overlay_code(ov, &tx->sender)->len) return invalid(out, "sender not an EOA"); /* EIP-3607 */
    return NULL;
}

static void warm_access_list(overlay *ov, const block_env *env, const transaction *tx, const address *target) {
    fork_id fork = env->fork;
    if (fork < FORK_BERLIN) return;
    overlay_warm_account(ov, &tx->sender);
    overlay_warm_account(ov, target); /* precompiles are always warm: overlay.c */
    for (size_t i = 0; i < tx->access_list_len; i++) {
        const access_entry *e = &tx->access_list[i];
        overlay_warm_account(ov, &e->addr);
        for (size_t k = 0; k < e->n_keys; k++) {
            u256 key = u256_from_bytes32(&e->keys[k]);
            overlay_warm_slot(ov, &e->addr, &key);
        }
    }
    if (fork >= FORK_SHANGHAI) overlay_warm_account(ov, &env->coinbase); /* EIP-3651 */
}

void exec_transaction(executor *ex, const block_env *env, state_view view, code_store *codes,
                      const transaction *tx, uint64_t block_gas_used, tx_result *out) {
    memset(out, 0, sizeof *out);
    fork_id fork = env->fork;
    overlay *ov = ex->ov;
    overlay_begin(ov, view, codes, fork);
    u256 price;
    if (check(ex, env, tx, block_gas_used, &price, out)) {
        change_set_clear(&ex->changes);
        overlay_begin(ov, view, codes, fork); /* drop what the checks loaded */
        return;
    }
    out->valid = true;

    /* buy gas (and blob gas, which is burned) */
    uint64_t intrinsic = tx_intrinsic_gas(tx, fork);
    u256 bal = overlay_balance(ov, &tx->sender);
    u256 fee = mul_u64(&price, tx->gas_limit);
    bal = u256_sub(&bal, &fee);
    if (tx->type == TX_BLOB) {
        out->blob_gas_used = GAS_PER_BLOB * tx->n_blob_hashes;
        u256 blob_price = blob_base_fee(env->excess_blob_gas);
        u256 blob_fee = mul_u64(&blob_price, out->blob_gas_used);
        bal = u256_sub(&bal, &blob_fee);
    }
    overlay_set_balance(ov, &tx->sender, &bal);
    uint64_t nonce = tx->nonce;
    overlay_set_nonce(ov, &tx->sender, nonce + 1);

    evm_tx_context ctx = {
        .fork = fork, .origin = tx->sender, .gas_price = price, .coinbase = env->coinbase,
        .number = env->number, .timestamp = env->timestamp, .gas_limit = env->gas_limit,
        .prevrandao = env->prevrandao, .chain_id = u256_from_u64(env->chain_id),
        .base_fee = env->base_fee, .blob_hashes = tx->blob_hashes, .n_blob_hashes = tx->n_blob_hashes,
    };
    if (fork >= FORK_CANCUN) ctx.blob_base_fee = blob_base_fee(env->excess_blob_gas);
    state_host host = {ov, ex->vm, &ctx};

    address target = tx->has_to ? tx->to : create_address(&tx->sender, nonce);
    warm_access_list(ov, env, tx, &target);
    /* The EVM counts gas in int64_t. A block's gas limit (< 2^63) bounds a
     * transaction's, but a state test's need not: above 2^63 - 1 the message
     * gets 2^63 - 1 (more than anything can use) and the rest is kept
     * aside, so the gas used stays exact over the whole uint64 range. */
    uint64_t exec_gas = tx->gas_limit - intrinsic; /* >= 0: tx_check_static */
    uint64_t msg_gas = exec_gas > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : exec_gas;
    evm_message msg = {
        .kind = tx->has_to ? EVM_CALL : EVM_CREATE,
        .depth = 0,
        .gas = (int64_t)msg_gas,
        .recipient = target,
        .sender = tx->sender,
        .code_address = target,
        .value = tx->value,
        .input = tx->data,
        .input_size = tx->data_len,
    };
    evm_result r = tx->has_to ? state_host_call(&host, &msg) : state_host_create_at(&host, &msg, &target);
    if (evm_vm_memory_exhausted(ex->vm)) {
        /* memory the transaction paid for that the engine cannot hold */
        change_set_clear(&ex->changes);
        overlay_begin(ov, view, codes, fork);
        memset(out, 0, sizeof *out);
        invalid(out, "EVM memory beyond the engine's limit");
        return;
    }
    out->status = r.status;
    out->output = r.output;
    out->output_size = r.output_size;
    if (r.status == EVM_SUCCESS && !tx->has_to) out->created = r.create_address;

    /* refund (EIP-3529 caps it at a fifth from London, a half before) */
    uint64_t gas_used = tx->gas_limit - ((exec_gas - msg_gas) + (uint64_t)r.gas_left);
    uint64_t refund = r.gas_refund > 0 ? (uint64_t)r.gas_refund : 0;
    uint64_t cap = gas_used / (fork >= FORK_LONDON ? 5 : 2);
    if (refund > cap) refund = cap;
    gas_used -= refund;
    out->gas_used = gas_used;

    u256 back = mul_u64(&price, tx->gas_limit - gas_used);
    overlay_add_balance(ov, &tx->sender, &back);
    u256 tip_per_gas = fork >= FORK_LONDON ? u256_sub(&price, &env->base_fee) : price;
    u256 reward = mul_u64(&tip_per_gas, gas_used);
    overlay_add_balance(ov, &env->coinbase, &reward);

    overlay_finish(ov, &ex->changes);
}

evm_result exec_system_call(executor *ex, const block_env *env, state_view view, code_store *codes,
                            const address *caller, const address *target, const uint8_t *data,
                            size_t len, int64_t gas) {
    overlay *ov = ex->ov;
    overlay_begin(ov, view, codes, env->fork);
    evm_tx_context ctx = {
        .fork = env->fork, .origin = *caller, .gas_price = env->base_fee, .coinbase = env->coinbase,
        .number = env->number, .timestamp = env->timestamp, .gas_limit = env->gas_limit,
        .prevrandao = env->prevrandao, .chain_id = u256_from_u64(env->chain_id), .base_fee = env->base_fee,
    };
    if (env->fork >= FORK_CANCUN) ctx.blob_base_fee = blob_base_fee(env->excess_blob_gas);
    state_host host = {ov, ex->vm, &ctx};
    evm_message msg = {.kind = EVM_CALL, .gas = gas, .recipient = *target, .sender = *caller,
                       .code_address = *target, .input = data, .input_size = len};
    evm_result r = state_host_call(&host, &msg);
    overlay_finish(ov, &ex->changes);
    return r;
}
