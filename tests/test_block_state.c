/* block_state: after every change set, its view must read exactly what a
 * mem_state that applied the same change sets reads, and its net change set
 * applied to the base must give that mem_state's root. Random change sets
 * over a small key space, so that deletions, re-creations, storage resets,
 * balance deltas and slots cleared to zero meet each other often. */
#include "parevm/block_state.h"
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
