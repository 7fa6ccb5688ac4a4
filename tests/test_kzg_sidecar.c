/* Unit tests for the blob sidecar checks (parevm/kzg.h, src/crypto/
 * kzg_sidecar.c) on sidecars this file builds by a separate route: blob
 * values by Horner's rule at each root of unity with GMP (no FFT, no
 * barycentric formula), commitments and proofs as multi-scalar products of
 * the setup's monomial points. Polynomials of degree below 68 keep that to
 * the first 68 points; for degree d < 128 every cell proof of a blob is the
 * commitment to its coefficients 64..d (p - (p mod X^64 - s) = (X^64 - s) *
 * that high half, for every coset constant s). Also: the embedded setup
 * points form the powers of the [tau]G2 of the point evaluation. */
#include "test.h"
#include "crypto/bls12_381.h"
#include "parevm/hex.h"
#include "parevm/kzg.h"

#include <gmp.h>
#include <openssl/sha.h>

#define DEG_MAX 68 /* coefficients 0..67 */

/* g1_monomial[64..67] of the mainnet trusted setup (trusted_setup_4096.json,
 * after the 64 that src/crypto/kzg_setup.c embeds). */
static const char *const MONO_EXTRA[DEG_MAX - KZG_CELL_POINTS] = {
    "a9ef67304dc297ab5af778cf8afa849eeac27db4b6978963e97b95ef7a8d3264d0d07775f728c298a2b6daed2ecf5053",
    "a9b975520adb066e2ff2a4cde53284c23bc84261a22dc43b1634d99eff8e7892e46bb6e6da7319c9e72788aa9ea7a1ea",
    "a6eaea4ab4206294474d9b956d9d3188d558a5633de2bd05df0d3bac03dbcbe4ed85406349c1d2e660b77c6da1f5bf8c",
    "af4a19f77290dddee762e1e0d4bc9945aacea3f75756ae46cd3e58a8f74d1b5db73e4834687946b0f39191e32f2fed0c",
};

static uint64_t rng = 0x6b7a6753696465ULL;

static mpz_t R; /* the group order */
static bls_g1_affine mono[DEG_MAX];

static void setup(void) {
    static bool done;
    if (done) return;
    done = true;
    mpz_init_set_str(R, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16);
    for (int j = 0; j < KZG_CELL_POINTS; j++) CHECK(bls_g1_decompress(&mono[j], BLS_KZG_G1_MONOMIAL_COMPRESSED[j]));
    for (int j = KZG_CELL_POINTS; j < DEG_MAX; j++) {
        uint8_t b[48];
        CHECK(hex_decode(MONO_EXTRA[j - KZG_CELL_POINTS], b, 48) == 48);
        CHECK(bls_g1_decompress(&mono[j], b));
    }
}

static void to_scalar(bls_scalar *s, const mpz_t v) {
    memset(s, 0, sizeof *s);
    mpz_export(s->l, NULL, -1, 8, 0, 0, v);
}

static void to_be32(uint8_t out[32], const mpz_t v) {
    memset(out, 0, 32);
    size_t n;
    uint8_t tmp[32];
    mpz_export(tmp, &n, 1, 1, 1, 0, v);
    memcpy(out + 32 - n, tmp, n);
}

/* [sum c_j tau^j]G1, compressed. */
static void commit(uint8_t out[48], mpz_t *c, size_t n) {
    bls_scalar k[DEG_MAX];
    for (size_t j = 0; j < n; j++) to_scalar(&k[j], c[j]);
    bls_g1 p;
    bls_g1_msm(&p, mono, k, n);
    bls_g1_affine a;
    bls_g1_to_affine(&a, &p);
    bls_g1_compress(out, &a);
}

static void horner(mpz_t y, mpz_t *c, size_t n, const mpz_t x) {
    mpz_set_ui(y, 0);
    for (size_t j = n; j-- > 0;) {
        mpz_mul(y, y, x);
        mpz_add(y, y, c[j]);
        mpz_mod(y, y, R);
    }
}

static unsigned rev12(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 12; i++) r |= ((x >> i) & 1) << (11 - i);
    return r;
}

typedef struct {
    uint8_t *blob;
    uint8_t commitment[48], proof[48], cell_proof[48];
    mpz_t c[DEG_MAX];
    size_t n; /* coefficients */
} sidecar;

