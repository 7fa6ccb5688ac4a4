/* JSON forms of eth_getProof (EIP-1186) and debug_executionWitness, for the
 * node's method handlers: the storage-key parameter as geth parses it, and
 * the result objects as geth (proofs) and reth (witnesses) write them. */
#ifndef PAREVM_RPC_PROOF_H
#define PAREVM_RPC_PROOF_H

#include <jansson.h>
#include "db_proof.h"

/* eth_getProof's storage keys: an array of hex strings of at most 32 bytes
 * (optional 0x, an odd digit count padded, shorter keys left-padded, as
 * geth's decodeHash). full[i] says whether key i had 32 bytes: geth echoes
 * such keys as 32-byte data, the others as quantities. */
typedef struct {
    u256 *keys;
    bool *full;
    size_t n;
} rpc_proof_keys;

/* eth_getProof's keys: at most 1024 (geth's limit), each at most 32 bytes
 * of hex. Returns NULL or a reason (for rpc_error_invalid_param); on
 * failure out is empty. Free with rpc_proof_keys_free. */
const char *rpc_parse_proof_keys(const json_t *v, rpc_proof_keys *out);
void rpc_proof_keys_free(rpc_proof_keys *k);
/* reth's eth_getMultiProof keys: each exactly 32 bytes of hex (a B256),
 * echoed as such (full). Same contract as rpc_parse_proof_keys. */
const char *rpc_parse_proof_hashes(const json_t *v, rpc_proof_keys *out);

/* The EIP-1186 result: address, accountProof, balance, codeHash, nonce,
 * storageHash, storageProof [{key, value, proof}]. An absent account has
 * zero codeHash and storageHash (geth since 1.13.4). p must have been made
 * with keys->keys, in order. */
json_t *rpc_json_proof(const address *addr, const db_proof *p, const rpc_proof_keys *keys);

/* {"state", "codes", "keys", "headers"}: arrays of hex data. */
json_t *rpc_json_witness(const execution_witness *w);
/* The inverse: reads such an object into *out (free it with
 * execution_witness_free); "keys" may be absent or null. Also accepted:
 * geth's form, whose headers are JSON objects with eth_getBlockByNumber's
 * field names (absent or null optional fields; a "hash" given must be the
 * hash of the fields, or the witness is refused), and older reth's, whose
 * state, codes and keys are objects mapping hashes to entries. Returns
 * false with a reason naming the field in err (out then holds nothing). */
bool rpc_parse_witness(const json_t *v, execution_witness *out, char *err, size_t errlen);

#endif
