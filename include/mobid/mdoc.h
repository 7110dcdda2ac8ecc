/*
 * mobid mdoc: ISO/IEC 18013-5 mobile documents (mso_mdoc).
 *
 * Issuer: mobid_mdoc_issue() builds an IssuerSigned structure (IssuerSignedItems
 * with fresh salts and shuffled digest IDs, the MobileSecurityObject, and
 * issuerAuth as a COSE_Sign1 carrying the document signer chain in x5chain).
 *
 * Holder: mobid_mdoc_present() builds a DeviceResponse that discloses a chosen
 * subset of the items and authenticates the SessionTranscript with a device
 * signature (COSE_Sign1) or a device MAC (COSE_Mac0, EMacKey from ECDH with the
 * reader's ephemeral key).
 *
 * Verifier: mobid_mdoc_verify() checks every document of a DeviceResponse.
 * The verifier object caches parsed document signer chains so that a
 * verification costs about two signature verifications plus hashing.
 *
 * Ownership: views passed in are only read during the call. Results of
 * mobid_mdoc_verify() hold views into the response bytes: keep them alive while
 * the result is used. Output buffers are appended to; the caller frees them.
 */
#ifndef MOBID_MDOC_H
#define MOBID_MDOC_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/cbor.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBID_MDOC_DOCTYPE_MDL "org.iso.18013.5.1.mDL"
#define MOBID_MDOC_NS_MDL "org.iso.18013.5.1"

/* Size limits applied to every mdoc input. */
#define MOBID_MDOC_MAX_INPUT ((size_t)8 * 1024 * 1024)
#define MOBID_MDOC_MAX_AGES 16

/* ------------------------------------------------------ SessionTranscript */

/* Each builder appends an encoded SessionTranscript array (not tag-24 wrapped). */

/* OpenID4VP 1.0 redirect flows: [null, null, ["OpenID4VPHandover",
 * SHA-256(CBOR [client_id, nonce, jwk_thumbprint or null, response_uri])]].
 * jwk_thumbprint.len == 0 encodes null. Strings must be valid UTF-8. */
mobid_err mobid_mdoc_transcript_oid4vp(const char *client_id, const char *nonce,
                                       mobid_view jwk_thumbprint, const char *response_uri,
                                       mobid_buf *out);

/* OpenID4VP 1.0 over the Digital Credentials API: [null, null,
 * ["OpenID4VPDCAPIHandover", SHA-256(CBOR [origin, nonce, jwk_thumbprint or null])]]. */
mobid_err mobid_mdoc_transcript_oid4vp_dcapi(const char *origin, const char *nonce,
                                             mobid_view jwk_thumbprint, mobid_buf *out);

/* ISO 18013-5 proximity: [DeviceEngagementBytes, EReaderKeyBytes, Handover] where
 * device_engagement and e_reader_key are the encoded DeviceEngagement and
 * EReaderKey (COSE_Key) items (wrapped in tag 24 here). QR handover: pass
 * handover_select.ptr == NULL (Handover = null). NFC: the Handover Select and
 * Handover Request NDEF messages (request.ptr == NULL encodes null). */
mobid_err mobid_mdoc_transcript_iso(mobid_view device_engagement, mobid_view e_reader_key,
                                    mobid_view handover_select, mobid_view handover_request,
                                    mobid_buf *out);

/* Accept a SessionTranscript given either as the array or as its tag-24
 * wrapping (SessionTranscriptBytes) and return a view of the array's bytes
 * inside `in`. MALFORMED if it is neither. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_transcript_unwrap(mobid_view in, mobid_view *array);

/* --------------------------------------------------------------- issuing */

typedef struct mobid_mdoc_element {
    const char *ns;   /* namespace, e.g. MOBID_MDOC_NS_MDL */
    const char *id;   /* elementIdentifier */
    mobid_view value; /* the elementValue as one encoded CBOR item */
} mobid_mdoc_element;

