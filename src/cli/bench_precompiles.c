/* parevm bench precompiles: time per call and Mgas/s at each precompile's
 * gas price on typical inputs, so that no precompile is a cheap
 * denial-of-service against block execution (target: 60 Mgas/s or more). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "parevm/evm.h"
#include "parevm/hex.h"
#include "parevm/tx.h"

static double clock_sec(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_sec(void) { return clock_sec(CLOCK_MONOTONIC); }
/* CPU time of this thread: what a call costs even when other processes
 * share the cores (wall-clock time then also counts their turns). */
static double cpu_sec(void) { return clock_sec(CLOCK_THREAD_CPUTIME_ID); }

/* Generators of the BN254 groups (EIP-197 encodings). */
static const char BN_G1[] =
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000002";
static const char BN_NEG_G1[] =
    "0000000000000000000000000000000000000000000000000000000000000001"
    "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45";
static const char BN_G2[] =
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
    "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
/* A correct KZG proof: ethereum/tests EIP-4844 external vectors,
 * verify_kzg_proof_case_correct_proof_1ce8e4f69d5df899. */
static const char KZG_INPUT[] =
    "01ad7666ef9d8f53b5adf54f029b13b6f171b1d0bd346a2ede315d3e243484ef"
    "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "93efc82d2017e9c57834a1246463e64774e56183bb247c8fc9dd98c56817e878d97b05f5c8d900acf1fbbbca6f14655692c51ff8"
    "1dd71dab71cefecd79e8274b4b7ba36a0f40e2dc086bc4061c7f63249877db23297212991fd63e07b7ebc348";

typedef struct {
    const char *name;
    uint16_t addr;
    fork_id fork;          /* the gas schedule the case is priced under */
    uint8_t *input;
    size_t len;
} bench_case;

static address precompile_address(uint16_t n) {
    address a = {{0}};
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

/* Shared machines are noisy: time SLICES slices and keep the median. */
enum { SLICES = 9 };
static const double SLICE_SEC = 0.05;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median wall-clock and CPU time per call over SLICES slices. */
static void median_time_per_call(evm_vm *vm, const address *a, const bench_case *c, double *wall,
                                 double *cpu) {
    double per[SLICES], per_cpu[SLICES];
    for (int s = 0; s < SLICES; s++) {
        int iters = 0;
        double t0 = now_sec(), c0 = cpu_sec(), t;
        do {
            precompile_run(vm, a, c->fork, c->input, c->len, INT64_MAX / 2, 0);
            iters++;
        } while ((t = now_sec() - t0) < SLICE_SEC);
        per[s] = t / iters;
        per_cpu[s] = (cpu_sec() - c0) / iters;
    }
    qsort(per, SLICES, sizeof per[0], cmp_double);
    qsort(per_cpu, SLICES, sizeof per_cpu[0], cmp_double);
    *wall = per[SLICES / 2];
    *cpu = per_cpu[SLICES / 2];
}

static void add_hex(bench_case *c, const char *name, uint16_t addr, const char *hex) {
    c->name = name;
    c->addr = addr;
    c->fork = FORK_CANCUN;
    if (!hex_decode_alloc(hex, &c->input, &c->len)) abort();
}

static void add_bytes(bench_case *c, const char *name, uint16_t addr, size_t len, uint64_t seed) {
    c->name = name;
    c->addr = addr;
    c->fork = FORK_CANCUN;
    c->len = len;
    c->input = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        c->input[i] = (uint8_t)(seed >> 56);
    }
}

/* MODEXP call data with base, exponent and modulus of `bytes` bytes each
 * (priced under Berlin's EIP-2565; add_modexp_osaka reprices for EIP-7883). */
