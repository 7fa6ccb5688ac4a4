/* Unit tests for the header and block codec and header validation, mostly
 * driven by the BlockchainTests fixtures: every block RLP and genesisRLP
 * decodes and re-encodes byte-identically with the expected hash and fields;
 * every valid block's header passes header_validate against its parent; and
 * every block rejected for a header rule is rejected by header_validate (the
 * header itself or one of its ommers). Plus hand-made malformed RLP. */
#include "test.h"
#include "header_json.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *unhex(const char *text, size_t *len) {
    uint8_t *p;
    if (!text || !hex_decode_alloc(text, &p, len)) return NULL;
    return p;
}

static bool reencodes(const block *b, const uint8_t *raw, size_t len) {
    buf_t out = {0};
    block_encode(b, &out);
    bool same = out.len == len && memcmp(out.data, raw, len) == 0;
    buf_free(&out);
    return same;
}

/* The header's own RLP inside a block's RLP. */
static bool header_raw(const uint8_t *raw, size_t len, rlp_item *h) {
    rlp_item top;
    rlp_iter it;
    if (rlp_decode(raw, len, &top) || !top.is_list) return false;
    it = rlp_iter_of(&top);
    return rlp_next(&it, h) == RLP_OK;
}

/* The JSON header, encoded, equals the header inside the block's RLP. */
static bool header_json_matches(json_t *jh, const uint8_t *raw, size_t len, const block_header *dec) {
    block_header h;
    rlp_item item;
    if (!header_from_json(jh, &h) || !header_raw(raw, len, &item)) return false;
    buf_t out = {0};
    header_encode(&h, &out);
    bool same = out.len == item.raw_len && memcmp(out.data, item.raw, out.len) == 0 &&
                bytes32_eq(&h.hash, &dec->hash);
    buf_free(&out);
    return same;
}

typedef struct {
    int blocks, genesis, headers_validated, rejected, ommers;
} counts;

/* ---- round trips ------------------------------------------------------- */

static void round_trip_block(const char *file, const char *test, json_t *jb, counts *c) {
    size_t len;
    uint8_t *raw = unhex(json_string_value(json_object_get(jb, "rlp")), &len);
    json_t *jh = json_object_get(jb, "blockHeader");
    bool must_decode = jh != NULL;
    block b;
    char err[200];
    if (!raw) {
        CHECK(!must_decode);
        return;
    }
    if (!block_decode(raw, len, &b, err, sizeof err)) {
        if (must_decode) fprintf(stderr, "  %s %s: %s\n", file, test, err);
        CHECK(!must_decode);
        CHECK(err[0] != 0);
        free(raw);
        return;
    }
    /* extra data past the HEADER_EXTRA_MAX bytes kept cannot be re-encoded (and is
     * invalid anyway): then only the hash is compared */
    bool long_extra = b.header.extra_len > sizeof b.header.extra_data;
    bool ok = long_extra || reencodes(&b, raw, len);
    bytes32 want_hash;
    json_t *jdh = jh ? jh : json_object_get(json_object_get(jb, "rlp_decoded"), "blockHeader");
    if (jdh) ok &= json_fixed2(jdh, "hash", NULL, want_hash.b, 32) && bytes32_eq(&want_hash, &b.header.hash);
    if (jh) {
        ok &= header_json_matches(jh, raw, len, &b.header);
        json_t *uncles = json_object_get(jb, "uncleHeaders");
        ok &= json_array_size(uncles) == b.n_ommers;
        for (size_t i = 0; i < b.n_ommers && i < json_array_size(uncles); i++) {
            bytes32 want;
            ok &= json_fixed2(json_array_get(uncles, i), "hash", NULL, want.b, 32) &&
                  bytes32_eq(&want, &b.ommers[i].hash);
            c->ommers++;
        }
        ok &= json_array_size(json_object_get(jb, "transactions")) == b.n_txs;
        c->blocks++;
    }
    if (!ok) fprintf(stderr, "  %s %s: block %s does not round-trip\n", file, test,
                     json_string_value(json_object_get(jb, "blocknumber")));
    CHECK(ok);
    block_free(&b);
    free(raw);
}

