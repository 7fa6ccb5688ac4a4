/* keccak256_many: many independent messages hashed together. On CPUs with
 * AVX-512F eight Keccak states run side by side, state i in 64-bit lane i of
 * 25 zmm registers, so each instruction advances eight hashes (theta's
 * five-way XOR and chi by ternary logic, rho by per-lane rotates, pi by
 * renaming registers). On a Zen 4 that is about 6x one state's permutation
 * per hash. Elsewhere it is keccak256 in a loop. */
#include <string.h>

#include "parevm/keccak.h"

enum { RATE = 136, LANES = RATE / 8, WAYS = 8 };

static void many_scalar(size_t n, const uint8_t *const data[], const size_t len[], uint8_t *const out[]) {
    for (size_t i = 0; i < n; i++) keccak256(data[i], len[i], out[i]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define KECCAK_X8 1
#include <immintrin.h>

#include "keccak_rc.h"

#define X8 __attribute__((target("avx512f"))) static inline
X8 __m512i xor3(__m512i a, __m512i b, __m512i c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
/* a ^ (~b & c): chi's step. */
X8 __m512i chi(__m512i a, __m512i b, __m512i c) { return _mm512_ternarylogic_epi64(a, b, c, 0xd2); }
#define ROLV(x, n) _mm512_rol_epi64((x), (n))

/* The 24 rounds on eight states; a[x + 5y] holds lane (x, y) of each. */
__attribute__((target("avx512f"))) static void permute_x8(__m512i a[25]) {
    __m512i a00 = a[0], a10 = a[1], a20 = a[2], a30 = a[3], a40 = a[4];
    __m512i a01 = a[5], a11 = a[6], a21 = a[7], a31 = a[8], a41 = a[9];
    __m512i a02 = a[10], a12 = a[11], a22 = a[12], a32 = a[13], a42 = a[14];
    __m512i a03 = a[15], a13 = a[16], a23 = a[17], a33 = a[18], a43 = a[19];
    __m512i a04 = a[20], a14 = a[21], a24 = a[22], a34 = a[23], a44 = a[24];
    for (int r = 0; r < 24; r++) {
        __m512i c0 = xor3(xor3(a00, a01, a02), a03, a04);
        __m512i c1 = xor3(xor3(a10, a11, a12), a13, a14);
        __m512i c2 = xor3(xor3(a20, a21, a22), a23, a24);
        __m512i c3 = xor3(xor3(a30, a31, a32), a33, a34);
        __m512i c4 = xor3(xor3(a40, a41, a42), a43, a44);
        __m512i d0 = _mm512_xor_si512(c4, ROLV(c1, 1)), d1 = _mm512_xor_si512(c0, ROLV(c2, 1));
        __m512i d2 = _mm512_xor_si512(c1, ROLV(c3, 1)), d3 = _mm512_xor_si512(c2, ROLV(c4, 1));
        __m512i d4 = _mm512_xor_si512(c3, ROLV(c0, 1));
        /* B[y][2x+3y] = ROL(A[x][y] ^ D[x], r[x][y]), as in keccak.c */
        __m512i b00 = _mm512_xor_si512(a00, d0);
        __m512i b13 = ROLV(_mm512_xor_si512(a01, d0), 36);
        __m512i b21 = ROLV(_mm512_xor_si512(a02, d0), 3);
        __m512i b34 = ROLV(_mm512_xor_si512(a03, d0), 41);
        __m512i b42 = ROLV(_mm512_xor_si512(a04, d0), 18);
        __m512i b02 = ROLV(_mm512_xor_si512(a10, d1), 1);
        __m512i b10 = ROLV(_mm512_xor_si512(a11, d1), 44);
        __m512i b23 = ROLV(_mm512_xor_si512(a12, d1), 10);
        __m512i b31 = ROLV(_mm512_xor_si512(a13, d1), 45);
        __m512i b44 = ROLV(_mm512_xor_si512(a14, d1), 2);
        __m512i b04 = ROLV(_mm512_xor_si512(a20, d2), 62);
        __m512i b12 = ROLV(_mm512_xor_si512(a21, d2), 6);
        __m512i b20 = ROLV(_mm512_xor_si512(a22, d2), 43);
        __m512i b33 = ROLV(_mm512_xor_si512(a23, d2), 15);
        __m512i b41 = ROLV(_mm512_xor_si512(a24, d2), 61);
        __m512i b01 = ROLV(_mm512_xor_si512(a30, d3), 28);
        __m512i b14 = ROLV(_mm512_xor_si512(a31, d3), 55);
        __m512i b22 = ROLV(_mm512_xor_si512(a32, d3), 25);
        __m512i b30 = ROLV(_mm512_xor_si512(a33, d3), 21);
        __m512i b43 = ROLV(_mm512_xor_si512(a34, d3), 56);
        __m512i b03 = ROLV(_mm512_xor_si512(a40, d4), 27);
        __m512i b11 = ROLV(_mm512_xor_si512(a41, d4), 20);
        __m512i b24 = ROLV(_mm512_xor_si512(a42, d4), 39);
        __m512i b32 = ROLV(_mm512_xor_si512(a43, d4), 8);
        __m512i b40 = ROLV(_mm512_xor_si512(a44, d4), 14);
        a00 = _mm512_xor_si512(chi(b00, b10, b20), _mm512_set1_epi64((long long)KECCAK_RC[r]));
        a10 = chi(b10, b20, b30), a20 = chi(b20, b30, b40), a30 = chi(b30, b40, b00), a40 = chi(b40, b00, b10);
        a01 = chi(b01, b11, b21), a11 = chi(b11, b21, b31), a21 = chi(b21, b31, b41);
        a31 = chi(b31, b41, b01), a41 = chi(b41, b01, b11);
        a02 = chi(b02, b12, b22), a12 = chi(b12, b22, b32), a22 = chi(b22, b32, b42);
        a32 = chi(b32, b42, b02), a42 = chi(b42, b02, b12);
        a03 = chi(b03, b13, b23), a13 = chi(b13, b23, b33), a23 = chi(b23, b33, b43);
        a33 = chi(b33, b43, b03), a43 = chi(b43, b03, b13);
        a04 = chi(b04, b14, b24), a14 = chi(b14, b24, b34), a24 = chi(b24, b34, b44);
        a34 = chi(b34, b44, b04), a44 = chi(b44, b04, b14);
    }
    a[0] = a00, a[1] = a10, a[2] = a20, a[3] = a30, a[4] = a40;
    a[5] = a01, a[6] = a11, a[7] = a21, a[8] = a31, a[9] = a41;
    a[10] = a02, a[11] = a12, a[12] = a22, a[13] = a32, a[14] = a42;
    a[15] = a03, a[16] = a13, a[17] = a23, a[18] = a33, a[19] = a43;
    a[20] = a04, a[21] = a14, a[22] = a24, a[23] = a34, a[24] = a44;
}

/* Block k of message (p, len) with Keccak's padding, or zeros past its
 * last block (absorbing zeros leaves a finished state's output alone:
 * that output was taken after its last block). */
static void padded_block(const uint8_t *p, size_t len, size_t k, uint8_t blk[RATE]) {
    size_t blocks = len / RATE + 1, at = k * RATE;
    memset(blk, 0, RATE);
    if (k >= blocks) return;
    size_t take = len - at < RATE ? len - at : RATE;
    if (take) memcpy(blk, p + at, take);
    if (k == blocks - 1) {
        blk[take] ^= 0x01;
        blk[RATE - 1] ^= 0x80;
    }
}

/* Up to eight messages; lanes past n hash nothing. */
__attribute__((target("avx512f"))) static void group_x8(size_t n, const uint8_t *const data[],
                                                         const size_t len[], uint8_t *const out[]) {
    __m512i a[25];
    for (int i = 0; i < 25; i++) a[i] = _mm512_setzero_si512();
    size_t blocks[WAYS], most = 0;
    for (size_t l = 0; l < WAYS; l++) {
        blocks[l] = l < n ? len[l] / RATE + 1 : 0;
        if (blocks[l] > most) most = blocks[l];
    }
    uint64_t lanes[LANES][WAYS] __attribute__((aligned(64)));
    for (size_t k = 0; k < most; k++) {
        for (size_t l = 0; l < WAYS; l++) {
            uint8_t blk[RATE];
            padded_block(l < n ? data[l] : NULL, l < n ? len[l] : 0, l < n ? k : SIZE_MAX, blk);
            for (int i = 0; i < LANES; i++) memcpy(&lanes[i][l], blk + 8 * i, 8);
        }
        for (int i = 0; i < LANES; i++) a[i] = _mm512_xor_si512(a[i], _mm512_load_si512(lanes[i]));
        permute_x8(a);
        uint64_t first[4][WAYS] __attribute__((aligned(64)));
        bool stored = false;
        for (size_t l = 0; l < n; l++) {
            if (blocks[l] != k + 1) continue;
            if (!stored) {
                for (int i = 0; i < 4; i++) _mm512_store_si512(first[i], a[i]);
                stored = true;
            }
            for (int i = 0; i < 4; i++) memcpy(out[l] + 8 * i, &first[i][l], 8);
        }
    }
}

static void many_x8(size_t n, const uint8_t *const data[], const size_t len[], uint8_t *const out[]) {
    while (n >= 2) {
        size_t g = n < WAYS ? n : WAYS;
        group_x8(g, data, len, out);
        data += g, len += g, out += g, n -= g;
    }
    many_scalar(n, data, len, out);
}
#endif

void keccak256_many(size_t n, const uint8_t *const data[], const size_t len[], uint8_t *const out[]) {
#ifdef KECCAK_X8
    if (n >= 2 && __builtin_cpu_supports("avx512f")) {
        many_x8(n, data, len, out);
        return;
    }
#endif
    many_scalar(n, data, len, out);
}

bool keccak256_many_vectorised(void) {
#ifdef KECCAK_X8
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}
