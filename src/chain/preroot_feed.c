/* The importer's root work while a block executes (import_internal.h): the
 * executor reports each transaction once it is final (block_rules.tx_final,
 * on whatever thread commits it); a thread of the feed gathers them on a
 * block_state of its own and, whenever enough new ones have arrived, runs a
 * db_preroot round on everything so far. When execution ends, the round
 * still running is waited for and the final round on the block's change set
 * gives the root and a preview for the commit: only what the transactions
 * since the last round changed is left to walk then. With blocks before it
 * still unwritten (back-to-back payloads: the parent's write goes on), the
 * rounds are chained on their previews (db_preroot_new_chain).
 *
 * Rounds take a core from execution, so they are batched: a round starts
 * when at least max(MIN_ROUND_TXS, n / ROUNDS_PER_BLOCK) new transactions
 * are final, and the thread sleeps otherwise. Near the end of the block,
 * when fewer transactions are left than became final while the last round
 * ran, a round started then would likely still run when execution ends,
 * with the last transactions left to a final round of their own: the
 * thread waits for them instead, and one round covers everything (in bench
 * engine, erc20 over 1M accounts, the root was ready 9-15% sooner after
 * execution, and nearly every block skipped its final round, below). It
 * waits at most as long as the last round took: where the last
 * transactions are slower than those before (a heavy one at the end), the
 * rounds go on covering what is final meanwhile.
 *
 * While it holds, the thread prepares that round (db_preroot_prepare):
 * the last round's work joins the overlay and what became final since is
 * loaded into the work set, so the round on everything only walks. In
 * bench engine (erc20 over 1M accounts, 2 threads, 48 blocks, five
 * alternating pairs on one binary) the root was ready after execution in
 * a median 4.4 ms instead of 5.5 (6.5-13.2% of execution instead of
 * 11.2-14.0%, lower in every pair).
 *
 * When the round running as execution ends covers every transaction and
 * nothing after them changed the state, its guess is the block's change
 * set: the finish then skips the final round's walk
 * (db_preroot_finish_as_guessed). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "import_internal.h"

enum { MIN_ROUND_TXS = 16, ROUNDS_PER_BLOCK = 8 };

struct preroot_feed {
    db_preroot *pr;
    block_state *acc;     /* the final transactions so far, over the block's base */
    change_set guess;
    change_set pre;       /* the last prepare's */
    size_t batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t fed, done;     /* transactions applied to acc; covered by the last round */
    size_t guessed;       /* transactions in guess */
    size_t span;          /* transactions that became final while the last round ran */
    size_t prepared;      /* transactions in the work set, from the last round or prepare */
    double last_round;    /* seconds the last round took */
    bool hold_over;       /* the wait for the last transactions outlasted it */
    double hold_until;    /* when the hold that began after the last round ends (0: none yet) */
    size_t n_txs;         /* the block's */
    bool stop, stopped, chained;
    bool as_guessed;      /* the block's change set is the last guess */
    double busy;          /* seconds in rounds */
};

/* A batch of new transactions (none near the end: see the top), or the
 * last ones: once every transaction is final, a round on all of them runs
 * while the executor finishes the block (receipts, withdrawals, requests),
 * and the final round only has to walk what those changed, if anything. */
static bool batch_ready(const preroot_feed *f) { return f->fed - f->done >= f->batch; }

/* A batch held back for the last transactions. */
static bool holding(const preroot_feed *f) {
    return f->fed < f->n_txs && batch_ready(f) && !f->hold_over && f->n_txs - f->fed < f->span;
}

static bool round_due(const preroot_feed *f) {
    if (f->fed == f->n_txs) return f->done < f->fed;
    return batch_ready(f) && !holding(f);
}

/* While it holds, the feed loads what became final into the work set
 * (db_preroot_prepare, see the top). Each prepare resets and applies the
 * whole guess again: half a batch of new transactions between two keeps
 * them to a few per hold. */
static bool prepare_due(const preroot_feed *f) {
    return holding(f) && f->fed - f->prepared >= f->batch / 2;
}

