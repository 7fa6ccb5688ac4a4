/* JSON of blocks, transactions, receipts and logs as execution-apis defines
 * them, with geth's field sets and order (blocks and receipts with sorted
 * keys, transactions and logs in geth's struct order). */
#include <stdlib.h>
#include "node_internal.h"
#include "parevm/exec.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* Sets key on obj (taking v); aborts when out of memory. */
static void put(json_t *obj, const char *key, json_t *v) {
    if (!v || json_object_set_new(obj, key, v)) abort();
}

static json_t *new_object(void) {
    json_t *o = json_object();
    if (!o) abort();
    return o;
}

static json_t *new_array(void) {
    json_t *a = json_array();
    if (!a) abort();
    return a;
}

static void append(json_t *arr, json_t *v) {
    if (!v || json_array_append_new(arr, v)) abort();
}

static json_t *access_list_json(const transaction *tx) {
    json_t *list = new_array();
    for (size_t i = 0; i < tx->access_list_len; i++) {
        const access_entry *e = &tx->access_list[i];
        json_t *o = new_object(), *keys = new_array();
        put(o, "address", rpc_json_address(&e->addr));
        for (size_t k = 0; k < e->n_keys; k++) append(keys, rpc_json_hash(&e->keys[k]));
        put(o, "storageKeys", keys);
        append(list, o);
    }
    return list;
}

static json_t *auths_json(const transaction *tx) {
    json_t *list = new_array();
    for (size_t i = 0; i < tx->n_auths; i++) {
        const authorization *a = &tx->auths[i];
        json_t *o = new_object();
        put(o, "chainId", rpc_json_u256(&a->chain_id));
        put(o, "address", rpc_json_address(&a->addr));
        put(o, "nonce", rpc_json_u64(a->nonce));
        put(o, "yParity", rpc_json_u64(a->y_parity));
        put(o, "r", rpc_json_u256(&a->r));
        put(o, "s", rpc_json_u256(&a->s));
        append(list, o);
    }
    return list;
}

json_t *node_json_tx(const transaction *tx, const node_tx_place *where) {
    json_t *o = new_object();
    put(o, "blockHash", where ? rpc_json_hash(&where->block_hash) : json_null());
    put(o, "blockNumber", where ? rpc_json_u64(where->number) : json_null());
    put(o, "blockTimestamp", where ? rpc_json_u64(where->timestamp) : json_null());
    put(o, "from", rpc_json_address(&tx->sender));
    put(o, "gas", rpc_json_u64(tx->gas_limit));
    bool dynamic = tx->type >= TX_DYNAMIC_FEE;
    u256 price = dynamic && where ? tx_effective_gas_price(tx, where->has_base_fee, &where->base_fee)
                 : dynamic        ? tx->max_fee
                                  : tx->gas_price;
    put(o, "gasPrice", rpc_json_u256(&price));
    if (dynamic) {
        put(o, "maxFeePerGas", rpc_json_u256(&tx->max_fee));
        put(o, "maxPriorityFeePerGas", rpc_json_u256(&tx->max_priority_fee));
    }
    if (tx->type == TX_BLOB) put(o, "maxFeePerBlobGas", rpc_json_u256(&tx->max_fee_per_blob_gas));
    put(o, "hash", rpc_json_hash(&tx->hash));
    put(o, "input", rpc_json_data(tx->data, tx->data_len));
    put(o, "nonce", rpc_json_u64(tx->nonce));
    put(o, "to", tx->has_to ? rpc_json_address(&tx->to) : json_null());
    put(o, "transactionIndex", where ? rpc_json_u64(where->index) : json_null());
    put(o, "value", rpc_json_u256(&tx->value));
    put(o, "type", rpc_json_u64(tx->type));
    if (tx->type != TX_LEGACY) put(o, "accessList", access_list_json(tx));
    if (tx->has_chain_id) put(o, "chainId", rpc_json_u64(tx->chain_id));
    if (tx->type == TX_SET_CODE) put(o, "authorizationList", auths_json(tx));
    if (tx->type == TX_BLOB) {
        json_t *h = new_array();
        for (size_t i = 0; i < tx->n_blob_hashes; i++) append(h, rpc_json_hash(&tx->blob_hashes[i]));
        put(o, "blobVersionedHashes", h);
    }
    put(o, "v", rpc_json_u256(&tx->v));
    put(o, "r", rpc_json_u256(&tx->r));
    put(o, "s", rpc_json_u256(&tx->s));
    if (tx->type != TX_LEGACY) put(o, "yParity", rpc_json_u256(&tx->v));
    return o;
}

