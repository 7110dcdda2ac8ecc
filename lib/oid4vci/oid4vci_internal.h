/* lib/oid4vci internals shared by its files. */
#ifndef MOBID_OID4VCI_INTERNAL_H
#define MOBID_OID4VCI_INTERNAL_H

#include <mobid/crypto.h>

/* RFC 7638 thumbprint of key's public JWK, base64url and NUL-terminated (43 chars). */
mobid_err oid4vci_jkt(const mobid_key *key, char out[44]);

#endif
