/* Unit tests for 0x09 BLAKE2F (EIP-152): the EIP's test vectors, malformed
 * inputs, full BLAKE2b-512 hashes built on blake2f() against OpenSSL, a
 * plain reference of F for other round counts, and the inputs of the
 * CALLBlake2f state-test fixtures. */
#include <openssl/evp.h>

#include "fixture_util.h"
#include "ref_blake2f.h"
#include "parevm/precompile_math.h"
#include "test.h"

static uint64_t rng_state = 0xd1b54a32d192ed03ULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

/* EIP-152 test vectors 4 to 7 share h, m and t (208 bytes); they differ in
 * the round count (first four bytes) and the final flag (last byte). */
static const char *EIP152_BODY =
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f52"
    "0e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b616263000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000003000000000000000000000000000000";

static void eip152_input(uint8_t in[213], uint32_t rounds, uint8_t flag) {
    CHECK(hex_decode(EIP152_BODY, in + 4, 208) == 208);
    in[0] = (uint8_t)(rounds >> 24), in[1] = (uint8_t)(rounds >> 16);
    in[2] = (uint8_t)(rounds >> 8), in[3] = (uint8_t)rounds;
    in[212] = flag;
}

static void check_output(const uint8_t in[213], const char *want_hex) {
    uint8_t out[64], want[64];
    CHECK(hex_decode(want_hex, want, 64) == 64);
    CHECK(blake2f(in, 213, out));
    CHECK_MEM(out, want, 64);
}

TEST(blake2f_eip152_vectors) {
    uint8_t in[214];
    eip152_input(in, 0, 1); /* vector 4 */
    check_output(in, "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
                     "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b");
    eip152_input(in, 12, 1); /* vector 5 */
    check_output(in, "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                     "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
    eip152_input(in, 12, 0); /* vector 6 */
    check_output(in, "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
                     "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735");
    eip152_input(in, 1, 1); /* vector 7 */
    check_output(in, "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fb"
                     "a551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421");
    /* Vector 8 (2^32 - 1 rounds) takes about a minute; only its gas read. */
    uint32_t rounds = 0;
    eip152_input(in, 0xffffffffu, 1);
    CHECK(blake2f_rounds(in, 213, &rounds) && rounds == 0xffffffffu);
}

TEST(blake2f_malformed_inputs) {
    uint8_t in[214] = {0}, out[64];
    uint32_t rounds;
    eip152_input(in, 12, 1);
    CHECK(!blake2f(in, 0, out)); /* vector 0 */
    CHECK(!blake2f_rounds(in, 0, &rounds));
    CHECK(!blake2f(in, 212, out)); /* vector 1: too short */
    CHECK(!blake2f_rounds(in, 212, &rounds));
    CHECK(!blake2f(in, 214, out)); /* vector 2: too long */
    CHECK(!blake2f_rounds(in, 214, &rounds));
    for (int flag = 2; flag < 256; flag++) { /* vector 3: bad final flag */
        in[212] = (uint8_t)flag;
        CHECK(!blake2f(in, 213, out));
        CHECK(blake2f_rounds(in, 213, &rounds) && rounds == 12); /* gas is still read */
    }
}

/* ---- BLAKE2b-512 on top of F, against OpenSSL ---- */

/* RFC 7693 BLAKE2b with a 64-byte digest and no key, one F call per block. */
static void blake2b_512_via_f(const uint8_t *msg, size_t len, uint8_t digest[64]) {
    uint8_t in[213];
    in[0] = 0, in[1] = 0, in[2] = 0, in[3] = 12;
    for (int i = 0; i < 8; i++)
        ref_put64_le(in + 4 + 8 * i, REF_BLAKE2B_IV[i] ^ (i == 0 ? 0x01010040ULL : 0));
    size_t done = 0;
    do {
        size_t n = len - done > 128 ? 128 : len - done;
        bool last = done + n == len;
        memset(in + 68, 0, 128);
        memcpy(in + 68, msg + done, n);
        done += n;
        ref_put64_le(in + 196, (uint64_t)done);
        ref_put64_le(in + 204, 0);
        in[212] = last;
        uint8_t h[64];
        CHECK(blake2f(in, 213, h));
        memcpy(in + 4, h, 64);
        if (last)
            break;
    } while (true);
    memcpy(digest, in + 4, 64);
}

TEST(blake2f_full_hash_vs_openssl) {
    static uint8_t msg[1200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)rnd();
    const size_t lens[] = {0, 1, 3, 127, 128, 129, 255, 256, 257, 1000, 1200};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint8_t mine[64], theirs[64];
        unsigned theirs_len = 0;
        blake2b_512_via_f(msg, lens[k], mine);
        CHECK(EVP_Digest(msg, lens[k], theirs, &theirs_len, EVP_blake2b512(), NULL) == 1);
        CHECK(theirs_len == 64);
        CHECK_MEM(mine, theirs, 64);
    }
}

TEST(blake2f_random_rounds_vs_reference) {
    uint8_t in[213], got[64], want[64];
    for (int iter = 0; iter < 300; iter++) {
        for (int i = 0; i < 213; i++)
            in[i] = (uint8_t)rnd();
        uint32_t rounds = iter < 40 ? (uint32_t)iter : (uint32_t)(rnd() % 200);
        in[0] = 0, in[1] = 0, in[2] = (uint8_t)(rounds >> 8), in[3] = (uint8_t)rounds;
        in[212] = (uint8_t)(rnd() & 1);
        ref_blake2f(in, want);
        CHECK(blake2f(in, 213, got));
        CHECK_MEM(got, want, 64);
    }
}

TEST(blake2f_fixtures) {
    const char *files[] = {"stPreCompiledContracts2/CALLBlake2f.json",
                           "stPreCompiledContracts2/CALLCODEBlake2f.json"};
    for (int k = 0; k < 2; k++) {
        json_t *root, *test = fixture_load(files[k], &root);
        for (size_t i = 0; test && i < fixture_data_count(test); i++) {
            uint8_t *buf = NULL, got[64], want[64];
            size_t len = 0;
            bool decoded = fixture_data(test, i, &buf, &len);
            CHECK(decoded);
            bool valid = decoded && len == 213 && buf[212] <= 1;
            CHECK(blake2f(buf, len, got) == valid);
            if (valid) {
                ref_blake2f(buf, want);
                CHECK_MEM(got, want, 64);
            }
            free(buf);
        }
        json_decref(root);
    }
}
