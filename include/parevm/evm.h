/* The EVM interpreter's contract.
 *
 * The interpreter executes one call frame's code. Everything it needs from the
 * world goes through evm_host: a small table of functions (an EVMC-like host
 * interface) implemented by the state layer's journaled overlay. The
 * interpreter never sees storage, so the same interpreter runs over the
 * sequential executor, Block-STM's multi-version memory or an LMDB snapshot.
 *
 * Threading: an evm_vm holds the per-thread scratch (stack, memory and
 * return-data buffers for every call depth). Use one evm_vm per thread; any
 * number of threads may run at once. evm_code objects are immutable once
 * published and may be shared between threads. */
#ifndef PAREVM_EVM_H
#define PAREVM_EVM_H

#include <stdatomic.h>
#include "fork.h"
#include "u256.h"

/* ---- Code ------------------------------------------------------------- */

/* Contract code with its jump-destination analysis. The bytes are followed
 * by EVM_CODE_PADDING zero bytes so PUSH32 at the end and running off the end
 * (an implicit STOP) need no bounds checks. The analysis is computed on first
 * execution and published with one atomic store; it is a pure function of the
 * bytes, so racing threads compute the same bitmap. */
#define EVM_CODE_PADDING 33
typedef struct evm_code {
    bytes32 hash;
    size_t len;
    const uint8_t *bytes;               /* len + EVM_CODE_PADDING readable bytes */
    const uint64_t *_Atomic jumpdests;  /* bit i set: i is a JUMPDEST; lazy */
} evm_code;

/* Allocates code (one block, bytes copied). hash may be NULL (computed). */
evm_code *evm_code_new(const uint8_t *bytes, size_t len, const bytes32 *hash);
void evm_code_free(evm_code *code);
/* The jump-destination bitmap, computing and publishing it on first use. */
const uint64_t *evm_code_jumpdests(const evm_code *code);
/* The shared empty code object (immutable). */
extern const evm_code EVM_EMPTY_CODE;

/* ---- Messages and results ---------------------------------------------- */

typedef enum {
    EVM_SUCCESS = 0,
    EVM_REVERT,
    /* exceptional halts: all remaining gas is consumed */
    EVM_OUT_OF_GAS,
    EVM_UNDEFINED_INSTRUCTION,
    EVM_INVALID_INSTRUCTION,     /* 0xFE */
    EVM_STACK_UNDERFLOW,
    EVM_STACK_OVERFLOW,
    EVM_BAD_JUMP_DESTINATION,
    EVM_INVALID_MEMORY_ACCESS,   /* RETURNDATACOPY out of bounds */
    EVM_STATIC_MODE_VIOLATION,
    EVM_PRECOMPILE_FAILURE,
    EVM_CREATE_COLLISION,
    EVM_CONTRACT_VALIDATION_FAILURE, /* code size limit, 0xEF prefix */
    EVM_INITCODE_SIZE_EXCEEDED,
    EVM_CALL_DEPTH_EXCEEDED,     /* internal: not an exceptional halt */
    EVM_INSUFFICIENT_BALANCE,    /* internal: not an exceptional halt */
    EVM_NONCE_OVERFLOW,          /* internal: not an exceptional halt */
} evm_status;

const char *evm_status_name(evm_status s);
/* Mnemonic of an opcode ("PUSH1"), or NULL if unassigned. */
const char *evm_opcode_name(uint8_t op);
/* Stack items an assigned opcode needs (*in) and leaves in their place
 * (*out); false for an unassigned one. */
bool evm_opcode_stack(uint8_t op, int *in, int *out);
/* The static cost of op in fork, or -1 where fork does not define it. */
int evm_opcode_cost(uint8_t op, fork_id fork);

typedef enum { EVM_CALL, EVM_CALLCODE, EVM_DELEGATECALL, EVM_STATICCALL, EVM_CREATE, EVM_CREATE2 } evm_call_kind;

typedef struct {
    evm_call_kind kind;
    bool is_static;
    int depth;
    int64_t gas;
    address recipient;     /* the executing account (new address for creates: set by host) */
    address sender;        /* CALLER */
    address code_address;  /* whose code runs (differs for CALLCODE/DELEGATECALL) */
    u256 value;            /* CALLVALUE (apparent for DELEGATECALL) */
    const uint8_t *input;
    size_t input_size;
    bytes32 salt;          /* CREATE2 */
    /* EIP-7702: code_address is the target of the called account's delegation
     * designator. Its code runs as it is (one hop: a designator found there
     * is not followed), and a precompile there runs as empty code. */
    bool code_delegated;
} evm_message;

typedef struct {
    evm_status status;
    int64_t gas_left;
    int64_t gas_refund;      /* refund counter delta of this frame (incl. children) */
    const uint8_t *output;   /* valid until the next frame runs at the same depth */
    size_t output_size;
    address create_address;  /* for creates, on success */
} evm_result;

