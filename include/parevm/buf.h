/* A growable byte buffer for encoders (RLP, JSON output, receipts). */
#ifndef PAREVM_BUF_H
#define PAREVM_BUF_H

#include "types.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
} buf_t;

/* Ensures room for extra more bytes; aborts the process on out-of-memory. */
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t len);
void buf_push(buf_t *b, uint8_t byte);
void buf_free(buf_t *b);
static inline void buf_clear(buf_t *b) { b->len = 0; }

#endif
