/* Unit tests for 0x100 P256VERIFY (EIP-7951): the EIP's input validation
 * rules one by one (r, s in [1, n-1], qx, qy below p, the key on the curve
 * and not (0, 0)), known answers from the EIP's test vectors (wycheproof),
 * including the two points where EIP-7951 differs from RIP-7212 (R' at
 * infinity fails; R'.x is compared with r modulo n), and through
 * precompile_run: activation from Osaka, 6900 gas whatever the input, a
 * 32-byte ...01 on success and empty output, never a failure, otherwise. */
#include "parevm/evm.h"
#include "parevm/hex.h"
#include "parevm/precompile_math.h"
#include "test.h"

/* EIP-7951 assets/eip-7951/test-vectors.json, from wycheproof
 * ecdsa_secp256r1_sha256_p1363_test.json. #1: a valid signature. */
static const char VALID[] =
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18"
    "4cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76"
    "2927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c732838"
    "c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e";
/* #113 "k*G has a large x-coordinate": valid only because R'.x is reduced
 * mod n before the comparison with r. */
static const char LARGE_X[] =
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    "000000000000000000000000000000004319055358e8617b0c46353d039cdaab"
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254e"
    "0ad99500288d466940031d72a9f5445a4d43784640855bf0a69874d2de5fe103"
    "c5011e6ef2c42dcd50d5d3d29f99ae6eba2c80c9244f4c5422f0979ff0c3ba5e";
/* #114 "r too large": the same signature with r + n (>= n): invalid. */
static const char R_TOO_LARGE[] =
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc"
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254e"
    "0ad99500288d466940031d72a9f5445a4d43784640855bf0a69874d2de5fe103"
    "c5011e6ef2c42dcd50d5d3d29f99ae6eba2c80c9244f4c5422f0979ff0c3ba5e";
/* #136 "point at infinity during verify": R' = O must fail. */
static const char R_INFINITY[] =
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8"
    "555555550000000055555555555555553ef7a8e48d07df81a693439654210c70"
    "b533d4695dd5b8c5e07757e55e6e516f7e2c88fa0239e23f60e8ec07dd70f287"
    "1b134ee58cc583278456863f33c3a85d881f7d4a39850143e29d4eaf009afe47";

static const char P_HEX[] = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
static const char N_HEX[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static void load(uint8_t in[160], const char *hex) { CHECK(hex_decode(hex, in, 160) == 160); }

TEST(p256_known_answers) {
    uint8_t in[160];
    load(in, VALID);
    CHECK(p256_verify(in));
    load(in, LARGE_X);
    CHECK(p256_verify(in));
    load(in, R_TOO_LARGE);
    CHECK(!p256_verify(in));
    load(in, R_INFINITY);
    CHECK(!p256_verify(in));
    /* any change of hash, r, s or the key breaks the signature */
    for (int field = 0; field < 5; field++) {
        load(in, VALID);
        in[32 * field + 31] ^= 1;
        CHECK(!p256_verify(in));
    }
}

TEST(p256_input_bounds) {
    uint8_t in[160], n[32], p[32];
    CHECK(hex_decode(N_HEX, n, 32) == 32 && hex_decode(P_HEX, p, 32) == 32);
    /* r and s must be in [1, n - 1]: 0 and n are rejected before any
     * arithmetic (n - 1 is in range but does not verify here) */
    for (int which = 1; which <= 2; which++) {
        load(in, VALID);
        memset(in + 32 * which, 0, 32);
        CHECK(!p256_verify(in));
        memcpy(in + 32 * which, n, 32);
        CHECK(!p256_verify(in));
        memset(in + 32 * which, 0xff, 32);
        CHECK(!p256_verify(in));
    }
    /* qx, qy below p; the key on the curve; (0, 0) is not a key */
    load(in, VALID);
    memcpy(in + 96, p, 32);
    CHECK(!p256_verify(in));
    load(in, VALID);
    memcpy(in + 128, p, 32);
    CHECK(!p256_verify(in));
    load(in, VALID);
    memset(in + 96, 0, 64);
    CHECK(!p256_verify(in));
    load(in, VALID);
    in[159] ^= 2;                                /* off the curve */
    CHECK(!p256_verify(in));
}

static address p256_address(void) {
    address a = {{0}};
    a.b[18] = 0x01;
    return a;
}

TEST(p256_through_precompile_run) {
    evm_vm *vm = evm_vm_new();
    address a = p256_address();
    CHECK(!precompile_is_active(&a, FORK_PRAGUE));
    CHECK(precompile_is_active(&a, FORK_OSAKA));
    uint8_t in[200] = {0};
    load(in, VALID);
    evm_result r = precompile_run(vm, &a, FORK_OSAKA, in, 160, 10000, 0);
    CHECK(r.status == EVM_SUCCESS && r.gas_left == 10000 - 6900);
    CHECK(r.output_size == 32 && r.output[31] == 1);
    for (int i = 0; i < 31; i++)
        CHECK(r.output[i] == 0);
    /* too little gas: out of gas */
    r = precompile_run(vm, &a, FORK_OSAKA, in, 160, 6899, 0);
    CHECK(r.status == EVM_OUT_OF_GAS);
    /* wrong lengths and invalid signatures: success, empty output, the same
     * 6900 gas */
    static const size_t lens[] = {0, 1, 159, 161, 192};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        r = precompile_run(vm, &a, FORK_OSAKA, in, lens[i], 7000, 0);
        CHECK(r.status == EVM_SUCCESS && r.gas_left == 100 && r.output_size == 0);
    }
    in[0] ^= 1;
    r = precompile_run(vm, &a, FORK_OSAKA, in, 160, 7000, 0);
    CHECK(r.status == EVM_SUCCESS && r.gas_left == 100 && r.output_size == 0);
    evm_vm_free(vm);
}
