/* The node's proof methods on a dev chain built here with signed
 * transactions: eth_getProof's JSON checked by an independent walk of the
 * proof nodes (proof_check.h) against the state root the block's header
 * gives (eth_getBlockByNumber), at the head and at older blocks, for
 * present and absent accounts and slots; and debug_executionWitness, whose
 * witness alone (parsed back from the JSON) re-executes its block
 * statelessly to the header's state root and gas, also when rewritten in
 * geth's form (headers as JSON objects) and older reth's (maps);
 * eth_getAccount agreeing with eth_getProof; eth_getMultiProof as each
 * target's eth_getProof; debug_chainConfig read back. Then the error
 * cases. */
#include "test.h"
#include "node_rpc.h"
#include "parevm/block_exec.h"
#include "parevm/chain.h"
#include "parevm/chain_rules.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/rpc_proof.h"
#include "parevm/witness.h"
#include "proof_check.h"

/* Constructor: slot 0 = 0x2a, slot 5 = 7; runtime: slot 1 = calldata word. */
static const char INIT[] = "0x602a600055" "6007600555" "6007601660003960076000f3" "60003560015500";
static const char RUNTIME[] = "0x60003560015500";

typedef struct {
    test_node t;
    address contract, fresh;
    bytes32 root[8]; /* state roots by block */
    uint64_t head;
} chain;

static bool read_roots(chain *c) {
    json_t *b = test_ok(&c->t, "eth_blockNumber", "[]");
    c->head = test_qty(b, NULL);
    json_decref(b);
    if (c->head >= 8) return false;
    for (uint64_t i = 0; i <= c->head; i++) {
        char p[64];
        snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)i);
        json_t *blk = test_ok(&c->t, "eth_getBlockByNumber", p);
        bool good = blk && hex_to_fixed(test_str(blk, "stateRoot"), c->root[i].b, 32);
        json_decref(blk);
        if (!good) return false;
    }
    return true;
}

/* Block 1: acct0 creates the contract; block 2: acct1 calls it (slot 1 =
 * 0x99) ; block 3: acct0 sends 5 wei to a fresh account. */
static bool build(chain *c) {
    if (!test_node_open(&c->t)) return false;
    transaction tx;
    test_tx(&tx, 0, NULL, INIT, 0);
    bool good = test_send(&c->t, &tx, 0);
    char p[128];
    char h[67];
    hex_encode(tx.hash.b, 32, h);
    snprintf(p, sizeof p, "[\"%s\"]", h);
    tx_free(&tx);
    json_t *rc = test_ok(&c->t, "eth_getTransactionReceipt", p);
    good &= rc && hex_to_fixed(test_str(rc, "contractAddress"), c->contract.b, 20);
    json_decref(rc);
    test_tx(&tx, 0, &c->contract, "0x0000000000000000000000000000000000000000000000000000000000000099", 0);
    good &= test_send(&c->t, &tx, 1);
    tx_free(&tx);
    memset(c->fresh.b, 0x5a, 20);
    test_tx(&tx, 1, &c->fresh, NULL, 5);
    good &= test_send(&c->t, &tx, 0);
    tx_free(&tx);
    return good && read_roots(c) && c->head == 3;
}

static bool parse_list(const json_t *a, byte_list *out) {
    if (!json_is_array(a)) return false;
    for (size_t i = 0; i < json_array_size(a); i++) {
        uint8_t *d;
        size_t n;
        if (!json_is_string(json_array_get(a, i)) || !hex_decode_alloc(json_string_value(json_array_get(a, i)), &d, &n))
            return false;
        byte_list_push(out, d, n);
        free(d);
    }
    return true;
}

static bool hex_u256(const json_t *v, u256 *out) {
    uint8_t *d;
    size_t n;
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    /* quantities may have an odd digit count: pad */
    char buf[80];
    size_t digits = strlen(s) - 2;
    if (strncmp(s, "0x", 2) || digits > 64) return false;
    snprintf(buf, sizeof buf, "0x%s%s", digits % 2 ? "0" : "", s + 2);
    if (!hex_decode_alloc(buf, &d, &n)) return false;
    *out = u256_from_be(d, n);
    free(d);
    return true;
}

static uint64_t u256_lo(const u256 *v) { return u256_fits_u64(v) ? v->w[0] : UINT64_MAX; }

/* An RLP byte string item as a u256. */
static u256 item_u256(const rlp_item *it) { return u256_from_be(it->data, it->len); }

