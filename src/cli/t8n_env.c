/* parevm t8n's block environment: geth's `evm t8n` env object read into the
 * header the block executes under, with the fields geth derives when they
 * are absent (difficulty, base fee, excess blob gas from the parent's), and
 * the checks geth makes of what each fork needs (t8n.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "parevm/chain.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "t8n.h"

static bool env_fail(char *err, size_t errlen, int *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A configuration error (exit code 3), with geth's message. */
static bool env_fail(char *err, size_t errlen, int *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    *code = T8N_ERR_CONFIG;
    return false;
}

/* "blockHashes": {"<number, decimal or 0x-hex>": hash}. */
static bool load_hashes(json_t *map, t8n_env *e, char *err, size_t n) {
    if (!map || json_is_null(map)) return true;
    if (!json_is_object(map)) {
        snprintf(err, n, "field \"blockHashes\" is not an object");
        return false;
    }
    e->hashes = calloc(json_object_size(map) + 1, sizeof *e->hashes);
    if (!e->hashes) abort();
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        t8n_hash *h = &e->hashes[e->n_hashes];
        const char *s = json_string_value(v);
        if (!hex_parse_u64(k, &h->number) || !s || !hex_parse_fixed(s, h->hash.b, 32)) {
            snprintf(err, n, "blockHashes: bad entry \"%.30s\"", k);
            return false;
        }
        e->n_hashes++;
    }
    return true;
}

/* "ommers": [{"delta": n, "address": a}]: ommer headers numbered number - delta. */
static bool load_ommers(json_t *list, t8n_env *e, char *err, size_t n) {
    if (!list || json_is_null(list)) return true;
    if (!json_is_array(list)) {
        snprintf(err, n, "field \"ommers\" is not an array");
        return false;
    }
    block *b = &e->blk;
    b->n_ommers = json_array_size(list);
    b->ommers = calloc(b->n_ommers + 1, sizeof *b->ommers);
    if (!b->ommers) abort();
    for (size_t i = 0; i < b->n_ommers; i++) {
        json_t *o = json_array_get(list, i), *d = json_object_get(o, "delta");
        uint64_t delta = 0;
        char why[200];
        bool ok = json_is_integer(d) ? json_integer_value(d) >= 0 : d && json_value_u64(d, &delta);
        if (json_is_integer(d)) delta = (uint64_t)json_integer_value(d);
        if (!ok || !json_hex_address(o, "address", &b->ommers[i].coinbase, why, sizeof why)) {
            snprintf(err, n, "ommers[%zu]: %s", i, ok ? why : "field \"delta\" is not a number");
            return false;
        }
        /* the reward is (8 - delta) / 8 of the block's, whatever the block
         * number (geth's t8n takes an ommer of block 1 two blocks back): the
         * number wraps, and the reward's arithmetic wraps back */
        if (delta > 8) {
            snprintf(err, n, "ommers[%zu]: delta %llu is more than 8 blocks back", i, (unsigned long long)delta);
            return false;
        }
        b->ommers[i].number = b->header.number - delta;
    }
    return true;
}

/* The parent fields geth's env carries (only what the derivations need). */
typedef struct {
    u256 difficulty, base_fee;
    uint64_t timestamp, gas_used, gas_limit, excess_blob_gas, blob_gas_used;
    bytes32 uncle_hash;
    bool has_difficulty, has_timestamp, has_base_fee, has_gas_used, has_gas_limit, has_uncle_hash;
    bool has_excess, has_blob_used;
} parent_fields;

static bool load_parent(json_t *o, parent_fields *p, char *err, size_t n) {
    return json_opt_u256(o, "parentDifficulty", &p->difficulty, &p->has_difficulty, err, n) &&
           json_opt_u64(o, "parentTimestamp", &p->timestamp, &p->has_timestamp, err, n) &&
           json_opt_u256(o, "parentBaseFee", &p->base_fee, &p->has_base_fee, err, n) &&
           json_opt_u64(o, "parentGasUsed", &p->gas_used, &p->has_gas_used, err, n) &&
           json_opt_u64(o, "parentGasLimit", &p->gas_limit, &p->has_gas_limit, err, n) &&
           json_opt_bytes32(o, "parentUncleHash", &p->uncle_hash, &p->has_uncle_hash, err, n) &&
           json_opt_u64(o, "parentExcessBlobGas", &p->excess_blob_gas, &p->has_excess, err, n) &&
           json_opt_u64(o, "parentBlobGasUsed", &p->blob_gas_used, &p->has_blob_used, err, n);
}

