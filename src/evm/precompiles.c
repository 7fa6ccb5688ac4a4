/* Precompiled contracts: which exist in each fork, what they cost, and the
 * glue between call data and the mathematics in src/crypto (padding,
 * truncation, output encoding). SHA-256 and RIPEMD-160 come from OpenSSL,
 * ECRECOVER from libsecp256k1, P256VERIFY's curve arithmetic from OpenSSL;
 * the rest are our own (precompile_math.h). */
#include <openssl/evp.h>
#include <stdlib.h>
#include "evm_internal.h"
#include "parevm/precompile_math.h"

enum { PC_ECRECOVER = 1, PC_SHA256, PC_RIPEMD160, PC_IDENTITY, PC_MODEXP, PC_ECADD, PC_ECMUL,
       PC_ECPAIRING, PC_BLAKE2F, PC_POINT_EVALUATION,
       /* EIP-2537 (Prague) */
       PC_BLS_G1ADD, PC_BLS_G1MSM, PC_BLS_G2ADD, PC_BLS_G2MSM, PC_BLS_PAIRING, PC_BLS_MAP_G1,
       PC_BLS_MAP_G2,
       PC_P256VERIFY = 0x100 }; /* EIP-7951 (Osaka) */

int precompile_count(fork_id fork) {
    if (fork >= FORK_PRAGUE) return PC_BLS_MAP_G2;
    if (fork >= FORK_CANCUN) return PC_POINT_EVALUATION;
    if (fork >= FORK_ISTANBUL) return PC_BLAKE2F;
    if (fork >= FORK_BYZANTIUM) return PC_ECPAIRING;
    return PC_IDENTITY;
}

/* The precompile number of addr (0x00..00NNNN), or 0 if its upper 18 bytes
 * are not all zero. Runs on every account access (EIP-2929 warm set):
 * two word loads instead of a byte loop. */
static int precompile_id(const address *addr) {
    uint64_t hi[2];
    memcpy(hi, addr->b, 16);
    if (hi[0] | hi[1] | addr->b[16] | addr->b[17]) return 0;
    return addr->b[18] << 8 | addr->b[19];
}

bool precompile_is_active(const address *addr, fork_id fork) {
    int id = precompile_id(addr);
    if (id == PC_P256VERIFY) return fork >= FORK_OSAKA;
    return id >= 1 && id <= precompile_count(fork);
}

static int64_t words(size_t len) { return (int64_t)((len + 31) / 32); }

/* Copies input into a fixed-size buffer, zero-padding short input. */
static void pad_input(uint8_t *dst, size_t n, const uint8_t *in, size_t len) {
    size_t k = len < n ? len : n;
    if (k) memcpy(dst, in, k);
    memset(dst + k, 0, n - k);
}

static bool digest(const EVP_MD *md, const uint8_t *in, size_t len, uint8_t *out) {
    unsigned int n = 0;
    return EVP_Digest(in, len, out, &n, md, NULL) == 1;
}

/* EIP-2537 MSM discounts (per mille) for k = 1..128 pairs; beyond 128 the
 * last entry applies. */
static const uint16_t G1_MSM_DISCOUNT[128] = {
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665,
    661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615,
    613, 611, 609, 608, 606, 604, 603, 601, 599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585,
    584, 582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563,
    562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545,
    544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529,
    528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519};
static const uint16_t G2_MSM_DISCOUNT[128] = {
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699,
    693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629,
    627, 624, 622, 620, 618, 615, 613, 611, 609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592,
    590, 589, 587, 586, 584, 583, 582, 580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567,
    566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548,
    547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534, 533,
    532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524};

/* EIP-2537 MSM gas: k pairs of pair_len bytes, k * mul_cost * discount(k)
 * / 1000; -1 for an empty input or one that is not whole pairs. */
static int64_t msm_gas(size_t len, size_t pair_len, uint64_t mul_cost, const uint16_t *discount) {
    if (len == 0 || len % pair_len) return -1;
    size_t k = len / pair_len;
    unsigned __int128 g = (unsigned __int128)k * mul_cost * discount[k <= 128 ? k - 1 : 127] / 1000;
    return g > INT64_MAX ? INT64_MAX : (int64_t)g;
}

