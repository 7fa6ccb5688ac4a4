/* Unit tests for the Prague and Osaka transaction rules: the EIP-7702
 * set-code transaction (codec, signing, authorization tuples and their
 * signature rules, decoder bounds, intrinsic gas, static rules), the Osaka
 * gas cap (EIP-7825) and blob count (EIP-7594), and the blob transaction
 * network wrapper (EIP-4844 and EIP-7594 version 1).
 *
 * The type-4 vector was made with ethereumjs (@ethereumjs/tx 10.1.3), an
 * implementation independent of parevm's. */
#include "test.h"
#include <openssl/sha.h>
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/tx.h"

static uint8_t *unhex(const char *text, size_t *len) {
    uint8_t *p;
    if (!hex_decode_alloc(text, &p, len)) abort();
    return p;
}

static address addr_of(const char *text) {
    address a;
    if (!hex_to_fixed(text, a.b, 20)) abort();
    return a;
}

static const u256 SECP256K1N = {{0xbfd25e8cd0364141ULL, 0xbaaedce6af48a03bULL, 0xfffffffffffffffeULL,
                                 0xffffffffffffffffULL}};

static void key_of(uint8_t byte, uint8_t key[32]) { memset(key, byte, 32); }

/* ---- the ethereumjs vector --------------------------------------------- */

/* Signed with key 0x46..46: chain 1, nonce 7, tip 2, fee cap 1000, gas
 * 100000, to 0xaa..aa, value 5, data 00010203, one access-list entry
 * (0xbb..bb, key 1) and three authorizations: (chain 1, 0x42..42, nonce 0)
 * by key 0x01..01, (chain 0, zero address, nonce 0x1234) by key 0x02..02, and
 * (chain 2^248, 0x42..42, nonce 2^64-2) by key 0x01..01. */
static const char SET_CODE_TX[] =
    "0x04f901e30107028203e8830186a094aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa058400010203f838f794bbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbe1a00000000000000000000000000000000000000000000000000000000000000001f9013ef85a"
    "019442424242424242424242424242424242424242428080a01fb59b288b7b78a87857ffb4453c69ad3e856ed5296951347e2a38"
    "5790765b75a030035b938b909d1af4c3b24844dcd3a2e2f4ce8828f4e59773d03e2b8f61ac83f85c809400000000000000000000"
    "0000000000000000000082123401a06965f13864842a6176d168ecb2c97f9500d6d51605e40222a2b5e1dcaeeeb671a06faba713"
    "8013c408d6c924266a68df30f002949046d45fd51959a38bd9644929f882a0010000000000000000000000000000000000000000"
    "000000000000000000000094424242424242424242424242424242424242424288fffffffffffffffe80a0829e29e8721cdf150b"
    "0b2df6948cfbad04cb4d92ce07e6ff9e1b95fafebf48aca06ed7dd9f5cb0ed6a40b68ab4b0ae9265d2d17787267d0218a0aa4864"
    "1dc809e001a0c059ec361dff7a9e7dc079544d10922d1a3baaec2a3d81522513c054ce92cab7a03db6289cbf395b22e67d68536d"
    "e72f737622e263a9432126173f3aea8815cd8d";

