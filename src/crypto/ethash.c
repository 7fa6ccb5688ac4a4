/* Ethash light verification (Yellow Paper appendix J, geth's
 * consensus/ethash/algorithm.go): the size formulas, the seed hash, the
 * per-epoch cache (a Keccak-512 chain mixed by three rounds of RandMemoHash),
 * dataset items computed from the cache (FNV over 256 cache parents), and
 * hashimoto's 64 accesses of 128 bytes. All words are little-endian 32-bit,
 * as the algorithm defines them; the cache keeps its bytes in that order. */
#include <stdlib.h>
#include "parevm/ethash.h"
#include "parevm/keccak.h"

#define CACHE_INIT_BYTES (1ULL << 24)
#define CACHE_GROWTH_BYTES (1ULL << 17)
#define DATASET_INIT_BYTES (1ULL << 30)
#define DATASET_GROWTH_BYTES (1ULL << 23)
#define HASH_BYTES 64
#define HASH_WORDS 16
#define MIX_BYTES 128
#define MIX_WORDS 32
#define DATASET_PARENTS 256
#define CACHE_ROUNDS 3
#define ACCESSES 64
#define FNV_PRIME 0x01000193u

struct ethash_cache {
    uint64_t epoch;
    uint64_t dataset_bytes;
    uint32_t rows;  /* 64-byte rows */
    uint8_t *data;  /* rows * 64 bytes */
};

