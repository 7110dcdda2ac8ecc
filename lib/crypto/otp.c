/* HOTP (RFC 4226) and TOTP (RFC 6238) over OpenSSL's HMAC. */
#include "crypto_internal.h"

#include <mobid/kdf.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static const EVP_MD *otp_md(mobid_otp_alg alg)
{
    switch (alg) {
    case MOBID_OTP_SHA1: return EVP_sha1();
    case MOBID_OTP_SHA256: return EVP_sha256();
    case MOBID_OTP_SHA512: return EVP_sha512();
    default: return NULL;
    }
}

mobid_err mobid_hotp(mobid_otp_alg alg, mobid_view key, uint64_t counter, unsigned digits,
                     uint32_t *code)
{
    static const uint32_t pow10[] = { 1000000u, 10000000u, 100000000u, 1000000000u };
    const EVP_MD *md = otp_md(alg);
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;

    if (!md || !code || digits < 6 || digits > 9 || key.len == 0 || key.len > 1024 || !key.ptr)
        return MOBID_ERR_INVALID_ARG;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)counter;
        counter >>= 8;
    }
    if (!HMAC(md, key.ptr, (int)key.len, msg, sizeof msg, mac, &mac_len) || mac_len < 20)
        return MOBID_ERR_CRYPTO;
    /* dynamic truncation: 31 bits at the offset the last nibble names */
    unsigned off = mac[mac_len - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    *code = bin % pow10[digits - 6];
    OPENSSL_cleanse(mac, sizeof mac);
    return MOBID_OK;
}

mobid_err mobid_totp(mobid_otp_alg alg, mobid_view key, int64_t t, unsigned step,
                     unsigned digits, uint32_t *code)
{
    if (t < 0 || step == 0)
        return MOBID_ERR_INVALID_ARG;
    return mobid_hotp(alg, key, (uint64_t)t / step, digits, code);
}
