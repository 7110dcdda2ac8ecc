/*
 * `mobid bench verifier [--format sdjwt|mdoc] [--mode jwt|post] [--seconds S] [--json]`:
 * whole OpenID4VP verifications over HTTP on 127.0.0.1 against an in-process verifier
 * service (SQLite in a temporary folder). Each iteration: the relying party creates a
 * session (not timed), the wallet fetches the request object (timed), verifies it and
 * builds its presentation (wallet work, timed apart), posts the response (timed) and
 * the relying party reads the result (timed). Reports verifications per second of the
 * timed part, its p50 and p99, and the whole loop's rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include "bench.h"
#include "cli/cli.h"
#include "http/client.h"
#include "http/form.h"
#include "services/verifier/verifier.h"

/* The resident card's doctype and namespace as etc/card-types.json defines them. */
#define KR_RESIDENT_DOCTYPE "kr.go.mois.resident.1"
#define KR_RESIDENT_NS "kr.go.mois.resident.1"

#define VCT "urn:mobid:kr:resident_card:1"
#define API_KEY "bench-api-key"
#define MAX_SAMPLES 200000

typedef struct bv {
    char dir[64];
    mobid_key *iaca_k, *ds_k, *reg_k, *rpca_k, *rp_k, *holder;
    mobid_cert *iaca, *ds, *reg, *rpca, *rp;
    mobid_trust *rp_trust;
    mobid_buf sdjwt, mdoc;
    verifier_ctx *ctx;
    mobid_http_server *srv;
    mobid_http_client *http;
    bool use_mdoc, encrypted;
} bv;

static mobid_err cert(const char *cn, bool ca, mobid_cert_purpose pur, const char *uri,
                      mobid_key *ik, mobid_cert *ic, mobid_key **k, mobid_cert **c)
{
    const char *sans[] = { uri, NULL };
    mobid_cert_spec s = { .subject_cn = cn, .not_before = mobid_now() - 60,
                          .not_after = mobid_now() + 86400, .is_ca = ca, .path_len = ca ? 1 : 0,
                          .purpose = pur, .san_uris = uri ? sans : NULL };
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, k);
    return err ? err : mobid_cert_issue(&s, *k, ik ? ik : *k, ic, c);
}

static mobid_err put_file(const bv *b, const char *name, mobid_view data)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", b->dir, name);
    FILE *f = fopen(path, "wb");
    size_t n = f ? fwrite(data.ptr, 1, data.len, f) : 0;
    if (f)
        fclose(f);
    return f && n == data.len ? MOBID_OK : MOBID_ERR_IO;
}

static mobid_err pki(bv *b)
{
    mobid_err err;
    if ((err = cert("IACA", true, MOBID_PURPOSE_ANY, NULL, NULL, NULL, &b->iaca_k, &b->iaca)) ||
        (err = cert("DS", false, MOBID_PURPOSE_MDOC_DS, "https://issuer.example", b->iaca_k, b->iaca,
                    &b->ds_k, &b->ds)) ||
        (err = cert("Registry", false, MOBID_PURPOSE_SIGNING, NULL, b->iaca_k, b->iaca, &b->reg_k,
                    &b->reg)) ||
        (err = cert("RP CA", true, MOBID_PURPOSE_ANY, NULL, NULL, NULL, &b->rpca_k, &b->rpca)) ||
        (err = cert("Bank", false, MOBID_PURPOSE_SIGNING, NULL, b->rpca_k, b->rpca, &b->rp_k, &b->rp)) ||
        (err = mobid_key_generate(MOBID_CURVE_P256, &b->holder)) ||
        (err = mobid_trust_new(&b->rp_trust)))
        return err;
    return mobid_trust_add(b->rp_trust, b->rpca);
}

