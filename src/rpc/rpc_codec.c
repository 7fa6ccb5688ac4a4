/* The scalar parameter codecs of the JSON-RPC methods (quantities, data,
 * fixed-size values, block tags, numbers and EIP-1898 objects), the result
 * encoders, and the UTF-8 helpers of the dispatcher. Strict like geth: a
 * value in the wrong form is an error, never guessed at. */
#include "parevm/rpc_codec.h"
#include <stdio.h>
#include <stdlib.h>
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "rpc_internal.h"

/* ---- UTF-8 ------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t min, cp;
    if ((c & 0xe0) == 0xc0) len = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) len = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) len = 4, min = 0x10000, cp = c & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

bool rpc_utf8_valid(const uint8_t *p, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

json_t *rpc_json_string_lossy(const char *s) {
    size_t len = strlen(s);
    const uint8_t *p = (const uint8_t *)s;
    if (rpc_utf8_valid(p, len)) return rpc_json_take(json_stringn(s, len));
    char *copy = malloc(len + 1);
    if (!copy) abort();
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i);
        if (!k) {
            copy[i++] = '?';
            continue;
        }
        memcpy(copy + i, s + i, k);
        i += k;
    }
    json_t *v = rpc_json_take(json_stringn(copy, len));
    free(copy);
    return v;
}

/* ---- Arguments ---------------------------------------------------------------------- */

const json_t *rpc_arg(const json_t *params, size_t i) {
    const json_t *v = json_array_get(params, i);
    return v && !json_is_null(v) ? v : NULL;
}

bool rpc_check_args(const json_t *params, size_t required, size_t max, rpc_error *err) {
    size_t n = json_array_size(params);
    if (n > max) return rpc_error_set(err, RPC_INVALID_PARAMS, "too many arguments, want at most %zu", max);
    for (size_t i = 0; i < required; i++)
        if (!rpc_arg(params, i))
            return rpc_error_set(err, RPC_INVALID_PARAMS, "missing value for required argument %zu", i);
    return true;
}

/* ---- Scalars ------------------------------------------------------------------------ */

static int hexdigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool has_prefix(const char *s) { return s[0] == '0' && (s[1] == 'x' || s[1] == 'X'); }

/* The digits of a quantity, checked for form; *ndigits gets their count. */
static const char *quantity_digits(const json_t *v, const char **digits, size_t *ndigits) {
    if (!json_is_string(v)) return "quantity must be a hex string";
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0) return "empty hex string";
    if (!has_prefix(s)) return "hex string without 0x prefix";
    if (len == 2) return "hex string \"0x\"";
    if (len > 3 && s[2] == '0') return "hex number with leading zero digits";
    for (size_t i = 2; i < len; i++)
        if (hexdigit(s[i]) < 0) return "invalid hex string";
    *digits = s + 2;
    *ndigits = len - 2;
    return NULL;
}

const char *rpc_parse_u64(const json_t *v, uint64_t *out) {
    const char *d;
    size_t n;
    const char *why = quantity_digits(v, &d, &n);
    if (why) return why;
    if (n > 16) return "hex number > 64 bits";
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = x << 4 | (uint64_t)hexdigit(d[i]);
    *out = x;
    return NULL;
}

const char *rpc_parse_u256(const json_t *v, u256 *out) {
    const char *d;
    size_t n;
    const char *why = quantity_digits(v, &d, &n);
    if (why) return why;
    if (n > 64) return "hex number > 256 bits";
    u256 x = U256_ZERO;
    for (size_t i = 0; i < n; i++) {
        x = u256_shl(&x, 4);
        x.w[0] |= (uint64_t)hexdigit(d[i]);
    }
    *out = x;
    return NULL;
}

/* The digits of a data string, checked for form (even count); "" is no
 * bytes, as geth's hexutil.Bytes takes it. */
