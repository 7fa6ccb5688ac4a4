/* A consensus client driving the node through the Engine API over real
 * HTTP with JWT: the blocks of BlockchainTests chains (Cancun) become
 * execution payloads (engine_newPayloadV3 with their blob versioned hashes
 * and parent beacon root), each valid one followed by
 * engine_forkchoiceUpdatedV3 to it, and the head is checked after every
 * step. Side chains of the fixtures (bcMultiChainTest) make the node reorg;
 * blocks the fixtures mark invalid must come back INVALID with the right
 * latestValidHash (their parent), INVALID without one when the payload
 * cannot stand for the block (uncles, a difficulty, a wrong transactions
 * root: the block hash then differs), or SYNCING for an unknown parent, and
 * must never move the head. At the end the head is the fixture's last
 * block and the post state matches. The payload JSON is written here from
 * the block's RLP, independently of the node's codec. */
#include "test.h"
#include <dirent.h>
#include "engine_helpers.h"
#include "parevm/block_roots.h"
#include "parevm/hashmap.h"

/* ---- Blocks as payloads ---------------------------------------------------------------------- */

typedef struct {
    json_t *params;     /* [payload, versioned hashes, beacon root] */
    block_header h;
    bool representable; /* a payload can carry every field of the header */
} cl_payload;

static json_t *q64(uint64_t v) { return rpc_json_u64(v); }

/* The transactions as the block carries them: a legacy one is its RLP
 * list, a typed one the envelope inside an RLP string. */
static json_t *raw_txs(const uint8_t *rlp, size_t len) {
    json_t *a = json_array();
    rlp_item outer, hdr, txs, t;
    size_t used;
    if (rlp_decode(rlp, len, &outer) || rlp_decode_item(outer.data, outer.len, &hdr, &used) ||
        rlp_decode_item(outer.data + used, outer.len - used, &txs, &used) || !txs.is_list)
        return a;
    rlp_iter it = rlp_iter_of(&txs);
    while (rlp_next(&it, &t) == RLP_OK)
        json_array_append_new(a, t.is_list ? rpc_json_data(t.raw, t.raw_len) : rpc_json_data(t.data, t.len));
    return a;
}

static bool make_payload(const uint8_t *rlp, size_t len, cl_payload *out) {
    block b;
    char why[200];
    memset(out, 0, sizeof *out);
    if (!block_decode(rlp, len, &b, why, sizeof why)) return false;
    const block_header *h = &b.header;
    out->h = *h;
    bytes32 txr = block_tx_root(&b), wr = b.has_withdrawals ? block_withdrawals_root(&b) : (bytes32){{0}};
    out->representable = u256_is_zero(&h->difficulty) && h->nonce == 0 && b.n_ommers == 0 &&
                         bytes32_eq(&h->ommers_hash, &EMPTY_LIST_HASH) && bytes32_eq(&txr, &h->tx_root) &&
                         b.has_withdrawals && h->has_withdrawals_root && bytes32_eq(&wr, &h->withdrawals_root) &&
                         h->extra_len <= 32 && h->has_base_fee && h->has_blob_gas && h->has_beacon_root &&
                         !h->has_requests_hash;
    json_t *p = json_object();
    json_object_set_new(p, "parentHash", eh_hash(&h->parent_hash));
    json_object_set_new(p, "feeRecipient", rpc_json_address(&h->coinbase));
    json_object_set_new(p, "stateRoot", eh_hash(&h->state_root));
    json_object_set_new(p, "receiptsRoot", eh_hash(&h->receipts_root));
    json_object_set_new(p, "logsBloom", rpc_json_data(h->bloom, 256));
    json_object_set_new(p, "prevRandao", eh_hash(&h->mix_hash));
    json_object_set_new(p, "blockNumber", q64(h->number));
    json_object_set_new(p, "gasLimit", q64(h->gas_limit));
    json_object_set_new(p, "gasUsed", q64(h->gas_used));
    json_object_set_new(p, "timestamp", q64(h->timestamp));
    json_object_set_new(p, "extraData", rpc_json_data(h->extra_data, h->extra_len < sizeof h->extra_data ? h->extra_len : sizeof h->extra_data));
    json_object_set_new(p, "baseFeePerGas", rpc_json_u256(&h->base_fee));
    json_object_set_new(p, "blockHash", eh_hash(&h->hash));
    json_object_set_new(p, "transactions", raw_txs(rlp, len));
    json_t *w = json_array();
    for (size_t i = 0; i < b.n_withdrawals; i++)
        json_array_append_new(w, json_pack("{s:o,s:o,s:o,s:o}", "index", q64(b.withdrawals[i].index), "validatorIndex",
                                           q64(b.withdrawals[i].validator), "address",
                                           rpc_json_address(&b.withdrawals[i].addr), "amount",
                                           q64(b.withdrawals[i].amount_gwei)));
    json_object_set_new(p, "withdrawals", w);
    json_object_set_new(p, "blobGasUsed", q64(h->blob_gas_used));
    json_object_set_new(p, "excessBlobGas", q64(h->excess_blob_gas));
    json_t *vh = json_array();
    for (size_t i = 0; i < b.n_txs; i++)
        for (size_t k = 0; k < b.txs[i].n_blob_hashes; k++) json_array_append_new(vh, eh_hash(&b.txs[i].blob_hashes[k]));
    out->params = json_pack("[o,o,o]", p, vh, eh_hash(&h->parent_beacon_root));
    block_free(&b);
    return true;
}

