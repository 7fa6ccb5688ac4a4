/* Genesis: geth's genesis JSON (config, alloc, header fields), the genesis
 * header by geth's rules, and block 0 written to the store (chain_init). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "parevm/block_exec.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

#define GENESIS_GAS_LIMIT 4712388        /* geth's params.GenesisGasLimit */
#define GENESIS_DIFFICULTY 131072        /* geth's params.GenesisDifficulty */
#define INITIAL_BASE_FEE 1000000000ULL   /* EIP-1559 */

static bool fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- JSON numbers and hex ---- */

/* A decimal string into a 256-bit value (false on overflow or a non-digit). */
static bool decimal_u256(const char *s, u256 *out) {
    if (!*s) return false;
    u256 v = U256_ZERO, ten = u256_from_u64(10);
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        uint64_t wide[8];
        u256_mul_full(wide, &v, &ten);
        if (wide[4] | wide[5] | wide[6] | wide[7]) return false;
        u256 t = {{wide[0], wide[1], wide[2], wide[3]}}, d = u256_from_u64((uint64_t)(*s - '0'));
        if (u256_add_carry(&v, &t, &d)) return false;
    }
    *out = v;
    return true;
}

/* A number: a JSON integer >= 0, or a "0x" hex or decimal string. */
static bool value_u256(const json_t *v, u256 *out) {
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return false;
        *out = u256_from_u64((uint64_t)json_integer_value(v));
        return true;
    }
    const char *s = json_string_value(v);
    if (!s) return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint8_t be[32];
        if (!s[2] || !hex_to_fixed(s, be, 32)) return false;
        *out = u256_from_be(be, 32);
        return true;
    }
    return decimal_u256(s, out);
}

/* An optional number field: false only when present and malformed. */
static bool opt_u256(const json_t *o, const char *name, bool *has, u256 *out, char *err, size_t errlen) {
    const json_t *v = json_object_get(o, name);
    if (has) *has = false;
    if (!v || json_is_null(v)) return true;
    if (!value_u256(v, out)) return fail(err, errlen, "genesis: %s is not a non-negative number", name);
    if (has) *has = true;
    return true;
}

static bool opt_u64(const json_t *o, const char *name, bool *has, uint64_t *out, char *err, size_t errlen) {
    u256 v = U256_ZERO;
    bool h = false;
    if (!opt_u256(o, name, &h, &v, err, errlen)) return false;
    if (has) *has = h;
    if (!h) return true;
    if (!u256_fits_u64(&v)) return fail(err, errlen, "genesis: %s is above 2^64 - 1", name);
    *out = v.w[0];
    return true;
}

/* An optional fixed-size hex field (shorter values are left-padded). */
static bool opt_fixed(const json_t *o, const char *name, uint8_t *out, size_t n, char *err, size_t errlen) {
    const json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return true;
    const char *s = json_string_value(v);
    if (!s || !hex_to_fixed(s, out, n)) return fail(err, errlen, "genesis: %s is not %zu bytes of hex", name, n);
    return true;
}

/* ---- alloc ---- */

static bool read_account(const char *key, const json_t *acct, code_store *codes, change_set *cs, char *err,
                         size_t errlen) {
    address a;
    if (!hex_to_fixed(key, a.b, 20) || strlen(key) < 40)
        return fail(err, errlen, "genesis: alloc key \"%.60s\" is not an address", key);
    if (!json_is_object(acct)) return fail(err, errlen, "genesis: alloc.%s is not an object", key);
    account_change *c = change_set_add_account(cs, &a);
    c->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE;
    char name[80];
    bool has = false;
    snprintf(name, sizeof name, "alloc.%.42s.balance", key);
    if (!opt_u256(acct, "balance", &has, &c->balance, err, errlen)) return fail(err, errlen, "genesis: %s is not a number", name);
    if (!has) return fail(err, errlen, "genesis: %s is missing", name);
    snprintf(name, sizeof name, "alloc.%.42s.nonce", key);
    if (!opt_u64(acct, "nonce", NULL, &c->nonce, err, errlen)) return fail(err, errlen, "genesis: %s is not a number", name);
    const json_t *code = json_object_get(acct, "code");
    if (code && !json_is_null(code)) {
        uint8_t *bytes;
        size_t len;
        if (!json_is_string(code) || !hex_decode_alloc(json_string_value(code), &bytes, &len))
            return fail(err, errlen, "genesis: alloc.%.42s.code is not hex", key);
        c->flags |= CHANGE_CODE;
        c->code = code_store_intern(codes, bytes, len);
        free(bytes);
    }
    const json_t *storage = json_object_get(acct, "storage");
    if (storage && !json_is_null(storage)) {
        if (!json_is_object(storage)) return fail(err, errlen, "genesis: alloc.%.42s.storage is not an object", key);
        const char *slot;
        const json_t *val;
        json_object_foreach((json_t *)storage, slot, val) {
            uint8_t kb[32], vb[32];
            const char *vs = json_string_value(val);
            if (!hex_to_fixed(slot, kb, 32) || !vs || !hex_to_fixed(vs, vb, 32))
                return fail(err, errlen, "genesis: alloc.%.42s.storage: bad slot \"%.70s\"", key, slot);
            u256 k = u256_from_be(kb, 32), v = u256_from_be(vb, 32);
            if (!u256_is_zero(&v)) change_set_add_slot(cs, c, &k, &v);
        }
    }
    return true;
}

