/* EIP-3155 JSON tracer: one JSON object per executed instruction, in the
 * field order geth's and evmone's tracers use (so traces of two EVMs can be
 * diffed line by line), then a summary line (and for state tests the state
 * root line), written to a FILE: `parevm statetest --trace`, t8n's trace
 * files, `parevm run --trace` and the node's debug_standardTraceBlockToFile.
 * The caller owns the FILE. */
#ifndef PAREVM_TRACE_JSON_H
#define PAREVM_TRACE_JSON_H

#include <stdio.h>
#include "evm.h"
#include "exec.h"

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

/* Lines with geth's default fields; set t->opts after for more or fewer.
 * Hand &t->base to executor_set_tracer. */
void json_tracer_init(json_tracer *t, FILE *out);
/* The closing line: {"output":..,"gasUsed":..,"error":..}. */
void json_tracer_summary(json_tracer *t, const uint8_t *output, size_t len, uint64_t gas_used,
                         const char *error);
/* The closing line of a transaction that ex executed (res->valid), as geth's
 * JSON logger writes it at the top-level frame's exit: its output, the gas
 * that frame used (not the intrinsic gas, before refunds) and how it failed,
 * in geth's words. */
void json_tracer_summary_tx(json_tracer *t, const executor *ex, const tx_result *res);
/* {"stateRoot": "0x.."}: the root after the case (also after a refused
 * transaction, which writes no steps and no summary). */
void json_tracer_state_root(json_tracer *t, const bytes32 *root);

#endif
