/* The Engine API of the node, method by method, over real HTTP with JWT
 * (tests/engine_helpers.h): the token cases (a request refused with 401
 * does no work), the error codes of execution-apis (-38001..-38005,
 * -32602), payload building from the pool (forkchoiceUpdated with
 * attributes -> getPayload -> newPayload on a second node gives the same
 * block), testing_buildBlockV1, eth_config, geth's --miner.* settings and
 * miner_set* methods in built payloads, and reorgs between branches
 * the test builds: side payloads are ACCEPTED, a forkchoice update makes
 * them canonical (the store unwinds to the common ancestor), invalid
 * payloads and their descendants are INVALID with the latest valid
 * ancestor, and a failed switch leaves the old head in place. The store
 * is the dev chain's genesis (Osaka rules, prefunded accounts, system
 * contracts), reopened as an ordinary (non-dev) store. */
#include "test.h"
#include "engine_api_helpers.h"
#include "proof_check.h"
#include "crypto/bls12_381.h"
#include "parevm/hdkeys.h"
#include "parevm/keccak.h"
#include "parevm/state_host.h"
#include "parevm/tx.h"
#include <openssl/evp.h>
#include <time.h>

/* ---- JWT ------------------------------------------------------------------------------------------ */

static void b64url(const char *in, char *out) {
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(uint8_t)in[i + 1] << 8;
        if (i + 2 < n) v |= (uint8_t)in[i + 2];
        out[o++] = T[v >> 18 & 63];
        out[o++] = T[v >> 12 & 63];
        if (i + 1 < n) out[o++] = T[v >> 6 & 63];
        if (i + 2 < n) out[o++] = T[v & 63];
    }
    out[o] = 0;
}

TEST(engine_jwt_refuses_bad_tokens_without_doing_work) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a);
    json_t *env = build(&a, &g, T0 + 12, 1);
    CHECK(env != NULL);
    if (!env) goto out;
    bytes32 h = payload_hash(env);
    json_t *req = json_pack("{s:s,s:i,s:s,s:[O,[],o,[]]}", "jsonrpc", "2.0", "id", 1, "method", "engine_newPayloadV4",
                            "params", json_object_get(env, "executionPayload"), eh_hash(&h), NULL);
    /* the beacon root does not matter: the request must not get that far */
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    int64_t now = (int64_t)time(NULL);
    uint8_t other[JWT_SECRET_LEN];
    memcpy(other, b.secret, sizeof other);
    other[0] ^= 1;
    char tok[JWT_MAX_TOKEN_LEN], claims[64], enc[128];
    char auth[6][JWT_MAX_TOKEN_LEN + 16];
    jwt_make(other, now, tok, sizeof tok);
    snprintf(auth[0], sizeof auth[0], "Bearer %s", tok); /* wrong key */
    jwt_make(b.secret, now - 120, tok, sizeof tok);
    snprintf(auth[1], sizeof auth[1], "Bearer %s", tok); /* expired */
    jwt_make(b.secret, now + 120, tok, sizeof tok);
    snprintf(auth[2], sizeof auth[2], "Bearer %s", tok); /* from the future */
    snprintf(claims, sizeof claims, "{\"iat\":%lld}", (long long)now);
    b64url(claims, enc);
    snprintf(auth[3], sizeof auth[3], "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.", enc); /* alg none */
    snprintf(auth[4], sizeof auth[4], "Bearer not.a.token");                                 /* malformed */
    snprintf(auth[5], sizeof auth[5], "Basic dXNlcjpwYXNz");                                 /* not a bearer */
    for (int i = 0; i < 6; i++) {
        eh_resp r = eh_post(b.port, auth[i], body);
        CHECK_EQ_U64(r.status, 401);
        free(r.body);
    }
    eh_resp r = eh_post(b.port, NULL, body); /* missing */
    CHECK_EQ_U64(r.status, 401);
    free(r.body);
    free(body);
    /* nothing was stored; with a good token it is */
    json_t *blk = eh_result(&b, "eth_getBlockByHash", json_pack("[o,b]", eh_hash(&h), 0));
    CHECK(blk && json_is_null(blk));
    json_decref(blk);
    CHECK(new_payload_is(&b, env, "VALID", &h));
    json_decref(env);
out:
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* ---- Methods and error codes ------------------------------------------------------------------------ */


TEST(engine_methods_and_error_codes) {
    eh_node a = {0};
    CHECK(start_node(&a));
    if (!a.n) goto out;
    bytes32 g = genesis_hash(&a), unknown = beacon_root(42);
    /* capabilities */
    json_t *caps = eh_result(&a, "engine_exchangeCapabilities", json_pack("[[s]]", "engine_newPayloadV4"));
    bool has_np4 = false, has_gp5 = false, has_fcu3 = false, has_cv1 = false;
    for (size_t i = 0; caps && i < json_array_size(caps); i++) {
        const char *m = json_string_value(json_array_get(caps, i));
        has_np4 |= !strcmp(m, "engine_newPayloadV4");
        has_gp5 |= !strcmp(m, "engine_getPayloadV5");
        has_fcu3 |= !strcmp(m, "engine_forkchoiceUpdatedV3");
        has_cv1 |= !strcmp(m, "engine_getClientVersionV1");
    }
    CHECK(has_np4 && has_gp5 && has_fcu3 && has_cv1);
    json_decref(caps);
    /* engine_getClientVersionV1: one ClientVersionV1, a two-letter code and a 4-byte commit */
    json_t *cv = eh_result(&a, "engine_getClientVersionV1",
                           json_pack("[{s:s, s:s, s:s, s:s}]", "code", "LH", "name", "Lighthouse", "version", "v8.0.0",
                                     "commit", "0xfa4ff922"));
    const json_t *mine = json_array_get(cv, 0);
    const char *code = json_string_value(json_object_get(mine, "code")), *commit = json_string_value(json_object_get(mine, "commit"));
    CHECK(json_array_size(cv) == 1 && code && strlen(code) == 2 && commit && strlen(commit) == 10 &&
          !strncmp(commit, "0x", 2) && !strcmp(json_string_value(json_object_get(mine, "name")), "parevm"));
    json_decref(cv);
    CHECK_EQ_U64(code_of(&a, "engine_getClientVersionV1", json_pack("[s]", "LH")), (uint64_t)(int64_t)RPC_INVALID_PARAMS);
    CHECK_EQ_U64(code_of(&a, "engine_getClientVersionV1", json_pack("[{s:i}]", "code", 7)), (uint64_t)(int64_t)RPC_INVALID_PARAMS);
    CHECK_EQ_U64(code_of(&a, "engine_exchangeCapabilities", json_pack("[i]", 1)), (uint64_t)(int64_t)RPC_INVALID_PARAMS);
    /* -38001 unknown payload */
    CHECK(code_of(&a, "engine_getPayloadV5", json_pack("[s]", "0x0000000000000001")) == -38001);
    /* forkchoice: an unknown head is SYNCING; safe off the chain -38002 */
    json_t *r = fcu(&a, &unknown, NULL, NULL);
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "SYNCING") &&
          json_is_null(json_object_get(r, "payloadId")));
    json_decref(r);
    CHECK(code_of(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc_state(&g, &unknown, NULL))) == -38002);
    CHECK(code_of(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc_state(&g, NULL, &unknown))) == -38002);
    /* -38003: a timestamp not after the parent's; V3 attributes without the beacon root */
    CHECK(code_of(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,o]", fc_state(&g, NULL, NULL), attrs(T0, 1))) == -38003);
    json_t *no_root = attrs(T0 + 12, 1);
    json_object_del(no_root, "parentBeaconBlockRoot");
    int c = code_of(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,o]", fc_state(&g, NULL, NULL), no_root));
    CHECK(c == -38003 || c == RPC_INVALID_PARAMS);
    /* attributes are checked after the forkchoice state is applied, for a
     * VALID head only (paris.md forkchoiceUpdated point 8; hive's "Invalid
     * PayloadAttributes, Syncing=True"): an unknown head is SYNCING */
    no_root = attrs(T0 + 12, 1);
    json_object_del(no_root, "parentBeaconBlockRoot");
    r = eh_result(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,o]", fc_state(&unknown, NULL, NULL), no_root));
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "SYNCING") &&
          json_is_null(json_object_get(r, "payloadId")));
    json_decref(r);
    /* -38005: an Osaka timestamp through V2, a V3 payload on Osaka */
    json_t *v2 = attrs(T0 + 12, 1);
    json_object_del(v2, "parentBeaconBlockRoot");
    CHECK(code_of(&a, "engine_forkchoiceUpdatedV2", json_pack("[o,o]", fc_state(&g, NULL, NULL), v2)) == -38005);
    /* a real payload to play with */
    json_t *env = build(&a, &g, T0 + 12, 1);
    CHECK(env != NULL);
    if (!env) goto out;
    json_t *p = json_object_get(env, "executionPayload");
    CHECK(json_is_array(json_object_get(env, "executionRequests")));
    CHECK(json_is_false(json_object_get(env, "shouldOverrideBuilder")));
    json_t *bundle = json_object_get(env, "blobsBundle");
    CHECK(bundle && json_array_size(json_object_get(bundle, "blobs")) == 0);
    bytes32 h = payload_hash(env), root = beacon_root(T0 + 12);
    json_t *id_fcu = fcu(&a, &g, NULL, attrs(T0 + 12, 1));
    CHECK(id_fcu && json_is_string(json_object_get(id_fcu, "payloadId"))); /* the same attributes: the same build */
    if (id_fcu) {
        CHECK(code_of(&a, "engine_getPayloadV4", json_pack("[O]", json_object_get(id_fcu, "payloadId"))) == -38005);
        CHECK(code_of(&a, "engine_getPayloadV3", json_pack("[O]", json_object_get(id_fcu, "payloadId"))) == -38005);
    }
    json_decref(id_fcu);
    CHECK(code_of(&a, "engine_newPayloadV3", json_pack("[O,[],o]", p, eh_hash(&root))) == -38005);
    CHECK(code_of(&a, "engine_newPayloadV2", json_pack("[O]", p)) == -38005 ||
          code_of(&a, "engine_newPayloadV2", json_pack("[O]", p)) == RPC_INVALID_PARAMS);
    /* -32602: a missing field, a wrong size, missing V4 parameters */
    json_t *bad = json_deep_copy(p);
    json_object_del(bad, "stateRoot");
    CHECK(code_of(&a, "engine_newPayloadV4", json_pack("[o,[],o,[]]", bad, eh_hash(&root))) == RPC_INVALID_PARAMS);
    bad = json_deep_copy(p);
    json_object_set_new(bad, "feeRecipient", json_string("0x1234"));
    CHECK(code_of(&a, "engine_newPayloadV4", json_pack("[o,[],o,[]]", bad, eh_hash(&root))) == RPC_INVALID_PARAMS);
    CHECK(code_of(&a, "engine_newPayloadV4", json_pack("[O,[],o]", p, eh_hash(&root))) == RPC_INVALID_PARAMS);
    /* INVALID with a null latestValidHash: a wrong block hash, versioned hashes
     * that are not the transactions', a wrong beacon root (the hash differs) */
    bad = json_deep_copy(p);
    json_object_set_new(bad, "blockHash", eh_hash(&unknown));
    r = eh_result(&a, "engine_newPayloadV4", json_pack("[o,[],o,[]]", bad, eh_hash(&root)));
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, NULL));
    json_decref(r);
    r = eh_result(&a, "engine_newPayloadV4", json_pack("[O,[o],o,[]]", p, eh_hash(&unknown), eh_hash(&root)));
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, NULL));
    json_decref(r);
    r = eh_result(&a, "engine_newPayloadV4", json_pack("[O,[],o,[]]", p, eh_hash(&unknown)));
    CHECK(r && !strcmp(status_str(r) ?: "", "INVALID"));
    json_decref(r);
    /* the real one is VALID, twice */
    CHECK(new_payload_is(&a, env, "VALID", &h));
    CHECK(new_payload_is(&a, env, "VALID", &h));
    CHECK(fcu_valid(&a, &h) && head_is(&a, &h));
    /* -38004 too large requests; getBlobs of unknown hashes */
    json_t *many = json_array();
    for (int i = 0; i < 129; i++) json_array_append_new(many, eh_hash(&unknown));
    CHECK(code_of(&a, "engine_getBlobsV2", json_pack("[o]", many)) == -38004);
    r = eh_result(&a, "engine_getBlobsV2", json_pack("[[o]]", eh_hash(&unknown)));
    CHECK(r && json_is_null(r));
    json_decref(r);
    CHECK(code_of(&a, "engine_getBlobsV1", json_pack("[[o]]", eh_hash(&unknown))) == -38005); /* Osaka */
    CHECK(code_of(&a, "engine_getPayloadBodiesByRangeV1", json_pack("[s,s]", "0x1", "0x401")) == -38004);
    r = eh_result(&a, "engine_getPayloadBodiesByHashV1", json_pack("[[o,o]]", eh_hash(&h), eh_hash(&unknown)));
    CHECK(r && json_array_size(r) == 2 && json_is_array(json_object_get(json_array_get(r, 0), "transactions")) &&
          json_is_null(json_array_get(r, 1)));
    json_decref(r);
    r = eh_result(&a, "engine_getPayloadBodiesByRangeV1", json_pack("[s,s]", "0x1", "0x5"));
    CHECK(r && json_array_size(r) == 1); /* up to the head */
    json_decref(r);
    /* eth_config (EIP-7910): Osaka since genesis, nothing scheduled */
    r = eh_result(&a, "eth_config", json_array());
    json_t *cur = r ? json_object_get(r, "current") : NULL;
    CHECK(cur && json_is_null(json_object_get(r, "next")) && json_is_null(json_object_get(r, "last")));
    CHECK(cur && !strcmp(json_string_value(json_object_get(cur, "chainId")) ?: "", "0x7a69"));
    CHECK(cur && json_object_get(json_object_get(cur, "precompiles"), "P256VERIFY"));
    /* the EIP's alphabetical order, as geth's (a Go map) and execution-apis' fixture */
    const char *key, *prev = "";
    json_t *addr;
    size_t n_pre = 0;
    json_object_foreach(cur ? json_object_get(cur, "precompiles") : NULL, key, addr) {
        CHECK(strcmp(prev, key) < 0);
        prev = key;
        n_pre++;
    }
    CHECK(n_pre == 18);
    CHECK(cur && json_object_get(json_object_get(cur, "systemContracts"), "HISTORY_STORAGE_ADDRESS"));
    CHECK(cur && json_string_length(json_object_get(cur, "forkId")) == 10);
    json_decref(r);
    json_decref(env);
