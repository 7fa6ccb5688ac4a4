/* parevm db: queries and maintenance of a store (db.h): the head, an
 * account or a slot (at the head or, with --at N, after an older block),
 * a block, the state root (--full: rebuilt from the state rows and compared
 * with the incremental one) and unwinding to an older block. Every query
 * reads one snapshot: a concurrent import is seen at a block boundary.
 * A block's RLP and its execution witness (for parevm stateless) come from
 * the node's debug_getRawBlock and debug_executionWitness, run in process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/block.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/node.h"
#include "parevm/rlp.h"

typedef struct {
    db *d;
    bool json, has_at, full;
    uint64_t at;
    json_t *out; /* the result's fields, printed as text or JSON */
} db_cmd;

static void put_str(db_cmd *c, const char *k, const char *v) { json_object_set_new(c->out, k, json_string(v)); }
static void put_u64(db_cmd *c, const char *k, uint64_t v) { json_object_set_new(c->out, k, json_integer((json_int_t)v)); }
static void put_bool(db_cmd *c, const char *k, bool v) { json_object_set_new(c->out, k, json_boolean(v)); }
static void put_hash(db_cmd *c, const char *k, const uint8_t *b, size_t n) {
    char h[2 * 32 + 3];
    hex_encode(b, n, h);
    put_str(c, k, h);
}
static void put_u256(db_cmd *c, const char *k, const u256 *v) {
    char dec[80];
    u256_to_dec(v, dec);
    put_str(c, k, dec);
}

static void print_result(db_cmd *c) {
    if (c->json) {
        char *s = json_dumps(c->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c->out, k, v) {
        if (json_is_string(v)) printf("%s %s\n", k, json_string_value(v));
        else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%s %s\n", k, s);
            free(s);
        }
    }
}

static const char *open_snapshot(db_cmd *c, db_snapshot **s) {
    return c->has_at ? db_snapshot_at(c->d, c->at, 1, s) : db_snapshot_open(c->d, 1, s);
}

/* The canonical header of block n. */
static const char *read_header(db_snapshot *s, uint64_t n, block_header *h, bytes32 *hash) {
    buf_t b = {0};
    char derr[160];
    const char *err = db_canonical_hash(s, n, hash);
    if (!err) err = db_read_header(s, n, hash, &b);
    if (!err && !header_decode(b.data, b.len, h, derr, sizeof derr)) err = "corrupt header in the store";
    buf_free(&b);
    return err == DB_NOT_FOUND ? "no such block" : err;
}

static const char *q_head(db_cmd *c) {
    db_snapshot *s;
    const char *err = db_snapshot_open(c->d, 1, &s);
    if (err) return err;
    uint64_t head, trie = UINT64_MAX;
    bytes32 hash, root;
    block_header h;
    if ((err = db_head(s, &head, &hash))) err = err == DB_NOT_FOUND ? "the store holds no block" : err;
    if (!err) err = read_header(s, head, &h, &hash);
    if (!err) err = db_state_root(s, &root, &trie);
    if (!err) {
        put_u64(c, "number", head);
        put_hash(c, "hash", hash.b, 32);
        put_hash(c, "state_root", h.state_root.b, 32);
        put_u64(c, "trie_block", trie);
        put_hash(c, "trie_root", root.b, 32);
        /* one snapshot: a committed root is always its block's header root */
        put_bool(c, "consistent", trie != head || bytes32_eq(&root, &h.state_root));
        static const char *const stages[] = {"headers", "bodies", "senders", "execution"};
        json_t *st = json_object();
        for (int i = 0; i < 4; i++) {
            uint64_t n;
            if (!db_stage(s, stages[i], &n)) json_object_set_new(st, stages[i], json_integer((json_int_t)n));
        }
        json_object_set_new(c->out, "stages", st);
    }
    db_snapshot_close(s);
    return err;
}

