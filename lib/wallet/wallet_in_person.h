/* In-person presentation (in_person.c, in_person_check.c). */
#ifndef MOBID_WALLET_IN_PERSON_H
#define MOBID_WALLET_IN_PERSON_H

#include <mobid/oid4vp.h>
#include <mobid/proximity.h>
#include "wallet_internal.h"

/* One DeviceRequest document being answered. */
typedef struct ip_request {
    const mobid_px_doc_request *doc;
    char *client_id;                  /* x509_hash of the reader certificate */
    mobid_oid4vp_registration reg;    /* its verified registration */
    bool has_reg;
    json_t *claims;                   /* consent lines "<doctype>: ns/id" */
    json_t *entry, *item;             /* the credential and copy chosen (borrowed) */
    size_t copy;
    mobid_px_item shown[MOBID_PX_MAX_ITEMS]; /* asked and held: what is disclosed */
    size_t n_shown;
} ip_request;

/* readerAuth against the wallet's relying-party roots (reader EKU), then the
 * registration in requestInfo against the registration roots, bound to the
 * reader certificate. Fills client_id and reg. */
mobid_err ip_check_reader(ip_request *r, const wl_wallet *w, mobid_view transcript,
                          mobid_time now, char *detail, size_t dlen);
/* Every item within the registration (CLAIM_NOT_ALLOWED); fills claims. */
mobid_err ip_check_claims(ip_request *r, char *detail, size_t dlen);
/* First usable (unused, unexpired at now) copy of a credential of the doctype (after
 * unlocking). */
mobid_err ip_choose(ip_request *r, wl_wallet *w, mobid_time now);
/* Mark the copy used and log the presentation; sealed and saved before sending. */
mobid_err ip_record(const mobid_wallet_io *io, wl_wallet *w, const ip_request *r);

#endif
