/* Trust sets and certificate path validation at a pinned time, with a bounded
 * cache of successful validations (a DS chain repeats in every credential it
 * signed, so after the first path build a verification costs a hash lookup). */
#include "crypto_internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define TRUST_CACHE_SLOTS 256
#define TRUST_MAX_CHAIN 16

typedef struct cache_entry {
    bool used;
    uint8_t key[32];    /* SHA-256 over purpose and the chain's DER */
    mobid_time from;    /* the window where every certificate of the built path */
    mobid_time until;   /* is valid: the result holds for any time inside it */
} cache_entry;

struct mobid_trust {
    pthread_mutex_t lock; /* guards the cache */
    mobid_cert **anchors;
    size_t n, cap;
    X509_STORE *store;
    cache_entry cache[TRUST_CACHE_SLOTS];
    unsigned long hits, builds;
};

mobid_err mobid_trust_new(mobid_trust **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_trust *t = mobid_calloc(1, sizeof *t);
    if (!t)
        return MOBID_ERR_NOMEM;
    if (!(t->store = X509_STORE_new())) {
        mobid_free(t);
        return MOBID_ERR_NOMEM;
    }
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return MOBID_OK;
}

void mobid_trust_free(mobid_trust *t)
{
    if (!t)
        return;
    mobid_cert_list_free(t->anchors, t->n);
    X509_STORE_free(t->store);
    pthread_mutex_destroy(&t->lock);
    mobid_free(t);
}

static void cache_clear(mobid_trust *t)
{
    pthread_mutex_lock(&t->lock);
    memset(t->cache, 0, sizeof t->cache);
    pthread_mutex_unlock(&t->lock);
}

mobid_err mobid_trust_add(mobid_trust *t, mobid_cert *anchor)
{
    if (!t || !anchor)
        return MOBID_ERR_INVALID_ARG;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        mobid_cert **grown = mobid_realloc(t->anchors, nc * sizeof *grown);
        if (!grown)
            return MOBID_ERR_NOMEM;
        t->anchors = grown;
        t->cap = nc;
    }
    if (X509_STORE_add_cert(t->store, anchor->x509) != 1) {
        /* Adding an anchor twice is harmless; anything else is not. */
        unsigned long e = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
            return MOBID_ERR_NOMEM;
    }
    t->anchors[t->n++] = mobid_cert_ref(anchor);
    cache_clear(t);
    return MOBID_OK;
}

mobid_err mobid_trust_add_pem(mobid_trust *t, mobid_view pem)
{
    if (!t)
        return MOBID_ERR_INVALID_ARG;
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_err err = mobid_cert_parse_all(pem, &certs, &n);
    for (size_t i = 0; err == MOBID_OK && i < n; i++)
        err = mobid_trust_add(t, certs[i]);
    mobid_cert_list_free(certs, n);
    return err;
}

size_t mobid_trust_count(const mobid_trust *t) { return t ? t->n : 0; }

void mobid_trust_cache_stats(mobid_trust *t, unsigned long *hits, unsigned long *builds)
{
    if (!t) {
        if (hits)
            *hits = 0;
        if (builds)
            *builds = 0;
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (hits)
        *hits = t->hits;
    if (builds)
        *builds = t->builds;
    pthread_mutex_unlock(&t->lock);
}

/* ---- the cache ---- */

/* SHA-256 over the purpose and each certificate's own SHA-256 (fixed-size
 * parts, so the concatenation is unambiguous). */
static void cache_key(mobid_cert *const *chain, size_t n, mobid_cert_purpose purpose,
                      uint8_t key[32])
{
    mobid_view parts[1 + TRUST_MAX_CHAIN];
    uint8_t p = (uint8_t)purpose;
    parts[0] = mobid_view_make(&p, 1);
    for (size_t i = 0; i < n; i++)
        parts[1 + i] = mobid_view_make(chain[i]->digest, 32);
    uint8_t out[MOBID_HASH_MAX];
    (void)mobid_hash_parts(MOBID_HASH_SHA256, parts, 1 + n, out);
    memcpy(key, out, 32);
}

/* Direct-mapped with a short probe: the key is a hash, so its first bytes spread. */
#define TRUST_CACHE_PROBE 4

static size_t cache_bucket(const uint8_t key[32])
{
    return ((size_t)key[0] | (size_t)key[1] << 8) % TRUST_CACHE_SLOTS;
}

static bool cache_lookup(mobid_trust *t, const uint8_t key[32], mobid_time at)
{
    bool hit = false;
    size_t b = cache_bucket(key);
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < TRUST_CACHE_PROBE && !hit; i++) {
        const cache_entry *e = &t->cache[(b + i) % TRUST_CACHE_SLOTS];
        hit = e->used && at >= e->from && at <= e->until && memcmp(e->key, key, 32) == 0;
    }
    if (hit)
        t->hits++;
    else
        t->builds++;
    pthread_mutex_unlock(&t->lock);
    return hit;
}

/* Insert into the key's own slot, a free one, or evict the bucket's first. */
static void cache_insert(mobid_trust *t, const uint8_t key[32], mobid_time from,
                         mobid_time until)
{
    size_t b = cache_bucket(key);
    pthread_mutex_lock(&t->lock);
    cache_entry *e = &t->cache[b];
    for (size_t i = 0; i < TRUST_CACHE_PROBE; i++) {
        cache_entry *c = &t->cache[(b + i) % TRUST_CACHE_SLOTS];
        if (!c->used || memcmp(c->key, key, 32) == 0) {
            e = c;
            break;
        }
    }
    e->used = true;
    memcpy(e->key, key, 32);
    e->from = from;
    e->until = until;
    pthread_mutex_unlock(&t->lock);
}

