/* u256: 256-bit unsigned integers as four 64-bit limbs, little-endian limb
 * order (w[0] is least significant). All EVM word arithmetic goes through
 * here. Operations wrap modulo 2^256 as the EVM requires; division by zero
 * yields zero (EVM semantics). Hot operations are inline. */
#ifndef PAREVM_U256_H
#define PAREVM_U256_H

#include "types.h"

typedef struct { uint64_t w[4]; } u256;
typedef unsigned __int128 u128;

#define U256_ZERO ((u256){{0, 0, 0, 0}})
static inline u256 u256_from_u64(uint64_t v) { return (u256){{v, 0, 0, 0}}; }

static inline bool u256_is_zero(const u256 *a) {
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}
static inline bool u256_eq(const u256 *a, const u256 *b) {
    return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
            (a->w[3] ^ b->w[3])) == 0;
}
/* True if a fits in 64 bits. */
static inline bool u256_fits_u64(const u256 *a) { return (a->w[1] | a->w[2] | a->w[3]) == 0; }

static inline bool u256_lt(const u256 *a, const u256 *b) {
    if (a->w[3] != b->w[3]) return a->w[3] < b->w[3];
    if (a->w[2] != b->w[2]) return a->w[2] < b->w[2];
    if (a->w[1] != b->w[1]) return a->w[1] < b->w[1];
    return a->w[0] < b->w[0];
}
static inline bool u256_gt(const u256 *a, const u256 *b) { return u256_lt(b, a); }
static inline bool u256_slt(const u256 *a, const u256 *b) {
    int64_t x = (int64_t)a->w[3], y = (int64_t)b->w[3];
    if (x != y) return x < y;
    if (a->w[2] != b->w[2]) return a->w[2] < b->w[2];
    if (a->w[1] != b->w[1]) return a->w[1] < b->w[1];
    return a->w[0] < b->w[0];
}
static inline int u256_cmp(const u256 *a, const u256 *b) {
    return u256_lt(a, b) ? -1 : u256_lt(b, a) ? 1 : 0;
}

/* r = a + b mod 2^256; returns the carry out. */
static inline bool u256_add_carry(u256 *r, const u256 *a, const u256 *b) {
    unsigned long long c = 0, t;
    c = __builtin_uaddll_overflow(a->w[0], b->w[0], &t) ; r->w[0] = t;
    unsigned long long c1 = __builtin_uaddll_overflow(a->w[1], b->w[1], &t);
    c1 |= __builtin_uaddll_overflow(t, c, &t); r->w[1] = t;
    unsigned long long c2 = __builtin_uaddll_overflow(a->w[2], b->w[2], &t);
    c2 |= __builtin_uaddll_overflow(t, c1, &t); r->w[2] = t;
    unsigned long long c3 = __builtin_uaddll_overflow(a->w[3], b->w[3], &t);
    c3 |= __builtin_uaddll_overflow(t, c2, &t); r->w[3] = t;
    return c3;
}
static inline u256 u256_add(const u256 *a, const u256 *b) {
    u256 r;
    u256_add_carry(&r, a, b);
    return r;
}
/* r = a - b mod 2^256; returns the borrow out (a < b). */
static inline bool u256_sub_borrow(u256 *r, const u256 *a, const u256 *b) {
    unsigned long long t;
    unsigned long long b0 = __builtin_usubll_overflow(a->w[0], b->w[0], &t); r->w[0] = t;
    unsigned long long b1 = __builtin_usubll_overflow(a->w[1], b->w[1], &t);
    b1 |= __builtin_usubll_overflow(t, b0, &t); r->w[1] = t;
    unsigned long long b2 = __builtin_usubll_overflow(a->w[2], b->w[2], &t);
    b2 |= __builtin_usubll_overflow(t, b1, &t); r->w[2] = t;
    unsigned long long b3 = __builtin_usubll_overflow(a->w[3], b->w[3], &t);
    b3 |= __builtin_usubll_overflow(t, b2, &t); r->w[3] = t;
    return b3;
}
static inline u256 u256_sub(const u256 *a, const u256 *b) {
    u256 r;
    u256_sub_borrow(&r, a, b);
    return r;
}
static inline u256 u256_and(const u256 *a, const u256 *b) {
    return (u256){{a->w[0] & b->w[0], a->w[1] & b->w[1], a->w[2] & b->w[2], a->w[3] & b->w[3]}};
}
static inline u256 u256_or(const u256 *a, const u256 *b) {
    return (u256){{a->w[0] | b->w[0], a->w[1] | b->w[1], a->w[2] | b->w[2], a->w[3] | b->w[3]}};
}
static inline u256 u256_xor(const u256 *a, const u256 *b) {
    return (u256){{a->w[0] ^ b->w[0], a->w[1] ^ b->w[1], a->w[2] ^ b->w[2], a->w[3] ^ b->w[3]}};
}
static inline u256 u256_not(const u256 *a) {
    return (u256){{~a->w[0], ~a->w[1], ~a->w[2], ~a->w[3]}};
}
static inline u256 u256_neg(const u256 *a) {
    u256 z = U256_ZERO;
    return u256_sub(&z, a);
}
static inline bool u256_is_neg(const u256 *a) { return (int64_t)a->w[3] < 0; }

