/* Parity's vmTrace as reth writes it (revm-inspectors' ParityTraceBuilder):
 * per frame {code, ops: [{cost, ex: {used, push, mem, store}, pc, sub, op}]}.
 * revm-inspectors records each step's gas before it ("used"), the memory
 * before it (mem: {off: its size, data: all of it}), what the step left on
 * the stack ("push": the op's outputs, read once the instruction ran and
 * before a call's result is pushed) and its cost (the gas the instruction
 * took, a call's or create's forwarded gas included); "store" is always
 * null (Parity configs do not record state changes). The traces are put
 * together as revm-inspectors does: its frames in post-order, each
 * call-like op taking the oldest finished trace not yet taken from one
 * queue shared by the whole walk (so a frame's calls can take traces of
 * its earlier siblings' children, and zero-value calls to precompiles,
 * which are nobody's child, shift the rest), then "code" filled in by
 * pairing the tree of traces and the tree of frames breadth first (each
 * frame's code as the state before the transaction has it: "0x" for an
 * account created in it). When some frame starts with STOP and the frame
 * entered last ends with STOP, revm-inspectors answers {code, ops: []} for the
 * whole transaction; so does this.
 *
 * A failing step's cost and stack are revm's as far as trace_core.c's
 * rules can tell (revm_failed_step: running out of gas spends all of it
 * unless a memory expansion failed; which inputs were popped first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace_internal.h"

enum { OP_STOP = 0x00, OP_RETURN = 0xf3, OP_REVERT = 0xfd, OP_INVALID = 0xfe, OP_SELFDESTRUCT = 0xff };

static bool call_like(uint8_t op) {
    return op == 0xf0 || op == 0xf1 || op == 0xf2 || op == 0xf4 || op == 0xf5 || op == 0xfa;
}

static json_t *words_json(const u256 *w, int n) {
    json_t *a = trace_take(json_array());
    for (int i = 0; i < n; i++) trace_append(a, trace_json_quantity(&w[i]));
    return a;
}

/* The top n items of a stack of size items (bottom first), bottom first. */
static json_t *top_items(const u256 *stack, int size, int n) {
    if (n > size) n = size;
    if (n < 0) n = 0;
    return words_json(stack + size - n, n);
}

static json_t *code_hex(state_view pre, const address *a) {
    const evm_code *c = pre.ops->get_code(pre.ctx, a);
    return rpc_json_data(c ? c->bytes : NULL, c ? c->len : 0);
}

static void drop_pushes(tr_vm *v) {
    json_decref(v->push_halt), v->push_halt = NULL;
    json_decref(v->push_popped), v->push_popped = NULL;
    json_decref(v->push_last), v->push_last = NULL;
    json_decref(v->push_three), v->push_three = NULL;
}

void vm_free(trace_run *r) {
    tr_vm *v = &r->vm;
    for (int i = 0; i < v->n_nodes; i++) {
        json_decref(v->nodes[i].ops);
        free(v->nodes[i].children);
    }
    free(v->nodes);
    free(v->open);
    drop_pushes(v);
    json_decref(v->p_mem);
    json_decref(v->mem_json);
    free(v->mem);
    memset(v, 0, sizeof *v);
}

/* A new node for a frame entered at depth (its parent the frame open below
 * it, unless it is the top one); excluded nodes are nobody's child. */
static void open_node(tr_vm *v, const address *code_addr, bool excluded) {
    if (v->n_nodes == v->cap_nodes) {
        v->cap_nodes = v->cap_nodes ? 2 * v->cap_nodes : 8;
        v->nodes = realloc(v->nodes, (size_t)v->cap_nodes * sizeof *v->nodes);
        if (!v->nodes) abort();
    }
    int id = v->n_nodes++;
    vm_node *nd = &v->nodes[id];
    memset(nd, 0, sizeof *nd);
    nd->code_addr = *code_addr;
    nd->ops = trace_take(json_array());
    nd->parent = v->n_open ? v->open[v->n_open - 1] : -1;
    if (nd->parent >= 0 && !excluded) {
        vm_node *p = &v->nodes[nd->parent];
        if (p->n_children == p->cap_children) {
            p->cap_children = p->cap_children ? 2 * p->cap_children : 4;
            p->children = realloc(p->children, (size_t)p->cap_children * sizeof *p->children);
            if (!p->children) abort();
        }
        p->children[p->n_children++] = id;
    }
    if (v->n_open == v->cap_open) {
        v->cap_open = v->cap_open ? 2 * v->cap_open : 8;
        v->open = realloc(v->open, (size_t)v->cap_open * sizeof *v->open);
        if (!v->open) abort();
    }
    v->open[v->n_open++] = id;
    v->last_entered = id;
    v->last_entered_stop = false;
}

void vm_begin(trace_run *r, const address *to) {
    r->vm.budget = r->cfg->vm_trace_budget;
    open_node(&r->vm, to, false);
}

bool vm_too_big(const trace_run *r) { return r->vm.too_big; }

/* The memory before a step, {off: size, data}; unchanged memory shares its
 * string with the step before. */
