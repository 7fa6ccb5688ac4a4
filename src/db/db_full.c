/* The reference state root: rebuilt from the state rows alone, with no use
 * of the branch records or of the storage roots the account rows hold.
 * The rows are keyed by hashed key, so each trie streams its leaves in
 * table order into the streaming builder: memory is a builder's stack per
 * trie whatever the state size. Each row's preimage is checked against its
 * key on the way. */
#include <stdlib.h>

#include "db_internal.h"

/* The root of the storage trie of the account keyed haddr (its rows),
 * built on ts (empty; left empty). */
static int storage_root(MDB_cursor *cur, trie_stream *ts, const bytes32 *haddr, bytes32 *root) {
    MDB_val k = mval(haddr->b, 32), v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 64) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (memcmp(k.mv_data, haddr->b, 32) != 0) break;
        u256 slot;
        bytes32 key;
        memcpy(key.b, (uint8_t *)k.mv_data + 32, 32);
        if (!db_slot_row_decode(v.mv_data, v.mv_size, &slot, NULL)) {
            rc = MDB_CORRUPTED;
            break;
        }
        bytes32 h = db_slot_hash(&slot);
        if (!bytes32_eq(&h, &key) ||
            trie_stream_push(ts, &key, (uint8_t *)v.mv_data + DB_SLOT_PREIMAGE, v.mv_size - DB_SLOT_PREIMAGE)) {
            rc = MDB_CORRUPTED;
            break;
        }
    }
    *root = trie_stream_root(ts);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int account_root(db *d, MDB_txn *txn, bytes32 *root) {
    MDB_cursor *acc, *sto;
    int rc = mdb_cursor_open(txn, d->t[T_HACCOUNTS], &acc);
    if (rc) return rc;
    if ((rc = mdb_cursor_open(txn, d->t[T_HSTORAGE], &sto))) {
        mdb_cursor_close(acc);
        return rc;
    }
    trie_stream *ts = trie_stream_new(NULL, NULL), *sts = trie_stream_new(NULL, NULL);
    buf_t leaf = {0};
    MDB_val k, v;
    for (rc = mdb_cursor_get(acc, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(acc, &k, &v, MDB_NEXT)) {
        address addr;
        db_account a;
        bytes32 key, sroot;
        if (k.mv_size != 32 || !db_account_row_decode(v.mv_data, v.mv_size, &addr, &a, NULL)) {
            rc = MDB_CORRUPTED;
            break;
        }
        memcpy(key.b, k.mv_data, 32);
        bytes32 h = keccak256_hash(addr.b, 20);
        if (!bytes32_eq(&h, &key)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if ((rc = storage_root(sto, sts, &key, &sroot))) break;
        buf_clear(&leaf);
        db_leaf_encode(&a, &sroot, &leaf);
        if (trie_stream_push(ts, &key, leaf.data, leaf.len)) {
            rc = MDB_CORRUPTED;
            break;
        }
    }
    *root = trie_stream_root(ts);
    trie_stream_free(ts);
    trie_stream_free(sts);
    buf_free(&leaf);
    mdb_cursor_close(sto);
    mdb_cursor_close(acc);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

const char *db_root_full(db *d, bytes32 *root) {
    MDB_txn *txn;
    int rc = db_begin(d, MDB_RDONLY, &txn);
    if (rc) return db_mdb_error(rc);
    mdb_txn_abort(txn);
    db_snapshots_enter(d); /* a long read: a resize must wait for it */
    rc = db_read_begin(d, &txn);
    if (!rc) {
        rc = account_root(d, txn, root);
        mdb_txn_abort(txn);
    }
    db_snapshots_leave(d);
    return rc ? db_mdb_error(rc) : NULL;
}
