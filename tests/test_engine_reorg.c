/* Engine API heads and reorgs over real HTTP with JWT
 * (tests/engine_api_helpers.h), with branches the tests build on one node
 * and send to another: newPayload executes every payload whose ancestors
 * it has (a sibling of the head, a side branch: VALID or INVALID at once,
 * as geth answers) and leaves the head where it is, and "latest",
 * transaction lookups and the pool follow forkchoiceUpdated only; a
 * forkchoice update makes a side branch canonical (the store unwinds to
 * the common ancestor), invalid payloads and their descendants are
 * INVALID with the latest valid ancestor (0x00..00 past a proof-of-work
 * parent), and a failed switch leaves the old head in place. */
#include <signal.h>
#include <sys/wait.h>
#include "test.h"
#include "engine_api_helpers.h"
#include "node/node_internal.h"

/* ---- The head follows forkchoiceUpdated ------------------------------------------------------- */

/* The hash of a payload's first transaction. */
static bytes32 first_tx_hash(const json_t *env) {
    const json_t *txs = json_object_get(json_object_get(env, "executionPayload"), "transactions");
    uint8_t *raw = NULL;
    size_t len = 0;
    bytes32 h = {{0}};
    if (!rpc_parse_data(json_array_get(txs, 0), &raw, &len)) h = keccak256_hash(raw, len);
    free(raw);
    return h;
}

/* Whether method answers null (found nothing). */
static bool answers_null(eh_node *e, const char *method, json_t *params) {
    json_t *r = eh_call(e, method, params);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    bool ok = res && json_is_null(res);
    json_decref(r);
    return ok;
}

/* hive's "NewPayload with Missing ForkchoiceUpdated": payloads extending
 * the chain are executed and stored but are not the head (their blocks
 * not found by number, their transactions not by hash, the state not
 * theirs) until a forkchoice update names them; one back to an ancestor
 * moves the head back without forgetting the blocks above it. */
TEST(engine_payloads_wait_for_forkchoice) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    enum { K = 3 };
    json_t *envs[K] = {0};
    bytes32 hashes[K];
    address to = addr_of(0x31);
    if (!a.n || !b.n || !build_transfers(&a, K, &to, 500, envs, hashes)) goto out;
    bytes32 g = genesis_hash(&b), tx0 = first_tx_hash(envs[0]), tx1 = first_tx_hash(envs[1]);
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    CHECK(head_is(&b, &g));
    u256 v = balance(&b, &to);
    CHECK(u256_is_zero(&v));
    CHECK(answers_null(&b, "eth_getBlockByNumber", json_pack("[s,b]", "0x1", 0)));
    CHECK(!answers_null(&b, "eth_getBlockByHash", json_pack("[o,b]", eh_hash(&hashes[0]), 0)));
    CHECK(answers_null(&b, "eth_getTransactionReceipt", json_pack("[o]", eh_hash(&tx0))));
    CHECK(answers_null(&b, "eth_getTransactionByHash", json_pack("[o]", eh_hash(&tx0))));
    CHECK(fcu_valid(&b, &hashes[K - 1]) && head_is(&b, &hashes[K - 1]));
    v = balance(&b, &to);
    CHECK(u256_eq(&v, U(500 + 501 + 502)));
    CHECK(!answers_null(&b, "eth_getTransactionReceipt", json_pack("[o]", eh_hash(&tx0))));
    /* back to the first block, and forward again without a newPayload */
    CHECK(fcu_valid(&b, &hashes[0]) && head_is(&b, &hashes[0]));
    v = balance(&b, &to);
    CHECK(u256_eq(&v, U(500)));
    CHECK(answers_null(&b, "eth_getTransactionReceipt", json_pack("[o]", eh_hash(&tx1))));
    CHECK(fcu_valid(&b, &hashes[K - 1]) && head_is(&b, &hashes[K - 1]));
    v = balance(&b, &to);
    CHECK(u256_eq(&v, U(500 + 501 + 502)));
    /* a restart begins at the forkchoice's head, the payload above it kept */
    bytes32 nh;
    json_t *next = extend(&a, &hashes[K - 1], T0 + 12 * (K + 1), 9, &nh);
    CHECK(next && new_payload_is(&b, next, "VALID", &nh) && head_is(&b, &hashes[K - 1]));
    eh_stop(&b, false);
    CHECK(eh_start(&b, NULL) && head_is(&b, &hashes[K - 1]));
    CHECK(next && new_payload_is(&b, next, "VALID", &nh) && fcu_valid(&b, &nh) && head_is(&b, &nh));
    json_decref(next);
