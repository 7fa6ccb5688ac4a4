/* parevm node: the JSON-RPC node over a store (or the dev chain), served
 * over HTTP until SIGINT or SIGTERM, which stop the server (draining the
 * requests in flight) and close the store cleanly. */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli_util.h"
#include "commands.h"
#include "parevm/chain_import.h"
#include "parevm/hdkeys.h"
#include "parevm/hex.h"
#include "parevm/jwt.h"
#include "parevm/node.h"
#include "parevm/rpc_codec.h"
#include "parevm/version.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: parevm node [--datadir DIR] [--dev] [--dev.period S] [--http.addr ADDR] [--http.port PORT]\n"
            "                   [--http.corsdomain ORIGINS] [--http.threads N] [--threads N] [--preroot auto|on|off]\n"
            "                   [--http.api NAMESPACES] [--rpc.gascap GAS] [--rpc.txfeecap ETHER] [--rpc.allow-unprotected-txs]\n"
            "                   [--http] [--ws] [--ws.addr ADDR]\n"
            "                   [--ws.port PORT] [--ws.api NAMESPACES] [--ipcpath PATH] [--ipcdisable]\n"
            "                   [--dev.accounts N] [--dev.chainid ID] [--dev.gaslimit GAS] [--dev.time UNIX] [--quiet]\n"
            "                   [--dev.hardfork NAME] [--dev.balance ETH] [--dev.mnemonic WORDS] [--dev.no-mining]\n"
            "                   [--dev.base-fee WEI] [--dev.auto-impersonate] [--dev.code-size-limit BYTES]\n"
            "                   [--dev.no-code-size-limit] [--dev.genesis FILE] [--dev.order fees|fifo]\n"
            "                   [--dev.no-create2-deployer] [--dev.slots-in-an-epoch N] [--dev.mixed-mining]\n"
            "                   [--dev.no-console-log] [--dev.derivation-path PATH] [--dev.config-out FILE]\n"
            "                   [--dev.no-min-priority-fee] [--dev.state-interval S] [--dev.gas-price WEI]\n"
            "                   [--dev.mnemonic-random [WORDS]] [--dev.mnemonic-seed-unsafe SEED]\n"
            "                   [--dev.no-block-gas-limit] [--rpc.max-request-size MB] [--no-request-size-limit]\n"
            "                   [--dev.tx-gas-limit] [--dev.print-traces]\n"
            "                   [--authrpc.addr ADDR] [--authrpc.port PORT] [--authrpc.jwtsecret FILE]\n"
            "                   [--miner.gaslimit GAS] [--miner.extradata S] [--miner.gasprice WEI]\n"
            "                   [--miner.pending.feeRecipient ADDR]\n"
            "                   [--dev.state FILE] [--dev.load-state FILE] [--dev.dump-state FILE]\n"
            "  --datadir DIR        the store (created by parevm init; with --dev created if missing);\n"
            "                       without it, --dev uses a temporary one removed at exit\n"
            "  --dev                the dev chain: chain id 31337, Osaka rules, 10 prefunded accounts\n"
            "  --dev.period S       mine a block every S seconds (default: each transaction at once)\n"
            "  --dev.hardfork NAME  the dev chain's rules: paris (merge), shanghai, cancun, prague, osaka\n"
            "                       (default, also latest), bpo1...bpo5, or before the Merge frontier...grayglacier\n"
            "                       (blocks sealed as anvil's, without rewards); --hardfork is anvil's name\n"
            "  --http.port PORT     default 8545; 0 picks a free port\n"
            "  --http.corsdomain ORIGINS  CORS origins (\"*\" or a comma-separated list; default none, with\n"
            "                       --dev \"*\" as anvil's); --no-cors (anvil's): none\n"
            "  --rpc.max-request-size MB  the largest request on HTTP, WebSocket and IPC (default 5 MiB,\n"
            "                       WebSocket 32 MiB as geth's); anvil's --no-request-size-limit: 1 GiB\n"
            "  --rpc.txfeecap ETHER  refuse a sent transaction whose fee cap times gas is over this (geth's;\n"
            "                       default 1, 0: no cap; none with --dev, as anvil)\n"
            "  --rpc.allow-unprotected-txs  take legacy transactions without EIP-155's chain id over RPC\n"
            "                       (refused as geth does unless given; a --dev chain takes them, as anvil)\n"
            "  --http.api LIST      the namespaces served there (HTTP and WebSocket), e.g. eth,net,web3;\n"
            "                       default: all (debug_setHead only with --dev or debug listed here;\n"
            "                       testing_buildBlockV1 only when testing is listed, miner_* when miner is)\n"
            "  --http, --ws         accepted (geth's and reth's): HTTP and WebSocket are always served on the\n"
            "                       HTTP port; --ws.addr / --ws.port add a listener (the same methods;\n"
            "                       --ws.api must be --http.api's)\n"
            "  --ipcpath PATH       JSON-RPC on a Unix socket there too (the HTTP port's methods, with\n"
            "                       subscriptions), for cast --rpc-url PATH, ethers' IpcSocketProvider, viem's\n"
            "                       ipc; anvil's --ipc [PATH] (default /tmp/parevm.ipc); --ipcdisable: none\n"
            "                       (the default)\n"
            "  --authrpc.port PORT  the Engine API (JWT-authenticated), default 8551; on unless --dev\n"
            "                       (with --dev, on when an --authrpc option is given)\n"
            "  --authrpc.jwtsecret FILE  32-byte hex secret (default DATADIR/jwtsecret; created if missing)\n"
            "  --miner.gaslimit GAS the gas limit built payloads move towards (default 60000000)\n"
            "  --miner.extradata S  their extra data (at most 32 bytes; default none)\n"
            "  --miner.gasprice WEI the lowest tip of a transaction they include (default 1000000,\n"
            "                       geth's; 0 in dev mode);\n"
            "                       --http.api miner adds geth's miner_setGasLimit/setExtra/setGasPrice\n"
            "  --miner.pending.feeRecipient ADDR  the fee recipient of the \"pending\" block outside dev\n"
            "                       mode (default the zero address, as geth)\n"
            "  --dev.load-state FILE  load an anvil state file (anvil --dump-state's JSON, gzip'd or not) at start\n"
            "  --dev.dump-state FILE  write the state there (anvil's format) on SIGINT/SIGTERM\n"
            "  --dev.state-interval S  also write the state file every S seconds (anvil's --state-interval, -s)\n"
            "  --dev.state FILE     both (the file loaded if it exists); --state, --load-state and\n"
            "                       --dump-state are anvil's names for the same\n"
            "  --dev.balance ETH    each dev account's balance in ether (default 10000)\n"
            "  --dev.mnemonic WORDS the BIP-39 phrase of the dev accounts (default: the test mnemonic);\n"
            "                       English words and a valid checksum, as anvil asks\n"
            "  --dev.mnemonic-random [WORDS]  a fresh random phrase of 12 (default), 15, 18, 21 or 24 words,\n"
            "                       printed with the accounts\n"
            "  --dev.mnemonic-seed-unsafe SEED  the phrase anvil derives from the number SEED (the same\n"
            "                       accounts as anvil's flag; anyone can compute the keys: tests only)\n"
            "  --dev.derivation-path PATH  their path, the index appended (default m/44'/60'/0'/0/)\n"
            "  --dev.config-out FILE  write the accounts, keys, wallet, base fee, gas price, gas limit and\n"
            "                       genesis timestamp there as JSON, as anvil's --config-out\n"
            "  --dev.no-mining      no block until evm_mine (or evm_setAutomine / evm_setIntervalMining)\n"
            "  --dev.mixed-mining   with --dev.period: each transaction mined at once as well\n"
            "  --dev.base-fee WEI   the genesis base fee (default 1 gwei; London on; 0 stays 0 while blocks\n"
            "                       use at most half their gas)\n"
            "  --dev.auto-impersonate  any address may send (eth_sendTransaction unsigned)\n"
            "  --dev.code-size-limit BYTES  the largest contract code (EIP-170: 24576), init code twice\n"
            "                       that; --dev.no-code-size-limit: none (used when the store is created)\n"
            "  --dev.genesis FILE   a geth genesis (as parevm init reads) instead of the built-in chain: its\n"
            "                       config (rules, chain id), alloc and header fields, the dev accounts added;\n"
            "                       the --dev. settings given win over the file's\n"
            "  --dev.order fees|fifo  blocks take the pool's transactions by tip (default) or by arrival\n"
            "  --dev.no-create2-deployer  no CREATE2 deployer (0x4e59b448...) at genesis (anvil's is there)\n"
            "  --dev.slots-in-an-epoch N  \"safe\" is N blocks below the head, \"finalized\" 2N (default 32)\n"
            "  --dev.no-block-gas-limit  blocks of 2^64-1 gas (anvil's --disable-block-gas-limit)\n"
            "  --dev.tx-gas-limit   the EIP-7825 cap of 2^24 gas per transaction from Osaka (anvil's\n"
            "                       --enable-tx-gas-limit); without it a dev chain has none, as anvil's\n"
            "  --dev.no-min-priority-fee  eth_gasPrice answers the base fee alone (no suggested tip)\n"
            "  --dev.gas-price WEI  before London: eth_gasPrice's answer and the gas price filled in\n"
            "  --dev.no-console-log do not print the console.log messages (Hardhat's console.sol) of mined\n"
            "                       transactions on stdout (printed unless this or --quiet)\n"
            "  --dev.print-traces   print the call tree of each mined transaction and eth_call on stdout, as\n"
            "                       anvil's --print-traces; each mined block's report (hashes, created\n"
            "                       contracts, gas used, revert reasons) is printed there unless --quiet\n"
            "anvil's names are taken too: --port/-p, --host, --chain-id, --accounts/-a, --balance,\n"
            "  --mnemonic/-m, --block-time/-b, --gas-limit, --timestamp, --no-mining, --silent,\n"
            "  --auto-impersonate, --block-base-fee-per-gas/--base-fee, --code-size-limit,\n"
            "  --disable-code-size-limit, --init, --order, --disable-default-create2-deployer,\n"
            "  --slots-in-an-epoch, --mixed-mining, --no-mine, --ipc, --disable-console-log/--no-console-log,\n"
            "  --derivation-path, --config-out, --disable-min-priority-fee/--no-priority-fee, --allow-origin,\n"
            "  --no-cors, --state-interval/-s, --gas-price, --mnemonic-random, --mnemonic-seed-unsafe,\n"
            "  --disable-block-gas-limit/--disable-gas-limit, --enable-tx-gas-limit/--tx-gas-limit,\n"
            "  --print-traces/--enable-trace-printing, -q, -j/--jobs (0: every core); -V/--version: the version\n"
            "anvil's --color and -v...-vvvvv/--verbosity are accepted with no effect (one level, no colours)\n"
            "anvil's --steps-tracing (traces are always there), --preserve-historical-states,\n"
            "  --prune-history [N], --max-persisted-states N, --transaction-block-keeper N and --cache-path\n"
            "  PATH (blocks, receipts and every block's state stay in the store on disk), --max-transactions N\n"
            "  (each transaction mined at once gets its own block) and --memory-limit BYTES (a VM's frames\n"
            "  share 4 GiB) are accepted with no effect\n");
}

