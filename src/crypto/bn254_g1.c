/* BN254 G1: point decoding and validation, addition (0x06 ECADD) and scalar
 * multiplication (0x07 ECMUL, EIP-196).
 *
 * ECADD works in affine coordinates with a single field inversion (safegcd
 * makes that cheaper than Jacobian arithmetic plus a conversion). ECMUL
 * splits the scalar with the GLV endomorphism into two 127-bit halves and
 * runs both width-5 wNAFs in one Jacobian double-and-add loop over affine
 * tables of odd multiples, so each addition is a mixed addition. */
#include "crypto/bn254.h"
#include "parevm/precompile_math.h"

#include <string.h>

const uint64_t BN254_R[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                             0xb85045b68181585dULL, 0x30644e72e131a029ULL};

/* b = 3 in Montgomery form. */
static const fp G1_B = {{0x7a17caa950ad28d7ULL, 0x1f6ac17ae15521b9ULL,
                         0x334bea4e696bd284ULL, 0x2a1f6744ce179d8eULL}};

static bool g1_on_curve(const g1_affine *p) {
    fp lhs, rhs;
    fp_sqr(&lhs, &p->y);
    fp_sqr(&rhs, &p->x);
    fp_mul(&rhs, &rhs, &p->x);
    fp_add(&rhs, &rhs, &G1_B);
    return fp_eq(&lhs, &rhs);
}

bool g1_decode(g1_affine *p, const uint8_t in[64]) {
    if (!fp_from_bytes(&p->x, in) || !fp_from_bytes(&p->y, in + 32))
        return false;
    p->inf = fp_is_zero(&p->x) && fp_is_zero(&p->y);
    return p->inf || g1_on_curve(p);
}

const char *bn254_g1_error(const uint8_t in[64]) {
    g1_affine p;
    if (!fp_from_bytes(&p.x, in) || !fp_from_bytes(&p.y, in + 32)) return "invalid fp.Element encoding";
    return g1_decode(&p, in) ? NULL : "point is not on curve";
}

void g1_encode(uint8_t out[64], const g1_affine *p) {
    if (p->inf) {
        memset(out, 0, 64);
        return;
    }
    fp_to_bytes(out, &p->x);
    fp_to_bytes(out + 32, &p->y);
}

/* r = a + b in affine coordinates, every special case included. */
static void g1_add_affine(g1_affine *r, const g1_affine *a, const g1_affine *b) {
    if (a->inf) {
        *r = *b;
        return;
    }
    if (b->inf) {
        *r = *a;
        return;
    }
    fp lambda, num, den;
    if (fp_eq(&a->x, &b->x)) {
        if (!fp_eq(&a->y, &b->y) || fp_is_zero(&a->y)) { /* b = -a */
            r->inf = true;
            r->x = r->y = FP_ZERO;
            return;
        }
        fp_sqr(&num, &a->x); /* tangent: lambda = 3 x^2 / 2y */
        fp_add(&lambda, &num, &num);
        fp_add(&num, &lambda, &num);
        fp_dbl(&den, &a->y);
    } else {
        fp_sub(&num, &b->y, &a->y); /* chord: (y2 - y1) / (x2 - x1) */
        fp_sub(&den, &b->x, &a->x);
    }
    fp_inv(&den, &den);
    fp_mul(&lambda, &num, &den);
    fp x3, y3;
    fp_sqr(&x3, &lambda); /* x3 = lambda^2 - x1 - x2 */
    fp_sub(&x3, &x3, &a->x);
    fp_sub(&x3, &x3, &b->x);
    fp_sub(&y3, &a->x, &x3); /* y3 = lambda (x1 - x3) - y1 */
    fp_mul(&y3, &y3, &lambda);
    fp_sub(&y3, &y3, &a->y);
    r->x = x3, r->y = y3, r->inf = false;
}

/* ---- Jacobian arithmetic (a = 0 short Weierstrass) ---- */

