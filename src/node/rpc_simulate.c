/* Method group: eth_simulateV1 (execution-apis src/eth/execute.yaml), with
 * geth's behaviour (internal/ethapi/simulate.go) where the specification
 * leaves it open:
 *
 * - blockStateCalls: simulated blocks on top of the base block (argument 1,
 *   default latest), each with optional blockOverrides (number, time,
 *   gasLimit, feeRecipient, prevRandao, baseFeePerGas, blobBaseFee,
 *   withdrawals, beaconRoot), stateOverrides applied before its calls
 *   (movePrecompileToAddress moves a precompile for that block; any
 *   override of a precompile's address removes it there) and calls;
 * - numbers increase (a gap is filled with empty blocks 12 s apart), times
 *   strictly increase (default: the previous + 12); at most 256 blocks past
 *   the base;
 * - validation off: calls run like eth_call (no nonce rule, base fee 0 unless
 *   overridden, a call without fees pays none); on: the nonce, the base fee
 *   (from the parent by EIP-1559) and the balance are checked. Neither checks
 *   the signature nor EIP-3607. An invalid call fails the whole request with
 *   its code (-38010 ... -38025);
 * - gas of a call defaults to what is left of the block's limit (-38015 when
 *   a call asks for more) and is capped by the node's gas cap, counted over
 *   the whole request;
 * - traceTransfers adds ERC-7528 Transfer logs from 0xeeee...eeee for value
 *   moved by the calls (state_host_options);
 * - each block is returned as eth_getBlockByNumber returns one (hashes or,
 *   with returnFullTransactions, transaction objects whose from is the
 *   caller), its header computed from the simulation: the transactions
 *   (unsigned: v, r, s zero), receipts, withdrawals and state roots, the
 *   gas used, the bloom; plus "calls": returnData, logs, gasUsed,
 *   maxUsedGas, status, and error ({code 3, message, data} for a revert,
 *   -32015 for another failure).
 *
 * Execution runs on one block_state over the base block's snapshot; the
 * store is never written. The state root after each block comes from the
 * store's tries with the changes so far applied (db_execution_witness's
 * post-state root). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_build.h"
#include "node_call.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"

enum {
    SIM_MAX_BLOCKS = 256,
    SIM_MAX_CALLS_PER_BLOCK = 5000,
    SIM_MAX_CALLS = 10000,
    SIM_TIME_STEP = 12,
    ERR_NONCE_TOO_LOW = -38010,
    ERR_NONCE_TOO_HIGH = -38011,
    ERR_BASE_FEE_TOO_LOW = -38012,
    ERR_INTRINSIC_GAS = -38013,
    ERR_INSUFFICIENT_FUNDS = -38014,
    ERR_BLOCK_GAS_LIMIT = -38015,
    ERR_BLOCK_NUMBER = -38020,
    ERR_BLOCK_TIMESTAMP = -38021,
    ERR_MOVE_TO_SELF = -38022,
    ERR_MOVE_TWICE = -38023,
    ERR_INIT_CODE_SIZE = -38025,
    ERR_CLIENT_LIMIT = -38026,
    ERR_VM = -32015,
};

/* ---- The request ------------------------------------------------------------------------ */

/* One element of blockStateCalls. */
typedef struct {
    rpc_block_override bo;
    bool has_withdrawals, has_beacon_root;
    withdrawal *withdrawals;
    size_t n_withdrawals;
    bytes32 beacon_root;
    rpc_state_override so;
    rpc_call_args *calls;
    size_t n_calls;
} sim_input;

typedef struct {
    sim_input *blocks;
    size_t n;
    bool trace_transfers, validation, full_txs;
} sim_request;

static void request_free(sim_request *q) {
    for (size_t i = 0; i < q->n; i++) {
        sim_input *b = &q->blocks[i];
        free(b->withdrawals);
        rpc_state_override_free(&b->so);
        for (size_t k = 0; k < b->n_calls; k++) rpc_call_args_free(&b->calls[k]);
        free(b->calls);
    }
    free(q->blocks);
    memset(q, 0, sizeof *q);
}

static bool bad_param(rpc_error *err, const char *fmt, const char *a, const char *b) {
    return rpc_error_set(err, RPC_INVALID_PARAMS, fmt, a, b ? b : "");
}