/* Block and transaction environment, constant for a transaction. */
typedef struct {
    fork_id fork;
    address origin;
    u256 gas_price;
    address coinbase;
    uint64_t number;
    uint64_t timestamp;
    uint64_t gas_limit;
    u256 prevrandao;        /* DIFFICULTY before the Merge */
    u256 chain_id;
    u256 base_fee;
    u256 blob_base_fee;
    const bytes32 *blob_hashes;
    size_t n_blob_hashes;
    /* a chain's own contract size limit (anvil's --code-size-limit): 0
     * EIP-170's 24576 bytes (from Spurious Dragon), EVM_NO_CODE_SIZE_LIMIT
     * none; init code may be twice as large (EIP-3860, from Shanghai) */
    uint32_t max_code_size;
} evm_tx_context;

#define EVM_NO_CODE_SIZE_LIMIT UINT32_MAX

/* The largest code a creation may deposit, and the largest init code (from
 * Shanghai), under max_code_size (evm_tx_context's). */
static inline uint64_t evm_max_code_size(uint32_t max_code_size) {
    if (max_code_size == EVM_NO_CODE_SIZE_LIMIT) return UINT64_MAX;
    return max_code_size ? max_code_size : 24576;
}
static inline uint64_t evm_max_initcode_size(uint32_t max_code_size) {
    if (max_code_size == EVM_NO_CODE_SIZE_LIMIT) return UINT64_MAX;
    return 2 * evm_max_code_size(max_code_size);
}

/* ---- EIP-7702 delegation designators --------------------------------------- */

#define EVM_DELEGATION_SIZE 23 /* 0xef 0x01 0x00 || 20-byte address */

/* Whether code is a delegation designator 0xef0100 || address; if so sets
 * *target (may be NULL). Only meaningful from Prague: callers check the fork. */
static inline bool evm_delegation_target(const uint8_t *code, size_t len, address *target) {
    if (len != EVM_DELEGATION_SIZE || code[0] != 0xef || code[1] != 0x01 || code[2] != 0x00) return false;
    if (target) memcpy(target->b, code + 3, 20);
    return true;
}

/* ---- Host interface ------------------------------------------------------ */

/* Storage-write outcome, from which the interpreter derives gas and refunds
 * for each fork (EIP-2200/EIP-3529 "original / current / new" cases). */
typedef struct {
    u256 original; /* value at the start of the transaction */
    u256 current;  /* value before this write */
} evm_sstore_info;

typedef struct evm_host_ops {
    /* EIP-2929 access lists: mark warm, return true if it was cold. */
    bool (*access_account)(void *host, const address *addr);
    bool (*access_storage)(void *host, const address *addr, const u256 *key);

    bool (*account_exists)(void *host, const address *addr);
    /* EIP-161 emptiness: nonce == 0, balance == 0, no code. */
    bool (*account_is_empty)(void *host, const address *addr);
    u256 (*get_balance)(void *host, const address *addr);
    /* Code of an account (EVM_EMPTY_CODE if none); never NULL. */
    const evm_code *(*get_code)(void *host, const address *addr);
    /* EXTCODEHASH: zero for non-existent or empty accounts (EIP-1052/161). */
    bytes32 (*get_code_hash)(void *host, const address *addr);

    u256 (*sload)(void *host, const address *addr, const u256 *key);
    /* Writes value; reports the original and previous current value. */
    void (*sstore)(void *host, const address *addr, const u256 *key, const u256 *value,
                   evm_sstore_info *info);
    u256 (*tload)(void *host, const address *addr, const u256 *key);
    void (*tstore)(void *host, const address *addr, const u256 *key, const u256 *value);

    void (*emit_log)(void *host, const address *addr, const bytes32 *topics, size_t n_topics,
                     const uint8_t *data, size_t data_len);
    /* SELFDESTRUCT: moves the balance to beneficiary and marks the account
     * (per EIP-6780 from Cancun). Returns true if the account was not already
     * marked in this transaction (pre-London refund). */
    bool (*selfdestruct)(void *host, const address *addr, const address *beneficiary);

    /* Executes a nested message (CALL*, CREATE*), including value transfer,
     * precompiles, account creation and rollback on failure. msg->depth is
     * the child's depth; the caller has checked depth and balance. */
    evm_result (*call)(void *host, const evm_message *msg);

    bytes32 (*get_block_hash)(void *host, uint64_t number);
} evm_host_ops;

typedef struct {
    const evm_host_ops *ops;
    void *ctx;
} evm_host;

/* ---- Tracing ------------------------------------------------------------------ */

/* One instruction about to run, as a traced VM reports it (EIP-3155 and the
 * geth tracers of src/trace build on it). Pointers are valid during the call. */
typedef struct {
    int depth;                  /* 0 for the transaction's own frame */
    uint64_t pc;
    uint8_t op;
    int64_t gas;                /* before the instruction */
    int64_t static_cost;        /* the fork's static cost of op; -1 where op is undefined */
    const u256 *stack;          /* bottom first */
    int stack_size;
    const uint8_t *memory;      /* before any expansion by this instruction */
    size_t mem_size;
    int64_t refund;             /* this frame's refund counter (a child's joins when it succeeds) */
    const uint8_t *return_data; /* of the frame's last child call */
    size_t return_size;
    const evm_message *msg;     /* the frame's message (recipient owns the storage) */
    fork_id fork;
} evm_step;