/* ---- Statuses ----------------------------------------------------------------------------------- */

typedef struct {
    char status[24];
    bool has_lvh;
    bytes32 lvh;
} cl_status;

static bool status_of(const json_t *s, cl_status *out) {
    memset(out, 0, sizeof *out);
    const char *st = json_string_value(json_object_get(s, "status"));
    if (!st) return false;
    snprintf(out->status, sizeof out->status, "%s", st);
    const json_t *l = json_object_get(s, "latestValidHash");
    out->has_lvh = l && !json_is_null(l);
    return !out->has_lvh || !rpc_parse_hash(l, &out->lvh);
}

static bool new_payload(eh_node *e, const cl_payload *p, cl_status *out) {
    json_t *r = eh_result(e, "engine_newPayloadV3", json_deep_copy(p->params));
    bool ok = r && status_of(r, out);
    json_decref(r);
    return ok;
}

static bool forkchoice(eh_node *e, const bytes32 *head, const bytes32 *safe, cl_status *out) {
    static const bytes32 zero = {{0}};
    json_t *fc = json_pack("{s:o,s:o,s:o}", "headBlockHash", eh_hash(head), "safeBlockHash", eh_hash(safe ? safe : &zero),
                           "finalizedBlockHash", eh_hash(&zero));
    json_t *r = eh_result(e, "engine_forkchoiceUpdatedV3", json_pack("[o,n]", fc));
    bool ok = r && status_of(json_object_get(r, "payloadStatus"), out) && json_is_null(json_object_get(r, "payloadId"));
    json_decref(r);
    return ok;
}

/* ---- The driver ------------------------------------------------------------------------------------ */

typedef struct {
    int tests, blocks, valid, invalid, reorgs, skipped, mismatches;
} drive_stats;

static void mismatch(drive_stats *st, const char *test, size_t i, const char *what, const cl_status *s) {
    fprintf(stderr, "  %s block %zu: %s (got %s%s)\n", test, i, what, s ? s->status : "no answer",
            s && s->has_lvh ? " with a latestValidHash" : "");
    st->mismatches++;
}

static bool known(word_map *m, const bytes32 *h) {
    u256 k = u256_from_bytes32(h);
    return word_map_get(m, &k) != NULL;
}

static void remember(word_map *m, const bytes32 *h) {
    u256 k = u256_from_bytes32(h);
    word_map_put(m, &k, &k);
}

/* An invalid block: the status the specification asks for, and the head
 * must not move (a forkchoice update to it must fail too). */
