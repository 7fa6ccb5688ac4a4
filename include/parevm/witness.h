/* Execution witnesses and the stateless state they define.
 *
 * An execution witness (debug_executionWitness, as reth and geth give it)
 * holds what a client without the state needs to re-execute a block and
 * check its post-state root: the trie nodes of the pre-state on the path of
 * every account and slot the block reads or writes (plus the nodes that
 * recomputing the root opens, such as the sibling a deletion merges up),
 * the codes it runs, the preimages of the keys, and the headers from the
 * oldest one BLOCKHASH reads up to the parent (whose state root is the
 * pre-state root).
 *
 * witness_state is that stateless state: a state_view over the pre-state
 * served from the witness's nodes and codes only, to which the block's
 * change sets are applied in order (so that the next transaction sees the
 * previous ones), and whose post-state root is computed from the nodes
 * (trie_sparse_root). Reading something the witness lacks records an error
 * (witness_state_error) and reads as absent: the witness was incomplete.
 *
 * In "fetch" mode (witness_state_set_fetch) a missing node is fetched from
 * elsewhere (the store) and added to the node set instead: replaying a
 * block's reads and changes on such a state collects exactly the nodes its
 * witness needs (db_execution_witness does this). */
#ifndef PAREVM_WITNESS_H
#define PAREVM_WITNESS_H

#include "block.h"
#include "byte_list.h"
#include "state.h"

/* ---- A set of trie nodes, by hash --------------------------------------------- */

typedef struct trie_nodes trie_nodes;

trie_nodes *trie_nodes_new(void);
void trie_nodes_free(trie_nodes *s);
/* Adds a copy of enc (if not there yet); returns its keccak. */
bytes32 trie_nodes_add(trie_nodes *s, const uint8_t *enc, size_t len);
/* The node whose hash is *hash (valid until the next add). */
bool trie_nodes_get(const trie_nodes *s, const bytes32 *hash, byte_span *out);
/* The nodes in the order they were added (valid until the next add). */
size_t trie_nodes_count(const trie_nodes *s);
byte_span trie_nodes_at(const trie_nodes *s, size_t i);

/* ---- The witness ------------------------------------------------------------- */

typedef struct {
    byte_list state;   /* trie node encodings (account and storage tries) */
    byte_list codes;   /* contract codes */
    byte_list keys;    /* preimages: addresses (20 bytes), each followed by its slots (32) */
    byte_list headers; /* RLP headers, ascending, the parent last */
} execution_witness;

void execution_witness_free(execution_witness *w);

/* ---- The stateless state ------------------------------------------------------- */

typedef struct witness_state witness_state;

/* A state over the pre-state root *state_root whose trie nodes come from
 * nodes (not owned; fetched nodes are added to it) and whose codes are
 * looked up in codes (by hash; new codes of applied change sets are
 * interned there). Free with witness_state_free. */
witness_state *witness_state_new(const bytes32 *state_root, trie_nodes *nodes, code_store *codes);
void witness_state_free(witness_state *w);

/* The stateless client's entry: checks that the headers form a chain
 * (numbers consecutive, each parent hash the previous header's hash) and
 * builds a state over the last header's state root with the witness's nodes
 * (copied into *nodes, which the caller creates and frees after the state)
 * and codes (interned in codes); block hashes come from the headers.
 * *parent gets the last header: the block to execute must be its child.
 * Returns NULL or why the witness is unusable. */
const char *witness_state_from(const execution_witness *wit, trie_nodes *nodes, code_store *codes,
                               witness_state **out, block_header *parent);

/* Fetch mode: a node missing from the set is fetched: fn appends the
 * encoding of the node at path[0..len) of owner's trie (NULL: the account
 * trie) to out, and the state checks its hash. */
typedef const char *(*witness_fetch_fn)(void *ctx, const bytes32 *owner, const uint8_t *path, size_t len,
                                        const bytes32 *hash, buf_t *out);
void witness_state_set_fetch(witness_state *w, witness_fetch_fn fn, void *ctx);
/* witness_state_root applies deletions before insertions (off by default:
 * insertions first, as geth); same root, other nodes opened
 * (trie_sparse_root_order). */
void witness_state_set_deletions_first(witness_state *w, bool on);
/* The hash of block number as BLOCKHASH sees it. */
void witness_state_set_block_hash(witness_state *w, uint64_t number, const bytes32 *hash);

/* The state as a state_view (thread-safe: reads are serialised). */
state_view witness_state_view(witness_state *w);
/* Applies a change set (semantics of mem_state_apply: entries in order;
 * deletion and creation clear storage; balance, delta, nonce, code, slots). */
void witness_state_apply(witness_state *w, const change_set *cs);
/* The state root after the changes applied so far. Returns NULL or a
 * reason (a node missing from the witness, a malformed node). */
const char *witness_state_root(witness_state *w, bytes32 *root);
/* The first error met by a read (a missing node or code, a malformed
 * node or account), or NULL. */
const char *witness_state_error(witness_state *w);
/* The hash of the first trie node or code found missing (by a read or a
 * root); false if none was. */
bool witness_state_missing(witness_state *w, bytes32 *hash);

#endif
