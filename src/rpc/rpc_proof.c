/* JSON codecs of eth_getProof and debug_executionWitness (rpc_proof.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parevm/hex.h"
#include "parevm/rpc_codec.h"
#include "parevm/rpc_proof.h"
#include "rpc_internal.h"

const char *rpc_parse_proof_keys(const json_t *v, rpc_proof_keys *out) {
    memset(out, 0, sizeof *out);
    if (!json_is_array(v)) return "storage keys must be an array";
    size_t n = json_array_size(v);
    out->keys = calloc(n ? n : 1, sizeof *out->keys);
    out->full = calloc(n ? n : 1, sizeof *out->full);
    if (!out->keys || !out->full) abort();
    for (size_t i = 0; i < n; i++) {
        const json_t *k = json_array_get(v, i);
        const char *s = json_string_value(k);
        if (!s || strlen(s) != json_string_length(k)) {
            rpc_proof_keys_free(out);
            return "storage key must be a hex string";
        }
        uint8_t b[32];
        long len = hex_decode(s, b, sizeof b);
        if (len < 0) {
            rpc_proof_keys_free(out);
            return len == -2 ? "hex string too long, want at most 32 bytes" : "hex string invalid";
        }
        out->keys[i] = u256_from_be(b, (size_t)len);
        out->full[i] = len == 32;
    }
    out->n = n;
    return NULL;
}

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

/* One of the witness's lists: an array of hex data strings. */
static bool parse_list(const json_t *a, const char *name, byte_list *out, char *err, size_t errlen) {
    if (!json_is_array(a)) {
        snprintf(err, errlen, "\"%s\" is %s, not an array", name, a ? "of another type" : "missing");
        return false;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        uint8_t *p;
        size_t n;
        if (!s || !hex_parse_data(s, &p, &n)) {
            snprintf(err, errlen, "\"%s\"[%zu] is not hex data", name, i);
            return false;
        }
        byte_list_push(out, p, n);
        free(p);
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
              parse_list(json_object_get(v, "headers"), "headers", &out->headers, err, errlen);
    if (!ok) execution_witness_free(out);
    return ok;
}