static bool parse_u256(const char *text, u256 *out) {
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        uint8_t b[32];
        if (!text[2] || !hex_to_fixed(text, b, 32)) return false;
        *out = u256_from_be(b, 32);
        return true;
    }
    if (!*text) return false;
    u256 v = U256_ZERO, ten = u256_from_u64(10);
    for (; *text; text++) {
        if (*text < '0' || *text > '9') return false;
        u256 d = u256_from_u64((uint64_t)(*text - '0'));
        uint64_t wide[8];
        u256_mul_full(wide, &v, &ten);
        if (wide[4] | wide[5] | wide[6] | wide[7]) return false;
        u256 t = {{wide[0], wide[1], wide[2], wide[3]}};
        if (u256_add_carry(&v, &t, &d)) return false;
    }
    *out = v;
    return true;
}

static const char *q_account(db_cmd *c, const char *addr_text) {
    address a;
    if (!hex_to_fixed(addr_text, a.b, 20)) return "ADDR is not a 20-byte hex address";
    db_snapshot *s;
    const char *err = open_snapshot(c, &s);
    if (err) return err;
    uint64_t block;
    account_info info;
    if (!(err = db_snapshot_block(s, &block))) {
        const char *r = db_read_account(s, &a, &info);
        put_u64(c, "block", block);
        put_hash(c, "address", a.b, 20);
        put_bool(c, "exists", r == NULL);
        if (r && r != DB_NOT_FOUND) err = r;
        else if (!r) {
            const evm_code *code;
            put_u256(c, "balance", &info.balance);
            put_u64(c, "nonce", info.nonce);
            put_hash(c, "code_hash", info.code_hash.b, 32);
            if (!(err = db_read_code(s, &info.code_hash, &code))) put_u64(c, "code_size", code->len);
        }
    }
    db_snapshot_close(s);
    return err == DB_NOT_FOUND ? "the store holds no block" : err;
}

static const char *q_storage(db_cmd *c, const char *addr_text, const char *slot_text) {
    address a;
    u256 slot, v;
    if (!hex_to_fixed(addr_text, a.b, 20)) return "ADDR is not a 20-byte hex address";
    if (!parse_u256(slot_text, &slot)) return "SLOT is not a 256-bit number (decimal or 0x hex)";
    db_snapshot *s;
    const char *err = open_snapshot(c, &s);
    if (err) return err;
    uint64_t block;
    if (!(err = db_snapshot_block(s, &block)) && !(err = db_read_storage(s, &a, &slot, &v))) {
        uint8_t be[32];
        u256_to_be(&slot, be);
        put_u64(c, "block", block);
        put_hash(c, "address", a.b, 20);
        put_hash(c, "slot", be, 32);
        u256_to_be(&v, be);
        put_hash(c, "value", be, 32);
    }
    db_snapshot_close(s);
    return err == DB_NOT_FOUND ? "the store holds no block" : err;
}

/* Transaction hashes, ommer and withdrawal counts of a stored body. */
static void body_summary(db_cmd *c, db_snapshot *s, uint64_t n, const bytes32 *hash) {
    buf_t txs = {0}, body = {0};
    if (!db_read_block_txs(s, n, hash, &txs)) {
        json_t *a = json_array();
        for (size_t i = 0; i + 32 <= txs.len; i += 32) {
            char h[67];
            hex_encode(txs.data + i, 32, h);
            json_array_append_new(a, json_string(h));
        }
        json_object_set_new(c->out, "transactions", a);
    }
    rlp_item b, it;
    if (!db_read_body(s, n, hash, &body) && !rlp_decode(body.data, body.len, &b) && b.is_list) {
        rlp_iter i = rlp_iter_of(&b);
        rlp_next(&i, &it);
        if (rlp_next(&i, &it) == RLP_OK) put_u64(c, "ommers", (uint64_t)rlp_list_count(&it));
        if (rlp_next(&i, &it) == RLP_OK) put_u64(c, "withdrawals", (uint64_t)rlp_list_count(&it));
    }
    buf_free(&txs);
    buf_free(&body);
}