static int address_cmp(const void *a, const void *b) { return memcmp(a, b, sizeof(address)); }

/* Keys that differ only in case or in the 0x prefix name one account: geth
 * keeps the last of them whole, here they would merge; refused. */
static bool check_distinct(const change_set *cs, char *err, size_t errlen) {
    if (cs->n_accounts < 2) return true;
    address *v = malloc(cs->n_accounts * sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < cs->n_accounts; i++) v[i] = cs->accounts[i].addr;
    qsort(v, cs->n_accounts, sizeof *v, address_cmp);
    bool ok = true;
    for (size_t i = 1; i < cs->n_accounts && ok; i++)
        if (!memcmp(&v[i - 1], &v[i], sizeof *v)) {
            char hex[43];
            hex_encode(v[i].b, 20, hex);
            ok = fail(err, errlen, "genesis: alloc names %s more than once", hex);
        }
    free(v);
    return ok;
}

static bool read_alloc(const json_t *alloc, code_store *codes, change_set *cs, char *err, size_t errlen) {
    if (!alloc || json_is_null(alloc)) return true;
    if (!json_is_object(alloc)) return fail(err, errlen, "genesis: alloc is not an object");
    const char *key;
    const json_t *acct;
    json_object_foreach((json_t *)alloc, key, acct) {
        if (!read_account(key, acct, codes, cs, err, errlen)) return false;
    }
    return check_distinct(cs, err, errlen);
}

/* ---- the genesis file ---- */

static bool read_header_fields(const json_t *g, chain_genesis *out, char *err, size_t errlen) {
    if (!opt_u64(g, "nonce", NULL, &out->nonce, err, errlen) ||
        !opt_u64(g, "timestamp", NULL, &out->timestamp, err, errlen) ||
        !opt_u64(g, "gasLimit", NULL, &out->gas_limit, err, errlen) ||
        !opt_u64(g, "gasUsed", NULL, &out->gas_used, err, errlen) ||
        !opt_u64(g, "number", NULL, &out->number, err, errlen) ||
        !opt_u256(g, "difficulty", &out->has_difficulty, &out->difficulty, err, errlen) ||
        !opt_u256(g, "baseFeePerGas", &out->has_base_fee, &out->base_fee, err, errlen) ||
        !opt_u64(g, "excessBlobGas", &out->has_excess_blob_gas, &out->excess_blob_gas, err, errlen) ||
        !opt_u64(g, "blobGasUsed", &out->has_blob_gas_used, &out->blob_gas_used, err, errlen) ||
        !opt_fixed(g, "mixHash", out->mix_hash.b, 32, err, errlen) ||
        !opt_fixed(g, "parentHash", out->parent_hash.b, 32, err, errlen) ||
        !opt_fixed(g, "coinbase", out->coinbase.b, 20, err, errlen))
        return false;
    if (out->number != 0) return fail(err, errlen, "genesis: number must be 0");
    const json_t *extra = json_object_get(g, "extraData");
    if (extra && !json_is_null(extra)) {
        const char *s = json_string_value(extra);
        long n = s ? hex_decode(s, out->extra_data, sizeof out->extra_data) : -1;
        if (n < 0) return fail(err, errlen, "genesis: extraData is not hex of at most 256 bytes");
        out->extra_len = (size_t)n;
    }
    return true;
}

