/* Transaction rules that need no state: intrinsic gas (with the EIP-7623
 * calldata floor and the EIP-7702 authorization cost) and the per-fork
 * static validity checks (EIP-7825 gas cap, blob and set-code rules). */
#include "parevm/evm.h"
#include "parevm/tx.h"
#include "tx_internal.h"

enum {
    GAS_TX = 21000,
    GAS_TX_CREATE = 32000,          /* extra for creations, Homestead on */
    GAS_DATA_ZERO = 4,
    GAS_DATA_NONZERO_FRONTIER = 68,
    GAS_DATA_NONZERO_ISTANBUL = 16, /* EIP-2028 */
    GAS_ACCESS_ADDRESS = 2400,      /* EIP-2930 */
    GAS_ACCESS_KEY = 1900,
    GAS_INITCODE_WORD = 2,          /* EIP-3860 */
    GAS_FLOOR_PER_TOKEN = 10,       /* EIP-7623 */
    GAS_PER_AUTH = 25000,           /* EIP-7702 PER_EMPTY_ACCOUNT_COST */
    BLOB_HASH_VERSION_KZG = 0x01,   /* EIP-4844 */
    MAX_BLOBS_CANCUN = 6,
    MAX_BLOBS_PRAGUE = 9,           /* EIP-7691: the block's limit */
};

static size_t count_zero_bytes(const uint8_t *p, size_t n) {
    size_t z = 0;
    for (size_t i = 0; i < n; i++) z += p[i] == 0;
    return z;
}

uint64_t tx_intrinsic_gas(const transaction *tx, fork_id fork) {
    bool create = !tx->has_to;
    uint64_t gas = GAS_TX;
    if (create && fork >= FORK_HOMESTEAD) gas += GAS_TX_CREATE;
    uint64_t zeros = count_zero_bytes(tx->data, tx->data_len);
    uint64_t nonzero_cost = fork >= FORK_ISTANBUL ? GAS_DATA_NONZERO_ISTANBUL
                                                  : GAS_DATA_NONZERO_FRONTIER;
    gas += zeros * GAS_DATA_ZERO + (tx->data_len - zeros) * nonzero_cost;
    for (size_t i = 0; i < tx->access_list_len; i++)
        gas += GAS_ACCESS_ADDRESS + tx->access_list[i].n_keys * GAS_ACCESS_KEY;
    if (create && fork >= FORK_SHANGHAI)
        gas += GAS_INITCODE_WORD * (((uint64_t)tx->data_len + 31) / 32);
    gas += GAS_PER_AUTH * (uint64_t)tx->n_auths;
    return gas;
}

uint64_t tx_floor_gas(const transaction *tx, fork_id fork) {
    if (fork < FORK_PRAGUE) return 0;
    uint64_t zeros = count_zero_bytes(tx->data, tx->data_len);
    uint64_t tokens = zeros + 4 * (tx->data_len - zeros);
    return GAS_TX + tokens * GAS_FLOOR_PER_TOKEN;
}

static const char *check_type(const transaction *tx, fork_id fork) {
    switch (tx->type) {
    case TX_LEGACY: return NULL;
    case TX_ACCESS_LIST: return fork >= FORK_BERLIN ? NULL : "type 1 transaction before Berlin";
    case TX_DYNAMIC_FEE: return fork >= FORK_LONDON ? NULL : "type 2 transaction before London";
    case TX_BLOB: return fork >= FORK_CANCUN ? NULL : "type 3 transaction before Cancun";
    case TX_SET_CODE: return fork >= FORK_PRAGUE ? NULL : "type 4 transaction before Prague";
    }
    return "unknown transaction type";
}

static const char *check_chain_id(const transaction *tx, fork_id fork, uint64_t chain_id) {
    if (!tx->has_chain_id)
        return tx->type == TX_LEGACY ? NULL : "typed transaction without chain id";
    if (tx->type == TX_LEGACY && fork < FORK_SPURIOUS_DRAGON)
        return "EIP-155 transaction before Spurious Dragon";
    return tx->chain_id == chain_id ? NULL : "chain id mismatch";
}

static const char *check_signature(const transaction *tx, fork_id fork) {
    int recid;
    if (!tx_signature_recid(tx, &recid)) return "invalid signature v";
    if (!tx_signature_values_ok(tx, fork >= FORK_HOMESTEAD)) return "invalid signature r or s";
    return NULL;
}

