/* Unit tests for the EIP-4844 point evaluation (src/crypto/kzg.c): the
 * trusted-setup constant and its line tables, c-kzg-4844 verify_kzg_proof
 * vectors, malformed inputs of every kind, and all point-evaluation calls in
 * the ethereum/tests Cancun fixtures (expected result read off the test
 * name). */
#include "test.h"
#include "crypto/bls12_381.h"
#include "parevm/hex.h"
#include "parevm/precompile_math.h"

#include <gmp.h>
#include <jansson.h>
#include <openssl/sha.h>

/* Builds the 192-byte input with the correct versioned hash. */
static void make_input(uint8_t in[192], const char *commitment, const char *z,
                       const char *y, const char *proof) {
    CHECK(hex_decode(z, in + 32, 32) == 32);
    CHECK(hex_decode(y, in + 64, 32) == 32);
    CHECK(hex_decode(commitment, in + 96, 48) == 48);
    CHECK(hex_decode(proof, in + 144, 48) == 48);
    SHA256(in + 96, 48, in);
    in[0] = 0x01;
}

/* Re-hashes after the commitment was edited. */
static void fix_hash(uint8_t in[192]) {
    SHA256(in + 96, 48, in);
    in[0] = 0x01;
}

TEST(constant_tables) {
    bls_g2_affine tau;
    CHECK(bls_g2_decompress(&tau, BLS_KZG_TAU_G2_COMPRESSED));
    CHECK(!tau.inf);
    CHECK(bls_g2_affine_on_curve(&tau));
    bls_g2 t;
    bls_g2_from_affine(&t, &tau);
    bls_g2_mul(&t, &t, &BLS_R);
    CHECK(bls_g2_is_inf(&t));                  /* in G2, the naive way */
    uint8_t back[96];
    bls_g2_compress(back, &tau);
    CHECK_MEM(back, BLS_KZG_TAU_G2_COMPRESSED, 96);
    /* The generated tables are exactly what bls_g2_prepare computes. */
    bls_g2_prepared p;
    bls_g2_prepare(&p, &tau);
    CHECK(memcmp(&p, &BLS_KZG_TAU_G2_PREPARED, sizeof p) == 0);
    bls_g2_prepare(&p, &BLS_G2_GENERATOR);
    CHECK(memcmp(&p, &BLS_G2_GENERATOR_PREPARED, sizeof p) == 0);
    /* The fixed-base table holds [2i+1]G1. */
    bls_g1 g;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    for (int i = 0; i < 32; i++) {
        bls_scalar k = {{2 * (uint64_t)i + 1, 0, 0, 0}};
        bls_g1 m, e;
        bls_g1_mul(&m, &g, &k);
        bls_g1_from_affine(&e, &BLS_G1_GENERATOR_ODD_MULTIPLES[i]);
        CHECK(bls_g1_eq(&m, &e));
    }
}

TEST(tau_g1_matches_tau_g2) {
    /* Both constants come from the same ceremony: e([tau]G1, G2) equals
     * e(G1, [tau]G2), i.e. e([tau]G1, G2) e(-G1, [tau]G2) == 1. */
    bls_pairing_pair pairs[2];
    CHECK(bls_g1_decompress(&pairs[0].p, BLS_KZG_TAU_G1_COMPRESSED));
    pairs[0].q = BLS_G2_GENERATOR;
    pairs[1].p = BLS_G1_GENERATOR;
    bls_fp_neg(&pairs[1].p.y, &pairs[1].p.y);
    CHECK(bls_g2_decompress(&pairs[1].q, BLS_KZG_TAU_G2_COMPRESSED));
    CHECK(bls12_381_pairing_check(pairs, 2));
    pairs[1].p = BLS_G1_GENERATOR;
    CHECK(!bls12_381_pairing_check(pairs, 2));
}

static uint64_t rng = 0x853c49e6748fea9bULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

static void scalar_to_be(uint8_t out[32], const mpz_t v) {
    memset(out, 0, 32);
    size_t n;
    uint8_t tmp[32];
    mpz_export(tmp, &n, 1, 1, 1, 0, v);
    memcpy(out + 32 - n, tmp, n);
}

