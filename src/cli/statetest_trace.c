/* statetest --tracer, --tracer-config and --check-trace (statetest_trace.h). */
#include "statetest_trace.h"
#include <stdio.h>
#include <stdlib.h>
#include "parevm/hex.h"
#include "trace.h"

int st_tracing_option(st_tracing *t, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--check-trace")) {
        t->check = true;
        return 1;
    }
    if (strcmp(a, "--tracer") && strcmp(a, "--tracer-config")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "parevm statetest: %s needs a value\n", a);
        return -1;
    }
    if (!strcmp(a, "--tracer"))
        t->tracer = argv[++*i];
    else
        t->config = argv[++*i];
    t->emit = true;
    return 1;
}

bool st_tracing_ready(st_tracing *t) {
    json_error_t je;
    json_t *cfg = t->config ? json_loads(t->config, 0, &je) : json_object();
    if (!cfg) {
        fprintf(stderr, "parevm statetest: --tracer-config: %s\n", je.text);
        return false;
    }
    /* the opcode logger has no name in geth: any other NAME selects a tracer */
    if (t->tracer && strcmp(t->tracer, "structLogger") && json_is_object(cfg))
        json_object_set_new(cfg, "tracer", json_string(t->tracer));
    char err[256];
    bool ok = trace_config_parse(cfg, &t->cfg, err, sizeof err);
    json_decref(cfg);
    t->cfg.has_timeout = false; /* geth's evm statetest traces without a deadline */
    t->cfg.timeout_error[0] = 0;
    if (!ok) fprintf(stderr, "parevm statetest: tracer config: %s\n", err);
    return ok;
}

/* ---- --check-trace ---- */

/* The checks below describe a mismatch into why (WHY_CAP bytes: st_tracing's)
 * and return it. */
enum { WHY_CAP = sizeof ((st_tracing *)0)->why };

static const char *mismatch(char *why, size_t i, const char *field, const json_t *a, const json_t *b) {
    char *x = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT), *y = json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(why, WHY_CAP, "step %zu: %s is %.120s in the EIP-3155 trace, %.120s in structLogs", i, field,
             x ? x : "?", y ? y : "?");
    free(x);
    free(y);
    return why;
}

/* One EIP-3155 line against one structLog entry. */
static const char *compare_step(char *why, size_t i, json_t *line, json_t *entry) {
    char name[32];
    json_t *op = json_object_get(line, "op");
    const char *want_op = json_is_integer(op) ? trace_op_name((uint8_t)json_integer_value(op), name) : "?";
    if (!json_equal(json_object_get(line, "pc"), json_object_get(entry, "pc")))
        return mismatch(why, i, "pc", json_object_get(line, "pc"), json_object_get(entry, "pc"));
    if (strcmp(want_op, json_string_value(json_object_get(entry, "op")) ? json_string_value(json_object_get(entry, "op")) : ""))
        return mismatch(why, i, "op", op, json_object_get(entry, "op"));
    uint64_t gas = 0;
    const char *g = json_string_value(json_object_get(line, "gas"));
    if (!g || !hex_to_u64(g, &gas) || (json_int_t)gas != json_integer_value(json_object_get(entry, "gas")))
        return mismatch(why, i, "gas", json_object_get(line, "gas"), json_object_get(entry, "gas"));
    if (!json_equal(json_object_get(line, "depth"), json_object_get(entry, "depth")))
        return mismatch(why, i, "depth", json_object_get(line, "depth"), json_object_get(entry, "depth"));
    if (!json_equal(json_object_get(line, "stack"), json_object_get(entry, "stack")))
        return mismatch(why, i, "stack", json_object_get(line, "stack"), json_object_get(entry, "stack"));
    return NULL;
}

/* gasCost of an instruction is the gas it leaves the next instruction of its
 * frame, except where geth counts otherwise: the CALL family (the callee's
 * gas is in the cost), CREATE (the callee's gas is not), a failed step. */
static const char *check_costs(char *why, json_t *logs) {
    size_t n = json_array_size(logs);
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *e = json_array_get(logs, i), *next = json_array_get(logs, i + 1);
        if (json_integer_value(json_object_get(e, "depth")) != json_integer_value(json_object_get(next, "depth")))
            continue;
        const char *op = json_string_value(json_object_get(e, "op"));
        static const char *const nested[] = {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"};
        bool skip = !op || json_object_get(e, "error");
        for (size_t k = 0; !skip && k < sizeof nested / sizeof nested[0]; k++) skip = !strcmp(op, nested[k]);
        if (skip) continue;
        json_int_t cost = json_integer_value(json_object_get(e, "gasCost"));
        json_int_t used = json_integer_value(json_object_get(e, "gas")) - json_integer_value(json_object_get(next, "gas"));
        if (cost != used) {
            snprintf(why, WHY_CAP, "step %zu (%s): gasCost %lld but the next step has %lld less gas", i, op,
                     (long long)cost, (long long)used);
            return why;
        }
    }
    return NULL;
}

static const char *compare(char *why, const char *lines, json_t *trace) {
    json_t *logs = json_object_get(trace, "structLogs");
    size_t n = 0;
    const char *p = lines;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_t *line = json_loadb(p, len, 0, NULL);
        if (!line) return "unreadable EIP-3155 line";
        if (json_object_get(line, "pc")) { /* not the summary line */
            json_t *entry = json_array_get(logs, n);
            const char *w = entry ? compare_step(why, n, line, entry) : "structLogs has fewer steps";
            json_decref(line);
            if (w) return w;
            n++;
        } else {
            json_decref(line);
        }
        p += len + (end ? 1 : 0);
    }
    if (n != json_array_size(logs)) {
        snprintf(why, WHY_CAP, "%zu steps in the EIP-3155 trace, %zu in structLogs", n, json_array_size(logs));
        return why;
    }
    return check_costs(why, logs);
}

const char *st_tracing_run(st_tracing *t, executor *ex, const block_env *env, state_view view, code_store *codes,
                           const transaction *tx, tx_result *res, const char *label) {
    char err[256];
    const char *bad = NULL;
    if (t->check) {
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&text, &size);
        if (!mem) abort();
        json_tracer jt;
        json_tracer_init(&jt, mem);
        executor_set_tracer(ex, &jt.base);
        exec_transaction(ex, env, view, codes, tx, 0, res);
        executor_set_tracer(ex, NULL);
        fclose(mem);
        trace_config plain = {.kind = TRACER_STRUCT_LOG};
        json_t *trace = trace_tx_on(&plain, ex, env, view, codes, tx, 0, 0, false, res, err, sizeof err);
        if (trace) bad = compare(t->why, text, trace);
        else if (res->valid) bad = "the opcode logger failed on a valid transaction";
        json_decref(trace);
        free(text);
    }
    if (t->emit) {
        json_t *trace = trace_tx_on(&t->cfg, ex, env, view, codes, tx, 0, 0, false, res, err, sizeof err);
        json_t *line = json_pack("{s:s,s:o}", "case", label, trace ? "result" : "error",
                                 trace ? trace : json_string(err));
        char *s = trace_dumps(line);
        printf("%s\n", s);
        free(s);
        json_decref(line);
    }
    if (!t->check && !t->emit) exec_transaction(ex, env, view, codes, tx, 0, res);
    return bad;
}
