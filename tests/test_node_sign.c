/* Dev mode's signing methods (src/node/rpc_sign.c) and EIP-712 hashing
 * (src/node/eip712.c). The digests are checked against values computed
 * elsewhere: EIP-712's own example (digest and, with the key
 * keccak256("cow"), the signature the EIP gives) and cases whose digests
 * ethers' and viem's hashTypedData agree on (arrays fixed, dynamic and
 * nested, nested structs, bytes, string, bytesN, negative and extreme
 * integers written as numbers, decimal and hex strings, a cyclic type).
 * Every class of malformed typed data must get -32602 with a message.
 * eth_signTransaction's raw output is decoded with tx_decode: the sender
 * recovered from it is the dev account and its fields are what was asked;
 * it is not sent, and sending it afterwards mines it. Accounts without a
 * key (unknown or impersonated) cannot sign. */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include "node/eip712.h"
#include "node_rpc.h"
#include "parevm/keccak.h"

/* ---- Helpers ------------------------------------------------------------------------------------ */

/* The digest of typed data given as JSON text; false on malformed input. */
static bool digest_of(const char *json, uint8_t out[32], char *why, size_t cap) {
    json_error_t jerr;
    json_t *v = json_loads(json, 0, &jerr);
    if (!v) {
        fprintf(stderr, "  bad test JSON: %s: %.200s\n", jerr.text, json);
        return false;
    }
    bool ok = eip712_digest(v, out, why, cap);
    json_decref(v);
    return ok;
}

static bool digest_is(const char *json, const char *want_hex) {
    uint8_t got[32], want[32];
    char why[256] = "";
    if (!digest_of(json, got, why, sizeof why) || !hex_to_fixed(want_hex, want, 32)) {
        fprintf(stderr, "  digest failed: %s\n", why);
        return false;
    }
    return memcmp(got, want, 32) == 0;
}

/* ---- The EIP's example ---------------------------------------------------------------------------- */

#define MAIL_TYPES                                                                                             \
    "{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"version\",\"type\":\"string\"},"   \
    "{\"name\":\"chainId\",\"type\":\"uint256\"},{\"name\":\"verifyingContract\",\"type\":\"address\"}],"      \
    "\"Person\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"wallet\",\"type\":\"address\"}],"         \
    "\"Mail\":[{\"name\":\"from\",\"type\":\"Person\"},{\"name\":\"to\",\"type\":\"Person\"},"                 \
    "{\"name\":\"contents\",\"type\":\"string\"}]}"

static const char MAIL[] =
    "{\"types\":" MAIL_TYPES ",\"primaryType\":\"Mail\","
    "\"domain\":{\"name\":\"Ether Mail\",\"version\":\"1\",\"chainId\":1,"
    "\"verifyingContract\":\"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC\"},"
    "\"message\":{\"from\":{\"name\":\"Cow\",\"wallet\":\"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"},"
    "\"to\":{\"name\":\"Bob\",\"wallet\":\"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB\"},"
    "\"contents\":\"Hello, Bob!\"}}";

static const char MAIL_DIGEST[] = "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

TEST(eip712_mail_example) {
    CHECK(digest_is(MAIL, MAIL_DIGEST));
    json_t *types = json_loads(MAIL_TYPES, 0, NULL);
    char why[256];
    char *enc = eip712_encode_type(types, "Mail", why, sizeof why);
    CHECK(enc && !strcmp(enc, "Mail(Person from,Person to,string contents)Person(string name,address wallet)"));
    free(enc);
    json_decref(types);
    /* the EIP signs it with keccak256("cow"), Cow's own key: v = 28, r, s */
    uint8_t key[32], digest[32], sig[65];
    keccak256("cow", 3, key);
    address cow, want_cow;
    CHECK(tx_address_of_key(key, &cow) && hex_to_fixed("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", want_cow.b, 20) &&
          address_eq(&cow, &want_cow));
    CHECK(digest_of(MAIL, digest, why, sizeof why));
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN);
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = -1;
    CHECK(secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, key, NULL, NULL) &&
          secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs));
    secp256k1_context_destroy(ctx);
    uint8_t want_r[32], want_s[32];
    CHECK(hex_to_fixed("0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d", want_r, 32));
    CHECK(hex_to_fixed("0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562", want_s, 32));
    CHECK_MEM(sig, want_r, 32);
    CHECK_MEM(sig + 32, want_s, 32);
    CHECK_EQ_U64(27 + recid, 28);
}

