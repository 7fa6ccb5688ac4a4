/* byte_list: strings in one growable buffer, with their end offsets. */
#include "parevm/byte_list.h"

#include <stdlib.h>

void byte_list_push(byte_list *l, const void *p, size_t len) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->ends = realloc(l->ends, l->cap * sizeof *l->ends);
        if (!l->ends) abort();
    }
    buf_append(&l->data, p, len);
    l->ends[l->n++] = l->data.len;
}

byte_span byte_list_get(const byte_list *l, size_t i) {
    size_t start = i ? l->ends[i - 1] : 0;
    if (!l->data.data) return (byte_span){NULL, 0}; /* only empty strings so far */
    return (byte_span){l->data.data + start, l->ends[i] - start};
}

void byte_list_clear(byte_list *l) {
    buf_clear(&l->data);
    l->n = 0;
}

void byte_list_free(byte_list *l) {
    buf_free(&l->data);
    free(l->ends);
    l->ends = NULL;
    l->n = l->cap = 0;
}
