/* BLS12-381 G1: E(Fp): y^2 = x^3 + 4 in Jacobian coordinates, scalar
 * multiplication (plain and GLV), the endomorphism subgroup check and the
 * ZCash compressed encoding. Formulas: hyperelliptic.org EFD,
 * "g1p/shortw/jacobian-0". */
#include "crypto/bls12_381.h"

#include <string.h>

const bls_g1_affine BLS_G1_GENERATOR = {
    .x = {{0x5cb38790fd530c16ULL, 0x7817fc679976fff5ULL, 0x154f95c7143ba1c1ULL,
           0xf0ae6acdf3d0e747ULL, 0xedce6ecc21dbf440ULL, 0x120177419e0bfb75ULL}},
    .y = {{0xbaac93d50ce72271ULL, 0x8c22631a7918fd8eULL, 0xdd595f13570725ceULL,
           0x51ac582950405194ULL, 0x0e1c8c3fad0059c0ULL, 0x0bbc3efc5008a26aULL}},
    .inf = false};

/* b = 4 (Montgomery form). */
static const bls_fp B = {{0xaa270000000cfff3ULL, 0x53cc0032fc34000aULL,
                          0x478fe97a6b0a807fULL, 0xb1d37ebee6ba24d7ULL,
                          0x8ec9733bbf78ab2fULL, 0x09d645513d83de7eULL}};

/* A cube root of unity such that phi(x, y) = (BETA x, y) equals [-x^2]
 * on G1 (the other root gives [x^2 - 1]). */
static const bls_fp BETA = {{0x30f1361b798a64e8ULL, 0xf3b8ddab7ece5a2aULL,
                             0x16a8ca3ac61577f7ULL, 0xc26a2ff874fd029bULL,
                             0x3636b76660701c6eULL, 0x051ba4ab241b6160ULL}};

/* |x| = -x, the BLS parameter's absolute value. */
#define BLS_X_ABS 0xd201000000010000ULL

void bls_g1_set_inf(bls_g1 *r) {
    r->x = BLS_FP_ONE;
    r->y = BLS_FP_ONE;
    r->z = BLS_FP_ZERO;
}

bool bls_g1_is_inf(const bls_g1 *a) { return bls_fp_is_zero(&a->z); }

void bls_g1_from_affine(bls_g1 *r, const bls_g1_affine *a) {
    if (a->inf) {
        bls_g1_set_inf(r);
        return;
    }
    r->x = a->x;
    r->y = a->y;
    r->z = BLS_FP_ONE;
}

void bls_g1_to_affine(bls_g1_affine *r, const bls_g1 *a) {
    if (bls_g1_is_inf(a)) {
        memset(r, 0, sizeof *r);
        r->inf = true;
        return;
    }
    bls_fp zi, zi2;
    bls_fp_inv(&zi, &a->z);
    bls_fp_sqr(&zi2, &zi);
    bls_fp_mul(&r->x, &a->x, &zi2);
    bls_fp_mul(&zi2, &zi2, &zi);
    bls_fp_mul(&r->y, &a->y, &zi2);
    r->inf = false;
}

#define JAC_POINT bls_g1
#define JAC_AFFINE bls_g1_affine
#define JAC_ELEM bls_fp
#define JAC_G(op) bls_g1_##op
#define JAC_F(op) bls_fp_##op
#include "bls12_381_jacobian.inc"

void bls_g1_phi(bls_g1 *r, const bls_g1 *a) {
    /* In Jacobian coordinates x/z^2 scales like x. */
    bls_fp_mul(&r->x, &a->x, &BETA);
    r->y = a->y;
    r->z = a->z;
}

/* r = [|x|] a: 63 doublings and 5 additions along 0xd201000000010000. */
static void g1_mul_x_abs(bls_g1 *r, const bls_g1 *a) {
    bls_g1 acc = *a;
    for (int i = 62; i >= 0; i--) {
        bls_g1_dbl(&acc, &acc);
        if ((BLS_X_ABS >> i) & 1)
            bls_g1_add(&acc, &acc, a);
    }
    *r = acc;
}

void bls_g1_clear_cofactor(bls_g1 *r, const bls_g1 *a) {
    /* RFC 9380 section 7: h_eff = 1 - x = |x| + 1 for G1. */
    bls_g1 t;
    g1_mul_x_abs(&t, a);
    bls_g1_add(r, &t, a);
}

bool bls_g1_affine_on_curve(const bls_g1_affine *a) {
    if (a->inf)
        return true;
    bls_fp l, r;
    bls_fp_sqr(&l, &a->y);
    bls_fp_sqr(&r, &a->x);
    bls_fp_mul(&r, &r, &a->x);
    bls_fp_add(&r, &r, &B);
    return bls_fp_eq(&l, &r);
}

