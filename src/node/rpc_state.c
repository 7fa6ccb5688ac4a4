/* Method group: account state at any block -- eth_getBalance, eth_getCode,
 * eth_getStorageAt, eth_getStorageValues (many slots of many accounts, at
 * most 1024), eth_getTransactionCount (the pool's next nonce for
 * "pending"), eth_getAccountInfo (balance, nonce and code). The block argument is a tag, a number or an EIP-1898 object;
 * past blocks are read through the store's change sets. */
#include <stdio.h>
#include <stdlib.h>
#include "node_internal.h"

/* Parses the address argument and opens the state named by the last one
 * (argument max - 1); with pending_is_head, "pending" opens the head's
 * state. *pending (may be NULL) says "pending" was asked. */
static bool open_at(node *n, const json_t *params, size_t max, bool pending_is_head, bool *pending, node_read *r,
                    node_state *st, address *a, rpc_error *err) {
    if (!rpc_check_args(params, max - 1, max, err)) return false;
    const char *why = rpc_parse_address(rpc_arg(params, 0), a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    rpc_block_ref ref;
    if ((why = rpc_parse_block_ref(rpc_arg(params, max - 1), &ref))) return rpc_error_invalid_param(err, max - 1, why);
    if (pending) *pending = ref.kind == RPC_BLOCK_PENDING;
    if (pending_is_head && ref.kind == RPC_BLOCK_PENDING) ref.kind = RPC_BLOCK_LATEST;
    if (!node_read_open(n, r, err)) return false;
    if (!node_state_open(r, &ref, st, err)) {
        node_read_close(r);
        return false;
    }
    return true;
}

/* Parses the address argument, opens the state named by the last one. */
static bool open_for(node *n, const json_t *params, size_t max, node_read *r, node_state *st, address *a,
                     rpc_error *err) {
    return open_at(n, params, max, false, NULL, r, st, a, err);
}

static void close_all(node_read *r, node_state *st) {
    node_state_close(st);
    node_read_close(r);
}

static bool get_balance(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_state st;
    address a;
    if (!open_for(ctx, params, 2, &r, &st, &a, err)) return false;
    account_info info;
    st.view.ops->get_account(st.view.ctx, &a, FIELD_BALANCE, &info);
    bool ok = !node_state_failed(&st, err);
    if (ok) *result = rpc_json_u256(&info.balance);
    close_all(&r, &st);
    return ok;
}

static bool get_code(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_state st;
    address a;
    if (!open_for(ctx, params, 2, &r, &st, &a, err)) return false;
    const evm_code *code = st.view.ops->get_code(st.view.ctx, &a);
    bool ok = !node_state_failed(&st, err);
    if (ok) *result = rpc_json_data(code->bytes, code->len);
    close_all(&r, &st);
    return ok;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A storage key as geth takes it: hex (0x optional, odd length padded) of
 * at most 32 bytes, left-padded. The errors carry geth's wording. */
static bool parse_slot(const json_t *v, u256 *out, rpc_error *err) {
    if (!json_is_string(v)) return rpc_error_set(err, RPC_INVALID_PARAMS, "storage key must be a hex string");
    const char *s = json_string_value(v), *text = s;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    size_t digits = strlen(s);
    for (size_t i = 0; i < digits; i++)
        if (hexval(s[i]) < 0) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid hex in storage key: \"%.80s\"", text);
    if ((digits + 1) / 2 > 32)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "storage key too long (want at most 32 bytes): \"%.80s\"", text);
    uint8_t b[32] = {0};
    for (size_t i = 0; i < digits; i++) {
        size_t nib = 64 - digits + i; /* right-aligned nibble index */
        b[nib / 2] |= (uint8_t)(hexval(s[i]) << (nib % 2 ? 0 : 4));
    }
    *out = u256_from_be(b, 32);
    return true;
}

static bool get_storage(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 2, 3, err)) return false;
    u256 slot;
    if (!parse_slot(rpc_arg(params, 1), &slot, err)) return false;
    node_read r;
    node_state st;
    address a;
    if (!open_for(ctx, params, 3, &r, &st, &a, err)) return false;
    u256 v = st.view.ops->get_storage(st.view.ctx, &a, &slot);
    bool ok = !node_state_failed(&st, err);
    if (ok) {
        bytes32 w = u256_to_bytes32(&v);
        *result = rpc_json_hash(&w);
    }
    close_all(&r, &st);
    return ok;
}

