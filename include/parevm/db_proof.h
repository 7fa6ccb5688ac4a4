/* Proofs and execution witnesses from the store (db.h).
 *
 * The store keeps the tries as branch records plus the hashed state
 * (trie_store.h); the nodes on a path are rebuilt from them (trie_proof.h).
 * For an older block N, or while the trie lags behind the head, the tries
 * at N are computed without writing: the keys changed after N (and after
 * the trie's block) get their values at N from the change sets, the root
 * engine computes the branch records they imply, and an overlay store
 * shows those over the stored ones. The cost is proportional to the path
 * and to the changes since N, not to the state.
 *
 * Threads: like other snapshot reads; a call holds one of the snapshot's
 * lanes for its duration. */
#ifndef PAREVM_DB_PROOF_H
#define PAREVM_DB_PROOF_H

#include "db.h"
#include "state_recorder.h"
#include "witness.h"

typedef struct {
    u256 key;
    u256 value;        /* zero when absent */
    byte_list proof;   /* storage trie nodes, root first (empty: empty storage) */
} db_slot_proof;

/* EIP-1186 (eth_getProof): an account and some of its slots, proven
 * against the state root of the snapshot's block. */
typedef struct {
    uint64_t number;          /* the block whose state is proven */
    bytes32 state_root;       /* its state root */
    bool exists;
    account_info info;        /* zero balance and nonce, EMPTY_CODE_HASH when absent */
    bytes32 storage_root;     /* EMPTY_TRIE_ROOT when absent */
    byte_list account_proof;  /* account trie nodes, root first */
    db_slot_proof *slots;     /* one per requested key, in order */
    size_t n_slots;
} db_proof;

/* Proves addr and slots[0..n) at the block of s (db_snapshot_open: the
 * head; db_snapshot_at: any retained block). Values come from the trie
 * leaves the proofs end in. out is owned by the caller: free it with
 * db_proof_free (also after an error). Returns NULL or a reason. */
const char *db_get_proof(db_snapshot *s, const address *addr, const u256 *slots, size_t n, db_proof *out);
/* The same for the state after a child of the snapshot's block that is not
 * in the store (a pending block): changes is its change set, applied in
 * order as db_commit_block takes it (NULL: db_get_proof). The proofs are
 * against the child's state root (out->state_root); out->number is still
 * the snapshot's block. */
const char *db_get_proof_after(db_snapshot *s, const change_set *changes, const address *addr, const u256 *slots,
                               size_t n, db_proof *out);
/* Several accounts (and their slots) at once, proven on tries opened once:
 * out[0..n) as db_get_proof_after's (free each with db_proof_free, also
 * after an error). */
typedef struct {
    address addr;
    const u256 *slots;
    size_t n_slots;
} db_proof_target;
const char *db_get_proofs_after(db_snapshot *s, const change_set *changes, const db_proof_target *targets, size_t n,
                                db_proof *out);
void db_proof_free(db_proof *p);

/* The state root after the snapshot's block, from the tries (for a
 * historical snapshot: computed from the change sets as above). */
const char *db_state_root_at(db_snapshot *s, bytes32 *root);

/* The execution witness of block number (<= head + 1; its parent's state
 * must be retained) from what executing it read and changed: reads is a
 * recorder that wrapped the parent's state (db_snapshot_at(number - 1))
 * during execution (NULL: nothing read); changes is the block's change set,
 * applied in order as db_commit_block takes it (NULL: none). Fills out
 * (caller frees with execution_witness_free, also after an error): the
 * pre-state nodes on the path of every account and slot read or changed
 * and those that computing the post-state root opens, the codes read, the
 * keys' preimages (read first, then changed), the headers from the oldest
 * whose hash was read (else the parent) up to the parent. post_root (may be
 * NULL) gets the state root after the changes, computed from the witness
 * alone: the caller compares it with the block's header. mids[0..n_mids)
 * (NULL: none) are a pre-Byzantium block's changes so far after each of its
 * transactions, whose roots its receipts hold: the nodes those roots open
 * are added (an account created and gone again within the block is in none
 * of the block's changes but in some of these). */
const char *db_execution_witness(db *d, uint64_t number, const state_recorder *reads, const change_set *changes,
                                 const change_set *mids, size_t n_mids, execution_witness *out, bytes32 *post_root);
/* The same; with both_orders the nodes that applying the changes with
 * deletions first opens are added (reth's "legacy" witness: for consumers
 * that apply changes in another order than geth's insertions first). */
const char *db_execution_witness_mode(db *d, uint64_t number, const state_recorder *reads, const change_set *changes,
                                      const change_set *mids, size_t n_mids, bool both_orders, execution_witness *out,
                                      bytes32 *post_root);
/* The state root after block number - 1's state with changes applied, as
 * db_execution_witness computes it, read on s's commit: the same commit as
 * the caller's other reads through s, whatever was written since (s from
 * db_snapshot_open or db_snapshot_at; block number - 1 at most its head,
 * with the change sets back to it kept). Nothing is written. */
const char *db_state_root_after(db_snapshot *s, uint64_t number, const change_set *changes, bytes32 *root);

#endif
