/* The state work set of a store operation (db_internal.h): the accounts and
 * slots it changes, loaded from the state before it, updated by change sets
 * (or by an unwind), turned into trie jobs (storage tries in parallel, then
 * the account trie) and finally into table writes. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "db_internal.h"

/* A fresh account: no nonce, no balance, no code. */
static db_account zero_account(void) {
    db_account a = {0};
    a.code_hash = EMPTY_CODE_HASH;
    return a;
}

void work_init(work_set *w, db *d, MDB_txn *rt) {
    memset(w, 0, sizeof *w);
    w->d = d;
    w->rt = rt;
    w->base_id = mdb_txn_id(rt);
    w->read_id = w->base_id; /* a write transaction's id is no reader's */
}

const char *work_check_base(const work_set *w, MDB_txn *txn) {
    return mdb_txn_id(txn) == w->base_id + 1 ? NULL : "the store changed during the operation (another writer?)";
}

void work_free(work_set *w) {
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        free(a->slots);
        word_map_free(&a->slot_index);
        free(a->wiped_prior);
        free(a->changes);
        buf_free(&a->change_vals);
    }
    free(w->a);
    addr_map_free(&w->index);
    trie_updates_free(&w->updates);
    buf_free(&w->leaf_vals);
    free(w->acct_changes);
    memset(w, 0, sizeof *w);
}

/* The entry of addr in the newest unwritten ancestor from w->parents[from]
 * on that has one (chained previews), or NULL; *at (if given): its place. */
static const acct_work *ancestor_account(const work_set *w, const address *addr, size_t from, size_t *at) {
    for (size_t k = from; k < w->n_parents; k++) {
        uint32_t i;
        if (addr_map_get(&w->parents[k]->index, addr, &i)) {
            if (at) *at = k;
            return &w->parents[k]->a[i];
        }
    }
    return NULL;
}

static const acct_work *parent_account(const work_set *w, const address *addr) {
    return ancestor_account(w, addr, 0, NULL);
}

/* The value of addr's slot key after the unwritten ancestors, when one of
 * them wrote it (none wiped stored storage: db_preview_root_chain). */
static const u256 *parent_slot(const work_set *w, const address *addr, const u256 *key) {
    size_t k = 0;
    const acct_work *pa;
    while ((pa = ancestor_account(w, addr, k, &k))) {
        const u256 *at = word_map_get(&pa->slot_index, key);
        if (at) return &pa->slots[at->w[0] - 1].value;
        k++;
    }
    return NULL;
}

/* The prior state of an account or a slot, read ahead on the pool
 * (prefetch below); ok is false where nothing was read. */
typedef struct {
    bool ok, exists;
    bool logged; /* the account came from the read log */
    db_account acct;
    bytes32 haddr, storage_root;
} fetched_account;

typedef struct {
    bool ok, logged;
    u256 value;
    bytes32 hkey; /* keccak(key), for the trie and the hashed row */
} fetched_slot;

/* The read log, where it shows the commit w->rt shows. */
static const read_index *usable_log(const work_set *w) {
    return w->reads && w->read_id && w->reads->txn_id == w->read_id ? w->reads : NULL;
}

/* Reads addr's stored state from txn (or the read log): 0 (not found is
 * an empty account) or an LMDB code. The storage root comes with it
 * (execution's reads log it too). */
static int load_account(const work_set *w, MDB_txn *txn, const address *addr, const bytes32 *haddr,
                        fetched_account *f) {
    const read_index *log = usable_log(w);
    const logged_account *e = log ? read_index_account(log, addr) : NULL;
    f->logged = e != NULL;
    f->haddr = haddr ? *haddr : keccak256_hash(addr->b, 20);
    int rc;
    if (e) {
        rc = e->exists ? 0 : MDB_NOTFOUND;
        f->acct = e->acct;
        f->storage_root = e->storage_root;
    } else {
        rc = db_get_account(w->d, txn, addr, &f->haddr, &f->acct, &f->storage_root);
    }
    if (rc && rc != MDB_NOTFOUND) return rc;
    f->exists = rc == 0;
    if (!f->exists) {
        f->acct = zero_account();
        f->storage_root = EMPTY_TRIE_ROOT;
    }
    return 0;
}

/* The stored value of slot key of the account addr (keccak haddr), from txn
 * or the read log: 0 or an LMDB code. hkey is db_slot_hash(key). */
