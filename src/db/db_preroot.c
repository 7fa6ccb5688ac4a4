/* Root work done while a block still executes (db.h: db_preroot_*).
 *
 * A round computes the root of the head plus a guess of the block's changes
 * (the transactions final so far) on an overlay of the store's tries that
 * holds the leaves and branch records of the rounds before. Against that
 * overlay only what differs from the last round is a trie change: keys whose
 * value moved since, and keys an earlier round changed that the new guess
 * leaves at their stored value (put back). So each round walks what changed
 * since the last, and the final round, on the block's real change set, walks
 * what the last transactions changed.
 *
 * One work set lives across the rounds: every account and slot a round
 * touched, with its stored value (read once) and its hashed key (hashed
 * once). A round resets the values to the stored ones and applies its
 * change set; ov[i] holds what the overlay has for account i. The final
 * round's work set becomes a db_preview for the block's commit: its rows are
 * the block's own (in_block), its record writes every round's in order
 * (write_records keeps a record's last write). The stored values come from
 * execution's read log where it has them (db_preroot_use_reads): a block
 * reads nearly every key before it writes it, and a second B-tree search
 * of each was about a fifth of a round's time.
 *
 * When the block's change set is the last round's guess (the importer
 * compares them while that round runs), the final round has nothing to
 * walk: db_preroot_finish_as_guessed skips its O(keys) reset, apply and
 * comparisons, about 1.2 ms of a 1M-account erc20 block's root tail.
 * For the same reason an update round's leaves and records join the
 * overlay only when a later round walks (kept_flush): the round running
 * when execution ends is usually the last, and its overlay entries (a
 * median 0.57 ms at the end of such a block) would serve nothing.
 *
 * A prepare (db_preroot_prepare) is a round without the walk, for the
 * time the caller would otherwise wait for the last transactions: the
 * last update joins the overlay, the keys final since join the work set
 * (stored values read, slots hashed), and the round after it finds only
 * its walk left.
 *
 * A wrong guess costs time, never correctness: the final round compares with
 * what the overlay holds, whatever that is. The one thing rounds do not
 * follow is a storage wipe (self-destruct, re-creation) of an account that
 * has storage in the store: the overlay would have to hide the stored
 * leaves. Such a round fails and the block takes the normal path.
 *
 * Chained (db_preroot_new_chain), the block's unwritten ancestors stand
 * for the store as in db_preview_root_chain: the work set reads their
 * final states first, and the rounds' overlay sits on an overlay of their
 * leaves and records. The rounds then run without the writer lock, on the
 * chain pool, while the ancestors' commits go on: each round checks that
 * the store is still on the ancestors' path, where every state it can show
 * looks the same under the ancestors' overlay. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_proof.h"
#include "db_internal.h"

/* A round's tries are split across the pool from this many changes (the
 * engine's default is 256). A round is a few hundred keys in one or two
 * large tries, and the one running when execution ends, and the final
 * one, are what the block waits for: with the pool split from 64, the
 * root was ready after execution 26% sooner in bench engine (erc20, 1M
 * accounts, 2 threads). The commit path keeps the default: there, many
 * small storage tries already share the pool. */
enum { ROUND_SPLIT_MIN = 64 };

/* What the overlay holds for account i of the work set (after its first round). */
typedef struct {
    bool exists;
    db_account acct;
    bytes32 storage_root;
    word_map slots; /* every slot a round touched -> its value there */
} ov_account;

/* A trie's changes; slot[k]: for a storage trie, change k's slot in the
 * account's work entry. */
typedef struct {
    trie_change *c;
    size_t *off, *slot;
    size_t n;
} change_list;

/* An update round's changes (pointing into svals, avals) and record writes. */
typedef struct {
    bool pending;
    change_list *lists; /* by account of the work set then */
    size_t n;
    change_list acct;
    buf_t svals, avals;
    trie_updates upd;
} kept_round;

