/*
 * Presenting online (OpenID4VP 1.0): openid4vp:// with request_uri, the signed request
 * object checked (RP CA chain, x509_hash client_id, the ministry-signed registration
 * allowing every claim asked) before anything is shown or sent; consent, PIN, then a
 * never-shown credential of the batch answers by direct_post or direct_post.jwt.
 * The anchors are authenticated before the request is checked against them: by the
 * device MAC at open, or, on a wallet without a device secret, by asking the PIN
 * first (swapped anchors then end the flow as WALLET_TAMPERED with nothing shown).
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>
#include <mobid/oid4vp.h>
#include "wallet_present.h"
#include "wallet_receive.h"

static mobid_err fetch_request(const mobid_wallet_io *io, const char *uri, char **client_id,
                               mobid_buf *jwt, char *detail, size_t dlen)
{
    mobid_wallet_http_req q = { "GET", NULL, NULL, "application/oauth-authz-req+jwt", NULL,
                                { NULL, 0 }, NULL, NULL, NULL, NULL };
    char *request_uri = NULL, *method = NULL;
    mobid_err err;

    if (strncmp(uri, "openid4vp://", 12) != 0) {
        wl_detail(detail, dlen, "not an openid4vp:// URI");
        return MOBID_ERR_MALFORMED;
    }
    err = wl_query_param(uri, "client_id", client_id);
    if (!err)
        err = wl_query_param(uri, "request_uri", &request_uri);
    if (err) {
        wl_detail(detail, dlen, "openid4vp URI needs client_id and request_uri");
        err = err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_MALFORMED : err;
        goto done;
    }
    if (wl_query_param(uri, "request_uri_method", &method) == MOBID_OK &&
        strcmp(method, "post") == 0) {
        q.method = "POST";
        q.content_type = "application/x-www-form-urlencoded";
    }
    q.url = request_uri;
    err = wl_http(io, &q, jwt, detail, dlen);
    if (!err)
        err = mobid_buf_terminate(jwt);
done:
    free(request_uri);
    free(method);
    return err;
}

/* Verify the request object and that the URI's client_id is the one it signs for. */
static mobid_err verify_request(const mobid_wallet_io *io, wl_wallet *w, const char *cid,
                                mobid_view jwt, mobid_oid4vp_request *req, char *detail,
                                size_t dlen)
{
    mobid_trust *rp = NULL, *reg = NULL;
    mobid_err err;

    err = wl_trust(w, "rp", &rp);
    if (!err)
        err = wl_trust(w, "registration", &reg);
    if (!err) {
        err = mobid_oid4vp_request_verify(jwt, rp, reg, wl_now(io), req);
        if (err == MOBID_ERR_RP_NOT_REGISTERED)
            wl_detail(detail, dlen, "relying party is not registered with the ministry");
        else if (err)
            wl_detail(detail, dlen, "request object refused: %s", mobid_strerror(err));
    }
    if (!err && (!req->client_id || strcmp(req->client_id, cid) != 0)) {
        wl_detail(detail, dlen, "client_id of the URI differs from the request object's");
        err = MOBID_ERR_SUBJECT_MISMATCH;
    }
    if (!err && !req->has_registration) {
        wl_detail(detail, dlen, "relying party is not registered with the ministry");
        err = MOBID_ERR_RP_NOT_REGISTERED;
    }
    mobid_trust_free(rp);
    mobid_trust_free(reg);
    return err;
}

static mobid_err ask_consent(const mobid_wallet_io *io, const mobid_oid4vp_request *req,
                             const json_t *claims)
{
    mobid_wallet_consent c = { 0 };
    const char **list = mobid_calloc(json_array_size(claims) + 1, sizeof *list);
    mobid_err err;

    if (!list)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < json_array_size(claims); i++)
        list[i] = json_string_value(json_array_get(claims, i));
    c.rp_name = req->registration.name;
    c.rp_id = req->registration.rp_id;
    c.client_id = req->client_id;
    c.legal_basis = req->registration.legal_basis;
    c.claims = list;
    c.subject = req->subject;
    err = io->consent ? io->consent(io->ctx, &c) : MOBID_ERR_CONSENT_DENIED;
    mobid_free(list);
    return err;
}