static void round_trip_test(const char *file, const char *test, json_t *t, counts *c) {
    size_t len;
    uint8_t *raw = unhex(json_string_value(json_object_get(t, "genesisRLP")), &len);
    block g;
    char err[200];
    CHECK(raw != NULL);
    if (!raw) return;
    bool ok = block_decode(raw, len, &g, err, sizeof err);
    CHECK(ok);
    if (ok) {
        CHECK(reencodes(&g, raw, len));
        CHECK(header_json_matches(json_object_get(t, "genesisBlockHeader"), raw, len, &g.header));
        block_free(&g);
        c->genesis++;
    }
    free(raw);
    json_t *blocks = json_object_get(t, "blocks"), *jb;
    size_t i;
    json_array_foreach(blocks, i, jb) round_trip_block(file, test, jb, c);
}

/* ---- chains: validation ------------------------------------------------ */

typedef struct {
    block_header *h;
    u256 *td;
    size_t n, cap;
} chain;

static void chain_add(chain *ch, const block_header *h, const u256 *td) {
    if (ch->n == ch->cap) {
        ch->cap = ch->cap ? 2 * ch->cap : 16;
        ch->h = realloc(ch->h, ch->cap * sizeof *ch->h);
        ch->td = realloc(ch->td, ch->cap * sizeof *ch->td);
    }
    ch->h[ch->n] = *h;
    ch->td[ch->n++] = *td;
}

static long chain_find(const chain *ch, const bytes32 *hash) {
    for (size_t i = 0; i < ch->n; i++)
        if (bytes32_eq(&ch->h[i].hash, hash)) return (long)i;
    return -1;
}

/* The BlockException names of rules header_validate owns. Ommer depth and
 * ancestry (UNCLE_PARENT_INCORRECT) are the executor's. */
static bool header_rule(const char *exc) {
    static const char *const rules[] = {
        "INVALID_GASLIMIT", "GASLIMIT_TOO_BIG", "INVALID_BASEFEE_PER_GAS", "EXTRA_DATA_TOO_BIG",
        "EXTRA_DATA_INVALID_DAO", "INVALID_DIFFICULTY", "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT",
        "INVALID_BLOCK_NUMBER", "IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS",
        "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS", "IMPORT_IMPOSSIBLE_PARIS_WRONG_POS",
        "IMPORT_IMPOSSIBLE_PARIS_WRONG_POW", "IMPORT_IMPOSSIBLE_SHANGHAI",
        "IMPORT_IMPOSSIBLE_PARIS_OVER_SHANGHAI", "IMPORT_IMPOSSIBLE_LEGACY",
        "IMPORT_IMPOSSIBLE_LONDON_WRONG_PARENT", "UNKNOWN_PARENT",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strstr(exc, rules[i])) return true;
    return false;
}

/* Why the block's header or one of its ommers is invalid, or NULL. */
static const char *validate_block(const chain_config *cfg, const chain *ch, const block *b,
                                  long *parent) {
    *parent = chain_find(ch, &b->header.parent_hash);
    if (*parent < 0) return "unknown parent";
    bool merged = cfg->has_ttd && !u256_lt(&ch->td[*parent], &cfg->terminal_total_difficulty);
    const char *why = header_validate(cfg, &ch->h[*parent], &b->header, merged);
    for (size_t i = 0; !why && i < b->n_ommers; i++) {
        long op = chain_find(ch, &b->ommers[i].parent_hash);
        why = op < 0 ? "unknown ommer parent" : header_validate(cfg, &ch->h[op], &b->ommers[i], false);
    }
    return why;
}

