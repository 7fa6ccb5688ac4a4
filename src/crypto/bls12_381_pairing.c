/* BLS12-381 optimal ate pairing: Miller loop over |x| = 0xd201000000010000
 * (generic, and with prepared G2 line tables), the final exponentiation, and
 * the multi-pairing check with one shared final exponentiation.
 *
 * Lines. With the M-type twist, Q' = (x', y') on E'(Fp2) maps to
 * (x' w^-2, y' w^-3) on E(Fp12). The line through T' with slope l' evaluated
 * at P = (xp, yp), multiplied by w^3, is
 *     (l' xT' - yT') - l' xp v + yp v w
 * (w^2 = v). Every line is therefore stored as three Fp2 coefficients
 * (c0, c1, c2) meaning c0 + c1 xp v + c2 yp v w; scaling a line by an
 * element of Fp2 (or by w^3, in Fp4) does not change the pairing because the
 * final exponentiation kills every proper subfield of Fp12.
 *
 * Since x < 0 the loop computes f_{|x|,Q} and conjugates (f_{-n} = 1/f_n up
 * to vertical lines, which live in Fp6 and vanish likewise). */
#include "crypto/bls12_381.h"

#include <string.h>

#define BLS_X_ABS 0xd201000000010000ULL

/* Homogeneous projective point of E': (X/Z, Y/Z). */
typedef struct { bls_fp2 x, y, z; } g2_proj;

typedef struct { bls_fp2 c0, c1, c2; } line;

/* 3b' = 12(1+u): r = 3b' a = 12 (a0 - a1) + 12 (a0 + a1) u. */
static void mul_3b(bls_fp2 *r, const bls_fp2 *a) {
    bls_fp2 t;
    bls_fp2_mul_xi(&t, a);
    bls_fp2_dbl(&t, &t);                 /* 2 */
    bls_fp2_add(r, &t, &t);              /* 4 */
    bls_fp2_add(r, r, &t);               /* 6 */
    bls_fp2_dbl(r, r);                   /* 12 */
}

/* T = 2T and the tangent line at T (Costello-Lange-Naehrig 2010, scaled by
 * 4 to avoid halvings): with B = Y^2, C = Z^2, E = 3b'C, F = 3E, H = 2YZ,
 * X3 = 2XY(B - F), Y3 = (B + F)^2 - 12 E^2, Z3 = 4BH;
 * line = (B - E) - 3X^2 xp v + H yp v w. */
static void dbl_step(g2_proj *t, line *l) {
    bls_fp2 B, C, E, F, H, X2, s;
    bls_fp2_sqr(&B, &t->y);
    bls_fp2_sqr(&C, &t->z);
    mul_3b(&E, &C);
    bls_fp2_dbl(&F, &E);
    bls_fp2_add(&F, &F, &E);
    bls_fp2_add(&H, &t->y, &t->z);
    bls_fp2_sqr(&H, &H);
    bls_fp2_sub(&H, &H, &B);
    bls_fp2_sub(&H, &H, &C);
    bls_fp2_sqr(&X2, &t->x);
    /* line */
    bls_fp2_sub(&l->c0, &B, &E);
    bls_fp2_dbl(&s, &X2);
    bls_fp2_add(&s, &s, &X2);
    bls_fp2_neg(&l->c1, &s);
    l->c2 = H;
    /* point */
    bls_fp2_mul(&s, &t->x, &t->y);
    bls_fp2_dbl(&s, &s);
    bls_fp2_sub(&t->x, &B, &F);
    bls_fp2_mul(&t->x, &t->x, &s);
    bls_fp2_mul(&t->z, &B, &H);
    bls_fp2_dbl(&t->z, &t->z);
    bls_fp2_dbl(&t->z, &t->z);
    bls_fp2_add(&s, &B, &F);
    bls_fp2_sqr(&s, &s);
    bls_fp2_sqr(&E, &E);
    bls_fp2_dbl(&E, &E);
    bls_fp2_dbl(&E, &E);                 /* 4E^2 */
    bls_fp2_sub(&s, &s, &E);
    bls_fp2_sub(&s, &s, &E);
    bls_fp2_sub(&t->y, &s, &E);
}

