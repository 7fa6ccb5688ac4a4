/* The chain configuration as the store keeps it (an exact RLP record), and
 * as geth's genesis "config" JSON object (for the genesis files parevm
 * writes: the benchmark's chains, fixture conversions). */
#include <jansson.h>
#include <stdio.h>
#include "chain_internal.h"
#include "parevm/chain_import.h"
#include "parevm/hex.h"
#include "parevm/rlp.h"

/* 2 appended mergeNetsplitBlock, 3 the clique flag and the contract size
 * limit, 4 the lifted EIP-7825 cap, 5 the ethash flag, 6 the DAO fork
 * opposed; older records still load (without them) */
#define CONFIG_RECORD_VERSION 6

/* The u64 fields of chain_config, in record order. */
static const size_t record_fields[] = {
    offsetof(chain_config, chain_id), offsetof(chain_config, homestead), offsetof(chain_config, dao),
    offsetof(chain_config, tangerine_whistle), offsetof(chain_config, spurious_dragon),
    offsetof(chain_config, byzantium), offsetof(chain_config, constantinople),
    offsetof(chain_config, petersburg), offsetof(chain_config, istanbul), offsetof(chain_config, muir_glacier),
    offsetof(chain_config, berlin), offsetof(chain_config, london), offsetof(chain_config, arrow_glacier),
    offsetof(chain_config, gray_glacier), offsetof(chain_config, paris_block),
    offsetof(chain_config, shanghai_time), offsetof(chain_config, cancun_time),
    offsetof(chain_config, prague_time), offsetof(chain_config, osaka_time),
    offsetof(chain_config, bpo_time[0]), offsetof(chain_config, bpo_time[1]),
    offsetof(chain_config, bpo_time[2]), offsetof(chain_config, bpo_time[3]),
    offsetof(chain_config, bpo_time[4]),
};
#define N_RECORD_FIELDS (sizeof record_fields / sizeof record_fields[0])

static uint64_t *field_at(chain_config *c, size_t off) { return (uint64_t *)((char *)c + off); }

void chain_config_encode(const chain_config *c, buf_t *out) {
    chain_config cc = *c;
    size_t l = rlp_list_begin(out);
    rlp_encode_u64(out, CONFIG_RECORD_VERSION);
    for (size_t i = 0; i < N_RECORD_FIELDS; i++) rlp_encode_u64(out, *field_at(&cc, record_fields[i]));
    rlp_encode_u64(out, c->has_ttd);
    rlp_encode_u256(out, &c->terminal_total_difficulty);
    size_t bl = rlp_list_begin(out);
    for (int i = 0; i < CHAIN_BLOB_ENTRIES; i++) {
        rlp_encode_u64(out, c->blob_schedule[i].target);
        rlp_encode_u64(out, c->blob_schedule[i].max);
        rlp_encode_u64(out, c->blob_schedule[i].update_fraction);
    }
    rlp_list_end(out, bl);
    rlp_encode_address(out, &c->deposit_contract);
    rlp_encode_u64(out, c->merge_netsplit);
    rlp_encode_u64(out, c->clique);
    rlp_encode_u64(out, c->max_code_size);
    rlp_encode_u64(out, c->no_tx_gas_cap);
    rlp_encode_u64(out, c->ethash);
    rlp_encode_u64(out, c->dao_opposed);
    rlp_list_end(out, l);
}

