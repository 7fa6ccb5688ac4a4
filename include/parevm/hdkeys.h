/* Hierarchical deterministic keys for dev mode: BIP-39 mnemonic -> seed
 * (PBKDF2-HMAC-SHA512, 2048 rounds), BIP-32 private derivation (HMAC-SHA512
 * with libsecp256k1's tweak add) and the Ethereum account path
 * m/44'/60'/0'/0/i, which anvil and hardhat use for their prefunded
 * accounts. */
#ifndef PAREVM_HDKEYS_H
#define PAREVM_HDKEYS_H

#include "types.h"

/* The mnemonic of anvil's and hardhat's default accounts; account 0 is
 * 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266. */
#define DEV_MNEMONIC "test test test test test test test test test test test junk"
#define BIP32_HARDENED 0x80000000u

/* The 64-byte BIP-39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" +
 * passphrase, 2048). Both strings are used as given (BIP-39 asks for NFKD;
 * ASCII text is already in that form). The word list and checksum are not
 * checked: any phrase gives a seed. passphrase may be NULL (""). */
void bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64]);

/* BIP-39 phrases in the English word list. A phrase of 12, 15, 18, 21 or
 * 24 words encodes 16, 20, 24, 28 or 32 bytes of entropy and a checksum of
 * the first words/3 bits of its SHA-256. The longest phrase, its final NUL
 * included, fits in BIP39_PHRASE_MAX bytes. */
#define BIP39_PHRASE_MAX (24 * 9)

/* The phrase of `len` bytes of entropy (16, 20, 24, 28 or 32), words
 * separated by one space. False on another length. */
bool bip39_phrase_from_entropy(const uint8_t *entropy, size_t len, char out[BIP39_PHRASE_MAX]);
/* Whether `phrase` is a BIP-39 phrase as anvil accepts one: English words
 * separated by single spaces, a valid word count and a matching checksum.
 * When it is not, the reason goes to why (cap bytes; why may be NULL). */
bool bip39_phrase_check(const char *phrase, char *why, size_t cap);
/* A fresh phrase of `words` words (12, 15, 18, 21 or 24) from the kernel's
 * random source (anvil's --mnemonic-random). False on another count or
 * when getrandom fails. */
bool bip39_phrase_random(unsigned words, char out[BIP39_PHRASE_MAX]);
/* anvil's --mnemonic-seed-unsafe: 12 words whose 16 bytes of entropy are
 * the low bytes of the first 16 words of rand 0.8's StdRng (ChaCha12)
 * seeded by seed_from_u64(seed), so the same seed gives anvil's accounts.
 * Anyone can recompute the keys: for tests only. */
void bip39_phrase_unsafe_seed(uint64_t seed, char out[BIP39_PHRASE_MAX]);

/* An extended private key. */
typedef struct {
    uint8_t key[32];
    uint8_t chain_code[32];
} bip32_key;

/* The master key of a seed (16 to 64 bytes). False when the seed gives an
 * invalid key (probability below 2^-127) or has a bad length. */
bool bip32_master(const uint8_t *seed, size_t len, bip32_key *out);
/* CKDpriv: child `index` (hardened when index >= BIP32_HARDENED). False
 * for the invalid-key case BIP-32 tells to skip. */
bool bip32_child(const bip32_key *parent, uint32_t index, bip32_key *out);
/* Derives along a path such as "m/44'/60'/0'/0/3" (' h or H marks a
 * hardened step). False on a malformed path or an invalid key. */
bool bip32_derive(const uint8_t *seed, size_t len, const char *path, bip32_key *out);

/* The account path anvil and hardhat derive from, the index appended. */
#define HD_ACCOUNT_PATH "m/44'/60'/0'/0/"

/* Account `index` of a mnemonic at m/44'/60'/0'/0/index: its secret key and
 * address. passphrase may be NULL. */
bool hd_account(const char *mnemonic, const char *passphrase, uint32_t index, uint8_t key[32], address *addr);
/* The same at prefix + index (anvil's --derivation-path: "m/44'/60'/1'/0/",
 * the final '/' optional; NULL: HD_ACCOUNT_PATH). False on a malformed
 * prefix, an index of the hardened range or an invalid key. */
bool hd_account_at(const char *mnemonic, const char *passphrase, const char *prefix, uint32_t index, uint8_t key[32],
                   address *addr);

#endif
