/* The node: one process that serves JSON-RPC over the LMDB store while one
 * writer thread imports or mines blocks (ARCHITECTURE.md, "Node").
 *
 * - Readers: every request opens its own read snapshot of the store, so it
 *   never waits for the writer and never sees half a block; historical state
 *   comes from the per-block change sets (db_snapshot_at).
 * - Writer: one thread owns every write to the store (blocks, dev-mode state
 *   edits, unwinds). Other threads hand it work with node_writer_call and
 *   wait for the outcome; in dev mode it also mines on its own (each
 *   transaction at once, or every dev_period_s seconds).
 * - Transaction pool: validated against the head's state; the block builder
 *   takes its best transactions and executes them with Block-STM.
 *
 * The method groups (eth_*, net_*, web3_*, txpool_*, debug_getRaw*, and in
 * dev mode evm_*, anvil_*, hardhat_*) register into one rpc_methods table,
 * which the caller serves with rpc_server_start (rpc.h) or feeds to
 * rpc_process directly (tests). The context, the group registration and the
 * read/write helpers other groups build on are in src/node/node_internal.h. */
#ifndef PAREVM_NODE_H
#define PAREVM_NODE_H

#include <stdio.h>
#include "rpc.h"
#include "u256.h"

typedef struct node node;

/* The stack of every thread that runs the EVM (the writer, the HTTP pool:
 * rpc_server_config.thread_stack): deep recursion (1024 nested calls) must
 * never hit the limit. Reserved, not committed. */
#define NODE_THREAD_STACK ((size_t)256 << 20)

