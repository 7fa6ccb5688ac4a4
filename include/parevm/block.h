/* Block headers and blocks: the structures, their strict RLP decoding and
 * canonical encoding, the header hash and the Ethash seal check (the block
 * layer, src/block).
 * Header validation against the chain configuration is in chain.h. */
#ifndef PAREVM_BLOCK_H
#define PAREVM_BLOCK_H

#include "tx.h"

/* The longest extra data a header keeps whole: a genesis may carry more
 * than 32 bytes (a clique genesis: 32 of vanity, 20 per signer, 65 of
 * seal), and geth takes any length there. */
#define HEADER_EXTRA_MAX 256

typedef struct {
    bytes32 parent_hash;
    bytes32 ommers_hash;
    address coinbase;
    bytes32 state_root;
    bytes32 tx_root;
    bytes32 receipts_root;
    uint8_t bloom[256];
    u256 difficulty;
    uint64_t number;
    uint64_t gas_limit;
    uint64_t gas_used;
    uint64_t timestamp;
    uint8_t extra_data[HEADER_EXTRA_MAX]; /* consensus allows 32 after genesis; longer
                                             headers are kept for rejection */
    size_t extra_len;        /* the real length (past HEADER_EXTRA_MAX only that much kept) */
    bytes32 mix_hash;        /* prevrandao after the Merge */
    uint64_t nonce;          /* 8-byte big-endian PoW nonce */
    /* optional fields, by fork */
    bool has_base_fee;       /* London */
    u256 base_fee;
    bool has_withdrawals_root; /* Shanghai */
    bytes32 withdrawals_root;
    bool has_blob_gas;       /* Cancun: blob_gas_used, excess_blob_gas */
    uint64_t blob_gas_used, excess_blob_gas;
    bool has_beacon_root;    /* Cancun (EIP-4788) */
    bytes32 parent_beacon_root;
    bool has_requests_hash;  /* Prague (EIP-7685) */
    bytes32 requests_hash;
    bytes32 hash;            /* keccak of the RLP encoding */
} block_header;

typedef struct {
    uint64_t index, validator;
    address addr;
    uint64_t amount_gwei;
} withdrawal;

typedef struct {
    block_header header;
    transaction *txs;
    size_t n_txs;
    block_header *ommers;
    size_t n_ommers;
    bool has_withdrawals;
    withdrawal *withdrawals;
    size_t n_withdrawals;
} block;

/* Decodes a header from its RLP list (strict; optional trailing fields in
 * order). Computes hash. err gets a reason on failure. */
bool header_decode(const uint8_t *rlp, size_t len, block_header *out, char *err, size_t errlen);
/* Appends the canonical RLP of h (the optional fields that h has). A decoded
 * header re-encodes byte-identically, except one whose extra data exceeded
 * the 64 bytes kept (invalid in every fork): only those 64 are written. */
void header_encode(const block_header *h, buf_t *out);

/* Ethash's seal hash (geth's SealHash): keccak256 of the RLP list of the
 * header's fields without mixHash and nonce, i.e. the 13 fields before them
 * and then baseFeePerGas when h has one (London to the Merge). The later
 * optional fields exist only after the Merge, when nothing is sealed; they
 * are left out. */
bytes32 header_seal_hash(const block_header *h);
/* Checks h's Ethash seal (mixHash and nonce over header_seal_hash) with the
 * cache of its epoch (ethash.h): NULL when valid, else ethash_verify's
 * static reason ("invalid mix digest", "invalid proof-of-work", ...). Not
 * part of header validation (chain.h): the caller decides when to call it. */
typedef struct ethash_cache ethash_cache;
const char *header_verify_seal(const ethash_cache *c, const block_header *h);

/* Decodes a whole block rlp([header, txs, ommers(, withdrawals)]). Typed
 * transactions appear as RLP strings holding the envelope. Senders are not
 * recovered. On success free with block_free(). */
bool block_decode(const uint8_t *rlp, size_t len, block *out, char *err, size_t errlen);
void block_free(block *b);
/* Appends the canonical RLP of b (typed transactions wrapped as strings); a
 * decoded block re-encodes byte-identically (see header_encode). */
void block_encode(const block *b, buf_t *out);

#endif