/* ---- The dev state file (--dev.state, anvil's --state) ------------------------------------ */

enum { STATE_FILE_MAX = 1 << 30 };

/* Loads path into the dev chain; a missing file is fine when optional. */
static bool load_state_file(node *n, const char *path, bool optional) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (optional) return true;
        fprintf(stderr, "parevm node: cannot read the state file %s\n", path);
        return false;
    }
    buf_t b = {0};
    uint8_t chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= STATE_FILE_MAX) buf_append(&b, chunk, got);
    bool bad = ferror(f) || b.len > STATE_FILE_MAX;
    fclose(f);
    char why[256];
    const char *err = bad ? "unreadable or over 1 GiB" : node_dev_load_state(n, b.data, b.len, why, sizeof why);
    buf_free(&b);
    if (err) fprintf(stderr, "parevm node: state file %s: %s\n", path, err);
    return err == NULL;
}

/* Writes the dev chain's state to path (through a temporary file, renamed:
 * a crash leaves the old file whole). */
static bool dump_state_file(node *n, const char *path) {
    char why[256], tmp[4200];
    char *json = NULL;
    const char *err = node_dev_dump_state(n, &json, why, sizeof why);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = err ? NULL : fopen(tmp, "wb");
    if (!err && !f) err = "cannot create it";
    if (f) {
        bool ok = fputs(json, f) >= 0 && fputc('\n', f) != EOF;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path)) {
            err = "cannot write it";
            remove(tmp);
        }
    }
    free(json);
    if (err) fprintf(stderr, "parevm node: state file %s: %s\n", path, err);
    return err == NULL;
}

