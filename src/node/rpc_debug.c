/* Method group: raw chain data -- debug_getRawHeader, debug_getRawBlock,
 * debug_getRawReceipts (each receipt's consensus encoding),
 * debug_getRawTransactions (reth's: each transaction's EIP-2718 encoding)
 * and debug_getRawTransaction (null when unknown; pool transactions too),
 * debug_codeByHash and debug_dbGet (reth's: code by hash); and
 * debug_freeOSMemory (geth's: the heap's
 * free pages go back to the system, malloc_trim). */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "node_internal.h"
#include "parevm/hex.h"
#include "parevm/rlp.h"

/* Loads the block params[0] names; false with err (-32000 "block not
 * found" when it does not exist). */
static bool load(node *n, const json_t *params, unsigned what, node_read *r, node_block *nb, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    if (!node_read_open(n, r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found;
    if (!node_resolve_arg(r, params, 0, false, &number, &hash, &found, err)) goto fail;
    if (!found) {
        rpc_error_set(err, RPC_SERVER_ERROR, "block not found");
        goto fail;
    }
    const char *why = node_block_load(r, number, &hash, what, nb);
    if (why) {
        rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        goto fail;
    }
    return true;
fail:
    node_read_close(r);
    return false;
}

static bool raw_header(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_block nb;
    if (!load(ctx, params, 0, &r, &nb, err)) return false;
    *result = rpc_json_data(nb.header_rlp.data, nb.header_rlp.len);
    node_block_free(&nb);
    node_read_close(&r);
    return true;
}

static bool raw_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_block nb;
    if (!load(ctx, params, NODE_LOAD_BODY, &r, &nb, err)) return false;
    buf_t out = {0};
    block_encode(&nb.b, &out);
    *result = rpc_json_data(out.data, out.len);
    buf_free(&out);
    node_block_free(&nb);
    node_read_close(&r);
    return true;
}

static bool raw_receipts(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_block nb;
    if (!load(ctx, params, 0, &r, &nb, err)) return false;
    buf_t raw = {0};
    const char *why = db_read_receipts(r.snap, nb.number, &nb.hash, &raw);
    rlp_item list, item;
    json_t *out = json_array();
    if (!why && (rlp_decode(raw.data, raw.len, &list) || !list.is_list)) why = "corrupt receipts";
    if (!why) {
        rlp_iter it = rlp_iter_of(&list);
        rlp_err e;
        while ((e = rlp_next(&it, &item)) == RLP_OK)
            json_array_append_new(out, rpc_json_data(item.data, item.len));
        if (e != RLP_ERR_COUNT) why = "corrupt receipts";
    }
    buf_free(&raw);
    node_block_free(&nb);
    node_read_close(&r);
    if (why) {
        json_decref(out);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    }
    *result = out;
    return true;
}

static bool raw_transactions(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_block nb;
    if (!load(ctx, params, NODE_LOAD_BODY, &r, &nb, err)) return false;
    json_t *out = json_array();
    buf_t raw = {0};
    for (size_t i = 0; i < nb.b.n_txs; i++) {
        raw.len = 0;
        tx_encode(&nb.b.txs[i], &raw);
        json_array_append_new(out, rpc_json_data(raw.data, raw.len));
    }
    buf_free(&raw);
    node_block_free(&nb);
    node_read_close(&r);
    *result = out;
    return true;
}

static bool free_os_memory(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    malloc_trim(0);
    *result = json_null();
    return true;
}

/* The code with hash h that the head's state holds or once held (the
 * store keeps every code), dev edits included, as *result (null when
 * unknown, as reth answers). */
static bool code_json(node *n, const bytes32 *h, json_t **result, rpc_error *err) {
    if (bytes32_eq(h, &EMPTY_CODE_HASH)) {
        *result = rpc_json_data(NULL, 0);
        return true;
    }
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    const evm_code *code = NULL;
    const char *why = db_find_code(r.snap, h, &code);
    if (why == DB_NOT_FOUND) why = NULL, code = NULL;
    /* code set by a dev edit is in the store only once mined */
    const change_set *edits = node_patch_changes(r.patch);
    for (size_t i = 0; !why && !code && edits && i < edits->n_accounts; i++) {
        const account_change *a = &edits->accounts[i];
        if ((a->flags & CHANGE_CODE) && a->code && bytes32_eq(&a->code->hash, h)) code = a->code;
    }
    if (!why) *result = code ? rpc_json_data(code->bytes, code->len) : json_null();
    node_read_close(&r);
    return why ? rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why) : true;
}

/* debug_codeByHash(hash[, block]): see code_json. */
static bool code_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    bytes32 h;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &h);
    if (why) return rpc_error_invalid_param(err, 0, why);
    return code_json(ctx, &h, result, err);
}

/* debug_dbGet(key), reth's: a key of the database as geth's schema names
 * it; the only one served, as in reth, is 0x63 ('c') + a code hash (33
 * bytes, as hex with 0x or as the string's own bytes), answered with the
 * code (null when unknown); reth's errors for the others. */
static bool db_get(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *k = rpc_arg(params, 0);
    const char *text = json_string_value(k);
    if (!text) return rpc_error_invalid_param(err, 0, "invalid type: expected a string");
    uint8_t *key = NULL;
    size_t len = json_string_length(k);
    if (!strncmp(text, "0x", 2)) {
        if (!hex_decode_alloc(text, &key, &len) || (len && strlen(text) % 2))
            return free(key), rpc_error_set(err, RPC_INVALID_PARAMS, "Invalid hex key");
    } else {
        key = malloc(len ? len : 1);
        if (!key) abort();
        memcpy(key, text, len);
    }
    bool ok;
    if (len != 33) {
        ok = rpc_error_set(err, RPC_INVALID_PARAMS, "Key must be 33 bytes, got %zu", len);
    } else if (key[0] != 0x63) {
        ok = rpc_error_set(err, RPC_INVALID_PARAMS, "Key prefix must be 0x63");
    } else {
        bytes32 h;
        memcpy(h.b, key + 1, 32);
        ok = code_json(ctx, &h, result, err);
    }
    free(key);
    return ok;
}

void node_register_debug(node *n, rpc_methods *m) {
    rpc_methods_add(m, "debug_codeByHash", code_by_hash, n);
    rpc_methods_add(m, "debug_dbGet", db_get, n);
    rpc_methods_add(m, "debug_getRawHeader", raw_header, n);
    rpc_methods_add(m, "debug_getRawBlock", raw_block, n);
    rpc_methods_add(m, "debug_getRawReceipts", raw_receipts, n);
    rpc_methods_add(m, "debug_getRawTransactions", raw_transactions, n);
    rpc_methods_add(m, "debug_freeOSMemory", free_os_memory, n);
}
