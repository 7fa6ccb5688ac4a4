/* BIP-39 phrases: entropy to English words and back (with the checksum
 * check anvil makes on --mnemonic), fresh random phrases, and anvil's
 * reproducible --mnemonic-seed-unsafe phrases. The seed of a phrase is
 * bip39_seed in hdkeys.c. */
#include "parevm/hdkeys.h"
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/sha.h>

static const char *const english[2048] = {
#include "bip39_english.inc"
};

/* 11 bits of buf starting at bit `at`, most significant first. */
static unsigned bits11(const uint8_t *buf, size_t at) {
    unsigned v = 0;
    for (size_t i = at; i < at + 11; i++) v = v << 1 | ((buf[i / 8] >> (7 - i % 8)) & 1);
    return v;
}

static bool entropy_len_ok(size_t len) { return len >= 16 && len <= 32 && len % 4 == 0; }

bool bip39_phrase_from_entropy(const uint8_t *entropy, size_t len, char out[BIP39_PHRASE_MAX]) {
    if (!entropy_len_ok(len)) return false;
    uint8_t buf[33], hash[SHA256_DIGEST_LENGTH];
    SHA256(entropy, len, hash);
    memcpy(buf, entropy, len);
    buf[len] = hash[0]; /* the checksum's len/4 bits lead this byte */
    size_t words = len * 3 / 4, at = 0;
    for (size_t w = 0; w < words; w++) {
        const char *word = english[bits11(buf, w * 11)];
        size_t n = strlen(word);
        if (w) out[at++] = ' ';
        memcpy(out + at, word, n);
        at += n;
    }
    out[at] = 0;
    return true;
}

/* The index of a word of `n` bytes, or -1. The list is sorted. */
static int word_index(const char *w, size_t n) {
    int lo = 0, hi = 2047;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strncmp(w, english[mid], n);
        if (c == 0 && english[mid][n]) c = -1;
        if (c == 0) return mid;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return -1;
}

static bool fail(char *why, size_t cap, const char *msg) {
    if (why && cap) snprintf(why, cap, "%s", msg);
    return false;
}

bool bip39_phrase_check(const char *phrase, char *why, size_t cap) {
    uint8_t buf[34] = {0};
    size_t words = 0;
    for (const char *p = phrase;; words++) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int idx = n <= 8 ? word_index(p, n) : -1;
        if (idx < 0 && !n) return fail(why, cap, "an empty word (words are separated by one space)");
        if (idx < 0) {
            if (why && cap)
                snprintf(why, cap, "the word \"%.*s\" is not in BIP-39's English list", (int)(n < 40 ? n : 40), p);
            return false;
        }
        if (words == 24) return fail(why, cap, "more than 24 words");
        for (int b = 10; b >= 0; b--)
            if (idx >> b & 1) {
                size_t bit = words * 11 + (size_t)(10 - b);
                buf[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
            }
        if (!end) break;
        p = end + 1;
    }
    words++;
    if (words % 3 || words < 12) return fail(why, cap, "a phrase has 12, 15, 18, 21 or 24 words");
    size_t len = words * 4 / 3, cs = words / 3;
    uint8_t hash[SHA256_DIGEST_LENGTH];
    SHA256(buf, len, hash);
    if ((hash[0] >> (8 - cs)) != (buf[len] >> (8 - cs)))
        return fail(why, cap, "the checksum (the last word) does not match the other words");
    return true;
}

bool bip39_phrase_random(unsigned words, char out[BIP39_PHRASE_MAX]) {
    uint8_t entropy[32];
    size_t len = words * 4 / 3;
    if (words % 3 || !entropy_len_ok(len)) return false;
    if (getrandom(entropy, len, 0) != (ssize_t)len) return false;
    return bip39_phrase_from_entropy(entropy, len, out);
}

/* rand_core 0.6's seed_from_u64: a PCG32 stream fills the 32-byte key. */
static void pcg32_key(uint64_t state, uint32_t key[8]) {
    for (int i = 0; i < 8; i++) {
        state = state * 6364136223846793005ULL + 11634580027462260723ULL;
        uint32_t xorshifted = (uint32_t)(((state >> 18) ^ state) >> 27);
        unsigned rot = (unsigned)(state >> 59);
        key[i] = (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
    }
}

#define ROTL32(v, c) ((v) << (c) | (v) >> (32 - (c)))
#define QUARTER(a, b, c, d)                                                                                            \
    (s[a] += s[b], s[d] = ROTL32(s[d] ^ s[a], 16), s[c] += s[d], s[b] = ROTL32(s[b] ^ s[c], 12), s[a] += s[b],        \
     s[d] = ROTL32(s[d] ^ s[a], 8), s[c] += s[d], s[b] = ROTL32(s[b] ^ s[c], 7))

/* ChaCha12's first block (counter 0, stream 0) under `key`: the first 16
 * words rand_chacha's ChaCha12Rng gives. */
static void chacha12_block0(const uint32_t key[8], uint32_t out[16]) {
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}, s[16];
    memcpy(in + 4, key, 32);
    memcpy(s, in, sizeof s);
    for (int r = 0; r < 6; r++) {
        QUARTER(0, 4, 8, 12), QUARTER(1, 5, 9, 13), QUARTER(2, 6, 10, 14), QUARTER(3, 7, 11, 15);
        QUARTER(0, 5, 10, 15), QUARTER(1, 6, 11, 12), QUARTER(2, 7, 8, 13), QUARTER(3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++) out[i] = s[i] + in[i];
}

void bip39_phrase_unsafe_seed(uint64_t seed, char out[BIP39_PHRASE_MAX]) {
    uint32_t key[8], words[16];
    uint8_t entropy[16];
    pcg32_key(seed, key);
    chacha12_block0(key, words);
    /* rand 0.8 draws each u8 of a [u8; 16] as the low byte of a u32 */
    for (int i = 0; i < 16; i++) entropy[i] = (uint8_t)words[i];
    bip39_phrase_from_entropy(entropy, sizeof entropy, out);
}
