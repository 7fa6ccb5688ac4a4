/* JSON loaders for mainnet block fixtures (see mainnet_fixture.h). */
#include "mainnet_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "cli_util.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"

/* Loads dir/name. NULL if it is absent (err set when required) or bad:
 * then *bad is set, with err (a file that exists must load). */
static json_t *load_json(const char *dir, const char *name, bool required, bool *bad, char *err, size_t errlen) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *bad = false;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        /* a FIFO or device would block the reader */
        snprintf(err, errlen, "%s: not a regular file", path);
        *bad = true;
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j && (required || exists)) {
        snprintf(err, errlen, "%s: %s (line %d)", path, jerr.text, jerr.line);
        *bad = exists;
    }
    return j;
}

static bool load_header(json_t *b, block_header *h, char *err, size_t n) {
    memset(h, 0, sizeof *h);
    uint8_t *extra = NULL, *bloom = NULL;
    size_t extra_len = 0, bloom_len = 0;
    uint64_t nonce_bytes = 0;
    bool ok = json_hex_bytes32(b, "parentHash", &h->parent_hash, err, n) &&
              json_hex_bytes32(b, "sha3Uncles", &h->ommers_hash, err, n) &&
              json_hex_address(b, "miner", &h->coinbase, err, n) &&
              json_hex_bytes32(b, "stateRoot", &h->state_root, err, n) &&
              json_hex_bytes32(b, "transactionsRoot", &h->tx_root, err, n) &&
              json_hex_bytes32(b, "receiptsRoot", &h->receipts_root, err, n) &&
              json_hex_bytes(b, "logsBloom", &bloom, &bloom_len, err, n) &&
              json_hex_u256(b, "difficulty", &h->difficulty, err, n) &&
              json_hex_u64(b, "number", &h->number, err, n) &&
              json_hex_u64(b, "gasLimit", &h->gas_limit, err, n) &&
              json_hex_u64(b, "gasUsed", &h->gas_used, err, n) &&
              json_hex_u64(b, "timestamp", &h->timestamp, err, n) &&
              json_hex_bytes(b, "extraData", &extra, &extra_len, err, n) &&
              json_hex_bytes32(b, "hash", &h->hash, err, n);
    if (ok && json_object_get(b, "mixHash")) ok = json_hex_bytes32(b, "mixHash", &h->mix_hash, err, n);
    if (ok && json_object_get(b, "nonce")) ok = json_hex_u64(b, "nonce", &nonce_bytes, err, n);
    h->nonce = nonce_bytes;
    if (ok && bloom_len != 256) {
        snprintf(err, n, "field \"logsBloom\" is not 256 bytes");
        ok = false;
    }
    if (ok) {
        memcpy(h->bloom, bloom, 256);
        h->extra_len = extra_len;
        memcpy(h->extra_data, extra, extra_len < sizeof h->extra_data ? extra_len : sizeof h->extra_data);
    }
    free(extra);
    free(bloom);
    if (!ok) return false;
    ok = json_opt_u256(b, "baseFeePerGas", &h->base_fee, &h->has_base_fee, err, n);
    ok = ok && json_opt_bytes32(b, "withdrawalsRoot", &h->withdrawals_root, &h->has_withdrawals_root, err, n);
    h->has_blob_gas = json_object_get(b, "blobGasUsed") != NULL;
    if (ok && h->has_blob_gas)
        ok = json_hex_u64(b, "blobGasUsed", &h->blob_gas_used, err, n) &&
             json_hex_u64(b, "excessBlobGas", &h->excess_blob_gas, err, n);
    h->has_beacon_root = json_object_get(b, "parentBeaconBlockRoot") != NULL;
    if (ok && h->has_beacon_root) ok = json_hex_bytes32(b, "parentBeaconBlockRoot", &h->parent_beacon_root, err, n);
    /* Prague: checked against the block's requests */
    ok = ok && json_opt_bytes32(b, "requestsHash", &h->requests_hash, &h->has_requests_hash, err, n);
    return ok;
}

