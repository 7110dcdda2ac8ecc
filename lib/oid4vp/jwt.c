/*
 * Signed JWTs with an x5c chain: request objects and registrations share these.
 */
#include <string.h>
#include <mobid/jose.h>
#include "oid4vp_internal.h"

static const mobid_alg jwt_algs[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                      MOBID_ALG_NONE };

mobid_alg oid4vp_jwt_alg(const mobid_key *key)
{
    switch (mobid_key_curve(key)) {
    case MOBID_CURVE_P256: return MOBID_ALG_ES256;
    case MOBID_CURVE_P384: return MOBID_ALG_ES384;
    case MOBID_CURVE_P521: return MOBID_ALG_ES512;
    default: return MOBID_ALG_NONE;
    }
}

mobid_err oid4vp_jwt_sign(const mobid_key *key, mobid_cert *const *x5c, size_t x5c_len,
                          const char *typ, const json_t *payload, mobid_buf *out)
{
    mobid_err err;
    json_t *hdr = NULL, *chain = NULL;
    mobid_buf body = { 0 };

    if (!key || !x5c || !x5c_len || !payload || oid4vp_jwt_alg(key) == MOBID_ALG_NONE)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&body, 0);
    if ((err = mobid_jose_x5c_from_certs(x5c, x5c_len, &chain)))
        goto done;
    hdr = json_pack("{s:s, s:O}", "typ", typ, "x5c", chain);
    if (!hdr) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    if ((err = mobid_json_dump(payload, false, &body)))
        goto done;
    err = mobid_jws_sign(key, oid4vp_jwt_alg(key), hdr, mobid_buf_view(&body), out);
done:
    json_decref(hdr);
    json_decref(chain);
    mobid_buf_free(&body);
    return err;
}

/* The memo's digest of a whole compact JWS: a tag keeps it apart from any other
 * object a trust set's users remember. */
static mobid_err memo_digest(mobid_view jwt, uint8_t out[32])
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_view parts[] = { mobid_view_str("oid4vp-x5c-jws"), jwt };
    mobid_err err = mobid_hash_parts(MOBID_HASH_SHA256, parts, 2, h);
    if (!err)
        memcpy(out, h, 32);
    return err;
}

/* The signature by the x5c leaf, or the memo's word that these very bytes verified
 * before (see mobid_trust_sig_known). */
static mobid_err check_signature(const mobid_jws *jws, mobid_view jwt, mobid_cert *leaf,
                                 mobid_trust *trust, bool memo)
{
    uint8_t digest[32];
    mobid_key *key = NULL;
    mobid_err err;
    bool keyed = memo && memo_digest(jwt, digest) == MOBID_OK;
    if (keyed && mobid_trust_sig_known(trust, digest))
        return MOBID_OK;
    if ((err = mobid_cert_public_key(leaf, &key)) || (err = mobid_jws_verify(jws, key, jwt_algs)))
        goto done;
    if (keyed)
        mobid_trust_sig_remember(trust, digest);
done:
    mobid_key_free(key);
    return err;
}

mobid_err oid4vp_jwt_verify(mobid_view jwt, const char *typ, mobid_trust *trust, mobid_time at,
                            mobid_cert_purpose purpose, bool memo, json_t **payload,
                            mobid_cert **leaf)
{
    mobid_err err;
    mobid_jws jws = { 0 };
    mobid_cert **certs = NULL;
    size_t n = 0;
    json_t *body = NULL;
    const char *got;

    *payload = NULL;
    if (leaf)
        *leaf = NULL;
    if ((err = mobid_jws_parse(jwt, &jws)))
        goto done;
    got = json_string_value(json_object_get(jws.header, "typ"));
    if (!got || strcmp(got, typ)) {
        err = MOBID_ERR_TYPE_MISMATCH;
        goto done;
    }
    if ((err = mobid_jose_header_x5c(jws.header, &certs, &n))) {
        if (err == MOBID_ERR_NOT_FOUND)
            err = MOBID_ERR_UNTRUSTED_ISSUER;
        goto done;
    }
    /* the chain at `at` on every call, memo or not: certificates expire */
    if ((err = mobid_trust_verify_chain(trust, certs, n, at, purpose)) ||
        (err = check_signature(&jws, jwt, certs[0], trust, memo)))
        goto done;
    if ((err = mobid_json_parse(mobid_buf_view(&jws.payload), 0, &body)))
        goto done;
    if (!json_is_object(body)) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    *payload = json_incref(body);
    if (leaf)
        *leaf = mobid_cert_ref(certs[0]);
done:
    json_decref(body);
    mobid_cert_list_free(certs, n);
    mobid_jws_clear(&jws);
    return err;
}