/* A random polynomial of n coefficients, its blob (the values at w^rev(i)),
 * commitment and the one cell proof all its cells share. */
static void make_sidecar(sidecar *s, size_t n) {
    s->n = n;
    s->blob = malloc(KZG_BLOB_BYTES);
    if (!s->blob) abort();
    for (size_t j = 0; j < DEG_MAX; j++) {
        mpz_init(s->c[j]);
        if (j >= n) continue;
        for (int k = 0; k < 4; k++) {
            mpz_mul_2exp(s->c[j], s->c[j], 64);
            mpz_add_ui(s->c[j], s->c[j], test_xorshift(&rng));
        }
        mpz_mod(s->c[j], s->c[j], R);
    }
    mpz_t w, x, y, e;
    mpz_inits(w, x, y, e, NULL);
    mpz_sub_ui(e, R, 1);
    mpz_tdiv_q_2exp(e, e, 12);
    mpz_set_ui(w, 7);
    mpz_powm(w, w, e, R); /* a primitive 4096th root of unity */
    mpz_set_ui(x, 1);
    for (unsigned j = 0; j < 4096; j++) {
        horner(y, s->c, n, x);
        to_be32(s->blob + 32 * rev12(j), y);
        mpz_mul(x, x, w);
        mpz_mod(x, x, R);
    }
    commit(s->commitment, s->c, n);
    if (n > KZG_CELL_POINTS) commit(s->cell_proof, s->c + KZG_CELL_POINTS, n - KZG_CELL_POINTS);
    else memset(s->cell_proof, 0, 48), s->cell_proof[0] = 0xc0; /* infinity */
    mpz_clears(w, x, y, e, NULL);
}

/* The EIP-4844 proof at the specification's challenge: q = (p - p(z))/(X - z). */
static void make_blob_proof(sidecar *s) {
    uint8_t buf[16 + 16 + KZG_BLOB_BYTES + 48] = "FSBLOBVERIFY_V1_", h[32];
    memset(buf + 16, 0, 16);
    buf[16 + 14] = 0x10; /* 4096, big-endian */
    memcpy(buf + 32, s->blob, KZG_BLOB_BYTES);
    memcpy(buf + 32 + KZG_BLOB_BYTES, s->commitment, 48);
    SHA256(buf, sizeof buf, h);
    mpz_t z, q[DEG_MAX];
    mpz_init(z);
    mpz_import(z, 32, 1, 1, 1, 0, h);
    mpz_mod(z, z, R);
    for (size_t j = 0; j < DEG_MAX; j++) mpz_init(q[j]);
    /* synthetic division; the remainder p(z) drops out */
    for (size_t j = s->n - 1; j > 0; j--) {
        mpz_set(q[j - 1], s->c[j]);
        if (j < s->n - 1) {
            mpz_addmul(q[j - 1], q[j], z);
            mpz_mod(q[j - 1], q[j - 1], R);
        }
    }
    commit(s->proof, q, s->n - 1);
    for (size_t j = 0; j < DEG_MAX; j++) mpz_clear(q[j]);
    mpz_clear(z);
}

static void free_sidecar(sidecar *s) {
    free(s->blob);
    for (size_t j = 0; j < DEG_MAX; j++) mpz_clear(s->c[j]);
}

TEST(setup_points_are_powers_of_tau) {
    setup();
    uint8_t g[48];
    bls_g1_compress(g, &BLS_G1_GENERATOR);
    CHECK_MEM(BLS_KZG_G1_MONOMIAL_COMPRESSED[0], g, 48);
    CHECK_MEM(BLS_KZG_G1_MONOMIAL_COMPRESSED[1], BLS_KZG_TAU_G1_COMPRESSED, 48);
    bls_g2_affine tau, tau64;
    CHECK(bls_g2_decompress(&tau, BLS_KZG_TAU_G2_COMPRESSED));
    CHECK(bls_g2_decompress(&tau64, BLS_KZG_TAU64_G2_COMPRESSED));
    /* e([tau^j], [tau]) = e([tau^(j+1)], G2) */
    for (int j = 0; j + 1 < DEG_MAX; j++) {
        bls_pairing_pair pp[2] = {{mono[j], tau}, {mono[j + 1], BLS_G2_GENERATOR}};
        bls_g1 t;
        bls_g1_from_affine(&t, &pp[1].p);
        bls_g1_neg(&t, &t);
        bls_g1_to_affine(&pp[1].p, &t);
        CHECK(bls12_381_pairing_check(pp, 2));
    }
    /* e(G1, [tau^64]) = e([tau^64], G2) */
    bls_pairing_pair pp[2] = {{mono[0], tau64}, {mono[KZG_CELL_POINTS], BLS_G2_GENERATOR}};
    bls_g1 t;
    bls_g1_from_affine(&t, &pp[1].p);
    bls_g1_neg(&t, &t);
    bls_g1_to_affine(&pp[1].p, &t);
    CHECK(bls12_381_pairing_check(pp, 2));
}

