/* Reads for the RPC methods: one snapshot of the store per request (with the
 * dev-mode edits made on its head), block references resolved against it,
 * and the state after any retained block. */
#include <inttypes.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_build.h"
#include "node_internal.h"
#include "parevm/db_proof.h"
#include "parevm/hex.h"

/* The Engine API's head, when below the store's, becomes the reader's
 * head: blocks newPayload added above it are not canonical yet. False
 * when it cannot be read (the writer is moving the store). */
static bool view_forkchoice_head(node_read *r) {
    uint64_t f = atomic_load(&r->n->fc_head);
    if (f == UINT64_MAX || f >= r->head) return true;
    bytes32 hash;
    if (db_canonical_hash(r->snap, f, &hash)) return false;
    r->head = f;
    r->head_hash = hash;
    return true;
}

bool node_read_open(node *n, node_read *r, rpc_error *err) {
    memset(r, 0, sizeof *r);
    r->n = n;
    /* the edits must belong to the snapshot's head: a block committed
     * between the two reads makes them stale until the writer publishes
     * the new head's, so read again (yielding: the writer may need the CPU) */
    for (int attempt = 0; attempt < 200000; attempt++) {
        if (attempt >= 8) sched_yield();
        if (attempt >= 64) nanosleep(&(struct timespec){0, 50000}, NULL);
        /* a block answered for (newPayload) is read once it is written */
        uint64_t gen = node_wait_written(n);
        const char *why = db_snapshot_open(n->db, 1, &r->snap);
        if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        r->has_head = db_head(r->snap, &r->head, &r->head_hash) == NULL;
        if (!r->has_head) return rpc_error_set(err, RPC_INTERNAL_ERROR, "the store has no blocks");
        r->store_head = r->head;
        bool stale = !view_forkchoice_head(r) || node_moved_since(n, gen);
        if (!stale) r->patch = node_patch_get(n, r->head, &r->head_hash, &stale);
        if (!stale) return true;
        db_snapshot_close(r->snap);
        r->snap = NULL;
    }
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "the head keeps moving");
}

const char *node_read_open_job(node *n, node_read *r) {
    rpc_error err = {0};
    if (node_read_open(n, r, &err)) return NULL;
    rpc_error_clear(&err);
    return "cannot read the head";
}

void node_read_close(node_read *r) {
    if (r->patch) node_patch_release(r->patch);
    if (r->snap) db_snapshot_close(r->snap);
    memset(r, 0, sizeof *r);
}

static void hash_text(const bytes32 *h, char out[67]) { hex_encode(h->b, 32, out); }

bool node_resolve(node_read *r, const rpc_block_ref *ref, uint64_t *number, bytes32 *hash, bool *found,
                  rpc_error *err) {
    *found = false;
    uint64_t num = r->head;
    switch (ref->kind) {
    case RPC_BLOCK_LATEST:
    case RPC_BLOCK_PENDING: break;
    case RPC_BLOCK_EARLIEST: num = 0; break;
    case RPC_BLOCK_SAFE:
    case RPC_BLOCK_FINALIZED: {
        uint64_t v = atomic_load(ref->kind == RPC_BLOCK_SAFE ? &r->n->safe : &r->n->finalized);
        /* none yet from a consensus client: geth's error, never the head */
        if (v == UINT64_MAX && !r->n->dev)
            return rpc_error_set(err, RPC_SERVER_ERROR, "%s block not found",
                                 ref->kind == RPC_BLOCK_SAFE ? "safe" : "finalized");
        /* dev mode without a forkchoice update: an epoch (two) below the
         * head, as anvil's */
        if (v == UINT64_MAX && r->n->dev) {
            uint64_t back = (uint64_t)r->n->cfg.dev_slots_in_epoch * (ref->kind == RPC_BLOCK_SAFE ? 1 : 2);
            v = num > back ? num - back : 0;
        }
        if (v < num) num = v;
        break;
    }
    case RPC_BLOCK_NUMBER:
        if (ref->number > r->head) return true;
        num = ref->number;
        break;
    case RPC_BLOCK_HASH: {
        const char *why = db_block_number(r->snap, &ref->hash, &num);
        if (why == DB_NOT_FOUND) return true;
        if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        bytes32 canon;
        why = db_canonical_hash(r->snap, num, &canon);
        if (why && why != DB_NOT_FOUND) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        /* above the head: a payload no forkchoiceUpdated named yet */
        if (why || !bytes32_eq(&canon, &ref->hash) || num > r->head) {
            if (ref->require_canonical) {
                char t[67];
                hash_text(&ref->hash, t);
                return rpc_error_set(err, RPC_SERVER_ERROR, "hash %s is not currently canonical", t);
            }
        }
        *number = num;
        *hash = ref->hash;
        *found = true;
        return true;
    }
    }
    const char *why = db_canonical_hash(r->snap, num, hash);
    if (why == DB_NOT_FOUND) return true;
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    *number = num;
    *found = true;
    return true;
}

