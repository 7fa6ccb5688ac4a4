/* Placeholders for commands whose implementation has not landed yet. */
#include <stdio.h>
#include "commands.h"

int cmd_statetest(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "parevm statetest: not implemented yet\n");
    return 2;
}