typedef struct mobid_mdoc_issue_opts {
    const char *doctype;
    const mobid_mdoc_element *elements;
    size_t n_elements;
    const mobid_key *issuer_key;    /* document signer private key */
    mobid_alg alg;                  /* 0: from the issuer key's curve */
    mobid_cert *const *chain;       /* DS certificate first; n_chain >= 1 */
    size_t n_chain;
    const mobid_key *device_key;    /* holder key; only its public part is used */
    mobid_hash_alg digest_alg;      /* 0: SHA-256 */
    mobid_time signed_at;           /* 0: now */
    mobid_time valid_from;          /* 0: signed_at */
    mobid_time valid_until;         /* 0: valid_from + 365 days */
    const char *status_uri;         /* NULL: no status; else status_list {idx, uri} */
    uint64_t status_idx;
    /* age_over_NN: for each listed NN an element "age_over_NN" (bool) is added to
     * age_ns, computed at signed_at from the birth date element birth_ns/birth_id
     * (a full-date). NULL names default to the mDL namespace and "birth_date". */
    const unsigned *age_over;
    size_t n_age_over;
    const char *age_ns;
    const char *birth_ns;
    const char *birth_id;
} mobid_mdoc_issue_opts;

/* Build IssuerSigned {nameSpaces, issuerAuth} and append its encoding to out.
 * Returns INVALID_ARG for missing options or duplicate elements, NOT_FOUND when
 * ages are requested without a birth date, BAD_TIME for an unreadable birth
 * date, or a crypto error. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_issue(const mobid_mdoc_issue_opts *o, mobid_buf *out);

/* ------------------------------------------------------------ presenting */

typedef struct mobid_mdoc_ref {
    const char *ns;
    const char *id;
} mobid_mdoc_ref;

typedef struct mobid_mdoc_present_opts {
    mobid_view issuer_signed;      /* encoded IssuerSigned (or a whole Document) */
    const mobid_key *device_key;   /* the holder's private key (SDeviceKey) */
    mobid_view transcript;         /* SessionTranscript, array or tag-24 form */
    const mobid_mdoc_ref *reveal;  /* items to disclose */
    size_t n_reveal;
    const mobid_key *reader_key;   /* NULL: deviceSignature; else the reader's
                                      ephemeral public key and deviceMac */
} mobid_mdoc_present_opts;

/* Build DeviceResponse {version "1.0", documents [one Document], status 0}
 * holding only the revealed items, and append its encoding to out. NOT_FOUND
 * when a revealed item is not in issuer_signed; MALFORMED for unusable input. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_present(const mobid_mdoc_present_opts *o, mobid_buf *out);

/* Split "NS/ELEM" at its last '/' into ref (views of s; no copy). */
mobid_err mobid_mdoc_ref_parse(const char *s, mobid_view *ns, mobid_view *id);

/* ------------------------------------------------------------- verifying */

typedef struct mobid_mdoc_verifier mobid_mdoc_verifier;

/* A verifier over a set of trust anchors. It does not own `trust`, which must
 * outlive it. Safe to share between threads. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_verifier_new(mobid_trust *trust,
                                                   mobid_mdoc_verifier **out);
void mobid_mdoc_verifier_free(mobid_mdoc_verifier *v);

typedef struct mobid_mdoc_verify_opts {
    mobid_view transcript;       /* SessionTranscript, array or tag-24 form */
    const mobid_key *reader_key; /* reader's ephemeral private key, for deviceMac */
    mobid_time at;               /* 0: now */
    const char *expect_doctype;  /* NULL: any */
} mobid_mdoc_verify_opts;

typedef struct mobid_mdoc_item {
    mobid_view ns;
    mobid_view id;
    mobid_view value;     /* encoded elementValue as received */
    uint64_t digest_id;   /* issuer-signed items only */
    bool device_signed;   /* from deviceSigned.nameSpaces */
} mobid_mdoc_item;

typedef struct mobid_mdoc_doc {
    mobid_view doctype;
    mobid_time signed_at, valid_from, valid_until;
    mobid_mdoc_item *items;
    size_t n_items;
    bool has_status;      /* MSO status.status_list present */
    uint64_t status_idx;
    mobid_view status_uri;
    bool device_mac;      /* authenticated with deviceMac (else deviceSignature) */
    mobid_view errors;    /* Document.errors map as received, or empty */
    unsigned warnings;    /* MOBID_TRUST_WARN_* bits the trust policy let through
                             (mobid_trust_warning_name names them) */
    uint8_t *owned_;      /* internal: a normalised copy of issuerAuth when one was
                             needed; freed by mobid_mdoc_doc_free */
} mobid_mdoc_doc;

