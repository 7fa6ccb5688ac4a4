/* Root work done while a block still executes (db.h: db_preroot_*).
 *
 * A round computes the root of the head plus a guess of the block's changes
 * (the transactions final so far) on an overlay of the store's tries that
 * holds the leaves and branch records of the rounds before. Against that
 * overlay only what differs from the last round is a trie change: keys whose
 * value moved since, and keys an earlier round changed that the new guess
 * leaves at their stored value (put back). So each round walks what changed
 * since the last, and the final round, on the block's real change set, walks
 * what the last transactions changed. Its work set becomes a db_preview for
 * the block's commit: its rows are the block's own, its record writes are
 * every round's in order (write_records keeps a record's last write).
 *
 * A wrong guess costs time, never correctness: the final round compares with
 * what the overlay holds, whatever that is. The one thing rounds do not
 * follow is a storage wipe (self-destruct, re-creation) of an account that
 * has storage in the store: the overlay would have to hide the stored
 * leaves. Such a round fails and the block takes the normal path. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_proof.h"
#include "db_internal.h"

/* What the overlay holds for an account the rounds touched. */
typedef struct {
    address addr;
    bool exists;
    db_account acct;
    bytes32 storage_root;
    word_map slots; /* every slot a round touched -> its value there */
} ov_account;

struct db_preroot {
    db *d;
    size_t base_id;       /* the head's read transaction id, from the first round */
    bool started;
    const char *err;      /* sticky: a failed round ends the work */
    trie_store base;
    trie_overlay *ov;
    trie_updates log;     /* every round's record writes, in order */
    ov_account *a;
    size_t n, cap;
    addr_map index;
    unsigned rounds;
};

db_preroot *db_preroot_new(db *d) {
    db_preroot *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->d = d;
    p->base = db_trie_store(d);
    p->ov = trie_overlay_new(&p->base);
    return p;
}

void db_preroot_free(db_preroot *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) word_map_free(&p->a[i].slots);
    free(p->a);
    addr_map_free(&p->index);
    trie_overlay_free(p->ov);
    trie_updates_free(&p->log);
    free(p);
}

unsigned db_preroot_rounds(const db_preroot *p) { return p->rounds; }

static ov_account *find(db_preroot *p, const address *addr) {
    uint32_t i;
    return addr_map_get(&p->index, addr, &i) ? &p->a[i] : NULL;
}

static ov_account *find_or_add(db_preroot *p, const address *addr) {
    ov_account *o = find(p, addr);
    if (o) return o;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->a = realloc(p->a, p->cap * sizeof *p->a);
        if (!p->a) abort();
    }
    o = &p->a[p->n];
    memset(o, 0, sizeof *o);
    o->addr = *addr;
    addr_map_put(&p->index, addr, (uint32_t)p->n++);
    return o;
}

/* Keys an earlier round changed join w at their stored values (work_apply
 * set the ones the guess changes), so that the round can put them back. */
static int add_put_backs(db_preroot *p, work_set *w) {
    for (size_t i = 0; i < p->n; i++) {
        ov_account *o = &p->a[i];
        acct_work *a;
        int rc = work_account(w, &o->addr, &a);
        if (rc) return rc;
        a->trie = true;
        for (size_t k = 0; k < o->slots.cap; k++) {
            if (!o->slots.e[k].used) continue;
            slot_work *s;
            if ((rc = work_slot(w, a, &o->slots.e[k].key, &s))) return rc;
        }
    }
    return 0;
}

/* Loads the guess (or the block's changes) on the head into w. */
static const char *load_round(db_preroot *p, const change_set *cs, work_set *w) {
    MDB_txn *rt;
    int rc = db_begin(p->d, MDB_RDONLY, &rt);
    if (rc) {
        memset(w, 0, sizeof *w);
        return db_mdb_error(rc);
    }
    work_init(w, p->d, rt);
    const char *err = NULL;
    if (!p->started) {
        uint64_t head, trie;
        bytes32 hash;
        rc = db_get_head(p->d, rt, &head, &hash);
        if (!rc) rc = db_get_meta_u64(p->d, rt, "trie", &trie);
        if (!rc && trie != head) err = "the store's trie lags its head";
        p->base_id = w->base_id;
        p->started = true;
    } else if (w->base_id != p->base_id) {
        err = "the store changed while the block executed";
    }
    if (!err && !rc) rc = work_apply(w, cs);
    if (!err && !rc) rc = add_put_backs(p, w);
    mdb_txn_abort(rt);
    w->rt = NULL; /* the trie engine reads through its own readers */
    if (!err && rc) err = db_mdb_error(rc);
    for (size_t i = 0; !err && i < w->n; i++)
        if (w->a[i].wiped && !bytes32_eq(&w->a[i].storage_root, &EMPTY_TRIE_ROOT))
            err = "a storage wipe of an account with stored storage";
    return err;
}

