/* libFuzzer target: the JSON fixture loaders and runners of the CLI. The
 * first byte picks the command (statetest, blocktest, txtest,
 * difficultytest, the mainnet block loader, stateless or t8n; from 0xf0 t9n,
 * b11r, run or enginetest); the rest is the file. For the mainnet loader a NUL byte splits block.json from
 * pre_state.json; for stateless the witness JSON from the block's RLP (bytes
 * or hex), run under Cancun's rules. For t8n it is one object {alloc, env,
 * txs} (env's "fork" names the fork), for b11r one object {header, txs,
 * ommers, withdrawals}, for run a fork byte and the code.
 * Whatever the bytes, the command must return a status (the run itself may
 * fail) without crashing, leaking or tripping a sanitizer. Run it with
 * -close_fd_mask=1: the commands print their FAIL lines to stdout.
 *
 * Gas is bounded so that every input runs quickly: a statetest whose
 * transaction or environment asks for more than 10M gas is skipped. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "mainnet_fixture.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "/tmp/fuzz_fixtures.%d", (int)getpid());
    mkdir(dir, 0700);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/engine", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/pre_alloc", dir);
    mkdir(sub, 0700);
    return 0;
}

static bool write_file(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Writes data up to its first NUL to dir/first and the rest (empty without
 * a NUL) to dir/second; their paths go to pa and pb (128 bytes each). */
static bool write_split(const uint8_t *data, size_t size, const char *first, const char *second, char *pa,
                        char *pb) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    snprintf(pa, 128, "%s/%s", dir, first);
    snprintf(pb, 128, "%s/%s", dir, second);
    return write_file(pa, data, n) && write_file(pb, nul ? nul + 1 : data, nul ? size - n - 1 : 0);
}

/* Whether any "gasLimit" or "currentGasLimit" in v is above 10M. */
static bool too_much_gas(json_t *v, int depth) {
    if (depth > 64) return true;
    const char *k;
    json_t *c;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, c) {
            if (!strcmp(k, "gasLimit") || !strcmp(k, "currentGasLimit")) {
                json_t *e;
                if (json_is_string(c) && strtoull(json_string_value(c), NULL, 0) > 10000000) return true;
                if (json_is_string(c) && strlen(json_string_value(c)) > 10) return true;
                json_array_foreach(c, i, e) if (!json_is_string(e) || strlen(json_string_value(e)) > 8) return true;
            }
            if (too_much_gas(c, depth + 1)) return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) if (too_much_gas(c, depth + 1)) return true;
    }
    return false;
}

/* t8n: the input is one object {alloc, env, txs}; each part goes to its
 * file (txs as a .rlp file when it is a string), the fork is env's "fork"
 * (London when absent). Exit codes: 0, geth's error codes, or 2 (usage). */
static int run_t8n(const uint8_t *data, size_t size) {
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(in) || too_much_gas(in, 0)) {
        json_decref(in);
        return 0;
    }
    json_t *txs = json_object_get(in, "txs"), *env = json_object_get(in, "env");
    const char *fork = json_string_value(json_object_get(env, "fork"));
    char fork_buf[64], a[160], e[160], t[160];
    snprintf(fork_buf, sizeof fork_buf, "%s", fork ? fork : "London");
    snprintf(a, sizeof a, "%s/alloc.json", dir);
    snprintf(e, sizeof e, "%s/env.json", dir);
    snprintf(t, sizeof t, "%s/%s", dir, json_is_string(txs) ? "txs.rlp" : "txs.json");
    bool ok = json_dump_file(json_object_get(in, "alloc"), a, JSON_ENCODE_ANY) == 0 &&
              json_dump_file(env ? env : json_null(), e, JSON_ENCODE_ANY) == 0 &&
              json_dump_file(txs ? txs : json_null(), t, JSON_ENCODE_ANY) == 0;
    json_decref(in);
    if (!ok) return 0;
    char *argv[] = {"t8n", "--input.alloc", a, "--input.env", e, "--input.txs", t, "--output.basedir", dir,
                    "--output.alloc", "out-alloc.json", "--output.body", "out-body.json", "--state.fork", fork_buf,
                    NULL};
    int status = cmd_t8n(15, argv);
    if (status != 0 && status != 2 && status != 3 && status != 4 && status != 10 && status != 11 && status != 12)
        abort();
    return 0;
}

/* t9n: the bytes are the .rlp file (a JSON hex string, or anything). */
static int run_t9n(const uint8_t *data, size_t size) {
    char path[160];
    snprintf(path, sizeof path, "%s/txs.rlp", dir);
    if (!write_file(path, data, size)) return 0;
    char *argv[] = {"t9n", "--input.txs", path, "--state.fork", "Prague", NULL};
    int status = cmd_t9n(5, argv);
    if (status != 0 && status != 2 && status != 3 && status != 10 && status != 11) abort();
    return 0;
}

/* b11r: the bytes are stdin's object {header, txs, ommers, withdrawals},
 * given as one file to each input. */
