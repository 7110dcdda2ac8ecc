/*
 * mobid wallet: the holder's side — receive (OpenID4VCI), hold and present (OpenID4VP)
 * identity credentials, protected by a 6-digit PIN.
 *
 * The library does no I/O of its own. Transport (HTTP), storage (the wallet blob), the
 * clock and the user interface (PIN, tx_code, consent) come in as callbacks in a
 * mobid_wallet_io, so the same core runs in a phone app, the `mobid wallet` command
 * and tests that play issuer and verifier in-process.
 *
 * At rest the wallet is one JSON blob: the scrypt parameters and salt, the wrong-PIN
 * counter, the trust anchors (public certificates) and a "vault" sealed with
 * AES-256-GCM under scrypt(PIN). Device keys, credentials, their claims and the
 * presentation history live only inside the vault. The wrong-PIN counter is raised
 * and saved before the PIN is tried, so killing the process between attempts cannot
 * reset it; the fifth wrong PIN in a row locks the wallet for good.
 *
 * Ownership: const char * and view arguments are borrowed for the call. Results
 * returned as json_t are new references the caller releases with json_decref().
 */
#ifndef MOBID_WALLET_H
#define MOBID_WALLET_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/proximity.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBID_WALLET_PIN_LEN 6
#define MOBID_WALLET_MAX_TRIES 5
/* The smallest scrypt N a wallet is made or opened with (16 MiB at r = 8). */
#define MOBID_WALLET_SCRYPT_N_MIN ((uint64_t)1 << 14)
/* Largest wallet blob and largest HTTP body the wallet accepts. */
#define MOBID_WALLET_MAX_BLOB ((size_t)16 * 1024 * 1024)
#define MOBID_WALLET_MAX_HTTP ((size_t)4 * 1024 * 1024)
/* Credentials asked for per configuration when the issuer does not say (batch). */
#define MOBID_WALLET_DEFAULT_BATCH 3

/* One HTTP exchange the wallet asks its host to make. */
typedef struct mobid_wallet_http_req {
    const char *method;        /* "GET" or "POST" */
    const char *url;
    const char *content_type;  /* of body; NULL for GET */
    const char *accept;        /* may be NULL */
    const char *bearer;        /* Authorization: Bearer value, or NULL */
    mobid_view body;
    const char *dpop;          /* a DPoP proof (RFC 9449), or NULL: send it as the "DPoP"
                                  header, and the token in bearer as "Authorization: DPoP" */
    const char *attestation;   /* the "OAuth-Client-Attestation" header, or NULL */
    const char *attestation_pop; /* the "OAuth-Client-Attestation-PoP" header, or NULL */
    mobid_buf *location;       /* not NULL: a redirect (3xx) is not followed, and its
                                  Location is appended here (NUL-terminated) */
} mobid_wallet_http_req;

/* What the holder is asked to agree to before a presentation. */
typedef struct mobid_wallet_consent {
    const char *rp_name;       /* registered display name of the relying party */
    const char *rp_id;         /* registration subject */
    const char *client_id;     /* x509_hash client identifier */
    const char *legal_basis;   /* from the registration, may be NULL */
    const char *const *claims; /* NULL-terminated, "<type>: <claim path>" per claim */
    const char *subject;       /* the access certificate's subject (RFC 2253), may be NULL */
} mobid_wallet_consent;

/* Host callbacks. ctx is passed back unchanged. Callbacks return MOBID_OK or an
 * error that the wallet passes on (a host that cannot read a file returns IO). */
