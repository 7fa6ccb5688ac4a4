/* The node's life: opening the store (creating the dev chain when needed),
 * the transaction pool, the Block-STM engine, the method table (one
 * register function per method group, see node_internal.h), the writer
 * thread; and closing it all in reverse. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "node_dev.h"
#include "node_engine.h"
#include "parevm/chain_import.h"
#include "parevm/exec.h"

/* The method groups, in registration order. A new group adds one line. */
static void (*const GROUPS[])(node *, rpc_methods *) = {
    node_register_web3, node_register_state, node_register_blocks, node_register_logs, node_register_filters,
    node_register_call, node_register_fees, node_register_pool, node_register_debug, node_register_trace,
    node_register_call_many, node_register_call_bundle, node_register_parity_trace, node_register_otterscan,
    node_register_debug_chain, node_register_debug_state, node_register_debug_roots,
    node_register_proofs, node_register_simulate, node_register_config, node_register_trace_files,
};

/* ---- The open port's namespaces (--http.api) ------------------------------------------- */

#define MAX_APIS 32

typedef struct {
    char names[MAX_APIS][24];
    size_t n;
} api_list;

static bool api_listed(const api_list *l, const char *name, size_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->names[i]) == len && !strncmp(l->names[i], name, len)) return true;
    return false;
}

/* Splits "eth, net,web3" (spaces around names allowed, as geth). */
static const char *parse_api_list(const char *text, api_list *l) {
    l->n = 0;
    for (const char *p = text;;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, ", ");
        const char *after = p + len;
        while (*after == ' ') after++;
        if (!len || (*after && *after != ',')) return "--http.api: a comma-separated list of namespaces (eth,net,web3...)";
        if (len >= sizeof l->names[0]) return "--http.api: a namespace name is too long";
        if (!api_listed(l, p, len)) {
            if (l->n == MAX_APIS) return "--http.api: too many namespaces";
            memcpy(l->names[l->n], p, len);
            l->names[l->n++][len] = 0;
        }
        if (!*after) return NULL;
        p = after + 1;
    }
}

static bool keep_listed(const char *method, void *arg) {
    size_t len = rpc_method_namespace_len(method);
    /* erigon_getHeaderByNumber comes with ots too: reth serves it as an
     * alias of ots_getHeaderByNumber, what Otterscan calls first */
    return (len == 3 && !strncmp(method, "rpc", 3)) || api_listed(arg, method, len) ||
           (!strcmp(method, "erigon_getHeaderByNumber") && api_listed(arg, "ots", 3));
}

/* Every listed namespace must be one the open port has. */
static const char *check_api_list(const rpc_methods *m, const api_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        const char *want = l->names[i];
        bool found = !strcmp(want, "rpc");
        for (size_t k = 0; !found && k < rpc_methods_count(m); k++) {
            const char *name = rpc_methods_name(m, k);
            found = rpc_method_namespace_len(name) == strlen(want) && !strncmp(name, want, strlen(want));
        }
        if (found) continue;
        if (!strcmp(want, "engine"))
            return "--http.api: engine is served on the authenticated port only (--authrpc.*)";
        return "--http.api: a namespace this node does not serve (it has debug, erigon, eth, net, ots, reth, rpc, "
               "trace, txpool, web3; miner and testing when listed; dev mode adds anvil, evm, hardhat, personal, "
               "tenderly)";
    }
    return NULL;
}

const rpc_methods *node_methods(const node *n) { return n->methods; }
const rpc_methods *node_auth_methods(const node *n) { return n->auth_methods; }
const char *node_datadir(const node *n) { return n->datadir; }
uint64_t node_chain_id(const node *n) { return atomic_load(&((node *)n)->chain_id); }

/* ---- Executors for request threads ---------------------------------------------------- */

executor *node_executor_get(node *n) {
    executor *ex = NULL;
    pthread_mutex_lock(&n->ex_mu);
    if (n->n_ex_free) ex = n->ex_free[--n->n_ex_free];
    pthread_mutex_unlock(&n->ex_mu);
    return ex ? ex : executor_new();
}