static int load_slot(const work_set *w, MDB_txn *txn, const address *addr, const bytes32 *haddr, const u256 *key,
                     const bytes32 *hkey, u256 *out, bool *logged) {
    const read_index *log = usable_log(w);
    const logged_slot *e = log ? read_index_slot(log, addr, key) : NULL;
    *logged = e != NULL;
    if (e) {
        *out = e->value;
        return 0;
    }
    int rc = db_get_slot(w->d, txn, haddr, key, hkey, out);
    if (rc == MDB_NOTFOUND) *out = U256_ZERO;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* work_account, with addr's stored state already read when f is given. */
static int account_entry(work_set *w, const address *addr, const fetched_account *f, acct_work **out) {
    uint32_t i;
    if (addr_map_get(&w->index, addr, &i)) {
        *out = &w->a[i];
        return 0;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->a = realloc(w->a, w->cap * sizeof *w->a);
        if (!w->a) abort();
    }
    acct_work *a = &w->a[w->n];
    memset(a, 0, sizeof *a);
    a->addr = *addr;
    const acct_work *pa = parent_account(w, addr);
    if (pa) { /* the newest ancestor's final state */
        a->haddr = keccak256_hash(addr->b, 20);
        a->prior_exists = a->exists = pa->exists;
        a->prior = a->acct = pa->exists ? pa->acct : zero_account();
        a->storage_root = pa->exists ? pa->storage_root : EMPTY_TRIE_ROOT;
    } else {
        fetched_account mine;
        if (f && f->ok) {
            w->n_read_ahead++;
        } else {
            int rc = load_account(w, w->rt, addr, NULL, &mine);
            if (rc) return rc;
            f = &mine;
        }
        w->n_from_log += f->logged;
        a->haddr = f->haddr;
        a->prior_exists = a->exists = f->exists;
        a->prior = a->acct = f->acct;
        a->storage_root = f->storage_root;
    }
    addr_map_put(&w->index, addr, (uint32_t)w->n);
    w->n++;
    *out = a;
    return 0;
}

int work_account(work_set *w, const address *addr, acct_work **out) { return account_entry(w, addr, NULL, out); }

/* work_slot, with the slot's stored value already read when f is given. */
static int slot_entry(work_set *w, acct_work *a, const u256 *key, const fetched_slot *f, slot_work **out) {
    const u256 *at = word_map_get(&a->slot_index, key);
    if (at) {
        *out = &a->slots[at->w[0] - 1];
        return 0;
    }
    u256 cur = U256_ZERO;
    const u256 *pat = w->n_parents ? parent_slot(w, &a->addr, key) : NULL;
    int rc = 0;
    bool ahead = !pat && f && f->ok, logged = false, hashed = false;
    bytes32 hkey;
    if (pat) {
        cur = *pat; /* an unwritten ancestor's value */
    } else if (ahead) {
        cur = f->value, w->n_read_ahead++, logged = f->logged;
        hkey = f->hkey, hashed = true;
    } else {
        hkey = db_slot_hash(key), hashed = true;
        rc = load_slot(w, w->rt, &a->addr, &a->haddr, key, &hkey, &cur, &logged);
    }
    if (rc) return rc;
    w->n_from_log += logged;
    if (a->n_slots == a->cap_slots) {
        a->cap_slots = a->cap_slots ? a->cap_slots * 2 : 8;
        a->slots = realloc(a->slots, a->cap_slots * sizeof *a->slots);
        if (!a->slots) abort();
    }
    slot_work *s = &a->slots[a->n_slots++];
    memset(s, 0, sizeof *s);
    s->key = *key;
    s->prior = cur;
    s->prior_set = true;
    s->value = a->wiped ? U256_ZERO : cur;
    if (hashed) {
        s->hkey = hkey;
        s->hashed = true;
    }
    u256 idx = u256_from_u64(a->n_slots);
    word_map_put(&a->slot_index, key, &idx);
    *out = s;
    return 0;
}

int work_slot(work_set *w, acct_work *a, const u256 *key, slot_work **out) { return slot_entry(w, a, key, NULL, out); }

/* Wipes a's storage: every slot is zero from now on; the slots it had
 * before are kept for the change set. */
static int wipe(work_set *w, acct_work *a) {
    for (size_t i = 0; i < a->n_slots; i++) a->slots[i].value = U256_ZERO;
    if (a->wiped) return 0;
    a->wiped = true;
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->rt, w->d->t[T_HSTORAGE], &c);
    if (rc) return rc;
    MDB_val k = mval(a->haddr.b, 32), v;
    size_t cap = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 64) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (memcmp(k.mv_data, a->haddr.b, 32) != 0) break;
        u256 key, val;
        if (!db_slot_row_decode(v.mv_data, v.mv_size, &key, &val)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (a->n_wiped_prior == cap) {
            cap = cap ? cap * 2 : 16;
            a->wiped_prior = realloc(a->wiped_prior, cap * sizeof *a->wiped_prior);
            if (!a->wiped_prior) abort();
        }
        slot_work *s = &a->wiped_prior[a->n_wiped_prior++];
        memset(s, 0, sizeof *s);
        s->key = key;
        s->prior = val;
        memcpy(s->hkey.b, (uint8_t *)k.mv_data + 32, 32);
        s->hashed = true;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- Reading ahead ----
 * A large change set's prior state (accounts with their storage roots, and
 * slots) is read on the pool before work_apply takes its entries in order:
 * the B-tree lookups are most of applying it. Each task reads in a read
 * transaction of its own, and only if that one shows w->rt's state (its id
 * is w->read_id); whatever a task did not read is read in order from w->rt
 * as before, so the result never depends on the read-ahead. */