/* r = 2p (dbl-2009-l: 2M + 5S). */
static void g1_jac_double(g1_jac *r, const g1_jac *p) {
    fp A, B, C, D, E, F, t;
    fp_sqr(&A, &p->X);
    fp_sqr(&B, &p->Y);
    fp_sqr(&C, &B);
    fp_add(&t, &p->X, &B); /* D = 2((X + B)^2 - A - C) */
    fp_sqr(&t, &t);
    fp_sub(&t, &t, &A);
    fp_sub(&t, &t, &C);
    fp_dbl(&D, &t);
    fp_dbl(&E, &A); /* E = 3A */
    fp_add(&E, &E, &A);
    fp_sqr(&F, &E);
    fp_mul(&r->Z, &p->Y, &p->Z); /* Z3 = 2 Y Z (before X, Y are overwritten) */
    fp_dbl(&r->Z, &r->Z);
    fp_dbl(&t, &D); /* X3 = F - 2D */
    fp_sub(&r->X, &F, &t);
    fp_sub(&t, &D, &r->X); /* Y3 = E (D - X3) - 8C */
    fp_mul(&t, &E, &t);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_sub(&r->Y, &t, &C);
}

/* r = p + q with q affine, not infinity (madd-2007-bl: 7M + 4S). Falls back
 * to doubling when p = q and yields infinity when p = -q. */
static void g1_jac_add_affine(g1_jac *r, const g1_jac *p, const g1_affine *q) {
    if (fp_is_zero(&p->Z)) {
        r->X = q->x, r->Y = q->y, r->Z = FP_ONE;
        return;
    }
    fp Z1Z1, U2, S2, H, HH, I, J, R, V, t;
    fp_sqr(&Z1Z1, &p->Z);
    fp_mul(&U2, &q->x, &Z1Z1);
    fp_mul(&S2, &q->y, &p->Z);
    fp_mul(&S2, &S2, &Z1Z1);
    fp_sub(&H, &U2, &p->X);
    fp_sub(&R, &S2, &p->Y);
    if (fp_is_zero(&H)) {
        if (fp_is_zero(&R)) {
            g1_jac_double(r, p);
        } else {
            r->X = r->Y = FP_ONE;
            r->Z = FP_ZERO;
        }
        return;
    }
    fp_dbl(&R, &R);
    fp_sqr(&HH, &H);
    fp_dbl(&I, &HH);
    fp_dbl(&I, &I);
    fp_mul(&J, &H, &I);
    fp_mul(&V, &p->X, &I);
    fp_add(&t, &p->Z, &H); /* Z3 = (Z1 + H)^2 - Z1Z1 - HH */
    fp_sqr(&t, &t);
    fp_sub(&t, &t, &Z1Z1);
    fp_sub(&r->Z, &t, &HH);
    fp Y1J;
    fp_mul(&Y1J, &p->Y, &J);
    fp_sqr(&t, &R); /* X3 = R^2 - J - 2V */
    fp_sub(&t, &t, &J);
    fp_sub(&t, &t, &V);
    fp_sub(&r->X, &t, &V);
    fp_sub(&t, &V, &r->X); /* Y3 = R (V - X3) - 2 Y1 J */
    fp_mul(&t, &R, &t);
    fp_dbl(&Y1J, &Y1J);
    fp_sub(&r->Y, &t, &Y1J);
}

static void g1_jac_to_affine(g1_affine *r, const g1_jac *p) {
    if (fp_is_zero(&p->Z)) {
        r->inf = true;
        r->x = r->y = FP_ZERO;
        return;
    }
    fp zi, zi2;
    fp_inv(&zi, &p->Z);
    fp_sqr(&zi2, &zi);
    fp_mul(&r->x, &p->X, &zi2);
    fp_mul(&zi2, &zi2, &zi);
    fp_mul(&r->y, &p->Y, &zi2);
    r->inf = false;
}

/* ---- scalar multiplication ---- */

#define WNAF_WIDTH 5
#define WNAF_TABLE (1 << (WNAF_WIDTH - 2)) /* P, 3P, ..., 15P */

/* k = k mod r for a 256-bit k (k < 2^256 < 6r: at most five subtractions). */
static void reduce_mod_r(uint64_t k[4]) {
    for (;;) {
        int i = 3;
        while (i >= 0 && k[i] == BN254_R[i])
            i--;
        if (i >= 0 && k[i] < BN254_R[i])
            return;
        u128 t = 0;
        for (int j = 0; j < 4; j++) {
            t = (u128)k[j] - BN254_R[j] - (uint64_t)(t >> 127);
            k[j] = (uint64_t)t;
        }
    }
}

/* Width-w NAF of k < 2^254 (k is consumed): digits are 0 or odd in (-2^(w-1), 2^(w-1)), and
 * any w consecutive digits hold at most one non-zero. Returns the length. */
