/*
 * `mobid bench issuance [--db URL] [--rounds N] [--json]`: OpenID4VCI issuance over
 * loopback HTTP against an in-process issuer. One round = POST /token (pre-authorized
 * code + tx_code) and, for each format (mso_mdoc, dc+sd-jwt), POST /nonce and a batch
 * POST /credential with 10 proofs: 20 credentials. Offers are created before the clock
 * starts; the wallet side (holder keys, proof JWTs) is timed too, as a wallet would
 * spend it. Default database: SQLite in a temporary directory; --db postgres://... for
 * PostgreSQL (e.g. the URL of scripts/pg-test). Pin to one core with taskset -c 0.
 */
#include "bench.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/oid4vci.h>

#include "http/client.h"
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#define BATCH 10

typedef struct bench_env {
    char dir[64];
    issuer_ctx *ctx;
    mobid_http_server *srv;
    mobid_http_client *http;
    mobid_key *keys[BATCH];
} bench_env;

static mobid_err env_open(bench_env *e, const char *db)
{
    char path[128], dbu[160];
    snprintf(e->dir, sizeof e->dir, "/tmp/mobid-bench-issuer-XXXXXX");
    if (!mkdtemp(e->dir))
        return MOBID_ERR_IO;
    snprintf(path, sizeof path, "%s/pki", e->dir);
    mobid_err err = issuer_pki_init(path, "bench", "http://127.0.0.1", "KR", NULL);
    snprintf(path, sizeof path, "%s/data.key", e->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return MOBID_ERR_IO;
    fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", f);
    fclose(f);
    json_t *j = json_pack("{s:s,s:s,s:i,s:{s:i}}", "pki_dir", "pki", "data_key_file", "data.key",
                          "batch_size", BATCH, "offer", "lifetime_s", 3600);
    issuer_config cfg;
    char cfgpath[128];
    snprintf(cfgpath, sizeof cfgpath, "%s/issuer.json", e->dir);
    if (err == MOBID_OK && json_dump_file(j, cfgpath, 0) != 0)
        err = MOBID_ERR_IO;
    json_decref(j);
    snprintf(dbu, sizeof dbu, "sqlite:%s/issuer.db", e->dir);
    if (err == MOBID_OK) err = issuer_config_load(cfgpath, &cfg);
    if (err == MOBID_OK) err = issuer_ctx_new(&cfg, db ? db : dbu, &e->ctx);
    if (err == MOBID_OK) err = issuer_server_new(e->ctx, "127.0.0.1:0", &e->srv);
    if (err == MOBID_OK) err = mobid_http_client_new(NULL, &e->http);
    for (int i = 0; i < BATCH && err == MOBID_OK; i++)
        err = mobid_key_generate(MOBID_CURVE_P256, &e->keys[i]);
    return err;
}

static void env_close(bench_env *e)
{
    char cmd[128];
    mobid_http_client_free(e->http);
    mobid_http_server_free(e->srv);
    issuer_ctx_free(e->ctx);
    for (int i = 0; i < BATCH; i++)
        mobid_key_free(e->keys[i]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (e->dir[0] && system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", e->dir);
}

static mobid_err make_offer(bench_env *e, int i, issuer_offer *o)
{
    mobid_store *s = NULL;
    char person[32];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    snprintf(person, sizeof person, "bench-%d", i);
    json_t *claims = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s}", "family_name", "Kim", "given_name",
        "Minji", "family_name_national_character", "김", "given_name_national_character", "민지",
        "birth_date",
        "1990-05-17", "sex", 2, "resident_registration_number", "900517-2345678", "nationality",
        "KR", "resident_country", "DE", "residence_status", "permanent", "passport_number",
        "M1", "issuing_office", "berlin");
    issuer_offer_req req = { NULL, "resident_card", person, claims, "bench" };
    mobid_err err = issuer_db(e->ctx, &s);
    if (err == MOBID_OK) err = mobid_store_begin(s);
    if (err == MOBID_OK) err = issuer_offer_create(e->ctx, s, &req, o, detail, sizeof detail);
    if (err == MOBID_OK) err = mobid_store_commit(s);
    else if (s && mobid_store_in_tx(s)) mobid_store_rollback(s);
    issuer_db_release(e->ctx, s);
    json_decref(claims);
    return err;
}

static mobid_err post(bench_env *e, const char *path, const char *const *hdr, const json_t *j,
                      const char *const *form, json_t **out)
{
    char url[256];
    mobid_http_result r = { 0 };
    snprintf(url, sizeof url, "%s%s", e->ctx->cfg.issuer_url, path);
    mobid_err err = form ? mobid_http_client_post_form(e->http, url, hdr, form, &r)
                  : j    ? mobid_http_client_post_json(e->http, url, hdr, j, &r)
                         : mobid_http_client_request(e->http, "POST", url, hdr, NULL,
                                                     mobid_view_make(NULL, 0), &r);
    if (err == MOBID_OK && r.status != 200) {
        fprintf(stderr, "bench: %s -> %ld %s\n", path, r.status, (const char *)r.body.ptr);
        err = MOBID_ERR_FETCH_FAILED;
    }
    if (err == MOBID_OK) err = mobid_http_result_json(&r, out);
    mobid_http_result_free(&r);
    return err;
}

static mobid_err batch(bench_env *e, const char *auth, const char *config_id)
{
    json_t *n = NULL, *jwts = json_array(), *req = NULL, *resp = NULL;
    const char *hdr[] = { auth, NULL };
    mobid_err err = post(e, "/nonce", NULL, NULL, NULL, &n);
    const char *nonce = json_string_value(json_object_get(n, "c_nonce"));
    for (int i = 0; i < BATCH && err == MOBID_OK; i++) {
        mobid_buf p = { 0 };
        err = mobid_oid4vci_proof_build(e->keys[i], e->ctx->cfg.issuer_url, nonce, 0, NULL, &p);
        json_array_append_new(jwts, json_stringn((const char *)p.ptr, p.len));
        mobid_buf_free(&p);
    }
    req = json_pack("{s:s,s:{s:O}}", "credential_configuration_id", config_id, "proofs", "jwt",
                    jwts);
    if (err == MOBID_OK) err = post(e, "/credential", hdr, req, NULL, &resp);
    if (err == MOBID_OK && json_array_size(json_object_get(resp, "credentials")) != BATCH)
        err = MOBID_ERR_MALFORMED;
    json_decref(n);
    json_decref(jwts);
    json_decref(req);
    json_decref(resp);
    return err;
}

static mobid_err round_trip(bench_env *e, const issuer_offer *o)
{
    json_t *tok = NULL;
    char auth[128];
    const char *form[] = { "grant_type", MOBID_OID4VCI_GRANT_PRE_AUTH, "pre-authorized_code",
                           o->pre_auth_code, "tx_code", o->tx_code, NULL };
    mobid_err err = post(e, "/token", NULL, NULL, form, &tok);
    if (err == MOBID_OK) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s",
                 json_string_value(json_object_get(tok, "access_token")));
        err = batch(e, auth, "resident_card_mdoc");
    }
    if (err == MOBID_OK) err = batch(e, auth, "resident_card_sdjwt");
    json_decref(tok);
    return err;
}