bool chain_config_decode(const uint8_t *p, size_t len, chain_config *out) {
    chain_config c;
    memset(&c, 0, sizeof c);
    rlp_item list, it;
    if (rlp_decode(p, len, &list) || !list.is_list) return false;
    rlp_iter iter = rlp_iter_of(&list);
    uint64_t version, has_ttd;
    if (rlp_next(&iter, &it) || rlp_to_u64(&it, &version) || version < 1 || version > CONFIG_RECORD_VERSION) return false;
    for (size_t i = 0; i < N_RECORD_FIELDS; i++)
        if (rlp_next(&iter, &it) || rlp_to_u64(&it, field_at(&c, record_fields[i]))) return false;
    if (rlp_next(&iter, &it) || rlp_to_u64(&it, &has_ttd) || has_ttd > 1) return false;
    c.has_ttd = has_ttd;
    if (rlp_next(&iter, &it) || rlp_to_u256(&it, &c.terminal_total_difficulty)) return false;
    rlp_item blobs, e;
    if (rlp_next(&iter, &blobs) || !blobs.is_list) return false;
    rlp_iter bi = rlp_iter_of(&blobs);
    for (int i = 0; i < CHAIN_BLOB_ENTRIES; i++) {
        uint64_t v[3];
        for (int k = 0; k < 3; k++)
            if (rlp_next(&bi, &e) || rlp_to_u64(&e, &v[k])) return false;
        if (v[1] > UINT32_MAX || v[0] > v[1]) return false;
        c.blob_schedule[i] = (blob_params){v[0], v[1], v[2]};
    }
    if (rlp_next(&bi, &e) != RLP_ERR_COUNT) return false;
    if (rlp_next(&iter, &it) || rlp_to_address(&it, &c.deposit_contract)) return false;
    c.merge_netsplit = CHAIN_NEVER;
    if (version >= 2 && (rlp_next(&iter, &it) || rlp_to_u64(&it, &c.merge_netsplit))) return false;
    uint64_t clique = 0, max_code = 0;
    if (version >= 3 && (rlp_next(&iter, &it) || rlp_to_u64(&it, &clique) || clique > 1 || rlp_next(&iter, &it) ||
                         rlp_to_u64(&it, &max_code) || max_code > UINT32_MAX))
        return false;
    c.clique = clique;
    c.max_code_size = (uint32_t)max_code;
    uint64_t no_cap = 0;
    if (version >= 4 && (rlp_next(&iter, &it) || rlp_to_u64(&it, &no_cap) || no_cap > 1)) return false;
    c.no_tx_gas_cap = no_cap;
    uint64_t ethash = 0;
    if (version >= 5 && (rlp_next(&iter, &it) || rlp_to_u64(&it, &ethash) || ethash > 1)) return false;
    c.ethash = ethash;
    uint64_t dao_opposed = 0;
    if (version >= 6 && (rlp_next(&iter, &it) || rlp_to_u64(&it, &dao_opposed) || dao_opposed > 1)) return false;
    c.dao_opposed = dao_opposed;
    if (rlp_next(&iter, &it) != RLP_ERR_COUNT) return false;
    *out = c;
    return true;
}

const char *chain_config_load(db_snapshot *s, chain_config *out) {
    buf_t b = {0};
    const char *err = db_read_meta(s, "config", &b);
    if (err == DB_NOT_FOUND) err = "the store has no chain configuration (run parevm init)";
    if (!err && !chain_config_decode(b.data, b.len, out)) err = "the store's chain configuration is corrupt";
    buf_free(&b);
    return err;
}

/* ---- geth's JSON form ---- */

static void set_u64(json_t *o, const char *name, uint64_t v) {
    if (v != CHAIN_NEVER) json_object_set_new(o, name, json_integer((json_int_t)v));
}

static json_t *u256_hex(const u256 *v) {
    uint8_t be[32];
    char hex[67];
    u256_to_be(v, be);
    size_t skip = 0;
    while (skip < 31 && be[skip] == 0) skip++;
    hex_encode(be + skip, 32 - skip, hex);
    /* a quantity: no leading zero digit */
    const char *digits = hex + 2;
    while (digits[0] == '0' && digits[1]) digits++;
    char out[70];
    snprintf(out, sizeof out, "0x%s", digits);
    return json_string(out);
}

/* What geth's format cannot say about c, or NULL. */
static const char *unsayable(const chain_config *c) {
    if (c->petersburg == CHAIN_NEVER && c->constantinople != CHAIN_NEVER)
        return "geth's config format cannot schedule Constantinople without Petersburg";
    if (c->paris_block != CHAIN_NEVER &&
        !(c->has_ttd && u256_is_zero(&c->terminal_total_difficulty) && c->paris_block == 0))
        return "geth's config format cannot set the Merge by block number";
    if (c->max_code_size) return "geth's config format cannot set a contract size limit";
    if (c->no_tx_gas_cap) return "geth's config format cannot lift the EIP-7825 gas cap";
    if (c->chain_id > (uint64_t)INT64_MAX) return "chain id above 2^63 - 1";
    return NULL;
}

