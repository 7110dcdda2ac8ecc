/*
 * oid4vci: wallet attestation (OAuth 2.0 Attestation-Based Client Authentication,
 * draft-ietf-oauth-attestation-based-client-auth) and PKCE (RFC 7636, S256 only).
 *
 * A wallet provider vouches for an app instance by signing a Client Attestation JWT
 * (typ oauth-client-attestation+jwt) that names the instance's client_id (sub) and
 * its key (cnf.jwk). The instance proves it holds that key with a fresh Client
 * Attestation PoP JWT (typ oauth-client-attestation-pop+jwt) per request, addressed
 * to the authorization server (aud). An authorization server that trusts only some
 * wallet providers thereby serves only their genuine apps. The PoP carries iss (the
 * client_id) and exp as well as aud, jti and iat, so that both the earlier drafts
 * (which ask for iss and exp) and the later ones (aud, jti, iat) accept it.
 */
#include <mobid/oid4vci.h>
#include <mobid/jose.h>
#include "oid4vci_internal.h"

#include <stdio.h>
#include <string.h>

#define ATTEST_MAX ((size_t)16 * 1024)
#define POP_LIFETIME_S 300

static mobid_err sign_jwt(const mobid_key *key, const char *typ, const json_t *x5c,
                          json_t *payload, mobid_buf *out)
{
    mobid_buf pl = { 0 };
    json_t *hdr = json_pack("{s:s}", "typ", typ);
    mobid_err err = hdr && payload ? MOBID_OK : MOBID_ERR_NOMEM;
    if (err == MOBID_OK && x5c && json_object_set(hdr, "x5c", (json_t *)x5c))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK) err = mobid_json_dump(payload, false, &pl);
    if (err == MOBID_OK) err = mobid_jws_sign(key, MOBID_ALG_ES256, hdr, mobid_buf_view(&pl), out);
    if (err == MOBID_OK) err = mobid_buf_terminate(out);
    json_decref(hdr);
    json_decref(payload);
    mobid_buf_free(&pl);
    return err;
}

mobid_err mobid_oid4vci_attestation_build(const mobid_oid4vci_attestation_spec *s, mobid_buf *out)
{
    json_t *jwk = NULL;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!s || !s->provider || !s->provider_id || !s->client_id || !s->instance || !out)
        return err;
    mobid_time iat = s->iat ? s->iat : mobid_now();
    if ((err = mobid_jwk_from_key(s->instance, false, &jwk)) != MOBID_OK)
        return err;
    json_t *pl = json_pack("{s:s,s:s,s:I,s:I,s:{s:o}}", "iss", s->provider_id, "sub",
                           s->client_id, "iat", (json_int_t)iat, "exp",
                           (json_int_t)(iat + (s->lifetime_s ? s->lifetime_s : 86400)), "cnf",
                           "jwk", jwk);
    return sign_jwt(s->provider, MOBID_OID4VCI_ATTESTATION_TYP, s->x5c, pl, out);
}

mobid_err mobid_oid4vci_attestation_pop_build(const mobid_key *instance, const char *client_id,
                                              const char *aud, const char *challenge,
                                              mobid_time iat, mobid_buf *out)
{
    uint8_t rnd[16];
    mobid_buf jti = { 0 };
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!instance || !client_id || !aud || !out)
        return err;
    if (!iat)
        iat = mobid_now();
    if ((err = mobid_random(rnd, sizeof rnd)) == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &jti);
    if (err == MOBID_OK) err = mobid_buf_terminate(&jti);
    if (err == MOBID_OK) {
        json_t *pl = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", client_id, "aud", aud, "jti",
                               (const char *)jti.ptr, "iat", (json_int_t)iat, "exp",
                               (json_int_t)(iat + POP_LIFETIME_S));
        if (pl && challenge)
            json_object_set_new(pl, "challenge", json_string(challenge));
        err = sign_jwt(instance, MOBID_OID4VCI_ATTESTATION_POP_TYP, NULL, pl, out);
    }
    mobid_buf_free(&jti);
    return err;
}

/* The key that signed the attestation: the leaf of an x5c chain to provider_roots, or
 * one of the configured provider keys. UNTRUSTED_ISSUER when none holds. */
