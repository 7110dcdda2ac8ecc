/*
 * The relying-party registration: a JWT signed by the ministry (typ
 * rp-registration+jwt, x5c) stating who the relying party is, its legal basis and
 * the claims it may ask for per card type. It travels in the request object's
 * verifier_info so a wallet can check it offline (docs/verifier.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/oid4vp.h>
#include "oid4vp_internal.h"

#define SAY(...)                                                  \
    do {                                                          \
        if (detail && detail_len)                                 \
            snprintf(detail, detail_len, __VA_ARGS__);            \
    } while (0)

/* allowed: [{"format":..,"type":..,"claims":[path,...]}, ...] */
static bool allowed_ok(const json_t *allowed)
{
    size_t i, j;
    const json_t *e, *p;
    if (!json_is_array(allowed))
        return false;
    json_array_foreach (allowed, i, e) {
        const char *fmt = json_string_value(json_object_get(e, "format"));
        const json_t *claims = json_object_get(e, "claims");
        if (!fmt || (strcmp(fmt, MOBID_OID4VP_FMT_SDJWT) && strcmp(fmt, MOBID_OID4VP_FMT_MDOC)) ||
            !json_is_string(json_object_get(e, "type")) || !json_is_array(claims))
            return false;
        json_array_foreach (claims, j, p)
            if (!json_is_array(p) || !json_array_size(p))
                return false;
    }
    return true;
}

mobid_err mobid_oid4vp_registration_sign(const mobid_oid4vp_registration_params *p,
                                         mobid_buf *out)
{
    mobid_err err;
    json_t *payload = NULL;

    if (!p || !p->rp_id || !p->name || !p->legal_basis || !allowed_ok(p->allowed) || !p->exp ||
        !out)
        return MOBID_ERR_INVALID_ARG;
    payload = json_pack("{s:s, s:s, s:s, s:O, s:I, s:I}", "sub", p->rp_id, "name", p->name,
                        "legal_basis", p->legal_basis, "allowed", p->allowed, "iat",
                        (json_int_t)(p->iat ? p->iat : mobid_now()), "exp", (json_int_t)p->exp);
    if (!payload || (p->client_id &&
                     json_object_set_new(payload, "client_id", json_string(p->client_id)))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = oid4vp_jwt_sign(p->key, p->x5c, p->x5c_len, MOBID_OID4VP_REGISTRATION_TYP, payload, out);
done:
    json_decref(payload);
    return err;
}

mobid_err mobid_oid4vp_registration_verify(mobid_view jwt, mobid_trust *trust, mobid_time at,
                                           mobid_oid4vp_registration *out)
{
    mobid_err err;
    json_t *pl = NULL;

    if (!out || !trust)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!at)
        at = mobid_now();
    /* only a registrar certificate: not the document or status-list signer that chain
     * to the same ministry root. The same registration comes with every request of a
     * party: the trust set remembers its signature (its chain and claims are checked
     * again below and in oid4vp_jwt_verify, at `at`). */
    err = oid4vp_jwt_verify(jwt, MOBID_OID4VP_REGISTRATION_TYP, trust, at,
                            MOBID_PURPOSE_REGISTRAR, true, &pl, NULL);
    if (err == MOBID_ERR_CERT_USAGE)
        err = MOBID_ERR_REGISTRAR_INVALID;
    if (err)
        goto done;
    out->rp_id = json_string_value(json_object_get(pl, "sub"));
    out->name = json_string_value(json_object_get(pl, "name"));
    out->legal_basis = json_string_value(json_object_get(pl, "legal_basis"));
    out->allowed = json_object_get(pl, "allowed");
    out->client_id = json_string_value(json_object_get(pl, "client_id"));
    out->exp = json_integer_value(json_object_get(pl, "exp"));
    if (!out->rp_id || !out->name || !out->legal_basis || !allowed_ok(out->allowed) ||
        !json_is_integer(json_object_get(pl, "exp"))) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    if (out->exp <= at) {
        err = MOBID_ERR_EXPIRED;
        goto done;
    }
    out->payload = json_incref(pl);
done:
    json_decref(pl);
    if (err)
        memset(out, 0, sizeof *out);
    return err;
}

void mobid_oid4vp_registration_clear(mobid_oid4vp_registration *r)
{
    if (!r)
        return;
    json_decref(r->payload);
    memset(r, 0, sizeof *r);
}

/* An allowed path covers a requested one when it is a prefix of it; null in the
 * allowed path matches any element. */
static bool path_covers(const json_t *allowed, const json_t *req)
{
    if (json_array_size(allowed) > json_array_size(req))
        return false;
    for (size_t i = 0; i < json_array_size(allowed); i++) {
        const json_t *a = json_array_get(allowed, i);
        if (!json_is_null(a) && !json_equal((json_t *)a, json_array_get(req, i)))
            return false;
    }
    return true;
}

static const json_t *entry_for(const mobid_oid4vp_registration *r, const char *fmt,
                               const char *type)
{
    size_t i;
    const json_t *e;
    json_array_foreach (r->allowed, i, e)
        if (!strcmp(json_string_value(json_object_get(e, "format")), fmt) &&
            !strcmp(json_string_value(json_object_get(e, "type")), type))
            return e;
    return NULL;
}

static mobid_err cred_allowed(const mobid_oid4vp_registration *r, const mobid_dcql_cred *c,
                              const char *type, char *detail, size_t detail_len)
{
    const char *fmt = c->format == MOBID_DCQL_SDJWT ? MOBID_OID4VP_FMT_SDJWT : MOBID_OID4VP_FMT_MDOC;
    const json_t *e = entry_for(r, fmt, type);
    if (!e) {
        SAY("%s may not ask for %s credentials of type %s", r->rp_id, fmt, type);
        return MOBID_ERR_CLAIM_NOT_ALLOWED;
    }
    if (c->n_claims == 0) {
        /* No claims listed means the whole credential: only for an "everything" grant. */
        SAY("%s must name the claims it asks for (credential query %s)", r->rp_id, c->id);
        return MOBID_ERR_CLAIM_NOT_ALLOWED;
    }
    for (size_t i = 0; i < c->n_claims; i++) {
        bool ok = false;
        size_t k;
        const json_t *p;
        json_array_foreach (json_object_get(e, "claims"), k, p)
            ok |= path_covers(p, c->claims[i].path);
        if (!ok) {
            char *s = json_dumps(c->claims[i].path, JSON_COMPACT);
            SAY("%s is not registered for claim %s of %s", r->rp_id, s ? s : "?", type);
            free(s);
            return MOBID_ERR_CLAIM_NOT_ALLOWED;
        }
    }
    return MOBID_OK;
}

mobid_err mobid_oid4vp_registration_allows(const mobid_oid4vp_registration *r, const mobid_dcql *q,
                                           char *detail, size_t detail_len)
{
    if (!r || !r->allowed || !q)
        return MOBID_ERR_INVALID_ARG;
    for (size_t i = 0; i < q->n_creds; i++) {
        size_t k;
        const json_t *t;
        json_array_foreach (q->creds[i].types, k, t) {
            mobid_err err = cred_allowed(r, &q->creds[i], json_string_value(t), detail, detail_len);
            if (err)
                return err;
        }
    }
    return MOBID_OK;
}
