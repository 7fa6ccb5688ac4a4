/* CLI helpers: fixture discovery, hex fields of fixture JSON, big stacks. */
#include "cli_util.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc.h"
#include "parevm/rpc_codec.h"
#include "parevm/state.h"

static void paths_add(path_list *l, const char *p) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[l->n] = strdup(p);
    if (!l->v[l->n]) abort();
    l->n++;
}

bool cli_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

const char *cli_lock_store(const char *dir) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path) return "path too long";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "cannot open the store";
    if (flock(fd, LOCK_EX | LOCK_NB)) { /* the descriptor stays open (and locked) until exit */
        close(fd);
        return errno == EWOULDBLOCK ? "the store is in use by another import, unwind or node" : "cannot lock the store";
    }
    return NULL;
}

static bool in_pre_alloc_folder(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return false;
    size_t n = (size_t)(slash - path);
    return n >= 9 && !strncmp(slash - 9, "pre_alloc", 9) && (n == 9 || slash[-10] == '/');
}

static bool collect(path_list *l, const char *cmd, const char *path, bool top) {
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "parevm %s: %s: cannot access\n", cmd, path);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (!top && !cli_ends_with(path, ".json")) return true;
        /* blockchain_tests_engine_x's shared pre-states are not tests (enginetest reads them) */
        if (!top && in_pre_alloc_folder(path)) return true;
        /* a FIFO or a device would block the reader or never end */
        if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "parevm %s: %s: not a regular file or folder\n", cmd, path);
            return false;
        }
        paths_add(l, path);
        return true;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "parevm %s: %s: cannot open folder\n", cmd, path);
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) abort();
        snprintf(child, n, "%s/%s", path, e->d_name);
        ok &= collect(l, cmd, child, false);
        free(child);
    }
    closedir(d);
    return ok;
}

bool path_list_collect(path_list *l, const char *cmd, const char *path) {
    return collect(l, cmd, path, true);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void path_list_sort(path_list *l) {
    if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

void path_list_free(path_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int fixture_run_option(fixture_run *r, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--run")) {
        if (*i + 1 >= argc || r->has_filter) {
            fprintf(stderr, "parevm %s: --run takes one regular expression\n", r->cmd);
            return -1;
        }
        if (regcomp(&r->filter, argv[++*i], REG_EXTENDED | REG_NOSUB)) {
            fprintf(stderr, "parevm %s: bad --run regex '%s'\n", r->cmd, argv[*i]);
            return -1;
        }
        r->has_filter = true;
        return 1;
    }
    if (a[0] == '-') return 0;
    r->has_paths = true;
    if (!path_list_collect(&r->files, r->cmd, a)) r->paths_ok = false;
    return 1;
}

bool fixture_run_wants(const fixture_run *r, const char *name) {
    return !r->has_filter || regexec(&r->filter, name, 0, NULL, 0) == 0;
}

void fixture_run_fail(fixture_run *r, const char *file, const char *test, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s %s: ", file, test ? test : "-");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    r->failed++;
}

static void run_fixture_file(fixture_run *r, const char *file) {
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    if (!root) {
        fixture_run_fail(r, file, NULL, "invalid JSON at line %d: %s", jerr.line, jerr.text);
        return;
    }
    if (!json_is_object(root)) {
        fixture_run_fail(r, file, NULL, "malformed fixture: the top level is not an object");
    } else {
        const char *name;
        json_t *t;
        json_object_foreach(root, name, t) {
            if (!r->nested && !fixture_run_wants(r, name)) continue;
            if (json_is_object(t))
                r->run_test(r, file, name, t);
            else
                fixture_run_fail(r, file, name, "malformed fixture: the test is not an object");
        }
    }
    json_decref(root);
}

static int run_fixture_files(void *arg) {
    fixture_run *r = arg;
    for (size_t i = 0; i < r->files.n; i++) run_fixture_file(r, r->files.v[i]);
    return 0;
}

/* Runs the fixtures of one path read in batch mode and prints its summary
 * line; returns whether the path was good and every test passed. */
static bool run_batch_path(fixture_run *r, const char *path) {
    r->passed = r->failed = r->skipped = 0;
    bool ok = path_list_collect(&r->files, r->cmd, path);
    if (ok && !r->files.n) {
        fprintf(stderr, "parevm %s: %s: no .json fixture file found\n", r->cmd, path);
        ok = false;
    }
    path_list_sort(&r->files);
    run_on_big_stack(run_fixture_files, r);
    path_list_free(&r->files);
    fflush(stderr); /* a path's messages and trace (buffered when traced) before its summary */
    printf("%d passed, %d failed", r->passed, r->failed);
    if (r->skipped) printf(", %d skipped", r->skipped);
    printf("\n");
    fflush(stdout);
    return ok && !r->failed;
}

int fixture_run_stdin(fixture_run *r) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool any = false, ok = true;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (!n) break;
        any = true;
        ok &= run_batch_path(r, line);
    }
    free(line);
    fixture_run_free(r);
    return !any ? -1 : ok ? 0 : 1;
}

