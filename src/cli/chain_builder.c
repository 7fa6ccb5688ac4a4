/* The benchmark chain builder (chain_builder.h): contracts assembled here,
 * the genesis, the builder's in-memory state (a state_view), blocks filled
 * with signed transactions, and state roots by full rebuild. */
#include "chain_builder.h"
#include <jansson.h>
#include <stdlib.h>
#include "parevm/block_exec.h"
#include "parevm/block_roots.h"
#include "parevm/block_state.h"
#include "parevm/chain_import.h"
#include "parevm/chain_rules.h"
#include "parevm/hashmap.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie.h"

#define CHAIN_ID 1337
#define FILLER_SLOTS 10000    /* slots per filler contract */
#define CHUNK_SLOTS 131072    /* genesis chunk size */
#define GWEI 1000000000ULL

/* ---- A tiny assembler ---- */

enum {
    OP_STOP = 0x00, OP_ADD = 0x01, OP_MUL = 0x02, OP_SUB = 0x03, OP_DIV = 0x04, OP_GT = 0x11, OP_EQ = 0x14,
    OP_SHR = 0x1c, OP_SHA3 = 0x20, OP_CALLER = 0x33, OP_CALLDATALOAD = 0x35, OP_POP = 0x50, OP_MLOAD = 0x51,
    OP_MSTORE = 0x52, OP_SLOAD = 0x54, OP_SSTORE = 0x55, OP_JUMPI = 0x57, OP_JUMPDEST = 0x5b, OP_PUSH1 = 0x60,
    OP_PUSH2 = 0x61, OP_PUSH4 = 0x63, OP_PUSH32 = 0x7f, OP_DUP1 = 0x80, OP_DUP2 = 0x81, OP_DUP3 = 0x82,
    OP_DUP4 = 0x83, OP_SWAP1 = 0x90, OP_SWAP2 = 0x91, OP_LOG2 = 0xa2, OP_LOG3 = 0xa3, OP_RETURN = 0xf3,
    OP_REVERT = 0xfd,
};

typedef struct {
    buf_t code;
    size_t label[4];
    size_t fix_at[8];
    int fix_label[8], n_fix;
} assembler;

static void op(assembler *a, uint8_t o) { buf_push(&a->code, o); }
static void ops(assembler *a, const uint8_t *o, size_t n) { buf_append(&a->code, o, n); }
static void push1(assembler *a, uint8_t v) {
    op(a, OP_PUSH1);
    op(a, v);
}
static void push2(assembler *a, uint16_t v) {
    op(a, OP_PUSH2);
    op(a, (uint8_t)(v >> 8));
    op(a, (uint8_t)v);
}
static void push32(assembler *a, const uint8_t v[32]) {
    op(a, OP_PUSH32);
    ops(a, v, 32);
}
static void jump_to(assembler *a, int label) { /* PUSH2 <label>, patched at the end */
    a->fix_at[a->n_fix] = a->code.len + 1;
    a->fix_label[a->n_fix++] = label;
    push2(a, 0);
}
static void define(assembler *a, int label) {
    a->label[label] = a->code.len;
    op(a, OP_JUMPDEST);
}
static const evm_code *assemble(assembler *a, code_store *codes) {
    for (int i = 0; i < a->n_fix; i++) {
        size_t at = a->label[a->fix_label[i]];
        a->code.data[a->fix_at[i]] = (uint8_t)(at >> 8);
        a->code.data[a->fix_at[i] + 1] = (uint8_t)at;
    }
    const evm_code *c = code_store_intern(codes, a->code.data, a->code.len);
    buf_free(&a->code);
    return c;
}

/* keccak of an event signature, a log's first topic. */
static void event_topic(const char *sig, uint8_t out[32]) { keccak256(sig, strlen(sig), out); }

/* An ERC-20-style token: transfer(address,uint256) moves balances[caller]
 * to balances[to] (a mapping at slot 0, Solidity's layout) and logs
 * Transfer; anything else reverts, as does a balance too small. */
