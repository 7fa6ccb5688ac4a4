/* par_block_execute: chooses between sequential and Block-STM execution,
 * sets up the block for the workers, and commits the final incarnations in
 * transaction order (block gas limit, receipts, state). */
#include <stdio.h>
#include <stdlib.h>
#include "par_internal.h"

#define MIN_PARALLEL_TXS 4
#define MIN_PARALLEL_GAS 1000000    /* below this the pool's wake-up costs more than it saves */
#define CHAIN_FRACTION 0.3          /* predicted longest chain / transactions, and its gas / the block's */
#define LIGHT_TX_GAS 70000          /* gas per transaction x threads below which Block-STM loses */
#define LIGHT_TX_FLOOR 25000        /* gas per transaction below which it loses at any thread count */
#define DEFER_RECEIPTS_MIN 512      /* transactions: below, a second wake-up of the workers costs more */
#define RECEIPT_CHUNK 64            /* receipts a worker makes at a time */

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

/* The outputs of the last block Block-STM ran stay in the workers' arenas
 * until the next block, so the graph is built only when asked for. */
void par_engine_observed_deps(const par_engine *e, par_deps *out) {
    uint32_t n = e->observed_valid ? e->observed_n : 0;
    out->n = n;
    out->offsets = malloc((n + 1) * sizeof *out->offsets);
    size_t cap = 64, ne = 0;
    out->edges = malloc(cap * sizeof *out->edges);
    if (!out->offsets || !out->edges) abort();
    for (uint32_t i = 0; i < n; i++) {
        out->offsets[i] = (uint32_t)ne;
        const tx_output *o = atomic_load(&e->job.outputs[i]);
        for (size_t r = 0; r < o->n_reads; r++) {
            uint32_t w = o->reads[r].writer;
            if (w == UINT32_MAX) continue;
            bool seen = false;
            for (size_t k = out->offsets[i]; k < ne && !seen; k++) seen = out->edges[k] == w;
            if (seen) continue;
            if (ne == cap) {
                cap *= 2;
                out->edges = realloc(out->edges, cap * sizeof *out->edges);
                if (!out->edges) abort();
            }
            out->edges[ne++] = w;
        }
    }
    out->offsets[n] = (uint32_t)ne;
}

/* Frees the last block's outputs. */
static void forget_outputs(par_engine *e) {
    for (int i = 0; i < e->threads; i++) arena_reset(&e->workers[i].mem);
    e->observed_valid = false;
}

/* The predicted dependency chains' extent: the longest one, in
 * transactions, and the heaviest one's share of the block's gas, by the
 * transactions' gas limits (all that is known before execution). */
static void chain_extent(const par_deps *d, const block *b, uint32_t *longest, double *heaviest_share) {
    uint32_t *depth = calloc(d->n ? d->n : 1, sizeof *depth);
    double *weight = calloc(d->n ? d->n : 1, sizeof *weight), heaviest = 0, total = 0;
    if (!depth || !weight) abort();
    *longest = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t m = 0;
        double w = 0;
        for (uint32_t k = d->offsets[i]; k < d->offsets[i + 1]; k++) {
            if (depth[d->edges[k]] > m) m = depth[d->edges[k]];
            if (weight[d->edges[k]] > w) w = weight[d->edges[k]];
        }
        depth[i] = m + 1;
        weight[i] = w + (double)b->txs[i].gas_limit;
        total += (double)b->txs[i].gas_limit;
        if (depth[i] > *longest) *longest = depth[i];
        if (weight[i] > heaviest) heaviest = weight[i];
    }
    free(depth);
    free(weight);
    *heaviest_share = total > 0 ? heaviest / total : 1;
}

