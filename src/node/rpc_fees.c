/* Method group: fees -- eth_gasPrice (suggested tip + the head's base fee),
 * eth_maxPriorityFeePerGas (the suggested tip: geth's oracle, the 60th
 * percentile of the three lowest tips of each of the last 20 blocks, at most
 * 500 gwei; in dev mode anvil's, the head's lowest tip, at least 1 gwei),
 * eth_feeHistory (base fees, gas used
 * ratios, blob fees and ratios, reward percentiles weighted by gas used, as
 * geth), eth_baseFee (the next block's base fee), eth_blobBaseFee (the
 * head's blob base fee) and eth_txGasLimitCap (EIP-8123). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "node_build.h"
#include "node_internal.h"
#include "node_dev.h"
#include "parevm/exec.h"

enum { ORACLE_BLOCKS = 20, ORACLE_PER_BLOCK = 3, ORACLE_PERCENTILE = 60, MAX_FEE_HISTORY = 1024 };
static const uint64_t GWEI = 1000000000ULL;
static const uint64_t ORACLE_MAX_PRICE = 500 * 1000000000ULL; /* geth's DefaultMaxPrice */

static int cmp_u256(const void *a, const void *b) { return u256_cmp(a, b); }

/* The effective tip of tx at base fee (zero when it cannot pay it). */
static u256 tip_of(const transaction *tx, const block_header *h) {
    u256 tip = U256_ZERO;
    if (!h->has_base_fee) return tx->type >= TX_DYNAMIC_FEE ? tx->max_priority_fee : tx->gas_price;
    if (!txpool_effective_tip(tx, &h->base_fee, &tip)) return U256_ZERO;
    return tip;
}

/* A transaction's tip and its place in the block. */
typedef struct {
    u256 tip;
    size_t i;
} tx_tip;

static int cmp_tx_tip(const void *a, const void *b) {
    return u256_cmp(&((const tx_tip *)a)->tip, &((const tx_tip *)b)->tip);
}

/* The block's transactions by tip, lowest first (NULL for an empty block;
 * the caller frees). */
static tx_tip *tips_sorted(const node_block *nb) {
    size_t count = nb->b.n_txs;
    if (!count) return NULL;
    tx_tip *v = calloc(count, sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < count; i++) v[i] = (tx_tip){tip_of(&nb->b.txs[i], &nb->b.header), i};
    qsort(v, count, sizeof *v, cmp_tx_tip);
    return v;
}

/* geth's getBlockValues: the block's lowest three tips of at least 2 wei
 * (its ignore price), leaving out transactions the coinbase sent. */
static size_t block_samples(node *n, node_block *nb, u256 out[ORACLE_PER_BLOCK]) {
    tx_tip *v = tips_sorted(nb);
    size_t m = 0;
    for (size_t k = 0; k < nb->b.n_txs && m < ORACLE_PER_BLOCK; k++) {
        if (u256_lt(&v[k].tip, &(u256){{2, 0, 0, 0}})) continue;
        transaction *tx = &nb->b.txs[v[k].i];
        if (!node_tx_sender(n, tx, nb->fork) || address_eq(&tx->sender, &nb->b.header.coinbase)) continue;
        out[m++] = v[k].tip;
    }
    free(v);
    return m;
}

/* Dev mode, anvil's lowest_suggestion_tip: the lowest tip in the head, or
 * when it is empty in the blocks below it (anvil's fee history cache, 2048
 * blocks), at least 1 gwei (its MIN_SUGGESTED_PRIORITY_FEE). */
