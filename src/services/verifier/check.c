/*
 * Verifying a vp_token: each presentation by its format (SD-JWT VC with a KB-JWT
 * bound to nonce and client_id; mdoc with the OpenID4VPHandover SessionTranscript),
 * the issuer chain to the configured roots, the status list entry, the type and
 * claims the DCQL credential query asks for. Only requested claims are passed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/jose.h>
#include "services/verifier/verifier.h"

#define SAY(...) snprintf(detail, detail_len, __VA_ARGS__)

static mobid_err check_status(const verifier_check *c, const mobid_status_ref *ref, char *detail,
                              size_t detail_len)
{
    unsigned value = 0;
    verifier_ctx *ctx = (verifier_ctx *)c->ctx;
    pthread_mutex_lock(&ctx->status_lock);
    mobid_err err = mobid_statuslist_check(ctx->status, ref, c->now, &value);
    pthread_mutex_unlock(&ctx->status_lock);
    if (err) {
        SAY("status list %s: %s", ref->uri, mobid_svc_strerror(err));
        return err;
    }
    if (value == MOBID_STATUS_VALID)
        return MOBID_OK;
    SAY("status list %s entry %llu is %u", ref->uri, (unsigned long long)ref->idx, value);
    return value == MOBID_STATUS_SUSPENDED ? MOBID_ERR_SUSPENDED : MOBID_ERR_REVOKED;
}

/* SD-JWT VC type metadata at an https vct: a vct#integrity the issuer signed must match
 * the document served there; with "type_metadata": "always" every https vct must serve
 * its own type metadata. */
static mobid_err check_type(const verifier_check *c, const json_t *claims, const char *vct,
                            char *detail, size_t detail_len)
{
    const json_t *integrity = json_object_get(claims, "vct#integrity");
    json_t *doc = NULL;
    bool always = c->ctx->type_always && vct && !strncmp(vct, "https://", 8);
    if (!c->ctx->type_meta || !vct || (!integrity && !always))
        return MOBID_OK;
    if (integrity && !json_is_string(integrity)) {
        SAY("vct#integrity is not a string");
        return MOBID_ERR_MALFORMED;
    }
    mobid_err err = mobid_sdjwt_type_metadata(c->ctx->type_meta, vct, json_string_value(integrity),
                                              c->now, &doc, detail, detail_len);
    json_decref(doc);
    return err;
}

static mobid_err check_sdjwt(const verifier_check *c, const verifier_trustset *ts,
                             const mobid_dcql_cred *q, const char *pres, json_t **out,
                             char *detail, size_t detail_len)
{
    mobid_sdjwt_result res = { 0 };
    mobid_status_ref ref = { 0 };
    mobid_buf st = { 0 };
    mobid_sdjwt_verify_opts o = { 0 };
    mobid_err err;

    o.trust = ts->trust;
    o.cache = ts->sdjwt_cache;
    o.issuers = c->ctx->issuer_meta;
    o.now = c->now;
    o.skew = -1;
    o.require_kb = true;
    o.nonce = c->nonce;
    o.aud = c->client_id;
    mobid_buf_init(&st, 0);
    if ((err = mobid_sdjwt_verify(mobid_view_str(pres), &o, &res))) {
        SAY("%s: %s", q->id, res.detail[0] ? res.detail : mobid_svc_strerror(err));
        goto done;
    }
    if (c->holder_proven)
        *c->holder_proven = true;
    const char *vct = json_string_value(json_object_get(res.claims, "vct"));
    if (!mobid_dcql_cred_accepts(q, MOBID_DCQL_SDJWT, vct)) {
        SAY("%s: credential type %s was not asked for", q->id, vct ? vct : "(none)");
        err = MOBID_ERR_DCQL_UNSATISFIED;
        goto done;
    }
    if ((err = check_type(c, res.claims, vct, detail, detail_len)))
        goto done;
    const json_t *status = json_object_get(res.claims, "status");
    if (status) {
        if ((err = mobid_json_dump(status, false, &st)) ||
            (err = mobid_status_ref_from_json(mobid_buf_view(&st), &ref)) ||
            (err = check_status(c, &ref, detail, detail_len)))
            goto done;
    }
    err = mobid_dcql_select(q, res.claims, out, detail, detail_len);
done:
    mobid_status_ref_clear(&ref);
    mobid_buf_free(&st);
    mobid_sdjwt_result_clear(&res);
    return err;
}

static mobid_err check_mdoc_doc(const verifier_check *c, const mobid_dcql_cred *q,
                                const mobid_mdoc_doc *d, json_t **out, char *detail,
                                size_t detail_len)
{
    char doctype[128];
    json_t *claims = NULL;
    mobid_err err;

    snprintf(doctype, sizeof doctype, "%.*s", (int)d->doctype.len, (const char *)d->doctype.ptr);
    if (!mobid_dcql_cred_accepts(q, MOBID_DCQL_MDOC, doctype)) {
        SAY("%s: docType %s was not asked for", q->id, doctype);
        return MOBID_ERR_DCQL_UNSATISFIED;
    }
    if (d->has_status) {
        mobid_status_ref ref = { d->status_idx, mobid_view_strdup(d->status_uri) };
        err = ref.uri ? check_status(c, &ref, detail, detail_len) : MOBID_ERR_NOMEM;
        mobid_status_ref_clear(&ref);
        if (err)
            return err;
    }
    if ((err = mobid_mdoc_doc_claims_json(d, &claims)))
        return err;
    err = mobid_dcql_select(q, claims, out, detail, detail_len);
    json_decref(claims);
    return err;
}

