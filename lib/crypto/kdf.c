/* scrypt (RFC 7914) over OpenSSL 3's EVP_PBE_scrypt, for password hashing. */
#include "crypto_internal.h"

#include <mobid/kdf.h>

#include <openssl/err.h>
#include <openssl/evp.h>

/* True when the parameters fit the bounds documented in kdf.h. */
static bool scrypt_params_ok(uint64_t n, uint64_t r, uint64_t p, size_t out_len)
{
    if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0)
        return false;
    if (out_len == 0 || out_len > 1024)
        return false;
    /* 128 * r * N * p, checked step by step against overflow */
    if (r > MOBID_SCRYPT_MAX_MEM / 128 / p)
        return false;
    return n <= MOBID_SCRYPT_MAX_MEM / (128 * r * p);
}

mobid_err mobid_scrypt(mobid_view password, mobid_view salt, uint64_t n, uint64_t r,
                       uint64_t p, uint8_t *out, size_t out_len)
{
    static const char empty[1] = { 0 };
    mobid_err err = MOBID_OK;

    if (!out || !scrypt_params_ok(n, r, p, out_len)) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    /* OpenSSL wants a non-NULL pointer even for an empty password or salt */
    if (EVP_PBE_scrypt(password.len ? (const char *)password.ptr : empty, password.len,
                       salt.len ? salt.ptr : (const unsigned char *)empty, salt.len, n, r, p,
                       MOBID_SCRYPT_MAX_MEM + 1024 * 1024, out, out_len) != 1) {
        err = MOBID_ERR_CRYPTO;
        ERR_clear_error();
    }
done:
    return err;
}