/* blobs, commitments and the 128 cell proofs of each, as the API wants. */
typedef struct {
    const uint8_t *blobs[2], *commitments[2], *proofs[2], *cells[2 * KZG_CELLS_PER_BLOB];
} views;

static void view_of(views *v, sidecar *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        v->blobs[i] = s[i].blob;
        v->commitments[i] = s[i].commitment;
        v->proofs[i] = s[i].proof;
        for (size_t k = 0; k < KZG_CELLS_PER_BLOB; k++) v->cells[i * KZG_CELLS_PER_BLOB + k] = s[i].cell_proof;
    }
}

TEST(cell_proofs_of_generated_blobs) {
    setup();
    sidecar s[2];
    make_sidecar(&s[0], DEG_MAX);        /* non-trivial cell proofs */
    make_sidecar(&s[1], KZG_CELL_POINTS); /* degree 63: every cell proof is infinity */
    views v;
    view_of(&v, s, 2);
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 0) == NULL);
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 1) == NULL);
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2) == NULL);
    /* one element of a blob changed: its polynomial is another */
    s[1].blob[32 * 77 + 31] ^= 1;
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2) != NULL);
    s[1].blob[32 * 77 + 31] ^= 1;
    /* one cell's proof replaced by the other blob's (infinity) */
    v.cells[93] = s[1].cell_proof;
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2) != NULL);
    v.cells[93] = s[0].cell_proof;
    /* commitments swapped */
    v.commitments[0] = s[1].commitment;
    v.commitments[1] = s[0].commitment;
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2) != NULL);
    view_of(&v, s, 2);
    /* an element at or above r is not a field element */
    uint8_t saved[32];
    memcpy(saved, s[0].blob + 32 * 5, 32);
    CHECK(hex_decode("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", s[0].blob + 32 * 5, 32) == 32);
    const char *why = kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2);
    CHECK(why && strstr(why, "canonical"));
    memcpy(s[0].blob + 32 * 5, saved, 32);
    /* a proof that is not a point */
    uint8_t junk[48];
    memset(junk, 0xff, sizeof junk);
    v.cells[200] = junk;
    why = kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2);
    CHECK(why && strstr(why, "proof"));
    v.cells[200] = s[1].cell_proof;
    v.commitments[1] = junk;
    why = kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2);
    CHECK(why && strstr(why, "commitment"));
    view_of(&v, s, 2);
    CHECK(kzg_verify_cell_proofs(v.blobs, v.commitments, v.cells, 2) == NULL);
    free_sidecar(&s[0]);
    free_sidecar(&s[1]);
}

TEST(blob_proofs_of_generated_blobs) {
    setup();
    sidecar s[2];
    make_sidecar(&s[0], DEG_MAX);
    make_sidecar(&s[1], 5);
    make_blob_proof(&s[0]);
    make_blob_proof(&s[1]);
    views v;
    view_of(&v, s, 2);
    CHECK(kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 0) == NULL);
    CHECK(kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 2) == NULL);
    s[0].blob[32 * 4095 + 31] ^= 1;
    CHECK(kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 2) != NULL);
    s[0].blob[32 * 4095 + 31] ^= 1;
    v.proofs[1] = s[0].proof;
    CHECK(kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 2) != NULL);
    v.proofs[1] = s[1].proof;
    v.commitments[1] = s[0].commitment;
    CHECK(kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 2) != NULL);
    v.commitments[1] = s[1].commitment;
    memset(s[1].blob + 64, 0xff, 32);
    const char *why = kzg_verify_blob_proofs(v.blobs, v.commitments, v.proofs, 2);
    CHECK(why && strstr(why, "canonical"));
    free_sidecar(&s[0]);
    free_sidecar(&s[1]);
}
