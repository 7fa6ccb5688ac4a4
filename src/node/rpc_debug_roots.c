/* Method group: geth's debug_intermediateRoots(blockHash, [traceConfig]):
 * the state root after each of the block's transactions, the block replayed
 * on its parent's state (its system calls first, as geth runs them; its
 * withdrawals, rewards and requests come after the last transaction, so the
 * last root is the header's only where those change nothing). Before
 * Byzantium the receipts hold the same roots.
 *
 * Each root is computed from the store's tries at the parent and the
 * block's changes so far (db_execution_witness's post-state root): the
 * cost grows with those changes, once per transaction. As geth, a
 * transaction that cannot be applied ends the list there (the roots so far
 * are the answer), and the genesis is refused ("genesis is not
 * traceable"). A dev block is replayed with the edits it folded in, which
 * count in its roots as they did in its state root. A hash of no stored
 * block may be one of debug_getBadBlocks' (geth looks there too). */
#include <stdlib.h>
#include <string.h>
#include "node_engine.h"
#include "node_internal.h"
#include "parevm/exec.h"
#include "parevm/hex.h"

/* The roots of block nb replayed over st (its parent's state, with the
 * block's dev edits layered when it has some) into out. */
static const char *replay_roots(node *n, node_block *nb, node_state *st, json_t *out) {
    block *b = &nb->b;
    /* the layer sits on the plain parent state: the edits go into it as
     * changes, so that they count in the roots */
    state_view base = st->edits ? block_state_base(st->edits) : st->view;
    block_state *layer = block_state_new(base, st->codes);
    if (st->edits) {
        change_set edits = {0};
        block_state_changes(st->edits, &edits);
        block_state_apply(layer, &edits);
        change_set_free(&edits);
    }
    executor *ex = node_executor_get(n);
    block_env env = node_replay_begin(n, ex, b, layer);
    uint64_t gas = 0;
    const char *why = NULL;
    for (size_t i = 0; !why && i < b->n_txs; i++) {
        tx_result res;
        if (!node_replay_tx(ex, &env, layer, &b->txs[i], &gas, &res)) break; /* as geth: the roots so far */
        change_set cs = {0};
        block_state_changes(layer, &cs);
        bytes32 root;
        why = node_root_after(st, &cs, &root);
        change_set_free(&cs);
        if (!why) json_array_append_new(out, rpc_json_hash(&root));
    }
    node_executor_put(n, ex);
    block_state_free(layer);
    return why;
}

/* geth's fallback (rawdb.ReadBadBlock): a block the Engine API refused
 * (debug_getBadBlocks), replayed on its parent's state; *found false when
 * want is no bad block's. */
static bool bad_block_roots(node *n, node_read *r, const bytes32 *want, bool *found, json_t **result, rpc_error *err) {
    buf_t raw = {0};
    node_block nb;
    memset(&nb, 0, sizeof nb);
    char reason[128];
    *found = node_engine_bad_block(n, want, &raw) && block_decode(raw.data, raw.len, &nb.b, reason, sizeof reason);
    buf_free(&raw);
    if (!*found) return false;
    nb.hash = nb.b.header.hash;
    nb.number = nb.b.header.number;
    fork_id fork = node_fork(n, &nb.b.header);
    size_t senders = 0; /* the transactions whose sender is known: the replay stops at the first other */
    while (senders < nb.b.n_txs && node_tx_sender(n, &nb.b.txs[senders], fork)) senders++;
    size_t n_txs = nb.b.n_txs;
    nb.b.n_txs = senders;
    rpc_block_ref parent = {.kind = RPC_BLOCK_HASH, .hash = nb.b.header.parent_hash};
    uint64_t number;
    bytes32 hash;
    node_state st;
    bool ok = false;
    if (nb.number == 0) {
        rpc_error_set(err, RPC_SERVER_ERROR, "genesis is not traceable");
    } else if (node_resolve_existing(r, &parent, &number, &hash, err) && node_state_at(r, number, &hash, &st, err)) {
        json_t *roots = json_array();
        const char *why = replay_roots(n, &nb, &st, roots);
        ok = !node_state_failed(&st, err) && (!why || rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why));
        if (ok) *result = node_json_go_list(roots); /* geth's nil slice */
        else json_decref(roots);
        node_state_close(&st);
    }
    nb.b.n_txs = n_txs;
    block_free(&nb.b);
    return ok;
}

static bool intermediate_roots(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 2, err)) return false;
    rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &ref.hash);
    if (why) return rpc_error_invalid_param(err, 0, why);
    const json_t *cfg = rpc_arg(params, 1);
    if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
        return rpc_error_invalid_param(err, 1, "the trace config must be an object");
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = node_resolve(&r, &ref, &number, &hash, &found, err);
    if (ok && !found) {
        ok = bad_block_roots(n, &r, &ref.hash, &found, result, err);
        if (!found) {
            char text[67];
            hex_encode(ref.hash.b, 32, text);
            ok = rpc_error_set(err, RPC_SERVER_ERROR, "block %s not found", text);
        }
        node_read_close(&r);
        return ok;
    }
    node_block nb;
    node_state st;
    if (ok) ok = node_open_replay(&r, number, &hash, &nb, &st, err);
    if (ok) {
        json_t *roots = json_array();
        why = replay_roots(n, &nb, &st, roots);
        if (!why && node_state_failed(&st, err)) ok = false;
        else if (why) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        if (ok) *result = node_json_go_list(roots); /* geth's nil slice */
        else json_decref(roots);
        node_state_close(&st);
        node_block_free(&nb);
    }
    node_read_close(&r);
    return ok;
}

void node_register_debug_roots(node *n, rpc_methods *m) {
    rpc_methods_add(m, "debug_intermediateRoots", intermediate_roots, n);
}
