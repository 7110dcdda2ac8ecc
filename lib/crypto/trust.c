/* Trust sets and certificate path validation at a pinned time, with a bounded
 * cache of successful validations (a DS chain repeats in every credential it
 * signed, so after the first path build a verification costs a hash lookup).
 * Anchors may be restricted to mdoc docTypes (VICAL entries); the profile
 * checks under the set's policy are in trust_policy.c. */
#include "crypto_internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define TRUST_CACHE_SLOTS 256
#define TRUST_MAX_CHAIN 16
/* Signed objects that repeat are few per set (a relying party's registration per
 * party the wallet meets): a small memo is enough, and its bound keeps unique
 * objects from growing it. */
#define TRUST_SIG_SLOTS 64

typedef struct cache_entry {
    bool used;
    uint8_t key[32];    /* SHA-256 over purpose and the chain's DER */
    mobid_time from;    /* the window where every certificate of the built path */
    mobid_time until;   /* is valid: the result holds for any time inside it */
    unsigned warnings;  /* what the policy let through */
    size_t anchor;      /* index of the anchor that ends the path */
} cache_entry;

/* An anchor and the mdoc docTypes it may sign for (a VICAL entry's list). */
typedef struct anchor {
    mobid_cert *cert;
    char **doctypes;
    size_t n_doctypes;  /* 0 with any_doctype false cannot happen */
    bool any_doctype;
} anchor;

struct mobid_trust {
    pthread_mutex_t lock; /* guards the cache */
    anchor *anchors;
    size_t n, cap;
    X509_STORE *store;
    mobid_trust_policy policy;
    char **issuers;       /* SD-JWT VC issuer identifiers */
    size_t n_issuers;
    cache_entry cache[TRUST_CACHE_SLOTS];
    unsigned long hits, builds;
    uint8_t sigs[TRUST_SIG_SLOTS][32]; /* memo of verified signatures (digests) */
    bool sig_used[TRUST_SIG_SLOTS];
    unsigned long sig_hits;
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
    for (size_t i = 0; i < t->n; i++) {
        mobid_cert_free(t->anchors[i].cert);
        for (size_t j = 0; j < t->anchors[i].n_doctypes; j++)
            mobid_free(t->anchors[i].doctypes[j]);
        mobid_free(t->anchors[i].doctypes);
    }
    mobid_free(t->anchors);
    for (size_t i = 0; i < t->n_issuers; i++)
        mobid_free(t->issuers[i]);
    mobid_free(t->issuers);
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

mobid_err mobid_trust_set_policy(mobid_trust *t, mobid_trust_policy p)
{
    if (!t || p < MOBID_TRUST_DEFAULT || p > MOBID_TRUST_STRICT)
        return MOBID_ERR_INVALID_ARG;
    t->policy = p;
    cache_clear(t);
    return MOBID_OK;
}

mobid_trust_policy mobid_trust_get_policy(const mobid_trust *t)
{
    return t ? t->policy : MOBID_TRUST_DEFAULT;
}

static anchor *find_anchor(const mobid_trust *t, const mobid_cert *c, size_t *index)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->anchors[i].cert == c || !memcmp(t->anchors[i].cert->digest, c->digest, 32)) {
            if (index)
                *index = i;
            return &t->anchors[i];
        }
    return NULL;
}

/* A new anchor slot holding a reference to cert, its certificate in the store. */
static mobid_err anchor_append(mobid_trust *t, mobid_cert *cert, anchor **out)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        anchor *grown = mobid_realloc(t->anchors, nc * sizeof *grown);
        if (!grown)
            return MOBID_ERR_NOMEM;
        t->anchors = grown;
        t->cap = nc;
    }
    if (X509_STORE_add_cert(t->store, cert->x509) != 1) {
        /* Adding an anchor twice is harmless; anything else is not. */
        unsigned long e = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
            return MOBID_ERR_NOMEM;
    }
    *out = &t->anchors[t->n++];
    memset(*out, 0, sizeof **out);
    (*out)->cert = mobid_cert_ref(cert);
    (*out)->any_doctype = true;
    return MOBID_OK;
}

