/* Unit tests for the chain configuration of Prague, Osaka and the BPO forks:
 * geth's genesis "config" JSON (mainnet's schedule, every field, and bad
 * input), unscheduled forks at far-future numbers and timestamps, the
 * EIP-7840 blob schedule per fork and network, the blob base fee (exact and
 * saturating), the excess blob gas with the EIP-7918 reserve price, and the
 * EIP-7934 block size limit. */
#include <jansson.h>
#include "parevm/block.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "test.h"

/* ---- config JSON ------------------------------------------------------- */

/* geth's MainnetChainConfig as a genesis file writes it (the terminal total
 * difficulty as a string: 5.875e22 is past what JSON parsers take as an
 * integer). */
static const char MAINNET_JSON[] =
    "{\"chainId\": 1, \"homesteadBlock\": 1150000, \"daoForkBlock\": 1920000, \"daoForkSupport\": true,"
    " \"eip150Block\": 2463000, \"eip155Block\": 2675000, \"eip158Block\": 2675000,"
    " \"byzantiumBlock\": 4370000, \"constantinopleBlock\": 7280000, \"petersburgBlock\": 7280000,"
    " \"istanbulBlock\": 9069000, \"muirGlacierBlock\": 9200000, \"berlinBlock\": 12244000,"
    " \"londonBlock\": 12965000, \"arrowGlacierBlock\": 13773000, \"grayGlacierBlock\": 15050000,"
    " \"terminalTotalDifficulty\": \"58750000000000000000000\","
    " \"shanghaiTime\": 1681338455, \"cancunTime\": 1710338135, \"pragueTime\": 1746612311,"
    " \"osakaTime\": 1764798551, \"bpo1Time\": 1765290071, \"bpo2Time\": 1767747671,"
    " \"depositContractAddress\": \"0x00000000219ab540356cbb839cbe05303d7705fa\", \"ethash\": {},"
    " \"blobSchedule\": {"
    "   \"cancun\": {\"target\": 3, \"max\": 6, \"baseFeeUpdateFraction\": 3338477},"
    "   \"prague\": {\"target\": 6, \"max\": 9, \"baseFeeUpdateFraction\": 5007716},"
    "   \"bpo1\": {\"target\": 10, \"max\": 15, \"baseFeeUpdateFraction\": 8346193},"
    "   \"bpo2\": {\"target\": 14, \"max\": 21, \"baseFeeUpdateFraction\": 11684671}}}";

static bool from_text(const char *text, chain_config *c, char *err, size_t errlen) {
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        fprintf(stderr, "  bad test JSON: %s\n", je.text);
        abort();
    }
    bool ok = chain_config_from_json(j, c, err, errlen);
    json_decref(j);
    return ok;
}

static bool same_forks(const chain_config *a, const chain_config *b) {
    const uint64_t x[] = {a->homestead, a->dao, a->tangerine_whistle, a->spurious_dragon, a->byzantium,
                          a->constantinople, a->petersburg, a->istanbul, a->muir_glacier, a->berlin,
                          a->london, a->arrow_glacier, a->gray_glacier, a->shanghai_time, a->cancun_time,
                          a->prague_time, a->osaka_time, a->bpo_time[0], a->bpo_time[1], a->bpo_time[2],
                          a->bpo_time[3], a->bpo_time[4]};
    const uint64_t y[] = {b->homestead, b->dao, b->tangerine_whistle, b->spurious_dragon, b->byzantium,
                          b->constantinople, b->petersburg, b->istanbul, b->muir_glacier, b->berlin,
                          b->london, b->arrow_glacier, b->gray_glacier, b->shanghai_time, b->cancun_time,
                          b->prague_time, b->osaka_time, b->bpo_time[0], b->bpo_time[1], b->bpo_time[2],
                          b->bpo_time[3], b->bpo_time[4]};
    return !memcmp(x, y, sizeof x) && a->chain_id == b->chain_id && a->has_ttd == b->has_ttd &&
           u256_eq(&a->terminal_total_difficulty, &b->terminal_total_difficulty) &&
           !memcmp(a->blob_schedule, b->blob_schedule, sizeof a->blob_schedule) &&
           address_eq(&a->deposit_contract, &b->deposit_contract);
}