TEST(set_code_tx_vector) {
    size_t len;
    uint8_t *raw = unhex(SET_CODE_TX, &len);
    transaction tx;
    char err[160] = "";
    CHECK(tx_decode(raw, len, &tx, err, sizeof err));
    if (err[0]) fprintf(stderr, "  %s\n", err);
    CHECK(tx.type == TX_SET_CODE && tx.chain_id == 1 && tx.nonce == 7 && tx.gas_limit == 100000);
    CHECK(tx.has_to && address_eq(&tx.to, &(address){{[0 ... 19] = 0xaa}}));
    CHECK(tx.access_list_len == 1 && tx.n_auths == 3);
    bytes32 want_hash;
    hex_to_fixed("0x5260e30b1a6b8b4ff0e8cc584184cba48fa544126a3e705f102b9020105194b0", want_hash.b, 32);
    CHECK(bytes32_eq(&tx.hash, &want_hash));
    CHECK(tx_recover_sender(&tx, true));
    address sender = addr_of("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
    CHECK(address_eq(&tx.sender, &sender));
    /* the authorities come with the sender */
    address a1 = addr_of("0x1a642f0e3c3af545e7acbd38b07251b3990914f1");
    address a2 = addr_of("0x5050a4f4b3f9338c3472dcc01a87c76a144b3c9c");
    CHECK(tx.auths[0].status == AUTH_VALID && address_eq(&tx.auths[0].authority, &a1));
    CHECK(tx.auths[1].status == AUTH_VALID && address_eq(&tx.auths[1].authority, &a2));
    CHECK(tx.auths[2].status == AUTH_VALID && address_eq(&tx.auths[2].authority, &a1));
    CHECK(tx.auths[1].nonce == 0x1234 && tx.auths[1].y_parity == 1 && u256_is_zero(&tx.auths[1].chain_id));
    CHECK(tx.auths[2].nonce == UINT64_MAX - 1 && tx.auths[2].chain_id.w[3] == 1ULL << 56);
    /* 21000 + data (1 zero, 3 non-zero) + 2400 + 1900 + 3 * 25000 */
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_PRAGUE), 100352);
    /* which its gas limit of 100000 does not cover */
    const char *why = tx_check_static(&tx, FORK_PRAGUE, 1);
    CHECK(why && !strcmp(why, "intrinsic gas too low"));
    transaction more = tx;
    more.gas_limit = 100352;
    CHECK(tx_check_static(&more, FORK_PRAGUE, 1) == NULL);
    CHECK(tx_check_static(&more, FORK_OSAKA, 1) == NULL);
    CHECK(tx_check_static(&more, FORK_CANCUN, 1) != NULL); /* no type 4 before Prague */
    /* the canonical encoding is the input */
    buf_t b = {0};
    tx_encode(&tx, &b);
    CHECK(b.len == len && !memcmp(b.data, raw, len));
    buf_free(&b);
    /* re-signing (RFC 6979) gives the same signatures */
    uint8_t k[32];
    key_of(0x01, k);
    authorization again = tx.auths[0];
    again.r = again.s = U256_ZERO;
    CHECK(tx_auth_sign(&again, k));
    CHECK(u256_eq(&again.r, &tx.auths[0].r) && u256_eq(&again.s, &tx.auths[0].s));
    transaction t = tx;
    t.r = t.s = t.v = U256_ZERO;
    key_of(0x46, k);
    CHECK(tx_sign(&t, k));
    CHECK(u256_eq(&t.r, &tx.r) && u256_eq(&t.s, &tx.s) && bytes32_eq(&t.hash, &tx.hash));
    tx_free(&tx);
    free(raw);
}

/* ---- authorization signature rules -------------------------------------- */

TEST(authorization_signature_rules) {
    uint8_t k[32];
    key_of(0x07, k);
    address who;
    CHECK(tx_address_of_key(k, &who));
    authorization a = {.chain_id = u256_from_u64(1), .addr = addr_of("0x00000000000000000000000000000000000000cc"),
                       .nonce = 3};
    CHECK(tx_auth_sign(&a, k));
    authorization t = a;
    CHECK(tx_auth_recover(&t) && t.status == AUTH_VALID && address_eq(&t.authority, &who));
    /* the message binds chain id, address and nonce */
    t = a;
    t.nonce = 4;
    CHECK(!tx_auth_recover(&t) || !address_eq(&t.authority, &who));
    /* the same signature with high s and the other parity: rejected (s <= n/2) */
    t = a;
    t.s = u256_sub(&SECP256K1N, &a.s);
    t.y_parity ^= 1;
    CHECK(!tx_auth_recover(&t) && t.status == AUTH_INVALID);
    /* y parity 2 and up, r or s of 0 or n: rejected */
    t = a;
    t.y_parity = 2;
    CHECK(!tx_auth_recover(&t));
    t = a;
    t.y_parity = 27; /* a legacy v is no y parity */
    CHECK(!tx_auth_recover(&t));
    const u256 bad[] = {U256_ZERO, SECP256K1N};
    for (int i = 0; i < 2; i++) {
        t = a;
        t.r = bad[i];
        CHECK(!tx_auth_recover(&t));
        t = a;
        t.s = bad[i];
        CHECK(!tx_auth_recover(&t));
    }
    /* the signing hash is keccak(0x05 || rlp([1, 0x00..cc, 3])) */
    uint8_t msg[1 + 1 + 1 + 21 + 1] = {0x05, 0xd7, 0x01, 0x94};
    msg[4 + 19] = 0xcc;
    msg[24] = 0x03;
    bytes32 h = keccak256_hash(msg, sizeof msg), got = tx_auth_signing_hash(&a);
    CHECK(bytes32_eq(&h, &got));
}

/* ---- decoder bounds ------------------------------------------------------ */

/* A signed set-code transaction whose authorization list is given as raw
 * RLP (the whole list), so tuples can be malformed. */
