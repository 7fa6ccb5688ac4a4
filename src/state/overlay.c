/* The journaled per-transaction state (see overlay.h). Accounts, storage
 * slots and transient slots live in arrays indexed by hash tables; the
 * journal records old values so that overlay_revert() can restore them.
 * Values read from the base view are a cache and are never journaled. */
#include <stdlib.h>
#include "parevm/buf.h"
#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "parevm/overlay.h"

/* Account flags (journaled). */
enum {
    AF_WARM = 1,
    AF_TOUCHED = 2,
    AF_CREATED = 4,        /* created in this tx: storage starts empty */
    AF_DESTRUCTED = 8,
    AF_DIRTY_BALANCE = 16,
    AF_DIRTY_NONCE = 32,
    AF_DIRTY_CODE = 64,
    AF_EXISTS_NEW = 128,   /* brought into existence by a touch (pre-EIP-161) */
};

#define NO_SLOT UINT32_MAX

typedef struct {
    address addr;
    uint16_t flags;
    uint8_t loaded;        /* FIELD_* values known (cache) */
    bool base_exists;      /* valid once loaded != 0 */
    bool sticky_touch;     /* RIPEMD-160 touch that survives reverts */
    u256 balance;          /* the balance if loaded, else a pending delta */
    u256 base_balance;
    uint64_t nonce, base_nonce;
    const evm_code *code;
    uint32_t first_slot;
} ov_account;

/* A storage location of an overlay account: the head of ov_slot and
 * ov_tslot, so that one index type serves both. */
typedef struct {
    uint32_t acct;
    u256 key;
} slot_id;

typedef struct {
    slot_id id;
    uint32_t next; /* next slot of the same account */
    bool warm, loaded;
    u256 value, original;
} ov_slot;

typedef struct {
    slot_id id;
    u256 value;
} ov_tslot;

/* Open-addressing index (linear probing) over an array: the accounts by
 * address, or slots (structs that begin with a slot_id) by (account, key).
 * A cell holds an element number + 1, 0 when empty. */
typedef struct {
    uint32_t *t;
    size_t cap;
} slot_index_table;

enum { J_FLAGS, J_BALANCE, J_NONCE, J_CODE, J_SLOT, J_SLOT_WARM, J_TSLOT, J_LOG };

typedef struct {
    uint8_t kind;
    bool was_loaded;
    uint16_t old_flags;
    uint32_t idx;
    u256 old;
    const evm_code *old_code;
} journal_entry;

#define VEC(type) struct { type *v; size_t n, cap; }
#define VEC_PUSH(vec)                                                             \
    (((vec).n == (vec).cap                                                        \
          ? ((vec).cap = (vec).cap ? (vec).cap * 2 : 64,                          \
             (vec).v = realloc((vec).v, (vec).cap * sizeof *(vec).v),             \
             (vec).v ? (void)0 : abort())                                         \
          : (void)0),                                                             \
     &(vec).v[(vec).n++])

struct overlay {
    state_view view;
    code_store *codes;
    fork_id fork;
    VEC(ov_account) accounts;
    slot_index_table account_index; /* (address) -> accounts entry + 1 */
    VEC(ov_slot) slots;
    slot_index_table slot_index;
    VEC(ov_tslot) tslots;
    slot_index_table tslot_index;
    VEC(journal_entry) journal;
    VEC(overlay_log) logs;
    uint32_t logs_emitted; /* since overlay_begin, reverted ones too */
    buf_t log_data;
    bool cold_precompiles; /* a system call's: precompiles start cold (overlay_cold_precompiles) */
};

static const address RIPEMD_ADDR = {{[19] = 3}};

overlay *overlay_new(void) {
    overlay *ov = calloc(1, sizeof *ov);
    if (!ov) abort();
    return ov;
}

void overlay_free(overlay *ov) {
    if (!ov) return;
    free(ov->accounts.v);
    free(ov->account_index.t);
    free(ov->slots.v);
    free(ov->slot_index.t);
    free(ov->tslots.v);
    free(ov->tslot_index.t);
    free(ov->journal.v);
    free(ov->logs.v);
    buf_free(&ov->log_data);
    free(ov);
}

