/* BN254 base field: constants, byte conversion and inversion.
 *
 * Inversion uses the Bernstein-Yang "safegcd" divstep recurrence in its
 * variable-time form, 62 divsteps per batch on signed 62-bit limbs: roughly
 * ten batches invert a 254-bit element, several times faster than Fermat's
 * a^(p-2). The constants are derived by scripts/bn254_constants.py. */
#include "crypto/bn254_fp.h"

#include <assert.h>

const fp FP_ZERO = {{0, 0, 0, 0}};
const fp FP_ONE = {{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL,
                    0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}};

/* R^2 mod p converts plain values into Montgomery form. */
static const fp FP_R2 = {{0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL,
                          0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL}};
/* R^3 mod p turns the plain inverse of a Montgomery value into Montgomery
 * form: (aR)^-1 * R^3 / R = a^-1 R. */
static const fp FP_R3 = {{0xb1cd6dafda1530dfULL, 0x62f210e6a7283db6ULL,
                          0xef7f0b0c0ada0afbULL, 0x20fd6e902d592544ULL}};
static const fp FP_PLAIN_ONE = {{1, 0, 0, 0}};

void fp_from_plain(fp *r, const uint64_t a[4]) {
    fp t = {{a[0], a[1], a[2], a[3]}};
    fp_mul(r, &t, &FP_R2);
}

bool fp_from_bytes(fp *r, const uint8_t in[32]) {
    uint64_t a[4];
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(3 - i) * 8 + j];
        a[i] = w;
    }
    static const uint64_t p[4] = {BN254_P0, BN254_P1, BN254_P2, BN254_P3};
    for (int i = 3; i >= 0; i--) { /* reject a >= p */
        if (a[i] < p[i])
            break;
        if (a[i] > p[i] || i == 0)
            return false;
    }
    fp_from_plain(r, a);
    return true;
}

void fp_to_bytes(uint8_t out[32], const fp *a) {
    fp plain;
    fp_mul(&plain, a, &FP_PLAIN_ONE); /* leaves Montgomery form */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[(3 - i) * 8 + j] = (uint8_t)(plain.v[i] >> (56 - 8 * j));
}

/* ---- safegcd inversion ---------------------------------------------------
 * Integers are held as five signed 62-bit limbs, value = sum v[i] 2^(62 i);
 * after normalization limbs 0..3 lie in [0, 2^62) and limb 4 carries the
 * sign. */
typedef struct {
    int64_t v[5];
} s62;

#define M62 ((uint64_t)-1 >> 2)

/* p in signed-62 form and p^-1 mod 2^62. */
static const s62 P62 = {{(int64_t)(BN254_P0 & M62),
                         (int64_t)(((BN254_P0 >> 62) | (BN254_P1 << 2)) & M62),
                         (int64_t)(((BN254_P1 >> 60) | (BN254_P2 << 4)) & M62),
                         (int64_t)(((BN254_P2 >> 58) | (BN254_P3 << 6)) & M62),
                         (int64_t)(BN254_P3 >> 56)}};
#define P_INV62 0x382df87d1b799c77ULL

/* 2^62 times the matrix that maps (f, g) to (f', g') after 62 divsteps. */
typedef struct {
    int64_t u, v, q, r;
} divstep_matrix;

/* Runs 62 divsteps on the low 62 bits of f and g (f odd). Zeros of g are
 * shifted out with one ctz; each odd g is made even by g += f or, when the
 * eta < 0 (delta > 0) rule says so, by swapping and g = g - f. Returns the
 * new eta. The entries are tracked modulo 2^64 and are at most 2^62 in
 * magnitude, so they read back exactly as int64. */
static int64_t divsteps_62(int64_t eta, uint64_t f, uint64_t g, divstep_matrix *t) {
    uint64_t u = 1, v = 0, q = 0, r = 1;
    int left = 62;
    for (;;) {
        int zeros = __builtin_ctzll(g | (UINT64_MAX << left));
        g >>= zeros;
        u <<= zeros;
        v <<= zeros;
        eta -= zeros;
        left -= zeros;
        if (left == 0)
            break;
        if (eta < 0) {
            uint64_t tf = f, tu = u, tv = v;
            eta = -eta;
            f = g, u = q, v = r;
            g -= tf, q -= tu, r -= tv;
        } else {
            g += f, q += u, r += v;
        }
    }
    t->u = (int64_t)u, t->v = (int64_t)v, t->q = (int64_t)q, t->r = (int64_t)r;
    return eta;
}

/* (f, g) = (u f + v g, q f + r g) / 2^62; the divisions are exact. */
static void update_fg(s62 *f, s62 *g, const divstep_matrix *t) {
    __int128 cf = (__int128)t->u * f->v[0] + (__int128)t->v * g->v[0];
    __int128 cg = (__int128)t->q * f->v[0] + (__int128)t->r * g->v[0];
    assert(((uint64_t)cf & M62) == 0 && ((uint64_t)cg & M62) == 0);
    cf >>= 62;
    cg >>= 62;
    for (int i = 1; i < 5; i++) {
        cf += (__int128)t->u * f->v[i] + (__int128)t->v * g->v[i];
        cg += (__int128)t->q * f->v[i] + (__int128)t->r * g->v[i];
        f->v[i - 1] = (int64_t)((uint64_t)cf & M62);
        g->v[i - 1] = (int64_t)((uint64_t)cg & M62);
        cf >>= 62;
        cg >>= 62;
    }
    f->v[4] = (int64_t)cf;
    g->v[4] = (int64_t)cg;
}