void fixture_run_free(fixture_run *r) {
    path_list_free(&r->files);
    if (r->has_filter) regfree(&r->filter);
    r->has_filter = false;
}

int fixture_run_all(fixture_run *r) {
    int status;
    if (!r->files.n) {
        if (r->has_paths && r->paths_ok) fprintf(stderr, "parevm %s: no .json fixture file found\n", r->cmd);
        status = r->has_paths ? 1 : -1;
    } else {
        path_list_sort(&r->files);
        run_on_big_stack(run_fixture_files, r);
        printf("%d passed, %d failed", r->passed, r->failed);
        if (r->skipped) printf(", %d skipped", r->skipped);
        printf("\n");
        status = r->failed || !r->paths_ok ? 1 : 0;
        /* a file or folder of another kind, or a filter matching nothing,
         * must not look like a clean run */
        if (!r->passed && !r->failed) {
            fprintf(stderr, "parevm %s: no test ran%s\n", r->cmd,
                    r->has_filter ? " (none matches --run)" : r->skipped ? " (every test was skipped)" : "");
            status = 1;
        }
    }
    fixture_run_free(r);
    return status;
}

/* obj[field], or NULL after writing "field ... is missing" into err. */
static json_t *field_get(json_t *obj, const char *field, char *err, size_t errlen) {
    json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    if (!v) snprintf(err, errlen, "field \"%s\" is missing", field);
    return v;
}

static const char *field_str(json_t *obj, const char *field, char *err, size_t errlen) {
    json_t *v = field_get(obj, field, err, errlen);
    if (v && !json_is_string(v)) {
        snprintf(err, errlen, "field \"%s\" is not a string", field);
        return NULL;
    }
    return v ? json_string_value(v) : NULL;
}

bool json_value_u256(json_t *v, u256 *out) {
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return false;
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return true;
    }
    const char *s = json_string_value(v);
    return s && hex_parse_u256(s, out);
}

bool json_value_u64(json_t *v, uint64_t *out) {
    u256 x;
    if (!json_value_u256(v, &x) || !u256_fits_u64(&x)) return false;
    *out = x.w[0];
    return true;
}

bool json_value_bytes(json_t *v, uint8_t **out, size_t *len) {
    const char *s = json_string_value(v);
    return s && hex_parse_data(s, out, len);
}

/* Quotes a field's value for an error message (strings, else the type). */
static void describe(json_t *v, char *out, size_t n) {
    if (json_is_string(v))
        snprintf(out, n, "\"%.60s%s\"", json_string_value(v), strlen(json_string_value(v)) > 60 ? "..." : "");
    else
        snprintf(out, n, "a JSON %s", json_is_object(v) ? "object" : json_is_array(v) ? "array"
                                      : json_is_number(v) ? "number" : json_is_boolean(v) ? "boolean" : "null");
}

/* text with every integer literal beyond jansson's 64-bit signed range
 * quoted: geth writes big.Int fields (terminalTotalDifficulty, chainId) as
 * bare JSON numbers, and accepts them for every HexOrDecimal256 field
 * (balances, difficulty), while jansson refuses integers past 2^63 - 1.
 * The readers of such fields take decimal strings. Reals are left alone. */
