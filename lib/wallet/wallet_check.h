/* Credential checks of the wallet (check.c). */
#ifndef MOBID_WALLET_CHECK_H
#define MOBID_WALLET_CHECK_H

#include "wallet_internal.h"

/* Verify an SD-JWT VC against the ministry trust at now and that its cnf.jwk is key.
 * *claims (new reference) gets the processed claims, *type (mobid_free) the vct. */
mobid_err wl_check_sdjwt(const char *cred, const mobid_key *key, mobid_trust *trust,
                         mobid_time now, json_t **claims, char **type, char *detail,
                         size_t detail_len);
/* Same for a base64url IssuerSigned: *claims is {"<ns>":{"<elem>":value}}, *type the
 * docType. */
mobid_err wl_check_mdoc(const char *cred, const mobid_key *key, mobid_trust *trust,
                        mobid_time now, json_t **claims, char **type, char *detail,
                        size_t detail_len);

#endif