/* Why b should run sequentially, from what costs nothing to know, or NULL. */
static const char *cheap_sequential_reason(par_engine *e, const block *b) {
    if (!b->n_txs) return "no transactions";
    if (!e->opts.sequential_fallback) return NULL;
    if (e->threads == 1) return "one thread";
    if (b->n_txs < MIN_PARALLEL_TXS) return "few transactions";
    /* the header's gas used, else (a block being built) the gas limits */
    uint64_t gas = b->header.gas_used;
    for (size_t i = 0; !b->header.gas_used && i < b->n_txs; i++) gas += b->txs[i].gas_limit;
    if (gas && gas < MIN_PARALLEL_GAS) return "little gas";
    /* Light transactions (plain transfers) cost little more to execute than
     * Block-STM's bookkeeping: they pay off only with more threads, and not
     * at all near a plain transfer's 21000 gas, where the in-order commit
     * of each transaction costs what its execution does (measured on 16
     * cores: 8 and 16 threads ran such blocks 0.6-0.9x as fast as one).
     * At 2 threads, mainnet blocks of 40-42k gas per transaction on average
     * ran 1.1-1.3x as fast with Block-STM, blocks of 27-30k 0.97-1.01x. */
    double per_tx = (double)gas / (double)b->n_txs;
    if (gas && (per_tx * e->threads < LIGHT_TX_GAS || per_tx < LIGHT_TX_FLOOR)) return "light transactions";
    return NULL;
}

/* A long predicted chain executes one transaction after another, with
 * Block-STM's hand-offs in between: slower than plain sequential when the
 * chain carries much of the block's work. A long chain of light
 * transactions (an exchange's hot wallet paying out, nonce after nonce)
 * runs on one worker while the others take the heavy calls: on mainnet
 * block 7280000 (118 transactions; a chain of 39 with 11-19% of the gas)
 * Block-STM ran 1.5x as fast as sequential at 2 threads. */
static const char *chain_sequential_reason(par_engine *e, const block *b, const par_deps *pred) {
    if (!e->opts.sequential_fallback || !pred) return NULL;
    uint32_t longest;
    double heaviest_share;
    chain_extent(pred, b, &longest, &heaviest_share);
    if (longest > CHAIN_FRACTION * (double)b->n_txs && heaviest_share > CHAIN_FRACTION)
        return "predicted to be one chain";
    return NULL;
}

/* Cells of the multi-version memory to start b with: every transaction
 * writes a few account fields (sender balance and nonce, an increment to the
 * coinbase and the recipient), plus storage: mainnet averages about one
 * slot per 10,000 gas used, and gas limits are about twice the gas used.
 * The gas counted per transaction is capped (a header or a transaction may
 * claim any gas, the writes come from real work), and the table grows when
 * a block writes more (engine.c); a small table stays in cache. */
#define MV_TX_CELLS 3
#define MV_GAS_PER_CELL 20000
#define MV_TX_GAS_CAP 2000000
#define MV_START_MAX ((size_t)1 << 22)
static size_t mv_start_cells(const block *b, size_t n) {
    size_t cells = 1024;
    for (size_t i = 0; i < n && cells < MV_START_MAX; i++) {
        uint64_t g = b->txs[i].gas_limit;
        if (g > b->header.gas_limit) g = b->header.gas_limit;
        if (g > MV_TX_GAS_CAP) g = MV_TX_GAS_CAP;
        cells += MV_TX_CELLS + g / MV_GAS_PER_CELL;
    }
    return cells < MV_START_MAX ? cells : MV_START_MAX;
}

/* Room for n receipts up front: growing the array while committing copies
 * it again and again (each receipt carries its 256-byte bloom). */
static void reserve_receipts(block_result *out, size_t n) {
    if (out->cap_receipts >= n || !n) return;
    receipt *r = realloc(out->receipts, n * sizeof *r);
    if (!r) abort();
    out->receipts = r;
    out->cap_receipts = n;
}

