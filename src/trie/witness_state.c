/* The stateless state of an execution witness (witness.h): trie nodes by
 * hash, a state_view that reads accounts and slots by walking the tries
 * from the pre-state root through those nodes, the block's change sets
 * applied on top (per account: its fields, a storage wipe, the written
 * slots), and the post-state root by updating the partial tries
 * (trie_sparse_root): storage tries first, then the account trie. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "parevm/hashmap.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie_proof.h"
#include "parevm/witness.h"

/* ---- Node sets ---- */

struct trie_nodes {
    byte_list list;
    word_map index; /* hash (as a word) -> position + 1 */
};

static u256 hash_word(const bytes32 *h) {
    u256 w;
    memcpy(w.w, h->b, 32);
    return w;
}

trie_nodes *trie_nodes_new(void) {
    trie_nodes *s = calloc(1, sizeof *s);
    if (!s) abort();
    return s;
}

void trie_nodes_free(trie_nodes *s) {
    if (!s) return;
    byte_list_free(&s->list);
    word_map_free(&s->index);
    free(s);
}

bytes32 trie_nodes_add(trie_nodes *s, const uint8_t *enc, size_t len) {
    bytes32 h = keccak256_hash(enc, len);
    u256 k = hash_word(&h);
    if (word_map_get(&s->index, &k)) return h;
    byte_list_push(&s->list, enc, len);
    u256 pos = u256_from_u64(s->list.n);
    word_map_put(&s->index, &k, &pos);
    return h;
}

bool trie_nodes_get(const trie_nodes *s, const bytes32 *hash, byte_span *out) {
    u256 k = hash_word(hash);
    const u256 *pos = word_map_get(&s->index, &k);
    if (!pos) return false;
    *out = byte_list_get(&s->list, pos->w[0] - 1);
    return true;
}

size_t trie_nodes_count(const trie_nodes *s) { return s->list.n; }
byte_span trie_nodes_at(const trie_nodes *s, size_t i) { return byte_list_get(&s->list, i); }

void execution_witness_free(execution_witness *w) {
    byte_list_free(&w->state);
    byte_list_free(&w->codes);
    byte_list_free(&w->keys);
    byte_list_free(&w->headers);
}

/* ---- The state ---- */

typedef struct {
    address addr;
    bytes32 haddr;
    bool pre_exists;
    account_info pre;
    bytes32 pre_root;     /* storage root before the block */
    bool dirty;           /* changed by an applied change set */
    bool exists;          /* after the changes */
    account_info cur;
    const evm_code *code; /* code set by a change (NULL: unchanged) */
    bool wiped;           /* storage cleared by a deletion or creation */
    word_map slots;       /* written slots -> value (zero included) */
} ws_account;

typedef struct {
    uint64_t number;
    bytes32 hash;
} ws_hash;

struct witness_state {
    bytes32 root;
    trie_nodes *nodes;
    code_store *codes;
    witness_fetch_fn fetch;
    void *fetch_ctx;
    ws_account *a;
    size_t n, cap;
    addr_map index;
    ws_hash *hashes;
    size_t n_hashes, cap_hashes;
    pthread_mutex_t lock;
    _Atomic(const char *) err;
    bytes32 missing;  /* the first node or code found absent (under lock) */
    bool has_missing;
    buf_t fetched;
    bool deletions_first; /* witness_state_root's order (witness_state_set_deletions_first) */
};

static void note_missing(witness_state *w, const bytes32 *hash) {
    if (w->has_missing) return;
    w->missing = *hash;
    w->has_missing = true;
}

witness_state *witness_state_new(const bytes32 *state_root, trie_nodes *nodes, code_store *codes) {
    witness_state *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->root = *state_root;
    w->nodes = nodes;
    w->codes = codes;
    pthread_mutex_init(&w->lock, NULL);
    return w;
}

void witness_state_free(witness_state *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) word_map_free(&w->a[i].slots);
    free(w->a);
    addr_map_free(&w->index);
    free(w->hashes);
    buf_free(&w->fetched);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void witness_state_set_fetch(witness_state *w, witness_fetch_fn fn, void *ctx) {
    w->fetch = fn;
    w->fetch_ctx = ctx;
}

void witness_state_set_deletions_first(witness_state *w, bool on) { w->deletions_first = on; }

