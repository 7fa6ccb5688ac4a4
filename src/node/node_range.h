/* The state of any retained block walked in hashed-key order, the order of
 * the tries (geth's state dumps and storage ranges): the accounts of a
 * state, or the slots of one account, from a position (node_range.c), for
 * debug_accountRange, debug_dumpBlock and debug_storageRangeAt.
 *
 * The store keeps the latest state's rows in hashed order. An older block's
 * state differs from the latest only at the keys the later blocks' change
 * sets name, and a layer over a state (dev edits, replayed transactions)
 * only at the keys its change set names. A walk merges the latest rows from
 * the position with those keys, in hashed order, and reads each key's value
 * through the view of the state asked for; a key absent there (a zero slot,
 * an account that does not exist) is skipped. Cost: reading the later
 * blocks' change sets (for a historical state), and one read through the
 * view per key visited. */
#ifndef PAREVM_NODE_RANGE_H
#define PAREVM_NODE_RANGE_H

#include "node_internal.h"

typedef struct {
    node_read *r;                /* the request's snapshot: latest rows, change sets */
    uint64_t number;             /* the block whose stored state the view shows (<= r->head) */
    state_view view;             /* the state walked: that block's, with the layers on top */
    const change_set *layers[2]; /* the layers' change sets (NULL: none) */
} node_range_src;

typedef struct {
    bytes32 hkey;                /* keccak of the address or slot */
    address addr;                /* accounts */
    account_info info;
    u256 slot, value;            /* slots */
} node_range_item;

/* A walk's result. Owns items: node_range_free. */
typedef struct {
    node_range_item *items;
    size_t n;
    bool more;                   /* another key follows the last item: */
    bytes32 next;                /* its hashed key */
} node_range;

/* Up to max accounts that exist in src's state, from the first whose hashed
 * address is >= start (NULL: the first). false with err (-32603) on a store
 * error met walking; errors of the view's reads are the caller's to check
 * (node_state_failed). */
bool node_range_accounts(const node_range_src *src, const bytes32 *start, size_t max, node_range *out,
                         rpc_error *err);
/* The same for the non-zero slots of addr. */
bool node_range_slots(const node_range_src *src, const address *addr, const bytes32 *start, size_t max,
                      node_range *out, rpc_error *err);
void node_range_free(node_range *r);

#endif