struct db_preroot {
    db *d;
    size_t base_id;       /* the head's read transaction id, from the first round */
    bool started;
    const char *err;      /* sticky: a failed round ends the work */
    trie_store base;
    /* chained: the ancestors; from the first round, the unwritten ones'
     * work sets (the newest first) and their overlay, under ov */
    db_preview_link *links;
    size_t n_links;
    const work_set **up;
    size_t n_up;
    trie_overlay *anc_ov;
    trie_store anc;
    trie_overlay *ov;     /* the rounds' leaves and records (from the first round) */
    trie_updates log;     /* every round's record writes, in order */
    work_set w;           /* every account and slot seen, stored values loaded */
    bytes32 *stored_root; /* by account: its storage root in the store */
    ov_account *a;        /* by account, for the first n */
    size_t n, cap;
    unsigned rounds;
    bool last_ran;        /* the last call was an update round that ran and succeeded */
    /* the last update round's changes and record writes, not yet in the
     * overlay (keep_round): when it turns out to be the block's last, the
     * finish as guessed needs only its record writes */
    kept_round kept;
    /* plain rounds: execution's snapshot, whose logged reads give the
     * stored values of the keys execution read (db_preroot_use_reads) */
    db_snapshot *reads;
    read_log_follow logged;
};

db_preroot *db_preroot_new(db *d) {
    db_preroot *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->d = d;
    p->base = db_trie_store(d);
    return p;
}

db_preroot *db_preroot_new_chain(db *d, const db_preview_link *ancestors, size_t n) {
    db_preroot *p = db_preroot_new(d);
    p->links = malloc((n + 1) * sizeof *p->links);
    if (!p->links) abort();
    if (n) memcpy(p->links, ancestors, n * sizeof *ancestors);
    p->n_links = n;
    if (!n) p->err = "no ancestor given";
    return p;
}

/* The trie jobs' pool: the store's (under its writer lock), or, chained,
 * its chain pool (under the chain lock). */
static task_pool *round_pool(const db_preroot *p) { return p->links ? p->d->chain_pool : p->d->pool; }

static void kept_round_free(kept_round *k);

void db_preroot_free(db_preroot *p) {
    if (!p) return;
    kept_round_free(&p->kept);
    for (size_t i = 0; i < p->n; i++) word_map_free(&p->a[i].slots);
    free(p->a);
    free(p->stored_root);
    work_free(&p->w);
    trie_overlay_free(p->ov);
    trie_overlay_free(p->anc_ov);
    free(p->up);
    free(p->links);
    trie_updates_free(&p->log);
    read_log_follow_free(&p->logged);
    free(p);
}

void db_preroot_use_reads(db_preroot *p, db_snapshot *s) {
    if (!p->links) p->reads = s;
}

/* Execution's reads so far, indexed for the round when they show its base
 * (the head the first round read); a snapshot of another commit is
 * dropped at once, as it never becomes usable. */
static const read_index *round_reads(db_preroot *p) {
    if (!p->reads || !db_snapshot_follow_logs(p->reads, &p->logged)) return NULL;
    if (p->logged.index.txn_id == p->w.read_id) return &p->logged.index;
    p->reads = NULL;
    read_log_follow_free(&p->logged);
    return NULL;
}

unsigned db_preroot_rounds(const db_preroot *p) { return p->rounds; }

/* Every entry back to its stored value, ready for a round's change set. */
static void reset_work(db_preroot *p) {
    work_set *w = &p->w;
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        a->exists = a->prior_exists;
        a->acct = a->prior;
        a->code = NULL;
        a->in_block = a->wiped = false;
        a->trie = true; /* a later round may put it back */
        a->storage_root = p->stored_root[i];
        a->n_wiped_prior = 0;
        for (size_t k = 0; k < a->n_slots; k++) {
            a->slots[k].value = a->slots[k].prior;
            a->slots[k].in_block = false;
        }
    }
}

/* The first round on the head: the work set and the overlay start there. */
static const char *start_plain(db_preroot *p, MDB_txn *rt) {
    uint64_t head, trie;
    bytes32 hash;
    work_init(&p->w, p->d, rt);
    p->ov = trie_overlay_new(&p->base);
    p->base_id = p->w.base_id;
    p->started = true;
    int rc = db_get_head(p->d, rt, &head, &hash);
    if (!rc) rc = db_get_meta_u64(p->d, rt, "trie", &trie);
    if (rc) return db_mdb_error(rc);
    return trie != head ? "the store's trie lags its head" : NULL;
}