void witness_state_set_block_hash(witness_state *w, uint64_t number, const bytes32 *hash) {
    for (size_t i = 0; i < w->n_hashes; i++)
        if (w->hashes[i].number == number) {
            w->hashes[i].hash = *hash;
            return;
        }
    if (w->n_hashes == w->cap_hashes) {
        w->cap_hashes = w->cap_hashes ? 2 * w->cap_hashes : 16;
        w->hashes = realloc(w->hashes, w->cap_hashes * sizeof *w->hashes);
        if (!w->hashes) abort();
    }
    w->hashes[w->n_hashes++] = (ws_hash){number, *hash};
}

const char *witness_state_error(witness_state *w) { return atomic_load(&w->err); }

static void note(witness_state *w, const char *err) {
    const char *none = NULL;
    if (err) atomic_compare_exchange_strong(&w->err, &none, err);
}

/* The getter of the walks: the node set, else (fetch mode) the fetcher. */
typedef struct {
    witness_state *w;
    const bytes32 *owner;
} getter;

static const char *get_node(void *ctx, const uint8_t *path, size_t len, const bytes32 *hash, byte_span *out) {
    getter *g = ctx;
    witness_state *w = g->w;
    if (trie_nodes_get(w->nodes, hash, out)) return NULL;
    if (!w->fetch) {
        note_missing(w, hash);
        return "the witness lacks a trie node";
    }
    buf_clear(&w->fetched);
    const char *err = w->fetch(w->fetch_ctx, g->owner, path, len, hash, &w->fetched);
    if (err) return err;
    bytes32 h = trie_nodes_add(w->nodes, w->fetched.data, w->fetched.len);
    if (!bytes32_eq(&h, hash)) return "a fetched trie node does not match its hash";
    trie_nodes_get(w->nodes, hash, out);
    return NULL;
}

/* The account leaf: RLP [nonce, balance, storage_root, code_hash]. */
static bool decode_account(byte_span v, account_info *out, bytes32 *root) {
    rlp_item list, it[4];
    if (rlp_decode(v.data, v.len, &list) != RLP_OK || !list.is_list) return false;
    if (rlp_list_items(&list, it, 4) != RLP_OK) return false;
    return rlp_to_u64(&it[0], &out->nonce) == RLP_OK && rlp_to_u256(&it[1], &out->balance) == RLP_OK &&
           rlp_to_bytes32(&it[2], root) == RLP_OK && rlp_to_bytes32(&it[3], &out->code_hash) == RLP_OK;
}

static void encode_account(const account_info *a, const bytes32 *root, buf_t *out) {
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, a->nonce);
    rlp_encode_u256(out, &a->balance);
    rlp_encode_bytes32(out, root);
    rlp_encode_bytes32(out, &a->code_hash);
    rlp_list_end(out, l);
}

static void zero_account(account_info *a) {
    a->balance = U256_ZERO;
    a->nonce = 0;
    a->code_hash = EMPTY_CODE_HASH;
}

/* The entry of addr, its pre-state read on first use. Under the lock. */
static ws_account *account(witness_state *w, const address *addr) {
    uint32_t i;
    if (addr_map_get(&w->index, addr, &i)) return &w->a[i];
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 32;
        w->a = realloc(w->a, w->cap * sizeof *w->a);
        if (!w->a) abort();
    }
    ws_account *a = &w->a[w->n];
    memset(a, 0, sizeof *a);
    a->addr = *addr;
    a->haddr = keccak256_hash(addr->b, 20);
    zero_account(&a->pre);
    a->pre_root = EMPTY_TRIE_ROOT;
    getter g = {w, NULL};
    bool found;
    byte_span v;
    const char *err = trie_walk(&w->root, &a->haddr, get_node, &g, &found, &v);
    if (!err && found && !decode_account(v, &a->pre, &a->pre_root)) err = "malformed account in the trie";
    note(w, err);
    a->pre_exists = !err && found;
    if (!a->pre_exists) zero_account(&a->pre), a->pre_root = EMPTY_TRIE_ROOT;
    a->exists = a->pre_exists;
    a->cur = a->pre;
    addr_map_put(&w->index, addr, (uint32_t)w->n);
    w->n++;
    return a;
}

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    witness_state *w = ctx;
    pthread_mutex_lock(&w->lock);
    const ws_account *a = account(w, addr);
    bool exists = a->dirty ? a->exists : a->pre_exists;
    *out = a->dirty ? a->cur : a->pre;
    pthread_mutex_unlock(&w->lock);
    return exists;
}