static mobid_err write_pems(bv *b)
{
    mobid_buf x;
    mobid_err err;
    mobid_buf_init(&x, 0);
    if (!(err = mobid_cert_to_pem(b->iaca, &x)))
        err = put_file(b, "iaca.pem", mobid_buf_view(&x));
    x.len = 0;
    if (!err && !(err = mobid_cert_to_pem(b->rp, &x)))
        err = put_file(b, "rp.pem", mobid_buf_view(&x));
    x.len = 0;
    if (!err && !(err = mobid_key_to_pem(b->rp_k, true, &x)))
        err = put_file(b, "rp.key", mobid_buf_view(&x));
    mobid_buf_free(&x);
    return err ? err : put_file(b, "seal.hex", mobid_view_str("000102030405060708090a0b0c0d0e0f"
                                                              "101112131415161718191a1b1c1d1e1f"));
}

static mobid_err registration(bv *b)
{
    mobid_buf jwt, cid;
    json_t *allowed = json_pack("[{s:s,s:s,s:[[s],[s]]},{s:s,s:s,s:[[s,s],[s,s]]}]", "format",
                                "dc+sd-jwt", "type", VCT, "claims", "family_name", "age_over_19",
                                "format", "mso_mdoc", "type", KR_RESIDENT_DOCTYPE, "claims",
                                KR_RESIDENT_NS, "family_name", KR_RESIDENT_NS,
                                "age_over_19");
    mobid_oid4vp_registration_params p = { .key = b->reg_k, .x5c = &b->reg, .x5c_len = 1,
                                           .rp_id = "bank", .name = "Bank",
                                           .legal_basis = "bench", .allowed = allowed,
                                           .exp = mobid_now() + 86400 };
    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cid, 0);
    mobid_err err = mobid_oid4vp_client_id(b->rp, &cid);
    if (!err && !(err = mobid_buf_terminate(&cid))) {
        p.client_id = (const char *)cid.ptr;
        err = mobid_oid4vp_registration_sign(&p, &jwt);
    }
    if (!err)
        err = put_file(b, "rp.reg.jwt", mobid_buf_view(&jwt));
    json_decref(allowed);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cid);
    return err;
}

static mobid_err config(bv *b)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    mobid_buf_init(&hex, 0);
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(API_KEY), h);
    if (!err)
        err = mobid_hex_encode(mobid_view_make(h, 32), &hex);
    if (!err)
        err = mobid_buf_terminate(&hex);
    json_t *cfg = err ? NULL : json_pack("{s:s,s:[s],s:[s],s:[{s:s,s:s,s:s,s:s,s:s,s:s}]}",
        "seal_key_file", "seal.hex", "trust_anchors", "iaca.pem", "registration_anchors",
        "iaca.pem", "relying_parties", "id", "bank", "api_key_sha256", (char *)hex.ptr, "key",
        "rp.key", "cert", "rp.pem", "registration", "rp.reg.jwt", "response_mode",
        b->encrypted ? "direct_post.jwt" : "direct_post");
    char *text = cfg ? json_dumps(cfg, 0) : NULL;
    err = err ? err : text ? put_file(b, "verifier.json", mobid_view_str(text)) : MOBID_ERR_NOMEM;
    free(text);
    json_decref(cfg);
    mobid_buf_free(&hex);
    return err;
}

static mobid_err credentials(bv *b)
{
    json_t *claims = json_pack("{s:s,s:s,s:b}", "family_name", "Kim", "birth_date", "1990-04-01",
                               "age_over_19", 1);
    const char *sd[] = { "*", NULL };
    mobid_sdjwt_issue_params p = { .claims = claims, .sd_paths = sd, .vct = VCT,
                                   .iss = "https://issuer.example", .holder_key = b->holder,
                                   .issuer_key = b->ds_k, .x5c = &b->ds, .x5c_len = 1 };
    mobid_buf vals;
    mobid_cbor_enc e;
    mobid_mdoc_element el[2];
    unsigned age[] = { 19 };
    mobid_mdoc_issue_opts io = { .doctype = KR_RESIDENT_DOCTYPE, .elements = el,
                                 .n_elements = 2, .issuer_key = b->ds_k, .chain = &b->ds,
                                 .n_chain = 1, .device_key = b->holder, .age_over = age,
                                 .n_age_over = 1, .age_ns = KR_RESIDENT_NS,
                                 .birth_ns = KR_RESIDENT_NS };
    mobid_buf_init(&b->sdjwt, 0);
    mobid_buf_init(&b->mdoc, 0);
    mobid_buf_init(&vals, 0);
    mobid_err err = mobid_sdjwt_issue(&p, &b->sdjwt);
    mobid_cbor_enc_init(&e, &vals);
    mobid_cbor_put_text(&e, mobid_view_str("Kim"));
    size_t first = vals.len;
    mobid_cbor_put_tag(&e, 1004);
    mobid_cbor_put_text(&e, mobid_view_str("1990-04-01"));
    if (!err)
        err = mobid_cbor_enc_finish(&e);
    el[0] = (mobid_mdoc_element){ KR_RESIDENT_NS, "family_name", { vals.ptr, first } };
    el[1] = (mobid_mdoc_element){ KR_RESIDENT_NS, "birth_date",
                                  { vals.ptr + first, vals.len - first } };
    if (!err)
        err = mobid_mdoc_issue(&io, &b->mdoc);
    mobid_buf_free(&vals);
    json_decref(claims);
    return err;
}

