/* JSON codecs of eth_getProof and debug_executionWitness (rpc_proof.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parevm/block.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc_codec.h"
#include "parevm/rpc_proof.h"
#include "rpc_internal.h"

/* One key as geth's decodeHash takes it: at most 32 bytes of hex. */
static const char *short_key(const json_t *k, u256 *key, bool *full) {
    const char *s = json_string_value(k);
    if (!s || strlen(s) != json_string_length(k)) return "storage key must be a hex string";
    uint8_t b[32];
    long len = hex_decode(s, b, sizeof b);
    if (len < 0) return len == -2 ? "hex string too long, want at most 32 bytes" : "hex string invalid";
    *key = u256_from_be(b, (size_t)len);
    *full = len == 32;
    return NULL;
}

/* One key as reth's B256: exactly 32 bytes. */
static const char *hash_key(const json_t *k, u256 *key, bool *full) {
    bytes32 h;
    const char *why = rpc_parse_hash(k, &h);
    if (why) return why;
    *key = u256_from_be(h.b, 32);
    *full = true;
    return NULL;
}

static const char *parse_keys(const json_t *v, const char *(*one)(const json_t *, u256 *, bool *),
                              rpc_proof_keys *out) {
    memset(out, 0, sizeof *out);
    if (!json_is_array(v)) return "storage keys must be an array";
    size_t n = json_array_size(v);
    out->keys = calloc(n ? n : 1, sizeof *out->keys);
    out->full = calloc(n ? n : 1, sizeof *out->full);
    if (!out->keys || !out->full) abort();
    for (size_t i = 0; i < n; i++) {
        const char *why = one(json_array_get(v, i), &out->keys[i], &out->full[i]);
        if (why) {
            rpc_proof_keys_free(out);
            return why;
        }
    }
    out->n = n;
    return NULL;
}

/* geth's cap on eth_getProof's keys (internal/ethapi: maxGetProofKeys) */
enum { MAX_PROOF_KEYS = 1024 };

const char *rpc_parse_proof_keys(const json_t *v, rpc_proof_keys *out) {
    if (json_is_array(v) && json_array_size(v) > MAX_PROOF_KEYS) {
        memset(out, 0, sizeof *out);
        return "too many storage keys requested (max 1024)";
    }
    return parse_keys(v, short_key, out);
}

const char *rpc_parse_proof_hashes(const json_t *v, rpc_proof_keys *out) { return parse_keys(v, hash_key, out); }

void rpc_proof_keys_free(rpc_proof_keys *k) {
    free(k->keys);
    free(k->full);
    memset(k, 0, sizeof *k);
}

static json_t *node_list(const byte_list *l) {
    json_t *a = rpc_json_take(json_array());
    for (size_t i = 0; i < l->n; i++) {
        byte_span e = byte_list_get(l, i);
        json_array_append_new(a, rpc_json_data(e.data, e.len));
    }
    return a;
}

json_t *rpc_json_proof(const address *addr, const db_proof *p, const rpc_proof_keys *keys) {
    static const bytes32 zero;
    json_t *o = rpc_json_take(json_object());
    json_object_set_new(o, "address", rpc_json_address(addr));
    json_object_set_new(o, "accountProof", node_list(&p->account_proof));
    json_object_set_new(o, "balance", rpc_json_u256(&p->info.balance));
    json_object_set_new(o, "codeHash", rpc_json_hash(p->exists ? &p->info.code_hash : &zero));
    json_object_set_new(o, "nonce", rpc_json_u64(p->info.nonce));
    json_object_set_new(o, "storageHash", rpc_json_hash(p->exists ? &p->storage_root : &zero));
    json_t *slots = rpc_json_take(json_array());
    for (size_t i = 0; i < p->n_slots; i++) {
        const db_slot_proof *sp = &p->slots[i];
        json_t *s = rpc_json_take(json_object());
        if (i < keys->n && keys->full[i]) {
            bytes32 k;
            u256_to_be(&sp->key, k.b);
            json_object_set_new(s, "key", rpc_json_hash(&k));
        } else {
            json_object_set_new(s, "key", rpc_json_u256(&sp->key));
        }
        json_object_set_new(s, "value", rpc_json_u256(&sp->value));
        json_object_set_new(s, "proof", node_list(&sp->proof));
        json_array_append_new(slots, s);
    }
    json_object_set_new(o, "storageProof", slots);
    return o;
}

