/* Certificates: parsing (DER, PEM, bundles), accessors, PEM export. */
#include "crypto_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Largest certificate or bundle accepted. */
#define CERT_MAX_INPUT ((size_t)4 * 1024 * 1024)

mobid_err mobid_crypto_cert_wrap(X509 *x, mobid_view der, mobid_cert **out)
{
    mobid_cert *c = mobid_calloc(1, sizeof *c);
    unsigned char *enc = NULL;
    int len = der.len ? (int)der.len : i2d_X509(x, &enc);
    uint8_t *copy = len > 0 ? mobid_malloc((size_t)len) : NULL;
    if (!c || !copy) {
        OPENSSL_free(enc);
        mobid_free(copy);
        mobid_free(c);
        X509_free(x);
        return len > 0 ? MOBID_ERR_NOMEM : MOBID_ERR_CERT_INVALID;
    }
    memcpy(copy, der.len ? der.ptr : enc, (size_t)len);
    OPENSSL_free(enc);
    uint8_t digest[MOBID_HASH_MAX];
    (void)mobid_hash(MOBID_HASH_SHA256, mobid_view_make(copy, (size_t)len), digest);
    memcpy(c->digest, digest, 32);
    atomic_init(&c->refs, 1);
    atomic_init(&c->key, NULL);
    c->x509 = x;
    c->der = copy;
    c->der_len = (size_t)len;
    *out = c;
    return MOBID_OK;
}

bool mobid_crypto_contains(mobid_view v, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; n && v.len >= n && i <= v.len - n; i++)
        if (v.ptr[i] == (uint8_t)s[0] && memcmp(v.ptr + i, s, n) == 0)
            return true;
    return false;
}

static bool is_pem(mobid_view v) { return mobid_crypto_contains(v, "-----BEGIN "); }

/* ---- parse cache: OpenSSL 3's d2i_X509 costs ~200 µs (its key decoder
 * machinery), while a verifier sees the same few DS and reader certificates in
 * every x5chain. Certificates are immutable, so a parsed one is shared by
 * reference; the cache holds one reference per slot. ---- */

#define PARSE_CACHE_SLOTS 64
#define PARSE_CACHE_MAX_DER 16384 /* larger certificates are parsed every time */

static mobid_cert *parse_cache[PARSE_CACHE_SLOTS];
static pthread_mutex_t parse_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static mobid_cert *parse_cache_get(mobid_view der, const uint8_t digest[32])
{
    mobid_cert *hit = NULL;
    pthread_mutex_lock(&parse_cache_lock);
    mobid_cert *c = parse_cache[digest[0] % PARSE_CACHE_SLOTS];
    if (c && c->der_len == der.len && memcmp(c->digest, digest, 32) == 0 &&
        memcmp(c->der, der.ptr, der.len) == 0)
        hit = mobid_cert_ref(c);
    pthread_mutex_unlock(&parse_cache_lock);
    return hit;
}

static void parse_cache_put(mobid_cert *c)
{
    pthread_mutex_lock(&parse_cache_lock);
    mobid_cert **slot = &parse_cache[c->digest[0] % PARSE_CACHE_SLOTS];
    mobid_cert *old = *slot;
    *slot = mobid_cert_ref(c);
    pthread_mutex_unlock(&parse_cache_lock);
    mobid_cert_free(old);
}

/* DER: the whole input must be one certificate, kept byte for byte. */
static mobid_err parse_der(mobid_view der, mobid_cert **out)
{
    uint8_t digest[MOBID_HASH_MAX];
    bool cacheable = der.len <= PARSE_CACHE_MAX_DER;
    if (cacheable) {
        (void)mobid_hash(MOBID_HASH_SHA256, der, digest);
        if ((*out = parse_cache_get(der, digest)) != NULL)
            return MOBID_OK;
    }
    const unsigned char *p = der.ptr;
    X509 *x = d2i_X509(NULL, &p, (long)der.len);
    if (!x || p != der.ptr + der.len) {
        X509_free(x);
        ERR_clear_error();
        return MOBID_ERR_CERT_INVALID;
    }
    mobid_err err = mobid_crypto_cert_wrap(x, der, out);
    if (err == MOBID_OK && cacheable)
        parse_cache_put(*out);
    return err;
}

