/* geth's spellings for the tracers: opcode names as OpCode.String() gives
 * them, revert reasons as abi.UnpackRevert decodes them, Go's treatment of
 * ill-formed UTF-8 in JSON strings, and the hex forms of words. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "parevm/abi.h"
#include "parevm/hex.h"
#include "trace_internal.h"

json_t *trace_take(json_t *v) {
    if (!v) abort();
    return v;
}

void trace_set(json_t *obj, const char *key, json_t *v) {
    if (json_object_set_new(obj, key, trace_take(v))) abort();
}

void trace_append(json_t *arr, json_t *v) {
    if (json_array_append_new(arr, trace_take(v))) abort();
}

json_t *trace_json_word(const u256 *v) {
    bytes32 b = u256_to_bytes32(v);
    char hex[67];
    hex_encode(b.b, 32, hex);
    return trace_take(json_string(hex));
}

json_t *trace_json_quantity(const u256 *v) {
    char hex[67];
    u256_to_hex(v, hex);
    return trace_take(json_string(hex));
}

/* Names geth gives opcodes that parevm's tables do not define (EOF and
 * proposals): OpCode.String() names them in every fork. */
static const char *extra_name(uint8_t op) {
    switch (op) {
    case 0x44: return "DIFFICULTY"; /* geth keeps the pre-Merge name */
    case 0x4b: return "SLOTNUM";
    case 0xd0: return "DATALOAD";
    case 0xd1: return "DATALOADN";
    case 0xd2: return "DATASIZE";
    case 0xd3: return "DATACOPY";
    case 0xe0: return "RJUMP";
    case 0xe1: return "RJUMPI";
    case 0xe2: return "RJUMPV";
    case 0xe3: return "CALLF";
    case 0xe4: return "RETF";
    case 0xe5: return "JUMPF";
    case 0xe6: return "DUPN";
    case 0xe7: return "SWAPN";
    case 0xe8: return "EXCHANGE";
    case 0xec: return "EOFCREATE";
    case 0xee: return "RETURNCONTRACT";
    case 0xf7: return "RETURNDATALOAD";
    case 0xf8: return "EXTCALL";
    case 0xf9: return "EXTDELEGATECALL";
    case 0xfb: return "EXTSTATICCALL";
    }
    return NULL;
}

const char *trace_op_name(uint8_t op, char buf[32]) {
    const char *n = extra_name(op);
    if (!n) n = evm_opcode_name(op);
    if (n) return n;
    snprintf(buf, 32, "opcode %#x not defined", op);
    return buf;
}

const char *revm_op_name(uint8_t op, int *cost) {
    const char *n = evm_opcode_name(op);
    if (n) {
        *cost = evm_opcode_cost(op, FORK_COUNT - 1);
        return n;
    }
    /* Amsterdam's in revm's table (anvil 1.7.1): EIP-7843's SLOTNUM at the
     * base cost, EIP-8024's DUPN/SWAPN/EXCHANGE at 3 */
    *cost = op == 0x4b ? 2 : 3;
    return op == 0x4b || (op >= 0xe6 && op <= 0xe8) ? extra_name(op) : NULL;
}

uint8_t trace_kind_op(evm_call_kind kind) {
    switch (kind) {
    case EVM_CALL: return 0xf1;
    case EVM_CALLCODE: return 0xf2;
    case EVM_DELEGATECALL: return 0xf4;
    case EVM_STATICCALL: return 0xfa;
    case EVM_CREATE: return 0xf0;
    case EVM_CREATE2: return 0xf5;
    }
    return 0xf1;
}

/* ---- UTF-8 as Go sees it ---- */

/* Length of the well-formed UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t min, cp;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000, cp = c & 0x07;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

json_t *trace_json_lossy(const uint8_t *p, size_t n) {
    buf_t b = {0};
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(p + i, n - i);
        if (k) {
            buf_append(&b, p + i, k);
            i += k;
        } else {
            static const uint8_t fffd[3] = {0xef, 0xbf, 0xbd};
            buf_append(&b, fffd, 3);
            i++;
        }
    }
    json_t *s = trace_take(json_stringn(b.len ? (const char *)b.data : "", b.len));
    buf_free(&b);
    return s;
}

/* ---- revert reasons ---- */

static char *dup_bytes(const void *p, size_t n, size_t *out_len) {
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, p, n);
    s[n] = 0;
    *out_len = n;
    return s;
}

char *trace_revert_reason(const uint8_t *data, size_t len, size_t *out_len) {
    const uint8_t *s;
    size_t slen;
    u256 code;
    switch (abi_decode_revert(data, len, &s, &slen, &code)) {
    case ABI_REVERT_ERROR: return dup_bytes(s, slen, out_len);
    case ABI_REVERT_PANIC: {
        const char *why = abi_panic_reason_geth(&code);
        if (why) return dup_bytes(why, strlen(why), out_len);
        char hex[67], msg[96];
        u256_to_hex(&code, hex);
        int k = snprintf(msg, sizeof msg, "unknown panic code: %s", hex);
        return dup_bytes(msg, (size_t)k, out_len);
    }
    case ABI_REVERT_NONE: break;
    }
    return NULL;
}