static int run_b11r(const uint8_t *data, size_t size) {
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(in)) {
        json_decref(in);
        return 0;
    }
    char h[160], t[160], o[160], w[160];
    snprintf(h, sizeof h, "%s/header.json", dir);
    snprintf(t, sizeof t, "%s/txs.rlp", dir);
    snprintf(o, sizeof o, "%s/ommers.json", dir);
    snprintf(w, sizeof w, "%s/withdrawals.json", dir);
    json_t *nul = json_null(), *v;
    bool ok = json_dump_file((v = json_object_get(in, "header")) ? v : nul, h, JSON_ENCODE_ANY) == 0 &&
              json_dump_file((v = json_object_get(in, "txs")) ? v : nul, t, JSON_ENCODE_ANY) == 0 &&
              json_dump_file((v = json_object_get(in, "ommers")) ? v : nul, o, JSON_ENCODE_ANY) == 0 &&
              json_dump_file((v = json_object_get(in, "withdrawals")) ? v : nul, w, JSON_ENCODE_ANY) == 0;
    json_decref(in);
    if (!ok) return 0;
    char *argv[] = {"b11r", "--input.header", h, "--input.txs", t, "--input.ommers", o, "--input.withdrawals", w,
                    "--output.basedir", dir, NULL};
    int status = cmd_b11r(11, argv);
    if (status != 0 && status != 2 && status != 3 && status != 10 && status != 11 && status != 12) abort();
    return 0;
}

/* enginetest: the bytes up to a NUL are the test file (in a folder one
 * below dir), the rest the engine_x group file pre_alloc/0x00.json beside
 * that folder (a test whose preHash is "0x00" finds it). Each test opens a
 * node on a fresh store. */
static int run_enginetest(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    json_t *j = json_loadb((const char *)data, n, 0, NULL);
    bool skip = !j || too_much_gas(j, 0);
    json_decref(j);
    if (skip) return 0;
    char t[160], g[160];
    snprintf(t, sizeof t, "%s/engine/t.json", dir);
    snprintf(g, sizeof g, "%s/pre_alloc/0x00.json", dir);
    if (!write_file(t, data, n) || !write_file(g, nul ? nul + 1 : data, nul ? size - n - 1 : 0)) return 0;
    char *argv[] = {"enginetest", "--threads", "1", t, NULL};
    int status = cmd_enginetest(4, argv);
    if (status < 0 || status > 2) abort();
    return 0;
}

/* run: the first byte picks the fork (and bit 7 a creation), the rest is
 * the code, handed over as a hex file. */
static int run_run(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    static const char *const forks[] = {"Frontier", "Homestead", "Byzantium", "Istanbul",
                                        "Berlin",   "London",    "Cancun",    "Osaka"};
    const char *fork = forks[data[0] % 8];
    bool create = data[0] & 0x80;
    char path[160], hex[2 * 4096 + 1];
    for (size_t i = 1; i < size; i++) snprintf(hex + 2 * (i - 1), 3, "%02x", data[i]);
    hex[2 * (size - 1)] = 0;
    snprintf(path, sizeof path, "%s/code.hex", dir);
    if (!write_file(path, (const uint8_t *)hex, strlen(hex))) return 0;
    char *argv[] = {"run", "--codefile", path, "--gas", "1000000", "--fork", (char *)fork, "--dump",
                    create ? "--create" : "--statdump", NULL};
    if (cmd_run(9, argv) != 0) abort(); /* a run always has an outcome */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    /* a first byte from 0xf0 picks t9n, b11r, run or enginetest; below,
     * the older modes keep their bytes */
    int mode = data[0] >= 0xf0 ? 7 + (data[0] & 0x0f) % 4 : data[0] % 7;
    data++, size--;
    if (mode == 10) return run_enginetest(data, size);
    if (mode == 7) return run_t9n(data, size);
    if (mode == 8) return run_b11r(data, size);
    if (mode == 9) return run_run(data, size);
    char path[128], p2[128];
    if (mode == 4) {
        if (!write_split(data, size, "block.json", "pre_state.json", path, p2)) return 0;
        mainnet_block mb;
        char err[600];
        if (mainnet_block_load(dir, &mb, err, sizeof err)) {
            if (mb.blk.header.gas_limit <= 10000000) (void)mainnet_block_recover_senders(&mb, true, err, sizeof err);
            mainnet_block_free(&mb);
        } else if (!err[0]) {
            abort(); /* every failure says why */
        }
        return 0;
    }
    if (mode == 5) {
        if (!write_split(data, size, "witness.json", "block.rlp", path, p2)) return 0;
        char *argv[] = {"stateless", "--chain", "Cancun", path, p2, NULL};
        int status = cmd_stateless(5, argv);
        if (status < 0 || status > 2) abort();
        return 0;
    }
    if (mode == 6) return run_t8n(data, size);
    snprintf(path, sizeof path, "%s/t.json", dir);
    if (mode == 0) {
        json_t *j = json_loadb((const char *)data, size, 0, NULL);
        bool skip = j && too_much_gas(j, 0);
        json_decref(j);
        if (skip) return 0;
    }
    if (!write_file(path, data, size)) return 0;
    static char *const cmds[] = {"statetest", "blocktest", "txtest", "difficultytest"};
    char *argv[] = {cmds[mode], path, NULL};
    int (*const fns[])(int, char **) = {cmd_statetest, cmd_blocktest, cmd_txtest, cmd_difficultytest};
    int status = fns[mode](2, argv);
    if (status < 0 || status > 2) abort();
    return 0;
}
