/* Tests for the Merkle-Patricia trie roots: every ethereum-tests TrieTests
 * fixture, a differential test against a literal transcription of the Yellow
 * Paper's definition, edge cases, the ordered (index-keyed) trie, and a
 * timing of a 100k-key root. */
#include "test.h"

#include <dirent.h>
#include <jansson.h>
#include <time.h>

#include "parevm/buf.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "parevm/trie.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) { return test_xorshift(&rng_state); }

/* ---- A key -> value map with the fixtures' update semantics ------------- */

/* Owns its keys and values. Setting an empty or NULL value deletes the key,
 * as in Ethereum tries, where "" means absent. */
typedef struct {
    trie_kv *kv;
    size_t n, cap;
} kv_map;

static long map_find(const kv_map *m, const uint8_t *key, size_t key_len) {
    for (size_t i = 0; i < m->n; i++)
        if (m->kv[i].key_len == key_len && memcmp(m->kv[i].key, key, key_len) == 0)
            return (long)i;
    return -1;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (n) memcpy(d, p, n);
    return d;
}

static void map_set(kv_map *m, const uint8_t *key, size_t key_len, const uint8_t *val,
                    size_t val_len) {
    long at = map_find(m, key, key_len);
    if (at >= 0) {
        free((void *)m->kv[at].key);
        free((void *)m->kv[at].val);
        m->kv[at] = m->kv[--m->n];
    }
    if (!val || val_len == 0) return;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->kv = realloc(m->kv, m->cap * sizeof *m->kv);
    }
    m->kv[m->n++] = (trie_kv){dup_bytes(key, key_len), key_len, dup_bytes(val, val_len), val_len};
}

static void map_free(kv_map *m) {
    for (size_t i = 0; i < m->n; i++) {
        free((void *)m->kv[i].key);
        free((void *)m->kv[i].val);
    }
    free(m->kv);
    *m = (kv_map){0};
}

/* ---- Reference: the Yellow Paper's c() and n() functions, literally ------ */

/* A pair with its key expanded to one nibble per byte. */
typedef struct {
    uint8_t *nib;
    size_t len;
    const uint8_t *val;
    size_t val_len;
} ref_item;

static void ref_hex_prefix(buf_t *out, const uint8_t *nib, size_t len, bool leaf) {
    uint8_t *hp = malloc(len / 2 + 1);
    size_t k = 0, i = 0;
    if (len % 2) {
        hp[k++] = (uint8_t)((leaf ? 0x30 : 0x10) | nib[i++]);
    } else {
        hp[k++] = leaf ? 0x20 : 0x00;
    }
    for (; i < len; i += 2) hp[k++] = (uint8_t)(nib[i] << 4 | nib[i + 1]);
    rlp_encode_bytes(out, hp, k);
    free(hp);
}

static void ref_c(ref_item **set, size_t n, size_t i, buf_t *out);

/* n(I, i): the empty string for no items, else c() inline if shorter than
 * 32 bytes, else its hash. */
static void ref_n(ref_item **set, size_t n, size_t i, buf_t *out) {
    if (n == 0) {
        rlp_encode_bytes(out, NULL, 0);
        return;
    }
    buf_t node = {0};
    ref_c(set, n, i, &node);
    if (node.len < 32) {
        rlp_encode_raw(out, node.data, node.len);
    } else {
        bytes32 h = keccak256_hash(node.data, node.len);
        rlp_encode_bytes32(out, &h);
    }
    buf_free(&node);
}

static void ref_c(ref_item **set, size_t n, size_t i, buf_t *out) {
    size_t start = rlp_list_begin(out);
    if (n == 1) {
        ref_hex_prefix(out, set[0]->nib + i, set[0]->len - i, true);
        rlp_encode_bytes(out, set[0]->val, set[0]->val_len);
        rlp_list_end(out, start);
        return;
    }
    /* Longest j such that every key agrees on nibbles [i, j). */
    size_t j = i;
    for (;; j++) {
        bool same = true;
        for (size_t k = 0; k < n && same; k++)
            same = set[k]->len > j && set[k]->nib[j] == set[0]->nib[j];
        if (!same) break;
    }
    if (j > i) {
        ref_hex_prefix(out, set[0]->nib + i, j - i, false);
        ref_n(set, n, j, out);
        rlp_list_end(out, start);
        return;
    }
    ref_item **sub = malloc(n * sizeof *sub);
    const ref_item *value = NULL;
    for (unsigned u = 0; u < 16; u++) {
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (set[k]->len > i && set[k]->nib[i] == u) sub[m++] = set[k];
        ref_n(sub, m, i + 1, out);
    }
    for (size_t k = 0; k < n; k++)
        if (set[k]->len == i) value = set[k];
    rlp_encode_bytes(out, value ? value->val : NULL, value ? value->val_len : 0);
    free(sub);
    rlp_list_end(out, start);
}

