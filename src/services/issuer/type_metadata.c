/*
 * SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc, "Type Metadata"), served at each
 * card type's vct: "{issuer_url}/vct/<card type>/<version>" in etc/card-types.json.
 * The document says what the type is called (ko, en) and, for every claim, its path
 * in the SD-JWT VC, its labels and that it is selectively disclosable. A wallet or a
 * verifier fetches it from the vct itself (`mobid wallet type-metadata`); the
 * credential's vct#integrity is not set, so a fetcher trusts the TLS of the issuer.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <stdlib.h>
#include <string.h>

json_t *issuer_claim_path(const issuer_cardtype *ct, const issuer_claim *c, unsigned fmt)
{
    json_t *path = json_array();
    const char *p = c->sd_path;
    if (fmt == ISSUER_FMT_MDOC) {
        json_decref(path);
        return json_pack("[ss]", ct->ns, c->name);
    }
    while (path && p) {
        const char *slash = strchr(p, '/');
        json_array_append_new(path, slash ? json_stringn(p, (size_t)(slash - p)) : json_string(p));
        p = slash ? slash + 1 : NULL;
    }
    return path;
}

json_t *issuer_claim_display(const issuer_claim *c, const char *key)
{
    json_t *d = json_array();
    if (d && c->display_ko)
        json_array_append_new(d, json_pack("{s:s, s:s}", key, c->display_ko, "locale", "ko"));
    if (d && c->display_en)
        json_array_append_new(d, json_pack("{s:s, s:s}", key, c->display_en, "locale", "en"));
    return d;
}

json_t *issuer_type_metadata(const issuer_cardtype *ct)
{
    json_t *claims = json_array(), *display = json_array();
    json_t *doc = NULL;
    for (size_t i = 0; claims && i < ct->nclaims; i++) {
        const issuer_claim *c = &ct->claims[i];
        json_array_append_new(claims, json_pack("{s:o, s:o, s:s}", "path",
                                                issuer_claim_path(ct, c, ISSUER_FMT_SDJWT),
                                                "display", issuer_claim_display(c, "label"),
                                                "sd", "always"));
    }
    if (display && ct->display_ko)
        json_array_append_new(display, json_pack("{s:s, s:s}", "locale", "ko", "name",
                                                 ct->display_ko));
    if (display)
        json_array_append_new(display, json_pack("{s:s, s:s}", "locale", "en", "name",
                                                 ct->name ? ct->name : ct->id));
    if (claims && display)
        doc = json_pack("{s:s, s:s, s:O, s:O}", "vct", ct->vct, "name",
                        ct->name ? ct->name : ct->id, "display", display, "claims", claims);
    json_decref(claims);
    json_decref(display);
    return doc;
}

/* GET .../vct/{card}/{version}: the card type whose vct ends so. */
static mobid_err on_type_metadata(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    const char *card = mobid_http_req_param(req, "card");
    const char *version = mobid_http_req_param(req, "version");
    char tail[160];
    json_t *doc = NULL;
    mobid_err err;

    snprintf(tail, sizeof tail, "/vct/%s/%s", card ? card : "", version ? version : "");
    for (size_t i = 0; !doc && card && version && i < ctx->cfg.ncardtypes; i++) {
        const issuer_cardtype *ct = &ctx->cfg.cardtypes[i];
        size_t n = strlen(ct->vct), t = strlen(tail);
        if ((ct->formats & ISSUER_FMT_SDJWT) && n > t && !strcmp(ct->vct + n - t, tail) &&
            !(doc = issuer_type_metadata(ct)))
            return MOBID_ERR_NOMEM;
    }
    if (!doc) {
        doc = json_pack("{s:s, s:s}", "error", "NOT_FOUND", "detail", "no card type has this vct");
        err = doc ? mobid_http_resp_json(resp, 404, doc) : MOBID_ERR_NOMEM;
        json_decref(doc);
        return err;
    }
    mobid_http_resp_header(resp, "Cache-Control", "max-age=3600");
    err = mobid_http_resp_json(resp, 200, doc);
    json_decref(doc);
    return err;
}

mobid_err issuer_routes_type_metadata(mobid_http_server *srv, issuer_ctx *ctx)
{
    const char *url = ctx->cfg.issuer_url;
    const char *host = url ? strstr(url, "://") : NULL;
    const char *path = host ? strchr(host + 3, '/') : NULL;
    mobid_err err = mobid_http_route(srv, "GET", "/vct/{card}/{version}", on_type_metadata, ctx);
    if (err == MOBID_OK && path && strcmp(path, "/") && !strpbrk(path, "{}?#")) {
        char route[512];
        snprintf(route, sizeof route, "%s/vct/{card}/{version}", path);
        err = mobid_http_route(srv, "GET", route, on_type_metadata, ctx);
    }
    return err;
}
