/* Encoding and strict decoding of single trie nodes (Yellow Paper, appendix
 * D) for the proof, partial-trie and witness code: nodes of the state's
 * secure tries, whose keys are all 64 nibbles long. */
#ifndef PAREVM_TRIE_CODEC_H
#define PAREVM_TRIE_CODEC_H

#include "parevm/rlp.h"
#include "parevm/trie_store.h"

enum { TN_LEAF, TN_EXT, TN_BRANCH };

/* A decoded node; spans and items point into the encoding. */
typedef struct {
    int kind;
    uint8_t path[TRIE_NIBBLES]; /* leaf: the rest of the key; extension: its nibbles */
    size_t plen;
    byte_span value;            /* leaf: the value (non-empty) */
    rlp_item child[16];         /* branch: the 16 child references; extension: child[0] */
} trie_node;

/* A child reference: empty (branch slot without child), the 32-byte hash
 * of a node, or a node shorter than 32 bytes embedded whole. */
enum { REF_EMPTY, REF_HASH, REF_INLINE };
int trie_ref_kind(const rlp_item *ref);

/* Decodes the node enc[0..len) that sits at nibble depth (0: the root).
 * Returns NULL or why the node is malformed: not a 2- or 17-item list, bad
 * hex-prefix path, a leaf that does not end at nibble 64, an extension that
 * reaches it, a branch with a value or fewer than two children, a bad child
 * reference (an embedded node of 32 bytes or more, a string that is not a
 * hash). */
const char *trie_node_decode(const uint8_t *enc, size_t len, size_t depth, trie_node *out);

/* Appends the RLP string of the hex-prefix form of nibbles[0..n). */
void trie_put_path(buf_t *b, const uint8_t *nibbles, size_t n, bool leaf);
/* Appends the reference to the node enc[0..len): itself when shorter than
 * 32 bytes, else the RLP string of its keccak. */
void trie_put_ref(buf_t *b, const uint8_t *enc, size_t len);
/* The nibbles of a 32-byte key. */
void trie_key_nibbles(const uint8_t key[32], uint8_t out[TRIE_NIBBLES]);

#endif