static inline uint32_t load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store32_le(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fnv(uint32_t a, uint32_t b) { return a * FNV_PRIME ^ b; }

/* ---- sizes and seed ------------------------------------------------------ */

/* Trial division: the row counts stay below 2^32, so at most 2^15 odd
 * divisors, and only a handful of candidates per size. */
static bool is_prime(uint64_t n) {
    if (n < 2) return false;
    if (n % 2 == 0) return n == 2;
    for (uint64_t d = 3; d * d <= n; d += 2)
        if (n % d == 0) return false;
    return true;
}

/* The largest size <= start - unit (stepping by 2 units) with a prime row
 * count, unit being the row size. */
static uint64_t prime_rows_size(uint64_t start, uint64_t unit) {
    uint64_t size = start - unit;
    while (!is_prime(size / unit)) size -= 2 * unit;
    return size;
}

uint64_t ethash_cache_size(uint64_t epoch) {
    return prime_rows_size(CACHE_INIT_BYTES + CACHE_GROWTH_BYTES * epoch, HASH_BYTES);
}

uint64_t ethash_dataset_size(uint64_t epoch) {
    return prime_rows_size(DATASET_INIT_BYTES + DATASET_GROWTH_BYTES * epoch, MIX_BYTES);
}

bytes32 ethash_seed_hash(uint64_t epoch) {
    bytes32 seed = {{0}};
    for (uint64_t i = 0; i < epoch; i++) keccak256(seed.b, 32, seed.b);
    return seed;
}

/* ---- the cache ----------------------------------------------------------- */

/* Sequential fill: row 0 = keccak512(seed), row i = keccak512(row i-1). */
static void cache_fill(uint8_t *d, uint32_t rows, const bytes32 *seed) {
    keccak512(seed->b, 32, d);
    for (uint64_t i = 1; i < rows; i++)
        keccak512(d + (i - 1) * HASH_BYTES, HASH_BYTES, d + i * HASH_BYTES);
}

/* One round of RandMemoHash: row j = keccak512(row j-1 (cyclic) xor row v),
 * v being row j's first word modulo the row count. In place, in order. */
static void cache_round(uint8_t *d, uint32_t rows) {
    uint8_t t[HASH_BYTES];
    for (uint64_t j = 0; j < rows; j++) {
        const uint8_t *src = d + ((j + rows - 1) % rows) * HASH_BYTES;
        const uint8_t *x = d + (uint64_t)(load32_le(d + j * HASH_BYTES) % rows) * HASH_BYTES;
        for (int k = 0; k < HASH_BYTES; k++) t[k] = src[k] ^ x[k];
        keccak512(t, HASH_BYTES, d + j * HASH_BYTES);
    }
}

ethash_cache *ethash_cache_new_sized(uint64_t epoch, uint64_t cache_bytes,
                                     uint64_t dataset_bytes) {
    if (!cache_bytes || cache_bytes % HASH_BYTES || cache_bytes / HASH_BYTES > UINT32_MAX ||
        !dataset_bytes || dataset_bytes % MIX_BYTES || dataset_bytes / HASH_BYTES > UINT32_MAX)
        return NULL;
    ethash_cache *c = malloc(sizeof *c);
    uint8_t *data = malloc(cache_bytes);
    if (!c || !data) {
        free(c);
        free(data);
        return NULL;
    }
    *c = (ethash_cache){epoch, dataset_bytes, (uint32_t)(cache_bytes / HASH_BYTES), data};
    bytes32 seed = ethash_seed_hash(epoch);
    cache_fill(data, c->rows, &seed);
    for (int r = 0; r < CACHE_ROUNDS; r++) cache_round(data, c->rows);
    return c;
}

ethash_cache *ethash_cache_new(uint64_t epoch) {
    if (epoch > ETHASH_MAX_EPOCH) return NULL;
    return ethash_cache_new_sized(epoch, ethash_cache_size(epoch), ethash_dataset_size(epoch));
}

void ethash_cache_free(ethash_cache *c) {
    if (!c) return;
    free(c->data);
    free(c);
}

uint64_t ethash_cache_epoch(const ethash_cache *c) { return c->epoch; }

bool ethash_cache_row(const ethash_cache *c, uint64_t i, uint8_t out[64]) {
    if (i >= c->rows) return false;
    memcpy(out, c->data + i * HASH_BYTES, HASH_BYTES);
    return true;
}

/* ---- hashimoto ----------------------------------------------------------- */

static void words_to_bytes(const uint32_t *w, uint8_t *b, int n) {
    for (int i = 0; i < n; i++) store32_le(b + 4 * i, w[i]);
}

static void bytes_to_words(const uint8_t *b, uint32_t *w, int n) {
    for (int i = 0; i < n; i++) w[i] = load32_le(b + 4 * i);
}

/* The 64-byte dataset item `index`, computed from the cache: start from the
 * cache row index (mod rows) with its first word xor index, hash, fold in
 * 256 pseudo-randomly chosen cache rows with FNV, hash again. */
static void dataset_item(const ethash_cache *c, uint32_t index, uint32_t out[HASH_WORDS]) {
    uint8_t mix[HASH_BYTES];
    memcpy(mix, c->data + (uint64_t)(index % c->rows) * HASH_BYTES, HASH_BYTES);
    store32_le(mix, load32_le(mix) ^ index);
    keccak512(mix, HASH_BYTES, mix);
    uint32_t m[HASH_WORDS];
    bytes_to_words(mix, m, HASH_WORDS);
    for (uint32_t i = 0; i < DATASET_PARENTS; i++) {
        uint32_t parent = fnv(index ^ i, m[i % HASH_WORDS]) % c->rows;
        const uint8_t *p = c->data + (uint64_t)parent * HASH_BYTES;
        for (int k = 0; k < HASH_WORDS; k++) m[k] = fnv(m[k], load32_le(p + 4 * k));
    }
    words_to_bytes(m, mix, HASH_WORDS);
    keccak512(mix, HASH_BYTES, mix);
    bytes_to_words(mix, out, HASH_WORDS);
}

/* The 64 accesses: each reads a 128-byte dataset page (two items) chosen
 * from the mix and folds it in with FNV. seed holds s = keccak512(hash ||
 * nonce little-endian) and receives the compressed mix after it. */
static void hashimoto_mix(const ethash_cache *c, uint8_t seed[HASH_BYTES + 32]) {
    uint32_t pages = (uint32_t)(c->dataset_bytes / MIX_BYTES);
    uint32_t head = load32_le(seed), mix[MIX_WORDS], page[MIX_WORDS];
    for (int i = 0; i < MIX_WORDS; i++) mix[i] = load32_le(seed + 4 * (i % HASH_WORDS));
    for (uint32_t i = 0; i < ACCESSES; i++) {
        uint32_t p = fnv(i ^ head, mix[i % MIX_WORDS]) % pages;
        dataset_item(c, 2 * p, page);
        dataset_item(c, 2 * p + 1, page + HASH_WORDS);
        for (int k = 0; k < MIX_WORDS; k++) mix[k] = fnv(mix[k], page[k]);
    }
    for (int i = 0; i < MIX_WORDS / 4; i++) {
        uint32_t v = fnv(fnv(fnv(mix[4 * i], mix[4 * i + 1]), mix[4 * i + 2]), mix[4 * i + 3]);
        store32_le(seed + HASH_BYTES + 4 * i, v);
    }
}

bool ethash_hashimoto_light(const ethash_cache *c, uint64_t block_number,
                            const bytes32 *seal_hash, uint64_t nonce, bytes32 *mix,
                            bytes32 *result) {
    if (ethash_epoch(block_number) != c->epoch) return false;
    uint8_t in[40], seed[HASH_BYTES + 32];
    memcpy(in, seal_hash->b, 32);
    for (int i = 0; i < 8; i++) in[32 + i] = (uint8_t)(nonce >> (8 * i));
    keccak512(in, sizeof in, seed);
    hashimoto_mix(c, seed);
    memcpy(mix->b, seed + HASH_BYTES, 32);
    keccak256(seed, sizeof seed, result->b);
    return true;
}

/* ---- the seal check ------------------------------------------------------ */

/* result <= floor(2^256 / difficulty), i.e. result * difficulty <= 2^256. */
static bool meets_target(const bytes32 *result, const u256 *difficulty) {
    u256 r = u256_from_bytes32(result);
    uint64_t p[8];
    u256_mul_full(p, &r, difficulty);
    if (p[5] | p[6] | p[7]) return false;
    return p[4] == 0 || (p[4] == 1 && !(p[0] | p[1] | p[2] | p[3]));
}

const char *ethash_verify(const ethash_cache *c, uint64_t block_number,
                          const bytes32 *seal_hash, uint64_t nonce, const bytes32 *mix_hash,
                          const u256 *difficulty) {
    if (u256_is_zero(difficulty)) return "zero difficulty";
    bytes32 mix, result;
    if (!ethash_hashimoto_light(c, block_number, seal_hash, nonce, &mix, &result))
        return "block not in the cache's epoch";
    if (!bytes32_eq(&mix, mix_hash)) return "invalid mix digest";
    if (!meets_target(&result, difficulty)) return "invalid proof-of-work";
    return NULL;
}
