/* 0x05 MODEXP (EIP-198) with the EIP-198, EIP-2565 (Berlin) and EIP-7883
 * (Osaka) gas rules, and the EIP-7823 (Osaka) input bounds.
 *
 * Call data: base_len, exp_len, mod_len (32-byte big-endian words), then
 * base, exponent and modulus, all read as if the data were followed by
 * infinitely many zero bytes. The declared lengths may be as large as
 * 2^256 - 1, so the gas computation works on saturated 64-bit lengths and
 * 128-bit intermediates, and never allocates; only modexp_run, called once
 * gas has bounded the lengths, materializes the numbers (with GMP). */
#include "parevm/precompile_math.h"

#include <gmp.h>
#include <string.h>

#define HEADER_BYTES 96

typedef unsigned __int128 u128;
#define U128_MAX (~(u128)0)

/* The declared lengths, saturated: U128_MAX stands for "2^128 or more". */
typedef struct {
    u128 base, exp, mod;
} modexp_lengths;

/* Copies in[off, off + n) to out, zero-filling whatever lies past the end
 * of the data (off may be anywhere). */
static void read_padded(uint8_t *out, const uint8_t *in, size_t len, u128 off, size_t n) {
    memset(out, 0, n);
    if (off >= len)
        return;
    size_t avail = len - (size_t)off;
    memcpy(out, in + off, avail < n ? avail : n);
}

static u128 read_length(const uint8_t *in, size_t len, size_t off) {
    uint8_t w[32];
    read_padded(w, in, len, off, 32);
    for (int i = 0; i < 16; i++)
        if (w[i])
            return U128_MAX;
    u128 v = 0;
    for (int i = 16; i < 32; i++)
        v = (v << 8) | w[i];
    return v;
}

static modexp_lengths read_lengths(const uint8_t *in, size_t len) {
    modexp_lengths l = {read_length(in, len, 0), read_length(in, len, 32),
                        read_length(in, len, 64)};
    return l;
}

/* Anything at or above this many iterations (or bytes of max_len for
 * EIP-2565) costs more than 2^64 gas once multiplied by a complexity >= 1. */
#define HUGE_ITERATIONS ((u128)1 << 100)

/* EIP-198 "adjusted exponent length": the index of the highest set bit of
 * the first min(exp_len, 32) exponent bytes (0 if they are all zero), plus
 * 8 (exp_len - 32) when exp_len > 32. Returns HUGE_ITERATIONS for
 * astronomically long exponents. */
static u128 adjusted_exp_len(const uint8_t *in, size_t len, const modexp_lengths *l) {
    if (l->exp >= HUGE_ITERATIONS / 8)
        return HUGE_ITERATIONS;
    uint8_t head[32] = {0};
    size_t head_len = l->exp < 32 ? (size_t)l->exp : 32;
    if (l->base < ((u128)1 << 64)) /* else the exponent starts past any data */
        read_padded(head + 32 - head_len, in, len, HEADER_BYTES + l->base, head_len);
    unsigned bit_index = 0;
    for (int i = 0; i < 32; i++) {
        if (head[i]) {
            bit_index = (unsigned)(8 * (31 - i)) + (31u - (unsigned)__builtin_clz(head[i]));
            break;
        }
    }
    if (l->exp <= 32)
        return bit_index;
    return 8 * (l->exp - 32) + bit_index;
}

/* Saturating floor(complexity * iterations / divisor) as gas. */
static uint64_t scaled_gas(u128 complexity, u128 iterations, unsigned divisor) {
    if (complexity == 0)
        return 0;
    if (iterations > U128_MAX / complexity)
        return UINT64_MAX;
    u128 g = complexity * iterations / divisor;
    return g > UINT64_MAX ? UINT64_MAX : (uint64_t)g;
}

/* EIP-7883 (Osaka): complexity 16 up to 32 bytes, else 2 ceil(max_len/8)^2;
 * iterations as EIP-2565 but 16 per exponent byte past the first 32; no
 * divisor; at least 500. */
static uint64_t gas_eip7883(const uint8_t *in, size_t len, const modexp_lengths *l) {
    u128 max_len = l->base > l->mod ? l->base : l->mod;
    if (max_len > ((u128)1 << 64))
        return UINT64_MAX;                  /* complexity > 2^123 */
    u128 words = (max_len + 7) / 8;
    u128 complexity = max_len > 32 ? 2 * words * words : 16;
    u128 iterations = HUGE_ITERATIONS;
    if (l->exp < HUGE_ITERATIONS / 16) {
        u128 adjusted = adjusted_exp_len(in, len, l); /* counts 8 per byte */
        iterations = l->exp > 32 ? adjusted + 8 * (l->exp - 32) : adjusted;
    }
    if (iterations < 1)
        iterations = 1;
    uint64_t g = scaled_gas(complexity, iterations, 1);
    return g < 500 ? 500 : g;
}

