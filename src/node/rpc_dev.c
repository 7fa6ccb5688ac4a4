/* Method group (dev mode only): what anvil and hardhat users call --
 * evm_mine, evm_mine_detailed/anvil_mine_detailed, anvil_mine/hardhat_mine,
 * evm_snapshot, evm_revert,
 * evm_increaseTime, evm_setNextBlockTimestamp, evm_setAutomine,
 * anvil_setBalance/setCode/setNonce/setStorageAt, anvil_addBalance,
 * anvil_setMinGasPrice (refused, as anvil refuses it with EIP-1559),
 * anvil_impersonateAccount/stopImpersonatingAccount/autoImpersonateAccount
 * (each also as hardhat_*), anvil_setCoinbase, evm_setBlockGasLimit,
 * anvil_setNextBlockBaseFeePerGas, anvil_getAutomine, anvil_snapshot,
 * anvil_revert, anvil_reset, evm_setIntervalMining, anvil_setBlockTimestampInterval,
 * anvil_setLoggingEnabled (anvil_dumpState/loadState: rpc_dev_state.c),
 * anvil_dropTransaction, anvil_dropAllTransactions,
 * anvil_removePoolTransactions, evm_setAccountNonce, anvil_setRpcUrl
 * (refused: no forking), eth_sendTransaction
 * (from a dev account, signed with its key, or from an impersonated one,
 * unsigned), eth_sendUnsignedTransaction (anvil's: from anyone, unsigned).
 * The signing methods are rpc_sign.c's.
 *
 * State edits are change sets layered over the head (node_patch.c) and
 * folded into the next block; they and everything else that writes run on
 * the writer thread. */
#include <stdio.h>
#include <stdlib.h>
#include "node_build.h"
#include "node_call.h"
#include "node_dev.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* ---- Lenient quantities (hardhat and viem send leading zeros) -------------------------------- */

const char *node_dev_u256(const json_t *v, u256 *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return NULL;
    }
    if (!json_is_string(v)) return "expected a hex quantity";
    const char *s = json_string_value(v);
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return "hex string without 0x prefix";
    s += 2;
    size_t len = strlen(s);
    if (len == 0) return "empty hex number";
    while (len > 1 && *s == '0') s++, len--;
    if (len > 64) return "hex number larger than 256 bits";
    uint8_t b[32] = {0};
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return "invalid hex string";
        size_t nib = 64 - len + i;
        b[nib / 2] |= (uint8_t)(d << (nib % 2 ? 0 : 4));
    }
    *out = u256_from_be(b, 32);
    return NULL;
}

const char *node_dev_u64(const json_t *v, uint64_t *out) {
    u256 x;
    const char *why = node_dev_u256(v, &x);
    if (why) return why;
    if (!u256_fits_u64(&x)) return "number larger than 64 bits";
    *out = x.w[0];
    return NULL;
}

/* ---- State edits ---------------------------------------------------------------------------- */

typedef struct {
    change_set cs;      /* the edit */
    bool add_balance;   /* anvil_addBalance: cs's one balance is added to the head's */
} edit_job;

/* anvil_addBalance's edit: the amount in j plus the balance the head shows
 * (its edits included), read on the writer so that no edit comes between;
 * past 2^256 the balance stays at 2^256 - 1. */
static bool add_to_balance(node_read *r, edit_job *j) {
    node_state st;
    rpc_error err = {0};
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_state_open(r, &latest, &st, &err)) {
        rpc_error_clear(&err);
        return false;
    }
    account_change *ac = &j->cs.accounts[0];
    account_info info;
    st.view.ops->get_account(st.view.ctx, &ac->addr, FIELD_BALANCE, &info);
    bool ok = !node_state_failed(&st, &err);
    rpc_error_clear(&err);
    if (u256_add_carry(&ac->balance, &info.balance, &ac->balance)) memset(&ac->balance, 0xff, sizeof ac->balance);
    node_state_close(&st);
    return ok;
}

/* True when an entry of the new edit `by` sets again every flag, field
 * and slot that a (an earlier edit's entry, in cs) set: a has no effect
 * left and is dropped, so that the head's edits (and every snapshot's copy
 * of them) grow with the state they change, not with the calls made
 * (anvil writes such edits into its state). A balance delta is only
 * dropped by an absolute balance: deltas add up. */
static bool superseded(const change_set *cs, const account_change *a, const change_set *by) {
    for (size_t i = 0; i < by->n_accounts; i++) {
        const account_change *e = &by->accounts[i];
        if (!address_eq(&e->addr, &a->addr)) continue;
        if (a->flags & ~e->flags) continue;
        if ((a->flags & CHANGE_BALANCE_DELTA) && !(e->flags & CHANGE_BALANCE)) continue;
        bool all_slots = true;
        for (uint32_t k = 0; all_slots && k < a->n_slots; k++) {
            const u256 *key = &cs->slots[a->first_slot + k].key;
            bool found = false;
            for (uint32_t m = 0; !found && m < e->n_slots; m++) found = u256_eq(key, &by->slots[e->first_slot + m].key);
            all_slots = found;
        }
        if (all_slots) return true;
    }
    return false;
}