static const char *check_fees(const transaction *tx) {
    bool dynamic = tx->type >= TX_DYNAMIC_FEE;
    if (dynamic && u256_gt(&tx->max_priority_fee, &tx->max_fee))
        return "max priority fee per gas higher than max fee per gas";
    /* No balance can cover a product beyond 2^256; reject it before any
     * executor has to compute it. */
    uint64_t prod[8];
    u256 gas = u256_from_u64(tx->gas_limit);
    u256_mul_full(prod, &gas, dynamic ? &tx->max_fee : &tx->gas_price);
    if (prod[4] | prod[5] | prod[6] | prod[7]) return "gas limit * gas price overflows 256 bits";
    return NULL;
}

/* call: eth_call rules (no EIP-7825 cap, no nonce rule); no_cap: no
 * EIP-7825 cap either. */
static const char *check_gas(const transaction *tx, fork_id fork, bool call, bool no_cap, uint32_t max_code_size) {
    if (tx->gas_limit < tx_intrinsic_gas(tx, fork)) return "intrinsic gas too low";
    if (tx->gas_limit < tx_floor_gas(tx, fork))
        return "gas limit below the calldata floor (EIP-7623)";
    if (!call && !no_cap && fork >= FORK_OSAKA && tx->gas_limit > TX_MAX_GAS_LIMIT_OSAKA)
        return "gas limit above 2^24 (EIP-7825)";
    if (!call && tx->nonce == UINT64_MAX) return "nonce is 2^64-1 (EIP-2681)";
    if (fork >= FORK_SHANGHAI && !tx->has_to && tx->data_len > evm_max_initcode_size(max_code_size))
        return max_code_size ? "initcode larger than twice the chain's contract size limit (EIP-3860)"
                             : "initcode larger than 49152 bytes (EIP-3860)";
    return NULL;
}

size_t tx_max_blobs(fork_id fork) {
    if (fork >= FORK_OSAKA) return TX_MAX_BLOBS_OSAKA;
    if (fork >= FORK_PRAGUE) return MAX_BLOBS_PRAGUE;
    return fork >= FORK_CANCUN ? MAX_BLOBS_CANCUN : 0;
}

static const char *check_blobs(const transaction *tx, size_t max_blobs) {
    if (!tx->has_to) return "blob transaction without a to address";
    if (tx->n_blob_hashes == 0) return "blob transaction without blob hashes";
    if (tx->n_blob_hashes > max_blobs) return "too many blobs in transaction";
    for (size_t i = 0; i < tx->n_blob_hashes; i++)
        if (tx->blob_hashes[i].b[0] != BLOB_HASH_VERSION_KZG)
            return "blob hash version is not 0x01";
    return NULL;
}

/* EIP-7702: a set-code transaction calls an account and authorizes at
 * least one delegation. */
static const char *check_set_code(const transaction *tx) {
    if (!tx->has_to) return "set-code transaction without a to address";
    if (tx->n_auths == 0) return "set-code transaction with an empty authorization list";
    return NULL;
}

static const char *check_static(const transaction *tx, fork_id fork, uint64_t chain_id, bool call, bool no_cap,
                                uint32_t max_code_size, uint64_t max_blob_gas) {
    const char *why;
    if ((why = check_type(tx, fork))) return why;
    if ((why = check_chain_id(tx, fork, chain_id))) return why;
    if (!call && (why = check_signature(tx, fork))) return why;
    if ((why = check_fees(tx))) return why;
    if ((why = check_gas(tx, fork, call, no_cap, max_code_size))) return why;
    if (tx->type == TX_SET_CODE) return check_set_code(tx);
    if (tx->type != TX_BLOB) return NULL;
    size_t max_blobs = tx_max_blobs(fork);
    if (fork < FORK_OSAKA && max_blob_gas) max_blobs = max_blob_gas / BLOB_GAS_PER_BLOB;
    return check_blobs(tx, max_blobs);
}

const char *tx_check_static(const transaction *tx, fork_id fork, uint64_t chain_id) {
    return check_static(tx, fork, chain_id, false, false, 0, 0);
}

const char *tx_check_static_limit(const transaction *tx, fork_id fork, uint64_t chain_id, uint32_t max_code_size,
                                  bool no_gas_cap, uint64_t max_blob_gas) {
    return check_static(tx, fork, chain_id, false, no_gas_cap, max_code_size, max_blob_gas);
}

const char *tx_check_call_limit(const transaction *tx, fork_id fork, uint64_t chain_id, uint32_t max_code_size) {
    return check_static(tx, fork, chain_id, true, true, max_code_size, 0);
}
