/* Certificate issuance for `mobid pki`: IACA-style roots, document signer and
 * reader certificates (ISO 18013-5 Annex B profiles), relying-party certificates. */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* 16 random bytes, top bit clear so the INTEGER is positive, never zero. */
static mobid_err set_serial(X509 *x)
{
    uint8_t raw[16];
    mobid_err err = mobid_random(raw, sizeof raw);
    if (err != MOBID_OK)
        return err;
    raw[0] &= 0x7f;
    raw[0] |= 0x40; /* keeps all 16 bytes significant */
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    err = serial && X509_set_serialNumber(x, serial) ? MOBID_OK : MOBID_ERR_NOMEM;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    return err;
}

static mobid_err set_name(X509 *x, const mobid_cert_spec *spec)
{
    X509_NAME *name = X509_get_subject_name(x);
    const struct { const char *field, *value; } parts[] = {
        { "C", spec->subject_c }, { "O", spec->subject_o }, { "CN", spec->subject_cn } };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (parts[i].value && parts[i].value[0] &&
            !X509_NAME_add_entry_by_txt(name, parts[i].field, MBSTRING_UTF8,
                                        (const unsigned char *)parts[i].value, -1, -1, 0))
            return MOBID_ERR_INVALID_ARG;
    return MOBID_OK;
}

static mobid_err set_validity(X509 *x, const mobid_cert_spec *spec)
{
    if (spec->not_after < spec->not_before)
        return MOBID_ERR_INVALID_ARG;
    if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after))
        return MOBID_ERR_INVALID_ARG;
    return MOBID_OK;
}

/* Add one extension given in OpenSSL's configuration syntax. */
static mobid_err add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? MOBID_OK : MOBID_ERR_CRYPTO;
}

static mobid_err push_names(GENERAL_NAMES *names, int type, const char *const *values)
{
    for (size_t i = 0; values && values[i]; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, values[i], -1)) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            return MOBID_ERR_NOMEM;
        }
        GENERAL_NAME_set0_value(g, type, s);
        if (!sk_GENERAL_NAME_push(names, g)) {
            GENERAL_NAME_free(g);
            return MOBID_ERR_NOMEM;
        }
    }
    return MOBID_OK;
}

/* SANs are built directly: URIs may hold commas that the config syntax splits on. */
static mobid_err add_sans(X509 *x, const mobid_cert_spec *spec)
{
    if ((!spec->san_uris || !spec->san_uris[0]) && (!spec->san_dns || !spec->san_dns[0]))
        return MOBID_OK;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    mobid_err err = names ? MOBID_OK : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = push_names(names, GEN_DNS, spec->san_dns);
    if (err == MOBID_OK)
        err = push_names(names, GEN_URI, spec->san_uris);
    if (err == MOBID_OK && !X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, 0))
        err = MOBID_ERR_CRYPTO;
    GENERAL_NAMES_free(names);
    return err;
}

static const char *key_usage(const mobid_cert_spec *spec)
{
    switch (spec->key_usage) {
    case MOBID_KU_DEFAULT:
        return spec->is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature";
    case MOBID_KU_SIGN: return "critical,digitalSignature";
    case MOBID_KU_CERT_SIGN: return "critical,keyCertSign,cRLSign";
    case MOBID_KU_SIGN_AND_CERT: return "critical,digitalSignature,keyCertSign,cRLSign";
    case MOBID_KU_KEY_AGREEMENT: return "critical,keyAgreement";
    default: return NULL;
    }
}

/* A URI-valued extension from the spec, else a copy of the issuer's own (a leaf
 * names its CA's contact and the CRL its CA signs: the same as the CA's). */
static mobid_err add_uri_ext(X509 *x, X509 *issuer, X509V3_CTX *ctx, int nid, const char *uri)
{
    char conf[1100];
    if (uri) {
        if (strchr(uri, ',') || snprintf(conf, sizeof conf, "URI:%s", uri) >= (int)sizeof conf)
            return MOBID_ERR_INVALID_ARG; /* the config syntax splits on commas */
        return add_ext(x, ctx, nid, conf);
    }
    int i = issuer != x ? X509_get_ext_by_NID(issuer, nid, -1) : -1;
    if (i < 0)
        return MOBID_OK;
    return X509_add_ext(x, X509_get_ext(issuer, i), -1) ? MOBID_OK : MOBID_ERR_NOMEM;
}

