/* geth's command-line options that shape an EIP-3155 trace (the tracer
 * itself: parevm/trace_json.h). */
#include "trace.h"
#include "cli_util.h"
#include <string.h>

/* "--name" or "--name=true|false" into *out; whether arg is --name. */
static bool bool_flag(const char *arg, const char *name, bool *out, bool *ok) {
    size_t n = strlen(name);
    if (strncmp(arg, name, n) || (arg[n] && arg[n] != '=')) return false;
    *out = !arg[n] || !strcmp(arg + n + 1, "true");
    *ok = !arg[n] || *out || !strcmp(arg + n + 1, "false");
    return true;
}

bool json_trace_option(const char *arg, json_trace_opts *o, bool *ok) {
    return bool_flag(arg, "--trace.memory", &o->memory, ok) || bool_flag(arg, "--trace.nostack", &o->no_stack, ok) ||
           bool_flag(arg, "--trace.returndata", &o->return_data, ok);
}

bool json_trace_geth_option(int argc, char **argv, int *i, json_trace_opts *o, bool *ok) {
    const char *arg = argv[*i], *v;
    bool off = false, ignored;
    *ok = true;
    if ((v = cli_option_value(argc, argv, i, "--trace.format"))) {
        *ok = !strcmp(v, "json");
        return true;
    }
    if (bool_flag(arg, "--trace.nomemory", &off, ok) || bool_flag(arg, "--nomemory", &off, ok)) {
        if (*ok) o->memory = !off;
        return true;
    }
    if (bool_flag(arg, "--trace.noreturndata", &off, ok) || bool_flag(arg, "--noreturndata", &off, ok)) {
        if (*ok) o->return_data = !off;
        return true;
    }
    return bool_flag(arg, "--nostack", &o->no_stack, ok) || bool_flag(arg, "--trace.nostorage", &ignored, ok) ||
           bool_flag(arg, "--nostorage", &ignored, ok);
}

