/* Unit tests for the chain rules: fork schedules of mainnet and the fixture
 * networks on either side of each switch, the DAO list, rewards, difficulty
 * edge cases, EIP-1559 and EIP-4844 arithmetic, and real mainnet headers
 * (hash from the JSON fields; validation of the consecutive pairs across
 * Petersburg and the Merge). */
#include "test.h"
#include "header_json.h"
#include "parevm/chain_rules.h"
#include "parevm/keccak.h"

/* ---- fork schedules ---------------------------------------------------- */

TEST(mainnet_block_boundaries) {
    chain_config c = chain_config_mainnet();
    static const struct {
        uint64_t n;
        fork_id before, at;
    } b[] = {
        {1150000, FORK_FRONTIER, FORK_HOMESTEAD},
        {2463000, FORK_HOMESTEAD, FORK_TANGERINE_WHISTLE},
        {2675000, FORK_TANGERINE_WHISTLE, FORK_SPURIOUS_DRAGON},
        {4370000, FORK_SPURIOUS_DRAGON, FORK_BYZANTIUM},
        {7280000, FORK_BYZANTIUM, FORK_PETERSBURG},
        {9069000, FORK_PETERSBURG, FORK_ISTANBUL},
        {9200000, FORK_ISTANBUL, FORK_ISTANBUL}, /* Muir Glacier: bomb only */
        {12244000, FORK_ISTANBUL, FORK_BERLIN},
        {12965000, FORK_BERLIN, FORK_LONDON},
        {13773000, FORK_LONDON, FORK_LONDON},    /* Arrow Glacier */
        {15050000, FORK_LONDON, FORK_LONDON},    /* Gray Glacier */
        {15537394, FORK_LONDON, FORK_PARIS},
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        CHECK_EQ_U64(chain_fork_at(&c, b[i].n - 1, 0, false), b[i].before);
        CHECK_EQ_U64(chain_fork_at(&c, b[i].n, 0, false), b[i].at);
    }
    CHECK_EQ_U64(chain_fork_at(&c, 0, 0, false), FORK_FRONTIER);
    CHECK_EQ_U64(c.dao, 1920000);
    CHECK_EQ_U64(c.chain_id, 1);
    /* the Merge by total difficulty, before the block number says so */
    CHECK_EQ_U64(chain_fork_at(&c, 15537393, 0, true), FORK_PARIS);
}

TEST(mainnet_time_boundaries) {
    chain_config c = chain_config_mainnet();
    static const struct {
        uint64_t t;
        fork_id before, at;
    } b[] = {
        {1681338455, FORK_PARIS, FORK_SHANGHAI},
        {1710338135, FORK_SHANGHAI, FORK_CANCUN},
        {1746612311, FORK_CANCUN, FORK_PRAGUE},
        {1764798551, FORK_PRAGUE, FORK_OSAKA},
        {1765290071, FORK_OSAKA, FORK_OSAKA}, /* BPO1: blob parameters only */
        {1767747671, FORK_OSAKA, FORK_OSAKA}, /* BPO2 */
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        CHECK_EQ_U64(chain_fork_at(&c, 17000000, b[i].t - 1, true), b[i].before);
        CHECK_EQ_U64(chain_fork_at(&c, 17000000, b[i].t, true), b[i].at);
    }
    /* a terminal total difficulty of 58,750 * 10^18 */
    u256 ttd = c.terminal_total_difficulty, q, r;
    u256 e18 = u256_from_u64(1000000000000000000ULL);
    u256_divmod(&ttd, &e18, &q, &r);
    CHECK(c.has_ttd && u256_is_zero(&r) && q.w[0] == 58750 && u256_fits_u64(&q));
}

