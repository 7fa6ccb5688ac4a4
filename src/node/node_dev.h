/* Dev mode's state (node_dev.c, rpc_dev.c): the prefunded accounts, the
 * impersonated ones, the clock, evm_snapshot's saved heads, automine; and
 * what rpc_dev.c lends rpc_sign.c (keys, eth_sendTransaction's filling). */
#ifndef PAREVM_NODE_DEV_H
#define PAREVM_NODE_DEV_H

#include "node_internal.h"

/* A blob of a mined blob transaction (anvil_getBlobByHash). */
typedef struct {
    bytes32 versioned_hash, tx;
    uint8_t *data;             /* TX_BLOB_SIZE bytes, owned */
} node_dev_blob;

/* The last blobs kept: older ones are forgotten (128 MiB at most). */
#define NODE_DEV_MAX_BLOBS 1024

/* A signature anvil_impersonateSignature registered, and whom ecrecover
 * answers for it. */
typedef struct {
    uint8_t sig[65];           /* r || s || v */
    address addr;
} node_dev_sig;

typedef struct {
    uint64_t id;
    uint64_t number;           /* the head when the snapshot was taken */
    bytes32 hash;
    node_patch *patch;         /* the edits on it then (retained), or NULL */
    int64_t time_offset;
    bool has_next_time;
    uint64_t next_time;
} node_dev_snapshot;

struct node_dev {
    node_console *console;     /* console.log's signatures (cfg.console or cfg.report set) */
    _Atomic bool quiet;        /* anvil_setLoggingEnabled(false): no console lines, reports or traces */
    unsigned n_accounts;
    address *addrs;
    uint8_t (*keys)[32];

    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t cond;       /* a mining round ended */
    uint64_t rounds_started, rounds_done;
    bool automine;
    int64_t time_offset;       /* evm_increaseTime */
    bool has_next_time;        /* evm_setNextBlockTimestamp */
    uint64_t next_time;
    address *impersonated;
    size_t n_impersonated, cap_impersonated;
    bool auto_impersonate;
    unsigned period_s;         /* interval mining (--dev.period, evm_setIntervalMining); 0: none */
    bool has_ts_interval;      /* anvil_setBlockTimestampInterval: each block this many */
    uint64_t ts_interval;      /* seconds after its parent */
    address coinbase;          /* of mined blocks (anvil_setCoinbase) */
    address genesis_coinbase;  /* block 0's (zero, as anvil's, unless a genesis file says) */
    uint64_t genesis_time;     /* block 0's timestamp */
    uint64_t gas_limit;        /* of the next blocks (evm_setBlockGasLimit); 0: the parent's */
    bool has_next_base_fee;    /* anvil_setNextBlockBaseFeePerGas, for one block */
    u256 next_base_fee;
    bool has_next_randao;      /* anvil_setNextBlockPrevRandao, for one block */
    bytes32 next_randao;
    uint64_t randao_generation; /* bumped by each set or drop of it */
    uint64_t head_wall_ms;     /* when the head was installed (anvil_getLastBlockWallTime) */
    node_dev_snapshot *snapshots; /* writer thread only */
    size_t n_snapshots, cap_snapshots;
    uint64_t next_snapshot;
    bytes32 instance_id;       /* anvil_metadata's: random, new on anvil_reset */
    node_dev_blob *blobs;      /* mined blobs, oldest first (also forgotten by anvil_reset) */
    size_t n_blobs;

    /* anvil_impersonateSignature's pairs (node_dev_sigs.c): sig_mu guards
     * them; n_sigs is also read without it, to skip the lock while none */
    pthread_mutex_t sig_mu;
    _Atomic size_t n_sigs;
    node_dev_sig *sigs;
    size_t cap_sigs;
    state_host_options host;   /* every execution's in dev mode (node_host) */
};

/* Mines one block on the writer thread: at most max_txs transactions (0:
 * as many as fit; none when empty), at timestamp (0: the dev clock). */
const char *node_dev_mine(node *n, size_t max_txs, bool empty, uint64_t timestamp, size_t *n_txs);
/* The same with txs (senders known) instead of the pool's, at the dev
 * clock's time; those that cannot be included are left out, as anvil
 * leaves them out of anvil_reorg's blocks. The caller keeps txs. */
const char *node_dev_mine_list(node *n, const transaction *txs, size_t n_txs, size_t *included);
bool node_dev_automine(node_dev *d);

/* anvil_impersonateSignature (node_dev_sigs.c): sets up and frees d's
 * pairs and d->host, whose recover_override answers from them. */
void node_dev_sigs_init(node_dev *d);
void node_dev_sigs_free(node_dev *d);

/* Forgets every kept blob (anvil_reset). Any thread. */
void node_dev_forget_blobs(node_dev *d);
/* A kept blob by versioned hash, or the blobs of a transaction (in order):
 * copies into a new JSON value (the blob's hex, or a list), or NULL when
 * none is kept. Any thread. */
