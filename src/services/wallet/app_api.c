/*
 * The wallet app's JSON API: every call runs lib/wallet in this process with the
 * callbacks below; the PIN and the transaction code come with the request that needs
 * them and are wiped afterwards. Errors are {"error":CODE,"detail":...} with the
 * library's stable code names.
 *
 * Presenting is two calls, so the holder sees the consent screen before the PIN:
 * /api/present/check runs the flow up to consent (request fetched and verified, an
 * unregistered or over-asking relying party refused there) and stops; /api/present
 * runs it again and goes on only when the consent it meets is the one the holder saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include "qr/qr.h"
#include "services/wallet/app.h"
#include "services/wallet/host.h"

typedef struct app_call {
    wallet_app *app;
    char pin[16];        /* "" = none given */
    char tx_code[16];
    bool check_only;     /* present/check: stop at consent, keep what was asked */
    bool make_device_key; /* first start: create the device secret's file */
    json_t *consent;     /* the consent met, as shown */
} app_call;

static mobid_err cb_load(void *ctx, mobid_buf *out)
{
    return wallet_file_load(((app_call *)ctx)->app->cfg.wallet_path, out);
}

static mobid_err cb_save(void *ctx, mobid_view blob)
{
    return wallet_file_save(((app_call *)ctx)->app->cfg.wallet_path, blob);
}

static mobid_err cb_http(void *ctx, const mobid_wallet_http_req *req, long *status,
                         mobid_buf *body)
{
    wallet_app *app = ((app_call *)ctx)->app;
    return wallet_http(&app->http, app->cfg.ca_file, req, status, body);
}

static mobid_time cb_now(void *ctx)
{
    return wallet_app_now(((app_call *)ctx)->app);
}

static mobid_err cb_pin(void *ctx, const char *why, char pin[MOBID_WALLET_PIN_LEN + 1])
{
    app_call *c = ctx;

    (void)why;
    if (!c->pin[0])
        return MOBID_ERR_UNAUTHENTICATED;
    memcpy(pin, c->pin, MOBID_WALLET_PIN_LEN);
    pin[MOBID_WALLET_PIN_LEN] = '\0';
    if (strlen(c->pin) != MOBID_WALLET_PIN_LEN)
        pin[0] = 'x'; /* never a valid PIN: counted as wrong, not silently cut */
    return MOBID_OK;
}

static mobid_err cb_tx_code(void *ctx, unsigned len, const char *desc, char *out, size_t cap)
{
    app_call *c = ctx;

    (void)len;
    (void)desc;
    if (!c->tx_code[0])
        return MOBID_ERR_UNAUTHENTICATED;
    snprintf(out, cap, "%s", c->tx_code);
    return MOBID_OK;
}

static json_t *consent_json(const mobid_wallet_consent *k)
{
    json_t *claims = json_array();
    json_t *j;

    for (size_t i = 0; k->claims && k->claims[i]; i++)
        json_array_append_new(claims, json_string(k->claims[i]));
    j = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:o}", "rp_name", k->rp_name, "rp_id", k->rp_id,
                  "client_id", k->client_id, "subject", k->subject, "legal_basis",
                  k->legal_basis, "claims", claims);
    return j;
}

/* check: keep what is asked and stop; present: go on only for what the holder saw. */
static mobid_err cb_consent(void *ctx, const mobid_wallet_consent *k)
{
    app_call *c = ctx;
    char *now;
    mobid_err err;

    json_decref(c->consent);
    if (!(c->consent = consent_json(k)))
        return MOBID_ERR_NOMEM;
    if (c->check_only)
        return MOBID_ERR_CONSENT_DENIED;
    now = json_dumps(c->consent, JSON_COMPACT | JSON_SORT_KEYS);
    err = now && c->app->approved && !strcmp(now, c->app->approved) ? MOBID_OK
                                                                     : MOBID_ERR_CONSENT_DENIED;
    free(now);
    return err;
}

/* The device secret beside the wallet file (as the terminal wallet keeps it). */
static mobid_err cb_device_secret(void *ctx, uint8_t out[32])
{
    app_call *c = ctx;

    return wallet_device_secret(c->app->device_key, c->make_device_key, out);
}

static mobid_wallet_io call_io(app_call *c)
{
    mobid_wallet_io io = { c, cb_load, cb_save, cb_http, cb_now, cb_pin, cb_tx_code,
                           cb_consent, cb_device_secret, NULL };
    return io;
}

