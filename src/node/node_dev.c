/* Dev mode: the built-in chain (chain id 31337, every fork to Osaka, or to
 * the one --dev.hardfork names, at genesis, sealed as clique, without
 * rewards, before the Merge; 30M gas, 1 gwei initial base fee, the
 * EIP-4788, EIP-2935, EIP-7002 and EIP-7251 system contracts from their
 * forks on, anvil's CREATE2 deployer), its prefunded accounts from the test mnemonic, and mining on
 * the writer thread: automine (each pending transaction into its own block
 * as soon as it arrives) or one block every dev_period_s seconds, with the
 * clock offsets of evm_increaseTime and evm_setNextBlockTimestamp. A geth
 * genesis file (anvil's --init) replaces the built-in chain's rules,
 * allocation and header fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "node_build.h"
#include "node_dev.h"
#include "parevm/block_exec.h"
#include "parevm/chain_import.h"
#include "parevm/hdkeys.h"
#include "parevm/hex.h"
#include "parevm/keccak.h"
#include "parevm/rlp.h"

/* Runtime code of the system contracts (EIP-4788, EIP-2935, EIP-7002,
 * EIP-7251): what their deployment transactions leave at these addresses. */
static const struct {
    const char *addr, *code;
} SYSTEM_CONTRACTS[] = {
    {"000f3df6d732807ef1319fb7b8bb8522d0beac02",
     "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff81069081"
     "5414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500"},
    {"0000f90827f1c53a10cb7a02335b175320002935",
     "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff8143031160"
     "4257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500"},
    {"00000961ef480eb55e80d19ad83579a64c007002",
     "3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffffffffffffffffffffffffffff"
     "ffffffffffffffffffffffff146101f457600182026001905f5b5f82111560685781019083028483029004916001019190604d56"
     "5b909390049250505036603814608857366101f457346101f4575f5260205ff35b34106101f45760015460010160015560035480"
     "6003026004013381556001015f35815560010160203590553360601b5f5260385f601437604c5fa0600101600355005b60035460"
     "02548082038060101160df575060105b5f5b8181146101835782810160030260040181604c02815460601b815260140181600101"
     "5481526020019060020154807fffffffffffffffffffffffffffffffff0000000000000000000000000000000016825290601001"
     "9060401c908160381c81600701538160301c81600601538160281c81600501538160201c81600401538160181c81600301538160"
     "101c81600201538160081c81600101535360010160e1565b910180921461019557906002556101a0565b90505f6002555f600355"
     "5b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff14156101cd57505f5b600154600282"
     "8201116101e25750505f6101e8565b01600290035b5f555f600155604c025ff35b5f5ffd"},
    {"0000bbddc7ce488642fb579f8b00f3a590007251",
     "3373fffffffffffffffffffffffffffffffffffffffe1460d35760115f54807fffffffffffffffffffffffffffffffffffffffff"
     "ffffffffffffffffffffffff1461019a57600182026001905f5b5f82111560685781019083028483029004916001019190604d56"
     "5b9093900492505050366060146088573661019a573461019a575f5260205ff35b341061019a5760015460010160015560035480"
     "6004026004013381556001015f358155600101602035815560010160403590553360601b5f5260605f60143760745fa060010160"
     "0355005b6003546002548082038060021160e7575060025b5f5b8181146101295782810160040260040181607402815460601b81"
     "5260140181600101548152602001816002015481526020019060030154905260010160e9565b910180921461013b579060025561"
     "0146565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff14"
     "1561017357505f5b6001546001828201116101885750505f61018e565b01600190035b5f555f6001556074025ff35b5f5ffd"},
};

static const uint64_t INITIAL_BASE_FEE = 1000000000ULL; /* EIP-1559's, as anvil's */

/* The deterministic deployment proxy (Arachnid's): CREATE2 of calldata's
 * init code with its first 32 bytes as the salt. anvil puts it in every
 * chain it makes, and forge script deploys `new C{salt: s}()` through it. */
static const char CREATE2_DEPLOYER_ADDR[] = "4e59b44847b379578588920ca78fbf26c0b4956c";
static const char CREATE2_DEPLOYER_CODE[] =
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f580151560395781"
    "82fd5b8082525050506014600cf3";

bool node_dev_account(const node *n, unsigned i, address *addr, uint8_t key[32]) {
    if (!n->dev || i >= n->dev->n_accounts) return false;
    *addr = n->dev->addrs[i];
    memcpy(key, n->dev->keys[i], 32);
    return true;
}

/* ---- Genesis ------------------------------------------------------------------------------ */

static u256 default_balance(void) {
    /* 10,000 ether */
    u256 ether = u256_from_u64(1000000000000000000ULL), k = u256_from_u64(10000);
    return u256_mul(&ether, &k);
}

