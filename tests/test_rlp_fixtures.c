/* Runs every ethereum-tests RLPTests fixture against the RLP encoder and the
 * strict decoder in src/util/rlp.c. Each file under RLPTests/ (recursively)
 * is run; a case is classified by its "in":
 *   - "INVALID": "out" must be rejected when decoded recursively;
 *   - "VALID":   "out" must decode recursively and re-encode to itself;
 *   - anything else (string, integer, "#bignum", nested lists): encoding
 *     "in" must give "out", and decoding "out" must give back "in". */
#include "test.h"

#include <dirent.h>
#include <gmp.h>
#include <jansson.h>
#include <sys/stat.h>

#include "parevm/buf.h"
#include "parevm/hex.h"
#include "parevm/rlp.h"

/* ---- Recursive strict decoding and canonical re-encoding --------------- */

/* Checks that every item nested in the list `list` decodes strictly; the
 * items must exactly fill the list's payload. */
static rlp_err check_list(const rlp_item *list) {
    rlp_iter it = rlp_iter_of(list);
    rlp_item x;
    rlp_err e;
    while ((e = rlp_next(&it, &x)) == RLP_OK)
        if (x.is_list && (e = check_list(&x)) != RLP_OK) return e;
    /* RLP_ERR_COUNT from rlp_next means the payload ended exactly here. */
    return e == RLP_ERR_COUNT && it.p == it.end ? RLP_OK : e;
}

/* Decodes in[0..len) as exactly one item, recursing into lists. */
static rlp_err decode_all(const uint8_t *in, size_t len, rlp_item *out) {
    rlp_err e = rlp_decode(in, len, out);
    if (e == RLP_OK && out->is_list) e = check_list(out);
    return e;
}

/* Re-encodes a (fully decoded) item from its parts. */
static void reencode(const rlp_item *item, buf_t *b) {
    if (!item->is_list) {
        rlp_encode_bytes(b, item->data, item->len);
        return;
    }
    size_t start = rlp_list_begin(b);
    rlp_iter it = rlp_iter_of(item);
    rlp_item x;
    while (rlp_next(&it, &x) == RLP_OK) reencode(&x, b);
    rlp_list_end(b, start);
}

/* ---- The fixtures' "in" structures ------------------------------------- */

/* "#<decimal>" as minimal big-endian bytes (zero is empty). */
static bool bignum_bytes(const char *dec, uint8_t **out, size_t *len) {
    mpz_t z;
    if (mpz_init_set_str(z, dec, 10) != 0 || mpz_sgn(z) < 0) {
        mpz_clear(z);
        return false;
    }
    *out = malloc(mpz_sizeinbase(z, 256) + 1);
    mpz_export(*out, len, 1, 1, 1, 0, z);
    if (mpz_sgn(z) == 0) *len = 0;
    mpz_clear(z);
    return true;
}

/* Encodes a fixture "in" value; false if it is not a valid description. */
static bool encode_json(const json_t *v, buf_t *b) {
    if (json_is_array(v)) {
        size_t start = rlp_list_begin(b), i;
        json_t *x;
        json_array_foreach(v, i, x) if (!encode_json(x, b)) return false;
        rlp_list_end(b, start);
        return true;
    }
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return false;
        rlp_encode_u64(b, (uint64_t)json_integer_value(v));
        return true;
    }
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    if (s[0] == '#') {
        uint8_t *be;
        size_t n;
        if (!bignum_bytes(s + 1, &be, &n)) return false;
        rlp_encode_bytes(b, be, n);
        free(be);
        return true;
    }
    rlp_encode_bytes(b, (const uint8_t *)s, json_string_length(v));
    return true;
}

/* True if the decoded item has the structure and contents of v. Integers
 * must be canonical (no leading zero byte). */
static bool matches_json(const json_t *v, const rlp_item *item) {
    if (json_is_array(v)) {
        if (!item->is_list) return false;
        rlp_iter it = rlp_iter_of(item);
        rlp_item x;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (rlp_next(&it, &x) != RLP_OK || !matches_json(e, &x)) return false;
        }
        return it.p == it.end;
    }
    if (item->is_list) return false;
    if (json_is_integer(v)) {
        uint64_t got;
        return rlp_to_u64(item, &got) == RLP_OK && got == (uint64_t)json_integer_value(v);
    }
    const char *s = json_string_value(v);
    if (!s) return false;
    if (s[0] == '#') {
        uint8_t *be;
        size_t n;
        if (!bignum_bytes(s + 1, &be, &n)) return false;
        bool ok = item->len == n && (n == 0 || memcmp(item->data, be, n) == 0);
        free(be);
        return ok;
    }
    size_t n = json_string_length(v);
    return item->len == n && (n == 0 || memcmp(item->data, s, n) == 0);
}

/* ---- Running cases ----------------------------------------------------- */

typedef struct {
    int valid, valid_ok, invalid, invalid_ok, roundtrip, roundtrip_ok;
} rlp_counts;

static void report(const char *file, const char *name, const char *what) {
    printf("  %s/%s: %s\n", file, name, what);
}

