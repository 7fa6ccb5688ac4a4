/* libFuzzer target: arbitrary bytes into block_decode. Whatever decodes must
 * re-encode byte-identically (strict decoding admits one encoding per block;
 * only extra data beyond the 64 bytes a header keeps cannot come back), the
 * header hash must be the keccak of the header's bytes, and header
 * validation against the ommers as parents must not crash under any
 * network's rules. */
#include <stdio.h>
#include <stdlib.h>
#include "parevm/chain.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

static bool long_extra(const block *b) {
    if (b->header.extra_len > sizeof b->header.extra_data) return true;
    for (size_t i = 0; i < b->n_ommers; i++)
        if (b->ommers[i].extra_len > sizeof b->ommers[i].extra_data) return true;
    return false;
}

static void check_header_hash(const uint8_t *data, size_t size, const block *b) {
    rlp_item top, h;
    if (rlp_decode(data, size, &top) != RLP_OK) abort();
    rlp_iter it = rlp_iter_of(&top);
    if (rlp_next(&it, &h) != RLP_OK) abort();
    bytes32 want = keccak256_hash(h.raw, h.raw_len);
    if (!bytes32_eq(&want, &b->header.hash)) abort();
}

static void exercise_rules(const block *b) {
    static const char *const nets[] = {"Frontier", "HomesteadToDaoAt5", "Byzantium",
                                       "BerlinToLondonAt5", "ArrowGlacierToParisAtDiffC0000",
                                       "ShanghaiToCancunAtTime15k", "Prague"};
    for (size_t n = 0; n < sizeof nets / sizeof nets[0]; n++) {
        chain_config c;
        if (!chain_config_by_name(nets[n], &c)) abort();
        for (size_t i = 0; i < b->n_ommers; i++) {
            const char *a = header_validate(&c, &b->ommers[i], &b->header, false);
            const char *m = header_validate(&c, &b->ommers[i], &b->header, true);
            (void)a, (void)m;
        }
        (void)header_next_base_fee(&c, &b->header);
        (void)chain_difficulty(&c, b->header.number, b->header.timestamp, &b->header.difficulty,
                               b->header.gas_used, b->n_ommers != 0);
    }
    static const blob_params blobs[] = {{3, 6, 3338477}, {6, 9, 5007716}, {14, 21, 11684671}, {0, 0, 1}};
    for (int f = 0; f < FORK_COUNT; f++)
        for (size_t k = 0; k < sizeof blobs / sizeof blobs[0]; k++)
            (void)header_next_excess_blob_gas(&b->header, (fork_id)f, &blobs[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    block b;
    char err[200];
    if (!block_decode(data, size, &b, err, sizeof err)) {
        if (!err[0]) abort(); /* every rejection says why */
        return 0;
    }
    check_header_hash(data, size, &b);
    if (!long_extra(&b)) {
        buf_t out = {0};
        block_encode(&b, &out);
        if (out.len != size || memcmp(out.data, data, size) != 0) {
            fprintf(stderr, "re-encoding differs: %zu bytes in, %zu out\n", size, out.len);
            abort();
        }
        buf_free(&out);
    }
    exercise_rules(&b);
    block_free(&b);
    return 0;
}
