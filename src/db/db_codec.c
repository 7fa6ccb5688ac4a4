/* Record codecs of the store: accounts (flat and trie leaf forms) and
 * storage words. Decoders are strict: anything from disk may be corrupt. */
#include "parevm/rlp.h"
#include "db_internal.h"

void db_account_encode(const db_account *a, buf_t *out) {
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, a->nonce);
    rlp_encode_u256(out, &a->balance);
    if (bytes32_eq(&a->code_hash, &EMPTY_CODE_HASH))
        rlp_encode_bytes(out, NULL, 0);
    else
        rlp_encode_bytes32(out, &a->code_hash);
    rlp_list_end(out, l);
}

bool db_account_decode(const uint8_t *p, size_t n, db_account *out) {
    rlp_item list, it[3];
    if (rlp_decode(p, n, &list) || !list.is_list || rlp_list_items(&list, it, 3)) return false;
    if (rlp_to_u64(&it[0], &out->nonce) || rlp_to_u256(&it[1], &out->balance)) return false;
    if (!it[2].is_list && it[2].len == 0) {
        out->code_hash = EMPTY_CODE_HASH;
        return true;
    }
    /* The empty code's hash is written as "": its 32-byte form is not canonical. */
    return rlp_to_bytes32(&it[2], &out->code_hash) == RLP_OK &&
           !bytes32_eq(&out->code_hash, &EMPTY_CODE_HASH);
}

void db_leaf_encode(const db_account *a, const bytes32 *storage_root, buf_t *out) {
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, a->nonce);
    rlp_encode_u256(out, &a->balance);
    rlp_encode_bytes32(out, storage_root);
    rlp_encode_bytes32(out, &a->code_hash);
    rlp_list_end(out, l);
}

bool db_leaf_storage_root(const uint8_t *p, size_t n, bytes32 *root) {
    rlp_item list, it[4];
    if (rlp_decode(p, n, &list) || !list.is_list || rlp_list_items(&list, it, 4)) return false;
    return rlp_to_bytes32(&it[2], root) == RLP_OK;
}

size_t db_word_encode(const u256 *v, uint8_t out[32]) {
    uint8_t be[32];
    u256_to_be(v, be);
    size_t n = u256_bytes(v);
    memcpy(out, be + 32 - n, n);
    return n;
}

bool db_word_decode(const uint8_t *p, size_t n, u256 *out) {
    if (n > 32 || (n > 0 && p[0] == 0)) return false;
    *out = u256_from_be(p, n);
    return true;
}
