/* The Engine API's work on the writer thread (node_engine.h): payloads are
 * imported at once (validated, executed, committed) when their ancestors
 * are known, but readers keep seeing the head the last forkchoice update
 * named (node.fc_head) until one names them, as geth's newPayload inserts
 * without setting the head. A payload on a branch is executed there: the
 * store goes to the branch (back to the common ancestor through its
 * per-block change sets) and, when that is below the readers' head, comes
 * back while readers wait. A forkchoice update on the store's chain moves
 * the readers' head; to another branch it unwinds the store to the common
 * ancestor and imports the branch; if a block of it is invalid, the branch
 * is marked invalid from there on and the old chain is put back. Payload
 * building runs Block-STM over the head (node_build.c) and keeps the last
 * few payloads for getPayload. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "node_engine.h"
#include "parevm/chain_import.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

enum {
    SIDE_MAX = 4096,    /* payloads kept off the store */
    BAD_MAX = 4096,     /* invalid hashes remembered */
    BUILDS_MAX = 16,    /* built payloads kept for getPayload */
    BRANCH_MAX = 8192,  /* the deepest branch a forkchoice update may switch to */
    BAD_KEPT = 10,      /* invalid blocks kept whole for debug_getBadBlocks (geth's badBlockToKeep) */
};

typedef struct {
    bytes32 hash, parent;
    uint64_t number;
    buf_t rlp;
} side_block;

/* An invalid block kept whole (its RLP), for debug_getBadBlocks. */
typedef struct {
    uint64_t number;
    bytes32 hash;
    buf_t rlp;
} kept_bad;

typedef struct {
    bytes32 hash;
    bool has_lvh;
    bytes32 lvh;
    char why[200];
} bad_block;

struct node_engine {
    /* writer thread only */
    side_block *side;
    size_t n_side, cap_side;
    word_map side_index;       /* hash -> index in side */
    bad_block *bad;            /* a ring of BAD_MAX */
    size_t n_bad, next_bad;
    word_map bad_index;        /* hash -> index in bad */
    bool has_finalized;
    bytes32 finalized_hash;
    uint64_t finalized_number;
    /* built payloads (getPayload reads them from request threads) and the
     * last invalid blocks, highest number first (debug_getBadBlocks) */
    pthread_mutex_t mu;
    engine_build *builds[BUILDS_MAX];
    size_t next_build;
    kept_bad kept[BAD_KEPT];
    size_t n_kept;
};

node_engine *node_engine_new(void) {
    node_engine *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->bad = calloc(BAD_MAX, sizeof *e->bad);
    if (!e->bad) abort();
    pthread_mutex_init(&e->mu, NULL);
    return e;
}

void engine_build_free(engine_build *b) {
    if (!b) return;
    node_built_free(&b->built);
    free(b->attrs.withdrawals);
    b->attrs.withdrawals = NULL;
}

void node_engine_free(node_engine *e) {
    if (!e) return;
    for (size_t i = 0; i < e->n_side; i++) buf_free(&e->side[i].rlp);
    free(e->side);
    word_map_free(&e->side_index);
    free(e->bad);
    word_map_free(&e->bad_index);
    for (size_t i = 0; i < BUILDS_MAX; i++) {
        engine_build_free(e->builds[i]);
        free(e->builds[i]);
    }
    for (size_t i = 0; i < e->n_kept; i++) buf_free(&e->kept[i].rlp);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

uint64_t engine_gas_limit(uint64_t parent, uint64_t target) {
    uint64_t delta = parent / 1024 ? parent / 1024 - 1 : 0;
    if (target < 5000) target = 5000;
    if (parent < target) return parent + delta < target ? parent + delta : target;
    if (parent > target) return parent - delta > target ? parent - delta : target;
    return parent;
}

/* ---- Side blocks and bad blocks ------------------------------------------------------- */

static u256 key_of(const bytes32 *h) { return u256_from_bytes32(h); }

static side_block *side_find(node_engine *e, const bytes32 *hash) {
    u256 k = key_of(hash);
    const u256 *v = word_map_get(&e->side_index, &k);
    return v ? &e->side[v->w[0]] : NULL;
}

static void side_remove_at(node_engine *e, size_t i) {
    u256 k = key_of(&e->side[i].hash);
    word_map_del(&e->side_index, &k);
    buf_free(&e->side[i].rlp);
    if (i != --e->n_side) {
        e->side[i] = e->side[e->n_side];
        u256 mk = key_of(&e->side[i].hash), mv = u256_from_u64(i);
        word_map_put(&e->side_index, &mk, &mv);
    }
}

static void side_remove(node_engine *e, const bytes32 *hash) {
    side_block *s = side_find(e, hash);
    if (s) side_remove_at(e, (size_t)(s - e->side));
}

/* Keeps a payload's block; when full, the lowest block goes first. */
static void side_add(node_engine *e, const block_header *h, const buf_t *rlp) {
    if (side_find(e, &h->hash)) return;
    if (e->n_side == SIDE_MAX) {
        size_t low = 0;
        for (size_t i = 1; i < e->n_side; i++)
            if (e->side[i].number < e->side[low].number) low = i;
        side_remove_at(e, low);
    }
    if (e->n_side == e->cap_side) {
        e->cap_side = e->cap_side ? 2 * e->cap_side : 64;
        e->side = realloc(e->side, e->cap_side * sizeof *e->side);
        if (!e->side) abort();
    }
    side_block *s = &e->side[e->n_side];
    memset(s, 0, sizeof *s);
    s->hash = h->hash;
    s->parent = h->parent_hash;
    s->number = h->number;
    buf_append(&s->rlp, rlp->data, rlp->len);
    u256 k = key_of(&h->hash), v = u256_from_u64(e->n_side++);
    word_map_put(&e->side_index, &k, &v);
}

static const bad_block *bad_find(node_engine *e, const bytes32 *hash) {
    u256 k = key_of(hash);
    const u256 *v = word_map_get(&e->bad_index, &k);
    return v ? &e->bad[v->w[0]] : NULL;
}

static void bad_add(node_engine *e, const bytes32 *hash, const bytes32 *lvh, const char *why) {
    if (bad_find(e, hash)) return;
    size_t i = e->next_bad;
    if (e->n_bad == BAD_MAX) {
        u256 old = key_of(&e->bad[i].hash);
        word_map_del(&e->bad_index, &old);
    } else {
        e->n_bad++;
    }
    e->next_bad = (i + 1) % BAD_MAX;
    bad_block *b = &e->bad[i];
    b->hash = *hash;
    b->has_lvh = lvh != NULL;
    if (lvh) b->lvh = *lvh;
    snprintf(b->why, sizeof b->why, "%s", why ? why : "invalid block");
    u256 k = key_of(hash), v = u256_from_u64(i);
    word_map_put(&e->bad_index, &k, &v);
    side_remove(e, hash);
}

/* Keeps a block that failed validation as geth's WriteBadBlock does: once
 * per hash, the BAD_KEPT highest by number (a block lower than all of a
 * full list is not kept). */
static void bad_keep(node_engine *e, const block_header *h, const buf_t *rlp) {
    pthread_mutex_lock(&e->mu);
    bool known = false;
    for (size_t i = 0; i < e->n_kept; i++) known |= bytes32_eq(&e->kept[i].hash, &h->hash);
    size_t at = 0;
    while (at < e->n_kept && e->kept[at].number >= h->number) at++;
    if (!known && at < BAD_KEPT) {
        if (e->n_kept == BAD_KEPT) buf_free(&e->kept[--e->n_kept].rlp);
        memmove(&e->kept[at + 1], &e->kept[at], (e->n_kept - at) * sizeof e->kept[0]);
        e->kept[at] = (kept_bad){h->number, h->hash, {0}};
        buf_append(&e->kept[at].rlp, rlp->data, rlp->len);
        e->n_kept++;
    }
    pthread_mutex_unlock(&e->mu);
}

void node_engine_bad_blocks(node *n, byte_list *out) {
    node_engine *e = n->eng;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_kept; i++) byte_list_push(out, e->kept[i].rlp.data, e->kept[i].rlp.len);
    pthread_mutex_unlock(&e->mu);
}

