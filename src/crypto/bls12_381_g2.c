/* BLS12-381 G2: the M-type sextic twist E'(Fp2): y^2 = x^3 + 4(1+u) in
 * Jacobian coordinates, scalar multiplication, the psi-endomorphism subgroup
 * check and the ZCash compressed encoding (x.c1 first). */
#include "crypto/bls12_381.h"

#include <string.h>

const bls_g2_affine BLS_G2_GENERATOR = {
    .x = {{{0xf5f28fa202940a10ULL, 0xb3f5fb2687b4961aULL, 0xa1a893b53e2ae580ULL,
            0x9894999d1a3caee9ULL, 0x6f67b7631863366bULL, 0x058191924350bcd7ULL}},
          {{0xa5a9c0759e23f606ULL, 0xaaa0c59dbccd60c3ULL, 0x3bb17e18e2867806ULL,
            0x1b1ab6cc8541b367ULL, 0xc2b6ed0ef2158547ULL, 0x11922a097360edf3ULL}}},
    .y = {{{0x4c730af860494c4aULL, 0x597cfa1f5e369c5aULL, 0xe7e6856caa0a635aULL,
            0xbbefb5e96e0d495fULL, 0x07d3a975f0ef25a2ULL, 0x0083fd8e7e80dae5ULL}},
          {{0xadc0fc92df64b05dULL, 0x18aa270a2b1461dcULL, 0x86adac6a3be4eba0ULL,
            0x79495c4ec93da33aULL, 0xe7175850a43ccaedULL, 0x0b2bc2a163de1bf2ULL}}},
    .inf = false};

/* b' = 4(1+u) (Montgomery form). */
static const bls_fp2 B2 = {
    {{0xaa270000000cfff3ULL, 0x53cc0032fc34000aULL, 0x478fe97a6b0a807fULL,
      0xb1d37ebee6ba24d7ULL, 0x8ec9733bbf78ab2fULL, 0x09d645513d83de7eULL}},
    {{0xaa270000000cfff3ULL, 0x53cc0032fc34000aULL, 0x478fe97a6b0a807fULL,
      0xb1d37ebee6ba24d7ULL, 0x8ec9733bbf78ab2fULL, 0x09d645513d83de7eULL}}};

/* psi(x, y) = (conj(x) PSI_X, conj(y) PSI_Y) with PSI_X = xi^-((p-1)/3) and
 * PSI_Y = xi^-((p-1)/2). */
static const bls_fp2 PSI_X = {
    {{0}},
    {{0x890dc9e4867545c3ULL, 0x2af322533285a5d5ULL, 0x50880866309b7e2cULL,
      0xa20d1b8c7e881024ULL, 0x14e4f04fe2db9068ULL, 0x14e56d3f1564853aULL}}};
static const bls_fp2 PSI_Y = {
    {{0x3e2f585da55c9ad1ULL, 0x4294213d86c18183ULL, 0x382844c88b623732ULL,
      0x92ad2afd19103e18ULL, 0x1d794e4fac7cf0b9ULL, 0x0bd592fc7d825ec8ULL}},
    {{0x7bcfa7a25aa30fdaULL, 0xdc17dec12a927e7cULL, 0x2f088dd86b4ebef1ULL,
      0xd1ca2087da74d4a7ULL, 0x2da2596696cebc1dULL, 0x0e2b7eedbbfd87d2ULL}}};

#define BLS_X_ABS 0xd201000000010000ULL

void bls_g2_set_inf(bls_g2 *r) {
    memset(r, 0, sizeof *r);
    r->x.c0 = BLS_FP_ONE;
    r->y.c0 = BLS_FP_ONE;
}

bool bls_g2_is_inf(const bls_g2 *a) { return bls_fp2_is_zero(&a->z); }

void bls_g2_from_affine(bls_g2 *r, const bls_g2_affine *a) {
    if (a->inf) {
        bls_g2_set_inf(r);
        return;
    }
    r->x = a->x;
    r->y = a->y;
    r->z.c0 = BLS_FP_ONE;
    r->z.c1 = BLS_FP_ZERO;
}

void bls_g2_to_affine(bls_g2_affine *r, const bls_g2 *a) {
    if (bls_g2_is_inf(a)) {
        memset(r, 0, sizeof *r);
        r->inf = true;
        return;
    }
    bls_fp2 zi, zi2;
    bls_fp2_inv(&zi, &a->z);
    bls_fp2_sqr(&zi2, &zi);
    bls_fp2_mul(&r->x, &a->x, &zi2);
    bls_fp2_mul(&zi2, &zi2, &zi);
    bls_fp2_mul(&r->y, &a->y, &zi2);
    r->inf = false;
}

#define JAC_POINT bls_g2
#define JAC_AFFINE bls_g2_affine
#define JAC_ELEM bls_fp2
#define JAC_G(op) bls_g2_##op
#define JAC_F(op) bls_fp2_##op
#include "bls12_381_jacobian.inc"