/* Prepares the first n transactions of b for the workers. */
static void setup_job(par_engine *e, const block_rules *rules, block *b, block_state *state, uint32_t n) {
    size_t cells = mv_start_cells(b, n);
    if (e->mv.cells && e->mv.max_cells >= cells) {
        mv_reset(&e->mv);
    } else {
        mv_free(&e->mv);
        if (!mv_init(&e->mv, cells)) abort(); /* out of memory: the size is capped */
    }
    e->mv_grows = 0;
    scheduler_reset(&e->sched, n);
    if (e->cap_outputs < n) {
        free(e->job.outputs);
        e->cap_outputs = n;
        e->job.outputs = malloc(n * sizeof *e->job.outputs);
        if (!e->job.outputs) abort();
    }
    for (uint32_t i = 0; i < n; i++) atomic_init(&e->job.outputs[i], NULL);
    e->job.n = n;
    atomic_store(&e->job.committed, 0);
    e->job.halt_tx = -1;
    e->job.halt_error = NULL;
    atomic_store(&e->job.aborts, 0);
    e->job.bail = false;
    e->job.per_tx_roots = rules->fork < FORK_BYZANTIUM && rules->state_root;
    e->job.defer_receipts = !e->job.per_tx_roots && n >= DEFER_RECEIPTS_MIN;
    atomic_store(&e->job.committing, false);
    e->job.rules = rules;
    e->job.blk = b;
    e->job.env = block_env_of(&b->header, rules);
    e->job.base = state;
    e->job.base_view = block_state_view(state);
    e->job.codes = block_state_codes(state);
    for (int i = 0; i < e->threads; i++) {
        worker *w = &e->workers[i];
        w->executions = w->aborts = w->suspensions = w->validations = 0;
        w->commit_seconds = 0;
    }
}

static void prewait_all(par_engine *e, const par_deps *d) {
    if (!d || d->n != e->sched.n) return;
    for (uint32_t i = 0; i < d->n; i++)
        for (uint32_t k = d->offsets[i]; k < d->offsets[i + 1]; k++)
            if (d->edges[k] < i) scheduler_prewait(&e->sched, i, d->edges[k]);
}

/* The sequential verdict on transaction i of a block whose first i
 * transactions are committed: executes it on the committed state with the
 * block's gas used so far, as block_execute does. */
static const char *sequential_verdict(par_engine *e, block *b, block_state *state, block_result *out, size_t i) {
    tx_result res;
    block_env env = e->job.env;
    env.blob_gas_used = out->blob_gas_used;
    exec_transaction(e->workers[0].ex, &env, block_state_view(state), block_state_codes(state), &b->txs[i],
                     out->gas_used, &res);
    if (res.valid) {
        /* the validated output said otherwise: Block-STM is broken */
        fprintf(stderr, "parevm: Block-STM: transaction %zu: parallel and sequential validity differ\n", i);
        abort();
    }
    out->invalid_tx = (long)i;
    return out->error = res.error;
}

bool par_commit_tx(par_engine *e, uint32_t i, const tx_output *o) {
    block_job *j = &e->job;
    block_result *out = j->out;
    const transaction *tx = &j->blk->txs[i];
    uint64_t limit = j->blk->header.gas_limit;
    if (!o->res.valid || tx->gas_limit > limit - (out->gas_used < limit ? out->gas_used : limit)) {
        j->halt_tx = i; /* the reason is the sequential one: see finish_commit */
        return false;
    }
    out->blob_gas_used += o->res.blob_gas_used;
    if (out->blob_gas_used > j->env.max_blob_gas) {
        j->halt_tx = i;
        j->halt_error = "blob gas exceeds the block limit";
        return false;
    }
    if (j->per_tx_roots) block_state_apply(j->base, &o->changes); /* the receipt's root needs it */
    if (j->rules->tx_final) j->rules->tx_final(j->rules->tx_final_ctx, &o->changes);
    if (j->defer_receipts) { /* made after the workers (finish_work) */
        out->gas_used += o->res.gas_used;
        return true;
    }
    static const uint8_t no_bloom[256];
    block_add_receipt(out, j->rules, j->base, tx, &o->res, o->logs, o->n_logs,
                      o->log_data ? o->log_data : no_bloom, o->bloom ? o->bloom : no_bloom);
    return true;
}

/* Applies the change sets of transactions [0, n) in order. The outputs are
 * cold (written long ago, on other cores): they and their change arrays are
 * fetched ahead. */
static void apply_outputs(block_job *j, block_state *state, uint32_t n) {
#define OUT(k) atomic_load_explicit(&j->outputs[k], memory_order_relaxed)
    for (uint32_t i = 0; i < n; i++) {
        if (i + 16 < n) __builtin_prefetch(OUT(i + 16));
        if (i + 8 < n) {
            const tx_output *o = OUT(i + 8);
            __builtin_prefetch(o->changes.accounts);
            __builtin_prefetch(o->changes.slots);
        }
        block_state_apply(state, &OUT(i)->changes);
    }
#undef OUT
}

