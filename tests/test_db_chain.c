/* Tests for the store's root work on blocks that are not written yet
 * (db.h): chained previews computed on unwritten ancestors while their
 * commits run, and db_preroot's rounds while a block executes, on the
 * store's head and chained. Each checks the roots against a mirrored
 * mem_state, the commits that write the kept work, full rebuilds and
 * unwinds through those blocks. */
#include <stdatomic.h>

#include "db_helpers.h"

/* Chained previews (db_preview_root_chain): a block's root computed on its
 * unwritten parent's preview -- before the parent's commit, during it (on
 * another thread), or after it -- equals the mirror's, and its commit
 * writes the kept work. Wipes of stored storage are refused (the block then
 * commits normally). A chained preview whose parent was replaced by another
 * block is ignored. Full rebuilds and unwinds (the change sets' priors come
 * from the parent's state) agree throughout. */
TEST(db_chained_previews_match_plain_commits) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs[2] = {{0}}, other = {0};
    load_genesis(d, ref, &w, &cs[0]);
    enum { BLOCKS = 40 };
    bytes32 roots[BLOCKS + 1], root;
    roots[0] = mem_state_root(ref);
    /* block 1: an ordinary preview on the head */
    gen_changes(&w, &cs[1], 10);
    without_wipes(&cs[1]);
    db_preview *parent = NULL;
    CHECK(db_preview_root_keep(d, &cs[1], NULL, &root, &parent) == NULL);
    mem_state_apply(ref, &cs[1]);
    roots[1] = mem_state_root(ref);
    CHECK(bytes32_eq(&root, &roots[1]));
    int chained = 0, refused = 0, during = 0;
    for (uint64_t n = 2; n <= BLOCKS; n++) {
        change_set *c = &cs[n % 2];
        gen_changes(&w, c, rnd() % 4 ? 1 + (int)(rnd() % 14) : 60 + (int)(rnd() % 60)); /* large: read ahead */
        if (rnd() % 3) without_wipes(c);
        mem_state_apply(ref, c);
        roots[n] = mem_state_root(ref);
        uint8_t hb[16];
        bytes32 parent_hash = fake_header(n - 1, 0, hb);
        parent_commit pc = {.d = d, .n = n - 1, .cs = &cs[(n - 1) % 2], .pv = parent, .want = roots[n - 1]};
        int mode = (int)(rnd() % 3); /* the parent's commit: after, during, before */
        pthread_t th;
        if (mode == 2) run_parent_commit(&pc);
        if (mode == 1) CHECK(pthread_create(&th, NULL, parent_commit_main, &pc) == 0);
        db_preview *pv = NULL;
        db_preview_link link = {parent, parent_hash};
        const char *err = db_preview_root_chain(d, &link, 1, c, &root, &pv);
        if (mode == 1) {
            CHECK(pthread_join(th, NULL) == 0);
            CHECK(pc.err == NULL && bytes32_eq(&pc.root, &pc.want));
            if (pc.pv) CHECK(pc.st.prepare == 0 && pc.st.root == 0);
            during++;
        }
        if (mode == 0) run_parent_commit(&pc);
        if (err) { /* the block's root after its parent's write, as without chaining */
            if (getenv("DB_DEBUG")) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
            CHECK(pv == NULL);
            refused++;
            CHECK(db_preview_root_keep(d, c, NULL, &root, &pv) == NULL && bytes32_eq(&root, &roots[n]));
        } else {
            CHECK(bytes32_eq(&root, &roots[n]));
            chained++;
        }
        db_preview_free(parent);
        parent = pv;
        if (n % 10 == 0) {
            bytes32 full;
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[n - 1]));
        }
    }
    parent_commit last = {.d = d, .n = BLOCKS, .cs = &cs[BLOCKS % 2], .pv = parent, .want = roots[BLOCKS]};
    run_parent_commit(&last);
    db_preview_free(parent);
    check_latest(d, ref, &w);
    if (getenv("DB_DEBUG")) fprintf(stderr, "  chained %d, refused %d, during %d\n", chained, refused, during);
    CHECK(chained >= 15 && refused >= 1 && during >= 5);
    /* a chained preview whose parent gives way to another block: ignored */
    gen_changes(&w, &cs[0], 5);
    without_wipes(&cs[0]);
    CHECK(db_preview_root_keep(d, &cs[0], NULL, &root, &parent) == NULL);
    gen_changes(&w, &cs[1], 5);
    without_wipes(&cs[1]);
    uint8_t hb[16], other_header[16];
    bytes32 parent_hash = fake_header(BLOCKS + 1, 0, hb);
    db_preview *child = NULL;
    db_preview_link link = {parent, parent_hash};
    CHECK(db_preview_root_chain(d, &link, 1, &cs[1], &root, &child) == NULL);
    gen_changes(&w, &other, 5);
    mem_state_apply(ref, &other);
    fake_header(BLOCKS + 1, 1, other_header); /* another block at the parent's height */
    db_block ob = {.number = BLOCKS + 1, .header = {other_header, 16}, .changes = &other, .root = true};
    CHECK(db_commit_block(d, &ob, NULL) == NULL);
    mem_state_apply(ref, &cs[1]);
    bytes32 want = mem_state_root(ref);
    db_commit_stats st;
    CHECK(commit_with_preview(d, BLOCKS + 2, &cs[1], child, &want, &root, &st) == NULL && bytes32_eq(&root, &want));
    CHECK(st.root > 0); /* computed again */
    db_preview_free(parent);
    db_preview_free(child);
    check_latest(d, ref, &w);
    /* the change sets hold the right priors: unwinds reach earlier roots */
    for (uint64_t k = BLOCKS; k >= 5 && k <= BLOCKS; k -= 7) {
        bytes32 full;
        CHECK(db_unwind(d, k, &root) == NULL && bytes32_eq(&root, &roots[k]));
        CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[k]));
    }
    change_set_free(&cs[0]);
    change_set_free(&cs[1]);
    change_set_free(&other);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

