/* BN254 tower arithmetic: Fp2 inversion, Fp6 and Fp12 (see bn254_tower.h for
 * the representation). Multiplications use Karatsuba at every level; Fp12
 * has dedicated routines for the sparse line values of the Miller loop and
 * for squaring in the cyclotomic subgroup. Constants come from
 * scripts/bn254_constants.py. */
#include "crypto/bn254_tower.h"

const fp2 FP2_ZERO = {{{0, 0, 0, 0}}, {{0, 0, 0, 0}}};
const fp2 FP2_ONE = {{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                       0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}},
                     {{0, 0, 0, 0}}};
#define ZERO2 {{{0, 0, 0, 0}}, {{0, 0, 0, 0}}}
const fp12 FP12_ONE = {{{{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                          0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}},
                        {{0, 0, 0, 0}}},
                       ZERO2,
                       ZERO2},
                      {ZERO2, ZERO2, ZERO2}};

#define FP2(a0, a1, a2, a3, b0, b1, b2, b3) \
    {{{a0##ULL, a1##ULL, a2##ULL, a3##ULL}}, {{b0##ULL, b1##ULL, b2##ULL, b3##ULL}}}

const fp2 BN254_GAMMA1[6] = {
    FP2(0xd35d438dc58f0d9d, 0x0a78eb28f5c70b3d, 0x666ea36f7879462c, 0x0e0a77c19a07df2f,
        0, 0, 0, 0),
    FP2(0xaf9ba69633144907, 0xca6b1d7387afb78a, 0x11bded5ef08a2087, 0x02f34d751a1f3a7c,
        0xa222ae234c492d72, 0xd00f02a4565de15b, 0xdc2ff3a253dfc926, 0x10a75716b3899551),
    FP2(0xb5773b104563ab30, 0x347f91c8a9aa6454, 0x7a007127242e0991, 0x1956bcd8118214ec,
        0x6e849f1ea0aa4757, 0xaa1c7b6d89f89141, 0xb6e713cdfae0ca3a, 0x26694fbb4e82ebc3),
    FP2(0xe4bbdd0c2936b629, 0xbb30f162e133bacb, 0x31a9d1b6f9645366, 0x253570bea500f8dd,
        0xa1d77ce45ffe77c7, 0x07affd117826d1db, 0x6d16bd27bb7edc6b, 0x2c87200285defecc),
    FP2(0x7361d77f843abe92, 0xa5bb2bd3273411fb, 0x9c941f314b3e2399, 0x15df9cddbb9fd3ec,
        0x5dddfd154bd8c949, 0x62cb29a5a4445b60, 0x37bc870a0c7dd2b9, 0x24830a9d3171f0fd),
    FP2(0xc970692f41690fe7, 0xe240342127694b0b, 0x32bee66b83c459e8, 0x12aabced0ab08841,
        0x0d485d2340aebfa9, 0x05193418ab2fcc57, 0xd3b0a40b8a4910f5, 0x2f21ebb535d2925a),
};

/* gamma_{2,k} lie in Fp (imaginary parts are zero). */
const fp2 BN254_GAMMA2[6] = {
    FP2(0xd35d438dc58f0d9d, 0x0a78eb28f5c70b3d, 0x666ea36f7879462c, 0x0e0a77c19a07df2f,
        0, 0, 0, 0),
    FP2(0xca8d800500fa1bf2, 0xf0c5d61468b39769, 0x0e201271ad0d4418, 0x04290f65bad856e6,
        0, 0, 0, 0),
    FP2(0x3350c88e13e80b9c, 0x7dce557cdb5e56b9, 0x6001b4b8b615564a, 0x2682e617020217e0,
        0, 0, 0, 0),
    FP2(0x68c3488912edefaa, 0x8d087f6872aabf4f, 0x51e1a24709081231, 0x2259d6b14729c0fa,
        0, 0, 0, 0),
    FP2(0x71930c11d782e155, 0xa6bb947cffbe3323, 0xaa303344d4741444, 0x2c3b3f0d26594943,
        0, 0, 0, 0),
    FP2(0x08cfc388c494f1ab, 0x19b315148d1373d4, 0x584e90fdcb6c0213, 0x09e1685bdf2f8849,
        0, 0, 0, 0),
};

const fp2 BN254_GAMMA3[6] = {
    FP2(0xd35d438dc58f0d9d, 0x0a78eb28f5c70b3d, 0x666ea36f7879462c, 0x0e0a77c19a07df2f,
        0, 0, 0, 0),
    FP2(0x365316184e46d97d, 0x0af7129ed4c96d9f, 0x659da72fca1009b5, 0x08116d8983a20d23,
        0xb1df4af7c39c1939, 0x3d9f02878a73bf7f, 0x9b2220928caf0ae0, 0x26684515eff054a6),
    FP2(0xc9af22f716ad6bad, 0xb311782a4aa662b2, 0x19eeaf64e248c7f4, 0x20273e77e3439f82,
        0xacc02860f7ce93ac, 0x3933d5817ba76b4c, 0x69e6188b446c8467, 0x0a46036d4417cc55),
    FP2(0x5764af0aaf46471e, 0xdc50792e873e0fc1, 0x86a673ff881d04f6, 0x0b2eddb43c30a74c,
        0x9a490f32787e8580, 0x8fd16d7ff04af8b1, 0x4b39888ec6027bf2, 0x03dd2e705b52a15d),
    FP2(0x448a93a57b6762df, 0xbfd62df528fdeadf, 0xd858f5d00e9bd47a, 0x06b03d4d3476ec58,
        0x2b19daf4bcc936d1, 0xa1a54e7a56f4299f, 0xb533eee05adeaef1, 0x170c812b84dda0b2),
    FP2(0xe0bc4b2275cf559f, 0xc238b945c154e60f, 0x803982a5929a7d5e, 0x15ce052df7e4a37e,
        0x2d28efbdbf3799a7, 0x9b097e3c1ad60773, 0x982d4113af4a535b, 0x24e18991e3056063),
};

/* ---- Fp2 ---- */

void fp2_inv(fp2 *r, const fp2 *a) {
    fp n, t;
    fp_sqr(&n, &a->c0);
    fp_sqr(&t, &a->c1);
    fp_add(&n, &n, &t);
    fp_inv(&n, &n);
    fp_mul(&r->c0, &a->c0, &n);
    fp_mul(&t, &a->c1, &n);
    fp_neg(&r->c1, &t);
}

/* ---- Fp6 ---- */

void fp6_add(fp6 *r, const fp6 *a, const fp6 *b) {
    fp2_add(&r->c0, &a->c0, &b->c0);
    fp2_add(&r->c1, &a->c1, &b->c1);
    fp2_add(&r->c2, &a->c2, &b->c2);
}

void fp6_sub(fp6 *r, const fp6 *a, const fp6 *b) {
    fp2_sub(&r->c0, &a->c0, &b->c0);
    fp2_sub(&r->c1, &a->c1, &b->c1);
    fp2_sub(&r->c2, &a->c2, &b->c2);
}

static void fp6_neg(fp6 *r, const fp6 *a) {
    fp2_neg(&r->c0, &a->c0);
    fp2_neg(&r->c1, &a->c1);
    fp2_neg(&r->c2, &a->c2);
}

/* r = a * v = (xi a2, a0, a1). */
static void fp6_mul_v(fp6 *r, const fp6 *a) {
    fp2 t;
    fp2_mul_xi(&t, &a->c2);
    r->c2 = a->c1;
    r->c1 = a->c0;
    r->c0 = t;
}

/* Karatsuba over the cubic extension: six Fp2 products. */
void fp6_mul(fp6 *r, const fp6 *a, const fp6 *b) {
    fp2 t0, t1, t2, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, &b->c0);
    fp2_mul(&t1, &a->c1, &b->c1);
    fp2_mul(&t2, &a->c2, &b->c2);

    fp2_add(&s, &a->c1, &a->c2); /* c0 = t0 + xi ((a1 + a2)(b1 + b2) - t1 - t2) */
    fp2_add(&u, &b->c1, &b->c2);
    fp2_mul(&c0, &s, &u);
    fp2_sub(&c0, &c0, &t1);
    fp2_sub(&c0, &c0, &t2);
    fp2_mul_xi(&c0, &c0);
    fp2_add(&c0, &c0, &t0);

    fp2_add(&s, &a->c0, &a->c1); /* c1 = (a0 + a1)(b0 + b1) - t0 - t1 + xi t2 */
    fp2_add(&u, &b->c0, &b->c1);
    fp2_mul(&c1, &s, &u);
    fp2_sub(&c1, &c1, &t0);
    fp2_sub(&c1, &c1, &t1);
    fp2_mul_xi(&s, &t2);
    fp2_add(&c1, &c1, &s);

    fp2_add(&s, &a->c0, &a->c2); /* c2 = (a0 + a2)(b0 + b2) - t0 - t2 + t1 */
    fp2_add(&u, &b->c0, &b->c2);
    fp2_mul(&c2, &s, &u);
    fp2_sub(&c2, &c2, &t0);
    fp2_sub(&c2, &c2, &t2);
    fp2_add(&c2, &c2, &t1);

    r->c0 = c0, r->c1 = c1, r->c2 = c2;
}

/* r = a * k for k in Fp2. */
static void fp6_mul_fp2(fp6 *r, const fp6 *a, const fp2 *k) {
    fp2_mul(&r->c0, &a->c0, k);
    fp2_mul(&r->c1, &a->c1, k);
    fp2_mul(&r->c2, &a->c2, k);
}

/* r = a * (b0 + b1 v): five Fp2 products. */
static void fp6_mul_sparse01(fp6 *r, const fp6 *a, const fp2 *b0, const fp2 *b1) {
    fp2 t0, t1, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, b0);
    fp2_mul(&t1, &a->c1, b1);
    fp2_mul(&c0, &a->c2, b1); /* c0 = t0 + xi a2 b1 */
    fp2_mul_xi(&c0, &c0);
    fp2_add(&c0, &c0, &t0);
    fp2_add(&s, &a->c0, &a->c1); /* c1 = (a0 + a1)(b0 + b1) - t0 - t1 */
    fp2_add(&u, b0, b1);
    fp2_mul(&c1, &s, &u);
    fp2_sub(&c1, &c1, &t0);
    fp2_sub(&c1, &c1, &t1);
    fp2_mul(&c2, &a->c2, b0); /* c2 = t1 + a2 b0 */
    fp2_add(&c2, &c2, &t1);
    r->c0 = c0, r->c1 = c1, r->c2 = c2;
}

/* (c0 + c1 v + c2 v^2)^-1 = (A + B v + C v^2) / (c0 A + xi (c2 B + c1 C)) with
 * A = c0^2 - xi c1 c2, B = xi c2^2 - c0 c1, C = c1^2 - c0 c2. */
void fp6_inv(fp6 *r, const fp6 *a) {
    fp2 A, B, C, t, n;
    fp2_sqr(&A, &a->c0);
    fp2_mul(&t, &a->c1, &a->c2);
    fp2_mul_xi(&t, &t);
    fp2_sub(&A, &A, &t);
    fp2_sqr(&B, &a->c2);
    fp2_mul_xi(&B, &B);
    fp2_mul(&t, &a->c0, &a->c1);
    fp2_sub(&B, &B, &t);
    fp2_sqr(&C, &a->c1);
    fp2_mul(&t, &a->c0, &a->c2);
    fp2_sub(&C, &C, &t);
    fp2_mul(&n, &a->c2, &B);
    fp2_mul(&t, &a->c1, &C);
    fp2_add(&n, &n, &t);
    fp2_mul_xi(&n, &n);
    fp2_mul(&t, &a->c0, &A);
    fp2_add(&n, &n, &t);
    fp2_inv(&n, &n);
    fp2_mul(&r->c0, &A, &n);
    fp2_mul(&r->c1, &B, &n);
    fp2_mul(&r->c2, &C, &n);
}

/* ---- Fp12 ---- */

bool fp12_eq(const fp12 *a, const fp12 *b) {
    return fp2_eq(&a->c0.c0, &b->c0.c0) && fp2_eq(&a->c0.c1, &b->c0.c1) &&
           fp2_eq(&a->c0.c2, &b->c0.c2) && fp2_eq(&a->c1.c0, &b->c1.c0) &&
           fp2_eq(&a->c1.c1, &b->c1.c1) && fp2_eq(&a->c1.c2, &b->c1.c2);
}

/* Karatsuba over the quadratic extension: three Fp6 products. */
void fp12_mul(fp12 *r, const fp12 *a, const fp12 *b) {
    fp6 t0, t1, s, u;
    fp6_mul(&t0, &a->c0, &b->c0);
    fp6_mul(&t1, &a->c1, &b->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_add(&u, &b->c0, &b->c1);
    fp6_mul(&r->c1, &s, &u);
    fp6_sub(&r->c1, &r->c1, &t0);
    fp6_sub(&r->c1, &r->c1, &t1);
    fp6_mul_v(&t1, &t1);
    fp6_add(&r->c0, &t0, &t1);
}

/* Complex squaring: with t = a0 a1, a^2 = ((a0 + a1)(a0 + a1 v) - t - t v)
 * + 2 t w. Two Fp6 products. */
void fp12_sqr(fp12 *r, const fp12 *a) {
    fp6 t, s, u, tv;
    fp6_mul(&t, &a->c0, &a->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_mul_v(&u, &a->c1);
    fp6_add(&u, &u, &a->c0);
    fp6_mul(&s, &s, &u);
    fp6_mul_v(&tv, &t);
    fp6_sub(&s, &s, &t);
    fp6_sub(&r->c0, &s, &tv);
    fp6_add(&r->c1, &t, &t);
}

/* With L0 = l0 and L1 = l1 + l3 v the line is L0 + L1 w, so
 * a * line = (a0 L0 + a1 L1 v) + ((a0 + a1)(L0 + L1) - a0 L0 - a1 L1) w,
 * where every product with L0 or L1 is sparse: 13 Fp2 products in all. */
void fp12_mul_line(fp12 *r, const fp12 *a, const fp2 *l0, const fp2 *l1, const fp2 *l3) {
    fp6 t0, t1, s;
    fp2 l01;
    fp6_mul_fp2(&t0, &a->c0, l0);
    fp6_mul_sparse01(&t1, &a->c1, l1, l3);
    fp6_add(&s, &a->c0, &a->c1);
    fp2_add(&l01, l0, l1);
    fp6_mul_sparse01(&r->c1, &s, &l01, l3);
    fp6_sub(&r->c1, &r->c1, &t0);
    fp6_sub(&r->c1, &r->c1, &t1);
    fp6_mul_v(&t1, &t1);
    fp6_add(&r->c0, &t0, &t1);
}

/* (a0 + a1 w)^-1 = (a0 - a1 w) / (a0^2 - a1^2 v). */
void fp12_inv(fp12 *r, const fp12 *a) {
    fp6 t0, t1;
    fp6_mul(&t0, &a->c0, &a->c0);
    fp6_mul(&t1, &a->c1, &a->c1);
    fp6_mul_v(&t1, &t1);
    fp6_sub(&t0, &t0, &t1);
    fp6_inv(&t0, &t0);
    fp6_mul(&r->c0, &a->c0, &t0);
    fp6_mul(&r->c1, &a->c1, &t0);
    fp6_neg(&r->c1, &r->c1);
}

void fp12_conj(fp12 *r, const fp12 *a) {
    r->c0 = a->c0;
    fp6_neg(&r->c1, &a->c1);
}

/* a^(p^n) = sum conj^n(a_k) gamma_{n,k} w^k. Coefficient a_k sits at
 * c0.c(k/2) for even k and c1.c(k/2) for odd k. */
void fp12_frobenius(fp12 *r, const fp12 *a, int n) {
    const fp2 *gamma = n == 1 ? BN254_GAMMA1 : n == 2 ? BN254_GAMMA2 : BN254_GAMMA3;
    const fp2 *in[6] = {&a->c0.c0, &a->c1.c0, &a->c0.c1, &a->c1.c1, &a->c0.c2, &a->c1.c2};
    fp2 *out[6] = {&r->c0.c0, &r->c1.c0, &r->c0.c1, &r->c1.c1, &r->c0.c2, &r->c1.c2};
    for (int k = 0; k < 6; k++) {
        fp2 t = *in[k];
        if (n & 1)
            fp2_conj(&t, &t);
        if (n == 2)
            fp2_mul_fp(out[k], &t, &gamma[k].c0);
        else if (k == 0)
            *out[k] = t;
        else
            fp2_mul(out[k], &t, &gamma[k]);
    }
}

/* (x + y s)^2 = (x^2 + xi y^2) + 2xy s in Fp4 = Fp2[s]/(s^2 - xi), with
 * 2xy = (x + y)^2 - x^2 - y^2: three Fp2 squarings. */
static void fp4_sqr(fp2 *rx, fp2 *ry, const fp2 *x, const fp2 *y) {
    fp2 x2, y2, s;
    fp2_sqr(&x2, x);
    fp2_sqr(&y2, y);
    fp2_add(&s, x, y);
    fp2_sqr(&s, &s);
    fp2_sub(&s, &s, &x2);
    fp2_sub(ry, &s, &y2);
    fp2_mul_xi(&y2, &y2);
    fp2_add(rx, &x2, &y2);
}

/* r = 3 t - 2 z  (minus = true) or 3 t + 2 z, as 2 (t -+ z) + t. */
static void three_t_two_z(fp2 *r, const fp2 *t, const fp2 *z, bool minus) {
    fp2 d;
    if (minus)
        fp2_sub(&d, t, z);
    else
        fp2_add(&d, t, z);
    fp2_dbl(&d, &d);
    fp2_add(r, &d, t);
}

/* Granger-Scott: viewing Fp12 as Fp4[t]/(t^3 - s) with s = w^3 and t = w,
 * a = g0 + g1 t + g2 t^2 with g0 = a0 + a3 s, g1 = a1 + a4 s, g2 = a2 + a5 s.
 * For a in the cyclotomic subgroup,
 *   a^2 = (3 g0^2 - 2 conj(g0)) + (3 s g2^2 + 2 conj(g1)) t
 *       + (3 g1^2 - 2 conj(g2)) t^2,
 * where conj(x + y s) = x - y s. Nine Fp2 squarings instead of twelve Fp2
 * products. */
void fp12_cyclotomic_sqr(fp12 *r, const fp12 *a) {
    const fp2 *x0 = &a->c0.c0, *y0 = &a->c1.c1;
    const fp2 *x1 = &a->c1.c0, *y1 = &a->c0.c2;
    const fp2 *x2 = &a->c0.c1, *y2 = &a->c1.c2;
    fp2 A0, B0, A1, B1, A2, B2, xiB2;
    fp4_sqr(&A0, &B0, x0, y0);
    fp4_sqr(&A1, &B1, x1, y1);
    fp4_sqr(&A2, &B2, x2, y2);
    fp2_mul_xi(&xiB2, &B2);
    fp12 o;
    three_t_two_z(&o.c0.c0, &A0, x0, true);    /* h0.x = 3 A0 - 2 x0 */
    three_t_two_z(&o.c1.c1, &B0, y0, false);   /* h0.y = 3 B0 + 2 y0 */
    three_t_two_z(&o.c1.c0, &xiB2, x1, false); /* h1.x = 3 xi B2 + 2 x1 */
    three_t_two_z(&o.c0.c2, &A2, y1, true);    /* h1.y = 3 A2 - 2 y1 */
    three_t_two_z(&o.c0.c1, &A1, x2, true);    /* h2.x = 3 A1 - 2 x2 */
    three_t_two_z(&o.c1.c2, &B1, y2, false);   /* h2.y = 3 B1 + 2 y2 */
    *r = o;
}
