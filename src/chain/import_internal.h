/* Internals of the importer (chain_import.h), shared by importer.c (state,
 * queue, commits, re-runs) and import_block.c (the stages of one block). */
#ifndef PAREVM_IMPORT_INTERNAL_H
#define PAREVM_IMPORT_INTERNAL_H

#include <pthread.h>
#include "parevm/block_state.h"
#include "parevm/chain_import.h"
#include "parevm/ethash.h"
#include "parevm/parallel.h"

#define ANCESTORS 8   /* the head and the blocks before it that the ommer rules see */
#define HASH_RING 256 /* BLOCKHASH's window */

/* A block accepted but not yet committed. */
typedef struct {
    uint64_t number;
    bytes32 hash, state_root;
    bool check;        /* its root must be checked when it is committed */
    buf_t header, body, receipts;
    bytes32 *tx_hashes;
    size_t n_txs;
    change_set changes; /* the block's net change set */
    u256 td;
    db_preview *preview; /* its root work, done while it executed (NULL: none) */
    bool root_known;     /* preview's root is root */
    bytes32 root;
} queued_block;

/* ---- Root work while a block executes (preroot_feed.c) ---- */
typedef struct preroot_feed preroot_feed;
typedef struct {
    double tail;     /* seconds from the end of execution to the root */
    double busy;     /* seconds of rounds while it executed */
    unsigned rounds; /* rounds, the final one included unless as_guessed */
    bool as_guessed; /* the final round had nothing to walk (its last guess was the block) */
} preroot_times;
/* Starts the rounds for a block of n_txs transactions executing on base:
 * on the store's head (n_links 0: nothing queued or being committed), or
 * on unwritten ancestors (links, as db_preroot_new_chain takes them;
 * their previews must outlive the feed). reads (optional, plain rounds
 * only): the logging snapshot the block executes on (db_preroot_use_reads;
 * it must outlive the feed). */
preroot_feed *preroot_feed_start(db *d, const db_preview_link *links, size_t n_links, state_view base,
                                 code_store *codes, size_t n_txs, db_snapshot *reads);
/* block_rules.tx_final: a final transaction's change set. */
void preroot_feed_tx(void *ctx, const change_set *cs);
/* After execution: ends the rounds (the one running is waited for). cs
 * (may be NULL): the block's change set, compared meanwhile with that
 * round's guess, so that the finish skips its walk where they are the
 * same (change_set_same). */
void preroot_feed_stop(preroot_feed *f, const change_set *cs);
/* Whether the rounds are chained (the finish then waits for a map resize:
 * its caller must hold no snapshot). */
bool preroot_feed_chained(const preroot_feed *f);
/* After preroot_feed_stop (given cs, or not): the block's root and a preview for its commit
 * (cs must outlive it), or a reason (the block then takes the normal
 * path). t->tail is left to the caller. */
const char *preroot_feed_finish(preroot_feed *f, const change_set *cs, bytes32 *root, db_preview **out,
                                preroot_times *t);
void preroot_feed_free(preroot_feed *f);

struct chain_importer {
    db *d;
    chain_import_options o;
    chain_config cfg;
    par_engine *par;
    ethash_cache *seal_cache[2]; /* cfg.ethash: the two epochs last used (ommers reach back) */
    executor *ex;              /* o.sequential */
    task_pool *roots;          /* the transactions' and receipts' roots (o.threads) */
    unsigned lanes;            /* snapshot lanes: one per thread */

    /* execution base: the store's head (snap), the queued blocks' changes
     * on top (pending), the block being executed (cur) */
    db_snapshot *snap;
    block_state *pending, *cur;

    /* the accepted head (committed or queued) */
    uint64_t head;
    bytes32 head_hash, head_root;
    u256 head_td;
    chain_ancestor anc[ANCESTORS]; /* anc[0]: the head */
    size_t n_anc;
    bytes32 ring[HASH_RING];   /* ring[n % HASH_RING]: hash of block n, n in (head - 256, head] */

    uint64_t stored;           /* the store's head */
    uint64_t verified;         /* the last block whose root was checked (the store's trie block) */
    queued_block *q;
    size_t nq, capq;
    bool rerun;                /* re-running unchecked blocks: check each one */
    bool checked;              /* the last accepted block's root was checked (root_first) */

