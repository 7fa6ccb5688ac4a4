/* Method group: geth's debug_setHead (rewind the canonical chain),
 * debug_getBadBlocks (the blocks the Engine API found invalid) and
 * debug_getAccessibleState (below).
 *
 * debug_setHead(number) unwinds the store to the block (its change sets
 * restore the state) on the writer thread, as evm_revert and reorgs do: the
 * pool is re-checked against the new head (the rewound blocks'
 * transactions are not put back, as geth's pool does not after a setHead),
 * dev-mode edits are dropped, filters walk back on their next poll (log
 * filters report the dropped logs as removed), and a safe or finalized
 * block above the new head becomes the new head (geth forgets them). Unlike
 * geth, the rewound blocks stay readable by hash (the store keeps unwound
 * blocks' headers, bodies and receipts, as after a reorg). A number at or
 * above the head is refused with geth's "not allowed to rewind to a future
 * block". It is served on the authenticated port, and on the open one only
 * in dev mode.
 *
 * debug_getBadBlocks() lists the last 10 blocks that failed validation in
 * newPayload or a forkchoice update's branch, highest number first, as
 * [{hash, block (eth_getBlockByHash's object with full transactions), rlp}].
 * Payloads that are no block (a transaction that does not decode, a wrong
 * block hash) and blocks refused only for descending from an invalid one
 * are not listed, as in geth. geth's optional file argument (write the
 * list to a file) is refused: the node writes no files for RPC callers. */
#include <stdlib.h>
#include "node_dev.h"
#include "node_engine.h"

/* ---- debug_setHead ------------------------------------------------------------------- */

static const char FUTURE_BLOCK[] = "not allowed to rewind to a future block";

/* Forgets evm_snapshot's saved heads above the new head (reverting to one
 * would need blocks the store no longer has on its chain). */
static void drop_dev_snapshots(node *n, uint64_t number) {
    node_dev *d = n->dev;
    size_t kept = 0;
    for (size_t i = 0; i < d->n_snapshots; i++) {
        if (d->snapshots[i].number > number) node_patch_release(d->snapshots[i].patch);
        else d->snapshots[kept++] = d->snapshots[i];
    }
    d->n_snapshots = kept;
}

/* Lowers a forkchoice block (safe, finalized) above number to it. */
static void clamp_forkchoice(_Atomic uint64_t *v, uint64_t number) {
    uint64_t cur = atomic_load(v);
    if (cur != UINT64_MAX && cur > number) atomic_store(v, number);
}

const char *node_set_head(node *n, uint64_t number) {
    uint64_t head;
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    err = db_head(s, &head, NULL);
    db_snapshot_close(s); /* no snapshot across a write */
    if (err) return err == DB_NOT_FOUND ? "current header is not available" : err;
    uint64_t view = atomic_load(&n->fc_head); /* the head readers see */
    if (view < head) head = view;
    if (head <= number) return FUTURE_BLOCK;
    if ((err = node_unwind_to(n, number))) return err;
    clamp_forkchoice(&n->safe, number);
    clamp_forkchoice(&n->finalized, number);
    node_engine_rewound(n, number);
    if (n->dev) drop_dev_snapshots(n, number);
    return NULL;
}

/* Writer job for debug_setHead: *(uint64_t *)arg. */
static const char *set_head_run(node *n, void *arg) { return node_set_head(n, *(const uint64_t *)arg); }

static bool set_head(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t number;
    const char *why = rpc_parse_u64(rpc_arg(params, 0), &number);
    if (why) return rpc_error_invalid_param(err, 0, why);
    why = node_writer_call(ctx, set_head_run, &number);
    if (why) return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    *result = json_null();
    return true;
}

/* ---- debug_getBadBlocks -------------------------------------------------------------- */

