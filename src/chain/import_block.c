/* The stages of one block (chain_import.h): headers, bodies, senders,
 * execution, then the queue (importer.c commits it). */
#include <stdio.h>
#include <stdlib.h>
#include "import_internal.h"
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* An invalid block. The blocks accepted before it must be valid first: an
 * unchecked root is checked now (a mismatch there names an earlier block). */
static const char *reject(chain_importer *im, uint64_t number, const bytes32 *hash, const char *reason, long tx,
                          chain_bad_block *bad) {
    if (im->verified < im->head) {
        const char *err = importer_commit(im, true, bad);
        if (bad->invalid) return bad->reason;
        if (err) return err;
    }
    bad->invalid = true;
    bad->number = number;
    bad->hash = *hash;
    bad->reason = reason;
    bad->tx = tx;
    return reason;
}

static bool td_reached(const chain_config *cfg, const u256 *td) {
    return cfg->has_ttd && !u256_lt(td, &cfg->terminal_total_difficulty);
}

/* Pre-Byzantium receipts: the root after each transaction, from the store
 * (the queue is empty then) and the block's changes so far. */
static bytes32 preview_root(void *ctx, const block_state *bs) {
    chain_importer *im = ctx;
    block_state_changes(bs, &im->preview);
    const change_set *sets[1] = {&im->preview};
    bytes32 root = {{0}};
    if (db_preview_root(im->d, sets, 1, &root)) memset(root.b, 0xff, 32); /* fails the receipts root */
    return root;
}

/* ---- headers and bodies ---- */

static const char *check_body(chain_importer *im, const block *b, size_t rlp_len, bool merged, fork_id fork) {
    /* the size first: a block too large is named for its size */
    const char *why = chain_check_block_size(fork, rlp_len);
    if (!why) why = chain_check_ommers(&im->cfg, im->anc, im->n_anc, b, merged);
    return why ? why : chain_check_body_roots(b, rlp_len, fork, im->roots);
}

/* The Ethash seal of h, with the cache of its epoch (built once; the two
 * epochs last used are kept, as ommers may be of the previous one). */
static const char *check_seal(chain_importer *im, const block_header *h) {
    uint64_t epoch = ethash_epoch(h->number);
    ethash_cache *c = NULL;
    for (int i = 0; i < 2 && !c; i++)
        if (im->seal_cache[i] && ethash_cache_epoch(im->seal_cache[i]) == epoch) c = im->seal_cache[i];
    if (!c) {
        if (!(c = ethash_cache_new(epoch))) return "invalid proof-of-work"; /* past the epochs Ethash has */
        ethash_cache_free(im->seal_cache[1]);
        im->seal_cache[1] = im->seal_cache[0];
        im->seal_cache[0] = c;
    }
    return header_verify_seal(c, h);
}

/* geth's ethash engine: the seals of a mined block and of its ommers. */
static const char *check_seals(chain_importer *im, const block *b) {
    const char *why = check_seal(im, &b->header);
    for (size_t i = 0; !why && i < b->n_ommers; i++)
        if ((why = check_seal(im, &b->ommers[i]))) why = "ommer with an invalid seal";
    return why;
}

/* A block at or below the head: known if it is the canonical one. */
static const char *known(chain_importer *im, const block_header *h) {
    bytes32 have;
    if (im->head - h->number < HASH_RING) {
        have = im->ring[h->number % HASH_RING];
    } else {
        const char *err = db_canonical_hash(im->snap, h->number, &have);
        if (err) return err;
    }
    if (!bytes32_eq(&have, &h->hash)) return "block is not on the stored chain (another branch: unwind first)";
    im->st.known++;
    return CHAIN_KNOWN_BLOCK;
}

/* ---- execution ---- */

