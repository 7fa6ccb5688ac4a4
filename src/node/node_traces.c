/* What anvil prints about dev-mode activity on stdout, drawn from
 * callTracer frames recorded with revm_frames (trace.h): the report of
 * each mined block (each transaction's hash, the contract it created, its
 * gas used and why it failed; the block's number, hash and time) and, with
 * --print-traces, the call tree of each mined transaction and eth_call as
 * foundry draws it (revm-inspectors' TraceWriter, without colours). The
 * labels and decoding are those anvil's trace decoder has without any ABI:
 * precompiles ("PRECOMPILES::identity(0x..)"), console.log calls
 * ("console::log(\"x\", 1)") and the CREATE2 deployer; other calls show
 * their selector and arguments in hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "node_internal.h"
#include "parevm/abi.h"
#include "parevm/hex.h"
#include "parevm/rpc_codec.h"

static const address CONSOLE = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0x63, 0x6f, 0x6e, 0x73, 0x6f, 0x6c, 0x65, 0x2e, 0x6c, 0x6f,
                                 0x67}};
static const address CREATE2_DEPLOYER = {{0x4e, 0x59, 0xb4, 0x48, 0x47, 0xb3, 0x79, 0x57, 0x85, 0x88, 0x92, 0x0c, 0xa7,
                                          0x8f, 0xbf, 0x26, 0xc0, 0xb4, 0x95, 0x6c}};

static void put(buf_t *out, const char *s) { buf_append(out, s, strlen(s)); }


static const char *field(const json_t *f, const char *key) { return json_string_value(json_object_get(f, key)); }

/* The bytes of a hex field (none when absent); caller frees. */
static uint8_t *field_bytes(const json_t *f, const char *key, size_t *len) {
    uint8_t *p = NULL;
    *len = 0;
    const char *h = field(f, key);
    if (h && !hex_decode_alloc(h, &p, len)) *len = 0, p = NULL;
    return p;
}

static bool field_address(const json_t *f, address *a) {
    const char *h = field(f, "to");
    if (!h) h = field(f, "_to");
    return h && hex_to_fixed(h, a->b, 20);
}

static bool is_type(const json_t *f, const char *t) {
    const char *v = field(f, "type");
    return v && !strcmp(v, t);
}

static bool is_create(const json_t *f) { return is_type(f, "CREATE") || is_type(f, "CREATE2"); }

static bool succeeded(const char *status) {
    return !strcmp(status, "Stop") || !strcmp(status, "Return") || !strcmp(status, "SelfDestruct");
}

/* ---- Revert reasons: foundry's RevertDecoder without ABIs ---------------------------- */

static bool utf8_valid(const uint8_t *p, size_t n) {
    buf_t b = {0};
    node_put_lossy(&b, p, n);
    bool same = b.len == n && (!n || !memcmp(b.data, p, n));
    buf_free(&b);
    return same;
}

/* How anvil words a failed transaction's or known call's end: an
 * Error(string)'s reason, an ABI string, printable ASCII as it is, a
 * custom error's selector and rest, else revm's status. */
static void revert_text(buf_t *out, const uint8_t *d, size_t n, const char *status) {
    const uint8_t *s;
    size_t len;
    u256 code;
    abi_revert_kind kind = abi_decode_revert(d, n, &s, &len, &code);
    if (kind == ABI_REVERT_ERROR) {
        node_put_lossy(out, s, len);
        return;
    }
    if (kind == ABI_REVERT_PANIC) { /* alloy's Display of a Panic */
        const char *w = abi_panic_reason_alloy(&code);
        char text[120], hex[67];
        if (w) {
            snprintf(text, sizeof text, "panic: %s (0x%02x)", w, (unsigned)code.w[0]);
        } else {
            u256_to_hex(&code, hex);
            snprintf(text, sizeof text, "panic: unknown code (%s)", hex);
        }
        put(out, text);
        return;
    }
    if (abi_decode_string(d, n, &s, &len) && len) {
        node_put_lossy(out, s, len);
        return;
    }
    bool ascii = n > 0;
    for (size_t i = 0; i < n && ascii; i++) ascii = d[i] < 0x80;
    if (ascii) {
        buf_append(out, d, n);
        return;
    }
    if (n >= 4) {
        put(out, "custom error ");
        node_put_hex(out, d, 4, true);
        if (n > 4) {
            put(out, ": ");
            if (utf8_valid(d + 4, n - 4)) buf_append(out, d + 4, n - 4);
            else node_put_hex(out, d + 4, n - 4, false);
        }
        return;
    }
    put(out, "EvmError: ");
    put(out, status);
}

