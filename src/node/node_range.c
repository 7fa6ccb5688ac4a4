/* Walks of a retained block's state in hashed-key order (node_range.h):
 * the latest rows merged with the keys that changed since the block and
 * the keys of the layers on top, each read through the state's view. */
#include <stdlib.h>
#include "node_range.h"
#include "parevm/keccak.h"

enum { MAX_ITEMS = 1 << 30 }; /* beyond any state this node can hold */

/* A key to look at: an account's address or a slot of the walked account. */
typedef struct {
    bytes32 hkey;
    address addr;
    u256 slot;
} range_key;

typedef struct {
    range_key *v;
    size_t n, cap;
} key_list;

static void keys_push(key_list *l, const range_key *k) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[l->n++] = *k;
}

static int cmp_keys(const void *a, const void *b) {
    return memcmp(((const range_key *)a)->hkey.b, ((const range_key *)b)->hkey.b, 32);
}

/* Sorts l by hashed key and drops repeated keys. */
static void keys_sort(key_list *l) {
    if (l->n < 2) return;
    qsort(l->v, l->n, sizeof *l->v, cmp_keys);
    size_t kept = 1;
    for (size_t i = 1; i < l->n; i++)
        if (cmp_keys(&l->v[i], &l->v[kept - 1])) l->v[kept++] = l->v[i];
    l->n = kept;
}

static bool at_or_after(const bytes32 *h, const bytes32 *start) { return !start || memcmp(h->b, start->b, 32) >= 0; }

static bytes32 slot_hash(const u256 *slot) {
    uint8_t be[32];
    u256_to_be(slot, be);
    return keccak256_hash(be, 32);
}

/* What a walk is after: accounts, or the slots of addr. */
typedef struct {
    const node_range_src *src;
    const address *addr; /* slots of this account; NULL: accounts */
    const bytes32 *start;
} walk_target;

/* Adds a key named by a change set (slot NULL: an account entry). */
static void add_changed(const walk_target *t, key_list *l, const address *a, const u256 *slot) {
    range_key k;
    memset(&k, 0, sizeof k);
    if (t->addr) {
        if (!slot || !address_eq(a, t->addr)) return;
        k.slot = *slot;
        k.hkey = slot_hash(slot);
    } else {
        if (slot) return; /* an account absent from the latest rows has an account entry */
        k.addr = *a;
        k.hkey = keccak256_hash(a->b, 20);
    }
    if (at_or_after(&k.hkey, t->start)) keys_push(l, &k);
}

typedef struct {
    const walk_target *t;
    key_list *l;
} change_ctx;

static bool on_change(void *arg, uint64_t number, const address *a, const u256 *slot) {
    (void)number;
    change_ctx *c = arg;
    add_changed(c->t, c->l, a, slot);
    return true;
}

/* The keys whose values may differ from the latest rows': those the change
 * sets of the blocks after src->number name, and the layers'. Sorted. */
static const char *changed_keys(const walk_target *t, key_list *out) {
    const node_range_src *src = t->src;
    if (src->number < src->r->head) {
        change_ctx c = {t, out};
        const char *why = db_each_change(src->r->snap, src->number + 1, src->r->head, t->addr, on_change, &c);
        if (why) return why;
    }
    for (size_t i = 0; i < sizeof src->layers / sizeof src->layers[0]; i++) {
        const change_set *cs = src->layers[i];
        for (size_t j = 0; cs && j < cs->n_accounts; j++) {
            const account_change *ac = &cs->accounts[j];
            add_changed(t, out, &ac->addr, NULL);
            for (uint32_t s = 0; s < ac->n_slots; s++) add_changed(t, out, &ac->addr, &cs->slots[ac->first_slot + s].key);
        }
    }
    keys_sort(out);
    return NULL;
}

/* ---- The latest rows ---- */

typedef struct {
    key_list *l;
    size_t quota;
} row_ctx;

static bool on_account_row(void *arg, const address *a, const account_info *info) {
    (void)info;
    row_ctx *c = arg;
    range_key k;
    memset(&k, 0, sizeof k);
    k.addr = *a;
    k.hkey = keccak256_hash(a->b, 20);
    keys_push(c->l, &k);
    return c->l->n < c->quota;
}