out:
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* Names block hash in the store's meta as a move below the head leaves
 * it (node_engine.c's mark_move) until the move ends: what a crash in the
 * middle of a side payload's execution leaves on disk. */
static bool plant_move_mark(const char *dir, const bytes32 *hash) {
    db *d;
    if (db_open(dir, &(db_options){.existing = true}, &d)) return false;
    db_meta m = {.name = "engine.move", .value = {hash->b, 32}};
    bool ok = !db_put_meta(d, &m);
    db_close(d);
    return ok;
}

/* A crash while the store was below the forkchoice's head (a side
 * payload's branch executed, the old blocks not yet back): the next start
 * goes back to that head, from an ancestor or from a side branch of
 * stored blocks, as geth's head never leaves the last named block. */
TEST(engine_start_finishes_a_move_cut_short) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    enum { K = 3 };
    json_t *envs[K] = {0}, *side = NULL;
    bytes32 hashes[K], sh;
    address to = addr_of(0x33);
    if (!a.n || !b.n || !build_transfers(&a, K, &to, 700, envs, hashes)) goto out;
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    CHECK(fcu_valid(&b, &hashes[K - 1]));
    /* cut short back at block 1: the store goes there by debug_setHead */
    json_t *r = eh_result(&b, "debug_setHead", json_pack("[s]", "0x1"));
    json_decref(r);
    CHECK(head_is(&b, &hashes[0]));
    eh_stop(&b, false);
    CHECK(plant_move_mark(b.dir, &hashes[K - 1]));
    CHECK(eh_start(&b, NULL) && head_is(&b, &hashes[K - 1]));
    u256 v = balance(&b, &to);
    CHECK(u256_eq(&v, U(700 + 701 + 702)));
    /* cut short on a side branch: the side block is the store's head */
    side = build(&a, &hashes[0], T0 + 30, 0x44);
    sh = payload_hash(side);
    CHECK(side && new_payload_is(&b, side, "VALID", &sh) && fcu_valid(&b, &sh) && head_is(&b, &sh));
    eh_stop(&b, false);
    CHECK(plant_move_mark(b.dir, &hashes[K - 1]));
    CHECK(eh_start(&b, NULL) && head_is(&b, &hashes[K - 1]));
    v = balance(&b, &to);
    CHECK(u256_eq(&v, U(700 + 701 + 702)));
    /* the mark is gone: a later start changes nothing */
    CHECK(fcu_valid(&b, &sh) && head_is(&b, &sh));
    eh_stop(&b, false);
    CHECK(eh_start(&b, NULL) && head_is(&b, &sh));
out:
    json_decref(side);
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* ---- A crash keeps the head the forkchoice named ------------------------------------------------ */

typedef struct {
    json_t **envs;
    bytes32 *hashes, g;
    int k;
} crash_chain;

/* Runs steps on a node over b's store in a child process, which is then
 * killed (SIGKILL: no clean stop, as kill -9). True when the steps passed
 * and the child died of it. No thread may run in this process meanwhile. */
static bool run_then_kill(eh_node *b, bool (*steps)(eh_node *b, const crash_chain *c), const crash_chain *c) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        if (eh_start(b, NULL) && steps(b, c)) kill(getpid(), SIGKILL);
        _exit(1);
    }
    int st;
    return waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/* newPayload of the whole chain and no forkchoice update; the read
 * waits for the last write. */
static bool payloads_only(eh_node *b, const crash_chain *c) {
    bool ok = true;
    for (int i = 0; i < c->k; i++) ok = ok && new_payload_is(b, c->envs[i], "VALID", &c->hashes[i]);
    return ok && head_is(b, &c->g);
}

/* Waits until the writer kept the head a forkchoice update moved without
 * a write: the flag clears, then a forkchoice update that changes nothing
 * (a writer job, after that save) returns. */
static bool head_saved(eh_node *b, const bytes32 *head) {
    for (int i = 0; i < 500 && atomic_load(&b->n->fc_unsaved); i++) usleep(10000);
    return !atomic_load(&b->n->fc_unsaved) && fcu_valid(b, head);
}

