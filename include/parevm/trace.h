/* geth-compatible transaction tracing (src/trace): what the node's
 * debug_traceTransaction, debug_traceBlockByNumber/ByHash and
 * debug_traceCall return, field for field as go-ethereum (v1.17) writes it.
 *
 *   - the default opcode logger: {"gas", "failed", "returnValue",
 *     "structLogs": [{pc, op, gas, gasCost, depth, error, stack, returnData,
 *     memory, storage, refund}...]} with geth's options disableStack,
 *     disableStorage, enableMemory, enableReturnData and limit;
 *   - "callTracer" (tracerConfig onlyTopCall, withLog): the tree of calls
 *     (CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2,
 *     SELFDESTRUCT) with gas, gasUsed, input, output, error, revertReason,
 *     value and logs with their position among the calls;
 *   - "prestateTracer" (tracerConfig diffMode, disableCode, disableStorage,
 *     includeEmpty): the accounts the transaction touched before it ran, or
 *     with diffMode the changed fields before and after;
 *   - "flatCallTracer" (tracerConfig convertParityErrors,
 *     includePrecompiles): callTracer's frames as Parity's flat list
 *     ({action, blockHash, blockNumber, error, result, subtraces,
 *     traceAddress, transactionHash, transactionPosition, type}); calls to
 *     precompiles dropped unless included;
 *   - "4byteTracer": {"0x<selector>-<argument bytes>": count} over the
 *     calls (CALL family, input of 4 bytes or more, precompiles aside);
 *   - "noopTracer": {}.
 *
 * And Parity's trace_* results as reth (revm-inspectors) writes them
 * (TRACER_PARITY, set by trace_config_parity; src/trace/trace_parity.c):
 * {"output", "stateDiff", "trace", "vmTrace"} where "trace" is the flat
 * list of frames ({action, result, error, subtraces, traceAddress, type},
 * each with blockHash, blockNumber, transactionHash, transactionPosition
 * when localized). Unlike geth's flatCallTracer: the top frame's gas is the
 * gas limit less the intrinsic gas and its gasUsed what the frame used
 * before refunds; a call to a precompile is left out only when it moves
 * no value (and is not the top frame); a SELFDESTRUCT is a "suicide" trace
 * after its frame's calls; errors have revm's names ("Reverted", "Out of
 * gas", "Bad instruction", "Bad jump destination", "Out of stack",
 * "StackUnderflow", "OutOfOffset", "CallTooDeep", "Insufficient balance
 * for transfer", "CreateCollision", "StateChangeDuringStaticCall",
 * "NotActivated" for an opcode of a later fork, "CreateInitCodeSizeLimit"
 * and "CreateContractSizeLimit" where geth says out of gas...); and, as
 * revm-inspectors does, a self-destruct that neither destroys its account
 * nor moves its balance (Cancun on, not created in the transaction, its
 * own beneficiary) is a "suicide" trace of zeros, as revm reports it since
 * 54b4bf451 (#3805). (Older revm read the transaction's last journal entry
 * instead, often its value transfer; anvil.mjs allows for that.)
 * stateDiff follows revm-inspectors' populate_state_diff: per changed
 * account, balance/nonce/code/storage as "=", {"+": v} (an account
 * created without a prior balance) or {"*": {"from", "to"}}. vmTrace is
 * revm-inspectors' (src/trace/trace_vm.c says what it holds).
 *
 * Tracing re-executes on a layer over a read-only state_view (the state is
 * never written) with the traced copy of the interpreter, so untraced
 * execution is not slowed. Every function here is safe to call from several
 * threads at once on views that allow it; each call makes its own executor.
 *
 * A failing precompile's frame error is geth's message for it
 * (precompile_error).
 *
 * Known differences from geth v1.17.5 (deliberate or not yet matched):
 *   - a CALL/CREATE-family instruction or EXTCODECOPY that runs out of gas
 *     before its callee starts reports as gasCost what parevm charged up to
 *     the failure (geth prices the rest of its dynamic gas; other memory
 *     instructions are priced as geth does), and a LOG or RETURNDATACOPY
 *     failing while it runs (static frame, return data out of bounds) the
 *     cost charged so far;
 *   - prestateTracer's diffMode reports codeHash in post only when the code
 *     changed; v1.17.5 also writes a zero codeHash for every looked-up
 *     account that does not exist after the transaction (a regression of
 *     its #34675);
 *   - state overrides of precompile addresses and movePrecompileToAddress
 *     are refused, block overrides do not change the fork, and the
 *     "overrides" (chain config) option is ignored;
 *   - "timeout" is checked on the tracer's own clock (every 1,024
 *     instructions and when the transaction ends) rather than by geth's
 *     timer goroutine, which races the transaction: with a timeout <= 0
 *     geth usually, parevm always, answers "execution timeout".
 */
