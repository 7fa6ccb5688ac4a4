/* BN254 groups G1 (over Fp) and G2 (on the sextic twist over Fp2) and the
 * pairing's building blocks, shared by bn254_g1.c, bn254_g2.c,
 * bn254_pairing.c and the unit tests. The public precompile entry points are
 * in include/parevm/precompile_math.h.
 *
 * E:  y^2 = x^3 + 3            over Fp, prime order r, generator (1, 2)
 * E': y^2 = x^3 + 3 / (9 + i)  over Fp2, G2 = its order-r subgroup
 * Affine points carry an explicit infinity flag; Jacobian points (x = X/Z^2,
 * y = Y/Z^3) are infinity when Z = 0. */
#ifndef PAREVM_CRYPTO_BN254_H
#define PAREVM_CRYPTO_BN254_H

#include <stddef.h>

#include "crypto/bn254_tower.h"

typedef struct {
    fp x, y;
    bool inf;
} g1_affine;

typedef struct {
    fp X, Y, Z;
} g1_jac;

typedef struct {
    fp2 x, y;
    bool inf;
} g2_affine;

typedef struct {
    fp2 X, Y, Z;
} g2_jac;

/* The group order r (plain little-endian limbs). */
extern const uint64_t BN254_R[4];
/* The BN parameter u = 4965661367192848881 in non-adjacent form, least
 * significant digit first (63 digits, 24 non-zero). */
extern const int8_t BN254_U_NAF[63];

/* ---- G1 ---- */

/* Decodes (x, y) as two 32-byte big-endian words. (0, 0) is infinity.
 * Returns false if a coordinate is >= p or the point is not on E (E has
 * prime order, so on-curve points are in G1). */
bool g1_decode(g1_affine *p, const uint8_t in[64]);
/* Encodes p; infinity becomes 64 zero bytes. */
void g1_encode(uint8_t out[64], const g1_affine *p);
/* r = k p for a 32-byte big-endian scalar k of any value (reduced mod r). */
void g1_mul(g1_affine *r, const g1_affine *p, const uint8_t k[32]);

/* ---- G2 ---- */

/* Decodes (x_im, x_re, y_im, y_re), four 32-byte big-endian words (EIP-197
 * order). All zero is infinity. Returns false if a coordinate is >= p, the
 * point is not on E', or it is not in the order-r subgroup. */
bool g2_decode(g2_affine *q, const uint8_t in[128]);
/* Encodes q in the EIP-197 order; infinity becomes 128 zero bytes. */
void g2_encode(uint8_t out[128], const g2_affine *q);
bool g2_on_curve(const g2_affine *q);
/* Whether an on-curve q lies in G2, by the endomorphism test of Dai, Lin,
 * Zhao and Zhou (eprint 2022/348): [u+1]q + psi([u]q) + psi^2([u]q) =
 * psi^3([2u]q), one 63-bit scalar multiplication instead of one by r. */
bool g2_in_subgroup(const g2_affine *q);
/* r = k q (k: 32-byte big-endian, not reduced); double-and-add, used by
 * tests and the reference subgroup check. */
void g2_mul(g2_affine *r, const g2_affine *q, const uint8_t k[32]);
/* psi(x, y) = (conj(x) gamma_{1,2}, conj(y) gamma_{1,3}): the untwist-
 * Frobenius-twist endomorphism, acting on G2 as multiplication by p. */
void g2_psi(g2_affine *r, const g2_affine *q);

/* ---- pairing ---- */

/* f = product of the Miller loops f_{6u+2,Q}(P) * lines for the optimal ate
 * pairing over n pairs (infinity pairs contribute 1). */
void bn254_miller_loop(fp12 *f, const g1_affine *p, const g2_affine *q, size_t n);
/* r = f^((p^12 - 1) / r). */
void bn254_final_exp(fp12 *r, const fp12 *f);

#endif
