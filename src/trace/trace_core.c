/* The run: turns the EVM's tracer hooks (step before each instruction,
 * halt, nested message enter/exit) into what geth's tracing hooks report,
 * and hands that to the active tracer.
 *
 * geth calls OnOpcode after an instruction's static and dynamic gas are
 * charged, with gasCost = static + dynamic (for the CALL family including
 * the gas handed to the callee, for CREATE not) and the refund counter after
 * the gas rules ran; an instruction that fails before that point (stack,
 * gas, write protection found by the gas rules) is reported with the error.
 * parevm's hook runs before the instruction, so the run keeps each step
 * pending until the next event gives its cost: the next step of the frame,
 * the message it starts (enter) or the frame's halt.
 *
 * With a deadline (the "timeout" option) the step hook reads the clock
 * every 1,024 steps and, once it has passed, sets the tracer's stop flag:
 * the EVM unwinds and the trace answers "execution timeout". */
#include <stdio.h>
#include <stdlib.h>
#include "parevm/state_host.h"
#include "trace_internal.h"

enum {
    OP_EXTCODECOPY = 0x3c, OP_SSTORE = 0x55, OP_CREATE = 0xf0, OP_CALL = 0xf1, OP_RETURN = 0xf3, OP_CREATE2 = 0xf5,
    OP_SELFDESTRUCT = 0xff,
    STACK_LIMIT = 1024, SSTORE_SENTRY = 2300,
};

static trace_run *run_of(evm_tracer *t) { return (trace_run *)t; }

/* ---- geth's error of a failed halt ---- */

/* The instructions revm refuses in a static frame before it looks at
 * their operands (a CALL's value needs them). */
static bool static_write_op(uint8_t op) {
    return op == OP_SSTORE || op == 0x5d /* TSTORE */ || (op >= 0xa0 && op <= 0xa4) || op == OP_CREATE ||
           op == OP_CREATE2 || op == OP_SELFDESTRUCT;
}

/* revm's static charge of op (its table's, taken before the instruction
 * runs): LOG prices its topics with the data, SSTORE and CREATE charge
 * inside; SELFDESTRUCT's table has its 5000 from Tangerine on (so a static
 * frame short of it runs out of gas before the write is refused). */
static int64_t revm_static(const tr_step *p) {
    if (p->op >= 0xa0 && p->op <= 0xa4) return 375;
    if (p->op == OP_SSTORE || p->op == OP_CREATE || p->op == OP_CREATE2) return 0;
    return p->static_cost > 0 ? p->static_cost : 0;
}

/* A CALL moving a value in a static frame that paid revm's static charge:
 * revm pops gas, address and value and refuses it there, before it prices
 * the memory, the value or the account (where the EVM here, as geth, may
 * run out of gas first; the frame fails either way). */
static bool revm_refuses_call_value(const tr_step *p, evm_status st) {
    return p->op == OP_CALL && p->msg->is_static && st != EVM_SUCCESS && st != EVM_STACK_UNDERFLOW &&
           !u256_is_zero(&p->top[2]) && p->gas >= revm_static(p);
}

static bool writes_state(const tr_step *p) {
    switch (p->op) {
    case OP_SSTORE: case OP_CREATE: case OP_CREATE2: case OP_SELFDESTRUCT: return true;
    case OP_CALL: return !u256_is_zero(&p->top[2]);
    }
    return false;
}

/* ---- geth's price of a memory-using instruction that ran out of gas ---- */

/* The memory operand of op (offset, size) and its per-word and per-byte
 * dynamic costs, or false for an instruction without one handled here (the
 * CALL and CREATE families and EXTCODECOPY price more than memory). */
static bool memory_operand(const tr_step *p, u256 *off, u256 *size, int64_t *per_word, int64_t *per_byte) {
    *per_word = *per_byte = 0;
    const u256 *t = p->top;
    switch (p->op) {
    case 0x20: *off = t[0], *size = t[1], *per_word = 6; return true;                 /* KECCAK256 */
    case 0x37: case 0x39: case 0x3e: *off = t[0], *size = t[2], *per_word = 3; return true; /* copies */
    case 0x5e:                                                                         /* MCOPY */
        *off = u256_gt(&t[1], &t[0]) ? t[1] : t[0], *size = t[2], *per_word = 3;
        return true;
    case 0x51: case 0x52: *off = t[0], *size = u256_from_u64(32); return true;        /* MLOAD, MSTORE */
    case 0x53: *off = t[0], *size = u256_from_u64(1); return true;                    /* MSTORE8 */
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xa4: *off = t[0], *size = t[1], *per_byte = 8; return true;
    case 0xf3: case 0xfd: *off = t[0], *size = t[1]; return true;                     /* RETURN, REVERT */
    }
    return false;
}

static uint64_t memory_fee(uint64_t words) { return words * 3 + words * words / 512; }

/* geth's reading of a step that ran out of gas on a memory operand: its
 * error (NULL: plain "out of gas") and its cost, static plus dynamic in full
 * (parevm stops charging at the expansion it cannot pay). False when p has
 * no memory operand. */
