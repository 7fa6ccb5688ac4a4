/* Node encoding for the incremental root engine: leaf, extension and branch
 * nodes of 32-byte-key tries (Yellow Paper, appendix D), references to them,
 * branch records (their codec and the update log) and a small arena. */
#include <stdio.h>
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "trie_internal.h"

size_t key_lcp(const uint8_t *a, const uint8_t *b) {
    size_t i = 0;
    while (i < 32 && a[i] == b[i]) i++;
    if (i == 32) return TRIE_NIBBLES;
    return 2 * i + ((a[i] >> 4) == (b[i] >> 4));
}

bool key_has_prefix(const uint8_t *key, const uint8_t *path, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (key_nibble(key, i) != path[i]) return false;
    return true;
}

/* ---- Arena ---- */

struct arena_chunk {
    arena_chunk *next;
    max_align_t data[];
};

enum { ARENA_CHUNK = 64 * 1024 };

void *trie_arena_alloc(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->used + n > a->cap) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        arena_chunk *c = malloc(sizeof *c + cap);
        if (!c) {
            fprintf(stderr, "parevm: out of memory in trie arena\n");
            abort();
        }
        c->next = a->head;
        a->head = c;
        a->used = 0;
        a->cap = cap;
    }
    void *p = (uint8_t *)a->head->data + a->used;
    a->used += n;
    return p;
}

void trie_arena_free(arena *a) {
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used = a->cap = 0;
}

/* ---- Node encoding ---- */

/* Appends, as an RLP string, the hex-prefix form of nibbles [from, to) of
 * key, flagged as a leaf or an extension path. */
static void put_path(buf_t *b, const uint8_t *key, size_t from, size_t to, bool leaf) {
    size_t count = to - from, odd = count & 1, len = count / 2 + 1;
    uint8_t first = (uint8_t)(((leaf ? 2u : 0u) + odd) << 4);
    if (odd) first |= (uint8_t)key_nibble(key, from++);
    if (len > 1) buf_push(b, (uint8_t)(0x80 + len)); /* len <= 33: short form */
    buf_push(b, first);                                /* < 0x80: its own encoding */
    for (size_t i = from; i < to; i += 2)
        buf_push(b, (uint8_t)(key_nibble(key, i) << 4 | key_nibble(key, i + 1)));
}

/* A reference inside a parent: the hash as a 32-byte string, or the short
 * node's encoding inline. A pending hash leaves a hole to fill. */
static void put_ref(buf_t *b, const node_ref *r, hash_defer *d) {
    if (r->len == 32) buf_push(b, 0x80 + 32);
    if (r->pending) {
        uint32_t node;
        memcpy(&node, r->b, 4);
        if (!d || d->n_open == 17) abort(); /* pending only under a defer, 17 refs a node at most */
        uint8_t hash[32] = {0}; /* a hole unless hashed already */
        if (!hash_defer_hashed(d, node, hash)) {
            d->open[d->n_open].at = b->len;
            d->open[d->n_open++].node = node;
        }
        buf_append(b, hash, 32);
        return;
    }
    buf_append(b, r->b, r->len);
}

/* The reference to the node encoded at b[start..], which is then dropped:
 * the encoding itself when short, else its hash, or with d its place in
 * d's queue. */
static node_ref take_ref(buf_t *b, size_t start, hash_defer *d) {
    node_ref r = {0};
    size_t len = b->len - start;
    if (len < 32) { /* a pending child alone is 33 bytes: none here */
        r.len = (uint8_t)len;
        memcpy(r.b, b->data + start, len);
    } else if (d) {
        /* the holes were placed before rlp_list_end put the list's header
         * in front of them */
        uint8_t h = b->data[start];
        size_t header = h < 0xf8 ? 1 : 1 + (size_t)(h - 0xf7);
        uint32_t node = hash_defer_queue(d, b->data + start, len, start - header);
        r.len = 32;
        r.pending = true;
        memcpy(r.b, &node, 4);
    } else {
        r.len = 32;
        keccak256(b->data + start, len, r.b);
    }
    b->len = start;
    return r;
}

