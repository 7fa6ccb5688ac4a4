/* The transaction pool's structure, shared by txpool.c and txpool_best.c
 * (not a public contract). */
#ifndef PAREVM_TXPOOL_INTERNAL_H
#define PAREVM_TXPOOL_INTERNAL_H

#include <pthread.h>
#include "parevm/hashmap.h"
#include "parevm/txpool.h"

/* One sender's transactions, sorted by nonce: txs[0..n_pending) pending,
 * the rest queued. */
typedef struct {
    address addr;
    uint64_t nonce;          /* account nonce at the head, as last read */
    u256 balance;            /* likewise */
    txpool_tx **txs;         /* one pool reference each */
    size_t n, cap;
    size_t n_pending;
    size_t n_total_counted;  /* how many of txs the pool's counts include */
} txpool_sender;

struct txpool {
    pthread_mutex_t mu;      /* guards everything below */
    txpool_config cfg;
    txpool_env env;
    txpool_sender **senders;
    size_t n_senders, cap_senders;
    addr_map sender_index;   /* address -> index in senders */
    word_map by_hash;        /* hash -> txpool_tx pointer (in w[0]) */
    addr_map auths;          /* delegation_limits: authority -> how many authorizations of
                                pooled set-code transactions it signed (geth's lookup.auths) */
    size_t n_pending, n_queued;
    uint64_t next_seq;
};

void txpool_lock(txpool *p);
void txpool_unlock(txpool *p);

#endif