/* Walks every proof of an eth_getProof result against root; checks the
 * JSON fields against the proven leaves. *exists: the account is in the
 * trie; values[i]: slot i's proven value. */
static bool check_proof(const json_t *res, const bytes32 *root, const address *addr, bool *exists, u256 *values,
                        size_t n_keys) {
    if (strcmp(test_str(res, "address"), "") == 0) return false;
    address got;
    if (!hex_to_fixed(test_str(res, "address"), got.b, 20) || memcmp(got.b, addr->b, 20)) return false;
    byte_list proof = {0};
    buf_t leaf = {0};
    bool good = parse_list(json_object_get(res, "accountProof"), &proof);
    uint8_t key[32];
    keccak256(addr->b, 20, key);
    int r = good ? proof_check(root, key, &proof, &leaf) : -1;
    good = r >= 0;
    *exists = r == 1;
    u256 nonce = U256_ZERO, balance = U256_ZERO, jn, jb;
    bytes32 sroot, chash, jsr, jch;
    memset(&sroot, 0, 32), memset(&chash, 0, 32); /* absent: zero hashes (geth) */
    if (r == 1) {
        rlp_item list, f[4];
        good = rlp_decode(leaf.data, leaf.len, &list) == RLP_OK && list.is_list && rlp_list_count(&list) == 4 &&
               rlp_list_items(&list, f, 4) == RLP_OK && f[2].len == 32 && f[3].len == 32;
        if (good) {
            nonce = item_u256(&f[0]), balance = item_u256(&f[1]);
            memcpy(sroot.b, f[2].data, 32), memcpy(chash.b, f[3].data, 32);
        }
    }
    good = good && hex_u256(json_object_get(res, "nonce"), &jn) && u256_eq(&jn, &nonce) &&
           hex_u256(json_object_get(res, "balance"), &jb) && u256_eq(&jb, &balance) &&
           hex_to_fixed(test_str(res, "storageHash"), jsr.b, 32) && bytes32_eq(&jsr, &sroot) &&
           hex_to_fixed(test_str(res, "codeHash"), jch.b, 32) && bytes32_eq(&jch, &chash);
    const json_t *sp = json_object_get(res, "storageProof");
    good = good && json_is_array(sp) && json_array_size(sp) == n_keys;
    for (size_t i = 0; good && i < n_keys; i++) {
        const json_t *e = json_array_get(sp, i);
        u256 slot, jv;
        byte_list sproof = {0};
        buf_t val = {0};
        good = hex_u256(json_object_get(e, "key"), &slot) && hex_u256(json_object_get(e, "value"), &jv) &&
               parse_list(json_object_get(e, "proof"), &sproof);
        uint8_t sk[32], skh[32];
        u256_to_be(&slot, sk);
        keccak256(sk, 32, skh);
        int sr = good ? proof_check(r == 1 ? &sroot : root, skh, &sproof, &val) : -1;
        /* an absent account proves its slots absent with no nodes */
        if (r != 1) sr = sproof.n == 0 ? 0 : -1;
        values[i] = U256_ZERO;
        if (sr == 1) {
            rlp_item v;
            good = rlp_decode(val.data, val.len, &v) == RLP_OK && !v.is_list && v.len > 0;
            if (good) values[i] = item_u256(&v);
        }
        good = good && sr >= 0 && u256_eq(&values[i], &jv);
        byte_list_free(&sproof);
        buf_free(&val);
    }
    byte_list_free(&proof);
    buf_free(&leaf);
    return good;
}

static bool prove(chain *c, const address *a, const char *keys, const char *block, const bytes32 *root,
                  bool *exists, u256 *values, size_t n_keys, json_t **res_out) {
    char ah[43], p[512];
    hex_encode(a->b, 20, ah);
    snprintf(p, sizeof p, "[\"%s\",%s,%s]", ah, keys, block);
    json_t *res = test_ok(&c->t, "eth_getProof", p);
    bool good = res && check_proof(res, root, a, exists, values, n_keys);
    if (res_out) *res_out = res;
    else json_decref(res);
    return good;
}