/* Waits for SIGINT or SIGTERM (returned); with an interval, writes the
 * state file every interval seconds meanwhile (anvil's --state-interval). */
static int wait_for_stop(const sigset_t *sigs, node *n, const char *dump_state, unsigned long long interval) {
    for (;;) {
        if (!interval) {
            int sig = 0;
            sigwait(sigs, &sig);
            return sig;
        }
        struct timespec ts = {.tv_sec = (time_t)interval};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig > 0) return sig;
        if (errno == EAGAIN) dump_state_file(n, dump_state);
    }
}

/* --no-request-size-limit: the largest request parevm holds in memory. */
#define NO_REQUEST_LIMIT ((size_t)1 << 30)

/* A whole number up to max (decimal, or hex with 0x). strtoull alone
 * would take "-1" as 2^64-1 and clamp what overflows. */
static bool num(const char *s, unsigned long long max, unsigned long long *out) {
    char *end;
    if (!s || !(*s >= '0' && *s <= '9')) return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || errno == ERANGE || v > max) return false;
    *out = v;
    return true;
}

/* An address of 40 hex digits, 0x or not (geth's common.IsHexAddress). */
static bool fee_recipient(const char *s, address *out) {
    if (!s) return false;
    const char *h = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
    return strlen(h) == 40 && hex_to_fixed(h, out->b, 20);
}

/* --rpc.txfeecap: ether, a finite number >= 0. */
static bool fee_cap(const char *s, double *out) {
    char *end;
    if (!s || !*s || *s == '-') return false;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v) || v < 0) return false;
    *out = v;
    return true;
}

/* wei as ether with 18 decimals, as anvil's banner writes balances. */
static void ether_text(const u256 *wei, char out[100]) {
    char dec[80], pad[100];
    u256_to_dec(wei, dec);
    size_t len = strlen(dec), zeros = len < 19 ? 19 - len : 0;
    memset(pad, '0', zeros);
    memcpy(pad + zeros, dec, len + 1);
    size_t n = zeros + len;
    snprintf(out, 100, "%.*s.%s", (int)(n - 18), pad, pad + n - 18);
}

static json_t *ask(const node *n, const char *method, const char *params);

/* The banner as anvil prints it: accounts (checksummed, with their
 * genesis balance), keys, the wallet, chain id, base fee, gas limit and
 * the genesis block's timestamp and number. */
static void print_banner(const node *n, const node_config *cfg) {
    const char *mnemonic = cfg->dev_mnemonic ? cfg->dev_mnemonic : DEV_MNEMONIC;
    const char *dpath = cfg->dev_derivation_path ? cfg->dev_derivation_path : HD_ACCOUNT_PATH;
    u256 ten_thousand = u256_from_u64(10000), wei = u256_from_u64(1000000000000000000ULL);
    u256 balance = u256_is_zero(&cfg->dev_balance) ? u256_mul(&ten_thousand, &wei) : cfg->dev_balance;
    char eth[100], text[80];
    ether_text(&balance, eth);
    address a;
    uint8_t key[32];
    printf("\nAvailable Accounts\n==================\n\n");
    for (unsigned i = 0; node_dev_account(n, i, &a, key); i++) {
        rpc_address_checksum(&a, text);
        printf("(%u) %s (%s ETH)\n", i, text, eth);
    }
    printf("\nPrivate Keys\n==================\n\n");
    for (unsigned i = 0; node_dev_account(n, i, &a, key); i++) {
        hex_encode(key, 32, text);
        printf("(%u) %s\n", i, text);
    }
    printf("\nWallet\n==================\nMnemonic:          %s\nDerivation path:   %s%s\n\n", mnemonic, dpath,
           *dpath && dpath[strlen(dpath) - 1] != '/' ? "/" : "");
    printf("\nChain ID\n==================\n\n%llu\n", (unsigned long long)node_chain_id(n));
    json_t *g = ask(n, "eth_getBlockByNumber", "[\"0x0\", false]");
    u256 base = {0};
    uint64_t limit = 0, ts = 0, number = 0;
    const char *base_hex = json_string_value(json_object_get(g, "baseFeePerGas"));
    hex_parse_u64(json_string_value(json_object_get(g, "gasLimit")), &limit);
    hex_parse_u64(json_string_value(json_object_get(g, "timestamp")), &ts);
    hex_parse_u64(json_string_value(json_object_get(g, "number")), &number);
    if (base_hex && hex_parse_u256(base_hex, &base)) {
        u256_to_dec(&base, text);
        printf("\nBase Fee\n==================\n\n%s\n", text);
    } else { /* before London: what eth_gasPrice answers */
        json_t *price = ask(n, "eth_gasPrice", "[]");
        if (hex_parse_u256(json_string_value(price), &base)) {
            u256_to_dec(&base, text);
            printf("\nGas Price\n==================\n\n%s\n", text);
        }
        json_decref(price);
    }
    if (limit == UINT64_MAX) printf("\nGas Limit\n==================\n\nDisabled\n");
    else printf("\nGas Limit\n==================\n\n%llu\n", (unsigned long long)limit);
    printf("\nGenesis Timestamp\n==================\n\n%llu\n", (unsigned long long)ts);
    printf("\nGenesis Number\n==================\n\n%llu\n\n", (unsigned long long)number);
    json_decref(g);
}

