/* A BlockchainTests fixture's genesis in a store: its pre-state and
 * genesisBlockHeader turned into a geth genesis object, read by the genesis
 * reader and written by chain_init (chaintest, enginetest). */
#include <stdio.h>
#include <unistd.h>
#include "fixture_store.h"
#include "cli_util.h"

static const char *const header_fields[] = {"nonce", "timestamp", "extraData", "gasLimit", "gasUsed",
                                             "number", "difficulty", "mixHash", "coinbase", "parentHash",
                                             "baseFeePerGas", "excessBlobGas", "blobGasUsed"};

/* The fixture's genesis as geth's genesis JSON. */
static json_t *genesis_json(json_t *t, const chain_config *cfg) {
    json_t *g = json_object(), *h = json_object_get(t, "genesisBlockHeader");
    char err[200];
    json_t *c = chain_config_to_json(cfg, err, sizeof err);
    if (!c) { /* not expressible in geth's format: the exact one replaces it */
        c = json_object();
        json_object_set_new(c, "chainId", json_integer(1));
    }
    json_object_set_new(g, "config", c);
    for (size_t i = 0; i < sizeof header_fields / sizeof header_fields[0]; i++) {
        json_t *v = json_object_get(h, header_fields[i]);
        if (v) json_object_set(g, header_fields[i], v);
    }
    json_object_set(g, "alloc", json_object_get(t, "pre"));
    return g;
}

const char *fixture_init_store(db *d, json_t *t, const chain_config *cfg, block_header *out, char *err,
                               size_t errlen) {
    json_t *gj = genesis_json(t, cfg);
    chain_genesis g;
    bytes32 want;
    const char *why = NULL;
    if (!json_hex_bytes32(json_object_get(t, "genesisBlockHeader"), "hash", &want, err, errlen)) why = err;
    else if (!chain_genesis_from_json(gj, db_codes(d), &g, err, errlen)) why = err;
    json_decref(gj);
    if (why) return why;
    g.config = *cfg; /* exact, whatever geth's format could say */
    block_header h = chain_genesis_header(&g);
    why = chain_init(d, cfg, &h, &g.alloc, out);
    chain_genesis_free(&g);
    if (why) return why;
    if (!bytes32_eq(&out->hash, &want)) return "genesis hash differs from genesisBlockHeader.hash";
    return NULL;
}

bool fixture_network(fixture_run *fr, const char *file, const char *name, json_t *t, chain_config *cfg) {
    const char *network = json_string_value(json_object_get(t, "network"));
    if (!network || !chain_config_by_name(network, cfg)) {
        fixture_run_fail(fr, file, name, "unknown network \"%s\"", network ? network : "(missing)");
        return false;
    }
    /* execution-spec-tests' fixtures also carry config.chainid and
     * config.blobSchedule (the filler's); older ones have neither */
    json_t *c = json_object_get(t, "config");
    json_t *id = json_object_get(c, "chainid"), *schedule = json_object_get(c, "blobSchedule");
    char err[200] = "not an object";
    if ((c && !json_is_object(c)) || (id && !json_hex_u64(c, "chainid", &cfg->chain_id, err, sizeof err))) {
        fixture_run_fail(fr, file, name, "malformed fixture: config: %s", err);
        return false;
    }
    if (schedule && !chain_blob_schedule_from_json(schedule, cfg, err, sizeof err)) {
        fixture_run_fail(fr, file, name, "malformed fixture: %s", err);
        return false;
    }
    return true;
}

void fixture_remove_store(const char *dir) {
    char p[512];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}