static bool dev_suggest_tip(node_read *r, u256 *out, rpc_error *err) {
    u256 floor = u256_from_u64(GWEI), low = floor;
    bool any = false;
    for (uint64_t k = 0; k < 2048 && k <= r->head; k++) {
        bytes32 hash;
        node_block nb;
        const char *why = db_canonical_hash(r->snap, r->head - k, &hash);
        if (!why) why = node_block_load(r, r->head - k, &hash, NODE_LOAD_BODY, &nb);
        if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        for (size_t i = 0; i < nb.b.n_txs; i++) {
            u256 t = tip_of(&nb.b.txs[i], &nb.b.header);
            if (!any || u256_lt(&t, &low)) low = t;
            any = true;
        }
        node_block_free(&nb);
        /* a head with transactions decides; below an empty one, nothing
         * lower than the floor can change the answer */
        if (any && (k == 0 || !u256_gt(&low, &floor))) break;
    }
    *out = u256_gt(&low, &floor) ? low : floor;
    return true;
}

/* geth's SuggestTipCap: the last 20 blocks above the genesis, newest first;
 * a block with no sample adds the start price (geth's last price: its
 * --miner.gasprice on a fresh node), and each block that adds one sample
 * brings in one more block, up to 40 blocks' worth; the 60th percentile,
 * at most 500 gwei. */
bool node_suggest_tip(node_read *r, u256 *out, rpc_error *err) {
    if (r->n->dev) return dev_suggest_tip(r, out, err);
    u256 samples[2 * ORACLE_BLOCKS * ORACLE_PER_BLOCK];
    u256 start = r->n->cfg.builder_min_tip;
    size_t n = 0, exp = 0;
    uint64_t number = r->head, b = r->head;
    while (exp < ORACLE_BLOCKS && number > 0) exp++, number--;
    for (; exp > 0; exp--, b--) {
        bytes32 hash;
        node_block nb;
        const char *why = db_canonical_hash(r->snap, b, &hash);
        if (!why) why = node_block_load(r, b, &hash, NODE_LOAD_BODY, &nb);
        if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        u256 tips[ORACLE_PER_BLOCK];
        size_t m = block_samples(r->n, &nb, tips);
        node_block_free(&nb);
        if (!m) tips[m++] = start;
        if (m == 1 && n + 1 + (exp - 1) < 2 * ORACLE_BLOCKS && number > 0) exp++, number--;
        for (size_t j = 0; j < m && n < sizeof samples / sizeof *samples; j++) samples[n++] = tips[j];
    }
    if (!n) {
        *out = start;
        return true;
    }
    qsort(samples, n, sizeof *samples, cmp_u256);
    *out = samples[(n - 1) * ORACLE_PERCENTILE / 100];
    u256 cap = u256_from_u64(ORACLE_MAX_PRICE);
    if (u256_gt(out, &cap)) *out = cap;
    return true;
}

static bool max_priority_fee(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    u256 tip;
    bool ok = node_suggest_tip(&r, &tip, err);
    if (ok) *result = rpc_json_u256(&tip);
    node_read_close(&r);
    return ok;
}

u256 node_gas_price(const node *n, const u256 *base_fee, bool london, const u256 *tip) {
    if (n->dev && !london && n->cfg.dev_gas_price_set) return n->cfg.dev_gas_price;
    u256 price = n->dev && n->cfg.dev_no_min_priority_fee && london ? U256_ZERO : *tip;
    if (london) u256_add_carry(&price, &price, base_fee);
    return price;
}

/* The base fee of the block after h (h's fork rules one second on). */
static u256 fee_after(const node *n, const block_header *h) {
    u256 fee, blob;
    uint64_t excess;
    node_next_fees(n, h, h->timestamp + 1, &fee, &excess, &blob);
    return fee;
}

static bool gas_price(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(ctx, &r, err)) return false;
    u256 tip;
    block_header h;
    bool ok = node_suggest_tip(&r, &tip, err);
    const char *why = ok ? node_header(&r, r.head, &r.head_hash, &h) : NULL;
    if (why) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    if (ok) {
        node *n = ctx;
        /* dev mode: priced for the next block, as anvil (its fee manager's
         * base fee, anvil_setNextBlockBaseFeePerGas's if set) and as
         * eth_sendTransaction fills fees; geth prices for the head */
        u256 fee = h.base_fee;
        if (n->dev && h.has_base_fee) {
            fee = fee_after(n, &h);
            node_dev_next_base_fee(n->dev, &fee);
        }
        u256 price = node_gas_price(ctx, &fee, h.has_base_fee, &tip);
        *result = rpc_json_u256(&price);
    }
    node_read_close(&r);
    return ok;
}

