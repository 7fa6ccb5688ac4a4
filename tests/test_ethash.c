/* Unit tests for Ethash light verification (crypto/ethash.c) and the header
 * seal check (block.h): Keccak-512 vectors, cache and dataset sizes against
 * geth's tables, geth's small-cache and hashimoto vectors, and real mainnet
 * PoW headers of several epochs, which must pass, and fail once their nonce,
 * mix hash or difficulty is changed. Prints the time per cache generation
 * and per seal check. */
#include <time.h>
#include "test.h"
#include "header_json.h"
#include "parevm/ethash.h"
#include "parevm/keccak.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void check_hex(const uint8_t *got, size_t n, const char *want_hex) {
    uint8_t want[128];
    CHECK(hex_decode(want_hex, want, sizeof want) == (long)n);
    CHECK_MEM(got, want, n);
}

/* Keccak-512 with the original padding (values from @noble/hashes'
 * keccak_512): empty, short, exactly one 72-byte block, several blocks. */
TEST(keccak512_vectors) {
    uint8_t out[64];
    keccak512(NULL, 0, out);
    check_hex(out, 64, "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304"
                       "c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e");
    keccak512("abc", 3, out);
    check_hex(out, 64, "18587dc2ea106b9a1563e32b3312421ca164c7f1f07bc922a9c83d77cea3a1e5"
                       "d0c69910739025372dc14ac9642629379540c17e2a65b19d77aa511a9d00bb96");
    char m[200];
    memset(m, 'a', sizeof m);
    keccak512(m, 72, out);
    check_hex(out, 64, "4cb1cecbc96415025c7a9d6fb89f82a8482773fd9664c378691a05323ff4700f"
                       "a3e60414e6064814f98b36a61a87f62dffa7c56a2371355868dd37b8a654cf50");
    keccak512(m, 200, out);
    check_hex(out, 64, "644ca4058aa3e4c5e5d045f65f073c75ad6d2a82c751f63f7b23793293a84b62"
                       "d4005a346ef6e708866f86644515cd46aae134437e6c6ef7da8da7d5878c37d6");
}

/* By the prime-search formula, against geth's cacheSizes/datasetSizes
 * tables (consensus/ethash/algorithm.go before its removal). */
