/* Unit tests for transactions: codec round trips of every type, signing and
 * sender recovery (EIP-155 and EIP-4844 vectors), signature rules, rejection
 * of each class of malformed input, intrinsic gas and the static checks. */
#include "test.h"
#include <pthread.h>
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/tx.h"

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *unhex(const char *text, size_t *len) {
    uint8_t *p;
    if (!hex_decode_alloc(text, &p, len)) abort();
    return p;
}

static bool decodes_hex(const char *text, transaction *tx, char *err, size_t errlen) {
    size_t len;
    uint8_t *raw = unhex(text, &len);
    bool ok = tx_decode(raw, len, tx, err, errlen);
    free(raw);
    return ok;
}

static bool encoding_is(const transaction *tx, const uint8_t *want, size_t len) {
    buf_t b = {0};
    tx_encode(tx, &b);
    bool same = b.len == len && memcmp(b.data, want, len) == 0;
    buf_free(&b);
    return same;
}

static address addr_of(const char *text) {
    address a;
    if (!hex_to_fixed(text, a.b, 20)) abort();
    return a;
}

static u256 u256_of(const char *text) {
    uint8_t b[32];
    if (!hex_to_fixed(text, b, 32)) abort();
    return u256_from_be(b, 32);
}

static const uint8_t KEY_46[32] = {
    0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46,
    0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46};

/* The EIP-155 example transaction before signing. */
static transaction eip155_example(void) {
    transaction tx = {0};
    tx.type = TX_LEGACY;
    tx.nonce = 9;
    tx.gas_price = u256_from_u64(20000000000ULL);
    tx.gas_limit = 21000;
    tx.has_to = true;
    tx.to = addr_of("0x3535353535353535353535353535353535353535");
    tx.value = u256_from_u64(1000000000000000000ULL);
    tx.has_chain_id = true;
    tx.chain_id = 1;
    return tx;
}

static const char EIP155_SIGNED[] =
    "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080"
    "25a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aec"
    "b703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

/* A transaction of the given type with every field of that type set. The
 * heap parts (data, access list, blob hashes) are owned: tx_free() them. */
static transaction full_tx(uint8_t type) {
    transaction tx = {0};
    tx.type = type;
    tx.has_chain_id = type != TX_LEGACY;
    tx.chain_id = 1;
    tx.nonce = 0x1234;
    tx.gas_limit = 100000;
    tx.gas_price = u256_from_u64(7);
    if (type >= TX_DYNAMIC_FEE) {
        tx.gas_price = U256_ZERO;
        tx.max_priority_fee = u256_from_u64(2);
        tx.max_fee = u256_from_u64(1000);
    }
    tx.has_to = true;
    tx.to = addr_of("0x00000000000000000000000000000000000000aa");
    tx.value = u256_of("0x0100000000000000000000000000000000000000000000000000000000000001");
    tx.data_len = 5;
    tx.data = malloc(5);
    memcpy(tx.data, "\x00\x01\x00\x02\x03", 5);
    if (type >= TX_ACCESS_LIST) {
        tx.access_list_len = 2;
        tx.access_list = calloc(2, sizeof(access_entry));
        tx.access_list[0].addr = addr_of("0x00000000000000000000000000000000000000bb");
        tx.access_list[0].n_keys = 2;
        tx.access_list[0].keys = calloc(2, sizeof(bytes32));
        tx.access_list[0].keys[1].b[31] = 1;
        tx.access_list[1].addr = addr_of("0x00000000000000000000000000000000000000cc");
    }
    if (type == TX_BLOB) {
        tx.max_fee_per_blob_gas = u256_from_u64(3);
        tx.n_blob_hashes = 2;
        tx.blob_hashes = calloc(2, sizeof(bytes32));
        tx.blob_hashes[0].b[0] = tx.blob_hashes[1].b[0] = 0x01;
        tx.blob_hashes[1].b[31] = 0x42;
    }
    return tx;
}

static address signer_of(const uint8_t key[32]) {
    transaction tx = full_tx(TX_LEGACY);
    CHECK(tx_sign(&tx, key));
    address a = tx.sender;
    tx_free(&tx);
    return a;
}

