/* A BlockchainTests fixture's genesis in a store (chaintest, enginetest). */
#ifndef PAREVM_CLI_FIXTURE_STORE_H
#define PAREVM_CLI_FIXTURE_STORE_H

#include <jansson.h>
#include "parevm/chain_import.h"

/* Writes a BlockchainTests fixture's genesis (its "pre" and
 * "genesisBlockHeader", as a geth genesis object with cfg's configuration
 * exactly) into the empty store d, and checks the hash against
 * genesisBlockHeader.hash. Returns NULL with the genesis header in *out, or
 * why not (a constant or err). */
const char *fixture_init_store(db *d, json_t *t, const chain_config *cfg, block_header *out, char *err,
                               size_t errlen);
/* The chain configuration of the test's "network" (a fixture network
 * name); false after a FAIL line when it has none or an unknown one. */
struct fixture_run;
bool fixture_network(struct fixture_run *fr, const char *file, const char *name, json_t *t, chain_config *cfg);
/* Removes a store's folder (its two LMDB files and the folder itself). */
void fixture_remove_store(const char *dir);

#endif
