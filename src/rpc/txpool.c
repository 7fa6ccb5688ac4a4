/* The transaction pool (txpool.h): validation, per-sender nonce lists split
 * into pending and queued, replacement, eviction, head updates. The block
 * order iterator is in txpool_best.c. */
#include "parevm/txpool.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/exec.h"
#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "txpool_internal.h"

enum {
    DEFAULT_MAX_PENDING = 4096,
    DEFAULT_MAX_QUEUED = 1024,
    DEFAULT_MAX_PER_SENDER = 64,
    DEFAULT_MAX_TX_BYTES = 128 * 1024,
    DEFAULT_PRICE_BUMP = 10,
    BLOB_PRICE_BUMP = 100, /* geth's blobpool: blob transactions replace at twice the price */
    DELEGATION_LEN = 23, /* EIP-7702: 0xef0100 || address */
};

/* ---- Transactions ---------------------------------------------------------------- */

void txpool_tx_retain(const txpool_tx *t) {
    atomic_fetch_add_explicit(&((txpool_tx *)t)->refs, 1, memory_order_relaxed);
}

void txpool_tx_release(const txpool_tx *t) {
    txpool_tx *m = (txpool_tx *)t;
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    tx_free(&m->tx);
    free(m->raw);
    free(m->network);
    free(m);
}

static bool dynamic_fee(const transaction *tx) { return tx->type >= TX_DYNAMIC_FEE; }
static const u256 *fee_cap(const transaction *tx) { return dynamic_fee(tx) ? &tx->max_fee : &tx->gas_price; }
static const u256 *tip_cap(const transaction *tx) { return dynamic_fee(tx) ? &tx->max_priority_fee : &tx->gas_price; }

bool txpool_effective_tip(const transaction *tx, const u256 *base_fee, u256 *tip) {
    const u256 *cap = fee_cap(tx);
    if (u256_lt(cap, base_fee)) return false;
    u256 room = u256_sub(cap, base_fee);
    *tip = u256_lt(tip_cap(tx), &room) ? *tip_cap(tx) : room;
    return true;
}

/* a * b for a small b; false when it does not fit 256 bits. */
static bool mul_small(const u256 *a, uint64_t b, u256 *out) {
    uint64_t r[8];
    u256 bb = u256_from_u64(b);
    u256_mul_full(r, a, &bb);
    if (r[4] | r[5] | r[6] | r[7]) return false;
    *out = (u256){{r[0], r[1], r[2], r[3]}};
    return true;
}

/* The most the transaction can take from its sender; false on overflow. */
static bool max_cost(const transaction *tx, u256 *cost) {
    u256 c, blob;
    if (!mul_small(fee_cap(tx), tx->gas_limit, &c)) return false;
    if (tx->n_blob_hashes) {
        if (!mul_small(&tx->max_fee_per_blob_gas, (uint64_t)GAS_PER_BLOB * tx->n_blob_hashes, &blob) ||
            u256_add_carry(&c, &c, &blob))
            return false;
    }
    if (u256_add_carry(&c, &c, &tx->value)) return false;
    *cost = c;
    return true;
}

/* ---- Pool structure ------------------------------------------------------------------ */

void txpool_lock(txpool *p) { pthread_mutex_lock(&p->mu); }
void txpool_unlock(txpool *p) { pthread_mutex_unlock(&p->mu); }

