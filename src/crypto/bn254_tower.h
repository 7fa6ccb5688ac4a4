/* The BN254 extension-field tower used by G2 and the pairing:
 *   Fp2  = Fp[i]  / (i^2 + 1)
 *   Fp6  = Fp2[v] / (v^3 - xi),  xi = 9 + i
 *   Fp12 = Fp6[w] / (w^2 - v)
 * so w^6 = xi. An Fp12 element sum a_k w^k (a_k in Fp2) is stored as
 * c0 = (a0, a2, a4) and c1 = (a1, a3, a5). Internal to src/crypto. Every
 * operation allows its result to alias its operands. */
#ifndef PAREVM_CRYPTO_BN254_TOWER_H
#define PAREVM_CRYPTO_BN254_TOWER_H

#include "crypto/bn254_fp.h"

typedef struct {
    fp c0, c1; /* c0 + c1 i */
} fp2;

typedef struct {
    fp2 c0, c1, c2; /* c0 + c1 v + c2 v^2 */
} fp6;

typedef struct {
    fp6 c0, c1; /* c0 + c1 w */
} fp12;

extern const fp2 FP2_ZERO;
extern const fp2 FP2_ONE;
extern const fp12 FP12_ONE;

/* ---- Fp2 (inline: the curve code is built from these) ----
 * add, sub, dbl (2a), neg, conj (a0 - a1 i), is_zero, eq, mul, sqr,
 * mul_fp (by an Fp scalar) and mul_xi (by 9 + i). */

static inline void fp2_add(fp2 *r, const fp2 *a, const fp2 *b) {
    fp_add(&r->c0, &a->c0, &b->c0);
    fp_add(&r->c1, &a->c1, &b->c1);
}

static inline void fp2_sub(fp2 *r, const fp2 *a, const fp2 *b) {
    fp_sub(&r->c0, &a->c0, &b->c0);
    fp_sub(&r->c1, &a->c1, &b->c1);
}

static inline void fp2_dbl(fp2 *r, const fp2 *a) {
    fp_dbl(&r->c0, &a->c0);
    fp_dbl(&r->c1, &a->c1);
}

static inline void fp2_neg(fp2 *r, const fp2 *a) {
    fp_neg(&r->c0, &a->c0);
    fp_neg(&r->c1, &a->c1);
}

static inline void fp2_conj(fp2 *r, const fp2 *a) {
    r->c0 = a->c0;
    fp_neg(&r->c1, &a->c1);
}

static inline bool fp2_is_zero(const fp2 *a) {
    return fp_is_zero(&a->c0) && fp_is_zero(&a->c1);
}

static inline bool fp2_eq(const fp2 *a, const fp2 *b) {
    return fp_eq(&a->c0, &b->c0) && fp_eq(&a->c1, &b->c1);
}

/* Karatsuba: three base-field products. */
static inline void fp2_mul(fp2 *r, const fp2 *a, const fp2 *b) {
    fp t0, t1, sa, sb;
    fp_mul(&t0, &a->c0, &b->c0);
    fp_mul(&t1, &a->c1, &b->c1);
    fp_add(&sa, &a->c0, &a->c1);
    fp_add(&sb, &b->c0, &b->c1);
    fp_mul(&r->c1, &sa, &sb);
    fp_sub(&r->c1, &r->c1, &t0);
    fp_sub(&r->c1, &r->c1, &t1);
    fp_sub(&r->c0, &t0, &t1);
}

/* (a0 + a1 i)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 i. */
static inline void fp2_sqr(fp2 *r, const fp2 *a) {
    fp s, d, m;
    fp_add(&s, &a->c0, &a->c1);
    fp_sub(&d, &a->c0, &a->c1);
    fp_mul(&m, &a->c0, &a->c1);
    fp_mul(&r->c0, &s, &d);
    fp_dbl(&r->c1, &m);
}

/* r = a * k for k in Fp. */
static inline void fp2_mul_fp(fp2 *r, const fp2 *a, const fp *k) {
    fp_mul(&r->c0, &a->c0, k);
    fp_mul(&r->c1, &a->c1, k);
}

/* r = a * xi = (9 a0 - a1) + (9 a1 + a0) i. */
static inline void fp2_mul_xi(fp2 *r, const fp2 *a) {
    fp n0, n1;
    fp_dbl(&n0, &a->c0);
    fp_dbl(&n0, &n0);
    fp_dbl(&n0, &n0);
    fp_add(&n0, &n0, &a->c0);
    fp_dbl(&n1, &a->c1);
    fp_dbl(&n1, &n1);
    fp_dbl(&n1, &n1);
    fp_add(&n1, &n1, &a->c1);
    fp_sub(&n0, &n0, &a->c1);
    fp_add(&n1, &n1, &a->c0);
    r->c0 = n0, r->c1 = n1; /* written last: r may alias a */
}

/* r = a^-1 = conj(a) / (a0^2 + a1^2); 0 maps to 0. */
void fp2_inv(fp2 *r, const fp2 *a);

/* ---- Fp6 ---- */
/* r = a + b, r = a - b, r = a b (Karatsuba, six Fp2 products). */
void fp6_add(fp6 *r, const fp6 *a, const fp6 *b);
void fp6_sub(fp6 *r, const fp6 *a, const fp6 *b);
void fp6_mul(fp6 *r, const fp6 *a, const fp6 *b);
/* r = a^-1; 0 maps to 0. */
void fp6_inv(fp6 *r, const fp6 *a);

/* ---- Fp12 ---- */
/* a == b */
bool fp12_eq(const fp12 *a, const fp12 *b);
/* r = a b (Karatsuba, three Fp6 products); r = a^2 (two Fp6 products). */
void fp12_mul(fp12 *r, const fp12 *a, const fp12 *b);
void fp12_sqr(fp12 *r, const fp12 *a);
/* r = a * (l0 + l1 w + l3 w^3): the shape of a Miller-loop line value. */
void fp12_mul_line(fp12 *r, const fp12 *a, const fp2 *l0, const fp2 *l1, const fp2 *l3);
/* r = a^-1; 0 maps to 0. */
void fp12_inv(fp12 *r, const fp12 *a);
/* r = a^(p^6), the conjugate over Fp6 (the inverse in the cyclotomic
 * subgroup). */
void fp12_conj(fp12 *r, const fp12 *a);
/* r = a^(p^n) for n in 1..3. */
void fp12_frobenius(fp12 *r, const fp12 *a, int n);
/* r = a^2 for a in the cyclotomic subgroup (after the easy part of the final
 * exponentiation); Granger-Scott, about half the cost of fp12_sqr. */
void fp12_cyclotomic_sqr(fp12 *r, const fp12 *a);

/* Frobenius constants gamma_{n,k} = xi^(k (p^n - 1) / 6), k = 0..5. The
 * twist endomorphism psi uses gamma_{1,2} (x) and gamma_{1,3} (y). */
extern const fp2 BN254_GAMMA1[6];
extern const fp2 BN254_GAMMA2[6];
extern const fp2 BN254_GAMMA3[6];

#endif