    /* the committer thread (committer.c): commits one batch (job) while the
     * next blocks execute; the base chain is then snapshot -> inflight (the
     * batch's changes) -> pending -> cur */
    bool pipeline;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cstate;                /* COMMITTER_IDLE, _BUSY, _DONE */
    bool stop;
    queued_block *job;
    size_t njob, capjob;
    bool job_check;
    const char *job_err;
    db_commit_stats job_stats;
    block_state *inflight;
    uint64_t submitted;        /* batches handed to the committer since open */

    bool preroot;              /* o.preroot, AUTO resolved */
    preroot_feed *feed;        /* the block executing has root work running */

    chain_import_stats st;
    block_result res;
    change_set net;
    change_set preview;        /* pre-Byzantium intermediate roots */
};

double chain_now(void);

/* (Re)loads head, rings, configuration and the execution base from the
 * store (after open, a commit, an unwind). */
const char *importer_load(chain_importer *im);
/* The state view the queued blocks' changes sit on: the snapshot, with the
 * block hashes of the ring. */
state_view importer_base_view(chain_importer *im);
/* Commits the queue; check: with a root check at its last block (or, if
 * the queue is empty, at the head when the trie lags). A mismatch makes the
 * importer re-run the unchecked blocks (bad gets the first invalid). */
const char *importer_commit(chain_importer *im, bool check, chain_bad_block *bad);

/* The queue as db_blocks (the caller frees the array): checkpoints at the
 * last block, a root check there when check, or at every block when check
 * and every queued block wants one. */
db_block *importer_db_blocks(queued_block *q, size_t n, bool check, db_checkpoint cps[4], db_commit_stats *cs);
/* Adds the options' commit_meta value (kept in *m and *value, which the
 * caller frees after the write) to the batch's last block. */
void importer_add_meta(const chain_importer *im, db_block *blocks, queued_block *q, size_t n, db_meta *m,
                       buf_t *value);
void importer_clear_queue(chain_importer *im);
/* The one queued block (on a checked store) has a wrong state root: it is
 * named in bad, the queue dropped and the importer reloaded at its parent.
 * Returns the reason (or a store error). */
const char *importer_root_mismatch(chain_importer *im, chain_bad_block *bad);
void queued_free(queued_block *q);
/* Opens a snapshot of the store's head as the base, keeping the pending
 * changes (rebased: the store now holds what the old base layered). */
const char *importer_reopen(chain_importer *im);
void importer_close_base(chain_importer *im);
/* Unwinds to the last checked block and re-imports the unchecked blocks
 * one by one (committed ones read back from the store, then the queue). */
const char *importer_rerun(chain_importer *im, chain_bad_block *bad);

/* ---- The committer thread (committer.c) ---- */
enum { COMMITTER_IDLE, COMMITTER_BUSY, COMMITTER_DONE };
void committer_start(chain_importer *im);
/* Waits for the batch in flight (releasing the snapshot meanwhile, so that
 * a map resize can go on), then takes its outcome: on success the base
 * moves to the new head; on a failure the batch goes back to the front of
 * the queue and a root mismatch re-runs the unchecked blocks. */
const char *committer_wait(chain_importer *im, chain_bad_block *bad);
/* Takes the outcome of a batch the committer has already written without
 * a failure (committer_wait without the wait); a batch still in flight or
 * one that failed is left for committer_wait. NULL, or a store error from
 * reopening the base. */
const char *committer_take_written(chain_importer *im, chain_bad_block *bad);
/* Whether no batch is in flight (the store is the execution base's). */
bool committer_idle(chain_importer *im);
/* Whether a batch is being written (not yet done). */
bool committer_busy(chain_importer *im);
/* Hands the queue to the committer (which must be idle). */
void committer_submit(chain_importer *im, bool check);
/* Waits for the batch in flight (its outcome dropped) and ends the thread. */
void committer_stop(chain_importer *im);

/* The stages of one block up to its queueing (import_block.c). */
const char *importer_accept(chain_importer *im, const uint8_t *rlp, size_t len, chain_bad_block *bad);

#endif