static void drive_invalid(eh_node *e, const cl_payload *p, word_map *valid, const bytes32 *head, drive_stats *st,
                          const char *name, size_t i) {
    cl_status s;
    st->invalid++;
    if (!new_payload(e, p, &s)) return mismatch(st, name, i, "newPayload failed", NULL);
    bool parent_known = known(valid, &p->h.parent_hash);
    if (!p->representable) {
        if (strcmp(s.status, "INVALID") || s.has_lvh) mismatch(st, name, i, "want INVALID without latestValidHash", &s);
    } else if (!parent_known) {
        if (strcmp(s.status, "SYNCING")) mismatch(st, name, i, "want SYNCING (unknown parent)", &s);
    } else if (bytes32_eq(&p->h.parent_hash, head)) {
        if (strcmp(s.status, "INVALID") || !s.has_lvh || !bytes32_eq(&s.lvh, &p->h.parent_hash))
            mismatch(st, name, i, "want INVALID with the parent as latestValidHash", &s);
    } else if (strcmp(s.status, "ACCEPTED") &&
               (strcmp(s.status, "INVALID") || !s.has_lvh || !bytes32_eq(&s.lvh, &p->h.parent_hash))) {
        mismatch(st, name, i, "want ACCEPTED or INVALID with the parent (side branch)", &s);
    }
    if (p->representable && parent_known) {
        /* asking for it as the head runs it (reorging if needed) and fails */
        if (!forkchoice(e, &p->h.hash, NULL, &s)) return mismatch(st, name, i, "forkchoiceUpdated failed", NULL);
        if (strcmp(s.status, "INVALID") || !s.has_lvh || !bytes32_eq(&s.lvh, &p->h.parent_hash))
            mismatch(st, name, i, "forkchoice to an invalid block: want INVALID with the parent", &s);
    }
    bytes32 now;
    if (!eh_head(e, &now, NULL) || !bytes32_eq(&now, head)) mismatch(st, name, i, "an invalid block moved the head", NULL);
}

static void drive_valid(eh_node *e, const cl_payload *p, word_map *valid, bytes32 *head, drive_stats *st,
                        const char *name, size_t i) {
    cl_status s;
    st->valid++;
    bool extends = bytes32_eq(&p->h.parent_hash, head);
    if (!new_payload(e, p, &s)) return mismatch(st, name, i, "newPayload failed", NULL);
    if (extends ? strcmp(s.status, "VALID") || !s.has_lvh || !bytes32_eq(&s.lvh, &p->h.hash)
                : strcmp(s.status, "ACCEPTED") && strcmp(s.status, "VALID"))
        mismatch(st, name, i, extends ? "want VALID" : "want ACCEPTED (side branch)", &s);
    if (!extends) st->reorgs++;
    if (!forkchoice(e, &p->h.hash, &p->h.parent_hash, &s)) return mismatch(st, name, i, "forkchoiceUpdated failed", NULL);
    if (strcmp(s.status, "VALID") || !s.has_lvh || !bytes32_eq(&s.lvh, &p->h.hash))
        mismatch(st, name, i, "forkchoice: want VALID", &s);
    remember(valid, &p->h.hash);
    *head = p->h.hash;
    bytes32 now;
    uint64_t number;
    if (!eh_head(e, &now, &number) || !bytes32_eq(&now, head) || number != p->h.number)
        mismatch(st, name, i, "the head is not the block", NULL);
}

static void check_post_state(eh_node *e, const json_t *post, drive_stats *st, const char *name) {
    const char *addr;
    const json_t *acct;
    json_object_foreach((json_t *)post, addr, acct) {
        u256 want, got;
        json_t *b = eh_result(e, "eth_getBalance", json_pack("[s,s]", addr, "latest"));
        json_t *nn = eh_result(e, "eth_getTransactionCount", json_pack("[s,s]", addr, "latest"));
        if (!eh_num(json_object_get(acct, "balance"), &want) || !eh_num(b, &got) || !u256_eq(&want, &got) ||
            !eh_num(json_object_get(acct, "nonce"), &want) || !eh_num(nn, &got) || !u256_eq(&want, &got)) {
            fprintf(stderr, "  %s: account %s differs from the post state\n", name, addr);
            st->mismatches++;
        }
        json_decref(b);
        json_decref(nn);
        const char *slot;
        const json_t *val;
        json_object_foreach(json_object_get(acct, "storage"), slot, val) {
            json_t *v = eh_result(e, "eth_getStorageAt", json_pack("[s,s,s]", addr, slot, "latest"));
            if (!eh_num(val, &want) || !eh_num(v, &got) || !u256_eq(&want, &got)) {
                fprintf(stderr, "  %s: %s slot %s differs\n", name, addr, slot);
                st->mismatches++;
            }
            json_decref(v);
        }
    }
}