/* The chain's head named, then its first block, without a write. */
static bool back_to_first(eh_node *b, const crash_chain *c) {
    return fcu_valid(b, &c->hashes[c->k - 1]) && fcu_valid(b, &c->hashes[0]) && head_saved(b, &c->hashes[0]);
}

/* A kill -9 after newPayloads that no forkchoice update named, or after
 * one that moved the head back without a write: the next start begins at
 * the head named last (geth keeps its head hash on disk), the payloads
 * kept. When the store's head moved since (`parevm db unwind` here), the
 * kept head is stale and the store's head stands. */
TEST(engine_crash_keeps_the_named_head) {
    eh_node a = {0}, b = {0};
    enum { K = 3 };
    json_t *envs[K] = {0};
    bytes32 hashes[K];
    address to = addr_of(0x35);
    CHECK(start_node(&a) && make_store(&b));
    if (!a.n || !build_transfers(&a, K, &to, 900, envs, hashes)) goto out;
    crash_chain c = {envs, hashes, genesis_hash(&a), K};
    eh_stop(&a, true); /* no thread may run across fork() */
    CHECK(run_then_kill(&b, payloads_only, &c));
    CHECK(eh_start(&b, NULL) && head_is(&b, &c.g));
    u256 v = balance(&b, &to);
    CHECK(u256_is_zero(&v));
    CHECK(fcu_valid(&b, &hashes[K - 1]) && head_is(&b, &hashes[K - 1]));
    eh_stop(&b, false);
    CHECK(run_then_kill(&b, back_to_first, &c));
    CHECK(eh_start(&b, NULL) && head_is(&b, &hashes[0]));
    v = balance(&b, &to);
    CHECK(u256_eq(&v, U(900)));
    eh_stop(&b, false);
    /* the same crash, then the store's head moved by another hand */
    CHECK(run_then_kill(&b, back_to_first, &c));
    db *d;
    CHECK(!db_open(b.dir, &(db_options){.existing = true}, &d));
    if (d) CHECK(!db_unwind(d, 2, NULL));
    if (d) db_close(d);
    CHECK(eh_start(&b, NULL) && head_is(&b, &hashes[1]));
out:
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* hive's "Multiple New Payloads Extending Canonical Chain" and the
 * sibling payloads of its "Transaction Re-Org": payloads on the same
 * parent, each paying its own fee recipient, are all VALID at once; the
 * forkchoice picks one, and a sibling of the head is executed on the
 * head's parent while the head and its state stay. */
TEST(engine_sibling_payloads_valid_at_once) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    enum { K = 3 };
    json_t *envs[K + 1] = {0};
    bytes32 hashes[K + 1];
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a);
    account s = dev_account(1);
    address x = addr_of(0x40);
    CHECK(send_tx(&a, transfer(&s, 0, &x, 7, 2)));
    for (int k = 0; k <= K; k++) {
        envs[k] = build(&a, &g, T0 + 12, (uint8_t)(0x50 + k));
        hashes[k] = payload_hash(envs[k]);
        CHECK(envs[k] && json_array_size(json_object_get(json_object_get(envs[k], "executionPayload"),
                                                         "transactions")) == 1);
    }
    if (!envs[K]) goto out;
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    CHECK(head_is(&b, &g));
    CHECK(fcu_valid(&b, &hashes[1]) && head_is(&b, &hashes[1]));
    address r1 = addr_of(0x51), r3 = addr_of(0x50 + K);
    u256 v1 = balance(&b, &r1), v3 = balance(&b, &r3), vx = balance(&b, &x);
    CHECK(!u256_is_zero(&v1) && u256_is_zero(&v3) && u256_eq(&vx, U(7)));
    /* a sibling of the head: executed on the genesis, the head stays */
    CHECK(new_payload_is(&b, envs[K], "VALID", &hashes[K]));
    u256 w1 = balance(&b, &r1);
    CHECK(head_is(&b, &hashes[1]) && u256_eq(&w1, &v1));
    CHECK(fcu_valid(&b, &hashes[K]) && head_is(&b, &hashes[K]));
    v1 = balance(&b, &r1), v3 = balance(&b, &r3), vx = balance(&b, &x);
    CHECK(u256_is_zero(&v1) && !u256_is_zero(&v3) && u256_eq(&vx, U(7)));
