/* Blocks as the store keeps them (body and receipts encodings), loading a
 * stored block for the RPC methods (header, body, receipts with their logs,
 * senders from a cache), and the chain rules of a block. */
#include <stdlib.h>
#include "node_dev.h"
#include "parevm/keccak.h"
#include "parevm/chain_rules.h"
#include "parevm/exec.h"
#include "parevm/rlp.h"

/* ---- Encodings ------------------------------------------------------------------- */

void node_body_encode(const block *b, buf_t *out) {
    buf_t whole = {0};
    block_encode(b, &whole);
    rlp_item list, header;
    size_t used;
    /* our own encoding: it decodes */
    if (rlp_decode(whole.data, whole.len, &list) || rlp_decode_item(list.data, list.len, &header, &used)) abort();
    size_t l = rlp_list_begin(out);
    buf_append(out, list.data + used, list.len - used);
    rlp_list_end(out, l);
    buf_free(&whole);
}

void node_receipts_encode(const block_result *r, buf_t *out) {
    buf_t one = {0};
    size_t l = rlp_list_begin(out);
    for (size_t i = 0; i < r->n_receipts; i++) {
        buf_clear(&one);
        receipt_encode(r, i, &one);
        rlp_encode_bytes(out, one.data, one.len);
    }
    rlp_list_end(out, l);
    buf_free(&one);
}

/* ---- Decoding --------------------------------------------------------------------- */

static const char *decode_body(node_block *nb) {
    rlp_item body;
    if (rlp_decode(nb->body_rlp.data, nb->body_rlp.len, &body) || !body.is_list) return "corrupt block body";
    buf_t whole = {0};
    size_t l = rlp_list_begin(&whole);
    buf_append(&whole, nb->header_rlp.data, nb->header_rlp.len);
    buf_append(&whole, body.data, body.len);
    rlp_list_end(&whole, l);
    nb->rlp_size = whole.len;
    block_header h = nb->b.header;
    char err[128];
    bool ok = block_decode(whole.data, whole.len, &nb->b, err, sizeof err);
    buf_free(&whole);
    if (!ok) {
        memset(&nb->b, 0, sizeof nb->b);
        nb->b.header = h;
        return "corrupt block body";
    }
    nb->has_body = true;
    return NULL;
}

static bool decode_log(const rlp_item *it, node_log *out) {
    rlp_item f[3], t;
    if (!it->is_list || rlp_list_items(it, f, 3) || rlp_to_address(&f[0], &out->addr) || !f[1].is_list ||
        f[2].is_list)
        return false;
    rlp_iter ti = rlp_iter_of(&f[1]);
    out->n_topics = 0;
    rlp_err e;
    while ((e = rlp_next(&ti, &t)) == RLP_OK) {
        if (out->n_topics == 4 || rlp_to_bytes32(&t, &out->topics[out->n_topics])) return false;
        out->n_topics++;
    }
    if (e != RLP_ERR_COUNT) return false;
    out->data = f[2].data;
    out->len = f[2].len;
    return true;
}

/* One receipt, a byte string holding its consensus encoding: the RLP list
 * [status or root, cumulative gas, bloom, logs], after a type byte for
 * typed transactions. */
static bool decode_receipt(node_block *nb, const rlp_item *item, node_receipt *rc, size_t *cap_logs) {
    rlp_item payload;
    rc->type = TX_LEGACY;
    if (item->is_list || item->len < 1) return false;
    const uint8_t *p = item->data;
    size_t n = item->len;
    if (p[0] < 0xc0) {
        if (p[0] == 0 || p[0] > 0x7f) return false;
        rc->type = p[0];
        p++, n--;
    }
    if (rlp_decode(p, n, &payload) || !payload.is_list) return false;
    rlp_item f[4];
    if (rlp_list_items(&payload, f, 4) || f[0].is_list || rlp_to_u64(&f[1], &rc->cumulative_gas) ||
        f[2].is_list || f[2].len != 256 || !f[3].is_list)
        return false;
    if (f[0].len == 32) {
        rc->has_root = true;
        memcpy(rc->root.b, f[0].data, 32);
    } else {
        uint64_t status;
        if (rlp_to_u64(&f[0], &status) || status > 1) return false;
        rc->success = status == 1;
    }
    memcpy(rc->bloom, f[2].data, 256);
    rc->first_log = nb->n_logs;
    rlp_iter li = rlp_iter_of(&f[3]);
    rlp_item l;
    rlp_err e;
    while ((e = rlp_next(&li, &l)) == RLP_OK) {
        if (nb->n_logs == *cap_logs) {
            *cap_logs = *cap_logs ? 2 * *cap_logs : 16;
            nb->logs = realloc(nb->logs, *cap_logs * sizeof *nb->logs);
            if (!nb->logs) abort();
        }
        if (!decode_log(&l, &nb->logs[nb->n_logs])) return false;
        nb->n_logs++;
    }
    rc->n_logs = nb->n_logs - rc->first_log;
    return e == RLP_ERR_COUNT;
}

