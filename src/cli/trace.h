/* geth's command-line options for the EIP-3155 JSON tracer
 * (parevm/trace_json.h), which writes its lines to a FILE (stderr for the
 * CLI) as geth's `evm statetest --json` writes them. */
#ifndef PAREVM_CLI_TRACE_H
#define PAREVM_CLI_TRACE_H

#include "parevm/trace_json.h"

/* geth's `evm statetest` / `evm run` flags that shape a trace without
 * asking for one: --trace.format (json alone is written here),
 * --trace.nomemory and --trace.noreturndata (true by default there, as
 * here), --trace.nostorage (these lines carry no storage) and the aliases
 * --nomemory, --noreturndata, --nostack, --nostorage; with =true / =false.
 * Whether argv[*i] is one (a separate --trace.format value is consumed);
 * *ok false for a value that is not allowed. */
bool json_trace_geth_option(int argc, char **argv, int *i, json_trace_opts *o, bool *ok);
/* Reads geth's --trace.memory, --trace.nostack and --trace.returndata
 * (alone, or =true / =false) into o: whether arg is one of them; *ok false
 * for another value. */
bool json_trace_option(const char *arg, json_trace_opts *o, bool *ok);

#endif