mobid_err mobid_cert_parse(mobid_view in, mobid_cert **out)
{
    if (!out || !in.ptr || in.len == 0)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (in.len > CERT_MAX_INPUT)
        return MOBID_ERR_TOO_BIG;
    if (!is_pem(in))
        return parse_der(in, out);
    BIO *bio = BIO_new_mem_buf(in.ptr, (int)in.len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!x) {
        ERR_clear_error();
        return MOBID_ERR_CERT_INVALID;
    }
    return mobid_crypto_cert_wrap(x, mobid_view_make(NULL, 0), out);
}

void mobid_cert_list_free(mobid_cert **certs, size_t n)
{
    if (!certs)
        return;
    for (size_t i = 0; i < n; i++)
        mobid_cert_free(certs[i]);
    mobid_free(certs);
}

static mobid_err list_push(mobid_cert ***list, size_t *n, size_t *cap, X509 *x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        mobid_cert **grown = mobid_realloc(*list, nc * sizeof *grown);
        if (!grown) {
            X509_free(x);
            return MOBID_ERR_NOMEM;
        }
        *list = grown;
        *cap = nc;
    }
    mobid_err err = mobid_crypto_cert_wrap(x, mobid_view_make(NULL, 0), &(*list)[*n]);
    if (err == MOBID_OK)
        (*n)++;
    return err;
}