static bool in_alloc(const change_set *alloc, const address *a) {
    for (size_t i = 0; alloc && i < alloc->n_accounts; i++)
        if (!memcmp(alloc->accounts[i].addr.b, a->b, 20)) return true;
    return false;
}

/* Code at a (both hex) in cs with nonce nonce, unless alloc (may be NULL)
 * names a. */
static void add_code(node *n, const change_set *alloc, const char *addr, const char *code_hex, uint64_t nonce,
                     change_set *cs) {
    address a;
    uint8_t *code;
    size_t len;
    if (!hex_to_fixed(addr, a.b, 20) || !hex_decode_alloc(code_hex, &code, &len)) abort();
    if (!in_alloc(alloc, &a)) {
        account_change *ac = change_set_add_account(cs, &a);
        ac->flags = CHANGE_TOUCHED | CHANGE_NONCE | CHANGE_CODE;
        ac->nonce = nonce;
        ac->code = code_store_intern(db_codes(n->db), code, len);
    }
    free(code);
}

/* The prefunded accounts, the CREATE2 deployer (unless turned off) and the
 * system contracts of the forks the chain reaches, each unless alloc (may
 * be NULL) names its address. */
static void dev_accounts(node *n, const change_set *alloc, change_set *cs) {
    u256 bal = u256_is_zero(&n->cfg.dev_balance) ? default_balance() : n->cfg.dev_balance;
    for (unsigned i = 0; i < n->dev->n_accounts; i++) {
        if (in_alloc(alloc, &n->dev->addrs[i])) continue;
        account_change *ac = change_set_add_account(cs, &n->dev->addrs[i]);
        ac->flags = CHANGE_TOUCHED | CHANGE_BALANCE;
        ac->balance = bal;
    }
    if (!n->cfg.dev_no_create2_deployer) add_code(n, alloc, CREATE2_DEPLOYER_ADDR, CREATE2_DEPLOYER_CODE, 0, cs);
    fork_id last = chain_fork_at(&n->chain, UINT64_MAX, UINT64_MAX, !n->chain.clique);
    for (size_t i = 0; i < sizeof SYSTEM_CONTRACTS / sizeof SYSTEM_CONTRACTS[0]; i++) {
        /* each from the fork that brought it: EIP-4788 Cancun, the rest Prague */
        if (last >= (i == 0 ? FORK_CANCUN : FORK_PRAGUE))
            add_code(n, alloc, SYSTEM_CONTRACTS[i].addr, SYSTEM_CONTRACTS[i].code, 1, cs);
    }
}

/* The built-in genesis: every fork of n->chain at genesis. */
static const char *builtin_genesis(node *n) {
    change_set cs = {0};
    dev_accounts(n, NULL, &cs);
    uint64_t time0 = n->cfg.dev_genesis_time ? n->cfg.dev_genesis_time : (uint64_t)time(NULL);
    fork_id fork = chain_fork_at(&n->chain, 0, time0, !n->chain.clique);
    block_header h = {0};
    h.ommers_hash = EMPTY_LIST_HASH;
    h.tx_root = EMPTY_TRIE_ROOT;
    h.receipts_root = EMPTY_TRIE_ROOT;
    h.gas_limit = n->cfg.dev_gas_limit;
    h.timestamp = time0;
    h.has_base_fee = fork >= FORK_LONDON;
    h.base_fee = u256_from_u64(n->cfg.dev_base_fee_set ? n->cfg.dev_base_fee : INITIAL_BASE_FEE);
    h.has_withdrawals_root = fork >= FORK_SHANGHAI;
    h.withdrawals_root = EMPTY_TRIE_ROOT;
    h.has_blob_gas = h.has_beacon_root = fork >= FORK_CANCUN;
    h.has_requests_hash = fork >= FORK_PRAGUE;
    buf_t none[REQUEST_TYPES] = {{0}};
    h.requests_hash = requests_hash(none);
    /* block 0 with the chain configuration, as parevm init writes it */
    const char *err = chain_init(n->db, &n->chain, &h, &cs, NULL);
    change_set_free(&cs);
    return err;
}

/* The dev chain's rules by name (anvil's --hardfork, any case), all of it
 * at genesis. Before the Merge the chain is sealed as anvil seals it
 * (clique: no block rewards, difficulty 0). */