bool chain_genesis_from_json(const json_t *g, code_store *codes, chain_genesis *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(g)) return fail(err, errlen, "genesis: not a JSON object");
    const json_t *cfg = json_object_get(g, "config");
    if (!cfg) return fail(err, errlen, "genesis: config is missing");
    if (!chain_config_from_json(cfg, &out->config, err, errlen)) return false;
    out->ethash = json_object_get(cfg, "ethash") != NULL;
    if (!read_header_fields(g, out, err, errlen) || !read_alloc(json_object_get(g, "alloc"), codes, &out->alloc, err, errlen)) {
        chain_genesis_free(out);
        return false;
    }
    return true;
}

void chain_genesis_free(chain_genesis *g) { change_set_free(&g->alloc); }

block_header chain_genesis_header(const chain_genesis *g) {
    block_header h;
    memset(&h, 0, sizeof h);
    h.parent_hash = g->parent_hash;
    h.ommers_hash = EMPTY_LIST_HASH;
    h.coinbase = g->coinbase;
    h.tx_root = EMPTY_TRIE_ROOT;
    h.receipts_root = EMPTY_TRIE_ROOT;
    h.number = g->number;
    h.gas_limit = g->gas_limit ? g->gas_limit : GENESIS_GAS_LIMIT;
    h.gas_used = g->gas_used;
    h.timestamp = g->timestamp;
    memcpy(h.extra_data, g->extra_data, g->extra_len);
    h.extra_len = g->extra_len;
    h.mix_hash = g->mix_hash;
    h.nonce = g->nonce;
    static const bytes32 zero = {{0}};
    if (g->has_difficulty)
        h.difficulty = g->difficulty;
    else if (g->ethash && bytes32_eq(&g->mix_hash, &zero))
        h.difficulty = u256_from_u64(GENESIS_DIFFICULTY);
    /* which optional fields: the fork at genesis (merged if the terminal
     * total difficulty is reached by the genesis difficulty itself) */
    bool merged = g->config.has_ttd && !u256_lt(&h.difficulty, &g->config.terminal_total_difficulty);
    fork_id f = chain_fork_at(&g->config, h.number, h.timestamp, merged);
    /* geth copies a given base fee into the header whatever the fork */
    if (g->has_base_fee || chain_reached(g->config.london, 0)) {
        h.has_base_fee = true;
        h.base_fee = g->has_base_fee ? g->base_fee : u256_from_u64(INITIAL_BASE_FEE);
    }
    if (f >= FORK_SHANGHAI) {
        h.has_withdrawals_root = true;
        h.withdrawals_root = EMPTY_TRIE_ROOT;
    }
    if (f >= FORK_CANCUN) {
        h.has_blob_gas = true;
        h.excess_blob_gas = g->has_excess_blob_gas ? g->excess_blob_gas : 0;
        h.blob_gas_used = g->has_blob_gas_used ? g->blob_gas_used : 0;
        h.has_beacon_root = true;
    }
    if (f >= FORK_PRAGUE) {
        buf_t none[REQUEST_TYPES] = {{0}};
        h.has_requests_hash = true;
        h.requests_hash = requests_hash(none);
    }
    return h;
}

/* ---- block 0 ---- */

/* The body of a block without transactions or ommers. */
static void empty_body(bool withdrawals, buf_t *out) {
    size_t l = rlp_list_begin(out);
    rlp_list_end(out, rlp_list_begin(out));
    rlp_list_end(out, rlp_list_begin(out));
    if (withdrawals) rlp_list_end(out, rlp_list_begin(out));
    rlp_list_end(out, l);
}

/* Loads an allocation in chunks of bounded size (an account with many
 * slots spans several), so that memory and each write transaction stay
 * small whatever the genesis; returns the root of the whole state. */
#define LOAD_CHUNK 262144
static const char *load_alloc(db *d, const change_set *alloc, bytes32 *root) {
    change_set chunk = {0};
    const char *err = NULL;
    for (size_t i = 0; i < alloc->n_accounts && !err; i++) {
        const account_change *a = &alloc->accounts[i];
        uint32_t k = 0;
        do {
            account_change *c = change_set_add_account(&chunk, &a->addr);
            uint32_t first = c->first_slot;
            *c = *a;
            c->first_slot = first;
            c->n_slots = 0;
            for (; k < a->n_slots && chunk.n_slots < LOAD_CHUNK; k++)
                change_set_add_slot(&chunk, c, &alloc->slots[a->first_slot + k].key,
                                    &alloc->slots[a->first_slot + k].value);
            if (chunk.n_slots >= LOAD_CHUNK || chunk.n_accounts >= LOAD_CHUNK / 4) {
                err = db_load_state(d, &chunk, NULL);
                change_set_clear(&chunk);
            }
        } while (!err && k < a->n_slots);
    }
    if (!err) err = db_load_state(d, &chunk, root); /* the rest; the root of everything */
    change_set_free(&chunk);
    return err;
}

