/* overlay: the journaled per-transaction state. It reads through a
 * state_view on first use of each field, keeps every write to itself, and
 * undoes writes back to a snapshot when a call frame fails. At the end of a
 * transaction overlay_finish() turns its net effect into a change_set.
 *
 * Balance increments to accounts whose balance the transaction never reads
 * (fees to the coinbase, value to a recipient) are kept as deltas without
 * reading the base balance, so parallel executors see no false conflict.
 *
 * Tracked per transaction: warm accounts and slots (EIP-2929), original slot
 * values (EIP-2200), transient storage (EIP-1153), logs, touched accounts
 * (EIP-161), created and self-destructed accounts (EIP-6780).
 *
 * An overlay is reused across transactions: overlay_begin() resets it and its
 * buffers keep their capacity. Not thread-safe; one per worker. */
#ifndef PAREVM_OVERLAY_H
#define PAREVM_OVERLAY_H

#include "state.h"

typedef struct overlay overlay;

typedef struct {
    address addr;
    bytes32 topics[4];
    uint32_t n_topics;
    bool synthetic;            /* made by the host for a tracer (overlay_add_synthetic_log) */
    uint32_t seq;              /* emission order since overlay_begin, counting logs later reverted */
    size_t data_off, data_len; /* into overlay_log_data() */
} overlay_log;

/* l's data within the log-data buffer base: NULL when it has none (base is
 * NULL when no log has any, and NULL + 0 is undefined). */
static inline const uint8_t *overlay_log_bytes(const overlay_log *l, const uint8_t *base) {
    return l->data_len ? base + l->data_off : NULL;
}

overlay *overlay_new(void);
void overlay_free(overlay *ov);
/* Starts a transaction over view; new code is interned in codes. */
void overlay_begin(overlay *ov, state_view view, code_store *codes, fork_id fork);
/* Until the next overlay_begin, the precompiles are not warm from the start:
 * a system call (EIP-4788, 2935, 7002, 7251) runs with an empty access set
 * in execution-specs and geth, not the transactions' one. */
void overlay_cold_precompiles(overlay *ov);

/* Journal positions. */
size_t overlay_snapshot(const overlay *ov);
void overlay_revert(overlay *ov, size_t snapshot);

/* Whether the account exists (in the state, or brought into being by this
 * transaction). Judged from the view's answer and, where the view says no,
 * from the account's fields, since a view may answer existence only for the
 * fields it was asked for (Block-STM: an earlier transaction's balance
 * increment shows on a balance read). */
bool overlay_exists(overlay *ov, const address *addr);
bool overlay_is_empty(overlay *ov, const address *addr);
u256 overlay_balance(overlay *ov, const address *addr);
/* Adds to the balance without reading it (a delta) unless already loaded. */
void overlay_add_balance(overlay *ov, const address *addr, const u256 *amount);
/* Sets the balance (reads it first to keep journaling exact). */
void overlay_set_balance(overlay *ov, const address *addr, const u256 *balance);
uint64_t overlay_nonce(overlay *ov, const address *addr);
void overlay_set_nonce(overlay *ov, const address *addr, uint64_t nonce);
const evm_code *overlay_code(overlay *ov, const address *addr);
void overlay_set_code(overlay *ov, const address *addr, const uint8_t *code, size_t len);
bool overlay_has_storage(overlay *ov, const address *addr);
/* Marks touched for EIP-161 (and makes the account exist pre-EIP-161). */
void overlay_touch(overlay *ov, const address *addr);
/* After the revert of a call to recipient that failed: RIPEMD-160 (0x03),
 * if it exists and is empty then, stays touched whatever reverts next
 * (execution-specs' incorporate_child_on_error, the exception mainnet block
 * 2,675,119 made), even when the failed call carried value. */
void overlay_failed_call(overlay *ov, const address *recipient);
/* CREATE: marks the account as created in this transaction, storage reset. */
void overlay_create_account(overlay *ov, const address *addr);
bool overlay_created_in_tx(overlay *ov, const address *addr);
/* Calls fn for each storage slot of addr the transaction has read or
 * written: its value when the transaction started and its value now (a
 * self-destruct does not clear them here). For tracers; fn must not change
 * the overlay. */
typedef void (*overlay_slot_fn)(void *arg, const u256 *key, const u256 *original, const u256 *value);
void overlay_each_slot(overlay *ov, const address *addr, overlay_slot_fn fn, void *arg);
/* SELFDESTRUCT per fork (EIP-6780 from Cancun); true on the first one. */
bool overlay_selfdestruct(overlay *ov, const address *addr, const address *beneficiary);

/* Warm sets: return true if the item was cold. */
bool overlay_warm_account(overlay *ov, const address *addr);
bool overlay_warm_slot(overlay *ov, const address *addr, const u256 *key);

u256 overlay_sload(overlay *ov, const address *addr, const u256 *key);
void overlay_sstore(overlay *ov, const address *addr, const u256 *key, const u256 *value,
                    u256 *original, u256 *current);
u256 overlay_tload(overlay *ov, const address *addr, const u256 *key);
void overlay_tstore(overlay *ov, const address *addr, const u256 *key, const u256 *value);

void overlay_add_log(overlay *ov, const address *addr, const bytes32 *topics, size_t n,
                     const uint8_t *data, size_t len);
/* A log the host makes up for a tracer (eth_simulateV1's ERC-7528 ETH
 * transfer logs): journaled like the others (a failed frame drops it) and
 * kept in order with them, but flagged synthetic: it is no log of the chain
 * and never goes into a receipt or a bloom. */
void overlay_add_synthetic_log(overlay *ov, const address *addr, const bytes32 *topics, size_t n,
                               const uint8_t *data, size_t len);
const overlay_log *overlay_logs(const overlay *ov, size_t *n);
/* How many logs were emitted since overlay_begin, reverted ones included
 * (geth's simulation tracer numbers logs this way). */
uint32_t overlay_logs_emitted(const overlay *ov);
const uint8_t *overlay_log_data(const overlay *ov);

bytes32 overlay_block_hash(overlay *ov, uint64_t number);
code_store *overlay_codes(overlay *ov);
fork_id overlay_fork(const overlay *ov);

/* Ends the transaction: deletes self-destructed accounts and (from Spurious
 * Dragon) touched empty ones, and writes the net effect into out (cleared
 * first). The overlay stays readable until the next overlay_begin(). */
void overlay_finish(overlay *ov, change_set *out);

#endif
