/* lib/trust internals shared by its files. Not installed. */
#ifndef MOBID_TRUST_INTERNAL_H
#define MOBID_TRUST_INTERNAL_H

#include <mobid/cbor.h>
#include <mobid/trust.h>

/* A VICAL date: tag 0 text (RFC 3339), tag 1 epoch, or plain text. */
mobid_err trust_get_time(const mobid_cbor_item *it, mobid_time *out);
/* Parse an entry's certificate into e->cert and check the listed SKI and
 * serial against it: MOBID_OK, CERT_INVALID or VICAL_INVALID (e->problem). */
mobid_err trust_entry_check(mobid_vical_entry *e);

#endif