child_ref sum_child(const trie_sum *s, size_t pos, buf_t *scratch, hash_defer *defer) {
    child_ref c = {.kind = CH_EMPTY};
    size_t start = scratch->len;
    switch (s->kind) {
    case SUM_EMPTY:
        return c;
    case SUM_OPAQUE:
        c.kind = s->leaf ? CH_LEAF : CH_BRANCH;
        c.stored = s->stored;
        c.ref = s->ref;
        return c;
    case SUM_LEAF: {
        size_t l = rlp_list_begin(scratch);
        put_path(scratch, s->key, pos, TRIE_NIBBLES, true);
        rlp_encode_bytes(scratch, s->val, s->val_len);
        rlp_list_end(scratch, l);
        c.kind = CH_LEAF;
        c.ref = take_ref(scratch, start, defer);
        return c;
    }
    default: /* SUM_NODE */
        c.kind = CH_BRANCH;
        c.stored = s->stored;
        if (s->depth == pos) {
            c.ref = s->ref;
            return c;
        }
        size_t l = rlp_list_begin(scratch);
        put_path(scratch, s->key, pos, s->depth, false);
        put_ref(scratch, &s->ref, defer);
        rlp_list_end(scratch, l);
        c.ref = take_ref(scratch, start, defer);
        return c;
    }
}

bytes32 root_from_ref(const node_ref *r) {
    bytes32 h;
    if (r->len == 32)
        memcpy(h.b, r->b, 32);
    else /* the root is hashed however short */
        keccak256(r->b, r->len, h.b);
    return h;
}

bytes32 sum_root(const trie_sum *s, buf_t *scratch) {
    if (s->kind == SUM_EMPTY) return EMPTY_TRIE_ROOT;
    child_ref c = sum_child(s, 0, scratch, NULL);
    return root_from_ref(&c.ref);
}

/* Ranks of the children whose hashes a branch record holds. */
static unsigned hash_rank(uint16_t hashed, unsigned c) {
    return (unsigned)__builtin_popcount(hashed & ((1u << c) - 1));
}

void branch_finish(const child_ref ch[16], const uint8_t *key, size_t depth, const record_sink *sink,
                   buf_t *scratch, hash_defer *defer, node_ref *ref, bool *stored) {
    trie_branch rec;
    rec.state_mask = rec.tree_mask = rec.hash_mask = rec.leaf_mask = 0;
    uint16_t pending = 0;
    size_t start = scratch->len;
    size_t l = rlp_list_begin(scratch);
    for (unsigned c = 0; c < 16; c++) {
        if (ch[c].kind == CH_EMPTY) {
            buf_push(scratch, 0x80);
            continue;
        }
        put_ref(scratch, &ch[c].ref, defer);
        uint16_t bit = (uint16_t)(1u << c);
        rec.state_mask |= bit;
        if (ch[c].stored) rec.tree_mask |= bit;
        if (ch[c].ref.len == 32) {
            if (ch[c].kind == CH_BRANCH) rec.hash_mask |= bit;
            else rec.leaf_mask |= bit;
            if (ch[c].ref.pending) pending |= bit;
            else memcpy(rec.hashes[c].b, ch[c].ref.b, 32);
        }
    }
    buf_push(scratch, 0x80); /* no value: all keys are 64 nibbles long */
    rlp_list_end(scratch, l);
    *ref = take_ref(scratch, start, defer);
    *stored = (rec.tree_mask | rec.hash_mask) != 0;
    if (*stored && sink && sink->out) {
        uint8_t path[TRIE_NIBBLES];
        for (size_t i = 0; i < depth; i++) path[i] = (uint8_t)key_nibble(key, i);
        uint32_t node[16];
        uint16_t holes = 0; /* children still queued (maybe hashed by take_ref): the flush fills them */
        for (unsigned c = 0; c < 16; c++) {
            if (!(pending >> c & 1)) continue;
            memcpy(&node[c], ch[c].ref.b, 4);
            if (hash_defer_hashed(defer, node[c], rec.hashes[c].b)) continue;
            memset(rec.hashes[c].b, 0, 32);
            holes |= (uint16_t)(1u << c);
        }
        size_t seg, at;
        trie_updates_put_at(sink->out, sink->owner, path, depth, &rec, &seg, &at);
        uint16_t hashed = rec.hash_mask | rec.leaf_mask;
        for (unsigned c = 0; c < 16; c++)
            if (holes >> c & 1)
                hash_defer_record_hole(defer, sink->out, seg, at + 8 + 32 * hash_rank(hashed, c), node[c]);
    }
}

