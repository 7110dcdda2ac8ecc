/* Hashes, HMAC, HKDF, randomness and the size tables of the algorithm enums. */
#include "crypto_internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

size_t mobid_curve_size(mobid_curve c)
{
    switch (c) {
    case MOBID_CURVE_P256: return 32;
    case MOBID_CURVE_P384: return 48;
    case MOBID_CURVE_P521: return 66;
    case MOBID_CURVE_ED25519: return 32;
    case MOBID_CURVE_X25519: return 32;
    default: return 0;
    }
}

size_t mobid_alg_sig_size(mobid_alg a)
{
    switch (a) {
    case MOBID_ALG_ES256: return 64;
    case MOBID_ALG_ES384: return 96;
    case MOBID_ALG_ES512: return 132;
    case MOBID_ALG_EDDSA: return 64;
    default: return 0;
    }
}

mobid_curve mobid_alg_curve(mobid_alg a)
{
    switch (a) {
    case MOBID_ALG_ES256: return MOBID_CURVE_P256;
    case MOBID_ALG_ES384: return MOBID_CURVE_P384;
    case MOBID_ALG_ES512: return MOBID_CURVE_P521;
    case MOBID_ALG_EDDSA: return MOBID_CURVE_ED25519;
    default: return MOBID_CURVE_NONE;
    }
}

size_t mobid_hash_size(mobid_hash_alg h)
{
    switch (h) {
    case MOBID_HASH_SHA256: return 32;
    case MOBID_HASH_SHA384: return 48;
    case MOBID_HASH_SHA512: return 64;
    default: return 0;
    }
}

/* Explicit fetches, done once: an implicit fetch (EVP_sha256()) is repeated by
 * every EVP_DigestInit and shows up in profiles. */
static EVP_MD *mds[3];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void mds_init(void)
{
    mds[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
    mds[1] = EVP_MD_fetch(NULL, "SHA384", NULL);
    mds[2] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

const EVP_MD *mobid_crypto_md(mobid_hash_alg h)
{
    if (mobid_hash_size(h) == 0)
        return NULL;
    pthread_once(&mds_once, mds_init);
    return mds[h - 1];
}

/* The low-level one-shot hash contexts: no fetch and no allocation, which
 * matters for the many small hashes of mdoc and SD-JWT verification. */
typedef union hash_ctx {
    SHA256_CTX s256;
    SHA512_CTX s512;
} hash_ctx;

static void hash_init(mobid_hash_alg h, hash_ctx *c)
{
    if (h == MOBID_HASH_SHA256)
        SHA256_Init(&c->s256);
    else if (h == MOBID_HASH_SHA384)
        SHA384_Init(&c->s512);
    else
        SHA512_Init(&c->s512);
}

static void hash_update(mobid_hash_alg h, hash_ctx *c, mobid_view v)
{
    if (v.len == 0)
        return;
    if (h == MOBID_HASH_SHA256)
        SHA256_Update(&c->s256, v.ptr, v.len);
    else if (h == MOBID_HASH_SHA384)
        SHA384_Update(&c->s512, v.ptr, v.len);
    else
        SHA512_Update(&c->s512, v.ptr, v.len);
}

static void hash_final(mobid_hash_alg h, hash_ctx *c, uint8_t *out)
{
    if (h == MOBID_HASH_SHA256)
        SHA256_Final(out, &c->s256);
    else if (h == MOBID_HASH_SHA384)
        SHA384_Final(out, &c->s512);
    else
        SHA512_Final(out, &c->s512);
    mobid_wipe(c, sizeof *c);
}

mobid_err mobid_hash_parts(mobid_hash_alg h, const mobid_view *parts, size_t n,
                           uint8_t out[MOBID_HASH_MAX])
{
    if (mobid_hash_size(h) == 0 || !out || (n && !parts))
        return MOBID_ERR_INVALID_ARG;
    hash_ctx c;
    hash_init(h, &c);
    for (size_t i = 0; i < n; i++)
        hash_update(h, &c, parts[i]);
    hash_final(h, &c, out);
    return MOBID_OK;
}

mobid_err mobid_hash_prefix(mobid_hash_alg h, mobid_view prefix, mobid_view rest,
                            uint8_t first[MOBID_HASH_MAX], uint8_t full[MOBID_HASH_MAX])
{
    if (mobid_hash_size(h) == 0 || !first || !full)
        return MOBID_ERR_INVALID_ARG;
    hash_ctx c, copy;
    hash_init(h, &c);
    hash_update(h, &c, prefix);
    copy = c;
    hash_final(h, &copy, first);
    hash_update(h, &c, rest);
    hash_final(h, &c, full);
    return MOBID_OK;
}

mobid_err mobid_hash(mobid_hash_alg h, mobid_view in, uint8_t out[MOBID_HASH_MAX])
{
    return mobid_hash_parts(h, &in, 1, out);
}

mobid_err mobid_hmac(mobid_hash_alg h, mobid_view key, const mobid_view *parts, size_t n,
                     uint8_t out[MOBID_HASH_MAX])
{
    const EVP_MD *md = mobid_crypto_md(h);
    if (!md || !out || (n && !parts))
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = MOBID_ERR_CRYPTO;
    static const uint8_t empty[1];
    HMAC_CTX *ctx = HMAC_CTX_new();
    if (!ctx)
        return MOBID_ERR_NOMEM;
    if (!HMAC_Init_ex(ctx, key.len ? key.ptr : empty, (int)key.len, md, NULL))
        goto done;
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && !HMAC_Update(ctx, parts[i].ptr, parts[i].len))
            goto done;
    unsigned int len = 0;
    if (!HMAC_Final(ctx, out, &len) || len != mobid_hash_size(h))
        goto done;
    err = MOBID_OK;
done:
    HMAC_CTX_free(ctx);
    return err;
}

/* RFC 5869 on top of mobid_hmac: the EVP_KDF route fetches its digest by name on
 * every call, which costs more than the two HMACs. An empty salt is an HMAC key
 * of HashLen zeros, exactly as the RFC asks. */
mobid_err mobid_hkdf(mobid_hash_alg h, mobid_view salt, mobid_view ikm, mobid_view info,
                     uint8_t *out, size_t out_len)
{
    size_t hl = mobid_hash_size(h);
    if (hl == 0 || !out || out_len == 0 || out_len > 255 * hl)
        return MOBID_ERR_INVALID_ARG;
    uint8_t prk[MOBID_HASH_MAX], t[MOBID_HASH_MAX];
    mobid_err err = mobid_hmac(h, salt, &ikm, 1, prk);
    for (size_t done = 0, i = 1; err == MOBID_OK && done < out_len; i++) {
        uint8_t counter = (uint8_t)i;
        mobid_view parts[3] = { mobid_view_make(t, i > 1 ? hl : 0), info,
                                mobid_view_make(&counter, 1) };
        err = mobid_hmac(h, mobid_view_make(prk, hl), parts, 3, t);
        size_t n = out_len - done < hl ? out_len - done : hl;
        if (err == MOBID_OK)
            memcpy(out + done, t, n);
        done += n;
    }
    mobid_wipe(prk, sizeof prk);
    mobid_wipe(t, sizeof t);
    if (err != MOBID_OK)
        mobid_wipe(out, out_len);
    return err;
}

mobid_err mobid_random(uint8_t *out, size_t n)
{
    if (n == 0)
        return MOBID_OK;
    if (!out || n > INT32_MAX)
        return MOBID_ERR_INVALID_ARG;
    return RAND_bytes(out, (int)n) == 1 ? MOBID_OK : MOBID_ERR_CRYPTO;
}
