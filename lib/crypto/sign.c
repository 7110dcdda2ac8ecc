/* Signatures: ECDSA with raw r||s (as COSE and JOSE carry them) and Ed25519. */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/err.h>

static mobid_hash_alg alg_hash(mobid_alg a)
{
    return a == MOBID_ALG_ES384 ? MOBID_HASH_SHA384
         : a == MOBID_ALG_ES512 ? MOBID_HASH_SHA512 : MOBID_HASH_SHA256;
}

/* The key must be on the algorithm's curve (ES256 only with P-256, and so on). */
static mobid_err check_alg(const mobid_key *k, mobid_alg alg)
{
    if (!k)
        return MOBID_ERR_INVALID_ARG;
    if (mobid_alg_curve(alg) == MOBID_CURVE_NONE)
        return MOBID_ERR_ALG_NOT_ALLOWED;
    return mobid_alg_curve(alg) == k->curve ? MOBID_OK : MOBID_ERR_KEY_INVALID;
}

static mobid_err ecdsa_sign_digest(const mobid_key *k, const uint8_t *dg, size_t dlen,
                                   mobid_buf *sig)
{
    size_t n = mobid_curve_size(k->curve);
    ECDSA_SIG *s = ECDSA_do_sign(dg, (int)dlen, k->ec);
    if (!s) {
        ERR_clear_error();
        return MOBID_ERR_CRYPTO;
    }
    mobid_err err = mobid_buf_reserve(sig, 2 * n);
    if (err == MOBID_OK) {
        uint8_t *p = sig->ptr + sig->len;
        if (BN_bn2binpad(ECDSA_SIG_get0_r(s), p, (int)n) != (int)n ||
            BN_bn2binpad(ECDSA_SIG_get0_s(s), p + n, (int)n) != (int)n)
            err = MOBID_ERR_CRYPTO;
        else
            sig->len += 2 * n;
    }
    ECDSA_SIG_free(s);
    return err;
}

static mobid_err eddsa_sign(const mobid_key *k, mobid_view msg, mobid_buf *sig)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    mobid_err err = MOBID_ERR_NOMEM;
    size_t len = 64;
    if (!ctx || mobid_buf_reserve(sig, 64) != MOBID_OK)
        goto done;
    err = MOBID_ERR_CRYPTO;
    if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->okp) != 1 ||
        EVP_DigestSign(ctx, sig->ptr + sig->len, &len, msg.ptr, msg.len) != 1 || len != 64)
        goto done;
    sig->len += 64;
    err = MOBID_OK;
done:
    EVP_MD_CTX_free(ctx);
    return err;
}

mobid_err mobid_sign(const mobid_key *k, mobid_alg alg, mobid_view msg, mobid_buf *sig)
{
    mobid_err err = check_alg(k, alg);
    if (err != MOBID_OK)
        return err;
    if (!sig)
        return MOBID_ERR_INVALID_ARG;
    if (!k->has_private)
        return MOBID_ERR_KEY_INVALID;
    if (alg == MOBID_ALG_EDDSA)
        return eddsa_sign(k, msg, sig);
    uint8_t dg[MOBID_HASH_MAX];
    mobid_hash_alg h = alg_hash(alg);
    if ((err = mobid_hash(h, msg, dg)) != MOBID_OK)
        return err;
    return ecdsa_sign_digest(k, dg, mobid_hash_size(h), sig);
}

/* Raw r||s into the thread's reusable ECDSA_SIG, rejecting r or s of 0 or >= n. */
static ECDSA_SIG *load_sig(const mobid_key *k, mobid_view sig)
{
    size_t n = mobid_curve_size(k->curve);
    ECDSA_SIG *s = mobid_crypto_ecdsa_sig();
    if (!s || sig.len != 2 * n)
        return NULL;
    /* The BIGNUMs belong to s and are overwritten in place, never freed here. */
    BIGNUM *r = (BIGNUM *)ECDSA_SIG_get0_r(s), *sv = (BIGNUM *)ECDSA_SIG_get0_s(s);
    if (!BN_bin2bn(sig.ptr, (int)n, r) || !BN_bin2bn(sig.ptr + n, (int)n, sv))
        return NULL;
    const BIGNUM *order = EC_GROUP_get0_order(EC_KEY_get0_group(k->ec));
    if (BN_is_zero(r) || BN_is_zero(sv) || BN_cmp(r, order) >= 0 || BN_cmp(sv, order) >= 0)
        return NULL;
    return s;
}

