/* BLS12-381 internal API: the base field Fp, the tower Fp2/Fp6/Fp12, the
 * groups G1 (over Fp) and G2 (over Fp2, on the M-type sextic twist), their
 * ZCash compressed encodings, and the optimal ate pairing.
 *
 * It serves the EIP-4844 point evaluation precompile (kzg.c) and is meant to
 * carry the EIP-2537 precompiles later. Nothing here is constant time (all
 * inputs are public); nothing allocates; there is no mutable global state.
 *
 * Conventions:
 *  - Field elements are always fully reduced and in Montgomery form; two
 *    equal elements have equal limbs. Output pointers may alias inputs.
 *  - Scalars are 256-bit little-endian limb arrays (bls_scalar); any value is
 *    accepted, reduction mod r is the caller's business.
 *  - Jacobian points (bls_g1, bls_g2) represent infinity with z = 0.
 *  - "Valid" affine points are on the curve; functions that need subgroup
 *    membership say so.
 */
#ifndef PAREVM_CRYPTO_BLS12_381_H
#define PAREVM_CRYPTO_BLS12_381_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Types --------------------------------------------------------------- */

typedef struct { uint64_t l[6]; } bls_fp;        /* little-endian limbs */
typedef struct { bls_fp c0, c1; } bls_fp2;       /* c0 + c1 u, u^2 = -1 */
typedef struct { bls_fp2 c0, c1, c2; } bls_fp6;  /* c0 + c1 v + c2 v^2, v^3 = 1+u */
typedef struct { bls_fp6 c0, c1; } bls_fp12;     /* c0 + c1 w, w^2 = v */

typedef struct { uint64_t l[4]; } bls_scalar;    /* little-endian limbs */

typedef struct { bls_fp x, y; bool inf; } bls_g1_affine;
typedef struct { bls_fp x, y, z; } bls_g1;       /* Jacobian: (x/z^2, y/z^3) */
typedef struct { bls_fp2 x, y; bool inf; } bls_g2_affine;
typedef struct { bls_fp2 x, y, z; } bls_g2;

/* The Miller loop over |x| = 0xd201000000010000 takes 63 doubling steps and
 * 5 addition steps; one line per step. */
#define BLS_MILLER_STEPS 68

/* The Miller-loop lines of a fixed G2 point Q, normalised so that the line
 * at P = (xp, yp) is c0[i] + c1[i]*xp*v + yp*v*w (see bls12_381_pairing.c).
 * Preparing costs ~70 Fp2 inversions; it pays for points used many times. */
typedef struct {
    bls_fp2 c0[BLS_MILLER_STEPS], c1[BLS_MILLER_STEPS];
    bool inf;                    /* Q is infinity: the pairing is 1 */
} bls_g2_prepared;

/* One (P, Q) pair of a pairing product. */
typedef struct { bls_g1_affine p; bls_g2_affine q; } bls_pairing_pair;

/* ---- Fp (bls12_381_field.c) ---------------------------------------------- */

extern const bls_fp BLS_FP_ZERO, BLS_FP_ONE;

void bls_fp_add(bls_fp *r, const bls_fp *a, const bls_fp *b);
void bls_fp_sub(bls_fp *r, const bls_fp *a, const bls_fp *b);
void bls_fp_neg(bls_fp *r, const bls_fp *a);
void bls_fp_dbl(bls_fp *r, const bls_fp *a);                  /* 2a */
void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b);
void bls_fp_sqr(bls_fp *r, const bls_fp *a);
/* r = 1/a; r = 0 when a = 0. */
void bls_fp_inv(bls_fp *r, const bls_fp *a);
/* r = a^e for the little-endian exponent e[0..n). */
void bls_fp_pow(bls_fp *r, const bls_fp *a, const uint64_t *e, size_t n);
/* If a is a square, sets r to one of its roots and returns true; otherwise
 * returns false and leaves r unspecified. */
bool bls_fp_sqrt(bls_fp *r, const bls_fp *a);
bool bls_fp_is_zero(const bls_fp *a);
bool bls_fp_eq(const bls_fp *a, const bls_fp *b);
/* True iff a > (p-1)/2 as an integer: the ZCash "sign" of a coordinate. */
bool bls_fp_is_lex_largest(const bls_fp *a);
/* Parses 48 big-endian bytes; false (r untouched) if the value is >= p. */
bool bls_fp_from_bytes(bls_fp *r, const uint8_t in[48]);
void bls_fp_to_bytes(uint8_t out[48], const bls_fp *a);
void bls_fp_from_u64(bls_fp *r, uint64_t v);

/* ---- Scalars (bls12_381_field.c) ------------------------------------------ */

