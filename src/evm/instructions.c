/* The EVM instructions with fork-dependent dynamic gas or nested execution:
 * SSTORE (EIP-1283/2200/2929/3529), LOG, CALL family (EIP-150 63/64 rule,
 * stipend, new-account charge, EIP-7702 delegations), CREATE/CREATE2
 * (EIP-3860), SELFDESTRUCT and EXTCODECOPY. Operands are popped from the frame's stack; gas is charged
 * on f->gas. */
#include "evm_internal.h"

#define CHARGE(c) do { f->gas -= (c); if (f->gas < 0) return EVM_OUT_OF_GAS; } while (0)

/* Storage gas parameters of a fork's net-metering rules. */
typedef struct {
    int64_t sload;        /* cost of a no-op or dirty write ("SLOAD_GAS") */
    int64_t reset;        /* writing a clean non-zero slot */
    int64_t clear_refund; /* refund for clearing a slot */
} sstore_params;

static sstore_params sstore_params_of(fork_id fork) {
    if (fork >= FORK_LONDON) return (sstore_params){GAS_WARM_ACCESS, GAS_SSTORE_RESET - GAS_COLD_SLOAD, 4800};
    if (fork >= FORK_BERLIN) return (sstore_params){GAS_WARM_ACCESS, GAS_SSTORE_RESET - GAS_COLD_SLOAD, 15000};
    if (fork >= FORK_ISTANBUL) return (sstore_params){800, GAS_SSTORE_RESET, 15000};
    return (sstore_params){200, GAS_SSTORE_RESET, 15000}; /* EIP-1283 (Constantinople) */
}

evm_status evm_op_sstore(evm_frame *f) {
    const evm_message *msg = f->msg;
    const evm_host *h = f->host;
    fork_id fork = f->fork;
    u256 key = f->sp[0], value = f->sp[-1];
    f->sp -= 2;
    if (msg->is_static) return EVM_STATIC_MODE_VIOLATION;
    bool net_metering = fork == FORK_CONSTANTINOPLE || fork >= FORK_ISTANBUL;
    /* EIP-2200: no SSTORE with only the call stipend left */
    if (fork >= FORK_ISTANBUL && f->gas <= GAS_CALL_STIPEND) return EVM_OUT_OF_GAS;
    int64_t cost = 0;
    if (fork >= FORK_BERLIN && h->ops->access_storage(h->ctx, &msg->recipient, &key))
        cost += GAS_COLD_SLOAD;
    evm_sstore_info info;
    h->ops->sstore(h->ctx, &msg->recipient, &key, &value, &info);
    const u256 *orig = &info.original, *cur = &info.current;

    if (!net_metering) {
        bool set = u256_is_zero(cur) && !u256_is_zero(&value);
        cost += set ? GAS_SSTORE_SET : GAS_SSTORE_RESET;
        if (!u256_is_zero(cur) && u256_is_zero(&value)) f->refund += 15000;
        CHARGE(cost);
        return EVM_SUCCESS;
    }
    sstore_params p = sstore_params_of(fork);
    if (u256_eq(cur, &value)) {
        cost += p.sload;
    } else if (u256_eq(orig, cur)) {
        if (u256_is_zero(orig)) {
            cost += GAS_SSTORE_SET;
        } else {
            cost += p.reset;
            if (u256_is_zero(&value)) f->refund += p.clear_refund;
        }
    } else {
        cost += p.sload;
        if (!u256_is_zero(orig)) {
            if (u256_is_zero(cur)) f->refund -= p.clear_refund;
            if (u256_is_zero(&value)) f->refund += p.clear_refund;
        }
        if (u256_eq(orig, &value)) {
            if (u256_is_zero(orig))
                f->refund += GAS_SSTORE_SET - p.sload;
            else
                f->refund += p.reset - p.sload;
        }
    }
    CHARGE(cost);
    return EVM_SUCCESS;
}

evm_status evm_op_log(evm_frame *f, int n) {
    u256 off = f->sp[0], len = f->sp[-1];
    bytes32 topics[4];
    for (int i = 0; i < n; i++) topics[i] = u256_to_bytes32(&f->sp[-2 - i]);
    f->sp -= 2 + n;
    if (f->msg->is_static) return EVM_STATIC_MODE_VIOLATION;
    if (!evm_mem_touch(f, &off, &len)) return EVM_OUT_OF_GAS;
    CHARGE(8 * (int64_t)len.w[0]);
    const uint8_t *data = len.w[0] ? f->mem->data + off.w[0] : NULL;
    f->host->ops->emit_log(f->host->ctx, &f->msg->recipient, topics, (size_t)n, data, len.w[0]);
    return EVM_SUCCESS;
}

