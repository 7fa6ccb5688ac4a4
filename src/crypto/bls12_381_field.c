/* BLS12-381 base field Fp (6 x 64-bit limbs, Montgomery form with R = 2^384)
 * and the scalar helpers. Constants are derived in
 * scripts/bls12_381_constants.py. */
#include "crypto/bls12_381.h"

#include <string.h>

typedef unsigned __int128 u128;

/* -p^-1 mod 2^64, for Montgomery reduction. */
static const uint64_t P_INV = 0x89f3fffcfffcfffdULL;
/* R^2 mod p (plain integer): multiplying by it enters Montgomery form. */
static const bls_fp R2 = {{0xf4df1f341c341746ULL, 0x0a76e6a609d104f1ULL,
                           0x8de5476c4c95b6d5ULL, 0x67eb88a9939d83c0ULL,
                           0x9a793e85b519952dULL, 0x11988fe592cae3aaULL}};
/* (p-1)/2, plain integer. */
static const uint64_t P_HALF[6] = {
    0xdcff7fffffffd555ULL, 0x0f55ffff58a9ffffULL, 0xb39869507b587b12ULL,
    0xb23ba5c279c2895fULL, 0x258dd3db21a5d66bULL, 0x0d0088f51cbff34dULL};
/* p - 2 (inversion by Fermat) and (p + 1) / 4 (square roots, p = 3 mod 4). */
static const uint64_t P_MINUS_2[6] = {
    0xb9feffffffffaaa9ULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
    0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};
static const uint64_t P_PLUS_1_DIV_4[6] = {
    0xee7fbfffffffeaabULL, 0x07aaffffac54ffffULL, 0xd9cc34a83dac3d89ULL,
    0xd91dd2e13ce144afULL, 0x92c6e9ed90d2eb35ULL, 0x0680447a8e5ff9a6ULL};

const bls_fp BLS_FP_ZERO = {{0}};
const bls_fp BLS_FP_ONE = {{0x760900000002fffdULL, 0xebf4000bc40c0002ULL,
                            0x5f48985753c758baULL, 0x77ce585370525745ULL,
                            0x5c071a97a256ec6dULL, 0x15f65ec3fa80e493ULL}};

const bls_scalar BLS_R = {{0xffffffff00000001ULL, 0x53bda402fffe5bfeULL,
                           0x3339d80809a1d805ULL, 0x73eda753299d7d48ULL}};

/* a >= b for 6-limb integers. */
static bool geq6(const uint64_t *a, const uint64_t *b) {
    for (int i = 5; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] > b[i];
    return true;
}

/* Montgomery reduction of the 12-limb t < p*2^384: r = t / 2^384 mod p.
 * Only used to leave Montgomery form, so it is kept simple. */
