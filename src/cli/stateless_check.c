/* The check of parevm stateless (cmd_stateless.c), shared with chaintest
 * --stateless: one block against its execution witness, as a stateless
 * client checks it (witness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parevm/block_roots.h"
#include "parevm/chain_rules.h"
#include "parevm/hex.h"
#include "parevm/parallel.h"
#include "stateless_check.h"

static void set_verdict(stateless_verdict *v, int status, const char *fmt, const char *detail) {
    v->status = status;
    snprintf(v->why, sizeof v->why, fmt, detail);
}

/* Pre-Byzantium receipts hold the state root after each transaction: the
 * changes so far applied on a fresh state over the witness's nodes. A root
 * the witness cannot give is remembered and fails the receipts root. Block-STM
 * calls it after its workers end, once per transaction in order. */
typedef struct {
    bytes32 pre_root;
    trie_nodes *nodes;
    code_store *codes;
    change_set cs;
    char err[200];
} mid_roots;

/* err, naming the hash of what w found missing, if any, into out. */
static void describe_lack(witness_state *w, const char *err, char *out, size_t n) {
    bytes32 h;
    char hx[67];
    if (witness_state_missing(w, &h)) {
        hex_encode(h.b, 32, hx);
        snprintf(out, n, "%s (%s)", err, hx);
    } else {
        snprintf(out, n, "%s", err);
    }
}

static bytes32 intermediate_root(void *ctx, const block_state *bs) {
    mid_roots *m = ctx;
    block_state_changes(bs, &m->cs);
    witness_state *w = witness_state_new(&m->pre_root, m->nodes, m->codes);
    witness_state_apply(w, &m->cs);
    bytes32 root;
    const char *err = witness_state_root(w, &root);
    if (err) {
        if (!m->err[0]) describe_lack(w, err, m->err, sizeof m->err);
        memset(root.b, 0xff, sizeof root.b);
    }
    witness_state_free(w);
    return root;
}

/* Executes b on ws and compares the outcome with the header. */
static void execute(unsigned threads, const chain_config *cfg, block *b, bool merged, witness_state *ws,
                    trie_nodes *nodes, code_store *codes, stateless_verdict *v) {
    block_rules rules = chain_block_rules(cfg, &b->header, merged);
    mid_roots mid = {.pre_root = v->parent.state_root, .nodes = nodes, .codes = codes};
    if (rules.fork < FORK_BYZANTIUM) {
        rules.state_root = intermediate_root;
        rules.state_root_ctx = &mid;
    }
    block_state *bs = block_state_new(witness_state_view(ws), codes);
    block_result res;
    memset(&res, 0, sizeof res);
    const char *why;
    if (threads > 0) {
        par_engine *e = par_engine_new((int)threads);
        if (!e) {
            set_verdict(v, 2, "%s", "cannot start the Block-STM threads");
            block_state_free(bs);
            return;
        }
        par_stats ps;
        why = par_block_execute(e, &rules, b, bs, &res, &ps);
        par_engine_free(e);
    } else {
        executor *ex = executor_new();
        why = block_execute(ex, &rules, b, bs, &res);
        executor_free(ex);
    }
    const char *missing = witness_state_error(ws);
    char lack[200];
    if (missing) {
        /* whatever execution concluded rests on an absent node or code */
        describe_lack(ws, missing, lack, sizeof lack);
        set_verdict(v, 2, "the block reads what the witness lacks: %s", lack);
    } else if (mid.err[0]) {
        set_verdict(v, 2, "an intermediate state root needs what the witness lacks: %s", mid.err);
    } else if (why) {
        set_verdict(v, 1, "%s", why);
    } else {
        bytes32 rr = block_receipts_root(&res);
        v->gas_used = res.gas_used;
        if ((why = block_check_results(&b->header, &res, &rr))) set_verdict(v, 1, "%s", why);
    }
    if (v->status == 0) {
        change_set cs = {0};
        block_state_changes(bs, &cs);
        witness_state_apply(ws, &cs);
        change_set_free(&cs);
        if ((why = witness_state_root(ws, &v->root))) {
            describe_lack(ws, why, lack, sizeof lack);
            set_verdict(v, 2, "the post-state root needs what the witness lacks: %s", lack);
        } else {
            v->has_root = true;
            if (!bytes32_eq(&v->root, &b->header.state_root)) set_verdict(v, 1, "%s", "state root mismatch");
        }
    }
    change_set_free(&mid.cs);
    block_result_free(&res);
    block_state_free(bs);
}

void stateless_check(const chain_config *cfg, const execution_witness *wit, block *b, size_t rlp_len,
                     unsigned threads, stateless_verdict *v) {
    memset(v, 0, sizeof *v);
    trie_nodes *nodes = trie_nodes_new();
    code_store *codes = code_store_new();
    witness_state *ws = NULL;
    const char *why = witness_state_from(wit, nodes, codes, &ws, &v->parent);
    if (why) {
        set_verdict(v, 2, "unusable witness: %s", why);
    } else if (v->parent.number + 1 != b->header.number || !bytes32_eq(&v->parent.hash, &b->header.parent_hash)) {
        set_verdict(v, 2, "%s", "the block is not the child of the witness's last header");
    } else {
        const block_header *h = &b->header;
        bool merged = chain_reached(cfg->paris_block, h->number) || u256_is_zero(&h->difficulty);
        fork_id fork = chain_fork_at(cfg, h->number, h->timestamp, merged);
        if ((why = header_validate(cfg, &v->parent, h, merged)) || (why = chain_check_body_roots(b, rlp_len, fork, NULL)))
            set_verdict(v, 1, "%s", why);
        else
            execute(threads, cfg, b, merged, ws, nodes, codes, v);
    }
    if (ws) witness_state_free(ws);
    code_store_free(codes);
    trie_nodes_free(nodes);
}
