/* Hardhat's console.log in dev mode, as anvil prints it: a contract that
 * uses console.sol calls the account 0x000000000000000000636F6e736F6c652e6c6f67
 * (no code) with an ABI-encoded log(...) call; the node prints the message
 * on its console. Execution is untouched: after a dev block is mined its
 * transactions are replayed with the call tracer (so a node that does not
 * print pays nothing), and an eth_call that read that account is run again
 * with a tracer; each CALL or STATICCALL to the address, in the order the
 * calls started, reverted frames included, is decoded here.
 *
 * The calls are console.sol's: log() and log(T) for T in uint256, int256,
 * string, bool, address, bytes, bytes1...bytes32; log(string,int256); and
 * log(A,B[,C[,D]]) for A...D in uint256, string, bool, address. The message
 * follows foundry's console formatting (Hardhat's rules): when the first
 * argument is a string it is a format in which %s, %d, %i, %o, %x, %e and
 * %<n>e (n up to 1024; larger stays text) take the next argument and %%
 * is a '%'; arguments left over are
 * appended after a space each. Otherwise the arguments are joined with
 * spaces. A string that is not UTF-8 has its ill-formed parts replaced by
 * U+FFFD, as anvil prints it. Input that is not such a call prints nothing.
 * The logs a transaction emits that are ds-test's events print too, in
 * the order of the calls and logs (node_console_ds.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "node_call.h"
#include "node_dev.h"
#include "node_internal.h"
#include "parevm/buf.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc_codec.h"
#include "parevm/trace.h"

/* The argument types; the value is also the order of the 4-way families. */
typedef enum { ARG_UINT, ARG_STRING, ARG_BOOL, ARG_ADDRESS, ARG_INT, ARG_BYTES, ARG_FIXED } arg_type;

enum { MAX_ARGS = 4, MAX_SIGNATURES = 1 + 38 + 17 + 64 + 256, MAX_PRECISION = 1024 };

typedef struct {
    uint8_t selector[4];
    uint8_t n;
    uint8_t type[MAX_ARGS];
    uint8_t fixed_len[MAX_ARGS]; /* bytesN's N */
} signature;

struct node_console {
    signature sig[MAX_SIGNATURES];
    size_t n;
    bytes32 ds[NODE_DS_EVENTS]; /* ds-test's log events' topics (node_console_ds.c) */
};

static const char *const TYPE_NAME[] = {"uint256", "string", "bool", "address", "int256", "bytes"};

static void add(node_console *c, size_t n, const uint8_t *types, const uint8_t *lens) {
    char text[128] = "log(";
    for (size_t i = 0; i < n; i++) {
        char one[16];
        if (types[i] == ARG_FIXED) snprintf(one, sizeof one, "bytes%u", lens[i]);
        else snprintf(one, sizeof one, "%s", TYPE_NAME[types[i]]);
        if (i) strcat(text, ",");
        strcat(text, one);
    }
    strcat(text, ")");
    signature *s = &c->sig[c->n++];
    uint8_t h[32];
    keccak256(text, strlen(text), h);
    memcpy(s->selector, h, 4);
    s->n = (uint8_t)n;
    if (n) memcpy(s->type, types, n);
    if (n && lens) memcpy(s->fixed_len, lens, n);
}

node_console *node_console_new(void) {
    node_console *c = calloc(1, sizeof *c);
    if (!c) abort();
    add(c, 0, NULL, NULL);
    for (uint8_t t = ARG_UINT; t <= ARG_BYTES; t++) add(c, 1, &t, NULL);
    for (uint8_t k = 1; k <= 32; k++) add(c, 1, (const uint8_t[]){ARG_FIXED}, &k);
    add(c, 2, (const uint8_t[]){ARG_STRING, ARG_INT}, NULL);
    /* every combination of the four common types, two to four of them */
    for (size_t n = 2; n <= MAX_ARGS; n++)
        for (unsigned combo = 0; combo < 1u << (2 * n); combo++) {
            uint8_t types[MAX_ARGS] = {0};
            for (size_t i = 0; i < MAX_ARGS; i++)
                if (i < n) types[i] = (uint8_t)(combo >> (2 * (n - 1 - i)) & 3);
            add(c, n, types, NULL);
        }
    node_ds_topics(c->ds);
    return c;
}