out:
    eh_stop(&a, true);
}

/* ---- Building: to a second node and back ------------------------------------------------------------ */

TEST(engine_build_round_trip) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a);
    bytes32 gb = genesis_hash(&b);
    CHECK(bytes32_eq(&g, &gb));
    account s1 = dev_account(1), s2 = dev_account(2), s3 = dev_account(3);
    address to = addr_of(0x77);
    CHECK(send_tx(&a, transfer(&s1, 0, &to, 1000, 1)));
    CHECK(send_tx(&a, transfer(&s2, 0, &to, 2000, 3)));
    CHECK(send_tx(&a, transfer(&s3, 0, &to, 4000, 2)));
    json_t *env = build(&a, &g, T0 + 12, 9);
    CHECK(env != NULL);
    if (!env) goto out;
    json_t *p = json_object_get(env, "executionPayload");
    json_t *txs = json_object_get(p, "transactions");
    CHECK_EQ_U64(json_array_size(txs), 3);
    /* by priority fee: 3, 2, 1 gwei */
    json_t *t0 = transfer(&s2, 0, &to, 2000, 3), *t1 = transfer(&s3, 0, &to, 4000, 2);
    CHECK(json_equal(json_array_get(txs, 0), t0) && json_equal(json_array_get(txs, 1), t1));
    json_decref(t0);
    json_decref(t1);
    u256 value;
    CHECK(!rpc_parse_u256(json_object_get(env, "blockValue"), &value) &&
          u256_eq(&value, U(6ULL * 21000 * 1000000000ULL)));
    bytes32 h = payload_hash(env);
    /* the second node validates it to the same hash, then both follow it */
    CHECK(new_payload_is(&b, env, "VALID", &h));
    CHECK(fcu_valid(&b, &h) && head_is(&b, &h));
    u256 got = balance(&b, &to);
    CHECK(u256_eq(&got, U(7000)));
    CHECK(new_payload_is(&a, env, "VALID", &h));
    CHECK(fcu_valid(&a, &h) && head_is(&a, &h));
    /* the included transactions left the pool: the next build is empty */
    json_t *env2 = build(&a, &h, T0 + 24, 9);
    CHECK(env2 && json_array_size(json_object_get(json_object_get(env2, "executionPayload"), "transactions")) == 0);
    json_decref(env2);
    /* testing_buildBlockV1 with an explicit list, checked by the other node */
    json_t *tb = eh_result(&a, "testing_buildBlockV1",
                           json_pack("[o,o,[o,o],s]", eh_hash(&h), attrs(T0 + 24, 5), transfer(&s1, 1, &to, 5, 1),
                                     transfer(&s1, 2, &to, 6, 1), "0x7061726576"));
    CHECK(tb != NULL);
    if (tb) {
        json_t *tp = json_object_get(tb, "executionPayload");
        CHECK_EQ_U64(json_array_size(json_object_get(tp, "transactions")), 2);
        CHECK(!strcmp(json_string_value(json_object_get(tp, "extraData")) ?: "", "0x7061726576"));
        bytes32 th = payload_hash(tb);
        CHECK(new_payload_is(&b, tb, "VALID", &th));
        CHECK(fcu_valid(&b, &th) && head_is(&b, &th));
        CHECK(head_is(&a, &h)); /* testing_buildBlockV1 commits nothing */
    }
    json_decref(tb);
    /* a list with a transaction that cannot run fails the build, in geth's
     * words: the state's nonce counts the sender's earlier transactions */
    CHECK(code_of(&a, "testing_buildBlockV1",
                  json_pack("[o,o,[o]]", eh_hash(&h), attrs(T0 + 24, 5), transfer(&s1, 7, &to, 5, 1))) != 0);
    json_t *refused = eh_call(&a, "testing_buildBlockV1",
                              json_pack("[o,o,[o,o]]", eh_hash(&h), attrs(T0 + 24, 5), transfer(&s1, 1, &to, 5, 1),
                                        transfer(&s1, 7, &to, 5, 1)));
    const char *m = json_string_value(json_object_get(json_object_get(refused, "error"), "message"));
    CHECK(m && !strncmp(m, "nonce too high: address 0x", 26) && strstr(m, ", tx: 7 state: 2") &&
          strlen(m) == strlen("nonce too high: address 0x0000000000000000000000000000000000000000, tx: 7 state: 2"));
    json_decref(refused);
    json_decref(env);
out:
    eh_stop(&a, true);
    eh_stop(&b, true);
}


/* Payloads back to back, each the child of the block still being written
 * (the validator's writes made slow): each is executed and checked on its
 * parent's unwritten state while that write goes on, and answered VALID;
 * the forkchoiceUpdated to the last then sees every block, state included. */
static void slow_block_write(void *arg) {
    (void)arg;
    struct timespec ts = {0, 40 * 1000000L};
    nanosleep(&ts, NULL);
}

