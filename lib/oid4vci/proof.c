/* oid4vci: jwt key proofs (OpenID4VCI 1.0 appendix F.1) and credential requests. */
#include <mobid/oid4vci.h>
#include <mobid/jose.h>
#include "oid4vci_internal.h"

#include <string.h>

#define PROOF_MAX ((size_t)16 * 1024)

mobid_err mobid_oid4vci_proof_build(const mobid_key *holder, const char *aud, const char *nonce,
                                    mobid_time iat, const char *client_id, mobid_buf *out)
{
    json_t *jwk = NULL, *hdr = NULL, *pl = NULL;
    mobid_buf payload = { 0 };
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!holder || !aud || !nonce)
        goto done;
    if ((err = mobid_jwk_from_key(holder, false, &jwk)) != MOBID_OK)
        goto done;
    err = MOBID_ERR_NOMEM;
    hdr = json_pack("{s:s,s:O}", "typ", MOBID_OID4VCI_PROOF_TYP, "jwk", jwk);
    pl = json_pack("{s:s,s:I,s:s}", "aud", aud, "iat", (json_int_t)(iat ? iat : mobid_now()),
                   "nonce", nonce);
    if (!hdr || !pl)
        goto done;
    if (client_id && json_object_set_new(pl, "iss", json_string(client_id)))
        goto done;
    if ((err = mobid_json_dump(pl, false, &payload)) != MOBID_OK)
        goto done;
    err = mobid_jws_sign(holder, MOBID_ALG_ES256, hdr, mobid_buf_view(&payload), out);
done:
    json_decref(jwk);
    json_decref(hdr);
    json_decref(pl);
    mobid_buf_free(&payload);
    return err;
}

/* The holder key named by the header: exactly one of jwk (public only) or x5c. */
static mobid_err proof_key(const json_t *hdr, mobid_key **key)
{
    const json_t *jwk = json_object_get(hdr, "jwk");
    const json_t *x5c = json_object_get(hdr, "x5c");
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_err err = MOBID_ERR_KEY_INVALID;
    if ((jwk != NULL) == (x5c != NULL) || json_object_get(hdr, "kid"))
        goto done;
    if (jwk) {
        if (!json_is_object(jwk) || json_object_get(jwk, "d"))
            goto done;
        err = mobid_jwk_to_key(jwk, key);
        if (err != MOBID_OK && err != MOBID_ERR_NOMEM)
            err = MOBID_ERR_KEY_INVALID;
        goto done;
    }
    if ((err = mobid_jose_header_x5c(hdr, &certs, &n)) != MOBID_OK)
        goto done;
    err = mobid_cert_public_key(certs[0], key);
done:
    mobid_cert_list_free(certs, n);
    return err;
}

/* aud may be a string or an array of strings containing want. */
static bool aud_matches(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    for (size_t i = 0; json_is_array(aud) && i < json_array_size(aud); i++) {
        const json_t *a = json_array_get(aud, i);
        if (json_is_string(a) && !strcmp(json_string_value(a), want))
            return true;
    }
    return false;
}

static mobid_err proof_claims(const mobid_jws *jws, const mobid_oid4vci_proof_check_params *p,
                              mobid_oid4vci_proof *out)
{
    json_t *pl = NULL;
    mobid_err err = mobid_json_parse(mobid_buf_view(&jws->payload), PROOF_MAX, &pl);
    if (err != MOBID_OK)
        goto done;
    err = MOBID_ERR_MALFORMED;
    if (!json_is_object(pl))
        goto done;
    err = MOBID_ERR_AUDIENCE_MISMATCH;
    if (!aud_matches(json_object_get(pl, "aud"), p->aud))
        goto done;
    const json_t *iat = json_object_get(pl, "iat");
    err = oid4vci_iat_check(iat, p->now ? p->now : mobid_now(), p->max_age_s, p->max_skew_s,
                            &out->iat);
    if (err != MOBID_OK)
        goto done;
    const json_t *nonce = json_object_get(pl, "nonce");
    err = MOBID_ERR_NONCE_MISMATCH;
    if (!json_is_string(nonce) || !json_string_length(nonce))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(out->nonce = strdup(json_string_value(nonce))))
        goto done;
    err = MOBID_OK;
done:
    json_decref(pl);
    return err;
}

