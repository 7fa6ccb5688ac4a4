/* Blob sidecar verification (parevm/kzg.h): the scalar field Fr of
 * BLS12-381 in Montgomery form, the blob polynomial (barycentric evaluation
 * for EIP-4844 proofs, an inverse FFT for EIP-7594 cell proofs), and the
 * pairing equations on bls12_381's primitives.
 *
 * A blob holds the values of a polynomial p of degree < 4096 at the 4096th
 * roots of unity, in bit-reversed order (polynomial-commitments.md). */
#include "parevm/kzg.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/bls12_381.h"
#include "parevm/precompile_math.h"
#include "parevm/u256.h"

#define N 4096
#define LOG_N 12

/* ---- Fr: integers mod r, Montgomery form (x R mod r, R = 2^256), reduced ---- */

typedef struct { uint64_t l[4]; } fr;

#define R_MOD BLS_R.l /* the group order r, as bls12_381_field.c defines it */
static const uint64_t R_NEG_INV = 0xfffffffeffffffffULL; /* -r^-1 mod 2^64 */
static const fr R2 = {{0xc999e990f3f29c6dULL, 0x2b6cedcb87925c23ULL, 0x05d314967254398fULL, 0x0748d9d99f59ff11ULL}};
static const fr FR_ONE = {{0x00000001fffffffeULL, 0x5884b7fa00034802ULL, 0x998c4fefecbc4ff5ULL,
                           0x1824b159acc5056fULL}};
#define PRIMITIVE_ROOT 7 /* generates Fr*, as the specification fixes */

static bool below_r(const uint64_t a[4]) {
    for (int i = 3; i >= 0; i--)
        if (a[i] != R_MOD[i]) return a[i] < R_MOD[i];
    return false;
}

static void sub_r(uint64_t a[4]) {
    unsigned __int128 borrow = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)a[i] - R_MOD[i] - borrow;
        a[i] = (uint64_t)d;
        borrow = (d >> 64) & 1;
    }
}

/* CIOS Montgomery product: a b / R mod r, for a < 2^256 and b < r. */
static void fr_mul(fr *o, const fr *a, const fr *b) {
    uint64_t t[6] = {0};
    for (int i = 0; i < 4; i++) {
        unsigned __int128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (unsigned __int128)a->l[j] * b->l[i] + t[j];
            t[j] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * R_NEG_INV;
        c = ((unsigned __int128)m * R_MOD[0] + t[0]) >> 64;
        for (int j = 1; j < 4; j++) {
            c += (unsigned __int128)m * R_MOD[j] + t[j];
            t[j - 1] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    /* t < 2r < 2^256 */
    if (!below_r(t)) sub_r(t);
    memcpy(o->l, t, sizeof o->l);
}

static void fr_add(fr *o, const fr *a, const fr *b) {
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)a->l[i] + b->l[i];
        o->l[i] = (uint64_t)c;
        c >>= 64;
    }
    if (!below_r(o->l)) sub_r(o->l); /* a + b < 2r < 2^256: no carry out */
}

static void fr_sub(fr *o, const fr *a, const fr *b) {
    unsigned __int128 borrow = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)a->l[i] - b->l[i] - borrow;
        o->l[i] = (uint64_t)d;
        borrow = (d >> 64) & 1;
    }
    if (borrow) {
        unsigned __int128 c = 0;
        for (int i = 0; i < 4; i++) {
            c += (unsigned __int128)o->l[i] + R_MOD[i];
            o->l[i] = (uint64_t)c;
            c >>= 64;
        }
    }
}

static bool fr_eq(const fr *a, const fr *b) { return !memcmp(a, b, sizeof *a); }

/* Any 256-bit integer, reduced mod r. */
static void fr_from_limbs(fr *o, const uint64_t v[4]) {
    fr t;
    memcpy(t.l, v, sizeof t.l);
    fr_mul(o, &t, &R2);
}