/* Whether sending value to addr creates an account (charged GAS_NEW_ACCOUNT):
 * before EIP-161 any non-existent account, from it an empty one. */
static bool is_new_account(evm_frame *f, const address *addr) {
    const evm_host *h = f->host;
    if (f->fork >= FORK_SPURIOUS_DRAGON) return h->ops->account_is_empty(h->ctx, addr);
    return !h->ops->account_exists(h->ctx, addr);
}

/* EIP-150: a child gets at most all but one 64th of the remaining gas. */
static int64_t max_child_gas(evm_frame *f) {
    return f->fork >= FORK_TANGERINE_WHISTLE ? f->gas - f->gas / 64 : f->gas;
}

static void set_return_data(evm_frame *f, const evm_result *r) {
    buf_clear(f->ret);
    if (r->status == EVM_SUCCESS || r->status == EVM_REVERT) buf_append(f->ret, r->output, r->output_size);
}

/* Declares and builds `child`, the message of a CALL-family instruction
 * (a macro, so that op_call's untraced copy is the plain code it always was). */
#define CALL_MESSAGE(child)                                                           \
    evm_message child = {                                                             \
        .kind = op == OP_CALL ? EVM_CALL : op == OP_CALLCODE ? EVM_CALLCODE           \
              : op == OP_DELEGATECALL ? EVM_DELEGATECALL : EVM_STATICCALL,            \
        .is_static = msg->is_static || op == OP_STATICCALL,                           \
        .depth = msg->depth + 1,                                                      \
        .gas = child_gas,                                                             \
        .code_address = code_address,                                                 \
        .input = in_len.w[0] ? f->mem->data + in_off.w[0] : NULL,                     \
        .input_size = (size_t)in_len.w[0],                                            \
        .code_delegated = delegated,                                                  \
    };                                                                                \
    switch (op) {                                                                     \
    case OP_CALL:                                                                     \
    case OP_STATICCALL:                                                               \
        child.recipient = to;                                                         \
        child.sender = msg->recipient;                                                \
        child.value = value;                                                          \
        break;                                                                        \
    case OP_CALLCODE:                                                                 \
        child.recipient = msg->recipient;                                             \
        child.sender = msg->recipient;                                                \
        child.value = value;                                                          \
        break;                                                                        \
    default: /* DELEGATECALL keeps the caller and value of this frame */              \
        child.recipient = msg->recipient;                                             \
        child.sender = msg->sender;                                                   \
        child.value = msg->value;                                                     \
        break;                                                                        \
    }

/* The traced loop's view of a nested message: enter, then exit with r. */
static void trace_message(evm_frame *f, const evm_message *child, const address *to, const evm_result *r) {
    evm_tracer *t = f->vm->tracer;
    if (t->enter) t->enter(t, child, &f->msg->recipient, to, f->gas);
    if (r && t->exit) t->exit(t, child, r);
}

/* A message that fails before it runs (call depth, balance) returns all its gas. */
static void trace_early_failure(evm_frame *f, const evm_message *child, const address *to, evm_status st) {
    evm_result r = {.status = st, .gas_left = child->gas};
    trace_message(f, child, to, &r);
}

/* CALL, CALLCODE, DELEGATECALL, STATICCALL; traced is a constant, so the
 * untraced copy carries none of the tracer's code. */
