/* Block building on the writer thread: a block on the head from the pool's
 * best transactions (or an empty one), executed with Block-STM over a
 * snapshot of the head (with dev-mode edits applied first), its header
 * completed with every root (the state root previewed by the store), and
 * committing it (db_commit_block, then the pool and the dev edits follow the
 * new head). The Engine API's payload building uses the same two steps. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "node_build.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/exec.h"
#include "parevm/keccak.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void node_built_free(node_built *bb) {
    if (bb->src)
        for (size_t i = 0; i < bb->b.n_txs; i++)
            if (bb->src[i]) txpool_tx_release(bb->src[i]);
    free(bb->src);
    block_free(&bb->b);
    block_result_free(&bb->result);
    change_set_free(&bb->changes);
    buf_free(&bb->header_rlp);
    buf_free(&bb->body_rlp);
    buf_free(&bb->receipts_rlp);
    free(bb->tx_hashes);
    db_preview_free(bb->preview);
    memset(bb, 0, sizeof *bb);
}

bool node_pool_tx_copy(const txpool_tx *t, transaction *out) {
    char err[64];
    if (!tx_decode(t->raw, t->raw_len, out, err, sizeof err)) return false;
    out->hash = t->tx.hash; /* an impersonated transaction's covers its sender */
    out->sender = t->tx.sender;
    out->sender_known = true;
    for (size_t i = 0; i < out->n_auths; i++) tx_auth_recover(&out->auths[i]);
    return true;
}

static void push_tx(block *b, const txpool_tx ***src, size_t *cap, transaction *tx, const txpool_tx *from) {
    if (b->n_txs == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        b->txs = realloc(b->txs, *cap * sizeof *b->txs);
        *src = realloc(*src, *cap * sizeof **src);
        if (!b->txs || !*src) abort();
    }
    (*src)[b->n_txs] = from;
    b->txs[b->n_txs++] = *tx;
}

/* What a selection round may still use. */
typedef struct {
    uint64_t gas, blob_gas, bytes;
    size_t cap;                 /* of b->txs and src */
    word_map taken;             /* hashes already in the block */
    word_map popped;            /* senders left out from a failed transaction on */
} budget;

bool node_sidecar_fits(const txpool_tx *t, fork_id fork) {
    if (!t->tx.n_blob_hashes) return true;
    return t->network && t->sidecar_version == (fork >= FORK_OSAKA ? 1 : 0);
}

/* Picks the pool's best transactions that fit the gas, blob gas and (engine
 * builds) size budget; returns how many were added. */
