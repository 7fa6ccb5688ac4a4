/* EIP-712 typed structured data hashing, written from the EIP's text:
 *
 *   encodeType(S)  = "S(T1 n1,T2 n2,...)" followed by every struct type S
 *                    references (through members and arrays, transitively),
 *                    sorted by name, each written the same way
 *   hashStruct(s)  = keccak256(keccak256(encodeType(S)) || encodeData(s))
 *   encodeData(s)  = the members' 32-byte encodings in declaration order:
 *                    atomic values as ABI words (bytesN right-padded, the
 *                    others left-padded, negative ints in two's complement),
 *                    bytes and string as the keccak256 of their content,
 *                    arrays (T[n], T[], nested) as the keccak256 of their
 *                    items' encodings, structs as their hashStruct
 *   digest         = keccak256(0x19 0x01 || hashStruct(domain) || hashStruct(message))
 *
 * Input is checked as it is read: every failure is a message naming the
 * type or field, and nesting is bounded (EIP712_MAX_DEPTH), so cyclic
 * struct types cannot make either walk run away. */
#include "eip712.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/buf.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc_codec.h"

#define NAME_MAX_LEN 255 /* longest type name taken */

typedef struct {
    const json_t *types; /* name -> [{name, type}...] */
    char *why;
    size_t cap;
} e712;

typedef enum { K_UNKNOWN, K_STRUCT, K_ADDRESS, K_BOOL, K_STRING, K_BYTES, K_FIXED_BYTES, K_UINT, K_INT } kind;

