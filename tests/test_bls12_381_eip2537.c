/* Unit tests for the EIP-2537 precompiles (0x0b..0x11) and the arithmetic
 * behind them, from the EIP's rules:
 *  - MSM equals the sum of single multiplications (Straus and Pippenger,
 *    across chunk boundaries, scalars 0, 1, r - 1, r, r + 1, 2^256 - 1);
 *  - map-to-curve: outputs on the curve and in the subgroup, cofactor
 *    clearing equal to multiplication by h_eff, EIP-2537 known answers;
 *  - encodings: 16 zero top bytes, coordinates below p, infinity as zeros,
 *    off-curve and off-subgroup points (ADD accepts the latter, MSM and
 *    pairing do not);
 *  - through precompile_run: activation by fork, input lengths, the gas
 *    schedule with the MSM discount tables, failures consuming all gas. */
#include "crypto/bls12_381.h"
#include "parevm/evm.h"
#include "parevm/hex.h"
#include "parevm/precompile_math.h"
#include "test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

static bls_scalar rnd_scalar(void) {
    bls_scalar k;
    for (int i = 0; i < 4; i++)
        k.l[i] = rnd();
    return k;                               /* any 256-bit value */
}

static bls_fp rnd_fp(void) {
    uint8_t b[48];
    for (;;) {
        for (int i = 0; i < 48; i++)
            b[i] = (uint8_t)rnd();
        b[0] &= 0x1f;
        bls_fp r;
        if (bls_fp_from_bytes(&r, b))
            return r;
    }
}

static bls_fp2 rnd_fp2(void) { return (bls_fp2){rnd_fp(), rnd_fp()}; }

/* Edge scalars: 0, 1, r - 1, r, r + 1, 2^256 - 1, then random. */
static bls_scalar edge_scalar(int i) {
    bls_scalar k = {{0}};
    switch (i) {
    case 0: return k;
    case 1: k.l[0] = 1; return k;
    case 2: k = BLS_R; k.l[0]--; return k;
    case 3: return BLS_R;
    case 4: k = BLS_R; k.l[0]++; return k;
    case 5: memset(k.l, 0xff, sizeof k.l); return k;
    default: return rnd_scalar();
    }
}

static bls_g1_affine g1_aff(const bls_g1 *p) {
    bls_g1_affine a;
    bls_g1_to_affine(&a, p);
    return a;
}

static bls_g2_affine g2_aff(const bls_g2 *p) {
    bls_g2_affine a;
    bls_g2_to_affine(&a, p);
    return a;
}

static bls_g1_affine rnd_g1(void) {
    bls_g1 g, r;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    bls_scalar k = rnd_scalar();
    bls_g1_mul(&r, &g, &k);
    return g1_aff(&r);
}

static bls_g2_affine rnd_g2(void) {
    bls_g2 g, r;
    bls_g2_from_affine(&g, &BLS_G2_GENERATOR);
    bls_scalar k = rnd_scalar();
    bls_g2_mul(&r, &g, &k);
    return g2_aff(&r);
}

/* ---- MSM ----------------------------------------------------------------- */

/* Sizes around the Straus/Pippenger switch and the chunk boundaries. */
static const size_t MSM_SIZES[] = {0, 1, 2, 3, 4, 5, 8, 9, 17, 63, 64, 65, 129, 130};

TEST(g1_msm_equals_sum_of_multiplications) {
    enum { MAX = 130 };
    static bls_g1_affine p[MAX];
    static bls_scalar k[MAX];
    for (size_t t = 0; t < sizeof MSM_SIZES / sizeof MSM_SIZES[0]; t++) {
        size_t n = MSM_SIZES[t];
        bls_g1 want, term, got;
        bls_g1_set_inf(&want);
        for (size_t i = 0; i < n; i++) {
            p[i] = i % 11 == 7 ? (bls_g1_affine){.inf = true} : rnd_g1();
            k[i] = edge_scalar((int)(i + t) % 9);
            bls_g1_from_affine(&term, &p[i]);
            bls_g1_mul(&term, &term, &k[i]);
            bls_g1_add(&want, &want, &term);
        }
        bls_g1_msm(&got, p, k, n);
        CHECK(bls_g1_eq(&got, &want));
    }
}

