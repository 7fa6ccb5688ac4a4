/* Proofs and execution witnesses from the store (db_proof.h).
 *
 * tries_open gives the tries at a snapshot's block as a consistent node
 * store: the store's own tables when they are at that block, else an
 * overlay (trie_proof.h) of the leaves at that block and the branch records
 * the root engine computes for them, without writing. The keys that differ
 * are those the change sets of the blocks after min(block, trie's block)
 * touched: their values at the block are the current ones, overridden by
 * the priors recorded after the block (the earliest wins), as an unwind
 * computes them. */
#include <stdlib.h>

#include "parevm/db_proof.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_proof.h"
#include "db_internal.h"

typedef struct {
    db_txn_store base_ctx;
    trie_store base;
    trie_overlay *ov;  /* NULL: the stored tries are at the block */
    trie_store store;  /* base or the overlay */
    bytes32 root;
} tries_at;

/* a's storage trie changes: its slots' values at the block, keys hashed,
 * sorted (into a->changes, a->change_vals). */
static void slot_changes(acct_work *a) {
    a->changes = malloc((a->n_slots + 1) * sizeof *a->changes); /* a wipe may come with none */
    size_t *off = malloc((a->n_slots + 1) * sizeof *off);
    if (!a->changes || !off) abort();
    for (size_t k = 0; k < a->n_slots; k++) {
        a->changes[k] = (trie_change){.key = db_slot_hash(&a->slots[k].key)};
        off[k] = a->change_vals.len;
        if (!u256_is_zero(&a->slots[k].value)) rlp_encode_u256(&a->change_vals, &a->slots[k].value);
        a->changes[k].val_len = a->change_vals.len - off[k];
    }
    for (size_t k = 0; k < a->n_slots; k++)
        a->changes[k].val = a->change_vals.data ? a->change_vals.data + off[k] : NULL;
    free(off);
    a->n_changes = a->n_slots;
    trie_changes_sort(a->changes, a->n_changes);
}

/* The storage tries of the accounts with slots: their roots (into
 * a->storage_root), records (into *upd) and leaves (into the overlay). */
static const char *storage_tries(work_set *w, tries_at *t, trie_updates *upd) {
    trie_job *jobs = calloc(w->n + 1, sizeof *jobs);
    size_t *which = calloc(w->n + 1, sizeof *which), n_jobs = 0;
    if (!jobs || !which) abort();
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        if (!a->n_slots && !a->wiped) continue;
        slot_changes(a);
        which[n_jobs] = i;
        jobs[n_jobs++] = (trie_job){.has_owner = true, .owner = a->haddr, .wiped = a->wiped, .changes = a->changes,
                                    .n_changes = a->n_changes};
    }
    const char *err = trie_update_roots(&t->base, NULL, jobs, n_jobs, upd);
    for (size_t j = 0; !err && j < n_jobs; j++) {
        acct_work *a = &w->a[which[j]];
        a->storage_root = jobs[j].root;
        if (a->wiped) trie_overlay_wipe(t->ov, &a->haddr);
        for (size_t k = 0; k < a->n_changes; k++)
            trie_overlay_set_leaf(t->ov, &a->haddr, &a->changes[k].key, a->changes[k].val, a->changes[k].val_len);
    }
    free(jobs);
    free(which);
    return err;
}

/* The account trie: the leaves of the accounts that changed (with their
 * storage roots at the block) give t->root, records and overlay leaves. */
static const char *account_trie(work_set *w, tries_at *t, trie_updates *upd) {
    size_t n = 0, *off = malloc((w->n + 1) * sizeof *off);
    w->acct_changes = malloc((w->n + 1) * sizeof *w->acct_changes);
    if (!off || !w->acct_changes) abort();
    for (size_t i = 0; i < w->n; i++) {
        acct_work *a = &w->a[i];
        if (!a->trie) continue;
        w->acct_changes[n] = (trie_change){.key = a->haddr};
        off[n] = w->leaf_vals.len;
        if (a->exists) db_leaf_encode(&a->acct, &a->storage_root, &w->leaf_vals);
        w->acct_changes[n].val_len = w->leaf_vals.len - off[n];
        n++;
    }
    for (size_t k = 0; k < n; k++) w->acct_changes[k].val = w->leaf_vals.data ? w->leaf_vals.data + off[k] : NULL;
    free(off);
    w->n_acct_changes = n;
    trie_changes_sort(w->acct_changes, n);
    trie_job job = {.changes = w->acct_changes, .n_changes = n};
    const char *err = trie_update_roots(&t->base, NULL, &job, 1, upd);
    if (err) return err;
    t->root = job.root;
    for (size_t k = 0; k < n; k++)
        trie_overlay_set_leaf(t->ov, NULL, &w->acct_changes[k].key, w->acct_changes[k].val, w->acct_changes[k].val_len);
    return NULL;
}

