/* The JWT form of status list tokens (typ "statuslist+jwt"). */
#include "statuslist_int.h"

#include <mobid/jose.h>

#include <string.h>
#include <strings.h>

/* The "status_list" member {"bits":B,"lst":"..."}; *out is a new reference. */
static mobid_err list_member(const mobid_statuslist *l, mobid_statuslist_zlib mode, json_t **out)
{
    mobid_buf z, b64;
    mobid_buf_init(&z, 0);
    mobid_buf_init(&b64, 0);
    mobid_err err = mobid_statuslist_compress(l, mode, &z);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_buf_view(&z), &b64);
    if (err == MOBID_OK) {
        *out = json_pack("{s:I,s:s%}", "bits", (json_int_t)mobid_statuslist_bits(l), "lst",
                         b64.ptr ? (const char *)b64.ptr : "", b64.len);
        err = *out ? MOBID_OK : MOBID_ERR_NOMEM;
    }
    mobid_buf_free(&z);
    mobid_buf_free(&b64);
    return err;
}

/* The JWT payload: sub, iat, exp, ttl, status_list (members sorted). */
static mobid_err jwt_payload(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                             mobid_time iat, mobid_buf *out)
{
    json_t *claims = NULL, *sl = NULL;
    mobid_err err = list_member(l, p->zlib, &sl);
    if (err != MOBID_OK)
        goto done;
    claims = json_pack("{s:s,s:I,s:O}", "sub", p->uri, "iat", (json_int_t)iat, "status_list", sl);
    if (!claims || (p->exp && json_object_set_new(claims, "exp", json_integer(p->exp))) ||
        (p->ttl && json_object_set_new(claims, "ttl", json_integer((json_int_t)p->ttl)))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = mobid_json_dump(claims, true, out);
done:
    json_decref(claims);
    json_decref(sl);
    return err;
}

mobid_err statuslist_sign_jwt(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                              mobid_alg alg, mobid_time iat, mobid_buf *out)
{
    json_t *hdr = NULL, *x5c = NULL;
    mobid_buf payload;
    mobid_buf_init(&payload, 0);
    mobid_err err = jwt_payload(l, p, iat, &payload);
    if (err != MOBID_OK)
        goto done;
    err = mobid_jose_x5c_from_certs(p->chain, p->chain_len, &x5c);
    if (err != MOBID_OK)
        goto done;
    hdr = json_pack("{s:s}", "typ", MOBID_STATUSLIST_JWT_TYP);
    if (!hdr || (p->kid.len && json_object_set_new(hdr, "kid", json_stringn((const char *)p->kid.ptr,
                                                                             p->kid.len))) ||
        json_object_set(hdr, "x5c", x5c)) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = mobid_jws_sign(p->key, alg, hdr, mobid_buf_view(&payload), out);
done:
    json_decref(hdr);
    json_decref(x5c);
    mobid_buf_free(&payload);
    return err;
}

/* typ must name a status list JWT; the "application/" prefix may be present
 * (RFC 7515 §4.1.9) and media types compare case-insensitively. */
static mobid_err check_typ(const json_t *header)
{
    const char *typ = json_string_value(json_object_get(header, "typ"));
    if (!typ)
        return MOBID_ERR_TYPE_MISMATCH;
    if (!strncasecmp(typ, "application/", 12))
        typ += 12;
    return strcasecmp(typ, MOBID_STATUSLIST_JWT_TYP) ? MOBID_ERR_TYPE_MISMATCH : MOBID_OK;
}

/* The x5c chain must lead to the trust anchors at c->at and its leaf must have
 * signed the token. A token without x5c names no signer we could trust. */
static mobid_err verify_signer(const mobid_jws *jws, const statuslist_verify_ctx *c)
{
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_key *key = NULL;
    mobid_err err = mobid_jose_header_x5c(jws->header, &certs, &n);
    if (err == MOBID_ERR_NOT_FOUND)
        err = MOBID_ERR_UNTRUSTED_ISSUER;
    if (err != MOBID_OK)
        goto done;
    if ((err = mobid_trust_verify_chain(c->trust, certs, n, c->at, MOBID_PURPOSE_SIGNING)) !=
        MOBID_OK)
        goto done;
    if ((err = mobid_cert_public_key(certs[0], &key)) != MOBID_OK)
        goto done;
    err = mobid_jws_verify(jws, key, mobid_jose_algs_all);
done:
    mobid_key_free(key);
    mobid_cert_list_free(certs, n);
    return err;
}

/* A NumericDate (RFC 7519 §2): integer or real seconds; fractions are dropped. */
static bool numeric_date(const json_t *v, mobid_time *out)
{
    if (json_is_integer(v)) {
        *out = (mobid_time)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) > -9e15 && json_real_value(v) < 9e15) {
        *out = (mobid_time)json_real_value(v);
        return true;
    }
    return false;
}

