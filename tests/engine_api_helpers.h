/* What the Engine API tests share (test_engine_api.c, test_engine_reorg.c):
 * a dev genesis reopened as a plain store, signed transfers from the dev
 * accounts, and Engine API calls (forkchoiceUpdatedV3 with attributes,
 * getPayloadV5, newPayloadV4) with their checks, over tests/engine_helpers.h. */
#ifndef PAREVM_TEST_ENGINE_API_HELPERS_H
#define PAREVM_TEST_ENGINE_API_HELPERS_H

#include "engine_helpers.h"
#include "parevm/hdkeys.h"
#include "parevm/keccak.h"
#include "parevm/tx.h"

static EH_UNUSED const uint64_t T0 = 1700000000; /* genesis time */
static EH_UNUSED const uint64_t CHAIN_ID = 31337;

/* A dev store made and closed: reopened without dev it is a plain store. */
static EH_UNUSED bool make_store(eh_node *e) {
    snprintf(e->dir, sizeof e->dir, "/tmp/parevm-engapi-XXXXXX");
    if (!mkdtemp(e->dir)) return false;
    node_config c = {.datadir = e->dir, .dev = true, .dev_genesis_time = T0};
    node *n;
    if (node_open(&c, &n)) return false;
    node_close(n);
    return true;
}

static EH_UNUSED bool start_node(eh_node *e) { return make_store(e) && eh_start(e, NULL); }

/* ---- Transactions -------------------------------------------------------------------------- */

typedef struct {
    uint8_t key[32];
    address addr;
} account;

static EH_UNUSED account dev_account(uint32_t i) {
    account a;
    if (!hd_account(DEV_MNEMONIC, "", i, a.key, &a.addr)) abort();
    return a;
}

/* An EIP-1559 transfer, signed: its raw form as a JSON string. */
static EH_UNUSED json_t *transfer(const account *from, uint64_t nonce, const address *to, uint64_t value, uint64_t tip_gwei) {
    transaction tx = {.type = TX_DYNAMIC_FEE, .has_chain_id = true, .chain_id = CHAIN_ID, .nonce = nonce,
                      .gas_limit = 21000, .has_to = true, .to = *to};
    tx.max_priority_fee = u256_from_u64(tip_gwei * 1000000000ULL);
    tx.max_fee = u256_from_u64((100 + 100 * tip_gwei) * 1000000000ULL); /* a higher tip replaces a lower one */
    tx.value = u256_from_u64(value);
    if (!tx_sign(&tx, from->key)) abort();
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    json_t *s = rpc_json_data(raw.data, raw.len);
    buf_free(&raw);
    return s;
}

static EH_UNUSED bool send_tx(eh_node *e, json_t *raw) {
    json_t *r = eh_result(e, "eth_sendRawTransaction", json_pack("[o]", raw));
    json_decref(r);
    return r != NULL;
}

/* txpool_status's pending count (UINT64_MAX on an error). */
static EH_UNUSED uint64_t pool_pending(eh_node *e) {
    json_t *r = eh_result(e, "txpool_status", json_array());
    u256 v;
    uint64_t n = r && eh_num(json_object_get(r, "pending"), &v) ? v.w[0] : UINT64_MAX;
    json_decref(r);
    return n;
}

static EH_UNUSED address addr_of(uint8_t b) {
    address a = {{0}};
    a.b[19] = b;
    a.b[0] = 0xee;
    return a;
}

/* A u256 of a small number, by address (for comparisons). */
#define U(x) (&(u256){.w = {(x)}})

static EH_UNUSED u256 balance(eh_node *e, const address *a) {
    json_t *r = eh_result(e, "eth_getBalance", json_pack("[o,s]", rpc_json_address(a), "latest"));
    u256 v = U256_ZERO;
    if (!r || rpc_parse_u256(r, &v)) v = u256_from_u64(UINT64_MAX); /* never a real answer here */
    json_decref(r);
    return v;
}

/* ---- Engine calls ---------------------------------------------------------------------------- */

static EH_UNUSED bytes32 beacon_root(uint64_t ts) {
    bytes32 r = {{0}};
    for (int i = 0; i < 8; i++) r.b[i] = (uint8_t)(ts >> (8 * i));
    r.b[31] = 0xbe;
    return r;
}

