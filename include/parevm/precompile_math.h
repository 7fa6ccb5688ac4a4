/* Contracts of the precompile mathematics in src/crypto. These functions know
 * nothing about gas or the EVM: src/evm/precompiles.c pads or truncates the
 * call data, charges gas and calls them. Inputs are public (no constant-time
 * requirement); every malformed input must be rejected without reading out of
 * bounds. None of them allocates on the heap except MODEXP (GMP) and
 * P256VERIFY (OpenSSL). */
#ifndef PAREVM_PRECOMPILE_MATH_H
#define PAREVM_PRECOMPILE_MATH_H

#include "types.h"

/* ---- 0x01 ECRECOVER --------------------------------------------------------
 * Recovers the signer of hash from (r, s, recid) with libsecp256k1 and writes
 * keccak256(pubkey)[12:]. Fails if r or s is not in [1, n-1], recid is not 0
 * or 1, or no key recovers. No low-s rule (the precompile has none). */
bool secp256k1_recover_address(const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32],
                               int recid, address *out);

/* ---- 0x05 MODEXP (EIP-198, EIP-2565, EIP-7823, EIP-7883) -------------------
 * in/len: the raw call data (shorter data reads as zero-padded).
 * modexp_gas returns the gas cost under the given pricing, saturating at
 * UINT64_MAX; it must not allocate in proportion to the declared lengths.
 * (MODEXP_EIP198 and MODEXP_EIP2565 are 0 and 1, so false/true still name
 * the pre-Berlin and Berlin rules.) modexp_within_eip7823_bounds: Osaka's
 * limit, every declared length at most 1024 bytes (else the call fails,
 * consuming all gas). modexp_output_len returns the declared modulus
 * length (saturating). modexp_run writes exactly out_len (= modulus length)
 * bytes of base^exp mod modulus (zero when modulus is 0) and is only called
 * after gas has been charged, so lengths are bounded by what gas can buy. */
typedef enum { MODEXP_EIP198, MODEXP_EIP2565, MODEXP_EIP7883 } modexp_pricing;
uint64_t modexp_gas(const uint8_t *in, size_t len, modexp_pricing pricing);
bool modexp_within_eip7823_bounds(const uint8_t *in, size_t len);
uint64_t modexp_output_len(const uint8_t *in, size_t len);
void modexp_run(const uint8_t *in, size_t len, uint8_t *out, size_t out_len);

/* ---- 0x06..0x08 BN254 / alt_bn128 (EIP-196, EIP-197) ----------------------
 * Points are (x, y) as 32-byte big-endian field elements; (0, 0) is infinity.
 * G2 points are (x_im, x_re, y_im, y_re) as in EIP-197. Return false on any
 * invalid input: coordinate >= p, point not on the curve, G2 point not in the
 * r-torsion subgroup. */
bool bn254_add(const uint8_t in[128], uint8_t out[64]);
bool bn254_mul(const uint8_t in[96], uint8_t out[64]);
/* in has len bytes, len % 192 == 0 (callers check). *ok = product of the
 * pairings == 1 (true for len == 0). */
bool bn254_pairing_check(const uint8_t *in, size_t len, bool *ok);
/* Why a point fails to decode, in the words of geth's BN254 code (gnark's):
 * "invalid fp.Element encoding" (a coordinate >= p), "point is not on
 * curve", "point is not in correct subgroup" (G2 only); NULL if it
 * decodes. Static strings; only called on the failure path. */
const char *bn254_g1_error(const uint8_t in[64]);
const char *bn254_g2_error(const uint8_t in[128]);

/* ---- 0x09 BLAKE2F (EIP-152) -----------------------------------------------
 * in must be exactly 213 bytes with a final-block flag of 0 or 1 (else
 * false). Writes the 64-byte state. blake2f_rounds reads the round count
 * (big-endian u32 at offset 0) for gas, or returns false if len != 213. */
bool blake2f_rounds(const uint8_t *in, size_t len, uint32_t *rounds);
bool blake2f(const uint8_t *in, size_t len, uint8_t out[64]);