static bytes32 ref_root(const trie_kv *kv, size_t n) {
    if (n == 0) return keccak256_hash((const uint8_t[]){0x80}, 1);
    ref_item *items = calloc(n, sizeof *items);
    ref_item **set = malloc(n * sizeof *set);
    for (size_t k = 0; k < n; k++) {
        items[k].len = 2 * kv[k].key_len;
        items[k].nib = malloc(items[k].len + 1);
        for (size_t b = 0; b < kv[k].key_len; b++) {
            items[k].nib[2 * b] = kv[k].key[b] >> 4;
            items[k].nib[2 * b + 1] = kv[k].key[b] & 15;
        }
        items[k].val = kv[k].val;
        items[k].val_len = kv[k].val_len;
        set[k] = &items[k];
    }
    buf_t node = {0};
    ref_c(set, n, 0, &node);
    bytes32 root = keccak256_hash(node.data, node.len);
    buf_free(&node);
    for (size_t k = 0; k < n; k++) free(items[k].nib);
    free(items);
    free(set);
    return root;
}

/* ---- Fixtures ---------------------------------------------------------- */

/* Fixture strings: "0x..." is hex, anything else is the raw ASCII bytes. */
static bool fixture_bytes(const json_t *s, uint8_t **out, size_t *len) {
    const char *t = json_string_value(s);
    if (!t) return false;
    if (t[0] == '0' && t[1] == 'x') return hex_decode_alloc(t, out, len);
    *len = json_string_length(s);
    *out = dup_bytes((const uint8_t *)t, *len);
    return true;
}

static bool apply_pair(kv_map *m, const json_t *key, const json_t *val) {
    uint8_t *k, *v = NULL;
    size_t kl, vl = 0;
    if (!fixture_bytes(key, &k, &kl)) return false;
    if (!json_is_null(val) && !fixture_bytes(val, &v, &vl)) {
        free(k);
        return false;
    }
    map_set(m, k, kl, v, vl);
    free(k);
    free(v);
    return true;
}

/* Builds the final map of a test's "in": a list of [key, value] updates
 * applied in order, or an object of key -> value. */
static bool build_map(const json_t *in, kv_map *m) {
    if (json_is_array(in)) {
        size_t i;
        json_t *pair;
        json_array_foreach(in, i, pair) {
            if (json_array_size(pair) != 2) return false;
            if (!apply_pair(m, json_array_get(pair, 0), json_array_get(pair, 1))) return false;
        }
        return true;
    }
    if (!json_is_object(in)) return false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v) {
        json_t *key = json_string(k);
        bool ok = apply_pair(m, key, v);
        json_decref(key);
        if (!ok) return false;
    }
    return true;
}

/* Runs one test case; returns 1 if it passed, 0 if it failed. */
static int run_trie_case(const char *file, const char *name, const json_t *tc, bool secure) {
    bytes32 want;
    kv_map m = {0};
    const char *root_hex = json_string_value(json_object_get(tc, "root"));
    if (!root_hex || !hex_to_fixed(root_hex, want.b, 32) || !build_map(json_object_get(tc, "in"), &m)) {
        printf("  %s/%s: malformed test case\n", file, name);
        map_free(&m);
        return 0;
    }
    bytes32 got = secure ? trie_root_secure(m.kv, m.n) : trie_root(m.kv, m.n);
    bool ok = bytes32_eq(&got, &want);
    if (!ok) {
        char g[67], w[67];
        hex_encode(got.b, 32, g);
        hex_encode(want.b, 32, w);
        printf("  %s/%s: root %s, want %s\n", file, name, g, w);
    }
    map_free(&m);
    return ok;
}

/* Runs every case of TrieTests/<file> that has a "root"; cases without one
 * are counted and skipped with a printed reason, never silently. */
static void run_trie_file(const char *file, bool secure) {
    char path[4096];
    snprintf(path, sizeof path, "%s/ethereum-tests/TrieTests/%s", test_fixtures_dir(), file);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        printf("  %s: cannot load: %s\n", path, err.text);
        CHECK(root != NULL);
        return;
    }
    int total = 0, passed = 0, skipped = 0;
    const char *name;
    json_t *tc;
    json_object_foreach(root, name, tc) {
        if (!json_object_get(tc, "root")) {
            skipped++;
            continue;
        }
        total++;
        passed += run_trie_case(file, name, tc, secure);
    }
    if (skipped)
        printf("  %s: skipping %d case(s) without a \"root\" (next/prev iteration "
               "tests; parevm's trie computes roots only and has no iterator)\n",
               file, skipped);
    printf("  %s: %d/%d passed\n", file, passed, total);
    CHECK(passed == total);
    json_decref(root);
}

