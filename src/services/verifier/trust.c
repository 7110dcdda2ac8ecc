/*
 * What the verifier trusts, built by mobid_trust_build from its configuration:
 * "trust_anchors" (IACAs, pinned signers), "vicals" checked against
 * "vical_anchors", "trusted_issuers" (SD-JWT VC issuers trusted by identifier,
 * keys from their metadata) and "trust_policy".
 *
 * A VICAL with a "url" is fetched again once its nextUpdate has passed. The new
 * list must verify on its own before it replaces the old one; when a fetch or
 * the check fails the last good list stays in force (even past its nextUpdate:
 * refusing every foreign card because AAMVA's server was down for an hour would
 * be worse) and the fetch is retried a minute later. Each rebuild is a new
 * immutable snapshot; a verification holds a reference to the snapshot it
 * started with, so a swap never pulls a trust set from under it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/trust.h>
#include "http/client.h"
#include "http/resource.h"
#include "services/verifier/verifier.h"

#define RETRY_AFTER 60           /* seconds between failed refresh attempts */
#define NO_NEXT_UPDATE 86400     /* recheck a list without nextUpdate daily */

typedef struct vical_src {
    char *url;                   /* NULL: never fetched */
    mobid_buf bytes;             /* the last good list */
    bool has_next;
    mobid_time next_update;
} vical_src;

struct verifier_trust_state {
    mobid_buf *anchors, *vanchors;
    size_t n_anchors, n_vanchors;
    vical_src *vicals;
    size_t n_vicals;
    char **issuers;
    size_t n_issuers;
    mobid_trust_policy policy;
    pthread_mutex_t lock;        /* guards live and the refresh bookkeeping */
    verifier_trustset *live;
    bool refreshing;
    mobid_time last_attempt;
};

/* ---- building a snapshot ---- */

static void views_of(const mobid_buf *b, size_t n, mobid_view *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = mobid_buf_view(&b[i]);
}

static mobid_err build(const verifier_trust_state *st, mobid_trust **out)
{
    size_t n = st->n_anchors + st->n_vanchors + st->n_vicals;
    mobid_view *v = calloc(n + 1, sizeof *v);
    char detail[256] = "";
    if (!v)
        return MOBID_ERR_NOMEM;
    views_of(st->anchors, st->n_anchors, v);
    views_of(st->vanchors, st->n_vanchors, v + st->n_anchors);
    for (size_t i = 0; i < st->n_vicals; i++)
        v[st->n_anchors + st->n_vanchors + i] = mobid_buf_view(&st->vicals[i].bytes);
    mobid_trust_config c = { .anchors = v, .n_anchors = st->n_anchors,
                             .vical_anchors = v + st->n_anchors, .n_vical_anchors = st->n_vanchors,
                             .vicals = v + st->n_anchors + st->n_vanchors,
                             .n_vicals = st->n_vicals, .issuers = (const char *const *)st->issuers,
                             .n_issuers = st->n_issuers, .policy = st->policy,
                             .allow_stale_vicals = true };
    mobid_err err = mobid_trust_build(&c, out, detail, sizeof detail);
    if (err != MOBID_OK)
        fprintf(stderr, "verifier: trust: %s (%s)\n", detail, mobid_svc_err_name(err));
    free(v);
    return err;
}

static mobid_err snapshot_new(const verifier_trust_state *st, verifier_trustset **out)
{
    verifier_trustset *ts = calloc(1, sizeof *ts);
    mobid_err err = ts ? build(st, &ts->trust) : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = mobid_mdoc_verifier_new(ts->trust, &ts->mdoc);
    if (err == MOBID_OK)
        err = mobid_sdjwt_key_cache_new(0, 0, &ts->sdjwt_cache);
    if (err != MOBID_OK && ts) {
        mobid_mdoc_verifier_free(ts->mdoc);
        mobid_trust_free(ts->trust);
        free(ts);
        ts = NULL;
    }
    if (ts)
        ts->refs = 1;
    *out = ts;
    return err;
}

static void snapshot_unref(verifier_trustset *ts)
{
    if (!ts || --ts->refs > 0)
        return;
    mobid_sdjwt_key_cache_free(ts->sdjwt_cache);
    mobid_mdoc_verifier_free(ts->mdoc);
    mobid_trust_free(ts->trust);
    free(ts);
}