/* Appends an edit to the head's edits and re-checks the pool. */
static const char *apply_edit(node *n, void *arg) {
    edit_job *j = arg;
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    if (j->add_balance && !add_to_balance(&r, j)) {
        node_read_close(&r);
        return "cannot read the head";
    }
    change_set all = {0};
    const change_set *old = r.patch ? node_patch_changes(r.patch) : NULL;
    for (size_t i = 0; old && i < old->n_accounts; i++)
        if (!superseded(old, &old->accounts[i], &j->cs)) change_set_append_entry(&all, old, i);
    change_set_append(&all, &j->cs, j->cs.n_accounts);
    const char *err = node_patch_store(n, &r.head_hash, &all);
    if (!err) node_patch_publish_edit(n, r.head, &r.head_hash, &all, r.patch, &j->cs);
    change_set_free(&all);
    node_read_close(&r);
    if (!err) node_pool_new_head(n);
    return err;
}

static bool edit(node *n, edit_job *j, json_t **result, json_t *ok_value, rpc_error *err) {
    const char *why = node_writer_call(n, apply_edit, j);
    change_set_free(&j->cs);
    if (why) {
        json_decref(ok_value);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    }
    *result = ok_value;
    return true;
}

bool node_dev_edit(node *n, change_set *cs, json_t **result, json_t *ok_value, rpc_error *err) {
    edit_job j = {.cs = *cs};
    memset(cs, 0, sizeof *cs);
    return edit(n, &j, result, ok_value, err);
}

static bool parse_addr(const json_t *params, size_t i, address *a, rpc_error *err) {
    const char *why = rpc_parse_address(rpc_arg(params, i), a);
    return why ? rpc_error_invalid_param(err, i, why) : true;
}

/* anvil_setBalance (add false) and anvil_addBalance (add true: the
 * balance raised by the amount): (address, amount). */
static bool balance_edit(node *n, const json_t *params, bool add, json_t **result, rpc_error *err) {
    address a;
    u256 v;
    if (!rpc_check_args(params, 2, 2, err) || !parse_addr(params, 0, &a, err)) return false;
    const char *why = node_dev_u256(rpc_arg(params, 1), &v);
    if (why) return rpc_error_invalid_param(err, 1, why);
    edit_job j = {.add_balance = add};
    account_change *ac = change_set_add_account(&j.cs, &a);
    ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE;
    ac->balance = v;
    return edit(n, &j, result, json_null(), err);
}

static bool set_balance(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return balance_edit(ctx, params, false, result, err);
}

static bool add_balance(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return balance_edit(ctx, params, true, result, err);
}

/* anvil_setMinGasPrice: anvil refuses it on a chain with EIP-1559, which a
 * dev chain always has (London on). */
static bool set_min_gas_price(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    (void)result;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    return rpc_error_set(err, RPC_INVALID_PARAMS, "anvil_setMinGasPrice is not supported when EIP-1559 is active");
}

static bool set_nonce(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    address a;
    uint64_t v;
    if (!rpc_check_args(params, 2, 2, err) || !parse_addr(params, 0, &a, err)) return false;
    const char *why = node_dev_u64(rpc_arg(params, 1), &v);
    if (why) return rpc_error_invalid_param(err, 1, why);
    edit_job j = {.add_balance = false};
    account_change *ac = change_set_add_account(&j.cs, &a);
    ac->flags = CHANGE_TOUCHED | CHANGE_NONCE;
    ac->nonce = v;
    return edit(ctx, &j, result, json_null(), err);
}

static bool set_code(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    address a;
    if (!rpc_check_args(params, 2, 2, err) || !parse_addr(params, 0, &a, err)) return false;
    uint8_t *code;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 1), &code, &len);
    if (why) return rpc_error_invalid_param(err, 1, why);
    edit_job j = {.add_balance = false};
    account_change *ac = change_set_add_account(&j.cs, &a);
    ac->flags = CHANGE_TOUCHED | CHANGE_CODE;
    ac->code = code_store_intern(db_codes(n->db), code, len);
    free(code);
    return edit(n, &j, result, json_null(), err);
}

static bool set_storage(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    address a;
    u256 k, v;
    if (!rpc_check_args(params, 3, 3, err) || !parse_addr(params, 0, &a, err)) return false;
    const char *why = node_dev_u256(rpc_arg(params, 1), &k);
    if (why) return rpc_error_invalid_param(err, 1, why);
    /* the value is a 32-byte word, as anvil and hardhat take it (a short
     * hex string is refused, not zero-extended) */
    bytes32 word;
    if ((why = rpc_parse_hash(rpc_arg(params, 2), &word))) return rpc_error_invalid_param(err, 2, why);
    v = u256_from_be(word.b, 32);
    edit_job j = {.add_balance = false};
    account_change *ac = change_set_add_account(&j.cs, &a);
    ac->flags = CHANGE_TOUCHED;
    change_set_add_slot(&j.cs, ac, &k, &v);
    return edit(ctx, &j, result, json_true(), err);
}

