/* Unit tests for the exec layer: the streamed logs hash equals keccak of the
 * logs' RLP, for logs of every size class; the cached bloom equals the plain
 * one; blob base fee; gas accounting over the whole uint64 range; KECCAK256
 * through the VM's memo. */
#include "parevm/exec.h"
#include "parevm/keccak.h"
#include "parevm/state.h"
#include "test.h"

TEST(logs_hash_streams_the_rlp) {
    uint64_t seed = 7;
    static uint8_t data[70000];
    for (size_t i = 0; i < sizeof data; i++) {
        seed = seed * 6364136223846793005ULL + 1;
        data[i] = (uint8_t)(seed >> 56);
    }
    static const size_t sizes[] = {0, 1, 2, 55, 56, 200, 255, 256, 65535, 65536, 66000};
    for (int round = 0; round < 40; round++) {
        overlay_log logs[6];
        size_t n = (size_t)round % 6, off = 0;
        for (size_t i = 0; i < n; i++) {
            overlay_log *l = &logs[i];
            memset(l, 0, sizeof *l);
            l->addr.b[19] = (uint8_t)i;
            l->n_topics = (uint32_t)((round + i) % 5);
            for (uint32_t t = 0; t < l->n_topics; t++) l->topics[t].b[0] = (uint8_t)t;
            l->data_len = sizes[(round * 7 + i) % (sizeof sizes / sizeof sizes[0])];
            if (l->data_len > sizeof data - off) l->data_len = 0;
            l->data_off = off;
            off += l->data_len;
        }
        if (round == 3) data[0] = 0x05; /* one-byte data below 0x80 encodes as itself */
        buf_t b = {0};
        logs_rlp(&b, logs, n, data);
        bytes32 want = keccak256_hash(b.data, b.len), got = logs_hash(logs, n, data);
        CHECK(bytes32_eq(&want, &got));
        buf_free(&b);
    }
}

/* The bloom of a log by its definition: bits from keccak of each item. */
static void reference_bloom(uint8_t bloom[256], const overlay_log *l) {
    for (int item = -1; item < (int)l->n_topics; item++) {
        uint8_t h[32];
        if (item < 0) keccak256(l->addr.b, 20, h);
        else keccak256(l->topics[item].b, 32, h);
        for (int i = 0; i < 6; i += 2) {
            unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047;
            bloom[255 - bit / 8] |= (uint8_t)(1u << (bit % 8));
        }
    }
}

TEST(bloom_cache_gives_the_same_bits) {
    /* few distinct items, many repeats, and keys that differ in one byte
     * only (the cache must compare whole keys, not just its hash) */
    bloom_cache *c = bloom_cache_new();
    uint64_t seed = 11;
    for (int round = 0; round < 3000; round++) {
        overlay_log l;
        memset(&l, 0, sizeof l);
        seed = seed * 6364136223846793005ULL + 1;
        l.addr.b[(seed >> 40) % 20] = (uint8_t)(seed >> 56);
        l.n_topics = (uint32_t)(seed >> 20) % 5;
        for (uint32_t t = 0; t < l.n_topics; t++) {
            seed = seed * 6364136223846793005ULL + 1;
            l.topics[t].b[(seed >> 40) % 32] = (uint8_t)(seed >> 60);
            if (t == 1) memcpy(l.topics[t].b + 12, l.addr.b, 20); /* a padded address */
        }
        uint8_t want[256] = {0}, got[256] = {0}, plain[256] = {0};
        reference_bloom(want, &l);
        logs_bloom(got, &l, 1, c);
        logs_bloom(plain, &l, 1, NULL);
        CHECK(!memcmp(want, got, 256) && !memcmp(want, plain, 256));
    }
    bloom_cache_free(c);
}