/* paris.md: the client SHOULD keep updating a payload until getPayload,
 * and stop then: a transaction that arrives after the forkchoiceUpdated
 * that started the build is in the payload served, and the block is valid;
 * one that arrives after that getPayload is not in a second one (geth's
 * Resolve). A getPayload of the wrong version fixes nothing. */
TEST(engine_payload_improves_until_served) {
    eh_node a = {0};
    CHECK(start_node(&a));
    if (!a.n) goto out;
    bytes32 g = genesis_hash(&a);
    json_t *r = fcu(&a, &g, NULL, attrs(T0 + 12, 9));
    json_t *id = r ? json_incref(json_object_get(r, "payloadId")) : NULL;
    json_decref(r);
    CHECK(id && json_is_string(id));
    if (!id || !json_is_string(id)) goto out;
    account s1 = dev_account(1);
    address to = addr_of(0x79);
    CHECK(send_tx(&a, transfer(&s1, 0, &to, 1000, 2)));
    CHECK(code_of(&a, "engine_getPayloadV4", json_pack("[O]", id)) == -38005);
    json_t *env = eh_result(&a, "engine_getPayloadV5", json_pack("[O]", id));
    json_t *txs = env ? json_object_get(json_object_get(env, "executionPayload"), "transactions") : NULL;
    json_t *want = transfer(&s1, 0, &to, 1000, 2);
    CHECK(json_array_size(txs) == 1 && json_equal(json_array_get(txs, 0), want));
    json_decref(want);
    u256 value;
    CHECK(env && !rpc_parse_u256(json_object_get(env, "blockValue"), &value) &&
          u256_eq(&value, U(2ULL * 21000 * 1000000000ULL)));
    /* served: a later transaction stays out of it */
    CHECK(send_tx(&a, transfer(&s1, 1, &to, 1000, 2)));
    json_t *again = eh_result(&a, "engine_getPayloadV5", json_pack("[O]", id));
    bytes32 h = env ? payload_hash(env) : (bytes32){{0}}, h2 = again ? payload_hash(again) : (bytes32){{1}};
    CHECK(bytes32_eq(&h, &h2));
    CHECK(again && json_array_size(json_object_get(json_object_get(again, "executionPayload"), "transactions")) == 1);
    json_decref(again);
    CHECK(env && new_payload_is(&a, env, "VALID", &h));
    CHECK(fcu_valid(&a, &h) && head_is(&a, &h));
    json_decref(env);
    json_decref(id);
out:
    eh_stop(&a, true);
}

TEST(engine_payload_on_a_block_being_written) {
    eh_node a = {0}, b = {0};
    node_config slow = {.on_block_written = slow_block_write};
    CHECK(start_node(&a) && make_store(&b) && eh_start(&b, &slow));
    enum { K = 4 };
    json_t *envs[K] = {0}; /* before the first goto out, which frees them */
    if (!a.n || !b.n) goto out;
    bytes32 hashes[K];
    address to = addr_of(0x78);
    if (!build_transfers(&a, K, &to, 100, envs, hashes)) goto out;
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    CHECK(new_payload_is(&b, envs[K - 1], "VALID", &hashes[K - 1])); /* again: the block being written */
    CHECK(fcu_valid(&b, &hashes[K - 1]) && head_is(&b, &hashes[K - 1]));
    u256 got = balance(&b, &to);
    CHECK(u256_eq(&got, U(100 + 101 + 102 + 103)));
    node_import_times t;
    node_import_stats(b.n, &t);
    CHECK_EQ_U64(t.blocks, K);
    CHECK(t.root_chained >= K - 2);
    /* a's newPayload took each transaction's sender from its pool, where
     * the transaction waited; b had never seen them */
    node_import_times ta;
    node_import_stats(a.n, &ta);
    CHECK_EQ_U64(ta.txs, K);
    CHECK_EQ_U64(ta.senders_from_pool, K);
    CHECK_EQ_U64(t.txs, K);
    CHECK_EQ_U64(t.senders_from_pool, 0);
out:
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* The validator's first write held until the test lets it end (at most
 * 30 s, so that a node waiting on it fails the test instead of hanging
 * it); later writes pass. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    unsigned writes;
} write_gate;

static void gated_block_write(void *arg) {
    write_gate *g = arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&g->mu);
    g->writes++;
    pthread_cond_broadcast(&g->cv); /* gate_writes_started may be waiting */
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &until) == 0) {}
    pthread_mutex_unlock(&g->mu);
}

/* The writes started so far, once there is one (30 s at most): on a busy
 * machine the committer may reach block 1's write only after the payloads
 * behind it were answered. */
static unsigned gate_writes_started(write_gate *g) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&g->mu);
    while (!g->writes && pthread_cond_timedwait(&g->cv, &g->mu, &until) == 0) {}
    unsigned n = g->writes;
    pthread_mutex_unlock(&g->mu);
    return n;
}

static void gate_open(write_gate *g) {
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Payloads that arrive while the committer writes their grandparent wait
 * in the importer's queue, each checked on the unwritten blocks before it
 * and answered VALID at once, and are written together in the next write
 * (one fsync for the batch), as `parevm import` batches. Readers see the
 * last one once that write ends; a payload after it whose parent is
 * still queued is itself checked on queued blocks. */
TEST(engine_payloads_queue_behind_a_write) {
    eh_node a = {0}, b = {0};
    write_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    node_config gated = {.on_block_written = gated_block_write, .on_block_written_arg = &g};
    CHECK(start_node(&a) && make_store(&b) && eh_start(&b, &gated));
    enum { K = 5 };
    json_t *envs[K] = {0};
    if (!a.n || !b.n) goto out;
    bytes32 hashes[K];
    address to = addr_of(0x79);
    if (!build_transfers(&a, K, &to, 200, envs, hashes)) goto out;
    /* block 1's write is held: blocks 2..K are answered while it lasts */
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    CHECK(new_payload_is(&b, envs[K - 1], "VALID", &hashes[K - 1])); /* again: the last one queued */
    CHECK(fcu_valid(&b, &hashes[K - 1]));                                /* not waiting for the writes */
    CHECK_EQ_U64(gate_writes_started(&g), 1); /* block 1's, held: the others wait behind it */
    gate_open(&g);
    CHECK(head_is(&b, &hashes[K - 1]));
    u256 got = balance(&b, &to);
    CHECK(u256_eq(&got, U(200 + 201 + 202 + 203 + 204)));
    node_import_times t;
    node_import_stats(b.n, &t);
    CHECK_EQ_U64(t.blocks, K);
    CHECK_EQ_U64(t.writes, 2); /* block 1, then blocks 2..K together */
    CHECK(t.root_chained + t.preroot_chained >= K - 1);
out:
    gate_open(&g);
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

typedef struct {
    eh_node *node;
    json_t *payload;
    json_t *answer;
} payload_call;

static void *send_payload(void *arg) {
    payload_call *c = arg;
    c->answer = new_payload(c->node, c->payload, NULL);
    return NULL;
}

/* The same with the root worked out in rounds while each block executes
 * (two transactions a block, --preroot on): the rounds of blocks 3..K run
 * on up to K-2 unwritten ancestors, all but the oldest taken from their
 * previews' overlays, and every block is VALID with the right state. */
TEST(engine_rounds_on_several_queued_blocks) {
    eh_node a = {0}, b = {0};
    write_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    node_config gated = {.on_block_written = gated_block_write, .on_block_written_arg = &g,
                         .preroot = CHAIN_PREROOT_ON};
    CHECK(start_node(&a) && make_store(&b) && eh_start(&b, &gated));
    enum { K = 5 };
    json_t *envs[K] = {0};
    if (!a.n || !b.n) goto out;
    bytes32 hashes[K], parent = genesis_hash(&a);
    address to = addr_of(0x7a);
    uint64_t want = 0;
    for (int i = 0; i < K; i++) {
        for (int t = 0; t < 2; t++) {
            account s = dev_account((uint32_t)(2 * i + t)); /* the ten funded ones */
            CHECK(send_tx(&a, transfer(&s, 0, &to, 300 + (uint64_t)(2 * i + t), 1)));
            want += 300 + (uint64_t)(2 * i + t);
        }
        envs[i] = build(&a, &parent, T0 + 12 * (uint64_t)(i + 1), 9);
        CHECK(envs[i] != NULL);
        if (!envs[i]) goto out;
        hashes[i] = payload_hash(envs[i]);
        CHECK(new_payload_is(&a, envs[i], "VALID", &hashes[i]) && fcu_valid(&a, &hashes[i]));
        parent = hashes[i];
    }
    for (int k = 0; k < K; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    gate_open(&g);
    CHECK(fcu_valid(&b, &hashes[K - 1]));
    CHECK(head_is(&b, &hashes[K - 1]));
    u256 got = balance(&b, &to);
    CHECK(u256_eq(&got, U(want)));
    node_import_times t;
    node_import_stats(b.n, &t);
    CHECK_EQ_U64(t.blocks, K);
    /* blocks 3..K at least (block 2 may come while block 1's write is
     * done but its callback holds the writer: it then has no rounds, and
     * its root is worked out on block 1 after execution) */
    CHECK(t.preroot_chained >= K - 2);
    CHECK_EQ_U64(t.preroot_blocks + t.root_chained, K);
    /* a final round each, or an update whose guess was the block */
    CHECK(t.preroot_rounds >= t.preroot_blocks && t.preroot_as_guessed <= t.preroot_blocks);
out:
    gate_open(&g);
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* An invalid payload whose parent waits in the queue behind a held write
 * (edit: a wrong state root, found when the queue is written, as the write
 * checks each root; or a wrong receipts root, refused after execution):
 * INVALID with that parent as the latest valid block once the blocks
 * before it are written, which they are, and the right block is VALID on
 * them afterwards. */
/* debug_traceBadBlock of the bad block bad (its one transfer traced with
 * callTracer) is debug_traceBlock of its RLP from debug_getBadBlocks; a
 * hash that is no bad block's is refused. */
static void bad_block_traces(eh_node *e, const bytes32 *bad) {
    json_t *list = eh_result(e, "debug_getBadBlocks", json_array());
    const json_t *rlp = json_object_get(json_array_get(list, 0), "rlp");
    json_t *cfg = json_pack("{s:s}", "tracer", "callTracer");
    json_t *by_hash = eh_result(e, "debug_traceBadBlock", json_pack("[o,O]", eh_hash(bad), cfg));
    json_t *by_rlp = rlp ? eh_result(e, "debug_traceBlock", json_pack("[O,O]", rlp, cfg)) : NULL;
    CHECK(json_array_size(by_hash) == 1 && by_rlp && json_equal(by_hash, by_rlp));
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(json_array_get(by_hash, 0), "result"), "type")) ?: "",
                  "CALL"));
    /* its EIP-3155 trace to a file: a transfer runs no code, the summary alone,
     * with the gas the top frame used (none; geth's OnExit at depth 0) */
    json_t *files = eh_result(e, "debug_standardTraceBadBlockToFile", json_pack("[o]", eh_hash(bad)));
    const char *path = json_string_value(json_array_get(files, 0));
    CHECK(json_array_size(files) == 1 && path && strstr(path, "/block_0x"));
    FILE *f = path ? fopen(path, "r") : NULL;
    char line[256] = "";
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "{\"output\":\"\",\"gasUsed\":\"0x0\"}\n") &&
          !fgets(line, sizeof line, f));
    if (f) fclose(f);
    if (path) unlink(path);
    json_decref(files);
    /* debug_intermediateRoots finds it too, as geth's: one root for its transfer */
    json_t *roots = eh_result(e, "debug_intermediateRoots", json_pack("[o]", eh_hash(bad)));
    CHECK(json_array_size(roots) == 1 && json_string_length(json_array_get(roots, 0)) == 66);
    json_decref(roots);
    bytes32 other = *bad;
    other.b[31] ^= 1;
    CHECK(eh_error_code(e, "debug_intermediateRoots", json_pack("[o]", eh_hash(&other))) == RPC_SERVER_ERROR);
    CHECK(eh_error_code(e, "debug_traceBadBlock", json_pack("[o]", eh_hash(&other))) == RPC_SERVER_ERROR);
    CHECK(eh_error_code(e, "debug_standardTraceBadBlockToFile", json_pack("[o]", eh_hash(&other))) == RPC_SERVER_ERROR);
    CHECK(eh_error_code(e, "debug_traceBadBlock", json_pack("[s]", "0x12")) == RPC_INVALID_PARAMS);
    json_decref(by_hash);
    json_decref(by_rlp);
    json_decref(cfg);
    json_decref(list);
}

