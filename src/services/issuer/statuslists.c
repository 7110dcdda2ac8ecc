/*
 * issuer: status lists. Each credential takes a random free index of the current
 * list (2 bits: 0 VALID, 1 INVALID, 2 SUSPENDED); the UNIQUE (list, idx) key decides
 * who gets an index, so none is ever given twice, and entries are never deleted.
 * A list is filled to half its size, then a new one starts, so a random pick
 * succeeds on the first tries. Tokens (JWT and CWT) are re-signed when a status
 * changed (dirty) or half their validity has passed, and served at
 * <issuer_url>/status/<list id>.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <mobid/statuslist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two bits a card: the Token Status List values valid (0), invalid (1, revoked) and
 * suspended (2) need more than one. */
#define STATUS_BITS 2
/* A card's index is drawn at random, so its place in the list tells nothing about
 * when it was issued. A list takes new cards only while under half of it is used
 * (current_list), so each draw is free with odds of at least one half, and 64 draws
 * all taken is a 2^-64 event, not a limit an issuer reaches. */
#define STATUS_CLAIM_ATTEMPTS 64

static mobid_err current_list(mobid_store *s, char **id, int64_t *size)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    *id = NULL;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT id, size FROM issuer_status_lists WHERE allocated * 2 < size"
        " ORDER BY created_at DESC, id LIMIT 1",
        &st);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        *id = mobid_store_col_strdup(st, 0);
        *size = mobid_store_col_int64(st, 1);
        if (!*id)
            err = MOBID_ERR_NOMEM;
    }
    mobid_store_finalize(st);
    return err;
}

static mobid_err new_list(issuer_ctx *ctx, mobid_store *s, char **id, int64_t *size)
{
    char lid[23];
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = issuer_new_id(lid);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_status_lists (id, bits, size, created_at)"
                                  " VALUES ($1, $2, $3, $4)",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, lid);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, STATUS_BITS);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, ctx->cfg.status_list_size);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    *size = ctx->cfg.status_list_size;
    if (err == MOBID_OK && !(*id = strdup(lid)))
        err = MOBID_ERR_NOMEM;
    return err;
}

typedef struct claim_ctx {
    const char *list;
    int64_t size;
    int64_t now;
    int64_t idx; /* the candidate of the last attempt */
} claim_ctx;

static mobid_err bind_candidate(mobid_store_stmt *ins, unsigned attempt, void *arg)
{
    claim_ctx *c = arg;
    uint64_t r;
    mobid_err err = mobid_random((uint8_t *)&r, sizeof r);
    if (err != MOBID_OK)
        return err;
    c->idx = (int64_t)(r % (uint64_t)c->size);
    err = mobid_store_bind_str(ins, 1, c->list);
    if (err == MOBID_OK) err = mobid_store_bind_int64(ins, 2, c->idx);
    if (err == MOBID_OK) err = mobid_store_bind_int64(ins, 3, c->now);
    return err;
}

mobid_err issuer_status_alloc(issuer_ctx *ctx, mobid_store *s, char **list_id, int64_t *idx)
{
    int64_t size = 0;
    char *id = NULL;
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = current_list(s, &id, &size);
    if (err == MOBID_OK && !id)
        err = new_list(ctx, s, &id, &size);
    claim_ctx c = { id, size, mobid_now(), -1 };
    if (err == MOBID_OK)
        err = mobid_store_claim(s,
                                "INSERT INTO issuer_status_entries (list_id, idx, status, created_at)"
                                " VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING",
                                STATUS_CLAIM_ATTEMPTS, bind_candidate, &c);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s, "UPDATE issuer_status_lists SET allocated = allocated + 1 WHERE id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (err == MOBID_OK) {
        *list_id = id;
        *idx = c.idx;
        id = NULL;
    }
    free(id);
    return err;
}

mobid_err issuer_status_uri(const issuer_ctx *ctx, const char *list_id, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/status/%s", ctx->cfg.issuer_url, list_id);
    return w > 0 && (size_t)w < n ? MOBID_OK : MOBID_ERR_LIMIT;
}