typedef struct mobid_wallet_io {
    void *ctx;
    /* Read the wallet blob into out; MOBID_ERR_NOT_FOUND when there is none. */
    mobid_err (*load)(void *ctx, mobid_buf *out);
    /* Replace the wallet blob atomically (all of it or nothing, durable on return). */
    mobid_err (*save)(void *ctx, mobid_view blob);
    /* Make an HTTP request; *status gets the HTTP status, body the response body
     * (at most MOBID_WALLET_MAX_HTTP bytes). Transport failures: FETCH_FAILED, with
     * *status -1 when the request certainly never left (no connection could be made):
     * then a presentation keeps its copy unused. */
    mobid_err (*http)(void *ctx, const mobid_wallet_http_req *req, long *status,
                      mobid_buf *body);
    /* The current time; NULL = mobid_now(). */
    mobid_time (*now)(void *ctx);
    /* Ask for the PIN: write 6 digits and a NUL to pin. CONSENT_DENIED to cancel. */
    mobid_err (*pin)(void *ctx, const char *why, char pin[MOBID_WALLET_PIN_LEN + 1]);
    /* Ask for the transaction code of an offer (digits, length len, description may
     * be NULL); write it NUL-terminated into out (cap bytes). */
    mobid_err (*tx_code)(void *ctx, unsigned len, const char *description, char *out,
                         size_t cap);
    /* Show who asks for what; MOBID_OK to agree, CONSENT_DENIED to refuse. */
    mobid_err (*consent)(void *ctx, const mobid_wallet_consent *c);
    /* The device's secret (32 bytes from a keystore or TPM that never leaves the
     * device), mixed into the vault key and keying the wrong-PIN counter's MAC, so the
     * wallet file alone allows no offline PIN search and no counter edit. NULL = none
     * (a wallet made without it opens without it; one made with it needs it). */
    mobid_err (*device_secret)(void *ctx, uint8_t out[32]);
    /* The app's wallet attestation (OAuth 2.0 Attestation-Based Client Authentication),
     * for an authorization server that asks for it: append the Client Attestation JWT
     * its wallet provider issued to attestation, and a fresh PoP JWT for audience aud
     * signed by the attested instance key (mobid_oid4vci_attestation_pop_build) to pop,
     * both NUL-terminated. NULL or NOT_FOUND: the app has none. */
    mobid_err (*client_attestation)(void *ctx, const char *aud, mobid_buf *attestation,
                                    mobid_buf *pop);
} mobid_wallet_io;

/* Options of a new wallet. The trust anchors are PEM bundles (copied into the wallet).
 * scrypt_n / r / p of 0 take the defaults (2^15, 8, 1: 32 MiB); N below
 * MOBID_WALLET_SCRYPT_N_MIN or r below 8 is refused. */
typedef struct mobid_wallet_init_opts {
    const char *issuer_roots_pem;  /* ministry root(s) (IACA) over document signers */
    const char *rp_roots_pem;      /* relying-party CA(s) over access certificates */
    const char *reg_roots_pem;     /* signer(s) of relying-party registrations */
    uint64_t scrypt_n, scrypt_r, scrypt_p;
} mobid_wallet_init_opts;

/* Create an empty wallet sealed under a PIN asked through io->pin (twice is the UI's
 * business). Refuses to overwrite an existing wallet (MOBID_ERR_INVALID_ARG).
 * Returns MOBID_OK, INVALID_ARG (PIN not 6 digits, KDF cost below the minimum,
 * missing anchors or callbacks), PIN_TOO_WEAK (one digit repeated, a run such as
 * 123456 or 987654, two or three digits repeated such as 121212 or 123123),
 * CERT_INVALID (unreadable anchors), NOMEM, CRYPTO or the host's errors. A wallet made
 * with io->device_secret needs it to open. */
MOBID_MUST_CHECK mobid_err mobid_wallet_init(const mobid_wallet_io *io,
                                             const mobid_wallet_init_opts *o);

/* Lock state without the PIN: *failed wrong PINs in a row, *locked for good.
 * Returns MOBID_OK, NOT_FOUND (no wallet), MALFORMED (not a wallet), UNSUPPORTED (an
 * old format), WALLET_TAMPERED (a counter out of range or, on a device-bound wallet,
 * edited), KEY_INVALID (the device secret is missing) or host errors. Every call that
 * opens the wallet returns these too; after the PIN, WALLET_TAMPERED also means edited
 * trust anchors, KDF parameters or vault (never counted as a wrong PIN). */
MOBID_MUST_CHECK mobid_err mobid_wallet_lock_status(const mobid_wallet_io *io,
                                                    unsigned *failed, bool *locked);