/* Number of significant bits (0 for zero). */
static inline unsigned u256_bits(const u256 *a) {
    for (int i = 3; i >= 0; i--)
        if (a->w[i]) return (unsigned)(64 * i + 64 - __builtin_clzll(a->w[i]));
    return 0;
}
/* Number of significant bytes (0 for zero). */
static inline unsigned u256_bytes(const u256 *a) { return (u256_bits(a) + 7) / 8; }

/* Shifts by any amount; shifts >= 256 give zero (or all ones for sar).
 * Written with whole-limb moves in a switch and constant limb indexes so the
 * result stays in registers (no partial stores into a stack copy). */
static inline u256 u256_limb_shift_up(const u256 *a, unsigned limbs, uint64_t fill) {
    switch (limbs) {
    case 0: return *a;
    case 1: return (u256){{fill, a->w[0], a->w[1], a->w[2]}};
    case 2: return (u256){{fill, fill, a->w[0], a->w[1]}};
    default: return (u256){{fill, fill, fill, a->w[0]}};
    }
}
static inline u256 u256_limb_shift_down(const u256 *a, unsigned limbs, uint64_t fill) {
    switch (limbs) {
    case 0: return *a;
    case 1: return (u256){{a->w[1], a->w[2], a->w[3], fill}};
    case 2: return (u256){{a->w[2], a->w[3], fill, fill}};
    default: return (u256){{a->w[3], fill, fill, fill}};
    }
}
static inline u256 u256_shl(const u256 *a, unsigned shift) {
    if (shift >= 256) return U256_ZERO;
    u256 t = u256_limb_shift_up(a, shift / 64, 0);
    unsigned s = shift % 64;
    if (!s) return t;
    return (u256){{t.w[0] << s, (t.w[1] << s) | (t.w[0] >> (64 - s)), (t.w[2] << s) | (t.w[1] >> (64 - s)),
                   (t.w[3] << s) | (t.w[2] >> (64 - s))}};
}
static inline u256 u256_shr_fill(const u256 *a, unsigned shift, uint64_t fill) {
    u256 t = u256_limb_shift_down(a, shift / 64, fill);
    unsigned s = shift % 64;
    if (!s) return t;
    return (u256){{(t.w[0] >> s) | (t.w[1] << (64 - s)), (t.w[1] >> s) | (t.w[2] << (64 - s)),
                   (t.w[2] >> s) | (t.w[3] << (64 - s)), (t.w[3] >> s) | (fill << (64 - s))}};
}
static inline u256 u256_shr(const u256 *a, unsigned shift) {
    if (shift >= 256) return U256_ZERO;
    return u256_shr_fill(a, shift, 0);
}
static inline u256 u256_sar(const u256 *a, unsigned shift) {
    uint64_t fill = (int64_t)a->w[3] < 0 ? ~0ULL : 0;
    if (shift >= 256) return (u256){{fill, fill, fill, fill}};
    return u256_shr_fill(a, shift, fill);
}