static void fr_to_limbs(uint64_t out[4], const fr *a) {
    const fr one = {{1, 0, 0, 0}};
    fr t;
    fr_mul(&t, a, &one);
    memcpy(out, t.l, sizeof t.l);
}

/* 32 big-endian bytes, any value, reduced mod r. */
static void fr_from_be(fr *o, const uint8_t be[32]) {
    u256 v = u256_load_be32(be);
    fr_from_limbs(o, v.w);
}

static void fr_to_be(uint8_t be[32], const fr *a) {
    u256 v;
    fr_to_limbs(v.w, a);
    u256_store_be32(&v, be);
}

static void fr_pow(fr *o, const fr *b, const uint64_t e[4]) {
    fr acc = FR_ONE;
    for (int i = 255; i >= 0; i--) {
        fr_mul(&acc, &acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1) fr_mul(&acc, &acc, b);
    }
    *o = acc;
}

static void fr_inv(fr *o, const fr *a) {
    uint64_t e[4];
    memcpy(e, R_MOD, sizeof e);
    e[0] -= 2; /* r - 2; the low limb of r is at least 2 */
    fr_pow(o, a, e);
}

static void fr_from_u64(fr *o, uint64_t x) {
    const uint64_t v[4] = {x, 0, 0, 0};
    fr_from_limbs(o, v);
}

/* A primitive 2^k-th root of unity: 7^((r - 1) / 2^k). */
static void root_of_unity(fr *o, unsigned k) {
    uint64_t e[4];
    memcpy(e, R_MOD, sizeof e);
    e[0] -= 1;
    for (int i = 0; i < 4; i++) e[i] = (e[i] >> k) | (i < 3 ? e[i + 1] << (64 - k) : 0);
    fr g;
    fr_from_u64(&g, PRIMITIVE_ROOT);
    fr_pow(o, &g, e);
}

static unsigned reverse_bits(unsigned x, unsigned bits) {
    unsigned r = 0;
    for (unsigned i = 0; i < bits; i++) r |= ((x >> i) & 1) << (bits - 1 - i);
    return r;
}

/* ---- the blob polynomial ---- */

typedef struct {
    fr roots_brp[N];   /* w^rev(i): the point of blob element i */
    fr values[N];      /* the blob's elements, then scratch */
    fr scratch[N];
} blob_work;

static blob_work *work_new(void) {
    blob_work *w = malloc(sizeof *w);
    if (!w) abort();
    fr root, acc = FR_ONE;
    root_of_unity(&root, LOG_N);
    for (unsigned j = 0; j < N; j++) {
        w->roots_brp[reverse_bits(j, LOG_N)] = acc;
        fr_mul(&acc, &acc, &root);
    }
    return w;
}

/* blob_to_polynomial: every element a canonical field element. */
static bool load_blob(blob_work *w, const uint8_t *blob) {
    for (unsigned i = 0; i < N; i++) {
        bls_scalar v;
        if (!bls_scalar_from_bytes(&v, blob + 32 * i)) return false;
        fr_from_limbs(&w->values[i], v.l);
    }
    return true;
}

static void sha256_parts(uint8_t out[32], const void *const *parts, const size_t *lens, size_t n) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) abort();
    for (size_t i = 0; i < n; i++)
        if (!EVP_DigestUpdate(c, parts[i], lens[i])) abort();
    if (!EVP_DigestFinal_ex(c, out, NULL)) abort();
    EVP_MD_CTX_free(c);
}

/* compute_challenge: hash_to_bls_field(domain || degree as 16 bytes ||
 * blob || commitment). */
static void challenge(fr *z, const uint8_t *blob, const uint8_t *commitment) {
    static const char domain[] = "FSBLOBVERIFY_V1_";
    uint8_t degree[16] = {0}, h[32];
    degree[14] = N >> 8;
    degree[15] = N & 0xff;
    const void *parts[] = {domain, degree, blob, commitment};
    const size_t lens[] = {16, 16, KZG_BLOB_BYTES, KZG_POINT_BYTES};
    sha256_parts(h, parts, lens, 4);
    fr_from_be(z, h);
}

