/* Proofs from a node store (trie_proof.h): the walk along a key, and the
 * prover that rebuilds the nodes on a path from branch records and leaves.
 *
 * The node at a path P (what hangs from the parent's child slot at P) is
 * found from the first branch record at or under P: in a consistent store
 * a branch is recorded iff its subtrie holds a record or a hashed non-leaf
 * child, so if any record lies under P, the first one in path order is the
 * topmost branch under P (at Q; an extension P..Q leads to it when Q is
 * longer than P). Its record gives the hashes of its non-leaf children; its
 * other children are leaves (or nodes small enough to be embedded), rebuilt
 * from the leaves under them. No record under P: the keys under P form a
 * leaf or one unrecorded branch of few leaves, rebuilt from those leaves. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/trie_proof.h"
#include "trie_codec.h"
#include "trie_internal.h"

/* ---- The walk ---- */

const char *trie_walk(const bytes32 *root, const bytes32 *key, trie_node_get get, void *ctx, bool *found,
                      byte_span *value) {
    *found = false;
    *value = (byte_span){NULL, 0};
    if (bytes32_eq(root, &EMPTY_TRIE_ROOT)) return NULL;
    uint8_t nib[TRIE_NIBBLES];
    trie_key_nibbles(key->b, nib);
    byte_span enc;
    const char *err = get(ctx, nib, 0, root, &enc);
    for (size_t pos = 0; !err;) {
        trie_node n;
        if ((err = trie_node_decode(enc.data, enc.len, pos, &n))) break;
        const rlp_item *ref;
        if (n.kind == TN_LEAF) {
            if (memcmp(n.path, nib + pos, n.plen) == 0) {
                *found = true;
                *value = n.value;
            }
            return NULL;
        }
        if (n.kind == TN_EXT) {
            if (memcmp(n.path, nib + pos, n.plen) != 0) return NULL; /* diverges */
            pos += n.plen;
            ref = &n.child[0];
        } else {
            ref = &n.child[nib[pos]];
            pos++;
        }
        int kind = trie_ref_kind(ref);
        if (kind == REF_EMPTY) return NULL;
        if (kind == REF_INLINE) {
            enc = (byte_span){ref->raw, ref->raw_len};
            continue;
        }
        bytes32 h;
        memcpy(h.b, ref->data, 32);
        err = get(ctx, nib, pos, &h, &enc);
    }
    return err;
}

/* ---- The prover ---- */

typedef struct {
    bytes32 key;
    size_t off, len; /* value in vals */
} leaf_copy;

struct trie_prover {
    const trie_store *store;
    void *rd;
    const bytes32 *owner;
    buf_t node;         /* trie_prover_node's result */
    leaf_copy *leaves;  /* the leaves under a path without records */
    size_t n_leaves, cap_leaves;
    buf_t vals;
    byte_list *proof;   /* trie_prover_prove's output */
};

const char *trie_prover_open(const trie_store *store, trie_prover **out) {
    trie_prover *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->store = store;
    const char *err = "cannot open a trie store reader";
    p->rd = store->open(store->ctx, &err);
    if (!p->rd) {
        free(p);
        *out = NULL;
        return err;
    }
    *out = p;
    return NULL;
}

void trie_prover_close(trie_prover *p) {
    if (!p) return;
    p->store->ops->close(p->rd);
    buf_free(&p->node);
    buf_free(&p->vals);
    free(p->leaves);
    free(p);
}

/* The first record at or under path: 1 (found, rec decoded), 0, or -1. */
static int seek_record(trie_prover *p, const uint8_t *path, size_t plen, uint8_t found[TRIE_NIBBLES],
                       size_t *flen, trie_branch *rec, const char **err) {
    byte_span raw;
    *err = "trie store error";
    int r = p->store->ops->branch_seek(p->rd, p->owner, path, plen, found, flen, &raw, err);
    if (r < 0) return -1;
    if (r == 0 || *flen < plen || memcmp(found, path, plen) != 0) return 0;
    if (*flen >= TRIE_NIBBLES) *err = "corrupt trie record: path too long";
    else if (!trie_branch_decode(raw.data, raw.len, rec)) *err = "corrupt trie record";
    else *err = NULL;
    for (size_t i = 0; !*err && i < *flen; i++)
        if (found[i] > 15) *err = "corrupt trie record: bad nibble in path";
    return *err ? -1 : 1;
}