static const char *q_block(db_cmd *c, const char *which) {
    db_snapshot *s;
    const char *err = db_snapshot_open(c->d, 1, &s);
    if (err) return err;
    uint64_t n = 0;
    bytes32 hash;
    block_header h;
    char *end;
    if (strlen(which) == 66 && hex_to_fixed(which, hash.b, 32)) err = db_block_number(s, &hash, &n);
    else if ((n = strtoull(which, &end, 10), *end || !*which)) err = "N is not a block number or hash";
    if (err == DB_NOT_FOUND) err = "no such block";
    if (!err) err = read_header(s, n, &h, &hash);
    if (!err) {
        u256 td;
        put_u64(c, "number", n);
        put_hash(c, "hash", hash.b, 32);
        put_hash(c, "parent_hash", h.parent_hash.b, 32);
        put_hash(c, "state_root", h.state_root.b, 32);
        put_hash(c, "transactions_root", h.tx_root.b, 32);
        put_hash(c, "receipts_root", h.receipts_root.b, 32);
        put_hash(c, "coinbase", h.coinbase.b, 20);
        put_u64(c, "timestamp", h.timestamp);
        put_u64(c, "gas_limit", h.gas_limit);
        put_u64(c, "gas_used", h.gas_used);
        put_u256(c, "difficulty", &h.difficulty);
        if (h.has_base_fee) put_u256(c, "base_fee", &h.base_fee);
        if (!db_read_td(s, n, &hash, &td)) put_u256(c, "total_difficulty", &td);
        body_summary(c, s, n, &hash);
    }
    db_snapshot_close(s);
    return err;
}

static const char *q_root(db_cmd *c) {
    db_snapshot *s;
    const char *err = db_snapshot_open(c->d, 1, &s);
    if (err) return err;
    bytes32 root, full;
    uint64_t trie, head;
    if (!(err = db_state_root(s, &root, &trie)) && db_head(s, &head, NULL)) err = "the store holds no block";
    db_snapshot_close(s);
    if (err) return err;
    if (c->full) {
        /* the trie catches up first, so that both describe the head */
        if ((err = db_update_root(c->d, &root)) || (err = db_root_full(c->d, &full))) return err;
        trie = head;
    }
    put_u64(c, "head", head);
    put_u64(c, "trie_block", trie);
    put_hash(c, "root", root.b, 32);
    if (c->full) {
        put_hash(c, "full_root", full.b, 32);
        put_bool(c, "match", bytes32_eq(&root, &full));
        if (!bytes32_eq(&root, &full)) return "the full rebuild differs from the incremental root";
    }
    return NULL;
}

static const char *q_unwind(db_cmd *c, const char *which) {
    char *end;
    uint64_t n = strtoull(which, &end, 10);
    if (*end || !*which) return "N is not a block number";
    bytes32 root, hash;
    const char *err = db_unwind(c->d, n, &root);
    if (err) return err;
    db_snapshot *s;
    block_header h;
    if ((err = db_snapshot_open(c->d, 1, &s))) return err;
    err = read_header(s, n, &h, &hash);
    db_snapshot_close(s);
    if (err) return err;
    put_u64(c, "head", n);
    put_hash(c, "hash", hash.b, 32);
    put_hash(c, "root", root.b, 32);
    put_bool(c, "root_matches_header", bytes32_eq(&root, &h.state_root));
    return bytes32_eq(&root, &h.state_root) ? NULL : "the unwound state's root differs from the header's";
}

/* rawblock / witness: the node's method on block N, its result printed as
 * JSON (a hex string unquoted). */
