/*
 * Issuer headers and keys of validated x5c chains. Decoding a header that carries a
 * certificate, parsing the certificate and importing its key through OpenSSL together
 * cost more than an ECDSA verify; issuers are few and their headers repeat byte for
 * byte, so a verifier checks each one once per ttl and reuses the result.
 */
#include "sdjwt_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cache_entry {
    const mobid_trust *trust;
    mobid_buf header_b64;      /* the encoded protected header, as received */
    json_t *header;
    json_t *san;               /* the leaf's DNS and URI SAN values (array of strings) */
    mobid_alg alg;
    mobid_key *key;
    mobid_time not_before;     /* latest notBefore in the chain */
    mobid_time not_after;      /* earliest notAfter in the chain */
    mobid_time checked_at;
} cache_entry;

struct mobid_sdjwt_key_cache {
    pthread_mutex_t lock;
    cache_entry *e;
    size_t cap, n, next;       /* next: the slot to replace when full (round robin) */
    int64_t ttl;
};

mobid_err mobid_sdjwt_key_cache_new(size_t capacity, int64_t ttl, mobid_sdjwt_key_cache **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    mobid_sdjwt_key_cache *c = mobid_calloc(1, sizeof *c);
    if (!c)
        return MOBID_ERR_NOMEM;
    c->cap = capacity ? capacity : 64;
    c->ttl = ttl > 0 ? ttl : 300;
    c->e = mobid_calloc(c->cap, sizeof *c->e);
    if (!c->e || pthread_mutex_init(&c->lock, NULL) != 0) {
        mobid_free(c->e);
        mobid_free(c);
        return MOBID_ERR_NOMEM;
    }
    *out = c;
    return MOBID_OK;
}

static void entry_clear(cache_entry *e)
{
    mobid_buf_free(&e->header_b64);
    json_decref(e->header);
    json_decref(e->san);
    mobid_key_free(e->key);
    memset(e, 0, sizeof *e);
}

void mobid_sdjwt_key_cache_free(mobid_sdjwt_key_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_clear(&c->e[i]);
    pthread_mutex_destroy(&c->lock);
    mobid_free(c->e);
    mobid_free(c);
}

bool mobid_sdjwt_cache_get(mobid_sdjwt_key_cache *c, const mobid_trust *trust,
                           mobid_view header_b64, mobid_time now, json_t **header, mobid_alg *alg,
                           mobid_key **key, json_t **san)
{
    bool hit = false;
    if (!c)
        return false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n && !hit; i++) {
        cache_entry *e = &c->e[i];
        if (e->trust == trust && now >= e->not_before && now <= e->not_after &&
            now >= e->checked_at - c->ttl && now <= e->checked_at + c->ttl &&
            mobid_view_eq(mobid_buf_view(&e->header_b64), header_b64)) {
            *header = json_incref(e->header);
            *alg = e->alg;
            *key = mobid_key_ref(e->key);
            *san = json_incref(e->san);
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void mobid_sdjwt_cache_put(mobid_sdjwt_key_cache *c, const mobid_trust *trust, const mobid_jws *jws,
                           mobid_cert *const *chain, size_t n, mobid_key *key, json_t *san,
                           mobid_time now)
{
    if (!c || n == 0)
        return;
    cache_entry fresh = { .trust = trust, .alg = jws->alg, .checked_at = now,
                          .not_before = INT64_MIN, .not_after = INT64_MAX };
    for (size_t i = 0; i < n; i++) {
        mobid_time nb, na;
        mobid_cert_validity(chain[i], &nb, &na);
        fresh.not_before = nb > fresh.not_before ? nb : fresh.not_before;
        fresh.not_after = na < fresh.not_after ? na : fresh.not_after;
    }
    mobid_buf_init(&fresh.header_b64, 0);
    if (mobid_buf_append_view(&fresh.header_b64, jws->header_b64) != MOBID_OK) {
        mobid_buf_free(&fresh.header_b64);
        return;
    }
    fresh.header = json_incref(jws->header);
    fresh.san = json_incref(san);
    fresh.key = mobid_key_ref(key);
    pthread_mutex_lock(&c->lock);
    size_t slot = c->n < c->cap ? c->n++ : c->next++ % c->cap;
    if (c->e[slot].header)
        entry_clear(&c->e[slot]);
    c->e[slot] = fresh;
    pthread_mutex_unlock(&c->lock);
}