TEST(single_fork_networks) {
    static const struct {
        const char *name;
        fork_id fork;
    } n[] = {
        {"Frontier", FORK_FRONTIER}, {"Homestead", FORK_HOMESTEAD},
        {"EIP150", FORK_TANGERINE_WHISTLE}, {"EIP158", FORK_SPURIOUS_DRAGON},
        {"Byzantium", FORK_BYZANTIUM}, {"Constantinople", FORK_CONSTANTINOPLE},
        {"ConstantinopleFix", FORK_PETERSBURG}, {"Istanbul", FORK_ISTANBUL},
        {"MuirGlacier", FORK_ISTANBUL}, {"Berlin", FORK_BERLIN}, {"London", FORK_LONDON},
        {"ArrowGlacier", FORK_LONDON}, {"GrayGlacier", FORK_LONDON}, {"Merge", FORK_PARIS},
        {"Paris", FORK_PARIS}, {"Shanghai", FORK_SHANGHAI}, {"Cancun", FORK_CANCUN},
        {"Prague", FORK_PRAGUE}, {"Osaka", FORK_OSAKA}, {"BPO1", FORK_OSAKA}, {"BPO2", FORK_OSAKA},
        {"BPO3", FORK_OSAKA}, {"BPO4", FORK_OSAKA}, {"BPO5", FORK_OSAKA},
    };
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        chain_config c;
        CHECK(chain_config_by_name(n[i].name, &c));
        CHECK_EQ_U64(chain_fork_at(&c, 0, 0, false), n[i].fork);
        CHECK_EQ_U64(chain_fork_at(&c, 1000000, 2000000000, false), n[i].fork);
        CHECK_EQ_U64(c.dao, CHAIN_NEVER);
    }
    chain_config c;
    CHECK(!chain_config_by_name("Amsterdam", &c));
    CHECK(!chain_config_by_name("BPO6", &c));
    CHECK(!chain_config_by_name("", &c));
    CHECK(!chain_config_by_name(NULL, &c));
    CHECK(chain_config_by_name("cancun", &c)); /* case-insensitive like fork_from_name */
    /* the glaciers keep their bomb delays apart */
    CHECK(chain_config_by_name("Istanbul", &c) && c.muir_glacier == CHAIN_NEVER);
    CHECK(chain_config_by_name("Berlin", &c) && c.muir_glacier == 0 && c.london == CHAIN_NEVER);
    CHECK(chain_config_by_name("Constantinople", &c) && c.petersburg == CHAIN_NEVER);
}

