/* Protocol revisions that change EVM or transaction rules. Block-level forks
 * that only move the difficulty bomb (Muir/Arrow/Gray Glacier) map onto the
 * revision whose execution rules they share; the chain configuration keeps
 * them apart for header validation. */
#ifndef PAREVM_FORK_H
#define PAREVM_FORK_H

#include "types.h"

typedef enum {
    FORK_FRONTIER,
    FORK_HOMESTEAD,
    FORK_TANGERINE_WHISTLE, /* EIP-150 */
    FORK_SPURIOUS_DRAGON,   /* EIP-155/158/161/170 */
    FORK_BYZANTIUM,
    FORK_CONSTANTINOPLE,
    FORK_PETERSBURG,
    FORK_ISTANBUL,
    FORK_BERLIN,
    FORK_LONDON,
    FORK_PARIS,             /* the Merge */
    FORK_SHANGHAI,
    FORK_CANCUN,
    FORK_PRAGUE,
    FORK_OSAKA,             /* also the blob-parameter-only forks BPO1..BPO5 (EIP-7892) */
    FORK_COUNT
} fork_id;

/* EIP-7840 blob parameters of a fork (Cancun on), changed on their own by the
 * blob-parameter-only forks of EIP-7892: the blobs per block aimed at and
 * allowed, and the denominator of the blob base fee's exponential. An
 * update_fraction of 0 means "no parameters" (before Cancun). */
typedef struct {
    uint64_t target, max, update_fraction;
} blob_params;

#define BLOB_GAS_PER_BLOB 131072 /* EIP-4844 */

/* The blob gas a block may use and the blob gas it aims at. */
static inline uint64_t blob_params_max_gas(const blob_params *p) { return p->max * BLOB_GAS_PER_BLOB; }
static inline uint64_t blob_params_target_gas(const blob_params *p) { return p->target * BLOB_GAS_PER_BLOB; }

/* Canonical name as the ethereum/tests fixtures spell it ("EIP150", "Merge"...). */
const char *fork_name(fork_id f);
/* Accepts fixture names and common aliases (case-insensitive): "EIP158",
 * "SpuriousDragon", "ConstantinopleFix", "Petersburg", "Merge", "Paris"...,
 * and "BPO1".."BPO5" (Osaka's rules; their blob parameters come from the
 * chain configuration, chain_config_by_name).
 * Returns false for unknown names. */
bool fork_from_name(const char *name, fork_id *out);

#endif
