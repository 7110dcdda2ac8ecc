/* Key agreement (ECDH on P-curves, X25519) and AES-GCM. */
#include "crypto_internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>

static mobid_err ecdh_p(const mobid_key *priv, const mobid_key *peer, mobid_buf *out)
{
    size_t n = mobid_curve_size(priv->curve);
    mobid_err err = mobid_buf_reserve(out, n);
    if (err != MOBID_OK)
        return err;
    int len = ECDH_compute_key(out->ptr + out->len, n, EC_KEY_get0_public_key(peer->ec),
                               priv->ec, NULL);
    if (len != (int)n) {
        mobid_wipe(out->ptr + out->len, n);
        ERR_clear_error();
        return MOBID_ERR_CRYPTO;
    }
    out->len += n;
    return MOBID_OK;
}

static mobid_err ecdh_x25519(const mobid_key *priv, const mobid_key *peer, mobid_buf *out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv->okp, NULL);
    mobid_err err = MOBID_ERR_NOMEM;
    uint8_t secret[32];
    size_t len = sizeof secret;
    if (!ctx)
        goto done;
    err = MOBID_ERR_KEY_INVALID;
    /* OpenSSL refuses an all-zero result (a small-order peer point) here. */
    if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer->okp) != 1 ||
        EVP_PKEY_derive(ctx, secret, &len) != 1 || len != 32)
        goto done;
    err = mobid_buf_append(out, secret, len);
done:
    if (err != MOBID_OK)
        ERR_clear_error();
    mobid_wipe(secret, sizeof secret);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

mobid_err mobid_ecdh(const mobid_key *priv, const mobid_key *peer, mobid_buf *out)
{
    if (!priv || !peer || !out)
        return MOBID_ERR_INVALID_ARG;
    if (!priv->has_private || priv->curve != peer->curve)
        return MOBID_ERR_KEY_INVALID;
    if (priv->curve == MOBID_CURVE_X25519)
        return ecdh_x25519(priv, peer, out);
    if (!priv->ec)
        return MOBID_ERR_KEY_INVALID; /* Ed25519 keys do not agree */
    return ecdh_p(priv, peer, out);
}

/* Explicit fetches, done once: EVP_aes_128_gcm() is a legacy handle that every
 * EVP_CipherInit_ex fetches again by name (a locked lookup), and a verification runs
 * four AES-GCM passes (the JWE, the sealed key and claims). */
static EVP_CIPHER *gcms[2];
static pthread_once_t gcms_once = PTHREAD_ONCE_INIT;

static void gcms_init(void)
{
    gcms[0] = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    gcms[1] = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *gcm_cipher(mobid_view key)
{
    if (key.len != 16 && key.len != 32)
        return NULL;
    pthread_once(&gcms_once, gcms_init);
    return gcms[key.len == 32];
}

static bool gcm_args_ok(mobid_view key, mobid_view iv, mobid_view aad, mobid_view text)
{
    return gcm_cipher(key) && iv.len == 12 && aad.len <= INT32_MAX && text.len <= INT32_MAX &&
           (aad.len == 0 || aad.ptr) && (text.len == 0 || text.ptr);
}

/* One AES-GCM pass: encrypt (enc = 1) or decrypt text into dst; tag written on
 * encrypt, checked on decrypt. */
static mobid_err gcm_run(int enc, mobid_view key, mobid_view iv, mobid_view aad,
                         mobid_view text, uint8_t *dst, uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    mobid_err err = MOBID_ERR_NOMEM;
    int len = 0;
    if (!ctx)
        goto done;
    err = MOBID_ERR_CRYPTO;
    if (EVP_CipherInit_ex(ctx, gcm_cipher(key), NULL, key.ptr, iv.ptr, enc) != 1)
        goto done;
    if (aad.len && EVP_CipherUpdate(ctx, NULL, &len, aad.ptr, (int)aad.len) != 1)
        goto done;
    if (text.len && EVP_CipherUpdate(ctx, dst, &len, text.ptr, (int)text.len) != 1)
        goto done;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
        goto done;
    if (EVP_CipherFinal_ex(ctx, dst + text.len, &len) != 1) {
        err = enc ? MOBID_ERR_CRYPTO : MOBID_ERR_DECRYPT_FAILED;
        goto done;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        goto done;
    err = MOBID_OK;
done:
    if (err != MOBID_OK)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return err;
}

mobid_err mobid_aes_gcm_encrypt(mobid_view key, mobid_view iv, mobid_view aad, mobid_view pt,
                                mobid_buf *ct, uint8_t tag[16])
{
    if (!ct || !tag || !gcm_args_ok(key, iv, aad, pt))
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_buf_reserve(ct, pt.len);
    if (err != MOBID_OK)
        return err;
    err = gcm_run(1, key, iv, aad, pt, ct->ptr + ct->len, tag);
    if (err == MOBID_OK)
        ct->len += pt.len;
    return err;
}

mobid_err mobid_aes_gcm_decrypt(mobid_view key, mobid_view iv, mobid_view aad, mobid_view ct,
                                mobid_view tag, mobid_buf *pt)
{
    if (!pt || !gcm_args_ok(key, iv, aad, ct))
        return MOBID_ERR_INVALID_ARG;
    if (tag.len != 16)
        return MOBID_ERR_DECRYPT_FAILED;
    mobid_err err = mobid_buf_reserve(pt, ct.len);
    if (err != MOBID_OK)
        return err;
    uint8_t t[16];
    memcpy(t, tag.ptr, 16);
    err = gcm_run(0, key, iv, aad, ct, pt->ptr + pt->len, t);
    if (err == MOBID_OK)
        pt->len += ct.len;
    else /* nothing of an unauthenticated plaintext stays behind */
        mobid_wipe(pt->ptr + pt->len, ct.len);
    return err;
}