static void encode_with_auth_list(buf_t *out, const uint8_t *auth_list, size_t n, const char *to_hex) {
    buf_push(out, TX_SET_CODE);
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, 1);
    rlp_encode_u64(out, 0);
    rlp_encode_u64(out, 1);
    rlp_encode_u64(out, 10);
    rlp_encode_u64(out, 100000);
    uint8_t to[20];
    size_t to_len = to_hex ? (size_t)hex_decode(to_hex, to, sizeof to) : 0;
    rlp_encode_bytes(out, to, to_len);
    rlp_encode_u64(out, 0);
    rlp_encode_bytes(out, NULL, 0);
    size_t al = rlp_list_begin(out);
    rlp_list_end(out, al);
    rlp_encode_raw(out, auth_list, n);
    rlp_encode_u64(out, 1);
    rlp_encode_u64(out, 1);
    rlp_encode_u64(out, 1);
    rlp_list_end(out, l);
}

/* The RLP list of one tuple whose items are given as hex RLP. */
static void tuple_list(buf_t *out, const char *const items[], size_t n) {
    size_t outer = rlp_list_begin(out);
    size_t l = rlp_list_begin(out);
    for (size_t i = 0; i < n; i++) {
        uint8_t tmp[64];
        long k = hex_decode(items[i], tmp, sizeof tmp);
        if (k < 0) abort();
        rlp_encode_raw(out, tmp, (size_t)k);
    }
    rlp_list_end(out, l);
    rlp_list_end(out, outer);
}

static bool decodes(const buf_t *b) {
    transaction tx;
    char err[160];
    bool ok = tx_decode(b->data, b->len, &tx, err, sizeof err);
    if (ok) tx_free(&tx);
    return ok;
}

TEST(set_code_decoder_bounds) {
    const char *good[6] = {"01", "944242424242424242424242424242424242424242", "80", "01", "01", "01"};
    const char *to = "0x00000000000000000000000000000000000000aa";
    buf_t list = {0}, b = {0};
    tuple_list(&list, good, 6);
    encode_with_auth_list(&b, list.data, list.len, to);
    CHECK(decodes(&b));
    /* each field out of its bound, or not canonical */
    struct { int field; const char *item; } bad[] = {
        {0, "a1010000000000000000000000000000000000000000000000000000000000000000"}, /* chain id 2^256 */
        {1, "9342424242424242424242424242424242424242"},   /* 19-byte address */
        {1, "95424242424242424242424242424242424242424242"}, /* 21-byte address */
        {1, "80"},                       /* empty address */
        {2, "89010000000000000000"},     /* nonce 2^64 */
        {2, "820001"},                   /* leading zero */
        {3, "820100"},                   /* y parity 256 */
        {3, "c0"},                       /* a list */
        {4, "a1010000000000000000000000000000000000000000000000000000000000000000"}, /* r 2^256 */
        {5, "00"},                       /* non-canonical zero */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *items[6];
        memcpy(items, good, sizeof items);
        items[bad[i].field] = bad[i].item;
        buf_clear(&list);
        buf_clear(&b);
        tuple_list(&list, items, 6);
        encode_with_auth_list(&b, list.data, list.len, to);
        if (decodes(&b)) fprintf(stderr, "  accepted bad field %d = %s\n", bad[i].field, bad[i].item);
        CHECK(!decodes(&b));
    }
    /* a tuple of five or seven items; a tuple that is a string */
    const char *seven[7] = {"01", good[1], "80", "01", "01", "01", "01"};
    buf_clear(&list);
    buf_clear(&b);
    tuple_list(&list, good, 5);
    encode_with_auth_list(&b, list.data, list.len, to);
    CHECK(!decodes(&b));
    buf_clear(&list);
    buf_clear(&b);
    tuple_list(&list, seven, 7);
    encode_with_auth_list(&b, list.data, list.len, to);
    CHECK(!decodes(&b));
    uint8_t str_tuple[] = {0xc2, 0x81, 0x80};
    buf_clear(&b);
    encode_with_auth_list(&b, str_tuple, sizeof str_tuple, to);
    CHECK(!decodes(&b));
    /* the list itself a string */
    uint8_t not_list[] = {0x80};
    buf_clear(&b);
    encode_with_auth_list(&b, not_list, 1, to);
    CHECK(!decodes(&b));
    /* no `to`: a set-code transaction cannot create */
    buf_clear(&list);
    buf_clear(&b);
    tuple_list(&list, good, 6);
    encode_with_auth_list(&b, list.data, list.len, NULL);
    CHECK(!decodes(&b));
    /* an empty list decodes (the static rules reject it) */
    uint8_t empty[] = {0xc0};
    buf_clear(&b);
    encode_with_auth_list(&b, empty, 1, to);
    transaction tx;
    char err[160];
    CHECK(tx_decode(b.data, b.len, &tx, err, sizeof err));
    CHECK(tx.n_auths == 0);
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) != NULL);
    tx_free(&tx);
    /* type 5 does not exist */
    b.data[0] = 5;
    CHECK(!decodes(&b));
    buf_free(&list);
    buf_free(&b);
}

