/* parevm run: runs EVM code as one message, as geth's `evm run` does: the
 * code sits at the receiver and is called with the input (or, with
 * --create, code + input is init code), with no transaction around it (no
 * intrinsic gas, no fee). Prints the output as 0x-hex and, when the message
 * failed, " error: REASON" on the next line (geth's wording); --trace
 * writes the EIP-3155 trace on stderr instead. --bench repeats the run and
 * reports the median time; --dump prints the state afterwards.
 *
 * Exit status: 0 when the code ran (whatever its outcome), 2 on bad
 * arguments or files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain.h"
#include "parevm/chain_import.h"
#include "parevm/exec.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rpc_codec.h"
#include "parevm/state_root.h"
#include "trace.h"

static int usage(void) {
    fprintf(stderr,
            "usage: parevm run [options] [CODE]\n"
            "  runs CODE (hex) at the receiver as a call with --input as call data, as geth's\n"
            "  evm run: no transaction around it (no intrinsic gas, no fee); prints the output\n"
            "  as 0x-hex, then \" error: REASON\" when the call failed\n"
            "  --codefile F     the code as hex in file F (\"-\": stdin) instead of CODE\n"
            "  --input HEX, --inputfile F   call data (default none)\n"
            "  --create         run CODE + input as init code: a creation from the sender\n"
            "  --gas N          gas for the message (default 10000000000, at most 2^63 - 1)\n"
            "  --value WEI      value sent (the sender's balance must cover it)\n"
            "  --price WEI      GASPRICE (nothing is charged)\n"
            "  --sender ADDR    origin and caller (default 0x...73656e646572, \"sender\")\n"
            "  --receiver ADDR  where the code runs (default 0x...7265636569766572, \"receiver\")\n"
            "  --prestate FILE  a geth genesis file: its alloc is the state, its header fields\n"
            "                   (number, timestamp, coinbase, difficulty, mixHash, baseFeePerGas,\n"
            "                   gasLimit, excessBlobGas) the block, its config (if any) the fork\n"
            "  --fork NAME      the rules (default Osaka, or the prestate's fork at its block)\n"
            "  --trace, --json  EIP-3155 trace on stderr (also --trace.format=json, --trace.memory,\n"
            "                   --trace.nostack, --trace.returndata); the output is in its last line\n"
            "  --bench          run repeatedly (at least 3 times and 0.5 s) and report the median\n"
            "  --statdump       gas used and time on stderr\n"
            "  --dump           the state afterwards on stdout, as geth dumps it: {\"root\", \"accounts\"}\n"
            "  Block defaults: number 0, timestamp 0, coinbase 0, GASLIMIT = --gas, base fee 1 gwei,\n"
            "  chain id 1; BLOCKHASH(n) is keccak256 of n in decimal.\n");
    return 2;
}

typedef struct {
    const char *code_hex, *code_file, *input_hex, *input_file, *prestate, *fork;
    exec_message_args msg;
    bool has_sender, has_receiver, trace, bench, statdump, dump;
    json_trace_opts trace_opts;
} run_opts;

static bool fail(const char *fmt, const char *what) {
    fprintf(stderr, "parevm run: ");
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    return false;
}

static bool parse_address(const char *v, address *out, const char *flag) {
    if (!hex_to_fixed(v, out->b, 20)) return fail("%s: not an address (at most 40 hex digits)", flag);
    return true;
}

static bool parse_options(int argc, char **argv, run_opts *o) {
    memset(o, 0, sizeof *o);
    o->msg.gas = 10000000000LL;
    o->msg.has_to = true;
    for (int i = 1; i < argc; i++) {
        const char *v;
        bool ok = true;
        if (json_trace_option(argv[i], &o->trace_opts, &ok)) {
            if (!ok) return fail("%s: true or false", argv[i]);
            o->trace = true;
        } else if (json_trace_geth_option(argc, argv, &i, &o->trace_opts, &ok)) {
            if (!ok) return fail("%s: only json traces are written; flags take true or false", argv[i]);
        } else if ((v = cli_option_value(argc, argv, &i, "--codefile"))) {
            o->code_file = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--input"))) {
            o->input_hex = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--inputfile"))) {
            o->input_file = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--prestate"))) {
            o->prestate = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--fork")) || (v = cli_option_value(argc, argv, &i, "--state.fork"))) {
            o->fork = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--gas"))) {
            uint64_t g;
            if (!hex_parse_u64(v, &g) || !*v || g > (uint64_t)INT64_MAX)
                return fail("--gas %s: a whole number up to 2^63 - 1", v);
            o->msg.gas = (int64_t)g;
        } else if ((v = cli_option_value(argc, argv, &i, "--value"))) {
            if (!*v || !hex_parse_u256(v, &o->msg.value)) return fail("--value %s: a number of wei", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--price"))) {
            if (!*v || !hex_parse_u256(v, &o->msg.gas_price)) return fail("--price %s: a number of wei", v);
        } else if ((v = cli_option_value(argc, argv, &i, "--sender"))) {
            if (!parse_address(v, &o->msg.sender, "--sender")) return false;
            o->has_sender = true;
        } else if ((v = cli_option_value(argc, argv, &i, "--receiver"))) {
            if (!parse_address(v, &o->msg.to, "--receiver")) return false;
            o->has_receiver = true;
        } else if (!strcmp(argv[i], "--create")) {
            o->msg.has_to = false;
        } else if (!strcmp(argv[i], "--trace") || !strcmp(argv[i], "--json")) {
            o->trace = true;
        } else if (!strcmp(argv[i], "--bench")) {
            o->bench = true;
        } else if (!strcmp(argv[i], "--statdump")) {
            o->statdump = true;
        } else if (!strcmp(argv[i], "--dump")) {
            o->dump = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            return false; /* the usage alone */
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return fail("unknown option %s", argv[i]);
        } else if (!o->code_hex) {
            o->code_hex = argv[i];
        } else {
            return fail("more than one CODE argument (%s)", argv[i]);
        }
    }
    /* geth's defaults: the addresses spelling "sender" and "receiver" */
    if (!o->has_sender) memcpy(o->msg.sender.b + 14, "sender", 6);
    if (!o->has_receiver) memcpy(o->msg.to.b + 12, "receiver", 8);
    if (o->bench && o->trace) return fail("%s", "--bench and --trace do not go together");
    return true;
}