TEST(g2_msm_equals_sum_of_multiplications) {
    enum { MAX = 130 };
    static bls_g2_affine p[MAX];
    static bls_scalar k[MAX];
    for (size_t t = 0; t < sizeof MSM_SIZES / sizeof MSM_SIZES[0]; t++) {
        size_t n = MSM_SIZES[t];
        bls_g2 want, term, got;
        bls_g2_set_inf(&want);
        for (size_t i = 0; i < n; i++) {
            p[i] = i % 11 == 7 ? (bls_g2_affine){.inf = true} : rnd_g2();
            k[i] = edge_scalar((int)(i + t) % 9);
            bls_g2_from_affine(&term, &p[i]);
            bls_g2_mul(&term, &term, &k[i]);
            bls_g2_add(&want, &want, &term);
        }
        bls_g2_msm(&got, p, k, n);
        CHECK(bls_g2_eq(&got, &want));
    }
}

TEST(msm_repeated_and_opposite_points) {
    /* The same point many times and P with -P: bucket additions hit the
     * doubling and inverse cases. */
    enum { N = 40 };
    bls_g1_affine p[N];
    bls_g2_affine q[N];
    bls_scalar k[N];
    bls_g1_affine a = rnd_g1();
    bls_g2_affine b = rnd_g2();
    for (int i = 0; i < N; i++) {
        p[i] = a;
        q[i] = b;
        if (i % 2) {
            bls_fp_neg(&p[i].y, &p[i].y);
            bls_fp2_neg(&q[i].y, &q[i].y);
        }
        k[i] = (bls_scalar){{(uint64_t)(i / 2 + 1), 0, 0, 0}};
    }
    /* sum (i/2+1)(P - P) = 0 */
    bls_g1 r1;
    bls_g2 r2;
    bls_g1_msm(&r1, p, k, N);
    bls_g2_msm(&r2, q, k, N);
    CHECK(bls_g1_is_inf(&r1));
    CHECK(bls_g2_is_inf(&r2));
    /* all equal: (1 + 1 + 2 + 2 + ...) P */
    for (int i = 0; i < N; i++) {
        p[i] = a;
        q[i] = b;
    }
    bls_scalar total = {{(uint64_t)((N / 2) * (N / 2 + 1)), 0, 0, 0}};
    bls_g1 w1;
    bls_g2 w2;
    bls_g1_from_affine(&w1, &a);
    bls_g1_mul(&w1, &w1, &total);
    bls_g2_from_affine(&w2, &b);
    bls_g2_mul(&w2, &w2, &total);
    bls_g1_msm(&r1, p, k, N);
    bls_g2_msm(&r2, q, k, N);
    CHECK(bls_g1_eq(&r1, &w1));
    CHECK(bls_g2_eq(&r2, &w2));
}

/* ---- map to curve ---------------------------------------------------------- */

/* r = [k]a for a big-endian hex scalar of any length (double and add). */
static void g2_mul_hex(bls_g2 *r, const bls_g2 *a, const char *hex) {
    bls_g2 acc;
    bls_g2_set_inf(&acc);
    for (const char *c = hex; *c; c++) {
        int v = *c <= '9' ? *c - '0' : *c - 'a' + 10;
        for (int b = 3; b >= 0; b--) {
            bls_g2_dbl(&acc, &acc);
            if ((v >> b) & 1)
                bls_g2_add(&acc, &acc, a);
        }
    }
    *r = acc;
}

TEST(g1_map_to_curve_lands_in_g1) {
    for (int i = 0; i < 12; i++) {
        bls_fp u = i == 0 ? BLS_FP_ZERO : rnd_fp();  /* u = 0: the exceptional case */
        bls_g1 q, p, t;
        bls_map_to_curve_g1(&q, &u);
        bls_g1_affine qa = g1_aff(&q);
        CHECK(bls_g1_affine_on_curve(&qa));
        bls_map_fp_to_g1(&p, &u);
        bls_g1_affine pa = g1_aff(&p);
        CHECK(bls_g1_affine_on_curve(&pa) && bls_g1_affine_in_subgroup(&pa));
        /* clear_cofactor = [1 - x] = [0xd201000000010001] */
        bls_scalar h = {{0xd201000000010001ULL, 0, 0, 0}};
        bls_g1_mul(&t, &q, &h);
        CHECK(bls_g1_eq(&t, &p));
        /* sgn0(y) follows sgn0(u) before the isogeny; u and -u give
         * opposite points after it (the isogeny is odd in y) */
        bls_fp nu;
        bls_fp_neg(&nu, &u);
        bls_g1 qn;
        bls_map_to_curve_g1(&qn, &nu);
        if (!bls_fp_is_zero(&u)) {
            bls_g1_neg(&qn, &qn);
            CHECK(bls_g1_eq(&qn, &q));
        }
    }
}

