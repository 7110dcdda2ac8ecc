/*
 * Verifier configuration: trust anchors, relying parties with their access
 * certificates, API key hashes and ministry registrations, named DCQL profiles.
 * Relative paths are taken from the configuration file's folder.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/jose.h>
#include "http/resource.h"
#include "services/verifier/verifier.h"

static char *path_join(const char *dir, const char *p)
{
    size_t n = strlen(dir) + strlen(p) + 2;
    char *out = p[0] == '/' ? NULL : malloc(n);
    if (p[0] == '/')
        return strdup(p);
    if (out)
        snprintf(out, n, "%s/%s", dir, p);
    return out;
}

/* Read a whole file relative to dir into out (NUL-terminated). */
mobid_err verifier_read_file(const char *dir, const char *rel, mobid_buf *out)
{
    char *path = rel ? path_join(dir, rel) : NULL;
    mobid_err err = path ? MOBID_OK : MOBID_ERR_IO;

    mobid_buf_init(out, 16 * 1024 * 1024);
    if (!err)
        err = mobid_file_read(path, 16 * 1024 * 1024, out);
    if (err)
        fprintf(stderr, "verifier: cannot read %s: %s\n", path ? path : "(missing path)",
                mobid_svc_strerror(err));
    free(path);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_IO : err;
}

static mobid_err load_seal_key(verifier_ctx *ctx, const char *dir, const json_t *cfg)
{
    mobid_buf text = { 0 }, raw = { 0 };
    mobid_err err = verifier_read_file(dir, json_string_value(json_object_get(cfg, "seal_key_file")), &text);
    mobid_buf_init(&raw, 0);
    if (!err && ((err = mobid_hex_decode(mobid_buf_view(&text), &raw)) || raw.len != 32)) {
        fprintf(stderr, "verifier: seal_key_file must hold 32 bytes in hex\n");
        err = MOBID_ERR_INVALID_ARG;
    }
    if (!err)
        memcpy(ctx->seal_key, raw.ptr, 32);
    mobid_buf_free(&text);
    mobid_buf_free(&raw);
    return err;
}

static mobid_err load_rp_files(verifier_ctx *ctx, verifier_rp *rp, const char *dir,
                               const json_t *j)
{
    mobid_buf b = { 0 }, cid = { 0 };
    mobid_err err;

    if ((err = verifier_read_file(dir, json_string_value(json_object_get(j, "key")), &b)) ||
        (err = mobid_key_from_pem(mobid_buf_view(&b), &rp->key)))
        goto done;
    mobid_buf_free(&b);
    if ((err = verifier_read_file(dir, json_string_value(json_object_get(j, "cert")), &b)) ||
        (err = mobid_cert_parse_all(mobid_buf_view(&b), &rp->chain, &rp->chain_len)))
        goto done;
    mobid_buf_free(&b);
    if ((err = verifier_read_file(dir, json_string_value(json_object_get(j, "registration")), &b)))
        goto done;
    while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' || b.ptr[b.len - 1] == ' '))
        b.ptr[--b.len] = 0;
    rp->registration_jwt = mobid_view_strdup(mobid_buf_view(&b));
    mobid_buf_init(&cid, 0);
    if (!rp->registration_jwt || (err = mobid_oid4vp_client_id(rp->chain[0], &cid)) ||
        !(rp->client_id = mobid_view_strdup(mobid_buf_view(&cid))) ||
        (err = mobid_oid4vp_request_signer_new(rp->key, rp->chain, rp->chain_len,
                                               rp->registration_jwt, &rp->signer))) {
        err = err ? err : MOBID_ERR_NOMEM;
        goto done;
    }
    err = mobid_oid4vp_registration_verify(mobid_view_str(rp->registration_jwt), ctx->reg_trust, 0,
                                           &rp->reg);
    if (err)
        fprintf(stderr, "verifier: registration of %s does not verify: %s\n", rp->id,
                mobid_svc_err_name(err));
    else if (strcmp(rp->reg.rp_id, rp->id) ||
             (rp->reg.client_id && strcmp(rp->reg.client_id, rp->client_id))) {
        fprintf(stderr, "verifier: registration of %s names another party or certificate\n", rp->id);
        err = MOBID_ERR_SUBJECT_MISMATCH;
    }
done:
    mobid_buf_free(&b);
    mobid_buf_free(&cid);
    return err;
}

