/* u256 arithmetic that is too large to inline: multiplication, Knuth
 * division (also for the 512-bit intermediates of MULMOD), shifts, EXP. */
#include "parevm/u256.h"





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

/* (hi:lo) / d with hi < d, so the quotient fits: one divq instead of the
 * libgcc 128-bit division routine. */
static inline uint64_t div_2by1(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem) {
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    *rem = r;
    return q;
}

static int limbs_used(const uint64_t *x, int n) {
    while (n > 0 && x[n - 1] == 0) n--;
    return n;
}

/* Knuth algorithm D (Hacker's Delight divmnu) on 64-bit limbs.
 * u has n limbs, v has m limbs with v[m-1] != 0, n >= m. q gets n-m+1 limbs,
 * r gets m limbs. */
static void udivrem(uint64_t *q, uint64_t *r, const uint64_t *u, int n,
                    const uint64_t *v, int m) {
    if (m == 1) {
        uint64_t rem = 0;
        for (int j = n - 1; j >= 0; j--) q[j] = div_2by1(rem, u[j], v[0], &rem);
        r[0] = rem;
        return;
    }
    int s = __builtin_clzll(v[m - 1]);
    uint64_t vn[8], un[9];
    for (int i = m - 1; i > 0; i--)
        vn[i] = (v[i] << s) | (s ? v[i - 1] >> (64 - s) : 0);
    vn[0] = v[0] << s;
    un[n] = s ? u[n - 1] >> (64 - s) : 0;
    for (int i = n - 1; i > 0; i--)
        un[i] = (u[i] << s) | (s ? u[i - 1] >> (64 - s) : 0);
    un[0] = u[0] << s;

    for (int j = n - m; j >= 0; j--) {
        /* the remainder's top limb never exceeds the divisor's (Knuth D) */
        u128 qhat, rhat;
        if (un[j + m] >= vn[m - 1]) {
            qhat = ~0ULL;
            rhat = ((((u128)un[j + m]) << 64) | un[j + m - 1]) - qhat * vn[m - 1];
        } else {
            uint64_t r64;
            qhat = div_2by1(un[j + m], un[j + m - 1], vn[m - 1], &r64);
            rhat = r64;
        }
        while ((rhat >> 64) == 0 && qhat * vn[m - 2] > ((rhat << 64) | un[j + m - 2])) {
            qhat--;
            rhat += vn[m - 1];
        }
        __int128 k = 0, t;
        for (int i = 0; i < m; i++) {
            u128 p = qhat * vn[i];
            t = (__int128)un[i + j] - k - (__int128)(uint64_t)p;
            un[i + j] = (uint64_t)t;
            k = (__int128)(p >> 64) - (t >> 64);
        }
        t = (__int128)un[j + m] - k;
        un[j + m] = (uint64_t)t;
        q[j] = (uint64_t)qhat;
        if (t < 0) {
            q[j]--;
            u128 c = 0;
            for (int i = 0; i < m; i++) {
                u128 s2 = (u128)un[i + j] + vn[i] + c;
                un[i + j] = (uint64_t)s2;
                c = s2 >> 64;
            }
            un[j + m] += (uint64_t)c;
        }
    }
    for (int i = 0; i < m; i++)
        r[i] = (un[i] >> s) | (s ? un[i + 1] << (64 - s) : 0);
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
    /* fast path: both fit in 64 bits */
    if (u256_fits_u64(a) && u256_fits_u64(b)) {
        uint64_t x = a->w[0], y = b->w[0];
        if (q) *q = u256_from_u64(y ? x / y : 0);
        if (r) *r = u256_from_u64(y ? x % y : 0);
        return;
    }
    divmod_limbs(a->w, 4, b, q ? q->w : NULL, 4, r);
}

u256 u256_div(const u256 *a, const u256 *b) {
    u256 q;
    u256_divmod(a, b, &q, NULL);
    return q;
}

u256 u256_mod(const u256 *a, const u256 *b) {
    u256 r;
    u256_divmod(a, b, NULL, &r);
    return r;
}

u256 u256_sdiv(const u256 *a, const u256 *b) {
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256 x = na ? u256_neg(a) : *a, y = nb ? u256_neg(b) : *b;
    u256 q = u256_div(&x, &y);
    return na != nb ? u256_neg(&q) : q;
}

u256 u256_smod(const u256 *a, const u256 *b) {
    bool na = u256_is_neg(a), nb = u256_is_neg(b);
    u256 x = na ? u256_neg(a) : *a, y = nb ? u256_neg(b) : *b;
    u256 r = u256_mod(&x, &y);
    return na ? u256_neg(&r) : r;
}

u256 u256_addmod(const u256 *a, const u256 *b, const u256 *m) {
    u256 r = U256_ZERO;
    if (u256_is_zero(m)) return r;
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

u256 u256_exp(const u256 *a, const u256 *e) {
    u256 result = u256_from_u64(1), base = *a;
    unsigned bits = u256_bits(e);
    for (unsigned i = 0; i < bits; i++) {
        if ((e->w[i / 64] >> (i % 64)) & 1) result = u256_mul(&result, &base);
        if (i + 1 < bits) base = u256_mul(&base, &base);
    }
    return result;
}



u256 u256_from_be(const uint8_t *in, size_t len) {
    u256 r = U256_ZERO;
    if (len > 32) {
        in += len - 32;
        len = 32;
    }
    if (len == 32) return u256_load_be32(in);
    for (size_t i = 0; i < len; i++) {
        size_t pos = len - 1 - i; /* byte significance */
        r.w[pos / 8] |= (uint64_t)in[i] << (8 * (pos % 8));
    }
    return r;
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