TEST(config_json_mainnet) {
    chain_config c, m = chain_config_mainnet();
    char err[200] = "";
    CHECK(from_text(MAINNET_JSON, &c, err, sizeof err));
    if (err[0]) fprintf(stderr, "  %s\n", err);
    CHECK(same_forks(&c, &m));
    /* the built-in one also knows the Merge's block number */
    CHECK_EQ_U64(c.paris_block, CHAIN_NEVER);
    CHECK_EQ_U64(m.paris_block, 15537394);
    CHECK_EQ_U64(c.bpo_time[2], CHAIN_NEVER);
    /* forks by number and time agree with the built-in schedule */
    static const uint64_t times[] = {1681338455, 1710338135, 1746612311, 1764798551, 1765290071, 1767747671};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        for (int d = -1; d <= 0; d++) {
            uint64_t t = times[i] + (uint64_t)d;
            CHECK_EQ_U64(chain_fork_at(&c, 20000000, t, true), chain_fork_at(&m, 20000000, t, true));
            blob_params a = chain_blob_params(&c, t), b = chain_blob_params(&m, t);
            CHECK(!memcmp(&a, &b, sizeof a));
        }
}

TEST(config_json_fields) {
    chain_config c;
    char err[200];
    /* a post-Merge devnet: numbers as strings too, TTD 0 merges at genesis */
    CHECK(from_text("{\"chainId\": \"0x539\", \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip155Block\": 0,"
                    " \"eip158Block\": \"0\", \"byzantiumBlock\": 0, \"constantinopleBlock\": 0,"
                    " \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
                    " \"mergeNetsplitBlock\": 0, \"terminalTotalDifficulty\": 0, \"shanghaiTime\": 0,"
                    " \"cancunTime\": 0, \"pragueTime\": 0, \"osakaTime\": 100, \"bpo1Time\": 200,"
                    " \"depositContractAddress\": \"0x4242424242424242424242424242424242424242\","
                    " \"blobSchedule\": {\"Osaka\": {\"target\": \"0x7\", \"max\": \"0xa\","
                    "  \"baseFeeUpdateFraction\": \"5007716\"}, \"BPO1\": {\"target\": 20, \"max\": 30,"
                    "  \"baseFeeUpdateFraction\": 9000000}, \"amsterdam\": {\"target\": 1}}}",
                    &c, err, sizeof err));
    CHECK_EQ_U64(c.chain_id, 1337);
    CHECK(c.petersburg == 0 && c.dao == CHAIN_NEVER && c.muir_glacier == CHAIN_NEVER);
    CHECK(c.has_ttd && u256_is_zero(&c.terminal_total_difficulty) && c.paris_block == 0);
    CHECK_EQ_U64(chain_fork_at(&c, 1, 99, false), FORK_PRAGUE);
    CHECK_EQ_U64(chain_fork_at(&c, 1, 100, false), FORK_OSAKA);
    CHECK_EQ_U64(chain_fork_at(&c, 1, 300, false), FORK_OSAKA);
    blob_params p = chain_blob_params(&c, 50);
    CHECK(p.target == 6 && p.max == 9 && p.update_fraction == 5007716); /* Prague's default */
    p = chain_blob_params(&c, 150);
    CHECK(p.target == 7 && p.max == 10); /* the Osaka entry */
    p = chain_blob_params(&c, 250);
    CHECK(p.target == 20 && p.max == 30 && p.update_fraction == 9000000);
    CHECK(c.deposit_contract.b[0] == 0x42 && c.deposit_contract.b[19] == 0x42);
    /* a TTD past 2^64 as a hex string; Constantinople without Petersburg
     * keeps Petersburg with it; daoForkSupport false keeps the block, opposed */
    CHECK(from_text("{\"chainId\": 5, \"homesteadBlock\": 0, \"daoForkBlock\": 3, \"daoForkSupport\": false,"
                    " \"eip150Block\": 5, \"eip158Block\": 5, \"byzantiumBlock\": 5,"
                    " \"constantinopleBlock\": 10, \"terminalTotalDifficulty\": \"0x10000000000000000\"}",
                    &c, err, sizeof err));
    CHECK(c.petersburg == 10 && c.dao == 3 && c.dao_opposed && c.istanbul == CHAIN_NEVER);
    CHECK(!chain_block_rules(&c, &(block_header){.number = 3}, false).dao_fork);
    CHECK(c.terminal_total_difficulty.w[1] == 1 && c.terminal_total_difficulty.w[0] == 0);
    CHECK(c.paris_block == CHAIN_NEVER);
    /* an empty config: chain id only, nothing scheduled */
    CHECK(from_text("{\"chainId\": 7}", &c, err, sizeof err));
    CHECK_EQ_U64(chain_fork_at(&c, UINT64_MAX, UINT64_MAX, true), FORK_FRONTIER);
}

