/* The store's write operations: committing blocks, loading a genesis
 * state, catching the trie up, and unwinding. Committing works inside its
 * write transaction (see below); the others read the state they start from
 * in a read transaction, compute (work set, trie jobs) without holding the
 * write transaction, then write everything in one, refusing if another
 * process committed in between. db_write re-runs the writes if the map had
 * to grow. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_proof.h"
#include "db_internal.h"

/* Where the store stands: its head (if any), the trie's block, and the first
 * block with a change set. */
typedef struct {
    bool has_head;
    uint64_t head;
    bytes32 head_hash;
    uint64_t trie;
    uint64_t history;
} position;

static int read_position(db *d, MDB_txn *txn, position *p) {
    memset(p, 0, sizeof *p);
    int rc = db_get_head(d, txn, &p->head, &p->head_hash);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return rc;
    p->has_head = true;
    if ((rc = db_get_meta_u64(d, txn, "trie", &p->trie))) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
    if ((rc = db_get_meta_u64(d, txn, "history", &p->history))) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
    if (p->trie > p->head || p->history > p->head + 1) return MDB_CORRUPTED;
    return 0;
}

static int put_root(db *d, MDB_txn *txn, const bytes32 *root) {
    MDB_val k = mval("root", 4), v = mval(root->b, 32);
    return mdb_put(txn, d->t[T_META], &k, &v, 0);
}

static int put_kv(MDB_txn *txn, MDB_dbi t, const void *k, size_t kn, const void *v, size_t vn) {
    MDB_val key = mval(k, kn), val = mval(v, vn);
    return mdb_put(txn, t, &key, &val, 0);
}

/* ---- Commit blocks ----
 * Everything happens inside the write transaction: each block's prior state
 * is read there (so a block sees the blocks before it in the same batch),
 * its rows are written, then the root is computed. The trie engine's own
 * readers see the last commit, before the batch: for one block on an
 * up-to-date trie the block's work set is the trie's change list directly
 * (wiped storage tries skip their old content); otherwise the trie catches
 * up from the change sets of every block since it was last updated, read
 * back in the write transaction (the batch's own included). */

typedef struct {
    const db_block *blocks;
    size_t n;
    bool with_root, first;
    bool each; /* every block (more than one) asks for a root */
    bytes32 root;
    db_commit_stats st;
} commit_job;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_block_data(db *d, MDB_txn *txn, const db_block *b) {
    bytes32 hash = keccak256_hash(b->header.data, b->header.len);
    uint8_t nh[40];
    put_u64(nh, b->number);
    memcpy(nh + 8, hash.b, 32);
    int rc = put_kv(txn, d->t[T_HEADERS], nh, 40, b->header.data, b->header.len);
    if (!rc) rc = put_kv(txn, d->t[T_BODIES], nh, 40, b->body.data, b->body.len);
    if (!rc) rc = put_kv(txn, d->t[T_RECEIPTS], nh, 40, b->receipts.data, b->receipts.len);
    if (!rc) rc = put_kv(txn, d->t[T_BLOCK_TXS], nh, 40, b->tx_hashes, 32 * b->n_txs);
    if (!rc) rc = put_kv(txn, d->t[T_HEADER_NUMBERS], hash.b, 32, nh, 8);
    if (!rc) rc = put_kv(txn, d->t[T_CANONICAL], nh, 8, hash.b, 32);
    for (size_t i = 0; !rc && i < b->n_txs; i++) {
        uint8_t loc[12];
        put_u64(loc, b->number);
        for (int k = 0; k < 4; k++) loc[8 + k] = (uint8_t)(i >> (24 - 8 * k));
        rc = put_kv(txn, d->t[T_TX_INDEX], b->tx_hashes[i].b, 32, loc, 12);
    }
    if (!rc && b->td) {
        uint8_t v[32];
        rc = put_kv(txn, d->t[T_TD], nh, 40, v, db_word_encode(b->td, v));
    }
    for (size_t i = 0; !rc && i < b->n_meta; i++) {
        char key[208];
        int kn = snprintf(key, sizeof key, "chain.%s", b->meta[i].name);
        rc = put_kv(txn, d->t[T_META], key, (size_t)kn, b->meta[i].value.data, b->meta[i].value.len);
    }
    if (!rc) rc = put_kv(txn, d->t[T_META], "head", 4, nh, 40);
    for (size_t i = 0; !rc && i < b->n_checkpoints; i++) {
        const db_checkpoint *c = &b->checkpoints[i];
        uint8_t v[8];
        put_u64(v, c->number);
        rc = put_kv(txn, d->t[T_STAGES], c->name, strlen(c->name), v, 8);
    }
    return rc;
}

/* Computes the root (into j->root) with work set w, checks it against
 * last's expected root, and writes the root and the trie's block (last's). */