TEST(transition_networks) {
    static const struct {
        const char *name;
        bool by_time;
        uint64_t at;
        fork_id before, after;
    } n[] = {
        {"FrontierToHomesteadAt5", false, 5, FORK_FRONTIER, FORK_HOMESTEAD},
        {"HomesteadToEIP150At5", false, 5, FORK_HOMESTEAD, FORK_TANGERINE_WHISTLE},
        {"HomesteadToDaoAt5", false, 5, FORK_HOMESTEAD, FORK_HOMESTEAD},
        {"EIP158ToByzantiumAt5", false, 5, FORK_SPURIOUS_DRAGON, FORK_BYZANTIUM},
        {"ByzantiumToConstantinopleFixAt5", false, 5, FORK_BYZANTIUM, FORK_PETERSBURG},
        {"BerlinToLondonAt5", false, 5, FORK_BERLIN, FORK_LONDON},
        {"ParisToShanghaiAtTime15k", true, 15000, FORK_PARIS, FORK_SHANGHAI},
        {"MergeToShanghaiAtTime15k", true, 15000, FORK_PARIS, FORK_SHANGHAI},
        {"ShanghaiToCancunAtTime15k", true, 15000, FORK_SHANGHAI, FORK_CANCUN},
        {"CancunToPragueAtTime15k", true, 15000, FORK_CANCUN, FORK_PRAGUE},
        {"PragueToOsakaAtTime15k", true, 15000, FORK_PRAGUE, FORK_OSAKA},
        {"OsakaToBPO1AtTime15k", true, 15000, FORK_OSAKA, FORK_OSAKA},
        {"BPO1ToBPO2AtTime15k", true, 15000, FORK_OSAKA, FORK_OSAKA},
        {"BPO2ToBPO3AtTime15k", true, 15000, FORK_OSAKA, FORK_OSAKA},
        {"BPO3ToBPO4AtTime15k", true, 15000, FORK_OSAKA, FORK_OSAKA},
        {"BPO4ToBPO5AtTime15k", true, 15000, FORK_OSAKA, FORK_OSAKA},
    };
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        chain_config c;
        CHECK(chain_config_by_name(n[i].name, &c));
        uint64_t lo = n[i].at - 1, hi = n[i].at;
        if (n[i].by_time) {
            CHECK_EQ_U64(chain_fork_at(&c, 3, lo, true), n[i].before);
            CHECK_EQ_U64(chain_fork_at(&c, 3, hi, true), n[i].after);
        } else {
            CHECK_EQ_U64(chain_fork_at(&c, lo, 1000, false), n[i].before);
            CHECK_EQ_U64(chain_fork_at(&c, hi, 1000, false), n[i].after);
        }
    }
    chain_config c;
    CHECK(chain_config_by_name("HomesteadToDaoAt5", &c) && c.dao == 5 && c.homestead == 0);
    CHECK(chain_config_by_name("ByzantiumToConstantinopleFixAt5", &c) && c.constantinople == 5);
    /* the Merge at total difficulty 0xC0000: the caller decides "merged" */
    CHECK(chain_config_by_name("ArrowGlacierToParisAtDiffC0000", &c));
    CHECK(c.has_ttd && u256_fits_u64(&c.terminal_total_difficulty) &&
          c.terminal_total_difficulty.w[0] == 0xC0000 && c.paris_block == CHAIN_NEVER);
    CHECK_EQ_U64(chain_fork_at(&c, 100, 1000, false), FORK_LONDON);
    CHECK_EQ_U64(chain_fork_at(&c, 100, 1000, true), FORK_PARIS);
    CHECK(c.gray_glacier == 0);
}

/* ---- DAO and rewards --------------------------------------------------- */

TEST(dao_accounts) {
    size_t n;
    const address *a = chain_dao_accounts(&n);
    CHECK_EQ_U64(n, 116);
    for (size_t i = 0; i < n; i++) {
        CHECK(!address_eq(&a[i], &CHAIN_DAO_REFUND_CONTRACT));
        for (size_t j = i + 1; j < n; j++) CHECK(!address_eq(&a[i], &a[j]));
    }
    address first, dao, extra, refund;
    CHECK(hex_to_fixed("0xd4fe7bc31cedb7bfb8a345f31e668033056b2728", first.b, 20));
    CHECK(hex_to_fixed("0xbb9bc244d798123fde783fcc1c72d3bb8c189413", dao.b, 20));
    CHECK(hex_to_fixed("0x807640a13483f8ac783c557fcdf27be11ea4ac7a", extra.b, 20));
    CHECK(hex_to_fixed("0xbf4ed7b27f1d666546e30d74d50d173d20bca754", refund.b, 20));
    CHECK(address_eq(&a[0], &first) && address_eq(&a[114], &dao) && address_eq(&a[115], &extra));
    CHECK(address_eq(&CHAIN_DAO_REFUND_CONTRACT, &refund));
}

static bool ether_is(u256 v, uint64_t num, uint64_t den) {
    u256 want = u256_from_u64(1000000000000000000ULL / den);
    u256 k = u256_from_u64(num);
    want = u256_mul(&want, &k);
    return u256_eq(&v, &want);
}

