/* The LMDB environment of the store: opening it and its tables, the write
 * transaction helper that grows the map when it is full, and lookups shared
 * by the other files (meta, state rows).
 *
 * Writes go through LMDB's own page copies and write() (no MDB_WRITEMAP):
 * on a large store a block's commit dirties thousands of scattered pages,
 * and writing them in place through the map cost a page fault each (the
 * kernel's dirty tracking of a shared file mapping): about three times the
 * commit's CPU time at 1M accounts / 10M slots, and more for a genesis load.
 * Every write transaction first checks that the disk has room for what it
 * may add, so that a full disk is a clear error early. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "db_internal.h"

const char DB_NOT_FOUND[] = "not found";
const char DB_ROOT_MISMATCH[] = "state root mismatch";

static const struct {
    const char *name;
    unsigned flags;
} tables[T_COUNT] = {
    [T_META] = {"meta", 0},
    [T_STAGES] = {"stages", 0},
    [T_CODE] = {"code", 0},
    [T_HACCOUNTS] = {"hashed_accounts", 0},
    [T_HSTORAGE] = {"hashed_storage", 0},
    [T_TRIE_ACC] = {"trie_accounts", 0},
    [T_TRIE_STO] = {"trie_storage", 0},
    [T_HEADERS] = {"headers", 0},
    [T_BODIES] = {"bodies", 0},
    [T_RECEIPTS] = {"receipts", 0},
    [T_BLOCK_TXS] = {"block_txs", 0},
    [T_HEADER_NUMBERS] = {"header_numbers", 0},
    [T_CANONICAL] = {"canonical", 0},
    [T_TX_INDEX] = {"tx_index", 0},
    [T_ACCT_CHANGES] = {"acct_changes", MDB_DUPSORT},
    [T_STORAGE_CHANGES] = {"storage_changes", MDB_DUPSORT},
    [T_TD] = {"td", 0},
};

const char *db_mdb_error(int rc) {
    switch (rc) {
    case MDB_MAP_FULL: return "store map full";
    case MDB_CORRUPTED: return "corrupt record in the store";
    case MDB_PANIC: return "store panic (fatal LMDB error)";
    case MDB_VERSION_MISMATCH: return "LMDB version mismatch";
    case MDB_INVALID: return "not an LMDB store";
    case MDB_READERS_FULL: return "too many store readers";
    case MDB_TXN_FULL: return "store transaction too large";
    case MDB_BAD_VALSIZE: return "store key or value of an unsupported size";
    case MDB_MAP_RESIZED: return "store map grown by another process";
    case ENOSPC: return "no space left on the device";
    case ENOMEM: return "out of memory (store)";
    case EACCES: return "permission denied (store)";
    case ENOENT: return "store file not found";
    case EIO: return "I/O error (store)";
    default: return "store error";
    }
}

enum { DEFAULT_MAP_GIB = 64, MAX_READERS = 1022 };

static const char *open_tables(db *d) {
    MDB_txn *txn;
    int rc = mdb_txn_begin(d->env, NULL, 0, &txn);
    if (rc) return db_mdb_error(rc);
    for (int i = 0; i < T_COUNT && !rc; i++)
        rc = mdb_dbi_open(txn, tables[i].name, tables[i].flags | MDB_CREATE, &d->t[i]);
    if (rc) {
        mdb_txn_abort(txn);
        return db_mdb_error(rc);
    }
    /* The schema version: written on a new store, checked on an old one. */
    MDB_val k = mval("schema", 6), v;
    rc = mdb_get(txn, d->t[T_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        uint8_t ver[4] = {0, 0, 0, DB_SCHEMA};
        v = mval(ver, 4);
        rc = mdb_put(txn, d->t[T_META], &k, &v, 0);
    } else if (rc == 0) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size != 4 || p[0] || p[1] || p[2] || p[3] != DB_SCHEMA) {
            mdb_txn_abort(txn);
            return "the store has another schema version than this parevm writes: import into a new datadir";
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return db_mdb_error(rc);
    }
    rc = mdb_txn_commit(txn);
    return rc ? db_mdb_error(rc) : NULL;
}

const char DB_NO_STORE[] = "no store here (parevm init creates one)";

bool db_exists(const char *dir) {
    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path) return false;
    return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* mkdir -p, as geth creates a datadir's missing parents. */
static bool make_dirs(const char *dir) {
    char path[4096];
    size_t n = strlen(dir);
    if (!n || n >= sizeof path) return false;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char c = path[i];
        path[i] = 0;
        bool ok = !mkdir(path, 0755) || errno == EEXIST;
        path[i] = c;
        if (!ok) return false;
    }
    return true;
}

