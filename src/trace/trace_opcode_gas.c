/* reth's opcode gas (trace_transactionOpcodeGas, trace_blockOpcodeGas):
 * each opcode a transaction ran, by opcode value, with how many times and
 * the gas its steps took, [{opcode, count, gasUsed}], named as revm names
 * them. A step's gas is revm-inspectors' OpcodeGasInspector's: the gas
 * before it less the gas after it, less the gas limit of the frame a CALL
 * or CREATE opens (its forwarded gas and a value call's stipend), so that a
 * call counts its own cost and not its callee's. Here: the opcode logger's
 * gasCost (a CALL's forwarded gas in, a CREATE's out), less the callee's gas
 * for the CALL family; totals below zero (a value call's stipend over its
 * own cost, never in practice) are 0, as revm saturates. */
#include <stdlib.h>
#include "trace_internal.h"

void og_init(trace_run *r) {
    r->og = calloc(256, sizeof *r->og);
    if (!r->og) abort();
}

void og_free(trace_run *r) {
    free(r->og);
    r->og = NULL;
}

void og_done(trace_run *r, const tr_done *d) {
    r->og[d->s->op][0]++;
    r->og[d->s->op][1] += d->cost > 0 ? d->cost : 0;
}

void og_callee(trace_run *r, uint8_t op, int64_t callee_gas) { r->og[op][1] -= callee_gas; }

json_t *og_result(trace_run *r) {
    json_t *list = trace_take(json_array());
    for (int op = 0; op < 256; op++) {
        if (!r->og[op][0]) continue;
        int cost;
        char buf[32];
        const char *name = revm_op_name((uint8_t)op, &cost);
        if (!name) name = trace_op_name((uint8_t)op, buf);
        json_t *e = trace_take(json_object());
        trace_set(e, "opcode", json_string(name));
        trace_set(e, "count", json_integer((json_int_t)r->og[op][0]));
        trace_set(e, "gasUsed", json_integer((json_int_t)(r->og[op][1] > 0 ? r->og[op][1] : 0)));
        trace_append(list, e);
    }
    return list;
}