static size_t select_txs(node *n, const node_build_attrs *a, block *b, const txpool_tx ***src, budget *bu, fork_id fork,
                         const blob_params *bp) {
    const block_header *h = &b->header;
    u256 blob_fee = fork >= FORK_CANCUN ? blob_base_fee(h->excess_blob_gas, bp->update_fraction) : U256_ZERO;
    txpool_best *it = txpool_best_new(n->pool, &h->base_fee, fork >= FORK_CANCUN ? &blob_fee : NULL,
                                      a->by_arrival ? TXPOOL_BY_ARRIVAL : TXPOOL_BY_TIP);
    size_t added = 0;
    const txpool_tx *t;
    while ((t = txpool_best_next(it))) {
        if (a->max_txs && b->n_txs >= a->max_txs) break;
        u256 tip;
        if (!u256_is_zero(&a->min_tip) &&
            (!txpool_effective_tip(&t->tx, &h->base_fee, &tip) || u256_lt(&tip, &a->min_tip))) {
            txpool_best_skip_sender(it); /* and its later ones, as geth's pending filter */
            continue;
        }
        u256 key = u256_from_bytes32(&t->tx.hash), from = u256_from_address(&t->tx.sender);
        if (word_map_get(&bu->taken, &key)) continue; /* an earlier round's */
        if (!txpool_condition_holds(t, h->number, h->timestamp)) {
            /* ERC-7796's ranges no longer hold: dropped, as op-geth's miner rejects it */
            txpool_remove(n->pool, &t->tx.hash);
            txpool_best_skip_sender(it); /* its later ones wait, as op-geth's txs.Pop */
            continue;
        }
        if (word_map_get(&bu->popped, &from)) {
            txpool_best_skip_sender(it);
            continue;
        }
        uint64_t tx_blob_gas = (uint64_t)GAS_PER_BLOB * t->tx.n_blob_hashes;
        bool fits = t->tx.gas_limit <= bu->gas && tx_blob_gas <= bu->blob_gas;
        if (a->engine) fits = fits && t->raw_len <= bu->bytes && node_sidecar_fits(t, fork);
        transaction tx;
        if (!fits || !node_pool_tx_copy(t, &tx)) {
            txpool_best_skip_sender(it);
            continue;
        }
        bu->gas -= tx.gas_limit;
        bu->blob_gas -= tx_blob_gas;
        if (a->engine) bu->bytes -= t->raw_len;
        word_map_put(&bu->taken, &key, &key);
        if (a->engine && tx.n_blob_hashes) txpool_tx_retain(t);
        push_tx(b, src, &bu->cap, &tx, a->engine && tx.n_blob_hashes ? t : NULL);
        added++;
    }
    txpool_best_free(it);
    return added;
}

/* An explicit transaction list (copies; senders as given). */
static void take_txs(const node_build_attrs *a, block *b, const txpool_tx ***src, budget *bu) {
    for (size_t i = 0; i < a->n_txs; i++) {
        buf_t raw = {0};
        tx_encode(&a->txs[i], &raw);
        transaction tx;
        char err[64];
        if (!tx_decode(raw.data, raw.len, &tx, err, sizeof err)) abort(); /* our own encoding */
        buf_free(&raw);
        tx.hash = a->txs[i].hash;
        tx.sender = a->txs[i].sender;
        tx.sender_known = a->txs[i].sender_known;
        for (size_t k = 0; k < tx.n_auths; k++) tx_auth_recover(&tx.auths[k]);
        push_tx(b, src, &bu->cap, &tx, NULL);
    }
}

/* Takes transaction i out of the block, leaving the pool as it is. */
static void drop_from_block(block *b, const txpool_tx **src, size_t i) {
    tx_free(&b->txs[i]);
    memmove(b->txs + i, b->txs + i + 1, (b->n_txs - i - 1) * sizeof *b->txs);
    if (src) {
        if (src[i]) txpool_tx_release(src[i]);
        memmove(src + i, src + i + 1, (b->n_txs - i - 1) * sizeof *src);
    }
    b->n_txs--;
}

static void remove_tx(node *n, block *b, const txpool_tx **src, size_t i, FILE *log) {
    if (log) {
        char h[67];
        static const char hexd[] = "0123456789abcdef";
        h[0] = '0', h[1] = 'x';
        for (int k = 0; k < 32; k++) h[2 + 2 * k] = hexd[b->txs[i].hash.b[k] >> 4], h[3 + 2 * k] = hexd[b->txs[i].hash.b[k] & 15];
        h[66] = 0;
        fprintf(log, "dropped transaction %s: it cannot be included\n", h);
    }
    txpool_remove(n->pool, &b->txs[i].hash);
    drop_from_block(b, src, i);
}