TEST(bloom_of_many_logs_in_one_call) {
    /* up to 35 items a call, hashed in batches of eight: batches that end
     * mid-log, items repeated within a batch, cache slots that two items
     * of one batch share */
    bloom_cache *c = bloom_cache_new();
    uint64_t seed = 29;
    overlay_log logs[7];
    for (int round = 0; round < 2000; round++) {
        seed = seed * 6364136223846793005ULL + 1;
        size_t n = (size_t)(seed >> 33) % 8;
        uint8_t want[256] = {0}, got[256] = {0}, plain[256] = {0};
        for (size_t i = 0; i < n; i++) {
            overlay_log *l = &logs[i];
            memset(l, 0, sizeof *l);
            seed = seed * 6364136223846793005ULL + 1;
            l->addr.b[(seed >> 40) % 20] = (uint8_t)(seed >> 58);
            l->n_topics = (uint32_t)(seed >> 20) % 5;
            for (uint32_t t = 0; t < l->n_topics; t++) {
                seed = seed * 6364136223846793005ULL + 1;
                l->topics[t].b[(seed >> 40) % 32] = (uint8_t)(seed >> 61);
                if (t == 2 && i > 0) l->topics[t] = logs[i - 1].topics[0]; /* the same item twice */
            }
            reference_bloom(want, l);
        }
        logs_bloom(got, logs, n, c);
        logs_bloom(plain, logs, n, NULL);
        CHECK(!memcmp(want, got, 256) && !memcmp(want, plain, 256));
    }
    bloom_cache_free(c);
}

TEST(blob_base_fee_formula) {
    /* fake_exponential(1, excess, 3338477): 1 until excess grows */
    u256 f = blob_base_fee(0, 3338477);
    CHECK_EQ_U64(f.w[0], 1);
    f = blob_base_fee(10 * 3338477ULL, 3338477);
    CHECK(f.w[0] > 21000 && f.w[0] < 23000); /* about e^10 = 22026 */
    f = blob_base_fee(3338477, 3338477);
    CHECK(f.w[0] >= 2 && f.w[0] <= 3); /* about e */
}

/* A transaction gas limit of 2^64 - 1 (a state test's block limit allows
 * it): the gas used is exact, not "negative gas" (the EVM's int64_t gas
 * once wrapped and the transaction ran out of gas at pc 0). */
TEST(gas_limit_of_2_64_minus_1) {
    static const uint8_t key[32] = {1};
    static const uint8_t code[] = {0x5a, 0x60, 0x00, 0x55, 0x00}; /* GAS PUSH1 0 SSTORE STOP */
    address contract = {{0xcc}};
    transaction tx = {.type = TX_LEGACY, .gas_limit = UINT64_MAX, .has_to = true, .to = contract};
    CHECK(tx_sign(&tx, key));
    mem_state *s = mem_state_new();
    u256 zero = U256_ZERO;
    mem_state_set_account(s, &tx.sender, &zero, 0, NULL, 0);
    mem_state_set_account(s, &contract, &zero, 0, code, sizeof code);
    block_env env = {.fork = FORK_BERLIN, .number = 1, .gas_limit = UINT64_MAX, .chain_id = 1};
    executor *ex = executor_new();
    tx_result res;
    exec_transaction(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS);
    /* 21000 + GAS 2 + PUSH1 3 + a cold SSTORE of a new value 22100 */
    CHECK_EQ_U64(res.gas_used, 43105);
    executor_free(ex);
    mem_state_free(s);
}

/* Same gas and changes as a fresh executor's, field by field. */
static void check_same_outcome(executor *fresh, executor *reused, const tx_result *a, const tx_result *b) {
    CHECK(a->valid && b->valid && a->status == EVM_SUCCESS && b->status == EVM_SUCCESS);
    CHECK_EQ_U64(a->gas_used, b->gas_used);
    const change_set *x = executor_changes(fresh), *y = executor_changes(reused);
    CHECK(x->n_accounts == y->n_accounts && x->n_slots == y->n_slots);
    for (size_t i = 0; i < x->n_accounts && i < y->n_accounts; i++) {
        const account_change *p = &x->accounts[i], *q = &y->accounts[i];
        CHECK(address_eq(&p->addr, &q->addr) && p->flags == q->flags && u256_eq(&p->balance, &q->balance) &&
              p->nonce == q->nonce && p->n_slots == q->n_slots);
    }
    for (size_t i = 0; i < x->n_slots && i < y->n_slots; i++)
        CHECK(u256_eq(&x->slots[i].key, &y->slots[i].key) && u256_eq(&x->slots[i].value, &y->slots[i].value));
}

