/* Method group: simulated calls -- eth_call, eth_estimateGas and
 * eth_createAccessList, on the state after any block, with state overrides
 * (balance, nonce, code, state, stateDiff) and, for eth_call, block
 * overrides, following geth:
 *
 * - the call runs in the block's own environment (number, timestamp, base
 *   fee... of the block named), with exec_call's rules (no signature, the
 *   state's nonce, no EIP-3607, no block gas limit or EIP-7825 cap);
 * - gas defaults to the node's gas cap and is capped by it; a call without
 *   fee fields pays nothing and sees a zero base fee (geth's NoBaseFee);
 * - a revert is error 3 with the revert data, an exceptional halt -32000
 *   in geth's words (node_halt_error), an invalid call -32000 with the
 *   rule broken;
 * - eth_estimateGas searches like geth: a plain transfer is 21000, else
 *   run at the cap, then binary search between the gas used and the cap,
 *   stopping within 1.5%;
 * - eth_createAccessList re-runs the call with the addresses and slots it
 *   read until the list stops changing (sender, recipient and precompiles
 *   left out). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_internal.h"
#include "parevm/chain_rules.h"
#include "parevm/exec.h"
#include "node_build.h"
#include "node_call.h"
#include "node_dev.h"

/* ---- Transactions from call objects ------------------------------------------------------ */

void node_call_tx(const rpc_call_args *a, uint64_t chain_id, fork_id fork, uint64_t gas, transaction *tx) {
    memset(tx, 0, sizeof *tx);
    bool dynamic = a->has_max_fee || a->has_max_priority_fee;
    if (a->has_type) tx->type = a->type;
    else if (a->has_auths) tx->type = TX_SET_CODE;
    else if (a->has_blob_hashes) tx->type = TX_BLOB;
    else if (dynamic || (!a->has_gas_price && !a->has_access_list && fork >= FORK_LONDON)) tx->type = TX_DYNAMIC_FEE;
    else if (a->has_access_list) tx->type = TX_ACCESS_LIST;
    else tx->type = TX_LEGACY;
    tx->has_chain_id = tx->type != TX_LEGACY;
    tx->chain_id = a->has_chain_id ? a->chain_id : chain_id;
    tx->nonce = a->nonce;
    tx->gas_price = a->gas_price;
    if (tx->type >= TX_DYNAMIC_FEE) {
        tx->max_fee = a->has_gas_price ? a->gas_price : a->max_fee;
        tx->max_priority_fee = a->has_gas_price ? a->gas_price : a->max_priority_fee;
    }
    tx->gas_limit = gas;
    tx->has_to = a->has_to;
    tx->to = a->to;
    tx->value = a->value;
    tx->data = a->data;
    tx->data_len = a->data_len;
    tx->access_list = a->access_list;
    tx->access_list_len = a->access_list_len;
    tx->max_fee_per_blob_gas = a->max_fee_per_blob_gas;
    tx->blob_hashes = a->blob_hashes;
    tx->n_blob_hashes = a->n_blob_hashes;
    tx->sender = a->from;
    tx->sender_known = true;
    tx->r = tx->s = u256_from_u64(1); /* unsigned: the static rules see harmless values */
}

bool node_call_auths(const rpc_call_args *a, transaction *tx) {
    if (!a->n_auths) return true;
    tx->auths = calloc(a->n_auths, sizeof *tx->auths);
    if (!tx->auths) abort();
    tx->n_auths = a->n_auths;
    for (size_t i = 0; i < a->n_auths; i++) {
        const rpc_authorization *s = &a->auths[i];
        authorization *d = &tx->auths[i];
        if (s->y_parity > 255) return false;
        d->chain_id = s->chain_id;
        d->addr = s->addr;
        d->nonce = s->nonce;
        d->y_parity = (uint8_t)s->y_parity;
        d->r = s->r;
        d->s = s->s;
        tx_auth_recover(d);
    }
    return true;
}

/* ---- Call environment --------------------------------------------------------------------- */