/* ---- Every kind of member --------------------------------------------------------------------------- */

/* Digest from ethers' TypedDataEncoder.hash and viem's hashTypedData. */
static const char SINK[] =
    "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"chainId\",\"type\":\"uint256\"}],"
    "\"Item\":[{\"name\":\"id\",\"type\":\"int8\"},{\"name\":\"tags\",\"type\":\"string[]\"},"
    "{\"name\":\"blob\",\"type\":\"bytes\"},{\"name\":\"code\",\"type\":\"bytes3\"}],"
    "\"Sub\":[{\"name\":\"amount\",\"type\":\"uint128\"},{\"name\":\"neg\",\"type\":\"int64\"}],"
    "\"Order\":[{\"name\":\"owner\",\"type\":\"address\"},{\"name\":\"items\",\"type\":\"Item[]\"},"
    "{\"name\":\"grid\",\"type\":\"int16[2][]\"},{\"name\":\"flags\",\"type\":\"bool[3]\"},"
    "{\"name\":\"delta\",\"type\":\"int256\"},{\"name\":\"big\",\"type\":\"uint256\"},"
    "{\"name\":\"note\",\"type\":\"string\"},{\"name\":\"sub\",\"type\":\"Sub\"},{\"name\":\"subs\",\"type\":\"Sub[2]\"}]},"
    "\"primaryType\":\"Order\",\"domain\":{\"name\":\"Sink\",\"chainId\":\"0x7a69\"},"
    "\"message\":{\"owner\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\","
    "\"items\":[{\"id\":-128,\"tags\":[\"a\",\"\",\"\\u00fcn\\u00ef\"],\"blob\":\"0x\",\"code\":\"0xabcdef\"},"
    "{\"id\":\"127\",\"tags\":[],\"blob\":\"0x00ff10\",\"code\":\"0x000001\"}],"
    "\"grid\":[[-1,2],[32767,\"-32768\"]],\"flags\":[true,false,true],"
    "\"delta\":\"-57896044618658097711785492504343953926634992332820282019728792003956564819968\","
    "\"big\":\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\","
    "\"note\":\"hello \\\"world\\\"\","
    "\"sub\":{\"amount\":\"340282366920938463463374607431768211455\",\"neg\":\"-0x10\"},"
    "\"subs\":[{\"amount\":0,\"neg\":-9007199254740991},{\"amount\":\"12\",\"neg\":\"9223372036854775807\"}]}}";

static const char SINK_DIGEST[] = "0x4e4f0c07185d96b393aea6b2192ba2a4c917c666101f78fdff851b35b1adb314";

TEST(eip712_arrays_structs_bytes_ints) {
    CHECK(digest_is(SINK, SINK_DIGEST));
    json_t *v = json_loads(SINK, 0, NULL);
    char why[256];
    char *enc = eip712_encode_type(json_object_get(v, "types"), "Order", why, sizeof why);
    CHECK(enc && !strcmp(enc, "Order(address owner,Item[] items,int16[2][] grid,bool[3] flags,int256 delta,"
                              "uint256 big,string note,Sub sub,Sub[2] subs)"
                              "Item(int8 id,string[] tags,bytes blob,bytes3 code)Sub(uint128 amount,int64 neg)"));
    free(enc);
    json_decref(v);
}

/* Node(string v, Node[] kids): a cyclic type the EIP allows (viem's digest). */
#define NODE_TYPES                                                                                   \
    "{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"chainId\",\"type\":\"uint256\"}]," \
    "\"Node\":[{\"name\":\"v\",\"type\":\"string\"},{\"name\":\"kids\",\"type\":\"Node[]\"}]}"

