/* The network form of transactions (what peers gossip and a transaction pool
 * receives): a blob transaction travels with its sidecar of blobs, KZG
 * commitments and proofs, as EIP-4844 defined it (one proof per blob) or in
 * EIP-7594's version 1 wrapper (128 cell proofs per blob). Decoding checks
 * sizes; tx_network_check checks the sidecar against the transaction. The
 * proofs themselves are checked by the pool (parevm/kzg.h), not here. */
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "block_internal.h"

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A list of byte strings of exactly size bytes each: pointers into the input
 * (an allocated array, NULL when the list is empty). */
static bool decode_fixed_list(const rlp_item *list, size_t size, const char *what, const uint8_t ***out,
                              size_t *n, char *err, size_t errlen) {
    if (!list->is_list) return fail(err, errlen, "%s: not a list", what);
    long count = rlp_list_count(list);
    if (count < 0) return fail(err, errlen, "%s: malformed RLP", what);
    *n = (size_t)count;
    *out = NULL;
    if (!count) return true;
    *out = calloc((size_t)count, sizeof **out);
    if (!*out) return fail(err, errlen, "%s: out of memory", what);
    rlp_iter it = rlp_iter_of(list);
    rlp_item x;
    for (size_t i = 0; i < *n; i++) {
        rlp_next(&it, &x); /* cannot fail: counted above */
        if (x.is_list || x.len != size)
            return fail(err, errlen, "%s[%zu]: want a %zu-byte string", what, i, size);
        (*out)[i] = x.data;
    }
    return true;
}

/* [tx_payload_body, blobs, commitments, proofs] or
 * [tx_payload_body, wrapper_version, blobs, commitments, cell_proofs]. */
static bool decode_wrapper(const rlp_item *outer, tx_network *n, char *err, size_t errlen) {
    rlp_item items[5];
    long count = outer->is_list ? rlp_list_count(outer) : -1;
    if (count != 4 && count != 5)
        return fail(err, errlen, "blob transaction network form: want a list of 4 or 5 items");
    rlp_err r = rlp_list_items(outer, items, (size_t)count);
    if (r) return fail(err, errlen, "blob transaction network form: %s", rlp_strerror(r));
    const rlp_item *side = items + 1;
    if (count == 5) {
        uint64_t version;
        r = rlp_to_u64(&items[1], &version);
        if (r) return fail(err, errlen, "wrapper version: %s", rlp_strerror(r));
        if (version != 1) return fail(err, errlen, "unsupported blob wrapper version %llu", (unsigned long long)version);
        n->wrapper_version = 1;
        side++;
    }
    if (!tx_decode_payload(TX_BLOB, &items[0], &n->tx, err, errlen)) return false;
    n->has_sidecar = true;
    return decode_fixed_list(&side[0], TX_BLOB_SIZE, "blobs", &n->blobs, &n->n_blobs, err, errlen) &&
           decode_fixed_list(&side[1], TX_KZG_BYTES, "commitments", &n->commitments, &n->n_commitments, err,
                             errlen) &&
           decode_fixed_list(&side[2], TX_KZG_BYTES, "proofs", &n->proofs, &n->n_proofs, err, errlen);
}

bool tx_decode_network(const uint8_t *raw, size_t len, tx_network *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!raw || len == 0 || raw[0] != TX_BLOB) return tx_decode(raw, len, &out->tx, err, errlen);
    rlp_item outer;
    rlp_err r = rlp_decode(raw + 1, len - 1, &outer);
    if (r) return fail(err, errlen, "blob transaction network form: %s", rlp_strerror(r));
    if (!decode_wrapper(&outer, out, err, errlen)) {
        tx_network_free(out);
        return false;
    }
    return true;
}

void tx_network_free(tx_network *n) {
    if (!n) return;
    tx_free(&n->tx);
    free(n->blobs);
    free(n->commitments);
    free(n->proofs);
    memset(n, 0, sizeof *n);
}

const char *tx_network_check(const tx_network *n, fork_id fork) {
    const transaction *tx = &n->tx;
    if (tx->type != TX_BLOB) return NULL;
    if (!n->has_sidecar) return "blob transaction without its sidecar";
    if (n->wrapper_version != (fork >= FORK_OSAKA ? 1 : 0))
        return fork >= FORK_OSAKA ? "blob sidecar without cell proofs (wrapper version 1, EIP-7594)"
                                  : "blob sidecar version 1 before Osaka";
    if (n->n_blobs != tx->n_blob_hashes) return "number of blobs differs from the versioned hashes";
    if (n->n_commitments != tx->n_blob_hashes) return "number of commitments differs from the versioned hashes";
    size_t per_blob = n->wrapper_version ? TX_CELLS_PER_EXT_BLOB : 1;
    if (n->n_proofs != per_blob * n->n_blobs)
        return n->wrapper_version ? "cell proofs are not 128 per blob (EIP-7594)" : "not one proof per blob";
    for (size_t i = 0; i < n->n_commitments; i++) {
        /* kzg_to_versioned_hash: 0x01 || sha256(commitment)[1:] */
        uint8_t h[32];
        SHA256(n->commitments[i], TX_KZG_BYTES, h);
        h[0] = 0x01;
        if (memcmp(h, tx->blob_hashes[i].b, 32)) return "commitment does not match its versioned hash";
    }
    return NULL;
}
