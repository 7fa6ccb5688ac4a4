/* The test harness itself: a file may register any number of tests (the
 * runner once dropped every test past the 1024th without a word). */
#include "test.h"

#define MANY 1500
static int ran;

static void count_run(void) { ran++; }

/* Registered before the TEST() below (a lower constructor priority runs
 * first), so the check sees every one of them run. */
__attribute__((constructor(101))) static void register_many(void) {
    for (int i = 0; i < MANY; i++) test_register("counted", count_run);
}

TEST(every_registered_test_runs) { CHECK_EQ_U64(ran, MANY); }