bool node_engine_bad_block(node *n, const bytes32 *hash, buf_t *out) {
    node_engine *e = n->eng;
    bool found = false;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_kept && !found; i++)
        if ((found = bytes32_eq(&e->kept[i].hash, hash))) buf_append(out, e->kept[i].rlp.data, e->kept[i].rlp.len);
    pthread_mutex_unlock(&e->mu);
    return found;
}

void node_engine_rewound(node *n, uint64_t number) {
    node_engine *e = n->eng;
    if (e->has_finalized && e->finalized_number > number) e->has_finalized = false;
}

static void result_set(engine_result *out, engine_status s, const bytes32 *lvh, const char *why) {
    memset(out, 0, sizeof *out);
    out->status = s;
    out->has_lvh = lvh != NULL;
    if (lvh) out->lvh = *lvh;
    if (why) snprintf(out->why, sizeof out->why, "%s", why);
}

static void result_bad(engine_result *out, const bad_block *b) {
    result_set(out, ES_INVALID, b->has_lvh ? &b->lvh : NULL, b->why);
}

/* ---- The store ------------------------------------------------------------------------ */

static bool stored(db_snapshot *s, const bytes32 *hash, uint64_t *number) {
    return db_block_number(s, hash, number) == NULL;
}

static bool canonical(db_snapshot *s, uint64_t number, const bytes32 *hash) {
    bytes32 c;
    return !db_canonical_hash(s, number, &c) && bytes32_eq(&c, hash);
}

static const char *stored_header(db_snapshot *s, uint64_t number, const bytes32 *hash, block_header *out) {
    buf_t raw = {0};
    char why[128];
    const char *err = db_read_header(s, number, hash, &raw);
    if (!err && !header_decode(raw.data, raw.len, out, why, sizeof why)) err = "corrupt header in the store";
    buf_free(&raw);
    return err;
}

/* The latestValidHash of an invalid payload whose parent is parent: the
 * parent's hash, or zero when the parent is a proof-of-work block (the
 * terminal block, or one before it), as paris.md's payload validation asks. */
static bytes32 valid_parent(node *n, const bytes32 *parent) {
    bytes32 lvh = *parent;
    db_snapshot *s;
    uint64_t num;
    block_header h;
    if (db_snapshot_open(n->db, 1, &s)) return lvh; /* unreadable: keep the hash */
    if (stored(s, parent, &num) && !stored_header(s, num, parent, &h) && !u256_is_zero(&h.difficulty))
        memset(lvh.b, 0, sizeof lvh.b);
    db_snapshot_close(s);
    return lvh;
}

static bool header_of_rlp(const buf_t *rlp, block_header *h) {
    rlp_item outer, hdr;
    size_t used;
    char why[128];
    return !rlp_decode(rlp->data, rlp->len, &outer) && outer.is_list &&
           !rlp_decode_item(outer.data, outer.len, &hdr, &used) && header_decode(hdr.raw, hdr.raw_len, h, why, sizeof why);
}

/* ---- Walking back to the canonical chain ------------------------------------------------ */

typedef struct {
    bytes32 hash;
    uint64_t number;
    block_header header;
    buf_t rlp;
    bool stored;    /* in the store: executed and found valid before */
} branch_block;

typedef enum { WALK_CANONICAL, WALK_BAD, WALK_MISSING, WALK_TOO_DEEP } walk_end;

/* The blocks from hash back to the first canonical one: branch[0] is the
 * block hash names (unless it is canonical itself: then the branch is
 * empty), anc the canonical ancestor. On WALK_BAD, *bad is the known
 * invalid block met. */
typedef struct {
    walk_end end;
    branch_block *branch;
    size_t n;
    bytes32 anc_hash;
    uint64_t anc_number;
    const bad_block *bad;
} walk;

static void walk_free(walk *w) {
    for (size_t i = 0; i < w->n; i++) buf_free(&w->branch[i].rlp);
    free(w->branch);
    memset(w, 0, sizeof *w);
}

