/* issuer: the service context, database connections and the HTTP server. */
#include "http/notify.h"
#include "services/issuer/issuer.h"
#include "services/issuer/officer_admin.h"
#include "services/issuer/renewal.h"
#include "services/issuer/sweeper.h"
#include "services/issuer/issuer_int.h"
#include "services/issuer/console.h"
#include "http/limits.h"
#include "http/log.h"
#include "http/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA_KEY_FILE_MAX 256

/* The data key file holds 32 raw bytes or their hex (whitespace allowed). */
static mobid_err load_data_key(const char *path, uint8_t key[32])
{
    mobid_buf raw, hex = { 0 };
    mobid_err err;

    mobid_buf_init(&raw, DATA_KEY_FILE_MAX + 1);
    if (!path || (err = mobid_file_read(path, DATA_KEY_FILE_MAX, &raw))) {
        fprintf(stderr, "issuer: data key file %s cannot be read\n", path ? path : "(none)");
        mobid_buf_free(&raw);
        return MOBID_ERR_IO;
    }
    err = MOBID_ERR_KEY_INVALID;
    if (raw.len == 32) {
        memcpy(key, raw.ptr, 32);
        err = MOBID_OK;
    } else if (mobid_looks_hex(mobid_buf_view(&raw)) &&
               mobid_hex_decode(mobid_buf_view(&raw), &hex) == MOBID_OK && hex.len == 32) {
        memcpy(key, hex.ptr, 32);
        err = MOBID_OK;
    }
    if (err != MOBID_OK)
        fprintf(stderr, "issuer: data key must be 32 bytes (raw or hex)\n");
    if (raw.ptr)
        mobid_wipe(raw.ptr, raw.len);
    mobid_buf_free(&raw);
    mobid_buf_free(&hex);
    return err;
}

/* A credential is cut at its document signer's notAfter, so a signer near its end
 * makes short-lived copies: say so at start while there is time to roll in the next
 * one (docs/operations.md, rotation). */
#define DS_WARN_S ((int64_t)30 * 86400)
static void ds_horizon_warn(const issuer_pki *p)
{
    mobid_time now = mobid_now();
    const issuer_signer *ds = issuer_pki_current_ds(p, now);
    char end[32];
    if (!ds) {
        mobid_log(MOBID_LOG_WARN, "issuer", "no document signer can sign now (all retired or "
                                            "expired): roll in one with mobid pki add-ds");
        return;
    }
    if (ds->not_after - now >= DS_WARN_S || mobid_time_format_rfc3339(ds->not_after, end))
        return;
    mobid_log(MOBID_LOG_WARN, "issuer", "document signer %s ends at %s: credentials are cut "
              "there; roll in the next one with mobid pki add-ds and restart", ds->id, end);
}

/* The PKI with its keys in files or a token (config "signing_keys", "pkcs11_module",
 * "pkcs11_pin_file" or $MOBID_PKCS11_PIN). */
static mobid_err pki_load(issuer_ctx *ctx)
{
    char *pin = NULL;
    const json_t *mod = json_object_get(ctx->cfg.raw, "pkcs11_module");
    issuer_pki_keys keys = { .module = json_is_string(mod) ? json_string_value(mod) : NULL,
                             .uris = json_object_get(ctx->cfg.raw, "signing_keys") };
    mobid_err err = issuer_pki_pin(ctx->cfg.pkcs11_pin_file, &pin);
    keys.pin = pin;
    if (err == MOBID_OK)
        err = issuer_pki_load(ctx->cfg.pki_dir, &keys, &ctx->pki);
    if (err == MOBID_OK)
        ds_horizon_warn(ctx->pki);
    if (err == MOBID_OK)
        err = issuer_crls_new(ctx, &keys);
    if (pin)
        memset(pin, 0, strlen(pin));
    free(pin);
    return err;
}

