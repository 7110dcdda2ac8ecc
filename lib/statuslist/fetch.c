/*
 * The verifier-side status list fetcher and its cache.
 *
 * A verifier has to get the list from the URI a credential names, and every
 * verifier (phone, bank server, kiosk) embeds the same policy, so it lives with the
 * format; the bytes come through the host's transport (opts.get), as the wallet's
 * do, so lib/ itself does no I/O. The policy stays here: which URIs a credential
 * may name, the size bound, the Accept header.
 * Tokens are verified before they enter the cache; the cache is bounded in
 * entries and bytes (least recently used first out) and keeps a token until the
 * earlier of fetch time + ttl and exp.
 */
#include "statuslist_int.h"

#include <string.h>
#include <strings.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS 15000L
#define DEFAULT_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
#define DEFAULT_CACHE_ENTRIES 64
#define DEFAULT_CACHE_BYTES ((size_t)256 * 1024 * 1024)
#define DEFAULT_TTL 300

typedef struct cache_entry {
    char *uri;
    mobid_statuslist_token *token;
    mobid_time expires;  /* first second at which the entry is stale */
    size_t bytes;        /* what the entry counts against cache_max_bytes */
    uint64_t last_used;  /* LRU clock */
} cache_entry;

typedef struct location_map {
    char *uri;
    char *location;
} location_map;

struct mobid_statuslist_fetcher {
    mobid_trust *trust; /* borrowed */
    mobid_statuslist_fetch_opts opts;
    mobid_statuslist_limits limits;
    bool has_limits;
    cache_entry *entries;
    size_t n_entries;
    location_map *maps;
    size_t n_maps;
    mobid_statuslist_token *lent; /* a token too big to cache, lent until the next call */
    uint64_t clock;
    mobid_statuslist_cache_stats stats;
    char *ca_file; /* owned copy of opts.ca_file */
};

static void apply_defaults(mobid_statuslist_fetch_opts *o)
{
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    if (!o->timeout_ms)
        o->timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!o->max_response)
        o->max_response = DEFAULT_MAX_RESPONSE;
    if (!o->cache_max_entries)
        o->cache_max_entries = DEFAULT_CACHE_ENTRIES;
    if (!o->cache_max_bytes)
        o->cache_max_bytes = DEFAULT_CACHE_BYTES;
    if (!o->default_ttl)
        o->default_ttl = DEFAULT_TTL;
}

mobid_err mobid_statuslist_fetcher_new(mobid_trust *trust, const mobid_statuslist_fetch_opts *opts,
                                       mobid_statuslist_fetcher **out)
{
    if (!trust || !out || !opts || !opts->get)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_statuslist_fetcher *f = mobid_calloc(1, sizeof *f);
    if (!f)
        return MOBID_ERR_NOMEM;
    f->trust = trust;
    if (opts)
        f->opts = *opts;
    apply_defaults(&f->opts);
    if (opts && opts->limits) {
        f->limits = *opts->limits;
        f->has_limits = true;
    }
    f->opts.limits = NULL; /* the copy above is what counts */
    f->opts.ca_file = NULL;
    if (opts && opts->ca_file && !(f->ca_file = mobid_view_strdup(mobid_view_str(opts->ca_file)))) {
        mobid_statuslist_fetcher_free(f);
        return MOBID_ERR_NOMEM;
    }
    f->opts.ca_file = f->ca_file;
    f->entries = mobid_calloc(f->opts.cache_max_entries, sizeof *f->entries);
    if (!f->entries) {
        mobid_statuslist_fetcher_free(f);
        return MOBID_ERR_NOMEM;
    }
    *out = f;
    return MOBID_OK;
}

static void entry_clear(cache_entry *e)
{
    mobid_free(e->uri);
    mobid_statuslist_token_free(e->token);
    memset(e, 0, sizeof *e);
}

void mobid_statuslist_fetcher_free(mobid_statuslist_fetcher *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_entries; i++)
        entry_clear(&f->entries[i]);
    for (size_t i = 0; i < f->n_maps; i++) {
        mobid_free(f->maps[i].uri);
        mobid_free(f->maps[i].location);
    }
    mobid_free(f->maps);
    mobid_free(f->entries);
    mobid_statuslist_token_free(f->lent);
    mobid_free(f->ca_file);
    mobid_free(f);
}

