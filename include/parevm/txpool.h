/* The transaction pool: validated transactions waiting for a block.
 *
 * A raw transaction is checked in full before it enters: size, decoding,
 * the fork's static rules (tx_check_static: type, chain id, signature
 * values, intrinsic gas, blob rules), the sender's signature, the block gas
 * limit, the fee caps against the next block's base fee and blob base fee,
 * and, against the state of the head (a state_view), the nonce, the
 * balance for the maximum cost of this and the sender's earlier pool
 * transactions, and that the sender has no code (EIP-3607; an EIP-7702
 * delegation is allowed).
 *
 * Per sender, transactions whose nonces follow the account nonce without a
 * gap, and which the balance covers together, are pending (executable); the
 * rest are queued. A transaction with the nonce of one in the pool replaces
 * it only when both its fee cap and its tip are at least price_bump percent
 * higher (a blob transaction: at least 100 percent, its blob fee cap too, as
 * geth's blobpool). When a limit is passed, the cheapest transaction at the
 * end of some sender's list is evicted (queued ones first when the queue is full);
 * a newcomer that would itself be the cheapest is refused.
 *
 * With delegation_limits, geth's EIP-7702 rules (legacypool's validateAuth
 * and checkDelegationLimit) apply, before the replacement rule and the
 * sender's total cost (geth checks the cost first). The pool counts
 * the authorities of its set-code transactions' authorizations (recovered
 * at admission; an invalid signature names none), until the transaction
 * leaves the pool. A sender that is delegated, or is such an authority,
 * may have one pending transaction: with none, only its account nonce is
 * accepted ("gapped-nonce tx from delegated accounts",
 * ErrOutOfOrderTxFromDelegated); with one, only a replacement of a pending
 * transaction ("in-flight transaction limit reached for delegated
 * accounts", ErrInflightTxLimitReached). A set-code transaction is refused
 * when one of its authorities (its sender too) has more than one
 * transaction in the pool, or a blob transaction (geth: an address the
 * blobpool holds) ("authority already reserved", ErrAuthorityReserved).
 *
 * After a block, txpool_set_head drops what the block included (nonces
 * below the account nonce) and what the balance no longer pays for, and
 * moves queued transactions up when their gap is filled.
 *
 * The block builder takes the pending transactions ordered by effective tip
 * with txpool_best_*. Thread-safe: one lock; RPC threads add while the
 * builder iterates a snapshot. The pool reads the state_view it is given
 * only inside the call that gets it.
 *
 * The pool knows transaction types only through the fields of `transaction`
 * (fee fields for type >= 2, blob hashes): new types validated by
 * tx_check_static need no change here. */
#ifndef PAREVM_TXPOOL_H
#define PAREVM_TXPOOL_H

#include <stdatomic.h>
#include "state.h"
#include "tx.h"

/* What the next block will be: the rules transactions are checked against. */
typedef struct {
    fork_id fork;
    uint64_t chain_id;
    uint64_t block_gas_limit;
    u256 base_fee;       /* of the next block; zero before London */
    u256 blob_base_fee;  /* of the next block; Cancun on */
    uint32_t max_code_size; /* the chain's own contract size limit (tx_check_static_limit) */
    bool no_tx_gas_cap;     /* no EIP-7825 cap (chain_config's no_tx_gas_cap) */
    bool no_eip3607;        /* senders with code may send (chain_config's no_eip3607) */
} txpool_env;