/* Copies the leaves under path into p->leaves (in key order). */
static const char *collect_leaves(trie_prover *p, const uint8_t *path, size_t plen) {
    p->n_leaves = 0;
    buf_clear(&p->vals);
    bytes32 from = {{0}}; /* the smallest key under path */
    for (size_t i = 0; i < plen; i++) from.b[i / 2] |= (uint8_t)(path[i] << ((i & 1) ? 0 : 4));
    bytes32 key;
    byte_span val;
    const char *err = "trie store error";
    int r = p->store->ops->leaf_seek(p->rd, p->owner, &from, &key, &val, &err);
    for (; r == 1 && key_has_prefix(key.b, path, plen); r = p->store->ops->leaf_next(p->rd, &key, &val, &err)) {
        if (val.len == 0) return "corrupt hashed state: empty leaf value";
        if (p->n_leaves == p->cap_leaves) {
            p->cap_leaves = p->cap_leaves ? 2 * p->cap_leaves : 32;
            p->leaves = realloc(p->leaves, p->cap_leaves * sizeof *p->leaves);
            if (!p->leaves) abort();
        }
        if (p->n_leaves && memcmp(p->leaves[p->n_leaves - 1].key.b, key.b, 32) >= 0)
            return "trie store: leaves out of order";
        p->leaves[p->n_leaves++] = (leaf_copy){key, p->vals.len, val.len};
        buf_append(&p->vals, val.data, val.len);
    }
    return r < 0 ? err : NULL;
}

static void put_nibbles_of(buf_t *out, const uint8_t *key, size_t from, size_t to, bool leaf) {
    uint8_t nib[TRIE_NIBBLES];
    for (size_t i = from; i < to; i++) nib[i - from] = (uint8_t)key_nibble(key, i);
    trie_put_path(out, nib, to - from, leaf);
}

/* Encodes the node at position pos made of leaves [lo, hi) (at least one,
 * all sharing the first pos nibbles). */
static void leaves_node(const trie_prover *p, size_t lo, size_t hi, size_t pos, buf_t *out) {
    const leaf_copy *lv = p->leaves;
    if (hi - lo == 1) {
        size_t l = rlp_list_begin(out);
        put_nibbles_of(out, lv[lo].key.b, pos, TRIE_NIBBLES, true);
        rlp_encode_bytes(out, p->vals.data + lv[lo].off, lv[lo].len);
        rlp_list_end(out, l);
        return;
    }
    size_t d = key_lcp(lv[lo].key.b, lv[hi - 1].key.b); /* sorted: the whole range's prefix */
    buf_t br = {0}, child = {0};
    size_t l = rlp_list_begin(&br);
    for (size_t c = 0, i = lo; c < 16; c++) {
        size_t j = i;
        while (j < hi && key_nibble(lv[j].key.b, d) == c) j++;
        if (j == i) {
            buf_push(&br, 0x80);
            continue;
        }
        buf_clear(&child);
        leaves_node(p, i, j, d + 1, &child);
        trie_put_ref(&br, child.data, child.len);
        i = j;
    }
    buf_push(&br, 0x80);
    rlp_list_end(&br, l);
    if (d > pos) {
        size_t e = rlp_list_begin(out);
        put_nibbles_of(out, lv[lo].key.b, pos, d, false);
        trie_put_ref(out, br.data, br.len);
        rlp_list_end(out, e);
    } else {
        buf_append(out, br.data, br.len);
    }
    buf_free(&br);
    buf_free(&child);
}

