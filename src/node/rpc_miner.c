/* Method group (open port, only when --http.api names miner, as geth
 * serves it): geth's miner_setGasLimit, miner_setExtra and
 * miner_setGasPrice, which change how the Engine API's payloads are built
 * from the next build on (node_config's builder_gas_limit, builder_extra
 * and builder_min_tip); miner_setGasPrice also sets the lowest tip the
 * pool accepts and, when it raises it, drops the pool's transactions that
 * tip less, as geth's does. */
#include "node_internal.h"

static bool set_gas_limit(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    uint64_t v;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *why = rpc_parse_u64(rpc_arg(params, 0), &v);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&n->miner_mu);
    n->miner_gas_limit = v; /* below 5000 moves towards 5000 (engine_gas_limit) */
    pthread_mutex_unlock(&n->miner_mu);
    *result = json_true();
    return true;
}

/* The string's own bytes, as geth takes them (not hex). */
static bool set_extra(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *v = rpc_arg(params, 0);
    if (!json_is_string(v))
        return rpc_error_invalid_param(err, 0, "json: cannot unmarshal non-string into Go value of type string");
    size_t len = json_string_length(v);
    if (len > sizeof n->miner_extra)
        return rpc_error_set(err, RPC_SERVER_ERROR, "extra exceeds max length. %zu > 32", len);
    pthread_mutex_lock(&n->miner_mu);
    memcpy(n->miner_extra, json_string_value(v), len);
    n->miner_extra_len = len;
    pthread_mutex_unlock(&n->miner_mu);
    *result = json_true();
    return true;
}

static bool set_gas_price(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    u256 tip;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *why = rpc_parse_u256(rpc_arg(params, 0), &tip);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&n->miner_mu);
    n->miner_min_tip = tip;
    pthread_mutex_unlock(&n->miner_mu);
    txpool_set_min_tip(n->pool, &tip);
    *result = json_true();
    return true;
}

void node_register_miner(node *n, rpc_methods *m) {
    rpc_methods_add(m, "miner_setGasLimit", set_gas_limit, n);
    rpc_methods_add(m, "miner_setExtra", set_extra, n);
    rpc_methods_add(m, "miner_setGasPrice", set_gas_price, n);
}