typedef struct {
    size_t max_pending;      /* executable transactions; 0: 4096 */
    size_t max_queued;       /* non-executable ones; 0: 1024 */
    size_t max_per_sender;   /* pending + queued of one sender; 0: 64 */
    size_t max_tx_bytes;     /* encoded size; 0: 128 KiB */
    unsigned price_bump;     /* replacement fee bump in percent; 0: 10 */
    u256 min_tip;            /* lowest tip (gas price for legacy) accepted ("transaction gas
                                price below minimum", geth's ErrTxGasPriceTooLow) */
    bool below_base_fee;     /* admit fee caps below the next block's base fee and blob base
                                fee: such a transaction waits for them to fall, and the
                                builder passes it by (geth); refused otherwise (anvil) */
    bool reject_unprotected; /* refuse legacy transactions without EIP-155 chain id */
    bool delegation_limits;  /* geth's EIP-7702 rules (above); off in dev mode, as anvil */
} txpool_config;

/* The block ranges of an eth_sendRawTransactionConditional send (ERC-7796),
 * kept with the transaction and checked again against each block built
 * from the pool (as op-geth's miner): 0 and UINT64_MAX where unbounded. */
typedef struct {
    uint64_t number_min, number_max, time_min, time_max;
} txpool_condition;

/* A pool transaction. Immutable once in the pool and reference counted:
 * what txpool_get and the best iterator hand out stays valid until
 * released, whatever happens to the pool. */
typedef struct txpool_tx {
    transaction tx;     /* decoded, sender recovered; tx.hash is the key */
    uint8_t *raw;       /* canonical encoding (as eth_getRawTransaction gives) */
    size_t raw_len;
    uint8_t *network;   /* a blob transaction added with its sidecar (txpool_add_blob):
                           its network form as received; NULL otherwise */
    size_t network_len;
    uint8_t sidecar_version; /* the network form's wrapper version (0 or 1) */
    bool has_cond;      /* sent with conditions (cond): txpool_add_conditional or _blob */
    txpool_condition cond;
    u256 cost;          /* gas * fee cap + value + blob gas * blob fee cap */
    uint64_t seq;       /* arrival order: earlier wins ties */
    atomic_uint refs;   /* internal */
} txpool_tx;

void txpool_tx_retain(const txpool_tx *t);
void txpool_tx_release(const txpool_tx *t);

typedef struct txpool txpool;

/* cfg and env are copied. */
txpool *txpool_new(const txpool_config *cfg, const txpool_env *env);
void txpool_free(txpool *p);

typedef struct {
    bytes32 hash;
    bool pending;   /* executable now (else queued) */
    bool replaced;  /* it took the place of a transaction with its nonce */
} txpool_added;

/* Validates a raw transaction (canonical network form) and adds it. view is
 * the state of the pool's head. Returns NULL on success (out, if given, says
 * how), else a static reason: "already known", "nonce too low",
 * "insufficient funds for gas * price + value", "replacement transaction
 * underpriced", "max fee per gas less than block base fee", "transaction
 * underpriced", "txpool is full", "invalid sender", the EIP-7702 reasons
 * above (delegation_limits), the reasons of
 * tx_check_static (in geth's words where geth has its own), or "invalid
 * transaction encoding" (the decoder's message goes into err, which may be
 * NULL). */
const char *txpool_add_raw(txpool *p, state_view view, const uint8_t *raw, size_t len, txpool_added *out,
                           char *err, size_t errlen);
/* txpool_add_raw for a blob transaction that arrived with its sidecar:
 * raw is its block form (what the pool validates and hands to builders),
 * network the network form it came in (wrapper version 0 or 1, checked by
 * the caller against the block form), copied and kept with the transaction
 * for the Engine API (getPayload's blobs bundle, getBlobs); cond as
 * txpool_add_conditional's. */
const char *txpool_add_blob(txpool *p, state_view view, const uint8_t *raw, size_t len, const uint8_t *network,
                            size_t network_len, uint8_t wrapper_version, const txpool_condition *cond,
                            txpool_added *out, char *err, size_t errlen);
/* The same for a decoded transaction whose sender the caller vouches for
 * (tx->sender_known: recovered, or an impersonated account in dev mode),
 * under tx->hash (its encoding's hash, or for an impersonated transaction
 * one that covers its sender too). Takes ownership of tx's heap parts
 * whatever the outcome (tx is zeroed). */
