/* Tests for the LMDB store (db.h), each in a fresh temporary datadir that is
 * removed afterwards: random blocks of change sets (creations, deletions,
 * re-creation, storage cleared, accounts emptied) where the incremental root
 * must equal a full rebuild of a mirrored mem_state and the store's own
 * flat-state rebuild, also across reopening; a lagging trie that catches up;
 * unwinds to exact earlier states; historical snapshots; readers that see
 * whole blocks while a writer commits; large change sets read ahead on the
 * worker pool; map growth; chain data; corrupt records that give errors,
 * not crashes. */
#include "test.h"

#include <stdatomic.h>
#include <lmdb.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_helpers.h"

TEST(db_random_blocks_match_full_rebuild) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0};
    gen_changes(&w, &cs, 30);
    bytes32 root;
    CHECK(db_load_state(d, &cs, &root) == NULL);
    mem_state_apply(ref, &cs);
    bytes32 want = mem_state_root(ref);
    CHECK(bytes32_eq(&root, &want));
    for (uint64_t n = 0; n < 60; n++) {
        gen_changes(&w, &cs, n == 0 ? 0 : 1 + (int)(rnd() % 14));
        mem_state_apply(ref, &cs);
        want = mem_state_root(ref);
        const char *err = commit(d, n, &cs, true, &want, &root);
        CHECK(err == NULL);
        if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
        CHECK(bytes32_eq(&root, &want));
        if (n % 10 == 9) {
            bytes32 full;
            CHECK(db_root_full(d, &full) == NULL);
            CHECK(bytes32_eq(&full, &want));
            check_latest(d, ref, &w);
        }
        if (n == 30) { /* reopen: the incremental state survives */
            db_close(d);
            d = open_db(&t, 1);
        }
    }
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    uint64_t head, trie_block, stage;
    bytes32 r2;
    CHECK(db_head(s, &head, NULL) == NULL && head == 59);
    CHECK(db_state_root(s, &r2, &trie_block) == NULL && trie_block == 59 && bytes32_eq(&r2, &want));
    CHECK(db_stage(s, "execution", &stage) == NULL && stage == 59);
    db_snapshot_close(s);
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}


/* Large change sets are read ahead on the worker pool (work_apply): a
 * store with two threads, which reads ahead, must end every block exactly
 * as one with a single thread, which reads everything in order: roots (plain
 * commits, kept previews), flat state, and change sets (an unwind). Blocks
 * name the same accounts and slots several times, delete, re-create and
 * add to balances, which all depend on the prior state read. */
TEST(db_read_ahead_matches_reads_in_order) {
    tmpdir t1, t2;
    tmp_make(&t1);
    tmp_make(&t2);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *one = open_db(&t1, 1), *two = open_db(&t2, 2);
    change_set cs = {0};
    gen_changes(&w, &cs, 200);
    bytes32 r1, r2, want;
    CHECK(db_load_state(one, &cs, &r1) == NULL && db_load_state(two, &cs, &r2) == NULL);
    mem_state_apply(ref, &cs);
    want = mem_state_root(ref);
    CHECK(bytes32_eq(&r1, &want) && bytes32_eq(&r2, &want));
    enum { K = 12 };
    bytes32 roots[K];
    mem_state *after[K];
    size_t read_ahead = 0;
    for (uint64_t n = 0; n < K; n++) {
        gen_changes(&w, &cs, 60 + (int)(rnd() % 100));
        mem_state_apply(ref, &cs);
        roots[n] = want = mem_state_root(ref);
        after[n] = mem_state_clone(ref);
        CHECK(commit(one, n, &cs, true, &want, &r1) == NULL && bytes32_eq(&r1, &want));
        db_commit_stats st = {0};
        const char *err;
        if (n % 2) { /* the preview reads ahead; the commit writes its work */
            db_preview *pv = NULL;
            CHECK(db_preview_root_keep(two, &cs, NULL, &r2, &pv) == NULL && bytes32_eq(&r2, &want));
            err = commit_with_preview(two, n, &cs, pv, &want, &r2, &st);
            db_preview_free(pv);
        } else {
            uint8_t header[16];
            fake_header(n, 0, header);
            db_block b = {.number = n, .header = {header, 16}, .changes = &cs, .root = true,
                          .expected_root = &want, .stats = &st};
            err = db_commit_block(two, &b, &r2);
        }
        if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
        CHECK(err == NULL && bytes32_eq(&r2, &want));
        read_ahead += st.read_ahead;
        CHECK(st.read_ahead <= st.accounts + st.slots);
    }
    CHECK(read_ahead > 0); /* the path under test ran */
    check_latest(one, ref, &w);
    check_latest(two, ref, &w);
    bytes32 full;
    CHECK(db_root_full(two, &full) == NULL && bytes32_eq(&full, &want));
    uint64_t back[] = {8, 3};
    for (size_t i = 0; i < 2; i++) {
        CHECK(db_unwind(two, back[i], &r2) == NULL && bytes32_eq(&r2, &roots[back[i]]));
        check_latest(two, after[back[i]], &w);
    }
    for (int i = 0; i < K; i++) mem_state_free(after[i]);
    change_set_free(&cs);
    db_close(one);
    db_close(two);
    mem_state_free(ref);
    tmp_remove(&t1);
    tmp_remove(&t2);
}