enum { PREFETCH_MIN = 128, PREFETCH_TASK = 64, PREFETCH_WINDOW = 16384 };

/* One entry to read: account change acct, or slot change slot of it
 * (SIZE_MAX: the account itself), and what was read (a for the account,
 * s for a slot). */
typedef struct {
    uint32_t acct;
    size_t slot;
    union {
        fetched_account a;
        fetched_slot s;
    };
} prefetch_item;

/* A window of cs's account changes, each followed by its slot changes. */
typedef struct {
    work_set *w;
    const change_set *cs;
    prefetch_item *items;
    size_t n_items, cap;
} prefetch_job;

/* Whether work_apply will take addr (and key, if given) from w or the
 * parent block rather than from the store. */
static bool known(const work_set *w, const address *addr, const u256 *key) {
    uint32_t i;
    const acct_work *a = addr_map_get(&w->index, addr, &i) ? &w->a[i] : NULL;
    if (a && !key) return true;
    if (a && word_map_get(&a->slot_index, key)) return true;
    return key ? parent_slot(w, addr, key) != NULL : parent_account(w, addr) != NULL;
}

/* Whether work_apply will read addr (and key, if given) from the store:
 * neither w, the parent block nor the read log has it. */
static bool to_read(const work_set *w, const address *addr, const u256 *key) {
    if (known(w, addr, key)) return false;
    const read_index *log = usable_log(w);
    if (!log) return true;
    return key ? !read_index_slot(log, addr, key) : !read_index_account(log, addr);
}

/* Reads a task's PREFETCH_TASK items. Their keys (keccak of each address
 * and of each slot's big-endian form) are hashed first, all together
 * (keccak256_many), then the rows are read. */
static void prefetch_task(void *arg, size_t t, unsigned worker) {
    (void)worker;
    prefetch_job *j = arg;
    const change_set *cs = j->cs;
    size_t lo = t * PREFETCH_TASK, hi = lo + PREFETCH_TASK < j->n_items ? lo + PREFETCH_TASK : j->n_items;
    MDB_txn *txn;
    if (db_read_begin(j->w->d, &txn)) return;
    if (mdb_txn_id(txn) != j->w->read_id) {
        mdb_txn_abort(txn);
        return;
    }
    /* the hashes: of each account's address (an account item, or the
     * task's first item when it is a slot), of each slot key to read */
    const uint8_t *msg[2 * PREFETCH_TASK];
    size_t len[2 * PREFETCH_TASK], n_msg = 0;
    uint8_t *out[2 * PREFETCH_TASK];
    uint8_t be[PREFETCH_TASK][32];
    bytes32 haddr[PREFETCH_TASK];  /* by item: its account's address hash */
    size_t acct_of[PREFETCH_TASK]; /* by item: where that hash is */
    bool read[PREFETCH_TASK];
    for (size_t i = lo; i < hi; i++) {
        const prefetch_item *it = &j->items[i];
        const address *addr = &cs->accounts[it->acct].addr;
        bool acct_item = it->slot == SIZE_MAX;
        if (acct_item || i == lo) {
            msg[n_msg] = addr->b, len[n_msg] = 20, out[n_msg++] = haddr[i - lo].b;
            acct_of[i - lo] = i - lo;
        } else {
            acct_of[i - lo] = acct_of[i - lo - 1];
        }
        read[i - lo] = !known(j->w, addr, acct_item ? NULL : &cs->slots[it->slot].key);
        if (acct_item || !read[i - lo]) continue;
        u256_to_be(&cs->slots[it->slot].key, be[i - lo]);
        msg[n_msg] = be[i - lo], len[n_msg] = 32, out[n_msg++] = j->items[i].s.hkey.b;
    }
    keccak256_many(n_msg, msg, len, out); /* off the storage job's thread */
    for (size_t i = lo; i < hi; i++) {
        if (!read[i - lo]) continue;
        prefetch_item *it = &j->items[i];
        const address *addr = &cs->accounts[it->acct].addr;
        const bytes32 *ha = &haddr[acct_of[i - lo]];
        if (it->slot == SIZE_MAX) {
            it->a.ok = load_account(j->w, txn, addr, ha, &it->a) == 0;
            continue;
        }
        const u256 *key = &cs->slots[it->slot].key;
        it->s.ok = load_slot(j->w, txn, addr, ha, key, &it->s.hkey, &it->s.value, &it->s.logged) == 0;
    }
    mdb_txn_abort(txn);
}

/* Reads ahead for account changes [from, *to), *to chosen so that the
 * window holds at most PREFETCH_WINDOW entries (an account with more slots
 * forms a window of its own, read in order). false: nothing read. */