/* ---- round trips and signatures ---------------------------------------- */

TEST(tx_eip155_example_vector) {
    transaction tx = eip155_example();
    bytes32 h = tx_signing_hash(&tx);
    uint8_t want[32];
    hex_to_fixed("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53", want, 32);
    CHECK_MEM(h.b, want, 32);
    CHECK(tx_sign(&tx, KEY_46));
    CHECK_EQ_U64(tx.v.w[0], 37);
    size_t len;
    uint8_t *raw = unhex(EIP155_SIGNED, &len);
    CHECK(encoding_is(&tx, raw, len));
    bytes32 hash = keccak256_hash(raw, len);
    CHECK(bytes32_eq(&tx.hash, &hash));

    transaction d;
    char err[128];
    CHECK(tx_decode(raw, len, &d, err, sizeof err));
    CHECK(d.has_chain_id && d.chain_id == 1 && d.nonce == 9 && d.gas_limit == 21000);
    CHECK(bytes32_eq(&d.hash, &hash));
    CHECK(tx_recover_sender(&d, true));
    CHECK(address_eq(&d.sender, &tx.sender));
    CHECK(address_eq(&d.sender, &(address){{0x9d, 0x8a, 0x62, 0xf6, 0x56, 0xa8, 0xd1, 0x61, 0x5c,
                                            0x12, 0x94, 0xfd, 0x71, 0xe9, 0xcf, 0xb3, 0xe4, 0x85,
                                            0x5a, 0x4f}}));
    CHECK(tx_check_static(&d, FORK_LONDON, 1) == NULL);
    CHECK(tx_check_static(&d, FORK_LONDON, 5) != NULL);          /* wrong chain */
    CHECK(tx_check_static(&d, FORK_HOMESTEAD, 1) != NULL);       /* before EIP-155 */
    CHECK(tx_check_static(&d, FORK_SPURIOUS_DRAGON, 1) == NULL);
    tx_free(&d);
    free(raw);
}

TEST(tx_eip155_v_values) {
    transaction tx = eip155_example();
    for (uint64_t chain = 0; chain < 4; chain++) {
        tx.chain_id = chain;
        CHECK(tx_sign(&tx, KEY_46));
        CHECK(tx.v.w[0] == chain * 2 + 35 || tx.v.w[0] == chain * 2 + 36);
        buf_t b = {0};
        tx_encode(&tx, &b);
        transaction d;
        CHECK(tx_decode(b.data, b.len, &d, NULL, 0));
        CHECK(d.has_chain_id && d.chain_id == chain);
        CHECK(tx_recover_sender(&d, true) && address_eq(&d.sender, &tx.sender));
        tx_free(&d);
        buf_free(&b);
    }
    /* A chain id that needs all 64 bits still gives a v that round-trips. */
    tx.chain_id = UINT64_MAX;
    CHECK(tx_sign(&tx, KEY_46));
    CHECK(tx.v.w[1] == 2); /* 2^65 + 33 or 34 */
    transaction d;
    buf_t b = {0};
    tx_encode(&tx, &b);
    CHECK(tx_decode(b.data, b.len, &d, NULL, 0) && d.chain_id == UINT64_MAX);
    CHECK(tx_recover_sender(&d, true) && address_eq(&d.sender, &tx.sender));
    tx_free(&d);
    buf_free(&b);
    /* Without a chain id: 27 or 28, and no chain id on decode. */
    tx.has_chain_id = false;
    CHECK(tx_sign(&tx, KEY_46));
    CHECK(tx.v.w[0] == 27 || tx.v.w[0] == 28);
    /* v values that are neither: recovery fails. */
    uint64_t bad[] = {0, 1, 26, 29, 34};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        transaction t = tx;
        t.v = u256_from_u64(bad[i]);
        CHECK(!tx_recover_sender(&t, true));
        CHECK(tx_check_static(&t, FORK_LONDON, 1) != NULL);
    }
}