static mobid_err start(bv *b)
{
    char cfg[256], db[256];
    mobid_http_config hc = { .name = "verifier" };
    mobid_err err;
    snprintf(b->dir, sizeof b->dir, "/tmp/mobid-bench-vp-XXXXXX");
    if (!mkdtemp(b->dir))
        return MOBID_ERR_IO;
    snprintf(cfg, sizeof cfg, "%s/verifier.json", b->dir);
    snprintf(db, sizeof db, "sqlite:%s/verifier.db", b->dir);
    if ((err = pki(b)) || (err = write_pems(b)) || (err = registration(b)) || (err = config(b)) ||
        (err = credentials(b)) || (err = verifier_ctx_new(cfg, db, &b->ctx)) ||
        (err = mobid_http_server_new(&hc, &b->srv)) || (err = verifier_routes(b->ctx, b->srv)) ||
        (err = mobid_http_server_start(b->srv)) ||
        (err = verifier_set_public_url(b->ctx, mobid_http_server_url(b->srv))))
        return err;
    return mobid_http_client_new(NULL, &b->http);
}

static void stop(bv *b)
{
    char cmd[128];
    mobid_http_client_free(b->http);
    mobid_http_server_free(b->srv);
    verifier_ctx_free(b->ctx);
    mobid_key *keys[] = { b->iaca_k, b->ds_k, b->reg_k, b->rpca_k, b->rp_k, b->holder };
    mobid_cert *certs[] = { b->iaca, b->ds, b->reg, b->rpca, b->rp };
    for (size_t i = 0; i < 6; i++)
        mobid_key_free(keys[i]);
    for (size_t i = 0; i < 5; i++)
        mobid_cert_free(certs[i]);
    mobid_trust_free(b->rp_trust);
    mobid_buf_free(&b->sdjwt);
    mobid_buf_free(&b->mdoc);
    if (b->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench verifier: could not remove %s\n", b->dir);
    }
}

static const char *QUERY_SD =
    "{\"dcql_query\":{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
    "{\"vct_values\":[\"" VCT "\"]},\"claims\":[{\"path\":[\"family_name\"]},{\"path\":"
    "[\"age_over_19\"]}]}]}}";
static const char *QUERY_MDOC =
    "{\"dcql_query\":{\"credentials\":[{\"id\":\"c\",\"format\":\"mso_mdoc\",\"meta\":"
    "{\"doctype_value\":\"" KR_RESIDENT_DOCTYPE "\"},\"claims\":[{\"path\":[\""
    KR_RESIDENT_NS "\",\"family_name\"]},{\"path\":[\"" KR_RESIDENT_NS
    "\",\"age_over_19\"]}]}]}}";

/* The relying party: POST or GET on the API; *out is the JSON answer. */
static mobid_err rp_call(bv *b, const char *method, const char *path, const char *body,
                         json_t **out)
{
    char url[512];
    const char *hdr[] = { "Authorization: Bearer " API_KEY, NULL };
    mobid_http_result r;
    snprintf(url, sizeof url, "%s%s", mobid_http_server_url(b->srv), path);
    mobid_err err = mobid_http_client_request(b->http, method, url, hdr,
                                              body ? "application/json" : NULL,
                                              mobid_view_str(body ? body : ""), &r);
    if (!err)
        err = r.status / 100 == 2 ? mobid_http_result_json(&r, out) : MOBID_ERR_FETCH_FAILED;
    mobid_http_result_free(&r);
    return err;
}

