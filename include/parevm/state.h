/* The state layer's contracts.
 *
 * state_view: the read-only seam through which execution sees the world. The
 * sequential executor's in-memory state, Block-STM's multi-version memory and
 * the LMDB reader each implement it. Reads are by field so that a view which
 * records reads (Block-STM) records only what was really used.
 *
 * change_set: the only output of executing a transaction (ARCHITECTURE.md,
 * invariant 2): per account, the fields written, balance deltas, storage
 * writes and deletion.
 *
 * mem_state: a complete in-memory world state (accounts, storage, code),
 * used for state tests and block replay; it is a state_view and can apply
 * change sets. */
#ifndef PAREVM_STATE_H
#define PAREVM_STATE_H

#include "buf.h"
#include "evm.h"

/* Which parts of an account a reader needs. */
enum { FIELD_BALANCE = 1, FIELD_NONCE = 2, FIELD_CODE = 4, FIELD_ALL = 7 };

typedef struct {
    u256 balance;
    uint64_t nonce;
    bytes32 code_hash; /* EMPTY_CODE_HASH when there is no code */
} account_info;

/* Whether a view may be read from several threads at once is for its
 * implementation's header to say (db snapshots, block_state, state_recorder,
 * the witness state; a mem_state while nothing modifies it). */
typedef struct state_view_ops {
    /* Fills *out (zeroes and EMPTY_CODE_HASH for a missing account) and
     * returns whether the account exists. fields says which parts the caller
     * will use. */
    bool (*get_account)(void *ctx, const address *addr, unsigned fields, account_info *out);
    u256 (*get_storage)(void *ctx, const address *addr, const u256 *key);
    /* Whether the account has any storage (EIP-7610 creation collision). */
    bool (*has_storage)(void *ctx, const address *addr);
    /* The account's code (EVM_EMPTY_CODE if none); valid while the view is. */
    const evm_code *(*get_code)(void *ctx, const address *addr);
    /* Hash of block number (zero if unknown). */
    bytes32 (*get_block_hash)(void *ctx, uint64_t number);
} state_view_ops;

typedef struct {
    const state_view_ops *ops;
    void *ctx;
} state_view;

/* ---- Change sets ----------------------------------------------------------- */

enum {
    CHANGE_DELETED = 1,       /* account removed (self-destruct, EIP-161) */
    CHANGE_CREATED = 2,       /* account (re)created: storage reset first */
    CHANGE_BALANCE = 4,       /* balance set to .balance */
    CHANGE_BALANCE_DELTA = 8, /* .balance added to the prior balance */
    CHANGE_NONCE = 16,
    CHANGE_CODE = 32,
    CHANGE_TOUCHED = 64,      /* exists afterwards even if nothing else changed */
};

typedef struct {
    address addr;
    uint32_t flags;
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    uint32_t first_slot, n_slots; /* range in change_set.slots */
} account_change;

typedef struct {
    u256 key, value;
} slot_change;

typedef struct {
    account_change *accounts;
    size_t n_accounts, cap_accounts;
    slot_change *slots;
    size_t n_slots, cap_slots;
} change_set;

/* A change set starts zeroed and belongs to whoever declared it: clear keeps
 * the memory, free releases it. Code objects are not owned (their code
 * store's). The entry add_account returns is valid until the next add; an
 * account's slots are one range, so add_slot takes the last account added. */
void change_set_clear(change_set *cs);
void change_set_free(change_set *cs);
account_change *change_set_add_account(change_set *cs, const address *addr);
void change_set_add_slot(change_set *cs, account_change *ac, const u256 *key, const u256 *value);
/* Appends the first n_accounts entries of src (at most all), each with its
 * slots, to dst (entries for an address already in dst are added again, as
 * change sets apply entries in order). dst and src must differ. */
void change_set_append(change_set *dst, const change_set *src, size_t n_accounts);
/* Appends src's entry i (i < src->n_accounts), with its slots, to dst. */
void change_set_append_entry(change_set *dst, const change_set *src, size_t i);
/* Whether a and b have the same effect, found by a conservative check:
 * true when they hold the same entries in the same order, or an identical
 * first part and then the same entries in another order, where those
 * entries name distinct addresses (each with the same flags, the fields
 * the flags use, the same code object, and its slots: identical, or the
 * same distinct keys with the same values, in any order). Anything else,
 * such as an address repeated after the identical part, gives false,
 * even where the effect is the same. O(n) time; allocates only for
 * entries out of order. */
bool change_set_same(const change_set *a, const change_set *b);

/* ---- Code store ---------------------------------------------------------------- */

/* Interns code objects by hash so that each distinct code is analysed once
 * and lives until the store is destroyed. Thread-safe. */
typedef struct code_store code_store;
code_store *code_store_new(void);
void code_store_free(code_store *cs);
/* Returns the shared object for these bytes (EVM_EMPTY_CODE for len 0). */
const evm_code *code_store_intern(code_store *cs, const uint8_t *bytes, size_t len);
/* The interned object with this hash, or NULL: lets a store that knows a
 * code's hash skip reading and hashing its bytes again. */
const evm_code *code_store_find(code_store *cs, const bytes32 *hash);

/* change_set_codec.c: cs as bytes (RLP, appended to out), every entry in
 * order with the fields its flags use, code as its bytes. */
void change_set_encode(const change_set *cs, buf_t *out);
/* Reads what change_set_encode wrote into cs (cleared first; the caller
 * owns it as ever), interning code in codes. Returns NULL, or why the
 * bytes are not such a record (cs is then empty). */
const char *change_set_decode(const uint8_t *in, size_t len, code_store *codes, change_set *cs);

/* ---- In-memory world state ----------------------------------------------------- */

/* Not thread-safe, but its view may be read from several threads at once
 * while nothing modifies the state (Block-STM's workers, par_block_execute_mem). */
typedef struct mem_state mem_state;

mem_state *mem_state_new(void);
void mem_state_free(mem_state *s);
/* The state's code store (new contract code created on it is interned here). */
code_store *mem_state_codes(mem_state *s);
state_view mem_state_view(mem_state *s);

/* Direct set-up (loading fixtures). */
void mem_state_set_account(mem_state *s, const address *addr, const u256 *balance, uint64_t nonce,
                           const uint8_t *code, size_t code_len);
void mem_state_set_storage(mem_state *s, const address *addr, const u256 *key, const u256 *value);
void mem_state_set_block_hash(mem_state *s, uint64_t number, const bytes32 *hash);
bool mem_state_exists(mem_state *s, const address *addr);

/* Applies a transaction's change set (in order: deletion, creation, fields,
 * storage). */
void mem_state_apply(mem_state *s, const change_set *cs);

/* Deep copy (code objects are shared through the store, which must outlive
 * both copies: the copy uses the original's store). */
mem_state *mem_state_clone(mem_state *s);

/* Iteration for the state root and for comparisons. Visits accounts in an
 * unspecified order; storage of one account likewise. Return false from the
 * callback to stop. */
typedef struct {
    const address *addr;
    const u256 *balance;
    uint64_t nonce;
    const evm_code *code;
} mem_account_ref;
typedef bool (*mem_account_fn)(void *arg, const mem_account_ref *acct);
typedef bool (*mem_slot_fn)(void *arg, const u256 *key, const u256 *value);
void mem_state_each_account(mem_state *s, mem_account_fn fn, void *arg);
void mem_state_each_slot(mem_state *s, const address *addr, mem_slot_fn fn, void *arg);
size_t mem_state_account_count(mem_state *s);

#endif
