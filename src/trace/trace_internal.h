/* Shared by the files of src/trace (not a public contract): the layered
 * state, geth's spellings, and the run that turns the EVM's tracer hooks
 * into what geth's tracers see (finished steps with geth's gasCost, refund
 * and error; call frames entered and left) for the three tracers. */
#ifndef PAREVM_TRACE_INTERNAL_H
#define PAREVM_TRACE_INTERNAL_H

#include "parevm/exec.h"
#include "parevm/hashmap.h"
#include "parevm/trace.h"

/* ---- The layered state (trace_state.c) ---- */

typedef struct trace_state trace_state;

/* A layer over base (which must outlive it); new code is interned in the
 * layer's own code store. */
trace_state *trace_state_new(state_view base);
void trace_state_free(trace_state *s);
state_view trace_state_view(trace_state *s);
code_store *trace_state_codes(trace_state *s);
void trace_state_apply(trace_state *s, const change_set *cs);
/* Adds a BLOCKHASH answer the base does not have (or replaces one). */
void trace_state_set_block_hash(trace_state *s, uint64_t number, const bytes32 *hash);
/* Applies eth_call state overrides as geth does (fields set, "state"
 * replacing the storage, "stateDiff" patching it). NULL, or why not. */
const char *trace_state_override(trace_state *s, const rpc_state_override *o, fork_id fork);

/* ---- geth's spellings (trace_util.c) ---- */

/* abi.UnpackRevert: the reason of an Error(string) or Panic(uint256) revert,
 * malloc'd (caller frees), or NULL when data is neither. */
char *trace_revert_reason(const uint8_t *data, size_t len, size_t *out_len);
/* A JSON string of p[0..n) with ill-formed UTF-8 replaced by U+FFFD, as
 * Go's JSON encoder writes a Go string. */
json_t *trace_json_lossy(const uint8_t *p, size_t n);
json_t *trace_take(json_t *v);              /* v, or abort when out of memory */
json_t *trace_json_word(const u256 *v);     /* "0x" + 64 digits (a common.Hash) */
json_t *trace_json_quantity(const u256 *v); /* "0x1f": hexutil.Big, uint256.Hex */
void trace_set(json_t *obj, const char *key, json_t *v); /* json_object_set_new that aborts on failure */
void trace_append(json_t *arr, json_t *v);

/* ---- The timeout (trace_timeout.c) ---- */

/* Go's time.ParseDuration of s into *ns ([-+]? then one or more of digits
 * with an optional fraction and a unit: ns, us, µs, μs, ms, s, m, h; "0"
 * alone needs no unit). False with Go's error text in err ("time: invalid
 * duration \"x\"", "time: missing unit in duration ...", "time: unknown
 * unit \"u\" in duration ..."). */
bool trace_parse_duration(const char *s, int64_t *ns, char *err, size_t errlen);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t trace_clock_ns(void);

/* ---- The run (trace_core.c) ---- */

#define TR_TOP 7 /* stack items a step keeps (top first): LOG4 needs 6, CALL 7 */
#define TR_MAX_DEPTH 1024 /* the EVM's call depth limit */

/* A step as the run keeps it until its cost is known. */
typedef struct {
    int depth;
    uint64_t pc;
    uint8_t op;
    int64_t gas, static_cost;
    int64_t refund;          /* the frame's refund counter at the step */
    int stack_size;
    u256 top[TR_TOP];        /* top[0] is the top of the stack */
    uint64_t mem_size;       /* memory before the step */
    const evm_message *msg;
} tr_step;

/* A step as geth's OnOpcode would have reported it. */
typedef struct {
    const tr_step *s;
    int64_t cost;            /* gasCost */
    int64_t refund;          /* the transaction's refund counter after the step's gas rules */
    const char *error;       /* set when the step failed before it ran */
    bool halted;             /* its frame stopped on it, with status */
    evm_status status;
} tr_done;

typedef struct {
    int64_t refund_base;     /* refund counter of the transaction minus this frame's own */
    bool halted;             /* its interpreter loop stopped (it ran code) */
    evm_status halt_status;
    int64_t halt_gas;
    uint8_t halt_op;
    int64_t revm_left;       /* revm_frames: the gas revm had left after the step it halted on
                                (exceptional halts other than out of gas) */
    bool halt_initcode_too_big; /* it halted on a CREATE past the init code limit */
    bool halt_later_oog;        /* it halted on an opcode of a later fork whose static cost it could not pay */
    bool halt_static_write;  /* ... on a write revm refuses in a static frame */
    bool halt_static_value;  /* ... on a CALL with a value in a static frame, its static charge paid */
    char error[112];         /* geth's error for a failed halt */
} tr_frame;

/* ---- per-tracer state ---- */