TEST(config_json_bad_input) {
    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"[]", "not a JSON object"},
        {"{}", "chainId is missing"},
        {"{\"chainId\": -1}", "chainId is negative"},
        {"{\"chainId\": 1.5}", "chainId is not"},
        {"{\"chainId\": true}", "chainId is not"},
        {"{\"chainId\": \"12x\"}", "chainId is not"},
        {"{\"chainId\": \"\"}", "chainId is not"},
        {"{\"chainId\": \"0x\"}", "chainId is not"},
        {"{\"chainId\": \" 1\"}", "chainId is not"},
        {"{\"chainId\": \"-1\"}", "chainId is not"},
        {"{\"chainId\": \"18446744073709551616\"}", "above 2^64 - 1"},
        {"{\"chainId\": 1, \"homesteadBlock\": {}}", "homesteadBlock is not"},
        {"{\"chainId\": 1, \"homesteadBlock\": \"18446744073709551615\"}", "reserves"},
        {"{\"chainId\": 1, \"eip150Block\": 5}", "eip150Block is set but homesteadBlock is not"},
        {"{\"chainId\": 1, \"homesteadBlock\": 9, \"eip150Block\": 5}", "before homesteadBlock"},
        {"{\"chainId\": 1, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip155Block\": 1, \"eip158Block\": 2}",
         "differ"},
        {"{\"chainId\": 1, \"shanghaiTime\": 0}", "shanghaiTime is set but londonBlock is not"},
        {"{\"chainId\": 1, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip158Block\": 0, \"byzantiumBlock\": 0,"
         " \"constantinopleBlock\": 0, \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
         " \"shanghaiTime\": 0, \"pragueTime\": 5}",
         "pragueTime is set but cancunTime is not"},
        {"{\"chainId\": 1, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip158Block\": 0, \"byzantiumBlock\": 0,"
         " \"constantinopleBlock\": 0, \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
         " \"shanghaiTime\": 10, \"cancunTime\": 5}",
         "cancunTime (5) is before shanghaiTime (10)"},
        {"{\"chainId\": 1, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip158Block\": 0, \"byzantiumBlock\": 0,"
         " \"constantinopleBlock\": 0, \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
         " \"shanghaiTime\": 0, \"cancunTime\": 0, \"pragueTime\": 0, \"bpo1Time\": 0}",
         "bpo1Time is set but osakaTime is not"},
        {"{\"chainId\": 1, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip158Block\": 0, \"byzantiumBlock\": 0,"
         " \"constantinopleBlock\": 0, \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
         " \"shanghaiTime\": 0, \"cancunTime\": 0, \"pragueTime\": 0, \"osakaTime\": 0, \"bpo2Time\": 9}",
         "no bpo2 entry"},
        {"{\"chainId\": 1, \"daoForkSupport\": 1}", "daoForkSupport is not a boolean"},
        {"{\"chainId\": 1, \"terminalTotalDifficulty\": 5.875e22}", "not an exact integer"},
        {"{\"chainId\": 1, \"terminalTotalDifficulty\": \"0x1" "0000000000000000000000000000000000000000000000000000000000000000\"}",
         "terminalTotalDifficulty is not"},
        {"{\"chainId\": 1, \"depositContractAddress\": \"0x1234\"}", "depositContractAddress"},
        {"{\"chainId\": 1, \"depositContractAddress\": \"0x00000000219ab540356cbb839cbe05303d7705fg\"}",
         "depositContractAddress"},
        {"{\"chainId\": 1, \"depositContractAddress\": 5}", "depositContractAddress"},
        {"{\"chainId\": 1, \"blobSchedule\": []}", "blobSchedule is not an object"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"cancun\": 3}}", "blobSchedule.cancun is not an object"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"prague\": {\"target\": 6, \"max\": 9}}}",
         "blobSchedule.prague.baseFeeUpdateFraction is missing"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"bpo3\": {\"target\": 10, \"max\": 9, \"baseFeeUpdateFraction\": 1}}}",
         "target is above its max"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"bpo3\": {\"target\": 1, \"max\": 9, \"baseFeeUpdateFraction\": 0}}}",
         "baseFeeUpdateFraction is 0"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"bpo3\": {\"target\": 1, \"max\": 4294967296, "
         "\"baseFeeUpdateFraction\": 1}}}",
         "max is above"},
        {"{\"chainId\": 1, \"blobSchedule\": {\"osaka\": {\"target\": \"six\", \"max\": 9, "
         "\"baseFeeUpdateFraction\": 1}}}",
         "blobSchedule.osaka.target is not"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        chain_config c;
        memset(&c, 0x5a, sizeof c);
        char err[200] = "";
        bool ok = from_text(bad[i].json, &c, err, sizeof err);
        if (ok || !strstr(err, bad[i].needle))
            fprintf(stderr, "  %s: %s (want \"%s\")\n", bad[i].json, ok ? "accepted" : err, bad[i].needle);
        CHECK(!ok && strstr(err, bad[i].needle));
        CHECK(c.chain_id == 0x5a5a5a5a5a5a5a5aULL); /* out untouched */
    }
    /* a failing blob schedule leaves the configuration as it was */
    chain_config c = chain_config_mainnet(), before = c;
    json_t *j = json_loads("{\"cancun\": {\"target\": 1, \"max\": 2, \"baseFeeUpdateFraction\": 3},"
                           " \"prague\": {\"target\": 1}}", 0, NULL);
    char err[200];
    CHECK(j && !chain_blob_schedule_from_json(j, &c, err, sizeof err));
    CHECK(!memcmp(&c, &before, sizeof c));
    json_decref(j);
}

