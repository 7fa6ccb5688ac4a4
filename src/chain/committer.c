/* The importer's committer thread (import_internal.h): it writes one batch
 * of queued blocks (db_commit_blocks: prior state, state root, rows) while
 * the importer's thread executes the next blocks on the store's snapshot
 * with the batch's changes layered on top (inflight). The importer takes
 * the outcome at its next commit, flush or rejection: the new head, or a
 * failure, after which the batch goes back to its queue (a root mismatch
 * then re-runs the unchecked blocks to name the first invalid one).
 *
 * A map resize in the committer waits for every snapshot to close: the
 * importer never waits for the committer while it holds its snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include "import_internal.h"

static void *committer_main(void *arg) {
    chain_importer *im = arg;
    pthread_mutex_lock(&im->mu);
    for (;;) {
        while (im->cstate != COMMITTER_BUSY && !im->stop) pthread_cond_wait(&im->cv, &im->mu);
        if (im->cstate != COMMITTER_BUSY) break;
        pthread_mutex_unlock(&im->mu);
        db_checkpoint cps[4];
        memset(&im->job_stats, 0, sizeof im->job_stats);
        db_block *blocks = importer_db_blocks(im->job, im->njob, im->job_check, cps, &im->job_stats);
        db_meta meta;
        buf_t meta_value = {0};
        importer_add_meta(im, blocks, im->job, im->njob, &meta, &meta_value);
        const char *err = db_commit_blocks(im->d, blocks, im->njob, NULL);
        free(blocks);
        buf_free(&meta_value);
        /* before the importer can see the batch done and start another */
        if (im->o.on_written) im->o.on_written(im->o.on_written_arg);
        pthread_mutex_lock(&im->mu);
        im->job_err = err;
        im->cstate = COMMITTER_DONE;
        pthread_cond_broadcast(&im->cv);
    }
    pthread_mutex_unlock(&im->mu);
    return NULL;
}

void committer_start(chain_importer *im) {
    pthread_mutex_init(&im->mu, NULL);
    pthread_cond_init(&im->cv, NULL);
    im->cstate = COMMITTER_IDLE;
    if (pthread_create(&im->thread, NULL, committer_main, im)) {
        fprintf(stderr, "parevm: cannot create the committer thread\n");
        abort();
    }
}

static void free_job(chain_importer *im) {
    for (size_t i = 0; i < im->njob; i++) queued_free(&im->job[i]);
    im->njob = 0;
}

void committer_stop(chain_importer *im) {
    pthread_mutex_lock(&im->mu);
    while (im->cstate == COMMITTER_BUSY) pthread_cond_wait(&im->cv, &im->mu);
    im->stop = true;
    pthread_cond_broadcast(&im->cv);
    pthread_mutex_unlock(&im->mu);
    pthread_join(im->thread, NULL);
    free_job(im);
    free(im->job);
    pthread_mutex_destroy(&im->mu);
    pthread_cond_destroy(&im->cv);
}

const char *committer_take_written(chain_importer *im, chain_bad_block *bad) {
    if (!im->pipeline) return NULL;
    pthread_mutex_lock(&im->mu);
    bool written = im->cstate == COMMITTER_DONE && !im->job_err;
    pthread_mutex_unlock(&im->mu);
    return written ? committer_wait(im, bad) : NULL;
}

/* The committer's state (COMMITTER_IDLE without the pipeline). */
static int committer_state(chain_importer *im) {
    if (!im->pipeline) return COMMITTER_IDLE;
    pthread_mutex_lock(&im->mu);
    int state = im->cstate;
    pthread_mutex_unlock(&im->mu);
    return state;
}

bool committer_idle(chain_importer *im) { return committer_state(im) == COMMITTER_IDLE; }

bool committer_busy(chain_importer *im) { return committer_state(im) == COMMITTER_BUSY; }

void committer_submit(chain_importer *im, bool check) {
    queued_block *q = im->job;
    size_t cap = im->capjob;
    im->job = im->q;
    im->capjob = im->capq;
    im->njob = im->nq;
    im->q = q;
    im->capq = cap;
    im->nq = 0;
    im->job_check = check;
    im->submitted++;
    /* the queued changes become the layer in flight */
    block_state *t = im->inflight;
    im->inflight = im->pending;
    im->pending = t;
    block_state_reset(im->pending, block_state_view(im->inflight), db_codes(im->d));
    pthread_mutex_lock(&im->mu);
    im->cstate = COMMITTER_BUSY;
    pthread_cond_broadcast(&im->cv);
    pthread_mutex_unlock(&im->mu);
}

/* The failed batch goes back to the front of the queue. */
static void requeue(chain_importer *im) {
    size_t n = im->njob + im->nq;
    queued_block *v = malloc((n + 1) * sizeof *v);
    if (!v) abort();
    if (im->njob) memcpy(v, im->job, im->njob * sizeof *v);
    if (im->nq) memcpy(v + im->njob, im->q, im->nq * sizeof *v);
    free(im->q);
    im->q = v;
    im->nq = im->capq = n;
    im->njob = 0;
}

const char *committer_wait(chain_importer *im, chain_bad_block *bad) {
    int state = committer_state(im);
    if (state == COMMITTER_IDLE) return NULL;
    double t = chain_now();
    if (state == COMMITTER_BUSY) {
        importer_close_base(im); /* a map resize waits for every snapshot */
        pthread_mutex_lock(&im->mu);
        while (im->cstate == COMMITTER_BUSY) pthread_cond_wait(&im->cv, &im->mu);
        pthread_mutex_unlock(&im->mu);
    }
    im->st.wait += chain_now() - t;
    pthread_mutex_lock(&im->mu);
    im->cstate = COMMITTER_IDLE;
    const char *err = im->job_err;
    pthread_mutex_unlock(&im->mu);
    db_commit_stats *cs = &im->job_stats;
    im->st.root += cs->root;
    im->st.commit += cs->prepare + cs->write;
    im->st.prepare += cs->prepare;
    im->st.accounts += cs->accounts;
    im->st.slots += cs->slots;
    im->st.from_reads += cs->from_log;
    im->st.records += cs->records;
    block_state_reset(im->inflight, importer_base_view(im), db_codes(im->d));
    if (!err) {
        im->st.commits++;
        im->stored = im->job[im->njob - 1].number;
        if (im->job_check) {
            im->verified = im->stored;
            im->st.root_checks++;
        }
        free_job(im);
        return importer_reopen(im); /* the store holds the batch: pending sits on it */
    }
    requeue(im);
    if (err == DB_ROOT_MISMATCH) {
        im->st.root_checks++;
        return importer_rerun(im, bad);
    }
    /* a store failure: the accepted blocks after the store's head are dropped */
    importer_clear_queue(im);
    const char *e = importer_load(im);
    (void)e;
    return err;
}