static json_t *withdrawal_json(const withdrawal *w) {
    json_t *o = new_object();
    put(o, "index", rpc_json_u64(w->index));
    put(o, "validatorIndex", rpc_json_u64(w->validator));
    put(o, "address", rpc_json_address(&w->addr));
    put(o, "amount", rpc_json_u64(w->amount_gwei));
    return o;
}

json_t *node_json_block(const node_block *nb, bool full) {
    const block_header *h = &nb->b.header;
    json_t *o = new_object();
    if (h->has_base_fee) put(o, "baseFeePerGas", rpc_json_u256(&h->base_fee));
    if (h->has_blob_gas) put(o, "blobGasUsed", rpc_json_u64(h->blob_gas_used));
    put(o, "difficulty", rpc_json_u256(&h->difficulty));
    if (h->has_blob_gas) put(o, "excessBlobGas", rpc_json_u64(h->excess_blob_gas));
    put(o, "extraData", rpc_json_data(h->extra_data, h->extra_len < HEADER_EXTRA_MAX ? h->extra_len : HEADER_EXTRA_MAX));
    put(o, "gasLimit", rpc_json_u64(h->gas_limit));
    put(o, "gasUsed", rpc_json_u64(h->gas_used));
    put(o, "hash", rpc_json_hash(&nb->hash));
    put(o, "logsBloom", rpc_json_data(h->bloom, 256));
    put(o, "miner", rpc_json_address(&h->coinbase));
    put(o, "mixHash", rpc_json_hash(&h->mix_hash));
    uint8_t nonce[8];
    for (int i = 0; i < 8; i++) nonce[i] = (uint8_t)(h->nonce >> (56 - 8 * i));
    put(o, "nonce", rpc_json_data(nonce, 8));
    put(o, "number", rpc_json_u64(h->number));
    if (h->has_beacon_root) put(o, "parentBeaconBlockRoot", rpc_json_hash(&h->parent_beacon_root));
    put(o, "parentHash", rpc_json_hash(&h->parent_hash));
    put(o, "receiptsRoot", rpc_json_hash(&h->receipts_root));
    if (h->has_requests_hash) put(o, "requestsHash", rpc_json_hash(&h->requests_hash));
    put(o, "sha3Uncles", rpc_json_hash(&h->ommers_hash));
    put(o, "size", rpc_json_u64(nb->rlp_size));
    put(o, "stateRoot", rpc_json_hash(&h->state_root));
    put(o, "timestamp", rpc_json_u64(h->timestamp));
    json_t *txs = new_array();
    for (size_t i = 0; i < nb->b.n_txs; i++) {
        const transaction *tx = &nb->b.txs[i];
        if (full) {
            node_tx_place at = {nb->hash, h->number, h->timestamp, i, h->has_base_fee, h->base_fee};
            append(txs, node_json_tx(tx, &at));
        } else {
            append(txs, rpc_json_hash(&tx->hash));
        }
    }
    put(o, "transactions", txs);
    put(o, "transactionsRoot", rpc_json_hash(&h->tx_root));
    json_t *uncles = new_array();
    for (size_t i = 0; i < nb->b.n_ommers; i++) append(uncles, rpc_json_hash(&nb->b.ommers[i].hash));
    put(o, "uncles", uncles);
    if (nb->b.has_withdrawals) {
        json_t *w = new_array();
        for (size_t i = 0; i < nb->b.n_withdrawals; i++) append(w, withdrawal_json(&nb->b.withdrawals[i]));
        put(o, "withdrawals", w);
    }
    if (h->has_withdrawals_root) put(o, "withdrawalsRoot", rpc_json_hash(&h->withdrawals_root));
    return o;
}

