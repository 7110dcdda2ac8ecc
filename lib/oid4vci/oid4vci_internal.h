/* lib/oid4vci internals shared by its files. */
#ifndef MOBID_OID4VCI_INTERNAL_H
#define MOBID_OID4VCI_INTERNAL_H

#include <mobid/crypto.h>
#include <jansson.h>

/* RFC 7638 thumbprint of key's public JWK, base64url and NUL-terminated (43 chars). */
mobid_err oid4vci_jkt(const mobid_key *key, char out[44]);

/* A proof's iat, checked against the window [now - max_age_s, now + max_skew_s] (300 s
 * and 60 s when 0: a proof is made just before its request, clocks drift a little).
 * Stores it in *out; MOBID_ERR_KB_IAT_INVALID when absent, not an integer or outside. */
mobid_err oid4vci_iat_check(const json_t *iat, mobid_time now, int64_t max_age_s,
                            int64_t max_skew_s, int64_t *out);

#endif
