/* JWS compact serialization (RFC 7515) with ES256/ES384/ES512/EdDSA only. */
#include "jose_internal.h"

#include <string.h>

static const struct {
    const char *name;
    mobid_alg alg;
} ALG_NAMES[] = {
    { "ES256", MOBID_ALG_ES256 },
    { "ES384", MOBID_ALG_ES384 },
    { "ES512", MOBID_ALG_ES512 },
    { "EdDSA", MOBID_ALG_EDDSA },
};

const mobid_alg mobid_jose_algs_all[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                          MOBID_ALG_EDDSA, MOBID_ALG_NONE };

mobid_alg mobid_jose_alg_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof ALG_NAMES / sizeof ALG_NAMES[0]; i++)
        if (!strcmp(name, ALG_NAMES[i].name))
            return ALG_NAMES[i].alg;
    return MOBID_ALG_NONE;
}

const char *mobid_jose_alg_name(mobid_alg alg)
{
    for (size_t i = 0; i < sizeof ALG_NAMES / sizeof ALG_NAMES[0]; i++)
        if (ALG_NAMES[i].alg == alg)
            return ALG_NAMES[i].name;
    return NULL;
}

void mobid_jws_clear(mobid_jws *jws)
{
    if (!jws)
        return;
    json_decref(jws->header);
    mobid_buf_free(&jws->payload);
    mobid_buf_free(&jws->sig);
    memset(jws, 0, sizeof *jws);
}

/* The header's "alg": a string is required; names mobid does not verify map to NONE. */
static mobid_err header_alg(const json_t *hdr, mobid_alg *alg)
{
    const json_t *a = json_object_get(hdr, "alg");
    if (!json_is_string(a))
        return MOBID_ERR_MALFORMED;
    *alg = mobid_jose_alg_from_name(json_string_value(a));
    return MOBID_OK;
}

mobid_err mobid_jws_parse(mobid_view compact, mobid_jws *out)
{
    mobid_view parts[3];
    mobid_err err = MOBID_ERR_INVALID_ARG;

    if (!out)
        return err;
    memset(out, 0, sizeof *out);
    mobid_buf_init(&out->payload, MOBID_JOSE_MAX_COMPACT);
    mobid_buf_init(&out->sig, MOBID_JOSE_MAX_COMPACT);
    if (!compact.ptr && compact.len)
        goto done;
    err = MOBID_ERR_TOO_BIG;
    if (compact.len > MOBID_JOSE_MAX_COMPACT)
        goto done;
    err = mobid_jose_split(compact, parts, 3);
    if (err != MOBID_OK)
        goto done;
    err = mobid_jose_decode_header(parts[0], &out->header);
    if (err != MOBID_OK)
        goto done;
    err = header_alg(out->header, &out->alg);
    if (err != MOBID_OK)
        goto done;
    err = mobid_b64url_decode(parts[1], &out->payload);
    if (err != MOBID_OK)
        goto done;
    err = mobid_b64url_decode(parts[2], &out->sig);
    if (err != MOBID_OK)
        goto done;
    out->header_b64 = parts[0];
    out->payload_b64 = parts[1];
    out->signature_b64 = parts[2];
    out->signing_input = mobid_view_make(parts[0].ptr, parts[0].len + 1 + parts[1].len);
done:
    if (err != MOBID_OK)
        mobid_jws_clear(out);
    return err;
}

static bool alg_listed(mobid_alg alg, const mobid_alg *allowed)
{
    for (; *allowed != MOBID_ALG_NONE; allowed++)
        if (*allowed == alg)
            return true;
    return false;
}

mobid_err mobid_jws_verify(const mobid_jws *jws, const mobid_key *key, const mobid_alg *allowed)
{
    if (!jws || !key || !allowed || !jws->header)
        return MOBID_ERR_INVALID_ARG;
    /* NONE stands for "none", HS*, RS* and anything unknown: never acceptable, even
     * if a caller put MOBID_ALG_NONE in the middle of its list. */
    if (jws->alg == MOBID_ALG_NONE || !alg_listed(jws->alg, allowed))
        return MOBID_ERR_ALG_NOT_ALLOWED;
    if (mobid_key_curve(key) != mobid_alg_curve(jws->alg))
        return MOBID_ERR_KEY_INVALID;
    return mobid_verify(key, jws->alg, jws->signing_input, mobid_buf_view(&jws->sig));
}

/* {"alg":name} followed by the members of extra in order. */
static mobid_err build_header(const char *alg_name, const json_t *extra, json_t **out)
{
    json_t *hdr = json_object();
    mobid_err err = MOBID_ERR_NOMEM;
    const char *k;
    json_t *v;

    if (!hdr || json_object_set_new(hdr, "alg", json_string(alg_name)) != 0)
        goto done;
    err = MOBID_ERR_INVALID_ARG;
    if (extra && (!json_is_object(extra) || json_object_get(extra, "alg")))
        goto done;
    err = MOBID_ERR_NOMEM;
    json_object_foreach((json_t *)extra, k, v)
        if (json_object_set(hdr, k, v) != 0)
            goto done;
    *out = hdr;
    hdr = NULL;
    err = MOBID_OK;
done:
    json_decref(hdr);
    return err;
}

mobid_err mobid_jws_sign(const mobid_key *key, mobid_alg alg, const json_t *extra_header,
                         mobid_view payload, mobid_buf *out)
{
    const char *name = mobid_jose_alg_name(alg);
    json_t *hdr = NULL;
    mobid_buf sig;
    size_t start = out ? out->len : 0;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&sig, 0);
    if (!key || !out || !name || (!payload.ptr && payload.len))
        goto done;
    err = MOBID_ERR_KEY_INVALID;
    if (mobid_key_curve(key) != mobid_alg_curve(alg) || !mobid_key_has_private(key))
        goto done;
    err = build_header(name, extra_header, &hdr);
    if (err != MOBID_OK)
        goto done;
    err = mobid_jose_append_b64_json(hdr, out);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(out, '.');
    if (err == MOBID_OK)
        err = mobid_b64url_encode(payload, out);
    if (err != MOBID_OK)
        goto done;
    err = mobid_sign(key, alg, mobid_view_make(out->ptr + start, out->len - start), &sig);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(out, '.');
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_buf_view(&sig), out);
done:
    json_decref(hdr);
    mobid_buf_free(&sig);
    return err;
}
