/* Merkle proofs over the state's secure tries (keys are 32-byte hashes),
 * and the trie operations a stateless client needs.
 *
 *   - trie_walk follows a key from a root through nodes that a getter hands
 *     out by hash: a lookup in a proof, a witness, or a store.
 *   - trie_prover rebuilds the nodes of a trie from a node store
 *     (trie_store.h: the leaves plus the persisted branch records) along a
 *     path, at a cost proportional to the path, not to the trie: a recorded
 *     branch gives its hashed children, and a branch whose children are all
 *     leaves (not recorded) is rebuilt from its few leaves. It gives
 *     EIP-1186 proofs (eth_getProof) and single nodes.
 *   - trie_overlay is a node store that shows a base store with some leaves
 *     and branch records replaced (e.g. the store's tries at an older block:
 *     the leaves as they were, and the records the root engine computes for
 *     them without writing).
 *   - trie_sparse_root updates a partially known trie (geth's and reth's
 *     "sparse" trie): only the nodes on the changed paths, plus a sibling
 *     where a deletion collapses a branch, are opened.
 *
 * Proof form (EIP-1186, as geth returns it): the encodings of the nodes on
 * the key's path, root first; a node shorter than 32 bytes is embedded in
 * its parent and not listed, except a root, which is always listed. For an
 * absent key the list ends at the node that shows the absence: a branch
 * without the key's child, a leaf with another key, or an extension that
 * diverges from the key. An empty trie has an empty proof. */
#ifndef PAREVM_TRIE_PROOF_H
#define PAREVM_TRIE_PROOF_H

#include "byte_list.h"
#include "trie_engine.h"

/* How a walk gets the node that its parent references by hash: the node at
 * path[0..len) (nibbles from the root; len 0: the root) whose keccak is
 * *hash. Fills *out (valid until the next call) and returns NULL, or returns
 * a reason (the node is unknown, a store error). A getter that does not
 * index by hash must check the hash itself. */
typedef const char *(*trie_node_get)(void *ctx, const uint8_t *path, size_t len, const bytes32 *hash,
                                     byte_span *out);

/* Looks up key in the trie whose root hash is *root. *found says whether it
 * is there; *value is its leaf value (valid until the next get call).
 * Returns NULL, or a reason: the getter failed, or a node is malformed. */
const char *trie_walk(const bytes32 *root, const bytes32 *key, trie_node_get get, void *ctx, bool *found,
                      byte_span *value);

/* ---- Nodes from a store ---------------------------------------------------- */

/* One reader of a store; one thread at a time. The store must be consistent
 * (its records exactly those of the trie its leaves define), as the root
 * engine leaves it. */
typedef struct trie_prover trie_prover;

const char *trie_prover_open(const trie_store *store, trie_prover **out);
void trie_prover_close(trie_prover *p);

/* The encoding of the node at path[0..len) of owner's trie (NULL: the account
 * trie): the leaf, extension or branch that hangs from its parent's child
 * slot at that path (len 0: the root node). *out is empty ({NULL, 0}) when
 * no key lies under the path; it is valid until the next call. */
const char *trie_prover_node(trie_prover *p, const bytes32 *owner, const uint8_t *path, size_t len,
                             byte_span *out);
/* The root hash of owner's trie (EMPTY_TRIE_ROOT when empty). */
const char *trie_prover_root(trie_prover *p, const bytes32 *owner, bytes32 *root);
/* The proof of key (appended to *proof; see above), whether it is present,
 * and its leaf value (appended to *value when present). */
const char *trie_prover_prove(trie_prover *p, const bytes32 *owner, const bytes32 *key, byte_list *proof,
                              bool *found, buf_t *value);

/* ---- An overlay store ----------------------------------------------------- */

typedef struct trie_overlay trie_overlay;

/* An overlay of base (which must outlive it); the overlay's readers open one
 * base reader each. */
trie_overlay *trie_overlay_new(const trie_store *base);
void trie_overlay_free(trie_overlay *o);
/* Sets (len > 0) or deletes (len == 0) a leaf of owner's trie (NULL: the
 * account trie); a later write of the same key wins. */
void trie_overlay_set_leaf(trie_overlay *o, const bytes32 *owner, const bytes32 *key, const uint8_t *val,
                           size_t len);
/* Empties owner's storage trie (a self-destruct, a re-creation): the
 * base's leaves and records of owner, and those set here before, are
 * hidden; later writes show. */
void trie_overlay_wipe(trie_overlay *o, const bytes32 *owner);
/* Applies branch-record writes (the root engine's output). */
void trie_overlay_apply(trie_overlay *o, const trie_updates *u);
/* The same without copying the records: u must stay unchanged as long as
 * the overlay lives. */
void trie_overlay_apply_shared(trie_overlay *o, const trie_updates *u);
/* Applies everything src holds (leaves, deletions, wipes, records), in its
 * order, after what o holds: as if src's writes had been made on o. Values
 * are not copied: src must outlive o and stay unchanged. A src whose store
 * was made (sorted) holds one entry per key, the last write. */
void trie_overlay_apply_overlay(trie_overlay *o, const trie_overlay *src);
/* Makes room for applying src[0..n) with trie_overlay_apply_overlay, so
 * that a chain of overlays grows o's tables once. */
void trie_overlay_reserve(trie_overlay *o, const trie_overlay *const *src, size_t n);
/* The store; call after the last modification (further modifications need
 * another call before reading). Readers may then run on several threads. */
trie_store trie_overlay_store(trie_overlay *o);

/* ---- Partial tries ----------------------------------------------------------- */

/* The root of the trie *root with changes applied (new values; val_len 0:
 * delete; keys distinct), opening nodes through get as the updates need
 * them: the nodes on the changed keys' paths, and the remaining child of a
 * branch that a deletion leaves with one child. Insertions and updates are
 * applied before deletions (as geth does), which opens fewest nodes.
 * Returns NULL or a reason (a node the getter lacks, a malformed node). */
const char *trie_sparse_root(const bytes32 *root, const trie_change *changes, size_t n, trie_node_get get,
                             void *ctx, bytes32 *new_root);
/* The same, with the deletions applied first when deletions_first: the
 * same root, but a deletion then opens the sibling that a later insertion
 * would have kept from collapsing (what reth's "legacy" witnesses hold,
 * for consumers that apply changes in another order). */
const char *trie_sparse_root_order(const bytes32 *root, const trie_change *changes, size_t n, trie_node_get get,
                                   void *ctx, bool deletions_first, bytes32 *new_root);

#endif