static const evm_code *token_code(code_store *codes) {
    assembler a = {0};
    enum { TRANSFER, FAIL };
    uint8_t topic[32], sel[4] = {0xa9, 0x05, 0x9c, 0xbb};
    event_topic("Transfer(address,address,uint256)", topic);
    push1(&a, 0), op(&a, OP_CALLDATALOAD), push1(&a, 0xe0), op(&a, OP_SHR);
    op(&a, OP_PUSH4), ops(&a, sel, 4), op(&a, OP_EQ), jump_to(&a, TRANSFER), op(&a, OP_JUMPI);
    push1(&a, 0), op(&a, OP_DUP1), op(&a, OP_REVERT);
    define(&a, TRANSFER);
    /* from = keccak(caller . 0) */
    op(&a, OP_CALLER), push1(&a, 0), op(&a, OP_MSTORE), push1(&a, 0), push1(&a, 0x20), op(&a, OP_MSTORE);
    push1(&a, 0x40), push1(&a, 0), op(&a, OP_SHA3);           /* [sf] */
    op(&a, OP_DUP1), op(&a, OP_SLOAD);                         /* [sf, bf] */
    push1(&a, 0x24), op(&a, OP_CALLDATALOAD);                  /* [sf, bf, amt] */
    op(&a, OP_DUP2), op(&a, OP_DUP2), op(&a, OP_GT);           /* amt > bf */
    jump_to(&a, FAIL), op(&a, OP_JUMPI);
    op(&a, OP_DUP1), op(&a, OP_SWAP2), op(&a, OP_SUB);         /* [sf, amt, bf - amt] */
    op(&a, OP_DUP3), op(&a, OP_SSTORE), op(&a, OP_SWAP1), op(&a, OP_POP); /* [amt] */
    push1(&a, 0x04), op(&a, OP_CALLDATALOAD);                  /* [amt, to] */
    op(&a, OP_DUP1), push1(&a, 0), op(&a, OP_MSTORE);
    push1(&a, 0x40), push1(&a, 0), op(&a, OP_SHA3);           /* [amt, to, st] */
    op(&a, OP_DUP1), op(&a, OP_SLOAD), op(&a, OP_DUP4), op(&a, OP_ADD); /* [amt, to, st, bt + amt] */
    op(&a, OP_SWAP1), op(&a, OP_SSTORE);                       /* [amt, to] */
    op(&a, OP_DUP2), push1(&a, 0), op(&a, OP_MSTORE);          /* data: amt */
    op(&a, OP_CALLER), push32(&a, topic), push1(&a, 0x20), push1(&a, 0), op(&a, OP_LOG3);
    op(&a, OP_POP);
    push1(&a, 1), push1(&a, 0), op(&a, OP_MSTORE), push1(&a, 0x20), push1(&a, 0), op(&a, OP_RETURN);
    define(&a, FAIL);
    push1(&a, 0), op(&a, OP_DUP1), op(&a, OP_REVERT);
    return assemble(&a, codes);
}

/* A constant-product pair with an internal ledger: swap(amountIn, dir)
 * takes amountIn of token dir from the caller's balance (mapping at slot
 * 2 + dir), pays out amountIn*997*rOut / (rIn*1000 + amountIn*997) of the
 * other token (mapping at slot 3 - dir), updates the reserves (slots 0
 * and 1) and logs Swap. Reverts on a balance too small. */
static const evm_code *pair_code(code_store *codes) {
    assembler a = {0};
    enum { FAIL };
    uint8_t topic[32];
    event_topic("Swap(address,uint256,uint256)", topic);
    push1(&a, 0x24), op(&a, OP_CALLDATALOAD), push1(&a, 0x80), op(&a, OP_MSTORE); /* m80 = dir */
    push1(&a, 0x04), op(&a, OP_CALLDATALOAD), push1(&a, 0xa0), op(&a, OP_MSTORE); /* ma0 = in */
    push1(&a, 0x80), op(&a, OP_MLOAD), op(&a, OP_SLOAD), push1(&a, 0xc0), op(&a, OP_MSTORE); /* mc0 = rIn */
    push1(&a, 0x80), op(&a, OP_MLOAD), push1(&a, 1), op(&a, OP_SUB), op(&a, OP_SLOAD);
    push1(&a, 0xe0), op(&a, OP_MSTORE);                                                      /* me0 = rOut */
    push1(&a, 0xa0), op(&a, OP_MLOAD), push2(&a, 997), op(&a, OP_MUL);                      /* [a997] */
    op(&a, OP_DUP1), push1(&a, 0xe0), op(&a, OP_MLOAD), op(&a, OP_MUL), op(&a, OP_SWAP1);  /* [num, a997] */
    push1(&a, 0xc0), op(&a, OP_MLOAD), push2(&a, 1000), op(&a, OP_MUL), op(&a, OP_ADD);    /* [num, den] */
    op(&a, OP_SWAP1), op(&a, OP_DIV), push2(&a, 0x100), op(&a, OP_MSTORE);                 /* m100 = out */
    push1(&a, 0xa0), op(&a, OP_MLOAD), push1(&a, 0xc0), op(&a, OP_MLOAD), op(&a, OP_ADD);
    push1(&a, 0x80), op(&a, OP_MLOAD), op(&a, OP_SSTORE);                                  /* rIn += in */
    push2(&a, 0x100), op(&a, OP_MLOAD), push1(&a, 0xe0), op(&a, OP_MLOAD), op(&a, OP_SUB);
    push1(&a, 0x80), op(&a, OP_MLOAD), push1(&a, 1), op(&a, OP_SUB), op(&a, OP_SSTORE);    /* rOut -= out */
    op(&a, OP_CALLER), push1(&a, 0), op(&a, OP_MSTORE);
    push1(&a, 0x80), op(&a, OP_MLOAD), push1(&a, 2), op(&a, OP_ADD), push1(&a, 0x20), op(&a, OP_MSTORE);
    push1(&a, 0x40), push1(&a, 0), op(&a, OP_SHA3), op(&a, OP_DUP1), op(&a, OP_SLOAD);    /* [kin, bin] */
    push1(&a, 0xa0), op(&a, OP_MLOAD), op(&a, OP_DUP2), op(&a, OP_DUP2), op(&a, OP_GT);
    jump_to(&a, FAIL), op(&a, OP_JUMPI);
    op(&a, OP_SWAP1), op(&a, OP_SUB), op(&a, OP_SWAP1), op(&a, OP_SSTORE);                 /* bin -= in */
    push1(&a, 0x80), op(&a, OP_MLOAD), push1(&a, 3), op(&a, OP_SUB), push1(&a, 0x20), op(&a, OP_MSTORE);
    push1(&a, 0x40), push1(&a, 0), op(&a, OP_SHA3), op(&a, OP_DUP1), op(&a, OP_SLOAD);
    push2(&a, 0x100), op(&a, OP_MLOAD), op(&a, OP_ADD), op(&a, OP_SWAP1), op(&a, OP_SSTORE); /* bout += out */
    push1(&a, 0xa0), op(&a, OP_MLOAD), push1(&a, 0), op(&a, OP_MSTORE);
    push2(&a, 0x100), op(&a, OP_MLOAD), push1(&a, 0x20), op(&a, OP_MSTORE);
    op(&a, OP_CALLER), push32(&a, topic), push1(&a, 0x40), push1(&a, 0), op(&a, OP_LOG2);
    op(&a, OP_STOP);
    define(&a, FAIL);
    push1(&a, 0), op(&a, OP_DUP1), op(&a, OP_REVERT);
    return assemble(&a, codes);
}

