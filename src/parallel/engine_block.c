/* par_block_execute: chooses between sequential and Block-STM execution,
 * sets up the block for the workers, and commits the final incarnations in
 * transaction order (block gas limit, receipts, state). */
#include <stdlib.h>
#include "par_internal.h"

#define MIN_PARALLEL_TXS 4
#define MIN_PARALLEL_GAS 400000     /* below this the pool's wake-up costs more than it saves */
#define CHAIN_FRACTION 0.3          /* predicted longest chain / transactions */
#define LIGHT_TX_GAS 90000          /* gas per transaction x threads below which Block-STM loses */

void par_deps_free(par_deps *d) {
    free(d->offsets);
    free(d->edges);
    memset(d, 0, sizeof *d);
}

void par_engine_use_deps(par_engine *e, const par_deps *deps) {
    par_deps_free(&e->use_deps);
    e->has_use_deps = deps != NULL;
    if (!deps) return;
    e->use_deps.n = deps->n;
    e->use_deps.offsets = malloc((deps->n + 1) * sizeof *deps->offsets);
    uint32_t ne = deps->offsets[deps->n];
    e->use_deps.edges = malloc((ne ? ne : 1) * sizeof *deps->edges);
    if (!e->use_deps.offsets || !e->use_deps.edges) abort();
    memcpy(e->use_deps.offsets, deps->offsets, (deps->n + 1) * sizeof *deps->offsets);
    memcpy(e->use_deps.edges, deps->edges, ne * sizeof *deps->edges);
}

void par_engine_observed_deps(const par_engine *e, par_deps *out) {
    const par_deps *o = &e->observed;
    out->n = o->n;
    out->offsets = malloc((o->n + 1) * sizeof *out->offsets);
    uint32_t ne = o->n ? o->offsets[o->n] : 0;
    out->edges = malloc((ne ? ne : 1) * sizeof *out->edges);
    if (!out->offsets || !out->edges) abort();
    if (o->offsets) memcpy(out->offsets, o->offsets, (o->n + 1) * sizeof *out->offsets);
    else out->offsets[0] = 0;
    memcpy(out->edges, o->edges, ne * sizeof *out->edges);
}

/* Length of the longest predicted dependency chain. */
static uint32_t longest_chain(const par_deps *d) {
    uint32_t *depth = calloc(d->n ? d->n : 1, sizeof *depth), best = 0;
    if (!depth) abort();
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t m = 0;
        for (uint32_t k = d->offsets[i]; k < d->offsets[i + 1]; k++)
            if (depth[d->edges[k]] > m) m = depth[d->edges[k]];
        depth[i] = m + 1;
        if (depth[i] > best) best = depth[i];
    }
    free(depth);
    return best;
}

/* Why b should run sequentially, from what costs nothing to know, or NULL. */
static const char *cheap_sequential_reason(par_engine *e, const block_rules *rules, const block *b) {
    if (rules->fork < FORK_BYZANTIUM) return "receipts before Byzantium need per-transaction state roots";
    if (!b->n_txs) return "no transactions";
    if (!e->opts.sequential_fallback) return NULL;
    if (e->threads == 1) return "one thread";
    if (b->n_txs < MIN_PARALLEL_TXS) return "few transactions";
    /* the header's gas used, else (a block being built) the gas limits */
    uint64_t gas = b->header.gas_used;
    for (size_t i = 0; !b->header.gas_used && i < b->n_txs; i++) gas += b->txs[i].gas_limit;
    if (gas && gas < MIN_PARALLEL_GAS) return "little gas";
    /* Light transactions (plain transfers) cost little more to execute than
     * Block-STM's bookkeeping: they pay off only with more threads. */
    if (gas && (double)gas / (double)b->n_txs * e->threads < LIGHT_TX_GAS) return "light transactions";
    return NULL;
}

/* A long predicted chain executes one transaction after another, with
 * Block-STM's hand-offs in between: slower than plain sequential. */
static const char *chain_sequential_reason(par_engine *e, const block *b, const par_deps *pred) {
    if (!e->opts.sequential_fallback || !pred) return NULL;
    if (longest_chain(pred) > CHAIN_FRACTION * (double)b->n_txs) return "predicted to be one chain";
    return NULL;
}

/* Capacity of the multi-version memory for b: every transaction writes a
 * few account fields, plus storage writes (a write costs 2,900-22,100 gas;
 * mainnet averages about one per 10,000 gas). A block that writes more
 * overflows and is redone sequentially, and the engine then doubles its
 * estimate for the blocks that follow. */
static size_t mv_capacity(const par_engine *e, const block *b) {
    uint64_t gas = b->header.gas_used ? b->header.gas_used : b->header.gas_limit;
    return (size_t)(8 * b->n_txs + gas / 10000 + 1024) * e->mv_scale * 4 / 3;
}

static void record_observed(par_engine *e, uint32_t n) {
    par_deps *o = &e->observed;
    par_deps_free(o);
    o->n = n;
    o->offsets = malloc((n + 1) * sizeof *o->offsets);
    size_t cap = 64, ne = 0;
    o->edges = malloc(cap * sizeof *o->edges);
    if (!o->offsets || !o->edges) abort();
    for (uint32_t i = 0; i < n; i++) {
        o->offsets[i] = (uint32_t)ne;
        const tx_output *out = atomic_load(&e->job.outputs[i]);
        for (size_t r = 0; r < out->n_reads; r++) {
            uint32_t w = out->reads[r].writer;
            if (w == UINT32_MAX) continue;
            bool seen = false;
            for (size_t k = o->offsets[i]; k < ne && !seen; k++) seen = o->edges[k] == w;
            if (seen) continue;
            if (ne == cap) {
                cap *= 2;
                o->edges = realloc(o->edges, cap * sizeof *o->edges);
                if (!o->edges) abort();
            }
            o->edges[ne++] = w;
        }
    }
    o->offsets[n] = (uint32_t)ne;
}