TEST(tx_roundtrip_each_type) {
    address want = signer_of(KEY_46);
    for (uint8_t type = TX_LEGACY; type <= TX_BLOB; type++) {
        transaction tx = full_tx(type);
        CHECK(tx_sign(&tx, KEY_46));
        CHECK(address_eq(&tx.sender, &want));
        buf_t b = {0};
        tx_encode(&tx, &b);
        CHECK(type == TX_LEGACY ? b.data[0] >= 0xc0 : b.data[0] == type);
        transaction d;
        char err[128] = "";
        CHECK(tx_decode(b.data, b.len, &d, err, sizeof err));
        if (err[0]) fprintf(stderr, "  type %u: %s\n", type, err);
        CHECK(d.type == type && d.nonce == tx.nonce && d.gas_limit == tx.gas_limit);
        CHECK(u256_eq(&d.value, &tx.value) && u256_eq(&d.max_fee, &tx.max_fee));
        CHECK(d.data_len == 5 && memcmp(d.data, tx.data, 5) == 0);
        CHECK(d.access_list_len == tx.access_list_len && d.n_blob_hashes == tx.n_blob_hashes);
        if (type >= TX_ACCESS_LIST)
            CHECK(d.access_list[0].n_keys == 2 && d.access_list[0].keys[1].b[31] == 1);
        CHECK(bytes32_eq(&d.hash, &tx.hash));
        CHECK(encoding_is(&d, b.data, b.len));
        CHECK(tx_recover_sender(&d, true) && address_eq(&d.sender, &want));
        CHECK(tx_check_static(&d, FORK_CANCUN, 1) == NULL);
        /* A changed field changes the signing hash, so the sender. */
        d.nonce++;
        CHECK(!tx_recover_sender(&d, true) || !address_eq(&d.sender, &want));
        tx_free(&d);
        tx_free(&tx);
        buf_free(&b);
    }
}

TEST(tx_creation_roundtrip) {
    transaction tx = full_tx(TX_DYNAMIC_FEE);
    tx.has_to = false;
    CHECK(tx_sign(&tx, KEY_46));
    buf_t b = {0};
    tx_encode(&tx, &b);
    transaction d;
    CHECK(tx_decode(b.data, b.len, &d, NULL, 0) && !d.has_to);
    CHECK(encoding_is(&d, b.data, b.len));
    tx_free(&d);
    tx_free(&tx);
    buf_free(&b);
}

/* A blob transaction from the EIP-4844 state tests (pyspec), signed with
 * the usual test key 0x45a9...f2d8. */
TEST(tx_blob_vector) {
    static const char raw_hex[] =
        "0x03f886018080078307a1209400000000000000000000000000000000000001000180c001e1a00100"
        "00000000000000000000000000000000000000000000000000000000000001a08633745d9ccae895"
        "b1cd9b35473bf2c2f19230b32ebecf93fcf6e98e08868a7fa02df5e81e127ad763e99e70e134ea21"
        "4d74d47e80787950b1959551c7b61f68ea";
    transaction d;
    char err[128];
    CHECK(decodes_hex(raw_hex, &d, err, sizeof err));
    CHECK(d.type == TX_BLOB && d.n_blob_hashes == 1 && d.blob_hashes[0].b[0] == 1);
    CHECK(d.gas_limit == 500000 && d.has_to && d.to.b[18] == 1);
    CHECK(tx_recover_sender(&d, true));
    address want = addr_of("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b");
    CHECK(address_eq(&d.sender, &want));
    CHECK(tx_check_static(&d, FORK_CANCUN, 1) == NULL);
    CHECK(tx_check_static(&d, FORK_SHANGHAI, 1) != NULL);
    /* Re-signing the same fields (RFC 6979 nonces) gives the same bytes. */
    uint8_t key[32];
    hex_to_fixed("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8", key, 32);
    transaction s = d;
    s.r = s.s = s.v = U256_ZERO;
    CHECK(tx_sign(&s, key));
    CHECK(u256_eq(&s.r, &d.r) && u256_eq(&s.s, &d.s) && u256_eq(&s.v, &d.v));
    CHECK(bytes32_eq(&s.hash, &d.hash));
    tx_free(&d);
}