void node_override_changes(const rpc_state_override *o, code_store *codes, change_set *cs) {
    for (size_t i = 0; i < o->n; i++) {
        const rpc_account_override *a = &o->accounts[i];
        /* geth's Apply writes only the fields given: an override of none
         * (or only movePrecompileToAddress) leaves the account as it is */
        if (!a->has_balance && !a->has_nonce && !a->has_code && a->storage != RPC_STORAGE_REPLACE && !a->n_slots)
            continue;
        account_change *ac = change_set_add_account(cs, &a->addr);
        ac->flags = CHANGE_TOUCHED;
        if (a->has_balance) {
            ac->flags |= CHANGE_BALANCE;
            ac->balance = a->balance;
        }
        if (a->has_nonce) {
            ac->flags |= CHANGE_NONCE;
            ac->nonce = a->nonce;
        }
        if (a->has_code) {
            ac->flags |= CHANGE_CODE;
            ac->code = code_store_intern(codes, a->code, a->code_len);
        }
        if (a->storage == RPC_STORAGE_REPLACE) ac->flags |= CHANGE_CREATED;
        for (size_t k = 0; k < a->n_slots; k++) {
            u256 key = u256_from_bytes32(&a->slots[k].key), val = u256_from_bytes32(&a->slots[k].value);
            change_set_add_slot(cs, ac, &key, &val);
        }
    }
}

bool node_call_begin(node *n, node_read *r, const json_t *params, size_t block_arg, const rpc_state_override *ov,
                     const rpc_block_override *bo, node_call *c, rpc_error *err) {
    memset(c, 0, sizeof *c);
    c->n = n;
    if (!node_state_arg(r, params, block_arg, &c->st, err)) return false;
    c->codes = code_store_new();
    c->view = c->st.view;
    if (ov && ov->n) {
        change_set cs = {0};
        node_override_changes(ov, c->codes, &cs);
        c->layer = block_state_new(c->st.view, c->codes);
        block_state_apply(c->layer, &cs);
        change_set_free(&cs);
        c->view = block_state_view(c->layer);
    }
    block_rules rules = node_rules(n, &c->st.header);
    c->env = block_env_of(&c->st.header, &rules);
    if (c->st.pending) node_call_next_block(c);
    if (bo) {
        if (bo->has_number) c->env.number = bo->number;
        if (bo->has_time) c->env.timestamp = bo->time;
        if (bo->has_gas_limit) c->env.gas_limit = bo->gas_limit;
        if (bo->has_fee_recipient) c->env.coinbase = bo->fee_recipient;
        if (bo->has_prev_randao) c->env.prevrandao = u256_from_bytes32(&bo->prev_randao);
        if (bo->has_difficulty && c->env.fork < FORK_PARIS) c->env.prevrandao = bo->difficulty;
        if (bo->has_base_fee) c->env.base_fee = bo->base_fee;
        if (bo->has_blob_base_fee) c->env.blob_base_fee = bo->blob_base_fee;
        if (bo->has_number || bo->has_time) {
            /* geth's doCall takes the rules (fork, precompiles) from the
             * overridden number and time; the blob base fee stays the
             * block's (or the override's) */
            block_header h = c->st.header;
            h.number = c->env.number;
            h.timestamp = c->env.timestamp;
            block_rules rules = node_rules(n, &h);
            u256 blob_base_fee = c->env.blob_base_fee;
            c->env.fork = rules.fork;
            c->env.max_code_size = rules.max_code_size;
            c->env.no_tx_gas_cap = rules.no_tx_gas_cap;
            if (rules.fork >= FORK_CANCUN) block_env_set_blob_params(&c->env, &rules.blob);
            c->env.blob_base_fee = blob_base_fee;
        }
    }
    if (ov && ov->n) {
        size_t n_pcs;
        bool changed;
        if (!node_precompiles_overridden(ov, c->env.fork, c->pcs, c->runs, &n_pcs, &changed, err)) {
            node_call_end(c);
            return false;
        }
        if (changed) {
            const state_host_options *dev = c->env.host; /* anvil_impersonateSignature's */
            if (dev) c->host = *dev;
            c->host.has_precompiles = true;
            c->host.precompiles = c->pcs;
            c->host.runs = c->runs;
            c->host.n_precompiles = n_pcs;
            c->has_host = true;
            c->env.host = &c->host;
        }
    }
    c->ex = node_executor_get(n);
    return true;
}