/* A kept preview (the node's block building) is written by the commit of
 * its change set; a stale one (a block committed since) is ignored and the commit computes the root itself. Roots, flat state
 * and change sets (an unwind) must be as a plain commit leaves them. */
TEST(db_kept_preview_is_committed_or_ignored) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0}, other = {0};
    gen_changes(&w, &cs, 30);
    CHECK(db_load_state(d, &cs, NULL) == NULL);
    mem_state_apply(ref, &cs);
    bytes32 root, want, after_1 = {{0}};
    for (uint64_t n = 0; n < 12; n++) {
        gen_changes(&w, &cs, n == 0 ? 0 : 1 + (int)(rnd() % 14));
        db_preview *pv = NULL;
        bytes32 previewed;
        CHECK(db_preview_root_keep(d, &cs, NULL, &previewed, &pv) == NULL && pv != NULL);
        bool stale = n % 3 == 2;
        if (stale) { /* another block comes first */
            gen_changes(&w, &other, 3);
            mem_state_apply(ref, &other);
            want = mem_state_root(ref);
            CHECK(commit(d, n, &other, true, &want, &root) == NULL);
            n++;
        }
        mem_state_apply(ref, &cs);
        want = mem_state_root(ref);
        if (!stale) CHECK(bytes32_eq(&previewed, &want));
        db_commit_stats st;
        const char *err = commit_with_preview(d, n, &cs, pv, &want, &root, &st);
        if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
        CHECK(err == NULL && bytes32_eq(&root, &want));
        /* the kept work is written, except when stale or on a store without a head */
        CHECK(stale || n == 0 ? st.prepare > 0 : st.prepare == 0 && st.root == 0);
        db_preview_free(pv);
        if (n == 1) after_1 = want;
    }
    bytes32 full;
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &want));
    check_latest(d, ref, &w);
    CHECK(db_unwind(d, 1, &root) == NULL && bytes32_eq(&root, &after_1));
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &after_1));
    change_set_free(&cs);
    change_set_free(&other);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

/* Reads through a logging snapshot, as a block's execution makes them:
 * most accounts and slots the block changes (not all), and others. */
typedef struct {
    db_snapshot *s;
    const change_set *cs;
    const world *w;
    unsigned half;
} log_reader;

static void *log_reader_main(void *arg) {
    log_reader *r = arg;
    state_view v = db_snapshot_view(r->s);
    uint64_t x = 0x9e3779b97f4a7c15ULL * (r->half + 1);
    for (size_t i = r->half; i < r->cs->n_accounts; i += 2) {
        const account_change *ac = &r->cs->accounts[i];
        account_info info;
        if (test_xorshift(&x) % 4) v.ops->get_account(v.ctx, &ac->addr, FIELD_ALL, &info);
        for (uint32_t k = 0; k < ac->n_slots; k++)
            if (test_xorshift(&x) % 4) v.ops->get_storage(v.ctx, &ac->addr, &r->cs->slots[ac->first_slot + k].key);
        const address *other = &r->w->addrs[test_xorshift(&x) % N_ADDRS];
        v.ops->get_account(v.ctx, other, FIELD_ALL, &info);
        v.ops->get_storage(v.ctx, other, &r->w->slots[test_xorshift(&x) % N_SLOTS]);
    }
    return NULL;
}

/* A preview given the snapshot a block executed on takes the prior values
 * its reads found (db_preview_root_keep's reads), from two lanes' logs,
 * and reaches the mirror's root; so does the commit that writes it, and an
 * unwind through those blocks (the change sets' priors) restores the
 * mirror's state. A snapshot of an older commit (a block committed since,
 * changing the same accounts) is ignored. With one thread (no read-ahead)
 * and with two. */
