/* JWK (RFC 7517/7518 §6/8037) <-> mobid_key, and RFC 7638 thumbprints. */
#include "jose_internal.h"

#include <string.h>

static const struct {
    const char *kty;
    const char *crv;
    mobid_curve curve;
} CURVES[] = {
    { "EC", "P-256", MOBID_CURVE_P256 },      { "EC", "P-384", MOBID_CURVE_P384 },
    { "EC", "P-521", MOBID_CURVE_P521 },      { "OKP", "Ed25519", MOBID_CURVE_ED25519 },
    { "OKP", "X25519", MOBID_CURVE_X25519 },
};

#define N_CURVES (sizeof CURVES / sizeof CURVES[0])

/* Decode member `name` into out and require exactly len bytes. */
static mobid_err coord(const json_t *jwk, const char *name, size_t len, mobid_buf *out)
{
    mobid_err err = mobid_jose_b64_member(jwk, name, out);
    if (err == MOBID_ERR_NOT_FOUND || err == MOBID_ERR_TOO_BIG)
        return MOBID_ERR_MALFORMED;
    if (err == MOBID_OK && out->len != len)
        return MOBID_ERR_MALFORMED;
    return err;
}

/* Find the curve of a JWK by kty and crv. */
static mobid_err jwk_curve(const json_t *jwk, mobid_curve *curve)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    if (!kty)
        return MOBID_ERR_MALFORMED;
    if (strcmp(kty, "EC") && strcmp(kty, "OKP"))
        return MOBID_ERR_UNSUPPORTED;
    if (!crv)
        return MOBID_ERR_MALFORMED;
    for (size_t i = 0; i < N_CURVES; i++)
        if (!strcmp(kty, CURVES[i].kty) && !strcmp(crv, CURVES[i].crv)) {
            *curve = CURVES[i].curve;
            return MOBID_OK;
        }
    return MOBID_ERR_UNSUPPORTED;
}

mobid_err mobid_jwk_to_key(const json_t *jwk, mobid_key **out)
{
    mobid_buf x, y, d;
    mobid_curve curve = MOBID_CURVE_NONE;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&x, 256);
    mobid_buf_init(&y, 256);
    mobid_buf_init(&d, 256);
    if (!out)
        goto done;
    *out = NULL;
    err = MOBID_ERR_MALFORMED;
    if (!json_is_object(jwk))
        goto done;
    err = jwk_curve(jwk, &curve);
    if (err != MOBID_OK)
        goto done;
    bool okp = curve == MOBID_CURVE_ED25519 || curve == MOBID_CURVE_X25519;
    size_t n = mobid_curve_size(curve);
    err = coord(jwk, "x", n, &x);
    if (err != MOBID_OK)
        goto done;
    /* OKP keys have no y (RFC 8037 §2); a y there means a confused producer. */
    err = okp ? (json_object_get(jwk, "y") ? MOBID_ERR_MALFORMED : MOBID_OK)
              : coord(jwk, "y", n, &y);
    if (err != MOBID_OK)
        goto done;
    if (json_object_get(jwk, "d")) {
        err = coord(jwk, "d", n, &d);
        if (err != MOBID_OK)
            goto done;
    }
    err = mobid_key_from_coords(curve, mobid_buf_view(&x), mobid_buf_view(&y),
                                mobid_buf_view(&d), out);
done:
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&d);
    return err;
}

mobid_err mobid_jwk_parse(mobid_view text, mobid_key **out)
{
    json_t *jwk = NULL;
    if (out)
        *out = NULL;
    mobid_err err = mobid_json_parse(text, 64 * 1024, &jwk);
    if (err == MOBID_OK)
        err = mobid_jwk_to_key(jwk, out);
    json_decref(jwk);
    return err;
}

/* Set member name of obj to base64url(v). */
static mobid_err set_b64(json_t *obj, const char *name, mobid_view v)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_err err = mobid_b64url_encode(v, &b);
    if (err == MOBID_OK &&
        json_object_set_new(obj, name, json_stringn((const char *)b.ptr, b.len)) != 0)
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&b);
    return err;
}