static const char *decode_receipts(node_block *nb) {
    rlp_item list, item;
    if (rlp_decode(nb->receipts_rlp.data, nb->receipts_rlp.len, &list) || !list.is_list) return "corrupt receipts";
    long n = rlp_list_count(&list);
    if (n < 0) return "corrupt receipts";
    nb->receipts = calloc(n ? (size_t)n : 1, sizeof *nb->receipts);
    if (!nb->receipts) abort();
    size_t cap_logs = 0;
    rlp_iter it = rlp_iter_of(&list);
    uint64_t prev = 0;
    for (long i = 0; i < n; i++) {
        node_receipt *rc = &nb->receipts[i];
        if (rlp_next(&it, &item) || !decode_receipt(nb, &item, rc, &cap_logs) || rc->cumulative_gas < prev)
            return "corrupt receipts";
        rc->gas_used = rc->cumulative_gas - prev;
        prev = rc->cumulative_gas;
        nb->n_receipts++;
    }
    return NULL;
}

const char *node_block_receipts_of(node_block *nb, const block_result *r) {
    buf_clear(&nb->receipts_rlp);
    node_receipts_encode(r, &nb->receipts_rlp);
    return decode_receipts(nb);
}

/* ---- Senders ------------------------------------------------------------------------ */

enum { SENDER_CACHE_MAX = 1 << 17 };

bool node_tx_sender(node *n, transaction *tx, fork_id fork) {
    if (tx->sender_known) return true;
    u256 key = u256_from_bytes32(&tx->hash);
    pthread_mutex_lock(&n->senders_mu);
    const u256 *v = word_map_get(&n->forced_senders, &key);
    if (!v) v = word_map_get(&n->senders, &key);
    if (v) {
        tx->sender = u256_to_address(v);
        tx->sender_known = true;
    }
    pthread_mutex_unlock(&n->senders_mu);
    if (tx->sender_known) {
        /* the authorities of a set-code transaction are not cached */
        for (size_t i = 0; i < tx->n_auths; i++) tx_auth_recover(&tx->auths[i]);
        return true;
    }
    if (!tx_recover_sender(tx, fork >= FORK_HOMESTEAD)) return false;
    u256 val = u256_from_address(&tx->sender);
    pthread_mutex_lock(&n->senders_mu);
    if (n->senders.n >= SENDER_CACHE_MAX) word_map_clear(&n->senders);
    word_map_put(&n->senders, &key, &val);
    pthread_mutex_unlock(&n->senders_mu);
    return true;
}

/* ---- Rules ---------------------------------------------------------------------------- */

bool node_merged(const node *n, const block_header *h) {
    const chain_config *c = &n->chain;
    if (chain_reached(c->paris_block, h->number)) return true;
    return c->has_ttd && h->number > 0 && u256_is_zero(&h->difficulty);
}

fork_id node_fork(const node *n, const block_header *h) {
    return chain_fork_at(&n->chain, h->number, h->timestamp, node_merged(n, h));
}

block_rules node_rules(const node *n, const block_header *h) {
    block_rules r = chain_block_rules(&n->chain, h, node_merged(n, h));
    r.host = node_host(n);
    r.chain_id = node_chain_id(n);
    return r;
}

const state_host_options *node_host(const node *n) { return n->dev ? &n->dev->host : NULL; }