void node_executor_put(node *n, executor *ex) {
    pthread_mutex_lock(&n->ex_mu);
    if (n->n_ex_free < 64) {
        if (n->n_ex_free == n->cap_ex_free) {
            n->cap_ex_free = n->cap_ex_free ? 2 * n->cap_ex_free : 8;
            n->ex_free = realloc(n->ex_free, n->cap_ex_free * sizeof *n->ex_free);
            if (!n->ex_free) abort();
        }
        n->ex_free[n->n_ex_free++] = ex;
        ex = NULL;
    }
    pthread_mutex_unlock(&n->ex_mu);
    if (ex) executor_free(ex);
}

/* ---- The head and the pool ---------------------------------------------------------------- */

/* The pool's view of the next block after head h. */
txpool_env node_pool_env(const node *n, const block_header *h) {
    txpool_env env = {0};
    uint64_t time = node_next_time(n, h);
    env.fork = chain_fork_at(&n->chain, h->number + 1, time, node_child_merged(n, h));
    env.chain_id = node_chain_id(n);
    env.max_code_size = n->chain.max_code_size;
    env.no_tx_gas_cap = n->chain.no_tx_gas_cap;
    env.no_eip3607 = n->chain.no_eip3607;
    env.block_gas_limit = h->gas_limit;
    uint64_t excess;
    node_next_fees(n, h, time, &env.base_fee, &excess, &env.blob_base_fee);
    return env;
}

/* Re-checks the pool against the current head (after a new block). */
void node_pool_new_head(node *n) {
    if (n->pool_frozen) return;
    node_read r;
    node_state st;
    rpc_error err = {0};
    if (!node_read_open(n, &r, &err)) return;
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (node_state_open(&r, &latest, &st, &err)) {
        txpool_env env = node_pool_env(n, &st.header);
        txpool_set_head(n->pool, st.view, &env);
        node_state_close(&st);
    }
    rpc_error_clear(&err);
    node_read_close(&r);
}

enum { REINJECT_MAX_DEPTH = 64 }; /* geth's legacypool: deeper reorgs are not reinjected */

void node_pool_reinject(node *n, uint64_t first, const bytes32 *hashes, size_t count) {
    if (!count || count > REINJECT_MAX_DEPTH) return;
    db_snapshot *s;
    if (db_snapshot_open(n->db, 1, &s)) return;
    buf_t rlps[REINJECT_MAX_DEPTH];
    memset(rlps, 0, sizeof rlps);
    for (size_t i = 0; i < count; i++)
        if (chain_read_block_rlp(s, first + i, &hashes[i], &rlps[i])) buf_free(&rlps[i]);
    db_snapshot_close(s); /* the pool reads its own snapshot of the new head */
    for (size_t i = 0; i < count; i++) {
        block b;
        if (rlps[i].len && block_decode(rlps[i].data, rlps[i].len, &b, NULL, 0)) {
            for (size_t t = 0; t < b.n_txs; t++) {
                if (b.txs[t].type == TX_BLOB) continue;
                buf_t raw = {0};
                tx_encode(&b.txs[t], &raw);
                bytes32 hash;
                char detail[160];
                node_pool_add_raw(n, raw.data, raw.len, NULL, &hash, detail, sizeof detail); /* refusals: included */
                buf_free(&raw);
            }
            block_free(&b);
        }
        buf_free(&rlps[i]);
    }
}

/* ---- Temporary datadir ---------------------------------------------------------------------- */

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat st;
            if (!lstat(sub, &st) && S_ISDIR(st.st_mode)) remove_tree(sub);
            else unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

/* ---- Open and close --------------------------------------------------------------------------- */

static void defaults(node_config *c) {
    if (!c->threads) c->threads = 2;
    /* with a genesis file, unset ones come from the file (node_dev.c) */
    if (!c->dev_chain_id && !c->dev_genesis) c->dev_chain_id = 31337;
    if (!c->dev_gas_limit && !c->dev_genesis) c->dev_gas_limit = 30000000;
    if (!c->dev_accounts) c->dev_accounts = 10;
    if (!c->dev_slots_in_epoch) c->dev_slots_in_epoch = 32;
    if (!c->gas_cap) c->gas_cap = 50000000;
    if (!c->max_log_range) c->max_log_range = 10000;
    if (!c->max_logs) c->max_logs = 20000;
    if (!c->max_filters) c->max_filters = 10000;
    if (!c->filter_timeout_ms) c->filter_timeout_ms = 5 * 60 * 1000;
    if (!c->builder_gas_limit) c->builder_gas_limit = 60000000;
}

