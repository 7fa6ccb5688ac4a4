/* Unit tests for BLS12-381 (src/crypto/bls12_381*.c): field arithmetic
 * against GMP, tower identities (Frobenius, cyclotomic squaring, sparse line
 * products), group laws on G1/G2, the endomorphism subgroup checks against
 * [r]P == O on points with every small-order cofactor component, the ZCash
 * encodings, and pairing bilinearity. The EIP-2537 state-test inputs in the
 * fixtures add externally chosen points (test_bls12_381_fixtures.c). */
#include "test.h"
#include "crypto/bls12_381.h"
#include "parevm/hex.h"

#include <gmp.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

static void rnd_bytes(uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
}

static bls_fp rnd_fp(void) {
    uint8_t b[48];
    bls_fp r;
    do {
        rnd_bytes(b, 48);
        b[0] &= 0x1f;
    } while (!bls_fp_from_bytes(&r, b));
    return r;
}

static bls_fp2 rnd_fp2(void) { return (bls_fp2){rnd_fp(), rnd_fp()}; }

static bls_fp12 rnd_fp12(void) {
    bls_fp12 r;
    bls_fp2 *c = &r.c0.c0;
    for (int i = 0; i < 6; i++)
        c[i] = rnd_fp2();
    return r;
}

/* A random scalar below r. */
static bls_scalar rnd_scalar(void) {
    uint8_t b[32];
    bls_scalar k;
    do {
        rnd_bytes(b, 32);
        b[0] &= 0x7f;
    } while (!bls_scalar_from_bytes(&k, b));
    return k;
}

static bls_scalar scalar_u64(uint64_t v) { return (bls_scalar){{v, 0, 0, 0}}; }

static const char *P_HEX =
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

static void fp_to_mpz(mpz_t z, const bls_fp *a) {
    uint8_t b[48];
    bls_fp_to_bytes(b, a);
    mpz_import(z, 48, 1, 1, 1, 0, b);
}

static bool fp_eq_mpz(const bls_fp *a, const mpz_t z) {
    mpz_t t;
    mpz_init(t);
    fp_to_mpz(t, a);
    bool eq = mpz_cmp(t, z) == 0;
    mpz_clear(t);
    return eq;
}

/* ---- Fp ------------------------------------------------------------------ */

TEST(fp_matches_gmp) {
    mpz_t p, a, b, r;
    mpz_inits(p, a, b, r, NULL);
    mpz_set_str(p, P_HEX, 16);
    for (int i = 0; i < 2000; i++) {
        bls_fp x = rnd_fp(), y = rnd_fp(), z;
        if (i % 10 == 0)
            bls_fp_neg(&x, &BLS_FP_ONE);            /* p - 1 edge */
        fp_to_mpz(a, &x);
        fp_to_mpz(b, &y);
        bls_fp_mul(&z, &x, &y);
        mpz_mul(r, a, b);
        mpz_mod(r, r, p);
        CHECK(fp_eq_mpz(&z, r));
        bls_fp_mul_portable(&z, &x, &y);
        CHECK(fp_eq_mpz(&z, r));
        bls_fp_sqr(&z, &x);
        mpz_mul(r, a, a);
        mpz_mod(r, r, p);
        CHECK(fp_eq_mpz(&z, r));
        bls_fp_add(&z, &x, &y);
        mpz_add(r, a, b);
        mpz_mod(r, r, p);
        CHECK(fp_eq_mpz(&z, r));
        bls_fp_sub(&z, &x, &y);
        mpz_sub(r, a, b);
        mpz_mod(r, r, p);
        CHECK(fp_eq_mpz(&z, r));
    }
    mpz_clears(p, a, b, r, NULL);
}

/* Edge values: 0, 1, 2, p - 1, p - 2, and random. */
static bls_fp edge_fp(int i) {
    bls_fp r;
    switch (i % 6) {
    case 0: return BLS_FP_ZERO;
    case 1: return BLS_FP_ONE;
    case 2: bls_fp_add(&r, &BLS_FP_ONE, &BLS_FP_ONE); return r;
    case 3: bls_fp_neg(&r, &BLS_FP_ONE); return r;
    case 4: bls_fp_add(&r, &BLS_FP_ONE, &BLS_FP_ONE); bls_fp_neg(&r, &r); return r;
    default: return rnd_fp();
    }
}

TEST(dispatched_arithmetic_matches_portable) {
    /* bls_fp_mul, bls_fp2_mul and bls_fp2_sqr may run assembly; they must
     * agree with the portable C on edge and random values. */
    for (int i = 0; i < 36 * 30; i++) {
        bls_fp a = edge_fp(i), b = edge_fp(i / 6), x, y;
        bls_fp_mul(&x, &a, &b);
        bls_fp_mul_portable(&y, &a, &b);
        CHECK(bls_fp_eq(&x, &y));
        bls_fp2 a2 = {a, b}, b2 = {edge_fp(i / 36), edge_fp(i * 7)}, x2, y2;
        bls_fp2_mul(&x2, &a2, &b2);
        bls_fp2_mul_portable(&y2, &a2, &b2);
        CHECK(bls_fp2_eq(&x2, &y2));
        bls_fp2_sqr(&x2, &a2);
        bls_fp2_sqr_portable(&y2, &a2);
        CHECK(bls_fp2_eq(&x2, &y2));
        /* aliasing: r == a */
        x2 = a2;
        bls_fp2_mul(&x2, &x2, &b2);
        bls_fp2_mul_portable(&y2, &a2, &b2);
        CHECK(bls_fp2_eq(&x2, &y2));
        x2 = a2;
        bls_fp2_sqr(&x2, &x2);
        bls_fp2_sqr_portable(&y2, &a2);
        CHECK(bls_fp2_eq(&x2, &y2));
    }
}