void node_console_free(node_console *c) { free(c); }

size_t node_console_selector(const node_console *c, size_t i, uint8_t out[4]) {
    if (i < c->n) memcpy(out, c->sig[i].selector, 4);
    return c->n;
}

/* ---- Arguments ---------------------------------------------------------------------- */

typedef struct {
    arg_type type;
    u256 word;              /* uint, int, bool, address */
    const uint8_t *data;    /* string, bytes, bytesN */
    size_t len;
} arg;

/* Appends p as UTF-8, each maximal part of an ill-formed sequence
 * replaced by U+FFFD, as Rust's String::from_utf8_lossy (which alloy's
 * string decoding uses) does. */
static void put_lossy(buf_t *out, const uint8_t *p, size_t n) {
    static const uint8_t FFFD[] = {0xef, 0xbf, 0xbd};
    for (size_t i = 0; i < n;) {
        uint8_t b = p[i];
        size_t need = 0;
        uint8_t lo = 0x80, hi = 0xbf; /* the second byte's range */
        if (b < 0x80) {
            buf_push(out, b);
            i++;
            continue;
        }
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) need = 2, lo = b == 0xe0 ? 0xa0 : 0x80, hi = b == 0xed ? 0x9f : 0xbf;
        else if (b >= 0xf0 && b <= 0xf4) need = 3, lo = b == 0xf0 ? 0x90 : 0x80, hi = b == 0xf4 ? 0x8f : 0xbf;
        size_t k = 1;
        while (need && k <= need && i + k < n) {
            uint8_t c = p[i + k];
            if (k == 1 ? (c < lo || c > hi) : (c & 0xc0) != 0x80) break;
            k++;
        }
        if (need && k == need + 1) buf_append(out, p + i, k);
        else buf_append(out, FFFD, sizeof FFFD);
        i += k;
    }
}

/* The value of a dynamic argument whose head word is at head: an offset
 * from args to a length word and the bytes after it. */
static bool dynamic(const uint8_t *args, size_t len, const uint8_t *head, arg *a) {
    u256 off = u256_load_be32(head);
    if (!u256_fits_u64(&off) || off.w[0] > len || len - off.w[0] < 32) return false;
    u256 n = u256_load_be32(args + off.w[0]);
    if (!u256_fits_u64(&n) || n.w[0] > len - off.w[0] - 32) return false;
    a->data = args + off.w[0] + 32;
    a->len = (size_t)n.w[0];
    return true;
}

static bool decode(const signature *s, const uint8_t *args, size_t len, arg out[MAX_ARGS]) {
    if (len < 32 * (size_t)s->n) return false;
    for (size_t i = 0; i < s->n; i++) {
        const uint8_t *head = args + 32 * i;
        arg *a = &out[i];
        a->type = s->type[i];
        a->word = u256_load_be32(head);
        if (a->type == ARG_STRING || a->type == ARG_BYTES) {
            if (!dynamic(args, len, head, a)) return false;
        } else if (a->type == ARG_FIXED) {
            a->data = head;
            a->len = s->fixed_len[i];
        }
    }
    return true;
}

/* ---- Formatting --------------------------------------------------------------------- */

typedef enum { SPEC_STRING, SPEC_NUMBER, SPEC_INTEGER, SPEC_OBJECT, SPEC_EXP, SPEC_HEX } spec_kind;

typedef struct {
    spec_kind kind;
    bool has_precision;     /* %<n>e */
    size_t precision;
} spec;

static void put(buf_t *out, const char *s) { buf_append(out, s, strlen(s)); }