/* ---- The tree ----------------------------------------------------------------------- */

typedef struct {
    const node_console *console;
    fork_id fork;
    buf_t *out;
    int level;
} tree;

static void indent(tree *t) {
    put(t->out, "  ");
    for (int i = 1; i < t->level; i++) put(t->out, "  \xe2\x94\x82 ");
}
static void branch(tree *t) {
    indent(t);
    if (t->level) put(t->out, "  \xe2\x94\x9c\xe2\x94\x80 ");
}
static void pipes(tree *t) {
    indent(t);
    put(t->out, "  \xe2\x94\x82 ");
}
static void edge(tree *t) {
    indent(t);
    put(t->out, "  \xe2\x94\x94\xe2\x94\x80 ");
}

/* foundry's names of the precompiles, by address (0x01...0x11, 0x100). */
static const char *precompile_name(const address *a, fork_id fork) {
    static const char *const names[] = {NULL, "ecrecover", "sha256", "ripemd", "identity", "modexp", "ecadd",
                                        "ecmul", "ecpairing", "blake2f", "pointEvaluation", "bls12G1Add",
                                        "bls12G1Msm", "bls12G2Add", "bls12G2Msm", "bls12PairingCheck",
                                        "bls12MapFpToG1", "bls12MapFp2ToG2"};
    if (!precompile_is_active(a, fork)) return NULL;
    unsigned v = (unsigned)a->b[18] << 8 | a->b[19];
    if (v == 0x100) return "p256Verify";
    return v < sizeof names / sizeof names[0] ? names[v] : NULL;
}

/* ecrecover(hash, v, r, s) as foundry decodes its input; false when the
 * input is not four words with v a uint8. */
static bool ecrecover_args(buf_t *out, const uint8_t *in, size_t n) {
    if (n < 128) return false;
    for (int i = 32; i < 63; i++)
        if (in[i]) return false;
    char text[80];
    node_put_hex(out, in, 32, true);
    snprintf(text, sizeof text, ", %u, ", in[63]);
    put(out, text);
    u256 r = u256_load_be32(in + 64), s = u256_load_be32(in + 96);
    u256_to_dec(&r, text);
    put(out, text);
    put(out, ", ");
    u256_to_dec(&s, text);
    put(out, text);
    return true;
}

typedef enum { CALL_PLAIN, CALL_PRECOMPILE } call_kind;

static call_kind header(tree *t, const json_t *f) {
    buf_t *out = t->out;
    uint64_t gas = 0;
    const char *used = field(f, "_gasUsed") ? field(f, "_gasUsed") : field(f, "gasUsed");
    hex_parse_u64(used, &gas);
    char text[100];
    snprintf(text, sizeof text, "[%llu] ", (unsigned long long)gas);
    put(out, text);
    address to = {0};
    field_address(f, &to);
    rpc_address_checksum(&to, text);
    if (is_create(f)) {
        put(out, "\xe2\x86\x92 new <unknown>@");
        put(out, text);
        return CALL_PLAIN;
    }
    size_t len;
    uint8_t *in = field_bytes(f, "input", &len);
    const char *pre = precompile_name(&to, t->fork);
    call_kind kind = CALL_PLAIN;
    buf_t call = {0};
    if (pre) {
        kind = CALL_PRECOMPILE;
        put(out, "PRECOMPILES::");
        put(out, pre);
        if (strcmp(pre, "ecrecover") || !ecrecover_args(&call, in, len)) node_put_hex(&call, in, len, true);
    } else if (!memcmp(to.b, CONSOLE.b, 20) && node_console_trace_args(t->console, in, len, &call) >= 0) {
        put(out, "console::log"); /* arguments that do not decode: none shown, as anvil */
    } else if (!memcmp(to.b, CREATE2_DEPLOYER.b, 20)) {
        put(out, "Create2Deployer::create2");
    } else {
        buf_clear(&call);
        put(out, memcmp(to.b, CONSOLE.b, 20) ? text : "console"); /* anvil's label for the address */
        put(out, "::");
        if (len < 4) {
            put(out, "fallback");
            node_put_hex(&call, in, len, false);
        } else {
            node_put_hex(out, in, 4, false);
            node_put_hex(&call, in + 4, len - 4, false);
        }
    }
    u256 value = {0};
    if (field(f, "value") && hex_parse_u256(field(f, "value"), &value) && !u256_is_zero(&value)) {
        u256_to_dec(&value, text);
        put(out, "{value: ");
        put(out, text);
        put(out, "}");
    }
    put(out, "(");
    buf_append(out, call.data, call.len);
    put(out, ")");
    if (is_type(f, "STATICCALL")) put(out, " [staticcall]");
    else if (is_type(f, "CALLCODE")) put(out, " [callcode]");
    else if (is_type(f, "DELEGATECALL")) put(out, " [delegatecall]");
    buf_free(&call);
    free(in);
    return kind;
}

