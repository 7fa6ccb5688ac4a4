/* Chain configurations: the mainnet fork schedule, the networks that the
 * ethereum/tests fixtures name (same meaning as geth's tests/init.go Forks
 * map), and the mapping from a block's number and timestamp to the rules in
 * force. */
#include <stddef.h>
#include <strings.h>
#include "parevm/chain.h"

/* The scheduled upgrades of chain_config, in activation order. */
typedef enum {
    UP_HOMESTEAD,
    UP_TANGERINE_WHISTLE,
    UP_SPURIOUS_DRAGON,
    UP_BYZANTIUM,
    UP_CONSTANTINOPLE,
    UP_PETERSBURG,
    UP_ISTANBUL,
    UP_MUIR_GLACIER,
    UP_BERLIN,
    UP_LONDON,
    UP_ARROW_GLACIER,
    UP_GRAY_GLACIER,
    UP_PARIS,
    UP_SHANGHAI,
    UP_CANCUN,
    UP_PRAGUE,
    UP_OSAKA,
    UP_BPO1,
    UP_BPO2,
    UP_BPO3,
    UP_BPO4,
    UP_BPO5,
    UP_DAO,  /* never part of a single-fork network: only scheduled explicitly */
    UP_NONE = -1,
} upgrade;

/* Where each upgrade's activation point lives in chain_config. Paris is
 * special-cased (block number or total difficulty). */
static const size_t upgrade_field[] = {
    [UP_HOMESTEAD] = offsetof(chain_config, homestead),
    [UP_TANGERINE_WHISTLE] = offsetof(chain_config, tangerine_whistle),
    [UP_SPURIOUS_DRAGON] = offsetof(chain_config, spurious_dragon),
    [UP_BYZANTIUM] = offsetof(chain_config, byzantium),
    [UP_CONSTANTINOPLE] = offsetof(chain_config, constantinople),
    [UP_PETERSBURG] = offsetof(chain_config, petersburg),
    [UP_ISTANBUL] = offsetof(chain_config, istanbul),
    [UP_MUIR_GLACIER] = offsetof(chain_config, muir_glacier),
    [UP_BERLIN] = offsetof(chain_config, berlin),
    [UP_LONDON] = offsetof(chain_config, london),
    [UP_ARROW_GLACIER] = offsetof(chain_config, arrow_glacier),
    [UP_GRAY_GLACIER] = offsetof(chain_config, gray_glacier),
    [UP_PARIS] = offsetof(chain_config, paris_block),
    [UP_SHANGHAI] = offsetof(chain_config, shanghai_time),
    [UP_CANCUN] = offsetof(chain_config, cancun_time),
    [UP_PRAGUE] = offsetof(chain_config, prague_time),
    [UP_OSAKA] = offsetof(chain_config, osaka_time),
    [UP_BPO1] = offsetof(chain_config, bpo_time[0]),
    [UP_BPO2] = offsetof(chain_config, bpo_time[1]),
    [UP_BPO3] = offsetof(chain_config, bpo_time[2]),
    [UP_BPO4] = offsetof(chain_config, bpo_time[3]),
    [UP_BPO5] = offsetof(chain_config, bpo_time[4]),
    [UP_DAO] = offsetof(chain_config, dao),
};

/* A fixture network: every upgrade up to and including `upto` active at
 * genesis, then upgrades first..last at `at` (a block number, a timestamp
 * for Shanghai on, or the terminal total difficulty for Paris). */
typedef struct {
    const char *name;
    int8_t upto, first, last;
    uint64_t at;
} network;

