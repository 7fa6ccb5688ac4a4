/* The chain layer on the store (chain_import.h): the configuration record
 * and geth's JSON form round-trip; genesis headers follow geth's rules; a
 * built chain (chain_builder.h, roots by full rebuild) imports with every
 * root checked, in batches, with lagging roots, after an importer is
 * dropped without a flush (a crash), and, with a bad state root planted in
 * the middle of unchecked blocks, the first invalid block is the one
 * reported and the store is left at the block before it. */
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "chain_builder.h"
#include "parevm/chain_import.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "test.h"

/* ---- configuration ---- */

static bool same_config(const chain_config *a, const chain_config *b) {
    buf_t x = {0}, y = {0};
    chain_config_encode(a, &x);
    chain_config_encode(b, &y);
    bool same = x.len == y.len && !memcmp(x.data, y.data, x.len);
    buf_free(&x);
    buf_free(&y);
    return same;
}

TEST(config_record_round_trips) {
    static const char *const names[] = {"Frontier", "HomesteadToDaoAt5", "Constantinople",
                                        "ArrowGlacierToParisAtDiffC0000", "Cancun", "PragueToOsakaAtTime15k",
                                        "BPO2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        chain_config c, d;
        CHECK(chain_config_by_name(names[i], &c));
        buf_t b = {0};
        chain_config_encode(&c, &b);
        CHECK(chain_config_decode(b.data, b.len, &d));
        CHECK(same_config(&c, &d));
        /* truncations and a flipped version are refused */
        for (size_t n = 0; n < b.len; n += 7) CHECK(!chain_config_decode(b.data, n, &d));
        b.data[b.data[0] >= 0xf8 ? 1 + (b.data[0] - 0xf7) : 1] ^= 2;
        CHECK(!chain_config_decode(b.data, b.len, &d));
        buf_free(&b);
    }
    chain_config m = chain_config_mainnet(), d;
    buf_t b = {0};
    chain_config_encode(&m, &b);
    CHECK(chain_config_decode(b.data, b.len, &d) && same_config(&m, &d));
    buf_free(&b);
}

/* b's record less its last `drop` items, as version v, then the n_extra
 * numbers extra. */
static void edited_record(const buf_t *b, size_t drop, uint64_t v, const uint64_t *extra, size_t n_extra, buf_t *out) {
    rlp_item list;
    CHECK(!rlp_decode(b->data, b->len, &list) && list.is_list);
    rlp_iter iter = rlp_iter_of(&list);
    size_t l = rlp_list_begin(out), n = 0;
    rlp_item items[64];
    while (n < 64 && rlp_next(&iter, &items[n]) == RLP_OK) n++;
    rlp_encode_u64(out, v);
    for (size_t i = 1; i + drop < n; i++) rlp_encode_raw(out, items[i].raw, items[i].raw_len);
    for (size_t i = 0; i < n_extra; i++) rlp_encode_u64(out, extra[i]);
    rlp_list_end(out, l);
}

/* mergeNetsplitBlock (a fork-id point, record version 2), the clique flag
 * and the contract size limit (version 3), the lifted EIP-7825 cap
 * (version 4), the ethash flag (version 5) and the DAO fork opposed
 * (version 6) round-trip; records of versions 1 to 5 (written before they
 * were kept) still load, without them. */
TEST(config_record_versions) {
    chain_config c, d;
    CHECK(chain_config_by_name("Cancun", &c));
    CHECK_EQ_U64(c.merge_netsplit, CHAIN_NEVER);
    CHECK(!c.clique && !c.max_code_size && !c.no_tx_gas_cap && !c.ethash);
    c.merge_netsplit = 36;
    c.clique = true;
    c.max_code_size = 30000;
    c.no_tx_gas_cap = true;
    c.ethash = true;
    c.dao_opposed = true;
    buf_t b = {0}, v1 = {0}, v2 = {0}, v3 = {0}, v4 = {0}, v5 = {0}, bad = {0}, big = {0}, cap2 = {0}, eth2 = {0};
    chain_config_encode(&c, &b);
    CHECK(chain_config_decode(b.data, b.len, &d) && d.merge_netsplit == 36 && d.clique && d.max_code_size == 30000 &&
          d.no_tx_gas_cap && d.ethash && d.dao_opposed && same_config(&c, &d));
    edited_record(&b, 1, 5, NULL, 0, &v5);
    CHECK(chain_config_decode(v5.data, v5.len, &d) && d.ethash && !d.dao_opposed);
    edited_record(&b, 2, 4, NULL, 0, &v4);
    CHECK(chain_config_decode(v4.data, v4.len, &d) && d.no_tx_gas_cap && !d.ethash);
    edited_record(&b, 3, 3, NULL, 0, &v3);
    CHECK(chain_config_decode(v3.data, v3.len, &d) && d.clique && d.max_code_size == 30000 && !d.no_tx_gas_cap);
    edited_record(&b, 5, 2, NULL, 0, &v2);
    CHECK(chain_config_decode(v2.data, v2.len, &d) && d.merge_netsplit == 36 && !d.clique && !d.max_code_size);
    edited_record(&b, 6, 1, NULL, 0, &v1);
    CHECK(chain_config_decode(v1.data, v1.len, &d) && d.merge_netsplit == CHAIN_NEVER && !d.clique);
    d.merge_netsplit = 36;
    d.clique = true;
    d.max_code_size = 30000;
    d.no_tx_gas_cap = true;
    d.ethash = true;
    d.dao_opposed = true;
    CHECK(same_config(&c, &d));
    /* a flag other than 0 or 1, a limit past 32 bits: refused */
    const uint64_t flag2[2] = {2, 0}, huge[2] = {1, (uint64_t)UINT32_MAX + 1}, two[1] = {2};
    edited_record(&b, 5, 3, flag2, 2, &bad);
    CHECK(!chain_config_decode(bad.data, bad.len, &d));
    edited_record(&b, 5, 3, huge, 2, &big);
    CHECK(!chain_config_decode(big.data, big.len, &d));
    edited_record(&b, 3, 4, two, 1, &cap2);
    CHECK(!chain_config_decode(cap2.data, cap2.len, &d));
    edited_record(&b, 2, 5, two, 1, &eth2);
    CHECK(!chain_config_decode(eth2.data, eth2.len, &d));
    c.ethash = false;
    /* geth's JSON cannot say it */
    char err[120];
    c.max_code_size = 0;
    c.clique = false;
    c.merge_netsplit = CHAIN_NEVER;
    CHECK(chain_config_to_json(&c, err, sizeof err) == NULL && strstr(err, "EIP-7825"));
    buf_free(&b);
    buf_free(&v1);
    buf_free(&v2);
    buf_free(&v3);
    buf_free(&v4);
    buf_free(&v5);
    buf_free(&bad);
    buf_free(&big);
    buf_free(&cap2);
    buf_free(&eth2);
}

