/* Keys of the node: HS256 JWTs and the JWT secret file (Engine API), the
 * BIP-39 phrases (entropy, checks, random and anvil's seeded ones) and
 * seed, BIP-32 derivation (the specification's test vectors 1 and 2,
 * given as the xprv strings it prints) and the ten dev-mode accounts of the
 * test mnemonic (the list anvil and hardhat print). */
#include "test.h"
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "parevm/hdkeys.h"
#include "parevm/hex.h"
#include "parevm/jwt.h"
#include "parevm/rpc_codec.h"

/* ---- JWT ------------------------------------------------------------------------- */

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static const char *verify(const char *tok, int64_t now) { return jwt_verify(SECRET, tok, strlen(tok), now); }

TEST(jwt_make_matches_an_independent_hs256) {
    /* computed with node's crypto.createHmac over the same header and claims */
    static const char want[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9."
                               "PImRAQ9ASfA6sNaNXGOwlr2pLWNLJ5SQEyzckOr3ufo";
    char tok[256];
    CHECK_EQ_U64(jwt_make(SECRET, 1700000000, tok, sizeof tok), strlen(want));
    CHECK(!strcmp(tok, want));
    CHECK(jwt_make(SECRET, 1700000000, tok, 20) == 0); /* too small a buffer */
    CHECK(verify(want, 1700000000) == NULL);
}

TEST(jwt_rules) {
    const int64_t t = 1700000000;
    char tok[256];
    jwt_make(SECRET, t, tok, sizeof tok);
    CHECK(verify(tok, t) == NULL);
    CHECK(verify(tok, t + 60) == NULL);
    CHECK(verify(tok, t - 60) == NULL);
    CHECK(!strcmp(verify(tok, t + 61), "stale token (iat more than 60 s ago)"));
    CHECK(!strcmp(verify(tok, t - 61), "token from the future (iat more than 60 s ahead)"));
    uint8_t other[32];
    memcpy(other, SECRET, 32);
    other[0] ^= 0x80;
    CHECK(!strcmp(jwt_verify(other, tok, strlen(tok), t), "invalid token signature"));
    /* a changed claim breaks the signature */
    char forged[256];
    strcpy(forged, tok);
    char *claims = strchr(forged, '.') + 1;
    claims[3] = claims[3] == 'A' ? 'B' : 'A';
    CHECK(verify(forged, t) != NULL);
    /* alg none, and other algorithms */
    CHECK(!strcmp(verify("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpYXQiOjE3MDAwMDAwMDB9.", t),
                  "unsupported signing algorithm (want HS256)"));
    /* {"alg":"HS512","typ":"JWT"} */
    CHECK(!strcmp(verify("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9.AAAA", t),
                  "unsupported signing algorithm (want HS256)"));
    /* malformed */
    CHECK(!strcmp(verify("", t), "missing token"));
    CHECK(verify("abc", t) != NULL);
    CHECK(verify("a.b", t) != NULL);
    CHECK(verify("a.b.c.d", t) != NULL);
    CHECK(verify("!!!.eyJpYXQiOjE3MDAwMDAwMDB9.PImRAQ9ASfA6sNaNXGOwlr2pLWNLJ5SQEyzckOr3ufo", t) != NULL);
    CHECK(!strcmp(verify("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9.PImRAQ9ASfA6", t),
                  "malformed token signature"));
    char longtok[JWT_MAX_TOKEN_LEN + 10];
    memset(longtok, 'a', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = 0;
    CHECK(!strcmp(verify(longtok, t), "token too long"));
}

TEST(jwt_secret_text_and_file) {
    uint8_t s[32];
    const char *hex64 = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    CHECK(jwt_secret_parse(hex64, s) && !memcmp(s, SECRET, 32));
    char text[100];
    snprintf(text, sizeof text, "  0x%s\n", hex64);
    CHECK(jwt_secret_parse(text, s) && !memcmp(s, SECRET, 32));
    CHECK(!jwt_secret_parse("0x0102", s));
    snprintf(text, sizeof text, "%s00", hex64);
    CHECK(!jwt_secret_parse(text, s));
    snprintf(text, sizeof text, "%s x", hex64);
    CHECK(!jwt_secret_parse(text, s));
    snprintf(text, sizeof text, "zz%s", hex64 + 2);
    CHECK(!jwt_secret_parse(text, s));

    char dir[] = "/tmp/parevm-jwt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], err[200];
    snprintf(path, sizeof path, "%s/jwt.hex", dir);
    bool created = false;
    uint8_t a[32], b[32];
    CHECK(jwt_secret_load(path, a, &created, err, sizeof err) && created);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(jwt_secret_load(path, b, &created, err, sizeof err) && !created && !memcmp(a, b, 32));
    /* a malformed file is an error, not replaced */
    FILE *f = fopen(path, "w");
    fputs("0x1234", f);
    fclose(f);
    CHECK(!jwt_secret_load(path, b, NULL, err, sizeof err) && strstr(err, "want 32 bytes"));
    unlink(path);
    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/missing/jwt.hex", dir);
    CHECK(!jwt_secret_load(path, b, NULL, err, sizeof err) && strstr(err, "cannot create"));
    rmdir(dir);
}

/* ---- BIP-39 / BIP-32 ------------------------------------------------------------------- */

TEST(bip39_seed_vector) {
    /* The Trezor reference vector: 12 words, passphrase "TREZOR". */
    uint8_t seed[64], want[64];
    bip39_seed("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
               "TREZOR", seed);
    hex_to_fixed("c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
                 want, 64);
    CHECK_MEM(seed, want, 64);
}

static bool same(const char *got, const char *want) {
    if (!strcmp(got, want)) return true;
    fprintf(stderr, "  got  %s\n  want %s\n", got, want);
    return false;
}

TEST(bip39_phrases_of_entropy) {
    /* BIP-39's reference vectors (Trezor's vectors.json) for 12, 18 and 24
     * words; 15 and 21 words as @scure/bip39 writes them */
    static const char *const vec[][2] = {
        {"00000000000000000000000000000000",
         "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"},
        {"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f", "legal winner thank year wave sausage worth useful legal winner thank yellow"},
        {"80808080808080808080808080808080", "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"},
        {"ffffffffffffffffffffffffffffffff", "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"},
        {"9e885d952ad362caeb4efe34a8e91bd2", "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"},
        {"00112233445566778899aabbccddeeff00112233",
         "abandon math mimic master filter design carbon crystal rookie group knife wrap absurd much snap"},
        {"ffffffffffffffffffffffffffffffffffffffffffffffff",
         "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo when"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef01234567",
         "abuse boss fly battle rubber wasp afraid hamster guide essence vibrant task banana pencil owner cube social "
         "job emotion member know"},
        {"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
         "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal "
         "winner thank year wave sausage worth title"},
        {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote"},
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        uint8_t e[32];
        size_t len = strlen(vec[i][0]) / 2;
        char phrase[BIP39_PHRASE_MAX], why[128];
        hex_to_fixed(vec[i][0], e, len);
        CHECK(bip39_phrase_from_entropy(e, len, phrase));
        CHECK(same(phrase, vec[i][1]));
        CHECK(bip39_phrase_check(vec[i][1], why, sizeof why));
    }
    uint8_t e[33] = {0};
    char phrase[BIP39_PHRASE_MAX];
    static const size_t bad_len[] = {0, 15, 17, 33};
    for (size_t i = 0; i < 4; i++) CHECK(!bip39_phrase_from_entropy(e, bad_len[i], phrase));
}

TEST(bip39_phrase_check_rules) {
    static const struct {
        const char *phrase, *why;
    } bad[] = {
        {"", "an empty word"},
        {"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", "12, 15, 18"},
        {"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
         "12, 15, 18"},
        {"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", "checksum"},
        {"zoo zone zoo zone zoo zone zoo zone zoo zone zoo zone", "checksum"},
        {"test test test test test test test test test test test test", "checksum"},
        {"abandon  abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
         "an empty word"},
        {"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about ",
         "an empty word"},
        {"Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "\"Abandon\""},
        {"mnemonic zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo", "\"mnemonic\""},
        {"abandonx abandon", "\"abandonx\""},
        {"abando abandon", "\"abando\""},
        {"zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo",
         "more than 24"},
    };
    char why[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        CHECK(!bip39_phrase_check(bad[i].phrase, why, sizeof why));
        if (!strstr(why, bad[i].why)) fprintf(stderr, "  %s: %s\n", bad[i].phrase, why);
        CHECK(strstr(why, bad[i].why) != NULL);
    }
    CHECK(!bip39_phrase_check("zoo", NULL, 0)); /* why may be NULL */
    CHECK(bip39_phrase_check(DEV_MNEMONIC, why, sizeof why));
    /* every word of the list is found: 12 words with the last fixed by the
     * checksum, each list word once in the first position */
    for (unsigned w = 0; w < 2048; w++) {
        uint8_t e[16] = {(uint8_t)(w >> 3), (uint8_t)(w << 5)};
        char phrase[BIP39_PHRASE_MAX];
        CHECK(bip39_phrase_from_entropy(e, 16, phrase));
        CHECK(bip39_phrase_check(phrase, NULL, 0));
    }
}

TEST(bip39_random_and_seeded_phrases) {
    static const unsigned counts[] = {12, 15, 18, 21, 24};
    char a[BIP39_PHRASE_MAX], b[BIP39_PHRASE_MAX], why[128];
    for (size_t i = 0; i < 5; i++) {
        CHECK(bip39_phrase_random(counts[i], a));
        CHECK(bip39_phrase_random(counts[i], b));
        CHECK(bip39_phrase_check(a, why, sizeof why) && bip39_phrase_check(b, why, sizeof why));
        CHECK(strcmp(a, b) != 0);
        unsigned spaces = 0;
        for (const char *p = a; *p; p++) spaces += *p == ' ';
        CHECK_EQ_U64(spaces + 1, counts[i]);
    }
    static const unsigned bad[] = {0, 3, 11, 13, 27, 36};
    for (size_t i = 0; i < 6; i++) CHECK(!bip39_phrase_random(bad[i], a));
    /* anvil 1.7.1 --mnemonic-seed-unsafe SEED prints these */
    static const struct {
        uint64_t seed;
        const char *phrase;
    } seeded[] = {
        {0, "leisure need topic clown code attend earn lounge baby omit vault crunch"},
        {1, "gesture car maximum regret pudding merry fatal electric sea grab crack social"},
        {42, "pen brief eager pepper brass detect problem vital physical tent assume damp"},
        {UINT64_MAX, "reunion eager public radio victory silver palm elite make sing accuse moon"},
    };
    for (size_t i = 0; i < 4; i++) {
        bip39_phrase_unsafe_seed(seeded[i].seed, a);
        CHECK(same(a, seeded[i].phrase));
    }
}

/* Base58check decoding of an extended key (78 bytes + 4 checksum bytes). */
static bool base58check(const char *text, uint8_t out[78]) {
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t num[82] = {0}; /* big-endian accumulator */
    for (const char *p = text; *p; p++) {
        const char *d = strchr(alphabet, *p);
        if (!d) return false;
        unsigned carry = (unsigned)(d - alphabet);
        for (int i = 81; i >= 0; i--) {
            carry += 58u * num[i];
            num[i] = (uint8_t)carry;
            carry >>= 8;
        }
        if (carry) return false;
    }
    uint8_t h1[32], h2[32];
    SHA256(num, 78, h1);
    SHA256(h1, 32, h2);
    if (memcmp(h2, num + 78, 4)) return false;
    memcpy(out, num, 78);
    return true;
}

static bool derives_to(const uint8_t *seed, size_t len, const char *path, const char *xprv) {
    uint8_t raw[78];
    bip32_key k;
    if (!base58check(xprv, raw)) {
        fprintf(stderr, "  bad test xprv %s\n", xprv);
        return false;
    }
    bool ok = bip32_derive(seed, len, path, &k) && !memcmp(k.chain_code, raw + 13, 32) && raw[45] == 0 &&
              !memcmp(k.key, raw + 46, 32);
    if (!ok) fprintf(stderr, "  %s does not derive to %s\n", path, xprv);
    return ok;
}

TEST(bip32_test_vector_1) {
    uint8_t seed[16];
    hex_to_fixed("000102030405060708090a0b0c0d0e0f", seed, 16);
    CHECK(derives_to(seed, 16, "m", "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"));
    CHECK(derives_to(seed, 16, "m/0'", "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7"));
    CHECK(derives_to(seed, 16, "m/0'/1", "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs"));
    CHECK(derives_to(seed, 16, "m/0H/1/2H", "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM"));
    CHECK(derives_to(seed, 16, "m/0h/1/2h/2", "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334"));
    CHECK(derives_to(seed, 16, "m/0'/1/2'/2/1000000000", "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76"));
}

TEST(bip32_test_vector_2) {
    uint8_t seed[64];
    hex_to_fixed("fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542", seed, 64);
    CHECK(derives_to(seed, 64, "m", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U"));
    CHECK(derives_to(seed, 64, "m/0", "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt"));
    CHECK(derives_to(seed, 64, "m/0/2147483647'", "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9"));
    CHECK(derives_to(seed, 64, "m/0/2147483647'/1/2147483646'/2", "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j"));
}

TEST(bip32_bad_input) {
    uint8_t seed[16] = {0};
    bip32_key k;
    CHECK(!bip32_derive(seed, 16, "", &k));
    CHECK(!bip32_derive(seed, 16, "x/0", &k));
    CHECK(!bip32_derive(seed, 16, "m/", &k));
    CHECK(!bip32_derive(seed, 16, "m//1", &k));
    CHECK(!bip32_derive(seed, 16, "m/1x", &k));
    CHECK(!bip32_derive(seed, 16, "m/2147483648", &k)); /* past 2^31 - 1 */
    CHECK(!bip32_derive(seed, 16, "m/-1", &k));
    CHECK(!bip32_derive(seed, 15, "m", &k)); /* seeds are 16 to 64 bytes */
    CHECK(bip32_derive(seed, 16, "m/2147483647'", &k));
}

/* ---- Dev accounts ------------------------------------------------------------------------ */

TEST(dev_accounts_match_anvil_and_hardhat) {
    static const char *want[10][2] = {
        {"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
        {"0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"},
        {"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"},
        {"0x90F79bf6EB2c4f870365E785982E1f101E93b906", "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"},
        {"0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"},
        {"0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc", "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"},
        {"0x976EA74026E726554dB657fA54763abd0C3a0aa9", "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"},
        {"0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"},
        {"0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"},
        {"0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"},
    };
    for (uint32_t i = 0; i < 10; i++) {
        uint8_t key[32], want_key[32];
        address a;
        char cs[43];
        CHECK(hd_account(DEV_MNEMONIC, NULL, i, key, &a));
        rpc_address_checksum(&a, cs);
        CHECK(!strcmp(cs, want[i][0]));
        hex_to_fixed(want[i][1], want_key, 32);
        CHECK_MEM(key, want_key, 32);
    }
    /* a passphrase gives other accounts */
    uint8_t key[32];
    address a;
    char cs[43];
    CHECK(hd_account(DEV_MNEMONIC, "secret", 0, key, &a));
    rpc_address_checksum(&a, cs);
    CHECK(strcmp(cs, want[0][0]) != 0);
    CHECK(!hd_account(DEV_MNEMONIC, NULL, BIP32_HARDENED, key, &a));
    /* another path (anvil's --derivation-path): account 0 of m/44'/60'/1'/0,
     * as anvil 1.7.1 derives it, with or without the final '/' */
    address b;
    uint8_t key2[32];
    CHECK(hd_account_at(DEV_MNEMONIC, NULL, "m/44'/60'/1'/0", 0, key, &a));
    CHECK(hd_account_at(DEV_MNEMONIC, NULL, "m/44'/60'/1'/0/", 0, key2, &b));
    rpc_address_checksum(&a, cs);
    CHECK(!strcmp(cs, "0x8C8d35429F74ec245F8Ef2f4Fd1e551cFF97d650"));
    CHECK(!memcmp(&a, &b, sizeof a) && !memcmp(key, key2, 32));
    CHECK(hd_account_at(DEV_MNEMONIC, NULL, NULL, 3, key, &a));
    rpc_address_checksum(&a, cs);
    CHECK(!strcmp(cs, want[3][0]));
    static const char *const bad[] = {"", "x/1", "m/44'/x", "m//1", "m/4294967296"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(!hd_account_at(DEV_MNEMONIC, NULL, bad[i], 0, key, &a));
}
