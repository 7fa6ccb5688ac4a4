/* Helpers shared by the block executor's sources; not part of the public
 * contracts in block_exec.h. */
#ifndef PAREVM_BLOCK_INTERNAL_H
#define PAREVM_BLOCK_INTERNAL_H

#include "parevm/block_exec.h"

/* A system call from SYSTEM_ADDRESS (0xff..fe) to target with 30,000,000
 * gas, its changes applied to state. The output stays valid until the
 * executor runs again. */
evm_result block_system_call(executor *ex, const block_env *env, block_state *state, const address *target,
                             const uint8_t *data, size_t len);

/* The requests of a Prague-or-later block (block_finish's last step): fills
 * out->requests and out->requests_hash. Returns NULL or why the block is
 * invalid. */
const char *block_collect_requests(executor *ex, const block_rules *rules, const block *b, block_state *state,
                                   block_result *out);

#endif
