/* Keccak-256 (and Keccak-512, for Ethash) with a fully unrolled
 * Keccak-f[1600]: the 25 lanes live in locals so the compiler keeps them in
 * registers across the 24 rounds. */
#include "parevm/keccak.h"
#include "keccak_rc.h"

const bytes32 EMPTY_CODE_HASH = {{0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c,
                                   0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0,
                                   0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82, 0x27, 0x3b,
                                   0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70}};
const bytes32 EMPTY_TRIE_ROOT = {{0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                   0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                   0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                   0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21}};
const bytes32 EMPTY_LIST_HASH = {{0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a,
                                   0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                                   0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13,
                                   0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47}};

#define ROL(x, n) (((x) << (n)) | ((x) >> ((64 - (n)) & 63)))

/* One round: theta, rho+pi into B, chi back into A, iota. Lane (x,y) is
 * A##x##y. rho offsets and the pi permutation are written out. */
#define KECCAK_ROUND(rc)                                                        \
    do {                                                                        \
        uint64_t c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04;                              \
        uint64_t c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14;                              \
        uint64_t c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24;                              \
        uint64_t c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34;                              \
        uint64_t c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44;                              \
        uint64_t d0 = c4 ^ ROL(c1, 1), d1 = c0 ^ ROL(c2, 1);                    \
        uint64_t d2 = c1 ^ ROL(c3, 1), d3 = c2 ^ ROL(c4, 1);                    \
        uint64_t d4 = c3 ^ ROL(c0, 1);                                          \
        /* B[y][2x+3y] = ROL(A[x][y] ^ D[x], r[x][y]) */                        \
        uint64_t b00 = a00 ^ d0;                                                \
        uint64_t b13 = ROL(a01 ^ d0, 36);                                       \
        uint64_t b21 = ROL(a02 ^ d0, 3);                                        \
        uint64_t b34 = ROL(a03 ^ d0, 41);                                       \
        uint64_t b42 = ROL(a04 ^ d0, 18);                                       \
        uint64_t b02 = ROL(a10 ^ d1, 1);                                        \
        uint64_t b10 = ROL(a11 ^ d1, 44);                                       \
        uint64_t b23 = ROL(a12 ^ d1, 10);                                       \
        uint64_t b31 = ROL(a13 ^ d1, 45);                                       \
        uint64_t b44 = ROL(a14 ^ d1, 2);                                        \
        uint64_t b04 = ROL(a20 ^ d2, 62);                                       \
        uint64_t b12 = ROL(a21 ^ d2, 6);                                        \
        uint64_t b20 = ROL(a22 ^ d2, 43);                                       \
        uint64_t b33 = ROL(a23 ^ d2, 15);                                       \
        uint64_t b41 = ROL(a24 ^ d2, 61);                                       \
        uint64_t b01 = ROL(a30 ^ d3, 28);                                       \
        uint64_t b14 = ROL(a31 ^ d3, 55);                                       \
        uint64_t b22 = ROL(a32 ^ d3, 25);                                       \
        uint64_t b30 = ROL(a33 ^ d3, 21);                                       \
        uint64_t b43 = ROL(a34 ^ d3, 56);                                       \
        uint64_t b03 = ROL(a40 ^ d4, 27);                                       \
        uint64_t b11 = ROL(a41 ^ d4, 20);                                       \
        uint64_t b24 = ROL(a42 ^ d4, 39);                                       \
        uint64_t b32 = ROL(a43 ^ d4, 8);                                        \
        uint64_t b40 = ROL(a44 ^ d4, 14);                                       \
        a00 = b00 ^ (~b10 & b20) ^ (rc);                                        \
        a10 = b10 ^ (~b20 & b30);                                               \
        a20 = b20 ^ (~b30 & b40);                                               \
        a30 = b30 ^ (~b40 & b00);                                               \
        a40 = b40 ^ (~b00 & b10);                                               \
        a01 = b01 ^ (~b11 & b21);                                               \
        a11 = b11 ^ (~b21 & b31);                                               \
        a21 = b21 ^ (~b31 & b41);                                               \
        a31 = b31 ^ (~b41 & b01);                                               \
        a41 = b41 ^ (~b01 & b11);                                               \
        a02 = b02 ^ (~b12 & b22);                                               \
        a12 = b12 ^ (~b22 & b32);                                               \
        a22 = b22 ^ (~b32 & b42);                                               \
        a32 = b32 ^ (~b42 & b02);                                               \
        a42 = b42 ^ (~b02 & b12);                                               \
        a03 = b03 ^ (~b13 & b23);                                               \
        a13 = b13 ^ (~b23 & b33);                                               \
        a23 = b23 ^ (~b33 & b43);                                               \
        a33 = b33 ^ (~b43 & b03);                                               \
        a43 = b43 ^ (~b03 & b13);                                               \
        a04 = b04 ^ (~b14 & b24);                                               \
        a14 = b14 ^ (~b24 & b34);                                               \
        a24 = b24 ^ (~b34 & b44);                                               \
        a34 = b34 ^ (~b44 & b04);                                               \
        a44 = b44 ^ (~b04 & b14);                                               \
    } while (0)