void node_put_hex(buf_t *out, const uint8_t *p, size_t n, bool prefix) {
    char *h = malloc(2 * n + 3);
    if (!h) abort();
    hex_encode(p, n, h);
    put(out, prefix ? h : h + 2);
    free(h);
}

static void put_hex(buf_t *out, const uint8_t *p, size_t n) { node_put_hex(out, p, n, true); }

/* |v| in decimal with the '-' of a negative int256. */
static void decimal(const arg *a, char sign[2], char digits[80]) {
    u256 v = a->word;
    sign[0] = sign[1] = 0;
    if (a->type == ARG_INT && u256_is_neg(&v)) {
        sign[0] = '-';
        v = u256_neg(&v);
    }
    u256_to_dec(&v, digits);
}

/* %e and %<n>e of a number: its digits around the decimal point, trailing
 * zeros of the fraction dropped ("1.2345e21", "1234.5" for %18e). */
static void exponential(buf_t *out, const arg *a, const spec *sp) {
    char sign[2], digits[80];
    decimal(a, sign, digits);
    size_t nd = strlen(digits);
    size_t point = sp->has_precision ? sp->precision : nd - 1; /* digits after the point */
    put(out, sign);
    if (point >= nd) {
        put(out, "0");
    } else {
        buf_append(out, digits, nd - point);
    }
    /* the fraction: point digits, zero-padded on the left, trailing zeros gone */
    size_t frac_digits = point < nd ? point : nd;
    const char *frac = digits + nd - frac_digits;
    size_t keep = frac_digits;
    while (keep && frac[keep - 1] == '0') keep--;
    if (keep) {
        put(out, ".");
        for (size_t z = frac_digits; z < point; z++) put(out, "0");
        buf_append(out, frac, keep);
    }
    if (!sp->has_precision) {
        char e[24];
        snprintf(e, sizeof e, "e%zu", point);
        put(out, e);
    }
}

static void hexadecimal(buf_t *out, const arg *a) {
    char h[67];
    u256_to_hex(&a->word, h); /* two's complement for a negative int256 */
    const char *d = h + 2;
    while (*d == '0') d++;
    put(out, "0x");
    put(out, d);
}

static void plain(buf_t *out, const arg *a) {
    switch (a->type) {
    case ARG_UINT:
    case ARG_INT: {
        char sign[2], digits[80];
        decimal(a, sign, digits);
        put(out, sign);
        put(out, digits);
        break;
    }
    case ARG_BOOL:
        put(out, u256_is_zero(&a->word) ? "false" : "true");
        break;
    case ARG_ADDRESS: {
        address ad = u256_to_address(&a->word);
        char cs[43];
        rpc_address_checksum(&ad, cs);
        put(out, cs);
        break;
    }
    case ARG_STRING:
        put_lossy(out, a->data, a->len);
        break;
    case ARG_BYTES:
    case ARG_FIXED:
        put_hex(out, a->data, a->len);
        break;
    }
}

static void format_arg(buf_t *out, const arg *a, const spec *sp) {
    bool number = a->type == ARG_UINT || a->type == ARG_INT;
    switch (sp->kind) {
    case SPEC_STRING:
        plain(out, a);
        return;
    case SPEC_OBJECT:
        if (number) return plain(out, a);
        put(out, "'");
        plain(out, a);
        put(out, "'");
        return;
    case SPEC_NUMBER:
        if (a->type == ARG_BOOL) return put(out, u256_is_zero(&a->word) ? "0" : "1");
        /* fall through */
    case SPEC_INTEGER:
        if (number) return plain(out, a);
        return put(out, "NaN");
    case SPEC_EXP:
        if (number) return exponential(out, a, sp);
        return put(out, "NaN");
    case SPEC_HEX:
        if (number) return hexadecimal(out, a);
        if (a->type == ARG_ADDRESS || a->type == ARG_BYTES || a->type == ARG_FIXED) return plain(out, a);
        return put(out, "NaN");
    }
}

