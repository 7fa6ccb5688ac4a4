/* secp256k1 public-key recovery on libsecp256k1. One verification context
 * for the process, created on first use (pthread_once) and read-only after:
 * libsecp256k1 contexts are safe to share between threads for verification
 * and recovery. */
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include "parevm/keccak.h"
#include "parevm/precompile_math.h"

static secp256k1_context *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void create_ctx(void) { ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY); }

bool secp256k1_recover_address(const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32],
                               int recid, address *out) {
    static const uint8_t zero[32];
    if (recid < 0 || recid > 1) return false;
    if (!memcmp(r, zero, 32) || !memcmp(s, zero, 32)) return false;
    pthread_once(&ctx_once, create_ctx);
    uint8_t sig64[64];
    memcpy(sig64, r, 32);
    memcpy(sig64 + 32, s, 32);
    secp256k1_ecdsa_recoverable_signature sig;
    /* parse rejects r or s >= n */
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, sig64, recid)) return false;
    secp256k1_pubkey pub;
    if (!secp256k1_ecdsa_recover(ctx, &pub, &sig, hash)) return false;
    uint8_t ser[65];
    size_t len = sizeof ser;
    secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    uint8_t h[32];
    keccak256(ser + 1, 64, h);
    memcpy(out->b, h + 12, 20);
    return true;
}
