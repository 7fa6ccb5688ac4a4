/* A change set as bytes: what a store keeps of a change set that is not a
 * block's own (the dev edits a mined block folded in), so that it outlives
 * the process. RLP, one list of entries in the set's order:
 *   [address, flags, balance, nonce, code, [[key, value], ...]]
 * balance is written only when a balance flag is set and nonce only with
 * CHANGE_NONCE (empty strings otherwise); code is the bytes with
 * CHANGE_CODE. Decoding checks every field, so a damaged record is an
 * error, never a wrong state. */
#include "parevm/rlp.h"
#include "parevm/state.h"

#define KNOWN_FLAGS (CHANGE_DELETED | CHANGE_CREATED | CHANGE_BALANCE | CHANGE_BALANCE_DELTA | CHANGE_NONCE | \
                     CHANGE_CODE | CHANGE_TOUCHED)

void change_set_encode(const change_set *cs, buf_t *out) {
    size_t all = rlp_list_begin(out);
    for (size_t i = 0; i < cs->n_accounts; i++) {
        const account_change *ac = &cs->accounts[i];
        size_t entry = rlp_list_begin(out);
        rlp_encode_address(out, &ac->addr);
        rlp_encode_u64(out, ac->flags);
        if (ac->flags & (CHANGE_BALANCE | CHANGE_BALANCE_DELTA)) rlp_encode_u256(out, &ac->balance);
        else rlp_encode_bytes(out, NULL, 0);
        if (ac->flags & CHANGE_NONCE) rlp_encode_u64(out, ac->nonce);
        else rlp_encode_bytes(out, NULL, 0);
        if ((ac->flags & CHANGE_CODE) && ac->code) rlp_encode_bytes(out, ac->code->bytes, ac->code->len);
        else rlp_encode_bytes(out, NULL, 0);
        size_t slots = rlp_list_begin(out);
        for (uint32_t k = 0; k < ac->n_slots; k++) {
            const slot_change *s = &cs->slots[ac->first_slot + k];
            size_t pair = rlp_list_begin(out);
            rlp_encode_u256(out, &s->key);
            rlp_encode_u256(out, &s->value);
            rlp_list_end(out, pair);
        }
        rlp_list_end(out, slots);
        rlp_list_end(out, entry);
    }
    rlp_list_end(out, all);
}

static const char *decode_slots(const rlp_item *list, change_set *cs, account_change *ac) {
    if (!list->is_list) return "storage is not a list";
    rlp_iter it = rlp_iter_of(list);
    rlp_item pair, kv[2];
    rlp_err e;
    while ((e = rlp_next(&it, &pair)) == RLP_OK) {
        u256 key, value;
        if (!pair.is_list || rlp_list_items(&pair, kv, 2) != RLP_OK || rlp_to_u256(&kv[0], &key) != RLP_OK ||
            rlp_to_u256(&kv[1], &value) != RLP_OK)
            return "malformed storage entry";
        change_set_add_slot(cs, ac, &key, &value);
    }
    return e == RLP_ERR_COUNT ? NULL : rlp_strerror(e);
}

static const char *decode_entry(const rlp_item *entry, code_store *codes, change_set *cs) {
    rlp_item f[6];
    if (!entry->is_list || rlp_list_items(entry, f, 6) != RLP_OK) return "malformed entry";
    address addr;
    uint64_t flags, nonce = 0;
    u256 balance = U256_ZERO;
    if (rlp_to_address(&f[0], &addr) != RLP_OK) return "malformed address";
    if (rlp_to_u64(&f[1], &flags) != RLP_OK || (flags & ~(uint64_t)KNOWN_FLAGS)) return "unknown flags";
    bool has_balance = flags & (CHANGE_BALANCE | CHANGE_BALANCE_DELTA);
    if (has_balance ? rlp_to_u256(&f[2], &balance) != RLP_OK : f[2].is_list || f[2].len) return "malformed balance";
    if ((flags & CHANGE_NONCE) ? rlp_to_u64(&f[3], &nonce) != RLP_OK : f[3].is_list || f[3].len)
        return "malformed nonce";
    if (f[4].is_list || (f[4].len && !(flags & CHANGE_CODE))) return "malformed code";
    account_change *ac = change_set_add_account(cs, &addr);
    ac->flags = (uint32_t)flags;
    ac->balance = balance;
    ac->nonce = nonce;
    if (flags & CHANGE_CODE) ac->code = code_store_intern(codes, f[4].data, f[4].len);
    return decode_slots(&f[5], cs, ac);
}

const char *change_set_decode(const uint8_t *in, size_t len, code_store *codes, change_set *cs) {
    change_set_clear(cs);
    rlp_item all, entry;
    rlp_err e = rlp_decode(in, len, &all);
    if (e != RLP_OK) return rlp_strerror(e);
    if (!all.is_list) return "not a list";
    rlp_iter it = rlp_iter_of(&all);
    const char *err = NULL;
    while (!err && (e = rlp_next(&it, &entry)) == RLP_OK) err = decode_entry(&entry, codes, cs);
    if (!err && e != RLP_ERR_COUNT) err = rlp_strerror(e);
    if (err) change_set_clear(cs);
    return err;
}
