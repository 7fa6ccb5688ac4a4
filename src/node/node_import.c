/* Importing blocks into the node (node_import_block): the chain layer's
 * importer (validate, execute, check, commit) run on the writer thread, so
 * that the Engine API's newPayload and tests share `parevm import`'s path,
 * and the node's own state (pool, dev edits) follows the new head.
 * newPayload answers once its block is checked (node_import_rlp_early):
 * the importer checks the root before its committer thread writes. Readers
 * wait for that write (node_wait_written); the writer thread settles it
 * (node_import_settle: the pool and dev edits follow) before its next job,
 * or as soon as it ends when idle. A forkchoiceUpdated to that block does
 * not wait for it (node_engine.c), nor does a newPayload of its child,
 * which executes and is checked on the unwritten state meanwhile and then
 * waits in the importer's queue, with any that follow, for the next write
 * (node_import_write_queue). */
#include <stdio.h>
#include "node_dev.h"
#include "node_engine.h"
#include "node_internal.h"
#include "parevm/chain_import.h"

/* Blocks per write at most. newPayloads that arrive while the committer
 * writes queue up (each one checked first) and are written together, as
 * `parevm import` does: back to back, one fsync and the shared upper trie
 * records for several blocks. */
enum { NODE_WRITE_BATCH = 8 };

typedef struct {
    const uint8_t *rlp;
    size_t len;
    bool invalid;
} import_job;

void node_head_moved(node *n, const change_set *edits) {
    /* the importer keeps its own idea of the head: reopen it next time */
    if (n->importer) {
        chain_importer_free(n->importer);
        n->importer = NULL;
    }
    /* dev edits belong to a head: publish them (or none) for the new one
     * before anything reads through node_read_open */
    db_snapshot *s;
    if (n->dev) node_dev_head_installed(n->dev);
    if (n->dev && !db_snapshot_open(n->db, 1, &s)) {
        uint64_t head;
        bytes32 hash;
        if (!db_head(s, &head, &hash)) {
            node_patch_publish(n, head, &hash, edits);
            /* the head moved already: a failed write leaves a record of
             * another head, which a restart ignores */
            const char *err = node_patch_store(n, &hash, edits);
            if (err && n->cfg.log) fprintf(n->cfg.log, "cannot store the dev edits: %s\n", err);
        }
        db_snapshot_close(s);
    }
    /* the store moved above the Engine API's head (newPayload): readers,
     * and the pool, stay at that head */
    if (atomic_load(&n->fc_head) == UINT64_MAX) node_pool_new_head(n);
}

/* What one import added to the importer's stage times. */
static void add_times(node_import_times *t, const chain_import_stats *a, const chain_import_stats *b, bool committed) {
    t->validate += b->validate - a->validate;
    t->senders += b->senders - a->senders;
    t->execute += b->execute - a->execute;
    t->root += b->root - a->root;
    t->commit += b->commit - a->commit;
    t->blocks += committed;
    t->writes += b->commits - a->commits;
    t->txs += b->txs - a->txs;
    t->senders_from_pool += b->senders_known - a->senders_known;
    t->preroot_blocks += b->preroot_blocks - a->preroot_blocks;
    t->preroot_rounds += b->preroot_rounds - a->preroot_rounds;
    t->preroot_chained += b->preroot_chained - a->preroot_chained;
    t->preroot_as_guessed += b->preroot_as_guessed - a->preroot_as_guessed;
    t->root_during += b->root_during - a->root_during;
    t->root_tail += b->root_tail - a->root_tail;
    t->root_tail_wait += b->root_tail_wait - a->root_tail_wait;
    t->root_chained += b->root_chained - a->root_chained;
    t->rows += b->accounts + b->slots - a->accounts - a->slots;
    t->rows_from_reads += b->from_reads - a->from_reads;
}

static const char *read_times(node *n, void *arg) {
    *(node_import_times *)arg = n->import_times;
    return NULL;
}

void node_import_stats(node *n, node_import_times *out) {
    memset(out, 0, sizeof *out);
    node_writer_call(n, read_times, out);
}

/* The store moved (or an invalid block unwound it): follow it. */
static void follow_store(node *n, const char *why) {
    chain_importer *keep = n->importer;
    n->importer = NULL;
    node_head_moved(n, NULL);
    n->importer = why ? NULL : keep;
    if (why) chain_importer_free(keep);
}

bool node_write_pending(node *n) {
    pthread_mutex_lock(&n->pw_mu);
    bool p = n->pw_written < n->pw_until;
    pthread_mutex_unlock(&n->pw_mu);
    return p;
}

