/* Internal tables and helpers shared by the interpreter's source files. */
#ifndef PAREVM_EVM_INTERNAL_H
#define PAREVM_EVM_INTERNAL_H

#include "parevm/buf.h"
#include "parevm/evm.h"

/* OP_<NAME> = opcode value; IN_/OUT_ = stack items taken/left; BASE_GAS_
 * the static cost when the opcode was introduced. */
enum {
#define X(code, name, in, out, gas, since) OP_##name = code, IN_##name = in, OUT_##name = out, BASE_GAS_##name = gas,
#include "opcodes.def"
#undef X
};

/* The opcodes whose static cost a later fork changed (gas_tables.c lists
 * the changes and checks they are all here). The interpreter reads their
 * cost from the fork's table; every other opcode's is the constant
 * BASE_GAS_, which the compiler folds into the instruction. */
#define REPRICED_OPCODES(R) \
    R(BALANCE) R(EXTCODESIZE) R(EXTCODECOPY) R(EXTCODEHASH) R(SLOAD) R(CALL) R(CALLCODE) R(DELEGATECALL) \
    R(STATICCALL) R(SELFDESTRUCT)
static const bool evm_repriced[256] = {
#define R(name) [OP_##name] = true,
    REPRICED_OPCODES(R)
#undef R
};

#define EVM_STACK_LIMIT 1024
#define EVM_MAX_DEPTH 1024

/* Gas constants that instructions charge dynamically. */
enum {
    GAS_COLD_SLOAD = 2100,
    GAS_COLD_ACCOUNT = 2600,
    GAS_WARM_ACCESS = 100,
    GAS_CALL_VALUE = 9000,
    GAS_CALL_STIPEND = 2300,
    GAS_NEW_ACCOUNT = 25000,
    GAS_SSTORE_SET = 20000,
    GAS_SSTORE_RESET = 5000,
    GAS_SELFDESTRUCT_REFUND = 24000,
    GAS_CODE_DEPOSIT = 200,
};

/* Per-fork instruction tables, immutable after first use. */
typedef struct {
    int32_t gas[FORK_COUNT][256];  /* static cost; -1: undefined in that fork */
    const char *name[256];         /* NULL for unassigned opcodes */
    uint8_t stack_in[256], stack_out[256];
} evm_tables;

const evm_tables *evm_get_tables(void);

/* Jump-destination bitmap of code into bits ((len / 64 + 1) words). */
void evm_code_analyze_into(const uint8_t *code, size_t len, uint64_t *bits);

/* Memory of one call frame: grows in 32-byte words, zero-filled. */
typedef struct {
    uint8_t *data;
    size_t size; /* bytes in use (multiple of 32) */
    size_t cap;
} evm_memory;

typedef struct evm_keccak_memo evm_keccak_memo;

/* The per-thread VM: scratch for each call depth, reused across calls so
 * that running a frame allocates nothing once buffers have grown. */
struct evm_vm {
    u256 *stack_area;                   /* (EVM_MAX_DEPTH+1) stacks, mmap'd lazily */
    size_t stack_area_bytes;
    evm_memory mem[EVM_MAX_DEPTH + 1];
    buf_t ret[EVM_MAX_DEPTH + 1];       /* last child's return data, per depth */
    buf_t precompile_out[EVM_MAX_DEPTH + 1];
    struct scratch_code {
        evm_code code;
        buf_t bytes;
        buf_t jumpdests;
    } *init_code;                       /* EVM_MAX_DEPTH + 1 entries, lazily */
    evm_tracer *tracer;
    const void *const *jump[FORK_COUNT]; /* untraced dispatch tables */
    size_t mem_committed;               /* sum of mem[].cap */
    bool mem_exhausted;                 /* a growth failed (evm_vm_memory_exhausted) */
    evm_keccak_memo *keccak_memo;       /* keccak_memo.c; allocated at the first use */
};

/* KECCAK256 of p[0..len): through vm's memo for inputs of up to 64 bytes
 * (keccak_memo.c), which it allocates at the first use (abort when out of
 * memory); evm_vm_free frees it with evm_keccak_memo_free. */
