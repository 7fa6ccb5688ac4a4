/* Method group: the Engine API (execution-apis src/engine: paris, shanghai,
 * cancun, prague, osaka), served only on the authenticated server --
 * engine_exchangeCapabilities, engine_newPayloadV1..V4,
 * engine_forkchoiceUpdatedV1..V3, engine_getPayloadV1..V5,
 * engine_getBlobsV1..V3, engine_getPayloadBodiesByHashV1/ByRangeV1,
 * engine_getClientVersionV1 -- and
 * testing_buildBlockV1. Parameters and fork rules are checked here (-32602,
 * -38005); the work happens on the writer thread (node_engine.c). */
#include <stdio.h>
#include <stdlib.h>
#include "node_engine.h"
#include "parevm/chain_import.h"
#include "parevm/exec.h"
#include "parevm/version.h"

enum { MAX_BLOBS_REQUEST = 128, MAX_BODIES_REQUEST = 1024 };

static bool unsupported_fork(rpc_error *err) { return rpc_error_set(err, RPC_ENGINE_UNSUPPORTED_FORK, "Unsupported fork"); }

/* The rules at a post-Merge timestamp (every block-numbered fork passed). */
static fork_id fork_at_time(const node *n, uint64_t number, uint64_t timestamp) {
    return chain_fork_at(&n->chain, number, timestamp, true);
}

/* ---- engine_exchangeCapabilities ------------------------------------------------------- */

static const char *const CAPABILITIES[] = {
    "engine_newPayloadV1",         "engine_newPayloadV2",         "engine_newPayloadV3",
    "engine_newPayloadV4",         "engine_forkchoiceUpdatedV1",  "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",  "engine_getPayloadV1",         "engine_getPayloadV2",
    "engine_getPayloadV3",         "engine_getPayloadV4",         "engine_getPayloadV5",
    "engine_getBlobsV1",           "engine_getBlobsV2",           "engine_getBlobsV3",
    "engine_getPayloadBodiesByHashV1", "engine_getPayloadBodiesByRangeV1", "engine_getClientVersionV1",
};

static bool exchange_capabilities(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *theirs = rpc_arg(params, 0);
    if (!json_is_array(theirs)) return rpc_error_invalid_param(err, 0, "want an array of method names");
    for (size_t i = 0; i < json_array_size(theirs); i++)
        if (!json_is_string(json_array_get(theirs, i))) return rpc_error_invalid_param(err, 0, "want an array of method names");
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof CAPABILITIES / sizeof CAPABILITIES[0]; i++) json_array_append_new(a, json_string(CAPABILITIES[i]));
    *result = a;
    return true;
}

/* ---- engine_newPayload ------------------------------------------------------------------- */

typedef struct {
    engine_payload *p;
    engine_result out;
} payload_job;

static const char *payload_on_writer(node *n, void *arg) {
    payload_job *j = arg;
    return node_engine_new_payload(n, j->p, &j->out);
}

/* The structure and the fork must match the method's version. */
static bool payload_fits_version(const node *n, const engine_payload *p, rpc_error *err) {
    const block_header *h = &p->b.header;
    fork_id f = fork_at_time(n, h->number, h->timestamp);
    switch (p->version) {
    case 1: return f < FORK_SHANGHAI || unsupported_fork(err);
    case 2:
        if (f >= FORK_CANCUN) return unsupported_fork(err);
        if (f >= FORK_SHANGHAI && !p->b.has_withdrawals)
            return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: nil withdrawals post-shanghai");
        if (f < FORK_SHANGHAI && p->b.has_withdrawals)
            return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: non-nil withdrawals pre-shanghai");
        return true;
    case 3: return f == FORK_CANCUN || unsupported_fork(err);
    default: return f >= FORK_PRAGUE || unsupported_fork(err);
    }
}

