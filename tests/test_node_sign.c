/* EIP-712 hashing (src/node/eip712.c). The digests are checked against values computed
 * elsewhere: EIP-712's own example (digest and, with the key
 * keccak256("cow"), the signature the EIP gives) and cases whose digests
 * ethers' and viem's hashTypedData agree on (arrays fixed, dynamic and
 * nested, nested structs, bytes, string, bytesN, negative and extreme
 * integers written as numbers, decimal and hex strings, a cyclic type).
 * Every class of malformed typed data must be refused with a message. */
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