/* The overlay of the tries at the block: storage tries, then the account
 * trie, computed by the root engine over the stored records (one thread:
 * its readers share the snapshot's transaction). */
static const char *overlay_from(work_set *w, tries_at *t) {
    trie_updates upd = {0};
    const char *err = storage_tries(w, t, &upd);
    if (!err) err = account_trie(w, t, &upd);
    if (!err) {
        trie_overlay_apply(t->ov, &upd);
        t->store = trie_overlay_store(t->ov);
    }
    trie_updates_free(&upd);
    return err;
}

static void tries_close(tries_at *t) {
    trie_overlay_free(t->ov);
    t->ov = NULL;
}

/* The tries after block number, read in txn (a snapshot's; head is its
 * head, has_head false before block 0), with changes (NULL: none) applied
 * on top: a child of that block not in the store. The entries the priors
 * restore hold the values at number; the keys they lack have the same
 * values at number as at the head, so the changes apply on either. */
static const char *tries_open(db *d, MDB_txn *txn, bool has_head, uint64_t head, uint64_t number,
                              const change_set *changes, tries_at *t) {
    memset(t, 0, sizeof *t);
    t->base_ctx = (db_txn_store){d, txn};
    t->base = db_trie_store_in(&t->base_ctx);
    t->store = t->base;
    int rc = db_get_root(d, txn, &t->root);
    if (rc || !has_head) return rc ? db_mdb_error(rc) : NULL; /* before block 0 the tries are current */
    uint64_t trie, history;
    rc = db_get_meta_u64(d, txn, "trie", &trie);
    if (!rc) rc = db_get_meta_u64(d, txn, "history", &history);
    if (rc) return db_mdb_error(rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc);
    if (number > head) return "no such block in the store";
    if (trie == head && number == head && !changes) return NULL;
    uint64_t low = trie < number ? trie : number;
    if (low + 1 < history) return "the change sets for that block are missing";
    work_set w;
    work_init(&w, d, txn);
    w.read_id = 0; /* no read-ahead on the store's pool: it is not ours */
    rc = work_add_history(&w, low + 1, head);
    if (!rc && number < head) rc = work_restore_priors(&w, number + 1, head);
    if (!rc && changes) rc = work_apply(&w, changes);
    const char *err = rc ? db_mdb_error(rc) : NULL;
    if (!err) {
        t->ov = trie_overlay_new(&t->base);
        err = overlay_from(&w, t);
    }
    work_free(&w);
    if (err) tries_close(t);
    return err;
}

/* ---- eth_getProof ---- */

static bool decode_leaf(const buf_t *v, account_info *out, bytes32 *root) {
    rlp_item list, it[4];
    if (rlp_decode(v->data, v->len, &list) != RLP_OK || !list.is_list || rlp_list_items(&list, it, 4) != RLP_OK)
        return false;
    return rlp_to_u64(&it[0], &out->nonce) == RLP_OK && rlp_to_u256(&it[1], &out->balance) == RLP_OK &&
           rlp_to_bytes32(&it[2], root) == RLP_OK && rlp_to_bytes32(&it[3], &out->code_hash) == RLP_OK;
}

