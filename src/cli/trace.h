/* EIP-3155 JSON tracer: one JSON object per executed instruction, then a
 * summary line and the state root line, written to a FILE (stderr for the
 * CLI), as geth's `evm statetest --json` writes them. */
#ifndef PAREVM_CLI_TRACE_H
#define PAREVM_CLI_TRACE_H

#include <stdio.h>
#include "parevm/evm.h"

/* What each line carries besides geth's default fields (its --trace.memory,
 * --trace.nostack and --trace.returndata): the memory as hex, no stack
 * ("stack":null), the last call's return data when there is any. */
typedef struct {
    bool memory, no_stack, return_data;
} json_trace_opts;

typedef struct {
    evm_tracer base;
    FILE *out;
    json_trace_opts opts;
} json_tracer;

/* geth's `evm statetest` / `evm run` flags that shape a trace without
 * asking for one: --trace.format (json alone is written here),
 * --trace.nomemory and --trace.noreturndata (true by default there, as
 * here), --trace.nostorage (these lines carry no storage) and the aliases
 * --nomemory, --noreturndata, --nostack, --nostorage; with =true / =false.
 * Whether argv[*i] is one (a separate --trace.format value is consumed);
 * *ok false for a value that is not allowed. */
bool json_trace_geth_option(int argc, char **argv, int *i, json_trace_opts *o, bool *ok);
/* Lines with geth's default fields; set t->opts after for more or fewer. */
void json_tracer_init(json_tracer *t, FILE *out);
/* Reads geth's --trace.memory, --trace.nostack and --trace.returndata
 * (alone, or =true / =false) into o: whether arg is one of them; *ok false
 * for another value. */
bool json_trace_option(const char *arg, json_trace_opts *o, bool *ok);
/* The closing line: {"output":..,"gasUsed":..,"error":..}. */
void json_tracer_summary(json_tracer *t, const uint8_t *output, size_t len, uint64_t gas_used,
                         const char *error);
/* {"stateRoot": "0x.."}: the root after the case (also after a refused
 * transaction, which writes no steps and no summary). */
void json_tracer_state_root(json_tracer *t, const bytes32 *root);

#endif
