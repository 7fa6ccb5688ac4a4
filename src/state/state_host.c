/* The evm_host over an overlay: answers the interpreter's state queries and
 * runs nested messages (CALL family and CREATE family) with their value
 * transfers, precompiles and rollback. */
#include <string.h>
#include "parevm/keccak.h"
#include "parevm/state_host.h"

address create_address(const address *sender, uint64_t nonce) {
    /* rlp([sender, nonce]): at most 1 + 21 + 9 bytes */
    uint8_t enc[32];
    size_t n = 2;
    enc[1] = 0x94;
    memcpy(enc + n, sender->b, 20);
    n += 20;
    if (nonce == 0) {
        enc[n++] = 0x80;
    } else if (nonce < 0x80) {
        enc[n++] = (uint8_t)nonce;
    } else {
        int bytes = 0;
        for (uint64_t v = nonce; v; v >>= 8) bytes++;
        enc[n++] = (uint8_t)(0x80 + bytes);
        for (int i = bytes - 1; i >= 0; i--) enc[n++] = (uint8_t)(nonce >> (8 * i));
    }
    enc[0] = (uint8_t)(0xc0 + n - 1);
    uint8_t h[32];
    keccak256(enc, n, h);
    address a;
    memcpy(a.b, h + 12, 20);
    return a;
}

address create2_address(const address *sender, const bytes32 *salt, const uint8_t *initcode, size_t len) {
    uint8_t buf[85];
    buf[0] = 0xff;
    memcpy(buf + 1, sender->b, 20);
    memcpy(buf + 21, salt->b, 32);
    keccak256(initcode, len, buf + 53);
    uint8_t h[32];
    keccak256(buf, sizeof buf, h);
    address a;
    memcpy(a.b, h + 12, 20);
    return a;
}

/* ---- evm_host_ops over the overlay ---- */

static bool h_access_account(void *ctx, const address *addr) {
    return overlay_warm_account(((state_host *)ctx)->ov, addr);
}
static bool h_access_storage(void *ctx, const address *addr, const u256 *key) {
    return overlay_warm_slot(((state_host *)ctx)->ov, addr, key);
}
static bool h_account_exists(void *ctx, const address *addr) {
    return overlay_exists(((state_host *)ctx)->ov, addr);
}
static bool h_account_is_empty(void *ctx, const address *addr) {
    return overlay_is_empty(((state_host *)ctx)->ov, addr);
}
static u256 h_get_balance(void *ctx, const address *addr) {
    return overlay_balance(((state_host *)ctx)->ov, addr);
}
static const evm_code *h_get_code(void *ctx, const address *addr) {
    return overlay_code(((state_host *)ctx)->ov, addr);
}
static bytes32 h_get_code_hash(void *ctx, const address *addr) {
    overlay *ov = ((state_host *)ctx)->ov;
    if (overlay_is_empty(ov, addr)) return (bytes32){{0}};
    return overlay_code(ov, addr)->hash;
}
static u256 h_sload(void *ctx, const address *addr, const u256 *key) {
    return overlay_sload(((state_host *)ctx)->ov, addr, key);
}
static void h_sstore(void *ctx, const address *addr, const u256 *key, const u256 *value,
                     evm_sstore_info *info) {
    overlay_sstore(((state_host *)ctx)->ov, addr, key, value, &info->original, &info->current);
}
static u256 h_tload(void *ctx, const address *addr, const u256 *key) {
    return overlay_tload(((state_host *)ctx)->ov, addr, key);
}
static void h_tstore(void *ctx, const address *addr, const u256 *key, const u256 *value) {
    overlay_tstore(((state_host *)ctx)->ov, addr, key, value);
}
static void h_emit_log(void *ctx, const address *addr, const bytes32 *topics, size_t n,
                       const uint8_t *data, size_t len) {
    overlay_add_log(((state_host *)ctx)->ov, addr, topics, n, data, len);
}
/* ERC-7528: the log of an ETH move, Transfer(from, to, value) from
 * 0xeeee...eeee (eth_simulateV1's traceTransfers). */
static void transfer_log(overlay *ov, const address *from, const address *to, const u256 *value) {
    static const address erc7528 = {{0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
                                     0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}};
    /* keccak("Transfer(address,address,uint256)") */
    static const bytes32 topic = {{0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0,
                                   0x68, 0xfc, 0x37, 0x8d, 0xaa, 0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4,
                                   0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef}};
    bytes32 topics[3] = {topic, {{0}}, {{0}}};
    memcpy(topics[1].b + 12, from->b, 20);
    memcpy(topics[2].b + 12, to->b, 20);
    uint8_t data[32];
    u256_to_be(value, data);
    overlay_add_synthetic_log(ov, &erc7528, topics, 3, data, 32);
}