/* ---- Impersonation --------------------------------------------------------------------------------- */

static bool is_impersonated(node_dev *d, const address *a) {
    pthread_mutex_lock(&d->mu);
    bool yes = d->auto_impersonate;
    for (size_t i = 0; i < d->n_impersonated && !yes; i++) yes = address_eq(&d->impersonated[i], a);
    pthread_mutex_unlock(&d->mu);
    return yes;
}

static bool impersonate(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    address a;
    if (!rpc_check_args(params, 1, 1, err) || !parse_addr(params, 0, &a, err)) return false;
    if (is_impersonated(d, &a) && !d->auto_impersonate) return true;
    pthread_mutex_lock(&d->mu);
    if (d->n_impersonated == d->cap_impersonated) {
        d->cap_impersonated = d->cap_impersonated ? 2 * d->cap_impersonated : 8;
        d->impersonated = realloc(d->impersonated, d->cap_impersonated * sizeof *d->impersonated);
        if (!d->impersonated) abort();
    }
    d->impersonated[d->n_impersonated++] = a;
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

static bool stop_impersonating(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    address a;
    if (!rpc_check_args(params, 1, 1, err) || !parse_addr(params, 0, &a, err)) return false;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_impersonated; i++)
        if (address_eq(&d->impersonated[i], &a)) d->impersonated[i--] = d->impersonated[--d->n_impersonated];
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

static bool auto_impersonate(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bool on;
    const char *why = rpc_parse_bool(rpc_arg(params, 0), &on);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&d->mu);
    d->auto_impersonate = on;
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

/* ---- Mining and time --------------------------------------------------------------------------------- */

static bool run_mine(node *n, node_dev_mine_job *j, json_t **result, json_t *value, rpc_error *err) {
    if (j->blocks > 100000) {
        json_decref(value);
        return rpc_error_set(err, RPC_INVALID_PARAMS, "too many blocks at once (at most 100000)");
    }
    const char *why = node_writer_call(n, node_dev_mine_blocks, j);
    if (why) {
        json_decref(value);
        return rpc_error_set(err, RPC_SERVER_ERROR, "%s", why);
    }
    *result = value;
    return true;
}

/* evm_mine's argument: [timestamp | {timestamp, blocks}]. */
static bool mine_options(const json_t *params, node_dev_mine_job *j, rpc_error *err) {
    if (!rpc_check_args(params, 0, 1, err)) return false;
    *j = (node_dev_mine_job){.blocks = 1, .interval = 1};
    const json_t *p = rpc_arg(params, 0);
    const char *why = NULL;
    if (json_is_object(p)) {
        const json_t *t = json_object_get(p, "timestamp"), *b = json_object_get(p, "blocks");
        if (t && !json_is_null(t)) why = node_dev_u64(t, &j->timestamp);
        if (!why && b && !json_is_null(b)) why = node_dev_u64(b, &j->blocks);
    } else if (p) {
        why = node_dev_u64(p, &j->timestamp);
    }
    return why ? rpc_error_invalid_param(err, 0, why) : true;
}

static bool evm_mine(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev_mine_job j;
    return mine_options(params, &j, err) && run_mine(ctx, &j, result, json_string("0x0"), err);
}

/* evm_mine_detailed / anvil_mine_detailed: evm_mine answering with the
 * blocks it mined (rpc_dev_chain.c). */
static bool evm_mine_detailed(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev_mine_job j;
    if (!mine_options(params, &j, err) || !run_mine(ctx, &j, result, json_null(), err)) return false;
    json_decref(*result);
    *result = NULL;
    uint64_t first = j.blocks && j.blocks - 1 <= j.last ? j.last - (j.blocks - 1) : j.last + 1;
    return node_dev_detailed_blocks(ctx, first, j.last, result, err);
}

/* anvil_mine / hardhat_mine([blocks], [interval]) */
static bool anvil_mine(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 2, err)) return false;
    node_dev_mine_job j = {.blocks = 1, .interval = 1};
    const char *why = NULL;
    if (rpc_arg(params, 0)) why = node_dev_u64(rpc_arg(params, 0), &j.blocks);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if (rpc_arg(params, 1) && (why = node_dev_u64(rpc_arg(params, 1), &j.interval))) return rpc_error_invalid_param(err, 1, why);
    j.advance = rpc_arg(params, 1) && !json_is_null(rpc_arg(params, 1));
    return run_mine(ctx, &j, result, json_null(), err);
}

