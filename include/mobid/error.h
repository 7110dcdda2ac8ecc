/*
 * mobid — one error enum for the whole library.
 *
 * Every fallible function returns a mobid_err. Numbers are never reused or
 * renumbered: new codes are appended to MOBID_ERR_LIST before the end marker.
 * mobid_err_name() gives the stable code name that the CLI prints in JSON
 * ("DEVICE_SIGNATURE_INVALID"); mobid_strerror() a human sentence.
 *
 * Only what the library itself can return is listed. The services built on it
 * have their own codes in the same number space (the numbers missing here: the
 * database, sessions, the consular office's rules, sign-in); they are not part of
 * the library and mobid_err_name() calls them "UNKNOWN".
 */
#ifndef MOBID_ERROR_H
#define MOBID_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MOBID_MUST_CHECK __attribute__((warn_unused_result))
#else
#define MOBID_MUST_CHECK
#endif

/* X(ENUM_SUFFIX, number, "message") — the name is the suffix itself. */
#define MOBID_ERR_LIST(X)                                                      \
    X(OK, 0, "success")                                                        \
    X(NOMEM, 1, "out of memory")                                               \
    X(INVALID_ARG, 2, "invalid argument")                                      \
    X(MALFORMED, 3, "malformed input")                                         \
    X(TRUNCATED, 4, "input ends before the item does")                        \
    X(TOO_BIG, 5, "input exceeds a configured size limit")                     \
    X(TOO_DEEP, 6, "input nests deeper than the configured limit")            \
    X(UNSUPPORTED, 7, "unsupported feature or algorithm")                      \
    X(BUFFER_TOO_SMALL, 8, "output buffer too small")                          \
    X(BAD_BASE64, 9, "invalid base64url")                                      \
    X(BAD_HEX, 10, "invalid hex")                                              \
    X(BAD_TIME, 11, "invalid date or time")                                    \
    X(CRYPTO, 12, "cryptographic library failure")                             \
    X(KEY_INVALID, 13, "invalid or unusable key")                              \
    X(POINT_NOT_ON_CURVE, 14, "public key point is not on the curve")          \
    X(ALG_NOT_ALLOWED, 15, "algorithm not allowed")                            \
    X(SIGNATURE_INVALID, 16, "signature does not verify")                      \
    X(MAC_INVALID, 17, "MAC does not verify")                                  \
    X(DECRYPT_FAILED, 18, "decryption or authentication failed")               \
    X(CERT_INVALID, 19, "certificate cannot be parsed")                        \
    X(UNTRUSTED_ISSUER, 20, "no path to a trust anchor")                       \
    X(CERT_EXPIRED, 21, "certificate expired at the given time")               \
    X(CERT_NOT_YET_VALID, 22, "certificate not yet valid at the given time")   \
    X(CERT_USAGE, 23, "certificate not allowed for this use")                  \
    X(CRITICAL_HEADER, 24, "unknown critical header parameter")                \
    X(NOT_FOUND, 25, "item not found")                                         \
    X(IO, 26, "input/output error")                                            \
    X(ISSUER_SIGNATURE_INVALID, 27, "issuer signature does not verify")        \
    X(DEVICE_SIGNATURE_INVALID, 28, "device signature does not verify")        \
    X(DEVICE_MAC_INVALID, 29, "device MAC does not verify")                    \
    X(DIGEST_MISMATCH, 30, "disclosed item does not match its signed digest")  \
    X(NOT_YET_VALID, 31, "credential not yet valid at the given time")         \
    X(EXPIRED, 32, "credential expired at the given time")                     \
    X(DOCTYPE_MISMATCH, 33, "docType differs between document and MSO")        \
    X(DOCUMENT_ERROR, 34, "response reports document errors")                  \
    X(DISCLOSURE_UNREFERENCED, 35, "disclosure digest referenced nowhere")     \
    X(DUPLICATE_DISCLOSURE, 36, "disclosure given or referenced twice")        \
    X(DUPLICATE_DIGEST, 37, "digest appears twice")                            \
    X(DUPLICATE_CLAIM, 38, "claim name appears twice")                         \
    X(RESERVED_CLAIM_NAME, 39, "reserved name used as a claim name")           \
    X(KB_MISSING, 40, "key binding JWT required but missing")                  \
    X(KB_SIGNATURE_INVALID, 41, "key binding JWT signature does not verify")   \
    X(NONCE_MISMATCH, 42, "nonce does not match")                              \
    X(AUDIENCE_MISMATCH, 43, "audience does not match")                        \
    X(SD_HASH_MISMATCH, 44, "sd_hash does not match the presentation")         \
    X(KB_IAT_INVALID, 45, "key binding JWT issued outside the allowed window") \
    X(TYPE_MISMATCH, 46, "typ header has the wrong value")                     \
    X(STATUS_INDEX_OUT_OF_RANGE, 47, "status index past the end of the list")  \
    X(STATUS_LIST_INVALID, 48, "status list token is invalid")                 \
    X(SUBJECT_MISMATCH, 49, "token subject does not match the reference")      \
    X(REVOKED, 50, "credential is revoked")                                    \
    X(SUSPENDED, 51, "credential is suspended")                                \
    X(FETCH_FAILED, 52, "fetching a remote resource failed")                   \
    X(DEVICE_KEY_INVALID, 53, "device key in the MSO is unusable")             \
    X(HOLDER_BINDING_MISSING, 54, "credential has no holder key")              \
    X(CLAIM_MISSING, 55, "a required claim is missing")                        \
    X(LIMIT, 56, "an internal limit was reached")                              \
    X(DCQL_UNSATISFIED, 63, "presentation does not satisfy the DCQL query")   \
    X(CLAIM_NOT_ALLOWED, 64, "claim not allowed by the relying party's registration") \
    X(UNAUTHENTICATED, 75, "missing, unknown or expired credentials") \
    X(WALLET_LOCKED, 76, "wallet locked after too many wrong PINs")           \
    X(PIN_WRONG, 77, "wrong PIN")                                             \
    X(CONSENT_DENIED, 78, "the holder declined")                              \
    X(NO_CREDENTIAL, 79, "no unused credential answers the request")           \
    X(WALLET_TAMPERED, 82, "the wallet file was altered or is damaged")       \
    X(PIN_TOO_WEAK, 83, "the PIN is too easy to guess")                       \
    X(REGISTRAR_INVALID, 84, "registration not signed by a registrar certificate") \
    X(MESSAGE_REPLAYED, 86, "session message replayed (an old message counter)") \
    X(SESSION_TERMINATED, 87, "the peer ended the session")                    \
    X(INSECURE_TRANSPORT, 88, "plain http:// is allowed only to this machine (loopback)") \
    X(DS_EKU_MISSING, 89, "document signer certificate has no extended key usage") \
    X(CERT_PROFILE, 90, "certificate breaks an ISO 18013-5 Annex B profile rule") \
    X(VICAL_INVALID, 91, "not a well-formed VICAL") \
    X(VICAL_SIGNATURE_INVALID, 92, "VICAL signature does not verify") \
    X(VICAL_SIGNER_UNTRUSTED, 93, "VICAL signer does not chain to a VICAL anchor") \
    X(VICAL_EXPIRED, 94, "VICAL is past its nextUpdate") \
    X(VICAL_NOT_YET_VALID, 95, "VICAL is dated after the given time") \
    X(DOCTYPE_NOT_ALLOWED, 96, "issuer CA is not trusted for this docType") \
    X(ISSUER_METADATA_INVALID, 97, "issuer metadata is unusable or names another issuer") \
    X(RATE_LIMITED, 98, "too many requests; retry after the given seconds")   \
    X(RP_NOT_REGISTERED, 100, "the relying party has no registration from the ministry")

typedef enum mobid_err {
#define MOBID_ERR_ENUM_(name, num, msg) MOBID_ERR_##name = num,
    MOBID_ERR_LIST(MOBID_ERR_ENUM_)
#undef MOBID_ERR_ENUM_
    MOBID_ERR_END_
} mobid_err;

#define MOBID_OK MOBID_ERR_OK

/* Stable code name without prefix, e.g. "EXPIRED"; "UNKNOWN" for an unknown number. */
const char *mobid_err_name(mobid_err err);

/* Human-readable sentence for err; never NULL. */
const char *mobid_strerror(mobid_err err);

#ifdef __cplusplus
}
#endif
#endif
