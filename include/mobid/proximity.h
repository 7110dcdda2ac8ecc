/*
 * mobid proximity: the ISO/IEC 18013-5 in-person session between a holder's
 * device (the mdoc) and a reader.
 *
 * The exchange, in the order it happens:
 *   1. Device engagement. The holder's device makes an ephemeral key (EDeviceKey)
 *      and shows a DeviceEngagement as a QR code ("mdoc:" + base64url) or hands it
 *      over by NFC. It names how the reader can reach the device (retrieval methods).
 *   2. Session establishment. The reader makes its own ephemeral key (EReaderKey),
 *      builds the SessionTranscript from the engagement, its key and the handover,
 *      derives the session keys and sends SessionEstablishment {eReaderKey, data}
 *      where data is the encrypted DeviceRequest.
 *   3. Session data. Both sides derive SKReader and SKDevice with HKDF-SHA-256
 *      (salt SHA-256(SessionTranscriptBytes), info "SKReader" / "SKDevice") from the
 *      ECDH secret and encrypt each message with AES-256-GCM under the IV
 *      identifier (8 bytes: 0 for the reader, 1 for the device) || message counter
 *      (4 bytes big-endian, from 1). A message that does not decrypt under the next
 *      expected counter is refused; one that decrypts under an earlier counter is
 *      a replay and is named as such.
 *   4. Request and response. The DeviceRequest lists per document the items asked
 *      for (with intent to retain) and may carry readerAuth, a COSE_Sign1 by the
 *      reader certificate over ReaderAuthenticationBytes; the holder checks it
 *      against reader roots with the 18013-5 reader EKU (1.0.18013.5.1.6). The
 *      DeviceResponse comes from lib/mdoc (mobid_mdoc_present) with this session's
 *      transcript, with a device signature or a device MAC.
 *   5. Termination: SessionData {status: 20}; status 10 and 11 report a
 *      decryption or decoding error and end the session too.
 *
 * Nothing here does I/O: messages are built and parsed in memory and carried by a
 * mobid_px_transport the caller supplies (the command line has a TCP loopback
 * stand-in for BLE; docs/proximity.md shows where BLE and NFC plug in).
 *
 * Ownership: views passed in are only read during the call. Parsed structures
 * hold views into the caller's input: keep it alive and unchanged while they are
 * used. Output buffers are appended to; the caller frees them. Objects returned by
 * *_new are freed with the matching *_free (NULL is fine).
 */
#ifndef MOBID_PROXIMITY_H
#define MOBID_PROXIMITY_H

#include <mobid/base.h>
#include <mobid/cbor.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest message mobid accepts or sends in a session (a DeviceResponse with a
 * portrait fits many times over). */
#define MOBID_PX_MAX_MESSAGE ((size_t)1024 * 1024)
/* Most documents and items one DeviceRequest may ask for. */
#define MOBID_PX_MAX_DOCS 8
#define MOBID_PX_MAX_ITEMS 256
/* Most retrieval methods kept from one DeviceEngagement. */
#define MOBID_PX_MAX_METHODS 4

/* SessionData status codes (18013-5 §9.1.1.4). */
#define MOBID_PX_STATUS_ENCRYPTION_ERROR 10
#define MOBID_PX_STATUS_DECODING_ERROR 11
#define MOBID_PX_STATUS_TERMINATION 20

/* ------------------------------------------------------- device engagement */

/* DeviceRetrievalMethod types: NFC (1) and BLE (2) are 18013-5's; TCP is mobid's
 * own, outside the standard's numbering, for the loopback stand-in for BLE. */
#define MOBID_PX_RETRIEVAL_NFC 1
#define MOBID_PX_RETRIEVAL_BLE 2
#define MOBID_PX_RETRIEVAL_TCP 0x6d6f /* "mo" */

typedef struct mobid_px_retrieval {
    uint64_t type;               /* MOBID_PX_RETRIEVAL_* */
    uint64_t version;            /* 1 */
    /* BLE options {0: peripheral server mode, 1: central client mode,
     * 10: peripheral server UUID, 11: central client UUID} */
    bool ble_peripheral_server;
    bool ble_central_client;
    bool has_peripheral_uuid, has_central_uuid;
    uint8_t peripheral_uuid[16];
    uint8_t central_uuid[16];
    /* TCP options {"host": tstr, "port": uint} */
    char host[64];
    uint16_t port;
} mobid_px_retrieval;

