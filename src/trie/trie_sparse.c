/* Updating a partially known trie (trie_proof.h: trie_sparse_root).
 *
 * The trie is held as a tree of nodes, most of them still "hashed" (known
 * only by the hash in their parent). An update walks the key's path,
 * opening hashed nodes through the getter; insertions split leaves and
 * extensions, deletions remove leaves and collapse a branch left with one
 * child into its child (opening that child: only its kind says whether the
 * collapse merges paths). The new root is the hash of the tree, in which
 * unopened nodes keep their hashes. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/trie_proof.h"
#include "trie_codec.h"

enum { SN_HASH, SN_LEAF, SN_EXT, SN_BRANCH };

typedef struct snode snode;
struct snode {
    uint8_t kind;
    uint8_t plen;                  /* leaf, extension: path nibbles */
    uint8_t path[TRIE_NIBBLES];
    bytes32 hash;                  /* SN_HASH */
    const uint8_t *val;            /* leaf value */
    size_t val_len;
    snode *child[16];              /* branch; extension: child[0]; NULL: empty */
};

/* The update's memory: chunks freed together at the end. */
typedef struct chunk chunk;
struct chunk {
    chunk *next;
    size_t used, cap;
    max_align_t data[];
};

static void *mem_alloc(chunk **head, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!*head || (*head)->used + n > (*head)->cap) {
        size_t cap = n > 32768 ? n : 32768;
        chunk *c = malloc(sizeof *c + cap);
        if (!c) abort();
        c->next = *head;
        c->used = 0;
        c->cap = cap;
        *head = c;
    }
    void *p = (uint8_t *)(*head)->data + (*head)->used;
    (*head)->used += n;
    return p;
}

static void mem_free(chunk *c) {
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
}

typedef struct {
    trie_node_get get;
    void *ctx;
    chunk *mem;
    uint8_t key[TRIE_NIBBLES];     /* the key being updated */
    const char *err;
    buf_t scratch;
} sparse;