json_t *node_dev_blob_json(node_dev *d, const bytes32 *versioned_hash);
json_t *node_dev_tx_blobs_json(node_dev *d, const bytes32 *tx_hash);

/* Sets the dev clock to t (evm_setTime, anvil_rollback), dropping a pinned
 * next timestamp; returns how many seconds t is past the timestamp the next
 * block on a parent of parent_time would have had (0 if not). Any thread. */
uint64_t node_dev_set_time(node_dev *d, uint64_t parent_time, uint64_t t);

/* anvil_setNextBlockBaseFeePerGas's fee, if one is set for the next block
 * (then *fee is it); any thread. */
bool node_dev_next_base_fee(node_dev *d, u256 *fee);

/* The dev clock's offset arithmetic, held within int64_t rather than
 * overflowing (a timestamp given over RPC is any u64): off + s, and the
 * offset under which the clock reads t now (t past 2^63 - 1 held there). */
int64_t node_dev_offset_plus(int64_t off, uint64_t s);
int64_t node_dev_offset_to(uint64_t t);

/* A run of mined blocks (evm_mine, anvil_mine, evm_mine_detailed): the
 * first at timestamp (0: the dev clock), each later one interval seconds
 * after it (at least one). With a timestamp the clock goes on from the last
 * block's, as anvil's does after evm_mine(timestamp). */
typedef struct {
    uint64_t blocks, interval, timestamp;
    bool advance;              /* anvil_mine's interval: the clock moves on by it before each block */
    uint64_t last;             /* out: the head after the run */
} node_dev_mine_job;
/* Writer job (node_writer_call) running a node_dev_mine_job *arg. */
const char *node_dev_mine_blocks(node *n, void *arg);
/* The interval of interval mining in seconds (0: none); any thread. */
unsigned node_dev_period(node *n);
/* The coinbase of the blocks dev mode mines (eth_coinbase). */
address node_dev_coinbase(node_dev *d);
/* Dev mode, after a transaction entered the pool: with automine, waits
 * until the writer's next mining round is over (it is mined by then). */
void node_dev_submitted(node *n, const bytes32 *hash);

/* rpc_dev.c: a quantity as hardhat and viem send it (a JSON number, or hex
 * with leading zeros allowed); NULL or why not. */
const char *node_dev_u64(const json_t *v, uint64_t *out);
const char *node_dev_u256(const json_t *v, u256 *out);
/* rpc_dev_chain.c: each of blocks first..last (mined by evm_mine_detailed)
 * as eth_getBlockByNumber(n, true) gives it, each transaction with its
 * `output` and, when it failed, a decoded `revertReason`, as anvil's (the
 * blocks replayed). */
bool node_dev_detailed_blocks(node *n, uint64_t first, uint64_t last, json_t **result, rpc_error *err);
/* rpc_dev_chain.c: a fresh random anvil_metadata instance id (at start and
 * on anvil_reset). */
void node_dev_new_instance(node_dev *d);
/* rpc_dev.c: applies cs (taken, emptied) as one dev edit over the head,
 * on the writer thread; *result = ok_value (taken) on success. */
bool node_dev_edit(node *n, change_set *cs, json_t **result, json_t *ok_value, rpc_error *err);

/* A new head was installed now (mined, reverted to, reset): its wall time
 * for anvil_getLastBlockWallTime. Any thread. */
void node_dev_head_installed(node_dev *d);
/* Drops a pending anvil_setNextBlockPrevRandao (anvil_reset, evm_revert,
 * anvil_rollback, as anvil drops it). Any thread. */
void node_dev_drop_next_randao(node_dev *d);

/* rpc_dev.c: the key of a dev account, or NULL (any other account, an
 * impersonated one too: it cannot sign). */
const uint8_t *node_dev_key(const node *n, const address *a);
bool node_dev_impersonated(const node *n, const address *a);
/* The accounts anvil_impersonateAccount named (not the automatic ones),
 * appended to list (a JSON array) where list does not hold them yet, as
 * anvil's eth_accounts adds them. Any thread. */
void node_dev_list_impersonated(const node *n, json_t *list);
/* The transaction eth_sendTransaction makes of a call object from a->from,
 * unsigned: the type from the fields present, the node's chain id (EIP-155
 * for legacy too), the pool's next nonce, fees for the next block and the
 * estimated gas where the object leaves them out. A call the estimate
 * cannot run gets the block's gas (anvil's build_tx_request), unless
 * strict (eth_fillTransaction: the estimate's error). On success tx owns
 * its buffers (tx_free); on failure err is filled and tx is empty. */
bool node_dev_fill_tx(node *n, const rpc_call_args *a, bool strict, transaction *tx, rpc_error *err);
/* An impersonated sender's transaction: a fixed, harmless signature
 * (r = s = 1), the hash node_dev_vouched_hash gives, and the sender vouched
 * for (remembered by that hash). */
void node_dev_vouch(node *n, transaction *tx, const address *from);

#endif
