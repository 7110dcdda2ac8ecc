/*
 * The fixed parts of the sessions this instance made or read, kept in memory, so the
 * request object's fetch and the answer need neither a store read nor an import of
 * the sealed key. Only what never changes after creation is kept: nonce, state, the
 * parsed query, response mode, redirect, lifetime and the ephemeral key. The state
 * (pending, answered, handed over) lives in the store alone, and every change of it
 * still goes through the store's conditional updates, so a stale or missing entry
 * costs a store read or a refused update, never a wrong outcome. Another instance of
 * a fleet finds no entry and reads the store.
 *
 * Direct-mapped: an id's hash picks one slot and a new entry replaces the one there.
 * The table is bounded (VERIFIER_CACHE_SLOTS), a lookup is one hash and one compare,
 * and a collision only means a store read. An entry past its session's expiry is not
 * returned but dropped when asked for; one whose session is answered (here, or on
 * another instance that says so through PostgreSQL) is dropped. Entries are reference-counted: a handler keeps its
 * own while another thread replaces the slot.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/jose.h>
#include "services/verifier/verifier.h"

struct verifier_cache {
    pthread_mutex_t lock;
    size_t n_slots;            /* a power of two */
    verifier_fixed **slots;
};

mobid_err verifier_cache_new(size_t n_slots, verifier_cache **out)
{
    verifier_cache *c = calloc(1, sizeof *c);
    size_t n = 1;
    *out = NULL;
    while (n < n_slots)
        n <<= 1;
    if (!c || !(c->slots = calloc(n, sizeof *c->slots))) {
        free(c);
        return MOBID_ERR_NOMEM;
    }
    c->n_slots = n;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return MOBID_OK;
}

void verifier_cache_free(verifier_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_slots; i++)
        verifier_fixed_release(c->slots[i]);
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c);
}

/* FNV-1a: ids are random tokens, any mixing spreads them. */
static size_t slot_of(const verifier_cache *c, const char *id)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h & (c->n_slots - 1));
}

void verifier_cache_put(verifier_cache *c, verifier_fixed *f)
{
    verifier_fixed *old;
    if (!c || !f)
        return;
    verifier_fixed_ref(f);
    pthread_mutex_lock(&c->lock);
    size_t i = slot_of(c, f->id);
    old = c->slots[i];
    c->slots[i] = f;
    pthread_mutex_unlock(&c->lock);
    verifier_fixed_release(old);
}

verifier_fixed *verifier_cache_get(verifier_cache *c, const char *id, mobid_time now)
{
    verifier_fixed *f = NULL, *expired = NULL;
    if (!c || !id)
        return NULL;
    pthread_mutex_lock(&c->lock);
    size_t i = slot_of(c, id);
    verifier_fixed *e = c->slots[i];
    if (e && !strcmp(e->id, id)) {
        if (now < e->expires_at) {
            f = verifier_fixed_ref(e);
        } else { /* its key need not stay in memory any longer */
            expired = e;
            c->slots[i] = NULL;
        }
    }
    pthread_mutex_unlock(&c->lock);
    verifier_fixed_release(expired);
    return f;
}

void verifier_cache_drop(verifier_cache *c, const char *id)
{
    verifier_fixed *old = NULL;
    if (!c || !id)
        return;
    pthread_mutex_lock(&c->lock);
    size_t i = slot_of(c, id);
    if (c->slots[i] && !strcmp(c->slots[i]->id, id)) {
        old = c->slots[i];
        c->slots[i] = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    verifier_fixed_release(old);
}

void verifier_cache_clear(verifier_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_slots; i++) {
        pthread_mutex_lock(&c->lock);
        verifier_fixed *old = c->slots[i];
        c->slots[i] = NULL;
        pthread_mutex_unlock(&c->lock);
        verifier_fixed_release(old);
    }
}

verifier_fixed *verifier_fixed_ref(verifier_fixed *f)
{
    if (f)
        atomic_fetch_add(&f->refs, 1);
    return f;
}

void verifier_fixed_release(verifier_fixed *f)
{
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    free(f->id);
    free(f->rp_id);
    free(f->nonce);
    free(f->state);
    free(f->request_jwt);
    free(f->redirect_uri);
    mobid_dcql_free(f->query);
    mobid_key_free(f->key);
    free(f);
}

/* The session's ephemeral key, unsealed. */
static mobid_err unseal_key(const verifier_ctx *ctx, const verifier_session *vs, mobid_key **out)
{
    mobid_buf jwk = { 0 };
    mobid_buf_init(&jwk, 0);
    mobid_err err = verifier_unseal(ctx, vs->id, mobid_buf_view(&vs->enc_key), &jwk);
    if (!err)
        err = mobid_jwk_parse(mobid_buf_view(&jwk), out);
    mobid_buf_free(&jwk);
    return err;
}

static char *dup_or_null(const char *s, bool *nomem)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *nomem = true;
    return d;
}

mobid_err verifier_fixed_new(const verifier_ctx *ctx, const verifier_session *vs, mobid_dcql *query,
                             mobid_key *key, verifier_fixed **out)
{
    verifier_fixed *f = calloc(1, sizeof *f);
    json_t *dcql = NULL;
    bool nomem = !f;
    mobid_err err = MOBID_OK;

    *out = NULL;
    if (nomem) {
        mobid_dcql_free(query);
        return MOBID_ERR_NOMEM;
    }
    atomic_init(&f->refs, 1);
    f->query = query;
    f->id = dup_or_null(vs->id, &nomem);
    f->rp_id = dup_or_null(vs->rp_id, &nomem);
    f->nonce = dup_or_null(vs->nonce, &nomem);
    f->state = dup_or_null(vs->state, &nomem);
    f->redirect_uri = dup_or_null(vs->redirect_uri, &nomem);
    if (vs->request_jwt && *vs->request_jwt)
        f->request_jwt = dup_or_null(vs->request_jwt, &nomem);
    f->encrypted = vs->response_mode && !strcmp(vs->response_mode, "direct_post.jwt");
    f->created_at = vs->created_at;
    f->expires_at = vs->expires_at;
    if (nomem) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    if (!f->id || !f->rp_id || !f->nonce || !f->state || (!query && !vs->dcql)) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    if (!query && ((err = mobid_json_parse(mobid_view_str(vs->dcql), 0, &dcql)) ||
                   (err = mobid_dcql_parse(dcql, &f->query, NULL, 0))))
        goto done;
    if (key)
        f->key = mobid_key_ref(key);
    else if (f->encrypted)
        err = unseal_key(ctx, vs, &f->key);
done:
    if (!err) {
        *out = f;
        f = NULL;
    }
    verifier_fixed_release(f);
    json_decref(dcql);
    return err;
}
