/* JSON-RPC parameter codecs and encoders (strict as geth: quantities, data,
 * addresses, hashes, block tags, numbers, EIP-1898 objects, call objects,
 * state and block overrides), the revert error, and the dispatcher through
 * rpc_process (ids, notifications, batches, malformed requests) and the
 * method observer. */
#include "test.h"
#include "parevm/rpc.h"
#include "parevm/rpc_codec.h"

static json_t *J(const char *text) {
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        abort();
    }
    return v;
}

/* The reason rpc_parse_u64 gives for text (a JSON value), or NULL. */
static const char *u64_why(const char *text, uint64_t *out) {
    json_t *v = J(text);
    const char *why = rpc_parse_u64(v, out);
    json_decref(v);
    return why;
}

static bool same(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static bool encodes_to(json_t *v, const char *want) {
    bool ok = json_is_string(v) && !strcmp(json_string_value(v), want);
    if (!ok) fprintf(stderr, "  got %s want %s\n", json_string_value(v), want);
    json_decref(v);
    return ok;
}

/* ---- Scalars ------------------------------------------------------------------- */

TEST(quantities) {
    uint64_t x = 1;
    CHECK(!u64_why("\"0x0\"", &x) && x == 0);
    CHECK(!u64_why("\"0x1f\"", &x) && x == 31);
    CHECK(!u64_why("\"0XfF\"", &x) && x == 255);
    CHECK(!u64_why("\"0xffffffffffffffff\"", &x) && x == UINT64_MAX);
    CHECK(same(u64_why("\"0x10000000000000000\"", &x), "hex number > 64 bits"));
    CHECK(same(u64_why("\"0x\"", &x), "hex string \"0x\""));
    CHECK(same(u64_why("\"\"", &x), "empty hex string"));
    CHECK(same(u64_why("\"0x00\"", &x), "hex number with leading zero digits"));
    CHECK(same(u64_why("\"0x01\"", &x), "hex number with leading zero digits"));
    CHECK(same(u64_why("\"12\"", &x), "hex string without 0x prefix"));
    CHECK(same(u64_why("\"0x1g\"", &x), "invalid hex string"));
    CHECK(same(u64_why("\"0x 1\"", &x), "invalid hex string"));
    CHECK(same(u64_why("12", &x), "quantity must be a hex string"));
    CHECK(same(u64_why("null", &x), "quantity must be a hex string"));
    CHECK(same(u64_why("true", &x), "quantity must be a hex string"));

    u256 w;
    json_t *v = J("\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"");
    CHECK(!rpc_parse_u256(v, &w) && w.w[0] == UINT64_MAX && w.w[3] == UINT64_MAX);
    json_decref(v);
    v = J("\"0x1000000000000000000000000000000000000000000000000000000000000000f\"");
    CHECK(same(rpc_parse_u256(v, &w), "hex number > 256 bits"));
    json_decref(v);
    v = J("\"0x123456789abcdef0123\"");
    CHECK(!rpc_parse_u256(v, &w) && w.w[0] == 0x456789abcdef0123ULL && w.w[1] == 0x123 && !w.w[2]);
    json_decref(v);
}

static int hexval(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

TEST(data_addresses_hashes) {
    uint8_t *d = NULL;
    size_t n = 9;
    json_t *v = J("\"0x\"");
    CHECK(!rpc_parse_data(v, &d, &n) && d && n == 0);
    free(d);
    json_decref(v);
    v = J("\"\""); /* no bytes, as geth's hexutil.Bytes */
    CHECK(!rpc_parse_data(v, &d, &n) && d && n == 0);
    free(d);
    json_decref(v);
    v = J("\"0x00aBcD\"");
    CHECK(!rpc_parse_data(v, &d, &n) && n == 3 && d[0] == 0 && d[1] == 0xab && d[2] == 0xcd);
    free(d);
    json_decref(v);
    static const struct {
        const char *json, *why;
    } bad[] = {
        {"\"0x123\"", "hex string of odd length"},
        {"\"abcd\"", "hex string without 0x prefix"},
        {"\"0xzz\"", "invalid hex string"},
        {"42", "data must be a hex string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = J(bad[i].json);
        CHECK(same(rpc_parse_data(v, &d, &n), bad[i].why));
        json_decref(v);
    }
    /* every byte as the last digit of a long string: hex digits decode,
     * anything else (a NUL, a byte above 0x7f) is refused */
    char buf[2 + 2000 + 2];
    memcpy(buf, "0x", 2);
    for (size_t i = 2; i < 2002; i++) buf[i] = "0123456789abcdefABCDEF"[i % 22];
    for (int c = 0; c < 256; c++) {
        buf[2002] = '0';
        buf[2003] = (char)c;
        v = json_stringn_nocheck(buf, sizeof buf);
        const char *why = rpc_parse_data(v, &d, &n);
        int want = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (want < 0) {
            CHECK(same(why, "invalid hex string"));
        } else {
            CHECK(!why && n == 1001 && d[1000] == want && d[0] == (uint8_t)(hexval(buf[2]) << 4 | hexval(buf[3])) && d[999] == (uint8_t)(hexval(buf[2000]) << 4 | hexval(buf[2001])));
            free(d);
        }
        json_decref(v);
    }
    address a;
    bytes32 h;
    v = J("\"0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"");
    CHECK(!rpc_parse_address(v, &a) && a.b[0] == 0xf3 && a.b[19] == 0x66);
    json_decref(v);
    v = J("\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb922\"");
    CHECK(same(rpc_parse_address(v, &a), "address must be 20 bytes (40 hex digits)"));
    json_decref(v);
    /* geth's words (Go's type error around hexutil's) */
    v = J("\"f39fd6e51aad88f6f4ce6ab8827279cfffb92266\"");
    CHECK(same(rpc_parse_address(v, &a),
               "json: cannot unmarshal hex string without 0x prefix into Go value of type common.Address"));
    json_decref(v);
    v = J("\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226\"");
    CHECK(same(rpc_parse_address(v, &a),
               "json: cannot unmarshal hex string of odd length into Go value of type common.Address"));
    json_decref(v);
    v = J("7");
    CHECK(same(rpc_parse_address(v, &a), "json: cannot unmarshal non-string into Go value of type common.Address"));
    json_decref(v);
    v = J("\"0xzz00000000000000000000000000000000000000000000000000000000000000\"");
    CHECK(same(rpc_parse_hash(v, &h), "json: cannot unmarshal invalid hex string into Go value of type common.Hash"));
    json_decref(v);
    v = J("\"0x00000000000000000000000000000000000000000000000000000000000000ff\"");
    CHECK(!rpc_parse_hash(v, &h) && h.b[31] == 0xff && h.b[0] == 0);
    json_decref(v);
    v = J("\"0xff\"");
    CHECK(same(rpc_parse_hash(v, &h), "hash must be 32 bytes (64 hex digits)"));
    json_decref(v);
    bool b = false;
    v = J("true");
    CHECK(!rpc_parse_bool(v, &b) && b);
    json_decref(v);
    v = J("\"true\"");
    CHECK(rpc_parse_bool(v, &b) != NULL);
    json_decref(v);
}

TEST(encoders) {
    CHECK(encodes_to(rpc_json_u64(0), "0x0"));
    CHECK(encodes_to(rpc_json_u64(0x1f), "0x1f"));
    CHECK(encodes_to(rpc_json_u64(UINT64_MAX), "0xffffffffffffffff"));
    u256 w = {{0, 1, 0, 0}};
    CHECK(encodes_to(rpc_json_u256(&w), "0x10000000000000000"));
    w = U256_ZERO;
    CHECK(encodes_to(rpc_json_u256(&w), "0x0"));
    static const uint8_t bytes[] = {0x00, 0xAB, 0x0f};
    CHECK(encodes_to(rpc_json_data(bytes, 3), "0x00ab0f"));
    CHECK(encodes_to(rpc_json_data(NULL, 0), "0x"));
    address a = {{0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
                  0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66}};
    CHECK(encodes_to(rpc_json_address(&a), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    char cs[43];
    rpc_address_checksum(&a, cs);
    CHECK(!strcmp(cs, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    /* EIP-55's own examples */
    static const char *eip55[] = {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                                  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_string(eip55[i]);
        CHECK(!rpc_parse_address(v, &a));
        json_decref(v);
        rpc_address_checksum(&a, cs);
        CHECK(!strcmp(cs, eip55[i]));
    }
    /* a round trip through the parser */
    json_t *q = rpc_json_u64(123456789);
    uint64_t x;
    CHECK(!rpc_parse_u64(q, &x) && x == 123456789);
    json_decref(q);
}

/* ---- Blocks ------------------------------------------------------------------------- */

static const char *block_ref(const char *json, rpc_block_ref *out) {
    json_t *v = J(json);
    const char *why = rpc_parse_block_ref(v, out);
    json_decref(v);
    return why;
}

TEST(block_tags_numbers_and_eip1898) {
    rpc_block_ref r;
    static const struct {
        const char *json;
        rpc_block_kind kind;
    } tags[] = {{"\"latest\"", RPC_BLOCK_LATEST}, {"\"earliest\"", RPC_BLOCK_EARLIEST},
                {"\"pending\"", RPC_BLOCK_PENDING}, {"\"safe\"", RPC_BLOCK_SAFE},
                {"\"finalized\"", RPC_BLOCK_FINALIZED}};
    for (size_t i = 0; i < 5; i++) CHECK(!block_ref(tags[i].json, &r) && r.kind == tags[i].kind);
    CHECK(!block_ref("\"0x1b4\"", &r) && r.kind == RPC_BLOCK_NUMBER && r.number == 436);
    CHECK(!block_ref("\"0x0\"", &r) && r.kind == RPC_BLOCK_NUMBER && r.number == 0);
    CHECK(!block_ref("\"0x7fffffffffffffff\"", &r) && r.number == (uint64_t)INT64_MAX);
    CHECK(same(block_ref("\"0x8000000000000000\"", &r), "block number larger than int64"));
    CHECK(same(block_ref("\"Latest\"", &r), "hex string without 0x prefix"));
    CHECK(same(block_ref("\"0x01\"", &r), "hex number with leading zero digits"));
    CHECK(same(block_ref("12", &r), "block number must be a hex string or a block tag"));
    CHECK(rpc_parse_block_ref(NULL, &r) == NULL && r.kind == RPC_BLOCK_LATEST);
    const char *hash = "\"0x1111111111111111111111111111111111111111111111111111111111111111\"";
    CHECK(!block_ref(hash, &r) && r.kind == RPC_BLOCK_HASH && r.hash.b[0] == 0x11 && !r.require_canonical);
    CHECK(!block_ref("{\"blockNumber\":\"0x10\"}", &r) && r.kind == RPC_BLOCK_NUMBER && r.number == 16);
    CHECK(!block_ref("{\"blockNumber\":\"safe\"}", &r) && r.kind == RPC_BLOCK_SAFE);
    CHECK(!block_ref("{\"blockHash\":\"0x2222222222222222222222222222222222222222222222222222222222222222\","
                     "\"requireCanonical\":true}", &r) &&
          r.kind == RPC_BLOCK_HASH && r.hash.b[31] == 0x22 && r.require_canonical);
    CHECK(!block_ref("{\"blockHash\":\"0x2222222222222222222222222222222222222222222222222222222222222222\"}", &r) &&
          !r.require_canonical);
    CHECK(same(block_ref("{\"blockNumber\":\"0x1\",\"blockHash\":"
                         "\"0x2222222222222222222222222222222222222222222222222222222222222222\"}", &r),
               "cannot specify both BlockHash and BlockNumber, choose one or the other"));
    CHECK(same(block_ref("{}", &r), "block object needs blockNumber or blockHash"));
    /* geth: requireCanonical beside a number is ignored; a null member is missing */
    CHECK(!block_ref("{\"blockNumber\":\"0x10\",\"requireCanonical\":true}", &r) && r.kind == RPC_BLOCK_NUMBER &&
          r.number == 16 && !r.require_canonical);
    CHECK(!block_ref("{\"blockNumber\":\"0x10\",\"blockHash\":null}", &r) && r.kind == RPC_BLOCK_NUMBER);
    CHECK(!block_ref("{\"blockHash\":\"0x2222222222222222222222222222222222222222222222222222222222222222\","
                     "\"requireCanonical\":null}", &r) &&
          r.kind == RPC_BLOCK_HASH && !r.require_canonical);
    CHECK(same(block_ref("{\"blockHash\":null}", &r), "block object needs blockNumber or blockHash"));
    CHECK(block_ref("{\"blockHash\":\"0x22\"}", &r) != NULL);
    CHECK(block_ref("{\"blockNumber\":\"0x1\",\"extra\":1}", &r) != NULL);
    CHECK(block_ref("{\"blockHash\":\"0x2222222222222222222222222222222222222222222222222222222222222222\","
                    "\"requireCanonical\":\"yes\"}", &r) != NULL);
    /* block-number-only parameters take no hash */
    json_t *v = J(hash);
    CHECK(rpc_parse_block_number(v, &r) != NULL);
    json_decref(v);
}

/* ---- Objects ------------------------------------------------------------------------- */

TEST(call_objects) {
    char err[200];
    rpc_call_args a;
    json_t *v = J("{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                  "\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"gas\":\"0x5208\","
                  "\"maxFeePerGas\":\"0x3b9aca00\",\"maxPriorityFeePerGas\":\"0x1\",\"value\":\"0xde0b6b3a7640000\","
                  "\"input\":\"0xa9059cbb\",\"data\":\"0xa9059cbb\",\"nonce\":\"0x7\",\"type\":\"0x2\",\"chainId\":\"0x7a69\","
                  "\"accessList\":[{\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"storageKeys\":"
                  "[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}],"
                  "\"blobVersionedHashes\":[\"0x0100000000000000000000000000000000000000000000000000000000000001\"],"
                  "\"authorizationList\":[{\"chainId\":\"0x1\",\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\","
                  "\"nonce\":\"0x2\",\"yParity\":\"0x1\",\"r\":\"0x3\",\"s\":\"0x4\"}],\"someFutureField\":1}");
    CHECK(rpc_parse_call_args(v, &a, err, sizeof err));
    CHECK(a.has_from && a.from.b[0] == 0xf3 && a.has_to && a.to.b[0] == 0x70);
    CHECK(a.has_gas && a.gas == 21000 && a.has_max_fee && a.max_fee.w[0] == 1000000000);
    CHECK(a.has_max_priority_fee && a.max_priority_fee.w[0] == 1 && !a.has_gas_price);
    CHECK(a.has_value && a.value.w[0] == 1000000000000000000ULL);
    CHECK(a.has_data && a.data_len == 4 && a.data[0] == 0xa9);
    CHECK(a.has_nonce && a.nonce == 7 && a.has_type && a.type == 2 && a.has_chain_id && a.chain_id == 31337);
    CHECK(a.has_access_list && a.access_list_len == 1 && a.access_list[0].n_keys == 1 &&
          a.access_list[0].keys[0].b[31] == 1);
    CHECK(a.has_blob_hashes && a.n_blob_hashes == 1 && a.blob_hashes[0].b[0] == 1);
    CHECK(a.has_auths && a.n_auths == 1 && a.auths[0].nonce == 2 && a.auths[0].y_parity == 1 &&
          a.auths[0].s.w[0] == 4 && a.auths[0].chain_id.w[0] == 1);
    rpc_call_args_free(&a);
    json_decref(v);

    /* creation: no "to"; "to": null too */
    v = J("{\"data\":\"0x6000\",\"to\":null}");
    CHECK(rpc_parse_call_args(v, &a, err, sizeof err) && !a.has_to && a.data_len == 2 && !a.has_from);
    rpc_call_args_free(&a);
    json_decref(v);
    v = J("{}");
    CHECK(rpc_parse_call_args(v, &a, err, sizeof err) && !a.has_data && !a.data);
    rpc_call_args_free(&a);
    json_decref(v);
    /* "input" wins over a different "data", as geth's and anvil's */
    v = J("{\"input\":\"0x0102\",\"data\":\"0x03\"}");
    CHECK(rpc_parse_call_args(v, &a, err, sizeof err) && a.has_data && a.data_len == 2 && a.data[1] == 2);
    rpc_call_args_free(&a);
    json_decref(v);

    static const struct {
        const char *json, *err;
    } bad[] = {
        {"{\"gasPrice\":\"0x1\",\"maxFeePerGas\":\"0x2\"}", "both gasPrice and (maxFeePerGas"},
        {"{\"gas\":\"21000\"}", "gas: hex string without 0x prefix"},
        {"{\"to\":\"0x1234\"}", "to: address must be 20 bytes"},
        {"{\"value\":\"0x01\"}", "value: hex number with leading zero digits"},
        {"{\"input\":\"0x123\"}", "input: hex string of odd length"},
        {"{\"accessList\":[{\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\"}]}",
         "accessList[0].storageKeys: expected an array"},
        {"{\"accessList\":[{\"storageKeys\":[]}]}", "accessList[0].address"},
        {"{\"accessList\":{}}", "accessList: expected an array"},
        {"{\"blobVersionedHashes\":[\"0x01\"]}", "blobVersionedHashes[0]: hash must be 32 bytes"},
        {"{\"authorizationList\":[{\"chainId\":\"0x1\"}]}", "authorizationList[0].r: missing field"},
        {"{\"type\":\"0x100\"}", "type: transaction type out of range"},
        {"[]", "transaction call object expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = J(bad[i].json);
        err[0] = 0;
        bool ok = !rpc_parse_call_args(v, &a, err, sizeof err) && strstr(err, bad[i].err);
        if (!ok) fprintf(stderr, "  case %zu: %s\n", i, err);
        CHECK(ok);
        CHECK(a.data == NULL && a.access_list == NULL && a.auths == NULL); /* left empty */
        json_decref(v);
    }
}

TEST(state_overrides) {
    char err[200];
    rpc_state_override o;
    json_t *v = J("{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"balance\":\"0x10\",\"nonce\":\"0x3\","
                  "\"code\":\"0x6001\",\"state\":{\"0x0000000000000000000000000000000000000000000000000000000000000001\":"
                  "\"0x00000000000000000000000000000000000000000000000000000000000000ff\"}},"
                  "\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\":{\"stateDiff\":{}},"
                  "\"0x0000000000000000000000000000000000000001\":{\"movePrecompileToAddress\":"
                  "\"0x0000000000000000000000000000000000123456\"}}");
    CHECK(rpc_parse_state_override(v, &o, err, sizeof err));
    CHECK_EQ_U64(o.n, 3);
    for (size_t i = 0; i < o.n; i++) {
        const rpc_account_override *a = &o.accounts[i];
        if (a->addr.b[0] == 0xf3) {
            CHECK(a->has_balance && a->balance.w[0] == 16 && a->has_nonce && a->nonce == 3);
            CHECK(a->has_code && a->code_len == 2 && a->storage == RPC_STORAGE_REPLACE && a->n_slots == 1);
            CHECK(a->slots[0].key.b[31] == 1 && a->slots[0].value.b[31] == 0xff);
        } else if (a->addr.b[0] == 0x70) {
            CHECK(a->storage == RPC_STORAGE_DIFF && a->n_slots == 0 && !a->has_balance);
        } else {
            CHECK(a->has_move_to && a->move_to.b[19] == 0x56);
        }
    }
    rpc_state_override_free(&o);
    json_decref(v);

    static const struct {
        const char *json, *err;
    } bad[] = {
        {"{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"state\":{},\"stateDiff\":{}}}",
         "has both 'state' and 'stateDiff'"},
        {"{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"stateDif\":{}}}", "unknown field 'stateDif'"},
        {"{\"0xf39f\":{}}", "address must be 20 bytes"},
        {"{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"balance\":\"1\"}}", "balance: hex string without 0x"},
        {"{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{\"state\":{\"0x01\":"
         "\"0x0000000000000000000000000000000000000000000000000000000000000001\"}}}", "slot 0x01"},
        {"{\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\":{},\"0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266\":{}}",
         "given twice"},
        {"[]", "expected an object keyed by address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = J(bad[i].json);
        err[0] = 0;
        bool ok = !rpc_parse_state_override(v, &o, err, sizeof err) && strstr(err, bad[i].err);
        if (!ok) fprintf(stderr, "  case %zu: %s\n", i, err);
        CHECK(ok);
        CHECK(o.accounts == NULL && o.n == 0);
        json_decref(v);
    }
}

TEST(block_overrides) {
    char err[200];
    rpc_block_override b;
    json_t *v = J("{\"number\":\"0x10\",\"time\":\"0x64\",\"gasLimit\":\"0x1c9c380\",\"feeRecipient\":"
                  "\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"prevRandao\":"
                  "\"0x0000000000000000000000000000000000000000000000000000000000000007\",\"baseFeePerGas\":\"0x7\","
                  "\"blobBaseFee\":\"0x1\",\"difficulty\":\"0x2\",\"withdrawals\":[]}");
    CHECK(rpc_parse_block_override(v, &b, err, sizeof err));
    CHECK(b.has_number && b.number == 16 && b.has_time && b.time == 100 && b.has_gas_limit && b.gas_limit == 30000000);
    CHECK(b.has_fee_recipient && b.fee_recipient.b[0] == 0x70 && b.has_prev_randao && b.prev_randao.b[31] == 7);
    CHECK(b.has_base_fee && b.base_fee.w[0] == 7 && b.has_blob_base_fee && b.has_difficulty && b.difficulty.w[0] == 2);
    json_decref(v);
    v = J("{\"time\":100}");
    CHECK(!rpc_parse_block_override(v, &b, err, sizeof err) && strstr(err, "time:"));
    json_decref(v);
}

TEST(argument_counts) {
    rpc_error e = {0};
    json_t *p = J("[\"0x1\", null]");
    CHECK(rpc_check_args(p, 1, 2, &e));
    CHECK(!rpc_check_args(p, 2, 2, &e) && e.code == RPC_INVALID_PARAMS &&
          !strcmp(e.message, "missing value for required argument 1"));
    CHECK(!rpc_check_args(p, 0, 1, &e) && !strcmp(e.message, "too many arguments, want at most 1"));
    CHECK(rpc_arg(p, 0) != NULL && rpc_arg(p, 1) == NULL && rpc_arg(p, 5) == NULL);
    json_decref(p);
}

/* ---- Revert errors ------------------------------------------------------------------- */

TEST(revert_errors) {
    rpc_error e = {0};
    /* Error("Not enough Ether") */
    static const uint8_t err_string[4 + 96] = {
        0x08, 0xc3, 0x79, 0xa0, [4 + 31] = 0x20, [4 + 63] = 16, [4 + 64] = 'N', 'o', 't', ' ', 'e', 'n', 'o', 'u', 'g', 'h',
        ' ', 'E', 't', 'h', 'e', 'r'};
    CHECK(!rpc_error_revert(&e, err_string, sizeof err_string));
    CHECK(e.code == RPC_EXECUTION_REVERTED && !strcmp(e.message, "execution reverted: Not enough Ether"));
    CHECK(json_is_string(e.data) && !strncmp(json_string_value(e.data), "0x08c379a0", 10) &&
          strlen(json_string_value(e.data)) == 2 + 2 * sizeof err_string);
    rpc_error_clear(&e);
    CHECK(e.data == NULL);
    /* Panic(0x11) */
    uint8_t panic[36] = {0x4e, 0x48, 0x7b, 0x71, [35] = 0x11};
    rpc_error_revert(&e, panic, sizeof panic);
    CHECK(e.code == RPC_EXECUTION_REVERTED && !strcmp(e.message, "execution reverted: arithmetic underflow or overflow"));
    rpc_error_clear(&e);
    panic[35] = 0x99;
    rpc_error_revert(&e, panic, sizeof panic);
    CHECK(!strcmp(e.message, "execution reverted: unknown panic code: 0x99"));
    rpc_error_clear(&e);
    /* geth's UnpackRevert reads the first word whatever follows it, and
     * words an unknown code of any size */
    uint8_t panic_more[4 + 64] = {0x4e, 0x48, 0x7b, 0x71, [35] = 0x12, [67] = 1};
    rpc_error_revert(&e, panic_more, sizeof panic_more);
    CHECK(!strcmp(e.message, "execution reverted: division or modulo by zero"));
    rpc_error_clear(&e);
    uint8_t panic_big[36] = {0x4e, 0x48, 0x7b, 0x71, [27] = 1};
    rpc_error_revert(&e, panic_big, sizeof panic_big);
    CHECK(!strcmp(e.message, "execution reverted: unknown panic code: 0x10000000000000000"));
    rpc_error_clear(&e);
    /* a custom error: data only */
    static const uint8_t custom[] = {0xde, 0xad, 0xbe, 0xef, 1};
    rpc_error_revert(&e, custom, sizeof custom);
    CHECK(e.code == RPC_EXECUTION_REVERTED && !strcmp(e.message, "execution reverted") &&
          !strcmp(json_string_value(e.data), "0xdeadbeef01"));
    rpc_error_clear(&e);
    /* a lying Error(string): length past the end */
    uint8_t liar[4 + 64] = {0x08, 0xc3, 0x79, 0xa0, [4 + 31] = 0x20, [4 + 63] = 200};
    rpc_error_revert(&e, liar, sizeof liar);
    CHECK(!strcmp(e.message, "execution reverted") && e.data);
    rpc_error_clear(&e);
    /* invalid UTF-8 in the reason: not put in the message */
    uint8_t bad_utf8[4 + 96] = {0x08, 0xc3, 0x79, 0xa0, [4 + 31] = 0x20, [4 + 63] = 2, [4 + 64] = 0xff, 0xfe};
    rpc_error_revert(&e, bad_utf8, sizeof bad_utf8);
    CHECK(!strcmp(e.message, "execution reverted"));
    rpc_error_clear(&e);
    /* empty revert data: code 3 with data 0x (geth since #31456, March 2025) */
    rpc_error_revert(&e, NULL, 0);
    CHECK(e.code == RPC_EXECUTION_REVERTED && !strcmp(e.message, "execution reverted") && e.data &&
          !strcmp(json_string_value(e.data) ?: "", "0x"));
    rpc_error_clear(&e);
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

static int note_calls;

static bool m_sum(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    json_int_t s = 0;
    size_t i;
    json_t *v;
    json_array_foreach(params, i, v) {
        if (!json_is_integer(v)) return rpc_error_invalid_param(err, i, "not an integer");
        s += json_integer_value(v);
    }
    *result = json_integer(s);
    return true;
}

static bool m_note(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    note_calls++;
    *result = json_string("ignored");
    return true;
}

static bool m_fail(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    rpc_error_set(err, -32000, "bad thing \xff happened");
    err->data = json_string("0x01");
    return false;
}

static bool m_null(void *ctx, const json_t *params, json_t **result, rpc_error *err) { return true; }

static char *run(const rpc_methods *m, const char *body) {
    return rpc_process(m, body, strlen(body), 3, NULL);
}

static bool responds(const rpc_methods *m, const char *body, const char *want) {
    char *got = run(m, body);
    bool ok = want ? got && !strcmp(got, want) : got == NULL;
    if (!ok) fprintf(stderr, "  %s\n  -> %s\n  want %s\n", body, got ? got : "(none)", want ? want : "(none)");
    free(got);
    return ok;
}

TEST(dispatch) {
    rpc_methods *m = rpc_methods_new();
    rpc_methods_add(m, "sum", m_sum, NULL);
    rpc_methods_add(m, "note", m_note, NULL);
    rpc_methods_add(m, "fail", m_fail, NULL);
    rpc_methods_add(m, "nothing", m_null, NULL);
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\",\"params\":[1,2,3]}",
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":6}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"sum\"}", "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":0}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"sum\",\"params\":null}",
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":0}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nothing\"}", "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":null}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sum\",\"params\":[1,\"a\"]}",
                   "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"invalid argument 1: not an integer\"}}"));
    /* error data travels; invalid UTF-8 in a message is replaced */
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"fail\"}",
                   "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32000,\"message\":\"bad thing ? happened\",\"data\":\"0x01\"}}"));
    /* notifications run but answer nothing, even on error */
    note_calls = 0;
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"method\":\"note\"}", NULL));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}", NULL));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"method\":\"missing\"}", NULL));
    CHECK(responds(m, "[{\"jsonrpc\":\"2.0\",\"method\":\"note\"},{\"jsonrpc\":\"2.0\",\"method\":\"note\"}]", NULL));
    CHECK_EQ_U64(note_calls, 3);
    /* batches keep order and skip notifications */
    CHECK(responds(m, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\",\"params\":[1]},{\"jsonrpc\":\"2.0\",\"method\":\"note\"},"
                      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"sum\",\"params\":[2]}]",
                   "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}]"));
    CHECK(responds(m, "[1]", "[{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"invalid request\"}}]"));
    CHECK(responds(m, "[]", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"empty batch\"}}"));
    CHECK(responds(m, "[{\"jsonrpc\":\"2.0\",\"method\":\"note\"},{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"sum\"},1,2]",
                   "[{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32600,\"message\":\"batch too large\"}}]"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\"", 
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"sum\"}",
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
                   "\"invalid request: id must be a string, number or null\"}}"));
    CHECK(responds(m, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sum\",\"params\":{\"a\":1}}",
                   "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,\"message\":"
                   "\"invalid params: expected an array of positional arguments\"}}"));
    /* a body with a NUL byte or invalid UTF-8 is a parse error, not a crash */
    char *r = rpc_process(m, "{\"a\":\"\0\"}", 9, 0, NULL);
    CHECK(r && strstr(r, "-32700"));
    free(r);
    r = run(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc3\x28\"}");
    CHECK(r && strstr(r, "-32700"));
    free(r);
    /* deep nesting is refused by the parser, not the stack */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    r = run(m, deep);
    CHECK(r && strstr(r, "-32700"));
    free(r);
    free(deep);
    rpc_methods_free(m);
}

/* An observer's record of the names it was given ("!" after a failed
 * one, with its error code and the request's parameter count). */
static void observe(void *arg, const char *method, const json_t *params, const rpc_error *failed) {
    buf_t *seen = arg;
    buf_append(seen, method, strlen(method));
    if (failed) {
        char t[64];
        snprintf(t, sizeof t, "!%d/%zu", failed->code, json_array_size(params));
        buf_append(seen, t, strlen(t));
    }
    buf_push(seen, ';');
}

TEST(observer) {
    rpc_methods *m = rpc_methods_new();
    rpc_methods_add(m, "sum", m_sum, NULL);
    rpc_methods_add(m, "fail", m_fail, NULL);
    rpc_methods_add(m, "note", m_note, NULL);
    buf_t seen = {0};
    rpc_methods_set_observer(m, observe, &seen);
    /* each known method before it runs, notifications too, and a failed one
     * again with its error; not an unknown name nor a malformed request */
    free(run(m, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fail\"},"
                "{\"jsonrpc\":\"2.0\",\"method\":\"note\"}]"));
    free(run(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"missing\"}"));
    free(run(m, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"sum\"}"));
    free(run(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\",\"params\":{}}"));
    buf_push(&seen, 0);
    CHECK(!strcmp((const char *)seen.data, "sum;fail;fail!-32000/0;note;"));
    /* in-process calls are not requests */
    seen.len = 0;
    json_t *res = NULL;
    rpc_error err = {0};
    CHECK(rpc_call(m, "sum", NULL, &res, &err) && seen.len == 0);
    json_decref(res);
    /* a copy keeps it; none after it is cleared */
    rpc_methods *c = rpc_methods_copy(m);
    free(run(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\"}"));
    CHECK(seen.len == 4);
    rpc_methods_set_observer(c, NULL, NULL);
    free(run(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sum\"}"));
    CHECK(seen.len == 4);
    buf_free(&seen);
    rpc_methods_free(c);
    rpc_methods_free(m);
}