mobid_err mobid_cert_parse_all(mobid_view pem, mobid_cert ***out, size_t *n)
{
    if (!out || !n || !pem.ptr || pem.len == 0)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    *n = 0;
    if (pem.len > CERT_MAX_INPUT)
        return MOBID_ERR_TOO_BIG;
    mobid_cert **list = NULL;
    size_t count = 0, cap = 0;
    mobid_err err = MOBID_OK;
    BIO *bio = NULL;
    if (!is_pem(pem)) {
        if (!(list = mobid_calloc(1, sizeof *list)))
            err = MOBID_ERR_NOMEM;
        else if ((err = parse_der(pem, &list[0])) == MOBID_OK)
            count = 1;
        goto done;
    }
    if (!(bio = BIO_new_mem_buf(pem.ptr, (int)pem.len))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    X509 *x;
    while (err == MOBID_OK && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        err = list_push(&list, &count, &cap, x);
    /* The end of the bundle reads as "no start line"; anything else is a
     * damaged certificate, which must not silently shorten a list of anchors. */
    unsigned long e = ERR_peek_last_error();
    if (err == MOBID_OK && (count == 0 || (e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)))
        err = MOBID_ERR_CERT_INVALID;
    ERR_clear_error();
done:
    BIO_free(bio);
    if (err != MOBID_OK) {
        mobid_cert_list_free(list, count);
        return err;
    }
    *out = list;
    *n = count;
    return MOBID_OK;
}

void mobid_cert_free(mobid_cert *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    mobid_key_free(atomic_load(&c->key));
    X509_free(c->x509);
    mobid_free(c->der);
    mobid_free(c);
}

mobid_cert *mobid_cert_ref(mobid_cert *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

mobid_view mobid_cert_der(const mobid_cert *c)
{
    return c ? mobid_view_make(c->der, c->der_len) : mobid_view_make(NULL, 0);
}

/* The key is built on first use and kept: a DS certificate's key is asked for on
 * every verification of a credential it signed. */
mobid_err mobid_cert_public_key(const mobid_cert *c, mobid_key **out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_cert *mc = (mobid_cert *)c; /* the cache is invisible to callers */
    mobid_key *k = atomic_load(&mc->key);
    if (!k) {
        EVP_PKEY *pk = X509_get0_pubkey(c->x509);
        if (!pk) {
            ERR_clear_error();
            return MOBID_ERR_KEY_INVALID;
        }
        mobid_err err = mobid_crypto_key_from_evp(pk, &k);
        if (err != MOBID_OK)
            return err;
        mobid_key *expected = NULL;
        if (!atomic_compare_exchange_strong(&mc->key, &expected, k)) {
            mobid_key_free(k); /* another thread won the race */
            k = expected;
        }
    }
    *out = mobid_key_ref(k);
    return MOBID_OK;
}

static mobid_err name_text(const X509_NAME *name, mobid_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    mobid_err err = MOBID_ERR_NOMEM;
    char *data = NULL;
    if (!bio)
        return err;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        long len = BIO_get_mem_data(bio, &data);
        err = len >= 0 ? mobid_buf_append(out, data, (size_t)len) : MOBID_ERR_CRYPTO;
    } else {
        err = MOBID_ERR_CERT_INVALID;
    }
    BIO_free(bio);
    return err;
}

mobid_err mobid_cert_subject(const mobid_cert *c, mobid_buf *out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    return name_text(X509_get_subject_name(c->x509), out);
}

mobid_err mobid_cert_issuer(const mobid_cert *c, mobid_buf *out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    return name_text(X509_get_issuer_name(c->x509), out);
}

mobid_err mobid_crypto_asn1_time(const ASN1_TIME *t, mobid_time *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return MOBID_ERR_CERT_INVALID;
    int64_t days = mobid_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                                         (unsigned)tm.tm_mday);
    *out = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return MOBID_OK;
}

void mobid_cert_validity(const mobid_cert *c, mobid_time *not_before, mobid_time *not_after)
{
    mobid_time nb = 0, na = 0;
    if (c) {
        (void)mobid_crypto_asn1_time(X509_get0_notBefore(c->x509), &nb);
        (void)mobid_crypto_asn1_time(X509_get0_notAfter(c->x509), &na);
    }
    if (not_before)
        *not_before = nb;
    if (not_after)
        *not_after = na;
}

/* Append a DNS or URI name as a heap string. */
static mobid_err san_push(char ***vals, size_t *n, const ASN1_IA5STRING *s)
{
    char **grown = mobid_realloc(*vals, (*n + 1) * sizeof *grown);
    if (!grown)
        return MOBID_ERR_NOMEM;
    *vals = grown;
    char *v = mobid_malloc((size_t)s->length + 1);
    if (!v)
        return MOBID_ERR_NOMEM;
    memcpy(v, s->data, (size_t)s->length);
    v[s->length] = 0;
    grown[(*n)++] = v;
    return MOBID_OK;
}

mobid_err mobid_cert_san(const mobid_cert *c, char ***values, size_t *n)
{
    if (!c || !values || !n)
        return MOBID_ERR_INVALID_ARG;
    *values = NULL;
    *n = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(c->x509, NID_subject_alt_name, NULL, NULL);
    mobid_err err = MOBID_OK;
    for (int i = 0; names && err == MOBID_OK && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_DNS || g->type == GEN_URI)
            err = san_push(values, n, g->type == GEN_DNS ? g->d.dNSName : g->d.uniformResourceIdentifier);
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    if (err != MOBID_OK) {
        for (size_t i = 0; i < *n; i++)
            free((*values)[i]);
        free(*values);
        *values = NULL;
        *n = 0;
    }
    return err;
}

mobid_err mobid_cert_to_pem(const mobid_cert *c, mobid_buf *out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf b64;
    mobid_buf_init(&b64, 0);
    mobid_err err = mobid_b64_encode(mobid_view_make(c->der, c->der_len), &b64);
    mobid_buf_append_str(out, "-----BEGIN CERTIFICATE-----\n");
    for (size_t i = 0; err == MOBID_OK && i < b64.len; i += 64) {
        mobid_buf_append(out, b64.ptr + i, b64.len - i < 64 ? b64.len - i : 64);
        mobid_buf_append_byte(out, '\n');
    }
    mobid_buf_append_str(out, "-----END CERTIFICATE-----\n");
    mobid_buf_free(&b64);
    return err != MOBID_OK ? err : out->err;
}

mobid_err mobid_cert_ski(const mobid_cert *c, mobid_buf *out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c->x509);
    ERR_clear_error();
    if (!ski)
        return MOBID_ERR_NOT_FOUND;
    return mobid_buf_append(out, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski));
}

mobid_err mobid_cert_serial(const mobid_cert *c, mobid_buf *out)
{
    if (!c || !out)
        return MOBID_ERR_INVALID_ARG;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c->x509), NULL);
    int n = bn ? BN_num_bytes(bn) : -1;
    mobid_err err = n < 0 ? MOBID_ERR_CERT_INVALID : mobid_buf_reserve(out, (size_t)n);
    if (err == MOBID_OK) {
        BN_bn2bin(bn, out->ptr + out->len);
        out->len += (size_t)n;
    }
    BN_free(bn);
    return err;
}
