/*
 * issuer: the CRLs named by the certificates' CRL distribution points (18013-5
 * Annex B), GET <issuer_url>/pki/iaca.crl and /pki/rp-ca.crl.
 *
 * Kept current: when this process may use a CA's key (a file in pki_dir, or a token
 * key with its PIN), the CRL is signed again once a day, valid a week. A CA whose key
 * is kept offline has its CRL file (pki_dir/NAME.crl, rewritten by `mobid pki crl`)
 * served as it is.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"
#include "http/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRL_REFRESH_S 86400
#define CRL_VALIDITY_S (7 * 86400)

typedef struct crl_slot {
    const char *file;      /* "iaca.crl" */
    mobid_key *key;        /* NULL: the CA's key is kept offline */
    mobid_buf der;         /* the CRL last signed here */
    mobid_time signed_at;
} crl_slot;

struct issuer_crls {
    crl_slot slot[2];
};

mobid_err issuer_crls_new(issuer_ctx *ctx, const issuer_pki_keys *keys)
{
    static const char *const names[] = { "iaca", "rp-ca" };
    struct issuer_crls *c = calloc(1, sizeof *c);
    if (!c)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < 2; i++) {
        c->slot[i].file = i ? "rp-ca.crl" : "iaca.crl";
        mobid_err err = issuer_pki_load_ca_key(ctx->cfg.pki_dir, names[i], keys, &c->slot[i].key);
        if (err != MOBID_OK && err != MOBID_ERR_NOT_FOUND) {
            issuer_crls_free(c);
            return err;
        }
    }
    ctx->crls = c;
    return MOBID_OK;
}

void issuer_crls_free(struct issuer_crls *c)
{
    for (size_t i = 0; c && i < 2; i++) {
        mobid_key_free(c->slot[i].key);
        mobid_buf_free(&c->slot[i].der);
    }
    free(c);
}

/* The current CRL of one slot into out (under ctx->lock). */
static mobid_err current(issuer_ctx *ctx, crl_slot *sl, const mobid_cert *ca, mobid_buf *out)
{
    mobid_time now = mobid_now();
    mobid_err err = MOBID_OK;
    if (!sl->key) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", ctx->cfg.pki_dir, sl->file);
        mobid_buf_init(out, (size_t)1 << 22);
        err = mobid_file_read(path, (size_t)1 << 22, out);
        return err == MOBID_ERR_IO ? MOBID_ERR_NOT_FOUND : err;
    }
    if (!sl->der.len || now - sl->signed_at >= CRL_REFRESH_S || now < sl->signed_at) {
        mobid_buf fresh = { 0 };
        err = issuer_pki_crl(ctx->cfg.pki_dir, ca, sl->key, now, now + CRL_VALIDITY_S, &fresh);
        if (err == MOBID_OK) {
            mobid_buf_free(&sl->der);
            sl->der = fresh;
            sl->signed_at = now;
        } else {
            mobid_buf_free(&fresh);
        }
    }
    return err == MOBID_OK ? mobid_buf_append_view(out, mobid_buf_view(&sl->der)) : err;
}

static mobid_err on_crl(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    const char *name = mobid_http_req_param(req, "name");
    mobid_buf der = { 0 };
    mobid_err err = MOBID_ERR_NOT_FOUND;
    for (size_t i = 0; ctx->crls && name && i < 2; i++) {
        if (strcmp(name, ctx->crls->slot[i].file))
            continue;
        pthread_mutex_lock(&ctx->lock);
        err = current(ctx, &ctx->crls->slot[i], i ? ctx->pki->rp_ca : ctx->pki->iaca, &der);
        pthread_mutex_unlock(&ctx->lock);
    }
    if (err == MOBID_ERR_NOT_FOUND)
        err = mobid_http_resp_error(resp, 404, "NOT_FOUND", "no such CRL");
    else if (err == MOBID_OK) {
        mobid_http_resp_header(resp, "Cache-Control", "max-age=3600");
        err = mobid_http_resp_body(resp, 200, "application/pkix-crl", mobid_buf_view(&der));
    }
    mobid_buf_free(&der);
    return err;
}

mobid_err issuer_routes_crl(mobid_http_server *srv, issuer_ctx *ctx)
{
    return mobid_http_route(srv, "GET", "/pki/{name}", on_crl, ctx);
}
