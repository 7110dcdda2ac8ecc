/*
 * Answering a DCQL query from the vault: which credential, which claims, and the
 * presentation itself (SD-JWT VC + KB-JWT, or mdoc DeviceResponse).
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/sdjwt.h>
#include "wallet_present.h"

#define WL_PATH_MAX 512

static const char *type_of(const mobid_dcql_cred *c)
{
    const char *t = json_string_value(json_array_get(c->types, 0));
    return t ? t : "?";
}

/* A DCQL claim path as "a/b/0" with "*" for null (JSON Pointer escapes for '/' and '~'). */
static mobid_err path_text(const json_t *path, char *out, size_t cap)
{
    mobid_buf b;
    size_t i;
    json_t *seg;
    mobid_err err;

    mobid_buf_init(&b, cap - 1);
    json_array_foreach(path, i, seg)
    {
        char num[24];
        if (i)
            mobid_buf_append_byte(&b, '/');
        if (json_is_integer(seg)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(seg));
            mobid_buf_append_str(&b, num);
        } else if (json_is_string(seg)) {
            for (const char *s = json_string_value(seg); *s; s++)
            {
                if (*s == '/' || *s == '~')
                    mobid_buf_append_str(&b, *s == '/' ? "~1" : "~0");
                else
                    mobid_buf_append_byte(&b, (uint8_t)*s);
            }
        } else {
            mobid_buf_append_byte(&b, '*');
        }
    }
    err = b.err;
    if (!err) {
        memcpy(out, b.ptr ? (const char *)b.ptr : "", b.len);
        out[b.len] = '\0';
    }
    mobid_buf_free(&b);
    return err;
}

mobid_err wl_query_prepare(const mobid_oid4vp_request *req, mobid_dcql **q, json_t **claims,
                           char *detail, size_t dlen)
{
    char d[160] = "", path[WL_PATH_MAX], line[WL_PATH_MAX + 160];
    mobid_err err;

    *claims = NULL;
    err = mobid_dcql_parse(req->dcql_query, q, d, sizeof d);
    if (!err)
        err = mobid_oid4vp_registration_allows(&req->registration, *q, d, sizeof d);
    if (err) {
        wl_detail(detail, dlen, "query refused: %s", d);
        return err;
    }
    if (!(*claims = json_array()))
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; !err && i < (*q)->n_creds; i++) {
        const mobid_dcql_cred *c = &(*q)->creds[i];
        for (size_t k = 0; !err && k < c->n_claims; k++) {
            err = path_text(c->claims[k].path, path, sizeof path);
            snprintf(line, sizeof line, "%s: %s", type_of(c), path);
            if (!err && json_array_append_new(*claims, json_string(line)))
                err = MOBID_ERR_NOMEM;
        }
    }
    return err;
}

/* True when the selection object holds the claim at path (null: any element). */
static bool selected(const json_t *sel, const json_t *path)
{
    size_t i;
    json_t *seg;

    json_array_foreach(path, i, seg)
    {
        if (json_is_null(seg))
            return json_array_size(sel) > 0;
        sel = json_is_integer(seg) ? json_array_get(sel, (size_t)json_integer_value(seg))
                                   : json_object_get(sel, json_string_value(seg));
        if (!sel)
            return false;
    }
    return true;
}

static mobid_err present_sdjwt(const mobid_wallet_io *io, const mobid_oid4vp_request *req,
                               const mobid_dcql_cred *c, const json_t *sel, const char *cred,
                               const mobid_key *key, mobid_buf *out)
{
    mobid_sdjwt_present_params pp = { 0 };
    char(*paths)[WL_PATH_MAX] = mobid_calloc(c->n_claims + 1, WL_PATH_MAX);
    const char **reveal = mobid_calloc(c->n_claims + 1, sizeof *reveal);
    size_t n = 0;
    mobid_err err = paths && reveal ? MOBID_OK : MOBID_ERR_NOMEM;

    for (size_t k = 0; !err && k < c->n_claims; k++) {
        if (!selected(sel, c->claims[k].path))
            continue;
        err = path_text(c->claims[k].path, paths[n], WL_PATH_MAX);
        reveal[n] = paths[n];
        n++;
    }
    pp.reveal = reveal;
    pp.holder_key = key;
    pp.aud = req->client_id;
    pp.nonce = req->nonce;
    pp.iat = wl_now(io);
    if (!err)
        err = mobid_sdjwt_present(mobid_view_str(cred), &pp, out);
    mobid_free(paths);
    mobid_free(reveal);
    return err;
}

/* The OpenID4VP handover binds the response to client_id, nonce, the encryption key
 * (when the response is encrypted) and response_uri. */
static mobid_err handover(const mobid_oid4vp_request *req, mobid_buf *st)
{
    uint8_t thumb[32];
    json_t *jwk = NULL;
    mobid_view tv = { NULL, 0 };
    mobid_err err = MOBID_OK;

    if (req->encrypted) {
        err = mobid_jwk_from_key(req->enc_key, false, &jwk);
        if (!err)
            err = mobid_jwk_thumbprint(jwk, thumb);
        tv = mobid_view_make(thumb, sizeof thumb);
    }
    if (!err)
        err = mobid_mdoc_transcript_oid4vp(req->client_id, req->nonce, tv, req->response_uri,
                                           st);
    json_decref(jwk);
    return err;
}