static bool load_access_list(json_t *list, transaction *tx, char *err, size_t n) {
    if (!json_is_array(list)) {
        snprintf(err, n, "field \"accessList\" is missing or not an array");
        return false;
    }
    size_t count = json_array_size(list);
    tx->access_list = calloc(count ? count : 1, sizeof *tx->access_list);
    tx->access_list_len = count;
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(list, i);
        access_entry *a = &tx->access_list[i];
        json_t *keys = json_object_get(e, "storageKeys");
        if (!json_hex_address(e, "address", &a->addr, err, n) || !json_is_array(keys)) {
            snprintf(err, n, "accessList[%zu] is malformed", i);
            return false;
        }
        a->n_keys = json_array_size(keys);
        a->keys = calloc(a->n_keys ? a->n_keys : 1, sizeof(bytes32));
        for (size_t k = 0; k < a->n_keys; k++) {
            const char *h = json_string_value(json_array_get(keys, k));
            if (!h || !hex_parse_fixed(h, a->keys[k].b, 32)) {
                snprintf(err, n, "accessList[%zu].storageKeys[%zu] is not a hash", i, k);
                return false;
            }
        }
    }
    return true;
}

/* EIP-7702 tuples as eth_getBlockByNumber gives them: chainId, address,
 * nonce, yParity (or v), r, s. */
static bool load_authorizations(json_t *list, transaction *tx, char *err, size_t n) {
    if (!json_is_array(list)) {
        snprintf(err, n, "field \"authorizationList\" is missing or not an array");
        return false;
    }
    tx->n_auths = json_array_size(list);
    tx->auths = calloc(tx->n_auths ? tx->n_auths : 1, sizeof *tx->auths);
    if (!tx->auths) abort();
    for (size_t i = 0; i < tx->n_auths; i++) {
        json_t *e = json_array_get(list, i);
        authorization *a = &tx->auths[i];
        uint64_t y;
        char why[160];
        if (!json_hex_u256(e, "chainId", &a->chain_id, why, sizeof why) ||
            !json_hex_address(e, "address", &a->addr, why, sizeof why) ||
            !json_hex_u64(e, "nonce", &a->nonce, why, sizeof why) ||
            !json_hex_u64(e, json_object_get(e, "yParity") || !json_object_get(e, "v") ? "yParity" : "v", &y, why,
                          sizeof why) ||
            !json_hex_u256(e, "r", &a->r, why, sizeof why) || !json_hex_u256(e, "s", &a->s, why, sizeof why)) {
            snprintf(err, n, "authorizationList[%zu]: %s", i, why);
            return false;
        }
        if (y > 0xff) {
            snprintf(err, n, "authorizationList[%zu]: yParity above 255", i);
            return false;
        }
        a->y_parity = (uint8_t)y;
    }
    return true;
}

/* The signature: v (or, for typed transactions, yParity), r and s; all
 * three may be absent when unsigned_ok (zero). */
static bool load_signature(json_t *t, transaction *tx, bool unsigned_ok, char *err, size_t n) {
    const char *v = tx->type != TX_LEGACY && !json_object_get(t, "v") ? "yParity" : "v";
    if (unsigned_ok && !json_object_get(t, v) && !json_object_get(t, "r") && !json_object_get(t, "s")) return true;
    return json_hex_u256(t, v, &tx->v, err, n) && json_hex_u256(t, "r", &tx->r, err, n) &&
           json_hex_u256(t, "s", &tx->s, err, n);
}