/* ---- deferred receipts ----
 * In a big block the rolling commit, one worker at a time, limits how fast
 * the others can go (at 2 threads, on a gigagas ERC-20 block, it took 18 ms
 * of the workers' 70, 2-3 ms of it receipts): there it only checks the
 * block's limits, and the receipts
 * are made after the workers end, while worker 0 applies the outputs to the
 * state. A sequential pass lays them out (cumulative gas, where each one's
 * logs and log data go); then any worker can make any of them. */

static void grow_fin(par_engine *e, size_t n) {
    if (e->fin.cap >= n) return;
    e->fin.cum_gas = realloc(e->fin.cum_gas, n * sizeof *e->fin.cum_gas);
    e->fin.first_log = realloc(e->fin.first_log, n * sizeof *e->fin.first_log);
    e->fin.data_off = realloc(e->fin.data_off, n * sizeof *e->fin.data_off);
    if (!e->fin.cum_gas || !e->fin.first_log || !e->fin.data_off) abort();
    e->fin.cap = n;
}

/* Room and places for the receipts of transactions [0, n). */
static void plan_receipts(par_engine *e, uint32_t n) {
    block_job *j = &e->job;
    grow_fin(e, n);
    uint64_t gas = 0;
    size_t logs = 0, data = 0;
    for (uint32_t i = 0; i < n; i++) {
        const tx_output *o = atomic_load_explicit(&j->outputs[i], memory_order_relaxed);
        gas += o->res.gas_used;
        e->fin.cum_gas[i] = gas;
        e->fin.first_log[i] = logs;
        e->fin.data_off[i] = data;
        logs += o->n_logs;
        for (size_t k = 0; k < o->n_logs; k++) data += o->logs[k].data_len;
    }
    e->fin.at = block_grow_receipts(j->out, n, logs, data);
    e->fin.n = n;
    atomic_store(&e->fin.next, 0);
}

static void make_receipt(worker *w, uint32_t i) {
    par_engine *e = w->e;
    block_job *j = &e->job;
    const tx_output *o = atomic_load_explicit(&j->outputs[i], memory_order_relaxed);
    receipt_place at = {e->fin.at.receipt + i, e->fin.at.log + e->fin.first_log[i], e->fin.at.data + e->fin.data_off[i]};
    block_place_receipt(j->out, at, j->blk->txs[i].type, &o->res, e->fin.cum_gas[i], o->logs, o->n_logs, o->log_data,
                        o->bloom);
    if (o->bloom)
        for (int b = 0; b < 256; b++) w->bloom[b] |= o->bloom[b];
}

static int finish_work(worker *w) {
    par_engine *e = w->e;
    memset(w->bloom, 0, sizeof w->bloom);
    if (w->id == 0) apply_outputs(&e->job, e->job.base, e->fin.n);
    for (;;) {
        uint32_t first = atomic_fetch_add(&e->fin.next, RECEIPT_CHUNK);
        if (first >= e->fin.n) return 0;
        uint32_t end = first + RECEIPT_CHUNK < e->fin.n ? first + RECEIPT_CHUNK : e->fin.n;
        for (uint32_t i = first; i < end; i++) make_receipt(w, i);
    }
}

/* Transactions [from, n) after Block-STM gave up on the block (bail): one
 * after another on the committed prefix, as block_execute runs them. */
static const char *sequential_tail(par_engine *e, block *b, block_state *state, block_result *out, uint32_t from) {
    block_env env = e->job.env;
    for (uint32_t i = from; i < e->job.n; i++) {
        tx_result res;
        const char *why = block_add_transaction(e->workers[0].ex, e->job.rules, &env, state, &b->txs[i], out, &res);
        if (why) {
            out->invalid_tx = (long)i;
            return out->error = why;
        }
    }
    return NULL;
}

/* After the workers: commits what the rolling commit left (every output is
 * final now), applies the committed change sets to the state in order, and
 * gives the verdict on a transaction that cannot be included: it runs once
 * more on the committed prefix, so the reason is exactly the sequential
 * one. */