/* The specifier at f[0] == '%', if it is one: its length and kind. "%%"
 * gives 0 (a literal '%' follows); anything else is no specifier. */
static size_t parse_spec(const char *f, size_t n, spec *sp) {
    *sp = (spec){0};
    if (n < 2) return 0;
    switch (f[1]) {
    case 's': sp->kind = SPEC_STRING; return 2;
    case 'd': sp->kind = SPEC_NUMBER; return 2;
    case 'i': sp->kind = SPEC_INTEGER; return 2;
    case 'o': sp->kind = SPEC_OBJECT; return 2;
    case 'e': sp->kind = SPEC_EXP; return 2;
    case 'x': sp->kind = SPEC_HEX; return 2;
    default: break;
    }
    size_t i = 1, value = 0;
    bool overflow = false;
    while (i < n && f[i] >= '0' && f[i] <= '9') {
        if (value > (SIZE_MAX - 9) / 10) overflow = true;
        else value = value * 10 + (size_t)(f[i] - '0');
        i++;
    }
    if (i == 1 || i >= n || f[i] != 'e') return 0;
    /* a contract's format must not make the node write megabytes of
     * zeros: past MAX_PRECISION the specifier stays text (foundry would
     * allocate them, or read a count past usize as a plain %e) */
    if (overflow || value > MAX_PRECISION) return 0;
    sp->kind = SPEC_EXP;
    sp->has_precision = true;
    sp->precision = value;
    return i + 1;
}

/* foundry's console_format(fmt, values): the format with its specifiers
 * replaced, then the values left over. */
static void console_format(buf_t *out, const uint8_t *fmt, size_t fl, const arg *vals, size_t nv) {
    size_t used = 0;
    const char *f = (const char *)fmt;
    for (size_t i = 0; i < fl;) {
        if (f[i] != '%') {
            buf_push(out, (uint8_t)f[i++]);
            continue;
        }
        if (i + 1 < fl && f[i + 1] == '%') {
            buf_push(out, '%');
            i += 2;
            continue;
        }
        spec sp;
        size_t k = parse_spec(f + i, fl - i, &sp);
        if (!k) {
            buf_push(out, (uint8_t)f[i++]);
            continue;
        }
        if (used < nv) format_arg(out, &vals[used++], &sp);
        else buf_append(out, f + i, k); /* no value left: the specifier as written */
        i += k;
    }
    bool space = fl != 0;
    for (; used < nv; used++) {
        if (space) buf_push(out, ' ');
        format_arg(out, &vals[used], &(spec){SPEC_STRING, false, 0});
        space = true;
    }
}

bool node_console_format(const node_console *c, const uint8_t *input, size_t len, buf_t *out) {
    if (len < 4) return false;
    const signature *s = NULL;
    for (size_t i = 0; i < c->n && !s; i++)
        if (!memcmp(c->sig[i].selector, input, 4)) s = &c->sig[i];
    arg a[MAX_ARGS];
    if (!s || !decode(s, input + 4, len - 4, a)) return false;
    if (s->n && a[0].type == ARG_STRING) {
        buf_t fmt = {0};
        put_lossy(&fmt, a[0].data, a[0].len);
        console_format(out, fmt.data, fmt.len, a + 1, s->n - 1u);
        buf_free(&fmt);
    } else {
        console_format(out, NULL, 0, a, s->n);
    }
    return true;
}

/* A number as foundry's format_token writes it: decimal, with a hint in
 * exponential notation (4 digits, trailing zeros dropped) from 10000 on. */
static void token_number(buf_t *out, const arg *a) {
    char sign[2], digits[80];
    decimal(a, sign, digits);
    put(out, sign);
    put(out, digits);
    size_t nd = strlen(digits);
    if (nd < 5) return;
    char mant[6] = {0};
    size_t m = 0;
    for (size_t i = 0; i < 4 && i < nd; i++) mant[m++] = digits[i];
    while (m > 1 && mant[m - 1] == '0') mant[--m] = 0;
    char hint[120];
    snprintf(hint, sizeof hint, " [%s%c%s%se%zu]", sign, mant[0], m > 1 ? "." : "", mant + 1, nd - 1);
    put(out, hint);
}