/* A chained round's check that the store is on the ancestors' path; the
 * first one also puts the unwritten ancestors under the work set and the
 * overlay (they stay there: the ones written since show the same). */
static const char *check_chain(db_preroot *p, MDB_txn *rt) {
    size_t first;
    const char *err = db_unwritten_ancestors(p->d, rt, p->links, p->n_links, &first);
    if (err || p->started) return err;
    p->n_up = p->n_links - first;
    p->up = calloc(p->n_up + 1, sizeof *p->up);
    if (!p->up) abort();
    for (size_t k = 0; k < p->n_up; k++) p->up[k] = &p->links[p->n_links - 1 - k].preview->w; /* the newest first */
    /* the oldest unwritten ancestor's overlay was built beside its child's
     * execution; the newer ones go on top of it */
    const trie_store *built = p->n_up ? db_preview_overlay(p->links[first].preview) : NULL;
    const db_preview **pv = calloc(p->n_up + 1, sizeof *pv);
    if (!pv) abort();
    for (size_t k = 0; k < p->n_up; k++) pv[k] = p->links[p->n_links - 1 - k].preview; /* the newest first */
    p->anc_ov = db_previews_overlay(built ? built : &p->base, pv, built ? p->n_up - 1 : p->n_up);
    free(pv);
    p->anc = p->anc_ov ? trie_overlay_store(p->anc_ov) : built ? *built : p->base;
    p->ov = trie_overlay_new(&p->anc);
    work_init(&p->w, p->d, rt);
    p->w.parents = p->up;
    p->w.n_parents = p->n_up;
    p->w.pool = round_pool(p);
    p->started = true;
    return NULL;
}

/* Applies the guess (or the block's changes) on the head, or on the
 * unwritten ancestors. */
static const char *load_round(db_preroot *p, const change_set *cs) {
    MDB_txn *rt;
    int rc = p->links ? db_read_begin(p->d, &rt) : db_begin(p->d, MDB_RDONLY, &rt);
    if (rc) return db_mdb_error(rc);
    const char *err = NULL;
    if (p->links) err = check_chain(p, rt);
    else if (!p->started) err = start_plain(p, rt);
    else if (mdb_txn_id(rt) != p->base_id) err = "the store changed while the block executed";
    if (err && !p->started) {
        mdb_txn_abort(rt);
        return err;
    }
    work_set *w = &p->w;
    w->rt = rt;
    if (p->links) w->read_id = mdb_txn_id(rt); /* read-ahead readers must see rt's commit */
    size_t old = w->n;
    reset_work(p);
    if (!err) w->reads = round_reads(p);
    if (!err && !rc) rc = work_apply(w, cs);
    w->reads = NULL;
    mdb_txn_abort(rt);
    w->rt = NULL; /* the trie engine reads through its own readers */
    if (!err && rc) err = db_mdb_error(rc);
    p->stored_root = realloc(p->stored_root, (w->cap + 1) * sizeof *p->stored_root);
    if (!p->stored_root) abort();
    for (size_t i = old; i < w->n; i++) p->stored_root[i] = w->a[i].storage_root;
    for (size_t i = 0; !err && i < w->n; i++)
        if (w->a[i].wiped && !bytes32_eq(&p->stored_root[i], &EMPTY_TRIE_ROOT))
            err = "a storage wipe of an account with stored storage";
    return err;
}

static void change_list_init(change_list *l, size_t cap) {
    l->c = malloc((cap + 1) * sizeof *l->c);
    l->off = malloc((cap + 1) * sizeof *l->off);
    l->slot = malloc((cap + 1) * sizeof *l->slot);
    if (!l->c || !l->off || !l->slot) abort();
    l->n = 0;
}

/* Points the changes at their values (once vals stops growing). */
static void change_list_fix(change_list *l, const buf_t *vals) {
    for (size_t k = 0; k < l->n; k++) l->c[k].val = vals->data ? vals->data + l->off[k] : NULL; /* deletions only: no buffer */
}