static mobid_err present_mdoc(const mobid_oid4vp_request *req, const mobid_dcql_cred *c,
                              const json_t *sel, const char *cred, const mobid_key *key,
                              mobid_buf *out)
{
    mobid_mdoc_present_opts po = { 0 };
    mobid_mdoc_ref *refs = mobid_calloc(c->n_claims + 1, sizeof *refs);
    mobid_buf is, st, resp;
    size_t n = 0;
    mobid_err err = refs ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&is, MOBID_MDOC_MAX_INPUT);
    mobid_buf_init(&st, 0);
    mobid_buf_init(&resp, MOBID_MDOC_MAX_INPUT);
    for (size_t k = 0; !err && k < c->n_claims; k++) {
        const json_t *path = c->claims[k].path;
        if (!selected(sel, path))
            continue;
        refs[n].ns = json_string_value(json_array_get(path, 0));
        refs[n].id = json_string_value(json_array_get(path, 1));
        n++;
    }
    if (!err && mobid_b64url_decode(mobid_view_str(cred), &is))
        err = MOBID_ERR_MALFORMED;
    if (!err)
        err = handover(req, &st);
    po.issuer_signed = mobid_buf_view(&is);
    po.device_key = key;
    po.transcript = mobid_buf_view(&st);
    po.reveal = refs;
    po.n_reveal = n;
    if (!err)
        err = mobid_mdoc_present(&po, &resp);
    if (!err)
        err = mobid_b64url_encode(mobid_buf_view(&resp), out);
    mobid_free(refs);
    mobid_buf_free(&is);
    mobid_buf_free(&st);
    mobid_buf_free(&resp);
    return err;
}

/* First usable (unused, unexpired) item of the first credential that can answer c;
 * *sel the selection. */
static json_t *choose(wl_wallet *w, mobid_time now, const mobid_dcql_cred *c, json_t **entry,
                      json_t **sel)
{
    size_t i, k;
    json_t *e, *it;

    json_array_foreach(json_object_get(w->vault, "credentials"), i, e)
    {
        const char *fmt = json_string_value(json_object_get(e, "format"));
        const char *type = json_string_value(json_object_get(e, "type"));
        mobid_dcql_format f = fmt && strcmp(fmt, "mso_mdoc") == 0 ? MOBID_DCQL_MDOC
                                                                   : MOBID_DCQL_SDJWT;
        if (!type || !mobid_dcql_cred_accepts(c, f, type))
            continue;
        if (mobid_dcql_select(c, json_object_get(e, "claims"), sel, NULL, 0) != MOBID_OK)
            continue;
        json_array_foreach(json_object_get(e, "items"), k, it)
        {
            if (wl_copy_usable(e, it, now)) {
                *entry = e;
                return it;
            }
        }
        json_decref(*sel);
        *sel = NULL;
    }
    return NULL;
}

static mobid_err answer_one(const mobid_wallet_io *io, wl_wallet *w,
                            const mobid_oid4vp_request *req, const mobid_dcql_cred *c,
                            wl_answer *a, json_t *vp_token)
{
    json_t *sel = NULL, *entry = NULL, *item = choose(w, wl_now(io), c, &entry, &sel);
    const char *cred = json_string_value(json_object_get(item, "c"));
    mobid_key *key = NULL;
    mobid_buf pres;
    mobid_err err;

    if (!item)
        return MOBID_ERR_NO_CREDENTIAL;
    mobid_buf_init(&pres, MOBID_WALLET_MAX_HTTP);
    err = cred ? mobid_jwk_to_key(json_object_get(item, "k"), &key) : MOBID_ERR_MALFORMED;
    if (!err && c->format == MOBID_DCQL_MDOC)
        err = present_mdoc(req, c, sel, cred, key, &pres);
    else if (!err)
        err = present_sdjwt(io, req, c, sel, cred, key, &pres);
    if (!err)
        err = mobid_buf_terminate(&pres);
    if (!err && json_object_set_new(vp_token, c->id,
                                    json_pack("[s]", (const char *)pres.ptr)) != 0)
        err = MOBID_ERR_NOMEM;
    if (!err) {
        a->entry[a->n] = entry;
        a->item[a->n] = item;
        a->n++;
    }
    json_decref(sel);
    mobid_key_free(key);
    mobid_buf_free(&pres);
    return err;
}

mobid_err wl_answer_build(const mobid_wallet_io *io, wl_wallet *w,
                          const mobid_oid4vp_request *req, const mobid_dcql *q, wl_answer *a,
                          json_t **vp_token, char *detail, size_t dlen)
{
    const char *ids[MOBID_DCQL_MAX_CREDENTIALS + 1] = { 0 };
    mobid_err err = MOBID_OK;

    memset(a, 0, sizeof *a);
    *vp_token = json_object();
    if (!*vp_token)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; !err && i < q->n_creds && i < MOBID_DCQL_MAX_CREDENTIALS; i++) {
        err = answer_one(io, w, req, &q->creds[i], a, *vp_token);
        if (err == MOBID_ERR_NO_CREDENTIAL) /* another credential set may do */
            err = MOBID_OK;
        else if (!err)
            ids[a->n - 1] = q->creds[i].id;
    }
    if (!err && mobid_dcql_satisfied(q, ids) != MOBID_OK) {
        wl_detail(detail, dlen, "no unused credential in the wallet answers the request");
        err = MOBID_ERR_NO_CREDENTIAL;
    }
    return err;
}
