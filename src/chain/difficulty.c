/* Proof-of-work consensus arithmetic: the difficulty of a block from its
 * parent under each rule set (Frontier, Homestead EIP-2, Byzantium EIP-100)
 * with the difficulty bomb and its delays, and the block and ommer rewards.
 *
 * The bomb is added after the lower bound of 131072 is applied, as geth does
 * (the DifficultyTests were filled with geth); execution-specs adds it
 * before. The two agree whenever the parent difficulty is realistic. */
#include "chain_internal.h"

#define MINIMUM_DIFFICULTY 131072
#define BOMB_PERIOD 100000

/* The formula in force at a block and how far the bomb is pushed back. */
typedef enum { RULE_FRONTIER, RULE_HOMESTEAD, RULE_BYZANTIUM } difficulty_rule;

static difficulty_rule rule_at(const chain_config *c, uint64_t n, uint64_t *bomb_delay) {
    static const struct {
        size_t field;
        uint64_t delay;
    } delays[] = {
        {offsetof(chain_config, gray_glacier), 11400000},   /* EIP-5133 */
        {offsetof(chain_config, arrow_glacier), 10700000},  /* EIP-4345 */
        {offsetof(chain_config, london), 9700000},          /* EIP-3554 */
        {offsetof(chain_config, muir_glacier), 9000000},    /* EIP-2384 */
        {offsetof(chain_config, constantinople), 5000000},  /* EIP-1234 */
        {offsetof(chain_config, byzantium), 3000000},       /* EIP-649 */
    };
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++)
        if (chain_reached(*(const uint64_t *)((const char *)c + delays[i].field), n)) {
            *bomb_delay = delays[i].delay;
            return RULE_BYZANTIUM;
        }
    *bomb_delay = 0;
    return chain_reached(c->homestead, n) ? RULE_HOMESTEAD : RULE_FRONTIER;
}

/* floor((t - pt) / d) for unsigned timestamps, as a signed value. */
static __int128 time_steps(uint64_t t, uint64_t pt, uint64_t d) {
    if (t >= pt) return (t - pt) / d;
    uint64_t back = pt - t;
    return -(__int128)((back + d - 1) / d);
}

/* The adjustment factor k: difficulty moves by parent/2048 * k. */
static __int128 adjustment(difficulty_rule r, uint64_t t, uint64_t pt, bool ommers) {
    __int128 k;
    switch (r) {
    case RULE_FRONTIER: return t >= pt && t - pt >= 13 ? -1 : 1;
    case RULE_HOMESTEAD: k = 1 - time_steps(t, pt, 10); break;
    default: k = (ommers ? 2 : 1) - time_steps(t, pt, 9); break;
    }
    return k < -99 ? -99 : k;
}

/* r = a * k; false on overflow past 256 bits. */
static bool mul_u64(const u256 *a, uint64_t k, u256 *r) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)a->w[i] * k + carry;
        r->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    return carry == 0;
}

bool chain_difficulty_exact(const chain_config *c, uint64_t number, uint64_t timestamp,
                            const u256 *parent_difficulty, uint64_t parent_timestamp,
                            bool parent_has_ommers, u256 *out) {
    uint64_t delay;
    difficulty_rule r = rule_at(c, number, &delay);
    __int128 k = adjustment(r, timestamp, parent_timestamp, parent_has_ommers);
    u256 step = u256_shr(parent_difficulty, 11), delta, d;
    /* k is at most about 2^61 (a timestamp far before the parent's) */
    if (!mul_u64(&step, (uint64_t)(k < 0 ? -k : k), &delta)) return false;
    if (k < 0) {
        d = u256_sub(parent_difficulty, &delta); /* |k| <= 99 < 2048: no borrow */
    } else if (u256_add_carry(&d, parent_difficulty, &delta)) {
        return false;
    }
    u256 min = u256_from_u64(MINIMUM_DIFFICULTY);
    if (u256_lt(&d, &min)) d = min;
    uint64_t periods = (number >= delay ? number - delay : 0) / BOMB_PERIOD;
    if (periods >= 2) {
        if (periods - 2 >= 256) return false;
        u256 one = u256_from_u64(1), bomb = u256_shl(&one, (unsigned)(periods - 2));
        if (u256_add_carry(&d, &d, &bomb)) return false;
    }
    *out = d;
    return true;
}

u256 chain_difficulty(const chain_config *c, uint64_t number, uint64_t timestamp,
                      const u256 *parent_difficulty, uint64_t parent_timestamp,
                      bool parent_has_ommers) {
    u256 d;
    if (!chain_difficulty_exact(c, number, timestamp, parent_difficulty, parent_timestamp,
                                parent_has_ommers, &d))
        return (u256){{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    return d;
}

/* ---- rewards ----------------------------------------------------------- */

#define ETHER 1000000000000000000ULL

u256 chain_block_reward(fork_id fork) {
    if (fork >= FORK_PARIS) return U256_ZERO;
    if (fork >= FORK_CONSTANTINOPLE) return u256_from_u64(2 * ETHER); /* EIP-1234 */
    if (fork >= FORK_BYZANTIUM) return u256_from_u64(3 * ETHER);      /* EIP-649 */
    return u256_from_u64(5 * ETHER);
}

u256 chain_ommer_reward(fork_id fork, uint64_t block_number, uint64_t ommer_number) {
    if (ommer_number >= block_number || block_number - ommer_number >= 8) return U256_ZERO;
    u256 r = chain_block_reward(fork);
    u256 share = u256_from_u64(8 - (block_number - ommer_number)), eight = u256_from_u64(8);
    u256 t = u256_mul(&r, &share);
    return u256_div(&t, &eight);
}

u256 chain_nephew_reward(fork_id fork) {
    u256 r = chain_block_reward(fork);
    return u256_shr(&r, 5);
}
