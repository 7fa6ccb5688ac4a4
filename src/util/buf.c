/* Growable byte buffer: doubling growth, never shrinks until freed. */
#include "parevm/buf.h"
#include <stdio.h>
#include <stdlib.h>

void buf_reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "parevm: out of memory (%zu bytes)\n", cap);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void buf_append(buf_t *b, const void *data, size_t len) {
    if (!len) return;
    buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void buf_push(buf_t *b, uint8_t byte) {
    buf_reserve(b, 1);
    b->data[b->len++] = byte;
}

void buf_free(buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