/* The indexes keep the size the largest transaction gave them. Zeroing a
 * whole index for each transaction made every transaction after one that
 * touched thousands of slots or accounts pay for it: a large index with few
 * entries for its size is emptied entry by entry instead (an entry costs a
 * hash and a probe, some 20 cycles: zeroing 64 cells costs about as much). */
#define INDEX_MIN_CELLS 64
#define INDEX_ZERO_CELLS 1024 /* up to this size, zeroing is cheap anyway */
#define SPARSE_CLEAR_RATIO 64

static uint64_t slot_hash(uint32_t acct, const u256 *key) { return hash_u256(key) ^ hash_mix64(acct + 1); }

#define SLOT_ID(base, stride, i) ((const slot_id *)(const void *)((const char *)(base) + (stride) * (i)))

/* Where entry e of an index's array hashes to. */
typedef size_t (*home_fn)(const void *ctx, size_t e);

/* Empties an index of n entries, whose home cells home(ctx, e) gives.
 * Entries are added in order, also when the table grows, and never removed
 * one by one: removing the last one leaves the table as it was before that
 * one was added, so the entries are found and removed last first. */
static void index_clear(slot_index_table *x, size_t n, home_fn home, const void *ctx) {
    if (!n) return;
    if (x->cap <= INDEX_ZERO_CELLS || n * SPARSE_CLEAR_RATIO > x->cap) {
        memset(x->t, 0, x->cap * sizeof *x->t);
        return;
    }
    size_t mask = x->cap - 1;
    for (size_t e = n; e-- > 0;) {
        size_t i = home(ctx, e) & mask;
        while (x->t[i] != e + 1) {
            if (!x->t[i]) abort(); /* an entry not where it was added */
            i = (i + 1) & mask;
        }
        x->t[i] = 0;
    }
}

/* Indexes entry n - 1 (the last of n). A table that n entries would fill
 * more than half is doubled (or made INDEX_MIN_CELLS) and gets all n
 * again, in order. */
static void index_add(slot_index_table *x, size_t n, home_fn home, const void *ctx) {
    size_t first = n - 1;
    if (n * 2 > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : INDEX_MIN_CELLS;
        free(x->t);
        x->t = calloc(ncap, sizeof *x->t);
        if (!x->t) abort();
        x->cap = ncap;
        first = 0;
    }
    size_t mask = x->cap - 1;
    for (size_t e = first; e < n; e++) {
        size_t i = home(ctx, e) & mask;
        while (x->t[i]) i = (i + 1) & mask;
        x->t[i] = (uint32_t)e + 1;
    }
}

static size_t account_home(const void *ov, size_t e) {
    return hash_address(&((const overlay *)ov)->accounts.v[e].addr);
}

static size_t slot_home(const void *ov, size_t e) {
    const slot_id *id = &((const overlay *)ov)->slots.v[e].id;
    return slot_hash(id->acct, &id->key);
}

static size_t tslot_home(const void *ov, size_t e) {
    const slot_id *id = &((const overlay *)ov)->tslots.v[e].id;
    return slot_hash(id->acct, &id->key);
}

void overlay_begin(overlay *ov, state_view view, code_store *codes, fork_id fork) {
    ov->view = view;
    ov->codes = codes;
    ov->fork = fork;
    index_clear(&ov->account_index, ov->accounts.n, account_home, ov);
    index_clear(&ov->slot_index, ov->slots.n, slot_home, ov);
    index_clear(&ov->tslot_index, ov->tslots.n, tslot_home, ov);
    ov->accounts.n = 0;
    ov->slots.n = 0;
    ov->tslots.n = 0;
    ov->journal.n = 0;
    ov->logs.n = 0;
    ov->logs_emitted = 0;
    buf_clear(&ov->log_data);
    ov->cold_precompiles = false;
}

void overlay_cold_precompiles(overlay *ov) { ov->cold_precompiles = true; }

