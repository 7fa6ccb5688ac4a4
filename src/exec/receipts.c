/* Receipt encoding and the ommers hash. */
#include "parevm/block_exec.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

void receipt_encode(const block_result *r, size_t i, buf_t *out) {
    const receipt *rc = &r->receipts[i];
    if (rc->type != TX_LEGACY) buf_push(out, rc->type);
    size_t l = rlp_list_begin(out);
    if (rc->has_root)
        rlp_encode_bytes32(out, &rc->post_state);
    else
        rlp_encode_u64(out, rc->success ? 1 : 0);
    rlp_encode_u64(out, rc->cumulative_gas);
    rlp_encode_bytes(out, rc->bloom, 256);
    /* a block without logs has no log array (NULL + 0 is undefined) */
    logs_rlp(out, rc->n_logs ? r->logs + rc->first_log : NULL, rc->n_logs, r->log_data.data);
    rlp_list_end(out, l);
}

bytes32 block_ommers_hash(const block *b) {
    buf_t out = {0};
    size_t l = rlp_list_begin(&out);
    for (size_t i = 0; i < b->n_ommers; i++) header_encode(&b->ommers[i], &out);
    rlp_list_end(&out, l);
    bytes32 h = keccak256_hash(out.data, out.len);
    buf_free(&out);
    return h;
}