/* evaluate_polynomial_in_evaluation_form: p(z) from the values, by the
 * barycentric formula (z^N - 1)/N * sum f_i w_i / (z - w_i). */
static void evaluate(blob_work *w, const fr *z, fr *y) {
    for (unsigned i = 0; i < N; i++)
        if (fr_eq(z, &w->roots_brp[i])) {
            *y = w->values[i];
            return;
        }
    /* batch inversion of z - w_i: scratch holds the prefix products */
    fr acc = FR_ONE, d;
    for (unsigned i = 0; i < N; i++) {
        fr_sub(&d, z, &w->roots_brp[i]);
        fr_mul(&acc, &acc, &d);
        w->scratch[i] = acc;
    }
    fr inv, sum = {{0}}, term;
    fr_inv(&inv, &acc);
    for (unsigned i = N; i-- > 0;) {
        fr inv_d = inv;
        if (i) fr_mul(&inv_d, &inv, &w->scratch[i - 1]);
        fr_sub(&d, z, &w->roots_brp[i]);
        fr_mul(&inv, &inv, &d);
        fr_mul(&term, &w->values[i], &w->roots_brp[i]);
        fr_mul(&term, &term, &inv_d);
        fr_add(&sum, &sum, &term);
    }
    fr zn = *z, n_inv;
    for (unsigned k = 0; k < LOG_N; k++) fr_mul(&zn, &zn, &zn);
    fr_sub(&zn, &zn, &FR_ONE);
    fr_from_u64(&n_inv, N);
    fr_inv(&n_inv, &n_inv);
    fr_mul(&sum, &sum, &zn);
    fr_mul(y, &sum, &n_inv);
}

const char *kzg_verify_blob_proofs(const uint8_t *const *blobs, const uint8_t *const *commitments,
                                   const uint8_t *const *proofs, size_t n) {
    if (!n) return NULL;
    blob_work *w = work_new();
    const char *why = NULL;
    for (size_t i = 0; i < n && !why; i++) {
        if (!load_blob(w, blobs[i])) {
            why = "blob element is not a canonical field element";
            break;
        }
        fr z, y;
        challenge(&z, blobs[i], commitments[i]);
        evaluate(w, &z, &y);
        /* the point evaluation precompile's check, on its input layout */
        uint8_t in[192];
        const void *parts[] = {commitments[i]};
        const size_t lens[] = {KZG_POINT_BYTES};
        sha256_parts(in, parts, lens, 1);
        in[0] = 0x01;
        fr_to_be(in + 32, &z);
        fr_to_be(in + 64, &y);
        memcpy(in + 96, commitments[i], KZG_POINT_BYTES);
        memcpy(in + 144, proofs[i], KZG_POINT_BYTES);
        if (!kzg_point_evaluation(in)) why = "invalid KZG proof of a blob";
    }
    free(w);
    return why;
}

/* ---- EIP-7594 cell proofs ---- */

/* The coefficients of p from its values: an inverse FFT. The values are in
 * bit-reversed order, as an in-place decimation-in-time FFT wants them. */
static void interpolate(blob_work *w) {
    fr root, inv_root, *tw = w->scratch; /* tw[j] = w^-j, j < N/2 */
    root_of_unity(&root, LOG_N);
    fr_inv(&inv_root, &root);
    tw[0] = FR_ONE;
    for (unsigned j = 1; j < N / 2; j++) fr_mul(&tw[j], &tw[j - 1], &inv_root);
    fr *a = w->values;
    for (unsigned len = 2; len <= N; len <<= 1) {
        unsigned half = len / 2, step = N / len;
        for (unsigned i = 0; i < N; i += len)
            for (unsigned j = 0; j < half; j++) {
                fr u = a[i + j], t;
                fr_mul(&t, &a[i + j + half], &tw[j * step]);
                fr_add(&a[i + j], &u, &t);
                fr_sub(&a[i + j + half], &u, &t);
            }
    }
    fr n_inv;
    fr_from_u64(&n_inv, N);
    fr_inv(&n_inv, &n_inv);
    for (unsigned i = 0; i < N; i++) fr_mul(&a[i], &a[i], &n_inv);
}