static json_t *memory_json(tr_vm *v, const uint8_t *mem, size_t len) {
    if (!v->mem_json || len != v->mem_len || (len && memcmp(mem, v->mem, len))) {
        json_decref(v->mem_json);
        free(v->mem);
        v->mem = malloc(len ? len : 1);
        if (!v->mem) abort();
        if (len) memcpy(v->mem, mem, len);
        v->mem_len = len;
        v->mem_json = rpc_json_data(mem, len);
    }
    json_t *m = trace_take(json_object());
    trace_set(m, "off", json_integer((json_int_t)len));
    trace_set(m, "data", json_incref(v->mem_json));
    return m;
}

/* Ends the pending step with its cost and what it left on the stack. */
static void complete(tr_vm *v, int64_t cost, json_t *push) {
    if (!v->pending) {
        json_decref(push);
        return;
    }
    v->pending = false;
    vm_node *f = &v->nodes[v->pending_node];
    json_t *op = trace_take(json_object()), *ex = trace_take(json_object());
    trace_set(op, "cost", json_integer(cost < 0 ? 0 : cost));
    trace_set(ex, "used", json_integer(v->p_gas));
    trace_set(ex, "push", push);
    trace_set(ex, "mem", v->p_mem);
    v->p_mem = NULL;
    trace_set(ex, "store", json_null());
    trace_set(op, "ex", ex);
    trace_set(op, "pc", json_integer((json_int_t)v->p_pc));
    trace_set(op, "sub", json_null());
    char name[32];
    int static_cost;
    const char *known = revm_op_name(v->p_op, &static_cost);
    if (known) trace_set(op, "op", json_string(evm_opcode_name(v->p_op) ? trace_op_name(v->p_op, name) : known));
    else trace_set(op, "op", json_string((snprintf(name, sizeof name, "UNKNOWN(0x%02X)", v->p_op), name)));
    if (call_like(v->p_op)) trace_set(op, "_sub", json_true());
    trace_append(f->ops, op);
}

void vm_step(trace_run *r, const evm_step *s) {
    tr_vm *v = &r->vm;
    if (v->budget) { /* the step's JSON: its memory in hex and ~200 bytes of fields */
        *v->budget -= 2 * (int64_t)s->mem_size + 200;
        if (*v->budget < 0) v->too_big = true;
    }
    if (v->too_big) return;
    if (v->pending) {
        /* a call's result is not on the stack yet when revm-inspectors reads it */
        json_t *push = call_like(v->p_op) ? v->push_popped : top_items(s->stack, s->stack_size, v->p_outputs);
        if (push == v->push_popped) v->push_popped = NULL;
        drop_pushes(v);
        complete(v, v->p_gas - s->gas, push);
    }
    if (s->depth >= v->n_open) return; /* cannot happen: frames are entered first */
    int id = v->open[s->depth];
    if (id == v->last_entered) v->last_entered_stop = s->op == OP_STOP;
    int in = 0, out = 0;
    if (!evm_opcode_stack(s->op, &in, &out)) in = out = 0;
    v->pending = true;
    v->pending_depth = s->depth;
    v->pending_node = id;
    v->p_pc = s->pc;
    v->p_op = s->op;
    v->p_gas = s->gas;
    v->p_static = s->static_cost;
    v->p_outputs = out;
    v->p_mem = memory_json(v, s->memory, s->mem_size);
    /* what a halt leaves (nothing popped), and a call once its inputs are popped */
    v->push_halt = top_items(s->stack, s->stack_size, out);
    v->push_popped = top_items(s->stack, s->stack_size - in > 0 ? s->stack_size - in : 0, out);
    v->push_last = top_items(s->stack, s->stack_size - in + 1 > 0 ? s->stack_size - in + 1 : 0, out);
    /* revm's CALL refuses a value in a static frame once it has popped gas, address and value */
    if (s->op == 0xf1) v->push_three = top_items(s->stack, s->stack_size > 3 ? s->stack_size - 3 : 0, out);
}

void vm_enter(trace_run *r, const evm_message *msg, const address *code_addr, int64_t caller_gas) {
    tr_vm *v = &r->vm;
    if (v->pending && v->pending_depth == msg->depth - 1) {
        json_t *push = v->push_popped ? v->push_popped : trace_take(json_array());
        v->push_popped = NULL;
        drop_pushes(v);
        complete(v, v->p_gas - caller_gas, push);
    }
    bool create = msg->kind == EVM_CREATE || msg->kind == EVM_CREATE2;
    bool excluded = !create && precompile_is_active(code_addr, r->fork) && u256_is_zero(&msg->value);
    open_node(v, code_addr, excluded);
}

