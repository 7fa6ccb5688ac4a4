/* BLS12-381 multi-scalar multiplication for the EIP-2537 MSM precompiles:
 * sum [k_i] P_i for points of G1 (G2) and arbitrary 256-bit scalars.
 *
 * The points are in their subgroups (the precompiles check it first), so
 * each scalar is reduced mod r and split along an endomorphism:
 *  - G1: k = k0 + k1 x^2 with k0, k1 < 2^128, and [x^2]P = -phi(P);
 *  - G2: k = d0 + d1 m + d2 m^2 + d3 m^3 in base m = |x| (digits < 2^64), and
 *    [m]Q = -psi(Q), so the terms are Q, -psi(Q), psi^2(Q), -psi^3(Q).
 * Few points go through Straus, many through Pippenger, in chunks of a fixed
 * size so that the stack use is bounded (bls12_381_msm.inc). */
#include "crypto/bls12_381.h"

#include <string.h>

typedef unsigned __int128 u128;

#define STRAUS_W 5
#define PIPPENGER_MAX_C 8     /* the cost model picks 5 or 6 at these sizes */

/* Points per chunk, and the largest chunk that Straus handles. With the
 * scalars split in 128-bit (64-bit) parts, Straus costs about 128/6 (64/6)
 * mixed additions per part plus a table, which Pippenger only beats on
 * large inputs; the Straus tables also bound the stack (at most about
 * 110 KB for G2, 70 KB for G1). */
#define G1_CHUNK 128
#define G1_STRAUS_MAX 32
#define G2_CHUNK 64
#define G2_STRAUS_MAX 16

#define MSM_POINT bls_g1
#define MSM_AFFINE bls_g1_affine
#define MSM_ELEM bls_fp
#define MSM_G(op) bls_g1_##op
#define MSM_F(op) bls_fp_##op
#define MSM_S(name) g1_##name
#define MSM_ONE BLS_FP_ONE
#define PIPPENGER_MAX_POINTS (2 * G1_CHUNK)
#define PIPPENGER_MAX_BITS 128
#define STRAUS_MAX_POINTS G1_STRAUS_MAX
#define MSM_DIM 2
#include "bls12_381_msm.inc"

/* 1 in Fp2 (BLS_FP_ONE's Montgomery limbs: an extern is no initialiser). */
static const bls_fp2 FP2_ONE = {{{0x760900000002fffdULL, 0xebf4000bc40c0002ULL,
                                  0x5f48985753c758baULL, 0x77ce585370525745ULL,
                                  0x5c071a97a256ec6dULL, 0x15f65ec3fa80e493ULL}},
                                {{0}}};
#define MSM_POINT bls_g2
#define MSM_AFFINE bls_g2_affine
#define MSM_ELEM bls_fp2
#define MSM_G(op) bls_g2_##op
#define MSM_F(op) bls_fp2_##op
#define MSM_S(name) g2_##name
#define MSM_ONE FP2_ONE
#define PIPPENGER_MAX_POINTS (4 * G2_CHUNK)
#define PIPPENGER_MAX_BITS 64
#define STRAUS_MAX_POINTS G2_STRAUS_MAX
#define MSM_DIM 4
#include "bls12_381_msm.inc"

/* k mod r for any 256-bit k (2^256 < 3r: at most two subtractions). */
static void scalar_reduce(bls_scalar *k) {
    for (;;) {
        int i = 3;
        while (i >= 0 && k->l[i] == BLS_R.l[i])
            i--;
        if (i >= 0 && k->l[i] < BLS_R.l[i])
            return;
        uint64_t borrow = 0;
        for (int j = 0; j < 4; j++) {
            u128 d = (u128)k->l[j] - BLS_R.l[j] - borrow;
            k->l[j] = (uint64_t)d;
            borrow = (uint64_t)(d >> 64) & 1;
        }
    }
}

/* ---- G1 ------------------------------------------------------------------ */

