/*
 * mobid oid4vci: OpenID for Verifiable Credential Issuance 1.0 — the protocol pieces
 * with no I/O, shared by the issuer service and wallets.
 *
 *   credential offers: the JSON object (pre-authorized code grant with tx_code), the
 *     openid-credential-offer:// URI by value or by reference, and parsing both;
 *   key proofs: building and checking `jwt` proofs (typ openid4vci-proof+jwt, ES256,
 *     holder key in jwk or x5c, aud = credential issuer, nonce = c_nonce, iat window);
 *   credential requests: reading credential_configuration_id and the proofs.
 *
 * Ownership: inputs are borrowed for the call. Outputs are appended to caller
 * buffers or returned as new references / heap strings as documented per function.
 */
#ifndef MOBID_OID4VCI_H
#define MOBID_OID4VCI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBID_OID4VCI_PROOF_TYP "openid4vci-proof+jwt"
#define MOBID_OID4VCI_GRANT_PRE_AUTH "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#define MOBID_OID4VCI_OFFER_SCHEME "openid-credential-offer://"
#define MOBID_OID4VCI_MAX_PROOFS 100

/* ---- credential offer ---- */

typedef struct mobid_oid4vci_offer {
    const char *credential_issuer;
    const char *const *config_ids;   /* credential_configuration_ids */
    size_t n_config_ids;
    const char *pre_auth_code;       /* pre-authorized_code */
    unsigned tx_code_length;         /* 0 = no tx_code; else numeric of this length */
    const char *tx_code_description; /* may be NULL */
    const char *issuer_state;        /* non-NULL: also an authorization_code grant with
                                        this issuer_state; pre_auth_code may then be NULL */
} mobid_oid4vci_offer;

/* The credential_offer object. *out is a new reference. INVALID_ARG for missing
 * issuer, code or ids; NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_offer_json(const mobid_oid4vci_offer *o, json_t **out);

/* openid-credential-offer://?credential_offer=<percent-encoded compact JSON> appended
 * to out. */
mobid_err mobid_oid4vci_offer_uri(const json_t *offer, mobid_buf *out);
/* openid-credential-offer://?credential_offer_uri=<percent-encoded url> appended. */
mobid_err mobid_oid4vci_offer_ref_uri(const char *offer_url, mobid_buf *out);

/* Parse an offer URI. Exactly one of *offer (by value; new reference) and
 * *offer_url (by reference; heap string, free()) is set. MALFORMED for another
 * scheme, both or neither parameter, bad percent-encoding or JSON. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_offer_uri_parse(mobid_view uri, json_t **offer,
                                                         char **offer_url);

/* Read an offer object: views into it (valid while it lives). MALFORMED when
 * credential_issuer or credential_configuration_ids is missing or mistyped, or when
 * neither a pre-authorized nor an authorization_code grant is there (pre_auth_code is
 * NULL without the first). tx_code_length is 0 without tx_code, else its length (or 6
 * when the offer omits it). The ids are reported as a json array (borrowed). */
typedef struct mobid_oid4vci_offer_view {
    const char *credential_issuer;
    const json_t *config_ids;
    const char *pre_auth_code;
    unsigned tx_code_length;
    bool has_tx_code;
    bool has_auth_code;       /* an authorization_code grant */
    const char *issuer_state; /* its issuer_state, or NULL */
} mobid_oid4vci_offer_view;
MOBID_MUST_CHECK mobid_err mobid_oid4vci_offer_read(const json_t *offer,
                                                    mobid_oid4vci_offer_view *out);

/* ---- discovery ---- */

/* The well-known URL `name` ("openid-credential-issuer", "oauth-authorization-server")
 * of an issuer or authorization server identifier, the segment inserted between the
 * host and the path (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1): "https://host/tenant" ->
 * "https://host/.well-known/<name>/tenant"; a terminating slash is dropped. Appended
 * to out (NUL-terminated). INVALID_ARG unless id is an http(s) URL with a host and
 * without query or fragment, and name is one non-empty segment; NOMEM. */
mobid_err mobid_oid4vci_well_known_url(const char *id, const char *name, mobid_buf *out);

/* ---- percent-encoding (application/x-www-form-urlencoded values, RFC 3986) ---- */

/* Unreserved characters stay, everything else becomes %XX. */
mobid_err mobid_oid4vci_pct_encode(mobid_view in, mobid_buf *out);
/* %XX and '+' (space) decoded; MALFORMED for a broken escape. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_pct_decode(mobid_view in, mobid_buf *out);

/* ---- jwt key proofs ---- */

/* Build a proof JWT signed with holder (ES256 on P-256) carrying its public key as
 * "jwk": header {alg, typ, jwk}, payload {aud, iat, nonce[, iss]}. client_id may be
 * NULL (pre-authorized flow without client). Appends the compact JWT to out. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_proof_build(const mobid_key *holder, const char *aud,
                                                     const char *nonce, mobid_time iat,
                                                     const char *client_id, mobid_buf *out);

typedef struct mobid_oid4vci_proof_check_params {
    const char *aud;          /* the credential issuer identifier (required) */
    mobid_time now;           /* 0 = mobid_now() */
    int64_t max_age_s;        /* iat not older than this (0 = 300) */
    int64_t max_skew_s;       /* nor further in the future (0 = 60) */
} mobid_oid4vci_proof_check_params;