TEST(db_preview_takes_logged_reads) {
    for (unsigned threads = 1; threads <= 2; threads++) {
        tmpdir t;
        tmp_make(&t);
        mem_state *ref = mem_state_new();
        world w;
        world_init(&w, ref);
        db *d = open_db(&t, threads);
        change_set cs = {0}, other = {0};
        gen_changes(&w, &cs, 200);
        CHECK(db_load_state(d, &cs, NULL) == NULL);
        mem_state_apply(ref, &cs);
        enum { K = 9 };
        mem_state *after[K];
        size_t from_log = 0;
        for (uint64_t n = 0; n < K; n++) {
            gen_changes(&w, &cs, 60 + (int)(rnd() % 100));
            db_snapshot *s;
            CHECK(db_snapshot_open(d, 2, &s) == NULL);
            db_snapshot_log_reads(s, true);
            log_reader r[2] = {{s, &cs, &w, 0}, {s, &cs, &w, 1}};
            pthread_t th;
            CHECK(pthread_create(&th, NULL, log_reader_main, &r[1]) == 0);
            log_reader_main(&r[0]);
            pthread_join(th, NULL);
            bool stale = n % 3 == 1;
            if (stale) { /* another block, on another thread, changes what s read */
                gen_changes(&w, &other, 40);
                mem_state_apply(ref, &other);
                parent_commit pc = {.d = d, .n = n, .cs = &other, .want = mem_state_root(ref)};
                CHECK(pthread_create(&th, NULL, parent_commit_main, &pc) == 0);
                pthread_join(th, NULL);
                CHECK(pc.err == NULL && bytes32_eq(&pc.root, &pc.want));
                after[n++] = mem_state_clone(ref);
            }
            mem_state_apply(ref, &cs);
            bytes32 want = mem_state_root(ref), root;
            db_preview *pv = NULL;
            CHECK(db_preview_root_keep(d, &cs, s, &root, &pv) == NULL && bytes32_eq(&root, &want));
            db_snapshot_close(s);
            db_commit_stats st = {0};
            const char *err = commit_with_preview(d, n, &cs, pv, &want, &root, &st);
            if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
            CHECK(err == NULL && bytes32_eq(&root, &want));
            if (n > 0) { /* block 0 has no head for its preview to be on */
                CHECK(st.prepare == 0 && st.root == 0); /* the preview's work was written */
                CHECK(stale ? st.from_log == 0 : st.from_log > 0 && st.from_log <= st.accounts + st.slots);
            }
            from_log += st.from_log;
            db_preview_free(pv);
            after[n] = mem_state_clone(ref);
        }
        CHECK(from_log > 0);
        check_latest(d, ref, &w);
        bytes32 full, root;
        CHECK(db_root_full(d, &full) == NULL);
        bytes32 want = mem_state_root(ref);
        CHECK(bytes32_eq(&full, &want));
        CHECK(db_unwind(d, 3, &root) == NULL);
        want = mem_state_root(after[3]);
        CHECK(bytes32_eq(&root, &want));
        check_latest(d, after[3], &w);
        for (int i = 0; i < K; i++) mem_state_free(after[i]);
        change_set_free(&cs);
        change_set_free(&other);
        db_close(d);
        mem_state_free(ref);
        tmp_remove(&t);
    }
}

/* Blocks committed in batches (one write transaction, root at the end),
 * mixed with single blocks: every root equals the mirror's, and unwinding
 * into the middle of a batch restores that block's state. */
TEST(db_batches_of_blocks) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    enum { MAXB = 6, TOTAL = 48 };
    change_set cs[MAXB] = {{0}};
    uint8_t headers[MAXB][16];
    db_block blocks[MAXB];
    mem_state *at[TOTAL] = {0};
    bytes32 roots[TOTAL];
    uint64_t n = 0;
    while (n < TOTAL) {
        size_t k = 1 + rnd() % MAXB;
        if (n + k > TOTAL) k = TOTAL - n;
        for (size_t i = 0; i < k; i++, n++) {
            gen_changes(&w, &cs[i], 1 + (int)(rnd() % 12));
            mem_state_apply(ref, &cs[i]);
            roots[n] = mem_state_root(ref);
            at[n] = mem_state_clone(ref);
            fake_header(n, 0, headers[i]);
            blocks[i] = (db_block){.number = n, .header = {headers[i], 16}, .changes = &cs[i]};
        }
        /* no root, a root at the last block, or one at each (checked
         * against the mirror's: a wrong one would fail the batch) */
        int mode = (int)(rnd() % 3);
        bool with_root = mode != 0;
        for (size_t i = mode == 2 ? 0 : k - 1; with_root && i < k; i++) {
            blocks[i].root = true;
            blocks[i].expected_root = &roots[n - k + i];
        }
        /* sometimes the first block's root work was previewed (used when
         * the trie is up to date) */
        db_preview *pv = NULL;
        bytes32 pr;
        if (mode == 2 && rnd() % 2 && db_preview_root_keep(d, &cs[0], NULL, &pr, &pv) == NULL) {
            CHECK(bytes32_eq(&pr, &roots[n - k]));
            blocks[0].preview = pv;
        }
        bytes32 root;
        const char *err = db_commit_blocks(d, blocks, k, &root);
        db_preview_free(pv);
        CHECK(err == NULL);
        if (err) fprintf(stderr, "  batch ending at %llu (mode %d): %s\n", (unsigned long long)n - 1, mode, err);
        if (with_root || n == k) CHECK(bytes32_eq(&root, &roots[n - 1]));
        if (rnd() % 4 == 0) {
            bytes32 full;
            CHECK(db_root_full(d, &full) == NULL);
            CHECK(bytes32_eq(&full, &roots[n - 1]));
        }
    }
    bytes32 root, full;
    CHECK(db_update_root(d, &root) == NULL && bytes32_eq(&root, &roots[TOTAL - 1]));
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[TOTAL - 1]));
    check_latest(d, ref, &w);
    /* a batch whose root is wrong writes nothing */
    gen_changes(&w, &cs[0], 5);
    fake_header(TOTAL, 0, headers[0]);
    bytes32 wrong = {{9}};
    blocks[0] = (db_block){.number = TOTAL, .header = {headers[0], 16}, .changes = &cs[0], .root = true,
                           .expected_root = &wrong};
    blocks[1] = blocks[0];
    blocks[0].root = false, blocks[0].expected_root = NULL;
    blocks[1].number = TOTAL + 1;
    CHECK(db_commit_blocks(d, blocks, 2, NULL) == DB_ROOT_MISMATCH);
    blocks[0].root = true; /* a root at each block: the second is wrong */
    CHECK(db_commit_blocks(d, blocks, 2, NULL) == DB_ROOT_MISMATCH);
    blocks[0].expected_root = &wrong; /* the first is wrong */
    blocks[1].expected_root = NULL;
    CHECK(db_commit_blocks(d, blocks, 2, NULL) == DB_ROOT_MISMATCH);
    blocks[1].root = false; /* a root before the last block only */
    const char *order = db_commit_blocks(d, blocks, 2, NULL);
    CHECK(order != NULL && order != DB_ROOT_MISMATCH);
    check_latest(d, ref, &w);
    /* unwinds land inside former batches */
    for (uint64_t j = TOTAL - 3; j > 3; j -= 7) {
        CHECK(db_unwind(d, j, &root) == NULL);
        CHECK(bytes32_eq(&root, &roots[j]));
        check_latest(d, at[j], &w);
    }
    for (int i = 0; i < TOTAL; i++) mem_state_free(at[i]);
    for (int i = 0; i < MAXB; i++) change_set_free(&cs[i]);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