TEST(tx_signature_ranges) {
    transaction tx = eip155_example();
    CHECK(tx_sign(&tx, KEY_46));
    address want = tx.sender;
    const u256 n = u256_of("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    /* (r, n - s) with the other parity is the same signature with high s:
     * valid in Frontier, rejected from Homestead (EIP-2). */
    transaction hi = tx;
    hi.s = u256_sub(&n, &tx.s);
    hi.v = u256_from_u64(tx.v.w[0] == 37 ? 38 : 37);
    CHECK(!tx_recover_sender(&hi, true));
    CHECK(tx_recover_sender(&hi, false) && address_eq(&hi.sender, &want));
    /* s = n/2 is still low, n/2 + 1 is high (static rule and recovery). */
    u256 half = u256_shr(&n, 1);
    transaction t = tx;
    t.has_chain_id = false;
    t.v = u256_from_u64(27);
    t.s = half;
    CHECK(tx_check_static(&t, FORK_HOMESTEAD, 1) == NULL);
    t.s = u256_add(&half, &(u256){{1, 0, 0, 0}});
    CHECK(!tx_recover_sender(&t, true));
    CHECK(tx_check_static(&t, FORK_HOMESTEAD, 1) != NULL);
    CHECK(tx_check_static(&t, FORK_FRONTIER, 1) == NULL);
    /* r, s outside [1, n-1] are rejected under every rule. */
    const u256 bad[] = {U256_ZERO, n, u256_add(&n, &(u256){{1, 0, 0, 0}})};
    for (size_t i = 0; i < 3; i++) {
        t = tx;
        t.r = bad[i];
        CHECK(!tx_recover_sender(&t, false));
        t = tx;
        t.s = bad[i];
        CHECK(!tx_recover_sender(&t, false));
    }
    /* Typed: y parity must be 0 or 1. */
    transaction typed = full_tx(TX_DYNAMIC_FEE);
    CHECK(tx_sign(&typed, KEY_46));
    typed.v = u256_from_u64(2);
    CHECK(!tx_recover_sender(&typed, true));
    CHECK(tx_check_static(&typed, FORK_LONDON, 1) != NULL);
    typed.v = u256_from_u64(27);
    CHECK(!tx_recover_sender(&typed, true));
    tx_free(&typed);
}

/* A sender from elsewhere (the pool) is taken only where the signature
 * values would let recovery run: the same checks, no recovery. */
TEST(tx_take_sender_checks_the_signature_values) {
    transaction tx = eip155_example();
    CHECK(tx_sign(&tx, KEY_46));
    address who = tx.sender, other = {{7}};
    transaction t = tx;
    CHECK(tx_take_sender(&t, true, &other) && t.sender_known && address_eq(&t.sender, &other));
    const u256 n = u256_of("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    t = tx;
    t.s = u256_sub(&n, &tx.s); /* high s: Frontier only */
    t.v = u256_from_u64(tx.v.w[0] == 37 ? 38 : 37);
    CHECK(!tx_take_sender(&t, true, &who) && !t.sender_known);
    CHECK(tx_take_sender(&t, false, &who));
    t = tx;
    t.v = u256_from_u64(40); /* another chain's v */
    CHECK(!tx_take_sender(&t, false, &who) && !t.sender_known);
    t = tx;
    t.r = U256_ZERO;
    CHECK(!tx_take_sender(&t, false, &who));
}

/* ---- malformed input --------------------------------------------------- */

/* RLP items of the signed EIP-155 example, one hex string each. */
static const char *const good_items[9] = {
    "09", "8504a817c800", "825208", "943535353535353535353535353535353535353535",
    "880de0b6b3a7640000", "80", "25",
    "a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276",
    "a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"};

/* Encodes a list of n items given as hex RLP, with an optional type prefix. */
static void encode_items(buf_t *b, int type, const char *const *items, size_t n) {
    if (type >= 0) buf_push(b, (uint8_t)type);
    size_t l = rlp_list_begin(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t tmp[128];
        long k = hex_decode(items[i], tmp, sizeof tmp);
        if (k < 0) abort();
        rlp_encode_raw(b, tmp, (size_t)k);
    }
    rlp_list_end(b, l);
}

/* Expects the legacy example with item i replaced by `item` to be rejected
 * with a message (and the unmodified list to decode). */
static void expect_reject_bytes(const uint8_t *p, size_t n, const char *what) {
    transaction tx;
    char err[160] = "";
    bool ok = tx_decode(p, n, &tx, err, sizeof err);
    if (ok) {
        fprintf(stderr, "  accepted: %s\n", what);
        tx_free(&tx);
    }
    CHECK(!ok);
    CHECK(err[0] != 0);
    /* A failed decode leaves nothing to free. */
    CHECK(tx.data == NULL && tx.access_list == NULL && tx.blob_hashes == NULL);
}

static void expect_reject_item(size_t i, const char *item) {
    const char *items[9];
    memcpy(items, good_items, sizeof items);
    items[i] = item;
    buf_t b = {0};
    encode_items(&b, -1, items, 9);
    expect_reject_bytes(b.data, b.len, item);
    buf_free(&b);
}

TEST(tx_reject_malformed_legacy) {
    buf_t b = {0};
    encode_items(&b, -1, good_items, 9);
    transaction tx;
    CHECK(tx_decode(b.data, b.len, &tx, NULL, 0));
    tx_free(&tx);

    expect_reject_bytes(b.data, b.len - 1, "truncated");
    expect_reject_bytes(b.data, 0, "empty");
    buf_push(&b, 0x00);
    expect_reject_bytes(b.data, b.len, "trailing byte");
    b.len--;

    expect_reject_item(0, "820009");      /* non-canonical integer: leading zero */
    expect_reject_item(0, "00");          /* zero as 0x00 instead of 0x80 */
    expect_reject_item(0, "8109");        /* single byte in a string header */
    expect_reject_item(0, "89010000000000000000"); /* nonce above 2^64-1 */
    expect_reject_item(2, "89010000000000000000"); /* gas above 2^64-1 */
    expect_reject_item(4, "a1010000000000000000000000000000000000000000000000000000000000000000");
    expect_reject_item(3, "9335353535353535353535353535353535353535");     /* 19-byte to */
    expect_reject_item(3, "95353535353535353535353535353535353535353535"); /* 21-byte to */
    expect_reject_item(3, "c0");          /* to given as a list */
    expect_reject_item(5, "c0");          /* data given as a list */
    expect_reject_item(7, "a00028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa6362");

    /* Wrong item counts. */
    buf_t c = {0};
    encode_items(&c, -1, good_items, 8);
    expect_reject_bytes(c.data, c.len, "8 items");
    buf_clear(&c);
    const char *ten[10];
    memcpy(ten, good_items, sizeof good_items);
    ten[9] = "80";
    encode_items(&c, -1, ten, 10);
    expect_reject_bytes(c.data, c.len, "10 items");

    /* A string where the list should be, and legacy items behind a type. */
    static const uint8_t str[] = {0x83, 1, 2, 3};
    expect_reject_bytes(str, sizeof str, "string");
    for (int type = 0; type < 0x80; type++) {
        if (type >= TX_ACCESS_LIST && type <= TX_BLOB) continue;
        buf_clear(&c);
        encode_items(&c, type, good_items, 9);
        expect_reject_bytes(c.data, c.len, "unknown type");
    }
    buf_clear(&c);
    encode_items(&c, TX_DYNAMIC_FEE, good_items, 9); /* known type, wrong count */
    expect_reject_bytes(c.data, c.len, "type 2 with 9 items");
    buf_free(&c);
    buf_free(&b);
}

/* Typed fields: access-list and blob-hash shapes, creation blob txs. */
TEST(tx_reject_malformed_typed) {
    transaction tx = full_tx(TX_BLOB);
    CHECK(tx_sign(&tx, KEY_46));
    buf_t b = {0};
    tx_encode(&tx, &b);
    /* Flip the first blob hash's length byte 0xa0 (32) to 0x9f (31): the
     * list lengths are then off as well, so it must fail somewhere. */
    for (size_t i = 1; i + 1 < b.len; i++) {
        if (b.data[i] != 0xa0 || b.data[i + 1] != 0x01) continue;
        b.data[i] = 0x9f;
        expect_reject_bytes(b.data, b.len, "31-byte blob hash");
        b.data[i] = 0xa0;
        break;
    }
    /* Truncate everywhere: no prefix of a transaction is one. */
    for (size_t n = 0; n < b.len; n++) expect_reject_bytes(b.data, n, "prefix");
    buf_free(&b);

    /* Access list items built by hand (type 1, 11 fields). */
    const char *items[11] = {"01", "80", "01", "825208",
                             "940000000000000000000000000000000000000000", "80", "80", "c0",
                             "80", "01", "01"};
    static const char *const bad_lists[] = {
        "d7d6940000000000000000000000000000000000000000c0", /* control: valid */
        "d6d59300000000000000000000000000000000000000c0",   /* 19-byte address */
        "d8d795000000000000000000000000000000000000000000c0", /* 21-byte address */
        "d8d7940000000000000000000000000000000000000000c0c0", /* 3 items */
        "d6d5940000000000000000000000000000000000000000",   /* 1 item */
        "f7f6940000000000000000000000000000000000000000e09f0000000000000000000000000000"
        "0000000000000000000000000000000001", /* 31-byte key */
        "f83af838940000000000000000000000000000000000000000e2a1000000000000000000000000"
        "000000000000000000000000000000000000000001", /* 33-byte key */
        "d8d7940000000000000000000000000000000000000000c1c0", /* key is a list */
        "d7d694000000000000000000000000000000000000000080", /* keys not a list */
        "d5940000000000000000000000000000000000000000",     /* entry not a list */
        "80",                                               /* list is a string */
    };
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        items[7] = bad_lists[i];
        buf_t c = {0};
        encode_items(&c, TX_ACCESS_LIST, items, 11);
        transaction d;
        char err[160] = "";
        bool ok = tx_decode(c.data, c.len, &d, err, sizeof err);
        CHECK(ok == (i == 0));
        if (ok) tx_free(&d);
        else CHECK(err[0] != 0);
        buf_free(&c);
    }

    /* A blob transaction cannot create a contract: `to` is required. */
    tx.has_to = false;
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) != NULL);
    buf_t c = {0};
    tx_encode(&tx, &c);
    expect_reject_bytes(c.data, c.len, "blob creation");
    buf_free(&c);
    tx_free(&tx);
}