static void call_end(app_call *c)
{
    mobid_wipe(c->pin, sizeof c->pin);
    mobid_wipe(c->tx_code, sizeof c->tx_code);
    json_decref(c->consent);
    c->consent = NULL;
}

/* ---- answers ---- */

/* The library's error as the API's answer: the holder's or a party's refusal is 4xx
 * (422 when the shared status table calls it a server fault: a refused request object
 * is not this server's), an unreachable party 502, only our own faults 500. */
static mobid_err fail(mobid_http_resp *resp, mobid_err err, const char *detail)
{
    unsigned st = mobid_http_status_of(err);

    if (err == MOBID_ERR_FETCH_FAILED)
        st = 502;
    else if (err == MOBID_ERR_PIN_WRONG)
        st = 403;
    else if (err == MOBID_ERR_WALLET_LOCKED)
        st = 423;
    else if (st >= 500 && err != MOBID_ERR_NOMEM && err != MOBID_ERR_IO)
        st = 422;
    return mobid_http_resp_error(resp, st, mobid_svc_err_name(err),
                                 detail && detail[0] ? detail : mobid_svc_strerror(err));
}

/* Tries left after a wrong PIN, for the page's message. */
static mobid_err fail_pin(app_call *c, mobid_http_resp *resp, mobid_err err, const char *detail)
{
    mobid_wallet_io io = call_io(c);
    unsigned failed = 0;
    bool locked = false;
    char msg[96];

    if ((err == MOBID_ERR_PIN_WRONG || err == MOBID_ERR_WALLET_LOCKED) &&
        mobid_wallet_lock_status(&io, &failed, &locked) == MOBID_OK) {
        snprintf(msg, sizeof msg, "wrong PIN; %u tries left",
                 failed < MOBID_WALLET_MAX_TRIES ? MOBID_WALLET_MAX_TRIES - failed : 0);
        detail = locked ? "the wallet is locked after 5 wrong PINs" : msg;
        err = locked ? MOBID_ERR_WALLET_LOCKED : err;
    }
    return fail(resp, err, detail);
}

/* Read the JSON body and the fields pin / tx_code into the call. */
static mobid_err read_body(mobid_http_req *req, app_call *c, json_t **body)
{
    const char *pin, *tx;
    mobid_err err = mobid_http_req_json(req, body);

    if (err)
        return err;
    pin = json_string_value(json_object_get(*body, "pin"));
    tx = json_string_value(json_object_get(*body, "tx_code"));
    if ((pin && strlen(pin) >= sizeof c->pin) || (tx && strlen(tx) >= sizeof c->tx_code))
        return MOBID_ERR_INVALID_ARG;
    snprintf(c->pin, sizeof c->pin, "%s", pin ? pin : "");
    snprintf(c->tx_code, sizeof c->tx_code, "%s", tx ? tx : "");
    return MOBID_OK;
}

/* After a PIN: the cards with their claims and the history, kept for the session. */
static mobid_err load_cards(app_call *c)
{
    mobid_wallet_io io = call_io(c);
    json_t *list = NULL, *hist = NULL, *e, *one;
    size_t i;
    mobid_err err = mobid_wallet_list(&io, NULL, &list);

    json_array_foreach(list, i, e)
    {
        if (err)
            break;
        one = NULL;
        err = mobid_wallet_list(&io, json_string_value(json_object_get(e, "id")), &one);
        if (!err)
            json_object_set(e, "claims", json_object_get(one, "claims"));
        json_decref(one);
    }
    if (!err)
        err = mobid_wallet_history(&io, &hist);
    if (!err && mobid_wallet_status(&io, list) != MOBID_OK)
        err = MOBID_OK; /* a status list out of reach leaves "unknown", not an error */
    if (!err) {
        wallet_app_forget(c->app);
        c->app->cards = list;
        c->app->history = hist;
        list = hist = NULL;
    }
    json_decref(list);
    json_decref(hist);
    return err;
}

