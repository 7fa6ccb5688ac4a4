/* Execution payloads (execution-apis src/engine: ExecutionPayloadV1..V3,
 * WithdrawalV1, PayloadStatusV1) and the blocks they stand for: a payload
 * is a block header without the fields the Merge fixed (ommers hash of the
 * empty list, difficulty 0, nonce 0), with prevRandao in the mix hash and
 * the transactions, withdrawals and (V4) execution requests whose roots
 * and hash the header carries. Its blockHash must be the header's hash. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_engine.h"
#include "parevm/block_roots.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"

/* ---- Reading fields ---------------------------------------------------------------- */

/* A required field: present and not null (execution-apis: null counts as
 * not provided). */
static const json_t *need(const json_t *o, const char *key, rpc_error *err) {
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: missing required field '%s' for ExecutionPayload", key);
        return NULL;
    }
    return v;
}

static bool field_error(rpc_error *err, const char *key, const char *why) {
    return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: field '%s': %s", key, why);
}

static bool get_hash(const json_t *o, const char *key, bytes32 *out, rpc_error *err) {
    const json_t *v = need(o, key, err);
    const char *why = v ? rpc_parse_hash(v, out) : NULL;
    return v && (!why || field_error(err, key, why));
}

static bool get_u64(const json_t *o, const char *key, uint64_t *out, rpc_error *err) {
    const json_t *v = need(o, key, err);
    const char *why = v ? rpc_parse_u64(v, out) : NULL;
    return v && (!why || field_error(err, key, why));
}

bool engine_parse_withdrawals(const json_t *v, withdrawal **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    if (!json_is_array(v)) {
        snprintf(err, errlen, "withdrawals: want an array");
        return false;
    }
    size_t k = json_array_size(v);
    withdrawal *w = calloc(k ? k : 1, sizeof *w);
    if (!w) abort();
    for (size_t i = 0; i < k; i++) {
        const json_t *e = json_array_get(v, i);
        const char *why = NULL, *field = NULL;
        static const char *const keys[] = {"index", "validatorIndex", "address", "amount"};
        const json_t *f[4];
        for (int j = 0; j < 4 && !field; j++)
            if (!json_is_object(e) || !(f[j] = json_object_get(e, keys[j])) || json_is_null(f[j])) field = keys[j];
        if (field) why = "missing";
        if (!why && (why = rpc_parse_u64(f[0], &w[i].index))) field = keys[0];
        if (!why && (why = rpc_parse_u64(f[1], &w[i].validator))) field = keys[1];
        if (!why && (why = rpc_parse_address(f[2], &w[i].addr))) field = keys[2];
        if (!why && (why = rpc_parse_u64(f[3], &w[i].amount_gwei))) field = keys[3];
        if (why) {
            snprintf(err, errlen, "withdrawal %zu: %s: %s", i, field, why);
            free(w);
            return false;
        }
    }
    *out = w;
    *n = k;
    return true;
}

/* ---- Parsing a payload ----------------------------------------------------------------- */

void engine_payload_free(engine_payload *p) {
    block_free(&p->b);
    free(p->versioned_hashes);
    for (int t = 0; t < REQUEST_TYPES; t++) buf_free(&p->requests[t]);
    buf_free(&p->rlp);
    memset(p, 0, sizeof *p);
}

