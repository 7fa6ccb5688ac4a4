/* Unit tests for the BN254 field tower (src/crypto/bn254_fp.c,
 * bn254_tower.c): Fp against GMP on random and edge values, the hard-coded
 * Frobenius constants against exponentiation, Fp12 identities and the
 * cyclotomic squaring. */
#include <gmp.h>

#include "crypto/bn254.h"
#include "test.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

static const char *P_DEC =
    "21888242871839275222246405745257275088696311157297823662689037894645226208583";

static void mpz_to_be32(uint8_t out[32], const mpz_t z) {
    size_t n = 0;
    uint8_t tmp[64];
    memset(out, 0, 32);
    mpz_export(tmp, &n, 1, 1, 1, 0, z);
    memcpy(out + 32 - n, tmp, n);
}

static void fp_to_mpz(mpz_t z, const fp *a) {
    uint8_t b[32];
    fp_to_bytes(b, a);
    mpz_import(z, 32, 1, 1, 1, 0, b);
}

static bool fp_from_mpz(fp *a, const mpz_t z) {
    uint8_t b[32];
    mpz_to_be32(b, z);
    return fp_from_bytes(a, b);
}

/* A random value below p, biased toward edge cases. */
static void random_below_p(mpz_t z, const mpz_t p) {
    int shape = (int)(rnd() % 8);
    if (shape == 0) {
        mpz_set_ui(z, rnd() % 4);
    } else if (shape == 1) {
        mpz_sub_ui(z, p, 1 + rnd() % 4);
    } else if (shape == 2) {
        mpz_set_ui(z, 0);
        mpz_setbit(z, (mp_bitcnt_t)(rnd() % 254));
    } else {
        uint8_t b[32];
        for (int i = 0; i < 32; i++)
            b[i] = (uint8_t)rnd();
        mpz_import(z, 32, 1, 1, 1, 0, b);
        mpz_mod(z, z, p);
    }
}

TEST(bn254_fp_vs_gmp) {
    mpz_t p, a, b, r, t;
    mpz_inits(p, a, b, r, t, NULL);
    mpz_set_str(p, P_DEC, 10);
    for (int iter = 0; iter < 20000; iter++) {
        random_below_p(a, p);
        random_below_p(b, p);
        fp fa, fb, fr;
        CHECK(fp_from_mpz(&fa, a) && fp_from_mpz(&fb, b));

        fp_mul(&fr, &fa, &fb);
        fp_to_mpz(r, &fr);
        mpz_mul(t, a, b);
        mpz_mod(t, t, p);
        CHECK(mpz_cmp(r, t) == 0);

        fp_add(&fr, &fa, &fb);
        fp_to_mpz(r, &fr);
        mpz_add(t, a, b);
        mpz_mod(t, t, p);
        CHECK(mpz_cmp(r, t) == 0);

        fp_sub(&fr, &fa, &fb);
        fp_to_mpz(r, &fr);
        mpz_sub(t, a, b);
        mpz_mod(t, t, p);
        CHECK(mpz_cmp(r, t) == 0);

        fp_half(&fr, &fa);
        fp_add(&fr, &fr, &fr);
        CHECK(fp_eq(&fr, &fa));

        fp_inv(&fr, &fa);
        fp_to_mpz(r, &fr);
        if (mpz_sgn(a) == 0) {
            CHECK(mpz_sgn(r) == 0);
        } else {
            CHECK(mpz_invert(t, a, p) != 0);
            CHECK(mpz_cmp(r, t) == 0);
        }
    }
    mpz_clears(p, a, b, r, t, NULL);
}

TEST(bn254_fp_decoding_range) {
    uint8_t b[32];
    mpz_t p, z;
    mpz_inits(p, z, NULL);
    mpz_set_str(p, P_DEC, 10);
    fp a;
    mpz_to_be32(b, p);
    CHECK(!fp_from_bytes(&a, b)); /* p itself */
    mpz_add_ui(z, p, 1);
    mpz_to_be32(b, z);
    CHECK(!fp_from_bytes(&a, b));
    memset(b, 0xff, 32);
    CHECK(!fp_from_bytes(&a, b));
    mpz_sub_ui(z, p, 1);
    mpz_to_be32(b, z);
    CHECK(fp_from_bytes(&a, b));
    uint8_t back[32];
    fp_to_bytes(back, &a);
    CHECK_MEM(back, b, 32);
    memset(b, 0, 32);
    CHECK(fp_from_bytes(&a, b) && fp_is_zero(&a));
    mpz_clears(p, z, NULL);
}

/* ---- tower ---- */

static fp random_fp(void) {
    uint8_t b[32];
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)rnd();
    b[0] &= 0x1f; /* < 2^253 < p */
    fp a;
    fp_from_bytes(&a, b);
    return a;
}

static fp2 random_fp2(void) {
    fp2 a = {random_fp(), random_fp()};
    return a;
}

static fp12 random_fp12(void) {
    fp12 a;
    fp2 *c[6] = {&a.c0.c0, &a.c0.c1, &a.c0.c2, &a.c1.c0, &a.c1.c1, &a.c1.c2};
    for (int i = 0; i < 6; i++)
        *c[i] = random_fp2();
    return a;
}

/* r = a^e for a big-endian exponent of n bytes. */
static void fp2_pow(fp2 *r, const fp2 *a, const uint8_t *e, size_t n) {
    fp2 acc = FP2_ONE;
    for (size_t i = 0; i < n * 8; i++) {
        fp2_sqr(&acc, &acc);
        if ((e[i / 8] >> (7 - i % 8)) & 1)
            fp2_mul(&acc, &acc, a);
    }
    *r = acc;
}