static json_t *state_json(app_call *c)
{
    mobid_wallet_io io = call_io(c);
    unsigned failed = 0;
    bool locked = false;
    bool exists = access(c->app->cfg.wallet_path, F_OK) == 0;

    if (exists && mobid_wallet_lock_status(&io, &failed, &locked) != MOBID_OK)
        failed = 0;
    return json_pack("{s:s,s:b,s:b,s:i,s:i,s:b,s:b,s:i}", "csrf", c->app->csrf, "exists", exists,
                     "locked", locked, "failed", (int)failed, "tries_left",
                     locked ? 0 : MOBID_WALLET_MAX_TRIES - (int)failed, "unlocked",
                     c->app->cards != NULL, "can_create",
                     c->app->pem[0] && c->app->pem[1] && c->app->pem[2], "session_s",
                     (int)c->app->cfg.session_s);
}

/* ---- handlers (each under the app's lock) ---- */

typedef mobid_err (*api_fn)(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp);

static mobid_err api_state(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = state_json(c);
    mobid_err err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;

    (void)body;
    (void)req;
    json_decref(j);
    return err;
}

static mobid_err api_card_types(app_call *c, json_t *body, mobid_http_req *req,
                                mobid_http_resp *resp)
{
    (void)body;
    (void)req;
    return mobid_http_resp_json(resp, 200, c->app->card_types);
}

static mobid_err api_init(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    mobid_wallet_io io = call_io(c);
    mobid_wallet_init_opts o = { 0 };
    const char *again = json_string_value(json_object_get(body, "pin2"));
    mobid_err err;

    (void)req;
    if (!c->app->pem[0] || !c->app->pem[1] || !c->app->pem[2])
        return fail(resp, MOBID_ERR_INVALID_ARG,
                    "no trust anchors: start with --issuer-roots, --rp-roots, --registration-roots");
    if (!again || strcmp(again, c->pin) != 0)
        return fail(resp, MOBID_ERR_INVALID_ARG, "the two PINs differ");
    o.issuer_roots_pem = c->app->pem[0];
    o.rp_roots_pem = c->app->pem[1];
    o.reg_roots_pem = c->app->pem[2];
    o.scrypt_n = c->app->cfg.scrypt_n;
    c->make_device_key = true;
    err = mobid_wallet_init(&io, &o);
    c->make_device_key = false;
    if (!err)
        err = load_cards(c);
    if (err)
        return fail(resp, err, err == MOBID_ERR_INVALID_ARG ? "the PIN must be 6 digits" : NULL);
    return api_state(c, body, req, resp);
}

static mobid_err api_unlock(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    mobid_err err = load_cards(c);

    if (err)
        return fail_pin(c, resp, err, NULL);
    return api_state(c, body, req, resp);
}

static mobid_err api_lock(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    wallet_app_forget(c->app);
    return api_state(c, body, req, resp);
}

