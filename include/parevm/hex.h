/* Hex text <-> bytes.
 *
 * Input from outside (fixture JSON, RPC) goes through the strict parsers
 * hex_parse_*, which accept what go-ethereum's JSON types accept for each
 * kind of field and nothing more. The older hex_decode family is lenient
 * (odd digit counts, short fixed-size values) and serves hand-written test
 * vectors and data sets whose format says so. */
#ifndef PAREVM_HEX_H
#define PAREVM_HEX_H

#include "types.h"
#include "u256.h"

/* ---- strict parsers (geth's hexutil / math rules) ---------------------- */

/* Byte data (hexutil.Bytes): "" or "0x" followed by an even number of hex
 * digits. *out is malloc'd (at least one byte, never NULL on success; the
 * caller frees it). */
bool hex_parse_data(const char *text, uint8_t **out, size_t *len);

/* A fixed-size value (common.Address, common.Hash: the unprefixed forms
 * too): exactly 2n hex digits, with or without 0x. */
bool hex_parse_fixed(const char *text, uint8_t *out, size_t n);

/* A storage key or value (geth's genesis storage): at most 2n hex digits,
 * with or without 0x, left-padded with zeros to n bytes; "" and "0x" are
 * zero. An odd count has an implicit leading zero ("0x5", as revm and
 * EthereumJS read it; geth refuses it). */
bool hex_parse_padded(const char *text, uint8_t *out, size_t n);

/* A quantity (math.HexOrDecimal64 / HexOrDecimal256): "0x" and at least one
 * hex digit, or decimal digits; "" is 0 (as in geth), "0x" is not a number.
 * Leading zeros are allowed. False on any other text, on overflow and on
 * NULL (a JSON field that is absent or not a string). */
bool hex_parse_u64(const char *text, uint64_t *out);
bool hex_parse_u256(const char *text, u256 *out);

/* ---- lenient decoding --------------------------------------------------- */

/* Decodes hex text (optional 0x prefix, even or odd digit count; odd counts
 * get an implicit leading zero) into out (capacity cap). Returns the number of
 * bytes written, or -1 on a non-hex character / -2 if cap is too small. */
long hex_decode(const char *text, uint8_t *out, size_t cap);

/* Decodes hex into a freshly malloc'd buffer (*out, *len). The buffer has at
 * least one byte so it is never NULL on success. Returns false on bad input. */
bool hex_decode_alloc(const char *text, uint8_t **out, size_t *len);

/* Parses exactly n bytes (e.g. an address or hash); shorter values are
 * left-padded with zeros. Returns false if malformed or longer than n. */
bool hex_to_fixed(const char *text, uint8_t *out, size_t n);

/* Parses a hex quantity ("0x1f") into u64. False on overflow / bad input. */
bool hex_to_u64(const char *text, uint64_t *out);

/* Writes "0x" + 2*len lowercase digits + NUL into out (size 2*len+3). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* Human-readable description of a hex_decode error code (-1 or -2; static). */
const char *hex_strerror(long code);

#endif
