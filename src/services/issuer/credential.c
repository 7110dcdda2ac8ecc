/*
 * issuer: building one credential (mso_mdoc or dc+sd-jwt) of a card type for one
 * holder key, from the claim values of the offer. Every claim is selectively
 * disclosable. Claim names per format come from the card type: the element identifier
 * in mdoc, the SD-JWT VC path (EU PID names) in dc+sd-jwt; computed claims (ages, the
 * card's dates and number, constants) are made here at issuance.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <mobid/cbor.h>
#include <mobid/mdoc.h>
#include <mobid/sdjwt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRED_MAX_CLAIMS 64

/* Age in whole years on the day of `at` for a "YYYY-MM-DD" birth date; -1 if
 * unreadable. by_year: the Youth Protection Act's count, the year of `at` minus the
 * year of birth (one is 19 from 1 January of the year one turns 19). */
static int64_t age_at(const char *birth, mobid_time at, bool by_year)
{
    int64_t days, by, ny;
    unsigned m, d;
    if (!birth || mobid_date_parse(mobid_view_str(birth), &days) != MOBID_OK)
        return -1;
    if (!by_year)
        return mobid_age_years(days, at / 86400);
    mobid_civil_from_days(days, &by, &m, &d);
    mobid_civil_from_days(at / 86400, &ny, &m, &d);
    return ny - by;
}

static json_t *date_json(mobid_time t)
{
    char s[11];
    return mobid_date_format(t / 86400, s) == MOBID_OK ? json_string(s) : NULL;
}

/* A claim's value (new reference), computed ones included; NULL when absent. */
static json_t *claim_value(const issuer_cred_in *in, const issuer_claim *c)
{
    const char *birth = json_string_value(json_object_get(in->claims, "birth_date"));
    int64_t age;
    if (c->kind != ISSUER_CLAIM_COMPUTED)
        return json_incref(json_object_get(in->claims, c->name));
    switch (c->computed) {
    case ISSUER_COMPUTED_AGE_OVER:
    case ISSUER_COMPUTED_AGE_BY_YEAR:
        age = age_at(birth, in->now, c->computed == ISSUER_COMPUTED_AGE_BY_YEAR);
        return age >= 0 ? json_boolean(age >= c->age) : NULL;
    case ISSUER_COMPUTED_ISSUED_ON: /* the card's: its expiry less its validity */
        return date_json(in->exp - in->ct->validity_s);
    case ISSUER_COMPUTED_EXPIRES_ON:
        return date_json(in->exp);
    case ISSUER_COMPUTED_CARD_ID:
        return in->card_id ? json_string(in->card_id) : NULL;
    case ISSUER_COMPUTED_VALUE:
        return json_incref(c->value);
    }
    return NULL;
}

static bool is_date(const issuer_claim *c)
{
    return c->kind == ISSUER_CLAIM_DATE ||
           (c->kind == ISSUER_CLAIM_COMPUTED && (c->computed == ISSUER_COMPUTED_ISSUED_ON ||
                                                 c->computed == ISSUER_COMPUTED_EXPIRES_ON));
}

/* ISO 18013-5 7.2.4: a DrivingPrivilege's issue_date and expiry_date are full-dates
 * (tag 1004) in mdoc, while the application holds them as "YYYY-MM-DD" strings like
 * every other date. A copy of the array with those members tagged for the mdoc JSON
 * bridge (new reference; NULL when out of memory). */
static json_t *privileges_dates(json_t *v)
{
    static const char *const dated[] = { "issue_date", "expiry_date" };
    json_t *out = json_deep_copy(v), *p;
    size_t i;
    json_array_foreach (out, i, p) {
        for (size_t k = 0; json_is_object(p) && k < sizeof dated / sizeof *dated; k++) {
            json_t *d = json_object_get(p, dated[k]);
            if (json_is_string(d))
                json_object_set_new(p, dated[k], json_pack("{s:O}", "$date", d));
        }
    }
    return out;
}

/* A claim value as the mdoc JSON bridge wants it (dates and bytes tagged). */
static json_t *mdoc_value(const issuer_claim *c, json_t *v)
{
    if (is_date(c) && json_is_string(v))
        return json_pack("{s:O}", "$date", v);
    if (c->kind == ISSUER_CLAIM_BYTES && json_is_string(v))
        return json_pack("{s:O}", "$bytes", v);
    if (c->kind == ISSUER_CLAIM_JSON && json_is_array(v) && !strcmp(c->name, "driving_privileges"))
        return privileges_dates(v);
    return json_incref(v);
}

