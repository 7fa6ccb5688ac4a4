/* Test helpers shared by test_chain.c, test_block.c and test_ethash.c: a
 * block header from its JSON form (the ethereum/tests "blockHeader"
 * spelling or the eth_getBlockByNumber spelling of the mainnet fixtures),
 * and a recursive listing of fixture files. Everything is static inline:
 * a test that uses only part of it compiles without warnings. */
#ifndef PAREVM_TESTS_HEADER_JSON_H
#define PAREVM_TESTS_HEADER_JSON_H

#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>
#include "parevm/chain.h"
#include "parevm/hex.h"

/* obj[a] or, if absent, obj[b] as a string (NULL if neither). */
static inline const char *json_str2(json_t *obj, const char *a, const char *b) {
    json_t *v = json_object_get(obj, a);
    if (!v && b) v = json_object_get(obj, b);
    return json_string_value(v);
}

static inline bool json_fixed2(json_t *o, const char *a, const char *b, uint8_t *out, size_t n) {
    const char *s = json_str2(o, a, b);
    return s && hex_to_fixed(s, out, n);
}

static inline bool json_u64_2(json_t *o, const char *a, uint64_t *out) {
    const char *s = json_str2(o, a, NULL);
    return s && hex_to_u64(s, out);
}

static inline bool json_u256_2(json_t *o, const char *a, u256 *out) {
    uint8_t b[32];
    if (!json_fixed2(o, a, NULL, b, 32)) return false;
    *out = u256_from_be(b, 32);
    return true;
}

/* Builds h from JSON; false if a required field is missing or malformed.
 * h->hash is taken from the JSON "hash". */
static inline bool header_from_json(json_t *o, block_header *h) {
    memset(h, 0, sizeof *h);
    const char *extra = json_str2(o, "extraData", NULL);
    uint8_t *x;
    size_t xl;
    if (!extra || !hex_decode_alloc(extra, &x, &xl)) return false;
    h->extra_len = xl;
    memcpy(h->extra_data, x, xl < 64 ? xl : 64);
    free(x);
    bool ok = json_fixed2(o, "parentHash", NULL, h->parent_hash.b, 32) &&
              json_fixed2(o, "uncleHash", "sha3Uncles", h->ommers_hash.b, 32) &&
              json_fixed2(o, "coinbase", "miner", h->coinbase.b, 20) &&
              json_fixed2(o, "stateRoot", NULL, h->state_root.b, 32) &&
              json_fixed2(o, "transactionsTrie", "transactionsRoot", h->tx_root.b, 32) &&
              json_fixed2(o, "receiptTrie", "receiptsRoot", h->receipts_root.b, 32) &&
              json_fixed2(o, "bloom", "logsBloom", h->bloom, 256) &&
              json_u256_2(o, "difficulty", &h->difficulty) && json_u64_2(o, "number", &h->number) &&
              json_u64_2(o, "gasLimit", &h->gas_limit) && json_u64_2(o, "gasUsed", &h->gas_used) &&
              json_u64_2(o, "timestamp", &h->timestamp) &&
              json_fixed2(o, "mixHash", NULL, h->mix_hash.b, 32) &&
              json_u64_2(o, "nonce", &h->nonce) && json_fixed2(o, "hash", NULL, h->hash.b, 32);
    if (!ok) return false;
    if (json_object_get(o, "baseFeePerGas")) {
        h->has_base_fee = true;
        ok &= json_u256_2(o, "baseFeePerGas", &h->base_fee);
    }
    if (json_object_get(o, "withdrawalsRoot")) {
        h->has_withdrawals_root = true;
        ok &= json_fixed2(o, "withdrawalsRoot", NULL, h->withdrawals_root.b, 32);
    }
    if (json_object_get(o, "blobGasUsed")) {
        h->has_blob_gas = true;
        ok &= json_u64_2(o, "blobGasUsed", &h->blob_gas_used) &&
              json_u64_2(o, "excessBlobGas", &h->excess_blob_gas);
    }
    if (json_object_get(o, "parentBeaconBlockRoot")) {
        h->has_beacon_root = true;
        ok &= json_fixed2(o, "parentBeaconBlockRoot", NULL, h->parent_beacon_root.b, 32);
    }
    if (json_object_get(o, "requestsHash")) {
        h->has_requests_hash = true;
        ok &= json_fixed2(o, "requestsHash", NULL, h->requests_hash.b, 32);
    }
    return ok;
}

/* ---- fixture files ----------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} file_list;

static inline int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void collect_rec(file_list *l, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect_rec(l, p);
            free(p);
        } else if (n > 6 && !strcmp(p + strlen(p) - 5, ".json")) {
            if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 64;
                l->v = realloc(l->v, l->cap * sizeof *l->v);
            }
            l->v[l->n++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
}

/* Every *.json below fixtures/sub, sorted. */
static inline file_list fixture_files(const char *sub) {
    file_list l = {0};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", test_fixtures_dir(), sub);
    collect_rec(&l, dir);
    if (l.n) qsort(l.v, l.n, sizeof *l.v, cmp_str);
    return l;
}

static inline void file_list_free(file_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

#endif
