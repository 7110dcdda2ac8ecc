/*
 * The ISO 18013-5 Annex B certificate profile, rule by rule, on one certificate:
 * the IACA (B.1.2), the document signer (B.1.4), and the same leaf rules for the
 * other certificates an issuing authority makes. Every failed rule is reported with
 * its own stable code, so a conformance report names all of them at once instead of
 * stopping at the first. The path itself (signatures, dates) is the trust set's job.
 */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/x509v3.h>

#define DS_MAX_S ((mobid_time)457 * 86400)          /* B.1.4 */
#define IACA_MAX_S ((mobid_time)20 * 366 * 86400)   /* B.1.2: at most 20 years */
#define DS_EKU "1.0.18013.5.1.2"

typedef struct report {
    mobid_profile_failure *f;
    size_t n;
} report;

static void fail(report *r, bool bad, const char *code, const char *detail)
{
    if (bad && r->n < MOBID_PROFILE_MAX_FAILURES)
        r->f[r->n++] = (mobid_profile_failure){ code, detail };
}

static bool has_ext(X509 *x, int nid)
{
    return X509_get_ext_by_NID(x, nid, -1) >= 0;
}

/* A CRL distribution point whose full name holds a URI. */
static bool crl_dp_uri(X509 *x)
{
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    bool ok = false;
    for (int i = 0; dps && !ok && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int k = 0; !ok && k < sk_GENERAL_NAME_num(names); k++)
            ok = sk_GENERAL_NAME_value(names, k)->type == GEN_URI;
    }
    CRL_DIST_POINTS_free(dps);
    return ok;
}

static void check_common(X509 *x, report *r)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    int slen = ASN1_STRING_length(serial);
    const unsigned char *sp = ASN1_STRING_get0_data(serial);
    bool zero = true;
    for (int i = 0; i < slen; i++)
        zero = zero && sp[i] == 0;
    int sig = X509_get_signature_nid(x);
    fail(r, X509_get_version(x) != X509_VERSION_3, "PROFILE_VERSION", "not an X.509 v3 certificate");
    fail(r, ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER || zero || slen < 8 || slen > 20,
         "PROFILE_SERIAL", "the serial must be positive, 8 to 20 octets (63+ random bits)");
    fail(r, sig != NID_ecdsa_with_SHA256 && sig != NID_ecdsa_with_SHA384 &&
                sig != NID_ecdsa_with_SHA512 && sig != NID_ED25519 && sig != NID_ED448,
         "PROFILE_SIGNATURE_ALG", "the signature is not ECDSA with SHA-2 nor EdDSA");
    fail(r, !has_ext(x, NID_subject_key_identifier), "PROFILE_SKI",
         "no subjectKeyIdentifier");
}

static void check_validity(X509 *x, mobid_time max, const char *detail, report *r)
{
    mobid_time nb = 0, na = 0;
    bool ok = mobid_crypto_asn1_time(X509_get0_notBefore(x), &nb) == MOBID_OK &&
              mobid_crypto_asn1_time(X509_get0_notAfter(x), &na) == MOBID_OK && na >= nb;
    fail(r, !ok || (max && na - nb > max), "PROFILE_VALIDITY", detail);
}

static void check_iaca(X509 *x, report *r)
{
    char c[8];
    uint32_t ku = X509_get_key_usage(x);
    mobid_crypto_name_country(X509_get_subject_name(x), c);
    fail(r, !c[0], "PROFILE_COUNTRY", "the subject needs exactly one countryName");
    fail(r, X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0,
         "PROFILE_SELF_SIGNED", "an IACA is self-signed: issuer and subject must match");
    check_validity(x, IACA_MAX_S, "an IACA lives at most 20 years", r);
    fail(r, !mobid_crypto_ext_critical(x, NID_basic_constraints) ||
                !(X509_get_extension_flags(x) & EXFLAG_CA) || X509_get_pathlen(x) != 0,
         "PROFILE_BASIC_CONSTRAINTS", "basicConstraints must be critical, CA:TRUE, pathLen 0");
    fail(r, !mobid_crypto_ext_critical(x, NID_key_usage) ||
                !(X509_get_extension_flags(x) & EXFLAG_KUSAGE) ||
                ku != (KU_KEY_CERT_SIGN | KU_CRL_SIGN),
         "PROFILE_KEY_USAGE", "keyUsage must be critical: keyCertSign and cRLSign only");
    fail(r, has_ext(x, NID_ext_key_usage), "PROFILE_EKU", "an IACA carries no extendedKeyUsage");
}