static bool increase_time(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t s;
    const char *why = node_dev_u64(rpc_arg(params, 0), &s);
    if (why || s > (1ULL << 40)) return rpc_error_invalid_param(err, 0, why ? why : "too large");
    pthread_mutex_lock(&d->mu);
    d->time_offset = node_dev_offset_plus(d->time_offset, s);
    int64_t total = d->time_offset;
    pthread_mutex_unlock(&d->mu);
    /* anvil's answer: the clock's whole offset, a JSON integer (negative
     * on a chain started in the past) */
    *result = json_integer(total);
    return true;
}

static bool set_next_timestamp(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    node_dev *d = n->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t t;
    const char *why = node_dev_u64(rpc_arg(params, 0), &t);
    if (why) return rpc_error_invalid_param(err, 0, why);
    node_read r;
    block_header h;
    if (!node_read_open(n, &r, err)) return false;
    why = node_header(&r, r.head, &r.head_hash, &h);
    node_read_close(&r);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    if (t <= h.timestamp)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "timestamp %llu is not after the latest block's (%llu)",
                             (unsigned long long)t, (unsigned long long)h.timestamp);
    pthread_mutex_lock(&d->mu);
    d->has_next_time = true;
    d->next_time = t;
    /* the clock continues from there, as anvil's does */
    d->time_offset = node_dev_offset_to(t);
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

static bool set_automine(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bool on;
    const char *why = rpc_parse_bool(rpc_arg(params, 0), &on);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&n->dev->mu);
    n->dev->automine = on;
    if (on) n->dev->period_s = 0; /* one mining mode at a time, as anvil's */
    pthread_mutex_unlock(&n->dev->mu);
    if (on) node_writer_kick(n);
    *result = json_null();
    return true;
}

/* ---- Snapshots -------------------------------------------------------------------------------------- */

static const char *take_snapshot(node *n, void *arg) {
    uint64_t *id = arg;
    node_dev *d = n->dev;
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    if (d->n_snapshots == d->cap_snapshots) {
        d->cap_snapshots = d->cap_snapshots ? 2 * d->cap_snapshots : 8;
        d->snapshots = realloc(d->snapshots, d->cap_snapshots * sizeof *d->snapshots);
        if (!d->snapshots) abort();
    }
    node_dev_snapshot *s = &d->snapshots[d->n_snapshots++];
    pthread_mutex_lock(&d->mu);
    *s = (node_dev_snapshot){d->next_snapshot++, r.head, r.head_hash, r.patch, d->time_offset, d->has_next_time,
                             d->next_time};
    pthread_mutex_unlock(&d->mu);
    *id = s->id;
    r.patch = NULL; /* kept by the snapshot */
    node_read_close(&r);
    return NULL;
}

static const char NO_SNAPSHOT[] = "no such snapshot";

static const char *revert_snapshot(node *n, void *arg) {
    uint64_t id = *(uint64_t *)arg;
    node_dev *d = n->dev;
    size_t i = 0;
    while (i < d->n_snapshots && d->snapshots[i].id != id) i++;
    if (i == d->n_snapshots) return NO_SNAPSHOT;
    node_dev_snapshot s = d->snapshots[i];
    for (size_t k = i + 1; k < d->n_snapshots; k++) node_patch_release(d->snapshots[k].patch);
    d->n_snapshots = i;
    const char *err = db_unwind(n->db, s.number, NULL);
    if (!err) {
        node_head_moved(n, node_patch_changes(s.patch));
        pthread_mutex_lock(&d->mu);
        d->time_offset = s.time_offset;
        d->has_next_time = s.has_next_time;
        d->next_time = s.next_time;
        pthread_mutex_unlock(&d->mu);
        node_dev_drop_next_randao(d);
    }
    node_patch_release(s.patch);
    return err;
}

static bool evm_snapshot(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    uint64_t id;
    const char *why = node_writer_call(ctx, take_snapshot, &id);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = rpc_json_u64(id);
    return true;
}

static bool evm_revert(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t id;
    const char *why = node_dev_u64(rpc_arg(params, 0), &id);
    if (why) return rpc_error_invalid_param(err, 0, why);
    why = node_writer_call(ctx, revert_snapshot, &id);
    if (why && why != NO_SNAPSHOT) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = json_boolean(why == NULL);
    return true;
}

/* ---- The next blocks' header fields ------------------------------------------------------------------ */

static bool set_coinbase(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    address a;
    if (!rpc_check_args(params, 1, 1, err) || !parse_addr(params, 0, &a, err)) return false;
    pthread_mutex_lock(&d->mu);
    d->coinbase = a;
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

/* geth's floor for a block's gas limit; above 2^63-1 the header is invalid (EIP-1985) */
#define MIN_BLOCK_GAS_LIMIT 5000u

static bool set_block_gas_limit(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t g;
    const char *why = node_dev_u64(rpc_arg(params, 0), &g);
    if (!why && (g < MIN_BLOCK_GAS_LIMIT || g > INT64_MAX)) why = "gas limit out of range (5000 to 2^63-1)";
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&d->mu);
    d->gas_limit = g;
    pthread_mutex_unlock(&d->mu);
    *result = json_true();
    return true;
}