/* ---- inputs ---- */

#define MAX_TEXT ((size_t)256 << 20)

/* The whole of a regular file, or of stdin for "-", NUL-terminated. */
static char *read_text(const char *path, const char *flag) {
    FILE *f = stdin;
    if (strcmp(path, "-")) {
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode) || !(f = fopen(path, "rb"))) {
            fprintf(stderr, "parevm run: %s %s: cannot open (not a readable regular file)\n", flag, path);
            return NULL;
        }
    }
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    if (!text) abort();
    size_t n;
    while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            if (cap >= MAX_TEXT) {
                fprintf(stderr, "parevm run: %s %s: larger than %zu MiB\n", flag, path, MAX_TEXT >> 20);
                free(text);
                text = NULL;
                break;
            }
            cap *= 2;
            if (!(text = realloc(text, cap))) abort();
        }
    }
    if (f != stdin) fclose(f);
    if (text) text[len] = 0;
    return text;
}

/* Hex with or without 0x, surrounding white space ignored, an even number
 * of digits (geth's rule). *out is malloc'd. */
static bool parse_hex_text(const char *text, const char *what, uint8_t **out, size_t *len) {
    while (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r') text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t' || text[n - 1] == '\r')) n--;
    if (n >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text += 2, n -= 2;
    char *digits = strndup(text, n);
    if (!digits) abort();
    bool ok = n % 2 == 0 && hex_decode_alloc(digits, out, len);
    free(digits);
    if (!ok) fprintf(stderr, "parevm run: %s: not hex of whole bytes\n", what);
    return ok;
}

/* CODE, --codefile or nothing; the input from --input or --inputfile. */
static bool read_bytes(const char *hex, const char *file, const char *what, uint8_t **out, size_t *len) {
    *out = NULL;
    *len = 0;
    if (file) {
        char *text = read_text(file, what);
        if (!text) return false;
        bool ok = parse_hex_text(text, what, out, len);
        free(text);
        return ok;
    }
    return hex ? parse_hex_text(hex, what, out, len) : true;
}

/* The state and the block: --prestate's genesis, or an empty state and
 * the defaults. */
