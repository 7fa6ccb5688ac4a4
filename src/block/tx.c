/* Transaction codec: strict decoding of the five transaction types (legacy,
 * EIP-2930, EIP-1559, EIP-4844, EIP-7702) as blocks carry them, the
 * canonical encoding, and the hash the sender signs. Every type is described
 * by a list of fields, so decoding, encoding and the signing payload share
 * one table. */
#include "parevm/tx.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "block_internal.h"

typedef enum {
    F_CHAIN_ID, F_NONCE, F_GAS_PRICE, F_PRIORITY_FEE, F_MAX_FEE, F_GAS, F_TO, F_VALUE,
    F_DATA, F_ACCESS_LIST, F_BLOB_FEE, F_BLOB_HASHES, F_AUTH_LIST, F_V, F_R, F_S,
} tx_field;

static const char *const field_names[] = {
    "chainId", "nonce", "gasPrice", "maxPriorityFeePerGas", "maxFeePerGas", "gasLimit", "to",
    "value", "data", "accessList", "maxFeePerBlobGas", "blobVersionedHashes", "authorizationList",
    "v", "r", "s",
};

/* Field order on the wire; the last three are always v (or y parity), r, s. */
static const tx_field legacy_fields[] = {F_NONCE, F_GAS_PRICE, F_GAS, F_TO, F_VALUE,
                                         F_DATA, F_V, F_R, F_S};
static const tx_field access_list_fields[] = {F_CHAIN_ID, F_NONCE, F_GAS_PRICE, F_GAS,
                                              F_TO, F_VALUE, F_DATA, F_ACCESS_LIST,
                                              F_V, F_R, F_S};
static const tx_field dynamic_fee_fields[] = {F_CHAIN_ID, F_NONCE, F_PRIORITY_FEE, F_MAX_FEE,
                                              F_GAS, F_TO, F_VALUE, F_DATA, F_ACCESS_LIST,
                                              F_V, F_R, F_S};
static const tx_field blob_fields[] = {F_CHAIN_ID, F_NONCE, F_PRIORITY_FEE, F_MAX_FEE, F_GAS,
                                       F_TO, F_VALUE, F_DATA, F_ACCESS_LIST, F_BLOB_FEE,
                                       F_BLOB_HASHES, F_V, F_R, F_S};
static const tx_field set_code_fields[] = {F_CHAIN_ID, F_NONCE, F_PRIORITY_FEE, F_MAX_FEE, F_GAS,
                                           F_TO, F_VALUE, F_DATA, F_ACCESS_LIST, F_AUTH_LIST,
                                           F_V, F_R, F_S};

#define MAX_FIELDS 14

typedef struct {
    const tx_field *fields;
    size_t n;
} tx_layout;

