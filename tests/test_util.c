/* Unit tests for util: u256 (with randomized differential tests against GMP),
 * keccak-256, hex parsing, RLP and the hash maps. */
#include "test.h"
#include <gmp.h>
#include "parevm/abi.h"
#include "parevm/u256.h"
#include "parevm/keccak.h"
#include "parevm/hex.h"
#include "parevm/rlp.h"
#include "parevm/hashmap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

/* Random values biased toward edge cases: small, all-ones, sparse limbs. */
static u256 rnd_u256(void) {
    u256 r;
    int shape = (int)(rnd() % 8);
    for (int i = 0; i < 4; i++) r.w[i] = rnd();
    switch (shape) {
    case 0: r.w[1] = r.w[2] = r.w[3] = 0; break;
    case 1: r.w[3] = 0; r.w[2] = 0; break;
    case 2: r.w[0] = r.w[1] = r.w[2] = r.w[3] = ~0ULL; break;
    case 3: r.w[0] = 0; r.w[2] = 0; break;
    case 4: r.w[3] = rnd() % 3; break;
    case 5: r = u256_from_u64(rnd() % 4); break;
    default: break;
    }
    return r;
}

static void to_mpz(mpz_t z, const u256 *a) {
    uint8_t be[32];
    u256_to_be(a, be);
    mpz_import(z, 32, 1, 1, 1, 0, be);
}

static u256 from_mpz(const mpz_t z) {
    mpz_t m;
    mpz_init(m);
    mpz_fdiv_r_2exp(m, z, 256);
    uint8_t be[32] = {0};
    size_t n = 0;
    uint8_t tmp[64];
    mpz_export(tmp, &n, 1, 1, 1, 0, m);
    memcpy(be + 32 - n, tmp, n);
    mpz_clear(m);
    return u256_from_be(be, 32);
}

/* signed interpretation */
static void to_mpz_signed(mpz_t z, const u256 *a) {
    to_mpz(z, a);
    if (u256_is_neg(a)) {
        mpz_t t;
        mpz_init(t);
        mpz_ui_pow_ui(t, 2, 256);
        mpz_sub(z, z, t);
        mpz_clear(t);
    }
}

