/* The node's context and the helpers its method groups share (not a public
 * contract of the library, but the one every src/node file builds on).
 *
 * Adding a method group (the Engine API, tracing, proofs, eth_simulateV1):
 * write src/node/rpc_<group>.c with `void node_register_<group>(node *n,
 * rpc_methods *m)` that calls rpc_methods_add(m, "name", handler, n) for each
 * method, declare it below and add it to the table in node.c. A handler gets
 * the node as its context; it reads through node_read_open (one snapshot per
 * request), resolves blocks with node_resolve, opens state with
 * node_state_open and loads blocks with node_block_load; anything that
 * writes goes through node_writer_call. Extra state a group needs goes into
 * struct node (a pointer to the group's own struct, created in node_open). */
#ifndef PAREVM_NODE_INTERNAL_H
#define PAREVM_NODE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include "parevm/block_exec.h"
#include "parevm/block_state.h"
#include "parevm/chain.h"
#include "parevm/chain_import.h"
#include "parevm/db.h"
#include "parevm/hashmap.h"
#include "parevm/node.h"
#include "parevm/parallel.h"
#include "parevm/trace.h"
#include "parevm/rpc_codec.h"
#include "parevm/txpool.h"

typedef struct node_dev node_dev;
typedef struct node_console node_console;
typedef struct node_patch node_patch;
typedef struct node_engine node_engine;
typedef struct node_filters node_filters;

/* A job for the writer thread (see node_writer_call). */
typedef const char *(*node_write_fn)(node *n, void *arg);
typedef struct node_job node_job;

struct node {
    node_config cfg;
    char *datadir;
    bool tmp_datadir;          /* created by node_open, removed by node_close */
    db *db;
    chain_config chain;
    rpc_methods *methods;
    txpool *pool;

    /* the writer thread and its queue */
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t wmu;
    pthread_cond_t wcond;      /* wakes the writer */
    pthread_cond_t dcond;      /* a job is done */
    node_job *jobs, *jobs_tail;
    bool stopping, kicked;
    par_engine *engine;        /* Block-STM for building; used by the writer only */
    struct chain_importer *importer; /* for node_import_block (writer only; opened
                                        on first use, dropped when the node
                                        commits or unwinds by itself) */
    executor *wex;             /* the writer's executor */

    /* executors lent to request threads (eth_call...) */
    pthread_mutex_t ex_mu;
    executor **ex_free;
    size_t n_ex_free, cap_ex_free;

    /* recovered senders by transaction hash (a cache, cleared when full),
     * and the senders of dev mode's impersonated transactions (kept) */
    pthread_mutex_t senders_mu;
    word_map senders, forced_senders;

    /* dev-mode state edits not yet in a block, on top of the head they were
     * made on (published as immutable, reference-counted objects) */
    pthread_mutex_t patch_mu;
    node_patch *patch;
    bool patch_stored;         /* the store's record of them holds edits (writer) */

    /* the chain id in force: chain.chain_id, until dev mode's
     * anvil_setChainId changes it (every reader goes through node_chain_id;
     * chain.chain_id stays the stored configuration's) */
    _Atomic uint64_t chain_id;

    /* forkchoice: set by the Engine API; UINT64_MAX = "the head" */
    _Atomic uint64_t safe, finalized;
    /* The Engine API's head when newPayload put blocks above it in the
     * store that no forkchoiceUpdated has named yet (geth inserts them
     * without setting the head): readers take it as the head. UINT64_MAX:
     * the store's head. It is always a block of the store's canonical
     * chain, and never set in dev mode. Set through node_set_fc_head. */
    _Atomic uint64_t fc_head;
    /* fc_head changed since the store's meta last named it (the next
     * block write names it, or the writer thread when idle) */
    _Atomic bool fc_unsaved;
    bool pool_frozen;          /* writer only: the pool keeps its head (node_pool_new_head) */

    /* Engine API payload building (node_engine.c): cfg's builder_* as
     * geth's miner_set* methods change them (rpc_miner.c) */
    pthread_mutex_t miner_mu;
    uint64_t miner_gas_limit;
    uint8_t miner_extra[32];
    size_t miner_extra_len;
    u256 miner_min_tip;