TEST(get_proof_head_and_history) {
    chain c;
    CHECK(build(&c));
    bool exists;
    u256 v[4];
    json_t *res;
    /* the contract at the head: slots 0, 1, 5 set, 3 absent */
    CHECK(prove(&c, &c.contract, "[\"0x0\",\"0x1\",\"0x05\",\"0x3\"]", "\"latest\"", &c.root[3], &exists, v, 4,
                &res));
    CHECK(exists);
    CHECK(u256_lo(&v[0]) == 0x2a);
    CHECK(u256_lo(&v[1]) == 0x99 && u256_lo(&v[2]) == 7 && u256_is_zero(&v[3]));
    CHECK(test_qty(res, "nonce") == 1 && test_qty(res, "balance") == 0);
    /* codeHash is keccak of the runtime */
    uint8_t *rt;
    size_t rtn;
    CHECK(hex_decode_alloc(RUNTIME, &rt, &rtn));
    uint8_t ch[32];
    keccak256(rt, rtn, ch);
    free(rt);
    char chh[67];
    hex_encode(ch, 32, chh);
    CHECK(!strcmp(test_str(res, "codeHash"), chh));
    /* geth echoes a short key as a quantity */
    CHECK(!strcmp(test_str(json_array_get(json_object_get(res, "storageProof"), 2), "key"), "0x5"));
    json_decref(res);

    /* at block 1 (historical, by number): slot 1 not written yet */
    CHECK(prove(&c, &c.contract, "[\"0x1\",\"0x0\"]", "\"0x1\"", &c.root[1], &exists, v, 2, NULL));
    CHECK(exists && u256_is_zero(&v[0]) && u256_lo(&v[1]) == 0x2a);
    /* at block 0 the contract does not exist; its slot proofs are empty */
    CHECK(prove(&c, &c.contract, "[\"0x0\"]", "\"earliest\"", &c.root[0], &exists, v, 1, NULL));
    CHECK(!exists && u256_is_zero(&v[0]));

    /* the fresh account: absent at block 2, 5 wei at block 3 (by hash) */
    CHECK(prove(&c, &c.fresh, "[]", "\"0x2\"", &c.root[2], &exists, v, 0, &res));
    CHECK(!exists);
    CHECK(!strcmp(test_str(res, "codeHash"), "0x0000000000000000000000000000000000000000000000000000000000000000"));
    json_decref(res);
    json_t *blk = test_ok(&c.t, "eth_getBlockByNumber", "[\"0x3\",false]");
    char p[160];
    snprintf(p, sizeof p, "{\"blockHash\":\"%s\"}", test_str(blk, "hash"));
    json_decref(blk);
    CHECK(prove(&c, &c.fresh, "[]", p, &c.root[3], &exists, v, 0, &res));
    CHECK(exists && test_qty(res, "balance") == 5 && test_qty(res, "nonce") == 0);
    json_decref(res);
    /* a funded account (the dev accounts are in genesis) at every block */
    for (uint64_t b = 0; b <= c.head; b++) {
        char tag[32];
        snprintf(tag, sizeof tag, "\"0x%llx\"", (unsigned long long)b);
        CHECK(prove(&c, &c.t.acct[1], "[\"0x1\"]", tag, &c.root[b], &exists, v, 1, NULL));
        CHECK(exists);
    }
    test_node_close(&c.t);
}

/* eth_getAccount of a at block (JSON text) against eth_getProof's account
 * there: the same four fields, null where the proof says absent. */
static bool account_matches_proof(chain *c, const address *a, const char *block) {
    char ah[43], p[256];
    hex_encode(a->b, 20, ah);
    snprintf(p, sizeof p, "[\"%s\",[],%s]", ah, block);
    json_t *proof = test_ok(&c->t, "eth_getProof", p);
    snprintf(p, sizeof p, "[\"%s\",%s]", ah, block);
    json_t *r = test_rpc(&c->t, "eth_getAccount", p);
    json_t *acct = json_object_get(r, "result");
    bool absent = proof && test_qty(proof, "nonce") == 0 && test_qty(proof, "balance") == 0 &&
                  !strcmp(test_str(proof, "codeHash"),
                          "0x0000000000000000000000000000000000000000000000000000000000000000");
    bool good = proof && r && json_object_size(json_object_get(r, "error")) == 0;
    if (good && absent) {
        good = json_is_null(acct);
    } else if (good) {
        good = json_object_size(acct) == 4 && !strcmp(test_str(acct, "balance"), test_str(proof, "balance")) &&
               !strcmp(test_str(acct, "nonce"), test_str(proof, "nonce")) &&
               !strcmp(test_str(acct, "codeHash"), test_str(proof, "codeHash")) &&
               !strcmp(test_str(acct, "storageRoot"), test_str(proof, "storageHash"));
    }
    json_decref(proof);
    json_decref(r);
    return good;
}