TEST(eip712_cyclic_type) {
    CHECK(digest_is("{\"types\":" NODE_TYPES ",\"primaryType\":\"Node\",\"domain\":{\"name\":\"Sink\",\"chainId\":31337},"
                    "\"message\":{\"v\":\"root\",\"kids\":[{\"v\":\"a\",\"kids\":[]},"
                    "{\"v\":\"b\",\"kids\":[{\"v\":\"c\",\"kids\":[]}]}]}}",
                    "0x818796df12959872ead0ec141173db7e01811be50ccb28febe295350e62dfa4a"));
    json_t *types = json_loads(NODE_TYPES, 0, NULL);
    char why[256];
    char *enc = eip712_encode_type(types, "Node", why, sizeof why);
    CHECK(enc && !strcmp(enc, "Node(string v,Node[] kids)"));
    free(enc);
    json_decref(types);
    /* nested past the bound: refused, not a deep recursion */
    char *deep = malloc(200000);
    strcpy(deep, "{\"types\":" NODE_TYPES ",\"primaryType\":\"Node\",\"domain\":{\"name\":\"x\",\"chainId\":1},\"message\":");
    for (int i = 0; i < 1000; i++) strcat(deep, "{\"v\":\"x\",\"kids\":[");
    strcat(deep, "{\"v\":\"x\",\"kids\":[]}");
    for (int i = 0; i < 1000; i++) strcat(deep, "]}");
    strcat(deep, "}");
    uint8_t d[32];
    CHECK(!digest_of(deep, d, why, sizeof why) && strstr(why, "nested too deeply"));
    free(deep);
}

/* ---- Malformed typed data --------------------------------------------------------------------------- */

#define DOM "\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"}]"
#define TD(types, primary, message) \
    "{\"types\":{" DOM types "},\"primaryType\":\"" primary "\",\"domain\":{\"name\":\"d\"},\"message\":" message "}"
#define ONE(type, value) TD(",\"T\":[{\"name\":\"f\",\"type\":\"" type "\"}]", "T", "{\"f\":" value "}")