/* One answer of the node's own methods (the authenticated table keeps
 * every eth_ method whatever --http.api says), or NULL. */
static json_t *ask(const node *n, const char *method, const char *params) {
    json_t *args = json_loads(params, 0, NULL), *res = NULL;
    rpc_error err = {0};
    if (!args || !rpc_call(node_auth_methods(n), method, args, &res, &err)) res = NULL;
    rpc_error_clear(&err);
    json_decref(args);
    return res;
}

/* anvil's --config-out: the dev accounts, their keys and wallet, the base
 * fee, gas price and gas limit (when set) and the genesis timestamp, as
 * anvil writes them (numbers as decimal strings). Written through a
 * temporary file; false with a message on stderr. */
static bool write_config_out(const node *n, const node_config *cfg, const char *path) {
    json_t *accounts = json_array(), *keys = json_array();
    address a;
    uint8_t key[32];
    char text[67];
    for (unsigned i = 0; node_dev_account(n, i, &a, key); i++) {
        hex_encode(a.b, 20, text);
        json_array_append_new(accounts, json_string(text));
        hex_encode(key, 32, text);
        json_array_append_new(keys, json_string(text));
    }
    json_t *g = ask(n, "eth_getBlockByNumber", "[\"0x0\", false]"), *price = ask(n, "eth_gasPrice", "[]");
    u256 base = {0}, gp = {0};
    uint64_t ts = 0;
    hex_parse_u256(json_string_value(json_object_get(g, "baseFeePerGas")), &base);
    hex_parse_u256(json_string_value(price), &gp);
    hex_parse_u64(json_string_value(json_object_get(g, "timestamp")), &ts);
    char base_s[80], price_s[80], limit_s[24], ts_s[24];
    u256_to_dec(&base, base_s);
    u256_to_dec(&gp, price_s);
    snprintf(limit_s, sizeof limit_s, "%llu", (unsigned long long)cfg->dev_gas_limit);
    snprintf(ts_s, sizeof ts_s, "%llu", (unsigned long long)ts);
    /* the path as anvil writes it: with its final '/' */
    char dpath[256];
    const char *dp = cfg->dev_derivation_path ? cfg->dev_derivation_path : HD_ACCOUNT_PATH;
    snprintf(dpath, sizeof dpath, "%s%s", dp, *dp && dp[strlen(dp) - 1] != '/' ? "/" : "");
    json_t *out = json_pack("{s:o,s:o,s:{s:s,s:s},s:s,s:s,s:o,s:s}", "available_accounts", accounts, "private_keys",
                            keys, "wallet", "derivation_path", dpath, "mnemonic",
                            cfg->dev_mnemonic ? cfg->dev_mnemonic : DEV_MNEMONIC, "base_fee", base_s, "gas_price",
                            price_s, "gas_limit", cfg->dev_gas_limit ? json_string(limit_s) : json_null(),
                            "genesis_timestamp", ts_s);
    json_decref(g);
    json_decref(price);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    bool ok = out && json_dump_file(out, tmp, JSON_COMPACT) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "parevm node: --dev.config-out: cannot write %s\n", path);
        remove(tmp);
    }
    json_decref(out);
    return ok;
}

/* anvil's option names for the same settings (its users' scripts and
 * muscle memory); others pass through. */
static const char *anvil_name(const char *a) {
    static const char *const names[][2] = {
        {"--port", "--http.port"},       {"-p", "--http.port"},          {"--host", "--http.addr"},
        {"--chain-id", "--dev.chainid"}, {"--accounts", "--dev.accounts"}, {"-a", "--dev.accounts"},
        {"--balance", "--dev.balance"},  {"--mnemonic", "--dev.mnemonic"}, {"-m", "--dev.mnemonic"},
        {"--block-time", "--dev.period"}, {"-b", "--dev.period"},        {"--gas-limit", "--dev.gaslimit"},
        {"--timestamp", "--dev.time"},   {"--no-mining", "--dev.no-mining"}, {"--silent", "--quiet"},
        {"--auto-impersonate", "--dev.auto-impersonate"}, {"--block-base-fee-per-gas", "--dev.base-fee"},
        {"--base-fee", "--dev.base-fee"}, {"--code-size-limit", "--dev.code-size-limit"},
        {"--disable-code-size-limit", "--dev.no-code-size-limit"}, {"--init", "--dev.genesis"},
        {"--order", "--dev.order"}, {"--disable-default-create2-deployer", "--dev.no-create2-deployer"},
        {"--slots-in-an-epoch", "--dev.slots-in-an-epoch"}, {"--mixed-mining", "--dev.mixed-mining"},
        {"--no-mine", "--dev.no-mining"}, {"--disable-console-log", "--dev.no-console-log"},
        {"--no-console-log", "--dev.no-console-log"}, {"--derivation-path", "--dev.derivation-path"},
        {"--config-out", "--dev.config-out"}, {"--disable-min-priority-fee", "--dev.no-min-priority-fee"},
        {"--no-priority-fee", "--dev.no-min-priority-fee"}, {"--allow-origin", "--http.corsdomain"},
        {"--state-interval", "--dev.state-interval"}, {"-s", "--dev.state-interval"},
        {"--gas-price", "--dev.gas-price"}, {"--mnemonic-random", "--dev.mnemonic-random"},
        {"--mnemonic-seed-unsafe", "--dev.mnemonic-seed-unsafe"},
        {"--disable-block-gas-limit", "--dev.no-block-gas-limit"}, {"--disable-gas-limit", "--dev.no-block-gas-limit"},
        {"--enable-tx-gas-limit", "--dev.tx-gas-limit"}, {"--tx-gas-limit", "--dev.tx-gas-limit"},
        {"--print-traces", "--dev.print-traces"}, {"--enable-trace-printing", "--dev.print-traces"},
        {"-q", "--quiet"}, {"-j", "--jobs"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i][0])) return names[i][1];
    return a;
}

