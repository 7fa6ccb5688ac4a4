/* BLS12-381 extension tower: Fp2 = Fp[u]/(u^2+1), Fp6 = Fp2[v]/(v^3-xi) with
 * xi = 1+u, Fp12 = Fp6[w]/(w^2-v). Includes the Frobenius map, the
 * cyclotomic squaring of the final exponentiation and the sparse product by
 * a Miller-loop line. Constants: scripts/bls12_381_constants.py. */
#include "crypto/bls12_381.h"

/* ---- Fp2 ----------------------------------------------------------------- */

void bls_fp2_mul_portable(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b) {
    /* Karatsuba: three base-field products. */
    bls_fp t0, t1, s0, s1;
    bls_fp_mul(&t0, &a->c0, &b->c0);
    bls_fp_mul(&t1, &a->c1, &b->c1);
    bls_fp_add(&s0, &a->c0, &a->c1);
    bls_fp_add(&s1, &b->c0, &b->c1);
    bls_fp_mul(&s0, &s0, &s1);
    bls_fp_sub(&r->c0, &t0, &t1);
    bls_fp_sub(&s0, &s0, &t0);
    bls_fp_sub(&r->c1, &s0, &t1);
}

void bls_fp2_mul_fp(bls_fp2 *r, const bls_fp2 *a, const bls_fp *b) {
    bls_fp_mul(&r->c0, &a->c0, b);
    bls_fp_mul(&r->c1, &a->c1, b);
}

void bls_fp2_sqr_portable(bls_fp2 *r, const bls_fp2 *a) {
    /* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u */
    bls_fp s, d, m;
    bls_fp_add(&s, &a->c0, &a->c1);
    bls_fp_sub(&d, &a->c0, &a->c1);
    bls_fp_mul(&m, &a->c0, &a->c1);
    bls_fp_mul(&r->c0, &s, &d);
    bls_fp_dbl(&r->c1, &m);
}

void bls_fp2_inv(bls_fp2 *r, const bls_fp2 *a) {
    /* 1/(a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2) */
    bls_fp n, t;
    bls_fp_sqr(&n, &a->c0);
    bls_fp_sqr(&t, &a->c1);
    bls_fp_add(&n, &n, &t);
    bls_fp_inv(&n, &n);
    bls_fp_mul(&r->c0, &a->c0, &n);
    bls_fp_mul(&t, &a->c1, &n);
    bls_fp_neg(&r->c1, &t);
}

bool bls_fp2_is_lex_largest(const bls_fp2 *a) {
    if (!bls_fp_is_zero(&a->c1))
        return bls_fp_is_lex_largest(&a->c1);
    return bls_fp_is_lex_largest(&a->c0);
}

void bls_fp2_pow(bls_fp2 *r, const bls_fp2 *a, const uint64_t *e, size_t n) {
    bls_fp2 acc = {BLS_FP_ONE, BLS_FP_ZERO}, base = *a;
    size_t bits = n * 64;
    bool started = false;
    for (size_t i = bits; i-- > 0;) {
        if (started)
            bls_fp2_sqr(&acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1) {
            bls_fp2_mul(&acc, &acc, &base);
            started = true;
        }
    }
    *r = acc;
}

