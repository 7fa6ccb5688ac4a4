/* Chain configuration from geth's genesis "config" JSON object: fork
 * activation blocks and times, the terminal total difficulty, the EIP-7840
 * blob schedule and the EIP-6110 deposit contract. Strict about types and
 * ranges; fields parevm has no use for are ignored, as geth ignores them. */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include "chain_internal.h"
#include "parevm/chain_import.h"

/* ---- numbers ----------------------------------------------------------- */

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A decimal or 0x-hex string into a 256-bit value; false on anything else
 * (empty, a sign, spaces, a digit of the wrong base, a value past 2^256 - 1). */
static bool parse_u256_text(const char *s, u256 *out) {
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s) return false;
    u256 v = U256_ZERO, b = u256_from_u64(base);
    for (; *s; s++) {
        int d = hex_digit(*s);
        if (d < 0 || (unsigned)d >= base) return false;
        uint64_t wide[8];
        u256_mul_full(wide, &v, &b);
        if (wide[4] | wide[5] | wide[6] | wide[7]) return false;
        u256 t = {{wide[0], wide[1], wide[2], wide[3]}}, dd = u256_from_u64((uint64_t)d);
        if (u256_add_carry(&v, &t, &dd)) return false;
    }
    *out = v;
    return true;
}

/* A JSON integer >= 0 or a numeric string. */
static bool json_u256(const json_t *v, const char *name, u256 *out, char *err, size_t errlen) {
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) return chain_fail(err, errlen, "config: %s is negative", name);
        *out = u256_from_u64((uint64_t)i);
        return true;
    }
    if (json_is_string(v) && parse_u256_text(json_string_value(v), out)) return true;
    return chain_fail(err, errlen, "config: %s is not a non-negative integer", name);
}

static bool json_u64(const json_t *v, const char *name, uint64_t *out, char *err, size_t errlen) {
    u256 x = U256_ZERO;
    if (!json_u256(v, name, &x, err, errlen)) return false;
    if (!u256_fits_u64(&x)) return chain_fail(err, errlen, "config: %s is above 2^64 - 1", name);
    *out = x.w[0];
    return true;
}

/* An activation point: absent (or null) is "not scheduled"; 2^64 - 1 is
 * reserved for that meaning. */
static bool json_activation(const json_t *obj, const char *name, uint64_t *out, char *err, size_t errlen) {
    const json_t *v = json_object_get(obj, name);
    *out = CHAIN_NEVER;
    if (!v || json_is_null(v)) return true;
    if (!json_u64(v, name, out, err, errlen)) return false;
    if (*out == CHAIN_NEVER)
        return chain_fail(err, errlen, "config: %s is 2^64 - 1, which parevm reserves for \"not scheduled\"", name);
    return true;
}

/* ---- blob schedule ----------------------------------------------------- */

static const char *const blob_entry_names[CHAIN_BLOB_ENTRIES] = {
    "cancun", "prague", "osaka", "bpo1", "bpo2", "bpo3", "bpo4", "bpo5",
};

static bool blob_entry(const json_t *e, const char *fork, blob_params *out, char *err, size_t errlen) {
    if (!json_is_object(e)) return chain_fail(err, errlen, "config: blobSchedule.%s is not an object", fork);
    static const char *const fields[3] = {"target", "max", "baseFeeUpdateFraction"};
    uint64_t v[3];
    for (int i = 0; i < 3; i++) {
        char name[80];
        snprintf(name, sizeof name, "blobSchedule.%s.%s", fork, fields[i]);
        const json_t *f = json_object_get(e, fields[i]);
        if (!f) return chain_fail(err, errlen, "config: %s is missing", name);
        if (!json_u64(f, name, &v[i], err, errlen)) return false;
    }
    if (v[1] > UINT32_MAX) return chain_fail(err, errlen, "config: blobSchedule.%s.max is above 2^32 - 1", fork);
    if (v[0] > v[1]) return chain_fail(err, errlen, "config: blobSchedule.%s.target is above its max", fork);
    if (!v[2]) return chain_fail(err, errlen, "config: blobSchedule.%s.baseFeeUpdateFraction is 0", fork);
    *out = (blob_params){v[0], v[1], v[2]};
    return true;
}

