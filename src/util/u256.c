/* u256 arithmetic that is too large to inline: multiplication, Knuth
 * division (also for the 512-bit intermediates of MULMOD), Barrett
 * reduction for MULMOD by a repeated modulus, shifts, EXP. */
#include "parevm/u256.h"

#define UNLIKELY_DIV(x) __builtin_expect(!!(x), 0)





void u256_mul_full(uint64_t r[8], const u256 *a, const u256 *b) {
    memset(r, 0, 8 * sizeof(uint64_t));
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            u128 t = (u128)a->w[i] * b->w[j] + r[i + j] + carry;
            r[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        r[i + 4] = carry;
    }
}

/* Division by invariant integers with reciprocals (Moller and Granlund,
 * "Improved division by invariant integers", 2011): the divisor's
 * reciprocal is computed once per division and every step of the long
 * division costs a few multiplications instead of a divq. */

/* (hi:lo) / d with hi < d: one divq, used only to compute reciprocals. */
static inline uint64_t divq(uint64_t hi, uint64_t lo, uint64_t d) {
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    return q;
}

/* floor((2^128 - 1) / d) - 2^64 for a normalized d (top bit set). */
static inline uint64_t reciprocal_2by1(uint64_t d) { return divq(~d, ~0ULL, d); }

/* Algorithm 4: (u1:u0) / d for a normalized d and u1 < d. */
static inline uint64_t udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v, uint64_t *rem) {
    u128 q = (u128)v * u1 + (((u128)u1 << 64) | u0);
    uint64_t q1 = (uint64_t)(q >> 64) + 1, q0 = (uint64_t)q;
    uint64_t r = u0 - q1 * d;
    if (r > q0) {
        q1--;
        r += d;
    }
    if (UNLIKELY_DIV(r >= d)) {
        q1++;
        r -= d;
    }
    *rem = r;
    return q1;
}

/* Algorithm 6: the reciprocal of a normalized two-limb divisor (d1:d0). */
static uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0) {
    uint64_t v = reciprocal_2by1(d1);
    uint64_t p = d1 * v + d0;
    if (p < d0) {
        v--;
        if (p >= d1) {
            v--;
            p -= d1;
        }
        p -= d1;
    }
    u128 t = (u128)v * d0;
    uint64_t t1 = (uint64_t)(t >> 64), t0 = (uint64_t)t;
    p += t1;
    if (p < t1) {
        v--;
        if (p >= d1 && (p > d1 || t0 >= d0)) v--;
    }
    return v;
}

/* Algorithm 5: (u2:u1:u0) / (d1:d0) for (u2:u1) < (d1:d0), normalized. */
static inline uint64_t udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0, uint64_t d1, uint64_t d0,
                                    uint64_t v, u128 *rem) {
    u128 q = (u128)v * u2 + (((u128)u2 << 64) | u1);
    uint64_t q1 = (uint64_t)(q >> 64), q0 = (uint64_t)q;
    uint64_t r1 = u1 - q1 * d1;
    u128 d = ((u128)d1 << 64) | d0;
    u128 r = (((u128)r1 << 64) | u0) - (u128)d0 * q1 - d;
    q1++;
    if ((uint64_t)(r >> 64) >= q0) {
        q1--;
        r += d;
    }
    if (UNLIKELY_DIV(r >= d)) {
        q1++;
        r -= d;
    }
    *rem = r;
    return q1;
}

/* r[0..len) -= q * b[0..len); returns what to subtract from the next limb. */
static uint64_t submul(uint64_t *r, const uint64_t *b, int len, uint64_t q) {
    uint64_t borrow = 0;
    for (int i = 0; i < len; i++) {
        u128 p = (u128)q * b[i] + borrow;
        uint64_t lo = (uint64_t)p, t = r[i] - lo;
        borrow = (uint64_t)(p >> 64) + (t > r[i]);
        r[i] = t;
    }
    return borrow;
}

