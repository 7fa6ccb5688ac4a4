/* The bridge from the chain configuration to block execution: everything
 * block_execute needs to know about one block's place in the chain (fork,
 * chain id, rewards, the DAO change, blob parameters, the deposit contract).
 * A header of its own because block_exec.h already includes chain.h. */
#ifndef PAREVM_CHAIN_RULES_H
#define PAREVM_CHAIN_RULES_H

#include "block_exec.h"
#include "chain.h"

/* The rules for block h under c. merged: as for chain_fork_at. state_root is
 * left NULL: the caller sets it if it can compute pre-Byzantium receipts'
 * intermediate roots. */
block_rules chain_block_rules(const chain_config *c, const block_header *h, bool merged);

#endif
