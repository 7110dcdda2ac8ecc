/* Key encodings: PEM and DER (SPKI, PKCS#8, SEC1), certificates as key
 * sources, and the bridge between mobid_key and EVP_PKEY. */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

/* EC keys go through coordinates so every P-curve key lives on the cached group. */
static mobid_err ec_from_evp(EVP_PKEY *pkey, mobid_key **out)
{
    char group[64];
    size_t glen = 0;
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &glen))
        return MOBID_ERR_UNSUPPORTED;
    mobid_curve c = mobid_crypto_curve_from_nid(OBJ_sn2nid(group));
    if (c == MOBID_CURVE_NONE)
        c = mobid_crypto_curve_from_nid(EC_curve_nist2nid(group));
    if (c == MOBID_CURVE_NONE)
        return MOBID_ERR_UNSUPPORTED;
    size_t n = mobid_curve_size(c);
    uint8_t x[66], y[66], d[66];
    mobid_err err = MOBID_ERR_KEY_INVALID;
    BIGNUM *bx = NULL, *by = NULL, *bd = NULL;
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) ||
        !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) ||
        BN_bn2binpad(bx, x, (int)n) < 0 || BN_bn2binpad(by, y, (int)n) < 0)
        goto done;
    size_t dlen = 0;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bd)) {
        if (BN_bn2binpad(bd, d, (int)n) < 0)
            goto done;
        dlen = n;
    }
    err = mobid_key_from_coords(c, mobid_view_make(x, n), mobid_view_make(y, n),
                                mobid_view_make(d, dlen), out);
done:
    ERR_clear_error(); /* a public key has no PRIV_KEY: not an error worth keeping */
    mobid_wipe(d, sizeof d);
    BN_free(bx);
    BN_free(by);
    BN_clear_free(bd);
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
