/* The importer's state and its commits (chain_import.h): loading the head
 * from the store, the execution base (the store's snapshot with the queued
 * blocks' changes on top), committing the queue with or without a root
 * check, and re-running unchecked blocks one by one after a root mismatch
 * to find the first invalid block. The stages of one block are in
 * import_block.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include "import_internal.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

const char CHAIN_KNOWN_BLOCK[] = "block already in the store";

double chain_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- The base view: the snapshot, with the ring's block hashes ---- */

static state_view snap_view(chain_importer *im) { return db_snapshot_view(im->snap); }

static bool cv_get_account(void *ctx, const address *a, unsigned fields, account_info *out) {
    state_view v = snap_view(ctx);
    return v.ops->get_account(v.ctx, a, fields, out);
}
static u256 cv_get_storage(void *ctx, const address *a, const u256 *key) {
    state_view v = snap_view(ctx);
    return v.ops->get_storage(v.ctx, a, key);
}
static bool cv_has_storage(void *ctx, const address *a) {
    state_view v = snap_view(ctx);
    return v.ops->has_storage(v.ctx, a);
}
static const evm_code *cv_get_code(void *ctx, const address *a) {
    state_view v = snap_view(ctx);
    return v.ops->get_code(v.ctx, a);
}
/* The queued blocks are not in the store yet: hashes come from the ring. */
static bytes32 cv_get_block_hash(void *ctx, uint64_t n) {
    chain_importer *im = ctx;
    if (n > im->head || im->head - n >= HASH_RING) return (bytes32){{0}};
    return im->ring[n % HASH_RING];
}
static const state_view_ops chain_view_ops = {cv_get_account, cv_get_storage, cv_has_storage, cv_get_code,
                                              cv_get_block_hash};

state_view importer_base_view(chain_importer *im) { return (state_view){&chain_view_ops, im}; }

/* ---- Loading from the store ---- */

static const char *open_base(chain_importer *im) {
    if (im->snap) db_snapshot_close(im->snap);
    im->snap = NULL;
    const char *err = db_snapshot_open(im->d, im->lanes, &im->snap);
    if (err) return err;
    block_state_reset(im->pending, importer_base_view(im), db_codes(im->d));
    return NULL;
}

void importer_close_base(chain_importer *im) {
    if (im->snap) db_snapshot_close(im->snap);
    im->snap = NULL;
}

const char *importer_reopen(chain_importer *im) {
    importer_close_base(im);
    const char *err = db_snapshot_open(im->d, im->lanes, &im->snap);
    if (err) return err;
    block_state_rebase(im->pending, importer_base_view(im));
    return NULL;
}

/* Reads canonical block n's header and (optionally) its ommers. */
static const char *read_ancestor(db_snapshot *s, uint64_t n, chain_ancestor *out) {
    bytes32 hash;
    buf_t hb = {0}, bb = {0};
    char derr[160];
    const char *err = db_canonical_hash(s, n, &hash);
    if (!err) err = db_read_header(s, n, &hash, &hb);
    if (!err && !header_decode(hb.data, hb.len, &out->header, derr, sizeof derr)) err = "corrupt header in the store";
    if (!err) err = db_read_body(s, n, &hash, &bb);
    out->n_ommers = 0;
    rlp_item body, items[2];
    if (!err && (rlp_decode(bb.data, bb.len, &body) || !body.is_list || rlp_list_count(&body) < 2))
        err = "corrupt body in the store";
    if (!err) {
        rlp_iter it = rlp_iter_of(&body);
        rlp_next(&it, &items[0]);
        rlp_next(&it, &items[1]);
        rlp_iter oi = rlp_iter_of(&items[1]);
        rlp_item o;
        while (!err && rlp_next(&oi, &o) == RLP_OK) {
            if (out->n_ommers == 2 || !header_decode(o.raw, o.raw_len, &out->ommers[out->n_ommers++], derr, sizeof derr))
                err = "corrupt body in the store";
        }
    }
    buf_free(&hb);
    buf_free(&bb);
    return err;
}

