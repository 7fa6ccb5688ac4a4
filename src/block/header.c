/* Block header codec: strict RLP decoding of the 15 base fields and the
 * optional fields that later forks append (in order, each only with all
 * before it), canonical encoding, the header hash, and the Ethash seal hash
 * and seal check. */
#include <stdarg.h>
#include <stdio.h>
#include "parevm/block.h"
#include "parevm/ethash.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "block_internal.h"

#define HEADER_BASE_FIELDS 15
#define HEADER_MAX_FIELDS 21

static const char *const field_names[HEADER_MAX_FIELDS] = {
    "parentHash", "ommersHash", "coinbase", "stateRoot", "transactionsRoot", "receiptsRoot",
    "logsBloom", "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData",
    "mixHash", "nonce", "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
    "parentBeaconBlockRoot", "requestsHash",
};

bool chain_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static rlp_err to_bytes(const rlp_item *it, uint8_t *out, size_t n) {
    if (it->is_list) return RLP_ERR_TYPE;
    if (it->len != n) return RLP_ERR_VALUE;
    memcpy(out, it->data, n);
    return RLP_OK;
}

/* Fills field i of h from its RLP item. */
static rlp_err decode_field(const rlp_item *it, int i, block_header *h) {
    switch (i) {
    case 0: return rlp_to_bytes32(it, &h->parent_hash);
    case 1: return rlp_to_bytes32(it, &h->ommers_hash);
    case 2: return rlp_to_address(it, &h->coinbase);
    case 3: return rlp_to_bytes32(it, &h->state_root);
    case 4: return rlp_to_bytes32(it, &h->tx_root);
    case 5: return rlp_to_bytes32(it, &h->receipts_root);
    case 6: return to_bytes(it, h->bloom, sizeof h->bloom);
    case 7: return rlp_to_u256(it, &h->difficulty);
    case 8: return rlp_to_u64(it, &h->number);
    case 9: return rlp_to_u64(it, &h->gas_limit);
    case 10: return rlp_to_u64(it, &h->gas_used);
    case 11: return rlp_to_u64(it, &h->timestamp);
    case 12:
        if (it->is_list) return RLP_ERR_TYPE;
        h->extra_len = it->len;
        memcpy(h->extra_data, it->data, it->len < sizeof h->extra_data ? it->len : sizeof h->extra_data);
        return RLP_OK;
    case 13: return rlp_to_bytes32(it, &h->mix_hash);
    case 14: {
        uint8_t n[8];
        rlp_err e = to_bytes(it, n, 8);
        if (!e) h->nonce = u256_load64_be(n);
        return e;
    }
    case 15: h->has_base_fee = true; return rlp_to_u256(it, &h->base_fee);
    case 16: h->has_withdrawals_root = true; return rlp_to_bytes32(it, &h->withdrawals_root);
    case 17: h->has_blob_gas = true; return rlp_to_u64(it, &h->blob_gas_used);
    case 18: return rlp_to_u64(it, &h->excess_blob_gas);
    case 19: h->has_beacon_root = true; return rlp_to_bytes32(it, &h->parent_beacon_root);
    default: h->has_requests_hash = true; return rlp_to_bytes32(it, &h->requests_hash);
    }
}