/* ---- far-future numbers and timestamps ---------------------------------- */

/* geth's CheckCompatible: forks that neither configuration reached at the
 * head may move (and their blob parameters change); anything reached, or
 * any other field, may not. */
TEST(config_compatible_at_head) {
    chain_config m = chain_config_mainnet(), c;
    uint64_t head = 20000000, t = 1750000000; /* after Prague, before Osaka */
    CHECK(chain_config_compatible(&m, &m, head, t));
    c = m;
    c.osaka_time += 100;
    c.bpo_time[0] = CHAIN_NEVER;
    c.blob_schedule[CHAIN_BLOB_BPO1].max += 1;
    CHECK(chain_config_compatible(&m, &c, head, t));
    c = m;
    c.osaka_time = t; /* moved to a time reached */
    CHECK(!chain_config_compatible(&m, &c, head, t));
    c = m;
    c.prague_time += 1; /* a fork reached, moved */
    CHECK(!chain_config_compatible(&m, &c, head, t));
    c = m;
    c.blob_schedule[CHAIN_BLOB_PRAGUE].max += 1; /* a reached fork's blob parameters */
    CHECK(!chain_config_compatible(&m, &c, head, t));
    c = m;
    c.london = head + 1; /* a block fork reached, put after the head */
    CHECK(!chain_config_compatible(&m, &c, head, t));
    c = m;
    c.chain_id = 2;
    CHECK(!chain_config_compatible(&m, &c, head, t));
    /* at genesis every later fork may move */
    c = m;
    c.homestead = 2;
    c.shanghai_time = 5;
    CHECK(chain_config_compatible(&m, &c, 0, 0));
    CHECK(!chain_config_compatible(&m, &c, 2, 0));
}

