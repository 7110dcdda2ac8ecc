/*
 * Request objects (OpenID4VP 1.0 §5, HAIP): built and signed by the verifier,
 * verified by the wallet.
 */
#include <string.h>
#include <mobid/jose.h>
#include "oid4vp_internal.h"

#define NONCE_MIN_CHARS 22 /* 128 bits of base64url */

mobid_err mobid_oid4vp_client_id(const mobid_cert *leaf, mobid_buf *out)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_err err;
    if (!leaf || !out)
        return MOBID_ERR_INVALID_ARG;
    if ((err = mobid_hash(MOBID_HASH_SHA256, mobid_cert_der(leaf), h)))
        return err;
    mobid_buf_append_str(out, "x509_hash:");
    return mobid_b64url_encode(mobid_view_make(h, 32), out);
}

mobid_err mobid_oid4vp_random_token(mobid_buf *out)
{
    uint8_t r[32];
    mobid_err err = mobid_random(r, sizeof r);
    if (!err)
        err = mobid_b64url_encode(mobid_view_make(r, sizeof r), out);
    mobid_wipe(r, sizeof r);
    return err;
}

/* client_metadata: formats, and for direct_post.jwt the encryption key. */
static mobid_err client_metadata(const mobid_oid4vp_request_params *p, json_t **out)
{
    mobid_err err = MOBID_OK;
    json_t *jwk = NULL;
    mobid_buf kid = { 0 };
    /* OpenID4VP 1.0 Appendix B: mdoc algorithms are COSE numbers (ES256 -7, ES384
     * -35, ES512 -36) for the issuer's and the device's signature. */
    json_t *md = json_pack(
        "{s:{s:{s:[i,i,i], s:[i,i,i]}, s:{s:[s,s,s], s:[s,s,s]}}}", "vp_formats_supported",
        MOBID_OID4VP_FMT_MDOC, "issuerauth_alg_values", -7, -35, -36, "deviceauth_alg_values",
        -7, -35, -36, MOBID_OID4VP_FMT_SDJWT,
        "sd-jwt_alg_values", "ES256", "ES384", "ES512", "kb-jwt_alg_values", "ES256", "ES384",
        "ES512");
    if (!md)
        return MOBID_ERR_NOMEM;
    if (p->encrypted) {
        mobid_buf_init(&kid, 0);
        if ((err = mobid_jwk_from_key(p->enc_key, false, &jwk)) ||
            (err = mobid_jwk_thumbprint_key(p->enc_key, &kid)) || (err = mobid_buf_terminate(&kid)))
            goto done;
        if (json_object_set_new(jwk, "use", json_string("enc")) ||
            json_object_set_new(jwk, "alg", json_string("ECDH-ES")) ||
            json_object_set_new(jwk, "kid", json_string((char *)kid.ptr)) ||
            json_object_set_new(md, "jwks", json_pack("{s:[O]}", "keys", jwk)) ||
            json_object_set_new(md, "encrypted_response_enc_values_supported",
                                json_pack("[s,s]", "A128GCM", "A256GCM"))) {
            err = MOBID_ERR_NOMEM;
            goto done;
        }
    }
done:
    json_decref(jwk);
    mobid_buf_free(&kid);
    if (err)
        json_decref(md);
    else
        *out = md;
    return err;
}

mobid_err mobid_oid4vp_request_sign(const mobid_oid4vp_request_params *p, mobid_buf *out)
{
    mobid_err err;
    json_t *pl = NULL, *md = NULL;
    mobid_buf cid = { 0 };

    if (!p || !p->x5c || !p->x5c_len || !p->response_uri || !p->nonce ||
        strlen(p->nonce) < NONCE_MIN_CHARS || !p->state || !json_is_object(p->dcql_query) ||
        (p->encrypted && mobid_key_curve(p->enc_key) != MOBID_CURVE_P256) || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&cid, 0);
    if ((err = mobid_oid4vp_client_id(p->x5c[0], &cid)) || (err = mobid_buf_terminate(&cid)) ||
        (err = client_metadata(p, &md)))
        goto done;
    mobid_time iat = p->iat ? p->iat : mobid_now();
    pl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:I, s:I}", "iss",
                   (char *)cid.ptr, "aud", "https://self-issued.me/v2", "client_id",
                   (char *)cid.ptr, "response_type", "vp_token", "response_mode",
                   p->encrypted ? "direct_post.jwt" : "direct_post", "response_uri",
                   p->response_uri, "nonce", p->nonce, "dcql_query", p->dcql_query,
                   "client_metadata", md, "iat", (json_int_t)iat, "exp",
                   (json_int_t)(p->exp ? p->exp : iat + 180));
    if (!pl || json_object_set_new(pl, "state", json_string(p->state)) ||
        (p->registration &&
         json_object_set_new(pl, "verifier_info",
                             json_pack("[{s:s, s:s}]", "format", "jwt", "data", p->registration)))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = oid4vp_jwt_sign(p->key, p->x5c, p->x5c_len, MOBID_OID4VP_REQUEST_TYP, pl, out);
done:
    json_decref(pl);
    json_decref(md);
    mobid_buf_free(&cid);
    return err;
}

