/* BLS12-381 base field Fp (6 x 64-bit limbs, Montgomery form with R = 2^384)
 * and the scalar helpers. Constants are derived in
 * scripts/bls12_381_constants.py. */
#include "crypto/bls12_381.h"

#include <gmp.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* -p^-1 mod 2^64, for Montgomery reduction. */
static const uint64_t P_INV = 0x89f3fffcfffcfffdULL;
/* R^2 mod p (plain integer): multiplying by it enters Montgomery form. */
static const bls_fp R2 = {{0xf4df1f341c341746ULL, 0x0a76e6a609d104f1ULL,
                           0x8de5476c4c95b6d5ULL, 0x67eb88a9939d83c0ULL,
                           0x9a793e85b519952dULL, 0x11988fe592cae3aaULL}};
/* (p-1)/2, plain integer. */
static const uint64_t P_HALF[6] = {
    0xdcff7fffffffd555ULL, 0x0f55ffff58a9ffffULL, 0xb39869507b587b12ULL,
    0xb23ba5c279c2895fULL, 0x258dd3db21a5d66bULL, 0x0d0088f51cbff34dULL};
/* p - 2 (inversion by Fermat) and (p + 1) / 4 (square roots, p = 3 mod 4). */
static const uint64_t P_MINUS_2[6] = {
    0xb9feffffffffaaa9ULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
    0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};
static const uint64_t P_PLUS_1_DIV_4[6] = {
    0xee7fbfffffffeaabULL, 0x07aaffffac54ffffULL, 0xd9cc34a83dac3d89ULL,
    0xd91dd2e13ce144afULL, 0x92c6e9ed90d2eb35ULL, 0x0680447a8e5ff9a6ULL};

const bls_fp BLS_FP_ZERO = {{0}};
const bls_fp BLS_FP_ONE = {{0x760900000002fffdULL, 0xebf4000bc40c0002ULL,
                            0x5f48985753c758baULL, 0x77ce585370525745ULL,
                            0x5c071a97a256ec6dULL, 0x15f65ec3fa80e493ULL}};

const bls_scalar BLS_R = {{0xffffffff00000001ULL, 0x53bda402fffe5bfeULL,
                           0x3339d80809a1d805ULL, 0x73eda753299d7d48ULL}};

/* a >= b for 6-limb integers. */
static bool geq6(const uint64_t *a, const uint64_t *b) {
    for (int i = 5; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] > b[i];
    return true;
}

/* Montgomery reduction of the 12-limb t < p*2^384: r = t / 2^384 mod p.
 * Only used to leave Montgomery form, so it is kept simple. */