/* ---- gas and static rules ---------------------------------------------- */

TEST(tx_intrinsic_gas_per_fork) {
    transaction tx = full_tx(TX_LEGACY); /* data 00 01 00 02 03: 2 zero, 3 non-zero */
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_FRONTIER), 21000 + 2 * 4 + 3 * 68);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_PETERSBURG), 21000 + 2 * 4 + 3 * 68);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_ISTANBUL), 21000 + 2 * 4 + 3 * 16);
    tx.has_to = false;
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_FRONTIER), 21000 + 2 * 4 + 3 * 68);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_HOMESTEAD), 53000 + 2 * 4 + 3 * 68);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_PARIS), 53000 + 2 * 4 + 3 * 16);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_SHANGHAI), 53000 + 2 * 4 + 3 * 16 + 2); /* 1 word */
    tx_free(&tx);

    tx = full_tx(TX_ACCESS_LIST); /* 2 addresses, 2 keys */
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, FORK_BERLIN), 21000 + 56 + 2 * 2400 + 2 * 1900);
    tx_free(&tx);

    transaction big = {0};
    big.data_len = 65;
    big.data = calloc(65, 1);
    CHECK_EQ_U64(tx_intrinsic_gas(&big, FORK_SHANGHAI), 53000 + 65 * 4 + 3 * 2);
    CHECK_EQ_U64(tx_floor_gas(&big, FORK_CANCUN), 0);
    big.data[0] = 1;
    CHECK_EQ_U64(tx_floor_gas(&big, FORK_PRAGUE), 21000 + 10 * (64 + 4));
    tx_free(&big);
}