/* The pre-state value of a slot of a (zero when absent). Under the lock. */
static u256 pre_slot(witness_state *w, const ws_account *a, const u256 *key) {
    if (!a->pre_exists || bytes32_eq(&a->pre_root, &EMPTY_TRIE_ROOT)) return U256_ZERO;
    uint8_t be[32];
    u256_to_be(key, be);
    bytes32 hk = keccak256_hash(be, 32);
    getter g = {w, &a->haddr};
    bool found;
    byte_span v;
    u256 out = U256_ZERO;
    const char *err = trie_walk(&a->pre_root, &hk, get_node, &g, &found, &v);
    rlp_item it;
    if (!err && found &&
        (rlp_decode(v.data, v.len, &it) != RLP_OK || rlp_to_u256(&it, &out) != RLP_OK || u256_is_zero(&out)))
        err = "malformed storage value in the trie";
    note(w, err);
    return err ? U256_ZERO : out;
}

static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    witness_state *w = ctx;
    pthread_mutex_lock(&w->lock);
    const ws_account *a = account(w, addr);
    const u256 *set = a->dirty ? word_map_get(&a->slots, key) : NULL;
    u256 v = set ? *set : a->dirty && a->wiped ? U256_ZERO : pre_slot(w, a, key);
    pthread_mutex_unlock(&w->lock);
    return v;
}

static bool any_nonzero(const word_map *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].used && !u256_is_zero(&m->e[i].val)) return true;
    return false;
}

static bool v_has_storage(void *ctx, const address *addr) {
    witness_state *w = ctx;
    pthread_mutex_lock(&w->lock);
    const ws_account *a = account(w, addr);
    bool has;
    if (a->dirty && any_nonzero(&a->slots)) has = true;
    else if (a->dirty && a->wiped) has = false;
    else has = a->pre_exists && !bytes32_eq(&a->pre_root, &EMPTY_TRIE_ROOT);
    pthread_mutex_unlock(&w->lock);
    return has;
}

static const evm_code *v_get_code(void *ctx, const address *addr) {
    witness_state *w = ctx;
    pthread_mutex_lock(&w->lock);
    const ws_account *a = account(w, addr);
    const evm_code *c = NULL;
    bytes32 h = a->dirty ? a->cur.code_hash : a->pre.code_hash;
    if (a->dirty && a->code) c = a->code;
    else if (bytes32_eq(&h, &EMPTY_CODE_HASH)) c = &EVM_EMPTY_CODE;
    else c = code_store_find(w->codes, &h);
    if (!c) {
        note_missing(w, &h);
        note(w, "the witness lacks a code");
    }
    pthread_mutex_unlock(&w->lock);
    return c ? c : &EVM_EMPTY_CODE;
}

static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    witness_state *w = ctx;
    bytes32 h = {{0}};
    pthread_mutex_lock(&w->lock);
    bool found = false;
    for (size_t i = 0; i < w->n_hashes && !found; i++)
        if (w->hashes[i].number == number) h = w->hashes[i].hash, found = true;
    pthread_mutex_unlock(&w->lock);
    if (!found) note(w, "the witness lacks a header that BLOCKHASH reads");
    return h;
}

static const state_view_ops witness_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code,
                                           v_get_block_hash};

state_view witness_state_view(witness_state *w) { return (state_view){&witness_ops, w}; }

void witness_state_apply(witness_state *w, const change_set *cs) {
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        ws_account *a = account(w, &c->addr);
        if (!a->dirty) a->dirty = true; /* cur, exists start as the pre-state */
        if (c->flags & CHANGE_DELETED) {
            a->exists = false;
            zero_account(&a->cur);
            a->code = NULL;
            a->wiped = true;
            word_map_clear(&a->slots);
            continue;
        }
        if (!a->exists) { /* (re)created: no storage */
            a->exists = true;
            zero_account(&a->cur);
            a->code = NULL;
            if (a->pre_exists) a->wiped = true, word_map_clear(&a->slots);
        }
        if (c->flags & CHANGE_CREATED) {
            a->wiped = true;
            word_map_clear(&a->slots);
        }
        if (c->flags & CHANGE_BALANCE) a->cur.balance = c->balance;
        if (c->flags & CHANGE_BALANCE_DELTA) a->cur.balance = u256_add(&a->cur.balance, &c->balance);
        if (c->flags & CHANGE_NONCE) a->cur.nonce = c->nonce;
        if (c->flags & CHANGE_CODE) {
            a->code = c->code ? c->code : &EVM_EMPTY_CODE;
            a->cur.code_hash = a->code->len ? a->code->hash : EMPTY_CODE_HASH;
        }
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *sc = &cs->slots[c->first_slot + k];
            word_map_put(&a->slots, &sc->key, &sc->value);
        }
    }
    pthread_mutex_unlock(&w->lock);
}