const char *db_open(const char *dir, const db_options *opt, db **out) {
    db_options o = opt ? *opt : (db_options){0};
    *out = NULL;
    if (o.existing && !db_exists(dir)) return DB_NO_STORE;
    if (!make_dirs(dir)) return "cannot create the store directory";
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return "the datadir is not a directory";
    db *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->dir = strdup(dir);
    if (!d->dir) abort();
    d->map_size = o.map_size ? o.map_size : (size_t)DEFAULT_MAP_GIB << 30;
    int rc = mdb_env_create(&d->env);
    if (!rc) rc = mdb_env_set_maxdbs(d->env, T_COUNT + 2);
    if (!rc) rc = mdb_env_set_maxreaders(d->env, MAX_READERS);
    if (!rc) rc = mdb_env_set_mapsize(d->env, d->map_size);
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (o.no_sync ? MDB_NOSYNC : 0);
    if (!rc) rc = mdb_env_open(d->env, dir, flags, 0644);
    const char *err = rc ? db_mdb_error(rc) : open_tables(d);
    if (err) {
        if (d->env) mdb_env_close(d->env);
        free(d->dir);
        free(d);
        return err;
    }
    MDB_envinfo info;
    if (!mdb_env_info(d->env, &info)) d->map_size = info.me_mapsize;
    d->codes = code_store_new();
    d->pool = task_pool_new(o.threads ? o.threads : 1);
    d->chain_pool = task_pool_new(o.threads ? o.threads : 1);
    pthread_mutex_init(&d->writer, NULL);
    pthread_mutex_init(&d->chain_lock, NULL);
    pthread_mutex_init(&d->snap_lock, NULL);
    pthread_cond_init(&d->snap_cond, NULL);
    *out = d;
    return NULL;
}

void db_close(db *d) {
    if (!d) return;
    task_pool_free(d->pool);
    task_pool_free(d->chain_pool);
    mdb_env_close(d->env);
    code_store_free(d->codes);
    pthread_mutex_destroy(&d->writer);
    pthread_mutex_destroy(&d->chain_lock);
    pthread_mutex_destroy(&d->snap_lock);
    pthread_cond_destroy(&d->snap_cond);
    free(d->dir);
    free(d);
}

code_store *db_codes(db *d) { return d->codes; }
task_pool *db_pool(db *d) { return d->pool; }

int db_read_begin(db *d, MDB_txn **txn) { return mdb_txn_begin(d->env, NULL, MDB_RDONLY, txn); }

int db_begin(db *d, unsigned flags, MDB_txn **txn) {
    int rc = mdb_txn_begin(d->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED && !db_adopt_map_size(d)) rc = mdb_txn_begin(d->env, NULL, flags, txn);
    return rc;
}

void db_snapshots_enter(db *d) {
    pthread_mutex_lock(&d->snap_lock);
    while (d->resizing) pthread_cond_wait(&d->snap_cond, &d->snap_lock);
    d->snapshots++;
    pthread_mutex_unlock(&d->snap_lock);
}

bool db_snapshots_try_enter(db *d) {
    pthread_mutex_lock(&d->snap_lock);
    bool ok = !d->resizing;
    if (ok) d->snapshots++;
    pthread_mutex_unlock(&d->snap_lock);
    return ok;
}

void db_snapshots_leave(db *d) {
    pthread_mutex_lock(&d->snap_lock);
    if (--d->snapshots == 0) pthread_cond_broadcast(&d->snap_cond);
    pthread_mutex_unlock(&d->snap_lock);
}

/* Sets the map size (0: adopt the size another process gave it) once
 * every snapshot is closed. */
static const char *resize(db *d, size_t want) {
    pthread_mutex_lock(&d->snap_lock);
    d->resizing = true;
    while (d->snapshots) pthread_cond_wait(&d->snap_cond, &d->snap_lock);
    int rc = mdb_env_set_mapsize(d->env, want);
    MDB_envinfo info;
    if (!rc && !mdb_env_info(d->env, &info)) d->map_size = info.me_mapsize;
    d->resizing = false;
    pthread_cond_broadcast(&d->snap_cond);
    pthread_mutex_unlock(&d->snap_lock);
    return rc ? db_mdb_error(rc) : NULL;
}

static const char *grow(db *d) { return resize(d, d->map_size * 2); }
const char *db_adopt_map_size(db *d) { return resize(d, 0); }