static const char *dev_rules(const char *name, chain_config *out) {
    static const struct {
        const char *name, *rules;
    } names[] = {
        {"frontier", "Frontier"}, {"homestead", "Homestead"}, {"dao", "Homestead"},
        {"tangerine", "TangerineWhistle"}, {"tangerinewhistle", "TangerineWhistle"},
        {"spuriousdragon", "SpuriousDragon"}, {"byzantium", "Byzantium"},
        {"constantinople", "Constantinople"}, {"petersburg", "Petersburg"}, {"istanbul", "Istanbul"},
        {"muirglacier", "MuirGlacier"}, {"berlin", "Berlin"}, {"london", "London"},
        {"arrowglacier", "ArrowGlacier"}, {"grayglacier", "GrayGlacier"}, {"paris", "Paris"},
        {"merge", "Paris"}, {"shanghai", "Shanghai"}, {"cancun", "Cancun"}, {"prague", "Prague"},
        {"osaka", "Osaka"}, {"latest", "Osaka"}, {"bpo1", "BPO1"}, {"bpo2", "BPO2"}, {"bpo3", "BPO3"},
        {"bpo4", "BPO4"}, {"bpo5", "BPO5"},
    };
    if (!name) name = "latest";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name)) continue;
        if (!chain_config_by_name(names[i].rules, out)) return "no such rules";
        out->clique = !out->has_ttd;
        return NULL;
    }
    return "unknown hardfork (frontier, homestead, tangerine, spuriousdragon, byzantium, constantinople, "
           "petersburg, istanbul, muirglacier, berlin, london, arrowglacier, grayglacier, paris, shanghai, cancun, "
           "prague, osaka, bpo1...bpo5 or latest)";
}

/* Block 0's header, from the store. */
static const char *genesis_header(db_snapshot *s, block_header *out) {
    bytes32 hash;
    buf_t rlp = {0};
    char why[128];
    const char *err = db_canonical_hash(s, 0, &hash);
    if (!err) err = db_read_header(s, 0, &hash, &rlp);
    if (!err && !header_decode(rlp.data, rlp.len, out, why, sizeof why)) err = "the store's block 0 is corrupt";
    buf_free(&rlp);
    return err;
}

/* The genesis of a geth genesis file (node_config's dev_genesis), read into
 * *g with n->chain set: the file's rules, or those --dev.hardfork names,
 * and the settings given instead of the file's. */
static const char *read_genesis(node *n, chain_genesis *g) {
    char why[256];
    if (!chain_genesis_from_json(n->cfg.dev_genesis, db_codes(n->db), g, why, sizeof why))
        return "the genesis file is not a valid geth genesis (parevm init names the field)";
    const char *err = NULL;
    if (n->cfg.dev_hardfork) {
        uint64_t id = g->config.chain_id;
        if (!(err = dev_rules(n->cfg.dev_hardfork, &g->config))) g->config.chain_id = id;
    } else if (g->config.has_ttd && !u256_is_zero(&g->config.terminal_total_difficulty)) {
        err = "the genesis file's terminalTotalDifficulty is above 0: a dev chain is merged at genesis (0) or never "
              "(no terminalTotalDifficulty)";
    } else {
        g->config.clique = !g->config.has_ttd;
    }
    if (err) {
        chain_genesis_free(g);
        return err;
    }
    if (n->cfg.dev_chain_id) g->config.chain_id = n->cfg.dev_chain_id;
    if (n->cfg.dev_genesis_time) g->timestamp = n->cfg.dev_genesis_time;
    if (n->cfg.dev_gas_limit) g->gas_limit = n->cfg.dev_gas_limit;
    else if (!g->gas_limit) g->gas_limit = 30000000;
    if (n->cfg.dev_base_fee_set) g->has_base_fee = true, g->base_fee = u256_from_u64(n->cfg.dev_base_fee);
    g->config.max_code_size = n->cfg.dev_max_code_size;
    g->config.no_tx_gas_cap = !n->cfg.dev_tx_gas_cap;
    n->chain = g->config;
    return NULL;
}

/* Block 0 of the genesis file (read_genesis), on an empty store or checked
 * against the one there. */
static const char *file_genesis(node *n, chain_genesis *g) {
    change_set cs = {0};
    dev_accounts(n, &g->alloc, &cs);
    change_set_append(&cs, &g->alloc, g->alloc.n_accounts);
    block_header h = chain_genesis_header(g);
    const char *err = chain_init(n->db, &n->chain, &h, &cs, NULL);
    change_set_free(&cs);
    return err;
}

/* ---- Open ------------------------------------------------------------------------------------ */

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void node_dev_head_installed(node_dev *d) {
    uint64_t now = wall_ms();
    pthread_mutex_lock(&d->mu);
    d->head_wall_ms = now;
    pthread_mutex_unlock(&d->mu);
}

void node_dev_drop_next_randao(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    d->has_next_randao = false;
    d->randao_generation++;
    pthread_mutex_unlock(&d->mu);
}

