/* Basic fixed-size Ethereum types shared by every layer. */
#ifndef PAREVM_TYPES_H
#define PAREVM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A 20-byte account address, big-endian as on the wire. */
typedef struct { uint8_t b[20]; } address;

/* A 32-byte hash or word, big-endian as on the wire. */
typedef struct { uint8_t b[32]; } bytes32;

/* A byte string that does not own its memory. */
typedef struct { const uint8_t *data; size_t len; } byte_span;

static inline bool address_eq(const address *a, const address *b) {
    return memcmp(a->b, b->b, 20) == 0;
}
static inline bool bytes32_eq(const bytes32 *a, const bytes32 *b) {
    return memcmp(a->b, b->b, 32) == 0;
}
static inline bool bytes32_is_zero(const bytes32 *a) {
    static const bytes32 z;
    return memcmp(a->b, z.b, 32) == 0;
}

/* keccak256 of the empty string: the code hash of an account without code. */
extern const bytes32 EMPTY_CODE_HASH;
/* keccak256(rlp("")) = root of the empty trie. */
extern const bytes32 EMPTY_TRIE_ROOT;
/* keccak256(rlp([])) = hash of an empty ommers list / empty log list. */
extern const bytes32 EMPTY_LIST_HASH;

#endif