/* ---- The builder's state ---- */

typedef struct {
    address addr;
    bytes32 haddr;
    u256 balance;
    uint64_t nonce;
    const evm_code *code;
    bytes32 storage_root;
    int32_t hot;    /* storage held in hot[hot], or -1 */
    int32_t filler; /* a filler contract (computed storage), or -1 */
    bool exists;
} b_account;

typedef struct {
    word_map slots; /* non-zero slots */
    bool dirty;     /* changed since its root was computed */
} hot_store;

struct chain_builder {
    build_options o;
    code_store *codes;
    chain_config cfg;
    uint64_t senders;
    uint8_t (*keys)[32];
    uint64_t *used;        /* transactions each sender has in the block being built */
    b_account *a;
    size_t n, cap;
    addr_map index;
    hot_store *hot;
    size_t n_hot, cap_hot;
    uint64_t n_pairs, n_filler, filler_last;
    int64_t token, pair0, filler0; /* account indices (-1: none) */
    const evm_code *token_code, *pair_code, *filler_code;
    block_header head;
    bytes32 *hashes;
    size_t n_hashes, cap_hashes;
    uint64_t cursor, rng;
    executor *ex;
    block_state *bs;
    block_result res;
    change_set net;
};

bool build_kind_parse(const char *s, build_kind *out) {
    static const char *const names[] = {"transfers", "erc20", "uniswap", "mixed"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = (build_kind)i;
            return true;
        }
    return false;
}

static uint64_t rnd(chain_builder *b) {
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return b->rng;
}

static b_account *find(const chain_builder *b, const address *addr) {
    uint32_t i;
    return addr_map_get(&b->index, addr, &i) ? &b->a[i] : NULL;
}

static b_account *add_account(chain_builder *b, const address *addr) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->a = realloc(b->a, b->cap * sizeof *b->a);
        if (!b->a) abort();
    }
    b_account *x = &b->a[b->n];
    memset(x, 0, sizeof *x);
    x->addr = *addr;
    x->haddr = keccak256_hash(addr->b, 20);
    x->code = &EVM_EMPTY_CODE;
    x->storage_root = EMPTY_TRIE_ROOT;
    x->hot = x->filler = -1;
    x->exists = true;
    addr_map_put(&b->index, addr, (uint32_t)b->n);
    b->n++;
    return x;
}

static int32_t add_hot(chain_builder *b) {
    if (b->n_hot == b->cap_hot) {
        b->cap_hot = b->cap_hot ? b->cap_hot * 2 : 16;
        b->hot = realloc(b->hot, b->cap_hot * sizeof *b->hot);
        if (!b->hot) abort();
    }
    memset(&b->hot[b->n_hot], 0, sizeof *b->hot);
    return (int32_t)b->n_hot++;
}

static uint64_t filler_count(const chain_builder *b, int32_t f) {
    return (uint64_t)f + 1 == b->n_filler ? b->filler_last : FILLER_SLOTS;
}

static u256 filler_value(int32_t f, uint64_t k) { return u256_from_u64(hash_mix64((uint64_t)f << 32 | k) | 1); }

static bool v_get_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    const b_account *x = find(ctx, addr);
    if (!x || !x->exists) {
        out->balance = U256_ZERO;
        out->nonce = 0;
        out->code_hash = EMPTY_CODE_HASH;
        return false;
    }
    out->balance = x->balance;
    out->nonce = x->nonce;
    out->code_hash = x->code->len ? x->code->hash : EMPTY_CODE_HASH;
    return true;
}

static u256 v_get_storage(void *ctx, const address *addr, const u256 *key) {
    chain_builder *b = ctx;
    const b_account *x = find(b, addr);
    if (x && x->hot >= 0) {
        const u256 *v = word_map_get(&b->hot[x->hot].slots, key);
        return v ? *v : U256_ZERO;
    }
    if (x && x->filler >= 0 && u256_fits_u64(key) && key->w[0] < filler_count(b, x->filler))
        return filler_value(x->filler, key->w[0]);
    return U256_ZERO;
}

static bool v_has_storage(void *ctx, const address *addr) {
    chain_builder *b = ctx;
    const b_account *x = find(b, addr);
    return x && ((x->hot >= 0 && b->hot[x->hot].slots.n) || x->filler >= 0);
}

static const evm_code *v_get_code(void *ctx, const address *addr) {
    const b_account *x = find(ctx, addr);
    return x && x->exists ? x->code : &EVM_EMPTY_CODE;
}