/* T = T + Q and the line through them (T != +-Q, which the loop over |x|
 * guarantees): theta = Y - yq Z, mu = X - xq Z, D = theta^2 Z - mu^2 (X +
 * xq Z); X3 = mu D, Y3 = theta (mu^2 X - D) - mu^3 Y, Z3 = mu^3 Z;
 * line = (theta xq - mu yq) - theta xp v + mu yp v w. */
static void add_step(g2_proj *t, const bls_g2_affine *q, line *l) {
    bls_fp2 theta, mu, mu2, mu3, D, s, u;
    bls_fp2_mul(&s, &q->y, &t->z);
    bls_fp2_sub(&theta, &t->y, &s);
    bls_fp2_mul(&s, &q->x, &t->z);
    bls_fp2_sub(&mu, &t->x, &s);
    /* line */
    bls_fp2_mul(&l->c0, &theta, &q->x);
    bls_fp2_mul(&u, &mu, &q->y);
    bls_fp2_sub(&l->c0, &l->c0, &u);
    bls_fp2_neg(&l->c1, &theta);
    l->c2 = mu;
    /* point; s = xq Z still */
    bls_fp2_sqr(&mu2, &mu);
    bls_fp2_mul(&mu3, &mu2, &mu);
    bls_fp2_add(&s, &s, &t->x);
    bls_fp2_mul(&s, &s, &mu2);
    bls_fp2_sqr(&D, &theta);
    bls_fp2_mul(&D, &D, &t->z);
    bls_fp2_sub(&D, &D, &s);
    bls_fp2_mul(&u, &mu2, &t->x);
    bls_fp2_sub(&u, &u, &D);
    bls_fp2_mul(&u, &u, &theta);
    bls_fp2_mul(&s, &mu3, &t->y);
    bls_fp2_sub(&t->y, &u, &s);
    bls_fp2_mul(&t->x, &mu, &D);
    bls_fp2_mul(&t->z, &mu3, &t->z);
}

/* f *= line(P). */
static void mul_line_at(bls_fp12 *f, const line *l, const bls_g1_affine *p) {
    bls_fp2 c1, c2;
    bls_fp2_mul_fp(&c1, &l->c1, &p->x);
    bls_fp2_mul_fp(&c2, &l->c2, &p->y);
    bls_fp12_mul_line(f, f, &l->c0, &c1, &c2);
}

/* At most this many pairs share one Miller loop (bounded stack); longer
 * products multiply the loops of successive chunks. */
#define CHUNK 8

static void miller_chunk(bls_fp12 *f, const bls_pairing_pair *pairs, size_t n) {
    g2_proj t[CHUNK];
    const bls_pairing_pair *act[CHUNK];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].p.inf || pairs[i].q.inf)
            continue;
        act[m] = &pairs[i];
        t[m].x = pairs[i].q.x;
        t[m].y = pairs[i].q.y;
        t[m].z.c0 = BLS_FP_ONE;
        t[m].z.c1 = BLS_FP_ZERO;
        m++;
    }
    *f = BLS_FP12_ONE;
    line l;
    for (int i = 62; i >= 0; i--) {
        if (i != 62)
            bls_fp12_sqr(f, f);
        for (size_t j = 0; j < m; j++) {
            dbl_step(&t[j], &l);
            mul_line_at(f, &l, &act[j]->p);
        }
        if (!((BLS_X_ABS >> i) & 1))
            continue;
        for (size_t j = 0; j < m; j++) {
            add_step(&t[j], &act[j]->q, &l);
            mul_line_at(f, &l, &act[j]->p);
        }
    }
    bls_fp12_conj(f, f);
}

void bls_miller_loop(bls_fp12 *f, const bls_pairing_pair *pairs, size_t n) {
    *f = BLS_FP12_ONE;
    for (size_t i = 0; i < n; i += CHUNK) {
        bls_fp12 g;
        miller_chunk(&g, pairs + i, n - i < CHUNK ? n - i : CHUNK);
        bls_fp12_mul(f, f, &g);
    }
}