static inline __attribute__((always_inline)) evm_status op_call(evm_frame *f, uint8_t op, const bool traced) {
    const evm_message *msg = f->msg;
    const evm_host *h = f->host;
    u256 *s = f->sp;
    u256 gas_req = s[0];
    address to = u256_to_address(&s[-1]);
    bool has_value_arg = op == OP_CALL || op == OP_CALLCODE;
    u256 value = has_value_arg ? s[-2] : U256_ZERO;
    int a = has_value_arg ? 3 : 2;
    u256 in_off = s[-a], in_len = s[-a - 1], out_off = s[-a - 2], out_len = s[-a - 3];
    f->sp -= a + 3; /* pops a+4 items, pushes one */
    u256 *result = f->sp;
    *result = U256_ZERO;

    bool has_value = !u256_is_zero(&value);
    int64_t cost = 0;
    if (f->fork >= FORK_BERLIN && h->ops->access_account(h->ctx, &to))
        cost += GAS_COLD_ACCOUNT - GAS_WARM_ACCESS;
    /* EIP-7702: the code of a delegated account is its delegate's, whose
     * access is paid too (warm 100, cold 2600) */
    address code_address = to;
    bool delegated = false;
    if (f->fork >= FORK_PRAGUE) {
        const evm_code *c = h->ops->get_code(h->ctx, &to);
        delegated = evm_delegation_target(c->bytes, c->len, &code_address);
        if (delegated) cost += h->ops->access_account(h->ctx, &code_address) ? GAS_COLD_ACCOUNT : GAS_WARM_ACCESS;
    }
    if (has_value) cost += GAS_CALL_VALUE;
    if (op == OP_CALL && (has_value || f->fork < FORK_SPURIOUS_DRAGON) && is_new_account(f, &to))
        cost += GAS_NEW_ACCOUNT;
    if (!evm_mem_touch(f, &in_off, &in_len) || !evm_mem_touch(f, &out_off, &out_len))
        return EVM_OUT_OF_GAS;
    CHARGE(cost);
    if (op == OP_CALL && has_value && msg->is_static) return EVM_STATIC_MODE_VIOLATION;

    int64_t child_gas;
    if (f->fork >= FORK_TANGERINE_WHISTLE) {
        int64_t cap = max_child_gas(f);
        child_gas = u256_fits_u64(&gas_req) && gas_req.w[0] < (uint64_t)cap ? (int64_t)gas_req.w[0] : cap;
    } else {
        if (!u256_fits_u64(&gas_req) || gas_req.w[0] > (uint64_t)f->gas) return EVM_OUT_OF_GAS;
        child_gas = (int64_t)gas_req.w[0];
    }
    f->gas -= child_gas;
    if (has_value) child_gas += GAS_CALL_STIPEND;

    buf_clear(f->ret);
    bool too_poor = false;
    if (has_value) {
        u256 balance = h->ops->get_balance(h->ctx, &msg->recipient);
        too_poor = u256_lt(&balance, &value);
    }
    if (msg->depth >= EVM_MAX_DEPTH || too_poor) {
        if (traced) {
            CALL_MESSAGE(child)
            trace_early_failure(f, &child, &to, too_poor ? EVM_INSUFFICIENT_BALANCE : EVM_CALL_DEPTH_EXCEEDED);
        }
        f->gas += child_gas;
        return EVM_SUCCESS;
    }

    CALL_MESSAGE(child)
    if (traced) trace_message(f, &child, &to, NULL);
    evm_result r = h->ops->call(h->ctx, &child);
    if (traced && f->vm->tracer->exit) f->vm->tracer->exit(f->vm->tracer, &child, &r);
    f->gas += r.gas_left;
    set_return_data(f, &r);
    if (r.status == EVM_SUCCESS) {
        f->refund += r.gas_refund;
        *result = u256_from_u64(1);
    }
    size_t n = f->ret->len < out_len.w[0] ? f->ret->len : (size_t)out_len.w[0];
    if (n) memcpy(f->mem->data + out_off.w[0], f->ret->data, n);
    return EVM_SUCCESS;
}

evm_status evm_op_call(evm_frame *f, uint8_t op) { return op_call(f, op, false); }
evm_status evm_op_call_traced(evm_frame *f, uint8_t op) { return op_call(f, op, true); }