static char *quote_big_integers(const char *text, size_t len, size_t *out_len) {
    char *out = malloc(2 * len + 1), *o = out;
    if (!out) abort();
    bool in_string = false;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (in_string) {
            *o++ = c;
            if (c == '\\' && i + 1 < len) *o++ = text[++i];
            else if (c == '"') in_string = false;
            i++;
        } else if (c == '"') {
            in_string = true;
            *o++ = text[i++];
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i, digits = i + (c == '-');
            for (i = digits; i < len && text[i] >= '0' && text[i] <= '9'; i++) {}
            size_t n = i - digits;
            bool fraction = i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E');
            bool is_int = n > 0 && text[digits] != '0' && !fraction;
            bool big = n > 19 || (n == 19 && memcmp(text + digits, "9223372036854775807", 19) > 0);
            if (is_int && big) *o++ = '"';
            memcpy(o, text + start, i - start);
            o += i - start;
            if (is_int && big) *o++ = '"';
        } else {
            *o++ = text[i++];
        }
    }
    *out_len = (size_t)(o - out);
    return out;
}

json_t *cli_json_load(const char *path, char *err, size_t errlen) {
    buf_t text = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "unable to open %s: %s", path, strerror(errno)); /* as jansson says it */
        return NULL;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&text, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "%s: cannot read", path);
        buf_free(&text);
        return NULL;
    }
    size_t qlen;
    char *quoted = quote_big_integers((const char *)text.data, text.len, &qlen);
    buf_free(&text);
    json_error_t jerr;
    json_t *v = json_loadb(quoted, qlen, 0, &jerr);
    free(quoted);
    if (!v) snprintf(err, errlen, "%s: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    return v;
}

bool json_hex_u256(json_t *obj, const char *field, u256 *out, char *err, size_t errlen) {
    json_t *v = field_get(obj, field, err, errlen);
    if (!v) return false;
    if (!json_value_u256(v, out)) {
        char d[80];
        describe(v, d, sizeof d);
        snprintf(err, errlen, "field \"%s\" is not a number of at most 256 bits (0x-hex or decimal): %s", field, d);
        return false;
    }
    return true;
}

bool json_hex_u64(json_t *obj, const char *field, uint64_t *out, char *err, size_t errlen) {
    json_t *v = field_get(obj, field, err, errlen);
    if (!v) return false;
    if (!json_value_u64(v, out)) {
        char d[80];
        describe(v, d, sizeof d);
        snprintf(err, errlen, "field \"%s\" is not a 64-bit number (0x-hex or decimal): %s", field, d);
        return false;
    }
    return true;
}

static bool fixed(json_t *obj, const char *field, uint8_t *out, size_t n, char *err, size_t errlen) {
    const char *s = field_str(obj, field, err, errlen);
    if (!s) return false;
    if (!hex_parse_fixed(s, out, n)) {
        snprintf(err, errlen, "field \"%s\" is not %zu bytes of hex: \"%.70s\"", field, n, s);
        return false;
    }
    return true;
}

bool json_hex_address(json_t *obj, const char *field, address *out, char *err, size_t errlen) {
    return fixed(obj, field, out->b, 20, err, errlen);
}

bool json_hex_bytes32(json_t *obj, const char *field, bytes32 *out, char *err, size_t errlen) {
    return fixed(obj, field, out->b, 32, err, errlen);
}

bool json_hex_bytes(json_t *obj, const char *field, uint8_t **out, size_t *len, char *err, size_t errlen) {
    const char *s = field_str(obj, field, err, errlen);
    if (!s) return false;
    if (!hex_parse_data(s, out, len)) {
        snprintf(err, errlen, "field \"%s\" is not 0x-prefixed hex of whole bytes: \"%.40s%s\"", field, s,
                 strlen(s) > 40 ? "..." : "");
        return false;
    }
    return true;
}

static bool present(json_t *obj, const char *field, bool *out) {
    json_t *v = json_object_get(obj, field);
    return *out = v && !json_is_null(v);
}

bool json_opt_u256(json_t *obj, const char *field, u256 *out, bool *has, char *err, size_t errlen) {
    return !present(obj, field, has) || json_hex_u256(obj, field, out, err, errlen);
}

bool json_opt_u64(json_t *obj, const char *field, uint64_t *out, bool *has, char *err, size_t errlen) {
    return !present(obj, field, has) || json_hex_u64(obj, field, out, err, errlen);
}