uint64_t modexp_gas(const uint8_t *in, size_t len, modexp_pricing pricing) {
    modexp_lengths l = read_lengths(in, len);
    if (pricing == MODEXP_EIP7883)
        return gas_eip7883(in, len, &l);
    bool berlin = pricing == MODEXP_EIP2565;
    u128 max_len = l.base > l.mod ? l.base : l.mod;
    if (max_len == 0) /* zero multiplication complexity, whatever exp_len */
        return berlin ? 200 : 0;
    u128 iterations = adjusted_exp_len(in, len, &l);
    if (iterations < 1)
        iterations = 1;
    if (berlin) { /* EIP-2565: ceil(max_len / 8)^2 * iterations / 3, min 200 */
        if (max_len > ((u128)1 << 64))
            return UINT64_MAX; /* complexity > 2^122 */
        u128 words = (max_len + 7) / 8;
        uint64_t g = scaled_gas(words * words, iterations, 3);
        return g < 200 ? 200 : g;
    }
    /* EIP-198: piecewise quadratic complexity, divisor 20. Beyond 2^40 bytes
     * the complexity alone exceeds 2^76 and the gas 2^64. */
    if (max_len > ((u128)1 << 40))
        return UINT64_MAX;
    u128 x = max_len, complexity;
    if (x <= 64)
        complexity = x * x;
    else if (x <= 1024)
        complexity = x * x / 4 + 96 * x - 3072;
    else
        complexity = x * x / 16 + 480 * x - 199680;
    return scaled_gas(complexity, iterations, 20);
}

bool modexp_within_eip7823_bounds(const uint8_t *in, size_t len) {
    modexp_lengths l = read_lengths(in, len);
    return l.base <= 1024 && l.exp <= 1024 && l.mod <= 1024;
}

uint64_t modexp_output_len(const uint8_t *in, size_t len) {
    u128 n = read_lengths(in, len).mod;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

/* z = the n-byte big-endian number at in[off...], zero-padded. Only the part
 * inside the data is copied; missing low-order bytes become a shift. */
static void import_padded(mpz_t z, const uint8_t *in, size_t len, u128 off, u128 n) {
    mpz_set_ui(z, 0);
    if (n == 0)
        return;
    size_t avail = 0;
    if (off < len) {
        size_t rest = len - (size_t)off;
        avail = rest < n ? rest : (size_t)n;
        mpz_import(z, avail, 1, 1, 1, 0, in + off);
    }
    if (avail < n && mpz_sgn(z) != 0)
        mpz_mul_2exp(z, z, (mp_bitcnt_t)(n - avail) * 8);
}

/* Contract in precompile_math.h: out_len is the modulus length and gas has
 * been paid, which bounds every declared length (a length of 2^64 or more,
 * which no gas can pay for, just yields zeros). Were out_len to differ from
 * the modulus length, the value would be right-aligned in it if it fits and
 * all zero otherwise. */
void modexp_run(const uint8_t *in, size_t len, uint8_t *out, size_t out_len) {
    if (out_len == 0)
        return; /* covers mod_len = 0, where exp_len may be unbounded */
    memset(out, 0, out_len);
    modexp_lengths l = read_lengths(in, len);
    const u128 limit = (u128)1 << 64;
    if (l.base >= limit || l.exp >= limit || l.mod >= limit)
        return; /* gas would have been unaffordable: not a real call */

    mpz_t base, exp, mod, result;
    mpz_inits(base, exp, mod, result, NULL);
    u128 off = HEADER_BYTES;
    import_padded(base, in, len, off, l.base);
    off += l.base;
    import_padded(exp, in, len, off, l.exp);
    off += l.exp;
    import_padded(mod, in, len, off, l.mod);

    if (mpz_sgn(mod) != 0) { /* modulus 0 gives zero output */
        mpz_powm(result, base, exp, mod); /* exp = 0 gives 1 mod m */
        size_t n = (mpz_sizeinbase(result, 2) + 7) / 8;
        if (mpz_sgn(result) != 0 && n <= out_len)
            mpz_export(out + out_len - n, NULL, 1, 1, 1, 0, result);
    }
    mpz_clears(base, exp, mod, result, NULL);
}
