/* parevm command-line entry point: dispatches to the subcommands listed in
 * commands.h. */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "parevm/version.h"

typedef struct {
    const char *name, *help;
    int (*fn)(int, char **);
} command;

#define COMMAND_ROW(name, help) {#name, help, cmd_##name},
static const command commands[] = {PAREVM_COMMANDS(COMMAND_ROW)};

static void usage(FILE *f) {
    fprintf(f, "usage: parevm <command> [options] [args]   (parevm <command> --help: its options;\n"
               "       parevm --version)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

/* Per-block work (trie update logs, work sets, receipts) allocates and frees
 * buffers of a few MiB every block. glibc's defaults serve those with fresh
 * mmaps and give freed heap tops back to the kernel, so every block paid
 * page faults again (about 10% of an import's time). Keep them instead:
 * peak RSS is unchanged, as the same sizes are reused block after block.
 * The commands run on threads of their own (a big stack, worker pools),
 * whose malloc arenas ignore the trim threshold: glibc unmaps a thread
 * arena's whole 64 MiB heap as soon as its top is free, so a block's state
 * and receipts were mapped and faulted in anew each block (bench gigagas
 * transfers: 54 ms sequential with one arena, 172 ms with an arena per
 * thread). One arena keeps them; small allocations stay in each thread's
 * cache without the arena's lock. The node keeps an arena per thread: its
 * requests run on many threads at once. */
static void tune_malloc(const char *command) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    if (command && strcmp(command, "node")) mallopt(M_ARENA_MAX, 1);
}

/* "parevm CMD ... --help": the command is run with nothing but "--help"
 * (and bench its subcommand), so it does no work and prints its usage as
 * for a usage error (stderr, status 2); asked for, the usage goes to stdout
 * with status 0. */
static bool asks_help(int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
    return false;
}

static int run_command(const command *c, int argc, char **argv) {
    if (!asks_help(argc, argv)) return c->fn(argc - 1, argv + 1);
    char *help[] = {argv[1], "--help", NULL, NULL};
    int n = 2;
    if (!strcmp(c->name, "bench") && argv[2][0] != '-') help[1] = argv[2], help[2] = "--help", n = 3;
    fflush(stderr);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    int status = c->fn(n, help);
    return status == 2 ? 0 : status;
}

/* Called as "evm" (a link named like geth's tool, for harnesses written for
 * it: execution-spec-tests' fill recognises a t8n tool by its version line). */
static bool called_evm(const char *argv0) {
    const char *base = strrchr(argv0, '/');
    return !strcmp(base ? base + 1 : argv0, "evm");
}

/* geth's evm takes some flags before the command ("evm --verbosity 3
 * --json statetest F"): they are moved after it (--verbosity and its value
 * dropped: parevm logs nothing to set a level for). Rewrites argv in place;
 * returns the new argc. */
static int command_first(int argc, char **argv) {
    int i = 1, n = 1;
    char *lead[16];
    int n_lead = 0;
    while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--help") && strcmp(argv[i], "-h") &&
           strcmp(argv[i], "--version") && strcmp(argv[i], "-v") && n_lead < 16) {
        if (!strcmp(argv[i], "--verbosity") && i + 1 < argc) i += 2;
        else if (!strncmp(argv[i], "--verbosity=", 12)) i++;
        else lead[n_lead++] = argv[i++];
    }
    if (i == 1 || i >= argc) return argc; /* nothing moved, or no command after the flags */
    argv[n++] = argv[i++];                /* the command */
    for (int k = 0; k < n_lead; k++) argv[n++] = lead[k];
    while (i < argc) argv[n++] = argv[i++];
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv) {
    argc = command_first(argc, argv);
    tune_malloc(argc > 1 ? argv[1] : NULL);
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
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v") || !strcmp(argv[1], "version")) {
        if (called_evm(argv[0])) printf("evm version %s-parevm\n", PAREVM_VERSION);
        else printf("parevm version %s\n", PAREVM_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return run_command(&commands[i], argc, argv);
    fprintf(stderr, "parevm: unknown command '%s' (see parevm --help)\n", argv[1]);
    return 2;
}