TEST(config_json_round_trips) {
    static const char *const names[] = {"Frontier", "HomesteadToDaoAt5", "ByzantiumToConstantinopleFixAt5",
                                        "ArrowGlacierToParisAtDiffC0000", "Shanghai", "Cancun",
                                        "PragueToOsakaAtTime15k", "BPO4ToBPO5AtTime15k"};
    char err[200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        chain_config c, d;
        CHECK(chain_config_by_name(names[i], &c));
        json_t *j = chain_config_to_json(&c, err, sizeof err);
        CHECK(j != NULL);
        if (!j) continue;
        bool ok = chain_config_from_json(j, &d, err, sizeof err);
        CHECK(ok);
        if (ok && !same_config(&c, &d)) {
            fprintf(stderr, "  %s does not round-trip\n", names[i]);
            CHECK(false);
        }
        json_decref(j);
    }
    /* a clique section round-trips (its contents are not kept) */
    chain_config q;
    CHECK(chain_config_by_name("London", &q));
    q.clique = true;
    json_t *j = chain_config_to_json(&q, err, sizeof err);
    CHECK(j && json_is_object(json_object_get(j, "clique")));
    chain_config r;
    CHECK(j && chain_config_from_json(j, &r, err, sizeof err) && r.clique && same_config(&q, &r));
    json_decref(j);
    /* so does an ethash section, which a clique one overrides (sealed by
     * authorities: no proof of work to check) */
    chain_config e;
    CHECK(chain_config_by_name("London", &e));
    e.ethash = true;
    j = chain_config_to_json(&e, err, sizeof err);
    CHECK(j && json_is_object(json_object_get(j, "ethash")));
    CHECK(j && chain_config_from_json(j, &r, err, sizeof err) && r.ethash && !r.clique && same_config(&e, &r));
    if (j) json_object_set_new(j, "clique", json_object());
    CHECK(j && chain_config_from_json(j, &r, err, sizeof err) && r.clique && !r.ethash);
    json_decref(j);
    /* what geth's format cannot say */
    q.max_code_size = 30000;
    CHECK(chain_config_to_json(&q, err, sizeof err) == NULL);
    chain_config c;
    CHECK(chain_config_by_name("Constantinople", &c));
    CHECK(chain_config_to_json(&c, err, sizeof err) == NULL);
    c = chain_config_mainnet();
    CHECK(chain_config_to_json(&c, err, sizeof err) == NULL);
    /* ...but chain_config_describe writes it all the same: mainnet's Merge
     * by its terminal total difficulty, the rest as it is */
    j = chain_config_describe(&c);
    CHECK(j && !json_object_get(j, "mergeNetsplitBlock"));
    CHECK(j && !strcmp(json_string_value(json_object_get(j, "terminalTotalDifficulty")), "0xc70d808a128d7380000"));
    CHECK(j && chain_config_from_json(j, &r, err, sizeof err));
    CHECK(r.chain_id == 1 && r.has_ttd && r.london == c.london && r.osaka_time == c.osaka_time &&
          r.bpo_time[1] == c.bpo_time[1] && r.dao == c.dao);
    CHECK(chain_fork_at(&r, c.paris_block, 1663224179, true) == FORK_PARIS &&
          chain_fork_at(&r, c.paris_block - 1, 1663224162, false) == FORK_LONDON);
    json_decref(j);
    /* a contract size limit and a chain id past 2^63 - 1 */
    q.chain_id = (uint64_t)INT64_MAX + 2;
    j = chain_config_describe(&q);
    CHECK(j && !strcmp(json_string_value(json_object_get(j, "chainId")), "0x8000000000000001"));
    json_decref(j);
}

/* ---- genesis ---- */

static json_t *parse(const char *text) {
    json_error_t e;
    return json_loads(text, 0, &e);
}

