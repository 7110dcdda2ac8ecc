/* Status list tokens: signing and verifying the JWT and CWT forms. */
#include "statuslist_int.h"

#include <string.h>

void mobid_statuslist_token_free(mobid_statuslist_token *t)
{
    if (!t)
        return;
    mobid_free(t->sub);
    mobid_statuslist_free(t->list);
    mobid_free(t);
}

mobid_statuslist_format mobid_statuslist_detect_format(mobid_view token)
{
    size_t i = 0;
    while (i < token.len && (token.ptr[i] == ' ' || token.ptr[i] == '\n' || token.ptr[i] == '\r' ||
                             token.ptr[i] == '\t'))
        i++;
    if (i < token.len && token.ptr[i] == 'e')
        return MOBID_STATUSLIST_JWT; /* base64url of '{"' */
    if (i < token.len && (token.ptr[i] == 0xd2 || token.ptr[i] == 0x84))
        return MOBID_STATUSLIST_CWT; /* tag 18 or a four-element array */
    return (mobid_statuslist_format)0;
}

mobid_alg statuslist_alg_for_key(const mobid_key *k)
{
    switch (mobid_key_curve(k)) {
    case MOBID_CURVE_P256: return MOBID_ALG_ES256;
    case MOBID_CURVE_P384: return MOBID_ALG_ES384;
    case MOBID_CURVE_P521: return MOBID_ALG_ES512;
    case MOBID_CURVE_ED25519: return MOBID_ALG_EDDSA;
    default: return MOBID_ALG_NONE;
    }
}

/* ------------------------------------------------------------------ sign */

mobid_err mobid_statuslist_token_sign(const mobid_statuslist *l,
                                      const mobid_statuslist_sign_params *p, mobid_buf *out)
{
    if (!l || !p || !out || !p->key || !p->chain || p->chain_len == 0 || !p->uri || !*p->uri)
        return MOBID_ERR_INVALID_ARG;
    mobid_alg alg = p->alg ? p->alg : statuslist_alg_for_key(p->key);
    if (alg == MOBID_ALG_NONE)
        return MOBID_ERR_KEY_INVALID;
    mobid_time iat = p->iat ? p->iat : mobid_now();
    if (p->format == MOBID_STATUSLIST_JWT)
        return statuslist_sign_jwt(l, p, alg, iat, out);
    if (p->format == MOBID_STATUSLIST_CWT)
        return statuslist_sign_cwt(l, p, alg, iat, out);
    return MOBID_ERR_INVALID_ARG;
}

/* ---------------------------------------------------------------- verify */

/* Times and subject, common to both forms. */
mobid_err statuslist_check_claims(const statuslist_verify_ctx *c, const mobid_statuslist_token *t)
{
    if (!c->trust)
        return MOBID_OK;
    if (c->expected_uri && strcmp(c->expected_uri, t->sub) != 0)
        return MOBID_ERR_SUBJECT_MISMATCH;
    if (t->has_exp && c->at >= t->exp)
        return MOBID_ERR_EXPIRED;
    if (t->iat > c->at + STATUSLIST_IAT_SKEW)
        return MOBID_ERR_NOT_YET_VALID;
    return MOBID_OK;
}

mobid_err statuslist_token_alloc(mobid_statuslist_format format, mobid_statuslist_token **out)
{
    *out = mobid_calloc(1, sizeof **out);
    if (!*out)
        return MOBID_ERR_NOMEM;
    (*out)->format = format;
    return MOBID_OK;
}

static mobid_err token_read(mobid_view token, const statuslist_verify_ctx *c, mobid_statuslist_token **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    switch (mobid_statuslist_detect_format(token)) {
    case MOBID_STATUSLIST_JWT: return statuslist_read_jwt(token, c, out);
    case MOBID_STATUSLIST_CWT: return statuslist_read_cwt(token, c, out);
    default: return MOBID_ERR_MALFORMED;
    }
}

mobid_err mobid_statuslist_token_verify(mobid_view token, const mobid_statuslist_verify_params *p,
                                        mobid_statuslist_token **out)
{
    if (!p || !p->trust)
        return MOBID_ERR_INVALID_ARG;
    statuslist_verify_ctx c = { p->trust, p->at ? p->at : mobid_now(), p->expected_uri, p->limits };
    return token_read(token, &c, out);
}

mobid_err mobid_statuslist_token_decode(mobid_view token, const mobid_statuslist_limits *lim,
                                        mobid_statuslist_token **out)
{
    statuslist_verify_ctx c = { NULL, 0, NULL, lim };
    return token_read(token, &c, out);
}