/* The header fields every version has. */
static bool parse_header(const json_t *o, block_header *h, rpc_error *err, char *invalid, size_t ilen) {
    if (!get_hash(o, "parentHash", &h->parent_hash, err) || !get_hash(o, "stateRoot", &h->state_root, err) ||
        !get_hash(o, "receiptsRoot", &h->receipts_root, err) || !get_hash(o, "prevRandao", &h->mix_hash, err) ||
        !get_u64(o, "blockNumber", &h->number, err) || !get_u64(o, "gasLimit", &h->gas_limit, err) ||
        !get_u64(o, "gasUsed", &h->gas_used, err) || !get_u64(o, "timestamp", &h->timestamp, err))
        return false;
    const json_t *v;
    const char *why;
    if (!(v = need(o, "feeRecipient", err))) return false;
    if ((why = rpc_parse_address(v, &h->coinbase))) return field_error(err, "feeRecipient", why);
    if (!(v = need(o, "logsBloom", err))) return false;
    if ((why = rpc_parse_fixed(v, h->bloom, 256))) return field_error(err, "logsBloom", why);
    if (!(v = need(o, "baseFeePerGas", err))) return false;
    if ((why = rpc_parse_u256(v, &h->base_fee))) return field_error(err, "baseFeePerGas", why);
    h->has_base_fee = true;
    if (!(v = need(o, "extraData", err))) return false;
    uint8_t *extra;
    size_t elen;
    if ((why = rpc_parse_data(v, &extra, &elen))) return field_error(err, "extraData", why);
    if (elen > 32) snprintf(invalid, ilen, "invalid extradata length: %zu", elen);
    h->extra_len = elen < sizeof h->extra_data ? elen : sizeof h->extra_data;
    memcpy(h->extra_data, extra, h->extra_len);
    free(extra);
    h->ommers_hash = EMPTY_LIST_HASH;
    return true;
}

static bool parse_txs(const json_t *o, block *b, rpc_error *err, char *invalid, size_t ilen) {
    const json_t *v = need(o, "transactions", err);
    if (!v) return false;
    if (!json_is_array(v)) return field_error(err, "transactions", "want an array");
    size_t k = json_array_size(v);
    b->txs = calloc(k ? k : 1, sizeof *b->txs);
    if (!b->txs) abort();
    for (size_t i = 0; i < k; i++) {
        uint8_t *raw;
        size_t len;
        const char *why = rpc_parse_data(json_array_get(v, i), &raw, &len);
        if (why) return field_error(err, "transactions", why);
        char derr[120] = "";
        if (!invalid[0] && !len) snprintf(invalid, ilen, "transaction %zu is empty", i);
        else if (!invalid[0] && !tx_decode(raw, len, &b->txs[b->n_txs], derr, sizeof derr))
            snprintf(invalid, ilen, "transaction %zu does not decode: %s", i, derr);
        else if (!invalid[0]) b->n_txs++;
        free(raw);
    }
    return true;
}

/* executionRequests (V4): type-ordered, each a type byte and data. */
static bool parse_requests(const json_t *v, engine_payload *p, bytes32 *hash, rpc_error *err) {
    if (!json_is_array(v)) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: executionRequests: want an array");
    buf_t inner = {0};
    int last = -1;
    bool ok = true;
    for (size_t i = 0; i < json_array_size(v) && ok; i++) {
        uint8_t *r;
        size_t len;
        const char *why = rpc_parse_data(json_array_get(v, i), &r, &len);
        if (why) ok = rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: executionRequests[%zu]: %s", i, why);
        else if (len < 2) {
            ok = rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: empty request at index %zu", i);
        } else if ((int)r[0] <= last) {
            ok = rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: requests not in ascending order of type (index %zu)", i);
        } else {
            last = r[0];
            if (r[0] < REQUEST_TYPES) buf_append(&p->requests[r[0]], r + 1, len - 1);
            uint8_t h[32];
            if (!EVP_Digest(r, len, h, NULL, EVP_sha256(), NULL)) abort();
            buf_append(&inner, h, 32);
        }
        if (!why) free(r);
    }
    if (ok && !EVP_Digest(inner.data ? inner.data : (const uint8_t *)"", inner.len, hash->b, NULL, EVP_sha256(), NULL))
        abort();
    buf_free(&inner);
    return ok;
}

static bool parse_hash_list(const json_t *v, bytes32 **out, size_t *n, rpc_error *err) {
    if (!json_is_array(v)) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: expectedBlobVersionedHashes: want an array");
    size_t k = json_array_size(v);
    *out = calloc(k ? k : 1, sizeof **out);
    if (!*out) abort();
    *n = k;
    for (size_t i = 0; i < k; i++) {
        const char *why = rpc_parse_hash(json_array_get(v, i), &(*out)[i]);
        if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: expectedBlobVersionedHashes[%zu]: %s", i, why);
    }
    return true;
}

