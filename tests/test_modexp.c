/* Unit tests for 0x05 MODEXP (EIP-198, EIP-2565, and Osaka's EIP-7823 bounds
 * and EIP-7883 pricing): the EIP-198 examples, a
 * GMP reference that evaluates the gas formulas in exact big-integer
 * arithmetic and the result from materialized zero-padded operands, random
 * inputs with random (zero, short, long, past-the-end, astronomically large)
 * length fields, and the inputs and expected outputs of the state-test
 * fixtures. */
#include <gmp.h>

#include "fixture_util.h"
#include "ref_modexp.h"
#include "parevm/evm.h"
#include "parevm/precompile_math.h"
#include "test.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

/* Compares gas (all three rules), output length and output with the
 * reference. */
static void check_modexp(const uint8_t *in, size_t len) {
    CHECK_EQ_U64(modexp_gas(in, len, MODEXP_EIP198), ref_gas(in, len, false));
    CHECK_EQ_U64(modexp_gas(in, len, MODEXP_EIP2565), ref_gas(in, len, true));
    CHECK_EQ_U64(modexp_gas(in, len, MODEXP_EIP7883), ref_gas_osaka(in, len));
    mpz_t b, e, m;
    mpz_inits(b, e, m, NULL);
    ref_lengths(b, e, m, in, len);
    uint64_t out_len = modexp_output_len(in, len);
    CHECK_EQ_U64(out_len, ref_saturate(m));
    /* run only what gas could pay for: all lengths modest */
    bool runnable = mpz_cmp_ui(m, 4096) <= 0 &&
                    (mpz_sgn(m) == 0 || (mpz_cmp_ui(b, 4096) <= 0 && mpz_cmp_ui(e, 4096) <= 0));
    if (runnable) {
        uint8_t *got = malloc(out_len + 1), *want = malloc(out_len + 1);
        modexp_run(in, len, got, (size_t)out_len);
        if (mpz_sgn(m) != 0) {
            CHECK(ref_run(in, len, want, (size_t)out_len));
            CHECK_MEM(got, want, (size_t)out_len);
        }
        free(got);
        free(want);
    }
    mpz_clears(b, e, m, NULL);
}