/* A string as Rust's {:?} writes it: quoted, with \", \\, \n, \r, \t, \0
 * and \u{..} for other control characters (C0, DEL, C1). */
static void token_string(buf_t *out, const arg *a) {
    buf_t text = {0};
    put_lossy(&text, a->data, a->len);
    buf_push(out, '"');
    for (size_t i = 0; i < text.len; i++) {
        uint8_t ch = text.data[i];
        char esc[16] = {0};
        if (ch == '"' || ch == '\\') snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (ch == '\r') snprintf(esc, sizeof esc, "\\r");
        else if (ch == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (ch == 0) snprintf(esc, sizeof esc, "\\0");
        else if (ch < 0x20 || ch == 0x7f) snprintf(esc, sizeof esc, "\\u{%x}", ch);
        else if (ch == 0xc2 && i + 1 < text.len && text.data[i + 1] >= 0x80 && text.data[i + 1] <= 0x9f)
            snprintf(esc, sizeof esc, "\\u{%x}", text.data[++i]); /* the C1 controls */
        if (esc[0]) put(out, esc);
        else buf_push(out, ch);
    }
    buf_push(out, '"');
    buf_free(&text);
}

int node_console_trace_args(const node_console *c, const uint8_t *input, size_t len, buf_t *out) {
    if (len < 4) return -1;
    const signature *s = NULL;
    for (size_t i = 0; i < c->n && !s; i++)
        if (!memcmp(c->sig[i].selector, input, 4)) s = &c->sig[i];
    arg a[MAX_ARGS];
    if (!s) return -1;
    if (!decode(s, input + 4, len - 4, a)) return 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i) put(out, ", ");
        switch (a[i].type) {
        case ARG_UINT: case ARG_INT: token_number(out, &a[i]); break;
        case ARG_STRING: token_string(out, &a[i]); break;
        case ARG_BOOL: put(out, u256_is_zero(&a[i].word) ? "false" : "true"); break;
        case ARG_ADDRESS: {
            address addr = u256_to_address(&a[i].word);
            char text[43];
            rpc_address_checksum(&addr, text);
            put(out, text);
            break;
        }
        default: put_hex(out, a[i].data, a[i].len); break;
        }
    }
    return 1;
}

void node_put_lossy(buf_t *out, const uint8_t *p, size_t n) { put_lossy(out, p, n); }

/* ---- Mined blocks ------------------------------------------------------------------- */

static const char CONSOLE_ADDRESS[] = "0x000000000000000000636f6e736f6c652e6c6f67";

/* Appends msg to out as Rust's str::lines() splits it: a line each, ended
 * by '\n', a '\r' before it dropped, no line for the end of the text. */
static void append_lines(buf_t *out, const buf_t *msg) {
    const char *p = (const char *)msg->data, *end = p + msg->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        if (nl && n && p[n - 1] == '\r') n--;
        buf_append(out, p, n); /* a NUL in a message is printed too */
        buf_push(out, '\n');
        p = nl ? nl + 1 : end;
    }
}

/* The lines of the console call with input (if it is one) onto out. */
static void add_call(const node_console *c, const uint8_t *input, size_t len, buf_t *msg, buf_t *out) {
    buf_clear(msg);
    if (node_console_format(c, input, len, msg)) append_lines(out, msg);
}

/* Writes the lines at once: the messages of one block or call are not
 * interleaved with another's (stdio's own lock). As anvil's logger
 * (tracing-subscriber's escaping, against terminal injection): ESC, BEL,
 * BS, FF and DEL are written as \x1b..., the C1 controls U+0080...U+009F
 * as \u{80}... */