out:
    for (int k = 0; k <= K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* ---- Reorgs ------------------------------------------------------------------------------------------------ */

/* debug_getBadBlocks' hashes in order (at most cap); each entry's block
 * object and RLP must be the block its hash names. SIZE_MAX when the
 * answer is malformed. */
static size_t bad_blocks(eh_node *e, bytes32 *out, size_t cap) {
    json_t *r = eh_result(e, "debug_getBadBlocks", json_array());
    size_t n = json_is_array(r) ? json_array_size(r) : SIZE_MAX;
    for (size_t i = 0; n != SIZE_MAX && i < n; i++) {
        const json_t *b = json_array_get(r, i);
        uint8_t *rlp = NULL;
        size_t len;
        block blk;
        char why[128];
        bytes32 h;
        bool good = i < cap && !rpc_parse_hash(json_object_get(b, "hash"), &h) &&
                    !rpc_parse_data(json_object_get(b, "rlp"), &rlp, &len) && block_decode(rlp, len, &blk, why, sizeof why);
        free(rlp);
        if (good) {
            const json_t *o = json_object_get(b, "block");
            bytes32 oh;
            uint64_t num;
            good = bytes32_eq(&blk.header.hash, &h) && !rpc_parse_hash(json_object_get(o, "hash"), &oh) &&
                   bytes32_eq(&oh, &h) && !rpc_parse_u64(json_object_get(o, "number"), &num) && num == blk.header.number &&
                   json_array_size(json_object_get(o, "transactions")) == blk.n_txs &&
                   (blk.n_txs == 0 || json_is_object(json_array_get(json_object_get(o, "transactions"), 0)));
            block_free(&blk);
            out[i] = h;
        }
        if (!good) n = SIZE_MAX;
    }
    json_decref(r);
    return n;
}

TEST(engine_reorgs_between_built_branches) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a);
    account s = dev_account(1);
    address x = addr_of(0x10), y = addr_of(0x20);
    bytes32 bads[4];
    CHECK(bad_blocks(&b, bads, 4) == 0);
    /* branch A on node a: a1 pays x, a2 empty */
    CHECK(send_tx(&a, transfer(&s, 0, &x, 111, 1)));
    bytes32 a1h, a2h;
    json_t *a1 = extend(&a, &g, T0 + 12, 1, &a1h), *a2 = extend(&a, &a1h, T0 + 24, 1, &a2h);
    /* node a goes back to genesis (an unwind): a1's transaction is back in
     * the pool, as geth's reorg reinjects; branch B replaces it (b1 pays y) */
    CHECK(pool_pending(&a) == 0);
    CHECK(fcu_valid(&a, &g) && head_is(&a, &g));
    CHECK(pool_pending(&a) == 1);
    CHECK(send_tx(&a, transfer(&s, 0, &y, 222, 2)));
    CHECK(pool_pending(&a) == 1);
    json_t *b1 = build(&a, &g, T0 + 13, 2);
    bytes32 b1h = payload_hash(b1);
    CHECK(b1 && new_payload_is(&a, b1, "VALID", &b1h) && fcu_valid(&a, &b1h));
    json_t *b2 = build(&a, &b1h, T0 + 25, 2);
    bytes32 b2h = payload_hash(b2);
    CHECK(b2 && new_payload_is(&a, b2, "VALID", &b2h) && fcu_valid(&a, &b2h));
    json_t *b3 = build(&a, &b2h, T0 + 37, 2);
    bytes32 b3h = payload_hash(b3);
    CHECK(b3 && new_payload_is(&a, b3, "VALID", &b3h) && fcu_valid(&a, &b3h));
    json_t *b4 = build(&a, &b3h, T0 + 49, 2);
    bytes32 b4h = payload_hash(b4);
    CHECK(b4 && new_payload_is(&a, b4, "VALID", &b4h)); /* stored, not made the head */
    if (!a1 || !a2 || !b1 || !b2 || !b3 || !b4) goto free;

    /* node b: branch A canonical, then B's payloads come as a side branch */
    CHECK(new_payload_is(&b, a1, "VALID", &a1h) && fcu_valid(&b, &a1h));
    CHECK(new_payload_is(&b, a2, "VALID", &a2h) && fcu_valid(&b, &a2h));
    CHECK(new_payload_is(&b, b2, "SYNCING", NULL)); /* its parent is not known yet */
    /* side payloads are executed at once (geth's newPayload): on the
     * genesis, then b2 (kept) and b3 on b1; the head stays */
    CHECK(new_payload_is(&b, b1, "VALID", &b1h));
    CHECK(new_payload_is(&b, b3, "VALID", &b3h));
    CHECK(head_is(&b, &a2h));
    u256 vx = balance(&b, &x), vy = balance(&b, &y);
    CHECK(u256_eq(&vx, U(111)) && u256_is_zero(&vy));
    /* the reorg: b3 made the head (a2, a1 unwound; b1..b3 executed) */
    CHECK(fcu_valid(&b, &b3h) && head_is(&b, &b3h));
    vx = balance(&b, &x), vy = balance(&b, &y);
    CHECK(u256_is_zero(&vx) && u256_eq(&vy, U(222)));
    CHECK(pool_pending(&b) == 0); /* a1's transaction: its nonce is b1's */
    /* an invalid block on the head, and its child: INVALID with b3 */
    bytes32 bad1, bad2, bad3;
    json_t *p4 = json_object_get(b4, "executionPayload");
    json_t *t1 = tampered(&a, p4, wrong_state_root, &bad1);
    CHECK(t1 != NULL);
    json_t *r = t1 ? new_payload(&b, t1, NULL) : NULL;
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, &b3h));
    json_decref(r);
    child_parent = bad1;
    json_t *t2 = tampered(&a, p4, child_of_bad, &bad2);
    r = t2 ? new_payload(&b, t2, NULL) : NULL;
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, &b3h));
    json_decref(r);
    r = fcu(&b, &bad2, NULL, NULL);
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "INVALID") &&
          lvh_is(json_object_get(r, "payloadStatus"), &b3h));
    json_decref(r);
    CHECK(head_is(&b, &b3h));
    /* debug_getBadBlocks: the executed invalid block, not its child (refused
     * for its parent alone) */
    CHECK(bad_blocks(&b, bads, 4) == 1 && bytes32_eq(&bads[0], &bad1));
    /* back to branch A: its blocks come back from the store */
    CHECK(fcu_valid(&b, &a2h) && head_is(&b, &a2h));
    vx = balance(&b, &x), vy = balance(&b, &y);
    CHECK(u256_eq(&vx, U(111)) && u256_is_zero(&vy));
    /* a side payload that is invalid only when run: INVALID at once, and
     * so is a forkchoice update to it; the head stays */
    json_t *t3 = tampered(&a, p4, wrong_receipts_root, &bad3);
    r = t3 ? new_payload(&b, t3, NULL) : NULL;
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, &b3h));
    json_decref(r);
    CHECK(head_is(&b, &a2h));
    r = fcu(&b, &bad3, NULL, NULL);
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "INVALID") &&
          lvh_is(json_object_get(r, "payloadStatus"), &b3h));
    json_decref(r);
    CHECK(head_is(&b, &a2h));
    vx = balance(&b, &x);
    CHECK(u256_eq(&vx, U(111)));
    /* the block the forkchoice update failed on is kept too (both at height 4) */
    CHECK(bad_blocks(&b, bads, 4) == 2 && (bytes32_eq(&bads[0], &bad3) || bytes32_eq(&bads[1], &bad3)) &&
          (bytes32_eq(&bads[0], &bad1) || bytes32_eq(&bads[1], &bad1)));
    CHECK(eh_error_code(&b, "debug_getBadBlocks", json_pack("[s]", "/tmp/bad.json")) == RPC_SERVER_ERROR);
    CHECK(eh_error_code(&b, "debug_getBadBlocks", json_pack("[i]", 1)) == RPC_INVALID_PARAMS);
    CHECK(bad_blocks(&a, bads, 4) == 0);
    /* the good b4 is still fine: straight onto it from branch A */
    CHECK(new_payload_is(&b, b4, "VALID", &b4h));
    CHECK(head_is(&b, &a2h) && fcu_valid(&b, &b4h) && head_is(&b, &b4h));
    /* finalized b2: a forkchoice to branch A is now inconsistent */
    json_t *fc = fc_state(&a2h, NULL, &b2h);
    CHECK(code_of(&b, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc)) == -38002);
    CHECK(head_is(&b, &b4h));
    json_decref(t1);
    json_decref(t2);
    json_decref(t3);
