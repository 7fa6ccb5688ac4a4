/* Transaction signatures: sender recovery and signing with libsecp256k1,
 * for transactions and for their EIP-7702 authorization tuples.
 *
 * Recovery only needs public-key arithmetic, so it runs on the library's
 * built-in read-only secp256k1_context_static. Signing needs a full context;
 * one is created (and blinded) once per process under pthread_once, together
 * with the library self test, and is only read afterwards, which
 * libsecp256k1 allows from many threads. */
#include "parevm/tx.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include "parevm/keccak.h"
#include "parevm/rlp.h"
#include "tx_internal.h"

/* secp256k1n, the curve order, and secp256k1n / 2 (EIP-2), as u256 limbs. */
const u256 TX_SECP256K1N = {{0xbfd25e8cd0364141ULL, 0xbaaedce6af48a03bULL,
                             0xfffffffffffffffeULL, 0xffffffffffffffffULL}};
const u256 TX_SECP256K1N_HALF = {{0xdfe92f46681b20a0ULL, 0x5d576e7357a4501dULL,
                                  0xffffffffffffffffULL, 0x7fffffffffffffffULL}};

static pthread_once_t secp_once = PTHREAD_ONCE_INIT;
static secp256k1_context *sign_ctx; /* written once under secp_once */

static void secp_init(void) {
    secp256k1_selftest();
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) {
        fprintf(stderr, "parevm: cannot create secp256k1 context\n");
        abort();
    }
    /* Blinding against side channels; a failed getrandom leaves it unblinded,
     * which is still correct. */
    uint8_t seed[32];
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
        !secp256k1_context_randomize(ctx, seed)) {
        fprintf(stderr, "parevm: secp256k1 context randomization failed\n");
        abort();
    }
    sign_ctx = ctx;
}

static const secp256k1_context *signing_context(void) {
    pthread_once(&secp_once, secp_init);
    return sign_ctx;
}

/* The static context, after the self test its documentation asks for. */
static const secp256k1_context *verify_context(void) {
    pthread_once(&secp_once, secp_init);
    return secp256k1_context_static;
}

/* v for a signature with recovery id recid, as the transaction type wants it. */
static u256 v_for(const transaction *tx, int recid) {
    if (tx->type != TX_LEGACY) return u256_from_u64((uint64_t)recid);
    if (!tx->has_chain_id) return u256_from_u64(27 + (uint64_t)recid);
    u256 v = u256_from_u64(tx->chain_id);
    v = u256_add(&v, &v);
    u256 off = u256_from_u64(35 + (uint64_t)recid);
    return u256_add(&v, &off);
}

bool tx_signature_recid(const transaction *tx, int *recid) {
    if (tx->type != TX_LEGACY) {
        if (!u256_fits_u64(&tx->v) || tx->v.w[0] > 1) return false;
        *recid = (int)tx->v.w[0];
        return true;
    }
    if (!tx->has_chain_id) {
        if (!u256_fits_u64(&tx->v) || (tx->v.w[0] != 27 && tx->v.w[0] != 28)) return false;
        *recid = (int)tx->v.w[0] - 27;
        return true;
    }
    /* EIP-155: v = chain_id * 2 + 35 + recid. */
    for (int id = 0; id < 2; id++) {
        u256 want = v_for(tx, id);
        if (u256_eq(&tx->v, &want)) {
            *recid = id;
            return true;
        }
    }
    return false;
}

bool tx_signature_values_ok(const transaction *tx, bool homestead) {
    if (u256_is_zero(&tx->r) || !u256_lt(&tx->r, &TX_SECP256K1N)) return false;
    if (u256_is_zero(&tx->s) || !u256_lt(&tx->s, &TX_SECP256K1N)) return false;
    return !homestead || !u256_gt(&tx->s, &TX_SECP256K1N_HALF);
}

static address address_of_pubkey(const secp256k1_pubkey *pub) {
    uint8_t ser[65];
    size_t n = sizeof ser;
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &n, pub,
                                  SECP256K1_EC_UNCOMPRESSED);
    bytes32 h = keccak256_hash(ser + 1, 64);
    address a;
    memcpy(a.b, h.b + 12, 20);
    return a;
}