TEST(fp_inverse_sqrt_bytes) {
    for (int i = 0; i < 50; i++) {
        bls_fp a = rnd_fp(), inv, t, s;
        bls_fp_inv(&inv, &a);
        bls_fp_mul(&t, &a, &inv);
        CHECK(bls_fp_eq(&t, &BLS_FP_ONE));
        bls_fp_inv_fermat(&t, &a);
        CHECK(bls_fp_eq(&t, &inv));
        bls_fp_sqr(&t, &a);
        CHECK(bls_fp_sqrt(&s, &t));
        bls_fp_sqr(&s, &s);
        CHECK(bls_fp_eq(&s, &t));
        /* p = 3 mod 4: exactly one of t, -t is a square (t != 0). */
        bls_fp_neg(&t, &t);
        CHECK(!bls_fp_sqrt(&s, &t));
        uint8_t b[48];
        bls_fp_to_bytes(b, &a);
        CHECK(bls_fp_from_bytes(&t, b) && bls_fp_eq(&t, &a));
    }
    bls_fp z;
    bls_fp_inv(&z, &BLS_FP_ZERO);
    CHECK(bls_fp_is_zero(&z));
    /* Edge values of the Euclidean inversion: 1, 2, -1, -2, random, and
     * elements whose Montgomery limbs are the integers 1 and p - 1. */
    for (int i = 0; i < 8; i++) {
        bls_fp e = edge_fp(i), x, y;
        if (i >= 6) {
            memcpy(e.l, BLS_FP_P, sizeof e.l);
            e.l[0] = i == 6 ? 1 : e.l[0] - 1;
            if (i == 6)
                memset(e.l + 1, 0, 5 * sizeof(uint64_t));
        }
        if (bls_fp_is_zero(&e))
            continue;
        bls_fp_inv(&x, &e);
        bls_fp_inv_fermat(&y, &e);
        CHECK(bls_fp_eq(&x, &y));
    }
    /* p itself and 2^381 - 1 are not canonical. */
    uint8_t b[48];
    CHECK(hex_decode(P_HEX, b, 48) == 48);
    CHECK(!bls_fp_from_bytes(&z, b));
    b[47]--;
    CHECK(bls_fp_from_bytes(&z, b));
    bls_fp m1;
    bls_fp_neg(&m1, &BLS_FP_ONE);
    CHECK(bls_fp_eq(&z, &m1));
    memset(b, 0xff, 48);
    b[0] = 0x1f;
    CHECK(!bls_fp_from_bytes(&z, b));
    /* Sign: 1 is small, -1 = p - 1 is large. */
    CHECK(!bls_fp_is_lex_largest(&BLS_FP_ONE));
    CHECK(bls_fp_is_lex_largest(&m1));
}

TEST(scalar_parsing) {
    uint8_t b[32];
    bls_scalar k;
    memset(b, 0, 32);
    CHECK(bls_scalar_from_bytes(&k, b) && bls_scalar_bits(&k) == 0);
    CHECK(hex_decode("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", b, 32) == 32);
    CHECK(!bls_scalar_from_bytes(&k, b));           /* r */
    b[31] = 0;
    CHECK(bls_scalar_from_bytes(&k, b));            /* r - 1 */
    CHECK(bls_scalar_bits(&k) == 255);
    b[31] = 2;
    CHECK(!bls_scalar_from_bytes(&k, b));           /* r + 1 */
    memset(b, 0xff, 32);
    CHECK(!bls_scalar_from_bytes(&k, b));
    bls_scalar one = scalar_u64(1), n;
    bls_scalar_neg(&n, &one);
    CHECK(n.l[0] == BLS_R.l[0] - 1 && n.l[3] == BLS_R.l[3]);
    bls_scalar zero = scalar_u64(0);
    bls_scalar_neg(&n, &zero);
    CHECK(bls_scalar_bits(&n) == 0);
}

/* ---- Tower --------------------------------------------------------------- */

TEST(fp2_laws) {
    for (int i = 0; i < 100; i++) {
        bls_fp2 a = rnd_fp2(), b = rnd_fp2(), c = rnd_fp2(), t, u, v;
        /* (ab)c = a(bc), a(b + c) = ab + ac */
        bls_fp2_mul(&t, &a, &b);
        bls_fp2_mul(&t, &t, &c);
        bls_fp2_mul(&u, &b, &c);
        bls_fp2_mul(&u, &a, &u);
        CHECK(bls_fp2_eq(&t, &u));
        bls_fp2_add(&t, &b, &c);
        bls_fp2_mul(&t, &a, &t);
        bls_fp2_mul(&u, &a, &b);
        bls_fp2_mul(&v, &a, &c);
        bls_fp2_add(&u, &u, &v);
        CHECK(bls_fp2_eq(&t, &u));
        /* schoolbook: (a0 b0 - a1 b1) + (a0 b1 + a1 b0) u */
        bls_fp x, y;
        bls_fp2_mul(&t, &a, &b);
        bls_fp_mul(&x, &a.c0, &b.c0);
        bls_fp_mul(&y, &a.c1, &b.c1);
        bls_fp_sub(&x, &x, &y);
        CHECK(bls_fp_eq(&x, &t.c0));
        bls_fp2_sqr(&t, &a);
        bls_fp2_mul(&u, &a, &a);
        CHECK(bls_fp2_eq(&t, &u));
        bls_fp2_inv(&t, &a);
        bls_fp2_mul(&t, &t, &a);
        CHECK(bls_fp_eq(&t.c0, &BLS_FP_ONE) && bls_fp_is_zero(&t.c1));
        /* xi multiplication */
        bls_fp2 xi = {BLS_FP_ONE, BLS_FP_ONE};
        bls_fp2_mul(&t, &a, &xi);
        bls_fp2_mul_xi(&u, &a);
        CHECK(bls_fp2_eq(&t, &u));
    }
}