json_t *rpc_json_witness(const execution_witness *w) {
    json_t *o = rpc_json_take(json_object());
    json_object_set_new(o, "state", node_list(&w->state));
    json_object_set_new(o, "codes", node_list(&w->codes));
    json_object_set_new(o, "keys", node_list(&w->keys));
    json_object_set_new(o, "headers", node_list(&w->headers));
    return o;
}

/* One entry of a witness list as hex data; name[i] in messages. */
static bool parse_entry(const json_t *v, const char *name, const char *i, byte_list *out, char *err,
                        size_t errlen) {
    const char *s = json_string_value(v);
    uint8_t *p;
    size_t n;
    if (!s || !hex_parse_data(s, &p, &n)) {
        snprintf(err, errlen, "\"%s\"[%s] is not hex data", name, i);
        return false;
    }
    byte_list_push(out, p, n);
    free(p);
    return true;
}

/* One of the witness's lists: an array of hex data strings, or (older reth
 * releases) an object mapping each entry's hash to it, whose values are taken. */
static bool parse_list(const json_t *a, const char *name, byte_list *out, char *err, size_t errlen) {
    char at[80];
    if (json_is_object(a)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            snprintf(at, sizeof at, "\"%.66s\"", k);
            if (!parse_entry(v, name, at, out, err, errlen)) return false;
        }
        return true;
    }
    if (!json_is_array(a)) {
        snprintf(err, errlen, "\"%s\" is %s, not an array", name, a ? "of another type" : "missing");
        return false;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        snprintf(at, sizeof at, "%zu", i);
        if (!parse_entry(json_array_get(a, i), name, at, out, err, errlen)) return false;
    }
    return true;
}

/* The fields of a header object (eth_getBlockByNumber's names), in RLP
 * order. Optional ones may be absent or null; "nonce" and "mixHash" default
 * to zero as in clients that leave them out after the Merge. */
typedef enum { F_HASH, F_ADDR, F_BLOOM, F_U256, F_U64, F_EXTRA, F_NONCE } field_kind;
static const struct {
    const char *name;
    field_kind kind;
    size_t off;
    int has; /* offset of the presence flag, -1: required, -2: optional, zero default */
} header_fields[] = {
#define F(n, k, m, h) {n, k, offsetof(block_header, m), h}
#define OPT(flag) (int)offsetof(block_header, flag)
    F("parentHash", F_HASH, parent_hash, -1),
    F("sha3Uncles", F_HASH, ommers_hash, -1),
    F("miner", F_ADDR, coinbase, -1),
    F("stateRoot", F_HASH, state_root, -1),
    F("transactionsRoot", F_HASH, tx_root, -1),
    F("receiptsRoot", F_HASH, receipts_root, -1),
    F("logsBloom", F_BLOOM, bloom, -1),
    F("difficulty", F_U256, difficulty, -1),
    F("number", F_U64, number, -1),
    F("gasLimit", F_U64, gas_limit, -1),
    F("gasUsed", F_U64, gas_used, -1),
    F("timestamp", F_U64, timestamp, -1),
    F("extraData", F_EXTRA, extra_data, -1),
    F("mixHash", F_HASH, mix_hash, -2),
    F("nonce", F_NONCE, nonce, -2),
    F("baseFeePerGas", F_U256, base_fee, OPT(has_base_fee)),
    F("withdrawalsRoot", F_HASH, withdrawals_root, OPT(has_withdrawals_root)),
    F("blobGasUsed", F_U64, blob_gas_used, OPT(has_blob_gas)),
    F("excessBlobGas", F_U64, excess_blob_gas, OPT(has_blob_gas)),
    F("parentBeaconBlockRoot", F_HASH, parent_beacon_root, OPT(has_beacon_root)),
    F("requestsHash", F_HASH, requests_hash, OPT(has_requests_hash)),
#undef OPT
#undef F
};