#ifndef PAREVM_TRACE_H
#define PAREVM_TRACE_H

#include <jansson.h>
#include "block_exec.h"
#include "rpc_codec.h"

typedef enum {
    TRACER_STRUCT_LOG,
    TRACER_CALL,
    TRACER_PRESTATE,
    TRACER_FLAT_CALL,          /* flatCallTracer: callTracer's tree, flattened (trace_flat.c) */
    TRACER_FOUR_BYTE,          /* 4byteTracer: callTracer's tree, counted */
    TRACER_NOOP,               /* noopTracer: {} */
    TRACER_PARITY,             /* Parity's trace_* results (trace_parity.c) */
    TRACER_OPCODE_GAS,         /* reth's opcode gas: [{opcode, count, gasUsed}] (trace_opcode_gas.c) */
    TRACER_MUX,                /* muxTracer: {name: that tracer's result} for each tracer its config names */
} tracer_kind;

/* Otterscan's views of a transaction's frames, drawn from its Parity
 * trace (the frames trace_* reports, in its order, so that they agree with
 * anvil's and reth's, which draw them from revm-inspectors' frames too;
 * the list also keeps the zero-value calls to precompiles below the top
 * that Parity's traces leave out, as anvil and Erigon list them):
 *   TRACE_OTS_TRACE (ots_traceTransaction): every frame as {type, depth,
 *     from, to, value, input, output}: CALL, STATICCALL, DELEGATECALL,
 *     CALLCODE (value: Parity's), CREATE and CREATE2 (to: the new address,
 *     also for a failed one; input: the init code; output: the code or the
 *     revert data), SELFDESTRUCT (from the contract to the beneficiary,
 *     value: the balance sent, one deeper than the frame that ran it, as
 *     Erigon); output "0x" for a frame that failed other than by REVERT.
 *     anvil lists only the calls; Erigon and reth the creations too.
 *   TRACE_OTS_OPERATIONS (ots_getInternalOperations): as anvil, {type,
 *     from, to, value} with type 0 for a CALL moving value (the
 *     transaction's own too), 2 CREATE, 3 CREATE2 (any value, failed or
 *     not) and 1 for a frame that self-destructed, in place of that frame's
 *     own (from: the frame's address, to and value: the beneficiary and the
 *     balance, as Erigon, also where Parity's trace writes zeros: a
 *     self-destruct to itself of a contract not created in the transaction,
 *     Cancun on, leaves revm no journal entry, and anvil reports another
 *     entry's beneficiary and value, or zeros). */
typedef enum { TRACE_OTS_NONE, TRACE_OTS_TRACE, TRACE_OTS_OPERATIONS } trace_ots_view;

/* geth's TraceConfig: {"tracer", "tracerConfig", "timeout", and the opcode
 * logger's options at the top level}. */
