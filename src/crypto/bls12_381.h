/* BLS12-381 internal API: the base field Fp, the tower Fp2/Fp6/Fp12, the
 * groups G1 (over Fp) and G2 (over Fp2, on the M-type sextic twist), their
 * ZCash compressed encodings, and the optimal ate pairing.
 *
 * It serves the EIP-4844 point evaluation precompile (kzg.c) and the
 * EIP-2537 precompiles (bls12_381_eip2537.c, on the multi-scalar
 * multiplication and the maps to the curves below). Nothing here is
 * constant time (all inputs are public); nothing allocates on the heap (the
 * field inversion uses GMP's mpn layer, which does not at this size); there
 * is no mutable global state.
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
 * Preparing costs about one Miller loop plus an Fp2 inversion; it pays for
 * points used many times (the KZG setup points are compile-time tables). */
typedef struct {
    bls_fp2 c0[BLS_MILLER_STEPS], c1[BLS_MILLER_STEPS];
    bool inf;                    /* Q is infinity: the pairing is 1 */
} bls_g2_prepared;

/* A G1 point prepared for the prepared Miller loop: lines are evaluated
 * divided by y, which needs (x/y, 1/y). */
typedef struct {
    bls_fp x_over_y, y_inv;
    bool inf;
} bls_g1_prepared;

/* One (P, Q) pair of a pairing product. */
typedef struct { bls_g1_affine p; bls_g2_affine q; } bls_pairing_pair;

/* ---- Fp (bls12_381_field.c) ---------------------------------------------- */

extern const bls_fp BLS_FP_ZERO, BLS_FP_ONE;

/* Addition, subtraction, negation, doubling, equality and the zero test are
 * static inline (defined at the end of this header): the tower calls them
 * several times per multiplication. */
static inline void bls_fp_add(bls_fp *r, const bls_fp *a, const bls_fp *b);
static inline void bls_fp_sub(bls_fp *r, const bls_fp *a, const bls_fp *b);
static inline void bls_fp_neg(bls_fp *r, const bls_fp *a);
static inline void bls_fp_dbl(bls_fp *r, const bls_fp *a);    /* 2a */
static inline bool bls_fp_is_zero(const bls_fp *a);
static inline bool bls_fp_eq(const bls_fp *a, const bls_fp *b);
/* Montgomery product. On x86-64 CPUs with BMI2 and ADX it runs assembly
 * chosen once by the dynamic loader (GNU ifunc, bls12_381_adx.c);
 * elsewhere bls_fp_mul_portable. */
void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b);
void bls_fp_sqr(bls_fp *r, const bls_fp *a);
/* The portable C product, exposed so that tests cover both paths. */
void bls_fp_mul_portable(bls_fp *r, const bls_fp *a, const bls_fp *b);
/* r = 1/a; r = 0 when a = 0. By extended Euclid (GMP mpn_gcdext); the
 * _fermat variant computes a^(p-2), for tests. */
void bls_fp_inv(bls_fp *r, const bls_fp *a);
void bls_fp_inv_fermat(bls_fp *r, const bls_fp *a);
/* r = a^e for the little-endian exponent e[0..n). */
void bls_fp_pow(bls_fp *r, const bls_fp *a, const uint64_t *e, size_t n);
/* If a is a square, sets r to one of its roots and returns true; otherwise
 * returns false and leaves r unspecified. */
bool bls_fp_sqrt(bls_fp *r, const bls_fp *a);
/* r = a^((p+1)/4): a square root of a if a is a square, else of -a
 * (p = 3 mod 4). */
void bls_fp_sqrt_candidate(bls_fp *r, const bls_fp *a);
/* RFC 9380 sgn0: the parity of a as an integer in [0, p). */
bool bls_fp_sgn0(const bls_fp *a);
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