bool chain_blob_schedule_from_json(const json_t *schedule, chain_config *out, char *err, size_t errlen) {
    if (!json_is_object(schedule)) return chain_fail(err, errlen, "config: blobSchedule is not an object");
    blob_params got[CHAIN_BLOB_ENTRIES];
    memcpy(got, out->blob_schedule, sizeof got);
    const char *key;
    const json_t *e;
    json_object_foreach((json_t *)schedule, key, e) {
        for (int i = 0; i < CHAIN_BLOB_ENTRIES; i++)
            if (!strcasecmp(key, blob_entry_names[i]) && !blob_entry(e, blob_entry_names[i], &got[i], err, errlen))
                return false;
    }
    memcpy(out->blob_schedule, got, sizeof got);
    return true;
}

/* ---- forks ------------------------------------------------------------- */

/* The activation fields in geth's order. optional: may be absent while a
 * later fork is scheduled (geth's CheckConfigForkOrder). */
typedef struct {
    const char *name;
    size_t field;
    bool optional, by_time;
} fork_field;

static const fork_field fork_fields[] = {
    {"homesteadBlock", offsetof(chain_config, homestead), false, false},
    {"daoForkBlock", offsetof(chain_config, dao), true, false},
    {"eip150Block", offsetof(chain_config, tangerine_whistle), false, false},
    {"eip158Block", offsetof(chain_config, spurious_dragon), false, false},
    {"byzantiumBlock", offsetof(chain_config, byzantium), false, false},
    {"constantinopleBlock", offsetof(chain_config, constantinople), false, false},
    {"petersburgBlock", offsetof(chain_config, petersburg), false, false},
    {"istanbulBlock", offsetof(chain_config, istanbul), false, false},
    {"muirGlacierBlock", offsetof(chain_config, muir_glacier), true, false},
    {"berlinBlock", offsetof(chain_config, berlin), false, false},
    {"londonBlock", offsetof(chain_config, london), false, false},
    {"arrowGlacierBlock", offsetof(chain_config, arrow_glacier), true, false},
    {"grayGlacierBlock", offsetof(chain_config, gray_glacier), true, false},
    {"shanghaiTime", offsetof(chain_config, shanghai_time), false, true},
    {"cancunTime", offsetof(chain_config, cancun_time), false, true},
    {"pragueTime", offsetof(chain_config, prague_time), false, true},
    {"osakaTime", offsetof(chain_config, osaka_time), false, true},
    {"bpo1Time", offsetof(chain_config, bpo_time[0]), true, true},
    {"bpo2Time", offsetof(chain_config, bpo_time[1]), true, true},
    {"bpo3Time", offsetof(chain_config, bpo_time[2]), true, true},
    {"bpo4Time", offsetof(chain_config, bpo_time[3]), true, true},
    {"bpo5Time", offsetof(chain_config, bpo_time[4]), true, true},
};
#define N_FORK_FIELDS (sizeof fork_fields / sizeof fork_fields[0])

static uint64_t *field_ptr(chain_config *c, size_t off) { return (uint64_t *)((char *)c + off); }

/* When the fork of blob schedule entry k activates. */
static uint64_t blob_entry_time(const chain_config *c, int k) {
    switch (k) {
    case CHAIN_BLOB_CANCUN: return c->cancun_time;
    case CHAIN_BLOB_PRAGUE: return c->prague_time;
    case CHAIN_BLOB_OSAKA: return c->osaka_time;
    default: return c->bpo_time[k - CHAIN_BLOB_BPO1];
    }
}