static bool fail(e712 *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(e712 *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why, e->cap, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- Type names ------------------------------------------------------------------------------ */

/* A decimal size written without leading zeros ("8", "256"), or 0. */
static unsigned size_suffix(const char *s) {
    if (!*s || *s == '0' || strlen(s) > 3) return 0;
    unsigned v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v;
}

/* What a type name without array suffixes is; *size: bits of uintN/intN,
 * bytes of bytesN. */
static kind classify(const e712 *e, const char *base, unsigned *size) {
    static const struct {
        const char *name;
        kind k;
    } plain[] = {{"address", K_ADDRESS}, {"bool", K_BOOL}, {"string", K_STRING}, {"bytes", K_BYTES}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!strcmp(base, plain[i].name)) return plain[i].k;
    *size = 0;
    if (!strncmp(base, "uint", 4)) *size = size_suffix(base + 4);
    else if (!strncmp(base, "int", 3)) *size = size_suffix(base + 3);
    if (*size) return *size % 8 == 0 && *size <= 256 ? (base[0] == 'u' ? K_UINT : K_INT) : K_UNKNOWN;
    if (!strncmp(base, "bytes", 5) && (*size = size_suffix(base + 5))) return *size <= 32 ? K_FIXED_BYTES : K_UNKNOWN;
    return json_is_array(json_object_get(e->types, base)) ? K_STRUCT : K_UNKNOWN;
}

/* Copies the part of type before its first '[' into base. */
static bool base_of(e712 *e, const char *type, char base[NAME_MAX_LEN + 1]) {
    size_t len = strcspn(type, "[");
    if (len > NAME_MAX_LEN) return fail(e, "type name too long: \"%.40s...\"", type);
    memcpy(base, type, len);
    base[len] = '\0';
    return true;
}

/* type = elem "[" n? "]": the element type's length and the fixed length
 * (*fixed false for "[]"). False when type is not an array. */
static bool split_array(const char *type, size_t *elem_len, bool *fixed, size_t *count) {
    size_t len = strlen(type);
    if (!len || type[len - 1] != ']') return false;
    const char *open = strrchr(type, '[');
    if (!open) return false;
    *elem_len = (size_t)(open - type);
    *fixed = open + 1 < type + len - 1;
    *count = 0;
    for (const char *p = open + 1; p < type + len - 1; p++) {
        if (*p < '0' || *p > '9') return false;
        /* a length past any input's item count stays past it */
        *count = *count > SIZE_MAX / 20 ? *count : *count * 10 + (size_t)(*p - '0');
    }
    return true;
}

/* A member's type: a known base and well-formed array suffixes. */
static bool check_member_type(e712 *e, const char *owner, const char *type) {
    char base[NAME_MAX_LEN + 1];
    unsigned size;
    if (!base_of(e, type, base)) return false;
    if (classify(e, base, &size) == K_UNKNOWN) return fail(e, "types.%s: unknown type \"%s\"", owner, base);
    for (const char *p = type + strlen(base); *p;) {
        const char *close = strchr(p, ']');
        if (*p != '[' || !close) return fail(e, "types.%s: malformed array type \"%s\"", owner, type);
        for (const char *d = p + 1; d < close; d++)
            if (*d < '0' || *d > '9') return fail(e, "types.%s: malformed array type \"%s\"", owner, type);
        p = close + 1;
    }
    return true;
}

/* Every struct of types: an array of {name: string, type: known type}. */
static bool check_types(e712 *e) {
    const char *owner;
    const json_t *fields;
    json_object_foreach((json_t *)e->types, owner, fields) {
        if (strlen(owner) > NAME_MAX_LEN) return fail(e, "types: type name too long");
        if (!json_is_array(fields)) return fail(e, "types.%s: expected an array of {name, type}", owner);
        for (size_t i = 0; i < json_array_size(fields); i++) {
            const json_t *f = json_array_get(fields, i);
            const char *name = json_string_value(json_object_get(f, "name"));
            const char *type = json_string_value(json_object_get(f, "type"));
            if (!name || !type) return fail(e, "types.%s[%zu]: expected {name: string, type: string}", owner, i);
            if (!check_member_type(e, owner, type)) return false;
        }
    }
    return true;
}

/* ---- encodeType ------------------------------------------------------------------------------- */

typedef struct {
    const char **names; /* keys of types (they live as long as it does) */
    size_t n, cap;
} name_list;

/* Adds name and, depth first, the struct types it references. */
static bool collect(e712 *e, const char *name, name_list *l, unsigned depth) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) return true;
    if (depth > EIP712_MAX_DEPTH) return fail(e, "types: struct references nested too deeply");
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->names = realloc(l->names, l->cap * sizeof *l->names);
        if (!l->names) abort();
    }
    l->names[l->n++] = json_object_iter_key(json_object_iter_at((json_t *)e->types, name));
    const json_t *fields = json_object_get(e->types, name);
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const char *type = json_string_value(json_object_get(json_array_get(fields, i), "type"));
        char base[NAME_MAX_LEN + 1];
        unsigned size;
        if (!base_of(e, type, base)) return false;
        if (classify(e, base, &size) == K_STRUCT && !collect(e, base, l, depth + 1)) return false;
    }
    return true;
}

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* "Name(type1 name1,type2 name2)" */
static void write_struct(const json_t *types, const char *name, buf_t *out) {
    buf_append(out, name, strlen(name));
    buf_push(out, '(');
    const json_t *fields = json_object_get(types, name);
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const json_t *f = json_array_get(fields, i);
        const char *type = json_string_value(json_object_get(f, "type"));
        const char *member = json_string_value(json_object_get(f, "name"));
        if (i) buf_push(out, ',');
        buf_append(out, type, strlen(type));
        buf_push(out, ' ');
        buf_append(out, member, strlen(member));
    }
    buf_push(out, ')');
}

/* encodeType into out (types already checked). */
static bool encode_type(e712 *e, const char *name, buf_t *out) {
    name_list l = {0};
    bool ok = collect(e, name, &l, 0);
    if (ok) {
        qsort(l.names + 1, l.n - 1, sizeof *l.names, by_name);
        for (size_t i = 0; i < l.n; i++) write_struct(e->types, l.names[i], out);
    }
    free(l.names);
    return ok;
}

char *eip712_encode_type(const json_t *types, const char *name, char *why, size_t cap) {
    e712 e = {types, why, cap};
    if (!json_is_object(types)) return fail(&e, "types: expected an object"), NULL;
    if (!check_types(&e)) return NULL;
    if (!json_is_array(json_object_get(types, name))) return fail(&e, "unknown struct type \"%s\"", name), NULL;
    buf_t b = {0};
    if (!encode_type(&e, name, &b)) {
        buf_free(&b);
        return NULL;
    }
    buf_push(&b, '\0');
    return (char *)b.data;
}

