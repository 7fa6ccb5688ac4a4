/* Loading a mainnet block fixture folder (block.json as eth_getBlockByNumber
 * returns it with full transactions, pre_state.json, block_hashes.json) into
 * a block and an in-memory pre-state. Senders are recovered from the
 * signatures, never taken from the "from" field (which is only checked). */
#ifndef PAREVM_CLI_MAINNET_FIXTURE_H
#define PAREVM_CLI_MAINNET_FIXTURE_H

#include <jansson.h>
#include "parevm/block.h"
#include "parevm/state.h"

typedef struct {
    uint64_t number;
    block blk;
    mem_state *pre;   /* the accounts the block touches */
    char path[512];
} mainnet_block;

/* Loads folder dir. On failure writes a reason naming the file and field. */
bool mainnet_block_load(const char *dir, mainnet_block *out, char *err, size_t errlen);
void mainnet_block_free(mainnet_block *mb);

/* A transaction as eth_getBlockByNumber writes it (geth's transaction JSON,
 * also t8n's input): type, chainId, nonce, gas, gas prices, value, input
 * ("data" too), to (absent or null: a creation), accessList,
 * blobVersionedHashes, authorizationList, v (or yParity) r s. Legacy
 * transactions take their chain id from an EIP-155 v. unsigned_ok: the
 * signature may be absent (all zero). On failure err names the field; free
 * tx with tx_free either way. */
bool json_load_rpc_tx(json_t *t, transaction *tx, bool unsigned_ok, char *err, size_t n);

/* Recovers every sender (homestead: EIP-2 low-s rule). Fails naming the
 * transaction whose signature does not recover or whose sender differs from
 * the fixture's "from". */
bool mainnet_block_recover_senders(mainnet_block *mb, bool homestead, char *err, size_t errlen);

#endif