/* ---- VICAL refresh ---- */

/* Read a list's dates (it verified when the snapshot was built). */
static void note_dates(vical_src *src)
{
    mobid_vical v;
    if (mobid_vical_parse(mobid_buf_view(&src->bytes), &v) == MOBID_OK) {
        src->has_next = v.has_next_update;
        src->next_update = v.next_update;
    }
    mobid_vical_clear(&v);
}

/* A fetched list replaces the old one only if it verifies now, fresh, on its own. */
static mobid_err check_fetched(const verifier_trust_state *st, mobid_view list, mobid_time now)
{
    mobid_trust *roots = NULL;
    mobid_vical v;
    char detail[192] = "";
    mobid_view *views = calloc(st->n_vanchors + 1, sizeof *views);
    mobid_err err = views ? MOBID_OK : MOBID_ERR_NOMEM;
    memset(&v, 0, sizeof v);
    if (err == MOBID_OK) {
        views_of(st->vanchors, st->n_vanchors, views);
        mobid_trust_config c = { .anchors = views, .n_anchors = st->n_vanchors };
        err = mobid_trust_build(&c, &roots, detail, sizeof detail);
    }
    free(views);
    if (err == MOBID_OK && (err = mobid_vical_parse(list, &v)) == MOBID_OK)
        err = mobid_vical_verify(&v, roots, now, false, detail, sizeof detail);
    if (err != MOBID_OK)
        fprintf(stderr, "verifier: fetched VICAL refused: %s %s\n", mobid_svc_err_name(err), detail);
    mobid_vical_clear(&v);
    mobid_trust_free(roots);
    return err;
}

/* Fetch every due list; true when one was replaced. */
static bool fetch_due(verifier_trust_state *st, mobid_time now)
{
    bool changed = false;
    for (size_t i = 0; i < st->n_vicals; i++) {
        vical_src *src = &st->vicals[i];
        mobid_time due = src->has_next ? src->next_update : now; /* no date: when asked */
        mobid_buf fresh;
        if (!src->url || now < due)
            continue;
        mobid_buf_init(&fresh, MOBID_VICAL_MAX_INPUT);
        mobid_err err = mobid_http_fetch_body(NULL, src->url, MOBID_VICAL_MAX_INPUT, &fresh);
        if (err != MOBID_OK)
            fprintf(stderr, "verifier: VICAL %s not fetched (%s); keeping the last good list\n",
                    src->url, mobid_svc_err_name(err));
        else if (check_fetched(st, mobid_buf_view(&fresh), now) == MOBID_OK) {
            vical_src next = *src;
            next.bytes = fresh;
            note_dates(&next);
            mobid_buf_init(&fresh, 0);
            pthread_mutex_lock(&st->lock); /* acquire reads the dates */
            mobid_buf old = src->bytes;
            *src = next;
            pthread_mutex_unlock(&st->lock);
            mobid_buf_free(&old);
            changed = true;
        }
        mobid_buf_free(&fresh);
    }
    return changed;
}

/* The earliest nextUpdate of a list we can fetch again; 0 when none. */
static mobid_time next_due(const verifier_trust_state *st, mobid_time now)
{
    mobid_time due = 0;
    for (size_t i = 0; i < st->n_vicals; i++) {
        const vical_src *s = &st->vicals[i];
        mobid_time t = s->has_next ? s->next_update : now + NO_NEXT_UPDATE;
        if (s->url && (!due || t < due))
            due = t;
    }
    return due;
}

/* Runs in the one thread that won the refreshing flag. */
static void refresh(verifier_trust_state *st, mobid_time now)
{
    verifier_trustset *fresh = NULL;
    if (fetch_due(st, now) && snapshot_new(st, &fresh) == MOBID_OK) {
        pthread_mutex_lock(&st->lock);
        verifier_trustset *old = st->live;
        st->live = fresh;
        snapshot_unref(old);
        pthread_mutex_unlock(&st->lock);
        fprintf(stderr, "verifier: trust lists refreshed\n");
    }
    pthread_mutex_lock(&st->lock);
    st->refreshing = false;
    pthread_mutex_unlock(&st->lock);
}

