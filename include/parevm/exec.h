/* Transaction execution: validity against the state (nonce, balance, fee
 * caps, EIP-3607 with EIP-7702's delegated senders), fee purchase and refund
 * (EIP-1559, EIP-3529, EIP-4844 blob fees, the EIP-7623 calldata floor),
 * access-list warming, EIP-7702 authorizations, the top-level message
 * (following a delegation designator one hop), and the change set.
 * One executor per thread; it owns an EVM and an overlay and reuses them. */
#ifndef PAREVM_EXEC_H
#define PAREVM_EXEC_H

#include "overlay.h"
#include "state_host.h"
#include "tx.h"

/* What a transaction sees of its block. */
typedef struct {
    fork_id fork;
    uint64_t number;
    uint64_t timestamp;
    uint64_t gas_limit;
    address coinbase;
    u256 prevrandao;        /* difficulty before the Merge */
    u256 base_fee;          /* London on */
    uint64_t excess_blob_gas; /* Cancun on */
    /* Cancun on, from excess_blob_gas and the fork's blob parameters
     * (block_env_set_blob_params): what a blob gas costs, and how much blob
     * gas the block may use */
    u256 blob_base_fee;
    uint64_t max_blob_gas;
    uint64_t chain_id;
    /* the blob gas the block's transactions before this one used (the
     * block executor sets it): a blob transaction that needs more than the
     * rest is invalid before its fees and balance are looked at */
    uint64_t blob_gas_used;
    /* the chain's own contract size limit (evm_tx_context's max_code_size;
     * 0: EIP-170's) */
    uint32_t max_code_size;
    /* no EIP-7825 cap on a transaction's gas (chain_config's no_tx_gas_cap) */
    bool no_tx_gas_cap;
    /* senders with code may send (chain_config's no_eip3607: dev chains) */
    bool no_eip3607;
    /* how messages run when the caller gives no options of its own (anvil's
     * ecrecover overrides); NULL: as the fork says. Not owned. */
    const state_host_options *host;
} block_env;

/* Sets env's blob_base_fee (from its excess_blob_gas and p's update
 * fraction) and max_blob_gas (p's max blobs) for a Cancun-or-later env. */
void block_env_set_blob_params(block_env *env, const blob_params *p);

typedef struct {
    bool valid;             /* false: the transaction is invalid (no effect) */
    const char *error;      /* why it is invalid (static string; a stable
                             * identifier, see src/cli/exceptions.c) */
    evm_status status;      /* outcome of the top-level message */
    uint64_t gas_used;      /* after refunds, at least the EIP-7623 floor */
    uint64_t max_gas_used;  /* before refunds, at least the floor (geth's peak gas) */
    uint64_t blob_gas_used;
    const uint8_t *output;  /* valid until the next execution */
    size_t output_size;
    address created;        /* contract address for successful creations */
} tx_result;

typedef struct executor executor;

executor *executor_new(void);
void executor_free(executor *ex);
/* tracer (NULL: none) is borrowed and must outlive the executions it sees. */
void executor_set_tracer(executor *ex, evm_tracer *tracer);

/* Executes tx (whose sender must be known) on view. block_gas_used is the gas
 * already used in the block (for the block gas limit check). On return the
 * executor's change set and logs describe the effect (empty if invalid). */
void exec_transaction(executor *ex, const block_env *env, state_view view, code_store *codes,
                      const transaction *tx, uint64_t block_gas_used, tx_result *out);

/* Executes tx as a call (eth_call, debug_traceCall), with geth's rules for
 * simulated messages: tx->sender is taken as given (no signature), the nonce
 * is the state's (tx->nonce is ignored, also for a creation's address), the
 * sender may have code (no EIP-3607), and neither the block gas limit nor the
 * EIP-7825 cap applies (tx_check_call_limit). Fees are checked and paid as for a
 * transaction: a caller that wants geth's "no fee fields, no base fee" rule
 * zeroes env->base_fee (and blob_base_fee) for a transaction without fees. */
void exec_call(executor *ex, const block_env *env, state_view view, code_store *codes, const transaction *tx,
               tx_result *out);

/* eth_simulateV1's variant of exec_call. */
typedef struct {
    /* geth's NoBaseFee: a transaction whose fee fields are all zero (gas
     * price, or max fee and max priority fee; max fee per blob gas for the
     * blob fee) skips the fee-cap checks, pays no fee to the coinbase and
     * sees a gas price of zero, while BASEFEE still reads env->base_fee */
    bool no_base_fee;
    /* eth_simulateV1's validation: the nonce must be the sender's (the
     * other rules of a call stay: no signature, no EIP-3607 or block gas
     * limit checks) */
    bool check_nonce;
    state_host_options host; /* precompile moves, ERC-7528 transfer logs */
} exec_call_options;

void exec_call_with(executor *ex, const block_env *env, state_view view, code_store *codes, const transaction *tx,
                    const exec_call_options *opt, tx_result *out);