mobid_err mobid_jwk_from_key(const mobid_key *key, bool with_private, json_t **out)
{
    mobid_buf x, y, d;
    json_t *jwk = NULL;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    mobid_buf_init(&d, 0);
    if (!key || !out)
        goto done;
    *out = NULL;
    size_t i = 0;
    while (i < N_CURVES && CURVES[i].curve != mobid_key_curve(key))
        i++;
    err = MOBID_ERR_UNSUPPORTED;
    if (i == N_CURVES)
        goto done;
    bool want_d = with_private && mobid_key_has_private(key);
    err = mobid_key_to_coords(key, &x, &y, want_d ? &d : NULL);
    if (err != MOBID_OK)
        goto done;
    err = MOBID_ERR_NOMEM;
    jwk = json_object();
    if (!jwk || json_object_set_new(jwk, "kty", json_string(CURVES[i].kty)) != 0 ||
        json_object_set_new(jwk, "crv", json_string(CURVES[i].crv)) != 0)
        goto done;
    err = set_b64(jwk, "x", mobid_buf_view(&x));
    if (err == MOBID_OK && y.len)
        err = set_b64(jwk, "y", mobid_buf_view(&y));
    if (err == MOBID_OK && want_d)
        err = set_b64(jwk, "d", mobid_buf_view(&d));
    if (err != MOBID_OK)
        goto done;
    *out = jwk;
    jwk = NULL;
done:
    json_decref(jwk);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&d);
    return err;
}

/* RFC 7638 §3.2: the required members of each key type. */
static const char *const *required_members(const char *kty)
{
    static const char *const ec[] = { "crv", "kty", "x", "y", NULL };
    static const char *const okp[] = { "crv", "kty", "x", NULL };
    static const char *const rsa[] = { "e", "kty", "n", NULL };
    static const char *const oct[] = { "k", "kty", NULL };
    if (!kty)
        return NULL;
    return !strcmp(kty, "EC") ? ec : !strcmp(kty, "OKP") ? okp : !strcmp(kty, "RSA") ? rsa
           : !strcmp(kty, "oct") ? oct : NULL;
}

mobid_err mobid_jwk_thumbprint(const json_t *jwk, uint8_t out[32])
{
    json_t *req = NULL;
    mobid_buf text;
    uint8_t md[MOBID_HASH_MAX];
    mobid_err err = MOBID_ERR_MALFORMED;

    mobid_buf_init(&text, 64 * 1024);
    if (!json_is_object(jwk) || !json_is_string(json_object_get(jwk, "kty")))
        goto done;
    const char *const *names = required_members(json_string_value(json_object_get(jwk, "kty")));
    err = MOBID_ERR_UNSUPPORTED;
    if (!names)
        goto done;
    err = MOBID_ERR_NOMEM;
    req = json_object();
    if (!req)
        goto done;
    for (; *names; names++) {
        json_t *v = json_object_get(jwk, *names);
        err = !json_is_string(v) ? MOBID_ERR_MALFORMED
              : json_object_set(req, *names, v) != 0 ? MOBID_ERR_NOMEM : MOBID_OK;
        if (err != MOBID_OK)
            goto done;
    }
    /* Sorted, no whitespace, UTF-8 as is: the canonical form RFC 7638 §3.3 asks for. */
    err = mobid_json_dump(req, true, &text);
    if (err == MOBID_OK)
        err = mobid_hash(MOBID_HASH_SHA256, mobid_buf_view(&text), md);
    if (err == MOBID_OK)
        memcpy(out, md, 32);
done:
    json_decref(req);
    mobid_buf_free(&text);
    return err;
}

mobid_err mobid_jwk_thumbprint_b64url(const json_t *jwk, mobid_buf *out)
{
    uint8_t tp[32];
    mobid_err err = mobid_jwk_thumbprint(jwk, tp);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(tp, sizeof tp), out);
    return err;
}

mobid_err mobid_jwk_thumbprint_key(const mobid_key *key, mobid_buf *out)
{
    json_t *jwk = NULL;
    mobid_err err = mobid_jwk_from_key(key, false, &jwk);
    if (err == MOBID_OK)
        err = mobid_jwk_thumbprint_b64url(jwk, out);
    json_decref(jwk);
    return err;
}
