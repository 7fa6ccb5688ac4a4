/* libFuzzer target for the BN254 precompiles. The first byte picks a mode:
 * raw ECADD / ECMUL inputs checked against the GMP reference, structured
 * inputs built from valid points (scalar multiples, optionally perturbed),
 * raw pairing inputs (at most 4 pairs), pairing bilinearity on fuzzed
 * scalars, and the G2 subgroup test against [r]Q = 0 on multiples of a
 * twist point outside G2. */
#include <stdlib.h>

#include "../tests/ref_bn254_g1.h"
#include "crypto/bn254.h"
#include "parevm/precompile_math.h"

static const char *R_HEX = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/* EIP-197 G2 generator and a point of the twist outside G2 (from the
 * stZeroKnowledge ecpairing_inputs fixture), (x_im, x_re, y_im, y_re). */
static const char *G2_GEN =
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
    "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
static const char *G2_OUTSIDE =
    "0000000000000000000000800000000000000000000000000000000000000000"
    "070a77c19a07df2e666ea36f7879462c0a78ebbdf5c70b3dd35d438dc58f0d9d"
    "0a2dd5b476a606a8243e7e879bddaa8086ba658087aacc4d986a10c74dd9e774"
    "2d46618f9d516e0f07a59d3c97f5e167a1b49ebe9fb30dd05bded8185a545420";

static void unhex(const char *hex, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = hex[2 * i + j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
}

/* Copies up to n input bytes into out (size n), zero-padding the rest. */
static void take(uint8_t *out, size_t n, const uint8_t **data, size_t *size) {
    size_t k = *size < n ? *size : n;
    memset(out, 0, n);
    memcpy(out, *data, k);
    *data += k, *size -= k;
}

static void g1_of_scalar(uint8_t out[64], const uint8_t k[32]) {
    uint8_t in[96] = {0};
    in[31] = 1, in[63] = 2;
    memcpy(in + 64, k, 32);
    if (!bn254_mul(in, out))
        abort();
}

static void compare_ecadd(const uint8_t in[128]) {
    uint8_t got[64], want[64];
    bool ok = bn254_add(in, got);
    if (ok != ref_ecadd(in, want) || (ok && memcmp(got, want, 64) != 0))
        abort();
    if (ok != (!bn254_g1_error(in) && !bn254_g1_error(in + 64))) /* a reason iff refused */
        abort();
}

static void compare_ecmul(const uint8_t in[96]) {
    uint8_t got[64], want[64];
    bool ok = bn254_mul(in, got);
    if (ok != ref_ecmul(in, want) || (ok && memcmp(got, want, 64) != 0))
        abort();
    if (ok != !bn254_g1_error(in))
        abort();
}

/* Two points k1 G, k2 G, then an optional one-byte perturbation. */
static void structured_g1(const uint8_t *data, size_t size) {
    uint8_t k1[32], k2[32], k3[32], tweak[2], in[128];
    take(k1, 32, &data, &size);
    take(k2, 32, &data, &size);
    take(k3, 32, &data, &size);
    take(tweak, 2, &data, &size);
    g1_of_scalar(in, k1);
    g1_of_scalar(in + 64, k2);
    if (tweak[0] & 1)
        memcpy(in + 64, in, 64); /* doubling */
    if (tweak[0] & 2)
        in[tweak[1] % 128] ^= (uint8_t)(1u << (tweak[0] >> 5));
    compare_ecadd(in);
    uint8_t mul_in[96];
    memcpy(mul_in, in, 64);
    memcpy(mul_in + 64, k3, 32);
    compare_ecmul(mul_in);
}

/* e(a P, b Q) e(-ab P, Q) = 1 with fuzzed a, b. */
static void pairing_bilinearity(const uint8_t *data, size_t size) {
    uint8_t a[32], b[32], in[384];
    take(a, 32, &data, &size);
    take(b, 32, &data, &size);
    g2_affine gen, bq;
    uint8_t gen_bytes[128];
    unhex(G2_GEN, gen_bytes, 128);
    if (!g2_decode(&gen, gen_bytes))
        abort();
    g1_of_scalar(in, a);
    g2_mul(&bq, &gen, b);
    g2_encode(in + 64, &bq);
    mpz_t x, y, r;
    mpz_inits(x, y, r, NULL);
    mpz_set_str(r, R_HEX, 16);
    mpz_import(x, 32, 1, 1, 1, 0, a);
    mpz_import(y, 32, 1, 1, 1, 0, b);
    mpz_mul(x, x, y);
    mpz_neg(x, x);
    mpz_mod(x, x, r);
    uint8_t ab[32];
    ref_be32_from_mpz(ab, x);
    mpz_clears(x, y, r, NULL);
    g1_of_scalar(in + 192, ab);
    memcpy(in + 256, gen_bytes, 128);
    bool ok = false;
    if (!bn254_pairing_check(in, sizeof in, &ok) || !ok)
        abort();
}

/* k Q0 for a twist point Q0 outside G2: the endomorphism test must agree
 * with multiplication by r. */
static void subgroup_consistency(const uint8_t *data, size_t size) {
    uint8_t k[32], bytes[128], rb[32];
    take(k, 32, &data, &size);
    unhex(G2_OUTSIDE, bytes, 128);
    unhex(R_HEX, rb, 32);
    g2_affine q0, q, t;
    if (g2_decode(&q0, bytes)) /* it must not decode: it is outside G2 */
        abort();
    q0.inf = false;
    if (!fp_from_bytes(&q0.x.c1, bytes) || !fp_from_bytes(&q0.x.c0, bytes + 32) ||
        !fp_from_bytes(&q0.y.c1, bytes + 64) || !fp_from_bytes(&q0.y.c0, bytes + 96) ||
        !g2_on_curve(&q0) || g2_in_subgroup(&q0))
        abort();
    g2_mul(&q, &q0, k);
    if (q.inf)
        return;
    g2_mul(&t, &q, rb);
    if (!g2_on_curve(&q) || g2_in_subgroup(&q) != t.inf)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    uint8_t mode = data[0] % 6;
    data++, size--;
    uint8_t buf[192 * 4];
    bool ok;
    switch (mode) {
    case 0:
        take(buf, 128, &data, &size);
        compare_ecadd(buf);
        break;
    case 1:
        take(buf, 96, &data, &size);
        compare_ecmul(buf);
        break;
    case 2:
        structured_g1(data, size);
        break;
    case 3: {
        size_t len = size > sizeof buf ? sizeof buf : size - size % 192;
        bool first = bn254_pairing_check(data, len, &ok), ok2 = false;
        if (first != bn254_pairing_check(data, len, &ok2) || (first && ok != ok2))
            abort(); /* deterministic */
        bool decodes = true; /* a reason iff refused */
        for (size_t i = 0; i < len; i += 192)
            decodes = decodes && !bn254_g1_error(data + i) && !bn254_g2_error(data + i + 64);
        if (decodes != first)
            abort();
        break;
    }
    case 4:
        pairing_bilinearity(data, size);
        break;
    default:
        subgroup_consistency(data, size);
        break;
    }
    return 0;
}
