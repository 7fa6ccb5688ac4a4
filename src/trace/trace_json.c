/* The EIP-3155 JSON tracer (trace_json.h). */
#include <string.h>
#include "parevm/hex.h"
#include "parevm/trace.h"
#include "parevm/trace_json.h"

/* n bytes as hex digits (no 0x), a chunk per write: memory can be large */
static void put_digits(FILE *out, const uint8_t *p, size_t n) {
    char chunk[2 * 256 + 3];
    for (size_t at = 0; at < n; at += 256) {
        size_t k = n - at < 256 ? n - at : 256;
        hex_encode(p + at, k, chunk);
        fwrite(chunk + 2, 1, 2 * k, out);
    }
}

static void put_hex(FILE *out, const char *key, const uint8_t *p, size_t n) {
    fprintf(out, ",\"%s\":\"0x", key);
    put_digits(out, p, n);
    fputc('"', out);
}

static void step(evm_tracer *base, const evm_step *s) {
    json_tracer *t = (json_tracer *)base;
    const char *name = evm_opcode_name(s->op);
    int64_t cost = s->static_cost;
    fprintf(t->out, "{\"pc\":%llu,\"op\":%u,\"gas\":\"0x%llx\",\"gasCost\":\"0x%llx\"", (unsigned long long)s->pc,
            s->op, (unsigned long long)s->gas, (unsigned long long)(cost < 0 ? 0 : cost));
    if (t->opts.memory && s->mem_size) put_hex(t->out, "memory", s->memory, s->mem_size);
    fprintf(t->out, ",\"memSize\":%zu,\"stack\":", s->mem_size);
    if (t->opts.no_stack) {
        fputs("null", t->out);
    } else {
        fputc('[', t->out);
        for (int i = 0; i < s->stack_size; i++) {
            char hex[67];
            u256_to_hex(&s->stack[i], hex);
            fprintf(t->out, "%s\"%s\"", i ? "," : "", hex);
        }
        fputc(']', t->out);
    }
    if (t->opts.return_data && s->return_size) put_hex(t->out, "returnData", s->return_data, s->return_size);
    fprintf(t->out, ",\"depth\":%d,\"refund\":%lld,\"opName\":\"%s\"}\n", s->depth + 1, (long long)s->refund,
            name ? name : "INVALID");
}

void json_tracer_init(json_tracer *t, FILE *out) {
    memset(t, 0, sizeof *t);
    t->base.step = step;
    t->base.ctx = t;
    t->out = out;
}

void json_tracer_summary(json_tracer *t, const uint8_t *output, size_t len, uint64_t gas_used,
                         const char *error) {
    fprintf(t->out, "{\"output\":\"");
    put_digits(t->out, output, len);
    fprintf(t->out, "\",\"gasUsed\":\"0x%llx\"", (unsigned long long)gas_used);
    if (error) fprintf(t->out, ",\"error\":\"%s\"", error);
    fprintf(t->out, "}\n");
}

void json_tracer_summary_tx(json_tracer *t, const executor *ex, const tx_result *res) {
    int64_t gas, left;
    executor_top_frame(ex, &gas, &left);
    /* geth's words (VMErrorFromErr), not the EVM's status names */
    json_tracer_summary(t, res->output, res->output_size, (uint64_t)(gas - left),
                        res->status ? trace_status_error(res->status) : NULL);
}

void json_tracer_state_root(json_tracer *t, const bytes32 *root) {
    char hex[67];
    hex_encode(root->b, 32, hex);
    fprintf(t->out, "{\"stateRoot\": \"%s\"}\n", hex);
}
