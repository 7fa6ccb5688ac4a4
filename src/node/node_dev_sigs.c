/* Dev mode's anvil_impersonateSignature: a signature registered with an
 * address makes the ecrecover precompile answer that address for it
 * (state_host_options.recover_override, through node_host in every
 * execution of the dev node: mined blocks, calls, traces and replays), and
 * an EIP-7702 authorization whose own signature is invalid takes it as its
 * authority (exec.c), as anvil's cheat does. The pairs last as long as the node
 * (anvil_reset and evm_revert keep them, as anvil's). */
#include <stdlib.h>
#include "node_dev.h"

enum { MAX_SIGS = 1 << 16 };

static bool lookup(node_dev *d, const uint8_t sig[65], address *out) {
    if (!atomic_load_explicit(&d->n_sigs, memory_order_relaxed)) return false;
    bool found = false;
    pthread_mutex_lock(&d->sig_mu);
    for (size_t i = 0; i < d->n_sigs && !found; i++)
        if (!memcmp(d->sigs[i].sig, sig, 65)) {
            *out = d->sigs[i].addr;
            found = true;
        }
    pthread_mutex_unlock(&d->sig_mu);
    return found;
}

static bool recover_override(void *arg, const uint8_t sig[65], address *out) { return lookup(arg, sig, out); }

void node_dev_sigs_init(node_dev *d) {
    pthread_mutex_init(&d->sig_mu, NULL);
    atomic_init(&d->n_sigs, 0);
    d->host = (state_host_options){.recover_override = recover_override, .recover_arg = d};
}

void node_dev_sigs_free(node_dev *d) {
    free(d->sigs);
    pthread_mutex_destroy(&d->sig_mu);
}

/* A pair; false when there is no more room. A signature registered again
 * gets the new address. */
static bool add(node_dev *d, const uint8_t sig[65], const address *a) {
    pthread_mutex_lock(&d->sig_mu);
    bool ok = true;
    size_t i = 0;
    while (i < d->n_sigs && memcmp(d->sigs[i].sig, sig, 65)) i++;
    if (i == d->n_sigs) {
        if (d->n_sigs == MAX_SIGS) {
            ok = false;
        } else {
            if (d->n_sigs == d->cap_sigs) {
                d->cap_sigs = d->cap_sigs ? 2 * d->cap_sigs : 8;
                d->sigs = realloc(d->sigs, d->cap_sigs * sizeof *d->sigs);
                if (!d->sigs) abort();
            }
            memcpy(d->sigs[i].sig, sig, 65);
            atomic_store(&d->n_sigs, d->n_sigs + 1);
        }
    }
    if (ok) d->sigs[i].addr = *a;
    pthread_mutex_unlock(&d->sig_mu);
    return ok;
}

/* anvil_impersonateSignature([signature, address]): null. anvil's own
 * parameters are that pair inside the list ([[signature, address]]); the
 * plain [signature, address] is taken too. anvil takes signatures of any
 * length, and only 65-byte ones can ever match; so here other lengths are
 * accepted and kept nowhere. */
static bool impersonate_signature(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    const json_t *inner = json_array_get(params, 0);
    if (json_array_size(params) == 1 && json_is_array(inner)) params = inner;
    if (!rpc_check_args(params, 2, 2, err)) return false;
    uint8_t *sig;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &sig, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    address a;
    if ((why = rpc_parse_address(rpc_arg(params, 1), &a))) {
        free(sig);
        return rpc_error_invalid_param(err, 1, why);
    }
    bool ok = len != 65 || add(n->dev, sig, &a);
    free(sig);
    if (!ok) return rpc_error_set(err, RPC_SERVER_ERROR, "too many impersonated signatures (at most %d)", MAX_SIGS);
    *result = json_null();
    return true;
}

void node_register_dev_sigs(node *n, rpc_methods *m) {
    rpc_methods_add(m, "anvil_impersonateSignature", impersonate_signature, n);
}