static bool new_payload(node *n, const json_t *params, int version, json_t **result, rpc_error *err) {
    engine_payload p;
    if (!engine_payload_parse(params, version, &p, err) || !payload_fits_version(n, &p, err)) {
        engine_payload_free(&p);
        return false;
    }
    if (p.invalid[0]) {
        /* V1 tells a wrong block hash apart; later versions say INVALID */
        engine_status s = p.hash_mismatch && version == 1 ? ES_INVALID_BLOCK_HASH : ES_INVALID;
        *result = engine_status_json(s, NULL, p.invalid);
        engine_payload_free(&p);
        return true;
    }
    payload_job j = {&p, {0}};
    /* keeping the write in flight: a child of the block being written
     * executes meanwhile (node_engine_new_payload settles otherwise) */
    const char *why = node_writer_call_keeping(n, payload_on_writer, &j);
    engine_payload_free(&p);
    if (why) return rpc_error_set(err, RPC_INTERNAL_ERROR, "%s", why);
    *result = engine_status_json(j.out.status, j.out.has_lvh ? &j.out.lvh : NULL, j.out.why[0] ? j.out.why : NULL);
    return true;
}

static bool new_payload_v1(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return new_payload(ctx, params, 1, result, err);
}
static bool new_payload_v2(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return new_payload(ctx, params, 2, result, err);
}
static bool new_payload_v3(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return new_payload(ctx, params, 3, result, err);
}
static bool new_payload_v4(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return new_payload(ctx, params, 4, result, err);
}

/* ---- engine_forkchoiceUpdated ------------------------------------------------------------- */

static bool parse_forkchoice(const json_t *v, engine_forkchoice *fc, rpc_error *err) {
    static const char *const keys[] = {"headBlockHash", "safeBlockHash", "finalizedBlockHash"};
    bytes32 *dst[] = {&fc->head, &fc->safe, &fc->finalized};
    if (!json_is_object(v)) return rpc_error_invalid_param(err, 0, "want a ForkchoiceStateV1 object");
    for (int i = 0; i < 3; i++) {
        const json_t *f = json_object_get(v, keys[i]);
        const char *why = f && !json_is_null(f) ? rpc_parse_hash(f, dst[i]) : "missing";
        if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: forkchoiceState.%s: %s", keys[i], why);
    }
    return true;
}

static void attrs_free(engine_attrs *a) { free(a->withdrawals); }

/* PayloadAttributesV1..V3: fields of the wrong format are -32602; a
 * structure of another version -38003, the wrong fork -38005. */
static bool parse_attrs(const node *n, const json_t *v, int version, engine_attrs *a, rpc_error *err) {
    memset(a, 0, sizeof *a);
    if (!json_is_object(v)) return rpc_error_invalid_param(err, 1, "want a PayloadAttributes object");
    const json_t *ts = json_object_get(v, "timestamp"), *rnd = json_object_get(v, "prevRandao"),
                 *fee = json_object_get(v, "suggestedFeeRecipient"), *w = json_object_get(v, "withdrawals"),
                 *root = json_object_get(v, "parentBeaconBlockRoot");
    if (!ts || json_is_null(ts) || !rnd || json_is_null(rnd) || !fee || json_is_null(fee))
        return rpc_error_set(err, RPC_ENGINE_INVALID_ATTRIBUTES, "Invalid payload attributes");
    const char *why = rpc_parse_u64(ts, &a->timestamp);
    if (!why) why = rpc_parse_hash(rnd, &a->prev_randao);
    if (!why) why = rpc_parse_address(fee, &a->fee_recipient);
    if (!why && root && !json_is_null(root)) {
        a->has_beacon_root = true;
        why = rpc_parse_hash(root, &a->beacon_root);
    }
    if (why) return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: payloadAttributes: %s", why);
    if (w && !json_is_null(w)) {
        char werr[160];
        if (!engine_parse_withdrawals(w, &a->withdrawals, &a->n_withdrawals, werr, sizeof werr))
            return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: payloadAttributes.%s", werr);
        a->has_withdrawals = true;
    }
    a->version = a->has_beacon_root ? 3 : a->has_withdrawals ? 2 : 1;
    fork_id f = fork_at_time(n, UINT64_MAX - 1, a->timestamp);
    bool structure_ok, fork_ok;
    switch (version) {
    case 1:
        structure_ok = a->version == 1;
        fork_ok = f < FORK_SHANGHAI;
        break;
    case 2:
        structure_ok = !a->has_beacon_root && a->has_withdrawals == (f >= FORK_SHANGHAI);
        fork_ok = f < FORK_CANCUN;
        break;
    default:
        structure_ok = a->has_withdrawals && a->has_beacon_root;
        fork_ok = f >= FORK_CANCUN;
        break;
    }
    if (!structure_ok) return rpc_error_set(err, RPC_ENGINE_INVALID_ATTRIBUTES, "Invalid payload attributes");
    if (!fork_ok) return unsupported_fork(err);
    return true;
}

