/* Dev-mode state edits not yet in a block (anvil_setBalance and friends):
 * a change set over the head it was made on, published as an immutable,
 * reference-counted object. Readers layer it over their snapshot of that
 * head; the next mined block folds it into its change set and the writer
 * publishes an empty set for the new head. The store keeps a copy, so
 * that a restart on the same datadir finds the edits. */
#include <stdlib.h>
#include "node_internal.h"

struct node_patch {
    atomic_uint refs;
    uint64_t head;
    bytes32 head_hash;
    change_set cs;
};

void node_patch_release(node_patch *p) {
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
    change_set_free(&p->cs);
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

void node_patch_publish(node *n, uint64_t head, const bytes32 *head_hash, const change_set *cs) {
    node_patch *p = calloc(1, sizeof *p);
    if (!p) abort();
    atomic_init(&p->refs, 1);
    p->head = head;
    p->head_hash = *head_hash;
    if (cs) change_set_append(&p->cs, cs, cs->n_accounts);
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

void node_patch_layer(node_state *st, const node_patch *p) { node_state_layer(st, p ? &p->cs : NULL); }

void node_patch_apply(node_read *r, node_state *st) { node_patch_layer(st, r->patch); }
