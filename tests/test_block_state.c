/* block_state: after every change set, its view must read exactly what a
 * mem_state that applied the same change sets reads, and its net change set
 * applied to the base must give that mem_state's root. Random change sets
 * over a small key space, so that deletions, re-creations, storage resets,
 * balance deltas and slots cleared to zero meet each other often. */
#include "parevm/block_state.h"
#include "parevm/rlp.h"
#include "parevm/state_root.h"
#include "test.h"

#define N_ADDRS 12
#define N_SLOTS 6

static address addr_of(int i) {
    address a = {{0}};
    a.b[0] = 0xa0;
    a.b[19] = (uint8_t)(i + 1);
    return a;
}

static mem_state *random_base(uint64_t *rng) {
    mem_state *s = mem_state_new();
    for (int i = 0; i < N_ADDRS; i++) {
        if (test_xorshift(rng) % 3 == 0) continue;
        address a = addr_of(i);
        u256 bal = u256_from_u64(test_xorshift(rng) % 1000);
        uint8_t code[3] = {0x60, (uint8_t)i, 0x00};
        bool has_code = test_xorshift(rng) % 2;
        mem_state_set_account(s, &a, &bal, test_xorshift(rng) % 5, code, has_code ? 3 : 0);
        for (int k = 0; k < N_SLOTS; k++) {
            if (test_xorshift(rng) % 2) continue;
            u256 key = u256_from_u64((uint64_t)k), val = u256_from_u64(1 + test_xorshift(rng) % 50);
            mem_state_set_storage(s, &a, &key, &val);
        }
    }
    return s;
}

static void random_changes(uint64_t *rng, code_store *codes, change_set *cs) {
    change_set_clear(cs);
    int n = 1 + (int)(test_xorshift(rng) % 4);
    for (int j = 0; j < n; j++) {
        address a = addr_of((int)(test_xorshift(rng) % N_ADDRS));
        account_change *c = change_set_add_account(cs, &a);
        uint64_t r = test_xorshift(rng);
        if (r % 7 == 0) {
            c->flags = CHANGE_DELETED;
            continue;
        }
        c->flags = CHANGE_TOUCHED;
        if (r % 5 == 0) c->flags |= CHANGE_CREATED;
        if (r % 3 == 0) c->flags |= CHANGE_BALANCE, c->balance = u256_from_u64(test_xorshift(rng) % 1000);
        else if (r % 3 == 1) c->flags |= CHANGE_BALANCE_DELTA, c->balance = u256_from_u64(test_xorshift(rng) % 100);
        if (r % 4 == 0) c->flags |= CHANGE_NONCE, c->nonce = test_xorshift(rng) % 9;
        if (r % 11 == 0) {
            uint8_t code[2] = {0x5f, (uint8_t)(test_xorshift(rng) % 4)};
            c->flags |= CHANGE_CODE;
            c->code = code_store_intern(codes, code, test_xorshift(rng) % 3 ? 2 : 0);
        }
        int ns = (int)(test_xorshift(rng) % 4);
        for (int k = 0; k < ns; k++) {
            u256 key = u256_from_u64(test_xorshift(rng) % N_SLOTS);
            u256 val = u256_from_u64(test_xorshift(rng) % 3 ? test_xorshift(rng) % 40 : 0);
            change_set_add_slot(cs, c, &key, &val);
        }
    }
}

/* Every account field and slot of the key space reads the same. */
static bool same_reads(state_view a, state_view b) {
    for (int i = 0; i < N_ADDRS; i++) {
        address ad = addr_of(i);
        account_info x, y;
        bool ex = a.ops->get_account(a.ctx, &ad, FIELD_ALL, &x), ey = b.ops->get_account(b.ctx, &ad, FIELD_ALL, &y);
        if (ex != ey) return false;
        if (ex && (!u256_eq(&x.balance, &y.balance) || x.nonce != y.nonce || !bytes32_eq(&x.code_hash, &y.code_hash)))
            return false;
        if (!bytes32_eq(&a.ops->get_code(a.ctx, &ad)->hash, &b.ops->get_code(b.ctx, &ad)->hash)) return false;
        bool any = false;
        for (int k = 0; k < N_SLOTS; k++) {
            u256 key = u256_from_u64((uint64_t)k);
            u256 va = a.ops->get_storage(a.ctx, &ad, &key), vb = b.ops->get_storage(b.ctx, &ad, &key);
            if (!u256_eq(&va, &vb)) return false;
            any |= !u256_is_zero(&va);
        }
        /* has_storage may over-approximate only for slots the block zeroed */
        if (any && !a.ops->has_storage(a.ctx, &ad)) return false;
    }
    return true;
}