static const network networks[] = {
    {"Frontier", UP_NONE, UP_NONE, UP_NONE, 0},
    {"Homestead", UP_HOMESTEAD, UP_NONE, UP_NONE, 0},
    {"EIP150", UP_TANGERINE_WHISTLE, UP_NONE, UP_NONE, 0},
    {"TangerineWhistle", UP_TANGERINE_WHISTLE, UP_NONE, UP_NONE, 0},
    {"EIP158", UP_SPURIOUS_DRAGON, UP_NONE, UP_NONE, 0},
    {"SpuriousDragon", UP_SPURIOUS_DRAGON, UP_NONE, UP_NONE, 0},
    {"Byzantium", UP_BYZANTIUM, UP_NONE, UP_NONE, 0},
    {"Constantinople", UP_CONSTANTINOPLE, UP_NONE, UP_NONE, 0},
    {"ConstantinopleFix", UP_PETERSBURG, UP_NONE, UP_NONE, 0},
    {"Petersburg", UP_PETERSBURG, UP_NONE, UP_NONE, 0},
    {"Istanbul", UP_ISTANBUL, UP_NONE, UP_NONE, 0},
    {"MuirGlacier", UP_MUIR_GLACIER, UP_NONE, UP_NONE, 0},
    {"Berlin", UP_BERLIN, UP_NONE, UP_NONE, 0},
    {"London", UP_LONDON, UP_NONE, UP_NONE, 0},
    {"ArrowGlacier", UP_ARROW_GLACIER, UP_NONE, UP_NONE, 0},
    {"GrayGlacier", UP_GRAY_GLACIER, UP_NONE, UP_NONE, 0},
    {"Merge", UP_PARIS, UP_NONE, UP_NONE, 0},
    {"Paris", UP_PARIS, UP_NONE, UP_NONE, 0},
    {"Shanghai", UP_SHANGHAI, UP_NONE, UP_NONE, 0},
    {"Cancun", UP_CANCUN, UP_NONE, UP_NONE, 0},
    {"Prague", UP_PRAGUE, UP_NONE, UP_NONE, 0},
    {"Osaka", UP_OSAKA, UP_NONE, UP_NONE, 0},
    {"BPO1", UP_BPO1, UP_NONE, UP_NONE, 0},
    {"BPO2", UP_BPO2, UP_NONE, UP_NONE, 0},
    {"BPO3", UP_BPO3, UP_NONE, UP_NONE, 0},
    {"BPO4", UP_BPO4, UP_NONE, UP_NONE, 0},
    {"BPO5", UP_BPO5, UP_NONE, UP_NONE, 0},
    {"FrontierToHomesteadAt5", UP_NONE, UP_HOMESTEAD, UP_HOMESTEAD, 5},
    {"HomesteadToEIP150At5", UP_HOMESTEAD, UP_TANGERINE_WHISTLE, UP_TANGERINE_WHISTLE, 5},
    {"HomesteadToDaoAt5", UP_HOMESTEAD, UP_DAO, UP_DAO, 5},
    {"EIP158ToByzantiumAt5", UP_SPURIOUS_DRAGON, UP_BYZANTIUM, UP_BYZANTIUM, 5},
    {"ByzantiumToConstantinopleAt5", UP_BYZANTIUM, UP_CONSTANTINOPLE, UP_CONSTANTINOPLE, 5},
    {"ByzantiumToConstantinopleFixAt5", UP_BYZANTIUM, UP_CONSTANTINOPLE, UP_PETERSBURG, 5},
    {"ConstantinopleFixToIstanbulAt5", UP_PETERSBURG, UP_ISTANBUL, UP_ISTANBUL, 5},
    {"BerlinToLondonAt5", UP_BERLIN, UP_LONDON, UP_LONDON, 5},
    {"ArrowGlacierToParisAtDiffC0000", UP_GRAY_GLACIER, UP_PARIS, UP_PARIS, 0xC0000},
    {"ArrowGlacierToMergeAtDiffC0000", UP_GRAY_GLACIER, UP_PARIS, UP_PARIS, 0xC0000},
    {"ParisToShanghaiAtTime15k", UP_PARIS, UP_SHANGHAI, UP_SHANGHAI, 15000},
    {"MergeToShanghaiAtTime15k", UP_PARIS, UP_SHANGHAI, UP_SHANGHAI, 15000},
    {"ShanghaiToCancunAtTime15k", UP_SHANGHAI, UP_CANCUN, UP_CANCUN, 15000},
    {"CancunToPragueAtTime15k", UP_CANCUN, UP_PRAGUE, UP_PRAGUE, 15000},
    {"PragueToOsakaAtTime15k", UP_PRAGUE, UP_OSAKA, UP_OSAKA, 15000},
    {"OsakaToBPO1AtTime15k", UP_OSAKA, UP_BPO1, UP_BPO1, 15000},
    {"BPO1ToBPO2AtTime15k", UP_BPO1, UP_BPO2, UP_BPO2, 15000},
    {"BPO2ToBPO3AtTime15k", UP_BPO2, UP_BPO3, UP_BPO3, 15000},
    {"BPO3ToBPO4AtTime15k", UP_BPO3, UP_BPO4, UP_BPO4, 15000},
    {"BPO4ToBPO5AtTime15k", UP_BPO4, UP_BPO5, UP_BPO5, 15000},
};