bool header_decode(const uint8_t *rlp, size_t len, block_header *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    if (!rlp && len) return chain_fail(err, errlen, "header: no input");
    rlp_item list, it;
    rlp_err e = rlp_decode(rlp, len, &list);
    if (e) return chain_fail(err, errlen, "header: %s", rlp_strerror(e));
    if (!list.is_list) return chain_fail(err, errlen, "header: not an RLP list");
    rlp_iter iter = rlp_iter_of(&list);
    int n = 0;
    while ((e = rlp_next(&iter, &it)) == RLP_OK) {
        if (n == HEADER_MAX_FIELDS) return chain_fail(err, errlen, "header: more than 21 fields");
        e = decode_field(&it, n, out);
        if (e) return chain_fail(err, errlen, "header field %s: %s", field_names[n], rlp_strerror(e));
        n++;
    }
    if (e != RLP_ERR_COUNT) /* the end of the list, or a malformed item */
        return chain_fail(err, errlen, "header field %s: %s",
                    n < HEADER_MAX_FIELDS ? field_names[n] : "(extra)", rlp_strerror(e));
    /* blobGasUsed and excessBlobGas come as a pair (EIP-4844) */
    if (n < HEADER_BASE_FIELDS || n == 18)
        return chain_fail(err, errlen, "header: %d fields (expected 15 to 21, not 18)", n);
    out->hash = keccak256_hash(rlp, len);
    return true;
}

/* How many optional fields h carries: a field is written whenever a later
 * one is, as the RLP has no way to skip one. */
static int optional_fields(const block_header *h) {
    if (h->has_requests_hash) return 6;
    if (h->has_beacon_root) return 5;
    if (h->has_blob_gas) return 4;
    if (h->has_withdrawals_root) return 2;
    return h->has_base_fee ? 1 : 0;
}

/* The 13 fields before mixHash. */
static void encode_sealed_fields(const block_header *h, buf_t *out) {
    rlp_encode_bytes32(out, &h->parent_hash);
    rlp_encode_bytes32(out, &h->ommers_hash);
    rlp_encode_address(out, &h->coinbase);
    rlp_encode_bytes32(out, &h->state_root);
    rlp_encode_bytes32(out, &h->tx_root);
    rlp_encode_bytes32(out, &h->receipts_root);
    rlp_encode_bytes(out, h->bloom, sizeof h->bloom);
    rlp_encode_u256(out, &h->difficulty);
    rlp_encode_u64(out, h->number);
    rlp_encode_u64(out, h->gas_limit);
    rlp_encode_u64(out, h->gas_used);
    rlp_encode_u64(out, h->timestamp);
    size_t extra = h->extra_len < sizeof h->extra_data ? h->extra_len : sizeof h->extra_data;
    rlp_encode_bytes(out, h->extra_data, extra);
}

void header_encode(const block_header *h, buf_t *out) {
    size_t l = rlp_list_begin(out);
    encode_sealed_fields(h, out);
    rlp_encode_bytes32(out, &h->mix_hash);
    uint8_t nonce[8];
    u256_store64_be(nonce, h->nonce);
    rlp_encode_bytes(out, nonce, 8);
    int k = optional_fields(h);
    if (k >= 1) rlp_encode_u256(out, &h->base_fee);
    if (k >= 2) rlp_encode_bytes32(out, &h->withdrawals_root);
    if (k >= 4) {
        rlp_encode_u64(out, h->blob_gas_used);
        rlp_encode_u64(out, h->excess_blob_gas);
    }
    /* a later field without a beacon root (geth's pending block): the
     * empty string, as geth writes a nil optional field */
    if (k >= 5) {
        if (h->has_beacon_root) rlp_encode_bytes32(out, &h->parent_beacon_root);
        else rlp_encode_bytes(out, h->parent_beacon_root.b, 0);
    }
    if (k >= 6) rlp_encode_bytes32(out, &h->requests_hash);
    rlp_list_end(out, l);
}

bytes32 header_seal_hash(const block_header *h) {
    buf_t b = {0};
    size_t l = rlp_list_begin(&b);
    encode_sealed_fields(h, &b);
    if (h->has_base_fee) rlp_encode_u256(&b, &h->base_fee);
    rlp_list_end(&b, l);
    bytes32 hash = keccak256_hash(b.data, b.len);
    buf_free(&b);
    return hash;
}

const char *header_verify_seal(const ethash_cache *c, const block_header *h) {
    bytes32 seal = header_seal_hash(h);
    return ethash_verify(c, h->number, &seal, h->nonce, &h->mix_hash, &h->difficulty);
}