static void invalid_behind_queued_ones(void (*edit)(block_header *, json_t *)) {
    eh_node a = {0}, b = {0};
    write_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    node_config gated = {.on_block_written = gated_block_write, .on_block_written_arg = &g};
    CHECK(start_node(&a) && make_store(&b) && eh_start(&b, &gated));
    enum { K = 4 };
    json_t *envs[K] = {0}, *bad = NULL;
    if (!a.n || !b.n) goto out;
    bytes32 hashes[K], bad_hash;
    address to = addr_of(0x7a);
    if (!build_transfers(&a, K, &to, 300, envs, hashes)) goto out;
    bad = tampered(&a, json_object_get(envs[K - 1], "executionPayload"), edit, &bad_hash);
    CHECK(bad != NULL);
    if (!bad) goto out;
    for (int k = 0; k < K - 1; k++) CHECK(new_payload_is(&b, envs[k], "VALID", &hashes[k]));
    /* the bad block's answer needs the queue written: from a thread, while
     * the first write is still held */
    payload_call c = {&b, bad, NULL};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, send_payload, &c) == 0);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    gate_open(&g);
    pthread_join(th, NULL);
    CHECK(c.answer && !strcmp(status_str(c.answer) ?: "", "INVALID") && lvh_is(c.answer, &hashes[K - 2]));
    json_decref(c.answer);
    /* the valid ones are stored, not yet the head (no forkchoice update) */
    CHECK(!head_is(&b, &hashes[K - 2]) && fcu_valid(&b, &hashes[K - 2]) && head_is(&b, &hashes[K - 2]));
    bad_block_traces(&b, &bad_hash);
    CHECK(new_payload_is(&b, envs[K - 1], "VALID", &hashes[K - 1]));
    CHECK(fcu_valid(&b, &hashes[K - 1]) && head_is(&b, &hashes[K - 1]));
    u256 got = balance(&b, &to);
    CHECK(u256_eq(&got, U(300 + 301 + 302 + 303)));
out:
    gate_open(&g);
    json_decref(bad);
    for (int k = 0; k < K; k++) json_decref(envs[k]);
    eh_stop(&a, true);
    eh_stop(&b, true);
}

TEST(engine_invalid_payload_behind_queued_ones) {
    invalid_behind_queued_ones(wrong_state_root);
    invalid_behind_queued_ones(wrong_receipts_root);
}

/* ---- Safe and finalized ---------------------------------------------------------------------- */

/* The number of the block tag names (UINT64_MAX on an error, *code its code). */
static uint64_t tag_number(eh_node *e, const char *tag, int *code) {
    json_t *r = eh_call(e, "eth_getBlockByNumber", json_pack("[s,b]", tag, 0));
    json_t *er = r ? json_object_get(r, "error") : NULL;
    *code = er ? (int)json_integer_value(json_object_get(er, "code")) : 0;
    u256 v;
    uint64_t num = r && eh_num(json_object_get(json_object_get(r, "result"), "number"), &v) ? v.w[0] : UINT64_MAX;
    json_decref(r);
    return num;
}

/* Until a consensus client names them, "safe" and "finalized" are geth's
 * errors, never the head; a forkchoice update with zero hashes leaves them
 * as they were (geth's catalyst). */
TEST(engine_safe_and_finalized_tags) {
    eh_node a = {0};
    CHECK(start_node(&a));
    if (!a.n) goto out;
    int code;
    bytes32 g = genesis_hash(&a);
    bytes32 a1h, a2h;
    json_t *a1 = extend(&a, &g, T0 + 12, 1, &a1h), *a2 = extend(&a, &a1h, T0 + 24, 1, &a2h);
    CHECK(tag_number(&a, "finalized", &code) == UINT64_MAX && code == RPC_SERVER_ERROR);
    CHECK(tag_number(&a, "safe", &code) == UINT64_MAX && code == RPC_SERVER_ERROR);
    CHECK(tag_number(&a, "latest", &code) == 2);
    /* eth_getLogs in its filter's words (resolveSpecial) */
    json_t *lr = eh_call(&a, "eth_getLogs", json_pack("[{s:s}]", "fromBlock", "safe"));
    json_t *le = lr ? json_object_get(lr, "error") : NULL;
    CHECK(le && !strcmp(json_string_value(json_object_get(le, "message")) ?: "", "safe header not found"));
    json_decref(lr);
    json_t *cv = eh_result(&a, "web3_clientVersion", json_array()); /* not a dev node: itself only */
    CHECK(cv && !strncmp(json_string_value(cv) ?: "", "parevm/v", 8));
    json_decref(cv);
    json_t *r = eh_result(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc_state(&a2h, &a2h, &a1h)));
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "VALID"));
    json_decref(r);
    CHECK(tag_number(&a, "finalized", &code) == 1 && tag_number(&a, "safe", &code) == 2);
    CHECK(fcu_valid(&a, &a2h)); /* zero safe and finalized hashes */
    CHECK(tag_number(&a, "finalized", &code) == 1 && tag_number(&a, "safe", &code) == 2);
    /* attributes refused (-38003) do not roll the forkchoice back (paris.md) */
    json_t *no_root = attrs(T0 + 36, 1);
    json_object_del(no_root, "parentBeaconBlockRoot");
    CHECK(code_of(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,o]", fc_state(&a2h, &a2h, &a2h), no_root)) == -38003);
    CHECK(tag_number(&a, "finalized", &code) == 2);
    r = eh_result(&a, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc_state(&a2h, &a2h, &a1h)));
    CHECK(r && !strcmp(status_str(json_object_get(r, "payloadStatus")) ?: "", "VALID"));
    json_decref(r);
    /* a restart keeps the finalized block, and safe starts there (geth) */
    eh_stop(&a, false);
    CHECK(eh_start(&a, NULL));
    if (!a.n) goto free;
    CHECK(tag_number(&a, "finalized", &code) == 1 && tag_number(&a, "safe", &code) == 1);
    CHECK(tag_number(&a, "latest", &code) == 2);
    /* one no longer canonical is forgotten */
    r = eh_result(&a, "debug_setHead", json_pack("[s]", "0x0"));
    CHECK(r && json_is_null(r));
    json_decref(r);
    eh_stop(&a, false);
    CHECK(eh_start(&a, NULL));
    if (!a.n) goto free;
    CHECK(tag_number(&a, "finalized", &code) == UINT64_MAX && code == RPC_SERVER_ERROR);
free:
    json_decref(a1), json_decref(a2);
out:
    eh_stop(&a, true);
}

/* ---- Unprotected transactions over RPC -------------------------------------------------------- */

/* geth's SubmitTransaction refuses a legacy transaction without EIP-155's
 * chain id over RPC unless --rpc.allow-unprotected-txs; a protected one
 * passes either way. */