fork_id overlay_fork(const overlay *ov) { return ov->fork; }
code_store *overlay_codes(overlay *ov) { return ov->codes; }

/* ---- accounts ---- */

static uint32_t account_index(overlay *ov, const address *addr) {
    slot_index_table *x = &ov->account_index;
    if (x->cap) {
        size_t mask = x->cap - 1;
        for (size_t i = hash_address(addr) & mask; x->t[i]; i = (i + 1) & mask)
            if (address_eq(&ov->accounts.v[x->t[i] - 1].addr, addr)) return x->t[i] - 1;
    }
    ov_account *a = VEC_PUSH(ov->accounts);
    memset(a, 0, sizeof *a);
    a->addr = *addr;
    a->code = &EVM_EMPTY_CODE;
    a->first_slot = NO_SLOT;
    index_add(x, ov->accounts.n, account_home, ov);
    return (uint32_t)(ov->accounts.n - 1);
}

static ov_account *account(overlay *ov, const address *addr) {
    uint32_t i = account_index(ov, addr); /* may grow the array: index first */
    return &ov->accounts.v[i];
}

/* Loads the requested fields from the base view (only those not yet known). */
static void load(overlay *ov, ov_account *a, unsigned fields) {
    unsigned need = fields & ~a->loaded;
    if (!need) return;
    account_info info;
    bool exists = ov->view.ops->get_account(ov->view.ctx, &a->addr, need, &info);
    if (!a->loaded) a->base_exists = exists;
    if (need & FIELD_BALANCE) {
        a->base_balance = info.balance;
        a->balance = u256_add(&info.balance, &a->balance); /* fold a pending delta */
    }
    if (need & FIELD_NONCE) a->nonce = a->base_nonce = info.nonce;
    if (need & FIELD_CODE)
        a->code = bytes32_eq(&info.code_hash, &EMPTY_CODE_HASH) ? &EVM_EMPTY_CODE
                                                                : ov->view.ops->get_code(ov->view.ctx, &a->addr);
    a->loaded |= (uint8_t)need;
}

static void journal_flags(overlay *ov, uint32_t idx) {
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_FLAGS;
    e->idx = idx;
    e->old_flags = ov->accounts.v[idx].flags;
}

static void set_flags(overlay *ov, uint32_t idx, uint16_t flags) {
    ov_account *a = &ov->accounts.v[idx];
    if ((a->flags | flags) == a->flags) return;
    journal_flags(ov, idx);
    ov->accounts.v[idx].flags |= flags;
}

/* Reads as little as possible: a pending positive balance increment proves
 * the account non-empty with no read at all (the usual case for the coinbase
 * and value recipients); then code, then nonce, then the balance. */
static bool account_is_empty(overlay *ov, ov_account *a) {
    if (!(a->loaded & FIELD_BALANCE) && !u256_is_zero(&a->balance)) return false;
    if ((a->loaded & FIELD_CODE) && a->code->len) return false;
    if ((a->loaded & FIELD_NONCE) && a->nonce) return false;
    load(ov, a, FIELD_CODE);
    if (a->code->len) return false;
    load(ov, a, FIELD_NONCE);
    if (a->nonce) return false;
    load(ov, a, FIELD_BALANCE);
    return u256_is_zero(&a->balance);
}

bool overlay_exists(overlay *ov, const address *addr) {
    ov_account *a = account(ov, addr);
    if (a->flags & (AF_EXISTS_NEW | AF_CREATED | AF_DIRTY_BALANCE | AF_DIRTY_NONCE | AF_DIRTY_CODE))
        return true;
    if (!a->loaded) load(ov, a, FIELD_NONCE);
    if (a->base_exists) return true;
    /* A view may judge existence by the fields it was asked for only: Block-STM
     * sees an earlier transaction's balance increment (which brought the
     * account into being) on a balance read alone. An account that holds
     * anything exists; an empty one exists only as the view says (deleting it
     * writes every field, so any read sees that). */
    return !account_is_empty(ov, a);
}

bool overlay_is_empty(overlay *ov, const address *addr) { return account_is_empty(ov, account(ov, addr)); }

