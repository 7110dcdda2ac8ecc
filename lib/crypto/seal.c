/* Values sealed at rest: the one framing (iv || ciphertext || tag) every service uses. */
#include <mobid/crypto.h>

#define SEAL_KEY 32
#define SEAL_IV 12
#define SEAL_TAG 16

mobid_err mobid_seal(mobid_view key, mobid_view aad, mobid_view plain, mobid_buf *out)
{
    uint8_t iv[SEAL_IV], tag[SEAL_TAG];
    mobid_err err = key.len == SEAL_KEY ? mobid_random(iv, sizeof iv) : MOBID_ERR_INVALID_ARG;

    /* a random 96-bit IV per value: far below the 2^32 values per key that
     * NIST SP 800-38D allows for random IVs at the sizes a service seals */
    if (!err)
        err = mobid_buf_append(out, iv, sizeof iv);
    if (!err)
        err = mobid_aes_gcm_encrypt(key, mobid_view_make(iv, sizeof iv), aad, plain, out, tag);
    if (!err)
        err = mobid_buf_append(out, tag, sizeof tag);
    return err;
}

mobid_err mobid_unseal(mobid_view key, mobid_view aad, mobid_view sealed, mobid_buf *out)
{
    if (key.len != SEAL_KEY)
        return MOBID_ERR_INVALID_ARG;
    if (sealed.len < SEAL_IV + SEAL_TAG)
        return MOBID_ERR_DECRYPT_FAILED;
    return mobid_aes_gcm_decrypt(key, mobid_view_make(sealed.ptr, SEAL_IV), aad,
                                 mobid_view_make(sealed.ptr + SEAL_IV,
                                                 sealed.len - SEAL_IV - SEAL_TAG),
                                 mobid_view_make(sealed.ptr + sealed.len - SEAL_TAG, SEAL_TAG),
                                 out);
}