/* The next block's base fee (64 bits, so that EIP-1559's update from it
 * cannot overflow); the blocks after it follow the formula from there. */
static bool set_next_base_fee(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t fee;
    const char *why = node_dev_u64(rpc_arg(params, 0), &fee);
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&d->mu);
    d->has_next_base_fee = true;
    d->next_base_fee = u256_from_u64(fee);
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

static bool get_automine(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    *result = json_boolean(node_dev_automine(((node *)ctx)->dev));
    return true;
}

/* evm_setIntervalMining / anvil_setIntervalMining(seconds): a block every
 * so many seconds instead of automine; 0 mines only when asked. */
static bool set_interval_mining(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t secs;
    const char *why = node_dev_u64(rpc_arg(params, 0), &secs);
    if (!why && secs > 86400) why = "interval above a day";
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&n->dev->mu);
    n->dev->period_s = (unsigned)secs;
    n->dev->automine = false;
    pthread_mutex_unlock(&n->dev->mu);
    node_writer_kick(n);
    *result = json_null();
    return true;
}

static bool get_interval_mining(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    unsigned p = node_dev_period(ctx);
    *result = p ? json_integer(p) : json_null();
    return true;
}

/* anvil_setBlockTimestampInterval(seconds): each new block that much after
 * its parent; anvil_removeBlockTimestampInterval ends it (true if set). */
static bool set_ts_interval(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint64_t secs;
    const char *why = node_dev_u64(rpc_arg(params, 0), &secs);
    if (!why && (secs == 0 || secs > (1ULL << 32))) why = "interval out of range (1 to 2^32 seconds)";
    if (why) return rpc_error_invalid_param(err, 0, why);
    pthread_mutex_lock(&d->mu);
    d->has_ts_interval = true;
    d->ts_interval = secs;
    pthread_mutex_unlock(&d->mu);
    *result = json_null();
    return true;
}

static bool remove_ts_interval(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node_dev *d = ((node *)ctx)->dev;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    pthread_mutex_lock(&d->mu);
    bool was = d->has_ts_interval;
    d->has_ts_interval = false;
    pthread_mutex_unlock(&d->mu);
    *result = json_boolean(was);
    return true;
}

/* anvil_setLoggingEnabled(bool): accepted; the node's log is --quiet's */
/* anvil_setLoggingEnabled(on): as anvil, off silences what the node
 * prints about its activity (console.log lines, block reports, traces). */
static bool set_logging(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    bool on;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const char *why = rpc_parse_bool(rpc_arg(params, 0), &on);
    if (why) return rpc_error_invalid_param(err, 0, why);
    atomic_store(&n->dev->quiet, !on);
    *result = json_null();
    return true;
}

/* ---- Reset ------------------------------------------------------------------------------------------ */


/* Back to the genesis block with no edits, an empty pool, no snapshots, the
 * real clock and the default header fields (anvil_reset without forking). */
static const char *reset_chain(node *n, void *arg) {
    (void)arg;
    node_dev *d = n->dev;
    const char *err = db_unwind(n->db, 0, NULL);
    if (err) return err;
    for (size_t i = 0; i < d->n_snapshots; i++) node_patch_release(d->snapshots[i].patch);
    d->n_snapshots = 0;
    node_pool_drop(n, NULL);
    node_head_moved(n, NULL);
    pthread_mutex_lock(&d->mu);
    /* the clock back at the genesis time, as anvil's, where one was given */
    d->time_offset = n->cfg.dev_genesis_time ? node_dev_offset_to(d->genesis_time) : 0;
    d->has_next_time = false;
    d->has_next_base_fee = false;
    d->coinbase = d->genesis_coinbase;
    d->gas_limit = 0;
    d->has_ts_interval = false;
    node_dev_new_instance(d);
    pthread_mutex_unlock(&d->mu);
    node_dev_drop_next_randao(d);
    node_dev_forget_blobs(d);
    return NULL;
}

static bool reset(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 1, err)) return false;
    const json_t *opt = rpc_arg(params, 0);
    if (opt && !json_is_null(opt)) {
        if (!json_is_object(opt)) return rpc_error_invalid_param(err, 0, "expected an object or null");
        /* {forking: {}} without a URL or block (what viem's reset() sends)
         * is a plain reset; anything that asks to fork is refused */
        const json_t *f = json_object_get(opt, "forking");
        if (f && !json_is_null(f) && !json_is_object(f)) return rpc_error_invalid_param(err, 0, "forking: expected an object");
        const json_t *url = json_object_get(f, "jsonRpcUrl"), *num = json_object_get(f, "blockNumber");
        if ((url && !json_is_null(url)) || (num && !json_is_null(num)))
            return rpc_error_set(err, RPC_INVALID_PARAMS, "forking is not supported");
    }
    const char *why = node_writer_call(ctx, reset_chain, NULL);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = json_null();
    return true;
}

