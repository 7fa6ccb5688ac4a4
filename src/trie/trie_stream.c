/* The streaming trie builder: leaves arrive in increasing key order, and
 * only the branches on the path of the last leaf are open. When the next key
 * leaves that path at depth L, every open branch deeper than L is complete:
 * it is encoded (and recorded when it qualifies) and becomes a child of the
 * branch at L, which is opened if it does not exist yet. Memory is one
 * 16-child branch per depth, whatever the number of leaves. */
#include <stdlib.h>

#include "trie_internal.h"

void sb_init(stream_builder *b, const record_sink *sink) {
    memset(b, 0, sizeof *b);
    b->sink = sink;
}

void sb_free(stream_builder *b) {
    buf_free(&b->prev_val);
    buf_free(&b->scratch);
}

static open_branch *open_at(stream_builder *b, size_t depth) {
    open_branch *o = &b->stack[b->sp++];
    o->depth = (uint8_t)depth;
    for (int c = 0; c < 16; c++) o->ch[c].kind = CH_EMPTY;
    return o;
}

/* Hangs the summary s (keys under prev_key[0..top.depth+1)) on the top
 * branch. */
static void attach(stream_builder *b, const trie_sum *s) {
    open_branch *top = &b->stack[b->sp - 1];
    unsigned c = key_nibble(b->prev_key, top->depth);
    top->ch[c] = sum_child(s, top->depth + 1u, &b->scratch, b->defer);
}

static void attach_prev_leaf(stream_builder *b) {
    trie_sum s = {.kind = SUM_LEAF, .val = b->prev_val.data, .val_len = b->prev_val.len};
    memcpy(s.key, b->prev_key, 32);
    attach(b, &s);
}

/* Closes the top branch into a NODE summary. */
static void close_top(stream_builder *b, trie_sum *out) {
    open_branch *top = &b->stack[--b->sp];
    memset(out, 0, sizeof *out);
    out->kind = SUM_NODE;
    out->depth = top->depth;
    memcpy(out->key, b->prev_key, 32);
    branch_finish(top->ch, b->prev_key, top->depth, b->sink, &b->scratch, b->defer, &out->ref, &out->stored);
}

void sb_push(stream_builder *b, const uint8_t key[32], const uint8_t *val, size_t len) {
    if (b->have_prev) {
        size_t l = key_lcp(b->prev_key, key);
        if (b->sp == 0 || b->stack[b->sp - 1].depth < l) open_at(b, l);
        attach_prev_leaf(b);
        while (b->stack[b->sp - 1].depth > l) {
            trie_sum s;
            close_top(b, &s);
            if (b->sp == 0 || b->stack[b->sp - 1].depth < l) open_at(b, l);
            attach(b, &s);
        }
    }
    b->have_prev = true;
    memcpy(b->prev_key, key, 32);
    buf_clear(&b->prev_val);
    buf_append(&b->prev_val, val, len);
}

void sb_finish(stream_builder *b, arena *a, trie_sum *out) {
    memset(out, 0, sizeof *out);
    if (!b->have_prev) {
        out->kind = SUM_EMPTY;
        return;
    }
    b->have_prev = false;
    if (b->sp == 0) {
        out->kind = SUM_LEAF;
        memcpy(out->key, b->prev_key, 32);
        out->val_len = b->prev_val.len;
        if (a) {
            uint8_t *v = trie_arena_alloc(a, out->val_len);
            memcpy(v, b->prev_val.data, out->val_len);
            out->val = v;
        } else {
            out->val = b->prev_val.data;
        }
        return;
    }
    attach_prev_leaf(b);
    while (b->sp > 1) {
        trie_sum s;
        close_top(b, &s);
        attach(b, &s);
    }
    close_top(b, out);
}

/* ---- Public streaming builder ---- */

struct trie_stream {
    stream_builder sb;
    record_sink sink;
    bytes32 owner;
    uint8_t last[32];
    bool any;
};

trie_stream *trie_stream_new(trie_updates *records, const bytes32 *owner) {
    trie_stream *s = calloc(1, sizeof *s);
    if (!s) abort();
    if (owner) s->owner = *owner;
    s->sink = (record_sink){records, owner ? &s->owner : NULL};
    sb_init(&s->sb, &s->sink);
    return s;
}

void trie_stream_free(trie_stream *s) {
    if (!s) return;
    sb_free(&s->sb);
    free(s);
}

const char *trie_stream_push(trie_stream *s, const bytes32 *key, const uint8_t *val, size_t len) {
    if (len == 0) return "trie leaf with an empty value";
    if (s->any && memcmp(key->b, s->last, 32) <= 0) return "trie leaves not in increasing key order";
    s->any = true;
    memcpy(s->last, key->b, 32);
    sb_push(&s->sb, key->b, val, len);
    return NULL;
}

bytes32 trie_stream_root(trie_stream *s) {
    trie_sum sum;
    sb_finish(&s->sb, NULL, &sum);
    s->any = false;
    return sum_root(&sum, &s->sb.scratch);
}
