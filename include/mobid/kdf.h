/*
 * mobid KDF: scrypt (RFC 7914), the memory-hard password hash for officer accounts,
 * and HOTP/TOTP (RFC 4226, RFC 6238), their optional second factor.
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

/* ---- one-time passwords (lib/crypto/otp.c) ---- */

typedef enum mobid_otp_alg {
    MOBID_OTP_SHA1 = 1,   /* what authenticator apps use by default */
    MOBID_OTP_SHA256 = 2,
    MOBID_OTP_SHA512 = 3
} mobid_otp_alg;

/* RFC 4226 HOTP: HMAC(key, 8-byte big-endian counter), dynamically truncated, modulo
 * 10^digits. digits 6..9; key 1..1024 bytes (borrowed). *code gets the number (print
 * it zero-padded to digits). Returns MOBID_ERR_INVALID_ARG, MOBID_ERR_CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_hotp(mobid_otp_alg alg, mobid_view key, uint64_t counter,
                                      unsigned digits, uint32_t *code);

/* RFC 6238 TOTP at Unix time t: HOTP with counter floor(t / step) (T0 = 0). step > 0,
 * t >= 0; errors as mobid_hotp. */
MOBID_MUST_CHECK mobid_err mobid_totp(mobid_otp_alg alg, mobid_view key, int64_t t,
                                      unsigned step, unsigned digits, uint32_t *code);

#ifdef __cplusplus
}
#endif
#endif