/* anvil_dropAllTransactions: an empty pool. */
static bool drop_all(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_pool_drop(ctx, NULL);
    *result = json_null();
    return true;
}

/* anvil_removePoolTransactions(address): the pool without its transactions. */
static bool remove_pool_txs(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    address a;
    if (!parse_addr(params, 0, &a, err)) return false;
    node_pool_drop(ctx, &a);
    *result = json_null();
    return true;
}

/* anvil_setRpcUrl(url): the fork's upstream; the node never forks, so it
 * is refused, as anvil_reset's forking is (rather than ignored). */
static bool set_rpc_url(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)result;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    if (!json_is_string(rpc_arg(params, 0))) return rpc_error_invalid_param(err, 0, "expected a URL");
    return rpc_error_set(err, RPC_INVALID_PARAMS, "forking is not supported");
}

static bool drop_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    bytes32 h;
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &h);
    if (why) return rpc_error_invalid_param(err, 0, why);
    *result = txpool_remove(n->pool, &h) ? rpc_json_hash(&h) : json_null();
    return true;
}

/* ---- Sending ------------------------------------------------------------------------------------------ */

const uint8_t *node_dev_key(const node *n, const address *a) {
    for (unsigned i = 0; i < n->dev->n_accounts; i++)
        if (address_eq(&n->dev->addrs[i], a)) return n->dev->keys[i];
    return NULL;
}

bool node_dev_impersonated(const node *n, const address *a) { return is_impersonated(n->dev, a); }

void node_dev_list_impersonated(const node *n, json_t *list) {
    node_dev *d = n->dev;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_impersonated; i++) {
        json_t *a = rpc_json_address(&d->impersonated[i]);
        bool listed = false;
        for (size_t k = 0; k < json_array_size(list) && !listed; k++) listed = json_equal(json_array_get(list, k), a);
        if (listed) json_decref(a);
        else json_array_append_new(list, a);
    }
    pthread_mutex_unlock(&d->mu);
}

/* Deep copies of the call object's buffers, so that the pool can own them. */
static void own_buffers(transaction *tx) {
    if (tx->data_len) {
        uint8_t *d = malloc(tx->data_len);
        if (!d) abort();
        memcpy(d, tx->data, tx->data_len);
        tx->data = d;
    } else {
        tx->data = NULL;
    }
    if (tx->access_list_len) {
        access_entry *l = calloc(tx->access_list_len, sizeof *l);
        if (!l) abort();
        for (size_t i = 0; i < tx->access_list_len; i++) {
            l[i] = tx->access_list[i];
            l[i].keys = malloc((l[i].n_keys ? l[i].n_keys : 1) * 32);
            if (!l[i].keys) abort();
            if (l[i].n_keys) memcpy(l[i].keys, tx->access_list[i].keys, 32 * l[i].n_keys);
        }
        tx->access_list = l;
    } else {
        tx->access_list = NULL;
    }
    if (tx->n_blob_hashes) {
        bytes32 *h = malloc(32 * tx->n_blob_hashes);
        if (!h) abort();
        memcpy(h, tx->blob_hashes, 32 * tx->n_blob_hashes);
        tx->blob_hashes = h;
    } else {
        tx->blob_hashes = NULL;
    }
}

/* Fees the call object leaves out, for the next block: a 1 gwei tip, a cap
 * of the base fee plus the tip, as anvil fills it (its eth_gasPrice), so
 * that a balance less gas * eth_gasPrice can be sent (legacy: the same). */
static void fill_fees(const node *n, fork_id fork, const rpc_call_args *a, const u256 *base_fee, transaction *tx) {
    u256 tip = u256_from_u64(1000000000ULL), cap = *base_fee;
    u256_add_carry(&cap, &cap, &tip);
    if (tx->type >= TX_DYNAMIC_FEE) {
        if (!a->has_max_priority_fee && !a->has_gas_price) tx->max_priority_fee = tip;
        if (!a->has_max_fee && !a->has_gas_price) {
            tx->max_fee = cap;
            if (u256_lt(&tx->max_fee, &tx->max_priority_fee)) tx->max_fee = tx->max_priority_fee;
        }
    } else if (!a->has_gas_price) {
        tx->gas_price = node_gas_price(n, base_fee, fork >= FORK_LONDON, &tip);
    }
}