static bool memory_oog(const tr_step *p, const char **why, int64_t *cost) {
    u256 off, size;
    int64_t per_word, per_byte;
    if (!memory_operand(p, &off, &size, &per_word, &per_byte)) return false;
    *why = NULL;
    if (p->gas < p->static_cost) return true; /* the static charge failed: geth priced nothing more */
    uint64_t end = 0;
    if (!u256_is_zero(&size)) {
        /* calcMemSize64, then the rounding to words: overflow is an error of its own */
        if (!u256_fits_u64(&size) || !u256_fits_u64(&off) || off.w[0] + size.w[0] < off.w[0] ||
            off.w[0] + size.w[0] > UINT64_MAX - 31) {
            *why = "gas uint64 overflow", *cost = p->static_cost;
            return true;
        }
        end = off.w[0] + size.w[0];
    }
    if (end > 0x1FFFFFFFE0ULL) {
        *why = "out of gas: gas uint64 overflow", *cost = p->static_cost;
        return true;
    }
    uint64_t words = (end + 31) / 32, have = p->mem_size / 32;
    uint64_t fee = words > have ? memory_fee(words) - memory_fee(have) : 0;
    uint64_t n = size.w[0]; /* fits: checked above unless zero */
    *cost = p->static_cost + (int64_t)fee + per_word * (int64_t)((n + 31) / 32) + per_byte * (int64_t)n;
    return true;
}

/* ---- revm's charge of a failing step (Parity's vmTrace) ---- */

static uint64_t words_of(const u256 *size) { return u256_fits_u64(size) ? (size->w[0] + 31) / 32 : UINT64_MAX / 64; }

/* The memory expansion fee of [off, off + size) over mem_size bytes, or
 * INT64_MAX when it cannot be paid in any case. */
static int64_t expansion_fee(const u256 *off, const u256 *size, uint64_t mem_size) {
    if (u256_is_zero(size)) return 0;
    if (!u256_fits_u64(off) || !u256_fits_u64(size) || off->w[0] + size->w[0] > 0x1FFFFFFFE0ULL) return INT64_MAX;
    uint64_t words = (off->w[0] + size->w[0] + 31) / 32, have = mem_size / 32;
    return words > have ? (int64_t)(memory_fee(words) - memory_fee(have)) : 0;
}

/* What a CALL-family instruction that ran out of gas had paid for memory:
 * revm expands for its input range, then for its output range; *failed
 * tells whether one of them could not be paid. */
static int64_t call_memory_paid(const tr_step *p, int64_t budget, bool *failed) {
    int a = p->op == 0xf1 || p->op == 0xf2 ? 3 : 2; /* argsOffset's place below the operands before it */
    int64_t in = expansion_fee(&p->top[a], &p->top[a + 1], p->mem_size);
    *failed = true;
    if (in == INT64_MAX || in > budget) return 0;
    uint64_t mem = p->mem_size;
    if (!u256_is_zero(&p->top[a + 1])) {
        uint64_t end = (p->top[a].w[0] + p->top[a + 1].w[0] + 31) / 32 * 32; /* fits: the fee was finite */
        if (end > mem) mem = end;
    }
    int64_t out = expansion_fee(&p->top[a + 2], &p->top[a + 3], mem);
    *failed = out == INT64_MAX || in + out > budget;
    return in;
}

/* A CREATE or CREATE2 out of gas (its init code within EIP-3860's bound):
 * revm charges Shanghai's init code words, expands the memory, then
 * charges CREATE's gas (and CREATE2's hashing). Running out on the memory
 * keeps what was charged before it; on a charge, all that is left goes
 * (*cost already says so). */
static void create_failed_cost(const tr_step *p, fork_id fork, int64_t *cost, vm_pops *pops) {
    const u256 *off = &p->top[1], *size = &p->top[2];
    /* CREATE2 pops its salt only once the memory is expanded */
    vm_pops before_salt = p->op == OP_CREATE2 ? VM_POPS_BUT_LAST : VM_POPS;
    if (u256_is_zero(size)) return; /* no memory: CREATE's own charge failed */
    *pops = before_salt;
    if (!u256_fits_u64(size)) { /* a length past a usize: refused before anything is charged */
        *cost = 0;
        return;
    }
    int64_t init = fork >= FORK_SHANGHAI ? 2 * (int64_t)words_of(size) : 0;
    if (init > p->gas) return;
    int64_t fee = expansion_fee(off, size, p->mem_size);
    if (fee == INT64_MAX || init + fee > p->gas) *cost = init;
    else *pops = VM_POPS; /* the memory was paid: the charge after it failed */
}

/* What revm charged for step p that failed with st, and how much of its
 * stack it had taken by then (VM_KEEPS: none; VM_POPS: all its inputs, as
 * the CALL and CREATE families pop them first; VM_POPS_BUT_LAST: all but
 * the deepest, which the other one-result instructions overwrite in place).
 * Running out of gas spends all that is left, except when a memory
 * expansion cannot be paid (what was charged before it stays) or an init
 * code is too big (nothing); a static charge that fails comes before any
 * pop. Other failures charge the static cost. */
