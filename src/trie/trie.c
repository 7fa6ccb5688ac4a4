/* Merkle-Patricia trie roots from complete key/value sets (Yellow Paper,
 * appendix D).
 *
 * Every subtrie is a contiguous range of the pair array whose keys share a
 * nibble prefix. The root is built by one depth-first recursion over such
 * ranges: a branch node groups its range by the next nibble in place (one
 * radix-sort step), so the array ends up sorted by key with no separate
 * sort, and an extension node is the prefix shared by its whole range.
 *
 * Each node is RLP-encoded at the end of a single scratch buffer, right where
 * its parent's payload is being assembled; a node of 32 bytes or more is then
 * replaced in place by the RLP of its keccak256 hash, a shorter one stays
 * inline. The buffer thus only ever holds the partial nodes on the current
 * path, and no node is allocated on its own. */
#include "parevm/trie.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "parevm/buf.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include <string.h>

/* The i-th nibble (high half first) of a key. */
static inline unsigned nibble(const uint8_t *key, size_t i) {
    uint8_t b = key[i >> 1];
    return (i & 1) ? (b & 0x0fu) : (b >> 4);
}

static inline size_t nibble_len(const trie_kv *kv) { return kv->key_len * 2; }

/* Length, in nibbles from position 0, of the common prefix of a and b, given
 * that they agree on their first `from` nibbles; never more than limit. */
static size_t common_prefix(const trie_kv *a, const trie_kv *b, size_t from, size_t limit) {
    size_t min_bytes = a->key_len < b->key_len ? a->key_len : b->key_len;
    size_t end = (limit + 1) / 2 < min_bytes ? (limit + 1) / 2 : min_bytes;
    size_t i = from >> 1;
    while (i < end && a->key[i] == b->key[i]) i++;
    size_t n;
    if (i == min_bytes)
        n = 2 * min_bytes;
    else if (i == end)
        n = 2 * end;
    else /* bytes differ at i: they may still share the high nibble */
        n = 2 * i + ((a->key[i] >> 4) == (b->key[i] >> 4));
    return n < limit ? n : limit;
}

/* The header of an RLP string of len bytes (len >= 2 or a byte >= 0x80). */
static void put_string_header(buf_t *b, size_t len) {
    if (len <= 55) {
        buf_push(b, (uint8_t)(0x80 + len));
        return;
    }
    uint8_t be[8];
    size_t ll = 0;
    for (size_t v = len; v; v >>= 8) be[7 - ll++] = (uint8_t)v;
    buf_push(b, (uint8_t)(0xb7 + ll));
    buf_append(b, be + 8 - ll, ll);
}

/* Appends, as an RLP string, the hex-prefix encoding of nibbles [from, to)
 * of key, flagged as a leaf or an extension path. */
static void put_hex_prefix(buf_t *b, const uint8_t *key, size_t from, size_t to, bool leaf) {
    size_t count = to - from;
    size_t odd = count & 1;
    size_t len = count / 2 + 1;
    uint8_t first = (uint8_t)(((leaf ? 2u : 0u) + odd) << 4);
    if (odd) first |= (uint8_t)nibble(key, from++);
    /* One byte: the flag nibble keeps it below 0x80, so it encodes itself. */
    if (len > 1) put_string_header(b, len);
    buf_push(b, first);
    if (from == to) return;
    if ((from & 1) == 0) {
        buf_append(b, key + from / 2, (to - from) / 2);
        return;
    }
    buf_reserve(b, (to - from) / 2);
    for (size_t i = from; i < to; i += 2)
        b->data[b->len++] = (uint8_t)(nibble(key, i) << 4 | nibble(key, i + 1));
}

/* Turns the node encoded at b[start..] into a reference to it: a node of 32
 * bytes or more is replaced by the RLP of its hash; a shorter one is kept
 * inline, as the Yellow Paper's n() function prescribes. */
static void make_ref(buf_t *b, size_t start) {
    size_t len = b->len - start;
    if (len < 32) return;
    uint8_t h[32];
    keccak256(b->data + start, len, h);
    b->len = start;
    buf_push(b, 0x80 + 32);
    buf_append(b, h, 32);
}

static void out_of_memory(void) {
    fprintf(stderr, "parevm: out of memory in trie\n");
    abort();
}

/* A subtrie whose reference was computed ahead (on a pool): the node for
 * keys [lo, hi) starting at nibble depth, and its reference as a branch
 * holds it (the RLP of its hash, or the node itself when shorter). */
typedef struct {
    size_t lo, hi, depth;
    uint8_t ref_len;
    uint8_t ref[33];
} sub_root;