static bool prefetch(prefetch_job *j, size_t from, size_t *to) {
    const change_set *cs = j->cs;
    size_t n = 0, end = from;
    while (end < cs->n_accounts && (end == from || n + 1 + cs->accounts[end].n_slots <= PREFETCH_WINDOW))
        n += 1 + cs->accounts[end++].n_slots;
    *to = end;
    work_set *w = j->w;
    task_pool *pool = w->pool ? w->pool : w->d->pool;
    if (n < PREFETCH_MIN || n > PREFETCH_WINDOW || task_pool_threads(pool) < 2 || w->read_id == 0) return false;
    /* A work set that already holds most of the window (the rounds of
     * db_preroot), or whose read log does, has little to read from the
     * store: not worth the hand-off. A round's pool threads compete with
     * execution's for the cores: in bench engine (erc20 over 1M accounts,
     * 2 threads) a round's apply of ~170 new accounts and their slots, all
     * logged, took 1.8 ms on average through the pool and 1.4 ms without,
     * and the applies over 3 ms fell from 15 to 8 in about 85. */
    size_t unknown = 0;
    for (size_t i = from; i < end && unknown < PREFETCH_MIN; i++) {
        const account_change *ac = &cs->accounts[i];
        unknown += to_read(w, &ac->addr, NULL);
        for (size_t k = 0; k < ac->n_slots && unknown < PREFETCH_MIN; k++)
            unknown += to_read(w, &ac->addr, &cs->slots[ac->first_slot + k].key);
    }
    if (unknown < PREFETCH_MIN) return false;
    if (n > j->cap) {
        j->cap = n;
        free(j->items);
        j->items = malloc(n * sizeof *j->items);
        if (!j->items) abort();
    }
    j->n_items = 0;
    for (size_t i = from; i < end; i++) {
        const account_change *ac = &cs->accounts[i];
        for (size_t k = 0; k <= ac->n_slots; k++) {
            prefetch_item *it = &j->items[j->n_items++];
            it->acct = (uint32_t)i;
            it->slot = k ? ac->first_slot + k - 1 : SIZE_MAX;
            if (k) it->s.ok = false;
            else it->a.ok = false;
        }
    }
    task_pool_run(pool, (j->n_items + PREFETCH_TASK - 1) / PREFETCH_TASK, prefetch_task, j);
    return true;
}

/* Applies account change i of cs; ahead (or NULL) is what was read ahead
 * for it, followed by its slots. */
static int apply_account(work_set *w, const change_set *cs, size_t i, const prefetch_item *ahead) {
    const account_change *ac = &cs->accounts[i];
    acct_work *a;
    int rc = account_entry(w, &ac->addr, ahead ? &ahead->a : NULL, &a);
    if (rc) return rc;
    a->in_block = a->trie = true;
    if (ac->flags & CHANGE_DELETED) {
        a->exists = false;
        a->acct = zero_account();
        a->code = NULL;
        return wipe(w, a);
    }
    if (!a->exists) {
        a->exists = true;
        a->acct = zero_account();
    }
    if ((ac->flags & CHANGE_CREATED) && (rc = wipe(w, a))) return rc;
    if (ac->flags & CHANGE_BALANCE) a->acct.balance = ac->balance;
    if (ac->flags & CHANGE_BALANCE_DELTA) a->acct.balance = u256_add(&a->acct.balance, &ac->balance);
    if (ac->flags & CHANGE_NONCE) a->acct.nonce = ac->nonce;
    if (ac->flags & CHANGE_CODE) {
        const evm_code *code = ac->code ? ac->code : &EVM_EMPTY_CODE;
        a->acct.code_hash = code->len ? code->hash : EMPTY_CODE_HASH;
        a->code = code->len ? code : NULL;
    }
    /* Room at once for the slots that are new for sure: those beyond the
     * entry's own (a db_preroot round applies the block's changes so far
     * again, nearly all of them known). */
    size_t fresh = ac->n_slots > a->n_slots ? ac->n_slots - a->n_slots : 0;
    if (fresh > a->cap_slots - a->n_slots) {
        size_t need = a->n_slots + fresh;
        a->cap_slots = need > 2 * a->cap_slots ? need : 2 * a->cap_slots;
        a->slots = realloc(a->slots, a->cap_slots * sizeof *a->slots);
        if (!a->slots) abort();
    }
    word_map_reserve(&a->slot_index, fresh);
    for (uint32_t k = 0; k < ac->n_slots; k++) {
        const slot_change *sc = &cs->slots[ac->first_slot + k];
        slot_work *s;
        if ((rc = slot_entry(w, a, &sc->key, ahead ? &ahead[1 + k].s : NULL, &s))) return rc;
        s->value = sc->value;
        s->in_block = true;
    }
    return 0;
}

