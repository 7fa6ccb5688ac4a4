/* Parameter codecs shared by every JSON-RPC method, strict like geth's:
 * quantities ("0x"-prefixed hex, no leading zeros, "0x0" for zero), data
 * (even-length hex), addresses and hashes (exact sizes), block tags, block
 * numbers and EIP-1898 block objects; call objects, state overrides and
 * block overrides as execution-apis defines them. And the encoders of
 * results: quantities without leading zeros, data and lower-case addresses.
 *
 * Scalar parsers return NULL on success or a static reason ("hex string
 * without 0x prefix"); wrap it with rpc_error_invalid_param (rpc.h) for the
 * -32602 error. Object parsers return bool and write the reason, with the
 * field that has it, into err. Encoders return a new reference and abort
 * only when out of memory. */
#ifndef PAREVM_RPC_CODEC_H
#define PAREVM_RPC_CODEC_H

#include <jansson.h>
#include "rpc.h"
#include "tx.h"

/* ---- Positional arguments ------------------------------------------------------- */

/* params[i], or NULL when it is missing or JSON null (an optional argument
 * left out). */
const json_t *rpc_arg(const json_t *params, size_t i);
/* Checks the argument count as geth does: fewer than `required` non-null
 * arguments -> "missing value for required argument N", more than `max` ->
 * "too many arguments, want at most N" (both -32602). Trailing nulls count
 * as missing. Returns false with err filled. */
bool rpc_check_args(const json_t *params, size_t required, size_t max, rpc_error *err);

/* ---- Scalars -------------------------------------------------------------------- */

const char *rpc_parse_u64(const json_t *v, uint64_t *out);   /* quantity <= 2^64-1 */
const char *rpc_parse_u256(const json_t *v, u256 *out);      /* quantity <= 2^256-1 */
/* Data: "0x" and an even number of hex digits ("0x" is empty). *out is
 * malloc'd (never NULL on success, even for length 0): caller frees. */
const char *rpc_parse_data(const json_t *v, uint8_t **out, size_t *len);
/* Data of exactly n bytes (2n hex digits). */
const char *rpc_parse_fixed(const json_t *v, uint8_t *out, size_t n);
const char *rpc_parse_address(const json_t *v, address *out);
const char *rpc_parse_hash(const json_t *v, bytes32 *out);
const char *rpc_parse_bool(const json_t *v, bool *out);

/* ---- Blocks --------------------------------------------------------------------- */

typedef enum {
    RPC_BLOCK_NUMBER,
    RPC_BLOCK_HASH,
    RPC_BLOCK_LATEST,
    RPC_BLOCK_EARLIEST,
    RPC_BLOCK_PENDING,
    RPC_BLOCK_SAFE,
    RPC_BLOCK_FINALIZED,
} rpc_block_kind;

typedef struct {
    rpc_block_kind kind;
    uint64_t number;        /* RPC_BLOCK_NUMBER */
    bytes32 hash;           /* RPC_BLOCK_HASH */
    bool require_canonical; /* RPC_BLOCK_HASH (EIP-1898) */
} rpc_block_ref;

/* A block tag ("latest", "earliest", "pending", "safe", "finalized") or a
 * block number quantity up to 2^63-1 (eth_getBlockByNumber, eth_feeHistory). */
const char *rpc_parse_block_number(const json_t *v, rpc_block_ref *out);
/* Everything rpc_parse_block_number takes, a 32-byte block hash string, and
 * the EIP-1898 objects {"blockNumber": tag-or-number} and {"blockHash": hash,
 * "requireCanonical": bool} (one of the two keys, not both). A NULL v (the
 * argument left out) is "latest". */
const char *rpc_parse_block_ref(const json_t *v, rpc_block_ref *out);

/* ---- Call objects (eth_call, eth_estimateGas, eth_createAccessList...) ------------- */

/* An EIP-7702 authorization tuple as JSON gives it. */
typedef struct {
    u256 chain_id;
    address addr;
    uint64_t nonce;
    uint64_t y_parity;
    u256 r, s;
} rpc_authorization;

/* A GenericTransaction. Fields not given have has_* false (data_len 0).
 * Owns data, access_list (and its keys), blob_hashes and auths: release with
 * rpc_call_args_free. */