void bls_g2_psi(bls_g2 *r, const bls_g2 *a) {
    /* Conjugation commutes with the Jacobian scaling, so psi maps (X:Y:Z)
     * to (conj(X) PSI_X : conj(Y) PSI_Y : conj(Z)). */
    bls_fp2_conj(&r->x, &a->x);
    bls_fp2_mul(&r->x, &r->x, &PSI_X);
    bls_fp2_conj(&r->y, &a->y);
    bls_fp2_mul(&r->y, &r->y, &PSI_Y);
    bls_fp2_conj(&r->z, &a->z);
}

/* r = [|x|] a: 63 doublings and 5 additions along 0xd201000000010000. */
static void g2_mul_x_abs(bls_g2 *r, const bls_g2 *a) {
    bls_g2 acc = *a;
    for (int i = 62; i >= 0; i--) {
        bls_g2_dbl(&acc, &acc);
        if ((BLS_X_ABS >> i) & 1)
            bls_g2_add(&acc, &acc, a);
    }
    *r = acc;
}

void bls_g2_clear_cofactor(bls_g2 *r, const bls_g2 *a) {
    /* Budroni and Pintore (RFC 9380 appendix G.3): for every point of E',
     * [h_eff]P = [x^2 - x - 1]P + [x - 1]psi(P) + psi^2(2P), evaluated as
     * t1 = [x]P, t3 = psi^2(2P) - psi(P) + [x](t1 + psi(P)) - t1 - P.
     * x < 0, so [x] is a negation after [|x|]. */
    bls_g2 t1, t2, t3;
    g2_mul_x_abs(&t1, a);
    bls_g2_neg(&t1, &t1);                    /* [x]P */
    bls_g2_psi(&t2, a);                      /* psi(P) */
    bls_g2_dbl(&t3, a);
    bls_g2_psi(&t3, &t3);
    bls_g2_psi(&t3, &t3);                    /* psi^2(2P) */
    bls_g2_neg(&t2, &t2);
    bls_g2_add(&t3, &t3, &t2);               /* psi^2(2P) - psi(P) */
    bls_g2_neg(&t2, &t2);
    bls_g2_add(&t2, &t2, &t1);               /* [x]P + psi(P) */
    g2_mul_x_abs(&t2, &t2);
    bls_g2_neg(&t2, &t2);                    /* [x]([x]P + psi(P)) */
    bls_g2_add(&t3, &t3, &t2);
    bls_g2_neg(&t1, &t1);
    bls_g2_add(&t3, &t3, &t1);               /* - [x]P */
    bls_g2_neg(&t2, a);
    bls_g2_add(r, &t3, &t2);                 /* - P */
}

bool bls_g2_affine_on_curve(const bls_g2_affine *a) {
    if (a->inf)
        return true;
    bls_fp2 l, r;
    bls_fp2_sqr(&l, &a->y);
    bls_fp2_sqr(&r, &a->x);
    bls_fp2_mul(&r, &r, &a->x);
    bls_fp2_add(&r, &r, &B2);
    return bls_fp2_eq(&l, &r);
}

bool bls_g2_affine_in_subgroup(const bls_g2_affine *a) {
    /* Scott (2021/1130): Q in G2 iff psi(Q) == [x]Q. Cross-checked against
     * [r]Q == O in the tests. */
    if (a->inf)
        return true;
    bls_g2 q, acc, lhs;
    bls_g2_from_affine(&q, a);
    g2_mul_x_abs(&acc, &q);
    bls_g2_neg(&acc, &acc);                  /* x < 0 */
    bls_g2_psi(&lhs, &q);
    return bls_g2_eq(&lhs, &acc);
}

bool bls_g2_decompress(bls_g2_affine *r, const uint8_t in[96]) {
    uint8_t flags = in[0] & 0xe0;
    if (!(flags & 0x80))
        return false;
    if (flags & 0x40) {
        if (flags & 0x20 || (in[0] & 0x1f))
            return false;
        for (int i = 1; i < 96; i++)
            if (in[i])
                return false;
        memset(r, 0, sizeof *r);
        r->inf = true;
        return true;
    }
    uint8_t buf[48];
    memcpy(buf, in, 48);
    buf[0] &= 0x1f;
    bls_g2_affine p = {.inf = false};
    if (!bls_fp_from_bytes(&p.x.c1, buf) || !bls_fp_from_bytes(&p.x.c0, in + 48))
        return false;
    bls_fp2 rhs;
    bls_fp2_sqr(&rhs, &p.x);
    bls_fp2_mul(&rhs, &rhs, &p.x);
    bls_fp2_add(&rhs, &rhs, &B2);
    if (!bls_fp2_sqrt(&p.y, &rhs))
        return false;
    if (bls_fp2_is_lex_largest(&p.y) != ((flags & 0x20) != 0))
        bls_fp2_neg(&p.y, &p.y);
    if (!bls_g2_affine_in_subgroup(&p))
        return false;
    *r = p;
    return true;
}

void bls_g2_compress(uint8_t out[96], const bls_g2_affine *a) {
    if (a->inf) {
        memset(out, 0, 96);
        out[0] = 0xc0;
        return;
    }
    bls_fp_to_bytes(out, &a->x.c1);
    bls_fp_to_bytes(out + 48, &a->x.c0);
    out[0] |= 0x80;
    if (bls_fp2_is_lex_largest(&a->y))
        out[0] |= 0x20;
}
