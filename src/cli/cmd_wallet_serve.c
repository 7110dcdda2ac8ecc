/*
 * `mobid wallet serve [--wallet F] [--listen 127.0.0.1:8444]`: the citizen's wallet as
 * a phone-sized web app (src/services/wallet). Prints {"url":...} with the per-launch
 * secret on stdout; nothing but /healthz is served without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "http/log.h"
#include "http/notify.h"
#include "services/wallet/app.h"

/* Loopback unless the operator names another address on purpose. */
static bool loopback(const char *listen)
{
    return !strncmp(listen, "127.", 4) || !strncmp(listen, "[::1]:", 6) ||
           !strncmp(listen, "localhost:", 10);
}

int cli_wallet_serve(const cli_wallet_host *h, const cli_wallet_serve_opts *o)
{
    wallet_app_config cfg = { 0 };
    wallet_app *app = NULL;
    mobid_http_server *srv = NULL;
    const char *listen = o->listen ? o->listen : "127.0.0.1:8444";
    mobid_http_config hc = { .name = "wallet", .listen = listen, .max_body = 8u << 20,
                             .access_log = true, .workers = 4 };
    mobid_err err;
    int rc = CLI_EXIT_FAIL;

    if (!loopback(listen))
        fprintf(stderr, "wallet: warning: listening on %s, not loopback\n", listen);
    cfg.wallet_path = h->path;
    cfg.ca_file = h->ca_file;
    cfg.issuer_roots = o->issuer_roots;
    cfg.rp_roots = o->rp_roots;
    cfg.reg_roots = o->reg_roots;
    cfg.scrypt_n = o->scrypt_n;
    cfg.web_dir = o->web_dir;
    cfg.session_s = o->session_s;
    cfg.secret = getenv("MOBID_WALLET_APP_SECRET"); /* from `mobid up` */
    cfg.have_at = h->have_at;
    cfg.at = h->at;
    if ((err = mobid_http_signals_block()) || (err = wallet_app_new(&cfg, &app)) ||
        (err = mobid_http_server_new(&hc, &srv)) || (err = wallet_app_routes(app, srv)) ||
        (err = mobid_http_server_start(srv))) {
        fprintf(stderr, "wallet: %s\n", mobid_svc_strerror(err));
        goto done;
    }
    printf("{\"url\":\"%s/open?k=%s\"}\n", mobid_http_server_url(srv), wallet_app_secret(app));
    fflush(stdout);
    fprintf(stderr, "wallet app: open %s/open?k=%s\n", mobid_http_server_url(srv),
            wallet_app_secret(app));
    (void)mobid_serve_until_signal();
    rc = CLI_EXIT_OK;
done:
    mobid_http_server_free(srv);
    wallet_app_free(app);
    return rc;
}