/* Every TrieTests file, and whether its keys are hashed (secure trie). */
static const struct {
    const char *file;
    bool secure;
} trie_files[] = {
    {"trietest.json", false},
    {"trieanyorder.json", false},
    {"trietest_secureTrie.json", true},
    {"trieanyorder_secureTrie.json", true},
    {"hex_encoded_securetrie_test.json", true},
    {"trietestnextprev.json", false},
};

TEST(trie_fixture_trietest) { run_trie_file(trie_files[0].file, trie_files[0].secure); }
TEST(trie_fixture_trieanyorder) { run_trie_file(trie_files[1].file, trie_files[1].secure); }
TEST(trie_fixture_trietest_secure) { run_trie_file(trie_files[2].file, trie_files[2].secure); }
TEST(trie_fixture_trieanyorder_secure) { run_trie_file(trie_files[3].file, trie_files[3].secure); }
TEST(trie_fixture_hex_encoded_secure) { run_trie_file(trie_files[4].file, trie_files[4].secure); }
TEST(trie_fixture_nextprev) { run_trie_file(trie_files[5].file, trie_files[5].secure); }

/* A fixture file added upstream must not go unrun: fail on unknown names. */
TEST(trie_fixture_all_files_known) {
    char path[4096];
    snprintf(path, sizeof path, "%s/ethereum-tests/TrieTests", test_fixtures_dir());
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        bool known = false;
        for (size_t i = 0; i < sizeof trie_files / sizeof trie_files[0]; i++)
            known |= strcmp(e->d_name, trie_files[i].file) == 0;
        if (!known) printf("  TrieTests/%s is not run by test_trie\n", e->d_name);
        CHECK(known);
    }
    closedir(d);
}

/* ---- Edge cases -------------------------------------------------------- */

static trie_kv str_kv(const char *k, const char *v) {
    return (trie_kv){(const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v)};
}

TEST(trie_empty) {
    bytes32 r = trie_root(NULL, 0);
    CHECK(bytes32_eq(&r, &EMPTY_TRIE_ROOT));
    r = trie_root_secure(NULL, 0);
    CHECK(bytes32_eq(&r, &EMPTY_TRIE_ROOT));
    r = trie_root_ordered(NULL, 0);
    CHECK(bytes32_eq(&r, &EMPTY_TRIE_ROOT));
    bytes32 want = keccak256_hash((const uint8_t[]){0x80}, 1);
    CHECK(bytes32_eq(&r, &want));
}

/* A root node shorter than 32 bytes is still hashed (never inlined). */
TEST(trie_single_short_leaf) {
    trie_kv kv = {(const uint8_t[]){0x01}, 1, (const uint8_t[]){0x02}, 1};
    bytes32 r = trie_root(&kv, 1);
    /* [hp(0,1 leaf) = 0x20 0x01, 0x02] */
    const uint8_t node[] = {0xc4, 0x82, 0x20, 0x01, 0x02};
    bytes32 want = keccak256_hash(node, sizeof node);
    CHECK(bytes32_eq(&r, &want));
}

TEST(trie_empty_key) {
    trie_kv kv[2] = {{(const uint8_t *)"", 0, (const uint8_t *)"v", 1}, str_kv("a", "w")};
    /* Single empty key: leaf with an empty even path (0x20). */
    const uint8_t node[] = {0xc2, 0x20, 'v'};
    bytes32 want = keccak256_hash(node, sizeof node);
    bytes32 r = trie_root(kv, 1);
    CHECK(bytes32_eq(&r, &want));
    /* With a second key the empty key becomes the root branch's value. */
    bytes32 ref = ref_root(kv, 2);
    r = trie_root(kv, 2);
    CHECK(bytes32_eq(&r, &ref));
}

/* Keys that are prefixes of other keys put values in branch nodes. */
TEST(trie_prefix_keys) {
    trie_kv kv[] = {str_kv("doge", "coin"), str_kv("do", "verb"), str_kv("dog", "puppy"),
                    str_kv("horse", "stallion")};
    bytes32 want;
    hex_to_fixed("0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84", want.b, 32);
    bytes32 r = trie_root(kv, 4);
    CHECK(bytes32_eq(&r, &want));
    trie_kv chain[] = {str_kv("a", "1"), str_kv("ab", "2"), str_kv("abc", "3"), str_kv("abcd", "4")};
    bytes32 ref = ref_root(chain, 4);
    r = trie_root(chain, 4);
    CHECK(bytes32_eq(&r, &ref));
}