/* A batch of blocks, each with a root, committed on a thread of its own. */
typedef struct {
    db *d;
    db_block *blocks;
    size_t n;
    bytes32 root;
    db_commit_stats st;
    const char *err;
} batch_commit;

static void *batch_commit_main(void *arg) {
    batch_commit *c = arg;
    c->blocks[c->n - 1].stats = &c->st;
    c->err = db_commit_blocks(c->d, c->blocks, c->n, &c->root);
    return NULL;
}

/* Chained previews over several unwritten blocks (the importer's queue and
 * the batch its committer writes): each block's root is computed on the
 * previews of every block between the store's head and it, while batches
 * of those blocks are written (before, during, or not yet), a root checked
 * at each block of a batch. The roots equal the mirror's; a batch whose
 * blocks all have previews only writes; wipes of stored storage are
 * refused and such blocks' roots computed in the batch's commit (over the
 * earlier blocks of the batch). Full rebuilds and unwinds agree. */
TEST(db_chained_previews_over_unwritten_batches) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    enum { BLOCKS = 60 };
    change_set *cs = calloc(BLOCKS + 1, sizeof *cs);
    db_preview **pv = calloc(BLOCKS + 1, sizeof *pv);
    uint8_t (*hdr)[16] = calloc(BLOCKS + 1, sizeof *hdr);
    bytes32 *hash = calloc(BLOCKS + 1, sizeof *hash), *roots = calloc(BLOCKS + 1, sizeof *roots);
    load_genesis(d, ref, &w, &cs[0]);
    roots[0] = mem_state_root(ref);
    hash[0] = fake_header(0, 0, hdr[0]);
    uint64_t written = 0; /* the store's head */
    int chained = 0, refused = 0, during = 0, only_writes = 0;
    batch_commit bc = {0};
    pthread_t th;
    bool running = false;
    db_block blocks[BLOCKS];
    for (uint64_t n = 1; n <= BLOCKS + 1; n++) {
        /* maybe start writing a batch of the blocks before n */
        uint64_t pending = n - 1 - written;
        if (!running && pending && (n > BLOCKS || rnd() % 3 == 0)) {
            size_t k = n > BLOCKS ? pending : 1 + rnd() % pending;
            bool all = true;
            for (size_t i = 0; i < k; i++) {
                uint64_t b = written + 1 + i;
                blocks[i] = (db_block){.number = b, .header = {hdr[b], 16}, .changes = &cs[b], .root = true,
                                       .expected_root = &roots[b], .preview = pv[b]};
                all = all && pv[b];
            }
            bc = (batch_commit){.d = d, .blocks = blocks, .n = k};
            if (n <= BLOCKS && rnd() % 2) {
                CHECK(pthread_create(&th, NULL, batch_commit_main, &bc) == 0);
                running = true;
                during++;
            } else {
                batch_commit_main(&bc);
            }
            if (!running) {
                CHECK(bc.err == NULL && bytes32_eq(&bc.root, &roots[written + k]));
                if (all) only_writes += bc.st.root == 0 && bc.st.prepare == 0;
                written += k;
            }
        }
        if (n > BLOCKS) break;
        gen_changes(&w, &cs[n], rnd() % 4 ? 1 + (int)(rnd() % 14) : 60 + (int)(rnd() % 60));
        if (rnd() % 10) without_wipes(&cs[n]);
        mem_state_apply(ref, &cs[n]);
        roots[n] = mem_state_root(ref);
        hash[n] = fake_header(n, 0, hdr[n]);
        /* the links: every block after the store's head (when one is being
         * written, from before it), sometimes one more that is written */
        uint64_t from = written + 1;
        if (from > 1 && rnd() % 3 == 0) from--;
        db_preview_link links[BLOCKS];
        size_t nl = 0;
        for (uint64_t b = from; b < n; b++) links[nl++] = (db_preview_link){pv[b], hash[b]};
        bytes32 root;
        const char *err = nl ? db_preview_root_chain(d, links, nl, &cs[n], &root, &pv[n])
                             : db_preview_root_keep(d, &cs[n], NULL, &root, &pv[n]);
        if (err) {
            if (getenv("DB_DEBUG")) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
            CHECK(pv[n] == NULL);
            refused++;
        } else {
            CHECK(bytes32_eq(&root, &roots[n]));
            chained += nl > 0;
        }
        if (running) {
            CHECK(pthread_join(th, NULL) == 0);
            running = false;
            CHECK(bc.err == NULL && bytes32_eq(&bc.root, &roots[written + bc.n]));
            written += bc.n;
        }
    }
    CHECK_EQ_U64(written, BLOCKS);
    check_latest(d, ref, &w);
    bytes32 full, root;
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[BLOCKS]));
    if (getenv("DB_DEBUG"))
        fprintf(stderr, "  chained %d, refused %d, during %d, only writes %d\n", chained, refused, during, only_writes);
    CHECK(chained >= 20 && refused >= 1 && during >= 5 && only_writes >= 3);
    for (uint64_t k = BLOCKS - 1; k >= 5 && k < BLOCKS; k -= 9) {
        CHECK(db_unwind(d, k, &root) == NULL && bytes32_eq(&root, &roots[k]));
        CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[k]));
    }
    for (int i = 0; i <= BLOCKS; i++) {
        change_set_free(&cs[i]);
        db_preview_free(pv[i]);
    }
    free(cs);
    free(pv);
    free(hdr);
    free(hash);
    free(roots);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