txpool *txpool_new(const txpool_config *cfg, const txpool_env *env) {
    txpool *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->cfg = *cfg;
    if (!p->cfg.max_pending) p->cfg.max_pending = DEFAULT_MAX_PENDING;
    if (!p->cfg.max_queued) p->cfg.max_queued = DEFAULT_MAX_QUEUED;
    if (!p->cfg.max_per_sender) p->cfg.max_per_sender = DEFAULT_MAX_PER_SENDER;
    if (!p->cfg.max_tx_bytes) p->cfg.max_tx_bytes = DEFAULT_MAX_TX_BYTES;
    if (!p->cfg.price_bump) p->cfg.price_bump = DEFAULT_PRICE_BUMP;
    p->env = *env;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

static void sender_free(txpool_sender *s) {
    for (size_t i = 0; i < s->n; i++) txpool_tx_release(s->txs[i]);
    free(s->txs);
    free(s);
}

void txpool_free(txpool *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_senders; i++) sender_free(p->senders[i]);
    free(p->senders);
    addr_map_free(&p->sender_index);
    word_map_free(&p->by_hash);
    addr_map_free(&p->auths);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static u256 hash_key(const bytes32 *h) { return u256_from_bytes32(h); }

static txpool_tx *lookup(const txpool *p, const bytes32 *hash) {
    u256 k = hash_key(hash);
    const u256 *v = word_map_get(&p->by_hash, &k);
    return v ? (txpool_tx *)(uintptr_t)v->w[0] : NULL;
}

static txpool_sender *find_sender(const txpool *p, const address *a) {
    uint32_t i;
    return addr_map_get(&p->sender_index, a, &i) ? p->senders[i] : NULL;
}

static txpool_sender *add_sender(txpool *p, const address *a) {
    if (p->n_senders == p->cap_senders) {
        p->cap_senders = p->cap_senders ? 2 * p->cap_senders : 64;
        p->senders = realloc(p->senders, p->cap_senders * sizeof *p->senders);
        if (!p->senders) abort();
    }
    txpool_sender *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->addr = *a;
    addr_map_put(&p->sender_index, a, (uint32_t)p->n_senders);
    p->senders[p->n_senders++] = s;
    return s;
}

/* Removes an empty sender (swap with the last one). */
static void drop_sender(txpool *p, txpool_sender *s) {
    uint32_t i;
    if (!addr_map_get(&p->sender_index, &s->addr, &i)) abort();
    addr_map_del(&p->sender_index, &s->addr);
    txpool_sender *last = p->senders[--p->n_senders];
    if (last != s) {
        p->senders[i] = last;
        addr_map_put(&p->sender_index, &last->addr, i);
    }
    sender_free(s);
}

/* Splits s's list into pending (nonces from the account nonce on, no gap,
 * all paid for together by the balance) and queued, and keeps the pool's
 * counts in step. */
static void reclassify(txpool *p, txpool_sender *s) {
    size_t np = 0;
    uint64_t expect = s->nonce;
    u256 spent = U256_ZERO;
    while (np < s->n && s->txs[np]->tx.nonce == expect) {
        if (u256_add_carry(&spent, &spent, &s->txs[np]->cost) || u256_gt(&spent, &s->balance)) break;
        np++;
        expect++;
    }
    p->n_pending = p->n_pending - s->n_pending + np;
    p->n_queued = p->n_queued - (s->n_total_counted - s->n_pending) + (s->n - np);
    s->n_pending = np;
    s->n_total_counted = s->n;
}

/* Counts (add) or uncounts t's authorities in p->auths, one per valid
 * authorization (geth's lookup.addAuthorities and removeAuthorities). */
static void track_auths(txpool *p, const txpool_tx *t, bool add) {
    if (!p->cfg.delegation_limits) return;
    for (size_t i = 0; i < t->tx.n_auths; i++) {
        const authorization *a = &t->tx.auths[i];
        if (a->status != AUTH_VALID) continue;
        uint32_t n = 0;
        addr_map_get(&p->auths, &a->authority, &n);
        if (add) addr_map_put(&p->auths, &a->authority, n + 1);
        else if (n > 1) addr_map_put(&p->auths, &a->authority, n - 1);
        else addr_map_del(&p->auths, &a->authority);
    }
}

/* Takes s->txs[i] out of the pool (the caller reclassifies). */
static void remove_at(txpool *p, txpool_sender *s, size_t i) {
    txpool_tx *t = s->txs[i];
    track_auths(p, t, false);
    u256 k = hash_key(&t->tx.hash);
    word_map_del(&p->by_hash, &k);
    memmove(s->txs + i, s->txs + i + 1, (s->n - i - 1) * sizeof *s->txs);
    s->n--;
    txpool_tx_release(t);
}

/* Index of the first transaction with nonce >= nonce. */
static size_t nonce_pos(const txpool_sender *s, uint64_t nonce) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->txs[mid]->tx.nonce < nonce) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Applies the account's current nonce and balance to s: drops what is
 * below the nonce and what the balance cannot pay for on its own. Returns
 * the number dropped; reclassifies. */
