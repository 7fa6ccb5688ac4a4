/* Contracts of the precompile mathematics in src/crypto. These functions know
 * nothing about gas or the EVM: src/evm/precompiles.c pads or truncates the
 * call data, charges gas and calls them. Inputs are public (no constant-time
 * requirement); every malformed input must be rejected without reading out of
 * bounds. None of them allocates on the heap except MODEXP (GMP). */
#ifndef PAREVM_PRECOMPILE_MATH_H
#define PAREVM_PRECOMPILE_MATH_H

#include "types.h"

/* ---- 0x01 ECRECOVER --------------------------------------------------------
 * Recovers the signer of hash from (r, s, recid) with libsecp256k1 and writes
 * keccak256(pubkey)[12:]. Fails if r or s is not in [1, n-1], recid is not 0
 * or 1, or no key recovers. No low-s rule (the precompile has none). */
bool secp256k1_recover_address(const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32],
                               int recid, address *out);

/* ---- 0x05 MODEXP (EIP-198, EIP-2565) -------------------------------------
 * in/len: the raw call data (shorter data reads as zero-padded).
 * modexp_gas returns the gas cost under EIP-198 (berlin=false) or EIP-2565
 * (berlin=true), saturating at UINT64_MAX; it must not allocate in proportion
 * to the declared lengths. modexp_output_len returns the declared modulus
 * length (saturating). modexp_run writes exactly out_len (= modulus length)
 * bytes of base^exp mod modulus (zero when modulus is 0) and is only called
 * after gas has been charged, so lengths are bounded by what gas can buy. */
uint64_t modexp_gas(const uint8_t *in, size_t len, bool berlin);
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

#endif