static mobid_err mdoc_build(const issuer_cred_in *in, mobid_buf *out)
{
    mobid_mdoc_element el[CRED_MAX_CLAIMS];
    mobid_buf vals[CRED_MAX_CLAIMS];
    unsigned ages[CRED_MAX_CLAIMS];
    size_t n = 0, nages = 0;
    mobid_err err = MOBID_OK;
    memset(vals, 0, sizeof vals);
    for (size_t i = 0; i < in->ct->nclaims && err == MOBID_OK; i++) {
        const issuer_claim *c = &in->ct->claims[i];
        /* age_over_NN: the mdoc library computes them from birth_date */
        if (c->kind == ISSUER_CLAIM_COMPUTED && c->computed == ISSUER_COMPUTED_AGE_OVER) {
            if (json_object_get(in->claims, "birth_date"))
                ages[nages++] = (unsigned)c->age;
            continue;
        }
        json_t *v = claim_value(in, c);
        if (!v)
            continue;
        json_t *mv = mdoc_value(c, v);
        json_decref(v);
        mobid_cbor_enc enc;
        mobid_cbor_enc_init(&enc, &vals[n]);
        err = mv ? mobid_mdoc_value_from_json(mv, &enc) : MOBID_ERR_NOMEM;
        if (err == MOBID_OK)
            err = mobid_cbor_enc_finish(&enc);
        json_decref(mv);
        el[n] = (mobid_mdoc_element){ in->ct->ns, c->name, mobid_buf_view(&vals[n]) };
        n++;
    }
    mobid_cert *chain[1] = { in->signer->cert };
    mobid_mdoc_issue_opts o = { .doctype = in->ct->doctype, .elements = el, .n_elements = n,
                                .issuer_key = in->signer->key, .chain = chain, .n_chain = 1,
                                .device_key = in->holder, .signed_at = in->now,
                                .valid_from = in->now, .valid_until = in->exp,
                                .status_uri = in->status_uri, .status_idx = in->status_idx,
                                .age_over = ages, .n_age_over = nages, .age_ns = in->ct->ns,
                                .birth_ns = in->ct->ns, .birth_id = "birth_date" };
    mobid_buf raw = { 0 };
    if (err == MOBID_OK)
        err = mobid_mdoc_issue(&o, &raw);
    if (err == MOBID_OK) /* OpenID4VCI: base64url of the IssuerSigned structure */
        err = mobid_b64url_encode(mobid_buf_view(&raw), out);
    for (size_t i = 0; i < n; i++)
        mobid_buf_free(&vals[i]);
    mobid_buf_free(&raw);
    return err;
}

/* Put v (stolen) at the '/'-joined path in obj, creating the objects on the way. */
static mobid_err set_path(json_t *obj, const char *path, json_t *v)
{
    char seg[80];
    const char *slash;
    while ((slash = strchr(path, '/'))) {
        json_t *child;
        snprintf(seg, sizeof seg, "%.*s", (int)(slash - path), path);
        if (!(child = json_object_get(obj, seg))) {
            if (json_object_set_new(obj, seg, child = json_object()) || !child) {
                json_decref(v);
                return MOBID_ERR_NOMEM;
            }
        }
        obj = child;
        path = slash + 1;
    }
    return json_object_set_new(obj, path, v) ? MOBID_ERR_NOMEM : MOBID_OK;
}

static mobid_err sdjwt_build(const issuer_cred_in *in, mobid_buf *out)
{
    const char *paths[CRED_MAX_CLAIMS + 1];
    size_t np = 0;
    json_t *claims = json_object();
    mobid_err err = claims ? MOBID_OK : MOBID_ERR_NOMEM;
    for (size_t i = 0; i < in->ct->nclaims && err == MOBID_OK; i++) {
        const issuer_claim *c = &in->ct->claims[i];
        json_t *v = claim_value(in, c);
        if (!v)
            continue;
        if (c->sd_array && !json_is_array(v)) {
            json_t *a = json_array();
            if (!a || json_array_append_new(a, v)) {
                json_decref(a);
                err = MOBID_ERR_NOMEM;
                break;
            }
            v = a;
        }
        err = set_path(claims, c->sd_path, v);
        if (np < CRED_MAX_CLAIMS)
            paths[np++] = c->sd_path;
    }
    paths[np] = NULL;
    mobid_cert *chain[1] = { in->signer->cert };
    /* kid names the signer in /.well-known/jwt-vc-issuer, for verifiers that trust
     * this issuer by its identifier rather than by x5c. */
    json_t *hdr = json_pack("{s:s}", "kid", in->signer->id);
    if (!hdr)
        err = MOBID_ERR_NOMEM;
    mobid_sdjwt_issue_params p = { .claims = claims, .sd_paths = paths, .vct = in->ct->vct,
                                   .iss = in->issuer_url, .iat = in->now, .nbf = in->now,
                                   .exp = in->exp, .holder_key = in->holder,
                                   .status_uri = in->status_uri,
                                   .status_idx = (int64_t)in->status_idx,
                                   .issuer_key = in->signer->key, .x5c = chain, .x5c_len = 1,
                                   .extra_header = hdr };
    if (err == MOBID_OK)
        err = mobid_sdjwt_issue(&p, out);
    json_decref(hdr);
    json_decref(claims);
    return err;
}

mobid_err issuer_credential_build(const issuer_cred_in *in, mobid_buf *out)
{
    if (!in || !in->ct || !in->signer || !in->holder || !in->claims)
        return MOBID_ERR_INVALID_ARG;
    if (in->ct->nclaims > CRED_MAX_CLAIMS)
        return MOBID_ERR_LIMIT;
    return in->format == ISSUER_FMT_MDOC ? mdoc_build(in, out) : sdjwt_build(in, out);
}