TEST(genesis_header_follows_geth) {
    code_store *codes = code_store_new();
    char err[300];
    chain_genesis g;
    /* pre-London, ethash: default gas limit and difficulty */
    json_t *j = parse("{\"config\": {\"chainId\": 5, \"ethash\": {}}, \"alloc\": {}}");
    CHECK(chain_genesis_from_json(j, codes, &g, err, sizeof err));
    block_header h = chain_genesis_header(&g);
    CHECK_EQ_U64(h.gas_limit, 4712388);
    CHECK_EQ_U64(h.difficulty.w[0], 131072);
    CHECK(!h.has_base_fee && !h.has_withdrawals_root);
    chain_genesis_free(&g);
    json_decref(j);
    /* no ethash section: difficulty 0; Prague at genesis: every optional field */
    j = parse("{\"config\": {\"chainId\": 5, \"homesteadBlock\": 0, \"eip150Block\": 0, \"eip155Block\": 0,"
              "\"eip158Block\": 0, \"byzantiumBlock\": 0, \"constantinopleBlock\": 0, \"petersburgBlock\": 0,"
              "\"istanbulBlock\": 0, \"berlinBlock\": 0, \"londonBlock\": 0, \"terminalTotalDifficulty\": 0,"
              "\"shanghaiTime\": 0, \"cancunTime\": 0, \"pragueTime\": 0}, \"gasLimit\": \"0x1c9c380\","
              "\"alloc\": {\"0x00000000000000000000000000000000000000aa\": {\"balance\": \"0x10\","
              "\"nonce\": \"7\", \"code\": \"0x00\", \"storage\": {\"0x01\": \"0x02\", \"0x03\": \"0x00\"}}}}");
    CHECK(chain_genesis_from_json(j, codes, &g, err, sizeof err));
    h = chain_genesis_header(&g);
    CHECK(u256_is_zero(&h.difficulty));
    CHECK_EQ_U64(h.gas_limit, 30000000);
    CHECK(h.has_base_fee && h.base_fee.w[0] == 1000000000);
    CHECK(h.has_withdrawals_root && h.has_blob_gas && h.has_beacon_root && h.has_requests_hash);
    CHECK_EQ_U64(g.alloc.n_accounts, 1);
    CHECK_EQ_U64(g.alloc.n_slots, 1); /* a zero value is no slot */
    CHECK_EQ_U64(g.alloc.accounts[0].nonce, 7);
    chain_genesis_free(&g);
    json_decref(j);
    /* a clique genesis's extra data (32 of vanity, a signer, 65 of seal:
     * 117 bytes, geth's old --dev genesis) is kept whole, so block 0's hash
     * covers it; 257 bytes are refused */
    char text[1024], hex[2 * 300 + 1];
    for (int i = 0; i < 117; i++) sprintf(hex + 2 * i, "%02x", i);
    snprintf(text, sizeof text, "{\"config\": {\"chainId\": 5, \"clique\": {}}, \"extraData\": \"0x%s\", \"alloc\": {}}", hex);
    j = parse(text);
    CHECK(chain_genesis_from_json(j, codes, &g, err, sizeof err));
    h = chain_genesis_header(&g);
    buf_t raw = {0};
    header_encode(&h, &raw);
    block_header back;
    char why[100];
    CHECK(header_decode(raw.data, raw.len, &back, why, sizeof why) && back.extra_len == 117 &&
          back.extra_data[116] == 116);
    buf_t again = {0};
    header_encode(&back, &again);
    CHECK(again.len == raw.len && !memcmp(again.data, raw.data, raw.len));
    buf_free(&raw);
    buf_free(&again);
    chain_genesis_free(&g);
    json_decref(j);
    for (int i = 0; i < 257; i++) sprintf(hex + 2 * i, "%02x", i & 0xff);
    snprintf(text, sizeof text, "{\"config\": {\"chainId\": 5}, \"extraData\": \"0x%s\", \"alloc\": {}}", hex);
    j = parse(text);
    CHECK(!chain_genesis_from_json(j, codes, &g, err, sizeof err));
    json_decref(j);
    /* errors name the field */
    static const char *const bad[] = {
        "{\"alloc\": {}}",
        "{\"config\": {\"chainId\": 1}, \"alloc\": {\"0x01\": {\"balance\": \"1\"}}}",
        "{\"config\": {\"chainId\": 1}, \"alloc\": {\"0x00000000000000000000000000000000000000aa\": {\"balance\": \"x\"}}}",
        "{\"config\": {\"chainId\": 1}, \"gasLimit\": -1}",
        "{\"config\": {\"chainId\": 1}, \"timestamp\": \"0x1ffffffffffffffff\"}",
        "{\"config\": {\"chainId\": 1}, \"mixHash\": 7}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = parse(bad[i]);
        CHECK(!chain_genesis_from_json(j, codes, &g, err, sizeof err));
        CHECK(strncmp(err, "genesis", 7) == 0 || strncmp(err, "config", 6) == 0);
        json_decref(j);
    }
    code_store_free(codes);
}

/* ---- import of a built chain ---- */

typedef struct {
    buf_t *blocks; /* RLP of blocks 1..n */
    size_t n;
    chain_config cfg;
    block_header genesis;
    change_set alloc;
} built_chain;

static const char *collect_chunk(void *arg, const change_set *cs) {
    change_set_append(arg, cs, cs->n_accounts);
    return NULL;
}

static void build(built_chain *c, code_store *codes, build_kind kind, size_t blocks) {
    build_options o = {.accounts = 300, .slots = 3000, .block_gas = 1500000, .kind = kind, .seed = 7};
    chain_builder *b = builder_new(&o, codes);
    memset(c, 0, sizeof *c);
    if (builder_genesis(b, collect_chunk, &c->alloc)) abort();
    c->cfg = builder_config(b);
    c->genesis = builder_genesis_header(b);
    c->blocks = calloc(blocks, sizeof *c->blocks);
    for (size_t i = 0; i < blocks; i++) {
        uint64_t gas;
        size_t txs;
        if (builder_next_block(b, &c->blocks[i], &gas, &txs)) abort();
    }
    c->n = blocks;
    builder_free(b);
}

static void built_free(built_chain *c) {
    for (size_t i = 0; i < c->n; i++) buf_free(&c->blocks[i]);
    free(c->blocks);
    change_set_free(&c->alloc);
}

static char tmp_root[256];

static db *fresh_db(const char *name) {
    char dir[400], p[500];
    snprintf(dir, sizeof dir, "%s/%s", tmp_root, name);
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    db *d;
    db_options o = {.no_sync = true, .map_size = (size_t)1 << 26, .threads = 2};
    if (db_open(dir, &o, &d)) abort();
    return d;
}

static void init_chain(db *d, const built_chain *c) {
    block_header out;
    CHECK(chain_init(d, &c->cfg, &c->genesis, &c->alloc, &out) == NULL);
    CHECK(bytes32_eq(&out.hash, &c->genesis.hash)); /* store and builder agree on the genesis root */
}