TEST(fp2_sqrt) {
    for (int i = 0; i < 20; i++) {
        bls_fp2 a = rnd_fp2(), s, r;
        if (i == 0)
            a.c1 = BLS_FP_ZERO;                  /* Fp elements */
        if (i == 1)
            a.c0 = BLS_FP_ZERO;
        bls_fp2_sqr(&s, &a);
        CHECK(bls_fp2_sqrt(&r, &s));
        bls_fp2_sqr(&r, &r);
        CHECK(bls_fp2_eq(&r, &s));
        /* xi is a non-square (the tower depends on it), so xi a^2 is too. */
        bls_fp2_mul_xi(&s, &s);
        CHECK(!bls_fp2_sqrt(&r, &s));
    }
    bls_fp2 zero = {BLS_FP_ZERO, BLS_FP_ZERO}, r;
    CHECK(bls_fp2_sqrt(&r, &zero) && bls_fp2_is_zero(&r));
    /* every element of Fp, square or not in Fp, has a root in Fp2 */
    for (int i = 0; i < 10; i++) {
        bls_fp2 a = {rnd_fp(), BLS_FP_ZERO}, t;
        CHECK(bls_fp2_sqrt(&r, &a));
        bls_fp2_sqr(&t, &r);
        CHECK(bls_fp2_eq(&t, &a));
    }
}

static bool fp6_eq(const bls_fp6 *a, const bls_fp6 *b) {
    return bls_fp2_eq(&a->c0, &b->c0) && bls_fp2_eq(&a->c1, &b->c1) &&
           bls_fp2_eq(&a->c2, &b->c2);
}

TEST(fp6_fp12_laws) {
    for (int i = 0; i < 30; i++) {
        bls_fp12 a = rnd_fp12(), b = rnd_fp12(), c = rnd_fp12(), t, u, v;
        bls_fp6 s, w;
        bls_fp6_sqr(&s, &a.c0);
        bls_fp6_mul(&w, &a.c0, &a.c0);
        CHECK(fp6_eq(&s, &w));
        bls_fp6_inv(&s, &a.c1);
        bls_fp6_mul(&s, &s, &a.c1);
        CHECK(bls_fp_eq(&s.c0.c0, &BLS_FP_ONE) && bls_fp_is_zero(&s.c0.c1) &&
              bls_fp2_is_zero(&s.c1) && bls_fp2_is_zero(&s.c2));
        bls_fp12_mul(&t, &a, &b);
        bls_fp12_mul(&t, &t, &c);
        bls_fp12_mul(&u, &b, &c);
        bls_fp12_mul(&u, &a, &u);
        CHECK(bls_fp12_eq(&t, &u));
        bls_fp12_mul(&t, &a, &b);
        bls_fp12_mul(&u, &b, &a);
        CHECK(bls_fp12_eq(&t, &u));
        bls_fp12_sqr(&t, &a);
        bls_fp12_mul(&u, &a, &a);
        CHECK(bls_fp12_eq(&t, &u));
        bls_fp12_inv(&t, &a);
        bls_fp12_mul(&t, &t, &a);
        CHECK(bls_fp12_is_one(&t));
        /* Sparse line product equals the dense one. */
        bls_fp12 l;
        memset(&l, 0, sizeof l);
        l.c0.c0 = b.c0.c0;
        l.c0.c1 = b.c0.c1;
        l.c1.c1 = b.c1.c1;
        bls_fp12_mul(&t, &a, &l);
        bls_fp12_mul_line(&v, &a, &l.c0.c0, &l.c0.c1, &l.c1.c1);
        CHECK(bls_fp12_eq(&t, &v));
    }
}

static const uint64_t P_LIMBS[6] = {
    0xb9feffffffffaaabULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
    0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};

TEST(frobenius_is_pow_p) {
    for (int i = 0; i < 3; i++) {
        bls_fp12 a = rnd_fp12(), f, g;
        bls_fp12_frobenius(&f, &a);
        bls_fp12_pow(&g, &a, P_LIMBS, 6);
        CHECK(bls_fp12_eq(&f, &g));
        /* Applying it 6 times is conjugation; 12 times the identity. */
        for (int k = 1; k < 6; k++)
            bls_fp12_frobenius(&f, &f);
        bls_fp12_conj(&g, &a);
        CHECK(bls_fp12_eq(&f, &g));
        for (int k = 0; k < 6; k++)
            bls_fp12_frobenius(&f, &f);
        CHECK(bls_fp12_eq(&f, &a));
    }
}

/* m = a^((p^6 - 1)(p^2 + 1)): an element of the cyclotomic subgroup. */
static void to_cyclotomic(bls_fp12 *m, const bls_fp12 *a) {
    bls_fp12 t;
    bls_fp12_inv(&t, a);
    bls_fp12_conj(m, a);
    bls_fp12_mul(m, m, &t);
    bls_fp12_frobenius(&t, m);
    bls_fp12_frobenius(&t, &t);
    bls_fp12_mul(m, m, &t);
}

