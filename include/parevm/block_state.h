/* block_state: the state a block executes on, whatever store holds the
 * state before it. It is a base state_view (a mem_state, an LMDB snapshot,
 * another block_state...) plus the changes the block has applied so far
 * (system calls, transactions, withdrawals, rewards), kept in hash maps; it
 * is itself a state_view that shows the base with those changes on top. The
 * base is never written: at the end of the block block_state_changes gives
 * the block's change set, and applying it is the store's job
 * (mem_state_apply for fixtures, db_commit_block for the LMDB store).
 *
 * Storage of an account that the block deletes or (re)creates counts as
 * empty from then on (the base's slots are hidden), as in the stores.
 *
 * Threads: the view may be read from any number of threads at once as long
 * as nobody applies changes meanwhile (Block-STM's workers read it while the
 * block's prefix is fixed); block_state_apply and block_state_reset are not
 * thread-safe. */
#ifndef PAREVM_BLOCK_STATE_H
#define PAREVM_BLOCK_STATE_H

#include "state.h"

typedef struct block_state block_state;

/* A block state over base; new code is interned in codes. Both must outlive
 * it. Free with block_state_free. */
block_state *block_state_new(state_view base, code_store *codes);
void block_state_free(block_state *s);
/* Forgets every change and takes a new base (keeps its memory for reuse). */
void block_state_reset(block_state *s, state_view base, code_store *codes);

/* A copy of s: its changes, base and code store (which must outlive the
 * copy too); the two change independently after. Free with
 * block_state_free. */
block_state *block_state_clone(const block_state *s);

/* Takes a new base that shows the same state as the old one (the store
 * after it committed the changes the old base held on top of it): the
 * changes applied so far are kept. */
void block_state_rebase(block_state *s, state_view base);

/* The state as a state_view (the base plus the changes applied so far). */
state_view block_state_view(block_state *s);

/* s's changes over another base that shows the same state as s's own (a
 * reader's own snapshot of the same block): many readers can share one
 * block_state of changes this way, each reading through its own base. The
 * view's context is *over (the caller's, filled here); it is valid while
 * over, s and base are, and s must not change meanwhile. */
typedef struct {
    const block_state *s;
    state_view base;
} block_state_over;
state_view block_state_view_over(block_state_over *over, const block_state *s, state_view base);
code_store *block_state_codes(block_state *s);
state_view block_state_base(const block_state *s);

/* Applies a transaction's (or system call's) change set, with the
 * semantics of mem_state_apply: entries in order; deletion; creation resets
 * storage; balance, balance delta, nonce, code; storage writes. Balance
 * deltas read the base balance of an account seen for the first time. */
void block_state_apply(block_state *s, const change_set *cs);

/* The net effect of everything applied since the last reset, as one change
 * set (out is cleared first): one entry per account whose state may have
 * changed, in the order accounts were first changed; absolute values, no
 * deltas. An account that exists at the end gets CHANGE_TOUCHED, its
 * balance and nonce, its code if it changed, CHANGE_CREATED (plus its code
 * and its non-zero slots) if its storage was reset during the block, else
 * every slot written (zeros included); an account of the base that does not
 * exist at the end gets CHANGE_DELETED. Applying it to the base (mem_state,
 * db_commit_block) gives the same state as applying every change set in
 * order. Code objects are those of the change sets (owned by the code
 * stores). */
void block_state_changes(const block_state *s, change_set *out);

/* Applies the net effect of bs (block_state_changes) to a mem_state,
 * normally bs's base. */
void mem_state_apply_block(mem_state *m, const block_state *bs);

/* Accounts with an entry (changed since the last reset). */
size_t block_state_accounts(const block_state *s);

#endif