static void add_modexp(bench_case *c, const char *name, size_t bytes, uint64_t seed) {
    add_bytes(c, name, 5, 96 + 3 * bytes, seed);
    memset(c->input, 0, 96);
    for (int k = 0; k < 3; k++) c->input[32 * k + 30] = (uint8_t)(bytes >> 8), c->input[32 * k + 31] = (uint8_t)bytes;
    c->input[96 + 3 * bytes - 1] |= 1; /* odd modulus */
    c->input[96 + 2 * bytes] |= 0x80; /* full-size modulus */
}

static void add_modexp_osaka(bench_case *c, const char *name, size_t bytes, uint64_t seed) {
    add_modexp(c, name, bytes, seed);
    c->fork = FORK_OSAKA;
}

/* ---- EIP-2537 and EIP-7951 inputs (priced under Osaka) ---- */

enum { BLS_G1ADD = 0x0b, BLS_G1MSM, BLS_G2ADD, BLS_G2MSM, BLS_PAIRING, BLS_MAP_G1, BLS_MAP_G2,
       P256VERIFY = 0x100 };

/* The G1 and G2 generators in EIP-2537 encoding. */
static const char BLS_G1_GEN[] =
    "0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
    "0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1";
static const char BLS_G2_GEN[] =
    "00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
    "0000000000000000000000000000000013e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "000000000000000000000000000000000ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"
    "000000000000000000000000000000000606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be";
/* A valid P256VERIFY input: EIP-7951's test vectors, wycheproof
 * ecdsa_secp256r1_sha256_p1363_test.json #1. */
static const char P256_INPUT[] =
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18"
    "4cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76"
    "2927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c732838"
    "c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e";

static uint64_t next_rand(uint64_t *seed) {
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed >> 11;
}

static void rand_bytes(uint8_t *out, size_t n, uint64_t *seed) {
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)next_rand(seed);
}

/* A random point of G1 (g2: G2) as [k]generator for a random full-width
 * k, computed with the MSM precompile itself. */
static void bls_random_point(evm_vm *vm, bool g2, uint8_t *out, uint64_t *seed) {
    size_t plen = g2 ? 256 : 128;
    uint8_t in[288];
    if (hex_decode(g2 ? BLS_G2_GEN : BLS_G1_GEN, in, plen) != (long)plen) abort();
    rand_bytes(in + plen, 32, seed);
    address a = precompile_address(g2 ? BLS_G2MSM : BLS_G1MSM);
    evm_result r = precompile_run(vm, &a, FORK_OSAKA, in, plen + 32, INT64_MAX / 2, 0);
    if (r.status != EVM_SUCCESS || r.output_size != plen) abort();
    memcpy(out, r.output, plen);
}

static void add_osaka(bench_case *c, const char *name, uint16_t addr, size_t len) {
    c->name = name;
    c->addr = addr;
    c->fork = FORK_OSAKA;
    c->len = len;
    c->input = calloc(1, len);
}

/* G1ADD / G2ADD of two random points. */
static void add_bls_add(bench_case *c, evm_vm *vm, bool g2, uint64_t seed) {
    size_t plen = g2 ? 256 : 128;
    add_osaka(c, g2 ? "bls g2 add" : "bls g1 add", g2 ? BLS_G2ADD : BLS_G1ADD, 2 * plen);
    bls_random_point(vm, g2, c->input, &seed);
    bls_random_point(vm, g2, c->input + plen, &seed);
}

/* G1MSM / G2MSM over k random points with random full-width scalars. */
static void add_bls_msm(bench_case *c, evm_vm *vm, bool g2, int k, const char *name, uint64_t seed) {
    size_t plen = g2 ? 256 : 128, pair = plen + 32;
    add_osaka(c, name, g2 ? BLS_G2MSM : BLS_G1MSM, pair * (size_t)k);
    for (int i = 0; i < k; i++) {
        bls_random_point(vm, g2, c->input + pair * (size_t)i, &seed);
        rand_bytes(c->input + pair * (size_t)i + plen, 32, &seed);
    }
}

/* PAIRING_CHECK over k pairs of random points (the answer is "false"; the
 * work is that of any check). */