TEST(engine_node_refuses_unprotected_transactions) {
    account s = dev_account(1);
    address x = addr_of(0x10);
    transaction tx = {.type = TX_LEGACY, .nonce = 0, .gas_limit = 21000, .has_to = true, .to = x};
    tx.gas_price = u256_from_u64(200000000000ULL);
    if (!tx_sign(&tx, s.key)) abort();
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    for (int allow = 0; allow < 2; allow++) {
        eh_node a = {0};
        node_config cfg = {.allow_unprotected_txs = allow};
        CHECK(make_store(&a) && eh_start(&a, &cfg));
        if (!a.n) {
            eh_stop(&a, true);
            continue;
        }
        json_t *r = eh_call(&a, "eth_sendRawTransaction", json_pack("[o]", rpc_json_data(raw.data, raw.len)));
        const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
        if (allow) CHECK(r && json_object_get(r, "result"));
        else CHECK(msg && !strcmp(msg, "only replay-protected (EIP-155) transactions allowed over RPC"));
        json_decref(r);
        CHECK(pool_pending(&a) == (uint64_t)allow);
        CHECK(send_tx(&a, transfer(&s, allow, &x, 1, 1))); /* protected */
        eh_stop(&a, true);
    }
    buf_free(&raw);
}

/* geth's --rpc.txfeecap: a transaction whose fee cap times gas limit is
 * over the cap is refused with geth's words; one under it, or any with
 * no cap, passes. */
TEST(engine_node_caps_transaction_fees) {
    account s = dev_account(1);
    address x = addr_of(0x10);
    for (int capped = 0; capped < 2; capped++) {
        eh_node a = {0};
        node_config cfg = {.tx_fee_cap = capped ? 1.0 : 0};
        CHECK(make_store(&a) && eh_start(&a, &cfg));
        if (a.n) {
            /* (100 + 100 * 500) gwei * 21000 gas = 1.0521 ether */
            json_t *r = eh_call(&a, "eth_sendRawTransaction", json_pack("[o]", transfer(&s, 0, &x, 1, 500)));
            const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
            if (capped) CHECK(msg && !strcmp(msg, "tx fee (1.05 ether) exceeds the configured cap (1.00 ether)"));
            else CHECK(r && json_object_get(r, "result"));
            json_decref(r);
            CHECK(pool_pending(&a) == (uint64_t)!capped);
            CHECK(send_tx(&a, transfer(&s, !capped, &x, 1, 400))); /* 0.8421 ether */
        }
        eh_stop(&a, true);
    }
}

/* ---- Blob transactions: the pool keeps the sidecar for the Engine API ---------------------------------- */

/* A blob transaction with one blob in its Osaka network form (wrapper
 * version 1, 128 cell proofs), as a JSON string; *vh gets its versioned
 * hash. The blob is the constant polynomial `fill`: its commitment is
 * [fill]G1 and every cell proof the point at infinity (the quotients are
 * zero), which the pool's KZG check accepts; corrupt_proof makes cell 5's
 * proof the generator instead, which it must refuse. */
static json_t *blob_tx_proofs(const account *from, uint64_t nonce, uint8_t fill, bytes32 *vh, uint8_t **blob_out,
                              bool corrupt_proof) {
    uint8_t *blob = calloc(1, TX_BLOB_SIZE), commitment[TX_KZG_BYTES], proof[TX_KZG_BYTES] = {0xc0}, bad[TX_KZG_BYTES];
    if (!blob) abort();
    for (size_t i = 0; i < TX_BLOB_SIZE; i += 32) blob[i + 31] = fill;
    bls_g1 c;
    bls_g1_affine ca;
    bls_g1_from_affine(&c, &BLS_G1_GENERATOR);
    bls_g1_mul(&c, &c, &(bls_scalar){{fill, 0, 0, 0}});
    bls_g1_to_affine(&ca, &c);
    bls_g1_compress(commitment, &ca);
    bls_g1_compress(bad, &BLS_G1_GENERATOR);
    if (!EVP_Digest(commitment, sizeof commitment, vh->b, NULL, EVP_sha256(), NULL)) abort();
    vh->b[0] = 0x01;
    address to = addr_of(0x33);
    transaction tx = {.type = TX_BLOB, .has_chain_id = true, .chain_id = CHAIN_ID, .nonce = nonce, .gas_limit = 21000,
                      .has_to = true, .to = to, .n_blob_hashes = 1, .blob_hashes = vh};
    tx.max_priority_fee = u256_from_u64(2000000000ULL);
    tx.max_fee = u256_from_u64(200000000000ULL);
    tx.max_fee_per_blob_gas = u256_from_u64(1000000000ULL);
    if (!tx_sign(&tx, from->key)) abort();
    buf_t block_form = {0}, net = {0};
    tx_encode(&tx, &block_form);
    uint8_t type = TX_BLOB;
    buf_append(&net, &type, 1);
    size_t l = rlp_list_begin(&net);
    rlp_encode_raw(&net, block_form.data + 1, block_form.len - 1);
    rlp_encode_u64(&net, 1);
    size_t lb = rlp_list_begin(&net);
    rlp_encode_bytes(&net, blob, TX_BLOB_SIZE);
    rlp_list_end(&net, lb);
    size_t lc = rlp_list_begin(&net);
    rlp_encode_bytes(&net, commitment, sizeof commitment);
    rlp_list_end(&net, lc);
    size_t lp = rlp_list_begin(&net);
    for (int i = 0; i < TX_CELLS_PER_EXT_BLOB; i++)
        rlp_encode_bytes(&net, corrupt_proof && i == 5 ? bad : proof, sizeof proof);
    rlp_list_end(&net, lp);
    rlp_list_end(&net, l);
    json_t *s = rpc_json_data(net.data, net.len);
    buf_free(&block_form);
    buf_free(&net);
    *blob_out = blob;
    return s;
}

static json_t *blob_tx(const account *from, uint64_t nonce, uint8_t fill, bytes32 *vh, uint8_t **blob_out) {
    return blob_tx_proofs(from, nonce, fill, vh, blob_out, false);
}

TEST(engine_blobs_from_the_pool) {
    eh_node a = {0}, b = {0};
    CHECK(start_node(&a) && start_node(&b));
    if (!a.n || !b.n) goto out;
    bytes32 g = genesis_hash(&a), vh, unknown = beacon_root(99);
    account s = dev_account(4);
    uint8_t *blob = NULL;
    /* a cell proof that does not open the commitment: refused, not pooled */
    CHECK(!send_tx(&a, blob_tx_proofs(&s, 0, 7, &vh, &blob, true)));
    free(blob);
    json_t *none = eh_result(&a, "engine_getBlobsV3", json_pack("[[o]]", eh_hash(&vh)));
    CHECK(none && json_is_null(json_array_get(none, 0)));
    json_decref(none);
    json_t *sent = blob_tx(&s, 0, 7, &vh, &blob);
    json_t *tx_hash = eh_result(&a, "eth_sendRawTransaction", json_pack("[O]", sent));
    CHECK(tx_hash != NULL);
    /* the pool gives it back as sent, blobs included (geth's pooled form) */
    json_t *raw = tx_hash ? eh_result(&a, "eth_getRawTransactionByHash", json_pack("[O]", tx_hash)) : NULL;
    CHECK(raw && json_equal(raw, sent));
    json_decref(raw), json_decref(tx_hash), json_decref(sent);
    json_t *blob_hex = rpc_json_data(blob, TX_BLOB_SIZE);
    /* getBlobsV2: all or nothing; V3: partial */
    json_t *r = eh_result(&a, "engine_getBlobsV2", json_pack("[[o]]", eh_hash(&vh)));
    json_t *one = r ? json_array_get(r, 0) : NULL;
    CHECK(one && json_equal(json_object_get(one, "blob"), blob_hex) &&
          json_array_size(json_object_get(one, "proofs")) == TX_CELLS_PER_EXT_BLOB);
    json_decref(r);
    r = eh_result(&a, "engine_getBlobsV2", json_pack("[[o,o]]", eh_hash(&vh), eh_hash(&unknown)));
    CHECK(r && json_is_null(r));
    json_decref(r);
    r = eh_result(&a, "engine_getBlobsV3", json_pack("[[o,o]]", eh_hash(&unknown), eh_hash(&vh)));
    CHECK(r && json_array_size(r) == 2 && json_is_null(json_array_get(r, 0)) &&
          json_equal(json_object_get(json_array_get(r, 1), "blob"), blob_hex));
    json_decref(r);
    /* built into a payload: the bundle carries the sidecar, the other node
     * validates it with the versioned hash */
    json_t *env = build(&a, &g, T0 + 12, 3);
    json_t *p = env ? json_object_get(env, "executionPayload") : NULL, *bundle = env ? json_object_get(env, "blobsBundle") : NULL;
    CHECK(p && json_array_size(json_object_get(p, "transactions")) == 1);
    CHECK(bundle && json_array_size(json_object_get(bundle, "blobs")) == 1 &&
          json_array_size(json_object_get(bundle, "commitments")) == 1 &&
          json_array_size(json_object_get(bundle, "proofs")) == TX_CELLS_PER_EXT_BLOB &&
          json_equal(json_array_get(json_object_get(bundle, "blobs"), 0), blob_hex));
    CHECK(p && !strcmp(json_string_value(json_object_get(p, "blobGasUsed")) ?: "", "0x20000"));
    if (p) {
        uint64_t ts = T0 + 12;
        bytes32 root = beacon_root(ts), h = payload_hash(env);
        /* without the versioned hash it is INVALID; with it VALID */
        r = eh_result(&b, "engine_newPayloadV4", json_pack("[O,[],o,[]]", p, eh_hash(&root)));
        CHECK(r && !strcmp(status_str(r) ?: "", "INVALID") && lvh_is(r, NULL));
        json_decref(r);
        r = eh_result(&b, "engine_newPayloadV4", json_pack("[O,[o],o,[]]", p, eh_hash(&vh), eh_hash(&root)));
        CHECK(r && !strcmp(status_str(r) ?: "", "VALID") && lvh_is(r, &h));
        json_decref(r);
        CHECK(fcu_valid(&b, &h) && head_is(&b, &h));
    }
    json_decref(env);
    json_decref(blob_hex);
    free(blob);
out:
    eh_stop(&a, true);
    eh_stop(&b, true);
}

