/* Log encoding for receipts and the state tests' logs hash, and the bloom
 * filter (Yellow Paper 4.3.1: three 11-bit indexes from keccak of the
 * address and of each topic). */
#include <stdlib.h>
#include <string.h>
#include "parevm/exec.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

void logs_rlp(buf_t *out, const overlay_log *logs, size_t n, const uint8_t *data) {
    size_t outer = rlp_list_begin(out);
    for (size_t i = 0; i < n; i++) {
        const overlay_log *l = &logs[i];
        size_t item = rlp_list_begin(out);
        rlp_encode_address(out, &l->addr);
        size_t topics = rlp_list_begin(out);
        for (uint32_t t = 0; t < l->n_topics; t++) rlp_encode_bytes32(out, &l->topics[t]);
        rlp_list_end(out, topics);
        rlp_encode_bytes(out, overlay_log_bytes(l, data), l->data_len);
        rlp_list_end(out, item);
    }
    rlp_list_end(out, outer);
}

static size_t string_size(const uint8_t *d, size_t len) {
    uint8_t h[9];
    if (len == 1 && d[0] < 0x80) return 1;
    return rlp_header(h, false, len) + len;
}

/* Size of one log's list payload (address, topics list, data). */
static size_t log_payload(const overlay_log *l, const uint8_t *data, size_t *topics_payload) {
    uint8_t h[9];
    *topics_payload = 33 * l->n_topics;
    return 21 + rlp_header(h, true, *topics_payload) + *topics_payload +
           string_size(overlay_log_bytes(l, data), l->data_len);
}

/* keccak(rlp(logs)) streamed: logs can carry megabytes of data, which a
 * buffer would copy and move around several times. */
bytes32 logs_hash(const overlay_log *logs, size_t n, const uint8_t *data) {
    size_t total = 0, tp;
    uint8_t h[9];
    for (size_t i = 0; i < n; i++) {
        size_t p = log_payload(&logs[i], data, &tp);
        total += rlp_header(h, true, p) + p;
    }
    keccak_ctx c;
    keccak_init(&c);
    keccak_update(&c, h, rlp_header(h, true, total));
    for (size_t i = 0; i < n; i++) {
        const overlay_log *l = &logs[i];
        size_t p = log_payload(l, data, &tp);
        keccak_update(&c, h, rlp_header(h, true, p));
        uint8_t a = 0x94;
        keccak_update(&c, &a, 1);
        keccak_update(&c, l->addr.b, 20);
        keccak_update(&c, h, rlp_header(h, true, tp));
        for (uint32_t t = 0; t < l->n_topics; t++) {
            uint8_t th = 0xa0;
            keccak_update(&c, &th, 1);
            keccak_update(&c, l->topics[t].b, 32);
        }
        const uint8_t *d = overlay_log_bytes(l, data);
        if (!(l->data_len == 1 && d[0] < 0x80)) keccak_update(&c, h, rlp_header(h, false, l->data_len));
        keccak_update(&c, d, l->data_len);
    }
    bytes32 out;
    keccak_final(&c, out.b);
    return out;
}

/* The three bit positions of one address or topic. */
typedef struct {
    uint16_t bit[3];
} bloom_bits;

static bloom_bits bloom_bits_from_hash(const uint8_t h[32]) {
    bloom_bits b;
    for (int i = 0; i < 3; i++) b.bit[i] = (uint16_t)(((unsigned)h[2 * i] << 8 | h[2 * i + 1]) & 2047);
    return b;
}

enum { BLOOM_CACHE_SLOTS = 1024 };

typedef struct {
    uint8_t key[32];
    uint8_t len; /* 0: empty */
    bloom_bits bits;
} bloom_entry;

struct bloom_cache {
    bloom_entry e[BLOOM_CACHE_SLOTS];
};

bloom_cache *bloom_cache_new(void) {
    bloom_cache *c = calloc(1, sizeof *c);
    if (!c) abort();
    return c;
}

void bloom_cache_free(bloom_cache *c) { free(c); }

static uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void bloom_set(uint8_t bloom[256], bloom_bits b) {
    for (int i = 0; i < 3; i++) bloom[255 - b.bit[i] / 8] |= (uint8_t)(1u << (b.bit[i] % 8));
}

static void batch_flush(bloom_batch *b) {
    uint8_t h[BLOOM_BATCH][32], *out[BLOOM_BATCH];
    for (size_t i = 0; i < b->n; i++) out[i] = h[i];
    keccak256_many(b->n, b->data, b->len, out);
    for (size_t i = 0; i < b->n; i++) {
        bloom_bits bits = bloom_bits_from_hash(h[i]);
        bloom_set(b->bloom[i], bits);
        bloom_entry *e = b->slot[i];
        if (!e) continue;
        memcpy(e->key, b->data[i], b->len[i]);
        e->len = (uint8_t)b->len[i];
        e->bits = bits;
    }
    b->n = 0;
}

/* Direct-mapped on both ends of the key: topics that are padded addresses
 * start with zeros, event signatures and addresses are random throughout. */
static void batch_item(bloom_batch *b, uint8_t *bloom, const uint8_t *data, size_t len) {
    bloom_entry *e = NULL;
    if (b->cache) {
        uint64_t h = (load64(data) ^ load64(data + len - 8) * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
        e = &b->cache->e[h >> (64 - 10)];
        if (e->len == len && !memcmp(e->key, data, len)) {
            bloom_set(bloom, e->bits);
            return;
        }
    }
    b->data[b->n] = data;
    b->len[b->n] = len;
    b->bloom[b->n] = bloom;
    b->slot[b->n] = e;
    if (++b->n == BLOOM_BATCH) batch_flush(b);
}

void bloom_batch_init(bloom_batch *b, bloom_cache *cache) {
    b->cache = cache;
    b->n = 0;
}

void bloom_batch_add(bloom_batch *b, uint8_t bloom[256], const overlay_log *logs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        batch_item(b, bloom, logs[i].addr.b, 20);
        for (uint32_t t = 0; t < logs[i].n_topics; t++) batch_item(b, bloom, logs[i].topics[t].b, 32);
    }
}

void bloom_batch_finish(bloom_batch *b) {
    if (b->n) batch_flush(b);
}

void logs_bloom(uint8_t bloom[256], const overlay_log *logs, size_t n, bloom_cache *cache) {
    bloom_batch b;
    bloom_batch_init(&b, cache);
    bloom_batch_add(&b, bloom, logs, n);
    bloom_batch_finish(&b);
}
