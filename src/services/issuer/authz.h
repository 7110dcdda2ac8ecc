/* issuer: the authorization-code flow's shared pieces (oid4vci_authz.c) for its
 * endpoints (oid4vci_authz_ep.c). */
#ifndef MOBID_ISSUER_AUTHZ_H
#define MOBID_ISSUER_AUTHZ_H

#include "services/issuer/issuer_int.h"

/* A pushed authorization request (kind "par") or an authorization code ("code"). */
typedef struct authz_row {
    char kind[8];
    char offer_id[64];
    char client_id[256];
    char redirect_uri[512];
    char challenge[44];     /* S256 code_challenge */
    char state[256];        /* "" when none */
    char jkt[44];           /* DPoP key thumbprint the code is bound to; "" when none */
    char *details;          /* authorization_details JSON (heap) or NULL */
} authz_row;

/* issuer_url + path (heap; NULL on allocation failure). */
char *authz_url_of(const issuer_ctx *ctx, const char *path);
/* Check the request's OAuth-Client-Attestation and -PoP headers against the trusted
 * wallet providers; why (why_len bytes) gets a stable name or a sentence for the refusal. */
mobid_err authz_client_attest(issuer_ctx *ctx, mobid_http_req *req,
                              mobid_oid4vci_attestation *out, char *why, size_t why_len);
/* 401 invalid_client with WWW-Authenticate: Attestation. */
mobid_err authz_invalid_client(mobid_http_resp *resp, const char *why);
/* Record the PoP's jti in the caller's transaction; *fresh false on a replay. */
mobid_err authz_pop_use(mobid_store *s, const mobid_oid4vci_attestation *a, bool *fresh);
/* Store r under hash (SHA-256 hex of the request_uri or code) for lifetime_s. */
mobid_err authz_row_insert(mobid_store *s, const char *hash, const char *kind,
                           const authz_row *r, int64_t lifetime_s);
/* The unexpired row of hash: *found, *used (already used once); r->details is heap. */
mobid_err authz_row_read(mobid_store *s, const char *hash, authz_row *r, bool *found,
                         bool *used);
/* Mark it used; *won false when it was used before. */
mobid_err authz_row_use(mobid_store *s, const char *hash, bool *won);
/* The card type of the redeemable offer id ("" when used, void or expired), and its
 * tx_code hash and failures when want / failures are not NULL. */
mobid_err authz_offer_read(mobid_store *s, const char *id, char cardtype[64], char want[65],
                           int64_t *failures);

#define AUTHZ_PAR_LIFETIME_S 300   /* the citizen types the transaction code meanwhile */
#define AUTHZ_CODE_LIFETIME_S 60   /* RFC 6749 §4.1.2: a short-lived, one-time code */
#define AUTHZ_PAR_PREFIX "urn:ietf:params:oauth:request_uri:"

#endif