const char *importer_load(chain_importer *im) {
    const char *err = open_base(im);
    if (err) return err;
    db_snapshot *s = im->snap;
    bytes32 root;
    uint64_t trie;
    if (db_head(s, &im->head, &im->head_hash)) return "the store holds no chain: run parevm init first";
    if ((err = chain_config_load(s, &im->cfg))) return err;
    if ((err = db_read_td(s, im->head, &im->head_hash, &im->head_td)))
        return err == DB_NOT_FOUND ? "the store has no total difficulty for its head" : err;
    if ((err = db_state_root(s, &root, &trie))) return err;
    im->n_anc = 0;
    for (uint64_t k = 0; k < ANCESTORS && k <= im->head && !err; k++) err = read_ancestor(s, im->head - k, &im->anc[im->n_anc++]);
    for (uint64_t k = 0; k < HASH_RING && k <= im->head && !err; k++)
        err = db_canonical_hash(s, im->head - k, &im->ring[(im->head - k) % HASH_RING]);
    if (err) return err;
    im->head_root = im->anc[0].header.state_root;
    im->stored = im->head;
    im->verified = trie;
    return NULL;
}

/* ---- The queue ---- */

void queued_free(queued_block *q) {
    buf_free(&q->header);
    buf_free(&q->body);
    buf_free(&q->receipts);
    free(q->tx_hashes);
    change_set_free(&q->changes);
    db_preview_free(q->preview);
    q->preview = NULL;
}

void importer_clear_queue(chain_importer *im) {
    for (size_t i = 0; i < im->nq; i++) queued_free(&im->q[i]);
    im->nq = 0;
}

/* The block RLP back from its header and body: [header, body items...]. */
static bool block_rlp(const buf_t *header, const buf_t *body, buf_t *out) {
    rlp_item b;
    if (rlp_decode(body->data, body->len, &b) || !b.is_list) return false;
    uint8_t h[9];
    size_t hn = rlp_header(h, true, header->len + b.len);
    buf_append(out, h, hn);
    buf_append(out, header->data, header->len);
    buf_append(out, b.data, b.len);
    return true;
}

/* The blocks after the last checked one (committed or queued), as RLP. */
static const char *unchecked_blocks(chain_importer *im, buf_t **out, size_t *n) {
    size_t cnt = (size_t)(im->head - im->verified);
    buf_t *v = calloc(cnt + 1, sizeof *v);
    if (!v) abort();
    const char *err = NULL;
    for (uint64_t num = im->verified + 1; num <= im->stored && !err; num++) {
        bytes32 hash;
        buf_t hb = {0}, bb = {0};
        err = db_canonical_hash(im->snap, num, &hash);
        if (!err) err = db_read_header(im->snap, num, &hash, &hb);
        if (!err) err = db_read_body(im->snap, num, &hash, &bb);
        if (!err && !block_rlp(&hb, &bb, &v[num - im->verified - 1])) err = "corrupt body in the store";
        buf_free(&hb);
        buf_free(&bb);
    }
    for (size_t i = 0; i < im->nq && !err; i++)
        if (!block_rlp(&im->q[i].header, &im->q[i].body, &v[im->q[i].number - im->verified - 1]))
            err = "corrupt queued body";
    if (err) {
        for (size_t i = 0; i < cnt; i++) buf_free(&v[i]);
        free(v);
        return err;
    }
    *out = v;
    *n = cnt;
    return NULL;
}

/* A root check failed over several blocks: unwind to the last checked
 * block and import the unchecked ones again, checking each. */
const char *importer_rerun(chain_importer *im, chain_bad_block *bad) {
    buf_t *blocks;
    size_t n;
    if (!im->snap) {
        const char *e = open_base(im);
        if (e) return e;
    }
    const char *err = unchecked_blocks(im, &blocks, &n);
    if (err) return err;
    importer_clear_queue(im);
    uint64_t to = im->verified;
    bool unwind = im->stored > to;
    importer_close_base(im);
    if (unwind) err = db_unwind(im->d, to, NULL);
    if (!err) err = importer_load(im);
    im->st.reruns++;
    im->rerun = true;
    for (size_t i = 0; i < n && !err; i++) {
        err = importer_accept(im, blocks[i].data, blocks[i].len, bad);
        if (err == CHAIN_KNOWN_BLOCK) err = "re-run met a block already stored";
    }
    im->rerun = false;
    if (!err && !bad->invalid) err = "state root mismatch that re-executing block by block did not reproduce";
    for (size_t i = 0; i < n; i++) buf_free(&blocks[i]);
    free(blocks);
    return err;
}

static const char *commit_nothing(chain_importer *im, bool check, chain_bad_block *bad) {
    if (!check || im->verified == im->stored) return NULL;
    /* blocks committed without a root: catch the trie up and compare */
    importer_close_base(im);
    bytes32 root;
    double t = chain_now();
    const char *err = db_update_root(im->d, &root);
    im->st.root += chain_now() - t;
    im->st.root_checks++;
    if (err) {
        const char *e = open_base(im);
        return e ? e : err;
    }
    if (!bytes32_eq(&root, &im->head_root)) return importer_rerun(im, bad);
    im->verified = im->stored;
    return open_base(im);
}