static void revm_failed_step(const tr_step *p, evm_status st, fork_id fork, uint64_t max_initcode, int64_t *cost,
                             vm_pops *pops) {
    int64_t stat = p->static_cost > 0 ? p->static_cost : 0;
    if (p->op >= 0xa0 && p->op <= 0xa4) stat = 375; /* revm's LOG prices its topics with the data */
    if (p->msg->is_static && static_write_op(p->op) && st != EVM_UNDEFINED_INSTRUCTION) {
        /* refused (or out of gas on the static charge) before any pop */
        int64_t rs = revm_static(p);
        *cost = p->gas < rs ? p->gas : rs;
        *pops = VM_KEEPS;
        return;
    }
    bool calls = p->op == 0xf1 || p->op == 0xf2 || p->op == 0xf4 || p->op == 0xfa;
    bool creates = p->op == OP_CREATE || p->op == OP_CREATE2;
    *pops = calls || creates ? VM_POPS : VM_POPS_BUT_LAST;
    *cost = stat;
    if (st == EVM_UNDEFINED_INSTRUCTION || st == EVM_INVALID_INSTRUCTION) {
        /* an opcode of a later fork pays its static cost before revm finds it not activated */
        int later = -1;
        if (st != EVM_UNDEFINED_INSTRUCTION || !revm_op_name(p->op, &later)) later = -1;
        *cost = later > 0 ? (later > p->gas ? p->gas : later) : 0; /* short of it: out of gas, all spent */
        *pops = VM_KEEPS;
        return;
    }
    if (st == EVM_STACK_UNDERFLOW || st == EVM_STACK_OVERFLOW) {
        *pops = VM_KEEPS;
        return;
    }
    if (revm_refuses_call_value(p, st)) { /* refused after three pops, its static charge paid */
        *pops = VM_POPS_THREE;
        return;
    }
    if (p->op == OP_SSTORE && fork >= FORK_ISTANBUL && p->gas <= SSTORE_SENTRY) { /* no charge: EIP-2200's sentry */
        *cost = 0;
        return;
    }
    if (st != EVM_OUT_OF_GAS) return;
    if (creates && fork >= FORK_SHANGHAI && (!u256_fits_u64(&p->top[2]) || p->top[2].w[0] > max_initcode)) {
        *cost = 0; /* revm's CreateInitCodeSizeLimit, before CREATE2 pops its salt */
        if (p->op == OP_CREATE2) *pops = VM_POPS_BUT_LAST;
        return;
    }
    *cost = p->gas;
    if (creates) {
        create_failed_cost(p, fork, cost, pops);
        return;
    }
    if (p->gas < stat) { /* the static charge, before the instruction (revm charges CREATE's in it) */
        *pops = VM_KEEPS;
        return;
    }
    u256 off, size;
    int64_t per_word, per_byte, fee;
    if (p->op == OP_EXTCODECOPY) {
        /* revm charges the words, expands the memory, and only then loads the
         * account (Berlin on: its cold surcharge comes last) */
        const u256 *dest = &p->top[1], *len = &p->top[3];
        if (!u256_fits_u64(len)) { /* a length past a usize: refused, nothing spent */
            *cost = stat;
            return;
        }
        int64_t paid = stat + 3 * (int64_t)words_of(len);
        if (paid > p->gas) return;
        fee = expansion_fee(dest, len, p->mem_size);
        if (fee == INT64_MAX || paid + fee > p->gas) *cost = paid;
        return;
    }
    if (memory_operand(p, &off, &size, &per_word, &per_byte)) {
        int64_t words = (int64_t)words_of(&size), dyn = per_word * words;
        if (per_byte) /* LOG: its topics and data */
            dyn = u256_fits_u64(&size) && size.w[0] < (uint64_t)INT64_MAX / 16
                      ? 8 * (int64_t)size.w[0] + 375 * (int64_t)(p->op - 0xa0)
                      : INT64_MAX;
        if (dyn == INT64_MAX) *cost = stat; /* a size past a usize: refused, nothing spent */
        else if (stat + dyn <= p->gas) { /* the words were paid: the memory failed */
            fee = expansion_fee(&off, &size, p->mem_size);
            if (fee == INT64_MAX || stat + dyn + fee > p->gas) *cost = stat + dyn;
        }
    } else if (calls) {
        bool failed;
        fee = call_memory_paid(p, p->gas - stat, &failed);
        if (failed) *cost = stat + fee; /* a memory expansion failed: what was paid stays */
    }
}

/* Fills the frame's error for a halt with st on step p. *pre tells whether
 * geth's gas/stack phase found it (then the step carries the error and its
 * cost is *cost, already set to parevm's charge, adjusted where geth's
 * differs). */
static void classify(trace_run *r, const tr_step *p, evm_status st, char *err, size_t n, bool *pre, int64_t *cost) {
    *pre = false;
    int in, out;
    bool known = evm_opcode_stack(p->op, &in, &out) && p->static_cost >= 0;
    /* geth checks the stack before it charges anything */
    if (known && (st == EVM_OUT_OF_GAS || st == EVM_STACK_UNDERFLOW || st == EVM_STACK_OVERFLOW)) {
        if (p->stack_size < in) {
            snprintf(err, n, "stack underflow (%d <=> %d)", p->stack_size, in);
            *pre = true, *cost = p->static_cost;
            return;
        }
        if (p->stack_size > STACK_LIMIT + in - out) {
            snprintf(err, n, "stack limit reached %d (%d)", p->stack_size, STACK_LIMIT + in - out);
            *pre = true, *cost = p->static_cost;
            return;
        }
    }
    /* and its gas rules refuse writes in a static frame before pricing them */
    if ((st == EVM_OUT_OF_GAS || st == EVM_STATIC_MODE_VIOLATION) && p->msg->is_static && writes_state(p)) {
        snprintf(err, n, "out of gas: write protection");
        *pre = true, *cost = p->static_cost;
        return;
    }
    char name[32];
    switch (st) {
    case EVM_OUT_OF_GAS:
        *pre = true;
        if (p->op == OP_SSTORE && r->fork >= FORK_ISTANBUL && p->gas - p->static_cost <= SSTORE_SENTRY) {
            snprintf(err, n, "out of gas: not enough gas for reentrancy sentry");
            *cost = p->static_cost;
        } else if ((p->op == OP_CREATE || p->op == OP_CREATE2) && r->fork >= FORK_SHANGHAI &&
                   u256_fits_u64(&p->top[2]) && p->top[2].w[0] > evm_max_initcode_size(r->max_code_size)) {
            snprintf(err, n, "out of gas: max initcode size exceeded: code size %llu limit %llu",
                     (unsigned long long)p->top[2].w[0],
                     (unsigned long long)evm_max_initcode_size(r->max_code_size));
            *cost = p->static_cost;
        } else {
            const char *why = NULL;
            memory_oog(p, &why, cost);
            snprintf(err, n, "%s", why ? why : "out of gas");
        }
        return;
    case EVM_STATIC_MODE_VIOLATION: snprintf(err, n, "write protection"); return;
    case EVM_REVERT: snprintf(err, n, "execution reverted"); return;
    case EVM_BAD_JUMP_DESTINATION: snprintf(err, n, "invalid jump destination"); return;
    case EVM_INVALID_MEMORY_ACCESS: {
        /* geth prices RETURNDATACOPY's memory and words before it finds the
         * range out of bounds: short of them it runs out of gas there (reth's
         * opcode gas keeps the EVM's charge) */
        const char *why = NULL;
        int64_t full = *cost;
        if (r->cfg->kind != TRACER_OPCODE_GAS && memory_oog(p, &why, &full)) {
            *cost = full;
            if (why || full > p->gas) {
                snprintf(err, n, "%s", why ? why : "out of gas");
                *pre = true;
                return;
            }
        }
        snprintf(err, n, "return data out of bounds");
        return;
    }
    case EVM_UNDEFINED_INSTRUCTION:
    case EVM_INVALID_INSTRUCTION: snprintf(err, n, "invalid opcode: %s", trace_op_name(p->op, name)); return;
    default: snprintf(err, n, "%s", evm_status_name(st)); return;
    }
}

