/* Helpers shared by the CLI commands: collecting fixture files, reading hex
 * fields out of fixture JSON with errors that name the field, and running
 * work on a thread with a stack deep enough for 1024 nested EVM calls. */
#ifndef PAREVM_CLI_UTIL_H
#define PAREVM_CLI_UTIL_H

#include <jansson.h>
#include <regex.h>
#include "parevm/block.h"
#include "parevm/state.h"
#include "parevm/u256.h"

/* ---- fixture files ---- */

typedef struct {
    char **v;
    size_t n, cap;
} path_list;

/* Adds path if it is a regular file, or every *.json below it (recursively)
 * if it is a folder. Prints an error naming path and returns false if it
 * cannot be read or is something else (a FIFO, a device). cmd is the
 * command name for messages. */
bool path_list_collect(path_list *l, const char *cmd, const char *path);
/* Sorts the paths so runs are reproducible. */
void path_list_sort(path_list *l);
void path_list_free(path_list *l);

/* ---- fixture runners (statetest, blocktest, txtest...) ---- */

/* The common part of the commands that run ethereum/tests fixture files:
 * --run REGEX filtering, file discovery, loading each file as a JSON object
 * of tests, FAIL lines and the closing "N passed, N failed" line. */
typedef struct fixture_run {
    const char *cmd;
    regex_t filter;
    bool has_filter, paths_ok;
    bool has_paths; /* a PATH was given (it may hold no fixture file) */
    bool nested; /* tests sit deeper than the top level: run_test applies --run */
    int passed, failed, skipped;
    path_list files;
    /* runs one test (name, its JSON object) of file */
    void (*run_test)(struct fixture_run *r, const char *file, const char *name, json_t *test);
} fixture_run;

/* Handles argv[*i] if it is --run REGEX or a PATH: returns 1 (consumed,
 * *i advanced past it), 0 (another option: the command's), or -1 after
 * printing an error. */