    node_dev *dev;             /* dev mode only */
    bool open_debug;           /* cfg.http_api names debug: debug_setHead on the open port */
    node_engine *eng;          /* the Engine API's state (node_engine.h) */
    node_filters *filters;     /* eth_newFilter...'s registry (rpc_filters.c) */
    rpc_methods *auth_methods; /* the authenticated server's: engine_*, eth_*... */
    node_import_times import_times; /* writer thread only (node_import_stats reads it there) */
    bool import_unsettled;     /* writer only: a block checked and answered for,
                                  its write still with the importer's committer */
    chain_import_stats import_before; /* the importer's stats before that block */
    /* that block, as readers and forkchoiceUpdated see it: readers wait
     * while its write is pending (node_read_open) */
    pthread_mutex_t pw_mu;
    pthread_cond_t pw_cond;
    uint64_t pw_written;       /* writes the importer's committer has ended */
    uint64_t pw_until;         /* readers wait while pw_written < pw_until */
    uint64_t write_base;       /* writer only: pw_written when the importer opened */
    bytes32 pw_hash;           /* the block (writer only) */
    uint64_t pw_number;
    /* odd while the writer takes the store below fc_head and back (a
     * payload executed on a side branch, a reorg): readers wait, and a
     * reader whose snapshot began in such a window reads again (pw_mu) */
    uint64_t fc_gen;
};

/* ---- console.log (node_console.c) ---------------------------------------------- */

/* The table of console.sol's log signatures; freed by node_console_free. */
node_console *node_console_new(void);
void node_console_free(node_console *c);
/* The message a call to console.sol's address with input prints (appended
 * to out, without a final newline; may be empty), or false when input is
 * not one of its log calls or does not decode. */
bool node_console_format(const node_console *c, const uint8_t *input, size_t len, buf_t *out);
/* The arguments of a console.log call for a call trace, as foundry's
 * format_token writes them, joined by ", " ("x", 1234567890 [1.234e9],
 * true, checksummed addresses, 0x bytes), appended to out: 1. Without a
 * change to out: 0 for a log selector whose arguments do not decode, -1
 * for another selector or a short input. */
int node_console_trace_args(const node_console *c, const uint8_t *input, size_t len, buf_t *out);
/* p appended as UTF-8, ill-formed parts replaced by U+FFFD (Rust's
 * String::from_utf8_lossy, which alloy's string decoding uses). */
void node_put_lossy(buf_t *out, const uint8_t *p, size_t n);
/* Writes lines to f at once (not interleaved with another thread's),
 * escaping control characters as anvil's logger does: ESC, BEL, BS, FF
 * and DEL as \x1b..., the C1 controls U+0080...U+009F as \u{80}... */
void node_print(FILE *f, const buf_t *lines);
/* p[0..n) appended in lower-case hex, after "0x" when prefix. */
void node_put_hex(buf_t *out, const uint8_t *p, size_t n, bool prefix);
/* ds-test's log events (node_console_ds.c): their topics, and the message
 * anvil prints for a log with topics[0..n_topics) and data, appended to
 * out; false (out as it was) when it is none of them or does not decode. */
enum { NODE_DS_EVENTS = 22 };
void node_ds_topics(bytes32 topics[NODE_DS_EVENTS]);
bool node_ds_event_format(const bytes32 topics[NODE_DS_EVENTS], const bytes32 *topic0, size_t n_topics,
                          const uint8_t *data, size_t len, buf_t *out);
/* ---- anvil's block report and --print-traces (node_traces.c) ---- */
/* on_log for each of a callTracer frame's logs and on_call for each of its
 * calls, in the order they happened (the logs' positions). */
void node_frame_items(const json_t *frame, void (*on_log)(void *arg, const json_t *log),
                      void (*on_call)(void *arg, const json_t *call), void *arg);
/* "Traces=", the call tree of top (a callTracer frame recorded with
 * revm_frames and with_log) as foundry draws it, and a blank line. */
void node_traces_tree(const node_console *console, fork_id fork, const json_t *top, buf_t *out);
/* A mined transaction's lines of anvil's block report (hash, contract
 * created, gas used, error) and a blank line; top as for node_traces_tree. */
void node_traces_tx_summary(const json_t *top, const char *tx_hash, buf_t *out);
/* The block's lines of the report: number, hash, time, a blank line. */
void node_traces_block_summary(uint64_t number, const bytes32 *hash, uint64_t timestamp, buf_t *out);
/* The selector of signature i (i < the count returned; for fuzzing). */
size_t node_console_selector(const node_console *c, size_t i, uint8_t out[4]);
/* Replays block (number, hash) with the call tracer and writes the
 * console.log messages and ds-test events of its transactions to
 * cfg.console, one line each, and anvil's report of the block (with
 * print_traces, each transaction's call tree first) to cfg.report (writer
 * thread, dev mode, after the block is committed; the caller has checked
 * anvil_setLoggingEnabled). A replay that fails prints nothing. */
void node_console_print_block(node *n, uint64_t number, const bytes32 *hash);
/* A view that notes whether the console's account was read through it (a
 * call to it reads it): eth_call in dev mode wraps its state in one, and
 * re-runs only the calls that did (node_console_print_call). */
typedef struct {
    state_view inner;
    bool seen;
} node_console_watch;
state_view node_console_watch_view(node_console_watch *w, state_view inner);

/* ---- Method groups (one file each) ---------------------------------------------- */

