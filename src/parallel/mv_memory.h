/* Multi-version memory for Block-STM (internal to src/parallel).
 *
 * Every location a transaction can write (an account's balance, nonce or
 * code, one storage slot, or an account's "storage cleared" marker) has a
 * cell holding the values written by each transaction index, marked with the
 * incarnation that wrote them, or ESTIMATE when that incarnation was aborted.
 * A reader at index k sees the highest version below k, else the base state.
 *
 * Balance increments whose base was never read (fees to the coinbase, value
 * to a recipient) are not versions here: they stay in the writers' outputs,
 * and the balance cell only carries a flag saying that some exist, so that
 * the many writers of a hot account never contend on its cell. A reader of
 * such a balance adds up the increments of the transactions between the last
 * full write and itself (see mv_view.c).
 *
 * The table is a fixed-capacity open-addressing index of 8-byte entries,
 * claimed with a compare-and-swap, over densely allocated cells; each cell's
 * version list is guarded by a spinlock held only for a few instructions. */
#ifndef PAREVM_MV_MEMORY_H
#define PAREVM_MV_MEMORY_H

#include <stdatomic.h>
#include "parevm/state.h"

typedef enum { LOC_BALANCE, LOC_NONCE, LOC_CODE, LOC_STORAGE, LOC_CLEARED } loc_kind;

typedef struct {
    address addr;
    uint8_t kind;
    u256 slot; /* LOC_STORAGE only; zero otherwise */
} location;

enum { MV_ESTIMATE = 1, MV_DELETED = 4 };

typedef struct {
    uint32_t tx, incarnation;
    uint32_t flags;
    u256 value; /* LOC_CODE: the evm_code pointer in w[0] */
} mv_version;

typedef struct mv_cell mv_cell;

typedef struct {
    _Atomic uint64_t *index; /* open addressing: hash tag and cell number */
    mv_cell *cells;          /* handed out in order of first write */
    size_t cap;              /* index entries, a power of two; cells: 3/4 of it */
    _Atomic size_t used;
    _Atomic bool overflow; /* a write found no free cell: the block must run sequentially */
} mv_memory;

bool mv_init(mv_memory *m, size_t capacity);
void mv_free(mv_memory *m);
/* Empties the table for the next block (keeps the allocation). */
void mv_reset(mv_memory *m);

/* What a read found. */
typedef enum {
    MV_BASE,      /* no version below the reader: read the base state */
    MV_FOUND,     /* a version */
    MV_BLOCKED,   /* an ESTIMATE below the reader: wait for tx *blocker */
} mv_status;

typedef struct {
    mv_status status;
    uint32_t blocker;   /* MV_BLOCKED */
    u256 value;         /* MV_FOUND: the value */
    bool deleted;       /* MV_FOUND: written by an account deletion */
    bool has_deltas;    /* balance increments exist in transaction outputs */
    uint32_t writer;    /* MV_FOUND: index of the transaction that wrote the value */
} mv_read_result;

/* Whether anyone has written loc in this block (or flagged increments). */
bool mv_has_cell(mv_memory *m, const location *loc);

/* Reads loc as transaction `reader` sees it. */
mv_read_result mv_read(mv_memory *m, const location *loc, uint32_t reader);

/* A transaction's write of one location. */
typedef struct {
    location loc;
    uint32_t flags; /* MV_DELETED */
    u256 value;
} mv_write;

/* Flags addr's balance as having increments kept in transaction outputs.
 * Returns false if the table is full (overflow is set). */
bool mv_mark_deltas(mv_memory *m, const address *addr);

/* Records the writes of (tx, incarnation), replacing the previous
 * incarnation's; locations the previous incarnation wrote but this one does
 * not are removed (prev/n_prev: the previous write set). Returns true if a
 * location not written by the previous incarnation was written (the
 * scheduler then revalidates all higher transactions). */
bool mv_record(mv_memory *m, uint32_t tx, uint32_t incarnation, const mv_write *writes, size_t n,
               const mv_write *prev, size_t n_prev);
/* Marks tx's writes as ESTIMATE (its incarnation was aborted). */
void mv_mark_estimates(mv_memory *m, uint32_t tx, const mv_write *writes, size_t n);

uint64_t location_hash(const location *loc);

#endif