static bool run_valid(const char *file, const char *name, const json_t *in, const uint8_t *out,
                      size_t out_len) {
    buf_t enc = {0};
    bool ok = encode_json(in, &enc);
    if (!ok) report(file, name, "cannot encode \"in\"");
    if (ok && (enc.len != out_len || (out_len && memcmp(enc.data, out, out_len) != 0))) {
        report(file, name, "encoding differs from \"out\"");
        ok = false;
    }
    rlp_item item;
    rlp_err e = decode_all(out, out_len, &item);
    if (e != RLP_OK) {
        report(file, name, rlp_strerror(e));
        ok = false;
    } else if (!matches_json(in, &item)) {
        report(file, name, "decoded \"out\" differs from \"in\"");
        ok = false;
    }
    buf_free(&enc);
    return ok;
}

static bool run_roundtrip(const char *file, const char *name, const uint8_t *out, size_t out_len) {
    rlp_item item;
    rlp_err e = decode_all(out, out_len, &item);
    if (e != RLP_OK) {
        report(file, name, rlp_strerror(e));
        return false;
    }
    buf_t b = {0};
    reencode(&item, &b);
    bool ok = b.len == out_len && memcmp(b.data, out, out_len) == 0;
    if (!ok) report(file, name, "re-encoding differs from \"out\"");
    buf_free(&b);
    return ok;
}

static bool run_invalid(const char *file, const char *name, const uint8_t *out, size_t out_len) {
    rlp_item item;
    if (decode_all(out, out_len, &item) != RLP_OK) return true;
    report(file, name, "invalid RLP was accepted");
    return false;
}

static void run_case(const char *file, const char *name, const json_t *tc, rlp_counts *c) {
    const json_t *in = json_object_get(tc, "in");
    const char *out_hex = json_string_value(json_object_get(tc, "out"));
    uint8_t *out;
    size_t out_len;
    bool invalid = json_is_string(in) && strcmp(json_string_value(in), "INVALID") == 0;
    bool valid = json_is_string(in) && strcmp(json_string_value(in), "VALID") == 0;
    int *total = invalid ? &c->invalid : valid ? &c->roundtrip : &c->valid;
    int *passed = invalid ? &c->invalid_ok : valid ? &c->roundtrip_ok : &c->valid_ok;
    ++*total;
    if (!in || !out_hex || !hex_decode_alloc(out_hex, &out, &out_len)) {
        /* Unparsable "out" in an INVALID case is not RLP either, but a
         * fixture we cannot read is a harness problem: fail it. */
        report(file, name, "malformed test case");
        return;
    }
    bool ok = invalid ? run_invalid(file, name, out, out_len)
              : valid ? run_roundtrip(file, name, out, out_len)
                      : run_valid(file, name, in, out, out_len);
    *passed += ok;
    free(out);
}

static void run_rlp_file(const char *path, const char *shown, int *files) {
    json_error_t err;
    /* JSON_ALLOW_NUL: "bytestring00" is the string "\u0000". */
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &err);
    if (!root) {
        printf("  %s: cannot load: %s\n", shown, err.text);
        CHECK(root != NULL);
        return;
    }
    rlp_counts c = {0};
    const char *name;
    json_t *tc;
    json_object_foreach(root, name, tc) run_case(shown, name, tc, &c);
    printf("  %s: %d/%d passed (encode+decode %d/%d, invalid rejected %d/%d, "
           "round trip %d/%d)\n",
           shown, c.valid_ok + c.invalid_ok + c.roundtrip_ok, c.valid + c.invalid + c.roundtrip,
           c.valid_ok, c.valid, c.invalid_ok, c.invalid, c.roundtrip_ok, c.roundtrip);
    CHECK(c.valid + c.invalid + c.roundtrip > 0);
    CHECK(c.valid_ok == c.valid && c.invalid_ok == c.invalid && c.roundtrip_ok == c.roundtrip);
    ++*files;
    json_decref(root);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json under dir (sorted, recursively); rel is dir's name
 * relative to RLPTests, for messages. */
static void run_rlp_dir(const char *dir, const char *rel, int *files) {
    DIR *d = opendir(dir);
    if (!d) {
        printf("  cannot open %s\n", dir);
        CHECK(d != NULL);
        return;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096], shown[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(shown, sizeof shown, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        size_t len = strlen(names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            run_rlp_dir(path, shown, files);
        else if (len > 5 && strcmp(names[i] + len - 5, ".json") == 0)
            run_rlp_file(path, shown, files);
        free(names[i]);
    }
}

TEST(rlp_fixtures) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ethereum-tests/RLPTests", test_fixtures_dir());
    int files = 0;
    run_rlp_dir(dir, "", &files);
    /* rlptest, invalidRLPTest and RandomRLPTests/example at least. */
    CHECK(files >= 3);
}

/* The helpers themselves: nesting errors deep inside a list are caught, and
 * a list whose items overrun it is rejected. */
TEST(rlp_decode_all_nested) {
    rlp_item it;
    const uint8_t ok[] = {0xc4, 0xc3, 0xc2, 0xc1, 0xc0};
    CHECK(decode_all(ok, sizeof ok, &it) == RLP_OK);
    const uint8_t deep_bad[] = {0xc4, 0xc3, 0xc2, 0x81, 0x01}; /* 0x8101 not canonical */
    CHECK(decode_all(deep_bad, sizeof deep_bad, &it) == RLP_ERR_NONCANONICAL);
    const uint8_t overrun[] = {0xc2, 0x82, 0x01}; /* item needs 3 bytes, list has 2 */
    CHECK(decode_all(overrun, sizeof overrun, &it) != RLP_OK);
    CHECK(decode_all(ok, 0, &it) == RLP_ERR_TRUNCATED);
}