static void change_list_free(change_list *l) {
    free(l->c);
    free(l->off);
    free(l->slot);
}

/* The overlay's value of slot s of account i (the stored one if untouched). */
static u256 overlay_slot(const db_preroot *p, size_t i, const slot_work *s) {
    const u256 *v = i < p->n ? word_map_get(&p->a[i].slots, &s->key) : NULL;
    return v ? *v : s->prior;
}

/* The storage tries: one job per account whose slots differ from the
 * overlay. Sets every account's storage_root to its value after the round. */
static const char *storage_round(db_preroot *p, const trie_store *st, trie_updates *upd, change_list *lists,
                                 buf_t *vals) {
    work_set *w = &p->w;
    trie_job *jobs = calloc(w->n + 1, sizeof *jobs);
    size_t *which = calloc(w->n + 1, sizeof *which), nj = 0;
    if (!jobs || !which) abort();
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        change_list *l = &lists[i];
        if (!a->n_slots) continue; /* most accounts (senders): no list to allocate */
        change_list_init(l, a->n_slots);
        for (size_t k = 0; k < a->n_slots; k++) {
            slot_work *s = &a->slots[k];
            u256 was = overlay_slot(p, i, s);
            if (u256_eq(&was, &s->value)) continue;
            work_slot_hash(s);
            l->c[l->n].key = s->hkey;
            l->c[l->n].present = !u256_is_zero(&was); /* the walked trie holds was */
            l->slot[l->n] = k;
            l->off[l->n] = vals->len;
            if (!u256_is_zero(&s->value)) rlp_encode_u256(vals, &s->value);
            l->c[l->n].val_len = vals->len - l->off[l->n];
            l->n++;
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        change_list *l = &lists[i];
        change_list_fix(l, vals);
        if (i < p->n) w->a[i].storage_root = p->a[i].storage_root;
        if (!l->n) continue;
        trie_changes_sort(l->c, l->n);
        which[nj] = i;
        jobs[nj++] = (trie_job){.has_owner = true, .owner = w->a[i].haddr, .changes = l->c, .n_changes = l->n};
    }
    const char *err = nj ? trie_update_roots_split(st, round_pool(p), jobs, nj, ROUND_SPLIT_MIN, upd) : NULL;
    for (size_t j = 0; !err && j < nj; j++) w->a[which[j]].storage_root = jobs[j].root;
    free(jobs);
    free(which);
    return err;
}

static bool account_differs(const acct_work *a, bool exists, const db_account *acct, const bytes32 *root) {
    if (a->exists != exists) return true;
    if (!exists) return false;
    return a->acct.nonce != acct->nonce || !u256_eq(&a->acct.balance, &acct->balance) ||
           !bytes32_eq(&a->acct.code_hash, &acct->code_hash) || !bytes32_eq(&a->storage_root, root);
}

/* The account trie: accounts whose leaf differs from the overlay's. */
static const char *account_round(db_preroot *p, const trie_store *st, trie_updates *upd, change_list *l,
                                 buf_t *vals) {
    work_set *w = &p->w;
    change_list_init(l, w->n);
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        bool was = i < p->n ? p->a[i].exists : a->prior_exists; /* in the walked trie */
        bool differs = i < p->n ? account_differs(a, p->a[i].exists, &p->a[i].acct, &p->a[i].storage_root)
                                : account_differs(a, a->prior_exists, &a->prior, &p->stored_root[i]);
        if (!differs) continue;
        l->c[l->n].key = a->haddr;
        l->c[l->n].present = was;
        l->off[l->n] = vals->len;
        if (a->exists) db_leaf_encode(&a->acct, &a->storage_root, vals);
        l->c[l->n].val_len = vals->len - l->off[l->n];
        l->n++;
    }
    change_list_fix(l, vals);
    trie_changes_sort(l->c, l->n);
    trie_job job = {.changes = l->c, .n_changes = l->n};
    const char *err = trie_update_roots_split(st, round_pool(p), &job, 1, ROUND_SPLIT_MIN, upd);
    w->root = job.root;
    return err;
}

