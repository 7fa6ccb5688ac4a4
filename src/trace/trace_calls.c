/* callTracer: the tree of call frames as geth's native callTracer writes it,
 * {from, gas, gasUsed, to, input, output, error, revertReason, calls, logs,
 * value, type}. The top frame's gas is the transaction's gas limit and its
 * gasUsed the receipt's. A failed creation has no "to"; output is kept for
 * success and revert only; a revert's ABI Error(string) or Panic(uint256)
 * becomes revertReason. withLog adds each frame's logs (address, topics,
 * data, block-level index, position = calls made before the log), dropped
 * for failed frames and everything below them; onlyTopCall keeps only the
 * top frame (and its own logs). */
#include <stdlib.h>
#include "trace_internal.h"

enum { OP_SSTORE = 0x55, OP_LOG0 = 0xa0, OP_LOG4 = 0xa4, OP_SELFDESTRUCT = 0xff };

void cl_init(trace_run *r) { (void)r; }

void cl_free(trace_run *r) {
    tr_calls *c = &r->cl;
    for (int i = 0; i < c->n; i++) {
        free(c->stack[i].sstores);
        json_decref(c->stack[i].input);
        json_decref(c->stack[i].calls);
        json_decref(c->stack[i].logs);
    }
    free(c->stack);
    json_decref(c->top);
    json_decref(c->pending_log);
}

static json_t *quantity(uint64_t v) {
    u256 w = u256_from_u64(v);
    return trace_json_quantity(&w);
}

void cl_enter(trace_run *r, int depth, uint8_t type, const address *from, const address *to, const uint8_t *input,
              size_t input_len, uint64_t gas, const u256 *value) {
    tr_calls *c = &r->cl;
    c->depth = depth;
    if (r->cfg->only_top_call && depth > 0) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->stack = realloc(c->stack, (size_t)c->cap * sizeof *c->stack);
        if (!c->stack) abort();
    }
    cl_frame *f = &c->stack[c->n++];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->from = *from;
    f->to = *to;
    f->has_to = true;
    f->input = rpc_json_data(input, input_len);
    f->gas = gas;
    if (value) {
        f->has_value = true;
        f->value = *value;
    }
}

/* geth's callFrame JSON of f, ended with output/error (processOutput). */
static json_t *frame_json(trace_run *r, cl_frame *f, const uint8_t *output, size_t len, const char *error,
                          bool reverted, const char *parity_error) {
    bool create = f->type == 0xf0 || f->type == 0xf5;
    json_t *o = trace_take(json_object());
    trace_set(o, "from", rpc_json_address(&f->from));
    trace_set(o, "gas", quantity(f->gas));
    trace_set(o, "gasUsed", quantity(f->gas_used));
    if (f->has_to && !(error && create)) trace_set(o, "to", rpc_json_address(&f->to));
    else if (f->has_to && (r->cfg->record_parity_errors || r->cfg->revm_frames))
        trace_set(o, "_to", rpc_json_address(&f->to));
    trace_set(o, "input", f->input);
    f->input = NULL;
    /* geth's field order (callFrame0): output, error, revertReason */
    if (len && (!error || reverted)) trace_set(o, "output", rpc_json_data(output, len));
    if (error) {
        trace_set(o, "error", json_string(error));
        if (reverted && len) {
            size_t rlen;
            char *reason = trace_revert_reason(output, len, &rlen);
            if (reason && rlen) trace_set(o, "revertReason", trace_json_lossy((const uint8_t *)reason, rlen));
            free(reason);
        }
    }
    if (f->calls) trace_set(o, "calls", f->calls);
    if (f->logs) trace_set(o, "logs", f->logs);
    f->calls = f->logs = NULL;
    if (f->has_value) trace_set(o, "value", trace_json_quantity(&f->value));
    if (r->cfg->revm_frames && r->cl.exit_status) {
        trace_set(o, "_status", json_string(r->cl.exit_status));
        trace_set(o, "_gasUsed", quantity(r->cl.exit_gas));
        if (!json_object_get(o, "output") && r->cl.exit_raw_len)
            trace_set(o, "_output", rpc_json_data(r->cl.exit_raw, r->cl.exit_raw_len));
    }
    r->cl.exit_status = NULL;
    r->cl.exit_raw_len = 0;
    json_t *changes = NULL;
    for (size_t i = 0; i < f->n_sstores; i++) {
        const u256 *w = f->sstores[i];
        if (u256_eq(&w[1], &w[2])) continue;
        if (!changes) changes = trace_take(json_array());
        json_t *one = trace_take(json_array());
        for (int k = 0; k < 3; k++) trace_append(one, trace_json_quantity(&w[k]));
        trace_append(changes, one);
    }
    if (changes) trace_set(o, "_storage", changes);
    free(f->sstores);
    f->sstores = NULL;
    f->n_sstores = f->cap_sstores = 0;
    char name[32];
    trace_set(o, "type", json_string(trace_op_name(f->type, name)));
    /* read and removed by trace_parity.c */
    if (r->cfg->record_parity_errors && parity_error) trace_set(o, "_parityError", json_string(parity_error));
    return o;
}

