/* The exception names of the test fixtures ("expectException" in state and
 * blockchain tests: TransactionException.INTRINSIC_GAS_TOO_LOW,
 * BlockException.INVALID_GASLIMIT, the older TR_NoFunds, IntrinsicGas...)
 * and the rejection reasons of parevm each one stands for.
 *
 * parevm's reasons are the static strings that tx_check_static,
 * exec_transaction, block execution, header validation and the blocktest
 * runner return; those strings are the identifiers the table in
 * exceptions.c maps to. A new rejection reason needs one row there. */
#ifndef PAREVM_CLI_EXCEPTIONS_H
#define PAREVM_CLI_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    EXC_MATCH,    /* the reason is one the expected name(s) stand for */
    EXC_MISMATCH, /* rejected, but for another kind of reason */
    EXC_UNKNOWN,  /* a name the table does not know (written to unknown) */
} exc_match;

/* Checks a rejection reason against an expectException value: one name, or
 * alternatives "A|B" of which any may match. Every alternative must be a
 * known name, whatever the reason. */
exc_match exception_match(const char *expected, const char *reason, char *unknown, size_t unknown_len);

/* Whether every alternative of expected is a known name (the first unknown
 * one goes to unknown). */
bool exception_known(const char *expected, char *unknown, size_t unknown_len);

/* The blocktest runner's reason for a block whose RLP does not decode (the
 * decoder's message says where). */
#define REASON_BLOCK_RLP "block RLP does not decode"

/* The statetest runner's reasons for transaction fields no transaction can
 * carry (geth rejects the transaction, it does not fail the test). */
#define REASON_TX_VALUE_OVERFLOW "transaction value exceeds 256 bits"
#define REASON_TX_NONCE_OVERFLOW "transaction nonce exceeds 2^64-1"
#define REASON_TX_AUTH_OVERFLOW "authorization nonce or y parity out of range"

/* geth's wording of a rejection reason (its t8n's "rejected" errors: "gas
 * limit reached" for "gas limit exceeds block gas limit"...), or reason
 * itself where geth's is the same or has no counterpart. */
const char *exception_geth_text(const char *reason);

/* For tests: the i-th (name, reason) row, false past the end. */
bool exception_row(size_t i, const char **name, const char **reason);
/* For tests: the i-th (reason, geth's text) row, false past the end. */
bool exception_geth_row(size_t i, const char **reason, const char **geth);

#endif