free:
    json_decref(a1), json_decref(a2), json_decref(b1), json_decref(b2), json_decref(b3), json_decref(b4);
out:
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* A store whose genesis is a proof-of-work block (difficulty 0x20000) that
 * is also the terminal one (terminalTotalDifficulty 0), Cancun from 0. */
static bool make_pow_store(eh_node *e) {
    snprintf(e->dir, sizeof e->dir, "/tmp/parevm-engapi-XXXXXX");
    if (!mkdtemp(e->dir)) return false;
    json_t *g = json_loads("{\"config\": {\"chainId\": 31337, \"homesteadBlock\": 0, \"eip150Block\": 0,"
                           "\"eip155Block\": 0, \"eip158Block\": 0, \"byzantiumBlock\": 0, \"constantinopleBlock\": 0,"
                           "\"petersburgBlock\": 0, \"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0,"
                           "\"terminalTotalDifficulty\": 0, \"shanghaiTime\": 0, \"cancunTime\": 0},"
                           "\"difficulty\": \"0x20000\", \"gasLimit\": \"0x1c9c380\", \"alloc\": {}}",
                           0, NULL);
    node_config c = {.datadir = e->dir, .dev = true, .dev_genesis = g, .dev_genesis_time = T0};
    node *n;
    bool ok = g && !node_open(&c, &n);
    if (ok) node_close(n);
    json_decref(g);
    return ok;
}

