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

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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
    uint8_t addr;
    uint8_t *input;
    size_t len;
} bench_case;

/* Shared machines are noisy: time SLICES slices and keep the median. */
enum { SLICES = 9 };
static const double SLICE_SEC = 0.05;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_time_per_call(evm_vm *vm, const address *a, const bench_case *c) {
    double per[SLICES];
    for (int s = 0; s < SLICES; s++) {
        int iters = 0;
        double t0 = now_sec(), t;
        do {
            precompile_run(vm, a, FORK_CANCUN, c->input, c->len, INT64_MAX / 2, 0);
            iters++;
        } while ((t = now_sec() - t0) < SLICE_SEC);
        per[s] = t / iters;
    }
    qsort(per, SLICES, sizeof per[0], cmp_double);
    return per[SLICES / 2];
}

static void add_hex(bench_case *c, const char *name, uint8_t addr, const char *hex) {
    c->name = name;
    c->addr = addr;
    if (!hex_decode_alloc(hex, &c->input, &c->len)) abort();
}

static void add_bytes(bench_case *c, const char *name, uint8_t addr, size_t len, uint64_t seed) {
    c->name = name;
    c->addr = addr;
    c->len = len;
    c->input = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        c->input[i] = (uint8_t)(seed >> 56);
    }
}

/* MODEXP call data with base, exponent and modulus of `bytes` bytes each. */
static void add_modexp(bench_case *c, const char *name, size_t bytes, uint64_t seed) {
    add_bytes(c, name, 5, 96 + 3 * bytes, seed);
    memset(c->input, 0, 96);
    for (int k = 0; k < 3; k++) c->input[32 * k + 30] = (uint8_t)(bytes >> 8), c->input[32 * k + 31] = (uint8_t)bytes;
    c->input[96 + 3 * bytes - 1] |= 1; /* odd modulus */
    c->input[96 + 2 * bytes] |= 0x80; /* full-size modulus */
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
    c->len = 128;
    c->input = calloc(1, 128);
    memcpy(c->input, h.b, 32);
    c->input[63] = (uint8_t)tx.v.w[0];
    u256_to_be(&tx.r, c->input + 64);
    u256_to_be(&tx.s, c->input + 96);
}

int bench_precompiles(int argc, char **argv) {
    (void)argc;
    (void)argv;
    bench_case cases[16];
    int n = 0;
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

    evm_vm *vm = evm_vm_new();
    printf("time per call: median of %d slices of %.0f ms each\n", SLICES, SLICE_SEC * 1e3);
    printf("%-24s %10s %12s %10s\n", "precompile", "gas", "us/call", "Mgas/s");
    int slow = 0;
    for (int i = 0; i < n; i++) {
        bench_case *c = &cases[i];
        address a = {{0}};
        a.b[19] = c->addr;
        evm_result r = precompile_run(vm, &a, FORK_CANCUN, c->input, c->len, INT64_MAX / 2, 0);
        if (r.status != EVM_SUCCESS) {
            printf("%-24s %10s %12s %10s  (call failed: %s)\n", c->name, "-", "-", "-", evm_status_name(r.status));
            slow++;
            free(c->input);
            continue;
        }
        uint64_t gas = (uint64_t)(INT64_MAX / 2 - r.gas_left);
        double per = median_time_per_call(vm, &a, c);
        double mgas = (double)gas / per / 1e6;
        printf("%-24s %10llu %12.2f %10.1f%s\n", c->name, (unsigned long long)gas, per * 1e6, mgas,
               mgas < 60 ? "  below 60 Mgas/s" : "");
        slow += mgas < 60;
        free(c->input);
    }
    evm_vm_free(vm);
    if (slow) printf("%d precompile(s) below 60 Mgas/s or failing\n", slow);
    return 0;
}
