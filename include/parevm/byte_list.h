/* A list of byte strings in one buffer (trie proofs, witness nodes, codes,
 * headers): append, index, free. Zero-initialise; free with byte_list_free. */
#ifndef PAREVM_BYTE_LIST_H
#define PAREVM_BYTE_LIST_H

#include "buf.h"

typedef struct {
    buf_t data;       /* the strings, concatenated */
    size_t *ends;     /* ends[i]: where string i ends in data */
    size_t n, cap;
} byte_list;

/* Appends a copy of p[0..len) (len may be 0). */
void byte_list_push(byte_list *l, const void *p, size_t len);
/* String i (i < l->n); valid until the next push or free. */
byte_span byte_list_get(const byte_list *l, size_t i);
void byte_list_clear(byte_list *l); /* keeps the memory */
void byte_list_free(byte_list *l);

#endif