/* Map semantics used by the fixtures: an empty value deletes, a later insert
 * overwrites. */
TEST(trie_empty_value_deletes) {
    kv_map m = {0};
    map_set(&m, (const uint8_t *)"dog", 3, (const uint8_t *)"puppy", 5);
    map_set(&m, (const uint8_t *)"cat", 3, (const uint8_t *)"x", 1);
    map_set(&m, (const uint8_t *)"dog", 3, (const uint8_t *)"hound", 5);
    map_set(&m, (const uint8_t *)"cat", 3, (const uint8_t *)"", 0);
    CHECK_EQ_U64(m.n, 1);
    trie_kv only = str_kv("dog", "hound");
    bytes32 a = trie_root(m.kv, m.n), b = trie_root(&only, 1);
    CHECK(bytes32_eq(&a, &b));
    map_free(&m);
}

/* Random key sets over a tiny alphabet (many shared prefixes and prefix
 * keys), random value sizes around the 32- and 55-byte thresholds, and some
 * long keys (hex-prefix strings above 55 bytes): compare with ref_root. */
TEST(trie_vs_reference_random) {
    static const uint8_t alphabet[] = {0x00, 0x01, 0x10, 0x11, 0x12, 0x21, 0xf0, 0xff};
    int mismatches = 0;
    for (int iter = 0; iter < 400; iter++) {
        kv_map m = {0};
        size_t want = 1 + rnd() % 48;
        bool long_keys = iter % 10 == 0;
        for (size_t k = 0; k < want; k++) {
            uint8_t key[160], val[100];
            size_t kl = long_keys ? 60 + rnd() % 100 : rnd() % 6;
            for (size_t i = 0; i < kl; i++)
                key[i] = long_keys && i < 58 ? 0xab : alphabet[rnd() % sizeof alphabet];
            size_t vl = 1 + rnd() % 99;
            for (size_t i = 0; i < vl; i++) val[i] = (uint8_t)rnd();
            map_set(&m, key, kl, val, vl);
        }
        bytes32 ref = ref_root(m.kv, m.n);
        bytes32 got = trie_root(m.kv, m.n);
        mismatches += !bytes32_eq(&ref, &got);
        map_free(&m);
    }
    CHECK_EQ_U64(mismatches, 0);
}

/* The root does not depend on the order the pairs are given in. */
TEST(trie_order_independent) {
    enum { N = 500 };
    static uint8_t keys[N][20], vals[N][8];
    trie_kv kv[N];
    for (size_t i = 0; i < N; i++) {
        for (size_t b = 0; b < 20; b++) keys[i][b] = (uint8_t)rnd();
        keys[i][0] = (uint8_t)(i & 3); /* force shared first nibbles */
        for (size_t b = 0; b < 8; b++) vals[i][b] = (uint8_t)rnd();
        kv[i] = (trie_kv){keys[i], 20, vals[i], 8};
    }
    bytes32 a = trie_root(kv, N);
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        trie_kv t = kv[i];
        kv[i] = kv[j];
        kv[j] = t;
    }
    bytes32 b = trie_root(kv, N);
    bytes32 s = trie_root_secure(kv, N);
    CHECK(bytes32_eq(&a, &b));
    CHECK(!bytes32_eq(&a, &s));
}

/* trie_root_ordered against trie_root with keys rlp(i) built by the generic
 * RLP encoder. 128 and 256 cross the single-byte / two-byte key forms. */
TEST(trie_ordered_vs_rlp_keys) {
    static const size_t sizes[] = {0, 1, 2, 127, 128, 129, 256, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        byte_span *vals = calloc(n + 1, sizeof *vals);
        trie_kv *kv = calloc(n + 1, sizeof *kv);
        buf_t keys = {0}, data = {0};
        size_t *koff = calloc(n + 1, sizeof *koff), *voff = calloc(n + 1, sizeof *voff);
        for (size_t i = 0; i < n; i++) {
            koff[i] = keys.len;
            rlp_encode_u64(&keys, i);
            voff[i] = data.len;
            size_t vl = 1 + (i * 7) % 90;
            for (size_t b = 0; b < vl; b++) buf_push(&data, (uint8_t)(i + b));
        }
        koff[n] = keys.len;
        voff[n] = data.len;
        for (size_t i = 0; i < n; i++) {
            vals[i] = (byte_span){data.data + voff[i], voff[i + 1] - voff[i]};
            kv[i] = (trie_kv){keys.data + koff[i], koff[i + 1] - koff[i], vals[i].data, vals[i].len};
        }
        bytes32 a = trie_root_ordered(vals, n);
        bytes32 b = trie_root(kv, n);
        if (!bytes32_eq(&a, &b)) printf("  ordered trie mismatch for n=%zu\n", n);
        CHECK(bytes32_eq(&a, &b));
        if (n <= 256) {
            bytes32 r = ref_root(kv, n);
            CHECK(bytes32_eq(&a, &r));
        }
        free(vals);
        free(kv);
        free(koff);
        free(voff);
        buf_free(&keys);
        buf_free(&data);
    }
}

