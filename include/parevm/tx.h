/* Transactions: the five types (legacy, EIP-2930, EIP-1559, EIP-4844,
 * EIP-7702), their strict RLP decoding, hashing, signing and sender recovery
 * (with EIP-7702 authorization tuples), intrinsic gas, the fork-level static
 * validity checks, and the network form of blob transactions (EIP-4844 and
 * the EIP-7594 cell-proof wrapper). State-dependent checks (nonce, balance,
 * sender code) belong to the executor (exec.h). The structure and its codec
 * (decode, encode, hashes) are the block layer's (src/block/tx.c); signing,
 * sender recovery and the validity rules are exec's (tx_sign.c, tx_rules.c). */
#ifndef PAREVM_TX_H
#define PAREVM_TX_H

#include "fork.h"
#include "buf.h"
#include "u256.h"

enum { TX_LEGACY = 0, TX_ACCESS_LIST = 1, TX_DYNAMIC_FEE = 2, TX_BLOB = 3, TX_SET_CODE = 4 };

/* EIP-7825 (Osaka): no transaction may ask for more gas than this. */
#define TX_MAX_GAS_LIMIT_OSAKA (1ULL << 24)
/* EIP-7594 (Osaka): blobs one transaction may carry, whatever the block's
 * blob schedule allows (the schedule's max is the per-block limit). */
#define TX_MAX_BLOBS_OSAKA 6

typedef struct {
    address addr;
    bytes32 *keys;
    size_t n_keys;
} access_entry;

/* What tx_auth_recover found out about an authorization's signature. */
enum { AUTH_UNKNOWN = 0, AUTH_VALID, AUTH_INVALID };

/* An EIP-7702 authorization tuple, rlp([chain_id, address, nonce, y_parity,
 * r, s]), signed over keccak(0x05 || rlp([chain_id, address, nonce])). The
 * field bounds are the decoder's (chain_id, r, s < 2^256, nonce < 2^64,
 * y_parity < 2^8); every other rule makes the tuple void at execution, not
 * the transaction invalid. */
typedef struct {
    u256 chain_id;          /* 0: any chain */
    address addr;           /* delegate to; the zero address clears the delegation */
    uint64_t nonce;
    uint8_t y_parity;
    u256 r, s;
    uint8_t status;         /* AUTH_*: set by tx_auth_recover (and tx_recover_sender) */
    address authority;      /* the signer, when status == AUTH_VALID */
} authorization;

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
    authorization *auths;   /* EIP-7702 */
    size_t n_auths;
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
 * s > secp256k1n/2 (EIP-2). Sets tx->sender and tx->sender_known. Also
 * recovers every authorization's authority (tx_auth_recover), so that the
 * executors, which may run a transaction more than once, find them done; a
 * bad authorization signature does not make the transaction fail here. */
bool tx_recover_sender(transaction *tx, bool homestead);

/* tx_recover_sender for a transaction whose sender a trusted source
 * recovered already from the same signed transaction (the node's pool,
 * found by tx->hash, which covers the signature): checks what
 * tx_recover_sender checks short of the recovery itself (v, r and s, EIP-2
 * with homestead), then takes sender and recovers the authorizations. */
bool tx_take_sender(transaction *tx, bool homestead, const address *sender);

/* Signs tx with a 32-byte secret key: sets v/r/s (EIP-155 v for legacy with
 * has_chain_id), the hash and the sender, and recovers the authorities of
 * its authorizations as they are. For tests and benchmarks. */
bool tx_sign(transaction *tx, const uint8_t seckey[32]);

/* ---- EIP-7702 authorizations ---- */

/* keccak256(0x05 || rlp([chain_id, address, nonce])): what the authority signs. */
bytes32 tx_auth_signing_hash(const authorization *a);
/* Recovers the authority under EIP-7702's rules: y_parity 0 or 1,
 * 0 < r < n, 0 < s <= n/2 and a recoverable signature. Sets a->status (and
 * a->authority when valid); returns whether it is valid. */
bool tx_auth_recover(authorization *a);
/* Signs a with a secret key (sets y_parity, r, s, authority). For tests. */
bool tx_auth_sign(authorization *a, const uint8_t seckey[32]);

/* The address of the account a 32-byte secret key controls. */
bool tx_address_of_key(const uint8_t seckey[32], address *out);

/* Intrinsic gas: 21000 (53000 for creations from Homestead), calldata bytes
 * (68/4 before Istanbul, 16/4 after), access list entries (EIP-2930), the
 * EIP-3860 initcode word cost from Shanghai, and 25000 per EIP-7702
 * authorization (PER_EMPTY_ACCOUNT_COST). */
uint64_t tx_intrinsic_gas(const transaction *tx, fork_id fork);

/* EIP-7623 (Prague on): the least gas a transaction is charged, 21000 + 10
 * per calldata token (zero byte = 1 token, non-zero = 4); 0 before Prague.
 * The gas limit must cover it, and gas used (after the refund) is raised to
 * it after execution (exec_transaction does). */