/* Linear operations are static inline (end of this header). */
static inline void bls_fp2_add(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
static inline void bls_fp2_sub(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
static inline void bls_fp2_neg(bls_fp2 *r, const bls_fp2 *a);
static inline void bls_fp2_dbl(bls_fp2 *r, const bls_fp2 *a);
static inline void bls_fp2_conj(bls_fp2 *r, const bls_fp2 *a);   /* = a^p */
static inline void bls_fp2_mul_xi(bls_fp2 *r, const bls_fp2 *a); /* a(1+u) */
static inline bool bls_fp2_is_zero(const bls_fp2 *a);
static inline bool bls_fp2_eq(const bls_fp2 *a, const bls_fp2 *b);
/* Product and square; dispatched like bls_fp_mul (bls12_381_adx.c has the
 * x86-64 versions). */
void bls_fp2_mul(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
void bls_fp2_mul_portable(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b);
void bls_fp2_mul_fp(bls_fp2 *r, const bls_fp2 *a, const bls_fp *b);
void bls_fp2_sqr(bls_fp2 *r, const bls_fp2 *a);              /* dispatched */
void bls_fp2_sqr_portable(bls_fp2 *r, const bls_fp2 *a);
void bls_fp2_inv(bls_fp2 *r, const bls_fp2 *a);               /* 0 -> 0 */
void bls_fp2_pow(bls_fp2 *r, const bls_fp2 *a, const uint64_t *e, size_t n);
/* Square root as bls_fp_sqrt; false if a is not a square in Fp2. */
bool bls_fp2_sqrt(bls_fp2 *r, const bls_fp2 *a);
/* ZCash sign of an Fp2 element: c1 decides unless it is zero, then c0. */
bool bls_fp2_is_lex_largest(const bls_fp2 *a);

static inline void bls_fp6_add(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
static inline void bls_fp6_sub(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
static inline void bls_fp6_neg(bls_fp6 *r, const bls_fp6 *a);
void bls_fp6_mul(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b);
void bls_fp6_sqr(bls_fp6 *r, const bls_fp6 *a);
static inline void bls_fp6_mul_v(bls_fp6 *r, const bls_fp6 *a); /* a*v */
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
/* r = a * (c0 + c1 v + v w): a line normalised to c4 = 1 (cheaper). */
void bls_fp12_mul_line_1(bls_fp12 *r, const bls_fp12 *a, const bls_fp2 *c0,
                         const bls_fp2 *c1);

/* ---- G1 (bls12_381_g1.c) -------------------------------------------------- */

extern const bls_g1_affine BLS_G1_GENERATOR;

/* Group law on curve points (infinity, doubling and inverse cases are all
 * handled; no subgroup assumption). to_affine costs a field inversion. */
void bls_g1_set_inf(bls_g1 *r);
bool bls_g1_is_inf(const bls_g1 *a);
void bls_g1_from_affine(bls_g1 *r, const bls_g1_affine *a);
void bls_g1_to_affine(bls_g1_affine *r, const bls_g1 *a);
void bls_g1_neg(bls_g1 *r, const bls_g1 *a);
void bls_g1_dbl(bls_g1 *r, const bls_g1 *a);
void bls_g1_add(bls_g1 *r, const bls_g1 *a, const bls_g1 *b);
void bls_g1_add_affine(bls_g1 *r, const bls_g1 *a, const bls_g1_affine *b);
/* Equality of the represented points (not of the coordinates). */
bool bls_g1_eq(const bls_g1 *a, const bls_g1 *b);
/* r = [k]a for any 256-bit k (no reduction, no subgroup assumption). */
void bls_g1_mul(bls_g1 *r, const bls_g1 *a, const bls_scalar *k);
/* r = [k]a using the endomorphism; a must be in G1. Faster than bls_g1_mul
 * for k < r (other k fall back to it). */
void bls_g1_mul_glv(bls_g1 *r, const bls_g1_affine *a, const bls_scalar *k);
/* r = [a]P + [b]G1 for P in G1 (the KZG verifier's combination); same
 * fallback as bls_g1_mul_glv. */
void bls_g1_mul2_glv(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *a,
                     const bls_scalar *b);
/* k = k0 + k1 x^2 for k < r, with k0 < x^2 and k1 < 2^128 (two 64-bit
 * limbs each, little-endian): [k]P = [k0]P + [k1](-phi(P)) on G1. */
void bls_g1_glv_split(uint64_t k0[2], uint64_t k1[2], const bls_scalar *k);
/* r = phi(a) = (beta*x, y), the endomorphism acting as [-x^2] on G1. */
void bls_g1_phi(bls_g1 *r, const bls_g1 *a);
bool bls_g1_affine_on_curve(const bls_g1_affine *a);
/* Subgroup membership of an on-curve point (phi(P) == [-x^2]P). */
bool bls_g1_affine_in_subgroup(const bls_g1_affine *a);
/* r = [h_eff]a with h_eff = 1 - x (RFC 9380): maps any point of E into G1. */
void bls_g1_clear_cofactor(bls_g1 *r, const bls_g1 *a);
/* ZCash compressed encoding: full validation (flags, x < p, on curve, in
 * G1). Returns false on any malformed input. */
bool bls_g1_decompress(bls_g1_affine *r, const uint8_t in[48]);
void bls_g1_compress(uint8_t out[48], const bls_g1_affine *a);

/* ---- G2 (bls12_381_g2.c) -------------------------------------------------- */

extern const bls_g2_affine BLS_G2_GENERATOR;

/* Group law and helpers as for G1. */
void bls_g2_set_inf(bls_g2 *r);
bool bls_g2_is_inf(const bls_g2 *a);
void bls_g2_from_affine(bls_g2 *r, const bls_g2_affine *a);
void bls_g2_to_affine(bls_g2_affine *r, const bls_g2 *a);
void bls_g2_neg(bls_g2 *r, const bls_g2 *a);
void bls_g2_dbl(bls_g2 *r, const bls_g2 *a);
void bls_g2_add(bls_g2 *r, const bls_g2 *a, const bls_g2 *b);
void bls_g2_add_affine(bls_g2 *r, const bls_g2 *a, const bls_g2_affine *b);
bool bls_g2_eq(const bls_g2 *a, const bls_g2 *b);
/* r = [k]a for any 256-bit k. */
void bls_g2_mul(bls_g2 *r, const bls_g2 *a, const bls_scalar *k);
/* r = psi(a) = untwist-Frobenius-twist; acts as [x] on G2. */
void bls_g2_psi(bls_g2 *r, const bls_g2 *a);
bool bls_g2_affine_on_curve(const bls_g2_affine *a);
/* Subgroup membership of an on-curve point (psi(Q) == [x]Q). */
bool bls_g2_affine_in_subgroup(const bls_g2_affine *a);
/* r = [h_eff]a for RFC 9380's 636-bit h_eff of G2, computed with psi
 * (Budroni-Pintore): maps any point of E' into G2. */
void bls_g2_clear_cofactor(bls_g2 *r, const bls_g2 *a);
/* ZCash compressed encoding (x.c1 first), fully validated like G1. */
bool bls_g2_decompress(bls_g2_affine *r, const uint8_t in[96]);
void bls_g2_compress(uint8_t out[96], const bls_g2_affine *a);

/* ---- Multi-scalar multiplication (bls12_381_msm.c) ------------------------ */

/* r = sum_i [k_i] p_i for n >= 0 points (n = 0 gives infinity). The points
 * must be in G1 (G2): the scalars, any 256-bit values, are reduced mod r
 * and split along the endomorphisms. Straus for a few points, Pippenger
 * for many; bounded stack (about 100 KB for G2), no heap. */
void bls_g1_msm(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *k, size_t n);
void bls_g2_msm(bls_g2 *r, const bls_g2_affine *p, const bls_scalar *k, size_t n);

/* ---- Map to curve (bls12_381_map.c) --------------------------------------- */

/* RFC 9380's map_to_curve for the BLS12381G1/G2 suites: simplified SWU onto
 * the isogenous curve, then the isogeny. The result is on E (E') but not
 * necessarily in G1 (G2). Any u; never fails. */
void bls_map_to_curve_g1(bls_g1 *r, const bls_fp *u);
void bls_map_to_curve_g2(bls_g2 *r, const bls_fp2 *u);
/* EIP-2537 MAP_FP_TO_G1 / MAP_FP2_TO_G2: map_to_curve, then clear_cofactor;
 * the result is in G1 (G2). */
void bls_map_fp_to_g1(bls_g1 *r, const bls_fp *u);
void bls_map_fp2_to_g2(bls_g2 *r, const bls_fp2 *u);

/* ---- Pairing (bls12_381_pairing.c) ---------------------------------------- */

/* Miller loop of the optimal ate pairing, f = prod_i f_{x,Q_i}(P_i), for n
 * pairs in G1 x G2 (infinities contribute 1; points outside the subgroups
 * give meaningless values but no fault). Any n; no allocation. */
void bls_miller_loop(bls_fp12 *f, const bls_pairing_pair *pairs, size_t n);
/* The same with prepared points: f = prod_i f_{x,Q_i}(P_i) up to factors in
 * Fp that the final exponentiation removes. */
void bls_miller_loop_prepared(bls_fp12 *f, const bls_g1_prepared *p,
                              const bls_g2_prepared *const *q, size_t n);
/* Prepares n G1 points (on the curve, infinity allowed) with one field
 * inversion per 16 points. */
void bls_g1_prepare(bls_g1_prepared *out, const bls_g1 *p, size_t n);
/* r = f^(3 (p^12 - 1) / r): the final exponentiation, cubed, because the
 * fastest hard part (Hayashida, Hayasaka, Teruya) computes the cube. Since
 * gcd(3, r) = 1 this changes no pairing check. f must be non-zero. */
void bls_final_exp(bls_fp12 *r, const bls_fp12 *f);
/* Fills the line table of Q (a point of G2, or infinity). */
void bls_g2_prepare(bls_g2_prepared *out, const bls_g2_affine *q);
/* r = e(P, Q)^3 for P in G1 and Q in G2 (see bls_final_exp): bilinear and
 * non-degenerate, which is all that pairing checks use. */
void bls_pairing(bls_fp12 *r, const bls_g1_affine *p, const bls_g2_affine *q);
/* True iff prod_i e(P_i, Q_i) == 1 (true for n = 0). The points must be in
 * their subgroups (decompression guarantees it); one final exponentiation. */
bool bls12_381_pairing_check(const bls_pairing_pair *pairs, size_t n);

/* Constant tables generated by bench/gen_bls12_381_tables.c into
 * bls12_381_tables.c and checked by tests/test_kzg.c. Prepared lines of the
 * G2 generator and of [tau]G2 from the mainnet KZG ceremony: */
extern const bls_g2_prepared BLS_G2_GENERATOR_PREPARED;
extern const bls_g2_prepared BLS_KZG_TAU_G2_PREPARED;
/* [1]G1, [3]G1, ..., [63]G1 in affine form (bls12_381_tables.c), the
 * fixed-base table of bls_g1_mul2_glv. */
extern const bls_g1_affine BLS_G1_GENERATOR_ODD_MULTIPLES[32];
/* The compressed [tau]G2 and [tau]G1 of the mainnet KZG trusted setup
 * (kzg_setup.c; [tau]G1 is for tests). */
extern const uint8_t BLS_KZG_TAU_G2_COMPRESSED[96];
extern const uint8_t BLS_KZG_TAU_G1_COMPRESSED[48];
/* [tau^i]G1 for i < KZG_CELL_POINTS and [tau^64]G2 of the same setup, for
 * EIP-7594 cell proofs (kzg_sidecar.c). */
#define KZG_CELL_POINTS 64
extern const uint8_t BLS_KZG_G1_MONOMIAL_COMPRESSED[KZG_CELL_POINTS][48];
extern const uint8_t BLS_KZG_TAU64_G2_COMPRESSED[96];

/* ---- Inline Fp arithmetic ------------------------------------------------ */

/* p, little-endian. */
static const uint64_t BLS_FP_P[6] = {
    0xb9feffffffffaaabULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
    0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};

/* r = t - p if t >= p, else t (t < 2p). Branch-free: inputs are random. */
static inline void bls_fp_reduce_once_(uint64_t r[6], const uint64_t t[6]) {
    uint64_t s[6], borrow = 0;
    for (int i = 0; i < 6; i++) {
        unsigned __int128 d = (unsigned __int128)t[i] - BLS_FP_P[i] - borrow;
        s[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t keep = 0 - borrow;                 /* all ones if t < p */
    for (int i = 0; i < 6; i++)
        r[i] = (t[i] & keep) | (s[i] & ~keep);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PAREVM_BLS_NO_ASM)
/* x86-64 versions: compilers turn 128-bit carry chains into slow code.
 * Both write r only after reading a and b, so r may alias them; the final
 * selection uses cmov, which leaves the flags alone. */
static inline void bls_fp_add(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    uint64_t t0, t1, t2, t3, t4, t5;
    __asm__(
        "movq 0(%[a]), %[t0]\n\t" "movq 8(%[a]), %[t1]\n\t"
        "movq 16(%[a]), %[t2]\n\t" "movq 24(%[a]), %[t3]\n\t"
        "movq 32(%[a]), %[t4]\n\t" "movq 40(%[a]), %[t5]\n\t"
        "addq 0(%[b]), %[t0]\n\t" "adcq 8(%[b]), %[t1]\n\t"
        "adcq 16(%[b]), %[t2]\n\t" "adcq 24(%[b]), %[t3]\n\t"
        "adcq 32(%[b]), %[t4]\n\t" "adcq 40(%[b]), %[t5]\n\t"
        /* a + b < 2p < 2^383: no carry out; now select a + b - p. */
        "movq %[t0], 0(%[r])\n\t" "movq %[t1], 8(%[r])\n\t"
        "movq %[t2], 16(%[r])\n\t" "movq %[t3], 24(%[r])\n\t"
        "movq %[t4], 32(%[r])\n\t" "movq %[t5], 40(%[r])\n\t"
        "subq 0+%[p], %[t0]\n\t" "sbbq 8+%[p], %[t1]\n\t"
        "sbbq 16+%[p], %[t2]\n\t" "sbbq 24+%[p], %[t3]\n\t"
        "sbbq 32+%[p], %[t4]\n\t" "sbbq 40+%[p], %[t5]\n\t"
        "cmovcq 0(%[r]), %[t0]\n\t" "cmovcq 8(%[r]), %[t1]\n\t"
        "cmovcq 16(%[r]), %[t2]\n\t" "cmovcq 24(%[r]), %[t3]\n\t"
        "cmovcq 32(%[r]), %[t4]\n\t" "cmovcq 40(%[r]), %[t5]\n\t"
        "movq %[t0], 0(%[r])\n\t" "movq %[t1], 8(%[r])\n\t"
        "movq %[t2], 16(%[r])\n\t" "movq %[t3], 24(%[r])\n\t"
        "movq %[t4], 32(%[r])\n\t" "movq %[t5], 40(%[r])\n\t"
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
          [t4] "=&r"(t4), [t5] "=&r"(t5), "=m"(r->l)
        : [r] "r"(r->l), [a] "r"(a->l), [b] "r"(b->l), [p] "m"(BLS_FP_P),
          "m"(a->l), "m"(b->l)
        : "cc");
}

static inline void bls_fp_sub(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    uint64_t t0, t1, t2, t3, t4, t5, m;
    __asm__(
        "movq 0(%[a]), %[t0]\n\t" "movq 8(%[a]), %[t1]\n\t"
        "movq 16(%[a]), %[t2]\n\t" "movq 24(%[a]), %[t3]\n\t"
        "movq 32(%[a]), %[t4]\n\t" "movq 40(%[a]), %[t5]\n\t"
        "subq 0(%[b]), %[t0]\n\t" "sbbq 8(%[b]), %[t1]\n\t"
        "sbbq 16(%[b]), %[t2]\n\t" "sbbq 24(%[b]), %[t3]\n\t"
        "sbbq 32(%[b]), %[t4]\n\t" "sbbq 40(%[b]), %[t5]\n\t"
        "sbbq %[m], %[m]\n\t"          /* m = -borrow */
        /* Keep a - b unless it borrowed; then use a - b + p. */
        "movq %[t0], 0(%[r])\n\t" "movq %[t1], 8(%[r])\n\t"
        "movq %[t2], 16(%[r])\n\t" "movq %[t3], 24(%[r])\n\t"
        "movq %[t4], 32(%[r])\n\t" "movq %[t5], 40(%[r])\n\t"
        "addq 0+%[p], %[t0]\n\t" "adcq 8+%[p], %[t1]\n\t"
        "adcq 16+%[p], %[t2]\n\t" "adcq 24+%[p], %[t3]\n\t"
        "adcq 32+%[p], %[t4]\n\t" "adcq 40+%[p], %[t5]\n\t"
        "testq %[m], %[m]\n\t"
        "cmovzq 0(%[r]), %[t0]\n\t" "cmovzq 8(%[r]), %[t1]\n\t"
        "cmovzq 16(%[r]), %[t2]\n\t" "cmovzq 24(%[r]), %[t3]\n\t"
        "cmovzq 32(%[r]), %[t4]\n\t" "cmovzq 40(%[r]), %[t5]\n\t"
        "movq %[t0], 0(%[r])\n\t" "movq %[t1], 8(%[r])\n\t"
        "movq %[t2], 16(%[r])\n\t" "movq %[t3], 24(%[r])\n\t"
        "movq %[t4], 32(%[r])\n\t" "movq %[t5], 40(%[r])\n\t"
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
          [t4] "=&r"(t4), [t5] "=&r"(t5), [m] "=&r"(m), "=m"(r->l)
        : [r] "r"(r->l), [a] "r"(a->l), [b] "r"(b->l), [p] "m"(BLS_FP_P),
          "m"(a->l), "m"(b->l)
        : "cc");
}
#else
static inline void bls_fp_add(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    /* p < 2^382: the sum never carries out of six limbs. */
    uint64_t t[6], carry = 0;
    for (int i = 0; i < 6; i++) {
        unsigned __int128 s = (unsigned __int128)a->l[i] + b->l[i] + carry;
        t[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    bls_fp_reduce_once_(r->l, t);
}

static inline void bls_fp_sub(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    uint64_t t[6], borrow = 0;
    for (int i = 0; i < 6; i++) {
        unsigned __int128 d = (unsigned __int128)a->l[i] - b->l[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t mask = 0 - borrow, carry = 0;     /* add p back on borrow */
    for (int i = 0; i < 6; i++) {
        unsigned __int128 s = (unsigned __int128)t[i] + (BLS_FP_P[i] & mask) + carry;
        r->l[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
}
#endif

static inline void bls_fp_dbl(bls_fp *r, const bls_fp *a) { bls_fp_add(r, a, a); }

static inline bool bls_fp_is_zero(const bls_fp *a) {
    return (a->l[0] | a->l[1] | a->l[2] | a->l[3] | a->l[4] | a->l[5]) == 0;
}

static inline void bls_fp_neg(bls_fp *r, const bls_fp *a) {
    /* p - a, except that -0 stays 0. */
    uint64_t mask = bls_fp_is_zero(a) ? 0 : ~(uint64_t)0, borrow = 0;
    for (int i = 0; i < 6; i++) {
        unsigned __int128 d = (unsigned __int128)BLS_FP_P[i] - a->l[i] - borrow;
        r->l[i] = (uint64_t)d & mask;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}

static inline bool bls_fp_eq(const bls_fp *a, const bls_fp *b) {
    uint64_t d = 0;
    for (int i = 0; i < 6; i++)
        d |= a->l[i] ^ b->l[i];
    return d == 0;
}

/* ---- Inline Fp2 / Fp6 linear operations ------------------------------------ */

static inline void bls_fp2_add(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b) {
    bls_fp_add(&r->c0, &a->c0, &b->c0);
    bls_fp_add(&r->c1, &a->c1, &b->c1);
}

static inline void bls_fp2_sub(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b) {
    bls_fp_sub(&r->c0, &a->c0, &b->c0);
    bls_fp_sub(&r->c1, &a->c1, &b->c1);
}

static inline void bls_fp2_neg(bls_fp2 *r, const bls_fp2 *a) {
    bls_fp_neg(&r->c0, &a->c0);
    bls_fp_neg(&r->c1, &a->c1);
}

static inline void bls_fp2_dbl(bls_fp2 *r, const bls_fp2 *a) { bls_fp2_add(r, a, a); }

static inline void bls_fp2_conj(bls_fp2 *r, const bls_fp2 *a) {
    r->c0 = a->c0;
    bls_fp_neg(&r->c1, &a->c1);
}

static inline void bls_fp2_mul_xi(bls_fp2 *r, const bls_fp2 *a) {
    /* (a0 + a1 u)(1 + u) = (a0 - a1) + (a0 + a1) u */
    bls_fp t;
    bls_fp_sub(&t, &a->c0, &a->c1);
    bls_fp_add(&r->c1, &a->c0, &a->c1);
    r->c0 = t;
}

static inline bool bls_fp2_is_zero(const bls_fp2 *a) {
    return bls_fp_is_zero(&a->c0) && bls_fp_is_zero(&a->c1);
}

static inline bool bls_fp2_eq(const bls_fp2 *a, const bls_fp2 *b) {
    return bls_fp_eq(&a->c0, &b->c0) && bls_fp_eq(&a->c1, &b->c1);
}

static inline void bls_fp6_add(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b) {
    bls_fp2_add(&r->c0, &a->c0, &b->c0);
    bls_fp2_add(&r->c1, &a->c1, &b->c1);
    bls_fp2_add(&r->c2, &a->c2, &b->c2);
}

static inline void bls_fp6_sub(bls_fp6 *r, const bls_fp6 *a, const bls_fp6 *b) {
    bls_fp2_sub(&r->c0, &a->c0, &b->c0);
    bls_fp2_sub(&r->c1, &a->c1, &b->c1);
    bls_fp2_sub(&r->c2, &a->c2, &b->c2);
}

static inline void bls_fp6_neg(bls_fp6 *r, const bls_fp6 *a) {
    bls_fp2_neg(&r->c0, &a->c0);
    bls_fp2_neg(&r->c1, &a->c1);
    bls_fp2_neg(&r->c2, &a->c2);
}

static inline void bls_fp6_mul_v(bls_fp6 *r, const bls_fp6 *a) {
    /* (a0 + a1 v + a2 v^2) v = xi a2 + a0 v + a1 v^2 */
    bls_fp2 t;
    bls_fp2_mul_xi(&t, &a->c2);
    r->c2 = a->c1;
    r->c1 = a->c0;
    r->c0 = t;
}

#endif
