/*
 * SD-JWT VC issuer metadata: an issuer trusted by its identifier publishes its
 * keys at /.well-known/jwt-vc-issuer (inserted between host and path). The
 * verifier fetches that document through a transport the caller lends (the
 * library does no I/O), checks that it names the same issuer, and keeps the
 * JWK Set for a TTL; documents are size-limited so a hostile issuer cannot
 * make the verifier hold megabytes.
 */
#include "sdjwt_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WELL_KNOWN "/.well-known/jwt-vc-issuer"

typedef struct meta_entry {
    char *issuer;
    json_t *jwks;          /* the JWK Set */
    mobid_time fetched_at;
} meta_entry;

struct mobid_sdjwt_issuer_cache {
    mobid_sdjwt_issuer_cache_opts o;
    pthread_mutex_t lock;
    meta_entry *e;
    size_t n;
    size_t next;           /* slot replaced next when full (round robin) */
    unsigned long fetches, hits;
};

mobid_err sdjwt_say(char *detail, size_t len, mobid_err err, const char *fmt, ...)
{
    va_list ap;
    if (!detail || !len)
        return err;
    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
    return err;
}

mobid_err mobid_sdjwt_issuer_metadata_url(const char *issuer, mobid_buf *out)
{
    if (!issuer || !out)
        return MOBID_ERR_INVALID_ARG;
    size_t scheme = !strncmp(issuer, "https://", 8) ? 8 : !strncmp(issuer, "http://", 7) ? 7 : 0;
    if (!scheme || strpbrk(issuer, "?#") || !issuer[scheme] || issuer[scheme] == '/')
        return MOBID_ERR_INVALID_ARG;
    const char *path = strchr(issuer + scheme, '/');
    size_t host_end = path ? (size_t)(path - issuer) : strlen(issuer);
    mobid_buf_append(out, issuer, host_end);
    mobid_buf_append_str(out, WELL_KNOWN);
    if (path && strcmp(path, "/"))
        mobid_buf_append_str(out, path);
    return mobid_buf_terminate(out);
}

/* {"keys":[...]} with at least one key. */
static bool is_jwk_set(const json_t *j)
{
    const json_t *keys = json_object_get(j, "keys");
    return json_is_array(keys) && json_array_size(keys) > 0;
}

mobid_err mobid_sdjwt_issuer_metadata_check(mobid_view text, const char *issuer, json_t **jwks)
{
    json_t *doc = NULL;
    if (!issuer || !jwks)
        return MOBID_ERR_INVALID_ARG;
    *jwks = NULL;
    mobid_err err = mobid_json_parse(text, 0, &doc);
    const char *named = json_string_value(json_object_get(doc, "issuer"));
    json_t *set = json_object_get(doc, "jwks");
    if (err != MOBID_OK || !json_is_object(doc) || !named || strcmp(named, issuer) ||
        !is_jwk_set(set))
        err = MOBID_ERR_ISSUER_METADATA_INVALID;
    else
        *jwks = json_incref(set);
    json_decref(doc);
    return err;
}