void node_call_next_block(node_call *c) {
    /* outside dev mode, geth's pending block's own header */
    block_header next = !c->n->dev && c->st.pending_block ? c->st.pending_block->b.header
                                                          : node_next_header(c->n, &c->st.header);
    /* anvil_setNextBlockBaseFeePerGas: the next block's fee, as it will be mined */
    if (c->n->dev && next.has_base_fee) node_dev_next_base_fee(c->n->dev, &next.base_fee);
    block_rules rules = node_rules(c->n, &next);
    c->env = block_env_of(&next, &rules);
    if (c->has_host) c->env.host = &c->host;
}

void node_call_end(node_call *c) {
    if (c->ex) node_executor_put(c->n, c->ex);
    if (c->layer) block_state_free(c->layer);
    node_state_close(&c->st);
    if (c->codes) code_store_free(c->codes);
    memset(c, 0, sizeof *c);
}

block_env node_call_env(const node_call *c, const transaction *tx) {
    block_env env = c->env;
    /* geth: a call that pays no gas price sees no base fee */
    bool free_gas = tx->type >= TX_DYNAMIC_FEE ? u256_is_zero(&tx->max_fee) && u256_is_zero(&tx->max_priority_fee)
                                               : u256_is_zero(&tx->gas_price);
    if (free_gas) env.base_fee = U256_ZERO;
    if (tx->type == TX_BLOB && u256_is_zero(&tx->max_fee_per_blob_gas)) env.blob_base_fee = U256_ZERO;
    return env;
}

void node_call_run(node_call *c, const transaction *tx, tx_result *res) {
    block_env env = node_call_env(c, tx);
    exec_call(c->ex, &env, c->view, c->codes, tx, res);
}

const char *node_halt_error(executor *ex, const block_env *env, state_view view, code_store *codes,
                            const transaction *tx, const exec_call_options *opt, evm_status st, char *buf, size_t n) {
    trace_config cfg;
    memset(&cfg, 0, sizeof cfg); /* no deadline */
    cfg.kind = TRACER_CALL;
    cfg.only_top_call = true;
    cfg.call_options = opt;
    tx_result res;
    char e[128];
    json_t *t = trace_tx_on(&cfg, ex, env, view, codes, tx, 0, 0, true, &res, e, sizeof e);
    const char *m = json_string_value(json_object_get(t, "error"));
    snprintf(buf, n, "%s", m && res.valid && res.status == st ? m : trace_status_error(st));
    json_decref(t);
    return buf;
}

const char *node_call_halt_error(node_call *c, const transaction *tx, evm_status st, char *buf, size_t n) {
    block_env env = node_call_env(c, tx);
    return node_halt_error(c->ex, &env, c->view, c->codes, tx, NULL, st, buf, n);
}

const char *node_call_invalid_message(state_view view, const block_env *env, const transaction *tx, const char *why,
                                      char *buf, size_t n) {
    char reason[320];
    if (!trace_invalid_reason(view, env, tx, why, reason, sizeof reason)) snprintf(reason, sizeof reason, "%s", why);
    snprintf(buf, n, "err: %s (supplied gas %" PRIu64 ")", reason, tx->gas_limit);
    return buf;
}

/* geth's gas estimator passes core's error on without DoCall's "err:" and
 * supplied gas (its run() puts "failed with N gas: " before it). */
static const char *estimate_invalid_message(node_call *c, const transaction *tx, const char *why, char *buf, size_t n) {
    block_env env = node_call_env(c, tx);
    if (!trace_invalid_reason(c->view, &env, tx, why, buf, n)) snprintf(buf, n, "%s", why);
    return buf;
}

bool node_call_error(node_call *c, const transaction *tx, const tx_result *res, rpc_error *err) {
    if (!res->valid) {
        char buf[400];
        block_env env = node_call_env(c, tx);
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s",
                             node_call_invalid_message(c->view, &env, tx, res->error ? res->error : "invalid call", buf,
                                                       sizeof buf));
    }
    if (res->status == EVM_REVERT) return rpc_error_revert(err, res->output, res->output_size);
    char buf[160];
    if (res->status != EVM_SUCCESS)
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", node_call_halt_error(c, tx, res->status, buf, sizeof buf));
    return true;
}

/* Parses a call's arguments: the call object, the block (argument 1), state
 * overrides (argument 2) and, when allowed, block overrides (argument 3). */
