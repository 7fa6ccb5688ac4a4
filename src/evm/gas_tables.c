/* Static gas cost per fork and opcode, built the evmone way: each fork's row
 * starts as a copy of the previous fork's, then applies that fork's changes.
 * Built once (pthread_once) and immutable afterwards. */
#include <pthread.h>
#include <stdlib.h>
#include "evm_internal.h"

static const struct {
    uint8_t op;
    fork_id since;
    int32_t gas;
    const char *name;
    uint8_t in, out;
} opcode_list[] = {
#define X(code, nm, i, o, g, f) {code, f, g, #nm, i, o},
#include "opcodes.def"
#undef X
};

/* What each fork changed in the static costs (new opcodes come from
 * opcodes.def). Dynamic costs live with the instructions. */
static const struct {
    fork_id fork;
    uint8_t op;
    int32_t gas;
} gas_changes[] = {
    /* EIP-150: IO-heavy operations repriced */
    {FORK_TANGERINE_WHISTLE, OP_BALANCE, 400},
    {FORK_TANGERINE_WHISTLE, OP_EXTCODESIZE, 700},
    {FORK_TANGERINE_WHISTLE, OP_EXTCODECOPY, 700},
    {FORK_TANGERINE_WHISTLE, OP_SLOAD, 200},
    {FORK_TANGERINE_WHISTLE, OP_CALL, 700},
    {FORK_TANGERINE_WHISTLE, OP_CALLCODE, 700},
    {FORK_TANGERINE_WHISTLE, OP_DELEGATECALL, 700},
    {FORK_TANGERINE_WHISTLE, OP_SELFDESTRUCT, 5000},
    /* EIP-1884 */
    {FORK_ISTANBUL, OP_BALANCE, 700},
    {FORK_ISTANBUL, OP_EXTCODEHASH, 700},
    {FORK_ISTANBUL, OP_SLOAD, 800},
    /* EIP-2929: the static part is the warm cost; cold surcharges are dynamic */
    {FORK_BERLIN, OP_BALANCE, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_EXTCODESIZE, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_EXTCODECOPY, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_EXTCODEHASH, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_SLOAD, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_CALL, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_CALLCODE, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_DELEGATECALL, GAS_WARM_ACCESS},
    {FORK_BERLIN, OP_STATICCALL, GAS_WARM_ACCESS},
};

static evm_tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (int f = 0; f < FORK_COUNT; f++) {
        if (f == 0)
            for (int op = 0; op < 256; op++) tables.gas[0][op] = -1;
        else
            memcpy(tables.gas[f], tables.gas[f - 1], sizeof tables.gas[f]);
        for (size_t i = 0; i < sizeof opcode_list / sizeof opcode_list[0]; i++)
            if (opcode_list[i].since == (fork_id)f) tables.gas[f][opcode_list[i].op] = opcode_list[i].gas;
        for (size_t i = 0; i < sizeof gas_changes / sizeof gas_changes[0]; i++)
            if (gas_changes[i].fork == (fork_id)f) tables.gas[f][gas_changes[i].op] = gas_changes[i].gas;
    }
    /* the interpreter charges a constant for every opcode not marked repriced */
    for (size_t i = 0; i < sizeof gas_changes / sizeof gas_changes[0]; i++)
        if (!evm_repriced[gas_changes[i].op]) abort();
    for (size_t i = 0; i < sizeof opcode_list / sizeof opcode_list[0]; i++) {
        tables.name[opcode_list[i].op] = opcode_list[i].name;
        tables.stack_in[opcode_list[i].op] = opcode_list[i].in;
        tables.stack_out[opcode_list[i].op] = opcode_list[i].out;
    }
}

const evm_tables *evm_get_tables(void) {
    pthread_once(&tables_once, build_tables);
    return &tables;
}

const char *evm_opcode_name(uint8_t op) { return evm_get_tables()->name[op]; }

int evm_opcode_cost(uint8_t op, fork_id fork) {
    return fork >= 0 && fork < FORK_COUNT ? evm_get_tables()->gas[fork][op] : -1;
}

bool evm_opcode_stack(uint8_t op, int *in, int *out) {
    const evm_tables *t = evm_get_tables();
    if (!t->name[op]) return false;
    *in = t->stack_in[op];
    *out = t->stack_out[op];
    return true;
}