/* r[0..len) += b[0..len); returns the carry. */
static uint64_t add_limbs(uint64_t *r, const uint64_t *b, int len) {
    uint64_t c = 0;
    for (int i = 0; i < len; i++) {
        u128 s = (u128)r[i] + b[i] + c;
        r[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    return c;
}

static int limbs_used(const uint64_t *x, int n) {
    while (n > 0 && x[n - 1] == 0) n--;
    return n;
}

/* Long division (Knuth's algorithm D with the steps above). u has n limbs,
 * v has m limbs with v[m-1] != 0, n >= m. q gets n-m+1 limbs, r gets m. */
static void udivrem(uint64_t *q, uint64_t *r, const uint64_t *u, int n, const uint64_t *v, int m) {
    int s = __builtin_clzll(v[m - 1]);
    uint64_t vn[4], un[9];
    for (int i = m - 1; i > 0; i--) vn[i] = (v[i] << s) | (s ? v[i - 1] >> (64 - s) : 0);
    vn[0] = v[0] << s;
    un[n] = s ? u[n - 1] >> (64 - s) : 0;
    for (int i = n - 1; i > 0; i--) un[i] = (u[i] << s) | (s ? u[i - 1] >> (64 - s) : 0);
    un[0] = u[0] << s;

    if (m == 1) {
        uint64_t d = vn[0], rec = reciprocal_2by1(d), rem = un[n];
        for (int j = n - 1; j >= 0; j--) q[j] = udivrem_2by1(rem, un[j], d, rec, &rem);
        r[0] = rem >> s;
        return;
    }
    uint64_t d1 = vn[m - 1], d0 = vn[m - 2], rec = reciprocal_3by2(d1, d0);
    for (int j = n - m; j >= 0; j--) {
        uint64_t u2 = un[j + m], u1 = un[j + m - 1], u0 = un[j + m - 2], qhat;
        if (UNLIKELY_DIV(u2 == d1 && u1 == d0)) {
            /* the estimate would overflow: the quotient limb is all ones */
            qhat = ~0ULL;
            un[j + m] = u2 - submul(&un[j], vn, m, qhat);
        } else {
            u128 rhat;
            qhat = udivrem_3by2(u2, u1, u0, d1, d0, rec, &rhat);
            /* the top two limbs are rhat; subtract q * the lower limbs */
            uint64_t borrow = submul(&un[j], vn, m - 2, qhat);
            uint64_t r0 = (uint64_t)rhat, r1 = (uint64_t)(rhat >> 64);
            uint64_t t0 = r0 - borrow, b0 = t0 > r0;
            uint64_t t1 = r1 - b0, b1 = b0 && r1 == 0;
            un[j + m - 2] = t0;
            un[j + m - 1] = t1;
            if (b1) { /* one too many: add the divisor back */
                qhat--;
                un[j + m - 1] += d1 + add_limbs(&un[j], vn, m - 1);
            }
            un[j + m] = 0; /* the partial remainder now fits in m limbs */
        }
        q[j] = qhat;
    }
    for (int i = 0; i < m; i++) r[i] = (un[i] >> s) | (s ? un[i + 1] << (64 - s) : 0);
}

/* General n-limb by 4-limb division used by divmod and mulmod. */
static void divmod_limbs(const uint64_t *u, int un, const u256 *d, uint64_t *q,
                         int qn, u256 *rem) {
    int m = limbs_used(d->w, 4);
    int n = limbs_used(u, un);
    uint64_t qq[8] = {0}, rr[4] = {0};
    if (m == 0) {
        /* division by zero: EVM returns zero */
    } else if (n < m) {
        memcpy(rr, u, (size_t)n * 8);
    } else {
        udivrem(qq, rr, u, n, d->w, m);
    }
    if (q) memcpy(q, qq, (size_t)qn * 8);
    if (rem) memcpy(rem->w, rr, 32);
}

void u256_divmod(const u256 *a, const u256 *b, u256 *q, u256 *r) {
    /* u256_div and u256_mod's short cases; otherwise one long division
     * gives both */
    unsigned k;
    if ((u256_fits_u64(a) && u256_fits_u64(b)) || u256_is_pow2(b, &k)) {
        if (q) *q = u256_div(a, b);
        if (r) *r = u256_mod(a, b);
        return;
    }
    divmod_limbs(a->w, 4, b, q ? q->w : NULL, 4, r);
}

u256 u256_div_long(const u256 *a, const u256 *b) {
    u256 q;
    divmod_limbs(a->w, 4, b, q.w, 4, NULL);
    return q;
}

u256 u256_mod_long(const u256 *a, const u256 *b) {
    u256 r;
    divmod_limbs(a->w, 4, b, NULL, 0, &r);
    return r;
}

u256 u256_sdiv_signed(const u256 *a, const u256 *b) {
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256 x = na ? u256_neg(a) : *a, y = nb ? u256_neg(b) : *b;
    u256 q = u256_div(&x, &y);
    return na != nb ? u256_neg(&q) : q;
}

u256 u256_smod_signed(const u256 *a, const u256 *b) {
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256 x = na ? u256_neg(a) : *a, y = nb ? u256_neg(b) : *b;
    u256 r = u256_mod(&x, &y);
    return na ? u256_neg(&r) : r;
}

u256 u256_addmod(const u256 *a, const u256 *b, const u256 *m) {
    u256 r = U256_ZERO;
    if (u256_is_zero(m)) return r;
    if (u256_lt(a, m) && u256_lt(b, m)) {
        /* Both already reduced, as in field arithmetic: the sum is below
         * 2m, so one conditional subtraction replaces the division. */
        u256 s;
        bool carry = u256_add_carry(&s, a, b);
        bool borrow = u256_sub_borrow(&r, &s, m);
        return carry || !borrow ? r : s;
    }
    uint64_t s[5];
    u256 sum;
    bool carry = u256_add_carry(&sum, a, b);
    memcpy(s, sum.w, 32);
    s[4] = carry;
    divmod_limbs(s, 5, m, NULL, 0, &r);
    return r;
}

u256 u256_mulmod(const u256 *a, const u256 *b, const u256 *m) {
    u256 r = U256_ZERO;
    if (u256_is_zero(m)) return r;
    uint64_t p[8];
    u256_mul_full(p, a, b);
    divmod_limbs(p, 8, m, NULL, 0, &r);
    return r;
}

/* ---- MULMOD by a kept modulus: Barrett reduction ----
 * Menezes et al., Handbook of Applied Cryptography, algorithm 14.42, with
 * base b = 2^64 and k = 4 limbs: for x < 2^512 and mu = floor(2^512 / m),
 * q3 = floor(floor(x / b^3) * mu / b^5) is at most 2 below floor(x / m).
 * Only the products of q1 = floor(x / b^3) and mu at limbs 3 and up are
 * summed: the six left out (limbs 0..2) add up to less than
 * b^2 + 2b^3 + 3b^4 < b^5, so the estimate is at most one lower again. x - q3 * m < 4m < 2^320 is
 * then found modulo 2^320 and three conditional subtractions finish it. */

/* m >= 2^192 (four limbs) and not a power of two: then mu < 2^320 fits in
 * five limbs and floor((2^512 - 1) / m) is mu. */
static bool barrett_suited(const u256 *m) {
    unsigned k;
    return m->w[3] != 0 && !u256_is_pow2(m, &k);
}

static void barrett_mu(const u256 *m, uint64_t mu[5]) {
    uint64_t ones[8], r[4];
    memset(ones, 0xff, sizeof ones);
    udivrem(mu, r, ones, 8, m->w, 4);
}

/* r[0..5) >= m, m zero-extended to five limbs */
static bool ge_m5(const uint64_t r[5], const u256 *m) {
    if (r[4]) return true;
    for (int i = 3; i >= 0; i--)
        if (r[i] != m->w[i]) return r[i] > m->w[i];
    return true;
}

static u256 barrett_rem(const uint64_t x[8], const u256 *m, const uint64_t mu[5]) {
    /* q2 = (x >> 192) * mu, its products at limbs 3 and up: only its
     * limbs 5..9 (q3) are used */
    const uint64_t *q1 = x + 3;
    uint64_t q2[10] = {0};
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        uint64_t carry = 0;
#pragma GCC unroll 5
        for (int j = i < 3 ? 3 - i : 0; j < 5; j++) {
            u128 t = (u128)q1[i] * mu[j] + q2[i + j] + carry;
            q2[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        q2[i + 5] = carry;
    }
    const uint64_t *q3 = q2 + 5;
    /* q3 * m modulo 2^320 */
    uint64_t p[5] = {0};
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            if (i + j >= 5) break;
            u128 t = (u128)q3[i] * m->w[j] + p[i + j] + carry;
            p[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        if (i == 0) p[4] = carry;
    }
    /* r = x - q3 * m modulo 2^320, below 4m */
    uint64_t r[5], borrow = 0;
    for (int i = 0; i < 5; i++) {
        u128 d = (u128)x[i] - p[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    for (int n = 0; n < 3 && ge_m5(r, m); n++) {
        borrow = 0;
        for (int i = 0; i < 5; i++) {
            u128 d = (u128)r[i] - (i < 4 ? m->w[i] : 0) - borrow;
            r[i] = (uint64_t)d;
            borrow = (uint64_t)(d >> 64) & 1;
        }
    }
    u256 out;
    memcpy(out.w, r, 32);
    return out;
}

u256 u256_mulmod_cached(const u256 *a, const u256 *b, const u256 *m, u256_mulmod_cache *c) {
    u256 r = U256_ZERO;
    if (u256_is_zero(m)) return r;
    uint64_t p[8];
    u256_mul_full(p, a, b);
    if (!u256_eq(m, &c->m)) {
        c->m = *m;
        c->state = U256_MOD_SEEN;
    } else if (c->state == U256_MOD_SEEN) {
        c->state = U256_MOD_AGAIN;
    } else if (c->state == U256_MOD_AGAIN) {
        c->state = barrett_suited(m) ? U256_MOD_READY : U256_MOD_UNSUITED;
        if (c->state == U256_MOD_READY) barrett_mu(m, c->mu);
    }
    if (c->state == U256_MOD_READY) return barrett_rem(p, m, c->mu);
    divmod_limbs(p, 8, m, NULL, 0, &r);
    return r;
}

/* a * a mod 2^256: the products below the diagonal count twice, so 6
 * multiplications instead of u256_mul's 10. */
static u256 u256_sqr(const u256 *a) {
    const uint64_t *x = a->w;
    /* the cross products x0x1, x0x2, x1x2 (+ x0x3) before doubling */
    u128 t = (u128)x[0] * x[1];
    uint64_t c1 = (uint64_t)t, c2, c3;
    t = (u128)x[0] * x[2] + (uint64_t)(t >> 64);
    c2 = (uint64_t)t;
    c3 = (uint64_t)(t >> 64) + x[0] * x[3] + x[1] * x[2];
    /* double them */
    c3 = (c3 << 1) | (c2 >> 63);
    c2 = (c2 << 1) | (c1 >> 63);
    c1 <<= 1;
    /* add the squares x0^2 (limbs 0, 1) and x1^2 (limbs 2, 3) */
    u128 d0 = (u128)x[0] * x[0], d1 = (u128)x[1] * x[1];
    u256 r;
    r.w[0] = (uint64_t)d0;
    t = (u128)c1 + (uint64_t)(d0 >> 64);
    r.w[1] = (uint64_t)t;
    t = (u128)c2 + (uint64_t)d1 + (uint64_t)(t >> 64);
    r.w[2] = (uint64_t)t;
    r.w[3] = c3 + (uint64_t)(d1 >> 64) + (uint64_t)(t >> 64);
    return r;
}

u256 u256_exp(const u256 *a, const u256 *e) {
    u256 one = u256_from_u64(1);
    unsigned bits = u256_bits(e);
    if (bits == 0) return one;
    /* a power of two 2^s (2**k, 256**k in Solidity): 2^(s*e) is a shift */
    unsigned s;
    if (u256_is_pow2(a, &s)) {
        if (s == 0) return one;
        if (bits > 8 || e->w[0] * s >= 256) return U256_ZERO;
        return u256_shl(&one, (unsigned)e->w[0] * s);
    }
    u256 result = one, base = *a;
    for (unsigned i = 0; i < bits; i++) {
        if ((e->w[i / 64] >> (i % 64)) & 1) result = u256_mul(&result, &base);
        if (i + 1 == bits) break;
        base = u256_sqr(&base);
        /* an even base squares to zero within 8 steps: every later factor
         * is zero, so the result is too if any bit is left */
        if (u256_is_zero(&base)) return U256_ZERO;
    }
    return result;
}



u256 u256_from_be(const uint8_t *in, size_t len) {
    if (len > 32) {
        in += len - 32;
        len = 32;
    }
    if (len == 32) return u256_load_be32(in);
    if (len == 0) return U256_ZERO;
    /* right-aligned in a zeroed word: no loop over the bytes */
    uint8_t word[32] = {0};
    memcpy(word + 32 - len, in, len);
    return u256_load_be32(word);
}


void u256_to_dec(const u256 *a, char out[80]) {
    char buf[80];
    int n = 0;
    u256 x = *a, ten19 = u256_from_u64(10000000000000000000ULL);
    do {
        u256 q, r;
        u256_divmod(&x, &ten19, &q, &r);
        uint64_t chunk = r.w[0];
        bool last = u256_is_zero(&q);
        for (int k = 0; k < 19 && (chunk || !last || k == 0); k++) {
            buf[n++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
        x = q;
    } while (!u256_is_zero(&x));
    for (int i = 0; i < n; i++) out[i] = buf[n - 1 - i];
    out[n] = 0;
}

void u256_to_hex(const u256 *a, char out[67]) {
    static const char hexd[] = "0123456789abcdef";
    uint8_t be[32];
    u256_to_be(a, be);
    int i = 0;
    while (i < 31 && be[i] == 0) i++;
    char *p = out;
    *p++ = '0';
    *p++ = 'x';
    bool started = false;
    for (; i < 32; i++) {
        uint8_t hi = be[i] >> 4, lo = be[i] & 15;
        if (started || hi) {
            *p++ = hexd[hi];
            started = true;
        }
        if (started || lo || i == 31) {
            *p++ = hexd[lo];
            started = true;
        }
    }
    *p = 0;
}
