/* Method group: proofs -- eth_getProof (EIP-1186: an account and some of its
 * slots with the trie nodes that prove them against the block's state root)
 * and debug_executionWitness (also reth's debug_executionWitnessByBlockHash:
 * what a stateless client needs to re-execute a
 * block: the block is executed again over a recorder of its parent's state,
 * and the witness is built from what it read and changed), and reth's
 * eth_getAccount (an account's balance, nonce, code hash and storage root;
 * null when it does not exist) and eth_getMultiProof (eth_getProof for
 * several accounts at once). All work at any
 * retained block (tag, number or EIP-1898 object); historical tries are
 * computed from the store's change sets without writing (db_proof.h).
 *
 * Proofs are of the committed state: dev-mode edits not yet mined into a
 * block are in no trie and do not show (eth_getAccount reads balance,
 * nonce and code hash as eth_getBalance does, its storage root from the
 * tries). At "pending" outside dev mode they are of geth's pending block's
 * state (reth's pending state), against its computed state root: the
 * head's tries with the block's changes on top, nothing written; dev
 * mode's pending block has no state root, so there they are the head's. */
#include <inttypes.h>
#include <stdlib.h>
#include "node_build.h"
#include "parevm/db_proof.h"
#include "parevm/rpc_proof.h"
#include "parevm/state_recorder.h"

/* What a request proves: the state after st's block, or after its pending
 * block (geth's, outside dev mode: its state root is computed; anvil's
 * has none) from the block's change set. */
typedef struct {
    node_state *st;
    bool pending;
    change_set changes;       /* the pending block's */
    const block_header *head; /* the block whose state root the proofs are against */
} proof_at;

static void proof_at_open(node *n, node_state *st, proof_at *pa) {
    memset(pa, 0, sizeof *pa);
    pa->st = st;
    pa->head = &st->header;
    if (n->dev || !st->pending_block) return;
    pa->pending = true;
    pa->head = &st->pending_block->b.header;
    block_state_changes(st->pending_block->state, &pa->changes);
}

static void proof_at_close(proof_at *pa) { change_set_free(&pa->changes); }

/* Proves targets[0..n) at pa into out[0..n) (the caller frees each). */
static bool prove_many_at(const proof_at *pa, const db_proof_target *targets, size_t n, db_proof *out,
                          rpc_error *err) {
    const char *why = db_get_proofs_after(pa->st->src, pa->pending ? &pa->changes : NULL, targets, n, out);
    if (why)
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "proof of block %" PRIu64 ": %s", pa->head->number, why);
    /* a broken invariant of the store, but the client must not get a proof
     * against another root */
    for (size_t i = 0; i < n; i++)
        if (!bytes32_eq(&out[i].state_root, &pa->head->state_root))
            return rpc_error_set(err, RPC_INTERNAL_ERROR, "the tries of block %" PRIu64 " do not give its state root",
                                 pa->head->number);
    return true;
}

/* Proves a and slots[0..n) at pa into *p (the caller frees it). */
static bool prove_at(const proof_at *pa, const address *a, const u256 *slots, size_t n, db_proof *p,
                     rpc_error *err) {
    db_proof_target t = {.addr = *a, .slots = slots, .n_slots = n};
    return prove_many_at(pa, &t, 1, p, err);
}

/* The EIP-1186 object of a and keys at pa into *out. */
static bool proof_json(const proof_at *pa, const address *a, const rpc_proof_keys *keys, json_t **out,
                       rpc_error *err) {
    db_proof p;
    memset(&p, 0, sizeof p);
    bool ok = prove_at(pa, a, keys->keys, keys->n, &p, err);
    if (ok) *out = rpc_json_proof(a, &p, keys);
    db_proof_free(&p);
    return ok;
}