bool json_opt_bytes32(json_t *obj, const char *field, bytes32 *out, bool *has, char *err, size_t errlen) {
    return !present(obj, field, has) || json_hex_bytes32(obj, field, out, err, errlen);
}

/* One account of a "pre" object (geth's genesis account: balance required;
 * nonce, code and storage optional). */
static bool load_account(const char *key, json_t *acct, mem_state *s, char *err, size_t errlen) {
    address a;
    u256 balance;
    uint64_t nonce = 0;
    uint8_t *code = NULL;
    size_t code_len = 0;
    char ferr[200];
    if (!hex_parse_fixed(key, a.b, 20)) {
        snprintf(err, errlen, "\"%.60s\" is not an address (20 bytes of hex)", key);
        return false;
    }
    if (!json_is_object(acct)) {
        snprintf(err, errlen, "%s: the account is not an object", key);
        return false;
    }
    json_t *storage = json_object_get(acct, "storage");
    bool ok = json_hex_u256(acct, "balance", &balance, ferr, sizeof ferr) &&
              (!json_object_get(acct, "nonce") || json_hex_u64(acct, "nonce", &nonce, ferr, sizeof ferr)) &&
              (!json_object_get(acct, "code") || json_hex_bytes(acct, "code", &code, &code_len, ferr, sizeof ferr));
    if (ok && storage && !json_is_object(storage)) {
        snprintf(ferr, sizeof ferr, "field \"storage\" is not an object");
        ok = false;
    }
    if (!ok) {
        free(code);
        snprintf(err, errlen, "%s: %s", key, ferr);
        return false;
    }
    mem_state_set_account(s, &a, &balance, nonce, code, code_len);
    free(code);
    const char *slot;
    json_t *val;
    json_object_foreach(storage, slot, val) {
        uint8_t kb[32], vb[32];
        const char *vs = json_string_value(val);
        if (!hex_parse_padded(slot, kb, 32) || !vs || !hex_parse_padded(vs, vb, 32)) {
            snprintf(err, errlen, "%s.storage: bad slot \"%.70s\" (keys and values are strings of at most 32 "
                     "bytes of hex)", key, slot);
            return false;
        }
        u256 k = u256_from_be(kb, 32), v = u256_from_be(vb, 32);
        mem_state_set_storage(s, &a, &k, &v);
    }
    return true;
}

bool json_load_pre_state(json_t *pre, mem_state *s, char *err, size_t errlen) {
    if (!json_is_object(pre)) {
        snprintf(err, errlen, "field \"pre\" is missing or not an object");
        return false;
    }
    const char *key;
    json_t *acct;
    char aerr[300];
    json_object_foreach(pre, key, acct) {
        if (!load_account(key, acct, s, aerr, sizeof aerr)) {
            snprintf(err, errlen, "pre.%s", aerr);
            return false;
        }
    }
    return true;
}

bool cli_parse_long(const char *text, long min, long max, long *out) {
    uint64_t v; /* a sign is never taken, so a negative min means 0 */
    if (max < 0 || !cli_parse_u64(text, min > 0 ? (uint64_t)min : 0, (uint64_t)max, &v)) return false;
    *out = (long)v;
    return true;
}

bool cli_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    if (!text || !isdigit((unsigned char)text[0])) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

static bool ho_account(void *c, const address *a, unsigned fields, account_info *out) {
    state_view *in = &((hash_override *)c)->inner;
    return in->ops->get_account(in->ctx, a, fields, out);
}
static u256 ho_storage(void *c, const address *a, const u256 *key) {
    state_view *in = &((hash_override *)c)->inner;
    return in->ops->get_storage(in->ctx, a, key);
}
static bool ho_has_storage(void *c, const address *a) {
    state_view *in = &((hash_override *)c)->inner;
    return in->ops->has_storage(in->ctx, a);
}
static const evm_code *ho_code(void *c, const address *a) {
    state_view *in = &((hash_override *)c)->inner;
    return in->ops->get_code(in->ctx, a);
}
static bytes32 ho_block_hash(void *c, uint64_t number) {
    hash_override *h = c;
    return h->block_hash(h->ctx, number);
}
static const state_view_ops hash_override_ops = {ho_account, ho_storage, ho_has_storage, ho_code, ho_block_hash};

