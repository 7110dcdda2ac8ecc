/* lib/wallet: the OpenID4VCI client state shared by receive.c and refresh.c. */
#ifndef MOBID_WALLET_RECEIVE_H
#define MOBID_WALLET_RECEIVE_H

#include <mobid/oid4vci.h>
#include "wallet_internal.h"

typedef struct rx {
    const mobid_wallet_io *io;
    json_t *offer;
    json_t *meta;
    json_t *asmeta;      /* the authorization server's metadata (NULL: the issuer's own
                            token_endpoint was taken) */
    json_t *cred_ids;    /* configuration id -> credential_identifier, from the token
                            response's authorization_details (NULL: none) */
    mobid_oid4vci_offer_view ov;
    char *token_ep;
    char *access_token;
    char *refresh_token; /* bound to dpop_key; sealed with the card */
    mobid_key *dpop_key; /* the wallet's key for DPoP proofs (NULL: bearer tokens) */
    bool dpop_bound;     /* the issuer bound access_token to dpop_key */
    json_t *received;    /* vault entries built so far */
    mobid_trust *trust;  /* NULL only for mobid_wallet_fetch without roots */
    size_t batch;        /* proofs per configuration; 0 = the issuer's batch_size */
    const char *const *only; /* configurations to fetch (NULL-terminated), NULL = all */
    long last_status;    /* HTTP status of the last request (0: no answer) */
    wl_wallet *w;        /* unlocked: batches are sealed into it as they arrive (NULL:
                            mobid_wallet_fetch, nothing is sealed) */
    const char *uri;     /* the offer as given (to recognise a pending receipt) */
    const char *slot;    /* the vault member that seals this exchange's unfinished state
                            and its batch keys: NULL = "pending" (a receipt), or
                            "refreshing" (refresh.c) */
    char *detail;
    size_t dlen;
} rx;

void wl_rx_init(rx *r, const mobid_wallet_io *io, wl_wallet *w, const char *uri,
                char *detail, size_t detail_len);
void wl_rx_clear(rx *r);
/* Issuer metadata of r->ov.credential_issuer and the token endpoint. */
mobid_err wl_rx_metadata(rx *r);
/* POST q to the token endpoint (with a DPoP proof when r->dpop_key is set): sets
 * r->access_token, r->dpop_bound and r->refresh_token. *resp gets the answer's JSON
 * object, also an error object after a refusal (FETCH_FAILED), or NULL. */
mobid_err wl_token_request(rx *r, mobid_wallet_http_req *q, json_t **resp);
/* One batch of configuration cfg (r->batch proofs, or the issuer's batch_size),
 * checked and appended to r->received as a new entry. */
mobid_err wl_rx_config(rx *r, const char *cfg);

/* authcode.c: the authorization-code flow (PAR, PKCE, DPoP, wallet attestation). */
/* Whether to take it: the offer has the grant and the server the endpoints, and
 * either no pre-authorized grant is offered or the host can attest the app. */
bool wl_rx_use_authcode(const rx *r);
/* Push the request, authorize with the offer's transaction code, and exchange the
 * code: sets r->access_token (DPoP-bound) like the pre-authorized token request.
 * *declined (nothing sent) when the host has no attestation and the offer has a
 * pre-authorized code to take instead. */
mobid_err wl_rx_authcode_token(rx *r, bool *declined);
/* authorization_details for the wanted configurations of the offer when the server
 * lists openid_credential (new reference), else NULL. */
json_t *wl_rx_details(const rx *r);
/* The credential_identifiers of a token response's authorization_details into
 * r->cred_ids. */
mobid_err wl_rx_take_details(rx *r, const json_t *resp);
/* application/x-www-form-urlencoded name=value appended (with '&' when not first). */
mobid_err wl_form_add(mobid_buf *f, const char *name, const char *value);

/* Refresh the due cards of the unlocked wallet w (refresh.c); summary gets one object
 * per refreshed card, *skipped the cards without a refresh token. */
mobid_err wl_refresh(const mobid_wallet_io *io, wl_wallet *w, const mobid_wallet_refresh_opts *o,
                     json_t *summary, unsigned *skipped, char *detail, size_t dlen);

#endif
