/* BN254 G2 on the twist E': y^2 = x^3 + 3/(9 + i) over Fp2: decoding with
 * the full EIP-197 validation (range, curve, subgroup), Jacobian arithmetic,
 * the endomorphism psi and the fast subgroup test. */
#include "crypto/bn254.h"
#include "parevm/precompile_math.h"

#include <string.h>

/* b' = 3 / (9 + i) in Montgomery form. */
static const fp2 TWIST_B = {{{0x3bf938e377b802a8ULL, 0x020b1b273633535dULL,
                              0x26b7edf049755260ULL, 0x2514c6324384a86dULL}},
                            {{0x38e7ecccd1dcff67ULL, 0x65f0b37d93ce0d3eULL,
                              0xd749d0dd22ac00aaULL, 0x0141b9ce4a688d4dULL}}};

const int8_t BN254_U_NAF[63] = {
    1, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, -1,
    0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, -1, 0, -1, 0, -1, 0, 1, 0,
    1, 0, 0, -1, 0, 1, 0, 1, 0, -1, 0, 0, 1, 0, 1, 0, 0, 0, 1};

bool g2_on_curve(const g2_affine *q) {
    fp2 lhs, rhs;
    fp2_sqr(&lhs, &q->y);
    fp2_sqr(&rhs, &q->x);
    fp2_mul(&rhs, &rhs, &q->x);
    fp2_add(&rhs, &rhs, &TWIST_B);
    return fp2_eq(&lhs, &rhs);
}

bool g2_decode(g2_affine *q, const uint8_t in[128]) {
    if (!fp_from_bytes(&q->x.c1, in) || !fp_from_bytes(&q->x.c0, in + 32) ||
        !fp_from_bytes(&q->y.c1, in + 64) || !fp_from_bytes(&q->y.c0, in + 96))
        return false;
    q->inf = fp2_is_zero(&q->x) && fp2_is_zero(&q->y);
    if (q->inf)
        return true;
    return g2_on_curve(q) && g2_in_subgroup(q);
}

const char *bn254_g2_error(const uint8_t in[128]) {
    for (int i = 0; i < 4; i++) {
        fp t;
        if (!fp_from_bytes(&t, in + 32 * i)) return "invalid fp.Element encoding";
    }
    g2_affine q;
    if (g2_decode(&q, in)) return NULL; /* fills q before it checks the curve */
    return g2_on_curve(&q) ? "point is not in correct subgroup" : "point is not on curve";
}

void g2_encode(uint8_t out[128], const g2_affine *q) {
    if (q->inf) {
        memset(out, 0, 128);
        return;
    }
    fp_to_bytes(out, &q->x.c1);
    fp_to_bytes(out + 32, &q->x.c0);
    fp_to_bytes(out + 64, &q->y.c1);
    fp_to_bytes(out + 96, &q->y.c0);
}

/* ---- Jacobian arithmetic over Fp2 (same formulas as for G1) ---- */

static void g2_jac_set_inf(g2_jac *r) {
    r->X = r->Y = FP2_ONE;
    r->Z = FP2_ZERO;
}

static void g2_jac_from_affine(g2_jac *r, const g2_affine *q) {
    if (q->inf) {
        g2_jac_set_inf(r);
        return;
    }
    r->X = q->x, r->Y = q->y, r->Z = FP2_ONE;
}

/* r = 2p (dbl-2009-l). */
static void g2_jac_double(g2_jac *r, const g2_jac *p) {
    fp2 A, B, C, D, E, F, t;
    fp2_sqr(&A, &p->X);
    fp2_sqr(&B, &p->Y);
    fp2_sqr(&C, &B);
    fp2_add(&t, &p->X, &B);
    fp2_sqr(&t, &t);
    fp2_sub(&t, &t, &A);
    fp2_sub(&t, &t, &C);
    fp2_dbl(&D, &t);
    fp2_dbl(&E, &A);
    fp2_add(&E, &E, &A);
    fp2_sqr(&F, &E);
    fp2_mul(&r->Z, &p->Y, &p->Z);
    fp2_dbl(&r->Z, &r->Z);
    fp2_dbl(&t, &D);
    fp2_sub(&r->X, &F, &t);
    fp2_sub(&t, &D, &r->X);
    fp2_mul(&t, &E, &t);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_sub(&r->Y, &t, &C);
}