static int root_and_write(db *d, MDB_txn *txn, commit_job *j, work_set *w, const db_block *last, const char **err) {
    double t = now();
    *err = work_roots(w);
    j->st.root += now() - t;
    if (*err) return 0;
    if (last->expected_root && !bytes32_eq(last->expected_root, &w->root)) {
        *err = DB_ROOT_MISMATCH;
        return 0;
    }
    j->root = w->root;
    j->st.records += w->updates.count;
    int rc = put_root(d, txn, &w->root);
    return rc ? rc : db_put_meta_u64(d, txn, "trie", last->number);
}

/* work_roots on a thread of its own (the trie engine reads the last
 * commit through its own readers, and the pool). */
typedef struct {
    work_set *w;
    const char *err;
    double seconds;
} root_thread;

static void *root_main(void *arg) {
    root_thread *r = arg;
    double t = now();
    r->err = work_roots(r->w);
    r->seconds = now() - t;
    return NULL;
}

/* One block on an up-to-date trie: its root is computed while its code
 * rows, change set and block data are written (they do not need it);
 * then the state rows and branch records. */
static int commit_fast(db *d, MDB_txn *txn, commit_job *j, work_set *w, const db_block *b, const char **err) {
    root_thread r = {w, NULL, 0};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, root_main, &r) == 0;
    if (!threaded) root_main(&r);
    double t = now();
    int rc = work_write_changes(w, txn, true, b->number);
    if (!rc) rc = write_block_data(d, txn, b);
    j->st.write += now() - t;
    if (threaded) pthread_join(th, NULL);
    j->st.root += r.seconds;
    if (rc) return rc;
    if ((*err = r.err)) return 0;
    if (b->expected_root && !bytes32_eq(b->expected_root, &w->root)) {
        *err = DB_ROOT_MISMATCH;
        return 0;
    }
    j->root = w->root;
    j->st.records += w->updates.count;
    t = now();
    rc = work_write_state(w, txn);
    if (!rc) rc = put_root(d, txn, &w->root);
    if (!rc) rc = db_put_meta_u64(d, txn, "trie", b->number);
    j->st.write += now() - t;
    return rc;
}

/* The kept preview of b, when it can stand for b's root work in txn (the
 * store at pos, its trie up to date): one on the head if nothing was
 * committed since, a chained one once its parent is the head. */
static work_set *usable_preview(const db_block *b, MDB_txn *txn, const position *pos) {
    db_preview *p = (db_preview *)b->preview;
    if (!p || !p->reusable || p->changes != b->changes || !pos->has_head || pos->trie != pos->head) return NULL;
    if (p->chained ? !bytes32_eq(&pos->head_hash, &p->parent_hash) : work_check_base(&p->w, txn) != NULL)
        return NULL;
    return &p->w;
}

/* One block whose root db_preview_root_keep already computed on this very
 * state: only the writes are left. */
static int commit_prepared(db *d, MDB_txn *txn, commit_job *j, work_set *w, const db_block *b, const char **err) {
    j->st.accounts += w->n;
    j->st.read_ahead += w->n_read_ahead;
    j->st.from_log += w->n_from_log;
    for (size_t a = 0; a < w->n; a++) j->st.slots += w->a[a].n_slots;
    if (b->expected_root && !bytes32_eq(b->expected_root, &w->root)) {
        *err = DB_ROOT_MISMATCH;
        return 0;
    }
    double t = now();
    int rc = work_write_changes(w, txn, true, b->number);
    if (!rc) rc = write_block_data(d, txn, b);
    if (!rc) rc = work_write_state(w, txn);
    if (!rc) rc = put_root(d, txn, &w->root);
    if (!rc) rc = db_put_meta_u64(d, txn, "trie", b->number);
    j->st.write += now() - t;
    j->root = w->root;
    j->st.records += w->updates.count;
    return rc;
}

static void overlay_parent(trie_overlay *ov, const work_set *pw);

/* The first block of a batch on a trie that lags the head: its rows are
 * written, then the trie catches up over every block since (its own
 * included) into *rw (initialised here), whose root is checked. */
static int first_block_catching_up(db *d, MDB_txn *txn, commit_job *j, const position *p, work_set *w,
                                   work_set *rw, const char **err) {
    const db_block *b = &j->blocks[0];
    double t = now();
    int rc = work_write(w, txn, true, b->number);
    if (!rc) rc = write_block_data(d, txn, b);
    j->st.write += now() - t;
    work_init(rw, d, txn);
    if (rc) return rc;
    t = now();
    rc = work_add_history(rw, p->trie + 1, b->number);
    j->st.prepare += now() - t;
    if (!rc) rc = root_and_write(d, txn, j, rw, b, err);
    t = now();
    if (!rc && !*err) rc = work_write(rw, txn, false, 0);
    j->st.write += now() - t;
    return rc;
}

/* Every block of the batch asks for a root. A block whose kept preview
 * was computed on the state the blocks before it leave (a chained one) is
 * only written. Otherwise its prior state is read in txn (the blocks
 * before it written there), its root computed on the last commit's tries
 * with the earlier blocks' leaves and records in an overlay (the trie
 * engine's readers do not see txn), checked, and its rows and records
 * written. */