static bool parse_withdrawals(const json_t *v, sim_input *b, rpc_error *err) {
    if (!json_is_array(v)) return bad_param(err, "withdrawals: %s%s", "expected an array", NULL);
    b->has_withdrawals = true;
    b->n_withdrawals = json_array_size(v);
    b->withdrawals = calloc(b->n_withdrawals ? b->n_withdrawals : 1, sizeof *b->withdrawals);
    if (!b->withdrawals) abort();
    for (size_t i = 0; i < b->n_withdrawals; i++) {
        const json_t *w = json_array_get(v, i);
        withdrawal *d = &b->withdrawals[i];
        const char *why = json_is_object(w) ? NULL : "expected an object";
        if (!why) why = rpc_parse_u64(json_object_get(w, "index"), &d->index);
        if (!why) why = rpc_parse_u64(json_object_get(w, "validatorIndex"), &d->validator);
        if (!why) why = rpc_parse_address(json_object_get(w, "address"), &d->addr);
        if (!why) why = rpc_parse_u64(json_object_get(w, "amount"), &d->amount_gwei);
        if (why) return bad_param(err, "withdrawal: %s%s", why, NULL);
    }
    return true;
}

static bool parse_block(const json_t *v, sim_input *b, size_t *total_calls, rpc_error *err) {
    if (!json_is_object(v)) return bad_param(err, "blockStateCalls: %s%s", "expected objects", NULL);
    char why[200];
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        if (strcmp(key, "blockOverrides") && strcmp(key, "stateOverrides") && strcmp(key, "calls"))
            return bad_param(err, "blockStateCalls: unknown field %s%s", key, NULL);
    }
    const json_t *bo = json_object_get(v, "blockOverrides");
    if (bo && !json_is_null(bo)) {
        if (!rpc_parse_block_override(bo, &b->bo, why, sizeof why))
            return bad_param(err, "blockOverrides: %s%s", why, NULL);
        const json_t *w = json_object_get(bo, "withdrawals");
        if (w && !json_is_null(w) && !parse_withdrawals(w, b, err)) return false;
        const json_t *br = json_object_get(bo, "beaconRoot");
        if (br && !json_is_null(br)) {
            const char *e = rpc_parse_hash(br, &b->beacon_root);
            if (e) return bad_param(err, "beaconRoot: %s%s", e, NULL);
            b->has_beacon_root = true;
        }
    }
    const json_t *so = json_object_get(v, "stateOverrides");
    if (so && !json_is_null(so) && !rpc_parse_state_override(so, &b->so, why, sizeof why))
        return bad_param(err, "stateOverrides: %s%s", why, NULL);
    const json_t *calls = json_object_get(v, "calls");
    if (calls && !json_is_null(calls)) {
        if (!json_is_array(calls)) return bad_param(err, "calls: %s%s", "expected an array", NULL);
        size_t n = json_array_size(calls);
        if (n > SIM_MAX_CALLS_PER_BLOCK)
            return rpc_error_set(err, ERR_CLIENT_LIMIT, "too many calls in block: %zu > %d", n,
                                 SIM_MAX_CALLS_PER_BLOCK);
        *total_calls += n;
        if (*total_calls > SIM_MAX_CALLS)
            return rpc_error_set(err, ERR_CLIENT_LIMIT, "too many calls: %zu > %d", *total_calls, SIM_MAX_CALLS);
        b->calls = calloc(n ? n : 1, sizeof *b->calls);
        if (!b->calls) abort();
        for (size_t i = 0; i < n; i++) {
            if (!rpc_parse_call_args(json_array_get(calls, i), &b->calls[i], why, sizeof why))
                return bad_param(err, "call: %s%s", why, NULL);
            b->n_calls++;
        }
    }
    return true;
}

static bool parse_request(const json_t *params, sim_request *q, rpc_error *err) {
    memset(q, 0, sizeof *q);
    if (!rpc_check_args(params, 1, 2, err)) return false;
    const json_t *p = rpc_arg(params, 0);
    if (!json_is_object(p)) return rpc_error_invalid_param(err, 0, "expected an object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)p, key, val) {
        bool *flag = !strcmp(key, "traceTransfers")           ? &q->trace_transfers
                     : !strcmp(key, "validation")             ? &q->validation
                     : !strcmp(key, "returnFullTransactions") ? &q->full_txs
                                                              : NULL;
        if (flag) {
            const char *why = json_is_null(val) ? NULL : rpc_parse_bool(val, flag);
            if (why) return bad_param(err, "%s: %s", key, why);
        } else if (strcmp(key, "blockStateCalls")) {
            return bad_param(err, "unknown field %s%s", key, NULL);
        }
    }
    const json_t *bsc = json_object_get(p, "blockStateCalls");
    if (!json_is_array(bsc) || json_array_size(bsc) == 0) return rpc_error_set(err, RPC_INVALID_PARAMS, "empty input");
    if (json_array_size(bsc) > SIM_MAX_BLOCKS) return rpc_error_set(err, ERR_CLIENT_LIMIT, "too many blocks");
    q->blocks = calloc(json_array_size(bsc), sizeof *q->blocks);
    if (!q->blocks) abort();
    size_t total = 0;
    for (size_t i = 0; i < json_array_size(bsc); i++) {
        q->n++;
        if (!parse_block(json_array_get(bsc, i), &q->blocks[i], &total, err)) return false;
    }
    return true;
}

