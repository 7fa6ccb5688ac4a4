/* KZG checks of blob sidecars (EIP-4844, EIP-7594): what a transaction pool
 * verifies before it accepts a blob transaction from the network, so that
 * it never gossips or builds a block with blobs that do not match their
 * commitments. The trusted setup is the mainnet ceremony's (compile-time
 * constants). Inputs are public, nothing is constant time; each call
 * allocates its scratch space (about 160 KiB per blob) and frees it before
 * returning, aborting on out-of-memory. Thread-safe: no shared state. */
#ifndef PAREVM_KZG_H
#define PAREVM_KZG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KZG_BLOB_BYTES 131072       /* 4096 field elements of 32 bytes */
#define KZG_POINT_BYTES 48          /* a compressed G1 point */
#define KZG_CELLS_PER_BLOB 128      /* EIP-7594: cells of the extended blob */

/* verify_blob_kzg_proof_batch (EIP-4844, sidecar wrapper version 0): for
 * each of the n blobs, proofs[i] opens commitments[i] at the Fiat-Shamir
 * challenge of (blob, commitment) to the blob polynomial's value there.
 * Every blob element must be a canonical field element (below r), every
 * commitment and proof a valid compressed point of G1. Returns NULL when all
 * hold (n = 0 included), else a short reason. */
const char *kzg_verify_blob_proofs(const uint8_t *const *blobs, const uint8_t *const *commitments,
                                   const uint8_t *const *proofs, size_t n);

/* The verdict of verify_cell_kzg_proof_batch (EIP-7594, wrapper version 1)
 * on every cell of each blob: cell_proofs[i * KZG_CELLS_PER_BLOB + k] must
 * be the proof of cell k of compute_cells(blobs[i]) against commitments[i].
 * The cells are not materialised: cell k holds the blob polynomial's values
 * on the coset h_k<w64>, so its interpolant is the polynomial modulo
 * X^64 - h_k^64, and all proofs are checked at once by one pairing equation
 * on a random linear combination (weights from a hash of every input).
 * Same input rules and result as kzg_verify_blob_proofs. */
const char *kzg_verify_cell_proofs(const uint8_t *const *blobs, const uint8_t *const *commitments,
                                   const uint8_t *const *cell_proofs, size_t n);

#endif