void cl_exit(trace_run *r, int depth, const uint8_t *output, size_t output_len, uint64_t gas_used, const char *error,
             bool reverted, const char *parity_error) {
    tr_calls *c = &r->cl;
    if (depth == 0) {
        if (c->n != 1) return;
        cl_frame *f = &c->stack[0];
        f->gas_used = gas_used;
        json_decref(c->top);
        c->top = frame_json(r, f, output, output_len, error, reverted, parity_error);
        c->n = 0;
        return;
    }
    c->depth = depth - 1;
    if (r->cfg->only_top_call || c->n <= 1) return;
    cl_frame *f = &c->stack[--c->n];
    f->gas_used = gas_used;
    json_t *o = frame_json(r, f, output, output_len, error, reverted, parity_error);
    cl_frame *parent = &c->stack[c->n - 1];
    if (!parent->calls) parent->calls = trace_take(json_array());
    trace_append(parent->calls, o);
}

/* The log a LOG step writes, read from the stack and memory before it runs
 * (NULL when the step cannot succeed: memory it could not pay for). */
static json_t *log_of(trace_run *r, const evm_step *s) {
    int n = s->op - OP_LOG0;
    if (s->stack_size < 2 + n) return NULL;
    const u256 *top = &s->stack[s->stack_size - 1];
    const u256 off = top[0], len = top[-1];
    uint64_t o = 0, l = 0;
    if (!u256_is_zero(&len)) {
        if (!u256_fits_u64(&off) || !u256_fits_u64(&len) || off.w[0] > UINT32_MAX || len.w[0] > UINT32_MAX)
            return NULL;
        o = off.w[0], l = len.w[0];
        /* a memory expansion beyond the gas left fails the step */
        uint64_t words = (o + l + 31) / 32, have = s->mem_size / 32;
        if (words > have && 3 * (words - have) + (words * words - have * have) / 512 > (uint64_t)s->gas) return NULL;
    }
    json_t *log = trace_take(json_object());
    trace_set(log, "address", rpc_json_address(&s->msg->recipient));
    json_t *topics = trace_take(json_array());
    for (int i = 0; i < n; i++) trace_append(topics, trace_json_word(&top[-2 - i]));
    trace_set(log, "topics", topics);
    uint8_t *data = calloc(l ? l : 1, 1);
    if (!data) abort();
    if (o < s->mem_size) memcpy(data, s->memory + o, s->mem_size - o < l ? s->mem_size - o : l);
    trace_set(log, "data", rpc_json_data(data, l));
    free(data);
    size_t count;
    overlay_logs(r->ov, &count);
    trace_set(log, "index", quantity(r->log_index + count));
    const cl_frame *f = &r->cl.stack[r->cl.n - 1];
    trace_set(log, "position", quantity(f->calls ? json_array_size(f->calls) : 0));
    return log;
}