const char *node_dev_init(node *n) {
    chain_genesis gen;
    const char *why = n->cfg.dev_genesis ? read_genesis(n, &gen) : dev_rules(n->cfg.dev_hardfork, &n->chain);
    if (why) return why;
    if (!n->cfg.dev_genesis) {
        n->chain.max_code_size = n->cfg.dev_max_code_size;
        n->chain.no_tx_gas_cap = !n->cfg.dev_tx_gas_cap;
        n->chain.chain_id = n->cfg.dev_chain_id;
    }
    node_dev *d = calloc(1, sizeof *d);
    if (!d) abort();
    n->dev = d;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cond, NULL);
    node_dev_sigs_init(d);
    d->automine = (n->cfg.dev_period_s == 0 || n->cfg.dev_mixed_mining) && !n->cfg.dev_no_mining;
    d->period_s = n->cfg.dev_no_mining ? 0 : n->cfg.dev_period_s;
    d->auto_impersonate = n->cfg.dev_auto_impersonate;
    if (n->cfg.console || n->cfg.report) d->console = node_console_new();
    d->next_snapshot = 1;
    d->head_wall_ms = wall_ms();
    node_dev_new_instance(d);
    d->n_accounts = n->cfg.dev_accounts;
    d->addrs = calloc(d->n_accounts, sizeof *d->addrs);
    d->keys = calloc(d->n_accounts, sizeof *d->keys);
    if (!d->addrs || !d->keys) abort();
    const char *mnemonic = n->cfg.dev_mnemonic ? n->cfg.dev_mnemonic : DEV_MNEMONIC;
    const char *err = NULL;
    for (unsigned i = 0; i < d->n_accounts && !err; i++)
        if (!hd_account_at(mnemonic, NULL, n->cfg.dev_derivation_path, i, d->keys[i], &d->addrs[i]))
            err = "cannot derive the dev accounts (a bad derivation path?)";
    /* an existing dev store is reopened as it is; a genesis file's must be
     * the one it holds */
    db_snapshot *s;
    uint64_t head;
    bytes32 hash;
    bool empty = false;
    if (!err && !(err = db_snapshot_open(n->db, 1, &s))) {
        empty = db_head(s, &head, &hash) != NULL;
        db_snapshot_close(s);
    }
    if (!err && n->cfg.dev_genesis) err = file_genesis(n, &gen);
    else if (!err && empty) err = builtin_genesis(n);
    if (n->cfg.dev_genesis) chain_genesis_free(&gen);
    if (err || (err = db_snapshot_open(n->db, 1, &s))) return err;
    err = db_head(s, &head, &hash);
    /* a store made before keeps its own configuration; rules asked for
     * that differ from it are refused rather than ignored */
    fork_id asked = chain_fork_at(&n->chain, UINT64_MAX, UINT64_MAX, !n->chain.clique);
    if (!err && !empty) err = chain_config_load(s, &n->chain);
    block_header g0;
    if (!err) err = genesis_header(s, &g0);
    db_snapshot_close(s);
    if (err) return err;
    n->chain.no_eip3607 = true; /* anvil's disable_eip3607, whatever the genesis */
    d->genesis_coinbase = d->coinbase = g0.coinbase;
    d->genesis_time = g0.timestamp;
    /* a new chain with a genesis time given: the clock goes on from it, as
     * anvil's from --timestamp */
    if (empty && n->cfg.dev_genesis_time)
        d->time_offset = node_dev_offset_to(g0.timestamp);
    if (!empty && n->cfg.dev_hardfork && chain_fork_at(&n->chain, UINT64_MAX, UINT64_MAX, !n->chain.clique) != asked)
        return "the datadir's dev chain has other rules than --dev.hardfork names (leave the flag out, or use a new "
               "datadir)";
    if (!empty && n->cfg.dev_max_code_size && n->chain.max_code_size != n->cfg.dev_max_code_size)
        return "the datadir's dev chain has another contract size limit (leave the flag out, or use a new datadir)";
    if (!empty && n->cfg.dev_tx_gas_cap && n->chain.no_tx_gas_cap)
        return "the datadir's dev chain has no EIP-7825 gas cap (leave --dev.tx-gas-limit out, or use a new datadir)";
    return node_patch_load(n, head, &hash);
}

void node_dev_free(node *n) {
    node_dev *d = n->dev;
    if (!d) return;
    for (size_t i = 0; i < d->n_snapshots; i++) node_patch_release(d->snapshots[i].patch);
    free(d->snapshots);
    node_dev_forget_blobs(d);
    free(d->blobs);
    free(d->addrs);
    free(d->keys);
    free(d->impersonated);
    node_console_free(d->console);
    node_dev_sigs_free(d);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cond);
    free(d);
    n->dev = NULL;
}

/* ---- Mining ------------------------------------------------------------------------------------ */

int64_t node_dev_offset_plus(int64_t off, uint64_t s) {
    uint64_t room = (uint64_t)INT64_MAX - (uint64_t)off; /* how far off may rise */
    return s > room ? INT64_MAX : (int64_t)((uint64_t)off + s);
}

int64_t node_dev_offset_to(uint64_t t) { return (t > INT64_MAX ? INT64_MAX : (int64_t)t) - (int64_t)time(NULL); }