TEST(g2_map_to_curve_lands_in_g2) {
    static const char H_EFF[] =
        "0bc69f08f2ee75b3584c6a0ea91b352888e2a8e9145ad7689986ff031508ffe1329c2f178731db956d82bf015d1212b"
        "02ec0ec69d7477c1ae954cbc06689f6a359894c0adebbf6b4e8020005aaa95551";
    for (int i = 0; i < 6; i++) {
        bls_fp2 u = i == 0 ? (bls_fp2){BLS_FP_ZERO, BLS_FP_ZERO} : rnd_fp2();
        if (i == 1)
            u.c0 = BLS_FP_ZERO;                   /* sgn0 decided by c1 */
        bls_g2 q, p, t;
        bls_map_to_curve_g2(&q, &u);
        bls_g2_affine qa = g2_aff(&q);
        CHECK(bls_g2_affine_on_curve(&qa));
        bls_map_fp2_to_g2(&p, &u);
        bls_g2_affine pa = g2_aff(&p);
        CHECK(bls_g2_affine_on_curve(&pa) && bls_g2_affine_in_subgroup(&pa));
        /* Budroni-Pintore equals the plain multiplication by h_eff */
        g2_mul_hex(&t, &q, H_EFF);
        CHECK(bls_g2_eq(&t, &p));
    }
}

/* ---- helpers for the byte-level precompiles -------------------------------- */

static void fp_bytes(uint8_t out[64], const bls_fp *a) {
    memset(out, 0, 16);
    bls_fp_to_bytes(out + 16, a);
}

static void g1_bytes(uint8_t out[128], const bls_g1_affine *p) {
    if (p->inf) {
        memset(out, 0, 128);
        return;
    }
    fp_bytes(out, &p->x);
    fp_bytes(out + 64, &p->y);
}

static void g2_bytes(uint8_t out[256], const bls_g2_affine *p) {
    if (p->inf) {
        memset(out, 0, 256);
        return;
    }
    fp_bytes(out, &p->x.c0);
    fp_bytes(out + 64, &p->x.c1);
    fp_bytes(out + 128, &p->y.c0);
    fp_bytes(out + 192, &p->y.c1);
}

static void scalar_bytes(uint8_t out[32], const bls_scalar *k) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[(3 - i) * 8 + j] = (uint8_t)(k->l[i] >> (56 - 8 * j));
}

/* A point of E (E') outside G1 (G2): map_to_curve without clearing. */
static bls_g1_affine g1_outside(void) {
    bls_fp u = rnd_fp();
    bls_g1 q;
    bls_map_to_curve_g1(&q, &u);
    bls_g1_affine a = g1_aff(&q);
    CHECK(bls_g1_affine_on_curve(&a) && !bls_g1_affine_in_subgroup(&a));
    return a;
}

static bls_g2_affine g2_outside(void) {
    bls_fp2 u = rnd_fp2();
    bls_g2 q;
    bls_map_to_curve_g2(&q, &u);
    bls_g2_affine a = g2_aff(&q);
    CHECK(bls_g2_affine_on_curve(&a) && !bls_g2_affine_in_subgroup(&a));
    return a;
}

/* ---- ADD ----------------------------------------------------------------- */

TEST(g1add_rules) {
    uint8_t in[256], out[128], want[128];
    bls_g1_affine a = rnd_g1(), b = rnd_g1(), inf = {.inf = true};
    bls_g1 s;
    bls_g1_from_affine(&s, &a);
    bls_g1_add_affine(&s, &s, &b);
    bls_g1_affine sa = g1_aff(&s);
    g1_bytes(in, &a);
    g1_bytes(in + 128, &b);
    CHECK(bls12_g1add(in, out));
    g1_bytes(want, &sa);
    CHECK_MEM(out, want, 128);
    /* P + 0 = P, 0 + 0 = 0 */
    g1_bytes(in + 128, &inf);
    CHECK(bls12_g1add(in, out) && memcmp(out, in, 128) == 0);
    g1_bytes(in, &inf);
    CHECK(bls12_g1add(in, out));
    CHECK_MEM(out, in, 128);
    /* P + (-P) = 0 (all-zero output) */
    bls_g1_affine na = a;
    bls_fp_neg(&na.y, &na.y);
    g1_bytes(in, &a);
    g1_bytes(in + 128, &na);
    static const uint8_t zeros[256];
    CHECK(bls12_g1add(in, out) && memcmp(out, zeros, 128) == 0);
    /* no subgroup check: (0, 2) has order 3 and is accepted; so is a
     * random point outside G1, and 3 * (0, 2) = 0 */
    bls_g1_affine t = {.inf = false};
    bls_fp_from_u64(&t.y, 2);
    g1_bytes(in, &t);
    g1_bytes(in + 128, &t);
    CHECK(bls12_g1add(in, out));                 /* 2T = -T = (0, -2) */
    memcpy(in + 128, out, 128);
    CHECK(bls12_g1add(in, out) && memcmp(out, zeros, 128) == 0);
    bls_g1_affine o = g1_outside();
    g1_bytes(in, &o);
    g1_bytes(in + 128, &a);
    CHECK(bls12_g1add(in, out));
    /* off the curve: (1, 1); (0, 0) is infinity but (0, 1) is not */
    g1_bytes(in, &a);
    memset(in + 128, 0, 128);
    in[128 + 63] = 1;
    in[128 + 127] = 1;
    CHECK(!bls12_g1add(in, out));
    in[128 + 63] = 0;
    CHECK(!bls12_g1add(in, out));
    /* encodings: a non-zero padding byte, a coordinate equal to p */
    g1_bytes(in + 128, &b);
    in[128 + 15] = 1;
    CHECK(!bls12_g1add(in, out));
    in[128 + 15] = 0;
    CHECK(bls12_g1add(in, out));
    uint8_t p_bytes[48];
    CHECK(hex_decode("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
                     p_bytes, 48) == 48);
    memcpy(in + 16, p_bytes, 48);                /* x = p */
    CHECK(!bls12_g1add(in, out));
}