void node_print(FILE *f, const buf_t *lines) {
    if (!lines->len) return;
    buf_t out = {0};
    for (size_t i = 0; i < lines->len; i++) {
        uint8_t b = lines->data[i];
        char esc[12];
        if (b == 0x1b || b == 0x07 || b == 0x08 || b == 0x0c || b == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", b);
            put(&out, esc);
        } else if (b == 0xc2 && i + 1 < lines->len && lines->data[i + 1] >= 0x80 && lines->data[i + 1] <= 0x9f) {
            snprintf(esc, sizeof esc, "\\u{%x}", lines->data[++i]);
            put(&out, esc);
        } else {
            buf_push(&out, b);
        }
    }
    flockfile(f);
    fwrite(out.data, 1, out.len, f);
    fflush(f);
    funlockfile(f);
    buf_free(&out);
}

/* The lines of a log (callTracer's {topics, data}) if it is one of
 * ds-test's events. */
static void add_log(const node_console *c, const json_t *log, buf_t *msg, buf_t *out) {
    const json_t *topics = json_object_get(log, "topics");
    bytes32 t0;
    uint8_t *data;
    size_t len;
    const char *first = json_string_value(json_array_get(topics, 0));
    if (!first || !hex_to_fixed(first, t0.b, 32) ||
        !hex_decode_alloc(json_string_value(json_object_get(log, "data")), &data, &len))
        return;
    buf_clear(msg);
    if (node_ds_event_format(c->ds, &t0, json_array_size(topics), data, len, msg)) append_lines(out, msg);
    free(data);
}

typedef struct {
    const node_console *c;
    buf_t *msg, *out;
    int depth;
} frames_walk;

static void add_frames(const node_console *c, const json_t *frame, buf_t *msg, buf_t *out, int depth);

static void walk_log(void *arg, const json_t *log) {
    frames_walk *w = arg;
    add_log(w->c, log, w->msg, w->out);
}

static void walk_call(void *arg, const json_t *call) {
    frames_walk *w = arg;
    add_frames(w->c, call, w->msg, w->out, w->depth + 1);
}

/* The frame's console.log call (if it is one), then its logs and calls in
 * the order they happened (callTracer's log positions), reverted frames
 * included, as anvil's log collector sees them. As anvil, only CALL and
 * STATICCALL reach the console (a DELEGATECALL or CALLCODE to the address
 * runs in the caller's account). */
static void add_frames(const node_console *c, const json_t *frame, buf_t *msg, buf_t *out, int depth) {
    const char *to = json_string_value(json_object_get(frame, "to"));
    const char *input = json_string_value(json_object_get(frame, "input"));
    const char *type = json_string_value(json_object_get(frame, "type"));
    uint8_t *data;
    size_t len;
    if (to && input && type && (!strcmp(type, "CALL") || !strcmp(type, "STATICCALL")) &&
        !strcasecmp(to, CONSOLE_ADDRESS) && hex_decode_alloc(input, &data, &len)) {
        add_call(c, data, len, msg, out);
        free(data);
    }
    if (depth >= 1100) return; /* deeper than any call stack: not a trace */
    frames_walk w = {c, msg, out, depth};
    node_frame_items(frame, walk_log, walk_call, &w);
}