TEST(db_lagging_trie_catches_up) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0};
    bytes32 root, want;
    for (uint64_t n = 0; n < 40; n++) {
        gen_changes(&w, &cs, 1 + (int)(rnd() % 10));
        mem_state_apply(ref, &cs);
        bool with_root = n == 0 || n % 7 == 0;
        want = mem_state_root(ref);
        CHECK(commit(d, n, &cs, with_root, with_root ? &want : NULL, &root) == NULL);
        if (with_root) CHECK(bytes32_eq(&root, &want));
        if (n % 11 == 5) { /* catch up without a block */
            CHECK(db_update_root(d, &root) == NULL);
            CHECK(bytes32_eq(&root, &want));
        }
    }
    CHECK(db_update_root(d, &root) == NULL);
    CHECK(bytes32_eq(&root, &want));
    bytes32 full;
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &want));
    check_latest(d, ref, &w);
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

TEST(db_unwind_restores_exact_state_and_history_reads) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    enum { K = 24 };
    mem_state *after[K];
    bytes32 roots[K];
    change_set cs = {0};
    for (uint64_t n = 0; n < K; n++) {
        gen_changes(&w, &cs, n == 0 ? 20 : 1 + (int)(rnd() % 12));
        mem_state_apply(ref, &cs);
        roots[n] = mem_state_root(ref);
        after[n] = mem_state_clone(ref);
        bool with_root = n % 3 != 1; /* some blocks leave the trie behind */
        CHECK(commit(d, n, &cs, with_root, NULL, NULL) == NULL);
    }
    /* historical snapshots see each block's state */
    for (uint64_t j = 0; j < K; j += 5) {
        db_snapshot *s;
        CHECK(db_snapshot_at(d, j, 2, &s) == NULL);
        uint64_t at;
        CHECK(db_snapshot_block(s, &at) == NULL && at == j);
        check_state(d, s, after[j], &w);
        db_snapshot_close(s);
    }
    db_snapshot *bad;
    CHECK(db_snapshot_at(d, K, 1, &bad) != NULL);
    /* unwind in steps, checking the root and state each time */
    uint64_t targets[] = {20, 20, 13, 6};
    bytes32 root;
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        uint64_t j = targets[i];
        CHECK(db_unwind(d, j, &root) == NULL);
        CHECK(bytes32_eq(&root, &roots[j]));
        check_latest(d, after[j], &w);
        bytes32 full;
        CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[j]));
        db_snapshot *s;
        CHECK(db_snapshot_open(d, 1, &s) == NULL);
        uint64_t head, stage, num;
        bytes32 h;
        uint32_t idx;
        CHECK(db_head(s, &head, NULL) == NULL && head == j);
        CHECK(db_stage(s, "execution", &stage) == NULL && stage == j);
        CHECK(db_canonical_hash(s, j + 1, &h) == DB_NOT_FOUND);
        uint8_t hdr[16];
        bytes32 tx_next = keccak256_hash((fake_header(j + 1, 0, hdr), hdr), 9), tx_here = keccak256_hash((fake_header(j, 0, hdr), hdr), 9);
        CHECK(db_tx_location(s, &tx_next, &num, &idx) == DB_NOT_FOUND);
        CHECK(db_tx_location(s, &tx_here, &num, &idx) == NULL && num == j && idx == 0);
        db_snapshot_close(s);
    }
    CHECK(db_unwind(d, 7, &root) != NULL); /* above the head */
    /* the chain goes on from the unwound state (the first mirror owns the
     * code objects: it lives until the end) */
    mem_state *owner = ref;
    ref = mem_state_clone(after[6]);
    for (uint64_t n = 7; n < 15; n++) {
        gen_changes(&w, &cs, 1 + (int)(rnd() % 12));
        mem_state_apply(ref, &cs);
        bytes32 want = mem_state_root(ref);
        const char *err = commit(d, n, &cs, true, NULL, &root);
        CHECK(err == NULL);
        CHECK(bytes32_eq(&root, &want));
        bytes32 full;
        CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &want));
        if (!bytes32_eq(&root, &want)) fprintf(stderr, "  block %d: full %d\n", (int)n, bytes32_eq(&full, &want));
        if (getenv("DB_DEBUG")) check_latest(d, ref, &w);
    }
    check_latest(d, ref, &w);
    for (int i = 0; i < K; i++) mem_state_free(after[i]);
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    mem_state_free(owner);
    tmp_remove(&t);
}