static mobid_err provider_check(const mobid_jws *jws, const mobid_oid4vci_attestation_check_params *p,
                                mobid_time now)
{
    static const mobid_alg allowed[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
    mobid_cert **chain = NULL;
    size_t n = 0;
    mobid_key *leaf = NULL;
    mobid_err err = mobid_jose_header_x5c(jws->header, &chain, &n);
    if (err == MOBID_OK) {
        err = p->provider_roots
                  ? mobid_trust_verify_chain(p->provider_roots, chain, n, now, MOBID_PURPOSE_ANY)
                  : MOBID_ERR_UNTRUSTED_ISSUER;
        if (err == MOBID_OK) err = mobid_cert_public_key(chain[0], &leaf);
        if (err == MOBID_OK) err = mobid_jws_verify(jws, leaf, allowed);
        if (err == MOBID_ERR_SIGNATURE_INVALID)
            err = MOBID_ERR_UNTRUSTED_ISSUER;
        mobid_key_free(leaf);
        mobid_cert_list_free(chain, n);
        return err;
    }
    if (err != MOBID_ERR_NOT_FOUND)
        return err;
    for (size_t i = 0; i < p->n_providers; i++)
        if (mobid_jws_verify(jws, p->providers[i], allowed) == MOBID_OK)
            return MOBID_OK;
    return MOBID_ERR_UNTRUSTED_ISSUER;
}

static mobid_err parse_typed(mobid_view jwt, const char *typ, mobid_jws *jws, json_t **payload)
{
    mobid_err err = MOBID_ERR_TOO_BIG;
    const json_t *t;
    if (jwt.len > ATTEST_MAX)
        return err;
    if (!jwt.len || !jwt.ptr)
        return MOBID_ERR_MALFORMED;
    if ((err = mobid_jws_parse(jwt, jws)) != MOBID_OK)
        return err;
    t = json_object_get(jws->header, "typ");
    if (!json_is_string(t) || strcmp(json_string_value(t), typ))
        return MOBID_ERR_TYPE_MISMATCH;
    if (jws->alg != MOBID_ALG_ES256)
        return MOBID_ERR_ALG_NOT_ALLOWED;
    err = mobid_json_parse(mobid_buf_view(&jws->payload), ATTEST_MAX, payload);
    return err == MOBID_OK && !json_is_object(*payload) ? MOBID_ERR_MALFORMED : err;
}

/* The attestation: trusted signer, sub, exp in the future, a public cnf.jwk. */
static mobid_err attestation_claims(mobid_view jwt, const mobid_oid4vci_attestation_check_params *p,
                                    mobid_time now, mobid_key **instance,
                                    mobid_oid4vci_attestation *out)
{
    mobid_jws jws = { 0 };
    json_t *pl = NULL;
    mobid_err err = parse_typed(jwt, MOBID_OID4VCI_ATTESTATION_TYP, &jws, &pl);
    const json_t *sub = json_object_get(pl, "sub"), *exp = json_object_get(pl, "exp");
    const json_t *jwk = json_object_get(json_object_get(pl, "cnf"), "jwk");
    if (err == MOBID_OK && (!json_is_string(sub) || !json_string_length(sub) ||
                            json_string_length(sub) >= sizeof out->client_id ||
                            !json_is_integer(exp) || !json_is_string(json_object_get(pl, "iss"))))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK) err = provider_check(&jws, p, now);
    if (err == MOBID_OK && json_integer_value(exp) <= now)
        err = MOBID_ERR_EXPIRED;
    if (err == MOBID_OK && (!json_is_object(jwk) || json_object_get(jwk, "d")))
        err = MOBID_ERR_KEY_INVALID;
    if (err == MOBID_OK && (err = mobid_jwk_to_key(jwk, instance)) != MOBID_OK)
        err = err == MOBID_ERR_NOMEM ? err : MOBID_ERR_KEY_INVALID;
    if (err == MOBID_OK) {
        snprintf(out->client_id, sizeof out->client_id, "%s", json_string_value(sub));
        out->exp = json_integer_value(exp);
        err = oid4vci_jkt(*instance, out->jkt);
    }
    json_decref(pl);
    mobid_jws_clear(&jws);
    return err;
}

