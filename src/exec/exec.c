/* Transaction execution (execution-specs process_transaction): checks that
 * need state, buys gas, warms the access list, applies EIP-7702
 * authorizations, runs the top-level message (following a delegation),
 * refunds, charges the EIP-7623 calldata floor and pays the coinbase, then
 * turns the overlay into a change set. */
#include <gmp.h>
#include <stdlib.h>
#include "parevm/exec.h"
#include "parevm/state_host.h"

struct executor {
    evm_vm *vm;
    overlay *ov;
    change_set changes;
    bloom_cache *bloom;
    uint64_t auth_refund; /* of the transaction being executed, for tracers */
    int64_t top_gas, top_gas_left; /* its top-level message's gas and what was left, for tracers */
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
uint64_t executor_auth_refund(const executor *ex) { return ex->auth_refund; }
void executor_top_frame(const executor *ex, int64_t *gas, int64_t *gas_left) {
    *gas = ex->top_gas;
    *gas_left = ex->top_gas_left;
}

/* fake_exponential(1, excess, fraction) of EIP-4844: the Taylor series of
 * e^(excess / fraction), every term floored, over big integers (the terms
 * outgrow 256 bits long before the result does). Past e^178 > 2^256 the
 * result saturates; below it the series ends after a few hundred terms. */
u256 tx_effective_gas_price(const transaction *tx, bool has_base_fee, const u256 *base_fee) {
    if (tx->type < TX_DYNAMIC_FEE) return tx->gas_price;
    if (!has_base_fee) return tx->max_fee;
    u256 p;
    if (u256_add_carry(&p, base_fee, &tx->max_priority_fee) || u256_gt(&p, &tx->max_fee)) return tx->max_fee;
    return p;
}

u256 blob_base_fee(uint64_t excess_blob_gas, uint64_t update_fraction) {
    const u256 max = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    if (!update_fraction || excess_blob_gas / update_fraction >= 178) return max;
    mpz_t out, acc, num, den;
    mpz_inits(out, acc, num, den, NULL);
    mpz_set_ui(num, excess_blob_gas);
    mpz_set_ui(den, update_fraction);
    mpz_set(acc, den); /* factor (1) * denominator */
    for (unsigned long i = 1; mpz_sgn(acc) > 0; i++) {
        mpz_add(out, out, acc);
        mpz_mul(acc, acc, num);
        mpz_fdiv_q(acc, acc, den);
        mpz_fdiv_q_ui(acc, acc, i);
    }
    mpz_fdiv_q(out, out, den);
    u256 r = max;
    if (mpz_sizeinbase(out, 2) <= 256) {
        uint8_t be[32] = {0};
        size_t n = 0;
        mpz_export(be, &n, 1, 1, 1, 0, out);
        memmove(be + 32 - n, be, n);
        memset(be, 0, 32 - n);
        bytes32 b;
        memcpy(b.b, be, 32);
        r = u256_from_bytes32(&b);
    }
    mpz_clears(out, acc, num, den, NULL);
    return r;
}

void block_env_set_blob_params(block_env *env, const blob_params *p) {
    env->blob_base_fee = blob_base_fee(env->excess_blob_gas, p->update_fraction);
    env->max_blob_gas = blob_params_max_gas(p);
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

/* A call that offers no fee (geth's NoBaseFee applies to it). */
static bool zero_fees(const transaction *tx) {
    if (tx->type < TX_DYNAMIC_FEE) return u256_is_zero(&tx->gas_price);
    return u256_is_zero(&tx->max_fee) && u256_is_zero(&tx->max_priority_fee);
}

/* State-independent and state-dependent validity. Returns NULL if valid and
 * sets the effective gas price and the up-front cost. call: exec_call's
 * rules (no signature, block gas limit, nonce or EIP-3607 checks). */
static inline __attribute__((always_inline)) const char *check(executor *ex, const block_env *env,
                                                               const transaction *tx, uint64_t block_gas_used,
                                                               u256 *price, tx_result *out, bool call,
                                                               const exec_call_options *opt) {
    fork_id fork = env->fork;
    const char *why = call ? tx_check_call_limit(tx, fork, env->chain_id, env->max_code_size)
                           : tx_check_static_limit(tx, fork, env->chain_id, env->max_code_size, env->no_tx_gas_cap,
                                                   env->max_blob_gas);
    /* geth and evmone compare the fee cap with the base fee before the gas
     * a transaction needs up front: one breaking both is rejected for its
     * fee, as the test fixtures (filled with geth) name it */
    const u256 *fee_cap = tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price;
    if (why && fork >= FORK_LONDON && u256_lt(fee_cap, &env->base_fee) &&
        (!strcmp(why, "intrinsic gas too low") || !strcmp(why, "gas limit below the calldata floor (EIP-7623)")))
        why = tx->type >= TX_DYNAMIC_FEE ? "max fee below base fee" : "gas price below base fee";
    if (why) return invalid(out, why);
    if (!call && tx->gas_limit > env->gas_limit - (block_gas_used < env->gas_limit ? block_gas_used : env->gas_limit))
        return invalid(out, "gas limit exceeds block gas limit");
    /* the block's blob gas next, as the block gas (execution-specs'
     * check_transaction): before fees, nonce and balance */
    uint64_t blob_room = env->max_blob_gas - (env->blob_gas_used < env->max_blob_gas ? env->blob_gas_used : env->max_blob_gas);
    if (tx->type == TX_BLOB && GAS_PER_BLOB * (uint64_t)tx->n_blob_hashes > blob_room)
        return invalid(out, "blob gas exceeds the block limit");
    u256 max_price;
    bool free_fees = opt && opt->no_base_fee && zero_fees(tx);
    if (free_fees) {
        *price = max_price = U256_ZERO;
    } else if (tx->type >= TX_DYNAMIC_FEE) {
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
        uint64_t blob_gas = GAS_PER_BLOB * tx->n_blob_hashes;
        bool free_blobs = opt && opt->no_base_fee && u256_is_zero(&tx->max_fee_per_blob_gas);
        if (!free_blobs && u256_lt(&tx->max_fee_per_blob_gas, &env->blob_base_fee))
            return invalid(out, "max fee per blob gas too low");
        if (mul_overflows(&tx->max_fee_per_blob_gas, blob_gas)) return invalid(out, "insufficient funds");
        u256 blob_cost = mul_u64(&tx->max_fee_per_blob_gas, blob_gas);
        if (u256_add_carry(&cost, &cost, &blob_cost)) return invalid(out, "insufficient funds");
    }
    if (u256_add_carry(&cost, &cost, &tx->value)) return invalid(out, "insufficient funds");

    overlay *ov = ex->ov;
    uint64_t nonce = overlay_nonce(ov, &tx->sender);
    bool nonce_rule = !call || (opt && opt->check_nonce);
    if (nonce_rule && nonce < tx->nonce) return invalid(out, "nonce too high");
    if (nonce_rule && nonce > tx->nonce) return invalid(out, "nonce too low");
    u256 bal = overlay_balance(ov, &tx->sender);
    if (u256_lt(&bal, &cost)) return invalid(out, "insufficient funds");
    if (call) return NULL;
    /* EIP-3607, with EIP-7702's exception for delegated accounts */
    const evm_code *code = overlay_code(ov, &tx->sender);
    if (code->len && !env->no_eip3607 && !(fork >= FORK_PRAGUE && evm_delegation_target(code->bytes, code->len, NULL)))
        return invalid(out, "sender not an EOA");
    return NULL;
}

static inline __attribute__((always_inline)) void warm_access_list(overlay *ov, const block_env *env, const transaction *tx, const address *target) {
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

enum {
    GAS_AUTH_EXISTING_REFUND = 25000 - 12500, /* PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST */
};

/* anvil_impersonateSignature: the address registered for a tuple whose
 * signature is invalid, as anvil's executor takes it (r || s || 27 + y). */
static bool authority_override(const state_host_options *host, const authorization *a, address *out) {
    if (!host || !host->recover_override || a->y_parity > 1) return false;
    uint8_t sig[65];
    u256_to_be(&a->r, sig);
    u256_to_be(&a->s, sig + 32);
    sig[64] = (uint8_t)(27 + a->y_parity);
    return host->recover_override(host->recover_arg, sig, out);
}

/* The authority of a tuple that passes the signature rules, or false. */
static bool authority_of(const state_host_options *host, const authorization *a, address *out) {
    bool valid;
    if (a->status == AUTH_UNKNOWN) { /* not recovered up front: do it here */
        authorization copy = *a;
        valid = tx_auth_recover(&copy);
        *out = copy.authority;
    } else {
        *out = a->authority;
        valid = a->status == AUTH_VALID;
    }
    return valid || authority_override(host, a, out);
}

/* EIP-7702 set_delegation: each valid tuple sets its authority's code to a
 * delegation designator (or clears it for the zero address) and bumps its
 * nonce; a tuple that breaks a rule is skipped. Runs before the top-level
 * message's snapshot, so a reverted call keeps the delegations. Returns the
 * refund for authorities that already existed. */
static inline __attribute__((always_inline)) uint64_t apply_authorizations(overlay *ov, const block_env *env,
                                                                          const state_host_options *host,
                                                                          const transaction *tx) {
    uint64_t refund = 0;
    for (size_t i = 0; i < tx->n_auths; i++) {
        const authorization *a = &tx->auths[i];
        if (!u256_is_zero(&a->chain_id) && !(u256_fits_u64(&a->chain_id) && a->chain_id.w[0] == env->chain_id))
            continue;
        if (a->nonce == UINT64_MAX) continue;
        address authority;
        if (!authority_of(host, a, &authority)) continue;
        overlay_warm_account(ov, &authority);
        const evm_code *code = overlay_code(ov, &authority);
        if (code->len && !evm_delegation_target(code->bytes, code->len, NULL)) continue;
        if (overlay_nonce(ov, &authority) != a->nonce) continue;
        if (overlay_exists(ov, &authority)) refund += GAS_AUTH_EXISTING_REFUND;
        static const address zero;
        if (address_eq(&a->addr, &zero)) {
            overlay_set_code(ov, &authority, NULL, 0);
        } else {
            uint8_t designator[EVM_DELEGATION_SIZE] = {0xef, 0x01, 0x00};
            memcpy(designator + 3, a->addr.b, 20);
            overlay_set_code(ov, &authority, designator, sizeof designator);
        }
        overlay_set_nonce(ov, &authority, a->nonce + 1);
    }
    return refund;
}

/* Points the top-level message at the delegate of a delegated recipient
 * (which the transaction warms for free). */
static void follow_delegation(overlay *ov, fork_id fork, evm_message *msg) {
    if (fork < FORK_PRAGUE) return;
    const evm_code *code = overlay_code(ov, &msg->recipient);
    if (!evm_delegation_target(code->bytes, code->len, &msg->code_address)) return;
    msg->code_delegated = true;
    overlay_warm_account(ov, &msg->code_address);
}

static inline __attribute__((always_inline)) void run_transaction(executor *ex, const block_env *env,
                                                                  state_view view, code_store *codes,
                                                                  const transaction *tx, uint64_t block_gas_used,
                                                                  tx_result *out, bool call,
                                                                  const exec_call_options *opt) {
    memset(out, 0, sizeof *out);
    fork_id fork = env->fork;
    overlay *ov = ex->ov;
    overlay_begin(ov, view, codes, fork);
    u256 price;
    if (check(ex, env, tx, block_gas_used, &price, out, call, opt)) {
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
        u256 blob_fee = mul_u64(&env->blob_base_fee, out->blob_gas_used);
        bal = u256_sub(&bal, &blob_fee);
    }
    overlay_set_balance(ov, &tx->sender, &bal);
    uint64_t nonce = call ? overlay_nonce(ov, &tx->sender) : tx->nonce;
    overlay_set_nonce(ov, &tx->sender, nonce + 1);

    evm_tx_context ctx = {
        .fork = fork, .origin = tx->sender, .gas_price = price, .coinbase = env->coinbase,
        .number = env->number, .timestamp = env->timestamp, .gas_limit = env->gas_limit,
        .prevrandao = env->prevrandao, .chain_id = u256_from_u64(env->chain_id),
        .base_fee = env->base_fee, .blob_hashes = tx->blob_hashes, .n_blob_hashes = tx->n_blob_hashes,
        .max_code_size = env->max_code_size,
    };
    if (fork >= FORK_CANCUN) ctx.blob_base_fee = env->blob_base_fee;
    const state_host_options *host_opt = opt ? &opt->host : env->host;
    state_host host = {ov, ex->vm, &ctx, host_opt};

    address target = tx->has_to ? tx->to : create_address(&tx->sender, nonce);
    warm_access_list(ov, env, tx, &target);
    /* The EVM counts gas in int64_t. A block's gas limit (< 2^63) bounds a
     * transaction's, but a state test's need not: above 2^63 - 1 the message
     * gets 2^63 - 1 (more than anything can use) and the rest is kept
     * aside, so the gas used stays exact over the whole uint64 range. */
    uint64_t exec_gas = tx->gas_limit - intrinsic; /* >= 0: tx_check_static */
    uint64_t msg_gas = exec_gas > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : exec_gas;
    uint64_t auth_refund = apply_authorizations(ov, env, host_opt, tx);
    ex->auth_refund = auth_refund;
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
    if (tx->has_to) follow_delegation(ov, fork, &msg);
    evm_result r = tx->has_to ? state_host_call(&host, &msg) : state_host_create_at(&host, &msg, &target);
    ex->top_gas = msg.gas;
    ex->top_gas_left = r.gas_left;
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

    /* refund (EIP-3529 caps it at a fifth from London, a half before); the
     * authorization refund counts even when the call failed */
    uint64_t gas_used = tx->gas_limit - ((exec_gas - msg_gas) + (uint64_t)r.gas_left);
    uint64_t refund = auth_refund + (r.gas_refund > 0 ? (uint64_t)r.gas_refund : 0);
    uint64_t cap = gas_used / (fork >= FORK_LONDON ? 5 : 2);
    if (refund > cap) refund = cap;
    uint64_t peak = gas_used;
    gas_used -= refund;
    /* EIP-7623: no less than the calldata floor (the gas limit covers it) */
    uint64_t floor = tx_floor_gas(tx, fork);
    if (gas_used < floor) gas_used = floor;
    out->gas_used = gas_used;
    out->max_gas_used = peak > floor ? peak : floor;

    u256 back = mul_u64(&price, tx->gas_limit - gas_used);
    overlay_add_balance(ov, &tx->sender, &back);
    /* geth's NoBaseFee: a call without fees pays the coinbase nothing */
    if (!(opt && opt->no_base_fee && zero_fees(tx))) {
        u256 tip_per_gas = fork >= FORK_LONDON ? u256_sub(&price, &env->base_fee) : price;
        u256 reward = mul_u64(&tip_per_gas, gas_used);
        overlay_add_balance(ov, &env->coinbase, &reward);
    }

    overlay_finish(ov, &ex->changes);
}

void exec_transaction(executor *ex, const block_env *env, state_view view, code_store *codes,
                      const transaction *tx, uint64_t block_gas_used, tx_result *out) {
    run_transaction(ex, env, view, codes, tx, block_gas_used, out, false, NULL);
}

void exec_call(executor *ex, const block_env *env, state_view view, code_store *codes, const transaction *tx,
               tx_result *out) {
    run_transaction(ex, env, view, codes, tx, 0, out, true, NULL);
}

void exec_call_with(executor *ex, const block_env *env, state_view view, code_store *codes, const transaction *tx,
                    const exec_call_options *opt, tx_result *out) {
    run_transaction(ex, env, view, codes, tx, 0, out, true, opt);
}

bool exec_message(executor *ex, const block_env *env, state_view view, code_store *codes,
                  const exec_message_args *m, evm_result *out) {
    overlay *ov = ex->ov;
    fork_id fork = env->fork;
    overlay_begin(ov, view, codes, fork);
    ex->auth_refund = 0;
    evm_tx_context ctx = {
        .fork = fork, .origin = m->sender, .gas_price = m->gas_price, .coinbase = env->coinbase,
        .number = env->number, .timestamp = env->timestamp, .gas_limit = env->gas_limit,
        .prevrandao = env->prevrandao, .chain_id = u256_from_u64(env->chain_id), .base_fee = env->base_fee,
        .max_code_size = env->max_code_size,
    };
    if (fork >= FORK_CANCUN) ctx.blob_base_fee = env->blob_base_fee;
    state_host host = {ov, ex->vm, &ctx, env->host};
    evm_result r = {.status = EVM_SUCCESS, .gas_left = m->gas};
    uint64_t nonce = overlay_nonce(ov, &m->sender);
    u256 balance = overlay_balance(ov, &m->sender);
    if (u256_gt(&m->value, &balance)) r.status = EVM_INSUFFICIENT_BALANCE;
    else if (!m->has_to && nonce == UINT64_MAX) r.status = EVM_NONCE_OVERFLOW;
    if (r.status != EVM_SUCCESS) {
        overlay_finish(ov, &ex->changes);
        *out = r;
        return true;
    }
    address target = m->has_to ? m->to : create_address(&m->sender, nonce);
    if (!m->has_to) overlay_set_nonce(ov, &m->sender, nonce + 1);
    if (fork >= FORK_BERLIN) {
        overlay_warm_account(ov, &m->sender);
        overlay_warm_account(ov, &target); /* precompiles are always warm: overlay.c */
        if (fork >= FORK_SHANGHAI) overlay_warm_account(ov, &env->coinbase);
    }
    evm_message msg = {
        .kind = m->has_to ? EVM_CALL : EVM_CREATE, .gas = m->gas, .recipient = target, .sender = m->sender,
        .code_address = target, .value = m->value, .input = m->input, .input_size = m->input_len,
    };
    if (m->has_to) follow_delegation(ov, fork, &msg);
    *out = m->has_to ? state_host_call(&host, &msg) : state_host_create_at(&host, &msg, &target);
    if (evm_vm_memory_exhausted(ex->vm)) {
        change_set_clear(&ex->changes);
        overlay_begin(ov, view, codes, fork);
        return false;
    }
    overlay_finish(ov, &ex->changes);
    return true;
}

evm_result exec_system_call(executor *ex, const block_env *env, state_view view, code_store *codes,
                            const address *caller, const address *target, const uint8_t *data,
                            size_t len, int64_t gas) {
    overlay *ov = ex->ov;
    overlay_begin(ov, view, codes, env->fork);
    overlay_cold_precompiles(ov); /* no access list at all, the precompiles' included */
    evm_tx_context ctx = {
        .fork = env->fork, .origin = *caller, .gas_price = env->base_fee, .coinbase = env->coinbase,
        .number = env->number, .timestamp = env->timestamp, .gas_limit = env->gas_limit,
        .prevrandao = env->prevrandao, .chain_id = u256_from_u64(env->chain_id), .base_fee = env->base_fee,
        .max_code_size = env->max_code_size,
    };
    if (env->fork >= FORK_CANCUN) ctx.blob_base_fee = env->blob_base_fee;
    state_host host = {ov, ex->vm, &ctx, env->host};
    evm_message msg = {.kind = EVM_CALL, .gas = gas, .recipient = *target, .sender = *caller,
                       .code_address = *target, .input = data, .input_size = len};
    /* execution-specs' process_message_call follows a delegated system
     * contract as it does a transaction's target (EIP-7702) */
    follow_delegation(ov, env->fork, &msg);
    evm_result r = state_host_call(&host, &msg);
    overlay_finish(ov, &ex->changes);
    return r;
}
