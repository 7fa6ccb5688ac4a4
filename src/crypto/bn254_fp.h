/* BN254 base field Fp (p = 0x30644e72...fd47, 254 bits) on four 64-bit limbs
 * in Montgomery form (R = 2^256). Internal to src/crypto.
 *
 * Every fp value is fully reduced, in [0, p), so equality is limb equality.
 * The arithmetic is static inline: the tower, curve and pairing code spends
 * almost all of its time here. Nothing here is constant time; the precompile
 * inputs are public. Results may alias operands. */
#ifndef PAREVM_CRYPTO_BN254_FP_H
#define PAREVM_CRYPTO_BN254_FP_H

#include <stdbool.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

typedef unsigned __int128 u128;

/* An element of Fp in Montgomery form: value * 2^256 mod p, little-endian. */
typedef struct {
    uint64_t v[4];
} fp;

/* The modulus p, little-endian limbs. */
#define BN254_P0 0x3c208c16d87cfd47ULL
#define BN254_P1 0x97816a916871ca8dULL
#define BN254_P2 0xb85045b68181585dULL
#define BN254_P3 0x30644e72e131a029ULL
/* -p^-1 mod 2^64, the Montgomery reduction factor. */
#define BN254_PINV 0x87d20782e4866389ULL

extern const fp FP_ZERO;
extern const fp FP_ONE; /* R mod p, i.e. 1 in Montgomery form */

/* Add/subtract with carry. The x86-64 intrinsics compile to adc/sbb
 * chains; the generic 128-bit form is what other targets get. */
#if defined(__x86_64__)
static inline uint64_t fp_adc(uint64_t a, uint64_t b, unsigned char *carry) {
    unsigned long long r;
    *carry = _addcarry_u64(*carry, a, b, &r);
    return r;
}
static inline uint64_t fp_sbb(uint64_t a, uint64_t b, unsigned char *borrow) {
    unsigned long long r;
    *borrow = _subborrow_u64(*borrow, a, b, &r);
    return r;
}
#else
static inline uint64_t fp_adc(uint64_t a, uint64_t b, unsigned char *carry) {
    u128 t = (u128)a + b + *carry;
    *carry = (unsigned char)(t >> 64);
    return (uint64_t)t;
}
static inline uint64_t fp_sbb(uint64_t a, uint64_t b, unsigned char *borrow) {
    u128 t = (u128)a - b - *borrow;
    *borrow = (unsigned char)(t >> 127);
    return (uint64_t)t;
}
#endif

/* r = s - p if s >= p else s; s < 2p on entry. Branch-free: the outcome is
 * a coin flip for random operands, and a mispredicted branch costs more than
 * the selection. */
static inline void fp_reduce_once(fp *r, uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
    unsigned char borrow = 0;
    uint64_t t0 = fp_sbb(s0, BN254_P0, &borrow);
    uint64_t t1 = fp_sbb(s1, BN254_P1, &borrow);
    uint64_t t2 = fp_sbb(s2, BN254_P2, &borrow);
    uint64_t t3 = fp_sbb(s3, BN254_P3, &borrow);
    uint64_t keep_s = -(uint64_t)borrow; /* all ones if s < p */
    r->v[0] = (s0 & keep_s) | (t0 & ~keep_s);
    r->v[1] = (s1 & keep_s) | (t1 & ~keep_s);
    r->v[2] = (s2 & keep_s) | (t2 & ~keep_s);
    r->v[3] = (s3 & keep_s) | (t3 & ~keep_s);
}

/* r = a + b. 2p < 2^255, so the sum never carries out of four limbs. */
static inline void fp_add(fp *r, const fp *a, const fp *b) {
    unsigned char carry = 0;
    uint64_t s0 = fp_adc(a->v[0], b->v[0], &carry);
    uint64_t s1 = fp_adc(a->v[1], b->v[1], &carry);
    uint64_t s2 = fp_adc(a->v[2], b->v[2], &carry);
    uint64_t s3 = fp_adc(a->v[3], b->v[3], &carry);
    fp_reduce_once(r, s0, s1, s2, s3);
}

