/* Contract code objects and jump-destination analysis. The analysis runs on
 * a code object's first execution and is published with a single atomic
 * compare-and-swap, so code shared between threads is analysed once (or, on
 * a race, twice with identical results, one of which is dropped). */
#include <stdlib.h>
#include "parevm/evm.h"
#include "evm_internal.h"
#include "parevm/keccak.h"

static const uint8_t empty_bytes[EVM_CODE_PADDING];
static const uint64_t empty_jumpdests[1];
const evm_code EVM_EMPTY_CODE = {
    .hash = {{0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d,
              0xb2, 0xdc, 0xc7, 0x03, 0xc0, 0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82,
              0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70}},
    .len = 0,
    .bytes = empty_bytes,
    .jumpdests = empty_jumpdests,
};

evm_code *evm_code_new(const uint8_t *bytes, size_t len, const bytes32 *hash) {
    evm_code *c = malloc(sizeof *c + len + EVM_CODE_PADDING);
    if (!c) abort();
    uint8_t *b = (uint8_t *)(c + 1);
    if (len) memcpy(b, bytes, len);
    memset(b + len, 0, EVM_CODE_PADDING);
    c->len = len;
    c->bytes = b;
    c->hash = hash ? *hash : keccak256_hash(bytes, len);
    atomic_init(&c->jumpdests, NULL);
    return c;
}

void evm_code_free(evm_code *code) {
    if (!code || code == &EVM_EMPTY_CODE) return;
    free((void *)atomic_load(&code->jumpdests));
    free(code);
}

void evm_code_analyze_into(const uint8_t *code, size_t len, uint64_t *bits) {
    memset(bits, 0, (len / 64 + 1) * sizeof(uint64_t));
    for (size_t i = 0; i < len; i++) {
        uint8_t op = code[i];
        if (op == 0x5b)
            bits[i / 64] |= 1ULL << (i % 64);
        else if (op >= 0x60 && op <= 0x7f)
            i += op - 0x5f; /* skip push data */
    }
}

static uint64_t *analyze(const uint8_t *code, size_t len) {
    uint64_t *bits = malloc((len / 64 + 1) * sizeof(uint64_t));
    if (!bits) abort();
    evm_code_analyze_into(code, len, bits);
    return bits;
}

const uint64_t *evm_code_jumpdests(const evm_code *code) {
    evm_code *c = (evm_code *)code;
    const uint64_t *jd = atomic_load_explicit(&c->jumpdests, memory_order_acquire);
    if (jd) return jd;
    uint64_t *fresh = analyze(c->bytes, c->len);
    const uint64_t *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&c->jumpdests, &expected, fresh,
                                                memory_order_acq_rel, memory_order_acquire))
        return fresh;
    free(fresh);
    return expected;
}