/* ---- static rules -------------------------------------------------------- */

static transaction signed_set_code(void) {
    transaction tx = {0};
    tx.type = TX_SET_CODE;
    tx.has_chain_id = true;
    tx.chain_id = 1;
    tx.max_fee = u256_from_u64(10);
    tx.max_priority_fee = u256_from_u64(1);
    tx.gas_limit = 100000;
    tx.has_to = true;
    tx.to = addr_of("0x00000000000000000000000000000000000000aa");
    tx.n_auths = 1;
    tx.auths = calloc(1, sizeof *tx.auths);
    tx.auths[0].addr = addr_of("0x00000000000000000000000000000000000000bb");
    uint8_t k[32];
    key_of(0x09, k);
    CHECK(tx_auth_sign(&tx.auths[0], k));
    key_of(0x0a, k);
    CHECK(tx_sign(&tx, k));
    return tx;
}

TEST(set_code_static_rules) {
    transaction tx = signed_set_code();
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_PRAGUE), 21000 + 25000);
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) == NULL);
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) != NULL);
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 2) != NULL); /* the transaction's chain id must be ours */
    transaction t = tx;
    t.gas_limit = 45999;
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) != NULL); /* intrinsic gas counts the tuple */
    t.gas_limit = 46000;
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) == NULL);
    t = tx;
    t.has_to = false;
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) != NULL);
    t = tx;
    t.n_auths = 0;
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) != NULL);
    t = tx;
    t.max_priority_fee = u256_from_u64(11);
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) != NULL);
    /* a bad tuple signature does not make the transaction invalid */
    t = tx;
    authorization bad = tx.auths[0];
    bad.y_parity = 5;
    t.auths = &bad;
    CHECK(tx_recover_sender(&t, true));
    CHECK(bad.status == AUTH_INVALID);
    CHECK(tx_check_static(&t, FORK_PRAGUE, 1) == NULL);
    tx_free(&tx);
}

TEST(osaka_gas_limit_cap) {
    transaction tx = signed_set_code();
    tx.gas_limit = TX_MAX_GAS_LIMIT_OSAKA;
    CHECK(tx_check_static(&tx, FORK_OSAKA, 1) == NULL);
    tx.gas_limit = TX_MAX_GAS_LIMIT_OSAKA + 1;
    CHECK(tx_check_static(&tx, FORK_OSAKA, 1) != NULL);
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) == NULL); /* no cap before Osaka */
    tx_free(&tx);
    CHECK_EQ_U64(TX_MAX_GAS_LIMIT_OSAKA, 16777216);
}

TEST(blob_count_per_transaction) {
    CHECK_EQ_U64(tx_max_blobs(FORK_SHANGHAI), 0);
    CHECK_EQ_U64(tx_max_blobs(FORK_CANCUN), 6);
    CHECK_EQ_U64(tx_max_blobs(FORK_PRAGUE), 9);
    CHECK_EQ_U64(tx_max_blobs(FORK_OSAKA), 6);
    transaction tx = {0};
    tx.type = TX_BLOB;
    tx.has_chain_id = true;
    tx.chain_id = 1;
    tx.max_fee = u256_from_u64(10);
    tx.max_fee_per_blob_gas = u256_from_u64(1);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.blob_hashes = calloc(9, sizeof(bytes32));
    for (int i = 0; i < 9; i++) tx.blob_hashes[i].b[0] = 0x01;
    tx.n_blob_hashes = 6;
    uint8_t k[32];
    key_of(0x0b, k);
    CHECK(tx_sign(&tx, k));
    CHECK(tx_check_static(&tx, FORK_OSAKA, 1) == NULL);
    tx.n_blob_hashes = 7;
    CHECK(tx_check_static(&tx, FORK_OSAKA, 1) != NULL);
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) == NULL);
    tx_free(&tx);
}

/* ---- blob network wrapper ------------------------------------------------- */

/* A signed blob transaction with n blobs whose commitments are made-up
 * 48-byte strings; versioned hashes computed from them (good = true) or
 * not. */
static transaction blob_tx(size_t n, uint8_t commitments[][48], bool good) {
    transaction tx = {0};
    tx.type = TX_BLOB;
    tx.has_chain_id = true;
    tx.chain_id = 1;
    tx.max_fee = u256_from_u64(10);
    tx.max_fee_per_blob_gas = u256_from_u64(1);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.n_blob_hashes = n;
    tx.blob_hashes = calloc(n, sizeof(bytes32));
    for (size_t i = 0; i < n; i++) {
        memset(commitments[i], 0xc0 + (int)i, 48);
        SHA256(commitments[i], 48, tx.blob_hashes[i].b);
        tx.blob_hashes[i].b[0] = 0x01;
        if (!good) tx.blob_hashes[i].b[31] ^= 1;
    }
    uint8_t k[32];
    key_of(0x0c, k);
    CHECK(tx_sign(&tx, k));
    return tx;
}