/* EIP-7840 blob parameters: Cancun (EIP-4844), Prague (EIP-7691), and the
 * BPO forks as mainnet (BPO1, BPO2) and the execution-spec-tests (BPO3 on,
 * BPO5 repeating BPO4) define them. */
static const blob_params BLOB_CANCUN = {3, 6, 3338477};
static const blob_params BLOB_PRAGUE = {6, 9, 5007716};
static const blob_params BLOB_BPO[5] = {
    {10, 15, 8346193}, {14, 21, 11684671}, {21, 32, 20609697}, {14, 21, 13739630}, {14, 21, 13739630},
};

/* EIP-6110: mainnet's deposit contract, 0x00000000219ab540356cbb839cbe05303d7705fa. */
static const address MAINNET_DEPOSIT_CONTRACT = {{0x00, 0x00, 0x00, 0x00, 0x21, 0x9a, 0xb5, 0x40, 0x35, 0x6c,
                                                  0xbb, 0x83, 0x9c, 0xbe, 0x05, 0x30, 0x3d, 0x77, 0x05, 0xfa}};

static void set_upgrade(chain_config *c, upgrade u, uint64_t at) {
    *(uint64_t *)((char *)c + upgrade_field[u]) = at;
}

static chain_config unscheduled(void) {
    chain_config c;
    memset(&c, 0, sizeof c);
    c.chain_id = 1;
    for (int u = UP_HOMESTEAD; u <= UP_DAO; u++) set_upgrade(&c, (upgrade)u, CHAIN_NEVER);
    c.merge_netsplit = CHAIN_NEVER;
    c.blob_schedule[CHAIN_BLOB_CANCUN] = BLOB_CANCUN;
    c.blob_schedule[CHAIN_BLOB_PRAGUE] = BLOB_PRAGUE;
    c.deposit_contract = MAINNET_DEPOSIT_CONTRACT;
    return c;
}

chain_config chain_config_mainnet(void) {
    chain_config c = unscheduled();
    c.homestead = 1150000;
    c.dao = 1920000;
    c.tangerine_whistle = 2463000;
    c.spurious_dragon = 2675000;
    c.byzantium = 4370000;
    c.constantinople = 7280000;
    c.petersburg = 7280000;
    c.istanbul = 9069000;
    c.muir_glacier = 9200000;
    c.berlin = 12244000;
    c.london = 12965000;
    c.arrow_glacier = 13773000;
    c.gray_glacier = 15050000;
    /* 58,750,000,000,000,000,000,000 = 0xc70d808a128d7380000 */
    c.has_ttd = true;
    c.terminal_total_difficulty = (u256){{0xd808a128d7380000ULL, 0xc70, 0, 0}};
    c.paris_block = 15537394; /* the first block past the terminal total difficulty */
    c.shanghai_time = 1681338455;
    c.cancun_time = 1710338135;
    c.prague_time = 1746612311;
    c.osaka_time = 1764798551;
    c.bpo_time[0] = 1765290071;
    c.bpo_time[1] = 1767747671;
    c.blob_schedule[CHAIN_BLOB_BPO1] = BLOB_BPO[0];
    c.blob_schedule[CHAIN_BLOB_BPO1 + 1] = BLOB_BPO[1];
    return c;
}

const char *chain_network_name(size_t i) { return i < sizeof networks / sizeof networks[0] ? networks[i].name : NULL; }