static uint64_t store_head(db *d, bytes32 *root) {
    db_snapshot *s;
    uint64_t head = 0, trie;
    if (db_snapshot_open(d, 1, &s)) abort();
    CHECK(db_head(s, &head, NULL) == NULL);
    if (root) CHECK(db_state_root(s, root, &trie) == NULL);
    db_snapshot_close(s);
    return head;
}

/* Imports blocks [from, to) and flushes; returns the failure. */
static const char *import_range(chain_importer *im, const built_chain *c, size_t from, size_t to, chain_bad_block *bad) {
    const char *err = NULL;
    for (size_t i = from; i < to && !err; i++) {
        err = chain_import_block(im, c->blocks[i].data, c->blocks[i].len, bad);
        if (err == CHAIN_KNOWN_BLOCK) err = NULL;
    }
    if (!err) err = chain_import_flush(im, bad);
    return err;
}

static long micros(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* What importing one built block takes on this machine (a sanitizer's
 * build is many times slower), measured for each kind of chain by its
 * first import, without hooks. */
static _Atomic long block_import_us;

/* on_written: a write that takes as long as three block imports (40 ms at
 * least, 2 s at most), so that checked blocks queue up behind it however
 * fast the machine runs. */
static void slow_writes(void *arg) {
    (void)arg;
    long us = 3 * atomic_load(&block_import_us);
    usleep((useconds_t)(us < 40000 ? 40000 : us > 2000000 ? 2000000 : us));
}

/* An init killed while it loaded a genesis state in chunks leaves rows and
 * no block 0; an init with another genesis then gets exactly that genesis,
 * not the union of both states. */
TEST(init_after_an_interrupted_one) {
    code_store *codes = code_store_new();
    built_chain a, b;
    build(&a, codes, BUILD_ERC20, 1);
    build(&b, codes, BUILD_TRANSFERS, 1);
    db *clean = fresh_db("init-clean");
    block_header want, got;
    CHECK(chain_init(clean, &b.cfg, &b.genesis, &b.alloc, &want) == NULL);
    db_close(clean);
    db *d = fresh_db("init-killed");
    change_set part = {0};
    change_set_append(&part, &a.alloc, a.alloc.n_accounts / 2);
    for (size_t i = 0; i < part.n_accounts; i++) part.accounts[i].addr.b[0] ^= 0x5a; /* accounts b lacks */
    CHECK(db_load_state(d, &part, NULL) == NULL); /* another genesis' first chunks, then the kill */
    change_set_free(&part);
    CHECK(chain_init(d, &b.cfg, &b.genesis, &b.alloc, &got) == NULL);
    CHECK(bytes32_eq(&got.hash, &want.hash) && bytes32_eq(&got.state_root, &want.state_root));
    CHECK(db_clear_unfinished(d) != NULL); /* block 0 is there now: refused */
    db_close(d);
    built_free(&a);
    built_free(&b);
    code_store_free(codes);
}

TEST(import_built_chains_every_way) {
    code_store *codes = code_store_new();
    static const build_kind kinds[] = {BUILD_TRANSFERS, BUILD_ERC20, BUILD_UNISWAP, BUILD_MIXED};
    static const chain_import_options opts[] = {
        {.threads = 1, .root_every = 1}, {.threads = 2, .root_every = 1},
        {.threads = 2, .root_every = 4, .batch = 2}, {.threads = 2, .root_every = 100, .batch = 3},
        {.sequential = true, .root_every = 3}, {.threads = 2, .root_every = 1, .no_pipeline = true},
        {.threads = 2, .root_every = 3, .batch = 1, .no_pipeline = true},
        {.threads = 2, .root_every = 1, .batch = 4}, {.threads = 2, .root_every = 1, .batch = 3, .root_first = true},
    };
    for (size_t k = 0; k < 4; k++) {
        built_chain c;
        build(&c, codes, kinds[k], 12);
        bytes32 want_root = {{0}};
        for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
            db *d = fresh_db("every");
            init_chain(d, &c);
            chain_importer *im;
            chain_import_options oo = opts[o];
            bool batches = oo.root_every == 1 && oo.batch > 1;
            if (batches) oo.on_written = slow_writes; /* checked blocks queue up meanwhile */
            CHECK(chain_importer_open(d, &oo, &im) == NULL);
            chain_bad_block bad;
            long t0 = micros();
            const char *err = import_range(im, &c, 0, c.n, &bad);
            if (o == 0) atomic_store(&block_import_us, (micros() - t0) / (long)c.n); /* this kind's blocks */
            if (err) fprintf(stderr, "  kind %zu options %zu: %s\n", k, o, err);
            CHECK(err == NULL);
            bytes32 root, full;
            CHECK_EQ_U64(store_head(d, &root), c.n);
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &root));
            if (o == 0) want_root = root;
            CHECK(bytes32_eq(&root, &want_root));
            if (batches) CHECK(chain_importer_stats(im)->commits <= c.n / 2); /* checked blocks share writes */
            /* again: every block is known */
            CHECK(import_range(im, &c, 0, c.n, &bad) == NULL);
            CHECK_EQ_U64(chain_importer_stats(im)->known, c.n);
            chain_importer_free(im);
            db_close(d);
        }
        built_free(&c);
    }
    code_store_free(codes);
}

/* known_sender: a pool of (hash, sender) pairs, one pair optionally lying. */
typedef struct {
    bytes32 *hash;
    address *sender;
    size_t n, asked;
} sender_pool;

static bool pool_lookup(void *arg, const bytes32 *tx_hash, address *sender) {
    sender_pool *p = arg;
    p->asked++;
    for (size_t i = 0; i < p->n; i++)
        if (bytes32_eq(&p->hash[i], tx_hash)) {
            *sender = p->sender[i];
            return true;
        }
    return false;
}

