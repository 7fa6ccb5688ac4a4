/* Record codecs of the store: accounts (change-set and trie leaf forms),
 * the state tables' rows and storage words. Decoders are strict: anything
 * from disk may be corrupt. */
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

void db_account_row_encode(const address *addr, const db_account *a, const bytes32 *storage_root, buf_t *out) {
    buf_append(out, addr->b, DB_ACCOUNT_PREIMAGE);
    db_leaf_encode(a, storage_root, out);
}

bool db_account_row_decode(const uint8_t *p, size_t n, address *addr, db_account *a, bytes32 *storage_root) {
    if (n <= DB_ACCOUNT_PREIMAGE) return false;
    rlp_item list, it[4];
    db_account acct;
    bytes32 root;
    const uint8_t *leaf = p + DB_ACCOUNT_PREIMAGE;
    size_t len = n - DB_ACCOUNT_PREIMAGE;
    if (rlp_decode(leaf, len, &list) || !list.is_list || rlp_list_items(&list, it, 4)) return false;
    if (rlp_to_u64(&it[0], &acct.nonce) || rlp_to_u256(&it[1], &acct.balance) || rlp_to_bytes32(&it[2], &root) ||
        rlp_to_bytes32(&it[3], &acct.code_hash))
        return false;
    if (addr) memcpy(addr->b, p, DB_ACCOUNT_PREIMAGE);
    if (a) *a = acct;
    if (storage_root) *storage_root = root;
    return true;
}

size_t db_slot_row_encode(const u256 *slot, const u256 *value, uint8_t out[DB_SLOT_PREIMAGE + 33]) {
    u256_to_be(slot, out);
    uint8_t *rlp = out + DB_SLOT_PREIMAGE, val[32];
    size_t n = db_word_encode(value, val), rn = 0;
    if (n > 1 || val[0] >= 0x80) rlp[rn++] = (uint8_t)(0x80 + n); /* a byte below 0x80 is its own RLP */
    memcpy(rlp + rn, val, n);
    return DB_SLOT_PREIMAGE + rn + n;
}

bool db_slot_row_decode(const uint8_t *p, size_t n, u256 *slot, u256 *value) {
    if (n <= DB_SLOT_PREIMAGE) return false;
    rlp_item it;
    u256 v;
    if (rlp_decode(p + DB_SLOT_PREIMAGE, n - DB_SLOT_PREIMAGE, &it) || rlp_to_u256(&it, &v) || u256_is_zero(&v))
        return false;
    if (slot) *slot = u256_from_be(p, 32);
    if (value) *value = v;
    return true;
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