typedef struct {
    address addr;
    u256 *keys, *vals;       /* sorted by key */
    size_t n, cap;
} lg_store;

/* The JSON strings of the last step's stack or memory words, by position:
 * consecutive steps share most of them, so an unchanged word reuses its
 * string (jansson values are reference counted) instead of a new one. */
typedef struct {
    uint8_t (*words)[32];
    json_t **strs;
    size_t n, cap;
} lg_words;

typedef struct {
    json_t *logs;
    lg_words stack_cache, memory_cache;
    int64_t size;            /* bytes of the entries so far, as Go encodes them */
    bool capturing;          /* the pending step is being logged (limit not reached) */
    json_t *stack, *memory, *ret, *storage; /* the pending step's captures */
    lg_store *stores;
    size_t n_stores, cap_stores;
} tr_logger;

typedef struct {
    uint8_t type;            /* the geth opcode: 0xf1 CALL ... 0xff SELFDESTRUCT */
    address from, to;
    bool has_to, has_value;
    json_t *input;
    uint64_t gas, gas_used;
    u256 value;
    json_t *calls, *logs;
    u256 (*sstores)[3];      /* revm_frames: {slot, value before, value after} in first-write order */
    size_t n_sstores, cap_sstores;
} cl_frame;

typedef struct {
    cl_frame *stack;
    int n, cap;
    int depth;               /* of the frame running now */
    json_t *top;             /* the finished top frame */
    json_t *pending_log;     /* a LOG step's log, added if the step succeeds */
    bool pending_sd;         /* a SELFDESTRUCT step's frame, likewise */
    bool pending_sstore;     /* revm_frames: an SSTORE step's write, likewise */
    u256 sstore[3];          /* its slot, the value before and the value written */
    /* revm_frames: the exiting frame's status name and raw output, set
     * before cl_exit */
    const char *exit_status;
    const uint8_t *exit_raw;
    size_t exit_raw_len;
    uint64_t exit_gas;       /* revm-inspectors' gas used */
    address sd_to;
    u256 sd_value;
} tr_calls;

typedef struct {
    address addr;
    bool empty;
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    word_map slots;
    u256 *order;             /* slot keys in lookup order */
    size_t n_order, cap_order;
} ps_account;

typedef struct {
    ps_account *accounts;
    size_t n, cap;
    addr_map index;
    addr_map created, deleted;
    address lookups[2];      /* the pending step's accounts to look up */
    int n_lookups;
    bool lookup_slot;
    u256 slot;
    bool mark_created, mark_deleted;
    address created_addr;
} tr_prestate;

typedef enum { VM_KEEPS, VM_POPS, VM_POPS_BUT_LAST, VM_POPS_THREE } vm_pops;

/* Parity's vmTrace (trace_vm.c): every frame entered, as revm-inspectors'
 * arena holds them, and the ones still open. */
typedef struct {
    json_t *ops;             /* its instructions */
    int *children;           /* attached children (node ids), in order */
    int n_children, cap_children;
    int parent;              /* -1 for the top frame */
    address code_addr;
} vm_node;

typedef struct {
    vm_node *nodes;
    int n_nodes, cap_nodes;
    int *open;               /* node ids by depth */
    int n_open, cap_open;
    int last_entered;        /* the node entered last */
    bool last_entered_stop;  /* ... and its last step so far is STOP */
    /* the step waiting for its cost and stack */
    bool pending;
    int pending_depth, pending_node, p_outputs;
    uint64_t p_pc;
    uint8_t p_op;
    int64_t p_gas, p_static;
    json_t *p_mem, *push_halt, *push_popped, *push_last; /* its stack's top if it keeps / pops / pops but the last of its inputs */
    json_t *push_three;      /* a CALL's, after its first three inputs (NULL for other ops) */
    /* the memory last written out, shared while it does not change */
    uint8_t *mem;
    size_t mem_len;
    json_t *mem_json;
    int64_t *budget;         /* cfg's vm_trace_budget, or NULL */
    bool too_big;            /* the budget ran out: no result */
} tr_vm;

typedef struct trace_run {
    evm_tracer base;
    const trace_config *cfg;
    fork_id fork;
    uint32_t max_code_size;  /* the chain's contract size limit (block_env's) */
    executor *ex;
    overlay *ov;
    state_view pre;          /* the state the transaction started from */
    uint64_t log_index;      /* block-level index of the transaction's first log */
    bool started;
    bool timed;              /* a deadline applies */
    bool timed_out;          /* it passed while the transaction ran: the EVM was told to stop */
    int64_t deadline;        /* trace_clock_ns() value */
    uint32_t clock_steps;    /* steps since the clock was last read */
    bool has_pending;
    tr_step pending;
    tr_frame *frames;        /* EVM depth + 1 of them */
    tr_logger lg;
    tr_calls cl;
    tr_prestate ps;
    bool vm_on;              /* Parity's vmTrace is recorded (with callTracer's run) */
    tr_vm vm;
    int64_t (*og)[2];        /* TRACER_OPCODE_GAS: per opcode {count, gas} */
} trace_run;

