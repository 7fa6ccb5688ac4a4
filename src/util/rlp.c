/* RLP encoder and strict decoder (Yellow Paper, appendix B). */
#include "parevm/rlp.h"

/* Bytes in the minimal big-endian form of v. Written so the compiler can see
 * the result is at most 8: gcc's -Wstringop-overflow (which fires under
 * -fsanitize=address with -O3) cannot bound the shift-loop form, and the
 * callers index 8- and 9-byte arrays with it. */
static size_t be_len(uint64_t v) {
    return v ? 8 - (size_t)__builtin_clzll(v) / 8 : 0;
}

size_t rlp_header(uint8_t out[9], bool list, uint64_t len) {
    uint8_t short_base = list ? 0xc0 : 0x80;
    if (len <= 55) {
        out[0] = (uint8_t)(short_base + len);
        return 1;
    }
    size_t ll = be_len(len);
    out[0] = (uint8_t)(short_base + 55 + ll);
    for (size_t i = 0; i < ll; i++) out[1 + i] = (uint8_t)(len >> (8 * (ll - 1 - i)));
    return 1 + ll;
}

void rlp_encode_bytes(buf_t *b, const uint8_t *data, size_t len) {
    if (len == 1 && data[0] < 0x80) {
        buf_push(b, data[0]);
        return;
    }
    uint8_t h[9];
    buf_append(b, h, rlp_header(h, false, len));
    buf_append(b, data, len);
}

void rlp_encode_u64(buf_t *b, uint64_t v) {
    uint8_t be[8];
    size_t n = be_len(v);
    for (size_t i = 0; i < n; i++) be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    rlp_encode_bytes(b, be, n);
}

void rlp_encode_u256(buf_t *b, const u256 *v) {
    uint8_t be[32];
    u256_to_be(v, be);
    size_t n = u256_bytes(v);
    rlp_encode_bytes(b, be + 32 - n, n);
}

void rlp_encode_address(buf_t *b, const address *a) { rlp_encode_bytes(b, a->b, 20); }
void rlp_encode_bytes32(buf_t *b, const bytes32 *h) { rlp_encode_bytes(b, h->b, 32); }
void rlp_encode_raw(buf_t *b, const uint8_t *rlp, size_t len) { buf_append(b, rlp, len); }

size_t rlp_list_begin(buf_t *b) { return b->len; }

void rlp_list_end(buf_t *b, size_t start) {
    size_t payload = b->len - start;
    uint8_t h[9];
    size_t hn = rlp_header(h, true, payload);
    buf_reserve(b, hn);
    memmove(b->data + start + hn, b->data + start, payload);
    memcpy(b->data + start, h, hn);
    b->len += hn;
}

const char *rlp_strerror(rlp_err e) {
    switch (e) {
    case RLP_OK: return "ok";
    case RLP_ERR_TRUNCATED: return "RLP length runs past the end of the input";
    case RLP_ERR_NONCANONICAL: return "non-canonical RLP encoding";
    case RLP_ERR_TRAILING: return "trailing bytes after RLP item";
    case RLP_ERR_TYPE: return "unexpected RLP list/string type";
    case RLP_ERR_VALUE: return "RLP value has the wrong size or form";
    case RLP_ERR_COUNT: return "RLP list has the wrong number of items";
    }
    return "unknown RLP error";
}

/* Reads a long-form length of ll bytes; rejects leading zeros and values
 * that would fit the short form. */
static rlp_err read_long_len(const uint8_t *p, size_t ll, size_t avail, uint64_t *out) {
    if (ll > avail) return RLP_ERR_TRUNCATED;
    if (ll > 8 || p[0] == 0) return ll > 8 ? RLP_ERR_TRUNCATED : RLP_ERR_NONCANONICAL;
    uint64_t v = 0;
    for (size_t i = 0; i < ll; i++) v = v << 8 | p[i];
    if (v <= 55) return RLP_ERR_NONCANONICAL;
    *out = v;
    return RLP_OK;
}