TEST(unscheduled_forks_are_never_reached) {
    chain_config c;
    static const struct {
        const char *net;
        fork_id fork;
    } nets[] = {{"Frontier", FORK_FRONTIER}, {"London", FORK_LONDON}, {"Paris", FORK_PARIS},
                {"Shanghai", FORK_SHANGHAI}, {"Cancun", FORK_CANCUN}, {"Prague", FORK_PRAGUE}};
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        CHECK(chain_config_by_name(nets[i].net, &c));
        CHECK_EQ_U64(chain_fork_at(&c, UINT64_MAX, UINT64_MAX, nets[i].fork >= FORK_PARIS), nets[i].fork);
        CHECK(!chain_reached(c.bpo_time[4], UINT64_MAX) && chain_reached(0, UINT64_MAX));
    }
    /* a Cancun block at timestamp 2^64 - 1 keeps Cancun's header rules */
    CHECK(chain_config_by_name("Cancun", &c));
    block_header p = {0}, h;
    p.number = 10;
    p.timestamp = 1000;
    p.gas_limit = h.gas_limit = 30000000;
    p.has_base_fee = p.has_withdrawals_root = p.has_blob_gas = p.has_beacon_root = true;
    p.base_fee = u256_from_u64(7);
    p.ommers_hash = EMPTY_LIST_HASH;
    memset(p.hash.b, 0x33, 32);
    h = p;
    h.number = 11;
    h.timestamp = UINT64_MAX;
    h.parent_hash = p.hash;
    h.base_fee = header_next_base_fee(&c, &p);
    CHECK(header_validate(&c, &p, &h, true) == NULL);
    h.has_requests_hash = true;
    CHECK(header_validate(&c, &p, &h, true) != NULL);
    block_rules r = chain_block_rules(&c, &h, true);
    CHECK(r.fork == FORK_CANCUN && r.blob.max == 6);
    /* no DAO change on the last possible block of a network without it */
    h.number = UINT64_MAX;
    r = chain_block_rules(&c, &h, true);
    CHECK(!r.dao_fork);
    /* mainnet at the end of time: BPO2's parameters */
    c = chain_config_mainnet();
    CHECK_EQ_U64(chain_fork_at(&c, UINT64_MAX, UINT64_MAX, true), FORK_OSAKA);
    blob_params b = chain_blob_params(&c, UINT64_MAX);
    CHECK(b.target == 14 && b.max == 21 && b.update_fraction == 11684671);
}

/* ---- blob schedule ---------------------------------------------------------- */

