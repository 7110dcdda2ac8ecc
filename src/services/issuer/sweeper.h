/* Lifecycle by time (sweeper.c): offers and cards change state when their time comes. */
#ifndef MOBID_ISSUER_SWEEPER_H
#define MOBID_ISSUER_SWEEPER_H

#include "services/issuer/issuer.h"

typedef struct issuer_sweeper issuer_sweeper;

/* One step of the sweep: its body runs in one transaction of the issuer's store at
 * run->now and counts what it changed in run->count. */
typedef struct issuer_sweep_run {
    issuer_ctx *ctx;
    int64_t now, count;
} issuer_sweep_run;

/* Run body (its arg an issuer_sweep_run) in a transaction at now (0 = the clock);
 * *count (may be NULL) gets how many it changed. */
MOBID_MUST_CHECK mobid_err issuer_sweep_step(issuer_ctx *ctx, int64_t now,
                                             mobid_err (*body)(mobid_store *s, void *arg),
                                             int64_t *count);

/* Applications whose offer expired (never redeemed) or was voided, with no card, move
 * from offer_issued to offer_expired, each audited as application.offer_expired; at
 * most 100 per call. now 0 = the clock. *count (may be NULL) gets how many. */
MOBID_MUST_CHECK mobid_err issuer_offers_expire(issuer_ctx *ctx, int64_t now, int64_t *count);

/* Start the thread that runs issuer_offers_expire and issuer_cards_expire every
 * "lifecycle"."sweep_s" seconds of the configuration (default 30). *out freed by
 * issuer_sweeper_stop, which wakes and joins it. */
MOBID_MUST_CHECK mobid_err issuer_sweeper_start(issuer_ctx *ctx, issuer_sweeper **out);
void issuer_sweeper_stop(issuer_sweeper *w);

#endif
