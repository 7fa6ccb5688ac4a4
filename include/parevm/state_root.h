/* The Merkle-Patricia state root of a complete in-memory state: the secure
 * trie of RLP([nonce, balance, storage_root, code_hash]) per account, with
 * each account's storage root the secure trie of RLP(value) per slot. */
#ifndef PAREVM_STATE_ROOT_H
#define PAREVM_STATE_ROOT_H

#include "state.h"

bytes32 mem_state_root(mem_state *s);
/* Storage root of one account of s (EMPTY_TRIE_ROOT if none). */
bytes32 mem_state_storage_root(mem_state *s, const address *addr);

#endif
