/* parevm t8n (cmd_t8n.c): geth's `evm t8n` state transition tool. This
 * header is the block environment part (t8n_env.c). */
#ifndef PAREVM_CLI_T8N_H
#define PAREVM_CLI_T8N_H

#include <jansson.h>
#include "parevm/block.h"
#include "parevm/chain.h"

/* geth's t8n exit codes */
enum {
    T8N_ERR_EVM = 2,       /* execution could not complete (a request contract failed) */
    T8N_ERR_CONFIG = 3,    /* fork, chain id, or an env field the fork needs */
    T8N_ERR_BLOCKHASH = 4, /* BLOCKHASH of a block env.blockHashes does not give */
    T8N_ERR_JSON = 10,
    T8N_ERR_IO = 11,
    T8N_ERR_RLP = 12,
};

typedef struct {
    uint64_t number;
    bytes32 hash;
} t8n_hash;

/* The block the transactions run in: its header (the fields env gives or
 * geth derives: difficulty, base fee, excess blob gas; parent_hash is
 * blockHashes[number - 1]), ommers (number and coinbase) and withdrawals.
 * The transactions are added by the caller. */
typedef struct {
    block blk;
    fork_id fork;
    bool merged;
    /* what geth's result echoes: the difficulty when env gave it or it was
     * derived (not after the Merge by default), env's base fee even before
     * London, the blob gas fields when env gave the excess or its parent's */
    bool difficulty_known, blob_fee_known, has_env_base_fee;
    u256 env_base_fee;
    t8n_hash *hashes; /* env.blockHashes */
    size_t n_hashes;
} t8n_env;

/* Reads env under cfg. On failure *code is the exit code and err says why
 * (the field, or what the fork needs: geth's messages). Free with
 * t8n_env_free either way. */
bool t8n_env_load(json_t *env, const chain_config *cfg, t8n_env *out, int *code, char *err, size_t errlen);
/* env.blockHashes[number], or NULL. */
const bytes32 *t8n_env_hash(const t8n_env *e, uint64_t number);
void t8n_env_free(t8n_env *e);

/* One input of the t8n family (t8n, b11r): path names a file of JSON, or
 * is "stdin": then the field key of one object read from stdin once (*in
 * keeps it for the other inputs; the caller frees it). Returns a new
 * reference. NULL with *code 0: stdin's object has no such field; NULL
 * with *code T8N_ERR_JSON or T8N_ERR_IO: err says why. */
json_t *t8n_load_input(const char *path, const char *key, json_t **in, int *code, char *err, size_t errlen);

#endif