/* Typed data that must be refused, and a word its message must hold. */
static const struct {
    const char *json, *why;
} BAD[] = {
    {"[]", "expected an object"},
    {"{\"primaryType\":\"T\",\"domain\":{},\"message\":{}}", "types"},
    {"{\"types\":[],\"primaryType\":\"T\",\"domain\":{},\"message\":{}}", "types"},
    {"{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{},\"message\":{}}", "EIP712Domain missing"},
    {TD(",\"T\":[]", "U", "{}"), "unknown struct type"},
    {"{\"types\":{" DOM ",\"T\":[]},\"domain\":{\"name\":\"d\"},\"message\":{}}", "primaryType"},
    {"{\"types\":{" DOM ",\"T\":[]},\"primaryType\":\"T\",\"message\":{}}", "domain"},
    {"{\"types\":{" DOM ",\"T\":[]},\"primaryType\":\"T\",\"domain\":{\"name\":\"d\"}}", "message"},
    {TD(",\"T\":{}", "T", "{}"), "expected an array"},
    {TD(",\"T\":[{\"name\":\"f\"}]", "T", "{}"), "expected {name: string, type: string}"},
    {TD(",\"T\":[{\"name\":1,\"type\":\"bool\"}]", "T", "{}"), "expected {name: string, type: string}"},
    {ONE("Missing", "{}"), "unknown type \"Missing\""},
    {ONE("uint7", "1"), "unknown type"},
    {ONE("uint264", "1"), "unknown type"},
    {ONE("int0", "1"), "unknown type"},
    {ONE("bytes33", "\"0x00\""), "unknown type"},
    {ONE("bytes0", "\"0x\""), "unknown type"},
    {ONE("uint8[", "[]"), "malformed array type"},
    {ONE("uint8[x]", "[]"), "malformed array type"},
    {ONE("uint8]", "1"), "unknown type"},
    {TD(",\"T\":[{\"name\":\"f\",\"type\":\"bool\"}]", "T", "{}"), "missing value"},
    {ONE("uint8", "256"), "out of range"},
    {ONE("uint8", "-1"), "negative"},
    {ONE("int8", "128"), "out of range"},
    {ONE("int8", "-129"), "out of range"},
    {ONE("int8", "\"-0x81\""), "out of range"},
    {ONE("uint256", "\"0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\""), "not a number"},
    {ONE("uint256", "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\""),
     "not a number"},
    {ONE("int256", "\"57896044618658097711785492504343953926634992332820282019728792003956564819968\""),
     "out of range"},
    {ONE("uint32", "1.5"), "expected a number"},
    {ONE("uint32", "true"), "expected a number"},
    {ONE("uint32", "\"\""), "not a number"},
    {ONE("uint32", "\"12abc\""), "not a number"},
    {ONE("uint32", "\"0x\""), "not a number"},
    {ONE("uint32", "\"-\""), "not a number"},
    {ONE("bool", "1"), "expected true or false"},
    {ONE("string", "5"), "expected a string"},
    {ONE("address", "\"0x1234\""), "address"},
    {ONE("address", "7"), "address"},
    {ONE("bytes", "\"0xabc\""), "bytes"},
    {ONE("bytes", "\"zz\""), "bytes"},
    {ONE("bytes4", "\"0x010203\""), "3 bytes given"},
    {ONE("bytes4", "\"0x0102030405\""), "5 bytes given"},
    {ONE("uint8[2]", "[1]"), "expected 2 items, got 1"},
    {ONE("uint8[2]", "[1,2,3]"), "expected 2 items"},
    {ONE("uint8[]", "{}"), "expected an array"},
    {ONE("uint8[][1]", "[[1,300]]"), "out of range"},
    {ONE("uint8[99999999999999999999999]", "[1]"), "expected"},
    {TD(",\"S\":[{\"name\":\"x\",\"type\":\"bool\"}],\"T\":[{\"name\":\"s\",\"type\":\"S\"}]", "T", "{\"s\":[true]}"),
     "expected an object"},
    {TD(",\"S\":[{\"name\":\"x\",\"type\":\"bool\"}],\"T\":[{\"name\":\"s\",\"type\":\"S\"}]", "T", "{\"s\":{}}"),
     "S.x: missing value"},
    {TD(",\"T\":[]", "T", "[]"), "message"},
    {"{\"types\":{\"EIP712Domain\":[{\"name\":\"chainId\",\"type\":\"uint256\"}],\"T\":[]},\"primaryType\":\"T\","
     "\"domain\":{\"chainId\":\"-1\"},\"message\":{}}",
     "negative"},
};

TEST(eip712_malformed_input) {
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        uint8_t d[32];
        char why[256] = "";
        bool ok = digest_of(BAD[i].json, d, why, sizeof why);
        bool good = !ok && strstr(why, BAD[i].why);
        if (!good) fprintf(stderr, "  case %zu: ok=%d why=\"%s\", want \"%s\"\n", i, ok, why, BAD[i].why);
        CHECK(good);
    }
    /* well-formed neighbours of the cases above are taken */
    uint8_t d[32];
    char why[256];
    CHECK(digest_of(ONE("int8", "\"-0x80\""), d, why, sizeof why));
    CHECK(digest_of(ONE("uint8[2][]", "[[1,2],[3,\"0xff\"]]"), d, why, sizeof why));
    /* a domain-only digest: keccak256(0x1901 || domainSeparator) */
    CHECK(digest_of("{\"types\":{" DOM "},\"primaryType\":\"EIP712Domain\",\"domain\":{\"name\":\"d\"}}", d, why,
                    sizeof why));
}

/* ---- Through the node ------------------------------------------------------------------------------- */

/* The address that signed digest h with sig (r || s || v, v = 27/28). */
static bool recover(const uint8_t h[32], const uint8_t sig[65], address *out) {
    if (sig[64] != 27 && sig[64] != 28) return false;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    uint8_t pub[65];
    size_t len = sizeof pub;
    bool ok = secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64] - 27) &&
              secp256k1_ecdsa_recover(ctx, &pk, &rs, h) &&
              secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    secp256k1_context_destroy(ctx);
    uint8_t hash[32];
    keccak256(pub + 1, 64, hash);
    memcpy(out->b, hash + 12, 20);
    return ok;
}