/* ---- 0x0a KZG point evaluation (EIP-4844) --------------------------------
 * in: exactly 192 bytes = versioned_hash(32) z(32) y(32) commitment(48)
 * proof(48). Returns true if the versioned hash matches the commitment
 * (0x01 || sha256(commitment)[1:]), z and y are canonical field elements, the
 * points decode (compressed, in the subgroup) and the proof verifies against
 * the mainnet trusted setup. Callers handle the length check and output. */
bool kzg_point_evaluation(const uint8_t in[192]);
/* Why kzg_point_evaluation refuses in, as geth words it: "mismatched
 * versioned hash" or "error verifying kzg proof: <reason>", the reason
 * go-eth-kzg's for a non-canonical z or y or a proof that does not verify,
 * gnark-crypto's for a commitment or proof that does not decompress ("invalid
 * point encoding", "short buffer" for an uncompressed flag, "invalid infinity
 * point encoding", "invalid fp.Element encoding", "invalid compressed
 * coordinate: square root doesn't exist", "invalid point: subgroup check
 * failed"); NULL if it passes. Static strings. */
const char *kzg_point_evaluation_error(const uint8_t in[192]);

/* ---- 0x0b..0x11 BLS12-381 (EIP-2537) --------------------------------------
 * Encodings: an Fp element is 64 big-endian bytes, the top 16 zero and the
 * value below p; Fp2 is c0 || c1 (128 bytes); a G1 (G2) point is x || y, 128
 * (256) bytes, all zero for the point at infinity; a scalar is any 32-byte
 * big-endian value. Every function returns false, writing nothing, on an
 * invalid encoding, a point off its curve, or (MSM and pairing only) a point
 * outside the r-order subgroup. The caller checks the input length (the
 * gas depends on it) and passes whole pairs only. */
/* G1ADD / G2ADD: the sum of two points (no subgroup check). */
bool bls12_g1add(const uint8_t in[256], uint8_t out[128]);
bool bls12_g2add(const uint8_t in[512], uint8_t out[256]);
/* G1MSM / G2MSM over k >= 1 pairs (point, scalar) of 160 (288) bytes each;
 * k = 0 is invalid. */
bool bls12_g1msm(const uint8_t *in, size_t k, uint8_t out[128]);
bool bls12_g2msm(const uint8_t *in, size_t k, uint8_t out[256]);
/* PAIRING_CHECK over k >= 1 pairs (G1 point, G2 point) of 384 bytes:
 * *ok = (the product of the pairings is 1); k = 0 is invalid. */
bool bls12_pairing(const uint8_t *in, size_t k, bool *ok);
/* MAP_FP_TO_G1 / MAP_FP2_TO_G2: RFC 9380 simplified SWU, isogeny and
 * cofactor clearing (no hashing). */
bool bls12_map_fp_to_g1(const uint8_t in[64], uint8_t out[128]);
bool bls12_map_fp2_to_g2(const uint8_t in[128], uint8_t out[256]);
/* Why an input fails, in geth's words (NULL: it does not): n_fp
 * consecutive Fp elements ("invalid field element top bytes", "invalid
 * fp.Element encoding"); a G1 (G2) point: its coordinates in order, then
 * "invalid point: not on curve", then with subgroup "g1 (g2) point is not
 * on correct subgroup". Static strings; only called on the failure path. */
const char *bls12_fp_error(const uint8_t *in, size_t n_fp);
const char *bls12_g1_error(const uint8_t in[128], bool subgroup);
const char *bls12_g2_error(const uint8_t in[256], bool subgroup);

/* ---- 0x100 P256VERIFY (EIP-7951) -------------------------------------------
 * in: exactly 160 bytes = hash(32) r(32) s(32) qx(32) qy(32) (callers check
 * the length). True iff 0 < r, s < n, qx, qy < p, (qx, qy) is on secp256r1
 * and not (0, 0), and the ECDSA signature verifies (R' not at infinity,
 * R'.x = r mod n). Thread-safe; OpenSSL allocates internally. */
bool p256_verify(const uint8_t in[160]);

#endif
