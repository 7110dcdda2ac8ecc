/* issuer: values sealed at rest under the data key, keyed lookups, random ids. */
#include "services/issuer/issuer.h"

#include <mobid/crypto.h>

#include <stdio.h>
#include <string.h>

mobid_err issuer_seal(const issuer_ctx *ctx, mobid_view aad, mobid_view plain, mobid_buf *out)
{
    return mobid_seal(mobid_view_make(ctx->data_key, sizeof ctx->data_key), aad, plain, out);
}

mobid_err issuer_unseal(const issuer_ctx *ctx, mobid_view aad, mobid_view sealed, mobid_buf *out)
{
    return mobid_unseal(mobid_view_make(ctx->data_key, sizeof ctx->data_key), aad, sealed, out);
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
    /* The first symbol is from the lower half of the alphabet (A-Z, a-f), so an id never
     * starts with '-' and is never read as an option on a command line (127 random bits) */
    rnd[0] &= 0x7f;
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
