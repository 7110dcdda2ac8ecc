/*
 * Authorization responses: the vp_token object (OpenID4VP 1.0 §8.1) and the
 * direct_post.jwt encryption (§8.3, ECDH-ES with the verifier's ephemeral key).
 */
#include <string.h>
#include <mobid/jose.h>
#include <mobid/oid4vp.h>

/* kid NULL: the key's JWK thumbprint. */
static mobid_err encrypt_to(const json_t *params, const mobid_key *verifier_key, const char *kid,
                            mobid_buf *out)
{
    mobid_err err;
    mobid_buf body = { 0 }, thumb = { 0 };
    mobid_jwe_params jp = { 0 };

    if (!json_is_object(params) || !verifier_key || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&body, 0);
    mobid_buf_init(&thumb, 0);
    if ((err = mobid_json_dump(params, false, &body)))
        goto done;
    if (!kid && (!(err = mobid_jwk_thumbprint_key(verifier_key, &thumb)) &&
                 !(err = mobid_buf_terminate(&thumb))))
        kid = (const char *)thumb.ptr;
    if (err)
        goto done;
    jp.enc = MOBID_JWE_A128GCM;
    jp.kid = kid;
    err = mobid_jwe_encrypt(verifier_key, &jp, mobid_buf_view(&body), out);
done:
    mobid_buf_free(&body);
    mobid_buf_free(&thumb);
    return err;
}

mobid_err mobid_oid4vp_response_encrypt(const json_t *params, const mobid_key *verifier_key,
                                        mobid_buf *out)
{
    return encrypt_to(params, verifier_key, NULL, out);
}

mobid_err mobid_oid4vp_response_encrypt_for(const mobid_oid4vp_request *req, const json_t *params,
                                            mobid_buf *out)
{
    if (!req || !req->encrypted)
        return MOBID_ERR_INVALID_ARG;
    return encrypt_to(params, req->enc_key, req->enc_kid, out);
}

mobid_err mobid_oid4vp_response_decrypt(mobid_view jwe, const mobid_key *key, json_t **params)
{
    mobid_err err;
    mobid_buf pt = { 0 };
    json_t *j = NULL;

    if (!key || !params)
        return MOBID_ERR_INVALID_ARG;
    *params = NULL;
    mobid_buf_init(&pt, 0);
    if ((err = mobid_jwe_decrypt(jwe, key, NULL, &pt)) ||
        (err = mobid_json_parse(mobid_buf_view(&pt), 0, &j)))
        goto done;
    if (!json_is_object(j)) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    *params = json_incref(j);
done:
    json_decref(j);
    mobid_buf_free(&pt);
    return err;
}

static mobid_err check_entry(const char *id, const json_t *v, const mobid_dcql *q)
{
    const mobid_dcql_cred *c = mobid_dcql_find(q, id);
    size_t i;
    const json_t *p;
    if (!c)
        return MOBID_ERR_DCQL_UNSATISFIED;
    if (!json_is_array(v) || !json_array_size(v))
        return MOBID_ERR_MALFORMED;
    if (json_array_size(v) > 1 && !c->multiple)
        return MOBID_ERR_DCQL_UNSATISFIED;
    json_array_foreach (v, i, p)
        if (!json_is_string(p) || !*json_string_value(p))
            return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}

mobid_err mobid_oid4vp_vp_token_parse(const json_t *vp_token, const mobid_dcql *q, json_t **out)
{
    mobid_err err = MOBID_OK;
    json_t *obj = NULL;
    const char *id;
    const json_t *v;

    if (!vp_token || !q || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (json_is_string(vp_token)) {
        mobid_view text = mobid_view_make(json_string_value(vp_token), json_string_length(vp_token));
        if ((err = mobid_json_parse(text, 0, &obj)))
            return err;
    } else {
        obj = json_incref((json_t *)vp_token);
    }
    if (!json_is_object(obj) || !json_object_size(obj)) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    json_object_foreach (obj, id, v)
        if ((err = check_entry(id, v, q)))
            goto done;
    *out = json_incref(obj);
done:
    json_decref(obj);
    return err;
}