/* The weight of the linear combination: a hash of every input. */
static void combination_base(fr *rho, const uint8_t *const *blobs, const uint8_t *const *commitments,
                             const uint8_t *const *cell_proofs, size_t n) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    static const char domain[] = "PAREVM_CELLS_V1_";
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, domain, 16)) abort();
    for (size_t i = 0; i < n; i++) {
        if (!EVP_DigestUpdate(c, blobs[i], KZG_BLOB_BYTES) ||
            !EVP_DigestUpdate(c, commitments[i], KZG_POINT_BYTES))
            abort();
        for (size_t k = 0; k < KZG_CELLS_PER_BLOB; k++)
            if (!EVP_DigestUpdate(c, cell_proofs[i * KZG_CELLS_PER_BLOB + k], KZG_POINT_BYTES)) abort();
    }
    uint8_t h[32];
    if (!EVP_DigestFinal_ex(c, h, NULL)) abort();
    EVP_MD_CTX_free(c);
    fr_from_be(rho, h);
}

/* Cell k is the blob polynomial on the coset h_k<w64>, h_k = w8192^rev7(k)
 * (the bit-reversed extended domain, 64 points per cell), whose vanishing
 * polynomial is X^64 - s_k with s_k = h_k^64 = w128^rev7(k). Its proof is
 * [q_k(tau)] for p - I_k = q_k (X^64 - s_k), I_k = p mod (X^64 - s_k), so
 *   e(proof_k, [tau^64]) = e(C - [I_k(tau)] + s_k proof_k, G2).
 * Summed with weights rho_k over all cells of all blobs:
 *   e(sum rho_k proof_k, [tau^64]G2) =
 *   e(sum_i (sum_k rho_k) C_i - [A(tau)] + sum rho_k s_k proof_k, G2),
 * A = sum rho_k I_k, whose coefficient j is sum_m p_{j+64m} t_m with
 * t_m = sum_k rho_k s_k^m per blob. */
enum { CELL_SIZE = KZG_CELL_POINTS, CELLS = KZG_CELLS_PER_BLOB };

typedef struct {
    bls_g1_affine *pts;   /* proofs, then commitments, then [tau^j]G1 */
    bls_scalar *lhs, *rhs;
    size_t n_proofs, n_pts;
} cell_check;

static const char *load_points(cell_check *cc, const uint8_t *const *commitments, const uint8_t *const *cell_proofs,
                               size_t n) {
    for (size_t i = 0; i < cc->n_proofs; i++)
        if (!bls_g1_decompress(&cc->pts[i], cell_proofs[i])) return "invalid cell proof (not a point of G1)";
    for (size_t i = 0; i < n; i++)
        if (!bls_g1_decompress(&cc->pts[cc->n_proofs + i], commitments[i]))
            return "invalid blob commitment (not a point of G1)";
    for (size_t j = 0; j < CELL_SIZE; j++)
        if (!bls_g1_decompress(&cc->pts[cc->n_proofs + n + j], BLS_KZG_G1_MONOMIAL_COMPRESSED[j])) abort();
    return NULL;
}

/* Adds blob i's part (w->values holds its coefficients) to the weights;
 * rho_pow is the weight of its first cell, and of the next blob's after. */