db_block *importer_db_blocks(queued_block *q, size_t n, bool check, db_checkpoint cps[4], db_commit_stats *cs) {
    db_block *blocks = calloc(n, sizeof *blocks);
    if (!blocks) abort();
    static const char *const stages[4] = {"headers", "bodies", "senders", "execution"};
    for (size_t i = 0; i < n; i++) {
        blocks[i] = (db_block){
            .number = q[i].number, .header = {q[i].header.data, q[i].header.len},
            .body = {q[i].body.data, q[i].body.len}, .receipts = {q[i].receipts.data, q[i].receipts.len},
            .tx_hashes = q[i].tx_hashes, .n_txs = q[i].n_txs, .changes = &q[i].changes, .td = &q[i].td,
            .preview = q[i].preview,
        };
    }
    queued_block *last = &q[n - 1];
    for (int k = 0; k < 4; k++) cps[k] = (db_checkpoint){stages[k], last->number};
    db_block *lb = &blocks[n - 1];
    lb->checkpoints = cps;
    lb->n_checkpoints = 4;
    lb->stats = cs;
    bool each = check && n > 1;
    for (size_t i = 0; i < n; i++) each = each && q[i].check;
    for (size_t i = each ? 0 : n - 1; check && i < n; i++) {
        blocks[i].root = true;
        blocks[i].expected_root = &q[i].state_root;
    }
    return blocks;
}

void importer_add_meta(const chain_importer *im, db_block *blocks, queued_block *q, size_t n, db_meta *m,
                       buf_t *value) {
    if (!n || !im->o.commit_meta) return;
    const char *name = NULL;
    bytes32 *hashes = malloc(n * sizeof *hashes);
    if (!hashes) abort();
    for (size_t i = 0; i < n; i++) hashes[i] = q[i].hash;
    bool some = im->o.commit_meta(im->o.commit_meta_arg, q[0].number, hashes, n, &name, value);
    free(hashes);
    if (!some) return;
    *m = (db_meta){name, {value->data, value->len}};
    blocks[n - 1].meta = m;
    blocks[n - 1].n_meta = 1;
}

const char *importer_root_mismatch(chain_importer *im, chain_bad_block *bad) {
    queued_block *q = &im->q[0];
    bad->invalid = true;
    bad->number = q->number;
    bad->hash = q->hash;
    bad->reason = "state root mismatch";
    bad->tx = -1;
    importer_clear_queue(im);
    const char *err = importer_load(im);
    return err ? err : bad->reason;
}

const char *importer_commit(chain_importer *im, bool check, chain_bad_block *bad) {
    const char *werr = committer_wait(im, bad); /* the batch in flight first */
    if (werr || bad->invalid) return werr ? werr : bad->reason;
    if (!im->nq) return commit_nothing(im, check, bad);
    db_checkpoint cps[4];
    db_commit_stats cs = {0};
    db_block *blocks = importer_db_blocks(im->q, im->nq, check, cps, &cs);
    queued_block *last = &im->q[im->nq - 1];
    importer_close_base(im); /* no snapshot may be open across a write */
    db_meta meta;
    buf_t meta_value = {0};
    importer_add_meta(im, blocks, im->q, im->nq, &meta, &meta_value);
    const char *err = db_commit_blocks(im->d, blocks, im->nq, NULL);
    free(blocks);
    buf_free(&meta_value);
    im->st.root += cs.root;
    im->st.commit += cs.prepare + cs.write;
    im->st.prepare += cs.prepare;
    im->st.accounts += cs.accounts;
    im->st.slots += cs.slots;
    im->st.from_reads += cs.from_log;
    im->st.records += cs.records;
    if (err == DB_ROOT_MISMATCH) {
        im->st.root_checks++;
        /* the one block after a checked state: it is the invalid one */
        if (im->verified == im->stored && im->nq == 1) return importer_root_mismatch(im, bad);
        return importer_rerun(im, bad);
    }
    if (err) {
        const char *e = open_base(im);
        (void)e;
        return err;
    }
    im->st.commits++;
    im->stored = last->number;
    if (check) {
        im->verified = last->number;
        im->st.root_checks++;
    }
    importer_clear_queue(im);
    return open_base(im);
}

