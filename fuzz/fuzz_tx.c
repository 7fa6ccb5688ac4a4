/* libFuzzer target: arbitrary bytes into tx_decode. Whatever decodes must
 * re-encode byte-identically (strict decoding admits one encoding per
 * transaction), hash to the same value, and survive the signature and
 * static-rule code paths without crashing. The same bytes go through the
 * network-form decoder (blob sidecars) and its structural check. */
#include <stdio.h>
#include <stdlib.h>
#include "parevm/keccak.h"
#include "parevm/tx.h"

static void network_form(const uint8_t *data, size_t size) {
    tx_network n;
    char err[160] = "";
    if (!tx_decode_network(data, size, &n, err, sizeof err)) {
        if (!err[0]) abort();
        return;
    }
    for (int f = 0; f < FORK_COUNT; f++) (void)tx_network_check(&n, (fork_id)f);
    tx_network_free(&n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    transaction tx;
    char err[160];
    network_form(data, size);
    if (!tx_decode(data, size, &tx, err, sizeof err)) {
        if (!err[0]) abort(); /* every rejection says why */
        return 0;
    }
    buf_t b = {0};
    tx_encode(&tx, &b);
    if (b.len != size || memcmp(b.data, data, size) != 0) {
        fprintf(stderr, "re-encoding differs: %zu bytes in, %zu out\n", size, b.len);
        abort();
    }
    bytes32 h = keccak256_hash(b.data, b.len);
    if (!bytes32_eq(&h, &tx.hash)) abort();
    buf_free(&b);
    (void)tx_recover_sender(&tx, (size & 1) != 0);
    for (int f = 0; f < FORK_COUNT; f++) {
        (void)tx_intrinsic_gas(&tx, (fork_id)f);
        (void)tx_check_static(&tx, (fork_id)f, 1);
    }
    tx_free(&tx);
    return 0;
}