/* {hash, block, rlp} of a kept block's RLP; NULL if it does not decode. */
static json_t *bad_block_json(node *n, byte_span raw) {
    block b;
    char why[128];
    if (!block_decode(raw.data, raw.len, &b, why, sizeof why)) return NULL;
    node_block nb;
    memset(&nb, 0, sizeof nb);
    nb.b = b;
    nb.hash = b.header.hash;
    nb.number = b.header.number;
    nb.rlp_size = raw.len;
    nb.fork = node_fork(n, &b.header);
    /* geth shows an unrecoverable sender as the zero address */
    for (size_t i = 0; i < nb.b.n_txs; i++)
        if (!node_tx_sender(n, &nb.b.txs[i], nb.fork)) memset(&nb.b.txs[i].sender, 0, sizeof(address));
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "hash", rpc_json_hash(&nb.hash)) ||
        json_object_set_new(o, "block", node_json_block(&nb, true)) ||
        json_object_set_new(o, "rlp", rpc_json_data(raw.data, raw.len)))
        abort();
    block_free(&nb.b);
    return o;
}

static bool bad_blocks(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 1, err)) return false;
    const json_t *file = rpc_arg(params, 0);
    if (file && !json_is_string(file)) return rpc_error_invalid_param(err, 0, "file must be a string");
    if (file) return rpc_error_set(err, RPC_SERVER_ERROR, "writing bad blocks to a file is not supported");
    byte_list raw = {0};
    node_engine_bad_blocks(n, &raw);
    json_t *out = json_array();
    if (!out) abort();
    for (size_t i = 0; i < raw.n; i++) {
        json_t *o = bad_block_json(n, byte_list_get(&raw, i));
        if (o && json_array_append_new(out, o)) abort();
    }
    byte_list_free(&raw);
    *result = out;
    return true;
}

/* ---- debug_getAccessibleState ------------------------------------------------------- */

/* A block number as geth's rpc.BlockNumber: a JSON integer or a quantity,
 * or a tag; negative tags (pending, latest...) are the head, as geth reads
 * them here. */
static const char *state_block(node_read *r, const json_t *v, uint64_t *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return NULL;
    }
    rpc_block_ref ref;
    const char *why = rpc_parse_block_number(v, &ref);
    if (why) return why;
    *out = ref.kind == RPC_BLOCK_NUMBER ? ref.number : ref.kind == RPC_BLOCK_EARLIEST ? 0 : r->head;
    return NULL;
}

/* debug_getAccessibleState(from, to) (geth's): the first block from `from`
 * towards `to` (not included) whose state the node can read -- every
 * canonical block's here, as the change sets keep the history; "missing
 * header N" past the head, "from and to needs to be different". */
static bool accessible_state(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 2, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    uint64_t from = 0, to = 0;
    const char *why = state_block(&r, rpc_arg(params, 0), &from);
    bool ok = !why || rpc_error_invalid_param(err, 0, why);
    if (ok && (why = state_block(&r, rpc_arg(params, 1), &to))) ok = rpc_error_invalid_param(err, 1, why);
    if (ok && from == to) ok = rpc_error_set(err, RPC_SERVER_ERROR, "from and to needs to be different");
    if (ok && from > r.head) ok = rpc_error_set(err, RPC_SERVER_ERROR, "missing header %llu", (unsigned long long)from);
    if (ok) {
        db_snapshot *s;
        why = db_snapshot_at(r.n->db, from, 1, &s);
        if (why) ok = rpc_error_set(err, RPC_SERVER_ERROR, "no state found");
        else {
            db_snapshot_close(s);
            *result = json_integer((json_int_t)from);
        }
    }
    node_read_close(&r);
    return ok;
}

void node_register_debug_chain(node *n, rpc_methods *m) {
    /* rewinding the chain is for the consensus client's authenticated port,
     * anyone's on a dev chain, or an open port whose --http.api names debug
     * on purpose (a node that serves every namespace by default keeps it off) */
    if (m == n->auth_methods || n->dev || n->open_debug) rpc_methods_add(m, "debug_setHead", set_head, n);
    rpc_methods_add(m, "debug_getBadBlocks", bad_blocks, n);
    rpc_methods_add(m, "debug_getAccessibleState", accessible_state, n);
}