static bool get_proof(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 3, err)) return false; /* the block: latest when absent */
    address a;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    rpc_proof_keys keys;
    if ((why = rpc_parse_proof_keys(rpc_arg(params, 1), &keys))) return rpc_error_invalid_param(err, 1, why);
    node_read r;
    node_state st;
    bool ok = false;
    if (node_read_open(n, &r, err)) {
        if (node_state_arg(&r, params, 2, &st, err)) {
            proof_at pa;
            proof_at_open(n, &st, &pa);
            ok = proof_json(&pa, &a, &keys, result, err);
            proof_at_close(&pa);
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    rpc_proof_keys_free(&keys);
    return ok;
}

/* One [address, [slot, ...]] of eth_getMultiProof's targets. */
typedef struct {
    address addr;
    rpc_proof_keys keys;
} proof_target;

static void free_targets(proof_target *t, size_t n) {
    for (size_t i = 0; i < n; i++) rpc_proof_keys_free(&t[i].keys);
    free(t);
}

/* targets as reth's Vec<(Address, Vec<B256>)>: NULL or why not (*out then
 * holds nothing). */
static const char *parse_targets(const json_t *v, proof_target **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    if (!json_is_array(v)) return "targets must be an array of [address, [storage keys]]";
    size_t n = json_array_size(v);
    if (n > 1024) return "too many targets (at most 1024)";
    proof_target *t = calloc(n ? n : 1, sizeof *t);
    if (!t) abort();
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        const char *why = NULL;
        if (!json_is_array(e) || json_array_size(e) != 2) why = "a target must be [address, [storage keys]]";
        else if ((why = rpc_parse_address(json_array_get(e, 0), &t[i].addr))) {
        } else if (!(why = rpc_parse_proof_hashes(json_array_get(e, 1), &t[i].keys)) &&
                   (total += t[i].keys.n) > 4096)
            why = "too many storage keys (at most 4096 in all)";
        if (why) {
            free_targets(t, n);
            return why;
        }
    }
    *out = t;
    *n_out = n;
    return NULL;
}

/* reth's eth_getMultiProof(targets, block): eth_getProof's object for each
 * target, in order (an address may come more than once). */