/* The chain configuration of a store made by `parevm init`. */
static const char *load_chain_config(node *n) {
    db_snapshot *s;
    const char *err = db_snapshot_open(n->db, 1, &s);
    if (err) return err;
    uint64_t head;
    if (db_head(s, &head, NULL)) err = "the store is empty (create it with parevm init, or use --dev)";
    else err = chain_config_load(s, &n->chain);
    db_snapshot_close(s);
    return err;
}

/* Dev mode: each request's method on the report's stream, as anvil's
 * terminal shows them, and a failed request's parameters and error, as
 * anvil's "RPC request failed" (which shows the request as its Rust value;
 * here the method and its JSON parameters, cut at 16 KiB); silenced with
 * the rest by anvil_setLoggingEnabled. */
static void print_method(void *arg, const char *method, const json_t *params, const rpc_error *failed) {
    node *n = arg;
    if (atomic_load(&n->dev->quiet)) return;
    buf_t out = {0};
    if (!failed) {
        buf_append(&out, method, strlen(method));
        buf_push(&out, '\n');
    } else {
        char *p = json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t plen = p ? strlen(p) : 0, cut = plen > 16384 ? 16384 : plen;
        static const char HEAD[] = "\nRPC request failed:\n    Request: ", ERR[] = "\n    Error: ";
        buf_append(&out, HEAD, sizeof HEAD - 1);
        buf_append(&out, method, strlen(method));
        buf_push(&out, ' ');
        if (p) buf_append(&out, p, cut);
        if (cut < plen) buf_append(&out, "...", 3);
        buf_append(&out, ERR, sizeof ERR - 1);
        buf_append(&out, failed->message, strlen(failed->message));
        buf_append(&out, "\n\n", 2);
        free(p);
    }
    node_print(n->cfg.report, &out);
    buf_free(&out);
}

