/* libFuzzer target for the strict RLP decoder (src/util/rlp.c).
 *
 * Strictness means canonical: any input the decoder accepts, decoded all the
 * way down, must re-encode to exactly the same bytes. A mismatch means the
 * decoder let a non-canonical form through (or the encoder is wrong), so the
 * target aborts. Inputs the decoder rejects are simply uninteresting.
 * Build with scripts/build-fuzz.sh. */
#include <stdio.h>
#include <stdlib.h>

#include "parevm/buf.h"
#include "parevm/rlp.h"

/* Checks that every item nested in `list` decodes and that the items exactly
 * fill its payload. */
static bool decodes_fully(const rlp_item *list) {
    rlp_iter it = rlp_iter_of(list);
    rlp_item x;
    rlp_err e;
    while ((e = rlp_next(&it, &x)) == RLP_OK)
        if (x.is_list && !decodes_fully(&x)) return false;
    return e == RLP_ERR_COUNT && it.p == it.end;
}

static void reencode(const rlp_item *item, buf_t *b) {
    if (!item->is_list) {
        rlp_encode_bytes(b, item->data, item->len);
        return;
    }
    size_t start = rlp_list_begin(b);
    rlp_iter it = rlp_iter_of(item);
    rlp_item x;
    while (rlp_next(&it, &x) == RLP_OK) reencode(&x, b);
    rlp_list_end(b, start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rlp_item top;
    if (rlp_decode(data, size, &top) != RLP_OK) return 0;
    if (top.is_list && !decodes_fully(&top)) return 0;
    buf_t b = {0};
    reencode(&top, &b);
    if (b.len != size || memcmp(b.data, data, size) != 0) {
        fprintf(stderr, "fuzz_rlp: accepted input does not re-encode to itself "
                        "(%zu bytes in, %zu bytes out)\n", size, b.len);
        abort();
    }
    buf_free(&b);
    return 0;
}