mobid_err issuer_ctx_new(issuer_config *cfg, const char *db_url, issuer_ctx **out)
{
    mobid_store *s = NULL;
    *out = NULL;
    issuer_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return MOBID_ERR_NOMEM;
    ctx->cfg = *cfg; /* owned from here on */
    memset(cfg, 0, sizeof *cfg);
    pthread_mutex_init(&ctx->lock, NULL);
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!ctx->cfg.pki_dir) {
        fprintf(stderr, "issuer: config needs pki_dir\n");
        goto done;
    }
    if ((err = load_data_key(ctx->cfg.data_key_file, ctx->data_key)) != MOBID_OK ||
        (err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(NULL, 0),
                          mobid_view_make(ctx->data_key, 32),
                          mobid_view_str("mobid issuer lookup"), ctx->lookup_key, 32)) !=
            MOBID_OK ||
        (err = pki_load(ctx)) != MOBID_OK || (err = issuer_haip_config(ctx)) != MOBID_OK ||
        (err = mobid_store_pool_new(db_url, 16, &ctx->pool)) != MOBID_OK ||
        (err = issuer_db(ctx, &s)) != MOBID_OK)
        goto done;
    if ((err = issuer_schema_migrate(s)) != MOBID_OK)
        fprintf(stderr, "issuer: migration failed: %s\n", mobid_store_errmsg(s));
    issuer_db_release(ctx, s);
done:
    if (err == MOBID_OK)
        *out = ctx;
    else
        issuer_ctx_free(ctx);
    return err;
}

void issuer_ctx_free(issuer_ctx *ctx)
{
    if (!ctx)
        return;
    issuer_pki_free(ctx->pki);
    issuer_crls_free(ctx->crls);
    issuer_haip_free(ctx);
    mobid_store_pool_free(ctx->pool);
    issuer_config_free(&ctx->cfg);
    pthread_mutex_destroy(&ctx->lock);
    mobid_wipe(ctx->data_key, sizeof ctx->data_key);
    mobid_wipe(ctx->lookup_key, sizeof ctx->lookup_key);
    free(ctx);
}

mobid_err issuer_db(issuer_ctx *ctx, mobid_store **out)
{
    return mobid_store_pool_acquire(ctx->pool, out);
}

void issuer_db_release(issuer_ctx *ctx, mobid_store *s)
{
    if (s)
        mobid_store_pool_release(ctx->pool, s);
}

static mobid_err health(void *arg)
{
    issuer_ctx *ctx = arg;
    mobid_store *s = NULL;
    int64_t v = 0;
    bool found;
    mobid_err err = issuer_db(ctx, &s);
    if (err == MOBID_OK)
        err = mobid_store_query_int64(s, "SELECT 1", &v, &found);
    issuer_db_release(ctx, s);
    return err;
}

mobid_err issuer_server_new(issuer_ctx *ctx, const char *listen, mobid_http_server **out)
{
    mobid_http_config hc = { .name = "issuer", .listen = listen, .max_body = ctx->cfg.max_body,
                             .access_log = true };
    mobid_http_server *srv = NULL;
    mobid_http_limits_apply(&ctx->cfg.http, &hc);
    mobid_err err = mobid_http_server_new(&hc, &srv);
    if (err == MOBID_OK) err = issuer_routes_oid4vci(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_admin(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_checkpoint(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_officer_admin(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_renewal(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_crl(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_console(srv, ctx);
    if (err == MOBID_OK) {
        mobid_http_server_set_health(srv, health, ctx);
        err = mobid_http_server_start(srv);
    }
    if (err == MOBID_OK && !ctx->cfg.issuer_url &&
        !(ctx->cfg.issuer_url = strdup(mobid_http_server_url(srv))))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = issuer_cardtypes_bind(&ctx->cfg);
    if (err != MOBID_OK)
        mobid_http_server_free(srv);
    else
        *out = srv;
    return err;
}

mobid_err issuer_serve(issuer_ctx *ctx, const char *listen)
{
    mobid_http_server *srv = NULL;
    mobid_err err = issuer_server_new(ctx, listen, &srv);
    if (err != MOBID_OK)
        return err;
    ctx->srv = srv;
    printf("{\"listen\":\"%s\",\"issuer\":\"%s\"}\n", mobid_http_server_url(srv),
           ctx->cfg.issuer_url);
    fflush(stdout);
    (void)mobid_sd_notify("READY=1");
    issuer_sweeper *sweeper = NULL;
    if (issuer_sweeper_start(ctx, &sweeper) != MOBID_OK) /* states then change on read */
        fprintf(stderr, "issuer: the lifecycle sweep did not start\n");
    mobid_http_signals_wait();
    issuer_sweeper_stop(sweeper);
    (void)mobid_sd_notify("STOPPING=1");
    mobid_http_server_stop(srv);
    mobid_http_server_free(srv);
    ctx->srv = NULL;
    return MOBID_OK;
}