uint64_t node_wait_written(node *n) {
    pthread_mutex_lock(&n->pw_mu);
    while (n->pw_written < n->pw_until || (n->fc_gen & 1)) pthread_cond_wait(&n->pw_cond, &n->pw_mu);
    uint64_t gen = n->fc_gen;
    pthread_mutex_unlock(&n->pw_mu);
    return gen;
}

bool node_moved_since(node *n, uint64_t gen) {
    pthread_mutex_lock(&n->pw_mu);
    bool moved = n->fc_gen != gen;
    pthread_mutex_unlock(&n->pw_mu);
    return moved;
}

static void move_step(node *n) {
    pthread_mutex_lock(&n->pw_mu);
    n->fc_gen++;
    pthread_cond_broadcast(&n->pw_cond);
    pthread_mutex_unlock(&n->pw_mu);
}

void node_move_begin(node *n) { move_step(n); }
void node_move_end(node *n) { move_step(n); }

static uint64_t writes_ended(node *n) {
    pthread_mutex_lock(&n->pw_mu);
    uint64_t w = n->pw_written;
    pthread_mutex_unlock(&n->pw_mu);
    return w;
}

/* Readers wait until the importer has ended `until` writes (0: never). */
static void readers_wait_for(node *n, uint64_t until) {
    pthread_mutex_lock(&n->pw_mu);
    n->pw_until = until;
    pthread_cond_broadcast(&n->pw_cond);
    pthread_mutex_unlock(&n->pw_mu);
}

/* The importer's committer thread: a write ended; readers may go on, and
 * the writer settles it when idle. */
static void written(void *arg) {
    node *n = arg;
    if (n->cfg.on_block_written) n->cfg.on_block_written(n->cfg.on_block_written_arg);
    pthread_mutex_lock(&n->pw_mu);
    n->pw_written++;
    pthread_cond_broadcast(&n->pw_cond);
    pthread_mutex_unlock(&n->pw_mu);
    /* a forkchoice update that moved the head while the batch was written
     * (its meta names the head before) is kept now, one small write: the
     * writer thread is busy with the next payload in a back-to-back sync */
    if (atomic_load(&n->fc_unsaved)) node_engine_save_head(n);
    pthread_mutex_lock(&n->wmu);
    pthread_cond_signal(&n->wcond);
    pthread_mutex_unlock(&n->wmu);
}

/* A block's transaction that the pool holds: the pool recovered its sender
 * when it arrived, so the import does not recover it again. */
static bool pool_sender(void *arg, const bytes32 *tx_hash, address *sender) {
    node *n = arg;
    const txpool_tx *t = n->pool ? txpool_get(n->pool, tx_hash) : NULL;
    if (!t) return false;
    *sender = t->tx.sender;
    txpool_tx_release(t);
    return true;
}

/* The block just accepted (checked) is left for the committer to write,
 * in the batch it is writing or in the next one: readers wait until that
 * write has ended. */
static void leave_pending(node *n, const chain_import_stats *before) {
    uint64_t head_write;
    chain_import_writes(n->importer, &head_write);
    n->import_unsettled = true;
    n->import_before = *before;
    chain_importer_head(n->importer, &n->pw_number, &n->pw_hash);
    readers_wait_for(n, n->write_base + head_write);
}

/* The importer's writes handed to its committer, counted as pw_written counts. */
static uint64_t writes_submitted(const node *n) { return n->write_base + chain_import_writes(n->importer, NULL); }

bool node_import_queue_waiting(node *n) {
    if (!n->import_unsettled || !n->importer) return false;
    uint64_t submitted = writes_submitted(n);
    return submitted < n->pw_until && writes_ended(n) == submitted;
}

void node_import_write_queue(node *n) {
    chain_bad_block bad;
    uint64_t was = writes_submitted(n);
    const char *why = chain_import_write_queue(n->importer, &bad);
    if (why || writes_submitted(n) == was) node_import_settle(n); /* it reports */
}

/* Imports j's block, a child of the pending one, while that write goes on:
 * the importer executes it on the unwritten state and checks its root
 * there. While the committer writes, a checked child waits in the
 * importer's queue (the writer hands it over when the write ends: one
 * batch for all the blocks that arrived meanwhile, up to the importer's
 * batch); else the importer waits for the parent's write before it hands
 * the child over (chain_import_block), so when it returns the parent is
 * written (or failed) whatever the child's verdict. */