/* A method of the node's open port (in process), its result or error code. */
static int open_call(eh_node *e, const char *method, json_t *params, json_t **result, char *msg, size_t msglen) {
    rpc_error err = {0};
    *result = NULL;
    bool ok = rpc_call(node_methods(e->n), method, params, result, &err);
    json_decref(params);
    if (msg) snprintf(msg, msglen, "%.190s", ok ? "" : err.message);
    return ok ? 0 : err.code;
}

static uint64_t payload_u64(const json_t *env, const char *field) {
    uint64_t v = UINT64_MAX;
    if (rpc_parse_u64(json_object_get(json_object_get(env, "executionPayload"), field), &v)) return UINT64_MAX;
    return v;
}

static const char *payload_str(const json_t *env, const char *field) {
    return json_string_value(json_object_get(json_object_get(env, "executionPayload"), field)) ?: "";
}

/* geth's --miner.extradata / --miner.gaslimit / --miner.gasprice in built
 * payloads, and its miner_set* methods changing them (open port, only with
 * --http.api naming miner). */
TEST(engine_miner_settings) {
    eh_node a = {0};
    node_config base = {.http_api = "eth,miner,txpool", .builder_extra = "parevm", .builder_gas_limit = 30000000 + 2000000};
    CHECK(make_store(&a) && eh_start(&a, &base));
    if (!a.n) goto out;
    bytes32 g = genesis_hash(&a);
    json_t *env = build(&a, &g, T0 + 12, 9);
    CHECK(env && !strcmp(payload_str(env, "extraData"), "0x70617265766d"));
    /* towards the target by at most parent / 1024 - 1 */
    CHECK_EQ_U64(payload_u64(env, "gasLimit"), 30000000 + 30000000 / 1024 - 1);
    bytes32 h = payload_hash(env);
    CHECK(new_payload_is(&a, env, "VALID", &h) && fcu_valid(&a, &h));
    json_decref(env);

    json_t *r;
    char msg[200];
    CHECK(open_call(&a, "miner_setExtra", json_pack("[s]", "from the miner api"), &r, msg, sizeof msg) == 0 &&
          json_is_true(r));
    json_decref(r);
    CHECK(open_call(&a, "miner_setExtra", json_pack("[s]", "0123456789012345678901234567890123"), &r, msg,
                    sizeof msg) == -32000 && !strcmp(msg, "extra exceeds max length. 34 > 32"));
    CHECK(open_call(&a, "miner_setExtra", json_pack("[i]", 5), &r, msg, sizeof msg) == -32602);
    CHECK(open_call(&a, "miner_setGasLimit", json_pack("[s]", "0x1c9c380"), &r, msg, sizeof msg) == 0 &&
          json_is_true(r)); /* 30,000,000: back down */
    json_decref(r);
    CHECK(open_call(&a, "miner_setGasLimit", json_pack("[s]", "lots"), &r, msg, sizeof msg) == -32602);
    /* 2 gwei: the 1-gwei transfer leaves the pool, its sender's next one
     * waits in queued behind the gap (geth's pool); a new one is refused */
    account s1 = dev_account(1), s2 = dev_account(2), s3 = dev_account(3);
    address to = addr_of(0x78);
    json_t *cheap = transfer(&s1, 0, &to, 1000, 1);
    json_t *cheap_hash = eh_call(&a, "eth_sendRawTransaction", json_pack("[O]", cheap));
    CHECK(json_is_string(json_object_get(cheap_hash, "result")));
    CHECK(send_tx(&a, transfer(&s1, 1, &to, 1000, 3)));
    CHECK(send_tx(&a, transfer(&s2, 0, &to, 2000, 3)));
    CHECK(open_call(&a, "miner_setGasPrice", json_pack("[s]", "0x77359400"), &r, msg, sizeof msg) == 0 &&
          json_is_true(r));
    json_decref(r);
    CHECK(open_call(&a, "eth_getTransactionByHash", json_pack("[O]", json_object_get(cheap_hash, "result")), &r, msg,
                    sizeof msg) == 0 && (!r || json_is_null(r)));
    json_decref(r);
    json_decref(cheap_hash);
    CHECK(open_call(&a, "txpool_status", json_array(), &r, msg, sizeof msg) == 0 &&
          !strcmp(json_string_value(json_object_get(r, "pending")) ?: "", "0x1") &&
          !strcmp(json_string_value(json_object_get(r, "queued")) ?: "", "0x1"));
    json_decref(r);
    json_t *low = eh_call(&a, "eth_sendRawTransaction", json_pack("[o]", transfer(&s3, 0, &to, 5, 1)));
    const char *lm = json_string_value(json_object_get(json_object_get(low, "error"), "message"));
    CHECK(lm && !strcmp(lm, "transaction gas price below minimum: gas tip cap 1000000000, minimum needed 2000000000"));
    json_decref(low);
    env = build(&a, &h, T0 + 24, 9);
    CHECK(env && !strcmp(payload_str(env, "extraData"), "0x66726f6d20746865206d696e657220617069"));
    CHECK_EQ_U64(payload_u64(env, "gasLimit"), 30000000);
    json_t *txs = json_object_get(json_object_get(env, "executionPayload"), "transactions");
    json_t *want = transfer(&s2, 0, &to, 2000, 3);
    CHECK(json_array_size(txs) == 1 && json_equal(json_array_get(txs, 0), want));
    json_decref(want);
    json_decref(env);
    /* back to 0: the 1-gwei one is taken again and goes in with the one
     * queued behind it (other attributes: a new build) */
    CHECK(open_call(&a, "miner_setGasPrice", json_pack("[s]", "0x0"), &r, msg, sizeof msg) == 0);
    json_decref(r);
    CHECK(send_tx(&a, cheap));
    env = build(&a, &h, T0 + 24, 10);
    CHECK(env && json_array_size(json_object_get(json_object_get(env, "executionPayload"), "transactions")) == 3);
    json_decref(env);
    /* not on the authenticated port */
    CHECK(code_of(&a, "miner_setGasLimit", json_pack("[s]", "0x1")) == -32601);
out:
    eh_stop(&a, true);
    /* without miner in --http.api the open port has none of them */
    eh_node b = {0};
    node_config plain = {.http_api = "eth"};
    CHECK(make_store(&b) && eh_start(&b, &plain));
    if (b.n) {
        json_t *r;
        CHECK(open_call(&b, "miner_setGasLimit", json_pack("[s]", "0x1"), &r, NULL, 0) == -32601);
    }
    eh_stop(&b, true);
    /* --miner.extradata over 32 bytes */
    eh_node c = {0};
    node_config longx = {.builder_extra = "0123456789012345678901234567890123"};
    CHECK(make_store(&c));
    node *n = NULL;
    longx.datadir = c.dir;
    CHECK(node_open(&longx, &n) != NULL && n == NULL);
    test_remove_tree(c.dir);
}

/* ---- A transaction that fails in a payload ---------------------------------------------------- */

/* A store from a genesis on London with the given later forks (JSON
 * fields of the config), the dev accounts funded and the system contracts
 * of those forks in place; EIP-7825's cap as a non-dev chain has it. */
static bool make_store_forks(eh_node *e, const char *forks) {
    snprintf(e->dir, sizeof e->dir, "/tmp/parevm-engapi-XXXXXX");
    if (!mkdtemp(e->dir)) return false;
    char text[1024];
    snprintf(text, sizeof text,
             "{\"config\": {\"chainId\": %llu, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip155Block\": 0,"
             "\"eip158Block\": 0, \"byzantiumBlock\": 0, \"constantinopleBlock\": 0, \"petersburgBlock\": 0,"
             "\"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0, \"terminalTotalDifficulty\": 0, %s},"
             "\"difficulty\": \"0x0\", \"gasLimit\": \"0x1c9c380\", \"alloc\": {}}",
             (unsigned long long)CHAIN_ID, forks);
    json_t *g = json_loads(text, 0, NULL);
    node_config c = {.datadir = e->dir, .dev = true, .dev_genesis = g, .dev_genesis_time = T0, .dev_tx_gas_cap = true};
    node *n;
    bool ok = g && !node_open(&c, &n);
    if (ok) node_close(n);
    json_decref(g);
    return ok;
}

/* A store on Prague whose blocks reach Osaka (EIP-7825's gas cap) from
 * T0 + 24. */
static bool make_store_osaka_at_24(eh_node *e) {
    char forks[160];
    snprintf(forks, sizeof forks, "\"shanghaiTime\": 0, \"cancunTime\": 0, \"pragueTime\": 0, \"osakaTime\": %llu",
             (unsigned long long)(T0 + 24));
    return make_store_forks(e, forks);
}

/* geth's commitTransactions pops a sender whose transaction fails: the
 * sender's later transactions leave the payload with it but stay in the
 * pool (queued behind the gap), instead of each failing on its nonce and
 * being dropped in turn. Here the failure is EIP-7825's cap, which the
 * pool did not apply under Prague. */
