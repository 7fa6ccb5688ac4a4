/* Header validation against the parent, fork by fork as execution-specs'
 * validate_header (the proof-of-work seal itself excepted: the fixtures use
 * no seal), plus the EIP-1559 base fee and the EIP-4844 blob gas arithmetic
 * with the blob parameters of EIP-7840 and the reserve price of EIP-7918. */
#include "chain_internal.h"
#include "parevm/block.h"
#include "parevm/block_roots.h"
#include "parevm/exec.h"

#define GAS_LIMIT_BOUND_DIVISOR 1024
#define GAS_LIMIT_MINIMUM 5000
#define GAS_LIMIT_MAXIMUM 0x7fffffffffffffffULL /* geth's bound; far above any real limit */
#define ELASTICITY_MULTIPLIER 2
#define BASE_FEE_MAX_CHANGE_DENOMINATOR 8
#define INITIAL_BASE_FEE 1000000000ULL
#define MAX_EXTRA_DATA 32

/* ---- EIP-1559 base fee ------------------------------------------------- */

/* floor(a * m / d) / 8 for the base fee step; m <= d + 1 keeps it in range,
 * anything larger saturates. d > 0. */
static u256 fee_step(const u256 *a, uint64_t m, uint64_t d) {
    uint64_t p[5], carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)a->w[i] * m + carry;
        p[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    p[4] = carry;
    u128 rem = 0;
    for (int i = 4; i >= 0; i--) {
        u128 cur = rem << 64 | p[i];
        p[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    u256 q = {{p[0], p[1], p[2], p[3]}};
    if (p[4]) q = (u256){{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    return u256_shr(&q, 3); /* / BASE_FEE_MAX_CHANGE_DENOMINATOR */
}

u256 header_next_base_fee(const chain_config *cfg, const block_header *parent) {
    if (!parent->has_base_fee || (parent->number != UINT64_MAX && chain_is_at(cfg->london, parent->number + 1)))
        return u256_from_u64(INITIAL_BASE_FEE);
    uint64_t target = parent->gas_limit / ELASTICITY_MULTIPLIER;
    const u256 *base = &parent->base_fee;
    if (parent->gas_used == target || target == 0) return *base;
    if (parent->gas_used > target) {
        u256 step = fee_step(base, parent->gas_used - target, target), r;
        if (u256_is_zero(&step)) step = u256_from_u64(1);
        if (u256_add_carry(&r, base, &step)) return (u256){{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
        return r;
    }
    u256 step = fee_step(base, target - parent->gas_used, target);
    return u256_sub(base, &step); /* step <= base / 8 */
}

/* ---- EIP-4844 blob gas ------------------------------------------------- */

#define BLOB_BASE_COST 8192 /* EIP-7918: 2^13 gas of execution a blob must pay for */

/* EIP-7918: the execution cost of a blob (BLOB_BASE_COST gas at the parent's
 * base fee) above the blob gas price of a blob at the parent's excess. */
static bool reserve_price_binds(const block_header *parent, const blob_params *p) {
    u256 cost = u256_from_u64(BLOB_BASE_COST), per_blob = u256_from_u64(GAS_PER_BLOB);
    u256 fee = blob_base_fee(parent->excess_blob_gas, p->update_fraction);
    uint64_t reserve[8], price[8];
    u256_mul_full(reserve, &cost, &parent->base_fee);
    u256_mul_full(price, &per_blob, &fee);
    for (int i = 7; i >= 0; i--)
        if (reserve[i] != price[i]) return reserve[i] > price[i];
    return false;
}

uint64_t header_next_excess_blob_gas(const block_header *parent, fork_id fork, const blob_params *p) {
    if (fork < FORK_CANCUN || !parent->has_blob_gas) return 0;
    u128 total = (u128)parent->excess_blob_gas + parent->blob_gas_used;
    uint64_t target = blob_params_target_gas(p);
    if (total < target) return 0;
    if (fork >= FORK_OSAKA && p->max && reserve_price_binds(parent, p)) {
        /* the excess grows by the used blob gas scaled by (max - target) / max */
        u128 grown = parent->excess_blob_gas + (u128)parent->blob_gas_used * (p->max - p->target) / p->max;
        return grown > UINT64_MAX ? UINT64_MAX : (uint64_t)grown;
    }
    total -= target;
    return total > UINT64_MAX ? UINT64_MAX : (uint64_t)total;
}

/* ---- validation -------------------------------------------------------- */

/* Which optional fields the fork requires (and no others). */
static const char *check_field_presence(const block_header *h, fork_id f) {
    if (h->has_base_fee != (f >= FORK_LONDON))
        return h->has_base_fee ? "base fee before London" : "base fee missing";
    if (h->has_withdrawals_root != (f >= FORK_SHANGHAI))
        return h->has_withdrawals_root ? "withdrawals root before Shanghai" : "withdrawals root missing";
    if (h->has_blob_gas != (f >= FORK_CANCUN))
        return h->has_blob_gas ? "blob gas fields before Cancun" : "blob gas fields missing";
    if (h->has_beacon_root != (f >= FORK_CANCUN))
        return h->has_beacon_root ? "parent beacon root before Cancun" : "parent beacon root missing";
    if (h->has_requests_hash != (f >= FORK_PRAGUE))
        return h->has_requests_hash ? "requests hash before Prague" : "requests hash missing";
    return NULL;
}

/* Gas limit within 1/1024 of the parent's (twice the parent's at the London
 * fork block, EIP-1559 elasticity) and at least 5000. */
static const char *check_gas_limit(const chain_config *cfg, const block_header *parent,
                                   const block_header *h) {
    if (h->gas_limit > GAS_LIMIT_MAXIMUM) return "gas limit above 2^63 - 1";
    u128 pl = parent->gas_limit;
    if (chain_is_at(cfg->london, h->number)) pl *= ELASTICITY_MULTIPLIER;
    u128 delta = pl / GAS_LIMIT_BOUND_DIVISOR;
    if ((u128)h->gas_limit >= pl + delta) return "gas limit increased too much";
    if ((u128)h->gas_limit + delta <= pl) return "gas limit decreased too much";
    if (h->gas_limit < GAS_LIMIT_MINIMUM) return "gas limit below 5000";
    /* after the limit itself: a header breaking both is named for its limit
     * in the test fixtures */
    if (h->gas_used > h->gas_limit) return "gas used above gas limit";
    return NULL;
}

/* Difficulty, nonce and ommers: the PoW formula before the Merge (a clique
 * chain's authorities choose theirs, and seal no ommers), the EIP-3675
 * constants after it. */
static const char *check_consensus(const chain_config *cfg, const block_header *parent,
                                   const block_header *h, bool pos) {
    if (pos) {
        if (!u256_is_zero(&h->difficulty)) return "non-zero difficulty after the Merge";
        if (h->nonce != 0) return "non-zero nonce after the Merge";
        if (!bytes32_eq(&h->ommers_hash, &EMPTY_LIST_HASH)) return "ommers after the Merge";
        return NULL;
    }
    if (cfg->clique) return bytes32_eq(&h->ommers_hash, &EMPTY_LIST_HASH) ? NULL : "ommers in a clique chain";
    u256 want;
    bool parent_ommers = !bytes32_eq(&parent->ommers_hash, &EMPTY_LIST_HASH);
    if (!chain_difficulty_exact(cfg, h->number, h->timestamp, &parent->difficulty,
                                parent->timestamp, parent_ommers, &want) ||
        !u256_eq(&want, &h->difficulty))
        return "invalid difficulty";
    return NULL;
}

static const char *check_blob_gas(const chain_config *cfg, const block_header *parent, const block_header *h,
                                  fork_id f) {
    if (f < FORK_CANCUN) return NULL;
    blob_params p = chain_blob_params(cfg, h->timestamp);
    if (h->blob_gas_used % GAS_PER_BLOB) return "blob gas used not a multiple of the blob size";
    if (h->blob_gas_used > blob_params_max_gas(&p)) return "blob gas used above the maximum";
    if (h->excess_blob_gas != header_next_excess_blob_gas(parent, f, &p)) return "invalid excess blob gas";
    return NULL;
}

const char *header_validate(const chain_config *cfg, const block_header *parent,
                            const block_header *h, bool merged) {
    fork_id f = chain_fork_at(cfg, h->number, h->timestamp, merged);
    const char *why;
    if (parent->number == UINT64_MAX || h->number != parent->number + 1)
        return "block number is not the parent's plus one";
    if (!bytes32_eq(&h->parent_hash, &parent->hash)) return "parent hash mismatch";
    if (h->timestamp <= parent->timestamp) return "timestamp not after the parent's";
    if (h->extra_len > MAX_EXTRA_DATA) return "extra data longer than 32 bytes";
    /* the gas limit before the fork's header shape: a header of the next
     * fork's shape that also moves the limit too far is named for its limit
     * in the test fixtures */
    if ((why = check_gas_limit(cfg, parent, h))) return why;
    if ((why = check_field_presence(h, f))) return why;
    if (f >= FORK_LONDON) {
        u256 want = header_next_base_fee(cfg, parent);
        if (!u256_eq(&want, &h->base_fee)) return "invalid base fee";
    }
    if ((why = check_consensus(cfg, parent, h, f >= FORK_PARIS))) return why;
    if ((why = check_blob_gas(cfg, parent, h, f))) return why;
    if (chain_in_dao_extra_range(cfg, h->number)) {
        bool pro = h->extra_len == strlen(CHAIN_DAO_EXTRA) && !memcmp(h->extra_data, CHAIN_DAO_EXTRA, h->extra_len);
        if (!pro && !cfg->dao_opposed) return "extra data is not \"dao-hard-fork\" in the DAO fork range";
        if (pro && cfg->dao_opposed) return "extra data \"dao-hard-fork\" on a chain opposing the DAO fork";
    }
    return NULL;
}

const char *chain_check_body_roots(const block *b, size_t rlp_size, fork_id fork, task_pool *pool) {
    const block_header *h = &b->header;
    const char *why = chain_check_block_size(fork, rlp_size);
    if (why) return why;
    bytes32 r = block_ommers_hash(b);
    if (!bytes32_eq(&r, &h->ommers_hash)) return "ommers hash mismatch";
    r = block_tx_root_pool(b, pool);
    if (!bytes32_eq(&r, &h->tx_root)) return "transactions root mismatch";
    if (h->has_withdrawals_root != b->has_withdrawals) return "withdrawals presence mismatch";
    if (b->has_withdrawals) {
        r = block_withdrawals_root(b);
        if (!bytes32_eq(&r, &h->withdrawals_root)) return "withdrawals root mismatch";
    }
    return NULL;
}