void node_register_web3(node *n, rpc_methods *m);   /* rpc_web3.c: web3_, net_, eth_chainId, eth_syncing... */
void node_register_state(node *n, rpc_methods *m);  /* rpc_state.c: balance, code, storage, nonce */
void node_register_blocks(node *n, rpc_methods *m); /* rpc_blocks.c: blocks, transactions, receipts */
void node_register_logs(node *n, rpc_methods *m);   /* rpc_logs.c: eth_getLogs */
void node_register_filters(node *n, rpc_methods *m); /* rpc_filters.c: eth_newFilter, eth_getFilterChanges... */
void node_register_call(node *n, rpc_methods *m);   /* rpc_call.c: eth_call, eth_estimateGas, eth_createAccessList */
void node_register_fees(node *n, rpc_methods *m);   /* rpc_fees.c: gas price, fee history, blob base fee */
void node_register_pool(node *n, rpc_methods *m);   /* rpc_pool.c: eth_sendRawTransaction, txpool_* */
void node_register_debug(node *n, rpc_methods *m);  /* rpc_debug.c: debug_getRaw* */
void node_register_debug_chain(node *n, rpc_methods *m); /* rpc_debug_chain.c: debug_setHead, debug_getBadBlocks */
void node_register_debug_state(node *n, rpc_methods *m); /* rpc_debug_state.c: debug_getModifiedAccounts*, debug_storageRangeAt, debug_accountRange, debug_dumpBlock */
void node_register_debug_roots(node *n, rpc_methods *m); /* rpc_debug_roots.c: debug_intermediateRoots */
void node_register_trace(node *n, rpc_methods *m);  /* rpc_trace.c: debug_traceTransaction, debug_traceBlockBy*, debug_traceCall */
void node_register_call_many(node *n, rpc_methods *m); /* rpc_call_many.c: eth_callMany, debug_traceCallMany (reth's) */
void node_register_call_bundle(node *n, rpc_methods *m); /* rpc_call_bundle.c: eth_callBundle (Flashbots', as reth) */
void node_register_parity_trace(node *n, rpc_methods *m); /* rpc_parity_trace.c: trace_* (Parity's, as reth) */
void node_register_otterscan(node *n, rpc_methods *m); /* rpc_otterscan.c: ots_*, erigon_getHeaderByNumber */
void node_register_dev(node *n, rpc_methods *m);    /* rpc_dev.c: evm_, anvil_, hardhat_, eth_sendTransaction */
void node_register_dev_chain(node *n, rpc_methods *m); /* rpc_dev_chain.c: anvil_nodeInfo, anvil_metadata, evm_setTime, anvil_rollback, anvil_reorg */
void node_register_dev_erc20(node *n, rpc_methods *m); /* rpc_dev_erc20.c: anvil_dealERC20, anvil_setERC20Allowance */
void node_register_dev_state(node *n, rpc_methods *m); /* rpc_dev_state.c: anvil_dumpState, anvil_loadState */
void node_register_dev_sigs(node *n, rpc_methods *m);  /* node_dev_sigs.c: anvil_impersonateSignature */
void node_register_sign(node *n, rpc_methods *m);   /* rpc_sign.c: eth_sign, personal_sign, eth_signTypedData_v4, eth_signTransaction */
void node_register_proofs(node *n, rpc_methods *m); /* rpc_proofs.c: eth_getProof, eth_getAccount, debug_executionWitness */
void node_register_simulate(node *n, rpc_methods *m); /* rpc_simulate.c: eth_simulateV1 */
void node_register_config(node *n, rpc_methods *m); /* rpc_config.c: eth_config (EIP-7910), eth_capabilities */
void node_register_engine(node *n, rpc_methods *m); /* rpc_engine.c: engine_*, testing_buildBlockV1 (authenticated server) */
void node_register_trace_files(node *n, rpc_methods *m); /* rpc_trace_files.c: debug_standardTrace*ToFile */
void node_register_miner(node *n, rpc_methods *m);   /* rpc_miner.c (open port with --http.api miner) */
void node_register_testing(node *n, rpc_methods *m); /* rpc_engine.c: testing_buildBlockV1 (also open with --http.api testing) */

/* ---- Reading: one snapshot per request ---------------------------------------------- */

typedef struct {
    node *n;
    db_snapshot *snap;         /* the latest commit */
    bool has_head;
    uint64_t head;             /* the Engine API's head, or the store's */
    bytes32 head_hash;
    uint64_t store_head;       /* the store's head: the snapshot's state is its */
    node_patch *patch;         /* dev edits on this head (retained), or NULL */
} node_read;

/* Opens a snapshot of the latest commit (with the dev edits made on it).
 * Fails only on a store error (then err is -32603). */
