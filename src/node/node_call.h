/* Simulated calls on the state after a block (rpc_call.c), shared by
 * eth_call, eth_estimateGas, eth_createAccessList and dev mode's
 * eth_sendTransaction (gas estimation). */
#ifndef PAREVM_NODE_CALL_H
#define PAREVM_NODE_CALL_H

#include "node_internal.h"

enum { NODE_MAX_PRECOMPILES = 64 };

typedef struct {
    node *n;
    node_state st;
    code_store *codes;     /* the call's own codes (override code, created contracts) */
    block_state *layer;    /* state overrides over st.view, or NULL */
    state_view view;       /* what the call reads */
    block_env env;         /* the block's environment, with block overrides */
    executor *ex;
    /* the precompiles after the state overrides, when they change them
     * (env.host points at host then: do not copy a node_call) */
    bool has_host;
    state_host_options host;
    address pcs[NODE_MAX_PRECOMPILES], runs[NODE_MAX_PRECOMPILES];
} node_call;

/* The active precompiles of fork (pcs, and the one each runs: runs) after
 * the state overrides so (may be NULL), as geth's StateOverride.Apply
 * leaves them: movePrecompileToAddress adds one at its new address, any
 * override of a precompile's own address removes it there (its overridden
 * state runs instead). *changed tells whether so changed them. False with
 * err filled for a bad move (eth_simulateV1's error codes). */
bool node_precompiles_overridden(const rpc_state_override *so, fork_id fork, address *pcs, address *runs, size_t *n,
                                 bool *changed, rpc_error *err);

/* Opens the state named by params[block_arg] (absent: latest) with the
 * state overrides ov and block overrides bo (both may be NULL). "pending"
 * runs in the next block's context (node_call_next_block), as anvil and
 * reth run it, on the pending block's state when there is one
 * (node_pending.c; outside dev mode in that block's own context, as geth).
 * On failure err is filled and nothing is left open. */
bool node_call_begin(node *n, node_read *r, const json_t *params, size_t block_arg, const rpc_state_override *ov,
                     const rpc_block_override *bo, node_call *c, rpc_error *err);
void node_call_end(node_call *c);
/* Makes c run in the context of the block after its state's
 * (node_next_header: number + 1, the next timestamp, that block's rules,
 * base fee and blob base fee), where a transaction sent now will run. */
void node_call_next_block(node_call *c);
/* The transaction a call object describes (borrowing its buffers: do not
 * tx_free it; free tx->auths after node_call_auths). The sender is a->from
 * (zero when absent), unsigned. Without a type, EIP-1559 fee fields, a gas
 * price or an access list it is an EIP-1559 transaction from London (fork)
 * on, a legacy one before. */
void node_call_tx(const rpc_call_args *a, uint64_t chain_id, fork_id fork, uint64_t gas, transaction *tx);
/* Copies and recovers the authorization list (tx->auths, malloc'd). */
bool node_call_auths(const rpc_call_args *a, transaction *tx);
/* The gas a call gets: the given gas, at most the node's cap. */
uint64_t node_call_gas(const node *n, const rpc_call_args *a);
/* Runs tx (exec_call, geth's zero base fee for calls that pay nothing). */
void node_call_run(node_call *c, const transaction *tx, tx_result *res);
/* The environment node_call_run runs tx in (geth: a call that pays no gas
 * price sees no base fee, nor blob base fee). */
block_env node_call_env(const node_call *c, const transaction *tx);
/* Dev mode: runs tx again on c with the call tracer and writes the
 * console.log messages and ds-test events of its frames (with console,
 * when cfg.console is set) and then its call tree (cfg.report with
 * print_traces) (node_console.c, node_traces.c), as anvil prints those of
 * eth_call. The executor's changes are the re-run's. */
void node_console_print_call(node_call *c, const transaction *tx, bool console);
/* geth's words for the halt with status st (not a revert) of call tx run
 * by exec_call_with(opt) on view: the top frame's error as callTracer
 * reports it ("invalid opcode: INVALID", "stack underflow (0 <=> 2)", a
 * precompile's own error...), from one traced re-run on ex. Halts are rare
 * and the untraced run keeps no opcode or stack detail, so only they pay
 * for it. Written into buf (trace_status_error's words should the re-run
 * end otherwise); ex's changes are the re-run's afterwards. */
const char *node_halt_error(executor *ex, const block_env *env, state_view view, code_store *codes,
                            const transaction *tx, const exec_call_options *opt, evm_status st, char *buf, size_t n);
/* node_halt_error for a call run by node_call_run, on c's executor. */
const char *node_call_halt_error(node_call *c, const transaction *tx, evm_status st, char *buf, size_t n);
/* geth's message for a call that is not valid (why: exec's reason), as its
 * DoCall and eth_simulateV1 write it: "err: <core's error with its
 * values> (supplied gas N)", e.g. "err: insufficient funds for gas * price
 * + value: address 0xC0.. have 0 want 1000 (supplied gas 50000000)"; view
 * is the state the call ran on (the balance and nonce it reports).
 * Reasons without values keep exec's words. Written into buf. */
const char *node_call_invalid_message(state_view view, const block_env *env, const transaction *tx, const char *why,
                                      char *buf, size_t n);
/* The JSON-RPC error of a failed call (true when it succeeded); a halt's
 * message comes from node_call_halt_error. */
bool node_call_error(node_call *c, const transaction *tx, const tx_result *res, rpc_error *err);
/* geth's gas estimation of tx, at most hi. *short_of_funds (may be NULL)
 * is set when it failed out of gas under a bound the sender's balance
 * lowered: the balance, not the call, is what ran out. */
bool node_estimate_gas(node_call *c, transaction *tx, uint64_t hi, uint64_t *out, bool *short_of_funds,
                       rpc_error *err);
/* A state override as a change set (code interned in codes). */
void node_override_changes(const rpc_state_override *o, code_store *codes, change_set *cs);

#endif