char *trace_dumps(const json_t *v) {
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (!s) abort();
    return s;
}

bool trace_invalid_reason(state_view view, const block_env *env, const transaction *tx, const char *why,
                           char *out, size_t n) {
    char a[43], x[80], y[80];
    rpc_address_checksum(&tx->sender, a);
    account_info info;
    if (!strcmp(why, "max fee below base fee") || !strcmp(why, "gas price below base fee")) {
        u256_to_dec(tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price, x);
        u256_to_dec(&env->base_fee, y);
        snprintf(out, n, "max fee per gas less than block base fee: address %s, maxFeePerGas: %s, baseFee: %s", a, x, y);
    } else if (!strcmp(why, "insufficient funds")) {
        /* geth's buyGas: gas * fee cap + value (+ the blob gas at its cap) */
        u256 gas = u256_from_u64(tx->gas_limit), want = u256_mul(&gas, tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price);
        u256 blob_gas = u256_from_u64(GAS_PER_BLOB * tx->n_blob_hashes);
        u256 blob = u256_mul(&blob_gas, &tx->max_fee_per_blob_gas);
        bool wrapped = u256_add_carry(&want, &want, &tx->value);
        if (u256_add_carry(&want, &want, &blob)) wrapped = true;
        if (wrapped) return false; /* past 2^256: geth's number is not ours to print */
        view.ops->get_account(view.ctx, &tx->sender, FIELD_BALANCE, &info);
        u256_to_dec(&info.balance, x);
        u256_to_dec(&want, y);
        snprintf(out, n, "insufficient funds for gas * price + value: address %s have %s want %s", a, x, y);
    } else if (!strcmp(why, "intrinsic gas too low")) {
        snprintf(out, n, "intrinsic gas too low: have %" PRIu64 ", want %" PRIu64, tx->gas_limit,
                 tx_intrinsic_gas(tx, env->fork));
    } else if (!strcmp(why, "gas limit below the calldata floor (EIP-7623)")) {
        snprintf(out, n, "insufficient gas for floor data gas cost: have %" PRIu64 ", want %" PRIu64, tx->gas_limit,
                 tx_floor_gas(tx, env->fork));
    } else if (!strcmp(why, "max priority fee exceeds max fee") ||
               !strcmp(why, "max priority fee per gas higher than max fee per gas")) {
        u256_to_dec(&tx->max_priority_fee, x);
        u256_to_dec(&tx->max_fee, y);
        snprintf(out, n, "max priority fee per gas higher than max fee per gas: address %s, maxPriorityFeePerGas: %s, "
                 "maxFeePerGas: %s", a, x, y);
    } else if (!strcmp(why, "max fee per blob gas too low")) {
        u256_to_dec(&tx->max_fee_per_blob_gas, x);
        u256_to_dec(&env->blob_base_fee, y);
        snprintf(out, n, "max fee per blob gas less than block blob gas fee: address %s blobGasFeeCap: %s, "
                 "blobBaseFee: %s", a, x, y);
    } else if (!strcmp(why, "blob hash version is not 0x01")) {
        size_t i = 0;
        while (i + 1 < tx->n_blob_hashes && tx->blob_hashes[i].b[0] == 0x01) i++; /* EIP-4844 version */
        snprintf(out, n, "blob %zu has invalid hash version", i);
    } else if (!strcmp(why, "set-code transaction with an empty authorization list")) {
        snprintf(out, n, "EIP-7702 transaction with empty auth list (sender %s)", a);
    } else if (!strcmp(why, "set-code transaction without a to address")) {
        snprintf(out, n, "EIP-7702 transaction cannot be used to create contract (sender %s)", a);
    } else if (!strcmp(why, "blob transaction without blob hashes")) {
        snprintf(out, n, "blob transaction missing blob hashes");
    } else if (!strcmp(why, "blob transaction without a to address")) {
        snprintf(out, n, "blob transaction of type create");
    } else if (!strcmp(why, "too many blobs in transaction")) {
        snprintf(out, n, "blob transaction has too many blobs");
    } else if (!strcmp(why, "nonce too high") || !strcmp(why, "nonce too low") || !strcmp(why, "nonce has max value")) {
        view.ops->get_account(view.ctx, &tx->sender, FIELD_NONCE, &info);
        if (!strcmp(why, "nonce has max value")) snprintf(out, n, "%s: address %s, nonce: %" PRIu64, why, a, info.nonce);
        else snprintf(out, n, "%s: address %s, tx: %" PRIu64 " state: %" PRIu64, why, a, tx->nonce, info.nonce);
    } else {
        return false;
    }
    return true;
}
