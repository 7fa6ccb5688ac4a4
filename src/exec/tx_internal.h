/* Helpers shared by the transaction sources (tx.c, tx_sign.c, tx_rules.c);
 * not part of the public contract in tx.h. */
#ifndef PAREVM_EXEC_TX_INTERNAL_H
#define PAREVM_EXEC_TX_INTERNAL_H

#include "parevm/rlp.h"
#include "parevm/tx.h"

/* The secp256k1 group order n and n / 2 (the EIP-2 bound on s). */
extern const u256 TX_SECP256K1N, TX_SECP256K1N_HALF;

/* The ECDSA recovery id that v encodes for this transaction's type (27/28,
 * EIP-155 chain_id*2+35/36, or the typed y parity); false if v is invalid. */
bool tx_signature_recid(const transaction *tx, int *recid);

/* r and s in [1, n-1]; with homestead also s <= n/2. */
bool tx_signature_values_ok(const transaction *tx, bool homestead);

#endif