TEST(db_root_mismatch_and_order_errors_write_nothing) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 1);
    change_set cs = {0};
    gen_changes(&w, &cs, 10);
    CHECK(commit(d, 1, &cs, true, NULL, NULL) != NULL); /* the first block must be 0 */
    CHECK(commit(d, 0, &cs, true, NULL, NULL) == NULL);
    mem_state_apply(ref, &cs);
    CHECK(db_load_state(d, &cs, NULL) != NULL); /* only before block 0 */
    gen_changes(&w, &cs, 10);
    bytes32 wrong = {{1}};
    CHECK(commit(d, 1, &cs, true, &wrong, NULL) == DB_ROOT_MISMATCH);
    CHECK(commit(d, 2, &cs, true, NULL, NULL) != NULL);
    check_latest(d, ref, &w); /* still the state after block 0 */
    db_snapshot *s;
    uint64_t head;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    CHECK(db_head(s, &head, NULL) == NULL && head == 0);
    db_snapshot_close(s);
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

TEST(db_chain_data_round_trip) {
    tmpdir t;
    tmp_make(&t);
    db *d = open_db(&t, 1);
    uint8_t header[16];
    bytes32 hash = fake_header(0, 0, header);
    bytes32 txs[3];
    for (int i = 0; i < 3; i++) txs[i] = keccak256_hash(&i, sizeof i);
    db_checkpoint cps[2] = {{"headers", 0}, {"bodies", 0}};
    db_block b = {.number = 0, .header = {header, 16}, .body = {(const uint8_t *)"body", 4},
                  .receipts = {(const uint8_t *)"rcpt", 4}, .tx_hashes = txs, .n_txs = 3,
                  .checkpoints = cps, .n_checkpoints = 2};
    bytes32 root;
    CHECK(db_commit_block(d, &b, &root) == NULL);
    CHECK(bytes32_eq(&root, &EMPTY_TRIE_ROOT));
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    buf_t out = {0};
    bytes32 h;
    uint64_t num;
    uint32_t idx;
    CHECK(db_canonical_hash(s, 0, &h) == NULL && bytes32_eq(&h, &hash));
    CHECK(db_block_number(s, &hash, &num) == NULL && num == 0);
    CHECK(db_read_header(s, 0, &hash, &out) == NULL && out.len == 16 && !memcmp(out.data, header, 16));
    buf_clear(&out);
    CHECK(db_read_body(s, 0, &hash, &out) == NULL && out.len == 4 && !memcmp(out.data, "body", 4));
    buf_clear(&out);
    CHECK(db_read_receipts(s, 0, &hash, &out) == NULL && out.len == 4 && !memcmp(out.data, "rcpt", 4));
    buf_clear(&out);
    CHECK(db_read_block_txs(s, 0, &hash, &out) == NULL && out.len == 96 && !memcmp(out.data, txs, 96));
    CHECK(db_tx_location(s, &txs[2], &num, &idx) == NULL && num == 0 && idx == 2);
    CHECK(db_stage(s, "bodies", &num) == NULL && num == 0);
    CHECK(db_stage(s, "senders", &num) == DB_NOT_FOUND);
    CHECK(db_read_header(s, 1, &hash, &out) == DB_NOT_FOUND);
    CHECK(db_snapshot_error(s) == NULL);
    state_view v = db_snapshot_view(s);
    bytes32 bh = v.ops->get_block_hash(v.ctx, 0), none = v.ops->get_block_hash(v.ctx, 1);
    CHECK(bytes32_eq(&bh, &hash) && bytes32_is_zero(&none));
    db_snapshot_close(s);
    buf_free(&out);
    db_close(d);
    tmp_remove(&t);
}

