/*
 * The verification flow as the browser sees it:
 *   POST /api/v1/start/{site}  -> the portal creates a session at the verifier with its
 *                              site's API key and DCQL query; answers the QR (drawn
 *                              here from the deep link), the link, the expiry and a
 *                              ticket. With {"same_device": true} (the page opens the
 *                              wallet on this device) the session carries the site's
 *                              page as redirect_uri and no QR is drawn: the wallet
 *                              sends the holder back there with a one-time response
 *                              code (HAIP), and only a result request that presents
 *                              it gets the claims, so a link passed on to someone
 *                              else (session fixation) gives its sender nothing;
 *   GET /api/v1/result?site=S&ticket=T[&response_code=C] -> the portal long-polls the
 *                              verifier and answers pending / verified (name, claims,
 *                              certificate; or reason "withheld" without the right
 *                              code) / expired / failed with a reason the page explains.
 * The long-poll is parked: the verifier call runs on the portal's fetcher (libcurl
 * multi), the page's request waits in the server's parking lot, and the fetch's end
 * wakes it. Neither holds a thread. Starts are limited per source address (429), and
 * beyond the fetcher's limit of concurrent long-polls a result request gets 503 with
 * Retry-After (the page retries).
 * The start request must be application/json: a cross-site page cannot send that
 * without a CORS preflight, which the portal never grants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include "http/client.h"
#include "http/fetch.h"
#include "http/ratelimit.h"
#include "qr/qr.h"
#include "services/portal/portal.h"
#include "services/provision/provision.h"

static bool site_from(const char *name, portal_site *site)
{
    if (name && !strcmp(name, "gov"))
        *site = PORTAL_GOV;
    else if (name && !strcmp(name, "bank"))
        *site = PORTAL_BANK;
    else
        return false;
    return true;
}

/* "Authorization: Bearer KEY" in a heap string (NULL on no memory). */
static char *auth_header(const portal_ctx *ctx, portal_site site)
{
    const char *key = portal_api_key(ctx, site);
    size_t n = strlen(key) + 32;
    char *h = malloc(n);
    if (h)
        snprintf(h, n, "Authorization: Bearer %s", key);
    return h;
}

static mobid_err reply(mobid_http_resp *resp, unsigned status, json_t *j)
{
    mobid_err err = j ? mobid_http_resp_json(resp, status, j) : MOBID_ERR_NOMEM;
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    json_decref(j);
    return err;
}

static mobid_err refuse(mobid_http_resp *resp, unsigned status, const char *code, const char *detail)
{
    return reply(resp, status, json_pack("{s:s, s:s}", "error", code, "detail", detail ? detail : ""));
}

/* The page's QR as a data: URL, rendered here from the deep link: one round trip to
 * the verifier fewer than fetching its qr.png. */
static mobid_err qr_data_url(const char *link, mobid_buf *out)
{
    mobid_buf png;
    mobid_err err;
    mobid_buf_init(&png, 0);
    mobid_buf_append_str(out, "data:image/png;base64,");
    if (!(err = mobid_qr_render(link, MOBID_QR_PNG, 4, &png)) &&
        !(err = mobid_b64_encode(mobid_buf_view(&png), out)))
        err = mobid_buf_terminate(out);
    mobid_buf_free(&png);
    return err;
}

/* The verifier answered the creation: pass on what the page needs (the QR only for a
 * cross-device start). */
static mobid_err started(portal_ctx *ctx, portal_site site, const json_t *v, bool same_device,
                         mobid_http_resp *resp)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *link = json_string_value(json_object_get(v, "deep_link"));
    const char *exp = json_string_value(json_object_get(v, "expires_at"));
    mobid_time expires = 0;
    mobid_buf png;
    char *ticket = NULL;
    mobid_err err;

    if (!id || !link || !exp || strncmp(link, "openid4vp://", 12) ||
        mobid_time_parse_rfc3339(mobid_view_str(exp), &expires, NULL))
        return refuse(resp, 502, "BAD_GATEWAY", "the verifier's answer is incomplete");
    mobid_buf_init(&png, 0);
    if ((!same_device && (err = qr_data_url(link, &png))) ||
        (err = portal_ticket_make(ctx, site, id, &ticket)))
        goto done;
    mobid_time ttl = expires - mobid_now();
    json_t *out = json_pack("{s:s, s:s, s:s, s:I}", "ticket", ticket, "same_device_link", link,
                            "expires_at", exp, "seconds_left", (json_int_t)(ttl > 0 ? ttl : 0));
    if (out && !same_device)
        json_object_set_new(out, "qr_png", json_string((const char *)png.ptr));
    err = reply(resp, 200, out);