u256 overlay_balance(overlay *ov, const address *addr) {
    ov_account *a = account(ov, addr);
    load(ov, a, FIELD_BALANCE);
    return a->balance;
}

static void journal_balance(overlay *ov, uint32_t idx) {
    ov_account *a = &ov->accounts.v[idx];
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_BALANCE;
    e->idx = idx;
    e->old_flags = a->flags;
    e->was_loaded = a->loaded & FIELD_BALANCE;
    e->old = a->balance;
}

void overlay_add_balance(overlay *ov, const address *addr, const u256 *amount) {
    uint32_t idx = account_index(ov, addr);
    if (u256_is_zero(amount)) {
        overlay_touch(ov, addr);
        return;
    }
    journal_balance(ov, idx);
    ov_account *a = &ov->accounts.v[idx];
    a->balance = u256_add(&a->balance, amount);
    a->flags |= AF_DIRTY_BALANCE | AF_TOUCHED;
}

void overlay_set_balance(overlay *ov, const address *addr, const u256 *balance) {
    uint32_t idx = account_index(ov, addr);
    load(ov, &ov->accounts.v[idx], FIELD_BALANCE);
    journal_balance(ov, idx);
    ov_account *a = &ov->accounts.v[idx];
    a->balance = *balance;
    a->flags |= AF_DIRTY_BALANCE | AF_TOUCHED;
}

uint64_t overlay_nonce(overlay *ov, const address *addr) {
    ov_account *a = account(ov, addr);
    load(ov, a, FIELD_NONCE);
    return a->nonce;
}

void overlay_set_nonce(overlay *ov, const address *addr, uint64_t nonce) {
    uint32_t idx = account_index(ov, addr);
    ov_account *a = &ov->accounts.v[idx];
    load(ov, a, FIELD_NONCE);
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_NONCE;
    e->idx = idx;
    e->old_flags = a->flags;
    e->old = u256_from_u64(a->nonce);
    a->nonce = nonce;
    a->flags |= AF_DIRTY_NONCE | AF_TOUCHED;
}

const evm_code *overlay_code(overlay *ov, const address *addr) {
    ov_account *a = account(ov, addr);
    load(ov, a, FIELD_CODE);
    return a->code;
}

void overlay_set_code(overlay *ov, const address *addr, const uint8_t *code, size_t len) {
    uint32_t idx = account_index(ov, addr);
    ov_account *a = &ov->accounts.v[idx];
    load(ov, a, FIELD_CODE);
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_CODE;
    e->idx = idx;
    e->old_flags = a->flags;
    e->old_code = a->code;
    a->code = code_store_intern(ov->codes, code, len);
    a->flags |= AF_DIRTY_CODE | AF_TOUCHED;
}

bool overlay_has_storage(overlay *ov, const address *addr) {
    ov_account *a = account(ov, addr);
    if (a->flags & AF_CREATED) return false;
    for (uint32_t s = a->first_slot; s != NO_SLOT; s = ov->slots.v[s].next)
        if (ov->slots.v[s].loaded && !u256_is_zero(&ov->slots.v[s].value)) return true;
    return ov->view.ops->has_storage(ov->view.ctx, addr);
}

void overlay_touch(overlay *ov, const address *addr) {
    uint32_t idx = account_index(ov, addr);
    uint16_t f = AF_TOUCHED;
    if (ov->fork < FORK_SPURIOUS_DRAGON && !overlay_exists(ov, addr)) f |= AF_EXISTS_NEW;
    set_flags(ov, idx, f);
    /* The RIPEMD-160 touch that mainnet block 2,675,119 left in place when the
     * call failed: consensus keeps it through reverts (geth's journal quirk,
     * execution-specs' incorporate_child_on_error), but only a touch of 0x03
     * while it is empty; a value transfer that leaves it non-empty is an
     * ordinary change, undone with its frame. */
    if (address_eq(addr, &RIPEMD_ADDR) && ov->fork >= FORK_SPURIOUS_DRAGON &&
        account_is_empty(ov, &ov->accounts.v[idx]))
        ov->accounts.v[idx].sticky_touch = true;
}