static const char *data_digits(const json_t *v, const char **digits, size_t *ndigits) {
    if (!json_is_string(v)) return "data must be a hex string";
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0) {
        *digits = s;
        *ndigits = 0;
        return NULL;
    }
    if (!has_prefix(s)) return "hex string without 0x prefix";
    if (len % 2) return "hex string of odd length";
    for (size_t i = 2; i < len; i++)
        if (hexdigit(s[i]) < 0) return "invalid hex string";
    *digits = s + 2;
    *ndigits = len - 2;
    return NULL;
}

static void unhex(const char *d, size_t ndigits, uint8_t *out) {
    for (size_t i = 0; i < ndigits / 2; i++)
        out[i] = (uint8_t)(hexdigit(d[2 * i]) << 4 | hexdigit(d[2 * i + 1]));
}

const char *rpc_parse_data(const json_t *v, uint8_t **out, size_t *len) {
    const char *d;
    size_t n;
    const char *why = data_digits(v, &d, &n);
    if (why) return why;
    uint8_t *p = malloc(n / 2 ? n / 2 : 1);
    if (!p) abort();
    unhex(d, n, p);
    *out = p;
    *len = n / 2;
    return NULL;
}

const char *rpc_parse_fixed(const json_t *v, uint8_t *out, size_t n) {
    const char *d;
    size_t nd;
    const char *why = data_digits(v, &d, &nd);
    if (why) return why;
    if (nd != 2 * n) return "hex string has the wrong length";
    unhex(d, nd, out);
    return NULL;
}

/* geth's words for a common.Address or common.Hash that does not decode
 * (hexutil.UnmarshalFixedJSON: Go's type error around the hex error), in
 * the order non-string, no prefix, odd length, bad digit, wrong length
 * (geth's message there has the numbers: ours says what it must be). */
static const char *fixed_words(const char *why, const char *const words[5]) {
    static const char *const hex_errors[4] = {"data must be a hex string", "hex string without 0x prefix",
                                              "hex string of odd length", "invalid hex string"};
    if (!why) return NULL;
    for (int i = 0; i < 4; i++)
        if (!strcmp(why, hex_errors[i])) return words[i];
    return words[4];
}

#define GO_TYPE_ERRORS(type)                                                             \
    "json: cannot unmarshal non-string into Go value of type " type,                    \
        "json: cannot unmarshal hex string without 0x prefix into Go value of type " type, \
        "json: cannot unmarshal hex string of odd length into Go value of type " type,     \
        "json: cannot unmarshal invalid hex string into Go value of type " type

const char *rpc_parse_address(const json_t *v, address *out) {
    static const char *const words[5] = {GO_TYPE_ERRORS("common.Address"), "address must be 20 bytes (40 hex digits)"};
    return fixed_words(rpc_parse_fixed(v, out->b, 20), words);
}

const char *rpc_parse_hash(const json_t *v, bytes32 *out) {
    static const char *const words[5] = {GO_TYPE_ERRORS("common.Hash"), "hash must be 32 bytes (64 hex digits)"};
    return fixed_words(rpc_parse_fixed(v, out->b, 32), words);
}

const char *rpc_parse_bool(const json_t *v, bool *out) {
    if (!json_is_boolean(v)) return "expected a boolean";
    *out = json_is_true(v);
    return NULL;
}

/* ---- Blocks -------------------------------------------------------------------------- */

static const struct {
    const char *name;
    rpc_block_kind kind;
} block_tags[] = {
    {"latest", RPC_BLOCK_LATEST}, {"earliest", RPC_BLOCK_EARLIEST}, {"pending", RPC_BLOCK_PENDING},
    {"safe", RPC_BLOCK_SAFE},     {"finalized", RPC_BLOCK_FINALIZED},
};

const char *rpc_parse_block_number(const json_t *v, rpc_block_ref *out) {
    memset(out, 0, sizeof *out);
    if (!json_is_string(v)) return "block number must be a hex string or a block tag";
    const char *s = json_string_value(v);
    for (size_t i = 0; i < sizeof block_tags / sizeof block_tags[0]; i++)
        if (!strcmp(s, block_tags[i].name)) {
            out->kind = block_tags[i].kind;
            return NULL;
        }
    uint64_t n;
    const char *why = rpc_parse_u64(v, &n);
    if (why) return why;
    if (n > (uint64_t)INT64_MAX) return "block number larger than int64";
    out->kind = RPC_BLOCK_NUMBER;
    out->number = n;
    return NULL;
}