static bytes32 v_get_block_hash(void *ctx, uint64_t number) {
    chain_builder *b = ctx;
    return number < b->n_hashes ? b->hashes[number] : (bytes32){{0}};
}

static const state_view_ops builder_view_ops = {v_get_account, v_get_storage, v_has_storage, v_get_code,
                                                v_get_block_hash};

static state_view builder_view(chain_builder *b) { return (state_view){&builder_view_ops, b}; }

/* Applies a block's net change set (block_state_changes) to the state. */
static const char *apply(chain_builder *b, const change_set *cs) {
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *c = &cs->accounts[i];
        b_account *x = find(b, &c->addr);
        if (!x) x = add_account(b, &c->addr);
        if (x->filler >= 0 && (c->n_slots || (c->flags & (CHANGE_CREATED | CHANGE_DELETED))))
            return "the builder does not change filler contracts' storage";
        if (c->flags & (CHANGE_DELETED | CHANGE_CREATED)) {
            if (x->hot >= 0) {
                word_map_clear(&b->hot[x->hot].slots);
                b->hot[x->hot].dirty = true;
            }
            x->storage_root = EMPTY_TRIE_ROOT;
        }
        if (c->flags & CHANGE_DELETED) {
            x->exists = false;
            x->balance = U256_ZERO;
            x->nonce = 0;
            x->code = &EVM_EMPTY_CODE;
            continue;
        }
        x->exists = true;
        if (c->flags & CHANGE_BALANCE) x->balance = c->balance;
        if (c->flags & CHANGE_BALANCE_DELTA) x->balance = u256_add(&x->balance, &c->balance);
        if (c->flags & CHANGE_NONCE) x->nonce = c->nonce;
        if (c->flags & CHANGE_CODE) x->code = c->code ? c->code : &EVM_EMPTY_CODE;
        if (c->n_slots && x->hot < 0) {
            int32_t h = add_hot(b);
            x = find(b, &c->addr); /* add_hot does not move accounts, but be plain about it */
            x->hot = h;
        }
        for (uint32_t k = 0; k < c->n_slots; k++) {
            const slot_change *s = &cs->slots[c->first_slot + k];
            word_map *m = &b->hot[x->hot].slots;
            if (u256_is_zero(&s->value)) word_map_del(m, &s->key);
            else word_map_put(m, &s->key, &s->value);
            b->hot[x->hot].dirty = true;
        }
    }
    return NULL;
}

/* ---- Roots by full rebuild ---- */

static size_t rlp_word(const u256 *v, uint8_t out[33]) {
    buf_t t = {0};
    rlp_encode_u256(&t, v);
    memcpy(out, t.data, t.len);
    size_t n = t.len;
    buf_free(&t);
    return n;
}

/* The storage root of a set of (slot, value) pairs: trie_root over
 * keccak(slot) -> RLP(value), rebuilt whole. */
typedef struct {
    trie_kv *items;
    uint8_t (*keys)[32];
    uint8_t (*vals)[33];
    size_t n, cap;
} kv_set;

static void kv_add(kv_set *s, const u256 *key, const u256 *val) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
        s->keys = realloc(s->keys, s->cap * 32);
        s->vals = realloc(s->vals, s->cap * 33);
        if (!s->items || !s->keys || !s->vals) abort();
    }
    uint8_t be[32];
    u256_to_be(key, be);
    keccak256(be, 32, s->keys[s->n]);
    s->items[s->n].val_len = rlp_word(val, s->vals[s->n]);
    s->n++;
}

static bytes32 kv_root(kv_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        s->items[i].key = s->keys[i];
        s->items[i].key_len = 32;
        s->items[i].val = s->vals[i];
    }
    bytes32 r = trie_root(s->items, s->n);
    s->n = 0;
    return r;
}

static void kv_free(kv_set *s) {
    free(s->items);
    free(s->keys);
    free(s->vals);
}

static bytes32 hot_root(const word_map *m, kv_set *kv) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].used && !u256_is_zero(&m->e[i].val)) kv_add(kv, &m->e[i].key, &m->e[i].val);
    return kv_root(kv);
}

static bytes32 filler_root(int32_t f, uint64_t count, kv_set *kv) {
    for (uint64_t k = 0; k < count; k++) {
        u256 key = u256_from_u64(k), v = filler_value(f, k);
        kv_add(kv, &key, &v);
    }
    return kv_root(kv);
}

/* The state root: dirty storage tries rebuilt, then the whole account trie. */
static bytes32 state_root(chain_builder *b) {
    kv_set kv = {0};
    for (size_t i = 0; i < b->n; i++) {
        b_account *x = &b->a[i];
        if (x->hot >= 0 && b->hot[x->hot].dirty) x->storage_root = hot_root(&b->hot[x->hot].slots, &kv);
    }
    for (size_t h = 0; h < b->n_hot; h++) b->hot[h].dirty = false;
    kv_free(&kv);
    trie_kv *items = malloc((b->n + 1) * sizeof *items);
    uint8_t *vals = malloc((b->n + 1) * 128);
    if (!items || !vals) abort();
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const b_account *x = &b->a[i];
        if (!x->exists) continue;
        buf_t t = {0};
        size_t l = rlp_list_begin(&t);
        rlp_encode_u64(&t, x->nonce);
        rlp_encode_u256(&t, &x->balance);
        rlp_encode_bytes32(&t, &x->storage_root);
        bytes32 ch = x->code->len ? x->code->hash : EMPTY_CODE_HASH;
        rlp_encode_bytes32(&t, &ch);
        rlp_list_end(&t, l);
        memcpy(vals + 128 * n, t.data, t.len);
        items[n] = (trie_kv){x->haddr.b, 32, vals + 128 * n, t.len};
        buf_free(&t);
        n++;
    }
    bytes32 r = trie_root(items, n);
    free(items);
    free(vals);
    return r;
}