typedef struct mobid_mdoc_result {
    mobid_mdoc_doc *docs;
    size_t n_docs;
    mobid_view version;         /* DeviceResponse.version ("1.0"; any "1.x" is accepted) */
    mobid_view document_errors; /* DeviceResponse.documentErrors as received, or empty */
    char detail[160];           /* on failure: what failed, for people */
} mobid_mdoc_result;

/* Verify a DeviceResponse. On MOBID_OK every document passed every check and
 * res lists the disclosed items. Failure codes: MALFORMED, ISSUER_SIGNATURE_INVALID,
 * UNTRUSTED_ISSUER, CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_USAGE, DS_EKU_MISSING and
 * CERT_PROFILE (strict trust policy), DOCTYPE_NOT_ALLOWED (the anchor that ends the
 * DS chain is listed for other docTypes), DIGEST_MISMATCH,
 * DUPLICATE_DISCLOSURE, DEVICE_KEY_INVALID, DEVICE_SIGNATURE_INVALID,
 * DEVICE_MAC_INVALID, NOT_YET_VALID, EXPIRED, DOCTYPE_MISMATCH, ALG_NOT_ALLOWED,
 * DOCUMENT_ERROR (a non-zero status or no documents), INVALID_ARG (deviceMac
 * without a reader key); res->detail says where. Always call
 * mobid_mdoc_result_free(), whatever the result. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_verify(mobid_mdoc_verifier *v, mobid_view response,
                                             const mobid_mdoc_verify_opts *o,
                                             mobid_mdoc_result *res);
void mobid_mdoc_result_free(mobid_mdoc_result *res);

/* Read a credential the holder keeps (IssuerSigned or a whole Document) without
 * verifying the issuer: docType, validity, status and every item, each checked
 * against its MSO digest. For wallets that show what they hold. Views point
 * into `in`; free out with mobid_mdoc_doc_free(). MALFORMED, UNSUPPORTED,
 * DIGEST_MISMATCH, DUPLICATE_DISCLOSURE, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_issuer_signed_read(mobid_view in, mobid_mdoc_doc *out);
void mobid_mdoc_doc_free(mobid_mdoc_doc *d);

/* ------------------------------------------------------ shared helpers */

/* Parse a tdate (tag 0 text, fractions and offsets allowed) or an epoch time
 * (tag 1 integer). */
MOBID_MUST_CHECK mobid_err mobid_mdoc_get_tdate(const mobid_cbor_item *it, mobid_time *out);
/* Parse a full-date: tag 1004 "YYYY-MM-DD", tag 100 days, or plain text. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_get_full_date(const mobid_cbor_item *it, int64_t *days);

/* EMacKey = HKDF-SHA-256(ECDH(priv, peer), SHA-256(SessionTranscriptBytes),
 * "EMacKey", 32 bytes); transcript may be the array or its tag-24 form. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_emac_key(const mobid_key *priv, const mobid_key *peer,
                                               mobid_view transcript, uint8_t key[32]);

/* ------------------------------------------------------ JSON bridge */

/* An encoded CBOR elementValue as JSON: full-dates and tdates as strings, byte
 * strings as base64url, maps with non-text keys keyed by the key's diagnostic
 * text. *out is a new reference (json_decref it). MALFORMED for bad CBOR. */
MOBID_MUST_CHECK mobid_err mobid_mdoc_value_to_json(mobid_view cbor, json_t **out);
/* JSON to CBOR: {"$date":"YYYY-MM-DD"} is a full-date (tag 1004),
 * {"$tdate":"RFC3339"} a tdate (tag 0), {"$bytes":"<base64url>"} a byte string;
 * integers, reals, strings, booleans, null, arrays and objects map directly. */
mobid_err mobid_mdoc_value_from_json(const json_t *j, mobid_cbor_enc *enc);
/* {"<ns>":{"<elem>":value}} of a verified document; a new reference. */
mobid_err mobid_mdoc_doc_claims_json(const mobid_mdoc_doc *d, json_t **out);

#ifdef __cplusplus
}
#endif
#endif