typedef struct {
    trie_overlay *ov;
    const work_set **done; /* the root work of the blocks written so far */
    work_set *own;         /* the work sets computed here (freed at the end) */
    size_t n_done, n_laid; /* of done, those in the overlay */
} batch_tries;

/* The overlay with every block written so far, as a trie store. */
static trie_store batch_store(batch_tries *bt) {
    for (; bt->n_laid < bt->n_done; bt->n_laid++) overlay_parent(bt->ov, bt->done[bt->n_laid]);
    return trie_overlay_store(bt->ov);
}

static int commit_each(db *d, MDB_txn *txn, commit_job *j, const position *p, const char **err) {
    trie_store base = db_trie_store(d), top;
    batch_tries bt = {.ov = trie_overlay_new(&base)};
    bt.done = calloc(j->n, sizeof *bt.done);
    bt.own = calloc(2 * j->n, sizeof *bt.own);
    if (!bt.done || !bt.own) abort();
    size_t n_own = 0;
    position cur = *p;
    int rc = 0;
    for (size_t i = 0; i < j->n && !rc && !*err; i++) {
        const db_block *b = &j->blocks[i];
        if (i) rc = read_position(d, txn, &cur); /* the blocks before it, written in txn */
        work_set *kept = rc ? NULL : usable_preview(b, txn, &cur);
        if (kept) {
            rc = commit_prepared(d, txn, j, kept, b, err);
            bt.done[bt.n_done++] = kept;
            continue;
        }
        work_set *w = &bt.own[n_own++];
        work_init(w, d, txn);
        w->read_id = i == 0 ? w->base_id - 1 : 0; /* later blocks read what txn wrote */
        if (i > 0) {
            top = batch_store(&bt);
            w->trie = &top;
        }
        double t = now();
        if (!rc && b->changes) rc = work_apply(w, b->changes);
        j->st.prepare += now() - t;
        j->st.accounts += w->n;
        j->st.read_ahead += w->n_read_ahead;
        for (size_t a = 0; a < w->n; a++) j->st.slots += w->a[a].n_slots;
        bool catch_up = cur.has_head && cur.trie != cur.head; /* the first block only */
        if (!rc && catch_up) {
            work_set *rw = &bt.own[n_own++];
            rc = first_block_catching_up(d, txn, j, &cur, w, rw, err);
            bt.done[bt.n_done++] = rw;
        } else if (!rc) {
            rc = commit_fast(d, txn, j, w, b, err);
            bt.done[bt.n_done++] = w;
        }
        w->trie = NULL;
    }
    for (size_t k = 0; k < n_own; k++) work_free(&bt.own[k]);
    free(bt.own);
    free(bt.done);
    trie_overlay_free(bt.ov);
    return rc;
}

static int commit_write(db *d, MDB_txn *txn, void *arg, const char **err) {
    commit_job *j = arg;
    memset(&j->st, 0, sizeof j->st);
    position p;
    int rc = read_position(d, txn, &p);
    if (rc) return rc;
    j->first = !p.has_head;
    if (p.has_head ? j->blocks[0].number != p.head + 1 : j->blocks[0].number != 0) {
        *err = p.has_head ? "block number does not follow the head" : "the first block must be block 0";
        return 0;
    }
    if (j->each) { /* (its blocks read the position back: history first) */
        if (j->first) rc = db_put_meta_u64(d, txn, "history", j->blocks[0].number);
        return rc ? rc : commit_each(d, txn, j, &p, err);
    }
    /* the trie is up to date before the batch: one block's own changes suffice */
    bool fast = j->with_root && j->n == 1 && (!p.has_head || p.trie == p.head);
    for (size_t i = 0; i < j->n && !rc && !*err; i++) {
        const db_block *b = &j->blocks[i];
        work_set *kept = fast ? usable_preview(b, txn, &p) : NULL;
        if (kept) {
            rc = commit_prepared(d, txn, j, kept, b, err);
            continue;
        }
        work_set w;
        work_init(&w, d, txn);
        /* before the first block's writes, readers see what txn sees */
        w.read_id = i == 0 ? w.base_id - 1 : 0;
        double t = now();
        if (b->changes) rc = work_apply(&w, b->changes);
        j->st.prepare += now() - t;
        j->st.accounts += w.n;
        j->st.read_ahead += w.n_read_ahead;
        for (size_t a = 0; a < w.n; a++) j->st.slots += w.a[a].n_slots;
        if (!rc && fast) {
            rc = commit_fast(d, txn, j, &w, b, err);
        } else if (!rc) {
            t = now();
            rc = work_write(&w, txn, true, b->number);
            if (!rc) rc = write_block_data(d, txn, b);
            j->st.write += now() - t;
        }
        work_free(&w);
    }
    if (!rc && !*err && j->with_root && !fast) {
        work_set w;
        work_init(&w, d, txn);
        double t = now();
        rc = work_add_history(&w, p.has_head ? p.trie + 1 : 0, j->blocks[j->n - 1].number);
        j->st.prepare += now() - t;
        if (!rc) rc = root_and_write(d, txn, j, &w, &j->blocks[j->n - 1], err);
        t = now();
        if (!rc && !*err) rc = work_write(&w, txn, false, 0);
        j->st.write += now() - t;
        work_free(&w);
    }
    if (!rc && !*err && j->first) rc = db_put_meta_u64(d, txn, "history", j->blocks[0].number);
    return rc;
}