static const char *recover_senders(chain_importer *im, block *b, fork_id fork, long *bad_tx) {
    bool homestead = fork >= FORK_HOMESTEAD;
    *bad_tx = -1;
    if (im->o.known_sender) /* the rest (and any the checks refuse) are recovered below */
        for (size_t i = 0; i < b->n_txs; i++) {
            address sender;
            if (im->o.known_sender(im->o.known_sender_arg, &b->txs[i].hash, &sender) &&
                tx_take_sender(&b->txs[i], homestead, &sender))
                im->st.senders_known++;
        }
    if (im->par) {
        *bad_tx = par_recover_senders(im->par, b, homestead);
    } else {
        for (size_t i = 0; i < b->n_txs && *bad_tx < 0; i++)
            if (!b->txs[i].sender_known && !tx_recover_sender(&b->txs[i], homestead)) *bad_tx = (long)i;
    }
    return *bad_tx >= 0 ? "invalid transaction signature" : NULL;
}

/* Whether block h's root is checked when it is committed. */
static bool root_checked(const chain_importer *im, const block_header *h, fork_id fork) {
    return im->rerun || im->o.root_every <= 1 || fork < FORK_BYZANTIUM || h->number % im->o.root_every == 0;
}

/* Every queued block's root is to be checked (a batch of them is
 * committed with a check at each one). */
static bool all_checked(const chain_importer *im) {
    for (size_t i = 0; i < im->nq; i++)
        if (!im->q[i].check) return false;
    return true;
}

/* The last queued block's root, computed before its parent's write ended
 * (a preview on the unwritten ancestors, or the rounds'), is the one its
 * header names: the block is valid whatever is still to be written (the
 * write checks it again). */
static bool root_known_right(const chain_importer *im) {
    const queued_block *q = &im->q[im->nq - 1];
    return q->check && q->root_known && bytes32_eq(&q->root, &q->state_root);
}

/* The blocks between the store and the one executing (the batch in
 * flight, then the queue), as db_preview_root_chain takes them, into
 * links (room for njob + nq): false if one has no preview. */
static bool unwritten_links(const chain_importer *im, db_preview_link *links) {
    for (size_t k = 0; k < im->njob; k++) links[k] = (db_preview_link){im->job[k].preview, im->job[k].hash};
    for (size_t k = 0; k < im->nq; k++) links[im->njob + k] = (db_preview_link){im->q[k].preview, im->q[k].hash};
    for (size_t k = 0; k < im->njob + im->nq; k++)
        if (!links[k].preview) return false;
    return true;
}

/* Root work while b executes pays when its root is checked. On the
 * store's head itself (nothing queued or being committed, the trie up to
 * date) the rounds read the store; with root_first, blocks before it that
 * are not written yet stand for the store through their previews (the
 * rounds are chained; the links must outlive them: the batch in flight and
 * the queue are kept until the block is queued). NULL: no rounds. */
static preroot_feed *start_preroot(chain_importer *im, const block_rules *rules, const block *b) {
    if (!im->preroot || rules->fork < FORK_BYZANTIUM || b->n_txs < 2 || !root_checked(im, &b->header, rules->fork))
        return NULL;
    state_view base = block_state_view(im->pending);
    if (im->nq == 0 && im->verified == im->stored && committer_idle(im))
        return preroot_feed_start(im->d, NULL, 0, base, db_codes(im->d), b->n_txs, im->o.root_first ? im->snap : NULL);
    size_t n = im->njob + im->nq;
    if (!im->o.root_first || !n) return NULL;
    db_preview_link *links = calloc(n, sizeof *links);
    if (!links) abort();
    preroot_feed *f = unwritten_links(im, links) ? preroot_feed_start(im->d, links, n, base, db_codes(im->d), b->n_txs, NULL)
                                                 : NULL;
    free(links); /* copied */
    return f;
}