static EH_UNUSED json_t *attrs(uint64_t ts, uint8_t recipient) {
    bytes32 rnd = beacon_root(ts + 7), root = beacon_root(ts);
    address fee = addr_of(recipient);
    return json_pack("{s:o,s:o,s:o,s:[],s:o}", "timestamp", rpc_json_u64(ts), "prevRandao", eh_hash(&rnd),
                     "suggestedFeeRecipient", rpc_json_address(&fee), "withdrawals", "parentBeaconBlockRoot",
                     eh_hash(&root));
}

static EH_UNUSED json_t *fc_state(const bytes32 *head, const bytes32 *safe, const bytes32 *fin) {
    static const bytes32 zero = {{0}};
    return json_pack("{s:o,s:o,s:o}", "headBlockHash", eh_hash(head), "safeBlockHash", eh_hash(safe ? safe : &zero),
                     "finalizedBlockHash", eh_hash(fin ? fin : &zero));
}

/* forkchoiceUpdatedV3 (attributes stolen, may be NULL): the whole result. */
static EH_UNUSED json_t *fcu(eh_node *e, const bytes32 *head, const bytes32 *safe, json_t *at) {
    return eh_result(e, "engine_forkchoiceUpdatedV3", json_pack("[o,o]", fc_state(head, safe, NULL), at ? at : json_null()));
}

static EH_UNUSED const char *status_str(const json_t *ps) { return json_string_value(json_object_get(ps, "status")); }

static EH_UNUSED bool lvh_is(const json_t *ps, const bytes32 *want) {
    bytes32 h;
    const json_t *l = json_object_get(ps, "latestValidHash");
    if (!want) return l && json_is_null(l);
    return l && !rpc_parse_hash(l, &h) && bytes32_eq(&h, want);
}

/* forkchoiceUpdated to head; true when VALID. */
static EH_UNUSED bool fcu_valid(eh_node *e, const bytes32 *head) {
    json_t *r = fcu(e, head, NULL, NULL);
    json_t *ps = r ? json_object_get(r, "payloadStatus") : NULL;
    bool ok = ps && status_str(ps) && !strcmp(status_str(ps), "VALID") && lvh_is(ps, head);
    json_decref(r);
    return ok;
}

/* Builds a payload on parent (made the head): getPayloadV5's envelope. */
static EH_UNUSED json_t *build(eh_node *e, const bytes32 *parent, uint64_t ts, uint8_t recipient) {
    json_t *r = fcu(e, parent, NULL, attrs(ts, recipient));
    json_t *id = r ? json_object_get(r, "payloadId") : NULL;
    json_t *env = id && json_is_string(id) ? eh_result(e, "engine_getPayloadV5", json_pack("[O]", id)) : NULL;
    json_decref(r);
    return env;
}

static EH_UNUSED bytes32 payload_hash(const json_t *env) {
    bytes32 h = {{0}};
    rpc_parse_hash(json_object_get(json_object_get(env, "executionPayload"), "blockHash"), &h);
    return h;
}

/* newPayloadV4 of an envelope's payload (the beacon root: what attrs used). */
static EH_UNUSED json_t *new_payload(eh_node *e, const json_t *payload, const json_t *requests) {
    uint64_t ts = 0;
    rpc_parse_u64(json_object_get(payload, "timestamp"), &ts);
    bytes32 root = beacon_root(ts);
    json_t *req = requests ? json_incref((json_t *)requests) : json_array();
    return eh_result(e, "engine_newPayloadV4", json_pack("[O,[],o,o]", payload, eh_hash(&root), req));
}

static EH_UNUSED bool new_payload_is(eh_node *e, const json_t *env, const char *status, const bytes32 *lvh) {
    json_t *r = new_payload(e, json_object_get(env, "executionPayload"), json_object_get(env, "executionRequests"));
    bool ok = r && status_str(r) && !strcmp(status_str(r), status) && (!lvh || lvh_is(r, lvh));
    if (!ok) {
        char *t = r ? json_dumps(r, JSON_COMPACT) : NULL;
        fprintf(stderr, "  newPayload: want %s, got %s\n", status, t ? t : "no answer");
        free(t);
    }
    json_decref(r);
    return ok;
}