const char *node_build_start_header(node *n, const block_header *parent, const node_build_attrs *a, block *b,
                                    fork_id *fork, blob_params *bp) {
    block_header *h = &b->header;
    memset(h, 0, sizeof *h);
    h->parent_hash = parent->hash;
    h->ommers_hash = EMPTY_LIST_HASH;
    h->coinbase = a->coinbase;
    h->number = parent->number + 1;
    h->gas_limit = a->gas_limit ? a->gas_limit : parent->gas_limit;
    /* London's first block (EIP-1559): the limit doubles, so that the gas
     * target is the limit before it, and header validation measures the
     * change from twice the parent's */
    if (!a->gas_limit && h->number > 0 && chain_is_at(n->chain.london, h->number))
        h->gas_limit = parent->gas_limit <= INT64_MAX / 2 ? parent->gas_limit * 2 : INT64_MAX;
    h->timestamp = a->timestamp;
    h->mix_hash = a->prev_randao;
    h->extra_len = a->extra_len <= 32 ? a->extra_len : 32;
    if (h->extra_len) memcpy(h->extra_data, a->extra, h->extra_len);
    /* the DAO fork's first ten blocks say so (a chain whose genesis file
     * schedules it) */
    if (!a->extra_len && !n->chain.dao_opposed && chain_in_dao_extra_range(&n->chain, h->number)) {
        h->extra_len = strlen(CHAIN_DAO_EXTRA);
        memcpy(h->extra_data, CHAIN_DAO_EXTRA, h->extra_len);
    }
    if (h->timestamp <= parent->timestamp) return "timestamp must be after the parent's";
    bool merged = node_child_merged(n, parent);
    /* before the Merge only a clique chain's blocks (dev mode's) are built,
     * with difficulty 0 as anvil's, and never for the Engine API */
    if (!merged && (!n->chain.clique || a->engine)) return "block building needs a chain after the Merge";
    *fork = chain_fork_at(&n->chain, h->number, h->timestamp, merged);
    uint64_t excess;
    u256 blob_fee;
    node_next_fees(n, parent, h->timestamp, &h->base_fee, &excess, &blob_fee);
    h->has_base_fee = *fork >= FORK_LONDON;
    if (a->has_base_fee) h->base_fee = a->base_fee;
    if (*fork >= FORK_SHANGHAI) {
        h->has_withdrawals_root = true;
        b->has_withdrawals = true;
        if (a->n_withdrawals) {
            b->withdrawals = malloc(a->n_withdrawals * sizeof *b->withdrawals);
            if (!b->withdrawals) abort();
            memcpy(b->withdrawals, a->withdrawals, a->n_withdrawals * sizeof *b->withdrawals);
            b->n_withdrawals = a->n_withdrawals;
        }
    }
    if (*fork >= FORK_CANCUN) {
        *bp = chain_blob_params(&n->chain, h->timestamp);
        h->has_blob_gas = true;
        h->excess_blob_gas = excess;
        h->has_beacon_root = true;
        h->parent_beacon_root = a->beacon_root;
    }
    h->has_requests_hash = *fork >= FORK_PRAGUE;
    return NULL;
}

void node_build_finish_header(block *b, const block_result *r, const bytes32 *state_root) {
    block_header *h = &b->header;
    h->state_root = *state_root;
    h->tx_root = block_tx_root(b);
    h->receipts_root = block_receipts_root(r);
    memcpy(h->bloom, r->bloom, 256);
    h->gas_used = r->gas_used;
    if (h->has_withdrawals_root) h->withdrawals_root = block_withdrawals_root(b);
    if (h->has_blob_gas) h->blob_gas_used = r->blob_gas_used;
    if (h->has_requests_hash) h->requests_hash = r->requests_hash;
}

/* Before Byzantium a receipt holds the state root after its transaction:
 * the store's head with the block's changes so far (edits included). */
typedef struct {
    db *d;
    change_set so_far;
} mid_root;

static bytes32 root_after_tx(void *ctx, const block_state *bs) {
    mid_root *m = ctx;
    block_state_changes(bs, &m->so_far);
    const change_set *sets[1] = {&m->so_far};
    bytes32 root = {{0}};
    if (db_preview_root(m->d, sets, 1, &root)) memset(root.b, 0xff, 32); /* a store error: never a valid root */
    return root;
}

