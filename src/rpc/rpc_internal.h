/* Helpers shared by the files of src/rpc (not a public contract). */
#ifndef PAREVM_RPC_INTERNAL_H
#define PAREVM_RPC_INTERNAL_H

#include <jansson.h>
#include "parevm/types.h"

/* Returns v; aborts when it is NULL (jansson's out-of-memory result). */
json_t *rpc_json_take(json_t *v);
/* Whether p[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool rpc_utf8_valid(const uint8_t *p, size_t len);
/* A JSON string of s with every byte that is not part of well-formed UTF-8
 * replaced by '?' (jansson refuses invalid UTF-8). */
json_t *rpc_json_string_lossy(const char *s);

#endif
