/* Chain configuration: which protocol rules apply at which block number or
 * timestamp (forks by number up to the Merge, by timestamp after it), with
 * the EIP-7840 blob schedule, for mainnet, for the named networks of the
 * ethereum/tests and execution-spec-tests fixtures and from a geth genesis
 * config, plus the consensus constants that depend on them (difficulty,
 * block rewards, the DAO fork, the EIP-7934 block size limit). */
#ifndef PAREVM_CHAIN_H
#define PAREVM_CHAIN_H

#include "block.h"
#include "fork.h"
#include "u256.h"

/* An activation block number or timestamp that is not scheduled. No block
 * reaches it, not even one numbered or timed 2^64 - 1: compare activation
 * points only through chain_reached / chain_is_at. */
#define CHAIN_NEVER UINT64_MAX

/* true when a block numbered (or timed) x is at or past activation point at. */
static inline bool chain_reached(uint64_t at, uint64_t x) { return at != CHAIN_NEVER && x >= at; }
/* true when x is exactly the (scheduled) activation point at. */
static inline bool chain_is_at(uint64_t at, uint64_t x) { return at != CHAIN_NEVER && x == at; }

/* Entries of the EIP-7840 blob schedule, in activation order. Osaka has the
 * same blob parameters as Prague unless the schedule names it (geth's newer
 * configurations do not, older ones and the execution-spec-tests do). */
enum {
    CHAIN_BLOB_CANCUN,
    CHAIN_BLOB_PRAGUE,
    CHAIN_BLOB_OSAKA,
    CHAIN_BLOB_BPO1,   /* BPO1..BPO5: CHAIN_BLOB_BPO1 + k - 1 */
    CHAIN_BLOB_ENTRIES = CHAIN_BLOB_BPO1 + 5
};

typedef struct {
    uint64_t chain_id;
    /* activation block numbers (CHAIN_NEVER if not scheduled) */
    uint64_t homestead, dao, tangerine_whistle, spurious_dragon, byzantium, constantinople,
        petersburg, istanbul, muir_glacier, berlin, london, arrow_glacier, gray_glacier;
    /* geth's daoForkSupport false with a daoForkBlock: no DAO state change,
     * and headers of blocks dao .. dao+9 must NOT carry "dao-hard-fork"
     * (geth's VerifyDAOHeaderExtraData); dao still counts in the fork id */
    bool dao_opposed;
    /* mergeNetsplitBlock: no rule changes, only a fork-id point (EIP-2124,
     * as geth counts it) */
    uint64_t merge_netsplit;
    /* the Merge: a block is after it when its number >= paris_block, or, with
     * has_ttd, when its parent's total difficulty >= the terminal total
     * difficulty (EIP-3675; the caller tracks the total difficulty and passes
     * the outcome as "merged"). Mainnet sets both. */
    bool has_ttd;
    u256 terminal_total_difficulty;
    uint64_t paris_block;
    /* activation timestamps (CHAIN_NEVER if not scheduled); bpo_time[k] is
     * the blob-parameter-only fork BPO(k+1), which keeps Osaka's rules */
    uint64_t shanghai_time, cancun_time, prague_time, osaka_time;
    uint64_t bpo_time[5];
    /* EIP-7840 blob parameters, indexed by CHAIN_BLOB_*. An entry with
     * update_fraction 0 is absent: the fork keeps the previous entry's. */
    blob_params blob_schedule[CHAIN_BLOB_ENTRIES];
    /* EIP-6110: the deposit contract whose DepositEvent logs are deposit
     * requests (mainnet's for every built-in network) */
    address deposit_contract;
    /* Blocks sealed by authorities, not mined (geth's "clique" section;
     * parevm's dev chain before the Merge, as anvil builds it): before the
     * Merge the author earns no block or ommer reward, blocks carry no
     * ommers, and the difficulty is not the proof-of-work formula's (it is
     * not checked, nor is the seal). */
    bool clique;
    /* Blocks mined with Ethash (geth's "ethash" section, without clique):
     * import checks each pre-Merge header's and ommer's seal (ethash.h)
     * when asked (chain_import_options' verify_seals). */
    bool ethash;
    /* The chain's own contract size limit (anvil's --code-size-limit;
     * evm_tx_context's max_code_size): 0 EIP-170's, EVM_NO_CODE_SIZE_LIMIT
     * none. geth's config cannot say it (chain_config_to_json refuses). */
    uint32_t max_code_size;
    /* No EIP-7825 cap on a transaction's gas (anvil's dev chains, unless
     * --enable-tx-gas-limit): from Osaka a transaction may ask for up to
     * the block's gas. geth's config cannot say it either. */
    bool no_tx_gas_cap;
    /* Senders with code may send (EIP-3607 off): dev chains, as anvil's
     * disable_eip3607, so that an impersonated contract can send. Set by
     * the dev node at each start; never stored, nor in geth's config. */
    bool no_eip3607;
} chain_config;