static bool parse_call(const node *n, const json_t *params, size_t max_args, rpc_call_args *a,
                       rpc_state_override *ov, rpc_block_override *bo, bool *has_bo, rpc_error *err) {
    memset(a, 0, sizeof *a);
    memset(ov, 0, sizeof *ov);
    *has_bo = false;
    if (!rpc_check_args(params, 1, max_args, err)) return false;
    char why[200];
    if (!rpc_parse_call_args(rpc_arg(params, 0), a, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    /* geth's TransactionArgs has no "type": the fields given choose it */
    if (!n->dev) a->has_type = false;
    const json_t *o = rpc_arg(params, 2);
    if (o && !rpc_parse_state_override(o, ov, why, sizeof why)) {
        rpc_call_args_free(a);
        return rpc_error_invalid_param(err, 2, why);
    }
    const json_t *b = max_args > 3 ? rpc_arg(params, 3) : NULL;
    if (b) {
        if (!rpc_parse_block_override(b, bo, why, sizeof why)) {
            rpc_call_args_free(a);
            rpc_state_override_free(ov);
            return rpc_error_invalid_param(err, 3, why);
        }
        const char *sim_only = rpc_block_override_simulate_only(b);
        if (sim_only) {
            rpc_call_args_free(a);
            rpc_state_override_free(ov);
            return rpc_error_set(err, RPC_SERVER_ERROR, "block override \"%s\" is not supported for this RPC method",
                                 sim_only);
        }
        *has_bo = true;
    }
    return true;
}

/* geth's CallDefaults: a chain id given must be the node's (before the call
 * runs: not one of its errors) */
static bool check_chain_id(node *n, rpc_call_args *a, rpc_state_override *ov, rpc_error *err) {
    if (!a->has_chain_id || a->chain_id == node_chain_id(n)) return true;
    rpc_error_set(err, RPC_SERVER_ERROR, "chainId does not match node's (have=%" PRIu64 ", want=%" PRIu64 ")",
                  a->chain_id, node_chain_id(n));
    rpc_call_args_free(a);
    rpc_state_override_free(ov);
    return false;
}

uint64_t node_call_gas(const node *n, const rpc_call_args *a) {
    uint64_t cap = n->cfg.gas_cap;
    return a->has_gas && a->gas < cap ? a->gas : cap;
}

static bool eth_call(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    rpc_call_args a;
    rpc_state_override ov;
    rpc_block_override bo;
    bool has_bo;
    if (!parse_call(n, params, 4, &a, &ov, &bo, &has_bo, err)) return false;
    if (!check_chain_id(n, &a, &ov, err)) return false;
    node_read r;
    node_call c;
    bool ok = node_read_open(n, &r, err);
    if (ok && !(ok = node_call_begin(n, &r, params, 1, &ov, has_bo ? &bo : NULL, &c, err))) node_read_close(&r);
    if (ok) {
        transaction tx;
        node_call_tx(&a, node_chain_id(n), c.env.fork, node_call_gas(n, &a), &tx);
        tx_result res;
        /* dev mode prints console.log and ds-test's events: only a call
         * that reads the console's account or emits a log is run again,
         * traced, for its messages */
        node_console_watch w;
        bool watch = n->dev && n->cfg.console, traced = n->dev && n->cfg.report && n->cfg.print_traces;
        if (watch) c.view = node_console_watch_view(&w, c.view);
        if (!node_call_auths(&a, &tx)) ok = rpc_error_invalid_param(err, 0, "authorizationList: bad yParity");
        else {
            node_call_run(&c, &tx, &res);
            ok = !node_state_failed(&c.st, err) && node_call_error(&c, &tx, &res, err);
            if (ok) *result = rpc_json_data(res.output, res.output_size);
            /* console lines: a call that read the console's account, or
             * that emitted a log (a ds-test event, maybe) */
            bool lines = watch && (w.seen || overlay_logs_emitted(executor_overlay(c.ex)) > 0);
            if (res.valid && (lines || traced)) node_console_print_call(&c, &tx, lines);
        }
        free(tx.auths);
        node_call_end(&c);
        node_read_close(&r);
    }
    rpc_call_args_free(&a);
    rpc_state_override_free(&ov);
    return ok;
}

/* ---- eth_estimateGas ----------------------------------------------------------------------- */

/* Runs tx at gas; *failed when it ran out of gas or hit the intrinsic or
 * floor gas; false with err for other invalid calls. */
static bool try_gas(node_call *c, transaction *tx, uint64_t gas, bool *failed, tx_result *res, rpc_error *err) {
    tx->gas_limit = gas;
    node_call_run(c, tx, res);
    if (!res->valid) {
        const char *e = res->error ? res->error : "";
        if (strstr(e, "intrinsic gas") || strstr(e, "floor")) {
            *failed = true;
            return true;
        }
        char buf[400];
        return rpc_error_set(err, RPC_SERVER_ERROR, "failed with %" PRIu64 " gas: %s", gas,
                             estimate_invalid_message(c, tx, e, buf, sizeof buf));
    }
    *failed = res->status != EVM_SUCCESS;
    return true;
}

bool node_estimate_gas(node_call *c, transaction *tx, uint64_t hi, uint64_t *out, bool *short_of_funds,
                       rpc_error *err) {
    fork_id fork = c->env.fork;
    bool by_balance = false;
    if (fork >= FORK_OSAKA && !c->env.no_tx_gas_cap && hi > TX_MAX_GAS_LIMIT_OSAKA) hi = TX_MAX_GAS_LIMIT_OSAKA;
    /* the most the sender can pay for */
    const u256 *price = tx->type >= TX_DYNAMIC_FEE ? &tx->max_fee : &tx->gas_price;
    if (!u256_is_zero(price)) {
        account_info info;
        c->view.ops->get_account(c->view.ctx, &tx->sender, FIELD_BALANCE, &info);
        /* geth: a value that leaves nothing for gas is refused outright
         * (a zero value from an empty account too) */
        if (!u256_lt(&tx->value, &info.balance))
            return rpc_error_set(err, RPC_SERVER_ERROR, "insufficient funds for transfer");
        u256 avail = u256_sub(&info.balance, &tx->value);
        /* and so does the blob gas at its fee cap (geth's Estimate) */
        if (fork >= FORK_CANCUN && tx->n_blob_hashes) {
            u256 blob_gas = u256_from_u64(GAS_PER_BLOB * tx->n_blob_hashes);
            u256 blob = u256_mul(&blob_gas, &tx->max_fee_per_blob_gas);
            if (!u256_lt(&blob, &avail))
                return rpc_error_set(err, RPC_SERVER_ERROR, "insufficient funds for gas * price + value");
            avail = u256_sub(&avail, &blob);
        }
        u256 allowance = u256_div(&avail, price);
        if ((by_balance = u256_fits_u64(&allowance) && allowance.w[0] < hi)) hi = allowance.w[0];
    }
    bool failed;
    tx_result res;
    /* a plain transfer costs exactly 21000 */
    if (tx->has_to && tx->data_len == 0 && !tx->n_auths && !tx->access_list_len) {
        const evm_code *code = c->view.ops->get_code(c->view.ctx, &tx->to);
        if (code->len == 0) {
            /* geth: an error here is not the answer: the run at hi gives it */
            rpc_error ignored;
            memset(&ignored, 0, sizeof ignored);
            bool ran = try_gas(c, tx, 21000, &failed, &res, &ignored);
            rpc_error_clear(&ignored);
            if (ran && !failed) {
                *out = 21000;
                return true;
            }
        }
    }
    if (!try_gas(c, tx, hi, &failed, &res, err)) return false;
    if (failed) {
        if (res.valid && res.status == EVM_REVERT) return rpc_error_revert(err, res.output, res.output_size);
        char buf[160];
        if (res.valid && res.status != EVM_OUT_OF_GAS)
            return rpc_error_set(err, RPC_SERVER_ERROR, "%s", node_call_halt_error(c, tx, res.status, buf, sizeof buf));
        if (short_of_funds) *short_of_funds = by_balance;
        return rpc_error_set(err, RPC_SERVER_ERROR, "gas required exceeds allowance (%llu)", (unsigned long long)hi);
    }
    uint64_t lo = res.gas_used ? res.gas_used - 1 : 0;
    uint64_t floor = tx_intrinsic_gas(tx, fork), fl = tx_floor_gas(tx, fork);
    if (fl > floor) floor = fl;
    if (floor > 0 && lo < floor - 1) lo = floor - 1;
    /* geth's optimistic guess: the call's peak gas (before refunds), plus
     * the stipend, and 64/63 */
    uint64_t guess = (res.max_gas_used + 2300) * 64 / 63;
    if (guess > lo && guess < hi) {
        if (!try_gas(c, tx, guess, &failed, &res, err)) return false;
        if (failed) lo = guess;
        else hi = guess;
    }
    while (lo + 1 < hi) {
        if ((double)(hi - lo) / (double)hi < 0.015) break;
        uint64_t mid = lo + (hi - lo) / 2;
        if (mid > lo * 2) mid = lo * 2; /* most calls need little: look low first */
        if (!try_gas(c, tx, mid, &failed, &res, err)) return false;
        if (failed) lo = mid;
        else hi = mid;
    }
    *out = hi;
    return true;
}

static bool estimate_gas(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    rpc_call_args a;
    rpc_state_override ov;
    rpc_block_override bo;
    bool has_bo;
    /* block overrides too, as geth's (since 1.15) */
    if (!parse_call(n, params, 4, &a, &ov, &bo, &has_bo, err)) return false;
    if (!check_chain_id(n, &a, &ov, err)) return false;
    node_read r;
    node_call c;
    bool ok = node_read_open(n, &r, err);
    if (ok && !(ok = node_call_begin(n, &r, params, 1, &ov, has_bo ? &bo : NULL, &c, err))) node_read_close(&r);
    if (ok) {
        transaction tx;
        /* geth's Estimate: a gas below 21000 is no limit; the block's is
         * the overridden one */
        uint64_t hi = a.has_gas && a.gas >= 21000 ? a.gas : c.env.gas_limit;
        if (hi > n->cfg.gas_cap) hi = n->cfg.gas_cap;
        node_call_tx(&a, node_chain_id(n), c.env.fork, hi, &tx);
        uint64_t gas;
        if (!node_call_auths(&a, &tx)) ok = rpc_error_invalid_param(err, 0, "authorizationList: bad yParity");
        else ok = node_estimate_gas(&c, &tx, hi, &gas, NULL, err) && !node_state_failed(&c.st, err);
        if (ok) *result = rpc_json_u64(gas);
        free(tx.auths);
        node_call_end(&c);
        node_read_close(&r);
    }
    rpc_call_args_free(&a);
    rpc_state_override_free(&ov);
    return ok;
}

/* ---- eth_createAccessList ------------------------------------------------------------------ */

/* A state_view that records the addresses and slots read through it. */
typedef struct {
    state_view inner;
    addr_map index;      /* address -> entry */
    struct al_entry {
        address addr;
        word_map slots;
        u256 *order;
        size_t n, cap;
    } *e;
    size_t n, cap;
} recorder;

static struct al_entry *rec_entry(recorder *r, const address *a) {
    uint32_t i;
    if (addr_map_get(&r->index, a, &i)) return &r->e[i];
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->e = realloc(r->e, r->cap * sizeof *r->e);
        if (!r->e) abort();
    }
    memset(&r->e[r->n], 0, sizeof r->e[r->n]);
    r->e[r->n].addr = *a;
    addr_map_put(&r->index, a, (uint32_t)r->n);
    return &r->e[r->n++];
}

static void rec_slot(recorder *r, const address *a, const u256 *k) {
    struct al_entry *e = rec_entry(r, a);
    if (word_map_get(&e->slots, k)) return;
    word_map_put(&e->slots, k, k);
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 8;
        e->order = realloc(e->order, e->cap * sizeof *e->order);
        if (!e->order) abort();
    }
    e->order[e->n++] = *k;
}