static void add_bls_pairing(bench_case *c, evm_vm *vm, int k, const char *name, uint64_t seed) {
    add_osaka(c, name, BLS_PAIRING, 384 * (size_t)k);
    for (int i = 0; i < k; i++) {
        bls_random_point(vm, false, c->input + 384 * (size_t)i, &seed);
        bls_random_point(vm, true, c->input + 384 * (size_t)i + 128, &seed);
    }
}

/* MAP_FP_TO_G1 / MAP_FP2_TO_G2 of random field elements (top byte below
 * p's 0x1a, the 16 padding bytes zero). */
static void add_bls_map(bench_case *c, bool g2, uint64_t seed) {
    size_t n = g2 ? 2 : 1;
    add_osaka(c, g2 ? "bls map fp2 to g2" : "bls map fp to g1", g2 ? BLS_MAP_G2 : BLS_MAP_G1, 64 * n);
    for (size_t i = 0; i < n; i++) {
        rand_bytes(c->input + 64 * i + 16, 48, &seed);
        c->input[64 * i + 16] &= 0x0f;
    }
}

/* A valid ECRECOVER input: hash, v, r, s of a real signature. */
static void add_ecrecover(bench_case *c) {
    transaction tx = {0};
    tx.gas_limit = 21000;
    uint8_t key[32];
    memset(key, 0x42, 32);
    if (!tx_sign(&tx, key)) abort();
    bytes32 h = tx_signing_hash(&tx);
    c->name = "ecrecover";
    c->addr = 1;
    c->fork = FORK_CANCUN;
    c->len = 128;
    c->input = calloc(1, 128);
    memcpy(c->input, h.b, 32);
    c->input[63] = (uint8_t)tx.v.w[0];
    u256_to_be(&tx.r, c->input + 64);
    u256_to_be(&tx.s, c->input + 96);
}