/* Hooks of a traced VM. Only step is required; the others may be NULL. All
 * run only in the traced copy of the interpreter loop, so an untraced VM pays
 * nothing for them. */
typedef struct evm_tracer {
    /* Before each instruction. */
    void (*step)(struct evm_tracer *t, const evm_step *s);
    /* The frame at depth stopped running code: status is the interpreter's
     * (the host's code deposit rules come after), gas what was left at the
     * instruction that stopped it (negative when a charge could not be paid),
     * refund the frame's refund counter then. Frames that run no code
     * (precompiles, accounts without code) have no halt. */
    void (*halt)(struct evm_tracer *t, int depth, evm_status status, int64_t gas, int64_t refund);
    /* A CALL-family or CREATE-family instruction starts msg (msg->depth is
     * the new frame's), also when it fails before any code runs (call depth,
     * balance: then exit follows at once). from is the calling frame's
     * address, to the instruction's address operand (NULL for creates, whose
     * address the host derives), caller_gas the caller's gas once the
     * message's share has been taken (without the value stipend). */
    void (*enter)(struct evm_tracer *t, const evm_message *msg, const address *from, const address *to,
                  int64_t caller_gas);
    /* msg's result, before the caller uses it. */
    void (*exit)(struct evm_tracer *t, const evm_message *msg, const evm_result *r);
    void *ctx;
    /* Set by a hook (start it false) to abandon the execution, as geth's
     * evm.Cancel: the traced loop reads it after each step, and once it is
     * set every frame halts as out of gas at its next instruction (halt and
     * exit still report), so the transaction unwinds at once. Its result is
     * then meaningless: throw the execution's changes away. */
    bool stop;
} evm_tracer;

/* ---- The interpreter ------------------------------------------------------- */

typedef struct evm_vm evm_vm;

/* Creates a VM with scratch for every call depth (lazily committed memory). */
evm_vm *evm_vm_new(void);
void evm_vm_free(evm_vm *vm);
/* Attaches a tracer (NULL detaches). Tracing uses a separate copy of the
 * interpreter loop, so an untraced VM pays nothing for it. */
void evm_vm_set_tracer(evm_vm *vm, evm_tracer *tracer);
/* Whether a frame's memory could not grow (allocation failure, or the VM's
 * budget of 4 GiB for all frames together) since the last call; clears the
 * flag. The frame stopped as out of gas; the caller must not trust the
 * result (exec rejects the transaction). */
bool evm_vm_memory_exhausted(evm_vm *vm);

/* A code object for init code, built in the VM's scratch for `depth` with
 * its jump analysis done: valid until the next call for the same depth. It
 * allocates nothing once the scratch has grown, so an execution abandoned
 * midway (Block-STM aborts) leaks nothing. */
const evm_code *evm_vm_scratch_code(evm_vm *vm, int depth, const uint8_t *bytes, size_t len);

/* Runs code for msg. The result's output points into this VM's buffers and
 * stays valid until the next frame at msg->depth runs. */
evm_result evm_execute(evm_vm *vm, const evm_host *host, const evm_tx_context *tx,
                       const evm_message *msg, const evm_code *code);

/* ---- Precompiles ------------------------------------------------------------ */

/* True if addr is a precompile in fork (0x01..0x04 always, 0x05..0x08 from
 * Byzantium, 0x09 from Istanbul, 0x0a from Cancun, 0x0b..0x11 from Prague,
 * 0x100 from Osaka). Cheap: it decides the EIP-2929 always-warm set. */
bool precompile_is_active(const address *addr, fork_id fork);
/* Runs a precompile: charges gas, writes output into the VM's buffer for
 * depth. On failure all gas is consumed (EVM_PRECOMPILE_FAILURE or OOG). */
evm_result precompile_run(evm_vm *vm, const address *addr, fork_id fork,
                          const uint8_t *input, size_t len, int64_t gas, int depth);
/* A precompile's successful result with out[0..len) copied into the VM's
 * buffer for depth, as precompile_run leaves it (for a host that answers a
 * precompile itself: anvil's ecrecover overrides). */
evm_result precompile_answer(evm_vm *vm, int depth, int64_t gas_left, const uint8_t *out, size_t len);
/* geth's error for a call of precompile addr with input that failed with
 * EVM_PRECOMPILE_FAILURE when given gas: what geth's precompile returns
 * ("invalid input length", "bad elliptic curve pairing size", "invalid
 * final flag", the point decoders' reasons...), or "out of gas" where
 * geth prices a malformed input (an MSM or pairing input that is not
 * whole pairs, MODEXP past Osaka's bounds) above gas before it refuses
 * it. A static string; for tracers and RPC errors, off the hot path. */
const char *precompile_error(const address *addr, const uint8_t *input, size_t len, int64_t gas);
/* Highest address number of the contiguous precompiles 0x01.. in fork (4,
 * 8, 9, 10 or 17); Osaka's P256VERIFY at 0x100 lies outside that range. */
int precompile_count(fork_id fork);

#endif