/* The overlay's value of slot s of account o (NULL: untouched, the stored one). */
static u256 overlay_slot(const ov_account *o, const slot_work *s) {
    const u256 *v = o ? word_map_get(&o->slots, &s->key) : NULL;
    return v ? *v : s->prior;
}

/* Appends a trie change of key to value v (zero: a deletion); the value's
 * bytes go to vals at offset *off (pointers are fixed once vals stops
 * growing). */
static void add_slot_change(trie_change *c, size_t *off, buf_t *vals, const bytes32 *key, const u256 *v) {
    c->key = *key;
    *off = vals->len;
    if (!u256_is_zero(v)) rlp_encode_u256(vals, v);
    c->val_len = vals->len - *off;
}

static bool account_differs(const acct_work *a, bool exists, const db_account *acct, const bytes32 *root) {
    if (a->exists != exists) return true;
    if (!exists) return false;
    return a->acct.nonce != acct->nonce || !u256_eq(&a->acct.balance, &acct->balance) ||
           !bytes32_eq(&a->acct.code_hash, &acct->code_hash) || !bytes32_eq(&a->storage_root, root);
}

typedef struct {
    trie_change *c;
    size_t *off;
    size_t n;
} change_list;

static void change_list_init(change_list *l, size_t cap) {
    l->c = malloc((cap + 1) * sizeof *l->c);
    l->off = malloc((cap + 1) * sizeof *l->off);
    if (!l->c || !l->off) abort();
    l->n = 0;
}

static void change_list_fix(change_list *l, const buf_t *vals) {
    for (size_t k = 0; k < l->n; k++) l->c[k].val = vals->data + l->off[k];
}

static void change_list_free(change_list *l) {
    free(l->c);
    free(l->off);
}

/* The storage tries: one job per account whose slots differ from the
 * overlay. Sets every account's storage_root to its value after the round;
 * *stored gets the roots before (the store's). */
static const char *storage_round(db_preroot *p, work_set *w, const trie_store *st, trie_updates *upd,
                                 change_list *lists, buf_t *vals, bytes32 *stored) {
    trie_job *jobs = calloc(w->n + 1, sizeof *jobs);
    size_t *which = calloc(w->n + 1, sizeof *which), nj = 0;
    if (!jobs || !which) abort();
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        stored[i] = a->storage_root;
        const ov_account *o = find(p, &a->addr);
        change_list *l = &lists[i];
        change_list_init(l, a->n_slots);
        for (size_t k = 0; k < a->n_slots; k++) {
            slot_work *s = &a->slots[k];
            uint8_t be[32];
            u256_to_be(&s->key, be);
            keccak256(be, 32, s->hkey.b);
            s->hashed = true;
            u256 was = overlay_slot(o, s);
            if (u256_eq(&was, &s->value)) continue;
            add_slot_change(&l->c[l->n], &l->off[l->n], vals, &s->hkey, &s->value);
            l->n++;
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        change_list *l = &lists[i];
        change_list_fix(l, vals);
        if (!l->n) continue;
        trie_changes_sort(l->c, l->n);
        which[nj] = i;
        jobs[nj++] = (trie_job){.has_owner = true, .owner = w->a[i].haddr, .changes = l->c, .n_changes = l->n};
    }
    const char *err = nj ? trie_update_roots(st, p->d->pool, jobs, nj, upd) : NULL;
    for (size_t i = 0; !err && i < w->n; i++) {
        const ov_account *o = find(p, &w->a[i].addr);
        if (o) w->a[i].storage_root = o->storage_root;
    }
    for (size_t j = 0; !err && j < nj; j++) w->a[which[j]].storage_root = jobs[j].root;
    free(jobs);
    free(which);
    return err;
}

