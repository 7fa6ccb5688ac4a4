/* The chain layer on top of the store (db.h): a genesis written as block 0
 * (`parevm init`), and the import of blocks (`parevm import`, the node's
 * newPayload): validate, execute, verify and commit, one block after
 * another, resumable after a crash at any moment.
 *
 * Stages of one block, in order; the first failure makes it invalid:
 *   headers    the header against its parent (header_validate: number,
 *              timestamp, gas limit, base fee, difficulty or the Merge's
 *              constants, blob gas, the DAO extra data) and the block size
 *              (EIP-7934)
 *   bodies     the ommers (at most two, valid headers, six generations,
 *              not ancestors, not included before) and their hash, the
 *              transactions root, the withdrawals (presence and root)
 *   senders    every transaction's sender, recovered on the worker threads
 *   execution  Block-STM (par_block_execute) on a block_state over the
 *              state of the parent; gas used, bloom, receipts root, blob gas,
 *              requests hash checked against the header; then the state root
 *              (below)
 * A block is committed (db_commit_blocks) with its header, body, receipts,
 * transaction index, change set, total difficulty and the checkpoints of
 * the four stages, in one write transaction with the blocks queued before
 * it; a crash leaves the store at the last committed block, and the next
 * importer continues from there. Commits run on a committer thread: while
 * it writes a batch (state root included), the next blocks execute on the
 * store's snapshot with the batch's changes layered on top; a failure of
 * that commit is reported by a later call (with the first invalid block).
 * Blocks whose roots are all checked queue up while it writes (up to
 * batch), and its next batch checks each one's root in one transaction.
 *
 * State roots: every block's root is checked by default. With root_every
 * T > 1 the trie is brought up to date, and the root compared with the
 * header's, only every T blocks (block numbers divisible by T) and at every
 * flush; blocks in between are committed without their root. A mismatch at
 * a check (or an invalid block after unchecked ones) makes the importer
 * unwind to the last checked block and re-run the unchecked blocks with a
 * check after each one, so that the block reported is the first invalid
 * one and the store is left at the block before it. (A block between
 * checks whose header root alone is wrong, while the state it leaves is
 * the one the next checked header names, goes unnoticed: that is what not
 * checking its root means.) Blocks before Byzantium are always checked one
 * by one (their receipts need the intermediate roots: db_preview_root).
 *
 * Stored formats (db.h tables): body = RLP [transactions, ommers] or
 * [transactions, ommers, withdrawals] exactly as in the block; receipts =
 * RLP list of byte strings, each one receipt's consensus encoding
 * (receipt_encode). Meta "chain.config": the chain configuration
 * (chain_config_encode).
 *
 * Threads: an importer is used by one thread at a time; it owns a Block-STM
 * engine. Other threads may read the store (snapshots) meanwhile; they see
 * whole blocks only. */
#ifndef PAREVM_CHAIN_IMPORT_H
#define PAREVM_CHAIN_IMPORT_H

#include "chain.h"
#include "db.h"

struct json_t;

/* ---- Chain configuration in the store ----------------------------------------- */

/* A compact, exact encoding of c (every field; version-tagged). */
void chain_config_encode(const chain_config *c, buf_t *out);
bool chain_config_decode(const uint8_t *p, size_t n, chain_config *out);
/* The configuration stored with block 0 (meta "chain.config"). */
const char *chain_config_load(db_snapshot *s, chain_config *out);

/* Block number's RLP as a chain file holds it ([header, transactions,
 * ommers] or [..., withdrawals]), from its stored header and body, appended
 * to *out; hash names which block of that number (db_canonical_hash gives
 * the canonical one). DB_NOT_FOUND when the store lacks it. */
const char *chain_read_block_rlp(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out);

/* geth's genesis "config" object for c (chainId, fork blocks and times,
 * daoForkBlock/daoForkSupport, terminalTotalDifficulty, blobSchedule,
 * depositContractAddress), such that chain_config_from_json gives c back.
 * Returns NULL (and a reason in err) when geth's format cannot say it: a
 * Constantinople without Petersburg (an absent petersburgBlock means "with
 * Constantinople"), the Merge by block number without a terminal total
 * difficulty of 0. The caller frees with json_decref. */
