/*
 * Request objects (OpenID4VP 1.0 §5, HAIP): built and signed by the verifier,
 * verified by the wallet.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* What every request object of one access certificate shares, written once: the
 * encoded protected header (alg, typ, x5c), the client_id as a JSON string, the
 * formats of client_metadata and verifier_info. Per request only the session's
 * values are written around them; the bytes are those a jansson object of the
 * same members in the same order would dump to. */
struct mobid_oid4vp_request_signer {
    mobid_key *key;
    mobid_alg alg;
    char *header_b64;    /* base64url of {"alg":..,"typ":..,"x5c":[..]} */
    char *client_id;     /* "x509_hash:..." with its quotes */
    char *formats;       /* {"vp_formats_supported":{..} without the closing brace */
    char *verifier_info; /* [{"format":"jwt","data":..}], or NULL */
};

/* OpenID4VP 1.0 Appendix B: mdoc algorithms are COSE numbers (ES256 -7, ES384 -35,
 * ES512 -36) for the issuer's and the device's signature. */
static json_t *formats_json(void)
{
    return json_pack("{s:{s:{s:[i,i,i], s:[i,i,i]}, s:{s:[s,s,s], s:[s,s,s]}}}",
                     "vp_formats_supported", MOBID_OID4VP_FMT_MDOC, "issuerauth_alg_values", -7,
                     -35, -36, "deviceauth_alg_values", -7, -35, -36, MOBID_OID4VP_FMT_SDJWT,
                     "sd-jwt_alg_values", "ES256", "ES384", "ES512", "kb-jwt_alg_values",
                     "ES256", "ES384", "ES512");
}

/* j dumped as a heap string (without its last byte when cut_last); j is released. */
static char *dump_str(json_t *j, bool cut_last)
{
    mobid_buf b = { 0 };
    char *s = NULL;
    mobid_buf_init(&b, 0);
    if (j && mobid_json_dump(j, false, &b) == MOBID_OK && b.len) {
        b.len -= cut_last;
        if (mobid_buf_terminate(&b) == MOBID_OK)
            s = mobid_buf_detach_str(&b);
    }
    json_decref(j);
    mobid_buf_free(&b);
    return s;
}

static mobid_err signer_header(mobid_oid4vp_request_signer *s, mobid_cert *const *x5c,
                               size_t x5c_len)
{
    json_t *chain = NULL;
    mobid_buf b = { 0 };
    char *text = NULL;
    mobid_err err;
    mobid_buf_init(&b, 0);
    if ((err = mobid_jose_x5c_from_certs(x5c, x5c_len, &chain)))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(text = dump_str(json_pack("{s:s, s:s, s:O}", "alg", mobid_jose_alg_name(s->alg), "typ",
                                    MOBID_OID4VP_REQUEST_TYP, "x5c", chain), false)))
        goto done;
    if (!(err = mobid_b64url_encode(mobid_view_str(text), &b)) &&
        !(err = mobid_buf_terminate(&b)))
        s->header_b64 = mobid_buf_detach_str(&b);
done:
    json_decref(chain);
    free(text);
    mobid_buf_free(&b);
    return err;
}

mobid_err mobid_oid4vp_request_signer_new(mobid_key *key, mobid_cert *const *x5c, size_t x5c_len,
                                          const char *registration,
                                          mobid_oid4vp_request_signer **out)
{
    mobid_oid4vp_request_signer *s = NULL;
    mobid_buf cid = { 0 };
    mobid_err err = MOBID_ERR_INVALID_ARG;

    if (!out || !key || !x5c || !x5c_len || !x5c[0] || !mobid_key_has_private(key))
        return err;
    *out = NULL;
    if (!(s = mobid_calloc(1, sizeof *s)))
        return MOBID_ERR_NOMEM;
    s->key = mobid_key_ref(key);
    if ((s->alg = oid4vp_jwt_alg(key)) == MOBID_ALG_NONE)
        goto done;
    mobid_buf_init(&cid, 0);
    if ((err = signer_header(s, x5c, x5c_len)) || (err = mobid_oid4vp_client_id(x5c[0], &cid)) ||
        (err = mobid_buf_terminate(&cid)))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(s->client_id = dump_str(json_string((const char *)cid.ptr), false)) ||
        !(s->formats = dump_str(formats_json(), true)))
        goto done;
    if (registration &&
        !(s->verifier_info = dump_str(json_pack("[{s:s, s:s}]", "format", "jwt", "data",
                                                registration), false)))
        goto done;
    err = MOBID_OK;
done:
    mobid_buf_free(&cid);
    if (err)
        mobid_oid4vp_request_signer_free(s);
    else
        *out = s;
    return err;
}

void mobid_oid4vp_request_signer_free(mobid_oid4vp_request_signer *s)
{
    if (!s)
        return;
    mobid_key_free(s->key);
    free(s->header_b64);
    free(s->client_id);
    free(s->formats);
    free(s->verifier_info);
    mobid_free(s);
}

/* "name": and a string, escaped as mobid_json_dump escapes it. Invalid UTF-8 is
 * refused, as json_string refuses it. */
