/* Block order over a snapshot of the pool's pending transactions: a max-heap
 * of senders keyed by the effective tip (or the arrival) of each sender's
 * next transaction, so a sender's transactions come out in nonce order and
 * the block gets the best-paying (or earliest) transaction available at
 * every step. */
#include <stdlib.h>
#include "parevm/txpool.h"
#include "txpool_internal.h"

typedef struct {
    txpool_tx **txs;  /* retained; nonce order */
    size_t n, pos;
    u256 tip;         /* of txs[pos] */
} lane;

struct txpool_best {
    lane *lanes;
    size_t n_lanes;
    size_t *heap;     /* lane indexes */
    size_t n_heap;
    u256 base_fee, blob_base_fee;
    bool check_blob;
    txpool_order order;
    bool advance;     /* the top lane's transaction was handed out */
};

/* Whether lane l's next transaction can go into the block; sets its tip. */
static bool lane_ready(txpool_best *it, lane *l) {
    if (l->pos >= l->n) return false;
    const transaction *tx = &l->txs[l->pos]->tx;
    if (it->check_blob && tx->n_blob_hashes && u256_lt(&tx->max_fee_per_blob_gas, &it->blob_base_fee))
        return false;
    return txpool_effective_tip(tx, &it->base_fee, &l->tip);
}

/* Whether lane a goes before lane b: higher tip (unless by arrival), then
 * earlier arrival. */
static bool before(const txpool_best *it, size_t a, size_t b) {
    const lane *x = &it->lanes[a], *y = &it->lanes[b];
    int c = it->order == TXPOOL_BY_TIP ? u256_cmp(&x->tip, &y->tip) : 0;
    if (c) return c > 0;
    return x->txs[x->pos]->seq < y->txs[y->pos]->seq;
}

static void sift_down(txpool_best *it, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < it->n_heap && before(it, it->heap[l], it->heap[m])) m = l;
        if (r < it->n_heap && before(it, it->heap[r], it->heap[m])) m = r;
        if (m == i) return;
        size_t t = it->heap[i];
        it->heap[i] = it->heap[m];
        it->heap[m] = t;
        i = m;
    }
}

static void pop_top(txpool_best *it) {
    it->heap[0] = it->heap[--it->n_heap];
    if (it->n_heap) sift_down(it, 0);
}

/* Copies each sender's pending transactions (retained) under the lock. */
static void snapshot(txpool *p, txpool_best *it) {
    txpool_lock(p);
    it->lanes = calloc(p->n_senders ? p->n_senders : 1, sizeof *it->lanes);
    if (!it->lanes) abort();
    for (size_t k = 0; k < p->n_senders; k++) {
        const txpool_sender *s = p->senders[k];
        if (!s->n_pending) continue;
        lane *l = &it->lanes[it->n_lanes++];
        l->txs = malloc(s->n_pending * sizeof *l->txs);
        if (!l->txs) abort();
        for (size_t i = 0; i < s->n_pending; i++) {
            l->txs[i] = s->txs[i];
            txpool_tx_retain(l->txs[i]);
        }
        l->n = s->n_pending;
    }
    txpool_unlock(p);
}

txpool_best *txpool_best_new(txpool *p, const u256 *base_fee, const u256 *blob_base_fee, txpool_order order) {
    txpool_best *it = calloc(1, sizeof *it);
    if (!it) abort();
    it->base_fee = *base_fee;
    it->order = order;
    if (blob_base_fee) {
        it->blob_base_fee = *blob_base_fee;
        it->check_blob = true;
    }
    snapshot(p, it);
    it->heap = malloc((it->n_lanes ? it->n_lanes : 1) * sizeof *it->heap);
    if (!it->heap) abort();
    for (size_t i = 0; i < it->n_lanes; i++)
        if (lane_ready(it, &it->lanes[i])) it->heap[it->n_heap++] = i;
    for (size_t i = it->n_heap / 2; i-- > 0;) sift_down(it, i);
    return it;
}

const txpool_tx *txpool_best_next(txpool_best *it) {
    if (it->advance && it->n_heap) {
        lane *l = &it->lanes[it->heap[0]];
        l->pos++;
        if (lane_ready(it, l)) sift_down(it, 0);
        else pop_top(it);
    }
    it->advance = false;
    if (!it->n_heap) return NULL;
    it->advance = true;
    const lane *l = &it->lanes[it->heap[0]];
    return l->txs[l->pos];
}

void txpool_best_skip_sender(txpool_best *it) {
    if (!it->advance || !it->n_heap) return;
    pop_top(it);
    it->advance = false;
}

void txpool_best_free(txpool_best *it) {
    if (!it) return;
    for (size_t i = 0; i < it->n_lanes; i++) {
        for (size_t k = 0; k < it->lanes[i].n; k++) txpool_tx_release(it->lanes[i].txs[k]);
        free(it->lanes[i].txs);
    }
    free(it->lanes);
    free(it->heap);
    free(it);
}
