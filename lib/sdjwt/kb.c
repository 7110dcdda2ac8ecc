/* Key binding JWTs (RFC 9901 §4.3): created by the holder, checked by the verifier. */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdio.h>
#include <string.h>

static mobid_err kfail(char *detail, size_t dlen, mobid_err err, const char *what)
{
    snprintf(detail, dlen, "%s", what);
    return err;
}

/* The holder's key from cnf.jwk. */
static mobid_err holder_key(const json_t *payload, mobid_key **key, char *detail, size_t dlen)
{
    json_t *jwk = json_object_get(json_object_get(payload, "cnf"), "jwk");
    if (!jwk)
        return kfail(detail, dlen, MOBID_ERR_HOLDER_BINDING_MISSING, "no cnf.jwk in the SD-JWT");
    mobid_err err = mobid_jwk_to_key(jwk, key);
    if (err != MOBID_OK)
        snprintf(detail, dlen, "cnf.jwk is unusable (%s)", mobid_err_name(err));
    return err;
}

/* The checks on KB-JWT claims other than the signature. */
static mobid_err check_kb_claims(const json_t *kp, const mobid_sdjwt_parts *parts,
                                 mobid_hash_alg hash, const uint8_t *sd_digest, mobid_time now,
                                 int64_t skew, const mobid_sdjwt_verify_opts *o, char *detail,
                                 size_t dlen)
{
    const char *nonce = json_string_value(json_object_get(kp, "nonce"));
    const char *aud = json_string_value(json_object_get(kp, "aud"));
    json_t *iat = json_object_get(kp, "iat");
    const char *sd_hash = json_string_value(json_object_get(kp, "sd_hash"));
    if (!nonce || !aud || !json_is_number(iat) || !sd_hash)
        return kfail(detail, dlen, MOBID_ERR_MALFORMED,
                     "KB-JWT lacks a string nonce, aud or sd_hash, or a numeric iat");
    if (o->nonce && strcmp(nonce, o->nonce) != 0)
        return kfail(detail, dlen, MOBID_ERR_NONCE_MISMATCH, "KB-JWT nonce differs");
    if (o->aud && strcmp(aud, o->aud) != 0)
        return kfail(detail, dlen, MOBID_ERR_AUDIENCE_MISMATCH, "KB-JWT aud differs");
    mobid_time t = (mobid_time)json_number_value(iat);
    int64_t max_age = o->kb_max_age > 0 ? o->kb_max_age : 300;
    if (t > now + skew || t < now - max_age - skew)
        return kfail(detail, dlen, MOBID_ERR_KB_IAT_INVALID,
                     "KB-JWT iat is outside the accepted window");
    char want[MOBID_SDJWT_DIGEST_MAX];
    mobid_err err = MOBID_OK;
    if (sd_digest)
        mobid_sdjwt_digest_encode(sd_digest, mobid_hash_size(hash), want);
    else
        err = mobid_sdjwt_digest_str(hash, parts->sd_hash_input, want);
    if (err != MOBID_OK)
        return err;
    if (!mobid_ct_eq(mobid_view_str(want), mobid_view_str(sd_hash)))
        return kfail(detail, dlen, MOBID_ERR_SD_HASH_MISMATCH,
                     "KB-JWT sd_hash does not match the presentation");
    return MOBID_OK;
}

mobid_err mobid_sdjwt_verify_kb(const mobid_sdjwt_parts *parts, const json_t *payload,
                                mobid_hash_alg hash, const uint8_t *sd_digest,
                                const mobid_alg *algs, mobid_time now, int64_t skew,
                                const mobid_sdjwt_verify_opts *o, char *detail, size_t dlen)
{
    mobid_jws kb;
    memset(&kb, 0, sizeof kb);
    mobid_key *key = NULL;
    json_t *kp = NULL;
    mobid_err err = holder_key(payload, &key, detail, dlen);
    if (err == MOBID_OK && (err = mobid_jws_parse(parts->kb, &kb)) != MOBID_OK)
        snprintf(detail, dlen, "KB-JWT cannot be parsed (%s)", mobid_err_name(err));
    if (err == MOBID_OK) {
        const char *typ = json_string_value(json_object_get(kb.header, "typ"));
        if (!typ || strcmp(typ, "kb+jwt") != 0)
            err = kfail(detail, dlen, MOBID_ERR_TYPE_MISMATCH, "KB-JWT typ is not kb+jwt");
    }
    if (err == MOBID_OK) {
        err = mobid_jws_verify(&kb, key, algs);
        if (err == MOBID_ERR_ALG_NOT_ALLOWED)
            kfail(detail, dlen, err, "KB-JWT alg is not allowed");
        else if (err != MOBID_OK)
            err = kfail(detail, dlen, MOBID_ERR_KB_SIGNATURE_INVALID,
                        "KB-JWT signature does not verify with cnf.jwk");
    }
    if (err == MOBID_OK) {
        err = mobid_json_parse(mobid_buf_view(&kb.payload), 0, &kp);
        if (err == MOBID_OK && !json_is_object(kp))
            err = MOBID_ERR_MALFORMED;
        if (err != MOBID_OK)
            kfail(detail, dlen, err, "KB-JWT payload is not a JSON object");
    }
    if (err == MOBID_OK)
        err = check_kb_claims(kp, parts, hash, sd_digest, now, skew, o, detail, dlen);
    json_decref(kp);
    mobid_jws_clear(&kb);
    mobid_key_free(key);
    return err;
}

mobid_err mobid_sdjwt_make_kb(mobid_view presented, mobid_hash_alg hash,
                              const mobid_sdjwt_present_params *p, mobid_alg alg, mobid_buf *out)
{
    char sd_hash[MOBID_SDJWT_DIGEST_MAX];
    mobid_err err = mobid_sdjwt_digest_str(hash, presented, sd_hash);
    if (err != MOBID_OK)
        return err;
    json_t *header = json_pack("{ss}", "typ", "kb+jwt");
    json_t *payload = json_pack("{sIssssss}", "iat", (json_int_t)(p->iat ? p->iat : mobid_now()),
                                "aud", p->aud, "nonce", p->nonce, "sd_hash", sd_hash);
    mobid_buf text;
    mobid_buf_init(&text, 0);
    err = header && payload ? mobid_json_dump(payload, false, &text) : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = mobid_jws_sign(p->holder_key, alg, header, mobid_buf_view(&text), out);
    mobid_buf_free(&text);
    json_decref(header);
    json_decref(payload);
    return err;
}
