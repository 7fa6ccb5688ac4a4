/* ds-test's log events in dev mode, as anvil prints them: a contract built
 * on DSTest or forge-std's Test emits log(string), log_named_uint(string,
 * uint256) and their kin; anvil decodes every log of a transaction whose
 * topic is one of these events (in the order they were emitted, among the
 * console.log calls, reverted frames included) and prints foundry's
 * Display of it: the value, or "key: value"; strings as they are, bytes
 * and bytes32 in hex, addresses checksummed, numbers in decimal, arrays as
 * "[a, b]", and log_named_decimal_* as the number over 10^decimals with
 * all its decimals ("1.500000000000000000"; decimals past 77: the plain
 * number). A log that is not one of them, or whose data does not decode
 * (an offset or length out of range), prints nothing; topics after the
 * first are not looked at. */
#include <string.h>
#include "node_internal.h"
#include "parevm/keccak.h"
#include "parevm/rpc_codec.h"

typedef enum {
    DS_STRING, DS_BYTES, DS_ADDRESS, DS_BYTES32, DS_INT, DS_UINT,
    DS_UINT_ARRAY, DS_INT_ARRAY, DS_ADDRESS_ARRAY, DS_DECIMAL_INT, DS_DECIMAL_UINT,
} ds_kind;

static const struct {
    const char *sig;
    bool named; /* a string key first */
    ds_kind kind;
} DS[NODE_DS_EVENTS] = {
    {"log(string)", false, DS_STRING},
    {"logs(bytes)", false, DS_BYTES},
    {"log_address(address)", false, DS_ADDRESS},
    {"log_bytes32(bytes32)", false, DS_BYTES32},
    {"log_int(int256)", false, DS_INT},
    {"log_uint(uint256)", false, DS_UINT},
    {"log_bytes(bytes)", false, DS_BYTES},
    {"log_string(string)", false, DS_STRING},
    {"log_array(uint256[])", false, DS_UINT_ARRAY},
    {"log_array(int256[])", false, DS_INT_ARRAY},
    {"log_array(address[])", false, DS_ADDRESS_ARRAY},
    {"log_named_address(string,address)", true, DS_ADDRESS},
    {"log_named_bytes32(string,bytes32)", true, DS_BYTES32},
    {"log_named_decimal_int(string,int256,uint256)", true, DS_DECIMAL_INT},
    {"log_named_decimal_uint(string,uint256,uint256)", true, DS_DECIMAL_UINT},
    {"log_named_int(string,int256)", true, DS_INT},
    {"log_named_uint(string,uint256)", true, DS_UINT},
    {"log_named_bytes(string,bytes)", true, DS_BYTES},
    {"log_named_string(string,string)", true, DS_STRING},
    {"log_named_array(string,uint256[])", true, DS_UINT_ARRAY},
    {"log_named_array(string,int256[])", true, DS_INT_ARRAY},
    {"log_named_array(string,address[])", true, DS_ADDRESS_ARRAY},
};

void node_ds_topics(bytes32 topics[NODE_DS_EVENTS]) {
    for (size_t i = 0; i < NODE_DS_EVENTS; i++) topics[i] = keccak256_hash(DS[i].sig, strlen(DS[i].sig));
}

static void put(buf_t *out, const char *s) { buf_append(out, s, strlen(s)); }


/* The bytes of a dynamic value whose offset word is at head. */
static bool dynamic(const uint8_t *d, size_t len, size_t head, const uint8_t **p, size_t *n) {
    if (head + 32 > len) return false;
    u256 off = u256_load_be32(d + head);
    if (!u256_fits_u64(&off) || off.w[0] > len || len - off.w[0] < 32) return false;
    u256 l = u256_load_be32(d + off.w[0]);
    if (!u256_fits_u64(&l) || l.w[0] > len - off.w[0] - 32) return false;
    *p = d + off.w[0] + 32;
    *n = (size_t)l.w[0];
    return true;
}

/* A number in decimal, signed for an int256. */
static void number(buf_t *out, const uint8_t word[32], bool is_signed) {
    u256 v = u256_load_be32(word);
    if (is_signed && u256_is_neg(&v)) {
        put(out, "-");
        v = u256_neg(&v);
    }
    char dec[80];
    u256_to_dec(&v, dec);
    put(out, dec);
}

