/*
 * The verifier object: trust anchors plus a small cache of parsed document
 * signer chains. Real traffic carries a handful of DS chains across millions of
 * responses, so parsing each certificate and importing its key once (instead of
 * per response) leaves a verification with two signature checks and hashing.
 */
#include "verifier_internal.h"

#include <string.h>

static void entry_clear(chain_entry *e)
{
    mobid_cert_list_free(e->certs, e->n);
    mobid_key_free(e->key);
    mobid_buf_free(&e->der);
    memset(e, 0, sizeof *e);
}

mobid_err mobid_mdoc_verifier_new(mobid_trust *trust, mobid_mdoc_verifier **out)
{
    mobid_mdoc_verifier *v;
    if (!trust || !out)
        return MOBID_ERR_INVALID_ARG;
    v = mobid_calloc(1, sizeof *v);
    if (!v)
        return MOBID_ERR_NOMEM;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        mobid_free(v);
        return MOBID_ERR_NOMEM;
    }
    v->trust = trust;
    *out = v;
    return MOBID_OK;
}

void mobid_mdoc_verifier_free(mobid_mdoc_verifier *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < CHAIN_CACHE_SIZE; i++)
        entry_clear(&v->cache[i]);
    pthread_mutex_destroy(&v->lock);
    mobid_free(v);
}

static bool entry_matches(const chain_entry *e, const mobid_view *ders, size_t n)
{
    size_t off = 0;
    if (!e->n || e->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (e->lens[i] != ders[i].len || memcmp(e->der.ptr + off, ders[i].ptr, ders[i].len))
            return false;
        off += ders[i].len;
    }
    return true;
}

/* Copy refs out of an entry so they can be used without the lock. */
static void entry_take(const chain_entry *e, verifier_chain *c)
{
    c->n = e->n;
    for (size_t i = 0; i < e->n; i++)
        c->certs[i] = mobid_cert_ref(e->certs[i]);
    c->key = mobid_key_ref(e->key);
}

static mobid_err entry_fill(chain_entry *e, const mobid_view *ders, size_t n)
{
    mobid_err err = MOBID_OK;
    mobid_buf_init(&e->der, 0);
    e->certs = mobid_calloc(n, sizeof *e->certs);
    if (!e->certs)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; err == MOBID_OK && i < n; i++) {
        err = mobid_cert_parse(ders[i], &e->certs[i]);
        e->n = i + 1; /* so entry_clear frees what was parsed */
        if (err == MOBID_OK)
            err = mobid_buf_append_view(&e->der, ders[i]);
        e->lens[i] = ders[i].len;
    }
    if (err == MOBID_OK)
        err = mobid_cert_public_key(e->certs[0], &e->key);
    return err;
}

mobid_err verifier_chain_get(mobid_mdoc_verifier *v, const mobid_view *ders, size_t n,
                             verifier_chain *out)
{
    chain_entry fresh;
    mobid_err err = MOBID_OK;
    memset(out, 0, sizeof *out);
    if (n == 0 || n > MOBID_COSE_MAX_X5CHAIN)
        return MOBID_ERR_UNTRUSTED_ISSUER;
    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < CHAIN_CACHE_SIZE; i++) {
        if (entry_matches(&v->cache[i], ders, n)) {
            entry_take(&v->cache[i], out);
            pthread_mutex_unlock(&v->lock);
            return MOBID_OK;
        }
    }
    pthread_mutex_unlock(&v->lock);

    /* Parse outside the lock; only a chain that parses is cached. */
    memset(&fresh, 0, sizeof fresh);
    err = entry_fill(&fresh, ders, n);
    if (err != MOBID_OK) {
        entry_clear(&fresh);
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_CERT_INVALID;
    }
    entry_take(&fresh, out);
    pthread_mutex_lock(&v->lock);
    chain_entry *slot = &v->cache[v->next];
    v->next = (v->next + 1) % CHAIN_CACHE_SIZE;
    entry_clear(slot);
    *slot = fresh;
    pthread_mutex_unlock(&v->lock);
    return MOBID_OK;
}

void verifier_chain_release(verifier_chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        mobid_cert_free(c->certs[i]);
    mobid_key_free(c->key);
    memset(c, 0, sizeof *c);
}
