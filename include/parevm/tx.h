/* Transactions: the four types (legacy, EIP-2930, EIP-1559, EIP-4844), their
 * strict RLP decoding, hashing, signing and sender recovery, intrinsic gas and
 * the fork-level static validity checks. State-dependent checks (nonce,
 * balance, sender code) belong to the executor (exec.h). The structure and
 * its codec (decode, encode, hashes) are the block layer's (src/block/tx.c);
 * signing, sender recovery and the validity rules are exec's (tx_sign.c,
 * tx_rules.c). */
#ifndef PAREVM_TX_H
#define PAREVM_TX_H

#include "fork.h"
#include "buf.h"
#include "u256.h"

enum { TX_LEGACY = 0, TX_ACCESS_LIST = 1, TX_DYNAMIC_FEE = 2, TX_BLOB = 3 };

typedef struct {
    address addr;
    bytes32 *keys;
    size_t n_keys;
} access_entry;

typedef struct {
    uint8_t type;
    bool has_chain_id;      /* typed txs always; legacy only if EIP-155 signed */
    uint64_t chain_id;
    uint64_t nonce;
    u256 gas_price;         /* legacy and EIP-2930 */
    u256 max_priority_fee;  /* EIP-1559 and EIP-4844 */
    u256 max_fee;           /* EIP-1559 and EIP-4844 */
    uint64_t gas_limit;
    bool has_to;            /* false: contract creation */
    address to;
    u256 value;
    uint8_t *data;
    size_t data_len;
    access_entry *access_list;
    size_t access_list_len;
    u256 max_fee_per_blob_gas; /* EIP-4844 */
    bytes32 *blob_hashes;
    size_t n_blob_hashes;
    u256 v, r, s;           /* v is the raw legacy v, or the y parity */
    bytes32 hash;           /* keccak of the canonical encoding */
    address sender;
    bool sender_known;
} transaction;

/* Decodes a transaction from its canonical network form: an RLP list for a
 * legacy transaction, or type byte || RLP payload for a typed one. Strict:
 * rejects non-canonical RLP, wrong item counts, oversize integers, unknown
 * types. On failure returns false and writes a message into err (if given).
 * On success out owns heap buffers: release with tx_free(). Computes hash. */
bool tx_decode(const uint8_t *raw, size_t len, transaction *out, char *err, size_t errlen);
void tx_free(transaction *tx);

/* Appends the canonical network encoding (as tx_decode accepts). */
void tx_encode(const transaction *tx, buf_t *out);

/* Hash that the sender signs (EIP-155 for legacy with chain id). */
bytes32 tx_signing_hash(const transaction *tx);

/* Recovers the sender from the signature. Fails on r/s out of range,
 * invalid v, or an unrecoverable signature; with homestead=true also on
 * s > secp256k1n/2 (EIP-2). Sets tx->sender and tx->sender_known. */
bool tx_recover_sender(transaction *tx, bool homestead);

/* Signs tx with a 32-byte secret key: sets v/r/s (EIP-155 v for legacy with
 * has_chain_id), the hash and the sender. For tests and benchmarks. */
bool tx_sign(transaction *tx, const uint8_t seckey[32]);

/* The address of the account a 32-byte secret key controls. */
bool tx_address_of_key(const uint8_t seckey[32], address *out);

/* Intrinsic gas: 21000 (53000 for creations from Homestead), calldata bytes
 * (68/4 before Istanbul, 16/4 after), access list entries (EIP-2930), and
 * the EIP-3860 initcode word cost from Shanghai. */
uint64_t tx_intrinsic_gas(const transaction *tx, fork_id fork);

/* EIP-7623 (Prague on): the least gas a transaction is charged, 21000 + 10
 * per calldata token (zero byte = 1 token, non-zero = 4); 0 before Prague.
 * The gas limit must cover it, and gas used is raised to it after execution. */
uint64_t tx_floor_gas(const transaction *tx, fork_id fork);

/* Fork-level validity without state: the type exists in the fork, chain id
 * rules, signature value ranges, gas limit >= intrinsic gas, nonce < 2^64-1
 * (EIP-2681), initcode size (EIP-3860), gas limit * fee fits 256 bits, blob
 * rules (to present, at least one versioned hash with version byte 0x01, at
 * most 6 blobs, 9 from Prague). Returns NULL when
 * valid, else a static string naming the rule (e.g. "intrinsic gas too low").
 * Rejection reasons are stable identifiers: src/cli/exceptions.c maps the
 * test fixtures' exception names to them, so a new or reworded reason needs
 * its row there. */
const char *tx_check_static(const transaction *tx, fork_id fork, uint64_t chain_id);

#endif