static size_t refresh_sender(txpool *p, txpool_sender *s, uint64_t nonce, const u256 *balance) {
    s->nonce = nonce;
    s->balance = *balance;
    size_t dropped = 0;
    for (size_t i = s->n; i-- > 0;)
        if (s->txs[i]->tx.nonce < nonce || u256_gt(&s->txs[i]->cost, balance)) {
            remove_at(p, s, i);
            dropped++;
        }
    reclassify(p, s);
    return dropped;
}

/* ---- Eviction --------------------------------------------------------------------------- */

/* Orders transactions by what they pay at the pool's base fee: < 0 when a
 * is the cheaper (to be evicted first); later arrivals are cheaper on ties. */
static int price_cmp(const txpool *p, const txpool_tx *a, const txpool_tx *b) {
    u256 ta = U256_ZERO, tb = U256_ZERO;
    bool oka = txpool_effective_tip(&a->tx, &p->env.base_fee, &ta);
    bool okb = txpool_effective_tip(&b->tx, &p->env.base_fee, &tb);
    if (oka != okb) return oka ? 1 : -1;
    int c = oka ? u256_cmp(&ta, &tb) : 0;
    if (!c) c = u256_cmp(fee_cap(&a->tx), fee_cap(&b->tx));
    if (!c) c = u256_cmp(tip_cap(&a->tx), tip_cap(&b->tx));
    if (!c) c = a->seq > b->seq ? -1 : a->seq < b->seq ? 1 : 0;
    return c;
}

/* Evicts the cheapest transaction that ends a sender's pending list
 * (queued = false) or queued list (queued = true); returns it (released) so
 * the caller can tell whether it was the newcomer. */
static const txpool_tx *evict_one(txpool *p, bool queued) {
    txpool_sender *best_s = NULL;
    size_t best_i = 0;
    for (size_t k = 0; k < p->n_senders; k++) {
        txpool_sender *s = p->senders[k];
        size_t i;
        if (queued) {
            if (s->n == s->n_pending) continue;
            i = s->n - 1;
        } else {
            if (!s->n_pending) continue;
            i = s->n_pending - 1;
        }
        if (!best_s || price_cmp(p, s->txs[i], best_s->txs[best_i]) < 0) {
            best_s = s;
            best_i = i;
        }
    }
    if (!best_s) return NULL;
    const txpool_tx *victim = best_s->txs[best_i];
    remove_at(p, best_s, best_i);
    reclassify(p, best_s);
    if (!best_s->n) drop_sender(p, best_s);
    return victim;
}

/* Evicts until the limits hold; true if `newcomer` survived. */
static bool enforce_limits(txpool *p, const txpool_tx *newcomer) {
    bool survived = true;
    while (p->n_pending > p->cfg.max_pending) survived &= evict_one(p, false) != newcomer;
    while (p->n_queued > p->cfg.max_queued) survived &= evict_one(p, true) != newcomer;
    return survived;
}

/* ---- Adding --------------------------------------------------------------------------------- */

static bool is_delegation(const evm_code *code) {
    return code->len == DELEGATION_LEN && code->bytes[0] == 0xef && code->bytes[1] == 0x01 && code->bytes[2] == 0x00;
}

