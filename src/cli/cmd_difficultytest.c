/* parevm difficultytest: runs ethereum/tests DifficultyTests fixtures.
 *
 * Each file holds {group: {Network: {test: case}}} (plus "_info" objects)
 * where a case gives the parent's timestamp, difficulty and whether it has
 * ommers ("parentUncles": 0x00 or 0x01), and the child's timestamp, number
 * and expected difficulty. The network name selects the chain configuration
 * (chain_config_by_name); unknown names are counted as skipped. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain.h"

static void bad_fixture(fixture_run *r, const char *file, const char *test, const char *problem) {
    fixture_run_fail(r, file, test, "malformed fixture: %s", problem);
}

static void run_case(fixture_run *r, const char *file, const char *net, const chain_config *cfg,
                     const char *test, json_t *t) {
    if (!fixture_run_wants(r, test)) return;
    if (!json_is_object(t)) return bad_fixture(r, file, test, "test is not an object");
    u256 parent_diff, want, uncles;
    uint64_t parent_ts, ts, number;
    char err[200];
    if (!json_hex_u256(t, "parentDifficulty", &parent_diff, err, sizeof err) ||
        !json_hex_u64(t, "parentTimestamp", &parent_ts, err, sizeof err) ||
        !json_hex_u256(t, "parentUncles", &uncles, err, sizeof err) ||
        !json_hex_u64(t, "currentTimestamp", &ts, err, sizeof err) ||
        !json_hex_u64(t, "currentBlockNumber", &number, err, sizeof err) ||
        !json_hex_u256(t, "currentDifficulty", &want, err, sizeof err))
        return bad_fixture(r, file, test, err);
    u256 got = chain_difficulty(cfg, number, ts, &parent_diff, parent_ts, !u256_is_zero(&uncles));
    if (u256_eq(&got, &want)) {
        r->passed++;
        return;
    }
    char g[67], w[67];
    u256_to_hex(&got, g);
    u256_to_hex(&want, w);
    fixture_run_fail(r, file, test, "%s: expected difficulty %s, got %s", net, w, g);
}

static void run_network(fixture_run *r, const char *file, const char *net, json_t *tests) {
    chain_config cfg;
    if (!chain_config_by_name(net, &cfg)) {
        r->skipped += json_is_object(tests) ? (int)json_object_size(tests) : 1;
        return;
    }
    if (!json_is_object(tests)) return bad_fixture(r, file, net, "network entry is not an object");
    const char *name;
    json_t *t;
    json_object_foreach(tests, name, t) run_case(r, file, net, &cfg, name, t);
}

/* One group of a file: {Network: {test: case}} ("_info" and the like are
 * metadata). */
static void run_group(fixture_run *r, const char *file, const char *group, json_t *g) {
    if (group[0] == '_') return;
    const char *net;
    json_t *tests;
    json_object_foreach(g, net, tests)
        if (net[0] != '_') run_network(r, file, net, tests);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm difficultytest [--run REGEX] PATH...\n"
                    "  PATH: a DifficultyTests JSON file or a folder (searched recursively)\n"
                    "  --run REGEX: only tests whose name matches (POSIX extended regex)\n");
    return 2;
}

int cmd_difficultytest(int argc, char **argv) {
    fixture_run r = {.cmd = "difficultytest", .paths_ok = true, .nested = true, .run_test = run_group};
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
