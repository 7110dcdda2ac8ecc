/*
 * Checking a credential before it enters the vault: issuer signature, chain to the
 * ministry root, and that it is bound to the device key the wallet made for it.
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include "wallet_check.h"

mobid_err wl_check_sdjwt(const char *cred, const mobid_key *key, mobid_trust *trust,
                         mobid_time now, json_t **claims, char **type, char *detail,
                         size_t detail_len)
{
    mobid_sdjwt_verify_opts o = { 0 };
    mobid_sdjwt_result res = { 0 };
    mobid_buf want, got;
    const json_t *jwk;
    mobid_err err;

    *claims = NULL;
    *type = NULL;
    mobid_buf_init(&want, 0);
    mobid_buf_init(&got, 0);
    o.trust = trust;
    o.now = now;
    o.skew = -1;
    err = mobid_sdjwt_verify(mobid_view_str(cred), &o, &res);
    if (err) {
        wl_detail(detail, detail_len, "SD-JWT VC: %s", res.detail);
        goto done;
    }
    jwk = json_object_get(json_object_get(res.claims, "cnf"), "jwk");
    err = jwk ? mobid_jwk_thumbprint_b64url(jwk, &got) : MOBID_ERR_HOLDER_BINDING_MISSING;
    if (!err)
        err = mobid_jwk_thumbprint_key(key, &want);
    if (!err && !mobid_view_eq(mobid_buf_view(&want), mobid_buf_view(&got)))
        err = MOBID_ERR_DEVICE_KEY_INVALID;
    if (err) {
        wl_detail(detail, detail_len, "SD-JWT VC not bound to the device key sent");
        goto done;
    }
    *type = mobid_view_strdup(mobid_view_str(
        json_string_value(json_object_get(res.claims, "vct")) ? json_string_value(
                                                                    json_object_get(res.claims, "vct"))
                                                              : ""));
    *claims = json_incref(res.claims);
    if (!*type || !*claims)
        err = MOBID_ERR_NOMEM;
done:
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&want);
    mobid_buf_free(&got);
    return err;
}

/* Every item of a held document, as present() references (strings owned by names). */
static mobid_err all_refs(const mobid_mdoc_doc *d, mobid_mdoc_ref **refs, char ***names)
{
    *refs = mobid_calloc(d->n_items ? d->n_items : 1, sizeof **refs);
    *names = mobid_calloc(2 * d->n_items + 1, sizeof **names);
    if (!*refs || !*names)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < d->n_items; i++) {
        (*names)[2 * i] = mobid_view_strdup(d->items[i].ns);
        (*names)[2 * i + 1] = mobid_view_strdup(d->items[i].id);
        if (!(*names)[2 * i] || !(*names)[2 * i + 1])
            return MOBID_ERR_NOMEM;
        (*refs)[i].ns = (*names)[2 * i];
        (*refs)[i].id = (*names)[2 * i + 1];
    }
    return MOBID_OK;
}

static void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        mobid_free(names[i]);
    mobid_free(names);
}

/* Present every item to ourselves and verify that response with the ministry trust:
 * the verifier checks issuerAuth, the DS chain, validity, the digests and that the
 * MSO's device key is ours (the device signature verifies). */
static mobid_err self_verify(mobid_view is, const mobid_mdoc_doc *d, const mobid_key *key,
                             mobid_trust *trust, mobid_time now, char *detail, size_t dlen)
{
    mobid_mdoc_present_opts po = { 0 };
    mobid_mdoc_verify_opts vo = { 0 };
    mobid_mdoc_result res = { 0 };
    mobid_mdoc_verifier *v = NULL;
    mobid_mdoc_ref *refs = NULL;
    char **names = NULL;
    mobid_buf st, resp;
    mobid_err err;

    mobid_buf_init(&st, 0);
    mobid_buf_init(&resp, 0);
    err = all_refs(d, &refs, &names);
    if (!err)
        err = mobid_mdoc_transcript_oid4vp("wallet-self-check", "wallet-self-check-nonce",
                                           mobid_view_make(NULL, 0), "urn:mobid:wallet",
                                           &st);
    po.issuer_signed = is;
    po.device_key = key;
    po.transcript = mobid_buf_view(&st);
    po.reveal = refs;
    po.n_reveal = d->n_items;
    if (!err)
        err = mobid_mdoc_present(&po, &resp);
    if (!err)
        err = mobid_mdoc_verifier_new(trust, &v);
    vo.transcript = mobid_buf_view(&st);
    vo.at = now;
    if (!err) {
        err = mobid_mdoc_verify(v, mobid_buf_view(&resp), &vo, &res);
        if (err)
            wl_detail(detail, dlen, "mdoc: %s", res.detail);
    }
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    mobid_free(refs);
    free_names(names);
    mobid_buf_free(&st);
    mobid_buf_free(&resp);
    return err;
}

mobid_err wl_check_mdoc(const char *cred, const mobid_key *key, mobid_trust *trust,
                        mobid_time now, json_t **claims, char **type, char *detail,
                        size_t detail_len)
{
    mobid_mdoc_doc d = { 0 };
    mobid_buf is;
    mobid_err err;

    *claims = NULL;
    *type = NULL;
    mobid_buf_init(&is, MOBID_MDOC_MAX_INPUT);
    err = mobid_b64url_decode(mobid_view_str(cred), &is);
    if (err) {
        wl_detail(detail, detail_len, "mdoc credential is not base64url");
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    err = mobid_mdoc_issuer_signed_read(mobid_buf_view(&is), &d);
    if (err) {
        wl_detail(detail, detail_len, "mdoc IssuerSigned unreadable");
        goto done;
    }
    err = self_verify(mobid_buf_view(&is), &d, key, trust, now, detail, detail_len);
    if (!err)
        err = mobid_mdoc_doc_claims_json(&d, claims);
    if (!err) {
        *type = mobid_view_strdup(d.doctype);
        if (!*type)
            err = MOBID_ERR_NOMEM;
    }
done:
    mobid_mdoc_doc_free(&d);
    mobid_buf_free(&is);
    return err;
}