static void footer(tree *t, const json_t *f, call_kind kind) {
    buf_t *out = t->out;
    const char *status = field(f, "_status") ? field(f, "_status") : "Stop";
    put(out, "\xe2\x86\x90 [");
    put(out, status);
    put(out, "]");
    size_t len;
    uint8_t *o = field_bytes(f, json_object_get(f, "output") ? "output" : "_output", &len);
    address to = {0};
    field_address(f, &to);
    if (kind == CALL_PRECOMPILE) {
        put(out, " ");
        const char *name = precompile_name(&to, t->fork);
        bool addr = !strcmp(name, "ecrecover") && len == 32;
        for (int i = 0; addr && i < 12; i++) addr = o[i] == 0;
        if (!strcmp(name, "ripemd") && len == 32) { /* a bytes20: the word's first 20 bytes */
            node_put_hex(out, o, 20, true);
        } else if (addr) {
            char text[43];
            address a;
            memcpy(a.b, o + 12, 20);
            rpc_address_checksum(&a, text);
            put(out, text);
        } else {
            node_put_hex(out, o, len, true);
        }
    } else if (!is_create(f) && !succeeded(status)) { /* anvil's decoder words a failed call's end */
        put(out, " ");
        revert_text(out, o, len, status);
    } else if (is_create(f) && succeeded(status)) {
        char text[40];
        snprintf(text, sizeof text, " %zu bytes of code", len);
        put(out, text);
    } else if (len) {
        put(out, " ");
        node_put_hex(out, o, len, true);
    }
    free(o);
}

static void write_log(tree *t, const json_t *log) {
    const json_t *topics = json_object_get(log, "topics");
    size_t i;
    const json_t *topic;
    branch(t);
    json_array_foreach(topics, i, topic) {
        char text[40];
        if (i) {
            pipes(t);
            snprintf(text, sizeof text, "       topic %zu: ", i);
        } else {
            snprintf(text, sizeof text, " emit topic 0: ");
        }
        put(t->out, text);
        put(t->out, json_string_value(topic) ? json_string_value(topic) : "");
        put(t->out, "\n");
    }
    if (json_array_size(topics)) pipes(t);
    put(t->out, "          data: ");
    put(t->out, field(log, "data") ? field(log, "data") : "0x");
    put(t->out, "\n");
}

/* A slot or value as revm-inspectors writes it: decimal below 10^6, else
 * 32 bytes in hex. */
static void num_or_hex(buf_t *out, const char *quantity) {
    u256 v = {0};
    hex_parse_u256(quantity, &v);
    char text[80];
    if (u256_fits_u64(&v) && v.w[0] < 1000000) {
        snprintf(text, sizeof text, "%llu", (unsigned long long)v.w[0]);
    } else {
        uint8_t b[32];
        u256_store_be32(&v, b);
        hex_encode(b, 32, text);
    }
    put(out, text);
}

/* The frame's own storage writes, each slot's first value before and last
 * value after ("_storage", unchanged slots left out). */
static void write_storage(tree *t, const json_t *changes) {
    if (!json_array_size(changes)) return;
    branch(t);
    put(t->out, " storage changes:\n");
    size_t i;
    const json_t *c;
    json_array_foreach(changes, i, c) {
        pipes(t);
        put(t->out, "  @ ");
        num_or_hex(t->out, json_string_value(json_array_get(c, 0)));
        put(t->out, ": ");
        num_or_hex(t->out, json_string_value(json_array_get(c, 1)));
        put(t->out, " \xe2\x86\x92 ");
        num_or_hex(t->out, json_string_value(json_array_get(c, 2)));
        put(t->out, "\n");
    }
}