/* ---- The chain of simulated blocks ---------------------------------------------------------- */

/* A simulated block: one of the request's, or an empty one filling a gap. */
typedef struct {
    const sim_input *in; /* NULL: a gap */
    uint64_t number, time;
} sim_slot;

/* geth's sanitizeChain: numbers and times in order, gaps filled. */
static bool plan_blocks(const sim_request *q, const block_header *base, sim_slot **out, size_t *n_out,
                        rpc_error *err) {
    size_t cap = SIM_MAX_BLOCKS, n = 0;
    sim_slot *s = calloc(cap, sizeof *s);
    if (!s) abort();
    uint64_t prev = base->number, prev_time = base->timestamp;
    for (size_t i = 0; i < q->n; i++) {
        const rpc_block_override *bo = &q->blocks[i].bo;
        uint64_t number = bo->has_number ? bo->number : prev + 1;
        if (number <= prev) {
            free(s);
            return rpc_error_set(err, ERR_BLOCK_NUMBER, "block numbers must be in order: %" PRIu64 " <= %" PRIu64,
                                 number, prev);
        }
        if (number - base->number > SIM_MAX_BLOCKS) {
            free(s);
            return rpc_error_set(err, ERR_CLIENT_LIMIT, "too many blocks");
        }
        for (uint64_t g = prev + 1; g < number; g++) {
            prev_time += SIM_TIME_STEP;
            s[n++] = (sim_slot){NULL, g, prev_time};
        }
        uint64_t time = prev_time + SIM_TIME_STEP;
        if (bo->has_time) {
            time = bo->time;
            if (time <= prev_time) {
                free(s);
                return rpc_error_set(err, ERR_BLOCK_TIMESTAMP,
                                     "block timestamps must be in order: %" PRIu64 " <= %" PRIu64, time, prev_time);
            }
        }
        s[n++] = (sim_slot){&q->blocks[i], number, time};
        prev = number;
        prev_time = time;
    }
    *out = s;
    *n_out = n;
    return true;
}

/* ---- The simulation ------------------------------------------------------------------------ */

typedef struct {
    node *n;
    node_read *r;
    node_state st;          /* the base block */
    block_header base;      /* its header, or the pending block's (on_pending) */
    bool on_pending;        /* outside dev mode "pending": geth's pending block,
                               its changes under the simulated ones */
    bool merged;
    code_store *codes;      /* override code and created contracts */
    block_state *acc;       /* the base state plus every simulated change so far */
    state_view view;        /* acc, with the simulated blocks' hashes */
    executor *ex;
    const sim_request *q;
    uint64_t budget;        /* gas left under the node's cap */
    block_header *headers;  /* of the simulated blocks done */
    size_t n_headers;
} sim;

static bool v_account(void *c, const address *a, unsigned f, account_info *o) {
    state_view v = block_state_view(((sim *)c)->acc);
    return v.ops->get_account(v.ctx, a, f, o);
}
static u256 v_storage(void *c, const address *a, const u256 *k) {
    state_view v = block_state_view(((sim *)c)->acc);
    return v.ops->get_storage(v.ctx, a, k);
}
static bool v_has_storage(void *c, const address *a) {
    state_view v = block_state_view(((sim *)c)->acc);
    return v.ops->has_storage(v.ctx, a);
}
static const evm_code *v_code(void *c, const address *a) {
    state_view v = block_state_view(((sim *)c)->acc);
    return v.ops->get_code(v.ctx, a);
}
/* BLOCKHASH of a simulated block is its simulated header's hash. */
static bytes32 v_block_hash(void *c, uint64_t number) {
    sim *s = c;
    if (s->on_pending && number == s->base.number) return s->base.hash;
    if (number > s->base.number) {
        uint64_t i = number - s->base.number - 1;
        return i < s->n_headers ? s->headers[i].hash : (bytes32){{0}};
    }
    state_view v = block_state_view(s->acc);
    return v.ops->get_block_hash(v.ctx, number);
}
static const state_view_ops SIM_VIEW = {v_account, v_storage, v_has_storage, v_code, v_block_hash};

static void apply_to_acc(void *arg, const change_set *cs) { block_state_apply(arg, cs); }

/* The precompiles of a block after its state overrides (geth's
 * StateOverride.Apply): a move adds the precompile at its new address, any
 * override of a precompile's address removes it there. */