typedef struct {
    engine_forkchoice fc;
    const engine_attrs *attrs;
    int version;
    engine_result out;
    bool has_id;
    uint8_t id[8];
    int code;
} forkchoice_job;

static const char *forkchoice_on_writer(node *n, void *arg) {
    forkchoice_job *j = arg;
    return node_engine_forkchoice(n, &j->fc, j->attrs, j->version, &j->out, &j->has_id, j->id, &j->code);
}

static bool forkchoice_updated(node *n, const json_t *params, int version, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 2, err)) return false;
    forkchoice_job j = {.version = version};
    if (!parse_forkchoice(rpc_arg(params, 0), &j.fc, err)) return false;
    engine_attrs attrs;
    rpc_error attrs_err = {0};
    const json_t *av = rpc_arg(params, 1);
    if (av) {
        if (!parse_attrs(n, av, version, &attrs, &attrs_err)) {
            attrs_free(&attrs);
            /* a malformed field fails the request; attributes of another
             * structure (-38003) or fork (-38005) are answered after the
             * forkchoice state is applied, and only for a VALID head
             * (paris.md forkchoiceUpdated point 8: not rolled back) */
            if (attrs_err.code == RPC_INVALID_PARAMS) {
                *err = attrs_err;
                return false;
            }
        } else {
            j.attrs = &attrs;
        }
    }
    const char *why = node_writer_call_keeping(n, forkchoice_on_writer, &j);
    if (j.attrs) attrs_free(&attrs);
    if (why) {
        rpc_error_clear(&attrs_err);
        return rpc_error_set(err, j.code ? j.code : RPC_INTERNAL_ERROR, "%s", why);
    }
    if (attrs_err.code && j.out.status == ES_VALID) {
        *err = attrs_err;
        return false;
    }
    rpc_error_clear(&attrs_err);
    json_t *o = json_object();
    json_object_set_new(o, "payloadStatus", engine_status_json(j.out.status, j.out.has_lvh ? &j.out.lvh : NULL,
                                                               j.out.why[0] ? j.out.why : NULL));
    json_object_set_new(o, "payloadId", j.has_id ? rpc_json_data(j.id, 8) : json_null());
    *result = o;
    return true;
}

static bool forkchoice_v1(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return forkchoice_updated(ctx, params, 1, result, err);
}
static bool forkchoice_v2(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return forkchoice_updated(ctx, params, 2, result, err);
}
static bool forkchoice_v3(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return forkchoice_updated(ctx, params, 3, result, err);
}

/* ---- engine_getPayload ------------------------------------------------------------------- */

/* BlobsBundleV1 (one KZG proof per blob) or V2 (cell proofs) of a built
 * block's blob transactions, from the sidecars they came with. */
static json_t *blobs_bundle(const node_built *bb) {
    json_t *commitments = json_array(), *proofs = json_array(), *blobs = json_array();
    for (size_t i = 0; bb->src && i < bb->b.n_txs; i++) {
        const txpool_tx *t = bb->src[i];
        tx_network net;
        char why[64];
        if (!t || !tx_decode_network(t->network, t->network_len, &net, why, sizeof why)) continue;
        for (size_t k = 0; k < net.n_blobs; k++) {
            json_array_append_new(blobs, rpc_json_data(net.blobs[k], TX_BLOB_SIZE));
            json_array_append_new(commitments, rpc_json_data(net.commitments[k], TX_KZG_BYTES));
        }
        for (size_t k = 0; k < net.n_proofs; k++) json_array_append_new(proofs, rpc_json_data(net.proofs[k], TX_KZG_BYTES));
        tx_network_free(&net);
    }
    json_t *o = json_object();
    json_object_set_new(o, "commitments", commitments);
    json_object_set_new(o, "proofs", proofs);
    json_object_set_new(o, "blobs", blobs);
    return o;
}

