/* Internals shared by the incremental root engine's files: node references,
 * node encoding, subtrie summaries and the streaming builder. */
#ifndef PAREVM_TRIE_INTERNAL_H
#define PAREVM_TRIE_INTERNAL_H

#include "parevm/trie_engine.h"

/* The i-th nibble (high half first) of a 32-byte key. */
static inline unsigned key_nibble(const uint8_t *key, size_t i) {
    uint8_t b = key[i >> 1];
    return (i & 1) ? (b & 0x0fu) : (b >> 4);
}

/* Nibbles shared by two keys from the start (64 if equal). */
size_t key_lcp(const uint8_t *a, const uint8_t *b);
/* Whether key starts with the nibbles path[0..len). */
bool key_has_prefix(const uint8_t *key, const uint8_t *path, size_t len);

/* A reference to a node from its parent: its keccak hash (len 32), or its
 * encoding itself when shorter than 32 bytes (Yellow Paper's n()). A
 * pending reference (len 32) is to a node queued in a hash_defer whose hash
 * is not computed yet: b[0..4) holds its index there. */
typedef struct {
    uint8_t len;
    bool pending;
    uint8_t b[32];
} node_ref;

/* Deferred hashing. The engine's walk is depth first and would hash one
 * node at a time; instead, a node of 32 bytes or more is queued with its
 * encoding, where each child still pending leaves 32 zero bytes (a hole),
 * and its parent refers to it as pending, by id. The queue is hashed by
 * height (leaves, then their parents, ...) eight at a time with
 * keccak256_many, filling each node's holes before it is hashed and the
 * holes left in branch records afterwards: whenever it holds
 * HASH_DEFER_BYTES of encodings (so memory stays bounded and the
 * encodings in cache), and at hash_defer_flush. A hashed node's id stays
 * valid, so a reference to it is written as its hash from then on. Owns
 * its buffers; reused across walks (hash_defer_free releases them). */
#ifndef PAREVM_HASH_DEFER_BYTES /* the fuzz build sets it small, to flush often */
#define PAREVM_HASH_DEFER_BYTES (1 << 20)
#endif
enum { HASH_DEFER_BYTES = PAREVM_HASH_DEFER_BYTES };

typedef struct {
    uint32_t off, len;     /* encoding in bytes */
    uint32_t holes, n_holes; /* its entries in holes[] */
    uint8_t height;        /* 0: no pending child */
} queued_node;

typedef struct {
    size_t at;     /* offset of the 32 bytes in bytes, or in seg of log */
    uint32_t node; /* id of the node whose hash goes there */
    uint32_t seg;  /* records: segment of log */
    trie_updates *log; /* records only */
} hash_hole;

typedef struct {
    buf_t bytes;
    queued_node *nodes; /* node base + i is nodes[i] */
    size_t n_nodes, cap_nodes;
    uint32_t base;      /* ids below are hashed */
    hash_hole *holes;   /* of queued nodes */
    size_t n_holes, cap_holes;
    hash_hole *rec_holes; /* of branch records */
    size_t n_rec_holes, cap_rec_holes;
    bytes32 *hashes;  /* by id, once hashed */
    size_t cap_hashes;
    uint64_t *order;  /* a flush's: height, block count, index */
    size_t cap_order;
    /* pending references put into the encoding being written */
    struct {
        size_t at;
        uint32_t node;
    } open[17];
    size_t n_open;
} hash_defer;

/* Queues the encoding enc[0..len) and returns its id; an open hole at
 * offset at of the writer's buffer is at enc[at - base]. May hash the
 * queue (with this node). */
uint32_t hash_defer_queue(hash_defer *d, const uint8_t *enc, size_t len, size_t base);
/* The hash of node id once hashed (out set, true), else false. */
bool hash_defer_hashed(const hash_defer *d, uint32_t id, uint8_t out[32]);
/* The 32 bytes at offset at of segment seg of log get node's hash. */
void hash_defer_record_hole(hash_defer *d, trie_updates *log, size_t seg, size_t at, uint32_t node);
/* trie_updates_put that also tells where the record starts in the log. */
void trie_updates_put_at(trie_updates *u, const bytes32 *owner, const uint8_t *path, size_t len,
                         const trie_branch *b, size_t *seg, size_t *at);