struct json_t *chain_config_to_json(const chain_config *c, char *err, size_t errlen);
/* The same object for display (debug_chainConfig), written whatever c is:
 * what geth's format cannot say is left out (the Merge by block number
 * when there is a terminal total difficulty, a contract size limit, the
 * lifted gas cap), a chain id above 2^63 - 1 is a hex quantity. NULL only
 * when out of memory; the caller frees with json_decref. */
struct json_t *chain_config_describe(const chain_config *c);

/* ---- Genesis ---------------------------------------------------------------- */

/* A genesis as geth's genesis JSON describes it. */
typedef struct {
    chain_config config;
    bool ethash;               /* config has an "ethash" section */
    uint64_t nonce, timestamp, gas_limit, gas_used, number;
    uint8_t extra_data[HEADER_EXTRA_MAX];
    size_t extra_len;
    bool has_difficulty;
    u256 difficulty;
    bytes32 mix_hash, parent_hash;
    address coinbase;
    bool has_base_fee, has_excess_blob_gas, has_blob_gas_used;
    u256 base_fee;
    uint64_t excess_blob_gas, blob_gas_used;
    change_set alloc;          /* one entry per account: balance, nonce, code, storage */
} chain_genesis;

/* Reads geth's genesis JSON: "config" (chain_config_from_json), "alloc"
 * ({address: {balance, nonce, code, storage}}, numbers as hex or decimal
 * strings or JSON integers), and the header fields nonce, timestamp,
 * extraData (at most HEADER_EXTRA_MAX bytes), gasLimit, gasUsed, number, difficulty,
 * mixHash, coinbase, parentHash, baseFeePerGas, excessBlobGas, blobGasUsed.
 * Code is interned in codes. On error returns false with a message naming
 * the field (out then holds nothing to free). Free with chain_genesis_free. */
bool chain_genesis_from_json(const struct json_t *g, code_store *codes, chain_genesis *out, char *err,
                             size_t errlen);
void chain_genesis_free(chain_genesis *g);

/* The genesis header by geth's rules (core/genesis.go): gas limit 4712388
 * when 0; an absent difficulty is 0 without an ethash section, else 131072
 * when mixHash is zero; a given base fee (from London at genesis, 1 gwei
 * when absent), from Shanghai the empty withdrawals root, from Cancun the blob
 * gas fields (0 when absent) and a zero parent beacon root, from Prague the
 * empty requests hash. The state root is left zero (chain_init sets it). */
block_header chain_genesis_header(const chain_genesis *g);

/* Writes block 0 to an empty store: alloc (NULL: the state was loaded
 * already with db_load_state, e.g. in chunks; with an alloc, whatever an
 * interrupted init left in a store without block 0 is cleared first), the configuration, and
 * header with its state root set to the root of that state. out (may be
 * NULL) gets the header written (with its hash). On a store that already
 * holds block 0: succeeds if it is the same header with the same
 * configuration (writing nothing), or with one that schedules forks not
 * reached at the store's head anew (chain_config_compatible: it replaces
 * the stored one, as geth's init does); else fails. */
const char *chain_init(db *d, const chain_config *cfg, const block_header *header, const change_set *alloc,
                       block_header *out);

/* ---- Ommers ---------------------------------------------------------------- */

/* A recent canonical block as the ommer rules need it. */
typedef struct {
    block_header header;
    block_header ommers[2];
    size_t n_ommers;
} chain_ancestor;

/* Yellow Paper 11.1: at most two ommers, distinct, none the block itself,
 * each a valid header (header_validate against its parent) whose parent is
 * one of the seven nearest ancestors, not itself an ancestor, not included
 * by one, 1 to 6 generations older than b. anc[0] is b's parent, anc[1]
 * its parent... (n_anc <= 7; fewer near genesis). After the Merge no ommer
 * is allowed. Returns NULL or the reason. */
const char *chain_check_ommers(const chain_config *cfg, const chain_ancestor *anc, size_t n_anc, const block *b,
                               bool merged);

/* ---- Import ---------------------------------------------------------------- */

typedef struct chain_importer chain_importer;