/* The genesis file of --dev.genesis, parsed and checked (with the reason
 * printed here, as node_open gives none), or NULL. */
static json_t *read_genesis(const char *path) {
    char why[300];
    json_t *g = cli_json_load(path, why, sizeof why);
    if (!g) {
        fprintf(stderr, "parevm node: %s\n", why);
        return NULL;
    }
    code_store *codes = code_store_new();
    chain_genesis gen;
    bool ok = chain_genesis_from_json(g, codes, &gen, why, sizeof why);
    if (ok) chain_genesis_free(&gen);
    code_store_free(codes);
    if (ok) return g;
    fprintf(stderr, "parevm node: %s: %s\n", path, why);
    json_decref(g);
    return NULL;
}

/* A whole number of ether (anvil's --balance) as wei. */
static bool ether(const char *v, u256 *out) {
    unsigned long long x;
    if (!num(v, UINT64_MAX, &x)) return false;
    u256 e = u256_from_u64(x), wei = u256_from_u64(1000000000000000000ULL);
    *out = u256_mul(&e, &wei);
    return x != 0;
}

/* anvil's options whose work parevm always does or has no need of:
 * accepted so that scripts that pass them start; 1 when a number follows,
 * 2 when one may, 3 when a path follows. Traces are always there
 * (--steps-tracing); blocks, receipts and every block's state stay in the
 * store on disk, none held in memory (the history options, --cache-path);
 * each transaction the node mines at once gets a block of its own
 * (--max-transactions, which caps anvil's blocks of transactions that
 * arrive together); --memory-limit caps revm's memory per execution (here
 * a VM's frames share 4 GiB, past which the transaction is refused). */
static int anvil_no_effect(const char *a) {
    static const struct {
        const char *name;
        int value;
    } names[] = {{"--steps-tracing", 0},       {"--preserve-historical-states", 0}, {"--max-persisted-states", 1},
                 {"--transaction-block-keeper", 1}, {"--prune-history", 2}, {"--max-transactions", 1},
                 {"--memory-limit", 1}, {"--cache-path", 3}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i].name)) return names[i].value;
    return -1;
}

/* anvil's options parevm does not have, with why (instead of "unknown
 * option"), or NULL. */
static const char *anvil_unsupported(const char *a) {
    static const char FORK[] = "forking a remote chain is not implemented: a dev chain starts from its own genesis";
    static const struct {
        const char *name, *why;
    } names[] = {
        {"--fork-url", FORK}, {"-f", FORK}, {"--rpc-url", FORK}, {"--fork-block-number", FORK},
        {"--fork-chain-id", FORK}, {"--fork-header", FORK}, {"--fork-retry-backoff", FORK},
        {"--fork-transaction-hash", FORK}, {"--compute-units-per-second", FORK}, {"--no-rate-limit", FORK},
        {"--no-storage-caching", FORK}, {"--retries", FORK}, {"--timeout", FORK},
        {"--number", "a dev chain's genesis is block 0"},
        {"--json", "parevm prints its messages in one format, plain text"},
        {"--md", "parevm prints its messages in one format, plain text"},
        {"--disable-pool-balance-checks", "the pool always checks a sender's balance and fees"},
        {"--celo", "only Ethereum's rules are implemented"}, {"--network", "only Ethereum's rules are implemented"},
        {"-n", "only Ethereum's rules are implemented"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i].name)) return names[i].why;
    return NULL;
}

/* anvil's -v, -vv ... -vvvvv and --verbosity (a count). */
static bool verbosity_flag(const char *a) {
    if (!strcmp(a, "--verbosity")) return true;
    if (a[0] != '-' || a[1] != 'v') return false;
    size_t n = strspn(a + 1, "v");
    return a[1 + n] == 0 && n <= 5;
}

/* The online cores, 1...256. */
static unsigned online_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/* At most one way to pick the dev accounts' phrase, and a phrase anvil
 * would take (BIP-39 words and checksum); false with the reason printed. */
static bool dev_mnemonic_ok(const node_config *cfg, unsigned mnemonics) {
    char why[200];
    if (mnemonics > 1) {
        fprintf(stderr, "parevm node: --dev.mnemonic, --dev.mnemonic-random and --dev.mnemonic-seed-unsafe "
                        "exclude each other\n");
        return false;
    }
    if (mnemonics && !cfg->dev) {
        fprintf(stderr, "parevm node: --dev.mnemonic and its variants need --dev\n");
        return false;
    }
    if (cfg->dev_mnemonic && !bip39_phrase_check(cfg->dev_mnemonic, why, sizeof why)) {
        fprintf(stderr, "parevm node: --dev.mnemonic: not a BIP-39 phrase: %s\n", why);
        return false;
    }
    return true;
}