static bool get_multi_proof(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false; /* the block: latest when absent */
    proof_target *t;
    size_t n;
    const char *why = parse_targets(rpc_arg(params, 0), &t, &n);
    if (why) return rpc_error_invalid_param(err, 0, why);
    node_read r;
    node_state st;
    bool ok = false;
    if (node_read_open(ctx, &r, err)) {
        if (node_state_arg(&r, params, 1, &st, err)) {
            json_t *a = json_array();
            if (!a) abort();
            proof_at pa;
            proof_at_open(ctx, &st, &pa);
            db_proof_target *dt = calloc(n ? n : 1, sizeof *dt);
            db_proof *p = calloc(n ? n : 1, sizeof *p);
            if (!dt || !p) abort();
            for (size_t i = 0; i < n; i++) dt[i] = (db_proof_target){t[i].addr, t[i].keys.keys, t[i].keys.n};
            ok = prove_many_at(&pa, dt, n, p, err); /* the tries opened once for all */
            for (size_t i = 0; i < n && ok; i++)
                if (json_array_append_new(a, rpc_json_proof(&t[i].addr, &p[i], &t[i].keys))) abort();
            for (size_t i = 0; i < n; i++) db_proof_free(&p[i]);
            free(p);
            free(dt);
            if (ok) *result = a;
            else json_decref(a);
            proof_at_close(&pa);
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    free_targets(t, n);
    return ok;
}

/* eth_getAccount(address, block): {balance, nonce, codeHash, storageRoot},
 * or null for an account that does not exist (reth's). */
static bool get_account(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    address a;
    const char *why = rpc_parse_address(rpc_arg(params, 0), &a);
    if (why) return rpc_error_invalid_param(err, 0, why);
    node_read r;
    node_state st;
    if (!node_read_open(ctx, &r, err)) return false;
    if (!node_state_arg(&r, params, 1, &st, err)) {
        node_read_close(&r);
        return false;
    }
    account_info info;
    bool exists = st.view.ops->get_account(st.view.ctx, &a, FIELD_BALANCE | FIELD_NONCE | FIELD_CODE, &info);
    bool ok = !node_state_failed(&st, err);
    db_proof p;
    memset(&p, 0, sizeof p);
    if (ok && exists) { /* the storage root from the tries */
        proof_at pa;
        proof_at_open(ctx, &st, &pa);
        ok = prove_at(&pa, &a, NULL, 0, &p, err);
        proof_at_close(&pa);
    }
    if (ok && exists) {
        bytes32 root = p.exists ? p.storage_root : EMPTY_TRIE_ROOT;
        *result = json_pack("{s:o,s:o,s:o,s:o}", "balance", rpc_json_u256(&info.balance), "nonce",
                            rpc_json_u64(info.nonce), "codeHash", rpc_json_hash(&info.code_hash), "storageRoot",
                            rpc_json_hash(&root));
    } else if (ok) {
        *result = NULL;
    }
    db_proof_free(&p);
    node_state_close(&st);
    node_read_close(&r);
    return ok;
}

/* A pre-Byzantium block's changes after each transaction (the states its
 * receipts' roots are of), kept for the witness; the roots themselves are
 * not needed here. */
typedef struct {
    change_set *v;
    size_t n;
} mid_changes;

static bytes32 keep_mid_changes(void *ctx, const block_state *bs) {
    mid_changes *m = ctx;
    m->v = realloc(m->v, (m->n + 1) * sizeof *m->v);
    if (!m->v) abort();
    memset(&m->v[m->n], 0, sizeof m->v[m->n]);
    block_state_changes(bs, &m->v[m->n++]);
    bytes32 zero = {0};
    return zero;
}

/* Executes block nb over a recorder of its parent's state and builds its
 * witness; checks that the witness's post-state root is the header's. */
static const char *witness_of(node *n, node_block *nb, bool legacy, execution_witness *w) {
    db_snapshot *parent;
    const char *why = db_snapshot_at(n->db, nb->number - 1, 1, &parent);
    if (why) return why;
    state_recorder *rec = state_recorder_new(db_snapshot_view(parent));
    block_state *bs = block_state_new(state_recorder_view(rec), db_codes(n->db));
    block_rules rules = node_rules(n, &nb->b.header);
    mid_changes mids = {0};
    if (rules.fork < FORK_BYZANTIUM) {
        rules.state_root = keep_mid_changes;
        rules.state_root_ctx = &mids;
    }
    executor *ex = node_executor_get(n);
    block_result res;
    memset(&res, 0, sizeof res);
    why = block_execute(ex, &rules, &nb->b, bs, &res);
    if (!why) why = db_snapshot_error(parent);
    change_set cs = {0};
    bytes32 post;
    if (!why) {
        block_state_changes(bs, &cs);
        why = db_execution_witness_mode(n->db, nb->number, rec, &cs, mids.v, mids.n, legacy, w, &post);
    }
    if (!why && !bytes32_eq(&post, &nb->b.header.state_root))
        why = "the witness's post-state root is not the block's (re-execution differs)";
    change_set_free(&cs);
    for (size_t i = 0; i < mids.n; i++) change_set_free(&mids.v[i]);
    free(mids.v);
    block_result_free(&res);
    node_executor_put(n, ex);
    block_state_free(bs);
    state_recorder_free(rec);
    db_snapshot_close(parent);
    return why;
}

/* debug_executionWitness(block, mode?) and reth's
 * debug_executionWitnessByBlockHash(hash, mode?) (by_hash). reth's modes:
 * "legacy" (its default) also holds the nodes a consumer that applies the
 * deletions first opens; "canonical" only those geth's order opens. */
static bool witness_for(node *n, const json_t *params, bool by_hash, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    rpc_block_ref ref = {.kind = RPC_BLOCK_HASH};
    const char *why = by_hash ? rpc_parse_hash(rpc_arg(params, 0), &ref.hash) : NULL;
    if (why) return rpc_error_invalid_param(err, 0, why);
    const json_t *mode = rpc_arg(params, 1);
    bool legacy = true;
    if (mode && !json_is_null(mode)) {
        const char *m = json_string_value(mode);
        if (!m || (strcmp(m, "legacy") && strcmp(m, "canonical")))
            return rpc_error_invalid_param(err, 1, "mode must be \"legacy\" or \"canonical\"");
        legacy = !strcmp(m, "legacy");
    }
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t number;
    bytes32 hash;
    bool found, ok = false;
    if (by_hash ? !node_resolve(&r, &ref, &number, &hash, &found, err)
                : !node_resolve_arg(&r, params, 0, false, &number, &hash, &found, err))
        goto out;
    if (!found) {
        rpc_error_set(err, RPC_SERVER_ERROR, "block not found");
        goto out;
    }
    if (number == 0) {
        rpc_error_set(err, RPC_SERVER_ERROR, "the genesis block has no execution witness");
        goto out;
    }
    node_block nb;
    why = node_block_load(&r, number, &hash, NODE_LOAD_BODY | NODE_LOAD_SENDERS, &nb);
    if (why) {
        rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
        goto out;
    }
    execution_witness w;
    memset(&w, 0, sizeof w);
    why = witness_of(n, &nb, legacy, &w);
    if (why) {
        rpc_error_set(err, RPC_SERVER_ERROR, "execution witness of block %" PRIu64 ": %s", number, why);
    } else {
        *result = rpc_json_witness(&w);
        ok = true;
    }
    execution_witness_free(&w);
    node_block_free(&nb);
out:
    node_read_close(&r);
    return ok;
}

static bool execution_witness_method(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return witness_for(ctx, params, false, result, err);
}

static bool execution_witness_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return witness_for(ctx, params, true, result, err);
}

void node_register_proofs(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_getProof", get_proof, n);
    rpc_methods_add(m, "eth_getMultiProof", get_multi_proof, n);
    rpc_methods_add(m, "eth_getAccount", get_account, n);
    rpc_methods_add(m, "debug_executionWitness", execution_witness_method, n);
    rpc_methods_add(m, "debug_executionWitnessByBlockHash", execution_witness_by_hash, n);
}
