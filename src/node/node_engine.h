/* The Engine API inside the node (not a public contract): execution
 * payloads as blocks (engine_payload.c), the engine's memory of blocks it
 * was given but that are not in the store, of invalid blocks and of the
 * payloads it built, and the writer-thread work behind newPayload,
 * forkchoiceUpdated (reorgs) and payload building (node_engine.c). The
 * methods are in rpc_engine.c.
 *
 * Where a block's validity is kept:
 *   - VALID: every block in the store (canonical, above the forkchoice's
 *     head, or unwound) was executed and committed once; the store keeps
 *     headers and bodies of unwound blocks by hash, so they can be made
 *     canonical again.
 *   - not validated: payloads ahead of an unknown parent, or on a side
 *     branch too long to execute at newPayload, kept in memory as block
 *     RLP until a forkchoice update makes them canonical.
 * The head readers see is the forkchoice's (node.fc_head): newPayload's
 * blocks above it are in the store but not canonical for RPC.
 *   - INVALID: hashes of rejected blocks with their latest valid ancestor,
 *     so that descendants are INVALID at once. */
#ifndef PAREVM_NODE_ENGINE_H
#define PAREVM_NODE_ENGINE_H

#include "node_build.h"
#include "parevm/block.h"
#include "parevm/byte_list.h"

/* ---- Payloads (engine_payload.c) ---------------------------------------------------- */

/* What a newPayload call brings: the block the payload stands for, and the
 * extra parameters of V3/V4. */
typedef struct {
    int version;               /* newPayloadV1..V4 */
    block b;                   /* header with every field the payload fixes; hash computed */
    bytes32 claimed_hash;      /* blockHash as sent */
    bytes32 *versioned_hashes; /* V3+: expectedBlobVersionedHashes */
    size_t n_versioned_hashes;
    buf_t requests[REQUEST_TYPES]; /* V4: executionRequests by type (without the type byte) */
    /* set when the payload is well-formed but cannot be a valid block
     * (answered INVALID with a null latestValidHash): a transaction that
     * is empty or does not decode, extra data over 32 bytes... */
    char invalid[200];
    bool hash_mismatch;        /* blockHash is not the hash of the header */
    buf_t rlp;                 /* the block's RLP (when it was built) */
} engine_payload;

/* Parses newPayloadV<version>'s parameters into p. Fails with -32602 when a
 * field is missing, null, of the wrong type or size, or belongs to another
 * version of the structure; content that parses but breaks block rules
 * sets p->invalid instead. Free with engine_payload_free. */
bool engine_payload_parse(const json_t *params, int version, engine_payload *p, rpc_error *err);
void engine_payload_free(engine_payload *p);

/* ExecutionPayloadV1/V2/V3 of a block (v: 1, 2 or 3: which fields). */
json_t *engine_payload_json(const block *b, int v);
/* WithdrawalV1 list, and the parse of one (false with err on a bad one). */
json_t *engine_withdrawals_json(const withdrawal *w, size_t n);
bool engine_parse_withdrawals(const json_t *v, withdrawal **out, size_t *n, char *err, size_t errlen);
/* executionRequests: each non-empty type as type byte || data. */
json_t *engine_requests_json(const buf_t requests[REQUEST_TYPES]);

/* PayloadStatusV1. lvh NULL: latestValidHash null; why NULL: no error. */
typedef enum { ES_VALID, ES_INVALID, ES_SYNCING, ES_ACCEPTED, ES_INVALID_BLOCK_HASH } engine_status;
json_t *engine_status_json(engine_status s, const bytes32 *lvh, const char *why);

/* ---- The engine's state (node_engine.c) --------------------------------------------- */

typedef struct node_engine node_engine;

node_engine *node_engine_new(void);
void node_engine_free(node_engine *e);

/* The outcome of a payload or a forkchoice head. */
typedef struct {
    engine_status status;
    bool has_lvh;
    bytes32 lvh;
    char why[200];
} engine_result;

/* engine_newPayload after its parameters parsed (writer thread through
 * node_writer_call): validates and imports a payload whose ancestors are
 * known (on the store's head, or executed on its branch and the store put
 * back), without moving the head readers see; keeps one whose ancestors
 * are missing. Returns NULL, or an error for the -32603 path. */
const char *node_engine_new_payload(node *n, engine_payload *p, engine_result *out);

/* Payload attributes (all versions). */
typedef struct {
    int version;               /* 1..3: the PayloadAttributes structure sent */
    uint64_t timestamp;
    bytes32 prev_randao;
    address fee_recipient;
    bool has_withdrawals;
    withdrawal *withdrawals;
    size_t n_withdrawals;
    bool has_beacon_root;
    bytes32 beacon_root;
} engine_attrs;