const char *db_commit_blocks(db *d, const db_block *blocks, size_t n, bytes32 *root) {
    if (n == 0) return "no block to commit";
    size_t rows = 64;
    bool each = n > 1;
    for (size_t i = 0; i < n; i++) each = each && blocks[i].root;
    for (size_t i = 0; i < n; i++) {
        const db_block *b = &blocks[i];
        if (i && b->number != blocks[i - 1].number + 1) return "blocks of a batch must be consecutive";
        if (!each && i + 1 < n && (b->root || b->expected_root))
            return "in a batch, either every block or only the last gets a root";
        for (size_t k = 0; k < b->n_checkpoints; k++)
            if (!b->checkpoints[k].name || !b->checkpoints[k].name[0] || strlen(b->checkpoints[k].name) > 200)
                return "bad stage checkpoint name";
        for (size_t k = 0; k < b->n_meta; k++)
            if (!b->meta[k].name || !b->meta[k].name[0] || strlen(b->meta[k].name) > 200)
                return "bad meta name";
        rows += 8 + b->n_txs + (b->changes ? 4 * (b->changes->n_accounts + b->changes->n_slots) : 0);
    }
    /* the batch that holds block 0 defines the trie's block: it needs a root */
    commit_job j = {.blocks = blocks, .n = n, .with_root = blocks[n - 1].root || blocks[0].number == 0, .each = each};
    pthread_mutex_lock(&d->writer);
    double t0 = now();
    const char *err = db_write(d, commit_write, &j, rows);
    pthread_mutex_unlock(&d->writer);
    if (err) return err;
    if (root && j.with_root) *root = j.root;
    db_commit_stats *st = blocks[n - 1].stats;
    if (st) {
        *st = j.st;
        st->write = now() - t0 - st->prepare - st->root; /* the commit itself included */
    }
    return NULL;
}

const char *db_commit_block(db *d, const db_block *b, bytes32 *root) { return db_commit_blocks(d, b, 1, root); }

static int meta_write(db *d, MDB_txn *txn, void *arg, const char **err) {
    (void)err;
    const db_meta *m = arg;
    char key[208];
    int kn = snprintf(key, sizeof key, "chain.%s", m->name);
    return put_kv(txn, d->t[T_META], key, (size_t)kn, m->value.data, m->value.len);
}

const char *db_put_meta(db *d, const db_meta *m) {
    if (!m->name || !m->name[0] || strlen(m->name) > 200) return "bad meta name";
    pthread_mutex_lock(&d->writer);
    const char *err = db_write(d, meta_write, (void *)m, 1);
    pthread_mutex_unlock(&d->writer);
    return err;
}

/* ---- Genesis state ---- */

static int load_write(db *d, MDB_txn *txn, void *arg, const char **err) {
    work_set *w = arg;
    if ((*err = work_check_base(w, txn))) return 0;
    int rc = work_write(w, txn, false, 0);
    return rc ? rc : put_root(d, txn, &w->root);
}

const char *db_load_state(db *d, const change_set *cs, bytes32 *root) {
    pthread_mutex_lock(&d->writer);
    MDB_txn *rt;
    work_set w;
    const char *err = NULL;
    int rc = db_begin(d, MDB_RDONLY, &rt);
    if (rc) {
        pthread_mutex_unlock(&d->writer);
        return db_mdb_error(rc);
    }
    work_init(&w, d, rt);
    position p;
    rc = read_position(d, rt, &p);
    if (!rc && p.has_head) err = "state can only be loaded before block 0";
    if (!rc && !err) rc = work_apply(&w, cs);
    mdb_txn_abort(rt);
    w.rt = NULL;
    if (!rc && !err) err = work_roots(&w);
    if (!rc && !err) err = db_write(d, load_write, &w, work_rows(&w));
    if (!rc && !err && root) *root = w.root;
    work_free(&w);
    pthread_mutex_unlock(&d->writer);
    return rc ? db_mdb_error(rc) : err;
}