uint64_t tx_floor_gas(const transaction *tx, fork_id fork);

/* Blobs one transaction may carry in fork: 6 (Cancun), 9 (Prague: the
 * block's maximum, EIP-7691), TX_MAX_BLOBS_OSAKA from Osaka (EIP-7594, the
 * same for every blob-parameter-only fork); 0 before Cancun. */
size_t tx_max_blobs(fork_id fork);

/* Fork-level validity without state: the type exists in the fork, chain id
 * rules, signature value ranges, gas limit >= intrinsic gas and >= the
 * EIP-7623 floor, gas limit <= 2^24 from Osaka (EIP-7825), nonce < 2^64-1
 * (EIP-2681), initcode size (EIP-3860), gas limit * fee fits 256 bits, blob
 * rules (to present, at least one versioned hash with version byte 0x01, at
 * most tx_max_blobs(fork)), set-code rules (to present, a non-empty
 * authorization list). Returns NULL when valid, else a static string naming
 * the rule (e.g. "intrinsic gas too low").
 * Rejection reasons are stable identifiers: src/cli/exceptions.c maps the
 * test fixtures' exception names to them, so a new or reworded reason needs
 * its row there. */
const char *tx_check_static(const transaction *tx, fork_id fork, uint64_t chain_id);
/* tx_check_static under a chain's own contract size limit (evm_tx_context's
 * max_code_size: 0 EIP-170's, EVM_NO_CODE_SIZE_LIMIT none), which sets the
 * init code limit to twice it, and without the EIP-7825 gas cap when
 * no_gas_cap (chain_config's no_tx_gas_cap). Before Osaka a transaction may
 * carry as many blobs as the block's max_blob_gas allows (the chain's blob
 * schedule; 0: tx_max_blobs(fork)), as execution-specs has no per-transaction
 * count before EIP-7594. */
const char *tx_check_static_limit(const transaction *tx, fork_id fork, uint64_t chain_id, uint32_t max_code_size,
                                  bool no_gas_cap, uint64_t max_blob_gas);
/* The same rules for a call (eth_call, debug_traceCall: exec_call), as geth
 * skips them for its simulated messages: no signature (the sender is
 * given), no EIP-7825 gas cap and no EIP-2681 nonce rule. */
const char *tx_check_call_limit(const transaction *tx, fork_id fork, uint64_t chain_id, uint32_t max_code_size);

/* ---- Network form of blob transactions (transaction pool, eth wire) ---- */

#define TX_BLOB_SIZE 131072          /* bytes of one blob */
#define TX_KZG_BYTES 48              /* a KZG commitment or proof */
#define TX_CELLS_PER_EXT_BLOB 128    /* EIP-7594: cell proofs per blob */

/* A transaction in the form peers exchange. For a blob transaction that is
 * 0x03 || rlp([tx_payload_body, blobs, commitments, proofs]) (EIP-4844,
 * wrapper version 0, one proof per blob) or 0x03 || rlp([tx_payload_body,
 * wrapper_version = 1, blobs, commitments, cell_proofs]) (EIP-7594, 128 cell
 * proofs per blob); any other type has the same form as in a block. */
typedef struct {
    transaction tx;           /* the transaction as it goes into a block */
    bool has_sidecar;         /* a blob transaction with its blobs */
    uint8_t wrapper_version;  /* 0 or 1 */
    size_t n_blobs, n_commitments, n_proofs;
    const uint8_t **blobs;    /* TX_BLOB_SIZE bytes each, pointing into the input */
    const uint8_t **commitments; /* TX_KZG_BYTES each, into the input */
    const uint8_t **proofs;   /* TX_KZG_BYTES each, into the input */
} tx_network;

/* Decodes the network form, strictly: each blob exactly TX_BLOB_SIZE bytes,
 * each commitment and proof TX_KZG_BYTES, wrapper version 1 only in the
 * five-item form. The pointers stay valid while raw does; tx.hash is the
 * hash of the transaction without its sidecar. On failure returns false with
 * a message in err. Release with tx_network_free(). */
bool tx_decode_network(const uint8_t *raw, size_t len, tx_network *out, char *err, size_t errlen);
void tx_network_free(tx_network *n);

/* The sidecar's structure against its transaction (no proof is verified:
 * the pool checks them with parevm/kzg.h): as many blobs and commitments as versioned
 * hashes, one proof per blob (version 0) or TX_CELLS_PER_EXT_BLOB per blob
 * (version 1), each versioned hash = 0x01 || sha256(commitment)[1:], and the
 * wrapper version the fork gossips (0 before Osaka, 1 from Osaka). Returns
 * NULL when it holds, else the rule broken. */
const char *tx_network_check(const tx_network *n, fork_id fork);

#endif