/* One executor runs transactions of very different sizes in turn: after
 * one that touched thousands of accounts and slots its indexes are large
 * and are emptied entry by entry for small ones (overlay_begin). Every
 * transaction must see only its own accounts and slots: warm or cold (the
 * gas) and the values (the change set) as a fresh executor sees them. */
TEST(executor_reused_across_large_and_small_transactions) {
    static const uint8_t key[32] = {3};
    /* for i = calldata[0] down to 1: BALANCE(i); sum += SLOAD(i). Then SSTORE(0, sum) */
    static const uint8_t code[] = {0x60, 0x00, 0x35, 0x60, 0x00, 0x5b, 0x81, 0x80, 0x15, 0x60, 0x1a,
                                   0x57, 0x80, 0x31, 0x50, 0x54, 0x01, 0x90, 0x60, 0x01, 0x90, 0x03,
                                   0x90, 0x60, 0x05, 0x56, 0x5b, 0x50, 0x60, 0x00, 0x55, 0x00};
    address contract = {{0xca}};
    mem_state *s = mem_state_new();
    u256 zero = U256_ZERO, rich = u256_from_u64(1000000000000000000ULL);
    mem_state_set_account(s, &contract, &zero, 1, code, sizeof code);
    for (uint64_t k = 1; k <= 6000; k++) {
        u256 slot = u256_from_u64(k), value = u256_from_u64(k * 7);
        mem_state_set_storage(s, &contract, &slot, &value);
    }
    block_env env = {.fork = FORK_CANCUN, .number = 1, .gas_limit = UINT64_MAX, .chain_id = 1};
    executor *reused = executor_new();
    static const uint32_t sizes[] = {6000, 3, 0, 1, 2500, 40, 7, 6000, 1, 100, 0, 5000, 2};
    uint64_t sums_checked = 0;
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        uint8_t data[32] = {0};
        data[30] = (uint8_t)(sizes[t] >> 8);
        data[31] = (uint8_t)sizes[t];
        transaction tx = {.type = TX_LEGACY, .gas_limit = 200000000, .has_to = true, .to = contract,
                          .data = data, .data_len = sizeof data, .gas_price = u256_from_u64(1)};
        CHECK(tx_sign(&tx, key));
        mem_state_set_account(s, &tx.sender, &rich, 0, NULL, 0);
        executor *fresh = executor_new();
        tx_result a, b;
        exec_transaction(fresh, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &a);
        exec_transaction(reused, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &b);
        check_same_outcome(fresh, reused, &a, &b);
        /* the sum stored in slot 0: 7 * n(n+1)/2 */
        const change_set *y = executor_changes(reused);
        for (size_t i = 0; i < y->n_slots; i++)
            if (u256_is_zero(&y->slots[i].key)) {
                uint64_t n = sizes[t];
                CHECK_EQ_U64(y->slots[i].value.w[0], 7 * n * (n + 1) / 2);
                sums_checked++;
            }
        executor_free(fresh); /* tx holds no memory of its own: data is on the stack */
    }
    CHECK(sums_checked >= 10); /* slot 0 is unchanged where the sum is 0 */
    executor_free(reused);
    mem_state_free(s);
}

/* KECCAK256 goes through a per-VM memo of recent inputs of up to 64 bytes
 * (keccak_memo.c). One executor hashes 3000 inputs of 1 to 100 bytes drawn
 * from a few hundred (repeats that the memo answers, more distinct ones than
 * it holds, inputs that differ in length only or in one byte): every hash
 * stored must be the input's keccak. */
