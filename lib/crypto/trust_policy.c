/*
 * The certificate profile applied to a path OpenSSL has built: CA flags, the
 * leaf's key usage and the 18013-5 extended key usages, under a trust policy.
 *
 * Why a policy: field documents are signed by certificates that break Annex B
 * in two common ways, a document signer with no EKU (UIDAI) and vendors' test
 * signers with serverAuth/clientAuth. A certificate the user pinned is trusted
 * for the use it was pinned for; a DS under an IACA without an EKU is accepted
 * with a warning; a DS whose EKU names another use is refused unless the
 * verifier is lenient. STRICT applies the whole profile for conformance work.
 */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/x509v3.h>

#define DS_MAX_DAYS 457 /* Annex B.1.4: a DS certificate lives at most 457 days */

static const char *purpose_eku(mobid_cert_purpose p)
{
    switch (p) {
    case MOBID_PURPOSE_MDOC_DS: return "1.0.18013.5.1.2";
    case MOBID_PURPOSE_MDOC_READER: return "1.0.18013.5.1.6";
    case MOBID_PURPOSE_VICAL: return "1.0.18013.5.1.8";
    case MOBID_PURPOSE_REGISTRAR: return MOBID_OID_REGISTRAR_EKU;
    default: return NULL;
    }
}

mobid_crypto_eku mobid_crypto_eku_of(X509 *x, const char *oid)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
    mobid_crypto_eku st = eku ? EKU_OTHER : EKU_ABSENT;
    for (int i = 0; eku && want && st == EKU_OTHER && i < sk_ASN1_OBJECT_num(eku); i++)
        if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
            st = EKU_HAS;
    ASN1_OBJECT_free(want);
    EXTENDED_KEY_USAGE_free(eku);
    return st;
}

/* Issuers must say CA:true (OpenSSL also accepts a keyCertSign key usage
 * without basicConstraints). The one tolerance: a version 1 self-signed anchor,
 * which cannot carry extensions and which the trust set names explicitly. */
static bool issuer_ok(X509 *x, bool is_anchor)
{
    if (X509_get_extension_flags(x) & EXFLAG_CA)
        return true;
    return is_anchor && X509_get_version(x) == X509_VERSION_1 && X509_check_ca(x) == 3;
}

bool mobid_crypto_ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

void mobid_crypto_name_country(X509_NAME *n, char out[8])
{
    int i = X509_NAME_get_index_by_NID(n, NID_countryName, -1);
    out[0] = 0;
    if (i < 0 || X509_NAME_get_index_by_NID(n, NID_countryName, i) >= 0)
        return;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
    if (ASN1_STRING_length(s) > 0 && ASN1_STRING_length(s) < 8) {
        memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        out[ASN1_STRING_length(s)] = 0;
    }
}

/* Annex B beyond the EKU: the DS leaf (B.1.4) and the IACA over it (B.1.2). */
static mobid_err check_annex_b(X509 *leaf, X509 *ca)
{
    mobid_time nb = 0, na = 0;
    char c1[8], c2[8];
    if (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) ||
        !mobid_crypto_ext_critical(leaf, NID_key_usage) ||
        !mobid_crypto_ext_critical(leaf, NID_ext_key_usage) ||
        (X509_get_extension_flags(leaf) & EXFLAG_CA))
        return MOBID_ERR_CERT_PROFILE;
    if (mobid_crypto_asn1_time(X509_get0_notBefore(leaf), &nb) != MOBID_OK ||
        mobid_crypto_asn1_time(X509_get0_notAfter(leaf), &na) != MOBID_OK ||
        na - nb > (mobid_time)DS_MAX_DAYS * 86400)
        return MOBID_ERR_CERT_PROFILE;
    if (!ca)
        return MOBID_OK; /* a pinned DS: no IACA in the path to check */
    uint32_t ku = X509_get_key_usage(ca);
    if (!mobid_crypto_ext_critical(ca, NID_basic_constraints) || X509_get_pathlen(ca) != 0 ||
        !mobid_crypto_ext_critical(ca, NID_key_usage) ||
        (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != (KU_KEY_CERT_SIGN | KU_CRL_SIGN))
        return MOBID_ERR_CERT_PROFILE;
    mobid_crypto_name_country(X509_get_subject_name(leaf), c1);
    mobid_crypto_name_country(X509_get_subject_name(ca), c2);
    return c1[0] && !strcmp(c1, c2) ? MOBID_OK : MOBID_ERR_CERT_PROFILE;
}

/* The leaf's EKU against the purpose, under the policy. */
static mobid_err check_eku(X509 *leaf, mobid_cert_purpose purpose, mobid_trust_policy policy,
                           bool pinned, unsigned *warnings)
{
    const char *oid = purpose_eku(purpose);
    bool strict = policy == MOBID_TRUST_STRICT;
    if (!oid || (pinned && !strict))
        return MOBID_OK;
    mobid_crypto_eku st = mobid_crypto_eku_of(leaf, oid);
    if (st == EKU_HAS)
        return MOBID_OK;
    if (strict)
        return st == EKU_ABSENT && purpose == MOBID_PURPOSE_MDOC_DS ? MOBID_ERR_DS_EKU_MISSING
                                                                    : MOBID_ERR_CERT_USAGE;
    if (purpose != MOBID_PURPOSE_MDOC_DS)
        return MOBID_ERR_CERT_USAGE;
    if (st == EKU_ABSENT) {
        *warnings |= MOBID_TRUST_WARN_EKU_MISSING;
        return MOBID_OK;
    }
    if (policy != MOBID_TRUST_LENIENT)
        return MOBID_ERR_CERT_USAGE;
    *warnings |= MOBID_TRUST_WARN_EKU_OTHER;
    return MOBID_OK;
}

mobid_err mobid_crypto_check_path(STACK_OF(X509) *path, mobid_cert_purpose purpose,
                                  mobid_trust_policy policy, bool pinned, unsigned *warnings)
{
    X509 *leaf = sk_X509_value(path, 0);
    int n = sk_X509_num(path);
    for (int i = 1; i < n; i++)
        if (!issuer_ok(sk_X509_value(path, i), i == n - 1))
            return MOBID_ERR_CERT_USAGE;
    /* A list signer may say contentCommitment instead (AAMVA's VICAL signer does):
     * both are signing uses. */
    uint32_t signing = KU_DIGITAL_SIGNATURE;
    if (purpose == MOBID_PURPOSE_VICAL)
        signing |= KU_NON_REPUDIATION;
    if (purpose != MOBID_PURPOSE_ANY && (X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(leaf) & signing))
        return MOBID_ERR_CERT_USAGE;
    mobid_err err = check_eku(leaf, purpose, policy, pinned, warnings);
    if (err == MOBID_OK && policy == MOBID_TRUST_STRICT && purpose == MOBID_PURPOSE_MDOC_DS)
        err = check_annex_b(leaf, n > 1 ? sk_X509_value(path, 1) : NULL);
    return err;
}

const char *mobid_trust_warning_name(unsigned bit)
{
    switch (bit) {
    case MOBID_TRUST_WARN_EKU_MISSING: return "DS_EKU_MISSING";
    case MOBID_TRUST_WARN_EKU_OTHER: return "DS_EKU_OTHER";
    default: return NULL;
    }
}