TEST(u256_vs_gmp) {
    mpz_t A, B, M, R, T;
    mpz_inits(A, B, M, R, T, NULL);
    for (int iter = 0; iter < 200000; iter++) {
        u256 a = rnd_u256(), b = rnd_u256(), m = rnd_u256();
        to_mpz(A, &a);
        to_mpz(B, &b);
        to_mpz(M, &m);
        u256 r;
        mpz_add(R, A, B); r = u256_add(&a, &b);
        { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        mpz_sub(R, A, B); r = u256_sub(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        mpz_mul(R, A, B); r = u256_mul(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        if (mpz_sgn(B)) {
            mpz_fdiv_q(R, A, B); r = u256_div(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_fdiv_r(R, A, B); r = u256_mod(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_t SA, SB;
            mpz_inits(SA, SB, NULL);
            to_mpz_signed(SA, &a);
            to_mpz_signed(SB, &b);
            mpz_tdiv_q(R, SA, SB); r = u256_sdiv(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_tdiv_r(R, SA, SB); r = u256_smod(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_clears(SA, SB, NULL);
        } else {
            r = u256_div(&a, &b); CHECK(u256_is_zero(&r));
            r = u256_mod(&a, &b); CHECK(u256_is_zero(&r));
            r = u256_sdiv(&a, &b); CHECK(u256_is_zero(&r));
        }
        {   /* u256_divmod gives both at once, as u256_div and u256_mod */
            u256 q, rr, e = u256_div(&a, &b), f = u256_mod(&a, &b);
            u256_divmod(&a, &b, &q, &rr);
            CHECK(u256_eq(&q, &e));
            CHECK(u256_eq(&rr, &f));
        }
        {   /* a power-of-two divisor (the shift path) */
            u256 one = u256_from_u64(1), p2 = u256_shl(&one, (unsigned)(rnd() % 256));
            mpz_t P2, SA;
            mpz_inits(P2, SA, NULL);
            to_mpz(P2, &p2);
            mpz_fdiv_q(R, A, P2); r = u256_div(&a, &p2); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_fdiv_r(R, A, P2); r = u256_mod(&a, &p2); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            {
                u256 q, rr, e = u256_div(&a, &p2);
                u256_divmod(&a, &p2, &q, &rr);
                CHECK(u256_eq(&q, &e));
                CHECK(u256_eq(&rr, &r));
            }
            to_mpz_signed(SA, &a);
            to_mpz_signed(T, &p2);
            mpz_tdiv_q(R, SA, T); r = u256_sdiv(&a, &p2); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_tdiv_r(R, SA, T); r = u256_smod(&a, &p2); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_clears(P2, SA, NULL);
        }
        if (mpz_sgn(M)) {
            mpz_add(R, A, B); mpz_fdiv_r(R, R, M);
            r = u256_addmod(&a, &b, &m); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            /* both operands reduced (addmod's short path), the sum often past 2^256 */
            u256 ar = u256_mod(&a, &m), br = u256_mod(&b, &m);
            to_mpz(T, &ar);
            to_mpz(R, &br);
            mpz_add(R, R, T); mpz_fdiv_r(R, R, M);
            r = u256_addmod(&ar, &br, &m); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_mul(R, A, B); mpz_fdiv_r(R, R, M);
            r = u256_mulmod(&a, &b, &m); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        }
        unsigned sh = (unsigned)(rnd() % 300);
        mpz_mul_2exp(R, A, sh); r = u256_shl(&a, sh); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        mpz_fdiv_q_2exp(R, A, sh); r = u256_shr(&a, sh); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        to_mpz_signed(T, &a);
        mpz_fdiv_q_2exp(R, T, sh); r = u256_sar(&a, sh); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
        if (iter % 16 == 0) {
            mpz_t P;
            mpz_init(P);
            mpz_ui_pow_ui(P, 2, 256);
            mpz_powm(R, A, B, P);
            r = u256_exp(&a, &b); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
            mpz_clear(P);
        }
        {   /* EXP's short paths: a power-of-two base, an even base (its
             * square reaches zero), small exponents around 256 / s */
            mpz_t P, E;
            mpz_inits(P, E, NULL);
            mpz_ui_pow_ui(P, 2, 256);
            u256 one = u256_from_u64(1), small = u256_from_u64(rnd() % 300);
            u256 p2 = u256_shl(&one, (unsigned)(rnd() % 256));
            u256 even = u256_shl(&a, (unsigned)(1 + rnd() % 80));
            const u256 *bases[3] = {&p2, &even, &a}, *exps[2] = {&small, &b};
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 2; j++) {
                    if (j == 1 && i == 2) continue;   /* the general case, above */
                    to_mpz(T, bases[i]);
                    to_mpz(E, exps[j]);
                    mpz_powm(R, T, E, P);
                    r = u256_exp(bases[i], exps[j]); { u256 e = from_mpz(R); CHECK(u256_eq(&r, &e)); }
                }
            mpz_clears(P, E, NULL);
        }
        CHECK(u256_lt(&a, &b) == (mpz_cmp(A, B) < 0));
    }
    mpz_clears(A, B, M, R, T, NULL);
}

TEST(u256_signextend_byte) {
    u256 x = u256_from_u64(0xff), b0 = U256_ZERO;
    u256 r = u256_signextend(&b0, &x);
    u256 ones = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    CHECK(u256_eq(&r, &ones));
    x = u256_from_u64(0x7f);
    r = u256_signextend(&b0, &x);
    CHECK(u256_eq(&r, &x));
    u256 b31 = u256_from_u64(31);
    r = u256_signextend(&b31, &x);
    CHECK(u256_eq(&r, &x));
    x = u256_from_u64(0x8000);
    u256 b1 = u256_from_u64(1);
    r = u256_signextend(&b1, &x);
    CHECK(r.w[0] == 0xffffffffffff8000ULL && r.w[3] == ~0ULL);
    u256 big = {{0, 0, 0, 1}};
    r = u256_signextend(&big, &x);
    CHECK(u256_eq(&r, &x));
    uint8_t be[32];
    for (int i = 0; i < 32; i++) be[i] = (uint8_t)i;
    u256 v = u256_from_be(be, 32);
    for (int i = 0; i < 34; i++) {
        u256 idx = u256_from_u64((uint64_t)i);
        r = u256_byte(&idx, &v);
        CHECK_EQ_U64(r.w[0], i < 32 ? (uint64_t)i : 0);
    }
}

/* Every length of u256_from_be against a byte-by-byte model, and the
 * address conversions (the low 20 bytes of a word) both ways. */
TEST(u256_big_endian_lengths_and_addresses) {
    uint8_t in[40];
    for (int i = 0; i < 40; i++) in[i] = (uint8_t)(0xa0 + i * 7);
    for (size_t len = 0; len <= 40; len++) {
        u256 want = U256_ZERO;
        size_t skip = len > 32 ? len - 32 : 0;
        for (size_t i = skip; i < len; i++) {
            size_t pos = len - 1 - i; /* byte significance */
            want.w[pos / 8] |= (uint64_t)in[i] << (8 * (pos % 8));
        }
        u256 got = u256_from_be(in, len);
        CHECK(u256_eq(&got, &want));
    }
    address a;
    for (int i = 0; i < 20; i++) a.b[i] = (uint8_t)(0x11 * (i + 1));
    u256 w = u256_from_address(&a), m = u256_from_be(a.b, 20);
    CHECK(u256_eq(&w, &m));
    CHECK(w.w[3] == 0 && w.w[2] >> 32 == 0);
    address back = u256_to_address(&w);
    CHECK(!memcmp(back.b, a.b, 20));
    /* the high 12 bytes of a word are dropped */
    u256 full = {{0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0xdeadbeefcafef00dULL, ~0ULL}};
    uint8_t be[32];
    u256_to_be(&full, be);
    address low = u256_to_address(&full);
    CHECK(!memcmp(low.b, be + 12, 20));
}

TEST(u256_text) {
    char dec[80], hx[67];
    u256 z = U256_ZERO;
    u256_to_dec(&z, dec);
    CHECK(!strcmp(dec, "0"));
    u256 ones = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    u256_to_dec(&ones, dec);
    CHECK(!strcmp(dec, "115792089237316195423570985008687907853269984665640564039457584007913129639935"));
    u256 t = u256_from_u64(10000000000000000000ULL);
    u256_to_dec(&t, dec);
    CHECK(!strcmp(dec, "10000000000000000000"));
    u256_to_hex(&z, hx);
    CHECK(!strcmp(hx, "0x0"));
    t = u256_from_u64(0x1ab);
    u256_to_hex(&t, hx);
    CHECK(!strcmp(hx, "0x1ab"));
}

static void hexhash(const char *msg, size_t len, const char *expect) {
    uint8_t out[32], want[32];
    keccak256(msg, len, out);
    CHECK(hex_decode(expect, want, 32) == 32);
    CHECK_MEM(out, want, 32);
    /* incremental in odd chunks gives the same */
    keccak_ctx c;
    keccak_init(&c);
    for (size_t i = 0; i < len; i += 7) keccak_update(&c, msg + i, len - i < 7 ? len - i : 7);
    keccak_final(&c, out);
    CHECK_MEM(out, want, 32);
}

TEST(keccak_vectors) {
    hexhash("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    hexhash("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    hexhash("The quick brown fox jumps over the lazy dog", 43,
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    char m[200];
    memset(m, 'a', sizeof m);
    /* 136 bytes (exactly one block) and 200 bytes cross the rate boundary */
    uint8_t a1[32], a2[32];
    keccak256(m, 136, a1);
    keccak_ctx c;
    keccak_init(&c);
    keccak_update(&c, m, 100);
    keccak_update(&c, m, 36);
    keccak_final(&c, a2);
    CHECK_MEM(a1, a2, 32);
    bytes32 e = keccak256_hash(NULL, 0);
    CHECK(bytes32_eq(&e, &EMPTY_CODE_HASH));
    uint8_t r80 = 0x80;
    e = keccak256_hash(&r80, 1);
    CHECK(bytes32_eq(&e, &EMPTY_TRIE_ROOT));
    uint8_t c0 = 0xc0;
    e = keccak256_hash(&c0, 1);
    CHECK(bytes32_eq(&e, &EMPTY_LIST_HASH));
}

/* Keccak-f[1600] of the zero state (the Keccak team's KeccakF-1600 test
 * vector, first lanes), and the x86-64-v3 copy against the baseline one on
 * pseudo-random states. */
TEST(keccak_permutation_copies_agree) {
    uint64_t s[25] = {0}, t[25] = {0};
    keccak_f1600(s);
    keccak_f1600_baseline(t);
    CHECK(s[0] == 0xF1258F7940E1DDE7ULL && s[1] == 0x84D5CCF933C0478AULL);
    CHECK_MEM(s, t, sizeof s);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 25; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = t[i] = x;
        }
        keccak_f1600(s);
        keccak_f1600_baseline(t);
        CHECK_MEM(s, t, sizeof s);
    }
}

/* keccak256_many against one keccak256 per message: every length from 0 to
 * 700 (one to six blocks, each padding case), in groups of every size from 1
 * to 19 so that the eight-way groups mix block counts and leave lanes idle. */
TEST(keccak_many_matches_single) {
    enum { MAXLEN = 700, COUNT = MAXLEN + 1 };
    static uint8_t msg[MAXLEN];
    uint64_t x = 0x2545f4914f6cdd1dULL;
    for (size_t i = 0; i < MAXLEN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        msg[i] = (uint8_t)x;
    }
    static uint8_t got[COUNT][32], want[COUNT][32];
    const uint8_t *data[COUNT];
    size_t len[COUNT];
    uint8_t *out[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        /* lengths scrambled so a group holds long and short messages */
        len[i] = (i * 389) % COUNT;
        data[i] = msg + (MAXLEN - len[i]) / 2;
        out[i] = got[i];
        keccak256(data[i], len[i], want[i]);
    }
    for (size_t group = 1; group < 20; group++) {
        memset(got, 0, sizeof got);
        for (size_t at = 0; at < COUNT; at += group) {
            size_t n = COUNT - at < group ? COUNT - at : group;
            keccak256_many(n, data + at, len + at, out + at);
        }
        CHECK_MEM(got, want, sizeof got);
    }
    keccak256_many(0, NULL, NULL, NULL);
    printf("  keccak256_many: %s\n", keccak256_many_vectorised() ? "eight at a time (AVX-512F)" : "one at a time");
}

TEST(hex_parse) {
    uint8_t out[8];
    CHECK(hex_decode("0x0102", out, 8) == 2 && out[0] == 1 && out[1] == 2);
    CHECK(hex_decode("0x", out, 8) == 0);
    CHECK(hex_decode("abc", out, 8) == 2 && out[0] == 0x0a && out[1] == 0xbc);
    CHECK(hex_decode("0xzz", out, 8) == -1);
    CHECK(hex_decode("0x010203040506070809", out, 8) == -2);
    uint64_t v;
    CHECK(hex_to_u64("0x1f", &v) && v == 31);
    CHECK(hex_to_u64("0x", &v) && v == 0);
    CHECK(!hex_to_u64("0x10000000000000000", &v));
    CHECK(!hex_to_u64("0xg", &v));
    address a;
    CHECK(hex_to_fixed("0x01", a.b, 20) && a.b[19] == 1 && a.b[0] == 0);
    char txt[11];
    uint8_t in[4] = {0xde, 0xad, 0xbe, 0xef};
    hex_encode(in, 4, txt);
    CHECK(!strcmp(txt, "0xdeadbeef"));
}

/* The strict parsers accept what geth's JSON types accept, nothing more. */
TEST(hex_parse_strict) {
    uint8_t *d;
    size_t n;
    CHECK(hex_parse_data("", &d, &n) && n == 0);
    free(d);
    CHECK(hex_parse_data("0x", &d, &n) && n == 0);
    free(d);
    CHECK(hex_parse_data("0x6000", &d, &n) && n == 2 && d[0] == 0x60 && d[1] == 0);
    free(d);
    CHECK(!hex_parse_data("0x600", &d, &n)); /* odd: not 06 00 */
    CHECK(!hex_parse_data("6000", &d, &n));  /* data needs its prefix */
    CHECK(!hex_parse_data("0xzz", &d, &n));
    CHECK(!hex_parse_data("0x60 0", &d, &n));

    address a;
    CHECK(hex_parse_fixed("0x00000000000000000000000000000000000000ff", a.b, 20) && a.b[19] == 0xff);
    CHECK(hex_parse_fixed("00000000000000000000000000000000000000ff", a.b, 20));
    CHECK(!hex_parse_fixed("0x00ff", a.b, 20)); /* short: not zero-padded */
    CHECK(!hex_parse_fixed("0x", a.b, 20));
    CHECK(!hex_parse_fixed("", a.b, 20));
    CHECK(!hex_parse_fixed("0x0000000000000000000000000000000000000000ff", a.b, 20));
    bytes32 h;
    CHECK(!hex_parse_fixed("0x01", h.b, 32));

    CHECK(hex_parse_padded("0x01", h.b, 32) && h.b[31] == 1 && h.b[0] == 0);
    CHECK(hex_parse_padded("", h.b, 32) && bytes32_is_zero(&h));
    CHECK(hex_parse_padded("0x1", h.b, 32) && h.b[31] == 1 && h.b[30] == 0);
    CHECK(hex_parse_padded("abc", h.b, 32) && h.b[31] == 0xbc && h.b[30] == 0x0a && h.b[29] == 0);
    CHECK(hex_parse_padded("0x1" "0000000000000000000000000000000000000000000000000000000000000000", h.b, 32) == false);
    CHECK(!hex_parse_padded("0x1g", h.b, 32));
    CHECK(!hex_parse_padded("0x0000000000000000000000000000000000000000000000000000000000000000ff", h.b, 32));

    uint64_t v;
    CHECK(hex_parse_u64("0x1f", &v) && v == 31);
    CHECK(hex_parse_u64("0x1", &v) && v == 1); /* quantities may have odd digit counts */
    CHECK(hex_parse_u64("31", &v) && v == 31); /* decimal without the prefix, as geth */
    CHECK(hex_parse_u64("", &v) && v == 0);    /* geth's HexOrDecimal reads "" as 0 */
    CHECK(!hex_parse_u64("0x", &v));
    CHECK(!hex_parse_u64(NULL, &v)); /* an absent JSON field */
    CHECK(hex_parse_u64("0xffffffffffffffff", &v) && v == UINT64_MAX);
    CHECK(hex_parse_u64("0x0000000000000000000001", &v) && v == 1);
    CHECK(!hex_parse_u64("0x10000000000000000", &v));
    CHECK(!hex_parse_u64("18446744073709551616", &v));
    CHECK(!hex_parse_u64("1f", &v));
    CHECK(!hex_parse_u64("-1", &v));
    CHECK(!hex_parse_u64("0x-1", &v));
    u256 w;
    CHECK(hex_parse_u256("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &w) &&
          w.w[0] == UINT64_MAX && w.w[3] == UINT64_MAX);
    CHECK(!hex_parse_u256("0x10000000000000000000000000000000000000000000000000000000000000000", &w));
    CHECK(hex_parse_u256("1000000000000000000", &w) && w.w[0] == 1000000000000000000ULL && w.w[1] == 0);
}

TEST(rlp_roundtrip) {
    buf_t b = {0};
    size_t l = rlp_list_begin(&b);
    rlp_encode_u64(&b, 0);
    rlp_encode_u64(&b, 127);
    rlp_encode_u64(&b, 128);
    uint8_t big[60];
    memset(big, 7, sizeof big);
    rlp_encode_bytes(&b, big, sizeof big);
    rlp_list_end(&b, l);
    rlp_item top;
    CHECK(rlp_decode(b.data, b.len, &top) == RLP_OK);
    CHECK(top.is_list && rlp_list_count(&top) == 4);
    rlp_item it[4];
    CHECK(rlp_list_items(&top, it, 4) == RLP_OK);
    uint64_t v;
    CHECK(rlp_to_u64(&it[0], &v) == RLP_OK && v == 0);
    CHECK(rlp_to_u64(&it[1], &v) == RLP_OK && v == 127);
    CHECK(rlp_to_u64(&it[2], &v) == RLP_OK && v == 128);
    CHECK(it[3].len == 60 && it[3].data[59] == 7);
    buf_free(&b);
    /* non-canonical forms */
    uint8_t nc1[] = {0x81, 0x05};
    rlp_item x;
    CHECK(rlp_decode(nc1, 2, &x) == RLP_ERR_NONCANONICAL);
    uint8_t nc2[] = {0xb8, 0x02, 1, 2};
    CHECK(rlp_decode(nc2, 4, &x) == RLP_ERR_NONCANONICAL);
    uint8_t tr[] = {0x83, 1, 2};
    CHECK(rlp_decode(tr, 3, &x) == RLP_ERR_TRUNCATED);
    uint8_t tail[] = {0x01, 0x02};
    CHECK(rlp_decode(tail, 2, &x) == RLP_ERR_TRAILING);
    uint8_t lz[] = {0x82, 0x00, 0x01};
    CHECK(rlp_decode(lz, 3, &x) == RLP_OK && rlp_to_u64(&x, &v) == RLP_ERR_NONCANONICAL);
}

/* Long-division corner cases: numerators whose top limbs equal the
 * divisor's (the quotient-digit overflow branch) and divisors just above a
 * power of two (add-back steps), for DIV/MOD and the 512-bit MULMOD path. */
TEST(u256_division_corners_vs_gmp) {
    mpz_t A, B, M, R;
    mpz_inits(A, B, M, R, NULL);
    for (int iter = 0; iter < 100000; iter++) {
        u256 d = rnd_u256(), a;
        if (u256_is_zero(&d)) continue;
        int top = 3;
        while (top > 0 && !d.w[top]) top--;
        for (int i = 0; i < 4; i++) a.w[i] = rnd();
        if (top >= 1 && iter % 2) { /* numerator's top limbs = divisor's top limbs */
            a.w[3] = d.w[top];
            a.w[2] = d.w[top - 1];
        }
        if (iter % 5 == 0) d.w[top] = 1ULL << (rnd() % 64); /* power of two top limb */
        if (iter % 7 == 0) d.w[0] = ~0ULL;
        to_mpz(A, &a);
        to_mpz(B, &d);
        mpz_fdiv_r(R, A, B);
        u256 r = u256_mod(&a, &d), e = from_mpz(R);
        CHECK(u256_eq(&r, &e));
        mpz_fdiv_q(R, A, B);
        r = u256_div(&a, &d);
        e = from_mpz(R);
        CHECK(u256_eq(&r, &e));
        u256 b = rnd_u256();
        to_mpz(M, &b);
        mpz_mul(R, A, M);
        mpz_fdiv_r(R, R, B);
        r = u256_mulmod(&a, &b, &d);
        e = from_mpz(R);
        CHECK(u256_eq(&r, &e));
    }
    mpz_clears(A, B, M, R, NULL);
}

/* A MULMOD operand for modulus m: random, reduced, or at the edges (0, 1,
 * m - 1, m, m + 1, 2^256 - 1), so that products land near multiples of m
 * and near 2^512. */
static u256 mulmod_operand(const u256 *m) {
    u256 one = u256_from_u64(1), v = rnd_u256();
    switch (rnd() % 8) {
    case 0: return u256_mod(&v, m);
    case 1: return u256_sub(m, &one);
    case 2: return *m;
    case 3: return u256_add(m, &one);
    case 4: { u256 r = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}}; return r; }
    case 5: return u256_from_u64(rnd() % 2);
    case 6: { u256 k = u256_from_u64(2 + rnd() % 4); return u256_sub(m, &k); }
    default: return v;
    }
}

/* u256_mulmod_cached against GMP and u256_mulmod: runs of one modulus
 * (reduced by Barrett from the second product on), moduli that keep the
 * long division (below 2^192, powers of two), and alternating moduli. */
TEST(u256_mulmod_cached_vs_gmp) {
    static const u256 fixed[] = {
        {{0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL}}, /* BN254 p */
        {{0xfffffffefffffc2fULL, ~0ULL, ~0ULL, ~0ULL}},                                             /* secp256k1 p */
        {{0xbfd25e8cd0364141ULL, 0xbaaedce6af48a03bULL, 0xfffffffffffffffeULL, ~0ULL}},             /* secp256k1 n */
        {{0xffffffff00000001ULL, 0x53bda402fffe5bfeULL, 0x3339d80809a1d805ULL, 0x73eda753299d7d48ULL}}, /* BLS12-381 r */
        {{~0ULL, ~0ULL, ~0ULL, ~0ULL}},                                                             /* 2^256 - 1 */
        {{1, 0, 0, 1}},                                                                             /* 2^192 + 1 */
        {{~0ULL, ~0ULL, ~0ULL, 1}},                                                                 /* 2^193 - 1 */
        {{0, 0, 0, 1}},                                                                             /* 2^192: long division */
        {{0, 0, 0, 1ULL << 63}},                                                                    /* 2^255: long division */
        {{~0ULL, ~0ULL, ~0ULL, 0}},                                                                 /* 2^192 - 1: long division */
        {{7, 0, 0, 0}},
    };
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    mpz_t A, B, M, R;
    mpz_inits(A, B, M, R, NULL);
    long ready = 0, unsuited = 0;
    for (int round = 0; round < 240; round++) {
        u256 m;
        if (round < NFIXED) {
            m = fixed[round];
        } else {
            m = rnd_u256();
            if (round % 3 == 0) m.w[3] = 1 + rnd() % 4; /* just above 2^192 */
            if (u256_is_zero(&m)) m = u256_from_u64(3);
        }
        u256_mulmod_cache c = {0};
        to_mpz(M, &m);
        for (int i = 0; i < 1500; i++) {
            u256 a = mulmod_operand(&m), b = mulmod_operand(&m);
            to_mpz(A, &a);
            to_mpz(B, &b);
            mpz_mul(R, A, B);
            mpz_fdiv_r(R, R, M);
            u256 r = u256_mulmod_cached(&a, &b, &m, &c), e = from_mpz(R), plain = u256_mulmod(&a, &b, &m);
            CHECK(u256_eq(&r, &e));
            CHECK(u256_eq(&plain, &e));
        }
        int bits = 0;
        for (int k = 0; k < 4; k++) bits += __builtin_popcountll(m.w[k]);
        bool suited = m.w[3] != 0 && bits != 1;
        CHECK(c.state == (suited ? U256_MOD_READY : U256_MOD_UNSUITED));
        ready += c.state == U256_MOD_READY;
        unsuited += c.state == U256_MOD_UNSUITED;
    }
    CHECK(ready > 100);
    CHECK(unsuited >= 4);
    /* a modulus used twice in a row (mulDivRoundingUp) stays on the long
     * division; the third use keeps its reciprocal */
    for (int k = 0; k < 3; k++) {
        u256_mulmod_cache c2 = {0};
        u256 a = rnd_u256(), b = rnd_u256();
        for (int i = 0; i <= k; i++) {
            u256 r = u256_mulmod_cached(&a, &b, &fixed[0], &c2), e = u256_mulmod(&a, &b, &fixed[0]);
            CHECK(u256_eq(&r, &e));
        }
        CHECK(c2.state == (k == 0 ? U256_MOD_SEEN : k == 1 ? U256_MOD_AGAIN : U256_MOD_READY));
    }
    /* two moduli in turn: each call sees a new modulus, nothing is kept */
    u256_mulmod_cache c = {0};
    for (int i = 0; i < 4000; i++) {
        const u256 *m = &fixed[i % 2];
        u256 a = rnd_u256(), b = rnd_u256();
        u256 r = u256_mulmod_cached(&a, &b, m, &c), e = u256_mulmod(&a, &b, m);
        CHECK(u256_eq(&r, &e));
        CHECK(c.state == U256_MOD_SEEN);
    }
    /* m == 0 gives 0 and leaves the cache as it was */
    u256 a = rnd_u256(), zero = U256_ZERO, r = u256_mulmod_cached(&a, &a, &zero, &c);
    CHECK(u256_is_zero(&r));
    CHECK(u256_eq(&c.m, &fixed[1]));
    mpz_clears(A, B, M, R, NULL);
}

/* Both maps against a plain array model: puts, overwrites, gets and
 * deletions from a small key space (long probe runs, so the backward-shift
 * deletion is exercised), through growth, clear and clone. */
TEST(hash_maps_match_a_model) {
    enum { KEYS = 300 };
    static bool present[KEYS];
    static uint32_t model[KEYS];
    addr_map am = {0};
    word_map wm = {0};
    memset(present, 0, sizeof present);
    for (int step = 0; step < 200000; step++) {
        uint32_t k = (uint32_t)(rnd() % KEYS), op = (uint32_t)(rnd() % 10);
        address a = {{0}};
        a.b[0] = (uint8_t)k; /* keys differing in few bits collide in the low hash bits often */
        a.b[19] = (uint8_t)(k >> 8);
        u256 w = u256_from_u64(k), v;
        if (op < 5) {
            uint32_t val = (uint32_t)rnd();
            addr_map_put(&am, &a, val);
            v = u256_from_u64(val);
            word_map_put(&wm, &w, &v);
            present[k] = true;
            model[k] = val;
        } else if (op < 8) {
            CHECK(addr_map_del(&am, &a) == present[k]);
            CHECK(word_map_del(&wm, &w) == present[k]);
            present[k] = false;
        }
        if (step == 100000) {
            addr_map_clear(&am);
            word_map_clear(&wm);
            memset(present, 0, sizeof present);
        }
        if (step == 150000) { /* re-slots every entry into a larger table */
            addr_map_reserve(&am, 5000);
            word_map_reserve(&wm, 5000);
        }
        uint32_t got;
        bool found = addr_map_get(&am, &a, &got);
        const u256 *gw = word_map_get(&wm, &w);
        CHECK(found == present[k] && (gw != NULL) == present[k]);
        if (found && present[k]) {
            v = u256_from_u64(model[k]);
            if (got != model[k] || !u256_eq(gw, &v)) CHECK(false);
        }
    }
    size_t n = 0;
    for (int k = 0; k < KEYS; k++) n += present[k];
    CHECK(am.n == n && wm.n == n);
    word_map copy;
    CHECK(word_map_clone(&copy, &wm));
    for (int k = 0; k < KEYS; k++) {
        u256 w = u256_from_u64((uint64_t)k);
        CHECK((word_map_get(&copy, &w) != NULL) == present[k]);
    }
    word_map_free(&copy);
    /* reserve(more): that many new keys go in without the table growing */
    for (size_t more = 1; more < 3000; more = more * 3 + 1) {
        word_map_clear(&wm);
        word_map_put(&wm, &(u256){{7}}, &(u256){{7}});
        word_map_reserve(&wm, more);
        size_t cap = wm.cap;
        for (size_t i = 0; i < more; i++) word_map_put(&wm, &(u256){{1000 + i}}, &(u256){{i}});
        CHECK(wm.cap == cap && wm.n == more + 1);
        CHECK(word_map_get(&wm, &(u256){{7}}) && word_map_get(&wm, &(u256){{7}})->w[0] == 7);
    }
    addr_map_free(&am);
    word_map_free(&wm);
}

/* Solidity's revert data: Error(string) bounds as geth's ABI decoder
 * checks them, Panic(uint256) codes of any size, the two wordings. */
TEST(abi_revert_data) {
    uint8_t d[4 + 96] = {0x08, 0xc3, 0x79, 0xa0, [4 + 31] = 0x20, [4 + 63] = 4, [4 + 64] = 'n', 'o', 'p', 'e'};
    const uint8_t *s;
    size_t len;
    u256 code;
    CHECK(abi_decode_revert(d, sizeof d, &s, &len, &code) == ABI_REVERT_ERROR && len == 4 && !memcmp(s, "nope", 4));
    CHECK(abi_decode_revert(d, 4 + 68, &s, &len, &code) == ABI_REVERT_ERROR && len == 4);
    CHECK(abi_decode_revert(d, 4 + 67, &s, &len, &code) == ABI_REVERT_NONE); /* the bytes run past the end */
    CHECK(abi_decode_revert(d, 4 + 63, &s, &len, &code) == ABI_REVERT_NONE); /* no length word */
    d[4 + 63] = 0;
    CHECK(abi_decode_revert(d, 4 + 64, &s, &len, &code) == ABI_REVERT_ERROR && len == 0);
    d[4 + 31] = 0x41; /* an offset whose length word would end past the data */
    CHECK(abi_decode_revert(d, 4 + 96, &s, &len, &code) == ABI_REVERT_NONE);
    d[4 + 31] = 0x20;
    d[4] = 1; /* an offset of 2^248 + 32 */
    CHECK(!abi_decode_string(d + 4, 96, &s, &len));
    d[4] = 0;
    d[4 + 32] = 1; /* a length of 2^248 + 4 */
    CHECK(!abi_decode_string(d + 4, 96, &s, &len));
    uint8_t p[4 + 33] = {0x4e, 0x48, 0x7b, 0x71, [35] = 0x11};
    CHECK(abi_decode_revert(p, 35, &s, &len, &code) == ABI_REVERT_NONE);
    CHECK(abi_decode_revert(p, 37, &s, &len, &code) == ABI_REVERT_PANIC && u256_fits_u64(&code) && code.w[0] == 0x11);
    CHECK(!strcmp(abi_panic_reason_geth(&code), "arithmetic underflow or overflow"));
    code.w[0] = 0x21;
    CHECK(!strcmp(abi_panic_reason_geth(&code), "enum overflow") &&
          !strcmp(abi_panic_reason_alloy(&code), "failed to convert value into enum type"));
    code.w[2] = 1;
    CHECK(!abi_panic_reason_geth(&code) && !abi_panic_reason_alloy(&code));
    code = u256_from_u64(0x02);
    CHECK(!abi_panic_reason_geth(&code));
    uint8_t other[40] = {0xde, 0xad, 0xbe, 0xef};
    CHECK(abi_decode_revert(other, sizeof other, &s, &len, &code) == ABI_REVERT_NONE);
}