static bool moves(const rpc_state_override *so, const size_t *order, address *pcs, address *runs, size_t *n,
                  bool *changed, rpc_error *err);

bool node_precompiles_overridden(const rpc_state_override *so, fork_id fork, address *pcs, address *runs, size_t *n,
                                 bool *changed, rpc_error *err) {
    *n = 0;
    *changed = false;
    for (int hi = 0; hi < 2; hi++)
        for (unsigned lo = 1; lo < 0x40; lo++) {
            address a = {{0}};
            a.b[18] = (uint8_t)hi;
            a.b[19] = (uint8_t)lo;
            if (precompile_is_active(&a, fork) && *n < NODE_MAX_PRECOMPILES) pcs[*n] = runs[*n] = a, (*n)++;
        }
    if (!so) return true;
    /* in address order, as geth (a later move to the same address wins) */
    size_t *order = malloc((so->n ? so->n : 1) * sizeof *order);
    if (!order) abort();
    for (size_t i = 0; i < so->n; i++) {
        size_t j = i;
        for (; j > 0 && memcmp(so->accounts[order[j - 1]].addr.b, so->accounts[i].addr.b, 20) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    bool good = moves(so, order, pcs, runs, n, changed, err);
    free(order);
    return good;
}

static bool moves(const rpc_state_override *so, const size_t *order, address *pcs, address *runs, size_t *n,
                  bool *changed, rpc_error *err) {
    for (size_t oi = 0; oi < so->n; oi++) {
        size_t i = order[oi];
        const rpc_account_override *o = &so->accounts[i];
        char t[43]; /* geth prints a common.Address: the EIP-55 form */
        rpc_address_checksum(&o->addr, t);
        size_t at = SIZE_MAX;
        for (size_t k = 0; k < *n; k++)
            if (address_eq(&pcs[k], &o->addr)) at = k;
        if (o->has_move_to) {
            if (at == SIZE_MAX) return rpc_error_set(err, RPC_SERVER_ERROR, "account %s is not a precompile", t);
            if (address_eq(&o->move_to, &o->addr))
                return rpc_error_set(err, ERR_MOVE_TO_SELF, "account %s is moved to itself", t);
            for (size_t k = 0; k < so->n; k++) {
                if (address_eq(&so->accounts[k].addr, &o->move_to)) {
                    char d[43];
                    rpc_address_checksum(&o->move_to, d);
                    return rpc_error_set(err, ERR_MOVE_TWICE, "account %s is already overridden", d);
                }
            }
            /* onto another precompile (or an earlier move's target): replaces it */
            size_t dest = SIZE_MAX;
            for (size_t k = 0; k < *n; k++)
                if (address_eq(&pcs[k], &o->move_to)) dest = k;
            if (dest != SIZE_MAX) {
                runs[dest] = runs[at];
            } else {
                if (*n == NODE_MAX_PRECOMPILES) return rpc_error_set(err, ERR_CLIENT_LIMIT, "too many precompiles");
                pcs[*n] = o->move_to, runs[*n] = runs[at], (*n)++;
            }
        }
        if (at != SIZE_MAX) {
            pcs[at] = pcs[*n - 1], runs[at] = runs[*n - 1], (*n)--;
            *changed = true;
        }
    }
    return true;
}

/* The header of a simulated block before execution (geth's makeHeaders and
 * the start of processBlock). */
static void begin_header(sim *s, const sim_slot *slot, const block_header *parent, block_header *h, fork_id *fork) {
    const chain_config *c = &s->n->chain;
    const rpc_block_override *bo = slot->in ? &slot->in->bo : NULL;
    memset(h, 0, sizeof *h);
    h->parent_hash = parent->hash;
    h->ommers_hash = EMPTY_LIST_HASH;
    h->number = slot->number;
    h->timestamp = slot->time;
    h->coinbase = bo && bo->has_fee_recipient ? bo->fee_recipient : parent->coinbase;
    h->gas_limit = bo && bo->has_gas_limit ? bo->gas_limit : parent->gas_limit;
    if (!s->merged) h->difficulty = bo && bo->has_difficulty ? bo->difficulty : parent->difficulty;
    if (bo && bo->has_prev_randao) h->mix_hash = bo->prev_randao;
    *fork = chain_fork_at(c, h->number, h->timestamp, s->merged);
    if (*fork >= FORK_LONDON) {
        h->has_base_fee = true;
        if (bo && bo->has_base_fee) h->base_fee = bo->base_fee;
        else if (s->q->validation) h->base_fee = header_next_base_fee(c, parent);
    }
    if (*fork >= FORK_SHANGHAI) h->has_withdrawals_root = true;
    if (*fork >= FORK_CANCUN) {
        h->has_blob_gas = h->has_beacon_root = true;
        blob_params p = chain_blob_params(c, h->timestamp);
        if (parent->has_blob_gas) h->excess_blob_gas = header_next_excess_blob_gas(parent, *fork, &p);
        if (slot->in && slot->in->has_beacon_root) h->parent_beacon_root = slot->in->beacon_root;
    }
    if (*fork >= FORK_PRAGUE) h->has_requests_hash = true;
}

/* The code and message of an invalid call, as geth's txValidationError. */
static int invalid_code(const char *why) {
    static const struct {
        const char *prefix;
        int code;
    } map[] = {
        {"nonce too low", ERR_NONCE_TOO_LOW},
        {"nonce too high", ERR_NONCE_TOO_HIGH},
        {"max fee below base fee", ERR_BASE_FEE_TOO_LOW},
        {"gas price below base fee", ERR_BASE_FEE_TOO_LOW},
        {"intrinsic gas too low", ERR_INTRINSIC_GAS},
        /* the EIP-7623 floor is not ErrIntrinsicGas in geth: an internal error */
        {"insufficient funds", ERR_INSUFFICIENT_FUNDS},
        {"initcode larger", ERR_INIT_CODE_SIZE},
        {"max priority fee", RPC_INVALID_PARAMS},
        {"chain id mismatch", RPC_INVALID_PARAMS},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strncmp(why, map[i].prefix, strlen(map[i].prefix))) return map[i].code;
    return RPC_INTERNAL_ERROR;
}

/* The transaction of a call (geth's sanitizeCall, CallDefaults and
 * ToTransaction with type 2 the default). Borrows a's buffers. */
static bool call_tx(sim *s, const rpc_call_args *a, const block_header *h, uint64_t block_gas_used,
                    transaction *tx, bool *capped, rpc_error *err) {
    uint64_t left = h->gas_limit > block_gas_used ? h->gas_limit - block_gas_used : 0;
    uint64_t gas = a->has_gas ? a->gas : left;
    if (left < gas)
        return rpc_error_set(err, ERR_BLOCK_GAS_LIMIT, "block gas limit reached: remaining: %" PRIu64
                             ", required: %" PRIu64, left, gas);
    *capped = gas > s->budget;
    if (*capped) gas = s->budget;
    if (a->has_chain_id && a->chain_id != node_chain_id(s->n))
        return rpc_error_set(err, RPC_INVALID_PARAMS, "chainId does not match node's (have=%" PRIu64 ", want=%" PRIu64 ")",
                             a->chain_id, node_chain_id(s->n));
    fork_id fork = chain_fork_at(&s->n->chain, h->number, h->timestamp, s->merged);
    node_call_tx(a, node_chain_id(s->n), fork, gas, tx);
    /* geth's ToTransaction: authorizations -> 4, blob hashes -> 3, a gas
     * price -> legacy, else 2 (the type field is not consulted); before
     * London, where geth applies the message without a type, legacy */
    if (a->has_auths) tx->type = TX_SET_CODE;
    else if (a->has_blob_hashes) tx->type = TX_BLOB;
    else if (a->has_gas_price || fork < FORK_LONDON) tx->type = TX_LEGACY;
    else tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = tx->type != TX_LEGACY;
    if (tx->type >= TX_DYNAMIC_FEE) {
        tx->max_fee = a->max_fee;
        tx->max_priority_fee = a->max_priority_fee;
    }
    if (a->has_nonce) {
        tx->nonce = a->nonce;
    } else {
        account_info info;
        s->view.ops->get_account(s->view.ctx, &a->from, FIELD_NONCE, &info);
        tx->nonce = info.nonce;
    }
    tx->r = tx->s = tx->v = U256_ZERO; /* unsigned, as geth's */
    if (!node_call_auths(a, tx)) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid authorization yParity");
    buf_t enc = {0};
    tx_encode(tx, &enc);
    /* a typed transaction's hash covers its type byte (tx_encode's form) */
    keccak256(enc.data, enc.len, tx->hash.b);
    buf_free(&enc);
    return true;
}

/* Validation: geth checks the nonce before the fees and the balance. */
static bool check_nonce(sim *s, const block_env *env, const transaction *tx, rpc_error *err) {
    account_info info;
    s->view.ops->get_account(s->view.ctx, &tx->sender, FIELD_NONCE, &info);
    const char *why = info.nonce < tx->nonce ? "nonce too high"
                      : info.nonce > tx->nonce ? "nonce too low"
                      : info.nonce == UINT64_MAX ? "nonce has max value"
                                                 : NULL;
    if (!why) return true;
    char m[400];
    int code = info.nonce < tx->nonce ? ERR_NONCE_TOO_HIGH : info.nonce > tx->nonce ? ERR_NONCE_TOO_LOW : RPC_INTERNAL_ERROR;
    return rpc_error_set(err, code, "%s", node_call_invalid_message(s->view, env, tx, why, m, sizeof m));
}

static json_t *log_json(const overlay_log *l, const uint8_t *data, const block_header *h, const bytes32 *tx_hash,
                        size_t tx_index, size_t log_index) {
    json_t *o = json_object(), *topics = json_array();
    json_object_set_new(o, "address", rpc_json_address(&l->addr));
    for (uint32_t t = 0; t < l->n_topics; t++) json_array_append_new(topics, rpc_json_hash(&l->topics[t]));
    json_object_set_new(o, "topics", topics);
    json_object_set_new(o, "data", rpc_json_data(overlay_log_bytes(l, data), l->data_len));
    json_object_set_new(o, "blockNumber", rpc_json_u64(h->number));
    json_object_set_new(o, "transactionHash", rpc_json_hash(tx_hash));
    json_object_set_new(o, "transactionIndex", rpc_json_u64(tx_index));
    json_object_set_new(o, "blockHash", json_null()); /* set once the header is complete */
    json_object_set_new(o, "blockTimestamp", rpc_json_u64(h->timestamp));
    json_object_set_new(o, "logIndex", rpc_json_u64(log_index));
    json_object_set_new(o, "removed", json_false());
    return o;
}

/* One call's result object. Logs of a failed call are dropped (geth);
 * halt: the message of a halt (node_halt_error); first_log: the block's
 * log count before the call. */
static json_t *call_json(const tx_result *res, const char *halt, const overlay_log *logs, size_t n_logs, const uint8_t *log_data,
                         const block_header *h, const transaction *tx, size_t index, size_t first_log) {
    json_t *o = json_object(), *lj = json_array();
    bool ok = res->status == EVM_SUCCESS;
    /* geth returns the output of a successful call only (a revert's is the
     * error's data) */
    json_object_set_new(o, "returnData", rpc_json_data(res->output, ok ? res->output_size : 0));
    /* geth numbers the logs of a block in the order they were emitted,
     * counting those a revert dropped */
    for (size_t i = 0; ok && i < n_logs; i++)
        json_array_append_new(lj, log_json(&logs[i], log_data, h, &tx->hash, index, first_log + logs[i].seq));
    json_object_set_new(o, "logs", lj);
    json_object_set_new(o, "gasUsed", rpc_json_u64(res->gas_used));
    json_object_set_new(o, "maxUsedGas", rpc_json_u64(res->max_gas_used));
    json_object_set_new(o, "status", rpc_json_u64(ok ? 1 : 0));
    if (!ok) {
        json_t *e = json_object();
        if (res->status == EVM_REVERT) {
            rpc_error re;
            memset(&re, 0, sizeof re);
            rpc_error_revert(&re, res->output, res->output_size);
            json_object_set_new(e, "code", json_integer(RPC_EXECUTION_REVERTED));
            json_object_set_new(e, "message", json_string(re.message));
            json_object_set_new(e, "data", rpc_json_data(res->output, res->output_size));
            rpc_error_clear(&re);
        } else {
            json_object_set_new(e, "code", json_integer(ERR_VM));
            json_object_set_new(e, "message", json_string(halt));
        }
        json_object_set_new(o, "error", e);
    }
    return o;
}

/* Sets blockHash in every log of the calls. */
static void set_log_block_hash(json_t *calls, const bytes32 *hash) {
    for (size_t i = 0; i < json_array_size(calls); i++) {
        json_t *logs = json_object_get(json_array_get(calls, i), "logs");
        for (size_t k = 0; k < json_array_size(logs); k++)
            json_object_set_new(json_array_get(logs, k), "blockHash", rpc_json_hash(hash));
    }
}

/* The state root after the changes so far (the pending block's too), from
 * the store's tries. */
static const char *state_root(sim *s, bytes32 *root) {
    change_set cs = {0};
    block_state_changes(s->acc, &cs);
    const char *why = node_root_after(&s->st, &cs, root);
    change_set_free(&cs);
    return why;
}

/* Runs one simulated block; appends its JSON to out. */
static bool run_block(sim *s, const sim_slot *slot, json_t *out, rpc_error *err) {
    const block_header *parent = s->n_headers ? &s->headers[s->n_headers - 1] : &s->base;
    block b;
    memset(&b, 0, sizeof b);
    fork_id fork;
    begin_header(s, slot, parent, &b.header, &fork);
    block_header *h = &b.header;
    block_rules rules = chain_block_rules(&s->n->chain, h, s->merged);
    rules.host = node_host(s->n);
    rules.chain_id = node_chain_id(s->n);
    block_env env = block_env_of(h, &rules);
    const sim_input *in = slot->in;
    if (in && in->bo.has_blob_base_fee) env.blob_base_fee = in->bo.blob_base_fee;

    address pcs[NODE_MAX_PRECOMPILES], runs[NODE_MAX_PRECOMPILES];
    size_t n_pcs;
    bool moved;
    if (!node_precompiles_overridden(in ? &in->so : NULL, fork, pcs, runs, &n_pcs, &moved, err)) return false;
    if (in && in->so.n) {
        change_set cs = {0};
        node_override_changes(&in->so, s->codes, &cs);
        block_state_apply(s->acc, &cs);
        change_set_free(&cs);
    }
    exec_call_options opt = {
        .no_base_fee = !s->q->validation,
        .check_nonce = s->q->validation,
        .host = {.has_precompiles = moved, .precompiles = pcs, .runs = runs, .n_precompiles = n_pcs,
                 .trace_transfers = s->q->trace_transfers},
    };
    const state_host_options *dev = node_host(s->n); /* anvil_impersonateSignature's */
    if (dev) {
        opt.host.recover_override = dev->recover_override;
        opt.host.recover_arg = dev->recover_arg;
    }
    if (in && in->has_withdrawals) {
        b.withdrawals = in->withdrawals;
        b.n_withdrawals = in->n_withdrawals;
    }
    b.has_withdrawals = fork >= FORK_SHANGHAI;
    size_t n_calls = in ? in->n_calls : 0;
    b.txs = calloc(n_calls ? n_calls : 1, sizeof *b.txs);
    if (!b.txs) abort();

    block_result res;
    memset(&res, 0, sizeof res);
    res.invalid_tx = -1;
    block_pre_transactions(s->ex, &rules, &b, s->view, s->codes, apply_to_acc, s->acc);
    json_t *calls = json_array();
    bloom_cache *bc = bloom_cache_new();
    overlay_log *chain_logs = NULL;
    size_t log_index = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n_calls; i++) {
        transaction *tx = &b.txs[i];
        b.n_txs++; /* counted before it is complete: its auths are freed below */
        bool capped = false;
        if (!(ok = call_tx(s, &in->calls[i], h, res.gas_used, tx, &capped, err))) break;
        if (s->q->validation && !(ok = check_nonce(s, &env, tx, err))) break;
        tx_result r;
        exec_call_with(s->ex, &env, s->view, s->codes, tx, &opt, &r);
        if (!r.valid) {
            char m[400];
            ok = rpc_error_set(err, invalid_code(r.error), "%s",
                               node_call_invalid_message(s->view, &env, tx, r.error, m, sizeof m));
            break;
        }
        size_t n_logs;
        overlay *ov = executor_overlay(s->ex);
        const overlay_log *logs = overlay_logs(ov, &n_logs);
        const uint8_t *log_data = overlay_log_data(ov);
        /* the receipt has the chain's logs: not the synthetic transfers */
        chain_logs = realloc(chain_logs, (n_logs ? n_logs : 1) * sizeof *chain_logs);
        if (!chain_logs) abort();
        size_t n_chain = 0;
        for (size_t k = 0; k < n_logs; k++)
            if (!logs[k].synthetic) chain_logs[n_chain++] = logs[k];
        uint8_t bloom[256] = {0};
        logs_bloom(bloom, chain_logs, n_chain, bc);
        block_add_receipt(&res, &rules, s->acc, tx, &r, chain_logs, n_chain, log_data, bloom);
        res.blob_gas_used += r.blob_gas_used;
        /* a halt's words come from a traced re-run on a spare executor:
         * this one keeps the call's changes and logs */
        char halt[224] = "";
        if (r.status != EVM_SUCCESS && r.status != EVM_REVERT) {
            executor *spare = executor_new();
            node_halt_error(spare, &env, s->view, s->codes, tx, &opt, r.status, halt, sizeof halt);
            executor_free(spare);
            /* geth: a halt under a gas that the node's cap lowered says so */
            if (capped) {
                size_t l = strlen(halt);
                snprintf(halt + l, sizeof halt - l, " (gas limit was capped by the RPC server's global gas cap)");
            }
        }
        json_array_append_new(calls, call_json(&r, halt, logs, n_logs, log_data, h, tx, i, log_index));
        log_index += overlay_logs_emitted(ov);
        s->budget -= r.gas_used < s->budget ? r.gas_used : s->budget;
        block_state_apply(s->acc, executor_changes(s->ex));
    }
    free(chain_logs);
    bloom_cache_free(bc);
    const char *why = NULL;
    if (ok) why = block_finish(s->ex, &rules, &b, s->acc, &res);
    if (ok && why) ok = rpc_error_set(err, RPC_SERVER_ERROR, "block %" PRIu64 ": %s", h->number, why);
    if (ok) {
        h->gas_used = res.gas_used;
        memcpy(h->bloom, res.bloom, 256);
        if (h->has_blob_gas) h->blob_gas_used = res.blob_gas_used;
        if (h->has_requests_hash) h->requests_hash = res.requests_hash;
        h->tx_root = block_tx_root(&b);
        h->receipts_root = block_receipts_root(&res);
        if (h->has_withdrawals_root) h->withdrawals_root = block_withdrawals_root(&b);
        if ((why = state_root(s, &h->state_root)))
            ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "state root of block %" PRIu64 ": %s", h->number, why);
    }
    if (ok) {
        node_block nb;
        memset(&nb, 0, sizeof nb);
        header_encode(h, &nb.header_rlp);
        h->hash = keccak256_hash(nb.header_rlp.data, nb.header_rlp.len);
        nb.number = h->number;
        nb.hash = h->hash;
        nb.b = b;
        nb.has_body = true;
        buf_t whole = {0};
        block_encode(&b, &whole);
        nb.rlp_size = whole.len;
        buf_free(&whole);
        for (size_t i = 0; i < b.n_txs; i++) b.txs[i].v = U256_ZERO;
        json_t *bj = node_json_block(&nb, s->q->full_txs);
        buf_free(&nb.header_rlp);
        set_log_block_hash(calls, &h->hash);
        json_object_set_new(bj, "calls", calls);
        calls = NULL;
        json_array_append_new(out, bj);
        s->headers[s->n_headers++] = *h;
    }
    json_decref(calls);
    for (size_t i = 0; i < b.n_txs; i++) free(b.txs[i].auths);
    free(b.txs);
    block_result_free(&res);
    return ok;
}