/* Build the list from its non-VALID entries. */
static mobid_err load_bits(mobid_store *s, const char *id, int64_t size, mobid_statuslist **l)
{
    mobid_store_stmt *st = NULL;
    bool row = true;
    mobid_err err = mobid_statuslist_new(STATUS_BITS, (uint64_t)size, l);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s, "SELECT idx, status FROM issuer_status_entries WHERE list_id = $1 AND status <> 0",
            &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row)
        err = mobid_statuslist_set(*l, (uint64_t)mobid_store_col_int64(st, 0),
                                   (unsigned)mobid_store_col_int64(st, 1));
    mobid_store_finalize(st);
    return err;
}

static const char *signer_id(const issuer_ctx *ctx)
{
    return ctx->pki->status.id ? ctx->pki->status.id : "status";
}

static mobid_err sign_list(issuer_ctx *ctx, const mobid_statuslist *l, const char *uri,
                           mobid_statuslist_format f, int64_t now, mobid_buf *out)
{
    mobid_cert *chain[1] = { ctx->pki->status.cert };
    mobid_statuslist_sign_params p = { .format = f, .key = ctx->pki->status.key,
                                       .chain = chain, .chain_len = 1, .uri = uri, .iat = now,
                                       .exp = now + ctx->cfg.status_list_validity_s,
                                       .ttl = (uint64_t)ctx->cfg.status_list_ttl_s,
                                       .zlib = MOBID_STATUSLIST_ZLIB_AUTO };
    return mobid_statuslist_token_sign(l, &p, out);
}

static mobid_err store_tokens(mobid_store *s, const char *id, int64_t version, mobid_view jwt,
                              mobid_view cwt_b64, int64_t now, const char *signer)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s,
        "UPDATE issuer_status_lists SET jwt = $1, cwt = $2, signed_at = $3, dirty = 0,"
        " version = version + 1, signer = $6 WHERE id = $4 AND version = $5",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 1, jwt);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 2, cwt_b64);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 5, version);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, signer);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* Re-sign one list inside the caller's transaction. */
static mobid_err refresh_one(issuer_ctx *ctx, mobid_store *s, const char *id, int64_t size,
                             int64_t version)
{
    mobid_statuslist *l = NULL;
    mobid_buf jwt = { 0 }, cwt = { 0 }, cwt64 = { 0 };
    char uri[1024];
    int64_t now = mobid_now();
    mobid_err err = issuer_status_uri(ctx, id, uri, sizeof uri);
    if (err == MOBID_OK) err = load_bits(s, id, size, &l);
    if (err == MOBID_OK) err = sign_list(ctx, l, uri, MOBID_STATUSLIST_JWT, now, &jwt);
    if (err == MOBID_OK) err = sign_list(ctx, l, uri, MOBID_STATUSLIST_CWT, now, &cwt);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_buf_view(&cwt), &cwt64);
    if (err == MOBID_OK)
        err = store_tokens(s, id, version, mobid_buf_view(&jwt), mobid_buf_view(&cwt64), now,
                           signer_id(ctx));
    mobid_statuslist_free(l);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cwt);
    mobid_buf_free(&cwt64);
    return err;
}

typedef struct refresh_ctx {
    issuer_ctx *ctx;
    const char *only; /* one list, or NULL for every stale one */
} refresh_ctx;