/* x * (100 + bump) / 100 */
static u256 bumped(const u256 *x, unsigned bump) {
    u256 m = u256_from_u64(100 + (uint64_t)bump), h = u256_from_u64(100);
    uint64_t r[8];
    u256_mul_full(r, x, &m);
    if (r[4] | r[5] | r[6] | r[7]) return (u256){{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    u256 prod = {{r[0], r[1], r[2], r[3]}};
    return u256_div(&prod, &h);
}

/* geth's rule (legacypool's list.Add; blobpool's validateTx for a blob
 * transaction, at BLOB_PRICE_BUMP and on the blob fee cap too): each cap
 * higher, and by the bump. */
static bool pays_bump(const transaction *new_tx, const transaction *old, unsigned bump) {
    if (old->n_blob_hashes) bump = bump > BLOB_PRICE_BUMP ? bump : BLOB_PRICE_BUMP;
    const u256 *nc = fee_cap(new_tx), *oc = fee_cap(old), *nt = tip_cap(new_tx), *ot = tip_cap(old);
    u256 min_cap = bumped(oc, bump), min_tip = bumped(ot, bump);
    if (!u256_gt(nc, oc) || !u256_gt(nt, ot) || u256_lt(nc, &min_cap) || u256_lt(nt, &min_tip)) return false;
    if (old->n_blob_hashes) {
        u256 min_blob = bumped(&old->max_fee_per_blob_gas, bump);
        if (!u256_gt(&new_tx->max_fee_per_blob_gas, &old->max_fee_per_blob_gas) ||
            u256_lt(&new_tx->max_fee_per_blob_gas, &min_blob))
            return false;
    }
    return true;
}

/* The next block's rules, read under the lock (txpool_set_head changes
 * them); the checks against them run outside it. */
static txpool_env current_env(txpool *p) {
    txpool_lock(p);
    txpool_env env = p->env;
    txpool_unlock(p);
    return env;
}

/* tx_check_static's reasons as geth's pool words them (core/error.go,
 * core/vm/errors.go, core/txpool/validation.go): clients match these
 * texts. The rest pass unchanged. */
static const char *pool_reason(const char *why) {
    static const struct {
        const char *rule, *geth;
    } names[] = {
        {"chain id mismatch", "invalid sender: invalid chain id for signer"},
        {"gas limit below the calldata floor (EIP-7623)", "insufficient gas for floor data gas cost"},
        {"gas limit above 2^24 (EIP-7825)", "transaction gas limit too high"},
        {"nonce is 2^64-1 (EIP-2681)", "nonce has max value"},
        {"gas limit * gas price overflows 256 bits", "insufficient funds for gas * price + value"},
        {"set-code transaction with an empty authorization list",
         "set code tx must have at least one authorization tuple"},
    };
    if (!why) return NULL;
    if (!strncmp(why, "initcode larger than", 20)) return "max initcode size exceeded";
    if (!strncmp(why, "type ", 5) && strstr(why, " transaction before ")) return "transaction type not supported";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(why, names[i].rule)) return names[i].geth;
    return why;
}

static const char TIP_TOO_LOW[] = "transaction gas price below minimum";

/* Checks that need the next block's rules but no state. */
static const char *check_env(txpool *p, const txpool_env *env, const transaction *tx) {
    const char *why =
        pool_reason(tx_check_static_limit(tx, env->fork, env->chain_id, env->max_code_size, env->no_tx_gas_cap, 0));
    if (why) return why;
    if (p->cfg.reject_unprotected && !tx->has_chain_id)
        return "only replay-protected (EIP-155) transactions allowed";
    if (tx->gas_limit > env->block_gas_limit) return "exceeds block gas limit";
    txpool_lock(p); /* miner_setGasPrice moves it */
    u256 min_tip = p->cfg.min_tip;
    txpool_unlock(p);
    if (u256_lt(tip_cap(tx), &min_tip)) return TIP_TOO_LOW;
    if (p->cfg.below_base_fee) return NULL;
    if (env->fork >= FORK_LONDON && u256_lt(fee_cap(tx), &env->base_fee))
        return "max fee per gas less than block base fee";
    if (tx->n_blob_hashes && u256_lt(&tx->max_fee_per_blob_gas, &env->blob_base_fee))
        return "max fee per blob gas less than block blob gas fee";
    return NULL;
}

/* geth's legacypool validateAuth (delegation_limits): s is the sender,
 * refreshed; delegated when its code is a delegation; replacing_pending
 * when tx takes the nonce of one of its pending transactions. */
static const char *check_delegation(const txpool *p, const txpool_sender *s, bool delegated,
                                    const transaction *tx, bool replacing_pending) {
    uint32_t n;
    if (delegated || addr_map_get(&p->auths, &tx->sender, &n)) { /* checkDelegationLimit */
        if (!s->n_pending) {
            if (tx->nonce != s->nonce) return "gapped-nonce tx from delegated accounts";
        } else if (!replacing_pending) {
            return "in-flight transaction limit reached for delegated accounts";
        }
    }
    for (size_t i = 0; i < tx->n_auths; i++) {
        if (tx->auths[i].status != AUTH_VALID) continue;
        const txpool_sender *a = find_sender(p, &tx->auths[i].authority);
        if (a && (a->n > 1 || (a->n == 1 && a->txs[0]->tx.n_blob_hashes))) return "authority already reserved";
    }
    return NULL;
}

/* The state checks and the insertion, under the lock. t is the pool's new
 * entry (one reference, handed over whatever the outcome). */
static const char *insert(txpool *p, state_view view, txpool_tx *t, txpool_added *out) {
    const transaction *tx = &t->tx;
    if (lookup(p, &tx->hash)) return "already known";
    account_info ai;
    view.ops->get_account(view.ctx, &tx->sender, FIELD_ALL, &ai);
    if (tx->nonce < ai.nonce) return "nonce too low";
    bool delegated = !bytes32_eq(&ai.code_hash, &EMPTY_CODE_HASH);
    if (delegated && !p->env.no_eip3607 && !is_delegation(view.ops->get_code(view.ctx, &tx->sender)))
        return "sender not an eoa";
    if (u256_gt(&t->cost, &ai.balance)) return "insufficient funds for gas * price + value";
    txpool_sender *s = find_sender(p, &tx->sender);
    if (!s) s = add_sender(p, &tx->sender);
    refresh_sender(p, s, ai.nonce, &ai.balance);
    size_t i = nonce_pos(s, tx->nonce);
    bool replacing = i < s->n && s->txs[i]->tx.nonce == tx->nonce;
    const char *why =
        p->cfg.delegation_limits ? check_delegation(p, s, delegated, tx, replacing && i < s->n_pending) : NULL;
    if (!why && replacing && !pays_bump(tx, &s->txs[i]->tx, p->cfg.price_bump))
        why = "replacement transaction underpriced";
    else if (!why && !replacing && s->n >= p->cfg.max_per_sender)
        why = "too many transactions from this sender";
    /* as geth's ValidateTransactionWithState: the pending transactions'
     * costs, less the one replaced, plus this one's */
    u256 spent = t->cost;
    for (size_t k = 0; !why && k < s->n_pending; k++)
        if (!(replacing && k == i) &&
            (u256_add_carry(&spent, &spent, &s->txs[k]->cost) || u256_gt(&spent, &ai.balance)))
            why = "insufficient funds for gas * price + value";
    if (why) {
        if (!s->n) drop_sender(p, s);
        return why;
    }
    if (replacing) remove_at(p, s, i);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->txs = realloc(s->txs, s->cap * sizeof *s->txs);
        if (!s->txs) abort();
    }
    memmove(s->txs + i + 1, s->txs + i, (s->n - i) * sizeof *s->txs);
    s->txs[i] = t;
    s->n++;
    t->seq = p->next_seq++;
    u256 k = hash_key(&tx->hash), v = u256_from_u64((uint64_t)(uintptr_t)t);
    word_map_put(&p->by_hash, &k, &v);
    track_auths(p, t, true);
    txpool_tx_retain(t); /* the caller's reference, dropped after */
    reclassify(p, s);
    if (!enforce_limits(p, t)) return "txpool is full";
    if (out) {
        out->hash = tx->hash;
        out->replaced = replacing;
        txpool_sender *now = find_sender(p, &tx->sender);
        out->pending = now && nonce_pos(now, tx->nonce) < now->n_pending;
    }
    return NULL;
}