TEST(rewards) {
    CHECK(ether_is(chain_block_reward(FORK_FRONTIER), 5, 1));
    CHECK(ether_is(chain_block_reward(FORK_SPURIOUS_DRAGON), 5, 1));
    CHECK(ether_is(chain_block_reward(FORK_BYZANTIUM), 3, 1));
    CHECK(ether_is(chain_block_reward(FORK_CONSTANTINOPLE), 2, 1));
    CHECK(ether_is(chain_block_reward(FORK_LONDON), 2, 1));
    u256 z = chain_block_reward(FORK_PARIS);
    CHECK(u256_is_zero(&z));
    /* (8 + ommer - block) / 8 of 5 ether, 1 to 7 generations back */
    CHECK(ether_is(chain_ommer_reward(FORK_HOMESTEAD, 10, 9), 35, 8));
    CHECK(ether_is(chain_ommer_reward(FORK_HOMESTEAD, 10, 4), 10, 8));
    CHECK(ether_is(chain_ommer_reward(FORK_BYZANTIUM, 10, 3), 3, 8));
    z = chain_ommer_reward(FORK_HOMESTEAD, 10, 2);
    CHECK(u256_is_zero(&z));
    z = chain_ommer_reward(FORK_HOMESTEAD, 10, 10);
    CHECK(u256_is_zero(&z));
    z = chain_ommer_reward(FORK_HOMESTEAD, 10, 11);
    CHECK(u256_is_zero(&z));
    z = chain_ommer_reward(FORK_PARIS, 10, 9);
    CHECK(u256_is_zero(&z));
    CHECK(ether_is(chain_nephew_reward(FORK_FRONTIER), 5, 32));
    CHECK(ether_is(chain_nephew_reward(FORK_CONSTANTINOPLE), 2, 32));
    /* a block's rules: the fork's reward, none on a clique chain */
    chain_config c;
    CHECK(chain_config_by_name("London", &c));
    block_header h = {.number = 5};
    block_rules r = chain_block_rules(&c, &h, false);
    CHECK(r.fork == FORK_LONDON && ether_is(r.block_reward, 2, 1));
    c.clique = true;
    r = chain_block_rules(&c, &h, false);
    CHECK(r.fork == FORK_LONDON && u256_is_zero(&r.block_reward));
}

/* ---- difficulty edge cases --------------------------------------------- */

TEST(difficulty_edges) {
    chain_config fr, by;
    CHECK(chain_config_by_name("Frontier", &fr) && chain_config_by_name("Byzantium", &by));
    u256 p = u256_from_u64(131072), d;
    /* never below the minimum */
    d = chain_difficulty(&fr, 1, 100, &p, 0, false);
    CHECK(u256_eq(&d, &p));
    /* Frontier: +parent/2048 under 13 seconds */
    p = u256_from_u64(2048 * 1000);
    d = chain_difficulty(&fr, 1, 12, &p, 0, false);
    CHECK(d.w[0] == 2048 * 1000 + 1000);
    d = chain_difficulty(&fr, 1, 13, &p, 0, false);
    CHECK(d.w[0] == 2048 * 1000 - 1000);
    /* Byzantium: ommers count, the step floors at -99 */
    d = chain_difficulty(&by, 1, 9, &p, 0, true);
    CHECK(d.w[0] == 2048 * 1000 + 1000);
    d = chain_difficulty(&by, 1, 10000, &p, 0, false);
    CHECK(d.w[0] == 2048 * 1000 - 99 * 1000);
    /* the bomb: period 2 after the 3M delay adds 2^0, and it is delayed */
    d = chain_difficulty(&by, 3200000, 9, &p, 0, true);
    CHECK(d.w[0] == 2048 * 1000 + 1000 + 1);
    d = chain_difficulty(&by, 3199999, 9, &p, 0, true);
    CHECK(d.w[0] == 2048 * 1000 + 1000 + 0);
    /* a timestamp before the parent's raises the difficulty (floor division) */
    d = chain_difficulty(&by, 1, 0, &p, 1, false);
    CHECK(d.w[0] == 2048 * 1000 + 2 * 1000);
    /* beyond 256 bits: saturates */
    d = chain_difficulty(&fr, 100000000, 1, &p, 0, false);
    CHECK(d.w[0] == ~0ULL && d.w[3] == ~0ULL);
    u256 big = {{0, 0, 0, ~0ULL}};
    d = chain_difficulty(&by, 1, 0, &big, UINT64_MAX, false);
    CHECK(d.w[0] == ~0ULL && d.w[3] == ~0ULL);
}

