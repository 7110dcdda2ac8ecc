/* The mdoc verifier object and its cache of document signer chains. Not installed. */
#ifndef MOBID_MDOC_VERIFIER_INTERNAL_H
#define MOBID_MDOC_VERIFIER_INTERNAL_H

#include "mdoc_internal.h"

#include <pthread.h>

#define CHAIN_CACHE_SIZE 16

/* One parsed x5chain: its DER bytes (to recognise it), certificates and the
 * leaf's public key. */
typedef struct chain_entry {
    mobid_buf der;                        /* the certificates' DER, concatenated */
    size_t lens[MOBID_COSE_MAX_X5CHAIN];
    mobid_cert **certs;
    size_t n;                             /* 0: slot unused */
    mobid_key *key;
} chain_entry;

struct mobid_mdoc_verifier {
    mobid_trust *trust;                   /* not owned */
    pthread_mutex_t lock;                 /* guards the cache */
    chain_entry cache[CHAIN_CACHE_SIZE];
    size_t next;                          /* slot replaced next (round robin) */
};

/* References to a cached chain, usable without the lock. */
typedef struct verifier_chain {
    mobid_cert *certs[MOBID_COSE_MAX_X5CHAIN];
    size_t n;
    mobid_key *key;
} verifier_chain;

/* The parsed chain for these DER certificates (leaf first), from the cache or
 * parsed now. Errors: UNTRUSTED_ISSUER (no chain), CERT_INVALID, NOMEM. Release
 * with verifier_chain_release. */
mobid_err verifier_chain_get(mobid_mdoc_verifier *v, const mobid_view *ders, size_t n,
                             verifier_chain *out);
void verifier_chain_release(verifier_chain *c);

#endif