/* Common path: t holds a decoded transaction with a known sender; env_checked
 * when check_env has passed already. Consumes the caller's reference. */
static const char *add_entry(txpool *p, state_view view, txpool_tx *t, bool env_checked, txpool_added *out) {
    txpool_env env = current_env(p);
    const char *why = env_checked ? NULL : check_env(p, &env, &t->tx);
    if (!why && !max_cost(&t->tx, &t->cost)) why = "insufficient funds for gas * price + value";
    /* the authorities, outside the lock (an impersonated transaction may
     * come without them) */
    for (size_t i = 0; !why && p->cfg.delegation_limits && i < t->tx.n_auths; i++)
        if (t->tx.auths[i].status == AUTH_UNKNOWN) tx_auth_recover(&t->tx.auths[i]);
    if (!why) {
        txpool_lock(p);
        why = insert(p, view, t, out);
        txpool_unlock(p);
    }
    txpool_tx_release(t);
    return why;
}

static txpool_tx *new_entry(void) {
    txpool_tx *t = calloc(1, sizeof *t);
    if (!t) abort();
    atomic_init(&t->refs, 1);
    return t;
}

static const char *add_raw(txpool *p, state_view view, const uint8_t *raw, size_t len, const uint8_t *network,
                           size_t network_len, uint8_t wrapper_version, const txpool_condition *cond,
                           txpool_added *out, char *err, size_t errlen) {
    if (len > p->cfg.max_tx_bytes) return "oversized data";
    txpool_tx *t = new_entry();
    if (!tx_decode(raw, len, &t->tx, err, errlen)) {
        free(t);
        return "invalid transaction encoding";
    }
    t->raw = malloc(len ? len : 1);
    if (!t->raw) abort();
    memcpy(t->raw, raw, len);
    t->raw_len = len;
    if (network) {
        t->network = malloc(network_len ? network_len : 1);
        if (!t->network) abort();
        memcpy(t->network, network, network_len);
        t->network_len = network_len;
        t->sidecar_version = wrapper_version;
    }
    if (cond) {
        t->cond = *cond;
        t->has_cond = true;
    }
    /* Static rules before recovery, so that a bad signature value gets its
     * own message; recovery after, so that the sender is known. */
    txpool_env env = current_env(p);
    const char *why = check_env(p, &env, &t->tx);
    if (why == TIP_TOO_LOW && errlen) {
        /* geth's words: "gas tip cap 0, minimum needed 1" */
        char tip[80], min[80];
        txpool_lock(p);
        u256_to_dec(&p->cfg.min_tip, min);
        txpool_unlock(p);
        u256_to_dec(tip_cap(&t->tx), tip);
        snprintf(err, errlen, "gas tip cap %s, minimum needed %s", tip, min);
    }
    if (!why && !tx_recover_sender(&t->tx, env.fork >= FORK_HOMESTEAD)) why = "invalid sender";
    if (why) {
        txpool_tx_release(t);
        return why;
    }
    return add_entry(p, view, t, true, out);
}