/* The block itself as a guess: a copy of cs, or its entries (accounts,
 * and each one's slots) in reverse order, which has the same effect where
 * the addresses are distinct (change_set_same tells). */
static void whole_guess(const change_set *cs, change_set *out) {
    change_set_clear(out);
    if (rnd() % 2) {
        change_set_append(out, cs, cs->n_accounts);
        return;
    }
    for (size_t i = cs->n_accounts; i-- > 0;) {
        const account_change *a = &cs->accounts[i];
        account_change *c = change_set_add_account(out, &a->addr);
        uint32_t first = c->first_slot;
        *c = *a;
        c->first_slot = first;
        c->n_slots = 0;
        for (uint32_t k = a->n_slots; k-- > 0;)
            change_set_add_slot(out, c, &cs->slots[a->first_slot + k].key, &cs->slots[a->first_slot + k].value);
    }
}

/* A round's guess: the block's first entries, or changes of its own. */
static void guess_for(const world *w, const change_set *cs, change_set *guess) {
    if (rnd() % 3 == 0) {
        gen_changes(w, guess, 1 + (int)(rnd() % 10));
        without_wipes(guess);
    } else {
        change_set_clear(guess);
        change_set_append(guess, cs, (size_t)(rnd() % (cs->n_accounts + 1)));
    }
}

/* A prepare between rounds (db_preroot_prepare), one time in three, on a
 * part of the block or on a wrong guess: work for the next round that
 * never changes a root. */
static bool maybe_prepare(db_preroot *p, const world *w, const change_set *cs, change_set *pre) {
    if (rnd() % 3) return false;
    guess_for(w, cs, pre);
    db_preroot_prepare(p, pre);
    return true;
}

