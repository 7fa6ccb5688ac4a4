/* Walks of the store for the state-dump methods (debug_accountRange,
 * debug_storageRangeAt, debug_getModifiedAccounts*): the latest state's
 * accounts or one account's slots from a hashed-key position, and the keys
 * that blocks' change sets name (the accounts and slots a block changed).
 * A walk holds one of the snapshot's lanes for its duration, so its
 * callback must not read through the same snapshot. */
#include "db_internal.h"

static const char *rc_error(int rc) { return rc == 0 || rc == MDB_NOTFOUND ? NULL : db_mdb_error(rc); }

/* Whether s shows the latest state (walks of the rows need it). */
static bool latest(db_snapshot *s) {
    uint64_t at, head;
    return db_snapshot_block(s, &at) == NULL && db_head(s, &head, NULL) == NULL && at == head;
}

const char *db_each_account_from(db_snapshot *s, const bytes32 *start, db_account_fn fn, void *arg) {
    if (!latest(s)) return "a historical snapshot cannot be walked";
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, db_snapshot_db(s)->t[T_HACCOUNTS], &cur);
    bytes32 from = start ? *start : (bytes32){{0}};
    MDB_val k = mval(from.b, 32), v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        address addr;
        db_account a;
        if (k.mv_size != 32 || !db_account_row_decode(v.mv_data, v.mv_size, &addr, &a, NULL)) {
            rc = MDB_CORRUPTED;
            break;
        }
        account_info info = {.balance = a.balance, .nonce = a.nonce, .code_hash = a.code_hash};
        if (!fn(arg, &addr, &info)) break;
    }
    if (cur) mdb_cursor_close(cur);
    db_snapshot_give(s, lane);
    return rc_error(rc);
}

const char *db_each_slot_from(db_snapshot *s, const address *addr, const bytes32 *start, db_slot_fn fn, void *arg) {
    if (!latest(s)) return "a historical snapshot cannot be walked";
    uint8_t key[64];
    keccak256(addr->b, 20, key);
    if (start) memcpy(key + 32, start->b, 32);
    else memset(key + 32, 0, 32);
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, db_snapshot_db(s)->t[T_HSTORAGE], &cur);
    MDB_val k = mval(key, 64), v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 64 || memcmp(k.mv_data, key, 32)) break;
        u256 slot, value;
        if (!db_slot_row_decode(v.mv_data, v.mv_size, &slot, &value)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (!fn(arg, &slot, &value)) break;
    }
    if (cur) mdb_cursor_close(cur);
    db_snapshot_give(s, lane);
    return rc_error(rc);
}

/* ---- Change sets ---- */

typedef struct {
    MDB_cursor *acct, *slots;
    const address *only;
    db_change_fn fn;
    void *arg;
    bool stop;
} change_walk;

/* The account entries of block m (those of w->only when set). */
static int block_accounts(change_walk *w, uint64_t m) {
    uint8_t key[8];
    put_u64(key, m);
    MDB_val k = mval(key, 8), v = w->only ? mval(w->only->b, 20) : (MDB_val){0, NULL};
    int rc = w->only ? mdb_cursor_get(w->acct, &k, &v, MDB_GET_BOTH_RANGE) : mdb_cursor_get(w->acct, &k, &v, MDB_SET_KEY);
    for (; rc == 0 && !w->stop; rc = mdb_cursor_get(w->acct, &k, &v, MDB_NEXT_DUP)) {
        if (v.mv_size < 20) return MDB_CORRUPTED;
        address a;
        memcpy(a.b, v.mv_data, 20);
        if (w->only && !address_eq(&a, w->only)) break;
        w->stop = !w->fn(w->arg, m, &a, NULL);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The slot entries of block m: keys number | address, each address's slots
 * as duplicates. */
static int block_slots(change_walk *w, uint64_t m) {
    uint8_t key[28];
    put_u64(key, m);
    if (w->only) memcpy(key + 8, w->only->b, 20);
    MDB_val k = mval(key, w->only ? 28 : 8), v;
    int rc = mdb_cursor_get(w->slots, &k, &v, w->only ? MDB_SET_KEY : MDB_SET_RANGE);
    for (; rc == 0 && !w->stop; rc = mdb_cursor_get(w->slots, &k, &v, w->only ? MDB_NEXT_DUP : MDB_NEXT)) {
        if (k.mv_size != 28 || v.mv_size < 32) return MDB_CORRUPTED;
        if (memcmp(k.mv_data, key, 8) != 0) break;
        address a;
        memcpy(a.b, (uint8_t *)k.mv_data + 8, 20);
        u256 slot = u256_from_be(v.mv_data, 32);
        w->stop = !w->fn(w->arg, m, &a, &slot);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

const char *db_each_change(db_snapshot *s, uint64_t from, uint64_t to, const address *only, db_change_fn fn,
                           void *arg) {
    uint64_t head;
    if (db_head(s, &head, NULL) || to > head) return "no such block in the store";
    if (from > to) return NULL;
    db *d = db_snapshot_db(s);
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    uint64_t history;
    int rc = db_get_meta_u64(d, txn, "history", &history);
    const char *why = rc == MDB_NOTFOUND ? db_mdb_error(MDB_CORRUPTED) : rc_error(rc);
    if (!why && from < history) why = "the change sets for that block are missing";
    change_walk w = {NULL, NULL, only, fn, arg, false};
    if (!why) {
        rc = mdb_cursor_open(txn, d->t[T_ACCT_CHANGES], &w.acct);
        if (!rc) rc = mdb_cursor_open(txn, d->t[T_STORAGE_CHANGES], &w.slots);
        for (uint64_t m = from; !rc && !w.stop && m <= to; m++) {
            rc = block_accounts(&w, m);
            if (!rc && !w.stop) rc = block_slots(&w, m);
            if (m == UINT64_MAX) break;
        }
        why = rc_error(rc);
    }
    if (w.acct) mdb_cursor_close(w.acct);
    if (w.slots) mdb_cursor_close(w.slots);
    db_snapshot_give(s, lane);
    return why;
}