static bool load_world(const run_opts *o, mem_state *s, block_env *env) {
    *env = (block_env){.fork = FORK_OSAKA, .gas_limit = (uint64_t)o->msg.gas, .chain_id = 1,
                       .base_fee = u256_from_u64(1000000000)};
    chain_config cfg;
    bool has_cfg = false;
    if (o->prestate) {
        json_error_t je;
        char *text = read_text(o->prestate, "--prestate");
        if (!text) return false;
        json_t *g = json_loads(text, 0, &je);
        free(text);
        if (!g) {
            fprintf(stderr, "parevm run: --prestate %s: invalid JSON: %s\n", o->prestate, je.text);
            return false;
        }
        /* without a config, as geth: every fork (the default fork stays) */
        has_cfg = json_object_get(g, "config") != NULL;
        if (!has_cfg) json_object_set_new(g, "config", json_pack("{s:i}", "chainId", 1));
        /* a genesis is block 0; here the block may be any */
        uint64_t number = 0;
        json_t *nv = json_object_get(g, "number");
        bool ok = !nv || json_is_null(nv) || json_value_u64(nv, &number);
        json_object_del(g, "number");
        chain_genesis gen;
        char err[256] = "field \"number\" is not a quantity";
        ok = ok && chain_genesis_from_json(g, mem_state_codes(s), &gen, err, sizeof err);
        json_decref(g);
        if (!ok) {
            fprintf(stderr, "parevm run: --prestate %s: %s\n", o->prestate, err);
            return false;
        }
        gen.number = number;
        mem_state_apply(s, &gen.alloc);
        cfg = gen.config;
        env->number = gen.number;
        env->timestamp = gen.timestamp;
        env->coinbase = gen.coinbase;
        if (gen.gas_limit) env->gas_limit = gen.gas_limit;
        if (gen.has_base_fee) env->base_fee = gen.base_fee;
        env->chain_id = cfg.chain_id;
        bool merged = !has_cfg || chain_reached(cfg.paris_block, gen.number);
        env->prevrandao = merged ? u256_from_bytes32(&gen.mix_hash) : gen.difficulty;
        env->excess_blob_gas = gen.has_excess_blob_gas ? gen.excess_blob_gas : 0;
        if (has_cfg) env->fork = chain_fork_at(&cfg, gen.number, gen.timestamp, merged);
        chain_genesis_free(&gen);
    }
    if (o->fork && !fork_from_name(o->fork, &env->fork)) {
        fprintf(stderr, "parevm run: --fork %s: unknown fork\n", o->fork);
        return false;
    }
    if (env->fork >= FORK_CANCUN) {
        /* the prestate's schedule, else that of a chain with the fork at genesis */
        blob_params p = has_cfg ? chain_blob_params(&cfg, env->timestamp) : (blob_params){0};
        if (!p.update_fraction && chain_config_by_name(fork_name(env->fork), &cfg))
            p = chain_blob_params(&cfg, env->timestamp);
        block_env_set_blob_params(env, &p);
    }
    return true;
}

/* ---- output ---- */

/* geth's text for how a message failed (core/vm/errors.go), without the
 * details some of them carry there (the opcode, the stack depth). */
static const char *geth_error(evm_status s) {
    switch (s) {
    case EVM_REVERT: return "execution reverted";
    case EVM_OUT_OF_GAS: return "out of gas";
    case EVM_UNDEFINED_INSTRUCTION:
    case EVM_INVALID_INSTRUCTION: return "invalid opcode";
    case EVM_STACK_UNDERFLOW: return "stack underflow";
    case EVM_STACK_OVERFLOW: return "stack limit reached";
    case EVM_BAD_JUMP_DESTINATION: return "invalid jump destination";
    case EVM_INVALID_MEMORY_ACCESS: return "return data out of bounds";
    case EVM_STATIC_MODE_VIOLATION: return "write protection";
    case EVM_CREATE_COLLISION: return "contract address collision";
    case EVM_CONTRACT_VALIDATION_FAILURE: return "contract validation failed (code size or 0xef prefix)";
    case EVM_INITCODE_SIZE_EXCEEDED: return "max initcode size exceeded";
    case EVM_CALL_DEPTH_EXCEEDED: return "max call depth exceeded";
    case EVM_INSUFFICIENT_BALANCE: return "insufficient balance for transfer";
    case EVM_NONCE_OVERFLOW: return "nonce uint64 overflow";
    default: return evm_status_name(s);
    }
}

static void print_hex_line(const uint8_t *p, size_t n) {
    char *hex = malloc(2 * n + 3);
    if (!hex) abort();
    hex_encode(p, n, hex);
    puts(hex);
    free(hex);
}

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_time(FILE *f, const char *label, double s) {
    if (s < 1e-3) fprintf(f, "%s%.3fus\n", label, s * 1e6);
    else if (s < 1) fprintf(f, "%s%.3fms\n", label, s * 1e3);
    else fprintf(f, "%s%.3fs\n", label, s);
}