static const char *parse_header_field(const json_t *v, field_kind kind, void *dst, block_header *h) {
    switch (kind) {
    case F_HASH: return rpc_parse_hash(v, dst);
    case F_ADDR: return rpc_parse_address(v, dst);
    case F_BLOOM: return rpc_parse_fixed(v, dst, sizeof h->bloom);
    case F_U256: return rpc_parse_u256(v, dst);
    case F_U64: return rpc_parse_u64(v, dst);
    case F_NONCE: {
        uint8_t n[8];
        const char *why = rpc_parse_fixed(v, n, sizeof n);
        if (!why) h->nonce = u256_load64_be(n);
        return why;
    }
    default: {
        uint8_t *p;
        size_t n;
        const char *why = rpc_parse_data(v, &p, &n);
        if (why) return why;
        h->extra_len = n;
        memcpy(h->extra_data, p, n < sizeof h->extra_data ? n : sizeof h->extra_data);
        free(p);
        return NULL;
    }
    }
}

/* A header as geth's debug_executionWitness writes it (a JSON object),
 * appended to out as RLP. Its "hash", when given, must be the hash of
 * that RLP: a check that every field was read as its client meant. */
static bool parse_header_object(const json_t *o, size_t i, byte_list *out, char *err, size_t errlen) {
    block_header h;
    memset(&h, 0, sizeof h);
    for (size_t f = 0; f < sizeof header_fields / sizeof *header_fields; f++) {
        const json_t *v = json_object_get(o, header_fields[f].name);
        if (!v || json_is_null(v)) {
            if (header_fields[f].has != -1) continue;
            snprintf(err, errlen, "\"headers\"[%zu]: field \"%s\" is missing", i, header_fields[f].name);
            return false;
        }
        const char *why = parse_header_field(v, header_fields[f].kind, (uint8_t *)&h + header_fields[f].off, &h);
        if (why) {
            snprintf(err, errlen, "\"headers\"[%zu]: field \"%s\": %s", i, header_fields[f].name, why);
            return false;
        }
        if (header_fields[f].has >= 0) *((bool *)((uint8_t *)&h + header_fields[f].has)) = true;
    }
    buf_t rlp = {0};
    header_encode(&h, &rlp);
    bytes32 computed, given;
    keccak256(rlp.data, rlp.len, computed.b);
    const json_t *hv = json_object_get(o, "hash");
    const char *why = hv && !json_is_null(hv) ? rpc_parse_hash(hv, &given) : NULL;
    bool ok = !why && (!hv || json_is_null(hv) || bytes32_eq(&given, &computed));
    if (why) {
        snprintf(err, errlen, "\"headers\"[%zu]: field \"hash\": %s", i, why);
    } else if (!ok) {
        char a[67], b[67];
        hex_encode(computed.b, 32, a);
        hex_encode(given.b, 32, b);
        snprintf(err, errlen, "\"headers\"[%zu]: its fields hash to %s, not to its \"hash\" %s", i, a, b);
    } else {
        byte_list_push(out, rlp.data, rlp.len);
    }
    buf_free(&rlp);
    return ok;
}

/* "headers": RLP as hex data (reth), or header objects (geth). */
static bool parse_headers(const json_t *a, byte_list *out, char *err, size_t errlen) {
    if (!a) {
        snprintf(err, errlen, "\"headers\" is missing (a witness written before they were added to it): "
                              "the parent header is needed to check the block");
        return false;
    }
    if (!json_is_array(a)) return parse_list(a, "headers", out, err, errlen);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        char at[24];
        snprintf(at, sizeof at, "%zu", i);
        if (json_is_object(e) ? !parse_header_object(e, i, out, err, errlen)
                              : !parse_entry(e, "headers", at, out, err, errlen))
            return false;
    }
    return true;
}

bool rpc_parse_witness(const json_t *v, execution_witness *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) {
        snprintf(err, errlen, "the witness is not a JSON object");
        return false;
    }
    /* keys is optional: a stateless run needs no preimages */
    const json_t *keys = json_object_get(v, "keys");
    bool ok = parse_list(json_object_get(v, "state"), "state", &out->state, err, errlen) &&
              parse_list(json_object_get(v, "codes"), "codes", &out->codes, err, errlen) &&
              (!keys || json_is_null(keys) || parse_list(keys, "keys", &out->keys, err, errlen)) &&
              parse_headers(json_object_get(v, "headers"), &out->headers, err, errlen);
    if (!ok) execution_witness_free(out);
    return ok;
}
