/* The issuer-signed JWT of an SD-JWT VC: registered claims around the processed claims. */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdlib.h>
#include <string.h>

/* iss from the leaf certificate: its first URI SAN, else https://<first DNS SAN>. */
static json_t *iss_from_cert(const mobid_cert *leaf)
{
    char **san = NULL;
    size_t n = 0;
    json_t *iss = NULL;
    if (mobid_cert_san(leaf, &san, &n) != MOBID_OK)
        return NULL;
    for (size_t i = 0; i < n && !iss; i++)
        if (strstr(san[i], "://"))
            iss = json_string(san[i]);
    if (!iss && n > 0)
        iss = json_sprintf("https://%s", san[0]);
    for (size_t i = 0; i < n; i++)
        free(san[i]);
    free(san);
    return iss;
}

static mobid_err set_time(json_t *payload, const char *name, mobid_time t)
{
    if (t == 0)
        return MOBID_OK;
    return json_object_set_new(payload, name, json_integer(t)) == 0 ? MOBID_OK
                                                                     : MOBID_ERR_NOMEM;
}

/* Registered claims first (iss, iat, nbf, exp, vct), then the user claims, then cnf,
 * status and _sd_alg. Values given in the parameters win over the claim set's. */
static mobid_err build_payload(const mobid_sdjwt_issue_params *p, json_t *claims,
                               json_t **out)
{
    json_t *pl = json_object();
    mobid_err err = pl ? MOBID_OK : MOBID_ERR_NOMEM;
    json_t *iss = p->iss ? json_string(p->iss) : json_incref(json_object_get(claims, "iss"));
    if (!iss && p->x5c_len > 0)
        iss = iss_from_cert(p->x5c[0]);
    if (err == MOBID_OK && iss)
        err = json_object_set(pl, "iss", iss) == 0 ? MOBID_OK : MOBID_ERR_NOMEM;
    json_decref(iss);
    if (err == MOBID_OK)
        err = set_time(pl, "iat", p->iat ? p->iat : mobid_now());
    if (err == MOBID_OK)
        err = set_time(pl, "nbf", p->nbf);
    if (err == MOBID_OK)
        err = set_time(pl, "exp", p->exp);
    if (err == MOBID_OK && p->vct && json_object_set_new(pl, "vct", json_string(p->vct)))
        err = MOBID_ERR_NOMEM;
    const char *key;
    json_t *val;
    json_object_foreach(claims, key, val) {
        if (err == MOBID_OK && !json_object_get(pl, key) && json_object_set(pl, key, val))
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK && p->holder_key) {
        json_t *jwk = NULL;
        err = mobid_jwk_from_key(p->holder_key, false, &jwk);
        if (err == MOBID_OK && json_object_set_new(pl, "cnf", json_pack("{so}", "jwk", jwk)))
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK && p->status_uri &&
        json_object_set_new(pl, "status",
                            json_pack("{s{sIss}}", "status_list", "idx",
                                      (json_int_t)p->status_idx, "uri", p->status_uri)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK &&
        json_object_set_new(pl, "_sd_alg",
                            json_string(mobid_sdjwt_hash_name(p->hash ? p->hash
                                                                      : MOBID_HASH_SHA256))))
        err = MOBID_ERR_NOMEM;
    if (err != MOBID_OK)
        json_decref(pl);
    else
        *out = pl;
    return err;
}

static mobid_err build_header(const mobid_sdjwt_issue_params *p, json_t **out)
{
    json_t *h = json_pack("{ss}", "typ", p->typ ? p->typ : "dc+sd-jwt");
    mobid_err err = h ? MOBID_OK : MOBID_ERR_NOMEM;
    if (err == MOBID_OK && p->x5c_len > 0) {
        json_t *x5c = NULL;
        err = mobid_jose_x5c_from_certs(p->x5c, p->x5c_len, &x5c);
        if (err == MOBID_OK && json_object_set_new(h, "x5c", x5c) != 0)
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK && p->extra_header) {
        if (!json_is_object(p->extra_header) || json_object_get(p->extra_header, "alg"))
            err = MOBID_ERR_INVALID_ARG;
        else if (json_object_update(h, (json_t *)p->extra_header) != 0)
            err = MOBID_ERR_NOMEM;
    }
    if (err != MOBID_OK)
        json_decref(h);
    else
        *out = h;
    return err;
}

mobid_alg mobid_sdjwt_alg_for_key(const mobid_key *k)
{
    switch (mobid_key_curve(k)) {
    case MOBID_CURVE_P256: return MOBID_ALG_ES256;
    case MOBID_CURVE_P384: return MOBID_ALG_ES384;
    case MOBID_CURVE_P521: return MOBID_ALG_ES512;
    case MOBID_CURVE_ED25519: return MOBID_ALG_EDDSA;
    default: return MOBID_ALG_NONE;
    }
}

mobid_err mobid_sdjwt_issue_sign(const mobid_sdjwt_issue_params *p, json_t *claims, mobid_buf *out)
{
    json_t *payload = NULL, *header = NULL;
    mobid_buf text;
    mobid_buf_init(&text, 0);
    mobid_alg alg = p->alg ? p->alg : mobid_sdjwt_alg_for_key(p->issuer_key);
    mobid_err err = build_payload(p, claims, &payload);
    if (err == MOBID_OK)
        err = build_header(p, &header);
    if (err == MOBID_OK)
        err = mobid_json_dump(payload, false, &text);
    if (err == MOBID_OK)
        err = mobid_jws_sign(p->issuer_key, alg, header, mobid_buf_view(&text), out);
    json_decref(payload);
    json_decref(header);
    mobid_buf_free(&text);
    return err;
}