static bool rec_account(void *ctx, const address *a, unsigned f, account_info *out) {
    recorder *r = ctx;
    rec_entry(r, a);
    return r->inner.ops->get_account(r->inner.ctx, a, f, out);
}
static u256 rec_storage(void *ctx, const address *a, const u256 *k) {
    recorder *r = ctx;
    rec_slot(r, a, k);
    return r->inner.ops->get_storage(r->inner.ctx, a, k);
}
static bool rec_has_storage(void *ctx, const address *a) {
    recorder *r = ctx;
    return r->inner.ops->has_storage(r->inner.ctx, a);
}
static const evm_code *rec_code(void *ctx, const address *a) {
    recorder *r = ctx;
    rec_entry(r, a);
    return r->inner.ops->get_code(r->inner.ctx, a);
}
static bytes32 rec_block_hash(void *ctx, uint64_t number) {
    recorder *r = ctx;
    return r->inner.ops->get_block_hash(r->inner.ctx, number);
}
static const state_view_ops REC_OPS = {rec_account, rec_storage, rec_has_storage, rec_code, rec_block_hash};

/* SLOAD and SSTORE list their slot whoever owns it, as geth's access-list
 * tracer does: the storage of an account created during the call is never
 * read through the state view. */
static void rec_step(evm_tracer *t, const evm_step *s) {
    if ((s->op == 0x54 || s->op == 0x55) && s->stack_size >= 1)
        rec_slot(t->ctx, &s->msg->recipient, &s->stack[s->stack_size - 1]);
}