static const char *finish_commit(par_engine *e, block *b, block_state *state, block_result *out) {
    block_job *j = &e->job;
    uint32_t committed = atomic_load(&j->committed);
    while (j->halt_tx < 0 && !j->bail && committed < j->n &&
           par_commit_tx(e, committed, atomic_load(&j->outputs[committed])))
        committed++;
    if (j->defer_receipts) {
        plan_receipts(e, committed);
        run_on_all_workers(e, finish_work);
        for (int i = 0; i < e->threads; i++)
            for (int b = 0; b < 256; b++) out->bloom[b] |= e->workers[i].bloom[b];
    } else if (!j->per_tx_roots) {
        apply_outputs(j, state, committed);
    }
    if (j->halt_tx < 0) return j->bail ? sequential_tail(e, b, state, out, committed) : NULL;
    if (j->halt_error) {
        out->invalid_tx = j->halt_tx;
        return out->error = j->halt_error;
    }
    return sequential_verdict(e, b, state, out, (size_t)j->halt_tx);
}

const char *par_block_execute(par_engine *e, const block_rules *rules, block *b, block_state *state,
                              block_result *out, par_stats *stats) {
    memset(stats, 0, sizeof *stats);
    bool timed = e->opts.timings;
    double t_start = timed ? par_mono_sec() : 0;
    executor *ex0 = e->workers[0].ex;
    par_deps pred = {0};
    bool use_recorded = e->has_use_deps && e->use_deps.n == b->n_txs;
    state_view base = block_state_view(state);
    const char *seq = cheap_sequential_reason(e, b);
    forget_outputs(e);
    if (seq) {
        stats->sequential = true;
        stats->why_sequential = seq;
        e->has_use_deps = false;
        return block_execute(ex0, rules, b, state, out);
    }
    /* a transaction whose signature does not recover ends the block: the
     * ones before it still run (an earlier one may be invalid first) */
    long bad = par_recover_senders(e, b, rules->fork >= FORK_HOMESTEAD);
    size_t n = bad >= 0 ? (size_t)bad : b->n_txs;
    if (bad < 0 && !use_recorded && e->opts.hints) {
        par_predict(b, &base, &e->hints, &pred);
        seq = chain_sequential_reason(e, b, &pred);
        if (seq) {
            par_deps_free(&pred);
            stats->sequential = true;
            stats->why_sequential = seq;
            e->has_use_deps = false;
            return block_execute(ex0, rules, b, state, out);
        }
    }
    block_begin(ex0, rules, b, state, out);
    setup_job(e, rules, b, state, (uint32_t)n);
    e->job.out = out;
    reserve_receipts(out, n);
    if (bad < 0) prewait_all(e, use_recorded ? &e->use_deps : e->opts.hints ? &pred : NULL);
    par_deps_free(&pred);
    e->has_use_deps = false;

    double t_workers = timed ? par_mono_sec() : 0;
    run_on_all_workers(e, par_stm_work);
    double t_after = timed ? par_mono_sec() : 0;

    stats->mv_grows = e->mv_grows;
    for (int i = 0; i < e->threads; i++) {
        stats->executions += e->workers[i].executions;
        stats->aborts += e->workers[i].aborts;
        stats->suspensions += e->workers[i].suspensions;
        stats->validations += e->workers[i].validations;
        stats->commit_seconds += e->workers[i].commit_seconds;
    }
    e->observed_valid = bad < 0 && !e->job.bail;
    if (e->job.bail) stats->sequential_tail = e->job.n - atomic_load(&e->job.committed);
    e->observed_n = (uint32_t)n;
    const char *why = finish_commit(e, b, state, out);
    if (!why && bad >= 0) {
        out->invalid_tx = bad;
        why = out->error = "invalid transaction signature";
    }
    if (!why) why = block_finish(ex0, rules, b, state, out); /* requests read the committed receipts' logs */
    if (timed) {
        double t_end = par_mono_sec();
        stats->before_seconds = t_workers - t_start;
        stats->workers_seconds = t_after - t_workers;
        stats->after_seconds = t_end - t_after;
    }
    return why;
}

const char *par_block_execute_mem(par_engine *e, const block_rules *rules, block *b, mem_state *state,
                                  block_result *out, par_stats *stats) {
    block_state *bs = block_state_new(mem_state_view(state), mem_state_codes(state));
    const char *why = par_block_execute(e, rules, b, bs, out, stats);
    mem_state_apply_block(state, bs);
    block_state_free(bs);
    return why;
}