/* The next block's timestamp: a pinned one, else the parent's plus the
 * timestamp interval if one is set, else the clock with its offset; at
 * least one second after the parent. With consume, a pinned one is used
 * up. d->mu held. */
static uint64_t next_timestamp_locked(node_dev *d, uint64_t parent_time, bool consume) {
    uint64_t t;
    if (d->has_next_time) {
        t = d->next_time;
        if (consume) d->has_next_time = false;
    } else if (d->has_ts_interval) {
        t = parent_time + d->ts_interval;
    } else {
        int64_t now = node_dev_offset_plus(d->time_offset, (uint64_t)time(NULL));
        t = now > 0 ? (uint64_t)now : 0;
    }
    return t > parent_time ? t : parent_time + 1;
}

static uint64_t next_timestamp(node_dev *d, uint64_t parent_time) {
    pthread_mutex_lock(&d->mu);
    uint64_t t = next_timestamp_locked(d, parent_time, true);
    pthread_mutex_unlock(&d->mu);
    return t;
}

uint64_t node_dev_next_time(node_dev *d, uint64_t parent_time) {
    pthread_mutex_lock(&d->mu);
    uint64_t t = next_timestamp_locked(d, parent_time, false);
    pthread_mutex_unlock(&d->mu);
    return t;
}

uint64_t node_dev_set_time(node_dev *d, uint64_t parent_time, uint64_t t) {
    pthread_mutex_lock(&d->mu);
    uint64_t before = next_timestamp_locked(d, parent_time, false);
    d->time_offset = node_dev_offset_to(t);
    d->has_next_time = false;
    pthread_mutex_unlock(&d->mu);
    return t > before ? t - before : 0;
}

bool node_dev_next_base_fee(node_dev *d, u256 *fee) {
    pthread_mutex_lock(&d->mu);
    bool has = d->has_next_base_fee;
    if (has) *fee = d->next_base_fee;
    pthread_mutex_unlock(&d->mu);
    return has;
}

/* The names of a block's records in the store: the edits it folded in,
 * and its impersonated senders (per transaction the node vouched for, its
 * index (4 bytes, big-endian) and sender (20)); prefix + "0x" + its hash. */
#define EDITS_META "dev.edits."
#define SENDERS_META "dev.senders."
_Static_assert(NODE_DEV_EDITS_NAME >= sizeof SENDERS_META + 66 && sizeof SENDERS_META >= sizeof EDITS_META,
               "name buffer");
static void meta_name(const char *prefix, const bytes32 *block, char name[NODE_DEV_EDITS_NAME]) {
    size_t n = strlen(prefix);
    memcpy(name, prefix, n);
    hex_encode(block->b, 32, name + n);
}

void node_dev_edits_meta(const bytes32 *block, const change_set *edits, buf_t *value, char name[NODE_DEV_EDITS_NAME],
                         db_meta *out) {
    meta_name(EDITS_META, block, name);
    change_set empty = {0};
    change_set_encode(edits ? edits : &empty, value);
    *out = (db_meta){name, {value->data, value->len}};
}