/* Mainnet (chain id 1) with its fork schedule, up to BPO2, and its blob
 * schedule (Cancun 3/6, Prague 6/9, BPO1 10/15, BPO2 14/21). */
chain_config chain_config_mainnet(void);

/* The configuration of a fixture network name ("Cancun", "London",
 * "FrontierToHomesteadAt5", "HomesteadToDaoAt5", "ArrowGlacierToParisAtDiffC0000",
 * "ShanghaiToCancunAtTime15k", "ParisToShanghaiAtTime15k", "BerlinToLondonAt5",
 * "Prague", "Osaka", "BPO1".."BPO5", "CancunToPragueAtTime15k",
 * "PragueToOsakaAtTime15k", "OsakaToBPO1AtTime15k", "BPO1ToBPO2AtTime15k" ..
 * "BPO4ToBPO5AtTime15k"...). Single-fork names activate everything up to that
 * fork at genesis. Every network has the execution-spec-tests' blob schedule
 * (Cancun 3/6, Prague 6/9, BPO1 10/15, BPO2 14/21, BPO3 21/32, BPO4 and BPO5
 * 14/21) and mainnet's deposit contract. Returns false for unknown names.
 * Chain id 1. */
bool chain_config_by_name(const char *name, chain_config *out);
/* The i-th name chain_config_by_name knows (for usage texts), NULL past the
 * last. */
const char *chain_network_name(size_t i);

/* Reads a geth genesis "config" object: chainId (required), homesteadBlock,
 * daoForkBlock (with daoForkSupport true; otherwise no DAO change),
 * eip150Block, eip155Block/eip158Block (one fork here: they must agree),
 * byzantiumBlock, constantinopleBlock, petersburgBlock (absent: with
 * Constantinople), istanbulBlock, muirGlacierBlock, berlinBlock, londonBlock,
 * arrowGlacierBlock, grayGlacierBlock, mergeNetsplitBlock (type-checked; it
 * changes no rule), terminalTotalDifficulty (0: merged from genesis, which
 * also sets paris_block 0), shanghaiTime, cancunTime, pragueTime, osakaTime,
 * bpo1Time..bpo5Time, blobSchedule (see chain_blob_schedule_from_json) and
 * depositContractAddress (default: mainnet's). An absent or null fork is not
 * scheduled; a "clique" section (its contents unused) sets clique, an
 * "ethash" one (its contents unused; without clique) ethash; other fields
 * are ignored.
 * Numbers are JSON integers >= 0 or strings holding a decimal or 0x-hex
 * integer; terminalTotalDifficulty may be up to 2^256 - 1 (a string beyond 2^63:
 * jansson rejects larger integers; the CLI's genesis reader, cli_json_load,
 * quotes them as geth writes them bare). Errors, with a
 * message naming the field in err and out untouched: a wrong type, a value
 * out of range, 2^64 - 1 as an activation point (reserved for "not
 * scheduled"), a fork scheduled while an earlier non-optional one is not
 * (geth's CheckConfigForkOrder: the glaciers, the DAO fork and BPO forks are
 * optional), activation points going backwards, a BPO fork without Osaka or
 * without its blobSchedule entry, a fork after Osaka (amsterdamTime,
 * bogotaTime...: not implemented). Cancun and Prague default to their EIPs'
 * blob parameters (3/6 and 6/9) when blobSchedule does not list them. */
struct json_t;
bool chain_config_from_json(const struct json_t *config, chain_config *out, char *err, size_t errlen);

/* Whether a chain at a head (its number and timestamp) may go on under
 * next instead of stored: they differ only in forks that neither has
 * reached at the head (activation points, and the blob parameters of such
 * forks), as geth's CheckCompatible lets `geth init` schedule a fork on an
 * existing chain. */
bool chain_config_compatible(const chain_config *stored, const chain_config *next, uint64_t head_number,
                             uint64_t head_time);

/* Overrides out's blob schedule with the entries of a "blobSchedule" object
 * ({"cancun": {"target", "max", "baseFeeUpdateFraction"}, "prague", "osaka",
 * "bpo1".."bpo5"}; names case-insensitive, other names ignored, numbers as
 * in chain_config_from_json). Each entry needs all three fields, target <=
 * max < 2^32 and a non-zero update fraction. On error returns false, with
 * out unchanged and a message in err. */
bool chain_blob_schedule_from_json(const struct json_t *schedule, chain_config *out, char *err,
                                   size_t errlen);

/* The rules in force for a block. merged: the block's parent reached the
 * terminal total difficulty (only counts with has_ttd). The timestamp forks
 * (Shanghai on) apply from London on, as in geth. The BPO forks give
 * FORK_OSAKA. */
