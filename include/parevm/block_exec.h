/* Block execution over any store: the EIP-4788 and EIP-2935 system
 * calls, the transactions in order, withdrawals, block and ommer rewards, the
 * DAO irregular state change, the receipts, and the EIP-7685 requests
 * (deposits from the logs, withdrawal and consolidation requests from system
 * calls). Chain-level decisions (which
 * fork, which reward, whether this is the DAO block) arrive as block_rules,
 * so this layer does not depend on the chain configuration.
 *
 * The block runs on a block_state (block_state.h): the state before the
 * block, as a state_view of whatever store holds it, plus the block's
 * changes so far. The store is never written here: block_state_changes
 * gives the block's change set, which the caller applies to its store
 * (mem_state_apply, db_commit_block). */
#ifndef PAREVM_BLOCK_EXEC_H
#define PAREVM_BLOCK_EXEC_H

#include "block.h"
#include "block_state.h"
#include "exec.h"

typedef struct {
    fork_id fork;
    uint64_t chain_id;
    u256 block_reward;          /* miner reward; 0 after the Merge */
    bool dao_fork;              /* apply the DAO balance moves before the transactions */
    const address *dao_accounts;
    size_t n_dao_accounts;
    address dao_refund;
    blob_params blob;           /* Cancun on: EIP-7840 parameters in force */
    address deposit_contract;   /* Prague on: EIP-6110 deposit contract */
    uint32_t max_code_size;     /* the chain's own contract size limit (block_env's) */
    bool no_tx_gas_cap;         /* no EIP-7825 cap (block_env's) */
    bool no_eip3607;            /* senders with code may send (block_env's) */
    const state_host_options *host; /* block_env's: NULL as the fork says */
    /* pre-Byzantium receipts carry the state root after each transaction:
     * computed with this function when set, from the block's base state
     * and the changes so far (block_state_changes); ctx is state_root_ctx */
    bytes32 (*state_root)(void *ctx, const block_state *s);
    void *state_root_ctx;
    /* optional: told each transaction's change set once the transaction is
     * final, in block order (sequential: after it is applied; Block-STM: at
     * its rolling commit, on a worker thread), so that work on the block's
     * changes (the state root) can start before the block ends. It must be
     * quick and must not keep cs; ctx is tx_final_ctx */
    void (*tx_final)(void *ctx, const change_set *cs);
    void *tx_final_ctx;
    /* the state holds only what the block's transactions touch (a replay
     * fixture's pre-state): a checked system call (EIP-7002, EIP-7251) to a
     * contract that is not there cannot be made, so the block's requests
     * are unknown (block_result.requests_unknown) instead of the block
     * being invalid */
    bool partial_state;
} block_rules;

/* EIP-7685 request types, in the order of the requests hash. */
enum {
    REQUEST_DEPOSIT,       /* EIP-6110: 192 bytes each, from DepositEvent logs */
    REQUEST_WITHDRAWAL,    /* EIP-7002: 76 bytes each */
    REQUEST_CONSOLIDATION, /* EIP-7251: 116 bytes each */
    REQUEST_TYPES
};

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
    /* EIP-7685 (Prague on, set by block_finish): each type's requests
     * concatenated, without the type byte (empty: none of that type), and
     * requests_hash over them */
    bool has_requests;
    buf_t requests[REQUEST_TYPES];
    bytes32 requests_hash;
    bool requests_unknown;      /* partial_state and a request contract missing: no requests */
} block_result;

/* A block_result is the caller's: zeroed before its first use, then reused
 * from block to block (each block resets it, keeping its memory); this frees
 * it and zeroes it again. */
void block_result_free(block_result *r);

/* The prevrandao/difficulty, base fee... environment of a block's txs. */
block_env block_env_of(const block_header *h, const block_rules *rules);

/* Executes b on state, a block_state over the state before the block
 * (fresh, or reset: its changes so far are those of the block); afterwards
 * block_state_changes(state) is the block's change set (partial on error). Senders of b's
 * transactions are recovered here if not yet known. Returns NULL on success
 * or a reason why the block is invalid (a transaction that cannot be
 * included, blob gas over the limit...). Header fields are not compared:
 * see block_check_results. */
const char *block_execute(executor *ex, const block_rules *rules, const block *b, block_state *state,
                          block_result *out);

/* block_execute on an in-memory state (fixtures, tests): a block_state over
 * state, whose changes are then applied to state, also when the block is
 * invalid (partial: callers that must roll back execute on a clone). */
const char *block_execute_mem(executor *ex, const block_rules *rules, const block *b, mem_state *state,
                              block_result *out);