/* Add docTypes to an anchor's list (a list replaces "any" only on a new anchor). */
static mobid_err anchor_restrict(anchor *a, bool fresh, const mobid_view *doctypes, size_t n)
{
    if (!fresh && a->any_doctype)
        return MOBID_OK;
    char **grown = mobid_realloc(a->doctypes, (a->n_doctypes + n) * sizeof *grown);
    if (!grown)
        return MOBID_ERR_NOMEM;
    a->doctypes = grown;
    for (size_t i = 0; i < n; i++) {
        if (!(a->doctypes[a->n_doctypes] = mobid_view_strdup(doctypes[i])))
            return MOBID_ERR_NOMEM;
        a->n_doctypes++;
    }
    a->any_doctype = false;
    return MOBID_OK;
}

mobid_err mobid_trust_add_for_doctypes(mobid_trust *t, mobid_cert *cert,
                                       const mobid_view *doctypes, size_t n)
{
    if (!t || !cert || (n && !doctypes))
        return MOBID_ERR_INVALID_ARG;
    anchor *a = find_anchor(t, cert, NULL);
    bool fresh = !a;
    mobid_err err = MOBID_OK;
    if (fresh)
        err = anchor_append(t, cert, &a);
    if (err == MOBID_OK && n == 0)
        a->any_doctype = true; /* named without a list: trusted for any docType */
    else if (err == MOBID_OK)
        err = anchor_restrict(a, fresh, doctypes, n);
    cache_clear(t);
    return err;
}

mobid_err mobid_trust_add(mobid_trust *t, mobid_cert *cert)
{
    return mobid_trust_add_for_doctypes(t, cert, NULL, 0);
}

mobid_cert *mobid_trust_anchor(const mobid_trust *t, size_t i, size_t *doctypes)
{
    if (!t || i >= t->n)
        return NULL;
    if (doctypes)
        *doctypes = t->anchors[i].any_doctype ? 0 : t->anchors[i].n_doctypes;
    return t->anchors[i].cert;
}

mobid_err mobid_trust_add_issuer(mobid_trust *t, const char *issuer)
{
    if (!t || !issuer || !*issuer)
        return MOBID_ERR_INVALID_ARG;
    if (mobid_trust_has_issuer(t, issuer))
        return MOBID_OK;
    char **grown = mobid_realloc(t->issuers, (t->n_issuers + 1) * sizeof *grown);
    if (!grown)
        return MOBID_ERR_NOMEM;
    t->issuers = grown;
    if (!(t->issuers[t->n_issuers] = mobid_view_strdup(mobid_view_str(issuer))))
        return MOBID_ERR_NOMEM;
    t->n_issuers++;
    return MOBID_OK;
}

bool mobid_trust_has_issuer(const mobid_trust *t, const char *issuer)
{
    for (size_t i = 0; t && issuer && i < t->n_issuers; i++)
        if (!strcmp(t->issuers[i], issuer))
            return true;
    return false;
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

/* On a hit, *found receives the cached outcome (warnings, anchor). */
static bool cache_lookup(mobid_trust *t, const uint8_t key[32], mobid_time at,
                         cache_entry *found)
{
    bool hit = false;
    size_t b = cache_bucket(key);
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < TRUST_CACHE_PROBE && !hit; i++) {
        const cache_entry *e = &t->cache[(b + i) % TRUST_CACHE_SLOTS];
        hit = e->used && at >= e->from && at <= e->until && memcmp(e->key, key, 32) == 0;
        if (hit)
            *found = *e;
    }
    if (hit)
        t->hits++;
    else
        t->builds++;
    pthread_mutex_unlock(&t->lock);
    return hit;
}

/* Insert into the key's own slot, a free one, or evict the bucket's first. */
static void cache_insert(mobid_trust *t, const cache_entry *fresh)
{
    const uint8_t *key = fresh->key;
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
    *e = *fresh;
    e->used = true;
    pthread_mutex_unlock(&t->lock);
}

/* ---- the memo of verified signatures ---- */

static size_t sig_slot(const uint8_t digest[32])
{
    return ((size_t)digest[0] | (size_t)digest[1] << 8) % TRUST_SIG_SLOTS;
}

