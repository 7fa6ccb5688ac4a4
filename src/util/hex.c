/* Hex parsing for fixtures, RPC and the CLI: strict, never reads past NUL. */
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
