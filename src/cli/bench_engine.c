/* parevm bench engine: engine_newPayload latency as a consensus client sees
 * it. A Cancun chain with a large state (--accounts funded accounts, half
 * of them token holders, plus the senders) is written to two stores; a
 * builder node turns pool transactions into full blocks through the Engine
 * API (forkchoiceUpdated with attributes, getPayload), and a validator
 * node receives them as engine_newPayloadV3 over HTTP with a fresh JWT per
 * request, each followed by engine_forkchoiceUpdatedV3. Printed: the
 * newPayload latency per block (p50, p99, mean), its gas rate, the
 * forkchoiceUpdated after it and the two together (newPayload answers
 * before its block's write: back to back, the next payload waits for it;
 * --interval-ms spaces the blocks as slots do), and where
 * the validator's import time went (execute, state root, commit), with the
 * share of the state root that overlaps execution (the import computes it
 * after execution, in the commit: reported as measured). --gossip hands
 * each block's transactions to the validator's pool before the block (as
 * peers deliver them first), so that newPayload takes their senders from
 * the pool instead of recovering them.
 *
 * Workloads: erc20 (token transfers between distinct holders) and mixed
 * (token transfers, ETH transfers to existing and new accounts, and one in
 * ten token transfers to a single hot holder, which serialises them). The
 * token is a minimal contract written here (balances keyed by address,
 * transfer(to, amount) with a log), not a compiled ERC-20. */
#define _GNU_SOURCE /* nftw */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "cli_util.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/jwt.h"
#include "parevm/keccak.h"
#include "parevm/node.h"
#include "parevm/rpc_codec.h"
#include "parevm/tx.h"

typedef struct {
    const char *kind;          /* erc20 | mixed */
    uint64_t accounts, blocks, gas_limit;
    unsigned threads;
    int preroot;               /* CHAIN_PREROOT_* for the validator */
    uint64_t interval_ms;      /* pause between blocks (a slot's spacing; 0: back to back) */
    bool gossip;               /* each block's transactions reach the validator's pool first */
    bool json;
} engine_opts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* transfer(to, amount): balance[caller] -= amount (revert when short),
 * balance[to] += amount, LOG0(amount). Calldata: 4 bytes, to, amount. */