static const char *execute(chain_importer *im, block_rules *rules, block *b) {
    block_state_reset(im->cur, block_state_view(im->pending), db_codes(im->d));
    /* what the block reads from the store, for root_first's preview */
    if (im->o.root_first && im->snap) db_snapshot_log_reads(im->snap, true);
    if ((im->feed = start_preroot(im, rules, b))) {
        rules->tx_final = preroot_feed_tx;
        rules->tx_final_ctx = im->feed;
    }
    if (rules->fork < FORK_BYZANTIUM) {
        rules->state_root = preview_root;
        rules->state_root_ctx = im;
    }
    const char *why;
    if (im->par) {
        par_stats ps;
        why = par_block_execute(im->par, rules, b, im->cur, &im->res, &ps);
    } else {
        why = block_execute(im->ex, rules, b, im->cur, &im->res);
    }
    if (!why) {
        bytes32 rr = block_receipts_root_pool(&im->res, im->roots);
        why = block_check_results(&b->header, &im->res, &rr);
    }
    return why;
}

/* ---- the queue ---- */

static void enqueue(chain_importer *im, const block *b, const uint8_t *rlp, size_t len, const u256 *td, bool check) {
    if (im->nq == im->capq) {
        im->capq = im->capq ? im->capq * 2 : 8;
        im->q = realloc(im->q, im->capq * sizeof *im->q);
        if (!im->q) abort();
    }
    queued_block *q = &im->q[im->nq++];
    memset(q, 0, sizeof *q);
    q->number = b->header.number;
    q->hash = b->header.hash;
    q->state_root = b->header.state_root;
    q->check = check;
    q->td = *td;
    /* header and body: the block's own bytes (it decoded, so these parse) */
    rlp_item outer, hdr;
    size_t used;
    rlp_decode(rlp, len, &outer);
    rlp_decode_item(outer.data, outer.len, &hdr, &used);
    buf_append(&q->header, hdr.raw, hdr.raw_len);
    uint8_t lh[9];
    size_t hn = rlp_header(lh, true, outer.len - used);
    buf_append(&q->body, lh, hn);
    buf_append(&q->body, outer.data + used, outer.len - used);
    size_t l = rlp_list_begin(&q->receipts);
    buf_t one = {0};
    for (size_t i = 0; i < im->res.n_receipts; i++) {
        buf_clear(&one);
        receipt_encode(&im->res, i, &one);
        rlp_encode_bytes(&q->receipts, one.data, one.len);
    }
    buf_free(&one);
    rlp_list_end(&q->receipts, l);
    q->n_txs = b->n_txs;
    q->tx_hashes = malloc((b->n_txs + 1) * sizeof *q->tx_hashes);
    if (!q->tx_hashes) abort();
    for (size_t i = 0; i < b->n_txs; i++) q->tx_hashes[i] = b->txs[i].hash;
    change_set_append(&q->changes, &im->net, im->net.n_accounts); /* q->changes starts empty */
}

/* The root work of the block just queued: its preview goes with it (the
 * commit checks the root); a round that failed leaves the normal path. */
static void finish_preroot(chain_importer *im, queued_block *q) {
    preroot_times t;
    bytes32 root;
    double t0 = chain_now();
    bool chained = preroot_feed_chained(im->feed);
    preroot_feed_stop(im->feed, &q->changes);
    double waited = chain_now() - t0;
    if (chained) importer_close_base(im); /* an ancestor's commit may have to grow the map */
    const char *err = preroot_feed_finish(im->feed, &q->changes, &root, &q->preview, &t);
    t.tail = chain_now() - t0;
    if (!err) {
        im->st.preroot_chained += chained;
        q->root_known = true;
        q->root = root;
        im->st.preroot_blocks++;
        im->st.preroot_rounds += t.rounds;
        im->st.preroot_as_guessed += t.as_guessed;
        im->st.root_during += t.busy;
        im->st.root_tail += t.tail;
        im->st.root_tail_wait += waited;
    }
    preroot_feed_free(im->feed);
    im->feed = NULL;
}

/* root_first: the root of the one queued block, on the store's head, is
 * checked here; its work goes to the committer as the block's preview. A
 * mismatch rejects the block, as the commit's check would have. */
static const char *root_first(chain_importer *im, chain_bad_block *bad) {
    queued_block *q = &im->q[0];
    if (!q->root_known) {
        double t = chain_now();
        const char *err = db_preview_root_keep(im->d, &q->changes, im->snap, &q->root, &q->preview);
        im->st.root += chain_now() - t;
        if (err) return err;
        q->root_known = true;
    }
    return bytes32_eq(&q->root, &q->state_root) ? NULL : importer_root_mismatch(im, bad);
}

