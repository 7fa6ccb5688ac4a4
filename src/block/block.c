/* Block codec: rlp([header, transactions, ommers]) with the withdrawals list
 * appended from Shanghai (EIP-4895). Typed transactions sit in the list as
 * RLP strings holding type || payload (EIP-2718), legacy ones as lists. */
#include <stdio.h>
#include <stdlib.h>
#include "parevm/block.h"
#include "parevm/rlp.h"
#include "block_internal.h"

/* calloc for n items of size; NULL only on failure with n > 0. The count is
 * bounded by the input length (every item takes at least one byte). */
static void *alloc_items(size_t n, size_t size) {
    return calloc(n ? n : 1, size);
}

static bool decode_txs(const rlp_item *list, block *b, char *err, size_t errlen) {
    if (!list->is_list) return chain_fail(err, errlen, "block transactions: not an RLP list");
    long n = rlp_list_count(list);
    if (n < 0) return chain_fail(err, errlen, "block transactions: malformed RLP");
    b->txs = alloc_items((size_t)n, sizeof *b->txs);
    if (!b->txs) return chain_fail(err, errlen, "out of memory");
    rlp_iter it = rlp_iter_of(list);
    rlp_item t;
    char why[160];
    for (size_t i = 0; i < (size_t)n && rlp_next(&it, &t) == RLP_OK; i++) {
        const uint8_t *raw = t.raw;
        size_t len = t.raw_len;
        if (!t.is_list) {
            /* a typed envelope; a string holding a legacy list is not one */
            if (t.len == 0 || t.data[0] >= 0x80)
                return chain_fail(err, errlen, "transaction %zu: RLP string that is not a typed envelope", i);
            raw = t.data;
            len = t.len;
        }
        if (!tx_decode(raw, len, &b->txs[i], why, sizeof why))
            return chain_fail(err, errlen, "transaction %zu: %s", i, why);
        b->n_txs = i + 1;
    }
    return true;
}

static bool decode_ommers(const rlp_item *list, block *b, char *err, size_t errlen) {
    if (!list->is_list) return chain_fail(err, errlen, "block ommers: not an RLP list");
    long n = rlp_list_count(list);
    if (n < 0) return chain_fail(err, errlen, "block ommers: malformed RLP");
    b->ommers = alloc_items((size_t)n, sizeof *b->ommers);
    if (!b->ommers) return chain_fail(err, errlen, "out of memory");
    rlp_iter it = rlp_iter_of(list);
    rlp_item h;
    char why[160];
    for (size_t i = 0; i < (size_t)n && rlp_next(&it, &h) == RLP_OK; i++) {
        if (!header_decode(h.raw, h.raw_len, &b->ommers[i], why, sizeof why))
            return chain_fail(err, errlen, "ommer %zu: %s", i, why);
        b->n_ommers = i + 1;
    }
    return true;
}

static bool decode_withdrawal(const rlp_item *item, withdrawal *w, char *err, size_t errlen,
                              size_t i) {
    rlp_item f[4];
    rlp_err e = rlp_list_items(item, f, 4);
    if (e) return chain_fail(err, errlen, "withdrawal %zu: %s", i, rlp_strerror(e));
    static const char *const names[4] = {"index", "validatorIndex", "address", "amount"};
    rlp_err fe[4] = {rlp_to_u64(&f[0], &w->index), rlp_to_u64(&f[1], &w->validator),
                     rlp_to_address(&f[2], &w->addr), rlp_to_u64(&f[3], &w->amount_gwei)};
    for (int k = 0; k < 4; k++)
        if (fe[k]) return chain_fail(err, errlen, "withdrawal %zu %s: %s", i, names[k], rlp_strerror(fe[k]));
    return true;
}