/* The getPayloadV<version> (or testing_buildBlockV1: 0) response. */
static json_t *payload_response(const engine_build *b, int version) {
    const block *blk = &b->built.b;
    if (version == 1) return engine_payload_json(blk, 1);
    int pv = version >= 3 || version == 0 ? 3 : blk->has_withdrawals ? 2 : 1;
    json_t *o = json_object();
    json_object_set_new(o, "executionPayload", engine_payload_json(blk, pv));
    json_object_set_new(o, "blockValue", rpc_json_u256(&b->value));
    if (version >= 3 || version == 0) {
        json_object_set_new(o, "blobsBundle", blobs_bundle(&b->built));
        json_object_set_new(o, "shouldOverrideBuilder", json_false());
    }
    if (version >= 4 || (version == 0 && b->fork >= FORK_PRAGUE))
        json_object_set_new(o, "executionRequests", engine_requests_json(b->built.result.requests));
    return o;
}

typedef struct {
    int version;
    bool fill;                 /* false: only check the version */
    json_t *result;
    bool wrong_fork;
} get_payload_ctx;

static void get_payload_fill(const engine_build *b, void *arg) {
    get_payload_ctx *c = arg;
    fork_id f = b->fork;
    switch (c->version) {
    case 1: c->wrong_fork = f >= FORK_SHANGHAI; break;
    case 2: c->wrong_fork = f >= FORK_CANCUN; break;
    case 3: c->wrong_fork = f != FORK_CANCUN; break;
    case 4: c->wrong_fork = f != FORK_PRAGUE; break;
    default: c->wrong_fork = f < FORK_OSAKA; break;
    }
    if (c->fill && !c->wrong_fork) c->result = payload_response(b, c->version);
}

static const char *improve_on_writer(node *n, void *arg) { return node_engine_improve_build(n, arg); }

static bool get_payload(node *n, const json_t *params, int version, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    uint8_t id[8];
    const char *why = rpc_parse_fixed(rpc_arg(params, 0), id, 8);
    if (why) return rpc_error_invalid_param(err, 0, why);
    /* a call of the wrong version leaves the payload as it is */
    get_payload_ctx c = {version, false, NULL, false};
    if (!node_engine_with_build(n, id, get_payload_fill, &c))
        return rpc_error_set(err, RPC_ENGINE_UNKNOWN_PAYLOAD, "Unknown payload");
    if (c.wrong_fork) return unsupported_fork(err);
    /* the first call takes in what the pool got since the build, and fixes
     * the payload (a failed attempt leaves the build as it was: it is
     * still served) */
    node_writer_call(n, improve_on_writer, id);
    c.fill = true;
    if (!node_engine_with_build(n, id, get_payload_fill, &c))
        return rpc_error_set(err, RPC_ENGINE_UNKNOWN_PAYLOAD, "Unknown payload");
    *result = c.result;
    return true;
}

static bool get_payload_v1(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_payload(ctx, params, 1, result, err);
}
static bool get_payload_v2(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_payload(ctx, params, 2, result, err);
}
static bool get_payload_v3(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_payload(ctx, params, 3, result, err);
}
static bool get_payload_v4(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_payload(ctx, params, 4, result, err);
}
static bool get_payload_v5(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_payload(ctx, params, 5, result, err);
}

/* ---- engine_getBlobs --------------------------------------------------------------------- */

/* For each requested versioned hash: the pool transaction whose sidecar
 * holds it (retained) and the blob's index there. */
typedef struct {
    const bytes32 *want;
    size_t n;
    const txpool_tx **tx;
    size_t *index;
    uint8_t version;           /* the sidecar wrapper asked for */
} blob_search;

