/* BLS12-381 arithmetic back end for x86-64 CPUs with BMI2 and ADX: Montgomery
 * multiplication in MULX/ADCX/ADOX assembly; the Fp2 product as two sums of
 * two products with one reduction each, and the Fp2 square on unreduced
 * sums (both save modular additions and reductions). The dynamic
 * loader picks these or the portable C versions once, through GNU ifunc, so
 * there is no run-time flag and no mutable state. Other targets get plain
 * forwarding definitions. */
#include "crypto/bls12_381.h"

/* PAREVM_BLS_NO_ASM forces the portable code, to test it on x86-64. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && \
    !defined(PAREVM_BLS_NO_ASM)
#include <cpuid.h>

/* -p^-1 mod 2^64, and a zero in memory (see ADX_ROUND). */
static const uint64_t P_INV = 0x89f3fffcfffcfffdULL;
static const uint64_t ZERO = 0;

/* The asm blocks reach their operands through pointer registers and
 * declare a "memory" clobber rather than memory operands: with a frame
 * pointer at -O0 there would not be enough registers for both. They are
 * volatile because their results are stores the compiler cannot see. */

/* t_j += lo(rdx * mem), t_{j+1} += hi(rdx * mem): one step of the two carry
 * chains, OF for the low halves and CF for the high halves. */
#define ADX_STEP(mem, tj, tj1)                                          \
    "mulxq " mem ", %%rax, %%rbx\n\t"                                   \
    "adoxq %%rax, " tj "\n\t"                                           \
    "adcxq %%rbx, " tj1 "\n\t"

/* t0..t6 += rdx * (6 limbs); "xor eax" clears CF and OF (rax is rewritten
 * by the next MULX) and the last OF is folded in from ZERO. The limbs are
 * at (%[a]) (ADX_MULADD_A, register base) or p (ADX_MULADD_P, a memory
 * operand, offsets written as "8+p"). */
#define ADX_MULADD(m0, m1, m2, m3, m4, m5, t0, t1, t2, t3, t4, t5, t6)  \
    "xorl %%eax, %%eax\n\t"                                             \
    ADX_STEP(m0, t0, t1) ADX_STEP(m1, t1, t2) ADX_STEP(m2, t2, t3)      \
    ADX_STEP(m3, t3, t4) ADX_STEP(m4, t4, t5) ADX_STEP(m5, t5, t6)      \
    "adoxq %[zero], " t6 "\n\t"
#define ADX_MULADD_A(...)                                               \
    ADX_MULADD("0(%[a])", "8(%[a])", "16(%[a])", "24(%[a])", "32(%[a])", \
               "40(%[a])", __VA_ARGS__)
#define ADX_MULADD_A2(...)                                              \
    ADX_MULADD("48(%[a])", "56(%[a])", "64(%[a])", "72(%[a])",          \
               "80(%[a])", "88(%[a])", __VA_ARGS__)
#define ADX_MULADD_P(...)                                               \
    ADX_MULADD("0+%[p]", "8+%[p]", "16+%[p]", "24+%[p]", "32+%[p]",     \
               "40+%[p]", __VA_ARGS__)

/* One Montgomery round on the window t0..t6: t += m p with m = t0 n0, which
 * zeroes t0; the caller then renames t1..t6,t0 as the next window. */
#define ADX_REDUCE(t0, t1, t2, t3, t4, t5, t6)                          \
    "movq " t0 ", %%rdx\n\t"                                            \
    "imulq %[n0], %%rdx\n\t"                                            \
    ADX_MULADD_P(t0, t1, t2, t3, t4, t5, t6)

/* One CIOS round: t += a b[i], then one Montgomery round. */
#define ADX_ROUND(boff, t0, t1, t2, t3, t4, t5, t6)                     \
    "movq " boff "(%[b]), %%rdx\n\t"                                    \
    ADX_MULADD_A(t0, t1, t2, t3, t4, t5, t6)                            \
    ADX_REDUCE(t0, t1, t2, t3, t4, t5, t6)

/* A CIOS round of a sum of two products: t += a[0..6) b[i] + a[6..12) c[i],
 * then one Montgomery round. With all inputs below p every window value
 * stays below 2^447, so seven limbs still suffice. */
#define ADX_ROUND2(off, t0, t1, t2, t3, t4, t5, t6)                     \
    "movq " off "(%[b]), %%rdx\n\t"                                     \
    ADX_MULADD_A(t0, t1, t2, t3, t4, t5, t6)                            \
    "movq " off "(%[c]), %%rdx\n\t"                                     \
    ADX_MULADD_A2(t0, t1, t2, t3, t4, t5, t6)                           \
    ADX_REDUCE(t0, t1, t2, t3, t4, t5, t6)

/* The result (6 registers, < 2p) minus p if that does not borrow, stored at
 * r: store, subtract p, reload on borrow (cmov keeps the flags), store. */