/* The round's leaves and records join the overlay; the overlay's accounts
 * and slots are the round's values now. The records move to the log
 * without a copy (segments keep their memory), and the overlay points into
 * them: the log outlives the overlay's use (db_preroot_finish). */
static void keep_round(db_preroot *p, const change_list *lists, const change_list *acct, trie_updates *upd) {
    const work_set *w = &p->w;
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            trie_overlay_set_leaf(p->ov, &w->a[i].haddr, &lists[i].c[k].key, lists[i].c[k].val, lists[i].c[k].val_len);
    for (size_t k = 0; k < acct->n; k++) trie_overlay_set_leaf(p->ov, NULL, &acct->c[k].key, acct->c[k].val, acct->c[k].val_len);
    trie_overlay_apply_shared(p->ov, upd);
    trie_updates_move(&p->log, upd);
    if (w->n > p->cap) {
        p->cap = w->cap;
        p->a = realloc(p->a, p->cap * sizeof *p->a);
        if (!p->a) abort();
    }
    for (; p->n < w->n; p->n++) memset(&p->a[p->n], 0, sizeof p->a[p->n]);
    for (size_t i = 0; i < w->n; i++) {
        const acct_work *a = &w->a[i];
        ov_account *o = &p->a[i];
        o->exists = a->exists;
        o->acct = a->acct;
        o->storage_root = a->storage_root;
    }
    /* the slots whose value moved (the others hold the overlay's already) */
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < lists[i].n; k++) {
            const slot_work *s = &w->a[i].slots[lists[i].slot[k]];
            word_map_put(&p->a[i].slots, &s->key, &s->value);
        }
}

static void kept_round_free(kept_round *k) {
    for (size_t i = 0; i < k->n; i++) change_list_free(&k->lists[i]);
    free(k->lists);
    change_list_free(&k->acct);
    buf_free(&k->svals);
    buf_free(&k->avals);
    trie_updates_free(&k->upd);
    memset(k, 0, sizeof *k);
}

/* Before a round that walks: the last update round joins the overlay.
 * The work set still holds its values (nothing changed it since). */
static void kept_flush(db_preroot *p) {
    if (!p->kept.pending) return;
    keep_round(p, p->kept.lists, &p->kept.acct, &p->kept.upd);
    kept_round_free(&p->kept);
}

/* A finish as guessed: the last update round's record writes go to the
 * log; its overlay entries would serve no later round. */
static void kept_drop(db_preroot *p) {
    if (!p->kept.pending) return;
    trie_updates_move(&p->log, &p->kept.upd);
    kept_round_free(&p->kept);
}

/* The checks of load_round alone, for a final round whose walk the last
 * update did (db_preroot_finish_as_guessed). */
static const char *check_round(db_preroot *p) {
    MDB_txn *rt;
    int rc = p->links ? db_read_begin(p->d, &rt) : db_begin(p->d, MDB_RDONLY, &rt);
    if (rc) return db_mdb_error(rc);
    const char *err = p->links                         ? check_chain(p, rt)
                      : mdb_txn_id(rt) != p->base_id ? "the store changed while the block executed"
                                                     : NULL;
    mdb_txn_abort(rt);
    return err;
}

/* What a call does with its change set. */
typedef enum {
    ROUND_UPDATE,     /* walk it; its work joins the overlay when a later round walks */
    ROUND_PREPARE,    /* no walk: the last update joins the overlay, cs's keys the work set */
    ROUND_FINAL,      /* walk it; only its record writes are kept */
    ROUND_AS_GUESSED, /* the last update's walk stands for it: only the checks */
} round_kind;

/* The walk of a round on the work set as loaded, and what is kept of it. */
static const char *walk_round(db_preroot *p, bool final) {
    size_t n = p->w.n;
    trie_updates upd = {0};
    buf_t svals = {0}, avals = {0}; /* the changes' values: kept apart, as both lists point into theirs */
    change_list *lists = calloc(n + 1, sizeof *lists), acct = {0};
    if (!lists) abort();
    trie_store st = trie_overlay_store(p->ov);
    const char *err = storage_round(p, &st, &upd, lists, &svals);
    if (!err) err = account_round(p, &st, &upd, &acct, &avals);
    /* the final round's overlay and values would serve no later round:
     * only its record writes are kept, for the commit (on blocks chained
     * behind unwritten ones, keeping the rest took up to 10 ms) */
    if (!err && final) trie_updates_move(&p->log, &upd);
    kept_round r = {true, lists, n, acct, svals, avals, upd};
    if (!err && !final) p->kept = r; /* into the overlay when a later round walks (kept_flush) */
    if (err || final) kept_round_free(&r);
    return err;
}