/* The pool: every transaction of the chain but the first of each block. */
static void fill_sender_pool(sender_pool *p, const built_chain *c) {
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < c->n; i++) {
        block b;
        char err[200];
        CHECK(block_decode(c->blocks[i].data, c->blocks[i].len, &b, err, sizeof err));
        p->hash = realloc(p->hash, (p->n + b.n_txs) * sizeof *p->hash);
        p->sender = realloc(p->sender, (p->n + b.n_txs) * sizeof *p->sender);
        for (size_t k = 1; k < b.n_txs; k++) {
            CHECK(tx_recover_sender(&b.txs[k], true));
            p->hash[p->n] = b.txs[k].hash;
            p->sender[p->n++] = b.txs[k].sender;
        }
        block_free(&b);
    }
}

/* Senders taken from a pool give the chain's own roots; a sender that is
 * wrong is caught by the block's checks, and the store stays before it. */
TEST(known_senders_are_taken_and_a_wrong_one_is_caught) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_TRANSFERS, 6);
    sender_pool pool;
    fill_sender_pool(&pool, &c);
    CHECK(pool.n > 6);
    for (int lie = 0; lie < 2; lie++) {
        for (unsigned threads = 1; threads <= 2; threads++) {
            db *d = fresh_db("senders");
            init_chain(d, &c);
            chain_import_options o = {.threads = threads, .known_sender = pool_lookup, .known_sender_arg = &pool};
            chain_importer *im;
            CHECK(chain_importer_open(d, &o, &im) == NULL);
            if (lie) pool.sender[pool.n / 2].b[3] ^= 1;
            chain_bad_block bad = {0};
            const char *err = import_range(im, &c, 0, c.n, &bad);
            if (lie) pool.sender[pool.n / 2].b[3] ^= 1;
            bytes32 root, full;
            uint64_t head = store_head(d, &root);
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &root));
            if (!lie) {
                CHECK(err == NULL && head == c.n);
                CHECK_EQ_U64(chain_importer_stats(im)->senders_known, pool.n);
                CHECK_EQ_U64(chain_importer_stats(im)->txs, pool.n + c.n);
            } else {
                CHECK(err != NULL && bad.invalid && head == bad.number - 1 && bad.number <= c.n);
            }
            chain_importer_free(im);
            db_close(d);
        }
    }
    free(pool.hash);
    free(pool.sender);
    built_free(&c);
    code_store_free(codes);
}

/* Re-encodes block i with field changes applied by fix, and re-links the
 * blocks after it (their parent hashes) so that they stay a chain. */
static void relink(built_chain *c, size_t i, void (*fix)(block_header *)) {
    bytes32 parent = {{0}};
    for (size_t k = i; k < c->n; k++) {
        block b;
        char err[200];
        if (!block_decode(c->blocks[k].data, c->blocks[k].len, &b, err, sizeof err)) abort();
        if (k == i) fix(&b.header);
        else b.header.parent_hash = parent;
        buf_t enc = {0};
        header_encode(&b.header, &enc);
        parent = keccak256_hash(enc.data, enc.len);
        buf_free(&enc);
        buf_clear(&c->blocks[k]);
        block_encode(&b, &c->blocks[k]);
        block_free(&b);
    }
}

static void bad_root(block_header *h) { h->state_root.b[5] ^= 1; }

/* ---- senders_ahead ---- */

/* Imports c's blocks as parevm import does with senders_ahead: each block
 * pushed `ahead` blocks before it is imported, popped after. */
static const char *import_ahead(chain_importer *im, senders_ahead *sa, const built_chain *c, size_t ahead,
                                chain_bad_block *bad) {
    const char *err = NULL;
    size_t pushed = 0;
    for (size_t i = 0; i < c->n && !err; i++) {
        for (; pushed < c->n && pushed < i + ahead; pushed++)
            CHECK(senders_ahead_push(sa, c->blocks[pushed].data, c->blocks[pushed].len));
        err = chain_import_block(im, c->blocks[i].data, c->blocks[i].len, bad);
        senders_ahead_pop(sa);
    }
    if (!err) err = chain_import_flush(im, bad);
    return err;
}

/* The senders of a pushed block, once recovered, are the transactions'
 * own; a hash of another block is not answered, nor is a block that does
 * not decode; at most SENDERS_AHEAD_MAX blocks queue up; blocks left queued
 * are freed with it. */
TEST(senders_ahead_answers_for_the_oldest_block) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_TRANSFERS, 3);
    senders_ahead *sa = senders_ahead_new(2);
    static const uint8_t garbage[] = {0xc3, 0x01, 0x02, 0x03};
    CHECK(senders_ahead_push(sa, c.blocks[0].data, c.blocks[0].len));
    CHECK(senders_ahead_push(sa, garbage, sizeof garbage));
    for (size_t i = 2; i < SENDERS_AHEAD_MAX; i++) CHECK(senders_ahead_push(sa, c.blocks[2].data, c.blocks[2].len));
    CHECK(!senders_ahead_push(sa, c.blocks[1].data, c.blocks[1].len)); /* full */
    block b, other;
    char err[200];
    CHECK(block_decode(c.blocks[0].data, c.blocks[0].len, &b, err, sizeof err));
    CHECK(block_decode(c.blocks[2].data, c.blocks[2].len, &other, err, sizeof err));
    CHECK(b.n_txs > 1 && other.n_txs > 0);
    senders_ahead_drain(sa);
    address got;
    /* a hash that is not in the oldest block is not answered */
    CHECK(!senders_ahead_lookup(sa, &other.txs[other.n_txs - 1].hash, &got));
    for (size_t k = 0; k < b.n_txs; k++) { /* last first: the hint misses */
        size_t i = b.n_txs - 1 - k;
        CHECK(senders_ahead_lookup(sa, &b.txs[i].hash, &got));
        CHECK(tx_recover_sender(&b.txs[i], true));
        CHECK(memcmp(got.b, b.txs[i].sender.b, 20) == 0);
    }
    senders_ahead_pop(sa);
    CHECK(!senders_ahead_lookup(sa, &b.txs[0].hash, &got)); /* the garbage is the oldest now */
    senders_ahead_pop(sa);
    block_free(&b);
    block_free(&other);
    senders_ahead_free(sa); /* with blocks queued */
    built_free(&c);
    code_store_free(codes);
}