static const char *import_on_pending(node *n, import_job *j) {
    chain_bad_block bad = {0};
    chain_import_stats before = *chain_importer_stats(n->importer);
    const char *why = chain_import_block(n->importer, j->rlp, j->len, &bad);
    bool checked = !why && chain_import_checked(n->importer);
    if (!checked) {
        /* the blocks before it (answered for, some maybe still queued) are
         * written before the importer may be dropped; a block whose root
         * could not be checked yet is checked by that write */
        chain_bad_block fb = {0};
        const char *ferr = chain_import_flush(n->importer, &fb);
        if (!why) why = ferr, bad = fb;
        else if (ferr) fprintf(stderr, "parevm node: writing validated blocks failed: %s\n", ferr);
    }
    j->invalid = bad.invalid;
    /* the parent's bookkeeping, as node_import_settle's */
    n->import_unsettled = false;
    add_times(&n->import_times, &n->import_before, checked ? &before : chain_importer_stats(n->importer),
              !why || bad.invalid);
    if (checked) {
        /* the pool follows the store's head once nothing before this block
         * is left to write (its reads would wait for that), or at settling */
        if (!node_write_pending(n)) follow_store(n, NULL);
        leave_pending(n, &before);
        return NULL;
    }
    readers_wait_for(n, 0); /* nothing is left to write */
    follow_store(n, why);
    return why;
}

/* Imports j's block; early: a valid block's write is left pending (and a
 * child of a pending block is imported while that write goes on). */
static const char *import_on_writer(node *n, import_job *j, bool early) {
    if (early && n->import_unsettled && n->importer) return import_on_pending(n, j);
    const char *why = NULL;
    node_import_settle(n);
    if (!n->importer) {
        chain_import_options o = {.threads = n->cfg.threads, .preroot = n->cfg.preroot, .root_first = true,
                                  .batch = NODE_WRITE_BATCH,
                                  .known_sender = pool_sender, .known_sender_arg = n,
                                  .on_written = written, .on_written_arg = n,
                                  .commit_meta = node_engine_head_meta, .commit_meta_arg = n};
        if ((why = chain_importer_open(n->db, &o, &n->importer))) {
            n->importer = NULL;
            return why;
        }
        /* nothing is in flight (settled above): the importer's writes
         * count from here */
        n->write_base = writes_ended(n);
    }
    chain_bad_block bad = {0};
    chain_import_stats before = *chain_importer_stats(n->importer);
    why = chain_import_block(n->importer, j->rlp, j->len, &bad);
    j->invalid = bad.invalid;
    if (!why && early && chain_import_checked(n->importer)) {
        leave_pending(n, &before);
        return NULL;
    }
    if (!why) why = chain_import_flush(n->importer, &bad);
    j->invalid = bad.invalid;
    add_times(&n->import_times, &before, chain_importer_stats(n->importer), why == NULL);
    if (why == CHAIN_KNOWN_BLOCK) return why;
    follow_store(n, why);
    return why;
}

void node_import_settle(node *n) {
    if (!n->import_unsettled) return;
    n->import_unsettled = false;
    chain_bad_block bad = {0};
    const char *why = chain_import_flush(n->importer, &bad);
    add_times(&n->import_times, &n->import_before, chain_importer_stats(n->importer), why == NULL);
    readers_wait_for(n, 0);
    /* the block was checked before its answer: only the store can fail now */
    if (why) fprintf(stderr, "parevm node: writing a validated block failed: %s\n", why);
    follow_store(n, why);
}

const char *node_import_rlp(node *n, const uint8_t *rlp, size_t len, bool *invalid) {
    import_job j = {rlp, len, false};
    const char *why = import_on_writer(n, &j, false);
    if (invalid) *invalid = j.invalid;
    return why;
}

const char *node_import_rlp_early(node *n, const uint8_t *rlp, size_t len, bool *invalid) {
    import_job j = {rlp, len, false};
    const char *why = import_on_writer(n, &j, true);
    if (invalid) *invalid = j.invalid;
    return why;
}

const char *node_unwind_to(node *n, uint64_t number) {
    node_import_settle(n);
    /* the importer holds a snapshot: no write may happen while it is open */
    if (n->importer) {
        chain_importer_free(n->importer);
        n->importer = NULL;
    }
    node_engine_keep_head_across_unwind(n, number);
    const char *err = db_unwind(n->db, number, NULL);
    uint64_t f = atomic_load(&n->fc_head);
    if (f != UINT64_MAX && f > number) node_set_fc_head(n, UINT64_MAX);
    node_head_moved(n, NULL);
    return err;
}

static const char *import_job_run(node *n, void *arg) { return import_on_writer(n, arg, false); }

const char *node_import_block(node *n, const uint8_t *rlp, size_t len, bool *invalid) {
    import_job j = {rlp, len, false};
    const char *why = node_writer_call(n, import_job_run, &j);
    if (invalid) *invalid = j.invalid;
    return why;
}