/* geth's error for a frame that ended with status (NULL: none). */
static const char *frame_error(trace_run *r, int depth, evm_status status, const uint8_t *output, size_t len,
                               char *buf, size_t n) {
    if (status == EVM_SUCCESS) return NULL;
    const tr_frame *f = &r->frames[depth];
    if (f->halted && f->halt_status != EVM_SUCCESS) return f->error;
    if (f->halted) { /* the init code returned: the deposit rules failed */
        if (status == EVM_CONTRACT_VALIDATION_FAILURE) {
            if (r->fork >= FORK_LONDON && len && output[0] == 0xef) return "invalid code: must not begin with 0xef";
            if (f->halt_gas >= 200 * (int64_t)len) {
                snprintf(buf, n, "max code size exceeded: code size %zu limit %llu", len,
                         (unsigned long long)evm_max_code_size(r->max_code_size));
                return buf;
            }
        }
        return "contract creation code storage out of gas";
    }
    return trace_status_error(status);
}

const char *trace_status_error(evm_status status) {
    switch (status) {
    case EVM_INSUFFICIENT_BALANCE: return "insufficient balance for transfer";
    case EVM_CALL_DEPTH_EXCEEDED: return "max call depth exceeded";
    case EVM_NONCE_OVERFLOW: return "nonce uint64 overflow";
    case EVM_CREATE_COLLISION: return "contract address collision";
    case EVM_OUT_OF_GAS: return "out of gas";
    case EVM_REVERT: return "execution reverted";
    case EVM_PRECOMPILE_FAILURE: return "precompile failed"; /* precompile_error has the reason */
    case EVM_STATIC_MODE_VIOLATION: return "write protection";
    case EVM_BAD_JUMP_DESTINATION: return "invalid jump destination";
    case EVM_INVALID_MEMORY_ACCESS: return "return data out of bounds";
    case EVM_UNDEFINED_INSTRUCTION:
    case EVM_INVALID_INSTRUCTION: return "invalid opcode";
    case EVM_STACK_UNDERFLOW: return "stack underflow";
    case EVM_STACK_OVERFLOW: return "stack limit reached";
    case EVM_INITCODE_SIZE_EXCEEDED: return "max initcode size exceeded";
    case EVM_CONTRACT_VALIDATION_FAILURE: return "contract creation code storage out of gas";
    default: return evm_status_name(status);
    }
}

/* revm's name of a frame's failure, as revm-inspectors writes it for
 * Parity traces (NULL: none). */
static const char *parity_frame_error(trace_run *r, int depth, evm_status status, const uint8_t *output, size_t len) {
    if (status == EVM_SUCCESS) return NULL;
    const tr_frame *f = &r->frames[depth];
    evm_status st = status;
    /* revm refuses a write in a static frame once its static charge is paid,
     * before it looks at the operands or prices the rest */
    if (f->halted && f->halt_static_write) return "StateChangeDuringStaticCall";
    if (f->halted && f->halt_static_value) return "CallNotAllowedInsideStatic";
    if (f->halted && f->halt_status != EVM_SUCCESS) {
        st = f->halt_status;
    } else if (f->halted) { /* the init code returned: revm checks 0xEF, the size, then the deposit's gas */
        if (r->fork >= FORK_LONDON && len && output[0] == 0xef) return "CreateContractStartingWithEF";
        if (r->fork >= FORK_SPURIOUS_DRAGON && len > evm_max_code_size(r->max_code_size))
            return "CreateContractSizeLimit";
        return "Out of gas";
    }
    /* revm refuses too big an init code with its own halt; geth (and the
     * EVM here) run out of gas */
    if (st == EVM_OUT_OF_GAS && f->halted && f->halt_initcode_too_big) return "CreateInitCodeSizeLimit";
    switch (st) {
    case EVM_REVERT: return "Reverted";
    case EVM_OUT_OF_GAS: return "Out of gas";
    case EVM_UNDEFINED_INSTRUCTION: /* revm: an opcode of a later fork is not activated yet, once its
                                       static cost is paid */
        if (f->halted && revm_op_name(f->halt_op, &(int){0})) return f->halt_later_oog ? "Out of gas" : "NotActivated";
        return "Bad instruction";
    case EVM_INVALID_INSTRUCTION: return "Bad instruction";
    case EVM_STACK_UNDERFLOW: /* revm's DUP says overflow for either */
        return f->halted && f->halt_op >= 0x80 && f->halt_op <= 0x8f ? "Out of stack" : "StackUnderflow";
    case EVM_STACK_OVERFLOW: return "Out of stack";
    case EVM_BAD_JUMP_DESTINATION: return "Bad jump destination";
    case EVM_INVALID_MEMORY_ACCESS: return "OutOfOffset";
    case EVM_STATIC_MODE_VIOLATION:
        return f->halted && f->halt_op == OP_CALL ? "CallNotAllowedInsideStatic" : "StateChangeDuringStaticCall";
    case EVM_PRECOMPILE_FAILURE: return "Built-in failed";
    case EVM_CREATE_COLLISION: return "CreateCollision";
    case EVM_CONTRACT_VALIDATION_FAILURE: return "CreateContractSizeLimit";
    case EVM_INITCODE_SIZE_EXCEEDED: return "CreateInitCodeSizeLimit";
    case EVM_CALL_DEPTH_EXCEEDED: return "CallTooDeep";
    case EVM_INSUFFICIENT_BALANCE: return "Insufficient balance for transfer";
    case EVM_NONCE_OVERFLOW: return "NonceOverflow";
    default: return evm_status_name(st);
    }
}