TEST(g2add_rules) {
    uint8_t in[512], out[256], want[256];
    static const uint8_t zeros[256];
    bls_g2_affine a = rnd_g2(), b = rnd_g2();
    bls_g2 s;
    bls_g2_from_affine(&s, &a);
    bls_g2_add_affine(&s, &s, &b);
    bls_g2_affine sa = g2_aff(&s);
    g2_bytes(in, &a);
    g2_bytes(in + 256, &b);
    CHECK(bls12_g2add(in, out));
    g2_bytes(want, &sa);
    CHECK_MEM(out, want, 256);
    /* doubling through the addition */
    g2_bytes(in + 256, &a);
    bls_g2_from_affine(&s, &a);
    bls_g2_dbl(&s, &s);
    sa = g2_aff(&s);
    g2_bytes(want, &sa);
    CHECK(bls12_g2add(in, out) && memcmp(out, want, 256) == 0);
    /* P + (-P) = 0 */
    bls_g2_affine na = a;
    bls_fp2_neg(&na.y, &na.y);
    g2_bytes(in + 256, &na);
    CHECK(bls12_g2add(in, out) && memcmp(out, zeros, 256) == 0);
    /* outside G2 but on the curve: accepted */
    bls_g2_affine o = g2_outside();
    g2_bytes(in + 256, &o);
    CHECK(bls12_g2add(in, out));
    /* off the curve, bad padding in each of the four coordinates */
    g2_bytes(in + 256, &b);
    in[256 + 255] ^= 1;
    CHECK(!bls12_g2add(in, out));
    in[256 + 255] ^= 1;
    for (int c = 0; c < 4; c++) {
        in[256 + 64 * c] = 1;
        CHECK(!bls12_g2add(in, out));
        in[256 + 64 * c] = 0;
    }
    CHECK(bls12_g2add(in, out));
}

/* ---- MSM, pairing and maps at the byte level -------------------------------- */

TEST(msm_bytes_and_subgroup_checks) {
    /* more pairs than one decoding chunk (128 for G1, 64 for G2) */
    enum { K1 = 130, K2 = 70 };
    static uint8_t in1[K1 * 160], in2[K2 * 288];
    static bls_g1_affine p[K1];
    static bls_g2_affine q[K2];
    static bls_scalar k[K1];
    for (int i = 0; i < K1; i++) {
        p[i] = rnd_g1();
        k[i] = edge_scalar(i % 9);
        g1_bytes(in1 + 160 * i, &p[i]);
        scalar_bytes(in1 + 160 * i + 128, &k[i]);
        if (i < K2) {
            q[i] = rnd_g2();
            g2_bytes(in2 + 288 * i, &q[i]);
            scalar_bytes(in2 + 288 * i + 256, &k[i]);
        }
    }
    uint8_t out[256], want[256];
    bls_g1 r1;
    bls_g2 r2;
    bls_g1_msm(&r1, p, k, K1);
    bls_g2_msm(&r2, q, k, K2);
    bls_g1_affine a1 = g1_aff(&r1);
    bls_g2_affine a2 = g2_aff(&r2);
    CHECK(bls12_g1msm(in1, K1, out));
    g1_bytes(want, &a1);
    CHECK_MEM(out, want, 128);
    CHECK(bls12_g2msm(in2, K2, out));
    g2_bytes(want, &a2);
    CHECK_MEM(out, want, 256);
    /* k = 0 is invalid */
    CHECK(!bls12_g1msm(in1, 0, out));
    CHECK(!bls12_g2msm(in2, 0, out));
    /* a point outside the subgroup anywhere (here in the second chunk)
     * fails the whole call, even with a zero scalar; so does (0, 2) */
    bls_g1_affine o1 = g1_outside();
    bls_g2_affine o2 = g2_outside();
    g1_bytes(in1 + 160 * 129, &o1);
    g2_bytes(in2 + 288 * 66, &o2);
    CHECK(!bls12_g1msm(in1, K1, out));
    CHECK(!bls12_g2msm(in2, K2, out));
    bls_g1_affine t = {.inf = false};
    bls_fp_from_u64(&t.y, 2);
    uint8_t one[160] = {0};
    g1_bytes(one, &t);
    CHECK(!bls12_g1msm(one, 1, out));
    /* infinity with any scalar is fine */
    memset(one, 0, 160);
    one[159] = 5;
    CHECK(bls12_g1msm(one, 1, out));
    static const uint8_t zeros[128];
    CHECK_MEM(out, zeros, 128);
}