const char *node_open(const node_config *cfg, node **out) {
    *out = NULL;
    node *n = calloc(1, sizeof *n);
    if (!n) abort();
    n->cfg = *cfg;
    defaults(&n->cfg);
    pthread_mutex_init(&n->wmu, NULL);
    pthread_cond_init(&n->wcond, NULL);
    pthread_mutex_init(&n->pw_mu, NULL);
    pthread_cond_init(&n->pw_cond, NULL);
    pthread_cond_init(&n->dcond, NULL);
    pthread_mutex_init(&n->ex_mu, NULL);
    pthread_mutex_init(&n->senders_mu, NULL);
    pthread_mutex_init(&n->patch_mu, NULL);
    pthread_mutex_init(&n->miner_mu, NULL);
    n->miner_gas_limit = n->cfg.builder_gas_limit;
    n->miner_min_tip = n->cfg.builder_min_tip;
    n->filters = node_filters_new();
    atomic_init(&n->safe, UINT64_MAX);
    atomic_init(&n->finalized, UINT64_MAX);
    atomic_init(&n->fc_head, UINT64_MAX);
    const char *err = NULL;
    size_t extra_len = cfg->builder_extra ? strlen(cfg->builder_extra) : 0;
    if (extra_len > sizeof n->miner_extra) {
        node_close(n);
        return "extra data longer than 32 bytes (--miner.extradata)";
    }
    memcpy(n->miner_extra, cfg->builder_extra ? cfg->builder_extra : "", extra_len);
    n->miner_extra_len = extra_len;
    if (cfg->datadir) {
        n->datadir = strdup(cfg->datadir);
    } else if (cfg->dev) {
        char tmpl[] = "/tmp/parevm-dev-XXXXXX";
        if (mkdtemp(tmpl)) n->datadir = strdup(tmpl);
        n->tmp_datadir = true;
        if (!n->datadir) err = "cannot create a temporary datadir";
    } else {
        err = "a datadir is needed (or --dev for a temporary one)";
    }
    if (!err) {
        /* a dev chain survives a crash of the process, not of the OS: no
         * fsync per block */
        db_options o = {.threads = n->cfg.threads, .no_sync = cfg->dev, .existing = !cfg->dev};
        err = db_open(n->datadir, &o, &n->db);
    }
    if (!err) err = cfg->dev ? node_dev_init(n) : load_chain_config(n);
    atomic_init(&n->chain_id, n->chain.chain_id);
    if (err) {
        node_close(n);
        return err;
    }
    /* the pool, checked against the head */
    txpool_config pc = {0};
    if (cfg->dev) {
        /* a dev chain takes what its user sends, as anvil does */
        pc.max_pending = 1 << 18;
        pc.max_queued = 1 << 16;
        pc.max_per_sender = 1 << 17;
    }
    pc.delegation_limits = !cfg->dev; /* anvil accepts what geth's EIP-7702 rules refuse */
    if (!cfg->dev) {
        /* geth's pool: a tip of at least its price limit (1 wei), and fee
         * caps below the base fee wait (anvil refuses them) */
        pc.min_tip = u256_from_u64(1);
        pc.below_base_fee = true;
    }
    txpool_env env = {.chain_id = node_chain_id(n)};
    n->pool = txpool_new(&pc, &env);
    node_pool_new_head(n);
    n->engine = par_engine_new((int)n->cfg.threads);
    n->wex = executor_new();
    n->eng = node_engine_new();
    if (!cfg->dev) node_engine_load_forkchoice(n);
    api_list apis = {0};
    if (cfg->http_api && (err = parse_api_list(cfg->http_api, &apis))) {
        node_close(n);
        return err;
    }
    n->open_debug = cfg->http_api && api_listed(&apis, "debug", 5);
    n->methods = rpc_methods_new();
    n->auth_methods = rpc_methods_new();
    for (size_t i = 0; i < sizeof GROUPS / sizeof GROUPS[0]; i++) {
        GROUPS[i](n, n->methods);
        GROUPS[i](n, n->auth_methods);
    }
    node_register_engine(n, n->auth_methods);
    if (n->dev) {
        node_register_dev(n, n->methods);
        node_register_dev_chain(n, n->methods);
        node_register_dev_erc20(n, n->methods);
        node_register_dev_state(n, n->methods);
        node_register_dev_sigs(n, n->methods);
        node_register_sign(n, n->methods);
        if (cfg->report) rpc_methods_set_observer(n->methods, print_method, n);
    }
    /* geth's testing namespace is not authenticated: the open port has it
     * when --http.api names it (never by default) */
    if (cfg->http_api && api_listed(&apis, "testing", 7)) node_register_testing(n, n->methods);
    if (cfg->http_api && api_listed(&apis, "miner", 5)) node_register_miner(n, n->methods);
    if (cfg->http_api) {
        if ((err = check_api_list(n->methods, &apis))) {
            node_close(n);
            return err;
        }
        rpc_methods_retain(n->methods, keep_listed, &apis);
    }
    if (!node_writer_start(n)) {
        node_close(n);
        return "cannot start the writer thread";
    }
    *out = n;
    return NULL;
}

void node_close(node *n) {
    if (!n) return;
    node_writer_stop(n);
    if (n->importer) chain_importer_free(n->importer);
    node_dev_free(n);
    if (n->methods) rpc_methods_free(n->methods);
    if (n->auth_methods) rpc_methods_free(n->auth_methods);
    node_engine_free(n->eng);
    node_filters_free(n->filters);
    if (n->engine) par_engine_free(n->engine);
    if (n->wex) executor_free(n->wex);
    for (size_t i = 0; i < n->n_ex_free; i++) executor_free(n->ex_free[i]);
    free(n->ex_free);
    if (n->pool) txpool_free(n->pool);
    if (n->patch) node_patch_release(n->patch);
    if (n->db) db_close(n->db);
    if (n->tmp_datadir && n->datadir) remove_tree(n->datadir);
    free(n->datadir);
    word_map_free(&n->senders);
    word_map_free(&n->forced_senders);
    pthread_mutex_destroy(&n->wmu);
    pthread_cond_destroy(&n->wcond);
    pthread_mutex_destroy(&n->pw_mu);
    pthread_cond_destroy(&n->pw_cond);
    pthread_cond_destroy(&n->dcond);
    pthread_mutex_destroy(&n->ex_mu);
    pthread_mutex_destroy(&n->senders_mu);
    pthread_mutex_destroy(&n->patch_mu);
    pthread_mutex_destroy(&n->miner_mu);
    free(n);
}