bool bls_g1_affine_in_subgroup(const bls_g1_affine *a) {
    /* Scott, "A note on group membership tests for G1, G2 and GT on BLS
     * pairing-friendly curves" (2021/1130): P in G1 iff phi(P) == [-x^2]P.
     * Tests cross-check it with [r]P == O on points with every small-order
     * component of the cofactor. */
    if (a->inf)
        return true;
    bls_g1 p, t, lhs;
    bls_g1_from_affine(&p, a);
    g1_mul_x_abs(&t, &p);
    g1_mul_x_abs(&t, &t);                    /* [x^2]P */
    bls_g1_neg(&t, &t);
    bls_g1_phi(&lhs, &p);
    return bls_g1_eq(&lhs, &t);
}

bool bls_g1_decompress(bls_g1_affine *r, const uint8_t in[48]) {
    uint8_t flags = in[0] & 0xe0;
    if (!(flags & 0x80))
        return false;                        /* uncompressed form */
    if (flags & 0x40) {
        /* Infinity: sign clear and every other bit zero. */
        if (flags & 0x20 || (in[0] & 0x1f))
            return false;
        for (int i = 1; i < 48; i++)
            if (in[i])
                return false;
        memset(r, 0, sizeof *r);
        r->inf = true;
        return true;
    }
    uint8_t buf[48];
    memcpy(buf, in, 48);
    buf[0] &= 0x1f;
    bls_g1_affine p = {.inf = false};
    if (!bls_fp_from_bytes(&p.x, buf))
        return false;
    bls_fp rhs;
    bls_fp_sqr(&rhs, &p.x);
    bls_fp_mul(&rhs, &rhs, &p.x);
    bls_fp_add(&rhs, &rhs, &B);
    if (!bls_fp_sqrt(&p.y, &rhs))
        return false;
    if (bls_fp_is_lex_largest(&p.y) != ((flags & 0x20) != 0))
        bls_fp_neg(&p.y, &p.y);
    if (!bls_g1_affine_in_subgroup(&p))
        return false;
    *r = p;
    return true;
}

void bls_g1_compress(uint8_t out[48], const bls_g1_affine *a) {
    if (a->inf) {
        memset(out, 0, 48);
        out[0] = 0xc0;
        return;
    }
    bls_fp_to_bytes(out, &a->x);
    out[0] |= 0x80;
    if (bls_fp_is_lex_largest(&a->y))
        out[0] |= 0x20;
}

/* ---- GLV scalar multiplication -------------------------------------------
 * For P in G1, [x^2]P = -phi(P), so k = k0 + k1 x^2 (0 <= k0 < x^2, k1 <
 * 2^128) gives [k]P = [k0]P + [k1](-phi(P)): two 128-bit halves sharing
 * their doublings. */

typedef unsigned __int128 u128;

/* x^2 = 0xac45a4010001a4020000000100000000 as a 128-bit integer. */
static const u128 X2 = ((u128)0xac45a4010001a402ULL << 64) | 0x0000000100000000ULL;

/* k = k1 x^2 + k0 by binary long division; k < r so k1 < x^2 < 2^128. */
static void glv_split(u128 *k0, u128 *k1, const bls_scalar *k) {
    u128 rem = 0, q = 0;
    for (int i = 255; i >= 0; i--) {
        bool carry = (rem >> 127) != 0;     /* the shift leaves 128 bits */
        rem = (rem << 1) | bls_scalar_bit(k, (unsigned)i);
        q <<= 1;
        if (carry || rem >= X2) {
            rem -= X2;                       /* wraps back below X2 */
            q |= 1;
        }
    }
    *k0 = rem;
    *k1 = q;
}

/* Width-w NAF of k < 2^128 - 2^w: odd digits in (-2^(w-1), 2^(w-1)).
 * Returns the digit count (at most 129). */
static int wnaf(int8_t out[130], u128 k, int w) {
    int n = 0;
    const int full = 1 << w, half = full >> 1;
    while (k) {
        int d = 0;
        if (k & 1) {
            d = (int)(k & (u128)(full - 1));
            if (d >= half)
                d -= full;
            if (d > 0)
                k -= (u128)d;
            else
                k += (u128)(-d);
        }
        out[n++] = (int8_t)d;
        k >>= 1;
    }
    return n;
}

/* Variable-base terms use width-5 NAFs over 8 Jacobian odd multiples
 * 1P..15P; the fixed generator uses width-7 NAFs over the 32 affine odd
 * multiples 1G..63G of bls12_381_tables.c (mixed additions). */
#define VAR_W 5
#define FIXED_W 7

/* One term of a Straus multi-scalar product: its odd multiples (or, for
 * the generator, whether to map the fixed table through -phi) and the NAF
 * of its scalar. */
typedef struct {
    bls_g1 odd[1 << (VAR_W - 2)];
    bool fixed, neg_phi;
    int8_t naf[130];
    int len;
} straus_term;

