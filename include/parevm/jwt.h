/* Engine API authentication (execution-apis, authentication.md): HS256 JSON
 * Web Tokens over a 32-byte shared secret, and the secret's file (64 hex
 * digits, optional 0x; generated with mode 0600 when missing). */
#ifndef PAREVM_JWT_H
#define PAREVM_JWT_H

#include "types.h"

#define JWT_SECRET_LEN 32
#define JWT_IAT_WINDOW_S 60   /* |now - iat| allowed */
#define JWT_MAX_TOKEN_LEN 4096

/* Parses the secret text (whitespace around it and a 0x prefix allowed;
 * exactly 64 hex digits). */
bool jwt_secret_parse(const char *text, uint8_t secret[JWT_SECRET_LEN]);

/* Reads the secret from path; when the file does not exist, generates a
 * random secret (OpenSSL RAND_bytes), writes it there as 0x-prefixed hex with
 * mode 0600 and sets *created (may be NULL). Returns false with a message in
 * err on a malformed or unreadable file. */
bool jwt_secret_load(const char *path, uint8_t secret[JWT_SECRET_LEN], bool *created, char *err,
                     size_t errlen);

/* Checks a compact JWS token (the text after "Bearer "): alg must be HS256
 * (so "none" and every other algorithm are refused), the signature the HMAC
 * of secret, the payload an object with an "iat" claim within
 * JWT_IAT_WINDOW_S of now (seconds since the epoch), and "exp", if present,
 * not past. Returns NULL when valid, else a static reason. */
const char *jwt_verify(const uint8_t secret[JWT_SECRET_LEN], const char *token, size_t len, int64_t now);

/* Writes an HS256 token {"alg":"HS256","typ":"JWT"}.{"iat":iat} (as a
 * consensus client sends) into out; returns its length, or 0 if cap (which
 * must leave room for the NUL) is too small. */
size_t jwt_make(const uint8_t secret[JWT_SECRET_LEN], int64_t iat, char *out, size_t cap);

#endif
