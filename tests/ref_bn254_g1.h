/* Reference BN254 G1 arithmetic for tests and fuzzing: GMP affine formulas
 * and double-and-add over all 256 scalar bits (no reduction mod r), written
 * independently of src/crypto. Byte-level ECADD/ECMUL with the EIP-196
 * validity rules. Header-only. */
#ifndef PAREVM_TESTS_REF_BN254_G1_H
#define PAREVM_TESTS_REF_BN254_G1_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char *REF_P_HEX = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

static void ref_be32_from_mpz(uint8_t out[32], const mpz_t z) {
    uint8_t tmp[64];
    size_t n = 0;
    mpz_export(tmp, &n, 1, 1, 1, 0, z);
    memset(out, 0, 32);
    memcpy(out + 32 - n, tmp, n);
}

typedef struct {
    mpz_t x, y;
    bool inf;
} ref_point;

static mpz_t ref_p;
static bool ref_ready;

static void ref_init(void) {
    if (!ref_ready) {
        mpz_init_set_str(ref_p, REF_P_HEX, 16);
        ref_ready = true;
    }
}

static void ref_point_init(ref_point *a) {
    mpz_inits(a->x, a->y, NULL);
    a->inf = true;
}

static void ref_point_clear(ref_point *a) {
    mpz_clears(a->x, a->y, NULL);
}

/* false if a coordinate >= p or (x, y) != (0, 0) is off y^2 = x^3 + 3. */
static bool ref_decode(ref_point *a, const uint8_t in[64]) {
    mpz_import(a->x, 32, 1, 1, 1, 0, in);
    mpz_import(a->y, 32, 1, 1, 1, 0, in + 32);
    if (mpz_cmp(a->x, ref_p) >= 0 || mpz_cmp(a->y, ref_p) >= 0)
        return false;
    a->inf = mpz_sgn(a->x) == 0 && mpz_sgn(a->y) == 0;
    if (a->inf)
        return true;
    mpz_t l, r;
    mpz_inits(l, r, NULL);
    mpz_mul(l, a->y, a->y);
    mpz_powm_ui(r, a->x, 3, ref_p);
    mpz_add_ui(r, r, 3);
    mpz_sub(l, l, r);
    mpz_mod(l, l, ref_p);
    bool ok = mpz_sgn(l) == 0;
    mpz_clears(l, r, NULL);
    return ok;
}

static void ref_encode(uint8_t out[64], const ref_point *a) {
    memset(out, 0, 64);
    if (!a->inf) {
        ref_be32_from_mpz(out, a->x);
        ref_be32_from_mpz(out + 32, a->y);
    }
}

static void ref_add(ref_point *r, const ref_point *a, const ref_point *b) {
    if (a->inf || b->inf) {
        const ref_point *s = a->inf ? b : a;
        mpz_set(r->x, s->x);
        mpz_set(r->y, s->y);
        r->inf = s->inf;
        return;
    }
    mpz_t lam, t, x3;
    mpz_inits(lam, t, x3, NULL);
    if (mpz_cmp(a->x, b->x) == 0) {
        mpz_add(t, a->y, b->y);
        mpz_mod(t, t, ref_p);
        if (mpz_sgn(t) == 0) {
            r->inf = true;
            mpz_set_ui(r->x, 0);
            mpz_set_ui(r->y, 0);
            mpz_clears(lam, t, x3, NULL);
            return;
        }
        mpz_mul(lam, a->x, a->x);
        mpz_mul_ui(lam, lam, 3);
        mpz_mul_ui(t, a->y, 2);
    } else {
        mpz_sub(lam, b->y, a->y);
        mpz_sub(t, b->x, a->x);
    }
    mpz_mod(t, t, ref_p);
    mpz_invert(t, t, ref_p);
    mpz_mul(lam, lam, t);
    mpz_mod(lam, lam, ref_p);
    mpz_mul(x3, lam, lam);
    mpz_sub(x3, x3, a->x);
    mpz_sub(x3, x3, b->x);
    mpz_mod(x3, x3, ref_p);
    mpz_sub(t, a->x, x3);
    mpz_mul(t, t, lam);
    mpz_sub(t, t, a->y);
    mpz_mod(r->y, t, ref_p);
    mpz_set(r->x, x3);
    r->inf = false;
    mpz_clears(lam, t, x3, NULL);
}

static bool ref_ecadd(const uint8_t in[128], uint8_t out[64]) {
    ref_init();
    ref_point a, b;
    ref_point_init(&a);
    ref_point_init(&b);
    bool ok = ref_decode(&a, in) && ref_decode(&b, in + 64);
    if (ok) {
        ref_add(&a, &a, &b);
        ref_encode(out, &a);
    }
    ref_point_clear(&a);
    ref_point_clear(&b);
    return ok;
}

static bool ref_ecmul(const uint8_t in[96], uint8_t out[64]) {
    ref_init();
    ref_point a, acc;
    ref_point_init(&a);
    ref_point_init(&acc);
    bool ok = ref_decode(&a, in);
    if (ok) {
        for (int i = 0; i < 256; i++) {
            ref_add(&acc, &acc, &acc);
            if ((in[64 + i / 8] >> (7 - i % 8)) & 1)
                ref_add(&acc, &acc, &a);
        }
        ref_encode(out, &acc);
    }
    ref_point_clear(&a);
    ref_point_clear(&acc);
    return ok;
}

#endif