static mobid_err add_extensions(X509 *x, X509 *issuer, const mobid_cert_spec *spec)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    char bc[64];
    mobid_err err = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    if (err == MOBID_OK && issuer != x)
        err = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    if (err == MOBID_OK && spec->is_ca) {
        if (spec->path_len >= 0)
            snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", spec->path_len);
        else
            snprintf(bc, sizeof bc, "critical,CA:TRUE");
        err = add_ext(x, &ctx, NID_basic_constraints, bc);
    }
    if (err == MOBID_OK)
        err = key_usage(spec) ? add_ext(x, &ctx, NID_key_usage, key_usage(spec))
                              : MOBID_ERR_INVALID_ARG;
    if (err == MOBID_OK && spec->purpose == MOBID_PURPOSE_MDOC_DS)
        err = add_ext(x, &ctx, NID_ext_key_usage, "critical,1.0.18013.5.1.2");
    if (err == MOBID_OK && spec->purpose == MOBID_PURPOSE_MDOC_READER)
        err = add_ext(x, &ctx, NID_ext_key_usage, "critical,1.0.18013.5.1.6");
    if (err == MOBID_OK && spec->purpose == MOBID_PURPOSE_VICAL)
        err = add_ext(x, &ctx, NID_ext_key_usage, "critical,1.0.18013.5.1.8");
    if (err == MOBID_OK && spec->purpose == MOBID_PURPOSE_REGISTRAR)
        err = add_ext(x, &ctx, NID_ext_key_usage, "critical," MOBID_OID_REGISTRAR_EKU);
    if (err == MOBID_OK)
        err = add_sans(x, spec);
    if (err == MOBID_OK)
        err = add_uri_ext(x, issuer, &ctx, NID_issuer_alt_name, spec->issuer_alt_uri);
    if (err == MOBID_OK)
        err = add_uri_ext(x, issuer, &ctx, NID_crl_distribution_points, spec->crl_uri);
    return err;
}

static const EVP_MD *sign_md(mobid_curve c)
{
    return c == MOBID_CURVE_P384 ? EVP_sha384()
         : c == MOBID_CURVE_P521 ? EVP_sha512()
         : c == MOBID_CURVE_P256 ? EVP_sha256() : NULL; /* Ed25519 hashes itself */
}

/* Fill in everything but the signature. */
static mobid_err build_tbs(X509 *x, const mobid_cert_spec *spec, EVP_PKEY *subject_pk,
                           const mobid_cert *issuer_cert)
{
    mobid_err err = MOBID_ERR_NOMEM;
    if (!X509_set_version(x, 2) || !X509_set_pubkey(x, subject_pk))
        return err;
    if ((err = set_serial(x)) != MOBID_OK || (err = set_name(x, spec)) != MOBID_OK ||
        (err = set_validity(x, spec)) != MOBID_OK)
        return err;
    X509 *issuer = issuer_cert ? issuer_cert->x509 : x;
    if (!X509_set_issuer_name(x, X509_get_subject_name(issuer)))
        return MOBID_ERR_NOMEM;
    return add_extensions(x, issuer, spec);
}

mobid_err mobid_cert_issue(const mobid_cert_spec *spec, const mobid_key *subject_key,
                           const mobid_key *issuer_key, const mobid_cert *issuer_cert,
                           mobid_cert **out)
{
    if (!spec || !spec->subject_cn || !subject_key || !issuer_key || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!issuer_key->has_private || issuer_key->curve == MOBID_CURVE_X25519 ||
        (!issuer_cert && !mobid_key_public_eq(subject_key, issuer_key)))
        return MOBID_ERR_KEY_INVALID;
    EVP_PKEY *subject_pk = NULL, *issuer_pk = NULL;
    X509 *x = X509_new();
    mobid_err err = x ? MOBID_OK : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = mobid_crypto_key_to_evp(subject_key, &subject_pk);
    if (err == MOBID_OK)
        err = mobid_crypto_key_to_evp(issuer_key, &issuer_pk);
    if (err == MOBID_OK)
        err = build_tbs(x, spec, subject_pk, issuer_cert);
    if (err == MOBID_OK && X509_sign(x, issuer_pk, sign_md(issuer_key->curve)) <= 0)
        err = MOBID_ERR_CRYPTO;
    if (err == MOBID_OK) {
        err = mobid_crypto_cert_wrap(x, mobid_view_make(NULL, 0), out);
        x = NULL;
    }
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(subject_pk);
    EVP_PKEY_free(issuer_pk);
    return err;
}