state_view hash_override_view(hash_override *v) { return (state_view){&hash_override_ops, v}; }

const char *cli_option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

bool json_load_withdrawals(json_t *list, block *b, char *err, size_t n) {
    b->has_withdrawals = list && !json_is_null(list);
    if (!b->has_withdrawals) return true;
    if (!json_is_array(list)) {
        snprintf(err, n, "field \"withdrawals\" is not an array");
        return false;
    }
    b->n_withdrawals = json_array_size(list);
    b->withdrawals = calloc(b->n_withdrawals + 1, sizeof *b->withdrawals);
    if (!b->withdrawals) abort();
    for (size_t i = 0; i < b->n_withdrawals; i++) {
        json_t *w = json_array_get(list, i);
        withdrawal *wd = &b->withdrawals[i];
        char why[200] = "is not an object";
        if (!json_is_object(w) || !json_hex_u64(w, "index", &wd->index, why, sizeof why) ||
            !json_hex_u64(w, "validatorIndex", &wd->validator, why, sizeof why) ||
            !json_hex_address(w, "address", &wd->addr, why, sizeof why) ||
            !json_hex_u64(w, "amount", &wd->amount_gwei, why, sizeof why)) {
            snprintf(err, n, "withdrawals[%zu]: %s", i, why);
            return false;
        }
    }
    return true;
}

bytes32 decimal_block_hash(void *ctx, uint64_t number) {
    (void)ctx;
    char dec[24];
    int n = snprintf(dec, sizeof dec, "%llu", (unsigned long long)number);
    return keccak256_hash(dec, (size_t)n);
}

/* ---- state as a genesis alloc ---- */

typedef struct {
    mem_state *s;
    json_t *out;
} alloc_walk;

static bool add_slot(void *arg, const u256 *key, const u256 *value) {
    if (u256_is_zero(value)) return true;
    bytes32 k, v;
    u256_to_be(key, k.b);
    u256_to_be(value, v.b);
    char kh[67];
    hex_encode(k.b, 32, kh);
    json_object_set_new(arg, kh, rpc_json_hash(&v));
    return true;
}

static bool add_account(void *arg, const mem_account_ref *a) {
    alloc_walk *w = arg;
    json_t *o = json_object(), *storage = json_object();
    json_object_set_new(o, "balance", rpc_json_u256(a->balance));
    if (a->nonce) json_object_set_new(o, "nonce", rpc_json_u64(a->nonce));
    if (a->code && a->code->len) json_object_set_new(o, "code", rpc_json_data(a->code->bytes, a->code->len));
    mem_state_each_slot(w->s, a->addr, add_slot, storage);
    if (json_object_size(storage)) json_object_set(o, "storage", storage);
    json_decref(storage);
    char ah[43];
    hex_encode(a->addr->b, 20, ah);
    json_object_set_new(w->out, ah, o);
    return true;
}

json_t *mem_state_alloc_json(mem_state *s) {
    alloc_walk w = {s, json_object()};
    mem_state_each_account(s, add_account, &w);
    return w.out;
}

typedef struct {
    int (*fn)(void *);
    void *arg;
    int result;
} big_stack_job;

static void *big_stack_main(void *p) {
    big_stack_job *j = p;
    j->result = j->fn(j->arg);
    return NULL;
}

int run_on_big_stack(int (*fn)(void *), void *arg) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)512 << 20);
    big_stack_job job = {fn, arg, 0};
    pthread_t t;
    if (pthread_create(&t, &attr, big_stack_main, &job)) {
        pthread_attr_destroy(&attr);
        return fn(arg); /* fall back to the current stack */
    }
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    return job.result;
}

json_t *cli_rpc_call(const rpc_methods *m, const char *method, json_t *params) {
    json_t *req = json_pack("{s:s,s:i,s:s,s:O}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t len;
    char *out = body ? rpc_process(m, body, strlen(body), 1, &len) : NULL;
    free(body);
    json_t *r = out ? json_loadb(out, len, 0, NULL) : NULL;
    free(out);
    return r;
}