/* Free disk space a write transaction needs: a margin, plus up to four
 * pages (leaf, branch copies, change sets) for every row it writes. */
static bool disk_has_room(db *d, size_t rows) {
    struct statvfs st;
    if (statvfs(d->dir, &st)) return true; /* cannot tell: let LMDB try */
    unsigned long long avail = (unsigned long long)st.f_bavail * st.f_frsize;
    unsigned long long need = (256ull << 20) + 4ull * 4096 * rows;
    return avail >= need;
}

const char *db_write(db *d, db_write_fn fn, void *arg, size_t rows) {
    if (!disk_has_room(d, rows)) return "not enough free disk space for the store";
    for (;;) {
        MDB_txn *txn;
        const char *err = NULL;
        int rc = db_begin(d, 0, &txn);
        if (rc) return db_mdb_error(rc);
        rc = fn(d, txn, arg, &err);
        if (rc || err) {
            mdb_txn_abort(txn);
        } else {
            rc = mdb_txn_commit(txn);
        }
        if (rc == MDB_MAP_FULL) {
            const char *g = grow(d);
            if (g) return g;
            continue;
        }
        if (err) return err;
        return rc ? db_mdb_error(rc) : NULL;
    }
}

/* ---- meta ---- */

int db_get_head(db *d, MDB_txn *txn, uint64_t *number, bytes32 *hash) {
    MDB_val k = mval("head", 4), v;
    int rc = mdb_get(txn, d->t[T_META], &k, &v);
    if (rc) return rc;
    if (v.mv_size != 40) return MDB_CORRUPTED;
    *number = get_u64(v.mv_data);
    if (hash) memcpy(hash->b, (uint8_t *)v.mv_data + 8, 32);
    return 0;
}

int db_get_meta_u64(db *d, MDB_txn *txn, const char *key, uint64_t *out) {
    MDB_val k = mval(key, strlen(key)), v;
    int rc = mdb_get(txn, d->t[T_META], &k, &v);
    if (rc) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *out = get_u64(v.mv_data);
    return 0;
}

int db_put_meta_u64(db *d, MDB_txn *txn, const char *key, uint64_t x) {
    uint8_t b[8];
    put_u64(b, x);
    MDB_val k = mval(key, strlen(key)), v = mval(b, 8);
    return mdb_put(txn, d->t[T_META], &k, &v, 0);
}

int db_get_root(db *d, MDB_txn *txn, bytes32 *root) {
    MDB_val k = mval("root", 4), v;
    int rc = mdb_get(txn, d->t[T_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        *root = EMPTY_TRIE_ROOT;
        return 0;
    }
    if (rc) return rc;
    if (v.mv_size != 32) return MDB_CORRUPTED;
    memcpy(root->b, v.mv_data, 32);
    return 0;
}

int db_del_prefix(MDB_txn *txn, MDB_dbi t, const uint8_t *prefix, size_t n) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, t, &c);
    if (rc) return rc;
    MDB_val k = mval(prefix, n), v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= n && memcmp(k.mv_data, prefix, n) == 0) {
        /* delete the key with all its duplicates, then seek afresh rather
         * than rely on where a delete leaves the cursor */
        rc = mdb_cursor_del(c, MDB_NODUPDATA);
        if (rc) break;
        k = mval(prefix, n);
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- state rows ---- */

int db_get_account(db *d, MDB_txn *txn, const address *a, const bytes32 *haddr, db_account *out,
                   bytes32 *storage_root) {
    MDB_val k = mval(haddr->b, 32), v;
    int rc = mdb_get(txn, d->t[T_HACCOUNTS], &k, &v);
    if (rc) return rc;
    address stored;
    if (!db_account_row_decode(v.mv_data, v.mv_size, &stored, out, storage_root)) return MDB_CORRUPTED;
    return address_eq(&stored, a) ? 0 : MDB_CORRUPTED;
}

int db_get_slot(db *d, MDB_txn *txn, const bytes32 *haddr, const u256 *slot, const bytes32 *hslot, u256 *out) {
    uint8_t key[64];
    memcpy(key, haddr->b, 32);
    memcpy(key + 32, hslot->b, 32);
    MDB_val k = mval(key, 64), v;
    int rc = mdb_get(txn, d->t[T_HSTORAGE], &k, &v);
    if (rc) return rc;
    u256 stored;
    if (!db_slot_row_decode(v.mv_data, v.mv_size, &stored, out)) return MDB_CORRUPTED;
    return u256_eq(&stored, slot) ? 0 : MDB_CORRUPTED;
}