mobid_err mobid_oid4vci_proof_check(mobid_view jwt, const mobid_oid4vci_proof_check_params *p,
                                    mobid_oid4vci_proof *out)
{
    static const mobid_alg allowed[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
    mobid_jws jws = { 0 };
    memset(out, 0, sizeof *out);
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!p || !p->aud)
        goto done;
    err = MOBID_ERR_TOO_BIG;
    if (jwt.len > PROOF_MAX)
        goto done;
    if ((err = mobid_jws_parse(jwt, &jws)) != MOBID_OK)
        goto done;
    const json_t *typ = json_object_get(jws.header, "typ");
    err = MOBID_ERR_TYPE_MISMATCH;
    if (!json_is_string(typ) || strcmp(json_string_value(typ), MOBID_OID4VCI_PROOF_TYP))
        goto done;
    err = MOBID_ERR_ALG_NOT_ALLOWED;
    if (jws.alg != MOBID_ALG_ES256)
        goto done;
    if ((err = proof_key(jws.header, &out->holder)) != MOBID_OK)
        goto done;
    if ((err = mobid_jws_verify(&jws, out->holder, allowed)) != MOBID_OK)
        goto done;
    if ((err = proof_claims(&jws, p, out)) != MOBID_OK)
        goto done;
    err = oid4vci_jkt(out->holder, out->jkt);
done:
    if (err != MOBID_OK)
        mobid_oid4vci_proof_clear(out);
    mobid_jws_clear(&jws);
    return err;
}

mobid_err oid4vci_jkt(const mobid_key *key, char out[44])
{
    mobid_buf jkt = { 0 };
    mobid_err err = mobid_jwk_thumbprint_key(key, &jkt);
    if (err == MOBID_OK && jkt.len >= 44)
        err = MOBID_ERR_INVALID_ARG;
    if (err == MOBID_OK) {
        memcpy(out, jkt.ptr, jkt.len);
        out[jkt.len] = 0;
    }
    mobid_buf_free(&jkt);
    return err;
}

void mobid_oid4vci_proof_clear(mobid_oid4vci_proof *p)
{
    if (!p)
        return;
    mobid_key_free(p->holder);
    free(p->nonce);
    memset(p, 0, sizeof *p);
}

static mobid_err credreq_proofs(const json_t *req, mobid_oid4vci_credreq *out)
{
    const json_t *proofs = json_object_get(req, "proofs");
    const json_t *proof = json_object_get(req, "proof");
    if (proofs && proof)
        return MOBID_ERR_MALFORMED;
    if (!proofs && !proof)
        return MOBID_ERR_NOT_FOUND;
    if (proof) {
        const json_t *pt = json_object_get(proof, "proof_type");
        const json_t *jwt = json_object_get(proof, "jwt");
        if (!json_is_object(proof) || !json_is_string(pt))
            return MOBID_ERR_MALFORMED;
        if (strcmp(json_string_value(pt), "jwt"))
            return MOBID_ERR_UNSUPPORTED;
        if (!json_is_string(jwt))
            return MOBID_ERR_MALFORMED;
        out->jwts[out->n_jwts++] = json_string_value(jwt);
        return MOBID_OK;
    }
    if (!json_is_object(proofs) || json_object_size(proofs) != 1)
        return json_is_object(proofs) && json_object_size(proofs) ? MOBID_ERR_UNSUPPORTED
                                                                   : MOBID_ERR_MALFORMED;
    const json_t *arr = json_object_get(proofs, "jwt");
    if (!arr)
        return MOBID_ERR_UNSUPPORTED;
    if (!json_is_array(arr) || !json_array_size(arr))
        return MOBID_ERR_MALFORMED;
    if (json_array_size(arr) > MOBID_OID4VCI_MAX_PROOFS)
        return MOBID_ERR_TOO_BIG;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *jwt = json_array_get(arr, i);
        if (!json_is_string(jwt))
            return MOBID_ERR_MALFORMED;
        out->jwts[out->n_jwts++] = json_string_value(jwt);
    }
    return MOBID_OK;
}

mobid_err mobid_oid4vci_credreq_read(const json_t *req, mobid_oid4vci_credreq *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(req))
        return MOBID_ERR_MALFORMED;
    /* One of the two (OpenID4VCI 1.0 §8.2): a credential_identifier from the token
     * response's authorization_details, or a credential_configuration_id. The caller
     * learns which from out->by_identifier. */
    const json_t *cid = json_object_get(req, "credential_identifier");
    const json_t *id = json_object_get(req, "credential_configuration_id");
    if (cid && id)
        return MOBID_ERR_MALFORMED;
    out->by_identifier = cid != NULL;
    if (cid)
        id = cid;
    if (!json_is_string(id))
        return MOBID_ERR_MALFORMED;
    out->config_id = json_string_value(id);
    mobid_err err = credreq_proofs(req, out);
    if (err != MOBID_OK)
        memset(out, 0, sizeof *out);
    return err;
}

mobid_err oid4vci_iat_check(const json_t *iat, mobid_time now, int64_t max_age_s,
                            int64_t max_skew_s, int64_t *out)
{
    int64_t age = max_age_s ? max_age_s : 300, skew = max_skew_s ? max_skew_s : 60;
    if (!json_is_integer(iat) || json_integer_value(iat) < now - age ||
        json_integer_value(iat) > now + skew)
        return MOBID_ERR_KB_IAT_INVALID;
    *out = json_integer_value(iat);
    return MOBID_OK;
}
