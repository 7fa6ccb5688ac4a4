/* The recording state_view (state_recorder.h): every read goes to the base
 * and notes its account (addr_map to an entry), slot (per-entry word_map
 * for the first read, a list for the order) and code. */
#include <pthread.h>
#include <stdlib.h>

#include "parevm/hashmap.h"
#include "parevm/state_recorder.h"

typedef struct {
    address addr;
    const evm_code *code;
    u256 *slots;
    size_t n_slots, cap_slots;
    word_map seen;
} rec_account;

struct state_recorder {
    state_view base;
    pthread_mutex_t lock;
    rec_account *a;
    size_t n, cap;
    addr_map index;
    bool any_hash;
    uint64_t oldest_hash;
};

state_recorder *state_recorder_new(state_view base) {
    state_recorder *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->base = base;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void state_recorder_free(state_recorder *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->a[i].slots);
        word_map_free(&r->a[i].seen);
    }
    free(r->a);
    addr_map_free(&r->index);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* The entry of addr (created on first use). Under the lock. */
static rec_account *entry(state_recorder *r, const address *addr) {
    uint32_t i;
    if (addr_map_get(&r->index, addr, &i)) return &r->a[i];
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 32;
        r->a = realloc(r->a, r->cap * sizeof *r->a);
        if (!r->a) abort();
    }
    rec_account *e = &r->a[r->n];
    memset(e, 0, sizeof *e);
    e->addr = *addr;
    addr_map_put(&r->index, addr, (uint32_t)r->n++);
    return e;
}

static void note_account(state_recorder *r, const address *addr) {
    pthread_mutex_lock(&r->lock);
    entry(r, addr);
    pthread_mutex_unlock(&r->lock);
}

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    state_recorder *r = ctx;
    note_account(r, addr);
    return r->base.ops->get_account(r->base.ctx, addr, fields, out);
}

static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    state_recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    rec_account *e = entry(r, addr);
    if (!word_map_get(&e->seen, key)) {
        word_map_put(&e->seen, key, &U256_ZERO);
        if (e->n_slots == e->cap_slots) {
            e->cap_slots = e->cap_slots ? 2 * e->cap_slots : 8;
            e->slots = realloc(e->slots, e->cap_slots * sizeof *e->slots);
            if (!e->slots) abort();
        }
        e->slots[e->n_slots++] = *key;
    }
    pthread_mutex_unlock(&r->lock);
    return r->base.ops->get_storage(r->base.ctx, addr, key);
}

static bool v_has_storage(void *ctx, const address *addr) {
    state_recorder *r = ctx;
    note_account(r, addr);
    return r->base.ops->has_storage(r->base.ctx, addr);
}

static const evm_code *v_get_code(void *ctx, const address *addr) {
    state_recorder *r = ctx;
    const evm_code *c = r->base.ops->get_code(r->base.ctx, addr);
    pthread_mutex_lock(&r->lock);
    rec_account *e = entry(r, addr);
    if (c && c->len) e->code = c;
    pthread_mutex_unlock(&r->lock);
    return c;
}

static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    state_recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (!r->any_hash || number < r->oldest_hash) r->oldest_hash = number;
    r->any_hash = true;
    pthread_mutex_unlock(&r->lock);
    return r->base.ops->get_block_hash(r->base.ctx, number);
}

static const state_view_ops recorder_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code,
                                            v_get_block_hash};

state_view state_recorder_view(state_recorder *r) { return (state_view){&recorder_ops, r}; }

size_t state_recorder_count(const state_recorder *r) { return r->n; }

recorded_account state_recorder_get(const state_recorder *r, size_t i) {
    const rec_account *e = &r->a[i];
    return (recorded_account){e->addr, e->code, e->slots, e->n_slots};
}

bool state_recorder_oldest_hash(const state_recorder *r, uint64_t *number) {
    if (r->any_hash) *number = r->oldest_hash;
    return r->any_hash;
}