static const char *prove(trie_prover *p, const tries_at *t, const address *addr, db_proof *out) {
    bytes32 root;
    const char *err = trie_prover_root(p, NULL, &root);
    if (err) return err;
    if (!bytes32_eq(&root, &t->root)) return "the trie store is inconsistent with its root";
    out->state_root = root;
    bytes32 haddr = keccak256_hash(addr->b, 20);
    buf_t val = {0};
    bool found;
    err = trie_prover_prove(p, NULL, &haddr, &out->account_proof, &found, &val);
    if (!err && found && !decode_leaf(&val, &out->info, &out->storage_root)) err = "malformed account leaf";
    out->exists = !err && found;
    bool checked = false;
    for (size_t i = 0; !err && out->exists && i < out->n_slots; i++) {
        if (bytes32_eq(&out->storage_root, &EMPTY_TRIE_ROOT)) break;
        if (!checked) {
            if ((err = trie_prover_root(p, &haddr, &root))) break;
            if (!bytes32_eq(&root, &out->storage_root)) err = "the trie store is inconsistent with a storage root";
            checked = true;
        }
        db_slot_proof *sp = &out->slots[i];
        bytes32 hk = db_slot_hash(&sp->key);
        buf_clear(&val);
        if (!err) err = trie_prover_prove(p, &haddr, &hk, &sp->proof, &found, &val);
        rlp_item it;
        if (!err && found &&
            (rlp_decode(val.data, val.len, &it) != RLP_OK || rlp_to_u256(&it, &sp->value) != RLP_OK))
            err = "malformed storage leaf";
    }
    buf_free(&val);
    return err;
}

const char *db_get_proof(db_snapshot *s, const address *addr, const u256 *slots, size_t n, db_proof *out) {
    return db_get_proof_after(s, NULL, addr, slots, n, out);
}

const char *db_get_proof_after(db_snapshot *s, const change_set *changes, const address *addr, const u256 *slots,
                               size_t n, db_proof *out) {
    db_proof_target t = {.addr = *addr, .slots = slots, .n_slots = n};
    return db_get_proofs_after(s, changes, &t, 1, out);
}

static void proof_init(db_proof *out, const db_proof_target *t, uint64_t at) {
    memset(out, 0, sizeof *out);
    out->slots = calloc(t->n_slots ? t->n_slots : 1, sizeof *out->slots);
    if (!out->slots) abort();
    out->n_slots = t->n_slots;
    for (size_t i = 0; i < t->n_slots; i++) out->slots[i].key = t->slots[i];
    out->info.code_hash = EMPTY_CODE_HASH;
    out->storage_root = EMPTY_TRIE_ROOT;
    out->number = at;
}

const char *db_get_proofs_after(db_snapshot *s, const change_set *changes, const db_proof_target *targets, size_t n,
                                db_proof *out) {
    if (!n) return NULL;
    uint64_t head = 0, at = 0;
    bool has_head = db_head(s, &head, NULL) == NULL;
    if (has_head) db_snapshot_block(s, &at);
    for (size_t i = 0; i < n; i++) proof_init(&out[i], &targets[i], at);
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    tries_at t;
    trie_prover *p = NULL;
    /* the tries once for all the targets: for an older block or a pending
     * one, opening them is most of the work */
    const char *err = tries_open(db_snapshot_db(s), txn, has_head, head, at, changes, &t);
    if (!err) err = trie_prover_open(&t.store, &p);
    for (size_t i = 0; !err && i < n; i++) err = prove(p, &t, &targets[i].addr, &out[i]);
    trie_prover_close(p);
    tries_close(&t);
    db_snapshot_give(s, lane);
    for (size_t i = 0; err && i < n; i++) { /* no half-filled values */
        out[i].exists = false;
        out[i].info = (account_info){.code_hash = EMPTY_CODE_HASH};
    }
    return err;
}

void db_proof_free(db_proof *p) {
    byte_list_free(&p->account_proof);
    for (size_t i = 0; i < p->n_slots; i++) byte_list_free(&p->slots[i].proof);
    free(p->slots);
    p->slots = NULL;
    p->n_slots = 0;
}

const char *db_state_root_at(db_snapshot *s, bytes32 *root) {
    uint64_t head = 0, at = 0;
    bool has_head = db_head(s, &head, NULL) == NULL;
    if (has_head) db_snapshot_block(s, &at);
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    tries_at t;
    const char *err = tries_open(db_snapshot_db(s), txn, has_head, head, at, NULL, &t);
    if (!err) *root = t.root;
    tries_close(&t);
    db_snapshot_give(s, lane);
    return err;
}

/* ---- Execution witnesses ---- */

static const char *fetch_node(void *ctx, const bytes32 *owner, const uint8_t *path, size_t len,
                              const bytes32 *hash, buf_t *out) {
    byte_span n;
    const char *err = trie_prover_node(ctx, owner, path, len, &n);
    if (!err && n.len == 0) err = "the store has no node where the trie references one";
    if (!err) buf_append(out, n.data, n.len);
    return err;
}

