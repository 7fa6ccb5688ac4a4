/* Helpers shared by the block-layer sources (block.c, header.c, tx.c, tx_network.c); not part of
 * the public contracts in block.h and tx.h. */
#ifndef PAREVM_BLOCK_INTERNAL_H
#define PAREVM_BLOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "parevm/rlp.h"
#include "parevm/tx.h"

/* Formats a decoding error into err (if given) and returns false. (Named
 * for the chain layer these codecs came from.) */
bool chain_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Decodes the RLP list of a typed transaction's fields (type >= 1) into
 * out, as tx_decode does for type || list; the hash is of type || list. */
bool tx_decode_payload(uint8_t type, const rlp_item *list, transaction *out, char *err, size_t errlen);

#endif
