/* Helpers shared by the files of lib/oid4vp (not a public interface). */
#ifndef MOBID_OID4VP_INTERNAL_H
#define MOBID_OID4VP_INTERNAL_H

#include <mobid/oid4vp.h>

/* The JWS algorithm of a signing key's curve (ES256 for P-256, ...), NONE for others. */
mobid_alg oid4vp_jwt_alg(const mobid_key *key);

/* Sign payload (a JSON object) as a JWT with typ and an x5c header; the algorithm
 * follows the key's curve. Appends the compact JWS to out. */
mobid_err oid4vp_jwt_sign(const mobid_key *key, mobid_cert *const *x5c, size_t x5c_len,
                          const char *typ, const json_t *payload, mobid_buf *out);

/* Verify a JWT with typ whose x5c chain leads to trust at `at` for purpose (the
 * leaf's use: SIGNING for a request object, REGISTRAR for a registration);
 * *payload receives the payload object, *leaf (may be NULL) a reference to the leaf.
 * memo: for a JWT that comes back unchanged (a registration), let the trust set
 * remember that its signature verified (mobid_trust_sig_known); the chain and the
 * typ are checked on every call all the same. */
mobid_err oid4vp_jwt_verify(mobid_view jwt, const char *typ, mobid_trust *trust, mobid_time at,
                            mobid_cert_purpose purpose, bool memo, json_t **payload,
                            mobid_cert **leaf);

#endif