static void mont_reduce(uint64_t r[6], uint64_t t[13]) {
    for (int i = 0; i < 6; i++) {
        uint64_t m = t[i] * P_INV;
        u128 c = 0;
        for (int j = 0; j < 6; j++) {
            c += (u128)m * BLS_FP_P[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        for (int k = i + 6; c != 0 && k < 13; k++) {
            c += t[k];
            t[k] = (uint64_t)c;
            c >>= 64;
        }
    }
    bls_fp_reduce_once_(r, t + 6);
}

/* CIOS Montgomery multiplication in the "no carry" form: since the top limb
 * of p is below 2^63 - 1, the running sum t never needs a seventh limb. */
void bls_fp_mul_portable(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    uint64_t t[6] = {0};
    for (int i = 0; i < 6; i++) {
        uint64_t bi = b->l[i];
        u128 c = (u128)a->l[0] * bi + t[0];
        t[0] = (uint64_t)c;
        uint64_t hi = (uint64_t)(c >> 64);
        uint64_t m = t[0] * P_INV;
        u128 d = (u128)m * BLS_FP_P[0] + t[0];
        uint64_t hi2 = (uint64_t)(d >> 64);
        for (int j = 1; j < 6; j++) {
            c = (u128)a->l[j] * bi + t[j] + hi;
            hi = (uint64_t)(c >> 64);
            d = (u128)m * BLS_FP_P[j] + (uint64_t)c + hi2;
            hi2 = (uint64_t)(d >> 64);
            t[j - 1] = (uint64_t)d;
        }
        t[5] = hi + hi2;
    }
    bls_fp_reduce_once_(r->l, t);
}


void bls_fp_pow(bls_fp *r, const bls_fp *a, const uint64_t *e, size_t n) {
    /* Fixed 4-bit window, most significant first. */
    bls_fp table[16], acc = BLS_FP_ONE;
    table[0] = BLS_FP_ONE;
    for (int i = 1; i < 16; i++)
        bls_fp_mul(&table[i], &table[i - 1], a);
    bool started = false;
    for (size_t i = n * 16; i-- > 0;) {
        unsigned nib = (unsigned)(e[i / 16] >> (4 * (i % 16))) & 15;
        if (started)
            for (int s = 0; s < 4; s++)
                bls_fp_sqr(&acc, &acc);
        if (nib) {
            bls_fp_mul(&acc, &acc, &table[nib]);
            started = true;
        }
    }
    *r = acc;
}

/* R^3 mod p (plain integer): the Montgomery product of a plain inverse
 * (aR)^-1 with it is a^-1 R (scripts/bls12_381_map_constants.py). */
static const bls_fp R3 = {{0xed48ac6bd94ca1e0ULL, 0x315f831e03a7adf8ULL,
                           0x9a53352a615e29ddULL, 0x34c04e5e921e1761ULL,
                           0x2512d43565724728ULL, 0x0aa6346091755d4dULL}};

void bls_fp_inv_fermat(bls_fp *r, const bls_fp *a) {
    bls_fp_pow(r, a, P_MINUS_2, 6);
}

void bls_fp_inv(bls_fp *r, const bls_fp *a) {
    /* Extended Euclid (GMP's mpn_gcdext, no heap use at this size) is about
     * six times faster than Fermat's a^(p-2); the EIP-2537 additions are
     * priced for one inversion each. The Montgomery representation A = aR is
     * inverted as an integer, then A^-1 R^3 / R = a^-1 R. u = A + p keeps
     * both operands six limbs long with a non-zero top limb, as mpn_gcdext
     * requires; gcd(A + p, p) = 1 and u s + p t = 1 give s = A^-1 mod p. */
    if (bls_fp_is_zero(a)) {
        *r = BLS_FP_ZERO;
        return;
    }
    mp_limb_t u[7], v[7], g[7], s[7] = {0};
    mp_size_t sn = 0;
    _Static_assert(sizeof(mp_limb_t) == sizeof(uint64_t), "64-bit GMP limbs");
    mpn_add_n(u, (const mp_limb_t *)a->l, (const mp_limb_t *)BLS_FP_P, 6);
    memcpy(v, BLS_FP_P, sizeof BLS_FP_P);
    mp_size_t gn = mpn_gcdext(g, s, &sn, u, 6, v, 6);
    if (gn != 1 || g[0] != 1)
        abort(); /* p is prime and 0 < A < p: broken invariant */
    bls_fp t = BLS_FP_ZERO;
    mp_size_t n = sn < 0 ? -sn : sn;
    memcpy(t.l, s, (size_t)n * sizeof(uint64_t));
    if (sn < 0) /* s = -|s|, |s| < p */
        mpn_sub_n((mp_limb_t *)t.l, (const mp_limb_t *)BLS_FP_P, (const mp_limb_t *)t.l, 6);
    bls_fp_mul(r, &t, &R3);
}

void bls_fp_sqrt_candidate(bls_fp *r, const bls_fp *a) {
    bls_fp_pow(r, a, P_PLUS_1_DIV_4, 6);
}

bool bls_fp_sqrt(bls_fp *r, const bls_fp *a) {
    bls_fp s, chk;
    bls_fp_pow(&s, a, P_PLUS_1_DIV_4, 6);
    bls_fp_sqr(&chk, &s);
    if (!bls_fp_eq(&chk, a))
        return false;
    *r = s;
    return true;
}

/* The plain integer value of a (leaves Montgomery form). */
static void fp_to_plain(uint64_t out[6], const bls_fp *a) {
    uint64_t t[13] = {0};
    memcpy(t, a->l, 48);
    mont_reduce(out, t);
}

bool bls_fp_sgn0(const bls_fp *a) {
    uint64_t v[6];
    fp_to_plain(v, a);
    return v[0] & 1;
}

bool bls_fp_is_lex_largest(const bls_fp *a) {
    uint64_t v[6];
    fp_to_plain(v, a);
    /* v > (p-1)/2  <=>  !(P_HALF >= v) */
    return !geq6(P_HALF, v);
}

bool bls_fp_from_bytes(bls_fp *r, const uint8_t in[48]) {
    bls_fp v;
    for (int i = 0; i < 6; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(5 - i) * 8 + j];
        v.l[i] = w;
    }
    if (geq6(v.l, BLS_FP_P))
        return false;
    bls_fp_mul(r, &v, &R2);
    return true;
}

void bls_fp_to_bytes(uint8_t out[48], const bls_fp *a) {
    uint64_t v[6];
    fp_to_plain(v, a);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++)
            out[(5 - i) * 8 + j] = (uint8_t)(v[i] >> (56 - 8 * j));
}

void bls_fp_from_u64(bls_fp *r, uint64_t v) {
    bls_fp t = {{v, 0, 0, 0, 0, 0}};
    bls_fp_mul(r, &t, &R2);
}

/* ---- Scalars ------------------------------------------------------------- */

bool bls_scalar_from_bytes(bls_scalar *r, const uint8_t in[32]) {
    bls_scalar v;
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(3 - i) * 8 + j];
        v.l[i] = w;
    }
    for (int i = 3; i >= 0; i--) {
        if (v.l[i] != BLS_R.l[i]) {
            if (v.l[i] > BLS_R.l[i])
                return false;
            break;
        }
        if (i == 0)
            return false;               /* equal to r */
    }
    *r = v;
    return true;
}

unsigned bls_scalar_bits(const bls_scalar *k) {
    for (int i = 3; i >= 0; i--)
        if (k->l[i])
            return (unsigned)(64 * i + 64 - __builtin_clzll(k->l[i]));
    return 0;
}

void bls_scalar_neg(bls_scalar *r, const bls_scalar *a) {
    bool zero = (a->l[0] | a->l[1] | a->l[2] | a->l[3]) == 0;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)BLS_R.l[i] - a->l[i] - borrow;
        r->l[i] = zero ? 0 : (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}