static void walk_from(node_engine *e, db_snapshot *s, const bytes32 *start, walk *w) {
    memset(w, 0, sizeof *w);
    size_t cap = 0;
    bytes32 h = *start;
    for (;;) {
        if ((w->bad = bad_find(e, &h))) {
            w->end = WALK_BAD;
            return;
        }
        uint64_t num;
        bool in_store = stored(s, &h, &num);
        if (in_store && canonical(s, num, &h)) {
            w->end = WALK_CANONICAL;
            w->anc_hash = h;
            w->anc_number = num;
            return;
        }
        if (w->n == BRANCH_MAX) {
            w->end = WALK_TOO_DEEP;
            return;
        }
        if (w->n == cap) {
            cap = cap ? 2 * cap : 8;
            w->branch = realloc(w->branch, cap * sizeof *w->branch);
            if (!w->branch) abort();
        }
        branch_block *b = &w->branch[w->n];
        memset(b, 0, sizeof *b);
        side_block *sb = in_store ? NULL : side_find(e, &h);
        bool ok = false;
        if (in_store) ok = !chain_read_block_rlp(s, num, &h, &b->rlp) && !stored_header(s, num, &h, &b->header);
        else if (sb) {
            buf_append(&b->rlp, sb->rlp.data, sb->rlp.len);
            ok = header_of_rlp(&b->rlp, &b->header);
        }
        if (!ok) {
            buf_free(&b->rlp);
            w->end = WALK_MISSING;
            return;
        }
        b->hash = h;
        b->stored = in_store;
        b->number = b->header.number;
        w->n++;
        h = b->header.parent_hash;
    }
}

/* ---- Executing blocks off the head readers see --------------------------------------- */

/* The head readers see (node_read_open): the Engine API's, when newPayload
 * put blocks above it, or the store's. */
static uint64_t view_head(node *n, uint64_t store_head) {
    uint64_t f = atomic_load(&n->fc_head);
    return f < store_head ? f : store_head;
}

/* Blocks newPayload imports stay above the head readers see until a
 * forkchoiceUpdated names them (geth inserts them without setting the
 * head): the view stays at number, the store's head before the import. */
static void keep_view_at(node *n, uint64_t number) {
    if (!n->dev && atomic_load(&n->fc_head) == UINT64_MAX) node_set_fc_head(n, number);
}

/* The store goes back to the head readers see (payloads are built on the
 * store's head); newPayload's blocks above it stay stored. */
static const char *unwind_to_view(node *n) {
    uint64_t f = atomic_load(&n->fc_head), head;
    if (f == UINT64_MAX) return NULL;
    node_import_settle(n);
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (!err) {
        err = db_head(s, &head, NULL);
        db_snapshot_close(s);
    }
    if (!err && f < head) err = node_unwind_to(n, f);
    node_set_fc_head(n, UINT64_MAX);
    return err;
}

#define MOVE_META "engine.move"

/* Before the store goes below the head readers see, the store's meta
 * names that head (a side payload's execution puts it back; a forkchoice
 * update's switch that fails too): a crash in between finds it there at
 * start (node_engine_load_forkchoice) and goes back to it, as a crash of
 * geth never leaves its head on a block no forkchoice named. NULL: the
 * move ended. A failed write costs only that: it is reported. */
static void mark_move(node *n, const bytes32 *head) {
    if (n->dev) return;
    db_meta m = {.name = MOVE_META, .value = {head ? head->b : NULL, head ? 32 : 0}};
    const char *err = db_put_meta(n->db, &m);
    if (err) fprintf(stderr, "parevm node: keeping the head across a move failed: %s\n", err);
}

#define HEAD_META "engine.head"

/* The value kept under HEAD_META: the head readers see (fc_head) and the
 * store's head as of the write (the last of the blocks first .. first +
 * n - 1 it adds, or with n = 0 the store's head, *store_hash); empty when
 * they are the same block. fc_head's block is one of those, or canonical
 * in s. False when it is in neither (nothing is kept then). */
static bool head_value(node *n, db_snapshot *s, uint64_t first, const bytes32 *hashes, size_t nh,
                       const bytes32 *store_hash, buf_t *value) {
    atomic_store(&n->fc_unsaved, false); /* before the read: a change after it is saved again */
    uint64_t f = atomic_load(&n->fc_head);
    if (nh) store_hash = &hashes[nh - 1];
    bytes32 named;
    if (f == UINT64_MAX || (nh && f >= first + nh - 1)) return true;
    if (nh && f >= first) named = hashes[f - first];
    else if (db_canonical_hash(s, f, &named)) return false;
    if (bytes32_eq(&named, store_hash)) return true;
    buf_append(value, named.b, 32);
    buf_append(value, store_hash->b, 32);
    return true;
}

/* Writes value under HEAD_META (a failed write costs only that: reported). */
static void put_head(node *n, const buf_t *value) {
    db_meta m = {.name = HEAD_META, .value = {value->data, value->len}};
    const char *err = db_put_meta(n->db, &m);
    if (err) fprintf(stderr, "parevm node: keeping the forkchoice head failed: %s\n", err);
}

bool node_engine_head_meta(void *arg, uint64_t first, const bytes32 *hashes, size_t n_blocks, const char **name,
                           buf_t *value) {
    node *n = arg;
    db_snapshot *s;
    if (n->dev || !n_blocks || db_snapshot_open(n->db, 1, &s)) return false;
    bool some = head_value(n, s, first, hashes, n_blocks, NULL, value);
    db_snapshot_close(s); /* before the write */
    *name = HEAD_META;
    return some;
}

void node_engine_save_head(node *n) {
    db_snapshot *s;
    bytes32 hash;
    uint64_t head;
    buf_t v = {0};
    if (n->dev || db_snapshot_open(n->db, 1, &s)) {
        atomic_store(&n->fc_unsaved, false); /* nothing to keep, or no way to: not again */
        return;
    }
    bool ok = !db_head(s, &head, &hash) && head_value(n, s, 0, NULL, 0, &hash, &v);
    db_snapshot_close(s);
    if (ok) put_head(n, &v);
    buf_free(&v);
}

void node_engine_keep_head_across_unwind(node *n, uint64_t number) {
    uint64_t f = atomic_load(&n->fc_head), head;
    if (n->dev || f == UINT64_MAX || f >= number) return;
    db_snapshot *s;
    if (db_snapshot_open(n->db, 1, &s)) return;
    bytes32 named, from, to;
    bool ok = !db_head(s, &head, &from) && number < head && !db_canonical_hash(s, f, &named) &&
              !db_canonical_hash(s, number, &to);
    db_snapshot_close(s);
    if (!ok) return;
    buf_t v = {0};
    buf_append(&v, named.b, 32);
    buf_append(&v, from.b, 32);
    buf_append(&v, to.b, 32);
    put_head(n, &v);
    buf_free(&v);
}