/* r = a / 2: the Montgomery representation halves like the value. */
static void fp_half(bls_fp *r, const bls_fp *a) {
    uint64_t t[7], carry = 0;
    bool odd = a->l[0] & 1;
    for (int i = 0; i < 6; i++) {                /* t = a (+ p if odd) */
        unsigned __int128 s = (unsigned __int128)a->l[i] + (odd ? BLS_FP_P[i] : 0) + carry;
        t[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    t[6] = carry;
    for (int i = 0; i < 6; i++)
        r->l[i] = (t[i] >> 1) | (t[i + 1] << 63);
}

bool bls_fp2_sqrt(bls_fp2 *r, const bls_fp2 *a) {
    /* p = 3 mod 4. a = a0 + a1 u is a square iff its norm N = a0^2 + a1^2
     * is a square in Fp. With alpha = sqrt(N), delta = (a0 + alpha)/2 and
     * delta' = (a0 - alpha)/2 satisfy delta + delta' = a0 and
     * delta delta' = -a1^2/4, so for a1 != 0 exactly one of them is a
     * square. t = delta^((p+1)/4) is sqrt(delta) if delta is a square and
     * sqrt(-delta) otherwise; the root is t + a1/(2t) u in the first case,
     * a1/(2t) + t u in the second. Two exponentiations in Fp instead of two
     * in Fp2; the final check makes the result trustworthy. */
    bls_fp2 x, chk;
    if (bls_fp_is_zero(&a->c1)) {
        /* every element of Fp is a square in Fp2: sqrt(a0), or
         * sqrt(-a0) u when a0 is not a square in Fp */
        bls_fp t;
        bls_fp_sqrt_candidate(&t, &a->c0);
        bls_fp_sqr(&chk.c0, &t);
        if (bls_fp_eq(&chk.c0, &a->c0)) {
            x.c0 = t;
            x.c1 = BLS_FP_ZERO;
        } else {
            x.c0 = BLS_FP_ZERO;
            x.c1 = t;
        }
    } else {
        bls_fp n, alpha, delta, t, t2, inv;
        bls_fp_sqr(&n, &a->c0);
        bls_fp_sqr(&t, &a->c1);
        bls_fp_add(&n, &n, &t);
        bls_fp_sqrt_candidate(&alpha, &n);
        bls_fp_sqr(&t, &alpha);
        if (!bls_fp_eq(&t, &n))
            return false;                        /* the norm is not a square */
        bls_fp_add(&delta, &a->c0, &alpha);
        fp_half(&delta, &delta);
        bls_fp_sqrt_candidate(&t, &delta);
        bls_fp_sqr(&t2, &t);
        bls_fp_dbl(&inv, &t);
        bls_fp_inv(&inv, &inv);
        bls_fp_mul(&inv, &inv, &a->c1);          /* a1 / (2t) */
        if (bls_fp_eq(&t2, &delta)) {
            x.c0 = t;
            x.c1 = inv;
        } else {
            x.c0 = inv;
            x.c1 = t;
        }
    }
    bls_fp2_sqr(&chk, &x);
    if (!bls_fp2_eq(&chk, a))
        return false;
    *r = x;
    return true;
}

/* ---- Fp6 ----------------------------------------------------------------- */

void bls_fp6_mul(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b) {
    /* Karatsuba over three coefficients: six Fp2 products. */
    bls_fp2 t0, t1, t2, s, u, c0, c1, c2;
    bls_fp2_mul(&t0, &a->c0, &b->c0);
    bls_fp2_mul(&t1, &a->c1, &b->c1);
    bls_fp2_mul(&t2, &a->c2, &b->c2);
    /* c0 = t0 + xi((a1+a2)(b1+b2) - t1 - t2) */
    bls_fp2_add(&s, &a->c1, &a->c2);
    bls_fp2_add(&u, &b->c1, &b->c2);
    bls_fp2_mul(&s, &s, &u);
    bls_fp2_sub(&s, &s, &t1);
    bls_fp2_sub(&s, &s, &t2);
    bls_fp2_mul_xi(&s, &s);
    bls_fp2_add(&c0, &s, &t0);
    /* c1 = (a0+a1)(b0+b1) - t0 - t1 + xi t2 */
    bls_fp2_add(&s, &a->c0, &a->c1);
    bls_fp2_add(&u, &b->c0, &b->c1);
    bls_fp2_mul(&s, &s, &u);
    bls_fp2_sub(&s, &s, &t0);
    bls_fp2_sub(&s, &s, &t1);
    bls_fp2_mul_xi(&u, &t2);
    bls_fp2_add(&c1, &s, &u);
    /* c2 = (a0+a2)(b0+b2) - t0 - t2 + t1 */
    bls_fp2_add(&s, &a->c0, &a->c2);
    bls_fp2_add(&u, &b->c0, &b->c2);
    bls_fp2_mul(&s, &s, &u);
    bls_fp2_sub(&s, &s, &t0);
    bls_fp2_sub(&s, &s, &t2);
    bls_fp2_add(&c2, &s, &t1);
    r->c0 = c0;
    r->c1 = c1;
    r->c2 = c2;
}

void bls_fp6_sqr(bls_fp6 *r, const bls_fp6 *a) {
    /* Chung-Hasan SQR2. */
    bls_fp2 s0, s1, s2, s3, s4, t;
    bls_fp2_sqr(&s0, &a->c0);
    bls_fp2_mul(&s1, &a->c0, &a->c1);
    bls_fp2_dbl(&s1, &s1);
    bls_fp2_sub(&t, &a->c0, &a->c1);
    bls_fp2_add(&t, &t, &a->c2);
    bls_fp2_sqr(&s2, &t);
    bls_fp2_mul(&s3, &a->c1, &a->c2);
    bls_fp2_dbl(&s3, &s3);
    bls_fp2_sqr(&s4, &a->c2);
    /* c2 = s1 + s2 + s3 - s0 - s4 */
    bls_fp2_add(&t, &s1, &s2);
    bls_fp2_add(&t, &t, &s3);
    bls_fp2_sub(&t, &t, &s0);
    bls_fp2_sub(&r->c2, &t, &s4);
    /* c0 = s0 + xi s3, c1 = s1 + xi s4 */
    bls_fp2_mul_xi(&s3, &s3);
    bls_fp2_add(&r->c0, &s0, &s3);
    bls_fp2_mul_xi(&s4, &s4);
    bls_fp2_add(&r->c1, &s1, &s4);
}

void bls_fp6_inv(bls_fp6 *r, const bls_fp6 *a) {
    bls_fp2 t0, t1, t2, u, d;
    /* t0 = a0^2 - xi a1 a2, t1 = xi a2^2 - a0 a1, t2 = a1^2 - a0 a2 */
    bls_fp2_sqr(&t0, &a->c0);
    bls_fp2_mul(&u, &a->c1, &a->c2);
    bls_fp2_mul_xi(&u, &u);
    bls_fp2_sub(&t0, &t0, &u);
    bls_fp2_sqr(&t1, &a->c2);
    bls_fp2_mul_xi(&t1, &t1);
    bls_fp2_mul(&u, &a->c0, &a->c1);
    bls_fp2_sub(&t1, &t1, &u);
    bls_fp2_sqr(&t2, &a->c1);
    bls_fp2_mul(&u, &a->c0, &a->c2);
    bls_fp2_sub(&t2, &t2, &u);
    /* d = a0 t0 + xi (a2 t1 + a1 t2) */
    bls_fp2_mul(&d, &a->c2, &t1);
    bls_fp2_mul(&u, &a->c1, &t2);
    bls_fp2_add(&d, &d, &u);
    bls_fp2_mul_xi(&d, &d);
    bls_fp2_mul(&u, &a->c0, &t0);
    bls_fp2_add(&d, &d, &u);
    bls_fp2_inv(&d, &d);
    bls_fp2_mul(&r->c0, &t0, &d);
    bls_fp2_mul(&r->c1, &t1, &d);
    bls_fp2_mul(&r->c2, &t2, &d);
}

/* ---- Fp12 ---------------------------------------------------------------- */

const bls_fp12 BLS_FP12_ONE = {
    .c0 = {.c0 = {.c0 = {{0x760900000002fffdULL, 0xebf4000bc40c0002ULL,
                          0x5f48985753c758baULL, 0x77ce585370525745ULL,
                          0x5c071a97a256ec6dULL, 0x15f65ec3fa80e493ULL}}}}};

void bls_fp12_mul(bls_fp12 *r, const bls_fp12 *a, const bls_fp12 *b) {
    /* Karatsuba: (a0 + a1 w)(b0 + b1 w) with w^2 = v. */
    bls_fp6 t0, t1, s, u;
    bls_fp6_mul(&t0, &a->c0, &b->c0);
    bls_fp6_mul(&t1, &a->c1, &b->c1);
    bls_fp6_add(&s, &a->c0, &a->c1);
    bls_fp6_add(&u, &b->c0, &b->c1);
    bls_fp6_mul(&s, &s, &u);
    bls_fp6_sub(&s, &s, &t0);
    bls_fp6_sub(&r->c1, &s, &t1);
    bls_fp6_mul_v(&t1, &t1);
    bls_fp6_add(&r->c0, &t0, &t1);
}

void bls_fp12_sqr(bls_fp12 *r, const bls_fp12 *a) {
    /* Complex squaring: c0 = (a0+a1)(a0+v a1) - m - v m, c1 = 2m, m = a0 a1. */
    bls_fp6 m, s, t;
    bls_fp6_mul(&m, &a->c0, &a->c1);
    bls_fp6_add(&s, &a->c0, &a->c1);
    bls_fp6_mul_v(&t, &a->c1);
    bls_fp6_add(&t, &t, &a->c0);
    bls_fp6_mul(&s, &s, &t);
    bls_fp6_sub(&s, &s, &m);
    bls_fp6_mul_v(&t, &m);
    bls_fp6_sub(&r->c0, &s, &t);
    bls_fp6_add(&r->c1, &m, &m);
}

void bls_fp12_inv(bls_fp12 *r, const bls_fp12 *a) {
    /* 1/(a0 + a1 w) = (a0 - a1 w) / (a0^2 - v a1^2) */
    bls_fp6 t0, t1;
    bls_fp6_sqr(&t0, &a->c0);
    bls_fp6_sqr(&t1, &a->c1);
    bls_fp6_mul_v(&t1, &t1);
    bls_fp6_sub(&t0, &t0, &t1);
    bls_fp6_inv(&t0, &t0);
    bls_fp6_mul(&r->c0, &a->c0, &t0);
    bls_fp6_mul(&t1, &a->c1, &t0);
    bls_fp6_neg(&r->c1, &t1);
}

void bls_fp12_conj(bls_fp12 *r, const bls_fp12 *a) {
    r->c0 = a->c0;
    bls_fp6_neg(&r->c1, &a->c1);
}

/* v^p = FROB_V1 v, v^(2p) = FROB_V2 v^2, w^p = FROB_W w. */
static const bls_fp2 FROB_V1 = {
    {{0}},
    {{0xcd03c9e48671f071ULL, 0x5dab22461fcda5d2ULL, 0x587042afd3851b95ULL,
      0x8eb60ebe01bacb9eULL, 0x03f97d6e83d050d2ULL, 0x18f0206554638741ULL}}};
static const bls_fp2 FROB_V2 = {
    {{0x890dc9e4867545c3ULL, 0x2af322533285a5d5ULL, 0x50880866309b7e2cULL,
      0xa20d1b8c7e881024ULL, 0x14e4f04fe2db9068ULL, 0x14e56d3f1564853aULL}},
    {{0}}};
static const bls_fp2 FROB_W = {
    {{0x07089552b319d465ULL, 0xc6695f92b50a8313ULL, 0x97e83cccd117228fULL,
      0xa35baecab2dc29eeULL, 0x1ce393ea5daace4dULL, 0x08f2220fb0fb66ebULL}},
    {{0xb2f66aad4ce5d646ULL, 0x5842a06bfc497cecULL, 0xcf4895d42599d394ULL,
      0xc11b9cba40a8e8d0ULL, 0x2e3813cbe5a0de89ULL, 0x110eefda88847fafULL}}};

static void fp6_frobenius(bls_fp6 *r, const bls_fp6 *a) {
    bls_fp2_conj(&r->c0, &a->c0);
    bls_fp2_conj(&r->c1, &a->c1);
    bls_fp2_mul(&r->c1, &r->c1, &FROB_V1);
    bls_fp2_conj(&r->c2, &a->c2);
    bls_fp2_mul(&r->c2, &r->c2, &FROB_V2);
}

void bls_fp12_frobenius(bls_fp12 *r, const bls_fp12 *a) {
    fp6_frobenius(&r->c0, &a->c0);
    fp6_frobenius(&r->c1, &a->c1);
    bls_fp2_mul(&r->c1.c0, &r->c1.c0, &FROB_W);
    bls_fp2_mul(&r->c1.c1, &r->c1.c1, &FROB_W);
    bls_fp2_mul(&r->c1.c2, &r->c1.c2, &FROB_W);
}

void bls_fp12_pow(bls_fp12 *r, const bls_fp12 *a, const uint64_t *e, size_t n) {
    bls_fp12 acc = BLS_FP12_ONE, base = *a;
    bool started = false;
    for (size_t i = n * 64; i-- > 0;) {
        if (started)
            bls_fp12_sqr(&acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1) {
            bls_fp12_mul(&acc, &acc, &base);
            started = true;
        }
    }
    *r = acc;
}

bool bls_fp12_eq(const bls_fp12 *a, const bls_fp12 *b) {
    const bls_fp2 *x = &a->c0.c0, *y = &b->c0.c0;
    for (int i = 0; i < 6; i++)
        if (!bls_fp2_eq(&x[i], &y[i]))
            return false;
    return true;
}

bool bls_fp12_is_one(const bls_fp12 *a) { return bls_fp12_eq(a, &BLS_FP12_ONE); }

/* (a + b s)^2 in Fp4 = Fp2[s]/(s^2 - xi), three Fp2 squarings. */
static void fp4_sqr(bls_fp2 *r0, bls_fp2 *r1, const bls_fp2 *a, const bls_fp2 *b) {
    bls_fp2 a2, b2, t;
    bls_fp2_sqr(&a2, a);
    bls_fp2_sqr(&b2, b);
    bls_fp2_add(&t, a, b);
    bls_fp2_sqr(&t, &t);
    bls_fp2_sub(&t, &t, &a2);
    bls_fp2_sub(r1, &t, &b2);            /* 2ab */
    bls_fp2_mul_xi(&b2, &b2);
    bls_fp2_add(r0, &a2, &b2);           /* a^2 + xi b^2 */
}

/* r = 3t - 2a (sub) or 3t + 2a (add): the Granger-Scott recombination. */
static void gs_comb(bls_fp2 *r, const bls_fp2 *t, const bls_fp2 *a, bool add) {
    bls_fp2 d;
    if (add)
        bls_fp2_add(&d, t, a);
    else
        bls_fp2_sub(&d, t, a);
    bls_fp2_dbl(&d, &d);
    bls_fp2_add(r, &d, t);
}

void bls_fp12_cyclotomic_sqr(bls_fp12 *r, const bls_fp12 *a) {
    /* Granger and Scott, "Faster squaring in the cyclotomic subgroup of sixth
     * degree extensions". Viewing Fp12 = Fp4[w]/(w^3 - s) with s = w^3, an
     * element is A + B w + C w^2 where A = g0 + h1 s, B = h0 + g2 s,
     * C = g1 + h2 s (g = c0, h = c1 coefficients). For cyclotomic elements
     * the square is (3A^2 - 2conj A) + (3 s C^2 + 2 conj B) w
     * + (3B^2 - 2 conj C) w^2, conj negating the s part. */
    const bls_fp2 *g0 = &a->c0.c0, *g1 = &a->c0.c1, *g2 = &a->c0.c2;
    const bls_fp2 *h0 = &a->c1.c0, *h1 = &a->c1.c1, *h2 = &a->c1.c2;
    bls_fp2 a0, a1, b0, b1, c0, c1, t;
    fp4_sqr(&a0, &a1, g0, h1);           /* A^2 */
    fp4_sqr(&b0, &b1, h0, g2);           /* B^2 */
    fp4_sqr(&c0, &c1, g1, h2);           /* C^2 */
    bls_fp12 out;
    gs_comb(&out.c0.c0, &a0, g0, false);
    gs_comb(&out.c1.c1, &a1, h1, true);
    bls_fp2_mul_xi(&t, &c1);             /* s C^2 = xi c1 + c0 s */
    gs_comb(&out.c1.c0, &t, h0, true);
    gs_comb(&out.c0.c2, &c0, g2, false);
    gs_comb(&out.c0.c1, &b0, g1, false);
    gs_comb(&out.c1.c2, &b1, h2, true);
    *r = out;
}

/* a * (c0 + c1 v): an Fp6 element times a sparse one, five Fp2 products. */
static void fp6_mul_01(bls_fp6 *r, const bls_fp6 *a, const bls_fp2 *c0,
                       const bls_fp2 *c1) {
    bls_fp2 t0, t1, s, u, x;
    bls_fp2_mul(&t0, &a->c0, c0);
    bls_fp2_mul(&t1, &a->c1, c1);
    /* r0 = t0 + xi a2 c1 */
    bls_fp2_mul(&x, &a->c2, c1);
    bls_fp2_mul_xi(&x, &x);
    bls_fp2_add(&x, &x, &t0);
    /* r1 = (a0 + a1)(c0 + c1) - t0 - t1 */
    bls_fp2_add(&s, &a->c0, &a->c1);
    bls_fp2_add(&u, c0, c1);
    bls_fp2_mul(&s, &s, &u);
    bls_fp2_sub(&s, &s, &t0);
    bls_fp2_sub(&r->c1, &s, &t1);
    /* r2 = t1 + a2 c0 */
    bls_fp2_mul(&u, &a->c2, c0);
    bls_fp2_add(&r->c2, &u, &t1);
    r->c0 = x;
}

/* a * (c1 v): three Fp2 products. */
static void fp6_mul_1(bls_fp6 *r, const bls_fp6 *a, const bls_fp2 *c1) {
    bls_fp2 t;
    bls_fp2_mul(&t, &a->c2, c1);
    bls_fp2_mul_xi(&t, &t);
    bls_fp2_mul(&r->c2, &a->c1, c1);
    bls_fp2_mul(&r->c1, &a->c0, c1);
    r->c0 = t;
}

void bls_fp12_mul_line(bls_fp12 *r, const bls_fp12 *a, const bls_fp2 *c0,
                       const bls_fp2 *c1, const bls_fp2 *c4) {
    /* line = L0 + L1 w with L0 = c0 + c1 v and L1 = c4 v. */
    bls_fp6 t0, t1, s;
    bls_fp2 u;
    fp6_mul_01(&t0, &a->c0, c0, c1);
    fp6_mul_1(&t1, &a->c1, c4);
    bls_fp6_add(&s, &a->c0, &a->c1);
    bls_fp2_add(&u, c1, c4);
    fp6_mul_01(&s, &s, c0, &u);
    bls_fp6_sub(&s, &s, &t0);
    bls_fp6_sub(&r->c1, &s, &t1);
    bls_fp6_mul_v(&t1, &t1);
    bls_fp6_add(&r->c0, &t0, &t1);
}

void bls_fp12_mul_line_1(bls_fp12 *r, const bls_fp12 *a, const bls_fp2 *c0,
                         const bls_fp2 *c1) {
    /* line = L0 + v w with L0 = c0 + c1 v: a->c1 * v is a mere shift. */
    bls_fp6 t0, t1, s;
    bls_fp2 u = *c1;
    fp6_mul_01(&t0, &a->c0, c0, c1);
    bls_fp6_mul_v(&t1, &a->c1);
    bls_fp6_add(&s, &a->c0, &a->c1);
    bls_fp_add(&u.c0, &u.c0, &BLS_FP_ONE);
    fp6_mul_01(&s, &s, c0, &u);
    bls_fp6_sub(&s, &s, &t0);
    bls_fp6_sub(&r->c1, &s, &t1);
    bls_fp6_mul_v(&t1, &t1);
    bls_fp6_add(&r->c0, &t0, &t1);
}