TEST(cyclotomic_square) {
    for (int i = 0; i < 20; i++) {
        bls_fp12 a = rnd_fp12(), m, s, t;
        to_cyclotomic(&m, &a);
        bls_fp12_cyclotomic_sqr(&s, &m);
        bls_fp12_sqr(&t, &m);
        CHECK(bls_fp12_eq(&s, &t));
        /* conj is the inverse there */
        bls_fp12_conj(&t, &m);
        bls_fp12_mul(&t, &t, &m);
        CHECK(bls_fp12_is_one(&t));
    }
}

/* ---- G1 ------------------------------------------------------------------ */

static bls_g1 g1_gen(void) {
    bls_g1 g;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    return g;
}

static bls_g1 rnd_g1(void) {
    bls_g1 r, g = g1_gen();
    bls_scalar k = rnd_scalar();
    bls_g1_mul(&r, &g, &k);
    return r;
}

/* A random point of E(Fp), almost surely outside G1. */
static bls_g1_affine rnd_curve_g1(void) {
    bls_g1_affine p = {.inf = false};
    for (;;) {
        bls_fp rhs, four;
        p.x = rnd_fp();
        bls_fp_sqr(&rhs, &p.x);
        bls_fp_mul(&rhs, &rhs, &p.x);
        bls_fp_from_u64(&four, 4);
        bls_fp_add(&rhs, &rhs, &four);
        if (bls_fp_sqrt(&p.y, &rhs))
            return p;
    }
}

static bool g1_naive_in_subgroup(const bls_g1 *p) {
    bls_g1 t;
    bls_g1_mul(&t, p, &BLS_R);
    return bls_g1_is_inf(&t);
}

TEST(g1_group_laws) {
    bls_g1 g = g1_gen(), t, u, inf;
    CHECK(bls_g1_affine_on_curve(&BLS_G1_GENERATOR));
    CHECK(g1_naive_in_subgroup(&g));
    bls_g1_set_inf(&inf);
    bls_g1_neg(&t, &g);
    bls_g1_add(&t, &t, &g);
    CHECK(bls_g1_is_inf(&t));
    bls_g1_add(&t, &g, &inf);
    CHECK(bls_g1_eq(&t, &g));
    bls_g1_add(&t, &g, &g);
    bls_g1_dbl(&u, &g);
    CHECK(bls_g1_eq(&t, &u));
    for (int i = 0; i < 20; i++) {
        bls_g1 a = rnd_g1(), b = rnd_g1(), c = rnd_g1(), l, r;
        bls_g1_add(&l, &a, &b);
        bls_g1_add(&l, &l, &c);
        bls_g1_add(&r, &b, &c);
        bls_g1_add(&r, &a, &r);
        CHECK(bls_g1_eq(&l, &r));
        bls_g1_affine ba;
        bls_g1_to_affine(&ba, &b);
        CHECK(bls_g1_affine_on_curve(&ba));
        bls_g1_add_affine(&r, &a, &ba);
        bls_g1_add(&l, &a, &b);
        CHECK(bls_g1_eq(&l, &r));
        bls_g1_add_affine(&r, &b, &ba);               /* doubling case */
        bls_g1_dbl(&l, &b);
        CHECK(bls_g1_eq(&l, &r));
        /* (s + t)P = sP + tP with s, t < 2^254 so s + t does not wrap. */
        bls_scalar s = rnd_scalar(), k = rnd_scalar(), sum;
        s.l[3] >>= 2;
        k.l[3] >>= 2;
        unsigned __int128 c128 = 0;
        for (int j = 0; j < 4; j++) {
            c128 += (unsigned __int128)s.l[j] + k.l[j];
            sum.l[j] = (uint64_t)c128;
            c128 >>= 64;
        }
        bls_g1_mul(&l, &a, &sum);
        bls_g1_mul(&r, &a, &s);
        bls_g1_mul(&t, &a, &k);
        bls_g1_add(&r, &r, &t);
        CHECK(bls_g1_eq(&l, &r));
        /* GLV agrees with the plain ladder, also for [a]P + [b]G. */
        bls_g1_affine aa;
        bls_g1_to_affine(&aa, &a);
        bls_g1_mul_glv(&r, &aa, &s);
        bls_g1_mul(&l, &a, &s);
        CHECK(bls_g1_eq(&l, &r));
        bls_g1_mul2_glv(&r, &aa, &s, &k);
        bls_g1_mul(&t, &g, &k);
        bls_g1_add(&l, &l, &t);
        CHECK(bls_g1_eq(&l, &r));
        CHECK(g1_naive_in_subgroup(&a));
    }
    /* Edge scalars for GLV: 0, 1, r - 1, x^2 boundaries. */
    bls_scalar edge[5] = {scalar_u64(0), scalar_u64(1), BLS_R,
                          {{0x0000000100000000ULL, 0xac45a4010001a402ULL, 0, 0}},
                          {{0x00000000ffffffffULL, 0xac45a4010001a402ULL, 0, 0}}};
    edge[2].l[0] -= 1;
    for (int i = 0; i < 5; i++) {
        bls_g1_mul_glv(&t, &BLS_G1_GENERATOR, &edge[i]);
        bls_g1_mul(&u, &g, &edge[i]);
        CHECK(bls_g1_eq(&t, &u));
    }
    /* Out-of-range scalars fall back to the plain ladder. */
    bls_g1_mul_glv(&t, &BLS_G1_GENERATOR, &BLS_R);
    CHECK(bls_g1_is_inf(&t));
}