typedef struct mobid_oid4vci_proof {
    mobid_key *holder;        /* the proven key (owned; mobid_oid4vci_proof_clear) */
    char *nonce;              /* the nonce claim (owned); the caller checks and
                                 consumes it against its c_nonce store */
    char jkt[44];             /* RFC 7638 thumbprint of the holder key, base64url */
    mobid_time iat;
} mobid_oid4vci_proof;

/* Check one jwt proof: parse, typ, alg ES256 only, key from "jwk" (no "d") or the
 * leaf of "x5c" (exactly one of them; "kid" is not supported), signature, aud,
 * iat window, nonce present. Returns MOBID_OK; MALFORMED / BAD_BASE64 for a broken
 * JWT; TYPE_MISMATCH; ALG_NOT_ALLOWED; KEY_INVALID (no usable key, private key
 * sent); SIGNATURE_INVALID; AUDIENCE_MISMATCH; KB_IAT_INVALID (iat outside the
 * window); NONCE_MISMATCH (no nonce claim). *out is cleared on error. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_proof_check(mobid_view jwt,
                                                     const mobid_oid4vci_proof_check_params *p,
                                                     mobid_oid4vci_proof *out);
void mobid_oid4vci_proof_clear(mobid_oid4vci_proof *p);

/* ---- credential request ---- */

typedef struct mobid_oid4vci_credreq {
    const char *config_id;    /* credential_configuration_id, or the credential_identifier
                                 when by_identifier (borrowed from the JSON) */
    bool by_identifier;       /* the request named a credential_identifier */
    const char *jwts[MOBID_OID4VCI_MAX_PROOFS]; /* the jwt proofs (borrowed) */
    size_t n_jwts;
} mobid_oid4vci_credreq;

/* Read a credential request object: credential_configuration_id (string) and
 * either "proofs": {"jwt": [..]} or the single "proof": {"proof_type":"jwt",
 * "jwt": ...}. Returns MALFORMED (missing or mistyped members, both forms),
 * UNSUPPORTED (credential_identifier, other proof types), TOO_BIG (more than
 * MOBID_OID4VCI_MAX_PROOFS), NOT_FOUND (no proofs). */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_credreq_read(const json_t *req,
                                                      mobid_oid4vci_credreq *out);

/* ---- DPoP proofs (RFC 9449): tokens bound to a wallet key ---- */

#define MOBID_OID4VCI_DPOP_TYP "dpop+jwt"

/* Build a DPoP proof signed with key (ES256 on P-256): header {alg, typ "dpop+jwt",
 * jwk (public)}, payload {jti (random), htm, htu, iat[, ath]}. access_token (may be
 * NULL) adds ath = base64url(SHA-256(token)), as a request that carries the token
 * needs. iat 0 = now. Appends the compact JWT to out. INVALID_ARG without key, htm or
 * htu; NOMEM; CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_dpop_build(const mobid_key *key, const char *htm,
                                                    const char *htu, const char *access_token,
                                                    mobid_time iat, mobid_buf *out);

typedef struct mobid_oid4vci_dpop_check_params {
    const char *htm;           /* the request's method (required) */
    const char *htu;           /* the endpoint's URL (required; query and fragment ignored) */
    const char *access_token;  /* the token the request carries, or NULL: then ath is
                                  not checked */
    mobid_time now;            /* 0 = mobid_now() */
    int64_t max_age_s;         /* iat not older than this (0 = 300) */
    int64_t max_skew_s;        /* nor further in the future (0 = 60) */
} mobid_oid4vci_dpop_check_params;

typedef struct mobid_oid4vci_dpop {
    char jkt[44];              /* RFC 7638 thumbprint of the proof's key, base64url */
    char jti[80];              /* the caller keeps it until iat + max_age_s (replay) */
    mobid_time iat;
} mobid_oid4vci_dpop;

/* Check one DPoP proof: typ, alg ES256 only, a public "jwk" in the header, the
 * signature, htm and htu of this request, iat window, jti (8..79 characters) and,
 * with access_token, ath. Returns MOBID_OK; MALFORMED / BAD_BASE64 (broken JWT or
 * missing claims); TOO_BIG; TYPE_MISMATCH; ALG_NOT_ALLOWED; KEY_INVALID (no usable
 * public key); SIGNATURE_INVALID; AUDIENCE_MISMATCH (htm or htu of another request);
 * KB_IAT_INVALID; SUBJECT_MISMATCH (ath of another token). *out is zeroed on error. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_dpop_check(mobid_view jwt,
                                                    const mobid_oid4vci_dpop_check_params *p,
                                                    mobid_oid4vci_dpop *out);

/* ---- wallet attestation (OAuth 2.0 Attestation-Based Client Authentication draft)
 *      and PKCE (RFC 7636) ---- */

