/* Solidity's revert data (Error(string), Panic(uint256)) and the two
 * wordings of its panic codes that the node's methods answer in. */
#include "parevm/abi.h"
#include <string.h>

bool abi_decode_string(const uint8_t *d, size_t n, const uint8_t **s, size_t *len) {
    if (n < 64) return false;
    u256 off = u256_load_be32(d);
    if (!u256_fits_u64(&off) || off.w[0] > n - 32) return false;
    u256 l = u256_load_be32(d + off.w[0]);
    if (!u256_fits_u64(&l) || l.w[0] > n - 32 - off.w[0]) return false;
    *s = d + off.w[0] + 32;
    *len = (size_t)l.w[0];
    return true;
}

abi_revert_kind abi_decode_revert(const uint8_t *data, size_t n, const uint8_t **s, size_t *len, u256 *code) {
    static const uint8_t error_sel[4] = {0x08, 0xc3, 0x79, 0xa0}, panic_sel[4] = {0x4e, 0x48, 0x7b, 0x71};
    if (n < 4 + 32) return ABI_REVERT_NONE;
    if (!memcmp(data, error_sel, 4)) return abi_decode_string(data + 4, n - 4, s, len) ? ABI_REVERT_ERROR : ABI_REVERT_NONE;
    if (memcmp(data, panic_sel, 4)) return ABI_REVERT_NONE;
    *code = u256_load_be32(data + 4);
    return ABI_REVERT_PANIC;
}

/* Solidity's panic codes, in geth's words and in alloy's. */
static const struct {
    uint8_t code;
    const char *geth, *alloy;
} panics[] = {
    {0x00, "generic panic", "generic/unspecified error"},
    {0x01, "assert(false)", "assertion failed"},
    {0x11, "arithmetic underflow or overflow", "arithmetic underflow or overflow"},
    {0x12, "division or modulo by zero", "division or modulo by zero"},
    {0x21, "enum overflow", "failed to convert value into enum type"},
    {0x22, "invalid encoded storage byte array accessed", "storage byte array incorrectly encoded"},
    {0x31, "out-of-bounds array access; popping on an empty array", "called `.pop()` on an empty array"},
    {0x32, "out-of-bounds access of an array or bytesN", "array out-of-bounds access"},
    {0x41, "out of memory", "memory allocation error"},
    {0x51, "uninitialized function", "called an invalid internal function"},
};

static int panic_index(const u256 *code) {
    if (!u256_fits_u64(code)) return -1;
    for (size_t i = 0; i < sizeof panics / sizeof panics[0]; i++)
        if (code->w[0] == panics[i].code) return (int)i;
    return -1;
}

const char *abi_panic_reason_geth(const u256 *code) {
    int i = panic_index(code);
    return i < 0 ? NULL : panics[i].geth;
}

const char *abi_panic_reason_alloy(const u256 *code) {
    int i = panic_index(code);
    return i < 0 ? NULL : panics[i].alloy;
}