static int64_t modexp_cost(fork_id fork, const uint8_t *in, size_t len) {
    modexp_pricing pricing = MODEXP_EIP198;
    if (fork >= FORK_OSAKA) {
        if (!modexp_within_eip7823_bounds(in, len)) return -1;
        pricing = MODEXP_EIP7883;
    } else if (fork >= FORK_BERLIN) {
        pricing = MODEXP_EIP2565;
    }
    uint64_t g = modexp_gas(in, len, pricing);
    return g > INT64_MAX ? INT64_MAX : (int64_t)g;
}

/* Gas for precompile id, or -1 if the input is malformed in a way that fails
 * before any work (length checks, MODEXP's Osaka bounds): the call then
 * fails consuming all gas, as it would once charged. Saturates at
 * INT64_MAX. */
static int64_t gas_cost(int id, fork_id fork, const uint8_t *in, size_t len) {
    bool istanbul = fork >= FORK_ISTANBUL;
    switch (id) {
    case PC_ECRECOVER: return 3000;
    case PC_SHA256: return 60 + 12 * words(len);
    case PC_RIPEMD160: return 600 + 120 * words(len);
    case PC_IDENTITY: return 15 + 3 * words(len);
    case PC_MODEXP: return modexp_cost(fork, in, len);
    case PC_ECADD: return istanbul ? 150 : 500;
    case PC_ECMUL: return istanbul ? 6000 : 40000;
    case PC_ECPAIRING: {
        int64_t k = (int64_t)(len / 192);
        return istanbul ? 45000 + 34000 * k : 100000 + 80000 * k;
    }
    case PC_BLAKE2F: {
        uint32_t rounds;
        return blake2f_rounds(in, len, &rounds) ? (int64_t)rounds : -1;
    }
    case PC_POINT_EVALUATION: return 50000;
    /* a fixed price, charged before the input is looked at (EIP-2537; geth
     * and revm run out of gas before they refuse a wrong length) */
    case PC_BLS_G1ADD: return 375;
    case PC_BLS_G2ADD: return 600;
    case PC_BLS_G1MSM: return msm_gas(len, 160, 12000, G1_MSM_DISCOUNT);
    case PC_BLS_G2MSM: return msm_gas(len, 288, 22500, G2_MSM_DISCOUNT);
    case PC_BLS_PAIRING: {
        if (len == 0 || len % 384) return -1;
        unsigned __int128 g = (unsigned __int128)(len / 384) * 32600 + 37700;
        return g > INT64_MAX ? INT64_MAX : (int64_t)g;
    }
    case PC_BLS_MAP_G1: return 5500;
    case PC_BLS_MAP_G2: return 23800;
    case PC_P256VERIFY: return 6900; /* whatever the input, even on failure */
    }
    return -1;
}

/* Makes out an n-byte buffer for a precompile with a fixed-size output;
 * returns true. On failure the output does not matter: the call fails. */
static bool fixed_output(buf_t *out, size_t n) {
    buf_reserve(out, n);
    out->len = n;
    return true;
}