/* ---- Branch records ---- */

static unsigned popcount16(uint16_t m) { return (unsigned)__builtin_popcount(m); }

size_t trie_branch_encode(const trie_branch *b, uint8_t out[TRIE_BRANCH_MAX_ENC]) {
    uint16_t m[4] = {b->state_mask, b->tree_mask, b->hash_mask, b->leaf_mask};
    for (int i = 0; i < 4; i++) {
        out[2 * i] = (uint8_t)(m[i] >> 8);
        out[2 * i + 1] = (uint8_t)m[i];
    }
    size_t n = 8;
    uint16_t hashed = b->hash_mask | b->leaf_mask;
    for (unsigned c = 0; c < 16; c++)
        if (hashed >> c & 1) {
            memcpy(out + n, b->hashes[c].b, 32);
            n += 32;
        }
    return n;
}

bool trie_branch_decode(const uint8_t *in, size_t len, trie_branch *out) {
    if (len < 8) return false;
    out->state_mask = (uint16_t)(in[0] << 8 | in[1]);
    out->tree_mask = (uint16_t)(in[2] << 8 | in[3]);
    out->hash_mask = (uint16_t)(in[4] << 8 | in[5]);
    out->leaf_mask = (uint16_t)(in[6] << 8 | in[7]);
    uint16_t hashed = out->hash_mask | out->leaf_mask;
    if (popcount16(out->state_mask) < 2) return false;
    if ((out->tree_mask | hashed) & ~out->state_mask) return false;
    if ((out->tree_mask | out->hash_mask) == 0) return false;
    if (out->leaf_mask & (out->tree_mask | out->hash_mask)) return false; /* a leaf has no records, is no branch */
    if (len != 8 + 32 * (size_t)popcount16(hashed)) return false;
    size_t n = 8;
    for (unsigned c = 0; c < 16; c++)
        if (hashed >> c & 1) {
            memcpy(out->hashes[c].b, in + n, 32);
            n += 32;
        }
    return true;
}

/* ---- Update log: [flags][owner?][path_len][path][rec_len:2][rec] ---- */

enum { UPD_OWNER = 1, UPD_DELETE = 2 };

/* A position: the segment's index above POS_SHIFT bits, the offset below. */
#define POS_SHIFT 32

static void grow_segs(trie_updates *u, size_t extra) {
    if (u->n_segs + extra <= u->cap_segs) return;
    size_t cap = u->cap_segs ? u->cap_segs * 2 : 4;
    while (cap < u->n_segs + extra) cap *= 2;
    u->segs = realloc(u->segs, cap * sizeof *u->segs);
    if (!u->segs) abort();
    u->cap_segs = cap;
}

/* The segment the next entry of need bytes goes to: the last one while it
 * has room (it grows up to a full segment), else a new one. */
