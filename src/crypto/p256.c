/* 0x100 P256VERIFY (EIP-7951): ECDSA verification over secp256r1 with
 * OpenSSL's libcrypto for the curve arithmetic. The input checks and the
 * verification equation follow the EIP's algorithm step by step rather than
 * a library's ECDSA routine, so that every rule is visible here: r and s in
 * [1, n-1], the public key's coordinates below p, the key on the curve and
 * not the point at infinity, R' = [h/s]G + [r/s]Q not at infinity, and
 * R'.x = r (mod n), where h is the 32-byte hash taken as an integer. */
#include "parevm/precompile_math.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The curve's field prime p and group order n, big-endian. */
static const uint8_t P256_P[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* The curve object, built once and only read afterwards (OpenSSL allows
 * concurrent use of a const EC_GROUP); it lives until the process exits. */
static EC_GROUP *p256_group;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void p256_init(void) {
    p256_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    if (!p256_group)
        abort(); /* out of memory or a libcrypto without P-256 */
}

/* 0 < v < n for a 32-byte big-endian v. */
static bool in_scalar_range(const uint8_t v[32]) {
    static const uint8_t zero[32];
    return memcmp(v, zero, 32) != 0 && memcmp(v, P256_N, 32) < 0;
}

/* The verification proper, on validated inputs; false on any failure. */
static bool verify(const EC_GROUP *g, BN_CTX *ctx, const uint8_t in[160]) {
    BN_CTX_start(ctx);
    BIGNUM *h = BN_CTX_get(ctx), *r = BN_CTX_get(ctx), *s = BN_CTX_get(ctx);
    BIGNUM *qx = BN_CTX_get(ctx), *qy = BN_CTX_get(ctx), *u1 = BN_CTX_get(ctx);
    BIGNUM *u2 = BN_CTX_get(ctx), *x = BN_CTX_get(ctx);
    EC_POINT *q = EC_POINT_new(g), *rp = EC_POINT_new(g);
    bool ok = false;
    if (!x || !q || !rp)
        abort(); /* out of memory */
    const BIGNUM *n = EC_GROUP_get0_order(g);
    BN_bin2bn(in, 32, h);
    BN_bin2bn(in + 32, 32, r);
    BN_bin2bn(in + 64, 32, s);
    BN_bin2bn(in + 96, 32, qx);
    BN_bin2bn(in + 128, 32, qy);
    /* The public key: on the curve (which also excludes (0, 0), since b is
     * not 0) and so a point of the prime-order group. */
    if (EC_POINT_set_affine_coordinates(g, q, qx, qy, ctx) != 1 ||
        EC_POINT_is_on_curve(g, q, ctx) != 1)
        goto done;
    /* s1 = 1/s, u1 = h s1, u2 = r s1 (mod n); R' = [u1]G + [u2]Q */
    if (!BN_mod_inverse(s, s, n, ctx) || !BN_mod_mul(u1, h, s, n, ctx) ||
        !BN_mod_mul(u2, r, s, n, ctx) || !EC_POINT_mul(g, rp, u1, q, u2, ctx))
        goto done;
    if (EC_POINT_is_at_infinity(g, rp) ||
        !EC_POINT_get_affine_coordinates(g, rp, x, NULL, ctx) || !BN_nnmod(x, x, n, ctx))
        goto done;
    ok = BN_cmp(x, r) == 0;
done:
    EC_POINT_free(q);
    EC_POINT_free(rp);
    BN_CTX_end(ctx);
    return ok;
}

bool p256_verify(const uint8_t in[160]) {
    static const uint8_t zero[64];
    if (!in_scalar_range(in + 32) || !in_scalar_range(in + 64))
        return false;                               /* r, s not in [1, n-1] */
    if (memcmp(in + 96, P256_P, 32) >= 0 || memcmp(in + 128, P256_P, 32) >= 0)
        return false;                               /* qx, qy not below p */
    if (memcmp(in + 96, zero, 64) == 0)
        return false;                               /* the point at infinity */
    pthread_once(&p256_once, p256_init);
    BN_CTX *ctx = BN_CTX_new();
    if (!ctx)
        abort();
    bool ok = verify(p256_group, ctx, in);
    BN_CTX_free(ctx);
    return ok;
}