/* r = p + q for Jacobian p and q (add-2007-bl), all special cases. */
static void g2_jac_add(g2_jac *r, const g2_jac *p, const g2_jac *q) {
    if (fp2_is_zero(&p->Z)) {
        *r = *q;
        return;
    }
    if (fp2_is_zero(&q->Z)) {
        *r = *p;
        return;
    }
    fp2 Z1Z1, Z2Z2, U1, U2, S1, S2, H, I, J, R, V, t;
    fp2_sqr(&Z1Z1, &p->Z);
    fp2_sqr(&Z2Z2, &q->Z);
    fp2_mul(&U1, &p->X, &Z2Z2);
    fp2_mul(&U2, &q->X, &Z1Z1);
    fp2_mul(&S1, &p->Y, &q->Z);
    fp2_mul(&S1, &S1, &Z2Z2);
    fp2_mul(&S2, &q->Y, &p->Z);
    fp2_mul(&S2, &S2, &Z1Z1);
    fp2_sub(&H, &U2, &U1);
    fp2_sub(&R, &S2, &S1);
    if (fp2_is_zero(&H)) {
        if (fp2_is_zero(&R))
            g2_jac_double(r, p);
        else
            g2_jac_set_inf(r);
        return;
    }
    fp2_dbl(&R, &R);
    fp2_dbl(&I, &H); /* I = (2H)^2 */
    fp2_sqr(&I, &I);
    fp2_mul(&J, &H, &I);
    fp2_mul(&V, &U1, &I);
    fp2_add(&t, &p->Z, &q->Z); /* Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H */
    fp2_sqr(&t, &t);
    fp2_sub(&t, &t, &Z1Z1);
    fp2_sub(&t, &t, &Z2Z2);
    fp2_mul(&r->Z, &t, &H);
    fp2_mul(&S1, &S1, &J);
    fp2_dbl(&S1, &S1);
    fp2_sqr(&t, &R); /* X3 = R^2 - J - 2V */
    fp2_sub(&t, &t, &J);
    fp2_sub(&t, &t, &V);
    fp2_sub(&r->X, &t, &V);
    fp2_sub(&t, &V, &r->X); /* Y3 = R (V - X3) - 2 S1 J */
    fp2_mul(&t, &R, &t);
    fp2_sub(&r->Y, &t, &S1);
}

static bool g2_jac_eq(const g2_jac *p, const g2_jac *q) {
    bool p_inf = fp2_is_zero(&p->Z), q_inf = fp2_is_zero(&q->Z);
    if (p_inf || q_inf)
        return p_inf == q_inf;
    fp2 Z1Z1, Z2Z2, a, b;
    fp2_sqr(&Z1Z1, &p->Z);
    fp2_sqr(&Z2Z2, &q->Z);
    fp2_mul(&a, &p->X, &Z2Z2);
    fp2_mul(&b, &q->X, &Z1Z1);
    if (!fp2_eq(&a, &b))
        return false;
    fp2_mul(&a, &p->Y, &Z2Z2);
    fp2_mul(&a, &a, &q->Z);
    fp2_mul(&b, &q->Y, &Z1Z1);
    fp2_mul(&b, &b, &p->Z);
    return fp2_eq(&a, &b);
}

static void g2_jac_to_affine(g2_affine *r, const g2_jac *p) {
    if (fp2_is_zero(&p->Z)) {
        r->inf = true;
        r->x = r->y = FP2_ZERO;
        return;
    }
    fp2 zi, zi2;
    fp2_inv(&zi, &p->Z);
    fp2_sqr(&zi2, &zi);
    fp2_mul(&r->x, &p->X, &zi2);
    fp2_mul(&zi2, &zi2, &zi);
    fp2_mul(&r->y, &p->Y, &zi2);
    r->inf = false;
}

/* psi on Jacobian coordinates: conj(X/Z^2) = conj(X)/conj(Z)^2, so
 * (X, Y, Z) -> (conj(X) gamma_{1,2}, conj(Y) gamma_{1,3}, conj(Z)). */
static void g2_jac_psi(g2_jac *r, const g2_jac *p) {
    fp2 t;
    fp2_conj(&t, &p->X);
    fp2_mul(&r->X, &t, &BN254_GAMMA1[2]);
    fp2_conj(&t, &p->Y);
    fp2_mul(&r->Y, &t, &BN254_GAMMA1[3]);
    fp2_conj(&r->Z, &p->Z);
}

void g2_psi(g2_affine *r, const g2_affine *q) {
    g2_jac j;
    g2_jac_from_affine(&j, q);
    g2_jac_psi(&j, &j);
    g2_jac_to_affine(r, &j);
}

bool g2_in_subgroup(const g2_affine *q) {
    if (q->inf)
        return true;
    g2_jac jq, neg_q, uq = {FP2_ONE, FP2_ONE, FP2_ZERO};
    g2_jac_from_affine(&jq, q);
    neg_q = jq;
    fp2_neg(&neg_q.Y, &neg_q.Y);
    for (int i = 62; i >= 0; i--) { /* uq = [u] q */
        g2_jac_double(&uq, &uq);
        if (BN254_U_NAF[i] > 0)
            g2_jac_add(&uq, &uq, &jq);
        else if (BN254_U_NAF[i] < 0)
            g2_jac_add(&uq, &uq, &neg_q);
    }
    g2_jac lhs, t, rhs;
    g2_jac_add(&lhs, &uq, &jq);  /* [u + 1] q */
    g2_jac_psi(&t, &uq);         /* psi([u] q) */
    g2_jac_add(&lhs, &lhs, &t);
    g2_jac_psi(&t, &t);          /* psi^2([u] q) */
    g2_jac_add(&lhs, &lhs, &t);
    g2_jac_double(&rhs, &uq);    /* psi^3([2u] q) */
    g2_jac_psi(&rhs, &rhs);
    g2_jac_psi(&rhs, &rhs);
    g2_jac_psi(&rhs, &rhs);
    return g2_jac_eq(&lhs, &rhs);
}

void g2_mul(g2_affine *r, const g2_affine *q, const uint8_t k[32]) {
    g2_jac acc, jq;
    g2_jac_set_inf(&acc);
    g2_jac_from_affine(&jq, q);
    for (int i = 0; i < 256; i++) {
        g2_jac_double(&acc, &acc);
        if ((k[i >> 3] >> (7 - (i & 7))) & 1)
            g2_jac_add(&acc, &acc, &jq);
    }
    g2_jac_to_affine(r, &acc);
}