/* ---- encodeData ------------------------------------------------------------------------------ */

static bool encode_value(e712 *e, const char *field, const char *type, const json_t *v, uint8_t out[32],
                         unsigned depth);

/* uintN / intN from a JSON integer, a decimal string or a 0x hex string
 * (either string with an optional '-'), range-checked. */
static bool encode_int(e712 *e, const char *field, kind k, unsigned bits, const json_t *v, uint8_t out[32]) {
    const char *t = k == K_UINT ? "uint" : "int";
    bool neg = false;
    u256 mag;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        neg = x < 0;
        mag = u256_from_u64(neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        neg = *s == '-';
        if (!s[neg] || !hex_parse_u256(s + neg, &mag))
            return fail(e, "%s (%s%u): not a number or larger than 256 bits: \"%.80s\"", field, t, bits, s);
    } else {
        return fail(e, "%s (%s%u): expected a number, a decimal string or a 0x hex string", field, t, bits);
    }
    if (u256_is_zero(&mag)) neg = false;
    if (k == K_UINT && neg) return fail(e, "%s (uint%u): negative value", field, bits);
    unsigned limit_bits = k == K_UINT ? bits : bits - 1; /* |value| < 2^limit_bits (<= for negatives) */
    if (limit_bits < 256) {
        u256 one = u256_from_u64(1), limit = u256_shl(&one, limit_bits);
        if (neg ? u256_gt(&mag, &limit) : !u256_lt(&mag, &limit))
            return fail(e, "%s (%s%u): value out of range", field, t, bits);
    }
    u256 word = neg ? u256_neg(&mag) : mag;
    u256_to_be(&word, out);
    return true;
}

/* bytes (hashed) and bytesN (exactly N bytes, right-padded) from 0x hex. */
static bool encode_bytes(e712 *e, const char *field, kind k, unsigned n, const json_t *v, uint8_t out[32]) {
    char t[8] = "bytes";
    if (k == K_FIXED_BYTES) snprintf(t, sizeof t, "bytes%u", n);
    uint8_t *data;
    size_t len;
    const char *why = rpc_parse_data(v, &data, &len);
    if (why) return fail(e, "%s (%s): %s", field, t, why);
    bool ok = k == K_BYTES || len == n;
    if (!ok) fail(e, "%s (%s): %zu bytes given", field, t, len);
    else if (k == K_BYTES) keccak256(data, len, out);
    else memset(out, 0, 32), memcpy(out, data, len);
    free(data);
    return ok;
}

static bool encode_atomic(e712 *e, const char *field, kind k, unsigned size, const json_t *v, uint8_t out[32]) {
    memset(out, 0, 32);
    switch (k) {
    case K_ADDRESS: {
        address a;
        const char *why = rpc_parse_address(v, &a);
        if (why) return fail(e, "%s (address): %s", field, why);
        memcpy(out + 12, a.b, 20);
        return true;
    }
    case K_BOOL:
        if (!json_is_boolean(v)) return fail(e, "%s (bool): expected true or false", field);
        out[31] = json_is_true(v);
        return true;
    case K_STRING:
        if (!json_is_string(v)) return fail(e, "%s (string): expected a string", field);
        keccak256(json_string_value(v), json_string_length(v), out);
        return true;
    case K_BYTES:
    case K_FIXED_BYTES:
        return encode_bytes(e, field, k, size, v, out);
    default:
        return encode_int(e, field, k, size, v, out);
    }
}

