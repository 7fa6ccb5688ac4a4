/* One block checked with nothing but its execution witness, as a stateless
 * client does: the header against the parent (the witness's last header),
 * the body against the header's roots (ommers hash, transactions root,
 * withdrawals root, the block size limit), the transactions executed on the
 * witness's state (sequentially or with Block-STM), the results against the
 * header (gas used, receipts root with pre-Byzantium intermediate roots,
 * bloom, blob gas, requests) and the post-state root computed from the
 * witness's nodes against the header's. Ommers are checked by their hash
 * only: a witness holds no side chain to check their ancestry against. */
#ifndef PAREVM_CLI_STATELESS_CHECK_H
#define PAREVM_CLI_STATELESS_CHECK_H

#include "parevm/chain.h"
#include "parevm/witness.h"

typedef struct {
    int status;           /* 0 valid, 1 invalid, 2 no verdict: an unusable
                             witness, or one that lacks a node or code the
                             block needs (whatever execution concluded then
                             rests on an absent value) */
    char why[320];        /* the reason, unless valid */
    block_header parent;  /* the witness's last header, when usable */
    bytes32 root;         /* the post-state root computed, when has_root */
    bool has_root;
    uint64_t gas_used;
} stateless_verdict;

/* Checks b (decoded from rlp_len bytes of RLP) under cfg against wit;
 * threads > 0 executes with Block-STM on that many threads. Never aborts on
 * input. Deep EVM recursion: call it on a big stack (run_on_big_stack). */
void stateless_check(const chain_config *cfg, const execution_witness *wit, block *b, size_t rlp_len,
                     unsigned threads, stateless_verdict *v);

#endif
