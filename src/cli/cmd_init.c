/* parevm init: writes a geth genesis file's block 0 (configuration,
 * allocation, header) into a new store and prints the genesis hash. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/state_root.h"

static int usage(void) {
    fprintf(stderr, "usage: parevm init --datadir DIR GENESIS.json\n"
                    "  writes the genesis (geth's genesis JSON: config, alloc, header fields) as block 0\n");
    return 2;
}

/* The state root of a genesis allocation, built in memory (chain_init
 * compares a store's block 0 with the header only). */
static bytes32 alloc_root(const change_set *alloc) {
    mem_state *s = mem_state_new();
    mem_state_apply(s, alloc);
    bytes32 root = mem_state_root(s);
    mem_state_free(s);
    return root;
}

/* A failed init leaves nothing behind: a datadir it created would read as
 * an empty store to the commands after it. */
static void remove_new_store(const char *dir, bool had_dir) {
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    char path[4096];
    for (size_t i = 0; i < 2; i++)
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, files[i]) < sizeof path) unlink(path);
    if (!had_dir) rmdir(dir);
}

int cmd_init(int argc, char **argv) {
    const char *dir = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--datadir") && i + 1 < argc) dir = argv[++i];
        else if (argv[i][0] != '-' && !file) file = argv[i];
        else return usage();
    }
    if (!dir || !file) return usage();
    char jerr[300];
    json_t *g = cli_json_load(file, jerr, sizeof jerr);
    if (!g) {
        fprintf(stderr, "parevm init: %s\n", jerr);
        return 1;
    }
    struct stat st;
    bool had_dir = !stat(dir, &st), had_store = db_exists(dir);
    db *d;
    const char *err = db_open(dir, NULL, &d);
    if (err) {
        fprintf(stderr, "parevm init: %s: %s\n", dir, err);
        json_decref(g);
        if (!had_store) remove_new_store(dir, had_dir);
        return 1;
    }
    chain_genesis gen;
    char perr[300];
    int status = 1;
    if (!chain_genesis_from_json(g, db_codes(d), &gen, perr, sizeof perr)) {
        fprintf(stderr, "parevm init: %s: %s\n", file, perr);
    } else {
        block_header h = chain_genesis_header(&gen), out;
        err = chain_init(d, &gen.config, &h, &gen.alloc, &out);
        /* a store that held block 0 already: the file's allocation must be
         * its state too, as geth's SetupGenesisBlock compares the whole
         * genesis hash (GenesisMismatchError) */
        if (!err && had_store) {
            bytes32 root = alloc_root(&gen.alloc);
            if (!bytes32_eq(&root, &out.state_root))
                err = "the store already holds another chain (the same genesis header, another allocation)";
        }
        if (err) {
            fprintf(stderr, "parevm init: %s\n", err);
        } else {
            char hash[67], root[67];
            hex_encode(out.hash.b, 32, hash);
            hex_encode(out.state_root.b, 32, root);
            printf("genesis hash %s\nstate root %s\naccounts %zu\n", hash, root, gen.alloc.n_accounts);
            status = 0;
        }
        chain_genesis_free(&gen);
    }
    db_close(d);
    json_decref(g);
    if (status && !had_store) remove_new_store(dir, had_dir);
    return status;
}
