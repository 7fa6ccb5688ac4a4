/* Hex text <-> bytes. Parsers are strict and report why input is rejected. */
#ifndef PAREVM_HEX_H
#define PAREVM_HEX_H

#include "types.h"

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

/* Human-readable description of the last hex_decode error code. */
const char *hex_strerror(long code);

#endif