/* The account trie: accounts whose leaf differs from the overlay's. */
static const char *account_round(db_preroot *p, work_set *w, const trie_store *st, trie_updates *upd,
                                 change_list *l, buf_t *vals, const bytes32 *stored) {
    change_list_init(l, w->n);
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        const ov_account *o = find(p, &a->addr);
        bool differs = o ? account_differs(a, o->exists, &o->acct, &o->storage_root)
                         : account_differs(a, a->prior_exists, &a->prior, &stored[i]);
        if (!differs) continue;
        trie_change *c = &l->c[l->n];
        c->key = a->haddr;
        l->off[l->n] = vals->len;
        if (a->exists) db_leaf_encode(&a->acct, &a->storage_root, vals);
        c->val_len = vals->len - l->off[l->n];
        l->n++;
    }
    change_list_fix(l, vals);
    trie_changes_sort(l->c, l->n);
    trie_job job = {.changes = l->c, .n_changes = l->n};
    const char *err = trie_update_roots(st, p->d->pool, &job, 1, upd);
    w->root = job.root;
    return err;
}

/* The round's leaves and records join the overlay; its accounts and slots
 * are what the overlay holds now. */
static void keep_round(db_preroot *p, const work_set *w, const change_list *lists, const change_list *acct,
                       const trie_updates *upd) {
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            trie_overlay_set_leaf(p->ov, &w->a[i].haddr, &lists[i].c[k].key, lists[i].c[k].val, lists[i].c[k].val_len);
    for (size_t k = 0; k < acct->n; k++) trie_overlay_set_leaf(p->ov, NULL, &acct->c[k].key, acct->c[k].val, acct->c[k].val_len);
    trie_overlay_apply(p->ov, upd);
    trie_updates_append(&p->log, upd);
    for (size_t i = 0; i < w->n; i++) {
        const acct_work *a = &w->a[i];
        ov_account *o = find_or_add(p, &a->addr);
        o->exists = a->exists;
        o->acct = a->acct;
        o->storage_root = a->storage_root;
        for (size_t k = 0; k < a->n_slots; k++) word_map_put(&o->slots, &a->slots[k].key, &a->slots[k].value);
    }
}

/* One round on cs: w gets its work (the caller frees it). */
static const char *run_round(db_preroot *p, const change_set *cs, work_set *w) {
    if (p->err) {
        memset(w, 0, sizeof *w);
        return p->err;
    }
    pthread_mutex_lock(&p->d->writer); /* the root engine's pool: one user at a time */
    const char *err = load_round(p, cs, w);
    trie_updates upd = {0};
    buf_t svals = {0}, avals = {0}; /* the changes' values: kept apart, as both lists point into theirs */
    change_list *lists = calloc(w->n + 1, sizeof *lists), acct = {0};
    bytes32 *stored = malloc((w->n + 1) * sizeof *stored);
    if (!lists || !stored) abort();
    trie_store st = trie_overlay_store(p->ov);
    if (!err) err = storage_round(p, w, &st, &upd, lists, &svals, stored);
    if (!err) err = account_round(p, w, &st, &upd, &acct, &avals, stored);
    if (!err) keep_round(p, w, lists, &acct, &upd);
    pthread_mutex_unlock(&p->d->writer);
    for (size_t i = 0; i < w->n; i++) change_list_free(&lists[i]);
    free(lists);
    change_list_free(&acct);
    free(stored);
    buf_free(&svals);
    buf_free(&avals);
    trie_updates_free(&upd);
    if (err) p->err = err;
    else p->rounds++;
    return err;
}

const char *db_preroot_update(db_preroot *p, const change_set *guess, bytes32 *root) {
    work_set w;
    const char *err = run_round(p, guess, &w);
    if (!err && root) *root = w.root;
    work_free(&w);
    return err;
}

const char *db_preroot_finish(db_preroot *p, const change_set *cs, bytes32 *root, db_preview **out) {
    *out = NULL;
    db_preview *pv = calloc(1, sizeof *pv);
    if (!pv) abort();
    const char *err = run_round(p, cs, &pv->w);
    if (err) {
        db_preview_free(pv);
        return err;
    }
    /* the commit writes every round's records, the last write of each winning */
    trie_updates_free(&pv->w.updates);
    pv->w.updates = p->log;
    memset(&p->log, 0, sizeof p->log);
    p->err = "db_preroot_finish was called";
    pv->changes = cs;
    pv->reusable = true;
    *root = pv->w.root;
    *out = pv;
    return NULL;
}
