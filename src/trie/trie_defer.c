/* Deferred node hashing for the root engine (hash_defer, trie_internal.h):
 * nodes are queued as the depth-first walk encodes them, and hashed level
 * by level, eight at a time, when the queue is full and when a task ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parevm/keccak.h"
#include "trie_internal.h"

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need) c *= 2;
    p = realloc(p, c * size);
    if (!p) abort();
    *cap = c;
    return p;
}

uint32_t hash_defer_queue(hash_defer *d, const uint8_t *enc, size_t len, size_t base) {
    if ((uint64_t)d->base + d->n_nodes >= UINT32_MAX) abort(); /* 4G nodes in one walk: the heap is gone first */
    d->nodes = grow(d->nodes, &d->cap_nodes, d->n_nodes + 1, sizeof *d->nodes);
    d->holes = grow(d->holes, &d->cap_holes, d->n_holes + d->n_open, sizeof *d->holes);
    queued_node *q = &d->nodes[d->n_nodes];
    q->off = (uint32_t)d->bytes.len;
    q->len = (uint32_t)len;
    q->holes = (uint32_t)d->n_holes;
    q->n_holes = (uint32_t)d->n_open;
    q->height = 0;
    for (size_t i = 0; i < d->n_open; i++) { /* open holes are of queued nodes (put_ref) */
        uint32_t child = d->open[i].node;
        d->holes[d->n_holes++] = (hash_hole){.at = q->off + (d->open[i].at - base), .node = child};
        const queued_node *c = &d->nodes[child - d->base];
        if (c->height >= q->height) q->height = (uint8_t)(c->height + 1);
    }
    d->n_open = 0;
    buf_append(&d->bytes, enc, len);
    uint32_t id = d->base + (uint32_t)d->n_nodes++;
    if (d->bytes.len >= HASH_DEFER_BYTES) hash_defer_flush(d);
    return id;
}

bool hash_defer_hashed(const hash_defer *d, uint32_t id, uint8_t out[32]) {
    if (id >= d->base) return false;
    memcpy(out, d->hashes[id].b, 32);
    return true;
}

void hash_defer_record_hole(hash_defer *d, trie_updates *log, size_t seg, size_t at, uint32_t node) {
    d->rec_holes = grow(d->rec_holes, &d->cap_rec_holes, d->n_rec_holes + 1, sizeof *d->rec_holes);
    d->rec_holes[d->n_rec_holes++] = (hash_hole){.at = at, .seg = (uint32_t)seg, .node = node, .log = log};
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

enum { RATE = 136, GROUP = 8 };

void hash_defer_flush(hash_defer *d) {
    size_t n = d->n_nodes;
    bytes32 *hash = (d->hashes = grow(d->hashes, &d->cap_hashes, d->base + n, sizeof *d->hashes));
    d->order = grow(d->order, &d->cap_order, n, sizeof *d->order);
    /* by height, then block count, so that a group of eight hashes nodes of
     * one level that need about as many permutations */
    for (size_t i = 0; i < n; i++) {
        const queued_node *q = &d->nodes[i];
        d->order[i] = (uint64_t)q->height << 48 | (uint64_t)(q->len / RATE) << 32 | i;
    }
    if (n > 1) qsort(d->order, n, sizeof *d->order, cmp_u64); /* qsort's base may not be NULL */
    for (size_t i = 0; i < n;) {
        const uint8_t *data[GROUP];
        size_t len[GROUP];
        uint8_t *out[GROUP];
        uint64_t height = d->order[i] >> 48;
        size_t g = 0;
        for (; g < GROUP && i + g < n && d->order[i + g] >> 48 == height; g++) {
            uint32_t k = (uint32_t)d->order[i + g];
            const queued_node *q = &d->nodes[k];
            for (uint32_t h = 0; h < q->n_holes; h++) { /* children are lower: hashed */
                const hash_hole *hole = &d->holes[q->holes + h];
                memcpy(d->bytes.data + hole->at, hash[hole->node].b, 32);
            }
            data[g] = d->bytes.data + q->off;
            len[g] = q->len;
            out[g] = hash[d->base + k].b;
        }
        keccak256_many(g, data, len, out);
        i += g;
    }
    for (size_t i = 0; i < d->n_rec_holes; i++) {
        const hash_hole *hole = &d->rec_holes[i];
        memcpy(hole->log->segs[hole->seg].data + hole->at, hash[hole->node].b, 32);
    }
    d->base += (uint32_t)n;
    d->n_nodes = d->n_holes = d->n_rec_holes = 0;
    buf_clear(&d->bytes);
}

void hash_defer_resolve(const hash_defer *d, node_ref *r) {
    if (!r->pending) return;
    uint32_t node;
    memcpy(&node, r->b, 4);
    if (!hash_defer_hashed(d, node, r->b)) abort(); /* resolved before a flush */
    r->pending = false;
}

void hash_defer_reset(hash_defer *d) {
    d->n_nodes = d->n_holes = d->n_rec_holes = d->n_open = 0;
    d->base = 0;
    buf_clear(&d->bytes);
}

void hash_defer_free(hash_defer *d) {
    buf_free(&d->bytes);
    free(d->nodes);
    free(d->holes);
    free(d->rec_holes);
    free(d->hashes);
    free(d->order);
    *d = (hash_defer){0};
}