static const uint8_t TOKEN_CODE[] = {
    0x60, 0x24, 0x35, 0x33, 0x54, 0x81, 0x81, 0x10, 0x60, 0x22, 0x57, 0x81, 0x90, 0x03, 0x33, 0x55, 0x60, 0x04,
    0x35, 0x80, 0x54, 0x82, 0x01, 0x90, 0x55, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xa0, 0x00, 0x5b, 0x60,
    0x00, 0x80, 0xfd,
};
static const address TOKEN = {{0x70, 0xce, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const address HOT = {{0x40, 0x7e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07}};

static void key_of(uint64_t i, uint8_t key[32]) {
    uint8_t seed[24] = "parevm-engine-sender";
    memcpy(seed + 16, &i, 8);
    keccak256(seed, sizeof seed, key);
    key[0] &= 0x7f; /* well below the group order */
}

/* Filler account i (no key: it only receives). */
static address filler(uint64_t i) {
    uint8_t seed[24] = "parevm-engine-filler", h[32];
    memcpy(seed + 16, &i, 8);
    keccak256(seed, sizeof seed, h);
    address a;
    memcpy(a.b, h, 20);
    return a;
}

static u256 slot_of(const address *a) {
    uint8_t b[32] = {0};
    memcpy(b + 12, a->b, 20);
    return u256_from_be(b, 32);
}

/* ---- Genesis ---------------------------------------------------------------------------------- */

typedef struct {
    uint8_t (*keys)[32];
    address *addrs;
    uint64_t *nonces;
    size_t n;
} senders;

/* Loads cs into the store and clears it (the state goes in in chunks:
 * the store sizes each write by its rows). */
static const char *load_chunk(db *d, change_set *cs) {
    const char *err = cs->n_accounts ? db_load_state(d, cs, NULL) : NULL;
    change_set_free(cs);
    memset(cs, 0, sizeof *cs);
    return err;
}

enum { CHUNK = 50000 };

static const char *write_genesis(const char *dir, const engine_opts *o, const senders *s, bytes32 *hash) {
    db *d;
    const char *err = db_open(dir, NULL, &d);
    if (err) return err;
    chain_config cfg;
    if (!chain_config_by_name("Cancun", &cfg)) abort();
    change_set cs = {0};
    u256 ether = u256_from_u64(1000000000000000000ULL), thousand = u256_from_u64(1000);
    u256 rich = u256_mul(&ether, &thousand), tokens = u256_mul(&ether, &ether);
    /* the senders and the token */
    for (size_t i = 0; i < s->n; i++) {
        account_change *ac = change_set_add_account(&cs, &s->addrs[i]);
        ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE;
        ac->balance = rich;
    }
    account_change *tk = change_set_add_account(&cs, &TOKEN);
    tk->flags = CHANGE_TOUCHED | CHANGE_NONCE | CHANGE_CODE;
    tk->nonce = 1;
    tk->code = code_store_intern(db_codes(d), TOKEN_CODE, sizeof TOKEN_CODE);
    for (size_t i = 0; i < s->n; i++) {
        u256 k = slot_of(&s->addrs[i]);
        change_set_add_slot(&cs, &cs.accounts[cs.n_accounts - 1], &k, &tokens);
    }
    err = load_chunk(d, &cs);
    /* the other accounts, then their token balances (every second one) */
    for (uint64_t i = 0; i < o->accounts && !err; i++) {
        address a = filler(i);
        account_change *ac = change_set_add_account(&cs, &a);
        ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE;
        ac->balance = ether;
        if (cs.n_accounts == CHUNK || i + 1 == o->accounts) err = load_chunk(d, &cs);
    }
    for (uint64_t i = 0; i < o->accounts && !err; i += 2) {
        if (!cs.n_accounts) change_set_add_account(&cs, &TOKEN)->flags = CHANGE_TOUCHED;
        address a = filler(i);
        u256 k = slot_of(&a);
        change_set_add_slot(&cs, &cs.accounts[0], &k, &thousand);
        if (cs.accounts[0].n_slots == CHUNK || i + 2 >= o->accounts) err = load_chunk(d, &cs);
    }
    if (err) {
        change_set_free(&cs);
        db_close(d);
        return err;
    }
    block_header h = {0};
    h.ommers_hash = EMPTY_LIST_HASH;
    h.tx_root = EMPTY_TRIE_ROOT;
    h.receipts_root = EMPTY_TRIE_ROOT;
    h.gas_limit = o->gas_limit;
    h.timestamp = 1700000000;
    h.has_base_fee = true;
    h.base_fee = u256_from_u64(1000000000ULL);
    h.has_withdrawals_root = true;
    h.withdrawals_root = EMPTY_TRIE_ROOT;
    h.has_blob_gas = true;
    h.has_beacon_root = true;
    block_header out;
    err = chain_init(d, &cfg, &h, NULL, &out);
    if (!err) *hash = out.hash;
    db_close(d);
    return err;
}

/* ---- Transactions ---------------------------------------------------------------------------------- */

static json_t *sign_raw(transaction *tx, const uint8_t key[32]) {
    tx->type = TX_DYNAMIC_FEE;
    tx->has_chain_id = true;
    tx->chain_id = 1;
    tx->max_priority_fee = u256_from_u64(1000000000ULL);
    tx->max_fee = u256_from_u64(500000000000ULL);
    if (!tx_sign(tx, key)) abort();
    buf_t raw = {0};
    tx_encode(tx, &raw);
    json_t *s = rpc_json_data(raw.data, raw.len);
    buf_free(&raw);
    return s;
}

/* Transaction j of the workload, from sender s (its next nonce). */
static json_t *make_tx(const engine_opts *o, senders *s, size_t who, uint64_t j) {
    transaction tx = {.nonce = s->nonces[who]++, .has_to = true};
    uint8_t data[68] = {0xa9, 0x05, 0x9c, 0xbb};
    address to = filler((j * 7919) % (o->accounts ? o->accounts : 1));
    bool mixed = !strcmp(o->kind, "mixed");
    int pick = mixed ? (int)(j % 10) : 0;
    if (pick == 1 || pick == 2 || pick == 3) { /* ETH: to a holder, or to a new account */
        if (pick == 3) to = filler(o->accounts + j);
        tx.to = to;
        tx.gas_limit = 21000;
        tx.value = u256_from_u64(1000 + j);
    } else {
        if (pick == 9) to = HOT;
        tx.to = TOKEN;
        tx.gas_limit = 60000; /* about 49,500 used to a new holder */
        memcpy(data + 4 + 12, to.b, 20);
        u256 amount = u256_from_u64(1 + j % 97);
        u256_to_be(&amount, data + 36);
        tx.data = data;
        tx.data_len = sizeof data;
    }
    json_t *raw = sign_raw(&tx, s->keys[who]);
    return raw;
}

/* ---- The builder (in process) ------------------------------------------------------------------------- */

/* Calls a method of the node's authenticated set in process. */
static json_t *call_local(node *n, const char *method, json_t *params) {
    json_t *r = cli_rpc_call(node_auth_methods(n), method, params);
    json_decref(params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (res) json_incref(res);
    else if (r) {
        char *t = json_dumps(r, JSON_COMPACT);
        fprintf(stderr, "parevm bench engine: %s: %s\n", method, t);
        free(t);
    }
    json_decref(r);
    return res;
}

static json_t *hash_json(const bytes32 *h) { return rpc_json_hash(h); }

static bytes32 beacon_root_of(uint64_t ts) {
    bytes32 r = {{0}};
    memcpy(r.b, &ts, 8);
    r.b[31] = 0xbe;
    return r;
}

static json_t *forkchoice_params(const bytes32 *head, json_t *attrs) {
    return json_pack("[{s:o,s:o,s:o},o]", "headBlockHash", hash_json(head), "safeBlockHash", hash_json(head),
                     "finalizedBlockHash", hash_json(head), attrs ? attrs : json_null());
}

/* Builds the next block on the builder's head and makes it the head;
 * returns newPayloadV3's params. */
static json_t *build_block(node *b, bytes32 *head, uint64_t ts, size_t *n_txs, uint64_t *gas) {
    bytes32 root = beacon_root_of(ts), rnd = beacon_root_of(ts + 1);
    address fee = HOT;
    json_t *attrs = json_pack("{s:o,s:o,s:o,s:[],s:o}", "timestamp", rpc_json_u64(ts), "prevRandao", hash_json(&rnd),
                              "suggestedFeeRecipient", rpc_json_address(&fee), "withdrawals", "parentBeaconBlockRoot",
                              hash_json(&root));
    json_t *r = call_local(b, "engine_forkchoiceUpdatedV3", forkchoice_params(head, attrs));
    json_t *id = r ? json_object_get(r, "payloadId") : NULL;
    json_t *env = id && json_is_string(id) ? call_local(b, "engine_getPayloadV3", json_pack("[O]", id)) : NULL;
    json_decref(r);
    if (!env) return NULL;
    json_t *p = json_object_get(env, "executionPayload");
    json_t *params = json_pack("[O,[],o]", p, hash_json(&root));
    json_decref(env);
    *n_txs = json_array_size(json_object_get(p, "transactions"));
    rpc_parse_u64(json_object_get(p, "gasUsed"), gas);
    bytes32 h;
    rpc_parse_hash(json_object_get(p, "blockHash"), &h);
    json_t *st = call_local(b, "engine_newPayloadV3", json_deep_copy(params));
    bool ok = st && !strcmp(json_string_value(json_object_get(st, "status")) ?: "", "VALID");
    json_decref(st);
    json_t *f = ok ? call_local(b, "engine_forkchoiceUpdatedV3", forkchoice_params(&h, NULL)) : NULL;
    json_decref(f);
    if (!f) {
        json_decref(params);
        return NULL;
    }
    *head = h;
    return params;
}

/* ---- The validator (over HTTP with JWT) ------------------------------------------------------------------- */

typedef struct {
    uint16_t port;
    uint8_t secret[JWT_SECRET_LEN];
} http_target;

/* POSTs body with a fresh token; returns the response body (free) or NULL. */
static char *post(const http_target *t, const char *body) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(t->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return NULL;
    }
    char tok[JWT_MAX_TOKEN_LEN], head[JWT_MAX_TOKEN_LEN + 256];
    jwt_make(t->secret, (int64_t)time(NULL), tok, sizeof tok);
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n",
                     tok, len);
    bool ok = send(fd, head, (size_t)n, MSG_NOSIGNAL) == n;
    for (size_t off = 0; ok && off < len;) {
        ssize_t k = send(fd, body + off, len - off, MSG_NOSIGNAL);
        ok = k > 0;
        off += ok ? (size_t)k : 0;
    }
    buf_t in = {0};
    char chunk[65536];
    ssize_t k;
    while (ok && (k = recv(fd, chunk, sizeof chunk, 0)) > 0) buf_append(&in, chunk, (size_t)k);
    close(fd);
    uint8_t zero = 0;
    buf_append(&in, &zero, 1);
    char *sep = in.data ? strstr((char *)in.data, "\r\n\r\n") : NULL;
    char *out = sep ? strdup(sep + 4) : NULL;
    buf_free(&in);
    return out;
}

/* Sends a request; true when its result has want at key (or any result
 * when key is NULL). */
static bool remote(const http_target *t, const char *method, json_t *params, const char *key, const char *want) {
    json_t *req = json_pack("{s:s,s:i,s:s,s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *resp = post(t, body);
    free(body);
    json_t *r = resp ? json_loads(resp, 0, NULL) : NULL;
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (res && key && !strcmp(key, "payloadStatus")) res = json_object_get(res, key), key = "status";
    bool ok = res && (!key || !strcmp(json_string_value(json_object_get(res, key)) ?: "", want));
    if (!ok) fprintf(stderr, "parevm bench engine: %s: %s\n", method, resp ? resp : "no answer");
    json_decref(r);
    free(resp);
    return ok;
}

/* ---- The run --------------------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p) {
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static int rm_entry(const char *p, const struct stat *s, int f, struct FTW *w) {
    (void)s, (void)f, (void)w;
    return remove(p);
}

typedef struct {
    char bdir[64], vdir[64];
    node *builder, *validator;
    rpc_server *srv;
    senders s;
    json_t **payloads;
    size_t *txs;
    uint64_t *gas;
} run_state;

static void run_free(run_state *r) {
    if (r->srv) rpc_server_stop(r->srv, 2000);
    if (r->builder) node_close(r->builder);
    if (r->validator) node_close(r->validator);
    if (r->bdir[0]) nftw(r->bdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (r->vdir[0]) nftw(r->vdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(r->s.keys), free(r->s.addrs), free(r->s.nonces);
}

static int fail(run_state *r, const char *what, const char *why) {
    fprintf(stderr, "parevm bench engine: %s%s%s\n", what, why ? ": " : "", why ? why : "");
    run_free(r);
    return 1;
}

/* The senders: enough for one full block of 21,000-gas transactions. */
static void make_senders(const engine_opts *o, senders *s) {
    s->n = o->gas_limit / 21000 + 1;
    s->keys = malloc(s->n * 32);
    s->addrs = malloc(s->n * sizeof *s->addrs);
    s->nonces = calloc(s->n, sizeof *s->nonces);
    if (!s->keys || !s->addrs || !s->nonces) abort();
    for (size_t i = 0; i < s->n; i++) {
        key_of(i, s->keys[i]);
        if (!tx_address_of_key(s->keys[i], &s->addrs[i])) abort();
    }
}

/* Fills the builder's pool for one block: about what the gas limit takes
 * at the last block's gas per transaction (leftovers wait in the pool). */
static bool fill_pool(run_state *r, const engine_opts *o, uint64_t *next_tx, size_t *next_sender, double gas_per_tx) {
    size_t want = (size_t)((double)o->gas_limit / gas_per_tx) + 8;
    if (want > r->s.n) want = r->s.n;
    for (size_t i = 0; i < want; i++) {
        json_t *raw = make_tx(o, &r->s, *next_sender, (*next_tx)++);
        *next_sender = (*next_sender + 1) % r->s.n;
        json_t *h = call_local(r->builder, "eth_sendRawTransaction", json_pack("[o]", raw));
        if (!h) return false;
        json_decref(h);
    }
    return true;
}

/* Gossip: the payload's transactions enter the validator's pool before the
 * payload does, as a node's peers deliver them ahead of the block (untimed).
 * Returns how many the pool took. */
static size_t gossip(node *v, json_t *payload) {
    json_t *list = json_object_get(json_array_get(payload, 0), "transactions"), *raw;
    size_t i, took = 0;
    json_array_foreach(list, i, raw) {
        json_t *params = json_pack("[O]", raw);
        json_t *r = cli_rpc_call(node_auth_methods(v), "eth_sendRawTransaction", params);
        json_decref(params);
        took += r && json_object_get(r, "result");
        json_decref(r);
    }
    return took;
}

static int run(const engine_opts *o) {
    run_state r = {0};
    snprintf(r.bdir, sizeof r.bdir, "/tmp/parevm-bench-engine-b-XXXXXX");
    snprintf(r.vdir, sizeof r.vdir, "/tmp/parevm-bench-engine-v-XXXXXX");
    if (!mkdtemp(r.bdir) || !mkdtemp(r.vdir)) {
        r.bdir[0] = r.vdir[0] = 0;
        return fail(&r, "cannot create temporary stores", NULL);
    }
    double t0 = now_s();
    make_senders(o, &r.s);
    bytes32 g1, g2;
    const char *err = write_genesis(r.bdir, o, &r.s, &g1);
    if (!err) err = write_genesis(r.vdir, o, &r.s, &g2);
    if (err) return fail(&r, "genesis", err);
    double t_genesis = now_s() - t0;
    node_config bc = {.datadir = r.bdir, .threads = o->threads, .builder_gas_limit = o->gas_limit};
    node_config vc = {.datadir = r.vdir, .threads = o->threads, .preroot = o->preroot};
    if ((err = node_open(&bc, &r.builder)) || (err = node_open(&vc, &r.validator))) return fail(&r, "node", err);
    http_target t;
    for (int i = 0; i < JWT_SECRET_LEN; i++) t.secret[i] = (uint8_t)(i * 37 + 11);
    rpc_server_config sc = {.port = 0, .threads = 2, .jwt_secret = t.secret, .thread_stack = NODE_THREAD_STACK};
    char why[200];
    if (!(r.srv = rpc_server_start(&sc, node_auth_methods(r.validator), why, sizeof why))) return fail(&r, "server", why);
    t.port = rpc_server_port(r.srv);

    /* build the chain (untimed) */
    json_t *payloads[o->blocks];
    size_t txs[o->blocks];
    uint64_t gas[o->blocks];
    bytes32 head = g1;
    uint64_t next_tx = 0, total_gas = 0;
    size_t next_sender = 0, total_txs = 0;
    double gas_per_tx = !strcmp(o->kind, "erc20") ? 45000 : 35000;
    t0 = now_s();
    for (uint64_t k = 0; k < o->blocks; k++) {
        if (!fill_pool(&r, o, &next_tx, &next_sender, gas_per_tx)) {
            for (uint64_t i = 0; i < k; i++) json_decref(payloads[i]);
            return fail(&r, "the builder's pool refused a transaction", NULL);
        }
        payloads[k] = build_block(r.builder, &head, 1700000000 + 12 * (k + 1), &txs[k], &gas[k]);
        if (!payloads[k] || !txs[k]) {
            for (uint64_t i = 0; i <= k; i++) json_decref(payloads[i]);
            return fail(&r, "building a block failed", NULL);
        }
        gas_per_tx = (double)gas[k] / (double)txs[k];
        total_txs += txs[k];
        total_gas += gas[k];
    }
    double t_build = now_s() - t0;

    /* the validator: newPayload, then forkchoiceUpdated, block by block */
    double np[o->blocks], fc[o->blocks], both[o->blocks];
    bool ok = true;
    size_t gossiped = 0;
    for (uint64_t k = 0; k < o->blocks && ok; k++) {
        bytes32 h;
        rpc_parse_hash(json_object_get(json_array_get(payloads[k], 0), "blockHash"), &h);
        if (o->gossip) gossiped += gossip(r.validator, payloads[k]);
        double a = now_s();
        ok = remote(&t, "engine_newPayloadV3", payloads[k], "status", "VALID");
        payloads[k] = NULL; /* stolen */
        double b = now_s();
        ok = ok && remote(&t, "engine_forkchoiceUpdatedV3", forkchoice_params(&h, NULL), "payloadStatus", "VALID");
        np[k] = (b - a) * 1e3;
        fc[k] = (now_s() - b) * 1e3;
        both[k] = np[k] + fc[k];
        if (o->interval_ms) nanosleep(&(struct timespec){(time_t)(o->interval_ms / 1000), (long)(o->interval_ms % 1000) * 1000000L}, NULL);
    }
    for (uint64_t k = 0; k < o->blocks; k++) json_decref(payloads[k]);
    if (!ok) return fail(&r, "the validator did not accept the chain", NULL);
    node_import_times it;
    node_import_stats(r.validator, &it);
    double sum = 0;
    for (uint64_t k = 0; k < o->blocks; k++) sum += np[k];
    qsort(np, o->blocks, sizeof np[0], cmp_double);
    qsort(fc, o->blocks, sizeof fc[0], cmp_double);
    qsort(both, o->blocks, sizeof both[0], cmp_double);
    double p50 = pct(np, o->blocks, 0.5), p99 = pct(np, o->blocks, 0.99), mean = sum / (double)o->blocks;
    double mgas_s = sum > 0 ? (double)total_gas / (sum / 1e3) / 1e6 : 0;
    /* the root after execution: the blocks' root rounds' tail, or the whole
     * root of blocks without rounds; the overlap: rounds during execution */
    double after = it.root + it.root_tail, root_all = after + it.root_during;
    double root_share = it.execute > 0 ? after / it.execute : 0;
    double overlap = root_all > 0 ? it.root_during / root_all : 0;
    if (o->json) {
        printf("{\"kind\":\"%s\",\"accounts\":%llu,\"senders\":%zu,\"blocks\":%llu,\"gas_limit\":%llu,\"threads\":%u,"
               "\"txs\":%zu,\"gas\":%llu,\"new_payload_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"mean\":%.3f,\"max\":%.3f},"
               "\"forkchoice_ms_p50\":%.3f,\"new_payload_and_forkchoice_ms_p50\":%.3f,\"mgas_per_s\":%.1f,\"stages_s\":{\"validate\":%.4f,\"senders\":%.4f,"
               "\"execute\":%.4f,\"root\":%.4f,\"commit\":%.4f,\"root_during_execution\":%.4f,"
               "\"root_after_execution\":%.4f,\"root_after_execution_waiting\":%.4f},\"preroot_blocks\":%llu,\"preroot_rounds\":%llu,\"preroot_chained\":%llu,\"preroot_as_guessed\":%llu,\"root_over_execute\":%.4f,"
               "\"root_overlap\":%.4f,\"roots_chained\":%llu,\"gossiped\":%zu,\"senders_from_pool\":%llu,"
               "\"state_rows\":%llu,\"rows_from_reads\":%llu,\"writes\":%llu}\n",
               o->kind, (unsigned long long)o->accounts, r.s.n, (unsigned long long)o->blocks,
               (unsigned long long)o->gas_limit, o->threads, total_txs, (unsigned long long)total_gas, p50, p99, mean,
               np[o->blocks - 1], pct(fc, o->blocks, 0.5), pct(both, o->blocks, 0.5), mgas_s, it.validate, it.senders, it.execute, it.root,
               it.commit, it.root_during, after, it.root_tail_wait, (unsigned long long)it.preroot_blocks,
               (unsigned long long)it.preroot_rounds, (unsigned long long)it.preroot_chained,
               (unsigned long long)it.preroot_as_guessed, root_share, overlap,
               (unsigned long long)it.root_chained, gossiped, (unsigned long long)it.senders_from_pool,
               (unsigned long long)it.rows, (unsigned long long)it.rows_from_reads, (unsigned long long)it.writes);
    } else {
        printf("parevm bench engine: %s blocks, %llu accounts (+%zu senders), gas limit %.1fM, %u threads\n", o->kind,
               (unsigned long long)o->accounts, r.s.n, (double)o->gas_limit / 1e6, o->threads);
        printf("  setup: genesis (two stores) %.1f s, building %llu blocks %.1f s\n", t_genesis,
               (unsigned long long)o->blocks, t_build);
        printf("  chain: %zu transactions, %.1f Mgas (%.1f Mgas per block)\n", total_txs, (double)total_gas / 1e6,
               (double)total_gas / 1e6 / (double)o->blocks);
        printf("  engine_newPayloadV3 over HTTP+JWT: p50 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms (%.0f Mgas/s)\n",
               p50, p99, mean, np[o->blocks - 1], mgas_s);
        printf("  engine_forkchoiceUpdatedV3: p50 %.2f ms; both: p50 %.2f ms (%s)\n", pct(fc, o->blocks, 0.5),
               pct(both, o->blocks, 0.5),
               o->interval_ms ? "blocks spaced out: each block's write ends before the next payload"
                              : "back to back: a payload executes and is checked while the blocks before it "
                                "are written, and waits in the queue for the next write");
        printf("  writes: %llu for %llu blocks (payloads that arrive during a write share the next one)\n",
               (unsigned long long)it.writes, (unsigned long long)o->blocks);
        if (it.root_chained)
            printf("  state roots checked on the unwritten parent while its write went on: %llu of %llu blocks\n",
                   (unsigned long long)it.root_chained, (unsigned long long)o->blocks);
        if (o->gossip)
            printf("  gossip: %zu of %zu transactions entered the validator's pool before their block (untimed); "
                   "their senders taken from it: %llu\n",
                   gossiped, total_txs, (unsigned long long)it.senders_from_pool);
        printf("  validator stages (all blocks): validate %.3f s, senders %.3f s, execute %.3f s, state root %.3f s, "
               "commit %.3f s\n",
               it.validate, it.senders, it.execute, it.root, it.commit);
        printf("  state root: ready %.1f ms after execution ended per block, %.0f%% of execution time (target <= 10%%);\n"
               "              %llu of %llu blocks computed it in rounds while executing (%llu of them on the "
               "unwritten parent; %.3f s), overlap %.0f%% of root time\n",
               1e3 * after / (double)o->blocks, root_share * 100, (unsigned long long)it.preroot_blocks,
               (unsigned long long)o->blocks, (unsigned long long)it.preroot_chained, it.root_during, overlap * 100);
        if (it.preroot_blocks)
            printf("              after execution: %.1f ms per block waiting for the round running when it ended, "
                   "%.1f ms in the final round (%llu blocks without one: the last guess was the block);\n"
                   "              %.1f rounds per block\n",
                   1e3 * it.root_tail_wait / (double)o->blocks,
                   1e3 * (it.root_tail - it.root_tail_wait) / (double)o->blocks,
                   (unsigned long long)it.preroot_as_guessed, (double)it.preroot_rounds / (double)it.preroot_blocks);
        printf("  changed accounts and slots: %llu, prior state taken from what execution read: %llu (%.0f%%)\n",
               (unsigned long long)it.rows, (unsigned long long)it.rows_from_reads,
               it.rows ? 100.0 * (double)it.rows_from_reads / (double)it.rows : 0.0);
    }
    run_free(&r);
    return 0;
}

typedef struct {
    engine_opts o;
} engine_job;

static int engine_main(void *p) { return run(&((engine_job *)p)->o); }

int bench_engine(int argc, char **argv) {
    engine_opts o = {.kind = "erc20", .accounts = 100000, .blocks = 10, .gas_limit = 60000000,
                     .threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN)};
    bool ok = true;
    for (int i = 0; i < argc && ok; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        unsigned long long x = v ? strtoull(v, &end, 10) : 0;
        bool num = v && end && !*end && *v;
        if (!strcmp(a, "--json")) o.json = true;
        else if (!strcmp(a, "--kind") && v) o.kind = v, i++;
        else if (!strcmp(a, "--accounts") && num) o.accounts = x, i++;
        else if (!strcmp(a, "--blocks") && num && x >= 1 && x <= 1000) o.blocks = x, i++;
        else if (!strcmp(a, "--gas-limit") && num && x >= 1000000) o.gas_limit = x, i++;
        else if (!strcmp(a, "--threads") && num && x >= 1 && x <= 256) o.threads = (unsigned)x, i++;
        else if (!strcmp(a, "--preroot") && v && chain_preroot_parse(v, &o.preroot)) i++;
        else if (!strcmp(a, "--interval-ms") && num && x <= 60000) o.interval_ms = x, i++;
        else if (!strcmp(a, "--gossip")) o.gossip = true;
        else ok = false;
    }
    if (!ok || (strcmp(o.kind, "erc20") && strcmp(o.kind, "mixed"))) {
        fprintf(stderr, "usage: parevm bench engine [--kind erc20|mixed] [--accounts N] [--blocks K] "
                        "[--gas-limit GAS] [--threads N] [--preroot auto|on|off] [--interval-ms MS] [--gossip] "
                        "[--json]\n");
        return 2;
    }
    engine_job j = {o};
    return run_on_big_stack(engine_main, &j);
}
