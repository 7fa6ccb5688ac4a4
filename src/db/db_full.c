/* The reference state root: rebuilt from the flat tables alone (accounts
 * and storage by address), with no use of the hashed state or the branch
 * records. Leaves must reach the streaming builder in hashed-key order, and
 * the flat tables are in address order, so each trie is built in passes:
 * pass b collects the leaves whose hashed key starts with b (enough bits
 * that a pass holds at most full_pass leaves), sorts them and streams them.
 * Memory is bounded by full_pass whatever the state size. */
#include <stdlib.h>

#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "db_internal.h"

typedef struct {
    bytes32 key;
    size_t off, len;
} leaf_item;

typedef struct {
    leaf_item *v;
    size_t n, cap;
    buf_t vals;
} leaf_items;

static void items_add(leaf_items *it, const bytes32 *key, const buf_t *val) {
    if (it->n == it->cap) {
        it->cap = it->cap ? it->cap * 2 : 256;
        it->v = realloc(it->v, it->cap * sizeof *it->v);
        if (!it->v) abort();
    }
    it->v[it->n++] = (leaf_item){*key, it->vals.len, val->len};
    buf_append(&it->vals, val->data, val->len);
}

static int cmp_item(const void *a, const void *b) {
    return memcmp(((const leaf_item *)a)->key.b, ((const leaf_item *)b)->key.b, 32);
}

/* The bucket of a hashed key under nbits leading bits. */
static uint32_t bucket_of(const bytes32 *h, unsigned nbits) {
    if (!nbits) return 0;
    uint32_t top = (uint32_t)h->b[0] << 24 | (uint32_t)h->b[1] << 16 | (uint32_t)h->b[2] << 8 | h->b[3];
    return top >> (32 - nbits);
}

static unsigned bucket_bits(size_t count, size_t per_pass) {
    unsigned bits = 0;
    while (bits < 24 && (count >> bits) > per_pass) bits += 4;
    return bits;
}

typedef struct {
    db *d;
    MDB_txn *txn;
    address addr; /* storage passes: whose */
} full_ctx;

/* Adds the leaves of one pass to out; 0 or an LMDB error. */
typedef int (*pass_fn)(full_ctx *c, unsigned nbits, uint32_t bucket, leaf_items *out);

static int secure_root(full_ctx *c, size_t count, pass_fn pass, bytes32 *root) {
    unsigned nbits = bucket_bits(count, c->d->full_pass);
    leaf_items it = {0};
    trie_stream *ts = trie_stream_new(NULL, NULL);
    int rc = 0;
    for (uint64_t b = 0; b < (1ull << nbits) && !rc; b++) {
        it.n = 0;
        buf_clear(&it.vals);
        rc = pass(c, nbits, (uint32_t)b, &it);
        if (it.n) qsort(it.v, it.n, sizeof *it.v, cmp_item);
        for (size_t i = 0; i < it.n && !rc; i++)
            if (trie_stream_push(ts, &it.v[i].key, it.vals.data + it.v[i].off, it.v[i].len))
                rc = MDB_CORRUPTED; /* a key twice: cannot come from distinct flat keys */
    }
    *root = trie_stream_root(ts);
    trie_stream_free(ts);
    free(it.v);
    buf_free(&it.vals);
    return rc;
}

static int storage_pass(full_ctx *c, unsigned nbits, uint32_t bucket, leaf_items *out) {
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->d->t[T_STORAGE], &cur);
    if (rc) return rc;
    uint8_t start[52] = {0};
    memcpy(start, c->addr.b, 20);
    MDB_val k = mval(start, 52), v;
    buf_t val = {0};
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 52) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (memcmp(k.mv_data, c->addr.b, 20) != 0) break;
        bytes32 h = keccak256_hash((uint8_t *)k.mv_data + 20, 32);
        if (bucket_of(&h, nbits) != bucket) continue;
        u256 word;
        if (v.mv_size == 0 || !db_word_decode(v.mv_data, v.mv_size, &word)) {
            rc = MDB_CORRUPTED;
            break;
        }
        buf_clear(&val);
        rlp_encode_u256(&val, &word);
        items_add(out, &h, &val);
    }
    buf_free(&val);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int storage_root(full_ctx *c, const address *addr, bytes32 *root) {
    /* count first, so that a huge storage is built in passes too */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->d->t[T_STORAGE], &cur);
    if (rc) return rc;
    uint8_t start[52] = {0};
    memcpy(start, addr->b, 20);
    MDB_val k = mval(start, 52), v;
    size_t count = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && k.mv_size >= 20 &&
                                                           memcmp(k.mv_data, addr->b, 20) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        count++;
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return rc;
    if (!count) {
        *root = EMPTY_TRIE_ROOT;
        return 0;
    }
    full_ctx sc = {c->d, c->txn, *addr};
    return secure_root(&sc, count, storage_pass, root);
}

static int account_pass(full_ctx *c, unsigned nbits, uint32_t bucket, leaf_items *out) {
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->d->t[T_ACCOUNTS], &cur);
    if (rc) return rc;
    MDB_val k, v;
    buf_t val = {0};
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        db_account a;
        if (k.mv_size != 20 || !db_account_decode(v.mv_data, v.mv_size, &a)) {
            rc = MDB_CORRUPTED;
            break;
        }
        bytes32 h = keccak256_hash(k.mv_data, 20);
        if (bucket_of(&h, nbits) != bucket) continue;
        address addr;
        memcpy(addr.b, k.mv_data, 20);
        bytes32 sroot;
        if ((rc = storage_root(c, &addr, &sroot))) break;
        buf_clear(&val);
        db_leaf_encode(&a, &sroot, &val);
        items_add(out, &h, &val);
    }
    buf_free(&val);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

const char *db_root_full(db *d, bytes32 *root) {
    MDB_txn *txn;
    int rc = db_begin(d, MDB_RDONLY, &txn);
    if (rc) return db_mdb_error(rc);
    mdb_txn_abort(txn);
    db_snapshots_enter(d); /* a long read: a resize must wait for it */
    rc = db_read_begin(d, &txn);
    if (!rc) {
        MDB_stat st;
        rc = mdb_stat(txn, d->t[T_ACCOUNTS], &st);
        full_ctx c = {d, txn, {{0}}};
        if (!rc) rc = secure_root(&c, st.ms_entries, account_pass, root);
        mdb_txn_abort(txn);
    }
    db_snapshots_leave(d);
    return rc ? db_mdb_error(rc) : NULL;
}
