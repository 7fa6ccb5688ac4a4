/* Unit tests for the expectException table (src/cli/exceptions.c): names,
 * "A|B" alternatives, old aliases and prefixes match the reasons they stand
 * for and no other; unknown names are reported; every reason in the table
 * is still a string literal somewhere in the sources (a reworded rejection
 * cannot leave a stale row); and every exception name that the fixtures use
 * is known. */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>
#include "exceptions.h"
#include "test.h"

TEST(exception_single_names) {
    CHECK(exception_match("TransactionException.INTRINSIC_GAS_TOO_LOW", "intrinsic gas too low", NULL, 0) ==
          EXC_MATCH);
    CHECK(exception_match("TransactionException.INTRINSIC_GAS_TOO_LOW", "insufficient funds", NULL, 0) ==
          EXC_MISMATCH);
    CHECK(exception_match("TransactionException.INSUFFICIENT_MAX_FEE_PER_GAS", "gas price below base fee", NULL,
                          0) == EXC_MATCH);
    CHECK(exception_match("BlockException.INVALID_GASLIMIT", "gas limit decreased too much", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("BlockException.INVALID_GASLIMIT", "state root mismatch", NULL, 0) == EXC_MISMATCH);
}

TEST(exception_alternatives) {
    const char *e = "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS|TransactionException.INTRINSIC_GAS_TOO_LOW";
    CHECK(exception_match(e, "insufficient funds", NULL, 0) == EXC_MATCH);
    CHECK(exception_match(e, "intrinsic gas too low", NULL, 0) == EXC_MATCH);
    CHECK(exception_match(e, "nonce too low", NULL, 0) == EXC_MISMATCH);
    /* one unknown alternative makes the whole value unknown */
    char unknown[80] = "";
    CHECK(exception_match("TransactionException.INTRINSIC_GAS_TOO_LOW|NoSuchName", "intrinsic gas too low", unknown,
                          sizeof unknown) == EXC_UNKNOWN);
    CHECK(!strcmp(unknown, "NoSuchName"));
    CHECK(!exception_known("A||B", unknown, sizeof unknown));
    CHECK(!exception_known("", unknown, sizeof unknown));
}

TEST(exception_aliases_and_prefixes) {
    CHECK(exception_match("TR_NoFunds", "insufficient funds", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("IntrinsicGas", "intrinsic gas too low", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("TR_NoFundsOrGas", "intrinsic gas too low", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("TR_NoFundsOrGas", "nonce too high", NULL, 0) == EXC_MISMATCH);
    CHECK(exception_match("InvalidGasLimit", "gas limit above 2^63 - 1", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("RLP_ExpectedInputList_EXTBLOCK", REASON_BLOCK_RLP, NULL, 0) == EXC_MATCH);
    CHECK(exception_match("BlockException.RLP_INVALID_ADDRESS", REASON_BLOCK_RLP, NULL, 0) == EXC_MATCH);
    CHECK(exception_match("TransactionException.RLP_INVALID_VALUE", REASON_TX_VALUE_OVERFLOW, NULL, 0) ==
          EXC_MATCH);
    CHECK(exception_known("TR_TipGtFeeCap", NULL, 0));
    /* execution-spec-tests v4.x named the deposit log rule a transaction's */
    CHECK(exception_match("TransactionException.INVALID_DEPOSIT_EVENT_LAYOUT", "deposit log: invalid pubkey size", NULL,
                          0) == EXC_MATCH);
    CHECK(exception_match("TransactionException.INVALID_DEPOSIT_EVENT_LAYOUT", "state root mismatch", NULL, 0) ==
          EXC_MISMATCH);
    /* a prefix row does not make every name known */
    CHECK(!exception_known("BlockException.NO_SUCH_RULE", NULL, 0));
    CHECK(!exception_known("TR_", NULL, 0));
}

/* Names of execution-spec-tests v5 (stable v5.4.0 and later). */
TEST(exception_names_of_later_fixtures) {
    CHECK(exception_match("TransactionException.TYPE_1_TX_PRE_FORK", "type 1 transaction before Berlin", NULL, 0) ==
          EXC_MATCH);
    CHECK(exception_match("TransactionException.TYPE_2_TX_PRE_FORK", "type 2 transaction before London", NULL, 0) ==
          EXC_MATCH);
    CHECK(exception_match("TransactionException.TYPE_2_TX_PRE_FORK", "type 1 transaction before Berlin", NULL, 0) ==
          EXC_MISMATCH);
    /* a transaction with more blobs than a block may hold: the header's
       blob gas used is refused before the transaction is looked at */
    CHECK(exception_match("TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED|"
                          "TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED",
                          "blob gas used above the maximum", NULL, 0) == EXC_MATCH);
    /* Engine API payload checks: known, never a reason for a block given as RLP */
    CHECK(exception_match("BlockException.INVALID_WITHDRAWALS_ROOT|BlockException.INVALID_BLOCK_HASH",
                          "withdrawals root mismatch", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("TransactionException.TYPE_3_TX_PRE_FORK|BlockException.INVALID_VERSIONED_HASHES",
                          "type 3 transaction before Cancun", NULL, 0) == EXC_MATCH);
    CHECK(exception_match("BlockException.INVALID_BLOCK_HASH", "state root mismatch", NULL, 0) == EXC_MISMATCH);
}

TEST(exception_unimplemented_rule_is_known_but_never_matches) {
    /* rows without a reason: rules parevm does not implement yet */
    const char *name, *reason;
    bool seen = false;
    for (size_t i = 0; exception_row(i, &name, &reason); i++) {
        if (reason) continue;
        seen = true;
        CHECK(exception_known(name, NULL, 0));
        CHECK(exception_match(name, "intrinsic gas too low", NULL, 0) == EXC_MISMATCH);
    }
    (void)seen;
}

/* ---- every reason is a string literal of the sources ---------------------- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

typedef struct {
    char *text;
    size_t len, cap;
} blob;

/* Appends every .c and .h file below dir to b. */
static void read_sources(const char *dir, blob *b) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            read_sources(path, b);
            continue;
        }
        size_t n = strlen(path);
        if (n < 2 || path[n - 2] != '.' || (path[n - 1] != 'c' && path[n - 1] != 'h')) continue;
        if (strstr(path, "cli/exceptions.c")) continue; /* the table itself */
        size_t len;
        char *text = read_file(path, &len);
        if (!text) continue;
        if (b->len + len + 1 > b->cap) {
            b->cap = (b->len + len + 1) * 2;
            b->text = realloc(b->text, b->cap);
        }
        memcpy(b->text + b->len, text, len);
        b->len += len;
        b->text[b->len] = 0;
        free(text);
    }
    closedir(d);
}

TEST(exception_reasons_are_still_in_the_sources) {
    blob src = {0};
    read_sources(PAREVM_SOURCE_DIR "/src", &src);
    read_sources(PAREVM_SOURCE_DIR "/include", &src);
    CHECK(src.len > 0);
    const char *name, *reason;
    size_t kinds = 0;
    while (exception_row(kinds, &name, &reason)) kinds++;
    /* the names' rows, then geth's wordings' (their reason as the "name") */
    for (size_t i = 0; src.text && (i < kinds ? exception_row(i, &name, &reason)
                                              : exception_geth_row(i - kinds, &reason, &name)); i++) {
        if (!reason) continue;
        /* the literal as C source spells it: quotes escaped, in quotes */
        char lit[300];
        size_t o = 0;
        lit[o++] = '"';
        for (const char *p = reason; *p && o < sizeof lit - 3; p++) {
            if (*p == '"' || *p == '\\') lit[o++] = '\\';
            lit[o++] = *p;
        }
        lit[o++] = '"';
        lit[o] = 0;
        if (!strstr(src.text, lit)) {
            fprintf(stderr, "  reason %s (for %s) is no string literal in src/ or include/\n", lit, name);
            CHECK(false);
        }
    }
    free(src.text);
}

/* ---- every name the fixtures use is known -------------------------------- */

static void check_names_in(json_t *v, int *seen, int *bad) {
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) {
            if (!strcmp(k, "expectException") && json_is_string(c)) {
                char unknown[120];
                (*seen)++;
                if (!exception_known(json_string_value(c), unknown, sizeof unknown)) {
                    if (*bad < 10) fprintf(stderr, "  unknown exception name \"%s\"\n", unknown);
                    (*bad)++;
                }
            } else {
                check_names_in(c, seen, bad);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) check_names_in(c, seen, bad);
    }
}

static void scan_folder(const char *dir, int *files, int *seen, int *bad) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            scan_folder(path, files, seen, bad);
        } else if (strstr(e->d_name, ".json")) {
            json_t *root = json_load_file(path, 0, NULL);
            if (!root) continue;
            (*files)++;
            check_names_in(root, seen, bad);
            json_decref(root);
        }
    }
    closedir(d);
}

TEST(exception_names_of_the_fixtures_are_known) {
    static const char *const folders[] = {
        "ethereum-tests/GeneralStateTests", "ethereum-tests/BlockchainTests", "ethereum-tests/EIPTests", "eest"};
    for (size_t f = 0; f < sizeof folders / sizeof folders[0]; f++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", test_fixtures_dir(), folders[f]);
        int files = 0, seen = 0, bad = 0;
        scan_folder(dir, &files, &seen, &bad);
        if (!files) fprintf(stderr, "  no fixture files in %s\n", dir);
        CHECK(files > 0); /* a missing fixture folder fails */
        CHECK(bad == 0);
    }
}
