/* Contract code objects and jump-destination analysis. The analysis runs on
 * a code object's first execution and is published with a single atomic
 * compare-and-swap, so code shared between threads is analysed once (or, on
 * a race, twice with identical results, one of which is dropped). */
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
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

/* The JUMPDEST and PUSH opcodes among the n bytes at p (n <= 64), as
 * bitmasks: bit k for byte k. */
static inline void opcode_masks(const uint8_t *p, size_t n, uint64_t *jd, uint64_t *push) {
#ifdef __SSE2__
    if (n == 64) {
        const __m128i jumpdest = _mm_set1_epi8(0x5b), push1 = _mm_set1_epi8(0x60), last = _mm_set1_epi8(0x1f);
        uint64_t j = 0, q = 0;
        for (int k = 0; k < 4; k++) {
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
            __m128i x = _mm_sub_epi8(b, push1); /* PUSH1..PUSH32 -> 0..31 */
            j |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, jumpdest)) << (16 * k);
            q |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, last), x)) << (16 * k);
        }
        *jd = j;
        *push = q;
        return;
    }
#endif
    uint64_t j = 0, q = 0;
    for (size_t k = 0; k < n; k++) {
        j |= (uint64_t)(p[k] == 0x5b) << k;
        q |= (uint64_t)(p[k] >= 0x60 && p[k] <= 0x7f) << k;
    }
    *jd = j;
    *push = q;
}

/* Walks the code 64 bytes at a time, stopping only at its PUSH opcodes
 * (every other byte is a one-byte instruction): the JUMPDEST bytes that
 * no PUSH's data covers are the jump destinations. */
void evm_code_analyze_into(const uint8_t *code, size_t len, uint64_t *bits) {
    memset(bits, 0, (len / 64 + 1) * sizeof(uint64_t));
    size_t i = 0; /* the next instruction */
    for (size_t base = 0; base < len; base += 64) {
        if (i >= base + 64) continue; /* all push data */
        uint64_t jd, push, data = 0;
        opcode_masks(code + base, len - base < 64 ? len - base : 64, &jd, &push);
        uint64_t live = ~0ULL << (i - base); /* the bytes from the first instruction on */
        for (uint64_t todo = push & live; todo;) {
            unsigned p = (unsigned)__builtin_ctzll(todo);
            size_t end = p + 1 + (size_t)(code[base + p] - 0x5f); /* past its data */
            uint64_t below_end = end >= 64 ? ~0ULL : ~(~0ULL << end);
            data |= (~1ULL << p) & below_end;
            todo = end >= 64 ? 0 : todo & (~0ULL << end);
            i = base + end;
        }
        bits[base / 64] = jd & live & ~data;
        if (i < base + 64) i = base + 64;
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