/* The one encryption key of client_metadata.jwks (P-256, ECDH-ES), and its kid. */
static mobid_err enc_key_of(const json_t *pl, mobid_key **out, const char **kid)
{
    const json_t *keys = json_object_get(json_object_get(json_object_get(pl, "client_metadata"),
                                                         "jwks"), "keys");
    size_t i;
    const json_t *k;
    json_array_foreach (keys, i, k) {
        const char *use = json_string_value(json_object_get(k, "use"));
        if (use && strcmp(use, "enc"))
            continue;
        mobid_err err = mobid_jwk_to_key(k, out);
        if (err)
            return err;
        *kid = json_string_value(json_object_get(k, "kid"));
        if (mobid_key_curve(*out) != MOBID_CURVE_P256) {
            mobid_key_free(*out);
            *out = NULL;
            return MOBID_ERR_UNSUPPORTED;
        }
        return MOBID_OK;
    }
    return MOBID_ERR_MALFORMED;
}

static mobid_err check_registration(mobid_oid4vp_request *r, mobid_trust *reg_trust,
                                    mobid_time at)
{
    const json_t *vi = json_object_get(r->payload, "verifier_info");
    const char *jwt = NULL;
    size_t i;
    const json_t *e;
    mobid_dcql *q = NULL;
    mobid_err err;

    json_array_foreach (vi, i, e)
        if (!jwt && json_is_string(json_object_get(e, "data")))
            jwt = json_string_value(json_object_get(e, "data"));
    if (!jwt)
        return MOBID_ERR_RP_NOT_REGISTERED;
    err = mobid_oid4vp_registration_verify(mobid_view_str(jwt), reg_trust, at, &r->registration);
    /* signed by a registrar the ministry's anchors do not know: no registration from
     * the ministry, as if it had none (a registration that is broken, expired or signed
     * under the ministry by a key that is no registrar keeps its own code) */
    if (err == MOBID_ERR_UNTRUSTED_ISSUER)
        return MOBID_ERR_RP_NOT_REGISTERED;
    if (err)
        return err;
    r->has_registration = true;
    if (r->registration.client_id && strcmp(r->registration.client_id, r->client_id))
        return MOBID_ERR_SUBJECT_MISMATCH;
    if ((err = mobid_dcql_parse(r->dcql_query, &q, NULL, 0)))
        return err;
    err = mobid_oid4vp_registration_allows(&r->registration, q, NULL, 0);
    mobid_dcql_free(q);
    return err;
}

static mobid_err read_members(mobid_oid4vp_request *r, const mobid_cert *leaf)
{
    const json_t *pl = r->payload;
    mobid_buf cid = { 0 };
    mobid_err err = MOBID_ERR_MALFORMED;
    const char *mode = json_string_value(json_object_get(pl, "response_mode"));
    const char *rtype = json_string_value(json_object_get(pl, "response_type"));

    r->client_id = json_string_value(json_object_get(pl, "client_id"));
    r->nonce = json_string_value(json_object_get(pl, "nonce"));
    r->state = json_string_value(json_object_get(pl, "state"));
    r->response_uri = json_string_value(json_object_get(pl, "response_uri"));
    r->dcql_query = json_object_get(pl, "dcql_query");
    if (!r->client_id || !r->nonce || strlen(r->nonce) < NONCE_MIN_CHARS || !r->response_uri ||
        !json_is_object(r->dcql_query) || !rtype || strcmp(rtype, "vp_token") || !mode ||
        (strcmp(mode, "direct_post") && strcmp(mode, "direct_post.jwt")))
        goto done;
    mobid_buf_init(&cid, 0);
    if ((err = mobid_oid4vp_client_id(leaf, &cid)))
        goto done;
    if (!mobid_view_eq_str(mobid_buf_view(&cid), r->client_id)) {
        err = MOBID_ERR_SUBJECT_MISMATCH;
        goto done;
    }
    r->encrypted = !strcmp(mode, "direct_post.jwt");
    err = r->encrypted ? enc_key_of(pl, &r->enc_key, &r->enc_kid) : MOBID_OK;
    mobid_buf_free(&cid);
    mobid_buf_init(&cid, 0);
    /* the subject is shown to the holder; a certificate without one shows none */
    if (!err && mobid_cert_subject(leaf, &cid) == MOBID_OK && mobid_buf_terminate(&cid) == MOBID_OK)
        r->subject = mobid_buf_detach_str(&cid);
done:
    mobid_buf_free(&cid);
    return err;
}

mobid_err mobid_oid4vp_request_verify(mobid_view jwt, mobid_trust *rp_trust, mobid_trust *reg_trust,
                                      mobid_time at, mobid_oid4vp_request *out)
{
    mobid_err err;
    mobid_cert *leaf = NULL;

    if (!out || !rp_trust)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!at)
        at = mobid_now();
    if ((err = oid4vp_jwt_verify(jwt, MOBID_OID4VP_REQUEST_TYP, rp_trust, at,
                                 MOBID_PURPOSE_SIGNING, false, &out->payload,
                                 &leaf)) ||
        (err = read_members(out, leaf)))
        goto done;
    const json_t *exp = json_object_get(out->payload, "exp");
    if (exp && (!json_is_integer(exp) || json_integer_value(exp) <= at)) {
        err = json_is_integer(exp) ? MOBID_ERR_EXPIRED : MOBID_ERR_MALFORMED;
        goto done;
    }
    if (reg_trust)
        err = check_registration(out, reg_trust, at);
done:
    mobid_cert_free(leaf);
    if (err)
        mobid_oid4vp_request_clear(out);
    return err;
}

void mobid_oid4vp_request_clear(mobid_oid4vp_request *r)
{
    if (!r)
        return;
    mobid_oid4vp_registration_clear(&r->registration);
    mobid_key_free(r->enc_key);
    json_decref(r->payload);
    free(r->subject);
    memset(r, 0, sizeof *r);
}