static void validate_test(const char *file, const char *test, json_t *t, counts *c) {
    chain_config cfg;
    const char *net = json_string_value(json_object_get(t, "network"));
    CHECK(net && chain_config_by_name(net, &cfg));
    if (!net || !chain_config_by_name(net, &cfg)) return;
    size_t len;
    uint8_t *raw = unhex(json_string_value(json_object_get(t, "genesisRLP")), &len);
    block b;
    if (!raw || !block_decode(raw, len, &b, NULL, 0)) {
        free(raw);
        CHECK(false);
        return;
    }
    chain ch = {0};
    chain_add(&ch, &b.header, &b.header.difficulty);
    block_free(&b);
    free(raw);
    json_t *jb;
    size_t i;
    json_array_foreach(json_object_get(t, "blocks"), i, jb) {
        const char *exc = json_string_value(json_object_get(jb, "expectException"));
        raw = unhex(json_string_value(json_object_get(jb, "rlp")), &len);
        bool decoded = raw && block_decode(raw, len, &b, NULL, 0);
        free(raw);
        if (!decoded) {
            CHECK(exc != NULL);
            continue;
        }
        long parent;
        const char *why = validate_block(&cfg, &ch, &b, &parent);
        if (!exc) {
            if (why) fprintf(stderr, "  %s %s block %zu: %s\n", file, test, i, why);
            CHECK(why == NULL);
            u256 td = parent >= 0 ? u256_add(&ch.td[parent], &b.header.difficulty) : U256_ZERO;
            chain_add(&ch, &b.header, &td);
            c->headers_validated++;
        } else if (header_rule(exc)) {
            if (!why) fprintf(stderr, "  %s %s block %zu: accepted, want %s\n", file, test, i, exc);
            CHECK(why != NULL);
            c->rejected++;
        }
        block_free(&b);
    }
    free(ch.h);
    free(ch.td);
}

/* ---- fixture walk ------------------------------------------------------ */

typedef void (*test_visitor)(const char *file, const char *test, json_t *t, counts *c);

static void walk(const char *sub, test_visitor visit, counts *c) {
    file_list files = fixture_files(sub);
    CHECK(files.n > 0);
    for (size_t f = 0; f < files.n; f++) {
        json_error_t jerr;
        json_t *root = json_load_file(files.v[f], 0, &jerr);
        CHECK(root != NULL);
        const char *name;
        json_t *t;
        json_object_foreach(root, name, t) visit(files.v[f], name, t, c);
        json_decref(root);
    }
    file_list_free(&files);
}

TEST(blockchain_fixtures_round_trip) {
    counts c = {0};
    walk("ethereum-tests/BlockchainTests", round_trip_test, &c);
    fprintf(stderr, "  round trip: %d genesis blocks, %d blocks, %d ommers\n", c.genesis, c.blocks,
            c.ommers);
    CHECK(c.blocks > 1000);
}

TEST(blockchain_fixtures_headers_validate) {
    counts c = {0};
    walk("ethereum-tests/BlockchainTests", validate_test, &c);
    fprintf(stderr, "  validation: %d valid headers accepted, %d invalid rejected\n",
            c.headers_validated, c.rejected);
    CHECK(c.headers_validated > 1000);
    CHECK(c.rejected > 100);
}

/* ---- malformed input --------------------------------------------------- */

/* A Cancun header with every field set to something recognisable. */
static block_header sample_header(void) {
    block_header h = {0};
    memset(h.parent_hash.b, 0x11, 32);
    h.ommers_hash = EMPTY_LIST_HASH;
    memset(h.coinbase.b, 0x22, 20);
    h.state_root = EMPTY_TRIE_ROOT;
    h.tx_root = EMPTY_TRIE_ROOT;
    h.receipts_root = EMPTY_TRIE_ROOT;
    h.number = 1;
    h.gas_limit = 30000000;
    h.timestamp = 12;
    h.extra_len = 3;
    memcpy(h.extra_data, "abc", 3);
    h.has_base_fee = true;
    h.base_fee = u256_from_u64(7);
    h.has_withdrawals_root = true;
    h.withdrawals_root = EMPTY_TRIE_ROOT;
    h.has_blob_gas = true;
    h.has_beacon_root = true;
    return h;
}

/* Encodes the fields of h one by one (as header_encode) but lets a test
 * replace field `swap` with raw RLP, or stop after `count` fields. */