/* trie_root_pool equals trie_root: ordered keys (1 to 3 byte rlp(i)),
 * 32-byte keys, and short keys over a tiny alphabet with prefix keys (a
 * branch's own value, extensions), values around the 32-byte inline limit,
 * sizes around TRIE_POOL_MIN, pools of 1, 2 and 3 threads. */
TEST(trie_pool_matches_serial) {
    static const size_t sizes[] = {0, 1, 255, 256, 257, 700, 1450, 5000};
    static const uint8_t alphabet[] = {0x00, 0x01, 0x10, 0x11, 0x12, 0x21, 0xf0, 0xff};
    task_pool *pools[3] = {task_pool_new(1), task_pool_new(2), task_pool_new(3)};
    int bad = 0;
    for (int shape = 0; shape < 3; shape++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t want = sizes[si];
            kv_map m = {0};
            for (size_t i = 0; m.n < want && i < 50 * want; i++) {
                uint8_t key[32], val[64];
                size_t kl;
                if (shape == 0) {
                    buf_t k = {0};
                    rlp_encode_u64(&k, i);
                    kl = k.len;
                    memcpy(key, k.data, kl);
                    buf_free(&k);
                } else if (shape == 1) {
                    kl = 32;
                    for (size_t b = 0; b < kl; b++) key[b] = (uint8_t)rnd();
                } else {
                    kl = 1 + rnd() % 5;
                    for (size_t b = 0; b < kl; b++) key[b] = alphabet[rnd() % sizeof alphabet];
                }
                size_t vl = 1 + rnd() % 40;
                for (size_t b = 0; b < vl; b++) val[b] = (uint8_t)rnd();
                map_set(&m, key, kl, val, vl);
            }
            bytes32 serial = trie_root(m.kv, m.n);
            for (int p = 0; p < 3; p++) {
                for (size_t i = m.n; i > 1; i--) { /* any input order */
                    size_t j = (size_t)(rnd() % i);
                    trie_kv t = m.kv[i - 1];
                    m.kv[i - 1] = m.kv[j];
                    m.kv[j] = t;
                }
                bytes32 got = trie_root_pool(m.kv, m.n, pools[p]);
                if (!bytes32_eq(&got, &serial)) {
                    printf("  shape %d, %zu pairs, %d threads: roots differ\n", shape, m.n, p + 1);
                    bad++;
                }
            }
            map_free(&m);
        }
    CHECK_EQ_U64(bad, 0);
    for (int p = 0; p < 3; p++) task_pool_free(pools[p]);
}

/* ---- Timing ------------------------------------------------------------ */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 100k random 32-byte keys -> 70-byte values, the shape of a large storage
 * or state trie: the root must equal the Yellow Paper reference's whatever
 * the order of the input (shuffled before every run). Prints the best time
 * of a few runs. */
TEST(trie_bench_100k) {
    enum { N = 100000, KL = 32, VL = 70 };
    uint8_t *mem = malloc((size_t)N * (KL + VL));
    trie_kv *kv = malloc(N * sizeof *kv);
    for (size_t i = 0; i < (size_t)N * (KL + VL); i++) mem[i] = (uint8_t)rnd();
    for (size_t i = 0; i < N; i++) kv[i] = (trie_kv){mem + i * KL, KL, mem + (size_t)N * KL + i * VL, VL};
    bytes32 want = ref_root(kv, N);
    double best = 1e30;
    for (int run = 0; run < 5; run++) {
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)(rnd() % (i + 1));
            trie_kv t = kv[i];
            kv[i] = kv[j];
            kv[j] = t;
        }
        double t0 = now_ms();
        bytes32 r = trie_root(kv, N);
        double t = now_ms() - t0;
        if (t < best) best = t;
        CHECK(bytes32_eq(&r, &want));
    }
    printf("  trie_root: %d keys (32 B) -> %d B values: %.1f ms (best of 5)\n", N, VL, best);
    free(kv);
    free(mem);
}
