/* BN254 optimal ate pairing and the 0x08 ECPAIRING precompile (EIP-197).
 *
 * Miller loop: T runs over [6u+2]Q in homogeneous projective coordinates on
 * the twist; each doubling or addition step yields the line through the
 * points, evaluated at P and scaled by an Fp2 factor (which the final
 * exponentiation removes), in the sparse shape l0 + l1 w + l3 w^3. All pairs
 * share one accumulator, so each loop iteration squares it once, and the
 * product of all pairs goes through one final exponentiation.
 *
 * Line derivation: with the untwisting map (x, y) -> (x w^2, y w^3), the line
 * through twist points with slope s, through (xT, yT), evaluated at
 * P = (xP, yP) is yP - s xP w + (s xT - yT) w^3. */
#include "crypto/bn254.h"
#include "parevm/precompile_math.h"

/* 3 b' (b' = 3 / (9 + i)), used by the doubling step. */
static const fp2 TWIST_3B = {{{0x3baa927cb62e0d6aULL, 0xd71e7c52d1b664fdULL,
                               0x03873e63d95d4664ULL, 0x0e75b5b1082ab8f4ULL}},
                             {{0xaab7c6667596fe35ULL, 0x31d21a78bb6a27baULL,
                               0x85dd7297680401ffULL, 0x03c52d6adf39a7e9ULL}}};

/* 6u + 2 in non-adjacent form, least significant digit first (66 digits). */
static const int8_t ATE_NAF[66] = {
    0, 0, 0, 1, 0, 1, 0, -1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, -1, 0, 0,
    0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0,
    -1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 0, -1, 0, -1, 0, 0, 0, 1, 0, -1, 0, 1};

/* Pairs are processed in chunks of this many, so the per-pair state stays
 * on the stack whatever the input length. */
#define MILLER_CHUNK 16

typedef struct {
    fp2 X, Y, Z; /* homogeneous: x = X/Z, y = Y/Z */
} g2_proj;

/* Per-pair Miller-loop state. */
typedef struct {
    fp neg_yp, xp3, yp, neg_xp; /* -yP, 3xP, yP, -xP */
    fp2 xq, yq, neg_yq;
    g2_proj T;
} miller_pair;

/* T = 2T; writes the tangent line at T, scaled by -2YZ:
 * l0 = -2YZ yP, l1 = 3X^2 xP, l3 = 3b'Z^2 - Y^2 (Costello-Lange-Naehrig
 * homogeneous doubling for a = 0). */
static void doubling_step(miller_pair *s, fp2 *l0, fp2 *l1, fp2 *l3) {
    g2_proj *T = &s->T;
    fp2 A, B, C, E, F, G, H, J, t;
    fp2_mul(&A, &T->X, &T->Y); /* A = XY/2 */
    fp_half(&A.c0, &A.c0);
    fp_half(&A.c1, &A.c1);
    fp2_sqr(&B, &T->Y);
    fp2_sqr(&C, &T->Z);
    fp2_mul(&E, &TWIST_3B, &C); /* E = 3b' Z^2 */
    fp2_dbl(&F, &E);            /* F = 3E */
    fp2_add(&F, &F, &E);
    fp2_add(&G, &B, &F); /* G = (B + F)/2 */
    fp_half(&G.c0, &G.c0);
    fp_half(&G.c1, &G.c1);
    fp2_add(&H, &T->Y, &T->Z); /* H = (Y + Z)^2 - B - C = 2YZ */
    fp2_sqr(&H, &H);
    fp2_sub(&H, &H, &B);
    fp2_sub(&H, &H, &C);
    fp2_sqr(&J, &T->X);

    fp2_sub(l3, &E, &B);          /* l3 = E - B */
    fp2_mul_fp(l0, &H, &s->neg_yp); /* l0 = -H yP */
    fp2_mul_fp(l1, &J, &s->xp3);    /* l1 = 3J xP */

    fp2_sub(&t, &B, &F); /* X3 = A (B - F) */
    fp2_mul(&T->X, &A, &t);
    fp2_sqr(&G, &G); /* Y3 = G^2 - 3E^2 */
    fp2_sqr(&E, &E);
    fp2_dbl(&t, &E);
    fp2_add(&t, &t, &E);
    fp2_sub(&T->Y, &G, &t);
    fp2_mul(&T->Z, &B, &H); /* Z3 = B H */
}

/* T = T + (xq, yq) for an affine twist point; writes the chord line scaled
 * by lambda = X - xq Z: l0 = lambda yP, l1 = -theta xP,
 * l3 = theta xq - lambda yq, with theta = Y - yq Z. */