static void odd_multiples(bls_g1 *odd, const bls_g1 *p) {
    bls_g1 p2;
    bls_g1_dbl(&p2, p);
    odd[0] = *p;
    for (int i = 1; i < 1 << (VAR_W - 2); i++)
        bls_g1_add(&odd[i], &odd[i - 1], &p2);
}

/* acc += [d]G' where G' is G or -phi(G) (t->neg_phi) and d odd. */
static void add_fixed(bls_g1 *acc, const straus_term *t, int d) {
    bls_g1_affine q = BLS_G1_GENERATOR_ODD_MULTIPLES[(d < 0 ? -d : d) / 2];
    bool neg = d < 0;
    if (t->neg_phi) {
        bls_fp_mul(&q.x, &q.x, &BETA);
        neg = !neg;
    }
    if (neg)
        bls_fp_neg(&q.y, &q.y);
    bls_g1_add_affine(acc, acc, &q);
}

static void straus(bls_g1 *r, const straus_term *t, int n) {
    int len = 0;
    for (int j = 0; j < n; j++)
        if (t[j].len > len)
            len = t[j].len;
    bls_g1 acc, q;
    bls_g1_set_inf(&acc);
    for (int i = len - 1; i >= 0; i--) {
        bls_g1_dbl(&acc, &acc);
        for (int j = 0; j < n; j++) {
            int d = i < t[j].len ? t[j].naf[i] : 0;
            if (d == 0)
                continue;
            if (t[j].fixed) {
                add_fixed(&acc, &t[j], d);
            } else if (d > 0) {
                bls_g1_add(&acc, &acc, &t[j].odd[(d - 1) / 2]);
            } else {
                bls_g1_neg(&q, &t[j].odd[(-d - 1) / 2]);
                bls_g1_add(&acc, &acc, &q);
            }
        }
    }
    *r = acc;
}

static bool scalar_below_r(const bls_scalar *k) {
    for (int i = 3; i >= 0; i--)
        if (k->l[i] != BLS_R.l[i])
            return k->l[i] < BLS_R.l[i];
    return false;
}

/* Fills terms[0..1] for [k]P (P variable). The -phi(P) table is the image
 * of P's table: phi is a group morphism. */
static void glv_terms(straus_term t[2], const bls_g1 *p, const bls_scalar *k) {
    u128 k0, k1;
    glv_split(&k0, &k1, k);
    odd_multiples(t[0].odd, p);
    t[0].fixed = t[1].fixed = false;
    t[0].len = wnaf(t[0].naf, k0, VAR_W);
    for (int i = 0; i < 1 << (VAR_W - 2); i++) {
        bls_g1_phi(&t[1].odd[i], &t[0].odd[i]);
        bls_g1_neg(&t[1].odd[i], &t[1].odd[i]);
    }
    t[1].len = wnaf(t[1].naf, k1, VAR_W);
}

/* Fills terms[0..1] for [k]G from the fixed table. */
static void glv_terms_generator(straus_term t[2], const bls_scalar *k) {
    u128 k0, k1;
    glv_split(&k0, &k1, k);
    t[0].fixed = t[1].fixed = true;
    t[0].neg_phi = false;
    t[1].neg_phi = true;
    t[0].len = wnaf(t[0].naf, k0, FIXED_W);
    t[1].len = wnaf(t[1].naf, k1, FIXED_W);
}

void bls_g1_glv_split(uint64_t k0[2], uint64_t k1[2], const bls_scalar *k) {
    u128 a, b;
    glv_split(&a, &b, k);
    k0[0] = (uint64_t)a, k0[1] = (uint64_t)(a >> 64);
    k1[0] = (uint64_t)b, k1[1] = (uint64_t)(b >> 64);
}

void bls_g1_mul_glv(bls_g1 *r, const bls_g1_affine *a, const bls_scalar *k) {
    bls_g1 p;
    bls_g1_from_affine(&p, a);
    if (!scalar_below_r(k)) {
        bls_g1_mul(r, &p, k);
        return;
    }
    straus_term terms[2];
    glv_terms(terms, &p, k);
    straus(r, terms, 2);
}

void bls_g1_mul2_glv(bls_g1 *r, const bls_g1_affine *p, const bls_scalar *a,
                     const bls_scalar *b) {
    if (!scalar_below_r(a) || !scalar_below_r(b)) {
        bls_g1 s, t;
        bls_g1_from_affine(&s, p);
        bls_g1_mul(&s, &s, a);
        bls_g1_from_affine(&t, &BLS_G1_GENERATOR);
        bls_g1_mul(&t, &t, b);
        bls_g1_add(r, &s, &t);
        return;
    }
    straus_term terms[4];
    bls_g1 q;
    bls_g1_from_affine(&q, p);
    glv_terms(&terms[0], &q, a);
    glv_terms_generator(&terms[2], b);
    straus(r, terms, 4);
}