static void encode_fields(const block_header *h, int count, int swap, const uint8_t *raw,
                          size_t raw_len, buf_t *out) {
    buf_t full = {0};
    header_encode(h, &full);
    rlp_item list, it;
    CHECK(rlp_decode(full.data, full.len, &list) == RLP_OK);
    rlp_iter iter = rlp_iter_of(&list);
    size_t l = rlp_list_begin(out);
    for (int i = 0; i < count && rlp_next(&iter, &it) == RLP_OK; i++) {
        if (i == swap)
            rlp_encode_raw(out, raw, raw_len);
        else
            rlp_encode_raw(out, it.raw, it.raw_len);
    }
    rlp_list_end(out, l);
    buf_free(&full);
}

static bool header_rejects(const buf_t *b, const char *needle) {
    block_header h;
    char err[200] = "";
    bool ok = header_decode(b->data, b->len, &h, err, sizeof err);
    if (!ok && needle && !strstr(err, needle)) fprintf(stderr, "  message: %s\n", err);
    return !ok && err[0] && (!needle || strstr(err, needle));
}

TEST(header_round_trip_and_field_counts) {
    block_header h = sample_header(), d;
    buf_t b = {0};
    header_encode(&h, &b);
    CHECK(header_decode(b.data, b.len, &d, NULL, 0));
    bytes32 hash = keccak256_hash(b.data, b.len);
    CHECK(bytes32_eq(&d.hash, &hash) && d.has_beacon_root && !d.has_requests_hash);
    CHECK(d.extra_len == 3 && !memcmp(d.extra_data, "abc", 3) && d.base_fee.w[0] == 7);
    for (int n = 0; n <= 22; n++) {
        buf_t f = {0};
        encode_fields(&h, n, -1, NULL, 0, &f);
        block_header x;
        bool ok = header_decode(f.data, f.len, &x, NULL, 0);
        int m = n < 20 ? n : 20; /* the sample has 20 fields */
        CHECK(ok == (m >= 15 && m != 18));
        buf_free(&f);
    }
    /* 21 fields: Prague's requests hash */
    h.has_requests_hash = true;
    memset(h.requests_hash.b, 0x33, 32);
    buf_clear(&b);
    header_encode(&h, &b);
    CHECK(header_decode(b.data, b.len, &d, NULL, 0) && d.has_requests_hash &&
          bytes32_eq(&d.requests_hash, &h.requests_hash));
    buf_t again = {0};
    header_encode(&d, &again);
    CHECK(again.len == b.len && !memcmp(again.data, b.data, b.len));
    /* 22 fields: one too many */
    rlp_item list;
    CHECK(rlp_decode(b.data, b.len, &list) == RLP_OK);
    buf_clear(&again);
    size_t l = rlp_list_begin(&again);
    rlp_encode_raw(&again, list.data, list.len);
    buf_push(&again, 0x80);
    rlp_list_end(&again, l);
    CHECK(header_rejects(&again, "more than 21"));
    /* a requests hash without a beacon root (geth's pending block): the
     * beacon root is the empty string, as geth writes a nil optional field */
    h.has_beacon_root = false;
    buf_clear(&again);
    header_encode(&h, &again);
    CHECK(again.len == b.len - 32);
    CHECK(rlp_decode(again.data, again.len, &list) == RLP_OK);
    rlp_item field;
    rlp_iter it = rlp_iter_of(&list);
    for (int i = 0; i < 20 && rlp_next(&it, &field) == RLP_OK; i++) CHECK(i < 19 || field.len == 0);
    buf_free(&again);
    buf_free(&b);
}