static mobid_err load_rp(verifier_ctx *ctx, verifier_rp *rp, const char *dir, const json_t *j)
{
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *hash = json_string_value(json_object_get(j, "api_key_sha256"));
    const char *mode = json_string_value(json_object_get(j, "response_mode"));
    mobid_buf raw = { 0 };
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&raw, 0);
    /* Only the API key's SHA-256 is configured: a copy of the config file does not
     * authenticate as the party. */
    if (!id || !hash || mobid_hex_decode(mobid_view_str(hash), &raw) || raw.len != 32) {
        fprintf(stderr, "verifier: each relying party needs an id and api_key_sha256 (hex)\n");
        goto done;
    }
    memcpy(rp->api_key_hash, raw.ptr, 32);
    rp->encrypted = !mode || !strcmp(mode, "direct_post.jwt");
    if (!(rp->id = strdup(id))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = load_rp_files(ctx, rp, dir, j);
done:
    mobid_buf_free(&raw);
    return err;
}

static mobid_err load_profiles(verifier_ctx *ctx, const json_t *profiles)
{
    const char *name;
    json_t *q;
    ctx->profiles = calloc(json_object_size(profiles) + 1, sizeof *ctx->profiles);
    if (!ctx->profiles)
        return MOBID_ERR_NOMEM;
    json_object_foreach ((json_t *)profiles, name, q) {
        mobid_dcql *parsed = NULL;
        char detail[160] = "";
        mobid_err err = mobid_dcql_parse(q, &parsed, detail, sizeof detail);
        mobid_dcql_free(parsed);
        if (err) {
            fprintf(stderr, "verifier: profile %s: %s\n", name, detail);
            return err;
        }
        verifier_profile *p = &ctx->profiles[ctx->n_profiles++];
        p->name = strdup(name);
        p->dcql = json_incref(q);
        if (!p->name)
            return MOBID_ERR_NOMEM;
    }
    return MOBID_OK;
}

/* Status lists: fetched over https with the system's CAs, or those of "tls_ca_file"
 * (an issuer behind a private CA); "status_map" serves some from elsewhere. */
static mobid_err load_status(verifier_ctx *ctx, const json_t *map, const char *ca_file)
{
    mobid_statuslist_fetch_opts fo = { .ca_file = ca_file, .get = mobid_http_statuslist_get };
    mobid_err err = mobid_statuslist_fetcher_new(ctx->trust, &fo, &ctx->status);
    const char *uri;
    json_t *loc;
    json_object_foreach ((json_t *)map, uri, loc)
        if (!err && json_is_string(loc))
            err = mobid_statuslist_fetcher_map(ctx->status, uri, json_string_value(loc));
    return err;
}

static mobid_err load_config(verifier_ctx *ctx, const char *dir, const json_t *cfg)
{
    mobid_err err;
    const json_t *rps = json_object_get(cfg, "relying_parties");
    const char *url = json_string_value(json_object_get(cfg, "public_url"));
    json_int_t ttl = json_integer_value(json_object_get(cfg, "session_ttl"));

    ctx->ttl = ttl > 0 ? ttl : VERIFIER_DEFAULT_TTL;
    if (url && !(ctx->public_url = strdup(url)))
        return MOBID_ERR_NOMEM;
    if ((err = load_seal_key(ctx, dir, cfg)) ||
        (err = verifier_trust_load(ctx, dir, cfg)) ||
        (err = verifier_trust_files(dir, json_object_get(cfg, "registration_anchors"),
                                    &ctx->reg_trust)) ||
        (err = load_status(ctx, json_object_get(cfg, "status_map"),
                           json_string_value(json_object_get(cfg, "tls_ca_file")))))
        return err;
    if (!json_is_array(rps) || !json_array_size(rps)) {
        fprintf(stderr, "verifier: no relying_parties configured\n");
        return MOBID_ERR_INVALID_ARG;
    }
    if (!(ctx->rps = calloc(json_array_size(rps), sizeof *ctx->rps)))
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < json_array_size(rps); i++, ctx->n_rps++)
        if ((err = load_rp(ctx, &ctx->rps[i], dir, json_array_get(rps, i))))
            return err;
    return load_profiles(ctx, json_object_get(cfg, "profiles"));
}

static mobid_err open_store(verifier_ctx *ctx, const char *db_url)
{
    mobid_store *s = NULL;
    mobid_err err = mobid_store_pool_new(db_url, 16, &ctx->pool);
    if (!err)
        err = mobid_store_pool_acquire(ctx->pool, &s);
    if (!err) {
        err = verifier_store_migrate(s);
        mobid_store_pool_release(ctx->pool, s);
    }
    if (err)
        fprintf(stderr, "verifier: cannot open the store: %s\n", mobid_svc_err_name(err));
    return err;
}