/* Empties every table but the schema mark, in one write transaction. */
static int clear_tables(db *d, MDB_txn *txn) {
    int rc = 0;
    for (int i = 0; i < T_COUNT && !rc; i++)
        if (i != T_META) rc = mdb_drop(txn, d->t[i], 0);
    MDB_cursor *c;
    if (rc || (rc = mdb_cursor_open(txn, d->t[T_META], &c))) return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if (!(k.mv_size == 6 && !memcmp(k.mv_data, "schema", 6)) && (rc = mdb_cursor_del(c, 0))) break;
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

const char *db_clear_unfinished(db *d) {
    pthread_mutex_lock(&d->writer);
    MDB_txn *txn;
    const char *err = NULL;
    int rc = db_begin(d, 0, &txn);
    if (!rc) {
        position p;
        rc = read_position(d, txn, &p);
        if (!rc && p.has_head) err = "the store holds blocks";
        if (!rc && !err) rc = clear_tables(d, txn);
        if (!rc && !err) rc = mdb_txn_commit(txn);
        else mdb_txn_abort(txn);
    }
    pthread_mutex_unlock(&d->writer);
    return rc ? db_mdb_error(rc) : err;
}

/* ---- Previewing a root ---- */

/* reads' log indexed in x, when it shows the commit w reads (false: not). */
static bool index_reads(const db_snapshot *reads, const work_set *w, read_index *x) {
    unsigned lanes;
    size_t id;
    if (!reads || !db_snapshot_logs(reads, &lanes, &id) || id != w->read_id) return false;
    return read_index_build(x, reads);
}

/* The root of sets[0..n) on the latest state, in w (initialised here; the
 * caller frees it), prior values taken from reads' log where it can.
 * *reusable: the trie was up to date, so w holds exactly what committing
 * one block of sets[0] on this head would compute. */
static const char *preview_work(db *d, const change_set *const *sets, size_t n, const db_snapshot *reads,
                                work_set *w, bool *reusable) {
    MDB_txn *rt;
    int rc = db_begin(d, MDB_RDONLY, &rt);
    if (rc) {
        memset(w, 0, sizeof *w);
        return db_mdb_error(rc);
    }
    work_init(w, d, rt);
    position p;
    rc = read_position(d, rt, &p);
    *reusable = !rc && p.has_head && p.trie == p.head && n == 1;
    if (!rc && p.has_head && p.trie < p.head) rc = work_add_history(w, p.trie + 1, p.head);
    w->trie_at_prior = !rc && p.has_head && p.trie == p.head;
    read_index x;
    bool logged = !rc && index_reads(reads, w, &x);
    if (logged) w->reads = &x;
    for (size_t i = 0; !rc && i < n; i++) rc = work_apply(w, sets[i]);
    if (logged) read_index_free(&x);
    w->reads = NULL;
    mdb_txn_abort(rt);
    w->rt = NULL; /* the roots read through the trie engine's own readers */
    return rc ? db_mdb_error(rc) : work_roots(w);
}

const char *db_preview_root(db *d, const change_set *const *sets, size_t n, bytes32 *root) {
    pthread_mutex_lock(&d->writer); /* the root engine's pool: one user at a time */
    work_set w;
    bool reusable;
    const char *err = preview_work(d, sets, n, NULL, &w, &reusable);
    if (!err) *root = w.root;
    work_free(&w);
    pthread_mutex_unlock(&d->writer);
    return err;
}

const char *db_preview_root_keep(db *d, const change_set *cs, const db_snapshot *reads, bytes32 *root,
                                 db_preview **out) {
    *out = NULL;
    db_preview *p = calloc(1, sizeof *p);
    if (!p) abort();
    pthread_mutex_lock(&d->writer);
    const change_set *sets[1] = {cs};
    const char *err = preview_work(d, sets, 1, reads, &p->w, &p->reusable);
    pthread_mutex_unlock(&d->writer);
    if (err) {
        db_preview_free(p);
        return err;
    }
    p->changes = cs;
    *root = p->w.root;
    if (p->reusable) db_preview_build_overlay(d, p);
    *out = p;
    return NULL;
}

/* ---- Chained previews ----
 * The unwritten ancestors' final states come from their work sets
 * (work_account and work_slot look there first, the newest first), their
 * tries from an overlay of the store's with the ancestors' leaves and
 * branch records. No writer lock: the ancestors' commits may run
 * meanwhile, so the trie engine's readers (their own read transactions, on
 * the db's second pool) may see the store before or after them -- the
 * same state under the overlay, which holds every leaf and record those
 * commits write. A storage wipe of stored storage (in an ancestor or here)
 * would need the store's slots under the ancestors' (a child's reads of
 * the wiped storage, a wipe's prior slots): such a block takes the normal
 * path. */

/* The parent's leaves and records on top of the store's tries (its
 * storage wipes hide what was there). */
static void overlay_parent(trie_overlay *ov, const work_set *pw) {
    buf_t v = {0};
    for (size_t i = 0; i < pw->n; i++) {
        const acct_work *a = &pw->a[i];
        if (a->wiped) trie_overlay_wipe(ov, &a->haddr);
        for (size_t k = 0; k < a->n_slots; k++) {
            const slot_work *s = &a->slots[k];
            /* a preview's slots are all hashed (db_preview) */
            bytes32 hk = s->hashed ? s->hkey : db_slot_hash(&s->key);
            buf_clear(&v);
            if (!u256_is_zero(&s->value)) rlp_encode_u256(&v, &s->value);
            trie_overlay_set_leaf(ov, &a->haddr, &hk, v.data, v.len);
        }
        buf_clear(&v);
        if (a->exists) db_leaf_encode(&a->acct, &a->storage_root, &v);
        trie_overlay_set_leaf(ov, NULL, &a->haddr, v.data, v.len);
    }
    buf_free(&v);
    trie_overlay_apply_shared(ov, &pw->updates); /* the overlay lives shorter than pw */
}

trie_overlay *db_ancestors_overlay(const trie_store *base, const work_set *const *up, size_t n) {
    if (!n) return NULL;
    trie_overlay *ov = trie_overlay_new(base);
    for (size_t k = n; k-- > 0;) overlay_parent(ov, up[k]);
    return ov;
}

trie_overlay *db_previews_overlay(const trie_store *base, const db_preview *const *pv, size_t n) {
    if (!n) return NULL;
    trie_overlay *ov = trie_overlay_new(base);
    const trie_overlay **built = calloc(n, sizeof *built);
    if (!built) abort();
    size_t nb = 0;
    for (size_t k = 0; k < n; k++)
        if (db_preview_overlay(pv[k])) built[nb++] = pv[k]->ov->ov; /* joins its thread: built and sorted */
    trie_overlay_reserve(ov, built, nb);
    free(built);
    for (size_t k = n; k-- > 0;) {
        if (db_preview_overlay(pv[k]))
            trie_overlay_apply_overlay(ov, pv[k]->ov->ov);
        else
            overlay_parent(ov, &pv[k]->w);
    }
    return ov;
}

static void *overlay_main(void *arg) {
    db_preview *p = arg;
    const work_set *up[1] = {&p->w};
    p->ov->ov = db_ancestors_overlay(&p->ov->base, up, 1);
    p->ov->top = trie_overlay_store(p->ov->ov); /* sorts it */
    return NULL;
}

void db_preview_build_overlay(db *d, db_preview *p) {
    preview_overlay *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->base = db_trie_store(d);
    pthread_mutex_init(&o->mu, NULL);
    p->ov = o;
    o->running = pthread_create(&o->thread, NULL, overlay_main, p) == 0;
    if (!o->running) {
        pthread_mutex_destroy(&o->mu);
        free(o);
        p->ov = NULL;
    }
}

const trie_store *db_preview_overlay(const db_preview *p) {
    preview_overlay *o = p->ov;
    if (!o) return NULL;
    pthread_mutex_lock(&o->mu);
    if (o->running) {
        pthread_join(o->thread, NULL);
        o->running = false;
    }
    pthread_mutex_unlock(&o->mu);
    return &o->top;
}

static void preview_overlay_free(db_preview *p) {
    if (!p->ov) return;
    db_preview_overlay(p); /* joins its thread */
    trie_overlay_free(p->ov->ov);
    pthread_mutex_destroy(&p->ov->mu);
    free(p->ov);
    p->ov = NULL;
}

bool work_wipes_stored_storage(const work_set *w) {
    for (size_t i = 0; i < w->n; i++) {
        const acct_work *a = &w->a[i];
        if (a->wiped && (a->n_wiped_prior || !bytes32_eq(&a->storage_root, &EMPTY_TRIE_ROOT))) return true;
    }
    return false;
}

/* The chained preview's work on rt: over the unwritten ancestors' previews
 * pv[0..n) (the newest first), or on the store alone (n == 0); built: the
 * oldest one's overlay (db_preview_overlay), or NULL. */
static const char *chain_work(db *d, MDB_txn *rt, const db_preview *const *pv, size_t n, const trie_store *built,
                              const change_set *cs, work_set *w) {
    trie_store base = db_trie_store(d);
    const trie_store *under = built ? built : &base;
    trie_overlay *ov = db_previews_overlay(under, pv, built ? n - 1 : n);
    trie_store top;
    if (ov) top = trie_overlay_store(ov);
    const work_set **up = calloc(n + 1, sizeof *up); /* their final states, the newest first */
    if (!up) abort();
    for (size_t k = 0; k < n; k++) up[k] = &pv[k]->w;
    work_init(w, d, rt);
    w->parents = up;
    w->n_parents = n;
    w->trie = ov ? &top : under;
    w->trie_at_prior = true; /* the store's trie is at its head (db_unwritten_ancestors) */
    w->pool = d->chain_pool;
    const char *err = NULL;
    int rc = work_apply(w, cs);
    if (!rc && work_wipes_stored_storage(w)) err = "a storage wipe of stored storage";
    if (!rc && !err) err = work_roots(w);
    w->parents = NULL;
    w->n_parents = 0;
    w->trie = NULL;
    w->pool = NULL;
    w->rt = NULL;
    free(up);
    trie_overlay_free(ov);
    return rc ? db_mdb_error(rc) : err;
}

/* Whether preview p (of a block whose parent is the store's head at rt)
 * was computed on that very state. */
static bool preview_on(const db_preview *p, MDB_txn *rt, const position *pos) {
    return p->chained ? bytes32_eq(&pos->head_hash, &p->parent_hash) : mdb_txn_id(rt) == p->w.base_id;
}

const char *db_unwritten_ancestors(db *d, MDB_txn *rt, const db_preview_link *anc, size_t n, size_t *first) {
    position pos;
    int rc = read_position(d, rt, &pos);
    if (rc) return db_mdb_error(rc);
    if (!pos.has_head || pos.trie != pos.head) return "the store's trie lags its head";
    size_t f = 0;
    for (size_t k = n; k-- > 0;)
        if (bytes32_eq(&anc[k].hash, &pos.head_hash)) {
            f = k + 1;
            break;
        }
    for (size_t k = f; k < n; k++) {
        const db_preview *p = anc[k].preview;
        if (!p || !p->reusable) return "an unwritten ancestor has no usable preview";
        if (k == f ? !preview_on(p, rt, &pos) : !p->chained || !bytes32_eq(&p->parent_hash, &anc[k - 1].hash))
            return "the store is not at the ancestors' parent, nor at one of them";
        if (work_wipes_stored_storage(&p->w)) return "an unwritten ancestor wipes stored storage";
    }
    *first = f;
    return NULL;
}

const char *db_preview_root_chain(db *d, const db_preview_link *ancestors, size_t n, const change_set *cs,
                                  bytes32 *root, db_preview **out) {
    *out = NULL;
    if (!n) return "no ancestor given";
    db_snapshots_enter(d); /* a map resize waits for rt */
    MDB_txn *rt;
    int rc = db_read_begin(d, &rt);
    if (rc) {
        db_snapshots_leave(d);
        return db_mdb_error(rc);
    }
    size_t first = n;
    const char *err = db_unwritten_ancestors(d, rt, ancestors, n, &first);
    size_t n_up = n - first;
    const db_preview **pv = calloc(n_up + 1, sizeof *pv);
    if (!pv) abort();
    for (size_t k = 0; k < n_up; k++) pv[k] = ancestors[n - 1 - k].preview; /* the newest first */
    db_preview *p = calloc(1, sizeof *p);
    if (!p) abort();
    /* the oldest unwritten ancestor's overlay was built beside its child's
     * execution; the newer ones go on top of it */
    const trie_store *built = !err && n_up ? db_preview_overlay(ancestors[first].preview) : NULL;
    if (!err) {
        pthread_mutex_lock(&d->chain_lock);
        err = chain_work(d, rt, pv, n_up, built, cs, &p->w);
        pthread_mutex_unlock(&d->chain_lock);
    }
    if (!err && n_up) { /* usable once the parent's commit is done */
        p->chained = true;
        p->parent_hash = ancestors[n - 1].hash;
    }
    free(pv);
    mdb_txn_abort(rt);
    db_snapshots_leave(d);
    if (err) {
        db_preview_free(p);
        return err;
    }
    p->reusable = true;
    p->changes = cs;
    *root = p->w.root;
    db_preview_build_overlay(d, p);
    *out = p;
    return NULL;
}

void db_preview_free(db_preview *p) {
    if (!p) return;
    preview_overlay_free(p);
    work_free(&p->w);
    free(p);
}

/* ---- Catching the trie up ---- */

typedef struct {
    work_set *w;
    uint64_t head;
} root_job;

static int root_write(db *d, MDB_txn *txn, void *arg, const char **err) {
    root_job *j = arg;
    if ((*err = work_check_base(j->w, txn))) return 0;
    int rc = work_write(j->w, txn, false, 0);
    if (!rc) rc = put_root(d, txn, &j->w->root);
    return rc ? rc : db_put_meta_u64(d, txn, "trie", j->head);
}

const char *db_update_root(db *d, bytes32 *root) {
    pthread_mutex_lock(&d->writer);
    MDB_txn *rt;
    work_set w;
    const char *err = NULL;
    int rc = db_begin(d, MDB_RDONLY, &rt);
    if (rc) {
        pthread_mutex_unlock(&d->writer);
        return db_mdb_error(rc);
    }
    work_init(&w, d, rt);
    position p;
    bytes32 cur;
    rc = read_position(d, rt, &p);
    if (!rc) rc = db_get_root(d, rt, &cur);
    bool lag = !rc && p.has_head && p.trie < p.head;
    if (lag) rc = work_add_history(&w, p.trie + 1, p.head);
    mdb_txn_abort(rt);
    w.rt = NULL;
    if (!rc && lag) {
        err = work_roots(&w);
        root_job j = {&w, p.head};
        if (!err) err = db_write(d, root_write, &j, work_rows(&w));
        cur = w.root;
    }
    if (!rc && !err && root) *root = cur;
    work_free(&w);
    pthread_mutex_unlock(&d->writer);
    return rc ? db_mdb_error(rc) : err;
}

/* ---- Unwind ---- */

typedef struct {
    work_set *w;
    uint64_t number, head;
} unwind_job;

/* Drops blocks number+1..head from the canonical chain, the transaction
 * index and the change sets. */
static int drop_blocks(db *d, MDB_txn *txn, uint64_t number, uint64_t head) {
    int rc = 0;
    for (uint64_t m = head; m > number && !rc; m--) {
        uint8_t nh[40];
        put_u64(nh, m);
        MDB_val k = mval(nh, 8), v;
        rc = mdb_get(txn, d->t[T_CANONICAL], &k, &v);
        if (rc) break;
        if (v.mv_size != 32) {
            rc = MDB_CORRUPTED;
            break;
        }
        memcpy(nh + 8, v.mv_data, 32);
        k = mval(nh, 40);
        rc = mdb_get(txn, d->t[T_BLOCK_TXS], &k, &v);
        if (!rc && v.mv_size % 32) rc = MDB_CORRUPTED;
        if (rc) break;
        /* the txs value lives in the map: copy the hashes before deleting */
        size_t n = v.mv_size / 32;
        bytes32 *txs = malloc((n + 1) * sizeof *txs);
        if (!txs) abort();
        memcpy(txs, v.mv_data, n * 32);
        for (size_t i = 0; i < n && !rc; i++) {
            MDB_val tk = mval(txs[i].b, 32);
            rc = mdb_del(txn, d->t[T_TX_INDEX], &tk, NULL);
            if (rc == MDB_NOTFOUND) rc = 0;
        }
        free(txs);
        k = mval(nh, 8);
        if (!rc) rc = mdb_del(txn, d->t[T_CANONICAL], &k, NULL);
        if (!rc) rc = mdb_del(txn, d->t[T_ACCT_CHANGES], &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
        if (!rc) rc = db_del_prefix(txn, d->t[T_STORAGE_CHANGES], nh, 8);
    }
    return rc;
}

/* Lowers every stage checkpoint above number to number. */
static int lower_stages(db *d, MDB_txn *txn, uint64_t number) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, d->t[T_STAGES], &c);
    if (rc) return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (v.mv_size != 8) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (get_u64(v.mv_data) <= number) continue;
        uint8_t b[8];
        put_u64(b, number);
        MDB_val nv = mval(b, 8);
        if ((rc = mdb_cursor_put(c, &k, &nv, MDB_CURRENT))) break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int unwind_write(db *d, MDB_txn *txn, void *arg, const char **err) {
    unwind_job *j = arg;
    if ((*err = work_check_base(j->w, txn))) return 0;
    int rc = work_write(j->w, txn, false, 0);
    if (!rc) rc = drop_blocks(d, txn, j->number, j->head);
    uint8_t nh[40];
    put_u64(nh, j->number);
    MDB_val k = mval(nh, 8), v;
    if (!rc) rc = mdb_get(txn, d->t[T_CANONICAL], &k, &v);
    if (!rc && v.mv_size != 32) rc = MDB_CORRUPTED;
    if (!rc) {
        memcpy(nh + 8, v.mv_data, 32);
        rc = put_kv(txn, d->t[T_META], "head", 4, nh, 40);
    }
    if (!rc) rc = put_root(d, txn, &j->w->root);
    if (!rc) rc = db_put_meta_u64(d, txn, "trie", j->number);
    if (!rc) rc = lower_stages(d, txn, j->number);
    return rc;
}

const char *db_unwind(db *d, uint64_t number, bytes32 *root) {
    pthread_mutex_lock(&d->writer);
    MDB_txn *rt;
    work_set w;
    const char *err = NULL;
    int rc = db_begin(d, MDB_RDONLY, &rt);
    if (rc) {
        pthread_mutex_unlock(&d->writer);
        return db_mdb_error(rc);
    }
    work_init(&w, d, rt);
    position p;
    rc = read_position(d, rt, &p);
    if (!rc && !p.has_head) err = "nothing to unwind: the store has no block";
    else if (!rc && number > p.head) err = "cannot unwind to a block above the head";
    else if (!rc && number + 1 < p.history) err = "change sets needed to unwind that far are missing";
    /* Keys changed since min(number, trie) need a trie update; the blocks
     * after number give their restored values. */
    uint64_t low = p.trie < number ? p.trie : number;
    if (!rc && !err && low < p.head) rc = work_add_history(&w, low + 1, p.head);
    if (!rc && !err && number < p.head) rc = work_restore_priors(&w, number + 1, p.head);
    mdb_txn_abort(rt);
    w.rt = NULL;
    if (!rc && !err) err = work_roots(&w);
    unwind_job j = {&w, number, p.head};
    if (!rc && !err) err = db_write(d, unwind_write, &j, work_rows(&w) + 4 * (p.head - number));
    if (!rc && !err && root) *root = w.root;
    work_free(&w);
    pthread_mutex_unlock(&d->writer);
    return rc ? db_mdb_error(rc) : err;
}
