/* Method group (dev mode only): anvil's ERC-20 edits -- anvil_dealERC20
 * (also anvil_setERC20Balance, hardhat_dealERC20) and
 * anvil_setERC20Allowance. Neither knows the token's storage layout: as
 * anvil does, it lists the slots balanceOf(owner) (allowance(owner,
 * spender)) reads (eth_createAccessList), and takes the first slot that,
 * overridden with the amount, makes the call return it (eth_call with a
 * state override); anvil_setStorageAt then writes it. Everything goes
 * through the node's own methods, so it sees the head with its edits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "node_dev.h"
#include "parevm/hex.h"

/* One of the node's methods run in-process; params is taken. */
static bool self_call(node *n, const char *method, json_t *params, json_t **result, rpc_error *err) {
    if (!params) abort();
    bool ok = rpc_call(n->methods, method, params, result, err);
    json_decref(params);
    return ok;
}

/* Whether calling token with data, slot overridden to word, returns word
 * (as a uint256: at least 32 bytes, the first 32 equal). */
static bool slot_answers(node *n, const char *token, const char *data, const char *slot, const char *word) {
    json_t *res = NULL;
    rpc_error e = {0};
    json_t *params = json_pack("[{s:s, s:s}, s, {s:{s:{s:s}}}]", "to", token, "input", data, "latest", token,
                               "stateDiff", slot, word);
    bool ok = self_call(n, "eth_call", params, &res, &e) && json_is_string(res) &&
              strlen(json_string_value(res)) >= 66 && !strncasecmp(json_string_value(res) + 2, word + 2, 64);
    json_decref(res);
    rpc_error_clear(&e);
    return ok;
}

/* Sets the slot of token that the view call data reads, found by trying
 * each accessed one, to amount. *found false when none answers. */
static bool set_read_slot(node *n, const address *token, const uint8_t *data, size_t len, const u256 *amount,
                          bool *found, rpc_error *err) {
    char to[43], word[67], *input = malloc(2 * len + 3);
    if (!input) abort();
    hex_encode(token->b, 20, to);
    hex_encode(data, len, input);
    bytes32 w = u256_to_bytes32(amount);
    hex_encode(w.b, 32, word);
    *found = false;
    json_t *list = NULL;
    bool ok = self_call(n, "eth_createAccessList", json_pack("[{s:s, s:s}]", "to", to, "input", input), &list, err);
    const json_t *entries = json_object_get(list, "accessList"), *entry;
    size_t i;
    json_array_foreach(entries, i, entry) {
        if (!ok || *found) break;
        const char *addr = json_string_value(json_object_get(entry, "address"));
        if (!addr || strcasecmp(addr, to)) continue;
        const json_t *keys = json_object_get(entry, "storageKeys"), *key;
        size_t k;
        json_array_foreach(keys, k, key) {
            const char *slot = json_string_value(key);
            if (!slot || !slot_answers(n, to, input, slot, word)) continue;
            json_t *res = NULL;
            ok = self_call(n, "anvil_setStorageAt", json_pack("[s, s, s]", to, slot, word), &res, err);
            json_decref(res);
            *found = true;
            break;
        }
    }
    json_decref(list);
    free(input);
    return ok;
}

/* The ABI call: a selector and address words. */
static size_t abi_call(uint8_t *out, const uint8_t sel[4], const address *a, const address *b) {
    memset(out, 0, 4 + 64);
    memcpy(out, sel, 4);
    memcpy(out + 4 + 12, a->b, 20);
    if (!b) return 4 + 32;
    memcpy(out + 4 + 32 + 12, b->b, 20);
    return 4 + 64;
}

static bool parse_addrs(const json_t *params, size_t n, address *out, rpc_error *err) {
    for (size_t i = 0; i < n; i++) {
        const char *why = rpc_parse_address(rpc_arg(params, i), &out[i]);
        if (why) return rpc_error_invalid_param(err, i, why);
    }
    return true;
}

/* One of the two edits: params are n_addrs addresses (the view call's
 * arguments, then the token) and the amount; the view call is sel with
 * those arguments. */
static bool erc20_edit(node *n, const json_t *params, const uint8_t sel[4], size_t n_addrs, const char *what,
                       json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, n_addrs + 1, n_addrs + 1, err)) return false;
    address a[3];
    u256 amount;
    if (!parse_addrs(params, n_addrs, a, err)) return false;
    const char *why = node_dev_u256(rpc_arg(params, n_addrs), &amount);
    if (why) return rpc_error_invalid_param(err, n_addrs, why);
    uint8_t data[68];
    size_t len = abi_call(data, sel, &a[0], n_addrs == 3 ? &a[1] : NULL);
    bool found;
    if (!set_read_slot(n, &a[n_addrs - 1], data, len, &amount, &found, err)) return false;
    if (!found) return rpc_error_set(err, RPC_INTERNAL_ERROR, "Unable to set ERC20 %s, no slot found", what);
    *result = json_null();
    return true;
}

/* anvil_dealERC20(owner, token, amount): balanceOf(owner) */
static bool deal(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    static const uint8_t BALANCE_OF[4] = {0x70, 0xa0, 0x82, 0x31};
    return erc20_edit(ctx, params, BALANCE_OF, 2, "balance", result, err);
}

/* anvil_setERC20Allowance(owner, spender, token, amount): allowance(owner, spender) */
static bool set_allowance(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    static const uint8_t ALLOWANCE[4] = {0xdd, 0x62, 0xed, 0x3e};
    return erc20_edit(ctx, params, ALLOWANCE, 3, "allowance", result, err);
}

void node_register_dev_erc20(node *n, rpc_methods *m) {
    rpc_methods_add(m, "anvil_dealERC20", deal, n);
    rpc_methods_add(m, "anvil_setERC20Balance", deal, n);
    rpc_methods_add(m, "hardhat_dealERC20", deal, n);
    rpc_methods_add(m, "anvil_setERC20Allowance", set_allowance, n);
}
