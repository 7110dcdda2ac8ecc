/*
 * The one-time offer page after post/redirect/get: the POST that makes an offer keeps
 * its QR link and transaction code sealed (AES-GCM under the data key) in
 * console_once for two minutes, bound to the officer's session, and redirects to
 * /console/applications/<id>/offer/<once>; the first GET there takes the row and shows
 * the page. A reload after that shows the application instead: the code is never shown
 * twice, and it can be replaced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"

/* Only the redirect that follows the POST has to find the row, so two minutes
 * covers a slow link; it is short because the row holds a transaction code. */
#define ONCE_TTL_S 120
#define ONCE_AAD "mobid-console-once:"

static mobid_err once_aad(const char *app_id, const char *session_key, mobid_buf *aad)
{
    mobid_buf_init(aad, 256);
    mobid_buf_append_str(aad, ONCE_AAD);
    mobid_buf_append_str(aad, app_id);
    mobid_buf_append_str(aad, ":");
    mobid_buf_append_str(aad, session_key);
    return aad->err;
}

mobid_err console_offer_stash(console_req *c, const char *app_id, const issuer_offer *o)
{
    uint8_t raw[24];
    char key[65], sess[65], loc[200];
    mobid_buf tok = { 0 }, aad = { 0 }, sealed = { 0 }, b64 = { 0 };
    mobid_store_stmt *st = NULL;
    json_t *j = json_pack("{s:s, s:s, s:I}", "uri", o->offer_uri, "tx", o->tx_code, "exp",
                          (json_int_t)o->expires_at);
    char *plain = j ? json_dumps(j, JSON_COMPACT) : NULL;
    bool row;
    mobid_err err = plain ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&tok, 64);
    mobid_buf_init(&sealed, 0);
    mobid_buf_init(&b64, 0);
    if (!err) err = mobid_random(raw, sizeof raw);
    if (!err) err = mobid_b64url_encode(mobid_view_make(raw, sizeof raw), &tok);
    if (!err) err = mobid_buf_terminate(&tok);
    if (!err) err = console_secret_key((const char *)tok.ptr, key);
    if (!err) err = console_secret_key(mobid_http_req_cookie(c->req, CONSOLE_SESSION_COOKIE), sess);
    if (!err) err = once_aad(app_id, sess, &aad);
    if (!err) err = issuer_seal(c->ctx, mobid_buf_view(&aad), mobid_view_str(plain), &sealed);
    if (!err) err = mobid_b64url_encode(mobid_buf_view(&sealed), &b64);
    if (!err) err = mobid_buf_terminate(&b64);
    if (!err) err = mobid_store_prepare(c->s, "INSERT INTO console_once (k, session_hash, app_id,"
                                              " sealed, expires_at) VALUES ($1, $2, $3, $4, $5)", &st);
    if (!err) err = mobid_store_bind_str(st, 1, key);
    if (!err) err = mobid_store_bind_str(st, 2, sess);
    if (!err) err = mobid_store_bind_str(st, 3, app_id);
    if (!err) err = mobid_store_bind_str(st, 4, (const char *)b64.ptr);
    if (!err) err = mobid_store_bind_int64(st, 5, mobid_now() + ONCE_TTL_S);
    if (!err) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (!err) {
        snprintf(loc, sizeof loc, "/console/applications/%s/offer/%s", app_id, (const char *)tok.ptr);
        err = console_redirect(c, loc);
    }
    if (plain)
        mobid_wipe(plain, strlen(plain));
    free(plain);
    json_decref(j);
    mobid_wipe(raw, sizeof raw);
    mobid_buf_free(&tok);
    mobid_buf_free(&aad);
    mobid_buf_free(&sealed);
    mobid_buf_free(&b64);
    return err;
}

/* Take the row (deleted whether or not it opens); NOT_FOUND when gone, expired, or of
 * another session or application. */
static mobid_err once_take_row(console_req *c, const char *key, const char *sess,
                               const char *app_id, char **sealed)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(c->s, "SELECT sealed FROM console_once WHERE k = $1 AND"
                                              " session_hash = $2 AND app_id = $3 AND expires_at > $4",
                                        &st);
    *sealed = NULL;
    if (!err) err = mobid_store_bind_str(st, 1, key);
    if (!err) err = mobid_store_bind_str(st, 2, sess);
    if (!err) err = mobid_store_bind_str(st, 3, app_id);
    if (!err) err = mobid_store_bind_int64(st, 4, mobid_now());
    if (!err) err = mobid_store_step(st, &row);
    if (!err && row && !(*sealed = mobid_store_col_strdup(st, 0)))
        err = MOBID_ERR_NOMEM;
    mobid_store_finalize(st);
    if (!err)
        err = console_exec(c->s, "DELETE FROM console_once WHERE k = $1 OR expires_at <= $2", key,
                           mobid_now(), 0);
    return err ? err : row ? MOBID_OK : MOBID_ERR_NOT_FOUND;
}

mobid_err console_offer_take(console_req *c, const char *app_id, const char *once, issuer_offer *o)
{
    char key[65], sess[65], *sealed = NULL;
    mobid_buf aad = { 0 }, raw = { 0 }, plain = { 0 };
    json_t *j = NULL;
    mobid_err err;

    mobid_buf_init(&raw, 0);
    mobid_buf_init(&plain, 0);
    if ((err = console_secret_key(once, key)) ||
        (err = console_secret_key(mobid_http_req_cookie(c->req, CONSOLE_SESSION_COOKIE), sess)) ||
        (err = once_take_row(c, key, sess, app_id, &sealed)) || (err = once_aad(app_id, sess, &aad)) ||
        (err = mobid_b64url_decode(mobid_view_str(sealed), &raw)) ||
        (err = issuer_unseal(c->ctx, mobid_buf_view(&aad), mobid_buf_view(&raw), &plain)))
        goto done;
    j = json_loadb((const char *)plain.ptr, plain.len, 0, NULL);
    o->offer_uri = strdup(json_string_value(json_object_get(j, "uri")) ?: "");
    snprintf(o->tx_code, sizeof o->tx_code, "%s", json_string_value(json_object_get(j, "tx")) ?: "");
    o->expires_at = json_integer_value(json_object_get(j, "exp"));
    err = o->offer_uri ? MOBID_OK : MOBID_ERR_NOMEM;
done:
    json_decref(j);
    free(sealed);
    mobid_buf_free(&aad);
    mobid_buf_free(&raw);
    mobid_buf_free(&plain); /* wipes */
    return err;
}
