/* The fixtures' exception names and the parevm rejection reasons they stand
 * for (see exceptions.h).
 *
 * KINDS maps each current name (the execution-spec-tests spelling,
 * TransactionException.X / BlockException.X) to a reason string that parevm
 * returns; a name covering several reasons has several rows, and a reason
 * several names. A row whose reason is NULL names a rule parevm does not
 * implement yet: the name is known, but no rejection matches it. ALIASES
 * maps the older names of ethereum/tests (TR_NoFunds, IntrinsicGas,
 * InvalidGasLimit...) to current ones. A name ending in '*' matches every
 * name with that prefix.
 *
 * Adding a rejection reason: add its row(s) here. test_exceptions.c checks
 * that every reason below is still a string literal in src/. */
#include "exceptions.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name, *reason;
} kind_row;

#define TX "TransactionException."
#define BLOCK "BlockException."

static const kind_row KINDS[] = {
    /* ---- transactions: static validity (tx_check_static) ---- */
    {TX "TYPE_NOT_SUPPORTED", "type 1 transaction before Berlin"},
    {TX "TYPE_NOT_SUPPORTED", "type 2 transaction before London"},
    {TX "TYPE_NOT_SUPPORTED", "type 3 transaction before Cancun"},
    {TX "TYPE_NOT_SUPPORTED", "unknown transaction type"},
    {TX "TYPE_NOT_SUPPORTED", REASON_BLOCK_RLP}, /* an unknown type byte does not decode */
    {TX "TYPE_1_TX_PRE_FORK", "type 1 transaction before Berlin"},
    {TX "TYPE_2_TX_PRE_FORK", "type 2 transaction before London"},
    {TX "TYPE_3_TX_PRE_FORK", "type 3 transaction before Cancun"},
    {TX "INVALID_CHAINID", "chain id mismatch"},
    {TX "INVALID_CHAINID", "EIP-155 transaction before Spurious Dragon"},
    {TX "INVALID_CHAINID", "typed transaction without chain id"},
    {TX "INVALID_SIGNATURE_VRS", "invalid signature v"},
    {TX "INVALID_SIGNATURE_VRS", "invalid signature r or s"},
    {TX "INVALID_SIGNATURE_VRS", "invalid transaction signature"},
    {TX "EC_RECOVERY_FAIL", "invalid transaction signature"},
    {TX "EC_RECOVERY_FAIL", "invalid signature r or s"},
    {TX "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS", "max priority fee per gas higher than max fee per gas"},
    {TX "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS", "max priority fee exceeds max fee"},
    {TX "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2", "max priority fee per gas higher than max fee per gas"},
    {TX "GASLIMIT_PRICE_PRODUCT_OVERFLOW", "gas limit * gas price overflows 256 bits"},
    {TX "INTRINSIC_GAS_TOO_LOW", "intrinsic gas too low"},
    {TX "INTRINSIC_NO_FLOOR_GAS", "gas limit below the calldata floor (EIP-7623)"},
    {TX "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST", "gas limit below the calldata floor (EIP-7623)"},
    {TX "INTRINSIC_GAS_TOO_LOW", "gas limit below the calldata floor (EIP-7623)"},
    {TX "NONCE_IS_MAX", "nonce is 2^64-1 (EIP-2681)"},
    {TX "NONCE_TOO_BIG", REASON_TX_NONCE_OVERFLOW},
    {TX "INITCODE_SIZE_EXCEEDED", "initcode larger than 49152 bytes (EIP-3860)"},
    {TX "TYPE_3_TX_CONTRACT_CREATION", "blob transaction without a to address"},
    {TX "TYPE_3_TX_CONTRACT_CREATION", REASON_BLOCK_RLP}, /* a type 3 "to" is 20 bytes */
    {TX "TYPE_3_TX_ZERO_BLOBS", "blob transaction without blob hashes"},
    {TX "TYPE_3_TX_BLOB_COUNT_EXCEEDED", "too many blobs in transaction"},
    {TX "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED", "too many blobs in transaction"},
    {TX "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED", "blob gas exceeds the block limit"},
    /* the header's blob gas used, checked before the transactions (as geth
       does): a block whose one transaction has more blobs than a block may */
    {TX "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED", "blob gas used above the maximum"},
    {TX "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH", "blob hash version is not 0x01"},
    /* ---- transactions: against the state and block (exec_transaction) ---- */
    {TX "GAS_ALLOWANCE_EXCEEDED", "gas limit exceeds block gas limit"},
    {TX "INSUFFICIENT_MAX_FEE_PER_GAS", "max fee below base fee"},
    {TX "INSUFFICIENT_MAX_FEE_PER_GAS", "gas price below base fee"},
    {TX "INSUFFICIENT_ACCOUNT_FUNDS", "insufficient funds"},
    {TX "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS", "max fee per blob gas too low"},
    {TX "NONCE_MISMATCH_TOO_HIGH", "nonce too high"},
    {TX "NONCE_MISMATCH_TOO_LOW", "nonce too low"},
    {TX "SENDER_NOT_EOA", "sender not an EOA"},
    {TX "GAS_LIMIT_EXCEEDS_MAXIMUM", "gas limit above 2^24 (EIP-7825)"},
    /* ---- set-code transactions (EIP-7702) ---- */
    {TX "TYPE_4_TX_PRE_FORK", "type 4 transaction before Prague"},
    {TX "TYPE_NOT_SUPPORTED", "type 4 transaction before Prague"},
    {TX "TYPE_4_TX_CONTRACT_CREATION", "set-code transaction without a to address"},
    {TX "TYPE_4_TX_CONTRACT_CREATION", REASON_BLOCK_RLP}, /* a type 4 "to" is 20 bytes */
    {TX "TYPE_4_EMPTY_AUTHORIZATION_LIST", "set-code transaction with an empty authorization list"},
    {TX "TYPE_4_INVALID_AUTHORIZATION_FORMAT", REASON_TX_AUTH_OVERFLOW},
    {TX "TYPE_4_INVALID_AUTHORIZATION_FORMAT", REASON_BLOCK_RLP},
    /* ---- transactions: fields no transaction can carry ---- */
    {TX "RLP_INVALID_VALUE", REASON_TX_VALUE_OVERFLOW},
    {TX "VALUE_OVERFLOW", REASON_TX_VALUE_OVERFLOW},
    {TX "RLP_*", REASON_BLOCK_RLP},
    {TX "ADDRESS_TOO_SHORT", REASON_BLOCK_RLP},
    {TX "ADDRESS_TOO_LONG", REASON_BLOCK_RLP},
    {TX "NONCE_OVERFLOW", REASON_BLOCK_RLP},
    {TX "GASLIMIT_OVERFLOW", REASON_BLOCK_RLP},
    {TX "VALUE_OVERFLOW", REASON_BLOCK_RLP},
    {TX "GASPRICE_OVERFLOW", REASON_BLOCK_RLP},
    {TX "PRIORITY_OVERFLOW", REASON_BLOCK_RLP},
    {TX "TYPE_3_TX_WITH_FULL_BLOBS", REASON_BLOCK_RLP},

    /* ---- blocks: the header against its parent (header_validate) ---- */
    {BLOCK "INVALID_BLOCK_NUMBER", "block number is not the parent's plus one"},
    {BLOCK "UNKNOWN_PARENT", "parent hash mismatch"},
    {BLOCK "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT", "timestamp not after the parent's"},
    {BLOCK "EXTRA_DATA_TOO_BIG", "extra data longer than 32 bytes"},
    {BLOCK "EXTRA_DATA_INVALID_DAO", "extra data is not \"dao-hard-fork\" in the DAO fork range"},
    {BLOCK "GASLIMIT_TOO_BIG", "gas limit above 2^63 - 1"},
    {BLOCK "INVALID_GASLIMIT", "gas limit increased too much"},
    {BLOCK "INVALID_GASLIMIT", "gas limit decreased too much"},
    {BLOCK "INVALID_GASLIMIT", "gas limit below 5000"},
    {BLOCK "GAS_USED_OVERFLOW", "gas used above gas limit"},
    {BLOCK "INVALID_BASEFEE_PER_GAS", "invalid base fee"},
    {BLOCK "INVALID_DIFFICULTY", "invalid difficulty"},
    {BLOCK "INVALID_DIFFICULTY", "non-zero difficulty after the Merge"},
    {BLOCK "INVALID_BLOCK_NONCE", "non-zero nonce after the Merge"},
    {BLOCK "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS", "non-zero difficulty after the Merge"},
    {BLOCK "IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS", "ommers after the Merge"},
    {BLOCK "INCORRECT_BLOB_GAS_USED", "blob gas used not a multiple of the blob size"},
    {BLOCK "BLOB_GAS_USED_ABOVE_LIMIT", "blob gas used above the maximum"},
    {BLOCK "BLOB_GAS_USED_ABOVE_LIMIT", "blob gas exceeds the block limit"},
    {BLOCK "INCORRECT_EXCESS_BLOB_GAS", "invalid excess blob gas"},
    /* a header of another fork's shape (optional fields present or absent) */
    {BLOCK "IMPORT_IMPOSSIBLE_LEGACY", "base fee missing"},
    {BLOCK "IMPORT_IMPOSSIBLE_LEGACY_WRONG_PARENT", "base fee missing"},
    {BLOCK "IMPORT_IMPOSSIBLE_LONDON_WRONG_PARENT", "base fee before London"},
    {BLOCK "IMPORT_IMPOSSIBLE_LONDON_OVER_PARIS", "non-zero difficulty after the Merge"},
    {BLOCK "IMPORT_IMPOSSIBLE_PARIS_WRONG_POW", "non-zero difficulty after the Merge"},
    {BLOCK "IMPORT_IMPOSSIBLE_PARIS_WRONG_POS", "invalid difficulty"},
    {BLOCK "IMPORT_IMPOSSIBLE_PARIS_OVER_SHANGHAI", "withdrawals root missing"},
    {BLOCK "IMPORT_IMPOSSIBLE_PARIS_OVER_SHANGHAI", REASON_BLOCK_RLP}, /* withdrawals, no root */
    {BLOCK "IMPORT_IMPOSSIBLE_SHANGHAI", "withdrawals root before Shanghai"},
    {BLOCK "IMPORT_IMPOSSIBLE_SHANGHAI", REASON_BLOCK_RLP},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "base fee before London"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "base fee missing"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "withdrawals root before Shanghai"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "withdrawals root missing"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "blob gas fields before Cancun"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "blob gas fields missing"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "parent beacon root before Cancun"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "parent beacon root missing"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "requests hash before Prague"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", "requests hash missing"},
    {BLOCK "INCORRECT_BLOCK_FORMAT", REASON_BLOCK_RLP},
    /* ---- blocks: the body and the chain (blocktest runner) ---- */
    {BLOCK "UNKNOWN_PARENT", "unknown parent"},
    {BLOCK "UNKNOWN_PARENT_ZERO", "unknown parent"},
    {BLOCK "TOO_MANY_UNCLES", "more than two ommers"},
    {BLOCK "UNCLE_IS_BROTHER", "duplicate ommer"},
    {BLOCK "UNCLE_IN_CHAIN", "ommer already included"},
    {BLOCK "UNCLE_IN_CHAIN", "block is its own ommer"},
    {BLOCK "UNCLE_IS_ANCESTOR", "ommer is an ancestor"},
    {BLOCK "UNCLE_UNKNOWN_PARENT", "ommer's parent is not a recent ancestor"},
    {BLOCK "UNCLE_PARENT_INCORRECT", "ommer's parent is not a recent ancestor"},
    {BLOCK "UNCLE_PARENT_INCORRECT", "ommer too old"},
    {BLOCK "INVALID_UNCLES_HASH", "ommers hash mismatch"},
    {BLOCK "INVALID_TRANSACTIONS_ROOT", "transactions root mismatch"},
    {BLOCK "INVALID_WITHDRAWALS_ROOT", "withdrawals root mismatch"},
    {BLOCK "INVALID_WITHDRAWALS_ROOT", "withdrawals presence mismatch"},
    {BLOCK "RLP_WITHDRAWALS_NOT_READ", "withdrawals presence mismatch"},
    {BLOCK "RLP_*", REASON_BLOCK_RLP},
    /* ---- blocks: execution results against the header ---- */
    {BLOCK "INVALID_STATE_ROOT", "state root mismatch"},
    {BLOCK "INVALID_GAS_USED", "gas used does not match the header"},
    {BLOCK "INVALID_LOG_BLOOM", "logs bloom does not match the header"},
    {BLOCK "INCORRECT_BLOB_GAS_USED", "blob gas used does not match the header"},
    {BLOCK "INVALID_RECEIPTS_ROOT", "receipts root does not match the header"},
    /* ---- blocks: Prague/Osaka (EIP-7685 requests, EIP-7934) ---- */
    {BLOCK "INVALID_REQUESTS", "requests hash does not match the header"},
    {BLOCK "SYSTEM_CONTRACT_EMPTY", "withdrawal request contract has no code (EIP-7002)"},
    {BLOCK "SYSTEM_CONTRACT_EMPTY", "consolidation request contract has no code (EIP-7251)"},
    {BLOCK "SYSTEM_CONTRACT_CALL_FAILED", "withdrawal request system call failed (EIP-7002)"},
    {BLOCK "SYSTEM_CONTRACT_CALL_FAILED", "consolidation request system call failed (EIP-7251)"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid data length"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid pubkey offset"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid pubkey size"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid withdrawal credentials offset"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid withdrawal credentials size"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid amount offset"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid amount size"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid signature offset"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid signature size"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid index offset"},
    {BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid index size"},
    {BLOCK "RLP_BLOCK_LIMIT_EXCEEDED", "block RLP larger than 8 MiB (EIP-7934)"},
    /* ---- Engine API payloads only: a block given as RLP has no claimed
       hash and no separate list of versioned hashes ---- */
    {BLOCK "INVALID_BLOCK_HASH", NULL},
    {BLOCK "INVALID_VERSIONED_HASHES", NULL},
};

static const kind_row ALIASES[] = {
    /* state tests before execution-spec-tests */
    {"TR_IntrinsicGas", TX "INTRINSIC_GAS_TOO_LOW"},
    {"IntrinsicGas", TX "INTRINSIC_GAS_TOO_LOW"},
    {"TR_NoFunds", TX "INSUFFICIENT_ACCOUNT_FUNDS"},
    {"TR_NoFundsX", TX "INSUFFICIENT_ACCOUNT_FUNDS"},
    {"TR_NoFundsValue", TX "INSUFFICIENT_ACCOUNT_FUNDS"},
    {"TR_NoFundsOrGas", TX "INSUFFICIENT_ACCOUNT_FUNDS|" TX "INTRINSIC_GAS_TOO_LOW"},
    {"TR_FeeCapLessThanBlocks", TX "INSUFFICIENT_MAX_FEE_PER_GAS"},
    {"TR_FeeCapLessThanBlocksORGasLimitReached", TX "INSUFFICIENT_MAX_FEE_PER_GAS|" TX "GAS_ALLOWANCE_EXCEEDED"},
    {"TR_FeeCapLessThanBlocksORNoFunds", TX "INSUFFICIENT_MAX_FEE_PER_GAS|" TX "INSUFFICIENT_ACCOUNT_FUNDS"},
    {"TR_GasLimitReached", TX "GAS_ALLOWANCE_EXCEEDED"},
    {"TR_NonceTooHigh", TX "NONCE_MISMATCH_TOO_HIGH"},
    {"TR_NonceTooLow", TX "NONCE_MISMATCH_TOO_LOW"},
    {"TR_NonceHasMaxValue", TX "NONCE_IS_MAX"},
    {"TR_TypeNotSupported", TX "TYPE_NOT_SUPPORTED"},
    {"TR_TypeNotSupportedBlob", TX "TYPE_3_TX_PRE_FORK"},
    {"TR_TipGtFeeCap", TX "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"},
    {"1559PriorityFeeGreaterThanBaseFee", TX "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"},
    {"TR_InitCodeLimitExceeded", TX "INITCODE_SIZE_EXCEEDED"},
    {"TR_EMPTYBLOB", TX "TYPE_3_TX_ZERO_BLOBS"},
    {"TR_BLOBCREATE", TX "TYPE_3_TX_CONTRACT_CREATION"},
    {"TR_BLOBVERSION_INVALID", TX "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH"},
    {"TR_BLOBLIST_OVERSIZE", TX "TYPE_3_TX_BLOB_COUNT_EXCEEDED"},
    {"TR_RLP_WRONGVALUE", TX "RLP_INVALID_VALUE"},
    {"SenderNotEOA", TX "SENDER_NOT_EOA"},
    {"SenderNotEOAorNoCASH", TX "SENDER_NOT_EOA|" TX "INSUFFICIENT_ACCOUNT_FUNDS"},
    {"NonceMax", TX "NONCE_TOO_BIG"},
    {"InvalidVRS", TX "INVALID_SIGNATURE_VRS"},
    {"InvalidTransactionVRS", TX "INVALID_SIGNATURE_VRS"},
    {"ECRecoveryFail", TX "EC_RECOVERY_FAIL"},
    {"InvalidChainID", TX "INVALID_CHAINID"},
    {"GasLimitPriceProductOverflow", TX "GASLIMIT_PRICE_PRODUCT_OVERFLOW"},
    {"InvalidValue", TX "VALUE_OVERFLOW"},
    /* blockchain tests before execution-spec-tests */
    {"InvalidNumber", BLOCK "INVALID_BLOCK_NUMBER"},
    {"InvalidTimestampEqualParent", BLOCK "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT"},
    {"InvalidTimestampOlderParent", BLOCK "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT"},
    {"InvalidLogBloom", BLOCK "INVALID_LOG_BLOOM"},
    {"InvalidStateRoot", BLOCK "INVALID_STATE_ROOT"},
    {"InvalidGasUsed", BLOCK "INVALID_GAS_USED"},
    {"TooMuchGasUsed", BLOCK "GAS_USED_OVERFLOW"},
    {"UnknownParent", BLOCK "UNKNOWN_PARENT"},
    {"InvalidReceiptsStateRoot", BLOCK "INVALID_RECEIPTS_ROOT"},
    {"InvalidTransactionsRoot", BLOCK "INVALID_TRANSACTIONS_ROOT"},
    {"InvalidUnclesHash", BLOCK "INVALID_UNCLES_HASH"},
    {"InvalidUncleParentHash", BLOCK "UNCLE_UNKNOWN_PARENT"},
    {"UncleInChain", BLOCK "UNCLE_IN_CHAIN"},
    {"UncleIsAncestor", BLOCK "UNCLE_IS_ANCESTOR"},
    {"UncleParentIsNotAncestor", BLOCK "UNCLE_PARENT_INCORRECT"},
    {"TooManyUncles", BLOCK "TOO_MANY_UNCLES"},
    {"UncleIsBrother", BLOCK "UNCLE_IS_BROTHER"},
    {"ExtraDataTooBig", BLOCK "EXTRA_DATA_TOO_BIG"},
    {"ExtraDataIncorrectDAO", BLOCK "EXTRA_DATA_INVALID_DAO"},
    {"InvalidDifficulty", BLOCK "INVALID_DIFFICULTY"},
    {"InvalidGasLimit", BLOCK "INVALID_GASLIMIT|" BLOCK "GASLIMIT_TOO_BIG"},
    {"InvalidWithdrawals", BLOCK "INVALID_WITHDRAWALS_ROOT"},
    {"PostParisUncleHashIsNotEmpty", BLOCK "IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS"},
    {"PostParisDifficultyIsNot0", BLOCK "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS"},
    {"3675PoWBlockRejected", BLOCK "IMPORT_IMPOSSIBLE_PARIS_WRONG_POW"},
    {"3675PoSBlockRejected", BLOCK "IMPORT_IMPOSSIBLE_PARIS_WRONG_POS"},
    {"3675PreParis1559BlockRejected", BLOCK "IMPORT_IMPOSSIBLE_LONDON_OVER_PARIS"},
    {"LegacyBlockImportImpossible", BLOCK "IMPORT_IMPOSSIBLE_LEGACY"},
    {"LegacyBlockImportImpossible2", BLOCK "IMPORT_IMPOSSIBLE_LEGACY_WRONG_PARENT"},
    {"1559BlockImportImpossible_HeaderIsLegacy", BLOCK "IMPORT_IMPOSSIBLE_LONDON_WRONG_PARENT"},
    {"1559BlockImportImpossible_BaseFeeWrong", BLOCK "INVALID_BASEFEE_PER_GAS"},
    {"1559BlockImportImpossible_InitialBaseFeeWrong", BLOCK "INVALID_BASEFEE_PER_GAS"},
    {"1559BlockImportImpossible_TargetGasLow", BLOCK "INVALID_GASLIMIT"},
    {"1559BlockImportImpossible_TargetGasHigh", BLOCK "INVALID_GASLIMIT"},
    {"1559BlockImportImpossible_InitialGasLimitInvalid", BLOCK "INVALID_GASLIMIT"},
    {"ParisBlockImportImpossible", BLOCK "IMPORT_IMPOSSIBLE_PARIS_OVER_SHANGHAI"},
    {"ShanghaiBlockImportImpossible", BLOCK "IMPORT_IMPOSSIBLE_SHANGHAI"},
    {"RLP_*", BLOCK "RLP_STRUCTURES_ENCODING"},
    /* execution-spec-tests v4.x (v4.5.0); BlockException. since mid-2025 */
    {TX "INVALID_DEPOSIT_EVENT_LAYOUT", BLOCK "INVALID_DEPOSIT_EVENT_LAYOUT"},
};

/* geth's error text for the rejections whose wording differs (core/error.go,
 * core/types), as its t8n lists them in "rejected": tools that read geth's
 * messages (the fillers' exception mappers) read parevm's too. */
static const struct {
    const char *reason, *geth;
} GETH_TEXT[] = {
    {"nonce is 2^64-1 (EIP-2681)", "nonce has max value"},
    {"gas limit exceeds block gas limit", "gas limit reached"},
    {"insufficient funds", "insufficient funds for gas * price + value"},
    {"gas limit * gas price overflows 256 bits", "insufficient funds for gas * price + value"},
    {"gas limit below the calldata floor (EIP-7623)", "insufficient gas for floor data gas cost"},
    {"max priority fee exceeds max fee", "max priority fee per gas higher than max fee per gas"},
    {"max fee below base fee", "max fee per gas less than block base fee"},
    {"gas price below base fee", "max fee per gas less than block base fee"},
    {"sender not an EOA", "sender not an eoa"},
    {"max fee per blob gas too low", "max fee per blob gas less than block blob gas fee"},
    {"blob transaction without blob hashes", "blob transaction missing blob hashes"},
    {"too many blobs in transaction", "blob transaction has too many blobs"},
    {"blob transaction without a to address", "blob transaction of type create"},
    {"blob gas exceeds the block limit", "blob gas would exceed maximum allowance"},
    {"set-code transaction with an empty authorization list", "EIP-7702 transaction with empty auth list"},
    {"set-code transaction without a to address", "EIP-7702 transaction cannot be used to create contract"},
    {"gas limit above 2^24 (EIP-7825)", "transaction gas limit too high"},
    {"initcode larger than 49152 bytes (EIP-3860)", "max initcode size exceeded"},
    {"initcode larger than twice the chain's contract size limit (EIP-3860)", "max initcode size exceeded"},
    {"type 1 transaction before Berlin", "transaction type not supported"},
    {"type 2 transaction before London", "transaction type not supported"},
    {"type 3 transaction before Cancun", "transaction type not supported"},
    {"type 4 transaction before Prague", "transaction type not supported"},
    {"unknown transaction type", "transaction type not supported"},
    {"chain id mismatch", "invalid chain id for signer"},
    {"invalid signature v", "invalid transaction v, r, s values"},
    {"invalid signature r or s", "invalid transaction v, r, s values"},
    {"invalid transaction signature", "invalid transaction v, r, s values"},
    {"EIP-155 transaction before Spurious Dragon", "invalid transaction v, r, s values"}, /* v = 35 + 2 id */
};

#define COUNT(a) (sizeof a / sizeof a[0])

const char *exception_geth_text(const char *reason) {
    for (size_t i = 0; reason && i < COUNT(GETH_TEXT); i++)
        if (!strcmp(reason, GETH_TEXT[i].reason)) return GETH_TEXT[i].geth;
    return reason;
}

bool exception_geth_row(size_t i, const char **reason, const char **geth) {
    if (i >= COUNT(GETH_TEXT)) return false;
    *reason = GETH_TEXT[i].reason;
    *geth = GETH_TEXT[i].geth;
    return true;
}

/* Whether pattern (a name, or a prefix ending in '*') matches name[0..len). */
static bool name_is(const char *pattern, const char *name, size_t len) {
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*') return len >= n - 1 && !memcmp(pattern, name, n - 1);
    return n == len && !memcmp(pattern, name, len);
}

/* What one name (name[0..len)) says about reason: -1 unknown name, else
 * whether it matches. Aliases expand to their alternatives. */
static int match_one(const char *name, size_t len, const char *reason, int depth) {
    bool known = false, match = false;
    for (size_t i = 0; i < COUNT(KINDS); i++) {
        if (!name_is(KINDS[i].name, name, len)) continue;
        known = true;
        if (reason && KINDS[i].reason && !strcmp(KINDS[i].reason, reason)) match = true;
    }
    for (size_t i = 0; depth == 0 && i < COUNT(ALIASES); i++) {
        if (!name_is(ALIASES[i].name, name, len)) continue;
        /* an alias is a name or alternatives of current names */
        for (const char *p = ALIASES[i].reason; *p;) {
            size_t l = strcspn(p, "|");
            int m = match_one(p, l, reason, depth + 1);
            if (m >= 0) known = true;
            if (m > 0) match = true;
            p += l + (p[l] == '|');
        }
    }
    return known ? match : -1;
}

static exc_match check(const char *expected, const char *reason, char *unknown, size_t unknown_len) {
    bool match = false;
    for (const char *p = expected;;) {
        size_t len = strcspn(p, "|");
        int m = len ? match_one(p, len, reason, 0) : -1;
        if (m < 0) {
            if (unknown && unknown_len) snprintf(unknown, unknown_len, "%.*s", (int)len, p);
            return EXC_UNKNOWN;
        }
        if (m > 0) match = true;
        if (!p[len]) break;
        p += len + 1;
    }
    return match ? EXC_MATCH : EXC_MISMATCH;
}

exc_match exception_match(const char *expected, const char *reason, char *unknown, size_t unknown_len) {
    return check(expected, reason, unknown, unknown_len);
}

bool exception_known(const char *expected, char *unknown, size_t unknown_len) {
    return check(expected, NULL, unknown, unknown_len) != EXC_UNKNOWN;
}

bool exception_row(size_t i, const char **name, const char **reason) {
    if (i >= COUNT(KINDS)) return false;
    *name = KINDS[i].name;
    *reason = KINDS[i].reason;
    return true;
}