/* ---- Genesis ---- */

static void key_of(uint64_t i, uint8_t key[32]) {
    uint8_t seed[24] = "parevm-import-key";
    memcpy(seed + 16, &i, 8);
    keccak256(seed, sizeof seed, key);
    key[0] &= 0x7f; /* below the group order */
}

static address plain_address(uint64_t i) {
    uint8_t seed[16] = "parevm-acct";
    memcpy(seed + 8, &i, 8);
    bytes32 h = keccak256_hash(seed, sizeof seed);
    address a;
    memcpy(a.b, h.b + 12, 20);
    return a;
}

static address numbered(uint32_t base, uint64_t i) {
    address a = {{0}};
    uint64_t v = (uint64_t)base << 32 | i;
    for (int k = 0; k < 8; k++) a.b[19 - k] = (uint8_t)(v >> (8 * k));
    return a;
}

static const address COINBASE = {{0xc0, 0xff, 0xee}};

chain_builder *builder_new(const build_options *o, code_store *codes) {
    chain_builder *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->o = *o;
    if (!b->o.accounts) b->o.accounts = 1;
    if (!b->o.block_gas) b->o.block_gas = 30000000;
    b->codes = codes;
    b->rng = o->seed ? o->seed : 0x9e3779b97f4a7c15ULL;
    if (!chain_config_by_name("Cancun", &b->cfg)) abort();
    b->cfg.chain_id = CHAIN_ID;
    /* senders: enough that a block needs each at most once */
    uint64_t per_block = b->o.block_gas / 21000 + 1;
    b->senders = b->o.accounts < per_block ? b->o.accounts : per_block;
    b->keys = malloc(b->senders * 32);
    b->used = calloc(b->senders, sizeof *b->used);
    if (!b->keys || !b->used) abort();
    b->token = b->pair0 = b->filler0 = -1;
    b->ex = executor_new();
    b->bs = block_state_new(builder_view(b), codes);
    b->token_code = token_code(codes);
    b->pair_code = pair_code(codes);
    static const uint8_t stop = 0x00;
    b->filler_code = code_store_intern(codes, &stop, 1);
    return b;
}

void builder_free(chain_builder *b) {
    if (!b) return;
    for (size_t h = 0; h < b->n_hot; h++) word_map_free(&b->hot[h].slots);
    free(b->hot);
    free(b->a);
    addr_map_free(&b->index);
    free(b->keys);
    free(b->used);
    free(b->hashes);
    executor_free(b->ex);
    block_state_free(b->bs);
    block_result_free(&b->res);
    change_set_free(&b->net);
    free(b);
}

chain_config builder_config(const chain_builder *b) { return b->cfg; }

static bool uses_token(const chain_builder *b) { return b->o.kind == BUILD_ERC20 || b->o.kind == BUILD_MIXED; }
static bool uses_pairs(const chain_builder *b) { return b->o.kind == BUILD_UNISWAP || b->o.kind == BUILD_MIXED; }

static const u256 BIG_BALANCE = {{0, 0, 0, 1ULL << 8}}; /* 2^200 wei: full blocks raise the base fee */

/* Emits the account (and, in chunks, the slots) of a genesis contract. */
typedef struct {
    change_set cs;
    const char *(*fn)(void *, const change_set *);
    void *arg;
    const char *err;
} chunker;

static void flush_chunk(chunker *c) {
    if (!c->err && (c->cs.n_accounts || c->cs.n_slots)) c->err = c->fn(c->arg, &c->cs);
    change_set_clear(&c->cs);
}

static account_change *chunk_account(chunker *c, const b_account *x) {
    account_change *ac = change_set_add_account(&c->cs, &x->addr);
    ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE | (x->code->len ? CHANGE_CODE : 0);
    ac->balance = x->balance;
    ac->nonce = x->nonce;
    ac->code = x->code;
    return ac;
}

/* A contract whose slots come from next(i) for i < count. */
static void emit_contract(chunker *c, const b_account *x, uint64_t count, void (*next)(void *, uint64_t, u256 *, u256 *),
                          void *arg) {
    account_change *ac = chunk_account(c, x);
    for (uint64_t i = 0; i < count && !c->err; i++) {
        u256 k, v;
        next(arg, i, &k, &v);
        change_set_add_slot(&c->cs, ac, &k, &v);
        if (c->cs.n_slots >= CHUNK_SLOTS && i + 1 < count) {
            flush_chunk(c);
            ac = chunk_account(c, x);
        }
    }
}

/* Solidity's mapping slot keccak(pad32(addr) . pad32(base)). */
static u256 mapping_slot(const address *who, uint64_t base) {
    uint8_t buf[64] = {0};
    memcpy(buf + 12, who->b, 20);
    u256 s = u256_from_u64(base);
    u256_to_be(&s, buf + 32);
    bytes32 h = keccak256_hash(buf, 64);
    return u256_from_be(h.b, 32);
}