bytes32 evm_keccak(evm_vm *vm, const uint8_t *p, size_t len);
void evm_keccak_memo_free(evm_vm *vm);

/* The most memory one VM's frames may hold together. A block's gas limit
 * keeps real transactions to megabytes, but a state test may give 2^63 gas:
 * 1024 frames could then pay for more memory than any machine has. */
#define EVM_MEMORY_BUDGET ((size_t)4 << 30)
/* Above this, a VM frees its frames' memory before the next transaction. */
#define EVM_MEMORY_KEEP ((size_t)256 << 20)

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif

/* One executing call frame. The interpreter loop keeps gas and the stack
 * pointer in locals and syncs them here around calls to the helpers below. */
typedef struct {
    evm_vm *vm;
    const evm_host *host;
    const evm_tx_context *tx;
    const evm_message *msg;
    const evm_code *code;
    fork_id fork;
    int64_t gas;
    int64_t refund;
    u256 *sp;            /* top item; sp == floor when empty */
    u256 *floor;
    evm_memory *mem;
    buf_t *ret;          /* return data of the last child call */
    const uint8_t *out;  /* RETURN/REVERT data */
    size_t out_len;
    u256_mulmod_cache mulmod; /* MULMOD's last modulus and its reciprocal */
} evm_frame;

#define MEM_LIMIT 0xffffffffULL /* offsets beyond 4 GiB can never be paid for */

/* Charges for and zero-extends memory to cover end bytes (end <= 2*MEM_LIMIT).
 * Returns false on out of gas. */
bool evm_mem_grow(evm_frame *f, uint64_t end);

static inline int64_t evm_memory_cost(uint64_t words) { return (int64_t)(3 * words + words * words / 512); }

/* evm_mem_grow's common case, inlined into the loop: the growth fits the
 * frame's allocation and *gas pays for it. Otherwise (allocator, out of
 * gas) false, and nothing changed: the caller takes evm_mem_grow's way. */
static inline bool evm_mem_grow_in_place(evm_memory *m, uint64_t end, int64_t *gas) {
    uint64_t new_words = (end + 31) / 32;
    size_t new_size = new_words * 32;
    int64_t cost = evm_memory_cost(new_words) - evm_memory_cost(m->size / 32);
    if (new_size > m->cap || *gas < cost) return false;
    *gas -= cost;
    memset(m->data + m->size, 0, new_size - m->size);
    m->size = new_size;
    return true;
}

/* Ensures [off, off+len) is addressable, charging expansion gas. Zero len
 * touches nothing, whatever the offset. False means out of gas. */
static inline bool evm_mem_touch(evm_frame *f, const u256 *off, const u256 *len) {
    if (u256_is_zero(len)) return true;
    if (!u256_fits_u64(off) || !u256_fits_u64(len) || off->w[0] > MEM_LIMIT || len->w[0] > MEM_LIMIT)
        return false;
    uint64_t end = off->w[0] + len->w[0];
    return end <= f->mem->size || evm_mem_grow(f, end);
}

static inline int64_t evm_words(uint64_t bytes) { return (int64_t)((bytes + 31) / 32); }

/* Copies len bytes of src (src_len long) starting at src_off into dst,
 * zero-filling whatever lies past the end of src. */
void evm_copy_padded(uint8_t *dst, const uint8_t *src, size_t src_len, const u256 *src_off, size_t len);

/* Complex instructions (instructions.c). Each pops its operands from f->sp,
 * pushes its result and returns EVM_SUCCESS to continue, or the halt status. */
evm_status evm_op_sstore(evm_frame *f);
evm_status evm_op_log(evm_frame *f, int n_topics);
evm_status evm_op_call(evm_frame *f, uint8_t op);
evm_status evm_op_create(evm_frame *f, uint8_t op);
/* The same for the traced loop: they also report the nested message to the
 * VM's tracer (enter/exit), including one that fails before running. */
evm_status evm_op_call_traced(evm_frame *f, uint8_t op);
evm_status evm_op_create_traced(evm_frame *f, uint8_t op);
evm_status evm_op_selfdestruct(evm_frame *f);
evm_status evm_op_extcodecopy(evm_frame *f);