typedef struct {
    trie_kv *kv;   /* the pairs; each range is sorted as its node is built */
    uint8_t *slot; /* per pair: its slot in the branch being partitioned */
    buf_t out;     /* scratch: partial nodes along the current path */
    buf_t leaves;  /* scratch: one branch's leaf children, hashed together */
    const sub_root *subs; /* computed ahead, in the order the branches meet them */
    size_t n_subs, next_sub;
} builder;

static void emit_node(builder *bd, size_t lo, size_t hi, size_t depth);

static void emit_value(buf_t *b, const trie_kv *kv) {
    assert(kv->val_len > 0 && "trie values must be non-empty");
    rlp_encode_bytes(b, kv->val, kv->val_len);
}

static void emit_leaf(builder *bd, const trie_kv *kv, size_t depth) {
    size_t start = rlp_list_begin(&bd->out);
    put_hex_prefix(&bd->out, kv->key, depth, nibble_len(kv), true);
    emit_value(&bd->out, kv);
    rlp_list_end(&bd->out, start);
}

/* Which child of a branch at `depth` a key goes to: 0 if it ends there (the
 * branch's own value), else 1 + its nibble at depth. */
static inline size_t slot_of(const trie_kv *kv, size_t depth) {
    return nibble_len(kv) == depth ? 0 : 1 + nibble(kv->key, depth);
}

/* Groups kv[lo, hi) by slot at depth, in slot order (an in-place one-digit
 * radix sort), and sets bounds[s]..bounds[s+1] to the range of slot s.
 * The slots are computed in one sequential pass into bd->slot first, so that
 * the permutation does not chase key pointers (cache misses) again. */
static void partition(builder *bd, size_t lo, size_t hi, size_t depth, size_t bounds[18]) {
    trie_kv *kv = bd->kv;
    uint8_t *slot = bd->slot;
    size_t count[17] = {0}, next[17];
    for (size_t i = lo; i < hi; i++) {
        /* Keys live wherever the caller keeps them: fetch ahead. */
        if (i + 8 < hi) __builtin_prefetch(kv[i + 8].key);
        slot[i] = (uint8_t)slot_of(&kv[i], depth);
        count[slot[i]]++;
    }
    bounds[0] = lo;
    for (size_t s = 0; s < 17; s++) {
        bounds[s + 1] = bounds[s] + count[s];
        next[s] = bounds[s];
    }
    for (size_t s = 0; s < 17; s++) {
        /* Swap each misplaced pair into its slot's next free place. */
        while (next[s] < bounds[s + 1]) {
            size_t i = next[s], t = slot[i];
            if (t == s) {
                next[s]++;
                continue;
            }
            size_t j = next[t]++;
            trie_kv tmp = kv[i];
            kv[i] = kv[j];
            kv[j] = tmp;
            slot[i] = slot[j];
            slot[j] = (uint8_t)t;
        }
    }
}

/* Whether child s of a branch is a sub-root computed ahead, given that the
 * children before it have consumed theirs. */
static bool is_sub(const builder *bd, size_t next_sub, const size_t bounds[18], size_t s, size_t depth) {
    const sub_root *sub = next_sub < bd->n_subs ? &bd->subs[next_sub] : NULL;
    return sub && sub->lo == bounds[s] && sub->hi == bounds[s + 1] && sub->depth == depth + 1;
}

/* Hashes the branch's leaf children of 32 bytes or more together
 * (keccak256_many: a branch of a large ordered trie, receipts or
 * transactions, has up to sixteen); returns the mask of children s whose
 * reference's hash is now in hash[s]. Short leaves stay inline and are
 * encoded where the branch meets them. */
static uint32_t hash_leaf_children(builder *bd, const size_t bounds[18], size_t depth, uint8_t hash[17][32]) {
    size_t off[17], len[17], next_sub = bd->next_sub, n = 0;
    uint8_t idx[16];
    buf_clear(&bd->leaves);
    for (size_t s = 1; s < 17; s++) {
        size_t count = bounds[s + 1] - bounds[s];
        if (count == 0) continue;
        if (is_sub(bd, next_sub, bounds, s, depth)) {
            next_sub++;
            continue;
        }
        if (count != 1) continue;
        const trie_kv *kv = &bd->kv[bounds[s]];
        /* key + value under 28 bytes: the leaf's encoding is under 32 (inline) */
        if (kv->val_len + kv->key_len < 28) continue;
        off[s] = bd->leaves.len;
        size_t l = rlp_list_begin(&bd->leaves);
        put_hex_prefix(&bd->leaves, kv->key, depth + 1, nibble_len(kv), true);
        emit_value(&bd->leaves, kv);
        rlp_list_end(&bd->leaves, l);
        len[s] = bd->leaves.len - off[s];
        if (len[s] >= 32) idx[n++] = (uint8_t)s;
    }
    if (n < 2) return 0; /* one hash: the walk does it as before */
    const uint8_t *data[16];
    size_t lens[16];
    uint8_t *out[16];
    uint32_t mask = 0;
    for (size_t i = 0; i < n; i++) {
        data[i] = bd->leaves.data + off[idx[i]];
        lens[i] = len[idx[i]];
        out[i] = hash[idx[i]];
        mask |= 1u << idx[i];
    }
    keccak256_many(n, data, lens, out);
    return mask;
}

