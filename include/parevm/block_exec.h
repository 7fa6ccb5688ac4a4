/* Block execution on an in-memory state: the EIP-4788 system call, the
 * transactions in order, withdrawals, block and ommer rewards, the DAO
 * irregular state change, and the receipts. Chain-level decisions (which
 * fork, which reward, whether this is the DAO block) arrive as block_rules,
 * so this layer does not depend on the chain configuration. */
#ifndef PAREVM_BLOCK_EXEC_H
#define PAREVM_BLOCK_EXEC_H

#include "block.h"
#include "exec.h"

typedef struct {
    fork_id fork;
    uint64_t chain_id;
    u256 block_reward;          /* miner reward; 0 after the Merge */
    bool dao_fork;              /* apply the DAO balance moves before the transactions */
    const address *dao_accounts;
    size_t n_dao_accounts;
    address dao_refund;
    /* pre-Byzantium receipts carry the state root after each transaction:
     * computed with this function when set (it needs the full state) */
    bytes32 (*state_root)(mem_state *s);
} block_rules;

typedef struct {
    uint8_t type;
    bool success;
    bool has_root;              /* pre-Byzantium: post-state root instead of status */
    bytes32 post_state;
    uint64_t cumulative_gas;
    uint64_t gas_used;
    uint8_t bloom[256];
    size_t first_log, n_logs;   /* range in block_result.logs */
} receipt;

typedef struct {
    receipt *receipts;
    size_t n_receipts, cap_receipts;
    overlay_log *logs;          /* data_off indexes log_data */
    size_t n_logs, cap_logs;
    buf_t log_data;
    uint64_t gas_used, blob_gas_used;
    uint8_t bloom[256];
    long invalid_tx;            /* index of the rejected transaction, or -1 */
    const char *error;          /* why the block is invalid (static string) */
} block_result;

void block_result_free(block_result *r);

/* The prevrandao/difficulty, base fee... environment of a block's txs. */
block_env block_env_of(const block_header *h, const block_rules *rules);

/* Executes b on state (modified in place; on error the state is partial:
 * callers that must roll back execute on a clone). Senders of b's
 * transactions are recovered here if not yet known. Returns NULL on success
 * or a reason why the block is invalid (a transaction that cannot be
 * included, blob gas over the limit...). Header fields are not compared:
 * see block_check_results. */
const char *block_execute(executor *ex, const block_rules *rules, const block *b, mem_state *state,
                          block_result *out);

/* The steps of block_execute, for executors that run the transactions
 * their own way (Block-STM): block_begin resets out and applies the DAO
 * change and the EIP-4788 system call; block_add_receipt records one
 * transaction's outcome (res.gas_used, logs and their bloom, from
 * logs_bloom) in order; block_finish applies
 * withdrawals and rewards. */
void block_begin(executor *ex, const block_rules *rules, const block *b, mem_state *state, block_result *out);
void block_add_receipt(block_result *out, const block_rules *rules, mem_state *state, const transaction *tx,
                       const tx_result *res, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                       const uint8_t *bloom);
void block_finish(executor *ex, const block_rules *rules, const block *b, mem_state *state);
/* The transactions in order (between block_begin and block_finish). */
const char *block_execute_transactions(executor *ex, const block_rules *rules, const block *b, mem_state *state,
                                       block_result *out);

/* Compares the results with the header: gas used, bloom, blob gas used and,
 * if receipts_root is given (block_roots.h computes it), the receipts root.
 * Returns NULL or a reason. */
const char *block_check_results(const block_header *h, const block_result *r, const bytes32 *receipts_root);

/* keccak of the RLP list of the ommer headers. */
bytes32 block_ommers_hash(const block *b);
/* Canonical encoding of receipt i (typed receipts: type || rlp). */
void receipt_encode(const block_result *r, size_t i, buf_t *out);

#endif