static int cmp_str(const void *a, const void *b);

/* ---- --dump: geth's state dump (core/state/dump.go) ---- */

typedef struct {
    mem_state *s;
    json_t *accounts;
} dump_walk;

typedef struct {
    u256 key, value;
} dump_slot;

typedef struct {
    dump_slot *v;
    size_t n, cap;
} dump_slots;

static bool collect_slot(void *arg, const u256 *key, const u256 *value) {
    dump_slots *l = arg;
    if (u256_is_zero(value)) return true;
    if (l->n == l->cap && !(l->v = realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 16) * sizeof *l->v))) abort();
    l->v[l->n++] = (dump_slot){*key, *value};
    return true;
}

static int cmp_slot(const void *a, const void *b) {
    const dump_slot *x = a, *y = b;
    return u256_lt(&x->key, &y->key) ? -1 : u256_lt(&y->key, &x->key);
}

/* The storage as geth dumps it: slot (32-byte hex) -> value (hex, no 0x,
 * no leading zero bytes), in slot order; NULL when empty. */
static json_t *dump_storage(mem_state *s, const address *addr) {
    dump_slots l = {0};
    mem_state_each_slot(s, addr, collect_slot, &l);
    if (!l.n) return NULL;
    qsort(l.v, l.n, sizeof *l.v, cmp_slot);
    json_t *o = json_object();
    for (size_t i = 0; i < l.n; i++) {
        bytes32 k, v;
        u256_to_be(&l.v[i].key, k.b);
        u256_to_be(&l.v[i].value, v.b);
        size_t z = 0;
        while (z < 31 && !v.b[z]) z++;
        char kh[67], vh[67];
        hex_encode(k.b, 32, kh);
        hex_encode(v.b + z, 32 - z, vh);
        json_object_set_new(o, kh, json_string(vh + 2));
    }
    free(l.v);
    return o;
}

static bool dump_account(void *arg, const mem_account_ref *a) {
    dump_walk *w = arg;
    json_t *o = json_object();
    char dec[80], ah[43];
    u256_to_dec(a->balance, dec);
    json_object_set_new(o, "balance", json_string(dec));
    json_object_set_new(o, "nonce", json_integer((json_int_t)a->nonce));
    bytes32 root = mem_state_storage_root(w->s, a->addr);
    json_object_set_new(o, "root", rpc_json_hash(&root));
    bool has_code = a->code && a->code->len;
    bytes32 code_hash = has_code ? a->code->hash : EMPTY_CODE_HASH;
    json_object_set_new(o, "codeHash", rpc_json_hash(&code_hash));
    if (has_code) json_object_set_new(o, "code", rpc_json_data(a->code->bytes, a->code->len));
    json_t *storage = dump_storage(w->s, a->addr);
    if (storage) json_object_set_new(o, "storage", storage);
    hex_encode(a->addr->b, 20, ah);
    json_object_set_new(o, "address", json_string(ah));
    bytes32 key = keccak256_hash(a->addr->b, 20);
    json_object_set_new(o, "key", rpc_json_hash(&key));
    json_object_set_new(w->accounts, ah, o);
    return true;
}

/* {"root" (hex without 0x, as geth writes it), "accounts": {address:
 * {balance (decimal), nonce, root, codeHash, code, storage, address, key}}}
 * with the accounts in address order. */
static json_t *dump_json(mem_state *s) {
    json_t *d = json_object();
    bytes32 root = mem_state_root(s);
    char rh[67];
    hex_encode(root.b, 32, rh);
    json_object_set_new(d, "root", json_string(rh + 2));
    dump_walk w = {s, json_object()};
    mem_state_each_account(s, dump_account, &w);
    /* sorted by address, as geth's map is marshalled */
    json_t *sorted = json_object();
    const char **keys = malloc((json_object_size(w.accounts) + 1) * sizeof *keys);
    if (!keys) abort();
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(w.accounts, k, v) keys[n++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 0; i < n; i++) json_object_set(sorted, keys[i], json_object_get(w.accounts, keys[i]));
    free(keys);
    json_decref(w.accounts);
    json_object_set_new(d, "accounts", sorted);
    return d;
}

/* ---- the run ---- */

typedef struct {
    run_opts o;
    uint8_t *code, *input;
    size_t code_len, input_len;
} run_job;

#define BENCH_MAX_RUNS 100000