bool node_dev_senders_meta(node *n, const block *b, buf_t *value, char name[NODE_DEV_EDITS_NAME], db_meta *out) {
    pthread_mutex_lock(&n->senders_mu);
    for (size_t i = 0; i < b->n_txs; i++) {
        u256 key = u256_from_bytes32(&b->txs[i].hash);
        if (!word_map_get(&n->forced_senders, &key)) continue;
        uint8_t at[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        buf_append(value, at, 4);
        buf_append(value, b->txs[i].sender.b, 20);
    }
    pthread_mutex_unlock(&n->senders_mu);
    meta_name(SENDERS_META, &b->header.hash, name);
    *out = (db_meta){name, {value->data, value->len}};
    return value->len > 0;
}

bytes32 node_dev_vouched_hash(const uint8_t *item, size_t len, const address *sender) {
    keccak_ctx k;
    keccak_init(&k);
    keccak_update(&k, item, len);
    keccak_update(&k, sender->b, 20);
    bytes32 h;
    keccak_final(&k, h.b);
    return h;
}

/* The body's transaction items (as the block holds them) at the record's
 * indexes, in order: calls fix(n, nb, i, item, sender) for each. */
static const char *each_vouched(node_block *nb, const buf_t *rec, size_t n_txs,
                                void (*fix)(node *, node_block *, size_t, const rlp_item *, const address *), node *n) {
    rlp_item body, txs, t;
    rlp_iter bi;
    if (rlp_decode(nb->body_rlp.data, nb->body_rlp.len, &body) || !body.is_list ||
        (bi = rlp_iter_of(&body), rlp_next(&bi, &txs)) || !txs.is_list)
        return "corrupt block body";
    rlp_iter ti = rlp_iter_of(&txs);
    size_t at = 0;
    bool have = false;
    for (size_t k = 0; k < rec->len; k += 24) {
        const uint8_t *e = rec->data + k;
        size_t i = (size_t)e[0] << 24 | (size_t)e[1] << 16 | (size_t)e[2] << 8 | e[3];
        if (i >= n_txs || (have && i < at)) return "the stored senders of the block are damaged";
        while (!have || at < i) {
            if (rlp_next(&ti, &t)) return "corrupt block body";
            if (have) at++;
            have = true;
        }
        address a;
        memcpy(a.b, e + 4, 20);
        fix(n, nb, i, &t, &a);
    }
    return NULL;
}

static void fix_decoded(node *n, node_block *nb, size_t i, const rlp_item *item, const address *sender) {
    transaction *tx = &nb->b.txs[i];
    tx->hash = node_dev_vouched_hash(item->raw, item->raw_len, sender);
    u256 key = u256_from_bytes32(&tx->hash), v = u256_from_address(sender);
    pthread_mutex_lock(&n->senders_mu);
    word_map_put(&n->forced_senders, &key, &v);
    pthread_mutex_unlock(&n->senders_mu);
}

static void fix_indexed(node *n, node_block *nb, size_t i, const rlp_item *item, const address *sender) {
    (void)n;
    nb->tx_hashes[i] = node_dev_vouched_hash(item->raw, item->raw_len, sender);
    nb->tx_raw[i] = NULL;
}

const char *node_dev_load_vouched(node_read *r, node_block *nb) {
    char name[NODE_DEV_EDITS_NAME];
    meta_name(SENDERS_META, &nb->hash, name);
    buf_t rec = {0};
    const char *err = db_read_meta(r->snap, name, &rec);
    if (err == DB_NOT_FOUND) err = NULL;
    else if (!err && rec.len % 24) err = "the stored senders of the block are damaged";
    else if (!err && nb->has_body) err = each_vouched(nb, &rec, nb->b.n_txs, fix_decoded, r->n);
    else if (!err && nb->tx_raw) err = each_vouched(nb, &rec, nb->n_receipts, fix_indexed, r->n);
    buf_free(&rec);
    return err;
}

const char *node_dev_layer_edits(node_read *r, const bytes32 *block_hash, node_state *st) {
    char name[NODE_DEV_EDITS_NAME];
    meta_name(EDITS_META, block_hash, name);
    buf_t rec = {0};
    const char *err = db_read_meta(r->snap, name, &rec);
    if (err == DB_NOT_FOUND) err = NULL;
    else if (!err) {
        change_set cs = {0};
        err = change_set_decode(rec.data, rec.len, db_codes(r->n->db), &cs);
        if (!err) node_state_layer(st, &cs);
        change_set_free(&cs);
        if (err) err = "the stored dev edits of the block are damaged";
    }
    buf_free(&rec);
    return err;
}

void node_dev_forget_blobs(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_blobs; i++) free(d->blobs[i].data);
    d->n_blobs = 0;
    pthread_mutex_unlock(&d->mu);
}

/* ---- Blobs of mined transactions ---- */

/* The blobs the pool holds for b's blob transactions (before the commit
 * takes them out of the pool). */
static void collect_blobs(node *n, const block *b, node_dev_blob **out, size_t *count) {
    *out = NULL;
    *count = 0;
    size_t cap = 0;
    for (size_t i = 0; i < b->n_txs; i++) {
        if (b->txs[i].type != TX_BLOB) continue;
        const txpool_tx *t = txpool_get(n->pool, &b->txs[i].hash);
        tx_network net;
        char why[64];
        if (t && t->network && tx_decode_network(t->network, t->network_len, &net, why, sizeof why)) {
            for (size_t k = 0; k < net.n_blobs && k < net.tx.n_blob_hashes; k++) {
                if (*count == cap) {
                    cap = cap ? 2 * cap : 8;
                    *out = realloc(*out, cap * sizeof **out);
                    if (!*out) abort();
                }
                node_dev_blob *nb = &(*out)[(*count)++];
                nb->versioned_hash = net.tx.blob_hashes[k];
                nb->tx = b->txs[i].hash;
                nb->data = malloc(TX_BLOB_SIZE);
                if (!nb->data) abort();
                memcpy(nb->data, net.blobs[k], TX_BLOB_SIZE);
            }
            tx_network_free(&net);
        }
        if (t) txpool_tx_release(t);
    }
}

/* Keeps blobs (taking them), the oldest forgotten past NODE_DEV_MAX_BLOBS. */
static void keep_blobs(node_dev *d, node_dev_blob *blobs, size_t count) {
    pthread_mutex_lock(&d->mu);
    if (!d->blobs) {
        d->blobs = calloc(NODE_DEV_MAX_BLOBS, sizeof *d->blobs);
        if (!d->blobs) abort();
    }
    for (size_t i = 0; i < count; i++) {
        if (d->n_blobs == NODE_DEV_MAX_BLOBS) {
            free(d->blobs[0].data);
            memmove(d->blobs, d->blobs + 1, (NODE_DEV_MAX_BLOBS - 1) * sizeof *d->blobs);
            d->n_blobs--;
        }
        d->blobs[d->n_blobs++] = blobs[i];
    }
    pthread_mutex_unlock(&d->mu);
    free(blobs);
}