typedef struct {
    tracer_kind kind;
    /* opcode logger */
    bool disable_stack, disable_storage, enable_memory, enable_return_data;
    int64_t limit;             /* stop logging once structLogs exceed this many bytes of JSON; 0: no limit */
    /* callTracer */
    bool only_top_call, with_log;
    /* callTracer's frames with what revm-inspectors records of them, for
     * anvil's trace printer (src/node/node_traces.c): each frame also has
     * "_status", revm's InstructionResult name of its end (Stop, Return,
     * SelfDestruct, Revert, OutOfGas, PrecompileOOG, OutOfFunds,
     * InvalidFEOpcode...); "_gasUsed", its gas used as revm counts it (the
     * top frame's before refunds and without the intrinsic gas; none for
     * a frame refused before it ran; up to the halt for an exceptional halt
     * other than out of gas); "_output", what it returned when callTracer
     * keeps no output (the code of a creation that could not pay its
     * deposit); "_storage", its own storage writes as [slot, first value
     * before, last value after] where they differ, in first-write order.
     * With with_log, a failed frame keeps its logs. */
    bool revm_frames;
    /* prestateTracer */
    bool diff_mode, disable_code, prestate_disable_storage, include_empty;
    /* flatCallTracer */
    bool convert_parity_errors, include_precompiles;
    /* Parity's trace types ("trace", "stateDiff"); parity_localized: every
     * trace carries its block and transaction (trace_transaction,
     * trace_block, trace_filter) */
    bool parity_trace, parity_state_diff, parity_vm_trace, parity_localized;
    /* Otterscan's views of the same frames (trace_config_otterscan): the
     * result's "trace" holds them instead of Parity's traces */
    trace_ots_view otterscan;
    /* muxTracer: its tracerConfig, {tracerName: tracerConfig}, as compact
     * JSON text ("": none; at most 511 bytes). Each tracer runs the transaction
     * on its own (the same run: geth's single pass gives the same
     * results), with this config's timeout; the struct logger is not one of
     * them, as in geth. */
    char mux[512];
    /* The vmTrace JSON (every step's memory, mostly) a request may still
     * build, shared by its transactions: past it the trace fails with
     * "vmTrace too large". NULL: no limit (trace_config_parity's default). */
    int64_t *vm_trace_budget;
    /* internal (set by the tracing functions, not by callers): callTracer's
     * frames also record revm's error names, for TRACER_PARITY */
    bool record_parity_errors;
    /* for a call (trace_tx_on's call): exec_call_with's options, as
     * eth_simulateV1 runs its calls; NULL (parsed configs): exec_call */
    const exec_call_options *call_options;
    /* "timeout", a Go duration ("5s", "1.5m", "300ms"): each traced
     * transaction's deadline, counted from when its execution starts. Past
     * it the execution is abandoned and the trace is the error "execution
     * timeout". trace_config_parse sets has_timeout with geth's default of
     * 5 s when the key is absent or null; a zeroed config has no deadline
     * (statetest --tracer). timeout_ns <= 0 has expired before the start. */
    bool has_timeout;
    int64_t timeout_ns;
    /* A timeout string that is not a duration: Go's error for it ("time:
     * invalid duration \"x\"", cut to fit), which the tracing functions
     * answer where geth's traceTx parses it -- after the transactions before
     * the traced one are replayed, so a block without transactions traces. */
    char timeout_error[160];
} trace_config;

/* Parses a TraceConfig object (NULL or JSON null: the opcode logger with
 * default options). Keys match case-insensitively and unknown keys are
 * ignored, as Go's JSON decoding does; a wrong type, an unknown tracer
 * ("tracer not found"; JavaScript tracers are not supported) or diffMode with
 * includeEmpty is an error. Returns false with the reason in err. */
bool trace_config_parse(const json_t *v, trace_config *out, char *err, size_t errlen);

/* A TRACER_PARITY config from a trace_* method's trace types: a JSON array
 * of "trace", "stateDiff" and "vmTrace" (repeats allowed, empty allowed).
 * No timeout applies. Anything else: false with the reason in err. */
bool trace_config_parity(const json_t *types, bool localized, trace_config *out, char *err, size_t errlen);
/* The config of an Otterscan view (non-localized, "trace" only). */
void trace_config_otterscan(trace_ots_view view, trace_config *out);
/* The config of reth's opcode gas (trace_transactionOpcodeGas): each
 * opcode the transaction ran, by opcode value, with how many times and the
 * gas its steps took (revm-inspectors' measure: the gas before a step less
 * the gas after it, less the gas limit of the frame a CALL or CREATE opens:
 * a call's own cost, not its callee's), named as revm names them. */
void trace_config_opcode_gas(trace_config *out);

