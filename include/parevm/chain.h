/* Chain configuration: which protocol rules apply at which block number or
 * timestamp, for mainnet and for the named networks of the ethereum/tests
 * fixtures, plus the consensus constants that depend on them (difficulty,
 * block rewards, the DAO fork). */
#ifndef PAREVM_CHAIN_H
#define PAREVM_CHAIN_H

#include "block.h"
#include "fork.h"
#include "u256.h"

#define CHAIN_NEVER UINT64_MAX

typedef struct {
    uint64_t chain_id;
    /* activation block numbers (CHAIN_NEVER if not scheduled) */
    uint64_t homestead, dao, tangerine_whistle, spurious_dragon, byzantium, constantinople,
        petersburg, istanbul, muir_glacier, berlin, london, arrow_glacier, gray_glacier;
    /* the Merge: a block is after it when its number >= paris_block, or, with
     * has_ttd, when its parent's total difficulty >= the terminal total
     * difficulty (EIP-3675; the caller tracks the total difficulty and passes
     * the outcome as "merged"). Mainnet sets both. */
    bool has_ttd;
    u256 terminal_total_difficulty;
    uint64_t paris_block;
    /* activation timestamps */
    uint64_t shanghai_time, cancun_time, prague_time;
} chain_config;

/* Mainnet (chain id 1) with its fork schedule. */
chain_config chain_config_mainnet(void);

/* The configuration of a fixture network name ("Cancun", "London",
 * "FrontierToHomesteadAt5", "HomesteadToDaoAt5", "ArrowGlacierToParisAtDiffC0000",
 * "ShanghaiToCancunAtTime15k", "ParisToShanghaiAtTime15k", "BerlinToLondonAt5",
 * ...). Single-fork names activate everything up to that fork at genesis.
 * Returns false for unknown names. Chain id 1. */
bool chain_config_by_name(const char *name, chain_config *out);

/* The rules in force for a block. merged: the block's parent reached the
 * terminal total difficulty (only counts with has_ttd). The timestamp forks
 * (Shanghai on) apply from London on, as in geth. */
fork_id chain_fork_at(const chain_config *c, uint64_t number, uint64_t timestamp, bool merged);

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

/* ---- Header validation (src/chain/validate.c) ---- */

/* Header checks that need only the parent (Yellow Paper 4.3.4, EIP-1559,
 * EIP-4844, EIP-3675): number, timestamp, gas limit bounds (and the London
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
/* EIP-4844 excess blob gas of the child of parent, whose rules are fork
 * (the blob target is 3 blobs in Cancun, 6 from Prague, EIP-7691). A parent
 * without blob fields (the fork block) counts as zero excess and use. */
uint64_t header_next_excess_blob_gas(const block_header *parent, fork_id fork);
/* The most blob gas a block of fork may use (6 blobs in Cancun, 9 from
 * Prague; 0 before Cancun). */
uint64_t header_max_blob_gas(fork_id fork);

#endif
