/* EIP-2537 byte layer: the encodings and checks of the seven BLS12-381
 * precompiles (0x0b..0x11) around the arithmetic of bls12_381_*.c.
 *
 * An Fp element is 64 big-endian bytes whose top 16 are zero and whose
 * value is below p; Fp2 is c0 || c1; a point is x || y, and all-zero bytes
 * stand for the point at infinity. Every point must be on its curve; the
 * MSM and pairing inputs must also be in the r-order subgroup (fast
 * endomorphism checks), the additions need not be. Scalars are any 256-bit
 * big-endian values. Outputs use the same encodings. */
#include "crypto/bls12_381.h"
#include "parevm/precompile_math.h"

#include <string.h>

/* Pairs decoded at a time by the MSM and pairing precompiles (bounded
 * stack); longer inputs are processed chunk by chunk. The MSM chunks match
 * those of bls12_381_msm.c, so that Pippenger sees as many points as it
 * can take. */
enum { G1_DECODE_CHUNK = 128, G2_DECODE_CHUNK = 64, PAIRING_CHUNK = 8 };

static bool fp_decode(bls_fp *r, const uint8_t in[64]) {
    for (int i = 0; i < 16; i++)
        if (in[i])
            return false;
    return bls_fp_from_bytes(r, in + 16);
}

static void fp_encode(uint8_t out[64], const bls_fp *a) {
    memset(out, 0, 16);
    bls_fp_to_bytes(out + 16, a);
}

static bool fp2_decode(bls_fp2 *r, const uint8_t in[128]) {
    return fp_decode(&r->c0, in) && fp_decode(&r->c1, in + 64);
}

static void fp2_encode(uint8_t out[128], const bls_fp2 *a) {
    fp_encode(out, &a->c0);
    fp_encode(out + 64, &a->c1);
}

/* A G1 point: canonical coordinates, on the curve, and in G1 if asked. */
static bool g1_decode(bls_g1_affine *p, const uint8_t in[128], bool subgroup) {
    if (!fp_decode(&p->x, in) || !fp_decode(&p->y, in + 64))
        return false;
    p->inf = bls_fp_is_zero(&p->x) && bls_fp_is_zero(&p->y);
    if (p->inf)
        return true;
    return bls_g1_affine_on_curve(p) && (!subgroup || bls_g1_affine_in_subgroup(p));
}

static bool g2_decode(bls_g2_affine *q, const uint8_t in[256], bool subgroup) {
    if (!fp2_decode(&q->x, in) || !fp2_decode(&q->y, in + 128))
        return false;
    q->inf = bls_fp2_is_zero(&q->x) && bls_fp2_is_zero(&q->y);
    if (q->inf)
        return true;
    return bls_g2_affine_on_curve(q) && (!subgroup || bls_g2_affine_in_subgroup(q));
}

static void g1_encode(uint8_t out[128], const bls_g1 *p) {
    bls_g1_affine a;
    bls_g1_to_affine(&a, p);
    if (a.inf) {
        memset(out, 0, 128);
        return;
    }
    fp_encode(out, &a.x);
    fp_encode(out + 64, &a.y);
}

static void g2_encode(uint8_t out[256], const bls_g2 *p) {
    bls_g2_affine a;
    bls_g2_to_affine(&a, p);
    if (a.inf) {
        memset(out, 0, 256);
        return;
    }
    fp2_encode(out, &a.x);
    fp2_encode(out + 128, &a.y);
}

/* Any 32-byte big-endian value. */
static void scalar_decode(bls_scalar *k, const uint8_t in[32]) {
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(3 - i) * 8 + j];
        k->l[i] = w;
    }
}

bool bls12_g1add(const uint8_t in[256], uint8_t out[128]) {
    bls_g1_affine a, b;
    if (!g1_decode(&a, in, false) || !g1_decode(&b, in + 128, false))
        return false;
    bls_g1 r;
    bls_g1_from_affine(&r, &a);
    bls_g1_add_affine(&r, &r, &b);
    g1_encode(out, &r);
    return true;
}

bool bls12_g2add(const uint8_t in[512], uint8_t out[256]) {
    bls_g2_affine a, b;
    if (!g2_decode(&a, in, false) || !g2_decode(&b, in + 256, false))
        return false;
    bls_g2 r;
    bls_g2_from_affine(&r, &a);
    bls_g2_add_affine(&r, &r, &b);
    g2_encode(out, &r);
    return true;
}