/* Difficulty before the Merge, currentRandom after it. */
static bool derive_difficulty(t8n_env *e, const chain_config *cfg, const parent_fields *p, bool has_diff,
                              bool has_random, int *code, char *err, size_t n) {
    block_header *h = &e->blk.header;
    e->difficulty_known = !e->merged; /* geth's result has none after the Merge */
    if (e->merged) {
        if (!has_random) return env_fail(err, n, code, "post-merge requires currentRandom to be defined in env");
        if (has_diff && !u256_is_zero(&h->difficulty))
            return env_fail(err, n, code, "post-merge difficulty must be zero (or omitted) in env");
        h->difficulty = U256_ZERO;
        return true;
    }
    if (has_diff) return true;
    if (!p->has_difficulty)
        return env_fail(err, n, code,
                        "currentDifficulty was not provided, and cannot be calculated due to missing parentDifficulty");
    if (h->number == 0) return env_fail(err, n, code, "currentDifficulty needs to be provided for block number 0");
    if (p->timestamp >= h->timestamp)
        return env_fail(err, n, code,
                        "currentDifficulty cannot be calculated -- currentTime (%llu) needs to be after parent time (%llu)",
                        (unsigned long long)h->timestamp, (unsigned long long)p->timestamp);
    bool ommers = p->has_uncle_hash && !bytes32_eq(&p->uncle_hash, &EMPTY_LIST_HASH);
    h->difficulty = chain_difficulty(cfg, h->number, h->timestamp, &p->difficulty, p->timestamp, ommers);
    return true;
}

/* London on: the base fee, given or from the parent's. */
static bool derive_base_fee(t8n_env *e, const chain_config *cfg, const parent_fields *p, int *code, char *err,
                            size_t n) {
    block_header *h = &e->blk.header;
    e->has_env_base_fee = h->has_base_fee;
    e->env_base_fee = h->base_fee;
    if (e->fork < FORK_LONDON) {
        h->has_base_fee = false;
        return true;
    }
    if (h->has_base_fee) return true;
    /* the parent's gas used and limit default to zero, as geth takes them */
    if (!p->has_base_fee || h->number == 0)
        return env_fail(err, n, code, "EIP-1559 config but missing 'parentBaseFee' in env section");
    block_header parent = {.number = h->number - 1, .gas_used = p->gas_used, .gas_limit = p->gas_limit,
                           .has_base_fee = true, .base_fee = p->base_fee};
    h->base_fee = header_next_base_fee(cfg, &parent);
    h->has_base_fee = true;
    return true;
}

/* Cancun on: the excess blob gas, given or from the parent's (zero where
 * the parent's are not given, as geth takes them). */
static void derive_excess_blob_gas(t8n_env *e, const chain_config *cfg, const parent_fields *p, bool has_excess) {
    block_header *h = &e->blk.header;
    h->has_blob_gas = e->fork >= FORK_CANCUN;
    e->blob_fee_known = has_excess || (p->has_excess && p->has_blob_used);
    if (!h->has_blob_gas || has_excess) return;
    block_header parent = {.number = h->number ? h->number - 1 : 0, .timestamp = p->timestamp,
                           .has_base_fee = p->has_base_fee, .base_fee = p->base_fee, .has_blob_gas = true,
                           .excess_blob_gas = p->excess_blob_gas, .blob_gas_used = p->blob_gas_used};
    blob_params bp = chain_blob_params(cfg, h->timestamp);
    h->excess_blob_gas = header_next_excess_blob_gas(&parent, e->fork, &bp);
}