/* The address whose key signed msg as (r, s, recid); r and s in range. */
static bool recover(const bytes32 *msg, const u256 *r, const u256 *s, int recid, address *out) {
    uint8_t compact[64];
    u256_to_be(r, compact);
    u256_to_be(s, compact + 32);
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    const secp256k1_context *ctx = verify_context();
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, compact, recid) ||
        !secp256k1_ecdsa_recover(ctx, &pub, &sig, msg->b))
        return false;
    *out = address_of_pubkey(&pub);
    return true;
}

/* Signs msg; fills r, s and the recovery id. */
static bool sign(const bytes32 *msg, const uint8_t seckey[32], u256 *r, u256 *s, int *recid) {
    const secp256k1_context *ctx = signing_context();
    secp256k1_ecdsa_recoverable_signature sig;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, msg->b, seckey, NULL, NULL)) return false;
    uint8_t compact[64];
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, recid, &sig);
    *r = u256_from_be(compact, 32);
    *s = u256_from_be(compact + 32, 32);
    return true;
}

static void recover_authorities(transaction *tx) {
    for (size_t i = 0; i < tx->n_auths; i++) tx_auth_recover(&tx->auths[i]);
}

bool tx_recover_sender(transaction *tx, bool homestead) {
    int recid;
    tx->sender_known = false;
    if (!tx_signature_recid(tx, &recid) || !tx_signature_values_ok(tx, homestead)) return false;
    bytes32 msg = tx_signing_hash(tx);
    if (!recover(&msg, &tx->r, &tx->s, recid, &tx->sender)) return false;
    tx->sender_known = true;
    recover_authorities(tx);
    return true;
}

bool tx_take_sender(transaction *tx, bool homestead, const address *sender) {
    int recid;
    tx->sender_known = false;
    if (!tx_signature_recid(tx, &recid) || !tx_signature_values_ok(tx, homestead)) return false;
    tx->sender = *sender;
    tx->sender_known = true;
    recover_authorities(tx);
    return true;
}

bool tx_sign(transaction *tx, const uint8_t seckey[32]) {
    bytes32 msg = tx_signing_hash(tx);
    int recid;
    if (!sign(&msg, seckey, &tx->r, &tx->s, &recid) || !tx_address_of_key(seckey, &tx->sender))
        return false;
    tx->v = v_for(tx, recid);
    tx->sender_known = true;
    buf_t b = {0};
    tx_encode(tx, &b);
    tx->hash = keccak256_hash(b.data, b.len);
    buf_free(&b);
    recover_authorities(tx);
    return true;
}

/* ---- EIP-7702 authorizations ---- */

bytes32 tx_auth_signing_hash(const authorization *a) {
    buf_t b = {0};
    buf_push(&b, 0x05); /* SET_CODE_TX_MAGIC */
    size_t l = rlp_list_begin(&b);
    rlp_encode_u256(&b, &a->chain_id);
    rlp_encode_address(&b, &a->addr);
    rlp_encode_u64(&b, a->nonce);
    rlp_list_end(&b, l);
    bytes32 h = keccak256_hash(b.data, b.len);
    buf_free(&b);
    return h;
}

bool tx_auth_recover(authorization *a) {
    a->status = AUTH_INVALID;
    if (a->y_parity > 1) return false;
    if (u256_is_zero(&a->r) || !u256_lt(&a->r, &TX_SECP256K1N)) return false;
    if (u256_is_zero(&a->s) || u256_gt(&a->s, &TX_SECP256K1N_HALF)) return false;
    bytes32 msg = tx_auth_signing_hash(a);
    if (!recover(&msg, &a->r, &a->s, a->y_parity, &a->authority)) return false;
    a->status = AUTH_VALID;
    return true;
}

bool tx_auth_sign(authorization *a, const uint8_t seckey[32]) {
    bytes32 msg = tx_auth_signing_hash(a);
    int recid;
    if (!sign(&msg, seckey, &a->r, &a->s, &recid) || !tx_address_of_key(seckey, &a->authority))
        return false;
    a->y_parity = (uint8_t)recid;
    a->status = AUTH_VALID;
    return true;
}

bool tx_address_of_key(const uint8_t seckey[32], address *out) {
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(signing_context(), &pub, seckey)) return false;
    *out = address_of_pubkey(&pub);
    return true;
}
