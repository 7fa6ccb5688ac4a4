/* Helpers shared by the chain sources; not part of the public contracts in
 * chain.h. */
#ifndef PAREVM_CHAIN_INTERNAL_H
#define PAREVM_CHAIN_INTERNAL_H

#include "parevm/chain.h"
#include "block/block_internal.h" /* chain_fail */

/* chain_difficulty without saturation: false when the exact difficulty does
 * not fit 256 bits (no header can then carry it). */
bool chain_difficulty_exact(const chain_config *c, uint64_t number, uint64_t timestamp,
                            const u256 *parent_difficulty, uint64_t parent_timestamp,
                            bool parent_has_ommers, u256 *out);

#endif