TEST(block_state_matches_sequential_application) {
    uint64_t rng = 0x5eed5eedULL;
    for (int round = 0; round < 300; round++) {
        mem_state *base = random_base(&rng);
        mem_state *ref = mem_state_clone(base);
        block_state *bs = block_state_new(mem_state_view(base), mem_state_codes(base));
        change_set cs = {0}, net = {0};
        int steps = 1 + (int)(test_xorshift(&rng) % 12);
        bool ok = true;
        for (int st = 0; st < steps && ok; st++) {
            random_changes(&rng, mem_state_codes(base), &cs);
            mem_state_apply(ref, &cs);
            block_state_apply(bs, &cs);
            ok = same_reads(block_state_view(bs), mem_state_view(ref));
            bytes32 want = mem_state_root(ref), got = mem_state_root_after(base, bs);
            ok = ok && bytes32_eq(&want, &got);
        }
        CHECK(ok);
        /* the net change set is a change set like any other: applied to a
         * fresh block_state over the base it reads the same again */
        block_state_changes(bs, &net);
        block_state_reset(bs, mem_state_view(base), mem_state_codes(base));
        block_state_apply(bs, &net);
        CHECK(same_reads(block_state_view(bs), mem_state_view(ref)));
        change_set_free(&cs);
        change_set_free(&net);
        block_state_free(bs);
        mem_state_free(ref);
        mem_state_free(base);
        if (!ok) break;
    }
}

TEST(block_state_net_changes_are_minimal) {
    mem_state *base = mem_state_new();
    address a = addr_of(1), b = addr_of(2);
    u256 bal = u256_from_u64(10);
    mem_state_set_account(base, &a, &bal, 1, NULL, 0);
    block_state *bs = block_state_new(mem_state_view(base), mem_state_codes(base));
    change_set cs = {0}, net = {0};
    /* a new account created and deleted within the block leaves nothing */
    account_change *c = change_set_add_account(&cs, &b);
    c->flags = CHANGE_BALANCE;
    c->balance = bal;
    block_state_apply(bs, &cs);
    change_set_clear(&cs);
    change_set_add_account(&cs, &b)->flags = CHANGE_DELETED;
    /* a's balance gets two deltas: one absolute value */
    c = change_set_add_account(&cs, &a);
    c->flags = CHANGE_BALANCE_DELTA;
    c->balance = u256_from_u64(5);
    block_state_apply(bs, &cs);
    block_state_apply(bs, &cs);
    block_state_changes(bs, &net);
    CHECK_EQ_U64(net.n_accounts, 1);
    CHECK(address_eq(&net.accounts[0].addr, &a));
    CHECK(!(net.accounts[0].flags & CHANGE_BALANCE_DELTA));
    CHECK_EQ_U64(net.accounts[0].balance.w[0], 20);
    CHECK(!(net.accounts[0].flags & (CHANGE_CODE | CHANGE_CREATED)));
    change_set_free(&cs);
    change_set_free(&net);
    block_state_free(bs);
    mem_state_free(base);
}

/* A copy of cs with its accounts, and each one's slots, shuffled. */
static void shuffled_copy(uint64_t *rng, const change_set *cs, change_set *out) {
    size_t n = cs->n_accounts, order[64];
    CHECK(n <= 64);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = test_xorshift(rng) % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    change_set_clear(out);
    for (size_t i = 0; i < n; i++) {
        const account_change *a = &cs->accounts[order[i]];
        account_change *c = change_set_add_account(out, &a->addr);
        uint32_t first = c->first_slot;
        *c = *a;
        c->first_slot = first;
        c->n_slots = 0;
        for (uint32_t k = 0; k < a->n_slots; k++)
            change_set_add_slot(out, c, &cs->slots[a->first_slot + k].key, &cs->slots[a->first_slot + k].value);
        slot_change *s = out->slots + c->first_slot;
        for (uint32_t k = c->n_slots; k > 1; k--) {
            uint32_t j = (uint32_t)(test_xorshift(rng) % k);
            slot_change t = s[k - 1];
            s[k - 1] = s[j];
            s[j] = t;
        }
    }
}