static void addition_step(miller_pair *s, const fp2 *xq, const fp2 *yq, fp2 *l0, fp2 *l1,
                          fp2 *l3) {
    g2_proj *T = &s->T;
    fp2 theta, lambda, C, D, E, F, G, H, t;
    fp2_mul(&t, yq, &T->Z);
    fp2_sub(&theta, &T->Y, &t);
    fp2_mul(&t, xq, &T->Z);
    fp2_sub(&lambda, &T->X, &t);

    fp2_mul_fp(l0, &lambda, &s->yp);
    fp2_mul_fp(l1, &theta, &s->neg_xp);
    fp2_mul(l3, &theta, xq);
    fp2_mul(&t, &lambda, yq);
    fp2_sub(l3, l3, &t);

    fp2_sqr(&C, &theta);
    fp2_sqr(&D, &lambda);
    fp2_mul(&E, &D, &lambda);
    fp2_mul(&F, &T->Z, &C);
    fp2_mul(&G, &T->X, &D);
    fp2_dbl(&t, &G); /* H = E + F - 2G */
    fp2_add(&H, &E, &F);
    fp2_sub(&H, &H, &t);
    fp2_mul(&T->X, &lambda, &H); /* X3 = lambda H */
    fp2_sub(&t, &G, &H);         /* Y3 = theta (G - H) - Y E */
    fp2_mul(&t, &theta, &t);
    fp2_mul(&G, &T->Y, &E);
    fp2_sub(&T->Y, &t, &G);
    fp2_mul(&T->Z, &T->Z, &E); /* Z3 = Z E */
}

static void miller_pair_init(miller_pair *s, const g1_affine *p, const g2_affine *q) {
    s->yp = p->y;
    fp_neg(&s->neg_yp, &p->y);
    fp_neg(&s->neg_xp, &p->x);
    fp_dbl(&s->xp3, &p->x);
    fp_add(&s->xp3, &s->xp3, &p->x);
    s->xq = q->x;
    s->yq = q->y;
    fp2_neg(&s->neg_yq, &q->y);
    s->T.X = q->x, s->T.Y = q->y, s->T.Z = FP2_ONE;
}

/* The two closing lines of the optimal ate pairing: T + pi(Q), then
 * (T + pi(Q)) + (-pi^2(Q)), where pi(x, y) = (conj(x) g12, conj(y) g13) and
 * pi^2(x, y) = (x g22, y g23) on the twist. */
static void frobenius_lines(fp12 *f, miller_pair *s) {
    fp2 x1, y1, x2, y2, l0, l1, l3;
    fp2_conj(&x1, &s->xq);
    fp2_mul(&x1, &x1, &BN254_GAMMA1[2]);
    fp2_conj(&y1, &s->yq);
    fp2_mul(&y1, &y1, &BN254_GAMMA1[3]);
    fp2_mul_fp(&x2, &s->xq, &BN254_GAMMA2[2].c0);
    fp2_mul_fp(&y2, &s->neg_yq, &BN254_GAMMA2[3].c0);
    addition_step(s, &x1, &y1, &l0, &l1, &l3);
    fp12_mul_line(f, f, &l0, &l1, &l3);
    addition_step(s, &x2, &y2, &l0, &l1, &l3);
    fp12_mul_line(f, f, &l0, &l1, &l3);
}

/* f *= Miller loop value of n <= MILLER_CHUNK non-degenerate pairs. */
static void miller_loop_chunk(fp12 *f, miller_pair *s, size_t n) {
    fp12 acc = FP12_ONE;
    fp2 l0, l1, l3;
    for (int i = 64; i >= 0; i--) {
        if (i != 64)
            fp12_sqr(&acc, &acc);
        for (size_t j = 0; j < n; j++) {
            doubling_step(&s[j], &l0, &l1, &l3);
            fp12_mul_line(&acc, &acc, &l0, &l1, &l3);
        }
        if (ATE_NAF[i] == 0)
            continue;
        for (size_t j = 0; j < n; j++) {
            const fp2 *yq = ATE_NAF[i] > 0 ? &s[j].yq : &s[j].neg_yq;
            addition_step(&s[j], &s[j].xq, yq, &l0, &l1, &l3);
            fp12_mul_line(&acc, &acc, &l0, &l1, &l3);
        }
    }
    for (size_t j = 0; j < n; j++)
        frobenius_lines(&acc, &s[j]);
    fp12_mul(f, f, &acc);
}

void bn254_miller_loop(fp12 *f, const g1_affine *p, const g2_affine *q, size_t n) {
    miller_pair s[MILLER_CHUNK];
    size_t k = 0;
    *f = FP12_ONE;
    for (size_t i = 0; i < n; i++) {
        if (p[i].inf || q[i].inf)
            continue;
        miller_pair_init(&s[k++], &p[i], &q[i]);
        if (k == MILLER_CHUNK) {
            miller_loop_chunk(f, s, k);
            k = 0;
        }
    }
    if (k > 0)
        miller_loop_chunk(f, s, k);
}

