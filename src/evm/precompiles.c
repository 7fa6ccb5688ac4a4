/* Precompiled contracts: which exist in each fork, what they cost, and the
 * glue between call data and the mathematics in src/crypto (padding,
 * truncation, output encoding). SHA-256 and RIPEMD-160 come from OpenSSL,
 * ECRECOVER from libsecp256k1; the rest are our own (precompile_math.h). */
#include <openssl/evp.h>
#include <stdlib.h>
#include "evm_internal.h"
#include "parevm/precompile_math.h"

enum { PC_ECRECOVER = 1, PC_SHA256, PC_RIPEMD160, PC_IDENTITY, PC_MODEXP, PC_ECADD, PC_ECMUL,
       PC_ECPAIRING, PC_BLAKE2F, PC_POINT_EVALUATION };

int precompile_count(fork_id fork) {
    if (fork >= FORK_CANCUN) return PC_POINT_EVALUATION;
    if (fork >= FORK_ISTANBUL) return PC_BLAKE2F;
    if (fork >= FORK_BYZANTIUM) return PC_ECPAIRING;
    return PC_IDENTITY;
}

/* The precompile number of addr, or 0 if addr is not 0x00..00NN. */
static int precompile_id(const address *addr) {
    for (int i = 0; i < 19; i++)
        if (addr->b[i]) return 0;
    return addr->b[19];
}

bool precompile_is_active(const address *addr, fork_id fork) {
    int id = precompile_id(addr);
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

/* Gas for precompile id, or -1 if the input is malformed in a way that fails
 * before any work (length checks). Saturates at INT64_MAX. */
static int64_t gas_cost(int id, fork_id fork, const uint8_t *in, size_t len) {
    bool istanbul = fork >= FORK_ISTANBUL;
    switch (id) {
    case PC_ECRECOVER: return 3000;
    case PC_SHA256: return 60 + 12 * words(len);
    case PC_RIPEMD160: return 600 + 120 * words(len);
    case PC_IDENTITY: return 15 + 3 * words(len);
    case PC_MODEXP: {
        uint64_t g = modexp_gas(in, len, fork >= FORK_BERLIN);
        return g > INT64_MAX ? INT64_MAX : (int64_t)g;
    }
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
    }
    return -1;
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