bool json_load_rpc_tx(json_t *t, transaction *tx, bool unsigned_ok, char *err, size_t n) {
    memset(tx, 0, sizeof *tx);
    if (!json_is_object(t)) {
        snprintf(err, n, "not an object");
        return false;
    }
    uint64_t type = 0;
    if (json_object_get(t, "type") && !json_hex_u64(t, "type", &type, err, n)) return false;
    if (type > TX_SET_CODE) {
        snprintf(err, n, "unknown transaction type %llu", (unsigned long long)type);
        return false;
    }
    tx->type = (uint8_t)type;
    const char *input = !json_object_get(t, "input") && json_object_get(t, "data") ? "data" : "input";
    bool ok = json_hex_u64(t, "nonce", &tx->nonce, err, n) && json_hex_u64(t, "gas", &tx->gas_limit, err, n) &&
              json_hex_u256(t, "value", &tx->value, err, n) &&
              json_hex_bytes(t, input, &tx->data, &tx->data_len, err, n) &&
              load_signature(t, tx, unsigned_ok, err, n);
    if (!ok) return false;
    json_t *to = json_object_get(t, "to");
    const char *ts = json_string_value(to);
    tx->has_to = to && !json_is_null(to) && !(ts && (!strcmp(ts, "") || !strcmp(ts, "0x"))); /* "": a creation */
    if (tx->has_to && !json_hex_address(t, "to", &tx->to, err, n)) return false;
    if (tx->type == TX_LEGACY) {
        if (!json_hex_u256(t, "gasPrice", &tx->gas_price, err, n)) return false;
        /* EIP-155: v = chain_id * 2 + 35 + parity */
        if (!u256_fits_u64(&tx->v)) {
            snprintf(err, n, "field \"v\" is out of range");
            return false;
        }
        if (tx->v.w[0] >= 35) {
            tx->has_chain_id = true;
            tx->chain_id = (tx->v.w[0] - 35) / 2;
        }
        return true;
    }
    tx->has_chain_id = true;
    if (!json_hex_u64(t, "chainId", &tx->chain_id, err, n)) return false;
    if (tx->type == TX_ACCESS_LIST) {
        if (!json_hex_u256(t, "gasPrice", &tx->gas_price, err, n)) return false;
    } else if (!json_hex_u256(t, "maxFeePerGas", &tx->max_fee, err, n) ||
               !json_hex_u256(t, "maxPriorityFeePerGas", &tx->max_priority_fee, err, n)) {
        return false;
    }
    if (!load_access_list(json_object_get(t, "accessList"), tx, err, n)) return false;
    if (tx->type == TX_SET_CODE && !load_authorizations(json_object_get(t, "authorizationList"), tx, err, n))
        return false;
    if (tx->type == TX_BLOB) {
        json_t *hashes = json_object_get(t, "blobVersionedHashes");
        if (!json_hex_u256(t, "maxFeePerBlobGas", &tx->max_fee_per_blob_gas, err, n)) return false;
        if (!json_is_array(hashes)) {
            snprintf(err, n, "field \"blobVersionedHashes\" is missing or not an array");
            return false;
        }
        tx->n_blob_hashes = json_array_size(hashes);
        tx->blob_hashes = calloc(tx->n_blob_hashes ? tx->n_blob_hashes : 1, sizeof(bytes32));
        for (size_t i = 0; i < tx->n_blob_hashes; i++) {
            const char *h = json_string_value(json_array_get(hashes, i));
            if (!h || !hex_parse_fixed(h, tx->blob_hashes[i].b, 32)) {
                snprintf(err, n, "blobVersionedHashes[%zu] is not a hash", i);
                return false;
            }
        }
    }
    return true;
}

/* One account's code in any of the forms pevm's snapshots have used: null;
 * {bytecode, original_len[, jump_table]} (the bytecode padded beyond
 * original_len); the same inside {"Legacy": ...} or revm's
 * {"LegacyAnalyzed": ...}; {"LegacyRaw": hex}; {"Eip7702": address} or
 * revm's {"Eip7702": {"delegated_address": ...}} (the 23-byte designator);
 * or plain hex. wrapped: inside one of those wrappers (no second one).
 * *code is malloc'd (NULL: none). */
static bool load_code(json_t *c, const char *key, bool wrapped, uint8_t **code, size_t *len, char *err, size_t n) {
    *code = NULL;
    *len = 0;
    if (!c || json_is_null(c)) return true;
    if (json_is_string(c)) {
        if (hex_parse_data(json_string_value(c), code, len)) return true;
        snprintf(err, n, "pre_state.%s.code is not hex of whole bytes", key);
        return false;
    }
    if (!json_is_object(c)) {
        snprintf(err, n, "pre_state.%s.code is neither null, hex nor an object", key);
        return false;
    }
    json_t *inner;
    if (!wrapped && ((inner = json_object_get(c, "Legacy")) || (inner = json_object_get(c, "LegacyAnalyzed")) ||
                     (inner = json_object_get(c, "LegacyRaw"))))
        return load_code(inner, key, true, code, len, err, n);
    if (!wrapped && (inner = json_object_get(c, "Eip7702"))) {
        json_t *to = json_is_object(inner) ? json_object_get(inner, "delegated_address") : inner;
        address a;
        if (!json_is_string(to) || !hex_parse_fixed(json_string_value(to), a.b, 20)) {
            snprintf(err, n, "pre_state.%s.code.Eip7702 is not an address", key);
            return false;
        }
        *code = malloc(23);
        if (!*code) abort();
        memcpy(*code, "\xef\x01\x00", 3);
        memcpy(*code + 3, a.b, 20);
        *len = 23;
        return true;
    }
    json_t *olen = json_object_get(c, "original_len");
    char e[200];
    if (!json_hex_bytes(c, "bytecode", code, len, e, sizeof e)) {
        snprintf(err, n, "pre_state.%s.code: %s", key, e);
        return false;
    }
    if (json_is_integer(olen)) {
        json_int_t l = json_integer_value(olen);
        if (l < 0 || (size_t)l > *len) {
            free(*code);
            *code = NULL;
            snprintf(err, n, "pre_state.%s.code.original_len is out of range", key);
            return false;
        }
        *len = (size_t)l; /* the rest is padding */
    }
    return true;
}