static json_t *new_payload_v3(eh_node *e, const json_t *payload) {
    uint64_t ts = 0;
    rpc_parse_u64(json_object_get(payload, "timestamp"), &ts);
    bytes32 root = beacon_root(ts);
    return eh_result(e, "engine_newPayloadV3", json_pack("[O,[],o]", payload, eh_hash(&root)));
}

/* paris.md: an invalid payload whose latest valid ancestor is a
 * proof-of-work block (here the terminal one) gets latestValidHash
 * 0x00..00, on newPayload (parent the head) and on forkchoiceUpdated (a
 * side branch); and a forkchoice whose head turns out INVALID is answered
 * so, not with -38002 for its unknown safe block (-38002 is for a VALID
 * head). */
TEST(engine_invalid_on_pow_parent) {
    eh_node a = {0}, b = {0};
    static const bytes32 zero = {{0}};
    CHECK(make_pow_store(&a) && eh_start(&a, NULL) && make_pow_store(&b) && eh_start(&b, NULL));
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a);
    json_t *r = fcu(&a, &g, NULL, attrs(T0 + 12, 9));
    json_t *id = r ? json_object_get(r, "payloadId") : NULL;
    json_t *env = id && json_is_string(id) ? eh_result(&a, "engine_getPayloadV3", json_pack("[O]", id)) : NULL;
    json_decref(r);
    json_t *p = env ? json_object_get(env, "executionPayload") : NULL;
    CHECK(p != NULL);
    if (!p) goto done;
    bytes32 h = payload_hash(env), bad;
    r = new_payload_v3(&a, p);
    CHECK(r && !strcmp(status_str(r) ?: "", "VALID"));
    json_decref(r);
    json_t *badp = tampered(&a, p, wrong_state_root, &bad);
    CHECK(badp != NULL);
    if (!badp) goto done;
    /* b: its head is the genesis, the bad payload's parent */
    r = new_payload_v3(&b, badp);
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, &zero));
    json_decref(r);
    /* a: the bad block is a side branch on the genesis, executed there */
    CHECK(fcu_valid(&a, &h));
    r = new_payload_v3(&a, badp);
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, &zero));
    json_decref(r);
    bytes32 unknown;
    memset(unknown.b, 0x77, sizeof unknown.b);
    r = eh_result(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc_state(&bad, &unknown, NULL)));
    json_t *ps = r ? json_object_get(r, "payloadStatus") : NULL;
    CHECK(ps && !strcmp(status_str(ps) ?: "", "INVALID") && lvh_is(ps, &zero));
    json_decref(r);
    r = fcu(&a, &bad, NULL, NULL); /* the kept verdict */
    ps = r ? json_object_get(r, "payloadStatus") : NULL;
    CHECK(ps && !strcmp(status_str(ps) ?: "", "INVALID") && lvh_is(ps, &zero));
    json_decref(r);
    CHECK(head_is(&a, &h));
    json_decref(badp);
done:
    json_decref(env);
out:
    eh_stop(&a, true);
    eh_stop(&b, true);
}