static void setup_job(par_engine *e, const block_rules *rules, block *b, block_state *state) {
    uint32_t n = (uint32_t)b->n_txs;
    size_t cap = mv_capacity(e, b);
    if (e->mv.cells && e->mv.cap >= cap) {
        mv_reset(&e->mv);
    } else {
        mv_free(&e->mv);
        if (!mv_init(&e->mv, cap)) abort();
    }
    scheduler_reset(&e->sched, n);
    free(e->job.outputs);
    e->job.outputs = calloc(n ? n : 1, sizeof *e->job.outputs);
    if (!e->job.outputs) abort();
    e->job.rules = rules;
    e->job.blk = b;
    e->job.env = block_env_of(&b->header, rules);
    e->job.base = state;
    e->job.base_view = block_state_view(state);
    e->job.codes = block_state_codes(state);
    for (int i = 0; i < e->threads; i++) e->workers[i].suspensions = e->workers[i].validations = 0;
}

static void prewait_all(par_engine *e, const par_deps *d) {
    if (!d || d->n != e->sched.n) return;
    for (uint32_t i = 0; i < d->n; i++)
        for (uint32_t k = d->offsets[i]; k < d->offsets[i + 1]; k++)
            if (d->edges[k] < i) scheduler_prewait(&e->sched, i, d->edges[k]);
}

/* Applies the final incarnations in order, checking what depends on the
 * whole prefix of the block (gas and blob gas limits). */
static const char *commit(par_engine *e, const block_rules *rules, block *b, block_state *state, block_result *out) {
    uint64_t limit = b->header.gas_limit;
    for (size_t i = 0; i < b->n_txs; i++) {
        const tx_output *o = atomic_load(&e->job.outputs[i]);
        const transaction *tx = &b->txs[i];
        if (!o->res.valid) {
            out->invalid_tx = (long)i;
            return out->error = o->res.error;
        }
        if (tx->gas_limit > limit - (out->gas_used < limit ? out->gas_used : limit)) {
            out->invalid_tx = (long)i;
            return out->error = "gas limit exceeds block gas limit";
        }
        out->blob_gas_used += o->res.blob_gas_used;
        if (out->blob_gas_used > e->job.env.max_blob_gas) {
            out->invalid_tx = (long)i;
            return out->error = "blob gas exceeds the block limit";
        }
        block_state_apply(state, &o->changes);
        block_add_receipt(out, rules, state, tx, &o->res, o->logs, o->n_logs, o->log_data, o->bloom);
    }
    return NULL;
}

const char *par_block_execute(par_engine *e, const block_rules *rules, block *b, block_state *state,
                              block_result *out, par_stats *stats) {
    memset(stats, 0, sizeof *stats);
    executor *ex0 = e->workers[0].ex;
    par_deps pred = {0};
    bool use_recorded = e->has_use_deps && e->use_deps.n == b->n_txs;
    state_view base = block_state_view(state);
    const char *seq = cheap_sequential_reason(e, rules, b);
    if (!seq && !use_recorded && e->opts.hints) {
        par_predict(b, &base, &e->hints, &pred);
        seq = chain_sequential_reason(e, b, &pred);
    }
    par_deps_free(&e->observed);
    if (seq) {
        par_deps_free(&pred);
        stats->sequential = true;
        stats->why_sequential = seq;
        e->has_use_deps = false;
        return block_execute(ex0, rules, b, state, out);
    }
    long bad = par_recover_senders(e, b, rules->fork >= FORK_HOMESTEAD);
    block_begin(ex0, rules, b, state, out);
    if (bad >= 0) {
        par_deps_free(&pred);
        out->invalid_tx = bad;
        return out->error = "invalid transaction signature";
    }
    setup_job(e, rules, b, state);
    prewait_all(e, use_recorded ? &e->use_deps : e->opts.hints ? &pred : NULL);
    par_deps_free(&pred);
    e->has_use_deps = false;

    run_on_all_workers(e, par_stm_work);

    stats->executions = atomic_load(&e->sched.executions);
    stats->aborts = atomic_load(&e->sched.aborts);
    for (int i = 0; i < e->threads; i++) {
        stats->suspensions += e->workers[i].suspensions;
        stats->validations += e->workers[i].validations;
    }
    const char *why;
    if (atomic_load(&e->mv.overflow)) {
        /* the multi-version memory filled up: redo the transactions in order */
        stats->sequential = true;
        stats->why_sequential = "multi-version memory full";
        if (e->mv_scale < 64) e->mv_scale *= 2;
        why = block_execute_transactions(ex0, rules, b, state, out);
    } else {
        record_observed(e, (uint32_t)b->n_txs);
        why = commit(e, rules, b, state, out);
    }
    for (int i = 0; i < e->threads; i++) arena_reset(&e->workers[i].mem);
    if (why) return why;
    return block_finish(ex0, rules, b, state, out); /* requests read the committed receipts' logs */
}

const char *par_block_execute_mem(par_engine *e, const block_rules *rules, block *b, mem_state *state,
                                  block_result *out, par_stats *stats) {
    block_state *bs = block_state_new(mem_state_view(state), mem_state_codes(state));
    const char *why = par_block_execute(e, rules, b, bs, out, stats);
    mem_state_apply_block(state, bs);
    block_state_free(bs);
    return why;
}
