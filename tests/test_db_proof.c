/* Tests for proofs and execution witnesses from the LMDB store
 * (db_proof.h), in fresh temporary datadirs:
 *   - eth_getProof at every retained block of a random chain (creations,
 *     deletions, re-creations, storage cleared, accounts emptied; some
 *     blocks committed without a root, so that the trie lags): every account
 *     (present and absent) and slot proof is checked by an independent
 *     walk (proof_check.h) against the root a full rebuild of a mirrored
 *     mem_state gave at that block, and the values against the mirror;
 *   - readers proving at an older block while the writer commits;
 *   - witnesses of random blocks (random reads through the recorder, random
 *     change sets): built before and after the block is committed (the
 *     parent at the head, then historical: the same nodes); a stateless
 *     state from the witness alone reads the same values and computes the
 *     root the store computes; without any one of its nodes it fails;
 *   - the witness of an executed transaction (SLOAD, SSTORE of new, changed
 *     and cleared slots, BLOCKHASH, BALANCE, EXTCODESIZE): re-executed on
 *     the witness alone, it gives the same result and post-state root;
 *   - the JSON forms: geth's storage keys and absent-account hashes;
 *   - a whole block through block_execute over a recorder, re-executed from
 *     its witness alone. */
#include "test.h"

#include <pthread.h>
#include <unistd.h>

#include "parevm/block_exec.h"
#include "parevm/db_proof.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc_proof.h"
#include "parevm/state_root.h"
#include "proof_check.h"

static uint64_t rng = 0x6a09e667f3bcc909ULL;
static uint64_t rnd(void) { return test_xorshift(&rng); }

/* ---- Temporary datadirs ---- */

typedef struct {
    char path[64];
} tmpdir;

static void tmp_make(tmpdir *t) {
    strcpy(t->path, "/tmp/parevm_proof_XXXXXX");
    if (!mkdtemp(t->path)) abort();
}

static void tmp_remove(tmpdir *t) { test_remove_tree(t->path); }

/* ---- A chain over a small random world, mirrored in memory ---- */

enum { N_ADDRS = 120, N_SLOTS = 40, MAX_BLOCKS = 40 };

typedef struct {
    tmpdir dir;
    db *d;
    mem_state *ref;                 /* the state after the head */
    mem_state *at[MAX_BLOCKS];      /* the state after each block */
    bytes32 roots[MAX_BLOCKS], hashes[MAX_BLOCKS];
    uint64_t n;                     /* blocks committed */
    address addrs[N_ADDRS];
    u256 slots[N_SLOTS];
    const evm_code *codes[3];
} chain;

static u256 rnd_value(void) {
    switch (rnd() % 4) {
    case 0: return U256_ZERO;
    case 1: return u256_from_u64(1 + rnd() % 200);
    case 2: return u256_from_u64(rnd());
    default: return (u256){{rnd(), rnd(), rnd(), rnd()}};
    }
}

static void add_slots(chain *c, change_set *cs, account_change *ac, int max) {
    int n = (int)(rnd() % (unsigned)(max + 1));
    for (int k = 0; k < n; k++) {
        u256 v = rnd_value();
        change_set_add_slot(cs, ac, &c->slots[rnd() % N_SLOTS], &v);
    }
}

/* A block's random change set (entries in order, repeats allowed). */
static void gen_changes(chain *c, change_set *cs, int entries, int max_slots) {
    change_set_clear(cs);
    for (int e = 0; e < entries; e++) {
        account_change *ac = change_set_add_account(cs, &c->addrs[rnd() % N_ADDRS]);
        unsigned r = (unsigned)(rnd() % 100);
        if (r < 6) {
            ac->flags = CHANGE_DELETED;
        } else if (r < 14) {
            ac->flags = CHANGE_CREATED | CHANGE_NONCE | CHANGE_BALANCE | CHANGE_CODE;
            ac->nonce = 1;
            ac->balance = u256_from_u64(rnd() % 1000);
            ac->code = rnd() % 3 ? c->codes[rnd() % 3] : &EVM_EMPTY_CODE;
            add_slots(c, cs, ac, 4);
        } else if (r < 20) {
            ac->flags = CHANGE_TOUCHED;
        } else if (r < 25) {
            ac->flags = CHANGE_BALANCE | CHANGE_NONCE;
        } else {
            if (rnd() % 2) ac->flags |= CHANGE_BALANCE, ac->balance = rnd_value();
            if (rnd() % 3 == 0) ac->flags |= CHANGE_BALANCE_DELTA, ac->balance = u256_from_u64(rnd() % 50);
            if (rnd() % 3 == 0) ac->flags |= CHANGE_NONCE, ac->nonce = rnd() % 100;
            if (rnd() % 10 == 0) ac->flags |= CHANGE_CODE, ac->code = c->codes[rnd() % 3];
            add_slots(c, cs, ac, max_slots);
        }
    }
}

static void chain_open(chain *c) {
    memset(c, 0, sizeof *c);
    tmp_make(&c->dir);
    db_options o = {.threads = 2, .no_sync = true};
    CHECK(db_open(c->dir.path, &o, &c->d) == NULL);
    c->ref = mem_state_new();
    for (int i = 0; i < N_ADDRS; i++) {
        bytes32 h = keccak256_hash(&i, sizeof i);
        memcpy(c->addrs[i].b, h.b, 20);
    }
    for (int i = 0; i < N_SLOTS; i++)
        c->slots[i] = i < 10 ? u256_from_u64((uint64_t)i) : (u256){{rnd(), rnd(), 0, rnd()}};
    static const uint8_t c0[] = {0x60, 0x00, 0x54}, c1[] = {0x60, 0x01, 0x60, 0x00, 0x55};
    uint8_t c2[300];
    for (size_t i = 0; i < sizeof c2; i++) c2[i] = (uint8_t)i;
    c->codes[0] = code_store_intern(db_codes(c->d), c0, sizeof c0);
    c->codes[1] = code_store_intern(db_codes(c->d), c1, sizeof c1);
    c->codes[2] = code_store_intern(db_codes(c->d), c2, sizeof c2);
}