bool bls12_g1msm(const uint8_t *in, size_t k, uint8_t out[128]) {
    if (k == 0)
        return false;
    bls_g1_affine p[G1_DECODE_CHUNK];
    bls_scalar s[G1_DECODE_CHUNK];
    bls_g1 acc, part;
    bls_g1_set_inf(&acc);
    for (size_t base = 0; base < k; base += G1_DECODE_CHUNK) {
        size_t n = k - base < G1_DECODE_CHUNK ? k - base : G1_DECODE_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *pair = in + (base + i) * 160;
            if (!g1_decode(&p[i], pair, true))
                return false;
            scalar_decode(&s[i], pair + 128);
        }
        bls_g1_msm(&part, p, s, n);
        bls_g1_add(&acc, &acc, &part);
    }
    g1_encode(out, &acc);
    return true;
}

bool bls12_g2msm(const uint8_t *in, size_t k, uint8_t out[256]) {
    if (k == 0)
        return false;
    bls_g2_affine p[G2_DECODE_CHUNK];
    bls_scalar s[G2_DECODE_CHUNK];
    bls_g2 acc, part;
    bls_g2_set_inf(&acc);
    for (size_t base = 0; base < k; base += G2_DECODE_CHUNK) {
        size_t n = k - base < G2_DECODE_CHUNK ? k - base : G2_DECODE_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *pair = in + (base + i) * 288;
            if (!g2_decode(&p[i], pair, true))
                return false;
            scalar_decode(&s[i], pair + 256);
        }
        bls_g2_msm(&part, p, s, n);
        bls_g2_add(&acc, &acc, &part);
    }
    g2_encode(out, &acc);
    return true;
}

bool bls12_pairing(const uint8_t *in, size_t k, bool *ok) {
    if (k == 0)
        return false;
    bls_pairing_pair pairs[PAIRING_CHUNK];
    bls_fp12 f = BLS_FP12_ONE, g;
    for (size_t base = 0; base < k; base += PAIRING_CHUNK) {
        size_t n = k - base < PAIRING_CHUNK ? k - base : PAIRING_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *pair = in + (base + i) * 384;
            if (!g1_decode(&pairs[i].p, pair, true) || !g2_decode(&pairs[i].q, pair + 128, true))
                return false;
        }
        bls_miller_loop(&g, pairs, n);
        bls_fp12_mul(&f, &f, &g);
    }
    bls_final_exp(&f, &f);
    *ok = bls_fp12_is_one(&f);
    return true;
}

/* ---- geth's words for a refused input (the failure path only) ---- */

const char *bls12_fp_error(const uint8_t *in, size_t n_fp) {
    for (size_t k = 0; k < n_fp; k++, in += 64) {
        for (int i = 0; i < 16; i++)
            if (in[i]) return "invalid field element top bytes";
        bls_fp t;
        if (!bls_fp_from_bytes(&t, in + 16)) return "invalid fp.Element encoding";
    }
    return NULL;
}

const char *bls12_g1_error(const uint8_t in[128], bool subgroup) {
    const char *e = bls12_fp_error(in, 2);
    if (e) return e;
    bls_g1_affine p;
    if (!g1_decode(&p, in, false)) return "invalid point: not on curve";
    return subgroup && !g1_decode(&p, in, true) ? "g1 point is not on correct subgroup" : NULL;
}

const char *bls12_g2_error(const uint8_t in[256], bool subgroup) {
    const char *e = bls12_fp_error(in, 4);
    if (e) return e;
    bls_g2_affine q;
    if (!g2_decode(&q, in, false)) return "invalid point: not on curve";
    return subgroup && !g2_decode(&q, in, true) ? "g2 point is not on correct subgroup" : NULL;
}

bool bls12_map_fp_to_g1(const uint8_t in[64], uint8_t out[128]) {
    bls_fp u;
    if (!fp_decode(&u, in))
        return false;
    bls_g1 r;
    bls_map_fp_to_g1(&r, &u);
    g1_encode(out, &r);
    return true;
}

bool bls12_map_fp2_to_g2(const uint8_t in[128], uint8_t out[256]) {
    bls_fp2 u;
    if (!fp2_decode(&u, in))
        return false;
    bls_g2 r;
    bls_map_fp2_to_g2(&r, &u);
    g2_encode(out, &r);
    return true;
}
