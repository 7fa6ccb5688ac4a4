/* Dev-mode state edits not yet in a block (anvil_setBalance and friends):
 * a change set over the head it was made on, published as an immutable,
 * reference-counted object. Readers layer it over their snapshot of that
 * head; the next mined block folds it into its change set and the writer
 * publishes an empty set for the new head. The store keeps a copy, so
 * that a restart on the same datadir finds the edits.
 *
 * The edits are indexed once per patch (a block_state built by the first
 * reader) and every reader reads through that index over its own snapshot:
 * a large set (a loaded state file) costs its size once, not per request.
 * A patch made by one more edit on the head's previous patch builds its
 * index from a copy of the previous one with the edit applied, so that a
 * run of edits over a large set reads the store for the edited accounts
 * only (the copy costs memory bandwidth, not a read and a hash per
 * account). */
#include <stdlib.h>
#include "parevm/block_state.h"
#include "node_internal.h"

struct node_patch {
    atomic_uint refs;
    uint64_t head;
    bytes32 head_hash;
    change_set cs;
    node_patch *prev;          /* the head's patch cs was made from (retained until
                                  the index is built), or NULL */
    change_set edit;           /* what cs adds to prev's */
    pthread_mutex_t mu;        /* guards the three below */
    bool indexed;              /* the index was built (or its build failed) */
    block_state *index;        /* cs over the head, or NULL */
};