/* Append the encoded DeviceEngagement {0: "1.0", 1: [1, #6.24(COSE_Key)], 2: [methods]}
 * for e_device_key (its public part; P-256, P-384 or P-521). n_methods 0 leaves
 * out key 2 (the NFC negotiated handover carries the methods elsewhere).
 * Returns MOBID_OK, INVALID_ARG, UNSUPPORTED (curve), NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_px_engagement_encode(const mobid_key *e_device_key,
                                                      const mobid_px_retrieval *methods,
                                                      size_t n_methods, mobid_buf *out);

typedef struct mobid_px_engagement {
    mobid_view version;             /* "1.0" or any "1.x" */
    mobid_view e_device_key_bytes;  /* the encoded COSE_Key (inside its tag 24) */
    mobid_key *e_device_key;        /* decoded; owned, freed by _clear */
    mobid_px_retrieval methods[MOBID_PX_MAX_METHODS]; /* the ones mobid knows */
    size_t n_methods;
} mobid_px_engagement;

/* Parse an encoded DeviceEngagement. Cipher suite 1 only. Unknown retrieval
 * methods and keys are skipped. Returns MOBID_OK, MALFORMED, UNSUPPORTED (cipher
 * suite, curve), POINT_NOT_ON_CURVE, the CBOR errors (TRUNCATED, TOO_BIG,
 * TOO_DEEP), NOMEM. Views point into `in`; release with
 * mobid_px_engagement_clear (also after a failure). */
MOBID_MUST_CHECK mobid_err mobid_px_engagement_parse(mobid_view in, mobid_px_engagement *out);
void mobid_px_engagement_clear(mobid_px_engagement *e);

/* "mdoc:" + base64url (no padding) of the DeviceEngagement bytes, appended. */
mobid_err mobid_px_engagement_to_uri(mobid_view engagement, mobid_buf *out);
/* The DeviceEngagement bytes of an "mdoc:" URI, appended. MALFORMED otherwise. */
MOBID_MUST_CHECK mobid_err mobid_px_engagement_from_uri(mobid_view uri, mobid_buf *out);

/* ------------------------------------------------------ session transcript */

/* SessionTranscriptBytes #6.24(bstr .cbor [DeviceEngagementBytes, EReaderKeyBytes,
 * Handover]) appended to out. engagement is the encoded DeviceEngagement and
 * e_reader_key the encoded COSE_Key (both without tag 24). QR engagement: Handover
 * is null. NFC engagement: pass the Handover Select and Handover Request NDEF
 * messages (handover_request.ptr NULL for a static handover, giving null). */
mobid_err mobid_px_transcript_qr(mobid_view engagement, mobid_view e_reader_key, mobid_buf *out);
mobid_err mobid_px_transcript_nfc(mobid_view engagement, mobid_view e_reader_key,
                                  mobid_view handover_select, mobid_view handover_request,
                                  mobid_buf *out);

/* --------------------------------------------------------------- session */

typedef enum mobid_px_role {
    MOBID_PX_READER = 0, /* encrypts with SKReader, decrypts with SKDevice */
    MOBID_PX_DEVICE = 1  /* encrypts with SKDevice, decrypts with SKReader */
} mobid_px_role;

typedef struct mobid_px_session mobid_px_session;

/* A session for one side: ECDH(own, peer) with own's private key, then
 * SKReader / SKDevice from HKDF-SHA-256 over SHA-256(transcript). transcript is
 * the SessionTranscript, as the array or as SessionTranscriptBytes (tag 24); a
 * copy is kept. Both counters start at 1. Returns MOBID_OK, INVALID_ARG,
 * KEY_INVALID (no private key, curves differ), MALFORMED (transcript), NOMEM,
 * CRYPTO. Free with mobid_px_session_free, which wipes the keys. */
MOBID_MUST_CHECK mobid_err mobid_px_session_new(mobid_px_role role, const mobid_key *own,
                                                const mobid_key *peer, mobid_view transcript,
                                                mobid_px_session **out);
void mobid_px_session_free(mobid_px_session *s);

/* The SessionTranscript array bytes of the session (inside the tag-24 wrapping),
 * as lib/mdoc wants it; valid while the session lives. */
mobid_view mobid_px_session_transcript(const mobid_px_session *s);

/* The derived keys (32 bytes each), for conformance tests and diagnostics. */
void mobid_px_session_keys(const mobid_px_session *s, uint8_t sk_reader[32],
                           uint8_t sk_device[32]);

/* Encrypt the next outgoing message: ciphertext || 16-byte tag appended to out,
 * under this side's key and the IV identifier || counter; the counter then moves
 * on. Returns MOBID_OK, INVALID_ARG, TOO_BIG (past MOBID_PX_MAX_MESSAGE),
 * LIMIT (counter exhausted), NOMEM, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_px_encrypt(mobid_px_session *s, mobid_view plaintext,
                                            mobid_buf *out);

/* Decrypt the next incoming message (ciphertext || tag) with the peer's key and
 * the next expected counter, which moves on only on success. A message that
 * authenticates under an earlier counter is MESSAGE_REPLAYED; any other failure
 * is DECRYPT_FAILED (nothing is appended then). Also INVALID_ARG, TOO_BIG,
 * NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_px_decrypt(mobid_px_session *s, mobid_view data,
                                            mobid_buf *out);

/* -------------------------------------------------------------- messages */

