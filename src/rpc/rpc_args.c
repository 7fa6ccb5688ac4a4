/* The object parameter codecs: call objects (GenericTransaction), access
 * lists, EIP-7702 authorization lists, state overrides and block overrides,
 * as execution-apis defines them. Each error names the field it is about. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "parevm/rpc_codec.h"

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

/* ---- Access lists -------------------------------------------------------------- */

void rpc_access_list_free(access_entry *list, size_t n) {
    for (size_t i = 0; i < n; i++) free(list[i].keys);
    free(list);
}

static bool parse_access_entry(const json_t *v, access_entry *e, size_t i, char *err, size_t errlen) {
    if (!json_is_object(v)) return fail(err, errlen, "accessList[%zu]: expected an object", i);
    const char *why = rpc_parse_address(json_object_get(v, "address"), &e->addr);
    if (!json_object_get(v, "address")) why = "missing address";
    if (why) return fail(err, errlen, "accessList[%zu].address: %s", i, why);
    const json_t *keys = json_object_get(v, "storageKeys");
    if (!json_is_array(keys)) return fail(err, errlen, "accessList[%zu].storageKeys: expected an array", i);
    e->n_keys = json_array_size(keys);
    e->keys = xcalloc(e->n_keys, sizeof *e->keys);
    for (size_t k = 0; k < e->n_keys; k++)
        if ((why = rpc_parse_hash(json_array_get(keys, k), &e->keys[k])))
            return fail(err, errlen, "accessList[%zu].storageKeys[%zu]: %s", i, k, why);
    return true;
}

bool rpc_parse_access_list(const json_t *v, access_entry **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    if (!json_is_array(v)) return fail(err, errlen, "accessList: expected an array");
    size_t count = json_array_size(v);
    access_entry *list = xcalloc(count, sizeof *list);
    for (size_t i = 0; i < count; i++)
        if (!parse_access_entry(json_array_get(v, i), &list[i], i, err, errlen)) {
            rpc_access_list_free(list, count);
            return false;
        }
    *out = list;
    *n = count;
    return true;
}

/* ---- Call objects ---------------------------------------------------------------- */

void rpc_call_args_free(rpc_call_args *a) {
    free(a->data);
    rpc_access_list_free(a->access_list, a->access_list_len);
    free(a->blob_hashes);
    free(a->auths);
    memset(a, 0, sizeof *a);
}

/* Optional field parsers: absent (or null) leaves *has false. */
#define OPT_FIELD(name, parse, dst, has)                                              \
    do {                                                                              \
        const json_t *f_ = json_object_get(v, name);                                  \
        if (f_ && !json_is_null(f_)) {                                                \
            const char *why_ = parse(f_, dst);                                        \
            if (why_) return fail(err, errlen, "%s: %s", name, why_);                 \
            *(has) = true;                                                            \
        }                                                                             \
    } while (0)

static bool parse_auth(const json_t *v, rpc_authorization *a, size_t i, char *err, size_t errlen) {
    if (!json_is_object(v)) return fail(err, errlen, "authorizationList[%zu]: expected an object", i);
    struct {
        const char *name;
        const char *(*u256_parse)(const json_t *, u256 *);
        u256 *dst;
    } words[] = {{"chainId", rpc_parse_u256, &a->chain_id}, {"r", rpc_parse_u256, &a->r}, {"s", rpc_parse_u256, &a->s}};
    for (size_t k = 0; k < 3; k++) {
        const json_t *f = json_object_get(v, words[k].name);
        const char *why = f ? words[k].u256_parse(f, words[k].dst) : "missing field";
        if (why) return fail(err, errlen, "authorizationList[%zu].%s: %s", i, words[k].name, why);
    }
    const json_t *f = json_object_get(v, "address");
    const char *why = f ? rpc_parse_address(f, &a->addr) : "missing field";
    if (why) return fail(err, errlen, "authorizationList[%zu].address: %s", i, why);
    f = json_object_get(v, "nonce");
    why = f ? rpc_parse_u64(f, &a->nonce) : "missing field";
    if (why) return fail(err, errlen, "authorizationList[%zu].nonce: %s", i, why);
    f = json_object_get(v, "yParity");
    why = f ? rpc_parse_u64(f, &a->y_parity) : "missing field";
    if (why) return fail(err, errlen, "authorizationList[%zu].yParity: %s", i, why);
    return true;
}

static bool parse_auths(const json_t *f, rpc_call_args *out, char *err, size_t errlen) {
    if (!json_is_array(f)) return fail(err, errlen, "authorizationList: expected an array");
    out->n_auths = json_array_size(f);
    out->auths = xcalloc(out->n_auths, sizeof *out->auths);
    for (size_t i = 0; i < out->n_auths; i++)
        if (!parse_auth(json_array_get(f, i), &out->auths[i], i, err, errlen)) return false;
    out->has_auths = true;
    return true;
}