static mobid_err api_cards(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j;
    mobid_err err;

    (void)body;
    (void)req;
    if (!c->app->cards)
        return fail(resp, MOBID_ERR_UNAUTHENTICATED, "enter the PIN first");
    j = json_pack("{s:O,s:O}", "cards", c->app->cards, "history", c->app->history);
    err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

static mobid_err api_qr(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    char *text = NULL;
    json_t *j;
    mobid_err err = mobid_qr_read_png(mobid_http_req_body(req), &text);

    (void)c;
    (void)body;
    if (err)
        return fail(resp, err, err == MOBID_ERR_NOT_FOUND ? "no QR code in the image"
                                                          : "not a PNG image this app reads");
    j = json_pack("{s:s}", "text", text);
    err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    free(text);
    return err;
}

/* After receive or present: the cards read again (copies, history) and the summary
 * (consumed), or the failure in words. */
static mobid_err flow_answer(app_call *c, mobid_http_resp *resp, mobid_err err, json_t *summary,
                             const char *detail)
{
    if (!err)
        err = load_cards(c);
    if (!err)
        err = mobid_http_resp_json(resp, 200, summary);
    else
        err = fail_pin(c, resp, err, detail);
    json_decref(summary);
    return err;
}

static mobid_err api_receive(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    mobid_wallet_io io = call_io(c);
    const char *uri = json_string_value(json_object_get(body, "uri"));
    char detail[256] = "";
    json_t *summary = NULL;
    mobid_err err;

    (void)req;
    if (!uri)
        return fail(resp, MOBID_ERR_INVALID_ARG, "no offer link");
    err = mobid_wallet_receive(&io, uri, &summary, detail, sizeof detail);
    return flow_answer(c, resp, err, summary, detail);
}

static mobid_err api_present_check(app_call *c, json_t *body, mobid_http_req *req,
                                   mobid_http_resp *resp)
{
    mobid_wallet_io io = call_io(c);
    const char *uri = json_string_value(json_object_get(body, "uri"));
    char detail[256] = "";
    mobid_err err;

    (void)req;
    if (!uri)
        return fail(resp, MOBID_ERR_INVALID_ARG, "no request link");
    free(c->app->approved);
    c->app->approved = NULL;
    c->check_only = true;
    err = mobid_wallet_present(&io, uri, NULL, detail, sizeof detail);
    if (err == MOBID_ERR_CONSENT_DENIED && c->consent) {
        c->app->approved = json_dumps(c->consent, JSON_COMPACT | JSON_SORT_KEYS);
        return mobid_http_resp_json(resp, 200, c->consent);
    }
    return fail(resp, err ? err : MOBID_ERR_INVALID_ARG, detail);
}

static mobid_err api_present(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    mobid_wallet_io io = call_io(c);
    const char *uri = json_string_value(json_object_get(body, "uri"));
    char detail[256] = "";
    json_t *summary = NULL;
    mobid_err err;

    (void)req;
    if (!uri || !c->app->approved)
        return fail(resp, MOBID_ERR_INVALID_ARG, "check the request first");
    err = mobid_wallet_present(&io, uri, &summary, detail, sizeof detail);
    free(c->app->approved);
    c->app->approved = NULL;
    return flow_answer(c, resp, err, summary, detail);
}

/* Delete the wallet file, after the page's confirmation ("confirm": "delete"). */
static mobid_err api_delete(app_call *c, json_t *body, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *confirm = json_string_value(json_object_get(body, "confirm"));

    if (!confirm || strcmp(confirm, "delete") != 0)
        return fail(resp, MOBID_ERR_INVALID_ARG, "not confirmed");
    wallet_app_forget(c->app);
    if (unlink(c->app->cfg.wallet_path) != 0)
        return fail(resp, MOBID_ERR_IO, "the wallet file could not be removed");
    (void)unlink(c->app->device_key); /* a new wallet gets a new device secret */
    return api_state(c, body, req, resp);
}

/* ---- dispatch ---- */

typedef struct api_route {
    const char *method, *path;
    api_fn fn;
} api_route;

static const api_route routes[] = {
    { "GET", "/api/state", api_state },         { "GET", "/api/card-types", api_card_types },
    { "GET", "/api/cards", api_cards },         { "POST", "/api/init", api_init },
    { "POST", "/api/unlock", api_unlock },      { "POST", "/api/lock", api_lock },
    { "POST", "/api/qr", api_qr },              { "POST", "/api/receive", api_receive },
    { "POST", "/api/present/check", api_present_check },
    { "POST", "/api/present", api_present },    { "POST", "/api/delete", api_delete },
};

static mobid_err on_api(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    wallet_app *app = ctx;
    const char *path = mobid_http_req_route(req);
    bool post = !strcmp(mobid_http_req_method(req), "POST");
    app_call c;
    json_t *body = NULL;
    mobid_err err = MOBID_OK;
    size_t i;

    memset(&c, 0, sizeof c);
    c.app = app;
    /* One call at a time: each reads and rewrites the one wallet file (its PIN counter
     * too), and two at once could lose an update or a counted wrong PIN. */
    pthread_mutex_lock(&app->lock);
    if (!wallet_app_session_ok(app, req, resp, post))
        goto done;
    for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(routes[i].path, path) && !strcmp(routes[i].method, post ? "POST" : "GET"))
            break;
    /* /api/qr's body is a PNG, not JSON */
    if (post && strcmp(path, "/api/qr") != 0 && (err = read_body(req, &c, &body))) {
        err = fail(resp, err, "a JSON object was expected");
        goto done;
    }
    err = routes[i].fn(&c, body, req, resp);
done:
    pthread_mutex_unlock(&app->lock);
    call_end(&c);
    json_decref(body);
    return err;
}

mobid_err wallet_api_routes(wallet_app *app, mobid_http_server *srv)
{
    mobid_err err = MOBID_OK;

    for (size_t i = 0; !err && i < sizeof routes / sizeof routes[0]; i++)
        err = mobid_http_route(srv, routes[i].method, routes[i].path, on_api, app);
    return err;
}