const char *node_build_block(node *n, const node_build_attrs *a, node_built *out) {
    memset(out, 0, sizeof *out);
    out->bad_tx = -1;
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    block_header parent;
    const char *err = node_header(&r, r.head, &r.head_hash, &parent);
    fork_id fork = FORK_FRONTIER;
    blob_params bp = {0};
    if (!err) err = node_build_start_header(n, &parent, a, &out->b, &fork, &bp);
    if (err) {
        node_read_close(&r);
        return err;
    }
    double t0 = now_s();
    budget bu = {.gas = out->b.header.gas_limit,
                 .blob_gas = fork >= FORK_CANCUN ? blob_params_max_gas(&bp) : 0,
                 .bytes = NODE_BLOCK_TX_BYTES};
    if (a->has_txs) take_txs(a, &out->b, &out->src, &bu);
    else if (!a->empty) select_txs(n, a, &out->b, &out->src, &bu, fork, &bp);
    double t1 = now_s();
    /* Block-STM's workers read the head through a snapshot of their own,
     * with as many lanes as threads */
    db_snapshot *snap;
    err = db_snapshot_open(n->db, n->cfg.threads, &snap);
    if (err) {
        word_map_free(&bu.taken);
        word_map_free(&bu.popped);
        node_read_close(&r);
        node_built_free(out);
        return err;
    }
    block_rules rules = chain_block_rules(&n->chain, &out->b.header, fork >= FORK_PARIS);
    rules.host = node_host(n);
    rules.chain_id = node_chain_id(n);
    mid_root mid = {.d = n->db};
    if (fork < FORK_BYZANTIUM) {
        rules.state_root = root_after_tx;
        rules.state_root_ctx = &mid;
    }
    const change_set *edits = r.patch ? node_patch_changes(r.patch) : NULL;
    for (int round = 0;; ) {
        block_state *bs = block_state_new(db_snapshot_view(snap), db_codes(n->db));
        if (edits) block_state_apply(bs, edits);
        err = par_block_execute(n->engine, &rules, &out->b, bs, &out->result, &out->stats);
        if (!err) err = db_snapshot_error(snap);
        if (!err) block_state_changes(bs, &out->changes);
        block_state_free(bs);
        bool bad = err && out->result.invalid_tx >= 0 && (size_t)out->result.invalid_tx < out->b.n_txs;
        if (bad && a->has_txs) out->bad_tx = out->result.invalid_tx;
        if (bad && !a->has_txs) {
            /* outside dev mode the sender's later transactions leave the
             * block with it (they would fail on their nonce) but stay in the
             * pool, as geth's commitTransactions pops the sender; anvil's
             * pool drops them as they fail */
            size_t i = (size_t)out->result.invalid_tx;
            address from = out->b.txs[i].sender;
            remove_tx(n, &out->b, out->src, i, n->cfg.log);
            if (!n->dev) {
                u256 key = u256_from_address(&from);
                word_map_put(&bu.popped, &key, &key);
                for (size_t k = out->b.n_txs; k-- > i;)
                    if (address_eq(&out->b.txs[k].sender, &from)) drop_from_block(&out->b, out->src, k);
            }
        } else {
            /* the gas actually used may leave room for more (engine builds) */
            uint64_t used = out->result.gas_used, limit = out->b.header.gas_limit;
            if (err || !a->engine || a->has_txs || a->empty || ++round > 3 || limit - used < 21000) break;
            bu.gas = limit - used;
            if (!select_txs(n, a, &out->b, &out->src, &bu, fork, &bp)) break;
            change_set_clear(&out->changes);
        }
        block_result_free(&out->result);
        memset(&out->result, 0, sizeof out->result);
    }
    word_map_free(&bu.taken);
    word_map_free(&bu.popped);
    change_set_free(&mid.so_far);
    db_snapshot_close(snap);
    node_read_close(&r);
    double t2 = now_s();
    bytes32 root;
    /* the root's work is kept for node_commit_built */
    if (!err) err = db_preview_root_keep(n->db, &out->changes, NULL, &root, &out->preview);
    out->t_select = t1 - t0;
    out->t_execute = t2 - t1;
    out->t_root = now_s() - t2;
    if (err) {
        long bad = out->bad_tx;
        node_built_free(out);
        out->bad_tx = bad;
        return err;
    }
    node_build_finish_header(&out->b, &out->result, &root);
    header_encode(&out->b.header, &out->header_rlp);
    out->b.header.hash = keccak256_hash(out->header_rlp.data, out->header_rlp.len);
    node_body_encode(&out->b, &out->body_rlp);
    node_receipts_encode(&out->result, &out->receipts_rlp);
    out->tx_hashes = malloc((out->b.n_txs ? out->b.n_txs : 1) * sizeof *out->tx_hashes);
    if (!out->tx_hashes) abort();
    for (size_t i = 0; i < out->b.n_txs; i++) out->tx_hashes[i] = out->b.txs[i].hash;
    return NULL;
}

