/* The CWT form of status list tokens (COSE_Sign1, typ "application/statuslist+cwt"). */
#include "statuslist_int.h"

#include <mobid/cose.h>

#include <string.h>

/* The CWT claims map (sorted by the encoder). */
static mobid_err cwt_payload(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                             mobid_time iat, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_uint(&e, MOBID_CWT_SUB);
    mobid_cbor_put_cstr(&e, p->uri);
    mobid_cbor_put_uint(&e, MOBID_CWT_IAT);
    mobid_cbor_put_int(&e, iat);
    if (p->exp) {
        mobid_cbor_put_uint(&e, MOBID_CWT_EXP);
        mobid_cbor_put_int(&e, p->exp);
    }
    if (p->ttl) {
        mobid_cbor_put_uint(&e, MOBID_CWT_TTL);
        mobid_cbor_put_uint(&e, p->ttl);
    }
    mobid_cbor_put_uint(&e, MOBID_CWT_STATUS_LIST);
    mobid_err err = mobid_statuslist_to_cbor(l, p->zlib, &e);
    mobid_cbor_map_end(&e);
    mobid_err fin = mobid_cbor_enc_finish(&e);
    return err != MOBID_OK ? err : fin;
}

mobid_err statuslist_sign_cwt(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                              mobid_alg alg, mobid_time iat, mobid_buf *out)
{
    mobid_buf payload, prot;
    mobid_buf_init(&payload, 0);
    mobid_buf_init(&prot, 0);
    mobid_view *ders = mobid_calloc(p->chain_len, sizeof *ders);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!ders)
        goto done;
    for (size_t i = 0; i < p->chain_len; i++)
        ders[i] = mobid_cert_der(p->chain[i]);
    if ((err = cwt_payload(l, p, iat, &payload)) != MOBID_OK)
        goto done;
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, &prot);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_uint(&e, MOBID_COSE_HDR_TYP);
    mobid_cbor_put_cstr(&e, MOBID_STATUSLIST_CWT_MEDIA);
    mobid_cbor_map_end(&e);
    if ((err = mobid_cbor_enc_finish(&e)) != MOBID_OK)
        goto done;
    mobid_cose_sign1_params cp;
    memset(&cp, 0, sizeof cp);
    cp.alg = alg;
    cp.protected_extra = mobid_buf_view(&prot);
    cp.kid = p->kid;
    cp.x5chain = ders;
    cp.x5chain_count = p->chain_len;
    cp.x5chain_protected = true; /* the signature covers the chain it names */
    cp.tagged = true;
    err = mobid_cose_sign1_create(p->key, &cp, mobid_buf_view(&payload), out);
done:
    mobid_free(ders);
    mobid_buf_free(&payload);
    mobid_buf_free(&prot);
    return err;
}

/* The protected typ (label 16) must name a status list CWT. */
static mobid_err check_typ(const mobid_cose_sign1 *s)
{
    mobid_cbor_item it;
    mobid_view typ;
    if (mobid_cbor_map_get_int(&s->protected_map, MOBID_COSE_HDR_TYP, &it) != MOBID_OK ||
        mobid_cbor_get_text(&it, &typ) != MOBID_OK)
        return MOBID_ERR_TYPE_MISMATCH;
    return mobid_view_eq_str(typ, MOBID_STATUSLIST_CWT_MEDIA) ? MOBID_OK : MOBID_ERR_TYPE_MISMATCH;
}

/* The x5chain must lead to the anchors at c->at and its leaf must have signed. */
static mobid_err verify_signer(const mobid_cose_sign1 *s, const statuslist_verify_ctx *c)
{
    mobid_err err = mobid_cose_sign1_verify_x5chain(s, c->trust, c->at, MOBID_PURPOSE_SIGNING,
                                                    mobid_view_make(NULL, 0),
                                                    mobid_view_make(NULL, 0),
                                                    mobid_cose_algs_all, NULL);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_UNTRUSTED_ISSUER : err;
}

/* An optional integer claim: absent is fine, another type is not. */
static mobid_err opt_int(const mobid_cbor_item *map, int64_t key, bool *has, int64_t *v)
{
    mobid_cbor_item it;
    mobid_err err = mobid_cbor_map_get_int(map, key, &it);
    *has = err == MOBID_OK;
    if (err == MOBID_ERR_NOT_FOUND)
        return MOBID_OK;
    if (err != MOBID_OK || mobid_cbor_get_int64(&it, v) != MOBID_OK)
        return MOBID_ERR_STATUS_LIST_INVALID;
    return MOBID_OK;
}

static mobid_err cwt_claims(mobid_view payload, const mobid_statuslist_limits *lim,
                            mobid_statuslist_token *t)
{
    mobid_cbor_item claims, isub, isl;
    mobid_view sub;
    bool has_iat, has_ttl;
    int64_t ttl = 0;
    if (mobid_cbor_decode_exact(payload, NULL, &claims) != MOBID_OK ||
        claims.type != MOBID_CBOR_MAP || mobid_cbor_map_get_int(&claims, MOBID_CWT_SUB, &isub) != MOBID_OK ||
        mobid_cbor_get_text(&isub, &sub) != MOBID_OK || (sub.len && memchr(sub.ptr, 0, sub.len)) ||
        mobid_cbor_map_get_int(&claims, MOBID_CWT_STATUS_LIST, &isl) != MOBID_OK)
        return MOBID_ERR_STATUS_LIST_INVALID;
    if (opt_int(&claims, MOBID_CWT_IAT, &has_iat, &t->iat) != MOBID_OK || !has_iat ||
        opt_int(&claims, MOBID_CWT_EXP, &t->has_exp, &t->exp) != MOBID_OK ||
        opt_int(&claims, MOBID_CWT_TTL, &has_ttl, &ttl) != MOBID_OK || (has_ttl && ttl <= 0))
        return MOBID_ERR_STATUS_LIST_INVALID;
    t->has_ttl = has_ttl;
    t->ttl = (uint64_t)ttl;
    t->sub = mobid_view_strdup(sub);
    if (!t->sub)
        return MOBID_ERR_NOMEM;
    return mobid_statuslist_from_cbor(&isl, lim, &t->list);
}

mobid_err statuslist_read_cwt(mobid_view token, const statuslist_verify_ctx *c,
                              mobid_statuslist_token **out)
{
    mobid_cose_sign1 s;
    mobid_statuslist_token *t = NULL;
    mobid_err err = mobid_cose_sign1_parse(token, &s);
    if (err != MOBID_OK)
        goto done;
    if ((err = check_typ(&s)) != MOBID_OK)
        goto done;
    if (c->trust && (err = verify_signer(&s, c)) != MOBID_OK)
        goto done;
    if (s.detached) {
        err = MOBID_ERR_STATUS_LIST_INVALID;
        goto done;
    }
    if ((err = statuslist_token_alloc(MOBID_STATUSLIST_CWT, &t)) != MOBID_OK)
        goto done;
    if ((err = cwt_claims(s.payload, c->limits, t)) != MOBID_OK)
        goto done;
    if ((err = statuslist_check_claims(c, t)) != MOBID_OK)
        goto done;
    *out = t;
    t = NULL;
done:
    mobid_statuslist_token_free(t);
    return err;
}