static bool decode_withdrawals(const rlp_item *list, block *b, char *err, size_t errlen) {
    if (!list->is_list) return chain_fail(err, errlen, "block withdrawals: not an RLP list");
    long n = rlp_list_count(list);
    if (n < 0) return chain_fail(err, errlen, "block withdrawals: malformed RLP");
    b->has_withdrawals = true;
    b->withdrawals = alloc_items((size_t)n, sizeof *b->withdrawals);
    if (!b->withdrawals) return chain_fail(err, errlen, "out of memory");
    rlp_iter it = rlp_iter_of(list);
    rlp_item w;
    for (size_t i = 0; i < (size_t)n && rlp_next(&it, &w) == RLP_OK; i++) {
        if (!decode_withdrawal(&w, &b->withdrawals[i], err, errlen, i)) return false;
        b->n_withdrawals = i + 1;
    }
    return true;
}

static bool decode_parts(const uint8_t *rlp, size_t len, block *b, char *err, size_t errlen) {
    rlp_item top, part[4];
    rlp_err e = rlp_decode(rlp, len, &top);
    if (e) return chain_fail(err, errlen, "block: %s", rlp_strerror(e));
    if (!top.is_list) return chain_fail(err, errlen, "block: not an RLP list");
    long n = rlp_list_count(&top);
    if (n != 3 && n != 4) return chain_fail(err, errlen, "block: %ld parts (expected 3 or 4)", n);
    if ((e = rlp_list_items(&top, part, (size_t)n)))
        return chain_fail(err, errlen, "block: %s", rlp_strerror(e));
    char why[160];
    if (!header_decode(part[0].raw, part[0].raw_len, &b->header, why, sizeof why))
        return chain_fail(err, errlen, "%s", why);
    if (!decode_txs(&part[1], b, err, errlen) || !decode_ommers(&part[2], b, err, errlen))
        return false;
    if (n == 4 && !decode_withdrawals(&part[3], b, err, errlen)) return false;
    /* the body matches the header: withdrawals exactly with withdrawalsRoot */
    if (b->has_withdrawals != b->header.has_withdrawals_root)
        return chain_fail(err, errlen, b->has_withdrawals ? "block: withdrawals without a withdrawals root"
                                                    : "block: withdrawals root without withdrawals");
    return true;
}

bool block_decode(const uint8_t *rlp, size_t len, block *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    if (!rlp && len) return chain_fail(err, errlen, "block: no input");
    if (decode_parts(rlp, len, out, err, errlen)) return true;
    block_free(out);
    return false;
}

void block_free(block *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n_txs; i++) tx_free(&b->txs[i]);
    free(b->txs);
    free(b->ommers);
    free(b->withdrawals);
    memset(b, 0, sizeof *b);
}

void block_encode(const block *b, buf_t *out) {
    size_t top = rlp_list_begin(out);
    header_encode(&b->header, out);
    size_t l = rlp_list_begin(out);
    buf_t tx = {0};
    for (size_t i = 0; i < b->n_txs; i++) {
        buf_clear(&tx);
        tx_encode(&b->txs[i], &tx);
        if (b->txs[i].type == TX_LEGACY)
            rlp_encode_raw(out, tx.data, tx.len);
        else
            rlp_encode_bytes(out, tx.data, tx.len);
    }
    buf_free(&tx);
    rlp_list_end(out, l);
    l = rlp_list_begin(out);
    for (size_t i = 0; i < b->n_ommers; i++) header_encode(&b->ommers[i], out);
    rlp_list_end(out, l);
    if (b->has_withdrawals) {
        l = rlp_list_begin(out);
        for (size_t i = 0; i < b->n_withdrawals; i++) {
            const withdrawal *w = &b->withdrawals[i];
            size_t e = rlp_list_begin(out);
            rlp_encode_u64(out, w->index);
            rlp_encode_u64(out, w->validator);
            rlp_encode_address(out, &w->addr);
            rlp_encode_u64(out, w->amount_gwei);
            rlp_list_end(out, e);
        }
        rlp_list_end(out, l);
    }
    rlp_list_end(out, top);
}
