/*
 * lib/crypto internals shared by its files. Only lib/crypto includes this (and
 * OpenSSL): the public header keeps OpenSSL types out of every other module.
 */
#ifndef MOBID_CRYPTO_INTERNAL_H
#define MOBID_CRYPTO_INTERNAL_H

/* The low-level EC_KEY, ECDSA and SHA APIs are deprecated in OpenSSL 3 but are
 * several times cheaper than their EVP equivalents for one-off public keys
 * (EVP_PKEY_fromdata costs ~19 µs, EC_POINT import ~1-2 µs), and key import sits
 * on the verifier's hot path. They are used inside lib/crypto only. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <mobid/crypto.h>

#include <stdatomic.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* A key: P-curves live in an EC_KEY built on a shared, cached EC_GROUP;
 * Ed25519 and X25519 keys in an EVP_PKEY. Refcounted, immutable once built. */
struct mobid_key {
    atomic_long refs;
    mobid_curve curve;
    bool has_private;
    EC_KEY *ec;     /* P-256, P-384, P-521 */
    EVP_PKEY *okp;  /* Ed25519, X25519 */
    /* The public point's affine x || y when known at construction (imported from
     * coordinates, or generated here), else xy_len 0. OpenSSL's P-256 computes them with
     * a field inversion at every export, and a verifier's session key is exported three
     * times (sealed JWK, the request's jwks, its thumbprint). */
    uint8_t xy[2 * 66];
    uint8_t xy_len;
    /* Verifications made with this key object, and once there are enough, its table of
     * multiples (verify_table.c): an issuer's or document signer's key verifies a
     * signature in every presentation. Set once, freed with the key. */
    atomic_uint verifies;
    _Atomic(EC_GROUP *) table;
};

/* ECDSA verification of digest dg with the key's table of multiples: 1 valid, 0 invalid,
 * -1 not done (no table yet, or an internal failure; then the caller verifies the usual
 * way). Builds the table at the key object's MOBID_KEY_TABLE_AFTER-th verification. */
int mobid_crypto_verify_table(const mobid_key *k, const uint8_t *dg, size_t dlen,
                              const ECDSA_SIG *sig);

/* A parsed certificate with its exact DER bytes, their SHA-256 and a lazily
 * built public key. */
struct mobid_cert {
    atomic_long refs;
    X509 *x509;
    uint8_t *der;
    size_t der_len;
    uint8_t digest[32]; /* SHA-256 of der: keys the parse and validation caches */
    _Atomic(mobid_key *) key; /* set once on first use */
};

/* The cached group of a P-curve (never freed; NULL for other curves). */
const EC_GROUP *mobid_crypto_group(mobid_curve c);
/* Curve of an EC_GROUP by its NID, MOBID_CURVE_NONE if not one we support. */
mobid_curve mobid_crypto_curve_from_nid(int nid);

/* Per-thread scratch objects reused across calls (never NULL after success). */
BN_CTX *mobid_crypto_bn_ctx(void);
ECDSA_SIG *mobid_crypto_ecdsa_sig(void);

/* New key handle owning ec or okp (exactly one non-NULL); frees it on failure. */
mobid_err mobid_crypto_key_wrap(mobid_curve c, EC_KEY *ec, EVP_PKEY *okp, bool priv,
                                mobid_key **out);
/* Build a key from an EVP_PKEY of any supported type (the pkey is not consumed). */
mobid_err mobid_crypto_key_from_evp(EVP_PKEY *pkey, mobid_key **out);
/* An EVP_PKEY view of a key for EVP-level APIs (PEM, X.509); free with EVP_PKEY_free. */
mobid_err mobid_crypto_key_to_evp(const mobid_key *k, EVP_PKEY **out);

/* Wrap an X509 (consumed, even on failure) as a mobid_cert; der may be NULL to
 * take the encoding from the X509. */
mobid_err mobid_crypto_cert_wrap(X509 *x, mobid_view der, mobid_cert **out);

/* The EVP_MD of a hash algorithm (fetched once). NULL if unknown. */
const EVP_MD *mobid_crypto_md(mobid_hash_alg h);

/* True when s occurs in v (memmem is a GNU extension). */
bool mobid_crypto_contains(mobid_view v, const char *s);

/* ASN1_TIME to seconds since the epoch. */
mobid_err mobid_crypto_asn1_time(const ASN1_TIME *t, mobid_time *out);

/* The profile checks OpenSSL leaves to us on a built path (leaf first, anchor
 * last), under a trust policy (trust_policy.c). pinned: the leaf is an anchor
 * itself. Adds MOBID_TRUST_WARN_* bits to *warnings. */
mobid_err mobid_crypto_check_path(STACK_OF(X509) *path, mobid_cert_purpose purpose,
                                  mobid_trust_policy policy, bool pinned, unsigned *warnings);

/* Helpers of the profile checks (trust_policy.c), shared with cert_profile.c. */
typedef enum { EKU_ABSENT, EKU_HAS, EKU_OTHER } mobid_crypto_eku;
/* Whether x's extendedKeyUsage is absent, holds oid, or holds only others. */
mobid_crypto_eku mobid_crypto_eku_of(X509 *x, const char *oid);
/* True when x has the extension nid and it is marked critical. */
bool mobid_crypto_ext_critical(X509 *x, int nid);
/* The name's countryName, or "" when it has none or several. */
void mobid_crypto_name_country(X509_NAME *n, char out[8]);

#endif
