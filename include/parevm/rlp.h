/* RLP (Recursive Length Prefix) encoding and strict decoding.
 *
 * Encoding appends to a buf_t. Lists are written as rlp_list_begin(), the
 * items, then rlp_list_end(), which inserts the header in front.
 *
 * Decoding never allocates: an rlp_item points into the input. The decoder
 * is strict as consensus requires: it rejects non-canonical forms (a single
 * byte below 0x80 wrapped in a string header, long-form lengths for payloads
 * of 55 bytes or fewer, lengths with leading zero bytes) and any length that
 * runs past the input. */
#ifndef PAREVM_RLP_H
#define PAREVM_RLP_H

#include "buf.h"
#include "u256.h"

void rlp_encode_bytes(buf_t *b, const uint8_t *data, size_t len);
void rlp_encode_u64(buf_t *b, uint64_t v);       /* minimal big-endian */
void rlp_encode_u256(buf_t *b, const u256 *v);   /* minimal big-endian */
void rlp_encode_address(buf_t *b, const address *a);
void rlp_encode_bytes32(buf_t *b, const bytes32 *h);
/* Appends already-encoded RLP verbatim. */
void rlp_encode_raw(buf_t *b, const uint8_t *rlp, size_t len);
/* Writes the header of a string (list=false) or list payload of len bytes;
 * returns its size (1 to 9 bytes). For encoders that stream. */
size_t rlp_header(uint8_t out[9], bool list, uint64_t len);
size_t rlp_list_begin(buf_t *b);
void rlp_list_end(buf_t *b, size_t start);

typedef enum {
    RLP_OK = 0,
    RLP_ERR_TRUNCATED,     /* length runs past the end of the input */
    RLP_ERR_NONCANONICAL,  /* valid but not the minimal encoding */
    RLP_ERR_TRAILING,      /* bytes left after the top-level item */
    RLP_ERR_TYPE,          /* list where a string was expected, or vice versa */
    RLP_ERR_VALUE,         /* string of the wrong size for the field */
    RLP_ERR_COUNT,         /* list with the wrong number of items */
} rlp_err;

const char *rlp_strerror(rlp_err e);

typedef struct {
    const uint8_t *data; /* payload (list payload for lists) */
    size_t len;          /* payload length */
    const uint8_t *raw;  /* the whole encoding, header included */
    size_t raw_len;
    bool is_list;
} rlp_item;

/* Decodes the first item of in[0..len). *consumed gets its full size. */
rlp_err rlp_decode_item(const uint8_t *in, size_t len, rlp_item *out, size_t *consumed);
/* Decodes in as exactly one item (RLP_ERR_TRAILING if bytes remain). */
rlp_err rlp_decode(const uint8_t *in, size_t len, rlp_item *out);

/* Iterates the items of a list. */
typedef struct {
    const uint8_t *p, *end;
} rlp_iter;
static inline rlp_iter rlp_iter_of(const rlp_item *list) {
    return (rlp_iter){list->data, list->data + list->len};
}
/* Returns RLP_OK and fills out, or RLP_ERR_COUNT at the end of the list, or
 * the decode error. */
rlp_err rlp_next(rlp_iter *it, rlp_item *out);
/* Counts the items of a list; returns -1 if any item is malformed. */
long rlp_list_count(const rlp_item *list);
/* Splits a list into exactly n items (RLP_ERR_COUNT otherwise). */
rlp_err rlp_list_items(const rlp_item *list, rlp_item *items, size_t n);

/* Scalar conversions: strings only, no leading zero bytes (canonical ints). */
rlp_err rlp_to_u64(const rlp_item *it, uint64_t *out);
rlp_err rlp_to_u256(const rlp_item *it, u256 *out);
rlp_err rlp_to_address(const rlp_item *it, address *out);   /* exactly 20 bytes */
rlp_err rlp_to_bytes32(const rlp_item *it, bytes32 *out);   /* exactly 32 bytes */

#endif
