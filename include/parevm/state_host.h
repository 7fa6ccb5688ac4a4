/* state_host: the evm_host implementation over an overlay. It carries out
 * nested messages: value transfer, precompiles, contract creation (address
 * derivation, collision check, code deposit rules per fork) and rollback of
 * failed frames. The transaction executor (exec.h) uses it for the top-level
 * message too. */
#ifndef PAREVM_STATE_HOST_H
#define PAREVM_STATE_HOST_H

#include "overlay.h"

/* What eth_simulateV1 changes in how messages run (exec_call_with), and
 * anvil's ecrecover overrides (block_env.host); every other execution has
 * none (state_host.opt NULL). */
typedef struct {
    /* With has_precompiles, exactly the addresses precompiles[0..n) run a
     * precompile, each the one originally at runs[i] (moved, or removed by
     * a state override); without it, the fork's precompiles. Which accounts
     * are warm does not change (EIP-2929 keeps the fork's set, as geth). */
    bool has_precompiles;
    const address *precompiles, *runs;
    size_t n_precompiles;
    /* ERC-7528: every ETH move of a CALL, a creation or a SELFDESTRUCT
     * (not a DELEGATECALL or CALLCODE) adds a synthetic Transfer(from, to,
     * value) log from 0xeeee...eeee at that point (overlay_add_synthetic_log) */
    bool trace_transfers;
    /* anvil_impersonateSignature: the ecrecover precompile (wherever it
     * runs) first asks recover_override with the 65 bytes r || s || v of its
     * input (v: the last byte of the v word, the rest of it ignored, as
     * anvil's); when that returns true, *out is the answer, for ecrecover's
     * 3000 gas, whatever the hash. Called from any executing thread, so it
     * must be thread-safe. NULL: none */
    bool (*recover_override)(void *arg, const uint8_t sig[65], address *out);
    void *recover_arg;
} state_host_options;

typedef struct {
    overlay *ov;
    evm_vm *vm;
    const evm_tx_context *tx;
    const state_host_options *opt; /* NULL: none */
} state_host;

/* The host interface to hand to evm_execute for h. */
evm_host state_host_interface(state_host *h);

/* Executes a message (any kind). For CREATE/CREATE2 at depth > 0 this does
 * what the opcode requires of the host: balance and nonce checks, address
 * derivation, the sender's nonce increment and warming the new address. A
 * call runs the precompile or the code at msg->code_address; with
 * msg->code_delegated (EIP-7702) a precompile address runs as empty code. */
evm_result state_host_call(state_host *h, const evm_message *msg);

/* Executes a creation at a known address (the top-level creation of a
 * transaction, whose sender nonce the executor has already incremented):
 * collision check, account creation, value transfer, init code, deposit. */
evm_result state_host_create_at(state_host *h, const evm_message *msg, const address *addr);

/* Contract addresses: CREATE (sender, nonce) and CREATE2 (sender, salt, initcode). */
address create_address(const address *sender, uint64_t nonce);
address create2_address(const address *sender, const bytes32 *salt, const uint8_t *initcode, size_t len);

#endif