static bytes32 root_after(mem_state *base, const change_set *cs) {
    mem_state *m = mem_state_clone(base);
    mem_state_apply(m, cs);
    bytes32 r = mem_state_root(m);
    mem_state_free(m);
    return r;
}

/* change_set_same never calls two change sets the same unless they have
 * the same effect: random change sets (addresses and slots repeated
 * often) against shuffled copies of themselves, each applied to a base.
 * Copies in order, and net change sets (distinct addresses and slots)
 * in any order, are always found the same. */
TEST(change_set_same_only_for_the_same_effect) {
    uint64_t rng = 0xc0ffee11ULL;
    int same = 0, differ = 0;
    for (int round = 0; round < 400; round++) {
        mem_state *base = random_base(&rng);
        change_set a = {0}, b = {0}, net = {0};
        random_changes(&rng, mem_state_codes(base), &a);
        shuffled_copy(&rng, &a, &b);
        if (change_set_same(&a, &b)) {
            bytes32 ra = root_after(base, &a), rb = root_after(base, &b);
            CHECK(bytes32_eq(&ra, &rb));
            same++;
        } else {
            differ++;
        }
        change_set_clear(&b);
        change_set_append(&b, &a, a.n_accounts);
        CHECK(change_set_same(&a, &b) && change_set_same(&b, &a));
        /* a block's net changes: distinct keys, so any order */
        block_state *bs = block_state_new(mem_state_view(base), mem_state_codes(base));
        for (int st = 0; st < 6; st++) {
            random_changes(&rng, mem_state_codes(base), &a);
            block_state_apply(bs, &a);
        }
        block_state_changes(bs, &net);
        shuffled_copy(&rng, &net, &b);
        CHECK(change_set_same(&net, &b) && change_set_same(&b, &net));
        change_set_free(&a);
        change_set_free(&b);
        change_set_free(&net);
        block_state_free(bs);
        mem_state_free(base);
    }
    CHECK(same > 50 && differ > 50);
}

/* One difference anywhere, and entries whose order matters, give false. */
TEST(change_set_same_edge_cases) {
    code_store *codes = code_store_new();
    uint8_t c1[2] = {0x5f, 0x00}, c2[2] = {0x5f, 0x01};
    const evm_code *k1 = code_store_intern(codes, c1, 2), *k2 = code_store_intern(codes, c2, 2);
    change_set a = {0}, b = {0};
    CHECK(change_set_same(&a, &b)); /* both empty */
    address x = addr_of(1), y = addr_of(2);
    u256 s1 = u256_from_u64(1), s2 = u256_from_u64(2), v1 = u256_from_u64(7), v2 = u256_from_u64(8);
    /* builds a two-account change set: x (fields, slots s1=v1, s2=v2) then y */
    for (int variant = 0; variant <= 9; variant++) {
        change_set *cs = variant ? &b : &a;
        change_set_clear(cs);
        bool y_first = variant == 1;
        for (int pass = 0; pass < 2; pass++) {
            bool is_x = (pass == 0) != y_first;
            account_change *c = change_set_add_account(cs, is_x ? &x : &y);
            c->flags = CHANGE_TOUCHED | CHANGE_BALANCE | CHANGE_NONCE | (is_x ? CHANGE_CODE : 0);
            c->balance = u256_from_u64(is_x ? 100 : 200);
            c->nonce = 3;
            if (!is_x) continue;
            c->code = variant == 5 ? k2 : k1;
            if (variant == 2) c->balance = u256_from_u64(101);
            if (variant == 3) c->nonce = 4;
            if (variant == 4) c->flags |= CHANGE_CREATED;
            bool swap = variant == 1 || variant == 9;
            change_set_add_slot(cs, c, swap ? &s2 : &s1, swap ? &v2 : (variant == 6 ? &v2 : &v1));
            if (variant != 7) change_set_add_slot(cs, c, swap ? &s1 : &s2, swap ? &v1 : &v2);
            else change_set_add_slot(cs, c, &s1, &v1); /* s1 twice, s2 missing */
            if (variant == 8) c->n_slots = 1, cs->n_slots--; /* a slot fewer */
        }
        if (variant == 0) continue;
        bool want = variant == 1 || variant == 9; /* reordered accounts or slots */
        CHECK(change_set_same(&a, &b) == want);
        CHECK(change_set_same(&b, &a) == want);
    }
    (void)k2;
    /* an address twice: order matters, so only identical sequences match */
    change_set_clear(&a);
    change_set_clear(&b);
    for (int i = 0; i < 2; i++) {
        account_change *c = change_set_add_account(&a, &x);
        c->flags = CHANGE_BALANCE;
        c->balance = u256_from_u64((uint64_t)i + 1);
        c = change_set_add_account(&b, &x);
        c->flags = CHANGE_BALANCE;
        c->balance = u256_from_u64((uint64_t)(2 - i));
    }
    CHECK(!change_set_same(&a, &b));
    change_set_clear(&b);
    change_set_append(&b, &a, a.n_accounts);
    CHECK(change_set_same(&a, &b));
    /* a slot twice in one account: likewise */
    change_set_clear(&a);
    change_set_clear(&b);
    account_change *ca = change_set_add_account(&a, &x), *cb = change_set_add_account(&b, &x);
    change_set_add_slot(&a, ca, &s1, &v1);
    change_set_add_slot(&a, ca, &s1, &v2);
    change_set_add_slot(&b, cb, &s1, &v2);
    change_set_add_slot(&b, cb, &s1, &v1);
    CHECK(!change_set_same(&a, &b));
    change_set_free(&a);
    change_set_free(&b);
    code_store_free(codes);
}