TEST(engine_build_keeps_a_failed_senders_later_transactions) {
    eh_node b = {0};
    CHECK(make_store_osaka_at_24(&b) && eh_start(&b, NULL));
    if (!b.n) goto out;
    account s = dev_account(1), t = dev_account(2);
    address to = addr_of(0x36);
    transaction tx = {.type = TX_DYNAMIC_FEE, .has_chain_id = true, .chain_id = CHAIN_ID, .gas_limit = 20000000,
                      .has_to = true, .to = to};
    tx.max_priority_fee = u256_from_u64(1000000000);
    tx.max_fee = u256_from_u64(200000000000ULL);
    if (!tx_sign(&tx, s.key)) abort();
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    CHECK(send_tx(&b, rpc_json_data(raw.data, raw.len)));
    buf_free(&raw);
    CHECK(send_tx(&b, transfer(&s, 1, &to, 1, 1)) && send_tx(&b, transfer(&s, 2, &to, 2, 1)));
    CHECK(send_tx(&b, transfer(&t, 0, &to, 3, 1)));
    CHECK(pool_pending(&b) == 4);
    bytes32 g = genesis_hash(&b);
    json_t *env = build(&b, &g, T0 + 24, 9);
    json_t *txs = json_object_get(json_object_get(env, "executionPayload"), "transactions");
    CHECK(env && json_array_size(txs) == 1);
    json_t *st = eh_result(&b, "txpool_status", json_array());
    u256 pending, queued;
    CHECK(st && eh_num(json_object_get(st, "pending"), &pending) && eh_num(json_object_get(st, "queued"), &queued));
    CHECK(pending.w[0] == 1 && queued.w[0] == 2);
    json_decref(st);
    json_decref(env);
out:
    eh_stop(&b, true);
}

/* A signed EIP-1559 transaction from `from` (to NULL: a creation) with
 * hex input: its raw form as a JSON string. */
static json_t *input_tx(const account *from, uint64_t nonce, const address *to, const char *input) {
    transaction tx = {.type = TX_DYNAMIC_FEE, .has_chain_id = true, .chain_id = CHAIN_ID, .nonce = nonce,
                      .gas_limit = 200000, .has_to = to != NULL};
    if (to) tx.to = *to;
    tx.max_priority_fee = u256_from_u64(1000000000);
    tx.max_fee = u256_from_u64(200000000000ULL);
    if (!hex_decode_alloc(input, &tx.data, &tx.data_len) || !tx_sign(&tx, from->key)) abort();
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    tx_free(&tx);
    json_t *s = rpc_json_data(raw.data, raw.len);
    buf_free(&raw);
    return s;
}

/* The proven leaf of key in the trie *root from a JSON proof list: 1 (its
 * RLP value appended to *leaf), 0 absent, -1 a wrong proof (proof_check.h). */
static int proven(const bytes32 *root, const uint8_t key[32], const json_t *list, buf_t *leaf) {
    byte_list proof = {0};
    bool good = json_is_array(list);
    for (size_t i = 0; good && i < json_array_size(list); i++) {
        uint8_t *d;
        size_t n;
        good = hex_decode_alloc(json_string_value(json_array_get(list, i)), &d, &n);
        if (good) byte_list_push(&proof, d, n);
        if (good) free(d);
    }
    int r = good ? proof_check(root, key, &proof, leaf) : -1;
    byte_list_free(&proof);
    return r;
}

/* Checks an eth_getProof result for a against state root *root: the
 * account's leaf gives its balance (*bal) and storage root, which proves
 * slot `slot` (its value into *val). */
static bool proof_against(const json_t *res, const bytes32 *root, const address *a, uint64_t slot, u256 *bal,
                          u256 *val) {
    uint8_t key[32], sk[32];
    keccak256(a->b, 20, key);
    buf_t leaf = {0}, sv = {0};
    rlp_item list, f[4], v;
    bytes32 sroot, jsr;
    bool good = proven(root, key, json_object_get(res, "accountProof"), &leaf) == 1 &&
                rlp_decode(leaf.data, leaf.len, &list) == RLP_OK && rlp_list_items(&list, f, 4) == RLP_OK &&
                f[2].len == 32 && hex_to_fixed(json_string_value(json_object_get(res, "storageHash")), jsr.b, 32);
    if (good) {
        *bal = u256_from_be(f[1].data, f[1].len);
        memcpy(sroot.b, f[2].data, 32);
        good = bytes32_eq(&sroot, &jsr);
    }
    u256 k = u256_from_u64(slot);
    u256_to_be(&k, sk);
    keccak256(sk, 32, key);
    const json_t *sp = json_array_get(json_object_get(res, "storageProof"), 0);
    int r = good ? proven(&sroot, key, json_object_get(sp, "proof"), &sv) : -1;
    *val = U256_ZERO;
    if (r == 1) good = rlp_decode(sv.data, sv.len, &v) == RLP_OK && (*val = u256_from_be(v.data, v.len), true);
    u256 jv;
    good = good && r >= 0 && eh_num(json_object_get(sp, "value"), &jv) && u256_eq(&jv, val);
    buf_free(&leaf);
    buf_free(&sv);
    return good;
}

/* eth_getProof at "pending" proves geth's pending block's state against
 * its state root (reth proves its pending state so): a slot the pending
 * block writes into a stored storage trie, and a balance it changes; the
 * head's proofs stay the head's, and eth_getAccount's storage root is the
 * pending one. */
TEST(engine_pending_proof_is_the_pending_blocks) {
    eh_node a = {0};
    CHECK(start_node(&a));
    if (!a.n) goto out;
    account s1 = dev_account(1), s2 = dev_account(2);
    address to = addr_of(0x7d), c = create_address(&s1.addr, 0);
    /* slot 0 = 0x2a, slot 5 = 7; the runtime stores its input at slot 1 */
    CHECK(send_tx(&a, input_tx(&s1, 0, NULL, "0x602a6000556007600555600760166000396007" "6000f360003560015500")));
    bytes32 g = genesis_hash(&a), h1;
    json_decref(extend(&a, &g, T0 + 12, 9, &h1));
    CHECK(send_tx(&a, input_tx(&s1, 1, &c, "0x0000000000000000000000000000000000000000000000000000000000000063")));
    CHECK(send_tx(&a, transfer(&s2, 0, &to, 1000, 2)));
    json_t *p = eh_result(&a, "eth_getBlockByNumber", json_pack("[s,b]", "pending", 0));
    json_t *l = eh_result(&a, "eth_getBlockByNumber", json_pack("[s,b]", "latest", 0));
    bytes32 proot = {{0}}, lroot = {{0}};
    CHECK(p && json_array_size(json_object_get(p, "transactions")) == 2 &&
          !rpc_parse_hash(json_object_get(p, "stateRoot"), &proot));
    CHECK(l && !rpc_parse_hash(json_object_get(l, "stateRoot"), &lroot) && !bytes32_eq(&proot, &lroot));
    u256 bal, val;
    json_t *r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&c), "0x1", "pending"));
    CHECK(r && proof_against(r, &proot, &c, 1, &bal, &val) && u256_eq(&val, U(0x63)));
    json_t *acct = eh_result(&a, "eth_getAccount", json_pack("[o,s]", rpc_json_address(&c), "pending"));
    CHECK(r && acct && json_equal(json_object_get(acct, "storageRoot"), json_object_get(r, "storageHash")));
    json_decref(acct);
    json_decref(r);
    r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&c), "0x5", "pending"));
    CHECK(r && proof_against(r, &proot, &c, 5, &bal, &val) && u256_eq(&val, U(7)));
    json_decref(r);
    r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&c), "0x1", "latest"));
    CHECK(r && proof_against(r, &lroot, &c, 1, &bal, &val) && u256_is_zero(&val));
    json_decref(r);
    /* the transfer's recipient exists only in the pending state */
    r = eh_result(&a, "eth_getMultiProof", json_pack("[[[o,[s]]],s]", rpc_json_address(&to), "0x0000000000000000000000000000000000000000000000000000000000000000", "pending"));
    CHECK(r && proof_against(json_array_get(r, 0), &proot, &to, 0, &bal, &val) && u256_eq(&bal, U(1000)));
    json_decref(r);
    json_decref(p);
    json_decref(l);
out:
    eh_stop(&a, true);
}

/* The same where newPayload stored a block above the forkchoice's head:
 * the pending block is the head's child, and its proofs are against its
 * root over the head's (historical) state, with a contract it creates. */
TEST(engine_pending_proof_below_a_stored_payload) {
    eh_node a = {0};
    CHECK(start_node(&a));
    if (!a.n) goto out;
    account s1 = dev_account(1), s2 = dev_account(2), s3 = dev_account(3);
    address to = addr_of(0x7d), c = create_address(&s1.addr, 0), c3 = create_address(&s3.addr, 0);
    static const char INIT[] = "0x602a6000556007600555600760166000396007" "6000f360003560015500";
    CHECK(send_tx(&a, input_tx(&s1, 0, NULL, INIT)));
    bytes32 g = genesis_hash(&a), h1, h2;
    json_decref(extend(&a, &g, T0 + 12, 9, &h1));
    /* block 2 writes slot 1 and pays `to`; stored, never made the head */
    CHECK(send_tx(&a, input_tx(&s1, 1, &c, "0x00000000000000000000000000000000000000000000000000000000000000aa")));
    CHECK(send_tx(&a, transfer(&s2, 0, &to, 500, 2)));
    json_t *env = build(&a, &h1, T0 + 24, 9);
    h2 = payload_hash(env);
    CHECK(env && new_payload_is(&a, env, "VALID", &h2));
    json_decref(env);
    CHECK(send_tx(&a, input_tx(&s3, 0, NULL, INIT)));
    json_t *p = eh_result(&a, "eth_getBlockByNumber", json_pack("[s,b]", "pending", 0));
    bytes32 proot = {{0}};
    u256 v, bal, val, want;
    CHECK(p && eh_num(json_object_get(p, "number"), &v) && u256_eq(&v, U(2)) &&
          !rpc_parse_hash(json_object_get(p, "stateRoot"), &proot));
    json_t *r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&c3), "0x0", "pending"));
    CHECK(r && proof_against(r, &proot, &c3, 0, &bal, &val) && u256_eq(&val, U(0x2a)));
    json_decref(r);
    json_t *b = eh_result(&a, "eth_getStorageAt", json_pack("[o,s,s]", rpc_json_address(&c), "0x1", "pending"));
    r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&c), "0x1", "pending"));
    CHECK(b && r && proof_against(r, &proot, &c, 1, &bal, &val) && eh_num(b, &want) && u256_eq(&val, &want));
    json_decref(b);
    json_decref(r);
    b = eh_result(&a, "eth_getBalance", json_pack("[o,s]", rpc_json_address(&to), "pending"));
    r = eh_result(&a, "eth_getProof", json_pack("[o,[s],s]", rpc_json_address(&to), "0x0", "pending"));
    CHECK(b && r && eh_num(b, &want) && eh_num(json_object_get(r, "balance"), &v) && u256_eq(&v, &want));
    CHECK(r && (u256_is_zero(&want) || (proof_against(r, &proot, &to, 0, &bal, &val) && u256_eq(&bal, &want))));
    json_decref(b);
    json_decref(r);
    json_decref(p);
