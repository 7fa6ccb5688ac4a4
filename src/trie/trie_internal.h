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
 * encoding itself when shorter than 32 bytes (Yellow Paper's n()). */
typedef struct {
    uint8_t len;
    uint8_t b[32];
} node_ref;

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
 * working memory. */
child_ref sum_child(const trie_sum *s, size_t pos, buf_t *scratch);
/* The root hash of the trie whose keys s summarises. */
bytes32 sum_root(const trie_sum *s, buf_t *scratch);

/* Encodes the branch at path key[0..depth) from its children (at least
 * two), sets *ref and *stored, and writes its record to sink (if sink and
 * it is recorded). */
void branch_finish(const child_ref ch[16], const uint8_t *key, size_t depth, const record_sink *sink,
                   buf_t *scratch, node_ref *ref, bool *stored);

/* ---- Streaming builder: leaves in increasing order -> summary ---- */
typedef struct {
    uint8_t depth;
    child_ref ch[16];
} open_branch;

typedef struct {
    const record_sink *sink;
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