static void apply_to_layer(void *layer, const change_set *cs) { block_state_apply(layer, cs); }

block_env node_replay_begin(node *n, executor *ex, const block *b, block_state *layer) {
    block_rules rules = node_rules(n, &b->header);
    block_pre_transactions(ex, &rules, b, block_state_view(layer), block_state_codes(layer), apply_to_layer, layer);
    return block_env_of(&b->header, &rules);
}

bool node_replay_tx(executor *ex, const block_env *env, block_state *layer, const transaction *tx, uint64_t *gas,
                    tx_result *res) {
    exec_transaction(ex, env, block_state_view(layer), block_state_codes(layer), tx, *gas, res);
    if (!res->valid) return false;
    block_state_apply(layer, executor_changes(ex));
    *gas += res->gas_used;
    return true;
}

bool node_child_merged(const node *n, const block_header *parent) {
    return node_merged(n, parent) || chain_reached(n->chain.paris_block, parent->number + 1) ||
           (n->chain.has_ttd && u256_is_zero(&parent->difficulty));
}

void node_next_fees(const node *n, const block_header *parent, uint64_t time, u256 *base_fee,
                    uint64_t *excess_blob_gas, u256 *blob_base_fee_out) {
    fork_id fork = chain_fork_at(&n->chain, parent->number + 1, time, node_child_merged(n, parent));
    *base_fee = fork >= FORK_LONDON ? header_next_base_fee(&n->chain, parent) : U256_ZERO;
    *excess_blob_gas = 0;
    *blob_base_fee_out = U256_ZERO;
    if (fork >= FORK_CANCUN) {
        blob_params p = chain_blob_params(&n->chain, time);
        *excess_blob_gas = header_next_excess_blob_gas(parent, fork, &p);
        *blob_base_fee_out = blob_base_fee(*excess_blob_gas, p.update_fraction);
    }
}

uint64_t node_next_time(const node *n, const block_header *parent) {
    return n->dev ? node_dev_next_time(n->dev, parent->timestamp) : parent->timestamp + 1;
}

block_header node_next_header(const node *n, const block_header *parent) {
    block_header h = *parent;
    h.parent_hash = parent->hash;
    h.number = parent->number + 1;
    h.timestamp = node_next_time(n, parent);
    bool merged = node_child_merged(n, parent);
    if (merged) h.difficulty = U256_ZERO;
    fork_id fork = chain_fork_at(&n->chain, h.number, h.timestamp, merged);
    u256 blob_fee;
    node_next_fees(n, parent, h.timestamp, &h.base_fee, &h.excess_blob_gas, &blob_fee);
    h.has_base_fee = fork >= FORK_LONDON;
    h.has_blob_gas = fork >= FORK_CANCUN;
    h.blob_gas_used = 0;
    return h;
}

/* ---- Loading -------------------------------------------------------------------------- */

void node_block_free(node_block *b) {
    buf_free(&b->header_rlp);
    buf_free(&b->body_rlp);
    buf_free(&b->receipts_rlp);
    if (b->has_body) block_free(&b->b);
    free(b->receipts);
    free(b->logs);
    free(b->tx_hashes);
    free(b->tx_raw);
    free(b->tx_raw_len);
    memset(b, 0, sizeof *b);
}

/* Where each transaction of the raw body lies: byte strings (typed: the
 * hash is of the string's content) and lists (legacy: of the whole
 * encoding). Fails unless there is one per receipt. */
static const char *index_raw_txs(node_block *nb) {
    rlp_item body, txs, t;
    rlp_iter bi;
    if (rlp_decode(nb->body_rlp.data, nb->body_rlp.len, &body) || !body.is_list ||
        (bi = rlp_iter_of(&body), rlp_next(&bi, &txs)) || !txs.is_list)
        return "corrupt block body";
    size_t n = nb->n_receipts ? nb->n_receipts : 1;
    nb->tx_hashes = malloc(n * sizeof *nb->tx_hashes);
    nb->tx_raw = malloc(n * sizeof *nb->tx_raw);
    nb->tx_raw_len = malloc(n * sizeof *nb->tx_raw_len);
    if (!nb->tx_hashes || !nb->tx_raw || !nb->tx_raw_len) abort();
    rlp_iter ti = rlp_iter_of(&txs);
    size_t i = 0;
    rlp_err e;
    while ((e = rlp_next(&ti, &t)) == RLP_OK && i < nb->n_receipts) {
        nb->tx_raw[i] = t.is_list ? t.raw : t.data;
        nb->tx_raw_len[i++] = t.is_list ? t.raw_len : t.len;
    }
    return i == nb->n_receipts && e == RLP_ERR_COUNT ? NULL : "corrupt receipts";
}