void bls_g2_prepare(bls_g2_prepared *out, const bls_g2_affine *q) {
    memset(out, 0, sizeof *out);
    out->inf = q->inf;
    if (q->inf)
        return;
    /* Run the projective steps, then normalise every line to c2 = 1 with a
     * single batched inversion (Montgomery's trick). */
    line lines[BLS_MILLER_STEPS];
    bls_fp2 prefix[BLS_MILLER_STEPS];
    g2_proj t = {q->x, q->y, {BLS_FP_ONE, BLS_FP_ZERO}};
    int k = 0;
    for (int i = 62; i >= 0; i--) {
        dbl_step(&t, &lines[k++]);
        if ((BLS_X_ABS >> i) & 1)
            add_step(&t, q, &lines[k++]);
    }
    bls_fp2 acc = {BLS_FP_ONE, BLS_FP_ZERO}, inv;
    for (int i = 0; i < BLS_MILLER_STEPS; i++) {
        prefix[i] = acc;                 /* product of c2 before i */
        bls_fp2_mul(&acc, &acc, &lines[i].c2);
    }
    bls_fp2_inv(&acc, &acc);             /* 1 / product of all */
    for (int i = BLS_MILLER_STEPS - 1; i >= 0; i--) {
        bls_fp2_mul(&inv, &acc, &prefix[i]);       /* 1 / c2[i] */
        bls_fp2_mul(&acc, &acc, &lines[i].c2);
        bls_fp2_mul(&out->c0[i], &lines[i].c0, &inv);
        bls_fp2_mul(&out->c1[i], &lines[i].c1, &inv);
    }
}

void bls_g1_prepare(bls_g1_prepared *out, const bls_g1 *p, size_t n) {
    /* For P = (X/Z^2, Y/Z^3): x/y = XZ/Y and 1/y = Z^3/Y. The 1/Y of a
     * chunk come from one inversion (Montgomery's trick). */
    enum { BATCH = 16 };
    for (size_t base = 0; base < n; base += BATCH) {
        size_t m = n - base < BATCH ? n - base : BATCH;
        bls_fp prefix[BATCH], acc = BLS_FP_ONE, inv;
        for (size_t i = 0; i < m; i++) {
            prefix[i] = acc;
            if (!bls_g1_is_inf(&p[base + i]))
                bls_fp_mul(&acc, &acc, &p[base + i].y);
        }
        bls_fp_inv(&acc, &acc);
        for (size_t i = m; i-- > 0;) {
            const bls_g1 *q = &p[base + i];
            bls_g1_prepared *o = &out[base + i];
            o->inf = bls_g1_is_inf(q);
            if (o->inf)
                continue;
            bls_fp_mul(&inv, &acc, &prefix[i]);           /* 1/Y */
            bls_fp_mul(&acc, &acc, &q->y);
            bls_fp z3;
            bls_fp_sqr(&z3, &q->z);
            bls_fp_mul(&z3, &z3, &q->z);
            bls_fp_mul(&o->y_inv, &z3, &inv);
            bls_fp_mul(&o->x_over_y, &q->x, &q->z);
            bls_fp_mul(&o->x_over_y, &o->x_over_y, &inv);
        }
    }
}

/* f *= prepared line k at P, divided by yp: c0/yp + c1 (xp/yp) v + v w. */
static void mul_prepared_line(bls_fp12 *f, const bls_g2_prepared *q, int k,
                              const bls_g1_prepared *p) {
    bls_fp2 c0, c1;
    bls_fp2_mul_fp(&c0, &q->c0[k], &p->y_inv);
    bls_fp2_mul_fp(&c1, &q->c1[k], &p->x_over_y);
    bls_fp12_mul_line_1(f, f, &c0, &c1);
}

