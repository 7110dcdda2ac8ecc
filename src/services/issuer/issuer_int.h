/* issuer core: helpers shared by the core's own files (not an interface for others). */
#ifndef MOBID_ISSUER_INT_H
#define MOBID_ISSUER_INT_H

#include "services/issuer/issuer.h"

/* SHA-256 of in as lowercase hex. */
mobid_err issuer_hash_hex(mobid_view in, char out[65]);
/* HMAC of "tx_code:<offer>:<code>" under the lookup key, hex. */
mobid_err issuer_tx_code_hash(const issuer_ctx *ctx, const char *offer_id, const char *tx_code,
                              char out[65]);



/* ---- credential.c ---- */

typedef struct issuer_cred_in {
    const issuer_cardtype *ct;
    unsigned format;             /* ISSUER_FMT_MDOC or ISSUER_FMT_SDJWT */
    const json_t *claims;        /* the offer's claim values */
    const issuer_signer *signer; /* current document signer */
    const mobid_key *holder;     /* proven holder key */
    const char *issuer_url;      /* iss of SD-JWTs */
    const char *card_id;         /* the card's number (document_number), or NULL */
    const char *status_uri;
    uint64_t status_idx;
    mobid_time now, exp;
} issuer_cred_in;

/* The credential as delivered: SD-JWT text, or base64url IssuerSigned for mdoc. */
mobid_err issuer_credential_build(const issuer_cred_in *in, mobid_buf *out);

/* ---- statuslists.c ---- */

/* Take a fresh random index (never given before) in the current list, inside the
 * caller's transaction. *list_id is a heap string. */
mobid_err issuer_status_alloc(issuer_ctx *ctx, mobid_store *s, char **list_id, int64_t *idx);
/* <issuer_url>/status/<list_id> into out. */
mobid_err issuer_status_uri(const issuer_ctx *ctx, const char *list_id, char *out, size_t n);
/* Set status (0 VALID, 1 INVALID, 2 SUSPENDED) of all credentials of a card and mark
 * their lists dirty (inside the caller's transaction). */