/* debug_traceCall's config: a TraceConfig plus stateOverrides,
 * blockOverrides and txIndex. Owns the overrides: trace_call_config_free. */
typedef struct {
    trace_config trace;
    rpc_state_override state;
    bool has_block;
    rpc_block_override block;
    bool has_tx_index;
    uint64_t tx_index;
} trace_call_config;

/* On failure out holds nothing to free. */
bool trace_call_config_parse(const json_t *v, trace_call_config *out, char *err, size_t errlen);
void trace_call_config_free(trace_call_config *c);

/* ---- Tracing ------------------------------------------------------------------ */

/* The result of tracing transaction `index` of block b: the system calls
 * before the transactions (EIP-4788, EIP-2935) and the transactions before
 * `index` are executed untraced on a layer over `pre` (the state before the
 * block), then the transaction traced. Senders not yet known are recovered
 * (b's transactions are updated). Returns a new reference, or NULL with the
 * reason in err (index out of range, a transaction the block cannot contain:
 * "tracing failed: nonce too low"...). */
json_t *trace_transaction(const trace_config *cfg, state_view pre, block *b, const block_rules *rules, size_t index,
                          char *err, size_t errlen);

/* Every transaction of b traced in order, as debug_traceBlockByNumber and
 * debug_traceBlockByHash answer: [{"txHash", "result"}...]. NULL with err
 * when the block cannot be executed or a transaction's trace fails (each
 * has its own deadline; one past it fails the whole call, as geth's
 * traceBlock does for its native tracers). */
json_t *trace_block(const trace_config *cfg, state_view pre, block *b, const block_rules *rules, char *err,
                    size_t errlen);

/* debug_traceCall: the call object args executed as geth's traceCall does
 * (eth_call rules, see exec_call; gas defaults to gas_cap and is capped by it,
 * 0 meaning geth's default 50,000,000; nonce from the state; no fee fields
 * means no base fee) in the context of block b's header, after cfg's block
 * overrides (a number of b's + 1 makes BLOCKHASH(b's number) b's hash, as
 * geth does) and on `state` with cfg's state overrides. Without txIndex,
 * `state` is the state after b; with txIndex it is the state before b and
 * the block's first txIndex transactions are executed first. Returns a new
 * reference, or NULL with err. */
json_t *trace_call(const trace_call_config *cfg, state_view state, block *b, const block_rules *rules,
                   const rpc_call_args *args, uint64_t gas_cap, char *err, size_t errlen);

/* trace_call for n calls in a row (Parity's trace_callMany): cfg's
 * overrides and txIndex apply once, before the first; call i is traced with
 * tracers[i] (NULL: cfg->trace for every call) on the state the calls
 * before it left. An array of the n results, or NULL with err when any
 * call cannot run. */
json_t *trace_call_many(const trace_call_config *cfg, const trace_config *tracers, const rpc_call_args *args,
                        size_t n, state_view state, block *b, const block_rules *rules, uint64_t gas_cap, char *err,
                        size_t errlen);

/* ---- Bundles of calls (reth's eth_callMany and debug_traceCallMany) ---- */

/* One bundle: calls run in a row under the bundle's block overrides. */
typedef struct {
    const rpc_call_args *calls;
    size_t n;
    const rpc_block_override *block; /* NULL: none */
} trace_bundle;

/* What becomes of call `call` of bundle `bundle`: tx (the call object as
 * debug_traceCall turns it into a transaction, eth_call's rules) run on ex
 * over view and codes in env. The runner applies ex's changes afterwards,
 * so fn must leave there those of a run of tx (traced or not). The result
 * as a new reference, or NULL with the reason in err: that fails the whole
 * run. */
typedef json_t *(*trace_bundle_fn)(void *arg, executor *ex, const block_env *env, state_view view, code_store *codes,
                                   const transaction *tx, size_t bundle, size_t call, char *err, size_t errlen);

typedef struct {
    const rpc_state_override *state; /* applied once, before the first call; NULL: none */
    /* with has_tx_index the state given is the one before the block, and
     * its first tx_index transactions are executed first (at most all) */
    bool has_tx_index;
    uint64_t tx_index;
    /* reth's debug_traceCallMany: each bundle after the first runs one
     * block later (number + 1, timestamp + 12 per bundle) */
    bool next_block_per_bundle;
    /* reth's eth_callMany: a bundle without calls gets no entry */
    bool skip_empty_bundles;
} trace_bundle_context;