/* The blob base fee of block h (zero before Cancun). */
static u256 blob_fee_of(const node *n, const block_header *h) {
    if (!h->has_blob_gas) return U256_ZERO;
    blob_params p = chain_blob_params(&n->chain, h->timestamp);
    return p.update_fraction ? blob_base_fee(h->excess_blob_gas, p.update_fraction) : U256_ZERO;
}

/* A method without parameters answered from the head's header by fn. */
static bool from_head(node *n, const json_t *params, json_t *(*fn)(node *n, const block_header *head),
                      json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    block_header h;
    const char *why = node_header(&r, r.head, &r.head_hash, &h);
    if (!why) *result = fn(n, &h);
    node_read_close(&r);
    return why ? rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why) : true;
}

static json_t *head_blob_fee(node *n, const block_header *h) {
    if (!h->has_blob_gas) return json_null(); /* before Cancun: none (geth's nil) */
    u256 fee = blob_fee_of(n, h);
    return rpc_json_u256(&fee);
}

static bool blob_base_fee_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return from_head(ctx, params, head_blob_fee, result, err);
}

/* ---- eth_feeHistory ----------------------------------------------------------------------- */

/* The block's rewards at the percentiles, weighted by gas used (geth). */
static json_t *rewards(const node_block *nb, const double *pct, size_t n_pct) {
    json_t *row = json_array();
    size_t n = nb->b.n_txs;
    if (n == 0) {
        for (size_t i = 0; i < n_pct; i++) json_array_append_new(row, rpc_json_u64(0));
        return row;
    }
    tx_tip *v = tips_sorted(nb);
    size_t i = 0;
    uint64_t sum = nb->receipts[v[0].i].gas_used;
    for (size_t k = 0; k < n_pct; k++) {
        /* whole gas, as geth's uint64(float64(gasUsed) * p / 100) */
        uint64_t threshold = (uint64_t)((double)nb->b.header.gas_used * pct[k] / 100.0);
        while (sum < threshold && i < n - 1) sum += nb->receipts[v[++i].i].gas_used;
        json_array_append_new(row, rpc_json_u256(&v[i].tip));
    }
    free(v);
    return row;
}

static bool parse_percentiles(const json_t *v, double **out, size_t *n, rpc_error *err) {
    *out = NULL;
    *n = 0;
    if (!v) return true;
    if (!json_is_array(v)) return rpc_error_invalid_param(err, 2, "reward percentiles must be a list of numbers");
    *n = json_array_size(v);
    if (*n > 100) return rpc_error_set(err, RPC_SERVER_ERROR, "invalid reward percentile: over the query limit 100");
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) abort();
    for (size_t i = 0; i < *n; i++) {
        const json_t *p = json_array_get(v, i);
        if (!json_is_number(p)) return rpc_error_invalid_param(err, 2, "reward percentiles must be numbers");
        double x = json_number_value(p);
        /* geth's errors (plain errors: -32000), duplicates refused too */
        if (x < 0 || x > 100) return rpc_error_set(err, RPC_SERVER_ERROR, "invalid reward percentile: %f", x);
        if (i && x <= (*out)[i - 1])
            return rpc_error_set(err, RPC_SERVER_ERROR, "invalid reward percentile: #%zu:%f >= #%zu:%f", i - 1,
                                 (*out)[i - 1], i, x);
        (*out)[i] = x;
    }
    return true;
}

/* A decimal string ("2") of at most 19 digits. */
static bool decimal_u64(const json_t *v, uint64_t *out) {
    const char *t = json_string_value(v);
    size_t len = t ? strlen(t) : 0;
    if (!len || len > 19 || strspn(t, "0123456789") != len) return false;
    *out = strtoull(t, NULL, 10);
    return true;
}

