/* Method group (dev mode only): anvil's state dumps -- anvil_dumpState and
 * anvil_loadState (also hardhat_*), and the state file of `parevm node
 * --dev.state` (anvil's --state): the accounts as anvil writes them, JSON,
 * gzip'd and hex over RPC, plain in a file; a dump loads as one edit over
 * the head (folded into the next block), anvil's dumps too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "node_dev.h"
#include "parevm/hex.h"

/* ---- State dumps (anvil_dumpState / anvil_loadState) ----------------------------------------------------- */

/* anvil's format: "0x" + gzip of {"block": null, "accounts": {address:
 * {nonce, balance, code, storage: {slot: value}}}, "best_block_number",
 * "blocks": [], "transactions": []}, so that a dump loads into anvil and
 * anvil's dumps load here (their other fields are ignored). */
enum { DUMP_MAX_ACCOUNTS = 1000000, DUMP_MAX_JSON = 256 << 20 };

typedef struct {
    node_state *st;
    db_snapshot *snap;
    const change_set *edits;
    json_t *accounts;
    size_t n;
    const char *why;
} dump_job;

static bool dump_slot(void *arg, const u256 *slot, const u256 *value) {
    json_t *storage = arg;
    (void)value; /* read again through the view, which has the edits */
    uint8_t be[32];
    char hex[67];
    u256_to_be(slot, be);
    hex_encode(be, 32, hex);
    json_object_set_new(storage, hex, json_null());
    return true;
}

/* The account at addr as the view (store and edits) has it, or nothing. */
static void dump_account(dump_job *j, const address *addr) {
    char key[43];
    hex_encode(addr->b, 20, key);
    if (json_object_get(j->accounts, key) || j->why) return;
    if (++j->n > DUMP_MAX_ACCOUNTS) {
        j->why = "state too large to dump";
        return;
    }
    state_view v = j->st->view;
    account_info info;
    if (!v.ops->get_account(v.ctx, addr, FIELD_ALL, &info)) return;
    const evm_code *code = v.ops->get_code(v.ctx, addr);
    json_t *storage = json_object();
    if ((j->why = db_each_slot(j->snap, addr, dump_slot, storage))) {
        json_decref(storage);
        return;
    }
    for (size_t i = 0; j->edits && i < j->edits->n_accounts; i++) {
        const account_change *ac = &j->edits->accounts[i];
        if (!address_eq(&ac->addr, addr)) continue;
        for (uint32_t k = 0; k < ac->n_slots; k++) dump_slot(storage, &j->edits->slots[ac->first_slot + k].key, NULL);
    }
    json_t *kept = json_object();
    const char *slot;
    json_t *unused;
    json_object_foreach(storage, slot, unused) {
        uint8_t be[32];
        hex_to_fixed(slot, be, 32);
        u256 k = u256_from_be(be, 32), val = v.ops->get_storage(v.ctx, addr, &k);
        if (!u256_is_zero(&val)) {
            bytes32 w;
            u256_to_be(&val, w.b);
            json_object_set_new(kept, slot, rpc_json_hash(&w));
        }
    }
    json_decref(storage);
    json_t *a = json_pack("{s:I,s:o,s:o,s:o}", "nonce", (json_int_t)info.nonce, "balance", rpc_json_u256(&info.balance),
                          "code", rpc_json_data(code->bytes, code->len), "storage", kept);
    json_object_set_new(j->accounts, key, a);
}

typedef struct {
    address *v;
    size_t n, cap;
} address_list;

/* The walk only collects: reads inside it would wait for its own lane. */
static bool collect_address(void *arg, const address *addr, const account_info *info) {
    (void)info;
    address_list *l = arg;
    if (l->n == DUMP_MAX_ACCOUNTS) return false;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        if (!(l->v = realloc(l->v, l->cap * sizeof *l->v))) abort();
    }
    l->v[l->n++] = *addr;
    return true;
}