/* Runs bundles[0..n) in a row on `state` (the state after b; see
 * has_tx_index) in the environment of b's header, each call on the state
 * the calls before it left. [[fn's result...]...], a new reference, or
 * NULL with err (a call fn failed or that cannot become a transaction, a
 * bad state override, transaction index out of range). */
json_t *trace_call_bundles(const trace_bundle_context *ctx, const trace_bundle *bundles, size_t n, trace_bundle_fn fn,
                           void *arg, state_view state, block *b, const block_rules *rules, uint64_t gas_cap,
                           char *err, size_t errlen);

/* A signed transaction not in any block (Parity's trace_rawTransaction),
 * traced as a transaction (nonce, fee and balance rules apply) in the
 * context of block b's header on `state` (the state after b). Its sender is
 * recovered when not known. NULL with err ("invalid transaction
 * signature", "tracing failed: nonce too low"...). */
json_t *trace_signed_transaction(const trace_config *cfg, state_view state, block *b, const block_rules *rules,
                                 transaction *tx, char *err, size_t errlen);

/* The building block of the three above and of `statetest --tracer`: traces
 * tx (sender known) on view with env, the block's gas used so far and the
 * block-level index of the transaction's first log (callTracer's log
 * "index"); call selects exec_call's rules. The executor's change set and
 * logs are the transaction's afterwards; *res (may be NULL) gets its result.
 * Returns the tracer's JSON, or NULL with err for a bad timeout (cfg's
 * timeout_error), an invalid transaction ("tracing failed: <reason>") or
 * one still running when cfg's deadline passed, which is abandoned
 * ("execution timeout"; the executor's changes are then meaningless). */
json_t *trace_tx_on(const trace_config *cfg, executor *ex, const block_env *env, state_view view,
                    code_store *codes, const transaction *tx, uint64_t block_gas_used, uint64_t log_index,
                    bool call, tx_result *res, char *err, size_t errlen);

/* Where a traced transaction sits (geth's tracers.Context), for
 * flatCallTracer's blockHash, blockNumber, transactionHash and
 * transactionPosition; debug_traceCall's is all zero (null hashes). */
typedef struct {
    bool has_block_hash, has_tx_hash;
    bytes32 block_hash, tx_hash;
    uint64_t block_number, tx_index;
} trace_tx_context;

/* trace_tx_on with the transaction's place (NULL: the zero context). */
json_t *trace_tx_at(const trace_config *cfg, executor *ex, const block_env *env, state_view view, code_store *codes,
                    const transaction *tx, uint64_t block_gas_used, uint64_t log_index, bool call,
                    const trace_tx_context *where, tx_result *res, char *err, size_t errlen);

/* geth's error for a frame that halted with status, when nothing else is
 * known: its words without the detail a trace adds ("invalid opcode"
 * rather than "invalid opcode: INVALID", "stack underflow" without the
 * sizes, "precompile failed" rather than the precompile's reason). */
const char *trace_status_error(evm_status status);

/* geth's text (core's error, with its values) for why, the reason a
 * transaction of the executor was refused ("insufficient funds", "nonce
 * too low", ...) on view, the state it met: e.g. "insufficient funds for gas
 * * price + value: address 0x... have N want M". False (out untouched) for a
 * reason geth gives no values for. */
bool trace_invalid_reason(state_view view, const block_env *env, const transaction *tx, const char *why, char *out,
                          size_t n);

/* geth's name of an opcode (OpCode.String()): the mnemonic in every fork,
 * "DIFFICULTY" for 0x44, "opcode 0xc not defined" for an unassigned one
 * (written into buf, which the result may point to). */
const char *trace_op_name(uint8_t op, char buf[32]);

/* Compact JSON text of v for files and tests (jansson's, keys in the order
 * the tracers built them, which is geth's). malloc'd: caller frees. */
char *trace_dumps(const json_t *v);

#endif