static snode *new_node(sparse *s, uint8_t kind) {
    snode *n = mem_alloc(&s->mem, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    return n;
}

static snode *new_leaf(sparse *s, const uint8_t *path, size_t plen, const uint8_t *val, size_t len) {
    snode *n = new_node(s, SN_LEAF);
    n->plen = (uint8_t)plen;
    memcpy(n->path, path, plen);
    n->val = val;
    n->val_len = len;
    return n;
}

/* An extension of path (plen >= 1) to child; a path of zero nibbles is the
 * child itself. */
static snode *new_ext(sparse *s, const uint8_t *path, size_t plen, snode *child) {
    if (plen == 0) return child;
    snode *n = new_node(s, SN_EXT);
    n->plen = (uint8_t)plen;
    memcpy(n->path, path, plen);
    n->child[0] = child;
    return n;
}

static snode *decode_ref(sparse *s, const rlp_item *ref, size_t depth);

/* Builds the node enc (at depth) into n; embedded children are decoded
 * too, hashed ones become SN_HASH nodes. Values are copied. */
static bool decode_into(sparse *s, const uint8_t *enc, size_t len, size_t depth, snode *n) {
    trie_node t;
    const char *err = trie_node_decode(enc, len, depth, &t);
    if (err) {
        s->err = err;
        return false;
    }
    memset(n, 0, sizeof *n);
    if (t.kind == TN_LEAF) {
        uint8_t *v = mem_alloc(&s->mem, t.value.len);
        memcpy(v, t.value.data, t.value.len);
        n->kind = SN_LEAF;
        n->plen = (uint8_t)t.plen;
        memcpy(n->path, t.path, t.plen);
        n->val = v;
        n->val_len = t.value.len;
        return true;
    }
    if (t.kind == TN_EXT) {
        n->kind = SN_EXT;
        n->plen = (uint8_t)t.plen;
        memcpy(n->path, t.path, t.plen);
        n->child[0] = decode_ref(s, &t.child[0], depth + t.plen);
        return n->child[0] != NULL;
    }
    n->kind = SN_BRANCH;
    for (int c = 0; c < 16; c++) {
        if (trie_ref_kind(&t.child[c]) == REF_EMPTY) continue;
        if (!(n->child[c] = decode_ref(s, &t.child[c], depth + 1))) return false;
    }
    return true;
}

static snode *decode_ref(sparse *s, const rlp_item *ref, size_t depth) {
    if (trie_ref_kind(ref) == REF_HASH) {
        snode *n = new_node(s, SN_HASH);
        memcpy(n->hash.b, ref->data, 32);
        return n;
    }
    snode *n = new_node(s, SN_LEAF);
    return decode_into(s, ref->raw, ref->raw_len, depth, n) ? n : NULL;
}

/* Opens a hashed node at path[0..depth) in place. */
static bool open_node(sparse *s, snode *n, const uint8_t *path, size_t depth) {
    if (n->kind != SN_HASH) return true;
    byte_span enc;
    bytes32 h = n->hash;
    const char *err = s->get(s->ctx, path, depth, &h, &enc);
    if (err) {
        s->err = err;
        return false;
    }
    return decode_into(s, enc.data, enc.len, depth, n);
}

static size_t common(const uint8_t *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

/* Inserts (or updates) the key s->key under node n at depth; NULL on error. */
static snode *insert(sparse *s, snode *n, size_t d, const uint8_t *val, size_t len) {
    const uint8_t *k = s->key;
    if (!n) return new_leaf(s, k + d, TRIE_NIBBLES - d, val, len);
    if (!open_node(s, n, k, d)) return NULL;
    if (n->kind == SN_BRANCH) {
        snode *c = insert(s, n->child[k[d]], d + 1, val, len);
        if (!c) return NULL;
        n->child[k[d]] = c;
        return n;
    }
    size_t room = TRIE_NIBBLES - d, c = common(n->path, k + d, n->plen < room ? n->plen : room);
    if (n->kind == SN_LEAF && c == n->plen) { /* the same key */
        n->val = val;
        n->val_len = len;
        return n;
    }
    if (n->kind == SN_EXT && c == n->plen) {
        snode *ch = insert(s, n->child[0], d + n->plen, val, len);
        if (!ch) return NULL;
        n->child[0] = ch;
        return n;
    }
    /* split at d + c: a branch with the old node's rest and the new leaf */
    snode *br = new_node(s, SN_BRANCH);
    if (n->kind == SN_LEAF)
        br->child[n->path[c]] = new_leaf(s, n->path + c + 1, n->plen - c - 1, n->val, n->val_len);
    else
        br->child[n->path[c]] = new_ext(s, n->path + c + 1, n->plen - c - 1, n->child[0]);
    br->child[k[d + c]] = new_leaf(s, k + d + c + 1, TRIE_NIBBLES - d - c - 1, val, len);
    return new_ext(s, k + d, c, br);
}

/* The node at depth that a branch's only child j (at depth + 1) becomes
 * when the branch collapses. */
static snode *collapse(sparse *s, snode *child, size_t depth, unsigned j) {
    uint8_t path[TRIE_NIBBLES];
    memcpy(path, s->key, depth);
    path[depth] = (uint8_t)j;
    if (!open_node(s, child, path, depth + 1)) return NULL;
    uint8_t merged[TRIE_NIBBLES];
    merged[0] = (uint8_t)j;
    if (child->kind == SN_BRANCH) return new_ext(s, merged, 1, child);
    memcpy(merged + 1, child->path, child->plen);
    if (child->kind == SN_LEAF) return new_leaf(s, merged, child->plen + 1u, child->val, child->val_len);
    return new_ext(s, merged, child->plen + 1u, child->child[0]);
}

/* Deletes s->key under n at depth. *out is the new node (NULL: empty);
 * *changed whether the key was there. False on error. */
static bool delete(sparse *s, snode *n, size_t d, snode **out, bool *changed) {
    const uint8_t *k = s->key;
    *out = n;
    *changed = false;
    if (!n) return true;
    if (!open_node(s, n, k, d)) return false;
    if (n->kind == SN_LEAF) {
        if (memcmp(n->path, k + d, n->plen) == 0) *out = NULL, *changed = true;
        return true;
    }
    if (n->kind == SN_EXT) {
        if (memcmp(n->path, k + d, n->plen) != 0) return true;
        snode *ch;
        if (!delete(s, n->child[0], d + n->plen, &ch, changed)) return false;
        if (!*changed) return true;
        if (!ch) { /* cannot happen in a valid trie: the child was a branch */
            *out = NULL;
            return true;
        }
        if (ch->kind == SN_BRANCH || ch->kind == SN_HASH) {
            n->child[0] = ch;
            return true;
        }
        uint8_t merged[TRIE_NIBBLES];
        memcpy(merged, n->path, n->plen);
        memcpy(merged + n->plen, ch->path, ch->plen);
        if (ch->kind == SN_LEAF)
            *out = new_leaf(s, merged, (size_t)n->plen + ch->plen, ch->val, ch->val_len);
        else
            *out = new_ext(s, merged, (size_t)n->plen + ch->plen, ch->child[0]);
        return true;
    }
    snode *ch;
    if (!delete(s, n->child[k[d]], d + 1, &ch, changed)) return false;
    if (!*changed) return true;
    n->child[k[d]] = ch;
    unsigned count = 0, only = 0;
    for (unsigned c = 0; c < 16; c++)
        if (n->child[c]) count++, only = c;
    if (count >= 2) return true;
    if (count == 0) { /* cannot happen in a valid trie */
        *out = NULL;
        return true;
    }
    *out = collapse(s, n->child[only], d, only);
    return *out != NULL;
}

/* Appends the encoding of n (not SN_HASH). */
static void encode(sparse *s, const snode *n, buf_t *out);

static void put_child(sparse *s, const snode *n, buf_t *out) {
    if (!n) {
        buf_push(out, 0x80);
    } else if (n->kind == SN_HASH) {
        buf_push(out, 0x80 + 32);
        buf_append(out, n->hash.b, 32);
    } else {
        buf_t tmp = {0};
        encode(s, n, &tmp);
        trie_put_ref(out, tmp.data, tmp.len);
        buf_free(&tmp);
    }
}

static void encode(sparse *s, const snode *n, buf_t *out) {
    size_t l = rlp_list_begin(out);
    if (n->kind == SN_BRANCH) {
        for (int c = 0; c < 16; c++) put_child(s, n->child[c], out);
        buf_push(out, 0x80);
    } else {
        trie_put_path(out, n->path, n->plen, n->kind == SN_LEAF);
        if (n->kind == SN_LEAF)
            rlp_encode_bytes(out, n->val, n->val_len);
        else
            put_child(s, n->child[0], out);
    }
    rlp_list_end(out, l);
}

const char *trie_sparse_root(const bytes32 *root, const trie_change *changes, size_t n, trie_node_get get,
                             void *ctx, bytes32 *new_root) {
    return trie_sparse_root_order(root, changes, n, get, ctx, false, new_root);
}

const char *trie_sparse_root_order(const bytes32 *root, const trie_change *changes, size_t n, trie_node_get get,
                                   void *ctx, bool deletions_first, bytes32 *new_root) {
    sparse s = {.get = get, .ctx = ctx};
    snode *top = NULL;
    if (!bytes32_eq(root, &EMPTY_TRIE_ROOT)) {
        top = new_node(&s, SN_HASH);
        top->hash = *root;
    }
    for (int pass = 0; pass < 2 && !s.err; pass++) { /* insertions and updates, then deletions (or the reverse) */
        bool deleting = deletions_first ? pass == 0 : pass == 1;
        for (size_t i = 0; i < n && !s.err; i++) {
            const trie_change *c = &changes[i];
            if ((c->val_len == 0) != deleting) continue;
            trie_key_nibbles(c->key.b, s.key);
            if (!deleting) {
                snode *t = insert(&s, top, 0, c->val, c->val_len);
                if (t) top = t;
            } else {
                bool changed;
                delete(&s, top, 0, &top, &changed);
            }
        }
    }
    if (!s.err) {
        if (!top) {
            *new_root = EMPTY_TRIE_ROOT;
        } else if (top->kind == SN_HASH) {
            *new_root = top->hash;
        } else {
            buf_clear(&s.scratch);
            encode(&s, top, &s.scratch);
            *new_root = keccak256_hash(s.scratch.data, s.scratch.len);
        }
    }
    const char *err = s.err;
    mem_free(s.mem);
    buf_free(&s.scratch);
    return err;
}