bool node_read_open(node *n, node_read *r, rpc_error *err);
void node_read_close(node_read *r);
/* node_read_open for a writer job, which reports a failure as a string:
 * NULL, or "cannot read the head". */
const char *node_read_open_job(node *n, node_read *r);

/* Resolves a block reference against r's snapshot. *found false (and true
 * returned) when the block does not exist: a number past the head, an
 * unknown hash. A hash that is not canonical is found unless the reference
 * requires it canonical (then an error, as geth: "hash ... is not currently
 * canonical"). "pending" is the head; "safe"/"finalized" the forkchoice's
 * blocks (until a consensus client sets them, geth's -32000 "safe block not
 * found"; in dev mode epochs below the head). */
bool node_resolve(node_read *r, const rpc_block_ref *ref, uint64_t *number, bytes32 *hash, bool *found,
                  rpc_error *err);
/* Parses and resolves params[i] as a block reference (rpc_parse_block_ref,
 * or rpc_parse_block_number when numbers_only) in one step; invalid input
 * fills err with -32602. */
bool node_resolve_arg(node_read *r, const json_t *params, size_t i, bool numbers_only, uint64_t *number,
                      bytes32 *hash, bool *found, rpc_error *err);

/* Where a canonical transaction is (db_tx_location): DB_NOT_FOUND for one
 * in a block above r's head (a payload no forkchoiceUpdated named yet). */
const char *node_tx_location(node_read *r, const bytes32 *tx_hash, uint64_t *number, uint32_t *index);

/* Reads and decodes a stored header. */
const char *node_header(node_read *r, uint64_t number, const bytes32 *hash, block_header *out);

/* The state after a block, for state methods and calls: the latest (with
 * the dev edits) or a historical snapshot. */
typedef struct {
    db_snapshot *src;          /* the snapshot the view reads (the request's or hist) */
    db_snapshot *hist;         /* a historical snapshot (owned), or NULL */
    block_state *edits;        /* edits layered over the view (owned), or NULL */
    block_state_over *over;    /* the view of the head's shared dev edits (owned), or NULL */
    bool head_edits;           /* the view shows the head's dev edits (r->patch) */
    state_view view;
    code_store *codes;
    uint64_t number;
    block_header header;       /* of the block whose state this is */
    bool pending;              /* asked for as "pending": the latest state, which calls
                                  run on in the next block's context (node_call) */
    struct node_pending *pending_block; /* the pending block when there is one
                                  (node_has_pending): the view shows its state
                                  (node_build.h; owned), or NULL */
} node_state;

/* Opens the state after the block ref names (a missing block is -32000
 * "header not found", as geth). */
bool node_state_open(node_read *r, const rpc_block_ref *ref, node_state *st, rpc_error *err);
/* The same from params[i] (absent: latest). */
bool node_state_arg(node_read *r, const json_t *params, size_t i, node_state *st, rpc_error *err);
/* The state after block number (must exist). */
bool node_state_at(node_read *r, uint64_t number, const bytes32 *hash, node_state *st, rpc_error *err);
void node_state_close(node_state *st);

/* A store error met while reading through st->view, as an -32603 error;
 * false when there was none. */
bool node_state_failed(node_state *st, rpc_error *err);

/* The state root of st's block's state with cs applied, from the store's
 * tries in st's snapshot (the commit st's reads saw, whatever was written
 * since; nothing written); NULL, or why it could not be had. */
const char *node_root_after(const node_state *st, const change_set *cs, bytes32 *root);

/* ---- Blocks as stored ---------------------------------------------------------------- */

/* How a block is kept in the store (the formats of chain_import.h): its
 * header RLP; its body as the RLP list [transactions, ommers] or
 * [transactions, ommers, withdrawals] (the items of the block's RLP after
 * the header); its receipts as the RLP list of byte strings, each one
 * receipt's consensus encoding (receipt_encode). */
void node_body_encode(const block *b, buf_t *out);
void node_receipts_encode(const block_result *r, buf_t *out);

typedef struct {
    uint8_t type;
    bool success;
    bool has_root;             /* pre-Byzantium: post-state root */
    bytes32 root;
    uint64_t cumulative_gas;
    uint64_t gas_used;         /* derived from the cumulative gas */
    uint8_t bloom[256];
    size_t first_log, n_logs;  /* in node_block.logs */
} node_receipt;

typedef struct {
    address addr;
    bytes32 topics[4];
    uint32_t n_topics;
    const uint8_t *data;       /* into node_block.receipts_rlp */
    size_t len;
} node_log;

/* NODE_LOAD_LOGS: the receipts and their logs, and the raw body for the
 * transaction hashes (node_block_tx_hash), without decoding the
 * transactions (eth_getLogs). */
enum { NODE_LOAD_BODY = 1, NODE_LOAD_RECEIPTS = 2, NODE_LOAD_SENDERS = 4, NODE_LOAD_LOGS = 8 };