#define MOBID_OID4VCI_ATTESTATION_TYP "oauth-client-attestation+jwt"
#define MOBID_OID4VCI_ATTESTATION_POP_TYP "oauth-client-attestation-pop+jwt"
#define MOBID_OID4VCI_ATTESTATION_HEADER "OAuth-Client-Attestation"
#define MOBID_OID4VCI_ATTESTATION_POP_HEADER "OAuth-Client-Attestation-PoP"
/* token_endpoint_auth_method of attestation-based client authentication */
#define MOBID_OID4VCI_AUTH_ATTEST "attest_jwt_client_auth"
#define MOBID_OID4VCI_GRANT_AUTH_CODE "authorization_code"

typedef struct mobid_oid4vci_attestation_spec {
    const mobid_key *provider;  /* the wallet provider's signing key (ES256, required) */
    const json_t *x5c;          /* "x5c" header value (provider certificate chain), or NULL */
    const char *provider_id;    /* iss: the wallet provider (required) */
    const char *client_id;      /* sub: the wallet's client_id (required) */
    const mobid_key *instance;  /* the app instance's key; its public JWK goes in cnf.jwk */
    mobid_time iat;             /* 0 = now */
    int64_t lifetime_s;         /* exp - iat; 0 = one day */
} mobid_oid4vci_attestation_spec;

/* A Client Attestation JWT (typ oauth-client-attestation+jwt, ES256): payload {iss,
 * sub, iat, exp, cnf: {jwk}}. Appends the compact JWT to out (NUL-terminated).
 * INVALID_ARG for a missing member; KEY_INVALID; NOMEM; CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_attestation_build(const mobid_oid4vci_attestation_spec *s,
                                                           mobid_buf *out);
/* A Client Attestation PoP JWT (typ oauth-client-attestation-pop+jwt) signed with the
 * instance key: {iss: client_id, aud, jti (random), iat, exp (iat + 300)[, challenge]}.
 * challenge may be NULL; iat 0 = now. Appends the compact JWT to out (NUL-terminated). */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_attestation_pop_build(const mobid_key *instance,
                                                               const char *client_id,
                                                               const char *aud,
                                                               const char *challenge,
                                                               mobid_time iat, mobid_buf *out);

typedef struct mobid_oid4vci_attestation_check_params {
    const char *aud;                /* the authorization server's identifier (required) */
    mobid_key *const *providers;    /* trusted wallet-provider keys (borrowed) */
    size_t n_providers;
    mobid_trust *provider_roots;    /* or NULL: an attestation with x5c must chain here */
    mobid_time now;                 /* 0 = mobid_now() */
    int64_t max_age_s;              /* PoP iat not older than this (0 = 300) */
    int64_t max_skew_s;             /* nor further in the future (0 = 60) */
} mobid_oid4vci_attestation_check_params;

typedef struct mobid_oid4vci_attestation {
    char client_id[256];            /* the attestation's sub */
    char jkt[44];                   /* RFC 7638 thumbprint of the instance key (cnf.jwk) */
    char jti[80];                   /* the PoP's jti: the caller keeps it (replay) */
    mobid_time exp;                 /* the attestation's expiry */
} mobid_oid4vci_attestation;

/* Check an attestation and its PoP, as the two header values came. The attestation:
 * typ, ES256, signed by a leaf of an x5c chain to provider_roots or, without x5c, by
 * one of providers; iss, sub and exp present, exp in the future; a public cnf.jwk.
 * The PoP: typ, ES256, signed by the cnf key, aud (string or array) holding p->aud,
 * jti (8..79 characters), iat in the window, exp (when present) in the future and iss
 * (when present) equal to the attestation's sub. Returns MOBID_OK; MALFORMED /
 * BAD_BASE64; TOO_BIG; TYPE_MISMATCH; ALG_NOT_ALLOWED; UNTRUSTED_ISSUER (no trusted
 * wallet provider signed it; or its chain's errors: CERT_EXPIRED, ...); EXPIRED;
 * KEY_INVALID; SIGNATURE_INVALID (PoP not by the attested key); AUDIENCE_MISMATCH;
 * SUBJECT_MISMATCH; KB_IAT_INVALID. *out is zeroed on error. */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_attestation_check(mobid_view attestation, mobid_view pop,
                                                           const mobid_oid4vci_attestation_check_params *p,
                                                           mobid_oid4vci_attestation *out);

/* The S256 code_challenge of a PKCE code_verifier: base64url(SHA-256(verifier)), 43
 * characters and a NUL. MALFORMED unless the verifier is 43..128 characters of
 * [A-Za-z0-9-._~] (RFC 7636 §4.1). */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_pkce_s256(const char *verifier, char out[44]);
/* A fresh code_verifier: 32 random bytes, base64url (43 characters and a NUL). */
MOBID_MUST_CHECK mobid_err mobid_oid4vci_pkce_verifier(char out[44]);

#ifdef __cplusplus
}
#endif
#endif