static bool tracing_transfers(const state_host *h, const u256 *value) {
    return h->opt && h->opt->trace_transfers && !u256_is_zero(value);
}

static bool h_selfdestruct(void *ctx, const address *addr, const address *beneficiary) {
    state_host *h = ctx;
    if (h->opt && h->opt->trace_transfers) {
        u256 bal = overlay_balance(h->ov, addr);
        if (!u256_is_zero(&bal)) transfer_log(h->ov, addr, beneficiary, &bal);
    }
    return overlay_selfdestruct(h->ov, addr, beneficiary);
}
static evm_result h_call(void *ctx, const evm_message *msg) { return state_host_call(ctx, msg); }
static bytes32 h_get_block_hash(void *ctx, uint64_t number) {
    return overlay_block_hash(((state_host *)ctx)->ov, number);
}

static const evm_host_ops host_ops = {
    h_access_account, h_access_storage, h_account_exists, h_account_is_empty, h_get_balance,
    h_get_code, h_get_code_hash, h_sload, h_sstore, h_tload, h_tstore, h_emit_log,
    h_selfdestruct, h_call, h_get_block_hash,
};

evm_host state_host_interface(state_host *h) { return (evm_host){&host_ops, h}; }

/* ---- messages ---- */

static void transfer(overlay *ov, const address *from, const address *to, const u256 *value) {
    if (u256_is_zero(value)) return;
    u256 bal = overlay_balance(ov, from);
    bal = u256_sub(&bal, value);
    overlay_set_balance(ov, from, &bal);
    overlay_add_balance(ov, to, value);
}

/* The precompile addr runs (into *which), if any. */
static bool precompile_at(const state_host *h, const address *addr, const address **which) {
    const state_host_options *o = h->opt;
    if (!o || !o->has_precompiles) {
        *which = addr;
        return precompile_is_active(addr, h->tx->fork);
    }
    for (size_t i = 0; i < o->n_precompiles; i++)
        if (address_eq(&o->precompiles[i], addr)) {
            *which = &o->runs[i];
            return true;
        }
    return false;
}

/* ecrecover's answer from the options' recover_override: true (with *r)
 * when the override knows the input's signature. */
static bool recover_overridden(state_host *h, const address *pc, const evm_message *msg, evm_result *r) {
    const state_host_options *o = h->opt;
    static const address ECRECOVER = {{[19] = 1}};
    if (!o || !o->recover_override || !address_eq(pc, &ECRECOVER)) return false;
    uint8_t in[128] = {0}, sig[65];
    if (msg->input_size) memcpy(in, msg->input, msg->input_size < 128 ? msg->input_size : 128);
    memcpy(sig, in + 64, 64);
    sig[64] = in[63];
    address who;
    if (!o->recover_override(o->recover_arg, sig, &who)) return false;
    if (msg->gas < 3000) {
        *r = (evm_result){.status = EVM_OUT_OF_GAS};
        return true;
    }
    uint8_t word[32] = {0};
    memcpy(word + 12, who.b, 20);
    *r = precompile_answer(h->vm, msg->depth, msg->gas - 3000, word, 32);
    return true;
}

static evm_result run_code(state_host *h, const evm_message *msg) {
    fork_id fork = h->tx->fork;
    const address *pc;
    if (precompile_at(h, &msg->code_address, &pc)) {
        /* EIP-7702: a delegation to a precompile runs empty code */
        if (msg->code_delegated) return (evm_result){.status = EVM_SUCCESS, .gas_left = msg->gas};
        evm_result r;
        if (recover_overridden(h, pc, msg, &r)) return r;
        return precompile_run(h->vm, pc, fork, msg->input, msg->input_size, msg->gas, msg->depth);
    }
    const evm_code *code = overlay_code(h->ov, &msg->code_address);
    if (!code->len) return (evm_result){.status = EVM_SUCCESS, .gas_left = msg->gas};
    evm_host host = state_host_interface(h);
    return evm_execute(h->vm, &host, h->tx, msg, code);
}

static bool is_exceptional(evm_status s) { return s != EVM_SUCCESS && s != EVM_REVERT; }