mobid_err issuer_status_set_card(mobid_store *s, const char *card_id, int64_t status);
mobid_err issuer_routes_status(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- crl.c: GET /pki/iaca.crl and /pki/rp-ca.crl ---- */
/* Load the CA keys this process may use (ctx->crls); the others are served from files. */
mobid_err issuer_crls_new(issuer_ctx *ctx, const issuer_pki_keys *keys);
void issuer_crls_free(struct issuer_crls *c);
mobid_err issuer_routes_crl(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- lifecycle.c ---- */
mobid_err issuer_card_set_state(mobid_store *s, const char *card_id, int64_t state,
                                const char *reason);

/* ---- offer.c ---- */
mobid_err issuer_offer_code(const issuer_ctx *ctx, const char *offer_id, char out[44]);
/* "<id>.<MAC>", the path segment of the offer by reference (out: 96 bytes), and its
 * check (NOT_FOUND unless ref is exactly that; id gets the offer id). */
mobid_err issuer_offer_ref(const issuer_ctx *ctx, const char *offer_id, char out[96]);
mobid_err issuer_offer_ref_check(const issuer_ctx *ctx, const char *ref, char id[64]);
mobid_err issuer_offer_uris(issuer_ctx *ctx, const issuer_cardtype *ct, issuer_offer *o);

/* ---- oid4vci.c / credential_ep.c ---- */
mobid_err issuer_nonce_new(issuer_ctx *ctx, mobid_store *s, char out[44]);
mobid_err issuer_routes_credential(mobid_http_server *srv, issuer_ctx *ctx);
/* vc_metadata.c: /.well-known/jwt-vc-issuer (issuer identifier and document signer keys). */
mobid_err issuer_routes_vc_metadata(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- type_metadata.c ---- */

/* A claim's path: [namespace, name] for ISSUER_FMT_MDOC, its SD-JWT VC path otherwise.
 * New reference (NULL on allocation failure). */
json_t *issuer_claim_path(const issuer_cardtype *ct, const issuer_claim *c, unsigned fmt);
/* [{key: label, "locale": "ko"}, {..."en"}] for the claim's labels. New reference. */
json_t *issuer_claim_display(const issuer_claim *c, const char *key);
/* The SD-JWT VC Type Metadata document of ct. New reference. */
json_t *issuer_type_metadata(const issuer_cardtype *ct);
/* GET <issuer path>/vct/{card}/{version}: the type metadata of the card type of that vct. */
mobid_err issuer_routes_type_metadata(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- refresh.c: DPoP-bound tokens and the refresh grant ---- */

#include <mobid/oid4vci.h>

/* The "refresh" section of the configuration into ctx (enabled, dpop_required,
 * max_per_period, period_s). MALFORMED with a message on stderr. */
mobid_err issuer_refresh_config(issuer_ctx *ctx);
/* A fresh 43-character token and the SHA-256 hex of it (what the store keeps). */
mobid_err issuer_random_token(char token[44], char hash[65]);

typedef struct issuer_dpop {
    bool present;             /* the request had a DPoP header */
    mobid_err err;            /* its check (MOBID_OK: proof holds the key and claims) */
    mobid_oid4vci_dpop proof;
} issuer_dpop;
/* Check the request's DPoP header for POST <issuer_url><path>, with ath of
 * access_token when not NULL. A bad proof is reported in out->err, not returned. */
mobid_err issuer_dpop_read(issuer_ctx *ctx, mobid_http_req *req, const char *path,
                           const char *access_token, issuer_dpop *out);
/* Record the proof's jti inside the caller's transaction; *fresh false on a replay. */
mobid_err issuer_dpop_use(mobid_store *s, const issuer_dpop *d, bool *fresh);
/* The same for any one-time proof identifier (kept as long as a DPoP proof's). */
mobid_err issuer_jti_use(mobid_store *s, const char *jti, bool *fresh);
/* A refresh token for offer_id bound to jkt (inside the caller's transaction). */
mobid_err issuer_refresh_token_new(issuer_ctx *ctx, mobid_store *s, const char *offer_id,
                                   const char *jkt, int64_t lifetime_s, char token[44]);
/* POST /token with grant_type=refresh_token: answers resp itself. */
mobid_err issuer_refresh_grant(issuer_ctx *ctx, mobid_http_req *req, mobid_http_resp *resp,
                               const char *refresh_token, const issuer_dpop *dpop);

/* ---- oid4vci.c: the token endpoint's pieces shared with oid4vci_authz.c ---- */

typedef enum issuer_token_result {
    TOK_OK, TOK_BAD_CODE, TOK_BAD_TX, TOK_KILLED, TOK_NO_TX, TOK_SOURCE_LOCKED,
    TOK_DPOP_REPLAY, TOK_BAD_DETAILS
} issuer_token_result;

typedef struct issuer_token_tx {
    issuer_ctx *ctx;
    const char *code, *tx_code;
    const issuer_dpop *dpop;  /* a valid proof binds the tokens to its key */
    char code_hash[65];
    char guard_key[160];     /* "t:<offer id>\x1f<source>" in issuer_signin_guard */
    char source[64];
    char token[44];
    char refresh[44];         /* "" when none is given */
    char cardtype[64];
    issuer_token_result result;
    json_t *details;         /* authorization_details asked for, or NULL */
} issuer_token_tx;

/* Redeem offer_id in t's transaction: mark it used, issue the access token (bound to
 * t->dpop's key when present) and a refresh token; t->result TOK_BAD_CODE when the
 * offer can no longer be redeemed, TOK_DPOP_REPLAY for a proof seen before. */
mobid_err issuer_token_issue(issuer_token_tx *t, mobid_store *s, const char *offer_id);
/* t->tx_code against the offer's tx_code hash want, with the per-source and overall
 * limits: t->result TOK_OK, TOK_BAD_TX, TOK_KILLED or TOK_SOURCE_LOCKED. */
mobid_err issuer_tx_code_try(issuer_token_tx *t, mobid_store *s, const char *id, const char *want,
                             int64_t failures);
/* authorization_details (OpenID4VCI 1.0 §5.1.1) naming configurations of cardtype:
 * true when absent or valid; each entry gets its credential_identifiers. */
bool issuer_details_ok(const issuer_ctx *ctx, json_t *details, const char *cardtype);
/* The 200 token response of t (consumes t->details, wipes the tokens). */
mobid_err issuer_token_answer(issuer_ctx *ctx, mobid_http_resp *resp, issuer_token_tx *t);

/* ---- oid4vci_authz.c: the HAIP profile (authorization code, PKCE, PAR, wallet
 * attestation) ---- */

/* The "haip" section of the configuration into ctx, and the wallet-provider trust it
 * names. MALFORMED with a message on stderr. */
mobid_err issuer_haip_config(issuer_ctx *ctx);
void issuer_haip_free(issuer_ctx *ctx);
/* Members the profile adds to the authorization server metadata object j. */
mobid_err issuer_haip_as_metadata(const issuer_ctx *ctx, json_t *j);
/* POST /par, GET and POST /authorize. */
mobid_err issuer_routes_authz(mobid_http_server *srv, issuer_ctx *ctx);
/* POST /token with grant_type=authorization_code: answers resp itself. */
mobid_err issuer_authcode_grant(issuer_ctx *ctx, mobid_http_req *req, mobid_http_resp *resp,
                                const mobid_http_form *form, const issuer_dpop *dpop);

/* ---- renewal.c: the core's side of a renewal (renewal.h) ---- */
/* Does offer_id renew a card (*renewal)? Then old gets that card's id, *state and *exp
 * its state and expiry: the renewal stands only while that card is active and unexpired
 * (a suspended, revoked or superseded card is not renewed behind the officers' back). */
mobid_err issuer_renewal_of(mobid_store *s, const char *offer_id, char old[23], bool *renewal,
                            int64_t *state, int64_t *exp);
/* Does a renewal of card_id wait for its wallet (an offer that renews it, no card yet)? */
mobid_err issuer_renewal_pending(mobid_store *s, const char *card_id, bool *pending);

/* ---- purge.c ---- */
/* Delete at most batch rows per table of expired nonces, access tokens, ended sessions
 * and API tokens and quiet sign-in counters; *deleted (may be NULL) gets the count. */
mobid_err issuer_purge(mobid_store *s, int64_t now, int64_t batch, int64_t *deleted);
/* issuer_purge once a minute per process (errors go to stderr only). */
void issuer_purge_maybe(issuer_ctx *ctx, mobid_store *s);

/* ---- service.c ---- */
/* Build and start the server (routes, health) without waiting for a signal. When
 * the config has no issuer_url, the bound URL becomes it. */
mobid_err issuer_server_new(issuer_ctx *ctx, const char *listen, mobid_http_server **out);
#endif