/* An account's nonce: an integer or a quantity string. */
static bool load_nonce(json_t *fields, const char *key, uint64_t *nonce, char *err, size_t n) {
    json_t *v = json_object_get(fields, "nonce");
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *nonce = (uint64_t)json_integer_value(v);
        return true;
    }
    if (json_is_string(v) && hex_parse_u64(json_string_value(v), nonce) && json_string_value(v)[0]) return true;
    snprintf(err, n, "pre_state.%s nonce is not a non-negative integer", key);
    return false;
}

/* pre_state.json: {addr: {basic: {balance, nonce}, code, code_hash, storage:
 * {slot: value}}}, the account's fields at its top level (pevm's later
 * snapshots), or all but the storage inside "info" (its earlier ones). An
 * account whose code_hash names code that is not given takes it from
 * bytecodes ({hash: code}, bytecodes.json beside the block or in the folder
 * above), else it is an error. */
static bool load_pre(json_t *pre, json_t *bytecodes, mem_state *s, char *err, size_t n) {
    if (!json_is_object(pre)) {
        snprintf(err, n, "the top level is not an object");
        return false;
    }
    const char *key;
    json_t *acct;
    json_object_foreach(pre, key, acct) {
        address a;
        if (!hex_parse_fixed(key, a.b, 20)) {
            snprintf(err, n, "pre_state: \"%.50s\" is not an address", key);
            return false;
        }
        json_t *basic = json_is_object(acct) ? json_object_get(acct, "basic") : NULL;
        json_t *info = json_is_object(acct) ? json_object_get(acct, "info") : NULL;
        json_t *fields = basic ? basic : info ? info : acct;
        json_t *storage = json_is_object(acct) ? json_object_get(acct, "storage") : NULL;
        if (!json_is_object(acct) || !json_is_object(fields) ||
            (storage && !json_is_null(storage) && !json_is_object(storage))) {
            snprintf(err, n, "pre_state.%s: the account, its \"basic\", \"info\" or \"storage\" is not an object", key);
            return false;
        }
        u256 balance;
        uint64_t nonce;
        if (!json_hex_u256(fields, "balance", &balance, err, n) || !load_nonce(fields, key, &nonce, err, n))
            return false;
        json_t *code_at = fields == info ? info : acct; /* pevm's early form keeps the code in info */
        json_t *c = json_object_get(code_at, "code");
        json_t *ch = json_object_get(code_at, "code_hash");
        if ((!c || json_is_null(c)) && json_is_string(ch)) {
            bytes32 h;
            if (!hex_parse_fixed(json_string_value(ch), h.b, 32)) {
                snprintf(err, n, "pre_state.%s.code_hash is not a hash", key);
                return false;
            }
            if (!bytes32_eq(&h, &EMPTY_CODE_HASH)) {
                c = bytecodes ? json_object_get(bytecodes, json_string_value(ch)) : NULL;
                if (!c) {
                    snprintf(err, n, "pre_state.%s: code_hash %.70s without its code (no code field, not in "
                             "bytecodes.json)", key, json_string_value(ch));
                    return false;
                }
            }
        }
        uint8_t *code;
        size_t code_len;
        if (!load_code(c, key, false, &code, &code_len, err, n)) return false;
        mem_state_set_account(s, &a, &balance, nonce, code, code_len);
        free(code);
        const char *slot;
        json_t *val;
        json_object_foreach(storage, slot, val) {
            /* slots and values are quantities ("hex, no leading zeros") */
            u256 k, v;
            if (!hex_parse_u256(slot, &k) || !json_is_string(val) || !json_value_u256(val, &v)) {
                snprintf(err, n, "pre_state.%s.storage: bad slot \"%.70s\"", key, slot);
                return false;
            }
            mem_state_set_storage(s, &a, &k, &v);
        }
    }
    return true;
}

/* bytecodes.json beside the block, else in the folder above (shared by a
 * folder of blocks); NULL if neither exists. */
static json_t *load_bytecodes(const char *dir, bool *bad, char *err, size_t errlen) {
    json_t *j = load_json(dir, "bytecodes.json", false, bad, err, errlen);
    if (j || *bad) return j;
    char up[1100];
    snprintf(up, sizeof up, "%s/..", dir);
    return load_json(up, "bytecodes.json", false, bad, err, errlen);
}