/* The finish of rounds whose last guess may be the block itself (whole):
 * as guessed where change_set_same finds them the same (as the importer
 * does), which must then add no round; *skipped counts those. After a
 * prepare (prepared), the work set holds another guess: that finish walks. */
static const char *finish_rounds(db_preroot *p, const change_set *guess, bool whole, bool prepared,
                                 const change_set *cs, bytes32 *root, db_preview **pv, int *skipped) {
    if (!whole || !change_set_same(guess, cs)) return db_preroot_finish(p, cs, root, pv);
    unsigned before = db_preroot_rounds(p);
    const char *err = db_preroot_finish_as_guessed(p, cs, root, pv);
    if (!err && before) {
        CHECK_EQ_U64(db_preroot_rounds(p), before + prepared);
        *skipped += !prepared;
    }
    return err;
}

/* Root work during execution: rounds on guesses (right, wrong, partial),
 * then the block's change set. The root is the mirror's, the commit writes
 * the kept work (no root of its own), and the store stays consistent:
 * full rebuilds, flat state and an unwind through those blocks agree. A
 * round that cannot follow a wipe fails, and the block commits normally. */
TEST(db_preroot_rounds_match_plain_commits) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0}, guess = {0}, pre = {0};
    load_genesis(d, ref, &w, &cs);
    bytes32 root, want, after_5 = {{0}};
    int used = 0, failed = 0, rounds = 0, skipped = 0, prepared = 0;
    for (uint64_t n = 1; n <= 48; n++) {
        gen_changes(&w, &cs, 1 + (int)(rnd() % 14));
        if (rnd() % 4) without_wipes(&cs);
        db_preroot *p = db_preroot_new(d);
        int k = (int)(rnd() % 4);
        bool whole = k && rnd() % 2; /* the last round's guess: the block */
        for (int r = 0; r < k; r++) {
            if (whole && r == k - 1) {
                whole_guess(&cs, &guess);
            } else if (rnd() % 2) {
                gen_changes(&w, &guess, 1 + (int)(rnd() % 10)); /* a wrong guess */
                without_wipes(&guess);
            } else { /* a part of the block: its first entries */
                change_set_clear(&guess);
                change_set_append(&guess, &cs, (size_t)(rnd() % (cs.n_accounts + 1)));
            }
            prepared += maybe_prepare(p, &w, &cs, &pre);
            bytes32 r_root;
            db_preroot_update(p, &guess, &r_root);
        }
        bool late = k && maybe_prepare(p, &w, &cs, &pre); /* after the last round */
        prepared += late;
        mem_state_apply(ref, &cs);
        want = mem_state_root(ref);
        db_preview *pv = NULL;
        const char *perr = finish_rounds(p, &guess, whole, late, &cs, &root, &pv, &skipped);
        if (!perr) {
            CHECK(bytes32_eq(&root, &want));
            used++;
            rounds += (int)db_preroot_rounds(p);
        } else {
            failed++;
        }
        db_preroot_free(p);
        db_commit_stats st;
        const char *err = commit_with_preview(d, n, &cs, pv, &want, &root, &st);
        if (err) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, err);
        CHECK(err == NULL && bytes32_eq(&root, &want));
        if (pv) CHECK(st.prepare == 0 && st.root == 0);
        db_preview_free(pv);
        if (n == 5) after_5 = want;
        if (n % 8 == 0) {
            bytes32 full;
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &want));
            check_latest(d, ref, &w);
        }
    }
    if (getenv("DB_DEBUG"))
        fprintf(stderr, "  used %d, failed %d, rounds %d, skipped %d, prepared %d\n", used, failed, rounds, skipped,
                prepared);
    CHECK(used >= 24 && failed >= 1 && rounds > used && skipped >= 5 && prepared >= 10);
    bytes32 full;
    CHECK(db_unwind(d, 5, &root) == NULL && bytes32_eq(&root, &after_5));
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &after_5));
    /* the store moving under the rounds ends them */
    db_preroot *p = db_preroot_new(d);
    gen_changes(&w, &guess, 3);
    without_wipes(&guess);
    CHECK(db_preroot_update(p, &guess, &root) == NULL);
    CHECK(commit(d, 6, &guess, true, NULL, NULL) == NULL);
    db_preview *pv = NULL;
    CHECK(db_preroot_finish(p, &guess, &root, &pv) != NULL && pv == NULL);
    db_preroot_free(p);
    /* a finish as guessed too, though it has nothing to walk */
    p = db_preroot_new(d);
    CHECK(db_preroot_update(p, &guess, &root) == NULL);
    CHECK(commit(d, 7, &guess, true, NULL, NULL) == NULL);
    CHECK(db_preroot_finish_as_guessed(p, &guess, &root, &pv) != NULL && pv == NULL);
    db_preroot_free(p);
    change_set_free(&cs);
    change_set_free(&guess);
    change_set_free(&pre);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}