void node_patch_release(node_patch *p) {
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
    change_set_free(&p->cs);
    change_set_free(&p->edit);
    node_patch_release(p->prev);
    if (p->index) block_state_free(p->index);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

node_patch *node_patch_retain(node_patch *p) {
    if (p) atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

const change_set *node_patch_changes(const node_patch *p) { return p ? &p->cs : NULL; }

node_patch *node_patch_get(node *n, uint64_t head, const bytes32 *head_hash, bool *stale) {
    *stale = false;
    node_patch *p = NULL;
    pthread_mutex_lock(&n->patch_mu);
    node_patch *cur = n->patch;
    if (cur && (cur->head != head || !bytes32_eq(&cur->head_hash, head_hash))) *stale = true;
    else if (cur && cur->cs.n_accounts) p = node_patch_retain(cur);
    pthread_mutex_unlock(&n->patch_mu);
    return p;
}

/* p's index if it was built (immutable then; p must be retained). */
static const block_state *built_index(node_patch *p) {
    pthread_mutex_lock(&p->mu);
    const block_state *index = p->index;
    pthread_mutex_unlock(&p->mu);
    return index;
}

void node_patch_publish(node *n, uint64_t head, const bytes32 *head_hash, const change_set *cs) {
    node_patch_publish_edit(n, head, head_hash, cs, NULL, NULL);
}

void node_patch_publish_edit(node *n, uint64_t head, const bytes32 *head_hash, const change_set *cs, node_patch *prev,
                             const change_set *edit) {
    node_patch *p = calloc(1, sizeof *p);
    if (!p) abort();
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->mu, NULL);
    p->head = head;
    p->head_hash = *head_hash;
    if (cs) change_set_append(&p->cs, cs, cs->n_accounts);
    /* only a previous patch with its index: never a chain of them */
    if (prev && edit && prev->head == head && bytes32_eq(&prev->head_hash, head_hash) && built_index(prev)) {
        p->prev = node_patch_retain(prev);
        change_set_append(&p->edit, edit, edit->n_accounts);
    }
    pthread_mutex_lock(&n->patch_mu);
    node_patch *old = n->patch;
    n->patch = p;
    pthread_mutex_unlock(&n->patch_mu);
    node_patch_release(old);
}

#define PENDING_META "dev.pending"

bool node_patch_record(node *n, const bytes32 *head_hash, const change_set *cs, buf_t *value, db_meta *out) {
    bool any = cs && cs->n_accounts;
    if (!any && !n->patch_stored) return false;
    buf_append(value, head_hash->b, 32);
    change_set none = {0};
    change_set_encode(any ? cs : &none, value);
    *out = (db_meta){PENDING_META, {value->data, value->len}};
    return true;
}

const char *node_patch_store(node *n, const bytes32 *head_hash, const change_set *cs) {
    buf_t v = {0};
    db_meta m;
    const char *err = NULL;
    if (node_patch_record(n, head_hash, cs, &v, &m) && !(err = db_put_meta(n->db, &m)))
        n->patch_stored = cs && cs->n_accounts;
    buf_free(&v);
    return err;
}

const char *node_patch_load(node *n, uint64_t head, const bytes32 *head_hash) {
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    buf_t v = {0};
    change_set cs = {0};
    err = db_read_meta(s, PENDING_META, &v);
    db_snapshot_close(s);
    if (err == DB_NOT_FOUND) err = NULL;
    else if (!err && v.len < 32) err = "the stored dev edits are damaged";
    else if (!err && !memcmp(v.data, head_hash->b, 32) &&
             change_set_decode(v.data + 32, v.len - 32, db_codes(n->db), &cs))
        err = "the stored dev edits are damaged";
    /* a record that holds edits, even another head's, is overwritten at
     * the next change */
    n->patch_stored = !err && v.len > 32 + 1;
    buf_free(&v);
    if (!err) node_patch_publish(n, head, head_hash, &cs);
    change_set_free(&cs);
    return err;
}

void node_state_layer(node_state *st, const change_set *cs) {
    if (!cs || !cs->n_accounts) return;
    st->edits = block_state_new(st->view, st->codes);
    block_state_apply(st->edits, cs);
    st->view = block_state_view(st->edits);
}

/* The index's own base once built: it is only read over the readers'
 * snapshots, so it needs none; this one answers "nothing". */
static bool no_account(void *ctx, const address *a, unsigned f, account_info *out) {
    (void)ctx, (void)a, (void)f;
    *out = (account_info){.code_hash = EMPTY_CODE_HASH};
    return false;
}
static u256 no_storage(void *ctx, const address *a, const u256 *k) { return (void)ctx, (void)a, (void)k, U256_ZERO; }
static bool no_slots(void *ctx, const address *a) { return (void)ctx, (void)a, false; }
static const evm_code *no_code(void *ctx, const address *a) { return (void)ctx, (void)a, &EVM_EMPTY_CODE; }
static bytes32 no_hash(void *ctx, uint64_t n) { return (void)ctx, (void)n, (bytes32){{0}}; }
static const state_view_ops NO_STATE = {no_account, no_storage, no_slots, no_code, no_hash};

/* p's edits indexed over the head, built by the first reader over its own
 * snapshot st (of p's head) and then shared; NULL when that build met a
 * store error (the reader then layers the edits itself). */
static const block_state *patch_index(node_patch *p, node_state *st) {
    pthread_mutex_lock(&p->mu);
    if (!p->indexed) {
        p->indexed = true;
        /* from the previous patch's index when it has one (its accounts
         * then need no read), else from the whole set */
        const block_state *from = p->prev ? built_index(p->prev) : NULL;
        block_state *bs;
        if (from) {
            bs = block_state_clone(from);
            block_state_rebase(bs, st->view);
            block_state_apply(bs, &p->edit);
        } else {
            bs = block_state_new(st->view, st->codes);
            block_state_apply(bs, &p->cs);
        }
        if (st->src && db_snapshot_error(st->src)) {
            block_state_free(bs);
        } else {
            block_state_rebase(bs, (state_view){&NO_STATE, NULL});
            p->index = bs;
        }
        node_patch_release(p->prev);
        p->prev = NULL;
    }
    const block_state *index = p->index;
    pthread_mutex_unlock(&p->mu);
    return index;
}

void node_patch_apply(node_read *r, node_state *st) {
    node_patch *p = r->patch;
    if (!p || !p->cs.n_accounts) return;
    st->head_edits = true;
    const block_state *index = patch_index(p, st);
    if (!index) {
        node_state_layer(st, &p->cs);
        return;
    }
    if (!(st->over = malloc(sizeof *st->over))) abort();
    st->view = block_state_view_over(st->over, index, st->view);
}
