/*
 * The citizen's wallet web app (`mobid wallet serve`): a phone-sized page over
 * lib/wallet. Every protocol and crypto step runs in lib/wallet inside this process;
 * the page gets only what it shows (card claims, consent details, history) and holds
 * no key, no PIN and no credential. The PIN travels with the one request that needs
 * it and is wiped after the call.
 *
 * Access: a per-launch secret (wallet_app_secret) in the URL printed at start opens a
 * session (HttpOnly, SameSite=Strict cookie, idle timeout); without it nothing but
 * /healthz is served. Every POST carries the session's CSRF token in X-CSRF-Token.
 * One session at a time: opening the link again replaces the previous one.
 *
 * Files: app.c (context, sessions, pages, security headers), app_api.c (the JSON API),
 * host.c (the wallet file and HTTP, shared with the terminal wallet).
 *
 * Threading: handlers run on the server's workers; the wallet file and the session are
 * behind one mutex, so wallet operations run one at a time.
 */
#ifndef MOBID_WALLET_APP_H
#define MOBID_WALLET_APP_H

#include <pthread.h>
#include <jansson.h>
#include <mobid/wallet.h>
#include "http/server.h"

typedef struct wallet_app_config {
    const char *wallet_path;   /* the wallet file (made at first start) */
    const char *ca_file;       /* CAs trusted for https, or NULL (the system's) */
    const char *issuer_roots;  /* first start: PEM files of the anchors (paths) */
    const char *rp_roots;
    const char *reg_roots;
    const char *card_types;    /* card types JSON file, or NULL: etc/card-types.json built in */
    const char *web_dir;       /* pages from this folder, or NULL: web/wallet built in */
    unsigned session_s;        /* idle timeout of a session; 0 = 600 */
    const char *secret;        /* the launch secret (16 to 64 URL-safe characters), or
                                  NULL: drawn at random */
    uint64_t scrypt_n;         /* first start: KDF cost; 0 = the library's default */
    bool have_at;
    mobid_time at;             /* pinned clock (tests) */
} wallet_app_config;

typedef struct wallet_app wallet_app;

/* Copy cfg, read the anchors and card types, draw the launch secret. Returns
 * INVALID_ARG (no wallet path), NOT_FOUND / IO (a file), NOMEM. */
MOBID_MUST_CHECK mobid_err wallet_app_new(const wallet_app_config *cfg, wallet_app **out);
void wallet_app_free(wallet_app *app);

/* The launch secret (owned by app): open "/open?k=SECRET" to start a session. */
const char *wallet_app_secret(const wallet_app *app);

/* Route the pages, static files and the API on srv. */
mobid_err wallet_app_routes(wallet_app *app, mobid_http_server *srv);

/* ---- between app.c and app_api.c ---- */

struct wallet_app {
    wallet_app_config cfg;      /* strings owned */
    char *device_key;           /* the device secret's file: the wallet's name + ".key" */
    char secret[80];
    char sid[48];               /* the session's cookie value; "" = none */
    char csrf[48];
    mobid_time seen;            /* last request of the session */
    json_t *cards;              /* after a PIN: [{id,format,type,issuer,unused,total,claims}] */
    json_t *history;            /* after a PIN */
    char *approved;             /* consent the holder saw (compact JSON), for present */
    char *pem[3];
    json_t *card_types;
    void *http;                 /* mobid_http_client */
    pthread_mutex_t lock;
};

/* The session check of every page and API route: true when req carries the live
 * session cookie (and, for POST, the CSRF header); else resp is answered (401/403).
 * Call with app->lock held. */
bool wallet_app_session_ok(wallet_app *app, mobid_http_req *req, mobid_http_resp *resp,
                           bool post);
void wallet_app_headers(mobid_http_resp *resp);
mobid_time wallet_app_now(const wallet_app *app);
/* Forget everything shown after a PIN (cards, history, consent). */
void wallet_app_forget(wallet_app *app);

mobid_err wallet_api_routes(wallet_app *app, mobid_http_server *srv);

#endif
