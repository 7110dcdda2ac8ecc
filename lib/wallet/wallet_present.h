/* Building the answer to a verified request (answer.c), used by present.c. */
#ifndef MOBID_WALLET_PRESENT_H
#define MOBID_WALLET_PRESENT_H

#include <mobid/oid4vp.h>
#include "wallet_internal.h"

/* The vault entries and items (borrowed from the vault) chosen for each answer. */
typedef struct wl_answer {
    size_t n;
    json_t *entry[MOBID_DCQL_MAX_CREDENTIALS];
    json_t *item[MOBID_DCQL_MAX_CREDENTIALS];
} wl_answer;

/* Parse the request's DCQL query, check it once more against the registration and
 * list the claims asked ("<type>: <path>") for the consent screen. */
mobid_err wl_query_prepare(const mobid_oid4vp_request *req, mobid_dcql **q, json_t **claims,
                           char *detail, size_t dlen);

/* Pick for each credential query an unused item of a matching credential, build its
 * presentation (SD-JWT VC + KB-JWT or mdoc DeviceResponse with the OpenID4VP
 * handover) and the vp_token object. NO_CREDENTIAL when the query cannot be met. */
mobid_err wl_answer_build(const mobid_wallet_io *io, wl_wallet *w,
                          const mobid_oid4vp_request *req, const mobid_dcql *q, wl_answer *a,
                          json_t **vp_token, char *detail, size_t dlen);

#endif
