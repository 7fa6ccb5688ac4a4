/* Log filters as eth_getLogs and the filter methods (rpc_filters.c) share
 * them (rpc_logs.c): the criteria parsed from a filter object, the matching
 * logs of one block, and a whole query over a block range or one block. */
#ifndef PAREVM_NODE_LOGS_H
#define PAREVM_NODE_LOGS_H

#include "node_internal.h"

typedef struct {
    bytes32 *v;
    size_t n; /* 0: any */
} node_topic_set;

typedef struct {
    bool by_hash;
    bytes32 hash;
    rpc_block_ref from, to;    /* tags or numbers (default latest) */
    address *addrs;
    size_t n_addrs;            /* 0: any */
    node_topic_set topics[4];
    size_t n_topics;
} node_log_filter;

/* Parses a filter object (argument 0): fromBlock/toBlock or blockHash,
 * address (one or a list), topics (up to four positions, each null, a
 * topic or a list). Invalid input fills err with -32602; free f either way. */
bool node_log_filter_parse(const json_t *v, node_log_filter *f, rpc_error *err);
void node_log_filter_free(node_log_filter *f);

/* Appends the logs of block (number, hash) that match f to out, each with
 * "removed" set to `removed`. More than max results in out is an error
 * (-32005); a store error is -32603. */
bool node_log_scan_block(node_read *r, const node_log_filter *f, uint64_t number, const bytes32 *hash,
                         bool removed, size_t max, json_t *out, rpc_error *err);

/* eth_getLogs: the matching logs of f's block or block range against r's
 * snapshot, within the node's limits (a range or a result count past them
 * is -32005). *out is a new array on success. */
bool node_log_query(node_read *r, const node_log_filter *f, json_t **out, rpc_error *err);

#endif