/* revm's InstructionResult name of a frame's end, as revm-inspectors'
 * traces (and foundry's printer) show it; code_addr is the frame's code
 * account (NULL for a creation). Running out of memory's gas is OutOfGas
 * here (revm: MemoryOOG). */
static const char *revm_frame_status(trace_run *r, int depth, evm_status st, const address *code_addr,
                                     const uint8_t *output, size_t len) {
    const tr_frame *f = &r->frames[depth];
    bool pre = code_addr && precompile_is_active(code_addr, r->fork);
    if (st == EVM_SUCCESS) {
        if (!f->halted) return pre || !code_addr ? "Return" : "Stop";
        if (!code_addr) return "Return"; /* revm ends a creation that worked so */
        return f->halt_op == OP_RETURN ? "Return" : f->halt_op == OP_SELFDESTRUCT ? "SelfDestruct" : "Stop";
    }
    if (st == EVM_INSUFFICIENT_BALANCE) return "OutOfFunds";
    if (st == EVM_CALL_DEPTH_EXCEEDED) return "CallTooDeep";
    if (pre) return st == EVM_OUT_OF_GAS ? "PrecompileOOG" : "PrecompileError";
    static const char *const names[][2] = {
        {"Reverted", "Revert"}, {"Out of gas", "OutOfGas"}, {"Out of stack", "StackOverflow"},
        {"Bad jump destination", "InvalidJump"}, {"Built-in failed", "PrecompileError"},
        {"Insufficient balance for transfer", "OutOfFunds"},
    };
    const char *p = parity_frame_error(r, depth, st, output, len);
    if (!p) return "Stop";
    if (!strcmp(p, "Bad instruction")) return f->halted && f->halt_op == 0xfe ? "InvalidFEOpcode" : "OpcodeNotFound";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(p, names[i][0])) return names[i][1];
    return p; /* revm's own names already */
}

/* The gas a frame used as revm-inspectors records it: the EVM's (used:
 * all of it on exceptional halts) when it ends well, reverts, runs out of
 * gas or is a precompile; none when it was refused before any code ran;
 * for other exceptional halts, what its code spent up to the halt (revm
 * keeps the rest for the frame's end); for a creation refused after its
 * init code returned (deposit, size, 0xEF), what the init code spent. */
static uint64_t revm_frame_gas(trace_run *r, int depth, evm_status st, bool precompile, int64_t gas, uint64_t used) {
    const tr_frame *f = &r->frames[depth];
    if (st == EVM_SUCCESS || st == EVM_REVERT || precompile) return used;
    if (!f->halted) return 0; /* refused before it ran: collision, depth, balance */
    if (f->halt_status == EVM_SUCCESS) return (uint64_t)(gas - f->halt_gas);
    if (f->halt_status == EVM_OUT_OF_GAS) return used;
    return (uint64_t)(gas - f->revm_left);
}

/* ---- steps ---- */

/* Finishes the pending step: gas_after is what its frame had after it,
 * refund_after the frame's refund counter then; halted with st when the
 * frame stopped on it (err/pre/cost from classify). */
static void finish(trace_run *r, int64_t cost, int64_t refund_after, bool halted, evm_status st, const char *error) {
    tr_step *p = &r->pending;
    r->has_pending = false;
    /* geth reports the refund counter after the instruction's gas rules,
     * which only SSTORE and SELFDESTRUCT change */
    int64_t refund = p->op == OP_SSTORE || p->op == OP_SELFDESTRUCT ? refund_after : p->refund;
    tr_done d = {.s = p, .cost = cost, .refund = r->frames[p->depth].refund_base + refund, .error = error,
                 .halted = halted, .status = st};
    switch (r->cfg->kind) {
    case TRACER_STRUCT_LOG: lg_done(r, &d); break;
    case TRACER_CALL: cl_done(r, &d); break;
    case TRACER_PRESTATE: ps_done(r, &d); break;
    case TRACER_OPCODE_GAS: og_done(r, &d); break;
    default: break; /* derived tracers run as TRACER_CALL */
    }
}

/* Every this many steps the run reads the clock (a few ns each time). */
#define CLOCK_EVERY 1024

/* Stops the EVM once the deadline has passed (geth: tracer.Stop("execution
 * timeout") and evm.Cancel() from its timer). */
static void check_deadline(trace_run *r) {
    if (++r->clock_steps < CLOCK_EVERY) return;
    r->clock_steps = 0;
    if (trace_clock_ns() < r->deadline) return;
    r->timed_out = true;
    r->base.stop = true;
}