static void genesis_accounts(chain_builder *b, chunker *c) {
    for (uint64_t i = 0; i < b->o.accounts && !c->err; i++) {
        address addr;
        if (i < b->senders) {
            key_of(i, b->keys[i]);
            if (!tx_address_of_key(b->keys[i], &addr)) abort();
        } else {
            addr = plain_address(i);
        }
        b_account *x = add_account(b, &addr);
        x->balance = BIG_BALANCE;
        chunk_account(c, x);
        if (c->cs.n_accounts >= CHUNK_SLOTS / 4) flush_chunk(c);
    }
    flush_chunk(c);
}

typedef struct {
    chain_builder *b;
    word_map *m;
    uint64_t pair, base;
} slot_gen;

static const u256 HOLDING = {{0x3cd2e0bf63a00000ULL, 0x1c, 0, 0}}; /* about 5.3e20 */

/* The token: every account holds some. */
static void token_slot(void *p, uint64_t i, u256 *k, u256 *v) {
    slot_gen *g = p;
    *k = mapping_slot(&g->b->a[i].addr, 0);
    *v = HOLDING;
    word_map_put(g->m, k, v);
}

/* Pair p: reserves, then both balances of the accounts trading on it
 * (account i trades on pair i % pairs). */
static void pair_slot(void *p, uint64_t i, u256 *k, u256 *v) {
    slot_gen *g = p;
    static const u256 reserve = {{0, 0x100000, 0, 0}};
    if (i < 2) {
        *k = u256_from_u64(i);
        *v = reserve;
    } else {
        uint64_t user = g->pair + ((i - 2) / 2) * g->b->n_pairs;
        *k = mapping_slot(&g->b->a[user].addr, 2 + (i - 2) % 2);
        *v = HOLDING;
    }
    word_map_put(g->m, k, v);
}

static void filler_slot(void *p, uint64_t i, u256 *k, u256 *v) {
    slot_gen *g = p;
    *k = u256_from_u64(i);
    *v = filler_value((int32_t)g->pair, i);
}

const char *builder_genesis(chain_builder *b, const char *(*fn)(void *, const change_set *), void *arg) {
    chunker c = {.fn = fn, .arg = arg};
    genesis_accounts(b, &c);
    uint64_t used = 0, n = b->o.accounts;
    kv_set kv = {0};
    if (uses_token(b) && !c.err) {
        address t = numbered(0xa, 1);
        b_account *x = add_account(b, &t);
        b->token = (int64_t)(x - b->a);
        x->code = b->token_code;
        x->hot = add_hot(b);
        slot_gen g = {b, &b->hot[x->hot].slots, 0, 0};
        emit_contract(&c, x, n, token_slot, &g);
        b->hot[x->hot].dirty = true;
        used += n;
    }
    if (uses_pairs(b) && !c.err) {
        b->n_pairs = n / 100 < 1 ? 1 : n / 100 > 1000 ? 1000 : n / 100;
        for (uint64_t p = 0; p < b->n_pairs && !c.err; p++) {
            address pa = numbered(0xb, p);
            b_account *x = add_account(b, &pa);
            if (p == 0) b->pair0 = (int64_t)(x - b->a);
            x->code = b->pair_code;
            x->hot = add_hot(b);
            uint64_t users = n / b->n_pairs + (p < n % b->n_pairs);
            slot_gen g = {b, &b->hot[x->hot].slots, p, 0};
            emit_contract(&c, x, 2 + 2 * users, pair_slot, &g);
            b->hot[x->hot].dirty = true;
            used += 2 + 2 * users;
        }
    }
    uint64_t rest = b->o.slots > used ? b->o.slots - used : 0;
    b->n_filler = (rest + FILLER_SLOTS - 1) / FILLER_SLOTS;
    b->filler_last = rest - (b->n_filler ? (b->n_filler - 1) * FILLER_SLOTS : 0);
    for (uint64_t f = 0; f < b->n_filler && !c.err; f++) {
        address fa = numbered(0xc, f);
        b_account *x = add_account(b, &fa);
        if (f == 0) b->filler0 = (int64_t)(x - b->a);
        x->code = b->filler_code;
        x->filler = (int32_t)f;
        x->storage_root = filler_root(x->filler, filler_count(b, x->filler), &kv);
        slot_gen g = {b, NULL, f, 0};
        emit_contract(&c, x, filler_count(b, x->filler), filler_slot, &g);
    }
    flush_chunk(&c);
    kv_free(&kv);
    change_set_free(&c.cs);
    if (c.err) return c.err;
    /* the genesis header */
    block_header *h = &b->head;
    memset(h, 0, sizeof *h);
    h->ommers_hash = EMPTY_LIST_HASH;
    h->tx_root = h->receipts_root = EMPTY_TRIE_ROOT;
    h->gas_limit = b->o.block_gas;
    h->has_base_fee = true;
    h->base_fee = u256_from_u64(7);
    h->has_withdrawals_root = true;
    h->withdrawals_root = EMPTY_TRIE_ROOT;
    h->has_blob_gas = h->has_beacon_root = true;
    h->state_root = state_root(b);
    buf_t enc = {0};
    header_encode(h, &enc);
    h->hash = keccak256_hash(enc.data, enc.len);
    buf_free(&enc);
    b->n_hashes = 0;
    b->cap_hashes = 1024;
    b->hashes = malloc(b->cap_hashes * sizeof *b->hashes);
    if (!b->hashes) abort();
    b->hashes[b->n_hashes++] = h->hash;
    return NULL;
}

