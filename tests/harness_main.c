/* Runner for the TEST() harness; prints one line per failing test and the
 * closing "N passed, N failed" line. Exit status is non-zero on failure.
 * Optional argv[1] is a substring filter on test names. */
#include "test.h"

#define MAX_TESTS 1024
static struct { const char *name; test_fn fn; } tests[MAX_TESTS];
static int ntests;
int test_failed_checks;

void test_register(const char *name, test_fn fn) {
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

const char *test_fixtures_dir(void) {
    const char *e = getenv("PAREVM_FIXTURES");
    return e && *e ? e : PAREVM_FIXTURES_DEFAULT;
}

int main(int argc, char **argv) {
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
    return failed ? 1 : 0;
}