/* CREATE and CREATE2 (traced: as op_call). */
static inline __attribute__((always_inline)) evm_status op_create(evm_frame *f, uint8_t op, const bool traced) {
    const evm_message *msg = f->msg;
    const evm_host *h = f->host;
    u256 *s = f->sp;
    u256 value = s[0], off = s[-1], len = s[-2];
    bytes32 salt = {{0}};
    if (op == OP_CREATE2) salt = u256_to_bytes32(&s[-3]);
    f->sp -= op == OP_CREATE2 ? 3 : 2;
    u256 *result = f->sp;
    *result = U256_ZERO;

    if (!evm_mem_touch(f, &off, &len)) return EVM_OUT_OF_GAS;
    uint64_t n = len.w[0];
    if (f->fork >= FORK_SHANGHAI) {
        if (n > evm_max_initcode_size(f->tx->max_code_size)) return EVM_OUT_OF_GAS;
        CHARGE(2 * evm_words(n));
    }
    if (op == OP_CREATE2) CHARGE(6 * evm_words(n));
    if (msg->is_static) return EVM_STATIC_MODE_VIOLATION;

    int64_t child_gas = max_child_gas(f);
    f->gas -= child_gas;
    buf_clear(f->ret);
    evm_message child = {
        .kind = op == OP_CREATE ? EVM_CREATE : EVM_CREATE2,
        .depth = msg->depth + 1,
        .gas = child_gas,
        .sender = msg->recipient,
        .value = value,
        .input = n ? f->mem->data + off.w[0] : NULL,
        .input_size = (size_t)n,
        .salt = salt,
    };
    if (msg->depth >= EVM_MAX_DEPTH) {
        if (traced) trace_early_failure(f, &child, NULL, EVM_CALL_DEPTH_EXCEEDED);
        f->gas += child_gas;
        return EVM_SUCCESS;
    }
    if (traced) trace_message(f, &child, NULL, NULL);
    evm_result r = h->ops->call(h->ctx, &child);
    if (traced && f->vm->tracer->exit) f->vm->tracer->exit(f->vm->tracer, &child, &r);
    f->gas += r.gas_left;
    if (r.status == EVM_REVERT) buf_append(f->ret, r.output, r.output_size);
    if (r.status == EVM_SUCCESS) {
        f->refund += r.gas_refund;
        *result = u256_from_address(&r.create_address);
    }
    return EVM_SUCCESS;
}

evm_status evm_op_create(evm_frame *f, uint8_t op) { return op_create(f, op, false); }
evm_status evm_op_create_traced(evm_frame *f, uint8_t op) { return op_create(f, op, true); }

evm_status evm_op_selfdestruct(evm_frame *f) {
    const evm_message *msg = f->msg;
    const evm_host *h = f->host;
    address beneficiary = u256_to_address(&f->sp[0]);
    f->sp--;
    if (msg->is_static) return EVM_STATIC_MODE_VIOLATION;
    int64_t cost = 0;
    if (f->fork >= FORK_BERLIN && h->ops->access_account(h->ctx, &beneficiary)) cost += GAS_COLD_ACCOUNT;
    if (f->fork >= FORK_TANGERINE_WHISTLE) {
        bool charge_new;
        if (f->fork >= FORK_SPURIOUS_DRAGON) {
            u256 balance = h->ops->get_balance(h->ctx, &msg->recipient);
            charge_new = !u256_is_zero(&balance) && h->ops->account_is_empty(h->ctx, &beneficiary);
        } else {
            charge_new = !h->ops->account_exists(h->ctx, &beneficiary);
        }
        if (charge_new) cost += GAS_NEW_ACCOUNT;
    }
    CHARGE(cost);
    bool first = h->ops->selfdestruct(h->ctx, &msg->recipient, &beneficiary);
    if (first && f->fork < FORK_LONDON) f->refund += GAS_SELFDESTRUCT_REFUND;
    return EVM_SUCCESS;
}

evm_status evm_op_extcodecopy(evm_frame *f) {
    const evm_host *h = f->host;
    address a = u256_to_address(&f->sp[0]);
    u256 mem_off = f->sp[-1], code_off = f->sp[-2], len = f->sp[-3];
    f->sp -= 4;
    if (!evm_mem_touch(f, &mem_off, &len)) return EVM_OUT_OF_GAS;
    int64_t cost = 3 * evm_words(len.w[0]);
    if (f->fork >= FORK_BERLIN && h->ops->access_account(h->ctx, &a)) cost += GAS_COLD_ACCOUNT - GAS_WARM_ACCESS;
    CHARGE(cost);
    if (len.w[0]) {
        const evm_code *c = h->ops->get_code(h->ctx, &a);
        evm_copy_padded(f->mem->data + mem_off.w[0], c->bytes, c->len, &code_off, (size_t)len.w[0]);
    }
    return EVM_SUCCESS;
}