/* Position of item in entry's batch (which single-use copy was shown). */
static json_int_t wl_item_index(const json_t *entry, const json_t *item)
{
    size_t i;
    json_t *it;

    json_array_foreach(json_object_get(entry, "items"), i, it)
    {
        if (it == item)
            return (json_int_t)i;
    }
    return -1;
}

/* Append to history and mark the items used, then seal: before anything is sent, so
 * a crash can never let a credential be shown twice. */
static mobid_err record(const mobid_wallet_io *io, wl_wallet *w,
                        const mobid_oid4vp_request *req, const wl_answer *a, json_t *claims)
{
    json_t *used = json_array(), *copies = json_array(), *h;
    char at[21];
    mobid_err err = used && copies ? mobid_time_format_rfc3339(wl_now(io), at)
                                   : MOBID_ERR_NOMEM;

    for (size_t i = 0; !err && i < a->n; i++) {
        json_object_set_new(a->item[i], "used", json_true());
        json_array_append(used, json_object_get(a->entry[i], "id"));
        json_array_append_new(copies, json_integer(wl_item_index(a->entry[i], a->item[i])));
    }
    h = err ? NULL
            : json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:O}", "at", at, "rp",
                        req->registration.name, "rp_id", req->registration.rp_id,
                        "client_id", req->client_id, "claims", claims, "credentials", used,
                        "copies", copies);
    if (!err && (!h || json_array_append_new(json_object_get(w->vault, "history"), h)))
        err = MOBID_ERR_NOMEM;
    if (!err && !json_is_array(json_object_get(w->vault, "history")))
        err = MOBID_ERR_MALFORMED;
    if (!err)
        err = wl_save(io, w);
    json_decref(used);
    json_decref(copies);
    return err;
}

/* The answer never left: the copies were not shown, so they count as unused again and
 * the history forgets the attempt. */
static mobid_err unrecord(const mobid_wallet_io *io, wl_wallet *w, const wl_answer *a)
{
    json_t *history = json_object_get(w->vault, "history");

    for (size_t i = 0; i < a->n; i++)
        json_object_set_new(a->item[i], "used", json_false());
    json_array_remove(history, json_array_size(history) - 1);
    return wl_save(io, w);
}

/* After an answer: a card running low is refreshed while the vault is open. The
 * outcome goes into the summary; a failure does not undo the presentation. */
static void refresh_after(const mobid_wallet_io *io, wl_wallet *w, json_t *summary)
{
    mobid_wallet_refresh_opts o = { 0 };
    json_t *list = json_array();
    unsigned skipped;
    char detail[256] = "";
    mobid_err err = list ? wl_refresh(io, w, &o, list, &skipped, detail, sizeof detail)
                         : MOBID_ERR_NOMEM;

    if (summary && err)
        json_object_set_new(summary, "refresh",
                            json_pack("{s:s,s:s}", "error", mobid_err_name(err), "detail", detail));
    else if (summary && json_array_size(list))
        json_object_set_new(summary, "refresh", json_pack("{s:O}", "refreshed", list));
    json_decref(list);
}

static mobid_err send_response(const mobid_wallet_io *io, const mobid_oid4vp_request *req,
                               json_t *vp_token, json_t **reply, long *status, char *detail,
                               size_t dlen)
{
    mobid_wallet_http_req q = { "POST", req->response_uri,
                                "application/x-www-form-urlencoded", "application/json",
                                NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };
    json_t *params = json_pack("{s:O}", "vp_token", vp_token);
    mobid_buf form, val;
    mobid_err err = params ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&form, MOBID_WALLET_MAX_HTTP);
    mobid_buf_init(&val, MOBID_WALLET_MAX_HTTP);
    if (!err && req->state)
        json_object_set_new(params, "state", json_string(req->state));
    if (!err && req->encrypted) {
        err = mobid_oid4vp_response_encrypt_for(req, params, &val);
        mobid_buf_append_str(&form, "response=");
    } else if (!err) {
        err = mobid_json_dump(vp_token, false, &val);
        mobid_buf_append_str(&form, "vp_token=");
    }
    if (!err)
        err = mobid_oid4vci_pct_encode(mobid_buf_view(&val), &form);
    if (!err && req->state && !req->encrypted) {
        mobid_buf_append_str(&form, "&state=");
        err = mobid_oid4vci_pct_encode(mobid_view_str(req->state), &form);
    }
    q.body = mobid_buf_view(&form);
    if (!err)
        err = wl_http_json_st(io, &q, reply, status, detail, dlen);
    if (err == MOBID_ERR_MALFORMED) /* an empty or non-JSON 200 is still accepted */
        err = MOBID_OK;
    json_decref(params);
    mobid_buf_free(&form);
    mobid_buf_free(&val);
    return err;
}