TEST(keccak256_opcode_through_the_memo) {
    /* CALLDATACOPY(0, 32, CALLDATASIZE - 32); SSTORE(0, KECCAK256(0, CALLDATALOAD(0))) */
    static const uint8_t code[] = {0x60, 0x20, 0x36, 0x03, 0x60, 0x20, 0x60, 0x00, 0x37, 0x60, 0x00, 0x35,
                                   0x60, 0x00, 0x20, 0x60, 0x00, 0x55, 0x00};
    address contract = {{0xce}}, sender = {{0x5e}};
    mem_state *s = mem_state_new();
    u256 zero = U256_ZERO;
    mem_state_set_account(s, &contract, &zero, 1, code, sizeof code);
    block_env env = {.fork = FORK_CANCUN, .number = 1, .gas_limit = UINT64_MAX, .chain_id = 1};
    executor *ex = executor_new();
    uint64_t seed = 11, matched = 0;
    enum { TXS = 3000 };
    for (int t = 0; t < TXS; t++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t pick = (uint32_t)(seed >> 33) % 700;
        size_t len = 1 + pick % 100;
        uint8_t data[32 + 100] = {0};
        data[31] = (uint8_t)len;
        for (size_t i = 0; i < len; i++) data[32 + i] = (uint8_t)(pick * 31 + i * (pick % 7));
        if (pick % 5 == 0) data[32 + len - 1] ^= 1; /* one byte off another input */
        if (pick % 11 == 0) memset(data + 32, 0, len); /* zeros: inputs that differ in length only */
        transaction tx = {.type = TX_LEGACY, .gas_limit = 1000000, .has_to = true, .to = contract, .data = data,
                          .data_len = 32 + len, .sender = sender, .sender_known = true};
        tx_result res;
        exec_call(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res);
        bytes32 want = keccak256_hash(data + 32, len);
        u256 w = u256_from_bytes32(&want);
        const change_set *y = executor_changes(ex);
        bool found = false;
        for (size_t i = 0; i < y->n_slots; i++)
            if (u256_is_zero(&y->slots[i].key)) found = u256_eq(&y->slots[i].value, &w);
        CHECK(res.valid && res.status == EVM_SUCCESS && found);
        matched += found;
    }
    CHECK_EQ_U64(matched, TXS);
    executor_free(ex);
    mem_state_free(s);
}

/* A run of JUMPDESTs is charged at once by the untraced interpreter: the
 * gas left after it, and running out inside it, must be as step by step.
 * The second contract's run reaches the end of its code. */
TEST(jumpdest_runs_charge_one_gas_each) {
    enum { RUN = 300 };
    uint8_t code[RUN + 5], tail_run[RUN];
    memset(code, 0x5b, RUN);
    memcpy(code + RUN, (const uint8_t[]){0x5a, 0x60, 0x00, 0x55, 0x00}, 5); /* SSTORE(0, GAS) */
    memset(tail_run, 0x5b, RUN);
    address contract = {{0xce}}, ends = {{0xcf}}, sender = {{0x5e}};
    mem_state *s = mem_state_new();
    u256 zero = U256_ZERO;
    mem_state_set_account(s, &contract, &zero, 1, code, sizeof code);
    mem_state_set_account(s, &ends, &zero, 1, tail_run, sizeof tail_run);
    block_env env = {.fork = FORK_CANCUN, .number = 1, .gas_limit = UINT64_MAX, .chain_id = 1};
    executor *ex = executor_new();
    transaction tx = {.type = TX_LEGACY, .gas_limit = 100000, .has_to = true, .to = contract,
                      .sender = sender, .sender_known = true};
    tx_result res;
    exec_call(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS);
    const change_set *y = executor_changes(ex);
    CHECK_EQ_U64(y->n_slots, 1);
    if (y->n_slots == 1) /* GAS reads what is left after its own 2 */
        CHECK_EQ_U64(y->slots[0].value.w[0], 100000 - 21000 - RUN - 2);
    tx.to = ends;
    tx.gas_limit = 21000 + RUN; /* exactly enough */
    exec_call(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS);
    CHECK_EQ_U64(res.gas_used, 21000 + RUN);
    tx.gas_limit = 21000 + RUN - 1; /* one short: out of gas at the last JUMPDEST */
    exec_call(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res);
    CHECK(res.valid && res.status == EVM_OUT_OF_GAS);
    CHECK_EQ_U64(res.gas_used, 21000 + RUN - 1);
    executor_free(ex);
    mem_state_free(s);
}