typedef struct {
    unsigned threads;    /* Block-STM threads, the caller's included (0: 1) */
    uint64_t root_every; /* check the state root every T blocks (0 or 1: every block) */
    unsigned batch;      /* blocks per write transaction at most (0: root_every, at most 64);
                            blocks whose roots are all checked (root_every 1) wait
                            for each other too, and the write checks each root */
    bool sequential;     /* execute without Block-STM */
    bool verify_seals;   /* check each pre-Merge block's and ommer's Ethash seal when
                            the chain's config names ethash (geth's default; test
                            chains such as hive's carry fake seals, which geth
                            takes with --fakepow, so it is asked for here) */
    bool no_pipeline;    /* commit on the calling thread (default: a committer
                            thread writes one batch while the next blocks execute) */
    int preroot;         /* CHAIN_PREROOT_*: a block executing on the store's head
                            (nothing queued) has its root computed in rounds while
                            it executes, from the transactions final so far */
    bool root_first;     /* with the pipeline: a block checked on the store's
                            head (nothing queued or in flight, the trie up to
                            date) has its root checked on the calling thread
                            before the committer thread writes it, so that
                            chain_import_block's verdict is final when it
                            returns and only the write is left for
                            chain_import_flush (the node's newPayload answers
                            before the fsync); while the committer writes the
                            parent, the root is computed on the parent's
                            unwritten state (db_preview_root_chain) */
    /* optional: the sender of a transaction seen before, by its hash (the
       node's pool, which recovered it when the transaction arrived): true
       with *sender set when known. Such a transaction's signature is not
       recovered again (tx_take_sender). Called on the importing thread. */
    bool (*known_sender)(void *arg, const bytes32 *tx_hash, address *sender);
    void *known_sender_arg;
    /* optional: a named value written with every write transaction (the
       node's forkchoice head), called on the thread that commits, before
       the write, with the batch's blocks (numbers first .. first + n - 1,
       their hashes): sets *name (a string that outlives the importer) and
       appends the value to *value (empty: the value is cleared); false:
       nothing written */
    bool (*commit_meta)(void *arg, uint64_t first, const bytes32 *hashes, size_t n, const char **name,
                        buf_t *value);
    void *commit_meta_arg;
    void (*on_written)(void *arg); /* optional: called on the committer thread
                            when a batch's write has ended (either way),
                            before the importer can see that it has */
    void *on_written_arg;
} chain_import_options;

/* chain_import_options.preroot. The rounds need cores of their own: AUTO
 * runs them when the machine has two cores more than execution uses. */
enum { CHAIN_PREROOT_AUTO = 0, CHAIN_PREROOT_ON, CHAIN_PREROOT_OFF };
/* Parses "auto", "on" or "off"; false otherwise. */
bool chain_preroot_parse(const char *s, int *out);

/* Where the time went, and what was imported (since the importer opened). */
typedef struct {
    uint64_t blocks, txs, gas;
    uint64_t known;      /* blocks skipped: already in the store */
    uint64_t senders_known; /* transactions whose sender known_sender gave */
    double validate, senders, execute; /* seconds in the stages */
    double root, commit; /* seconds in state roots and writes (db_commit_stats) */
    double prepare;      /* of commit: reading the prior state, applying the changes */
    double wait;         /* seconds execution waited for the committer thread */
    uint64_t commits, root_checks, reruns;
    uint64_t root_chained; /* roots computed before the parent's write ended (root_first) */
    uint64_t accounts, slots, records; /* rows written: accounts, slots, branch records */
    uint64_t from_reads; /* of accounts and slots: prior state taken from what
                            the block's execution read (root_first) */
    /* roots computed while their block executed (no_preroot off); of
       those blocks, the ones whose rounds ran on unwritten ancestors: */
    uint64_t preroot_blocks, preroot_rounds, preroot_chained;
    uint64_t preroot_as_guessed; /* of preroot_blocks: the last round's guess was
                                    the block, and the final round was skipped */
    double root_during;  /* seconds of root rounds while the blocks executed */
    double root_tail;    /* seconds from the end of execution to the root */
    double root_tail_wait; /* of root_tail: waiting for the round running
                            when execution ended (the rest: the final round) */
} chain_import_stats;

/* An invalid block: its number, hash and why. */
typedef struct {
    bool invalid;        /* set when a block was rejected */
    uint64_t number;
    bytes32 hash;
    const char *reason;  /* static string */
    long tx;             /* the rejected transaction's index, or -1 */
} chain_bad_block;