static void weigh_blob(const blob_work *w, size_t i, const fr *s, const fr *rho, fr *rho_pow, fr agg[CELL_SIZE],
                       cell_check *cc) {
    fr t[CELL_SIZE], term;
    memset(t, 0, sizeof t);
    for (size_t k = 0; k < CELLS; k++) {
        size_t at = i * CELLS + k;
        fr_to_limbs(cc->lhs[at].l, rho_pow);
        fr_mul(&term, rho_pow, &s[k]);
        fr_to_limbs(cc->rhs[at].l, &term);
        fr pw = *rho_pow;
        for (size_t m = 0; m < CELL_SIZE; m++) {
            fr_add(&t[m], &t[m], &pw);
            fr_mul(&pw, &pw, &s[k]);
        }
        fr_mul(rho_pow, rho_pow, rho);
    }
    fr_to_limbs(cc->rhs[cc->n_proofs + i].l, &t[0]); /* t_0 = sum rho_k */
    for (size_t j = 0; j < CELL_SIZE; j++)
        for (size_t m = 0; m < N / CELL_SIZE; m++) {
            fr_mul(&term, &w->values[j + CELL_SIZE * m], &t[m]);
            fr_add(&agg[j], &agg[j], &term);
        }
}

/* s_k = w128^rev7(k) for the 128 cells. */
static void coset_powers(fr s[CELLS]) {
    fr root, acc = FR_ONE;
    root_of_unity(&root, 7);
    for (unsigned j = 0; j < CELLS; j++) {
        s[reverse_bits(j, 7)] = acc;
        fr_mul(&acc, &acc, &root);
    }
}

/* The pairing equation on the weights. */
static bool pairing_holds(const cell_check *cc) {
    bls_g1 lhs, rhs;
    bls_g1_msm(&lhs, cc->pts, cc->lhs, cc->n_proofs);
    bls_g1_msm(&rhs, cc->pts, cc->rhs, cc->n_pts);
    bls_g1_neg(&rhs, &rhs);
    bls_pairing_pair pairs[2];
    bls_g1_to_affine(&pairs[0].p, &lhs);
    bls_g1_to_affine(&pairs[1].p, &rhs);
    if (!bls_g2_decompress(&pairs[0].q, BLS_KZG_TAU64_G2_COMPRESSED)) abort();
    pairs[1].q = BLS_G2_GENERATOR;
    return bls12_381_pairing_check(pairs, 2);
}

const char *kzg_verify_cell_proofs(const uint8_t *const *blobs, const uint8_t *const *commitments,
                                   const uint8_t *const *cell_proofs, size_t n) {
    if (!n) return NULL;
    cell_check cc = {.n_proofs = n * CELLS, .n_pts = n * CELLS + n + CELL_SIZE};
    cc.pts = malloc(cc.n_pts * sizeof *cc.pts);
    cc.lhs = malloc(cc.n_proofs * sizeof *cc.lhs);
    cc.rhs = malloc(cc.n_pts * sizeof *cc.rhs);
    blob_work *w = work_new();
    if (!cc.pts || !cc.lhs || !cc.rhs) abort();
    const char *why = load_points(&cc, commitments, cell_proofs, n);
    fr s[CELLS], rho, rho_pow = FR_ONE, agg[CELL_SIZE];
    memset(agg, 0, sizeof agg);
    coset_powers(s);
    if (!why) combination_base(&rho, blobs, commitments, cell_proofs, n);
    for (size_t i = 0; i < n && !why; i++) {
        if (!load_blob(w, blobs[i])) {
            why = "blob element is not a canonical field element";
            break;
        }
        interpolate(w);
        weigh_blob(w, i, s, &rho, &rho_pow, agg, &cc);
    }
    if (!why) {
        /* -A(tau): the [tau^j]G1 points take -agg_j */
        for (size_t j = 0; j < CELL_SIZE; j++) {
            fr neg;
            fr_sub(&neg, &(fr){{0}}, &agg[j]);
            fr_to_limbs(cc.rhs[cc.n_proofs + n + j].l, &neg);
        }
        if (!pairing_holds(&cc)) why = "invalid KZG cell proofs of the blobs";
    }
    free(w);
    free(cc.pts);
    free(cc.lhs);
    free(cc.rhs);
    return why;
}
