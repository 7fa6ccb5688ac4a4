/* statetest's tracing options: --tracer NAME / --tracer-config JSON write
 * each case's geth-format trace (src/trace) as one JSON line on stdout, and
 * --check-trace runs each case with the EIP-3155 tracer and the opcode
 * logger and fails the case unless both report the same steps (pc, op, gas,
 * depth, stack) and every gasCost agrees with the gas of the next step. */
#ifndef PAREVM_CLI_STATETEST_TRACE_H
#define PAREVM_CLI_STATETEST_TRACE_H

#include "parevm/trace.h"

typedef struct {
    bool emit;              /* --tracer / --tracer-config */
    bool check;             /* --check-trace */
    const char *tracer;     /* NAME of --tracer */
    const char *config;     /* JSON of --tracer-config */
    trace_config cfg;
    char why[512];          /* the last --check-trace mismatch */
} st_tracing;

/* Handles argv[*i] if it is one of the options above: 1 (consumed), 0 (not
 * ours) or -1 after printing an error. */
int st_tracing_option(st_tracing *t, int argc, char **argv, int *i);
/* Parses the config once options are read; false after printing an error. */
bool st_tracing_ready(st_tracing *t);
static inline bool st_tracing_on(const st_tracing *t) { return t->emit || t->check; }

/* Executes tx on view like exec_transaction (the executor's change set and
 * logs are the transaction's afterwards, *res its result), tracing as the
 * options ask. label names the case in the output. Returns NULL, or (for
 * --check-trace) why the two traces disagree, in t->why. */
const char *st_tracing_run(st_tracing *t, executor *ex, const block_env *env, state_view view, code_store *codes,
                           const transaction *tx, tx_result *res, const char *label);

#endif