/* Append SessionEstablishment {"eReaderKey": #6.24(bstr e_reader_key), "data": data};
 * e_reader_key is the encoded COSE_Key. */
mobid_err mobid_px_establishment_encode(mobid_view e_reader_key, mobid_view data,
                                        mobid_buf *out);

typedef struct mobid_px_establishment {
    mobid_view e_reader_key;  /* the encoded COSE_Key inside its tag 24 */
    mobid_view data;          /* encrypted DeviceRequest */
} mobid_px_establishment;

/* Parse a SessionEstablishment: a map with eReaderKey (tag 24 over a COSE_Key map)
 * and data (bytes); other keys are ignored. Returns MOBID_OK, MALFORMED,
 * TRUNCATED, TOO_BIG (past MOBID_PX_MAX_MESSAGE), TOO_DEEP. Views into `in`. */
MOBID_MUST_CHECK mobid_err mobid_px_establishment_parse(mobid_view in,
                                                        mobid_px_establishment *out);

/* Append SessionData: {"data": data} when data.ptr is set, plus {"status": status}
 * when status >= 0; at least one of them. */
mobid_err mobid_px_session_data_encode(mobid_view data, int status, mobid_buf *out);

typedef struct mobid_px_session_data {
    bool has_data;
    mobid_view data;
    bool has_status;
    uint64_t status;
} mobid_px_session_data;

/* Parse SessionData: a map with data (bytes) and/or status (uint); an empty map
 * is MALFORMED. Errors as mobid_px_establishment_parse. Views into `in`. */
MOBID_MUST_CHECK mobid_err mobid_px_session_data_parse(mobid_view in,
                                                       mobid_px_session_data *out);

/* --------------------------------------------------------- device request */

typedef struct mobid_px_item {
    mobid_view ns;
    mobid_view id;
    bool intent_to_retain;
} mobid_px_item;

typedef struct mobid_px_doc_request {
    mobid_view doctype;
    mobid_view items_request_bytes; /* the tag-24 ItemsRequestBytes as received */
    mobid_view request_info;        /* encoded requestInfo map, or empty */
    mobid_view reader_auth;         /* encoded COSE_Sign1, or empty when absent */
    mobid_px_item *items;           /* into the shared array of the request */
    size_t n_items;
} mobid_px_doc_request;

typedef struct mobid_px_device_request {
    mobid_view version;
    mobid_px_doc_request docs[MOBID_PX_MAX_DOCS];
    size_t n_docs;
    mobid_px_item *items_; /* internal: owned storage for every doc's items */
} mobid_px_device_request;

/* Parse a DeviceRequest {"version": "1.x", "docRequests": [{"itemsRequest":
 * #6.24(ItemsRequest), ? "readerAuth": COSE_Sign1}]} with ItemsRequest {"docType",
 * "nameSpaces": {ns: {id: intentToRetain}}, ? "requestInfo"}. Returns MOBID_OK,
 * MALFORMED (structure, types, a duplicate item), UNSUPPORTED (version 2 or
 * later), LIMIT (past MOBID_PX_MAX_DOCS or MOBID_PX_MAX_ITEMS), the CBOR errors,
 * NOMEM. Release with mobid_px_device_request_clear (also after a failure). */
MOBID_MUST_CHECK mobid_err mobid_px_device_request_parse(mobid_view in,
                                                         mobid_px_device_request *out);
void mobid_px_device_request_clear(mobid_px_device_request *r);

/* What a reader asks of one document type. */
typedef struct mobid_px_doc_spec {
    const char *doctype;
    const mobid_px_item *items;  /* ns/id as views; written in this order */
    size_t n_items;
    mobid_view request_info;     /* encoded map, or empty for none */
    const mobid_key *reader_key; /* NULL: no readerAuth */
    mobid_cert *const *reader_chain; /* leaf first, into x5chain (unprotected) */
    size_t n_chain;
} mobid_px_doc_spec;

/* Append ItemsRequestBytes (#6.24) for one document: keys in the order docType,
 * nameSpaces, requestInfo; namespaces and items in the order given (the first
 * item of a namespace opens it). */
mobid_err mobid_px_items_request_encode(const mobid_px_doc_spec *d, mobid_buf *out);

/* Append a DeviceRequest (version "1.0") with one docRequest per spec; each spec
 * with a reader key gets readerAuth signed over the session's transcript.
 * Returns MOBID_OK, INVALID_ARG, LIMIT, KEY_INVALID, NOMEM, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_px_device_request_encode(const mobid_px_doc_spec *docs,
                                                          size_t n_docs, mobid_view transcript,
                                                          mobid_buf *out);

/* ------------------------------------------------------ reader authentication */

