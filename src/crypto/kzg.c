/* EIP-4844 point evaluation precompile (0x0a) mathematics: checks a KZG
 * opening proof against the mainnet trusted setup. Gas, length checks and
 * the output are the EVM layer's. */
#include "parevm/precompile_math.h"
#include "crypto/bls12_381.h"

#include <openssl/sha.h>
#include <string.h>

/* The verifier equation e(C - [y]G1, G2) == e(proof, [tau]G2 - [z]G2) is
 * rewritten with both G2 arguments fixed so that their Miller-loop lines
 * come from precomputed tables:
 *     e(C - [y]G1 + [z]proof, G2) * e(-proof, [tau]G2) == 1. */
bool kzg_point_evaluation(const uint8_t in[192]) {
    const uint8_t *versioned_hash = in, *z_bytes = in + 32, *y_bytes = in + 64;
    const uint8_t *commitment = in + 96, *proof = in + 144;

    uint8_t h[32];
    SHA256(commitment, 48, h);
    if (versioned_hash[0] != 0x01 || memcmp(versioned_hash + 1, h + 1, 31) != 0)
        return false;

    bls_scalar z, y;
    if (!bls_scalar_from_bytes(&z, z_bytes) || !bls_scalar_from_bytes(&y, y_bytes))
        return false;

    bls_g1_affine c, proof_pt;
    if (!bls_g1_decompress(&c, commitment) || !bls_g1_decompress(&proof_pt, proof))
        return false;

    bls_scalar neg_y;
    bls_scalar_neg(&neg_y, &y);
    bls_g1 pts[2];
    bls_g1_mul2_glv(&pts[0], &proof_pt, &z, &neg_y);  /* [z]proof - [y]G1 */
    bls_g1_add_affine(&pts[0], &pts[0], &c);
    bls_g1_from_affine(&pts[1], &proof_pt);
    bls_g1_neg(&pts[1], &pts[1]);                     /* -proof */

    bls_g1_prepared prep[2];
    bls_g1_prepare(prep, pts, 2);
    const bls_g2_prepared *q[2] = {&BLS_G2_GENERATOR_PREPARED,
                                   &BLS_KZG_TAU_G2_PREPARED};
    bls_fp12 f;
    bls_miller_loop_prepared(&f, prep, q, 2);
    bls_final_exp(&f, &f);
    return bls_fp12_is_one(&f);
}

#define KZG_FAILED "error verifying kzg proof: "

/* gnark-crypto's reason (G1Affine.SetBytes) for a commitment or proof that
 * bls_g1_decompress refuses; NULL if it decodes. */
static const char *g1_decode_error(const uint8_t in[48]) {
    bls_g1_affine p;
    if (bls_g1_decompress(&p, in))
        return NULL;
    uint8_t mask = in[0] & 0xe0;
    if (mask == 0x20 || mask == 0x60 || mask == 0xe0)
        return KZG_FAILED "invalid point encoding";
    if (!(mask & 0x80))     /* an uncompressed form, which needs 96 bytes */
        return KZG_FAILED "short buffer";
    if (mask & 0x40)
        return KZG_FAILED "invalid infinity point encoding";
    uint8_t buf[48];
    memcpy(buf, in, 48);
    buf[0] &= 0x1f;
    bls_fp x, rhs, y, b;
    if (!bls_fp_from_bytes(&x, buf))
        return KZG_FAILED "invalid fp.Element encoding";
    bls_fp_from_u64(&b, 4);
    bls_fp_sqr(&rhs, &x);
    bls_fp_mul(&rhs, &rhs, &x);
    bls_fp_add(&rhs, &rhs, &b);
    if (!bls_fp_sqrt(&y, &rhs))
        return KZG_FAILED "invalid compressed coordinate: square root doesn't exist";
    return KZG_FAILED "invalid point: subgroup check failed";
}

/* The checks above in geth's order, with its messages (go-eth-kzg reads
 * both scalars, then the commitment, then the proof). */
const char *kzg_point_evaluation_error(const uint8_t in[192]) {
    uint8_t h[32];
    SHA256(in + 96, 48, h);
    if (in[0] != 0x01 || memcmp(in + 1, h + 1, 31) != 0) return "mismatched versioned hash";
    bls_scalar s;
    if (!bls_scalar_from_bytes(&s, in + 32) || !bls_scalar_from_bytes(&s, in + 64))
        return KZG_FAILED "scalar is not canonical when interpreted as a big integer in big-endian";
    const char *e = g1_decode_error(in + 96);
    if (e || (e = g1_decode_error(in + 144)))
        return e;
    return kzg_point_evaluation(in) ? NULL : KZG_FAILED "can't verify opening proof";
}