evm_result state_host_create_at(state_host *h, const evm_message *msg, const address *addr) {
    overlay *ov = h->ov;
    fork_id fork = h->tx->fork;
    evm_result r = {.status = EVM_CREATE_COLLISION};
    if (overlay_nonce(ov, addr) != 0 || overlay_code(ov, addr)->len || overlay_has_storage(ov, addr))
        return r;
    size_t snap = overlay_snapshot(ov);
    overlay_create_account(ov, addr);
    if (fork >= FORK_SPURIOUS_DRAGON) overlay_set_nonce(ov, addr, 1);
    transfer(ov, &msg->sender, addr, &msg->value);
    if (tracing_transfers(h, &msg->value)) transfer_log(ov, &msg->sender, addr, &msg->value);

    evm_message m = *msg;
    m.recipient = *addr;
    m.code_address = *addr;
    m.input = NULL; /* init code runs with empty call data */
    m.input_size = 0;
    const evm_code *init = evm_vm_scratch_code(h->vm, msg->depth, msg->input, msg->input_size);
    evm_host host = state_host_interface(h);
    r = evm_execute(h->vm, &host, h->tx, &m, init);

    if (r.status == EVM_SUCCESS) {
        int64_t deposit = 200 * (int64_t)r.output_size;
        if (fork >= FORK_LONDON && r.output_size && r.output[0] == 0xef) {
            r.status = EVM_CONTRACT_VALIDATION_FAILURE; /* EIP-3541 */
        } else if (fork >= FORK_SPURIOUS_DRAGON && r.output_size > evm_max_code_size(h->tx->max_code_size)) {
            r.status = EVM_CONTRACT_VALIDATION_FAILURE; /* EIP-170 */
        } else if (r.gas_left < deposit) {
            /* Frontier keeps the account with empty code; Homestead fails */
            if (fork >= FORK_HOMESTEAD) r.status = EVM_OUT_OF_GAS;
        } else {
            r.gas_left -= deposit;
            overlay_set_code(ov, addr, r.output, r.output_size);
        }
    }
    if (r.status != EVM_SUCCESS) {
        overlay_revert(ov, snap);
        if (is_exceptional(r.status)) r.gas_left = 0;
        r.gas_refund = 0;
        return r;
    }
    r.create_address = *addr;
    return r;
}

static evm_result create_message(state_host *h, const evm_message *msg) {
    overlay *ov = h->ov;
    evm_result fail = {.gas_left = msg->gas};
    u256 bal = overlay_balance(ov, &msg->sender);
    if (u256_lt(&bal, &msg->value)) {
        fail.status = EVM_INSUFFICIENT_BALANCE;
        return fail;
    }
    uint64_t nonce = overlay_nonce(ov, &msg->sender);
    if (nonce == UINT64_MAX) {
        fail.status = EVM_NONCE_OVERFLOW;
        return fail;
    }
    address addr = msg->kind == EVM_CREATE
                       ? create_address(&msg->sender, nonce)
                       : create2_address(&msg->sender, &msg->salt, msg->input, msg->input_size);
    overlay_set_nonce(ov, &msg->sender, nonce + 1);
    if (h->tx->fork >= FORK_BERLIN) overlay_warm_account(ov, &addr);
    return state_host_create_at(h, msg, &addr);
}

evm_result state_host_call(state_host *h, const evm_message *msg) {
    if (msg->kind == EVM_CREATE || msg->kind == EVM_CREATE2) return create_message(h, msg);
    overlay *ov = h->ov;
    size_t snap = overlay_snapshot(ov);
    if (msg->kind == EVM_CALL) {
        transfer(ov, &msg->sender, &msg->recipient, &msg->value);
        if (tracing_transfers(h, &msg->value)) transfer_log(ov, &msg->sender, &msg->recipient, &msg->value);
        overlay_touch(ov, &msg->recipient);
    } else if (msg->kind == EVM_STATICCALL) {
        overlay_touch(ov, &msg->recipient);
    }
    evm_result r = run_code(h, msg);
    if (r.status != EVM_SUCCESS) {
        overlay_revert(ov, snap);
        if (msg->kind == EVM_CALL || msg->kind == EVM_STATICCALL) overlay_failed_call(ov, &msg->recipient);
        if (is_exceptional(r.status)) r.gas_left = 0;
        r.gas_refund = 0;
    }
    return r;
}