/* One round on cs (the work set keeps its result). A chained update or
 * prepare round that finds a map resize pending does not run (*ran
 * false): the resize may be waiting for the caller's own snapshot. */
static const char *run_round(db_preroot *p, const change_set *cs, round_kind kind, bool *ran) {
    *ran = false;
    if (p->err) return p->err;
    db *d = p->d;
    bool final = kind == ROUND_FINAL || kind == ROUND_AS_GUESSED;
    if (p->links) {
        if (final) db_snapshots_enter(d); /* rt, and the trie engine's readers */
        else if (!db_snapshots_try_enter(d)) return NULL;
    }
    /* the pool: one user at a time */
    pthread_mutex_t *lock = p->links ? &d->chain_lock : &d->writer;
    pthread_mutex_lock(lock);
    *ran = true;
    const char *err;
    if (kind == ROUND_AS_GUESSED) {
        kept_drop(p);
        err = check_round(p);
    } else {
        kept_flush(p); /* before load_round resets the work set */
        err = load_round(p, cs);
        if (!err && kind == ROUND_PREPARE) work_hash_slots(&p->w);
        if (!err && kind != ROUND_PREPARE) err = walk_round(p, final);
    }
    pthread_mutex_unlock(lock);
    if (p->links) db_snapshots_leave(d);
    if (err) p->err = err;
    else if (kind == ROUND_UPDATE || kind == ROUND_FINAL) p->rounds++;
    return err;
}

const char *db_preroot_update(db_preroot *p, const change_set *guess, bytes32 *root) {
    bool ran;
    const char *err = run_round(p, guess, ROUND_UPDATE, &ran);
    if (!err && ran && root) *root = p->w.root;
    p->last_ran = !err && ran;
    return err;
}

const char *db_preroot_prepare(db_preroot *p, const change_set *guess) {
    bool ran;
    p->last_ran = false; /* the work set holds guess now, not the last update's */
    return run_round(p, guess, ROUND_PREPARE, &ran);
}

static const char *finish(db_preroot *p, const change_set *cs, bool as_guessed, bytes32 *root, db_preview **out) {
    *out = NULL;
    bool ran;
    const char *err = run_round(p, cs, as_guessed ? ROUND_AS_GUESSED : ROUND_FINAL, &ran);
    if (err) return err;
    db_preview *pv = calloc(1, sizeof *pv);
    if (!pv) abort();
    /* the commit writes the work set's rows and every round's records (the
     * last write of each winning); every slot hashed, as previews are */
    work_hash_slots(&p->w);
    pv->w = p->w;
    memset(&p->w, 0, sizeof p->w);
    trie_updates_free(&pv->w.updates);
    pv->w.updates = p->log;
    memset(&p->log, 0, sizeof p->log);
    p->err = "db_preroot_finish was called";
    pv->w.parents = NULL; /* the ancestors may go once their commits are done */
    pv->w.n_parents = 0;
    pv->w.pool = NULL;
    pv->w.rt = NULL;
    pv->changes = cs;
    pv->reusable = true;
    if (p->links) { /* usable once the parent is the head */
        pv->chained = true;
        pv->parent_hash = p->links[p->n_links - 1].hash;
    }
    *root = pv->w.root;
    db_preview_build_overlay(p->d, pv);
    *out = pv;
    return NULL;
}

const char *db_preroot_finish(db_preroot *p, const change_set *cs, bytes32 *root, db_preview **out) {
    return finish(p, cs, false, root, out);
}

const char *db_preroot_finish_as_guessed(db_preroot *p, const change_set *cs, bytes32 *root, db_preview **out) {
    return finish(p, cs, p->last_ran, root, out);
}
