/* Method group (dev mode only): signing with the dev accounts' keys, as
 * anvil offers it -- eth_sign and personal_sign (EIP-191 messages),
 * eth_signTypedData_v4 and its aliases eth_signTypedData and
 * eth_signTypedData_v3 (EIP-712, eip712.c; v3's data, without arrays, is
 * encoded alike),
 * eth_fillTransaction (the filled transaction, unsigned),
 * eth_signTransaction (filled like eth_sendTransaction, signed, returned as
 * raw bytes and not sent). Signatures are r || s || v with v = 27/28.
 * Only accounts with a key sign: an impersonated account can send
 * (eth_sendTransaction) but not sign, as in anvil. */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include "eip712.h"
#include "node_dev.h"
#include "parevm/keccak.h"

/* The key of a, or NULL with the error of an account that cannot sign. */
static const uint8_t *signer_key(node *n, const address *a, rpc_error *err) {
    const uint8_t *key = node_dev_key(n, a);
    if (key) return key;
    if (node_dev_impersonated(n, a))
        rpc_error_set(err, RPC_SERVER_ERROR, "no key for an impersonated account: it cannot sign");
    else
        rpc_error_set(err, RPC_SERVER_ERROR, "unknown account");
    return NULL;
}

/* r || s || v (27/28) of digest h under key, as a JSON data string. */
static bool sign_digest(const uint8_t key[32], const uint8_t h[32], json_t **result, rpc_error *err) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN);
    secp256k1_ecdsa_recoverable_signature sig;
    uint8_t out[65];
    int recid = 0;
    bool ok = ctx && secp256k1_ecdsa_sign_recoverable(ctx, &sig, h, key, NULL, NULL) &&
              secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out, &recid, &sig);
    if (ctx) secp256k1_context_destroy(ctx);
    if (!ok) return rpc_error_set(err, RPC_INTERNAL_ERROR, "signing failed");
    out[64] = (uint8_t)(27 + recid);
    *result = rpc_json_data(out, 65);
    return true;
}

/* params[i] as an address. */
static bool parse_addr(const json_t *params, size_t i, address *a, rpc_error *err) {
    const char *why = rpc_parse_address(rpc_arg(params, i), a);
    return why ? rpc_error_invalid_param(err, i, why) : true;
}

/* ---- EIP-191 messages ------------------------------------------------------------------------- */

/* keccak256("\x19Ethereum Signed Message:\n" || len || data) signed by a. */
static bool sign_message(node *n, const address *a, const json_t *data, json_t **result, rpc_error *err) {
    const uint8_t *key = signer_key(n, a, err);
    if (!key) return false;
    uint8_t *msg;
    size_t len;
    const char *why = rpc_parse_data(data, &msg, &len);
    if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid message: %s", why);
    char prefix[64];
    int pl = snprintf(prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu", len);
    keccak_ctx k;
    keccak_init(&k);
    keccak_update(&k, prefix, (size_t)pl);
    keccak_update(&k, msg, len);
    uint8_t h[32];
    keccak_final(&k, h);
    free(msg);
    return sign_digest(key, h, result, err);
}

/* eth_sign(address, data) */
static bool eth_sign(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    address a;
    if (!rpc_check_args(params, 2, 2, err) || !parse_addr(params, 0, &a, err)) return false;
    return sign_message(ctx, &a, rpc_arg(params, 1), result, err);
}

/* personal_sign(data, address[, password]) */
static bool personal_sign(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    address a;
    if (!rpc_check_args(params, 2, 3, err) || !parse_addr(params, 1, &a, err)) return false;
    return sign_message(ctx, &a, rpc_arg(params, 0), result, err);
}

/* ---- EIP-712 typed data ------------------------------------------------------------------------ */

/* eth_signTypedData_v4(address, typedData): typedData an object or a JSON
 * string holding one (what MetaMask, viem and ethers send). */
static bool sign_typed_data(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    address a;
    if (!rpc_check_args(params, 2, 2, err) || !parse_addr(params, 0, &a, err)) return false;
    const uint8_t *key = signer_key(ctx, &a, err);
    if (!key) return false;
    const json_t *arg = rpc_arg(params, 1);
    json_t *parsed = NULL;
    if (json_is_string(arg)) {
        json_error_t jerr;
        parsed = json_loadb(json_string_value(arg), json_string_length(arg), 0, &jerr);
        if (!parsed) return rpc_error_set(err, RPC_INVALID_PARAMS, "typed data: invalid JSON: %s", jerr.text);
        arg = parsed;
    }
    uint8_t digest[32];
    char why[256];
    bool ok = eip712_digest(arg, digest, why, sizeof why);
    json_decref(parsed);
    if (!ok) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid typed data: %s", why);
    return sign_digest(key, digest, result, err);
}

/* ---- Transactions ------------------------------------------------------------------------------ */

/* eth_signTransaction(txObject): the raw signed transaction, not sent. */
static bool sign_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    rpc_call_args a;
    char why[200];
    if (!rpc_parse_call_args(rpc_arg(params, 0), &a, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    const uint8_t *key = NULL;
    bool ok = true;
    if (!a.has_from) ok = rpc_error_invalid_param(err, 0, "from: missing");
    else ok = (key = signer_key(n, &a.from, err)) != NULL;
    if (ok && a.has_blob_hashes)
        ok = rpc_error_set(err, RPC_INVALID_PARAMS, "blob transactions are signed by the client, with their blobs");
    transaction tx = {0};
    if (ok) ok = node_dev_fill_tx(n, &a, false, &tx, err);
    rpc_call_args_free(&a);
    if (ok && !tx_sign(&tx, key)) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "signing failed");
    if (ok) {
        buf_t raw = {0};
        tx_encode(&tx, &raw);
        *result = rpc_json_data(raw.data, raw.len);
        buf_free(&raw);
    }
    tx_free(&tx);
    return ok;
}

/* eth_fillTransaction(txObject): what eth_sendTransaction would send,
 * unsigned, as geth and anvil answer: {raw (a zero signature), tx}. */
static bool fill_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    rpc_call_args a;
    char why[200];
    if (!rpc_parse_call_args(rpc_arg(params, 0), &a, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    transaction tx = {0};
    bool ok = a.has_from ? node_dev_fill_tx(n, &a, true, &tx, err) : rpc_error_invalid_param(err, 0, "from: missing");
    if (ok) {
        buf_t raw = {0};
        tx.v = tx.r = tx.s = U256_ZERO;
        tx_encode(&tx, &raw);
        tx.hash = keccak256_hash(raw.data, raw.len);
        tx.sender = a.from;
        tx.sender_known = true;
        json_t *o = json_object();
        if (!o || json_object_set_new(o, "raw", rpc_json_data(raw.data, raw.len)) ||
            json_object_set_new(o, "tx", node_json_tx(&tx, NULL)))
            abort();
        buf_free(&raw);
        *result = o;
    }
    rpc_call_args_free(&a);
    tx_free(&tx);
    return ok;
}

void node_register_sign(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_fillTransaction", fill_transaction, n);
    rpc_methods_add(m, "eth_sign", eth_sign, n);
    rpc_methods_add(m, "personal_sign", personal_sign, n);
    rpc_methods_add(m, "eth_signTypedData_v4", sign_typed_data, n);
    rpc_methods_add(m, "eth_signTypedData", sign_typed_data, n);
    rpc_methods_add(m, "eth_signTypedData_v3", sign_typed_data, n); /* v4 encodes what v3 can express alike */
    rpc_methods_add(m, "eth_signTransaction", sign_transaction, n);
}