TEST(ethash_sizes_match_geth_tables) {
    static const struct {
        uint64_t epoch, cache, dataset;
    } t[] = {
        {0, 16776896, 1073739904},       {1, 16907456, 1082130304},
        {31, 20840384, 1333787776},      {72, 26214208, 1677721216},
        {500, 82311616, 5268040832ULL},  {1000, 147848768, 9462346624ULL},
        {2047, 285081536, 18245220736ULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        CHECK_EQ_U64(ethash_cache_size(t[i].epoch), t[i].cache);
        CHECK_EQ_U64(ethash_dataset_size(t[i].epoch), t[i].dataset);
    }
    bytes32 s0 = ethash_seed_hash(0), s1 = ethash_seed_hash(1);
    CHECK(bytes32_is_zero(&s0));
    check_hex(s1.b, 32, "290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563");
    CHECK_EQ_U64(ethash_epoch(29999), 0);
    CHECK_EQ_U64(ethash_epoch(30000), 1);
    CHECK(ethash_cache_new(ETHASH_MAX_EPOCH + 1) == NULL);
    CHECK(ethash_cache_new_sized(0, 1000, 32 * 1024) == NULL);
    CHECK(ethash_cache_new_sized(0, 1024, 1000) == NULL);
}

/* geth's TestCacheGeneration (1 KiB caches of epochs 0 and 1: first and
 * last rows) and TestHashimoto (that cache of epoch 0, a 32 KiB dataset). */
TEST(ethash_geth_small_vectors) {
    static const char *rows[2][2] = {
        {"7ce2991c951f7bf4c4c1bb119887ee07871eb5339d7b97b8588e85c742de90e5"
         "bafd5bbe6ce93a134fb6be9ad3e30db99d9528a2ea7846833f52e9ca119b6b54",
         "845f64fd8324bb85312979dead74f764c9677aab89801ad4f927f1c00f12e28f"
         "22422bb44200d1969d9ab377dd6b099dc6dbc3222e9321b2c1e84f8e2f07731c"},
        {"1f56855d59cc5a085720899b4377a0198f1abe948d85fe5820dc0e346b7c0931"
         "b9cde8e541d751de3b2b3275d0aabfae316209d5879297d8bd99f8a033c9d4df",
         "5f470eb0165c6375eb8f245d50a25d521d1e569e3b2dccce626752bb26eae624"
         "a24511e831a81fab6898a791579f462574ca4851e6588116493dbccc3072e0c5"},
    };
    for (uint64_t e = 0; e < 2; e++) {
        ethash_cache *c = ethash_cache_new_sized(e, 1024, 32 * 1024);
        CHECK(c != NULL);
        if (!c) continue;
        uint8_t row[64];
        CHECK(ethash_cache_row(c, 0, row));
        check_hex(row, 64, rows[e][0]);
        CHECK(ethash_cache_row(c, 15, row));
        check_hex(row, 64, rows[e][1]);
        CHECK(!ethash_cache_row(c, 16, row));
        CHECK_EQ_U64(ethash_cache_epoch(c), e);
        ethash_cache_free(c);
    }
    ethash_cache *c = ethash_cache_new_sized(0, 1024, 32 * 1024);
    bytes32 hash, mix, result;
    CHECK(hex_decode("c9149cc0386e689d789a1c2f3d5d169a61a6218ed30e74414dc736e442ef3d1f",
                     hash.b, 32) == 32);
    CHECK(ethash_hashimoto_light(c, 0, &hash, 0, &mix, &result));
    check_hex(mix.b, 32, "e4073cffaef931d37117cefd9afd27ea0f1cad6a981dd2605c4a1ac97c519800");
    check_hex(result.b, 32, "d3539235ee2e6f8db665c0a72169f55b7f6c605712330b778ec3944f0eb5a557");
    CHECK(!ethash_hashimoto_light(c, 30000, &hash, 0, &mix, &result));
    ethash_cache_free(c);
    ethash_cache_free(NULL);
}

/* A mainnet header from fixtures/mainnet/<number>/block.json; a missing or
 * unreadable fixture fails the test. */
static bool load_header(const char *number, block_header *h) {
    char path[1024];
    snprintf(path, sizeof path, "%s/mainnet/%s/block.json", test_fixtures_dir(), number);
    json_t *root = json_load_file(path, 0, NULL);
    bool ok = root && header_from_json(root, h);
    json_decref(root);
    if (!ok) fprintf(stderr, "  missing or bad fixture %s\n", path);
    CHECK(ok);
    if (!ok) return false;
    buf_t b = {0}; /* the fields parsed right: they hash to the block hash */
    header_encode(h, &b);
    bytes32 hash = keccak256_hash(b.data, b.len);
    CHECK(bytes32_eq(&hash, &h->hash));
    buf_free(&b);
    return true;
}

static bool reason_is(const char *got, const char *want) { return got && !strcmp(got, want); }

/* The largest difficulty whose target admits result: floor(2^256 / r). */
static u256 max_difficulty(const bytes32 *result) {
    u256 r = u256_from_bytes32(result), ones = u256_not(&(u256){{0}}), q, rem;
    u256_divmod(&ones, &r, &q, &rem);
    u256 one = u256_from_u64(1), rem1 = u256_add(&rem, &one);
    if (u256_eq(&rem1, &r)) q = u256_add(&q, &one); /* r divides 2^256 */
    return q;
}

/* The target comparison at its boundary: result <= 2^256 / difficulty. */
static void check_target_boundary(const ethash_cache *c, const block_header *h) {
    bytes32 seal = header_seal_hash(h), mix, result;
    CHECK(ethash_hashimoto_light(c, h->number, &seal, h->nonce, &mix, &result));
    u256 d = max_difficulty(&result), one = u256_from_u64(1);
    CHECK(!u256_lt(&d, &h->difficulty));
    CHECK(ethash_verify(c, h->number, &seal, h->nonce, &h->mix_hash, &d) == NULL);
    d = u256_add(&d, &one);
    CHECK(reason_is(ethash_verify(c, h->number, &seal, h->nonce, &h->mix_hash, &d),
                    "invalid proof-of-work"));
    u256 zero = {{0}};
    CHECK(reason_is(ethash_verify(c, h->number, &seal, h->nonce, &h->mix_hash, &zero),
                    "zero difficulty"));
}

/* The real seal passes; a changed nonce, mix hash or difficulty fails. */
static void check_mainnet_seal(const ethash_cache *c, block_header h) {
    double t0 = now_s();
    const char *why = header_verify_seal(c, &h);
    double dt = now_s() - t0;
    if (why) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)h.number, why);
    CHECK(why == NULL);
    printf("  block %llu: seal checked in %.2f ms\n", (unsigned long long)h.number, dt * 1e3);
    block_header bad = h;
    bad.nonce++;
    CHECK(reason_is(header_verify_seal(c, &bad), "invalid mix digest"));
    bad = h;
    bad.mix_hash.b[31] ^= 1;
    CHECK(reason_is(header_verify_seal(c, &bad), "invalid mix digest"));
    bad = h;
    bad.difficulty = u256_add(&bad.difficulty, &(u256){{1}});
    CHECK(header_verify_seal(c, &bad) != NULL); /* the seal hash covers it */
    bad = h;
    bad.number += ETHASH_EPOCH_LENGTH;
    CHECK(reason_is(header_verify_seal(c, &bad), "block not in the cache's epoch"));
    check_target_boundary(c, &h);
}

/* Frontier (epoch 1), Frontier (31), Homestead (72) and London, whose seal
 * hash includes the base fee (440). */
TEST(ethash_mainnet_seals) {
    static const char *numbers[] = {"46147", "930196", "2179522", "13217637"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        block_header h;
        if (!load_header(numbers[i], &h)) continue;
        double t0 = now_s();
        ethash_cache *c = ethash_cache_new(ethash_epoch(h.number));
        CHECK(c != NULL);
        if (!c) continue;
        printf("  epoch %llu: cache of %llu bytes built in %.2f s\n",
               (unsigned long long)ethash_epoch(h.number),
               (unsigned long long)ethash_cache_size(ethash_epoch(h.number)), now_s() - t0);
        check_mainnet_seal(c, h);
        ethash_cache_free(c);
    }
}
