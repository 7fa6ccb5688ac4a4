/* parevm command-line entry point: dispatches to the subcommands listed in
 * commands.h. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

typedef struct {
    const char *name, *help;
    int (*fn)(int, char **);
} command;

#define COMMAND_ROW(name, help) {#name, help, cmd_##name},
static const command commands[] = {PAREVM_COMMANDS(COMMAND_ROW)};

static void usage(FILE *f) {
    fprintf(f, "usage: parevm <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    /* one line at a time even into a pipe or file: the FAIL lines already
     * printed must survive a run that dies */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "parevm: unknown command '%s' (see parevm --help)\n", argv[1]);
    return 2;
}
