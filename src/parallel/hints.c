/* Dependency hints from static analysis of a block, before execution. Cheap
 * facts predict most real conflicts:
 *   - a sender's transactions form a nonce chain;
 *   - a transaction whose sender received value earlier reads that balance;
 *   - ERC-20 transfer/transferFrom calls on the same token touching the same
 *     holder read and write the same balance slot;
 *   - Uniswap V2 router swaps through the same pair touch its reserves;
 *   - other calls of the same contract usually share some of its storage;
 *   - a transaction sent by the coinbase reads every earlier fee payment.
 * Increments that nobody reads (fees, value to a recipient) are deltas in
 * the multi-version memory and conflict with no one, so they create no
 * dependency among themselves. */
#include <stdlib.h>
#include "par_internal.h"
#include "parevm/hashmap.h"



static key_state *key_get(hint_scratch *h, uint64_t key) {
    key_map *m = &h->keys;
    size_t mask = m->cap - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
        if (m->v[i].key == key) return &m->v[i];
        if (!m->v[i].key) {
            m->v[i].key = key;
            m->v[i].last_rw = UINT32_MAX;
            m->v[i].n_deltas = 0;
            h->used[h->n_used++] = (uint32_t)i;
            return &m->v[i];
        }
    }
}

static uint64_t account_key(const address *a) { return hash_address(a) | 1; }

static uint64_t holder_key(const address *token, const uint8_t *word) {
    address h;
    memcpy(h.b, word + 12, 20);
    return (hash_address(token) * 31 + hash_address(&h)) | 1;
}

static void push(u32_vec *deps, uint32_t d) {
    if (deps->n == deps->cap) {
        deps->cap = deps->cap ? deps->cap * 2 : 8;
        deps->v = realloc(deps->v, deps->cap * sizeof *deps->v);
        if (!deps->v) abort();
    }
    deps->v[deps->n++] = d;
}

/* deps of one transaction, deduplicated through a per-transaction mark */
static void add_dep(u32_vec *deps, uint32_t d, uint32_t *mark, uint32_t tx) {
    if (d == UINT32_MAX || d == tx || mark[d] == tx + 1) return;
    mark[d] = tx + 1;
    push(deps, d);
}

/* tx reads and writes key: depends on the last such tx and on every pending
 * increment, then becomes the last. */
static void read_write(hint_scratch *h, uint64_t key, uint32_t tx, u32_vec *deps) {
    key_state *k = key_get(h, key);
    add_dep(deps, k->last_rw, h->mark, tx);
    for (uint32_t i = 0; i < k->n_deltas; i++) add_dep(deps, k->deltas[i], h->mark, tx);
    k->last_rw = tx;
    k->n_deltas = 0;
}

static void increment(hint_scratch *h, uint64_t key, uint32_t tx) {
    key_state *k = key_get(h, key);
    if (k->n_deltas && k->deltas[k->n_deltas - 1] == tx) return;
    if (k->n_deltas == k->cap_deltas) {
        k->cap_deltas = k->cap_deltas ? k->cap_deltas * 2 : 4;
        k->deltas = realloc(k->deltas, k->cap_deltas * sizeof *k->deltas);
        if (!k->deltas) abort();
    }
    k->deltas[k->n_deltas++] = tx;
}

static uint64_t contract_key(const address *c) { return (hash_address(c) * 0x9e3779b97f4a7c15ULL) | 1; }

/* A Uniswap V2 pair, keyed by its two tokens in either order. */
static uint64_t pair_key(const uint8_t *word_a, const uint8_t *word_b) {
    address a, b;
    memcpy(a.b, word_a + 12, 20);
    memcpy(b.b, word_b + 12, 20);
    uint64_t x = hash_address(&a), y = hash_address(&b);
    return ((x < y ? x * 31 + y : y * 31 + x) ^ 0x5bd1e995ULL) | 1;
}

