/* libFuzzer target for console.log's decoder (src/node/node_console.c):
 * the first two bytes pick one of console.sol's signatures, whose selector
 * goes before the rest of the input, so that every argument layout's ABI
 * decoding (offsets and lengths from the input) and every format string
 * reach the formatter. Nothing may crash, leak or read out of bounds; a
 * message never holds more than a bounded multiple of the input. */
#include <stdlib.h>
#include <string.h>
#include "node/node_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static node_console *c;
    if (!c) c = node_console_new();
    if (size < 2) return 0;
    uint8_t sel[4];
    size_t n = node_console_selector(c, 0, sel);
    node_console_selector(c, ((size_t)data[0] << 8 | data[1]) % n, sel);
    uint8_t *in = malloc(size + 2);
    if (!in) abort();
    memcpy(in, sel, 4);
    memcpy(in + 4, data + 2, size - 2);
    buf_t out = {0};
    if (node_console_format(c, in, size + 2, &out)) {
        /* each byte of a format or value gives a bounded amount of text
         * (a number at most 80 digits per 32-byte word, plus %77e's zeros) */
        if (out.len > 200 * (size + 2) + 4096) abort();
    }
    buf_free(&out);
    free(in);
    return 0;
}
