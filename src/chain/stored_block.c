/* A stored block back as the RLP a chain file holds (chain_import.h:
 * chain_read_block_rlp): the header record and the body record's items
 * under one list, which is the block's encoding byte for byte, since the
 * body is kept exactly as the block carried it. */
#include "parevm/chain_import.h"
#include "parevm/rlp.h"

const char *chain_read_block_rlp(db_snapshot *s, uint64_t number, const bytes32 *hash, buf_t *out) {
    buf_t hb = {0}, bb = {0};
    const char *err = db_read_header(s, number, hash, &hb);
    if (!err) err = db_read_body(s, number, hash, &bb);
    rlp_item header, body;
    if (!err && (rlp_decode(hb.data, hb.len, &header) || !header.is_list)) err = "corrupt header in the store";
    if (!err && (rlp_decode(bb.data, bb.len, &body) || !body.is_list)) err = "corrupt body in the store";
    if (!err) {
        size_t l = rlp_list_begin(out);
        buf_append(out, hb.data, hb.len);
        buf_append(out, body.data, body.len);
        rlp_list_end(out, l);
    }
    buf_free(&hb);
    buf_free(&bb);
    return err;
}