void overlay_failed_call(overlay *ov, const address *recipient) {
    if (ov->fork < FORK_SPURIOUS_DRAGON || !address_eq(recipient, &RIPEMD_ADDR)) return;
    uint32_t idx = account_index(ov, recipient);
    if (overlay_exists(ov, recipient) && account_is_empty(ov, &ov->accounts.v[idx]))
        ov->accounts.v[idx].sticky_touch = true;
}

void overlay_create_account(overlay *ov, const address *addr) {
    set_flags(ov, account_index(ov, addr), AF_CREATED | AF_TOUCHED);
}

bool overlay_created_in_tx(overlay *ov, const address *addr) {
    return account(ov, addr)->flags & AF_CREATED;
}

void overlay_each_slot(overlay *ov, const address *addr, overlay_slot_fn fn, void *arg) {
    for (uint32_t s = account(ov, addr)->first_slot; s != NO_SLOT; s = ov->slots.v[s].next) {
        const ov_slot *sl = &ov->slots.v[s];
        if (sl->loaded) fn(arg, &sl->id.key, &sl->original, &sl->value);
    }
}

bool overlay_selfdestruct(overlay *ov, const address *addr, const address *beneficiary) {
    uint32_t idx = account_index(ov, addr);
    bool first = !(ov->accounts.v[idx].flags & AF_DESTRUCTED);
    u256 bal = overlay_balance(ov, addr);
    static const u256 zero = {{0}};
    bool destroy = ov->fork < FORK_CANCUN || (ov->accounts.v[idx].flags & AF_CREATED);
    if (destroy) {
        /* the balance is credited first, then the account zeroed: a contract
         * that names itself as beneficiary burns its balance */
        overlay_add_balance(ov, beneficiary, &bal);
        overlay_set_balance(ov, addr, &zero);
        set_flags(ov, idx, AF_DESTRUCTED);
    } else if (!address_eq(addr, beneficiary)) {
        overlay_set_balance(ov, addr, &zero);
        overlay_add_balance(ov, beneficiary, &bal);
    } else {
        overlay_touch(ov, beneficiary);
    }
    return first;
}

bool overlay_warm_account(overlay *ov, const address *addr) {
    /* EIP-2929 puts the precompiles in every transaction's access list:
     * answer without an overlay entry for each of them */
    if (ov->fork >= FORK_BERLIN && !ov->cold_precompiles && precompile_is_active(addr, ov->fork)) return false;
    uint32_t idx = account_index(ov, addr);
    if (ov->accounts.v[idx].flags & AF_WARM) return false;
    set_flags(ov, idx, AF_WARM);
    return true;
}

/* ---- storage ---- */

/* Entry number of (acct, key) among n entries at base, or UINT32_MAX. */
static uint32_t index_find(const slot_index_table *x, const void *base, size_t stride, uint32_t acct, const u256 *key) {
    if (!x->cap) return UINT32_MAX;
    size_t mask = x->cap - 1;
    for (size_t i = slot_hash(acct, key) & mask; x->t[i]; i = (i + 1) & mask) {
        const slot_id *id = SLOT_ID(base, stride, x->t[i] - 1);
        if (id->acct == acct && u256_eq(&id->key, key)) return x->t[i] - 1;
    }
    return UINT32_MAX;
}

static uint32_t slot_index(overlay *ov, uint32_t acct, const u256 *key) {
    uint32_t si = index_find(&ov->slot_index, ov->slots.v, sizeof(ov_slot), acct, key);
    if (si != UINT32_MAX) return si;
    ov_slot *s = VEC_PUSH(ov->slots);
    memset(s, 0, sizeof *s);
    s->id.acct = acct;
    s->id.key = *key;
    si = (uint32_t)(ov->slots.n - 1);
    s->next = ov->accounts.v[acct].first_slot;
    ov->accounts.v[acct].first_slot = si;
    index_add(&ov->slot_index, ov->slots.n, slot_home, ov);
    return si;
}