/* The storage root of a changed account. */
static const char *storage_root(witness_state *w, const ws_account *a, bytes32 *root) {
    bytes32 base = a->wiped || !a->pre_exists ? EMPTY_TRIE_ROOT : a->pre_root;
    size_t n = 0;
    trie_change *ch = malloc((a->slots.n + 1) * sizeof *ch);
    size_t *off = malloc((a->slots.n + 1) * sizeof *off);
    if (!ch || !off) abort();
    buf_t vals = {0};
    for (size_t i = 0; i < a->slots.cap; i++) {
        const word_map_entry *e = &a->slots.e[i];
        if (!e->used) continue;
        bool zero = u256_is_zero(&e->val);
        if (zero && a->wiped) continue; /* absent from the wiped trie already */
        uint8_t be[32];
        u256_to_be(&e->key, be);
        keccak256(be, 32, ch[n].key.b);
        ch[n].present = false;
        off[n] = vals.len;
        if (!zero) rlp_encode_u256(&vals, &e->val);
        ch[n].val_len = vals.len - off[n];
        n++;
    }
    for (size_t i = 0; i < n; i++) ch[i].val = vals.data ? vals.data + off[i] : NULL;
    trie_changes_sort(ch, n); /* the same order whoever built the map */
    getter g = {w, &a->haddr};
    const char *err = trie_sparse_root_order(&base, ch, n, get_node, &g, w->deletions_first, root);
    free(ch);
    free(off);
    buf_free(&vals);
    return err;
}

const char *witness_state_root(witness_state *w, bytes32 *root) {
    pthread_mutex_lock(&w->lock);
    const char *err = atomic_load(&w->err);
    trie_change *ch = malloc((w->n + 1) * sizeof *ch);
    size_t *off = malloc((w->n + 1) * sizeof *off), n = 0;
    if (!ch || !off) abort();
    buf_t vals = {0};
    for (size_t i = 0; i < w->n && !err; i++) {
        const ws_account *a = &w->a[i];
        if (!a->dirty) continue;
        ch[n].key = a->haddr;
        ch[n].present = false;
        off[n] = vals.len;
        if (a->exists) {
            bytes32 sroot;
            if (!(err = storage_root(w, a, &sroot))) encode_account(&a->cur, &sroot, &vals);
        }
        ch[n].val_len = vals.len - off[n];
        n++;
    }
    for (size_t i = 0; i < n; i++) ch[i].val = vals.data ? vals.data + off[i] : NULL;
    trie_changes_sort(ch, n);
    getter g = {w, NULL};
    if (!err) err = trie_sparse_root_order(&w->root, ch, n, get_node, &g, w->deletions_first, root);
    free(ch);
    free(off);
    buf_free(&vals);
    pthread_mutex_unlock(&w->lock);
    return err;
}

const char *witness_state_from(const execution_witness *wit, trie_nodes *nodes, code_store *codes,
                               witness_state **out, block_header *parent) {
    *out = NULL;
    if (wit->headers.n == 0) return "the witness has no header";
    block_header *h = malloc(wit->headers.n * sizeof *h);
    if (!h) abort();
    char why[128];
    const char *err = NULL;
    for (size_t i = 0; i < wit->headers.n && !err; i++) {
        byte_span e = byte_list_get(&wit->headers, i);
        if (!header_decode(e.data, e.len, &h[i], why, sizeof why)) err = "the witness has a malformed header";
        else if (i && (h[i].number != h[i - 1].number + 1 || !bytes32_eq(&h[i].parent_hash, &h[i - 1].hash)))
            err = "the witness's headers do not form a chain";
    }
    if (!err) {
        *parent = h[wit->headers.n - 1];
        for (size_t i = 0; i < wit->state.n; i++) {
            byte_span e = byte_list_get(&wit->state, i);
            trie_nodes_add(nodes, e.data, e.len);
        }
        for (size_t i = 0; i < wit->codes.n; i++) {
            byte_span e = byte_list_get(&wit->codes, i);
            code_store_intern(codes, e.data, e.len);
        }
        witness_state *w = witness_state_new(&parent->state_root, nodes, codes);
        for (size_t i = 0; i < wit->headers.n; i++) witness_state_set_block_hash(w, h[i].number, &h[i].hash);
        *out = w;
    }
    free(h);
    return err;
}

bool witness_state_missing(witness_state *w, bytes32 *hash) {
    pthread_mutex_lock(&w->lock);
    bool has = w->has_missing;
    if (has) *hash = w->missing;
    pthread_mutex_unlock(&w->lock);
    return has;
}
