/* console.log's decoder (src/node/node_console.c) on ABI inputs built
 * here: the formatting rules on hand-computed values, strings that are not
 * UTF-8 (each ill-formed part one U+FFFD, as Rust's from_utf8_lossy), and
 * input that is no console call (unknown selector, short arguments,
 * offsets and lengths out of range), which prints nothing. The whole
 * format table against anvil is clients/console_log. */
#include "test.h"
#include "node/node_internal.h"
#include "parevm/keccak.h"

typedef struct {
    uint8_t b[1024];
    size_t len;
} abi;

static void selector(abi *a, const char *sig) {
    uint8_t h[32];
    keccak256(sig, strlen(sig), h);
    memcpy(a->b, h, 4);
    a->len = 4;
}

static void word(abi *a, uint64_t hi_fill, uint64_t lo) {
    memset(a->b + a->len, (int)hi_fill, 32);
    for (int i = 0; i < 8; i++) a->b[a->len + 31 - i] = (uint8_t)(lo >> (8 * i));
    a->len += 32;
}

/* Appends the tail of a dynamic argument (length word and padded bytes). */
static void tail(abi *a, const void *p, size_t n) {
    word(a, 0, n);
    memcpy(a->b + a->len, p, n);
    a->len += (n + 31) / 32 * 32;
}

static bool format(const node_console *c, const abi *a, char *out, size_t cap) {
    buf_t b = {0};
    bool ok = node_console_format(c, a->b, a->len, &b);
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    memcpy(out, b.data ? (const char *)b.data : "", n);
    out[n] = 0;
    buf_free(&b);
    return ok;
}

/* log(string s) */
static void one_string(abi *a, const char *s, size_t n) {
    selector(a, "log(string)");
    word(a, 0, 32);
    tail(a, s, n);
}

/* log(string f, uint256/int256 v) with v = fill bytes then lo */
static void string_num(abi *a, const char *sig, const char *f, uint64_t fill, uint64_t lo) {
    selector(a, sig);
    word(a, 0, 64);
    word(a, fill, lo);
    tail(a, f, strlen(f));
}

TEST(console_formats_by_the_rules) {
    node_console *c = node_console_new();
    abi a;
    char out[512];
    string_num(&a, "log(string,uint256)", "e=%e, 18e=%18e", 0, 1234500000000000000ULL);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "e=1.2345e18, 18e=%18e"));
    string_num(&a, "log(string,uint256)", "%x|%o|%d %%d", 0, 255);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "0xff|%o|%d %d"));
    string_num(&a, "log(string,int256)", "%i", 0xff, 0xfffffffffffffffeULL);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "-2"));
    string_num(&a, "log(string,int256)", "%2e", 0xff, (uint64_t)-12345);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "-123.45"));
    string_num(&a, "log(string,uint256)", "", 0, 0);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "0"));
    /* log(bool,uint256): no format, the values joined */
    selector(&a, "log(bool,uint256)");
    word(&a, 0, 2);
    word(&a, 0, 9);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "true 9"));
    /* log(address): EIP-55 */
    selector(&a, "log(address)");
    word(&a, 0, 0);
    memcpy(a.b + a.len - 20, "\x5a\xae\xb6\x05\x3f\x3e\x94\xc9\xb9\xa0\x9f\x33\x66\x94\x35\xe7\xef\x1b\xea\xed", 20);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
    /* a precision past 1024 stays text: a contract cannot make the node
     * write megabytes of zeros */
    string_num(&a, "log(string,uint256)", "%1025e %99999999999999999999999e", 0, 5);
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, "%1025e %99999999999999999999999e 5"));
    string_num(&a, "log(string,uint256)", "%1024e", 0, 5);
    buf_t big = {0};
    CHECK(node_console_format(c, a.b, a.len, &big) && big.len == 2 + 1024 && big.data[1025] == '5' && big.data[1] == '.');
    buf_free(&big);
    /* log() prints an empty message */
    selector(&a, "log()");
    CHECK(format(c, &a, out, sizeof out) && !strcmp(out, ""));
    node_console_free(c);
}

TEST(console_strings_not_utf8) {
    node_console *c = node_console_new();
    static const struct {
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {"a\xff" "b", 3, "a\xef\xbf\xbd" "b"},
        {"\xf0\x90\x80", 3, "\xef\xbf\xbd"},                                /* a truncated sequence: one */
        {"\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd"},                        /* never a lead byte: each */
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},        /* a surrogate */
        {"\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* past U+10FFFF */
        {"\xe2\x82", 2, "\xef\xbf\xbd"},
        {"\xf0\x9f\x98\x80 ok", 7, "\xf0\x9f\x98\x80 ok"},
        {"x\0y", 3, "x\0y"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        abi a;
        one_string(&a, cases[i].in, cases[i].n);
        buf_t b = {0};
        CHECK(node_console_format(c, a.b, a.len, &b));
        size_t wl = strlen(cases[i].want) + (i == 7 ? 2 : 0);
        if (b.len != wl || memcmp(b.data, cases[i].want, wl)) {
            fprintf(stderr, "  case %zu: %zu bytes\n", i, b.len);
            CHECK(false);
        }
        buf_free(&b);
    }
    node_console_free(c);
}

TEST(console_input_that_is_no_call) {
    node_console *c = node_console_new();
    abi a;
    char out[64];
    selector(&a, "nothing(uint256)");
    word(&a, 0, 1);
    CHECK(!format(c, &a, out, sizeof out));
    selector(&a, "log(uint256)"); /* its argument missing */
    CHECK(!format(c, &a, out, sizeof out));
    a.len = 3;
    CHECK(!format(c, &a, out, sizeof out));
    selector(&a, "log(string)"); /* an offset past the end */
    word(&a, 0, 4096);
    word(&a, 0, 1);
    CHECK(!format(c, &a, out, sizeof out));
    selector(&a, "log(string)"); /* a length past the end */
    word(&a, 0, 32);
    word(&a, 0, 33);
    word(&a, 0, 0);
    CHECK(!format(c, &a, out, sizeof out));
    selector(&a, "log(string)"); /* an offset of 2^64 */
    word(&a, 0, 0);
    a.b[4 + 23] = 1;
    CHECK(!format(c, &a, out, sizeof out));
    /* the uint spelling of old console.sol copies is not console.sol's */
    selector(&a, "log(uint)");
    word(&a, 0, 1);
    CHECK(!format(c, &a, out, sizeof out));
    node_console_free(c);
}