const verifier_trustset *verifier_trust_acquire(verifier_ctx *ctx, mobid_time now)
{
    verifier_trust_state *st = ctx->vt;
    bool mine = false;
    pthread_mutex_lock(&st->lock);
    mobid_time due = next_due(st, now);
    if (due && now > due && !st->refreshing && now - st->last_attempt >= RETRY_AFTER) {
        st->refreshing = mine = true;
        st->last_attempt = now;
    }
    pthread_mutex_unlock(&st->lock);
    if (mine)
        refresh(st, now);
    pthread_mutex_lock(&st->lock);
    verifier_trustset *ts = st->live;
    ts->refs++;
    pthread_mutex_unlock(&st->lock);
    return ts;
}

void verifier_trust_release(verifier_ctx *ctx, const verifier_trustset *ts)
{
    pthread_mutex_lock(&ctx->vt->lock);
    snapshot_unref((verifier_trustset *)ts);
    pthread_mutex_unlock(&ctx->vt->lock);
}

/* ---- configuration ---- */

static mobid_err read_files(const char *dir, const json_t *files, mobid_buf **out, size_t *n)
{
    size_t i;
    const json_t *f;
    *n = 0;
    if (files && !json_is_array(files))
        return MOBID_ERR_INVALID_ARG;
    if (!(*out = calloc(json_array_size(files) + 1, sizeof **out)))
        return MOBID_ERR_NOMEM;
    json_array_foreach (files, i, f) {
        mobid_err err = verifier_read_file(dir, json_string_value(f), &(*out)[i]);
        if (err != MOBID_OK)
            return err;
        (*n)++;
    }
    return MOBID_OK;
}

/* "vicals": [{"file": "...", "url": "..."}] (or a bare file name). */
static mobid_err read_vicals(verifier_trust_state *st, const char *dir, const json_t *list)
{
    size_t i;
    const json_t *e;
    if (list && !json_is_array(list))
        return MOBID_ERR_INVALID_ARG;
    if (!(st->vicals = calloc(json_array_size(list) + 1, sizeof *st->vicals)))
        return MOBID_ERR_NOMEM;
    json_array_foreach (list, i, e) {
        vical_src *src = &st->vicals[st->n_vicals++];
        const char *file = json_is_string(e) ? json_string_value(e)
                                             : json_string_value(json_object_get(e, "file"));
        const char *url = json_string_value(json_object_get(e, "url"));
        if (url && !(src->url = strdup(url)))
            return MOBID_ERR_NOMEM;
        mobid_err err = verifier_read_file(dir, file, &src->bytes);
        if (err != MOBID_OK)
            return err;
        note_dates(src);
    }
    return MOBID_OK;
}

static mobid_err read_config(verifier_trust_state *st, const char *dir, const json_t *cfg)
{
    const char *pol = json_string_value(json_object_get(cfg, "trust_policy"));
    const json_t *iss = json_object_get(cfg, "trusted_issuers"), *v;
    size_t i;
    mobid_err err = MOBID_OK;
    st->policy = !pol || !strcmp(pol, "default") ? MOBID_TRUST_DEFAULT
               : !strcmp(pol, "lenient")         ? MOBID_TRUST_LENIENT
               : !strcmp(pol, "strict")          ? MOBID_TRUST_STRICT
                                                 : (mobid_trust_policy)-1;
    if ((int)st->policy < 0) {
        fprintf(stderr, "verifier: trust_policy is default, lenient or strict\n");
        return MOBID_ERR_INVALID_ARG;
    }
    if ((err = read_files(dir, json_object_get(cfg, "trust_anchors"), &st->anchors,
                          &st->n_anchors)) ||
        (err = read_files(dir, json_object_get(cfg, "vical_anchors"), &st->vanchors,
                          &st->n_vanchors)) ||
        (err = read_vicals(st, dir, json_object_get(cfg, "vicals"))))
        return err;
    if (!(st->issuers = calloc(json_array_size(iss) + 1, sizeof *st->issuers)))
        return MOBID_ERR_NOMEM;
    json_array_foreach (iss, i, v)
        if (json_is_string(v) && !(st->issuers[st->n_issuers++] = strdup(json_string_value(v))))
            return MOBID_ERR_NOMEM;
    return MOBID_OK;
}

/* "issuer_metadata": {"ttl": s, "max_bytes": n} for issuers trusted by identifier, and
 * for SD-JWT VC type metadata as "type_metadata" says: "integrity" (the default: only
 * to check a credential's vct#integrity), "always" (every https vct) or "off". */