typedef struct {
    /* The store's folder. NULL: dev mode only, a temporary folder that
     * node_close removes. */
    const char *datadir;
    bool dev;                   /* the built-in dev chain, prefunded accounts, evm_/anvil_ methods */
    unsigned dev_period_s;      /* 0: mine each transaction into its own block at once */
    unsigned threads;           /* Block-STM threads, the writer's included (0: 2) */
    int preroot;                /* CHAIN_PREROOT_* (chain_import.h): state roots computed
                                   while imported blocks execute (0: auto) */
    /* dev chain (used when the store is created) */
    uint64_t dev_chain_id;      /* 0: 31337 */
    const char *dev_hardfork;   /* the rules, by name (anvil's --hardfork: "frontier"
                                   ... "osaka", case ignored, "latest"); NULL: Osaka */
    uint64_t dev_gas_limit;     /* 0: 30,000,000 */
    uint64_t dev_genesis_time;  /* 0: now */
    unsigned dev_accounts;      /* prefunded accounts; 0: 10 */
    const char *dev_mnemonic;   /* NULL: DEV_MNEMONIC (hdkeys.h) */
    const char *dev_derivation_path; /* the accounts' path, index appended; NULL: HD_ACCOUNT_PATH */
    u256 dev_balance;           /* each account's; zero: 10,000 ether */
    bool dev_no_mining;         /* neither automine nor interval mining at start */
    bool dev_mixed_mining;      /* with dev_period_s: automine as well (anvil's
                                   --mixed-mining) */
    bool dev_no_min_priority_fee; /* eth_gasPrice is the base fee, no tip added (anvil's
                                     --disable-min-priority-fee) */
    bool dev_gas_price_set;     /* before London: eth_gasPrice and the gas price of */
    u256 dev_gas_price;         /* filled transactions (anvil's --gas-price) */
    bool dev_order_fifo;        /* blocks take the pool's transactions by arrival, not
                                   by tip (anvil's --order fifo) */
    bool dev_auto_impersonate;  /* any address may send (anvil_autoImpersonateAccount) */
    bool dev_no_create2_deployer; /* no CREATE2 deployer at genesis (anvil's
                                   --disable-default-create2-deployer) */
    unsigned dev_slots_in_epoch; /* "safe" is this many blocks below the head and
                                   "finalized" twice as many, as anvil's
                                   --slots-in-an-epoch (until a forkchoice update
                                   names them); 0: 32 */
    bool dev_base_fee_set;      /* dev_base_fee given; otherwise 1 gwei */
    uint64_t dev_base_fee;      /* the genesis base fee from London on; 0 stays 0 while
                                   blocks use at most half their gas (EIP-1559) */
    bool dev_tx_gas_cap;        /* the EIP-7825 cap from Osaka (anvil's --enable-tx-gas-limit);
                                   false: none, as anvil (chain_config's no_tx_gas_cap) */
    uint32_t dev_max_code_size; /* the chain's contract size limit (chain_config's
                                   max_code_size); 0: EIP-170's */
    /* A geth genesis (anvil's --init; borrowed for node_open's call): the
     * dev chain's configuration (fork schedule, chain id), allocation and
     * header fields, with the prefunded accounts added where the allocation
     * does not name them. The dev_ settings above that are set win over the
     * file: dev_chain_id, dev_hardfork (its rules replace the schedule),
     * dev_genesis_time, dev_gas_limit (the file's, else 30,000,000) and
     * dev_base_fee (with dev_base_fee_set). The chain must be merged at
     * genesis (terminal total difficulty 0) or have no terminal total
     * difficulty (then it is sealed as clique). On a store made before, the
     * genesis must be the one that store holds. */
    const struct json_t *dev_genesis;
    /* limits of the methods */
    uint64_t gas_cap;           /* eth_call / eth_estimateGas gas; 0: 50,000,000 */
    bool allow_unprotected_txs; /* take legacy transactions without EIP-155's chain id over RPC
                                   (geth's --rpc.allow-unprotected-txs; a dev chain always does) */
    double tx_fee_cap;          /* eth_sendRawTransaction and its variants refuse a transaction
                                   whose fee cap (gas price) times gas limit is over this many
                                   ether (geth's --rpc.txfeecap; the CLI's default 1); 0: no
                                   cap; never in dev mode (anvil has none) */
    uint64_t max_log_range;     /* eth_getLogs blocks per query; 0: 10,000 */
    size_t max_logs;            /* eth_getLogs results; 0: 20,000 */
    size_t max_filters;         /* eth_newFilter...: installed at once; 0: 10,000 */
    uint64_t filter_timeout_ms; /* a filter not polled this long is removed; 0: 5 minutes */
    /* Engine API payload building: the gas limit blocks move towards (by
     * at most 1/1024 of the parent's per block, as geth's --miner.gaslimit);
     * 0: 60,000,000 */
    uint64_t builder_gas_limit;
    /* ...their extra data, as geth's --miner.extradata (at most 32 bytes;
     * NULL: none), and the lowest tip of a transaction they include, as
     * geth's --miner.gasprice (0: any). geth's miner_setGasLimit,
     * miner_setExtra and miner_setGasPrice change the three while the node
     * runs (served on the open port when http_api names miner). */
    const char *builder_extra;
    u256 builder_min_tip;
    /* Outside dev mode, the fee recipient of the pending block ("pending"),
     * as geth's --miner.pending.feeRecipient; zero by default, as geth's */
    address pending_fee_recipient;
    /* The namespaces the open port serves (HTTP and WebSocket), comma
     * separated as geth's --http.api ("eth,net,web3"); rpc_modules is always
     * served. NULL: every namespace the node has. Naming debug also opens
     * debug_setHead there (otherwise on the authenticated port or in dev
     * mode only). The authenticated port keeps all of its methods. */
    const char *http_api;
    FILE *log;                  /* progress messages (mined blocks...); NULL: none */
    /* Dev mode: where the console.log messages of mined transactions go
     * (Hardhat's console.sol, as anvil prints them), one line each; NULL:
     * nowhere, and the mined blocks are not replayed for them. */
    FILE *console;
    /* Dev mode: where anvil's report of each mined block goes (each
     * transaction's hash, created contract, gas used and revert reason;
     * the block's number, hash and time), after the block's console.log
     * lines; NULL: none. With print_traces, also the call tree of each
     * mined transaction and of each eth_call, as anvil's --print-traces
     * draws it (src/node/node_traces.c). Mined blocks are replayed,
     * traced, for these. */
    FILE *report;
    bool print_traces;
    /* tests: called on the importer's committer thread when an imported
     * block's write has ended (before the node sees it); NULL: none */
    void (*on_block_written)(void *arg);
    void *on_block_written_arg;
} node_config;