/* ---- EIP-1559 and EIP-4844 --------------------------------------------- */

TEST(base_fee) {
    chain_config c;
    CHECK(chain_config_by_name("BerlinToLondonAt5", &c));
    block_header p = {0};
    p.number = 4;
    p.gas_limit = 30000000;
    u256 f = header_next_base_fee(&c, &p);
    CHECK(f.w[0] == 1000000000 && u256_fits_u64(&f)); /* the London fork block */
    p.number = 10;
    p.has_base_fee = true;
    p.base_fee = u256_from_u64(1000000000);
    p.gas_used = 15000000;
    f = header_next_base_fee(&c, &p);
    CHECK(f.w[0] == 1000000000);
    p.gas_used = 30000000;
    f = header_next_base_fee(&c, &p);
    CHECK(f.w[0] == 1125000000);
    p.gas_used = 0;
    f = header_next_base_fee(&c, &p);
    CHECK(f.w[0] == 875000000);
    /* the increase is at least 1 */
    p.base_fee = u256_from_u64(7);
    p.gas_used = 15000001;
    f = header_next_base_fee(&c, &p);
    CHECK(f.w[0] == 8);
    /* no overflow in base_fee * gas delta */
    p.base_fee = (u256){{0, 0, 0, 1ULL << 60}};
    p.gas_used = 30000000;
    f = header_next_base_fee(&c, &p);
    CHECK(f.w[3] == (1ULL << 60) + (1ULL << 57) && f.w[0] == 0);
}

TEST(blob_gas) {
    static const blob_params cancun = {3, 6, 3338477}, prague = {6, 9, 5007716};
    block_header p = {0};
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_CANCUN, &cancun), 0); /* the fork block */
    p.has_blob_gas = true;
    p.blob_gas_used = 786432;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_CANCUN, &cancun), 393216);
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_PRAGUE, &prague), 0);
    p.excess_blob_gas = 1000000;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_PRAGUE, &prague), 1000000);
    p.blob_gas_used = 0;
    p.excess_blob_gas = 100;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_CANCUN, &cancun), 0);
    p.excess_blob_gas = UINT64_MAX;
    p.blob_gas_used = UINT64_MAX;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_CANCUN, &cancun), UINT64_MAX);
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_SHANGHAI, &cancun), 0);
    CHECK_EQ_U64(blob_params_max_gas(&cancun), 786432);
    CHECK_EQ_U64(blob_params_max_gas(&prague), 1179648);
}

/* ---- mainnet headers --------------------------------------------------- */

typedef struct {
    block_header h;
    u256 td;
    bool ok;
} mainnet_block;

static mainnet_block load_mainnet(const char *number) {
    mainnet_block m = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/mainnet/%s/block.json", test_fixtures_dir(), number);
    json_t *root = json_load_file(path, 0, NULL);
    uint8_t td[32];
    m.ok = root && header_from_json(root, &m.h) &&
           json_fixed2(root, "totalDifficulty", NULL, td, 32);
    if (m.ok) m.td = u256_from_be(td, 32);
    json_decref(root);
    return m;
}