static buf_t *segment_for(trie_updates *u, size_t need) {
    if (u->n_segs && u->segs[u->n_segs - 1].len + need <= TRIE_UPDATES_SEGMENT) return &u->segs[u->n_segs - 1];
    if (u->n_segs && u->segs[u->n_segs - 1].len == 0) return &u->segs[u->n_segs - 1];
    grow_segs(u, 1);
    buf_t *seg = &u->segs[u->n_segs++];
    *seg = (buf_t){0};
    if (u->n_segs > 1) buf_reserve(seg, TRIE_UPDATES_SEGMENT);
    return seg;
}

static buf_t *log_head(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len, bool del,
                       size_t rec_len) {
    buf_t *seg = segment_for(u, 1 + (owner ? 32 : 0) + 1 + len + 2 + rec_len);
    buf_push(seg, (uint8_t)((owner ? UPD_OWNER : 0) | (del ? UPD_DELETE : 0)));
    if (owner) buf_append(seg, owner->b, 32);
    buf_push(seg, (uint8_t)len);
    buf_append(seg, path, len);
    buf_push(seg, (uint8_t)(rec_len >> 8));
    buf_push(seg, (uint8_t)rec_len);
    u->count++;
    return seg;
}

void trie_updates_put_at(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len,
                         const trie_branch *b, size_t *seg, size_t *at) {
    uint8_t enc[TRIE_BRANCH_MAX_ENC];
    size_t n = trie_branch_encode(b, enc);
    buf_t *s = log_head(u, owner, path, len, false, n);
    *seg = (size_t)(s - u->segs);
    *at = s->len;
    buf_append(s, enc, n);
}

void trie_updates_put(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len,
                      const trie_branch *b) {
    size_t seg, at;
    trie_updates_put_at(u, owner, path, len, b, &seg, &at);
}

void trie_updates_del(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len) {
    log_head(u, owner, path, len, true, 0);
}

void trie_updates_append(trie_updates *dst, const trie_updates *src) {
    grow_segs(dst, src->n_segs);
    for (size_t i = 0; i < src->n_segs; i++) {
        if (!src->segs[i].len) continue;
        buf_t *seg = &dst->segs[dst->n_segs++];
        *seg = (buf_t){0};
        buf_append(seg, src->segs[i].data, src->segs[i].len);
    }
    dst->count += src->count;
}

void trie_updates_move(trie_updates *dst, trie_updates *src) {
    grow_segs(dst, src->n_segs);
    for (size_t i = 0; i < src->n_segs; i++) {
        if (src->segs[i].len) dst->segs[dst->n_segs++] = src->segs[i];
        else buf_free(&src->segs[i]);
    }
    dst->count += src->count;
    src->n_segs = 0;
    src->count = 0;
}

bool trie_updates_next(const trie_updates *u, size_t *pos, trie_update *out) {
    size_t si = *pos >> POS_SHIFT, p = *pos & (((size_t)1 << POS_SHIFT) - 1);
    while (si < u->n_segs && p >= u->segs[si].len) si++, p = 0;
    if (si >= u->n_segs) return false;
    const uint8_t *d = u->segs[si].data;
    uint8_t flags = d[p++];
    out->has_owner = flags & UPD_OWNER;
    out->del = flags & UPD_DELETE;
    if (out->has_owner) {
        memcpy(out->owner.b, d + p, 32);
        p += 32;
    }
    out->path_len = d[p++];
    memcpy(out->path, d + p, out->path_len);
    p += out->path_len;
    out->rec_len = (size_t)d[p] << 8 | d[p + 1];
    p += 2;
    out->rec = d + p;
    p += out->rec_len;
    *pos = si << POS_SHIFT | p;
    return true;
}

void trie_updates_clear(trie_updates *u) {
    for (size_t i = 1; i < u->n_segs; i++) buf_free(&u->segs[i]);
    if (u->n_segs) {
        buf_clear(&u->segs[0]);
        u->n_segs = 1;
    }
    u->count = 0;
}

void trie_updates_free(trie_updates *u) {
    for (size_t i = 0; i < u->n_segs; i++) buf_free(&u->segs[i]);
    free(u->segs);
    *u = (trie_updates){0};
}
