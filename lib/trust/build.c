/*
 * The one way a verifier builds its trust set: pinned certificates and IACAs,
 * VICALs checked against their own roots, SD-JWT VC issuer identifiers, and
 * the certificate policy. The CLI and the services read their files and call
 * this; nothing else assembles a mobid_trust by hand.
 */
#include "trust_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 5))) static mobid_err note(char *detail, size_t len,
                                                            mobid_err err, const char *fmt, ...)
{
    va_list ap;
    if (!detail || !len)
        return err;
    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
    return err;
}

/* Each input must hold at least one certificate. */
static mobid_err add_pems(mobid_trust *t, const mobid_view *pems, size_t n, const char *what,
                          char *detail, size_t len)
{
    mobid_err err = MOBID_OK;
    for (size_t i = 0; err == MOBID_OK && i < n; i++) {
        mobid_cert **certs = NULL;
        size_t k = 0;
        err = mobid_cert_parse_all(pems[i], &certs, &k);
        if (err == MOBID_OK && k == 0)
            err = MOBID_ERR_CERT_INVALID;
        for (size_t j = 0; err == MOBID_OK && j < k; j++)
            err = mobid_trust_add(t, certs[j]);
        mobid_cert_list_free(certs, k);
        if (err != MOBID_OK && err != MOBID_ERR_NOMEM)
            err = note(detail, len, MOBID_ERR_CERT_INVALID, "%s[%zu]: no usable certificate",
                       what, i);
    }
    return err;
}

static mobid_err add_vical(const mobid_trust_config *c, mobid_trust *roots, size_t i,
                           mobid_trust *t, char *detail, size_t len)
{
    mobid_vical v;
    char why[160] = "";
    size_t added = 0;
    mobid_err err = mobid_vical_parse(c->vicals[i], &v);
    if (err != MOBID_OK)
        note(why, sizeof why, err, "%s", mobid_strerror(err));
    else
        err = mobid_vical_verify(&v, roots, c->at, c->allow_stale_vicals, why, sizeof why);
    if (err == MOBID_OK)
        err = mobid_vical_add_to_trust(&v, t, &added);
    if (err == MOBID_OK && added == 0)
        note(why, sizeof why, err = MOBID_ERR_VICAL_INVALID, "no usable certificate in it");
    mobid_vical_clear(&v);
    return err == MOBID_OK ? err : note(detail, len, err, "vicals[%zu]: %s", i, why);
}

static mobid_err add_vicals(const mobid_trust_config *c, mobid_trust *t, char *detail,
                            size_t len)
{
    mobid_trust *roots = NULL;
    mobid_err err = mobid_trust_new(&roots);
    if (err == MOBID_OK)
        err = add_pems(roots, c->vical_anchors, c->n_vical_anchors, "vical_anchors", detail, len);
    for (size_t i = 0; err == MOBID_OK && i < c->n_vicals; i++)
        err = add_vical(c, roots, i, t, detail, len);
    mobid_trust_free(roots);
    return err;
}

static mobid_err check_config(const mobid_trust_config *c, char *detail, size_t len)
{
    if ((c->n_anchors && !c->anchors) || (c->n_vicals && !c->vicals) ||
        (c->n_vical_anchors && !c->vical_anchors) || (c->n_issuers && !c->issuers))
        return note(detail, len, MOBID_ERR_INVALID_ARG, "a list without its entries");
    if (c->n_vicals && !c->n_vical_anchors)
        return note(detail, len, MOBID_ERR_INVALID_ARG, "VICALs need a VICAL anchor");
    if (!c->n_anchors && !c->n_vicals && !c->n_issuers)
        return note(detail, len, MOBID_ERR_INVALID_ARG, "nothing to trust");
    return MOBID_OK;
}

mobid_err mobid_trust_build(const mobid_trust_config *c, mobid_trust **out, char *detail,
                            size_t detail_len)
{
    mobid_trust *t = NULL;
    if (detail && detail_len)
        detail[0] = 0;
    if (!out || !c)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_err err = check_config(c, detail, detail_len);
    if (err == MOBID_OK)
        err = mobid_trust_new(&t);
    if (err == MOBID_OK)
        err = mobid_trust_set_policy(t, c->policy);
    if (err == MOBID_OK)
        err = add_pems(t, c->anchors, c->n_anchors, "anchors", detail, detail_len);
    if (err == MOBID_OK && c->n_vicals)
        err = add_vicals(c, t, detail, detail_len);
    for (size_t i = 0; err == MOBID_OK && i < c->n_issuers; i++)
        if ((err = mobid_trust_add_issuer(t, c->issuers[i])) != MOBID_OK)
            note(detail, detail_len, err, "issuers[%zu]: not an issuer identifier", i);
    if (err == MOBID_OK)
        *out = t;
    else
        mobid_trust_free(t);
    return err;
}