/* Execution's reads, on a thread of their own: every account and slot of
 * the world through a logging snapshot, again and again until stopped. */
typedef struct {
    db_snapshot *s;
    const world *w;
    _Atomic bool stop;
    int passes;
} log_reader;

static void *log_reader_main(void *arg) {
    log_reader *r = arg;
    state_view v = db_snapshot_view(r->s);
    do {
        for (int i = 0; i < N_ADDRS; i++) {
            account_info x;
            v.ops->get_account(v.ctx, &r->w->addrs[i], FIELD_ALL, &x);
            for (int k = (i * 7) % 3; k < N_SLOTS; k += 3) v.ops->get_storage(v.ctx, &r->w->addrs[i], &r->w->slots[k]);
        }
        r->passes++;
    } while (!atomic_load(&r->stop) && r->passes < 50); /* (each pass logs again) */
    return NULL;
}

/* Rounds that take stored values from execution's read log
 * (db_preroot_use_reads) while a thread goes on reading through the
 * snapshot: the roots are the mirror's, and the log gave the prior state
 * of every account that execution had read before the first round. A
 * snapshot of an older commit (a block written after it was opened) is
 * not used: its values are stale, and the roots stay right. */
TEST(db_preroot_rounds_take_priors_from_read_logs) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set cs = {0}, guess = {0};
    load_genesis(d, ref, &w, &cs);
    size_t from_log = 0, stale_from_log = 0, want_logged = 0;
    int used = 0;
    for (uint64_t n = 1; n <= 24; n++) {
        bool stale = n % 6 == 0;
        db_snapshot *s;
        CHECK(db_snapshot_open(d, 2, &s) == NULL);
        db_snapshot_log_reads(s, true);
        gen_changes(&w, &cs, 4 + (int)(rnd() % 12));
        without_wipes(&cs);
        if (stale) { /* the store moves on after the snapshot */
            change_set moved = {0};
            gen_changes(&w, &moved, 12);
            without_wipes(&moved);
            bytes32 r;
            mem_state_apply(ref, &moved);
            log_reader pre = {.s = s, .w = &w};
            log_reader_main(&pre); /* the old values logged */
            CHECK(commit(d, n, &moved, true, NULL, &r) == NULL);
            change_set_free(&moved);
            n++;
        }
        log_reader rd = {.s = s, .w = &w};
        if (!stale) { /* what execution read before the first round: every account */
            log_reader_main(&(log_reader){.s = s, .w = &w, .stop = true});
            for (int i = 0; i < N_ADDRS; i++)
                for (size_t k = 0; k < cs.n_accounts; k++)
                    if (address_eq(&cs.accounts[k].addr, &w.addrs[i])) {
                        want_logged++;
                        break;
                    }
        }
        pthread_t th;
        CHECK(pthread_create(&th, NULL, log_reader_main, &rd) == 0);
        db_preroot *p = db_preroot_new(d);
        db_preroot_use_reads(p, s);
        for (int r = 0; r < 3; r++) {
            change_set_clear(&guess);
            change_set_append(&guess, &cs, (size_t)(r + 1) * cs.n_accounts / 4);
            bytes32 r_root;
            CHECK(db_preroot_update(p, &guess, &r_root) == NULL);
        }
        atomic_store(&rd.stop, true);
        CHECK(pthread_join(th, NULL) == 0);
        mem_state_apply(ref, &cs);
        bytes32 want = mem_state_root(ref), root;
        db_preview *pv = NULL;
        CHECK(db_preroot_finish(p, &cs, &root, &pv) == NULL && bytes32_eq(&root, &want));
        db_preroot_free(p);
        CHECK(db_snapshot_error(s) == NULL);
        db_snapshot_close(s);
        db_commit_stats st;
        CHECK(commit_with_preview(d, n, &cs, pv, &want, &root, &st) == NULL && bytes32_eq(&root, &want));
        db_preview_free(pv);
        if (getenv("DB_DEBUG")) fprintf(stderr, "block %llu stale %d from_log %zu\n", (unsigned long long)n, stale, st.from_log);
        if (stale) stale_from_log += st.from_log;
        else from_log += st.from_log;
        used++;
    }
    check_latest(d, ref, &w);
    bytes32 full, want = mem_state_root(ref);
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &want));
    CHECK(used >= 18 && want_logged > 50 && from_log >= want_logged && stale_from_log == 0);
    change_set_free(&cs);
    change_set_free(&guess);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}