TEST(pairing_bytes) {
    enum { K = 9 };                              /* crosses the 8-pair chunk */
    uint8_t in[K * 384];
    bool ok = false;
    /* prod e([a_i]P, Q) e(-[sum a_i]P, Q) = 1: K - 1 pairs plus a closing one */
    bls_g1 g;
    bls_g1_from_affine(&g, &BLS_G1_GENERATOR);
    bls_g2_affine q = rnd_g2();
    uint64_t sum = 0;
    for (int i = 0; i < K - 1; i++) {
        uint64_t a = rnd() >> 8;
        sum += a;
        bls_g1 t;
        bls_g1_mul(&t, &g, &(bls_scalar){{a, 0, 0, 0}});
        bls_g1_affine ta = g1_aff(&t);
        g1_bytes(in + 384 * i, &ta);
        g2_bytes(in + 384 * i + 128, &q);
    }
    bls_g1 t;
    bls_g1_mul(&t, &g, &(bls_scalar){{sum, 0, 0, 0}});
    bls_g1_neg(&t, &t);
    bls_g1_affine ta = g1_aff(&t);
    g1_bytes(in + 384 * (K - 1), &ta);
    g2_bytes(in + 384 * (K - 1) + 128, &q);
    CHECK(bls12_pairing(in, K, &ok) && ok);
    CHECK(bls12_pairing(in, K - 1, &ok) && !ok);
    /* a pair with infinity contributes 1 */
    memset(in + 384 * 3, 0, 128);
    CHECK(bls12_pairing(in + 384 * 3, 1, &ok) && ok);
    CHECK(!bls12_pairing(in, 0, &ok));
    /* points outside the subgroups, or off the curves, fail */
    bls_g1_affine o1 = g1_outside();
    g1_bytes(in, &o1);
    CHECK(!bls12_pairing(in, 1, &ok));
    bls_g1_affine p = rnd_g1();
    g1_bytes(in, &p);
    CHECK(bls12_pairing(in, 1, &ok) && !ok);
    bls_g2_affine o2 = g2_outside();
    g2_bytes(in + 128, &o2);
    CHECK(!bls12_pairing(in, 1, &ok));
    g2_bytes(in + 128, &q);
    in[128 + 255] ^= 1;
    CHECK(!bls12_pairing(in, 1, &ok));
}

/* EIP-2537 test vectors (assets/eip-2537/map_fp_to_G1_bls.json,
 * map_fp2_to_G2_bls.json: "bls_g1map_" and "bls_g2map_"). */
static const char MAP_G1_IN[] =
    "00000000000000000000000000000000156c8a6a2c184569d69a76be144b5cdc5141d2d2ca4fe341f011e25e3969c55a"
    "d9e9b9ce2eb833c81a908e5fa4ac5f03";
static const char MAP_G1_OUT[] =
    "00000000000000000000000000000000184bb665c37ff561a89ec2122dd343f20e0f4cbcaec84e3c3052ea81d1834e19"
    "2c426074b02ed3dca4e7676ce4ce48ba0000000000000000000000000000000004407b8d35af4dacc809927071fc0405"
    "218f1401a6d15af775810e4e460064bcc9468beeba82fdc751be70476c888bf3";
