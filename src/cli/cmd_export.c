/* parevm export: writes canonical blocks of a store as an RLP chain file
 * (blocks concatenated), as geth's export does: the whole chain from block 0
 * into a new file, or blocks FIRST..LAST appended to the file; FILE.gz is
 * gzip-compressed. parevm import (and geth's and reth's) reads it back. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain_import.h"

static int usage(void) {
    fprintf(stderr, "usage: parevm export --datadir DIR FILE [FIRST [LAST]]\n"
                    "  writes canonical blocks as RLP, concatenated: blocks 0 to the head into a new FILE,\n"
                    "  or FIRST to LAST (default: the head) appended to FILE; gzip when FILE ends in .gz\n");
    return 2;
}

static bool parse_number(const char *s, uint64_t *out) {
    long v;
    if (!cli_parse_long(s, 0, LONG_MAX, &v)) return false;
    *out = (uint64_t)v;
    return true;
}

/* Writes blocks first..last of s to f; NULL or why not. */
static const char *write_blocks(db_snapshot *s, gzFile f, uint64_t first, uint64_t last, uint64_t *bytes) {
    buf_t rlp = {0};
    const char *err = NULL;
    for (uint64_t n = first; !err && n <= last; n++) {
        bytes32 hash;
        buf_clear(&rlp);
        if ((err = db_canonical_hash(s, n, &hash)) || (err = chain_read_block_rlp(s, n, &hash, &rlp))) break;
        for (size_t off = 0; !err && off < rlp.len;) {
            size_t part = rlp.len - off < (1u << 30) ? rlp.len - off : (1u << 30);
            if (gzwrite(f, rlp.data + off, (unsigned)part) != (int)part) err = "write error";
            off += part;
        }
        *bytes += rlp.len;
    }
    buf_free(&rlp);
    return err;
}

int cmd_export(int argc, char **argv) {
    const char *dir = NULL, *args[3];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--datadir") && i + 1 < argc) dir = argv[++i];
        else if (argv[i][0] != '-' && nargs < 3) args[nargs++] = argv[i];
        else return usage();
    }
    uint64_t first = 0, last = UINT64_MAX;
    if (!dir || !nargs || (nargs > 1 && !parse_number(args[1], &first)) ||
        (nargs > 2 && !parse_number(args[2], &last)) || first > last)
        return usage();
    const char *file = args[0];
    db *d;
    const char *err = db_open(dir, &(db_options){.existing = true}, &d);
    if (err) {
        fprintf(stderr, "parevm export: %s: %s\n", dir, err);
        return 1;
    }
    db_snapshot *s = NULL;
    uint64_t head = 0;
    if (!(err = db_snapshot_open(d, 1, &s)) && (err = db_head(s, &head, NULL)) == DB_NOT_FOUND)
        err = "the store holds no chain";
    if (!err && nargs > 2 && last > head) err = "LAST is above the head";
    if (!err && first > head) err = "FIRST is above the head";
    if (err) {
        fprintf(stderr, "parevm export: %s\n", err);
        db_snapshot_close(s);
        db_close(d);
        return 1;
    }
    if (last > head) last = head;
    /* geth's modes: a range is appended, the whole chain replaces the file;
     * "T" writes a plain file through the same calls */
    char mode[4] = {nargs > 1 ? 'a' : 'w', 'b', cli_ends_with(file, ".gz") ? '\0' : 'T', '\0'};
    gzFile f = gzopen(file, mode);
    uint64_t bytes = 0;
    if (!f) {
        err = "cannot open the file for writing";
    } else {
        err = write_blocks(s, f, first, last, &bytes);
        if (gzclose(f) != Z_OK && !err) err = "write error";
    }
    db_snapshot_close(s);
    db_close(d);
    if (err) {
        fprintf(stderr, "parevm export: %s: %s\n", file, err);
        /* no partial chain left to import (a device such as /dev/full stays) */
        struct stat st;
        if (f && mode[0] == 'w' && !stat(file, &st) && S_ISREG(st.st_mode)) unlink(file);
        return 1;
    }
    printf("exported blocks %llu to %llu (%llu bytes of RLP) to %s\n", (unsigned long long)first,
           (unsigned long long)last, (unsigned long long)bytes, file);
    return 0;
}
