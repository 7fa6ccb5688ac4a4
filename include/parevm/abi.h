/* Revert data as Solidity writes it: Error(string) and Panic(uint256).
 *
 * One decoder for every place that words a revert: eth_call's error (geth's
 * accounts/abi.UnpackRevert), the callTracer's revertReason, and the dev
 * node's anvil-style reasons (alloy's and Foundry's decoders). Nothing here
 * allocates; decoded strings point into the caller's data. */
#ifndef PAREVM_ABI_H
#define PAREVM_ABI_H

#include "u256.h"

typedef enum {
    ABI_REVERT_NONE,  /* neither selector, or a body that does not decode */
    ABI_REVERT_ERROR, /* Error(string) (selector 08c379a0) */
    ABI_REVERT_PANIC, /* Panic(uint256) (selector 4e487b71) */
} abi_revert_kind;

/* The string ABI-encoded at d[0..n): an offset word, then at that offset a
 * length word and the bytes, every part inside d. Needs a head and a
 * length word (n >= 64). On success *s and *len point into d (*len may be
 * 0); the bytes are not checked as UTF-8. */
bool abi_decode_string(const uint8_t *d, size_t n, const uint8_t **s, size_t *len);

/* What revert data holds. ERROR sets *s and *len (into data); PANIC sets
 * *code (the whole word: the data may go on after it, as geth reads it). */
abi_revert_kind abi_decode_revert(const uint8_t *data, size_t n, const uint8_t **s, size_t *len, u256 *code);

/* A panic code's meaning in geth's words (accounts/abi's panicReasons) or
 * in alloy's (Foundry, anvil); NULL for a code Solidity does not define. */
const char *abi_panic_reason_geth(const u256 *code);
const char *abi_panic_reason_alloy(const u256 *code);

#endif