int work_apply(work_set *w, const change_set *cs) {
    prefetch_job j = {.w = w, .cs = cs};
    size_t fresh = cs->n_accounts > w->n ? cs->n_accounts - w->n : 0; /* new for sure (apply_account) */
    if (fresh > w->cap - w->n) {
        size_t need = w->n + fresh;
        w->cap = need > 2 * w->cap ? need : 2 * w->cap;
        w->a = realloc(w->a, w->cap * sizeof *w->a);
        if (!w->a) abort();
    }
    addr_map_reserve(&w->index, fresh);
    int rc = 0;
    for (size_t from = 0, to; from < cs->n_accounts && !rc; from = to) {
        bool ahead = prefetch(&j, from, &to);
        size_t at = 0;
        for (size_t i = from; i < to && !rc; i++) {
            rc = apply_account(w, cs, i, ahead ? &j.items[at] : NULL);
            at += 1 + cs->accounts[i].n_slots;
        }
    }
    free(j.items);
    return rc;
}

int work_add_history(work_set *w, uint64_t from, uint64_t to) {
    MDB_cursor *ca, *cs;
    int rc = mdb_cursor_open(w->rt, w->d->t[T_ACCT_CHANGES], &ca);
    if (rc) return rc;
    if ((rc = mdb_cursor_open(w->rt, w->d->t[T_STORAGE_CHANGES], &cs))) {
        mdb_cursor_close(ca);
        return rc;
    }
    for (uint64_t m = from; m <= to && !rc; m++) {
        uint8_t num[8];
        put_u64(num, m);
        MDB_val k = mval(num, 8), v;
        for (rc = mdb_cursor_get(ca, &k, &v, MDB_SET_KEY); rc == 0; rc = mdb_cursor_get(ca, &k, &v, MDB_NEXT_DUP)) {
            if (v.mv_size < 20) {
                rc = MDB_CORRUPTED;
                break;
            }
            acct_work *a;
            if ((rc = work_account(w, (const address *)v.mv_data, &a))) break;
            a->trie = true;
        }
        if (rc != MDB_NOTFOUND) break;
        k = mval(num, 8);
        for (rc = mdb_cursor_get(cs, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cs, &k, &v, MDB_NEXT)) {
            if (k.mv_size < 8 || memcmp(k.mv_data, num, 8) != 0) break; /* the next block's rows */
            if (k.mv_size != 28 || v.mv_size < 32) {
                rc = MDB_CORRUPTED;
                break;
            }
            acct_work *a;
            if ((rc = work_account(w, (const address *)((uint8_t *)k.mv_data + 8), &a))) break;
            a->trie = true;
            u256 key = u256_from_be(v.mv_data, 32);
            slot_work *s;
            if ((rc = work_slot(w, a, &key, &s))) break;
        }
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    mdb_cursor_close(ca);
    mdb_cursor_close(cs);
    return rc;
}

void work_slot_hash(slot_work *s) {
    if (s->hashed) return;
    s->hkey = db_slot_hash(&s->key);
    s->hashed = true;
}

void work_hash_slots(work_set *w) {
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < w->a[i].n_slots; k++) work_slot_hash(&w->a[i].slots[k]);
}

/* ---- Roots ---- */

static bool has_storage_job(const acct_work *a) { return a->wiped || a->n_slots > 0; }

/* Builds account i's storage trie changes (keys hashed, sorted). */
static void build_storage_changes(void *arg, size_t i, unsigned worker) {
    work_set *w = arg;
    acct_work *a = &w->a[i];
    if (!has_storage_job(a)) return;
    a->storage_job = true;
    a->changes = malloc((a->n_slots + 1) * sizeof *a->changes);
    if (!a->changes) abort();
    size_t *off = malloc((a->n_slots + 1) * sizeof *off);
    if (!off) abort();
    size_t n = 0;
    for (size_t k = 0; k < a->n_slots; k++) {
        slot_work *s = &a->slots[k];
        work_slot_hash(s); /* kept for the slot row */
        bool zero = u256_is_zero(&s->value);
        if (a->wiped && zero) continue; /* the wiped trie starts empty */
        a->changes[n].key = s->hkey;
        a->changes[n].present = w->trie_at_prior && !u256_is_zero(&s->prior);
        off[n] = a->change_vals.len;
        if (!zero) rlp_encode_u256(&a->change_vals, &s->value);
        a->changes[n].val_len = a->change_vals.len - off[n];
        n++;
    }
    /* no buffer when every value is a deletion (val NULL, val_len 0) */
    for (size_t k = 0; k < n; k++) a->changes[k].val = a->change_vals.data ? a->change_vals.data + off[k] : NULL;
    free(off);
    a->n_changes = n;
    trie_changes_sort(a->changes, n);
}

