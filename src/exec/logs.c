/* Log encoding for receipts and the state tests' logs hash, and the bloom
 * filter (Yellow Paper 4.3.1: three 11-bit indexes from keccak of the
 * address and of each topic). */
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
        rlp_encode_bytes(out, data + l->data_off, l->data_len);
        rlp_list_end(out, item);
    }
    rlp_list_end(out, outer);
}

bytes32 logs_hash(const overlay_log *logs, size_t n, const uint8_t *data) {
    buf_t b = {0};
    logs_rlp(&b, logs, n, data);
    bytes32 h = keccak256_hash(b.data, b.len);
    buf_free(&b);
    return h;
}

static void bloom_add(uint8_t bloom[256], const uint8_t *data, size_t len) {
    uint8_t h[32];
    keccak256(data, len, h);
    for (int i = 0; i < 6; i += 2) {
        unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047;
        bloom[255 - bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
}

void logs_bloom(uint8_t bloom[256], const overlay_log *logs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        bloom_add(bloom, logs[i].addr.b, 20);
        for (uint32_t t = 0; t < logs[i].n_topics; t++) bloom_add(bloom, logs[i].topics[t].b, 32);
    }
}
