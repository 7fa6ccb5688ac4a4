/* Reference MODEXP for tests and fuzzing: the EIP-198, EIP-2565 and EIP-7883 gas
 * formulas evaluated in exact GMP arithmetic, and the result computed from
 * operands materialized with their zero padding. Written straight from the
 * EIP text, independently of src/crypto/modexp.c. Header-only. */
#ifndef PAREVM_TESTS_REF_MODEXP_H
#define PAREVM_TESTS_REF_MODEXP_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* z = the n-byte big-endian number at in[off...], data zero-padded. */
static bool ref_read(mpz_t z, const uint8_t *in, size_t len, const mpz_t off, const mpz_t n) {
    bool ok = true;
    mpz_set_ui(z, 0);
    if (mpz_sgn(n) == 0)
        return true;
    mpz_t end;
    mpz_init(end);
    mpz_add(end, off, n);
    /* bytes [off, end) intersected with [0, len) */
    if (mpz_cmp_ui(off, len) < 0) {
        size_t start = mpz_get_ui(off);
        size_t stop = mpz_cmp_ui(end, len) < 0 ? mpz_get_ui(end) : len;
        mpz_import(z, stop - start, 1, 1, 1, 0, in + start);
        mpz_t missing;
        mpz_init(missing);
        mpz_sub_ui(missing, end, stop);
        if (mpz_sgn(z) != 0) {
            ok = mpz_cmp_ui(missing, 1u << 20) < 0; /* only small shifts here */
            if (ok)
                mpz_mul_2exp(z, z, 8 * mpz_get_ui(missing));
        }
        mpz_clear(missing);
    }
    mpz_clear(end);
    return ok;
}

static void ref_lengths(mpz_t b, mpz_t e, mpz_t m, const uint8_t *in, size_t len) {
    mpz_t off, n32;
    mpz_inits(off, n32, NULL);
    mpz_set_ui(n32, 32);
    mpz_set_ui(off, 0);
    ref_read(b, in, len, off, n32);
    mpz_set_ui(off, 32);
    ref_read(e, in, len, off, n32);
    mpz_set_ui(off, 64);
    ref_read(m, in, len, off, n32);
    mpz_clears(off, n32, NULL);
}

static uint64_t ref_saturate(const mpz_t g) {
    mpz_t max;
    mpz_init_set_ui(max, 0);
    mpz_setbit(max, 64);
    mpz_sub_ui(max, max, 1);
    uint64_t r = mpz_cmp(g, max) >= 0 ? UINT64_MAX : (uint64_t)mpz_get_ui(g);
    mpz_clear(max);
    return r;
}

/* The gas formulas of EIP-198 and EIP-2565, in exact arithmetic. */
static uint64_t ref_gas(const uint8_t *in, size_t len, bool berlin) {
    mpz_t b, e, m, x, head, off, hl, adj, c, t;
    mpz_inits(b, e, m, x, head, off, hl, adj, c, t, NULL);
    ref_lengths(b, e, m, in, len);
    mpz_set(x, mpz_cmp(b, m) > 0 ? b : m);
    /* the first min(exp_len, 32) exponent bytes */
    mpz_add_ui(off, b, 96);
    mpz_set(hl, e);
    if (mpz_cmp_ui(hl, 32) > 0)
        mpz_set_ui(hl, 32);
    ref_read(head, in, len, off, hl);
    long bit = mpz_sgn(head) == 0 ? 0 : (long)mpz_sizeinbase(head, 2) - 1;
    if (mpz_cmp_ui(e, 32) <= 0) {
        mpz_set_ui(adj, (unsigned long)bit);
    } else {
        mpz_sub_ui(adj, e, 32);
        mpz_mul_ui(adj, adj, 8);
        mpz_add_ui(adj, adj, (unsigned long)bit);
    }
    if (mpz_cmp_ui(adj, 1) < 0)
        mpz_set_ui(adj, 1);
    if (berlin) {
        mpz_add_ui(c, x, 7);
        mpz_fdiv_q_ui(c, c, 8);
        mpz_mul(c, c, c);
        mpz_mul(c, c, adj);
        mpz_fdiv_q_ui(c, c, 3);
        if (mpz_cmp_ui(c, 200) < 0)
            mpz_set_ui(c, 200);
    } else {
        if (mpz_cmp_ui(x, 64) <= 0) {
            mpz_mul(c, x, x);
        } else if (mpz_cmp_ui(x, 1024) <= 0) {
            mpz_mul(c, x, x);
            mpz_fdiv_q_ui(c, c, 4);
            mpz_mul_ui(t, x, 96);
            mpz_add(c, c, t);
            mpz_sub_ui(c, c, 3072);
        } else {
            mpz_mul(c, x, x);
            mpz_fdiv_q_ui(c, c, 16);
            mpz_mul_ui(t, x, 480);
            mpz_add(c, c, t);
            mpz_sub_ui(c, c, 199680);
        }
        mpz_mul(c, c, adj);
        mpz_fdiv_q_ui(c, c, 20);
    }
    uint64_t gas = ref_saturate(c);
    mpz_clears(b, e, m, x, head, off, hl, adj, c, t, NULL);
    return gas;
}