int fixture_run_option(fixture_run *r, int argc, char **argv, int *i);
/* Whether test `name` passes the --run filter. */
bool fixture_run_wants(const fixture_run *r, const char *name);
/* Prints "FAIL file test: <message>" and counts a failure. */
void fixture_run_fail(fixture_run *r, const char *file, const char *test, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Runs every file (on a big stack), prints the summary, frees the run.
 * Returns the exit status (1 if any test failed, a path was bad, or no test
 * ran at all), or -1 if no path was given (print usage). */
int fixture_run_all(fixture_run *r);
/* Batch mode, as geth's evm statetest without a path: reads paths from
 * stdin, one per line, until its end or an empty line, and runs each in
 * turn as if given alone, its results and summary line flushed before the
 * next path is read (a driving process waits for them). Frees the run.
 * Returns 0, 1 (a test failed or a path was bad) or -1 (no path read). */
int fixture_run_stdin(fixture_run *r);
/* Frees what the options collected (for a command that stops early). */
void fixture_run_free(fixture_run *r);

/* ---- fixture JSON fields ---- */

/* A JSON file's value (json_decref it), or NULL with "PATH: why" in err: it
 * cannot be read, or where its JSON breaks. Integers beyond 2^63 - 1 (geth
 * writes big numbers such as terminalTotalDifficulty bare) come back as
 * decimal strings, which the genesis readers take. */
json_t *cli_json_load(const char *path, char *err, size_t errlen);

/* Each reads obj[field] into out with the rules of geth's JSON types
 * (parevm/hex.h): quantities are "0x"-hex or decimal strings (or JSON
 * integers), "" being 0; addresses and hashes are exactly 20 or 32 bytes of
 * hex; byte data is "" or "0x" and whole bytes. On failure they write
 * "field \"NAME\" is missing / is not ..." into err and return false. */
bool json_hex_u256(json_t *obj, const char *field, u256 *out, char *err, size_t errlen);
bool json_hex_u64(json_t *obj, const char *field, uint64_t *out, char *err, size_t errlen);
bool json_hex_address(json_t *obj, const char *field, address *out, char *err, size_t errlen);
bool json_hex_bytes32(json_t *obj, const char *field, bytes32 *out, char *err, size_t errlen);
/* Allocates *out (free it); "" and "0x" are empty. */
bool json_hex_bytes(json_t *obj, const char *field, uint8_t **out, size_t *len, char *err, size_t errlen);
/* Same for a JSON value that is itself the string (array elements). */
/* The same for an optional field: absent or null leaves *present false
 * (and out as it was) and succeeds. */
bool json_opt_u256(json_t *obj, const char *field, u256 *out, bool *present, char *err, size_t errlen);
bool json_opt_u64(json_t *obj, const char *field, uint64_t *out, bool *present, char *err, size_t errlen);
bool json_opt_bytes32(json_t *obj, const char *field, bytes32 *out, bool *present, char *err, size_t errlen);
bool json_value_u256(json_t *v, u256 *out);
bool json_value_u64(json_t *v, uint64_t *out);
bool json_value_bytes(json_t *v, uint8_t **out, size_t *len);

/* Loads a state-test style "pre" object ({address: {balance, nonce, code,
 * storage}}, as geth's genesis alloc: balance required, the rest optional;
 * storage keys and values are strings of at most 32 bytes of hex) into s.
 * On failure names the account and field in err. */
struct mem_state;
bool json_load_pre_state(json_t *pre, struct mem_state *s, char *err, size_t errlen);

/* Calls method of the set m in process (rpc_process, as the HTTP server
 * would) with params (borrowed); returns the whole response object (a new
 * reference: "result" or "error") or NULL when none came back. */
struct rpc_methods;
json_t *cli_rpc_call(const struct rpc_methods *m, const char *method, json_t *params);

/* A JSON array of withdrawals ({index, validatorIndex, address, amount},
 * quantities as geth reads them) into b->withdrawals (calloc'd, owned by b);
 * absent (NULL) or null leaves b->has_withdrawals false. err names the entry
 * and the field. */
bool json_load_withdrawals(json_t *list, block *b, char *err, size_t n);

/* geth's flag forms "--name value" and "--name=value": the value (advancing
 * *i past it), or NULL when argv[*i] is not --name or its value is missing. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

/* Parses a whole decimal integer in [min, max] (no sign games, no trailing
 * text: "2x" is not 2). */
bool cli_parse_long(const char *text, long min, long max, long *out);
/* The same for whole decimal numbers in [min, max] up to 2^64-1. */
bool cli_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* Whether s ends with suffix. */
bool cli_ends_with(const char *s, const char *suffix);
/* Takes the store's writer lock (flock on DIR/data.mdb) for the life of the
 * process, as geth's and reth's datadir locks: a second import or unwind
 * on the same store is refused instead of running beside the first. NULL,
 * or why not. */
const char *cli_lock_store(const char *dir);

/* ---- block hashes by convention ---- */

/* A view of inner whose BLOCKHASH block_hash(ctx, number) answers instead
 * (the runners' conventions: statetest's keccak of the decimal number,
 * t8n's env.blockHashes); everything else reads inner. v must outlive the
 * view. */
typedef struct {
    state_view inner;
    bytes32 (*block_hash)(void *ctx, uint64_t number);
    void *ctx;
} hash_override;
state_view hash_override_view(hash_override *v);
/* statetest's and geth's `evm run` convention: BLOCKHASH(n) is keccak256 of
 * n written in decimal (ctx unused). */
bytes32 decimal_block_hash(void *ctx, uint64_t number);

/* s as geth's genesis alloc ({address: {balance, nonce, code, storage}},
 * nonce, code and storage only when not empty; zero slots left out), as
 * t8n's alloc output. The caller owns the result (json_decref). */
json_t *mem_state_alloc_json(mem_state *s);

/* ---- big-stack thread ---- */

/* Runs fn(arg) on a thread with a 512 MiB stack (reserved, not committed)
 * and returns its result: deep EVM recursion must never hit the stack limit,
 * even under AddressSanitizer. */
int run_on_big_stack(int (*fn)(void *), void *arg);

#endif