/* r = a * b mod 2^256 (schoolbook, lower half only; i+j == 3 needs no carry) */
static inline u256 u256_mul(const u256 *a, const u256 *b) {
    u256 r = U256_ZERO;
    for (int i = 0; i < 3; i++) {
        uint64_t carry = 0;
        for (int j = 0; i + j < 3; j++) {
            u128 t = (u128)a->w[i] * b->w[j] + r.w[i + j] + carry;
            r.w[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        r.w[3] += a->w[i] * b->w[3 - i] + carry;
    }
    r.w[3] += a->w[3] * b->w[0];
    return r;
}
/* Full 512-bit product: r[0..7] little-endian limbs. */
void u256_mul_full(uint64_t r[8], const u256 *a, const u256 *b);
/* q = a / b, r = a % b; b == 0 gives q = r = 0. Either out may be NULL. */
void u256_divmod(const u256 *a, const u256 *b, u256 *q, u256 *r);
/* Whether v is 2^k; k into *k if so. */
static inline bool u256_is_pow2(const u256 *v, unsigned *k) {
    int bits = __builtin_popcountll(v->w[0]) + __builtin_popcountll(v->w[1]) + __builtin_popcountll(v->w[2]) +
               __builtin_popcountll(v->w[3]);
    if (bits != 1) return false;
    unsigned i = v->w[0] ? 0 : v->w[1] ? 1 : v->w[2] ? 2 : 3;
    *k = 64 * i + (unsigned)__builtin_ctzll(v->w[i]);
    return true;
}
/* The long divisions behind u256_div and u256_mod (use those). */
u256 u256_div_long(const u256 *a, const u256 *b);
u256 u256_mod_long(const u256 *a, const u256 *b);
/* a / b and a % b; b == 0 gives 0. Inline: words that fit in 64 bits and
 * powers of two (old compilers divided to shift, and Solidity still
 * divides by 2^k to take bytes) need no division loop and no call. */
static inline u256 u256_div(const u256 *a, const u256 *b) {
    unsigned k;
    if (u256_fits_u64(a) && u256_fits_u64(b)) return u256_from_u64(b->w[0] ? a->w[0] / b->w[0] : 0);
    if (u256_is_pow2(b, &k)) return u256_shr(a, k);
    return u256_div_long(a, b);
}
static inline u256 u256_mod(const u256 *a, const u256 *b) {
    unsigned k;
    if (u256_fits_u64(a) && u256_fits_u64(b)) return u256_from_u64(b->w[0] ? a->w[0] % b->w[0] : 0);
    if (u256_is_pow2(b, &k)) {
        u256 one = u256_from_u64(1), mask = u256_sub(b, &one);
        return u256_and(a, &mask);
    }
    return u256_mod_long(a, b);
}
/* Signed (two's complement) division and modulo, EVM SDIV/SMOD semantics. */
/* (the cases with a negative operand, behind u256_sdiv and u256_smod) */
u256 u256_sdiv_signed(const u256 *a, const u256 *b);
u256 u256_smod_signed(const u256 *a, const u256 *b);
static inline u256 u256_sdiv(const u256 *a, const u256 *b) {
    /* two non-negative operands: plain DIV, inline and without copies */
    return u256_is_neg(a) || u256_is_neg(b) ? u256_sdiv_signed(a, b) : u256_div(a, b);
}
static inline u256 u256_smod(const u256 *a, const u256 *b) {
    return u256_is_neg(a) || u256_is_neg(b) ? u256_smod_signed(a, b) : u256_mod(a, b);
}
/* (a + b) % m and (a * b) % m without intermediate overflow; m == 0 gives 0. */
u256 u256_addmod(const u256 *a, const u256 *b, const u256 *m);
u256 u256_mulmod(const u256 *a, const u256 *b, const u256 *m);
/* What u256_mulmod_cached keeps about the last modulus it saw: field
 * arithmetic in EVM code (elliptic curves, SNARK verifiers) reduces by one
 * modulus many times, and a kept reciprocal turns each long division into
 * two multiplications. Zero it before first use ({0}); it holds no
 * pointers and needs no freeing. One cache per thread of execution. */
typedef struct {
    u256 m;          /* the last modulus (zero: none yet) */
    uint64_t mu[5];  /* floor(2^512 / m), when state is U256_MOD_READY */
    int state;       /* one of the U256_MOD_ states below */
} u256_mulmod_cache;
enum {
    U256_MOD_SEEN = 0,     /* m used once in a row */
    U256_MOD_AGAIN = 1,    /* twice in a row */
    U256_MOD_READY = 2,    /* three times or more: mu is kept */
    U256_MOD_UNSUITED = 3, /* three times or more, but kept to the long division */
};
/* Exactly u256_mulmod(a, b, m). The third use of a modulus in a row
 * computes its reciprocal into c (one long division, the price of one
 * MULMOD); from then on the remainder is a Barrett reduction at half the
 * price. Not before the third: Solidity's mulDivRoundingUp (Uniswap v3's
 * FullMath) reduces by a denominator exactly twice. A modulus below 2^192,
 * or a power of two, keeps the long division. */
u256 u256_mulmod_cached(const u256 *a, const u256 *b, const u256 *m, u256_mulmod_cache *c);
/* a ** e mod 2^256 */
u256 u256_exp(const u256 *a, const u256 *e);
/* EVM SIGNEXTEND: extend the sign of byte b (0 = least significant). */
static inline uint64_t u256_keep_mask(unsigned bit, unsigned limb) {
    /* bits of limb at positions <= bit */
    if (bit >= 64 * limb + 63) return ~0ULL;
    if (bit < 64 * limb) return 0;
    return (2ULL << (bit - 64 * limb)) - 1;
}
static inline u256 u256_signextend(const u256 *b, const u256 *x) {
    if (!u256_fits_u64(b) || b->w[0] >= 31) return *x;
    unsigned bit = (unsigned)b->w[0] * 8 + 7;
    uint64_t sign = 0 - ((x->w[bit / 64] >> (bit % 64)) & 1);
    uint64_t k0 = u256_keep_mask(bit, 0), k1 = u256_keep_mask(bit, 1), k2 = u256_keep_mask(bit, 2),
             k3 = u256_keep_mask(bit, 3);
    return (u256){{(x->w[0] & k0) | (sign & ~k0), (x->w[1] & k1) | (sign & ~k1),
                   (x->w[2] & k2) | (sign & ~k2), (x->w[3] & k3) | (sign & ~k3)}};
}
/* EVM BYTE: byte i counted from the most significant end; i >= 32 gives 0. */
static inline u256 u256_byte(const u256 *i, const u256 *x) {
    if (!u256_fits_u64(i) || i->w[0] >= 32) return U256_ZERO;
    unsigned pos = 31 - (unsigned)i->w[0]; /* from the least significant end */
    return u256_from_u64((x->w[pos / 8] >> (8 * (pos % 8))) & 0xff);
}

/* Exactly 32 big-endian bytes <-> u256 (the EVM's memory word). Moved as
 * four 8-byte accesses: a wider load of data written by narrower stores (or
 * the reverse) defeats store-to-load forwarding. */
static inline uint64_t u256_load64_be(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
static inline void u256_store64_be(uint8_t *p, uint64_t v) {
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}
static inline u256 u256_load_be32(const uint8_t *in) {
    return (u256){{u256_load64_be(in + 24), u256_load64_be(in + 16), u256_load64_be(in + 8),
                   u256_load64_be(in)}};
}
static inline void u256_store_be32(const u256 *a, uint8_t *out) {
    u256_store64_be(out, a->w[3]);
    u256_store64_be(out + 8, a->w[2]);
    u256_store64_be(out + 16, a->w[1]);
    u256_store64_be(out + 24, a->w[0]);
}

/* Big-endian conversions. from_be takes up to 32 bytes (right-aligned). */
u256 u256_from_be(const uint8_t *in, size_t len);
static inline void u256_to_be(const u256 *a, uint8_t out[32]) { u256_store_be32(a, out); }
static inline u256 u256_from_bytes32(const bytes32 *h) { return u256_from_be(h->b, 32); }
static inline bytes32 u256_to_bytes32(const u256 *a) {
    bytes32 h;
    u256_to_be(a, h.b);
    return h;
}
/* An address is the low 20 bytes of a word: 4 + 8 + 8 big-endian bytes.
 * ADDRESS, CALLER, ORIGIN and COINBASE push one per instruction. */
static inline u256 u256_from_address(const address *a) {
    uint32_t hi;
    memcpy(&hi, a->b, 4);
    return (u256){{u256_load64_be(a->b + 12), u256_load64_be(a->b + 4), __builtin_bswap32(hi), 0}};
}
static inline address u256_to_address(const u256 *a) {
    address r;
    uint32_t hi = __builtin_bswap32((uint32_t)a->w[2]);
    memcpy(r.b, &hi, 4);
    u256_store64_be(r.b + 4, a->w[1]);
    u256_store64_be(r.b + 12, a->w[0]);
    return r;
}

/* Decimal and hex text. to_dec writes at most 79 chars + NUL. */
void u256_to_dec(const u256 *a, char out[80]);
/* "0x"-prefixed minimal hex ("0x0" for zero); out needs 67 bytes. */
void u256_to_hex(const u256 *a, char out[67]);

#endif
