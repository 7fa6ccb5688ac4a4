/* Method group: what the node is -- eth_config (EIP-7910, in geth's form
 * that execution-apis' tests use): the current, next and last
 * timestamp-scheduled forks, each with its activation time, blob schedule,
 * chain id, EIP-2124 fork id, active precompiles and system contracts; and
 * eth_capabilities (execution-apis #755, as geth answers it): the head and
 * the oldest block of each kind of history the node serves; and
 * debug_chainConfig (geth, reth): the configuration as a genesis file's
 * "config" object. */
#include <stdio.h>
#include "node_internal.h"
#include "parevm/hex.h"

/* ---- EIP-2124 fork ids ------------------------------------------------------------------- */

/* IEEE CRC-32 (reflected, polynomial 0xEDB88320) continued from crc. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

/* The forks by time, in order (the BPO forks after Osaka). */
static size_t time_forks(const chain_config *c, uint64_t out[9]) {
    uint64_t all[9] = {c->shanghai_time, c->cancun_time, c->prague_time, c->osaka_time};
    for (int k = 0; k < 5; k++) all[4 + k] = c->bpo_time[k];
    size_t n = 0;
    for (int i = 0; i < 9; i++) out[n++] = all[i];
    return n;
}

/* The fork id of a node at time t (every block-numbered fork passed):
 * CRC-32 of the genesis hash and each distinct fork block and fork time
 * (past genesis) up to t, as 8-byte big-endian numbers. */
static uint32_t eip2124_id(const chain_config *c, const bytes32 *genesis, uint64_t genesis_time, uint64_t t) {
    uint32_t crc = crc32_update(0, genesis->b, 32);
    uint64_t blocks[] = {c->homestead,    c->dao,       c->tangerine_whistle, c->spurious_dragon, c->byzantium,
                         c->constantinople, c->petersburg, c->istanbul,       c->muir_glacier,    c->berlin,
                         c->london,       c->arrow_glacier, c->gray_glacier,    c->merge_netsplit};
    uint64_t last = 0;
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        uint64_t b = blocks[i];
        if (b == CHAIN_NEVER || b == 0 || b == last) continue;
        uint8_t be[8];
        for (int k = 0; k < 8; k++) be[k] = (uint8_t)(b >> (56 - 8 * k));
        crc = crc32_update(crc, be, 8);
        last = b;
    }
    uint64_t times[9];
    size_t nt = time_forks(c, times);
    last = 0;
    for (size_t i = 0; i < nt; i++) {
        uint64_t f = times[i];
        if (f == CHAIN_NEVER || f <= genesis_time || f == last || f > t) continue;
        uint8_t be[8];
        for (int k = 0; k < 8; k++) be[k] = (uint8_t)(f >> (56 - 8 * k));
        crc = crc32_update(crc, be, 8);
        last = f;
    }
    return crc;
}

/* ---- One fork's configuration --------------------------------------------------------------- */

static void add_address(json_t *o, const char *name, const char *hex20) {
    address a;
    if (!hex_to_fixed(hex20, a.b, 20)) abort(); /* our constants */
    json_object_set_new(o, name, rpc_json_address(&a));
}

static json_t *precompiles(fork_id f) {
    static const struct {
        const char *name;
        const char *addr;
        fork_id from;
    } P[] = {
        {"BLAKE2F", "0x0000000000000000000000000000000000000009", FORK_ISTANBUL},
        {"BLS12_G1ADD", "0x000000000000000000000000000000000000000b", FORK_PRAGUE},
        {"BLS12_G1MSM", "0x000000000000000000000000000000000000000c", FORK_PRAGUE},
        {"BLS12_G2ADD", "0x000000000000000000000000000000000000000d", FORK_PRAGUE},
        {"BLS12_G2MSM", "0x000000000000000000000000000000000000000e", FORK_PRAGUE},
        {"BLS12_MAP_FP2_TO_G2", "0x0000000000000000000000000000000000000011", FORK_PRAGUE},
        {"BLS12_MAP_FP_TO_G1", "0x0000000000000000000000000000000000000010", FORK_PRAGUE},
        {"BLS12_PAIRING_CHECK", "0x000000000000000000000000000000000000000f", FORK_PRAGUE},
        {"BN254_ADD", "0x0000000000000000000000000000000000000006", FORK_BYZANTIUM},
        {"BN254_MUL", "0x0000000000000000000000000000000000000007", FORK_BYZANTIUM},
        {"BN254_PAIRING", "0x0000000000000000000000000000000000000008", FORK_BYZANTIUM},
        {"ECREC", "0x0000000000000000000000000000000000000001", FORK_FRONTIER},
        {"ID", "0x0000000000000000000000000000000000000004", FORK_FRONTIER},
        {"KZG_POINT_EVALUATION", "0x000000000000000000000000000000000000000a", FORK_CANCUN},
        {"MODEXP", "0x0000000000000000000000000000000000000005", FORK_BYZANTIUM},
        {"P256VERIFY", "0x0000000000000000000000000000000000000100", FORK_OSAKA},
        {"RIPEMD160", "0x0000000000000000000000000000000000000003", FORK_FRONTIER},
        {"SHA256", "0x0000000000000000000000000000000000000002", FORK_FRONTIER},
    };
    json_t *o = json_object(); /* keys in EIP-7910's alphabetical order */
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (f >= P[i].from) add_address(o, P[i].name, P[i].addr);
    return o;
}