out:
    eh_stop(&a, true);
}

/* Outside dev mode "pending" is geth's pending block (miner.Pending): the
 * head's child with the pool's transactions, at the wall clock's time, fee
 * recipient --miner.pending.feeRecipient's (zero by default), randomness
 * zero, shown with hash, nonce and miner null;
 * state reads and calls at "pending" see it. Its roots are those of the
 * payload built from the same attributes (on Shanghai, where neither has a
 * beacon root). */
TEST(engine_pending_block_as_geths) {
    eh_node a = {0};
    address recipient = addr_of(0x7c); /* --miner.pending.feeRecipient */
    node_config cfg = {.pending_fee_recipient = recipient};
    CHECK(make_store_forks(&a, "\"shanghaiTime\": 0") && eh_start(&a, &cfg));
    if (!a.n) goto out;
    account s1 = dev_account(1);
    address to = addr_of(0x7a), probe = addr_of(0x7b);
    static const bytes32 zero = {{0}};
    CHECK(send_tx(&a, transfer(&s1, 0, &to, 1000, 2)));
    uint64_t before = (uint64_t)time(NULL);
    json_t *p = eh_result(&a, "eth_getBlockByNumber", json_pack("[s,b]", "pending", 0));
    u256 v;
    uint64_t ts = 0;
    CHECK(p && eh_num(json_object_get(p, "number"), &v) && u256_eq(&v, U(1)));
    CHECK(p && !rpc_parse_u64(json_object_get(p, "timestamp"), &ts) && ts + 2 >= before && ts <= before + 60);
    static const char *const UNSET[] = {"hash", "nonce", "miner"};
    for (size_t i = 0; i < 3; i++) CHECK(p && json_is_null(json_object_get(p, UNSET[i])));
    CHECK(p && json_array_size(json_object_get(p, "transactions")) == 1);
    json_t *r = eh_result(&a, "eth_getBalance", json_pack("[o,s]", rpc_json_address(&to), "pending"));
    CHECK(r && eh_num(r, &v) && u256_eq(&v, U(1000)));
    json_decref(r);
    r = eh_result(&a, "eth_getBalance", json_pack("[o,s]", rpc_json_address(&to), "latest"));
    CHECK(r && eh_num(r, &v) && u256_is_zero(&v));
    json_decref(r);
    /* reth's trace_call at pending runs in the pending block's context (and
     * state: the transfer to `to` is there for trace_callMany's default) */
    json_t *num = json_pack("{s:{s:s}}", "0xee0000000000000000000000000000000000007b", "code", "0x4360005260206000f3");
    r = eh_result(&a, "trace_call", json_pack("[{s:o},[s],s,O]", "to", rpc_json_address(&probe), "trace", "pending", num));
    CHECK(r && eh_num(json_object_get(r, "output"), &v) && u256_eq(&v, U(1)));
    json_decref(r);
    r = eh_result(&a, "trace_call", json_pack("[{s:o},[s],s,o]", "to", rpc_json_address(&probe), "trace", "latest", num));
    CHECK(r && eh_num(json_object_get(r, "output"), &v) && u256_is_zero(&v));
    json_decref(r);
    r = eh_result(&a, "trace_callMany", json_pack("[[[{s:o,s:o,s:s},[s]]]]", "from", rpc_json_address(&s1.addr), "to",
                                                  rpc_json_address(&to), "value", "0x5", "stateDiff"));
    char to_hex[43];
    hex_encode(to.b, 20, to_hex);
    json_t *bal = json_object_get(json_object_get(json_object_get(json_array_get(r, 0), "stateDiff"), to_hex), "balance");
    CHECK(eh_num(json_object_get(json_object_get(bal, "*"), "from"), &v) && u256_eq(&v, U(1000))); /* the pending transfer's */
    json_decref(r);
    /* the pending nonce is the pool's, as geth's txpool.Nonce */
    r = eh_result(&a, "eth_getTransactionCount", json_pack("[o,s]", rpc_json_address(&s1.addr), "pending"));
    CHECK(r && eh_num(r, &v) && u256_eq(&v, U(1)));
    json_decref(r);
    /* a call at pending runs in the pending block: TIMESTAMP is its time */
    json_t *over = json_pack("{s:{s:s}}", "0xee0000000000000000000000000000000000007b", "code", "0x4260005260206000f3");
    r = eh_result(&a, "eth_call", json_pack("[{s:o},s,o]", "to", rpc_json_address(&probe), "pending", over));
    CHECK(r && eh_num(r, &v) && u256_eq(&v, U(ts)));
    json_decref(r);
    /* geth's TransactionArgs has no "type": the fields given choose it, and
     * "input" wins over a different "data" */
    over = json_pack("{s:{s:s}}", "0xee0000000000000000000000000000000000007b", "code", "0x3660005260206000f3");
    r = eh_result(&a, "eth_call", json_pack("[{s:o,s:s,s:s,s:s},s,o]", "to", rpc_json_address(&probe), "type", "0x7e",
                                            "input", "0x0102", "data", "0x03", "latest", over));
    CHECK(r && eh_num(r, &v) && u256_eq(&v, U(2)));
    json_decref(r);
    /* eth_createAccessList's failure gives core's error in geth's words */
    r = eh_call(&a, "eth_createAccessList", json_pack("[{s:o,s:s,s:s},s]", "to", rpc_json_address(&probe),
                                                      "maxFeePerGas", "0x1", "maxPriorityFeePerGas", "0x0", "latest"));
    const char *m = r ? json_string_value(json_object_get(json_object_get(r, "error"), "message")) : NULL;
    static const char WANT[] = "failed to apply transaction: max fee per gas less than block base fee: address 0x";
    CHECK(m && !strncmp(m, WANT, sizeof WANT - 1) && strstr(m, "maxFeePerGas: 1, baseFee: "));
    json_decref(r);
    /* eth_simulateV1 at pending follows the pending block, and sees it */
    static const char BAL[] = "0x73ee0000000000000000000000000000000000007a3160005260206000f3"; /* BALANCE(to) */
    over = json_pack("{s:{s:s}}", "0xee0000000000000000000000000000000000007b", "code", BAL);
    r = eh_result(&a, "eth_simulateV1",
                  json_pack("[{s:[{s:o,s:[{s:o}]}]},s]", "blockStateCalls", "stateOverrides", over, "calls", "to",
                            rpc_json_address(&probe), "pending"));
    json_t *sb = json_array_get(r, 0), *call = json_array_get(json_object_get(sb, "calls"), 0);
    CHECK(sb && eh_num(json_object_get(sb, "number"), &v) && u256_eq(&v, U(2)));
    CHECK(call && eh_num(json_object_get(call, "returnData"), &v) && u256_eq(&v, U(1000)));
    json_decref(r);
    /* the fee history's newest block: a 2 gwei tip */
    r = eh_result(&a, "eth_feeHistory", json_pack("[i,s,[f]]", 1, "pending", 50.0));
    CHECK(r && eh_num(json_object_get(r, "oldestBlock"), &v) && u256_eq(&v, U(1)));
    CHECK(r && eh_num(json_array_get(json_array_get(json_object_get(r, "reward"), 0), 0), &v) &&
          u256_eq(&v, U(2000000000ULL)));
    json_decref(r);
    /* the payload of the same attributes has the same roots */
    bytes32 g = genesis_hash(&a);
    json_t *at = json_pack("{s:o,s:o,s:o,s:[]}", "timestamp", rpc_json_u64(ts), "prevRandao", eh_hash(&zero),
                           "suggestedFeeRecipient", rpc_json_address(&recipient), "withdrawals");
    r = eh_result(&a, "engine_forkchoiceUpdatedV2", json_pack("[o,o]", fc_state(&g, NULL, NULL), at));
    json_t *id = r ? json_object_get(r, "payloadId") : NULL;
    json_t *env = id && json_is_string(id) ? eh_result(&a, "engine_getPayloadV2", json_pack("[O]", id)) : NULL;
    json_decref(r);
    json_t *ep = json_object_get(env, "executionPayload");
    static const char *const SAME[] = {"stateRoot", "receiptsRoot", "logsBloom", "gasLimit", "gasUsed", "baseFeePerGas"};
    for (size_t i = 0; i < sizeof SAME / sizeof SAME[0]; i++) {
        bool same = ep && p && json_equal(json_object_get(ep, SAME[i]), json_object_get(p, SAME[i]));
        if (!same) fprintf(stderr, "  %s differs\n", SAME[i]);
        CHECK(same);
    }
    CHECK(ep && json_array_size(json_object_get(ep, "transactions")) == 1);
    json_decref(env);
    json_decref(p);
out:
    eh_stop(&a, true);
}
