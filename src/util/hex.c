/* Hex parsing for fixtures, RPC and the CLI: the strict parsers for input
 * from outside and the lenient decoders for test vectors; none reads past
 * the terminating NUL. */
#include "parevm/hex.h"
#include <stdlib.h>

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *skip_prefix(const char *t) {
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) return t + 2;
    return t;
}

/* ---- strict parsers ---- */

static bool has_prefix(const char *t) { return t[0] == '0' && (t[1] == 'x' || t[1] == 'X'); }

/* Whether p holds only hex digits (n of them). */
static bool all_hex(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (hexval(p[i]) < 0) return false;
    return true;
}

/* Decodes 2n hex digits (already checked) into n bytes. */
static void decode_pairs(const char *p, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(hexval(p[2 * i]) << 4 | hexval(p[2 * i + 1]));
}

bool hex_parse_data(const char *text, uint8_t **out, size_t *len) {
    const char *p = text;
    if (*p && !has_prefix(p)) return false;
    if (*p) p += 2;
    size_t digits = strlen(p);
    if (digits % 2 || !all_hex(p, digits)) return false;
    uint8_t *buf = malloc(digits / 2 ? digits / 2 : 1);
    if (!buf) return false;
    decode_pairs(p, buf, digits / 2);
    *out = buf;
    *len = digits / 2;
    return true;
}

bool hex_parse_fixed(const char *text, uint8_t *out, size_t n) {
    const char *p = skip_prefix(text);
    size_t digits = strlen(p);
    if (digits != 2 * n || !all_hex(p, digits)) return false;
    decode_pairs(p, out, n);
    return true;
}

bool hex_parse_padded(const char *text, uint8_t *out, size_t n) {
    const char *p = skip_prefix(text);
    size_t digits = strlen(p);
    if (digits > 2 * n || !all_hex(p, digits)) return false;
    size_t whole = digits / 2, at = n - whole;
    memset(out, 0, at);
    if (digits % 2) out[at - 1] = (uint8_t)hexval(*p++); /* "0x5" is 0x05 */
    decode_pairs(p, out + at, whole);
    return true;
}

/* The digits of a quantity and their base (16 after "0x", else 10); NULL
 * for text that is no quantity. "" is zero digits. */
static const char *quantity_digits(const char *text, int *base) {
    *base = has_prefix(text) ? 16 : 10;
    const char *p = *base == 16 ? text + 2 : text;
    if (*base == 16 && !*p) return NULL; /* "0x" */
    for (const char *q = p; *q; q++) {
        int d = hexval(*q);
        if (d < 0 || d >= *base) return NULL;
    }
    return p;
}

bool hex_parse_u64(const char *text, uint64_t *out) {
    u256 v;
    if (!hex_parse_u256(text, &v) || !u256_fits_u64(&v)) return false;
    *out = v.w[0];
    return true;
}

bool hex_parse_u256(const char *text, u256 *out) {
    int base;
    const char *p = text ? quantity_digits(text, &base) : NULL;
    if (!p) return false;
    u256 v = U256_ZERO;
    for (; *p; p++) {
        /* v = v * base + digit, failing on a carry out of 256 bits */
        u128 carry = (u128)hexval(*p);
        for (int i = 0; i < 4; i++) {
            u128 t = (u128)v.w[i] * (unsigned)base + carry;
            v.w[i] = (uint64_t)t;
            carry = t >> 64;
        }
        if (carry) return false;
    }
    *out = v;
    return true;
}

/* ---- lenient decoding ---- */

long hex_decode(const char *text, uint8_t *out, size_t cap) {
    const char *p = skip_prefix(text);
    size_t digits = strlen(p);
    size_t n = (digits + 1) / 2;
    if (n > cap) return -2;
    size_t o = 0;
    if (digits % 2) {
        int v = hexval(*p++);
        if (v < 0) return -1;
        out[o++] = (uint8_t)v;
    }
    while (*p) {
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0) return -1;
        out[o++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return (long)o;
}

bool hex_decode_alloc(const char *text, uint8_t **out, size_t *len) {
    size_t digits = strlen(skip_prefix(text));
    size_t cap = (digits + 1) / 2;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return false;
    long n = hex_decode(text, buf, cap);
    if (n < 0) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = (size_t)n;
    return true;
}

bool hex_to_fixed(const char *text, uint8_t *out, size_t n) {
    uint8_t tmp[256];
    if (n > sizeof tmp) return false;
    long got = hex_decode(text, tmp, n);
    if (got < 0) return false;
    memset(out, 0, n - (size_t)got);
    memcpy(out + (n - (size_t)got), tmp, (size_t)got);
    return true;
}

bool hex_to_u64(const char *text, uint64_t *out) {
    const char *p = skip_prefix(text);
    if (!*p) {
        *out = 0;
        return true;
    }
    uint64_t v = 0;
    for (; *p; p++) {
        int d = hexval(*p);
        if (d < 0 || v >> 60) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

void hex_encode(const uint8_t *in, size_t len, char *out) {
    static const char d[] = "0123456789abcdef";
    *out++ = '0';
    *out++ = 'x';
    for (size_t i = 0; i < len; i++) {
        *out++ = d[in[i] >> 4];
        *out++ = d[in[i] & 15];
    }
    *out = 0;
}

const char *hex_strerror(long code) {
    switch (code) {
    case -1: return "invalid hex character";
    case -2: return "value too long";
    default: return code < 0 ? "invalid hex" : "ok";
    }
}