static void rec_reset(recorder *r) {
    for (size_t i = 0; i < r->n; i++) {
        word_map_free(&r->e[i].slots);
        free(r->e[i].order);
    }
    r->n = 0;
    addr_map_clear(&r->index);
}

static void rec_free(recorder *r) {
    rec_reset(r);
    free(r->e);
    addr_map_free(&r->index);
}

static int cmp_addr(const void *a, const void *b) { return memcmp(a, b, 20); }
static int cmp_word(const void *a, const void *b) { return u256_cmp(a, b); }

/* The recorded list as an access list (sorted; excluded addresses and
 * precompiles left out unless they have slots, as geth). Reads that are
 * not accesses in geth's sense (the coinbase's fee, the sender and the
 * recipient) fall under the exclusions. */
static void rec_list(recorder *r, const address *excl, size_t n_excl, fork_id fork, access_entry **out, size_t *n) {
    access_entry *list = calloc(r->n ? r->n : 1, sizeof *list);
    if (!list) abort();
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct al_entry *e = &r->e[i];
        bool skip = precompile_is_active(&e->addr, fork);
        for (size_t x = 0; x < n_excl && !skip; x++) skip = address_eq(&excl[x], &e->addr);
        if (skip && e->n == 0) continue;
        list[k].addr = e->addr;
        list[k].n_keys = e->n;
        list[k].keys = calloc(e->n ? e->n : 1, sizeof *list[k].keys);
        if (!list[k].keys) abort();
        if (e->n) qsort(e->order, e->n, sizeof *e->order, cmp_word); /* order is NULL without slots */
        for (size_t s = 0; s < e->n; s++) list[k].keys[s] = u256_to_bytes32(&e->order[s]);
        k++;
    }
    qsort(list, k, sizeof *list, cmp_addr); /* addr is the first field */
    *out = list;
    *n = k;
}

