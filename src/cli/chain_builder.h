/* A chain builder for benchmarks and tests: a large genesis (accounts with
 * ETH and token balances, an ERC-20-style token, constant-product swap
 * pairs, filler contracts up to a number of storage slots) and a chain of
 * full blocks of signed transactions on top of it (ETH transfers, token
 * transfers, swaps, or a mix).
 *
 * The builder keeps its own state in memory (filler storage is computed,
 * never stored), executes every block with the sequential executor, and
 * computes every header's state root with a full rebuild (trie_root over
 * every account, storage tries rebuilt whole when they changed): a code
 * path independent of the store and its incremental root engine, which
 * the import then has to agree with. */
#ifndef PAREVM_CLI_CHAIN_BUILDER_H
#define PAREVM_CLI_CHAIN_BUILDER_H

#include <stdio.h>
#include "parevm/block.h"
#include "parevm/chain.h"
#include "parevm/state.h"

typedef enum { BUILD_TRANSFERS, BUILD_ERC20, BUILD_UNISWAP, BUILD_MIXED } build_kind;

typedef struct {
    uint64_t accounts;  /* externally owned accounts */
    uint64_t slots;     /* storage slots in the genesis, at least (tokens, pairs, filler) */
    uint64_t block_gas; /* every block's gas limit; blocks are filled up to it */
    build_kind kind;
    uint64_t seed;
} build_options;

/* Parses "transfers", "erc20", "uniswap", "mixed". */
bool build_kind_parse(const char *s, build_kind *out);

typedef struct chain_builder chain_builder;

/* Code objects are interned in codes (which must outlive the builder). */
chain_builder *builder_new(const build_options *o, code_store *codes);
void builder_free(chain_builder *b);

chain_config builder_config(const chain_builder *b);

/* The genesis state in chunks (each a change set of whole accounts or of
 * more slots of one account), passed to fn in order; fn returns NULL or an
 * error, which stops the walk. Also computes the builder's own genesis
 * state root; the header (builder_genesis_header) is valid afterwards. */
const char *builder_genesis(chain_builder *b, const char *(*fn)(void *arg, const change_set *chunk), void *arg);
/* The genesis header (state root included) after builder_genesis. */
block_header builder_genesis_header(const chain_builder *b);
/* The genesis as geth's genesis JSON (small states: every slot is
 * written). builder_genesis must have run. */
bool builder_write_genesis_json(chain_builder *b, FILE *f);

/* Builds, executes and seals the next block; appends its RLP to out.
 * Returns NULL or why the builder failed (a bug: its transactions are
 * valid by construction). */
const char *builder_next_block(chain_builder *b, buf_t *out, uint64_t *gas_used, size_t *n_txs);

#endif