json_t *node_json_header(const node_block *nb) {
    json_t *o = node_json_block(nb, false);
    static const char *const body[] = {"size", "transactions", "uncles", "withdrawals"};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) json_object_del(o, body[i]);
    return o;
}

json_t *node_json_log(const node_block *nb, size_t i, size_t k) {
    const node_log *l = &nb->logs[k];
    json_t *o = new_object(), *topics = new_array();
    put(o, "address", rpc_json_address(&l->addr));
    for (uint32_t t = 0; t < l->n_topics; t++) append(topics, rpc_json_hash(&l->topics[t]));
    put(o, "topics", topics);
    put(o, "data", rpc_json_data(l->data, l->len));
    put(o, "blockNumber", rpc_json_u64(nb->number));
    /* a block loaded with NODE_LOAD_LOGS: node_block_tx_hash filled tx_hashes[i] */
    put(o, "transactionHash", rpc_json_hash(nb->has_body ? &nb->b.txs[i].hash : &nb->tx_hashes[i]));
    put(o, "transactionIndex", rpc_json_u64(i));
    put(o, "blockHash", rpc_json_hash(&nb->hash));
    put(o, "blockTimestamp", rpc_json_u64(nb->b.header.timestamp));
    put(o, "logIndex", rpc_json_u64(k));
    put(o, "removed", json_false());
    return o;
}

/* keccak(rlp([sender, nonce]))[12:]: a creation's address. */
address node_create_address(const address *sender, uint64_t nonce) {
    buf_t b = {0};
    size_t l = rlp_list_begin(&b);
    rlp_encode_address(&b, sender);
    rlp_encode_u64(&b, nonce);
    rlp_list_end(&b, l);
    bytes32 h = keccak256_hash(b.data, b.len);
    buf_free(&b);
    address a;
    memcpy(a.b, h.b + 12, 20);
    return a;
}

json_t *node_json_receipt(const node_block *nb, size_t i) {
    const block_header *h = &nb->b.header;
    const transaction *tx = &nb->b.txs[i];
    const node_receipt *rc = &nb->receipts[i];
    json_t *o = new_object();
    if (tx->type == TX_BLOB) {
        put(o, "blobGasPrice", rpc_json_u256(&nb->blob_base_fee));
        put(o, "blobGasUsed", rpc_json_u64((uint64_t)GAS_PER_BLOB * tx->n_blob_hashes));
    }
    put(o, "blockHash", rpc_json_hash(&nb->hash));
    put(o, "blockNumber", rpc_json_u64(nb->number));
    if (tx->has_to) {
        put(o, "contractAddress", json_null());
    } else {
        address a = node_create_address(&tx->sender, tx->nonce);
        put(o, "contractAddress", rpc_json_address(&a));
    }
    put(o, "cumulativeGasUsed", rpc_json_u64(rc->cumulative_gas));
    u256 price = tx_effective_gas_price(tx, h->has_base_fee, &h->base_fee);
    put(o, "effectiveGasPrice", rpc_json_u256(&price));
    put(o, "from", rpc_json_address(&tx->sender));
    put(o, "gasUsed", rpc_json_u64(rc->gas_used));
    json_t *logs = new_array();
    for (size_t k = 0; k < rc->n_logs; k++) append(logs, node_json_log(nb, i, rc->first_log + k));
    put(o, "logs", logs);
    put(o, "logsBloom", rpc_json_data(rc->bloom, 256));
    if (rc->has_root) put(o, "root", rpc_json_hash(&rc->root));
    else put(o, "status", rpc_json_u64(rc->success ? 1 : 0));
    put(o, "to", tx->has_to ? rpc_json_address(&tx->to) : json_null());
    put(o, "transactionHash", rpc_json_hash(&tx->hash));
    put(o, "transactionIndex", rpc_json_u64(i));
    put(o, "type", rpc_json_u64(tx->type));
    return o;
}

json_t *node_json_go_list(json_t *list) {
    if (json_array_size(list)) return list;
    json_decref(list);
    return json_null();
}