static mobid_err refresh_body(mobid_store *s, void *arg)
{
    refresh_ctx *r = arg;
    mobid_store_stmt *st = NULL;
    bool row = true;
    char *ids[64];
    int64_t sizes[64], versions[64];
    size_t n = 0;
    int64_t stale = mobid_now() - r->ctx->cfg.status_list_validity_s / 2;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT id, size, version FROM issuer_status_lists WHERE (dirty <> 0 OR signed_at IS NULL"
        " OR signed_at < $1 OR signer IS NULL OR signer <> $3) AND ($2 = '' OR id = $2)"
        " ORDER BY id",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, stale);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, r->only ? r->only : "");
    /* a list signed by an older status-list signer is signed again by the current one */
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, signer_id(r->ctx));
    while (err == MOBID_OK && n < 64 && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        sizes[n] = mobid_store_col_int64(st, 1);
        versions[n] = mobid_store_col_int64(st, 2);
        if (!(ids[n++] = mobid_store_col_strdup(st, 0)))
            err = MOBID_ERR_NOMEM;
    }
    mobid_store_finalize(st);
    for (size_t i = 0; i < n; i++) {
        if (err == MOBID_OK && ids[i])
            err = refresh_one(r->ctx, s, ids[i], sizes[i], versions[i]);
        free(ids[i]);
    }
    return err;
}

mobid_err issuer_statuslists_refresh(issuer_ctx *ctx, mobid_store *s)
{
    refresh_ctx r = { ctx, NULL };
    pthread_mutex_lock(&ctx->lock);
    mobid_err err = mobid_store_tx(s, 0, refresh_body, &r);
    pthread_mutex_unlock(&ctx->lock);
    return err;
}

/* Set the status of every credential of a card (inside the caller's transaction)
 * and mark their lists dirty. */
mobid_err issuer_status_set_card(mobid_store *s, const char *card_id, int64_t status)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s,
        "UPDATE issuer_status_entries SET status = $1 WHERE EXISTS (SELECT 1 FROM"
        " issuer_credentials c WHERE c.card_id = $2 AND c.list_id = issuer_status_entries.list_id"
        " AND c.status_idx = issuer_status_entries.idx)",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, status);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, card_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s,
            "UPDATE issuer_status_lists SET dirty = 1 WHERE id IN (SELECT list_id FROM"
            " issuer_credentials WHERE card_id = $1)",
            &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* ---- GET /status/{id} ---- */

static mobid_err serve_token(mobid_store *s, const char *id, bool cwt, mobid_buf *out)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s, cwt ? "SELECT cwt FROM issuer_status_lists WHERE id = $1"
               : "SELECT jwt FROM issuer_status_lists WHERE id = $1",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && (!row || mobid_store_col_null(st, 0)))
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK && cwt)
        err = mobid_b64url_decode(mobid_store_col_text(st, 0), out);
    else if (err == MOBID_OK)
        err = mobid_buf_append_view(out, mobid_store_col_text(st, 0));
    mobid_store_finalize(st);
    return err;
}

static mobid_err on_status(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    mobid_store *s = NULL;
    mobid_buf tok = { 0 };
    const char *id = mobid_http_req_param(req, "id");
    const char *accept = mobid_http_req_header(req, "Accept");
    bool cwt = accept && strstr(accept, "application/statuslist+cwt") &&
               !strstr(accept, "application/statuslist+jwt");
    refresh_ctx r = { ctx, id };
    mobid_err err = issuer_db(ctx, &s);
    if (err == MOBID_OK && (err = mobid_store_tx(s, 0, refresh_body, &r)) != MOBID_OK)
        fprintf(stderr, "issuer: status list refresh: %s\n", mobid_svc_err_name(err));
    if (err == MOBID_OK)
        err = serve_token(s, id, cwt, &tok);
    if (err == MOBID_ERR_NOT_FOUND)
        err = mobid_http_resp_error(resp, 404, "NOT_FOUND", "no such status list");
    else if (err == MOBID_OK) {
        mobid_http_resp_header(resp, "Cache-Control", "max-age=60");
        err = mobid_http_resp_body(resp, 200,
                                   cwt ? "application/statuslist+cwt"
                                       : "application/statuslist+jwt",
                                   mobid_buf_view(&tok));
    }
    issuer_db_release(ctx, s);
    mobid_buf_free(&tok);
    return err;
}

mobid_err issuer_routes_status(mobid_http_server *srv, issuer_ctx *ctx)
{
    return mobid_http_route(srv, "GET", "/status/{id}", on_status, ctx);
}
