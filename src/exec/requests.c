/* EIP-7685 execution-layer requests (Prague on), collected after the
 * transactions and withdrawals as execution-specs' process_general_purpose_
 * requests does: deposits parsed from the deposit contract's DepositEvent
 * logs (EIP-6110), then the queues of the withdrawal-request (EIP-7002) and
 * consolidation (EIP-7251) contracts drained by system calls, and the
 * requests hash over them. */
#include <openssl/evp.h>
#include <stdlib.h>
#include "block_internal.h"

static const address WITHDRAWAL_REQUEST_ADDRESS = {{0x00, 0x00, 0x09, 0x61, 0xef, 0x48, 0x0e, 0xb5, 0x5e, 0x80,
                                                    0xd1, 0x9a, 0xd8, 0x35, 0x79, 0xa6, 0x4c, 0x00, 0x70, 0x02}};
static const address CONSOLIDATION_REQUEST_ADDRESS = {{0x00, 0x00, 0xbb, 0xdd, 0xc7, 0xce, 0x48, 0x86, 0x42, 0xfb,
                                                       0x57, 0x9f, 0x8b, 0x00, 0xf3, 0xa5, 0x90, 0x00, 0x72, 0x51}};
/* keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)") */
static const bytes32 DEPOSIT_EVENT_TOPIC = {{0x64, 0x9b, 0xbc, 0x62, 0xd0, 0xe3, 0x13, 0x42, 0xaf, 0xea, 0x4e,
                                             0x5c, 0xd8, 0x2d, 0x40, 0x49, 0xe7, 0xe1, 0xee, 0x91, 0x2f, 0xc0,
                                             0x88, 0x9a, 0xa7, 0x90, 0x80, 0x3b, 0xe3, 0x90, 0x38, 0xc5}};

/* ---- EIP-6110 deposits ------------------------------------------------- */

/* The DepositEvent's five dynamic "bytes" fields: where the ABI encoding of
 * the final spec puts each (offset word, then a length word and the padded
 * bytes) and how long each is. */
#define DEPOSIT_EVENT_LENGTH 576
static const struct {
    size_t offset, size;
} DEPOSIT_FIELDS[5] = {
    {160, 48}, /* pubkey */
    {256, 32}, /* withdrawal credentials */
    {320, 8},  /* amount (little-endian gwei) */
    {384, 96}, /* signature */
    {512, 8},  /* index */
};
static const char *const DEPOSIT_ERRORS[5][2] = {
    {"deposit log: invalid pubkey offset", "deposit log: invalid pubkey size"},
    {"deposit log: invalid withdrawal credentials offset", "deposit log: invalid withdrawal credentials size"},
    {"deposit log: invalid amount offset", "deposit log: invalid amount size"},
    {"deposit log: invalid signature offset", "deposit log: invalid signature size"},
    {"deposit log: invalid index offset", "deposit log: invalid index size"},
};

/* A 32-byte ABI word equal to a small value. */
static bool word_is(const uint8_t *w, size_t v) {
    for (int i = 0; i < 24; i++)
        if (w[i]) return false;
    uint64_t x = 0;
    for (int i = 24; i < 32; i++) x = x << 8 | w[i];
    return x == v;
}

const char *deposit_request_from_log(const uint8_t *data, size_t len, buf_t *out) {
    if (len != DEPOSIT_EVENT_LENGTH) return "deposit log: invalid data length";
    for (int i = 0; i < 5; i++)
        if (!word_is(data + 32 * i, DEPOSIT_FIELDS[i].offset)) return DEPOSIT_ERRORS[i][0];
    for (int i = 0; i < 5; i++)
        if (!word_is(data + DEPOSIT_FIELDS[i].offset, DEPOSIT_FIELDS[i].size)) return DEPOSIT_ERRORS[i][1];
    for (int i = 0; i < 5; i++) buf_append(out, data + DEPOSIT_FIELDS[i].offset + 32, DEPOSIT_FIELDS[i].size);
    return NULL;
}

/* Every DepositEvent of the deposit contract in the block's logs, in order. */
static const char *collect_deposits(const block_rules *rules, block_result *out) {
    buf_t *dst = &out->requests[REQUEST_DEPOSIT];
    for (size_t i = 0; i < out->n_logs; i++) {
        const overlay_log *l = &out->logs[i];
        if (!address_eq(&l->addr, &rules->deposit_contract) || l->n_topics == 0 ||
            !bytes32_eq(&l->topics[0], &DEPOSIT_EVENT_TOPIC))
            continue;
        const char *why = deposit_request_from_log(overlay_log_bytes(l, out->log_data.data), l->data_len, dst);
        if (why) return why;
    }
    return NULL;
}

/* ---- EIP-7002 / EIP-7251 queues ---------------------------------------- */

/* A checked system call: the contract must have code and the call must
 * succeed; its output is the type's requests. On a partial state a missing
 * contract leaves the requests unknown (*unknown set). */
static const char *drain_queue(executor *ex, const block_env *env, block_state *state, bool partial,
                               const address *contract, buf_t *dst, bool *unknown, const char *no_code,
                               const char *failed) {
    state_view view = block_state_view(state);
    if (view.ops->get_code(view.ctx, contract)->len == 0) {
        if (!partial) return no_code;
        *unknown = true;
        return NULL;
    }
    evm_result r = block_system_call(ex, env, state, contract, NULL, 0);
    if (r.status != EVM_SUCCESS) return failed;
    buf_append(dst, r.output, r.output_size);
    return NULL;
}

bytes32 requests_hash(const buf_t lists[REQUEST_TYPES]) {
    uint8_t inner[REQUEST_TYPES][32];
    size_t n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) abort();
    for (int t = 0; t < REQUEST_TYPES; t++) {
        if (!lists[t].len) continue;
        uint8_t type = (uint8_t)t;
        if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, &type, 1) ||
            !EVP_DigestUpdate(c, lists[t].data, lists[t].len) || !EVP_DigestFinal_ex(c, inner[n++], NULL))
            abort();
    }
    bytes32 h;
    if (!EVP_Digest(inner, 32 * n, h.b, NULL, EVP_sha256(), NULL)) abort();
    EVP_MD_CTX_free(c);
    return h;
}

const char *block_collect_requests(executor *ex, const block_rules *rules, const block *b, block_state *state,
                                   block_result *out) {
    block_env env = block_env_of(&b->header, rules);
    bool unknown = false, partial = rules->partial_state;
    const char *why = collect_deposits(rules, out);
    if (!why)
        why = drain_queue(ex, &env, state, partial, &WITHDRAWAL_REQUEST_ADDRESS, &out->requests[REQUEST_WITHDRAWAL],
                          &unknown, "withdrawal request contract has no code (EIP-7002)",
                          "withdrawal request system call failed (EIP-7002)");
    if (!why)
        why = drain_queue(ex, &env, state, partial, &CONSOLIDATION_REQUEST_ADDRESS,
                          &out->requests[REQUEST_CONSOLIDATION], &unknown,
                          "consolidation request contract has no code (EIP-7251)",
                          "consolidation request system call failed (EIP-7251)");
    if (why) return why;
    if (unknown) {
        out->requests_unknown = true;
        return NULL;
    }
    out->has_requests = true;
    out->requests_hash = requests_hash(out->requests);
    return NULL;
}