#define ADX_FINAL(r0, r1, r2, r3, r4, r5)                               \
    "movq " r0 ", 0(%[rp])\n\t" "movq " r1 ", 8(%[rp])\n\t"             \
    "movq " r2 ", 16(%[rp])\n\t" "movq " r3 ", 24(%[rp])\n\t"           \
    "movq " r4 ", 32(%[rp])\n\t" "movq " r5 ", 40(%[rp])\n\t"           \
    "subq 0+%[p], " r0 "\n\t" "sbbq 8+%[p], " r1 "\n\t"                 \
    "sbbq 16+%[p], " r2 "\n\t" "sbbq 24+%[p], " r3 "\n\t"               \
    "sbbq 32+%[p], " r4 "\n\t" "sbbq 40+%[p], " r5 "\n\t"               \
    "cmovcq 0(%[rp]), " r0 "\n\t" "cmovcq 8(%[rp]), " r1 "\n\t"         \
    "cmovcq 16(%[rp]), " r2 "\n\t" "cmovcq 24(%[rp]), " r3 "\n\t"       \
    "cmovcq 32(%[rp]), " r4 "\n\t" "cmovcq 40(%[rp]), " r5 "\n\t"       \
    "movq " r0 ", 0(%[rp])\n\t" "movq " r1 ", 8(%[rp])\n\t"             \
    "movq " r2 ", 16(%[rp])\n\t" "movq " r3 ", 24(%[rp])\n\t"           \
    "movq " r4 ", 32(%[rp])\n\t" "movq " r5 ", 40(%[rp])\n\t"

#define ZERO_T                                                          \
    "xorl %%r8d, %%r8d\n\t" "xorl %%r9d, %%r9d\n\t"                     \
    "xorl %%r10d, %%r10d\n\t" "xorl %%r11d, %%r11d\n\t"                 \
    "xorl %%r12d, %%r12d\n\t" "xorl %%r13d, %%r13d\n\t"                 \
    "xorl %%r14d, %%r14d\n\t"

#define T_CLOBBERS "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", \
                   "r13", "r14", "cc", "memory"

/* r = a b / 2^384 mod p for a, b < 2p (not only < p): then a b / 2^384 < p
 * and the result is still below 2p before the final subtraction. Inlined
 * into the Fp2 routines below, which feed it unreduced sums. */