/* A bare message, as geth's `evm run` (core/vm/runtime) runs one: no
 * transaction around it, so no intrinsic gas, no fee and no nonce check.
 * From Berlin the sender, the recipient (or the new contract), the
 * precompiles and from Shanghai the coinbase are warm. The value moves only
 * when the sender's balance covers it: otherwise the result is
 * EVM_INSUFFICIENT_BALANCE with all gas left and nothing runs. A call
 * follows the recipient's EIP-7702 delegation; a creation (has_to false)
 * takes its address from the sender's nonce, which it increments
 * (EVM_NONCE_OVERFLOW at 2^64 - 1). The change set is left in the executor
 * as for a transaction; the output stays valid until the next execution.
 * Returns false (with an empty change set) when the message needed more EVM
 * memory than the engine holds (evm_vm_memory_exhausted): then *out means
 * nothing. */
typedef struct {
    address sender, to;
    bool has_to;
    u256 value, gas_price;
    const uint8_t *input;
    size_t input_len;
    int64_t gas;
} exec_message_args;

bool exec_message(executor *ex, const block_env *env, state_view view, code_store *codes,
                  const exec_message_args *m, evm_result *out);

/* The last execution's change set, valid until the next execution. */
const change_set *executor_changes(const executor *ex);
overlay *executor_overlay(executor *ex);
typedef struct bloom_cache bloom_cache;
bloom_cache *executor_bloom_cache(executor *ex); /* for logs_bloom */
/* The EIP-7702 refund of the transaction being executed (existing
 * authorities), known before its first instruction: where a tracer's refund
 * counter starts, as geth's StateDB refund does. */
uint64_t executor_auth_refund(const executor *ex);
/* The last transaction's top-level message: the gas it was given (the gas
 * limit less the intrinsic gas) and what it had left when it ended, before
 * refunds (Parity-style traces report the frame's own gas). Only valid
 * after a transaction that was executed (tx_result.valid). */
void executor_top_frame(const executor *ex, int64_t *gas, int64_t *gas_left);

/* A system call (EIP-4788 beacon roots, later EIP-2935/7002/7251): a message
 * from `caller` to `target` with no value, no fee and no nonce change. The
 * change set is left in the executor as for a transaction. */
evm_result exec_system_call(executor *ex, const block_env *env, state_view view, code_store *codes,
                            const address *caller, const address *target, const uint8_t *data,
                            size_t len, int64_t gas);

/* What tx pays per gas in a block: its gas price, or from London
 * min(max fee, base fee + priority fee) (the max fee without a base fee). */
u256 tx_effective_gas_price(const transaction *tx, bool has_base_fee, const u256 *base_fee);

/* EIP-4844 blob gas price for an excess blob gas value:
 * fake_exponential(1, excess_blob_gas, update_fraction) with the fork's
 * update fraction (EIP-7840; > 0), exact, and 2^256 - 1 where the exact value
 * does not fit 256 bits. */
u256 blob_base_fee(uint64_t excess_blob_gas, uint64_t update_fraction);
#define GAS_PER_BLOB BLOB_GAS_PER_BLOB

/* Logs: RLP list of [address, [topics], data] as in receipts, its keccak
 * (the state tests' "logs" hash) and the 2048-bit bloom filter. */
void logs_rlp(buf_t *out, const overlay_log *logs, size_t n, const uint8_t *data);
bytes32 logs_hash(const overlay_log *logs, size_t n, const uint8_t *data);
/* ORs the logs' bits into bloom. cache (may be NULL) remembers the bits of
 * recent addresses and topics: a block repeats the same token contracts and
 * event signatures, each a keccak otherwise. One cache per thread. */
bloom_cache *bloom_cache_new(void);
void bloom_cache_free(bloom_cache *c);
void logs_bloom(uint8_t bloom[256], const overlay_log *logs, size_t n, bloom_cache *cache);

/* The blooms of many transactions' logs at once: the addresses and topics
 * that miss the cache are hashed eight at a time (keccak256_many), across
 * calls of bloom_batch_add. Each call ORs the bits of its logs into its
 * bloom, some of them only by the next calls or bloom_batch_finish: the
 * logs and the blooms must stay where they are until then. */
enum { BLOOM_BATCH = 8 };
typedef struct {
    bloom_cache *cache; /* may be NULL */
    size_t n;           /* items waiting */
    const uint8_t *data[BLOOM_BATCH];
    size_t len[BLOOM_BATCH];
    uint8_t *bloom[BLOOM_BATCH];
    void *slot[BLOOM_BATCH]; /* where the cache remembers the bits, or NULL */
} bloom_batch;
void bloom_batch_init(bloom_batch *b, bloom_cache *cache);
void bloom_batch_add(bloom_batch *b, uint8_t bloom[256], const overlay_log *logs, size_t n);
void bloom_batch_finish(bloom_batch *b);

#endif