static bool same_list(const access_entry *a, size_t na, const access_entry *b, size_t nb) {
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++) {
        if (!address_eq(&a[i].addr, &b[i].addr) || a[i].n_keys != b[i].n_keys) return false;
        if (a[i].n_keys && memcmp(a[i].keys, b[i].keys, 32 * a[i].n_keys)) return false;
    }
    return true;
}

static json_t *access_list_json(const access_entry *l, size_t n) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object(), *keys = json_array();
        json_object_set_new(o, "address", rpc_json_address(&l[i].addr));
        for (size_t k = 0; k < l[i].n_keys; k++) json_array_append_new(keys, rpc_json_hash(&l[i].keys[k]));
        json_object_set_new(o, "storageKeys", keys);
        json_array_append_new(arr, o);
    }
    return arr;
}

static bool create_access_list(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    rpc_call_args a;
    rpc_state_override ov;
    rpc_block_override bo;
    bool has_bo;
    if (!parse_call(n, params, 3, &a, &ov, &bo, &has_bo, err)) return false;
    if (!check_chain_id(n, &a, &ov, err)) return false;
    node_read r;
    node_call c;
    bool ok = node_read_open(n, &r, err);
    if (ok && !(ok = node_call_begin(n, &r, params, 1, &ov, NULL, &c, err))) node_read_close(&r);
    if (!ok) {
        rpc_call_args_free(&a);
        rpc_state_override_free(&ov);
        return false;
    }
    transaction tx;
    node_call_tx(&a, node_chain_id(n), c.env.fork, node_call_gas(n, &a), &tx);
    node_call_auths(&a, &tx);
    /* the sender, the recipient (or the created contract) are warm anyway,
     * and so are the authorities of the authorizations that may apply
     * (geth's AccessList: the chain id 0 or ours, a nonce below 2^64-1, a
     * good signature) */
    address *excl = calloc(3 + tx.n_auths, sizeof *excl);
    if (!excl) abort();
    size_t n_excl = 3;
    excl[0] = a.from;
    excl[1] = a.to;
    excl[2] = c.env.coinbase;
    if (!tx.has_to) {
        account_info info;
        c.view.ops->get_account(c.view.ctx, &a.from, FIELD_NONCE, &info);
        excl[1] = node_create_address(&a.from, info.nonce);
    }
    u256 chain = u256_from_u64(node_chain_id(n));
    for (size_t i = 0; i < tx.n_auths; i++) {
        const authorization *au = &tx.auths[i];
        if (au->status == AUTH_VALID && au->nonce != UINT64_MAX &&
            (u256_is_zero(&au->chain_id) || u256_eq(&au->chain_id, &chain)))
            excl[n_excl++] = au->authority;
    }
    recorder rec = {.inner = c.view};
    state_view base = c.view;
    c.view = (state_view){&REC_OPS, &rec};
    evm_tracer slots = {.step = rec_step, .ctx = &rec};
    executor_set_tracer(c.ex, &slots);
    access_entry *list = NULL, *prev = a.access_list;
    size_t n_list = 0, n_prev = a.access_list_len;
    tx_result res;
    for (int round = 0; round < 8; round++) {
        tx.access_list = prev;
        tx.access_list_len = n_prev;
        rec_reset(&rec);
        /* geth's tracer starts from the list the run is given, its
         * excluded addresses left out */
        for (size_t i = 0; i < n_prev; i++) {
            bool skip = precompile_is_active(&prev[i].addr, c.env.fork);
            for (size_t x = 0; x < n_excl && !skip; x++) skip = address_eq(&excl[x], &prev[i].addr);
            if (skip) continue;
            rec_entry(&rec, &prev[i].addr);
            for (size_t k = 0; k < prev[i].n_keys; k++) {
                u256 key = u256_from_bytes32(&prev[i].keys[k]);
                rec_slot(&rec, &prev[i].addr, &key);
            }
        }
        node_call_run(&c, &tx, &res);
        if (!res.valid) break;
        rec_list(&rec, excl, n_excl, c.env.fork, &list, &n_list);
        if (same_list(list, n_list, prev, n_prev)) break;
        if (prev != a.access_list) rpc_access_list_free(prev, n_prev);
        prev = list;
        n_prev = n_list;
        list = NULL;
    }
    executor_set_tracer(c.ex, NULL);
    if (!res.valid) {
        /* core's error in geth's words (geth puts the unsigned transaction's
         * hash and "err:" before it) */
        char why[400];
        ok = rpc_error_set(err, RPC_SERVER_ERROR, "failed to apply transaction: %s",
                           estimate_invalid_message(&c, &tx, res.error ? res.error : "invalid", why, sizeof why));
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "accessList", access_list_json(prev, n_prev));
        char buf[160];
        if (res.status != EVM_SUCCESS)
            json_object_set_new(o, "error", json_string(res.status == EVM_REVERT
                                                            ? "execution reverted"
                                                            : node_call_halt_error(&c, &tx, res.status, buf, sizeof buf)));
        json_object_set_new(o, "gasUsed", rpc_json_u64(res.gas_used));
        *result = o;
    }
    if (list) rpc_access_list_free(list, n_list);
    if (prev != a.access_list) rpc_access_list_free(prev, n_prev);
    c.view = base;
    rec_free(&rec);
    free(excl);
    free(tx.auths);
    node_call_end(&c);
    node_read_close(&r);
    rpc_call_args_free(&a);
    rpc_state_override_free(&ov);
    return ok;
}

void node_register_call(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_call", eth_call, n);
    rpc_methods_add(m, "eth_estimateGas", estimate_gas, n);
    rpc_methods_add(m, "eth_createAccessList", create_access_list, n);
}