static void check_leaf(X509 *x, mobid_cert_profile p, report *r)
{
    char c[8], ic[8];
    uint32_t ku = X509_get_key_usage(x);
    bool ku_ok = mobid_crypto_ext_critical(x, NID_key_usage) &&
                 (X509_get_extension_flags(x) & EXFLAG_KUSAGE);
    mobid_crypto_name_country(X509_get_subject_name(x), c);
    mobid_crypto_name_country(X509_get_issuer_name(x), ic);
    fail(r, (p == MOBID_PROFILE_DS && !c[0]) || strcmp(c, ic) != 0, "PROFILE_COUNTRY",
         "the subject's countryName must be present and equal the issuer's");
    check_validity(x, p == MOBID_PROFILE_DS ? DS_MAX_S : 0,
                   p == MOBID_PROFILE_DS ? "a document signer lives at most 457 days"
                                         : "notAfter is before notBefore", r);
    fail(r, !has_ext(x, NID_authority_key_identifier), "PROFILE_AKI",
         "no authorityKeyIdentifier");
    fail(r, (X509_get_extension_flags(x) & EXFLAG_CA) != 0, "PROFILE_BASIC_CONSTRAINTS",
         "a leaf certificate must not be a CA");
    fail(r, !ku_ok || (p == MOBID_PROFILE_DS && ku != KU_DIGITAL_SIGNATURE), "PROFILE_KEY_USAGE",
         p == MOBID_PROFILE_DS ? "keyUsage must be critical: digitalSignature only"
                               : "keyUsage must be present and critical");
    if (p == MOBID_PROFILE_DS)
        fail(r, !mobid_crypto_ext_critical(x, NID_ext_key_usage) ||
                    mobid_crypto_eku_of(x, DS_EKU) != EKU_HAS,
             "PROFILE_EKU", "extendedKeyUsage must be critical with 1.0.18013.5.1.2");
}

static mobid_cert_profile pick(X509 *x)
{
    if (X509_get_extension_flags(x) & EXFLAG_CA)
        return MOBID_PROFILE_IACA;
    return mobid_crypto_eku_of(x, DS_EKU) == EKU_HAS ? MOBID_PROFILE_DS : MOBID_PROFILE_SIGNER;
}

mobid_err mobid_cert_check_profile(const mobid_cert *c, mobid_cert_profile p,
                                   mobid_cert_profile *used, mobid_profile_failure *failures,
                                   size_t *n)
{
    if (!c || !failures || !n || p > MOBID_PROFILE_SIGNER)
        return MOBID_ERR_INVALID_ARG;
    X509 *x = c->x509;
    report r = { failures, 0 };
    if (p == MOBID_PROFILE_AUTO)
        p = pick(x);
    if (used)
        *used = p;
    check_common(x, &r);
    if (p == MOBID_PROFILE_IACA)
        check_iaca(x, &r);
    else
        check_leaf(x, p, &r);
    if (p != MOBID_PROFILE_SIGNER) {
        fail(&r, !has_ext(x, NID_issuer_alt_name), "PROFILE_ISSUER_ALT_NAME",
             "no IssuerAltName (the issuing authority's contact URI or e-mail)");
        fail(&r, !crl_dp_uri(x), "PROFILE_CRL_DP", "no CRL distribution point with a URI");
    }
    *n = r.n;
    return r.n ? MOBID_ERR_CERT_PROFILE : MOBID_OK;
}

const char *mobid_cert_profile_name(mobid_cert_profile p)
{
    switch (p) {
    case MOBID_PROFILE_IACA: return "iaca";
    case MOBID_PROFILE_DS: return "ds";
    case MOBID_PROFILE_SIGNER: return "signer";
    default: return "auto";
    }
}
