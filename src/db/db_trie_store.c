/* The trie engine's node store (trie_store.h) over the store's tables:
 * hashed_accounts / hashed_storage are the leaves (their rows' values past
 * the preimage), trie_accounts /
 * trie_storage the branch records. Each reader is one LMDB read
 * transaction; the engine runs under the writer lock, so all its readers
 * see the same commit. */
#include <stdlib.h>

#include "db_internal.h"

typedef struct {
    db *d;
    MDB_txn *txn;
    MDB_cursor *rec[2], *leaf[2]; /* [0]: account trie, [1]: storage tries */
    int leaf_kind;                /* which leaf cursor leaf_next continues */
    bytes32 leaf_owner;
} lmdb_reader;

static int fail(int rc, const char **err) {
    *err = db_mdb_error(rc);
    return -1;
}

static int rd_branch_seek(void *p, const bytes32 *owner, const uint8_t *path, size_t len,
                          uint8_t found[TRIE_NIBBLES], size_t *found_len, byte_span *rec,
                          const char **err) {
    lmdb_reader *r = p;
    uint8_t key[32 + TRIE_NIBBLES];
    size_t pre = owner ? 32 : 1;
    if (owner)
        memcpy(key, owner->b, 32);
    else
        key[0] = 0;
    memcpy(key + pre, path, len);
    MDB_val k = mval(key, pre + len), v;
    int rc = mdb_cursor_get(r->rec[owner != NULL], &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return fail(rc, err);
    if (k.mv_size < pre || memcmp(k.mv_data, key, pre) != 0) return 0;
    if (k.mv_size - pre > TRIE_NIBBLES) return fail(MDB_CORRUPTED, err);
    *found_len = k.mv_size - pre;
    memcpy(found, (uint8_t *)k.mv_data + pre, *found_len);
    *rec = (byte_span){v.mv_data, v.mv_size};
    return 1;
}

/* The leaf under the cursor, if it belongs to the reader's current trie. */
static int leaf_here(lmdb_reader *r, int rc, MDB_val *k, MDB_val *v, bytes32 *key, byte_span *val,
                     const char **err) {
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return fail(rc, err);
    if (r->leaf_kind == 0) {
        if (k->mv_size != 32) return fail(MDB_CORRUPTED, err);
        memcpy(key->b, k->mv_data, 32);
    } else {
        if (k->mv_size != 64) return fail(MDB_CORRUPTED, err);
        if (memcmp(k->mv_data, r->leaf_owner.b, 32) != 0) return 0;
        memcpy(key->b, (uint8_t *)k->mv_data + 32, 32);
    }
    size_t pre = r->leaf_kind == 0 ? DB_ACCOUNT_PREIMAGE : DB_SLOT_PREIMAGE;
    if (v->mv_size <= pre) return fail(MDB_CORRUPTED, err);
    *val = (byte_span){(uint8_t *)v->mv_data + pre, v->mv_size - pre};
    return 1;
}

static int rd_leaf_seek(void *p, const bytes32 *owner, const bytes32 *from, bytes32 *key,
                        byte_span *val, const char **err) {
    lmdb_reader *r = p;
    uint8_t buf[64];
    size_t n = 0;
    if (owner) {
        memcpy(buf, owner->b, 32);
        r->leaf_owner = *owner;
        n = 32;
    }
    memcpy(buf + n, from->b, 32);
    r->leaf_kind = owner != NULL;
    MDB_val k = mval(buf, n + 32), v;
    int rc = mdb_cursor_get(r->leaf[r->leaf_kind], &k, &v, MDB_SET_RANGE);
    return leaf_here(r, rc, &k, &v, key, val, err);
}

static int rd_leaf_next(void *p, bytes32 *key, byte_span *val, const char **err) {
    lmdb_reader *r = p;
    MDB_val k, v;
    int rc = mdb_cursor_get(r->leaf[r->leaf_kind], &k, &v, MDB_NEXT);
    return leaf_here(r, rc, &k, &v, key, val, err);
}

static void rd_close(void *p) {
    lmdb_reader *r = p;
    if (!r) return;
    for (int i = 0; i < 2; i++) {
        if (r->rec[i]) mdb_cursor_close(r->rec[i]);
        if (r->leaf[i]) mdb_cursor_close(r->leaf[i]);
    }
    if (r->txn) mdb_txn_abort(r->txn);
    free(r);
}

static void *rd_open(void *ctx, const char **err) {
    db *d = ctx;
    lmdb_reader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->d = d;
    int rc = db_read_begin(d, &r->txn);
    if (!rc) rc = mdb_cursor_open(r->txn, d->t[T_TRIE_ACC], &r->rec[0]);
    if (!rc) rc = mdb_cursor_open(r->txn, d->t[T_TRIE_STO], &r->rec[1]);
    if (!rc) rc = mdb_cursor_open(r->txn, d->t[T_HACCOUNTS], &r->leaf[0]);
    if (!rc) rc = mdb_cursor_open(r->txn, d->t[T_HSTORAGE], &r->leaf[1]);
    if (rc) {
        *err = db_mdb_error(rc);
        rd_close(r);
        return NULL;
    }
    return r;
}

static const trie_reader_ops lmdb_ops = {rd_branch_seek, rd_leaf_seek, rd_leaf_next, rd_close};

trie_store db_trie_store(db *d) { return (trie_store){&lmdb_ops, rd_open, d}; }

/* ---- A store over a read transaction the caller holds ---- */

static void rd_close_in(void *p) {
    lmdb_reader *r = p;
    if (r) r->txn = NULL; /* borrowed: not aborted */
    rd_close(r);
}

static void *rd_open_in(void *ctx, const char **err) {
    const db_txn_store *t = ctx;
    lmdb_reader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->d = t->d;
    r->txn = t->txn;
    int rc = mdb_cursor_open(r->txn, t->d->t[T_TRIE_ACC], &r->rec[0]);
    if (!rc) rc = mdb_cursor_open(r->txn, t->d->t[T_TRIE_STO], &r->rec[1]);
    if (!rc) rc = mdb_cursor_open(r->txn, t->d->t[T_HACCOUNTS], &r->leaf[0]);
    if (!rc) rc = mdb_cursor_open(r->txn, t->d->t[T_HSTORAGE], &r->leaf[1]);
    if (rc) {
        *err = db_mdb_error(rc);
        rd_close_in(r);
        return NULL;
    }
    return r;
}

static const trie_reader_ops lmdb_in_ops = {rd_branch_seek, rd_leaf_seek, rd_leaf_next, rd_close_in};

trie_store db_trie_store_in(db_txn_store *t) { return (trie_store){&lmdb_in_ops, rd_open_in, t}; }