void cl_step(trace_run *r, const evm_step *s) {
    tr_calls *c = &r->cl;
    json_decref(c->pending_log);
    c->pending_log = NULL;
    c->pending_sd = false;
    if (s->op >= OP_LOG0 && s->op <= OP_LOG4 && r->cfg->with_log && !(r->cfg->only_top_call && s->depth > 0) &&
        c->n > 0)
        c->pending_log = log_of(r, s);
    c->pending_sstore = false;
    if (s->op == OP_SSTORE && r->cfg->revm_frames && s->stack_size >= 2 && c->n > 0) {
        c->pending_sstore = true;
        c->sstore[0] = s->stack[s->stack_size - 1];
        c->sstore[2] = s->stack[s->stack_size - 2];
        c->sstore[1] = overlay_sload(r->ov, &s->msg->recipient, &c->sstore[0]);
    }
    if (s->op == OP_SELFDESTRUCT && s->stack_size >= 1) {
        c->pending_sd = true;
        c->sd_to = u256_to_address(&s->stack[s->stack_size - 1]);
        c->sd_value = overlay_balance(r->ov, &s->msg->recipient);
    }
}

void cl_done(trace_run *r, const tr_done *d) {
    tr_calls *c = &r->cl;
    /* a LOG succeeded if its frame went on; a SELFDESTRUCT if it ended the frame well */
    if (c->pending_log && !d->halted && c->n > 0) {
        cl_frame *f = &c->stack[c->n - 1];
        if (!f->logs) f->logs = trace_take(json_array());
        trace_append(f->logs, c->pending_log);
        c->pending_log = NULL;
    }
    if (c->pending_sstore && !d->halted && c->n > 0) { /* revm-inspectors' storage changes, per frame */
        cl_frame *f = &c->stack[c->n - 1];
        size_t i = 0;
        while (i < f->n_sstores && !u256_eq(&f->sstores[i][0], &c->sstore[0])) i++;
        if (i == f->n_sstores) {
            if (f->n_sstores == f->cap_sstores) {
                f->cap_sstores = f->cap_sstores ? 2 * f->cap_sstores : 4;
                f->sstores = realloc(f->sstores, f->cap_sstores * sizeof *f->sstores);
                if (!f->sstores) abort();
            }
            memcpy(f->sstores[f->n_sstores++], c->sstore, sizeof c->sstore);
        } else {
            f->sstores[i][2] = c->sstore[2];
        }
    }
    c->pending_sstore = false;
    if (c->pending_sd && d->halted && d->status == EVM_SUCCESS) {
        int depth = d->s->depth + 1;
        const address *self = &d->s->msg->recipient;
        cl_enter(r, depth, OP_SELFDESTRUCT, self, &c->sd_to, NULL, 0, 0, &c->sd_value);
        cl_exit(r, depth, NULL, 0, 0, NULL, false, NULL);
        /* revm reports a self-destruct from the journal entry it leaves: one
         * that neither destroys the account nor moves its balance (Cancun
         * on, an account not created here, itself the beneficiary) leaves
         * none, and revm-inspectors writes zeros (trace_parity.c) */
        json_t *calls = c->n ? c->stack[c->n - 1].calls : NULL;
        if (r->cfg->record_parity_errors && calls && r->fork >= FORK_CANCUN && !memcmp(self->b, c->sd_to.b, 20) &&
            !overlay_created_in_tx(r->ov, self))
            trace_set(json_array_get(calls, json_array_size(calls) - 1), "_noSelfdestructHook", json_true());
    }
    c->pending_sd = false;
}

/* geth's clearFailedLogs: no logs in a failed frame or below it. */
static void clear_failed_logs(json_t *frame, bool parent_failed) {
    bool failed = parent_failed || json_object_get(frame, "error");
    if (failed) json_object_del(frame, "logs");
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(frame, "calls"), i, child) clear_failed_logs(child, failed);
}

json_t *cl_result(trace_run *r, const tx_result *res) {
    (void)res;
    json_t *top = r->cl.top;
    r->cl.top = NULL;
    if (!top) return trace_take(json_object());
    if (r->cfg->with_log && !r->cfg->revm_frames) clear_failed_logs(top, false);
    return top;
}