static int wnaf_digits(int8_t out[256], uint64_t k[4]) {
    int n = 0;
    while ((k[0] | k[1] | k[2] | k[3]) != 0) {
        int d = 0;
        if (k[0] & 1) {
            d = (int)(k[0] & ((1u << WNAF_WIDTH) - 1));
            if (d >= (1 << (WNAF_WIDTH - 1)))
                d -= 1 << WNAF_WIDTH;
            /* k -= d; k stays non-negative and below 2^254 + 16 */
            __int128 c = -d;
            for (int j = 0; j < 4; j++) {
                c += k[j];
                k[j] = (uint64_t)c;
                c >>= 64;
            }
        }
        out[n++] = (int8_t)d;
        k[0] = (k[0] >> 1) | (k[1] << 63);
        k[1] = (k[1] >> 1) | (k[2] << 63);
        k[2] = (k[2] >> 1) | (k[3] << 63);
        k[3] >>= 1;
    }
    return n;
}

/* Converts n Jacobian points (none infinity) to affine with one inversion
 * (Montgomery's trick). */
static void g1_batch_to_affine(g1_affine *out, const g1_jac *in, int n) {
    fp prefix[WNAF_TABLE];
    prefix[0] = in[0].Z;
    for (int i = 1; i < n; i++)
        fp_mul(&prefix[i], &prefix[i - 1], &in[i].Z);
    fp inv;
    fp_inv(&inv, &prefix[n - 1]);
    for (int i = n - 1; i >= 0; i--) {
        fp zi, zi2;
        if (i > 0) {
            fp_mul(&zi, &inv, &prefix[i - 1]);
            fp_mul(&inv, &inv, &in[i].Z);
        } else {
            zi = inv;
        }
        fp_sqr(&zi2, &zi);
        fp_mul(&out[i].x, &in[i].X, &zi2);
        fp_mul(&zi2, &zi2, &zi);
        fp_mul(&out[i].y, &in[i].Y, &zi2);
        out[i].inf = false;
    }
}

/* ---- GLV decomposition ----
 * phi(x, y) = (beta x, y), with beta a cube root of unity in Fp, acts on G1
 * as multiplication by lambda, a cube root of unity mod r. Writing
 * k = k1 + k2 lambda (mod r) with |k1|, |k2| < 2^127 halves the doublings:
 * k P = k1 P + k2 phi(P), both halves processed in one loop. The short
 * lattice basis of {(a, b) : a + b lambda = 0 mod r} is
 *   v1 = (2u + 1, -(6u^2 + 2u)),  v2 = (6u^2 + 4u + 1, 2u + 1)
 * and (k, 0) minus the rounded combination c1 v1 + c2 v2 gives (k1, k2),
 * with c1 = round(k (2u + 1) / r), c2 = round(k (6u^2 + 2u) / r) computed as
 * (k g + 2^255) >> 256 for g = round(2^256 (...) / r). Rounding keeps
 * |k1|, |k2| <= 0.625 |v2| < 2^127, so arithmetic mod 2^128 recovers them
 * exactly (see scripts/bn254_constants.py). */

/* beta in Montgomery form. */
static const fp GLV_BETA = {{0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL,
                             0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL}};
#define U128(hi, lo) (((u128)(hi) << 64) | (lo))
#define GLV_2U_1 0x89d3256894d213e3ULL                          /* 2u + 1 */
#define GLV_6UU_4U_1 U128(0x6f4d8248eeb859fdULL, 0x0be4e1541221250bULL) /* 6u^2+4u+1 */
#define GLV_6UU_2U U128(0x6f4d8248eeb859fcULL, 0x8211bbeb7d4f1128ULL)   /* 6u^2+2u */
static const uint64_t GLV_G1[3] = {0xd91d232ec7e0b3d7ULL, 0x2, 0};
static const uint64_t GLV_G2[3] = {0x7a7bd9d4391eb18eULL, 0x4ccef014a773d2cfULL, 0x2};

/* (k g + 2^255) >> 256 for k < r and a three-limb g; the result is below
 * 2^128 for both GLV constants. */
static u128 mul_round_256(const uint64_t k[4], const uint64_t g[3]) {
    uint64_t prod[7] = {0};
    for (int i = 0; i < 4; i++) {
        u128 carry = 0;
        for (int j = 0; j < 3; j++) {
            carry += (u128)k[i] * g[j] + prod[i + j];
            prod[i + j] = (uint64_t)carry;
            carry >>= 64;
        }
        prod[i + 3] = (uint64_t)carry;
    }
    u128 t = (u128)prod[3] + ((uint64_t)1 << 63); /* + 2^255 */
    t = (t >> 64) + prod[4];
    uint64_t lo = (uint64_t)t;
    t = (t >> 64) + prod[5];
    return U128((uint64_t)t, lo);
}