mobid_err mobid_statuslist_fetcher_map(mobid_statuslist_fetcher *f, const char *uri,
                                       const char *location)
{
    if (!f || !uri || !location)
        return MOBID_ERR_INVALID_ARG;
    location_map *m = mobid_realloc(f->maps, (f->n_maps + 1) * sizeof *m);
    if (!m)
        return MOBID_ERR_NOMEM;
    f->maps = m;
    m[f->n_maps].uri = mobid_view_strdup(mobid_view_str(uri));
    m[f->n_maps].location = mobid_view_strdup(mobid_view_str(location));
    if (!m[f->n_maps].uri || !m[f->n_maps].location) {
        mobid_free(m[f->n_maps].uri);
        mobid_free(m[f->n_maps].location);
        return MOBID_ERR_NOMEM;
    }
    f->n_maps++;
    return MOBID_OK;
}

void mobid_statuslist_fetcher_stats(const mobid_statuslist_fetcher *f,
                                    mobid_statuslist_cache_stats *out)
{
    if (f && out)
        *out = f->stats;
}

/* ---------------------------------------------------------------- transport */

static const char *accept_header(mobid_statuslist_format prefer)
{
    if (prefer == MOBID_STATUSLIST_CWT)
        return MOBID_STATUSLIST_CWT_MEDIA ", " MOBID_STATUSLIST_JWT_MEDIA ";q=0.9";
    return MOBID_STATUSLIST_JWT_MEDIA ", " MOBID_STATUSLIST_CWT_MEDIA ";q=0.9";
}

static bool has_scheme(const char *s);

/* One GET through the host's transport, bounded in size whatever the host does. Only
 * http, https and file URLs and local paths are asked for: a list is never read
 * through another scheme, whatever a credential names. */
static mobid_err fetch_url(mobid_statuslist_fetcher *f, const char *url, mobid_buf *body)
{
    if (has_scheme(url) && strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8) &&
        strncasecmp(url, "file://", 7))
        return MOBID_ERR_FETCH_FAILED;
    mobid_statuslist_get_req req = { url, accept_header(f->opts.prefer), f->opts.max_response,
                                      f->opts.connect_timeout_ms, f->opts.timeout_ms,
                                      f->opts.ca_file };
    mobid_err err = f->opts.get(f->opts.get_ctx, &req, body);
    if (!err && body->err)
        err = body->err;
    if (!err && body->len > f->opts.max_response)
        err = MOBID_ERR_TOO_BIG;
    return err;
}