static bool aud_has(const json_t *aud, const char *want)
{
    size_t i;
    const json_t *v;
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), want);
    json_array_foreach (aud, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), want))
            return true;
    return false;
}

/* The PoP: signed by the attested instance key, for this server, fresh, same client. */
static mobid_err pop_claims(mobid_view jwt, const mobid_oid4vci_attestation_check_params *p,
                            mobid_time now, const mobid_key *instance,
                            mobid_oid4vci_attestation *out)
{
    static const mobid_alg allowed[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
    mobid_jws jws = { 0 };
    json_t *pl = NULL;
    int64_t iat;
    mobid_err err = parse_typed(jwt, MOBID_OID4VCI_ATTESTATION_POP_TYP, &jws, &pl);
    const json_t *jti = json_object_get(pl, "jti"), *iss = json_object_get(pl, "iss");
    const json_t *exp = json_object_get(pl, "exp");
    if (err == MOBID_OK) err = mobid_jws_verify(&jws, instance, allowed);
    if (err == MOBID_OK && (!json_is_string(jti) || json_string_length(jti) < 8 ||
                            json_string_length(jti) >= sizeof out->jti))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK && !aud_has(json_object_get(pl, "aud"), p->aud))
        err = MOBID_ERR_AUDIENCE_MISMATCH;
    if (err == MOBID_OK && iss && (!json_is_string(iss) ||
                                   strcmp(json_string_value(iss), out->client_id)))
        err = MOBID_ERR_SUBJECT_MISMATCH;
    if (err == MOBID_OK)
        err = oid4vci_iat_check(json_object_get(pl, "iat"), now, p->max_age_s, p->max_skew_s,
                                &iat);
    if (err == MOBID_OK && exp && (!json_is_integer(exp) || json_integer_value(exp) <= now))
        err = MOBID_ERR_EXPIRED;
    if (err == MOBID_OK)
        snprintf(out->jti, sizeof out->jti, "%s", json_string_value(jti));
    json_decref(pl);
    mobid_jws_clear(&jws);
    return err;
}

mobid_err mobid_oid4vci_attestation_check(mobid_view attestation, mobid_view pop,
                                          const mobid_oid4vci_attestation_check_params *p,
                                          mobid_oid4vci_attestation *out)
{
    mobid_key *instance = NULL;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (out)
        memset(out, 0, sizeof *out);
    if (!p || !p->aud || !out)
        return err;
    mobid_time now = p->now ? p->now : mobid_now();
    err = attestation_claims(attestation, p, now, &instance, out);
    if (err == MOBID_OK)
        err = pop_claims(pop, p, now, instance, out);
    if (err != MOBID_OK)
        memset(out, 0, sizeof *out);
    mobid_key_free(instance);
    return err;
}

static bool pkce_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~'))
            return false;
    }
    return true;
}

mobid_err mobid_oid4vci_pkce_s256(const char *verifier, char out[44])
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf b = { 0 };
    size_t n = verifier ? strlen(verifier) : 0;
    mobid_err err = MOBID_ERR_MALFORMED; /* RFC 7636 §4.1: 43..128 unreserved characters */
    if (n < 43 || n > 128 || !pkce_chars(verifier, n))
        return err;
    err = mobid_hash(MOBID_HASH_SHA256, mobid_view_make(verifier, n), h);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_view_make(h, 32), &b);
    if (err == MOBID_OK && b.len != 43)
        err = MOBID_ERR_CRYPTO;
    if (err == MOBID_OK) {
        memcpy(out, b.ptr, 43);
        out[43] = 0;
    }
    mobid_buf_free(&b);
    return err;
}

mobid_err mobid_oid4vci_pkce_verifier(char out[44])
{
    uint8_t rnd[32];
    mobid_buf b = { 0 };
    mobid_err err = mobid_random(rnd, sizeof rnd);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &b);
    if (err == MOBID_OK) {
        memcpy(out, b.ptr, 43);
        out[43] = 0;
    }
    mobid_wipe(rnd, sizeof rnd);
    mobid_buf_free(&b);
    return err;
}