/* The geth opcode of a message kind (CALL 0xf1 ... CREATE2 0xf5). */
uint8_t trace_kind_op(evm_call_kind kind);
/* revm's name of op if its table has it in some fork (parevm's latest, or
 * a fork after them: EIP-7843's SLOTNUM, EIP-8024's DUPN/SWAPN/EXCHANGE),
 * and its static cost in *cost; NULL for an opcode revm does not know. */
const char *revm_op_name(uint8_t op, int *cost);

/* trace_api.c: the config of muxTracer's entry name (tracerConfig tc),
 * with mux's timeout; false with geth's error ("tracer not found"). */
bool trace_config_mux_entry(const trace_config *mux, const char *name, const json_t *tc, trace_config *out, char *err,
                            size_t errlen);

/* trace_opcode_gas.c */
void og_init(trace_run *r);
void og_free(trace_run *r);
void og_done(trace_run *r, const tr_done *d);
void og_callee(trace_run *r, uint8_t op, int64_t callee_gas);
json_t *og_result(trace_run *r);

/* trace_logger.c */
void lg_init(trace_run *r);
void lg_free(trace_run *r);
void lg_step(trace_run *r, const evm_step *s);
void lg_done(trace_run *r, const tr_done *d);
json_t *lg_result(trace_run *r, const tx_result *res);

/* trace_calls.c: frames enter with geth's OnEnter arguments and exit with OnExit's */
void cl_init(trace_run *r);
void cl_free(trace_run *r);
void cl_enter(trace_run *r, int depth, uint8_t type, const address *from, const address *to, const uint8_t *input,
              size_t input_len, uint64_t gas, const u256 *value);
void cl_exit(trace_run *r, int depth, const uint8_t *output, size_t output_len, uint64_t gas_used, const char *error,
             bool reverted, const char *parity_error);
void cl_step(trace_run *r, const evm_step *s);
void cl_done(trace_run *r, const tr_done *d);
json_t *cl_result(trace_run *r, const tx_result *res);

/* trace_prestate.c */
void ps_init(trace_run *r);
void ps_free(trace_run *r);
void ps_start(trace_run *r, const transaction *tx, const address *to, const block_env *env);
void ps_step(trace_run *r, const evm_step *s);
void ps_done(trace_run *r, const tr_done *d);
json_t *ps_result(trace_run *r, const change_set *cs);

/* trace_vm.c: Parity's vmTrace, recorded beside callTracer's tree */
void vm_begin(trace_run *r, const address *to);
void vm_step(trace_run *r, const evm_step *s);
void vm_enter(trace_run *r, const evm_message *msg, const address *code_addr, int64_t caller_gas);
/* failed_cost and pops: revm's charge of a step that failed, and what of
 * its inputs it had taken off the stack (trace_core.c) */
void vm_halt(trace_run *r, int depth, evm_status st, int64_t gas, int64_t failed_cost, vm_pops pops);
void vm_exit(trace_run *r, int depth);
json_t *vm_result(trace_run *r); /* the top frame's {code, ops} (new reference) */
void vm_free(trace_run *r);
bool vm_too_big(const trace_run *r); /* the request's vmTrace budget ran out */

/* ---- Tracers derived from callTracer's tree (trace_flat.c) ---- */

/* The result of the derived tracer cfg names (flatCallTracer, 4byteTracer,
 * noopTracer) from callTracer's tree `calls` (taken); fork decides which
 * addresses are precompiles; where is the transaction's place (NULL: none). */
json_t *trace_derive(const trace_config *cfg, json_t *calls, fork_id fork, const trace_tx_context *where);

/* ---- Parity's trace_* results (trace_parity.c) ---- */

/* What a TRACER_PARITY result is built from: callTracer's tree (with the
 * frames' "_parityError"), the top frame's own gas and use, the
 * transaction's result, and the state before it with its change set. */
typedef struct {
    json_t *calls;             /* taken */
    fork_id fork;
    const trace_tx_context *where;
    uint64_t top_gas, top_gas_used;
    const tx_result *res;
    state_view pre;
    const change_set *changes;
    json_t *vm_trace;          /* taken; NULL: not asked */
    overlay *ov;               /* the transaction's overlay (a destroyed account's slots) */
} parity_input;

/* {"output", "stateDiff", "trace", "vmTrace"} as cfg's trace types ask. */
json_t *trace_parity(const trace_config *cfg, const parity_input *in);

#endif