/* Receive the credentials of an offer (openid-credential-offer:// by value or by
 * credential_offer_uri): issuer metadata, tx_code, token, nonce, one proof per fresh
 * P-256 device key, batch of credentials per configuration, each checked (issuer
 * signature and chain to the ministry root, holder key binding) before the PIN seals
 * them into the vault. *summary (may be NULL) receives {"received":[{id, format, type,
 * count}]}. Returns MOBID_OK; MALFORMED (offer, metadata, responses); FETCH_FAILED
 * (transport or an HTTP error; detail says which); INSECURE_TRANSPORT (a plain http://
 * URL to a host other than loopback: nothing is sent there); the verification errors of the
 * credentials; PIN_WRONG, WALLET_LOCKED; NOMEM. detail (at least 128 bytes, may be
 * NULL) says what failed. */
MOBID_MUST_CHECK mobid_err mobid_wallet_receive(const mobid_wallet_io *io, const char *uri,
                                                json_t **summary, char *detail,
                                                size_t detail_len);

/* How mobid_wallet_fetch redeems an offer. */
typedef struct mobid_wallet_fetch_opts {
    size_t batch;                   /* proofs per configuration; 0 = the issuer's batch_size */
    const char *const *config_ids;  /* NULL-terminated subset of the offer's configurations;
                                       NULL = all of them */
    const char *issuer_roots_pem;   /* check every credential against these roots (PEM,
                                       borrowed); NULL = take them unchecked */
} mobid_wallet_fetch_opts;

/* Redeem an offer without a wallet file: the protocol of mobid_wallet_receive (only
 * io->http, io->tx_code and io->now are used), with the device keys handed to the
 * caller instead of sealed in a vault. For operator and test tools that look at what
 * an issuer sends; a holder's wallet uses mobid_wallet_receive. *out (owned by the
 * caller) gets [{"config","format","credentials":[{"credential","device_key"}]}], the
 * device keys as private JWKs. Returns what mobid_wallet_receive returns, less the PIN
 * and vault errors; INVALID_ARG without uri or io->http. */
MOBID_MUST_CHECK mobid_err mobid_wallet_fetch(const mobid_wallet_io *io, const char *uri,
                                              const mobid_wallet_fetch_opts *o, json_t **out,
                                              char *detail, size_t detail_len);

/* Present to a relying party (openid4vp:// with request_uri): fetch and verify the
 * signed request object (x5c to the RP CA, client_id = x509_hash of the leaf, the
 * ministry-signed registration in verifier_info allowing every requested claim),
 * ask for consent (registered name and the exact claims) and the PIN, then answer
 * with a credential of the batch never shown before: SD-JWT VC + KB-JWT or an mdoc
 * DeviceResponse with the OpenID4VP handover, by direct_post or direct_post.jwt.
 * Nothing is sent when any check fails. The trust anchors are authenticated before
 * the request is checked or anything shown: by the device MAC when io->device_secret
 * is set, otherwise by asking the PIN first (then consent). A copy counts as used once
 * it is sent: it is marked before the answer leaves (a crash never shows it twice) and
 * marked unused again when the answer certainly never left (io->http reported status
 * -1). After an answer, a card with fewer than MOBID_WALLET_REFRESH_BELOW unused copies
 * left is refreshed (mobid_wallet_refresh) when it can be; the summary's "refresh" says
 * how that went, and its failure does not fail the presentation. *summary (may be NULL) receives {"rp":...,
 * "claims":[...], "credentials":[...], "redirect_uri":...}. Returns MOBID_OK; the
 * request verification errors (SIGNATURE_INVALID, UNTRUSTED_ISSUER, SUBJECT_MISMATCH,
 * NOT_FOUND for an unregistered RP, CLAIM_NOT_ALLOWED, EXPIRED, ...); CONSENT_DENIED;
 * PIN_WRONG; WALLET_LOCKED; NO_CREDENTIAL; FETCH_FAILED; INSECURE_TRANSPORT (request_uri
 * or response_uri is plain http:// to a host other than loopback); NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_wallet_present(const mobid_wallet_io *io, const char *uri,
                                                json_t **summary, char *detail,
                                                size_t detail_len);

/* Present in person (ISO 18013-5) over t, a transport the host opened after showing
 * the DeviceEngagement `engagement` made for the ephemeral key e_device_key (see
 * mobid/proximity.h). For each request of the session: readerAuth must chain to the
 * relying-party roots with the reader EKU, the ministry-signed registration in the
 * ItemsRequest's requestInfo ("registration") must verify, name that reader
 * certificate and allow every item asked; then consent (registered name, the items,
 * which ones the reader keeps) and the PIN; a never-shown copy of a card of the
 * doctype answers with a device MAC, logged before it is sent. A refusal ends the
 * session with status 20 and shows nothing. *summary (may be NULL) receives
 * {"rp","rp_id","client_id","claims","credentials","channel":"in_person"} of the last
 * answer. Returns MOBID_OK when the reader ended the session after an answer;
 * UNAUTHENTICATED (no readerAuth) and the chain errors (UNTRUSTED_ISSUER,
 * CERT_USAGE, ...); NOT_FOUND (no registration), SUBJECT_MISMATCH,
 * CLAIM_NOT_ALLOWED; CONSENT_DENIED; PIN_WRONG; WALLET_LOCKED; NO_CREDENTIAL;
 * DECRYPT_FAILED, MESSAGE_REPLAYED, MALFORMED, SESSION_TERMINATED (the reader
 * reported an error); the transport's IO; NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_wallet_present_in_person(const mobid_wallet_io *io,
                                                          const mobid_px_transport *t,
                                                          const mobid_key *e_device_key,
                                                          mobid_view engagement,
                                                          json_t **summary, char *detail,
                                                          size_t detail_len);

/* Unused copies below which a presentation refreshes its card (when it can). */
#define MOBID_WALLET_REFRESH_BELOW 3