static bool get_nonce(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    node_read r;
    node_state st;
    address a;
    bool pending = false;
    /* outside dev mode geth's pool nonce (txpool.Nonce): over the head's
     * state, not the pending block's (whose authorizations may have moved
     * a nonce), and without building that block */
    if (!open_at(n, params, 2, !n->dev, &pending, &r, &st, &a, err)) return false;
    account_info info;
    st.view.ops->get_account(st.view.ctx, &a, FIELD_NONCE, &info);
    bool ok = !node_state_failed(&st, err);
    if (ok) {
        uint64_t nonce = info.nonce;
        if (pending) nonce = txpool_next_nonce(n->pool, &a, nonce);
        *result = rpc_json_u64(nonce);
    }
    close_all(&r, &st);
    return ok;
}

/* eth_getAccountInfo(address, block): balance, nonce and code in one call
 * (reth's and anvil's). */
static bool get_account_info(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_read r;
    node_state st;
    address a;
    if (!open_for(ctx, params, 2, &r, &st, &a, err)) return false;
    account_info info;
    st.view.ops->get_account(st.view.ctx, &a, FIELD_BALANCE | FIELD_NONCE, &info);
    const evm_code *code = st.view.ops->get_code(st.view.ctx, &a);
    bool ok = !node_state_failed(&st, err);
    if (ok)
        *result = json_pack("{s:o,s:o,s:o}", "balance", rpc_json_u256(&info.balance), "nonce", rpc_json_u64(info.nonce),
                            "code", rpc_json_data(code->bytes, code->len));
    close_all(&r, &st);
    return ok;
}

enum { MAX_STORAGE_VALUES = 1024 };

static bool get_storage_values(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    const json_t *req = rpc_arg(params, 0);
    if (!json_is_object(req)) return rpc_error_invalid_param(err, 0, "expected an object of address -> storage keys");
    if (json_object_size(req) == 0) return rpc_error_set(err, RPC_INVALID_PARAMS, "empty request");
    const char *key;
    const json_t *slots;
    size_t total = 0;
    json_object_foreach((json_t *)req, key, slots) {
        if (!json_is_array(slots)) return rpc_error_invalid_param(err, 0, "storage keys must be a list");
        total += json_array_size(slots);
    }
    if (total > MAX_STORAGE_VALUES)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "too many storage keys (at most %d)", MAX_STORAGE_VALUES);
    node_read r;
    node_state st;
    if (!node_read_open(ctx, &r, err)) return false;
    if (!node_state_arg(&r, params, 1, &st, err)) {
        node_read_close(&r);
        return false;
    }
    json_t *out = json_object();
    bool ok = true;
    json_object_foreach((json_t *)req, key, slots) {
        address a;
        json_t *k = json_string(key);
        const char *why = rpc_parse_address(k, &a);
        json_decref(k);
        if (why) {
            ok = rpc_error_invalid_param(err, 0, why);
            break;
        }
        json_t *vals = json_array();
        for (size_t i = 0; ok && i < json_array_size(slots); i++) {
            u256 slot;
            if (!(ok = parse_slot(json_array_get(slots, i), &slot, err))) break;
            u256 v = st.view.ops->get_storage(st.view.ctx, &a, &slot);
            bytes32 w = u256_to_bytes32(&v);
            json_array_append_new(vals, rpc_json_hash(&w));
        }
        json_t *name = rpc_json_address(&a);
        json_object_set_new(out, json_string_value(name), vals);
        json_decref(name);
    }
    if (ok) ok = !node_state_failed(&st, err);
    close_all(&r, &st);
    if (!ok) {
        json_decref(out);
        return false;
    }
    *result = out;
    return true;
}

void node_register_state(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_getStorageValues", get_storage_values, n);
    rpc_methods_add(m, "eth_getBalance", get_balance, n);
    rpc_methods_add(m, "eth_getCode", get_code, n);
    rpc_methods_add(m, "eth_getStorageAt", get_storage, n);
    rpc_methods_add(m, "eth_getTransactionCount", get_nonce, n);
    rpc_methods_add(m, "eth_getAccountInfo", get_account_info, n);
}
