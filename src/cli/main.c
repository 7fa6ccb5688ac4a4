/* parevm command-line entry point: dispatches to the subcommands listed in
 * commands.h. */
#include <malloc.h>
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

/* Per-block work (trie update logs, work sets, receipts) allocates and frees
 * buffers of a few MiB every block. glibc's defaults serve those with fresh
 * mmaps and give freed heap tops back to the kernel, so every block paid
 * page faults again (about 10% of an import's time). Keep them instead:
 * peak RSS is unchanged, as the same sizes are reused block after block. */
static void tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
}

int main(int argc, char **argv) {
    tune_malloc();
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