TEST(g1_endomorphism) {
    /* phi(G) = [-x^2]G, and phi^3 = identity. */
    bls_g1 g = g1_gen(), t, u;
    bls_scalar x2 = {{0x0000000100000000ULL, 0xac45a4010001a402ULL, 0, 0}};
    bls_g1_mul(&t, &g, &x2);
    bls_g1_neg(&t, &t);
    bls_g1_phi(&u, &g);
    CHECK(bls_g1_eq(&t, &u));
    bls_g1_phi(&u, &u);
    bls_g1_phi(&u, &u);
    CHECK(bls_g1_eq(&u, &g));
}

TEST(g1_subgroup_check_vs_naive) {
    /* E(Fp) has order h1 r with h1 = 3 * 11^2 * 10177^2 * 859267^2 *
     * 52437899^2. For each prime power l^e || h1, T = [h1/l^e][r]R is the
     * l-primary part of a random point (order | l^e); P + T must be rejected
     * exactly when T != O. */
    static const uint64_t ell[5] = {3, 11ULL * 11, 10177ULL * 10177,
                                    859267ULL * 859267, 52437899ULL * 52437899};
    unsigned __int128 h1 = ((unsigned __int128)0x396c8c005555e156ULL << 64) |
                           0x8c00aaab0000aaabULL;
    int rejected = 0;
    for (int i = 0; i < 8; i++) {
        bls_g1_affine ra = rnd_curve_g1();
        CHECK(bls_g1_affine_on_curve(&ra));
        bls_g1 R, T;
        bls_g1_from_affine(&R, &ra);
        CHECK(bls_g1_affine_in_subgroup(&ra) == g1_naive_in_subgroup(&R));
        bls_g1_mul(&T, &R, &BLS_R);                  /* order | h1 */
        for (int j = 0; j < 5; j++) {
            unsigned __int128 c = h1 / ell[j];
            bls_scalar k = {{(uint64_t)c, (uint64_t)(c >> 64), 0, 0}};
            bls_g1 Tl, P = rnd_g1(), Q;
            bls_g1_mul(&Tl, &T, &k);
            bls_g1_add(&Q, &P, &Tl);
            bls_g1_affine qa;
            bls_g1_to_affine(&qa, &Q);
            bool fast = bls_g1_affine_in_subgroup(&qa);
            CHECK(fast == bls_g1_is_inf(&Tl));
            CHECK(fast == g1_naive_in_subgroup(&Q));
            rejected += !fast;
        }
    }
    CHECK(rejected >= 30);
}

static bool g1_decode_hex(bls_g1_affine *p, const char *hex) {
    uint8_t b[48];
    return hex_decode(hex, b, 48) == 48 && bls_g1_decompress(p, b);
}

TEST(g1_encoding) {
    /* The compressed generator. */
    static const char *GEN =
        "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
    bls_g1_affine p;
    CHECK(g1_decode_hex(&p, GEN));
    CHECK(bls_fp_eq(&p.x, &BLS_G1_GENERATOR.x) && bls_fp_eq(&p.y, &BLS_G1_GENERATOR.y));
    uint8_t b[48], c[48];
    for (int i = 0; i < 20; i++) {
        bls_g1 a = rnd_g1();
        if (i == 0)
            bls_g1_set_inf(&a);
        bls_g1_affine aa, back;
        bls_g1_to_affine(&aa, &a);
        bls_g1_compress(b, &aa);
        CHECK(bls_g1_decompress(&back, b));
        bls_g1_compress(c, &back);
        CHECK_MEM(b, c, 48);
        if (aa.inf)
            continue;
        /* Flipping the sign bit gives -P, still valid. */
        b[0] ^= 0x20;
        CHECK(bls_g1_decompress(&back, b));
        bls_fp ny;
        bls_fp_neg(&ny, &aa.y);
        CHECK(bls_fp_eq(&back.y, &ny));
        b[0] ^= 0x20;
        /* Uncompressed flag, or infinity flag with a point, is rejected. */
        b[0] &= 0x7f;
        CHECK(!bls_g1_decompress(&back, b));
        b[0] |= 0xc0;
        CHECK(!bls_g1_decompress(&back, b));
    }
    /* Infinity: only c0 00..00. */
    memset(b, 0, 48);
    b[0] = 0xc0;
    CHECK(bls_g1_decompress(&p, b) && p.inf);
    b[0] = 0xe0;
    CHECK(!bls_g1_decompress(&p, b));          /* sign bit set */
    b[0] = 0xc0;
    b[47] = 1;
    CHECK(!bls_g1_decompress(&p, b));          /* non-zero x */
    b[47] = 0;
    b[0] = 0xc1;
    CHECK(!bls_g1_decompress(&p, b));          /* non-zero top bits of x */
    b[0] = 0x40;
    CHECK(!bls_g1_decompress(&p, b));          /* not compressed */
    memset(b, 0, 48);
    CHECK(!bls_g1_decompress(&p, b));
    /* x >= p: p itself with the compression flag; and all ones. */
    CHECK(hex_decode(P_HEX, b, 48) == 48);
    b[0] |= 0x80;
    CHECK(!bls_g1_decompress(&p, b));
    memset(b, 0xff, 48);
    b[0] = 0x9f;
    CHECK(!bls_g1_decompress(&p, b));
    /* x with no curve point: try small x until x^3 + 4 is a non-square. */
    int not_on_curve = 0, not_in_group = 0;
    for (int x = 1; x < 40; x++) {
        memset(b, 0, 48);
        b[0] = 0x80;
        b[47] = (uint8_t)x;
        bls_fp fx, rhs, y, four;
        bls_fp_from_u64(&fx, (uint64_t)x);
        bls_fp_sqr(&rhs, &fx);
        bls_fp_mul(&rhs, &rhs, &fx);
        bls_fp_from_u64(&four, 4);
        bls_fp_add(&rhs, &rhs, &four);
        bool on = bls_fp_sqrt(&y, &rhs);
        bool ok = bls_g1_decompress(&p, b);
        /* Small x: on the curve points are never in G1 here. */
        CHECK(!ok);
        not_on_curve += !on;
        not_in_group += on;
    }
    CHECK(not_on_curve > 5 && not_in_group > 5);
}

