/*
 * Signed checkpoints of the audit chain.
 *
 * The chain alone cannot catch a rewrite of its whole tail together with the head row:
 * whoever can write the database can recompute every hash after the entry they change.
 * A checkpoint names (seq, hash after seq) under the status-list signer's key, which
 * the database does not hold; once a copy of it is kept elsewhere (anyone may fetch
 * GET /audit/checkpoint), `mobid issuer audit verify --checkpoint F` recomputes the
 * chain from the start and finds the first N entries changed or gone.
 *
 * The endpoint signs at most one new checkpoint per minute and only when the chain
 * moved; every checkpoint signed is kept in issuer_audit_checkpoints.
 */
#include "services/issuer/issuer.h"

#include <mobid/jose.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_TYP "mobid-audit-checkpoint+jwt"

static mobid_alg alg_for(const mobid_key *k)
{
    switch (mobid_key_curve(k)) {
    case MOBID_CURVE_P256: return MOBID_ALG_ES256;
    case MOBID_CURVE_P384: return MOBID_ALG_ES384;
    case MOBID_CURVE_P521: return MOBID_ALG_ES512;
    case MOBID_CURVE_ED25519: return MOBID_ALG_EDDSA;
    default: return MOBID_ALG_NONE;
    }
}

/* The head row as it is now: (seq, hash). */
static mobid_err read_head(mobid_store *s, int64_t *seq, char hash[65])
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(s, "SELECT seq, hash FROM issuer_audit_head WHERE id = 1",
                                        &st);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row) err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) {
        mobid_view h = mobid_store_col_text(st, 1);
        *seq = mobid_store_col_int64(st, 0);
        snprintf(hash, 65, "%.*s", (int)(h.len < 64 ? h.len : 64), (const char *)h.ptr);
    }
    mobid_store_finalize(st);
    return err;
}

static mobid_err sign_checkpoint(issuer_ctx *ctx, int64_t seq, const char *head, int64_t now,
                                 mobid_buf *out)
{
    const issuer_signer *sg = &ctx->pki->status;
    json_t *hdr = NULL, *x5c = NULL;
    json_t *claims = json_pack("{s:s, s:s, s:I, s:s, s:I}", "iss",
                               ctx->cfg.issuer_url ? ctx->cfg.issuer_url : "", "type",
                               "audit_checkpoint", "seq", (json_int_t)seq, "head", head, "iat",
                               (json_int_t)now);
    mobid_buf payload = { 0 };
    mobid_err err = claims ? MOBID_OK : MOBID_ERR_NOMEM;

    if (err == MOBID_OK) err = mobid_jose_x5c_from_certs(&sg->cert, 1, &x5c);
    if (err == MOBID_OK && !(hdr = json_pack("{s:s, s:s, s:O}", "typ", CHECKPOINT_TYP, "kid",
                                             sg->id ? sg->id : "status", "x5c", x5c)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK) err = mobid_json_dump(claims, false, &payload);
    if (err == MOBID_OK)
        err = mobid_jws_sign(sg->key, alg_for(sg->key), hdr, mobid_buf_view(&payload), out);
    if (err == MOBID_OK) err = mobid_buf_terminate(out);
    mobid_buf_free(&payload);
    json_decref(claims);
    json_decref(hdr);
    json_decref(x5c);
    return err;
}

mobid_err issuer_audit_checkpoint(issuer_ctx *ctx, mobid_store *s, char **jws)
{
    mobid_buf out = { 0 };
    mobid_store_stmt *st = NULL;
    char head[65];
    int64_t seq = 0, now = mobid_now();
    bool row;
    mobid_err err;

    *jws = NULL;
    if (!ctx->pki || !ctx->pki->status.key || !ctx->pki->status.cert)
        return MOBID_ERR_KEY_INVALID;
    err = read_head(s, &seq, head);
    if (err == MOBID_OK) err = sign_checkpoint(ctx, seq, head, now, &out);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "INSERT INTO issuer_audit_checkpoints (seq, head, iat, jws)"
                                     " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, seq);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, head);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, (const char *)out.ptr);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (err == MOBID_OK) {
        *jws = (char *)out.ptr;
        out.ptr = NULL;
    }
    mobid_buf_free(&out);
    return err;
}

mobid_err issuer_audit_checkpoint_latest(issuer_ctx *ctx, mobid_store *s, int64_t max_age_s,
                                         char **jws)
{
    mobid_store_stmt *st = NULL;
    char head[65];
    int64_t seq = 0;
    bool row = false;
    mobid_err err = read_head(s, &seq, head);

    *jws = NULL;
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "SELECT seq, iat, jws FROM issuer_audit_checkpoints"
                                     " ORDER BY iat DESC, seq DESC LIMIT 1", &st);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    /* the newest one still names the head, or is recent enough: serve it */
    if (err == MOBID_OK && row &&
        (mobid_store_col_int64(st, 0) == seq ||
         mobid_store_col_int64(st, 1) > mobid_now() - max_age_s) &&
        !(*jws = mobid_store_col_strdup(st, 2)))
        err = MOBID_ERR_NOMEM;
    mobid_store_finalize(st);
    if (err == MOBID_OK && !*jws)
        err = issuer_audit_checkpoint(ctx, s, jws);
    return err;
}

/* GET /audit/checkpoint */
static mobid_err on_checkpoint(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    mobid_store *s = NULL;
    mobid_jws p = { 0 };
    json_t *body = NULL, *claims = NULL;
    char *jws = NULL;
    mobid_err err = issuer_db(ctx, &s);

    (void)req;
    if (err == MOBID_OK) err = issuer_audit_checkpoint_latest(ctx, s, 60, &jws);
    if (err == MOBID_OK) err = mobid_jws_parse(mobid_view_str(jws), &p);
    if (err == MOBID_OK &&
        (err = mobid_json_parse(mobid_buf_view(&p.payload), 0, &claims)) == MOBID_OK &&
        !(body = json_pack("{s:s, s:O?, s:O?, s:O?}", "checkpoint", jws, "seq",
                           json_object_get(claims, "seq"), "head",
                           json_object_get(claims, "head"), "iat",
                           json_object_get(claims, "iat"))))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK) {
        mobid_http_resp_header(resp, "Cache-Control", "no-cache");
        err = mobid_http_resp_json(resp, 200, body);
    } else {
        fprintf(stderr, "issuer: audit checkpoint: %s\n", mobid_svc_err_name(err));
        err = mobid_http_resp_error(resp, 503, "INTERNAL", "no checkpoint available");
    }
    issuer_db_release(ctx, s);
    mobid_jws_clear(&p);
    json_decref(claims);
    json_decref(body);
    free(jws);
    return err;
}

mobid_err issuer_routes_checkpoint(mobid_http_server *srv, issuer_ctx *ctx)
{
    return mobid_http_route(srv, "GET", "/audit/checkpoint", on_checkpoint, ctx);
}