static bool parse_blob_hashes(const json_t *f, rpc_call_args *out, char *err, size_t errlen) {
    if (!json_is_array(f)) return fail(err, errlen, "blobVersionedHashes: expected an array");
    out->n_blob_hashes = json_array_size(f);
    out->blob_hashes = xcalloc(out->n_blob_hashes, sizeof *out->blob_hashes);
    for (size_t i = 0; i < out->n_blob_hashes; i++) {
        const char *why = rpc_parse_hash(json_array_get(f, i), &out->blob_hashes[i]);
        if (why) return fail(err, errlen, "blobVersionedHashes[%zu]: %s", i, why);
    }
    out->has_blob_hashes = true;
    return true;
}

/* "input" and its legacy name "data": "input" wins when both are given, as
 * geth's TransactionArgs.data() (only its setDefaults, for transactions to
 * sign, refuses two that differ) and anvil's into_input(). */
static bool parse_input(const json_t *v, rpc_call_args *out, char *err, size_t errlen) {
    const json_t *input = json_object_get(v, "input"), *data = json_object_get(v, "data");
    if (input && json_is_null(input)) input = NULL;
    if (data && json_is_null(data)) data = NULL;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    const char *why;
    if (input && (why = rpc_parse_data(input, &a, &alen))) return fail(err, errlen, "input: %s", why);
    if (data && (why = rpc_parse_data(data, &b, &blen))) {
        free(a);
        return fail(err, errlen, "data: %s", why);
    }
    if (a) {
        free(b);
        b = a;
        blen = alen;
    }
    out->data = b;
    out->data_len = blen;
    out->has_data = b != NULL;
    return true;
}

static const char *parse_type(const json_t *f, uint8_t *out) {
    uint64_t t;
    const char *why = rpc_parse_u64(f, &t);
    if (why) return why;
    if (t > 0x7f) return "transaction type out of range";
    *out = (uint8_t)t;
    return NULL;
}

static bool parse_call_fields(const json_t *v, rpc_call_args *out, char *err, size_t errlen) {
    OPT_FIELD("from", rpc_parse_address, &out->from, &out->has_from);
    OPT_FIELD("to", rpc_parse_address, &out->to, &out->has_to);
    OPT_FIELD("gas", rpc_parse_u64, &out->gas, &out->has_gas);
    OPT_FIELD("gasPrice", rpc_parse_u256, &out->gas_price, &out->has_gas_price);
    OPT_FIELD("maxFeePerGas", rpc_parse_u256, &out->max_fee, &out->has_max_fee);
    OPT_FIELD("maxPriorityFeePerGas", rpc_parse_u256, &out->max_priority_fee, &out->has_max_priority_fee);
    OPT_FIELD("maxFeePerBlobGas", rpc_parse_u256, &out->max_fee_per_blob_gas, &out->has_max_fee_per_blob_gas);
    OPT_FIELD("value", rpc_parse_u256, &out->value, &out->has_value);
    OPT_FIELD("nonce", rpc_parse_u64, &out->nonce, &out->has_nonce);
    OPT_FIELD("chainId", rpc_parse_u64, &out->chain_id, &out->has_chain_id);
    OPT_FIELD("type", parse_type, &out->type, &out->has_type);
    if (!parse_input(v, out, err, errlen)) return false;
    const json_t *f = json_object_get(v, "accessList");
    if (f && !json_is_null(f)) {
        if (!rpc_parse_access_list(f, &out->access_list, &out->access_list_len, err, errlen)) return false;
        out->has_access_list = true;
    }
    f = json_object_get(v, "blobVersionedHashes");
    if (f && !json_is_null(f) && !parse_blob_hashes(f, out, err, errlen)) return false;
    f = json_object_get(v, "authorizationList");
    if (f && !json_is_null(f) && !parse_auths(f, out, err, errlen)) return false;
    if (out->has_gas_price && (out->has_max_fee || out->has_max_priority_fee))
        return fail(err, errlen, "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
    return true;
}

bool rpc_parse_call_args(const json_t *v, rpc_call_args *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) return fail(err, errlen, "transaction call object expected");
    if (parse_call_fields(v, out, err, errlen)) return true;
    rpc_call_args_free(out);
    return false;
}

/* ---- State overrides ----------------------------------------------------------------- */

void rpc_state_override_free(rpc_state_override *o) {
    for (size_t i = 0; i < o->n; i++) {
        free(o->accounts[i].code);
        free(o->accounts[i].slots);
    }
    free(o->accounts);
    memset(o, 0, sizeof *o);
}

