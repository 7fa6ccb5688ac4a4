/* 0x09 BLAKE2F (EIP-152): the BLAKE2b compression function F with a
 * caller-chosen number of rounds.
 *
 * Input (213 bytes): rounds (4, big-endian), h (8 x 8, little-endian),
 * m (16 x 8, little-endian), t (2 x 8, little-endian), f (1: 0 or 1).
 * Output: the new h (64 bytes, little-endian). The round count can be up to
 * 2^32 - 1 (gas is one per round), so the round loop is kept tight: the
 * message permutation of each round is a row of SIGMA, cycled every ten. */
#include "parevm/precompile_math.h"

#define BLAKE2F_INPUT_BYTES 213

static const uint64_t BLAKE2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
    0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
    0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t SIGMA[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static inline uint64_t load64_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void store64_le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t rotr64(uint64_t x, int n) {
    return (x >> n) | (x << (64 - n));
}

/* The BLAKE2b mixing function G on four state words. */
#define G(a, b, c, d, x, y)              \
    do {                                 \
        a = a + b + (x);                 \
        d = rotr64(d ^ a, 32);           \
        c = c + d;                       \
        b = rotr64(b ^ c, 24);           \
        a = a + b + (y);                 \
        d = rotr64(d ^ a, 16);           \
        c = c + d;                       \
        b = rotr64(b ^ c, 63);           \
    } while (0)

/* One round with message schedule SIGMA[row], spelled out so the message
 * indices are compile-time constants. */
#define ROUND(row)                                                           \
    do {                                                                     \
        G(v0, v4, v8, v12, m[SIGMA[row][0]], m[SIGMA[row][1]]);              \
        G(v1, v5, v9, v13, m[SIGMA[row][2]], m[SIGMA[row][3]]);              \
        G(v2, v6, v10, v14, m[SIGMA[row][4]], m[SIGMA[row][5]]);             \
        G(v3, v7, v11, v15, m[SIGMA[row][6]], m[SIGMA[row][7]]);             \
        G(v0, v5, v10, v15, m[SIGMA[row][8]], m[SIGMA[row][9]]);             \
        G(v1, v6, v11, v12, m[SIGMA[row][10]], m[SIGMA[row][11]]);           \
        G(v2, v7, v8, v13, m[SIGMA[row][12]], m[SIGMA[row][13]]);            \
        G(v3, v4, v9, v14, m[SIGMA[row][14]], m[SIGMA[row][15]]);            \
    } while (0)

/* F(h, m, t, f) with the given number of rounds (RFC 7693 section 3.2).
 * Round r uses row r mod 10 of SIGMA; the switch gives each row its own
 * copy of the round with constant message indices. */
static void blake2b_compress(uint64_t h[8], const uint64_t m[16], uint64_t t0, uint64_t t1,
                             bool final_block, uint32_t rounds) {
    uint64_t v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3];
    uint64_t v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
    uint64_t v8 = BLAKE2B_IV[0], v9 = BLAKE2B_IV[1], v10 = BLAKE2B_IV[2];
    uint64_t v11 = BLAKE2B_IV[3], v12 = BLAKE2B_IV[4] ^ t0, v13 = BLAKE2B_IV[5] ^ t1;
    uint64_t v14 = final_block ? ~BLAKE2B_IV[6] : BLAKE2B_IV[6], v15 = BLAKE2B_IV[7];
    unsigned row = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        switch (row) {
        case 0: ROUND(0); break;
        case 1: ROUND(1); break;
        case 2: ROUND(2); break;
        case 3: ROUND(3); break;
        case 4: ROUND(4); break;
        case 5: ROUND(5); break;
        case 6: ROUND(6); break;
        case 7: ROUND(7); break;
        case 8: ROUND(8); break;
        default: ROUND(9); break;
        }
        row = row == 9 ? 0 : row + 1;
    }
    h[0] ^= v0 ^ v8, h[1] ^= v1 ^ v9, h[2] ^= v2 ^ v10, h[3] ^= v3 ^ v11;
    h[4] ^= v4 ^ v12, h[5] ^= v5 ^ v13, h[6] ^= v6 ^ v14, h[7] ^= v7 ^ v15;
}

bool blake2f_rounds(const uint8_t *in, size_t len, uint32_t *rounds) {
    if (len != BLAKE2F_INPUT_BYTES)
        return false;
    *rounds = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
    return true;
}

bool blake2f(const uint8_t *in, size_t len, uint8_t out[64]) {
    uint32_t rounds;
    if (!blake2f_rounds(in, len, &rounds) || in[212] > 1)
        return false;
    uint64_t h[8], m[16];
    for (int i = 0; i < 8; i++)
        h[i] = load64_le(in + 4 + 8 * i);
    for (int i = 0; i < 16; i++)
        m[i] = load64_le(in + 68 + 8 * i);
    uint64_t t0 = load64_le(in + 196), t1 = load64_le(in + 204);
    blake2b_compress(h, m, t0, t1, in[212] == 1, rounds);
    for (int i = 0; i < 8; i++)
        store64_le(out + 8 * i, h[i]);
    return true;
}
