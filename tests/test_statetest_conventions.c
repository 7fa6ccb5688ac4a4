/* The state-test conventions, checked on state tests written here (the
 * expected roots computed from mem_state): the coinbase gets a 0-value
 * reward after a valid transaction, so before EIP-158 it is left in the
 * state, empty, and from EIP-158 on an empty one is removed; after a
 * rejected transaction the expected root may be geth's (the pre-state as
 * it was, as execution-spec-tests have it) or evmone's (the coinbase
 * touched all the same), nothing else; and the expectException kind must
 * match the rejection. */
#include <fcntl.h>
#include <unistd.h>
#include "commands.h"
#include "parevm/hex.h"
#include "parevm/state.h"
#include "parevm/state_root.h"
#include "test.h"

#define SENDER "a94f5374fce5edbc8e2a8697c15331677e6ebf0b"
#define COINBASE "2adc25665018aa1fe0e6bc666dac8fc2697ff9ba"

static void put_addr(mem_state *s, const char *hex, uint64_t balance, uint64_t nonce) {
    address a;
    hex_parse_fixed(hex, a.b, 20);
    u256 b = u256_from_u64(balance);
    mem_state_set_account(s, &a, &b, nonce, NULL, 0);
}

/* Writes a state test: the sender (balance 1000, nonce 0), the coinbase in
 * the pre-state when coinbase_balance >= 0, a transaction of nonce
 * tx_nonce, and one post entry for fork with root want. Runs statetest on
 * it and returns the exit status. */
static int run_case(const char *fork, int coinbase_balance, int tx_nonce, const char *exception,
                    const bytes32 *want) {
    char path[] = "/tmp/parevm_conv_XXXXXX.json";
    int fd = mkstemps(path, 5);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    char root[67];
    hex_encode(want->b, 32, root);
    fprintf(f, "{\"t\": {\"env\": {\"currentCoinbase\": \"0x" COINBASE "\", \"currentDifficulty\": \"0x020000\", "
               "\"currentGasLimit\": \"0x0f4240\", \"currentNumber\": \"0x01\", \"currentTimestamp\": \"0x03e8\"}, "
               "\"pre\": {\"0x" SENDER "\": {\"balance\": \"0x03e8\", \"nonce\": \"0x00\", \"code\": \"0x\", "
               "\"storage\": {}}");
    if (coinbase_balance >= 0)
        fprintf(f, ", \"0x" COINBASE "\": {\"balance\": \"0x%x\", \"nonce\": \"0x00\", \"code\": \"0x\", "
                   "\"storage\": {}}", coinbase_balance);
    fprintf(f, "}, \"transaction\": {\"data\": [\"0x\"], \"gasLimit\": [\"0x5208\"], \"gasPrice\": \"0x00\", "
               "\"nonce\": \"0x%02x\", \"secretKey\": "
               "\"0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8\", "
               "\"to\": \"0x1000000000000000000000000000000000000000\", \"value\": [\"0x00\"]}, "
               "\"post\": {\"%s\": [{\"hash\": \"%s\", \"logs\": "
               "\"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\", ",
            tx_nonce, fork, root);
    if (exception) fprintf(f, "\"expectException\": \"%s\", ", exception);
    fprintf(f, "\"indexes\": {\"data\": 0, \"gas\": 0, \"value\": 0}}]}}}\n");
    fclose(f);
    char *argv[] = {"statetest", path, NULL};
    /* the expected failures print FAIL lines: keep them out of the log */
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    int status = cmd_statetest(2, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(null);
    unlink(path);
    return status;
}

/* The root of the sender with nonce n, plus the coinbase and the
 * recipient (both empty) if wanted. */
static bytes32 root_of(uint64_t sender_nonce, bool coinbase, bool recipient) {
    mem_state *s = mem_state_new();
    put_addr(s, SENDER, 1000, sender_nonce);
    if (coinbase) put_addr(s, COINBASE, 0, 0);
    if (recipient) put_addr(s, "1000000000000000000000000000000000000000", 0, 0);
    bytes32 r = mem_state_root(s);
    mem_state_free(s);
    return r;
}

TEST(rejected_transaction_root_is_geths_or_evmones) {
    bytes32 with = root_of(0, true, false), without = root_of(0, false, false);
    bytes32 other = root_of(1, false, false); /* as if the nonce had been bumped */
    const char *exc = "TransactionException.NONCE_MISMATCH_TOO_HIGH";
    /* geth's: the pre-state as it was, no coinbase created */
    CHECK(run_case("Frontier", -1, 5, exc, &without) == 0);
    CHECK(run_case("Homestead", -1, 5, exc, &without) == 0);
    CHECK(run_case("EIP150", -1, 5, exc, &without) == 0);
    CHECK(run_case("Cancun", -1, 5, exc, &without) == 0);
    /* evmone's: the coinbase touched, so created empty before EIP-158 */
    CHECK(run_case("Homestead", -1, 5, exc, &with) == 0);
    CHECK(run_case("EIP150", -1, 5, exc, &with) == 0);
    /* and an empty coinbase of the pre-state removed from EIP-158 on
       (geth's keeps it) */
    CHECK(run_case("Cancun", 0, 5, exc, &without) == 0);
    CHECK(run_case("Cancun", 0, 5, exc, &with) == 0);
    /* nothing else */
    CHECK(run_case("Cancun", -1, 5, exc, &with) != 0);
    CHECK(run_case("EIP158", -1, 5, exc, &with) != 0);
    CHECK(run_case("Homestead", -1, 5, exc, &other) != 0);
    CHECK(run_case("Homestead", 0, 5, exc, &without) != 0);
}

TEST(valid_transaction_with_zero_fee_touches_the_coinbase) {
    /* gas price 0: the coinbase earns nothing, but it is touched */
    CHECK(run_case("Frontier", -1, 0, NULL, &(bytes32){{1}}) != 0); /* a wrong root (zero would be no expectation) */
    /* before EIP-158 the empty recipient of the value transfer stays too */
    bytes32 with = root_of(1, true, true), without = root_of(1, false, false);
    CHECK(run_case("Frontier", -1, 0, NULL, &with) == 0);
    CHECK(run_case("Byzantium", -1, 0, NULL, &without) == 0);
    /* an empty coinbase of the pre-state is removed from EIP-158 on */
    CHECK(run_case("Byzantium", 0, 0, NULL, &without) == 0);
    CHECK(run_case("Homestead", 0, 0, NULL, &with) == 0);
}

TEST(expect_exception_kind_must_match) {
    bytes32 pre = root_of(0, false, false);
    CHECK(run_case("Cancun", -1, 5, "TransactionException.NONCE_MISMATCH_TOO_HIGH", &pre) == 0);
    CHECK(run_case("Cancun", -1, 5, "TR_NonceTooHigh", &pre) == 0);
    CHECK(run_case("Cancun", -1, 5, "TransactionException.INTRINSIC_GAS_TOO_LOW", &pre) != 0);
    CHECK(run_case("Cancun", -1, 5, "TransactionException.NO_SUCH_KIND", &pre) != 0);
}