/* One unwritten block of the chained rounds' test: its changes, its kept
 * preview and its root. */
typedef struct {
    change_set *cs; /* in place: the preview points to it */
    db_preview *pv;
    bytes32 root;
    uint64_t n;
} unwritten;

/* Writes the oldest unwritten block (its kept work: no root of its own)
 * and drops it from the list. */
static void write_oldest(db *d, unwritten *u, size_t *nu) {
    parent_commit pc = {.d = d, .n = u[0].n, .cs = u[0].cs, .pv = u[0].pv, .want = u[0].root};
    run_parent_commit(&pc);
    db_preview_free(u[0].pv);
    change_set_free(u[0].cs);
    free(u[0].cs);
    memmove(&u[0], &u[1], (*nu - 1) * sizeof *u);
    (*nu)--;
}

/* Chained rounds (db_preroot_new_chain): a block's root worked out in
 * rounds while up to two of its ancestors are unwritten, the oldest of
 * them being written before the rounds, between two of them (on another
 * thread, while the next round runs) or after the finish. The root is the
 * mirror's, the preview is written by the block's commit (no root of its
 * own) and serves its children as an ancestor. A wipe of stored storage,
 * here or in an ancestor, fails the rounds: those blocks are written the
 * normal way. A store that leaves the ancestors' path ends the rounds.
 * Full rebuilds, flat state and unwinds agree throughout. */
