/* Helpers shared by the block-layer sources (block.c, header.c); not part of
 * the public contracts in block.h and tx.h. */
#ifndef PAREVM_BLOCK_INTERNAL_H
#define PAREVM_BLOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Formats a decoding error into err (if given) and returns false. (Named
 * for the chain layer these codecs came from.) */
bool chain_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