int cmd_node(int argc, char **argv) {
    /* Requests and blocks allocate and free buffers of hundreds of KiB
     * (a block's receipts, Block-STM's tables): keep them in the heap for
     * reuse instead of mapping fresh zero pages (a page fault each 4 KiB)
     * every time; freed memory above 256 MiB still goes back. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    node_config cfg = {0};
    rpc_server_config http = {.addr = "127.0.0.1", .port = 8545, .thread_stack = NODE_THREAD_STACK};
    /* geth's engineAPIBodyLimit and engineAPIBatchItemLimit: a payload of a
     * full block of calldata is well over the 5 MiB of the public port */
    rpc_server_config auth = {.addr = "127.0.0.1", .port = 8551, .thread_stack = NODE_THREAD_STACK,
                              .max_body = 128u << 20, .max_batch = 2000};
    const char *jwt_path = NULL, *load_state = NULL, *dump_state = NULL, *genesis_file = NULL, *config_out = NULL;
    /* geth's and reth's WebSocket options: the HTTP port serves WebSocket
     * too; --ws.addr / --ws.port add a listener of the same methods */
    const char *ws_addr = NULL, *ws_api = NULL, *ipc_path = NULL;
    unsigned long long state_interval = 0;
    long ws_port = -1;
    bool state_optional = false, ipc_off = false, cors_set = false;
    bool quiet = false, auth_asked = false, no_console = false;
    char phrase[BIP39_PHRASE_MAX];
    unsigned mnemonics = 0;
    size_t max_request = 0;
    bool no_block_gas_limit = false, fee_cap_set = false, min_tip_set = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long x = 0;
        bool ok = true, takes = true;
        a = anvil_name(a);
        if (anvil_unsupported(a)) {
            fprintf(stderr, "parevm node: anvil's %s is not supported: %s\n", a, anvil_unsupported(a));
            return 2;
        }
        if (!strcmp(a, "--dev")) cfg.dev = true, takes = false;
        else if (!strcmp(a, "--http") || !strcmp(a, "--ws")) takes = false; /* both always on */
        else if (!strcmp(a, "--ws.addr")) ok = v != NULL, ws_addr = v;
        else if (!strcmp(a, "--ws.port")) ok = num(v, 65535, &x), ws_port = (long)x;
        else if (!strcmp(a, "--ws.api")) ok = v != NULL, ws_api = v;
        else if (!strcmp(a, "--ipcpath")) ok = v != NULL, ipc_path = v;
        else if (!strcmp(a, "--ipcdisable")) ipc_off = true, takes = false;
        else if (!strcmp(a, "--ipc")) /* anvil's: the path is optional */
            takes = v && v[0] != '-', ipc_path = takes ? v : "/tmp/parevm.ipc";
        else if (!strcmp(a, "--quiet")) quiet = true, takes = false;
        else if (verbosity_flag(a)) takes = false; /* anvil's -v...: parevm has one level */
        else if (!strcmp(a, "--dev.no-console-log")) no_console = true, takes = false;
        else if (!strcmp(a, "--rpc.allow-unprotected-txs")) cfg.allow_unprotected_txs = true, takes = false;
        else if (!strcmp(a, "--dev.print-traces")) cfg.print_traces = true, takes = false;
        else if (!strcmp(a, "--dev.no-min-priority-fee")) cfg.dev_no_min_priority_fee = true, takes = false;
        else if (!strcmp(a, "--no-cors")) http.cors = "", cors_set = true, takes = false; /* anvil's */
        else if (!strcmp(a, "--no-request-size-limit")) max_request = NO_REQUEST_LIMIT, takes = false; /* anvil's */
        else if (!strcmp(a, "--rpc.max-request-size")) /* reth's, in MB */
            ok = num(v, NO_REQUEST_LIMIT >> 20, &x) && x, max_request = (size_t)x << 20;
        else if (!strcmp(a, "--dev.no-block-gas-limit")) no_block_gas_limit = true, takes = false;
        else if (!strcmp(a, "--dev.tx-gas-limit")) cfg.dev_tx_gas_cap = true, takes = false;
        else if (anvil_no_effect(a) >= 0) {
            int value = anvil_no_effect(a);
            takes = value == 1 || value == 3 || (value == 2 && v && v[0] >= '0' && v[0] <= '9');
            ok = value == 3 ? v != NULL : !takes || num(v, !strcmp(a, "--memory-limit") ? UINT64_MAX : UINT32_MAX, &x);
            if (ok && !strcmp(a, "--max-transactions")) ok = x > 0;
        }
        else if (!strcmp(a, "--dev.no-mining")) cfg.dev_no_mining = true, takes = false;
        else if (!strcmp(a, "--dev.mixed-mining")) cfg.dev_mixed_mining = true, takes = false;
        else if (!strcmp(a, "--dev.auto-impersonate")) cfg.dev_auto_impersonate = true, takes = false;
        else if (!strcmp(a, "--dev.no-create2-deployer")) cfg.dev_no_create2_deployer = true, takes = false;
        else if (!strcmp(a, "--dev.base-fee"))
            ok = num(v, UINT64_MAX, &x), cfg.dev_base_fee = x, cfg.dev_base_fee_set = true;
        else if (!strcmp(a, "--dev.code-size-limit"))
            ok = num(v, UINT32_MAX - 1, &x) && x, cfg.dev_max_code_size = (uint32_t)x;
        else if (!strcmp(a, "--dev.no-code-size-limit")) cfg.dev_max_code_size = EVM_NO_CODE_SIZE_LIMIT, takes = false;
        else if (!strcmp(a, "--dev.balance")) ok = ether(v, &cfg.dev_balance);
        else if (!strcmp(a, "--dev.mnemonic")) ok = v != NULL, cfg.dev_mnemonic = v, mnemonics++;
        else if (!strcmp(a, "--dev.mnemonic-random")) { /* anvil's: the word count is optional */
            takes = v && v[0] >= '0' && v[0] <= '9';
            ok = (!takes || num(v, 24, &x)) && bip39_phrase_random(takes ? (unsigned)x : 12, phrase);
            cfg.dev_mnemonic = phrase, mnemonics++;
        } else if (!strcmp(a, "--dev.mnemonic-seed-unsafe")) {
            ok = v && num(v, UINT64_MAX, &x), mnemonics++;
            if (ok) bip39_phrase_unsafe_seed(x, phrase), cfg.dev_mnemonic = phrase;
        }
        else if (!strcmp(a, "--dev.gas-price"))
            ok = num(v, UINT64_MAX, &x), cfg.dev_gas_price = u256_from_u64(x), cfg.dev_gas_price_set = true;
        else if (!strcmp(a, "--dev.state-interval")) ok = num(v, 1ULL << 32, &x) && x, state_interval = x;
        else if (!strcmp(a, "--dev.derivation-path")) ok = v != NULL, cfg.dev_derivation_path = v;
        else if (!strcmp(a, "--dev.config-out")) ok = v != NULL, config_out = v;
        else if (!strcmp(a, "--dev.genesis")) ok = v != NULL, genesis_file = v;
        else if (!strcmp(a, "--dev.order"))
            ok = v && (!strcmp(v, "fees") || !strcmp(v, "fifo")), cfg.dev_order_fifo = ok && !strcmp(v, "fifo");
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) { /* anvil's -V */
            printf("parevm version %s\n", PAREVM_VERSION);
            return 0;
        } else if (!v) ok = false;
        else if (!strcmp(a, "--datadir")) cfg.datadir = v;
        else if (!strcmp(a, "--http.addr")) http.addr = v;
        else if (!strcmp(a, "--http.corsdomain")) http.cors = v, cors_set = true;
        else if (!strcmp(a, "--http.api")) cfg.http_api = v;
        else if (!strcmp(a, "--http.port")) ok = num(v, 65535, &x), http.port = (uint16_t)x;
        else if (!strcmp(a, "--http.threads")) ok = num(v, 256, &x) && x, http.threads = (unsigned)x;
        else if (!strcmp(a, "--threads")) ok = num(v, 256, &x) && x, cfg.threads = (unsigned)x;
        else if (!strcmp(a, "--jobs")) /* anvil's (-j): 0 is every core */
            ok = num(v, 256, &x), cfg.threads = x ? (unsigned)x : online_cores();
        else if (!strcmp(a, "--color")) /* anvil's: parevm writes no colours */
            ok = !strcmp(v, "auto") || !strcmp(v, "always") || !strcmp(v, "never");
        else if (!strcmp(a, "--preroot")) ok = chain_preroot_parse(v, &cfg.preroot);
        else if (!strcmp(a, "--dev.period")) ok = num(v, 86400, &x), cfg.dev_period_s = (unsigned)x;
        else if (!strcmp(a, "--dev.accounts")) ok = num(v, 1000, &x) && x, cfg.dev_accounts = (unsigned)x;
        else if (!strcmp(a, "--dev.slots-in-an-epoch"))
            ok = num(v, 1u << 30, &x) && x, cfg.dev_slots_in_epoch = (unsigned)x;
        else if (!strcmp(a, "--dev.chainid")) ok = num(v, UINT64_MAX / 2 - 36, &x) && x, cfg.dev_chain_id = x;
        else if (!strcmp(a, "--dev.gaslimit")) ok = num(v, UINT64_MAX, &x) && x >= 5000, cfg.dev_gas_limit = x;
        else if (!strcmp(a, "--dev.time")) ok = num(v, UINT64_MAX, &x), cfg.dev_genesis_time = x;
        else if (!strcmp(a, "--dev.hardfork") || !strcmp(a, "--hardfork")) cfg.dev_hardfork = v;
        else if (!strcmp(a, "--rpc.gascap")) ok = num(v, UINT64_MAX, &x) && x, cfg.gas_cap = x;
        else if (!strcmp(a, "--rpc.txfeecap")) ok = fee_cap(v, &cfg.tx_fee_cap), fee_cap_set = true;
        else if (!strcmp(a, "--authrpc.addr")) auth.addr = v, auth_asked = true;
        else if (!strcmp(a, "--authrpc.port")) ok = num(v, 65535, &x), auth.port = (uint16_t)x, auth_asked = true;
        else if (!strcmp(a, "--authrpc.jwtsecret")) jwt_path = v, auth_asked = true;
        else if (!strcmp(a, "--miner.gaslimit")) ok = num(v, UINT64_MAX, &x) && x >= 5000, cfg.builder_gas_limit = x;
        else if (!strcmp(a, "--miner.extradata")) ok = v && strlen(v) <= 32, cfg.builder_extra = v;
        else if (!strcmp(a, "--miner.pending.feeRecipient")) ok = fee_recipient(v, &cfg.pending_fee_recipient);
        else if (!strcmp(a, "--miner.gasprice"))
            ok = num(v, UINT64_MAX, &x), cfg.builder_min_tip = u256_from_u64(x), min_tip_set = true;
        else if (!strcmp(a, "--dev.state") || !strcmp(a, "--state")) load_state = dump_state = v, state_optional = true;
        else if (!strcmp(a, "--dev.load-state") || !strcmp(a, "--load-state")) load_state = v, state_optional = false;
        else if (!strcmp(a, "--dev.dump-state") || !strcmp(a, "--dump-state")) dump_state = v;
        else {
            fprintf(stderr, "parevm node: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "parevm node: bad or missing value for %s\n", a);
            return 2;
        }
        if (takes) i++;
    }
    if (!dev_mnemonic_ok(&cfg, mnemonics)) return 2;
    if (no_block_gas_limit && cfg.dev_gas_limit) {
        fprintf(stderr, "parevm node: --dev.no-block-gas-limit and --dev.gaslimit exclude each other\n");
        return 2;
    }
    if (no_block_gas_limit) cfg.dev_gas_limit = UINT64_MAX; /* anvil's header: 2^64-1 */
    http.max_body = http.max_ws_message = max_request; /* reth's: WebSocket too */
    if ((cfg.dev_derivation_path || config_out || cfg.print_traces) && !cfg.dev) {
        fprintf(stderr, "parevm node: --dev.derivation-path, --dev.config-out and --dev.print-traces need --dev\n");
        return 2;
    }
    if (state_interval && !dump_state) {
        fprintf(stderr, "parevm node: --dev.state-interval needs --dev.dump-state or --dev.state\n");
        return 2;
    }
    if ((load_state || dump_state) && !cfg.dev) {
        fprintf(stderr, "parevm node: --dev.state, --dev.load-state and --dev.dump-state need --dev\n");
        return 2;
    }
    if (ws_api && (!cfg.http_api || strcmp(ws_api, cfg.http_api))) {
        fprintf(stderr, "parevm node: --ws.api must name what --http.api names (one set of methods serves both)\n");
        return 2;
    }
    if (cfg.dev_mixed_mining && (!cfg.dev_period_s || cfg.dev_no_mining)) {
        fprintf(stderr, "parevm node: --dev.mixed-mining needs --dev.period (and no --dev.no-mining)\n");
        return 2;
    }
    if (genesis_file && !cfg.dev) {
        fprintf(stderr, "parevm node: --dev.genesis needs --dev (without it: parevm init, then parevm node)\n");
        return 2;
    }
    json_t *genesis = genesis_file ? read_genesis(genesis_file) : NULL;
    if (genesis_file && !genesis) return 1;
    cfg.dev_genesis = genesis;
    /* dev mode answers browsers from any origin, as anvil (--no-cors or
     * --http.corsdomain say otherwise) */
    if (cfg.dev && !cors_set) http.cors = "*";
    if (!fee_cap_set) cfg.tx_fee_cap = 1; /* geth's default (dev mode has none) */
    /* geth's miner.DefaultConfig.GasPrice (1 mwei) outside dev mode */
    if (!min_tip_set && !cfg.dev) cfg.builder_min_tip = u256_from_u64(1000000);
    if (!quiet) cfg.log = stderr;
    if (cfg.dev && !quiet && !no_console) cfg.console = stdout;
    if (cfg.dev && !quiet) cfg.report = stdout; /* anvil's report of each mined block */
    /* SIGINT and SIGTERM are taken by sigwait below: block them before any
     * thread starts, so that every thread inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    node *n;
    const char *err = node_open(&cfg, &n);
    json_decref(genesis);
    if (err) {
        if (err == DB_NO_STORE) fprintf(stderr, "parevm node: %s: %s\n", cfg.datadir, err);
        else fprintf(stderr, "parevm node: %s\n", err);
        return 1;
    }
    if ((err = cli_lock_store(node_datadir(n)))) {
        fprintf(stderr, "parevm node: %s: %s\n", node_datadir(n), err);
        node_close(n);
        return 1;
    }
    if (load_state && !load_state_file(n, load_state, state_optional)) {
        node_close(n);
        return 1;
    }
    char why[256];
    rpc_server *srv = rpc_server_start(&http, node_methods(n), why, sizeof why);
    if (!srv) {
        fprintf(stderr, "parevm node: %s\n", why);
        node_close(n);
        return 1;
    }
    /* a WebSocket port of its own, when asked for one the HTTP port is not */
    rpc_server_config ws = http;
    if (ws_addr) ws.addr = ws_addr;
    if (ws_port >= 0) ws.port = (uint16_t)ws_port;
    rpc_server *wsrv = NULL;
    bool ws_apart = (ws_addr && strcmp(ws.addr, http.addr)) || (ws_port >= 0 && ws.port != rpc_server_port(srv));
    if (ws_apart && !(wsrv = rpc_server_start(&ws, node_methods(n), why, sizeof why))) {
        fprintf(stderr, "parevm node: --ws: %s\n", why);
        rpc_server_stop(srv, 0);
        node_close(n);
        return 1;
    }
    rpc_ipc *ipc = NULL;
    rpc_ipc_config ipc_cfg = {.thread_stack = NODE_THREAD_STACK, .max_message = max_request};
    if (ipc_off) ipc_path = NULL;
    if (ipc_path && !(ipc = rpc_ipc_start(ipc_path, &ipc_cfg, node_methods(n), why, sizeof why))) {
        fprintf(stderr, "parevm node: --ipcpath: %s\n", why);
        rpc_server_stop(wsrv, 0);
        rpc_server_stop(srv, 0);
        node_close(n);
        return 1;
    }
    /* the Engine API: its own port, every request with a JWT */
    rpc_server *asrv = NULL;
    char secret_file[4200];
    if (!cfg.dev || auth_asked) {
        uint8_t secret[JWT_SECRET_LEN];
        bool created = false;
        snprintf(secret_file, sizeof secret_file, "%s", jwt_path ? jwt_path : "");
        if (!jwt_path) snprintf(secret_file, sizeof secret_file, "%s/jwtsecret", node_datadir(n));
        if (!jwt_secret_load(secret_file, secret, &created, why, sizeof why) ||
            !(auth.jwt_secret = secret, asrv = rpc_server_start(&auth, node_auth_methods(n), why, sizeof why))) {
            fprintf(stderr, "parevm node: %s\n", why);
            rpc_ipc_stop(ipc);
            rpc_server_stop(wsrv, 0);
            rpc_server_stop(srv, 0);
            node_close(n);
            return 1;
        }
        if (created && !quiet) fprintf(stderr, "parevm node: wrote a new JWT secret to %s\n", secret_file);
    }
    if (config_out && !write_config_out(n, &cfg, config_out)) {
        rpc_server_stop(asrv, 0);
        rpc_ipc_stop(ipc);
        rpc_server_stop(wsrv, 0);
        rpc_server_stop(srv, 0);
        node_close(n);
        return 1;
    }
    if (cfg.dev && !quiet) print_banner(n, &cfg);
    printf("datadir %s%s\n", node_datadir(n), cfg.datadir ? "" : " (temporary, removed at exit)");
    printf("Listening on %s:%u\n", http.addr, (unsigned)rpc_server_port(srv)); /* anvil's line, which tools wait for */
    if (wsrv) printf("websocket listening on %s:%u\n", ws.addr, (unsigned)rpc_server_port(wsrv));
    if (ipc) printf("ipc listening on %s\n", ipc_path);
    if (asrv) printf("engine api listening on %s:%u (jwt secret %s)\n", auth.addr, (unsigned)rpc_server_port(asrv), secret_file);
    fflush(stdout);
    int sig = wait_for_stop(&sigs, n, dump_state, state_interval);
    if (!quiet) fprintf(stderr, "parevm node: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rpc_server_stop(asrv, 5000);
    rpc_ipc_stop(ipc);
    rpc_server_stop(wsrv, 5000);
    rpc_server_stop(srv, 5000);
    bool dumped = !dump_state || dump_state_file(n, dump_state);
    node_close(n);
    return dumped ? 0 : 1;
}