const char *txpool_add_raw(txpool *p, state_view view, const uint8_t *raw, size_t len, txpool_added *out,
                           char *err, size_t errlen) {
    return add_raw(p, view, raw, len, NULL, 0, 0, NULL, out, err, errlen);
}

const char *txpool_add_conditional(txpool *p, state_view view, const uint8_t *raw, size_t len,
                                   const txpool_condition *cond, txpool_added *out, char *err, size_t errlen) {
    return add_raw(p, view, raw, len, NULL, 0, 0, cond, out, err, errlen);
}

const char *txpool_add_blob(txpool *p, state_view view, const uint8_t *raw, size_t len, const uint8_t *network,
                            size_t network_len, uint8_t wrapper_version, const txpool_condition *cond,
                            txpool_added *out, char *err, size_t errlen) {
    return add_raw(p, view, raw, len, network, network_len, wrapper_version, cond, out, err, errlen);
}

const char *txpool_add_tx(txpool *p, state_view view, transaction *tx, txpool_added *out) {
    txpool_tx *t = new_entry();
    t->tx = *tx;
    memset(tx, 0, sizeof *tx);
    if (!t->tx.sender_known) {
        txpool_tx_release(t);
        return "invalid sender";
    }
    buf_t b = {0};
    tx_encode(&t->tx, &b);
    if (b.len > p->cfg.max_tx_bytes) {
        buf_free(&b);
        txpool_tx_release(t);
        return "oversized data";
    }
    t->raw = b.data;
    t->raw_len = b.len;
    return add_entry(p, view, t, false, out);
}