/* ReaderAuthenticationBytes #6.24(bstr .cbor ["ReaderAuthentication",
 * SessionTranscript, ItemsRequestBytes]) appended to out; transcript as the array
 * or its tag-24 form, items_request_bytes the tag-24 item as received. */
mobid_err mobid_px_reader_auth_bytes(mobid_view transcript, mobid_view items_request_bytes,
                                     mobid_buf *out);

/* Check a docRequest's readerAuth: the x5chain must chain to reader_roots at `at`
 * with the reader EKU 1.0.18013.5.1.6, and its leaf must sign (ES256/384/512, payload
 * detached) the ReaderAuthenticationBytes of this transcript and ItemsRequest.
 * Returns MOBID_OK; UNAUTHENTICATED (no readerAuth); MALFORMED; the chain errors
 * (UNTRUSTED_ISSUER, CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_USAGE, CERT_INVALID,
 * NOT_FOUND for no x5chain); SIGNATURE_INVALID; ALG_NOT_ALLOWED. On success
 * *leaf (may be NULL) gets a new reference to the reader certificate. */
MOBID_MUST_CHECK mobid_err mobid_px_reader_auth_verify(const mobid_px_doc_request *d,
                                                       mobid_view transcript,
                                                       mobid_trust *reader_roots,
                                                       mobid_time at, mobid_cert **leaf);

/* -------------------------------------------------------- device response */

/* The holder's answer to one docRequest from a held credential, through
 * mobid_mdoc_present with this session's transcript: every requested item is
 * disclosed (decide what may be asked before calling: consent, registration).
 * e_reader_key NULL gives a device signature; the reader's ephemeral public key
 * gives a device MAC (EMacKey from ECDH(device_key, e_reader_key)). Returns the
 * errors of mobid_mdoc_present (NOT_FOUND when the credential lacks an item). */
MOBID_MUST_CHECK mobid_err mobid_px_device_response(const mobid_px_session *s,
                                                    const mobid_px_doc_request *d,
                                                    mobid_view issuer_signed,
                                                    const mobid_key *device_key,
                                                    const mobid_key *e_reader_key,
                                                    mobid_buf *out);

/* -------------------------------------------------------------- transport */

/* How session messages travel: one call sends or receives one whole message.
 * Implementations live above lib/ (src/transport/tcp.c is a TCP loopback stand-in
 * for BLE; docs/proximity.md gives BLE and NFC). recv appends at most `max` bytes
 * to out and returns MOBID_OK, NOT_FOUND when the peer closed the transport
 * cleanly, TOO_BIG past max, IO otherwise. send returns MOBID_OK or IO. */
typedef struct mobid_px_transport {
    void *ctx;
    mobid_err (*send)(void *ctx, mobid_view msg);
    mobid_err (*recv)(void *ctx, size_t max, mobid_buf *out);
    void (*close)(void *ctx); /* may be NULL */
} mobid_px_transport;

/* ---------------------------------------------------------- reader's side */

/* What the reader asks and what it gets back. */
typedef struct mobid_px_reader_opts {
    mobid_view engagement;          /* the scanned DeviceEngagement bytes */
    const mobid_px_doc_spec *docs;  /* the request (with readerAuth when a key is set) */
    size_t n_docs;
} mobid_px_reader_opts;

typedef struct mobid_px_reader_result {
    mobid_buf response;       /* the decrypted DeviceResponse */
    mobid_buf transcript;     /* SessionTranscriptBytes of the session */
    mobid_key *e_reader_key;  /* the reader's ephemeral key pair, for deviceMac */
} mobid_px_reader_result;

/* The reader's whole session over t with QR engagement: a fresh EReaderKey on the
 * engagement's curve, the SessionTranscript, SessionEstablishment with the
 * encrypted DeviceRequest, the device's SessionData decrypted, then termination
 * (status 20). A message that does not decrypt is answered with status 10, one
 * that does not decode with status 11, before the error is returned. Returns
 * MOBID_OK (res filled; verify res->response with mobid_mdoc_verify), the errors
 * of mobid_px_engagement_parse, SESSION_TERMINATED (the device ended the session
 * without a response: a refusal), DECRYPT_FAILED, MESSAGE_REPLAYED, MALFORMED,
 * the transport's IO / NOT_FOUND / TOO_BIG, NOMEM, CRYPTO. Release res with
 * mobid_px_reader_result_clear whatever the result. */
MOBID_MUST_CHECK mobid_err mobid_px_reader_exchange(const mobid_px_transport *t,
                                                    const mobid_px_reader_opts *o,
                                                    mobid_px_reader_result *res);
void mobid_px_reader_result_clear(mobid_px_reader_result *res);

#ifdef __cplusplus
}
#endif
#endif