/* EIP-7883 (Osaka) gas, from its pseudo-code in exact arithmetic:
 * complexity 16 when max(base_len, mod_len) <= 32, else 2 ceil(max/8)^2;
 * iterations: bit_length(head) - 1 for exp_len <= 32 (0 for a zero head),
 * else 16 (exp_len - 32) + bit_length(head) - 1, where head is the first 32
 * exponent bytes; at least 1; gas = max(500, complexity * iterations). */
static uint64_t ref_gas_osaka(const uint8_t *in, size_t len) {
    mpz_t b, e, m, x, head, off, hl, it, c;
    mpz_inits(b, e, m, x, head, off, hl, it, c, NULL);
    ref_lengths(b, e, m, in, len);
    mpz_set(x, mpz_cmp(b, m) > 0 ? b : m);
    mpz_add_ui(off, b, 96);
    mpz_set(hl, e);
    if (mpz_cmp_ui(hl, 32) > 0)
        mpz_set_ui(hl, 32);
    ref_read(head, in, len, off, hl);
    long bits = mpz_sgn(head) == 0 ? 0 : (long)mpz_sizeinbase(head, 2);
    if (mpz_cmp_ui(e, 32) <= 0) {
        mpz_set_si(it, bits > 0 ? bits - 1 : 0);
    } else {
        mpz_sub_ui(it, e, 32);
        mpz_mul_ui(it, it, 16);
        if (bits > 0)
            mpz_add_ui(it, it, (unsigned long)(bits - 1));
    }
    if (mpz_cmp_ui(it, 1) < 0)
        mpz_set_ui(it, 1);
    if (mpz_cmp_ui(x, 32) <= 0) {
        mpz_set_ui(c, 16);
    } else {
        mpz_add_ui(c, x, 7);
        mpz_fdiv_q_ui(c, c, 8);
        mpz_mul(c, c, c);
        mpz_mul_ui(c, c, 2);
    }
    mpz_mul(c, c, it);
    if (mpz_cmp_ui(c, 500) < 0)
        mpz_set_ui(c, 500);
    uint64_t gas = ref_saturate(c);
    mpz_clears(b, e, m, x, head, off, hl, it, c, NULL);
    return gas;
}

/* base^exp mod m written into out (out_len = mod_len bytes). Returns false,
 * writing nothing, if an operand would need a huge shift. */
static bool ref_run(const uint8_t *in, size_t len, uint8_t *out, size_t out_len) {
    mpz_t bl, el, ml, off, base, exp, mod, r;
    mpz_inits(bl, el, ml, off, base, exp, mod, r, NULL);
    ref_lengths(bl, el, ml, in, len);
    mpz_set_ui(off, 96);
    bool ok = ref_read(base, in, len, off, bl);
    mpz_add(off, off, bl);
    ok = ok && ref_read(exp, in, len, off, el);
    mpz_add(off, off, el);
    ok = ok && ref_read(mod, in, len, off, ml);
    if (ok) {
        memset(out, 0, out_len);
        if (mpz_sgn(mod) != 0) {
            mpz_powm(r, base, exp, mod);
            size_t n = (mpz_sizeinbase(r, 2) + 7) / 8;
            ok = n <= out_len;
            if (ok && mpz_sgn(r) != 0)
                mpz_export(out + out_len - n, NULL, 1, 1, 1, 0, r);
        }
    }
    mpz_clears(bl, el, ml, off, base, exp, mod, r, NULL);
    return ok;
}

#endif