static mobid_err issuer_cache(verifier_ctx *ctx, const json_t *cfg)
{
    const json_t *m = json_object_get(cfg, "issuer_metadata");
    const char *types = json_string_value(json_object_get(cfg, "type_metadata"));
    mobid_sdjwt_issuer_cache_opts o = {
        .fetch = mobid_http_fetch_body,
        .ttl = json_integer_value(json_object_get(m, "ttl")),
        .max_bytes = (size_t)json_integer_value(json_object_get(m, "max_bytes")),
    };
    mobid_err err = MOBID_OK;
    if ((json_object_get(cfg, "type_metadata") && !types) ||
        (types && strcmp(types, "integrity") && strcmp(types, "always") && strcmp(types, "off"))) {
        fprintf(stderr, "verifier config: type_metadata must be \"integrity\", \"always\" or \"off\"\n");
        return MOBID_ERR_MALFORMED;
    }
    ctx->type_always = types && !strcmp(types, "always");
    if (!types || strcmp(types, "off"))
        err = mobid_sdjwt_issuer_cache_new(&o, &ctx->type_meta);
    if (err == MOBID_OK && ctx->vt->n_issuers)
        err = mobid_sdjwt_issuer_cache_new(&o, &ctx->issuer_meta);
    return err;
}

mobid_err verifier_trust_load(verifier_ctx *ctx, const char *dir, const json_t *cfg)
{
    verifier_trust_state *st = calloc(1, sizeof *st);
    if (!st)
        return MOBID_ERR_NOMEM;
    pthread_mutex_init(&st->lock, NULL);
    ctx->vt = st;
    mobid_err err = read_config(st, dir, cfg);
    if (err == MOBID_OK && fetch_due(st, mobid_now()))
        fprintf(stderr, "verifier: fetched a newer VICAL at start\n");
    st->last_attempt = mobid_now();
    if (err == MOBID_OK)
        err = snapshot_new(st, &st->live);
    /* The status-list fetcher keeps the set it was built with for the life of the
     * service (status lists come from the configured issuers, not from refreshed
     * lists), so it gets one of its own. */
    if (err == MOBID_OK)
        err = build(st, &ctx->trust);
    if (err == MOBID_OK)
        err = issuer_cache(ctx, cfg);
    return err;
}

mobid_err verifier_trust_files(const char *dir, const json_t *files, mobid_trust **out)
{
    mobid_buf *b = NULL;
    size_t n = 0;
    mobid_err err = read_files(dir, files, &b, &n);
    mobid_view *v = calloc(n + 1, sizeof *v);
    char detail[200] = "";
    if (err == MOBID_OK && !v)
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK) {
        views_of(b, n, v);
        mobid_trust_config c = { .anchors = v, .n_anchors = n };
        if ((err = mobid_trust_build(&c, out, detail, sizeof detail)) != MOBID_OK)
            fprintf(stderr, "verifier: %s (%s)\n", detail, mobid_svc_err_name(err));
    }
    for (size_t i = 0; b && i < n; i++)
        mobid_buf_free(&b[i]);
    free(b);
    free(v);
    return err;
}

void verifier_trust_free(verifier_ctx *ctx)
{
    verifier_trust_state *st = ctx->vt;
    if (!st)
        return;
    snapshot_unref(st->live);
    for (size_t i = 0; i < st->n_anchors; i++)
        mobid_buf_free(&st->anchors[i]);
    for (size_t i = 0; i < st->n_vanchors; i++)
        mobid_buf_free(&st->vanchors[i]);
    for (size_t i = 0; i < st->n_vicals; i++) {
        free(st->vicals[i].url);
        mobid_buf_free(&st->vicals[i].bytes);
    }
    for (size_t i = 0; i < st->n_issuers; i++)
        free(st->issuers[i]);
    free(st->anchors);
    free(st->vanchors);
    free(st->vicals);
    free(st->issuers);
    pthread_mutex_destroy(&st->lock);
    free(st);
    ctx->vt = NULL;
    mobid_sdjwt_issuer_cache_free(ctx->issuer_meta);
    ctx->issuer_meta = NULL;
    mobid_sdjwt_issuer_cache_free(ctx->type_meta);
    ctx->type_meta = NULL;
}