/* Appends the encoding of the node at path[0..plen) (nothing if empty). */
static const char *node_enc(trie_prover *p, const uint8_t *path, size_t plen, buf_t *out) {
    uint8_t found[TRIE_NIBBLES];
    size_t flen = 0;
    trie_branch rec;
    const char *err;
    int r = seek_record(p, path, plen, found, &flen, &rec, &err);
    if (r < 0) return err;
    if (r == 0) {
        if ((err = collect_leaves(p, path, plen))) return err;
        if (p->n_leaves) leaves_node(p, 0, p->n_leaves, plen, out);
        return NULL;
    }
    buf_t br = {0}, child = {0};
    size_t l = rlp_list_begin(&br);
    for (unsigned c = 0; c < 16 && !err; c++) {
        uint16_t bit = (uint16_t)(1u << c);
        if (!(rec.state_mask & bit)) {
            buf_push(&br, 0x80);
        } else if ((rec.hash_mask | rec.leaf_mask) & bit) {
            buf_push(&br, 0x80 + 32);
            buf_append(&br, rec.hashes[c].b, 32);
        } else { /* a leaf or an embedded node: rebuilt */
            found[flen] = (uint8_t)c;
            buf_clear(&child);
            err = node_enc(p, found, flen + 1, &child);
            if (!err && child.len == 0) err = "trie store inconsistent: a recorded child has no keys";
            if (!err) trie_put_ref(&br, child.data, child.len);
        }
    }
    buf_push(&br, 0x80);
    rlp_list_end(&br, l);
    if (!err && flen > plen) {
        size_t e = rlp_list_begin(out);
        trie_put_path(out, found + plen, flen - plen, false);
        trie_put_ref(out, br.data, br.len);
        rlp_list_end(out, e);
    } else if (!err) {
        buf_append(out, br.data, br.len);
    }
    buf_free(&br);
    buf_free(&child);
    return err;
}

const char *trie_prover_node(trie_prover *p, const bytes32 *owner, const uint8_t *path, size_t len,
                             byte_span *out) {
    *out = (byte_span){NULL, 0};
    if (len > TRIE_NIBBLES) return "trie path too long";
    for (size_t i = 0; i < len; i++)
        if (path[i] > 15) return "trie path: bad nibble";
    p->owner = owner;
    buf_clear(&p->node);
    const char *err = node_enc(p, path, len, &p->node);
    if (!err && p->node.len) *out = (byte_span){p->node.data, p->node.len};
    return err;
}

const char *trie_prover_root(trie_prover *p, const bytes32 *owner, bytes32 *root) {
    byte_span n;
    const uint8_t none[1] = {0}; /* an empty path */
    const char *err = trie_prover_node(p, owner, none, 0, &n);
    if (err) return err;
    *root = n.len ? keccak256_hash(n.data, n.len) : EMPTY_TRIE_ROOT;
    return NULL;
}

/* The walk's getter: the node rebuilt from the store, checked against the
 * parent's reference, listed in the proof. */
static const char *prove_get(void *ctx, const uint8_t *path, size_t len, const bytes32 *hash, byte_span *out) {
    trie_prover *p = ctx;
    const char *err = trie_prover_node(p, p->owner, path, len, out);
    if (err) return err;
    bytes32 h = keccak256_hash(out->data, out->len);
    if (out->len == 0 || !bytes32_eq(&h, hash)) return "trie store inconsistent: a node differs from its reference";
    byte_list_push(p->proof, out->data, out->len);
    return NULL;
}

const char *trie_prover_prove(trie_prover *p, const bytes32 *owner, const bytes32 *key, byte_list *proof,
                              bool *found, buf_t *value) {
    bytes32 root;
    *found = false;
    const char *err = trie_prover_root(p, owner, &root);
    if (err) return err;
    p->proof = proof;
    byte_span v;
    err = trie_walk(&root, key, prove_get, p, found, &v);
    p->proof = NULL;
    if (!err && *found) buf_append(value, v.data, v.len);
    return err;
}