TEST(header_malformed_rlp) {
    block_header h = sample_header();
    buf_t b = {0};
    header_encode(&h, &b);
    /* truncated at every length */
    for (size_t n = 0; n < b.len; n++) {
        block_header x;
        char err[200] = "";
        CHECK(!header_decode(b.data, n, &x, err, sizeof err) && err[0]);
    }
    /* trailing byte */
    buf_push(&b, 0x00);
    CHECK(header_rejects(&b, "trailing"));
    buf_free(&b);
    static const struct {
        int field;
        const char *rlp_hex, *needle;
    } bad[] = {
        {8, "0x820001", "number"},                  /* leading zero */
        {9, "0x89010000000000000000", "gasLimit"},  /* 9-byte gas limit */
        {7, "0xa1010000000000000000000000000000000000000000000000000000000000000000",
         "difficulty"},                            /* 33-byte difficulty */
        {0, "0xa1000000000000000000000000000000000000000000000000000000000000000000",
         "parentHash"},                            /* 33-byte hash */
        {2, "0x9300000000000000000000000000000000000000", "coinbase"}, /* 19 bytes */
        {14, "0x890000000000000000ff", "nonce"},   /* 9-byte nonce */
        {14, "0x80", "nonce"},                      /* empty nonce */
        {6, "0x820000", "logsBloom"},               /* short bloom */
        {11, "0xc0", "timestamp"},                  /* list for an integer */
        {12, "0xc0", "extraData"},                  /* list for bytes */
        {15, "0x00", "baseFeePerGas"},              /* zero as 0x00 */
        {17, "0x8180", "blobGasUsed"},              /* fine */
        {17, "0x810f", "blobGasUsed"},              /* single byte wrapped */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        uint8_t *raw = unhex(bad[i].rlp_hex, &len);
        buf_t f = {0};
        encode_fields(&h, 20, bad[i].field, raw, len, &f);
        if (i == 11) {
            block_header x;
            CHECK(header_decode(f.data, f.len, &x, NULL, 0) && x.blob_gas_used == 0x80);
        } else {
            if (!header_rejects(&f, bad[i].needle)) fprintf(stderr, "  case %zu\n", i);
            CHECK(header_rejects(&f, bad[i].needle));
        }
        buf_free(&f);
        free(raw);
    }
    /* a string where the list belongs; a list header longer than the input */
    static const uint8_t str[] = {0x83, 1, 2, 3}, longlist[] = {0xf9, 0x02, 0x00, 0xc0};
    block_header x;
    char err[200] = "";
    CHECK(!header_decode(str, sizeof str, &x, err, sizeof err) && err[0]);
    err[0] = 0;
    CHECK(!header_decode(longlist, sizeof longlist, &x, err, sizeof err) && err[0]);
    CHECK(!header_decode(NULL, 0, &x, NULL, 0));
}

/* rlp([header, txs, ommers(, withdrawals)]) from parts given as raw RLP. */
static void make_block(buf_t *out, const block_header *h, const char *txs_hex,
                       const char *ommers_hex, const char *withdrawals_hex) {
    size_t l = rlp_list_begin(out), len;
    header_encode(h, out);
    const char *parts[] = {txs_hex, ommers_hex, withdrawals_hex};
    for (int i = 0; i < 3; i++) {
        if (!parts[i]) continue;
        uint8_t *raw = unhex(parts[i], &len);
        rlp_encode_raw(out, raw, len);
        free(raw);
    }
    rlp_list_end(out, l);
}

static bool block_rejects(const buf_t *b, const char *needle) {
    block blk;
    char err[200] = "";
    bool ok = block_decode(b->data, b->len, &blk, err, sizeof err);
    if (ok) block_free(&blk);
    if (!ok && needle && !strstr(err, needle)) fprintf(stderr, "  message: %s\n", err);
    return !ok && err[0] && (!needle || strstr(err, needle));
}