/* A dev node, or false (a failed check) with nothing left open. */
static bool open_node(test_node *t) {
    bool ok = test_node_open(t);
    CHECK(ok);
    if (!ok) test_node_close(t);
    return ok;
}

/* [address, typed] with typed as the object itself or as a JSON string of it. */
static char *typed_params(const address *a, const char *typed, bool as_string) {
    json_t *p = json_array();
    json_array_append_new(p, rpc_json_address(a));
    json_t *t = json_loads(typed, 0, NULL);
    if (!t) abort();
    json_array_append_new(p, as_string ? json_string(typed) : t);
    if (as_string) json_decref(t);
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

/* Signs typed as acct[0] with method; checks the signature's form and
 * signer against digest; returns it (a new reference) or NULL. */
static json_t *sign_typed(test_node *t, const char *method, const char *typed, bool as_string, const uint8_t digest[32]) {
    char *p = typed_params(&t->acct[0], typed, as_string);
    json_t *sig = test_ok(t, method, p);
    free(p);
    uint8_t raw[65];
    address signer;
    bool good = sig && json_is_string(sig) && strlen(json_string_value(sig)) == 132 &&
                hex_to_fixed(json_string_value(sig), raw, 65) && recover(digest, raw, &signer) &&
                address_eq(&signer, &t->acct[0]);
    CHECK(good);
    return sig;
}

TEST(node_sign_typed_data) {
    test_node t;
    if (!open_node(&t)) return;
    uint8_t mail[32], sink[32];
    char why[256], msg[300];
    CHECK(digest_of(MAIL, mail, why, sizeof why) && digest_of(SINK, sink, why, sizeof why));
    json_t *a = sign_typed(&t, "eth_signTypedData_v4", MAIL, false, mail);
    json_t *b = sign_typed(&t, "eth_signTypedData_v4", MAIL, true, mail);
    json_t *c = sign_typed(&t, "eth_signTypedData", MAIL, true, mail);
    CHECK(a && b && c && json_equal(a, b) && json_equal(a, c));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(sign_typed(&t, "eth_signTypedData_v4", SINK, true, sink));
    /* every malformed input: -32602, as an object and as a string */
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        for (int as_string = 0; as_string < 2; as_string++) {
            char *p = typed_params(&t.acct[0], BAD[i].json, as_string);
            long long code = test_err(&t, "eth_signTypedData_v4", p, msg, sizeof msg);
            free(p);
            bool good = code == -32602 && strstr(msg, BAD[i].why);
            if (!good) fprintf(stderr, "  case %zu: %lld %s\n", i, code, msg);
            CHECK(good);
        }
    const char *A0 = "\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"";
    char p[256];
    snprintf(p, sizeof p, "[%s,\"{not json\"]", A0);
    CHECK(test_err(&t, "eth_signTypedData_v4", p, msg, sizeof msg) == -32602 && strstr(msg, "invalid JSON"));
    snprintf(p, sizeof p, "[%s,5]", A0);
    CHECK(test_err(&t, "eth_signTypedData_v4", p, NULL, 0) == -32602);
    snprintf(p, sizeof p, "[%s]", A0);
    CHECK(test_err(&t, "eth_signTypedData_v4", p, NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_signTypedData_v4", "[\"0x12\",{}]", NULL, 0) == -32602);
    test_node_close(&t);
}

/* Accounts without a key: unknown, or impersonated (they can send, not sign). */
TEST(node_sign_needs_a_key) {
    test_node t;
    if (!open_node(&t)) return;
    const char *X = "0x00000000000000000000000000000000000000aa";
    char p[4096], msg[200];
    for (int round = 0; round < 2; round++) {
        snprintf(p, sizeof p, "[\"%s\",%s]", X, MAIL);
        CHECK(test_err(&t, "eth_signTypedData_v4", p, msg, sizeof msg) == -32000);
        snprintf(p, sizeof p, "[\"%s\",\"0x68656c6c6f\"]", X);
        CHECK(test_err(&t, "eth_sign", p, NULL, 0) == -32000);
        snprintf(p, sizeof p, "[\"0x68656c6c6f\",\"%s\"]", X);
        CHECK(test_err(&t, "personal_sign", p, NULL, 0) == -32000);
        snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x5208\"}]", X, X);
        CHECK(test_err(&t, "eth_signTransaction", p, msg, sizeof msg) == -32000);
        CHECK(round == 0 ? !strcmp(msg, "unknown account") : strstr(msg, "impersonated") != NULL);
        snprintf(p, sizeof p, "[\"%s\"]", X);
        json_decref(test_ok(&t, "anvil_impersonateAccount", p));
    }
    /* yet the impersonated account sends */
    snprintf(p, sizeof p, "[\"%s\",\"0xde0b6b3a7640000\"]", X);
    json_decref(test_ok(&t, "anvil_setBalance", p));
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x5208\"}]", X, X);
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h != NULL);
    json_decref(h);
    test_node_close(&t);
}

