/* Certificate revocation lists of the IACA and the relying-party CA (RFC 5280 §5),
 * served at the URI their certificates' CRL distribution points name. */
#include "crypto_internal.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static mobid_err add_revoked(X509_CRL *crl, mobid_view serial, mobid_time at)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    BIGNUM *bn = BN_bin2bn(serial.ptr, (int)serial.len, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)at);
    int ok = rev && ai && t && X509_REVOKED_set_serialNumber(rev, ai) &&
             X509_REVOKED_set_revocationDate(rev, t) && X509_CRL_add0_revoked(crl, rev);
    if (ok)
        rev = NULL; /* the CRL owns it */
    X509_REVOKED_free(rev);
    ASN1_INTEGER_free(ai);
    ASN1_TIME_free(t);
    BN_free(bn);
    return ok ? MOBID_OK : MOBID_ERR_NOMEM;
}

/* authorityKeyIdentifier (keyid of the CA) and cRLNumber. */
static mobid_err add_crl_exts(X509_CRL *crl, X509 *ca, uint64_t number)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                              "keyid:always");
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = aki && num && X509_CRL_add_ext(crl, aki, -1) &&
             ASN1_INTEGER_set_uint64(num, number) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    return ok ? MOBID_OK : MOBID_ERR_CRYPTO;
}

static const EVP_MD *crl_md(mobid_curve c)
{
    return c == MOBID_CURVE_P384 ? EVP_sha384() : c == MOBID_CURVE_P521 ? EVP_sha512()
         : c == MOBID_CURVE_ED25519 ? NULL : EVP_sha256();
}

mobid_err mobid_crl_issue(const mobid_cert *ca, const mobid_key *ca_key, mobid_time this_update,
                          mobid_time next_update, uint64_t number, const mobid_view *revoked,
                          size_t n, mobid_buf *out)
{
    if (!ca || !ca_key || !out || (n && !revoked) || next_update <= this_update)
        return MOBID_ERR_INVALID_ARG;
    if (!ca_key->has_private || ca_key->curve == MOBID_CURVE_X25519)
        return MOBID_ERR_KEY_INVALID;
    EVP_PKEY *pk = NULL;
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)next_update);
    X509_CRL *crl = X509_CRL_new();
    unsigned char *der = NULL;
    mobid_err err = MOBID_ERR_NOMEM;
    if (!crl || !t1 || !t2 || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->x509)) ||
        !X509_CRL_set1_lastUpdate(crl, t1) || !X509_CRL_set1_nextUpdate(crl, t2))
        goto done;
    err = MOBID_OK;
    for (size_t i = 0; err == MOBID_OK && i < n; i++)
        err = add_revoked(crl, revoked[i], this_update);
    if (err == MOBID_OK)
        err = add_crl_exts(crl, ca->x509, number);
    if (err == MOBID_OK)
        err = mobid_crypto_key_to_evp(ca_key, &pk);
    if (err == MOBID_OK && (!X509_CRL_sort(crl) || X509_CRL_sign(crl, pk, crl_md(ca_key->curve)) <= 0))
        err = MOBID_ERR_CRYPTO;
    int len = err == MOBID_OK ? i2d_X509_CRL(crl, &der) : -1;
    if (err == MOBID_OK)
        err = len > 0 ? mobid_buf_append(out, der, (size_t)len) : MOBID_ERR_CRYPTO;
done:
    ERR_clear_error();
    OPENSSL_free(der);
    X509_CRL_free(crl);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    EVP_PKEY_free(pk);
    return err;
}

static X509_CRL *crl_parse(mobid_view in)
{
    const unsigned char *p = in.ptr;
    X509_CRL *crl = in.len > 0 && in.ptr[0] == 0x30 ? d2i_X509_CRL(NULL, &p, (long)in.len) : NULL;
    if (crl && p != in.ptr + in.len) {
        X509_CRL_free(crl);
        return NULL;
    }
    if (!crl && in.len < ((size_t)1 << 24)) {
        BIO *bio = BIO_new_mem_buf(in.ptr, (int)in.len);
        crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    }
    return crl;
}

mobid_err mobid_crl_check(mobid_view in, const mobid_cert *ca, mobid_time *this_update,
                          mobid_time *next_update)
{
    if (!ca)
        return MOBID_ERR_INVALID_ARG;
    X509_CRL *crl = crl_parse(in);
    EVP_PKEY *pk = X509_get0_pubkey(ca->x509);
    mobid_time t1 = 0, t2 = 0;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (!crl || !X509_CRL_get0_nextUpdate(crl) ||
        mobid_crypto_asn1_time(X509_CRL_get0_lastUpdate(crl), &t1) != MOBID_OK ||
        mobid_crypto_asn1_time(X509_CRL_get0_nextUpdate(crl), &t2) != MOBID_OK)
        goto done;
    err = pk && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca->x509)) == 0 &&
                  X509_CRL_verify(crl, pk) == 1
              ? MOBID_OK : MOBID_ERR_SIGNATURE_INVALID;
    if (this_update)
        *this_update = t1;
    if (next_update)
        *next_update = t2;
done:
    ERR_clear_error();
    X509_CRL_free(crl);
    return err;
}
