/* Multi-version memory for Block-STM (internal to src/parallel).
 *
 * Every location a transaction can write (an account's balance, nonce or
 * code, one storage slot, or an account's "storage cleared" marker) has a
 * cell holding the values written by each transaction index, marked
 * ESTIMATE when the incarnation that wrote one was aborted (which incarnation
 * wrote a version is never asked: a new one replaces it).
 * A reader at index k sees the highest version below k, else the base state.
 *
 * Balance increments whose base was never read (fees to the coinbase, value
 * to a recipient) are versions too, marked MV_DELTA: a reader of such a
 * balance adds up the increments between the last full write below it (or
 * the base state) and itself, so the many writers of a hot account never
 * read each other's values and never conflict.
 *
 * The table is an open-addressing index of 8-byte entries, claimed with a
 * compare-and-swap, over densely allocated cells; each cell's version list is
 * guarded by a spinlock held only for a few instructions. Writers reserve the
 * cells they may create before writing (mv_reserve); when a reservation does
 * not fit, the table grows (mv_grow) while no other thread uses it: the
 * engine stops its workers between tasks for that (engine.c). */
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

enum { MV_ESTIMATE = 1, MV_DELETED = 4, MV_DELTA = 8 };

typedef struct {
    uint32_t tx;
    uint32_t flags;
    u256 value; /* LOC_CODE: the evm_code pointer in w[0] */
} mv_version;

typedef struct mv_cell mv_cell;

typedef struct {
    _Atomic uint64_t *index; /* open addressing: hash tag and cell number */
    mv_cell *cells;          /* handed out in order of first write; 64-byte aligned */
    void *cells_raw;         /* the allocation cells lies in */
    size_t cap;              /* index entries, a power of two */
    size_t max_cells;        /* 3/4 of cap: the index never fills up */
    /* The counters every new cell and reservation bumps, padded off the
     * fields every lookup reads (whatever the struct's alignment): sharing
     * their cache line made each worker's writes miss the others' reads. */
    char pad_before[64];
    _Atomic size_t used;     /* cells handed out */
    _Atomic size_t claimed;  /* cells handed out or reserved (<= max_cells) */
    char pad_after[64];
    /* One bit per 4 index entries' worth of hash space, set for every cell:
     * most reads are of locations nobody writes, and a clear bit answers
     * them from a small table that stays in cache, without probing the
     * index. */
    _Atomic uint64_t *filter;
    size_t filter_mask;      /* bits - 1 */
} mv_memory;

/* Sets up an empty table for at least `cells` locations. False if out of
 * memory (m is then empty and may be freed). */
bool mv_init(mv_memory *m, size_t cells);
void mv_free(mv_memory *m);
/* Empties the table for the next block (keeps the allocation). */
void mv_reset(mv_memory *m);
/* Reserves room for n new cells (a transaction's write set). False if they
 * do not fit: grow the table first. */
bool mv_reserve(mv_memory *m, size_t n);
/* Returns the part of a reservation of n that created only `created` cells. */
void mv_unreserve(mv_memory *m, size_t n, size_t created);
/* Makes room for `extra` more cells than are claimed now, keeping every
 * cell. No other thread may use m meanwhile. False if out of memory (m is
 * unchanged). */
bool mv_grow(mv_memory *m, size_t extra);

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
    bool deleted;       /* MV_FOUND: written by an account deletion (and not credited since) */
    bool add_base;      /* MV_FOUND: only increments were found: value is their sum, add the base */
    uint32_t writer;    /* MV_FOUND: the highest transaction that wrote or credited the value */
} mv_read_result;

/* Whether a transaction below tx may have written loc in this block
 * (increments and ESTIMATEs included). False means none has: a read of
 * loc by tx from the base state still holds. Reads no lock. */
bool mv_written_below(mv_memory *m, const location *loc, uint32_t tx);

/* Reads loc as transaction `reader` sees it: the highest version below it,
 * plus, for increments (MV_DELTA), every increment down to the last full
 * version. */
mv_read_result mv_read(mv_memory *m, const location *loc, uint32_t reader);

/* A transaction's write of one location. */
typedef struct {
    location loc;
    uint32_t flags; /* MV_DELETED, MV_DELTA (a balance increment: value is the amount) */
    u256 value;
} mv_write;

/* Records the writes of tx's new incarnation, replacing the previous
 * incarnation's; locations the previous incarnation wrote but this one does
 * not are removed (prev/n_prev: the previous write set). Needs n reserved
 * cells; adds the cells it created to *created. Returns true if a location
 * not written by the previous incarnation was written (the scheduler then
 * revalidates all higher transactions). */
bool mv_record(mv_memory *m, uint32_t tx, const mv_write *writes, size_t n, const mv_write *prev, size_t n_prev,
               size_t *created);
/* Marks tx's writes as ESTIMATE (its incarnation was aborted). */
void mv_mark_estimates(mv_memory *m, uint32_t tx, const mv_write *writes, size_t n);

uint64_t location_hash(const location *loc);

#endif