bool chain_config_by_name(const char *name, chain_config *out) {
    if (!name) return false;
    for (size_t i = 0; i < sizeof networks / sizeof networks[0]; i++) {
        const network *n = &networks[i];
        if (strcasecmp(name, n->name)) continue;
        chain_config c = unscheduled();
        for (int k = 0; k < 5; k++) c.blob_schedule[CHAIN_BLOB_BPO1 + k] = BLOB_BPO[k];
        for (int u = UP_HOMESTEAD; u <= n->upto; u++) set_upgrade(&c, (upgrade)u, 0);
        if (n->upto >= UP_PARIS) c.has_ttd = true; /* terminal total difficulty 0 */
        for (int u = n->first; u != UP_NONE && u <= n->last; u++) {
            if (u == UP_PARIS) {
                c.has_ttd = true;
                c.terminal_total_difficulty = u256_from_u64(n->at);
            } else {
                set_upgrade(&c, (upgrade)u, n->at);
            }
        }
        *out = c;
        return true;
    }
    return false;
}

/* The block-numbered upgrades that change the rules, latest first. The
 * glaciers only move the difficulty bomb and map onto their revision. */
static const struct {
    size_t field;
    fork_id fork;
} block_forks[] = {
    {offsetof(chain_config, london), FORK_LONDON},
    {offsetof(chain_config, berlin), FORK_BERLIN},
    {offsetof(chain_config, istanbul), FORK_ISTANBUL},
    {offsetof(chain_config, petersburg), FORK_PETERSBURG},
    {offsetof(chain_config, constantinople), FORK_CONSTANTINOPLE},
    {offsetof(chain_config, byzantium), FORK_BYZANTIUM},
    {offsetof(chain_config, spurious_dragon), FORK_SPURIOUS_DRAGON},
    {offsetof(chain_config, tangerine_whistle), FORK_TANGERINE_WHISTLE},
    {offsetof(chain_config, homestead), FORK_HOMESTEAD},
};

static uint64_t field_at(const chain_config *c, size_t off) {
    return *(const uint64_t *)((const char *)c + off);
}

fork_id chain_fork_at(const chain_config *c, uint64_t number, uint64_t timestamp, bool merged) {
    fork_id f = FORK_FRONTIER;
    for (size_t i = 0; i < sizeof block_forks / sizeof block_forks[0]; i++)
        if (chain_reached(field_at(c, block_forks[i].field), number)) {
            f = block_forks[i].fork;
            break;
        }
    if (f < FORK_LONDON) return f;
    if (chain_reached(c->paris_block, number) || (c->has_ttd && merged)) f = FORK_PARIS;
    /* the BPO forks keep Osaka's rules; a configuration that schedules one
     * schedules Osaka no later (chain_config_from_json checks it) */
    if (chain_reached(c->osaka_time, timestamp)) return FORK_OSAKA;
    for (int k = 0; k < 5; k++)
        if (chain_reached(c->bpo_time[k], timestamp)) return FORK_OSAKA;
    if (chain_reached(c->prague_time, timestamp)) return FORK_PRAGUE;
    if (chain_reached(c->cancun_time, timestamp)) return FORK_CANCUN;
    if (chain_reached(c->shanghai_time, timestamp)) return FORK_SHANGHAI;
    return f;
}

blob_params chain_blob_params(const chain_config *c, uint64_t timestamp) {
    const uint64_t at[CHAIN_BLOB_ENTRIES] = {
        c->cancun_time, c->prague_time, c->osaka_time, c->bpo_time[0],
        c->bpo_time[1], c->bpo_time[2], c->bpo_time[3], c->bpo_time[4],
    };
    for (int i = CHAIN_BLOB_ENTRIES - 1; i >= 0; i--)
        if (c->blob_schedule[i].update_fraction && chain_reached(at[i], timestamp)) return c->blob_schedule[i];
    return (blob_params){0, 0, 0};
}

const char *chain_check_block_size(fork_id fork, size_t rlp_size) {
    if (fork >= FORK_OSAKA && rlp_size > CHAIN_MAX_RLP_BLOCK_SIZE)
        return "block RLP larger than 8 MiB (EIP-7934)";
    return NULL;
}