/* ---- G2 ------------------------------------------------------------------ */

static bls_g2 g2_gen(void) {
    bls_g2 g;
    bls_g2_from_affine(&g, &BLS_G2_GENERATOR);
    return g;
}

static bls_g2 rnd_g2(void) {
    bls_g2 r, g = g2_gen();
    bls_scalar k = rnd_scalar();
    bls_g2_mul(&r, &g, &k);
    return r;
}

static bls_g2_affine rnd_curve_g2(void) {
    bls_g2_affine p = {.inf = false};
    bls_fp2 b = {{{0}}, {{0}}};
    bls_fp_from_u64(&b.c0, 4);
    b.c1 = b.c0;
    for (;;) {
        bls_fp2 rhs;
        p.x = rnd_fp2();
        bls_fp2_sqr(&rhs, &p.x);
        bls_fp2_mul(&rhs, &rhs, &p.x);
        bls_fp2_add(&rhs, &rhs, &b);
        if (bls_fp2_sqrt(&p.y, &rhs))
            return p;
    }
}

static bool g2_naive_in_subgroup(const bls_g2 *p) {
    bls_g2 t;
    bls_g2_mul(&t, p, &BLS_R);
    return bls_g2_is_inf(&t);
}

/* r = [k]a for a multi-limb little-endian k (cofactor multiples). */
static void g2_mul_big(bls_g2 *r, const bls_g2 *a, const uint64_t *k, int n) {
    bls_g2 acc;
    bls_g2_set_inf(&acc);
    for (int i = n * 64 - 1; i >= 0; i--) {
        bls_g2_dbl(&acc, &acc);
        if ((k[i / 64] >> (i % 64)) & 1)
            bls_g2_add(&acc, &acc, a);
    }
    *r = acc;
}

TEST(g2_group_laws) {
    bls_g2 g = g2_gen(), t, u;
    CHECK(bls_g2_affine_on_curve(&BLS_G2_GENERATOR));
    CHECK(g2_naive_in_subgroup(&g));
    CHECK(bls_g2_affine_in_subgroup(&BLS_G2_GENERATOR));
    bls_g2_neg(&t, &g);
    bls_g2_add(&t, &t, &g);
    CHECK(bls_g2_is_inf(&t));
    bls_g2_add(&t, &g, &g);
    bls_g2_dbl(&u, &g);
    CHECK(bls_g2_eq(&t, &u));
    for (int i = 0; i < 10; i++) {
        bls_g2 a = rnd_g2(), b = rnd_g2(), c = rnd_g2(), l, r;
        bls_g2_add(&l, &a, &b);
        bls_g2_add(&l, &l, &c);
        bls_g2_add(&r, &b, &c);
        bls_g2_add(&r, &a, &r);
        CHECK(bls_g2_eq(&l, &r));
        bls_scalar s = rnd_scalar(), k = rnd_scalar(), sum;
        s.l[3] >>= 2;
        k.l[3] >>= 2;
        unsigned __int128 c128 = 0;
        for (int j = 0; j < 4; j++) {
            c128 += (unsigned __int128)s.l[j] + k.l[j];
            sum.l[j] = (uint64_t)c128;
            c128 >>= 64;
        }
        bls_g2_mul(&l, &a, &sum);
        bls_g2_mul(&r, &a, &s);
        bls_g2_mul(&t, &a, &k);
        bls_g2_add(&r, &r, &t);
        CHECK(bls_g2_eq(&l, &r));
        bls_g2_affine aa;
        bls_g2_to_affine(&aa, &a);
        CHECK(bls_g2_affine_on_curve(&aa));
        CHECK(bls_g2_affine_in_subgroup(&aa));
        bls_g2_add_affine(&r, &b, &aa);
        bls_g2_add(&l, &b, &a);
        CHECK(bls_g2_eq(&l, &r));
    }
}

TEST(g2_subgroup_check_vs_naive) {
    /* h2 = 13^2 23^2 2713 11953 262069 q448: T = [h2/l^e][r]R is the
     * l-primary part of a random point of E'(Fp2). */
    static const uint64_t H2[8] = {
        0xcf1c38e31c7238e5ULL, 0x1616ec6e786f0c70ULL, 0x21537e293a6691aeULL,
        0xa628f1cb4d9e82efULL, 0xa68a205b2e5a7ddfULL, 0xcd91de4547085abaULL,
        0x091d50792876a202ULL, 0x05d543a95414e7f1ULL};
    static const uint64_t ell[6] = {13 * 13, 23 * 23, 2713, 11953, 262069, 0};
    int rejected = 0;
    for (int i = 0; i < 2; i++) {
        bls_g2_affine ra = rnd_curve_g2();
        CHECK(bls_g2_affine_on_curve(&ra));
        bls_g2 R, T;
        bls_g2_from_affine(&R, &ra);
        CHECK(bls_g2_affine_in_subgroup(&ra) == g2_naive_in_subgroup(&R));
        bls_g2_mul(&T, &R, &BLS_R);
        for (int j = 0; j < 6; j++) {
            /* T_l = [h2/l^e]T; the last case multiplies by the whole smooth
             * part of h2 so that only the 448-bit prime component stays. */
            bls_g2 Tl, Q;
            if (ell[j]) {
                uint64_t k[8];
                unsigned __int128 rem = 0;
                for (int w = 7; w >= 0; w--) {
                    unsigned __int128 cur = (rem << 64) | H2[w];
                    k[w] = (uint64_t)(cur / ell[j]);
                    rem = cur % ell[j];
                }
                CHECK(rem == 0);
                g2_mul_big(&Tl, &T, k, 8);
            } else {
                uint64_t smooth[1] = {13ULL * 13 * 23 * 23 * 2713 * 11953 * 262069};
                g2_mul_big(&Tl, &T, smooth, 1);
            }
            bls_g2 P = rnd_g2();
            bls_g2_add(&Q, &P, &Tl);
            bls_g2_affine qa;
            bls_g2_to_affine(&qa, &Q);
            bool fast = bls_g2_affine_in_subgroup(&qa);
            CHECK(fast == bls_g2_is_inf(&Tl));
            CHECK(fast == g2_naive_in_subgroup(&Q));
            rejected += !fast;
        }
    }
    CHECK(rejected >= 10);
}

