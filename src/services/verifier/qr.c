/*
 * The deep link of a session and its QR codes. Creating a session renders no image:
 * a relying party that shows the QR fetches GET /api/v1/verifications/{id}/qr.png or
 * qr.svg (rendered then, by src/qr), or asks for them on creation with "qr":["png"].
 * Most verifications never need a picture (same-device links, portals that render the
 * deep link themselves), so the hot path stays free of PNG and SVG work.
 */
#include <string.h>
#include "http/form.h"
#include "qr/qr.h"
#include "services/verifier/verifier.h"

#define QR_PNG_SCALE 4

mobid_err verifier_deep_link(const verifier_ctx *ctx, const verifier_rp *rp, const char *id,
                             mobid_buf *ruri, mobid_buf *link)
{
    mobid_buf query;
    mobid_err err;

    mobid_buf_init(&query, 0);
    mobid_buf_append_str(ruri, ctx->public_url);
    mobid_buf_append_str(ruri, "/oid4vp/request/");
    mobid_buf_append_str(ruri, id);
    if ((err = mobid_buf_terminate(ruri)))
        goto done;
    /* form_append puts '&' before all but the first pair, so the query is built apart. */
    mobid_http_form_append(&query, "client_id", rp->client_id);
    mobid_http_form_append(&query, "request_uri", (const char *)ruri->ptr);
    mobid_buf_append_str(link, "openid4vp://?");
    mobid_buf_append_view(link, mobid_buf_view(&query));
    err = query.err ? query.err : mobid_buf_terminate(link);
done:
    mobid_buf_free(&query);
    return err;
}

mobid_err verifier_qr_option(const json_t *asked, bool *png, bool *svg)
{
    size_t i;
    const json_t *f;

    *png = *svg = false;
    if (!asked)
        return MOBID_OK;
    if (!json_is_array(asked))
        return MOBID_ERR_INVALID_ARG;
    json_array_foreach (asked, i, f) {
        const char *s = json_string_value(f);
        if (s && !strcmp(s, "png"))
            *png = true;
        else if (s && !strcmp(s, "svg"))
            *svg = true;
        else
            return MOBID_ERR_INVALID_ARG;
    }
    return MOBID_OK;
}

mobid_err verifier_qr_embed(const char *link, bool png, bool svg, json_t *out)
{
    mobid_buf img, txt;
    mobid_err err = MOBID_OK;

    mobid_buf_init(&img, 0);
    mobid_buf_init(&txt, 0);
    if (png) {
        mobid_buf_append_str(&txt, "data:image/png;base64,");
        if ((err = mobid_qr_render(link, MOBID_QR_PNG, QR_PNG_SCALE, &img)) ||
            (err = mobid_b64_encode(mobid_buf_view(&img), &txt)) || (err = mobid_buf_terminate(&txt)))
            goto done;
        json_object_set_new(out, "qr_png", json_string((const char *)txt.ptr));
    }
    if (svg) {
        img.len = 0;
        if ((err = mobid_qr_render(link, MOBID_QR_SVG, 0, &img)) || (err = mobid_buf_terminate(&img)))
            goto done;
        json_object_set_new(out, "qr_svg", json_string((const char *)img.ptr));
    }
done:
    mobid_buf_free(&img);
    mobid_buf_free(&txt);
    return err;
}

/* GET /api/v1/verifications/{id}/qr.png|qr.svg for the party that created it. */
static mobid_err serve_qr(verifier_ctx *ctx, mobid_http_req *req, mobid_http_resp *resp,
                          mobid_qr_format f)
{
    const verifier_rp *rp = verifier_rp_by_api_key(ctx, mobid_http_req_header(req, "Authorization"));
    const char *id = mobid_http_req_param(req, "id");
    verifier_session vs = { 0 };
    mobid_store *s = NULL;
    mobid_buf ruri, link, img;
    mobid_err err;

    if (!rp)
        return mobid_http_resp_err(resp, MOBID_ERR_UNAUTHENTICATED, "a valid API key is required");
    mobid_buf_init(&ruri, 0);
    mobid_buf_init(&link, 0);
    mobid_buf_init(&img, 0);
    if ((err = mobid_store_pool_acquire(ctx->pool, &s)))
        goto done;
    err = verifier_session_load(s, id, &vs);
    mobid_store_pool_release(ctx->pool, s);
    if (err == MOBID_ERR_NOT_FOUND || (!err && strcmp(vs.rp_id, rp->id))) {
        err = mobid_http_resp_error(resp, 404, "NOT_FOUND", "no such verification");
        goto done;
    }
    if (err || (err = verifier_deep_link(ctx, rp, vs.id, &ruri, &link)) ||
        (err = mobid_qr_render((const char *)link.ptr, f, QR_PNG_SCALE, &img)))
        goto done;
    err = mobid_http_resp_body(resp, 200, f == MOBID_QR_PNG ? "image/png" : "image/svg+xml",
                               mobid_buf_view(&img));
    /* The image never changes for a session: let the page's browser keep it. */
    mobid_http_resp_header(resp, "Cache-Control", "private, max-age=600");
done:
    verifier_session_clear(&vs);
    mobid_buf_free(&ruri);
    mobid_buf_free(&link);
    mobid_buf_free(&img);
    return err;
}

static mobid_err on_qr_png(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return serve_qr(ctx, req, resp, MOBID_QR_PNG);
}

static mobid_err on_qr_svg(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return serve_qr(ctx, req, resp, MOBID_QR_SVG);
}

mobid_err verifier_qr_routes(verifier_ctx *ctx, mobid_http_server *srv)
{
    mobid_err err = mobid_http_route(srv, "GET", "/api/v1/verifications/{id}/qr.png", on_qr_png, ctx);
    return err ? err : mobid_http_route(srv, "GET", "/api/v1/verifications/{id}/qr.svg", on_qr_svg, ctx);
}