/* Memory a transaction can pay for (a state test's 2^63 gas buys 4 GiB)
 * but the engine will not hold: the transaction is rejected with a reason,
 * the process goes on, and the next transaction runs normally. */
TEST(memory_beyond_the_budget_rejects_the_transaction) {
    static const uint8_t key[32] = {2};
    /* PUSH4 0xffffffff MLOAD STOP: memory up to 4 GiB + 32 bytes */
    static const uint8_t code[] = {0x63, 0xff, 0xff, 0xff, 0xff, 0x51, 0x00};
    address contract = {{0xcd}};
    transaction tx = {.type = TX_LEGACY, .gas_limit = UINT64_MAX, .has_to = true, .to = contract};
    CHECK(tx_sign(&tx, key));
    mem_state *s = mem_state_new();
    u256 zero = U256_ZERO;
    mem_state_set_account(s, &tx.sender, &zero, 0, NULL, 0);
    mem_state_set_account(s, &contract, &zero, 0, code, sizeof code);
    block_env env = {.fork = FORK_BERLIN, .number = 1, .gas_limit = UINT64_MAX, .chain_id = 1};
    executor *ex = executor_new();
    tx_result res;
    exec_transaction(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &res);
    CHECK(!res.valid && res.error && strstr(res.error, "memory"));
    CHECK(executor_changes(ex)->n_accounts == 0);
    /* the same executor, an ordinary transaction */
    tx.to = (address){{0xee}};
    tx.gas_limit = 100000;
    CHECK(tx_sign(&tx, key));
    exec_transaction(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, 0, &res);
    CHECK(res.valid && res.status == EVM_SUCCESS && res.gas_used == 21000);
    executor_free(ex);
    mem_state_free(s);
}

/* A chain's own contract size limit (block_env.max_code_size, anvil's
 * --code-size-limit): code up to it deposits, one byte more fails; init code
 * may be twice it, in a transaction and through CREATE; with no limit
 * neither applies. Default: EIP-170's 24576 and EIP-3860's 49152. */
static uint8_t limit_status(uint32_t limit, uint32_t code_len, uint32_t pad, bool via_create, bool *valid) {
    static const uint8_t key[32] = {9};
    /* init code: return code_len zero bytes; padded after its RETURN */
    uint8_t init[7] = {0x62, (uint8_t)(code_len >> 16), (uint8_t)(code_len >> 8), (uint8_t)code_len, 0x60, 0x00, 0xf3};
    size_t init_len = sizeof init + pad;
    uint8_t *data = calloc(1, init_len);
    memcpy(data, init, sizeof init);
    /* the factory: CALLDATACOPY the whole input to memory, CREATE it */
    static const uint8_t factory[] = {0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x36, 0x60, 0x00, 0x60, 0x00,
                                      0xf0, 0x60, 0x00, 0x55, 0x00};
    address fac = {{0xfa}};
    transaction tx = {.type = TX_LEGACY, .gas_limit = 30000000, .data = data, .data_len = init_len};
    if (via_create) tx.has_to = true, tx.to = fac;
    CHECK(tx_sign(&tx, key));
    mem_state *s = mem_state_new();
    u256 rich = u256_from_u64(UINT64_MAX), zero = U256_ZERO;
    mem_state_set_account(s, &tx.sender, &rich, 0, NULL, 0);
    mem_state_set_account(s, &fac, &zero, 1, factory, sizeof factory);
    block_env env = {.fork = FORK_OSAKA, .number = 1, .gas_limit = 60000000, .chain_id = 1, .max_code_size = limit};
    executor *ex = executor_new();
    tx_result res;
    exec_call(ex, &env, mem_state_view(s), mem_state_codes(s), &tx, &res);
    *valid = res.valid;
    uint8_t status = res.status;
    if (via_create && res.valid) {
        /* the factory stored CREATE's result: zero when it failed */
        const change_set *cs = executor_changes(ex);
        bool created = false;
        for (size_t i = 0; i < cs->n_slots; i++) created |= !u256_is_zero(&cs->slots[i].value);
        status = created ? EVM_SUCCESS : EVM_REVERT;
    }
    executor_free(ex);
    mem_state_free(s);
    free(data);
    return status;
}

