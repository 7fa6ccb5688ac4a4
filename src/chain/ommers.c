/* The ommer (uncle) rules of a block against its recent ancestors
 * (Yellow Paper 11.1). */
#include "parevm/chain_import.h"

/* Walks the ancestors for ommer o: fails if it is one of them or was
 * included by one; *parent gets the ancestor that is its parent. */
static const char *against_ancestors(const chain_ancestor *anc, size_t n_anc, const block_header *o,
                                     const chain_ancestor **parent) {
    *parent = NULL;
    for (size_t d = 0; d < n_anc && d < 7; d++) {
        const chain_ancestor *a = &anc[d];
        if (bytes32_eq(&a->header.hash, &o->hash)) return "ommer is an ancestor";
        for (size_t k = 0; k < a->n_ommers; k++)
            if (bytes32_eq(&a->ommers[k].hash, &o->hash)) return "ommer already included";
        if (bytes32_eq(&a->header.hash, &o->parent_hash)) *parent = a;
    }
    return NULL;
}

const char *chain_check_ommers(const chain_config *cfg, const chain_ancestor *anc, size_t n_anc, const block *b,
                               bool merged) {
    if (merged) return b->n_ommers ? "ommers after the Merge" : NULL;
    if (cfg->clique) return b->n_ommers ? "ommers in a clique chain" : NULL;
    if (b->n_ommers > 2) return "more than two ommers";
    for (size_t i = 0; i < b->n_ommers; i++) {
        const block_header *o = &b->ommers[i];
        for (size_t j = 0; j < i; j++)
            if (bytes32_eq(&b->ommers[j].hash, &o->hash)) return "duplicate ommer";
        if (bytes32_eq(&o->hash, &b->header.hash)) return "block is its own ommer";
        const chain_ancestor *parent;
        const char *why = against_ancestors(anc, n_anc, o, &parent);
        if (why) return why;
        if (!parent) return "ommer's parent is not a recent ancestor";
        if (o->number + 6 < b->header.number || o->number >= b->header.number) return "ommer too old";
        if ((why = header_validate(cfg, &parent->header, o, false))) return why;
    }
    return NULL;
}