/* ---- Heads, removal, queries ---------------------------------------------------------------- */

size_t txpool_set_min_tip(txpool *p, const u256 *tip) {
    size_t dropped = 0;
    txpool_lock(p);
    bool raised = u256_gt(tip, &p->cfg.min_tip);
    p->cfg.min_tip = *tip;
    /* as geth's pool: a raised threshold drops what tips less (by the tip
     * cap, not the tip at the current base fee); a sender's later
     * transactions wait in queued behind the gap */
    for (size_t k = p->n_senders; raised && k-- > 0;) {
        txpool_sender *s = p->senders[k];
        for (size_t i = s->n; i-- > 0;)
            if (u256_lt(tip_cap(&s->txs[i]->tx), tip)) {
                remove_at(p, s, i);
                dropped++;
            }
        reclassify(p, s);
        if (!s->n) drop_sender(p, s);
    }
    txpool_unlock(p);
    return dropped;
}

size_t txpool_set_head(txpool *p, state_view view, const txpool_env *env) {
    size_t dropped = 0;
    txpool_lock(p);
    p->env = *env;
    for (size_t k = p->n_senders; k-- > 0;) {
        txpool_sender *s = p->senders[k];
        account_info ai;
        view.ops->get_account(view.ctx, &s->addr, FIELD_BALANCE | FIELD_NONCE, &ai);
        dropped += refresh_sender(p, s, ai.nonce, &ai.balance);
        if (!s->n) drop_sender(p, s);
    }
    txpool_unlock(p);
    return dropped;
}

uint64_t txpool_arrivals(txpool *p) {
    txpool_lock(p);
    uint64_t n = p->next_seq;
    txpool_unlock(p);
    return n;
}

bool txpool_remove(txpool *p, const bytes32 *hash) {
    txpool_lock(p);
    txpool_tx *t = lookup(p, hash);
    if (t) {
        txpool_sender *s = find_sender(p, &t->tx.sender);
        remove_at(p, s, nonce_pos(s, t->tx.nonce));
        reclassify(p, s);
        if (!s->n) drop_sender(p, s);
    }
    txpool_unlock(p);
    return t != NULL;
}

bool txpool_condition_holds(const txpool_tx *t, uint64_t number, uint64_t time) {
    const txpool_condition *c = &t->cond;
    if (!t->has_cond) return true;
    return number >= c->number_min && number <= c->number_max && time >= c->time_min && time <= c->time_max;
}

const txpool_tx *txpool_get(txpool *p, const bytes32 *hash) {
    txpool_lock(p);
    txpool_tx *t = lookup(p, hash);
    if (t) txpool_tx_retain(t);
    txpool_unlock(p);
    return t;
}

uint64_t txpool_next_nonce(txpool *p, const address *sender, uint64_t state_nonce) {
    txpool_lock(p);
    const txpool_sender *s = find_sender(p, sender);
    uint64_t n = state_nonce;
    if (s && s->n_pending) {
        uint64_t last = s->txs[s->n_pending - 1]->tx.nonce + 1;
        if (last > n) n = last;
    }
    txpool_unlock(p);
    return n;
}

void txpool_counts(txpool *p, size_t *pending, size_t *queued) {
    txpool_lock(p);
    if (pending) *pending = p->n_pending;
    if (queued) *queued = p->n_queued;
    txpool_unlock(p);
}

void txpool_each(txpool *p, const address *sender, txpool_visit_fn fn, void *arg) {
    txpool_lock(p);
    for (size_t k = 0; k < p->n_senders; k++) {
        const txpool_sender *s = p->senders[k];
        if (sender && !address_eq(sender, &s->addr)) continue;
        for (size_t i = 0; i < s->n; i++)
            if (!fn(arg, s->txs[i], i < s->n_pending)) goto done;
    }
done:
    txpool_unlock(p);
}