/* The head a forkchoice update named last, kept with the store's head of
 * the time, or the two around an unwind (HEAD_META): it is the head again
 * if the store's head is still that one (a crash after a newPayload;
 * `parevm import` or `db unwind` since then make it stale). */
static void load_head(node *n, db_snapshot *s) {
    buf_t v = {0};
    uint64_t head, number;
    bytes32 head_hash, named;
    if (!db_read_meta(s, HEAD_META, &v) && (v.len == 64 || v.len == 96) && !db_head(s, &head, &head_hash) &&
        (!memcmp(v.data + 32, head_hash.b, 32) || (v.len == 96 && !memcmp(v.data + 64, head_hash.b, 32)))) {
        memcpy(named.b, v.data, 32);
        if (stored(s, &named, &number) && number < head && canonical(s, number, &named))
            atomic_store(&n->fc_head, number);
    }
    buf_free(&v);
}

/* The store goes below the head readers see, and comes back (or moves to
 * another branch) before move_end: readers wait (node_move_begin; not in
 * dev mode, which has no Engine API head), the pool keeps its head. */
static void move_begin(node *n) {
    if (!n->dev) node_move_begin(n);
    n->pool_frozen = true;
}

static void move_end(node *n) {
    n->pool_frozen = false;
    if (!n->dev) node_move_end(n);
    node_pool_new_head(n);
}

/* Imports the block on the head; *invalid when the block is. early: its
 * write finishes after the answer (node_import_rlp_early). */
static const char *import(node *n, const buf_t *rlp, bool early, bool *invalid) {
    *invalid = false;
    const char *why = early ? node_import_rlp_early(n, rlp->data, rlp->len, invalid)
                            : node_import_rlp(n, rlp->data, rlp->len, invalid);
    return why == CHAIN_KNOWN_BLOCK ? NULL : why;
}

/* Imports w's branch, oldest first, on its ancestor (the store's head).
 * NULL when every block is valid; else the failure, with *bad set when a
 * block was invalid: it and the blocks after it (and extra, when not
 * NULL: a payload on the branch) are remembered as invalid, and *lvh is
 * the latest valid hash. */
static const char *import_branch(node *n, const walk *w, const block_header *extra, bool *bad, bytes32 *lvh) {
    node_engine *e = n->eng;
    *bad = false;
    for (size_t k = w->n; k-- > 0;) {
        const branch_block *b = &w->branch[k];
        bool invalid;
        const char *why = import(n, &b->rlp, false, &invalid);
        if (!why) {
            side_remove(e, &b->hash);
            continue;
        }
        if (invalid) {
            *bad = true;
            *lvh = valid_parent(n, &b->header.parent_hash);
            bad_keep(e, &b->header, &b->rlp);
            bad_add(e, &b->hash, lvh, why);
            for (size_t j = k; j-- > 0;) bad_add(e, &w->branch[j].hash, lvh, "links to previously rejected block");
            if (extra) bad_add(e, &extra->hash, lvh, "links to previously rejected block");
        }
        return why;
    }
    return NULL;
}

/* Puts the old canonical blocks (anc + 1 on) back after the store went to
 * another branch from anc. */
static const char *restore(node *n, uint64_t anc, const bytes32 *old, size_t n_old) {
    const char *err = node_unwind_to(n, anc);
    for (size_t i = 0; i < n_old && !err; i++) {
        db_snapshot *s;
        buf_t rlp = {0};
        if (!(err = db_snapshot_open(n->db, 1, &s))) {
            err = chain_read_block_rlp(s, anc + 1 + i, &old[i], &rlp);
            db_snapshot_close(s);
        }
        bool invalid;
        if (!err) err = import(n, &rlp, false, &invalid);
        buf_free(&rlp);
    }
    return err;
}

/* The canonical hashes anc + 1 ... anc + count (calloc'd, at least one). */
static const char *canonical_hashes(db_snapshot *s, uint64_t anc, size_t count, bytes32 **out) {
    *out = calloc(count + 1, sizeof **out);
    if (!*out) abort();
    const char *err = NULL;
    for (size_t i = 0; i < count && !err; i++) err = db_canonical_hash(s, anc + 1 + i, &(*out)[i]);
    return err;
}

/* ---- newPayload ------------------------------------------------------------------------ */

/* Imports a payload whose parent is the head (number parent_number), or
 * the block still being written (answered VALID before its write): then
 * it executes on that block's unwritten state and its root is checked on
 * it (chain_import_options.root_first) while the write goes on; the
 * answer comes once that write has ended (the importer's committer takes
 * the child after it). early false: written before the answer. */
static const char *import_payload(node *n, engine_payload *p, uint64_t parent_number, bool early,
                                  engine_result *out) {
    block_header *h = &p->b.header;
    bool invalid;
    keep_view_at(n, parent_number);
    const char *why = import(n, &p->rlp, early, &invalid);
    if (invalid) {
        bytes32 lvh = valid_parent(n, &h->parent_hash);
        bad_keep(n->eng, h, &p->rlp);
        bad_add(n->eng, &h->hash, &lvh, why);
        result_bad(out, bad_find(n->eng, &h->hash));
        return NULL;
    }
    if (why) return why;
    side_remove(n->eng, &h->hash);
    result_set(out, ES_VALID, &h->hash, NULL);
    return NULL;
}

/* Imports w's branch and then the payload on it, the store being at the
 * branch's ancestor; the verdict goes to out. */
static const char *import_branch_payload(node *n, const walk *w, engine_payload *p, bool early,
                                         engine_result *out) {
    bool bad;
    bytes32 lvh;
    const char *why = import_branch(n, w, &p->b.header, &bad, &lvh);
    if (bad) {
        result_bad(out, bad_find(n->eng, &p->b.header.hash));
        return NULL;
    }
    if (why) return why;
    uint64_t parent_number = w->n ? w->branch[0].number : w->anc_number;
    return import_payload(n, p, parent_number, early, out);
}

/* A payload on a branch that leaves the canonical chain at or above the
 * head readers see (a sibling of a payload not yet named by a forkchoice
 * update): the store goes to the branch, above that head. */
static const char *execute_above(node *n, const walk *w, engine_payload *p, uint64_t view, uint64_t head,
                                 engine_result *out) {
    keep_view_at(n, view);
    const char *err = w->anc_number < head ? node_unwind_to(n, w->anc_number) : NULL;
    return err ? err : import_branch_payload(n, w, p, true, out);
}

