/* db_preview_root: the state root the store would compute for the next
 * block, without writing anything. A block builder needs it for the header
 * before the block can be committed (db_commit_block takes the header). The
 * work is that of a commit: the head's trie (caught up over the blocks it
 * lags behind, in memory) with the change set on top. */
#include "db_internal.h"

const char *db_preview_root(db *d, const change_set *cs, bytes32 *root) {
    pthread_mutex_lock(&d->writer);
    MDB_txn *rt;
    int rc = db_begin(d, MDB_RDONLY, &rt);
    if (rc) {
        pthread_mutex_unlock(&d->writer);
        return db_mdb_error(rc);
    }
    work_set w;
    work_init(&w, d, rt);
    const char *err = NULL;
    uint64_t head, trie;
    rc = db_get_head(d, rt, &head, NULL);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        err = "the store has no block yet";
    }
    if (!rc && !err) rc = db_get_meta_u64(d, rt, "trie", &trie);
    if (!rc && !err && trie > head) rc = MDB_CORRUPTED;
    if (!rc && !err && trie < head) rc = work_add_history(&w, trie + 1, head);
    if (!rc && !err && cs) rc = work_apply(&w, cs);
    mdb_txn_abort(rt);
    w.rt = NULL;
    if (!rc && !err) err = work_roots(&w);
    if (!rc && !err) *root = w.root;
    work_free(&w);
    pthread_mutex_unlock(&d->writer);
    return rc ? db_mdb_error(rc) : err;
}