static bool looks_like_hash(const json_t *v) {
    return json_is_string(v) && json_string_length(v) == 66 && has_prefix(json_string_value(v));
}

/* A member, or NULL where it is missing or null (Go's json leaves a
 * pointer field nil and a bool false for null). */
static const json_t *member(const json_t *v, const char *key) {
    const json_t *m = json_object_get(v, key);
    return json_is_null(m) ? NULL : m;
}

static const char *parse_block_object(const json_t *v, rpc_block_ref *out) {
    const json_t *num = member(v, "blockNumber");
    const json_t *hash = member(v, "blockHash");
    const json_t *canon = member(v, "requireCanonical");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        if (strcmp(key, "blockNumber") && strcmp(key, "blockHash") && strcmp(key, "requireCanonical"))
            return "unknown field in block object (want blockNumber, or blockHash and requireCanonical)";
    }
    if (num && hash) return "cannot specify both BlockHash and BlockNumber, choose one or the other";
    /* with a number, requireCanonical is read and ignored (geth's and
     * alloy's BlockNumberOrHash) */
    if (num) {
        bool ignored;
        if (canon && rpc_parse_bool(canon, &ignored)) return "requireCanonical must be a boolean";
        return rpc_parse_block_number(num, out);
    }
    if (!hash) return "block object needs blockNumber or blockHash";
    memset(out, 0, sizeof *out);
    const char *why = rpc_parse_hash(hash, &out->hash);
    if (why) return why;
    if (canon && (why = rpc_parse_bool(canon, &out->require_canonical)))
        return "requireCanonical must be a boolean";
    out->kind = RPC_BLOCK_HASH;
    return NULL;
}

const char *rpc_parse_block_ref(const json_t *v, rpc_block_ref *out) {
    if (!v) {
        memset(out, 0, sizeof *out);
        out->kind = RPC_BLOCK_LATEST;
        return NULL;
    }
    if (json_is_object(v)) return parse_block_object(v, out);
    if (looks_like_hash(v)) {
        memset(out, 0, sizeof *out);
        const char *why = rpc_parse_hash(v, &out->hash);
        if (why) return why;
        out->kind = RPC_BLOCK_HASH;
        return NULL;
    }
    return rpc_parse_block_number(v, out);
}

/* ---- Encoders ------------------------------------------------------------------------- */

json_t *rpc_json_u64(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return rpc_json_take(json_string(buf));
}

json_t *rpc_json_u256(const u256 *v) {
    char buf[67];
    u256_to_hex(v, buf);
    return rpc_json_take(json_string(buf));
}

json_t *rpc_json_data(const uint8_t *p, size_t len) {
    char small[131];
    char *buf = 2 * len + 3 <= sizeof small ? small : malloc(2 * len + 3);
    if (!buf) abort();
    hex_encode(p, len, buf);
    json_t *v = rpc_json_take(json_stringn(buf, 2 * len + 2));
    if (buf != small) free(buf);
    return v;
}

json_t *rpc_json_address(const address *a) { return rpc_json_data(a->b, 20); }
json_t *rpc_json_hash(const bytes32 *h) { return rpc_json_data(h->b, 32); }

void rpc_address_checksum(const address *a, char out[43]) {
    hex_encode(a->b, 20, out);
    uint8_t h[32];
    keccak256(out + 2, 40, h);
    for (int i = 0; i < 40; i++) {
        char *c = &out[2 + i];
        unsigned nibble = i % 2 ? h[i / 2] & 0xf : h[i / 2] >> 4;
        if (*c >= 'a' && *c <= 'f' && nibble >= 8) *c = (char)(*c - 'a' + 'A');
    }
}