static void chain_close(chain *c) {
    for (uint64_t i = 0; i < c->n; i++) mem_state_free(c->at[i]);
    mem_state_free(c->ref);
    db_close(c->d);
    tmp_remove(&c->dir);
}

/* Loads a genesis state: every address with storage, some with code. */
static void chain_genesis(chain *c) {
    change_set cs = {0};
    for (int i = 0; i < N_ADDRS; i++) {
        account_change *ac = change_set_add_account(&cs, &c->addrs[i]);
        if (i % 4 == 3) continue; /* absent */
        ac->flags = CHANGE_BALANCE | CHANGE_NONCE | CHANGE_TOUCHED;
        ac->balance = u256_from_u64(1000 + rnd() % 1000);
        ac->nonce = rnd() % 5;
        if (i % 3 == 0) ac->flags |= CHANGE_CODE, ac->code = c->codes[i % 3];
        add_slots(c, &cs, ac, i % 2 ? 12 : 1);
    }
    /* the absent ones: deleted entries of accounts that never existed */
    for (size_t i = 0; i < cs.n_accounts; i++)
        if (cs.accounts[i].flags == 0) cs.accounts[i].flags = CHANGE_DELETED;
    bytes32 root;
    CHECK(db_load_state(c->d, &cs, &root) == NULL);
    mem_state_apply(c->ref, &cs);
    bytes32 want = mem_state_root(c->ref);
    CHECK(bytes32_eq(&root, &want));
    change_set_free(&cs);
}

/* Commits block c->n with changes cs and a real header (its state root
 * from the mirror); root: whether the trie catches up. */
static void chain_commit(chain *c, const change_set *cs, bool root) {
    uint64_t n = c->n;
    mem_state_apply(c->ref, cs);
    c->roots[n] = mem_state_root(c->ref);
    c->at[n] = mem_state_clone(c->ref);
    block_header h;
    memset(&h, 0, sizeof h);
    if (n) h.parent_hash = c->hashes[n - 1];
    h.ommers_hash = EMPTY_LIST_HASH;
    h.state_root = c->roots[n];
    h.tx_root = h.receipts_root = EMPTY_TRIE_ROOT;
    h.number = n;
    h.gas_limit = 30000000;
    h.timestamp = 1000 + 12 * n;
    buf_t enc = {0};
    header_encode(&h, &enc);
    c->hashes[n] = keccak256_hash(enc.data, enc.len);
    root |= n == 0;
    db_block b = {.number = n, .header = {enc.data, enc.len}, .changes = cs, .root = root,
                  .expected_root = root ? &c->roots[n] : NULL};
    bytes32 got;
    const char *err = db_commit_block(c->d, &b, &got);
    CHECK(err == NULL);
    if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
    buf_free(&enc);
    c->n++;
}

/* ---- Checking proofs ---- */

static bool decode_account(const buf_t *v, account_info *a, bytes32 *root) {
    rlp_item list, it[4];
    if (rlp_decode(v->data, v->len, &list) || !list.is_list || rlp_list_items(&list, it, 4)) return false;
    return !rlp_to_u64(&it[0], &a->nonce) && !rlp_to_u256(&it[1], &a->balance) && !rlp_to_bytes32(&it[2], root) &&
           !rlp_to_bytes32(&it[3], &a->code_hash);
}

/* Proves addresses [lo, hi) and every slot in snapshot s (block number)
 * against the mirror; returns the number of failures. */
static int check_range(chain *c, db_snapshot *s, uint64_t number, int lo, int hi) {
    int bad = 0;
    mem_state *m = c->at[number];
    state_view mv = mem_state_view(m);
    bytes32 root;
    if (db_state_root_at(s, &root) || !bytes32_eq(&root, &c->roots[number])) bad++;
    for (int i = lo; i < hi; i++) {
        const address *a = &c->addrs[i];
        db_proof p;
        const char *err = db_get_proof(s, a, c->slots, N_SLOTS, &p);
        if (err) {
            fprintf(stderr, "  block %llu addr %d: %s\n", (unsigned long long)number, i, err);
            bad++;
            db_proof_free(&p);
            continue;
        }
        if (p.number != number || !bytes32_eq(&p.state_root, &c->roots[number])) bad++;
        account_info want;
        bool exists = mv.ops->get_account(mv.ctx, a, FIELD_ALL, &want);
        bytes32 hk = keccak256_hash(a->b, 20), sroot = EMPTY_TRIE_ROOT;
        buf_t v = {0};
        int r = proof_check(&c->roots[number], hk.b, &p.account_proof, &v);
        account_info got;
        if (r != (exists ? 1 : 0) || p.exists != exists) bad++;
        if (r == 1 && (!decode_account(&v, &got, &sroot) || got.nonce != want.nonce ||
                       !u256_eq(&got.balance, &want.balance) || !bytes32_eq(&got.code_hash, &want.code_hash) ||
                       !bytes32_eq(&sroot, &p.storage_root)))
            bad++;
        if (p.info.nonce != want.nonce || !u256_eq(&p.info.balance, &want.balance) ||
            !bytes32_eq(&p.info.code_hash, &want.code_hash))
            bad++;
        for (int k = 0; k < N_SLOTS; k++) {
            u256 sv = mv.ops->get_storage(mv.ctx, a, &c->slots[k]);
            uint8_t be[32];
            u256_to_be(&c->slots[k], be);
            bytes32 sk = keccak256_hash(be, 32);
            buf_clear(&v);
            int sr = proof_check(&sroot, sk.b, &p.slots[k].proof, &v);
            bool present = !u256_is_zero(&sv);
            if (sr != (present ? 1 : 0) || !u256_eq(&p.slots[k].value, &sv) || !u256_eq(&p.slots[k].key, &c->slots[k]))
                bad++;
            rlp_item it;
            u256 pv;
            if (sr == 1 && (rlp_decode(v.data, v.len, &it) || rlp_to_u256(&it, &pv) || !u256_eq(&pv, &sv))) bad++;
        }
        buf_free(&v);
        db_proof_free(&p);
    }
    return bad;
}