/* The steps of block_execute, for executors that run the transactions
 * their own way (Block-STM): block_begin resets out and applies the DAO
 * change and the system calls that precede the transactions (EIP-4788
 * beacon root from Cancun, EIP-2935 parent hash from Prague: both do nothing
 * where the contract has no code, and their failure is ignored);
 * block_add_receipt records one transaction's outcome (res.gas_used, logs and
 * their bloom, from logs_bloom) in order; block_finish applies withdrawals
 * and rewards and, from Prague, collects the requests into out (deposits
 * parsed from the receipts' logs, then the EIP-7002 and EIP-7251 system
 * calls) and sets out->requests_hash. block_finish returns NULL or why the
 * block is invalid (a deposit log of the wrong layout, a request contract
 * without code or whose call fails); the reason is also in out->error. */
void block_begin(executor *ex, const block_rules *rules, const block *b, block_state *state, block_result *out);
/* What block_begin does to the state, on any state: the DAO change and the
 * system calls that precede b's transactions, run on view (new code interned
 * in codes). Each step's change set goes to apply(arg, cs), which must make
 * it visible through view before the next step (tracers replay a block on a
 * layer over a read-only snapshot this way). */
void block_pre_transactions(executor *ex, const block_rules *rules, const block *b, state_view view,
                            code_store *codes, void (*apply)(void *arg, const change_set *cs), void *arg);
void block_add_receipt(block_result *out, const block_rules *rules, block_state *state, const transaction *tx,
                       const tx_result *res, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                       const uint8_t *bloom);

/* block_add_receipt's two halves, for executors that make receipts out of
 * order or on several threads (Block-STM's deferred receipts).
 * block_grow_receipts appends n receipts, logs log entries and data bytes
 * of log data to out (their contents unset; out owns the memory) and says
 * where the first of each lies. block_place_receipt then fills receipt
 * at.receipt from a transaction's outcome, and copies its logs to
 * out->logs[at.log..] with their data packed in log order from
 * at.data; bloom is the receipt's (NULL: empty). It does not touch
 * out->bloom or out->gas_used, so different threads may place different
 * receipts at once. */
typedef struct {
    size_t receipt, log, data;
} receipt_place;
receipt_place block_grow_receipts(block_result *out, size_t n, size_t logs, size_t data);
void block_place_receipt(block_result *out, receipt_place at, uint8_t type, const tx_result *res,
                         uint64_t cumulative_gas, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                         const uint8_t *bloom);
const char *block_finish(executor *ex, const block_rules *rules, const block *b, block_state *state,
                         block_result *out);
/* One transaction, next in the block (between block_begin and
 * block_finish; env is block_env_of the block, its blob gas so far set
 * here): recovers the sender if not yet known, executes tx on state and,
 * when it is valid, applies its changes, tells rules->tx_final and records
 * its receipt in out. Returns NULL, or why tx cannot be included (then
 * state and out are unchanged: a block builder or t8n leaves it out). res
 * gets the outcome (output valid until the executor's next run). */
const char *block_add_transaction(executor *ex, const block_rules *rules, block_env *env, block_state *state,
                                  transaction *tx, block_result *out, tx_result *res);
/* The transactions in order (between block_begin and block_finish), as
 * block_add_transaction each; their receipts' blooms are computed together
 * at the end (bloom_batch: hashes eight at a time across transactions). */
const char *block_execute_transactions(executor *ex, const block_rules *rules, const block *b, block_state *state,
                                       block_result *out);

/* The reward of a block's author before the Merge (0 after): the block
 * reward and 1/32 of it for each ommer included. */
u256 block_author_reward(const block_rules *rules, size_t n_ommers);

/* Compares the results with the header: gas used, bloom, blob gas used, the
 * requests hash (Prague on, unless the requests are unknown) and, if
 * receipts_root is given (block_roots.h computes it), the receipts root.
 * Returns NULL or a reason. */
const char *block_check_results(const block_header *h, const block_result *r, const bytes32 *receipts_root);

/* EIP-6110: appends to out the deposit request (192 bytes: pubkey,
 * withdrawal credentials, amount, signature, index) of a DepositEvent log's
 * data. Returns NULL, or why the data does not have the event's exact ABI
 * layout (576 bytes, the five offsets and sizes of the final spec). */
const char *deposit_request_from_log(const uint8_t *data, size_t len, buf_t *out);
/* EIP-7685: sha256 over sha256(type || requests) of every non-empty list of
 * lists[REQUEST_TYPES], in type order (sha256 of nothing without requests). */
bytes32 requests_hash(const buf_t lists[REQUEST_TYPES]);

/* keccak of the RLP list of the ommer headers. */
bytes32 block_ommers_hash(const block *b);
/* Canonical encoding of receipt i (typed receipts: type || rlp). */
void receipt_encode(const block_result *r, size_t i, buf_t *out);

#endif