TEST(g2_encoding) {
    static const char *GEN =
        "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
        "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8";
    uint8_t b[96], c[96];
    bls_g2_affine p;
    CHECK(hex_decode(GEN, b, 96) == 96);
    CHECK(bls_g2_decompress(&p, b));
    CHECK(bls_fp2_eq(&p.x, &BLS_G2_GENERATOR.x) && bls_fp2_eq(&p.y, &BLS_G2_GENERATOR.y));
    for (int i = 0; i < 6; i++) {
        bls_g2 a = rnd_g2();
        bls_g2_affine aa, back;
        bls_g2_to_affine(&aa, &a);
        bls_g2_compress(b, &aa);
        CHECK(bls_g2_decompress(&back, b));
        bls_g2_compress(c, &back);
        CHECK_MEM(b, c, 96);
        b[0] ^= 0x20;
        CHECK(bls_g2_decompress(&back, b));
        CHECK(bls_fp_eq(&back.x.c0, &aa.x.c0));
        CHECK(!bls_fp2_eq(&back.y, &aa.y));
    }
    /* A curve point outside G2 with a valid encoding is rejected. */
    bls_g2_affine r = rnd_curve_g2();
    bls_g2_compress(b, &r);
    CHECK(!bls_g2_decompress(&p, b));
    /* Infinity and its malformed variants. */
    memset(b, 0, 96);
    b[0] = 0xc0;
    CHECK(bls_g2_decompress(&p, b) && p.inf);
    b[95] = 1;
    CHECK(!bls_g2_decompress(&p, b));
    b[95] = 0;
    b[0] = 0xe0;
    CHECK(!bls_g2_decompress(&p, b));
    /* Either half of x >= p. */
    CHECK(hex_decode(GEN, b, 96) == 96);
    CHECK(hex_decode(P_HEX, b + 48, 48) == 48);
    CHECK(!bls_g2_decompress(&p, b));
    CHECK(hex_decode(GEN, b, 96) == 96);
    CHECK(hex_decode(P_HEX, b, 48) == 48);
    b[0] |= 0x80;
    CHECK(!bls_g2_decompress(&p, b));
    /* x with no curve point (about half of all x). */
    int rejected = 0;
    for (int i = 0; i < 10; i++) {
        bls_fp2 x = rnd_fp2();
        bls_fp_to_bytes(b, &x.c1);
        bls_fp_to_bytes(b + 48, &x.c0);
        b[0] |= 0x80;
        rejected += !bls_g2_decompress(&p, b);
    }
    CHECK(rejected == 10);
}

/* ---- Pairing ------------------------------------------------------------- */

static bls_g1_affine g1_aff(const bls_g1 *a) {
    bls_g1_affine r;
    bls_g1_to_affine(&r, a);
    return r;
}

static bls_g2_affine g2_aff(const bls_g2 *a) {
    bls_g2_affine r;
    bls_g2_to_affine(&r, a);
    return r;
}

TEST(pairing_non_degenerate_and_order_r) {
    bls_fp12 e, t;
    bls_pairing(&e, &BLS_G1_GENERATOR, &BLS_G2_GENERATOR);
    CHECK(!bls_fp12_is_one(&e));
    bls_fp12_pow(&t, &e, BLS_R.l, 4);
    CHECK(bls_fp12_is_one(&t));
    /* Infinity on either side gives 1. */
    bls_g1_affine i1 = {.inf = true};
    bls_g2_affine i2 = {.inf = true};
    bls_pairing(&t, &i1, &BLS_G2_GENERATOR);
    CHECK(bls_fp12_is_one(&t));
    bls_pairing(&t, &BLS_G1_GENERATOR, &i2);
    CHECK(bls_fp12_is_one(&t));
    CHECK(bls12_381_pairing_check(NULL, 0));
}

