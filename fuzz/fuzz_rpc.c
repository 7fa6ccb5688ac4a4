/* libFuzzer target for the JSON-RPC front: arbitrary bytes as an HTTP body
 * through rpc_process, with methods that run every parameter codec on
 * every argument, and as a JWT. Nothing may crash or leak; a response, when
 * due, must be valid JSON. */
#include <stdlib.h>
#include <string.h>
#include "parevm/jwt.h"
#include "parevm/rpc.h"
#include "parevm/rpc_codec.h"

static bool m_scalars(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    size_t i;
    json_t *v;
    json_array_foreach(params, i, v) {
        uint64_t x;
        u256 w;
        uint8_t *d = NULL;
        size_t n;
        address a;
        bytes32 h;
        rpc_block_ref r;
        if (!rpc_parse_u64(v, &x)) json_decref(rpc_json_u64(x));
        if (!rpc_parse_u256(v, &w)) json_decref(rpc_json_u256(&w));
        if (!rpc_parse_data(v, &d, &n)) {
            json_decref(rpc_json_data(d, n));
            free(d);
        }
        if (!rpc_parse_address(v, &a)) json_decref(rpc_json_address(&a));
        if (!rpc_parse_hash(v, &h)) json_decref(rpc_json_hash(&h));
        (void)rpc_parse_block_ref(v, &r);
        (void)rpc_parse_block_number(v, &r);
    }
    return rpc_check_args(params, 0, 8, err);
}

static bool m_objects(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    char msg[200];
    rpc_call_args c;
    rpc_state_override o;
    rpc_block_override b;
    if (rpc_parse_call_args(rpc_arg(params, 0), &c, msg, sizeof msg)) rpc_call_args_free(&c);
    if (rpc_parse_state_override(rpc_arg(params, 1), &o, msg, sizeof msg)) rpc_state_override_free(&o);
    (void)rpc_parse_block_override(rpc_arg(params, 2), &b, msg, sizeof msg);
    const json_t *rev = rpc_arg(params, 3);
    uint8_t *d;
    size_t n;
    if (rev && !rpc_parse_data(rev, &d, &n)) {
        rpc_error_revert(err, d, n);
        free(d);
        return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static rpc_methods *m;
    if (!m) {
        m = rpc_methods_new();
        rpc_methods_add(m, "s", m_scalars, NULL);
        rpc_methods_add(m, "o", m_objects, NULL);
    }
    size_t len;
    char *out = rpc_process(m, (const char *)data, size, 16, &len);
    if (out) {
        json_t *v = json_loads(out, 0, NULL);
        if (!v || strlen(out) != len) abort();
        json_decref(v);
        free(out);
    }
    static const uint8_t secret[32] = {1};
    (void)jwt_verify(secret, (const char *)data, size, 1700000000);
    return 0;
}