static void hook_step(evm_tracer *t, const evm_step *s) {
    trace_run *r = run_of(t);
    if (r->timed) check_deadline(r);
    if (!r->started) {
        r->started = true;
        r->frames[0].refund_base = (int64_t)executor_auth_refund(r->ex);
    }
    if (r->has_pending) finish(r, r->pending.gas - s->gas, s->refund, false, EVM_SUCCESS, NULL);
    if (r->vm_on) vm_step(r, s);
    tr_step *p = &r->pending;
    p->depth = s->depth;
    p->pc = s->pc;
    p->op = s->op;
    p->gas = s->gas;
    p->static_cost = s->static_cost;
    p->refund = s->refund;
    p->stack_size = s->stack_size;
    p->mem_size = s->mem_size;
    for (int i = 0; i < TR_TOP; i++) p->top[i] = i < s->stack_size ? s->stack[s->stack_size - 1 - i] : U256_ZERO;
    p->msg = s->msg;
    r->has_pending = true;
    switch (r->cfg->kind) {
    case TRACER_STRUCT_LOG: lg_step(r, s); break;
    case TRACER_CALL: cl_step(r, s); break;
    case TRACER_PRESTATE: ps_step(r, s); break;
    default: break; /* derived tracers run as TRACER_CALL */
    }
}

static void hook_halt(evm_tracer *t, int depth, evm_status st, int64_t gas, int64_t refund) {
    trace_run *r = run_of(t);
    tr_frame *f = &r->frames[depth];
    f->halted = true;
    f->halt_status = st;
    f->halt_gas = gas;
    f->error[0] = 0;
    if (r->vm_on && r->has_pending && r->pending.depth == depth) {
        int64_t failed_cost = 0;
        vm_pops pops = VM_POPS;
        if (st != EVM_SUCCESS && st != EVM_REVERT)
            revm_failed_step(&r->pending, st, r->fork, evm_max_initcode_size(r->max_code_size), &failed_cost, &pops);
        vm_halt(r, depth, st, gas, failed_cost, pops);
    }
    if (!r->has_pending || r->pending.depth != depth) return;
    f->halt_op = r->pending.op;
    if (r->cfg->revm_frames && st != EVM_SUCCESS && st != EVM_REVERT && st != EVM_OUT_OF_GAS) {
        int64_t charged = 0;
        vm_pops pops;
        revm_failed_step(&r->pending, st, r->fork, evm_max_initcode_size(r->max_code_size), &charged, &pops);
        f->revm_left = r->pending.gas - charged;
    }
    /* (an opcode of a later fork is not activated before the frame is looked at) */
    f->halt_static_write = st != EVM_SUCCESS && st != EVM_UNDEFINED_INSTRUCTION && r->pending.msg->is_static &&
                           static_write_op(f->halt_op) && r->pending.gas >= revm_static(&r->pending);
    f->halt_static_value = revm_refuses_call_value(&r->pending, st);
    int later;
    f->halt_later_oog = st == EVM_UNDEFINED_INSTRUCTION && revm_op_name(f->halt_op, &later) && later > r->pending.gas;
    f->halt_initcode_too_big = st == EVM_OUT_OF_GAS && (f->halt_op == OP_CREATE || f->halt_op == OP_CREATE2) &&
                               r->fork >= FORK_SHANGHAI &&
                               (!u256_fits_u64(&r->pending.top[2]) ||
                                r->pending.top[2].w[0] > evm_max_initcode_size(r->max_code_size));
    int64_t cost = r->pending.gas - gas;
    bool pre = false;
    if (st != EVM_SUCCESS) classify(r, &r->pending, st, f->error, sizeof f->error, &pre, &cost);
    finish(r, cost, refund, true, st, pre ? f->error : NULL);
}

static void hook_enter(evm_tracer *t, const evm_message *msg, const address *from, const address *to,
                       int64_t caller_gas) {
    trace_run *r = run_of(t);
    int d = msg->depth;
    int64_t parent_refund = 0;
    if (r->has_pending && r->pending.depth == d - 1) {
        parent_refund = r->pending.refund;
        /* the CALL family's cost includes the callee's gas; CREATE's not */
        bool create = msg->kind == EVM_CREATE || msg->kind == EVM_CREATE2;
        int64_t after = caller_gas + (create ? msg->gas : 0);
        uint8_t op = r->pending.op;
        finish(r, r->pending.gas - after, parent_refund, false, EVM_SUCCESS, NULL);
        if (r->cfg->kind == TRACER_OPCODE_GAS && !create) og_callee(r, op, msg->gas);
    }
    tr_frame *f = &r->frames[d];
    memset(f, 0, sizeof *f);
    f->refund_base = r->frames[d - 1].refund_base + parent_refund;
    if (r->cfg->kind != TRACER_CALL) return;
    address target;
    if (to) {
        target = *to;
    } else if (msg->kind == EVM_CREATE) {
        target = create_address(&msg->sender, overlay_nonce(r->ov, &msg->sender));
    } else {
        target = create2_address(&msg->sender, &msg->salt, msg->input, msg->input_size);
    }
    cl_enter(r, d, trace_kind_op(msg->kind), from, &target, msg->input, msg->input_size, (uint64_t)msg->gas,
             msg->kind == EVM_STATICCALL ? NULL : &msg->value);
    if (r->vm_on) vm_enter(r, msg, &target, caller_gas);
}