/* A chain imported with senders recovered ahead ends where it must, every
 * root checked; a block with a wrong root among them is the one named. */
TEST(import_with_senders_ahead) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_MIXED, 8);
    for (int broken = 0; broken < 2; broken++) {
        if (broken) relink(&c, 5, bad_root);
        for (unsigned threads = 1; threads <= 3; threads += 2) {
            db *d = fresh_db("ahead");
            init_chain(d, &c);
            senders_ahead *sa = senders_ahead_new(threads);
            chain_import_options o = {.threads = 2, .known_sender = senders_ahead_lookup, .known_sender_arg = sa};
            chain_importer *im;
            CHECK(chain_importer_open(d, &o, &im) == NULL);
            chain_bad_block bad = {0};
            const char *err = import_ahead(im, sa, &c, threads == 1 ? 2 : SENDERS_AHEAD_MAX, &bad);
            bytes32 root, full;
            uint64_t head = store_head(d, &root);
            CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &root));
            if (!broken) {
                CHECK(err == NULL && head == c.n);
            } else {
                CHECK(err != NULL && bad.invalid && bad.number == 6 && head == 5);
                CHECK(bad.reason && strstr(bad.reason, "state root"));
            }
            CHECK(chain_importer_stats(im)->senders_known <= chain_importer_stats(im)->txs);
            chain_importer_free(im);
            senders_ahead_free(sa);
            db_close(d);
        }
    }
    built_free(&c);
    code_store_free(codes);
}


TEST(first_invalid_block_among_unchecked_ones) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_MIXED, 14);
    /* Wrong state roots in blocks 7, 10 and 14; the blocks between are
     * valid on top of them. A root is only checked every T blocks: the
     * check at 10 (or 14) fails, and re-running the unchecked blocks one by
     * one finds block 7. */
    relink(&c, 6, bad_root);
    relink(&c, 9, bad_root);
    relink(&c, 13, bad_root);
    static const chain_import_options opts[] = {
        {.threads = 2, .root_every = 1}, {.threads = 2, .root_every = 100, .batch = 100},
        {.threads = 2, .root_every = 100, .batch = 3}, {.threads = 2, .root_every = 5, .batch = 2},
        {.threads = 2, .root_every = 1, .no_pipeline = true}, {.threads = 2, .root_every = 5, .batch = 2, .no_pipeline = true},
        {.threads = 2, .root_every = 1, .batch = 4}, {.threads = 2, .root_every = 1, .batch = 3, .root_first = true},
    };
    for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        db *d = fresh_db("invalid");
        init_chain(d, &c);
        chain_importer *im;
        chain_import_options oo = opts[o];
        if (oo.root_every == 1 && oo.batch > 1) oo.on_written = slow_writes; /* block 7 inside a batch */
        CHECK(chain_importer_open(d, &oo, &im) == NULL);
        chain_bad_block bad;
        const char *err = import_range(im, &c, 0, c.n, &bad);
        CHECK(err != NULL && bad.invalid);
        CHECK_EQ_U64(bad.number, 7);
        CHECK(bad.reason && strstr(bad.reason, "state root"));
        block_header h7;
        block b;
        char derr[100];
        CHECK(block_decode(c.blocks[6].data, c.blocks[6].len, &b, derr, sizeof derr));
        h7 = b.header;
        block_free(&b);
        CHECK(bytes32_eq(&bad.hash, &h7.hash));
        if (oo.on_written) CHECK(chain_importer_stats(im)->reruns >= 1); /* found by a batch's write */
        uint64_t head;
        chain_importer_head(im, &head, NULL);
        CHECK_EQ_U64(head, 6);
        CHECK_EQ_U64(store_head(d, NULL), 6);
        chain_importer_free(im);
        /* a fresh importer on the same store goes on from block 6 */
        CHECK(chain_importer_open(d, &opts[o], &im) == NULL);
        chain_importer_head(im, &head, NULL);
        CHECK_EQ_U64(head, 6);
        chain_importer_free(im);
        db_close(d);
    }
    built_free(&c);
    code_store_free(codes);
}

/* root_first (the node's newPayload): chain_import_block checks the root of
 * a block on the store's head before the committer writes it, so its
 * verdict is final when it returns: a wrong root is named there, with the
 * store and the importer at the parent, and a flush only waits for the
 * write. With rounds during execution the rounds' root is the one checked. */
static void count_write(void *arg) { __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST); }