static mobid_err check_mdoc(const verifier_check *c, const verifier_trustset *ts,
                            const mobid_dcql_cred *q, const char *pres, json_t **out,
                            char *detail, size_t detail_len)
{
    mobid_buf resp = { 0 }, tr = { 0 };
    mobid_mdoc_result res = { 0 };
    mobid_mdoc_verify_opts o = { 0 };
    mobid_err err;

    mobid_buf_init(&resp, MOBID_MDOC_MAX_INPUT);
    mobid_buf_init(&tr, 0);
    if ((err = mobid_b64url_decode(mobid_view_str(pres), &resp))) {
        SAY("%s: the DeviceResponse is not base64url", q->id);
        goto done;
    }
    if ((err = mobid_mdoc_transcript_oid4vp(c->client_id, c->nonce, c->jwk_thumbprint,
                                            c->response_uri, &tr)))
        goto done;
    o.transcript = mobid_buf_view(&tr);
    o.at = c->now;
    if ((err = mobid_mdoc_verify(ts->mdoc, mobid_buf_view(&resp), &o, &res))) {
        SAY("%s: %s", q->id, res.detail[0] ? res.detail : mobid_svc_strerror(err));
        goto done;
    }
    if (c->holder_proven)
        *c->holder_proven = true;
    if (res.n_docs != 1) {
        SAY("%s: one document per presentation expected", q->id);
        err = MOBID_ERR_DCQL_UNSATISFIED;
        goto done;
    }
    err = check_mdoc_doc(c, q, &res.docs[0], out, detail, detail_len);
    if (err == MOBID_OK && c->warnings)
        *c->warnings |= res.docs[0].warnings;
done:
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&resp);
    mobid_buf_free(&tr);
    return err;
}

/* All presentations answering one credential query. */
static mobid_err check_entry(const verifier_check *c, const verifier_trustset *ts,
                             const mobid_dcql_cred *q, const json_t *arr, json_t *claims,
                             char *detail, size_t detail_len)
{
    json_t *list = json_array();
    size_t i;
    const json_t *p;
    mobid_err err = list ? MOBID_OK : MOBID_ERR_NOMEM;

    json_array_foreach (arr, i, p) {
        json_t *sel = NULL;
        const char *s = json_string_value(p);
        if (err)
            break;
        err = q->format == MOBID_DCQL_SDJWT ? check_sdjwt(c, ts, q, s, &sel, detail, detail_len)
                                            : check_mdoc(c, ts, q, s, &sel, detail, detail_len);
        if (!err && json_array_append_new(list, sel))
            err = MOBID_ERR_NOMEM;
    }
    if (!err && json_object_set(claims, q->id, q->multiple ? list : json_array_get(list, 0)))
        err = MOBID_ERR_NOMEM;
    json_decref(list);
    return err;
}

mobid_err verifier_check_vp_token(const verifier_check *c, const json_t *vp_token, json_t **claims,
                                  char *detail, size_t detail_len)
{
    json_t *tok = NULL, *out = json_object();
    const char **answered = NULL;
    const char *id;
    json_t *arr;
    size_t n = 0;
    mobid_err err;

    *claims = NULL;
    if (!out)
        return MOBID_ERR_NOMEM;
    /* One trust snapshot for the whole token, even if the lists refresh meanwhile. */
    const verifier_trustset *ts = verifier_trust_acquire((verifier_ctx *)c->ctx, c->now);
    if ((err = mobid_oid4vp_vp_token_parse(vp_token, c->query, &tok))) {
        SAY("vp_token: %s", mobid_svc_strerror(err));
        goto done;
    }
    if (!(answered = calloc(json_object_size(tok) + 1, sizeof *answered))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    json_object_foreach (tok, id, arr) {
        if ((err = check_entry(c, ts, mobid_dcql_find(c->query, id), arr, out, detail,
                               detail_len)))
            goto done;
        answered[n++] = id;
    }
    if ((err = mobid_dcql_satisfied(c->query, answered))) {
        SAY("the vp_token leaves a required credential query unanswered");
        goto done;
    }
    *claims = json_incref(out);
done:
    verifier_trust_release((verifier_ctx *)c->ctx, ts);
    free(answered);
    json_decref(tok);
    json_decref(out);
    return err;
}

json_t *verifier_result_json(const json_t *claims, unsigned warnings)
{
    json_t *w = json_array();
    for (unsigned bit = 1; w && bit <= MOBID_TRUST_WARN_ALL; bit <<= 1)
        if ((warnings & bit) && mobid_trust_warning_name(bit))
            json_array_append_new(w, json_string(mobid_trust_warning_name(bit)));
    return w ? json_pack("{s:O,s:o}", "claims", claims, "warnings", w) : NULL;
}