TEST(chain_contract_size_limit) {
    bool valid;
    /* EIP-170 by default */
    CHECK(limit_status(0, 24576, 0, false, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(0, 24577, 0, false, &valid) != EVM_SUCCESS && valid);
    CHECK(limit_status(0, 24577, 0, true, &valid) != EVM_SUCCESS && valid);
    /* raised to 30000 */
    CHECK(limit_status(30000, 30000, 0, false, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(30000, 30001, 0, false, &valid) != EVM_SUCCESS && valid);
    CHECK(limit_status(30000, 30000, 0, true, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(30000, 30001, 0, true, &valid) != EVM_SUCCESS && valid);
    /* init code: 49152 by default, twice the limit when raised */
    limit_status(0, 10, 49152 - 7 + 1, false, &valid);
    CHECK(!valid);
    CHECK(limit_status(30000, 10, 60000 - 7, false, &valid) == EVM_SUCCESS && valid);
    limit_status(30000, 10, 60000 - 7 + 1, false, &valid);
    CHECK(!valid);
    CHECK(limit_status(0, 10, 49152 - 7 + 1, true, &valid) != EVM_SUCCESS && valid);
    CHECK(limit_status(30000, 10, 60000 - 7, true, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(30000, 10, 60000 - 7 + 1, true, &valid) != EVM_SUCCESS && valid);
    /* none */
    CHECK(limit_status(EVM_NO_CODE_SIZE_LIMIT, 70000, 0, false, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(EVM_NO_CODE_SIZE_LIMIT, 70000, 0, true, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(EVM_NO_CODE_SIZE_LIMIT, 10, 100000, false, &valid) == EVM_SUCCESS && valid);
    CHECK(limit_status(EVM_NO_CODE_SIZE_LIMIT, 10, 100000, true, &valid) == EVM_SUCCESS && valid);
}

/* The jump destinations found 64 bytes at a time are those of a plain
 * byte-by-byte walk: random code heavy in PUSHes and JUMPDESTs, lengths
 * around the 64-byte blocks, push data running past a block or the end. */
TEST(jumpdest_analysis_matches_a_plain_walk) {
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = round < 300 ? (size_t)round : (size_t)(test_xorshift(&rng) % 700);
        uint8_t code[700];
        for (size_t i = 0; i < len; i++) {
            uint64_t r = test_xorshift(&rng);
            switch (r % 4) {
            case 0: code[i] = 0x5b; break;
            case 1: code[i] = (uint8_t)(0x60 + (r >> 8) % 32); break;
            case 2: code[i] = (uint8_t)(0x5f + (r >> 8) % 34); break; /* PUSH0 and the bytes around the PUSHes */
            default: code[i] = (uint8_t)(r >> 8); break;
            }
        }
        bytes32 h = keccak256_hash(code, len);
        evm_code *c = evm_code_new(code, len, &h);
        const uint64_t *bits = evm_code_jumpdests(c);
        for (size_t i = 0; i < len; i++) {
            bool want = code[i] == 0x5b;
            bool got = bits[i / 64] >> (i % 64) & 1;
            bad += want != got;
            if (code[i] >= 0x60 && code[i] <= 0x7f)
                for (size_t k = i + 1; k <= i + (size_t)(code[i] - 0x5f) && k < len; k++)
                    bad += (bits[k / 64] >> (k % 64) & 1) != 0;
            if (code[i] >= 0x60 && code[i] <= 0x7f) i += code[i] - 0x5f;
        }
        for (size_t i = len; i < (len / 64 + 1) * 64; i++) bad += (bits[i / 64] >> (i % 64) & 1) != 0;
        evm_code_free(c);
    }
    CHECK(bad == 0);
}