static bool find_blobs(void *arg, const txpool_tx *t, bool pending) {
    (void)pending;
    blob_search *s = arg;
    if (!t->network || t->sidecar_version != s->version) return true;
    for (size_t k = 0; k < t->tx.n_blob_hashes; k++)
        for (size_t i = 0; i < s->n; i++)
            if (!s->tx[i] && bytes32_eq(&s->want[i], &t->tx.blob_hashes[k])) {
                txpool_tx_retain(t);
                s->tx[i] = t;
                s->index[i] = k;
            }
    return true;
}

/* One BlobAndProofV1 (version 0 sidecar) or V2 (cell proofs). */
static json_t *blob_and_proof(const txpool_tx *t, size_t k, int version) {
    tx_network net;
    char why[64];
    if (!tx_decode_network(t->network, t->network_len, &net, why, sizeof why) || k >= net.n_blobs) return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "blob", rpc_json_data(net.blobs[k], TX_BLOB_SIZE));
    if (version == 1) {
        json_object_set_new(o, "proof", rpc_json_data(net.proofs[k], TX_KZG_BYTES));
    } else {
        json_t *p = json_array();
        for (size_t c = 0; c < TX_CELLS_PER_EXT_BLOB && k * TX_CELLS_PER_EXT_BLOB + c < net.n_proofs; c++)
            json_array_append_new(p, rpc_json_data(net.proofs[k * TX_CELLS_PER_EXT_BLOB + c], TX_KZG_BYTES));
        json_object_set_new(o, "proofs", p);
    }
    tx_network_free(&net);
    return o;
}

/* Whether the head is an Osaka block (osaka.md: "if the Osaka fork has been
 * activated"; geth's GetBlobsV1 looks at the head's time too). */
static bool osaka_active(node *n) {
    node_read r;
    rpc_error e = {0};
    if (!node_read_open(n, &r, &e)) {
        rpc_error_clear(&e);
        return false;
    }
    block_header h;
    bool on = !node_header(&r, r.head, &r.head_hash, &h) && node_fork(n, &h) >= FORK_OSAKA;
    node_read_close(&r);
    return on;
}

static bool get_blobs(node *n, const json_t *params, int version, json_t **result, rpc_error *err) {
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *v = rpc_arg(params, 0);
    if (!json_is_array(v)) return rpc_error_invalid_param(err, 0, "want an array of versioned hashes");
    size_t k = json_array_size(v);
    if (k > MAX_BLOBS_REQUEST) return rpc_error_set(err, RPC_ENGINE_TOO_LARGE_REQUEST, "Too large request");
    if (version == 1 && osaka_active(n)) return unsupported_fork(err);
    bytes32 *want = calloc(k + 1, sizeof *want);
    blob_search s = {want, k, calloc(k + 1, sizeof *s.tx), calloc(k + 1, sizeof *s.index), version == 1 ? 0 : 1};
    if (!want || !s.tx || !s.index) abort();
    for (size_t i = 0; i < k; i++) {
        const char *why = rpc_parse_hash(json_array_get(v, i), &want[i]);
        if (why) {
            free(want), free(s.tx), free(s.index);
            return rpc_error_invalid_param(err, 0, why);
        }
    }
    txpool_each(n->pool, NULL, find_blobs, &s);
    bool all = true;
    for (size_t i = 0; i < k; i++) all = all && s.tx[i];
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(a, s.tx[i] ? blob_and_proof(s.tx[i], s.index[i], version == 1 ? 1 : 2) : json_null());
    for (size_t i = 0; i < k; i++)
        if (s.tx[i]) txpool_tx_release(s.tx[i]);
    free(want), free(s.tx), free(s.index);
    /* V2 is all or nothing */
    if (version == 2 && !all) {
        json_decref(a);
        a = json_null();
    }
    *result = a;
    return true;
}