typedef struct {
    uint64_t number;
    bytes32 hash;
    buf_t header_rlp, body_rlp, receipts_rlp;
    block b;                   /* the header, and the body when loaded */
    bool has_body;
    size_t rlp_size;           /* of the whole block (with its body) */
    node_receipt *receipts;    /* NODE_LOAD_RECEIPTS */
    size_t n_receipts;
    node_log *logs;
    size_t n_logs;
    bytes32 *tx_hashes;        /* NODE_LOAD_LOGS: filled by node_block_tx_hash */
    const uint8_t **tx_raw;    /* NODE_LOAD_LOGS: each transaction's bytes in body_rlp */
    size_t *tx_raw_len;        /* (tx_raw[i] NULL once hashed) */
    fork_id fork;
    u256 blob_base_fee;        /* Cancun on */
} node_block;

/* Loads a stored block (header always; body, receipts and senders on
 * request). Returns NULL, DB_NOT_FOUND, or a reason (a corrupt record). */
const char *node_block_load(node_read *r, uint64_t number, const bytes32 *hash, unsigned what, node_block *out);
void node_block_free(node_block *b);
/* nb's receipts and logs (NODE_LOAD_RECEIPTS's) from its execution r, for
 * a block not in the store (dev mode's pending block); NULL or why not. */
const char *node_block_receipts_of(node_block *nb, const block_result *r);

/* For the tracing methods (rpc_trace.c): loads a block to replay (body and
 * senders) and opens the state after its parent; false with err ("genesis
 * is not traceable" for block 0). On success both are open: the caller
 * frees them. */
bool node_open_replay(node_read *r, uint64_t number, const bytes32 *hash, node_block *nb, node_state *st,
                      rpc_error *err);
/* reth's block_id_to_str: "0x1f", a tag, "hash 0x..." or "canonical hash 0x...". */
void node_reth_ref_text(const rpc_block_ref *ref, char out[100]);
/* Resolves a block reference to an existing block; geth's "block #N not
 * found" / "block 0x... not found" (-32000) otherwise. */
bool node_resolve_existing(node_read *r, const rpc_block_ref *ref, uint64_t *number, bytes32 *hash, rpc_error *err);
/* The outcome of a trace: out (taken) as *result, a store error met while
 * reading through st, or the library's reason why (-32000). */
bool node_trace_finish(json_t *out, node_state *st, const char *why, json_t **result, rpc_error *err);
/* The error of a trace config the library refused (why) in params[arg]:
 * geth fails decoding the TraceConfig itself in the RPC layer (-32602) but
 * an unknown tracer or a bad tracerConfig when it builds the tracer
 * (-32000). Returns false. */
bool node_trace_config_error(rpc_error *err, size_t arg, const char *why);
/* The trace under cfg of the mined transaction txh, replayed in its block;
 * *found false (and true returned) when the store has no such transaction. */
bool node_trace_mined(node *n, const bytes32 *txh, const trace_config *cfg, bool *found, json_t **result,
                      rpc_error *err);
/* The hash of transaction i of a block loaded with its body or with
 * NODE_LOAD_LOGS (then hashed at the first call for i: a block of many
 * transactions with one matching log hashes one). */
const bytes32 *node_block_tx_hash(node_block *b, size_t i);
/* rpc_parity_trace.c: an index or count, a JSON number or a quantity;
 * NULL, or why not. */
const char *node_parse_count(const json_t *v, uint64_t *out);
/* rpc_parity_trace.c: replays block (number, hash) under cfg; *out is
 * trace_block's [{"txHash", "result"}...] ([] for the genesis); rewards
 * (may be NULL) gets reth's reward traces of a block before the Merge. */
bool node_trace_block_replay(node *n, node_read *r, uint64_t number, const bytes32 *hash, const trace_config *cfg,
                             json_t *rewards, json_t **out, rpc_error *err);
/* rpc_blocks.c: the mined transaction of sender a with this nonce, found by
 * bisection over the history of a's nonce: its block loaded (with senders)
 * into nb and its index; *found false (nothing loaded) when no transaction
 * used that nonce (an EIP-7702 authorization did, or none yet). */
bool node_mined_by_sender_nonce(node_read *r, const address *a, uint64_t nonce, node_block *nb, size_t *index,
                                bool *found, rpc_error *err);
/* Recovers (or finds in the node's cache) the sender of tx. */
bool node_tx_sender(node *n, transaction *tx, fork_id fork);

/* The rules of a block of this chain (the merge judged from the header:
 * difficulty zero after it). */
bool node_merged(const node *n, const block_header *h);
fork_id node_fork(const node *n, const block_header *h);
block_rules node_rules(const node *n, const block_header *h);
/* How every execution of the node runs its messages (block_rules.host):
 * in dev mode anvil_impersonateSignature's ecrecover overrides, else NULL. */
