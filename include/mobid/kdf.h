/*
 * mobid KDF: scrypt (RFC 7914), the memory-hard password hash for officer accounts.
 *
 * Kept in its own header so code that needs only the password hash does not pull in
 * the rest of the crypto adapter; implemented in lib/crypto/kdf.c over OpenSSL 3's
 * EVP_PBE_scrypt.
 */
#ifndef MOBID_KDF_H
#define MOBID_KDF_H

#include <stddef.h>
#include <stdint.h>
#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest scrypt memory use mobid_scrypt accepts (128 * r * N * p bytes): 1 GiB. */
#define MOBID_SCRYPT_MAX_MEM ((uint64_t)1024 * 1024 * 1024)

/* scrypt(password, salt, N, r, p) into out[0..out_len).
 * N must be a power of two above 1; r, p >= 1; out_len 1..1024; the memory the
 * parameters need must stay under MOBID_SCRYPT_MAX_MEM. Returns MOBID_ERR_INVALID_ARG
 * for parameters outside these bounds, MOBID_ERR_NOMEM / MOBID_ERR_CRYPTO when
 * OpenSSL fails. Inputs are borrowed; out is written only on success. */
MOBID_MUST_CHECK mobid_err mobid_scrypt(mobid_view password, mobid_view salt, uint64_t n,
                                        uint64_t r, uint64_t p, uint8_t *out,
                                        size_t out_len);

#ifdef __cplusplus
}
#endif
#endif