/* The store already has block 0: the same genesis is fine. */
/* Whether the store's chain may go on under cfg instead of stored. */
static bool head_compatible(db_snapshot *s, const chain_config *stored, const chain_config *cfg) {
    uint64_t number;
    bytes32 hash;
    buf_t rlp = {0};
    block_header h;
    char derr[128];
    bool ok = !db_head(s, &number, &hash) && !db_read_header(s, number, &hash, &rlp) &&
              header_decode(rlp.data, rlp.len, &h, derr, sizeof derr) &&
              chain_config_compatible(stored, cfg, h.number, h.timestamp);
    buf_free(&rlp);
    return ok;
}

static const char *check_existing(db *d, const chain_config *cfg, const block_header *header, block_header *out) {
    db_snapshot *s;
    const char *err = db_snapshot_open(d, 1, &s);
    if (err) return err;
    bytes32 hash;
    buf_t rlp = {0}, have = {0}, want = {0};
    chain_config stored;
    block_header g;
    char derr[128];
    bool rewrite = false;
    err = db_canonical_hash(s, 0, &hash);
    if (!err) err = db_read_header(s, 0, &hash, &rlp);
    if (!err && !header_decode(rlp.data, rlp.len, &g, derr, sizeof derr)) err = "the store's block 0 is corrupt";
    if (!err) err = chain_config_load(s, &stored);
    if (!err) {
        block_header h = *header;
        h.state_root = g.state_root; /* the allocation is not compared: its root is the stored one */
        buf_t enc = {0};
        header_encode(&h, &enc);
        h.hash = keccak256_hash(enc.data, enc.len);
        buf_free(&enc);
        chain_config_encode(&stored, &have);
        chain_config_encode(cfg, &want);
        bool same_cfg = have.len == want.len && !memcmp(have.data, want.data, have.len);
        if (!bytes32_eq(&h.hash, &hash) || (!same_cfg && !head_compatible(s, &stored, cfg)))
            err = "the store already holds another chain (a different genesis or configuration)";
        else if (out)
            *out = g;
        rewrite = !err && !same_cfg;
    }
    db_snapshot_close(s); /* before any write */
    /* forks not reached yet were scheduled anew: kept, as geth's init does */
    if (rewrite) err = db_put_meta(d, &(db_meta){"config", {want.data, want.len}});
    buf_free(&rlp);
    buf_free(&have);
    buf_free(&want);
    return err;
}

const char *chain_init(db *d, const chain_config *cfg, const block_header *header, const change_set *alloc,
                       block_header *out) {
    db_snapshot *s;
    const char *err = db_snapshot_open(d, 1, &s);
    if (err) return err;
    uint64_t head;
    bool has_head = db_head(s, &head, NULL) == NULL;
    db_snapshot_close(s);
    if (has_head) return check_existing(d, cfg, header, out);
    if (header->number != 0) return "the genesis block must be block 0";
    /* a store without block 0 holds at most an interrupted init's part of
     * some genesis state (loaded in chunks), maybe another one's: gone */
    if (alloc && (err = db_clear_unfinished(d))) return err;

    change_set none = {0};
    bytes32 root;
    if ((err = load_alloc(d, alloc ? alloc : &none, &root))) return err;
    block_header h = *header;
    h.state_root = root;
    buf_t hrlp = {0}, body = {0}, receipts = {0}, cfg_rec = {0};
    header_encode(&h, &hrlp);
    h.hash = keccak256_hash(hrlp.data, hrlp.len);
    empty_body(h.has_withdrawals_root, &body);
    rlp_list_end(&receipts, rlp_list_begin(&receipts));
    chain_config_encode(cfg, &cfg_rec);
    static const db_checkpoint stages[] = {{"headers", 0}, {"bodies", 0}, {"senders", 0}, {"execution", 0}};
    db_meta meta = {"config", {cfg_rec.data, cfg_rec.len}};
    db_block b = {
        .number = 0, .header = {hrlp.data, hrlp.len}, .body = {body.data, body.len},
        .receipts = {receipts.data, receipts.len}, .root = true, .expected_root = &root,
        .checkpoints = stages, .n_checkpoints = 4, .td = &h.difficulty, .meta = &meta, .n_meta = 1,
    };
    err = db_commit_block(d, &b, NULL);
    if (!err && out) *out = h;
    buf_free(&hrlp);
    buf_free(&body);
    buf_free(&receipts);
    buf_free(&cfg_rec);
    return err;
}