/* 0x03 || rlp([payload, (version,) blobs, commitments, proofs]) */
static void wrap(buf_t *out, const transaction *tx, int version, size_t n_blobs, size_t blob_size,
                 uint8_t commitments[][48], size_t n_commitments, size_t n_proofs) {
    buf_t plain = {0};
    tx_encode(tx, &plain);
    static uint8_t blob[TX_BLOB_SIZE + 1], proof[48];
    buf_push(out, TX_BLOB);
    size_t l = rlp_list_begin(out);
    rlp_encode_raw(out, plain.data + 1, plain.len - 1);
    if (version >= 0) rlp_encode_u64(out, (uint64_t)version);
    size_t x = rlp_list_begin(out);
    for (size_t i = 0; i < n_blobs; i++) rlp_encode_bytes(out, blob, blob_size);
    rlp_list_end(out, x);
    x = rlp_list_begin(out);
    for (size_t i = 0; i < n_commitments; i++) rlp_encode_bytes(out, commitments[i], 48);
    rlp_list_end(out, x);
    x = rlp_list_begin(out);
    for (size_t i = 0; i < n_proofs; i++) rlp_encode_bytes(out, proof, 48);
    rlp_list_end(out, x);
    rlp_list_end(out, l);
    buf_free(&plain);
}

/* Decodes and checks under fork; returns NULL, "decode" or the check's reason. */
static const char *network_verdict(const buf_t *b, fork_id fork, const bytes32 *want_hash) {
    tx_network n;
    char err[160];
    if (!tx_decode_network(b->data, b->len, &n, err, sizeof err)) return "decode";
    if (want_hash) CHECK(bytes32_eq(&n.tx.hash, want_hash));
    const char *why = tx_network_check(&n, fork);
    tx_network_free(&n);
    return why;
}

