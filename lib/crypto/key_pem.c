/* Key encodings: PEM and DER (SPKI, PKCS#8, SEC1), certificates as key
 * sources, and the bridge between mobid_key and EVP_PKEY. */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

/* EC keys go through coordinates so every P-curve key lives on the cached group.
 * EVP_PKEY_get0_EC_KEY serves both provider and legacy keys (certificates we
 * issue carry legacy ones); OSSL_PARAM getters serve only the former. */
static mobid_err ec_from_evp(EVP_PKEY *pkey, mobid_key **out)
{
    const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(pkey);
    const EC_GROUP *g = ec ? EC_KEY_get0_group(ec) : NULL;
    const EC_POINT *pub = ec ? EC_KEY_get0_public_key(ec) : NULL;
    mobid_curve c = g ? mobid_crypto_curve_from_nid(EC_GROUP_get_curve_name(g)) : MOBID_CURVE_NONE;
    if (c == MOBID_CURVE_NONE || !pub) {
        ERR_clear_error();
        return !ec || !pub ? MOBID_ERR_KEY_INVALID : MOBID_ERR_UNSUPPORTED;
    }
    size_t n = mobid_curve_size(c);
    uint8_t pt[1 + 2 * 66], d[66];
    if (EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof pt, NULL) != 1 + 2 * n)
        return MOBID_ERR_KEY_INVALID;
    const BIGNUM *bd = EC_KEY_get0_private_key(ec);
    if (bd && BN_bn2binpad(bd, d, (int)n) < 0)
        return MOBID_ERR_KEY_INVALID;
    mobid_err err = mobid_key_from_coords(c, mobid_view_make(pt + 1, n),
                                          mobid_view_make(pt + 1 + n, n),
                                          mobid_view_make(d, bd ? n : 0), out);
    mobid_wipe(d, sizeof d);
    return err;
}

mobid_err mobid_crypto_key_from_evp(EVP_PKEY *pkey, mobid_key **out)
{
    *out = NULL;
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_EC)
        return ec_from_evp(pkey, out);
    if (id != EVP_PKEY_ED25519 && id != EVP_PKEY_X25519)
        return MOBID_ERR_UNSUPPORTED;
    size_t len = 0;
    bool priv = EVP_PKEY_get_raw_private_key(pkey, NULL, &len) == 1 && len == 32;
    ERR_clear_error();
    if (!EVP_PKEY_up_ref(pkey))
        return MOBID_ERR_CRYPTO;
    mobid_curve c = id == EVP_PKEY_ED25519 ? MOBID_CURVE_ED25519 : MOBID_CURVE_X25519;
    return mobid_crypto_key_wrap(c, NULL, pkey, priv, out);
}

mobid_err mobid_crypto_key_to_evp(const mobid_key *k, EVP_PKEY **out)
{
    *out = NULL;
    if (k->okp) {
        if (!EVP_PKEY_up_ref(k->okp))
            return MOBID_ERR_CRYPTO;
        *out = k->okp;
        return MOBID_OK;
    }
    EVP_PKEY *pk = EVP_PKEY_new();
    if (!pk || !EVP_PKEY_set1_EC_KEY(pk, k->ec)) {
        EVP_PKEY_free(pk);
        return MOBID_ERR_NOMEM;
    }
    *out = pk;
    return MOBID_OK;
}

/* Never prompt: an encrypted private key is simply not usable here. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

static EVP_PKEY *pkey_from_pem(mobid_view pem)
{
    BIO *bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    EVP_PKEY *pk = NULL;
    if (!bio)
        return NULL;
    if (mobid_crypto_contains(pem, "PRIVATE KEY-----"))
        pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    else
        pk = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
    BIO_free(bio);
    return pk;
}

/* DER: SPKI first, then PKCS#8 or SEC1 private keys; the whole input must be used. */
static EVP_PKEY *pkey_from_der(mobid_view der)
{
    const unsigned char *p = der.ptr;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)der.len);
    if (pk && p == der.ptr + der.len)
        return pk;
    EVP_PKEY_free(pk);
    p = der.ptr;
    pk = d2i_AutoPrivateKey(NULL, &p, (long)der.len);
    if (pk && p == der.ptr + der.len)
        return pk;
    EVP_PKEY_free(pk);
    return NULL;
}

static mobid_err key_from_cert(mobid_view in, mobid_key **out)
{
    mobid_cert *cert = NULL;
    mobid_err err = mobid_cert_parse(in, &cert);
    if (err == MOBID_OK)
        err = mobid_cert_public_key(cert, out);
    mobid_cert_free(cert);
    return err == MOBID_ERR_CERT_INVALID ? MOBID_ERR_KEY_INVALID : err;
}

mobid_err mobid_key_from_pem(mobid_view pem, mobid_key **out)
{
    if (!out || !pem.ptr || pem.len == 0 || pem.len > INT32_MAX)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    bool is_pem = mobid_crypto_contains(pem, "-----BEGIN ");
    if (is_pem && mobid_crypto_contains(pem, "-----BEGIN CERTIFICATE-----") &&
        !mobid_crypto_contains(pem, "KEY-----"))
        return key_from_cert(pem, out);
    EVP_PKEY *pk = is_pem ? pkey_from_pem(pem) : pkey_from_der(pem);
    if (!pk) {
        ERR_clear_error();
        return is_pem ? MOBID_ERR_KEY_INVALID : key_from_cert(pem, out);
    }
    mobid_err err = mobid_crypto_key_from_evp(pk, out);
    EVP_PKEY_free(pk);
    return err;
}

/* Move a memory BIO's contents to out. */
static mobid_err bio_to_buf(BIO *bio, mobid_buf *out)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0)
        return MOBID_ERR_CRYPTO;
    return mobid_buf_append(out, data, (size_t)len);
}

mobid_err mobid_key_to_pem(const mobid_key *k, bool want_private, mobid_buf *out)
{
    if (!k || !out)
        return MOBID_ERR_INVALID_ARG;
    if (want_private && mobid_key_in_token(k))
        return MOBID_ERR_UNSUPPORTED; /* the private half never leaves the token */
    EVP_PKEY *pk = NULL;
    BIO *bio = NULL;
    mobid_err err = mobid_crypto_key_to_evp(k, &pk);
    if (err != MOBID_OK)
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(bio = BIO_new(BIO_s_mem())))
        goto done;
    err = MOBID_ERR_CRYPTO;
    int ok = want_private && k->has_private
                 ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_bio_PUBKEY(bio, pk);
    if (ok == 1)
        err = bio_to_buf(bio, out);
done:
    BIO_free(bio);
    EVP_PKEY_free(pk);
    return err;
}

mobid_err mobid_key_to_spki_der(const mobid_key *k, mobid_buf *out)
{
    if (!k || !out)
        return MOBID_ERR_INVALID_ARG;
    EVP_PKEY *pk = NULL;
    unsigned char *der = NULL;
    mobid_err err = mobid_crypto_key_to_evp(k, &pk);
    if (err != MOBID_OK)
        goto done;
    int len = i2d_PUBKEY(pk, &der);
    err = len > 0 ? mobid_buf_append(out, der, (size_t)len) : MOBID_ERR_CRYPTO;
done:
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    return err;
}