/* The keys' preimages: each account followed by its slots, accounts in the
 * order of first mention (reads, then changes). */
typedef struct {
    address addr;
    word_map seen;
    u256 *slots;
    size_t n, cap;
} key_group;

typedef struct {
    key_group *g;
    size_t n, cap;
    addr_map index;
} key_list;

static key_group *key_account(key_list *k, const address *a) {
    uint32_t i;
    if (addr_map_get(&k->index, a, &i)) return &k->g[i];
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 32;
        k->g = realloc(k->g, k->cap * sizeof *k->g);
        if (!k->g) abort();
    }
    key_group *g = &k->g[k->n];
    memset(g, 0, sizeof *g);
    g->addr = *a;
    addr_map_put(&k->index, a, (uint32_t)k->n++);
    return g;
}

static void key_slot(key_group *g, const u256 *slot) {
    if (word_map_get(&g->seen, slot)) return;
    word_map_put(&g->seen, slot, slot);
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->slots = realloc(g->slots, g->cap * sizeof *g->slots);
        if (!g->slots) abort();
    }
    g->slots[g->n++] = *slot;
}

static void keys_out(key_list *k, byte_list *out) {
    for (size_t i = 0; i < k->n; i++) {
        key_group *g = &k->g[i];
        byte_list_push(out, g->addr.b, 20);
        for (size_t j = 0; j < g->n; j++) {
            uint8_t be[32];
            u256_to_be(&g->slots[j], be);
            byte_list_push(out, be, 32);
        }
        word_map_free(&g->seen);
        free(g->slots);
    }
    free(k->g);
    addr_map_free(&k->index);
}

/* The roots after each of mids on fresh states over the pre-state (fetch
 * mode: the nodes they open join the witness's). */
static const char *collect_mid_nodes(const bytes32 *pre_root, trie_nodes *nodes, code_store *codes,
                                     trie_prover *p, const change_set *mids, size_t n_mids) {
    const char *err = NULL;
    for (size_t i = 0; i < n_mids && !err; i++) {
        witness_state *ws = witness_state_new(pre_root, nodes, codes);
        witness_state_set_fetch(ws, fetch_node, p);
        witness_state_apply(ws, &mids[i]);
        bytes32 root;
        err = witness_state_error(ws);
        if (!err) err = witness_state_root(ws, &root);
        witness_state_free(ws);
    }
    return err;
}

/* Replays the reads and the changes on a state in fetch mode: the nodes it
 * opens are the witness's. */
static const char *collect_nodes(witness_state *ws, const state_recorder *reads, const change_set *changes,
                                 bool both_orders, key_list *keys, bytes32 *post_root) {
    state_view v = witness_state_view(ws);
    for (size_t i = 0; reads && i < state_recorder_count(reads); i++) {
        recorded_account r = state_recorder_get(reads, i);
        key_group *g = key_account(keys, &r.addr);
        account_info info;
        v.ops->get_account(v.ctx, &r.addr, FIELD_ALL, &info);
        for (size_t j = 0; j < r.n_slots; j++) {
            v.ops->get_storage(v.ctx, &r.addr, &r.slots[j]);
            key_slot(g, &r.slots[j]);
        }
    }
    if (changes) {
        for (size_t i = 0; i < changes->n_accounts; i++) {
            const account_change *c = &changes->accounts[i];
            key_group *g = key_account(keys, &c->addr);
            for (uint32_t j = 0; j < c->n_slots; j++) key_slot(g, &changes->slots[c->first_slot + j].key);
        }
        witness_state_apply(ws, changes);
    }
    const char *err = witness_state_error(ws);
    bytes32 root, again;
    if (!err) err = witness_state_root(ws, &root);
    if (!err && both_orders) { /* the siblings a deletions-first consumer opens too */
        witness_state_set_deletions_first(ws, true);
        err = witness_state_root(ws, &again);
        if (!err && !bytes32_eq(&again, &root)) err = "the post-state root depends on the order of the changes";
    }
    if (!err && post_root) *post_root = root;
    return err;
}

