/* Dependency hints from static analysis of a block, before execution. Cheap
 * facts predict most real conflicts:
 *   - a sender's transactions form a nonce chain;
 *   - a transaction whose sender received value earlier reads that balance;
 *   - ERC-20 transfer/transferFrom calls on the same token touching the same
 *     holder read and write the same balance slot;
 *   - a transaction sent by the coinbase reads every earlier fee payment.
 * Increments that nobody reads (fees, value to a recipient) are deltas in
 * the multi-version memory and conflict with no one, so they create no
 * dependency among themselves. */
#include <stdlib.h>
#include "par_internal.h"
#include "parevm/hashmap.h"

typedef struct {
    uint64_t key;     /* 0: empty */
    uint32_t last_rw; /* last transaction that read and wrote the key, or UINT32_MAX */
    uint32_t n_deltas, cap_deltas;
    uint32_t *deltas; /* increments since last_rw: the next reader waits for all */
} key_state;

typedef struct {
    key_state *v;
    size_t cap;
} key_map;

static key_state *key_get(key_map *m, uint64_t key) {
    size_t mask = m->cap - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
        if (m->v[i].key == key) return &m->v[i];
        if (!m->v[i].key) {
            m->v[i].key = key;
            m->v[i].last_rw = UINT32_MAX;
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

typedef struct {
    uint32_t *v;
    size_t n, cap;
} u32_vec;

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
static void read_write(key_map *m, uint64_t key, uint32_t tx, u32_vec *deps, uint32_t *mark) {
    key_state *k = key_get(m, key);
    add_dep(deps, k->last_rw, mark, tx);
    for (uint32_t i = 0; i < k->n_deltas; i++) add_dep(deps, k->deltas[i], mark, tx);
    k->last_rw = tx;
    k->n_deltas = 0;
}

static void increment(key_map *m, uint64_t key, uint32_t tx) {
    key_state *k = key_get(m, key);
    if (k->n_deltas && k->deltas[k->n_deltas - 1] == tx) return;
    if (k->n_deltas == k->cap_deltas) {
        k->cap_deltas = k->cap_deltas ? k->cap_deltas * 2 : 4;
        k->deltas = realloc(k->deltas, k->cap_deltas * sizeof *k->deltas);
        if (!k->deltas) abort();
    }
    k->deltas[k->n_deltas++] = tx;
}

/* ERC-20 calls: transfer(to, amount) and transferFrom(from, to, amount). */
static void erc20_keys(key_map *m, const transaction *tx, uint32_t i, u32_vec *deps, uint32_t *mark) {
    if (!tx->has_to || tx->data_len < 4) return;
    const uint8_t *d = tx->data;
    uint32_t sel = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    if (sel == 0xa9059cbb && tx->data_len >= 68) {
        uint8_t from[32] = {0};
        memcpy(from + 12, tx->sender.b, 20);
        read_write(m, holder_key(&tx->to, from), i, deps, mark);
        read_write(m, holder_key(&tx->to, d + 4), i, deps, mark);
    } else if (sel == 0x23b872dd && tx->data_len >= 100) {
        read_write(m, holder_key(&tx->to, d + 4), i, deps, mark);
        read_write(m, holder_key(&tx->to, d + 36), i, deps, mark);
    }
}

void par_predict(const block *b, par_deps *out) {
    uint32_t n = (uint32_t)b->n_txs;
    key_map m = {0};
    m.cap = 64;
    while (m.cap < 8 * (size_t)n + 64) m.cap *= 2;
    m.v = calloc(m.cap, sizeof *m.v);
    out->n = n;
    out->offsets = malloc((n + 1) * sizeof *out->offsets);
    u32_vec edges = {0}, deps = {0};
    if (!m.v || !out->offsets) abort();
    uint32_t *mark = calloc(n ? n : 1, sizeof *mark);
    if (!mark) abort();
    uint64_t coinbase = account_key(&b->header.coinbase);
    for (uint32_t i = 0; i < n; i++) {
        const transaction *tx = &b->txs[i];
        deps.n = 0;
        /* every transaction pays the coinbase: an increment, read only by
         * transactions the coinbase sends */
        read_write(&m, account_key(&tx->sender), i, &deps, mark);
        increment(&m, coinbase, i);
        if (tx->has_to && !u256_is_zero(&tx->value)) increment(&m, account_key(&tx->to), i);
        erc20_keys(&m, tx, i, &deps, mark);
        out->offsets[i] = (uint32_t)edges.n;
        for (size_t k = 0; k < deps.n; k++)
            if (deps.v[k] != i) push(&edges, deps.v[k]);
    }
    out->offsets[n] = (uint32_t)edges.n;
    out->edges = edges.v;
    free(deps.v);
    free(mark);
    for (size_t i = 0; i < m.cap; i++) free(m.v[i].deltas);
    free(m.v);
}
