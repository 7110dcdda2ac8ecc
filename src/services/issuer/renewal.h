/*
 * Renewal (renewal.c): a card renewed without a new application, for the same wallet.
 *
 * A supervisor (or the ministry admin) renews the active card of an application while
 * the passport it was issued on is still valid. Renewal makes an offer that no one
 * can redeem with a code (it names the card it renews) and moves the wallet's
 * key-bound refresh token to it. The wallet picks the renewal up at its next refresh
 * (OpenID4VCI refresh_token grant with a DPoP proof by the same key): the token answer
 * says "card_renewal": true, and its batch belongs to a new card with the card type's
 * full validity from that day. In the transaction that makes the new card, the old one
 * is superseded ("replaced", reason "renewed") and every copy of it reads INVALID in
 * the status lists, so verifiers refuse old copies from then on. Until then the old
 * card keeps working: the holder is never without a card.
 *
 * A new passport (another number) or one that expired means a reissue: a new
 * application, verified in person, whose card replaces this one.
 *
 * Ownership: strings are borrowed; JSON returned through **out is the caller's.
 */
#ifndef MOBID_ISSUER_RENEWAL_H
#define MOBID_ISSUER_RENEWAL_H

#include "services/issuer/office.h"

/* Cards expiring within this many days are listed (configuration
 * "renewal"."expiring_within_days", 1..3660). */
#define ISSUER_RENEWAL_WITHIN_DAYS 90

typedef struct issuer_renewal {
    char card[23];            /* the card renewed (active until the wallet picks up) */
    char offer[23];           /* the renewal offer the refresh token now names */
} issuer_renewal;

/* Renew the active card of application app_id. passport_number (may be NULL): the
 * passport the holder shows now; it must be the one on file. Refusals:
 * MOBID_SVC_ERR_ACCESS_DENIED (not a supervisor or admin, or another office's
 * application), MOBID_ERR_NOT_FOUND, MOBID_SVC_ERR_WRONG_STATE (no active card, or a
 * renewal already waits for the wallet), MOBID_SVC_ERR_PASSPORT_EXPIRED (the passport on
 * file expires on or before today), MOBID_SVC_ERR_PASSPORT_CHANGED (another passport),
 * MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE (the wallet has no key-bound refresh token), each
 * with detail filled. Audited as card.renew. */
MOBID_MUST_CHECK mobid_err issuer_card_renew(issuer_ctx *ctx, mobid_store *s,
                                             const issuer_officer *who, const char *app_id,
                                             const char *passport_number, issuer_renewal *out,
                                             char *detail, size_t detail_len);

/* The configured window of the expiring-soon list, in days. */
int64_t issuer_renewal_window_days(const issuer_ctx *ctx);

/* Active cards that expire within `days` (0: the configured window), soonest first,
 * of who's office (an admin: office_id, or every office when NULL), at most 500:
 * [{card, application_id, office_id, cardtype, expires_at, renewal_pending}].
 * MOBID_SVC_ERR_ACCESS_DENIED for an officer asking for another office. */
MOBID_MUST_CHECK mobid_err issuer_cards_expiring(issuer_ctx *ctx, mobid_store *s,
                                                 const issuer_officer *who,
                                                 const char *office_id, int64_t days,
                                                 json_t **out);

/* POST /api/v1/applications/{id}/renew and GET /api/v1/cards/expiring (renewal_api.c). */
mobid_err issuer_routes_renewal(mobid_http_server *srv, issuer_ctx *ctx);

#endif