static void codes_out(const state_recorder *reads, byte_list *out) {
    word_map seen = {0};
    for (size_t i = 0; reads && i < state_recorder_count(reads); i++) {
        recorded_account r = state_recorder_get(reads, i);
        if (!r.code) continue;
        u256 h = u256_from_be(r.code->hash.b, 32);
        if (word_map_get(&seen, &h)) continue;
        word_map_put(&seen, &h, &h);
        byte_list_push(out, r.code->bytes, r.code->len);
    }
    word_map_free(&seen);
}

static const char *headers_out(db_snapshot *s, uint64_t from, uint64_t to, byte_list *out) {
    buf_t h = {0};
    const char *err = NULL;
    for (uint64_t n = from; n <= to && !err; n++) {
        bytes32 hash;
        buf_clear(&h);
        err = db_canonical_hash(s, n, &hash);
        if (!err) err = db_read_header(s, n, &hash, &h);
        if (!err) byte_list_push(out, h.data, h.len);
    }
    buf_free(&h);
    return err == DB_NOT_FOUND ? "a header the witness needs is missing" : err;
}

const char *db_execution_witness(db *d, uint64_t number, const state_recorder *reads, const change_set *changes,
                                 const change_set *mids, size_t n_mids, execution_witness *out, bytes32 *post_root) {
    return db_execution_witness_mode(d, number, reads, changes, mids, n_mids, false, out, post_root);
}

/* The witness of block number on s's commit, which holds its parent's
 * state (db_snapshot_has_state). */
static const char *witness_on(db_snapshot *s, uint64_t number, const state_recorder *reads, const change_set *changes,
                              const change_set *mids, size_t n_mids, bool both_orders, execution_witness *out,
                              bytes32 *post_root) {
    db *d = db_snapshot_db(s);
    uint64_t head = 0;
    db_head(s, &head, NULL);
    void *lane;
    MDB_txn *txn = db_snapshot_take(s, &lane);
    tries_at t;
    trie_prover *p = NULL;
    trie_nodes *nodes = trie_nodes_new();
    key_list keys = {0};
    const char *err = tries_open(d, txn, true, head, number - 1, NULL, &t);
    if (!err) err = trie_prover_open(&t.store, &p);
    if (!err) {
        witness_state *ws = witness_state_new(&t.root, nodes, db_codes(d));
        witness_state_set_fetch(ws, fetch_node, p);
        err = collect_nodes(ws, reads, changes, both_orders, &keys, post_root);
        witness_state_free(ws);
        if (!err) err = collect_mid_nodes(&t.root, nodes, db_codes(d), p, mids, n_mids);
    }
    trie_prover_close(p);
    tries_close(&t);
    db_snapshot_give(s, lane);
    for (size_t i = 0; i < trie_nodes_count(nodes); i++) {
        byte_span n = trie_nodes_at(nodes, i);
        byte_list_push(&out->state, n.data, n.len);
    }
    trie_nodes_free(nodes);
    keys_out(&keys, &out->keys);
    codes_out(reads, &out->codes);
    uint64_t oldest = number - 1;
    if (reads && state_recorder_oldest_hash(reads, &oldest) && oldest > number - 1) oldest = number - 1;
    if (!err) err = headers_out(s, oldest, number - 1, &out->headers);
    return err;
}

const char *db_execution_witness_mode(db *d, uint64_t number, const state_recorder *reads, const change_set *changes,
                                      const change_set *mids, size_t n_mids, bool both_orders, execution_witness *out,
                                      bytes32 *post_root) {
    memset(out, 0, sizeof *out);
    if (number == 0) return "block 0 has no parent state";
    db_snapshot *s;
    const char *err = db_snapshot_at(d, number - 1, 1, &s);
    if (err) return err;
    err = witness_on(s, number, reads, changes, mids, n_mids, both_orders, out, post_root);
    db_snapshot_close(s);
    return err;
}

const char *db_state_root_after(db_snapshot *s, uint64_t number, const change_set *changes, bytes32 *root) {
    if (number == 0) return "block 0 has no parent state";
    const char *err = db_snapshot_has_state(s, number - 1);
    if (err) return err;
    execution_witness w;
    memset(&w, 0, sizeof w);
    err = witness_on(s, number, NULL, changes, NULL, 0, false, &w, root);
    execution_witness_free(&w);
    return err;
}
