/* libFuzzer target for the EIP-2537 precompiles. The first byte picks a
 * mode: raw G1ADD / G2ADD inputs (a success must give a point on the curve,
 * the same for both argument orders), raw MAP inputs (a success must land in
 * the subgroup), raw MSM and pairing inputs of up to three pairs (run twice:
 * deterministic), structured MSMs of multiples of the generators, optionally
 * perturbed, against the sum of single multiplications, and pairing
 * bilinearity e([a]P, Q) e(-P, [a]Q) = 1 on fuzzed scalars. */
#include <stdlib.h>

#include "crypto/bls12_381.h"
#include "parevm/precompile_math.h"

/* Copies up to n input bytes into out (size n), zero-padding the rest. */
static void take(uint8_t *out, size_t n, const uint8_t **data, size_t *size) {
    size_t k = *size < n ? *size : n;
    memset(out, 0, n);
    memcpy(out, *data, k);
    *data += k, *size -= k;
}

static void scalar_of(bls_scalar *k, const uint8_t b[32]) {
    for (int i = 0; i < 4; i++) {
        k->l[i] = 0;
        for (int j = 0; j < 8; j++)
            k->l[i] = (k->l[i] << 8) | b[(3 - i) * 8 + j];
    }
}

static void fp_out(uint8_t out[64], const bls_fp *a) {
    memset(out, 0, 16);
    bls_fp_to_bytes(out + 16, a);
}

static void g1_out(uint8_t out[128], const bls_g1 *p) {
    bls_g1_affine a;
    bls_g1_to_affine(&a, p);
    memset(out, 0, 128);
    if (!a.inf) {
        fp_out(out, &a.x);
        fp_out(out + 64, &a.y);
    }
}

static void g2_out(uint8_t out[256], const bls_g2 *p) {
    bls_g2_affine a;
    bls_g2_to_affine(&a, p);
    memset(out, 0, 256);
    if (!a.inf) {
        fp_out(out, &a.x.c0);
        fp_out(out + 64, &a.x.c1);
        fp_out(out + 128, &a.y.c0);
        fp_out(out + 192, &a.y.c1);
    }
}

/* A G1 point encoding decodes, is on the curve and (if asked) in G1: checked
 * through the MSM precompile with scalar 1, which must return it as is. */
static bool g1_in_group(const uint8_t p[128]) {
    uint8_t in[160], out[128];
    memcpy(in, p, 128);
    memset(in + 128, 0, 32);
    in[159] = 1;
    return bls12_g1msm(in, 1, out) && memcmp(out, p, 128) == 0;
}

static bool g2_in_group(const uint8_t p[256]) {
    uint8_t in[288], out[256];
    memcpy(in, p, 256);
    memset(in + 256, 0, 32);
    in[287] = 1;
    return bls12_g2msm(in, 1, out) && memcmp(out, p, 256) == 0;
}

static void raw_add(const uint8_t *data, size_t size, bool g2) {
    uint8_t in[512], swapped[512], out[256], out2[256];
    size_t half = g2 ? 256 : 128;
    take(in, 2 * half, &data, &size);
    memcpy(swapped, in + half, half);
    memcpy(swapped + half, in, half);
    bool ok = g2 ? bls12_g2add(in, out) : bls12_g1add(in, out);
    bool ok2 = g2 ? bls12_g2add(swapped, out2) : bls12_g1add(swapped, out2);
    if (ok != ok2 || (ok && memcmp(out, out2, half) != 0))
        abort();
    if (ok) { /* the sum is a valid ADD operand again */
        memcpy(in, out, half);
        if (!(g2 ? bls12_g2add(in, out2) : bls12_g1add(in, out2)))
            abort();
    }
}

static void raw_map(const uint8_t *data, size_t size, bool g2) {
    uint8_t in[128], out[256];
    take(in, g2 ? 128 : 64, &data, &size);
    if (!g2 && bls12_map_fp_to_g1(in, out) && !g1_in_group(out))
        abort();
    if (g2 && bls12_map_fp2_to_g2(in, out) && !g2_in_group(out))
        abort();
}