/* A branch for keys [lo, hi) that all agree on their first `depth` nibbles
 * and do not all agree on the next one (or one of them ends here). */
static void emit_branch(builder *bd, size_t lo, size_t hi, size_t depth) {
    buf_t *b = &bd->out;
    size_t bounds[18];
    partition(bd, lo, hi, depth, bounds);
    assert(bounds[1] - bounds[0] <= 1 && "trie keys must be distinct");
    uint8_t leaf_hash[17][32];
    uint32_t hashed = hash_leaf_children(bd, bounds, depth, leaf_hash);
    size_t start = rlp_list_begin(b);
    for (size_t s = 1; s < 17; s++) {
        if (bounds[s] == bounds[s + 1]) {
            buf_push(b, 0x80);
            continue;
        }
        if (hashed >> s & 1) {
            buf_push(b, 0x80 + 32);
            buf_append(b, leaf_hash[s], 32);
            continue;
        }
        /* Start fetching the next child's first pair while this one is
         * hashed: leaves are cache misses on the caller's keys and values. */
        if (bounds[s + 1] < hi) {
            __builtin_prefetch(bd->kv[bounds[s + 1]].key);
            __builtin_prefetch(bd->kv[bounds[s + 1]].val);
        }
        if (is_sub(bd, bd->next_sub, bounds, s, depth)) {
            const sub_root *sub = &bd->subs[bd->next_sub];
            buf_append(b, sub->ref, sub->ref_len);
            bd->next_sub++;
            continue;
        }
        size_t child = b->len;
        emit_node(bd, bounds[s], bounds[s + 1], depth + 1);
        make_ref(b, child);
    }
    if (bounds[1] > bounds[0])
        emit_value(b, &bd->kv[lo]);
    else
        buf_push(b, 0x80);
    rlp_list_end(b, start);
}

/* The number of leading nibbles keys [lo, hi) (two or more) share, given
 * that they share `depth`; below a branch point, usually the second key
 * already tells that there is none beyond depth. */
static size_t shared_nibbles(const trie_kv *kv, size_t lo, size_t hi, size_t depth) {
    size_t shared = nibble_len(&kv[lo]);
    for (size_t i = lo + 1; i < hi && shared > depth; i++)
        shared = common_prefix(&kv[lo], &kv[i], depth, shared);
    return shared;
}

/* Encodes the node for keys [lo, hi) (non-empty), which all share their first
 * `depth` nibbles, at the end of the scratch buffer. */
static void emit_node(builder *bd, size_t lo, size_t hi, size_t depth) {
    const trie_kv *kv = bd->kv;
    if (hi - lo == 1) {
        emit_leaf(bd, &kv[lo], depth);
        return;
    }
    size_t shared = shared_nibbles(kv, lo, hi, depth);
    if (shared == depth) {
        emit_branch(bd, lo, hi, depth);
        return;
    }
    buf_t *b = &bd->out;
    size_t start = rlp_list_begin(b);
    put_hex_prefix(b, kv[lo].key, depth, shared, false);
    size_t child = b->len;
    emit_branch(bd, lo, hi, shared);
    make_ref(b, child);
    rlp_list_end(b, start);
}

bytes32 trie_root(trie_kv *items, size_t n) {
    if (n == 0) return EMPTY_TRIE_ROOT;
    /* Small tries (most storage tries) need no heap for the slots. */
    uint8_t small[256];
    builder bd = {.kv = items, .slot = n <= sizeof small ? small : malloc(n)};
    if (!bd.slot) out_of_memory();
    buf_reserve(&bd.out, 4096);
    emit_node(&bd, 0, n, 0);
    /* The root is always hashed, however short its encoding. */
    bytes32 root = keccak256_hash(bd.out.data, bd.out.len);
    buf_free(&bd.out);
    buf_free(&bd.leaves);
    if (bd.slot != small) free(bd.slot);
    return root;
}

/* ---- On a pool ----
 * The top of the trie is walked first, sorting each large range into its
 * branch's children as emit_node would; every child range of at most
 * `limit` pairs becomes a sub_root, built on the pool into its reference.
 * emit_node then builds the top, taking those references as it meets the
 * ranges (in the same depth-first order) instead of descending. */

typedef struct {
    builder *bd;
    sub_root *subs;
    size_t n, cap, limit;
} root_plan;