/* What mobid_wallet_refresh renews. */
typedef struct mobid_wallet_refresh_opts {
    unsigned below;  /* refresh a card whose unused copies of some format are fewer than
                        this; 0 = MOBID_WALLET_REFRESH_BELOW */
    bool force;      /* every refreshable card, however many copies are left */
} mobid_wallet_refresh_opts;

/* After the PIN: get new single-use copies online (OpenID4VCI refresh_token grant,
 * DPoP-bound to the key the wallet received the card with). For each card received
 * with a refresh token that runs low (or all with force): one grant, then one batch per
 * format; the used copies are dropped and the new ones added, so the card holds a full
 * batch again. Cards without a refresh token are skipped. o may be NULL. *summary (may
 * be NULL) receives {"refreshed":[{id, format, type, unused, total}], "skipped":n}.
 * Returns MOBID_OK (also when nothing was due); SUSPENDED, REVOKED, EXPIRED (the
 * issuer says the card is no longer active: suspended; revoked or replaced by a newer
 * delivery; expired); RATE_LIMITED (refreshed too often; detail says when to retry);
 * UNAUTHENTICATED (the issuer refuses the refresh token or its key binding);
 * FETCH_FAILED; the verification errors of the new credentials; PIN_WRONG;
 * WALLET_LOCKED; NOMEM. Copies received before a failure stay sealed. */
MOBID_MUST_CHECK mobid_err mobid_wallet_refresh(const mobid_wallet_io *io,
                                                const mobid_wallet_refresh_opts *o,
                                                json_t **summary, char *detail,
                                                size_t detail_len);

/* After the PIN: the stored credentials without keys or raw credentials:
 * [{"id","format","type","issuer","received","total","unused"}], or one with "claims"
 * when id is given (NOT_FOUND when absent). */
MOBID_MUST_CHECK mobid_err mobid_wallet_list(const mobid_wallet_io *io, const char *id,
                                             json_t **out);

/* The status of each held card, as its issuer publishes it: for every element of cards
 * (the list of mobid_wallet_list with each one's "claims", as shown after the PIN)
 * whose claims carry a Token Status List reference ("status"), the list is fetched
 * through io->http, verified against the wallet's ministry roots, and "status" is set
 * to "active", "suspended", "revoked" or "unknown" (not reachable or not verifiable).
 * Cards without a reference (an mdoc, whose reference is in its MSO) are left as they
 * are. No PIN: the claims are already the holder's. Returns MOBID_OK, INVALID_ARG
 * (cards not an array), or the errors of opening the wallet. */
MOBID_MUST_CHECK mobid_err mobid_wallet_status(const mobid_wallet_io *io, json_t *cards);

/* After the PIN: the presentation log [{"at","rp","client_id","claims","credential"}]. */
MOBID_MUST_CHECK mobid_err mobid_wallet_history(const mobid_wallet_io *io, json_t **out);

#ifdef __cplusplus
}
#endif
#endif
