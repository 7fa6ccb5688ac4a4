/* Read snapshots of the store: the state as a state_view (latest, or at an
 * older block through the change sets), and chain reads.
 *
 * LMDB read transactions must not be used by two threads at once, so a
 * snapshot holds several "lanes" (read transactions that see the same
 * commit: they are opened until their transaction ids agree) and each read
 * takes a free lane for its duration.
 *
 * A logging snapshot also appends what each account and slot read found
 * to its lane's log (db_snapshot_log_reads), for a root previewed on the
 * same commit, or for root rounds that index the logs while execution
 * goes on reading (db_snapshot_follow_logs). */
#include <sched.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "db_internal.h"

/* Reads are keyed by keccak(address) and keccak(slot): a lane remembers
 * the hashes of the keys it read last (direct-mapped), since a block reads
 * the same accounts and slots again and again (each transaction of a token
 * reads the token's account; Block-STM's re-executions read everything
 * again). */
enum { MEMO_WAYS = 64 };

typedef struct {
    bool used;
    address addr;
    bytes32 hash;
} addr_memo;

typedef struct {
    bool used;
    u256 key;
    bytes32 hash;
} slot_memo;

typedef struct {
    addr_memo addrs[MEMO_WAYS];
    slot_memo slots[MEMO_WAYS];
} hash_memo;

typedef struct {
    atomic_flag busy;
    MDB_txn *txn;
    MDB_cursor *storage, *acct_changes, *storage_changes; /* opened on first use */
    hash_memo memo;     /* keccak of recent addresses and slot keys */
} lane;

struct db_snapshot {
    db *d;
    unsigned n_lanes;
    lane *lanes;
    bool has_head;
    uint64_t head;    /* latest committed block */
    bytes32 head_hash;
    uint64_t at;      /* the block whose state is shown (== head unless historical) */
    size_t txn_id;    /* the commit the lanes show */
    _Atomic(const char *) err;
    read_log *logs;   /* by lane, when logging (db_snapshot_log_reads) */
};

static lane *acquire(db_snapshot *s) {
    for (;;) {
        for (unsigned i = 0; i < s->n_lanes; i++)
            if (!atomic_flag_test_and_set_explicit(&s->lanes[i].busy, memory_order_acquire))
                return &s->lanes[i];
        sched_yield();
    }
}

static void release(lane *l) { atomic_flag_clear_explicit(&l->busy, memory_order_release); }

static int cursor(db_snapshot *s, lane *l, MDB_cursor **c, int table) {
    return *c ? 0 : mdb_cursor_open(l->txn, s->d->t[table], c);
}

static void close_lanes(db_snapshot *s) {
    for (unsigned i = 0; i < s->n_lanes; i++) {
        lane *l = &s->lanes[i];
        if (l->storage) mdb_cursor_close(l->storage);
        if (l->acct_changes) mdb_cursor_close(l->acct_changes);
        if (l->storage_changes) mdb_cursor_close(l->storage_changes);
        if (l->txn) mdb_txn_abort(l->txn);
        memset(l, 0, sizeof *l);
    }
}

/* Opens every lane on the same commit (a commit may land between two
 * begins: then all are reopened). */
static int open_lanes(db_snapshot *s) {
    for (int attempt = 0;; attempt++) {
        int rc = 0;
        for (unsigned i = 0; i < s->n_lanes && !rc; i++) rc = db_read_begin(s->d, &s->lanes[i].txn);
        if (rc) {
            close_lanes(s);
            return rc;
        }
        size_t id = mdb_txn_id(s->lanes[0].txn);
        bool same = true;
        for (unsigned i = 1; i < s->n_lanes; i++) same &= mdb_txn_id(s->lanes[i].txn) == id;
        if (same) return 0;
        close_lanes(s);
        if (attempt > 2) sched_yield();
    }
}