static void free_blobs(node_dev_blob *blobs, size_t count) {
    for (size_t i = 0; i < count; i++) free(blobs[i].data);
    free(blobs);
}

json_t *node_dev_blob_json(node_dev *d, const bytes32 *versioned_hash) {
    json_t *out = NULL;
    pthread_mutex_lock(&d->mu);
    for (size_t i = d->n_blobs; i-- > 0 && !out;)
        if (bytes32_eq(&d->blobs[i].versioned_hash, versioned_hash)) out = rpc_json_data(d->blobs[i].data, TX_BLOB_SIZE);
    pthread_mutex_unlock(&d->mu);
    return out;
}

json_t *node_dev_tx_blobs_json(node_dev *d, const bytes32 *tx_hash) {
    json_t *out = NULL;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_blobs; i++) {
        if (!bytes32_eq(&d->blobs[i].tx, tx_hash)) continue;
        if (!out && !(out = json_array())) abort();
        if (json_array_append_new(out, rpc_json_data(d->blobs[i].data, TX_BLOB_SIZE))) abort();
    }
    pthread_mutex_unlock(&d->mu);
    return out;
}

/* Builds and commits one block on the head: a's transactions (or the
 * pool's), at a->timestamp (0: the dev clock), with dev mode's header
 * fields. *bad_tx (if given) names the explicit list's transaction that
 * failed the build, or is -1. */
static const char *mine(node *n, node_build_attrs *a, size_t *n_txs, long *bad_tx) {
    if (bad_tx) *bad_tx = -1;
    /* anvil_setLoggingEnabled as it stood when mining began (a client may
     * turn it on again as soon as the receipt shows, before the report) */
    bool silent = atomic_load(&n->dev->quiet);
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    block_header parent;
    const char *err = node_header(&r, r.head, &r.head_hash, &parent);
    /* the edits the block folds in (node_build_block reads the same: edits
     * are writer jobs too), stored with it for its replays */
    node_patch *edits = r.patch;
    r.patch = NULL;
    node_read_close(&r);
    if (err) {
        node_patch_release(edits);
        return err;
    }
    if (!a->timestamp) a->timestamp = next_timestamp(n->dev, parent.timestamp);
    node_dev *d = n->dev;
    pthread_mutex_lock(&d->mu);
    a->coinbase = d->coinbase;
    a->by_arrival = n->cfg.dev_order_fifo;
    a->gas_limit = d->gas_limit;
    a->has_base_fee = d->has_next_base_fee;
    a->base_fee = d->next_base_fee;
    bool set_randao = d->has_next_randao;
    uint64_t randao_gen = d->randao_generation;
    a->prev_randao = set_randao ? d->next_randao : keccak256_hash(&a->timestamp, sizeof a->timestamp);
    pthread_mutex_unlock(&d->mu);
    node_built bb;
    if ((err = node_build_block(n, a, &bb))) {
        if (bad_tx) *bad_tx = bb.bad_tx;
        node_patch_release(edits);
        return err;
    }
    node_dev_blob *blobs;
    size_t n_blobs;
    collect_blobs(n, &bb.b, &blobs, &n_blobs);
    bb.edits = node_patch_changes(edits);
    err = node_commit_built(n, &bb);
    node_patch_release(edits);
    if (!err && n_blobs) keep_blobs(d, blobs, n_blobs);
    else free_blobs(blobs, n_blobs);
    if (!err && n->cfg.log) {
        char hash[67];
        hex_encode(bb.b.header.hash.b, 32, hash);
        fprintf(n->cfg.log,
                "mined block %llu %s: %zu transactions, %llu gas%s; ms: select %.1f, execute %.1f, root %.1f, "
                "commit %.1f\n",
                (unsigned long long)bb.b.header.number, hash, bb.b.n_txs, (unsigned long long)bb.b.header.gas_used,
                bb.stats.sequential ? "" : " (Block-STM)", 1e3 * bb.t_select, 1e3 * bb.t_execute, 1e3 * bb.t_root,
                1e3 * bb.t_commit);
        fflush(n->cfg.log);
    }
    if (!err && d->console && !silent && (bb.b.n_txs || n->cfg.report))
        node_console_print_block(n, bb.b.header.number, &bb.b.header.hash);
    if (!err && a->has_base_fee) {
        /* one block only: the ones after follow EIP-1559 from it */
        pthread_mutex_lock(&d->mu);
        d->has_next_base_fee = false;
        pthread_mutex_unlock(&d->mu);
    }
    if (!err && set_randao) {
        /* one block only, unless it was set again meanwhile */
        pthread_mutex_lock(&d->mu);
        if (d->randao_generation == randao_gen) d->has_next_randao = false;
        pthread_mutex_unlock(&d->mu);
    }
    if (n_txs) *n_txs = bb.b.n_txs;
    node_built_free(&bb);
    return err;
}