static EH_UNUSED bool head_is(eh_node *e, const bytes32 *want) {
    bytes32 h;
    return eh_head(e, &h, NULL) && bytes32_eq(&h, want);
}

static EH_UNUSED bytes32 genesis_hash(eh_node *e) {
    bytes32 h = {{0}};
    json_t *b = eh_result(e, "eth_getBlockByNumber", json_pack("[s,b]", "0x0", 0));
    if (b) rpc_parse_hash(json_object_get(b, "hash"), &h);
    json_decref(b);
    return h;
}

/* A copy of a stored block's payload with edit applied to its header and
 * the block hash recomputed (so that it is only the edited field that is
 * wrong). */
static EH_UNUSED json_t *tampered(eh_node *e, const json_t *payload, void (*edit)(block_header *, json_t *), bytes32 *hash) {
    json_t *raw = eh_result(e, "debug_getRawHeader", json_pack("[O]", json_object_get(payload, "blockHash")));
    uint8_t *rlp;
    size_t len;
    block_header h;
    char why[128];
    json_t *out = NULL;
    if (raw && !rpc_parse_data(raw, &rlp, &len)) {
        if (header_decode(rlp, len, &h, why, sizeof why)) {
            out = json_deep_copy(payload);
            edit(&h, out);
            buf_t hb = {0};
            header_encode(&h, &hb);
            *hash = keccak256_hash(hb.data, hb.len);
            buf_free(&hb);
            json_object_set_new(out, "blockHash", eh_hash(hash));
        }
        free(rlp);
    }
    json_decref(raw);
    return out;
}

static EH_UNUSED void wrong_state_root(block_header *h, json_t *p) {
    h->state_root.b[0] ^= 1;
    json_object_set_new(p, "stateRoot", eh_hash(&h->state_root));
}

static EH_UNUSED void wrong_receipts_root(block_header *h, json_t *p) {
    h->receipts_root.b[5] ^= 1;
    json_object_set_new(p, "receiptsRoot", eh_hash(&h->receipts_root));
}

static EH_UNUSED bytes32 child_parent; /* the parent child_of_bad sets */
static EH_UNUSED void child_of_bad(block_header *h, json_t *p) {
    h->parent_hash = child_parent;
    h->number++;
    h->timestamp += 12;
    h->parent_beacon_root = beacon_root(h->timestamp); /* what new_payload sends */
    json_object_set_new(p, "parentHash", eh_hash(&h->parent_hash));
    json_object_set_new(p, "blockNumber", rpc_json_u64(h->number));
    json_object_set_new(p, "timestamp", rpc_json_u64(h->timestamp));
}

/* A block built on parent (build), sent with newPayload and made the head:
 * its envelope, *hash its hash; both checked VALID. */
static EH_UNUSED json_t *extend(eh_node *e, const bytes32 *parent, uint64_t ts, uint8_t recipient, bytes32 *hash) {
    json_t *env = build(e, parent, ts, recipient);
    *hash = payload_hash(env);
    CHECK(env && new_payload_is(e, env, "VALID", hash) && fcu_valid(e, hash));
    return env;
}

static EH_UNUSED int code_of(eh_node *e, const char *method, json_t *params) { return eh_error_code(e, method, params); }

/* Builds k blocks on a's chain from genesis, each made a's head: block i
 * (from 0) holds one transfer of value + i to `to` from dev account i + 1.
 * Their envelopes (new references: the caller frees them) and hashes; false
 * when one could not be built (the failure is counted). */
static EH_UNUSED bool build_transfers(eh_node *a, int k, const address *to, uint64_t value, json_t **envs, bytes32 *hashes) {
    bytes32 parent = genesis_hash(a);
    for (int i = 0; i < k; i++) {
        account s = dev_account((uint32_t)i + 1);
        CHECK(send_tx(a, transfer(&s, 0, to, value + (uint64_t)i, 1)));
        envs[i] = build(a, &parent, T0 + 12 * (uint64_t)(i + 1), 9);
        CHECK(envs[i] != NULL);
        if (!envs[i]) return false;
        hashes[i] = payload_hash(envs[i]);
        CHECK(new_payload_is(a, envs[i], "VALID", &hashes[i]) && fcu_valid(a, &hashes[i]));
        parent = hashes[i];
    }
    return true;
}

#endif