rlp_err rlp_decode_item(const uint8_t *in, size_t len, rlp_item *out, size_t *consumed) {
    if (len == 0) return RLP_ERR_TRUNCATED;
    uint8_t h = in[0];
    size_t hdr;
    uint64_t plen;
    bool list = false;
    if (h < 0x80) {
        hdr = 0;
        plen = 1;
    } else if (h <= 0xb7) {
        hdr = 1;
        plen = h - 0x80u;
        if (plen == 1 && len >= 2 && in[1] < 0x80) return RLP_ERR_NONCANONICAL;
    } else if (h <= 0xbf) {
        size_t ll = h - 0xb7u;
        rlp_err e = read_long_len(in + 1, ll, len - 1, &plen);
        if (e) return e;
        hdr = 1 + ll;
    } else if (h <= 0xf7) {
        hdr = 1;
        plen = h - 0xc0u;
        list = true;
    } else {
        size_t ll = h - 0xf7u;
        rlp_err e = read_long_len(in + 1, ll, len - 1, &plen);
        if (e) return e;
        hdr = 1 + ll;
        list = true;
    }
    if (plen > len - hdr) return RLP_ERR_TRUNCATED;
    out->data = in + hdr;
    out->len = (size_t)plen;
    out->raw = in;
    out->raw_len = hdr + (size_t)plen;
    out->is_list = list;
    if (consumed) *consumed = out->raw_len;
    return RLP_OK;
}

rlp_err rlp_decode(const uint8_t *in, size_t len, rlp_item *out) {
    size_t used;
    rlp_err e = rlp_decode_item(in, len, out, &used);
    if (e) return e;
    return used == len ? RLP_OK : RLP_ERR_TRAILING;
}

rlp_err rlp_next(rlp_iter *it, rlp_item *out) {
    if (it->p >= it->end) return RLP_ERR_COUNT;
    size_t used;
    rlp_err e = rlp_decode_item(it->p, (size_t)(it->end - it->p), out, &used);
    if (e) return e;
    it->p += used;
    return RLP_OK;
}

long rlp_list_count(const rlp_item *list) {
    if (!list->is_list) return -1;
    rlp_iter it = rlp_iter_of(list);
    rlp_item x;
    long n = 0;
    rlp_err e;
    while ((e = rlp_next(&it, &x)) == RLP_OK) n++;
    return e == RLP_ERR_COUNT ? n : -1;
}

rlp_err rlp_list_items(const rlp_item *list, rlp_item *items, size_t n) {
    if (!list->is_list) return RLP_ERR_TYPE;
    rlp_iter it = rlp_iter_of(list);
    for (size_t i = 0; i < n; i++) {
        rlp_err e = rlp_next(&it, &items[i]);
        if (e) return e;
    }
    return it.p == it.end ? RLP_OK : RLP_ERR_COUNT;
}

static rlp_err check_int(const rlp_item *it, size_t max) {
    if (it->is_list) return RLP_ERR_TYPE;
    if (it->len > max) return RLP_ERR_VALUE;
    if (it->len > 0 && it->data[0] == 0) return RLP_ERR_NONCANONICAL;
    return RLP_OK;
}

rlp_err rlp_to_u64(const rlp_item *it, uint64_t *out) {
    rlp_err e = check_int(it, 8);
    if (e) return e;
    uint64_t v = 0;
    for (size_t i = 0; i < it->len; i++) v = v << 8 | it->data[i];
    *out = v;
    return RLP_OK;
}

rlp_err rlp_to_u256(const rlp_item *it, u256 *out) {
    rlp_err e = check_int(it, 32);
    if (e) return e;
    *out = u256_from_be(it->data, it->len);
    return RLP_OK;
}

rlp_err rlp_to_address(const rlp_item *it, address *out) {
    if (it->is_list) return RLP_ERR_TYPE;
    if (it->len != 20) return RLP_ERR_VALUE;
    memcpy(out->b, it->data, 20);
    return RLP_OK;
}

rlp_err rlp_to_bytes32(const rlp_item *it, bytes32 *out) {
    if (it->is_list) return RLP_ERR_TYPE;
    if (it->len != 32) return RLP_ERR_VALUE;
    memcpy(out->b, it->data, 32);
    return RLP_OK;
}