static void plan_node(root_plan *p, size_t lo, size_t hi, size_t depth) {
    if (hi - lo == 1) return; /* a leaf: built with the top */
    size_t shared = shared_nibbles(p->bd->kv, lo, hi, depth), bounds[18];
    partition(p->bd, lo, hi, shared, bounds);
    for (size_t s = 1; s < 17; s++) {
        size_t a = bounds[s], b = bounds[s + 1];
        if (a == b) continue;
        if (b - a > p->limit) {
            plan_node(p, a, b, shared + 1);
            continue;
        }
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 64;
            p->subs = realloc(p->subs, p->cap * sizeof *p->subs);
            if (!p->subs) out_of_memory();
        }
        p->subs[p->n++] = (sub_root){.lo = a, .hi = b, .depth = shared + 1};
    }
}

static void build_sub(void *arg, size_t i, unsigned worker) {
    (void)worker;
    root_plan *p = arg;
    sub_root *r = &p->subs[i];
    builder bd = {.kv = p->bd->kv, .slot = p->bd->slot}; /* its own range of both */
    emit_node(&bd, r->lo, r->hi, r->depth);
    make_ref(&bd.out, 0);
    r->ref_len = (uint8_t)bd.out.len;
    memcpy(r->ref, bd.out.data, bd.out.len);
    buf_free(&bd.out);
    buf_free(&bd.leaves);
}

bytes32 trie_root_pool(trie_kv *items, size_t n, task_pool *pool) {
    unsigned threads = pool ? task_pool_threads(pool) : 1;
    if (threads < 2 || n < TRIE_POOL_MIN) return trie_root(items, n);
    builder bd = {.kv = items, .slot = malloc(n)};
    if (!bd.slot) out_of_memory();
    root_plan p = {.bd = &bd, .limit = n / (8 * (size_t)threads)};
    if (p.limit < 16) p.limit = 16;
    plan_node(&p, 0, n, 0);
    task_pool_run(pool, p.n, build_sub, &p);
    bd.subs = p.subs;
    bd.n_subs = p.n;
    buf_reserve(&bd.out, 4096);
    emit_node(&bd, 0, n, 0);
    assert(bd.next_sub == bd.n_subs && "every sub-root is met by the top");
    bytes32 root = keccak256_hash(bd.out.data, bd.out.len);
    buf_free(&bd.out);
    buf_free(&bd.leaves);
    free(bd.slot);
    free(p.subs);
    return root;
}

/* One allocation for n pairs plus per-pair key storage of key_size bytes. */
static trie_kv *alloc_pairs(size_t n, size_t key_size, uint8_t **keys) {
    if (n > SIZE_MAX / (sizeof(trie_kv) + key_size)) abort();
    trie_kv *kv = malloc(n * (sizeof(trie_kv) + key_size));
    if (!kv) out_of_memory();
    *keys = (uint8_t *)(kv + n);
    return kv;
}

bytes32 trie_root_secure(trie_kv *items, size_t n) {
    if (n == 0) return EMPTY_TRIE_ROOT;
    uint8_t *hashes;
    trie_kv *kv = alloc_pairs(n, 32, &hashes);
    for (size_t i = 0; i < n; i += 64) { /* keys hashed 64 at a time (keccak256_many) */
        const uint8_t *data[64];
        size_t len[64];
        uint8_t *out[64];
        size_t g = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < g; j++) {
            data[j] = items[i + j].key;
            len[j] = items[i + j].key_len;
            out[j] = hashes + 32 * (i + j);
            kv[i + j] = (trie_kv){out[j], 32, items[i + j].val, items[i + j].val_len};
        }
        keccak256_many(g, data, len, out);
    }
    bytes32 root = trie_root(kv, n);
    free(kv);
    return root;
}

/* Writes rlp(i) (i as a minimal big-endian RLP integer) to out[0..9). */
static size_t rlp_index(uint64_t i, uint8_t out[9]) {
    if (i != 0 && i < 0x80) {
        out[0] = (uint8_t)i;
        return 1;
    }
    size_t n = 0;
    for (uint64_t v = i; v; v >>= 8) n++;
    out[0] = (uint8_t)(0x80 + n);
    for (size_t k = 0; k < n; k++) out[1 + k] = (uint8_t)(i >> (8 * (n - 1 - k)));
    return 1 + n;
}

bytes32 trie_root_ordered_pool(const byte_span *values, size_t n, task_pool *pool) {
    if (n == 0) return EMPTY_TRIE_ROOT;
    uint8_t *keys;
    trie_kv *kv = alloc_pairs(n, 9, &keys);
    for (size_t i = 0; i < n; i++) {
        uint8_t *k = keys + 9 * i;
        kv[i] = (trie_kv){k, rlp_index(i, k), values[i].data, values[i].len};
    }
    bytes32 root = trie_root_pool(kv, n, pool);
    free(kv);
    return root;
}

bytes32 trie_root_ordered(const byte_span *values, size_t n) { return trie_root_ordered_pool(values, n, NULL); }