TEST(root_first_verdict_before_the_write) {
    code_store *codes = code_store_new();
    built_chain c, good;
    build(&c, codes, BUILD_MIXED, 8);
    build(&good, codes, BUILD_MIXED, 8);
    relink(&c, 4, bad_root);
    static const chain_import_options opts[] = {
        {.threads = 2, .root_first = true, .preroot = CHAIN_PREROOT_OFF},
        {.threads = 2, .root_first = true, .preroot = CHAIN_PREROOT_ON},
        {.threads = 1, .sequential = true, .root_first = true, .preroot = CHAIN_PREROOT_ON},
    };
    for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        db *d = fresh_db("root_first");
        init_chain(d, &c);
        chain_importer *im;
        int writes = 0; /* on_written: one per block's write, before the flush sees it */
        chain_import_options oo = opts[o];
        oo.on_written = count_write;
        oo.on_written_arg = &writes;
        CHECK(chain_importer_open(d, &oo, &im) == NULL);
        chain_bad_block bad;
        for (size_t i = 0; i < 4; i++) {
            CHECK(chain_import_block(im, c.blocks[i].data, c.blocks[i].len, &bad) == NULL);
            CHECK(chain_import_checked(im));
            CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
            CHECK_EQ_U64(store_head(d, NULL), i + 1);
            CHECK_EQ_U64((uint64_t)__atomic_load_n(&writes, __ATOMIC_SEQ_CST), i + 1);
        }
        const char *err = chain_import_block(im, c.blocks[4].data, c.blocks[4].len, &bad);
        CHECK(err != NULL && bad.invalid && !chain_import_checked(im));
        CHECK_EQ_U64(bad.number, 5);
        CHECK(bad.reason && strstr(bad.reason, "state root"));
        uint64_t head;
        chain_importer_head(im, &head, NULL);
        CHECK_EQ_U64(head, 4);
        CHECK_EQ_U64(store_head(d, NULL), 4);
        CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
        CHECK_EQ_U64(store_head(d, NULL), 4);
        /* nothing of the rejected block stays: the right chain goes on from 4 */
        for (size_t i = 4; i < good.n; i++) {
            CHECK(chain_import_block(im, good.blocks[i].data, good.blocks[i].len, &bad) == NULL);
            CHECK(chain_import_checked(im));
        }
        CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
        CHECK_EQ_U64(store_head(d, NULL), good.n);
        CHECK_EQ_U64((uint64_t)__atomic_load_n(&writes, __ATOMIC_SEQ_CST), good.n); /* none for the rejected block */
        if (opts[o].preroot == CHAIN_PREROOT_ON) CHECK(chain_importer_stats(im)->preroot_blocks >= 4);
        /* roots on the head after a flush take the prior state execution read */
        const chain_import_stats *st = chain_importer_stats(im);
        if (opts[o].preroot == CHAIN_PREROOT_OFF) CHECK(st->from_reads > 0);
        CHECK(st->from_reads <= st->accounts + st->slots);
        chain_importer_free(im);
        db_close(d);
    }
    built_free(&c);
    built_free(&good);
    code_store_free(codes);
}

/* The store's incremental root equals a full rebuild from its flat state. */
static void check_root_full(db *d) {
    bytes32 full, inc;
    db_snapshot *s;
    CHECK(db_snapshot_open(d, 1, &s) == NULL);
    uint64_t trie;
    CHECK(db_state_root(s, &inc, &trie) == NULL);
    db_snapshot_close(s);
    CHECK(db_root_full(d, &full) == NULL && bytes32_eq(&full, &inc));
}

/* Blocks spaced out, as a node's payloads arrive: the committer has
 * written the parent before the next block comes, without a flush. The
 * importer takes that write before the block executes, so the block reads
 * the store itself and its root takes the prior state of most changed rows
 * from those reads. The roots are checked at every block and the store's
 * root agrees with a full rebuild. */
TEST(spaced_blocks_root_takes_execution_reads) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_MIXED, 8);
    db *d = fresh_db("spaced_reads");
    init_chain(d, &c);
    chain_importer *im;
    int writes = 0;
    chain_import_options oo = {.threads = 2, .root_first = true, .preroot = CHAIN_PREROOT_OFF};
    oo.on_written = count_write;
    oo.on_written_arg = &writes;
    CHECK(chain_importer_open(d, &oo, &im) == NULL);
    chain_bad_block bad;
    for (size_t i = 0; i < c.n; i++) {
        CHECK(chain_import_block(im, c.blocks[i].data, c.blocks[i].len, &bad) == NULL && !bad.invalid);
        CHECK(chain_import_checked(im));
        /* the write ends (on_written comes just before the committer is done) */
        while (__atomic_load_n(&writes, __ATOMIC_SEQ_CST) < (int)i + 1) nanosleep(&(struct timespec){0, 1000000L}, NULL);
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    const chain_import_stats *st = chain_importer_stats(im);
    /* (all of them here; without taking the write first, only block 1's) */
    CHECK(2 * st->from_reads > st->accounts + st->slots && st->from_reads <= st->accounts + st->slots);
    CHECK(st->root_chained == 0);
    CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
    CHECK_EQ_U64(store_head(d, NULL), c.n);
    chain_importer_free(im);
    check_root_full(d);
    db_close(d);
    built_free(&c);
    code_store_free(codes);
}

/* root_first while the committer still writes the parent (its on_written
 * hook made slow, so the importer always finds it busy): each block's root
 * is computed on the parent's unwritten state (after execution, or in
 * rounds during it) and checked before the parent's write has ended. A
 * wrong root found so is named at its block, with the store at the
 * parent; the right chain goes on from there; the change sets written from
 * the chained work unwind to the exact state. (Whether intermediate rounds
 * run depends on timing: test_db_chain covers them.) */
