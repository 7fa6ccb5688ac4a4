/* EIP-712 typed structured data hashing (eip712.c), for dev mode's
 * eth_signTypedData_v4 (rpc_sign.c): encodeType, hashStruct and the digest
 * keccak256(0x1901 || domainSeparator || hashStruct(message)) of a typed
 * data object {types, primaryType, domain, message}. Internal to the node;
 * the unit tests include it to check the digests themselves. */
#ifndef PAREVM_NODE_EIP712_H
#define PAREVM_NODE_EIP712_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting of structs and arrays (and of struct references while the
 * dependencies are collected) beyond which input is refused. */
#define EIP712_MAX_DEPTH 64

/* The digest to sign for typed (an object; a JSON string holding one is the
 * caller's to parse). With primaryType "EIP712Domain" the message is not
 * hashed: keccak256(0x1901 || domainSeparator). On malformed input returns
 * false with a message (naming the field or type) in why. */
bool eip712_digest(const json_t *typed, uint8_t out[32], char *why, size_t cap);

/* encodeType of the struct `name` under `types` ("Mail(Person from,...)"
 * followed by the referenced structs sorted by name): a malloc'd string, or
 * NULL with a message in why. */
char *eip712_encode_type(const json_t *types, const char *name, char *why, size_t cap);

#endif