/* Lane (x, y) is s[x + 5y]. Inlined into the two copies below. */
static inline __attribute__((always_inline)) void permute(uint64_t s[25]) {
    uint64_t a00 = s[0], a10 = s[1], a20 = s[2], a30 = s[3], a40 = s[4];
    uint64_t a01 = s[5], a11 = s[6], a21 = s[7], a31 = s[8], a41 = s[9];
    uint64_t a02 = s[10], a12 = s[11], a22 = s[12], a32 = s[13], a42 = s[14];
    uint64_t a03 = s[15], a13 = s[16], a23 = s[17], a33 = s[18], a43 = s[19];
    uint64_t a04 = s[20], a14 = s[21], a24 = s[22], a34 = s[23], a44 = s[24];
    for (int r = 0; r < 24; r += 2) {
        KECCAK_ROUND(KECCAK_RC[r]);
        KECCAK_ROUND(KECCAK_RC[r + 1]);
    }
    s[0] = a00; s[1] = a10; s[2] = a20; s[3] = a30; s[4] = a40;
    s[5] = a01; s[6] = a11; s[7] = a21; s[8] = a31; s[9] = a41;
    s[10] = a02; s[11] = a12; s[12] = a22; s[13] = a32; s[14] = a42;
    s[15] = a03; s[16] = a13; s[17] = a23; s[18] = a33; s[19] = a43;
    s[20] = a04; s[21] = a14; s[22] = a24; s[23] = a34; s[24] = a44;
}

/* A second copy for x86-64-v3 CPUs: BMI1's andn does chi's ~b & c in one
 * instruction and BMI2's rorx rotates without touching flags, about 15%
 * faster on the trie's branch hashes. The build stays x86-64-v2; the copy is
 * picked per call from the CPU's features (a load and a test; an ifunc would
 * run before ThreadSanitizer's runtime is up).
 *
 * No AVX-512 copy of this one-state permutation: one state as five zmm
 * rows (theta and chi by ternary logic, rho by per-lane rotates) needs about
 * 25 lane permutes a round for pi and chi's neighbours, on the critical
 * path; it ran at 0.8x this copy on a Zen 4 (2026-12). Eight states at
 * once, one per lane of 25 zmm registers, ran at 6x per state there: that
 * is keccak256_many (keccak_many.c), which the trie engine feeds with the
 * changed nodes of one height at a time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define KECCAK_V3 1
static __attribute__((target("arch=x86-64-v3"))) void permute_v3(uint64_t s[25]) { permute(s); }
#endif

void keccak_f1600_baseline(uint64_t s[25]) { permute(s); }

void keccak_f1600(uint64_t s[25]) {
#ifdef KECCAK_V3
    if (__builtin_cpu_supports("x86-64-v3")) {
        permute_v3(s);
        return;
    }
#endif
    permute(s);
}

#define RATE 136

static inline uint64_t load64_le(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8); /* x86-64 is little-endian, as Keccak lanes are */
    return v;
}

static void absorb_block(uint64_t s[25], const uint8_t *p) {
    for (int i = 0; i < RATE / 8; i++) s[i] ^= load64_le(p + 8 * i);
    keccak_f1600(s);
}

#define RATE512 72

static void absorb_block512(uint64_t s[25], const uint8_t *p) {
    for (int i = 0; i < RATE512 / 8; i++) s[i] ^= load64_le(p + 8 * i);
    keccak_f1600(s);
}

void keccak_init(keccak_ctx *c) { memset(c, 0, sizeof(*c)); }

void keccak_update(keccak_ctx *c, const void *data, size_t len) {
    const uint8_t *p = data;
    if (!len) return; /* data may be NULL */
    if (c->n) {
        size_t take = RATE - c->n < len ? RATE - c->n : len;
        memcpy(c->buf + c->n, p, take);
        c->n += take;
        p += take;
        len -= take;
        if (c->n < RATE) return;
        absorb_block(c->s, c->buf);
        c->n = 0;
    }
    while (len >= RATE) {
        absorb_block(c->s, p);
        p += RATE;
        len -= RATE;
    }
    if (len) {
        memcpy(c->buf, p, len);
        c->n = len;
    }
}

void keccak_final(keccak_ctx *c, uint8_t out[32]) {
    memset(c->buf + c->n, 0, RATE - c->n);
    c->buf[c->n] ^= 0x01;
    c->buf[RATE - 1] ^= 0x80;
    absorb_block(c->s, c->buf);
    memcpy(out, c->s, 32);
}

void keccak256(const void *data, size_t len, uint8_t out[32]) {
    uint64_t s[25] = {0};
    const uint8_t *p = data;
    while (len >= RATE) {
        absorb_block(s, p);
        p += RATE;
        len -= RATE;
    }
    uint8_t last[RATE] = {0};
    if (len) memcpy(last, p, len);
    last[len] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    absorb_block(s, last);
    memcpy(out, s, 32);
}

void keccak512(const void *data, size_t len, uint8_t out[64]) {
    uint64_t s[25] = {0};
    const uint8_t *p = data;
    while (len >= RATE512) {
        absorb_block512(s, p);
        p += RATE512;
        len -= RATE512;
    }
    uint8_t last[RATE512] = {0};
    if (len) memcpy(last, p, len);
    last[len] ^= 0x01;
    last[RATE512 - 1] ^= 0x80;
    absorb_block512(s, last);
    memcpy(out, s, 64);
}