static json_t *system_contracts(const chain_config *c, fork_id f) {
    json_t *o = json_object();
    if (f >= FORK_CANCUN) add_address(o, "BEACON_ROOTS_ADDRESS", "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02");
    if (f >= FORK_PRAGUE) {
        add_address(o, "CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS", "0x0000BBdDc7CE488642fb579F8B00f3a590007251");
        json_object_set_new(o, "DEPOSIT_CONTRACT_ADDRESS", rpc_json_address(&c->deposit_contract));
        add_address(o, "HISTORY_STORAGE_ADDRESS", "0x0000F90827F1C53a10cb7A02335B175320002935");
        add_address(o, "WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS", "0x00000961Ef480Eb55e80D19ad83579A64c007002");
    }
    return o;
}

/* The configuration of the fork activated at time t (a scheduled fork time). */
static json_t *fork_config(const node *n, const block_header *genesis, uint64_t t) {
    const chain_config *c = &n->chain;
    fork_id f = chain_fork_at(c, UINT64_MAX - 1, t, true);
    json_t *o = json_object();
    json_object_set_new(o, "activationTime", json_integer((json_int_t)(genesis->timestamp >= t ? 0 : t)));
    if (f >= FORK_CANCUN) {
        blob_params bp = chain_blob_params(c, t);
        json_t *b = json_object();
        json_object_set_new(b, "target", json_integer((json_int_t)bp.target));
        json_object_set_new(b, "max", json_integer((json_int_t)bp.max));
        json_object_set_new(b, "baseFeeUpdateFraction", json_integer((json_int_t)bp.update_fraction));
        json_object_set_new(o, "blobSchedule", b);
    } else {
        json_object_set_new(o, "blobSchedule", json_null());
    }
    json_object_set_new(o, "chainId", rpc_json_u64(node_chain_id(n)));
    uint32_t id = eip2124_id(c, &genesis->hash, genesis->timestamp, t);
    uint8_t be[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    json_object_set_new(o, "forkId", rpc_json_data(be, 4));
    json_object_set_new(o, "precompiles", precompiles(f));
    json_object_set_new(o, "systemContracts", system_contracts(c, f));
    return o;
}

static bool eth_config(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    block_header genesis, head;
    bytes32 g;
    const char *why = db_canonical_hash(r.snap, 0, &g);
    if (!why) why = node_header(&r, 0, &g, &genesis);
    if (!why) why = node_header(&r, r.head, &r.head_hash, &head);
    node_read_close(&r);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    /* the latest fork time reached by the head, the next one, the last one */
    uint64_t times[9];
    size_t nt = time_forks(&n->chain, times);
    bool has_cur = false, has_next = false, has_last = false;
    uint64_t cur = 0, next = 0, last = 0;
    for (size_t i = 0; i < nt; i++) {
        uint64_t t = times[i];
        if (t == CHAIN_NEVER) continue;
        if (t <= head.timestamp) has_cur = true, cur = t;
        else if (!has_next) has_next = true, next = t;
        has_last = true, last = t;
    }
    json_t *o = json_object();
    json_object_set_new(o, "current", has_cur ? fork_config(n, &genesis, cur) : json_null());
    json_object_set_new(o, "next", has_next ? fork_config(n, &genesis, next) : json_null());
    json_object_set_new(o, "last", has_next && has_last ? fork_config(n, &genesis, last) : json_null());
    *result = o;
    return true;
}

/* ---- eth_capabilities ----------------------------------------------------------------------- */

/* A resource served from block oldest on, never deleted (no deleteStrategy). */
static json_t *resource(uint64_t oldest) {
    json_t *o = json_object();
    json_object_set_new(o, "disabled", json_false());
    json_object_set_new(o, "oldestBlock", rpc_json_u64(oldest));
    return o;
}

static bool eth_capabilities(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    uint64_t state = 0;
    const char *why = r.has_head ? db_oldest_state(r.snap, &state) : "no head";
    json_t *head = json_object();
    json_object_set_new(head, "number", rpc_json_u64(r.head));
    json_object_set_new(head, "hash", rpc_json_hash(&r.head_hash));
    node_read_close(&r);
    if (why) {
        json_decref(head);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "store: %s", why);
    }
    /* the store keeps every block, receipt and transaction index from its
     * genesis, finds logs through the receipts, and proves any state it
     * can give (historical tries come from the change sets) */
    json_t *o = json_object();
    json_object_set_new(o, "head", head);
    json_object_set_new(o, "state", resource(state));
    json_object_set_new(o, "tx", resource(0));
    json_object_set_new(o, "logs", resource(0));
    json_object_set_new(o, "receipts", resource(0));
    json_object_set_new(o, "blocks", resource(0));
    json_object_set_new(o, "stateproofs", resource(state));
    *result = o;
    return true;
}

/* debug_chainConfig (geth, reth): the chain's configuration as a genesis
 * file's "config" object. */
static bool debug_chain_config(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 0, 0, err)) return false;
    chain_config c = n->chain;
    c.chain_id = node_chain_id(n); /* anvil_setChainId's */
    if (!(*result = chain_config_describe(&c))) abort();
    return true;
}

void node_register_config(node *n, rpc_methods *m) {
    rpc_methods_add(m, "eth_config", eth_config, n);
    rpc_methods_add(m, "debug_chainConfig", debug_chain_config, n);
    rpc_methods_add(m, "eth_capabilities", eth_capabilities, n);
}