fork_id chain_fork_at(const chain_config *c, uint64_t number, uint64_t timestamp, bool merged);

/* The blob parameters in force at timestamp: the latest scheduled entry
 * reached (zero before Cancun). Only meaningful for blocks whose fork is
 * Cancun or later. */
blob_params chain_blob_params(const chain_config *c, uint64_t timestamp);

/* EIP-7934 (Osaka on): the largest RLP-encoded block, 10 MiB less a 2 MiB
 * safety margin for the consensus layer's envelope. */
#define CHAIN_MAX_RLP_BLOCK_SIZE (10485760 - 2097152)
/* Returns NULL, or why a block of rlp_size bytes is too large under fork. */
const char *chain_check_block_size(fork_id fork, size_t rlp_size);
/* The body against its header: the size (chain_check_block_size), the
 * ommers hash, the transactions root (its trie built on pool; NULL: on this
 * thread), the withdrawals' presence and root. Returns NULL or why. The
 * ommers' own rules need the ancestors: chain_check_ommers. */
struct task_pool;
const char *chain_check_body_roots(const block *b, size_t rlp_size, fork_id fork, struct task_pool *pool);

/* Proof-of-work difficulty of a block from its parent (Frontier, Homestead
 * EIP-2, Byzantium EIP-100 with the bomb delays of EIP-649, EIP-1234,
 * EIP-2384, EIP-3554, EIP-4345, EIP-5133), by block number. A result beyond
 * 256 bits (a bomb far in the future) saturates at 2^256 - 1. */
u256 chain_difficulty(const chain_config *c, uint64_t number, uint64_t timestamp,
                      const u256 *parent_difficulty, uint64_t parent_timestamp,
                      bool parent_has_ommers);

/* Block reward in wei for fork (5, 3 or 2 ether; 0 after the Merge). */
u256 chain_block_reward(fork_id fork);
/* What an ommer's miner gets: (8 + ommer_number - block_number) / 8 of the
 * block reward; 0 unless the ommer is 1 to 7 blocks older (the executor
 * checks the depth limit of 6 when it validates ommers). */
u256 chain_ommer_reward(fork_id fork, uint64_t block_number, uint64_t ommer_number);
/* What the block's miner gets on top of the block reward for each ommer it
 * includes: 1/32 of the block reward. */
u256 chain_nephew_reward(fork_id fork);

/* The DAO fork (block c->dao): every listed account's balance moves to the
 * refund contract, in list order (116 accounts: the DAO, its child DAOs and
 * their extraBalance accounts). Headers of blocks dao .. dao+9 must carry the
 * extra data "dao-hard-fork". */
const address *chain_dao_accounts(size_t *n);
extern const address CHAIN_DAO_REFUND_CONTRACT;
#define CHAIN_DAO_EXTRA "dao-hard-fork"
/* Whether block number's header must carry CHAIN_DAO_EXTRA (must not,
 * with c->dao_opposed). */
static inline bool chain_in_dao_extra_range(const chain_config *c, uint64_t number) {
    return chain_reached(c->dao, number) && number - c->dao < 10;
}

/* ---- Header validation (src/chain/validate.c) ---- */

/* Header checks that need only the parent (Yellow Paper 4.3.4, EIP-1559,
 * EIP-4844 with the blob schedule of EIP-7840 and EIP-7918's reserve price,
 * EIP-3675): number, timestamp, gas limit bounds (and the London
 * elasticity doubling at the fork block), gas used <= gas limit, extra data
 * <= 32 bytes, base fee, blob gas used/excess, difficulty (per the fork's
 * formula before the Merge; zero after), nonce and ommers hash after the
 * Merge, and which optional fields must be present. merged: the block is
 * after the Merge (the caller knows from the total difficulty or fork).
 * Returns NULL if valid, else a short reason (a static string and a stable
 * identifier: src/cli/exceptions.c maps fixture exception names to it). */
const char *header_validate(const chain_config *cfg, const block_header *parent,
                            const block_header *h, bool merged);

/* EIP-1559 base fee of the child of parent (parent's gas target is half its
 * limit; at the London fork block the base fee is 1 gwei). */
u256 header_next_base_fee(const chain_config *cfg, const block_header *parent);
/* EIP-4844 excess blob gas of the child of parent, whose rules are fork and
 * blob parameters p (chain_blob_params at the child's timestamp: the target
 * and, from Osaka, the EIP-7918 reserve price, with the child's update
 * fraction applied to the parent's excess, as geth does). A parent without
 * blob fields (the fork block) counts as zero excess and use. */
uint64_t header_next_excess_blob_gas(const block_header *parent, fork_id fork, const blob_params *p);

#endif