TEST(pairing_bilinear) {
    mpz_t ma, mb, mr;
    mpz_inits(ma, mb, mr, NULL);
    mpz_set_str(mr, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16);
    for (int i = 0; i < 3; i++) {
        bls_scalar a = rnd_scalar(), b = rnd_scalar(), ab = {{0}};
        mpz_import(ma, 4, -1, 8, 0, 0, a.l);
        mpz_import(mb, 4, -1, 8, 0, 0, b.l);
        mpz_mul(ma, ma, mb);
        mpz_mod(ma, ma, mr);
        mpz_export(ab.l, NULL, -1, 8, 0, 0, ma);
        bls_g1 P = rnd_g1(), aP;
        bls_g2 Q = rnd_g2(), bQ;
        bls_g1_mul(&aP, &P, &a);
        bls_g2_mul(&bQ, &Q, &b);
        bls_g1_affine pa = g1_aff(&P), apa = g1_aff(&aP);
        bls_g2_affine qa = g2_aff(&Q), bqa = g2_aff(&bQ);
        bls_fp12 l, r;
        bls_pairing(&l, &apa, &bqa);
        bls_pairing(&r, &pa, &qa);
        bls_fp12_pow(&r, &r, ab.l, 4);
        CHECK(bls_fp12_eq(&l, &r));
        /* e(aP, bQ) e(-abP, Q) == 1 as a two-pair check. */
        bls_g1 abP;
        bls_g1_mul(&abP, &P, &ab);
        bls_g1_neg(&abP, &abP);
        bls_pairing_pair pairs[2] = {{apa, bqa}, {g1_aff(&abP), qa}};
        CHECK(bls12_381_pairing_check(pairs, 2));
        pairs[1].p = apa;
        CHECK(!bls12_381_pairing_check(pairs, 2));
    }
    mpz_clears(ma, mb, mr, NULL);
}

TEST(pairing_prepared_and_chunks) {
    /* Prepared lines give the same final value as the projective loop, and
     * more pairs than one Miller chunk (8) multiply correctly. */
    bls_g1_affine ps[11];
    bls_g2_affine qs[11];
    bls_pairing_pair pairs[11];
    bls_g2_prepared prep[11];
    const bls_g2_prepared *pq[11];
    bls_g1 sum;
    bls_g1_set_inf(&sum);
    bls_g2 q = rnd_g2();
    bls_g2_affine qa = g2_aff(&q);
    for (int i = 0; i < 10; i++) {
        bls_g1 p = rnd_g1();
        bls_g1_add(&sum, &sum, &p);
        ps[i] = g1_aff(&p);
        qs[i] = qa;
    }
    bls_g1_neg(&sum, &sum);
    ps[10] = g1_aff(&sum);
    qs[10] = qa;
    for (int i = 0; i < 11; i++) {
        pairs[i] = (bls_pairing_pair){ps[i], qs[i]};
        if (i < 3) {
            bls_g2_prepare(&prep[i], &qs[i]);
            pq[i] = &prep[i];
        }
    }
    /* sum_i e(P_i, Q) * e(-sum P_i, Q) == 1 */
    CHECK(bls12_381_pairing_check(pairs, 11));
    pairs[3].p.inf = true;
    CHECK(!bls12_381_pairing_check(pairs, 11));
    bls_fp12 f1, f2;
    bls_miller_loop(&f1, pairs, 3);
    bls_final_exp(&f1, &f1);
    bls_g1 pj[3];
    bls_g1_prepared pp[3];
    for (int i = 0; i < 3; i++) {
        /* Jacobian with z != 1, to exercise bls_g1_prepare's scaling. */
        bls_g1_from_affine(&pj[i], &ps[i]);
        bls_g1_dbl(&pj[i], &pj[i]);
        bls_g1_add(&pj[i], &pj[i], &pj[i]);
    }
    bls_g1_prepare(pp, pj, 3);
    bls_miller_loop_prepared(&f2, pp, pq, 3);
    bls_final_exp(&f2, &f2);
    /* both sides: e(4 P_i, Q) vs e(P_i, Q) -> compare e(P_i,Q)^4 */
    bls_fp12_sqr(&f1, &f1);
    bls_fp12_sqr(&f1, &f1);
    CHECK(bls_fp12_eq(&f1, &f2));
}

TEST(g1_prepare_batches) {
    /* 20 points (two inversion batches), some at infinity. */
    bls_g1 p[20];
    bls_g1_prepared pp[20];
    for (int i = 0; i < 20; i++) {
        p[i] = rnd_g1();
        if (i % 7 == 3)
            bls_g1_set_inf(&p[i]);
    }
    bls_g1_prepare(pp, p, 20);
    for (int i = 0; i < 20; i++) {
        CHECK(pp[i].inf == bls_g1_is_inf(&p[i]));
        if (pp[i].inf)
            continue;
        bls_g1_affine a;
        bls_g1_to_affine(&a, &p[i]);
        bls_fp t;
        bls_fp_mul(&t, &pp[i].y_inv, &a.y);
        CHECK(bls_fp_eq(&t, &BLS_FP_ONE));
        bls_fp_mul(&t, &pp[i].x_over_y, &a.y);
        CHECK(bls_fp_eq(&t, &a.x));
    }
}

TEST(final_exp_matches_definition) {
    /* bls_final_exp computes f^(3 (p^12 - 1) / r). Check against a plain
     * exponentiation by that 4316-bit number, built with GMP. */
    mpz_t p, r, e;
    mpz_inits(p, r, e, NULL);
    mpz_set_str(p, P_HEX, 16);
    mpz_set_str(r, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16);
    mpz_pow_ui(e, p, 12);
    mpz_sub_ui(e, e, 1);
    CHECK(mpz_divisible_p(e, r));
    mpz_divexact(e, e, r);
    mpz_mul_ui(e, e, 3);
    uint64_t limbs[80] = {0};
    size_t n = 0;
    mpz_export(limbs, &n, -1, 8, 0, 0, e);
    CHECK(n <= 80);
    bls_fp12 a = rnd_fp12(), x, y;
    bls_final_exp(&x, &a);
    bls_fp12_pow(&y, &a, limbs, n);
    CHECK(bls_fp12_eq(&x, &y));
    mpz_clears(p, r, e, NULL);
}