bool chain_config_compatible(const chain_config *stored, const chain_config *next, uint64_t head_number,
                             uint64_t head_time) {
    /* next with what may differ put back as stored has it: then equal */
    chain_config c = *next;
    for (size_t i = 0; i < N_FORK_FIELDS; i++) {
        const fork_field *f = &fork_fields[i];
        uint64_t head = f->by_time ? head_time : head_number;
        uint64_t was = *field_ptr((chain_config *)stored, f->field), *now = field_ptr(&c, f->field);
        if (was > head && *now > head) *now = was;
    }
    for (int k = 0; k < CHAIN_BLOB_ENTRIES; k++)
        if (blob_entry_time(stored, k) > head_time && blob_entry_time(next, k) > head_time)
            c.blob_schedule[k] = stored->blob_schedule[k];
    buf_t a = {0}, b = {0};
    chain_config_encode(stored, &a);
    chain_config_encode(&c, &b);
    bool same = a.len == b.len && !memcmp(a.data, b.data, a.len);
    buf_free(&a);
    buf_free(&b);
    return same;
}

/* Spurious Dragon is one fork here; geth names its two EIPs apart. */
static bool read_spurious_dragon(const json_t *cfg, chain_config *c, char *err, size_t errlen) {
    uint64_t eip155;
    if (!json_activation(cfg, "eip155Block", &eip155, err, errlen)) return false;
    if (c->spurious_dragon == CHAIN_NEVER) c->spurious_dragon = eip155;
    else if (eip155 != CHAIN_NEVER && eip155 != c->spurious_dragon)
        return chain_fail(err, errlen, "config: eip155Block and eip158Block differ (parevm runs them as one fork)");
    return true;
}

/* Forks after Osaka that geth's config knows: a chain that schedules one
 * would run it by Osaka's rules here, so it is refused rather than read. */
static bool refuse_later_forks(const json_t *cfg, char *err, size_t errlen) {
    static const char *const later[] = {"amsterdamTime", "bogotaTime", "verkleTime", "ubtTime"};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        const json_t *v = json_object_get(cfg, later[i]);
        if (v && !json_is_null(v))
            return chain_fail(err, errlen, "config: %s is set, and parevm does not implement forks after Osaka",
                              later[i]);
    }
    return true;
}

static bool read_forks(const json_t *cfg, chain_config *c, char *err, size_t errlen) {
    if (!refuse_later_forks(cfg, err, errlen)) return false;
    for (size_t i = 0; i < N_FORK_FIELDS; i++)
        if (!json_activation(cfg, fork_fields[i].name, field_ptr(c, fork_fields[i].field), err, errlen))
            return false;
    if (!read_spurious_dragon(cfg, c, err, errlen)) return false;
    /* geth: petersburgBlock absent means "with Constantinople" */
    if (!json_object_get(cfg, "petersburgBlock") || json_is_null(json_object_get(cfg, "petersburgBlock")))
        c->petersburg = c->constantinople;
    const json_t *support = json_object_get(cfg, "daoForkSupport");
    if (support && !json_is_boolean(support)) return chain_fail(err, errlen, "config: daoForkSupport is not a boolean");
    c->dao_opposed = c->dao != CHAIN_NEVER && (!support || !json_is_true(support)); /* a node opposing the fork */
    return json_activation(cfg, "mergeNetsplitBlock", &c->merge_netsplit, err, errlen);
}

/* Forks in order: a scheduled fork needs every earlier non-optional one,
 * and activation points never go back (blocks, then times, separately). */
static bool check_order(chain_config *c, char *err, size_t errlen) {
    const fork_field *last = NULL;
    for (size_t i = 0; i < N_FORK_FIELDS; i++) {
        const fork_field *f = &fork_fields[i];
        uint64_t at = *field_ptr(c, f->field);
        if (at == CHAIN_NEVER) {
            if (!f->optional) last = f; /* a later scheduled fork is an error */
            continue;
        }
        if (last) {
            uint64_t prev = *field_ptr(c, last->field);
            if (prev == CHAIN_NEVER)
                return chain_fail(err, errlen, "config: %s is set but %s is not", f->name, last->name);
            if (last->by_time == f->by_time && prev > at)
                return chain_fail(err, errlen, "config: %s (%llu) is before %s (%llu)", f->name,
                                  (unsigned long long)at, last->name, (unsigned long long)prev);
        }
        last = f;
    }
    for (int k = 0; k < 5; k++)
        if (c->bpo_time[k] != CHAIN_NEVER && c->osaka_time == CHAIN_NEVER)
            return chain_fail(err, errlen, "config: bpo%dTime is set but osakaTime is not", k + 1);
    return true;
}