static int run_issuance(int argc, char **argv)
{
    static const struct option opts[] = { { "db", required_argument, 0, 'd' },
                                          { "rounds", required_argument, 0, 'r' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *db = NULL;
    int rounds = 30, c;
    bool json = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': rounds = atoi(optarg); break;
        case 'j': json = true; break;
        case 'h': puts("usage: mobid bench issuance [--db URL] [--rounds N] [--json]"); return 0;
        default: return 2;
        }
    }
    if (rounds < 1 || rounds > 10000)
        return 2;
    bench_env e = { 0 };
    issuer_offer *offers = calloc((size_t)rounds, sizeof *offers);
    mobid_err err = offers ? env_open(&e, db) : MOBID_ERR_NOMEM;
    for (int i = 0; i < rounds && err == MOBID_OK; i++)
        err = make_offer(&e, i, &offers[i]);
    double t0 = bench_now();
    for (int i = 0; i < rounds && err == MOBID_OK; i++)
        err = round_trip(&e, &offers[i]);
    double dt = bench_now() - t0;
    for (int i = 0; offers && i < rounds; i++)
        issuer_offer_clear(&offers[i]);
    free(offers);
    const char *backend = db && strncmp(db, "sqlite:", 7) ? "postgresql" : "sqlite";
    env_close(&e);
    if (err != MOBID_OK) {
        fprintf(stderr, "bench issuance: %s\n", mobid_err_name(err));
        return 1;
    }
    if (json)
        printf("{\"bench\":\"issuance\",\"backend\":\"%s\",\"rounds\":%d,\"seconds\":%.3f,"
               "\"issuances_per_s\":%.1f,\"credentials_per_s\":%.1f}\n",
               backend, rounds, dt, rounds / dt, rounds * 2.0 * BATCH / dt);
    else
        printf("issuance (%s): %d rounds of token + 2 x (nonce + batch of %d) in %.2f s:"
               " %.1f issuances/s, %.0f credentials/s\n",
               backend, rounds, BATCH, dt, rounds / dt, rounds * 2.0 * BATCH / dt);
    return 0;
}

MOBID_BENCH(issuance, "issuance",
            "OpenID4VCI token + nonce + batch of 10, both formats, over loopback HTTP",
            run_issuance)