TEST(blob_schedule_per_fork) {
    static const struct {
        const char *net;
        uint64_t target, max, fraction;
    } n[] = {
        {"Cancun", 3, 6, 3338477},  {"Prague", 6, 9, 5007716},   {"Osaka", 6, 9, 5007716},
        {"BPO1", 10, 15, 8346193},  {"BPO2", 14, 21, 11684671},  {"BPO3", 21, 32, 20609697},
        {"BPO4", 14, 21, 13739630}, {"BPO5", 14, 21, 13739630},
    };
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        chain_config c;
        CHECK(chain_config_by_name(n[i].net, &c));
        blob_params p = chain_blob_params(&c, 12345);
        CHECK(p.target == n[i].target && p.max == n[i].max && p.update_fraction == n[i].fraction);
    }
    static const struct {
        const char *net;
        uint64_t before, after; /* max blobs */
    } t[] = {
        {"ShanghaiToCancunAtTime15k", 0, 6}, {"CancunToPragueAtTime15k", 6, 9}, {"PragueToOsakaAtTime15k", 9, 9},
        {"OsakaToBPO1AtTime15k", 9, 15},     {"BPO1ToBPO2AtTime15k", 15, 21},   {"BPO2ToBPO3AtTime15k", 21, 32},
        {"BPO3ToBPO4AtTime15k", 32, 21},     {"BPO4ToBPO5AtTime15k", 21, 21},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        chain_config c;
        CHECK(chain_config_by_name(t[i].net, &c));
        blob_params a = chain_blob_params(&c, 14999), b = chain_blob_params(&c, 15000);
        CHECK_EQ_U64(a.max, t[i].before);
        CHECK_EQ_U64(b.max, t[i].after);
    }
    /* mainnet's boundaries */
    chain_config m = chain_config_mainnet();
    CHECK_EQ_U64(chain_blob_params(&m, 1710338134).max, 0);
    CHECK_EQ_U64(chain_blob_params(&m, 1710338135).max, 6);
    CHECK_EQ_U64(chain_blob_params(&m, 1746612311).max, 9);
    CHECK_EQ_U64(chain_blob_params(&m, 1764798551).max, 9);
    CHECK_EQ_U64(chain_blob_params(&m, 1765290071).max, 15);
    CHECK_EQ_U64(chain_blob_params(&m, 1767747670).max, 15);
    CHECK_EQ_U64(chain_blob_params(&m, 1767747671).max, 21);
    /* a BPO entry missing from the schedule keeps the previous one */
    CHECK(chain_config_by_name("BPO2", &m));
    m.blob_schedule[CHAIN_BLOB_BPO1 + 1].update_fraction = 0;
    CHECK_EQ_U64(chain_blob_params(&m, 0).max, 15);
}

TEST(blob_base_fee_values) {
    /* fake_exponential(1, excess, fraction), worked out with exact integers */
    static const struct {
        uint64_t excess, fraction, want;
    } v[] = {
        {0, 3338477, 1},        {33384770, 3338477, 0x560a}, {50000000, 5007716, 0x54b9},
        {50000000, 8346193, 0x18f},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        u256 f = blob_base_fee(v[i].excess, v[i].fraction);
        CHECK(u256_fits_u64(&f) && f.w[0] == v[i].want);
    }
    /* e^177: all 256 bits, exactly */
    u256 f = blob_base_fee(177 * 3338477ULL, 3338477), want;
    bytes32 b;
    CHECK(hex_to_fixed("a3f09605ad675c8eedbed5b070355a3f671691a4cfe68384dfaf98762032c6d0", b.b, 32));
    want = u256_from_bytes32(&b);
    CHECK(u256_eq(&f, &want));
    /* past 2^256 - 1 it saturates, at once and without a long loop */
    u256 max = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    f = blob_base_fee(178 * 3338477ULL - 1, 3338477);
    CHECK(u256_eq(&f, &max));
    f = blob_base_fee(UINT64_MAX, 3338477);
    CHECK(u256_eq(&f, &max));
    f = blob_base_fee(UINT64_MAX, 1);
    CHECK(u256_eq(&f, &max));
}

/* ---- EIP-7918 ------------------------------------------------------------------ */