/* Hashes everything queued; then hash_defer_resolve gives a pending
 * reference its hash, until hash_defer_reset. */
void hash_defer_flush(hash_defer *d);
void hash_defer_resolve(const hash_defer *d, node_ref *r);
/* Forgets the queue and the hashes: ids start again from 0 (after a walk's
 * references are resolved, or after a failed walk). */
void hash_defer_reset(hash_defer *d);
void hash_defer_free(hash_defer *d);

enum { CH_EMPTY, CH_LEAF, CH_BRANCH }; /* CH_BRANCH: a branch or an extension */

/* One child of a branch being assembled. */
typedef struct {
    uint8_t kind;
    bool stored; /* its subtrie holds branch records (the parent's tree bit) */
    node_ref ref;
} child_ref;

/* What the keys under a prefix form, independent of where the node sits:
 *   SUM_EMPTY   no key
 *   SUM_LEAF    one key: key, val
 *   SUM_NODE    two or more keys, first branching at depth: the branch node
 *               at path key[0..depth) has reference ref; stored says whether
 *               that branch is recorded
 *   SUM_OPAQUE  unchanged child taken from its parent's record: ref is the
 *               hash of the node at the child's position (a leaf if leaf,
 *               else a branch or extension), stored its tree bit. Valid only
 *               in that parent. */
enum { SUM_EMPTY, SUM_LEAF, SUM_NODE, SUM_OPAQUE };
typedef struct {
    uint8_t kind;
    bool stored;
    bool leaf;
    uint8_t depth;
    uint8_t key[32];
    const uint8_t *val;
    size_t val_len;
    node_ref ref;
} trie_sum;

/* A bump allocator in fixed chunks (pointers stay valid until freed). */
typedef struct arena_chunk arena_chunk;
typedef struct {
    arena_chunk *head;
    size_t used, cap;
} arena;
void *trie_arena_alloc(arena *a, size_t n);
void trie_arena_free(arena *a);

/* Where a builder writes branch records (out NULL: nowhere). */
typedef struct {
    trie_updates *out;
    const bytes32 *owner;
} record_sink;

/* The child reference of the subtrie s when its node starts at nibble pos
 * (a leaf keeps key[pos..], an extension covers pos..depth). scratch is
 * working memory. With defer, a node of 32 bytes or more is queued there
 * and its reference is pending; without, s holds no pending reference and
 * the node is hashed at once. */
child_ref sum_child(const trie_sum *s, size_t pos, buf_t *scratch, hash_defer *defer);
/* The root hash of the trie whose keys s summarises (no pending
 * reference in s). */
bytes32 sum_root(const trie_sum *s, buf_t *scratch);
/* The root hash from the root node's reference (resolved). */
bytes32 root_from_ref(const node_ref *r);

/* Encodes the branch at path key[0..depth) from its children (at least
 * two), sets *ref and *stored, and writes its record to sink (if sink and
 * it is recorded). With defer, as sum_child; the record's pending hashes
 * are filled in by the flush. */
void branch_finish(const child_ref ch[16], const uint8_t *key, size_t depth, const record_sink *sink,
                   buf_t *scratch, hash_defer *defer, node_ref *ref, bool *stored);

/* ---- Streaming builder: leaves in increasing order -> summary ---- */
typedef struct {
    uint8_t depth;
    child_ref ch[16];
} open_branch;

typedef struct {
    const record_sink *sink;
    hash_defer *defer; /* NULL: hash each node at once */
    open_branch stack[TRIE_NIBBLES];
    size_t sp;
    bool have_prev;
    uint8_t prev_key[32];
    buf_t prev_val;
    buf_t scratch;
} stream_builder;

void sb_init(stream_builder *b, const record_sink *sink);
void sb_free(stream_builder *b);
/* key must be greater than the previous one (checked by callers). */
void sb_push(stream_builder *b, const uint8_t key[32], const uint8_t *val, size_t len);
/* The summary of everything pushed; a LEAF's value is copied into a (or
 * points into the builder when a is NULL, valid until the next push). The
 * builder is empty afterwards. */
void sb_finish(stream_builder *b, arena *a, trie_sum *out);

#endif