mobid_err verifier_ctx_new(const char *config_path, const char *db_url, verifier_ctx **out)
{
    mobid_err err;
    verifier_ctx *ctx = calloc(1, sizeof *ctx);
    mobid_buf text = { 0 };
    json_t *cfg = NULL;
    char *dircopy = strdup(config_path ? config_path : "");

    *out = NULL;
    if (!ctx || !dircopy) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    pthread_mutex_init(&ctx->status_lock, NULL);
    if ((err = verifier_read_file(".", config_path, &text)))
        goto done;
    if ((err = mobid_json_parse(mobid_buf_view(&text), 0, &cfg)) || !json_is_object(cfg)) {
        fprintf(stderr, "verifier: %s is not a JSON object\n", config_path);
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    if ((err = verifier_cache_new(VERIFIER_CACHE_SLOTS, &ctx->cache)) ||
        (err = load_config(ctx, dirname(dircopy), cfg)) || (err = open_store(ctx, db_url)) ||
        (err = verifier_events_load(ctx, db_url, cfg)))
        goto done;
    *out = ctx;
    ctx = NULL;
done:
    verifier_ctx_free(ctx);
    json_decref(cfg);
    mobid_buf_free(&text);
    free(dircopy);
    return err;
}

void verifier_ctx_free(verifier_ctx *ctx)
{
    if (!ctx)
        return;
    verifier_events_free(ctx);
    verifier_cache_free(ctx->cache);
    for (size_t i = 0; i < ctx->n_rps; i++) {
        verifier_rp *rp = &ctx->rps[i];
        free(rp->id);
        mobid_key_free(rp->key);
        mobid_cert_list_free(rp->chain, rp->chain_len);
        free(rp->client_id);
        free(rp->registration_jwt);
        mobid_oid4vp_request_signer_free(rp->signer);
        mobid_oid4vp_registration_clear(&rp->reg);
    }
    free(ctx->rps);
    for (size_t i = 0; i < ctx->n_profiles; i++) {
        free(ctx->profiles[i].name);
        json_decref(ctx->profiles[i].dcql);
    }
    free(ctx->profiles);
    mobid_statuslist_fetcher_free(ctx->status);
    verifier_trust_free(ctx);
    mobid_trust_free(ctx->trust);
    mobid_trust_free(ctx->reg_trust);
    mobid_store_pool_free(ctx->pool);
    pthread_mutex_destroy(&ctx->status_lock);
    mobid_wipe(ctx->seal_key, sizeof ctx->seal_key);
    free(ctx->public_url);
    free(ctx);
}

const verifier_rp *verifier_rp_by_api_key(const verifier_ctx *ctx, const char *authorization)
{
    uint8_t h[MOBID_HASH_MAX];
    const verifier_rp *found = NULL;
    if (!authorization || strncmp(authorization, "Bearer ", 7) || !authorization[7])
        return NULL;
    if (mobid_hash(MOBID_HASH_SHA256, mobid_view_str(authorization + 7), h))
        return NULL;
    /* Every party is compared, in constant time, whichever matches. */
    for (size_t i = 0; i < ctx->n_rps; i++)
        if (mobid_ct_eq(mobid_view_make(h, 32), mobid_view_make(ctx->rps[i].api_key_hash, 32)))
            found = &ctx->rps[i];
    return found;
}

const verifier_rp *verifier_rp_by_id(const verifier_ctx *ctx, const char *id)
{
    for (size_t i = 0; id && i < ctx->n_rps; i++)
        if (!strcmp(ctx->rps[i].id, id))
            return &ctx->rps[i];
    return NULL;
}

const verifier_profile *verifier_profile_find(const verifier_ctx *ctx, const char *name)
{
    for (size_t i = 0; name && i < ctx->n_profiles; i++)
        if (!strcmp(ctx->profiles[i].name, name))
            return &ctx->profiles[i];
    return NULL;
}

mobid_err verifier_set_public_url(verifier_ctx *ctx, const char *url)
{
    if (ctx->public_url)
        return MOBID_OK;
    ctx->public_url = strdup(url);
    return ctx->public_url ? MOBID_OK : MOBID_ERR_NOMEM;
}
