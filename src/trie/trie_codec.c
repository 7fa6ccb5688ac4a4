/* Single trie nodes: hex-prefix paths, references, strict decoding
 * (trie_codec.h). Input may come from outside (a witness, a proof): every
 * malformed form gives an error. */
#include "trie_codec.h"

#include "parevm/keccak.h"

int trie_ref_kind(const rlp_item *ref) {
    if (ref->is_list) return ref->raw_len < 32 ? REF_INLINE : -1;
    if (ref->len == 0) return REF_EMPTY;
    return ref->len == 32 ? REF_HASH : -1;
}

void trie_key_nibbles(const uint8_t key[32], uint8_t out[TRIE_NIBBLES]) {
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = key[i] >> 4;
        out[2 * i + 1] = key[i] & 15;
    }
}

/* The hex-prefix path of a leaf or extension: flag nibble 0-3, a zero
 * padding nibble when even. */
static const char *decode_path(const rlp_item *it, trie_node *out) {
    if (it->is_list || it->len == 0 || it->len > 33) return "trie node: bad path";
    uint8_t flag = it->data[0] >> 4;
    if (flag > 3) return "trie node: bad path flag";
    bool odd = flag & 1;
    if (!odd && (it->data[0] & 15)) return "trie node: bad path padding";
    size_t n = 0;
    if (odd) out->path[n++] = it->data[0] & 15;
    if (n + 2 * (it->len - 1) > TRIE_NIBBLES) return "trie node: path too long";
    for (size_t i = 1; i < it->len; i++) {
        out->path[n++] = it->data[i] >> 4;
        out->path[n++] = it->data[i] & 15;
    }
    out->plen = n;
    out->kind = flag >= 2 ? TN_LEAF : TN_EXT;
    return NULL;
}

const char *trie_node_decode(const uint8_t *enc, size_t len, size_t depth, trie_node *out) {
    rlp_item node;
    if (rlp_decode(enc, len, &node) != RLP_OK || !node.is_list) return "trie node: not an RLP list";
    long count = rlp_list_count(&node);
    if (count == 2) {
        rlp_item it[2];
        if (rlp_list_items(&node, it, 2) != RLP_OK) return "trie node: bad list";
        const char *err = decode_path(&it[0], out);
        if (err) return err;
        if (out->kind == TN_LEAF) {
            if (depth + out->plen != TRIE_NIBBLES) return "trie node: leaf does not end at the key's end";
            if (it[1].is_list || it[1].len == 0) return "trie node: bad leaf value";
            out->value = (byte_span){it[1].data, it[1].len};
            return NULL;
        }
        if (out->plen == 0 || depth + out->plen >= TRIE_NIBBLES) return "trie node: bad extension length";
        int k = trie_ref_kind(&it[1]);
        if (k != REF_HASH && k != REF_INLINE) return "trie node: bad extension child";
        out->child[0] = it[1];
        return NULL;
    }
    if (count != 17) return "trie node: not 2 or 17 items";
    if (depth >= TRIE_NIBBLES) return "trie node: branch below the key's end";
    rlp_iter iter = rlp_iter_of(&node);
    unsigned children = 0;
    for (int c = 0; c < 16; c++) {
        if (rlp_next(&iter, &out->child[c]) != RLP_OK) return "trie node: bad list";
        int k = trie_ref_kind(&out->child[c]);
        if (k < 0) return "trie node: bad child reference";
        children += k != REF_EMPTY;
    }
    rlp_item value;
    if (rlp_next(&iter, &value) != RLP_OK) return "trie node: bad list";
    if (value.is_list || value.len) return "trie node: branch with a value";
    if (children < 2) return "trie node: branch with fewer than two children";
    out->kind = TN_BRANCH;
    out->plen = 0;
    return NULL;
}

void trie_put_path(buf_t *b, const uint8_t *nib, size_t n, bool leaf) {
    size_t odd = n & 1, len = n / 2 + 1, i = 0;
    uint8_t first = (uint8_t)(((leaf ? 2u : 0u) + odd) << 4);
    if (odd) first |= nib[i++];
    if (len > 1 || first >= 0x80) buf_push(b, (uint8_t)(0x80 + len)); /* len <= 33: short form */
    buf_push(b, first);
    for (; i < n; i += 2) buf_push(b, (uint8_t)(nib[i] << 4 | nib[i + 1]));
}

void trie_put_ref(buf_t *b, const uint8_t *enc, size_t len) {
    if (len < 32) {
        buf_append(b, enc, len);
        return;
    }
    uint8_t h[33];
    h[0] = 0x80 + 32;
    keccak256(enc, len, h + 1);
    buf_append(b, h, 33);
}