/* The version's fields past V1: withdrawals (V2 structure), blob gas (V3). */
static bool parse_extensions(const json_t *o, int version, block *b, rpc_error *err) {
    block_header *h = &b->header;
    const json_t *w = json_object_get(o, "withdrawals");
    const json_t *bgu = json_object_get(o, "blobGasUsed"), *ebg = json_object_get(o, "excessBlobGas");
    bool has_w = w && !json_is_null(w), has_blob = (bgu && !json_is_null(bgu)) || (ebg && !json_is_null(ebg));
    if (version == 1 && has_w) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: withdrawals not supported in V1");
    if (version < 3 && has_blob)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: blobGasUsed and excessBlobGas not supported before V3");
    if (version >= 3 && !has_w) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: missing required field 'withdrawals'");
    if (has_w) {
        char why[160];
        if (!engine_parse_withdrawals(w, &b->withdrawals, &b->n_withdrawals, why, sizeof why))
            return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: %s", why);
        b->has_withdrawals = h->has_withdrawals_root = true;
    }
    if (version >= 3) {
        if (!get_u64(o, "blobGasUsed", &h->blob_gas_used, err) || !get_u64(o, "excessBlobGas", &h->excess_blob_gas, err))
            return false;
        h->has_blob_gas = true;
    }
    return true;
}

bool engine_payload_parse(const json_t *params, int version, engine_payload *p, rpc_error *err) {
    memset(p, 0, sizeof *p);
    p->version = version;
    size_t want = version <= 2 ? 1 : version == 3 ? 3 : 4;
    if (!rpc_check_args(params, want, want, err)) return false;
    const json_t *o = rpc_arg(params, 0);
    if (!json_is_object(o)) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: want an ExecutionPayload object");
    block *b = &p->b;
    block_header *h = &b->header;
    if (!parse_header(o, h, err, p->invalid, sizeof p->invalid) || !get_hash(o, "blockHash", &p->claimed_hash, err) ||
        !parse_extensions(o, version, b, err) || !parse_txs(o, b, err, p->invalid, sizeof p->invalid))
        return false;
    if (version >= 3) {
        if (!parse_hash_list(rpc_arg(params, 1), &p->versioned_hashes, &p->n_versioned_hashes, err)) return false;
        const char *why = rpc_parse_hash(rpc_arg(params, 2), &h->parent_beacon_root);
        if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: parentBeaconBlockRoot: %s", why);
        h->has_beacon_root = true;
    }
    if (version >= 4) {
        if (!parse_requests(rpc_arg(params, 3), p, &h->requests_hash, err)) return false;
        h->has_requests_hash = true;
    }
    if (p->invalid[0]) return true;
    /* the roots the header commits to, then the hash */
    h->tx_root = block_tx_root(b);
    if (b->has_withdrawals) h->withdrawals_root = block_withdrawals_root(b);
    buf_t hr = {0};
    header_encode(h, &hr);
    h->hash = keccak256_hash(hr.data, hr.len);
    buf_free(&hr);
    if (!bytes32_eq(&h->hash, &p->claimed_hash)) {
        p->hash_mismatch = true;
        char want[67], got[67];
        hex_encode(p->claimed_hash.b, 32, want);
        hex_encode(h->hash.b, 32, got);
        snprintf(p->invalid, sizeof p->invalid, "blockhash mismatch, want %s, got %s", want, got);
        return true;
    }
    /* EIP-4844: the expected versioned hashes are the transactions' */
    if (version >= 3) {
        size_t k = 0;
        bool same = true;
        for (size_t i = 0; i < b->n_txs && same; i++)
            for (size_t j = 0; j < b->txs[i].n_blob_hashes && same; j++, k++)
                same = k < p->n_versioned_hashes && bytes32_eq(&b->txs[i].blob_hashes[j], &p->versioned_hashes[k]);
        if (!same || k != p->n_versioned_hashes) {
            snprintf(p->invalid, sizeof p->invalid, "invalid versioned hashes: the payload's blob transactions carry %s",
                     same ? "a different number of them" : "others");
            return true;
        }
    }
    block_encode(b, &p->rlp);
    return true;
}

