/* issuer: values sealed at rest under the data key, keyed lookups, random ids. */
#include "services/issuer/issuer.h"

#include <mobid/crypto.h>

#include <stdio.h>
#include <string.h>

#define SEAL_IV 12
#define SEAL_TAG 16

mobid_err issuer_seal(const issuer_ctx *ctx, mobid_view aad, mobid_view plain, mobid_buf *out)
{
    uint8_t iv[SEAL_IV];
    mobid_err err = mobid_random(iv, sizeof iv);
    if (err != MOBID_OK)
        return err;
    mobid_buf_append(out, iv, sizeof iv);
    if (out->err != MOBID_OK)
        return out->err;
    uint8_t tag[SEAL_TAG];
    err = mobid_aes_gcm_encrypt(mobid_view_make(ctx->data_key, sizeof ctx->data_key),
                                mobid_view_make(iv, sizeof iv), aad, plain, out, tag);
    if (err == MOBID_OK)
        err = mobid_buf_append(out, tag, sizeof tag);
    return err;
}

mobid_err issuer_unseal(const issuer_ctx *ctx, mobid_view aad, mobid_view sealed, mobid_buf *out)
{
    if (sealed.len < SEAL_IV + SEAL_TAG)
        return MOBID_ERR_DECRYPT_FAILED;
    return mobid_aes_gcm_decrypt(
        mobid_view_make(ctx->data_key, sizeof ctx->data_key), mobid_view_make(sealed.ptr, SEAL_IV),
        aad, mobid_view_make(sealed.ptr + SEAL_IV, sealed.len - SEAL_IV - SEAL_TAG),
        mobid_view_make(sealed.ptr + sealed.len - SEAL_TAG, SEAL_TAG), out);
}

mobid_err issuer_lookup_hash(const issuer_ctx *ctx, mobid_view value, char out[65])
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_buf hex = { 0 };
    mobid_err err = mobid_hmac(MOBID_HASH_SHA256,
                               mobid_view_make(ctx->lookup_key, sizeof ctx->lookup_key), &value, 1,
                               mac);
    if (err == MOBID_OK)
        err = mobid_hex_encode(mobid_view_make(mac, 32), &hex);
    if (err == MOBID_OK && hex.len == 64) {
        memcpy(out, hex.ptr, 64);
        out[64] = 0;
    } else if (err == MOBID_OK) {
        err = MOBID_ERR_CRYPTO;
    }
    mobid_buf_free(&hex);
    return err;
}

mobid_err issuer_new_id(char out[23])
{
    uint8_t rnd[16];
    mobid_buf b = { 0 };
    mobid_err err = mobid_random(rnd, sizeof rnd);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &b);
    if (err == MOBID_OK && b.len == 22) {
        memcpy(out, b.ptr, 22);
        out[22] = 0;
    } else if (err == MOBID_OK) {
        err = MOBID_ERR_INVALID_ARG;
    }
    mobid_buf_free(&b);
    return err;
}