TEST(block_malformed) {
    block_header h = sample_header();
    buf_t b = {0};
    block blk;
    /* the good shape first */
    make_block(&b, &h, "0xc0", "0xc0", "0xc0");
    CHECK(block_decode(b.data, b.len, &blk, NULL, 0) && blk.has_withdrawals);
    CHECK(reencodes(&blk, b.data, b.len));
    block_free(&blk);
    buf_clear(&b);
    make_block(&b, &h, "0xc0", "0xc0", NULL);
    CHECK(block_rejects(&b, "withdrawals"));
    buf_clear(&b);
    h.has_withdrawals_root = false, h.has_blob_gas = false, h.has_beacon_root = false;
    make_block(&b, &h, "0xc0", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "withdrawals"));
    buf_clear(&b);
    h = sample_header();
    /* withdrawal: wrong field count, 21-byte address, 9-byte amount */
    make_block(&b, &h, "0xc0", "0xc0", "0xc4c3010203");
    CHECK(block_rejects(&b, "withdrawal 0"));
    buf_clear(&b);
    make_block(&b, &h, "0xc0", "0xc0", "0xdad901029500000000000000000000000000000000000000000003");
    CHECK(block_rejects(&b, "address"));
    buf_clear(&b);
    make_block(&b, &h, "0xc0", "0xc0",
               "0xe2e1010294000000000000000000000000000000000000000089010000000000000000");
    CHECK(block_rejects(&b, "amount"));
    buf_clear(&b);
    /* a valid withdrawal */
    make_block(&b, &h, "0xc0", "0xc0", "0xd9d801029400000000000000000000000000000000000000aa05");
    CHECK(block_decode(b.data, b.len, &blk, NULL, 0) && blk.n_withdrawals == 1 &&
          blk.withdrawals[0].amount_gwei == 5 && blk.withdrawals[0].addr.b[19] == 0xaa);
    CHECK(reencodes(&blk, b.data, b.len));
    block_free(&blk);
    buf_clear(&b);
    /* transactions: a string that is not a typed envelope, an empty string,
     * an unknown type, garbage in a list */
    make_block(&b, &h, "0xc3c281c0", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "transaction 0"));
    buf_clear(&b);
    make_block(&b, &h, "0xc180", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "transaction 0"));
    buf_clear(&b);
    make_block(&b, &h, "0xc3820501", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "transaction 0"));
    buf_clear(&b);
    make_block(&b, &h, "0xc2c101", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "transaction 0"));
    buf_clear(&b);
    /* ommers: not a header */
    make_block(&b, &h, "0xc0", "0xc2c101", "0xc0");
    CHECK(block_rejects(&b, "ommer 0"));
    buf_clear(&b);
    /* wrong part counts and kinds */
    make_block(&b, &h, "0xc0", NULL, NULL);
    CHECK(block_rejects(&b, "parts"));
    buf_clear(&b);
    make_block(&b, &h, "0xc0", "0xc0", "0xc0c0");
    CHECK(block_rejects(&b, "parts"));
    buf_clear(&b);
    make_block(&b, &h, "0x80", "0xc0", "0xc0");
    CHECK(block_rejects(&b, "transactions"));
    buf_clear(&b);
    /* truncated everywhere */
    make_block(&b, &h, "0xc0", "0xc0", "0xc0");
    for (size_t n = 0; n < b.len; n++) {
        char err[200] = "";
        CHECK(!block_decode(b.data, n, &blk, err, sizeof err) && err[0]);
    }
    buf_free(&b);
}

/* ---- hand-made validation cases ---------------------------------------- */

/* A Cancun parent and a valid child of it. */
static void cancun_pair(const chain_config *c, block_header *p, block_header *h) {
    *p = sample_header();
    p->has_blob_gas = true;
    p->blob_gas_used = 4 * 131072;
    p->excess_blob_gas = 131072;
    memset(p->hash.b, 0x44, 32);
    *h = *p;
    h->number = p->number + 1;
    h->timestamp = p->timestamp + 12;
    h->parent_hash = p->hash;
    h->base_fee = header_next_base_fee(c, p);
    h->blob_gas_used = 0;
    blob_params cancun = chain_blob_params(c, h->timestamp);
    h->excess_blob_gas = header_next_excess_blob_gas(p, FORK_CANCUN, &cancun);
}