/* r = a^u for a in the cyclotomic subgroup (inverse = conjugate). */
static void cyclotomic_exp_u(fp12 *r, const fp12 *a) {
    fp12 acc = *a, inv;
    fp12_conj(&inv, a);
    for (int i = 61; i >= 0; i--) {
        fp12_cyclotomic_sqr(&acc, &acc);
        if (BN254_U_NAF[i] > 0)
            fp12_mul(&acc, &acc, a);
        else if (BN254_U_NAF[i] < 0)
            fp12_mul(&acc, &acc, &inv);
    }
    *r = acc;
}

/* Easy part f^((p^6 - 1)(p^2 + 1)), then the hard part (p^4 - p^2 + 1)/r
 * written in base p with coefficients in u (Scott et al., "On the final
 * exponentiation for calculating pairings on ordinary elliptic curves"):
 * with a = f^u, b = f^(u^2), c = f^(u^3) and
 *   y0 = f^p f^(p^2) f^(p^3), y1 = 1/f, y2 = b^(p^2), y3 = 1/a^p,
 *   y4 = 1/(a b^p), y5 = 1/b, y6 = 1/(c c^p),
 * the result is y0 y1^2 y2^6 y3^12 y4^18 y5^30 y6^36, evaluated by a short
 * vectorial addition chain. */
void bn254_final_exp(fp12 *r, const fp12 *f) {
    fp12 t, g;
    fp12_inv(&t, f);
    fp12_conj(&g, f);
    fp12_mul(&g, &g, &t); /* f^(p^6 - 1) */
    fp12_frobenius(&t, &g, 2);
    fp12_mul(&g, &t, &g); /* ^(p^2 + 1): now in the cyclotomic subgroup */

    fp12 a, b, c, y0, y1, y2, y3, y4, y5, y6;
    cyclotomic_exp_u(&a, &g);
    cyclotomic_exp_u(&b, &a);
    cyclotomic_exp_u(&c, &b);

    fp12_frobenius(&y0, &g, 1);
    fp12_frobenius(&t, &g, 2);
    fp12_mul(&y0, &y0, &t);
    fp12_frobenius(&t, &g, 3);
    fp12_mul(&y0, &y0, &t);
    fp12_conj(&y1, &g);
    fp12_frobenius(&y2, &b, 2);
    fp12_frobenius(&y3, &a, 1);
    fp12_conj(&y3, &y3);
    fp12_frobenius(&y4, &b, 1);
    fp12_mul(&y4, &y4, &a);
    fp12_conj(&y4, &y4);
    fp12_conj(&y5, &b);
    fp12_frobenius(&y6, &c, 1);
    fp12_mul(&y6, &y6, &c);
    fp12_conj(&y6, &y6);

    fp12 t0, t1;
    fp12_cyclotomic_sqr(&t0, &y6); /* t0 = y6^2 y4 y5 */
    fp12_mul(&t0, &t0, &y4);
    fp12_mul(&t0, &t0, &y5);
    fp12_mul(&t1, &y3, &y5); /* t1 = y3 y5 t0 */
    fp12_mul(&t1, &t1, &t0);
    fp12_mul(&t0, &t0, &y2);
    fp12_cyclotomic_sqr(&t1, &t1); /* t1 = (t1^2 t0)^2 */
    fp12_mul(&t1, &t1, &t0);
    fp12_cyclotomic_sqr(&t1, &t1);
    fp12_mul(&t0, &t1, &y1);
    fp12_mul(&t1, &t1, &y0);
    fp12_cyclotomic_sqr(&t0, &t0);
    fp12_mul(r, &t0, &t1);
}

/* ---- 0x08 ECPAIRING ---- */

#define PAIR_BYTES 192

bool bn254_pairing_check(const uint8_t *in, size_t len, bool *ok) {
    if (len % PAIR_BYTES != 0)
        return false;
    fp12 f = FP12_ONE, chunk_f;
    g1_affine p[MILLER_CHUNK];
    g2_affine q[MILLER_CHUNK];
    size_t pairs = len / PAIR_BYTES, k = 0;
    for (size_t i = 0; i < pairs; i++) {
        const uint8_t *pair = in + i * PAIR_BYTES;
        if (!g1_decode(&p[k], pair) || !g2_decode(&q[k], pair + 64))
            return false;
        if (++k == MILLER_CHUNK || i + 1 == pairs) {
            bn254_miller_loop(&chunk_f, p, q, k);
            fp12_mul(&f, &f, &chunk_f);
            k = 0;
        }
    }
    if (fp12_eq(&f, &FP12_ONE)) { /* no non-degenerate pair */
        *ok = true;
        return true;
    }
    fp12 e;
    bn254_final_exp(&e, &f);
    *ok = fp12_eq(&e, &FP12_ONE);
    return true;
}