static int check_block(chain *c, db_snapshot *s, uint64_t number) { return check_range(c, s, number, 0, N_ADDRS); }

TEST(proofs_at_every_retained_block) {
    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set cs = {0};
    for (int n = 0; n < 14; n++) {
        gen_changes(&c, &cs, n == 0 ? 0 : 1 + (int)(rnd() % 14), 6);
        chain_commit(&c, &cs, n % 4 != 2 && n != 13); /* some blocks, and the head, leave the trie behind */
    }
    int bad = 0;
    for (uint64_t b = 0; b < c.n; b++) {
        db_snapshot *s;
        CHECK(db_snapshot_at(c.d, b, 1, &s) == NULL);
        bad += check_block(&c, s, b);
        db_snapshot_close(s);
    }
    db_snapshot *s;
    CHECK(db_snapshot_open(c.d, 2, &s) == NULL);
    bad += check_block(&c, s, c.n - 1);
    db_snapshot_close(s);
    /* once the trie caught up, the head's proofs come from the tables alone */
    bytes32 root;
    CHECK(db_update_root(c.d, &root) == NULL && bytes32_eq(&root, &c.roots[c.n - 1]));
    CHECK(db_snapshot_open(c.d, 1, &s) == NULL);
    bad += check_block(&c, s, c.n - 1);
    db_snapshot_close(s);
    CHECK(bad == 0);
    db_snapshot *bad_s;
    CHECK(db_snapshot_at(c.d, c.n + 3, 1, &bad_s) != NULL);
    change_set_free(&cs);
    chain_close(&c);
}

/* Readers prove at an older block from their own snapshots while the
 * writer commits more blocks: they see that block whole. */
typedef struct {
    chain *c;
    uint64_t number;
    int lo, hi, bad;
} prover_job;

static void *prover_thread(void *arg) {
    prover_job *j = arg;
    for (int round = 0; round < 3; round++) {
        db_snapshot *s;
        if (db_snapshot_at(j->c->d, j->number, 1, &s)) {
            j->bad++;
            continue;
        }
        j->bad += check_range(j->c, s, j->number, j->lo, j->hi);
        db_snapshot_close(s);
    }
    return NULL;
}

