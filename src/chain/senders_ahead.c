/* Sender recovery ahead of the importer (chain_import.h: senders_ahead_*).
 *
 * A reader of a chain file knows the blocks to come. It pushes each one
 * here before it imports the blocks before it; threads of our own decode
 * the pushed blocks, oldest first, and recover their transactions' senders
 * in chunks, while the importer executes and roots earlier blocks. The
 * importer asks for the senders of the block it imports (the oldest
 * pushed) through chain_import_options.known_sender; what is not done yet
 * it recovers itself, as without this, so a slow start costs nothing but
 * the duplicated work of the chunks in flight.
 *
 * The first question on a block marks it taken: no new chunk of it starts.
 * A sender is published by a per-transaction flag (release; the question
 * reads it with acquire), so the importer never waits on a worker. Popping
 * waits only for chunks in flight on that block, then frees it.
 *
 * Senders are recovered without EIP-2's limit on s (the fork is not known
 * here); tx_take_sender applies the block's rules to the signature. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parevm/block.h"
#include "parevm/chain_import.h"
#include "parevm/tx.h"

enum { CHUNK = 16 };

typedef struct {
    buf_t rlp;
    block b;
    bool decoded, bad;   /* bad: does not decode (the importer says why) */
    bool taken;          /* the importer reached it: no new chunks */
    size_t next;         /* next transaction to claim */
    unsigned busy;       /* a worker decodes it or recovers a chunk of it */
    address *sender;
    _Atomic uint8_t *done; /* by transaction: 0 not yet, 1 sender set, 2 failed */
    size_t hint;         /* where the next question likely is */
} ahead_block;

struct senders_ahead {
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    ahead_block *ring[SENDERS_AHEAD_MAX];
    size_t head, n;
    pthread_t *threads;
    unsigned n_threads;
    bool stop;
};

static void block_release(ahead_block *k) {
    buf_free(&k->rlp);
    if (k->decoded) block_free(&k->b);
    free(k->sender);
    free((void *)k->done);
    free(k);
}

/* Outside the lock: false if the block does not decode (k->bad is set
 * under the lock, where the flags are read). */
static bool decode(ahead_block *k) {
    char err[160];
    if (!block_decode(k->rlp.data, k->rlp.len, &k->b, err, sizeof err)) return false;
    size_t n = k->b.n_txs;
    k->sender = calloc(n + 1, sizeof *k->sender);
    k->done = calloc(n + 1, sizeof *k->done);
    if (!k->sender || !k->done) abort();
    return true;
}

static void recover(ahead_block *k, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        transaction *tx = &k->b.txs[i];
        bool ok = tx_recover_sender(tx, false);
        if (ok) k->sender[i] = tx->sender;
        atomic_store_explicit(&k->done[i], ok ? 1 : 2, memory_order_release);
    }
}

/* Under mu: the oldest pushed block with work left that no one is on, or
 * NULL. A block being decoded is passed over. */
static ahead_block *find_work(senders_ahead *s) {
    for (size_t j = 0; j < s->n; j++) {
        ahead_block *k = s->ring[(s->head + j) % SENDERS_AHEAD_MAX];
        if (k->taken || k->bad) continue;
        if (!k->decoded && k->busy) continue;
        if (!k->decoded || k->next < k->b.n_txs) return k;
    }
    return NULL;
}

static void *worker_main(void *arg) {
    senders_ahead *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        ahead_block *k = NULL;
        while (!s->stop && !(k = find_work(s))) pthread_cond_wait(&s->work, &s->mu);
        if (s->stop) break;
        k->busy++;
        if (!k->decoded) {
            pthread_mutex_unlock(&s->mu);
            bool ok = decode(k);
            pthread_mutex_lock(&s->mu);
            k->bad = !ok;
            k->decoded = ok;
            pthread_cond_broadcast(&s->work); /* its chunks are open to all */
        } else {
            size_t from = k->next, to = from + CHUNK < k->b.n_txs ? from + CHUNK : k->b.n_txs;
            k->next = to;
            pthread_mutex_unlock(&s->mu);
            recover(k, from, to);
            pthread_mutex_lock(&s->mu);
        }
        if (--k->busy == 0) pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

senders_ahead *senders_ahead_new(unsigned threads) {
    senders_ahead *s = calloc(1, sizeof *s);
    if (!s) abort();
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->n_threads = threads ? threads : 1;
    s->threads = calloc(s->n_threads, sizeof *s->threads);
    if (!s->threads) abort();
    for (unsigned i = 0; i < s->n_threads; i++)
        if (pthread_create(&s->threads[i], NULL, worker_main, s)) {
            fprintf(stderr, "parevm: cannot create a sender recovery thread\n");
            abort();
        }
    return s;
}

bool senders_ahead_push(senders_ahead *s, const uint8_t *rlp, size_t len) {
    pthread_mutex_lock(&s->mu);
    bool room = s->n < SENDERS_AHEAD_MAX;
    if (room) {
        ahead_block *k = calloc(1, sizeof *k);
        if (!k) abort();
        buf_append(&k->rlp, rlp, len);
        s->ring[(s->head + s->n++) % SENDERS_AHEAD_MAX] = k;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
    return room;
}

void senders_ahead_pop(senders_ahead *s) {
    pthread_mutex_lock(&s->mu);
    if (s->n) {
        ahead_block *k = s->ring[s->head];
        k->taken = true;
        while (k->busy) pthread_cond_wait(&s->idle, &s->mu);
        s->head = (s->head + 1) % SENDERS_AHEAD_MAX;
        s->n--;
        block_release(k);
    }
    pthread_mutex_unlock(&s->mu);
}

void senders_ahead_drain(senders_ahead *s) {
    pthread_mutex_lock(&s->mu);
    for (;;) {
        bool busy = false;
        for (size_t j = 0; j < s->n && !busy; j++) busy = s->ring[(s->head + j) % SENDERS_AHEAD_MAX]->busy > 0;
        if (!busy && !find_work(s)) break;
        pthread_cond_wait(&s->idle, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

bool senders_ahead_lookup(void *arg, const bytes32 *tx_hash, address *sender) {
    senders_ahead *s = arg;
    pthread_mutex_lock(&s->mu);
    ahead_block *k = s->n ? s->ring[s->head] : NULL;
    if (k) k->taken = true;
    bool ready = k && k->decoded && !k->bad; /* decoded stays true: its arrays are read below */
    pthread_mutex_unlock(&s->mu);
    if (!ready) return false;
    size_t n = k->b.n_txs, i = k->hint;
    if (i >= n || !bytes32_eq(&k->b.txs[i].hash, tx_hash))
        for (i = 0; i < n && !bytes32_eq(&k->b.txs[i].hash, tx_hash); i++) {
        }
    if (i == n) return false;
    k->hint = i + 1;
    if (atomic_load_explicit(&k->done[i], memory_order_acquire) != 1) return false;
    *sender = k->sender[i];
    return true;
}

void senders_ahead_free(senders_ahead *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
    for (size_t j = 0; j < s->n; j++) block_release(s->ring[(s->head + j) % SENDERS_AHEAD_MAX]);
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->idle);
    free(s);
}