const char *node_commit_built(node *n, node_built *bb) {
    static const char *const STAGES[] = {"headers", "bodies", "senders", "execution"};
    uint64_t number = bb->b.header.number;
    db_checkpoint cps[4];
    for (int i = 0; i < 4; i++) cps[i] = (db_checkpoint){STAGES[i], number};
    /* the total difficulty stays the parent's after the Merge */
    u256 td = U256_ZERO;
    db_snapshot *s;
    if (!db_snapshot_open(n->db, 1, &s)) {
        if (db_read_td(s, number - 1, &bb->b.header.parent_hash, &td)) td = U256_ZERO;
        db_snapshot_close(s);
    }
    td = u256_add(&td, &bb->b.header.difficulty);
    db_block blk = {.number = bb->b.header.number,
                    .header = {bb->header_rlp.data, bb->header_rlp.len},
                    .body = {bb->body_rlp.data, bb->body_rlp.len},
                    .receipts = {bb->receipts_rlp.data, bb->receipts_rlp.len},
                    .tx_hashes = bb->tx_hashes,
                    .n_txs = bb->b.n_txs,
                    .changes = &bb->changes,
                    .root = true,
                    .expected_root = &bb->b.header.state_root,
                    .checkpoints = cps,
                    .n_checkpoints = 4,
                    .td = &td,
                    .preview = bb->preview};
    /* dev mode: the block's edits and impersonated senders, for its
     * replays, and no unmined edits on it yet (in the same write, so that
     * the edits it folded in cannot come back after a crash) */
    char names[2][NODE_DEV_EDITS_NAME];
    buf_t values[3] = {{0}};
    db_meta meta[3];
    if (n->dev) {
        node_dev_edits_meta(&bb->b.header.hash, bb->edits, &values[0], names[0], &meta[0]);
        blk.meta = meta;
        blk.n_meta = 1;
        if (node_dev_senders_meta(n, &bb->b, &values[1], names[1], &meta[blk.n_meta])) blk.n_meta++;
        if (node_patch_record(n, &bb->b.header.hash, NULL, &values[2], &meta[blk.n_meta])) blk.n_meta++;
    }
    double t0 = now_s();
    const char *err = db_commit_block(n->db, &blk, NULL);
    bb->t_commit = now_s() - t0;
    for (int i = 0; i < 3; i++) buf_free(&values[i]);
    if (err) return err;
    if (n->dev) n->patch_stored = false;
    /* the senders of the block's transactions are known: remember them */
    pthread_mutex_lock(&n->senders_mu);
    for (size_t i = 0; i < bb->b.n_txs; i++) {
        u256 k = u256_from_bytes32(&bb->b.txs[i].hash), v = u256_from_address(&bb->b.txs[i].sender);
        word_map_put(&n->senders, &k, &v);
    }
    pthread_mutex_unlock(&n->senders_mu);
    node_head_moved(n, NULL);
    return NULL;
}