static const char *snapshot_new(db *d, unsigned lanes, db_snapshot **out) {
    *out = NULL;
    if (lanes == 0) lanes = 1;
    if (lanes > 256) return "too many snapshot lanes";
    db_snapshot *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->d = d;
    s->n_lanes = lanes;
    s->lanes = calloc(lanes, sizeof *s->lanes);
    if (!s->lanes) abort();
    db_snapshots_enter(d);
    int rc = open_lanes(s);
    if (rc == MDB_MAP_RESIZED) { /* another process grew the map: adopt it */
        db_snapshots_leave(d);
        const char *err = db_adopt_map_size(d);
        db_snapshots_enter(d);
        rc = err ? MDB_MAP_RESIZED : open_lanes(s);
    }
    if (!rc) {
        rc = db_get_head(d, s->lanes[0].txn, &s->head, &s->head_hash);
        s->has_head = rc == 0;
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc) {
        close_lanes(s);
        db_snapshots_leave(d);
        free(s->lanes);
        free(s);
        return db_mdb_error(rc);
    }
    s->at = s->head;
    s->txn_id = mdb_txn_id(s->lanes[0].txn);
    *out = s;
    return NULL;
}

const char *db_snapshot_open(db *d, unsigned lanes, db_snapshot **out) { return snapshot_new(d, lanes, out); }

const char *db_snapshot_has_state(db_snapshot *s, uint64_t number) {
    uint64_t history;
    int rc = s->has_head ? db_get_meta_u64(s->d, s->lanes[0].txn, "history", &history) : MDB_NOTFOUND;
    if (!s->has_head || number > s->head) return "no such block in the store";
    if (rc) return db_mdb_error(rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc);
    if (number + 1 < history) return "the change sets for that block are missing";
    return NULL;
}

const char *db_snapshot_at(db *d, uint64_t number, unsigned lanes, db_snapshot **out) {
    const char *err = snapshot_new(d, lanes, out);
    if (err) return err;
    db_snapshot *s = *out;
    err = db_snapshot_has_state(s, number);
    if (err) {
        db_snapshot_close(s);
        *out = NULL;
        return err;
    }
    s->at = number;
    return NULL;
}

const char *db_oldest_state(db_snapshot *s, uint64_t *number) {
    if (!s->has_head) return DB_NOT_FOUND;
    uint64_t history;
    int rc = db_get_meta_u64(s->d, s->lanes[0].txn, "history", &history);
    if (rc) return db_mdb_error(rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc);
    *number = history ? history - 1 : 0; /* db_snapshot_at's rule: number + 1 >= history */
    return NULL;
}

static void free_logs(db_snapshot *s) {
    if (!s->logs) return;
    for (unsigned i = 0; i < s->n_lanes; i++)
        for (int k = 0; k < LOG_CHUNKS; k++) {
            free(s->logs[i].accounts[k]);
            free(s->logs[i].slots[k]);
        }
    free(s->logs);
    s->logs = NULL;
}

void db_snapshot_close(db_snapshot *s) {
    if (!s) return;
    free_logs(s);
    close_lanes(s);
    db_snapshots_leave(s->d);
    free(s->lanes);
    free(s);
}

const char *db_snapshot_error(db_snapshot *s) { return atomic_load(&s->err); }

void db_snapshot_log_reads(db_snapshot *s, bool on) {
    if (!on || s->at != s->head) {
        free_logs(s);
        return;
    }
    if (!s->logs) {
        s->logs = calloc(s->n_lanes, sizeof *s->logs);
        if (!s->logs) abort();
    }
    for (unsigned i = 0; i < s->n_lanes; i++) {
        atomic_store(&s->logs[i].n_accounts, 0);
        atomic_store(&s->logs[i].n_slots, 0);
    }
}

const read_log *db_snapshot_logs(const db_snapshot *s, unsigned *n, size_t *txn_id) {
    *n = s->n_lanes;
    *txn_id = s->txn_id;
    return s->logs;
}

bool db_snapshot_follow_logs(db_snapshot *s, read_log_follow *f) {
    if (!s->logs) return false;
    f->index.txn_id = s->txn_id;
    if (!f->seen) {
        f->n_lanes = s->n_lanes;
        f->seen = calloc(2 * (size_t)s->n_lanes, sizeof *f->seen);
        if (!f->seen) abort();
    }
    for (unsigned i = 0; i < s->n_lanes && i < f->n_lanes; i++)
        read_log_follow_take(f, &s->logs[i], &f->seen[2 * i], &f->seen[2 * i + 1]);
    return true;
}

/* The log of the lane l holds, when s logs. */
static read_log *lane_log(db_snapshot *s, const lane *l) { return s->logs ? &s->logs[l - s->lanes] : NULL; }