/* ---- path validation ---- */

static mobid_err map_verify_error(int e)
{
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return MOBID_ERR_CERT_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return MOBID_ERR_CERT_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_AKID_SKID_MISMATCH:
    case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        return MOBID_ERR_UNTRUSTED_ISSUER;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
    case X509_V_ERR_INVALID_NON_CA:
        return MOBID_ERR_CERT_USAGE;
    default:
        return MOBID_ERR_CERT_INVALID;
    }
}

/* The 18013-5 extended key usages (Annex B): document signer and reader auth. */
static const char *purpose_eku(mobid_cert_purpose p)
{
    return p == MOBID_PURPOSE_MDOC_DS ? "1.0.18013.5.1.2"
         : p == MOBID_PURPOSE_MDOC_READER ? "1.0.18013.5.1.6" : NULL;
}

static bool has_eku(X509 *x, const char *oid)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
    bool found = false;
    for (int i = 0; eku && want && !found && i < sk_ASN1_OBJECT_num(eku); i++)
        found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
    ASN1_OBJECT_free(want);
    EXTENDED_KEY_USAGE_free(eku);
    return found;
}

/* Issuers must say CA:true (OpenSSL also accepts a keyCertSign key usage
 * without basicConstraints). The one tolerance: a version 1 self-signed anchor,
 * which cannot carry extensions and which the trust set names explicitly. */
static bool issuer_ok(X509 *x, bool is_anchor)
{
    if (X509_get_extension_flags(x) & EXFLAG_CA)
        return true;
    return is_anchor && X509_get_version(x) == X509_VERSION_1 && X509_check_ca(x) == 3;
}

/* What OpenSSL leaves to us: CA flags, the leaf's digitalSignature and the
 * 18013-5 EKU, which ISO makes mandatory. */
static mobid_err check_path(STACK_OF(X509) *path, mobid_cert_purpose purpose)
{
    X509 *leaf = sk_X509_value(path, 0);
    int n = sk_X509_num(path);
    for (int i = 1; i < n; i++)
        if (!issuer_ok(sk_X509_value(path, i), i == n - 1))
            return MOBID_ERR_CERT_USAGE;
    if (purpose != MOBID_PURPOSE_ANY && (X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
        return MOBID_ERR_CERT_USAGE;
    const char *oid = purpose_eku(purpose);
    if (oid && !has_eku(leaf, oid))
        return MOBID_ERR_CERT_USAGE;
    return MOBID_OK;
}

/* The window where every certificate of the path is valid. */
static mobid_err path_window(STACK_OF(X509) *path, mobid_time *from, mobid_time *until)
{
    *from = INT64_MIN;
    *until = INT64_MAX;
    for (int i = 0; i < sk_X509_num(path); i++) {
        X509 *x = sk_X509_value(path, i);
        mobid_time nb, na;
        if (mobid_crypto_asn1_time(X509_get0_notBefore(x), &nb) != MOBID_OK ||
            mobid_crypto_asn1_time(X509_get0_notAfter(x), &na) != MOBID_OK)
            return MOBID_ERR_CERT_INVALID;
        *from = nb > *from ? nb : *from;
        *until = na < *until ? na : *until;
    }
    return MOBID_OK;
}

/* Build and check the path with OpenSSL; on success report its validity window. */
static mobid_err build_path(mobid_trust *t, mobid_cert *const *chain, size_t n, mobid_time at,
                            mobid_cert_purpose purpose, mobid_time *from, mobid_time *until)
{
    mobid_err err = MOBID_ERR_NOMEM;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!ctx || !untrusted)
        goto done;
    for (size_t i = 1; i < n; i++)
        if (!sk_X509_push(untrusted, chain[i]->x509))
            goto done;
    if (!X509_STORE_CTX_init(ctx, t->store, chain[0]->x509, untrusted))
        goto done;
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)at);
    /* Any anchor ends a path, CA or pinned leaf, self-signed or not. */
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) != 1) {
        err = map_verify_error(X509_STORE_CTX_get_error(ctx));
        goto done;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    if ((err = check_path(path, purpose)) == MOBID_OK)
        err = path_window(path, from, until);
done:
    ERR_clear_error();
    sk_X509_free(untrusted); /* the certificates belong to the chain */
    X509_STORE_CTX_free(ctx);
    return err;
}

mobid_err mobid_trust_verify_chain(mobid_trust *t, mobid_cert *const *chain, size_t n,
                                   mobid_time at, mobid_cert_purpose purpose)
{
    if (!t || !chain || n == 0 || purpose < MOBID_PURPOSE_ANY || purpose > MOBID_PURPOSE_SIGNING)
        return MOBID_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!chain[i])
            return MOBID_ERR_INVALID_ARG;
    if (n > TRUST_MAX_CHAIN)
        return MOBID_ERR_UNTRUSTED_ISSUER;
    uint8_t key[32];
    cache_key(chain, n, purpose, key);
    if (cache_lookup(t, key, at))
        return MOBID_OK;
    mobid_time from = 0, until = 0;
    mobid_err err = build_path(t, chain, n, at, purpose, &from, &until);
    if (err == MOBID_OK)
        cache_insert(t, key, from, until);
    return err;
}
