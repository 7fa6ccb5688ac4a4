/* Roots of a block's ordered lists, computed with the trie. */
#ifndef PAREVM_BLOCK_ROOTS_H
#define PAREVM_BLOCK_ROOTS_H

#include "block_exec.h"
#include "pool.h"

bytes32 block_receipts_root(const block_result *r);
bytes32 block_tx_root(const block *b);
bytes32 block_withdrawals_root(const block *b);
/* The same, the trie's subtries built on pool (the caller's to use for the
 * call; NULL: on the caller's thread), for blocks of many transactions. */
bytes32 block_receipts_root_pool(const block_result *r, task_pool *pool);
bytes32 block_tx_root_pool(const block *b, task_pool *pool);

#endif