done:
    free(ticket);
    mobid_buf_free(&png);
    return err;
}

/* What the verifier is asked for: the site's query, and for {"same_device": true}
 * the site's page as redirect_uri. MOBID_ERR_MALFORMED for another body. */
static mobid_err start_body(const portal_ctx *ctx, portal_site site, mobid_http_req *req,
                            json_t **out)
{
    json_t *page = NULL, *sd;
    char uri[1100];
    mobid_err err;
    *out = NULL;
    if ((err = mobid_http_req_json(req, &page)))
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_MALFORMED;
    sd = json_object_get(page, "same_device");
    if (!json_is_object(page) || json_object_size(page) > (sd ? 1 : 0) || (sd && !json_is_boolean(sd))) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    if (!(*out = portal_request(ctx, site))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    if (json_is_true(sd) &&
        !(err = portal_redirect_uri(ctx, site, mobid_http_server_url(mobid_http_req_server(req)),
                                    uri, sizeof uri)))
        err = json_object_set_new(*out, "redirect_uri", json_string(uri)) ? MOBID_ERR_NOMEM : MOBID_OK;
done:
    json_decref(page);
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

mobid_err portal_on_start(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    portal_ctx *ctx = vctx;
    portal_site site;
    char url[1100];
    char *auth = NULL;
    json_t *body = NULL, *v = NULL;
    mobid_http_result r = { 0 };
    mobid_err err = MOBID_OK;
    bool same_device;

    portal_security_headers(resp);
    if (!site_from(mobid_http_req_param(req, "site"), &site) || !portal_api_key(ctx, site))
        return refuse(resp, 404, "NOT_FOUND", "no such site");
    /* Anonymous, and each start is a session at the verifier: bounded per address. */
    if (!mobid_http_rate_check(portal_start_rate(ctx), mobid_http_req_remote(req), resp))
        return MOBID_OK;
    if (!mobid_http_req_content_type_is(req, "application/json"))
        return refuse(resp, 415, "UNSUPPORTED", "start with a JSON request from the page");
    if ((err = start_body(ctx, site, req, &body)))
        return err == MOBID_ERR_NOMEM ? err : refuse(resp, 400, mobid_svc_err_name(err),
                                                      "the body must be {} or {\"same_device\": true}");
    same_device = json_object_get(body, "redirect_uri") != NULL;
    snprintf(url, sizeof url, "%s/api/v1/verifications", portal_verifier_url(ctx));
    if (!(auth = auth_header(ctx, site))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    const char *headers[] = { auth, NULL };
    if (mobid_http_post_json(url, headers, body, &r) || mobid_http_result_json(&r, &v)) {
        err = refuse(resp, 502, "BAD_GATEWAY", "the verifier cannot be reached");
        goto done;
    }
    if (r.status == 201)
        err = started(ctx, site, v, same_device, resp);
    else /* e.g. 403 CLAIM_NOT_ALLOWED: this site may not ask for that */
        err = refuse(resp, r.status == 403 ? 403 : 502,
                     json_string_value(json_object_get(v, "error")) ? json_string_value(json_object_get(v, "error")) : "BAD_GATEWAY",
                     json_string_value(json_object_get(v, "detail")));
done:
    mobid_http_result_free(&r);
    json_decref(body);
    json_decref(v);
    free(auth);
    return err;
}

/* Why a session failed, in the page's terms. */
static const char *reason_of(const char *error, const char *detail)
{
    if (!error)
        return "failed";
    if (!strcmp(error, "SUSPENDED"))
        return "suspended";
    if (!strcmp(error, "REVOKED"))
        return "revoked";
    if (!strcmp(error, "SESSION_EXPIRED"))
        return "expired";
    if (!strcmp(error, "CONSENT_DENIED") || (detail && strstr(detail, "access_denied")))
        return "consent";
    return "failed";
}

/* "홍길동 (Gildong Hong)" from whatever name claims there are. */
static char *display_name(const json_t *flat)
{
    char buf[512];
    prov_person_name(flat, buf, sizeof buf);
    return strdup(buf);
}

/* The claims as the page shows them: the registration number masked after the sex
 * digit (880722-2******); the whole number appears only on the certificate, whose
 * purpose is to state it. */
static json_t *shown_claims(const json_t *flat)
{
    json_t *out = json_deep_copy(flat);
    const char *rrn = json_string_value(json_object_get(out, "resident_registration_number"));
    char masked[32];
    size_t n = rrn ? strlen(rrn) : 0;

    if (rrn && n > 8 && n < sizeof masked) {
        memcpy(masked, rrn, 8);
        memset(masked + 8, '*', n - 8);
        masked[n] = 0;
        json_object_set_new(out, "resident_registration_number", json_string(masked));
    }
    return out;
}

static mobid_err verified(portal_ctx *ctx, portal_site site, const char *id, const json_t *v,
                          mobid_http_resp *resp)
{
    json_t *flat = NULL, *out = NULL;
    char *name = NULL, number[32];
    mobid_buf html = { 0 };
    mobid_err err;

    mobid_buf_init(&html, 0);
    /* withheld: a same-device session read without its response code (the page that
     * the wallet did not send back here); delivered: read before */
    if (!json_object_get(v, "claims"))
        return reply(resp, 200, json_pack("{s:s, s:s}", "status", "verified", "reason",
                                          json_object_get(v, "claims_withheld") ? "withheld"
                                                                                 : "delivered"));
    if ((err = portal_flatten_claims(json_object_get(v, "claims"), &flat)) || !(name = display_name(flat)))
        goto done;
    json_t *masked = shown_claims(flat);
    out = json_pack("{s:s, s:s, s:O, s:o}", "status", "verified", "name", name, "claims", masked,
                    "shown", portal_shown(ctx, masked));
    json_decref(masked);
    if (out && site == PORTAL_GOV) {
        if ((err = portal_certificate(ctx, id, flat, number, &html)) || (err = mobid_buf_terminate(&html)))
            goto done;
        json_object_set_new(out, "certificate",
                            json_pack("{s:s, s:s}", "number", number, "html", (char *)html.ptr));
    }
    err = reply(resp, 200, out);
    out = NULL;
done:
    json_decref(flat);
    json_decref(out);
    free(name);
    mobid_buf_free(&html);
    return err;
}

static mobid_err answer(portal_ctx *ctx, portal_site site, const char *id, const json_t *v,
                        mobid_http_resp *resp)
{
    const char *st = json_string_value(json_object_get(v, "status"));
    const char *error = json_string_value(json_object_get(v, "error"));
    const char *detail = json_string_value(json_object_get(v, "detail"));
    if (!st)
        return refuse(resp, 502, "BAD_GATEWAY", "the verifier's answer has no status");
    if (!strcmp(st, "verified"))
        return verified(ctx, site, id, v, resp);
    if (!strcmp(st, "pending"))
        return reply(resp, 200, json_pack("{s:s}", "status", "pending"));
    if (!strcmp(st, "expired"))
        return reply(resp, 200, json_pack("{s:s, s:s}", "status", "expired", "reason", "expired"));
    return reply(resp, 200, json_pack("{s:s, s:s, s:s}", "status", "failed", "reason",
                                      reason_of(error, detail), "error", error ? error : "UNKNOWN"));
}

/* A parked result request and its fetch: shared by the two, freed by the last. */
typedef struct result_wait {
    atomic_int refs;
    atomic_bool cancel;   /* the page went away: end the fetch */
    atomic_bool finished; /* err and res are set */
    portal_ctx *ctx;
    mobid_http_server *srv;
    portal_site site;
    char *id;
    char code[72];        /* the response code the page presents ("" if none) */
    char key[64];         /* the parking key the fetch wakes */
    mobid_err err;
    mobid_http_result res;
} result_wait;

static void wait_unref(result_wait *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    mobid_http_result_free(&w->res);
    free(w->id);
    free(w);
}

/* On the fetcher's thread. */
static void on_fetched(void *arg, mobid_err err, mobid_http_result *res)
{
    result_wait *w = arg;
    w->err = err;
    w->res = *res;
    memset(res, 0, sizeof *res);
    atomic_store(&w->finished, true);
    mobid_http_server_wake(w->srv, w->key);
    wait_unref(w);
}

static void on_request_freed(void *arg)
{
    result_wait *w = arg;
    atomic_store(&w->cancel, true);
    wait_unref(w);
}

static mobid_err on_result_ready(mobid_http_req *req, mobid_http_resp *resp, void *arg,
                                 mobid_http_wake why)
{
    result_wait *w = arg;
    json_t *v = NULL;
    mobid_err err;
    if (!atomic_load(&w->finished)) {
        if (why == MOBID_HTTP_WOKEN) /* not our fetch: wait on */
            return mobid_http_req_park(req, (double)portal_wait_s(w->ctx) + 15, on_result_ready, w);
        return reply(resp, 200, json_pack("{s:s}", "status", "pending"));
    }
    if (w->err || w->res.status != 200 || mobid_http_result_json(&w->res, &v))
        err = refuse(resp, 502, "BAD_GATEWAY", "the verifier cannot be reached");
    else
        err = answer(w->ctx, w->site, w->id, v, resp);
    json_decref(v);
    return err;
}

/* Deadlines nest: the verifier holds the long-poll wait_s, the fetch gives up 10 s later
 * (a slow answer at the end of the wait still arrives), and the page's parked request
 * 15 s later, so the fetch always ends first and the page hears its outcome. */
static mobid_err start_fetch(portal_ctx *ctx, result_wait *w)
{
    char url[1200], *auth = auth_header(ctx, w->site);
    if (!auth)
        return MOBID_ERR_NOMEM;
    snprintf(url, sizeof url, "%s/api/v1/verifications/%s?wait=%ld%s%s", portal_verifier_url(ctx),
             w->id, portal_wait_s(ctx), *w->code ? "&response_code=" : "", w->code);
    const char *headers[] = { auth, NULL };
    atomic_fetch_add(&w->refs, 1); /* the fetch's */
    mobid_err err = mobid_http_fetch_get(portal_fetcher(ctx), url, headers,
                                         (portal_wait_s(ctx) + 10) * 1000, on_fetched, w, &w->cancel);
    if (err)
        atomic_fetch_sub(&w->refs, 1);
    free(auth);
    return err;
}

/* A response code as the verifier makes them (base64url), so it goes into the
 * verifier's URL as it is. */
static bool code_ok(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n >= sizeof ((result_wait *)0)->code)
        return false;
    return strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

mobid_err portal_on_result(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    static atomic_uint_fast64_t seq;
    portal_ctx *ctx = vctx;
    portal_site site;
    char *id = NULL;
    mobid_err err;

    portal_security_headers(resp);
    if (!site_from(mobid_http_req_query(req, "site"), &site) || !portal_api_key(ctx, site) ||
        portal_ticket_open(ctx, site, mobid_http_req_query(req, "ticket"), &id))
        return refuse(resp, 404, "NOT_FOUND", "no such verification");
    const char *code = mobid_http_req_query(req, "response_code");
    if (code && !code_ok(code)) {
        free(id);
        return refuse(resp, 400, "MALFORMED", "response_code is base64url");
    }
    result_wait *w = calloc(1, sizeof *w);
    if (!w) {
        free(id);
        return MOBID_ERR_NOMEM;
    }
    atomic_init(&w->refs, 1); /* the request's, dropped when it is freed */
    w->ctx = ctx;
    w->srv = mobid_http_req_server(req);
    w->site = site;
    w->id = id;
    snprintf(w->code, sizeof w->code, "%s", code ? code : "");
    snprintf(w->key, sizeof w->key, "portal-result:%llu",
             (unsigned long long)atomic_fetch_add(&seq, 1));
    if ((err = mobid_http_req_on_free(req, on_request_freed, w))) {
        wait_unref(w);
        return err;
    }
    /* Watch before the fetch starts: it may end before the handler returns. */
    if ((err = mobid_http_req_watch(req, w->key)))
        return err;
    err = start_fetch(ctx, w);
    if (err == MOBID_SVC_ERR_BUSY)
        /* max_waiting long-polls are open to the verifier already: refuse rather
         * than queue, the page retries in 2 s */
        return mobid_http_resp_retry_later(resp, 503, 2, "BUSY",
                                           "too many pages are waiting; retry shortly");
    if (err)
        return refuse(resp, 502, "BAD_GATEWAY", "the verifier cannot be reached");
    return mobid_http_req_park(req, (double)portal_wait_s(ctx) + 15, on_result_ready, w);
}