int bench_precompiles(int argc, char **argv) {
    if (argc > 0) {
        fprintf(stderr, "usage: parevm bench precompiles   (no options: every precompile, median of 9 slices)\n");
        return 2;
    }
    (void)argv;
    bench_case cases[40];
    int n = 0;
    evm_vm *vm = evm_vm_new();
    add_ecrecover(&cases[n++]);
    add_bytes(&cases[n++], "sha256 128 bytes", 2, 128, 1);
    add_bytes(&cases[n++], "ripemd160 128 bytes", 3, 128, 2);
    add_bytes(&cases[n++], "identity 128 bytes", 4, 128, 3);
    add_modexp(&cases[n++], "modexp 256-bit", 32, 4);
    add_modexp(&cases[n++], "modexp 2048-bit", 256, 5);
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", BN_G1, BN_G1);
    add_hex(&cases[n++], "bn254 add", 6, buf);
    /* a full-width scalar: r-1 or other special values decompose to short
     * halves under GLV and would flatter the figure */
    snprintf(buf, sizeof buf, "%s%s", BN_G1, "2b8f1c6d93e04a57f1d0c6a3b9e27d5840f3a61c9e8b72d5a04c3f6e19b7d283");
    add_hex(&cases[n++], "bn254 mul", 7, buf);
    snprintf(buf, sizeof buf, "%s%s%s%s", BN_G1, BN_G2, BN_NEG_G1, BN_G2);
    add_hex(&cases[n++], "bn254 pairing 2 pairs", 8, buf);
    snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s%s", BN_G1, BN_G2, BN_NEG_G1, BN_G2, BN_G1, BN_G2, BN_NEG_G1, BN_G2);
    add_hex(&cases[n++], "bn254 pairing 4 pairs", 8, buf);
    add_bytes(&cases[n++], "blake2f 12 rounds", 9, 213, 6);
    memset(cases[n - 1].input, 0, 4);
    cases[n - 1].input[3] = 12;
    cases[n - 1].input[212] = 1;
    add_hex(&cases[n++], "point evaluation", 10, KZG_INPUT);
    /* Osaka's MODEXP pricing (EIP-7883), up to EIP-7823's 1024-byte bound */
    add_modexp_osaka(&cases[n++], "modexp 256-bit (Osaka)", 32, 7);
    add_modexp_osaka(&cases[n++], "modexp 2048-bit (Osaka)", 256, 8);
    add_modexp_osaka(&cases[n++], "modexp 8192-bit (Osaka)", 1024, 9);
    add_modexp_osaka(&cases[n++], "modexp 256-bit e=3 (Osaka)", 32, 10);
    memset(cases[n - 1].input + 96 + 32, 0, 31); /* exponent 3: the 500-gas floor */
    cases[n - 1].input[96 + 63] = 3;
    /* EIP-2537 (Prague) */
    add_bls_add(&cases[n++], vm, false, 11);
    add_bls_add(&cases[n++], vm, true, 12);
    add_bls_msm(&cases[n++], vm, false, 1, "bls g1 msm 1 pair", 13);
    add_bls_msm(&cases[n++], vm, false, 2, "bls g1 msm 2 pairs", 14);
    add_bls_msm(&cases[n++], vm, false, 16, "bls g1 msm 16 pairs", 15);
    add_bls_msm(&cases[n++], vm, false, 128, "bls g1 msm 128 pairs", 16);
    add_bls_msm(&cases[n++], vm, true, 1, "bls g2 msm 1 pair", 17);
    add_bls_msm(&cases[n++], vm, true, 2, "bls g2 msm 2 pairs", 18);
    add_bls_msm(&cases[n++], vm, true, 16, "bls g2 msm 16 pairs", 19);
    add_bls_msm(&cases[n++], vm, true, 128, "bls g2 msm 128 pairs", 20);
    add_bls_pairing(&cases[n++], vm, 1, "bls pairing 1 pair", 21);
    add_bls_pairing(&cases[n++], vm, 2, "bls pairing 2 pairs", 22);
    add_bls_pairing(&cases[n++], vm, 8, "bls pairing 8 pairs", 23);
    add_bls_map(&cases[n++], false, 24);
    add_bls_map(&cases[n++], true, 25);
    /* EIP-7951 (Osaka) */
    add_hex(&cases[n++], "p256verify", P256VERIFY, P256_INPUT);
    cases[n - 1].fork = FORK_OSAKA;

    printf("time per call: median of %d slices of %.0f ms each\n", SLICES, SLICE_SEC * 1e3);
    printf("Mgas/s from CPU time per call (wall-clock in brackets: higher on a busy machine);\n"
           "the 60 Mgas/s floor applies to the CPU-time figure\n");
    printf("%-28s %10s %12s %10s %10s\n", "precompile", "gas", "us/call", "Mgas/s", "(wall)");
    int slow = 0;
    for (int i = 0; i < n; i++) {
        bench_case *c = &cases[i];
        address a = precompile_address(c->addr);
        evm_result r = precompile_run(vm, &a, c->fork, c->input, c->len, INT64_MAX / 2, 0);
        if (r.status != EVM_SUCCESS) {
            printf("%-28s %10s %12s %10s %10s  (call failed: %s)\n", c->name, "-", "-", "-", "-",
                   evm_status_name(r.status));
            slow++;
            free(c->input);
            continue;
        }
        uint64_t gas = (uint64_t)(INT64_MAX / 2 - r.gas_left);
        double wall, cpu;
        median_time_per_call(vm, &a, c, &wall, &cpu);
        double mgas = (double)gas / cpu / 1e6, mgas_wall = (double)gas / wall / 1e6;
        printf("%-28s %10llu %12.2f %10.1f %10.1f%s\n", c->name, (unsigned long long)gas, cpu * 1e6, mgas,
               mgas_wall, mgas < 60 ? "  below 60 Mgas/s" : "");
        slow += mgas < 60;
        free(c->input);
    }
    evm_vm_free(vm);
    if (slow) printf("%d precompile(s) below 60 Mgas/s or failing\n", slow);
    return 0;
}