/* A payload on a branch that leaves the canonical chain below the head
 * readers see: the store goes to the branch and back to old, the
 * canonical blocks after the ancestor, while readers wait. The pool keeps
 * its head meanwhile. */
static const char *execute_and_restore(node *n, const walk *w, engine_payload *p, const bytes32 *old, size_t n_old,
                                       engine_result *out) {
    mark_move(n, &old[n_old - 1]);
    move_begin(n);
    const char *err = node_unwind_to(n, w->anc_number);
    if (!err) err = import_branch_payload(n, w, p, false, out);
    /* the store's head is the one readers saw (before restore: its writes
     * name it in the store's meta, not the payload's parent) */
    node_set_fc_head(n, UINT64_MAX);
    const char *rerr = restore(n, w->anc_number, old, n_old);
    move_end(n);
    if (!rerr) mark_move(n, NULL);
    return rerr ? rerr : err;
}

enum { SIDE_EXECUTE_MAX = 64 }; /* blocks one side payload may execute, the old ones put back included */

/* A payload whose parent is not the store's head. On a branch that links
 * to the canonical chain it is executed there now, VALID or INVALID as
 * geth's newPayload answers; one whose branch is longer than
 * SIDE_EXECUTE_MAX (or in dev mode) is kept, ACCEPTED, for a forkchoice
 * update to execute. With an unknown ancestor it is kept, SYNCING. Closes
 * s before any write. */
static const char *side_payload(node *n, engine_payload *p, db_snapshot *s, uint64_t head, engine_result *out) {
    node_engine *e = n->eng;
    block_header *h = &p->b.header;
    walk w;
    walk_from(e, s, &h->parent_hash, &w);
    const char *err = NULL;
    bool execute = false;
    uint64_t view = view_head(n, head);
    bytes32 *old = NULL;
    size_t n_old = 0;
    if (w.end == WALK_BAD) {
        bad_add(e, &h->hash, w.bad->has_lvh ? &w.bad->lvh : NULL, "links to previously rejected block");
        result_bad(out, bad_find(e, &h->hash));
    } else if (w.end != WALK_CANONICAL) {
        /* an ancestor is missing: keep it for when they come */
        side_add(e, h, &p->rlp);
        result_set(out, ES_SYNCING, NULL, NULL);
    } else {
        /* the header against its parent: cheap, and enough to refuse it now */
        block_header parent;
        bool parent_stored = w.n == 0;
        const char *why = parent_stored ? stored_header(s, w.anc_number, &w.anc_hash, &parent) : NULL;
        if (!parent_stored) parent = w.branch[0].header;
        if (!why) why = header_validate(&n->chain, &parent, h, true);
        n_old = w.anc_number < view ? (size_t)(view - w.anc_number) : 0;
        if (why) {
            bad_keep(e, h, &p->rlp);
            bad_add(e, &h->hash, parent_stored ? &parent.hash : NULL, why);
            result_bad(out, bad_find(e, &h->hash));
        } else if (n->dev || w.n + 1 + n_old > SIDE_EXECUTE_MAX) {
            side_add(e, h, &p->rlp);
            result_set(out, ES_ACCEPTED, NULL, NULL);
        } else {
            execute = true;
            if (n_old) err = canonical_hashes(s, w.anc_number, n_old, &old);
        }
    }
    db_snapshot_close(s); /* no snapshot across a write */
    if (execute && !err) {
        side_add(e, h, &p->rlp); /* kept should the store fail */
        err = n_old ? execute_and_restore(n, &w, p, old, n_old, out) : execute_above(n, &w, p, view, head, out);
    }
    free(old);
    walk_free(&w);
    return err;
}

const char *node_engine_new_payload(node *n, engine_payload *p, engine_result *out) {
    node_engine *e = n->eng;
    block_header *h = &p->b.header;
    const bad_block *bb = bad_find(e, &h->hash);
    if (bb) {
        result_bad(out, bb);
        return NULL;
    }
    if (n->import_unsettled) {
        if (bytes32_eq(&h->hash, &n->pw_hash)) { /* the block being written: validated */
            result_set(out, ES_VALID, &h->hash, NULL);
            return NULL;
        }
        if (bytes32_eq(&h->parent_hash, &n->pw_hash)) return import_payload(n, p, n->pw_number, true, out);
        node_import_settle(n);
    }
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    uint64_t num, head;
    bytes32 head_hash;
    if (stored(s, &h->hash, &num)) { /* validated before */
        db_snapshot_close(s);
        result_set(out, ES_VALID, &h->hash, NULL);
        return NULL;
    }
    if ((err = db_head(s, &head, &head_hash))) {
        db_snapshot_close(s);
        return err;
    }
    if (!bytes32_eq(&h->parent_hash, &head_hash)) return side_payload(n, p, s, head, out);
    db_snapshot_close(s); /* no snapshot across a write */
    return import_payload(n, p, head, true, out);
}

/* ---- forkchoiceUpdated ---------------------------------------------------------------- */

/* Where a forkchoice hash (safe, finalized) is on the head's chain. */
static bool on_chain(db_snapshot *s, const walk *w, const bytes32 *x, uint64_t *number) {
    for (size_t i = 0; i < w->n; i++)
        if (bytes32_eq(&w->branch[i].hash, x)) {
            *number = w->branch[i].number;
            return true;
        }
    return stored(s, x, number) && *number <= w->anc_number && canonical(s, *number, x);
}

/* Makes w's branch canonical on top of its ancestor; old: the canonical
 * blocks after the ancestor up to view, the head readers see (n_old), put
 * back if the branch fails. head: the store's. */
static const char *switch_to(node *n, const walk *w, uint64_t head, uint64_t view, const bytes32 *old, size_t n_old,
                             engine_result *out, int *rpc_code) {
    node_engine *e = n->eng;
    if (n_old) mark_move(n, &old[n_old - 1]), move_begin(n);
    const char *err = w->anc_number < head ? node_unwind_to(n, w->anc_number) : NULL;
    bool bad = false;
    bytes32 lvh;
    const char *why = err ? NULL : import_branch(n, w, NULL, &bad, &lvh);
    if (why) err = restore(n, w->anc_number, old, n_old);
    /* readers see the branch's head, or after a failure the old one (the
     * store is back at it, or at an ancestor above it) */
    bool above = why && !n_old && view < w->anc_number && !n->dev;
    node_set_fc_head(n, above ? view : UINT64_MAX);
    if (n_old) move_end(n);
    if (n_old && !err) mark_move(n, NULL);
    if (err) {
        *rpc_code = RPC_INTERNAL_ERROR;
        if (strstr(err, "change sets")) *rpc_code = -38006;
        return *rpc_code == -38006 ? "Too deep reorg" : err;
    }
    if (bad) {
        result_bad(out, bad_find(e, &w->branch[0].hash));
        return NULL;
    }
    if (why) {
        *rpc_code = RPC_INTERNAL_ERROR;
        return why;
    }
    if (n_old) {
        node_import_settle(n);
        node_pool_reinject(n, w->anc_number + 1, old, n_old);
    }
    result_set(out, ES_VALID, &w->branch[0].hash, NULL);
    return NULL;
}