static uint32_t selector_of(const transaction *tx) {
    const uint8_t *d = tx->data;
    return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* The 32-byte word at byte offset off of the call's arguments, if present. */
static const uint8_t *arg(const transaction *tx, uint64_t off) {
    return off + 32 <= tx->data_len - 4 ? tx->data + 4 + off : NULL;
}

/* Uniswap V2 router swaps: every hop of the path touches one pair. The path
 * is the address[] argument at index path_arg. */
static bool router_swap_keys(hint_scratch *h, const transaction *tx, uint32_t i, u32_vec *deps, int path_arg) {
    const uint8_t *p = arg(tx, 32 * (uint64_t)path_arg);
    if (!p) return false;
    u256 off = u256_from_be(p, 32);
    if (!u256_fits_u64(&off) || off.w[0] > tx->data_len) return false;
    const uint8_t *lenw = arg(tx, off.w[0]);
    if (!lenw) return false;
    u256 len = u256_from_be(lenw, 32);
    if (!u256_fits_u64(&len) || len.w[0] < 2 || len.w[0] > 8) return false;
    for (uint64_t k = 0; k + 1 < len.w[0]; k++) {
        const uint8_t *a = arg(tx, off.w[0] + 32 * (k + 1)), *b = arg(tx, off.w[0] + 32 * (k + 2));
        if (!a || !b) return false;
        read_write(h, pair_key(a, b), i, deps);
    }
    return true;
}

/* Keys of a contract call we understand finely, or false. */
static bool call_keys(hint_scratch *h, const transaction *tx, uint32_t i, u32_vec *deps) {
    if (tx->data_len < 4) return false;
    const uint8_t *d = tx->data;
    switch (selector_of(tx)) {
    case 0xa9059cbb: /* ERC-20 transfer(to, amount) */
        if (tx->data_len < 68) return false;
        {
            uint8_t from[32] = {0};
            memcpy(from + 12, tx->sender.b, 20);
            read_write(h, holder_key(&tx->to, from), i, deps);
            read_write(h, holder_key(&tx->to, d + 4), i, deps);
        }
        return true;
    case 0x23b872dd: /* ERC-20 transferFrom(from, to, amount) */
        if (tx->data_len < 100) return false;
        read_write(h, holder_key(&tx->to, d + 4), i, deps);
        read_write(h, holder_key(&tx->to, d + 36), i, deps);
        return true;
    case 0x38ed1739: /* swapExactTokensForTokens(amountIn, amountOutMin, path, to, deadline) */
    case 0x8803dbee: /* swapTokensForExactTokens(amountOut, amountInMax, path, to, deadline) */
    case 0x18cbafe5: /* swapExactTokensForETH(amountIn, amountOutMin, path, to, deadline) */
    case 0x4a25d94a: /* swapTokensForExactETH(amountOut, amountInMax, path, to, deadline) */
        return router_swap_keys(h, tx, i, deps, 2);
    case 0x7ff36ab5: /* swapExactETHForTokens(amountOutMin, path, to, deadline) */
    case 0xfb3bdb41: /* swapETHForExactTokens(amountOut, path, to, deadline) */
        return router_swap_keys(h, tx, i, deps, 1);
    }
    return false;
}

/* Keys of one transaction's call: fine keys for calls we understand; any
 * other call of a contract (including a plain transfer running its
 * fallback) is predicted to conflict with every other call of it. */
static void call_target_keys(hint_scratch *h, const transaction *tx, uint32_t i, u32_vec *deps,
                             const state_view *base) {
    if (!tx->has_to) return;
    account_info info;
    base->ops->get_account(base->ctx, &tx->to, FIELD_CODE, &info);
    bool contract = !bytes32_eq(&info.code_hash, &EMPTY_CODE_HASH);
    if (contract && call_keys(h, tx, i, deps)) return;
    if (contract)
        read_write(h, contract_key(&tx->to), i, deps);
    else if (!u256_is_zero(&tx->value))
        increment(h, account_key(&tx->to), i);
}

/* Empties the key map, keeping its memory (entries touched last time only). */
static void key_map_reset(hint_scratch *h, size_t need) {
    key_map *m = &h->keys;
    if (m->cap < need) {
        /* entries keep their delta buffers across blocks: free them all */
        for (size_t i = 0; i < m->cap; i++) free(m->v[i].deltas);
        free(m->v);
        free(h->used);
        m->cap = 64;
        while (m->cap < need) m->cap *= 2;
        m->v = calloc(m->cap, sizeof *m->v);
        h->used = malloc(m->cap * sizeof *h->used);
        if (!m->v || !h->used) abort();
    } else {
        for (size_t i = 0; i < h->n_used; i++) {
            key_state *k = &m->v[h->used[i]];
            k->key = 0;
            k->n_deltas = 0; /* keeps the deltas buffer */
        }
    }
    h->n_used = 0;
}

void hint_scratch_free(hint_scratch *h) {
    for (size_t i = 0; i < h->keys.cap; i++) free(h->keys.v[i].deltas);
    free(h->keys.v);
    free(h->used);
    free(h->mark);
    free(h->deps.v);
    memset(h, 0, sizeof *h);
}

void par_predict(const block *b, const state_view *base, hint_scratch *h, par_deps *out) {
    uint32_t n = (uint32_t)b->n_txs;
    key_map_reset(h, 8 * (size_t)n + 64);
    if (h->cap_mark < n) {
        free(h->mark);
        h->cap_mark = n;
        h->mark = malloc(n * sizeof *h->mark);
        if (!h->mark) abort();
    }
    if (n) memset(h->mark, 0, n * sizeof *h->mark);
    out->n = n;
    out->offsets = malloc((n + 1) * sizeof *out->offsets);
    if (!out->offsets) abort();
    u32_vec edges = {0};
    h->deps.n = 0;
    uint64_t coinbase = account_key(&b->header.coinbase);
    for (uint32_t i = 0; i < n; i++) {
        const transaction *tx = &b->txs[i];
        u32_vec *deps = &h->deps;
        deps->n = 0;
        /* every transaction pays the coinbase: an increment, read only by
         * transactions the coinbase sends */
        read_write(h, account_key(&tx->sender), i, deps);
        increment(h, coinbase, i);
        call_target_keys(h, tx, i, deps, base);
        out->offsets[i] = (uint32_t)edges.n;
        for (size_t k = 0; k < deps->n; k++)
            if (deps->v[k] != i) push(&edges, deps->v[k]);
    }
    out->offsets[n] = (uint32_t)edges.n;
    out->edges = edges.v;
}