/* The root of the last queued block, computed on its parent's state
 * before the blocks between the store and it are written (the batch in
 * flight, the blocks queued before it: db_preview_root_chain over their
 * previews), so that the committer only writes it; with nothing queued or
 * in flight, on the store's head. When that is not possible (an ancestor
 * without a preview, a storage wipe), the committer computes the root. */
static void root_chained(chain_importer *im) {
    queued_block *q = &im->q[im->nq - 1];
    if (q->root_known) return;
    size_t n = im->njob + im->nq - 1;
    double t = chain_now();
    if (n == 0) {
        if (im->verified == im->stored &&
            !db_preview_root_keep(im->d, &q->changes, im->snap, &q->root, &q->preview))
            q->root_known = true;
        im->st.root += chain_now() - t;
        return;
    }
    db_preview_link *links = calloc(n + 1, sizeof *links);
    if (!links) abort();
    unwritten_links(im, links); /* the last is q itself: n links are used */
    importer_close_base(im); /* an ancestor's commit may have to grow the map */
    if (!db_preview_root_chain(im->d, links, n, &q->changes, &q->root, &q->preview)) {
        q->root_known = true;
        im->st.root_chained++;
    }
    im->st.root += chain_now() - t;
    free(links);
}

/* The block becomes the head: ancestors, hash ring, total difficulty. */
static void advance(chain_importer *im, const block *b, const u256 *td) {
    size_t keep = im->n_anc < ANCESTORS ? im->n_anc : ANCESTORS - 1;
    memmove(&im->anc[1], &im->anc[0], keep * sizeof im->anc[0]);
    im->n_anc = keep + 1;
    chain_ancestor *a = &im->anc[0];
    a->header = b->header;
    a->n_ommers = b->n_ommers < 2 ? b->n_ommers : 2;
    for (size_t i = 0; i < a->n_ommers; i++) a->ommers[i] = b->ommers[i];
    im->head = b->header.number;
    im->head_hash = b->header.hash;
    im->head_root = b->header.state_root;
    im->head_td = *td;
    im->ring[im->head % HASH_RING] = im->head_hash;
}

/* Validation and execution of a decoded block that follows the head. */
static const char *run_stages(chain_importer *im, block *b, size_t len, bool *merged_out, block_rules *rules,
                              long *bad_tx) {
    const block_header *h = &b->header;
    bool merged = td_reached(&im->cfg, &im->head_td) ||
                  (!im->cfg.has_ttd && chain_reached(im->cfg.paris_block, h->number));
    *merged_out = merged;
    double t = chain_now();
    const char *why = header_validate(&im->cfg, &im->anc[0].header, h, merged);
    if (!why && im->o.verify_seals && im->cfg.ethash && !merged) why = check_seals(im, b);
    *rules = chain_block_rules(&im->cfg, h, merged);
    if (!why) why = check_body(im, b, len, merged, rules->fork);
    double t2 = chain_now();
    im->st.validate += t2 - t;
    if (!why) why = recover_senders(im, b, rules->fork, bad_tx);
    double t3 = chain_now();
    im->st.senders += t3 - t2;
    if (why) return why;
    why = execute(im, rules, b);
    *bad_tx = im->res.invalid_tx;
    im->st.execute += chain_now() - t3;
    return why;
}

static const char *decode_failure(chain_importer *im, const uint8_t *rlp, size_t len, chain_bad_block *bad) {
    /* name the block by its header when that much decodes */
    rlp_item outer, hdr;
    size_t used;
    block_header h;
    char derr[160];
    bytes32 hash = {{0}};
    uint64_t number = im->head + 1;
    if (!rlp_decode(rlp, len, &outer) && outer.is_list && !rlp_decode_item(outer.data, outer.len, &hdr, &used) &&
        header_decode(hdr.raw, hdr.raw_len, &h, derr, sizeof derr)) {
        hash = h.hash;
        number = h.number;
    }
    return reject(im, number, &hash, "block RLP does not decode", -1, bad);
}