static inline void mont_mul_adx(uint64_t r[6], const uint64_t a[6],
                                const uint64_t b[6]) {
    __asm__ __volatile__(ZERO_T
        ADX_ROUND("0", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14")
        ADX_ROUND("8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8")
        ADX_ROUND("16", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9")
        ADX_ROUND("24", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10")
        ADX_ROUND("32", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11")
        ADX_ROUND("40", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
        ADX_FINAL("%%r14", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
        :
        : [rp] "r"(r), [a] "r"(a), [b] "r"(b), [p] "m"(BLS_FP_P),
          [n0] "m"(P_INV), [zero] "m"(ZERO)
        : T_CLOBBERS);
}

static void fp_mul_adx(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    mont_mul_adx(r->l, a->l, b->l);
}

/* r = a + b without reduction (a, b < p, so r < 2p < 2^383). */
static inline void add_plain(uint64_t r[6], const uint64_t a[6], const uint64_t b[6]) {
    uint64_t t;
    __asm__ __volatile__(
        "movq 0(%[a]), %[t]\n\t" "addq 0(%[b]), %[t]\n\t" "movq %[t], 0(%[r])\n\t"
        "movq 8(%[a]), %[t]\n\t" "adcq 8(%[b]), %[t]\n\t" "movq %[t], 8(%[r])\n\t"
        "movq 16(%[a]), %[t]\n\t" "adcq 16(%[b]), %[t]\n\t" "movq %[t], 16(%[r])\n\t"
        "movq 24(%[a]), %[t]\n\t" "adcq 24(%[b]), %[t]\n\t" "movq %[t], 24(%[r])\n\t"
        "movq 32(%[a]), %[t]\n\t" "adcq 32(%[b]), %[t]\n\t" "movq %[t], 32(%[r])\n\t"
        "movq 40(%[a]), %[t]\n\t" "adcq 40(%[b]), %[t]\n\t" "movq %[t], 40(%[r])\n\t"
        : [t] "=&r"(t)
        : [r] "r"(r), [a] "r"(a), [b] "r"(b)
        : "cc", "memory");
}

/* r = a - b + p without reduction (a, b < p, so 0 < r < 2p). */
static inline void sub_plain(uint64_t r[6], const uint64_t a[6], const uint64_t b[6]) {
    uint64_t t[6];
    for (int i = 0; i < 6; i++)
        t[i] = BLS_FP_P[i];
    add_plain(t, t, a);
    uint64_t u;
    __asm__ __volatile__(
        "movq 0(%[t]), %[u]\n\t" "subq 0(%[b]), %[u]\n\t" "movq %[u], 0(%[r])\n\t"
        "movq 8(%[t]), %[u]\n\t" "sbbq 8(%[b]), %[u]\n\t" "movq %[u], 8(%[r])\n\t"
        "movq 16(%[t]), %[u]\n\t" "sbbq 16(%[b]), %[u]\n\t" "movq %[u], 16(%[r])\n\t"
        "movq 24(%[t]), %[u]\n\t" "sbbq 24(%[b]), %[u]\n\t" "movq %[u], 24(%[r])\n\t"
        "movq 32(%[t]), %[u]\n\t" "sbbq 32(%[b]), %[u]\n\t" "movq %[u], 32(%[r])\n\t"
        "movq 40(%[t]), %[u]\n\t" "sbbq 40(%[b]), %[u]\n\t" "movq %[u], 40(%[r])\n\t"
        : [u] "=&r"(u)
        : [r] "r"(r), [t] "r"(t), [b] "r"(b)
        : "cc", "memory");
}

/* r = (a0 b + a1 c) / 2^384 mod p, a = (a0, a1) an Fp2 element, for inputs
 * below p: one reduction for two products (the sum is below 2p^2, so the
 * result is below 2p before the final subtraction). Four pointers plus the
 * ten clobbered registers fill the register file exactly, frame pointer
 * included. */
static inline void mont_mul2_adx(uint64_t r[6], const bls_fp2 *a,
                                 const uint64_t b[6], const uint64_t c[6]) {
    __asm__ __volatile__(ZERO_T
        ADX_ROUND2("0", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14")
        ADX_ROUND2("8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8")
        ADX_ROUND2("16", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9")
        ADX_ROUND2("24", "%%r11", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10")
        ADX_ROUND2("32", "%%r12", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11")
        ADX_ROUND2("40", "%%r13", "%%r14", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
        ADX_FINAL("%%r14", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12")
        :
        : [rp] "r"(r), [a] "r"(a->c0.l), [b] "r"(b), [c] "r"(c),
          [p] "m"(BLS_FP_P), [n0] "m"(P_INV), [zero] "m"(ZERO)
        : T_CLOBBERS);
}

/* c0 = a0 b0 + a1 (-b1) and c1 = a0 b1 + a1 b0, each a sum of two products
 * with a single Montgomery reduction; no additions outside the assembly. */
static void fp2_mul_adx(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b) {
    bls_fp nb1, c0;
    bls_fp_neg(&nb1, &b->c1);
    mont_mul2_adx(c0.l, a, b->c0.l, nb1.l);
    mont_mul2_adx(r->c1.l, a, b->c1.l, b->c0.l);   /* r may alias a or b: */
    r->c0 = c0;                                      /* c0 was kept aside */
}

/* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u with unreduced factors. */
static void fp2_sqr_adx(bls_fp2 *r, const bls_fp2 *a) {
    uint64_t s[6], d[6], a2[6];
    add_plain(s, a->c0.l, a->c1.l);
    sub_plain(d, a->c0.l, a->c1.l);
    add_plain(a2, a->c0.l, a->c0.l);
    mont_mul_adx(r->c1.l, a2, a->c1.l);
    mont_mul_adx(r->c0.l, s, d);
}

/* ---- Dispatch ------------------------------------------------------------
 * The resolvers run while the program is being loaded, before constructors
 * and before sanitizer run-times are set up: they use nothing but CPUID,
 * take no addresses of locals and are not instrumented. */
#define RESOLVER __attribute__((used, no_sanitize("address", "undefined")))

RESOLVER static bool cpu_has_bmi2_adx(void) {
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    unsigned eax, ebx, ecx, edx;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    (void)eax, (void)ecx, (void)edx;
    return (ebx & (1u << 8)) && (ebx & (1u << 19));      /* BMI2, ADX */
}

typedef void fp_mul_fn(bls_fp *, const bls_fp *, const bls_fp *);
typedef void fp2_mul_fn(bls_fp2 *, const bls_fp2 *, const bls_fp2 *);
typedef void fp2_sqr_fn(bls_fp2 *, const bls_fp2 *);

RESOLVER static fp_mul_fn *resolve_fp_mul(void) {
    return cpu_has_bmi2_adx() ? fp_mul_adx : bls_fp_mul_portable;
}
RESOLVER static fp2_mul_fn *resolve_fp2_mul(void) {
    return cpu_has_bmi2_adx() ? fp2_mul_adx : bls_fp2_mul_portable;
}
RESOLVER static fp2_sqr_fn *resolve_fp2_sqr(void) {
    return cpu_has_bmi2_adx() ? fp2_sqr_adx : bls_fp2_sqr_portable;
}

void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b)
    __attribute__((ifunc("resolve_fp_mul")));
void bls_fp2_mul(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b)
    __attribute__((ifunc("resolve_fp2_mul")));
void bls_fp2_sqr(bls_fp2 *r, const bls_fp2 *a)
    __attribute__((ifunc("resolve_fp2_sqr")));

#else

void bls_fp_mul(bls_fp *r, const bls_fp *a, const bls_fp *b) {
    bls_fp_mul_portable(r, a, b);
}
void bls_fp2_mul(bls_fp2 *r, const bls_fp2 *a, const bls_fp2 *b) {
    bls_fp2_mul_portable(r, a, b);
}
void bls_fp2_sqr(bls_fp2 *r, const bls_fp2 *a) { bls_fp2_sqr_portable(r, a); }

#endif

void bls_fp_sqr(bls_fp *r, const bls_fp *a) { bls_fp_mul(r, a, a); }