/* Parses a 32-byte big-endian scalar; false if it is not below r. */
bool bls_scalar_from_bytes(bls_scalar *r, const uint8_t in[32]);
/* Index of the highest set bit plus one (0 for zero). */
unsigned bls_scalar_bits(const bls_scalar *k);
static inline unsigned bls_scalar_bit(const bls_scalar *k, unsigned i) {
    return (unsigned)(k->l[i / 64] >> (i % 64)) & 1;
}
/* r = (-a) mod r for a < r. */
void bls_scalar_neg(bls_scalar *r, const bls_scalar *a);
/* The group order r. */
extern const bls_scalar BLS_R;

/* ---- Fp2 / Fp6 / Fp12 (bls12_381_tower.c) --------------------------------- */

void bls_fp2_add(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
void bls_fp2_sub(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
void bls_fp2_neg(bls_fp2 *r, const bls_fp2 *a);
void bls_fp2_dbl(bls_fp2 *r, const bls_fp2 *a);
void bls_fp2_conj(bls_fp2 *r, const bls_fp2 *a);              /* = a^p */
void bls_fp2_mul(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
void bls_fp2_mul_fp(bls_fp2 *r, const bls_fp2 *a, const bls_fp *b);
void bls_fp2_sqr(bls_fp2 *r, const bls_fp2 *a);
void bls_fp2_mul_xi(bls_fp2 *r, const bls_fp2 *a);            /* a(1+u) */
void bls_fp2_inv(bls_fp2 *r, const bls_fp2 *a);               /* 0 -> 0 */
void bls_fp2_pow(bls_fp2 *r, const bls_fp2 *a, const uint64_t *e, size_t n);
/* Square root as bls_fp_sqrt; false if a is not a square in Fp2. */
bool bls_fp2_sqrt(bls_fp2 *r, const bls_fp2 *a);
bool bls_fp2_is_zero(const bls_fp2 *a);
bool bls_fp2_eq(const bls_fp2 *a, const bls_fp2 *b);
/* ZCash sign of an Fp2 element: c1 decides unless it is zero, then c0. */
bool bls_fp2_is_lex_largest(const bls_fp2 *a);

void bls_fp6_add(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
void bls_fp6_sub(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
void bls_fp6_neg(bls_fp6 *r, const bls_fp6 *a);
void bls_fp6_mul(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
void bls_fp6_sqr(bls_fp6 *r, const bls_fp6 *a);
void bls_fp6_mul_v(bls_fp6 *r, const bls_fp6 *a);             /* a*v */
void bls_fp6_inv(bls_fp6 *r, const bls_fp6 *a);

extern const bls_fp12 BLS_FP12_ONE;
void bls_fp12_mul(bls_fp12 *r, const bls_fp12 *a, const bls_fp12 *b);
void bls_fp12_sqr(bls_fp12 *r, const bls_fp12 *a);
void bls_fp12_inv(bls_fp12 *r, const bls_fp12 *a);
void bls_fp12_conj(bls_fp12 *r, const bls_fp12 *a);           /* = a^(p^6) */
void bls_fp12_frobenius(bls_fp12 *r, const bls_fp12 *a);      /* = a^p */
void bls_fp12_pow(bls_fp12 *r, const bls_fp12 *a, const uint64_t *e, size_t n);
bool bls_fp12_eq(const bls_fp12 *a, const bls_fp12 *b);
bool bls_fp12_is_one(const bls_fp12 *a);
/* r = a^2 for a in the cyclotomic subgroup (a^(p^6+1) = 1 and
 * a^(p^4-p^2+1) = 1, e.g. any output of the easy part of the final
 * exponentiation); wrong for other elements. */
void bls_fp12_cyclotomic_sqr(bls_fp12 *r, const bls_fp12 *a);
/* r = a * (c0 + c1 v + c4 v w): multiplication by a sparse line value. */
void bls_fp12_mul_line(bls_fp12 *r, const bls_fp12 *a, const bls_fp2 *c0,
                       const bls_fp2 *c1, const bls_fp2 *c4);

/* ---- G1 (bls12_381_g1.c) -------------------------------------------------- */

extern const bls_g1_affine BLS_G1_GENERATOR;

void bls_g1_set_inf(bls_g1 *r);
bool bls_g1_is_inf(const bls_g1 *a);
void bls_g1_from_affine(bls_g1 *r, const bls_g1_affine *a);
void bls_g1_to_affine(bls_g1_affine *r, const bls_g1 *a);
void bls_g1_neg(bls_g1 *r, const bls_g1 *a);
void bls_g1_dbl(bls_g1 *r, const bls_g1 *a);
void bls_g1_add(bls_g1 *r, const bls_g1 *a, const bls_g1 *b);
void bls_g1_add_affine(bls_g1 *r, const bls_g1 *a, const bls_g1_affine *b);
bool bls_g1_eq(const bls_g1 *a, const bls_g1 *b);
/* r = [k]a for any 256-bit k (no reduction, no subgroup assumption). */
void bls_g1_mul(bls_g1 *r, const bls_g1 *a, const bls_scalar *k);
/* r = [k]a using the endomorphism; a must be in G1. Faster than bls_g1_mul. */
void bls_g1_mul_glv(bls_g1 *r, const bls_g1_affine *a, const bls_scalar *k);
/* r = [a]P + [b]G1 for P in G1 (the KZG verifier's combination). */
void bls_g1_mul2_glv(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *a,
                     const bls_scalar *b);
/* r = phi(a) = (beta*x, y), the endomorphism acting as [-x^2] on G1. */
void bls_g1_phi(bls_g1 *r, const bls_g1 *a);
bool bls_g1_affine_on_curve(const bls_g1_affine *a);
/* Subgroup membership of an on-curve point (phi(P) == [-x^2]P). */
bool bls_g1_affine_in_subgroup(const bls_g1_affine *a);
/* ZCash compressed encoding: full validation (flags, x < p, on curve, in
 * G1). Returns false on any malformed input. */
bool bls_g1_decompress(bls_g1_affine *r, const uint8_t in[48]);
void bls_g1_compress(uint8_t out[48], const bls_g1_affine *a);

/* ---- G2 (bls12_381_g2.c) -------------------------------------------------- */

extern const bls_g2_affine BLS_G2_GENERATOR;

void bls_g2_set_inf(bls_g2 *r);
bool bls_g2_is_inf(const bls_g2 *a);
void bls_g2_from_affine(bls_g2 *r, const bls_g2_affine *a);
void bls_g2_to_affine(bls_g2_affine *r, const bls_g2 *a);
void bls_g2_neg(bls_g2 *r, const bls_g2 *a);
void bls_g2_dbl(bls_g2 *r, const bls_g2 *a);
void bls_g2_add(bls_g2 *r, const bls_g2 *a, const bls_g2 *b);
void bls_g2_add_affine(bls_g2 *r, const bls_g2 *a, const bls_g2_affine *b);
bool bls_g2_eq(const bls_g2 *a, const bls_g2 *b);
void bls_g2_mul(bls_g2 *r, const bls_g2 *a, const bls_scalar *k);
/* r = psi(a) = untwist-Frobenius-twist; acts as [x] on G2. */
void bls_g2_psi(bls_g2 *r, const bls_g2 *a);
bool bls_g2_affine_on_curve(const bls_g2_affine *a);
/* Subgroup membership of an on-curve point (psi(Q) == [x]Q). */
bool bls_g2_affine_in_subgroup(const bls_g2_affine *a);
/* ZCash compressed encoding (x.c1 first), fully validated like G1. */
bool bls_g2_decompress(bls_g2_affine *r, const uint8_t in[96]);
void bls_g2_compress(uint8_t out[96], const bls_g2_affine *a);

/* ---- Pairing (bls12_381_pairing.c) ---------------------------------------- */

/* Miller loop of the optimal ate pairing, f = prod_i f_{x,Q_i}(P_i), for n
 * pairs of valid points (infinities contribute 1). Any n; no allocation. */
void bls_miller_loop(bls_fp12 *f, const bls_pairing_pair *pairs, size_t n);
/* The same with prepared G2 points: f = prod_i f_{x,Q_i}(P_i). */
void bls_miller_loop_prepared(bls_fp12 *f, const bls_g1_affine *p,
                              const bls_g2_prepared *const *q, size_t n);
/* r = f^((p^12-1)/r); f must be non-zero. */
void bls_final_exp(bls_fp12 *r, const bls_fp12 *f);
/* Fills the line table of Q (a valid point of G2, or infinity). */
void bls_g2_prepare(bls_g2_prepared *out, const bls_g2_affine *q);
/* r = e(P, Q) for P in G1 and Q in G2. */
void bls_pairing(bls_fp12 *r, const bls_g1_affine *p, const bls_g2_affine *q);
/* True iff prod_i e(P_i, Q_i) == 1 (true for n = 0). The points must be in
 * their subgroups (decompression guarantees it); one final exponentiation. */
bool bls12_381_pairing_check(const bls_pairing_pair *pairs, size_t n);

/* Prepared lines of the G2 generator and of [tau]G2 from the mainnet KZG
 * ceremony (bls12_381_tables.c, generated by bench/gen_bls12_381_tables.c). */
extern const bls_g2_prepared BLS_G2_GENERATOR_PREPARED;
extern const bls_g2_prepared BLS_KZG_TAU_G2_PREPARED;
/* The compressed [tau]G2 of the mainnet KZG trusted setup (kzg.c). */
extern const uint8_t BLS_KZG_TAU_G2_COMPRESSED[96];

#endif