typedef struct {
    bool has_from, has_to, has_gas, has_gas_price, has_max_fee, has_max_priority_fee,
        has_max_fee_per_blob_gas, has_value, has_nonce, has_data, has_access_list,
        has_blob_hashes, has_auths, has_chain_id, has_type;
    address from, to;
    uint64_t gas;
    u256 gas_price, max_fee, max_priority_fee, max_fee_per_blob_gas, value;
    uint64_t nonce, chain_id;
    uint8_t type;
    uint8_t *data; /* "input", or "data" (both given: they must be equal) */
    size_t data_len;
    access_entry *access_list;
    size_t access_list_len;
    bytes32 *blob_hashes;
    size_t n_blob_hashes;
    rpc_authorization *auths;
    size_t n_auths;
} rpc_call_args;

/* Parses a call object. Unknown fields are ignored (as geth does); known
 * ones must have the right form. gasPrice together with maxFeePerGas or
 * maxPriorityFeePerGas is an error, as in geth. On failure out is left
 * empty (nothing to free). */
bool rpc_parse_call_args(const json_t *v, rpc_call_args *out, char *err, size_t errlen);
void rpc_call_args_free(rpc_call_args *a);

/* An access list: [{"address", "storageKeys": [hash...]}...]. *out owns the
 * entries and their keys: rpc_access_list_free (on failure *out is NULL). */
bool rpc_parse_access_list(const json_t *v, access_entry **out, size_t *n, char *err, size_t errlen);
void rpc_access_list_free(access_entry *list, size_t n);

/* ---- State and block overrides -------------------------------------------------- */

typedef struct {
    bytes32 key, value;
} rpc_slot_override;

typedef enum { RPC_STORAGE_KEEP, RPC_STORAGE_REPLACE, RPC_STORAGE_DIFF } rpc_storage_mode;

typedef struct {
    address addr;
    bool has_balance, has_nonce, has_code, has_move_to;
    u256 balance;
    uint64_t nonce;
    uint8_t *code;
    size_t code_len;
    rpc_storage_mode storage; /* "state" replaces the storage, "stateDiff" patches it */
    rpc_slot_override *slots;
    size_t n_slots;
    address move_to;          /* movePrecompileToAddress (eth_simulateV1) */
} rpc_account_override;

/* {address: {balance, nonce, code, state | stateDiff, movePrecompileToAddress}}.
 * Owns everything: rpc_state_override_free. */
typedef struct {
    rpc_account_override *accounts;
    size_t n;
} rpc_state_override;

/* Unknown account fields are errors (a misspelt "stateDif" must not be
 * silently ignored), so are "state" with "stateDiff" and a repeated address.
 * On failure out is left empty (nothing to free). */
bool rpc_parse_state_override(const json_t *v, rpc_state_override *out, char *err, size_t errlen);
void rpc_state_override_free(rpc_state_override *o);

/* Block overrides (eth_call's 4th argument, eth_simulateV1's blockOverrides).
 * Fields other than these (withdrawals, beaconRoot) are ignored here. */
typedef struct {
    bool has_number, has_time, has_gas_limit, has_fee_recipient, has_prev_randao,
        has_difficulty, has_base_fee, has_blob_base_fee;
    uint64_t number, time, gas_limit;
    address fee_recipient;  /* "feeRecipient", or geth's older "coinbase" */
    bytes32 prev_randao;    /* "prevRandao", or geth's older "random" */
    u256 difficulty, base_fee, blob_base_fee;
} rpc_block_override;

bool rpc_parse_block_override(const json_t *v, rpc_block_override *out, char *err, size_t errlen);
/* geth's BlockOverrides.Apply outside eth_simulateV1: the first field of v
 * that only eth_simulateV1 takes ("beaconRoot", "withdrawals") and v sets
 * (not null), or NULL. */
const char *rpc_block_override_simulate_only(const json_t *v);

/* ---- Encoders --------------------------------------------------------------------- */

/* Each returns a new reference (the caller's to json_decref or hand on). */
json_t *rpc_json_u64(uint64_t v);              /* "0x1f", "0x0" */
json_t *rpc_json_u256(const u256 *v);
json_t *rpc_json_data(const uint8_t *p, size_t len); /* "0x" + lower-case hex */
json_t *rpc_json_address(const address *a);    /* lower-case, 42 chars */
json_t *rpc_json_hash(const bytes32 *h);
/* EIP-55 mixed-case checksum form of an address: "0x" + 40 chars + NUL. */
void rpc_address_checksum(const address *a, char out[43]);

#endif