/* A log chunk's memory (chunk k holds LOG_CHUNK << k entries). */
static void *chunk_new(size_t k, size_t size) {
    if (k >= LOG_CHUNKS) abort(); /* 2^49 entries */
    void *c = malloc(((size_t)LOG_CHUNK << k) * size);
    if (!c) abort();
    return c;
}

static void log_account(read_log *g, const address *addr, bool exists, const db_account *a,
                        const bytes32 *storage_root) {
    size_t n = atomic_load_explicit(&g->n_accounts, memory_order_relaxed), off; /* ours to write */
    size_t k = log_chunk(n, &off);
    if (!g->accounts[k]) g->accounts[k] = chunk_new(k, sizeof *g->accounts[k]);
    logged_account *e = &g->accounts[k][off];
    e->addr = *addr;
    e->exists = exists;
    e->acct = *a;
    e->storage_root = *storage_root;
    atomic_store_explicit(&g->n_accounts, n + 1, memory_order_release);
}

static void log_slot(read_log *g, const address *addr, const u256 *key, const u256 *value) {
    size_t n = atomic_load_explicit(&g->n_slots, memory_order_relaxed), off;
    size_t k = log_chunk(n, &off);
    if (!g->slots[k]) g->slots[k] = chunk_new(k, sizeof *g->slots[k]);
    logged_slot *e = &g->slots[k][off];
    e->addr = *addr;
    e->key = *key;
    e->value = *value;
    atomic_store_explicit(&g->n_slots, n + 1, memory_order_release);
}

const char *db_snapshot_block(db_snapshot *s, uint64_t *number) {
    if (!s->has_head) return DB_NOT_FOUND;
    *number = s->at;
    return NULL;
}

static const char *note(db_snapshot *s, const char *err) {
    const char *none = NULL;
    if (err && err != DB_NOT_FOUND) atomic_compare_exchange_strong(&s->err, &none, err);
    return err;
}

static const char *rc_err(int rc) { return rc == 0 ? NULL : rc == MDB_NOTFOUND ? DB_NOT_FOUND : db_mdb_error(rc); }

/* ---- State reads (latest or historical) ---- */

/* The prior value recorded by the first block after s->at that changed the
 * dup row starting with want[0..want_len) under key: 0 (found: *val), or
 * MDB_NOTFOUND (no later block changed it). */
static int history_lookup(db_snapshot *s, lane *l, MDB_cursor **c, int table, const uint8_t *suffix,
                          size_t suffix_len, const uint8_t *want, size_t want_len, MDB_val *val) {
    int rc = cursor(s, l, c, table);
    if (rc) return rc;
    for (uint64_t m = s->at + 1; m <= s->head; m++) {
        uint8_t key[28];
        put_u64(key, m);
        if (suffix_len) memcpy(key + 8, suffix, suffix_len);
        MDB_val k = mval(key, 8 + suffix_len), v = mval(want, want_len);
        rc = mdb_cursor_get(*c, &k, &v, MDB_GET_BOTH_RANGE);
        if (rc == MDB_NOTFOUND) continue;
        if (rc) return rc;
        if (v.mv_size >= want_len && memcmp(v.mv_data, want, want_len) == 0) {
            val->mv_data = (uint8_t *)v.mv_data + want_len;
            val->mv_size = v.mv_size - want_len;
            return 0;
        }
    }
    return MDB_NOTFOUND;
}

static const bytes32 *lane_haddr(lane *l, const address *addr) {
    addr_memo *m = &l->memo.addrs[(addr->b[18] ^ addr->b[19]) % MEMO_WAYS];
    if (!m->used || !address_eq(&m->addr, addr)) {
        m->used = true;
        m->addr = *addr;
        m->hash = keccak256_hash(addr->b, 20);
    }
    return &m->hash;
}

static const bytes32 *lane_hslot(lane *l, const u256 *key) {
    slot_memo *m = &l->memo.slots[(key->w[0] ^ key->w[3]) % MEMO_WAYS];
    if (!m->used || !u256_eq(&m->key, key)) {
        m->used = true;
        m->key = *key;
        m->hash = db_slot_hash(key);
    }
    return &m->hash;
}