static void put_str(mobid_buf *b, const char *name, const char *v, mobid_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    mobid_buf_append_byte(b, '"');
    mobid_buf_append_str(b, name);
    mobid_buf_append_str(b, "\":\"");
    if (!mobid_utf8_valid(mobid_view_str(v)))
        *err = MOBID_ERR_INVALID_ARG;
    for (const uint8_t *p = (const uint8_t *)v; *p; p++) {
        const uint8_t *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        mobid_buf_append(b, run, (size_t)(p - run));
        if (!*p)
            break;
        char esc[6] = { '\\', (char)*p, '0', '0', hex[*p >> 4], hex[*p & 15] };
        const char *named = *p == '"' || *p == '\\' ? NULL : strchr("\bb\ff\nn\rr\tt", *p);
        if (named)
            esc[1] = named[1];
        else if (*p < 0x20)
            esc[1] = 'u';
        mobid_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
    }
    mobid_buf_append_byte(b, '"');
}

/* client_metadata's jwks: the session key, for ECDH-ES, with its thumbprint as kid. */
static mobid_err put_jwks(mobid_buf *b, const mobid_key *enc)
{
    json_t *jwk = NULL;
    mobid_buf kid = { 0 };
    mobid_err err;
    mobid_buf_init(&kid, 0);
    if ((err = mobid_jwk_from_key(enc, false, &jwk)) ||
        (err = mobid_jwk_thumbprint_key(enc, &kid)) || (err = mobid_buf_terminate(&kid)))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (json_object_set_new(jwk, "use", json_string("enc")) ||
        json_object_set_new(jwk, "alg", json_string("ECDH-ES")) ||
        json_object_set_new(jwk, "kid", json_string((char *)kid.ptr)))
        goto done;
    mobid_buf_append_str(b, ",\"jwks\":{\"keys\":[");
    if ((err = mobid_json_dump(jwk, false, b)))
        goto done;
    mobid_buf_append_str(b, "]},\"encrypted_response_enc_values_supported\":"
                            "[\"A128GCM\",\"A256GCM\"]");
done:
    json_decref(jwk);
    mobid_buf_free(&kid);
    return err;
}

static mobid_err put_payload(const mobid_oid4vp_request_signer *s,
                             const mobid_oid4vp_request_params *p, mobid_buf *b)
{
    char num[64];
    mobid_err err = MOBID_OK;
    mobid_time iat = p->iat ? p->iat : mobid_now();

    mobid_buf_append_str(b, "{\"iss\":");
    mobid_buf_append_str(b, s->client_id);
    mobid_buf_append_str(b, ",\"aud\":\"https://self-issued.me/v2\",\"client_id\":");
    mobid_buf_append_str(b, s->client_id);
    mobid_buf_append_str(b, ",\"response_type\":\"vp_token\",\"response_mode\":");
    mobid_buf_append_str(b, p->encrypted ? "\"direct_post.jwt\"," : "\"direct_post\",");
    put_str(b, "response_uri", p->response_uri, &err);
    mobid_buf_append_byte(b, ',');
    put_str(b, "nonce", p->nonce, &err);
    mobid_buf_append_str(b, ",\"dcql_query\":");
    if (err || (err = mobid_json_dump(p->dcql_query, false, b)))
        return err;
    mobid_buf_append_str(b, ",\"client_metadata\":");
    mobid_buf_append_str(b, s->formats);
    if (p->encrypted && (err = put_jwks(b, p->enc_key)))
        return err;
    snprintf(num, sizeof num, "},\"iat\":%lld,\"exp\":%lld,", (long long)iat,
             (long long)(p->exp ? p->exp : iat + 180));
    mobid_buf_append_str(b, num);
    put_str(b, "state", p->state, &err);
    if (s->verifier_info) {
        mobid_buf_append_str(b, ",\"verifier_info\":");
        mobid_buf_append_str(b, s->verifier_info);
    }
    mobid_buf_append_byte(b, '}');
    return err ? err : b->err ? MOBID_ERR_NOMEM : MOBID_OK;
}

mobid_err mobid_oid4vp_request_sign_with(const mobid_oid4vp_request_signer *s,
                                         const mobid_oid4vp_request_params *p, mobid_buf *out)
{
    mobid_buf body = { 0 }, sig = { 0 };
    mobid_err err;
    size_t start = out ? out->len : 0;

    if (!s || !p || !p->response_uri || !p->nonce || strlen(p->nonce) < NONCE_MIN_CHARS ||
        !p->state || !json_is_object(p->dcql_query) ||
        (p->encrypted && mobid_key_curve(p->enc_key) != MOBID_CURVE_P256) || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&body, 0);
    mobid_buf_init(&sig, 0);
    if ((err = put_payload(s, p, &body)))
        goto done;
    mobid_buf_append_str(out, s->header_b64);
    mobid_buf_append_byte(out, '.');
    if ((err = mobid_b64url_encode(mobid_buf_view(&body), out)) ||
        (err = mobid_sign(s->key, s->alg, mobid_view_make(out->ptr + start, out->len - start),
                          &sig)))
        goto done;
    mobid_buf_append_byte(out, '.');
    err = mobid_b64url_encode(mobid_buf_view(&sig), out);
done:
    mobid_buf_free(&body);
    mobid_buf_free(&sig);
    return err;
}

mobid_err mobid_oid4vp_request_sign(const mobid_oid4vp_request_params *p, mobid_buf *out)
{
    mobid_oid4vp_request_signer *s = NULL;
    mobid_err err;

    if (!p || !p->key || !p->x5c || !p->x5c_len)
        return MOBID_ERR_INVALID_ARG;
    /* the signer takes a reference; the caller's key stays its own */
    if (!(err = mobid_oid4vp_request_signer_new((mobid_key *)p->key, p->x5c, p->x5c_len,
                                                p->registration, &s)))
        err = mobid_oid4vp_request_sign_with(s, p, out);
    mobid_oid4vp_request_signer_free(s);
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
