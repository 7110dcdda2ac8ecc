/*
 * oid4vci: DPoP proofs (RFC 9449 §4), the sender constraint of the issuer's access
 * and refresh tokens. A wallet signs one proof per request with the key its tokens
 * are bound to; the issuer checks it and compares the key's thumbprint (jkt) with the
 * one the token was issued to. Replay of a proof is caught by the caller, which keeps
 * each jti for the proof's lifetime (this file does no storage).
 */
#include <mobid/oid4vci.h>
#include <mobid/jose.h>
#include "oid4vci_internal.h"

#include <stdio.h>
#include <string.h>

#define DPOP_MAX ((size_t)8 * 1024)

/* base64url(SHA-256(access token)): the "ath" claim (RFC 9449 §4.2). */
static mobid_err ath_of(const char *token, mobid_buf *out)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(token), h);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(h, 32), out);
    return err == MOBID_OK ? mobid_buf_terminate(out) : err;
}

mobid_err mobid_oid4vci_dpop_build(const mobid_key *key, const char *htm, const char *htu,
                                   const char *access_token, mobid_time iat, mobid_buf *out)
{
    json_t *jwk = NULL, *hdr = NULL, *pl = NULL;
    mobid_buf payload = { 0 }, jti = { 0 }, ath = { 0 };
    uint8_t rnd[16];
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!key || !htm || !htu)
        goto done;
    if ((err = mobid_jwk_from_key(key, false, &jwk)) != MOBID_OK ||
        (err = mobid_random(rnd, sizeof rnd)) != MOBID_OK ||
        (err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &jti)) != MOBID_OK ||
        (err = mobid_buf_terminate(&jti)) != MOBID_OK ||
        (access_token && (err = ath_of(access_token, &ath)) != MOBID_OK))
        goto done;
    err = MOBID_ERR_NOMEM;
    hdr = json_pack("{s:s,s:O}", "typ", MOBID_OID4VCI_DPOP_TYP, "jwk", jwk);
    pl = json_pack("{s:s,s:s,s:s,s:I}", "jti", (const char *)jti.ptr, "htm", htm, "htu", htu,
                   "iat", (json_int_t)(iat ? iat : mobid_now()));
    if (!hdr || !pl || (access_token && json_object_set_new(pl, "ath",
                                                            json_string((const char *)ath.ptr))))
        goto done;
    if ((err = mobid_json_dump(pl, false, &payload)) == MOBID_OK)
        err = mobid_jws_sign(key, MOBID_ALG_ES256, hdr, mobid_buf_view(&payload), out);
done:
    json_decref(jwk);
    json_decref(hdr);
    json_decref(pl);
    mobid_buf_free(&payload);
    mobid_buf_free(&jti);
    mobid_buf_free(&ath);
    return err;
}

/* A URL without its query and fragment, compared as RFC 9449 §4.3 step 9 asks. */
static bool htu_matches(const char *got, const char *want)
{
    size_t g = strcspn(got, "?#"), w = strcspn(want, "?#");
    return g == w && !strncmp(got, want, g);
}

static mobid_err dpop_claims(const mobid_jws *jws, const mobid_oid4vci_dpop_check_params *p,
                             mobid_oid4vci_dpop *out)
{
    json_t *pl = NULL;
    mobid_buf ath = { 0 };
    mobid_err err = mobid_json_parse(mobid_buf_view(&jws->payload), DPOP_MAX, &pl);
    const json_t *jti, *htm, *htu, *iat, *got_ath;
    if (err != MOBID_OK)
        goto done;
    jti = json_object_get(pl, "jti");
    htm = json_object_get(pl, "htm");
    htu = json_object_get(pl, "htu");
    iat = json_object_get(pl, "iat");
    got_ath = json_object_get(pl, "ath");
    err = MOBID_ERR_MALFORMED;
    if (!json_is_string(jti) || json_string_length(jti) < 8 ||
        json_string_length(jti) >= sizeof out->jti || !json_is_string(htm) ||
        !json_is_string(htu))
        goto done;
    err = MOBID_ERR_AUDIENCE_MISMATCH; /* the proof was made for another request */
    if (strcmp(json_string_value(htm), p->htm) || !htu_matches(json_string_value(htu), p->htu))
        goto done;
    err = oid4vci_iat_check(iat, p->now ? p->now : mobid_now(), p->max_age_s, p->max_skew_s,
                            &out->iat);
    if (err != MOBID_OK)
        goto done;
    if (p->access_token) {
        err = ath_of(p->access_token, &ath);
        if (err == MOBID_OK && (!json_is_string(got_ath) ||
                                !mobid_ct_eq(mobid_view_str(json_string_value(got_ath)),
                                             mobid_view_make(ath.ptr, ath.len))))
            err = MOBID_ERR_SUBJECT_MISMATCH; /* made for another access token */
        if (err != MOBID_OK)
            goto done;
    }
    snprintf(out->jti, sizeof out->jti, "%s", json_string_value(jti));
    err = MOBID_OK;
done:
    json_decref(pl);
    mobid_buf_free(&ath);
    return err;
}

mobid_err mobid_oid4vci_dpop_check(mobid_view jwt, const mobid_oid4vci_dpop_check_params *p,
                                   mobid_oid4vci_dpop *out)
{
    static const mobid_alg allowed[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
    mobid_jws jws = { 0 };
    mobid_key *key = NULL;
    const json_t *typ, *jwk;
    memset(out, 0, sizeof *out);
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!p || !p->htm || !p->htu)
        goto done;
    err = MOBID_ERR_TOO_BIG;
    if (jwt.len > DPOP_MAX)
        goto done;
    if ((err = mobid_jws_parse(jwt, &jws)) != MOBID_OK)
        goto done;
    typ = json_object_get(jws.header, "typ");
    jwk = json_object_get(jws.header, "jwk");
    err = MOBID_ERR_TYPE_MISMATCH;
    if (!json_is_string(typ) || strcmp(json_string_value(typ), MOBID_OID4VCI_DPOP_TYP))
        goto done;
    err = MOBID_ERR_ALG_NOT_ALLOWED;
    if (jws.alg != MOBID_ALG_ES256)
        goto done;
    err = MOBID_ERR_KEY_INVALID;
    if (!json_is_object(jwk) || json_object_get(jwk, "d"))
        goto done;
    if ((err = mobid_jwk_to_key(jwk, &key)) != MOBID_OK) {
        err = err == MOBID_ERR_NOMEM ? err : MOBID_ERR_KEY_INVALID;
        goto done;
    }
    if ((err = mobid_jws_verify(&jws, key, allowed)) != MOBID_OK ||
        (err = dpop_claims(&jws, p, out)) != MOBID_OK)
        goto done;
    err = oid4vci_jkt(key, out->jkt);
done:
    if (err != MOBID_OK)
        memset(out, 0, sizeof *out);
    mobid_key_free(key);
    mobid_jws_clear(&jws);
    return err;
}