/* gzip of p[0..n), as "0x" hex. */
static json_t *gzip_hex(const char *p, size_t n) {
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&z, n);
    uint8_t *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    json_t *hex = rpc_json_data(out, z.total_out);
    deflateEnd(&z);
    free(out);
    return hex;
}

/* The dump's JSON text (malloc'd) into *text. */
static bool dump_json(node *n, char **text, rpc_error *err) {
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    node_state st;
    rpc_block_ref latest = {.kind = RPC_BLOCK_LATEST};
    if (!node_state_open(&r, &latest, &st, err)) {
        node_read_close(&r);
        return false;
    }
    dump_job j = {.st = &st, .snap = r.snap, .edits = r.patch ? node_patch_changes(r.patch) : NULL,
                  .accounts = json_object()};
    address_list stored = {0};
    j.why = db_each_account(r.snap, collect_address, &stored);
    if (!j.why && stored.n == DUMP_MAX_ACCOUNTS) j.why = "state too large to dump";
    for (size_t i = 0; !j.why && i < stored.n; i++) dump_account(&j, &stored.v[i]);
    for (size_t i = 0; !j.why && j.edits && i < j.edits->n_accounts; i++) dump_account(&j, &j.edits->accounts[i].addr);
    free(stored.v);
    bool ok = !node_state_failed(&st, err);
    if (ok && j.why) ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "dump: %s", j.why);
    if (ok) {
        json_t *all = json_pack("{s:n,s:o,s:I,s:[],s:[]}", "block", "accounts", j.accounts, "best_block_number",
                                (json_int_t)r.head, "blocks", "transactions");
        j.accounts = NULL;
        *text = json_dumps(all, JSON_COMPACT);
        json_decref(all);
        if (!*text) abort();
    }
    json_decref(j.accounts);
    node_state_close(&st);
    node_read_close(&r);
    return ok;
}

static bool dump_state(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 0, 1, err)) return false; /* anvil's preserveHistoricalStates is ignored */
    char *text;
    if (!dump_json(ctx, &text, err)) return false;
    *result = gzip_hex(text, strlen(text));
    free(text);
    return true;
}

/* p[0..n) gunzipped when it is gzip, else as it is; NULL past the limit or
 * when the stream is broken. */
static char *maybe_gunzip(const uint8_t *p, size_t n, size_t *out_len) {
    if (n < 2 || p[0] != 0x1f || p[1] != 0x8b) {
        char *copy = malloc(n + 1);
        if (!copy) abort();
        memcpy(copy, p, n);
        copy[n] = 0;
        *out_len = n;
        return copy;
    }
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 32) != Z_OK) return NULL;
    size_t cap = 4 * n + 1024, len = 0;
    char *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (cap - len < 2) {
            if (cap >= DUMP_MAX_JSON) break;
            cap *= 2;
            if (!(out = realloc(out, cap))) abort();
        }
        z.next_out = (Bytef *)out + len;
        z.avail_out = (uInt)(cap - len - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        len = z.total_out;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    out[len] = 0;
    *out_len = len;
    return out;
}

