/* parevm difficultytest: runs ethereum/tests DifficultyTests fixtures.
 *
 * Each file holds {group: {Network: {test: case}}} (plus "_info" objects)
 * where a case gives the parent's timestamp, difficulty and whether it has
 * ommers ("parentUncles": 0x00 or 0x01), and the child's timestamp, number
 * and expected difficulty. The network name selects the chain configuration
 * (chain_config_by_name); unknown names are counted as skipped. */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain.h"

typedef struct {
    regex_t filter;
    bool has_filter;
    int passed, failed, skipped;
} difftest_run;

static void bad_fixture(difftest_run *r, const char *file, const char *test, const char *problem) {
    printf("FAIL %s %s: malformed fixture: %s\n", file, test, problem);
    r->failed++;
}

static void run_case(difftest_run *r, const char *file, const char *net, const chain_config *cfg,
                     const char *test, json_t *t) {
    if (r->has_filter && regexec(&r->filter, test, 0, NULL, 0)) return;
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
    printf("FAIL %s %s %s: expected difficulty %s, got %s\n", file, net, test, w, g);
    r->failed++;
}

static void run_network(difftest_run *r, const char *file, const char *net, json_t *tests) {
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

static void run_file(difftest_run *r, const char *file) {
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    if (!root) {
        printf("FAIL %s: invalid JSON at line %d: %s\n", file, jerr.line, jerr.text);
        r->failed++;
        return;
    }
    const char *group, *net;
    json_t *g, *tests;
    if (!json_is_object(root)) bad_fixture(r, file, "-", "top level is not an object");
    json_object_foreach(root, group, g) {
        if (!json_is_object(g)) {
            bad_fixture(r, file, group, "group is not an object");
            continue;
        }
        json_object_foreach(g, net, tests)
            if (net[0] != '_') run_network(r, file, net, tests);
    }
    json_decref(root);
}

static int usage(void) {
    fprintf(stderr, "usage: parevm difficultytest [--run REGEX] PATH...\n"
                    "  PATH: a DifficultyTests JSON file or a folder (searched recursively)\n"
                    "  --run REGEX: only tests whose name matches (POSIX extended regex)\n");
    return 2;
}

int cmd_difficultytest(int argc, char **argv) {
    difftest_run r = {0};
    path_list files = {0};
    bool ok = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--run")) {
            if (++i == argc || r.has_filter) return usage();
            if (regcomp(&r.filter, argv[i], REG_EXTENDED | REG_NOSUB)) {
                fprintf(stderr, "parevm difficultytest: bad --run regex '%s'\n", argv[i]);
                return 2;
            }
            r.has_filter = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            return usage();
        } else {
            ok &= path_list_collect(&files, "difficultytest", argv[i]);
        }
    }
    if (!files.n && ok) {
        if (r.has_filter) regfree(&r.filter);
        return usage();
    }
    path_list_sort(&files);
    for (size_t i = 0; i < files.n; i++) run_file(&r, files.v[i]);
    printf("%d passed, %d failed", r.passed, r.failed);
    if (r.skipped) printf(", %d skipped", r.skipped);
    printf("\n");
    path_list_free(&files);
    if (r.has_filter) regfree(&r.filter);
    return r.failed || !ok ? 1 : 0;
}