/* eth_signTransaction's result, decoded, sender recovered. */
static bool signed_tx(test_node *t, const char *params, transaction *tx) {
    json_t *raw = test_ok(t, "eth_signTransaction", params);
    uint8_t *bytes = NULL;
    size_t len = 0;
    char why[200];
    bool ok = raw && hex_decode_alloc(json_string_value(raw), &bytes, &len) &&
              tx_decode(bytes, len, tx, why, sizeof why) && tx_recover_sender(tx, true);
    free(bytes);
    json_decref(raw);
    return ok;
}

static uint64_t nonce_of(test_node *t, int i) {
    char p[128], a[43];
    hex_encode(t->acct[i].b, 20, a);
    snprintf(p, sizeof p, "[\"%s\",\"latest\"]", a);
    json_t *r = test_ok(t, "eth_getTransactionCount", p);
    uint64_t v = test_qty(r, NULL);
    json_decref(r);
    return v;
}

TEST(node_sign_transaction) {
    test_node t;
    if (!open_node(&t)) return;
    char p[1024], a0[43], a1[43];
    hex_encode(t.acct[0].b, 20, a0);
    hex_encode(t.acct[1].b, 20, a1);
    /* filled: EIP-1559 by default, chain id, nonce, fees, estimated gas */
    transaction tx;
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x1234\",\"data\":\"0xabcd\"}]", a0, a1);
    CHECK(signed_tx(&t, p, &tx));
    CHECK(tx.type == TX_DYNAMIC_FEE && tx.chain_id == 31337 && tx.nonce == 0);
    CHECK(address_eq(&tx.sender, &t.acct[0]) && tx.has_to && address_eq(&tx.to, &t.acct[1]));
    CHECK(u256_eq(&tx.value, &(u256){{0x1234}}) && tx.data_len == 2 && tx.data[0] == 0xab && tx.data[1] == 0xcd);
    json_t *est = test_ok(&t, "eth_estimateGas", p);
    CHECK(est && tx.gas_limit == test_qty(est, NULL) && tx.gas_limit >= 21000 + 2 * 16);
    json_decref(est);
    CHECK(tx.max_priority_fee.w[0] == 1000000000ULL && !u256_lt(&tx.max_fee, &tx.max_priority_fee));
    /* not sent: nothing mined, the nonce unchanged */
    json_t *bn = test_ok(&t, "eth_blockNumber", "[]");
    CHECK(bn && test_qty(bn, NULL) == 0);
    json_decref(bn);
    CHECK_EQ_U64(nonce_of(&t, 0), 0);
    /* sent raw afterwards: mined, from the dev account */
    buf_t raw = {0};
    tx_encode(&tx, &raw);
    char *rp = malloc(2 * raw.len + 16);
    strcpy(rp, "[\"");
    hex_encode(raw.data, raw.len, rp + 2);
    strcat(rp, "\"]");
    json_t *h = test_ok(&t, "eth_sendRawTransaction", rp);
    free(rp);
    buf_free(&raw);
    CHECK(h != NULL);
    if (h) {
        snprintf(p, sizeof p, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", p);
        CHECK(rc && test_qty(rc, "status") == 1 && !strcmp(test_str(rc, "from"), a0));
        json_decref(rc);
    }
    json_decref(h);
    tx_free(&tx);
    /* legacy from gasPrice (EIP-155 signed), the given gas and nonce kept */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"gasPrice\":\"0x3b9aca00\",\"gas\":\"0x7530\",\"nonce\":\"0x9\"}]",
             a1, a0);
    CHECK(signed_tx(&t, p, &tx));
    CHECK(tx.type == TX_LEGACY && tx.has_chain_id && tx.chain_id == 31337 && tx.nonce == 9 && tx.gas_limit == 30000);
    CHECK(tx.gas_price.w[0] == 1000000000ULL && address_eq(&tx.sender, &t.acct[1]) && !tx.data_len);
    tx_free(&tx);
    /* an access list makes it EIP-2930; a creation has no to; the next nonce follows the mined one */
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"gasPrice\":\"0x3b9aca00\",\"data\":\"0x00\",\"accessList\":[{\"address\":\"%s\","
             "\"storageKeys\":[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}]}]",
             a0, a1);
    CHECK(signed_tx(&t, p, &tx));
    CHECK(tx.type == TX_ACCESS_LIST && !tx.has_to && tx.nonce == 1 && tx.access_list_len == 1 &&
          tx.access_list[0].n_keys == 1 && address_eq(&tx.access_list[0].addr, &t.acct[1]));
    CHECK(address_eq(&tx.sender, &t.acct[0]));
    tx_free(&tx);
    /* refused: no from, blob transactions, bad fields, a failing estimate */
    char msg[200];
    snprintf(p, sizeof p, "[{\"to\":\"%s\"}]", a0);
    CHECK(test_err(&t, "eth_signTransaction", p, NULL, 0) == -32602);
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"to\":\"%s\",\"blobVersionedHashes\":"
             "[\"0x0100000000000000000000000000000000000000000000000000000000000000\"]}]",
             a0, a1);
    CHECK(test_err(&t, "eth_signTransaction", p, NULL, 0) == -32602);
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"value\":\"xyz\"}]", a0);
    CHECK(test_err(&t, "eth_signTransaction", p, NULL, 0) == -32602);
    CHECK(test_err(&t, "eth_signTransaction", "[]", NULL, 0) == -32602);
    /* a call the estimate cannot run is signed with the block's gas, as
     * anvil's build_tx_request fills it */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"data\":\"0xfe\"}]", a0);
    json_t *signed_fe = test_ok(&t, "eth_signTransaction", p);
    CHECK(signed_fe && json_is_string(signed_fe));
    json_decref(signed_fe);
    (void)msg;
    test_node_close(&t);
}