/* The payload id: the hash of what the payload is built from. */
static void payload_id(const bytes32 *parent, const engine_attrs *a, int version, uint8_t id[8]) {
    buf_t b = {0};
    uint8_t v = (uint8_t)version, t[8];
    buf_append(&b, &v, 1);
    buf_append(&b, parent->b, 32);
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(a->timestamp >> (56 - 8 * i));
    buf_append(&b, t, 8);
    buf_append(&b, a->prev_randao.b, 32);
    buf_append(&b, a->fee_recipient.b, 20);
    for (size_t i = 0; i < a->n_withdrawals; i++) buf_append(&b, &a->withdrawals[i], sizeof a->withdrawals[i]);
    if (a->has_beacon_root) buf_append(&b, a->beacon_root.b, 32);
    bytes32 h = keccak256_hash(b.data, b.len);
    buf_free(&b);
    memcpy(id, h.b, 8);
}

/* What the fee recipient earns: every transaction's tip per gas times its gas. */
static u256 block_value(const node_built *bb) {
    u256 sum = U256_ZERO;
    const block_header *h = &bb->b.header;
    for (size_t i = 0; i < bb->b.n_txs && i < bb->result.n_receipts; i++) {
        u256 tip;
        if (!txpool_effective_tip(&bb->b.txs[i], &h->base_fee, &tip)) continue;
        u256 gas = u256_from_u64(bb->result.receipts[i].gas_used), fee = u256_mul(&tip, &gas);
        sum = u256_add(&sum, &fee);
    }
    return sum;
}

/* extra: room for the miner's extra data, which the attributes point to. */
static node_build_attrs build_attrs(node *n, const engine_attrs *a, const block_header *parent, uint8_t extra[32]) {
    pthread_mutex_lock(&n->miner_mu);
    node_build_attrs ba = {
        .timestamp = a->timestamp,
        .coinbase = a->fee_recipient,
        .prev_randao = a->prev_randao,
        .beacon_root = a->beacon_root,
        .withdrawals = a->withdrawals,
        .n_withdrawals = a->n_withdrawals,
        .gas_limit = engine_gas_limit(parent->gas_limit, n->miner_gas_limit),
        .engine = true,
        .extra = extra,
        .extra_len = n->miner_extra_len,
        .min_tip = n->miner_min_tip,
    };
    memcpy(extra, n->miner_extra, n->miner_extra_len);
    pthread_mutex_unlock(&n->miner_mu);
    return ba;
}

static engine_build *find_build(node_engine *e, const uint8_t id[8]) {
    for (size_t i = 0; i < BUILDS_MAX; i++)
        if (e->builds[i] && !memcmp(e->builds[i]->id, id, 8)) return e->builds[i];
    return NULL;
}

static const char *start_build(node *n, const engine_attrs *a, int version, const block_header *head, uint8_t id[8]) {
    node_engine *e = n->eng;
    payload_id(&head->hash, a, version, id);
    pthread_mutex_lock(&e->mu);
    bool have = find_build(e, id) != NULL;
    pthread_mutex_unlock(&e->mu);
    if (have) return NULL; /* the same attributes: the build stands */
    engine_build *b = calloc(1, sizeof *b);
    if (!b) abort();
    uint8_t extra[32];
    uint64_t arrivals = txpool_arrivals(n->pool);
    node_build_attrs ba = build_attrs(n, a, head, extra);
    const char *err = node_build_block(n, &ba, &b->built);
    if (err) {
        free(b);
        return err;
    }
    memcpy(b->id, id, 8);
    b->version = version;
    b->value = block_value(&b->built);
    b->fork = node_fork(n, &b->built.b.header);
    b->parent = *head;
    b->attrs = *a;
    b->attrs.withdrawals = NULL;
    if (a->n_withdrawals) {
        b->attrs.withdrawals = malloc(a->n_withdrawals * sizeof *a->withdrawals);
        if (!b->attrs.withdrawals) abort();
        memcpy(b->attrs.withdrawals, a->withdrawals, a->n_withdrawals * sizeof *a->withdrawals);
    }
    b->pool_arrivals = arrivals;
    pthread_mutex_lock(&e->mu);
    engine_build *old = e->builds[e->next_build];
    e->builds[e->next_build] = b;
    e->next_build = (e->next_build + 1) % BUILDS_MAX;
    pthread_mutex_unlock(&e->mu);
    engine_build_free(old);
    free(old);
    return NULL;
}

/* Checks safe and finalized against the new head's chain. */
static bool forkchoice_consistent(db_snapshot *s, const walk *w, const engine_forkchoice *fc, uint64_t *safe,
                                  uint64_t *fin) {
    static const bytes32 zero = {{0}};
    *safe = *fin = UINT64_MAX;
    if (!bytes32_eq(&fc->safe, &zero) && !on_chain(s, w, &fc->safe, safe)) return false;
    if (!bytes32_eq(&fc->finalized, &zero) && !on_chain(s, w, &fc->finalized, fin)) return false;
    return true;
}

#define FINALIZED_META "finalized"

/* The finalized block moves; a new one is kept in the store's meta (one
 * small write per epoch on a beacon chain), so that a restart finds it. A
 * failed write costs only that: it is reported, not answered. */
static void set_finalized(node *n, const bytes32 *hash, uint64_t number) {
    node_engine *e = n->eng;
    atomic_store(&n->finalized, number);
    bool moved = !e->has_finalized || !bytes32_eq(&e->finalized_hash, hash);
    e->has_finalized = true;
    e->finalized_hash = *hash;
    e->finalized_number = number;
    if (!moved) return;
    db_meta m = {.name = FINALIZED_META, .value = {hash->b, 32}};
    const char *err = db_put_meta(n->db, &m);
    if (err) fprintf(stderr, "parevm node: keeping the finalized block failed: %s\n", err);
}

