/* BIP-39 seeds and BIP-32 derivation (OpenSSL for PBKDF2 and HMAC-SHA512,
 * libsecp256k1 for the public keys and the tweak add). */
#include "parevm/hdkeys.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <secp256k1.h>
#include "parevm/tx.h"

void bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64]) {
    if (!passphrase) passphrase = "";
    size_t plen = strlen(passphrase);
    char *salt = malloc(8 + plen + 1);
    if (!salt) abort();
    memcpy(salt, "mnemonic", 8);
    memcpy(salt + 8, passphrase, plen + 1);
    if (PKCS5_PBKDF2_HMAC(mnemonic, (int)strlen(mnemonic), (const unsigned char *)salt, (int)(8 + plen), 2048,
                          EVP_sha512(), 64, seed) != 1)
        abort(); /* fails only when out of memory */
    free(salt);
}

static void hmac_sha512(const uint8_t *key, size_t klen, const uint8_t *msg, size_t len, uint8_t out[64]) {
    unsigned int n = 0;
    if (!HMAC(EVP_sha512(), key, (int)klen, msg, len, out, &n) || n != 64) abort();
}

/* A context able to compute public keys; created per derivation so that
 * nothing global is shared (derivation is rare: dev-mode start-up). */
static secp256k1_context *new_context(void) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) abort();
    return ctx;
}

bool bip32_master(const uint8_t *seed, size_t len, bip32_key *out) {
    if (len < 16 || len > 64) return false;
    uint8_t I[64];
    hmac_sha512((const uint8_t *)"Bitcoin seed", 12, seed, len, I);
    memcpy(out->key, I, 32);
    memcpy(out->chain_code, I + 32, 32);
    return secp256k1_ec_seckey_verify(secp256k1_context_static, out->key) == 1;
}

static bool child_with(secp256k1_context *ctx, const bip32_key *parent, uint32_t index, bip32_key *out) {
    uint8_t data[37];
    if (index >= BIP32_HARDENED) {
        data[0] = 0;
        memcpy(data + 1, parent->key, 32);
    } else {
        secp256k1_pubkey pub;
        size_t n = 33;
        if (!secp256k1_ec_pubkey_create(ctx, &pub, parent->key) ||
            !secp256k1_ec_pubkey_serialize(ctx, data, &n, &pub, SECP256K1_EC_COMPRESSED))
            return false;
    }
    data[33] = (uint8_t)(index >> 24);
    data[34] = (uint8_t)(index >> 16);
    data[35] = (uint8_t)(index >> 8);
    data[36] = (uint8_t)index;
    uint8_t I[64];
    hmac_sha512(parent->chain_code, 32, data, sizeof data, I);
    /* k_i = parse256(IL) + k_par (mod n); invalid if IL >= n or k_i == 0,
     * which the tweak add reports. */
    memcpy(out->key, parent->key, 32);
    memcpy(out->chain_code, I + 32, 32);
    return secp256k1_ec_seckey_tweak_add(ctx, out->key, I) == 1;
}

bool bip32_child(const bip32_key *parent, uint32_t index, bip32_key *out) {
    secp256k1_context *ctx = new_context();
    bool ok = child_with(ctx, parent, index, out);
    secp256k1_context_destroy(ctx);
    return ok;
}

/* Parses one path step ("44'", "0"); returns the rest of the path or NULL. */
static const char *path_step(const char *p, uint32_t *index) {
    if (*p < '0' || *p > '9') return NULL;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p++ - '0');
        if (v >= BIP32_HARDENED) return NULL;
    }
    if (*p == '\'' || *p == 'h' || *p == 'H') {
        v |= BIP32_HARDENED;
        p++;
    }
    if (*p && *p != '/') return NULL;
    *index = (uint32_t)v;
    return p;
}

bool bip32_derive(const uint8_t *seed, size_t len, const char *path, bip32_key *out) {
    if (path[0] != 'm' || (path[1] && path[1] != '/')) return false;
    bip32_key k;
    if (!bip32_master(seed, len, &k)) return false;
    secp256k1_context *ctx = new_context();
    bool ok = true;
    for (const char *p = path + 1; ok && *p;) {
        uint32_t index;
        p = path_step(p + 1, &index); /* skips the '/' */
        ok = p && child_with(ctx, &k, index, &k);
    }
    secp256k1_context_destroy(ctx);
    if (ok) *out = k;
    memset(&k, 0, sizeof k);
    return ok;
}

bool hd_account(const char *mnemonic, const char *passphrase, uint32_t index, uint8_t key[32], address *addr) {
    return hd_account_at(mnemonic, passphrase, NULL, index, key, addr);
}

bool hd_account_at(const char *mnemonic, const char *passphrase, const char *prefix, uint32_t index, uint8_t key[32],
                   address *addr) {
    if (!prefix) prefix = HD_ACCOUNT_PATH;
    size_t pl = strlen(prefix);
    char path[256];
    if (!pl || pl > 200) return false;
    snprintf(path, sizeof path, "%s%s%u", prefix, prefix[pl - 1] == '/' ? "" : "/", index);
    uint8_t seed[64];
    bip39_seed(mnemonic, passphrase, seed);
    bip32_key k;
    bool ok = index < BIP32_HARDENED && bip32_derive(seed, sizeof seed, path, &k) && tx_address_of_key(k.key, addr);
    if (ok) memcpy(key, k.key, 32);
    memset(seed, 0, sizeof seed);
    memset(&k, 0, sizeof k);
    return ok;
}