static const char MAP_G2_IN[] =
    "0000000000000000000000000000000007355d25caf6e7f2f0cb2812ca0e513bd026ed09dda65b177500fa31714e09ea"
    "0ded3a078b526bed3307f804d4b93b040000000000000000000000000000000002829ce3c021339ccb5caf3e187f6370"
    "e1e2a311dec9b75363117063ab2015603ff52c3d3b98f19c2f65575e99e8b78c";
static const char MAP_G2_OUT[] =
    "0000000000000000000000000000000000e7f4568a82b4b7dc1f14c6aaa055edf51502319c723c4dc2688c7fe5944c21"
    "3f510328082396515734b6612c4e7bb700000000000000000000000000000000126b855e9e69b1f691f816e48ac69776"
    "64d24d99f8724868a184186469ddfd4617367e94527d4b74fc86413483afb35b00000000000000000000000000000000"
    "0caead0fd7b6176c01436833c79d305c78be307da5f6af6c133c47311def6ff1e0babf57a0fb5539fce7ee12407b0a42"
    "000000000000000000000000000000001498aadcf7ae2b345243e281ae076df6de84455d766ab6fcdaad71fab60abb2e"
    "8b980a440043cd305db09d283c895e3d";

TEST(map_known_answers_and_encodings) {
    uint8_t in[128], out[256], want[256];
    CHECK(hex_decode(MAP_G1_IN, in, 64) == 64);
    CHECK(hex_decode(MAP_G1_OUT, want, 128) == 128);
    CHECK(bls12_map_fp_to_g1(in, out));
    CHECK_MEM(out, want, 128);
    CHECK(hex_decode(MAP_G2_IN, in, 128) == 128);
    CHECK(hex_decode(MAP_G2_OUT, want, 256) == 256);
    CHECK(bls12_map_fp2_to_g2(in, out));
    CHECK_MEM(out, want, 256);
    /* u = 0 is a valid input (the SWU exceptional case) */
    memset(in, 0, 128);
    CHECK(bls12_map_fp_to_g1(in, out));
    CHECK(bls12_map_fp2_to_g2(in, out));
    /* non-canonical: padding, p itself, p in the second Fp2 coefficient */
    in[0] = 1;
    CHECK(!bls12_map_fp_to_g1(in, out));
    CHECK(!bls12_map_fp2_to_g2(in, out));
    in[0] = 0;
    CHECK(hex_decode("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
                     in + 64 + 16, 48) == 48);
    CHECK(!bls12_map_fp2_to_g2(in, out));
    memcpy(in + 16, in + 64 + 16, 48);
    CHECK(!bls12_map_fp_to_g1(in, out));
    in[16 + 47]--;                               /* p - 1 is fine */
    CHECK(bls12_map_fp_to_g1(in, out));
}

/* ---- through precompile_run -------------------------------------------------- */

