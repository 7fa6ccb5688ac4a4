/* An independent check of EIP-1186 proofs for the proof tests: written
 * from the Yellow Paper's node definitions with only RLP decoding and
 * keccak, not with the trie code under test. It walks the listed nodes from
 * the root: each node referenced by hash must be the next one listed and
 * hash to the reference; embedded nodes are decoded from their parent; the
 * key's nibbles are followed to a leaf (present: its value), or to an
 * empty branch slot, a leaf with another key or a diverging extension
 * (absent). Every listed node must be used. */
#ifndef PAREVM_PROOF_CHECK_H
#define PAREVM_PROOF_CHECK_H

#include "parevm/byte_list.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* 1: present (value appended to *value), 0: absent, -1: the proof is wrong. */
static inline int proof_check(const bytes32 *root, const uint8_t key[32], const byte_list *proof, buf_t *value) {
    static const bytes32 empty_root = {{0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45,
                                        0xe6, 0x92, 0xc0, 0xf8, 0x6e, 0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c,
                                        0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21}};
    if (proof->n == 0) return memcmp(root->b, empty_root.b, 32) == 0 ? 0 : -1;
    uint8_t nib[64];
    for (int i = 0; i < 32; i++) nib[2 * i] = key[i] >> 4, nib[2 * i + 1] = key[i] & 15;
    uint8_t want[32];
    memcpy(want, root->b, 32);
    size_t used = 0, pos = 0;
    const uint8_t *node = NULL;
    size_t node_len = 0;
    int result = -1;
    bool need_listed = true; /* the next node is referenced by hash */
    for (;;) {
        if (need_listed) {
            if (used == proof->n) return -1;
            byte_span n = byte_list_get(proof, used++);
            uint8_t h[32];
            keccak256(n.data, n.len, h);
            if (memcmp(h, want, 32) != 0) return -1;
            node = n.data;
            node_len = n.len;
        }
        rlp_item list, items[17];
        if (rlp_decode(node, node_len, &list) != RLP_OK || !list.is_list) return -1;
        long count = rlp_list_count(&list);
        const rlp_item *child;
        if (count == 17) {
            if (rlp_list_items(&list, items, 17) != RLP_OK || pos >= 64) return -1;
            child = &items[nib[pos++]];
        } else if (count == 2) {
            if (rlp_list_items(&list, items, 2) != RLP_OK || items[0].is_list || items[0].len == 0) return -1;
            uint8_t flag = items[0].data[0] >> 4, path[66];
            size_t plen = 0;
            if (flag > 3) return -1;
            if (flag & 1) path[plen++] = items[0].data[0] & 15;
            for (size_t i = 1; i < items[0].len; i++)
                path[plen++] = items[0].data[i] >> 4, path[plen++] = items[0].data[i] & 15;
            bool match = pos + plen <= 64 && memcmp(path, nib + pos, plen) == 0;
            if (flag >= 2) { /* leaf */
                if (match && pos + plen == 64) {
                    if (items[1].is_list) return -1;
                    buf_append(value, items[1].data, items[1].len);
                    result = 1;
                } else {
                    result = 0;
                }
                break;
            }
            if (!match) {
                result = 0;
                break;
            }
            pos += plen;
            child = &items[1];
        } else {
            return -1;
        }
        if (!child->is_list && child->len == 0) {
            result = 0;
            break;
        }
        if (child->is_list) { /* embedded: must be short */
            if (child->raw_len >= 32) return -1;
            node = child->raw;
            node_len = child->raw_len;
            need_listed = false;
            continue;
        }
        if (child->len != 32) return -1;
        memcpy(want, child->data, 32);
        need_listed = true;
    }
    return used == proof->n ? result : -1;
}

#endif