static mobid_err jwt_claims(const json_t *claims, const mobid_statuslist_limits *lim,
                            mobid_statuslist_token *t)
{
    const json_t *sub = json_object_get(claims, "sub");
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *ttl = json_object_get(claims, "ttl");
    const json_t *sl = json_object_get(claims, "status_list");
    if (!json_is_object(claims) || !json_is_string(sub) || !json_is_object(sl) ||
        !numeric_date(json_object_get(claims, "iat"), &t->iat))
        return MOBID_ERR_STATUS_LIST_INVALID;
    if (exp && !(t->has_exp = numeric_date(exp, &t->exp)))
        return MOBID_ERR_STATUS_LIST_INVALID;
    if (ttl) {
        if (!json_is_integer(ttl) || json_integer_value(ttl) <= 0)
            return MOBID_ERR_STATUS_LIST_INVALID;
        t->has_ttl = true;
        t->ttl = (uint64_t)json_integer_value(ttl);
    }
    t->sub = mobid_view_strdup(mobid_view_make(json_string_value(sub), json_string_length(sub)));
    if (!t->sub)
        return MOBID_ERR_NOMEM;
    return statuslist_from_json_obj(sl, lim, &t->list);
}

/* Token text as read from a file may end with a newline. */
static mobid_view trim(mobid_view v)
{
    while (v.len && (v.ptr[v.len - 1] == '\n' || v.ptr[v.len - 1] == '\r' ||
                     v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
        v.len--;
    while (v.len && (v.ptr[0] == '\n' || v.ptr[0] == '\r' || v.ptr[0] == ' ' || v.ptr[0] == '\t')) {
        v.ptr++;
        v.len--;
    }
    return v;
}

mobid_err statuslist_read_jwt(mobid_view token, const statuslist_verify_ctx *c,
                              mobid_statuslist_token **out)
{
    mobid_jws jws;
    memset(&jws, 0, sizeof jws);
    json_t *claims = NULL;
    mobid_statuslist_token *t = NULL;
    mobid_err err = mobid_jws_parse(trim(token), &jws);
    if (err != MOBID_OK)
        goto done;
    if ((err = check_typ(jws.header)) != MOBID_OK)
        goto done;
    if (c->trust && (err = verify_signer(&jws, c)) != MOBID_OK)
        goto done;
    if ((err = mobid_json_parse(mobid_buf_view(&jws.payload), 0, &claims)) != MOBID_OK)
        goto done;
    if ((err = statuslist_token_alloc(MOBID_STATUSLIST_JWT, &t)) != MOBID_OK)
        goto done;
    if ((err = jwt_claims(claims, c->limits, t)) != MOBID_OK)
        goto done;
    if ((err = statuslist_check_claims(c, t)) != MOBID_OK)
        goto done;
    *out = t;
    t = NULL;
done:
    mobid_statuslist_token_free(t);
    json_decref(claims);
    mobid_jws_clear(&jws);
    return err;
}