bool node_dev_fill_tx(node *n, const rpc_call_args *a, bool strict, transaction *tx, rpc_error *err) {
    memset(tx, 0, sizeof *tx);
    node_read r;
    node_call c;
    if (!node_read_open(n, &r, err)) return false;
    if (!node_call_begin(n, &r, NULL, 1, NULL, NULL, &c, err)) {
        node_read_close(&r);
        return false;
    }
    /* it runs in the next block, whose rules may be a later fork's */
    node_call_next_block(&c);
    node_call_tx(a, node_chain_id(n), c.env.fork, 0, tx);
    /* EIP-155 for legacy too, from Spurious Dragon on */
    tx->has_chain_id = tx->type != TX_LEGACY || c.env.fork >= FORK_SPURIOUS_DRAGON;
    node_call_auths(a, tx);
    account_info info;
    c.view.ops->get_account(c.view.ctx, &a->from, FIELD_NONCE, &info);
    tx->nonce = a->has_nonce ? a->nonce : txpool_next_nonce(n->pool, &a->from, info.nonce);
    fill_fees(n, c.env.fork, a, &c.env.base_fee, tx);
    uint64_t gas = a->gas;
    bool short_of_funds = false;
    bool ok = a->has_gas || node_estimate_gas(&c, tx, c.st.header.gas_limit, &gas, &short_of_funds, err);
    if (!ok && short_of_funds) {
        /* the balance does not pay for the gas: anvil's words, which viem's
         * InsufficientFundsError and ethers' INSUFFICIENT_FUNDS match (a call
         * that runs out of any gas keeps geth's error) */
        rpc_error_clear(err);
        rpc_error_set(err, RPC_TRANSACTION_REJECTED, "Insufficient funds for gas * price + value");
    } else if (!ok && !strict) {
        /* a call the estimate cannot run (a revert, a failed check): anvil
         * sends it with the block's gas (build_tx_request), within the
         * EIP-7825 cap when the chain has it; the pool checks it, and a
         * revert is mined with status 0 */
        rpc_error_clear(err);
        gas = c.env.gas_limit;
        if (c.env.fork >= FORK_OSAKA && !c.env.no_tx_gas_cap && gas > TX_MAX_GAS_LIMIT_OSAKA)
            gas = TX_MAX_GAS_LIMIT_OSAKA;
        ok = true;
    }
    node_call_end(&c);
    node_read_close(&r);
    if (!ok) {
        /* the other buffers are still the call object's */
        free(tx->auths);
        memset(tx, 0, sizeof *tx);
        return false;
    }
    tx->gas_limit = gas;
    own_buffers(tx);
    return true;
}

void node_dev_vouch(node *n, transaction *tx, const address *from) {
    tx->v = u256_from_u64(tx->type == TX_LEGACY ? 35 + 2 * tx->chain_id : 0);
    tx->r = tx->s = u256_from_u64(1);
    buf_t enc = {0}, item = {0};
    tx_encode(tx, &enc);
    if (tx->type == TX_LEGACY) buf_append(&item, enc.data, enc.len);
    else rlp_encode_bytes(&item, enc.data, enc.len);
    tx->hash = node_dev_vouched_hash(item.data, item.len, from);
    buf_free(&enc);
    buf_free(&item);
    tx->sender = *from;
    tx->sender_known = true;
    u256 k = u256_from_bytes32(&tx->hash), v = u256_from_address(from);
    pthread_mutex_lock(&n->senders_mu);
    word_map_put(&n->forced_senders, &k, &v);
    pthread_mutex_unlock(&n->senders_mu);
}

/* Puts a signed (or vouched-for) transaction into the pool; takes tx. */
static bool submit(node *n, transaction *tx, json_t **result, rpc_error *err) {
    node_read r;
    node_state st;
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_read_open(n, &r, err)) {
        tx_free(tx);
        return false;
    }
    if (!node_state_open(&r, &latest, &st, err)) {
        node_read_close(&r);
        tx_free(tx);
        return false;
    }
    txpool_added added;
    bytes32 hash = tx->hash;
    const char *reject = txpool_add_tx(n->pool, st.view, tx, &added);
    node_state_close(&st);
    node_read_close(&r);
    if (reject) return rpc_error_set(err, RPC_SERVER_ERROR, "%s", reject);
    node_filters_tx_added(n, &hash);
    node_dev_submitted(n, &hash);
    *result = rpc_json_hash(&hash);
    return true;
}

/* eth_sendTransaction (unsigned_any false: from a dev account, signed with
 * its key, or from an impersonated one) and anvil's
 * eth_sendUnsignedTransaction (unsigned_any true, viem's
 * sendUnsignedTransaction: from any address, dev account or not,
 * impersonated or not). Unsigned transactions go into the pool as an
 * impersonated sender's. */