static void mont_reduce(uint64_t r[6], uint64_t t[13]) {
    for (int i = 0; i < 6; i++) {
        uint64_t m = t[i] * P_INV;
        u128 c = 0;
        for (int j = 0; j < 6; j++) {
            c += (u128)m * BLS_FP_P[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        for (int k = i + 6; c != 0 && k < 13; k++) {
            c += t[k];
            t[k] = (uint64_t)c;
            c >>= 64;
        }
    }
    bls_fp_reduce_once_(r, t + 6);
}

/* CIOS Montgomery multiplication in the "no carry" form: since the top limb
 * of p is below 2^63 - 1, the running sum t never needs a seventh limb. */
void bls_fp_mul_portable(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    uint64_t t[6] = {0};
    for (int i = 0; i < 6; i++) {
        uint64_t bi = b->l[i];
        u128 c = (u128)a->l[0] * bi + t[0];
        t[0] = (uint64_t)c;
        uint64_t hi = (uint64_t)(c >> 64);
        uint64_t m = t[0] * P_INV;
        u128 d = (u128)m * BLS_FP_P[0] + t[0];
        uint64_t hi2 = (uint64_t)(d >> 64);
        for (int j = 1; j < 6; j++) {
            c = (u128)a->l[j] * bi + t[j] + hi;
            hi = (uint64_t)(c >> 64);
            d = (u128)m * BLS_FP_P[j] + (uint64_t)c + hi2;
            hi2 = (uint64_t)(d >> 64);
            t[j - 1] = (uint64_t)d;
        }
        t[5] = hi + hi2;
    }
    bls_fp_reduce_once_(r->l, t);
}

#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__)
#include <cpuid.h>

/* The same CIOS with MULX and the two carry chains of ADCX (CF) and ADOX
 * (OF). t0..t6 live in r8..r14; each round's shift by one limb is done by
 * renaming, so round i starts at register r(8+i). rcx is the zero used to
 * clear both flags (xor) and to fold the last OF carry. */
#define ADX_STEP(mem, tj, tj1)                                          \
    "mulxq " mem ", %%rax, %%rbx\n\t"                                   \
    "adoxq %%rax, " tj "\n\t"                                           \
    "adcxq %%rbx, " tj1 "\n\t"

#define ADX_ROUND(boff, t0, t1, t2, t3, t4, t5, t6)                     \
    "xorl %%ecx, %%ecx\n\t"                                             \
    "movq " boff "(%[b]), %%rdx\n\t"                                    \
    ADX_STEP("0(%[a])", t0, t1) ADX_STEP("8(%[a])", t1, t2)             \
    ADX_STEP("16(%[a])", t2, t3) ADX_STEP("24(%[a])", t3, t4)           \
    ADX_STEP("32(%[a])", t4, t5) ADX_STEP("40(%[a])", t5, t6)           \
    "adoxq %%rcx, " t6 "\n\t"                                           \
    "movq " t0 ", %%rdx\n\t"                                            \
    "imulq %[n0], %%rdx\n\t"                                            \
    "xorl %%ecx, %%ecx\n\t"                                             \
    ADX_STEP("0+%[p]", t0, t1) ADX_STEP("8+%[p]", t1, t2)               \
    ADX_STEP("16+%[p]", t2, t3) ADX_STEP("24+%[p]", t3, t4)             \
    ADX_STEP("32+%[p]", t4, t5) ADX_STEP("40+%[p]", t5, t6)             \
    "adoxq %%rcx, " t6 "\n\t"

static void fp_mul_adx(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    __asm__(
        "xorl %%r8d, %%r8d\n\t" "xorl %%r9d, %%r9d\n\t"
        "xorl %%r10d, %%r10d\n\t" "xorl %%r11d, %%r11d\n\t"
        "xorl %%r12d, %%r12d\n\t" "xorl %%r13d, %%r13d\n\t"
        "xorl %%r14d, %%r14d\n\t"
        ADX_ROUND("0", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14")
        ADX_ROUND("8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8")
        ADX_ROUND("16", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9")
        ADX_ROUND("24", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10")
        ADX_ROUND("32", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11")
        ADX_ROUND("40", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
        /* t = (r14, r8..r12) < 2p. Store t, subtract p in registers and
         * reload t if that borrowed (cmov keeps the flags). r is written
         * only here, after a and b were read, so it may alias them. */
        "movq %%r14, 0+%[r]\n\t" "movq %%r8, 8+%[r]\n\t"
        "movq %%r9, 16+%[r]\n\t" "movq %%r10, 24+%[r]\n\t"
        "movq %%r11, 32+%[r]\n\t" "movq %%r12, 40+%[r]\n\t"
        "subq 0+%[p], %%r14\n\t" "sbbq 8+%[p], %%r8\n\t"
        "sbbq 16+%[p], %%r9\n\t" "sbbq 24+%[p], %%r10\n\t"
        "sbbq 32+%[p], %%r11\n\t" "sbbq 40+%[p], %%r12\n\t"
        "cmovcq 0+%[r], %%r14\n\t" "cmovcq 8+%[r], %%r8\n\t"
        "cmovcq 16+%[r], %%r9\n\t" "cmovcq 24+%[r], %%r10\n\t"
        "cmovcq 32+%[r], %%r11\n\t" "cmovcq 40+%[r], %%r12\n\t"
        "movq %%r14, 0+%[r]\n\t" "movq %%r8, 8+%[r]\n\t"
        "movq %%r9, 16+%[r]\n\t" "movq %%r10, 24+%[r]\n\t"
        "movq %%r11, 32+%[r]\n\t" "movq %%r12, 40+%[r]\n\t"
        : [r] "=m"(r->l)
        : [a] "r"(a->l), [b] "r"(b->l), [p] "m"(BLS_FP_P), [n0] "m"(P_INV),
          "m"(a->l), "m"(b->l)
        : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13",
          "r14", "cc");
}

/* ifunc resolver: runs once while the program is being loaded, before any
 * constructor, so it may use nothing but CPUID. */
typedef void fp_mul_fn(bls_fp *, const bls_fp *, const bls_fp *);
static fp_mul_fn *resolve_fp_mul(void) {
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) &&
        (ebx & (1u << 8)) && (ebx & (1u << 19)))          /* BMI2, ADX */
        return fp_mul_adx;
    return bls_fp_mul_portable;
}
void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b)
    __attribute__((ifunc("resolve_fp_mul")));
#else
void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    bls_fp_mul_portable(r, a, b);
}
#endif

void bls_fp_sqr(bls_fp *r, const bls_fp *a) { bls_fp_mul(r, a, a); }

void bls_fp_pow(bls_fp *r, const bls_fp *a, const uint64_t *e, size_t n) {
    /* Fixed 4-bit window, most significant first. */
    bls_fp table[16], acc = BLS_FP_ONE;
    table[0] = BLS_FP_ONE;
    for (int i = 1; i < 16; i++)
        bls_fp_mul(&table[i], &table[i - 1], a);
    bool started = false;
    for (size_t i = n * 16; i-- > 0;) {
        unsigned nib = (unsigned)(e[i / 16] >> (4 * (i % 16))) & 15;
        if (started)
            for (int s = 0; s < 4; s++)
                bls_fp_sqr(&acc, &acc);
        if (nib) {
            bls_fp_mul(&acc, &acc, &table[nib]);
            started = true;
        }
    }
    *r = acc;
}

void bls_fp_inv(bls_fp *r, const bls_fp *a) {
    bls_fp_pow(r, a, P_MINUS_2, 6);
}

bool bls_fp_sqrt(bls_fp *r, const bls_fp *a) {
    bls_fp s, chk;
    bls_fp_pow(&s, a, P_PLUS_1_DIV_4, 6);
    bls_fp_sqr(&chk, &s);
    if (!bls_fp_eq(&chk, a))
        return false;
    *r = s;
    return true;
}

/* The plain integer value of a (leaves Montgomery form). */
static void fp_to_plain(uint64_t out[6], const bls_fp *a) {
    uint64_t t[13] = {0};
    memcpy(t, a->l, 48);
    mont_reduce(out, t);
}

bool bls_fp_is_lex_largest(const bls_fp *a) {
    uint64_t v[6];
    fp_to_plain(v, a);
    /* v > (p-1)/2  <=>  !(P_HALF >= v) */
    return !geq6(P_HALF, v);
}

bool bls_fp_from_bytes(bls_fp *r, const uint8_t in[48]) {
    bls_fp v;
    for (int i = 0; i < 6; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(5 - i) * 8 + j];
        v.l[i] = w;
    }
    if (geq6(v.l, BLS_FP_P))
        return false;
    bls_fp_mul(r, &v, &R2);
    return true;
}

void bls_fp_to_bytes(uint8_t out[48], const bls_fp *a) {
    uint64_t v[6];
    fp_to_plain(v, a);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++)
            out[(5 - i) * 8 + j] = (uint8_t)(v[i] >> (56 - 8 * j));
}

void bls_fp_from_u64(bls_fp *r, uint64_t v) {
    bls_fp t = {{v, 0, 0, 0, 0, 0}};
    bls_fp_mul(r, &t, &R2);
}

/* ---- Scalars ------------------------------------------------------------- */

bool bls_scalar_from_bytes(bls_scalar *r, const uint8_t in[32]) {
    bls_scalar v;
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[(3 - i) * 8 + j];
        v.l[i] = w;
    }
    for (int i = 3; i >= 0; i--) {
        if (v.l[i] != BLS_R.l[i]) {
            if (v.l[i] > BLS_R.l[i])
                return false;
            break;
        }
        if (i == 0)
            return false;               /* equal to r */
    }
    *r = v;
    return true;
}

unsigned bls_scalar_bits(const bls_scalar *k) {
    for (int i = 3; i >= 0; i--)
        if (k->l[i])
            return (unsigned)(64 * i + 64 - __builtin_clzll(k->l[i]));
    return 0;
}

void bls_scalar_neg(bls_scalar *r, const bls_scalar *a) {
    bool zero = (a->l[0] | a->l[1] | a->l[2] | a->l[3]) == 0;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)BLS_R.l[i] - a->l[i] - borrow;
        r->l[i] = zero ? 0 : (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}