static void drive_test(const json_t *t, const char *name, drive_stats *st) {
    eh_node e = {0};
    snprintf(e.dir, sizeof e.dir, "/tmp/parevm-engine-XXXXXX");
    if (!mkdtemp(e.dir) || !eh_init_fixture(t, e.dir) || !eh_start(&e, NULL)) {
        fprintf(stderr, "  %s: cannot set up\n", name);
        st->mismatches++;
        eh_stop(&e, true);
        return;
    }
    st->tests++;
    word_map valid = {0};
    bytes32 head;
    rpc_parse_hash(json_object_get(json_object_get(t, "genesisBlockHeader"), "hash"), &head);
    remember(&valid, &head);
    const json_t *blocks = json_object_get(t, "blocks");
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        const json_t *fb = json_array_get(blocks, i);
        uint8_t *rlp;
        size_t len;
        cl_payload p;
        if (!hex_decode_alloc(json_string_value(json_object_get(fb, "rlp")), &rlp, &len)) {
            st->skipped++;
            continue;
        }
        bool made = make_payload(rlp, len, &p);
        free(rlp);
        if (!made) { /* RLP that is not a block: nothing a payload can say */
            if (!json_object_get(fb, "expectException")) mismatch(st, name, i, "a valid block does not decode", NULL);
            st->skipped++;
            continue;
        }
        st->blocks++;
        if (json_object_get(fb, "expectException")) drive_invalid(&e, &p, &valid, &head, st, name, i);
        else drive_valid(&e, &p, &valid, &head, st, name, i);
        json_decref(p.params);
    }
    bytes32 last, now;
    rpc_parse_hash(json_object_get(t, "lastblockhash"), &last);
    if (!eh_head(&e, &now, NULL) || !bytes32_eq(&now, &last)) {
        fprintf(stderr, "  %s: the head is not the fixture's last block\n", name);
        st->mismatches++;
    }
    check_post_state(&e, json_object_get(t, "postState"), st, name);
    st->mismatches += e.failures;
    word_map_free(&valid);
    eh_stop(&e, true);
}

/* Every Cancun test of the fixture files under rel (a folder). */
static void drive_folder(const char *rel, drive_stats *st) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/ethereum-tests/BlockchainTests/%s", test_fixtures_dir(), rel);
    DIR *d = opendir(dir);
    CHECK(d != NULL); /* a missing fixture folder fails */
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t l = strlen(ent->d_name);
        if (l < 6 || strcmp(ent->d_name + l - 5, ".json")) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        json_t *file = json_load_file(path, 0, NULL);
        CHECK(file != NULL);
        const char *name;
        const json_t *t;
        json_object_foreach(file, name, t) {
            if (strcmp(json_string_value(json_object_get(t, "network")) ?: "", "Cancun")) continue;
            drive_test(t, name, st);
        }
        json_decref(file);
    }
    closedir(d);
}

static void report(const char *what, const drive_stats *st) {
    fprintf(stderr, "  %s: %d tests, %d blocks (%d valid, %d invalid, %d onto side branches), %d skipped\n", what,
            st->tests, st->blocks, st->valid, st->invalid, st->reorgs, st->skipped);
}

TEST(engine_drives_valid_chains) {
    drive_stats st = {0};
    static const char *const folders[] = {
        "ValidBlocks/bcEIP4844-blobtransactions", "ValidBlocks/bcExample", "ValidBlocks/bcEIP1559",
        "ValidBlocks/bcEIP1153-transientStorage", "ValidBlocks/bcWalletTest", "ValidBlocks/bcValidBlockTest",
        "ValidBlocks/bcBlockGasLimitTest", "ValidBlocks/bcEIP3675",
    };
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) drive_folder(folders[i], &st);
    report("valid chains", &st);
    CHECK(st.mismatches == 0);
    CHECK(st.tests >= 40 && st.valid >= 400);
}

TEST(engine_drives_invalid_blocks_and_side_chains) {
    drive_stats st = {0};
    static const char *const folders[] = {
        "InvalidBlocks/bcInvalidHeaderTest", "InvalidBlocks/bcStateTests", "InvalidBlocks/bc4895-withdrawals",
        "InvalidBlocks/bcEIP1559",           "InvalidBlocks/bcEIP3675",    "InvalidBlocks/bcMultiChainTest",
        "InvalidBlocks/bcBlockGasLimitTest", "InvalidBlocks/bcUncleTest",
    };
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) drive_folder(folders[i], &st);
    report("invalid blocks", &st);
    CHECK(st.mismatches == 0);
    CHECK(st.invalid >= 80 && st.reorgs >= 1); /* bcMultiChainTest: one side branch; built branches reorg in test_engine_api */
}