bool mobid_trust_sig_known(mobid_trust *t, const uint8_t digest[32])
{
    if (!t || !digest)
        return false;
    size_t i = sig_slot(digest);
    pthread_mutex_lock(&t->lock);
    bool known = t->sig_used[i] && memcmp(t->sigs[i], digest, 32) == 0;
    if (known)
        t->sig_hits++;
    pthread_mutex_unlock(&t->lock);
    return known;
}

void mobid_trust_sig_remember(mobid_trust *t, const uint8_t digest[32])
{
    if (!t || !digest)
        return;
    size_t i = sig_slot(digest);
    pthread_mutex_lock(&t->lock);
    memcpy(t->sigs[i], digest, 32);
    t->sig_used[i] = true;
    pthread_mutex_unlock(&t->lock);
}

unsigned long mobid_trust_sig_hits(mobid_trust *t)
{
    if (!t)
        return 0;
    pthread_mutex_lock(&t->lock);
    unsigned long n = t->sig_hits;
    pthread_mutex_unlock(&t->lock);
    return n;
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

/* The anchor the built path ends with (OpenSSL hands back the store's own
 * certificate objects, which are the anchors'). */
static bool path_anchor(const mobid_trust *t, STACK_OF(X509) *path, size_t *index)
{
    X509 *top = sk_X509_value(path, sk_X509_num(path) - 1);
    for (size_t i = 0; i < t->n; i++)
        if (t->anchors[i].cert->x509 == top || X509_cmp(t->anchors[i].cert->x509, top) == 0) {
            *index = i;
            return true;
        }
    return false;
}

/* Build and check the path with OpenSSL; on success fill e (window, warnings,
 * anchor). */
static mobid_err build_path(mobid_trust *t, mobid_cert *const *chain, size_t n, mobid_time at,
                            mobid_cert_purpose purpose, cache_entry *e)
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
    bool pinned = find_anchor(t, chain[0], NULL) != NULL;
    err = path_anchor(t, path, &e->anchor) ? MOBID_OK : MOBID_ERR_UNTRUSTED_ISSUER;
    if (err == MOBID_OK)
        err = mobid_crypto_check_path(path, purpose, t->policy, pinned, &e->warnings);
    if (err == MOBID_OK)
        err = path_window(path, &e->from, &e->until);
done:
    ERR_clear_error();
    sk_X509_free(untrusted); /* the certificates belong to the chain */
    X509_STORE_CTX_free(ctx);
    return err;
}

static bool anchor_allows(const anchor *a, mobid_view doctype)
{
    if (a->any_doctype || !doctype.len)
        return true;
    for (size_t i = 0; i < a->n_doctypes; i++)
        if (mobid_view_eq_str(doctype, a->doctypes[i]))
            return true;
    return false;
}

mobid_err mobid_trust_verify_chain_ex(mobid_trust *t, mobid_cert *const *chain, size_t n,
                                      mobid_time at, mobid_cert_purpose purpose,
                                      mobid_view doctype, unsigned *warnings)
{
    if (warnings)
        *warnings = 0;
    if (!t || !chain || n == 0 || purpose < MOBID_PURPOSE_ANY || purpose > MOBID_PURPOSE_REGISTRAR)
        return MOBID_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!chain[i])
            return MOBID_ERR_INVALID_ARG;
    if (n > TRUST_MAX_CHAIN)
        return MOBID_ERR_UNTRUSTED_ISSUER;
    cache_entry e;
    memset(&e, 0, sizeof e);
    cache_key(chain, n, purpose, e.key);
    if (!cache_lookup(t, e.key, at, &e)) {
        mobid_err err = build_path(t, chain, n, at, purpose, &e);
        if (err != MOBID_OK)
            return err;
        cache_insert(t, &e);
    }
    if (!anchor_allows(&t->anchors[e.anchor], doctype))
        return MOBID_ERR_DOCTYPE_NOT_ALLOWED;
    if (warnings)
        *warnings = e.warnings;
    return MOBID_OK;
}

mobid_err mobid_trust_verify_chain(mobid_trust *t, mobid_cert *const *chain, size_t n,
                                   mobid_time at, mobid_cert_purpose purpose)
{
    return mobid_trust_verify_chain_ex(t, chain, n, at, purpose, mobid_view_make(NULL, 0), NULL);
}