/* Opens an importer on a store that holds block 0 (chain_init). If the
 * store's trie lags behind its head (a crash between root checks), the
 * root is brought up to date and checked against the head's header first;
 * on a mismatch the store is unwound to the trie's block. */
const char *chain_importer_open(db *d, const chain_import_options *o, chain_importer **out);
/* Frees the importer. Blocks accepted but not yet committed are lost:
 * call chain_import_flush first. */
void chain_importer_free(chain_importer *im);

/* Returned by chain_import_block for a block the store already has on its
 * canonical chain (by pointer identity; nothing done). */
extern const char CHAIN_KNOWN_BLOCK[];

/* Validates and executes one block (its RLP), which must be the child of
 * the importer's head (the last block accepted); queues it and commits the
 * queue when a root check is due or the batch is full. Returns NULL when
 * accepted, CHAIN_KNOWN_BLOCK, or a reason. When the block (or an earlier
 * unchecked one) is invalid, bad->invalid is set with the first invalid
 * block and the store holds the chain up to the block before it. Other
 * failures (a block that does not follow the head, a store error) leave
 * bad->invalid false. */
const char *chain_import_block(chain_importer *im, const uint8_t *rlp, size_t len, chain_bad_block *bad);

/* Whether the block the last chain_import_block accepted had its root
 * checked before it returned (root_first): on the store's head, or on its
 * parent's unwritten state while it waits in the queue for the committer
 * (chain_import_write_queue). It is then valid, and only the store's own
 * failures are left for its write. */
bool chain_import_checked(const chain_importer *im);

/* Commits the queued blocks with a root check; same failures as above. */
const char *chain_import_flush(chain_importer *im, chain_bad_block *bad);

/* With the pipeline: hands the queued blocks to the committer thread when
 * every one of them has its root checked, after the batch it is writing
 * (if any) has ended, and returns without waiting for their write.
 * Nothing to do is not a failure. Returns NULL, or what the batch before
 * found (a store error; bad as chain_import_block's). */
const char *chain_import_write_queue(chain_importer *im, chain_bad_block *bad);
/* The batches handed to the committer thread since the importer opened
 * (each one's write ends with one on_written call), and in *head_write
 * (optional) the ordinal of the write that holds or will hold the last
 * accepted block: the next one while it is queued, 0 when no batch was
 * handed over and none is queued. */
uint64_t chain_import_writes(const chain_importer *im, uint64_t *head_write);

/* The last accepted block (committed or queued). */
void chain_importer_head(const chain_importer *im, uint64_t *number, bytes32 *hash);
const chain_import_stats *chain_importer_stats(const chain_importer *im);
const chain_config *chain_importer_config(const chain_importer *im);

/* ---- Sender recovery ahead of the importer (senders_ahead.c) ----
 * For a reader of a chain file: it pushes each block before it imports the
 * blocks before it, and pops the oldest once chain_import_block has
 * returned for it; threads of the senders_ahead recover the pushed blocks'
 * senders meanwhile. Passed as chain_import_options.known_sender (with the
 * senders_ahead as its arg), it answers for the oldest pushed block only,
 * and never waits: what is not recovered yet the importer recovers itself.
 * Blocks that do not decode are passed over (the importer reports them).
 * Not for the node, whose blocks come one at a time. */
typedef struct senders_ahead senders_ahead;
enum { SENDERS_AHEAD_MAX = 8 }; /* blocks pushed and not popped, at most */
/* threads: recovery threads (0: one). Free with senders_ahead_free. */
senders_ahead *senders_ahead_new(unsigned threads);
/* Queues a block (rlp is copied); false when SENDERS_AHEAD_MAX are queued. */
bool senders_ahead_push(senders_ahead *s, const uint8_t *rlp, size_t len);
/* Forgets the oldest pushed block (waits for the chunks of it in flight). */
void senders_ahead_pop(senders_ahead *s);
/* Waits until the blocks queued and not yet asked about are recovered
 * (tests, benchmarks). */
void senders_ahead_drain(senders_ahead *s);
/* chain_import_options.known_sender: arg is the senders_ahead. */
bool senders_ahead_lookup(void *arg, const bytes32 *tx_hash, address *sender);
/* Stops the threads and frees everything still queued. NULL is a no-op. */
void senders_ahead_free(senders_ahead *s);

#endif
