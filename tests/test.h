/* Minimal unit-test harness: TEST(name) { CHECK(...); } registers a test via a
 * constructor; harness_main.c runs them all and prints "N passed, N failed". */
#ifndef PAREVM_TEST_H
#define PAREVM_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
extern int test_failed_checks;   /* checks failed in the current test */

/* xorshift64: reproducible pseudo-random numbers; each file seeds its own. */
static inline uint64_t test_xorshift(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#define TEST(name)                                                      \
    static void test_##name(void);                                      \
    __attribute__((constructor)) static void test_reg_##name(void) {    \
        test_register(#name, test_##name);                              \
    }                                                                   \
    static void test_##name(void)

#define CHECK(cond)                                                     \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,    \
                    __LINE__, #cond);                                   \
            test_failed_checks++;                                       \
        }                                                               \
    } while (0)

#define CHECK_EQ_U64(a, b)                                              \
    do {                                                                \
        uint64_t a_ = (a), b_ = (b);                                    \
        if (a_ != b_) {                                                 \
            fprintf(stderr, "  %s:%d: %s == %s failed: %llu != %llu\n", \
                    __FILE__, __LINE__, #a, #b,                         \
                    (unsigned long long)a_, (unsigned long long)b_);    \
            test_failed_checks++;                                       \
        }                                                               \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Path to the read-only fixtures: $PAREVM_FIXTURES or the build default. */
const char *test_fixtures_dir(void);
/* Removes path and everything under it (a test's temporary folder); a
 * missing path is fine. */
void test_remove_tree(const char *path);

#endif