static bool parse_slots(const json_t *v, const char *field, const char *addr, rpc_account_override *a,
                        char *err, size_t errlen) {
    if (!json_is_object(v)) return fail(err, errlen, "%s.%s: expected an object of slot: value", addr, field);
    a->n_slots = json_object_size(v);
    a->slots = xcalloc(a->n_slots, sizeof *a->slots);
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        json_t *k = json_string(key);
        if (!k) abort();
        const char *why = rpc_parse_hash(k, &a->slots[i].key);
        json_decref(k);
        if (why) return fail(err, errlen, "%s.%s: slot %.80s: %s", addr, field, key, why);
        if ((why = rpc_parse_hash(val, &a->slots[i].value)))
            return fail(err, errlen, "%s.%s[%.80s]: %s", addr, field, key, why);
        i++;
    }
    return true;
}

static bool parse_account_override(const char *addr_text, const json_t *v, rpc_account_override *a,
                                   char *err, size_t errlen) {
    json_t *k = json_string(addr_text);
    if (!k) abort();
    const char *why = rpc_parse_address(k, &a->addr);
    json_decref(k);
    if (why) return fail(err, errlen, "state override key %.80s: %s", addr_text, why);
    if (!json_is_object(v)) return fail(err, errlen, "%s: expected an object", addr_text);
    const char *key;
    json_t *f;
    json_object_foreach((json_t *)v, key, f) {
        if (json_is_null(f)) continue;
        if (!strcmp(key, "balance")) {
            if ((why = rpc_parse_u256(f, &a->balance))) return fail(err, errlen, "%s.balance: %s", addr_text, why);
            a->has_balance = true;
        } else if (!strcmp(key, "nonce")) {
            if ((why = rpc_parse_u64(f, &a->nonce))) return fail(err, errlen, "%s.nonce: %s", addr_text, why);
            a->has_nonce = true;
        } else if (!strcmp(key, "code")) {
            if ((why = rpc_parse_data(f, &a->code, &a->code_len))) return fail(err, errlen, "%s.code: %s", addr_text, why);
            a->has_code = true;
        } else if (!strcmp(key, "state") || !strcmp(key, "stateDiff")) {
            if (a->storage != RPC_STORAGE_KEEP)
                return fail(err, errlen, "%s: has both 'state' and 'stateDiff'", addr_text);
            if (!parse_slots(f, key, addr_text, a, err, errlen)) return false;
            a->storage = !strcmp(key, "state") ? RPC_STORAGE_REPLACE : RPC_STORAGE_DIFF;
        } else if (!strcmp(key, "movePrecompileToAddress")) {
            if ((why = rpc_parse_address(f, &a->move_to)))
                return fail(err, errlen, "%s.movePrecompileToAddress: %s", addr_text, why);
            a->has_move_to = true;
        } else {
            return fail(err, errlen, "%s: unknown field '%.40s' (want balance, nonce, code, state, "
                                     "stateDiff, movePrecompileToAddress)", addr_text, key);
        }
    }
    return true;
}

bool rpc_parse_state_override(const json_t *v, rpc_state_override *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) return fail(err, errlen, "state override: expected an object keyed by address");
    out->accounts = xcalloc(json_object_size(v), sizeof *out->accounts);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        rpc_account_override *a = &out->accounts[out->n++];
        if (!parse_account_override(key, val, a, err, errlen)) goto bad;
        for (size_t i = 0; i + 1 < out->n; i++)
            if (address_eq(&out->accounts[i].addr, &a->addr)) {
                fail(err, errlen, "state override: address %.42s given twice", key);
                goto bad;
            }
    }
    return true;
bad:
    rpc_state_override_free(out);
    return false;
}

/* ---- Block overrides ------------------------------------------------------------------- */

const char *rpc_block_override_simulate_only(const json_t *v) {
    static const char *const names[] = {"beaconRoot", "withdrawals"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const json_t *f = json_object_get(v, names[i]);
        if (f && !json_is_null(f)) return names[i];
    }
    return NULL;
}

bool rpc_parse_block_override(const json_t *v, rpc_block_override *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) return fail(err, errlen, "block override: expected an object");
    OPT_FIELD("number", rpc_parse_u64, &out->number, &out->has_number);
    OPT_FIELD("time", rpc_parse_u64, &out->time, &out->has_time);
    OPT_FIELD("gasLimit", rpc_parse_u64, &out->gas_limit, &out->has_gas_limit);
    OPT_FIELD("feeRecipient", rpc_parse_address, &out->fee_recipient, &out->has_fee_recipient);
    OPT_FIELD("coinbase", rpc_parse_address, &out->fee_recipient, &out->has_fee_recipient);
    OPT_FIELD("prevRandao", rpc_parse_hash, &out->prev_randao, &out->has_prev_randao);
    OPT_FIELD("random", rpc_parse_hash, &out->prev_randao, &out->has_prev_randao);
    OPT_FIELD("difficulty", rpc_parse_u256, &out->difficulty, &out->has_difficulty);
    OPT_FIELD("baseFeePerGas", rpc_parse_u256, &out->base_fee, &out->has_base_fee);
    OPT_FIELD("blobBaseFee", rpc_parse_u256, &out->blob_base_fee, &out->has_blob_base_fee);
    return true;
}