/* A crash during a move (mark_move) left the store on a side branch or an
 * ancestor: back to the head readers saw, a block the store holds (on the
 * store's chain, or on a branch of stored blocks). */
static void finish_move(node *n) {
    db_snapshot *s;
    if (db_snapshot_open(n->db, 1, &s)) return;
    buf_t v = {0};
    bytes32 want;
    uint64_t head;
    bool pending = !db_read_meta(s, MOVE_META, &v) && v.len == 32 && !db_head(s, &head, NULL);
    if (pending) memcpy(want.b, v.data, 32);
    buf_free(&v);
    walk w = {0};
    if (pending) walk_from(n->eng, s, &want, &w);
    db_snapshot_close(s);
    if (!pending) return;
    const char *err = NULL;
    bool bad = false;
    bytes32 lvh;
    if (w.end != WALK_CANONICAL) err = "the head is not in the store";
    else if (w.anc_number < head) err = node_unwind_to(n, w.anc_number);
    if (!err && w.n) err = import_branch(n, &w, NULL, &bad, &lvh);
    walk_free(&w);
    if (err) fprintf(stderr, "parevm node: going back to the head before a crash failed: %s\n", err);
    else mark_move(n, NULL);
}

void node_engine_load_forkchoice(node *n) {
    finish_move(n);
    db_snapshot *s;
    if (db_snapshot_open(n->db, 1, &s)) return;
    load_head(n, s);
    buf_t v = {0};
    bytes32 hash;
    uint64_t number;
    if (!db_read_meta(s, FINALIZED_META, &v) && v.len == 32) {
        memcpy(hash.b, v.data, 32);
        if (stored(s, &hash, &number) && canonical(s, number, &hash)) {
            atomic_store(&n->safe, number);
            atomic_store(&n->finalized, number);
            n->eng->has_finalized = true;
            n->eng->finalized_hash = hash;
            n->eng->finalized_number = number;
        }
    }
    buf_free(&v);
    db_snapshot_close(s);
    if (atomic_load(&n->fc_head) != UINT64_MAX) node_pool_new_head(n);
}

/* Where a forkchoice hash (safe, finalized) is when the head is the block
 * whose write is pending: zero, that block, or a canonical stored block
 * (the store's head is its parent). */
static bool pending_chain_number(node *n, db_snapshot *s, const bytes32 *x, uint64_t *number) {
    static const bytes32 zero = {{0}};
    *number = UINT64_MAX;
    if (bytes32_eq(x, &zero)) return true;
    if (bytes32_eq(x, &n->pw_hash)) {
        *number = n->pw_number;
        return true;
    }
    return stored(s, x, number) && canonical(s, *number, x);
}

/* A forkchoiceUpdated without attributes to the block newPayload just
 * checked, whose write is still pending, is answered without waiting for
 * it: the block is already the store's next head. Readers wait for the
 * write (node_read_open). False: the normal path, after the write. */
static bool forkchoice_to_pending(node *n, const engine_forkchoice *fc, const engine_attrs *attrs,
                                  engine_result *out) {
    if (attrs || !bytes32_eq(&fc->head, &n->pw_hash)) return false;
    db_snapshot *s;
    if (db_snapshot_open(n->db, 1, &s)) return false;
    uint64_t safe, fin;
    bool ok = pending_chain_number(n, s, &fc->safe, &safe) && pending_chain_number(n, s, &fc->finalized, &fin);
    db_snapshot_close(s);
    if (!ok) return false;
    /* a zero hash leaves the block as it was (geth's catalyst) */
    if (safe != UINT64_MAX) atomic_store(&n->safe, safe);
    if (fin != UINT64_MAX) set_finalized(n, &fc->finalized, fin);
    node_set_fc_head(n, UINT64_MAX);
    result_set(out, ES_VALID, &fc->head, NULL);
    return true;
}