static size_t from_hex(const char *hex, uint8_t *out, size_t cap) {
    long n = hex_decode(hex, out, cap);
    CHECK(n >= 0);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- EIP-198 examples ---- */

#define W1 "0000000000000000000000000000000000000000000000000000000000000001"
#define W2 "0000000000000000000000000000000000000000000000000000000000000002"
#define W0 "0000000000000000000000000000000000000000000000000000000000000000"
#define W32 "0000000000000000000000000000000000000000000000000000000000000020"

TEST(modexp_eip198_examples) {
    uint8_t in[512], out[32], want[32] = {0};
    /* 3^(p - 1) mod p = 1 for the secp256k1 field prime p */
    size_t n = from_hex(W1 W32 W32 "03"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                        in, sizeof in);
    CHECK_EQ_U64(modexp_gas(in, n, false), 13056);
    CHECK_EQ_U64(modexp_gas(in, n, true), 1360); /* 16 * 255 / 3 */
    CHECK_EQ_U64(modexp_output_len(in, n), 32);
    modexp_run(in, n, out, 32);
    want[31] = 1;
    CHECK_MEM(out, want, 32);
    check_modexp(in, n);
    /* base length 0: the exponent follows the header directly, result 0 */
    n = from_hex(W0 W32 W32 "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                 in, sizeof in);
    modexp_run(in, n, out, 32);
    want[31] = 0;
    CHECK_MEM(out, want, 32);
    check_modexp(in, n);
    /* modulus length 2^256 - 1: gas saturates, nothing is allocated */
    n = from_hex(W0 W32 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd",
                 in, sizeof in);
    CHECK_EQ_U64(modexp_gas(in, n, false), UINT64_MAX);
    CHECK_EQ_U64(modexp_gas(in, n, true), UINT64_MAX);
    CHECK_EQ_U64(modexp_output_len(in, n), UINT64_MAX);
    /* 3^65535 mod 2^255, with an ignored trailing byte and with a modulus
     * that runs past the end of the data */
    uint8_t in2[512];
    n = from_hex(W1 W2 W32 "03"
                           "ffff"
                           "8000000000000000000000000000000000000000000000000000000000000000"
                           "07",
                 in, sizeof in);
    size_t n2 = from_hex(W1 W2 W32 "03"
                                   "ffff"
                                   "80",
                         in2, sizeof in2);
    uint8_t out2[32];
    modexp_run(in, n, out, 32);
    modexp_run(in2, n2, out2, 32);
    CHECK_MEM(out, out2, 32);
    CHECK_EQ_U64(modexp_gas(in, n, false), modexp_gas(in2, n2, false));
    check_modexp(in, n);
    check_modexp(in2, n2);
}

TEST(modexp_special_values) {
    /* modulus 0, modulus 1, exponent 0 (0^0 = 1), empty base, empty
     * exponent, all-empty input */
    const char *cases[][2] = {
        {W1 W1 W1 "05" "03" "00", "00"},
        {W1 W1 W1 "05" "03" "01", "00"},
        {W1 W1 W1 "05" "00" "07", "01"},
        {W1 W1 W1 "00" "00" "07", "01"},
        {W1 W1 W1 "00" "00" "01", "00"},
        {W0 W1 W1 "03" "07", "00"},
        {W1 W0 W1 "03" "07", "01"},
        {W1 W0 W2 "03" "0100", "0001"},
        {W0 W0 W2 "", "0000"},
        {"", ""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t in[256], out[8], want[8];
        size_t n = from_hex(cases[k][0], in, sizeof in);
        size_t wn = from_hex(cases[k][1], want, sizeof want);
        CHECK_EQ_U64(modexp_output_len(in, n), wn);
        modexp_run(in, n, out, wn);
        CHECK_MEM(out, want, wn);
        check_modexp(in, n);
    }
    uint8_t none[1];
    CHECK_EQ_U64(modexp_gas(none, 0, false), 0);
    CHECK_EQ_U64(modexp_gas(none, 0, true), 200);
}

/* Zero complexity (base and modulus lengths 0) prices an astronomically
 * long exponent at the minimum; any complexity makes it unaffordable. */
TEST(modexp_gas_saturation) {
    uint8_t in[96 + 64] = {0};
    memset(in + 32, 0xff, 32); /* exp_len = 2^256 - 1 */
    CHECK_EQ_U64(modexp_gas(in, sizeof in, false), 0);
    CHECK_EQ_U64(modexp_gas(in, sizeof in, true), 200);
    CHECK_EQ_U64(modexp_output_len(in, sizeof in), 0);
    modexp_run(in, sizeof in, NULL, 0);
    in[95] = 1; /* mod_len = 1 */
    CHECK_EQ_U64(modexp_gas(in, sizeof in, false), UINT64_MAX);
    CHECK_EQ_U64(modexp_gas(in, sizeof in, true), UINT64_MAX);
    check_modexp(in, sizeof in);
    /* exp_len just around 2^64, where EIP-198's divisor 20 keeps the gas
     * below 2^64 for a complexity of 1 */
    memset(in + 32, 0, 32);
    in[32 + 23] = 1; /* exp_len = 2^64 */
    check_modexp(in, sizeof in);
    in[32 + 23] = 0;
    memset(in + 32 + 24, 0xff, 8); /* 2^64 - 1 */
    check_modexp(in, sizeof in);
    memset(in + 32 + 24, 0, 8);
    in[32 + 23] = 2; /* 2^65: 8 * 2^65 / 20 > 2^64 */
    check_modexp(in, sizeof in);
    /* base_len past 2^64 with a modest modulus */
    memset(in, 0, 64);
    in[8] = 1; /* base_len = 2^184 */
    in[63] = 1;
    check_modexp(in, sizeof in);
}

/* A length field value: mostly small, sometimes at the 32-byte boundary,
 * sometimes huge. */
static void random_length(uint8_t field[32], size_t *small) {
    memset(field, 0, 32);
    *small = 0;
    int shape = (int)(rnd() % 16);
    if (shape < 12) {
        static const size_t picks[] = {0, 1, 2, 5, 31, 32, 33, 40, 64, 65, 100, 200};
        *small = shape < 6 ? picks[rnd() % 12] : rnd() % 300;
        field[30] = (uint8_t)(*small >> 8), field[31] = (uint8_t)*small;
    } else if (shape < 15) {
        int byte = (int)(rnd() % 32); /* a huge value */
        field[byte] = (uint8_t)(1 + rnd() % 255);
        *small = SIZE_MAX;
    } else {
        memset(field + 24, 0xff, 8); /* near 2^64 */
        field[31] -= (uint8_t)(rnd() % 3);
        *small = SIZE_MAX;
    }
}

TEST(modexp_random_vs_reference) {
    static uint8_t in[96 + 3 * 300 + 64];
    for (int iter = 0; iter < 4000; iter++) {
        size_t sizes[3], total = 96;
        for (int f = 0; f < 3; f++) {
            random_length(in + 32 * f, &sizes[f]);
            if (sizes[f] != SIZE_MAX)
                total += sizes[f];
        }
        for (size_t i = 96; i < sizeof in; i++)
            in[i] = (uint8_t)rnd();
        if (rnd() % 4 == 0) /* make the exponent head all zero sometimes */
            memset(in + 96 + (sizes[0] == SIZE_MAX ? 0 : sizes[0]), 0, 40);
        size_t len = total;
        switch (rnd() % 4) { /* cut inside the data or the header */
        case 0:
            len = (size_t)(rnd() % (total + 1));
            break;
        case 1:
            len = total + (size_t)(rnd() % 20);
            break;
        default:
            break;
        }
        if (len > sizeof in)
            len = sizeof in;
        check_modexp(in, len);
    }
}

/* Gas for every exponent length up to 100 with exponent heads of every bit
 * length, across the complexity formulas' breakpoints. */
TEST(modexp_gas_sweep) {
    static const unsigned sizes[] = {0, 1, 8, 9, 32, 64, 65, 1024, 1025, 5000};
    static uint8_t in[96 + 5000 + 200];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (unsigned exp_len = 0; exp_len <= 100; exp_len++) {
            memset(in, 0, sizeof in);
            unsigned base_len = sizes[s], mod_len = sizes[(s * 7 + exp_len) % 10];
            in[30] = (uint8_t)(base_len >> 8), in[31] = (uint8_t)base_len;
            in[62] = (uint8_t)(exp_len >> 8), in[63] = (uint8_t)exp_len;
            in[94] = (uint8_t)(mod_len >> 8), in[95] = (uint8_t)mod_len;
            uint8_t *exp = in + 96 + base_len;
            unsigned lead = (unsigned)(rnd() % (exp_len + 1)); /* leading zero bytes */
            for (unsigned i = lead; i < exp_len; i++)
                exp[i] = (uint8_t)rnd();
            if (lead < exp_len)
                exp[lead] >>= rnd() % 8;
            size_t len = 96 + base_len + exp_len + mod_len;
            CHECK_EQ_U64(modexp_gas(in, len, false), ref_gas(in, len, false));
            CHECK_EQ_U64(modexp_gas(in, len, true), ref_gas(in, len, true));
            CHECK_EQ_U64(modexp_gas(in, len, MODEXP_EIP7883), ref_gas_osaka(in, len));
        }
    }
}

/* EIP-7883 examples and EIP-7823 bounds, also through precompile_run. */
TEST(modexp_osaka_pricing_and_bounds) {
    uint8_t in[96 + 3 * 1025] = {0};
    /* 3^(p-1) mod p with 32-byte operands: 16 * 255 (was 1360 in Berlin) */
    size_t n = from_hex(W1 W32 W32 "03"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                        in, sizeof in);
    CHECK_EQ_U64(modexp_gas(in, n, MODEXP_EIP7883), 4080);
    /* minimum 500; 33-byte modulus: 2 * 5^2 = 50 per iteration */
    n = from_hex(W1 W1 W1 "03" "05" "07", in, sizeof in);
    CHECK_EQ_U64(modexp_gas(in, n, MODEXP_EIP7883), 500);
    uint8_t none[1];
    CHECK_EQ_U64(modexp_gas(none, 0, MODEXP_EIP7883), 500);
    memset(in, 0, sizeof in);
    in[31] = 1, in[63] = 33, in[95] = 33;       /* exp 33 bytes, mod 33 bytes */
    in[96 + 1] = 0x80;                          /* head: bit 255 set */
    /* iterations 16 * 1 + 255, complexity 2 * 5^2 = 50 */
    CHECK_EQ_U64(modexp_gas(in, 96 + 1 + 33 + 33, MODEXP_EIP7883), 50 * (16 + 255));
    /* bounds: each length at most 1024 */
    evm_vm *vm = evm_vm_new();
    address a = {{0}};
    a.b[19] = 5;
    for (int field = 0; field < 3; field++) {
        for (unsigned v = 1023; v <= 1025; v++) {
            memset(in, 0, 96);
            in[32 * field + 30] = (uint8_t)(v >> 8), in[32 * field + 31] = (uint8_t)v;
            CHECK(modexp_within_eip7823_bounds(in, 96) == (v <= 1024));
            size_t len = 96 + v;
            evm_result r = precompile_run(vm, &a, FORK_OSAKA, in, len, 100000000, 0);
            CHECK((r.status == EVM_SUCCESS) == (v <= 1024));
            if (v > 1024)
                CHECK(r.status == EVM_PRECOMPILE_FAILURE && r.gas_left == 0);
            /* Prague has no bound */
            r = precompile_run(vm, &a, FORK_PRAGUE, in, len, 100000000, 0);
            CHECK(r.status == EVM_SUCCESS);
        }
    }
    memset(in, 0, 96);
    memset(in + 64, 0xff, 32);                  /* mod_len 2^256 - 1 */
    CHECK(!modexp_within_eip7823_bounds(in, 96));
    CHECK(!modexp_within_eip7823_bounds(in, 65)); /* a truncated length word */
    CHECK(modexp_within_eip7823_bounds(in, 0));   /* empty data: lengths 0 */
    evm_vm_free(vm);
}

/* ---- fixtures ---- */

TEST(modexp_pyspecs_expected_outputs) {
    json_t *root;
    if (!fixture_load("Pyspecs/byzantium/eip198_modexp_precompile/modexp.json", &root))
        return;
    const char *name;
    json_t *test;
    size_t checked = 0;
    json_object_foreach(root, name, test) {
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK(fixture_data(test, 0, &buf, &len));
        check_modexp(buf, len);
        const char *marker = strstr(name, "returned_data_0x");
        if (marker && buf) {
            char hex[512] = {0};
            size_t i = 0;
            for (const char *c = marker + strlen("returned_data_"); *c && *c != ']' && i < 511; c++)
                hex[i++] = *c;
            uint8_t want[256], got[256];
            long wn = hex_decode(hex, want, sizeof want);
            CHECK(wn >= 0);
            if (wn >= 0) {
                CHECK_EQ_U64(modexp_output_len(buf, len), (uint64_t)wn);
                modexp_run(buf, len, got, (size_t)wn);
                CHECK_MEM(got, want, (size_t)wn);
                checked++;
            }
        }
        free(buf);
    }
    CHECK(checked > 0);
    json_decref(root);
}

TEST(modexp_state_test_inputs) {
    /* raw call data passed straight to the precompile */
    const char *raw[] = {"stPreCompiledContracts/modexp.json",
                         "stPreCompiledContracts2/modexpRandomInput.json",
                         "stPreCompiledContracts2/modexp_0_0_0_20500.json",
                         "stPreCompiledContracts2/modexp_0_0_0_22000.json",
                         "stPreCompiledContracts2/modexp_0_0_0_25000.json",
                         "stPreCompiledContracts2/modexp_0_0_0_35000.json"};
    for (size_t k = 0; k < sizeof raw / sizeof raw[0]; k++) {
        json_t *root, *test = fixture_load(raw[k], &root);
        for (size_t i = 0; test && i < fixture_data_count(test); i++) {
            uint8_t *buf = NULL;
            size_t len = 0;
            CHECK(fixture_data(test, i, &buf, &len));
            check_modexp(buf, len);
            free(buf);
        }
        json_decref(root);
    }
    /* modexpTests: f(base, exp, mod) as three words, sent with 32-byte
     * lengths */
    json_t *root, *test = fixture_load("stPreCompiledContracts/modexpTests.json", &root);
    for (size_t i = 0; test && i < fixture_data_count(test); i++) {
        uint8_t *buf = NULL, in[192] = {0};
        size_t len = 0;
        CHECK(fixture_data(test, i, &buf, &len));
        in[31] = in[63] = in[95] = 32;
        if (buf && len >= 4)
            memcpy(in + 96, buf + 4, len - 4 < 96 ? len - 4 : 96);
        check_modexp(in, sizeof in);
        free(buf);
    }
    json_decref(root);
}