const state_host_options *node_host(const node *n);
/* A replay of block b on layer (the state after its parent, owned by the
 * caller) with ex: node_replay_begin applies its system calls (EIP-4788,
 * EIP-2935) and gives the env of its transactions; node_replay_tx runs one
 * and, when it is valid, applies it and adds its gas to *gas (the block's
 * so far); false (layer untouched) when it cannot be applied. */
block_env node_replay_begin(node *n, executor *ex, const block *b, block_state *layer);
bool node_replay_tx(executor *ex, const block_env *env, block_state *layer, const transaction *tx, uint64_t *gas,
                    tx_result *res);
/* rpc_fees.c: the tip eth_maxPriorityFeePerGas suggests at r's head. */
bool node_suggest_tip(node_read *r, u256 *out, rpc_error *err);
/* eth_gasPrice's answer from a base fee (london: whether there is one) and
 * the suggested tip: their sum from London on (the base fee alone with
 * cfg.dev_no_min_priority_fee), the tip before it, or dev mode's
 * cfg.dev_gas_price there when set (rpc_fees.c). */
u256 node_gas_price(const node *n, const u256 *base_fee, bool london, const u256 *tip);
/* Whether the child of parent is after the Merge: parent is, the child's
 * number reaches paris_block, or (with a terminal total difficulty) the
 * parent's difficulty is zero. */
bool node_child_merged(const node *n, const block_header *parent);
/* The base fee, excess blob gas and blob base fee of the child of parent,
 * whose timestamp is time. */
void node_next_fees(const node *n, const block_header *parent, uint64_t time, u256 *base_fee,
                    uint64_t *excess_blob_gas, u256 *blob_base_fee);
/* The timestamp the child of parent gets if built now: in dev mode the dev
 * clock's (node_dev_next_time), else the parent's + 1. */
uint64_t node_next_time(const node *n, const block_header *parent);
/* The child of parent as far as its rules and fees go (number, timestamp
 * by node_next_time, difficulty zero after the Merge, base fee, blob gas
 * fields; the rest parent's): what a transaction sent now runs in. */
block_header node_next_header(const node *n, const block_header *parent);

/* ---- JSON of chain objects (execution-apis, field for field as geth) ----------------- */

/* Where a transaction sits (NULL for a pool transaction: nulls). */
typedef struct {
    bytes32 block_hash;
    uint64_t number, timestamp, index;
    bool has_base_fee;
    u256 base_fee;
} node_tx_place;

json_t *node_json_tx(const transaction *tx, const node_tx_place *where);
/* Where transaction i of a loaded block sits (rpc_blocks.c). */
node_tx_place node_tx_place_at(const node_block *nb, size_t i);
/* The block: transaction hashes, or full transactions (senders known). */
json_t *node_json_block(const node_block *b, bool full);
/* The header as geth's RPCMarshalHeader: node_json_block's object without
 * size, transactions, uncles and withdrawals. */
json_t *node_json_header(const node_block *b);
/* Receipt i of a block loaded with NODE_LOAD_RECEIPTS | NODE_LOAD_SENDERS
 * (log indexes are block-wide). */
json_t *node_json_receipt(const node_block *b, size_t i);
/* A list as geth's JSON writes a Go slice built by appending: an empty one
 * is nil, written null. Takes list; returns it or null. */
json_t *node_json_go_list(json_t *list);
/* Log k of the block (its transaction i, block-wide index k); a block
 * loaded with NODE_LOAD_LOGS needs node_block_tx_hash called first. */
json_t *node_json_log(const node_block *b, size_t i, size_t k);
/* The address of a contract created by sender with nonce. */
address node_create_address(const address *sender, uint64_t nonce);

/* Validates a raw transaction against the head's state and adds it to the
 * pool (rpc_pool.c), with cond (eth_sendRawTransactionConditional's ranges)
 * when not NULL; NULL or the reason, with the decoder's detail. */
const char *node_pool_add_raw(node *n, const uint8_t *raw, size_t len, const txpool_condition *cond, bytes32 *hash,
                              char *detail, size_t dlen);

/* The pool's rules for the block after h, and re-checking the pool after a
 * new head (node.c). */
txpool_env node_pool_env(const node *n, const block_header *h);
/* rpc_pool.c: removes the pool's transactions (only sender's, when given). */
void node_pool_drop(node *n, const address *sender);
void node_pool_new_head(node *n);
/* After a reorg (node.c): the transactions of the count blocks from first
 * (hashes: the old canonical ones) go back to the pool, as geth's
 * legacypool reset does; none when more than 64 blocks left the chain, and
 * no blob transactions (their blobs are gone). Those the new branch
 * included fail the nonce check. Writer thread, after the switch. */