TEST(proofs_while_blocks_commit) {
    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set cs[6] = {{0}};
    for (int n = 0; n < 5; n++) {
        gen_changes(&c, &cs[0], 1 + (int)(rnd() % 10), 6);
        chain_commit(&c, &cs[0], n != 4);
    }
    for (int k = 1; k < 6; k++) gen_changes(&c, &cs[k], 1 + (int)(rnd() % 10), 6);
    prover_job jobs[2] = {{&c, 3, 0, N_ADDRS / 2, 0}, {&c, 3, N_ADDRS / 2, N_ADDRS, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, prover_thread, &jobs[i]);
    for (int k = 1; k < 6; k++) chain_commit(&c, &cs[k], k % 2 == 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(jobs[0].bad == 0 && jobs[1].bad == 0);
    for (int k = 0; k < 6; k++) change_set_free(&cs[k]);
    chain_close(&c);
}

/* ---- Witnesses ---- */

typedef struct {
    bool is_slot, is_code, is_has, is_hash;
    int addr, slot;
    uint64_t number;
    account_info info;
    bool exists;
    u256 value;
    bytes32 hash;
} read_op;

/* Reads random things through view (recording what it returned). */
static size_t random_reads(chain *c, state_view v, read_op *ops, size_t n, uint64_t head) {
    for (size_t i = 0; i < n; i++) {
        read_op *o = &ops[i];
        memset(o, 0, sizeof *o);
        o->addr = (int)(rnd() % N_ADDRS);
        const address *a = &c->addrs[o->addr];
        switch (rnd() % 6) {
        case 0:
        case 1:
            o->is_slot = true;
            o->slot = (int)(rnd() % N_SLOTS);
            o->value = v.ops->get_storage(v.ctx, a, &c->slots[o->slot]);
            break;
        case 2: {
            o->is_code = true;
            const evm_code *code = v.ops->get_code(v.ctx, a);
            o->hash = code->hash;
            o->value = u256_from_u64(code->len);
            break;
        }
        case 3:
            o->is_has = true;
            o->exists = v.ops->has_storage(v.ctx, a);
            break;
        case 4:
            if (head >= 3) {
                o->is_hash = true;
                o->number = head - rnd() % 4;
                o->hash = v.ops->get_block_hash(v.ctx, o->number);
                break;
            }
            /* fall through */
        default:
            o->exists = v.ops->get_account(v.ctx, a, FIELD_ALL, &o->info);
        }
    }
    return n;
}

/* Replays ops on v; returns the number of differing results. */
static int replay_reads(chain *c, state_view v, const read_op *ops, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const read_op *o = &ops[i];
        const address *a = &c->addrs[o->addr];
        if (o->is_slot) {
            u256 x = v.ops->get_storage(v.ctx, a, &c->slots[o->slot]);
            bad += !u256_eq(&x, &o->value);
        } else if (o->is_code) {
            const evm_code *code = v.ops->get_code(v.ctx, a);
            bad += !bytes32_eq(&code->hash, &o->hash) || code->len != o->value.w[0];
        } else if (o->is_has) {
            bad += v.ops->has_storage(v.ctx, a) != o->exists;
        } else if (o->is_hash) {
            bytes32 h = v.ops->get_block_hash(v.ctx, o->number);
            bad += !bytes32_eq(&h, &o->hash);
        } else {
            account_info x;
            bool e = v.ops->get_account(v.ctx, a, FIELD_ALL, &x);
            bad += e != o->exists || x.nonce != o->info.nonce || !u256_eq(&x.balance, &o->info.balance) ||
                   !bytes32_eq(&x.code_hash, &o->info.code_hash);
        }
    }
    return bad;
}

static bool same_list(const byte_list *a, const byte_list *b) {
    return a->n == b->n && a->data.len == b->data.len &&
           (a->data.len == 0 || memcmp(a->data.data, b->data.data, a->data.len) == 0);
}

/* Runs the stateless side on wit (leaving out node `skip`, if < count):
 * the reads and the changes; returns NULL and *root, or the error. */
static const char *stateless(chain *c, const execution_witness *wit, size_t skip, const read_op *ops, size_t n_ops,
                             const change_set *cs, int *read_bad, bytes32 *root, block_header *parent) {
    execution_witness w = *wit;
    byte_list nodes = {0};
    if (skip < wit->state.n) {
        for (size_t i = 0; i < wit->state.n; i++)
            if (i != skip) {
                byte_span e = byte_list_get(&wit->state, i);
                byte_list_push(&nodes, e.data, e.len);
            }
        w.state = nodes;
    }
    trie_nodes *set = trie_nodes_new();
    code_store *codes = code_store_new();
    witness_state *ws;
    const char *err = witness_state_from(&w, set, codes, &ws, parent);
    if (!err) {
        *read_bad = replay_reads(c, witness_state_view(ws), ops, n_ops);
        witness_state_apply(ws, cs);
        err = witness_state_error(ws);
        if (!err) err = witness_state_root(ws, root);
        witness_state_free(ws);
    }
    code_store_free(codes);
    trie_nodes_free(set);
    byte_list_free(&nodes);
    return err;
}

TEST(witness_of_random_blocks) {
    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set cs = {0};
    for (int n = 0; n < 4; n++) {
        gen_changes(&c, &cs, 3, 4);
        chain_commit(&c, &cs, true);
    }
    enum { N_OPS = 40 };
    read_op ops[N_OPS];
    int bad = 0;
    for (int round = 0; round < 16; round++) {
        uint64_t head = c.n - 1;
        db_snapshot *s;
        CHECK(db_snapshot_at(c.d, head, 1, &s) == NULL);
        state_recorder *rec = state_recorder_new(db_snapshot_view(s));
        size_t n_ops = random_reads(&c, state_recorder_view(rec), ops, N_OPS, head);
        CHECK(db_snapshot_error(s) == NULL);
        gen_changes(&c, &cs, 1 + (int)(rnd() % 12), 6);
        execution_witness before, after;
        bytes32 post1 = {{0}}, post2 = {{1}};
        const char *err = db_execution_witness(c.d, head + 1, rec, &cs, NULL, 0, &before, &post1);
        CHECK(err == NULL);
        if (err) fprintf(stderr, "  round %d: %s\n", round, err);
        chain_commit(&c, &cs, round % 3 != 1); /* the trie lags now and then */
        CHECK(bytes32_eq(&post1, &c.roots[head + 1]));
        /* the parent is historical now: the same witness */
        CHECK(db_execution_witness(c.d, head + 1, rec, &cs, NULL, 0, &after, &post2) == NULL);
        CHECK(bytes32_eq(&post2, &c.roots[head + 1]));
        CHECK(same_list(&before.state, &after.state) && same_list(&before.codes, &after.codes));
        CHECK(same_list(&before.keys, &after.keys) && same_list(&before.headers, &after.headers));
        /* the stateless side, with the witness only */
        int read_bad = 0;
        bytes32 root;
        block_header parent;
        err = stateless(&c, &before, SIZE_MAX, ops, n_ops, &cs, &read_bad, &root, &parent);
        CHECK(err == NULL && read_bad == 0 && bytes32_eq(&root, &c.roots[head + 1]));
        if (err) fprintf(stderr, "  round %d stateless: %s\n", round, err);
        CHECK(parent.number == head && bytes32_eq(&parent.state_root, &c.roots[head]) &&
              bytes32_eq(&parent.hash, &c.hashes[head]));
        /* the keys list every account read */
        for (size_t i = 0; i < state_recorder_count(rec); i++) {
            recorded_account r = state_recorder_get(rec, i);
            bool listed = false;
            for (size_t k = 0; k < before.keys.n && !listed; k++) {
                byte_span key = byte_list_get(&before.keys, k);
                listed = key.len == 20 && memcmp(key.data, r.addr.b, 20) == 0;
            }
            bad += !listed;
        }
        /* every node is needed: without one, a read or the root fails */
        for (int k = 0; k < 3 && before.state.n; k++) {
            int rb = 0;
            const char *e = stateless(&c, &before, rnd() % before.state.n, ops, n_ops, &cs, &rb, &root, &parent);
            bad += e == NULL && rb == 0 && bytes32_eq(&root, &c.roots[head + 1]);
        }
        execution_witness_free(&before);
        execution_witness_free(&after);
        state_recorder_free(rec);
        db_snapshot_close(s);
    }
    CHECK(bad == 0);
    change_set_free(&cs);
    chain_close(&c);
}

/* The root after changes on a snapshot the caller holds is that of the
 * snapshot's commit, even after the store unwound the parent it names
 * (eth_simulateV1 against evm_revert: the calls and the root read one
 * commit). */
TEST(root_after_on_a_held_snapshot) {
    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set cs = {0};
    for (int n = 0; n < 3; n++) {
        gen_changes(&c, &cs, 3, 4);
        chain_commit(&c, &cs, true);
    }
    uint64_t head = c.n - 1;
    db_snapshot *s;
    CHECK(db_snapshot_open(c.d, 1, &s) == NULL);
    gen_changes(&c, &cs, 5, 6);
    execution_witness w;
    bytes32 want = {{0}}, got = {{1}}, after = {{2}}, unwound;
    CHECK(db_execution_witness(c.d, head + 1, NULL, &cs, NULL, 0, &w, &want) == NULL);
    execution_witness_free(&w);
    CHECK(db_state_root_after(s, head + 1, &cs, &got) == NULL && bytes32_eq(&got, &want));
    CHECK(db_state_root_after(s, head + 2, &cs, &got) != NULL); /* past the snapshot's head */
    CHECK(db_state_root_after(s, 0, &cs, &got) != NULL);
    CHECK(db_unwind(c.d, head - 1, &unwound) == NULL);
    CHECK(db_execution_witness(c.d, head + 1, NULL, &cs, NULL, 0, &w, NULL) != NULL); /* gone from the store */
    execution_witness_free(&w);
    CHECK(db_state_root_after(s, head + 1, &cs, &after) == NULL && bytes32_eq(&after, &want));
    db_snapshot_close(s);
    change_set_free(&cs);
    chain_close(&c);
}

/* ---- Pre-Byzantium receipts' roots ---- */

/* An account made by one transaction and gone by the block's end is in none
 * of the block's changes, but the state root after that transaction (its
 * receipt's) needs the nodes on its path: mids brings them (campaign case
 * FrontierToHomesteadAt5, seed 104). */
TEST(witness_covers_intermediate_roots) {
    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set none = {0};
    chain_commit(&c, &none, true); /* block 0 */
    uint64_t head = c.n - 1;
    address x;
    bytes32 hx = keccak256_hash("gone again", 10);
    memcpy(x.b, hx.b, 20);
    change_set mid = {0}, fin = {0};
    account_change *ac = change_set_add_account(&mid, &x);
    ac->flags = CHANGE_BALANCE | CHANGE_NONCE | CHANGE_TOUCHED, ac->balance = u256_from_u64(5), ac->nonce = 1;
    ac = change_set_add_account(&mid, &c.addrs[0]);
    ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(9);
    ac = change_set_add_account(&fin, &c.addrs[0]);
    ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(9);
    mem_state *m = mem_state_clone(c.ref);
    mem_state_apply(m, &mid);
    bytes32 want = mem_state_root(m);
    mem_state_free(m);
    for (int with = 0; with < 2; with++) {
        execution_witness w;
        bytes32 post;
        CHECK(db_execution_witness(c.d, head + 1, NULL, &fin, with ? &mid : NULL, (size_t)with, &w, &post) == NULL);
        trie_nodes *set = trie_nodes_new();
        code_store *codes = code_store_new();
        witness_state *ws = NULL;
        block_header parent;
        CHECK(witness_state_from(&w, set, codes, &ws, &parent) == NULL);
        witness_state_free(ws);
        /* the receipt's root from the witness alone: only with mids */
        witness_state *ms = witness_state_new(&parent.state_root, set, codes);
        witness_state_apply(ms, &mid);
        bytes32 root;
        const char *err = witness_state_root(ms, &root);
        if (with) CHECK(err == NULL && bytes32_eq(&root, &want));
        else CHECK(err != NULL);
        witness_state_free(ms);
        code_store_free(codes);
        trie_nodes_free(set);
        execution_witness_free(&w);
    }
    change_set_free(&mid);
    change_set_free(&fin);
    chain_close(&c);
}

/* ---- A witness of an executed transaction ---- */

TEST(witness_of_an_executed_transaction) {
    chain c;
    chain_open(&c);
    /* the contract: slot0 += 1; slot2 = BLOCKHASH(NUMBER - 2); slot3 = 0;
     * slot4 = BALANCE(B); slot5 = EXTCODESIZE(C); slot6 = SLOAD(7) */
    address sender = {{0xee, 1}}, a = {{0xaa, 2}}, b = {{0xbb, 3}}, cc = {{0xcc, 4}};
    uint8_t code[128];
    size_t n = 0;
    static const uint8_t p1[] = {0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x60, 0x02, 0x43, 0x03,
                                 0x40, 0x60, 0x02, 0x55, 0x60, 0x00, 0x60, 0x03, 0x55, 0x73};
    memcpy(code + n, p1, sizeof p1), n += sizeof p1;
    memcpy(code + n, b.b, 20), n += 20;
    static const uint8_t p2[] = {0x31, 0x60, 0x04, 0x55, 0x73};
    memcpy(code + n, p2, sizeof p2), n += sizeof p2;
    memcpy(code + n, cc.b, 20), n += 20;
    static const uint8_t p3[] = {0x3b, 0x60, 0x05, 0x55, 0x60, 0x07, 0x54, 0x60, 0x06, 0x55, 0x00};
    memcpy(code + n, p3, sizeof p3), n += sizeof p3;
    const evm_code *ca = code_store_intern(db_codes(c.d), code, n);
    change_set cs = {0};
    u256 rich = u256_from_u64(1000000000000000000ULL);
    account_change *ac = change_set_add_account(&cs, &sender);
    ac->flags = CHANGE_BALANCE | CHANGE_TOUCHED, ac->balance = rich;
    ac = change_set_add_account(&cs, &a);
    ac->flags = CHANGE_CODE | CHANGE_NONCE, ac->code = ca, ac->nonce = 1;
    for (uint64_t k = 0; k < 12; k++) { /* slots 0, 3, 7 among others: slot 3's deletion collapses */
        u256 key = u256_from_u64(k == 0 ? 0 : k == 1 ? 3 : k == 2 ? 7 : 100 + k), v = u256_from_u64(k + 5);
        change_set_add_slot(&cs, ac, &key, &v);
    }
    ac = change_set_add_account(&cs, &b);
    ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(777);
    ac = change_set_add_account(&cs, &cc);
    ac->flags = CHANGE_CODE | CHANGE_NONCE, ac->code = c.codes[2], ac->nonce = 1;
    for (int i = 0; i < 30; i++) { /* more accounts: a deeper account trie */
        ac = change_set_add_account(&cs, &c.addrs[i]);
        ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(1 + (uint64_t)i);
    }
    bytes32 root;
    CHECK(db_load_state(c.d, &cs, &root) == NULL);
    mem_state_apply(c.ref, &cs);
    for (int i = 0; i < 5; i++) {
        change_set_clear(&cs);
        chain_commit(&c, &cs, true);
    }
    uint64_t head = c.n - 1;
    transaction tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TX_DYNAMIC_FEE;
    tx.has_chain_id = true;
    tx.chain_id = 1;
    tx.max_fee = u256_from_u64(20);
    tx.max_priority_fee = u256_from_u64(2);
    tx.sender = sender;
    tx.sender_known = true;
    tx.r = tx.s = u256_from_u64(1);
    tx.has_to = true;
    tx.to = a;
    tx.gas_limit = 500000;
    block_env env;
    memset(&env, 0, sizeof env);
    env.fork = FORK_SHANGHAI;
    env.number = head + 1;
    env.timestamp = 1000 + 12 * (head + 1);
    env.gas_limit = 30000000;
    env.coinbase = (address){{0xc0, 0x1b}};
    env.base_fee = u256_from_u64(7);
    env.chain_id = 1;

    db_snapshot *s;
    CHECK(db_snapshot_at(c.d, head, 1, &s) == NULL);
    state_recorder *rec = state_recorder_new(db_snapshot_view(s));
    executor *ex = executor_new();
    tx_result res;
    exec_transaction(ex, &env, state_recorder_view(rec), db_codes(c.d), &tx, 0, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS);
    uint64_t gas = res.gas_used;
    const change_set *changes = executor_changes(ex);
    execution_witness wit;
    bytes32 post = {{0}};
    CHECK(db_execution_witness(c.d, head + 1, rec, changes, NULL, 0, &wit, &post) == NULL);
    chain_commit(&c, changes, true);
    CHECK(bytes32_eq(&post, &c.roots[head + 1]));
    /* BLOCKHASH(head - 1): the headers from head - 1 to the parent; A's code */
    CHECK_EQ_U64(wit.headers.n, 2);
    CHECK(wit.codes.n >= 1);
    u256 slot2 = u256_from_u64(2);
    state_view mv = mem_state_view(c.ref);
    u256 stored = mv.ops->get_storage(mv.ctx, &a, &slot2);
    CHECK(!u256_is_zero(&stored)); /* the block hash was real */

    /* stateless: the witness alone */
    trie_nodes *set = trie_nodes_new();
    code_store *codes = code_store_new();
    witness_state *ws;
    block_header parent;
    CHECK(witness_state_from(&wit, set, codes, &ws, &parent) == NULL);
    CHECK(parent.number == head && bytes32_eq(&parent.state_root, &c.roots[head]));
    executor *ex2 = executor_new();
    tx_result res2;
    exec_transaction(ex2, &env, witness_state_view(ws), codes, &tx, 0, &res2);
    CHECK(res2.valid && res2.status == EVM_SUCCESS && res2.gas_used == gas);
    witness_state_apply(ws, executor_changes(ex2));
    bytes32 sroot;
    CHECK(witness_state_error(ws) == NULL);
    CHECK(witness_state_root(ws, &sroot) == NULL && bytes32_eq(&sroot, &c.roots[head + 1]));
    witness_state_free(ws);
    executor_free(ex2);
    code_store_free(codes);
    trie_nodes_free(set);

    execution_witness_free(&wit);
    executor_free(ex);
    state_recorder_free(rec);
    db_snapshot_close(s);
    change_set_free(&cs);
    chain_close(&c);
}

/* ---- The JSON forms ---- */

static const char *jstr(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* reth's "legacy" witness (db_execution_witness_mode's both_orders): slot
 * 4199 (hashed 14b4..) deleted while 4111 (1bfa..) is inserted beside 4175
 * (1e2c..): insertions first, the branch under nibble 1 keeps two
 * children; deletions first, it collapses onto 4175's leaf, which only the
 * legacy witness holds. */
TEST(witness_legacy_holds_what_deletions_first_opens) {
    chain c;
    chain_open(&c);
    address a = {{0xaa, 0x01}};
    change_set cs = {0};
    account_change *ac = change_set_add_account(&cs, &a);
    ac->flags = CHANGE_BALANCE | CHANGE_NONCE, ac->balance = u256_from_u64(1), ac->nonce = 1;
    u256 k4199 = u256_from_u64(4199), k4175 = u256_from_u64(4175), k4111 = u256_from_u64(4111);
    u256 one = u256_from_u64(1), zero = U256_ZERO;
    change_set_add_slot(&cs, ac, &k4199, &one);
    change_set_add_slot(&cs, ac, &k4175, &one);
    bytes32 root;
    CHECK(db_load_state(c.d, &cs, &root) == NULL);
    mem_state_apply(c.ref, &cs);
    change_set_clear(&cs);
    chain_commit(&c, &cs, true);
    uint64_t head = c.n - 1;
    ac = change_set_add_account(&cs, &a);
    change_set_add_slot(&cs, ac, &k4199, &zero);
    change_set_add_slot(&cs, ac, &k4111, &one);
    execution_witness canon, legacy;
    bytes32 post1, post2;
    CHECK(db_execution_witness_mode(c.d, head + 1, NULL, &cs, NULL, 0, false, &canon, &post1) == NULL);
    CHECK(db_execution_witness_mode(c.d, head + 1, NULL, &cs, NULL, 0, true, &legacy, &post2) == NULL);
    chain_commit(&c, &cs, true);
    CHECK(bytes32_eq(&post1, &c.roots[head + 1]) && bytes32_eq(&post2, &post1));
    CHECK(legacy.state.n > canon.state.n);
    /* a consumer that applies the deletions first: only the legacy one serves it */
    for (int mode = 0; mode < 2; mode++) {
        trie_nodes *set = trie_nodes_new();
        code_store *codes = code_store_new();
        witness_state *ws;
        block_header parent;
        CHECK(witness_state_from(mode ? &legacy : &canon, set, codes, &ws, &parent) == NULL);
        witness_state_apply(ws, &cs);
        witness_state_set_deletions_first(ws, true);
        bytes32 r;
        const char *err = witness_state_root(ws, &r);
        if (mode) CHECK(err == NULL && bytes32_eq(&r, &c.roots[head + 1]));
        else CHECK(err != NULL);
        witness_state_free(ws);
        code_store_free(codes);
        trie_nodes_free(set);
    }
    execution_witness_free(&canon);
    execution_witness_free(&legacy);
    change_set_free(&cs);
    chain_close(&c);
}

TEST(rpc_json_of_proofs_and_witnesses) {
    rpc_proof_keys keys;
    json_t *bad = json_loads("[\"0x123\", \"0xzz\"]", 0, NULL);
    CHECK(rpc_parse_proof_keys(bad, &keys) != NULL && keys.n == 0);
    json_decref(bad);
    bad = json_loads("[\"0x000000000000000000000000000000000000000000000000000000000000000001\"]", 0, NULL);
    CHECK(rpc_parse_proof_keys(bad, &keys) != NULL); /* 33 bytes */
    json_decref(bad);
    CHECK(rpc_parse_proof_keys(json_object_get(NULL, "x"), &keys) != NULL);
    json_t *many = json_array(); /* geth's cap: 1024 keys */
    for (int i = 0; i < 1025; i++) json_array_append_new(many, json_string("0x1"));
    CHECK(rpc_parse_proof_keys(many, &keys) != NULL && keys.n == 0);
    json_array_remove(many, 0);
    CHECK(rpc_parse_proof_keys(many, &keys) == NULL && keys.n == 1024);
    rpc_proof_keys_free(&keys);
    json_decref(many);

    chain c;
    chain_open(&c);
    chain_genesis(&c);
    change_set cs = {0};
    chain_commit(&c, &cs, true);
    char full[67] = "0x";
    uint8_t be[32];
    u256_to_be(&c.slots[12], be);
    hex_encode(be, 32, full);
    json_t *jk = json_pack("[s, s, s]", "0x1", full, "");
    CHECK(rpc_parse_proof_keys(jk, &keys) == NULL && keys.n == 3 && keys.full[1] && !keys.full[0]);
    db_snapshot *s;
    CHECK(db_snapshot_open(c.d, 1, &s) == NULL);
    for (int i = 0; i < 8; i++) {
        db_proof p;
        CHECK(db_get_proof(s, &c.addrs[i], keys.keys, keys.n, &p) == NULL);
        json_t *o = rpc_json_proof(&c.addrs[i], &p, &keys);
        const json_t *sp = json_object_get(o, "storageProof");
        CHECK(json_array_size(sp) == 3 && json_array_size(json_object_get(o, "accountProof")) == p.account_proof.n);
        CHECK(strcmp(jstr(json_array_get(sp, 0), "key"), "0x1") == 0);
        CHECK(strcmp(jstr(json_array_get(sp, 1), "key"), full) == 0);
        CHECK(strcmp(jstr(json_array_get(sp, 2), "key"), "0x0") == 0);
        const char *ch = jstr(o, "codeHash"), *sh = jstr(o, "storageHash");
        CHECK(ch && sh && strlen(ch) == 66 && strlen(sh) == 66);
        if (!p.exists) /* geth: zero hashes for an absent account */
            CHECK(strspn(ch + 2, "0") == 64 && strspn(sh + 2, "0") == 64 && strcmp(jstr(o, "balance"), "0x0") == 0);
        char want[67];
        hex_encode(p.storage_root.b, 32, want);
        if (p.exists) CHECK(strcmp(sh, want) == 0);
        json_decref(o);
        db_proof_free(&p);
    }
    db_snapshot_close(s);
    rpc_proof_keys_free(&keys);
    json_decref(jk);

    state_recorder *rec;
    CHECK(db_snapshot_at(c.d, 0, 1, &s) == NULL);
    rec = state_recorder_new(db_snapshot_view(s));
    state_view v = state_recorder_view(rec);
    account_info info;
    v.ops->get_account(v.ctx, &c.addrs[0], FIELD_ALL, &info);
    v.ops->get_storage(v.ctx, &c.addrs[1], &c.slots[3]);
    execution_witness w;
    CHECK(db_execution_witness(c.d, 1, rec, NULL, NULL, 0, &w, NULL) == NULL);
    json_t *o = rpc_json_witness(&w);
    CHECK(json_array_size(json_object_get(o, "state")) == w.state.n && w.state.n > 0);
    CHECK(json_array_size(json_object_get(o, "headers")) == 1 && json_array_size(json_object_get(o, "codes")) == 0);
    CHECK(json_array_size(json_object_get(o, "keys")) == 3);
    json_decref(o);
    execution_witness_free(&w);
    state_recorder_free(rec);
    db_snapshot_close(s);
    CHECK(db_execution_witness(c.d, 0, NULL, NULL, NULL, 0, &w, NULL) != NULL); /* block 0 has no parent */
    execution_witness_free(&w);
    change_set_free(&cs);
    chain_close(&c);
}

/* A whole block (withdrawals, several transactions, one sender twice, a new
 * account) through block_execute on a block_state over a recorder of the
 * parent's state; its witness alone re-executes it on a block_state over a
 * witness_state and gives the same receipts and post-state root. */
TEST(witness_of_an_executed_block) {
    chain c;
    chain_open(&c);
    address sender = {{0xee, 1}}, sender2 = {{0xee, 2}}, a = {{0xaa, 2}}, b = {{0xbb, 3}}, cc = {{0xcc, 4}};
    uint8_t code[128];
    size_t n = 0;
    static const uint8_t p1[] = {0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x60, 0x02, 0x43, 0x03,
                                 0x40, 0x60, 0x02, 0x55, 0x60, 0x00, 0x60, 0x03, 0x55, 0x73};
    memcpy(code + n, p1, sizeof p1), n += sizeof p1;
    memcpy(code + n, b.b, 20), n += 20;
    static const uint8_t p2[] = {0x31, 0x60, 0x04, 0x55, 0x73};
    memcpy(code + n, p2, sizeof p2), n += sizeof p2;
    memcpy(code + n, cc.b, 20), n += 20;
    static const uint8_t p3[] = {0x3b, 0x60, 0x05, 0x55, 0x60, 0x07, 0x54, 0x60, 0x06, 0x55, 0x00};
    memcpy(code + n, p3, sizeof p3), n += sizeof p3;
    const evm_code *ca = code_store_intern(db_codes(c.d), code, n);
    change_set cs = {0};
    u256 rich = u256_from_u64(1000000000000000000ULL);
    account_change *ac = change_set_add_account(&cs, &sender);
    ac->flags = CHANGE_BALANCE | CHANGE_TOUCHED, ac->balance = rich;
    ac = change_set_add_account(&cs, &sender2);
    ac->flags = CHANGE_BALANCE | CHANGE_TOUCHED, ac->balance = rich;
    ac = change_set_add_account(&cs, &a);
    ac->flags = CHANGE_CODE | CHANGE_NONCE, ac->code = ca, ac->nonce = 1;
    for (uint64_t k = 0; k < 12; k++) {
        u256 key = u256_from_u64(k == 0 ? 0 : k == 1 ? 3 : k == 2 ? 7 : 100 + k), v = u256_from_u64(k + 5);
        change_set_add_slot(&cs, ac, &key, &v);
    }
    ac = change_set_add_account(&cs, &b);
    ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(777);
    ac = change_set_add_account(&cs, &cc);
    ac->flags = CHANGE_CODE | CHANGE_NONCE, ac->code = c.codes[2], ac->nonce = 1;
    for (int i = 0; i < 30; i++) {
        ac = change_set_add_account(&cs, &c.addrs[i]);
        ac->flags = CHANGE_BALANCE, ac->balance = u256_from_u64(1 + (uint64_t)i);
    }
    bytes32 root;
    CHECK(db_load_state(c.d, &cs, &root) == NULL);
    mem_state_apply(c.ref, &cs);
    for (int i = 0; i < 5; i++) {
        change_set_clear(&cs);
        chain_commit(&c, &cs, true);
    }
    uint64_t head = c.n - 1;
    block blk;
    memset(&blk, 0, sizeof blk);
    blk.header.parent_hash = c.hashes[head];
    blk.header.number = head + 1;
    blk.header.gas_limit = 30000000;
    blk.header.timestamp = 1000 + 12 * (head + 1);
    blk.header.coinbase = (address){{0xc0, 0x1b}};
    blk.header.has_base_fee = true;
    blk.header.base_fee = u256_from_u64(7);
    blk.header.has_withdrawals_root = true;
    transaction txs[3];
    memset(txs, 0, sizeof txs);
    for (int i = 0; i < 3; i++) {
        transaction *tx = &txs[i];
        tx->type = TX_DYNAMIC_FEE;
        tx->has_chain_id = true;
        tx->chain_id = 1;
        tx->max_fee = u256_from_u64(20);
        tx->max_priority_fee = u256_from_u64(2);
        tx->sender = i < 2 ? sender : sender2;
        tx->sender_known = true;
        tx->nonce = i == 1 ? 1 : 0;
        tx->r = tx->s = u256_from_u64(1);
        tx->has_to = true;
        tx->to = i < 2 ? a : (address){{0x99, 9}};
        tx->value = i < 2 ? U256_ZERO : u256_from_u64(12345);
        tx->gas_limit = i < 2 ? 500000 : 21000;
    }
    blk.txs = txs;
    blk.n_txs = 3;
    withdrawal wd[2] = {{0, 1, {{0x77, 7}}, 5}, {1, 2, {{0xaa, 2}}, 3}};
    blk.has_withdrawals = true;
    blk.withdrawals = wd;
    blk.n_withdrawals = 2;
    block_rules rules;
    memset(&rules, 0, sizeof rules);
    rules.fork = FORK_SHANGHAI;
    rules.chain_id = 1;

    db_snapshot *s;
    CHECK(db_snapshot_at(c.d, head, 1, &s) == NULL);
    state_recorder *rec = state_recorder_new(db_snapshot_view(s));
    block_state *bs = block_state_new(state_recorder_view(rec), db_codes(c.d));
    executor *ex = executor_new();
    block_result res;
    memset(&res, 0, sizeof res);
    CHECK(block_execute(ex, &rules, &blk, bs, &res) == NULL);
    uint64_t gas = res.gas_used;
    change_set changes = {0};
    block_state_changes(bs, &changes);
    execution_witness wit;
    bytes32 post = {{0}};
    CHECK(db_execution_witness(c.d, head + 1, rec, &changes, NULL, 0, &wit, &post) == NULL);
    chain_commit(&c, &changes, true);
    CHECK(bytes32_eq(&post, &c.roots[head + 1]));
    fprintf(stderr, "  witness: %zu nodes, %zu codes, %zu keys, %zu headers; gas %llu\n", wit.state.n, wit.codes.n,
            wit.keys.n, wit.headers.n, (unsigned long long)gas);

    trie_nodes *set = trie_nodes_new();
    code_store *codes = code_store_new();
    witness_state *ws;
    block_header parent;
    CHECK(witness_state_from(&wit, set, codes, &ws, &parent) == NULL);
    block_state *bs2 = block_state_new(witness_state_view(ws), codes);
    executor *ex2 = executor_new();
    block_result res2;
    memset(&res2, 0, sizeof res2);
    CHECK(block_execute(ex2, &rules, &blk, bs2, &res2) == NULL);
    CHECK(res2.gas_used == gas && res2.n_receipts == 3);
    change_set changes2 = {0};
    block_state_changes(bs2, &changes2);
    witness_state_apply(ws, &changes2);
    bytes32 sroot;
    CHECK(witness_state_error(ws) == NULL);
    CHECK(witness_state_root(ws, &sroot) == NULL && bytes32_eq(&sroot, &c.roots[head + 1]));
    change_set_free(&changes2);
    block_result_free(&res2);
    executor_free(ex2);
    block_state_free(bs2);
    witness_state_free(ws);
    code_store_free(codes);
    trie_nodes_free(set);
    execution_witness_free(&wit);
    change_set_free(&changes);
    block_result_free(&res);
    executor_free(ex);
    block_state_free(bs);
    state_recorder_free(rec);
    db_snapshot_close(s);
    change_set_free(&cs);
    chain_close(&c);
}