TEST(db_map_grows_when_full) {
    tmpdir t;
    tmp_make(&t);
    db *d = NULL;
    db_options o = {.map_size = 1 << 20, .no_sync = true, .threads = 2};
    CHECK(db_open(t.path, &o, &d) == NULL);
    mem_state *ref = mem_state_new();
    change_set cs = {0};
    /* about 8 MiB of state in four blocks, and one storage trie big enough
     * to be split below the account level (20000 slots, then 3000 changes) */
    address big;
    memset(big.b, 0xbb, 20);
    for (uint64_t n = 0; n < 4; n++) {
        change_set_clear(&cs);
        if (n == 0 || n == 2) {
            account_change *ac = change_set_add_account(&cs, &big);
            ac->flags = CHANGE_NONCE;
            ac->nonce = n + 1;
            for (uint64_t k = 0; k < (n == 0 ? 20000u : 3000u); k++) {
                u256 key = u256_from_u64(n == 0 ? k : k * 7 + 5), val = u256_from_u64(k % 5 == 0 ? 0 : k + n);
                change_set_add_slot(&cs, ac, &key, &val);
            }
        }
        for (int i = 0; i < 3000; i++) {
            uint64_t id = n * 3000 + (uint64_t)i;
            bytes32 h = keccak256_hash(&id, sizeof id);
            address a;
            memcpy(a.b, h.b, 20);
            account_change *ac = change_set_add_account(&cs, &a);
            ac->flags = CHANGE_BALANCE;
            ac->balance = u256_from_u64(id + 1);
            for (int k = 0; k < 8; k++) {
                u256 key = u256_from_u64((uint64_t)k), val = u256_from_u64(id * 8 + (uint64_t)k + 1);
                change_set_add_slot(&cs, ac, &key, &val);
            }
        }
        mem_state_apply(ref, &cs);
        bytes32 want = mem_state_root(ref), root;
        const char *err = commit(d, n, &cs, true, &want, &root);
        CHECK(err == NULL);
        if (err) fprintf(stderr, "  %s\n", err);
    }
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

TEST(db_load_state_in_chunks) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0};
    bytes32 root, want;
    for (int chunk = 0; chunk < 3; chunk++) { /* the same accounts recur across chunks */
        gen_changes(&w, &cs, 25);
        CHECK(db_load_state(d, &cs, &root) == NULL);
        mem_state_apply(ref, &cs);
        want = mem_state_root(ref);
        CHECK(bytes32_eq(&root, &want));
    }
    db_snapshot *s;
    uint64_t trie_block = 0;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    CHECK(db_state_root(s, &root, &trie_block) == NULL && bytes32_eq(&root, &want) && trie_block == UINT64_MAX);
    uint64_t head;
    CHECK(db_head(s, &head, NULL) == DB_NOT_FOUND);
    db_snapshot_close(s);
    CHECK(commit(d, 0, NULL, false, &want, &root) == NULL); /* block 0 always gets its root */
    CHECK(bytes32_eq(&root, &want));
    check_latest(d, ref, &w);
    change_set_free(&cs);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

/* Another process commits (and grows the map) while this one has the store
 * open: this process adopts the new map size and reads the new block. */