static void address_text(buf_t *out, const uint8_t word[32]) {
    address a;
    memcpy(a.b, word + 12, 20);
    char text[43];
    rpc_address_checksum(&a, text);
    put(out, text);
}

/* alloy's format_units: the number over 10^decimals with every decimal,
 * "x.0" for none; past 77 decimals, the number as it is. */
static void decimal_units(buf_t *out, const uint8_t word[32], bool is_signed, const uint8_t dec_word[32]) {
    u256 v = u256_load_be32(word), d = u256_load_be32(dec_word);
    if (is_signed && u256_is_neg(&v)) {
        put(out, "-");
        v = u256_neg(&v);
    }
    char digits[80];
    u256_to_dec(&v, digits);
    if (!u256_fits_u64(&d) || d.w[0] > 77) {
        put(out, digits);
        return;
    }
    size_t k = (size_t)d.w[0], n = strlen(digits);
    if (k == 0) {
        put(out, digits);
        put(out, ".0");
        return;
    }
    if (n <= k) {
        put(out, "0.");
        for (size_t i = n; i < k; i++) buf_push(out, '0');
        put(out, digits);
        return;
    }
    buf_append(out, digits, n - k);
    buf_push(out, '.');
    put(out, digits + (n - k));
}

/* [a, b, ...] of an array whose offset word is at head. */
static bool array(buf_t *out, const uint8_t *d, size_t len, size_t head, ds_kind kind) {
    if (head + 32 > len) return false;
    u256 off = u256_load_be32(d + head);
    if (!u256_fits_u64(&off) || off.w[0] > len || len - off.w[0] < 32) return false;
    u256 count = u256_load_be32(d + off.w[0]);
    size_t room = (len - off.w[0] - 32) / 32;
    if (!u256_fits_u64(&count) || count.w[0] > room) return false;
    put(out, "[");
    for (size_t i = 0; i < (size_t)count.w[0]; i++) {
        const uint8_t *w = d + off.w[0] + 32 + 32 * i;
        if (i) put(out, ", ");
        if (kind == DS_ADDRESS_ARRAY) address_text(out, w);
        else number(out, w, kind == DS_INT_ARRAY);
    }
    put(out, "]");
    return true;
}

/* The value at head of kind (not the arrays). */
static bool value(buf_t *out, const uint8_t *d, size_t len, size_t head, ds_kind kind) {
    const uint8_t *p;
    size_t n;
    switch (kind) {
    case DS_STRING:
        if (!dynamic(d, len, head, &p, &n)) return false;
        node_put_lossy(out, p, n);
        return true;
    case DS_BYTES:
        if (!dynamic(d, len, head, &p, &n)) return false;
        node_put_hex(out, p, n, true);
        return true;
    default:
        break;
    }
    if (head + 32 > len) return false;
    const uint8_t *w = d + head;
    switch (kind) {
    case DS_ADDRESS: address_text(out, w); break;
    case DS_BYTES32: node_put_hex(out, w, 32, true); break;
    case DS_INT: number(out, w, true); break;
    case DS_UINT: number(out, w, false); break;
    default: return array(out, d, len, head, kind);
    }
    return true;
}

bool node_ds_event_format(const bytes32 topics[NODE_DS_EVENTS], const bytes32 *topic0, size_t n_topics,
                          const uint8_t *data, size_t len, buf_t *out) {
    if (n_topics < 1) return false; /* more topics than the event has are ignored, as alloy's decoding does */
    size_t e = 0;
    while (e < NODE_DS_EVENTS && !bytes32_eq(&topics[e], topic0)) e++;
    if (e == NODE_DS_EVENTS) return false;
    size_t start = out->len;
    size_t head = 0;
    if (DS[e].named) {
        const uint8_t *key;
        size_t n;
        if (!dynamic(data, len, 0, &key, &n)) return false;
        node_put_lossy(out, key, n);
        put(out, ": ");
        head = 32;
    }
    bool ok;
    if (DS[e].kind == DS_DECIMAL_INT || DS[e].kind == DS_DECIMAL_UINT) {
        ok = head + 64 <= len;
        if (ok) decimal_units(out, data + head, DS[e].kind == DS_DECIMAL_INT, data + head + 32);
    } else {
        ok = value(out, data, len, head, DS[e].kind);
    }
    if (!ok) out->len = start;
    return ok;
}
