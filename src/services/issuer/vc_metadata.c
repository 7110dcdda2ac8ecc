/*
 * /.well-known/jwt-vc-issuer (draft-ietf-oauth-sd-jwt-vc §4): the issuer identifier and
 * the JWK Set of its document signers, each under its id as kid (the kid the SD-JWT
 * header carries), so a verifier can trust this issuer by its identifier as well as by
 * the x5c chain. For an identifier with a path the document is also served at
 * /.well-known/jwt-vc-issuer<path>.
 */
#include <stdlib.h>
#include <string.h>
#include <mobid/jose.h>
#include "services/issuer/issuer_int.h"

static json_t *signer_jwk(const issuer_signer *s)
{
    json_t *jwk = NULL;
    mobid_key *pub = NULL;
    if (mobid_cert_public_key(s->cert, &pub) != MOBID_OK ||
        mobid_jwk_from_key(pub, false, &jwk) != MOBID_OK)
        jwk = NULL;
    else if (json_object_set_new(jwk, "kid", json_string(s->id)) ||
             json_object_set_new(jwk, "use", json_string("sig"))) {
        json_decref(jwk);
        jwk = NULL;
    }
    mobid_key_free(pub);
    return jwk;
}

static mobid_err on_jwt_vc_issuer(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    (void)req;
    issuer_ctx *ctx = arg;
    json_t *keys = json_array();
    mobid_err err = keys ? MOBID_OK : MOBID_ERR_NOMEM;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; err == MOBID_OK && i < ctx->pki->nds; i++) {
        json_t *jwk = signer_jwk(&ctx->pki->ds[i]);
        if (!jwk || json_array_append_new(keys, jwk))
            err = MOBID_ERR_NOMEM;
    }
    pthread_mutex_unlock(&ctx->lock);
    json_t *doc = err == MOBID_OK ? json_pack("{s:s,s:{s:O}}", "issuer", ctx->cfg.issuer_url,
                                              "jwks", "keys", keys)
                                  : NULL;
    if (doc) {
        mobid_http_resp_header(resp, "Cache-Control", "max-age=300");
        err = mobid_http_resp_json(resp, 200, doc);
    } else if (err == MOBID_OK) {
        err = MOBID_ERR_NOMEM;
    }
    json_decref(doc);
    json_decref(keys);
    return err;
}

mobid_err issuer_routes_vc_metadata(mobid_http_server *srv, issuer_ctx *ctx)
{
    const char *url = ctx->cfg.issuer_url;
    const char *host = strstr(url, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    mobid_err err = mobid_http_route(srv, "GET", "/.well-known/jwt-vc-issuer", on_jwt_vc_issuer,
                                     ctx);
    if (err == MOBID_OK && path && strcmp(path, "/") && !strpbrk(path, "{}?#")) {
        size_t n = strlen("/.well-known/jwt-vc-issuer") + strlen(path) + 1;
        char *route = malloc(n);
        if (!route)
            return MOBID_ERR_NOMEM;
        snprintf(route, n, "/.well-known/jwt-vc-issuer%s", path);
        err = mobid_http_route(srv, "GET", route, on_jwt_vc_issuer, ctx);
        free(route);
    }
    return err;
}