/* Until a round or a prepare is due, or the feed stops; a hold ends after
 * last_round. */
static void wait_for_round(preroot_feed *f) {
    while (!f->stop && !round_due(f) && !prepare_due(f)) {
        if (!holding(f)) {
            pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        double now = chain_now(), until = f->hold_until;
        if (until == 0) until = f->hold_until = now + f->last_round;
        if (now >= until) {
            f->hold_over = true;
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)until};
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
}

void preroot_feed_tx(void *ctx, const change_set *cs) {
    preroot_feed *f = ctx;
    pthread_mutex_lock(&f->mu);
    block_state_apply(f->acc, cs);
    f->fed++;
    if (round_due(f)) pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void *feed_main(void *arg) {
    preroot_feed *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        wait_for_round(f);
        if (f->stop) break;
        size_t n = f->fed;
        if (!round_due(f)) {
            block_state_changes(f->acc, &f->pre);
            f->prepared = n;
            pthread_mutex_unlock(&f->mu);
            double t = chain_now();
            const char *err = db_preroot_prepare(f->pr, &f->pre);
            pthread_mutex_lock(&f->mu);
            f->busy += chain_now() - t;
            if (err) break;
            continue;
        }
        block_state_changes(f->acc, &f->guess);
        f->guessed = n;
        pthread_mutex_unlock(&f->mu);
        double t = chain_now();
        bytes32 root;
        const char *err = db_preroot_update(f->pr, &f->guess, &root);
        pthread_mutex_lock(&f->mu);
        f->last_round = chain_now() - t;
        f->busy += f->last_round;
        f->span = f->fed - n;
        f->done = f->prepared = n;
        f->hold_over = false;
        f->hold_until = 0;
        if (err) break; /* db_preroot keeps the error: the finish fails too */
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

preroot_feed *preroot_feed_start(db *d, const db_preview_link *links, size_t n_links, state_view base,
                                 code_store *codes, size_t n_txs, db_snapshot *reads) {
    preroot_feed *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->chained = n_links > 0;
    f->pr = f->chained ? db_preroot_new_chain(d, links, n_links) : db_preroot_new(d);
    if (reads) db_preroot_use_reads(f->pr, reads);
    f->acc = block_state_new(base, codes);
    f->n_txs = n_txs;
    f->batch = n_txs / ROUNDS_PER_BLOCK > MIN_ROUND_TXS ? n_txs / ROUNDS_PER_BLOCK : MIN_ROUND_TXS;
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_t ca; /* timed waits on chain_now's clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&f->thread, NULL, feed_main, f)) {
        fprintf(stderr, "parevm: cannot create the state root thread\n");
        abort();
    }
    return f;
}

/* Once stop is set the guess no longer changes, and the round running on
 * it only reads it: the block's change set is compared with it meanwhile,
 * on a thread that would only wait. */
void preroot_feed_stop(preroot_feed *f, const change_set *cs) {
    if (f->stopped) return;
    f->stopped = true;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->cv);
    bool all = f->guessed == f->n_txs;
    pthread_mutex_unlock(&f->mu);
    f->as_guessed = cs && all && change_set_same(&f->guess, cs);
    pthread_join(f->thread, NULL);
}

bool preroot_feed_chained(const preroot_feed *f) { return f->chained; }

const char *preroot_feed_finish(preroot_feed *f, const change_set *cs, bytes32 *root, db_preview **out,
                                preroot_times *t) {
    preroot_feed_stop(f, cs);
    const char *err = f->as_guessed ? db_preroot_finish_as_guessed(f->pr, cs, root, out)
                                    : db_preroot_finish(f->pr, cs, root, out);
    t->busy = f->busy;
    t->as_guessed = f->as_guessed;
    t->rounds = db_preroot_rounds(f->pr);
    db_preroot_free(f->pr);
    f->pr = NULL;
    return err;
}

void preroot_feed_free(preroot_feed *f) {
    if (!f) return;
    preroot_feed_stop(f, NULL);
    db_preroot_free(f->pr);
    block_state_free(f->acc);
    change_set_free(&f->guess);
    change_set_free(&f->pre);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