const char *work_roots(work_set *w) {
    task_pool *pool = w->pool ? w->pool : w->d->pool;
    task_pool_run(pool, w->n, build_storage_changes, w);
    size_t n_jobs = 0;
    for (size_t i = 0; i < w->n; i++) n_jobs += w->a[i].storage_job;
    trie_job *jobs = calloc(n_jobs + 1, sizeof *jobs);
    size_t *which = calloc(n_jobs + 1, sizeof *which);
    if (!jobs || !which) abort();
    n_jobs = 0;
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        if (!a->storage_job) continue;
        which[n_jobs] = i;
        jobs[n_jobs++] = (trie_job){.has_owner = true, .owner = a->haddr, .wiped = a->wiped,
                                    .changes = a->changes, .n_changes = a->n_changes};
    }
    trie_store store = w->trie ? *w->trie : db_trie_store(w->d);
    const char *err = trie_update_roots(&store, pool, jobs, n_jobs, &w->updates);
    for (size_t j = 0; !err && j < n_jobs; j++) w->a[which[j]].storage_root = jobs[j].root;
    free(jobs);
    free(which);
    if (err) return err;

    /* the account trie: every account whose leaf may have changed */
    size_t *off = malloc((w->n + 1) * sizeof *off);
    w->acct_changes = malloc((w->n + 1) * sizeof *w->acct_changes);
    if (!off || !w->acct_changes) abort();
    size_t n = 0;
    buf_clear(&w->leaf_vals);
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        if (!a->trie) continue;
        trie_change *c = &w->acct_changes[n];
        c->key = a->haddr;
        c->present = w->trie_at_prior && a->prior_exists;
        off[n] = w->leaf_vals.len;
        if (a->exists) db_leaf_encode(&a->acct, &a->storage_root, &w->leaf_vals);
        c->val_len = w->leaf_vals.len - off[n];
        n++;
    }
    for (size_t k = 0; k < n; k++) w->acct_changes[k].val = w->leaf_vals.data ? w->leaf_vals.data + off[k] : NULL;
    free(off);
    w->n_acct_changes = n;
    trie_changes_sort(w->acct_changes, n);
    trie_job job = {.changes = w->acct_changes, .n_changes = n};
    err = trie_update_roots(&store, pool, &job, 1, &w->updates);
    w->root = job.root;
    return err;
}

/* ---- Writes ---- */

static int del_ok(int rc) { return rc == MDB_NOTFOUND ? 0 : rc; }

static int put(MDB_txn *txn, MDB_dbi t, const void *k, size_t kn, const void *v, size_t vn) {
    MDB_val key = mval(k, kn), val = mval(v, vn);
    return mdb_put(txn, t, &key, &val, 0);
}

static int del(MDB_txn *txn, MDB_dbi t, const void *k, size_t kn) {
    MDB_val key = mval(k, kn);
    return del_ok(mdb_del(txn, t, &key, NULL));
}

/* The row of a slot, keyed by the hashed slot (the wiped range is gone already). */
static int write_slot(work_set *w, MDB_txn *txn, const acct_work *a, const slot_work *s) {
    uint8_t hk[64], row[DB_SLOT_PREIMAGE + 33];
    memcpy(hk, a->haddr.b, 32);
    memcpy(hk + 32, s->hkey.b, 32);
    if (u256_is_zero(&s->value)) return a->wiped ? 0 : del(txn, w->d->t[T_HSTORAGE], hk, 64);
    return put(txn, w->d->t[T_HSTORAGE], hk, 64, row, db_slot_row_encode(&s->key, &s->value, row));
}

/* The change set rows of account a for block number. */
static int write_changes(work_set *w, MDB_txn *txn, const acct_work *a, uint64_t number, buf_t *tmp) {
    db *d = w->d;
    uint8_t key[28];
    put_u64(key, number);
    memcpy(key + 8, a->addr.b, 20);
    bool acct_changed = a->exists != a->prior_exists ||
                        (a->exists && (a->acct.nonce != a->prior.nonce || !u256_eq(&a->acct.balance, &a->prior.balance) ||
                                       !bytes32_eq(&a->acct.code_hash, &a->prior.code_hash)));
    if (acct_changed) {
        buf_clear(tmp);
        buf_append(tmp, a->addr.b, 20);
        if (a->prior_exists) db_account_encode(&a->prior, tmp);
        int rc = put(txn, d->t[T_ACCT_CHANGES], key, 8, tmp->data, tmp->len);
        if (rc) return rc;
    }
    uint8_t row[64];
    for (size_t i = 0; i < a->n_wiped_prior; i++) {
        const slot_work *s = &a->wiped_prior[i];
        if (word_map_get(&a->slot_index, &s->key)) continue; /* its slot entry records it */
        u256_to_be(&s->key, row);
        int rc = put(txn, d->t[T_STORAGE_CHANGES], key, 28, row, 32 + db_word_encode(&s->prior, row + 32));
        if (rc) return rc;
    }
    for (size_t i = 0; i < a->n_slots; i++) {
        const slot_work *s = &a->slots[i];
        if (!s->in_block && !a->wiped) continue;
        /* Unchanged slots need no row, except in a wiped storage: there
         * every slot it had is listed, so that a trie catching up over this
         * block revisits (and rewrites) every path of the old trie. */
        if (u256_eq(&s->prior, &s->value) && (!a->wiped || u256_is_zero(&s->prior))) continue;
        u256_to_be(&s->key, row);
        int rc = put(txn, d->t[T_STORAGE_CHANGES], key, 28, row, 32 + db_word_encode(&s->prior, row + 32));
        if (rc) return rc;
    }
    return 0;
}

