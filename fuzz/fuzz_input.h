/* The fuzz targets' reader of their input: one byte at a time, zeros once
 * the input is used up (so that any input is a whole program). */
#ifndef PAREVM_FUZZ_INPUT_H
#define PAREVM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static inline uint8_t take(input *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

#endif