const char *txpool_add_tx(txpool *p, state_view view, transaction *tx, txpool_added *out);

/* txpool_add_raw with the ranges of an eth_sendRawTransactionConditional
 * send kept with the transaction (cond NULL: none, as txpool_add_raw). */
const char *txpool_add_conditional(txpool *p, state_view view, const uint8_t *raw, size_t len,
                                   const txpool_condition *cond, txpool_added *out, char *err, size_t errlen);
/* Whether a block numbered number with timestamp time may include t. */
bool txpool_condition_holds(const txpool_tx *t, uint64_t number, uint64_t time);

/* A new head: env describes the next block, view the state after the head.
 * Drops transactions below their sender's nonce and those whose own cost
 * the balance no longer covers, then re-sorts pending and queued. Returns
 * how many were dropped. */
size_t txpool_set_head(txpool *p, state_view view, const txpool_env *env);
/* The lowest tip accepted from now on (txpool_config's min_tip; geth's
 * miner_setGasPrice). When it is raised, the transactions whose tip cap is
 * below it leave the pool, as in geth (their sender's later ones wait in
 * queued). Returns how many left. */
size_t txpool_set_min_tip(txpool *p, const u256 *tip);

/* How many transactions have entered the pool so far, replacements
 * included: a build compares it with the count it started from to know
 * whether the pool may offer more. */
uint64_t txpool_arrivals(txpool *p);

/* Removes a transaction (and demotes its sender's later ones to queued);
 * false if it is not in the pool. */
bool txpool_remove(txpool *p, const bytes32 *hash);

/* The transaction with this hash, retained (release it), or NULL. */
const txpool_tx *txpool_get(txpool *p, const bytes32 *hash);

/* The nonce the sender's next transaction would have: past its pending
 * ones, or state_nonce when it has none (eth_getTransactionCount "pending"). */
uint64_t txpool_next_nonce(txpool *p, const address *sender, uint64_t state_nonce);

void txpool_counts(txpool *p, size_t *pending, size_t *queued);

/* Visits the pool's transactions (one sender's when sender is non-NULL),
 * each sender's in nonce order, under the pool's lock: fn must not call the
 * pool. Return false from fn to stop. */
typedef bool (*txpool_visit_fn)(void *arg, const txpool_tx *t, bool pending);
void txpool_each(txpool *p, const address *sender, txpool_visit_fn fn, void *arg);

/* ---- Best transactions for a block ------------------------------------------------ */

/* The order of a block's transactions across senders. */
typedef enum {
    TXPOOL_BY_TIP,     /* the highest effective tip first, ties by arrival */
    TXPOOL_BY_ARRIVAL, /* the earliest arrival first (anvil's --order fifo) */
} txpool_order;

/* A snapshot of the pending transactions in block order, each sender's in
 * nonce order (so by arrival, a sender's next transaction counts with its
 * own arrival). A transaction whose fee cap is below base_fee, or whose
 * blob fee cap is below blob_base_fee (ignored when NULL), is left out with
 * the rest of its sender's. The pool may change meanwhile. */
typedef struct txpool_best txpool_best;
txpool_best *txpool_best_new(txpool *p, const u256 *base_fee, const u256 *blob_base_fee, txpool_order order);
/* The next transaction, or NULL; valid until txpool_best_free. */
const txpool_tx *txpool_best_next(txpool_best *it);
/* The last transaction returned could not be included: skip the rest of
 * its sender's (their nonces would not follow). */
void txpool_best_skip_sender(txpool_best *it);
void txpool_best_free(txpool_best *it);

/* The tip a transaction pays per gas at base_fee: min(max priority fee,
 * fee cap - base_fee), or gas price - base_fee for legacy and access-list
 * transactions. False when the fee cap is below base_fee. */
bool txpool_effective_tip(const transaction *tx, const u256 *base_fee, u256 *tip);

#endif
