/* parevm t9n: geth's `evm t9n` (transaction): checks each transaction of an
 * RLP list against a fork's rules without any state, and prints a JSON
 * array with one object per transaction: {"address", "hash",
 * "intrinsicGas"} for a valid one, with "error" added for an invalid one
 * (the address and intrinsic gas only once the sender is known). The
 * checks are parevm's static transaction rules (tx_check_static), the
 * errors in geth's words (exception_geth_text).
 *
 * The input is a file whose name ends in .rlp holding the list as a JSON
 * hex string, or "stdin" with {"txsRlp": "0x.."}. Exit codes are geth's
 * t8n codes: 3 an unknown fork, 10 bad JSON, 11 I/O or an input that is no
 * RLP list (geth's), 0 otherwise, whatever the transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_util.h"
#include "commands.h"
#include "exceptions.h"
#include "parevm/chain.h"
#include "parevm/hex.h"
#include "parevm/rlp.h"
#include "parevm/rpc_codec.h"
#include "parevm/tx.h"
#include "t8n.h"

static int usage(void) {
    fprintf(stderr,
            "usage: parevm t9n [--input.txs F] [--state.fork NAME] [--state.chainid N]\n"
            "  geth's evm t9n: checks each transaction of an RLP list against a fork's rules\n"
            "  (no state) and prints [{address, hash, intrinsicGas, error}] as JSON\n"
            "  --input.txs F    a .rlp file holding the list as a JSON hex string, or \"stdin\"\n"
            "                   with {\"txsRlp\": \"0x..\"} (default txs.rlp)\n"
            "  --state.fork     a fork or fixture network name (default GrayGlacier)\n"
            "  --state.chainid  the chain id (default 1)\n"
            "exit status: 0 (whatever the transactions), 3 unknown fork, 10 bad JSON,\n"
            "11 unreadable input or no RLP list\n");
    return 2;
}

static int error_exit(int code, const char *fmt, const char *what) {
    fprintf(stderr, "ERROR(%d): ", code);
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    return code;
}

/* Reasons found before the sender is known: geth reports them from its
 * signer, with neither address nor intrinsic gas. */
static bool before_sender(const char *why) {
    static const char *const prefixes[] = {"type ", "unknown transaction type", "typed transaction without",
                                           "EIP-155 transaction", "chain id", "invalid signature"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(why, prefixes[i], strlen(prefixes[i]))) return true;
    return false;
}

/* One transaction's verdict (raw: the list element as tx_decode takes it). */
static json_t *check_one(const uint8_t *raw, size_t len, fork_id fork, uint64_t chain_id) {
    json_t *o = json_object();
    transaction tx;
    char why[200];
    if (!tx_decode(raw, len, &tx, why, sizeof why)) {
        /* geth's words for the two decoding errors it names itself */
        if (len <= 1 && !(len == 1 && raw[0] >= 0xc0)) snprintf(why, sizeof why, "typed transaction too short");
        else if (!strncmp(why, "unsupported transaction type", 28)) snprintf(why, sizeof why, "transaction type not supported");
        json_object_set_new(o, "error", json_string(why));
        return o;
    }
    const char *reason = tx_check_static(&tx, fork, chain_id);
    bool known = !(reason && before_sender(reason)) && tx_recover_sender(&tx, fork >= FORK_HOMESTEAD);
    if (!reason && !known) reason = "invalid transaction signature";
    if (reason) {
        uint64_t want = 0;
        if (!strcmp(reason, "intrinsic gas too low")) want = tx_intrinsic_gas(&tx, fork);
        else if (!strcmp(reason, "gas limit below the calldata floor (EIP-7623)")) want = tx_floor_gas(&tx, fork);
        if (want)
            snprintf(why, sizeof why, "%s: have %llu, want %llu", exception_geth_text(reason),
                     (unsigned long long)tx.gas_limit, (unsigned long long)want);
        else
            snprintf(why, sizeof why, "%s", exception_geth_text(reason));
        json_object_set_new(o, "error", json_string(why));
    }
    if (known) {
        char a[43];
        hex_encode(tx.sender.b, 20, a);
        json_object_set_new(o, "address", json_string(a));
    }
    json_object_set_new(o, "hash", rpc_json_hash(&tx.hash));
    if (known) json_object_set_new(o, "intrinsicGas", rpc_json_u64(tx_intrinsic_gas(&tx, fork)));
    tx_free(&tx);
    return o;
}

/* The list's hex: the .rlp file's JSON string, or stdin's txsRlp. */
static int load_list(const char *path, uint8_t **raw, size_t *len) {
    json_error_t je;
    json_t *v;
    const char *hex;
    if (!strcmp(path, "stdin")) {
        if (!(v = json_loadf(stdin, 0, &je))) return error_exit(T8N_ERR_JSON, "stdin: invalid JSON: %s", je.text);
        hex = json_string_value(json_object_get(v, "txsRlp"));
    } else {
        size_t n = strlen(path);
        if (n < 4 || strcmp(path + n - 4, ".rlp")) return error_exit(T8N_ERR_IO, "%s: only rlp supported", path);
        FILE *f = fopen(path, "rb");
        if (!f) return error_exit(T8N_ERR_IO, "%s: cannot open: no such file or not readable", path);
        v = json_loadf(f, JSON_DECODE_ANY, &je);
        fclose(f);
        if (!v) return error_exit(T8N_ERR_IO, "the txs file is not a JSON string: %s", je.text);
        hex = json_string_value(v);
    }
    bool ok = hex && hex_parse_data(hex, raw, len);
    json_decref(v);
    return ok ? 0 : error_exit(T8N_ERR_IO, "%s", "the transactions are not 0x-hex of whole bytes");
}

int cmd_t9n(int argc, char **argv) {
    const char *txs = "txs.rlp", *fork_name = "GrayGlacier";
    long chain_id = 1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = cli_option_value(argc, argv, &i, "--input.txs"))) txs = v;
        else if ((v = cli_option_value(argc, argv, &i, "--state.fork"))) fork_name = v;
        else if ((v = cli_option_value(argc, argv, &i, "--state.chainid"))) {
            if (!cli_parse_long(v, 1, 1L << 62, &chain_id)) return usage();
        } else return usage();
    }
    chain_config cfg;
    if (!chain_config_by_name(fork_name, &cfg)) return error_exit(T8N_ERR_CONFIG, "unsupported fork \"%s\"", fork_name);
    fork_id fork = chain_fork_at(&cfg, 0, 0, false);
    uint8_t *raw;
    size_t len;
    int rc = load_list(txs, &raw, &len);
    if (rc) return rc;
    rlp_item list, it;
    size_t used;
    if (rlp_decode(raw, len, &list) != RLP_OK || !list.is_list) {
        free(raw);
        return error_exit(T8N_ERR_IO, "%s", "the input is not an RLP list");
    }
    json_t *out = json_array();
    for (const uint8_t *p = list.data, *end = list.data + list.len; p < end; p += used) {
        if (rlp_decode_item(p, (size_t)(end - p), &it, &used) != RLP_OK) {
            json_decref(out);
            free(raw);
            return error_exit(T8N_ERR_IO, "%s", "an item of the list is not RLP");
        }
        json_array_append_new(out, check_one(it.is_list ? it.raw : it.data, it.is_list ? it.raw_len : it.len, fork,
                                             (uint64_t)chain_id));
    }
    free(raw);
    json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(out);
    return 0;
}