/* ---- Writing ----------------------------------------------------------------------------- */

json_t *engine_withdrawals_json(const withdrawal *w, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "index", rpc_json_u64(w[i].index));
        json_object_set_new(o, "validatorIndex", rpc_json_u64(w[i].validator));
        json_object_set_new(o, "address", rpc_json_address(&w[i].addr));
        json_object_set_new(o, "amount", rpc_json_u64(w[i].amount_gwei));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *engine_payload_json(const block *b, int v) {
    const block_header *h = &b->header;
    json_t *o = json_object();
    json_object_set_new(o, "parentHash", rpc_json_hash(&h->parent_hash));
    json_object_set_new(o, "feeRecipient", rpc_json_address(&h->coinbase));
    json_object_set_new(o, "stateRoot", rpc_json_hash(&h->state_root));
    json_object_set_new(o, "receiptsRoot", rpc_json_hash(&h->receipts_root));
    json_object_set_new(o, "logsBloom", rpc_json_data(h->bloom, 256));
    json_object_set_new(o, "prevRandao", rpc_json_hash(&h->mix_hash));
    json_object_set_new(o, "blockNumber", rpc_json_u64(h->number));
    json_object_set_new(o, "gasLimit", rpc_json_u64(h->gas_limit));
    json_object_set_new(o, "gasUsed", rpc_json_u64(h->gas_used));
    json_object_set_new(o, "timestamp", rpc_json_u64(h->timestamp));
    json_object_set_new(o, "extraData", rpc_json_data(h->extra_data, h->extra_len));
    json_object_set_new(o, "baseFeePerGas", rpc_json_u256(&h->base_fee));
    json_object_set_new(o, "blockHash", rpc_json_hash(&h->hash));
    json_t *txs = json_array();
    buf_t raw = {0};
    for (size_t i = 0; i < b->n_txs; i++) {
        buf_clear(&raw);
        tx_encode(&b->txs[i], &raw);
        json_array_append_new(txs, rpc_json_data(raw.data, raw.len));
    }
    buf_free(&raw);
    json_object_set_new(o, "transactions", txs);
    if (v >= 2) json_object_set_new(o, "withdrawals", engine_withdrawals_json(b->withdrawals, b->n_withdrawals));
    if (v >= 3) {
        json_object_set_new(o, "blobGasUsed", rpc_json_u64(h->blob_gas_used));
        json_object_set_new(o, "excessBlobGas", rpc_json_u64(h->excess_blob_gas));
    }
    return o;
}

json_t *engine_requests_json(const buf_t requests[REQUEST_TYPES]) {
    json_t *a = json_array();
    buf_t one = {0};
    for (int t = 0; t < REQUEST_TYPES; t++) {
        if (!requests[t].len) continue;
        buf_clear(&one);
        uint8_t type = (uint8_t)t;
        buf_append(&one, &type, 1);
        buf_append(&one, requests[t].data, requests[t].len);
        json_array_append_new(a, rpc_json_data(one.data, one.len));
    }
    buf_free(&one);
    return a;
}

json_t *engine_status_json(engine_status s, const bytes32 *lvh, const char *why) {
    static const char *const NAMES[] = {"VALID", "INVALID", "SYNCING", "ACCEPTED", "INVALID_BLOCK_HASH"};
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(NAMES[s]));
    json_object_set_new(o, "latestValidHash", lvh ? rpc_json_hash(lvh) : json_null());
    json_object_set_new(o, "validationError", why ? json_string(why) : json_null());
    return o;
}