/* change_set_encode / change_set_decode: random change sets (full-width
 * balances too) come back the same, code interned in the decoder's store;
 * every truncation is an error, and any one damaged byte gives an error or
 * some change set, never a crash. */
TEST(change_set_codec_round_trip) {
    uint64_t rng = 0x5eed0c0dULL;
    code_store *codes = code_store_new(), *other = code_store_new();
    change_set a = {0}, b = {0};
    for (int round = 0; round < 300; round++) {
        random_changes(&rng, codes, &a);
        if (round % 5 == 0 && a.accounts[0].flags & CHANGE_BALANCE)
            a.accounts[0].balance = u256_sub(&U256_ZERO, &a.accounts[0].balance); /* a wrapped delta */
        buf_t enc = {0};
        change_set_encode(&a, &enc);
        CHECK(change_set_decode(enc.data, enc.len, codes, &b) == NULL);
        CHECK(change_set_same(&a, &b));
        CHECK(change_set_decode(enc.data, enc.len, other, &b) == NULL && b.n_accounts == a.n_accounts);
        for (size_t i = 0; i < a.n_accounts && i < b.n_accounts; i++)
            if (a.accounts[i].flags & CHANGE_CODE)
                CHECK(bytes32_eq(&a.accounts[i].code->hash, &b.accounts[i].code->hash) &&
                      (!a.accounts[i].code->len || a.accounts[i].code != b.accounts[i].code));
        for (size_t cut = 0; cut < enc.len; cut++) {
            CHECK(change_set_decode(enc.data, cut, codes, &b) != NULL);
            CHECK(b.n_accounts == 0);
        }
        for (int k = 0; k < 8; k++) {
            size_t at = test_xorshift(&rng) % enc.len;
            uint8_t keep = enc.data[at];
            enc.data[at] ^= (uint8_t)(1 + test_xorshift(&rng) % 255);
            if (change_set_decode(enc.data, enc.len, codes, &b)) CHECK(b.n_accounts == 0);
            enc.data[at] = keep;
        }
        buf_free(&enc);
    }
    /* the empty set; fields the flags do not use must be empty */
    buf_t enc = {0};
    change_set_clear(&a);
    change_set_encode(&a, &enc);
    CHECK(enc.len == 1 && enc.data[0] == 0xc0);
    CHECK(change_set_decode(enc.data, enc.len, codes, &b) == NULL && b.n_accounts == 0);
    /* [[addr, flags, "", nonce, "", []]]: a nonce without CHANGE_NONCE,
     * and an unknown flag, are refused */
    const uint64_t cases[][3] = {{CHANGE_TOUCHED, 0, 1}, {CHANGE_TOUCHED, 5, 0}, {CHANGE_TOUCHED | CHANGE_NONCE, 5, 1},
                                 {128, 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_clear(&enc);
        size_t all = rlp_list_begin(&enc), entry = rlp_list_begin(&enc);
        address ad = addr_of(1);
        rlp_encode_address(&enc, &ad);
        rlp_encode_u64(&enc, cases[i][0]);
        rlp_encode_bytes(&enc, NULL, 0);
        rlp_encode_u64(&enc, cases[i][1]);
        rlp_encode_bytes(&enc, NULL, 0);
        rlp_list_end(&enc, rlp_list_begin(&enc));
        rlp_list_end(&enc, entry);
        rlp_list_end(&enc, all);
        const char *why = change_set_decode(enc.data, enc.len, codes, &b);
        CHECK((why == NULL) == (bool)cases[i][2]);
        CHECK(b.n_accounts == cases[i][2]);
    }
    buf_free(&enc);
    change_set_free(&a);
    change_set_free(&b);
    code_store_free(codes);
    code_store_free(other);
}

/* block_state_view_over: the changes read over another base that shows
 * the same state (a copy) answer as a mem_state that applied the same
 * change sets, and read nothing from the block_state's own base (emptied
 * under them). */
TEST(block_state_view_over_a_copy) {
    uint64_t rng = 0x0be11a5eULL;
    for (int round = 0; round < 200; round++) {
        mem_state *base = random_base(&rng), *copy = mem_state_clone(base), *ref = mem_state_clone(base);
        block_state *bs = block_state_new(mem_state_view(base), mem_state_codes(base));
        change_set cs = {0};
        for (int k = 0; k < 4; k++) {
            random_changes(&rng, mem_state_codes(base), &cs);
            block_state_apply(bs, &cs);
            mem_state_apply(ref, &cs);
        }
        block_state_over over;
        state_view v = block_state_view_over(&over, bs, mem_state_view(copy));
        CHECK(same_reads(v, mem_state_view(ref)));
        mem_state *empty = mem_state_new();
        block_state_rebase(bs, mem_state_view(empty));
        CHECK(same_reads(v, mem_state_view(ref)));
        change_set_free(&cs);
        block_state_free(bs);
        mem_state_free(empty);
        mem_state_free(ref);
        mem_state_free(copy);
        mem_state_free(base);
    }
}

/* block_state_clone: the copy reads as the original, and the two then
 * change apart: each answers as a mem_state that applied its own change
 * sets (what the dev node's edits rely on: each edit's index is a copy of
 * the previous one with the edit applied). */
TEST(block_state_clone_changes_apart) {
    uint64_t rng = 0xc10e5eedULL;
    for (int round = 0; round < 200; round++) {
        mem_state *base = random_base(&rng), *ref = mem_state_clone(base);
        block_state *bs = block_state_new(mem_state_view(base), mem_state_codes(base));
        change_set cs = {0};
        for (int k = 0; k < 3; k++) {
            random_changes(&rng, mem_state_codes(base), &cs);
            block_state_apply(bs, &cs);
            mem_state_apply(ref, &cs);
        }
        block_state *copy = block_state_clone(bs);
        CHECK(same_reads(block_state_view(copy), mem_state_view(ref)));
        mem_state *ref2 = mem_state_clone(ref);
        random_changes(&rng, mem_state_codes(base), &cs);
        block_state_apply(copy, &cs);
        mem_state_apply(ref2, &cs);
        random_changes(&rng, mem_state_codes(base), &cs);
        block_state_apply(bs, &cs);
        mem_state_apply(ref, &cs);
        CHECK(same_reads(block_state_view(copy), mem_state_view(ref2)));
        CHECK(same_reads(block_state_view(bs), mem_state_view(ref)));
        /* the copy outlives its original */
        block_state_free(bs);
        CHECK(same_reads(block_state_view(copy), mem_state_view(ref2)));
        change_set_free(&cs);
        block_state_free(copy);
        mem_state_free(ref2);
        mem_state_free(ref);
        mem_state_free(base);
    }
}