static mobid_err presentation(bv *b, const mobid_oid4vp_request *req, mobid_buf *out)
{
    mobid_err err;
    if (!b->use_mdoc) {
        const char *reveal[] = { "family_name", "age_over_19", NULL };
        mobid_sdjwt_present_params pp = { .reveal = reveal, .holder_key = b->holder,
                                          .aud = req->client_id, .nonce = req->nonce };
        return mobid_sdjwt_present(mobid_buf_view(&b->sdjwt), &pp, out);
    }
    mobid_buf tr, resp;
    uint8_t thumb[32];
    json_t *jwk = NULL;
    mobid_view tv = { 0 };
    mobid_mdoc_ref rv[] = { { KR_RESIDENT_NS, "family_name" },
                            { KR_RESIDENT_NS, "age_over_19" } };
    mobid_buf_init(&tr, 0);
    mobid_buf_init(&resp, 0);
    err = req->enc_key ? mobid_jwk_from_key(req->enc_key, false, &jwk) : MOBID_OK;
    if (!err && jwk && !(err = mobid_jwk_thumbprint(jwk, thumb)))
        tv = mobid_view_make(thumb, 32);
    if (!err)
        err = mobid_mdoc_transcript_oid4vp(req->client_id, req->nonce, tv, req->response_uri, &tr);
    mobid_mdoc_present_opts po = { .issuer_signed = mobid_buf_view(&b->mdoc), .device_key = b->holder,
                                   .transcript = mobid_buf_view(&tr), .reveal = rv, .n_reveal = 2 };
    if (!err)
        err = mobid_mdoc_present(&po, &resp);
    if (!err)
        err = mobid_b64url_encode(mobid_buf_view(&resp), out);
    json_decref(jwk);
    mobid_buf_free(&tr);
    mobid_buf_free(&resp);
    return err;
}

/* The wallet's answer as a form body. */
static mobid_err answer_body(bv *b, const mobid_oid4vp_request *req, mobid_buf *form)
{
    mobid_buf pres, jwe;
    json_t *params = NULL;
    mobid_buf_init(&pres, 0);
    mobid_buf_init(&jwe, 0);
    mobid_err err = presentation(b, req, &pres);
    if (!err)
        err = mobid_buf_terminate(&pres);
    if (!err && !(params = json_pack("{s:{s:[s]},s:s}", "vp_token", "c", (char *)pres.ptr, "state",
                                     req->state)))
        err = MOBID_ERR_NOMEM;
    if (!err && req->encrypted) {
        if (!(err = mobid_oid4vp_response_encrypt(params, req->enc_key, &jwe)) &&
            !(err = mobid_buf_terminate(&jwe)))
            err = mobid_http_form_append(form, "response", (const char *)jwe.ptr);
    } else if (!err) {
        char *tok = json_dumps(json_object_get(params, "vp_token"), JSON_COMPACT);
        mobid_http_form_append(form, "vp_token", tok);
        err = mobid_http_form_append(form, "state", req->state);
        free(tok);
    }
    json_decref(params);
    mobid_buf_free(&pres);
    mobid_buf_free(&jwe);
    return err;
}

typedef struct times {
    double fetch, wallet, post, result;
} times;