block_header builder_genesis_header(const chain_builder *b) {
    block_header h = b->head;
    if (b->n_hashes > 1) abort(); /* only before the first block */
    return h;
}

/* ---- Genesis JSON ---- */

static void json_u256_hex(FILE *f, const u256 *v) {
    uint8_t be[32];
    char hex[67];
    u256_to_be(v, be);
    size_t skip = 0;
    while (skip < 31 && !be[skip]) skip++;
    hex_encode(be + skip, 32 - skip, hex);
    fprintf(f, "\"%s\"", hex);
}

bool builder_write_genesis_json(chain_builder *b, FILE *f) {
    char err[200], hex[67];
    json_t *cfg = chain_config_to_json(&b->cfg, err, sizeof err);
    if (!cfg) return false;
    char *cfg_text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    fprintf(f, "{\"config\":%s,\"nonce\":\"0x0\",\"timestamp\":\"0x0\",\"extraData\":\"0x\",", cfg_text);
    free(cfg_text);
    fprintf(f, "\"gasLimit\":\"0x%llx\",\"difficulty\":\"0x0\",\"baseFeePerGas\":", (unsigned long long)b->o.block_gas);
    json_u256_hex(f, &b->head.base_fee);
    fprintf(f, ",\"alloc\":{");
    for (size_t i = 0; i < b->n; i++) {
        const b_account *x = &b->a[i];
        hex_encode(x->addr.b, 20, hex);
        fprintf(f, "%s\n\"%s\":{\"balance\":", i ? "," : "", hex);
        json_u256_hex(f, &x->balance);
        fprintf(f, ",\"nonce\":\"0x%llx\"", (unsigned long long)x->nonce);
        if (x->code->len) {
            char *code = malloc(2 * x->code->len + 3);
            if (!code) abort();
            hex_encode(x->code->bytes, x->code->len, code);
            fprintf(f, ",\"code\":\"%s\"", code);
            free(code);
        }
        bool first = true;
        if (x->hot >= 0 || x->filler >= 0) fprintf(f, ",\"storage\":{");
        if (x->hot >= 0) {
            const word_map *m = &b->hot[x->hot].slots;
            for (size_t k = 0; k < m->cap; k++) {
                if (!m->e[k].used) continue;
                uint8_t be[32];
                u256_to_be(&m->e[k].key, be);
                hex_encode(be, 32, hex);
                fprintf(f, "%s\"%s\":", first ? "" : ",", hex);
                json_u256_hex(f, &m->e[k].val);
                first = false;
            }
        }
        if (x->filler >= 0) {
            for (uint64_t k = 0; k < filler_count(b, x->filler); k++) {
                u256 v = filler_value(x->filler, k);
                fprintf(f, "%s\"0x%llx\":", first ? "" : ",", (unsigned long long)k);
                json_u256_hex(f, &v);
                first = false;
            }
        }
        if (x->hot >= 0 || x->filler >= 0) fprintf(f, "}");
        fprintf(f, "}");
    }
    fprintf(f, "}}\n");
    return !ferror(f);
}

/* ---- Blocks ---- */

typedef enum { TX_TRANSFER, TX_TOKEN, TX_SWAP } tx_kind;

static tx_kind pick(chain_builder *b) {
    switch (b->o.kind) {
    case BUILD_TRANSFERS: return TX_TRANSFER;
    case BUILD_ERC20: return TX_TOKEN;
    case BUILD_UNISWAP: return TX_SWAP;
    default: {
        uint64_t r = rnd(b) % 10;
        return r < 4 ? TX_TRANSFER : r < 8 ? TX_TOKEN : TX_SWAP;
    }
    }
}

static void abi_word(uint8_t *p, uint64_t v) {
    memset(p, 0, 32);
    for (int k = 0; k < 8; k++) p[31 - k] = (uint8_t)(v >> (8 * k));
}

/* The next transaction: the next sender in turn, a random counterpart. */
static bool make_tx(chain_builder *b, transaction *tx, const u256 *base_fee) {
    uint64_t s = b->cursor++ % b->senders;
    const b_account *from = &b->a[s];
    memset(tx, 0, sizeof *tx);
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = CHAIN_ID;
    tx->nonce = from->nonce + b->used[s]++;
    tx->max_priority_fee = u256_from_u64(GWEI);
    u256 two = u256_from_u64(2);
    tx->max_fee = u256_mul(base_fee, &two);
    tx->max_fee = u256_add(&tx->max_fee, &tx->max_priority_fee);
    tx->has_to = true;
    uint64_t to = rnd(b) % b->o.accounts;
    switch (pick(b)) {
    case TX_TRANSFER:
        tx->gas_limit = 21000;
        tx->to = b->a[to].addr;
        tx->value = u256_from_u64(1 + rnd(b) % 1000000);
        break;
    case TX_TOKEN:
        tx->gas_limit = 60000;
        tx->to = b->a[b->token].addr;
        tx->data_len = 68;
        tx->data = malloc(68);
        if (!tx->data) abort();
        memcpy(tx->data, "\xa9\x05\x9c\xbb", 4);
        memset(tx->data + 4, 0, 12);
        memcpy(tx->data + 16, b->a[to].addr.b, 20);
        abi_word(tx->data + 36, 1 + rnd(b) % 1000);
        break;
    case TX_SWAP:
        tx->gas_limit = 100000;
        tx->to = b->a[b->pair0 + (int64_t)(s % b->n_pairs)].addr;
        tx->data_len = 68;
        tx->data = malloc(68);
        if (!tx->data) abort();
        memcpy(tx->data, "\x02\x2c\x0d\x9f", 4);
        abi_word(tx->data + 4, 1000 + rnd(b) % 1000);
        abi_word(tx->data + 36, rnd(b) % 2);
        break;
    }
    return tx_sign(tx, b->keys[s]);
}