/* ---- Writing in key order ----
 * Rows are written table by table, each table's rows in key order, so that
 * consecutive writes share the B-tree pages above them. */

typedef struct {
    uint8_t key[32];
    uint32_t i;
} sort_item;

static int cmp_item(const void *x, const void *y) { return memcmp(x, y, 32); }

static sort_item *sorted(size_t n, void (*key_of)(const void *ctx, size_t i, uint8_t out[32]), const void *ctx) {
    sort_item *v = malloc((n + 1) * sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < n; i++) {
        key_of(ctx, i, v[i].key);
        v[i].i = (uint32_t)i;
    }
    qsort(v, n, sizeof *v, cmp_item);
    return v;
}

static void addr_key(const void *ctx, size_t i, uint8_t out[32]) {
    memset(out, 0, 32);
    memcpy(out, ((const work_set *)ctx)->a[i].addr.b, 20);
}
static void haddr_key(const void *ctx, size_t i, uint8_t out[32]) {
    memcpy(out, ((const work_set *)ctx)->a[i].haddr.b, 32);
}
static void hslot_key(const void *ctx, size_t i, uint8_t out[32]) {
    memcpy(out, ((const acct_work *)ctx)->slots[i].hkey.b, 32);
}

/* code rows and change sets: address order */
static int write_changes_of(work_set *w, MDB_txn *txn, acct_work *a, bool with_changes, uint64_t number,
                            buf_t *tmp) {
    if (!a->in_block) return 0;
    int rc = 0;
    if (a->code) {
        MDB_val k = mval(a->code->hash.b, 32), v = mval(a->code->bytes, a->code->len);
        rc = mdb_put(txn, w->d->t[T_CODE], &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) rc = 0;
    }
    if (!rc && with_changes) rc = write_changes(w, txn, a, number, tmp);
    return rc;
}

/* storage rows, storage-trie wipes, the account row: hashed order */
static int write_state_of(work_set *w, MDB_txn *txn, acct_work *a, buf_t *tmp) {
    db *d = w->d;
    int rc = 0;
    if (a->wiped) rc = db_del_prefix(txn, d->t[T_HSTORAGE], a->haddr.b, 32);
    if (!rc && a->wiped) rc = db_del_prefix(txn, d->t[T_TRIE_STO], a->haddr.b, 32);
    if (!rc && a->n_slots) {
        for (size_t k = 0; k < a->n_slots; k++) work_slot_hash(&a->slots[k]);
        sort_item *order = sorted(a->n_slots, hslot_key, a);
        for (size_t k = 0; !rc && k < a->n_slots; k++)
            if (a->slots[order[k].i].in_block) rc = write_slot(w, txn, a, &a->slots[order[k].i]);
        free(order);
    }
    if (!rc && (a->in_block || a->trie)) {
        if (a->exists) {
            buf_clear(tmp);
            db_account_row_encode(&a->addr, &a->acct, &a->storage_root, tmp);
            rc = put(txn, d->t[T_HACCOUNTS], a->haddr.b, 32, tmp->data, tmp->len);
        } else {
            rc = del(txn, d->t[T_HACCOUNTS], a->haddr.b, 32);
        }
    }
    return rc;
}

/* A branch record's table key: 0x00 | path, or owner | path. */
static size_t record_key(const trie_update *u, uint8_t key[32 + TRIE_NIBBLES]) {
    size_t n = 1;
    if (u->has_owner) {
        memcpy(key, u->owner.b, 32);
        n = 32;
    } else {
        key[0] = 0;
    }
    memcpy(key + n, u->path, u->path_len);
    return n + u->path_len;
}

typedef struct {
    uint8_t key[32 + TRIE_NIBBLES];
    uint8_t len, table;
    size_t pos; /* the update's place in the log */
} record_item;