/* One account of a dump into the edit; NULL or why not. */
static const char *load_account(node *n, const char *key, const json_t *a, change_set *cs) {
    address addr;
    json_t *k = json_string(key);
    const char *why = rpc_parse_address(k, &addr);
    json_decref(k);
    if (why) return "an account's address is not 20 bytes of hex";
    if (!json_is_object(a)) return "an account is not an object";
    account_change *ac = change_set_add_account(cs, &addr);
    ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE | CHANGE_CODE;
    const json_t *bal = json_object_get(a, "balance"), *nonce = json_object_get(a, "nonce"),
                 *code = json_object_get(a, "code"), *storage = json_object_get(a, "storage");
    if (bal && (why = node_dev_u256(bal, &ac->balance))) return "an account's balance is not a quantity";
    if (nonce && (why = node_dev_u64(nonce, &ac->nonce))) return "an account's nonce is not a 64-bit quantity";
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (code && !json_is_null(code) && rpc_parse_data(code, &bytes, &len)) return "an account's code is not hex";
    ac->code = code_store_intern(db_codes(n->db), bytes, len);
    free(bytes);
    if (storage && !json_is_null(storage) && !json_is_object(storage)) return "an account's storage is not an object";
    const char *slot;
    json_t *val;
    json_object_foreach((json_t *)storage, slot, val) {
        u256 sk, sv;
        json_t *sj = json_string(slot);
        why = node_dev_u256(sj, &sk);
        json_decref(sj);
        if (why || node_dev_u256(val, &sv)) return "a storage slot or value is not a quantity";
        ac = &cs->accounts[cs->n_accounts - 1]; /* adding slots may move it */
        change_set_add_slot(cs, ac, &sk, &sv);
    }
    return NULL;
}

/* A dump (gzip'd or not) as one edit over the head. */
static bool load_bytes(node *n, const uint8_t *raw, size_t len, json_t **result, rpc_error *err) {
    size_t text_len;
    char *text = maybe_gunzip(raw, len, &text_len);
    if (!text) return rpc_error_set(err, RPC_INVALID_PARAMS, "Failed to decode state dump (broken or too large gzip)");
    json_error_t jerr;
    json_t *dump = json_loadb(text, text_len, 0, &jerr);
    free(text);
    const json_t *accounts = json_object_get(dump, "accounts");
    if (!json_is_object(accounts)) {
        json_decref(dump);
        return rpc_error_set(err, RPC_INVALID_PARAMS, "Failed to decode state dump (want {\"accounts\": {...}})");
    }
    change_set cs = {0};
    const char *key, *why = NULL;
    json_t *a;
    json_object_foreach((json_t *)accounts, key, a) if (!why) why = load_account(n, key, a, &cs);
    json_decref(dump);
    if (why) {
        change_set_free(&cs);
        return rpc_error_set(err, RPC_INVALID_PARAMS, "Failed to decode state dump: %s", why);
    }
    return node_dev_edit(n, &cs, result, json_true(), err);
}

static bool load_state(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint8_t *raw;
    size_t len;
    const char *why = rpc_parse_data(rpc_arg(params, 0), &raw, &len);
    if (why) return rpc_error_invalid_param(err, 0, why);
    bool ok = load_bytes(ctx, raw, len, result, err);
    free(raw);
    return ok;
}

/* ---- The state file (parevm node --dev.state, anvil's --state) ----------------------------- */

/* The first line of err's message into why. */
static const char *say(const rpc_error *err, char *why, size_t cap) {
    snprintf(why, cap, "%s", err->message);
    return why;
}

const char *node_dev_load_state(node *n, const uint8_t *data, size_t len, char *why, size_t cap) {
    if (!n->dev) return "state files are for dev mode (--dev)";
    rpc_error err = {0};
    json_t *res = NULL;
    bool ok = load_bytes(n, data, len, &res, &err);
    json_decref(res);
    const char *out = ok ? NULL : say(&err, why, cap);
    rpc_error_clear(&err);
    return out;
}

const char *node_dev_dump_state(node *n, char **json, char *why, size_t cap) {
    if (!n->dev) return "state files are for dev mode (--dev)";
    rpc_error err = {0};
    bool ok = dump_json(n, json, &err);
    const char *out = ok ? NULL : say(&err, why, cap);
    rpc_error_clear(&err);
    return out;
}

void node_register_dev_state(node *n, rpc_methods *m) {
    rpc_methods_add(m, "anvil_dumpState", dump_state, n);
    rpc_methods_add(m, "hardhat_dumpState", dump_state, n);
    rpc_methods_add(m, "anvil_loadState", load_state, n);
    rpc_methods_add(m, "hardhat_loadState", load_state, n);
}