void node_console_print_block(node *n, uint64_t number, const bytes32 *hash) {
    node_read r;
    rpc_error err = {0};
    if (!node_read_open(n, &r, &err)) {
        rpc_error_clear(&err);
        return;
    }
    node_block nb;
    node_state st;
    if (node_open_replay(&r, number, hash, &nb, &st, &err)) {
        block_rules rules = node_rules(n, &nb.b.header);
        trace_config cfg = {.kind = TRACER_CALL, .with_log = true, .revm_frames = true};
        char why[256];
        json_t *traces = nb.b.n_txs ? trace_block(&cfg, st.view, &nb.b, &rules, why, sizeof why) : NULL;
        buf_t msg = {0}, lines = {0}, report = {0};
        size_t i;
        const json_t *t;
        /* as anvil: each transaction's console lines and trace as it runs,
         * then the block's report */
        buf_push(&report, '\n');
        json_array_foreach(traces, i, t) {
            const json_t *top = json_object_get(t, "result");
            if (n->cfg.report && n->cfg.print_traces) node_traces_tree(n->dev->console, rules.fork, top, &lines);
            if (n->cfg.console) add_frames(n->dev->console, top, &msg, &lines, 0);
            node_traces_tx_summary(top, json_string_value(json_object_get(t, "txHash")), &report);
        }
        node_traces_block_summary(nb.b.header.number, &nb.b.header.hash, nb.b.header.timestamp, &report);
        node_print(n->cfg.console ? n->cfg.console : n->cfg.report, &lines);
        if (n->cfg.report) node_print(n->cfg.report, &report);
        buf_free(&msg);
        buf_free(&lines);
        buf_free(&report);
        json_decref(traces);
        node_state_close(&st);
        node_block_free(&nb);
    }
    rpc_error_clear(&err);
    node_read_close(&r);
}

/* ---- Calls -------------------------------------------------------------------------- */

static const address CONSOLE = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0x63, 0x6f, 0x6e, 0x73, 0x6f, 0x6c, 0x65, 0x2e, 0x6c, 0x6f,
                                 0x67}};

static bool is_console(const address *a) { return !memcmp(a->b, CONSOLE.b, 20); }

static bool watch_account(void *ctx, const address *addr, unsigned fields, account_info *out) {
    node_console_watch *w = ctx;
    if (is_console(addr)) w->seen = true;
    return w->inner.ops->get_account(w->inner.ctx, addr, fields, out);
}

static u256 watch_storage(void *ctx, const address *addr, const u256 *key) {
    node_console_watch *w = ctx;
    return w->inner.ops->get_storage(w->inner.ctx, addr, key);
}

static bool watch_has_storage(void *ctx, const address *addr) {
    node_console_watch *w = ctx;
    return w->inner.ops->has_storage(w->inner.ctx, addr);
}

static const evm_code *watch_code(void *ctx, const address *addr) {
    node_console_watch *w = ctx;
    if (is_console(addr)) w->seen = true;
    return w->inner.ops->get_code(w->inner.ctx, addr);
}

static bytes32 watch_block_hash(void *ctx, uint64_t number) {
    node_console_watch *w = ctx;
    return w->inner.ops->get_block_hash(w->inner.ctx, number);
}

static const state_view_ops WATCH_OPS = {watch_account, watch_storage, watch_has_storage, watch_code,
                                         watch_block_hash};

state_view node_console_watch_view(node_console_watch *w, state_view inner) {
    w->inner = inner;
    w->seen = false;
    return (state_view){&WATCH_OPS, w};
}

void node_console_print_call(node_call *c, const transaction *tx, bool console) {
    node *n = c->n;
    if (!n->dev || !n->dev->console || atomic_load(&n->dev->quiet)) return;
    console = console && n->cfg.console;
    bool traces = n->cfg.report && n->cfg.print_traces;
    if (!console && !traces) return;
    trace_config cfg = {.kind = TRACER_CALL, .with_log = true, .revm_frames = true};
    char why[256];
    tx_result res;
    block_env env = node_call_env(c, tx);
    json_t *top = trace_tx_on(&cfg, c->ex, &env, c->view, c->codes, tx, 0, 0, true, &res, why, sizeof why);
    if (!top) return;
    /* as anvil: an eth_call's console lines, then its trace (a mined
     * transaction's trace comes before its lines) */
    buf_t msg = {0}, lines = {0};
    if (console) {
        add_frames(n->dev->console, top, &msg, &lines, 0);
        node_print(n->cfg.console, &lines);
        buf_clear(&lines);
    }
    if (traces) {
        node_traces_tree(n->dev->console, c->env.fork, top, &lines);
        node_print(n->cfg.report, &lines);
    }
    buf_free(&msg);
    buf_free(&lines);
    json_decref(top);
}