const char *node_engine_forkchoice(node *n, const engine_forkchoice *fc, const engine_attrs *attrs, int version,
                                   engine_result *out, bool *has_id, uint8_t id[8], int *rpc_code) {
    node_engine *e = n->eng;
    static const bytes32 zero = {{0}};
    *has_id = false;
    *rpc_code = 0;
    if (n->import_unsettled) {
        if (forkchoice_to_pending(n, fc, attrs, out)) return NULL;
        node_import_settle(n);
    }
    if (bytes32_eq(&fc->head, &zero)) {
        result_set(out, ES_INVALID, NULL, "forkchoice update to the zero hash");
        return NULL;
    }
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    uint64_t head;
    bytes32 head_hash;
    walk w;
    walk_from(e, s, &fc->head, &w);
    if (!(err = db_head(s, &head, &head_hash)) && w.end == WALK_BAD) {
        if (!bytes32_eq(&w.bad->hash, &fc->head))
            bad_add(e, &fc->head, w.bad->has_lvh ? &w.bad->lvh : NULL, "links to previously rejected block");
        result_bad(out, bad_find(e, &fc->head));
    } else if (!err && w.end == WALK_TOO_DEEP) {
        *rpc_code = -38006;
        err = "Too deep reorg";
    } else if (!err && w.end == WALK_MISSING) {
        result_set(out, ES_SYNCING, NULL, NULL);
    }
    if (err || w.end != WALK_CANONICAL) {
        db_snapshot_close(s);
        walk_free(&w);
        return err;
    }
    /* a head below the finalized block changes nothing (and builds nothing) */
    uint64_t target = w.n ? w.branch[0].number : w.anc_number, view = view_head(n, head);
    if (!w.n && w.anc_number < view && e->has_finalized && w.anc_number < e->finalized_number &&
        canonical(s, e->finalized_number, &e->finalized_hash)) {
        db_snapshot_close(s);
        walk_free(&w);
        result_set(out, ES_VALID, &fc->head, NULL);
        return NULL;
    }
    /* -38002 is for a VALID head (paris.md): a head on a branch not yet
     * executed is checked first, and an invalid one answered INVALID; a
     * valid one stays the head, as geth leaves it */
    uint64_t safe, fin;
    bool consistent = forkchoice_consistent(s, &w, fc, &safe, &fin);
    if (!consistent && (!w.n || w.branch[0].stored)) {
        db_snapshot_close(s);
        walk_free(&w);
        *rpc_code = RPC_ENGINE_INVALID_FORKCHOICE;
        return "Invalid forkchoice state";
    }
    block_header head_header;
    if (w.n) head_header = w.branch[0].header;
    else err = stored_header(s, w.anc_number, &w.anc_hash, &head_header);
    /* the canonical blocks readers see above the ancestor: a switch puts
     * them back if it fails; a move back returns their transactions */
    size_t n_old = view > w.anc_number ? (size_t)(view - w.anc_number) : 0;
    bytes32 *old = NULL;
    if (!err) err = canonical_hashes(s, w.anc_number, n_old, &old);
    db_snapshot_close(s);
    if (!err && w.n) {
        err = switch_to(n, &w, head, view, old, n_old, out, rpc_code);
    } else if (!err && n->dev && target < head) {
        /* dev mode has one head, the store's */
        err = node_unwind_to(n, target);
    }
    if (!err && !w.n) {
        /* a block of the store's chain: readers see it as the head now (the
         * blocks above it, newPayload's, stay stored) */
        node_set_fc_head(n, target < head && !n->dev ? target : UINT64_MAX);
        if (target != view) node_pool_new_head(n);
        /* back to an ancestor: the transactions of the blocks left go back
         * to the pool, as after a reorg */
        if (n_old) node_pool_reinject(n, target + 1, old, n_old);
        result_set(out, ES_VALID, &fc->head, NULL);
    }
    free(old);
    walk_free(&w);
    if (err || out->status != ES_VALID) return err;
    if (!consistent) {
        *rpc_code = RPC_ENGINE_INVALID_FORKCHOICE;
        return "Invalid forkchoice state";
    }
    /* the forkchoice moves; a zero hash leaves its block as it was (geth's
     * catalyst sets safe and finalized only when given) */
    if (safe != UINT64_MAX) atomic_store(&n->safe, safe);
    if (fin != UINT64_MAX) set_finalized(n, &fc->finalized, fin);
    if (!attrs) return NULL;
    if (attrs->timestamp <= head_header.timestamp) {
        *rpc_code = RPC_ENGINE_INVALID_ATTRIBUTES;
        return "Invalid payload attributes";
    }
    /* the payload is built on the store's head */
    if ((err = unwind_to_view(n))) {
        *rpc_code = RPC_INTERNAL_ERROR;
        return err;
    }
    if ((err = start_build(n, attrs, version, &head_header, id))) {
        *rpc_code = RPC_INTERNAL_ERROR;
        return err;
    }
    *has_id = true;
    return NULL;
}

/* ---- Built payloads ------------------------------------------------------------------- */

const char *node_engine_improve_build(node *n, const uint8_t id[8]) {
    node_engine *e = n->eng;
    /* only the writer replaces or frees builds: b stays valid here, and
     * its parent and attributes may be read without the lock */
    pthread_mutex_lock(&e->mu);
    engine_build *b = find_build(e, id);
    bool served = b && b->served;
    if (b) b->served = true;
    pthread_mutex_unlock(&e->mu);
    uint64_t arrivals = txpool_arrivals(n->pool);
    if (!b || served || arrivals == b->pool_arrivals) return NULL;
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    uint64_t head;
    bytes32 head_hash;
    err = db_head(s, &head, &head_hash);
    db_snapshot_close(s);
    if (err || !bytes32_eq(&head_hash, &b->parent.hash)) return err; /* the head moved on: the build stands */
    uint8_t extra[32];
    node_build_attrs ba = build_attrs(n, &b->attrs, &b->parent, extra);
    node_built nb;
    if ((err = node_build_block(n, &ba, &nb))) return err;
    u256 value = block_value(&nb);
    pthread_mutex_lock(&e->mu);
    b->pool_arrivals = arrivals;
    bool better = u256_gt(&value, &b->value);
    if (better) {
        node_built old = b->built;
        b->built = nb;
        b->value = value;
        nb = old;
    }
    pthread_mutex_unlock(&e->mu);
    node_built_free(&nb);
    return NULL;
}

bool node_engine_with_build(node *n, const uint8_t id[8], void (*fn)(const engine_build *b, void *arg), void *arg) {
    node_engine *e = n->eng;
    pthread_mutex_lock(&e->mu);
    const engine_build *found = find_build(e, id);
    if (found) fn(found, arg);
    pthread_mutex_unlock(&e->mu);
    return found != NULL;
}

const char *node_engine_build_now(node *n, const bytes32 *parent, const engine_attrs *attrs, bool has_txs,
                                  transaction *txs, size_t n_txs, const uint8_t *extra, size_t extra_len,
                                  engine_build *out, int *rpc_code) {
    memset(out, 0, sizeof *out);
    *rpc_code = 0;
    /* built on the head readers see */
    const char *err = unwind_to_view(n);
    if (err) return err;
    db_snapshot *s;
    if ((err = db_snapshot_open(n->db, 1, &s))) return err;
    uint64_t head, num;
    bytes32 head_hash;
    block_header ph;
    err = db_head(s, &head, &head_hash);
    if (!err && !bytes32_eq(&head_hash, parent)) {
        *rpc_code = stored(s, parent, &num) ? RPC_SERVER_ERROR : RPC_ENGINE_INVALID_ATTRIBUTES;
        err = *rpc_code == RPC_SERVER_ERROR ? "building on a block other than the head is not supported"
                                             : "unknown parent block";
    }
    if (!err) err = stored_header(s, head, &head_hash, &ph);
    db_snapshot_close(s);
    if (err) return err;
    if (attrs->timestamp <= ph.timestamp) {
        *rpc_code = RPC_ENGINE_INVALID_ATTRIBUTES;
        return "invalid payload attributes: timestamp must be after the parent's";
    }
    uint8_t miner_extra[32];
    node_build_attrs ba = build_attrs(n, attrs, &ph, miner_extra);
    ba.has_txs = has_txs;
    ba.txs = txs;
    ba.n_txs = n_txs;
    ba.extra = extra;
    ba.extra_len = extra_len;
    err = node_build_block(n, &ba, &out->built);
    if (err) {
        *rpc_code = RPC_SERVER_ERROR;
        return err;
    }
    out->version = 3;
    out->value = block_value(&out->built);
    out->fork = node_fork(n, &out->built.b.header);
    return NULL;
}