void node_pool_reinject(node *n, uint64_t first, const bytes32 *hashes, size_t count);
/* After the writer moved the head (a block committed, an unwind): the dev
 * edits of the new head become edits (NULL: none), the pool is checked
 * against it and the importer reopens on next use. Writer thread only. */
void node_head_moved(node *n, const change_set *edits);

/* Writer thread only: imports one block (its RLP) on the head as
 * node_import_block does, and unwinds the store to block number (the
 * importer closed first, the pool and dev edits following). */
const char *node_import_rlp(node *n, const uint8_t *rlp, size_t len, bool *invalid);
/* The same, except that a valid block's write is left to the importer's
 * committer thread: it returns once the block is checked (root included),
 * and the writer finishes the write (node_import_settle) as soon as the
 * job's caller has its answer. Readers see the block when it is written.
 * The Engine API's newPayload. */
const char *node_import_rlp_early(node *n, const uint8_t *rlp, size_t len, bool *invalid);
/* Writer thread only: waits for that write and moves the node to the new
 * head (nothing when no write is pending). The writer calls it before
 * every job but forkchoiceUpdated's (node_writer_call_keeping), and when
 * it is idle and the write has ended. */
void node_import_settle(node *n);
/* Writer thread only: blocks checked while their parent's write went on
 * wait in the importer's queue; once the committer has ended that write
 * (queue_waiting), write_queue hands them over as one batch, again without
 * waiting for it (or settles, when it cannot). */
bool node_import_queue_waiting(node *n);
void node_import_write_queue(node *n);
/* Whether a write left by node_import_rlp_early is pending; readers wait
 * for it (node_read_open). Any thread. */
bool node_write_pending(node *n);
/* Waits for that write and for the end of a move below the Engine API's
 * head (node_move_begin); returns fc_gen, which node_moved_since compares. */
uint64_t node_wait_written(node *n);
bool node_moved_since(node *n, uint64_t gen);
/* Writer thread only: between begin and end the store may go below the
 * Engine API's head (fc_head) and come back; readers wait meanwhile, so
 * the writer must not read through node_read_open then (the pool stays
 * frozen: pool_frozen). */
void node_move_begin(node *n);
/* Sets the Engine API's head (fc_head): a change is kept in the store's
 * meta by the next block write, or by the writer thread when idle
 * (node_engine_save_head), so that a restart begins there. */
static inline void node_set_fc_head(node *n, uint64_t number) {
    if (atomic_exchange(&n->fc_head, number) != number) atomic_store(&n->fc_unsaved, true);
}
void node_move_end(node *n);
/* Writer thread only: unwinds the store to block number (the Engine API's
 * head, when above it, becomes the store's head again). */
const char *node_unwind_to(node *n, uint64_t number);
/* Writer thread only (rpc_debug_chain.c): debug_setHead's rewind to block
 * number, below the head (else geth's "not allowed to rewind to a future
 * block"): the store unwound, safe and finalized lowered to it, the Engine
 * API's and dev mode's state above it forgotten. NULL or why not. */
const char *node_set_head(node *n, uint64_t number);

/* ---- Filters (rpc_filters.c) --------------------------------------------------------- */

node_filters *node_filters_new(void);
void node_filters_free(node_filters *fs);
/* A transaction entered the pool (pending-transaction filters). Any thread. */
void node_filters_tx_added(node *n, const bytes32 *hash);

/* ---- Waiting for inclusion (EIP-7966, rpc_pool.c) ---------------------------------- */

/* eth_send*TransactionSync: params[0] sent with `send` (eth_sendRawTransaction's
 * or eth_sendTransaction's handler), then the receipt as the result once
 * it is mined. params[1], the timeout, is milliseconds as a JSON number or a
 * hex quantity (absent or 0: 20 s; at most 60 s, geth's); past it error 4
 * with the hash as its data, in geth's words. */
bool node_send_sync(node *n, rpc_handler send, const json_t *params, json_t **result, rpc_error *err);

/* ---- Executors for request threads --------------------------------------------------- */

executor *node_executor_get(node *n);
void node_executor_put(node *n, executor *ex);

/* ---- The writer thread ----------------------------------------------------------------- */

/* Runs fn(n, arg) on the writer thread, after the work queued before it,
 * and returns its result; the caller waits. Every write to the store goes
 * through here (blocks, dev state edits, unwinds). Must not be called from
 * the writer thread itself. Returns "node is stopping" once node_close has
 * begun. */
const char *node_writer_call(node *n, node_write_fn fn, void *arg);
/* The same for a job that may run while a block's write is pending
 * (forkchoiceUpdated: fn settles it itself unless it can answer without). */
const char *node_writer_call_keeping(node *n, node_write_fn fn, void *arg);
/* Wakes the writer (dev mode: mine what the pool holds). */
void node_writer_kick(node *n);
bool node_writer_start(node *n);
void node_writer_stop(node *n);