/* Opens (or creates, in dev mode) the store and starts the writer thread.
 * Returns NULL, or a reason with *out NULL. Without dev, the store must have
 * been initialised (parevm init) with its chain configuration. */
const char *node_open(const node_config *cfg, node **out);
/* Stops the writer (after the block in progress), closes the store (and
 * removes a temporary datadir). Stop the HTTP server first. */
void node_close(node *n);

/* The JSON-RPC methods (owned by the node). */
const rpc_methods *node_methods(const node *n);
/* The methods of the authenticated server (--authrpc.*, serve with a JWT
 * secret): the Engine API (engine_*, testing_buildBlockV1) and, as
 * execution-apis asks, the eth_* methods too (owned by the node). */
const rpc_methods *node_auth_methods(const node *n);

/* Imports one block (its RLP) on the head through the chain layer's stages
 * (chain_import.h: validated, executed with Block-STM, roots checked,
 * committed), on the writer thread; the caller waits. Returns NULL,
 * CHAIN_KNOWN_BLOCK, or why the block was refused (*invalid set when the
 * block itself is invalid, as opposed to not following the head or a store
 * error). The pool and the dev edits follow the new head. */
const char *node_import_block(node *n, const uint8_t *rlp, size_t len, bool *invalid);

/* Seconds the node's block imports (node_import_block, engine_newPayload,
 * reorgs) spent in the chain layer's stages since it opened, and how many
 * blocks they committed. */
typedef struct {
    double validate, senders, execute, root, commit;
    uint64_t blocks;
    uint64_t writes;  /* write transactions that committed them (blocks that
                         arrive while one is written share the next) */
    uint64_t txs, senders_from_pool; /* transactions, and those whose sender the pool had */
    /* roots computed while their block executed: blocks, seconds of rounds
     * during execution, seconds from the end of execution to the root */
    uint64_t preroot_blocks;
    uint64_t preroot_rounds;  /* their rounds, the final ones included */
    uint64_t preroot_chained; /* of those, with the parent's write going on */
    uint64_t preroot_as_guessed; /* of those, final rounds skipped (the last guess was the block) */
    double root_during, root_tail;
    double root_tail_wait; /* of root_tail: waiting for the round running when execution ended */
    /* roots checked on the unwritten state of the parent while its write
     * went on (a newPayload of the child of the block being written) */
    uint64_t root_chained;
    /* accounts and slots the blocks changed, and those whose prior state
     * came from what execution read rather than a second store lookup */
    uint64_t rows, rows_from_reads;
} node_import_times;
void node_import_stats(node *n, node_import_times *out);

/* The dev accounts (dev mode): account i's address and secret key; false
 * past the last. */
bool node_dev_account(const node *n, unsigned i, address *addr, uint8_t key[32]);
/* Dev mode's state file (anvil's --load-state / --dump-state format): loads
 * an anvil state dump (JSON, gzip'd or not: {"accounts": {address: {nonce,
 * balance, code, storage}}...}) as one edit over the head, as
 * anvil_loadState; dumps the head's state (with pending edits) as JSON text
 * (*json malloc'd, the caller frees it). NULL, or why not: a static string
 * or the caller's why, filled here. */
const char *node_dev_load_state(node *n, const uint8_t *data, size_t len, char *why, size_t cap);
const char *node_dev_dump_state(node *n, char **json, char *why, size_t cap);
/* The datadir in use (the temporary one when none was given). */
const char *node_datadir(const node *n);
uint64_t node_chain_id(const node *n);

#endif