static int cmp_record_key(const record_item *a, const record_item *b) {
    if (a->table != b->table) return a->table < b->table ? -1 : 1;
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Key order, then log order: of a record written more than once (a kept
 * preview's several rounds), the last write is the one kept. */
static int cmp_record(const void *x, const void *y) {
    const record_item *a = x, *b = y;
    int c = cmp_record_key(a, b);
    return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static int write_records(work_set *w, MDB_txn *txn) {
    record_item *v = malloc((w->updates.count + 1) * sizeof *v);
    if (!v) abort();
    size_t n = 0, pos = 0, at = 0;
    trie_update u;
    while (trie_updates_next(&w->updates, &pos, &u)) {
        v[n].len = (uint8_t)record_key(&u, v[n].key);
        v[n].table = u.has_owner;
        v[n].pos = at;
        n++;
        at = pos;
    }
    qsort(v, n, sizeof *v, cmp_record);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (i + 1 < n && cmp_record_key(&v[i], &v[i + 1]) == 0) continue; /* written again later */
        pos = v[i].pos;
        trie_updates_next(&w->updates, &pos, &u);
        MDB_dbi t = w->d->t[u.has_owner ? T_TRIE_STO : T_TRIE_ACC];
        rc = u.del ? del(txn, t, v[i].key, v[i].len) : put(txn, t, v[i].key, v[i].len, u.rec, u.rec_len);
    }
    free(v);
    return rc;
}

size_t work_rows(const work_set *w) {
    size_t rows = w->updates.count;
    for (size_t i = 0; i < w->n; i++) rows += 3 + 2 * (w->a[i].n_slots + w->a[i].n_wiped_prior);
    return rows;
}

int work_write_changes(work_set *w, MDB_txn *txn, bool with_changes, uint64_t number) {
    buf_t tmp = {0};
    int rc = 0;
    sort_item *order = sorted(w->n, addr_key, w);
    for (size_t i = 0; !rc && i < w->n; i++)
        rc = write_changes_of(w, txn, &w->a[order[i].i], with_changes, number, &tmp);
    free(order);
    buf_free(&tmp);
    return rc;
}

int work_write_state(work_set *w, MDB_txn *txn) {
    buf_t tmp = {0};
    int rc = 0;
    sort_item *order = sorted(w->n, haddr_key, w);
    for (size_t i = 0; !rc && i < w->n; i++) rc = write_state_of(w, txn, &w->a[order[i].i], &tmp);
    free(order);
    buf_free(&tmp);
    return rc ? rc : write_records(w, txn);
}

int work_write(work_set *w, MDB_txn *txn, bool with_changes, uint64_t number) {
    int rc = work_write_changes(w, txn, with_changes, number);
    return rc ? rc : work_write_state(w, txn);
}

/* Unwinds and historical tries: the final values are the priors recorded by
 * blocks to..from (descending, so the earliest block's prior wins). */
int work_restore_priors(work_set *w, uint64_t from, uint64_t to) {
    MDB_cursor *ca, *cs;
    int rc = mdb_cursor_open(w->rt, w->d->t[T_ACCT_CHANGES], &ca);
    if (rc) return rc;
    if ((rc = mdb_cursor_open(w->rt, w->d->t[T_STORAGE_CHANGES], &cs))) {
        mdb_cursor_close(ca);
        return rc;
    }
    for (uint64_t m = to; m >= from && !rc; m--) {
        uint8_t num[8];
        put_u64(num, m);
        MDB_val k = mval(num, 8), v;
        for (rc = mdb_cursor_get(ca, &k, &v, MDB_SET_KEY); rc == 0; rc = mdb_cursor_get(ca, &k, &v, MDB_NEXT_DUP)) {
            acct_work *a;
            if (v.mv_size < 20) rc = MDB_CORRUPTED;
            if (!rc) rc = work_account(w, (const address *)v.mv_data, &a);
            if (rc) break;
            const uint8_t *enc = (const uint8_t *)v.mv_data + 20;
            size_t n = v.mv_size - 20;
            a->in_block = a->trie = true;
            a->exists = n > 0;
            a->acct.nonce = 0;
            a->acct.balance = U256_ZERO;
            a->acct.code_hash = EMPTY_CODE_HASH;
            if (n && !db_account_decode(enc, n, &a->acct)) {
                rc = MDB_CORRUPTED;
                break;
            }
        }
        if (rc != MDB_NOTFOUND) break;
        k = mval(num, 8);
        for (rc = mdb_cursor_get(cs, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cs, &k, &v, MDB_NEXT)) {
            if (k.mv_size < 8 || memcmp(k.mv_data, num, 8) != 0) break;
            u256 key, prior;
            if (k.mv_size != 28 || v.mv_size < 32 || !db_word_decode((uint8_t *)v.mv_data + 32, v.mv_size - 32, &prior)) {
                rc = MDB_CORRUPTED;
                break;
            }
            acct_work *a;
            slot_work *s;
            key = u256_from_be(v.mv_data, 32);
            if ((rc = work_account(w, (const address *)((uint8_t *)k.mv_data + 8), &a))) break;
            if ((rc = work_slot(w, a, &key, &s))) break;
            a->trie = true;
            s->value = prior;
            s->in_block = true;
        }
        if (rc == MDB_NOTFOUND) rc = 0;
        if (m == 0) break;
    }
    mdb_cursor_close(ca);
    mdb_cursor_close(cs);
    return rc;
}