static json_t *summarize(const mobid_oid4vp_request *req, json_t *claims, const wl_answer *a,
                         const json_t *reply)
{
    json_t *creds = json_array();
    json_t *s;

    for (size_t i = 0; i < a->n; i++)
        json_array_append(creds, json_object_get(a->entry[i], "id"));
    s = json_pack("{s:s,s:s,s:s,s:O,s:o}", "rp", req->registration.name, "rp_id",
                  req->registration.rp_id, "client_id", req->client_id, "claims", claims,
                  "credentials", creds);
    if (s && json_string_value(json_object_get(reply, "redirect_uri")))
        json_object_set(s, "redirect_uri", json_object_get(reply, "redirect_uri"));
    return s;
}

typedef struct px {
    wl_wallet w;
    mobid_oid4vp_request req;
    mobid_dcql *q;
    json_t *claims;
    json_t *vp_token;
    json_t *reply;
    char *client_id;
    wl_answer ans;
    mobid_buf jwt;
} px;

static void px_clear(px *p)
{
    wl_close(&p->w);
    mobid_oid4vp_request_clear(&p->req);
    mobid_dcql_free(p->q);
    json_decref(p->claims);
    json_decref(p->vp_token);
    json_decref(p->reply);
    free(p->client_id);
    mobid_buf_free(&p->jwt);
}

mobid_err mobid_wallet_present(const mobid_wallet_io *io, const char *uri, json_t **summary,
                               char *detail, size_t detail_len)
{
    px p;
    bool sent = false;
    mobid_err err;

    memset(&p, 0, sizeof p);
    mobid_buf_init(&p.jwt, MOBID_WALLET_MAX_HTTP);
    if (summary)
        *summary = NULL;
    err = uri ? wl_open(io, &p.w) : MOBID_ERR_INVALID_ARG;
    if (!err && json_is_true(json_object_get(p.w.outer, "locked")))
        err = MOBID_ERR_WALLET_LOCKED;
    if (!err)
        err = fetch_request(io, uri, &p.client_id, &p.jwt, detail, detail_len);
    /* Without a device secret only the PIN authenticates the anchors the request is
     * checked against: the PIN comes first, so swapped anchors show nothing. */
    if (!err && !p.w.has_dev)
        err = wl_unlock(io, "PIN to share these claims", &p.w);
    if (!err)
        err = verify_request(io, &p.w, p.client_id, mobid_buf_view(&p.jwt), &p.req, detail,
                             detail_len);
    if (!err)
        err = wl_query_prepare(&p.req, &p.q, &p.claims, detail, detail_len);
    if (!err)
        err = ask_consent(io, &p.req, p.claims);
    if (!err && !p.w.unlocked)
        err = wl_unlock(io, "PIN to share these claims", &p.w);
    if (!err)
        err = wl_answer_build(io, &p.w, &p.req, p.q, &p.ans, &p.vp_token, detail, detail_len);
    if (!err)
        err = record(io, &p.w, &p.req, &p.ans, p.claims);
    if (!err) {
        long status = 0;
        err = send_response(io, &p.req, p.vp_token, &p.reply, &status, detail, detail_len);
        if (err == MOBID_ERR_FETCH_FAILED && status == -1)
            (void)unrecord(io, &p.w, &p.ans); /* not saved: the copy just stays spent */
        sent = !err;
    }
    if (!err && summary && !(*summary = summarize(&p.req, p.claims, &p.ans, p.reply)))
        err = MOBID_ERR_NOMEM;
    if (sent)
        refresh_after(io, &p.w, summary ? *summary : NULL);
    px_clear(&p);
    return err;
}