TEST(tx_static_rules) {
    transaction tx = full_tx(TX_DYNAMIC_FEE);
    CHECK(tx_sign(&tx, KEY_46));
    CHECK(tx_check_static(&tx, FORK_LONDON, 1) == NULL);
    CHECK(tx_check_static(&tx, FORK_BERLIN, 1) != NULL);      /* type 2 not yet */
    CHECK(tx_check_static(&tx, FORK_LONDON, 2) != NULL);      /* chain id */
    transaction t = tx;
    t.max_priority_fee = u256_from_u64(1001);
    CHECK(tx_check_static(&t, FORK_LONDON, 1) != NULL);       /* tip above fee cap */
    t = tx;
    t.gas_limit = 21000;
    CHECK(tx_check_static(&t, FORK_LONDON, 1) != NULL);       /* intrinsic gas */
    t.gas_limit = tx_intrinsic_gas(&t, FORK_LONDON);
    CHECK(tx_check_static(&t, FORK_LONDON, 1) == NULL);
    t = tx;
    t.nonce = UINT64_MAX;
    CHECK(tx_check_static(&t, FORK_LONDON, 1) != NULL);       /* EIP-2681 */
    t.nonce = UINT64_MAX - 1;
    CHECK(tx_check_static(&t, FORK_LONDON, 1) == NULL);
    t = tx;
    t.max_fee = u256_of("0x0100000000000000000000000000000000000000000000000000000000000000");
    CHECK(tx_check_static(&t, FORK_LONDON, 1) != NULL);       /* gas * fee > 2^256 */
    tx_free(&tx);

    /* EIP-3860: initcode size from Shanghai. */
    transaction c = {0};
    c.data_len = 49153;
    c.data = calloc(c.data_len, 1);
    c.gas_limit = 10000000;
    c.r = c.s = u256_from_u64(1);
    c.v = u256_from_u64(27);
    CHECK(tx_check_static(&c, FORK_PARIS, 1) == NULL);
    CHECK(tx_check_static(&c, FORK_SHANGHAI, 1) != NULL);
    c.data_len = 49152;
    CHECK(tx_check_static(&c, FORK_SHANGHAI, 1) == NULL);
    c.has_to = true;
    c.data_len = 49153;
    CHECK(tx_check_static(&c, FORK_SHANGHAI, 1) == NULL);
    tx_free(&c);
}

