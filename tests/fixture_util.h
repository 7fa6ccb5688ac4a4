/* Helpers for unit tests that mine the ethereum/tests GeneralStateTests
 * fixtures for precompile inputs: load a state test, read its transaction
 * data entries and labels, and unwrap the ABI-encoded `bytes` argument that
 * the stZeroKnowledge contracts forward to the precompile. Header-only (it
 * is not a test_*.c file, so it is not a test executable of its own). */
#ifndef PAREVM_TESTS_FIXTURE_UTIL_H
#define PAREVM_TESTS_FIXTURE_UTIL_H

#include <glob.h>
#include <jansson.h>

#include "parevm/hex.h"
#include "test.h"

/* Loads GeneralStateTests/<rel> and returns its first (only) test object.
 * A missing or empty fixture file fails the current test (it must never
 * shrink the test into a pass) and gives NULL. Free the returned root with
 * json_decref(*root). */
static inline json_t *fixture_load(const char *rel, json_t **root) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ethereum-tests/GeneralStateTests/%s",
             test_fixtures_dir(), rel);
    json_error_t err;
    *root = json_load_file(path, 0, &err);
    if (!*root) {
        fprintf(stderr, "  missing fixture %s (%s)\n", path, err.text);
        test_failed_checks++;
        return NULL;
    }
    const char *key;
    json_t *test;
    json_object_foreach(*root, key, test) return test;
    fprintf(stderr, "  fixture %s holds no test\n", path);
    test_failed_checks++;
    return NULL;
}

static inline size_t fixture_data_count(json_t *test) {
    return json_array_size(json_object_get(json_object_get(test, "transaction"), "data"));
}

/* Decodes transaction.data[i] into a malloc'd buffer. */
static inline bool fixture_data(json_t *test, size_t i, uint8_t **buf, size_t *len) {
    json_t *data = json_object_get(json_object_get(test, "transaction"), "data");
    const char *hex = json_string_value(json_array_get(data, i));
    return hex && hex_decode_alloc(hex, buf, len);
}

/* The _info.labels entry for data index i, or NULL. */
static inline const char *fixture_label(json_t *test, size_t i) {
    char key[32];
    snprintf(key, sizeof key, "%zu", i);
    json_t *labels = json_object_get(json_object_get(test, "_info"), "labels");
    return json_string_value(json_object_get(labels, key));
}

/* Unwraps selector(4) || offset(32) || ... || length(32) || bytes: the call
 * f(bytes) used by the stZeroKnowledge contracts. */
static inline bool abi_bytes_arg(const uint8_t *data, size_t len, const uint8_t **out,
                                 size_t *out_len) {
    if (len < 4 + 32)
        return false;
    const uint8_t *body = data + 4;
    size_t body_len = len - 4;
    uint64_t off = 0, n = 0;
    for (int i = 24; i < 32; i++)
        off = (off << 8) | body[i];
    if (off > body_len || body_len - off < 32)
        return false;
    for (int i = 24; i < 32; i++)
        n = (n << 8) | body[off + i];
    if (n > body_len - off - 32)
        return false;
    *out = body + off + 32;
    *out_len = (size_t)n;
    return true;
}

/* Globs GeneralStateTests/<pattern>; when nothing matches, fails the
 * current test and returns false. Release with globfree. */
static inline bool fixture_glob(const char *pattern, glob_t *g) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ethereum-tests/GeneralStateTests/%s",
             test_fixtures_dir(), pattern);
    if (glob(path, 0, NULL, g) != 0) {
        fprintf(stderr, "  no fixture matches %s\n", path);
        test_failed_checks++;
        return false;
    }
    return true;
}

/* The path of a glob match relative to GeneralStateTests/. */
static inline const char *fixture_rel(const char *path) {
    const char *m = strstr(path, "GeneralStateTests/");
    return m ? m + strlen("GeneralStateTests/") : path;
}

#endif