static void next_header(chain_builder *b, block_header *h) {
    const block_header *p = &b->head;
    memset(h, 0, sizeof *h);
    h->parent_hash = p->hash;
    h->ommers_hash = EMPTY_LIST_HASH;
    h->coinbase = COINBASE;
    h->number = p->number + 1;
    h->gas_limit = p->gas_limit;
    h->timestamp = p->timestamp + 12;
    memcpy(h->extra_data, "parevm bench", 12);
    h->extra_len = 12;
    uint8_t seed[16] = "randao";
    memcpy(seed + 8, &h->number, 8);
    h->mix_hash = keccak256_hash(seed, sizeof seed);
    h->has_base_fee = true;
    h->base_fee = header_next_base_fee(&b->cfg, p);
    h->has_withdrawals_root = true;
    h->withdrawals_root = EMPTY_TRIE_ROOT;
    h->has_blob_gas = true;
    blob_params bp = chain_blob_params(&b->cfg, h->timestamp);
    h->excess_blob_gas = header_next_excess_blob_gas(p, FORK_CANCUN, &bp);
    h->has_beacon_root = true;
    memcpy(seed, "beacon", 6);
    h->parent_beacon_root = keccak256_hash(seed, sizeof seed);
}

/* Transactions until the next one could exceed the gas limit. */
static const char *fill(chain_builder *b, block *blk, const block_rules *rules, size_t *cap) {
    block_env env = block_env_of(&blk->header, rules);
    memset(b->used, 0, b->senders * sizeof *b->used);
    for (;;) {
        if (blk->n_txs == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            blk->txs = realloc(blk->txs, *cap * sizeof *blk->txs);
            if (!blk->txs) abort();
        }
        transaction *tx = &blk->txs[blk->n_txs];
        if (!make_tx(b, tx, &blk->header.base_fee)) return "signing failed";
        if (b->res.gas_used + tx->gas_limit > blk->header.gas_limit) {
            b->cursor--; /* the sender's turn comes back next block */
            tx_free(tx);
            return NULL;
        }
        tx_result r;
        exec_transaction(b->ex, &env, block_state_view(b->bs), b->codes, tx, b->res.gas_used, &r);
        if (!r.valid) {
            tx_free(tx);
            return r.error;
        }
        if (r.status != EVM_SUCCESS) {
            tx_free(tx);
            return "a builder transaction failed";
        }
        blk->n_txs++;
        block_state_apply(b->bs, executor_changes(b->ex));
        size_t n_logs;
        const overlay_log *logs = overlay_logs(executor_overlay(b->ex), &n_logs);
        uint8_t bloom[256] = {0};
        logs_bloom(bloom, logs, n_logs, NULL);
        block_add_receipt(&b->res, rules, b->bs, tx, &r, logs, n_logs, overlay_log_data(executor_overlay(b->ex)), bloom);
    }
}

const char *builder_next_block(chain_builder *b, buf_t *out, uint64_t *gas_used, size_t *n_txs) {
    block blk = {0};
    size_t cap = 0;
    next_header(b, &blk.header);
    blk.has_withdrawals = true;
    block_rules rules = chain_block_rules(&b->cfg, &blk.header, true);
    block_state_reset(b->bs, builder_view(b), b->codes);
    block_begin(b->ex, &rules, &blk, b->bs, &b->res);
    const char *err = fill(b, &blk, &rules, &cap);
    if (!err) err = block_finish(b->ex, &rules, &blk, b->bs, &b->res);
    if (!err) {
        block_state_changes(b->bs, &b->net);
        err = apply(b, &b->net);
    }
    if (!err) {
        block_header *h = &blk.header;
        h->gas_used = b->res.gas_used;
        memcpy(h->bloom, b->res.bloom, 256);
        h->receipts_root = block_receipts_root(&b->res);
        h->tx_root = block_tx_root(&blk);
        h->state_root = state_root(b);
        buf_t enc = {0};
        header_encode(h, &enc);
        h->hash = keccak256_hash(enc.data, enc.len);
        buf_free(&enc);
        block_encode(&blk, out);
        b->head = *h;
        if (b->n_hashes == b->cap_hashes) {
            b->cap_hashes *= 2;
            b->hashes = realloc(b->hashes, b->cap_hashes * sizeof *b->hashes);
            if (!b->hashes) abort();
        }
        b->hashes[b->n_hashes++] = h->hash;
        *gas_used = h->gas_used;
        *n_txs = blk.n_txs;
    }
    for (size_t i = 0; i < blk.n_txs; i++) tx_free(&blk.txs[i]);
    free(blk.txs);
    return err;
}