mobid_err mobid_sdjwt_issuer_cache_new(const mobid_sdjwt_issuer_cache_opts *o,
                                       mobid_sdjwt_issuer_cache **out)
{
    if (!o || !o->fetch || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_sdjwt_issuer_cache *c = mobid_calloc(1, sizeof *c);
    if (!c)
        return MOBID_ERR_NOMEM;
    c->o = *o;
    c->o.ttl = o->ttl > 0 ? o->ttl : 300;
    c->o.max_bytes = o->max_bytes ? o->max_bytes : 64 * 1024;
    c->o.capacity = o->capacity ? o->capacity : 64;
    if (!(c->e = mobid_calloc(c->o.capacity, sizeof *c->e))) {
        mobid_free(c);
        return MOBID_ERR_NOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return MOBID_OK;
}

static void entry_clear(meta_entry *e)
{
    mobid_free(e->issuer);
    json_decref(e->jwks);
    memset(e, 0, sizeof *e);
}

void mobid_sdjwt_issuer_cache_free(mobid_sdjwt_issuer_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_clear(&c->e[i]);
    mobid_free(c->e);
    pthread_mutex_destroy(&c->lock);
    mobid_free(c);
}

void mobid_sdjwt_issuer_cache_stats(mobid_sdjwt_issuer_cache *c, unsigned long *fetches,
                                    unsigned long *hits)
{
    if (fetches)
        *fetches = c ? c->fetches : 0;
    if (hits)
        *hits = c ? c->hits : 0;
}

/* A fresh document kept under key (an issuer; "vct " + a type) from the cache (new
 * reference), or NULL. */
json_t *sdjwt_cache_get(mobid_sdjwt_issuer_cache *c, const char *issuer, mobid_time now)
{
    json_t *set = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n && !set; i++)
        if (!strcmp(c->e[i].issuer, issuer) && now >= c->e[i].fetched_at &&
            now - c->e[i].fetched_at < c->o.ttl)
            set = json_incref(c->e[i].jwks);
    c->hits += set != NULL;
    pthread_mutex_unlock(&c->lock);
    return set;
}

void sdjwt_cache_put(mobid_sdjwt_issuer_cache *c, const char *issuer, json_t *set,
                     mobid_time now)
{
    char *name = mobid_view_strdup(mobid_view_str(issuer));
    if (!name)
        return; /* not cached: the next verification fetches again */
    pthread_mutex_lock(&c->lock);
    meta_entry *e = NULL;
    for (size_t i = 0; i < c->n && !e; i++)
        if (!strcmp(c->e[i].issuer, issuer))
            e = &c->e[i];
    if (!e && c->n < c->o.capacity)
        e = &c->e[c->n++];
    if (!e) {
        e = &c->e[c->next];
        c->next = (c->next + 1) % c->o.capacity;
    }
    entry_clear(e);
    e->issuer = name;
    e->jwks = json_incref(set);
    e->fetched_at = now;
    pthread_mutex_unlock(&c->lock);
}

void sdjwt_cache_count_fetch(mobid_sdjwt_issuer_cache *c)
{
    pthread_mutex_lock(&c->lock);
    c->fetches++;
    pthread_mutex_unlock(&c->lock);
}

mobid_err sdjwt_cache_fetch(mobid_sdjwt_issuer_cache *c, const char *url, mobid_buf *body,
                           char *detail, size_t len)
{
    mobid_buf_init(body, c->o.max_bytes + 1);
    mobid_err err = c->o.fetch(c->o.ctx, url, c->o.max_bytes, body);
    if (err == MOBID_OK && body->len > c->o.max_bytes)
        err = MOBID_ERR_TOO_BIG;
    if (err != MOBID_OK)
        return sdjwt_say(detail, len, err == MOBID_ERR_TOO_BIG ? err : MOBID_ERR_FETCH_FAILED,
                   "%s: %s", url, mobid_strerror(err));
    return MOBID_OK;
}

/* The metadata's JWK Set, following jwks_uri when the document has no jwks. */
static mobid_err fetch_set(mobid_sdjwt_issuer_cache *c, const char *issuer, json_t **set,
                           char *detail, size_t len)
{
    mobid_buf url, body;
    json_t *doc = NULL;
    mobid_buf_init(&url, 0);
    mobid_err err = mobid_sdjwt_issuer_metadata_url(issuer, &url);
    if (err != MOBID_OK) {
        mobid_buf_free(&url);
        return sdjwt_say(detail, len, MOBID_ERR_ISSUER_METADATA_INVALID,
                   "issuer %s is not an https URL", issuer);
    }
    sdjwt_cache_count_fetch(c);
    err = sdjwt_cache_fetch(c, (const char *)url.ptr, &body, detail, len);
    if (err == MOBID_OK && (err = mobid_sdjwt_issuer_metadata_check(mobid_buf_view(&body), issuer,
                                                                    set)) != MOBID_OK &&
        mobid_json_parse(mobid_buf_view(&body), 0, &doc) == MOBID_OK &&
        json_is_string(json_object_get(doc, "jwks_uri")) &&
        json_is_string(json_object_get(doc, "issuer")) &&
        !strcmp(json_string_value(json_object_get(doc, "issuer")), issuer)) {
        mobid_buf_free(&body);
        err = sdjwt_cache_fetch(c, json_string_value(json_object_get(doc, "jwks_uri")), &body,
                                detail, len);
        if (err == MOBID_OK && mobid_json_parse(mobid_buf_view(&body), 0, set) == MOBID_OK &&
            is_jwk_set(*set))
            err = MOBID_OK;
        else if (err == MOBID_OK)
            err = MOBID_ERR_ISSUER_METADATA_INVALID;
    }
    if (err == MOBID_ERR_ISSUER_METADATA_INVALID)
        sdjwt_say(detail, len, err, "metadata at %s does not name issuer %s with keys",
            (const char *)url.ptr, issuer);
    if (err != MOBID_OK) {
        json_decref(*set);
        *set = NULL;
    }
    json_decref(doc);
    mobid_buf_free(&body);
    mobid_buf_free(&url);
    return err;
}

/* The key named kid in a JWK Set (the only key when kid is empty). */
static mobid_err pick_key(const json_t *set, const char *kid, mobid_key **out)
{
    const json_t *keys = json_object_get(set, "keys"), *k, *found = NULL;
    size_t i;
    if (!kid || !*kid)
        found = json_array_size(keys) == 1 ? json_array_get(keys, 0) : NULL;
    json_array_foreach (keys, i, k) {
        const char *id = json_string_value(json_object_get(k, "kid"));
        if (kid && *kid && id && !strcmp(id, kid))
            found = k;
    }
    if (!found || mobid_jwk_to_key(found, out) != MOBID_OK)
        return MOBID_ERR_ISSUER_METADATA_INVALID;
    return MOBID_OK;
}

mobid_err mobid_sdjwt_issuer_key(mobid_sdjwt_issuer_cache *c, const char *issuer,
                                 const char *kid, mobid_time now, mobid_key **out,
                                 char *detail, size_t detail_len)
{
    if (!c || !issuer || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    json_t *set = sdjwt_cache_get(c, issuer, now);
    bool fetched = !set;
    mobid_err err = set ? MOBID_OK : fetch_set(c, issuer, &set, detail, detail_len);
    if (err == MOBID_OK && fetched)
        sdjwt_cache_put(c, issuer, set, now);
    if (err == MOBID_OK && (err = pick_key(set, kid, out)) != MOBID_OK)
        sdjwt_say(detail, detail_len, err, "issuer %s publishes no key %s", issuer,
            kid && *kid ? kid : "(one key expected without a kid)");
    json_decref(set);
    return err;
}
