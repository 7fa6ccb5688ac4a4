/* Full (non-incremental) state root of a mem_state. Every account's storage
 * trie is rebuilt from scratch; this is what the state tests need. */
#include <stdlib.h>
#include "parevm/rlp.h"
#include "parevm/state_root.h"
#include "parevm/trie.h"

typedef struct {
    trie_kv *items;
    size_t n, cap;
    buf_t vals;      /* encoded values, referenced by offset until the end */
    size_t *offsets;
} kv_builder;

static void kv_add(kv_builder *b, const uint8_t *key, size_t key_len, size_t val_off, size_t val_len) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->items = realloc(b->items, b->cap * sizeof *b->items);
        b->offsets = realloc(b->offsets, b->cap * sizeof *b->offsets);
        if (!b->items || !b->offsets) abort();
    }
    b->items[b->n] = (trie_kv){key, key_len, NULL, val_len};
    b->offsets[b->n] = val_off;
    b->n++;
}

/* Values live in one buffer that may move while growing: resolve pointers last. */
static bytes32 kv_root(kv_builder *b) {
    for (size_t i = 0; i < b->n; i++) b->items[i].val = b->vals.data ? b->vals.data + b->offsets[i] : NULL;
    return trie_root_secure(b->items, b->n);
}

static void kv_free(kv_builder *b) {
    free(b->items);
    free(b->offsets);
    buf_free(&b->vals);
}

typedef struct {
    kv_builder kv;
    uint8_t (*keys)[32];
    size_t n_keys, cap_keys;
} slot_collector;

static bool collect_slot(void *arg, const u256 *key, const u256 *value) {
    slot_collector *c = arg;
    if (u256_is_zero(value)) return true;
    if (c->n_keys == c->cap_keys) {
        c->cap_keys = c->cap_keys ? c->cap_keys * 2 : 64;
        c->keys = realloc(c->keys, c->cap_keys * 32);
        if (!c->keys) abort();
    }
    size_t k = c->n_keys++;
    u256_to_be(key, c->keys[k]);
    size_t off = c->kv.vals.len;
    rlp_encode_u256(&c->kv.vals, value);
    kv_add(&c->kv, NULL, 32, off, c->kv.vals.len - off);
    return true;
}

bytes32 mem_state_storage_root(mem_state *s, const address *addr) {
    slot_collector c = {0};
    mem_state_each_slot(s, addr, collect_slot, &c);
    for (size_t i = 0; i < c.kv.n; i++) c.kv.items[i].key = c.keys[i]; /* keys array is final now */
    bytes32 root = kv_root(&c.kv);
    kv_free(&c.kv);
    free(c.keys);
    return root;
}

typedef struct {
    mem_state *s;
    kv_builder kv;
    address *addrs;
    size_t n_addrs;
} account_collector;

static bool collect_account(void *arg, const mem_account_ref *a) {
    account_collector *c = arg;
    bytes32 storage_root = mem_state_storage_root(c->s, a->addr);
    c->addrs[c->n_addrs] = *a->addr;
    size_t off = c->kv.vals.len;
    size_t l = rlp_list_begin(&c->kv.vals);
    rlp_encode_u64(&c->kv.vals, a->nonce);
    rlp_encode_u256(&c->kv.vals, a->balance);
    rlp_encode_bytes32(&c->kv.vals, &storage_root);
    rlp_encode_bytes32(&c->kv.vals, &a->code->hash);
    rlp_list_end(&c->kv.vals, l);
    kv_add(&c->kv, c->addrs[c->n_addrs].b, 20, off, c->kv.vals.len - off);
    c->n_addrs++;
    return true;
}

bytes32 mem_state_root(mem_state *s) {
    account_collector c = {.s = s};
    c.addrs = malloc((mem_state_account_count(s) + 1) * sizeof *c.addrs);
    if (!c.addrs) abort();
    mem_state_each_account(s, collect_account, &c);
    bytes32 root = kv_root(&c.kv);
    kv_free(&c.kv);
    free(c.addrs);
    return root;
}

bytes32 mem_state_root_after(void *base, const block_state *changes) {
    mem_state *s = mem_state_clone(base);
    mem_state_apply_block(s, changes);
    bytes32 root = mem_state_root(s);
    mem_state_free(s);
    return root;
}