const char *node_tx_location(node_read *r, const bytes32 *tx_hash, uint64_t *number, uint32_t *index) {
    const char *why = db_tx_location(r->snap, tx_hash, number, index);
    return !why && *number > r->head ? DB_NOT_FOUND : why;
}

bool node_resolve_arg(node_read *r, const json_t *params, size_t i, bool numbers_only, uint64_t *number,
                      bytes32 *hash, bool *found, rpc_error *err) {
    rpc_block_ref ref;
    const json_t *v = rpc_arg(params, i);
    const char *why;
    if (numbers_only) {
        why = v ? rpc_parse_block_number(v, &ref) : "missing block number";
    } else {
        why = rpc_parse_block_ref(v, &ref);
    }
    if (why) return rpc_error_invalid_param(err, i, why);
    return node_resolve(r, &ref, number, hash, found, err);
}

/* ---- State ------------------------------------------------------------------------------ */

bool node_state_at(node_read *r, uint64_t number, const bytes32 *hash, node_state *st, rpc_error *err) {
    memset(st, 0, sizeof *st);
    const char *why = node_header(r, number, hash, &st->header);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    bytes32 canon;
    why = db_canonical_hash(r->snap, number, &canon);
    if (why || !bytes32_eq(&canon, hash))
        return rpc_error_set(err, RPC_SERVER_ERROR, "the state of a non-canonical block is not available");
    st->number = number;
    st->codes = db_codes(r->n->db);
    if (number == r->store_head) {
        st->src = r->snap;
        st->view = db_snapshot_view(r->snap);
        node_patch_apply(r, st);
        return true;
    }
    why = db_snapshot_at(r->n->db, number, 1, &st->hist);
    if (why) {
        st->hist = NULL;
        return rpc_error_set(err, RPC_SERVER_ERROR, "historical state for block %" PRIu64 " is not available: %s",
                             number, why);
    }
    st->src = st->hist;
    st->view = db_snapshot_view(st->hist);
    return true;
}

bool node_state_open(node_read *r, const rpc_block_ref *ref, node_state *st, rpc_error *err) {
    memset(st, 0, sizeof *st);
    uint64_t number;
    bytes32 hash;
    bool found;
    if (!node_resolve(r, ref, &number, &hash, &found, err)) return false;
    if (!found) {
        if (ref->kind == RPC_BLOCK_HASH) return rpc_error_set(err, RPC_SERVER_ERROR, "header for hash not found");
        return rpc_error_set(err, RPC_SERVER_ERROR, "header not found");
    }
    if (!node_state_at(r, number, &hash, st, err)) return false;
    st->pending = ref->kind == RPC_BLOCK_PENDING;
    if (st->pending && node_has_pending(r->n, &st->header)) {
        node_pending *p = malloc(sizeof *p);
        if (!p) abort();
        if (!node_pending_build(r->n, st, p, err)) {
            free(p);
            node_state_close(st);
            return false;
        }
        st->pending_block = p;
        st->view = block_state_view(p->state);
    }
    return true;
}

bool node_state_arg(node_read *r, const json_t *params, size_t i, node_state *st, rpc_error *err) {
    rpc_block_ref ref;
    const char *why = rpc_parse_block_ref(rpc_arg(params, i), &ref);
    if (why) return rpc_error_invalid_param(err, i, why);
    return node_state_open(r, &ref, st, err);
}

void node_state_close(node_state *st) {
    if (st->pending_block) {
        node_pending_free(st->pending_block);
        free(st->pending_block);
    }
    if (st->edits) block_state_free(st->edits);
    free(st->over);
    if (st->hist) db_snapshot_close(st->hist);
    memset(st, 0, sizeof *st);
}

bool node_state_failed(node_state *st, rpc_error *err) {
    const char *why = st->src ? db_snapshot_error(st->src) : NULL;
    if (why) rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    return why != NULL;
}

const char *node_root_after(const node_state *st, const change_set *cs, bytes32 *root) {
    return db_state_root_after(st->src, st->number + 1, cs, root);
}