/* A scalar half: |k_i| in two limbs and its sign. */
typedef struct {
    uint64_t mag[4];
    bool neg;
} glv_half;

static glv_half glv_half_from(u128 v) {
    glv_half h = {{0}, (int64_t)(v >> 64) < 0};
    if (h.neg)
        v = -v;
    h.mag[0] = (uint64_t)v, h.mag[1] = (uint64_t)(v >> 64);
    return h;
}

/* k = k1 + k2 lambda (mod r) for k < r. */
static void glv_split(const uint64_t k[4], glv_half *k1, glv_half *k2) {
    u128 c1 = mul_round_256(k, GLV_G1), c2 = mul_round_256(k, GLV_G2);
    u128 k_low = U128(k[1], k[0]);
    *k1 = glv_half_from(k_low - c1 * GLV_2U_1 - c2 * GLV_6UU_4U_1);
    *k2 = glv_half_from(c1 * GLV_6UU_2U - c2 * GLV_2U_1);
}

/* r = (table of odd multiples, digit d) added to acc: d > 0 adds
 * table[d/2], d < 0 subtracts table[-d/2]. */
static void add_digit(g1_jac *acc, const g1_affine *table, int d) {
    if (d > 0) {
        g1_jac_add_affine(acc, acc, &table[d >> 1]);
    } else if (d < 0) {
        g1_affine neg = table[(-d) >> 1];
        fp_neg(&neg.y, &neg.y);
        g1_jac_add_affine(acc, acc, &neg);
    }
}

void g1_mul(g1_affine *r, const g1_affine *p, const uint8_t k_bytes[32]) {
    uint64_t k[4];
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | k_bytes[(3 - i) * 8 + j];
        k[i] = w;
    }
    reduce_mod_r(k);
    if (p->inf || (k[0] | k[1] | k[2] | k[3]) == 0) {
        r->inf = true;
        r->x = r->y = FP_ZERO;
        return;
    }
    glv_half k1, k2;
    glv_split(k, &k1, &k2);
    int8_t d1[256] = {0}, d2[256] = {0};
    int n1 = wnaf_digits(d1, k1.mag), n2 = wnaf_digits(d2, k2.mag);

    /* Odd multiples P, 3P, ..., 15P. P has prime order r > 15, so none of
     * them is infinity and no addition below hits a special case. */
    g1_jac jt[WNAF_TABLE];
    g1_affine two_p;
    g1_add_affine(&two_p, p, p);
    jt[0].X = p->x, jt[0].Y = p->y, jt[0].Z = FP_ONE;
    for (int i = 1; i < WNAF_TABLE; i++)
        g1_jac_add_affine(&jt[i], &jt[i - 1], &two_p);
    g1_affine t1[WNAF_TABLE], t2[WNAF_TABLE];
    g1_batch_to_affine(t1, jt, WNAF_TABLE);
    for (int i = 0; i < WNAF_TABLE; i++) { /* t2 = phi(t1), then the signs */
        fp_mul(&t2[i].x, &t1[i].x, &GLV_BETA);
        t2[i].y = t1[i].y;
        t2[i].inf = false;
        if (k1.neg)
            fp_neg(&t1[i].y, &t1[i].y);
        if (k2.neg)
            fp_neg(&t2[i].y, &t2[i].y);
    }

    g1_jac acc = {FP_ONE, FP_ONE, FP_ZERO};
    for (int i = (n1 > n2 ? n1 : n2) - 1; i >= 0; i--) {
        if (!fp_is_zero(&acc.Z))
            g1_jac_double(&acc, &acc);
        add_digit(&acc, t1, d1[i]);
        add_digit(&acc, t2, d2[i]);
    }
    g1_jac_to_affine(r, &acc);
}

/* ---- precompile entry points ---- */

bool bn254_add(const uint8_t in[128], uint8_t out[64]) {
    g1_affine a, b, sum;
    if (!g1_decode(&a, in) || !g1_decode(&b, in + 64))
        return false;
    g1_add_affine(&sum, &a, &b);
    g1_encode(out, &sum);
    return true;
}

bool bn254_mul(const uint8_t in[96], uint8_t out[64]) {
    g1_affine p, prod;
    if (!g1_decode(&p, in))
        return false;
    g1_mul(&prod, &p, in + 64);
    g1_encode(out, &prod);
    return true;
}