TEST(db_second_process_grows_the_map) {
    tmpdir t;
    tmp_make(&t);
    db_options o = {.map_size = 1 << 20, .no_sync = true};
    db *d;
    CHECK(db_open(t.path, &o, &d) == NULL);
    CHECK(commit(d, 0, NULL, true, NULL, NULL) == NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        db *c;
        if (db_open(t.path, &o, &c)) _exit(1);
        change_set cs = {0};
        for (int i = 0; i < 4000; i++) {
            address a;
            bytes32 h = keccak256_hash(&i, sizeof i);
            memcpy(a.b, h.b, 20);
            account_change *ac = change_set_add_account(&cs, &a);
            ac->flags = CHANGE_BALANCE;
            ac->balance = u256_from_u64(7);
            for (int k = 0; k < 4; k++) {
                u256 key = u256_from_u64((uint64_t)k), val = u256_from_u64(9);
                change_set_add_slot(&cs, ac, &key, &val);
            }
        }
        const char *err = commit(c, 1, &cs, true, NULL, NULL);
        db_close(c);
        _exit(err ? 2 : 0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    db_snapshot *s;
    const char *err = db_snapshot_open(d, 2, &s);
    CHECK(err == NULL);
    if (!err) {
        uint64_t head;
        account_info a;
        address first;
        int zero = 0;
        bytes32 h = keccak256_hash(&zero, sizeof zero);
        memcpy(first.b, h.b, 20);
        CHECK(db_head(s, &head, NULL) == NULL && head == 1);
        CHECK(db_read_account(s, &first, &a) == NULL && a.balance.w[0] == 7);
        db_snapshot_close(s);
    }
    CHECK(commit(d, 2, NULL, true, NULL, NULL) == NULL);
    db_close(d);
    tmp_remove(&t);
}

/* ---- Concurrent readers ---- */

enum { SENTINELS = 16, READ_BLOCKS = 40 };

typedef struct {
    db *d;
    address addrs[SENTINELS];
    atomic_bool done;
    atomic_int bad, reads;
} reader_ctx;

/* Every block sets all sentinels' balance (and one slot) to its number, so
 * a reader sees them all equal to its snapshot's head. */
static void *reader_main(void *arg) {
    reader_ctx *r = arg;
    while (!atomic_load(&r->done)) {
        db_snapshot *s;
        if (db_snapshot_open(r->d, 2, &s)) {
            atomic_fetch_add(&r->bad, 1);
            break;
        }
        uint64_t head;
        if (db_head(s, &head, NULL) == NULL) {
            state_view v = db_snapshot_view(s);
            u256 key = u256_from_u64(7);
            for (int i = 0; i < SENTINELS; i++) {
                account_info a;
                v.ops->get_account(v.ctx, &r->addrs[i], FIELD_ALL, &a);
                u256 slot = v.ops->get_storage(v.ctx, &r->addrs[i], &key);
                if (a.balance.w[0] != head + 1 || slot.w[0] != head + 1) atomic_fetch_add(&r->bad, 1);
            }
            atomic_fetch_add(&r->reads, 1);
        }
        if (db_snapshot_error(s)) atomic_fetch_add(&r->bad, 1);
        db_snapshot_close(s);
    }
    return NULL;
}

TEST(db_parallel_readers_see_whole_blocks) {
    tmpdir t;
    tmp_make(&t);
    reader_ctx r = {.d = open_db(&t, 2)};
    for (int i = 0; i < SENTINELS; i++) {
        bytes32 h = keccak256_hash(&i, sizeof i);
        memcpy(r.addrs[i].b, h.b, 20);
    }
    change_set cs = {0};
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader_main, &r);
    for (uint64_t n = 0; n < READ_BLOCKS; n++) {
        change_set_clear(&cs);
        for (int i = 0; i < SENTINELS; i++) {
            account_change *ac = change_set_add_account(&cs, &r.addrs[i]);
            ac->flags = CHANGE_BALANCE;
            ac->balance = u256_from_u64(n + 1);
            u256 key = u256_from_u64(7), val = u256_from_u64(n + 1);
            change_set_add_slot(&cs, ac, &key, &val);
        }
        CHECK(commit(r.d, n, &cs, n % 2 == 0, NULL, NULL) == NULL);
    }
    atomic_store(&r.done, true);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK(atomic_load(&r.bad) == 0);
    CHECK(atomic_load(&r.reads) > 0);
    change_set_free(&cs);
    db_close(r.d);
    tmp_remove(&t);
}

/* One snapshot shared by several threads (fewer lanes than threads) while
 * the writer commits: every read shows the snapshot's block. */
typedef struct {
    db_snapshot *s;
    const address *addrs;
    uint64_t head;
    atomic_int bad;
} shared_ctx;

static void *shared_reader(void *arg) {
    shared_ctx *r = arg;
    state_view v = db_snapshot_view(r->s);
    u256 key = u256_from_u64(7);
    for (int round = 0; round < 300; round++)
        for (int i = 0; i < SENTINELS; i++) {
            account_info a;
            v.ops->get_account(v.ctx, &r->addrs[i], FIELD_ALL, &a);
            u256 slot = v.ops->get_storage(v.ctx, &r->addrs[i], &key);
            if (a.balance.w[0] != r->head + 1 || slot.w[0] != r->head + 1) atomic_fetch_add(&r->bad, 1);
        }
    return NULL;
}

TEST(db_parallel_shared_snapshot) {
    tmpdir t;
    tmp_make(&t);
    db *d = open_db(&t, 1);
    address addrs[SENTINELS];
    change_set cs = {0};
    for (int i = 0; i < SENTINELS; i++) {
        bytes32 h = keccak256_hash(&i, sizeof i);
        memcpy(addrs[i].b, h.b, 20);
    }
    shared_ctx r = {.addrs = addrs};
    pthread_t th[4];
    for (uint64_t n = 0; n < 6; n++) {
        change_set_clear(&cs);
        for (int i = 0; i < SENTINELS; i++) {
            account_change *ac = change_set_add_account(&cs, &addrs[i]);
            ac->flags = CHANGE_BALANCE;
            ac->balance = u256_from_u64(n + 1);
            u256 key = u256_from_u64(7), val = u256_from_u64(n + 1);
            change_set_add_slot(&cs, ac, &key, &val);
        }
        CHECK(commit(d, n, &cs, true, NULL, NULL) == NULL);
        if (n != 2) continue;
        CHECK(db_snapshot_open(d, 2, &r.s) == NULL);
        CHECK(db_head(r.s, &r.head, NULL) == NULL && r.head == 2);
        for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, shared_reader, &r);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    CHECK(atomic_load(&r.bad) == 0);
    CHECK(db_snapshot_error(r.s) == NULL);
    db_snapshot_close(r.s);
    change_set_free(&cs);
    db_close(d);
    tmp_remove(&t);
}

/* ---- Corrupt records ---- */

/* Writes raw bytes into a table of a closed store. */
static void poke(const tmpdir *t, const char *table, const void *key, size_t kn, const void *val, size_t vn,
                 unsigned flags) {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    CHECK(mdb_env_open(env, t->path, 0, 0644) == 0);
    CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, table, flags, &dbi) == 0);
    MDB_val k = {kn, (void *)key}, v = {vn, (void *)val};
    CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
}