/* keccak256 of the items' encodings. */
static bool encode_array(e712 *e, const char *field, const char *type, const json_t *v, uint8_t out[32],
                         unsigned depth) {
    size_t elem_len = 0, count = 0;
    bool fixed = false;
    split_array(type, &elem_len, &fixed, &count); /* an array type: encode_value saw it */
    if (!json_is_array(v)) return fail(e, "%s (%s): expected an array", field, type);
    if (fixed && json_array_size(v) != count)
        return fail(e, "%s (%s): expected %zu items, got %zu", field, type, count, json_array_size(v));
    char *elem = strndup(type, elem_len);
    if (!elem) abort();
    keccak_ctx k;
    keccak_init(&k);
    bool ok = true;
    for (size_t i = 0; i < json_array_size(v) && ok; i++) {
        uint8_t word[32];
        ok = encode_value(e, field, elem, json_array_get(v, i), word, depth + 1);
        keccak_update(&k, word, 32);
    }
    keccak_final(&k, out);
    free(elem);
    return ok;
}

static bool hash_struct(e712 *e, const char *name, const json_t *obj, uint8_t out[32], unsigned depth);

static bool encode_value(e712 *e, const char *field, const char *type, const json_t *v, uint8_t out[32],
                         unsigned depth) {
    if (depth > EIP712_MAX_DEPTH) return fail(e, "%s: structs and arrays nested too deeply", field);
    size_t elem_len, count;
    bool fixed;
    if (split_array(type, &elem_len, &fixed, &count)) return encode_array(e, field, type, v, out, depth);
    unsigned size = 0;
    kind k = classify(e, type, &size);
    if (k == K_UNKNOWN) return fail(e, "%s: unknown type \"%.80s\"", field, type);
    if (k != K_STRUCT) return encode_atomic(e, field, k, size, v, out);
    if (!json_is_object(v)) return fail(e, "%s (%s): expected an object", field, type);
    return hash_struct(e, type, v, out, depth + 1);
}

static bool hash_struct(e712 *e, const char *name, const json_t *obj, uint8_t out[32], unsigned depth) {
    buf_t enc = {0};
    if (!encode_type(e, name, &enc)) {
        buf_free(&enc);
        return false;
    }
    uint8_t word[32];
    keccak256(enc.data, enc.len, word);
    buf_free(&enc);
    keccak_ctx k;
    keccak_init(&k);
    keccak_update(&k, word, 32);
    const json_t *fields = json_object_get(e->types, name);
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const json_t *f = json_array_get(fields, i);
        const char *member = json_string_value(json_object_get(f, "name"));
        const json_t *v = json_object_get(obj, member);
        if (!v) return fail(e, "%s.%s: missing value", name, member);
        if (!encode_value(e, member, json_string_value(json_object_get(f, "type")), v, word, depth)) return false;
        keccak_update(&k, word, 32);
    }
    keccak_final(&k, out);
    return true;
}

/* ---- The digest ------------------------------------------------------------------------------- */

bool eip712_digest(const json_t *typed, uint8_t out[32], char *why, size_t cap) {
    e712 e = {NULL, why, cap};
    if (!json_is_object(typed)) return fail(&e, "typed data: expected an object");
    e.types = json_object_get(typed, "types");
    if (!json_is_object(e.types)) return fail(&e, "types: missing or not an object");
    if (!check_types(&e)) return false;
    if (!json_object_get(e.types, "EIP712Domain")) return fail(&e, "types: EIP712Domain missing");
    const char *primary = json_string_value(json_object_get(typed, "primaryType"));
    if (!primary) return fail(&e, "primaryType: missing or not a string");
    if (!json_object_get(e.types, primary)) return fail(&e, "primaryType: unknown struct type \"%s\"", primary);
    const json_t *domain = json_object_get(typed, "domain"), *message = json_object_get(typed, "message");
    if (!json_is_object(domain)) return fail(&e, "domain: missing or not an object");
    bool domain_only = !strcmp(primary, "EIP712Domain");
    if (!domain_only && !json_is_object(message)) return fail(&e, "message: missing or not an object");
    uint8_t pre[66] = {0x19, 0x01};
    if (!hash_struct(&e, "EIP712Domain", domain, pre + 2, 0)) return false;
    if (!domain_only && !hash_struct(&e, primary, message, pre + 34, 0)) return false;
    keccak256(pre, domain_only ? 34 : 66, out);
    return true;
}