static int q_node(const char *dir, const char *query, const char *which) {
    char *end;
    uint64_t n = strtoull(which, &end, 10);
    if (*end || !*which) {
        fprintf(stderr, "parevm db: N is not a block number\n");
        return 1;
    }
    node_config cfg = {.datadir = dir, .threads = 1};
    node *nd;
    const char *err = node_open(&cfg, &nd);
    if (err) {
        fprintf(stderr, "parevm db: %s: %s\n", dir, err);
        return 1;
    }
    const char *method = !strcmp(query, "witness") ? "debug_executionWitness" : "debug_getRawBlock";
    char quantity[24];
    snprintf(quantity, sizeof quantity, "0x%llx", (unsigned long long)n);
    json_t *params = json_pack("[s]", quantity);
    json_t *resp = cli_rpc_call(node_methods(nd), method, params);
    json_decref(params);
    json_t *res = json_object_get(resp, "result");
    const char *why = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
    int status = 1;
    if (res && json_is_string(res)) {
        printf("%s\n", json_string_value(res));
        status = 0;
    } else if (res) {
        char *s = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        status = 0;
    } else {
        fprintf(stderr, "parevm db: %s of block %llu: %s\n", query, (unsigned long long)n, why ? why : "no result");
    }
    json_decref(resp);
    node_close(nd);
    return status;
}

static int usage(void) {
    fprintf(stderr, "usage: parevm db --datadir DIR [--json] QUERY\n"
                    "  head                      the head block, its state root, stage checkpoints\n"
                    "  account ADDR [--at N]     an account (after block N with --at)\n"
                    "  storage ADDR SLOT [--at N]\n"
                    "  block N|HASH              a block's header fields and transactions\n"
                    "  root [--full]             the state root (--full: rebuilt from the state rows, compared)\n"
                    "  unwind N                  restores the state after block N\n"
                    "  rawblock N                the block's RLP as hex (debug_getRawBlock)\n"
                    "  witness N                 the block's execution witness as JSON, for parevm stateless\n"
                    "                            (debug_executionWitness: its parent's state must be retained)\n");
    return 2;
}

int cmd_db(int argc, char **argv) {
    db_cmd c = {0};
    const char *dir = NULL, *args[4] = {0};
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--datadir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(a, "--json")) c.json = true;
        else if (!strcmp(a, "--full")) c.full = true;
        else if (!strcmp(a, "--at") && i + 1 < argc) {
            char *end;
            c.at = strtoull(argv[++i], &end, 10);
            if (*end) return usage();
            c.has_at = true;
        } else if (a[0] != '-' && nargs < 4) args[nargs++] = a;
        else return usage();
    }
    if (!dir || !nargs) return usage();
    const char *q = args[0];
    int want = !strcmp(q, "head") || !strcmp(q, "root") ? 1 : !strcmp(q, "storage") ? 3 : 2;
    if (nargs != want || (strcmp(q, "head") && strcmp(q, "root") && strcmp(q, "storage") && strcmp(q, "account") &&
                          strcmp(q, "block") && strcmp(q, "unwind") && strcmp(q, "rawblock") && strcmp(q, "witness")))
        return usage();
    if (!strcmp(q, "rawblock") || !strcmp(q, "witness")) return q_node(dir, q, args[1]);
    const char *err = db_open(dir, &(db_options){.existing = true}, &c.d);
    if (!err && !strcmp(q, "unwind") && (err = cli_lock_store(dir))) db_close(c.d);
    if (err) {
        fprintf(stderr, "parevm db: %s: %s\n", dir, err);
        return 1;
    }
    c.out = json_object();
    if (!strcmp(q, "head")) err = q_head(&c);
    else if (!strcmp(q, "account")) err = q_account(&c, args[1]);
    else if (!strcmp(q, "storage")) err = q_storage(&c, args[1], args[2]);
    else if (!strcmp(q, "block")) err = q_block(&c, args[1]);
    else if (!strcmp(q, "root")) err = q_root(&c);
    else err = q_unwind(&c, args[1]);
    if (json_object_size(c.out)) print_result(&c);
    if (err) fprintf(stderr, "parevm db: %s\n", err);
    json_decref(c.out);
    db_close(c.d);
    return err ? 1 : 0;
}