TEST(excess_blob_gas_with_reserve_price) {
    static const blob_params osaka = {6, 9, 5007716}, bpo1 = {10, 15, 8346193};
    block_header p = {0};
    p.has_blob_gas = true;
    p.blob_gas_used = 6 * 131072; /* at target */
    p.excess_blob_gas = 0;
    /* blob price at excess 0: 131072 * 1 wei; reserve: 8192 * base fee */
    p.base_fee = u256_from_u64(16); /* 131072: equal, the reserve does not bind */
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &osaka), 0);
    p.base_fee = u256_from_u64(17); /* above: used gas * (9 - 6) / 9 is added */
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &osaka), 262144);
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_PRAGUE, &osaka), 0); /* not before Osaka */
    /* below the target the excess is 0 whatever the base fee */
    p.blob_gas_used = 5 * 131072;
    p.base_fee = u256_from_u64(1000000000);
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &osaka), 0);
    /* BPO1: 15 blobs used on top of an excess whose price is still low */
    p.blob_gas_used = 15 * 131072;
    p.excess_blob_gas = 10000000;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &bpo1), 10000000 + 15 * 131072 * 5 / 15);
    /* ... and once the blob price is above the reserve: plain EIP-4844 */
    p.excess_blob_gas = 200000000; /* blob base fee e^24: far above 8192 gwei / 131072 */
    u256 fee = blob_base_fee(200000000, 8346193);
    CHECK(fee.w[0] > 1000000000ULL);
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &bpo1), 200000000 + 15 * 131072 - 10 * 131072);
    /* a huge parent base fee and excess do not overflow */
    p.base_fee = (u256){{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
    p.excess_blob_gas = UINT64_MAX;
    p.blob_gas_used = UINT64_MAX;
    CHECK_EQ_U64(header_next_excess_blob_gas(&p, FORK_OSAKA, &bpo1), UINT64_MAX);

    /* header validation applies the schedule of the child's timestamp */
    chain_config c;
    CHECK(chain_config_by_name("OsakaToBPO1AtTime15k", &c));
    block_header parent = {0}, h;
    parent.number = 1;
    parent.timestamp = 14990;
    parent.gas_limit = 30000000;
    parent.has_base_fee = parent.has_withdrawals_root = parent.has_blob_gas = parent.has_beacon_root = true;
    parent.has_requests_hash = true;
    parent.base_fee = u256_from_u64(1000);
    parent.blob_gas_used = 9 * 131072;
    parent.ommers_hash = EMPTY_LIST_HASH;
    memset(parent.hash.b, 0x21, 32);
    h = parent;
    h.number = 2;
    h.parent_hash = parent.hash;
    h.base_fee = header_next_base_fee(&c, &parent);
    h.blob_gas_used = 0;
    h.timestamp = 14999; /* Osaka: 9 blobs is 3 over the target, reserve binds */
    h.excess_blob_gas = 9 * 131072 * 3 / 9;
    CHECK(header_validate(&c, &parent, &h, true) == NULL);
    h.timestamp = 15000; /* BPO1: 9 blobs is under the target of 10 */
    CHECK(header_validate(&c, &parent, &h, true) != NULL);
    h.excess_blob_gas = 0;
    CHECK(header_validate(&c, &parent, &h, true) == NULL);
    h.blob_gas_used = 15 * 131072; /* BPO1 allows 15 */
    CHECK(header_validate(&c, &parent, &h, true) == NULL);
    h.blob_gas_used = 16 * 131072;
    CHECK(header_validate(&c, &parent, &h, true) != NULL);
    h.timestamp = 14999;
    h.blob_gas_used = 10 * 131072; /* Osaka allows 9 */
    h.excess_blob_gas = 9 * 131072 * 3 / 9;
    CHECK(header_validate(&c, &parent, &h, true) != NULL);
}

/* ---- EIP-7934 ------------------------------------------------------------------- */

TEST(block_size_limit) {
    CHECK_EQ_U64(CHAIN_MAX_RLP_BLOCK_SIZE, 8388608);
    CHECK(chain_check_block_size(FORK_OSAKA, 8388608) == NULL);
    CHECK(chain_check_block_size(FORK_OSAKA, 8388609) != NULL);
    CHECK(chain_check_block_size(FORK_PRAGUE, 50000000) == NULL);
}
