/* HS256 JWT for the Engine API: base64url, HMAC-SHA256 (OpenSSL), claim
 * checks, and the secret file. */
#include "parevm/jwt.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "parevm/hex.h"

/* ---- Secret ----------------------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool jwt_secret_parse(const char *text, uint8_t secret[JWT_SECRET_LEN]) {
    while (is_space(*text)) text++;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text += 2;
    size_t n = 0;
    while (text[n] && !is_space(text[n])) n++;
    for (size_t i = n; text[i]; i++)
        if (!is_space(text[i])) return false;
    if (n != 2 * JWT_SECRET_LEN) return false;
    char digits[2 * JWT_SECRET_LEN + 1];
    memcpy(digits, text, n);
    digits[n] = 0;
    return hex_decode(digits, secret, JWT_SECRET_LEN) == JWT_SECRET_LEN;
}

static bool write_new_secret(const char *path, uint8_t secret[JWT_SECRET_LEN], char *err, size_t errlen) {
    if (RAND_bytes(secret, JWT_SECRET_LEN) != 1) {
        snprintf(err, errlen, "jwt secret: no randomness from OpenSSL");
        return false;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "jwt secret %s: cannot create: %s", path, strerror(errno));
        return false;
    }
    char text[2 * JWT_SECRET_LEN + 3];
    hex_encode(secret, JWT_SECRET_LEN, text);
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        snprintf(err, errlen, "jwt secret %s: cannot write: %s", path, strerror(errno));
        unlink(path);
    }
    return ok;
}

bool jwt_secret_load(const char *path, uint8_t secret[JWT_SECRET_LEN], bool *created, char *err,
                     size_t errlen) {
    if (created) *created = false;
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT) {
        if (write_new_secret(path, secret, err, errlen)) {
            if (created) *created = true;
            return true;
        }
        if (errno != EEXIST) return false;
        f = fopen(path, "r"); /* another process created it first */
    }
    if (!f) {
        snprintf(err, errlen, "jwt secret %s: %s", path, strerror(errno));
        return false;
    }
    char text[256];
    size_t n = fread(text, 1, sizeof text - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    text[n] = 0;
    if (more || strlen(text) != n || !jwt_secret_parse(text, secret)) {
        snprintf(err, errlen, "jwt secret %s: want 32 bytes as 64 hex digits", path);
        return false;
    }
    return true;
}

/* ---- base64url (RFC 4648 section 5, no padding) ------------------------------- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decodes n characters into out (capacity cap); returns the byte count or
 * -1 on a bad character, an impossible length or a too small buffer. */
static long b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap) {
    if (n % 4 == 1) return -1;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > cap) return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

static size_t b64url_encode(const uint8_t *in, size_t n, char *out) {
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = B64URL[(acc >> bits) & 63];
        }
    }
    if (bits) out[o++] = B64URL[(acc << (6 - bits)) & 63];
    out[o] = 0;
    return o;
}

/* ---- Tokens ------------------------------------------------------------------- */

static void hs256(const uint8_t secret[JWT_SECRET_LEN], const char *msg, size_t len, uint8_t mac[32]) {
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), secret, JWT_SECRET_LEN, (const unsigned char *)msg, len, mac, &maclen) ||
        maclen != 32)
        abort(); /* OpenSSL cannot fail here but for out-of-memory */
}

/* Decodes a base64url JSON object part; NULL if it is not one. */
static json_t *decode_json_part(const char *p, size_t n) {
    uint8_t buf[JWT_MAX_TOKEN_LEN];
    long len = b64url_decode(p, n, buf, sizeof buf);
    if (len < 0) return NULL;
    json_t *v = json_loadb((const char *)buf, (size_t)len, 0, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static const char *check_header(const char *p, size_t n) {
    json_t *h = decode_json_part(p, n);
    if (!h) return "malformed token header";
    const json_t *alg = json_object_get(h, "alg");
    bool ok = json_is_string(alg) && !strcmp(json_string_value(alg), "HS256");
    json_decref(h);
    return ok ? NULL : "unsupported signing algorithm (want HS256)";
}

/* A NumericDate claim as whole seconds; false if absent or not a number. */
static bool claim_seconds(const json_t *obj, const char *name, int64_t *out) {
    const json_t *v = json_object_get(obj, name);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -9e18 && d < 9e18)) return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static const char *check_claims(const char *p, size_t n, int64_t now) {
    json_t *c = decode_json_part(p, n);
    if (!c) return "malformed token claims";
    const char *why = NULL;
    int64_t iat, exp;
    if (!claim_seconds(c, "iat", &iat)) why = "token has no iat claim";
    else if (iat < now - JWT_IAT_WINDOW_S) why = "stale token (iat more than 60 s ago)";
    else if (iat > now + JWT_IAT_WINDOW_S) why = "token from the future (iat more than 60 s ahead)";
    else if (json_object_get(c, "exp") && (!claim_seconds(c, "exp", &exp) || exp < now)) why = "token expired";
    json_decref(c);
    return why;
}

const char *jwt_verify(const uint8_t secret[JWT_SECRET_LEN], const char *token, size_t len, int64_t now) {
    if (len == 0) return "missing token";
    if (len > JWT_MAX_TOKEN_LEN) return "token too long";
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return "malformed token (want header.claims.signature)";
    const char *why = check_header(token, (size_t)(dot1 - token));
    if (why) return why;
    uint8_t sig[32], mac[32];
    if (b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig, sizeof sig) != 32)
        return "malformed token signature";
    hs256(secret, token, (size_t)(dot2 - token), mac);
    if (CRYPTO_memcmp(sig, mac, 32)) return "invalid token signature";
    return check_claims(dot1 + 1, (size_t)(dot2 - dot1 - 1), now);
}

size_t jwt_make(const uint8_t secret[JWT_SECRET_LEN], int64_t iat, char *out, size_t cap) {
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char claims[64], buf[256];
    int clen = snprintf(claims, sizeof claims, "{\"iat\":%lld}", (long long)iat);
    size_t n = b64url_encode((const uint8_t *)header, sizeof header - 1, buf);
    buf[n++] = '.';
    n += b64url_encode((const uint8_t *)claims, (size_t)clen, buf + n);
    uint8_t mac[32];
    hs256(secret, buf, n, mac);
    buf[n++] = '.';
    n += b64url_encode(mac, 32, buf + n);
    if (n + 1 > cap) return 0;
    memcpy(out, buf, n + 1);
    return n;
}