/* Opens the base state: a block_state over the snapshot of the base block
 * (with the dev edits of the head, or outside dev mode at "pending" the
 * pending block's changes, as geth simulates on its pending block), so
 * that the simulated changes are one change set over the store's state
 * (for the state roots). */
static bool sim_open(sim *s, node *n, node_read *r, const json_t *params, const sim_request *q, rpc_error *err) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->r = r;
    s->q = q;
    if (!node_state_arg(r, params, 1, &s->st, err)) return false;
    s->base = s->st.header;
    s->merged = node_merged(n, &s->base);
    s->codes = code_store_new();
    s->acc = block_state_new(db_snapshot_view(s->st.src), s->codes);
    if (s->st.head_edits && r->patch) {
        const change_set *edits = node_patch_changes(r->patch);
        if (edits) block_state_apply(s->acc, edits);
    }
    if (s->st.pending_block && !n->dev) {
        change_set pc = {0};
        block_state_changes(s->st.pending_block->state, &pc);
        block_state_apply(s->acc, &pc);
        change_set_free(&pc);
        s->base = s->st.pending_block->b.header;
        s->on_pending = true;
    }
    s->view = (state_view){&SIM_VIEW, s};
    s->ex = node_executor_get(n);
    s->budget = n->cfg.gas_cap ? n->cfg.gas_cap : UINT64_MAX;
    s->headers = calloc(SIM_MAX_BLOCKS, sizeof *s->headers);
    if (!s->headers) abort();
    return true;
}

static void sim_close(sim *s) {
    if (s->ex) node_executor_put(s->n, s->ex);
    if (s->acc) block_state_free(s->acc);
    if (s->codes) code_store_free(s->codes);
    free(s->headers);
    node_state_close(&s->st);
}

static bool simulate(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    sim_request q;
    if (!parse_request(params, &q, err)) {
        request_free(&q);
        return false;
    }
    node_read r;
    if (!node_read_open(n, &r, err)) {
        request_free(&q);
        return false;
    }
    sim s;
    sim_slot *slots = NULL;
    size_t n_slots = 0;
    bool ok = sim_open(&s, n, &r, params, &q, err) && plan_blocks(&q, &s.base, &slots, &n_slots, err);
    json_t *out = json_array();
    for (size_t i = 0; ok && i < n_slots; i++) ok = run_block(&s, &slots[i], out, err);
    if (ok && node_state_failed(&s.st, err)) ok = false;
    free(slots);
    sim_close(&s);
    node_read_close(&r);
    request_free(&q);
    if (!ok) {
        json_decref(out);
        return false;
    }
    *result = out;
    return true;
}

void node_register_simulate(node *n, rpc_methods *m) { rpc_methods_add(m, "eth_simulateV1", simulate, n); }