static ov_slot *loaded_slot(overlay *ov, const address *addr, const u256 *key) {
    uint32_t acct = account_index(ov, addr);
    uint32_t si = slot_index(ov, acct, key);
    ov_slot *s = &ov->slots.v[si];
    if (!s->loaded) {
        s->value = ov->accounts.v[acct].flags & AF_CREATED
                       ? U256_ZERO
                       : ov->view.ops->get_storage(ov->view.ctx, addr, key);
        s->original = s->value;
        s->loaded = true;
    }
    return s;
}

bool overlay_warm_slot(overlay *ov, const address *addr, const u256 *key) {
    uint32_t si = slot_index(ov, account_index(ov, addr), key);
    if (ov->slots.v[si].warm) return false;
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_SLOT_WARM;
    e->idx = si;
    ov->slots.v[si].warm = true;
    return true;
}

u256 overlay_sload(overlay *ov, const address *addr, const u256 *key) {
    return loaded_slot(ov, addr, key)->value;
}

void overlay_sstore(overlay *ov, const address *addr, const u256 *key, const u256 *value,
                    u256 *original, u256 *current) {
    ov_slot *s = loaded_slot(ov, addr, key);
    *original = s->original;
    *current = s->value;
    if (u256_eq(&s->value, value)) return;
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_SLOT;
    e->idx = (uint32_t)(s - ov->slots.v);
    e->old = s->value;
    s->value = *value;
}

static ov_tslot *find_tslot(overlay *ov, const address *addr, const u256 *key) {
    uint32_t acct = account_index(ov, addr);
    uint32_t i = index_find(&ov->tslot_index, ov->tslots.v, sizeof(ov_tslot), acct, key);
    return i == UINT32_MAX ? NULL : &ov->tslots.v[i];
}

u256 overlay_tload(overlay *ov, const address *addr, const u256 *key) {
    ov_tslot *t = find_tslot(ov, addr, key);
    return t ? t->value : U256_ZERO;
}

void overlay_tstore(overlay *ov, const address *addr, const u256 *key, const u256 *value) {
    ov_tslot *t = find_tslot(ov, addr, key);
    if (!t) {
        uint32_t acct = account_index(ov, addr);
        t = VEC_PUSH(ov->tslots);
        t->id.acct = acct;
        t->id.key = *key;
        t->value = U256_ZERO;
        index_add(&ov->tslot_index, ov->tslots.n, tslot_home, ov);
    }
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_TSLOT;
    e->idx = (uint32_t)(t - ov->tslots.v);
    e->old = t->value;
    t->value = *value;
}

/* ---- logs ---- */

static void add_log(overlay *ov, const address *addr, const bytes32 *topics, size_t n, const uint8_t *data,
                    size_t len, bool synthetic) {
    journal_entry *e = VEC_PUSH(ov->journal);
    e->kind = J_LOG;
    e->idx = (uint32_t)ov->logs.n;
    e->old = u256_from_u64(ov->log_data.len);
    overlay_log *l = VEC_PUSH(ov->logs);
    l->addr = *addr;
    l->n_topics = (uint32_t)n;
    l->synthetic = synthetic;
    l->seq = ov->logs_emitted++;
    for (size_t i = 0; i < n; i++) l->topics[i] = topics[i];
    l->data_off = ov->log_data.len;
    l->data_len = len;
    buf_append(&ov->log_data, data, len);
}

void overlay_add_log(overlay *ov, const address *addr, const bytes32 *topics, size_t n,
                     const uint8_t *data, size_t len) {
    add_log(ov, addr, topics, n, data, len, false);
}

void overlay_add_synthetic_log(overlay *ov, const address *addr, const bytes32 *topics, size_t n,
                               const uint8_t *data, size_t len) {
    add_log(ov, addr, topics, n, data, len, true);
}

uint32_t overlay_logs_emitted(const overlay *ov) { return ov->logs_emitted; }

const overlay_log *overlay_logs(const overlay *ov, size_t *n) {
    *n = ov->logs.n;
    return ov->logs.v;
}

