/* The ordered-trie roots of a block's transactions, receipts and
 * withdrawals (key rlp(i), value the item's canonical encoding). */
#include <stdlib.h>
#include "parevm/block_roots.h"
#include "parevm/rlp.h"
#include "parevm/trie.h"

/* Encodes n items with enc(i) into one buffer and returns the ordered root
 * (the trie on pool, when given). */
static bytes32 ordered_root(size_t n, void (*enc)(const void *ctx, size_t i, buf_t *out), const void *ctx,
                            task_pool *pool) {
    buf_t all = {0};
    size_t *ends = malloc((n + 1) * sizeof *ends);
    byte_span *spans = malloc((n + 1) * sizeof *spans);
    if (!ends || !spans) abort();
    for (size_t i = 0; i < n; i++) {
        enc(ctx, i, &all);
        ends[i] = all.len;
    }
    for (size_t i = 0; i < n; i++) {
        size_t start = i ? ends[i - 1] : 0;
        spans[i] = (byte_span){all.data + start, ends[i] - start};
    }
    bytes32 root = trie_root_ordered_pool(spans, n, pool);
    free(ends);
    free(spans);
    buf_free(&all);
    return root;
}

static void enc_receipt(const void *ctx, size_t i, buf_t *out) { receipt_encode(ctx, i, out); }
static void enc_tx(const void *ctx, size_t i, buf_t *out) { tx_encode(&((const block *)ctx)->txs[i], out); }
static void enc_withdrawal(const void *ctx, size_t i, buf_t *out) {
    const withdrawal *w = &((const block *)ctx)->withdrawals[i];
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, w->index);
    rlp_encode_u64(out, w->validator);
    rlp_encode_address(out, &w->addr);
    rlp_encode_u64(out, w->amount_gwei);
    rlp_list_end(out, l);
}

bytes32 block_receipts_root_pool(const block_result *r, task_pool *pool) {
    return ordered_root(r->n_receipts, enc_receipt, r, pool);
}
bytes32 block_tx_root_pool(const block *b, task_pool *pool) { return ordered_root(b->n_txs, enc_tx, b, pool); }
bytes32 block_receipts_root(const block_result *r) { return block_receipts_root_pool(r, NULL); }
bytes32 block_tx_root(const block *b) { return block_tx_root_pool(b, NULL); }
bytes32 block_withdrawals_root(const block *b) { return ordered_root(b->n_withdrawals, enc_withdrawal, b, NULL); }