static bool get_blobs_v1(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_blobs(ctx, params, 1, result, err);
}
static bool get_blobs_v2(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_blobs(ctx, params, 2, result, err);
}
static bool get_blobs_v3(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    return get_blobs(ctx, params, 3, result, err);
}

/* ---- engine_getPayloadBodies ----------------------------------------------------------------- */

/* ExecutionPayloadBodyV1 of a stored block, or null. */
static json_t *payload_body(node_read *r, uint64_t number, const bytes32 *hash) {
    node_block nb;
    if (node_block_load(r, number, hash, NODE_LOAD_BODY, &nb)) return json_null();
    json_t *o = json_object(), *txs = json_array();
    buf_t raw = {0};
    for (size_t i = 0; i < nb.b.n_txs; i++) {
        buf_clear(&raw);
        tx_encode(&nb.b.txs[i], &raw);
        json_array_append_new(txs, rpc_json_data(raw.data, raw.len));
    }
    buf_free(&raw);
    json_object_set_new(o, "transactions", txs);
    json_object_set_new(o, "withdrawals",
                        nb.b.has_withdrawals ? engine_withdrawals_json(nb.b.withdrawals, nb.b.n_withdrawals) : json_null());
    node_block_free(&nb);
    return o;
}

static bool bodies_by_hash(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *v = rpc_arg(params, 0);
    if (!json_is_array(v)) return rpc_error_invalid_param(err, 0, "want an array of block hashes");
    if (json_array_size(v) > MAX_BODIES_REQUEST) return rpc_error_set(err, RPC_ENGINE_TOO_LARGE_REQUEST, "Too large request");
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    json_t *a = json_array();
    for (size_t i = 0; i < json_array_size(v); i++) {
        bytes32 h;
        uint64_t num;
        const char *why = rpc_parse_hash(json_array_get(v, i), &h);
        if (why) {
            json_decref(a);
            node_read_close(&r);
            return rpc_error_invalid_param(err, 0, why);
        }
        json_array_append_new(a, db_block_number(r.snap, &h, &num) ? json_null() : payload_body(&r, num, &h));
    }
    node_read_close(&r);
    *result = a;
    return true;
}

static bool bodies_by_range(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 2, err)) return false;
    uint64_t start, count;
    const char *why = rpc_parse_u64(rpc_arg(params, 0), &start);
    if (why) return rpc_error_invalid_param(err, 0, why);
    if ((why = rpc_parse_u64(rpc_arg(params, 1), &count))) return rpc_error_invalid_param(err, 1, why);
    if (start < 1 || count < 1)
        return rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: start and count must be at least 1");
    if (count > MAX_BODIES_REQUEST) return rpc_error_set(err, RPC_ENGINE_TOO_LARGE_REQUEST, "Too large request");
    node_read r;
    if (!node_read_open(n, &r, err)) return false;
    json_t *a = json_array();
    for (uint64_t num = start; num - start < count && num <= r.head; num++) {
        bytes32 h;
        json_array_append_new(a, db_canonical_hash(r.snap, num, &h) ? json_null() : payload_body(&r, num, &h));
    }
    node_read_close(&r);
    *result = a;
    return true;
}

/* ---- testing_buildBlockV1 ---------------------------------------------------------------- */

typedef struct {
    bytes32 parent;
    const engine_attrs *attrs;
    bool has_txs;
    transaction *txs;
    size_t n_txs;
    const uint8_t *extra;
    size_t extra_len;
    engine_build out;
    int code;
} build_job;

static const char *build_on_writer(node *n, void *arg) {
    build_job *j = arg;
    return node_engine_build_now(n, &j->parent, j->attrs, j->has_txs, j->txs, j->n_txs, j->extra, j->extra_len,
                                 &j->out, &j->code);
}