static void slow_write(void *arg) {
    struct timespec ts = {0, 25 * 1000000L};
    nanosleep(&ts, NULL);
    __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

TEST(root_chained_on_the_parent_being_written) {
    code_store *codes = code_store_new();
    built_chain c, good;
    build(&c, codes, BUILD_MIXED, 8);
    build(&good, codes, BUILD_MIXED, 8);
    relink(&c, 5, bad_root);
    static const chain_import_options opts[] = {
        {.threads = 2, .root_first = true, .preroot = CHAIN_PREROOT_OFF},
        {.threads = 1, .sequential = true, .root_first = true, .preroot = CHAIN_PREROOT_OFF},
        {.threads = 2, .root_first = true, .preroot = CHAIN_PREROOT_ON},
        {.threads = 1, .sequential = true, .root_first = true, .preroot = CHAIN_PREROOT_ON},
    };
    for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        bool rounds = opts[o].preroot == CHAIN_PREROOT_ON;
        db *d = fresh_db("root_chained");
        init_chain(d, &c);
        chain_importer *im;
        int writes = 0;
        chain_import_options oo = opts[o];
        oo.on_written = slow_write;
        oo.on_written_arg = &writes;
        CHECK(chain_importer_open(d, &oo, &im) == NULL);
        chain_bad_block bad;
        for (size_t i = 0; i < 5; i++) { /* back to back: no flush */
            CHECK(chain_import_block(im, c.blocks[i].data, c.blocks[i].len, &bad) == NULL && !bad.invalid);
            CHECK(chain_import_checked(im));
        }
        /* with rounds, the roots come from rounds chained on the parent */
        const chain_import_stats *st = chain_importer_stats(im);
        CHECK((rounds ? st->preroot_chained : st->root_chained) >= 3);
        const char *err = chain_import_block(im, c.blocks[5].data, c.blocks[5].len, &bad);
        CHECK(err != NULL && bad.invalid && !chain_import_checked(im));
        CHECK_EQ_U64(bad.number, 6);
        CHECK(bad.reason && strstr(bad.reason, "state root"));
        uint64_t head;
        chain_importer_head(im, &head, NULL);
        CHECK_EQ_U64(head, 5);
        CHECK_EQ_U64(store_head(d, NULL), 5);
        for (size_t i = 5; i < good.n; i++) {
            CHECK(chain_import_block(im, good.blocks[i].data, good.blocks[i].len, &bad) == NULL && !bad.invalid);
            CHECK(chain_import_checked(im));
        }
        CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
        CHECK_EQ_U64(store_head(d, NULL), good.n);
        CHECK_EQ_U64((uint64_t)__atomic_load_n(&writes, __ATOMIC_SEQ_CST), good.n);
        st = chain_importer_stats(im);
        CHECK((rounds ? st->preroot_chained : st->root_chained) >= good.n - 3);
        chain_importer_free(im);
        /* the store's root by a full rebuild, then an unwind through the
         * chained blocks and a plain import of them again */
        check_root_full(d);
        CHECK(db_unwind(d, 2, NULL) == NULL);
        chain_import_options plain = {.threads = 2, .no_pipeline = true};
        CHECK(chain_importer_open(d, &plain, &im) == NULL);
        for (size_t i = 2; i < good.n; i++)
            CHECK(chain_import_block(im, good.blocks[i].data, good.blocks[i].len, &bad) == NULL && !bad.invalid);
        CHECK(chain_import_flush(im, &bad) == NULL && !bad.invalid);
        CHECK_EQ_U64(store_head(d, NULL), good.n);
        chain_importer_free(im);
        db_close(d);
    }
    built_free(&c);
    built_free(&good);
    code_store_free(codes);
}

/* An importer dropped without a flush (as by a crash) after committing
 * blocks without their roots: the next one checks the head's root first
 * and, when it is wrong, leaves the store before the first invalid block. */
TEST(crash_between_root_checks) {
    code_store *codes = code_store_new();
    built_chain good, badc;
    build(&good, codes, BUILD_ERC20, 10);
    build(&badc, codes, BUILD_ERC20, 10);
    relink(&badc, 3, bad_root); /* block 4, found when the head's (10) root is */
    relink(&badc, 9, bad_root);
    for (int variant = 0; variant < 4; variant++) {
        chain_import_options lag = {.threads = 2, .root_every = 1000, .batch = 2, .no_pipeline = variant >= 2};
        built_chain *c = variant % 2 ? &badc : &good;
        db *d = fresh_db("crash");
        init_chain(d, c);
        chain_importer *im;
        CHECK(chain_importer_open(d, &lag, &im) == NULL);
        chain_bad_block bad;
        for (size_t i = 0; i < c->n; i++) CHECK(chain_import_block(im, c->blocks[i].data, c->blocks[i].len, &bad) == NULL);
        chain_importer_free(im); /* no flush: blocks 1..10 committed unchecked */
        CHECK_EQ_U64(store_head(d, NULL), 10);
        CHECK(chain_importer_open(d, &lag, &im) == NULL);
        uint64_t head;
        chain_importer_head(im, &head, NULL);
        CHECK_EQ_U64(head, variant % 2 ? 3 : 10);
        CHECK_EQ_U64(store_head(d, NULL), variant % 2 ? 3 : 10);
        if (variant % 2) { /* importing again names block 4 */
            const char *err = import_range(im, c, 0, c->n, &bad);
            CHECK(err && bad.invalid && bad.number == 4);
        }
        chain_importer_free(im);
        db_close(d);
    }
    built_free(&good);
    built_free(&badc);
    code_store_free(codes);
}

static void bad_gas(block_header *h) { h->gas_used += 1; }

TEST(invalid_blocks_are_named_and_skipped_input_is_refused) {
    code_store *codes = code_store_new();
    built_chain c;
    build(&c, codes, BUILD_TRANSFERS, 6);
    relink(&c, 2, bad_gas); /* block 3 */
    db *d = fresh_db("named");
    init_chain(d, &c);
    chain_import_options o = {.threads = 2, .root_every = 2};
    chain_importer *im;
    CHECK(chain_importer_open(d, &o, &im) == NULL);
    chain_bad_block bad;
    /* a gap is not an invalid block */
    const char *err = chain_import_block(im, c.blocks[1].data, c.blocks[1].len, &bad);
    CHECK(err && !bad.invalid);
    err = import_range(im, &c, 0, c.n, &bad);
    CHECK(err && bad.invalid && bad.number == 3 && bad.tx == -1);
    CHECK_EQ_U64(store_head(d, NULL), 2);
    /* garbage RLP is an invalid block too, named by the head's successor */
    uint8_t junk[] = {0xc3, 0x01, 0x02, 0x03};
    err = chain_import_block(im, junk, sizeof junk, &bad);
    CHECK(err && bad.invalid && bad.number == 3);
    chain_importer_free(im);
    db_close(d);
    built_free(&c);
    code_store_free(codes);
}

__attribute__((constructor)) static void make_tmp(void) {
    const char *t = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/parevm-test-import-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_root)) abort();
}

__attribute__((destructor)) static void remove_tmp(void) { test_remove_tree(tmp_root); }