/* One verification; t receives the durations of its parts. */
static mobid_err one(bv *b, times *t)
{
    json_t *created = NULL, *st = NULL;
    mobid_http_result r = { 0 }, pr = { 0 };
    mobid_oid4vp_request req = { 0 };
    mobid_buf form;
    char path[256];
    mobid_buf_init(&form, 0);
    mobid_err err = rp_call(b, "POST", "/api/v1/verifications", b->use_mdoc ? QUERY_MDOC : QUERY_SD,
                            &created);
    double t0 = bench_now();
    if (!err)
        err = mobid_http_client_get(b->http, json_string_value(json_object_get(created, "request_uri")),
                                    NULL, &r);
    double t1 = bench_now();
    if (!err)
        err = mobid_oid4vp_request_verify(mobid_buf_view(&r.body), b->rp_trust, NULL, 0, &req);
    if (!err)
        err = answer_body(b, &req, &form);
    double t2 = bench_now();
    if (!err)
        err = mobid_http_client_request(b->http, "POST", req.response_uri, NULL,
                                        "application/x-www-form-urlencoded", mobid_buf_view(&form), &pr);
    double t3 = bench_now();
    if (!err && pr.status != 200)
        err = MOBID_ERR_SIGNATURE_INVALID;
    snprintf(path, sizeof path, "/api/v1/verifications/%s",
             json_string_value(json_object_get(created, "id")));
    if (!err)
        err = rp_call(b, "GET", path, NULL, &st);
    double t4 = bench_now();
    if (!err && strcmp(json_string_value(json_object_get(st, "status")), "verified"))
        err = MOBID_ERR_SIGNATURE_INVALID;
    *t = (times){ t1 - t0, t2 - t1, t3 - t2, t4 - t3 };
    mobid_oid4vp_request_clear(&req);
    mobid_http_result_free(&r);
    mobid_http_result_free(&pr);
    mobid_buf_free(&form);
    json_decref(created);
    json_decref(st);
    return err;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const bv *b, double *lat, size_t n, double wallet, double elapsed, bool json)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += lat[i];
    qsort(lat, n, sizeof *lat, cmp_double);
    double rate = n / sum, p50 = lat[n / 2] * 1e3, p99 = lat[n * 99 / 100] * 1e3;
    const char *fmt = b->use_mdoc ? "mdoc" : "sdjwt";
    const char *mode = b->encrypted ? "direct_post.jwt" : "direct_post";
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:f,s:f,s:f,s:f,s:f}", "bench", "verifier", "format",
                              fmt, "response_mode", mode, "verifications", (json_int_t)n,
                              "verifications_per_s", rate, "p50_ms", p50, "p99_ms", p99,
                              "wallet_ms", wallet / n * 1e3, "loop_per_s", n / elapsed);
        cli_print_json(o);
        json_decref(o);
        return;
    }
    printf("verifier over loopback HTTP (%s, %s; %zu verifications)\n", fmt, mode, n);
    printf("  request fetch + response POST + result: %.0f/s   p50 %.2f ms   p99 %.2f ms\n", rate,
           p50, p99);
    printf("  wallet work %.2f ms each; whole loop incl. session creation: %.0f/s\n",
           wallet / n * 1e3, n / elapsed);
}

static int run_bench_verifier(int argc, char **argv)
{
    static const char usage[] =
        "usage: mobid bench verifier [--format sdjwt|mdoc] [--mode jwt|post] [--seconds S] [--json]\n";
    bv b = { .encrypted = true };
    double seconds = 3, wallet = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            b.use_mdoc = !strcmp(argv[++i], "mdoc");
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            b.encrypted = strcmp(argv[++i], "post") != 0;
        else if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else
            return cli_usage_error(usage, "unknown option %s", argv[i]);
    }
    double *lat = malloc(MAX_SAMPLES * sizeof *lat);
    size_t n = 0;
    mobid_err err = lat ? start(&b) : MOBID_ERR_NOMEM;
    double t0 = bench_now();
    while (!err && n < MAX_SAMPLES && bench_now() - t0 < seconds) {
        times t;
        if (!(err = one(&b, &t))) {
            lat[n++] = t.fetch + t.post + t.result;
            wallet += t.wallet;
        }
    }
    double elapsed = bench_now() - t0;
    stop(&b);
    int rc = CLI_EXIT_OK;
    if (err || !n)
        rc = cli_fail(json, err ? err : MOBID_ERR_LIMIT, "verifier benchmark failed");
    else
        report(&b, lat, n, wallet, elapsed, json);
    free(lat);
    return rc;
}

MOBID_BENCH(verifier, "verifier", "whole OpenID4VP verifications over loopback HTTP, p50/p99",
            run_bench_verifier)