bool mainnet_block_load(const char *dir, mainnet_block *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", dir);
    char e[300] = "";
    bool bad;
    json_t *bj = load_json(dir, "block.json", true, &bad, err, errlen);
    if (!bj) return false;
    json_t *pj = load_json(dir, "pre_state.json", true, &bad, err, errlen);
    if (!pj) {
        json_decref(bj);
        return false;
    }
    json_t *hj = load_json(dir, "block_hashes.json", false, &bad, err, errlen);
    json_t *cj = bad ? NULL : load_bytecodes(dir, &bad, err, errlen);
    if (bad) {
        json_decref(bj);
        json_decref(pj);
        if (hj) json_decref(hj);
        return false;
    }
    bool ok = json_is_object(bj);
    if (!ok) snprintf(err, errlen, "%s/block.json: the top level is not an object", dir);
    if (ok && hj && !json_is_object(hj)) {
        snprintf(err, errlen, "%s/block_hashes.json: the top level is not an object", dir);
        ok = false;
    }
    if (ok) {
        ok = load_header(bj, &out->blk.header, e, sizeof e);
        if (!ok) snprintf(err, errlen, "%s/block.json: %s", dir, e);
    }
    json_t *txs = json_object_get(bj, "transactions");
    if (ok && !json_is_array(txs)) {
        snprintf(err, errlen, "%s/block.json: field \"transactions\" is not an array", dir);
        ok = false;
    }
    if (ok) {
        out->blk.n_txs = json_array_size(txs);
        out->blk.txs = calloc(out->blk.n_txs ? out->blk.n_txs : 1, sizeof(transaction));
        for (size_t i = 0; ok && i < out->blk.n_txs; i++)
            if (!json_load_rpc_tx(json_array_get(txs, i), &out->blk.txs[i], false, e, sizeof e)) {
                snprintf(err, errlen, "%s/block.json: transactions[%zu]: %s", dir, i, e);
                ok = false;
            }
    }
    if (ok && !json_load_withdrawals(json_object_get(bj, "withdrawals"), &out->blk, e, sizeof e)) {
        snprintf(err, errlen, "%s/block.json: %s", dir, e);
        ok = false;
    }
    out->number = out->blk.header.number;
    out->pre = mem_state_new();
    if (ok && cj && !json_is_object(cj)) {
        snprintf(err, errlen, "%s: bytecodes.json: the top level is not an object", dir);
        ok = false;
    }
    if (ok && !load_pre(pj, cj, out->pre, e, sizeof e)) {
        snprintf(err, errlen, "%s/pre_state.json: %s", dir, e);
        ok = false;
    }
    if (ok && hj) {
        const char *num;
        json_t *h;
        json_object_foreach(hj, num, h) {
            bytes32 hash;
            uint64_t bn;
            /* decimal, as the fixtures write it, or a 0x quantity (pevm's older
             * snapshots); hex_parse_u64 would read "" as 0 */
            if (!num[0] || !hex_parse_u64(num, &bn) || !json_is_string(h) ||
                !hex_parse_fixed(json_string_value(h), hash.b, 32)) {
                snprintf(err, errlen, "%s/block_hashes.json: bad entry \"%.40s\"", dir, num);
                ok = false;
                break;
            }
            mem_state_set_block_hash(out->pre, bn, &hash);
        }
    }
    /* keep the "from" fields for checking recovered senders */
    if (ok) {
        for (size_t i = 0; i < out->blk.n_txs; i++) {
            address from;
            if (json_hex_address(json_array_get(txs, i), "from", &from, e, sizeof e)) out->blk.txs[i].sender = from;
        }
    }
    json_decref(bj);
    json_decref(pj);
    if (hj) json_decref(hj);
    if (cj) json_decref(cj);
    if (!ok) mainnet_block_free(out);
    return ok;
}

bool mainnet_block_recover_senders(mainnet_block *mb, bool homestead, char *err, size_t errlen) {
    for (size_t i = 0; i < mb->blk.n_txs; i++) {
        transaction *tx = &mb->blk.txs[i];
        address claimed = tx->sender;
        tx->sender_known = false;
        if (!tx_recover_sender(tx, homestead)) {
            snprintf(err, errlen, "%s: transaction %zu: signature does not recover", mb->path, i);
            return false;
        }
        if (!address_eq(&claimed, &tx->sender)) {
            snprintf(err, errlen, "%s: transaction %zu: recovered sender differs from \"from\"", mb->path, i);
            return false;
        }
    }
    return true;
}

void mainnet_block_free(mainnet_block *mb) {
    block_free(&mb->blk);
    mem_state_free(mb->pre);
    mb->pre = NULL;
}