/* Builds a valid input for f(X) = a + bX: C = [a]G1 + [b][tau]G1, y =
 * f(z), proof = [(f(X) - y)/(X - z)]G1 = [b]G1. Scalars are < r. */
static void make_linear_proof(uint8_t in[192], const mpz_t a, const mpz_t b,
                              const mpz_t z) {
    mpz_t r, y;
    mpz_inits(r, y, NULL);
    mpz_set_str(r, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16);
    mpz_mul(y, b, z);
    mpz_add(y, y, a);
    mpz_mod(y, y, r);
    uint8_t be[32];
    bls_scalar sa, sb;
    scalar_to_be(be, a);
    CHECK(bls_scalar_from_bytes(&sa, be));
    scalar_to_be(be, b);
    CHECK(bls_scalar_from_bytes(&sb, be));
    bls_g1_affine tau;
    CHECK(bls_g1_decompress(&tau, BLS_KZG_TAU_G1_COMPRESSED));
    bls_g1 c, t, g;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    bls_g1_mul(&c, &g, &sa);
    bls_g1_from_affine(&t, &tau);
    bls_g1_mul(&t, &t, &sb);
    bls_g1_add(&c, &c, &t);
    bls_g1_mul(&t, &g, &sb);
    bls_g1_affine ca, pa;
    bls_g1_to_affine(&ca, &c);
    bls_g1_to_affine(&pa, &t);
    scalar_to_be(in + 32, z);
    scalar_to_be(in + 64, y);
    bls_g1_compress(in + 96, &ca);
    bls_g1_compress(in + 144, &pa);
    fix_hash(in);
    mpz_clears(r, y, NULL);
}

TEST(generated_linear_proofs) {
    /* Random degree-1 polynomials, including a = 0 (infinity commitment when
     * b = 0 too), b = 0 (infinity proof) and z = 0. */
    mpz_t a, b, z;
    mpz_inits(a, b, z, NULL);
    for (int i = 0; i < 24; i++) {
        mpz_set_ui(a, 0);
        mpz_set_ui(b, 0);
        mpz_set_ui(z, 0);
        for (int k = 0; k < 4; k++) {
            mpz_mul_2exp(a, a, 63);
            mpz_add_ui(a, a, rnd() >> 1);
            mpz_mul_2exp(b, b, 63);
            mpz_add_ui(b, b, rnd() >> 1);
            mpz_mul_2exp(z, z, 63);
            mpz_add_ui(z, z, rnd() >> 1);
        }
        mpz_tdiv_q_2exp(a, a, 3);                 /* 249 bits < r */
        mpz_tdiv_q_2exp(b, b, 3);
        mpz_tdiv_q_2exp(z, z, 3);
        if (i % 6 == 1)
            mpz_set_ui(a, 0);
        if (i % 6 == 2)
            mpz_set_ui(b, 0);
        if (i % 6 == 3)
            mpz_set_ui(z, 0);
        if (i == 4)
            mpz_set_ui(a, 0), mpz_set_ui(b, 0);
        uint8_t in[192];
        make_linear_proof(in, a, b, z);
        CHECK(kzg_point_evaluation(in));
        /* Any other claimed value fails. */
        in[95] ^= 1;
        CHECK(!kzg_point_evaluation(in));
        in[95] ^= 1;
        /* So does the proof of another point, when b != 0. */
        if (mpz_sgn(b) != 0) {
            in[63] ^= 4;
            CHECK(!kzg_point_evaluation(in));
        }
    }
    mpz_clears(a, b, z, NULL);
}