/* x += sign * p for a normalized x (sign is +1 or -1). */
static void s62_add_p(s62 *x, int sign) {
    __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (__int128)x->v[i] + (__int128)sign * P62.v[i];
        x->v[i] = (int64_t)((uint64_t)c & M62);
        c >>= 62;
    }
    x->v[4] = (int64_t)(c + x->v[4] + (__int128)sign * P62.v[4]);
}

/* Brings x from (-p, 2p) into [0, p). */
static void s62_reduce(s62 *x) {
    if (x->v[4] < 0) {
        s62_add_p(x, 1);
        return;
    }
    for (int i = 4; i >= 0; i--) { /* x >= p ? */
        if (x->v[i] != P62.v[i]) {
            if (x->v[i] > P62.v[i])
                s62_add_p(x, -1);
            return;
        }
    }
    s62_add_p(x, -1); /* x == p */
}

/* (d, e) = (u d + v e, q d + r e) / 2^62 mod p, for d, e in [0, p). A multiple
 * of p is added to each sum to clear its low 62 bits (as in Montgomery
 * reduction), which leaves the results in (-p, 2p) before reduction. */
static void update_de(s62 *d, s62 *e, const divstep_matrix *t) {
    __int128 cd = (__int128)t->u * d->v[0] + (__int128)t->v * e->v[0];
    __int128 ce = (__int128)t->q * d->v[0] + (__int128)t->r * e->v[0];
    int64_t md = (int64_t)((-(uint64_t)cd * P_INV62) & M62);
    int64_t me = (int64_t)((-(uint64_t)ce * P_INV62) & M62);
    cd += (__int128)md * P62.v[0];
    ce += (__int128)me * P62.v[0];
    assert(((uint64_t)cd & M62) == 0 && ((uint64_t)ce & M62) == 0);
    cd >>= 62;
    ce >>= 62;
    for (int i = 1; i < 5; i++) {
        cd += (__int128)t->u * d->v[i] + (__int128)t->v * e->v[i] +
              (__int128)md * P62.v[i];
        ce += (__int128)t->q * d->v[i] + (__int128)t->r * e->v[i] +
              (__int128)me * P62.v[i];
        d->v[i - 1] = (int64_t)((uint64_t)cd & M62);
        e->v[i - 1] = (int64_t)((uint64_t)ce & M62);
        cd >>= 62;
        ce >>= 62;
    }
    d->v[4] = (int64_t)cd;
    e->v[4] = (int64_t)ce;
    s62_reduce(d);
    s62_reduce(e);
}

/* x = p - x for a normalized x in [0, p). */
static void s62_sub_from_p(s62 *x) {
    __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (__int128)P62.v[i] - x->v[i];
        x->v[i] = (int64_t)((uint64_t)c & M62);
        c >>= 62;
    }
    x->v[4] = (int64_t)(c + P62.v[4] - x->v[4]);
}

static bool s62_is_zero(const s62 *x) {
    return (x->v[0] | x->v[1] | x->v[2] | x->v[3] | x->v[4]) == 0;
}

/* Plain modular inverse of the integer x < p (x != 0) by safegcd: keeps
 * f = d x and g = e x (mod p) while the divsteps drive g to 0 and f to +-1. */
static void inverse_plain(uint64_t out[4], const uint64_t x[4]) {
    s62 f = P62, d = {{0}}, e = {{1}};
    s62 g = {{(int64_t)(x[0] & M62), (int64_t)(((x[0] >> 62) | (x[1] << 2)) & M62),
              (int64_t)(((x[1] >> 60) | (x[2] << 4)) & M62),
              (int64_t)(((x[2] >> 58) | (x[3] << 6)) & M62), (int64_t)(x[3] >> 56)}};
    int64_t eta = -1; /* delta = 1 */
    /* 254-bit inputs need at most 735 divsteps (Bernstein-Yang bound), i.e.
     * 12 batches; the cap only guards against a broken invariant. */
    for (int batch = 0; batch < 16 && !s62_is_zero(&g); batch++) {
        divstep_matrix t;
        eta = divsteps_62(eta, (uint64_t)f.v[0], (uint64_t)g.v[0], &t);
        update_de(&d, &e, &t);
        update_fg(&f, &g, &t);
    }
    assert(s62_is_zero(&g));
    if (f.v[4] < 0 && !s62_is_zero(&d)) /* f = -1: the inverse is p - d */
        s62_sub_from_p(&d);
    uint64_t l[5];
    for (int i = 0; i < 5; i++)
        l[i] = (uint64_t)d.v[i];
    out[0] = l[0] | (l[1] << 62);
    out[1] = (l[1] >> 2) | (l[2] << 60);
    out[2] = (l[2] >> 4) | (l[3] << 58);
    out[3] = (l[3] >> 6) | (l[4] << 56);
}

void fp_inv(fp *r, const fp *a) {
    if (fp_is_zero(a)) {
        *r = FP_ZERO;
        return;
    }
    fp t;
    inverse_plain(t.v, a->v);
    fp_mul(r, &t, &FP_R3);
}