static address precompile(int n) {
    address a = {{0}};
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

/* Runs precompile n under Prague with `gas`; returns the status and sets
 * *used to the gas consumed. */
static evm_status run(evm_vm *vm, int n, const uint8_t *in, size_t len, int64_t gas, int64_t *used) {
    address a = precompile(n);
    evm_result r = precompile_run(vm, &a, FORK_PRAGUE, in, len, gas, 0);
    *used = r.status == EVM_SUCCESS ? gas - r.gas_left : gas;
    return r.status;
}

/* The exact price of a successful call: it succeeds with that much gas,
 * leaving none, and runs out with one less. */
static void check_price(evm_vm *vm, int n, const uint8_t *in, size_t len, int64_t price) {
    int64_t used;
    CHECK(run(vm, n, in, len, price, &used) == EVM_SUCCESS);
    CHECK_EQ_U64((uint64_t)used, (uint64_t)price);
    CHECK(run(vm, n, in, len, price - 1, &used) == EVM_OUT_OF_GAS);
    CHECK(run(vm, n, in, len, price + 1000, &used) == EVM_SUCCESS && used == price);
}

TEST(activation_by_fork) {
    for (int n = 0x0b; n <= 0x11; n++) {
        address a = precompile(n);
        CHECK(!precompile_is_active(&a, FORK_CANCUN));
        CHECK(precompile_is_active(&a, FORK_PRAGUE));
        CHECK(precompile_is_active(&a, FORK_OSAKA));
    }
    address a = precompile(0x12);
    CHECK(!precompile_is_active(&a, FORK_PRAGUE) && !precompile_is_active(&a, FORK_OSAKA));
    a = precompile(0x0a);
    CHECK(precompile_is_active(&a, FORK_CANCUN));
    a = precompile(0x100);
    CHECK(!precompile_is_active(&a, FORK_PRAGUE) && precompile_is_active(&a, FORK_OSAKA));
    for (int n = 0x101; n < 0x111; n++) {
        a = precompile(n);
        CHECK(!precompile_is_active(&a, FORK_OSAKA));
    }
    a = precompile(0x0b);
    a.b[0] = 1;                                  /* high bytes must be zero */
    CHECK(!precompile_is_active(&a, FORK_OSAKA));
    a = precompile(0x100);
    a.b[17] = 1;
    CHECK(!precompile_is_active(&a, FORK_OSAKA));
    CHECK(precompile_count(FORK_PRAGUE) == 0x11 && precompile_count(FORK_OSAKA) == 0x11);
}

/* G1MSM and G2MSM gas: k * mul_cost * discount(k) / 1000. */
static int64_t msm_price(int k, bool g2) {
    static const int g1_at[] = {1000, 949, 848, 797}, g2_at[] = {1000, 1000, 923, 884};
    int d;
    if (k <= 4)
        d = g2 ? g2_at[k - 1] : g1_at[k - 1];
    else if (k == 16)
        d = g2 ? 717 : 677;
    else if (k == 64)
        d = g2 ? 582 : 576;
    else
        d = g2 ? 524 : 519;                      /* 128 and the cap beyond */
    return (int64_t)k * (g2 ? 22500 : 12000) * d / 1000;
}

TEST(gas_schedule_and_lengths) {
    evm_vm *vm = evm_vm_new();
    static uint8_t buf[130 * 384];
    int64_t used;
    /* ADD: 375 / 600, exact lengths only */
    bls_g1_affine p = rnd_g1();
    bls_g2_affine q = rnd_g2();
    g1_bytes(buf, &p);
    g1_bytes(buf + 128, &p);
    check_price(vm, 0x0b, buf, 256, 375);
    CHECK(run(vm, 0x0b, buf, 255, 100000, &used) == EVM_PRECOMPILE_FAILURE && used == 100000);
    CHECK(run(vm, 0x0b, buf, 257, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0b, buf, 0, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    g2_bytes(buf, &q);
    g2_bytes(buf + 256, &q);
    check_price(vm, 0x0d, buf, 512, 600);
    CHECK(run(vm, 0x0d, buf, 511, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    /* the fixed prices (ADD, MAP) are charged before the length is looked
     * at: too little gas is out of gas whatever the input, as in geth and revm */
    CHECK(run(vm, 0x0b, buf, 0, 374, &used) == EVM_OUT_OF_GAS && used == 374);
    CHECK(run(vm, 0x0b, buf, 0, 375, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0d, buf, 7, 599, &used) == EVM_OUT_OF_GAS);
    CHECK(run(vm, 0x10, buf, 63, 5499, &used) == EVM_OUT_OF_GAS);
    CHECK(run(vm, 0x10, buf, 63, 5500, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x11, buf, 129, 23799, &used) == EVM_OUT_OF_GAS);
    CHECK(run(vm, 0x11, buf, 129, 23800, &used) == EVM_PRECOMPILE_FAILURE);
    /* MSM: the discount tables, k = 0 and partial pairs invalid */
    static const int ks[] = {1, 2, 3, 4, 16, 64, 128, 129, 130};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int k = ks[t];
        for (int i = 0; i < k; i++) {
            g1_bytes(buf + 160 * i, &p);
            memset(buf + 160 * i + 128, 0, 32);
            buf[160 * i + 159] = (uint8_t)(i + 1);
        }
        check_price(vm, 0x0c, buf, 160 * (size_t)k, msm_price(k, false));
        for (int i = 0; i < k; i++) {
            g2_bytes(buf + 288 * i, &q);
            memset(buf + 288 * i + 256, 0, 32);
            buf[288 * i + 287] = (uint8_t)(i + 1);
        }
        check_price(vm, 0x0e, buf, 288 * (size_t)k, msm_price(k, true));
    }
    CHECK_EQ_U64((uint64_t)msm_price(2, false), 22776);
    CHECK_EQ_U64((uint64_t)msm_price(128, true), 1509120);
    CHECK(run(vm, 0x0c, buf, 0, 1000000, &used) == EVM_PRECOMPILE_FAILURE && used == 1000000);
    CHECK(run(vm, 0x0c, buf, 159, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0c, buf, 161, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0e, buf, 0, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0e, buf, 287, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0e, buf, 289, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    /* pairing: 32600 k + 37700, the output a 32-byte boolean */
    for (int k = 1; k <= 3; k++) {
        for (int i = 0; i < k; i++) {
            memset(buf + 384 * i, 0, 128);       /* e(0, Q) = 1 */
            g2_bytes(buf + 384 * i + 128, &q);
        }
        check_price(vm, 0x0f, buf, 384 * (size_t)k, 32600 * k + 37700);
        address a = precompile(0x0f);
        evm_result r = precompile_run(vm, &a, FORK_PRAGUE, buf, 384 * (size_t)k, 1000000, 0);
        CHECK(r.status == EVM_SUCCESS && r.output_size == 32 && r.output[31] == 1);
    }
    CHECK(run(vm, 0x0f, buf, 0, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0f, buf, 383, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x0f, buf, 385, 1000000, &used) == EVM_PRECOMPILE_FAILURE);
    /* maps: 5500 / 23800 */
    memset(buf, 0, 128);
    buf[63] = 7;
    buf[127] = 9;
    check_price(vm, 0x10, buf, 64, 5500);
    check_price(vm, 0x11, buf, 128, 23800);
    CHECK(run(vm, 0x10, buf, 63, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x10, buf, 65, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x11, buf, 127, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    CHECK(run(vm, 0x11, buf, 129, 100000, &used) == EVM_PRECOMPILE_FAILURE);
    /* an invalid input of the right length consumes all gas */
    buf[0] = 1;
    CHECK(run(vm, 0x10, buf, 64, 100000, &used) == EVM_PRECOMPILE_FAILURE && used == 100000);
    evm_vm_free(vm);
}

/* precompile_error: geth's words for each refusal, in geth's order of
 * checks (its core/vm/contracts.go), and "out of gas" where geth prices a
 * malformed length above the gas before it looks. */
TEST(failure_reasons_in_geths_words) {
    static uint8_t buf[2 * 384];
    address g1add = precompile(0x0b), g1msm = precompile(0x0c), g2msm = precompile(0x0e);
    address pairing = precompile(0x0f), map2 = precompile(0x11);
    CHECK(!strcmp(precompile_error(&g1add, buf, 255, 375), "invalid input length"));
    /* a top byte, then a value >= p, then off the curve: (0, 1) */
    memset(buf, 0, sizeof buf);
    buf[64 + 15] = 1;
    CHECK(!strcmp(precompile_error(&g1add, buf, 256, 375), "invalid field element top bytes"));
    memset(buf + 64, 0xff, 64);
    memset(buf + 64, 0, 16);
    CHECK(!strcmp(precompile_error(&g1add, buf, 256, 375), "invalid fp.Element encoding"));
    memset(buf + 64, 0, 64);
    buf[127] = 1;
    CHECK(!strcmp(precompile_error(&g1add, buf, 256, 375), "invalid point: not on curve"));
    /* a map's second element is checked too */
    memset(buf, 0, 128);
    buf[64] = 1;
    CHECK(!strcmp(precompile_error(&map2, buf, 128, 23800), "invalid field element top bytes"));
    /* subgroups: MSM checks them, and the pairing after both points decode */
    bls_g1_affine o1 = g1_outside();
    bls_g2_affine o2 = g2_outside();
    memset(buf, 0, sizeof buf);
    g1_bytes(buf, &o1);
    CHECK(!strcmp(precompile_error(&g1msm, buf, 160, 12000), "g1 point is not on correct subgroup"));
    g2_bytes(buf, &o2);
    CHECK(!strcmp(precompile_error(&g2msm, buf, 288, 22500), "g2 point is not on correct subgroup"));
    memset(buf, 0, sizeof buf);
    g2_bytes(buf + 384 + 128, &o2);            /* the second pair's G2 point */
    CHECK(!strcmp(precompile_error(&pairing, buf, 768, 102900), "g2 point is not on correct subgroup"));
    g1_bytes(buf + 384, &o1);                  /* its G1 point: checked first */
    CHECK(!strcmp(precompile_error(&pairing, buf, 768, 102900), "g1 point is not on correct subgroup"));
    buf[384 + 128 + 255] ^= 1;                 /* ... but only once both decode */
    CHECK(!strcmp(precompile_error(&pairing, buf, 768, 102900), "invalid point: not on curve"));
    /* lengths that are not whole pairs: geth charges floor(len / pair) pairs first */
    CHECK(!strcmp(precompile_error(&g1msm, buf, 0, 0), "invalid input length"));
    CHECK(!strcmp(precompile_error(&g1msm, buf, 161, 11999), "out of gas"));
    CHECK(!strcmp(precompile_error(&g1msm, buf, 161, 12000), "invalid input length"));
    CHECK(!strcmp(precompile_error(&pairing, buf, 383, 37699), "out of gas"));
    CHECK(!strcmp(precompile_error(&pairing, buf, 385, 70300), "invalid input length"));
}