const char *importer_accept(chain_importer *im, const uint8_t *rlp, size_t len, chain_bad_block *bad) {
    im->checked = false;
    block b;
    char derr[200];
    if (!block_decode(rlp, len, &b, derr, sizeof derr)) return decode_failure(im, rlp, len, bad);
    const block_header *h = &b.header;
    const char *why;
    if (!bytes32_eq(&h->parent_hash, &im->head_hash)) { /* not a child of the head */
        why = h->number <= im->head ? known(im, h) : "block's parent is not the head (a gap in the input?)";
        block_free(&b);
        return why;
    }
    /* a pre-Byzantium block's intermediate roots are previews of the store:
     * every block before it must be in the store (none queued or in flight) */
    bool old = chain_fork_at(&im->cfg, h->number, h->timestamp, false) < FORK_BYZANTIUM;
    if (old && (why = importer_commit(im, true, bad))) {
        block_free(&b);
        return why;
    }
    /* a batch written meanwhile is taken now rather than after this block:
     * the block then executes on the store itself, not on the batch's
     * changes over an older snapshot, and root_first can use its reads */
    if ((why = committer_take_written(im, bad))) {
        block_free(&b);
        return why;
    }
    bool merged;
    block_rules rules;
    long bad_tx = -1;
    why = run_stages(im, &b, len, &merged, &rules, &bad_tx);
    const char *store_err = db_snapshot_error(im->snap);
    if ((why || store_err) && im->feed) {
        preroot_feed_free(im->feed);
        im->feed = NULL;
    }
    if (store_err) { /* a read failed: the store's fault, not the block's */
        block_free(&b);
        return store_err;
    }
    if (why) {
        bytes32 hash = h->hash;
        uint64_t number = h->number;
        block_free(&b);
        return reject(im, number, &hash, why, bad_tx, bad);
    }
    block_state_changes(im->cur, &im->net);
    block_state_apply(im->pending, &im->net);
    u256 td = u256_add(&im->head_td, &h->difficulty);
    bool check = root_checked(im, h, rules.fork);
    enqueue(im, &b, rlp, len, &td, check);
    if (im->feed) finish_preroot(im, &im->q[im->nq - 1]);
    advance(im, &b, &td);
    im->st.blocks++;
    im->st.txs += b.n_txs;
    im->st.gas += h->gas_used;
    block_free(&b);
    if (!check && im->nq < im->o.batch) return NULL;
    if (!im->pipeline || im->rerun || rules.fork < FORK_BYZANTIUM) return importer_commit(im, check, bad);
    if (im->o.root_first && all_checked(im)) root_chained(im);
    bool root_ok = root_known_right(im);
    /* checked blocks queue up while the committer writes (one write then
     * checks each one's root): batches grow only when writing lags */
    if (im->nq < im->o.batch && all_checked(im) && committer_busy(im)) {
        im->checked = root_ok;
        return NULL;
    }
    /* the committer takes this batch once it is done with the previous one */
    const char *err = committer_wait(im, bad);
    if (err || bad->invalid) return err ? err : bad->reason;
    if (im->o.root_first && check && im->nq == 1 && im->verified == im->stored) {
        if ((err = root_first(im, bad))) return err;
        root_ok = true;
    }
    im->checked = root_ok;
    committer_submit(im, check);
    return NULL;
}

const char *chain_import_write_queue(chain_importer *im, chain_bad_block *bad) {
    memset(bad, 0, sizeof *bad);
    bad->tx = -1;
    if (!im->pipeline || !im->nq || !all_checked(im)) return NULL;
    const char *err = committer_wait(im, bad); /* the batch before first */
    if (err || bad->invalid) return err ? err : bad->reason;
    committer_submit(im, true);
    return NULL;
}

uint64_t chain_import_writes(const chain_importer *im, uint64_t *head_write) {
    if (head_write) *head_write = im->submitted + (im->nq > 0);
    return im->submitted;
}