bool t8n_env_load(json_t *o, const chain_config *cfg, t8n_env *e, int *code, char *err, size_t n) {
    memset(e, 0, sizeof *e);
    *code = T8N_ERR_JSON;
    if (!json_is_object(o)) {
        snprintf(err, n, "env: not a JSON object");
        return false;
    }
    block_header *h = &e->blk.header;
    parent_fields p = {0};
    bool has_diff, has_random, has_excess;
    u256 random = U256_ZERO;
    char why[240];
    bool ok = json_hex_address(o, "currentCoinbase", &h->coinbase, why, sizeof why) &&
              json_hex_u64(o, "currentGasLimit", &h->gas_limit, why, sizeof why) &&
              json_hex_u64(o, "currentNumber", &h->number, why, sizeof why) &&
              json_hex_u64(o, "currentTimestamp", &h->timestamp, why, sizeof why) &&
              json_opt_u256(o, "currentDifficulty", &h->difficulty, &has_diff, why, sizeof why) &&
              /* a number, as geth reads it: "0x02", "0" or 32 bytes of hex */
              json_opt_u256(o, "currentRandom", &random, &has_random, why, sizeof why) &&
              json_opt_u256(o, "currentBaseFee", &h->base_fee, &h->has_base_fee, why, sizeof why) &&
              json_opt_u64(o, "currentExcessBlobGas", &h->excess_blob_gas, &has_excess, why, sizeof why) &&
              json_opt_bytes32(o, "parentBeaconBlockRoot", &h->parent_beacon_root, &h->has_beacon_root, why, sizeof why) &&
              load_parent(o, &p, why, sizeof why) && load_hashes(json_object_get(o, "blockHashes"), e, why, sizeof why) &&
              load_ommers(json_object_get(o, "ommers"), e, why, sizeof why) &&
              json_load_withdrawals(json_object_get(o, "withdrawals"), &e->blk, why, sizeof why);
    if (!ok) {
        snprintf(err, n, "env: %s", why);
        return false;
    }
    u256_to_be(&random, h->mix_hash.b);
    /* after the Merge: by the schedule, or (a terminal total difficulty
     * network, whose total difficulty t8n does not know) a post-merge env */
    e->merged = chain_reached(cfg->paris_block, h->number) ||
                (cfg->has_ttd && has_random && (!has_diff || u256_is_zero(&h->difficulty)));
    e->fork = chain_fork_at(cfg, h->number, h->timestamp, e->merged);
    if (e->fork < FORK_PARIS) e->merged = false;
    if (!derive_difficulty(e, cfg, &p, has_diff, has_random, code, err, n) ||
        !derive_base_fee(e, cfg, &p, code, err, n))
        return false;
    if (e->fork >= FORK_SHANGHAI && !e->blk.has_withdrawals)
        return env_fail(err, n, code, "Shanghai config but missing 'withdrawals' in env section");
    if (e->fork >= FORK_CANCUN && !h->has_beacon_root)
        return env_fail(err, n, code, "post-cancun env requires parentBeaconBlockRoot to be set");
    if (e->fork < FORK_CANCUN) h->has_beacon_root = false;
    if (e->fork < FORK_SHANGHAI) e->blk.has_withdrawals = false;
    derive_excess_blob_gas(e, cfg, &p, has_excess);
    h->has_withdrawals_root = e->blk.has_withdrawals;
    h->has_requests_hash = e->fork >= FORK_PRAGUE;
    /* EIP-2935 stores the parent's hash: BLOCKHASH of number - 1 */
    const bytes32 *parent = h->number ? t8n_env_hash(e, h->number - 1) : NULL;
    if (parent) h->parent_hash = *parent;
    return true;
}

const bytes32 *t8n_env_hash(const t8n_env *e, uint64_t number) {
    for (size_t i = 0; i < e->n_hashes; i++)
        if (e->hashes[i].number == number) return &e->hashes[i].hash;
    return NULL;
}

void t8n_env_free(t8n_env *e) {
    free(e->hashes);
    free(e->blk.ommers);
    free(e->blk.withdrawals);
    memset(e, 0, sizeof *e);
}

json_t *t8n_load_input(const char *path, const char *key, json_t **in, int *code, char *err, size_t errlen) {
    json_error_t je;
    *code = 0;
    if (!strcmp(path, "stdin")) {
        if (!*in && !(*in = json_loadf(stdin, 0, &je))) {
            *code = T8N_ERR_JSON;
            snprintf(err, errlen, "stdin: invalid JSON: %s", je.text);
            return NULL;
        }
        return json_incref(json_object_get(*in, key));
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        *code = T8N_ERR_IO;
        snprintf(err, errlen, "%s: cannot open: no such file or not readable", path);
        return NULL;
    }
    json_t *v = json_loadf(f, JSON_DECODE_ANY, &je);
    fclose(f);
    if (!v) {
        *code = T8N_ERR_JSON;
        snprintf(err, errlen, "%s: invalid JSON: %s", path, je.text);
    }
    return v;
}