const char *node_dev_mine(node *n, size_t max_txs, bool empty, uint64_t timestamp, size_t *n_txs) {
    node_build_attrs a = {.timestamp = timestamp, .max_txs = max_txs, .empty = empty};
    return mine(n, &a, n_txs, NULL);
}

const char *node_dev_mine_list(node *n, const transaction *txs, size_t n_txs, size_t *included) {
    /* shallow copies: the builder re-encodes what it takes */
    transaction *list = malloc((n_txs ? n_txs : 1) * sizeof *list);
    if (!list) abort();
    if (n_txs) memcpy(list, txs, n_txs * sizeof *list);
    const char *err;
    for (;;) {
        node_build_attrs a = {.txs = list, .n_txs = n_txs, .has_txs = true};
        long bad;
        err = mine(n, &a, NULL, &bad);
        if (!err || bad < 0 || (size_t)bad >= n_txs) break;
        memmove(&list[bad], &list[bad + 1], (n_txs - (size_t)bad - 1) * sizeof *list);
        n_txs--;
    }
    free(list);
    if (included) *included = n_txs;
    return err;
}

const char *node_dev_mine_blocks(node *n, void *arg) {
    node_dev_mine_job *j = arg;
    node_dev *d = n->dev;
    for (uint64_t i = 0; i < j->blocks; i++) {
        uint64_t ts = j->timestamp ? j->timestamp + i * j->interval : 0;
        if (!ts && j->advance) {
            /* anvil_mine's interval: the clock moves on by it before each
             * block, the first included, as anvil's; a pinned timestamp
             * wins, the clock going on from it */
            pthread_mutex_lock(&d->mu);
            if (!d->has_next_time) d->time_offset = node_dev_offset_plus(d->time_offset, j->interval);
            pthread_mutex_unlock(&d->mu);
        }
        const char *err = node_dev_mine(n, 0, false, ts, NULL);
        if (err) return err;
        if (ts) {
            /* an explicit timestamp replaces a pinned one, and the clock
             * continues from it */
            pthread_mutex_lock(&d->mu);
            d->has_next_time = false;
            d->time_offset = node_dev_offset_to(ts);
            pthread_mutex_unlock(&d->mu);
        }
    }
    node_read r;
    const char *rerr = node_read_open_job(n, &r);
    if (rerr) return rerr;
    j->last = r.head;
    node_read_close(&r);
    return NULL;
}

static void round_begin(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    d->rounds_started++;
    pthread_mutex_unlock(&d->mu);
}

static void round_end(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    d->rounds_done = d->rounds_started;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->mu);
}

void node_dev_mine_due(node *n, bool period_elapsed) {
    node_dev *d = n->dev;
    if (!d) return;
    round_begin(d);
    if (period_elapsed) {
        const char *err = node_dev_mine(n, 0, false, 0, NULL);
        if (err && n->cfg.log) fprintf(n->cfg.log, "mining failed: %s\n", err);
    } else if (node_dev_automine(d)) {
        /* each pending transaction into its own block */
        for (int guard = 0; guard < 100000; guard++) {
            size_t pending, queued, mined = 0;
            txpool_counts(n->pool, &pending, &queued);
            if (!pending) break;
            const char *err = node_dev_mine(n, 1, false, 0, &mined);
            if (err && n->cfg.log) fprintf(n->cfg.log, "mining failed: %s\n", err);
            if (err || !mined) break;
        }
    }
    round_end(d);
}

bool node_dev_automine(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    bool on = d->automine;
    pthread_mutex_unlock(&d->mu);
    return on;
}

unsigned node_dev_period(node *n) {
    if (!n->dev) return 0;
    pthread_mutex_lock(&n->dev->mu);
    unsigned p = n->dev->period_s;
    pthread_mutex_unlock(&n->dev->mu);
    return p;
}

address node_dev_coinbase(node_dev *d) {
    pthread_mutex_lock(&d->mu);
    address a = d->coinbase;
    pthread_mutex_unlock(&d->mu);
    return a;
}

void node_dev_submitted(node *n, const bytes32 *hash) {
    node_dev *d = n->dev;
    if (!d || !node_dev_automine(d)) return;
    (void)hash;
    pthread_mutex_lock(&d->mu);
    uint64_t mine = d->rounds_started + 1; /* the next round sees the transaction */
    pthread_mutex_unlock(&d->mu);
    node_writer_kick(n);
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < 600 && d->rounds_done < mine; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->mu, &ts);
    }
    pthread_mutex_unlock(&d->mu);
}