/* A forkchoice update (writer thread): head, safe and finalized; with attrs
 * (may be NULL) a payload is built on the new head. *rpc_code is set (and
 * the error text returned) for -38002 / -38003; otherwise NULL is returned
 * with the status in out and, when a build started, its id. */
typedef struct {
    bytes32 head, safe, finalized;
} engine_forkchoice;
const char *node_engine_forkchoice(node *n, const engine_forkchoice *fc, const engine_attrs *attrs, int version,
                                   engine_result *out, bool *has_id, uint8_t id[8], int *rpc_code);

/* The blocks found invalid (newPayload, a forkchoice update's branch), as
 * geth's debug_getBadBlocks lists them: the 10 highest by number, highest
 * first, each block's RLP appended to out. Any thread. */
void node_engine_bad_blocks(node *n, byte_list *out);
/* The RLP of the kept bad block with this hash, appended to out; false
 * when none is kept. Any thread. */
bool node_engine_bad_block(node *n, const bytes32 *hash, buf_t *out);
/* After the store was rewound to block number by hand (debug_setHead): a
 * finalized block above it is forgotten. Writer thread only. */
void node_engine_rewound(node *n, uint64_t number);
/* At start-up (before any thread runs): a move below the forkchoice's
 * head that a crash cut short (the head named in the store's meta) is
 * finished, the store going back to that head; the head readers saw
 * before a crash, when the store's meta keeps it (below), is theirs
 * again; then the finalized block a
 * forkchoice named before the node stopped, kept in the store's meta,
 * becomes the safe and the finalized block again if it is still canonical
 * (geth keeps the finalized hash on disk and sets safe to it on start). */
void node_engine_load_forkchoice(node *n);

/* The head readers see (fc_head) is kept in the store's meta with the
 * store's head of the time, so that a restart after a crash begins at the
 * head a forkchoice update named (load above), not at a payload above it.
 * node_engine_head_meta is the importer's chain_import_options.commit_meta
 * (arg: the node), called on the committing thread: every block write
 * names it. node_engine_save_head writes it alone, after a forkchoice
 * update moved it without a write: on the writer thread when idle with no
 * write pending, or on the committer thread when the write under that
 * update ends. Neither writes anything in dev mode. */
bool node_engine_head_meta(void *arg, uint64_t first, const bytes32 *hashes, size_t n_blocks, const char **name,
                           buf_t *value);
void node_engine_save_head(node *n);
/* Before the writer unwinds the store to number while readers keep a head
 * below it (fc_head < number): the kept head names both the store's head
 * before and after the unwind, so that a crash on either side of it (or
 * before the next block write) restarts at the head readers see. */
void node_engine_keep_head_across_unwind(node *n, uint64_t number);

/* A built payload, as getPayload gives it back. */
typedef struct {
    uint8_t id[8];
    int version;               /* the forkchoiceUpdated version that asked for it */
    node_built built;
    u256 value;                /* what the fee recipient earns: the priority fees */
    fork_id fork;
    /* what it was built from, to build it again with what the pool got
     * since (node_engine_improve_build) */
    block_header parent;
    engine_attrs attrs;        /* withdrawals owned */
    uint64_t pool_arrivals;    /* txpool_arrivals when built */
    bool served;               /* getPayload gave it out: it changes no more */
} engine_build;

/* Looks up a payload by id and hands fn a pointer to it under the engine's
 * lock (fn must not call back into the engine). False if unknown. */
bool node_engine_with_build(node *n, const uint8_t id[8], void (*fn)(const engine_build *b, void *arg), void *arg);

/* testing_buildBlockV1 (writer thread): a payload on the head (parent must
 * be the head), from the given transactions (has_txs) or the pool; not
 * committed. */
const char *node_engine_build_now(node *n, const bytes32 *parent, const engine_attrs *attrs, bool has_txs,
                                  transaction *txs, size_t n_txs, const uint8_t *extra, size_t extra_len,
                                  engine_build *out, int *rpc_code);
void engine_build_free(engine_build *b);

/* getPayload's last update of payload id (writer thread): builds it again
 * when transactions arrived in the pool since it was built and its parent
 * is still the head, and keeps the new block if it earns the fee recipient
 * more. The payload is then served: later calls change nothing (paris.md:
 * the client SHOULD stop updating it at getPayload; geth's Resolve). An
 * unknown id, or nothing new, changes nothing. */
const char *node_engine_improve_build(node *n, const uint8_t id[8]);

/* The gas limit of a block built on a parent whose limit is parent_limit,
 * moving towards target by at most parent_limit / 1024 - 1 (geth's rule). */
uint64_t engine_gas_limit(uint64_t parent_limit, uint64_t target);

#endif