static int run_main(void *p) {
    run_job *j = p;
    run_opts *o = &j->o;
    mem_state *s = mem_state_new();
    executor *ex = executor_new();
    block_env env;
    int rc = 2;
    uint8_t *initcode = NULL;
    double *times = NULL;
    if (!load_world(o, s, &env)) goto out;
    if (o->msg.has_to) {
        if (j->code_len) { /* the code replaces the receiver's; the rest stays, as geth's */
            change_set cs = {0};
            account_change *ac = change_set_add_account(&cs, &o->msg.to);
            ac->flags = CHANGE_CODE | CHANGE_TOUCHED;
            ac->code = code_store_intern(mem_state_codes(s), j->code, j->code_len);
            mem_state_apply(s, &cs);
            change_set_free(&cs);
        }
        o->msg.input = j->input;
        o->msg.input_len = j->input_len;
    } else {
        initcode = malloc(j->code_len + j->input_len + 1);
        if (!initcode) abort();
        if (j->code_len) memcpy(initcode, j->code, j->code_len);
        if (j->input_len) memcpy(initcode + j->code_len, j->input, j->input_len);
        o->msg.input = initcode;
        o->msg.input_len = j->code_len + j->input_len;
    }
    hash_override ho = {mem_state_view(s), decimal_block_hash, NULL};
    state_view view = hash_override_view(&ho);
    json_tracer tracer;
    if (o->trace) {
        setvbuf(stderr, NULL, _IOFBF, 1 << 16); /* flushed at exit: a trace line is a dozen writes */
        json_tracer_init(&tracer, stderr);
        tracer.opts = o->trace_opts;
        executor_set_tracer(ex, &tracer.base);
    }
    evm_result r;
    int runs = 0;
    double total = 0;
    times = malloc(BENCH_MAX_RUNS * sizeof *times);
    if (!times) abort();
    do {
        double t0 = now_sec();
        if (!exec_message(ex, &env, view, mem_state_codes(s), &o->msg, &r)) {
            fprintf(stderr, "parevm run: the code needs more EVM memory than the engine holds (4 GiB)\n");
            goto out;
        }
        times[runs++] = now_sec() - t0;
        total += times[runs - 1];
    } while (o->bench && runs < BENCH_MAX_RUNS && (runs < 3 || total < 0.5));
    uint64_t gas_used = (uint64_t)(o->msg.gas - r.gas_left);
    const char *error = r.status == EVM_SUCCESS ? NULL : geth_error(r.status);
    if (o->trace) json_tracer_summary(&tracer, r.output, r.output_size, gas_used, error);
    if (o->dump) { /* before the output, as geth */
        mem_state_apply(s, executor_changes(ex));
        json_t *d = dump_json(s);
        json_dumpf(d, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(d);
    }
    if (!o->trace) {
        print_hex_line(r.output, r.output_size);
        if (error) printf(" error: %s\n", error);
    }
    if (!o->msg.has_to && r.status == EVM_SUCCESS && !o->trace) {
        char hex[43];
        hex_encode(r.create_address.b, 20, hex);
        fprintf(stderr, "contract address: %s\n", hex);
    }
    if (o->bench || o->statdump) {
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        fprintf(stderr, "EVM gas used:    %llu\n", (unsigned long long)gas_used);
        print_time(stderr, "execution time:  ", times[runs / 2]);
        if (o->bench) {
            fprintf(stderr, "runs:            %d\n", runs);
            double t = times[runs / 2];
            if (t > 0) fprintf(stderr, "Mgas/s:          %.1f\n", (double)gas_used / t / 1e6);
        }
    }
    rc = 0;
out:
    free(times);
    free(initcode);
    executor_free(ex);
    mem_state_free(s);
    return rc;
}

int cmd_run(int argc, char **argv) {
    run_job j = {0};
    if (!parse_options(argc, argv, &j.o)) return usage();
    int rc = 2;
    const char *code_what = j.o.code_file ? "--codefile" : "CODE";
    if (j.o.code_file && j.o.code_hex) {
        fprintf(stderr, "parevm run: CODE and --codefile both given\n");
    } else if (j.o.input_file && j.o.input_hex) {
        fprintf(stderr, "parevm run: --input and --inputfile both given\n");
    } else if (read_bytes(j.o.code_hex, j.o.code_file, code_what, &j.code, &j.code_len) &&
               read_bytes(j.o.input_hex, j.o.input_file, j.o.input_file ? "--inputfile" : "--input", &j.input,
                          &j.input_len)) {
        rc = run_on_big_stack(run_main, &j);
    }
    free(j.code);
    free(j.input);
    return rc;
}