static void raw_multi(const uint8_t *data, size_t size, int which) {
    static const size_t pair[3] = {160, 288, 384};
    size_t k = size / pair[which];
    if (k > 3)
        k = 3;
    uint8_t out[256], out2[256];
    bool r1 = false, r2 = false, ok, ok2;
    if (which == 0) {
        ok = bls12_g1msm(data, k, out), ok2 = bls12_g1msm(data, k, out2);
    } else if (which == 1) {
        ok = bls12_g2msm(data, k, out), ok2 = bls12_g2msm(data, k, out2);
    } else {
        ok = bls12_pairing(data, k, &r1), ok2 = bls12_pairing(data, k, &r2);
        memset(out, 0, 256), memset(out2, 0, 256);
    }
    if (ok != ok2 || r1 != r2 || (ok && memcmp(out, out2, which == 0 ? 128 : 256) != 0))
        abort();
    /* precompile_error's reasons: one iff refused */
    bool decodes = k > 0;
    for (size_t i = 0; i < k; i++) {
        const uint8_t *p = data + i * pair[which];
        decodes = decodes && (which == 1 ? !bls12_g2_error(p, true) : !bls12_g1_error(p, true)) &&
                  (which != 2 || !bls12_g2_error(p + 128, true));
    }
    if (decodes != ok)
        abort();
}

/* MSM of up to 4 multiples of the generator (one byte of the input may be
 * flipped afterwards) against the naive sum. */
static void structured_msm(const uint8_t *data, size_t size, bool g2) {
    uint8_t tweak[2];
    take(tweak, 2, &data, &size);
    int n = tweak[0] % 4 + 1;
    size_t plen = g2 ? 256 : 128, pl = plen + 32;
    uint8_t in[4 * 288], out[256], want[256];
    bls_g1 s1, t1;
    bls_g2 s2, t2;
    bls_g1_set_inf(&s1);
    bls_g2_set_inf(&s2);
    for (int i = 0; i < n; i++) {
        uint8_t a[32], k[32];
        take(a, 32, &data, &size);
        take(k, 32, &data, &size);
        bls_scalar sa, sk;
        scalar_of(&sa, a);
        scalar_of(&sk, k);
        if (g2) {
            bls_g2_from_affine(&t2, &BLS_G2_GENERATOR);
            bls_g2_mul(&t2, &t2, &sa);
            g2_out(in + pl * i, &t2);
            bls_g2_mul(&t2, &t2, &sk);
            bls_g2_add(&s2, &s2, &t2);
        } else {
            bls_g1_from_affine(&t1, &BLS_G1_GENERATOR);
            bls_g1_mul(&t1, &t1, &sa);
            g1_out(in + pl * i, &t1);
            bls_g1_mul(&t1, &t1, &sk);
            bls_g1_add(&s1, &s1, &t1);
        }
        memcpy(in + pl * i + plen, k, 32);
    }
    if (tweak[0] & 0x80) { /* a perturbed input must not crash; no oracle */
        in[tweak[1] % (pl * (size_t)n)] ^= (uint8_t)(1u << (tweak[0] & 7));
        g2 ? (void)bls12_g2msm(in, (size_t)n, out) : (void)bls12_g1msm(in, (size_t)n, out);
        return;
    }
    if (g2) {
        g2_out(want, &s2);
        if (!bls12_g2msm(in, (size_t)n, out) || memcmp(out, want, 256) != 0)
            abort();
    } else {
        g1_out(want, &s1);
        if (!bls12_g1msm(in, (size_t)n, out) || memcmp(out, want, 128) != 0)
            abort();
    }
}

static void bilinearity(const uint8_t *data, size_t size) {
    uint8_t a[32], in[768];
    take(a, 32, &data, &size);
    bls_scalar k;
    scalar_of(&k, a);
    bls_g1 p;
    bls_g2 q;
    bls_g1_from_affine(&p, &BLS_G1_GENERATOR);
    bls_g2_from_affine(&q, &BLS_G2_GENERATOR);
    bls_g1 ap;
    bls_g2 aq;
    bls_g1_mul(&ap, &p, &k);
    bls_g2_mul(&aq, &q, &k);
    bls_g1_neg(&p, &p);
    g1_out(in, &ap);
    g2_out(in + 128, &q);
    g1_out(in + 384, &p);
    g2_out(in + 512, &aq);
    bool ok = false;
    if (!bls12_pairing(in, 2, &ok) || !ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    uint8_t mode = data[0] % 12;
    data++, size--;
    switch (mode) {
    case 0: raw_add(data, size, false); break;
    case 1: raw_add(data, size, true); break;
    case 2: raw_map(data, size, false); break;
    case 3: raw_map(data, size, true); break;
    case 4: raw_multi(data, size, 0); break;
    case 5: raw_multi(data, size, 1); break;
    case 6: raw_multi(data, size, 2); break;
    case 7: case 8: structured_msm(data, size, false); break;
    case 9: case 10: structured_msm(data, size, true); break;
    default: bilinearity(data, size); break;
    }
    return 0;
}