TEST(db_corrupt_records_give_errors) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 1);
    change_set cs = {0};
    for (int i = 0; i < 4; i++) { /* give addrs[0..3] an account with storage */
        account_change *ac = change_set_add_account(&cs, &w.addrs[i]);
        ac->flags = CHANGE_BALANCE;
        ac->balance = u256_from_u64(5);
        u256 v = u256_from_u64(9);
        change_set_add_slot(&cs, ac, &w.slots[1], &v);
    }
    CHECK(commit(d, 0, &cs, true, NULL, NULL) == NULL);
    db_close(d);

    /* state rows: address or slot | trie leaf value, keyed by hashed key */
    uint8_t row0[25];
    memcpy(row0, w.addrs[0].b, 20);
    memcpy(row0 + 20, "\xff\x01\x02\x03\x04", 5);
    bytes32 h0 = keccak256_hash(w.addrs[0].b, 20);
    poke(&t, "hashed_accounts", h0.b, 32, row0, 25, 0);                   /* not RLP */
    uint8_t skey[64], srow[35], sbe[32];
    keccak256(w.addrs[1].b, 20, skey);
    u256_to_be(&w.slots[1], sbe);
    keccak256(sbe, 32, skey + 32);
    memcpy(srow, sbe, 32);
    memcpy(srow + 32, "\x82\x00\x09", 3);
    poke(&t, "hashed_storage", skey, 64, srow, 35, 0);                     /* non-canonical word */
    uint8_t root_key = 0, short_rec[3] = {0, 3, 0};
    poke(&t, "trie_accounts", &root_key, 1, short_rec, 3, 0);             /* truncated record */
    bytes32 code_hash = keccak256_hash("x", 1);
    poke(&t, "code", code_hash.b, 32, "y", 1, 0);                          /* bytes not matching */
    /* addrs[2] claims that code: RLP [0, 5, empty root, code_hash] */
    uint8_t acct[20 + 70] = {0};
    memcpy(acct, w.addrs[2].b, 20);
    memcpy(acct + 20, "\xf8\x44\x80\x05\xa0", 5);
    memcpy(acct + 25, EMPTY_TRIE_ROOT.b, 32);
    acct[57] = 0xa0;
    memcpy(acct + 58, code_hash.b, 32);
    bytes32 h2 = keccak256_hash(w.addrs[2].b, 20);
    poke(&t, "hashed_accounts", h2.b, 32, acct, 90, 0);
    /* addrs[3]'s row names addrs[2] as its preimage */
    bytes32 h3 = keccak256_hash(w.addrs[3].b, 20);
    poke(&t, "hashed_accounts", h3.b, 32, acct, 90, 0);

    d = open_db(&t, 1);
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    account_info a;
    u256 v;
    const evm_code *c;
    CHECK(db_read_account(s, &w.addrs[0], &a) != NULL && db_read_account(s, &w.addrs[0], &a) != DB_NOT_FOUND);
    CHECK(db_read_storage(s, &w.addrs[1], &w.slots[1], &v) != NULL);
    CHECK(db_read_account(s, &w.addrs[2], &a) == NULL);
    CHECK(db_read_code(s, &a.code_hash, &c) != NULL);
    CHECK(db_read_account(s, &w.addrs[3], &a) != NULL && db_read_account(s, &w.addrs[3], &a) != DB_NOT_FOUND);
    state_view view = db_snapshot_view(s);
    view.ops->get_code(view.ctx, &w.addrs[2]);
    CHECK(db_snapshot_error(s) != NULL);
    db_snapshot_close(s);
    bytes32 full;
    CHECK(db_root_full(d, &full) != NULL);
    /* a block touching the corrupt rows fails cleanly */
    change_set_clear(&cs);
    account_change *ac = change_set_add_account(&cs, &w.addrs[0]);
    ac->flags = CHANGE_NONCE;
    ac->nonce = 3;
    CHECK(commit(d, 1, &cs, true, NULL, NULL) != NULL);
    /* the truncated root record stops the root computation */
    change_set_clear(&cs);
    ac = change_set_add_account(&cs, &w.addrs[9]);
    ac->flags = CHANGE_NONCE;
    ac->nonce = 3;
    const char *err = commit(d, 1, &cs, true, NULL, NULL);
    CHECK(err != NULL);
    db_close(d);

    /* a corrupt change set row: history reads and unwinds fail cleanly */
    d = open_db(&t, 1);
    change_set_clear(&cs);
    ac = change_set_add_account(&cs, &w.addrs[9]);
    ac->flags = CHANGE_NONCE;
    ac->nonce = 1;
    CHECK(commit(d, 1, &cs, false, NULL, NULL) == NULL);
    db_close(d);
    uint8_t num1[8] = {0, 0, 0, 0, 0, 0, 0, 1}, row[24];
    memcpy(row, w.addrs[10].b, 20);
    memcpy(row + 20, "\xc1\xc0\x01\x02", 4); /* not an account */
    poke(&t, "acct_changes", num1, 8, row, 24, MDB_DUPSORT);
    d = open_db(&t, 1);
    CHECK(db_snapshot_at(d, 0, 1, &s) == NULL);
    CHECK(db_read_account(s, &w.addrs[9], &a) == DB_NOT_FOUND); /* its real row: absent before */
    CHECK(db_snapshot_error(s) == NULL);
    CHECK(db_read_account(s, &w.addrs[10], &a) != NULL);
    CHECK(db_snapshot_error(s) != NULL);
    db_snapshot_close(s);
    CHECK(db_unwind(d, 0, NULL) != NULL);
    db_close(d);

    /* an unreadable head */
    poke(&t, "meta", "head", 4, "short", 5, 0);
    d = open_db(&t, 1);
    CHECK(db_snapshot_open(d, 1, &s) != NULL);
    CHECK(commit(d, 1, &cs, true, NULL, NULL) != NULL);
    db_close(d);
    /* another schema */
    uint8_t ver[4] = {0, 0, 0, 99};
    poke(&t, "meta", "schema", 6, ver, 4, 0);
    d = NULL;
    CHECK(db_open(t.path, NULL, &d) != NULL && d == NULL);
    change_set_free(&cs);
    mem_state_free(ref);
    tmp_remove(&t);
}