/* storage_root (latest state only) gets the row's. */
static int read_account(db_snapshot *s, lane *l, const address *addr, db_account *out, bytes32 *storage_root) {
    if (s->at < s->head) {
        MDB_val prior;
        int rc = history_lookup(s, l, &l->acct_changes, T_ACCT_CHANGES, NULL, 0, addr->b, 20, &prior);
        if (rc == 0) {
            if (prior.mv_size == 0) return MDB_NOTFOUND; /* did not exist then */
            return db_account_decode(prior.mv_data, prior.mv_size, out) ? 0 : MDB_CORRUPTED;
        }
        if (rc != MDB_NOTFOUND) return rc;
    }
    return db_get_account(s->d, l->txn, addr, lane_haddr(l, addr), out, storage_root);
}

static int read_slot(db_snapshot *s, lane *l, const address *addr, const u256 *slot, u256 *out) {
    *out = U256_ZERO;
    if (s->at < s->head) {
        uint8_t key[32];
        u256_to_be(slot, key);
        MDB_val prior;
        int rc = history_lookup(s, l, &l->storage_changes, T_STORAGE_CHANGES, addr->b, 20, key, 32, &prior);
        if (rc == 0) return db_word_decode(prior.mv_data, prior.mv_size, out) ? 0 : MDB_CORRUPTED;
        if (rc != MDB_NOTFOUND) return rc;
    }
    int rc = db_get_slot(s->d, l->txn, lane_haddr(l, addr), slot, lane_hslot(l, slot), out);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Whether addr has a slot in the latest storage that seen does not hold. */
static int latest_has_storage(db_snapshot *s, lane *l, const address *addr, const word_map *seen, bool *out) {
    int rc = cursor(s, l, &l->storage, T_HSTORAGE);
    if (rc) return rc;
    const bytes32 *haddr = lane_haddr(l, addr);
    MDB_val k = mval(haddr->b, 32), v;
    *out = false;
    for (rc = mdb_cursor_get(l->storage, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(l->storage, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 64) return MDB_CORRUPTED;
        if (memcmp(k.mv_data, haddr->b, 32) != 0) break;
        u256 slot;
        if (!db_slot_row_decode(v.mv_data, v.mv_size, &slot, NULL)) return MDB_CORRUPTED;
        if (!seen || !word_map_get(seen, &slot)) {
            *out = true;
            return 0;
        }
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Historical: a slot is non-zero at s->at if the first later block that
 * changed it recorded a non-zero prior, or if no later block changed it and
 * it is in the latest storage. */
static int read_has_storage(db_snapshot *s, lane *l, const address *addr, bool *out) {
    if (s->at == s->head) return latest_has_storage(s, l, addr, NULL, out);
    int rc = cursor(s, l, &l->storage_changes, T_STORAGE_CHANGES);
    if (rc) return rc;
    word_map seen = {0};
    const u256 one = u256_from_u64(1);
    *out = false;
    for (uint64_t m = s->at + 1; m <= s->head && !*out && !rc; m++) {
        uint8_t key[28];
        put_u64(key, m);
        memcpy(key + 8, addr->b, 20);
        MDB_val k = mval(key, 28), v;
        for (rc = mdb_cursor_get(l->storage_changes, &k, &v, MDB_SET_KEY); rc == 0;
             rc = mdb_cursor_get(l->storage_changes, &k, &v, MDB_NEXT_DUP)) {
            u256 slot, prior;
            if (v.mv_size < 32 || !db_word_decode((uint8_t *)v.mv_data + 32, v.mv_size - 32, &prior)) {
                rc = MDB_CORRUPTED;
                break;
            }
            slot = u256_from_be(v.mv_data, 32);
            if (word_map_get(&seen, &slot)) continue;
            word_map_put(&seen, &slot, &one);
            if (!u256_is_zero(&prior)) {
                *out = true;
                break;
            }
        }
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (!rc && !*out) rc = latest_has_storage(s, l, addr, &seen, out);
    word_map_free(&seen);
    return rc;
}

const char *db_read_account(db_snapshot *s, const address *addr, account_info *out) {
    lane *l = acquire(s);
    db_account a;
    bytes32 root = EMPTY_TRIE_ROOT;
    int rc = read_account(s, l, addr, &a, &root);
    read_log *g = lane_log(s, l);
    if (g && rc == 0) log_account(g, addr, true, &a, &root);
    if (g && rc == MDB_NOTFOUND) log_account(g, addr, false, &(db_account){0}, &root);
    release(l);
    if (rc) {
        out->balance = U256_ZERO;
        out->nonce = 0;
        out->code_hash = EMPTY_CODE_HASH;
        return note(s, rc_err(rc));
    }
    out->balance = a.balance;
    out->nonce = a.nonce;
    out->code_hash = a.code_hash;
    return NULL;
}

const char *db_each_account(db_snapshot *s, db_account_fn fn, void *arg) {
    if (s->at != s->head) return "a historical snapshot cannot be walked";
    return note(s, db_each_account_from(s, NULL, fn, arg));
}

const char *db_each_slot(db_snapshot *s, const address *addr, db_slot_fn fn, void *arg) {
    if (s->at != s->head) return "a historical snapshot cannot be walked";
    return note(s, db_each_slot_from(s, addr, NULL, fn, arg));
}

const char *db_read_storage(db_snapshot *s, const address *addr, const u256 *slot, u256 *out) {
    lane *l = acquire(s);
    int rc = read_slot(s, l, addr, slot, out);
    read_log *g = lane_log(s, l);
    if (g && rc == 0) log_slot(g, addr, slot, out);
    release(l);
    if (rc) *out = U256_ZERO;
    return note(s, rc_err(rc));
}

/* db_read_code and db_find_code: a missing code is an error of the
 * snapshot (execution needs it) or just DB_NOT_FOUND. */
static const char *read_code(db_snapshot *s, const bytes32 *hash, bool must_exist, const evm_code **out) {
    const evm_code *c = code_store_find(s->d->codes, hash);
    if (c) {
        *out = c;
        return NULL;
    }
    *out = &EVM_EMPTY_CODE;
    lane *l = acquire(s);
    MDB_val k = mval(hash->b, 32), v;
    int rc = mdb_get(l->txn, s->d->t[T_CODE], &k, &v);
    if (!rc) {
        c = code_store_intern(s->d->codes, v.mv_data, v.mv_size);
        if (!bytes32_eq(&c->hash, hash)) rc = MDB_CORRUPTED; /* bytes do not hash to their key */
    }
    release(l);
    if (rc == MDB_NOTFOUND && !must_exist) return DB_NOT_FOUND;
    if (rc) return note(s, rc_err(rc) == DB_NOT_FOUND ? "code missing from the store" : rc_err(rc));
    *out = c;
    return NULL;
}

const char *db_read_code(db_snapshot *s, const bytes32 *hash, const evm_code **out) {
    return read_code(s, hash, true, out);
}

const char *db_find_code(db_snapshot *s, const bytes32 *hash, const evm_code **out) {
    return read_code(s, hash, false, out);
}

/* ---- state_view ---- */

static bool view_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    return db_read_account(ctx, addr, out) == NULL;
}

static u256 view_get_storage(void *ctx, const address *addr, const u256 *key) {
    u256 v;
    db_read_storage(ctx, addr, key, &v);
    return v;
}

static bool view_has_storage(void *ctx, const address *addr) {
    db_snapshot *s = ctx;
    lane *l = acquire(s);
    bool has = false;
    int rc = read_has_storage(s, l, addr, &has);
    release(l);
    if (rc) note(s, db_mdb_error(rc));
    return !rc && has;
}

static const evm_code *view_get_code(void *ctx, const address *addr) {
    account_info a;
    if (db_read_account(ctx, addr, &a)) return &EVM_EMPTY_CODE;
    const evm_code *c;
    db_read_code(ctx, &a.code_hash, &c);
    return c;
}

static bytes32 view_get_block_hash(void *ctx, uint64_t number) {
    db_snapshot *s = ctx;
    bytes32 h = {{0}};
    if (!s->has_head || number > s->at) return h;
    if (db_canonical_hash(s, number, &h)) memset(h.b, 0, 32);
    return h;
}

static const state_view_ops db_view_ops = {
    view_get_account, view_get_storage, view_has_storage, view_get_code, view_get_block_hash,
};

state_view db_snapshot_view(db_snapshot *s) { return (state_view){&db_view_ops, s}; }

/* ---- Chain reads ---- */

/* Looks up key in table; appends the value to out (when out) or copies
 * exactly want bytes into dst. */
static const char *get(db_snapshot *s, int table, const void *key, size_t kn, buf_t *out, void *dst,
                       size_t want) {
    lane *l = acquire(s);
    MDB_val k = mval(key, kn), v;
    int rc = mdb_get(l->txn, s->d->t[table], &k, &v);
    if (!rc && dst && v.mv_size != want) rc = MDB_CORRUPTED;
    if (!rc && dst) memcpy(dst, v.mv_data, want);
    if (!rc && out) buf_append(out, v.mv_data, v.mv_size);
    release(l);
    return note(s, rc_err(rc));
}

const char *db_head(db_snapshot *s, uint64_t *number, bytes32 *hash) {
    if (!s->has_head) return DB_NOT_FOUND;
    *number = s->head;
    if (hash) *hash = s->head_hash;
    return NULL;
}

const char *db_canonical_hash(db_snapshot *s, uint64_t number, bytes32 *hash) {
    uint8_t k[8];
    put_u64(k, number);
    return get(s, T_CANONICAL, k, 8, NULL, hash->b, 32);
}

const char *db_block_number(db_snapshot *s, const bytes32 *hash, uint64_t *number) {
    uint8_t v[8];
    const char *err = get(s, T_HEADER_NUMBERS, hash->b, 32, NULL, v, 8);
    if (!err) *number = get_u64(v);
    return err;
}

static const char *block_row(db_snapshot *s, int table, uint64_t number, const bytes32 *hash, buf_t *out) {
    uint8_t k[40];
    put_u64(k, number);
    memcpy(k + 8, hash->b, 32);
    return get(s, table, k, 40, out, NULL, 0);
}

const char *db_read_header(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out) {
    return block_row(s, T_HEADERS, number, hash, out);
}
const char *db_read_body(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out) {
    return block_row(s, T_BODIES, number, hash, out);
}
const char *db_read_receipts(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out) {
    return block_row(s, T_RECEIPTS, number, hash, out);
}
const char *db_read_block_txs(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out) {
    return block_row(s, T_BLOCK_TXS, number, hash, out);
}

const char *db_tx_location(db_snapshot *s, const bytes32 *tx_hash, uint64_t *number, uint32_t *index) {
    uint8_t v[12];
    const char *err = get(s, T_TX_INDEX, tx_hash->b, 32, NULL, v, 12);
    if (err) return err;
    *number = get_u64(v);
    *index = (uint32_t)v[8] << 24 | (uint32_t)v[9] << 16 | (uint32_t)v[10] << 8 | v[11];
    return NULL;
}

const char *db_stage(db_snapshot *s, const char *name, uint64_t *number) {
    uint8_t v[8];
    const char *err = get(s, T_STAGES, name, strlen(name), NULL, v, 8);
    if (!err) *number = get_u64(v);
    return err;
}

const char *db_read_td(db_snapshot *s, uint64_t number, const bytes32 *hash, u256 *td) {
    buf_t b = {0};
    const char *err = block_row(s, T_TD, number, hash, &b);
    if (!err && !db_word_decode(b.data, b.len, td)) err = note(s, db_mdb_error(MDB_CORRUPTED));
    buf_free(&b);
    return err;
}

const char *db_read_meta(db_snapshot *s, const char *name, buf_t *out) {
    char key[208];
    int kn = snprintf(key, sizeof key, "chain.%s", name);
    if (kn < 0 || (size_t)kn >= sizeof key) return DB_NOT_FOUND;
    return get(s, T_META, key, (size_t)kn, out, NULL, 0);
}

const char *db_state_root(db_snapshot *s, bytes32 *root, uint64_t *trie_block) {
    lane *l = acquire(s);
    int rc = db_get_root(s->d, l->txn, root);
    uint64_t t = UINT64_MAX;
    if (!rc && s->has_head) rc = db_get_meta_u64(s->d, l->txn, "trie", &t);
    release(l);
    if (rc == MDB_NOTFOUND) rc = MDB_CORRUPTED;
    if (!rc && trie_block) *trie_block = t;
    return note(s, rc ? db_mdb_error(rc) : NULL);
}

/* ---- For the store's own readers (db_internal.h) ---- */

MDB_txn *db_snapshot_take(db_snapshot *s, void **lane_token) {
    lane *l = acquire(s);
    *lane_token = l;
    return l->txn;
}

void db_snapshot_give(db_snapshot *s, void *lane_token) { release(lane_token); }

db *db_snapshot_db(db_snapshot *s) { return s->d; }