static void hook_exit(evm_tracer *t, const evm_message *msg, const evm_result *res) {
    trace_run *r = run_of(t);
    if (r->cfg->kind != TRACER_CALL) return;
    char buf[112];
    const char *err = res->status == EVM_PRECOMPILE_FAILURE
                          ? precompile_error(&msg->code_address, msg->input, msg->input_size, msg->gas)
                          : frame_error(r, msg->depth, res->status, res->output, res->output_size, buf, sizeof buf);
    bool out = res->status == EVM_SUCCESS || res->status == EVM_REVERT;
    if (r->cfg->revm_frames) {
        bool create = msg->kind == EVM_CREATE || msg->kind == EVM_CREATE2;
        r->cl.exit_status = revm_frame_status(r, msg->depth, res->status, create ? NULL : &msg->code_address,
                                              res->output, res->output_size);
        r->cl.exit_raw = res->output;
        r->cl.exit_raw_len = res->output_size;
        r->cl.exit_gas = revm_frame_gas(r, msg->depth, res->status,
                                        !create && precompile_is_active(&msg->code_address, r->fork), msg->gas,
                                        (uint64_t)(msg->gas - res->gas_left));
    }
    const char *perr = r->cfg->record_parity_errors
                           ? parity_frame_error(r, msg->depth, res->status, res->output, res->output_size)
                           : NULL;
    cl_exit(r, msg->depth, out ? res->output : NULL, out ? res->output_size : 0, (uint64_t)(msg->gas - res->gas_left),
            err, res->status == EVM_REVERT, perr);
    if (r->vm_on) vm_exit(r, msg->depth);
}

/* ---- one transaction ---- */

static void run_init(trace_run *r, const trace_config *cfg, executor *ex, const block_env *env, state_view view,
                     uint64_t log_index) {
    memset(r, 0, sizeof *r);
    r->base.step = hook_step;
    r->base.halt = hook_halt;
    r->base.enter = hook_enter;
    r->base.exit = hook_exit;
    r->base.ctx = r;
    r->cfg = cfg;
    r->fork = env->fork;
    r->max_code_size = env->max_code_size;
    r->ex = ex;
    r->ov = executor_overlay(ex);
    r->pre = view;
    r->log_index = log_index;
    r->frames = calloc(TR_MAX_DEPTH + 2, sizeof *r->frames);
    if (!r->frames) abort();
    switch (cfg->kind) {
    case TRACER_STRUCT_LOG: lg_init(r); break;
    case TRACER_CALL: cl_init(r); break;
    case TRACER_PRESTATE: ps_init(r); break;
    case TRACER_OPCODE_GAS: og_init(r); break;
    default: break; /* derived tracers run as TRACER_CALL */
    }
}

static void run_free(trace_run *r) {
    switch (r->cfg->kind) {
    case TRACER_STRUCT_LOG: lg_free(r); break;
    case TRACER_CALL: cl_free(r); break;
    case TRACER_PRESTATE: ps_free(r); break;
    case TRACER_OPCODE_GAS: og_free(r); break;
    default: break; /* derived tracers run as TRACER_CALL */
    }
    vm_free(r);
    free(r->frames);
}

/* The tracers derived from callTracer's tree run it (whole, without logs). */
static const trace_config *run_config(const trace_config *cfg, trace_config *calls) {
    if (cfg->kind != TRACER_FLAT_CALL && cfg->kind != TRACER_FOUR_BYTE && cfg->kind != TRACER_NOOP &&
        cfg->kind != TRACER_PARITY)
        return cfg;
    *calls = *cfg;
    calls->kind = TRACER_CALL;
    calls->only_top_call = calls->with_log = false;
    calls->record_parity_errors = cfg->kind == TRACER_PARITY;
    calls->parity_vm_trace = cfg->kind == TRACER_PARITY && cfg->parity_vm_trace;
    calls->vm_trace_budget = cfg->vm_trace_budget;
    return calls;
}