static bool on_slot_row(void *arg, const u256 *slot, const u256 *value) {
    (void)value;
    row_ctx *c = arg;
    range_key k;
    memset(&k, 0, sizeof k);
    k.slot = *slot;
    k.hkey = slot_hash(slot);
    keys_push(c->l, &k);
    return c->l->n < c->quota;
}

/* Up to quota latest rows from t->start, in order. */
static const char *latest_rows(const walk_target *t, size_t quota, key_list *out) {
    row_ctx c = {out, quota};
    db_snapshot *s = t->src->r->snap;
    return t->addr ? db_each_slot_from(s, t->addr, t->start, on_slot_row, &c)
                   : db_each_account_from(s, t->start, on_account_row, &c);
}

/* ---- Merging and reading ---- */

/* Reads key k through the view; true (with *item) when it is present. */
static bool read_key(const walk_target *t, const range_key *k, node_range_item *item) {
    state_view v = t->src->view;
    memset(item, 0, sizeof *item);
    item->hkey = k->hkey;
    if (t->addr) {
        item->slot = k->slot;
        item->value = v.ops->get_storage(v.ctx, t->addr, &k->slot);
        return !u256_is_zero(&item->value);
    }
    item->addr = k->addr;
    return v.ops->get_account(v.ctx, &k->addr, FIELD_ALL, &item->info);
}

static void items_push(node_range *out, size_t *cap, const node_range_item *it) {
    if (out->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        out->items = realloc(out->items, *cap * sizeof *out->items);
        if (!out->items) abort();
    }
    out->items[out->n++] = *it;
}

/* Visits the keys of rows and changed (both sorted) in order, up to limit
 * (NULL: all), until max + 1 are present; the (max + 1)th becomes next. */
static void merge_read(const walk_target *t, const key_list *rows, const key_list *changed, const bytes32 *limit,
                       size_t max, node_range *out) {
    size_t i = 0, j = 0, cap = 0;
    while (i < rows->n || j < changed->n) {
        const range_key *k;
        int c = i == rows->n ? 1 : j == changed->n ? -1 : cmp_keys(&rows->v[i], &changed->v[j]);
        k = c <= 0 ? &rows->v[i] : &changed->v[j];
        if (c <= 0) i++;
        if (c >= 0) j++;
        if (limit && memcmp(k->hkey.b, limit->b, 32) > 0) break;
        node_range_item it;
        if (!read_key(t, k, &it)) continue;
        if (out->n == max) {
            out->more = true;
            out->next = it.hkey;
            return;
        }
        items_push(out, &cap, &it);
    }
}

static size_t add_sat(size_t a, size_t b) { return a > MAX_ITEMS - b ? MAX_ITEMS : a + b; }

/* The walk: rounds over more and more latest rows until max + 1 keys are
 * present or the rows run out (keys past the last row taken are not known
 * complete, so a round stops there). */
static bool walk(const walk_target *t, size_t max, node_range *out, rpc_error *err) {
    memset(out, 0, sizeof *out);
    if (max > MAX_ITEMS) max = MAX_ITEMS;
    key_list changed = {0}, rows = {0};
    const char *why = changed_keys(t, &changed);
    size_t quota = add_sat(add_sat(max, 1), changed.n);
    while (!why) {
        rows.n = 0;
        node_range_free(out);
        if ((why = latest_rows(t, quota, &rows))) break;
        bool cut = rows.n >= quota;
        merge_read(t, &rows, &changed, cut ? &rows.v[rows.n - 1].hkey : NULL, max, out);
        if (out->more || !cut || quota == MAX_ITEMS) break;
        quota = add_sat(quota, quota);
    }
    free(changed.v);
    free(rows.v);
    if (!why) return true;
    node_range_free(out);
    return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
}

bool node_range_accounts(const node_range_src *src, const bytes32 *start, size_t max, node_range *out,
                         rpc_error *err) {
    walk_target t = {src, NULL, start};
    return walk(&t, max, out, err);
}

bool node_range_slots(const node_range_src *src, const address *addr, const bytes32 *start, size_t max,
                      node_range *out, rpc_error *err) {
    walk_target t = {src, addr, start};
    return walk(&t, max, out, err);
}

void node_range_free(node_range *r) {
    free(r->items);
    memset(r, 0, sizeof *r);
}