TEST(db_chained_preroot_rounds_match_plain_commits) {
    tmpdir t;
    tmp_make(&t);
    mem_state *ref = mem_state_new();
    world w;
    world_init(&w, ref);
    db *d = open_db(&t, 2);
    change_set guess = {0}, pre = {0};
    unwritten u[4];
    size_t nu = 0;
    memset(u, 0, sizeof u);
    change_set genesis = {0};
    load_genesis(d, ref, &w, &genesis);
    change_set_free(&genesis);
    enum { BLOCKS = 60 };
    bytes32 roots[BLOCKS + 1];
    roots[0] = mem_state_root(ref);
    int used = 0, failed = 0, during = 0, deep = 0, skipped = 0;
    unsigned rounds = 0;
    for (uint64_t n = 1; n <= BLOCKS; n++) {
        unwritten cur = {.cs = calloc(1, sizeof(change_set))}, *b = &cur; /* joins u after its rounds */
        b->n = n;
        gen_changes(&w, b->cs, rnd() % 5 ? 1 + (int)(rnd() % 14) : 60 + (int)(rnd() % 60));
        if (rnd() % 5) without_wipes(b->cs);
        mem_state_apply(ref, b->cs);
        b->root = roots[n] = mem_state_root(ref);
        /* the ancestors: the unwritten ones, or the head itself */
        db_preview_link links[3];
        size_t nl = 0;
        uint8_t hb[16];
        if (!nu) links[nl++] = (db_preview_link){NULL, fake_header(n - 1, 0, hb)};
        for (size_t k = 0; k < nu; k++) links[nl++] = (db_preview_link){u[k].pv, fake_header(u[k].n, 0, hb)};
        deep += nu == 2;
        db_preroot *p = db_preroot_new_chain(d, links, nl);
        /* the oldest ancestor's write: -1 before the rounds, r during round
         * r, k after the finish, k + 1 not yet */
        int k = (int)(rnd() % 4), write_at = nu ? (int)(rnd() % (k + 3)) - 1 : -2;
        bool whole = k && rnd() % 2; /* the last round's guess: the block */
        unwritten gone = {0}; /* written during the rounds: freed after them */
        if (write_at == -1) write_oldest(d, u, &nu);
        for (int r = 0; r < k; r++) {
            pthread_t th;
            parent_commit pc = {.d = d, .n = u[0].n, .cs = u[0].cs, .pv = u[0].pv, .want = u[0].root};
            bool now = r == write_at && nu;
            if (now) CHECK(pthread_create(&th, NULL, parent_commit_main, &pc) == 0);
            if (whole && r == k - 1) whole_guess(b->cs, &guess);
            else guess_for(&w, b->cs, &guess);
            maybe_prepare(p, &w, b->cs, &pre);
            bytes32 r_root;
            db_preroot_update(p, &guess, &r_root);
            if (now) {
                CHECK(pthread_join(th, NULL) == 0);
                CHECK(pc.err == NULL && bytes32_eq(&pc.root, &pc.want));
                CHECK(pc.st.prepare == 0 && pc.st.root == 0);
                gone = u[0];
                memmove(&u[0], &u[1], (nu - 1) * sizeof *u);
                nu--;
                during++;
            }
        }
        bytes32 root;
        bool late = k && maybe_prepare(p, &w, b->cs, &pre); /* after the last round */
        const char *perr = finish_rounds(p, &guess, whole, late, b->cs, &root, &b->pv, &skipped);
        rounds += db_preroot_rounds(p);
        db_preroot_free(p);
        db_preview_free(gone.pv); /* the ancestors outlive the rounds */
        if (gone.cs) change_set_free(gone.cs);
        free(gone.cs);
        if (perr) { /* everything is written the normal way */
            if (getenv("DB_DEBUG")) fprintf(stderr, "  block %llu: %s\n", (unsigned long long)n, perr);
            CHECK(b->pv == NULL);
            failed++;
            while (nu) write_oldest(d, u, &nu);
            CHECK(commit(d, n, b->cs, true, &b->root, &root) == NULL && bytes32_eq(&root, &roots[n]));
            change_set_free(b->cs);
            free(b->cs);
            continue;
        }
        CHECK(bytes32_eq(&root, &roots[n]));
        used++;
        u[nu++] = cur;
        if (nu > 2 || write_at == k) write_oldest(d, u, &nu);
        if (n % 10 == 0) {
            while (nu) write_oldest(d, u, &nu);
            bytes32 full;
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[n]));
            check_latest(d, ref, &w);
        }
    }
    while (nu) write_oldest(d, u, &nu);
    if (getenv("DB_DEBUG"))
        fprintf(stderr, "  used %d, failed %d, during %d, deep %d, rounds %u, skipped %d\n", used, failed, during, deep,
                rounds, skipped);
    CHECK(used >= 30 && failed >= 1 && during >= 5 && deep >= 5 && rounds > (unsigned)used && skipped >= 5);
    check_latest(d, ref, &w);
    for (uint64_t k = BLOCKS; k >= 5 && k <= BLOCKS; k -= 11) {
        bytes32 root, full;
        CHECK(db_unwind(d, k, &root) == NULL && bytes32_eq(&root, &roots[k]));
        CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &roots[k]));
    }
    /* the store leaving the ancestors' path ends the rounds */
    uint8_t hb[16];
    uint64_t head = 5;
    db_preview_link link = {NULL, fake_header(head, 0, hb)};
    db_preroot *p = db_preroot_new_chain(d, &link, 1);
    gen_changes(&w, &guess, 3);
    without_wipes(&guess);
    bytes32 root;
    CHECK(db_preroot_update(p, &guess, &root) == NULL && db_preroot_rounds(p) == 1);
    CHECK(commit(d, head + 1, &guess, true, NULL, NULL) == NULL);
    db_preview *pv = NULL;
    CHECK(db_preroot_update(p, &guess, &root) != NULL);
    CHECK(db_preroot_finish(p, &guess, &root, &pv) != NULL && pv == NULL);
    db_preroot_free(p);
    /* also when the finish, as guessed, is the first to see it */
    link.hash = fake_header(head + 1, 0, hb);
    p = db_preroot_new_chain(d, &link, 1);
    CHECK(db_preroot_update(p, &guess, &root) == NULL);
    CHECK(commit(d, head + 2, &guess, true, NULL, NULL) == NULL);
    CHECK(db_preroot_finish_as_guessed(p, &guess, &root, &pv) != NULL && pv == NULL);
    db_preroot_free(p);
    /* and rounds whose ancestors are not the store's path fail at once */
    link.hash = fake_header(head + 7, 3, hb);
    p = db_preroot_new_chain(d, &link, 1);
    CHECK(db_preroot_update(p, &guess, &root) != NULL && db_preroot_rounds(p) == 0);
    db_preroot_free(p);
    change_set_free(&guess);
    change_set_free(&pre);
    db_close(d);
    mem_state_free(ref);
    tmp_remove(&t);
}