/* out = -phi(in) = (beta x, -y): the image of [x^2] on G1. */
static void g1_endo(bls_g1_affine *out, const bls_g1_affine *in) {
    if (in->inf) {
        *out = *in;
        return;
    }
    bls_g1 t;
    bls_g1_from_affine(&t, in);
    bls_g1_phi(&t, &t);
    out->x = t.x;
    bls_fp_neg(&out->y, &t.y);
    out->inf = false;
}

static void g1_msm_chunk(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *k, size_t n) {
    uint64_t ks[2 * G1_CHUNK][2];
    for (size_t i = 0; i < n; i++) {
        bls_scalar s = k[i];
        scalar_reduce(&s);
        bls_g1_glv_split(ks[2 * i], ks[2 * i + 1], &s);
    }
    if (n <= G1_STRAUS_MAX) {
        g1_straus(r, p, n, ks, g1_endo);
        return;
    }
    bls_g1_affine terms[2 * G1_CHUNK];
    for (size_t i = 0; i < n; i++) {
        terms[2 * i] = p[i];
        g1_endo(&terms[2 * i + 1], &p[i]);
    }
    g1_pippenger(r, terms, ks, 2 * n, 128);
}

void bls_g1_msm(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *k, size_t n) {
    bls_g1 part;
    bls_g1_set_inf(r);
    for (size_t base = 0; base < n; base += G1_CHUNK) {
        size_t m = n - base < G1_CHUNK ? n - base : G1_CHUNK;
        g1_msm_chunk(&part, p + base, k + base, m);
        bls_g1_add(r, r, &part);
    }
}

/* ---- G2 ------------------------------------------------------------------ */

/* out = -psi(in): the image of [|x|] on G2. */
static void g2_endo(bls_g2_affine *out, const bls_g2_affine *in) {
    if (in->inf) {
        *out = *in;
        return;
    }
    bls_g2 t;
    bls_g2_from_affine(&t, in);
    bls_g2_psi(&t, &t);                      /* z stays 1 */
    out->x = t.x;
    bls_fp2_neg(&out->y, &t.y);
    out->inf = false;
}

/* k < r as four base-|x| digits, least significant first (r < |x|^4). */
static void g2_split(uint64_t d[4][2], const bls_scalar *k) {
    const uint64_t m = 0xd201000000010000ULL;
    uint64_t q[4] = {k->l[0], k->l[1], k->l[2], k->l[3]};
    for (int j = 0; j < 4; j++) {
        u128 rem = 0;
        for (int i = 3; i >= 0; i--) {
            u128 cur = (rem << 64) | q[i];
            q[i] = (uint64_t)(cur / m);
            rem = cur % m;
        }
        d[j][0] = (uint64_t)rem;
        d[j][1] = 0;
    }
}

static void g2_msm_chunk(bls_g2 *r, const bls_g2_affine *p, const bls_scalar *k, size_t n) {
    uint64_t ks[4 * G2_CHUNK][2];
    for (size_t i = 0; i < n; i++) {
        bls_scalar s = k[i];
        scalar_reduce(&s);
        g2_split(&ks[4 * i], &s);
    }
    if (n <= G2_STRAUS_MAX) {
        g2_straus(r, p, n, ks, g2_endo);
        return;
    }
    bls_g2_affine terms[4 * G2_CHUNK];
    for (size_t i = 0; i < n; i++) {
        terms[4 * i] = p[i];
        for (int j = 1; j < 4; j++)
            g2_endo(&terms[4 * i + j], &terms[4 * i + j - 1]);
    }
    g2_pippenger(r, terms, ks, 4 * n, 64);
}

void bls_g2_msm(bls_g2 *r, const bls_g2_affine *p, const bls_scalar *k, size_t n) {
    bls_g2 part;
    bls_g2_set_inf(r);
    for (size_t base = 0; base < n; base += G2_CHUNK) {
        size_t m = n - base < G2_CHUNK ? n - base : G2_CHUNK;
        g2_msm_chunk(&part, p + base, k + base, m);
        bls_g2_add(r, r, &part);
    }
}