/* ---- Dev mode ---------------------------------------------------------------------- */

/* Sets up dev mode, creating the dev chain's genesis in an empty store
 * (writer not running). */
const char *node_dev_init(node *n);
/* The timestamp dev mode would give the child of a block of parent_time
 * now (a pinned one, the interval, or the clock), without using it up. */
uint64_t node_dev_next_time(node_dev *d, uint64_t parent_time);
void node_dev_free(node *n);
/* Dev-mode mining on the writer thread: with automine, blocks of one
 * transaction until the pool has none pending; called when kicked and every
 * dev_period_s seconds (then one block with everything that fits). */
void node_dev_mine_due(node *n, bool period_elapsed);

/* Dev edits (anvil_setBalance...): the change set they make, over the head
 * they were made on, published as immutable objects. node_patch_get gives
 * the edits of the head (number, hash), retained, or NULL without edits;
 * *stale when the published edits belong to another head (the reader's
 * snapshot and the edits crossed a commit: read again). node_patch_publish
 * (writer thread) makes cs (NULL: none) the edits of the head. */
node_patch *node_patch_get(node *n, uint64_t head, const bytes32 *head_hash, bool *stale);
void node_patch_publish(node *n, uint64_t head, const bytes32 *head_hash, const change_set *cs);
/* The same for cs = prev's edits (the head's patch, retained by the
 * caller) followed by edit: the new patch's index is then built from
 * prev's, when prev has one. */
void node_patch_publish_edit(node *n, uint64_t head, const bytes32 *head_hash, const change_set *cs, node_patch *prev,
                             const change_set *edit);
/* Dev mode keeps the edits not yet mined in the store (meta "dev.pending":
 * the head's hash, then the set), so that a restart on the datadir finds
 * them. node_patch_store writes cs (NULL: none) as the edits of head_hash;
 * an empty set is written only over a record that held edits. Returns NULL
 * or the store's error. node_patch_load publishes the record's edits when
 * they belong to the head (none otherwise), at start. Writer thread (or
 * before it runs). */
const char *node_patch_store(node *n, const bytes32 *head_hash, const change_set *cs);
/* The same record for a commit to write (value appended to, *out naming
 * it); false when none is needed. The caller sets patch_stored after. */
bool node_patch_record(node *n, const bytes32 *head_hash, const change_set *cs, buf_t *value, db_meta *out);
const char *node_patch_load(node *n, uint64_t head, const bytes32 *head_hash);
void node_patch_release(node_patch *p);
/* Shows r's edits, when there are any, over st's view (the state of r's
 * head, with no edits yet): st->view reads them (shared by every reader
 * of the patch) over st's own snapshot. st must stay in r's lifetime. */
void node_patch_apply(node_read *r, node_state *st);
/* Another reference to p (NULL stays NULL). */
node_patch *node_patch_retain(node_patch *p);
/* Layers cs (NULL or empty: nothing) over st, which must have no edits yet. */
void node_state_layer(node_state *st, const change_set *cs);
/* node_dev.c: replays of a block a dev node mined see the edits
 * (anvil_set*...) it folded in, which are stored with the block (meta
 * "dev.edits.0x<hash>", an empty set where there were none) and so outlive
 * the process: layers them (if any) over st, the state after the parent of
 * block_hash. Returns NULL, or why the record cannot be read. Any thread. */
const char *node_dev_layer_edits(node_read *r, const bytes32 *block_hash, node_state *st);
/* The record of the edits (NULL: none) a block folds in, for its commit:
 * *out names name and value (the caller's; the record is appended to
 * value). */
#define NODE_DEV_EDITS_NAME 80
void node_dev_edits_meta(const bytes32 *block, const change_set *edits, buf_t *value, char name[NODE_DEV_EDITS_NAME],
                         db_meta *out);
/* An impersonated transaction (dev mode) carries a placeholder signature
 * that recovers to no one; its hash covers its sender, as anvil's does:
 * keccak(the transaction as a block holds it (typed: as an RLP string) ||
 * sender), so that two senders' identical transactions differ. */
bytes32 node_dev_vouched_hash(const uint8_t *item, size_t len, const address *sender);
/* Their senders are stored with their block: the record for its commit
 * (as above; false when it has none); and node_dev_load_vouched, after a
 * block's body is loaded (decoded, or indexed for its logs), gives those
 * transactions their hashes and makes their senders known. NULL, or why
 * the record cannot be read. */
bool node_dev_senders_meta(node *n, const block *b, buf_t *value, char name[NODE_DEV_EDITS_NAME], db_meta *out);
const char *node_dev_load_vouched(node_read *r, node_block *nb);
/* The edits over the head, as a change set (NULL: none). */
const change_set *node_patch_changes(const node_patch *p);

#endif