static bool has_scheme(const char *s)
{
    const char *colon = strstr(s, "://");
    if (!colon || colon == s)
        return false;
    for (const char *p = s; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '+' || *p == '-' ||
              *p == '.' || (p > s && *p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* ------------------------------------------------------------------- cache */

static cache_entry *cache_find(mobid_statuslist_fetcher *f, const char *uri)
{
    for (size_t i = 0; i < f->n_entries; i++)
        if (!strcmp(f->entries[i].uri, uri))
            return &f->entries[i];
    return NULL;
}

static void cache_remove(mobid_statuslist_fetcher *f, cache_entry *e)
{
    f->stats.bytes -= e->bytes;
    f->stats.entries--;
    entry_clear(e);
    *e = f->entries[--f->n_entries];
    memset(&f->entries[f->n_entries], 0, sizeof *e);
}

/* Drop least recently used entries until one of `bytes` more fits. */
static void cache_make_room(mobid_statuslist_fetcher *f, size_t bytes)
{
    while (f->n_entries &&
           (f->n_entries >= f->opts.cache_max_entries ||
            f->stats.bytes + bytes > f->opts.cache_max_bytes)) {
        cache_entry *lru = &f->entries[0];
        for (size_t i = 1; i < f->n_entries; i++)
            if (f->entries[i].last_used < lru->last_used)
                lru = &f->entries[i];
        cache_remove(f, lru);
        f->stats.evictions++;
    }
}

/* Fresh until fetch time + ttl (default_ttl without one), and never past exp. */
static mobid_time expiry(const mobid_statuslist_fetcher *f, const mobid_statuslist_token *t,
                         mobid_time at)
{
    uint64_t ttl = t->has_ttl ? t->ttl : f->opts.default_ttl;
    if (ttl > (uint64_t)INT64_MAX / 2)
        ttl = (uint64_t)INT64_MAX / 2;
    mobid_time until = at + (mobid_time)ttl;
    if (t->has_exp && t->exp < until)
        until = t->exp;
    return until;
}

/* Cache t (taking it) or, when it can never fit, lend it until the next call. */
static const mobid_statuslist_token *cache_put(mobid_statuslist_fetcher *f, const char *uri,
                                               mobid_statuslist_token *t, mobid_time at)
{
    size_t bytes = mobid_statuslist_packed(t->list).len + strlen(uri) + strlen(t->sub) +
                   sizeof *t + 64;
    char *key = mobid_view_strdup(mobid_view_str(uri));
    if (!key || bytes > f->opts.cache_max_bytes) {
        mobid_free(key);
        f->lent = t;
        return t;
    }
    cache_make_room(f, bytes);
    cache_entry *e = &f->entries[f->n_entries++];
    e->uri = key;
    e->token = t;
    e->expires = expiry(f, t, at);
    e->bytes = bytes;
    e->last_used = ++f->clock;
    f->stats.entries++;
    f->stats.bytes += bytes;
    return t;
}

/* ------------------------------------------------------------------- fetch */

static const char *mapped_location(const mobid_statuslist_fetcher *f, const char *uri)
{
    for (size_t i = 0; i < f->n_maps; i++)
        if (!strcmp(f->maps[i].uri, uri))
            return f->maps[i].location;
    return NULL;
}

/* Get and verify the token for uri. Read directly from a local file or a file:
 * URL that the caller named as the uri itself, the subject cannot be the file's
 * name, so it is not compared; through a mapping it is compared with uri. */
static mobid_err fetch_verify(mobid_statuslist_fetcher *f, const char *uri, mobid_time at,
                              mobid_statuslist_token **out)
{
    const char *loc = mapped_location(f, uri);
    bool direct_local = !loc && (!has_scheme(uri) || !strncasecmp(uri, "file://", 7));
    if (!loc)
        loc = uri;
    mobid_buf body;
    mobid_buf_init(&body, f->opts.max_response);
    mobid_err err = fetch_url(f, loc, &body);
    if (err != MOBID_OK)
        goto done;
    mobid_statuslist_verify_params vp = { f->trust, at, direct_local ? NULL : uri,
                                          f->has_limits ? &f->limits : NULL };
    err = mobid_statuslist_token_verify(mobid_buf_view(&body), &vp, out);
done:
    mobid_buf_free(&body);
    return err;
}

mobid_err mobid_statuslist_fetch(mobid_statuslist_fetcher *f, const char *uri, mobid_time at,
                                 const mobid_statuslist_token **out)
{
    if (!f || !uri || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_statuslist_token_free(f->lent);
    f->lent = NULL;
    if (!at)
        at = mobid_now();
    cache_entry *e = cache_find(f, uri);
    if (e && at < e->expires) {
        f->stats.hits++;
        e->last_used = ++f->clock;
        *out = e->token;
        return MOBID_OK;
    }
    if (e)
        cache_remove(f, e); /* stale: fetch anew */
    f->stats.misses++;
    mobid_statuslist_token *t = NULL;
    mobid_err err = fetch_verify(f, uri, at, &t);
    if (err == MOBID_OK)
        *out = cache_put(f, uri, t, at);
    return err;
}

mobid_err mobid_statuslist_check(mobid_statuslist_fetcher *f, const mobid_status_ref *ref,
                                 mobid_time at, unsigned *value)
{
    if (!f)
        return MOBID_ERR_INVALID_ARG;
    if (!ref || !ref->uri || !value)
        return MOBID_ERR_INVALID_ARG;
    /* The reference comes from a credential, i.e. from anyone: it may name an
     * http(s) list, never a local file (unless the operator mapped it). */
    if (!mapped_location(f, ref->uri) && strncasecmp(ref->uri, "https://", 8) &&
        strncasecmp(ref->uri, "http://", 7))
        return MOBID_ERR_FETCH_FAILED;
    const mobid_statuslist_token *t = NULL;
    mobid_err err = mobid_statuslist_fetch(f, ref->uri, at, &t);
    if (err != MOBID_OK)
        return err;
    return mobid_statuslist_get(t->list, ref->idx, value);
}