static tx_layout layout_of(uint8_t type) {
    switch (type) {
    case TX_LEGACY: return (tx_layout){legacy_fields, 9};
    case TX_ACCESS_LIST: return (tx_layout){access_list_fields, 11};
    case TX_DYNAMIC_FEE: return (tx_layout){dynamic_fee_fields, 12};
    case TX_BLOB: return (tx_layout){blob_fields, 14};
    case TX_SET_CODE: return (tx_layout){set_code_fields, 13};
    }
    return (tx_layout){NULL, 0};
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct {
    char *msg;
    size_t cap;
} errbuf;

static bool fail(errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(errbuf *e, const char *fmt, ...) {
    if (e->msg && e->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, e->cap, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool fail_rlp(errbuf *e, tx_field f, rlp_err r) {
    return fail(e, "%s: %s", field_names[f], rlp_strerror(r));
}

/* Counts a list's items and allocates room for them; NULL *out for none. */
static bool alloc_items(errbuf *e, tx_field f, const rlp_item *list, size_t size,
                        void **out, size_t *n) {
    if (!list->is_list) return fail_rlp(e, f, RLP_ERR_TYPE);
    long count = rlp_list_count(list);
    if (count < 0) return fail(e, "%s: malformed RLP list item", field_names[f]);
    *n = (size_t)count;
    *out = NULL;
    if (count == 0) return true;
    *out = calloc((size_t)count, size);
    return *out ? true : fail(e, "%s: out of memory", field_names[f]);
}

static bool decode_access_entry(errbuf *e, const rlp_item *item, access_entry *out) {
    rlp_item parts[2];
    rlp_err r = item->is_list ? rlp_list_items(item, parts, 2) : RLP_ERR_TYPE;
    if (r) return fail(e, "accessList entry: %s", rlp_strerror(r));
    if ((r = rlp_to_address(&parts[0], &out->addr)))
        return fail(e, "accessList address: %s", rlp_strerror(r));
    if (!alloc_items(e, F_ACCESS_LIST, &parts[1], sizeof(bytes32), (void **)&out->keys,
                     &out->n_keys))
        return false;
    rlp_iter it = rlp_iter_of(&parts[1]);
    rlp_item key;
    for (size_t i = 0; i < out->n_keys; i++) {
        rlp_next(&it, &key); /* cannot fail: counted above */
        if ((r = rlp_to_bytes32(&key, &out->keys[i])))
            return fail(e, "accessList storage key: %s", rlp_strerror(r));
    }
    return true;
}

static bool decode_access_list(errbuf *e, const rlp_item *item, transaction *tx) {
    if (!alloc_items(e, F_ACCESS_LIST, item, sizeof(access_entry), (void **)&tx->access_list,
                     &tx->access_list_len))
        return false;
    rlp_iter it = rlp_iter_of(item);
    rlp_item entry;
    for (size_t i = 0; i < tx->access_list_len; i++) {
        rlp_next(&it, &entry);
        if (!decode_access_entry(e, &entry, &tx->access_list[i])) return false;
    }
    return true;
}

static bool decode_blob_hashes(errbuf *e, const rlp_item *item, transaction *tx) {
    if (!alloc_items(e, F_BLOB_HASHES, item, sizeof(bytes32), (void **)&tx->blob_hashes,
                     &tx->n_blob_hashes))
        return false;
    rlp_iter it = rlp_iter_of(item);
    rlp_item h;
    for (size_t i = 0; i < tx->n_blob_hashes; i++) {
        rlp_next(&it, &h);
        rlp_err r = rlp_to_bytes32(&h, &tx->blob_hashes[i]);
        if (r) return fail_rlp(e, F_BLOB_HASHES, r);
    }
    return true;
}

/* EIP-7702 tuple rlp([chain_id, address, nonce, y_parity, r, s]); the
 * integer widths are the EIP's bounds. */
static bool decode_auth(errbuf *e, const rlp_item *item, authorization *a) {
    rlp_item p[6];
    rlp_err r = item->is_list ? rlp_list_items(item, p, 6) : RLP_ERR_TYPE;
    if (r == RLP_ERR_COUNT) return fail(e, "authorizationList entry: want 6 items");
    if (r) return fail(e, "authorizationList entry: %s", rlp_strerror(r));
    uint64_t y = 0;
    static const char *const what[6] = {"chainId", "address", "nonce", "yParity", "r", "s"};
    rlp_err rs[6] = {
        rlp_to_u256(&p[0], &a->chain_id), rlp_to_address(&p[1], &a->addr), rlp_to_u64(&p[2], &a->nonce),
        rlp_to_u64(&p[3], &y),            rlp_to_u256(&p[4], &a->r),        rlp_to_u256(&p[5], &a->s),
    };
    if (!rs[3] && y > 0xff) rs[3] = RLP_ERR_VALUE;
    for (int i = 0; i < 6; i++)
        if (rs[i])
            return fail(e, "authorization %s: %s", what[i],
                        rs[i] == RLP_ERR_VALUE && i != 1 ? "integer too large" : rlp_strerror(rs[i]));
    a->y_parity = (uint8_t)y;
    return true;
}

static bool decode_auth_list(errbuf *e, const rlp_item *item, transaction *tx) {
    if (!alloc_items(e, F_AUTH_LIST, item, sizeof(authorization), (void **)&tx->auths, &tx->n_auths))
        return false;
    rlp_iter it = rlp_iter_of(item);
    rlp_item entry;
    for (size_t i = 0; i < tx->n_auths; i++) {
        rlp_next(&it, &entry);
        if (!decode_auth(e, &entry, &tx->auths[i])) return false;
    }
    return true;
}

/* `to`: empty for a creation (not allowed in blob and set-code txs), else
 * 20 bytes. */
static bool decode_to(errbuf *e, const rlp_item *item, transaction *tx) {
    if (item->is_list) return fail_rlp(e, F_TO, RLP_ERR_TYPE);
    bool must_call = tx->type == TX_BLOB || tx->type == TX_SET_CODE;
    if (item->len == 0 && !must_call) {
        tx->has_to = false;
        return true;
    }
    if (item->len != 20)
        return fail(e, "to: must be 20 bytes%s, got %zu", must_call ? "" : " or empty", item->len);
    memcpy(tx->to.b, item->data, 20);
    tx->has_to = true;
    return true;
}

static bool decode_data(errbuf *e, const rlp_item *item, transaction *tx) {
    if (item->is_list) return fail_rlp(e, F_DATA, RLP_ERR_TYPE);
    tx->data_len = item->len;
    if (item->len == 0) return true;
    tx->data = malloc(item->len);
    if (!tx->data) return fail(e, "data: out of memory");
    memcpy(tx->data, item->data, item->len);
    return true;
}

static bool decode_field(errbuf *e, tx_field f, const rlp_item *it, transaction *tx) {
    rlp_err r = RLP_OK;
    switch (f) {
    case F_CHAIN_ID: r = rlp_to_u64(it, &tx->chain_id); break;
    case F_NONCE: r = rlp_to_u64(it, &tx->nonce); break;
    case F_GAS_PRICE: r = rlp_to_u256(it, &tx->gas_price); break;
    case F_PRIORITY_FEE: r = rlp_to_u256(it, &tx->max_priority_fee); break;
    case F_MAX_FEE: r = rlp_to_u256(it, &tx->max_fee); break;
    case F_GAS: r = rlp_to_u64(it, &tx->gas_limit); break;
    case F_TO: return decode_to(e, it, tx);
    case F_VALUE: r = rlp_to_u256(it, &tx->value); break;
    case F_DATA: return decode_data(e, it, tx);
    case F_ACCESS_LIST: return decode_access_list(e, it, tx);
    case F_BLOB_FEE: r = rlp_to_u256(it, &tx->max_fee_per_blob_gas); break;
    case F_BLOB_HASHES: return decode_blob_hashes(e, it, tx);
    case F_AUTH_LIST: return decode_auth_list(e, it, tx);
    case F_V: r = rlp_to_u256(it, &tx->v); break;
    case F_R: r = rlp_to_u256(it, &tx->r); break;
    case F_S: r = rlp_to_u256(it, &tx->s); break;
    }
    if (r == RLP_ERR_VALUE) return fail(e, "%s: integer too large", field_names[f]);
    return r ? fail_rlp(e, f, r) : true;
}

/* EIP-155: a legacy v of chain_id*2 + 35/36 carries the chain id; 27/28 and
 * the invalid values below 35 carry none (recovery rejects the latter). */
static bool legacy_chain_id(errbuf *e, transaction *tx) {
    u256 base = u256_from_u64(35);
    if (u256_lt(&tx->v, &base)) return true;
    u256 id = u256_sub(&tx->v, &base);
    id = u256_shr(&id, 1);
    if (!u256_fits_u64(&id)) return fail(e, "v: EIP-155 chain id above 2^64-1");
    tx->has_chain_id = true;
    tx->chain_id = id.w[0];
    return true;
}

static bool decode_body(errbuf *e, const rlp_item *list, transaction *tx) {
    tx_layout l = layout_of(tx->type);
    rlp_item items[MAX_FIELDS];
    if (!list->is_list) return fail(e, "transaction payload is not an RLP list");
    rlp_err r = rlp_list_items(list, items, l.n);
    if (r == RLP_ERR_COUNT) {
        long n = rlp_list_count(list);
        return fail(e, "type %u transaction has %ld fields, want %zu", tx->type, n, l.n);
    }
    if (r) return fail(e, "transaction fields: %s", rlp_strerror(r));
    for (size_t i = 0; i < l.n; i++)
        if (!decode_field(e, l.fields[i], &items[i], tx)) return false;
    if (tx->type == TX_LEGACY) return legacy_chain_id(e, tx);
    tx->has_chain_id = true;
    return true;
}

static bool decode_envelope(errbuf *e, const uint8_t *raw, size_t len, transaction *tx) {
    if (len == 0) return fail(e, "empty transaction");
    const uint8_t *body = raw;
    size_t body_len = len;
    if (raw[0] >= 0xc0) {
        tx->type = TX_LEGACY;
    } else if (raw[0] >= 0x80) {
        return fail(e, "transaction is an RLP string, not a list or a typed envelope");
    } else if (raw[0] >= TX_ACCESS_LIST && raw[0] <= TX_SET_CODE) {
        tx->type = raw[0];
        body++;
        body_len--;
    } else {
        return fail(e, "unsupported transaction type 0x%02x", raw[0]);
    }
    rlp_item list;
    rlp_err r = rlp_decode(body, body_len, &list);
    if (r) return fail(e, "transaction: %s", rlp_strerror(r));
    return decode_body(e, &list, tx);
}

bool tx_decode_payload(uint8_t type, const rlp_item *list, transaction *out, char *err, size_t errlen) {
    errbuf e = {err, errlen};
    memset(out, 0, sizeof *out);
    out->type = type;
    if (!decode_body(&e, list, out)) {
        tx_free(out);
        return false;
    }
    keccak_ctx k;
    keccak_init(&k);
    keccak_update(&k, &type, 1);
    keccak_update(&k, list->raw, list->raw_len);
    keccak_final(&k, out->hash.b);
    return true;
}

bool tx_decode(const uint8_t *raw, size_t len, transaction *out, char *err, size_t errlen) {
    errbuf e = {err, errlen};
    memset(out, 0, sizeof *out);
    if (!raw && len) return fail(&e, "no input");
    if (!decode_envelope(&e, raw, len, out)) {
        tx_free(out);
        return false;
    }
    /* Strict decoding admits exactly one encoding, so this is the hash of
     * the canonical form without re-encoding. */
    out->hash = keccak256_hash(raw, len);
    return true;
}

void tx_free(transaction *tx) {
    if (!tx) return;
    free(tx->data);
    for (size_t i = 0; i < tx->access_list_len; i++) free(tx->access_list[i].keys);
    free(tx->access_list);
    free(tx->blob_hashes);
    free(tx->auths);
    memset(tx, 0, sizeof *tx);
}

/* ---- encoding ---------------------------------------------------------- */

static void encode_access_list(buf_t *b, const transaction *tx) {
    size_t outer = rlp_list_begin(b);
    for (size_t i = 0; i < tx->access_list_len; i++) {
        const access_entry *a = &tx->access_list[i];
        size_t entry = rlp_list_begin(b);
        rlp_encode_address(b, &a->addr);
        size_t keys = rlp_list_begin(b);
        for (size_t k = 0; k < a->n_keys; k++) rlp_encode_bytes32(b, &a->keys[k]);
        rlp_list_end(b, keys);
        rlp_list_end(b, entry);
    }
    rlp_list_end(b, outer);
}

static void encode_blob_hashes(buf_t *b, const transaction *tx) {
    size_t l = rlp_list_begin(b);
    for (size_t i = 0; i < tx->n_blob_hashes; i++) rlp_encode_bytes32(b, &tx->blob_hashes[i]);
    rlp_list_end(b, l);
}

static void encode_auth_list(buf_t *b, const transaction *tx) {
    size_t l = rlp_list_begin(b);
    for (size_t i = 0; i < tx->n_auths; i++) {
        const authorization *a = &tx->auths[i];
        size_t t = rlp_list_begin(b);
        rlp_encode_u256(b, &a->chain_id);
        rlp_encode_address(b, &a->addr);
        rlp_encode_u64(b, a->nonce);
        rlp_encode_u64(b, a->y_parity);
        rlp_encode_u256(b, &a->r);
        rlp_encode_u256(b, &a->s);
        rlp_list_end(b, t);
    }
    rlp_list_end(b, l);
}

static void encode_field(buf_t *b, tx_field f, const transaction *tx) {
    switch (f) {
    case F_CHAIN_ID: rlp_encode_u64(b, tx->chain_id); break;
    case F_NONCE: rlp_encode_u64(b, tx->nonce); break;
    case F_GAS_PRICE: rlp_encode_u256(b, &tx->gas_price); break;
    case F_PRIORITY_FEE: rlp_encode_u256(b, &tx->max_priority_fee); break;
    case F_MAX_FEE: rlp_encode_u256(b, &tx->max_fee); break;
    case F_GAS: rlp_encode_u64(b, tx->gas_limit); break;
    case F_TO: rlp_encode_bytes(b, tx->to.b, tx->has_to ? 20 : 0); break;
    case F_VALUE: rlp_encode_u256(b, &tx->value); break;
    case F_DATA: rlp_encode_bytes(b, tx->data, tx->data_len); break;
    case F_ACCESS_LIST: encode_access_list(b, tx); break;
    case F_BLOB_FEE: rlp_encode_u256(b, &tx->max_fee_per_blob_gas); break;
    case F_BLOB_HASHES: encode_blob_hashes(b, tx); break;
    case F_AUTH_LIST: encode_auth_list(b, tx); break;
    case F_V: rlp_encode_u256(b, &tx->v); break;
    case F_R: rlp_encode_u256(b, &tx->r); break;
    case F_S: rlp_encode_u256(b, &tx->s); break;
    }
}

/* Type byte (typed only), then the list of the first n fields, plus the
 * EIP-155 trailer [chain_id, 0, 0] when eip155 is set. */
static void encode_fields(buf_t *b, const transaction *tx, size_t n, bool eip155) {
    tx_layout l = layout_of(tx->type);
    if (tx->type != TX_LEGACY) buf_push(b, tx->type);
    size_t list = rlp_list_begin(b);
    for (size_t i = 0; i < n && i < l.n; i++) encode_field(b, l.fields[i], tx);
    if (eip155) {
        rlp_encode_u64(b, tx->chain_id);
        rlp_encode_u64(b, 0);
        rlp_encode_u64(b, 0);
    }
    rlp_list_end(b, list);
}

void tx_encode(const transaction *tx, buf_t *out) {
    encode_fields(out, tx, MAX_FIELDS, false);
}

bytes32 tx_signing_hash(const transaction *tx) {
    tx_layout l = layout_of(tx->type);
    buf_t b = {0};
    /* Everything but v, r, s. */
    encode_fields(&b, tx, l.n >= 3 ? l.n - 3 : 0,
                  tx->type == TX_LEGACY && tx->has_chain_id);
    bytes32 h = keccak256_hash(b.data, b.len);
    buf_free(&b);
    return h;
}