TEST(blob_network_wrapper) {
    uint8_t c[3][48] = {{0}};
    transaction tx = blob_tx(2, c, true);
    buf_t b = {0};
    /* EIP-4844 form: one proof per blob; valid before Osaka only */
    wrap(&b, &tx, -1, 2, TX_BLOB_SIZE, c, 2, 2);
    CHECK(network_verdict(&b, FORK_CANCUN, &tx.hash) == NULL);
    CHECK(network_verdict(&b, FORK_PRAGUE, &tx.hash) == NULL);
    CHECK(network_verdict(&b, FORK_OSAKA, &tx.hash) != NULL);
    /* EIP-7594 version 1: 128 cell proofs per blob, from Osaka */
    buf_clear(&b);
    wrap(&b, &tx, 1, 2, TX_BLOB_SIZE, c, 2, 2 * TX_CELLS_PER_EXT_BLOB);
    CHECK(network_verdict(&b, FORK_OSAKA, &tx.hash) == NULL);
    CHECK(network_verdict(&b, FORK_PRAGUE, &tx.hash) != NULL);
    tx_network n;
    char err[160];
    CHECK(tx_decode_network(b.data, b.len, &n, err, sizeof err));
    CHECK(n.has_sidecar && n.wrapper_version == 1 && n.n_blobs == 2 && n.n_commitments == 2 &&
          n.n_proofs == 256);
    CHECK(n.tx.sender_known == false && tx_recover_sender(&n.tx, true) && address_eq(&n.tx.sender, &tx.sender));
    tx_network_free(&n);
    /* wrong counts */
    struct { size_t blobs, commitments, proofs; } bad[] = {
        {1, 2, 128}, {2, 1, 256}, {2, 2, 255}, {2, 2, 257}, {2, 2, 2}, {3, 3, 384}, {0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_clear(&b);
        wrap(&b, &tx, 1, bad[i].blobs, TX_BLOB_SIZE, c, bad[i].commitments, bad[i].proofs);
        const char *v = network_verdict(&b, FORK_OSAKA, NULL);
        CHECK(v != NULL && strcmp(v, "decode"));
    }
    /* wrong sizes and versions: decoding fails */
    buf_clear(&b);
    wrap(&b, &tx, 1, 2, TX_BLOB_SIZE - 1, c, 2, 256);
    CHECK(network_verdict(&b, FORK_OSAKA, NULL) != NULL);
    buf_clear(&b);
    wrap(&b, &tx, 1, 2, TX_BLOB_SIZE + 1, c, 2, 256);
    CHECK(network_verdict(&b, FORK_OSAKA, NULL) != NULL);
    for (int version = 0; version <= 2; version += 2) {
        buf_clear(&b);
        wrap(&b, &tx, version, 2, TX_BLOB_SIZE, c, 2, 256);
        CHECK(!strcmp(network_verdict(&b, FORK_OSAKA, NULL), "decode"));
    }
    /* the bare transaction is not the network form of a blob transaction */
    buf_clear(&b);
    tx_encode(&tx, &b);
    CHECK(!strcmp(network_verdict(&b, FORK_OSAKA, NULL), "decode"));
    /* versioned hashes that do not match the commitments */
    transaction off = blob_tx(2, c, false);
    buf_clear(&b);
    wrap(&b, &off, 1, 2, TX_BLOB_SIZE, c, 2, 256);
    const char *v = network_verdict(&b, FORK_OSAKA, &off.hash);
    CHECK(v != NULL && strcmp(v, "decode"));
    tx_free(&off);
    /* other types pass through */
    transaction sc = signed_set_code();
    buf_clear(&b);
    tx_encode(&sc, &b);
    CHECK(network_verdict(&b, FORK_OSAKA, &sc.hash) == NULL);
    tx_free(&sc);
    /* truncated and garbage input */
    buf_clear(&b);
    wrap(&b, &tx, 1, 1, TX_BLOB_SIZE, c, 1, 128);
    for (size_t cut = 1; cut < b.len; cut += b.len / 7 + 1) {
        tx_network t;
        CHECK(!tx_decode_network(b.data, cut, &t, err, sizeof err));
    }
    buf_free(&b);
    tx_free(&tx);
}

/* ---- the replay loader reads type-4 transactions from RPC JSON ----------- */

#include <unistd.h>
#include "mainnet_fixture.h"

static void write_file(const char *dir, const char *name, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* The ethereumjs vector above, as eth_getBlockByNumber(n, true) shows it. */
static const char RPC_BLOCK[] =
    "{\"parentHash\":\"0x" "0000000000000000000000000000000000000000000000000000000000000000\","
    "\"sha3Uncles\":\"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\","
    "\"miner\":\"0x0000000000000000000000000000000000000000\","
    "\"stateRoot\":\"0x0000000000000000000000000000000000000000000000000000000000000000\","
    "\"transactionsRoot\":\"0x0000000000000000000000000000000000000000000000000000000000000000\","
    "\"receiptsRoot\":\"0x0000000000000000000000000000000000000000000000000000000000000000\","
    "\"logsBloom\":\"0x%0512d\",\"difficulty\":\"0x0\",\"number\":\"0x1\",\"gasLimit\":\"0x1c9c380\","
    "\"gasUsed\":\"0x0\",\"timestamp\":\"0x6800000\",\"extraData\":\"0x\","
    "\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"baseFeePerGas\":\"0x7\","
    "\"transactions\":[{\"type\":\"0x4\",\"chainId\":\"0x1\",\"nonce\":\"0x7\",\"maxPriorityFeePerGas\":\"0x2\","
    "\"maxFeePerGas\":\"0x3e8\",\"gas\":\"0x186a0\",\"to\":\"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "\"value\":\"0x5\",\"input\":\"0x00010203\",\"accessList\":[{\"address\":"
    "\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"storageKeys\":["
    "\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}],"
    "\"authorizationList\":["
    "{\"chainId\":\"0x1\",\"address\":\"0x4242424242424242424242424242424242424242\",\"nonce\":\"0x0\","
    "\"yParity\":\"0x0\",\"r\":\"0x1fb59b288b7b78a87857ffb4453c69ad3e856ed5296951347e2a385790765b75\","
    "\"s\":\"0x30035b938b909d1af4c3b24844dcd3a2e2f4ce8828f4e59773d03e2b8f61ac83\"},"
    "{\"chainId\":\"0x0\",\"address\":\"0x0000000000000000000000000000000000000000\",\"nonce\":\"0x1234\","
    "\"yParity\":\"0x1\",\"r\":\"0x6965f13864842a6176d168ecb2c97f9500d6d51605e40222a2b5e1dcaeeeb671\","
    "\"s\":\"0x6faba7138013c408d6c924266a68df30f002949046d45fd51959a38bd9644929\"},"
    "{\"chainId\":\"0x100000000000000000000000000000000000000000000000000000000000000\","
    "\"address\":\"0x4242424242424242424242424242424242424242\",\"nonce\":\"0xfffffffffffffffe\","
    "\"yParity\":\"0x0\",\"r\":\"0x829e29e8721cdf150b0b2df6948cfbad04cb4d92ce07e6ff9e1b95fafebf48ac\","
    "\"s\":\"0x6ed7dd9f5cb0ed6a40b68ab4b0ae9265d2d17787267d0218a0aa48641dc809e0\"}],"
    "\"v\":\"0x1\",\"yParity\":\"0x1\","
    "\"r\":\"0xc059ec361dff7a9e7dc079544d10922d1a3baaec2a3d81522513c054ce92cab7\","
    "\"s\":\"0x3db6289cbf395b22e67d68536de72f737622e263a9432126173f3aea8815cd8d\","
    "\"from\":\"0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f\"}]}";

TEST(replay_loader_reads_set_code_transactions) {
    char dir[] = "/tmp/parevm_test_7702_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char block_json[sizeof RPC_BLOCK + 600];
    snprintf(block_json, sizeof block_json, RPC_BLOCK, 0);
    write_file(dir, "block.json", block_json);
    write_file(dir, "pre_state.json", "{}");
    mainnet_block mb;
    char err[400] = "";
    CHECK(mainnet_block_load(dir, &mb, err, sizeof err));
    if (err[0]) fprintf(stderr, "  %s\n", err);
    if (!err[0]) {
        CHECK(mb.blk.n_txs == 1);
        CHECK(mainnet_block_recover_senders(&mb, true, err, sizeof err));
        transaction *tx = &mb.blk.txs[0];
        CHECK(tx->type == TX_SET_CODE && tx->n_auths == 3 && tx->auths[2].nonce == UINT64_MAX - 1);
        /* the same transaction as the raw vector, byte for byte */
        size_t len;
        uint8_t *raw = unhex(SET_CODE_TX, &len);
        buf_t b = {0};
        tx_encode(tx, &b);
        CHECK(b.len == len && !memcmp(b.data, raw, len));
        CHECK(tx->auths[0].status == AUTH_VALID);
        buf_free(&b);
        free(raw);
        mainnet_block_free(&mb);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/block.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/pre_state.json", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- the replay loader reads every pre-state form pevm has written ------- */

#include <jansson.h>
#include <sys/stat.h>
#include "parevm/state_root.h"

static void rm_tree(const char *dir) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* The fixture block's pre-state rewritten with its fields at the top level
 * and code in form `form` (0: {"Legacy": {...}}, 1: plain hex, 2: only a
 * code_hash, the code in bytecodes.json one folder up; 3: pevm's older
 * {info: {balance, nonce, code: {"LegacyRaw": hex}}, storage}), nonces as
 * quantity strings every other account; writes dir/b/{block.json,pre_state.json}. */
static void write_variant(const char *src, const char *dir, int form) {
    char path[700];
    snprintf(path, sizeof path, "%s/pre_state.json", src);
    json_t *pre = json_load_file(path, 0, NULL), *out = json_object(), *codes = json_object();
    CHECK(pre != NULL);
    if (!pre) return;
    const char *key;
    json_t *acct;
    int i = 0;
    json_object_foreach(pre, key, acct) {
        json_t *basic = json_object_get(acct, "basic"), *code = json_object_get(acct, "code");
        json_t *a = json_pack("{s:O,s:O}", "balance", json_object_get(basic, "balance"), "storage",
                              json_object_get(acct, "storage"));
        if (i++ % 2) {
            char q[40];
            snprintf(q, sizeof q, "0x%llx", (unsigned long long)json_integer_value(json_object_get(basic, "nonce")));
            json_object_set_new(a, "nonce", json_string(q));
        } else {
            json_object_set(a, "nonce", json_object_get(basic, "nonce"));
        }
        if (json_is_object(code)) {
            const char *hex = json_string_value(json_object_get(code, "bytecode"));
            size_t len = (size_t)json_integer_value(json_object_get(code, "original_len"));
            char *exact = strndup(hex, 2 + 2 * len);
            if (form == 0) json_object_set_new(a, "code", json_pack("{s:O}", "Legacy", code));
            else if (form == 1) json_object_set_new(a, "code", json_string(exact));
            else if (form == 3) json_object_set_new(a, "code", json_pack("{s:s}", "LegacyRaw", exact));
            else {
                size_t n;
                uint8_t *raw = unhex(exact, &n);
                uint8_t h[32];
                keccak256(raw, n, h);
                char hh[67];
                hex_encode(h, 32, hh);
                json_object_set_new(a, "code_hash", json_string(hh));
                json_object_set_new(codes, hh, json_string(exact));
                free(raw);
            }
            free(exact);
        }
        if (form == 3) { /* all but the storage inside "info" */
            json_t *storage = json_incref(json_object_get(a, "storage"));
            json_object_del(a, "storage");
            a = json_pack("{s:o,s:o}", "info", a, "storage", storage);
        }
        json_object_set_new(out, key, a);
    }
    char sub[600];
    snprintf(sub, sizeof sub, "%.500s/b", dir);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(path, sizeof path, "%s/pre_state.json", sub);
    CHECK(json_dump_file(out, path, 0) == 0);
    if (form == 2) {
        snprintf(path, sizeof path, "%s/bytecodes.json", dir);
        CHECK(json_dump_file(codes, path, 0) == 0);
    }
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "cp '%s/block.json' '%s/'", src, sub);
    CHECK(system(cmd) == 0);
    json_decref(pre);
    json_decref(out);
    json_decref(codes);
}

/* A block folder (mkdtemp on dir) of the vector block and one account
 * 0xaa..aa whose code field is code_json. */
static void write_one_account_block(char *dir, const char *code_json) {
    CHECK(mkdtemp(dir) != NULL);
    char block_json[sizeof RPC_BLOCK + 600], pre[400];
    snprintf(block_json, sizeof block_json, RPC_BLOCK, 0);
    write_file(dir, "block.json", block_json);
    snprintf(pre, sizeof pre, "{\"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"balance\":\"0x1\",\"nonce\":3,\"code\":%s}}",
             code_json);
    write_file(dir, "pre_state.json", pre);
}

TEST(replay_loader_reads_every_pre_state_form) {
    char src[600];
    snprintf(src, sizeof src, "%s/mainnet/19932703", test_fixtures_dir());
    mainnet_block want;
    char err[400] = "";
    CHECK(mainnet_block_load(src, &want, err, sizeof err));
    if (err[0]) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    bytes32 want_root = mem_state_root(want.pre);
    for (int form = 0; form < 4; form++) {
        char dir[] = "/tmp/parevm_test_prestate_XXXXXX", sub[600];
        CHECK(mkdtemp(dir) != NULL);
        write_variant(src, dir, form);
        snprintf(sub, sizeof sub, "%s/b", dir);
        mainnet_block got;
        err[0] = 0;
        bool ok = mainnet_block_load(sub, &got, err, sizeof err);
        CHECK(ok);
        if (!ok) fprintf(stderr, "  form %d: %s\n", form, err);
        if (ok) {
            bytes32 r = mem_state_root(got.pre);
            CHECK(bytes32_eq(&r, &want_root));
            mainnet_block_free(&got);
        }
        if (form == 2) { /* without bytecodes.json the code is missing: a clear error */
            char p[700];
            snprintf(p, sizeof p, "%s/bytecodes.json", dir);
            unlink(p);
            CHECK(!mainnet_block_load(sub, &got, err, sizeof err) && strstr(err, "without its code"));
        }
        rm_tree(dir);
    }
    mainnet_block_free(&want);

    /* EIP-7702 designators, as pevm and revm write them */
    static const char *forms[] = {"{\"Eip7702\":\"0x4242424242424242424242424242424242424242\"}",
                                  ("{\"Eip7702\":{\"delegated_address\":\"0x4242424242424242424242424242424242424242\","
                                   "\"version\":0}}"),
                                  "\"0xef01004242424242424242424242424242424242424242\""};
    for (int f = 0; f < 3; f++) {
        char dir[] = "/tmp/parevm_test_7702pre_XXXXXX";
        write_one_account_block(dir, forms[f]);
        mainnet_block mb;
        CHECK(mainnet_block_load(dir, &mb, err, sizeof err));
        address a;
        memset(a.b, 0xaa, 20);
        state_view v = mem_state_view(mb.pre);
        const evm_code *c = v.ops->get_code(v.ctx, &a);
        CHECK(c->len == 23 && c->bytes[0] == 0xef && c->bytes[1] == 0x01 && c->bytes[2] == 0 && c->bytes[3] == 0x42);
        mainnet_block_free(&mb);
        rm_tree(dir);
    }
    /* malformed forms are errors naming the account */
    static const char *bad[] = {"{\"Eip7702\":\"0x42\"}", "7", "{\"Legacy\":{\"bytecode\":\"0x6000\",\"original_len\":3}}",
                                "\"0x600\"", "{\"Legacy\":{\"Legacy\":\"0x00\"}}"};
    for (int f = 0; f < 5; f++) {
        char dir[] = "/tmp/parevm_test_badpre_XXXXXX";
        write_one_account_block(dir, bad[f]);
        mainnet_block mb;
        CHECK(!mainnet_block_load(dir, &mb, err, sizeof err) && strstr(err, "0xaaaaaaaa"));
        rm_tree(dir);
    }
}