TEST(get_account_agrees_with_proofs) {
    chain c;
    CHECK(build(&c));
    /* the contract (storage, code) at the head, at block 1 and before it
     * existed; the fresh account before and after its first wei; a dev
     * account at every block */
    CHECK(account_matches_proof(&c, &c.contract, "\"latest\""));
    CHECK(account_matches_proof(&c, &c.contract, "\"0x1\""));
    CHECK(account_matches_proof(&c, &c.contract, "\"earliest\""));
    CHECK(account_matches_proof(&c, &c.fresh, "\"0x2\""));
    CHECK(account_matches_proof(&c, &c.fresh, "\"0x3\""));
    for (uint64_t b = 0; b <= c.head; b++) {
        char tag[32];
        snprintf(tag, sizeof tag, "\"0x%llx\"", (unsigned long long)b);
        CHECK(account_matches_proof(&c, &c.t.acct[1], tag));
    }
    /* the contract's storage root is not the empty trie's; bad arguments */
    char ah[43], p[128], msg[200];
    hex_encode(c.contract.b, 20, ah);
    snprintf(p, sizeof p, "[\"%s\"]", ah);
    json_t *acct = test_ok(&c.t, "eth_getAccount", p);
    CHECK(acct && strcmp(test_str(acct, "storageRoot"),
                         "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421") != 0);
    json_decref(acct);
    CHECK(test_err(&c.t, "eth_getAccount", "[\"0x12\",\"latest\"]", msg, sizeof msg) == -32602);
    CHECK(test_err(&c.t, "eth_getAccount", "[]", msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",\"0x3e8\"]", ah);
    CHECK(test_err(&c.t, "eth_getAccount", p, msg, sizeof msg) != 0);
    test_node_close(&c.t);
}

/* eth_capabilities: the head, and every kind of history from the store's
 * genesis (nothing is pruned); a proof at the oldest state block works. */
TEST(capabilities_say_what_history_is_served) {
    chain c;
    CHECK(build(&c));
    json_t *cap = test_ok(&c.t, "eth_capabilities", "[]");
    json_t *blk = test_ok(&c.t, "eth_getBlockByNumber", "[\"latest\",false]");
    json_t *head = json_object_get(cap, "head");
    CHECK(test_qty(head, "number") == c.head && !strcmp(test_str(head, "hash"), test_str(blk, "hash")));
    static const char *const kinds[] = {"state", "tx", "logs", "receipts", "blocks", "stateproofs"};
    for (size_t i = 0; i < 6; i++) {
        json_t *r = json_object_get(cap, kinds[i]);
        CHECK(json_is_false(json_object_get(r, "disabled")) && test_qty(r, "oldestBlock") == 0 &&
              !json_object_get(r, "deleteStrategy"));
    }
    bool exists;
    u256 v[1];
    CHECK(prove(&c, &c.t.acct[1], "[\"0x1\"]", "\"0x0\"", &c.root[0], &exists, v, 1, NULL) && exists);
    char msg[128];
    CHECK(test_err(&c.t, "eth_capabilities", "[1]", msg, sizeof msg) == -32602);
    json_decref(cap);
    json_decref(blk);
    test_node_close(&c.t);
}

TEST(get_proof_errors) {
    chain c;
    CHECK(build(&c));
    char ah[43], p[400], msg[200];
    hex_encode(c.contract.b, 20, ah);
    CHECK(test_err(&c.t, "eth_getProof", "[\"0x12\",[],\"latest\"]", msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",[\"0x%066d\"],\"latest\"]", ah, 1); /* 33 bytes */
    CHECK(test_err(&c.t, "eth_getProof", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",[\"0xzz\"],\"latest\"]", ah);
    CHECK(test_err(&c.t, "eth_getProof", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",\"0x1\",\"latest\"]", ah);
    CHECK(test_err(&c.t, "eth_getProof", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[\"%s\",[],\"0x99\"]", ah);
    CHECK(test_err(&c.t, "eth_getProof", p, msg, sizeof msg) == -32000);
    CHECK(strstr(msg, "header not found") != NULL);
    /* without a block: the latest (geth's default, execution-apis' get-account-proof-default-block) */
    snprintf(p, sizeof p, "[\"%s\",[]]", ah);
    json_t *dflt = test_ok(&c.t, "eth_getProof", p);
    snprintf(p, sizeof p, "[\"%s\",[],\"latest\"]", ah);
    json_t *latest = test_ok(&c.t, "eth_getProof", p);
    CHECK(dflt && latest && json_equal(dflt, latest));
    json_decref(dflt);
    json_decref(latest);
    snprintf(p, sizeof p, "[\"%s\"]", ah);
    CHECK(test_err(&c.t, "eth_getProof", p, msg, sizeof msg) == -32602);
    test_node_close(&c.t);
}

/* reth's eth_getMultiProof: each target's object is eth_getProof's with
 * the same (32-byte) keys, in the targets' order, an address given twice
 * answered twice; every proof walks to the block's root. */
TEST(multi_proof_is_each_targets_proof) {
    chain c;
    CHECK(build(&c));
    char ac[43], af[43], p[1200], msg[200];
    hex_encode(c.contract.b, 20, ac);
    hex_encode(c.fresh.b, 20, af);
    static const char K0[] = "\"0x0000000000000000000000000000000000000000000000000000000000000000\"";
    static const char K1[] = "\"0x0000000000000000000000000000000000000000000000000000000000000001\"";
    static const char K5[] = "\"0x0000000000000000000000000000000000000000000000000000000000000005\"";
    static const char *const blocks[] = {"\"latest\"", "\"0x2\""};
    for (size_t b = 0; b < 2; b++) {
        snprintf(p, sizeof p, "[[[\"%s\",[%s,%s]],[\"%s\",[]],[\"%s\",[%s]]],%s]", ac, K0, K1, af, ac, K5, blocks[b]);
        json_t *multi = test_ok(&c.t, "eth_getMultiProof", p);
        CHECK(json_is_array(multi) && json_array_size(multi) == 3);
        char keys[3][300];
        snprintf(keys[0], sizeof keys[0], "[%s,%s]", K0, K1);
        snprintf(keys[1], sizeof keys[1], "[]");
        snprintf(keys[2], sizeof keys[2], "[%s]", K5);
        const address *addrs[3] = {&c.contract, &c.fresh, &c.contract};
        const char *hexes[3] = {ac, af, ac};
        size_t n_keys[3] = {2, 0, 1};
        const bytes32 *root = b == 0 ? &c.root[3] : &c.root[2];
        for (size_t i = 0; i < 3; i++) {
            bool exists;
            u256 v[2];
            json_t *one = json_array_get(multi, i);
            CHECK(one && check_proof(one, root, addrs[i], &exists, v, n_keys[i]));
            CHECK(exists == (i != 1 || b == 0));
            snprintf(p, sizeof p, "[\"%s\",%s,%s]", hexes[i], keys[i], blocks[b]);
            json_t *single = test_ok(&c.t, "eth_getProof", p);
            CHECK(single && json_equal(single, one));
            json_decref(single);
        }
        /* the block's slot values: 0x2a, then 0x99 from block 2 on */
        json_t *sp = json_object_get(json_array_get(multi, 0), "storageProof");
        CHECK(test_qty(json_array_get(sp, 0), "value") == 0x2a && test_qty(json_array_get(sp, 1), "value") == 0x99);
        /* echoed as 32 bytes */
        CHECK(strlen(test_str(json_array_get(sp, 1), "key")) == 66 && !strncmp(K1 + 1, test_str(json_array_get(sp, 1), "key"), 66));
        json_decref(multi);
    }
    /* none: an empty answer; without a block: the latest */
    json_t *none = test_ok(&c.t, "eth_getMultiProof", "[[]]");
    CHECK(json_is_array(none) && json_array_size(none) == 0);
    json_decref(none);
    snprintf(p, sizeof p, "[[[\"%s\",[%s]]]]", ac, K1);
    json_t *dflt = test_ok(&c.t, "eth_getMultiProof", p);
    snprintf(p, sizeof p, "[[[\"%s\",[%s]]],\"latest\"]", ac, K1);
    json_t *latest = test_ok(&c.t, "eth_getMultiProof", p);
    CHECK(dflt && latest && json_equal(dflt, latest));
    json_decref(dflt);
    json_decref(latest);
    /* keys are B256s: a short one is refused, as reth's serde refuses it */
    snprintf(p, sizeof p, "[[[\"%s\",[\"0x1\"]]]]", ac);
    CHECK(test_err(&c.t, "eth_getMultiProof", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[[[\"%s\"]]]", ac);
    CHECK(test_err(&c.t, "eth_getMultiProof", p, msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[[[\"%s\",%s]]]", ac, K1);
    CHECK(test_err(&c.t, "eth_getMultiProof", p, msg, sizeof msg) == -32602);
    CHECK(test_err(&c.t, "eth_getMultiProof", "[[[\"0x12\",[]]]]", msg, sizeof msg) == -32602);
    CHECK(test_err(&c.t, "eth_getMultiProof", "[{}]", msg, sizeof msg) == -32602);
    CHECK(test_err(&c.t, "eth_getMultiProof", "[]", msg, sizeof msg) == -32602);
    snprintf(p, sizeof p, "[[[\"%s\",[]]],\"0x99\"]", ac);
    CHECK(test_err(&c.t, "eth_getMultiProof", p, msg, sizeof msg) == -32000);
    CHECK(strstr(msg, "header not found") != NULL);
    test_node_close(&c.t);
}

/* debug_chainConfig: the dev chain's rules as a genesis "config" object
 * that reads back (chain_config_from_json) to the same forks. */
TEST(chain_config_reads_back) {
    chain c;
    CHECK(build(&c));
    json_t *cfg = test_ok(&c.t, "debug_chainConfig", "[]");
    CHECK(json_is_object(cfg));
    CHECK(json_integer_value(json_object_get(cfg, "chainId")) == 31337);
    chain_config back;
    char why[200];
    CHECK(chain_config_from_json(cfg, &back, why, sizeof why));
    CHECK(back.chain_id == 31337 && back.osaka_time == 0 && back.cancun_time == 0);
    CHECK(chain_fork_at(&back, 1, 1, true) == FORK_OSAKA);
    json_decref(cfg);
    char msg[200];
    CHECK(test_err(&c.t, "debug_chainConfig", "[1]", msg, sizeof msg) == -32602);
    test_node_close(&c.t);
}

/* The witness of block number, parsed back from the JSON. */
static bool get_witness(chain *c, const char *ref, execution_witness *w) {
    memset(w, 0, sizeof *w);
    char p[160];
    snprintf(p, sizeof p, "[%s]", ref);
    json_t *res = test_ok(&c->t, "debug_executionWitness", p);
    bool good = res && parse_list(json_object_get(res, "state"), &w->state) &&
                parse_list(json_object_get(res, "codes"), &w->codes) &&
                parse_list(json_object_get(res, "keys"), &w->keys) &&
                parse_list(json_object_get(res, "headers"), &w->headers);
    json_decref(res);
    return good;
}

/* Re-executes block number from w alone; true when it reaches the
 * header's state root and gas used. */
static bool stateless(chain *c, uint64_t number, const execution_witness *w) {
    char p[64];
    snprintf(p, sizeof p, "[\"0x%llx\"]", (unsigned long long)number);
    json_t *raw = test_ok(&c->t, "debug_getRawBlock", p);
    uint8_t *rlp;
    size_t len;
    block b;
    char why[128];
    bool good = raw && hex_decode_alloc(json_string_value(raw), &rlp, &len);
    json_decref(raw);
    if (!good) return false;
    good = block_decode(rlp, len, &b, why, sizeof why);
    free(rlp);
    if (!good) return false;
    chain_config cfg;
    if (!chain_config_by_name("Osaka", &cfg)) abort();
    cfg.chain_id = 31337;
    block_rules rules = chain_block_rules(&cfg, &b.header, true);

    trie_nodes *set = trie_nodes_new();
    code_store *codes = code_store_new();
    witness_state *ws = NULL;
    block_header parent;
    const char *err = witness_state_from(w, set, codes, &ws, &parent);
    good = err == NULL && parent.number + 1 == number;
    if (good) {
        block_state *bs = block_state_new(witness_state_view(ws), codes);
        executor *ex = executor_new();
        block_result res;
        memset(&res, 0, sizeof res);
        good = block_execute(ex, &rules, &b, bs, &res) == NULL && res.gas_used == b.header.gas_used;
        change_set cs = {0};
        block_state_changes(bs, &cs);
        witness_state_apply(ws, &cs);
        bytes32 root;
        good = good && witness_state_error(ws) == NULL && witness_state_root(ws, &root) == NULL &&
               bytes32_eq(&root, &b.header.state_root);
        change_set_free(&cs);
        block_result_free(&res);
        executor_free(ex);
        block_state_free(bs);
    }
    if (ws) witness_state_free(ws);
    code_store_free(codes);
    trie_nodes_free(set);
    block_free(&b);
    return good;
}

TEST(execution_witness_reexecutes) {
    chain c;
    CHECK(build(&c));
    for (uint64_t b = 1; b <= c.head; b++) {
        char ref[32];
        snprintf(ref, sizeof ref, "\"0x%llx\"", (unsigned long long)b);
        execution_witness w;
        CHECK(get_witness(&c, ref, &w));
        CHECK(w.headers.n >= 1 && w.state.n > 0);
        CHECK(stateless(&c, b, &w));
        if (b == 2) { /* the call runs the contract: its code is in the witness */
            uint8_t *rt;
            size_t rtn;
            CHECK(hex_decode_alloc(RUNTIME, &rt, &rtn));
            bool found = false;
            for (size_t i = 0; i < w.codes.n; i++) {
                byte_span s = byte_list_get(&w.codes, i);
                found |= s.len == rtn && !memcmp(s.data, rt, rtn);
            }
            free(rt);
            CHECK(found);
            /* without its state nodes the witness is incomplete: the
             * stateless run fails instead of reaching the root */
            execution_witness cut = {0};
            for (size_t i = 1; i < w.state.n; i++) {
                byte_span s = byte_list_get(&w.state, i);
                byte_list_push(&cut.state, s.data, s.len);
            }
            for (size_t i = 0; i < w.codes.n; i++) {
                byte_span s = byte_list_get(&w.codes, i);
                byte_list_push(&cut.codes, s.data, s.len);
            }
            for (size_t i = 0; i < w.headers.n; i++) {
                byte_span s = byte_list_get(&w.headers, i);
                byte_list_push(&cut.headers, s.data, s.len);
            }
            CHECK(!stateless(&c, b, &cut));
            execution_witness_free(&cut);
        }
        execution_witness_free(&w);
    }
    /* "latest" is the head */
    execution_witness w;
    CHECK(get_witness(&c, "\"latest\"", &w));
    CHECK(stateless(&c, c.head, &w));
    execution_witness_free(&w);
    char msg[200];
    CHECK(test_err(&c.t, "debug_executionWitness", "[\"0x0\"]", msg, sizeof msg) == -32000);
    CHECK(test_err(&c.t, "debug_executionWitness", "[\"0x77\"]", msg, sizeof msg) == -32000);
    CHECK(test_err(&c.t, "debug_executionWitness", "[]", msg, sizeof msg) == -32602);
    CHECK(test_err(&c.t, "debug_executionWitness", "[\"zz\"]", msg, sizeof msg) == -32602);
    /* reth's ByBlockHash: the same witness */
    json_t *head = test_ok(&c.t, "eth_getBlockByNumber", "[\"latest\",false]");
    char p[160];
    snprintf(p, sizeof p, "[\"%s\"]", head ? test_str(head, "hash") : "");
    json_t *by_hash = test_ok(&c.t, "debug_executionWitnessByBlockHash", p), *by_tag = test_ok(&c.t, "debug_executionWitness", "[\"latest\"]");
    CHECK(by_hash && by_tag && json_equal(by_hash, by_tag));
    json_decref(by_hash);
    json_decref(by_tag);
    json_decref(head);
    CHECK(test_err(&c.t, "debug_executionWitnessByBlockHash", "[\"0x1212121212121212121212121212121212121212121212121212121212121212\"]",
                   msg, sizeof msg) == -32000);
    CHECK(test_err(&c.t, "debug_executionWitnessByBlockHash", "[\"latest\"]", msg, sizeof msg) == -32602);
    test_node_close(&c.t);
}

/* parse(o) into w; expects failure with want in the message when want. */
static bool parse_as(const json_t *o, execution_witness *w, const char *want) {
    char err[256] = "";
    bool ok = rpc_parse_witness(o, w, err, sizeof err);
    if (want) return !ok && strstr(err, want) != NULL;
    return ok;
}

/* The witness forms of other clients: geth writes its headers as JSON
 * objects (eth_getBlockByNumber's field names, null for absent fields),
 * older reth releases wrote state, codes and keys as maps from hash to entry.
 * Both parse to the same witness, which re-executes its block. */
TEST(execution_witness_in_geth_and_old_reth_forms) {
    chain c;
    CHECK(build(&c));
    json_t *res = test_ok(&c.t, "debug_executionWitness", "[\"0x2\"]");
    CHECK(res != NULL);
    execution_witness ref;
    CHECK(parse_as(res, &ref, NULL));
    /* geth: each header as the node's own eth_getBlockByNumber object */
    json_t *geth = json_deep_copy(res), *objs = json_array();
    for (size_t i = 0; i < ref.headers.n; i++) {
        byte_span s = byte_list_get(&ref.headers, i);
        block_header h;
        char why[128];
        CHECK(header_decode(s.data, s.len, &h, why, sizeof why));
        char p[64];
        snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)h.number);
        json_t *blk = test_ok(&c.t, "eth_getBlockByNumber", p);
        CHECK(blk != NULL);
        json_array_append_new(objs, blk);
    }
    json_object_set_new(geth, "headers", objs);
    /* older reth: maps keyed by hash (a slot's key, shared by two
     * accounts, is one entry) */
    json_t *maps = json_deep_copy(geth);
    static const char *const lists[] = {"state", "codes", "keys"};
    for (size_t l = 0; l < 3; l++) {
        json_t *m = json_object(), *a = json_object_get(res, lists[l]);
        for (size_t i = 0; i < json_array_size(a); i++) {
            uint8_t *d;
            size_t n;
            CHECK(hex_decode_alloc(json_string_value(json_array_get(a, i)), &d, &n));
            char k[67];
            bytes32 hsh = keccak256_hash(d, n);
            hex_encode(hsh.b, 32, k);
            free(d);
            json_object_set(m, k, json_array_get(a, i));
        }
        json_object_set_new(maps, lists[l], m);
    }
    const json_t *forms[] = {geth, maps};
    for (size_t f = 0; f < 2; f++) {
        execution_witness w;
        CHECK(parse_as(forms[f], &w, NULL));
        CHECK(w.headers.n == ref.headers.n && w.state.n == ref.state.n && w.codes.n == ref.codes.n &&
              w.keys.n == (f ? json_object_size(json_object_get(maps, "keys")) : ref.keys.n));
        for (size_t i = 0; i < w.headers.n; i++) {
            byte_span a = byte_list_get(&w.headers, i), b = byte_list_get(&ref.headers, i);
            CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
        }
        CHECK(stateless(&c, 2, &w));
        execution_witness_free(&w);
    }
    /* a header object whose fields do not give its hash, or lack one */
    execution_witness w;
    json_t *h0 = json_array_get(json_object_get(geth, "headers"), 0);
    json_t *keep = json_deep_copy(h0);
    json_object_set_new(h0, "gasUsed", json_string("0x1"));
    CHECK(parse_as(geth, &w, "its fields hash to 0x"));
    json_object_set_new(h0, "gasUsed", json_deep_copy(json_object_get(keep, "gasUsed")));
    json_object_set_new(h0, "requestsHash", json_null()); /* a field of Osaka's header dropped */
    CHECK(parse_as(geth, &w, "its fields hash to 0x"));
    json_object_del(h0, "hash"); /* no hash to check: the header parses, as another block */
    CHECK(parse_as(geth, &w, NULL));
    byte_span s0 = byte_list_get(&w.headers, 0), r0 = byte_list_get(&ref.headers, 0);
    CHECK(s0.len + 33 == r0.len);
    execution_witness_free(&w);
    json_object_del(h0, "stateRoot");
    CHECK(parse_as(geth, &w, "\"headers\"[0]: field \"stateRoot\" is missing"));
    json_object_set_new(h0, "stateRoot", json_string("0x12"));
    CHECK(parse_as(geth, &w, "\"headers\"[0]: field \"stateRoot\": hash must be 32 bytes"));
    json_object_set_new(h0, "stateRoot", json_deep_copy(json_object_get(keep, "stateRoot")));
    json_object_set_new(h0, "nonce", json_string("0x0"));
    CHECK(parse_as(geth, &w, "field \"nonce\""));
    json_decref(keep);
    /* map entries must be hex data; a witness with no headers cannot be checked */
    json_object_set_new(json_object_get(maps, "codes"), "0x00", json_integer(1));
    CHECK(parse_as(maps, &w, "\"codes\"[\"0x00\"] is not hex data"));
    json_object_del(json_object_get(maps, "codes"), "0x00");
    json_object_del(maps, "headers");
    CHECK(parse_as(maps, &w, "\"headers\" is missing"));
    json_decref(maps);
    json_decref(geth);
    json_decref(res);
    execution_witness_free(&ref);
    test_node_close(&c.t);
}