static void fp12_pow(fp12 *r, const fp12 *a, const uint8_t *e, size_t n) {
    fp12 acc = FP12_ONE;
    for (size_t i = 0; i < n * 8; i++) {
        fp12_sqr(&acc, &acc);
        if ((e[i / 8] >> (7 - i % 8)) & 1)
            fp12_mul(&acc, &acc, a);
    }
    *r = acc;
}

/* out = big-endian bytes of (p^n - 1) / 6 * k, sized 128. */
static void frobenius_exponent(uint8_t out[128], int n, int k) {
    mpz_t e;
    mpz_init_set_str(e, P_DEC, 10);
    mpz_pow_ui(e, e, (unsigned long)n);
    mpz_sub_ui(e, e, 1);
    mpz_divexact_ui(e, e, 6);
    mpz_mul_ui(e, e, (unsigned long)k);
    size_t len = 0;
    uint8_t tmp[128];
    mpz_export(tmp, &len, 1, 1, 1, 0, e);
    memset(out, 0, 128);
    memcpy(out + 128 - len, tmp, len);
    mpz_clear(e);
}

TEST(bn254_frobenius_constants) {
    fp xi0 = FP_ONE, xi;
    fp2 xi2;
    fp_add(&xi, &xi0, &xi0); /* 9 */
    fp_add(&xi, &xi, &xi);
    fp_add(&xi, &xi, &xi);
    fp_add(&xi, &xi, &xi0);
    xi2.c0 = xi, xi2.c1 = FP_ONE;
    const fp2 *tables[3] = {BN254_GAMMA1, BN254_GAMMA2, BN254_GAMMA3};
    for (int n = 1; n <= 3; n++) {
        for (int k = 0; k < 6; k++) {
            uint8_t e[128];
            frobenius_exponent(e, n, k);
            fp2 g;
            fp2_pow(&g, &xi2, e, 128);
            CHECK(fp2_eq(&g, &tables[n - 1][k]));
        }
    }
    fp minus_one;
    fp_neg(&minus_one, &FP_ONE);
    CHECK(fp_eq(&BN254_GAMMA2[3].c0, &minus_one)); /* pi^2 negates y */
}

TEST(bn254_fp12_identities) {
    uint8_t pbytes[32];
    mpz_t p;
    mpz_init_set_str(p, P_DEC, 10);
    mpz_to_be32(pbytes, p);
    mpz_clear(p);
    for (int iter = 0; iter < 3; iter++) {
        fp12 a = random_fp12(), b = random_fp12(), t, u;
        /* squaring and multiplication agree */
        fp12_sqr(&t, &a);
        fp12_mul(&u, &a, &a);
        CHECK(fp12_eq(&t, &u));
        /* inverse */
        fp12_inv(&t, &a);
        fp12_mul(&u, &t, &a);
        CHECK(fp12_eq(&u, &FP12_ONE));
        /* sparse line multiplication equals the dense product */
        fp12 line = {{b.c0.c0, FP2_ZERO, FP2_ZERO}, {b.c1.c0, b.c1.c1, FP2_ZERO}};
        fp12_mul(&t, &a, &line);
        fp12_mul_line(&u, &a, &b.c0.c0, &b.c1.c0, &b.c1.c1);
        CHECK(fp12_eq(&t, &u));
        /* Frobenius is the p-th power, and composes */
        fp12 f1, f2, f3;
        fp12_pow(&t, &a, pbytes, 32);
        fp12_frobenius(&f1, &a, 1);
        CHECK(fp12_eq(&t, &f1));
        fp12_frobenius(&f2, &a, 2);
        fp12_frobenius(&u, &f1, 1);
        CHECK(fp12_eq(&u, &f2));
        fp12_frobenius(&f3, &a, 3);
        fp12_frobenius(&u, &f2, 1);
        CHECK(fp12_eq(&u, &f3));
        /* cyclotomic squaring on g = a^((p^6 - 1)(p^2 + 1)) */
        fp12 g;
        fp12_inv(&t, &a);
        fp12_conj(&g, &a);
        fp12_mul(&g, &g, &t);
        fp12_frobenius(&t, &g, 2);
        fp12_mul(&g, &t, &g);
        fp12_cyclotomic_sqr(&t, &g);
        fp12_sqr(&u, &g);
        CHECK(fp12_eq(&t, &u));
        /* in the cyclotomic subgroup the conjugate is the inverse */
        fp12_conj(&t, &g);
        fp12_mul(&u, &t, &g);
        CHECK(fp12_eq(&u, &FP12_ONE));
    }
}

TEST(bn254_fp2_inverse_and_sqr) {
    for (int iter = 0; iter < 200; iter++) {
        fp2 a = random_fp2(), t, u;
        fp2_inv(&t, &a);
        fp2_mul(&u, &t, &a);
        CHECK(fp2_eq(&u, &FP2_ONE));
        fp2_sqr(&t, &a);
        fp2_mul(&u, &a, &a);
        CHECK(fp2_eq(&t, &u));
        fp2_mul_xi(&t, &a);
        fp2 xi = {FP_ONE, FP_ONE};
        fp_add(&xi.c0, &xi.c0, &xi.c0);
        fp_add(&xi.c0, &xi.c0, &xi.c0);
        fp_add(&xi.c0, &xi.c0, &xi.c0);
        fp_add(&xi.c0, &xi.c0, &FP_ONE);
        fp2_mul(&u, &a, &xi);
        CHECK(fp2_eq(&t, &u));
    }
    fp2 z = FP2_ZERO, t;
    fp2_inv(&t, &z);
    CHECK(fp2_is_zero(&t));
}