const uint8_t *overlay_log_data(const overlay *ov) { return ov->log_data.data; }

bytes32 overlay_block_hash(overlay *ov, uint64_t number) {
    return ov->view.ops->get_block_hash(ov->view.ctx, number);
}

/* ---- journal ---- */

size_t overlay_snapshot(const overlay *ov) { return ov->journal.n; }

void overlay_revert(overlay *ov, size_t snapshot) {
    while (ov->journal.n > snapshot) {
        journal_entry *e = &ov->journal.v[--ov->journal.n];
        switch (e->kind) {
        case J_SLOT: ov->slots.v[e->idx].value = e->old; continue;
        case J_SLOT_WARM: ov->slots.v[e->idx].warm = false; continue;
        case J_TSLOT: ov->tslots.v[e->idx].value = e->old; continue;
        case J_LOG:
            ov->logs.n = e->idx;
            ov->log_data.len = (size_t)e->old.w[0];
            continue;
        default: break;
        }
        ov_account *a = &ov->accounts.v[e->idx];
        switch (e->kind) {
        case J_BALANCE:
            /* recorded as a delta but loaded since: rebuild the full value */
            if (!e->was_loaded && (a->loaded & FIELD_BALANCE))
                a->balance = u256_add(&a->base_balance, &e->old);
            else
                a->balance = e->old;
            break;
        case J_NONCE: a->nonce = e->old.w[0]; break;
        case J_CODE: a->code = e->old_code; break;
        default: break;
        }
        a->flags = e->old_flags;
    }
}

/* ---- end of transaction ---- */

static void emit_account(overlay *ov, ov_account *a, change_set *out) {
    uint32_t flags = 0;
    if (a->flags & AF_CREATED) flags |= CHANGE_CREATED;
    if (a->flags & AF_DIRTY_BALANCE) {
        if (!(a->loaded & FIELD_BALANCE)) {
            if (!u256_is_zero(&a->balance)) flags |= CHANGE_BALANCE_DELTA;
        } else if (!u256_eq(&a->balance, &a->base_balance) || !a->base_exists) {
            flags |= CHANGE_BALANCE;
        }
    }
    if ((a->flags & AF_DIRTY_NONCE) && (a->nonce != a->base_nonce || !a->base_exists)) flags |= CHANGE_NONCE;
    if (a->flags & AF_DIRTY_CODE) flags |= CHANGE_CODE;
    if ((a->flags & AF_EXISTS_NEW) && !(a->loaded && a->base_exists)) flags |= CHANGE_TOUCHED;
    account_change *ac = NULL;
    bool created = a->flags & AF_CREATED;
    for (uint32_t s = a->first_slot; s != NO_SLOT; s = ov->slots.v[s].next) {
        ov_slot *sl = &ov->slots.v[s];
        if (!sl->loaded) continue;
        bool changed = created ? !u256_is_zero(&sl->value) : !u256_eq(&sl->value, &sl->original);
        if (!changed) continue;
        if (!ac) ac = change_set_add_account(out, &a->addr);
        change_set_add_slot(out, ac, &sl->id.key, &sl->value);
    }
    if (!flags && !ac) return;
    if (!ac) ac = change_set_add_account(out, &a->addr);
    ac->flags = flags;
    ac->balance = a->balance;
    ac->nonce = a->nonce;
    ac->code = a->code;
}

void overlay_finish(overlay *ov, change_set *out) {
    change_set_clear(out);
    for (size_t i = 0; i < ov->accounts.n; i++) {
        ov_account *a = &ov->accounts.v[i];
        bool touched = (a->flags & AF_TOUCHED) || a->sticky_touch;
        bool remove = a->flags & AF_DESTRUCTED;
        if (!remove && touched && ov->fork >= FORK_SPURIOUS_DRAGON) remove = account_is_empty(ov, a);
        if (remove) {
            if (!a->loaded) load(ov, a, FIELD_NONCE);
            if (a->base_exists) change_set_add_account(out, &a->addr)->flags = CHANGE_DELETED;
            continue;
        }
        emit_account(ov, a, out);
    }
}