void bls_miller_loop_prepared(bls_fp12 *f, const bls_g1_prepared *p,
                              const bls_g2_prepared *const *q, size_t n) {
    *f = BLS_FP12_ONE;
    int k = 0;
    for (int i = 62; i >= 0; i--) {
        if (i != 62)
            bls_fp12_sqr(f, f);
        for (size_t j = 0; j < n; j++)
            if (!p[j].inf && !q[j]->inf)
                mul_prepared_line(f, q[j], k, &p[j]);
        k++;
        if (!((BLS_X_ABS >> i) & 1))
            continue;
        for (size_t j = 0; j < n; j++)
            if (!p[j].inf && !q[j]->inf)
                mul_prepared_line(f, q[j], k, &p[j]);
        k++;
    }
    bls_fp12_conj(f, f);
}

/* r = a^x for a in the cyclotomic subgroup (x < 0: conjugate). */
static void cyclotomic_exp_x(bls_fp12 *r, const bls_fp12 *a) {
    bls_fp12 acc = *a;
    for (int i = 62; i >= 0; i--) {
        bls_fp12_cyclotomic_sqr(&acc, &acc);
        if ((BLS_X_ABS >> i) & 1)
            bls_fp12_mul(&acc, &acc, a);
    }
    bls_fp12_conj(r, &acc);
}

void bls_final_exp(bls_fp12 *r, const bls_fp12 *f) {
    /* Easy part: m = f^((p^6 - 1)(p^2 + 1)), which lands in the cyclotomic
     * subgroup where inversion is conjugation. */
    bls_fp12 m, t0, t1;
    bls_fp12_inv(&t0, f);
    bls_fp12_conj(&m, f);
    bls_fp12_mul(&m, &m, &t0);
    bls_fp12_frobenius(&t0, &m);
    bls_fp12_frobenius(&t0, &t0);
    bls_fp12_mul(&m, &m, &t0);
    /* Hard part (Hayashida, Hayasaka, Teruya 2020/875):
     * 3 (p^4 - p^2 + 1)/r = (x - 1)^2 (x + p) (x^2 + p^2 - 1) + 3.
     * The result is e^3, as good as e for every pairing check because
     * gcd(3, r) = 1. */
    cyclotomic_exp_x(&t0, &m);
    bls_fp12_conj(&t1, &m);
    bls_fp12_mul(&t0, &t0, &t1);          /* m^(x-1) */
    cyclotomic_exp_x(&t1, &t0);
    bls_fp12_conj(&t0, &t0);
    bls_fp12_mul(&t0, &t0, &t1);          /* m^((x-1)^2) */
    cyclotomic_exp_x(&t1, &t0);
    bls_fp12_frobenius(&t0, &t0);
    bls_fp12_mul(&t0, &t0, &t1);          /* ^(x + p) */
    cyclotomic_exp_x(&t1, &t0);
    cyclotomic_exp_x(&t1, &t1);           /* ^(x^2) */
    bls_fp12 t2;
    bls_fp12_frobenius(&t2, &t0);
    bls_fp12_frobenius(&t2, &t2);         /* ^(p^2) */
    bls_fp12_mul(&t1, &t1, &t2);
    bls_fp12_conj(&t0, &t0);              /* ^(-1) */
    bls_fp12_mul(&t0, &t0, &t1);          /* ^(x^2 + p^2 - 1) */
    bls_fp12_cyclotomic_sqr(&t1, &m);
    bls_fp12_mul(&t1, &t1, &m);           /* m^3 */
    bls_fp12_mul(r, &t0, &t1);
}

void bls_pairing(bls_fp12 *r, const bls_g1_affine *p, const bls_g2_affine *q) {
    bls_pairing_pair pair = {*p, *q};
    bls_fp12 f;
    bls_miller_loop(&f, &pair, 1);
    bls_final_exp(r, &f);
}

bool bls12_381_pairing_check(const bls_pairing_pair *pairs, size_t n) {
    bls_fp12 f;
    bls_miller_loop(&f, pairs, n);
    bls_final_exp(&f, &f);
    return bls_fp12_is_one(&f);
}