TEST(tx_blob_rules) {
    transaction tx = full_tx(TX_BLOB);
    CHECK(tx_sign(&tx, KEY_46));
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) == NULL);
    CHECK(tx_check_static(&tx, FORK_SHANGHAI, 1) != NULL);
    tx.blob_hashes[1].b[0] = 0x02;
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) != NULL);      /* version byte */
    tx.blob_hashes[1].b[0] = 0x01;
    size_t n = tx.n_blob_hashes;
    tx.n_blob_hashes = 0;
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) != NULL);      /* no blobs */
    tx.n_blob_hashes = n;
    bytes32 *many = calloc(10, sizeof(bytes32));
    for (int i = 0; i < 10; i++) many[i].b[0] = 0x01;
    bytes32 *old = tx.blob_hashes;
    tx.blob_hashes = many;
    tx.n_blob_hashes = 6;
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) == NULL);
    tx.n_blob_hashes = 7;
    CHECK(tx_check_static(&tx, FORK_CANCUN, 1) != NULL);      /* at most 6 */
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) == NULL);      /* 9 from Prague */
    tx.n_blob_hashes = 10;
    CHECK(tx_check_static(&tx, FORK_PRAGUE, 1) != NULL);
    tx.blob_hashes = old;
    tx.n_blob_hashes = n;
    free(many);
    tx_free(&tx);
}

/* ---- threads ------------------------------------------------------------ */


static void *sign_and_recover(void *arg) {
    uint8_t key[32];
    memset(key, 0x11 + (int)(intptr_t)arg, sizeof key);
    intptr_t bad = 0;
    for (int i = 0; i < 50; i++) {
        transaction tx = full_tx((uint8_t)(i % 4));
        tx.nonce = (uint64_t)i;
        address signer;
        bad += !tx_sign(&tx, key);
        signer = tx.sender;
        bad += !tx_recover_sender(&tx, true) || !address_eq(&tx.sender, &signer);
        tx_free(&tx);
    }
    return (void *)bad;
}

/* The shared secp256k1 context is set up once and read-only afterwards:
 * concurrent first use from several threads must be safe. */
TEST(tx_sign_recover_threads) {
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, sign_and_recover, (void *)i) == 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }
}
