/* A state_view that records what is read through it: the accounts, the
 * slots of each, the codes and the block hashes. Executing a block over a
 * recorder wrapped around the pre-state gives the read set from which its
 * execution witness is built (witness.h, db_proof.h).
 *
 * Thread-safe: Block-STM's workers may read through it at once (records
 * are taken under a lock). */
#ifndef PAREVM_STATE_RECORDER_H
#define PAREVM_STATE_RECORDER_H

#include "state.h"

typedef struct state_recorder state_recorder;

/* A recorder over base (which must outlive it). */
state_recorder *state_recorder_new(state_view base);
void state_recorder_free(state_recorder *r);
state_view state_recorder_view(state_recorder *r);

/* Accounts read (any field, storage, code or has_storage), in the order of
 * their first read. */
typedef struct {
    address addr;
    const evm_code *code; /* the non-empty code read through get_code, else NULL */
    const u256 *slots;    /* the slots read, in order of first read */
    size_t n_slots;
} recorded_account;

size_t state_recorder_count(const state_recorder *r);
/* Account i (i < count); valid until the next read or free. */
recorded_account state_recorder_get(const state_recorder *r, size_t i);
/* The lowest block number whose hash was read (false: none). */
bool state_recorder_oldest_hash(const state_recorder *r, uint64_t *number);

#endif
