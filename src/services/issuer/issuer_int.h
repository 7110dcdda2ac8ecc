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