/* A selection of ethereum/c-kzg-4844 tests/verify_kzg_proof/kzg-mainnet. */
static const struct {
    const char *name, *commitment, *z, *y, *proof;
    bool ok;
} VECTORS[] = {
    {"correct_proof_3_2",
     "b49d88afcd7f6c61a8ea69eff5f609d2432b47e7e4cd50b02cdddb4e0c1460517e8df02e4e64dc55e3d8ca192d57193a",
     "0000000000000000000000000000000000000000000000000000000000000002",
     "6a75e4fe63e5e148c853462a680c3e3ccedea34719d28f19bf1b35ae4eea37d6",
     "a38758fca85407078c0a7e5fd6d38b34340c809baa0e1fed9deaabb11aa503062acbbe23fcbe620a21b40a83bfa71b89",
     true},
    {"correct_proof_4_4",
     "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7",
     "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000",
     "1522a4a7f34e1ea350ae07c29c96c7e79655aa926122e95fe69fcbd932ca49e9",
     "a62ad71d14c5719385c0686f1871430475bf3a00f0aa3f7b8dd99a9abc2160744faf0070725e00b60ad9a026a15b1a8c",
     true},
    {"correct_proof_point_at_infinity_for_twos_poly_3",
     "a572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e",
     "5eb7004fe57383e6c88b99d839937fddf3f99279353aaf8d5c9a75f91ce33c62",
     "0000000000000000000000000000000000000000000000000000000000000002",
     "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     true},
    {"correct_proof_point_at_infinity_for_zero_poly_4",
     "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     true},
    {"incorrect_proof_3_2",
     "b49d88afcd7f6c61a8ea69eff5f609d2432b47e7e4cd50b02cdddb4e0c1460517e8df02e4e64dc55e3d8ca192d57193a",
     "0000000000000000000000000000000000000000000000000000000000000002",
     "6a75e4fe63e5e148c853462a680c3e3ccedea34719d28f19bf1b35ae4eea37d6",
     "861a2aef7aa82db033bfa125b9f756afecaf1db28384925d5007bcf7dff1a53b72bdf522610303075aeecab41685d720",
     false},
    {"incorrect_proof_1_0",
     "a572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "0000000000000000000000000000000000000000000000000000000000000002",
     "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb",
     false},
    {"incorrect_proof_point_at_infinity_0",
     "a421e229565952cfff4ef3517100a97da1d4fe57956fa50a442f92af03b1bf37adacc8ad4ed209b31287ea5bb94d9d06",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "50625ad853cc21ba40594f79591e5d35c445ecf9453014da6524c0cf6367c359",
     "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     false},
    {"invalid_commitment_2 (x >= p)",
     "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     "0000000000000000000000000000000000000000000000000000000000000001",
     "1824b159acc5056f998c4fefecbc4ff55884b7fa0003480200000001fffffffe",
     "b0c829a8d2d3405304fecbea193e6c67f7c3912a6adc7c3737ad3f8a3b750425c1531a7426f03033a3994bc82a10609f",
     false},
    {"invalid_commitment_3",
     "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde0",
     "0000000000000000000000000000000000000000000000000000000000000001",
     "1824b159acc5056f998c4fefecbc4ff55884b7fa0003480200000001fffffffe",
     "b0c829a8d2d3405304fecbea193e6c67f7c3912a6adc7c3737ad3f8a3b750425c1531a7426f03033a3994bc82a10609f",
     false},
    {"invalid_y_0 (y = r)",
     "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7",
     "0000000000000000000000000000000000000000000000000000000000000001",
     "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001",
     "b30b3d1e4faccc380557792c9a0374d58fa286f5f75fea48870585393f890909cd3c53cfe4897e799fb211b4be531e43",
     false},
    {"invalid_z_0 (z = r)",
     "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7",
     "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001",
     "60f840641ec0d0c0d2b77b2d5a393b329442721fad05ab78c7b98f2aa3c20ec9",
     "b30b3d1e4faccc380557792c9a0374d58fa286f5f75fea48870585393f890909cd3c53cfe4897e799fb211b4be531e43",
     false},
};

TEST(ckzg_vectors) {
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        uint8_t in[192];
        make_input(in, VECTORS[i].commitment, VECTORS[i].z, VECTORS[i].y, VECTORS[i].proof);
        bool got = kzg_point_evaluation(in);
        if (got != VECTORS[i].ok)
            fprintf(stderr, "  vector %s: got %d\n", VECTORS[i].name, got);
        CHECK(got == VECTORS[i].ok);
    }
}

/* The correct_proof_3_2 input, on which the malformed variants are built. */
static void valid_input(uint8_t in[192]) {
    make_input(in, VECTORS[0].commitment, VECTORS[0].z, VECTORS[0].y, VECTORS[0].proof);
    CHECK(kzg_point_evaluation(in));
}

TEST(versioned_hash) {
    uint8_t in[192];
    valid_input(in);
    for (int v = 0; v < 256; v += 17) {               /* 0x00, 0x02, 0xff.. */
        if (v == 1)
            continue;
        in[0] = (uint8_t)v;
        CHECK(!kzg_point_evaluation(in));
    }
    in[0] = 0x01;
    for (int i = 1; i < 32; i += 5) {
        in[i] ^= 0x40;
        CHECK(!kzg_point_evaluation(in));
        CHECK(!strcmp(kzg_point_evaluation_error(in), "mismatched versioned hash"));
        in[i] ^= 0x40;
    }
    CHECK(kzg_point_evaluation(in) && !kzg_point_evaluation_error(in));
}

TEST(non_canonical_scalars) {
    static const char *bad[] = {
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001",
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000002",
        "73eda753299d7d483339d80809a1d80553bda402fffe5bff0000000000000000",
        "8000000000000000000000000000000000000000000000000000000000000000",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"};
    uint8_t in[192];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        valid_input(in);
        CHECK(hex_decode(bad[i], in + 32, 32) == 32);      /* z */
        CHECK(!kzg_point_evaluation(in));
        valid_input(in);
        CHECK(hex_decode(bad[i], in + 64, 32) == 32);      /* y */
        CHECK(!kzg_point_evaluation(in));
        CHECK(!strcmp(kzg_point_evaluation_error(in), "error verifying kzg proof: scalar is not canonical when "
                                                      "interpreted as a big integer in big-endian"));
    }
    /* y or z changed by one in range: a wrong opening, not a parse error. */
    valid_input(in);
    in[63] ^= 1;
    CHECK(!kzg_point_evaluation(in));
    valid_input(in);
    in[95] ^= 1;
    CHECK(!kzg_point_evaluation(in));
    CHECK(!strcmp(kzg_point_evaluation_error(in), "error verifying kzg proof: can't verify opening proof"));
}

/* Every malformed 48-byte G1 encoding, placed as commitment (with the hash
 * fixed up) and as proof. */
TEST(malformed_points) {
    static const char *P_HEX =
        "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";
    uint8_t bad[8][48];
    int n = 0;
    /* 0: uncompressed flag clear (the valid commitment with bit 7 off). */
    CHECK(hex_decode(VECTORS[0].commitment, bad[n], 48) == 48);
    bad[n++][0] &= 0x7f;
    /* 1: infinity flag with the sign bit. */
    memset(bad[n], 0, 48);
    bad[n++][0] = 0xe0;
    /* 2: infinity with a non-zero x bit. */
    memset(bad[n], 0, 48);
    bad[n][0] = 0xc0;
    bad[n++][20] = 0x01;
    /* 3: infinity flag on a real point. */
    CHECK(hex_decode(VECTORS[0].commitment, bad[n], 48) == 48);
    bad[n++][0] |= 0x40;
    /* 4: x = p. */
    CHECK(hex_decode(P_HEX, bad[n], 48) == 48);
    bad[n++][0] |= 0x80;
    /* 5: x = 1, not on the curve (1 + 4 is a non-square mod p). */
    memset(bad[n], 0, 48);
    bad[n][0] = 0x80;
    bad[n++][47] = 1;
    /* 6: x = 4, on the curve (68 is a square) but outside G1. */
    memset(bad[n], 0, 48);
    bad[n][0] = 0x80;
    bad[n++][47] = 4;
    /* 7: all zero (no flags). */
    memset(bad[n++], 0, 48);
    /* gnark-crypto's reason for each, which geth gives after its prefix
     * (the commitment starts 0xb4: its flags are 0b101). */
    static const char *const why[8] = {
        "invalid point encoding",          /* flags 0b001 */
        "invalid point encoding",          /* 0b111 */
        "invalid infinity point encoding",
        "invalid point encoding",          /* 0b111 again */
        "invalid fp.Element encoding",
        "invalid compressed coordinate: square root doesn't exist",
        "invalid point: subgroup check failed",
        "short buffer",                    /* 0b000 asks for 96 bytes */
    };
    uint8_t in[192];
    char want[160];
    for (int i = 0; i < n; i++) {
        snprintf(want, sizeof want, "error verifying kzg proof: %s", why[i]);
        valid_input(in);
        memcpy(in + 96, bad[i], 48);
        fix_hash(in);
        CHECK(!kzg_point_evaluation(in));
        CHECK(!strcmp(kzg_point_evaluation_error(in), want));
        valid_input(in);
        memcpy(in + 144, bad[i], 48);
        CHECK(!kzg_point_evaluation(in));
        CHECK(!strcmp(kzg_point_evaluation_error(in), want));
        /* The commitment is read first. */
        memcpy(in + 96, bad[i], 48);
        fix_hash(in);
        CHECK(!strcmp(kzg_point_evaluation_error(in), want));
    }
    /* The uncompressed-infinity flags (0b010) also ask for 96 bytes. */
    valid_input(in);
    memset(in + 144, 0, 48);
    in[144] = 0x40;
    CHECK(!strcmp(kzg_point_evaluation_error(in), "error verifying kzg proof: short buffer"));
}

TEST(point_not_in_subgroup) {
    /* A point of E(Fp) outside G1: the smallest x >= 1 on the curve (4). Its
     * encoding is well formed, so only the subgroup check can reject it. */
    bls_g1_affine p = {.inf = false};
    bls_fp four;
    bls_fp_from_u64(&four, 4);
    for (uint64_t x = 1;; x++) {
        bls_fp rhs;
        bls_fp_from_u64(&p.x, x);
        bls_fp_sqr(&rhs, &p.x);
        bls_fp_mul(&rhs, &rhs, &p.x);
        bls_fp_add(&rhs, &rhs, &four);
        if (bls_fp_sqrt(&p.y, &rhs))
            break;
    }
    CHECK(bls_g1_affine_on_curve(&p));
    CHECK(!bls_g1_affine_in_subgroup(&p));
    uint8_t enc[48], in[192];
    bls_g1_compress(enc, &p);
    bls_g1_affine back;
    CHECK(!bls_g1_decompress(&back, enc));
    valid_input(in);
    memcpy(in + 96, enc, 48);
    fix_hash(in);
    CHECK(!kzg_point_evaluation(in));
    valid_input(in);
    memcpy(in + 144, enc, 48);
    CHECK(!kzg_point_evaluation(in));
}

/* Expected result from an ethereum/tests name: 1 true, 0 false, -1 unknown. */
static int expected_from_name(const char *name) {
    if (strstr(name, "success_False"))
        return 0;
    if (strstr(name, "success_True"))
        return 1;
    if (strstr(name, "incorrect") || strstr(name, "invalid"))
        return 0;
    if (strstr(name, "correct"))
        return 1;
    return -1;
}

/* Runs every 192-byte call datum of one fixture file; returns the count. */
static int run_fixture_file(const char *path) {
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "  cannot read %s: %s\n", path, err.text);
        test_failed_checks++;
        return 0;
    }
    int count = 0;
    const char *name;
    json_t *t;
    json_object_foreach(root, name, t) {
        int want = expected_from_name(name);
        json_t *data = json_object_get(json_object_get(t, "transaction"), "data");
        size_t i;
        json_t *d;
        json_array_foreach(data, i, d) {
            uint8_t in[193];
            if (want < 0 || hex_decode(json_string_value(d), in, sizeof in) != 192)
                continue;
            bool got = kzg_point_evaluation(in);
            if (got != (want == 1))
                fprintf(stderr, "  %s: got %d\n", name, got);
            CHECK(got == (want == 1));
            count++;
        }
    }
    json_decref(root);
    return count;
}

TEST(ethereum_tests_fixtures) {
    static const char *files[] = {
        "point_evaluation_precompile_external_vectors.json",
        "point_evaluation_precompile_calls.json",
        "invalid_precompile_calls.json",
        "valid_precompile_calls.json",
        "point_evaluation_precompile_gas_usage.json",
        "point_evaluation_precompile_gas_tx_to.json"};
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/ethereum-tests/GeneralStateTests/Pyspecs/cancun/eip4844_blobs",
             test_fixtures_dir());
    FILE *probe = fopen(dir, "r");
    if (!probe) {
        fprintf(stderr, "  missing fixture folder %s\n", dir);
        CHECK(probe != NULL); /* a missing fixture folder fails */
        return;
    }
    fclose(probe);
    int total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        total += run_fixture_file(path);
    }
    printf("  %d point-evaluation calls from the fixtures checked\n", total);
    /* 122 external vectors minus the 12 of the wrong length, plus the
     * precompile-call tests. */
    CHECK(total >= 150);
}