static bool fee_history(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 3, err)) return false;
    uint64_t count;
    const json_t *c = rpc_arg(params, 0);
    if (json_is_integer(c) && json_integer_value(c) >= 0) count = (uint64_t)json_integer_value(c);
    else if (!decimal_u64(c, &count)) { /* geth's HexOrDecimal64: "0x.." or decimal */
        const char *why = rpc_parse_u64(c, &count);
        if (why) return rpc_error_invalid_param(err, 0, why);
    }
    if (count == 0) { /* geth answers before it looks at the range or the percentiles */
        rpc_block_ref ref;
        const char *why = rpc_parse_block_number(rpc_arg(params, 1), &ref);
        if (why) return rpc_error_invalid_param(err, 1, why);
        *result = json_pack("{s:o, s:n}", "oldestBlock", rpc_json_u64(0), "gasUsedRatio");
        return true;
    }
    double *pct;
    size_t n_pct;
    if (!parse_percentiles(rpc_arg(params, 2), &pct, &n_pct, err)) {
        free(pct);
        return false;
    }
    node_read r;
    if (!node_read_open(n, &r, err)) {
        free(pct);
        return false;
    }
    uint64_t newest;
    bytes32 hash;
    bool found, ok = node_resolve_arg(&r, params, 1, true, &newest, &hash, &found, err);
    uint64_t asked;
    if (ok && !found)
        ok = rpc_parse_u64(rpc_arg(params, 1), &asked)
                 ? rpc_error_set(err, RPC_SERVER_ERROR, "request beyond head block")
                 : rpc_error_set(err, RPC_SERVER_ERROR, "request beyond head block: requested %" PRIu64 ", head %" PRIu64,
                                 asked, r.head);
    /* outside dev mode pending is geth's pending block, the newest; without
     * one (before the Merge) the head: one block fewer, as geth */
    const char *tag = json_string_value(rpc_arg(params, 1));
    node_pending_view pv;
    bool with_pending = false;
    if (ok && !n->dev && tag && !strcmp(tag, "pending")) {
        ok = node_pending_view_open(&r, &pv, &with_pending, err);
        if (with_pending) newest = pv.nb.number;
        else if (count) count--;
    }
    if (count > MAX_FEE_HISTORY) count = MAX_FEE_HISTORY;
    if (ok && count > newest + 1) count = newest + 1;
    json_t *out = json_object(), *base = json_array(), *ratio = json_array(), *blob = json_array(),
           *blob_ratio = json_array(), *rew = json_array();
    block_header last = {0};
    for (uint64_t b = newest + 1 - count; ok && count && b <= newest; b++) {
        node_block loaded, *nb = &loaded;
        const char *why = NULL;
        if (with_pending && b == newest) nb = &pv.nb;
        else if (!(why = db_canonical_hash(r.snap, b, &hash)))
            why = node_block_load(&r, b, &hash, n_pct ? NODE_LOAD_RECEIPTS : 0, nb);
        if (!why && nb == &pv.nb && n_pct) why = node_block_receipts_of(nb, &pv.p.result);
        if (why) {
            ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
            break;
        }
        const block_header *h = &nb->b.header;
        json_array_append_new(base, rpc_json_u256(&h->base_fee));
        json_array_append_new(ratio, json_real(h->gas_limit ? (double)h->gas_used / (double)h->gas_limit : 0));
        u256 bf = blob_fee_of(n, h);
        json_array_append_new(blob, rpc_json_u256(&bf));
        blob_params p = chain_blob_params(&n->chain, h->timestamp);
        uint64_t max_blob = blob_params_max_gas(&p);
        json_array_append_new(blob_ratio,
                              json_real(h->has_blob_gas && max_blob ? (double)h->blob_gas_used / (double)max_blob : 0));
        if (n_pct) json_array_append_new(rew, rewards(nb, pct, n_pct));
        last = *h;
        if (nb == &loaded) node_block_free(nb);
    }
    if (ok && count) {
        /* the block after the newest */
        u256 next_base, next_blob;
        uint64_t excess;
        /* geth: by the newest block's own rules (none before Cancun) */
        node_next_fees(n, &last, last.timestamp, &next_base, &excess, &next_blob);
        if (!last.has_blob_gas) next_blob = U256_ZERO;
        block_header child;
        if (n->dev && newest < r.head && !db_canonical_hash(r.snap, newest + 1, &hash) &&
            !node_header(&r, newest + 1, &hash, &child)) {
            next_base = child.base_fee; /* anvil: the next block's own */
            next_blob = blob_fee_of(n, &child);
        } else if (n->dev && last.has_base_fee) {
            node_dev_next_base_fee(n->dev, &next_base); /* anvil_setNextBlockBaseFeePerGas's */
        }
        json_array_append_new(base, rpc_json_u256(&next_base));
        json_array_append_new(blob, rpc_json_u256(&next_blob));
    }
    if (with_pending) node_pending_view_close(&pv);
    node_read_close(&r);
    free(pct);
    if (ok && !count) { /* pending with blockCount 1: no block, as geth */
        json_object_set_new(out, "oldestBlock", rpc_json_u64(0));
        json_object_set_new(out, "gasUsedRatio", json_null());
        json_decref(base);
        json_decref(ratio);
        json_decref(blob);
        json_decref(blob_ratio);
        json_decref(rew);
        *result = out;
        return true;
    }
    if (ok) {
        json_object_set_new(out, "oldestBlock", rpc_json_u64(count ? newest + 1 - count : 0));
        if (n_pct) json_object_set_new(out, "reward", rew);
        else json_decref(rew);
        json_object_set_new(out, "baseFeePerGas", base);
        json_object_set_new(out, "gasUsedRatio", ratio);
        json_object_set_new(out, "baseFeePerBlobGas", blob);
        json_object_set_new(out, "blobGasUsedRatio", blob_ratio);
        *result = out;
        return true;
    }
    json_decref(out);
    json_decref(base);
    json_decref(ratio);
    json_decref(blob);
    json_decref(blob_ratio);
    json_decref(rew);
    return false;
}