void node_frame_items(const json_t *frame, void (*on_log)(void *arg, const json_t *log),
                      void (*on_call)(void *arg, const json_t *call), void *arg) {
    const json_t *calls = json_object_get(frame, "calls"), *logs = json_object_get(frame, "logs");
    size_t n_calls = json_array_size(calls), n_logs = json_array_size(logs), li = 0;
    for (size_t ci = 0; ci <= n_calls; ci++) {
        for (; li < n_logs; li++) {
            const json_t *log = json_array_get(logs, li);
            uint64_t pos = 0;
            hex_parse_u64(field(log, "position"), &pos);
            if (pos > ci && ci < n_calls) break;
            on_log(arg, log);
        }
        if (ci < n_calls) on_call(arg, json_array_get(calls, ci));
    }
}

static void write_frame(tree *t, const json_t *f);

static void tree_log(void *arg, const json_t *log) { write_log(arg, log); }

static void tree_call(void *arg, const json_t *call) {
    tree *t = arg;
    /* deeper than any call stack: not a trace of ours */
    if (!is_type(call, "SELFDESTRUCT") && t->level < 1100) write_frame(t, call);
}

static void write_frame(tree *t, const json_t *f) {
    branch(t);
    call_kind kind = header(t, f);
    put(t->out, "\n");
    t->level++;
    node_frame_items(f, tree_log, tree_call, t);
    write_storage(t, json_object_get(f, "_storage"));
    edge(t);
    footer(t, f, kind);
    put(t->out, "\n");
    t->level--;
}

void node_traces_tree(const node_console *console, fork_id fork, const json_t *top, buf_t *out) {
    tree t = {.console = console, .fork = fork, .out = out};
    put(out, "Traces=\n");
    write_frame(&t, top);
    put(out, "\n");
}

/* ---- The block's report ------------------------------------------------------------- */

void node_traces_tx_summary(const json_t *top, const char *tx_hash, buf_t *out) {
    char text[120];
    snprintf(text, sizeof text, "    Transaction: %s\n", tx_hash ? tx_hash : "");
    put(out, text);
    address to;
    if (is_create(top) && field_address(top, &to)) {
        char a[43];
        rpc_address_checksum(&to, a);
        snprintf(text, sizeof text, "    Contract created: %s\n", a);
        put(out, text);
    }
    uint64_t gas = 0;
    hex_parse_u64(field(top, "gasUsed"), &gas);
    snprintf(text, sizeof text, "    Gas used: %llu\n", (unsigned long long)gas);
    put(out, text);
    const char *status = field(top, "_status") ? field(top, "_status") : "Stop";
    if (!succeeded(status)) {
        size_t len = 0;
        uint8_t *o = !strcmp(status, "Revert") ? field_bytes(top, "output", &len) : NULL;
        put(out, "    Error: reverted with: ");
        revert_text(out, o, len, status);
        put(out, "\n");
        free(o);
    }
    put(out, "\n");
}

void node_traces_block_summary(uint64_t number, const bytes32 *hash, uint64_t timestamp, buf_t *out) {
    char text[400], h[67], when[80];
    hex_encode(hash->b, 32, h);
    static const char *const DAYS[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t secs = timestamp > (uint64_t)INT64_MAX / 2 ? (time_t)(INT64_MAX / 2) : (time_t)timestamp;
    if (!gmtime_r(&secs, &tm)) memset(&tm, 0, sizeof tm);
    long long year = (long long)tm.tm_year + 1900;
    if (year > 9999) /* chrono's RFC 3339 where RFC 2822 has no room */
        snprintf(when, sizeof when, "%lld-%02d-%02dT%02d:%02d:%02d+00:00", year, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        snprintf(when, sizeof when, "%s, %d %s %lld %02d:%02d:%02d +0000", DAYS[tm.tm_wday % 7], tm.tm_mday,
                 MONTHS[tm.tm_mon % 12], year, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(text, sizeof text, "    Block Number: %llu\n    Block Hash: %s\n    Block Time: \"%s\"\n\n",
             (unsigned long long)number, h, when);
    put(out, text);
}