json_t *chain_config_to_json(const chain_config *c, char *err, size_t errlen) {
    const char *why = unsayable(c);
    if (why) {
        snprintf(err, errlen, "%s", why);
        return NULL;
    }
    return chain_config_describe(c);
}

json_t *chain_config_describe(const chain_config *c) {
    json_t *o = json_object();
    if (c->chain_id <= (uint64_t)INT64_MAX) {
        json_object_set_new(o, "chainId", json_integer((json_int_t)c->chain_id));
    } else {
        u256 id = u256_from_u64(c->chain_id);
        json_object_set_new(o, "chainId", u256_hex(&id));
    }
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
        {"homesteadBlock", offsetof(chain_config, homestead)},
        {"eip150Block", offsetof(chain_config, tangerine_whistle)},
        {"eip155Block", offsetof(chain_config, spurious_dragon)},
        {"eip158Block", offsetof(chain_config, spurious_dragon)},
        {"byzantiumBlock", offsetof(chain_config, byzantium)},
        {"constantinopleBlock", offsetof(chain_config, constantinople)},
        {"petersburgBlock", offsetof(chain_config, petersburg)},
        {"istanbulBlock", offsetof(chain_config, istanbul)},
        {"muirGlacierBlock", offsetof(chain_config, muir_glacier)},
        {"berlinBlock", offsetof(chain_config, berlin)},
        {"londonBlock", offsetof(chain_config, london)},
        {"arrowGlacierBlock", offsetof(chain_config, arrow_glacier)},
        {"grayGlacierBlock", offsetof(chain_config, gray_glacier)},
        {"mergeNetsplitBlock", offsetof(chain_config, merge_netsplit)},
        {"shanghaiTime", offsetof(chain_config, shanghai_time)},
        {"cancunTime", offsetof(chain_config, cancun_time)},
        {"pragueTime", offsetof(chain_config, prague_time)},
        {"osakaTime", offsetof(chain_config, osaka_time)},
        {"bpo1Time", offsetof(chain_config, bpo_time[0])},
        {"bpo2Time", offsetof(chain_config, bpo_time[1])},
        {"bpo3Time", offsetof(chain_config, bpo_time[2])},
        {"bpo4Time", offsetof(chain_config, bpo_time[3])},
        {"bpo5Time", offsetof(chain_config, bpo_time[4])},
    };
    chain_config cc = *c;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) set_u64(o, fields[i].name, *field_at(&cc, fields[i].off));
    if (c->dao != CHAIN_NEVER) {
        set_u64(o, "daoForkBlock", c->dao);
        json_object_set_new(o, "daoForkSupport", json_boolean(!c->dao_opposed));
    }
    if (c->has_ttd) json_object_set_new(o, "terminalTotalDifficulty", u256_hex(&c->terminal_total_difficulty));
    if (c->clique) json_object_set_new(o, "clique", json_pack("{s:i, s:i}", "period", 0, "epoch", 30000));
    if (c->ethash) json_object_set_new(o, "ethash", json_object());
    static const char *const blob_names[CHAIN_BLOB_ENTRIES] = {"cancun", "prague", "osaka", "bpo1",
                                                               "bpo2",   "bpo3",   "bpo4",  "bpo5"};
    json_t *bs = json_object();
    for (int i = 0; i < CHAIN_BLOB_ENTRIES; i++) {
        const blob_params *p = &c->blob_schedule[i];
        if (!p->update_fraction) continue;
        json_t *e = json_object();
        json_object_set_new(e, "target", json_integer((json_int_t)p->target));
        json_object_set_new(e, "max", json_integer((json_int_t)p->max));
        json_object_set_new(e, "baseFeeUpdateFraction", json_integer((json_int_t)p->update_fraction));
        json_object_set_new(bs, blob_names[i], e);
    }
    json_object_set_new(o, "blobSchedule", bs);
    char dep[43];
    hex_encode(c->deposit_contract.b, 20, dep);
    json_object_set_new(o, "depositContractAddress", json_string(dep));
    return o;
}