/* The given transactions, senders recovered (block or network form). */
static bool parse_tx_list(const json_t *v, fork_id fork, transaction **out, size_t *n, rpc_error *err) {
    if (!json_is_array(v)) return rpc_error_invalid_param(err, 2, "want an array of raw transactions or null");
    size_t k = json_array_size(v);
    transaction *txs = calloc(k + 1, sizeof *txs);
    if (!txs) abort();
    bool ok = true;
    size_t got = 0;
    for (size_t i = 0; i < k && ok; i++) {
        uint8_t *raw;
        size_t len;
        char why[160] = "";
        const char *e = rpc_parse_data(json_array_get(v, i), &raw, &len);
        if (e) {
            ok = rpc_error_invalid_param(err, 2, e);
            break;
        }
        tx_network net;
        if (len && raw[0] == TX_BLOB && tx_decode_network(raw, len, &net, why, sizeof why)) {
            txs[got] = net.tx;
            memset(&net.tx, 0, sizeof net.tx);
            tx_network_free(&net);
            ok = true;
        } else {
            ok = tx_decode(raw, len, &txs[got], why, sizeof why);
        }
        free(raw);
        if (!ok) {
            rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: transaction %zu: %s", i, why);
            break;
        }
        got++;
        if (!tx_recover_sender(&txs[got - 1], fork >= FORK_HOMESTEAD))
            ok = rpc_error_set(err, RPC_INVALID_PARAMS, "invalid params: transaction %zu: invalid sender", i);
    }
    if (!ok) {
        for (size_t i = 0; i < got; i++) tx_free(&txs[i]);
        free(txs);
        return false;
    }
    *out = txs;
    *n = got;
    return true;
}

/* geth's words for a given transaction refused by its nonce: "nonce too
 * high: address 0x16c5.., tx: 999 state: 0", the state's nonce being the
 * head's plus the sender's earlier transactions in the list (the build
 * stops at the first refusal, so they were all taken). Other reasons keep
 * exec's words with the transaction's index. */
static void build_refusal(node *n, const build_job *j, long bad, const char *why, rpc_error *err) {
    if (strcmp(why, "nonce too high") && strcmp(why, "nonce too low")) {
        rpc_error_set(err, RPC_SERVER_ERROR, "transaction %ld: %s", bad, why);
        return;
    }
    const transaction *tx = &j->txs[bad];
    node_read r;
    node_state st;
    rpc_error ignored = {0};
    uint64_t nonce = 0;
    if (node_read_open(n, &r, &ignored)) {
        if (node_state_arg(&r, NULL, 0, &st, &ignored)) {
            account_info info;
            st.view.ops->get_account(st.view.ctx, &tx->sender, FIELD_NONCE, &info);
            nonce = info.nonce;
            node_state_close(&st);
        }
        node_read_close(&r);
    }
    rpc_error_clear(&ignored);
    for (long i = 0; i < bad; i++) nonce += address_eq(&j->txs[i].sender, &tx->sender);
    char a[43];
    rpc_address_checksum(&tx->sender, a);
    rpc_error_set(err, RPC_SERVER_ERROR, "%s: address %s, tx: %llu state: %llu", why, a,
                  (unsigned long long)tx->nonce, (unsigned long long)nonce);
}

static bool testing_build_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    node *n = ctx;
    if (!rpc_check_args(params, 2, 4, err)) return false;
    build_job j = {0};
    const char *why = rpc_parse_hash(rpc_arg(params, 0), &j.parent);
    if (why) return rpc_error_invalid_param(err, 0, why);
    engine_attrs attrs;
    if (!parse_attrs(n, rpc_arg(params, 1), 3, &attrs, err)) {
        attrs_free(&attrs);
        return false;
    }
    j.attrs = &attrs;
    uint8_t *extra = NULL;
    bool ok = true;
    if (rpc_arg(params, 3)) {
        if ((why = rpc_parse_data(rpc_arg(params, 3), &extra, &j.extra_len))) ok = rpc_error_invalid_param(err, 3, why);
        else if (j.extra_len > 32) ok = rpc_error_invalid_param(err, 3, "extra data longer than 32 bytes");
        j.extra = extra;
    }
    if (ok && rpc_arg(params, 2)) {
        j.has_txs = true;
        ok = parse_tx_list(rpc_arg(params, 2), fork_at_time(n, UINT64_MAX - 1, attrs.timestamp), &j.txs, &j.n_txs, err);
    }
    if (ok) {
        why = node_writer_call(n, build_on_writer, &j);
        if (why && j.out.built.bad_tx >= 0 && (size_t)j.out.built.bad_tx < j.n_txs)
            ok = false, build_refusal(n, &j, j.out.built.bad_tx, why, err);
        else if (why) ok = rpc_error_set(err, j.code ? j.code : RPC_INTERNAL_ERROR, "%s", why);
        else *result = payload_response(&j.out, 0);
        engine_build_free(&j.out);
    }
    for (size_t i = 0; i < j.n_txs; i++) tx_free(&j.txs[i]);
    free(j.txs);
    free(extra);
    attrs_free(&attrs);
    return ok;
}