static mobid_err ecdsa_verify(const mobid_key *k, const uint8_t *dg, size_t dlen,
                              mobid_view sig)
{
    ECDSA_SIG *s = load_sig(k, sig);
    if (!s)
        return MOBID_ERR_SIGNATURE_INVALID;
    int rc = mobid_crypto_verify_table(k, dg, dlen, s);
    if (rc < 0)
        rc = ECDSA_do_verify(dg, (int)dlen, s, k->ec);
    if (rc != 1) {
        ERR_clear_error();
        return MOBID_ERR_SIGNATURE_INVALID;
    }
    return MOBID_OK;
}

static mobid_err eddsa_verify(const mobid_key *k, mobid_view msg, mobid_view sig)
{
    if (sig.len != 64)
        return MOBID_ERR_SIGNATURE_INVALID;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return MOBID_ERR_NOMEM;
    mobid_err err = MOBID_ERR_SIGNATURE_INVALID;
    static const uint8_t empty[1];
    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->okp) == 1 &&
        EVP_DigestVerify(ctx, sig.ptr, sig.len, msg.len ? msg.ptr : empty, msg.len) == 1)
        err = MOBID_OK;
    else
        ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    return err;
}

mobid_err mobid_verify(const mobid_key *k, mobid_alg alg, mobid_view msg, mobid_view sig)
{
    mobid_err err = check_alg(k, alg);
    if (err != MOBID_OK)
        return err;
    if (alg == MOBID_ALG_EDDSA)
        return eddsa_verify(k, msg, sig);
    if (sig.len != mobid_alg_sig_size(alg))
        return MOBID_ERR_SIGNATURE_INVALID;
    uint8_t dg[MOBID_HASH_MAX];
    mobid_hash_alg h = alg_hash(alg);
    if ((err = mobid_hash(h, msg, dg)) != MOBID_OK)
        return err;
    return ecdsa_verify(k, dg, mobid_hash_size(h), sig);
}

mobid_err mobid_verify_digest(const mobid_key *k, mobid_alg alg, mobid_view digest,
                              mobid_view sig)
{
    mobid_err err = check_alg(k, alg);
    if (err != MOBID_OK)
        return err;
    if (alg == MOBID_ALG_EDDSA)
        return MOBID_ERR_ALG_NOT_ALLOWED; /* EdDSA signs the message, not a digest */
    if (digest.len != mobid_hash_size(alg_hash(alg)))
        return MOBID_ERR_INVALID_ARG;
    return ecdsa_verify(k, digest.ptr, digest.len, sig);
}

mobid_err mobid_ecdsa_raw_to_der(mobid_view raw, mobid_buf *der)
{
    if (!der || raw.len == 0 || raw.len % 2 || raw.len > 2 * 66)
        return MOBID_ERR_INVALID_ARG;
    size_t n = raw.len / 2;
    mobid_err err = MOBID_ERR_NOMEM;
    unsigned char *enc = NULL;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw.ptr, (int)n, NULL), *sv = BN_bin2bn(raw.ptr + n, (int)n, NULL);
    if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv))
        goto done;
    r = sv = NULL; /* owned by s now */
    int len = i2d_ECDSA_SIG(s, &enc);
    err = len > 0 ? mobid_buf_append(der, enc, (size_t)len) : MOBID_ERR_CRYPTO;
done:
    OPENSSL_free(enc);
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    return err;
}

mobid_err mobid_ecdsa_der_to_raw(mobid_view der, size_t n, mobid_buf *raw)
{
    if (!raw || n == 0 || n > 66 || der.len == 0 || der.len > 256)
        return MOBID_ERR_INVALID_ARG;
    const unsigned char *p = der.ptr;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der.len);
    mobid_err err = MOBID_ERR_MALFORMED;
    unsigned char *re = NULL;
    if (!s || p != der.ptr + der.len)
        goto done;
    /* Strict DER: the input must be the canonical encoding of what it holds. */
    int len = i2d_ECDSA_SIG(s, &re);
    if (len != (int)der.len || memcmp(re, der.ptr, der.len) != 0)
        goto done;
    const BIGNUM *r = ECDSA_SIG_get0_r(s), *sv = ECDSA_SIG_get0_s(s);
    if (BN_is_negative(r) || BN_is_negative(sv) || (size_t)BN_num_bytes(r) > n ||
        (size_t)BN_num_bytes(sv) > n)
        goto done;
    if ((err = mobid_buf_reserve(raw, 2 * n)) != MOBID_OK)
        goto done;
    BN_bn2binpad(r, raw->ptr + raw->len, (int)n);
    BN_bn2binpad(sv, raw->ptr + raw->len + n, (int)n);
    raw->len += 2 * n;
done:
    if (err != MOBID_OK)
        ERR_clear_error();
    OPENSSL_free(re);
    ECDSA_SIG_free(s);
    return err;
}
