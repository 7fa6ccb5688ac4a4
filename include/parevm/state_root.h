/* The Merkle-Patricia state root of a complete in-memory state: the secure
 * trie of RLP([nonce, balance, storage_root, code_hash]) per account, with
 * each account's storage root the secure trie of RLP(value) per slot. */
#ifndef PAREVM_STATE_ROOT_H
#define PAREVM_STATE_ROOT_H

#include "block_state.h"

bytes32 mem_state_root(mem_state *s);
/* The root of the mem_state base with the block's changes so far applied
 * (on a copy: base is not modified). Usable as block_rules.state_root,
 * with the block_state's base as state_root_ctx. */
bytes32 mem_state_root_after(void *base, const block_state *changes);
/* Storage root of one account of s (EMPTY_TRIE_ROOT if none). */
bytes32 mem_state_storage_root(mem_state *s, const address *addr);

#endif