/* ---- engine_getClientVersionV1 ------------------------------------------------------------ */

#ifndef PAREVM_GIT_COMMIT
#define PAREVM_GIT_COMMIT "00000000" /* set by CMake from the checkout */
#endif

/* engine_getClientVersionV1(theirs): the consensus client's version for
 * ours, as one ClientVersionV1 in a list (execution-apis' identification
 * spec). "PV" is no reserved code; the commit is the build's. */
static bool client_version(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx;
    if (!rpc_check_args(params, 1, 1, err)) return false;
    const json_t *theirs = rpc_arg(params, 0);
    if (!json_is_object(theirs)) return rpc_error_invalid_param(err, 0, "want a ClientVersionV1 object");
    static const char *const FIELDS[] = {"code", "name", "version", "commit"};
    for (size_t i = 0; i < 4; i++) {
        const json_t *f = json_object_get(theirs, FIELDS[i]);
        if (f && !json_is_string(f)) return rpc_error_invalid_param(err, 0, "ClientVersionV1 fields are strings");
    }
    json_t *out = json_pack("[{s:s, s:s, s:s, s:s}]", "code", "PV", "name", "parevm", "version", "v" PAREVM_VERSION,
                            "commit", "0x" PAREVM_GIT_COMMIT);
    if (!out) abort();
    *result = out;
    return true;
}

void node_register_engine(node *n, rpc_methods *m) {
    rpc_methods_add(m, "engine_getClientVersionV1", client_version, n);
    rpc_methods_add(m, "engine_exchangeCapabilities", exchange_capabilities, n);
    rpc_methods_add(m, "engine_newPayloadV1", new_payload_v1, n);
    rpc_methods_add(m, "engine_newPayloadV2", new_payload_v2, n);
    rpc_methods_add(m, "engine_newPayloadV3", new_payload_v3, n);
    rpc_methods_add(m, "engine_newPayloadV4", new_payload_v4, n);
    rpc_methods_add(m, "engine_forkchoiceUpdatedV1", forkchoice_v1, n);
    rpc_methods_add(m, "engine_forkchoiceUpdatedV2", forkchoice_v2, n);
    rpc_methods_add(m, "engine_forkchoiceUpdatedV3", forkchoice_v3, n);
    rpc_methods_add(m, "engine_getPayloadV1", get_payload_v1, n);
    rpc_methods_add(m, "engine_getPayloadV2", get_payload_v2, n);
    rpc_methods_add(m, "engine_getPayloadV3", get_payload_v3, n);
    rpc_methods_add(m, "engine_getPayloadV4", get_payload_v4, n);
    rpc_methods_add(m, "engine_getPayloadV5", get_payload_v5, n);
    rpc_methods_add(m, "engine_getBlobsV1", get_blobs_v1, n);
    rpc_methods_add(m, "engine_getBlobsV2", get_blobs_v2, n);
    rpc_methods_add(m, "engine_getBlobsV3", get_blobs_v3, n);
    rpc_methods_add(m, "engine_getPayloadBodiesByHashV1", bodies_by_hash, n);
    rpc_methods_add(m, "engine_getPayloadBodiesByRangeV1", bodies_by_range, n);
    node_register_testing(n, m);
}

void node_register_testing(node *n, rpc_methods *m) {
    rpc_methods_add(m, "testing_buildBlockV1", testing_build_block, n);
}
