/* Method group: the node itself -- web3_clientVersion, web3_sha3,
 * net_version (also eth_networkId, anvil's name), net_listening,
 * net_peerCount, eth_chainId, eth_syncing, eth_blockNumber, eth_coinbase,
 * eth_mining, eth_hashrate, eth_accounts (also eth_requestAccounts,
 * EIP-1102's), rpc_modules. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_dev.h"
#include "node_internal.h"
#include "parevm/keccak.h"
#include "parevm/version.h"

#define PAREVM_CLIENT_VERSION "parevm/v" PAREVM_VERSION "/linux-x86_64/c17"
/* A dev node names the anvil it answers like first: development tools
 * (hardhat-network-helpers among them) refuse to drive a node whose
 * version does not start with "anvil" or "hardhatnetwork". */
#define PAREVM_DEV_CLIENT_VERSION "anvil/v1.7.1 (" PAREVM_CLIENT_VERSION ")"

static bool client_version(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    const node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_string(n->dev ? PAREVM_DEV_CLIENT_VERSION : PAREVM_CLIENT_VERSION);
    return true;
}

static bool sha3(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint8_t *data;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &data, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bytes32 h = keccak256_hash(data, len);
    free(data);
    *result = rpc_json_hash(&h);
    return true;
}

static bool net_version(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, node_chain_id(n));
    *result = json_string(s);
    return true;
}

static bool net_listening(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_true();
    return true;
}

static bool zero_quantity(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = rpc_json_u64(0);
    return true;
}

static bool chain_id(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = rpc_json_u64(node_chain_id(n));
    return true;
}

static bool syncing(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_false();
    return true;
}

static bool block_number(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    *result = rpc_json_u64(r.head);
    node_read_close(&r);
    return true;
}

static bool coinbase(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    /* what dev blocks pay (zero unless anvil_setCoinbase, as anvil's) */
    address a = node_dev_coinbase(n->dev);
    *result = rpc_json_address(&a);
    return true;
}

static bool mining(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_boolean(n->dev != NULL);
    return true;
}

static bool accounts(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    json_t *list = json_array();
    address a;
    uint8_t key[32];
    for (unsigned i = 0; n->dev && node_dev_account(n, i, &a, key); i++) json_array_append_new(list, rpc_json_address(&a));
    if (n->dev) node_dev_list_impersonated(n, list); /* anvil's eth_accounts lists them too */
    *result = list;
    return true;
}

/* rpc_modules, as geth answers it: the namespaces the port serves (ctx: its
 * method table, after --http.api), each "1.0", rpc itself among them (geth
 * registers it on every endpoint: rpc/server.go NewServer). */
static bool modules(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    const rpc_methods *m = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    json_t *o = json_object();
    for (size_t i = 0; i < rpc_methods_count(m); i++) {
        const char *name = rpc_methods_name(m, i);
        size_t len = rpc_method_namespace_len(name);
        char ns[32];
        if (len >= sizeof ns) continue;
        memcpy(ns, name, len);
        ns[len] = 0;
        json_object_set_new(o, ns, json_string("1.0"));
    }
    *result = o;
    return true;
}

void node_register_web3(node *n, rpc_methods *m) {
    rpc_methods_add(m, "web3_clientVersion", client_version, n);
    rpc_methods_add(m, "web3_sha3", sha3, n);
    rpc_methods_add(m, "net_version", net_version, n);
    rpc_methods_add(m, "eth_networkId", net_version, n); /* anvil's name of it */
    rpc_methods_add(m, "net_listening", net_listening, n);
    rpc_methods_add(m, "net_peerCount", zero_quantity, n);
    rpc_methods_add(m, "eth_chainId", chain_id, n);
    rpc_methods_add(m, "eth_syncing", syncing, n);
    rpc_methods_add(m, "eth_blockNumber", block_number, n);
    /* dev mode only: geth no longer has it, reth refuses it (a node has no
     * fee recipient of its own; payloads name theirs) */
    if (n->dev) rpc_methods_add(m, "eth_coinbase", coinbase, n);
    rpc_methods_add(m, "eth_mining", mining, n);
    rpc_methods_add(m, "eth_hashrate", zero_quantity, n);
    rpc_methods_add(m, "eth_accounts", accounts, n);
    rpc_methods_add(m, "eth_requestAccounts", accounts, n); /* EIP-1102's, as anvil */
    rpc_methods_add(m, "rpc_modules", modules, m);
}