/* Every scheduled fork that changes blob parameters has them (Cancun and
 * Prague have defaults, set before this check). */
static bool check_blob_schedule(const chain_config *c, char *err, size_t errlen) {
    for (int k = 0; k < 5; k++)
        if (c->bpo_time[k] != CHAIN_NEVER && !c->blob_schedule[CHAIN_BLOB_BPO1 + k].update_fraction)
            return chain_fail(err, errlen, "config: bpo%dTime is set but blobSchedule has no bpo%d entry", k + 1,
                              k + 1);
    return true;
}

static bool read_ttd(const json_t *cfg, chain_config *c, char *err, size_t errlen) {
    const json_t *v = json_object_get(cfg, "terminalTotalDifficulty");
    if (!v || json_is_null(v)) return true;
    if (json_is_real(v))
        return chain_fail(err, errlen,
                          "config: terminalTotalDifficulty is not an exact integer (write values beyond 2^63 as a string)");
    if (!json_u256(v, "terminalTotalDifficulty", &c->terminal_total_difficulty, err, errlen)) return false;
    c->has_ttd = true;
    /* merged from genesis: the Merge by number too, so that callers that
     * track no total difficulty see it */
    if (u256_is_zero(&c->terminal_total_difficulty)) c->paris_block = 0;
    return true;
}

static bool read_deposit_contract(const json_t *cfg, chain_config *c, char *err, size_t errlen) {
    const json_t *v = json_object_get(cfg, "depositContractAddress");
    if (!v || json_is_null(v)) return true;
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return chain_fail(err, errlen, "config: depositContractAddress is not a 0x-prefixed 20-byte hex string");
    for (int i = 0; i < 20; i++) {
        int hi = hex_digit(s[2 + 2 * i]), lo = hex_digit(s[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return chain_fail(err, errlen, "config: depositContractAddress is not a 0x-prefixed 20-byte hex string");
        c->deposit_contract.b[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool chain_config_from_json(const json_t *cfg, chain_config *out, char *err, size_t errlen) {
    if (!json_is_object(cfg)) return chain_fail(err, errlen, "config: not a JSON object");
    chain_config c;
    if (!chain_config_by_name("Frontier", &c)) abort(); /* nothing scheduled, default blob schedule */
    const json_t *id = json_object_get(cfg, "chainId");
    if (!id) return chain_fail(err, errlen, "config: chainId is missing");
    if (!json_u64(id, "chainId", &c.chain_id, err, errlen)) return false;
    if (!read_forks(cfg, &c, err, errlen) || !check_order(&c, err, errlen) || !read_ttd(cfg, &c, err, errlen) ||
        !read_deposit_contract(cfg, &c, err, errlen))
        return false;
    /* only the blob entries the file gives: none for the BPO forks by default */
    for (int k = 0; k < 5; k++) c.blob_schedule[CHAIN_BLOB_BPO1 + k] = (blob_params){0, 0, 0};
    const json_t *bs = json_object_get(cfg, "blobSchedule");
    if (bs && !json_is_null(bs) && !chain_blob_schedule_from_json(bs, &c, err, errlen)) return false;
    if (!check_blob_schedule(&c, err, errlen)) return false;
    const json_t *clique = json_object_get(cfg, "clique");
    c.clique = clique && !json_is_null(clique);
    const json_t *ethash = json_object_get(cfg, "ethash");
    c.ethash = !c.clique && ethash && !json_is_null(ethash);
    *out = c;
    return true;
}