TEST(header_validate_cases) {
    chain_config c;
    CHECK(chain_config_by_name("Cancun", &c));
    block_header p, h, x;
    cancun_pair(&c, &p, &h);
    CHECK(h.excess_blob_gas == 131072 + 131072);
    CHECK(header_validate(&c, &p, &h, true) == NULL);
    CHECK(header_validate(&c, &p, &h, false) == NULL); /* Paris at block 0 */
#define REJECTS(mutation)                                 \
    do {                                                  \
        x = h;                                            \
        mutation;                                         \
        CHECK(header_validate(&c, &p, &x, true) != NULL); \
    } while (0)
    REJECTS(x.blob_gas_used = 131071);
    REJECTS(x.blob_gas_used = 7 * 131072);
    REJECTS(x.excess_blob_gas += 1);
    REJECTS(x.nonce = 1);
    REJECTS(x.difficulty = u256_from_u64(1));
    REJECTS(memset(x.ommers_hash.b, 0, 32));
    REJECTS(x.has_beacon_root = false);
    REJECTS(x.has_requests_hash = true);
    REJECTS(x.has_blob_gas = false);
    REJECTS(x.has_withdrawals_root = false);
    REJECTS(x.extra_len = 33);
    REJECTS(x.gas_used = x.gas_limit + 1);
    REJECTS(x.gas_limit = p.gas_limit + p.gas_limit / 1024);
    REJECTS(x.gas_limit = p.gas_limit - p.gas_limit / 1024);
    REJECTS(x.gas_limit = 4999);
    REJECTS(x.base_fee = u256_from_u64(8));
    REJECTS(x.number = p.number + 2);
    REJECTS(x.timestamp = p.timestamp);
    REJECTS(x.parent_hash.b[0] ^= 1);
    /* the bounds themselves are fine */
    x = h;
    x.gas_limit = p.gas_limit + p.gas_limit / 1024 - 1;
    x.base_fee = header_next_base_fee(&c, &p);
    CHECK(header_validate(&c, &p, &x, true) == NULL);
    x.blob_gas_used = 6 * 131072;
    CHECK(header_validate(&c, &p, &x, true) == NULL);
    /* Prague: 9 blobs, the requests hash, the larger target */
    CHECK(chain_config_by_name("Prague", &c));
    x.has_requests_hash = true;
    x.blob_gas_used = 9 * 131072;
    blob_params prague = chain_blob_params(&c, x.timestamp);
    x.excess_blob_gas = header_next_excess_blob_gas(&p, FORK_PRAGUE, &prague);
    CHECK(x.excess_blob_gas == 0);
    CHECK(header_validate(&c, &p, &x, true) == NULL);
    x.blob_gas_used = 10 * 131072;
    CHECK(header_validate(&c, &p, &x, true) != NULL);
#undef REJECTS
}

TEST(header_validate_dao_extra_data) {
    chain_config c;
    CHECK(chain_config_by_name("HomesteadToDaoAt5", &c));
    block_header p = {0}, h;
    p.number = 4;
    p.gas_limit = 3141592;
    p.difficulty = u256_from_u64(131072);
    p.ommers_hash = EMPTY_LIST_HASH;
    memset(p.hash.b, 0x55, 32);
    h = p;
    h.number = 5;
    h.timestamp = p.timestamp + 15;
    h.parent_hash = p.hash;
    h.difficulty = chain_difficulty(&c, 5, h.timestamp, &p.difficulty, p.timestamp, false);
    CHECK(header_validate(&c, &p, &h, false) != NULL); /* no "dao-hard-fork" */
    memcpy(h.extra_data, "dao-hard-fork", 13);
    h.extra_len = 13;
    CHECK(header_validate(&c, &p, &h, false) == NULL);
    /* past the 10-block range anything goes */
    p.number = 14;
    h.number = 15;
    h.extra_len = 0;
    h.difficulty = chain_difficulty(&c, 15, h.timestamp, &p.difficulty, p.timestamp, false);
    CHECK(header_validate(&c, &p, &h, false) == NULL);
    p.number = 13;
    h.number = 14;
    CHECK(header_validate(&c, &p, &h, false) != NULL);
    /* a chain opposing the fork (daoForkSupport false) refuses the pro-fork
     * extra data in the range instead (geth's VerifyDAOHeaderExtraData) */
    c.dao_opposed = true;
    CHECK(header_validate(&c, &p, &h, false) == NULL);
    memcpy(h.extra_data, "dao-hard-fork", 13);
    h.extra_len = 13;
    CHECK(header_validate(&c, &p, &h, false) != NULL);
}