static bool send_from(node *n, const json_t *params, bool unsigned_any, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    rpc_call_args a;
    char why[200];
    if (!rpc_parse_call_args(rpc_arg(params, 0), &a, why, sizeof why)) return rpc_error_invalid_param(err, 0, why);
    bool ok = true;
    const uint8_t *key = a.has_from && !unsigned_any ? node_dev_key(n, &a.from) : NULL;
    if (!a.has_from && unsigned_any) ok = rpc_error_set(err, RPC_INVALID_PARAMS, "No Signer available");
    else if (!a.has_from) ok = rpc_error_invalid_param(err, 0, "from: missing");
    else if (!unsigned_any && !key && !is_impersonated(n->dev, &a.from))
        ok = rpc_error_set(err, RPC_SERVER_ERROR, "unknown account");
    if (a.has_blob_hashes && ok) ok = rpc_error_set(err, RPC_INVALID_PARAMS, "blob transactions need eth_sendRawTransaction");
    transaction tx = {0};
    if (ok) ok = node_dev_fill_tx(n, &a, false, &tx, err);
    if (ok && key) {
        if (!tx_sign(&tx, key)) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "signing failed");
    } else if (ok) {
        node_dev_vouch(n, &tx, &a.from);
    }
    rpc_call_args_free(&a);
    if (!ok) {
        tx_free(&tx);
        return false;
    }
    return submit(n, &tx, result, err);
}

static bool send_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return send_from(ctx, params, false, result, err);
}

static bool send_unsigned_transaction(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return send_from(ctx, params, true, result, err);
}

/* eth_sendTransactionSync(tx, [timeout ms]): as eth_sendTransaction, answered
 * with the receipt (EIP-7966's form, as anvil offers it). */
static bool send_transaction_sync(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return node_send_sync(ctx, send_transaction, params, result, err);
}

void node_register_dev(node *n, rpc_methods *m) {
    static const struct {
        const char *name;
        rpc_handler fn;
        bool hardhat; /* also as hardhat_<name without anvil_> */
    } T[] = {
        {"anvil_setBalance", set_balance, true},
        {"anvil_addBalance", add_balance, true},
        {"tenderly_setBalance", set_balance, false},
        {"tenderly_addBalance", add_balance, false},
        {"anvil_setMinGasPrice", set_min_gas_price, true},
        {"anvil_setNonce", set_nonce, true},
        {"evm_setAccountNonce", set_nonce, false},
        {"anvil_setCode", set_code, true},
        {"anvil_setStorageAt", set_storage, true},
        {"anvil_impersonateAccount", impersonate, true},
        {"anvil_stopImpersonatingAccount", stop_impersonating, true},
        {"anvil_autoImpersonateAccount", auto_impersonate, true},
        {"anvil_mine", anvil_mine, true},
        {"anvil_dropTransaction", drop_transaction, true},
        {"anvil_dropAllTransactions", drop_all, true},
        {"anvil_removePoolTransactions", remove_pool_txs, false},
        {"anvil_setAutomine", set_automine, false},
        {"anvil_setNextBlockTimestamp", set_next_timestamp, false},
        {"anvil_increaseTime", increase_time, false},
        {"anvil_setCoinbase", set_coinbase, true},
        {"anvil_setBlockGasLimit", set_block_gas_limit, false},
        {"evm_setBlockGasLimit", set_block_gas_limit, false},
        {"anvil_setNextBlockBaseFeePerGas", set_next_base_fee, true},
        {"anvil_getAutomine", get_automine, true},
        {"anvil_snapshot", evm_snapshot, false},
        {"anvil_revert", evm_revert, false},
        {"anvil_reset", reset, true},
        {"anvil_setRpcUrl", set_rpc_url, false},
        {"evm_setIntervalMining", set_interval_mining, false},
        {"anvil_setIntervalMining", set_interval_mining, false},
        {"anvil_getIntervalMining", get_interval_mining, false},
        {"anvil_setBlockTimestampInterval", set_ts_interval, false},
        {"anvil_removeBlockTimestampInterval", remove_ts_interval, false},
        {"anvil_setLoggingEnabled", set_logging, true},
        {"evm_mine", evm_mine, false},
        {"evm_mine_detailed", evm_mine_detailed, false},
        {"anvil_mine_detailed", evm_mine_detailed, false},
        {"evm_snapshot", evm_snapshot, false},
        {"evm_revert", evm_revert, false},
        {"evm_increaseTime", increase_time, false},
        {"evm_setNextBlockTimestamp", set_next_timestamp, false},
        {"evm_setAutomine", set_automine, false},
        {"eth_sendTransaction", send_transaction, false},
        {"eth_sendTransactionSync", send_transaction_sync, false},
        {"eth_sendUnsignedTransaction", send_unsigned_transaction, false},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        rpc_methods_add(m, T[i].name, T[i].fn, n);
        if (T[i].hardhat) {
            char alias[64];
            snprintf(alias, sizeof alias, "hardhat_%s", T[i].name + strlen("anvil_"));
            rpc_methods_add(m, alias, T[i].fn, n);
        }
    }
}
