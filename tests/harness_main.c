/* Runner for the TEST() harness; prints one line per failing test and the
 * closing "N passed, N failed" line. Exit status is non-zero on failure.
 * Optional argv[1] is a substring filter on test names. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include "test.h"

/* Grows as constructors register tests: no file has a limit. */
static struct test_entry { const char *name; test_fn fn; } *tests;
static int ntests, cap_tests;
int test_failed_checks;

void test_register(const char *name, test_fn fn) {
    if (ntests == cap_tests) {
        cap_tests = cap_tests ? 2 * cap_tests : 256;
        tests = realloc(tests, (size_t)cap_tests * sizeof *tests);
        if (!tests) {
            fprintf(stderr, "test harness: out of memory registering %s\n", name);
            abort();
        }
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

const char *test_fixtures_dir(void) {
    const char *e = getenv("PAREVM_FIXTURES");
    return e && *e ? e : PAREVM_FIXTURES_DEFAULT;
}

static int remove_entry(const char *p, const struct stat *s, int f, struct FTW *w) {
    (void)s, (void)f, (void)w;
    return remove(p);
}

void test_remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* FAIL lines survive a crash */
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        test_failed_checks = 0;
        tests[i].fn();
        if (test_failed_checks) {
            printf("FAIL %s (%d checks)\n", tests[i].name, test_failed_checks);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    free(tests);
    return failed ? 1 : 0;
}