/* r = a - b, adding p back (masked, branch-free) when it went negative. */
static inline void fp_sub(fp *r, const fp *a, const fp *b) {
    unsigned char borrow = 0, carry = 0;
    uint64_t s0 = fp_sbb(a->v[0], b->v[0], &borrow);
    uint64_t s1 = fp_sbb(a->v[1], b->v[1], &borrow);
    uint64_t s2 = fp_sbb(a->v[2], b->v[2], &borrow);
    uint64_t s3 = fp_sbb(a->v[3], b->v[3], &borrow);
    uint64_t mask = -(uint64_t)borrow; /* the carry out is dropped below */
    r->v[0] = fp_adc(s0, BN254_P0 & mask, &carry);
    r->v[1] = fp_adc(s1, BN254_P1 & mask, &carry);
    r->v[2] = fp_adc(s2, BN254_P2 & mask, &carry);
    r->v[3] = fp_adc(s3, BN254_P3 & mask, &carry);
}

/* a == 0 */
static inline bool fp_is_zero(const fp *a) {
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0;
}

/* a == b */
static inline bool fp_eq(const fp *a, const fp *b) {
    return ((a->v[0] ^ b->v[0]) | (a->v[1] ^ b->v[1]) | (a->v[2] ^ b->v[2]) |
            (a->v[3] ^ b->v[3])) == 0;
}

/* r = -a. */
static inline void fp_neg(fp *r, const fp *a) {
    fp_sub(r, &FP_ZERO, a);
}

/* r = 2a. */
static inline void fp_dbl(fp *r, const fp *a) {
    fp_add(r, a, a);
}

/* r = a / 2: a is halved directly when even, a + p when odd. */
static inline void fp_half(fp *r, const fp *a) {
    uint64_t mask = -(a->v[0] & 1);
    unsigned char carry = 0;
    uint64_t s0 = fp_adc(a->v[0], BN254_P0 & mask, &carry);
    uint64_t s1 = fp_adc(a->v[1], BN254_P1 & mask, &carry);
    uint64_t s2 = fp_adc(a->v[2], BN254_P2 & mask, &carry);
    uint64_t s3 = fp_adc(a->v[3], BN254_P3 & mask, &carry); /* < 2^255 */
    r->v[0] = (s0 >> 1) | (s1 << 63);
    r->v[1] = (s1 >> 1) | (s2 << 63);
    r->v[2] = (s2 >> 1) | (s3 << 63);
    r->v[3] = s3 >> 1;
}

/* r = a * b / R mod p (CIOS Montgomery multiplication). Because p's top limb
 * is below 2^62, the running sum stays below 2p and fits in four limbs plus
 * one carry word, so a single conditional subtraction finishes. */
static inline void fp_mul(fp *r, const fp *a, const fp *b) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t bi = b->v[i];
        u128 acc = (u128)a->v[0] * bi + t0;
        t0 = (uint64_t)acc;
        acc = (u128)a->v[1] * bi + t1 + (uint64_t)(acc >> 64);
        t1 = (uint64_t)acc;
        acc = (u128)a->v[2] * bi + t2 + (uint64_t)(acc >> 64);
        t2 = (uint64_t)acc;
        acc = (u128)a->v[3] * bi + t3 + (uint64_t)(acc >> 64);
        t3 = (uint64_t)acc;
        uint64_t t4 = (uint64_t)(acc >> 64);

        uint64_t m = t0 * BN254_PINV;
        acc = (u128)m * BN254_P0 + t0; /* low word cancels */
        acc = (u128)m * BN254_P1 + t1 + (uint64_t)(acc >> 64);
        t0 = (uint64_t)acc;
        acc = (u128)m * BN254_P2 + t2 + (uint64_t)(acc >> 64);
        t1 = (uint64_t)acc;
        acc = (u128)m * BN254_P3 + t3 + (uint64_t)(acc >> 64);
        t2 = (uint64_t)acc;
        t3 = t4 + (uint64_t)(acc >> 64);
    }
    fp_reduce_once(r, t0, t1, t2, t3);
}

/* r = a^2 / R mod p. */
static inline void fp_sqr(fp *r, const fp *a) {
    fp_mul(r, a, a);
}

/* r = a^-1 (0 maps to 0). Variable time (safegcd divsteps, not Fermat). */
void fp_inv(fp *r, const fp *a);

/* Converts 32 big-endian bytes to Montgomery form. Returns false (and leaves
 * r unspecified) if the value is >= p. */
bool fp_from_bytes(fp *r, const uint8_t in[32]);
/* Writes the canonical value of a as 32 big-endian bytes. */
void fp_to_bytes(uint8_t out[32], const fp *a);
/* r = a converted into Montgomery form; a is a plain value below p. */
void fp_from_plain(fp *r, const uint64_t a[4]);

#endif