json_t *trace_tx_on(const trace_config *cfg, executor *ex, const block_env *env, state_view view,
                    code_store *codes, const transaction *tx, uint64_t block_gas_used, uint64_t log_index,
                    bool call, tx_result *res_out, char *err, size_t errlen) {
    return trace_tx_at(cfg, ex, env, view, codes, tx, block_gas_used, log_index, call, NULL, res_out, err, errlen);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* muxTracer: each named tracer's own run of the transaction (all alike:
 * the caller applies the last run's changes), {name: result}. */
static json_t *trace_mux(const trace_config *mux, executor *ex, const block_env *env, state_view view,
                         code_store *codes, const transaction *tx, uint64_t block_gas_used, uint64_t log_index,
                         bool call, const trace_tx_context *where, tx_result *res_out, char *err, size_t errlen) {
    json_t *out = trace_take(json_object());
    json_t *tracers = mux->mux[0] ? json_loads(mux->mux, 0, NULL) : NULL;
    /* by name, as geth's result (a Go map) comes out */
    size_t n = json_object_size(tracers), k = 0;
    const char **names = calloc(n + 1, sizeof *names);
    if (!names) abort();
    const char *name;
    json_t *tc;
    json_object_foreach(tracers, name, tc) names[k++] = name;
    qsort(names, n, sizeof *names, cmp_names);
    tx_result res;
    memset(&res, 0, sizeof res);
    for (k = 0; k < n; k++) {
        name = names[k];
        tc = json_object_get(tracers, name);
        trace_config sub;
        json_t *r = NULL;
        if (trace_config_mux_entry(mux, name, tc, &sub, err, errlen))
            r = trace_tx_at(&sub, ex, env, view, codes, tx, block_gas_used, log_index, call, where, &res, err, errlen);
        if (!r) {
            free(names);
            json_decref(out);
            json_decref(tracers);
            if (res_out) *res_out = res;
            return NULL;
        }
        trace_set(out, name, r);
    }
    free(names);
    if (!json_object_size(tracers)) { /* no tracer: the transaction still runs, as geth's */
        trace_config noop = {.kind = TRACER_NOOP, .has_timeout = mux->has_timeout, .timeout_ns = mux->timeout_ns};
        json_decref(trace_tx_at(&noop, ex, env, view, codes, tx, block_gas_used, log_index, call, where, &res, err,
                                errlen));
    }
    json_decref(tracers);
    if (res_out) *res_out = res;
    return out;
}

json_t *trace_tx_at(const trace_config *asked, executor *ex, const block_env *env, state_view view, code_store *codes,
                    const transaction *tx, uint64_t block_gas_used, uint64_t log_index, bool call,
                    const trace_tx_context *where, tx_result *res_out, char *err, size_t errlen) {
    if (asked->kind == TRACER_MUX)
        return trace_mux(asked, ex, env, view, codes, tx, block_gas_used, log_index, call, where, res_out, err, errlen);
    trace_config calls;
    const trace_config *cfg = run_config(asked, &calls);
    if (cfg->timeout_error[0]) { /* geth parses the timeout just before it runs the transaction */
        if (res_out) memset(res_out, 0, sizeof *res_out); /* not run: not valid */
        snprintf(err, errlen, "%s", cfg->timeout_error);
        return NULL;
    }
    trace_run *r = malloc(sizeof *r);
    if (!r) abort();
    run_init(r, cfg, ex, env, view, log_index);
    uint64_t nonce = tx->nonce;
    if (call) {
        account_info info;
        view.ops->get_account(view.ctx, &tx->sender, FIELD_NONCE, &info);
        nonce = info.nonce;
    }
    address to = tx->has_to ? tx->to : create_address(&tx->sender, nonce);
    if (cfg->kind == TRACER_CALL)
        cl_enter(r, 0, tx->has_to ? 0xf1 : 0xf0, &tx->sender, &to, tx->data, tx->data_len, tx->gas_limit, &tx->value);
    if (cfg->kind == TRACER_PRESTATE) ps_start(r, tx, &to, env);
    if ((r->vm_on = cfg->parity_vm_trace)) vm_begin(r, &to);

    tx_result res;
    if (cfg->has_timeout) {
        r->timed = true;
        int64_t now = trace_clock_ns();
        r->deadline = cfg->timeout_ns > INT64_MAX - now ? INT64_MAX : now + cfg->timeout_ns;
    }
    executor_set_tracer(ex, &r->base);
    if (call)
        exec_call_with(ex, env, view, codes, tx, cfg->call_options, &res);
    else
        exec_transaction(ex, env, view, codes, tx, block_gas_used, &res);
    executor_set_tracer(ex, NULL);
    if (res_out) *res_out = res;

    json_t *out = NULL;
    if (!res.valid) {
        /* geth's tracers answer core's error in full; reth's keep the reason */
        char why[320];
        const char *e = res.error ? res.error : "invalid transaction";
        if (asked->kind == TRACER_PARITY || asked->kind == TRACER_OPCODE_GAS ||
            !trace_invalid_reason(view, env, tx, e, why, sizeof why))
            snprintf(why, sizeof why, "%s", e);
        snprintf(err, errlen, "tracing failed: %s", why);
    } else if (r->vm_on && vm_too_big(r)) {
        snprintf(err, errlen, "vmTrace too large");
    } else if (r->timed && (r->timed_out || trace_clock_ns() >= r->deadline)) {
        /* geth's timer would have stopped the tracer by now: its result is the error */
        snprintf(err, errlen, "execution timeout");
    } else {
        if (r->has_pending) r->has_pending = false; /* cannot happen: every frame halts */
        char buf[112];
        const char *ferr =
            res.status == EVM_PRECOMPILE_FAILURE && tx->has_to
                ? precompile_error(&tx->to, tx->data, tx->data_len, (int64_t)(tx->gas_limit - tx_intrinsic_gas(tx, env->fork)))
                : frame_error(r, 0, res.status, res.output, res.output_size, buf, sizeof buf);
        switch (cfg->kind) {
        case TRACER_STRUCT_LOG: out = lg_result(r, &res); break;
        case TRACER_CALL: {
            bool o = res.status == EVM_SUCCESS || res.status == EVM_REVERT;
            const char *perr = cfg->record_parity_errors
                                   ? parity_frame_error(r, 0, res.status, res.output, res.output_size)
                                   : NULL;
            if (cfg->revm_frames) {
                int64_t gas, left;
                executor_top_frame(ex, &gas, &left);
                r->cl.exit_status = revm_frame_status(r, 0, res.status, tx->has_to ? &tx->to : NULL, res.output,
                                                      res.output_size);
                r->cl.exit_raw = res.output;
                r->cl.exit_raw_len = res.output_size;
                r->cl.exit_gas = revm_frame_gas(r, 0, res.status, tx->has_to && precompile_is_active(&tx->to, r->fork),
                                                gas, (uint64_t)(gas - left));
            }
            cl_exit(r, 0, o ? res.output : NULL, o ? res.output_size : 0, res.gas_used, ferr,
                    res.status == EVM_REVERT, perr);
            out = cl_result(r, &res);
            break;
        }
        case TRACER_PRESTATE: out = ps_result(r, executor_changes(ex)); break;
        case TRACER_OPCODE_GAS: out = og_result(r); break;
        default: break;
        }
        if (out && asked->kind == TRACER_PARITY) {
            int64_t gas, left;
            executor_top_frame(ex, &gas, &left);
            parity_input in = {.calls = out, .fork = env->fork, .where = where, .top_gas = (uint64_t)gas,
                               .top_gas_used = (uint64_t)(gas - left), .res = &res, .pre = view,
                               .changes = executor_changes(ex), .vm_trace = r->vm_on ? vm_result(r) : NULL, .ov = executor_overlay(ex)};
            out = trace_parity(asked, &in);
        } else if (out && cfg != asked) {
            out = trace_derive(asked, out, env->fork, where);
        }
    }
    run_free(r);
    free(r);
    return out;
}
