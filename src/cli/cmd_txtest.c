/* parevm txtest: runs ethereum/tests TransactionTests fixtures.
 *
 * Each fixture holds {name: {"txbytes": hex, "result": {Fork: expectation}}}
 * where an expectation is either {"hash", "sender", "intrinsicGas"} for a
 * valid transaction or {"exception": ...} for one every client must reject.
 * The transaction is decoded, its sender recovered and the static rules of
 * the fork applied (chain id 1); the outcome is compared per fork. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/hex.h"
#include "parevm/tx.h"

#define TXTEST_CHAIN_ID 1

typedef fixture_run txtest_run;

/* What parevm makes of one transaction under one fork. */
typedef struct {
    bool valid;
    char why[160]; /* reason when invalid */
    bytes32 hash;
    address sender;
    uint64_t intrinsic_gas;
} tx_outcome;

/* ---- evaluation -------------------------------------------------------- */

static void evaluate(const uint8_t *raw, size_t len, fork_id fork, tx_outcome *o) {
    memset(o, 0, sizeof *o);
    transaction tx;
    if (!tx_decode(raw, len, &tx, o->why, sizeof o->why)) return;
    const char *why = NULL;
    if (!tx_recover_sender(&tx, fork >= FORK_HOMESTEAD))
        why = "invalid signature (sender recovery failed)";
    else
        why = tx_check_static(&tx, fork, TXTEST_CHAIN_ID);
    if (why) {
        snprintf(o->why, sizeof o->why, "%s", why);
    } else {
        o->valid = true;
        o->hash = tx.hash;
        o->sender = tx.sender;
        o->intrinsic_gas = tx_intrinsic_gas(&tx, fork);
    }
    tx_free(&tx);
}

static void report_fail(txtest_run *r, const char *file, const char *test, const char *fork,
                        const char *fmt_expected, const char *actual) {
    printf("FAIL %s %s %s: expected %s, got %s\n", file, test, fork, fmt_expected, actual);
    r->failed++;
}

/* Reports a malformed fixture, naming the file, test and field; a field
 * under result.<fork> is given with its fork (field NULL: the fork itself). */
static void bad_fixture(txtest_run *r, const char *file, const char *test, const char *fork,
                        const char *field, const char *problem) {
    char path[160];
    if (fork)
        snprintf(path, sizeof path, "result.%s%s%s", fork, field ? "." : "", field ? field : "");
    else
        snprintf(path, sizeof path, "%s", field ? field : "(test)");
    fixture_run_fail(r, file, test, "malformed fixture: field \"%s\" %s", path, problem);
}

/* Compares a valid outcome with {"hash", "sender", "intrinsicGas"}. */
static void check_valid(txtest_run *r, const char *file, const char *test, const char *fork,
                        json_t *exp, const tx_outcome *o) {
    const char *hash = json_string_value(json_object_get(exp, "hash"));
    const char *sender = json_string_value(json_object_get(exp, "sender"));
    bytes32 h;
    address a;
    uint64_t g;
    if (!hash || !hex_parse_fixed(hash, h.b, 32))
        return bad_fixture(r, file, test, fork, "hash", "is not a 32-byte hex string");
    if (!sender || !hex_parse_fixed(sender, a.b, 20))
        return bad_fixture(r, file, test, fork, "sender", "is not a 20-byte hex string");
    if (!json_value_u64(json_object_get(exp, "intrinsicGas"), &g))
        return bad_fixture(r, file, test, fork, "intrinsicGas", "is not a 64-bit number");
    char want[160], got[200];
    if (!o->valid) {
        snprintf(want, sizeof want, "valid (hash %s)", hash);
        return report_fail(r, file, test, fork, want, o->why);
    }
    char hex[67];
    if (!bytes32_eq(&h, &o->hash)) {
        hex_encode(o->hash.b, 32, hex);
        snprintf(want, sizeof want, "hash %s", hash);
        snprintf(got, sizeof got, "hash %s", hex);
        return report_fail(r, file, test, fork, want, got);
    }
    if (!address_eq(&a, &o->sender)) {
        hex_encode(o->sender.b, 20, hex);
        snprintf(want, sizeof want, "sender %s", sender);
        snprintf(got, sizeof got, "sender %s", hex);
        return report_fail(r, file, test, fork, want, got);
    }
    if (g != o->intrinsic_gas) {
        snprintf(want, sizeof want, "intrinsicGas %llu", (unsigned long long)g);
        snprintf(got, sizeof got, "intrinsicGas %llu", (unsigned long long)o->intrinsic_gas);
        return report_fail(r, file, test, fork, want, got);
    }
    r->passed++;
}

static void run_fork(txtest_run *r, const char *file, const char *test, const char *fork_str,
                     json_t *exp, const uint8_t *raw, size_t len) {
    fork_id fork;
    if (!fork_from_name(fork_str, &fork)) {
        r->skipped++;
        return;
    }
    if (!json_is_object(exp)) return bad_fixture(r, file, test, fork_str, NULL, "is not an object");
    tx_outcome o;
    evaluate(raw, len, fork, &o);
    json_t *exc = json_object_get(exp, "exception");
    if (!exc) return check_valid(r, file, test, fork_str, exp, &o);
    if (!json_is_string(exc))
        return bad_fixture(r, file, test, fork_str, "exception", "is not a string");
    if (!o.valid) {
        r->passed++;
        return;
    }
    char got[120], hex[67];
    hex_encode(o.hash.b, 32, hex);
    snprintf(got, sizeof got, "a valid transaction (hash %s)", hex);
    report_fail(r, file, test, fork_str, json_string_value(exc), got);
}

static void run_test(txtest_run *r, const char *file, const char *test, json_t *t) {
    const char *txbytes = json_string_value(json_object_get(t, "txbytes"));
    json_t *result = json_object_get(t, "result");
    if (!txbytes)
        return bad_fixture(r, file, test, NULL, "txbytes", "is missing or not a string");
    if (!json_is_object(result))
        return bad_fixture(r, file, test, NULL, "result", "is missing or not an object");
    uint8_t *raw;
    size_t len;
    if (!hex_parse_data(txbytes, &raw, &len))
        return bad_fixture(r, file, test, NULL, "txbytes", "is not 0x-prefixed hex of whole bytes");
    const char *fork;
    json_t *exp;
    json_object_foreach(result, fork, exp) run_fork(r, file, test, fork, exp, raw, len);
    free(raw);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm txtest [--run REGEX] PATH...\n"
                    "  PATH: a TransactionTests JSON file or a folder (searched recursively)\n"
                    "  --run REGEX: only tests whose name matches (POSIX extended regex)\n");
    return 2;
}

int cmd_txtest(int argc, char **argv) {
    txtest_run r = {.cmd = "txtest", .paths_ok = true, .run_test = run_test};
    for (int i = 1; i < argc; i++) {
        int used = fixture_run_option(&r, argc, argv, &i);
        if (used <= 0) {
            fixture_run_free(&r);
            return used < 0 ? 2 : usage();
        }
    }
    int status = fixture_run_all(&r);
    return status < 0 ? usage() : status;
}
