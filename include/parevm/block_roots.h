/* Roots of a block's ordered lists, computed with the trie. */
#ifndef PAREVM_BLOCK_ROOTS_H
#define PAREVM_BLOCK_ROOTS_H

#include "block_exec.h"

bytes32 block_receipts_root(const block_result *r);
bytes32 block_tx_root(const block *b);
bytes32 block_withdrawals_root(const block *b);

#endif