TEST(mainnet_header_hashes_and_forks) {
    chain_config c = chain_config_mainnet();
    file_list files = fixture_files("mainnet");
    int n = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *slash = strrchr(files.v[i], '/');
        if (!slash || strcmp(slash, "/block.json")) continue;
        char num[32];
        const char *s = slash - 1;
        while (s > files.v[i] && s[-1] != '/') s--;
        snprintf(num, sizeof num, "%.*s", (int)(slash - s), s);
        mainnet_block m = load_mainnet(num);
        CHECK(m.ok);
        buf_t out = {0};
        header_encode(&m.h, &out);
        bytes32 h = keccak256_hash(out.data, out.len);
        if (!bytes32_eq(&h, &m.h.hash)) fprintf(stderr, "  mainnet %s: hash mismatch\n", num);
        CHECK(bytes32_eq(&h, &m.h.hash));
        block_header d;
        CHECK(header_decode(out.data, out.len, &d, NULL, 0) && bytes32_eq(&d.hash, &h));
        buf_free(&out);
        /* the Merge by number agrees with the Merge by total difficulty */
        u256 parent_td = u256_sub(&m.td, &m.h.difficulty);
        bool merged = !u256_lt(&parent_td, &c.terminal_total_difficulty);
        fork_id f = chain_fork_at(&c, m.h.number, m.h.timestamp, merged);
        CHECK_EQ_U64(f, chain_fork_at(&c, m.h.number, m.h.timestamp, false));
        CHECK_EQ_U64(m.h.has_base_fee, f >= FORK_LONDON);
        CHECK_EQ_U64(m.h.has_withdrawals_root, f >= FORK_SHANGHAI);
        CHECK_EQ_U64(m.h.has_blob_gas, f >= FORK_CANCUN);
        n++;
    }
    file_list_free(&files);
    CHECK(n >= 40);
    mainnet_block cancun = load_mainnet("19426587"); /* the first Cancun block */
    CHECK(cancun.ok && chain_fork_at(&c, cancun.h.number, cancun.h.timestamp, true) == FORK_CANCUN);
    CHECK(chain_fork_at(&c, cancun.h.number - 1, cancun.h.timestamp - 1, true) == FORK_SHANGHAI);
}

TEST(mainnet_consecutive_headers_validate) {
    chain_config c = chain_config_mainnet();
    static const char *const pairs[][2] = {{"7279999", "7280000"}, {"15537393", "15537394"}};
    for (size_t i = 0; i < 2; i++) {
        mainnet_block p = load_mainnet(pairs[i][0]), h = load_mainnet(pairs[i][1]);
        CHECK(p.ok && h.ok);
        bool merged = !u256_lt(&p.td, &c.terminal_total_difficulty);
        const char *why = header_validate(&c, &p.h, &h.h, merged);
        if (why) fprintf(stderr, "  mainnet %s: %s\n", pairs[i][1], why);
        CHECK(why == NULL);
        /* a wrong difficulty, a missing base fee, a late timestamp */
        block_header bad = h.h;
        bad.difficulty = u256_add(&bad.difficulty, &(u256){{1, 0, 0, 0}});
        CHECK(header_validate(&c, &p.h, &bad, merged) != NULL);
        bad = h.h;
        bad.timestamp = p.h.timestamp;
        CHECK(header_validate(&c, &p.h, &bad, merged) != NULL);
        bad = h.h;
        bad.has_base_fee = !bad.has_base_fee;
        CHECK(header_validate(&c, &p.h, &bad, merged) != NULL);
    }
    /* a clique chain's authorities choose the difficulty (not checked); its
     * blocks carry no ommers */
    mainnet_block p = load_mainnet("7279999"), h = load_mainnet("7280000");
    chain_config q = c;
    q.clique = true;
    block_header any = h.h;
    any.difficulty = u256_from_u64(2);
    CHECK(header_validate(&c, &p.h, &any, false) != NULL);
    CHECK(header_validate(&q, &p.h, &any, false) == NULL);
    any.difficulty = U256_ZERO;
    CHECK(header_validate(&q, &p.h, &any, false) == NULL);
    any.ommers_hash = p.h.hash;
    const char *why = header_validate(&q, &p.h, &any, false);
    CHECK(why && strstr(why, "clique"));
    /* the terminal PoW block: its parent is below the terminal difficulty */
    mainnet_block t = load_mainnet("15537393");
    u256 parent_td = u256_sub(&t.td, &t.h.difficulty);
    CHECK(u256_lt(&parent_td, &c.terminal_total_difficulty) &&
          !u256_lt(&t.td, &c.terminal_total_difficulty));
}
