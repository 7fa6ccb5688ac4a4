/* libFuzzer target for the EIP-4844 point evaluation and BLS12-381 point
 * decoding. The first byte picks a mode:
 *   0: raw 192-byte precompile input (zero-padded/truncated);
 *   1: the same with the versioned hash fixed up, to get past the hash check;
 *   2: G1 decompression: accepted encodings must be canonical (recompress to
 *      the same bytes) and give points on the curve in G1;
 *   3: G2 decompression, likewise;
 *   4: a valid proof of f(X) = a + bX built from the input (a, b, z) must
 *      verify, and must fail with y + 1;
 *   5: Fp parsing and square roots.
 * Any violated property aborts (the fuzzer reports a crash). */
#include "crypto/bls12_381.h"
#include "parevm/precompile_math.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

static void fix_hash(uint8_t in[192]) {
    SHA256(in + 96, 48, in);
    in[0] = 0x01;
}

static void require(bool cond) {
    if (!cond)
        abort();
}

static void fuzz_g1(const uint8_t in[48]) {
    bls_g1_affine p;
    if (!bls_g1_decompress(&p, in))
        return;
    uint8_t back[48];
    bls_g1_compress(back, &p);
    require(memcmp(back, in, 48) == 0);
    require(bls_g1_affine_on_curve(&p));
    bls_g1 t;
    bls_g1_from_affine(&t, &p);
    bls_g1_mul(&t, &t, &BLS_R);
    require(bls_g1_is_inf(&t));
}

static void fuzz_g2(const uint8_t in[96]) {
    bls_g2_affine q;
    if (!bls_g2_decompress(&q, in))
        return;
    uint8_t back[96];
    bls_g2_compress(back, &q);
    require(memcmp(back, in, 96) == 0);
    require(bls_g2_affine_on_curve(&q));
    bls_g2 t;
    bls_g2_from_affine(&t, &q);
    bls_g2_mul(&t, &t, &BLS_R);
    require(bls_g2_is_inf(&t));
}

/* k = 248-bit big-endian value (always below r). */
static bls_scalar scalar248(const uint8_t in[31]) {
    uint8_t be[32] = {0};
    memcpy(be + 1, in, 31);
    bls_scalar k;
    require(bls_scalar_from_bytes(&k, be));
    return k;
}

/* out = a + b z mod r (32 bytes big-endian), computed independently of the
 * library: schoolbook product, then bitwise long division by r. */
static void scalar_mul_add(uint8_t out[32], const bls_scalar *a,
                           const bls_scalar *b, const bls_scalar *z) {
    typedef unsigned __int128 u128;
    uint64_t p[9] = {0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)b->l[i] * z->l[j] + p[i + j];
            p[i + j] = (uint64_t)c;
            c >>= 64;
        }
        p[i + 4] = (uint64_t)c;
    }
    u128 c = 0;
    for (int i = 0; i < 9; i++) {
        c += (u128)p[i] + (i < 4 ? a->l[i] : 0);
        p[i] = (uint64_t)c;
        c >>= 64;
    }
    /* binary long division remainder by r */
    uint64_t rem[5] = {0};
    for (int bit = 9 * 64 - 1; bit >= 0; bit--) {
        for (int i = 4; i > 0; i--)
            rem[i] = (rem[i] << 1) | (rem[i - 1] >> 63);
        rem[0] = (rem[0] << 1) | ((p[bit / 64] >> (bit % 64)) & 1);
        bool ge = rem[4] != 0;
        if (!ge) {
            ge = true;
            for (int i = 3; i >= 0; i--)
                if (rem[i] != BLS_R.l[i]) {
                    ge = rem[i] > BLS_R.l[i];
                    break;
                }
        }
        if (ge) {
            u128 br = 0;
            for (int i = 0; i < 5; i++) {
                u128 d = (u128)rem[i] - (i < 4 ? BLS_R.l[i] : 0) - br;
                rem[i] = (uint64_t)d;
                br = (d >> 64) & 1;
            }
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[31 - 8 * i - j] = (uint8_t)(rem[i] >> (8 * j));
}

static void fuzz_linear_proof(const uint8_t in[93]) {
    bls_scalar a = scalar248(in), b = scalar248(in + 31), z = scalar248(in + 62);
    bls_g1_affine tau;
    require(bls_g1_decompress(&tau, BLS_KZG_TAU_G1_COMPRESSED));
    bls_g1 g, c, t;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    bls_g1_mul(&c, &g, &a);
    bls_g1_from_affine(&t, &tau);
    bls_g1_mul(&t, &t, &b);
    bls_g1_add(&c, &c, &t);
    bls_g1_mul(&t, &g, &b);
    bls_g1_affine ca, pa;
    bls_g1_to_affine(&ca, &c);
    bls_g1_to_affine(&pa, &t);
    uint8_t x[192];
    memset(x, 0, 32);
    memcpy(x + 33, in + 62, 31);            /* z, 248 bits */
    x[32] = 0;
    scalar_mul_add(x + 64, &a, &b, &z);
    bls_g1_compress(x + 96, &ca);
    bls_g1_compress(x + 144, &pa);
    fix_hash(x);
    require(kzg_point_evaluation(x));
    x[95] ^= 1;                 /* a wrong value (or y = r, non-canonical) */
    require(!kzg_point_evaluation(x));
}

static void fuzz_fp(const uint8_t in[48]) {
    bls_fp a, s, t;
    if (!bls_fp_from_bytes(&a, in))
        return;
    uint8_t back[48];
    bls_fp_to_bytes(back, &a);
    require(memcmp(back, in, 48) == 0);
    if (bls_fp_sqrt(&s, &a)) {
        bls_fp_sqr(&t, &s);
        require(bls_fp_eq(&t, &a));
    }
    bls_fp_mul(&t, &a, &a);
    bls_fp_mul_portable(&s, &a, &a);
    require(bls_fp_eq(&t, &s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 6;
    data++;
    size--;
    uint8_t buf[192] = {0};
    memcpy(buf, data, size < sizeof buf ? size : sizeof buf);
    switch (mode) {
    case 0:
        if (kzg_point_evaluation(buf) != !kzg_point_evaluation_error(buf)) /* a reason iff refused */
            abort();
        break;
    case 1:
        fix_hash(buf);
        if (kzg_point_evaluation(buf) != !kzg_point_evaluation_error(buf))
            abort();
        break;
    case 2:
        fuzz_g1(buf);
        break;
    case 3:
        fuzz_g2(buf);
        break;
    case 4:
        fuzz_linear_proof(buf);
        break;
    default:
        fuzz_fp(buf);
        break;
    }
    return 0;
}
