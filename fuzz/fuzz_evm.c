/* libFuzzer target: the interpreter. The input is a fork selector byte, a
 * call-data length byte, call data, then the code of the contract a
 * transaction calls (the contract may call itself, and a second contract
 * holds the same code). Each input runs twice on the same pre-state, once
 * on the untraced dispatch loop and once on the traced one (two compiled
 * copies of the interpreter): the outcome, the gas used, the output, the
 * logs hash and the post-state root must agree, and nothing may crash.
 * Both run on a big stack (run_on_big_stack), as the CLI and the node run
 * the EVM: 1024 nested calls under ASan outgrow the main thread's. */
#include <stdio.h>
#include <stdlib.h>
#include "cli_util.h"
#include "parevm/exec.h"
#include "parevm/keccak.h"
#include "parevm/state_root.h"

static void null_step(evm_tracer *t, const evm_step *s) { (void)t, (void)s; }

typedef struct {
    bool valid;
    evm_status status;
    uint64_t gas_used;
    bytes32 output, logs, root;
} outcome;

static const uint8_t KEY[32] = {0x45, 0xa9, 0x15, 0xe4};
static transaction signed_tx; /* signed once: the executor does not verify signatures */
static executor *ex;

static outcome run(const uint8_t *code, size_t code_len, const uint8_t *input, size_t input_len, fork_id fork,
                   bool traced) {
    mem_state *s = mem_state_new();
    transaction tx = signed_tx;
    tx.data = (uint8_t *)input;
    tx.data_len = input_len;
    u256 rich = u256_from_u64(UINT64_MAX), one = u256_from_u64(1);
    mem_state_set_account(s, &tx.sender, &rich, 0, NULL, 0);
    mem_state_set_account(s, &tx.to, &one, 1, code, code_len);
    address other = {{0xcd}};
    mem_state_set_account(s, &other, &one, 1, code, code_len);
    u256 k = u256_from_u64(1);
    mem_state_set_storage(s, &tx.to, &k, &one);
    block_env env = {.fork = fork, .number = 1000, .timestamp = 1000, .gas_limit = 30000000,
                     .coinbase = {{0xc0}}, .base_fee = u256_from_u64(fork >= FORK_LONDON ? 1 : 0),
                     .chain_id = 1, .prevrandao = u256_from_u64(7)};
    evm_tracer tracer = {.step = null_step};
    executor_set_tracer(ex, traced ? &tracer : NULL);
    tx_result res;
    exec_transaction(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &res);
    outcome o = {.valid = res.valid, .status = res.status, .gas_used = res.gas_used};
    if (res.valid) {
        o.output = keccak256_hash(res.output, res.output_size);
        size_t n;
        const overlay_log *logs = overlay_logs(executor_overlay(ex), &n);
        o.logs = logs_hash(logs, n, overlay_log_data(executor_overlay(ex)));
        mem_state_apply(s, executor_changes(ex));
    }
    o.root = mem_state_root(s);
    mem_state_free(s);
    return o;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    signed_tx = (transaction){.type = TX_LEGACY, .gas_limit = 3000000, .gas_price = u256_from_u64(1),
                              .has_to = true, .to = {{0xcc}}};
    if (!tx_sign(&signed_tx, KEY)) abort();
    ex = executor_new();
    return 0;
}

typedef struct {
    const uint8_t *code, *input;
    size_t code_len, input_len;
    fork_id fork;
    outcome a, b;
} both_runs;

static int run_both(void *arg) {
    both_runs *r = arg;
    r->a = run(r->code, r->code_len, r->input, r->input_len, r->fork, false);
    r->b = run(r->code, r->code_len, r->input, r->input_len, r->fork, true);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t input_len = data[1];
    if (input_len > size - 2) input_len = size - 2;
    both_runs r = {.fork = (fork_id)(data[0] % FORK_COUNT), .input = data + 2, .input_len = input_len,
                   .code = data + 2 + input_len, .code_len = size - 2 - input_len};
    run_on_big_stack(run_both, &r);
    outcome a = r.a, b = r.b;
    if (a.valid != b.valid || a.status != b.status || a.gas_used != b.gas_used ||
        !bytes32_eq(&a.output, &b.output) || !bytes32_eq(&a.logs, &b.logs) || !bytes32_eq(&a.root, &b.root)) {
        fprintf(stderr, "traced and untraced runs differ: status %d/%d, gas %llu/%llu\n", a.status, b.status,
                (unsigned long long)a.gas_used, (unsigned long long)b.gas_used);
        abort();
    }
    return 0;
}