/* ---- Public ---- */

bool chain_preroot_parse(const char *s, int *out) {
    static const char *const names[] = {"auto", "on", "off"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return true;
        }
    return false;
}

/* AUTO: rounds beside execution only pay with cores of their own: the
 * feed's thread and at least one of the root engine's. On 2 cores the root
 * of an ERC-20 block costs more CPU than its execution, so rounds there
 * finish no sooner than the root after execution does. */
static bool preroot_enabled(const chain_import_options *o) {
    if (o->preroot != CHAIN_PREROOT_AUTO) return o->preroot == CHAIN_PREROOT_ON;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= (long)(o->sequential ? 1 : o->threads) + 2;
}

const char *chain_importer_open(db *d, const chain_import_options *o, chain_importer **out) {
    *out = NULL;
    chain_importer *im = calloc(1, sizeof *im);
    if (!im) abort();
    im->d = d;
    im->o = o ? *o : (chain_import_options){0};
    if (!im->o.threads) im->o.threads = 1;
    if (im->o.threads > 1024) im->o.threads = 1024;
    if (!im->o.root_every) im->o.root_every = 1;
    if (!im->o.batch) im->o.batch = im->o.root_every < 64 ? (unsigned)im->o.root_every : 64;
    im->lanes = im->o.threads;
    if (im->o.sequential) im->ex = executor_new();
    else im->par = par_engine_new((int)im->o.threads);
    im->roots = task_pool_new(im->o.sequential ? 1 : im->o.threads);
    im->pending = block_state_new(importer_base_view(im), db_codes(d));
    im->inflight = block_state_new(importer_base_view(im), db_codes(d));
    im->cur = block_state_new(block_state_view(im->pending), db_codes(d));
    im->pipeline = !im->o.no_pipeline;
    im->preroot = preroot_enabled(&im->o);
    if (im->pipeline) committer_start(im);
    const char *err = importer_load(im);
    chain_bad_block bad = {0};
    /* a crash between root checks: check the stored head before going on */
    if (!err && im->verified < im->stored) {
        err = importer_commit(im, true, &bad);
        if (bad.invalid) err = NULL; /* the store is at the block before the invalid one */
    }
    if (err) {
        chain_importer_free(im);
        return err;
    }
    *out = im;
    return NULL;
}

void chain_importer_free(chain_importer *im) {
    if (!im) return;
    if (im->pipeline) committer_stop(im);
    preroot_feed_free(im->feed);
    importer_clear_queue(im);
    free(im->q);
    importer_close_base(im);
    block_state_free(im->cur);
    block_state_free(im->pending);
    block_state_free(im->inflight);
    if (im->par) par_engine_free(im->par);
    ethash_cache_free(im->seal_cache[0]);
    ethash_cache_free(im->seal_cache[1]);
    task_pool_free(im->roots);
    if (im->ex) executor_free(im->ex);
    block_result_free(&im->res);
    change_set_free(&im->net);
    change_set_free(&im->preview);
    free(im);
}

/* After a failure, or a root computed on unwritten blocks, the base may be
 * closed: reopen it. With a batch in flight the queue's changes sit on the
 * batch's (which the new snapshot may hold already: the same values);
 * otherwise on the store's head. */
static const char *ensure_base(chain_importer *im) {
    if (im->snap) return NULL;
    if (!committer_idle(im)) return db_snapshot_open(im->d, im->lanes, &im->snap);
    return im->nq ? importer_reopen(im) : open_base(im);
}

const char *chain_import_block(chain_importer *im, const uint8_t *rlp, size_t len, chain_bad_block *bad) {
    memset(bad, 0, sizeof *bad);
    bad->tx = -1;
    const char *err = ensure_base(im);
    return err ? err : importer_accept(im, rlp, len, bad);
}

const char *chain_import_flush(chain_importer *im, chain_bad_block *bad) {
    memset(bad, 0, sizeof *bad);
    bad->tx = -1;
    const char *err = ensure_base(im);
    return err ? err : importer_commit(im, true, bad);
}

void chain_importer_head(const chain_importer *im, uint64_t *number, bytes32 *hash) {
    *number = im->head;
    if (hash) *hash = im->head_hash;
}

const chain_import_stats *chain_importer_stats(const chain_importer *im) { return &im->st; }
bool chain_import_checked(const chain_importer *im) { return im->checked; }
const chain_config *chain_importer_config(const chain_importer *im) { return &im->cfg; }