/* A call object whose gas estimate fails: eth_fillTransaction answers the
 * estimate's error (the call object's buffers were once freed twice on
 * this path), eth_sendTransaction sends it with the block's gas as anvil
 * does, and it is mined with status 0. */
TEST(node_send_transaction_failed_estimate) {
    test_node t;
    if (!open_node(&t)) return;
    char p[256], a0[43];
    hex_encode(t.acct[0].b, 20, a0);
    snprintf(p, sizeof p,
             "[{\"from\":\"%s\",\"data\":\"0xfe\",\"accessList\":[{\"address\":\"%s\",\"storageKeys\":[]}]}]", a0, a0);
    CHECK(test_err(&t, "eth_fillTransaction", p, NULL, 0) != 0);
    CHECK_EQ_U64(nonce_of(&t, 0), 0);
    json_t *h = test_ok(&t, "eth_sendTransaction", p);
    CHECK(h && json_is_string(h));
    CHECK_EQ_U64(nonce_of(&t, 0), 1);
    if (h) {
        char q[100];
        snprintf(q, sizeof q, "[\"%s\"]", json_string_value(h));
        json_t *rc = test_ok(&t, "eth_getTransactionReceipt", q);
        CHECK(rc && !strcmp(json_string_value(json_object_get(rc, "status")) ?: "", "0x0"));
        json_decref(rc);
    }
    json_decref(h);
    test_node_close(&t);
}