void vm_halt(trace_run *r, int depth, evm_status st, int64_t gas, int64_t failed_cost, vm_pops pops) {
    tr_vm *v = &r->vm;
    if (!v->pending || v->pending_depth != depth) return;
    bool ok = st == EVM_SUCCESS || st == EVM_REVERT;
    int64_t cost = ok ? v->p_gas - gas : failed_cost;
    bool ends = v->p_op == OP_STOP || v->p_op == OP_RETURN || v->p_op == OP_REVERT || v->p_op == OP_INVALID ||
                v->p_op == OP_SELFDESTRUCT || !evm_opcode_name(v->p_op);
    json_t **keep = ends               ? NULL
                    : ok || pops == VM_POPS ? &v->push_popped
                    : pops == VM_POPS_BUT_LAST ? &v->push_last
                    : pops == VM_POPS_THREE && v->push_three ? &v->push_three
                                            : &v->push_halt;
    json_t *push = keep ? *keep : trace_take(json_array());
    if (keep) *keep = NULL;
    drop_pushes(v);
    complete(v, cost, push);
}

void vm_exit(trace_run *r, int depth) {
    tr_vm *v = &r->vm;
    if (depth != v->n_open - 1 || depth == 0) return; /* the top frame ends in vm_result */
    if (v->pending && v->pending_depth == depth) complete(v, 0, trace_take(json_array()));
    v->n_open--;
}

/* ---- revm-inspectors' assembly ------------------------------------------------------- */

/* A FIFO of traces, shared by the whole walk as revm-inspectors' is. */
typedef struct {
    json_t **v;
    size_t head, n, cap;
} trace_fifo;

static void fifo_push(trace_fifo *q, json_t *t) {
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 8;
        q->v = realloc(q->v, q->cap * sizeof *q->v);
        if (!q->v) abort();
    }
    q->v[q->n++] = t;
}

static json_t *fifo_pop(trace_fifo *q) { return q->head < q->n ? q->v[q->head++] : NULL; }

static json_t *new_trace(json_t *ops) {
    json_t *t = trace_take(json_object());
    trace_set(t, "code", json_string("0x"));
    trace_set(t, "ops", ops);
    return t;
}

/* The node's instructions with their subs popped off the FIFO; NULL when
 * the first is STOP and the frame entered last ended with STOP (the whole
 * trace is then empty). */
static json_t *node_ops(tr_vm *v, vm_node *nd, trace_fifo *q) {
    json_t *out = trace_take(json_array());
    size_t i;
    json_t *op;
    json_array_foreach(nd->ops, i, op) {
        const char *name = json_string_value(json_object_get(op, "op"));
        if (i == 0 && v->last_entered_stop && name && !strcmp(name, "STOP")) {
            json_decref(out);
            return NULL;
        }
        if (json_object_get(op, "_sub")) {
            json_object_del(op, "_sub");
            json_t *sub = fifo_pop(q);
            if (sub) trace_set(op, "sub", sub);
        }
        trace_append(out, json_incref(op));
    }
    return out;
}

/* Fills the traces' code: the tree of traces and the tree of (attached)
 * frames, both breadth first, paired in order (populate_vm_trace_bytecodes). */
static void fill_code(trace_run *r, json_t *root) {
    tr_vm *v = &r->vm;
    trace_fifo traces = {0};
    int *order = malloc((size_t)(v->n_nodes + 1) * sizeof *order);
    if (!order) abort();
    size_t n_order = 0, k = 0;
    order[n_order++] = 0;
    for (size_t i = 0; i < n_order; i++)
        for (int c = 0; c < v->nodes[order[i]].n_children; c++) order[n_order++] = v->nodes[order[i]].children[c];
    fifo_push(&traces, root);
    json_t *t;
    while ((t = fifo_pop(&traces)) && k < n_order) {
        size_t i;
        json_t *op;
        json_array_foreach(json_object_get(t, "ops"), i, op) {
            json_t *sub = json_object_get(op, "sub");
            if (json_is_object(sub)) fifo_push(&traces, sub);
        }
        trace_set(t, "code", code_hex(r->pre, &v->nodes[order[k++]].code_addr));
    }
    free(traces.v);
    free(order);
}

json_t *vm_result(trace_run *r) {
    tr_vm *v = &r->vm;
    if (!v->n_nodes) return json_null();
    if (v->pending) complete(v, 0, trace_take(json_array()));
    /* post-order over the attached frames, one FIFO of finished traces for
     * all of them (a frame's calls take the oldest unclaimed traces) */
    trace_fifo q = {0};
    int *next_child = calloc((size_t)v->n_nodes, sizeof *next_child);
    if (!next_child) abort();
    json_t *root = NULL;
    int cur = 0;
    for (;;) {
        vm_node *nd = &v->nodes[cur];
        if (next_child[cur] < nd->n_children) {
            cur = nd->children[next_child[cur]++];
            continue;
        }
        json_t *ops = node_ops(v, nd, &q);
        if (!ops) { /* revm-inspectors' "single STOP optimised away" */
            root = new_trace(trace_take(json_array()));
            break;
        }
        if (nd->parent < 0) {
            root = new_trace(ops);
            break;
        }
        fifo_push(&q, new_trace(ops));
        cur = nd->parent;
    }
    while (q.head < q.n) json_decref(q.v[q.head++]);
    free(q.v);
    free(next_child);
    fill_code(r, root);
    return root;
}
