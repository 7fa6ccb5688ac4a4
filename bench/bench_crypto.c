/* Micro-benchmark of the precompile mathematics: time per call and the gas
 * throughput it implies (gas / time) for ECADD, ECMUL, ECPAIRING (2 and 4
 * pairs), MODEXP (256- and 2048-bit, EIP-2565 gas) and BLAKE2F (12 rounds).
 * Usage: bench_crypto [seconds per case, default 1]. Reports the median
 * and the best of 15 time slices per case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parevm/precompile_math.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_bytes(uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)rnd();
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef bool (*bench_fn)(void *ctx);

#define SLICES 15

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Calls fn for about `budget` seconds, split into slices so that a slice
 * disturbed by other load on the machine can be told apart; prints the
 * median and the best slice's time per call and the Mgas/s at `gas`. */
static void run_case(const char *name, bench_fn fn, void *ctx, uint64_t gas, double budget) {
    if (!fn(ctx)) {
        printf("%-20s FAILED\n", name);
        return;
    }
    /* calls per clock reading: enough for about a millisecond, so the
     * clock's own cost stays out of the figures */
    uint64_t batch = 1;
    for (;;) {
        double start = now_s();
        for (uint64_t i = 0; i < batch; i++)
            fn(ctx);
        if (now_s() - start > 1e-3)
            break;
        batch *= 2;
    }
    double per_call[SLICES];
    for (int s = 0; s < SLICES; s++) {
        uint64_t calls = 0;
        double start = now_s(), elapsed = 0;
        while (elapsed < budget / SLICES) {
            for (uint64_t i = 0; i < batch; i++)
                fn(ctx);
            calls += batch;
            elapsed = now_s() - start;
        }
        per_call[s] = elapsed / (double)calls * 1e6;
    }
    qsort(per_call, SLICES, sizeof per_call[0], compare_double);
    double median = per_call[SLICES / 2], best = per_call[0];
    printf("%-20s %10.3f us/call (best %10.3f) %8llu gas %8.1f Mgas/s (best %8.1f)\n", name,
           median, best, (unsigned long long)gas, (double)gas / median, (double)gas / best);
}

/* ---- inputs ---- */

static const uint8_t G2_GEN[128] = {
    0x19, 0x8e, 0x93, 0x93, 0x92, 0x0d, 0x48, 0x3a, 0x72, 0x60, 0xbf, 0xb7, 0x31, 0xfb, 0x5d,
    0x25, 0xf1, 0xaa, 0x49, 0x33, 0x35, 0xa9, 0xe7, 0x12, 0x97, 0xe4, 0x85, 0xb7, 0xae, 0xf3,
    0x12, 0xc2, 0x18, 0x00, 0xde, 0xef, 0x12, 0x1f, 0x1e, 0x76, 0x42, 0x6a, 0x00, 0x66, 0x5e,
    0x5c, 0x44, 0x79, 0x67, 0x43, 0x22, 0xd4, 0xf7, 0x5e, 0xda, 0xdd, 0x46, 0xde, 0xbd, 0x5c,
    0xd9, 0x92, 0xf6, 0xed, 0x09, 0x06, 0x89, 0xd0, 0x58, 0x5f, 0xf0, 0x75, 0xec, 0x9e, 0x99,
    0xad, 0x69, 0x0c, 0x33, 0x95, 0xbc, 0x4b, 0x31, 0x33, 0x70, 0xb3, 0x8e, 0xf3, 0x55, 0xac,
    0xda, 0xdc, 0xd1, 0x22, 0x97, 0x5b, 0x12, 0xc8, 0x5e, 0xa5, 0xdb, 0x8c, 0x6d, 0xeb, 0x4a,
    0xab, 0x71, 0x80, 0x8d, 0xcb, 0x40, 0x8f, 0xe3, 0xd1, 0xe7, 0x69, 0x0c, 0x43, 0xd3, 0x7b,
    0x4c, 0xe6, 0xcc, 0x01, 0x66, 0xfa, 0x7d, 0xaa};

/* A random G1 point k G. */
static void random_g1(uint8_t out[64]) {
    uint8_t in[96] = {0};
    in[31] = 1, in[63] = 2;
    random_bytes(in + 64, 32);
    if (!bn254_mul(in, out))
        abort();
}

/* n pairs (k_i G, Q): a valid input whose check comes out false, which
 * costs the same as a true one. */
static void pairing_input(uint8_t *out, size_t pairs) {
    for (size_t i = 0; i < pairs; i++) {
        random_g1(out + 192 * i);
        memcpy(out + 192 * i + 64, G2_GEN, 128);
    }
}

typedef struct {
    uint8_t in[192 * 4];
    size_t len;
} bytes_ctx;

static bool call_ecadd(void *c) {
    uint8_t out[64];
    return bn254_add(((bytes_ctx *)c)->in, out);
}
static bool call_ecmul(void *c) {
    uint8_t out[64];
    return bn254_mul(((bytes_ctx *)c)->in, out);
}
static bool call_pairing(void *c) {
    bytes_ctx *b = c;
    bool ok;
    return bn254_pairing_check(b->in, b->len, &ok);
}
static bool call_blake2f(void *c) {
    uint8_t out[64];
    return blake2f(((bytes_ctx *)c)->in, 213, out);
}

typedef struct {
    uint8_t in[96 + 3 * 256];
    size_t len;
    uint8_t out[256];
} modexp_ctx;

static bool call_modexp(void *c) {
    modexp_ctx *m = c;
    modexp_run(m->in, m->len, m->out, (size_t)modexp_output_len(m->in, m->len));
    return true;
}

static void modexp_input(modexp_ctx *m, size_t n) {
    memset(m->in, 0, sizeof m->in);
    for (int f = 0; f < 3; f++)
        m->in[32 * f + 30] = (uint8_t)(n >> 8), m->in[32 * f + 31] = (uint8_t)n;
    random_bytes(m->in + 96, 3 * n);
    m->in[96] |= 0x80;         /* full-length base */
    m->in[96 + n] |= 0x80;     /* full-length exponent */
    m->in[96 + 2 * n] |= 0x80; /* full-length, odd modulus */
    m->in[96 + 3 * n - 1] |= 1;
    m->len = 96 + 3 * n;
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 1.0;
    bytes_ctx b;

    random_g1(b.in);
    random_g1(b.in + 64);
    run_case("ecadd", call_ecadd, &b, 150, budget);

    random_g1(b.in);
    random_bytes(b.in + 64, 32);
    run_case("ecmul", call_ecmul, &b, 6000, budget);

    pairing_input(b.in, 2);
    b.len = 384;
    run_case("ecpairing 2 pairs", call_pairing, &b, 45000 + 2 * 34000, budget);
    pairing_input(b.in, 4);
    b.len = 768;
    run_case("ecpairing 4 pairs", call_pairing, &b, 45000 + 4 * 34000, budget);

    static modexp_ctx m;
    modexp_input(&m, 32);
    run_case("modexp 256-bit", call_modexp, &m, modexp_gas(m.in, m.len, true), budget);
    modexp_input(&m, 256);
    run_case("modexp 2048-bit", call_modexp, &m, modexp_gas(m.in, m.len, true), budget);

    memset(b.in, 0, 213);
    b.in[3] = 12;
    random_bytes(b.in + 4, 208);
    b.in[212] = 1;
    run_case("blake2f 12 rounds", call_blake2f, &b, 12, budget);
    return 0;
}