static json_t *next_base_fee(node *n, const block_header *h) {
    u256 fee = fee_after(n, h);
    return rpc_json_u256(&fee);
}

static bool base_fee(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return from_head(ctx, params, next_base_fee, result, err);
}

/* eth_txGasLimitCap (EIP-8123): the most gas a transaction sent now may
 * ask for: the pool takes none above the next block's gas limit, and from
 * Osaka on none above 2^24 (EIP-7825) unless the chain lifts the cap (dev
 * chains as anvil's). Always finite, so never null. */
static json_t *next_tx_gas_cap(node *n, const block_header *h) {
    txpool_env env = node_pool_env(n, h);
    uint64_t cap = env.block_gas_limit;
    if (env.fork >= FORK_OSAKA && !env.no_tx_gas_cap && cap > TX_MAX_GAS_LIMIT_OSAKA) cap = TX_MAX_GAS_LIMIT_OSAKA;
    return rpc_json_u64(cap);
}

static bool tx_gas_limit_cap(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return from_head(ctx, params, next_tx_gas_cap, result, err);
}

void node_register_fees(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_baseFee", base_fee, n);
    rpc_methods_add(m, "eth_gasPrice", gas_price, n);
    rpc_methods_add(m, "eth_maxPriorityFeePerGas", max_priority_fee, n);
    rpc_methods_add(m, "eth_feeHistory", fee_history, n);
    rpc_methods_add(m, "eth_blobBaseFee", blob_base_fee_method, n);
    rpc_methods_add(m, "eth_txGasLimitCap", tx_gas_limit_cap, n);
}