const bytes32 *node_block_tx_hash(node_block *nb, size_t i) {
    if (nb->has_body) return &nb->b.txs[i].hash;
    if (nb->tx_raw[i]) {
        keccak256(nb->tx_raw[i], nb->tx_raw_len[i], nb->tx_hashes[i].b);
        nb->tx_raw[i] = NULL;
    }
    return &nb->tx_hashes[i];
}

const char *node_header(node_read *r, uint64_t number, const bytes32 *hash, block_header *out) {
    buf_t raw = {0};
    const char *err = db_read_header(r->snap, number, hash, &raw);
    char why[128];
    if (!err && !header_decode(raw.data, raw.len, out, why, sizeof why)) err = "corrupt header";
    buf_free(&raw);
    return err;
}

const char *node_block_load(node_read *r, uint64_t number, const bytes32 *hash, unsigned what, node_block *out) {
    memset(out, 0, sizeof *out);
    out->number = number;
    out->hash = *hash;
    const char *err = db_read_header(r->snap, number, hash, &out->header_rlp);
    char why[128];
    if (!err && !header_decode(out->header_rlp.data, out->header_rlp.len, &out->b.header, why, sizeof why))
        err = "corrupt header";
    if (err) goto fail;
    out->fork = node_fork(r->n, &out->b.header);
    if (out->b.header.has_blob_gas) {
        blob_params p = chain_blob_params(&r->n->chain, out->b.header.timestamp);
        if (p.update_fraction) out->blob_base_fee = blob_base_fee(out->b.header.excess_blob_gas, p.update_fraction);
    }
    if (what & NODE_LOAD_LOGS) {
        if ((err = db_read_body(r->snap, number, hash, &out->body_rlp)) ||
            (err = db_read_receipts(r->snap, number, hash, &out->receipts_rlp)) || (err = decode_receipts(out)))
            goto fail;
        /* one transaction per receipt, hashed when a log of it matches */
        if ((err = index_raw_txs(out)) || (err = node_dev_load_vouched(r, out))) goto fail;
        return NULL;
    }
    if (what & (NODE_LOAD_BODY | NODE_LOAD_SENDERS | NODE_LOAD_RECEIPTS)) {
        if ((err = db_read_body(r->snap, number, hash, &out->body_rlp)) || (err = decode_body(out)) ||
            (err = node_dev_load_vouched(r, out)))
            goto fail;
    } else {
        /* the size needs the body's length only */
        if (!(err = db_read_body(r->snap, number, hash, &out->body_rlp))) {
            uint8_t hdr[9];
            rlp_item body;
            if (rlp_decode(out->body_rlp.data, out->body_rlp.len, &body)) err = "corrupt block body";
            else {
                size_t payload = out->header_rlp.len + body.len;
                out->rlp_size = payload + rlp_header(hdr, true, payload);
            }
        }
        if (err) goto fail;
    }
    /* a sender that cannot be recovered at all reads as the zero address
     * rather than failing */
    if (what & NODE_LOAD_SENDERS)
        for (size_t i = 0; i < out->b.n_txs; i++)
            if (!node_tx_sender(r->n, &out->b.txs[i], out->fork)) memset(&out->b.txs[i].sender, 0, sizeof(address));
    if (what & NODE_LOAD_RECEIPTS) {
        if ((err = db_read_receipts(r->snap, number, hash, &out->receipts_rlp)) || (err = decode_receipts(out)))
            goto fail;
        if (out->n_receipts != out->b.n_txs) {
            err = "corrupt receipts";
            goto fail;
        }
    }
    return NULL;
fail:
    node_block_free(out);
    return err;
}