/* Runs precompile id into out; false means failure (all gas consumed). */
static bool execute(int id, const uint8_t *in, size_t len, buf_t *out) {
    switch (id) {
    case PC_ECRECOVER: {
        uint8_t buf[128];
        pad_input(buf, 128, in, len);
        /* v is a full 32-byte word that must be 27 or 28 */
        for (int i = 32; i < 63; i++)
            if (buf[i]) return true;
        if (buf[63] != 27 && buf[63] != 28) return true;
        address a;
        if (!secp256k1_recover_address(buf, buf + 64, buf + 96, buf[63] - 27, &a)) return true;
        buf_reserve(out, 32);
        memset(out->data, 0, 12);
        memcpy(out->data + 12, a.b, 20);
        out->len = 32;
        return true;
    }
    case PC_SHA256:
        buf_reserve(out, 32);
        if (!digest(EVP_sha256(), in, len, out->data)) abort();
        out->len = 32;
        return true;
    case PC_RIPEMD160:
        buf_reserve(out, 32);
        memset(out->data, 0, 12);
        if (!digest(EVP_ripemd160(), in, len, out->data + 12)) abort();
        out->len = 32;
        return true;
    case PC_IDENTITY:
        buf_append(out, in, len);
        return true;
    case PC_MODEXP: {
        size_t n = (size_t)modexp_output_len(in, len);
        buf_reserve(out, n ? n : 1);
        modexp_run(in, len, out->data, n);
        out->len = n;
        return true;
    }
    case PC_ECADD: {
        uint8_t buf[128];
        pad_input(buf, 128, in, len);
        buf_reserve(out, 64);
        if (!bn254_add(buf, out->data)) return false;
        out->len = 64;
        return true;
    }
    case PC_ECMUL: {
        uint8_t buf[96];
        pad_input(buf, 96, in, len);
        buf_reserve(out, 64);
        if (!bn254_mul(buf, out->data)) return false;
        out->len = 64;
        return true;
    }
    case PC_ECPAIRING: {
        bool ok;
        if (len % 192 || !bn254_pairing_check(in, len, &ok)) return false;
        buf_reserve(out, 32);
        memset(out->data, 0, 32);
        out->data[31] = ok;
        out->len = 32;
        return true;
    }
    case PC_BLAKE2F:
        buf_reserve(out, 64);
        if (!blake2f(in, len, out->data)) return false;
        out->len = 64;
        return true;
    case PC_BLS_G1ADD: return len == 256 && fixed_output(out, 128) && bls12_g1add(in, out->data);
    case PC_BLS_G2ADD: return len == 512 && fixed_output(out, 256) && bls12_g2add(in, out->data);
    case PC_BLS_G1MSM: return fixed_output(out, 128) && bls12_g1msm(in, len / 160, out->data);
    case PC_BLS_G2MSM: return fixed_output(out, 256) && bls12_g2msm(in, len / 288, out->data);
    case PC_BLS_PAIRING: {
        bool ok;
        if (!bls12_pairing(in, len / 384, &ok)) return false;
        buf_reserve(out, 32);
        memset(out->data, 0, 32);
        out->data[31] = ok;
        out->len = 32;
        return true;
    }
    case PC_BLS_MAP_G1: return len == 64 && fixed_output(out, 128) && bls12_map_fp_to_g1(in, out->data);
    case PC_BLS_MAP_G2: return len == 128 && fixed_output(out, 256) && bls12_map_fp2_to_g2(in, out->data);
    case PC_P256VERIFY: {
        /* EIP-7951: 32 bytes ...01 on success; empty output (not a failure)
         * for a wrong length, an invalid input or a wrong signature */
        if (len == 160 && p256_verify(in)) {
            buf_reserve(out, 32);
            memset(out->data, 0, 32);
            out->data[31] = 1;
            out->len = 32;
        }
        return true;
    }
    case PC_POINT_EVALUATION: {
        /* FIELD_ELEMENTS_PER_BLOB (4096) and the BLS12-381 scalar modulus */
        static const uint8_t result[64] = {
            [30] = 0x10, 0x00,
            0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
            0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
        if (len != 192 || !kzg_point_evaluation(in)) return false;
        buf_append(out, result, 64);
        return true;
    }
    }
    return false;
}

/* ---- geth's words for a failure (tracers and RPC errors only) ---- */

static const char *const INVALID_LENGTH = "invalid input length";

/* The first of n points of size bytes each at in (stride apart) that
 * decode fails, or NULL. */
static const char *first_error(const char *(*decode)(const uint8_t *), const uint8_t *in, size_t n, size_t stride) {
    for (size_t i = 0; i < n; i++) {
        const char *e = decode(in + i * stride);
        if (e) return e;
    }
    return NULL;
}

static const char *g1_no_subgroup(const uint8_t *in) { return bls12_g1_error(in, false); }
static const char *g1_subgroup(const uint8_t *in) { return bls12_g1_error(in, true); }
static const char *g2_no_subgroup(const uint8_t *in) { return bls12_g2_error(in, false); }
static const char *g2_subgroup(const uint8_t *in) { return bls12_g2_error(in, true); }

/* geth's MSM price for a length that is not whole pairs: floor(len /
 * pair) pairs, 0 for none; it runs out of gas before it looks. */
static const char *msm_length_error(size_t len, size_t pair, uint64_t mul, const uint16_t *disc, int64_t gas) {
    int64_t price = len < pair ? 0 : msm_gas(len - len % pair, pair, mul, disc);
    return price > gas ? "out of gas" : INVALID_LENGTH;
}

static const char *bn254_pairing_error(const uint8_t *in, size_t len) {
    if (len % 192) return "bad elliptic curve pairing size";
    for (size_t i = 0; i < len; i += 192) {
        const char *e = bn254_g1_error(in + i);
        if (e || (e = bn254_g2_error(in + i + 64))) return e;
    }
    return NULL;
}

static const char *bls_pairing_error(const uint8_t *in, size_t len, int64_t gas) {
    if (len == 0 || len % 384) return (int64_t)(len / 384) * 32600 + 37700 > gas ? "out of gas" : INVALID_LENGTH;
    /* geth decodes both points of a pair, then checks their subgroups */
    for (size_t i = 0; i < len; i += 384) {
        const char *e = g1_no_subgroup(in + i);
        if (e || (e = g2_no_subgroup(in + i + 128)) || (e = g1_subgroup(in + i)) || (e = g2_subgroup(in + i + 128)))
            return e;
    }
    return NULL;
}

const char *precompile_error(const address *addr, const uint8_t *in, size_t len, int64_t gas) {
    uint8_t buf[128];
    const char *e = NULL;
    switch (precompile_id(addr)) {
    case PC_MODEXP:
        return modexp_gas(in, len, MODEXP_EIP7883) > (uint64_t)gas
                   ? "out of gas"
                   : "one or more of base/exponent/modulus length exceeded 1024 bytes";
    case PC_ECADD:
        pad_input(buf, 128, in, len);
        e = first_error(bn254_g1_error, buf, 2, 64);
        break;
    case PC_ECMUL:
        pad_input(buf, 64, in, len);
        e = bn254_g1_error(buf);
        break;
    case PC_ECPAIRING: e = bn254_pairing_error(in, len); break;
    case PC_BLAKE2F: return len != 213 ? INVALID_LENGTH : "invalid final flag";
    case PC_POINT_EVALUATION: e = len != 192 ? INVALID_LENGTH : kzg_point_evaluation_error(in); break;
    case PC_BLS_G1ADD: e = len != 256 ? INVALID_LENGTH : first_error(g1_no_subgroup, in, 2, 128); break;
    case PC_BLS_G2ADD: e = len != 512 ? INVALID_LENGTH : first_error(g2_no_subgroup, in, 2, 256); break;
    case PC_BLS_G1MSM:
        if (len == 0 || len % 160) return msm_length_error(len, 160, 12000, G1_MSM_DISCOUNT, gas);
        e = first_error(g1_subgroup, in, len / 160, 160);
        break;
    case PC_BLS_G2MSM:
        if (len == 0 || len % 288) return msm_length_error(len, 288, 22500, G2_MSM_DISCOUNT, gas);
        e = first_error(g2_subgroup, in, len / 288, 288);
        break;
    case PC_BLS_PAIRING: e = bls_pairing_error(in, len, gas); break;
    case PC_BLS_MAP_G1: e = len != 64 ? INVALID_LENGTH : bls12_fp_error(in, 1); break;
    case PC_BLS_MAP_G2: e = len != 128 ? INVALID_LENGTH : bls12_fp_error(in, 2); break;
    default: break;
    }
    return e ? e : "precompile failed";
}

evm_result precompile_answer(evm_vm *vm, int depth, int64_t gas_left, const uint8_t *out, size_t len) {
    buf_t *b = &vm->precompile_out[depth];
    buf_clear(b);
    buf_append(b, out, len);
    return (evm_result){.status = EVM_SUCCESS, .gas_left = gas_left, .output = b->data, .output_size = b->len};
}

evm_result precompile_run(evm_vm *vm, const address *addr, fork_id fork, const uint8_t *input,
                          size_t len, int64_t gas, int depth) {
    evm_result r = {.status = EVM_PRECOMPILE_FAILURE};
    int id = precompile_id(addr);
    int64_t cost = gas_cost(id, fork, input, len);
    if (cost < 0) return r;
    if (cost > gas) {
        r.status = EVM_OUT_OF_GAS;
        return r;
    }
    buf_t *out = &vm->precompile_out[depth];
    buf_clear(out);
    if (!execute(id, input, len, out)) return r;
    r.status = EVM_SUCCESS;
    r.gas_left = gas - cost;
    r.output = out->data;
    r.output_size = out->len;
    return r;
}
