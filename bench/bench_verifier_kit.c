/*
 * The verifier benchmarks' shared parts (see bench_verifier_kit.h): a verifier with
 * its own PKI in a temporary folder, or a deployment's; wallets; one timed loop.
 */
#include "bench_verifier_kit.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include "bench.h"
#include "http/form.h"
#include "http/resource.h"

#define LOCAL_API_KEY "bench-api-key"
#define LOCAL_ISS "https://issuer.example"

const char *const vk_step_names[VK_STEPS] = { "create", "fetch", "wallet", "post", "result" };

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

static mobid_err put_file(const vkit *k, const char *name, mobid_view data)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", k->dir, name);
    FILE *f = fopen(path, "wb");
    size_t n = f ? fwrite(data.ptr, 1, data.len, f) : 0;
    if (f)
        fclose(f);
    return f && n == data.len ? MOBID_OK : MOBID_ERR_IO;
}

static mobid_err put_pem(const vkit *k, const char *name, const mobid_cert *c, const mobid_key *key)
{
    mobid_buf x;
    mobid_buf_init(&x, 0);
    mobid_err err = c ? mobid_cert_to_pem(c, &x) : mobid_key_to_pem(key, true, &x);
    if (!err)
        err = put_file(k, name, mobid_buf_view(&x));
    mobid_buf_free(&x);
    return err;
}

/* A ministry root over a document signer and a registrar, an RP CA over the party. */
static mobid_err local_pki(vkit *k)
{
    mobid_err err;
    if ((err = cert("IACA", true, MOBID_PURPOSE_ANY, NULL, NULL, NULL, &k->iaca_k, &k->iaca)) ||
        (err = cert("DS", false, MOBID_PURPOSE_MDOC_DS, LOCAL_ISS, k->iaca_k, k->iaca, &k->ds_k,
                    &k->ds)) ||
        (err = cert("Registry", false, MOBID_PURPOSE_REGISTRAR, NULL, k->iaca_k, k->iaca, &k->reg_k,
                    &k->reg)) ||
        (err = cert("RP CA", true, MOBID_PURPOSE_ANY, NULL, NULL, NULL, &k->rpca_k, &k->rpca)) ||
        (err = cert("Bank", false, MOBID_PURPOSE_SIGNING, NULL, k->rpca_k, k->rpca, &k->rp_k, &k->rp)) ||
        (err = mobid_cert_to_pem(k->rpca, &k->rp_roots)) ||
        (err = mobid_cert_to_pem(k->iaca, &k->reg_roots)) ||
        (err = put_pem(k, "iaca.pem", k->iaca, NULL)) || (err = put_pem(k, "rp.pem", k->rp, NULL)) ||
        (err = put_pem(k, "rp.key", NULL, k->rp_k)))
        return err;
    k->iss = strdup(LOCAL_ISS);
    return put_file(k, "seal.hex", mobid_view_str("000102030405060708090a0b0c0d0e0f"
                                                  "101112131415161718191a1b1c1d1e1f"));
}

static mobid_err local_registration(vkit *k)
{
    mobid_buf jwt, cid;
    json_t *allowed = json_pack("[{s:s,s:s,s:[[s],[s]]},{s:s,s:s,s:[[s,s],[s,s]]}]", "format",
                                "dc+sd-jwt", "type", k->o.vct, "claims", "family_name",
                                "age_over_19", "format", "mso_mdoc", "type", k->o.doctype,
                                "claims", k->o.ns, "family_name", k->o.ns, "age_over_19");
    mobid_oid4vp_registration_params p = { .key = k->reg_k, .x5c = &k->reg, .x5c_len = 1,
                                           .rp_id = "bank", .name = "Bank",
                                           .legal_basis = "bench", .allowed = allowed,
                                           .exp = mobid_now() + 86400 };
    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cid, 0);
    mobid_err err = mobid_oid4vp_client_id(k->rp, &cid);
    if (!err && !(err = mobid_buf_terminate(&cid))) {
        p.client_id = (const char *)cid.ptr;
        err = mobid_oid4vp_registration_sign(&p, &jwt);
    }
    if (!err)
        err = put_file(k, "rp.reg.jwt", mobid_buf_view(&jwt));
    json_decref(allowed);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cid);
    return err;
}

static mobid_err local_config(vkit *k)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    mobid_buf_init(&hex, 0);
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(LOCAL_API_KEY), h);
    if (!err)
        err = mobid_hex_encode(mobid_view_make(h, 32), &hex);
    if (!err)
        err = mobid_buf_terminate(&hex);
    /* Every client of the bench comes from 127.0.0.1: no cap per source address. */
    json_t *cfg = err ? NULL : json_pack("{s:s,s:[s],s:[s],s:[{s:s,s:s,s:s,s:s,s:s,s:s}],s:{s:i}}",
        "seal_key_file", "seal.hex", "trust_anchors", "iaca.pem", "registration_anchors",
        "iaca.pem", "relying_parties", "id", "bank", "api_key_sha256", (char *)hex.ptr, "key",
        "rp.key", "cert", "rp.pem", "registration", "rp.reg.jwt", "response_mode",
        k->o.encrypted ? "direct_post.jwt" : "direct_post", "http", "per_client_connections", 0);
    char *text = cfg ? json_dumps(cfg, 0) : NULL;
    err = err ? err : text ? put_file(k, "verifier.json", mobid_view_str(text)) : MOBID_ERR_NOMEM;
    free(text);
    json_decref(cfg);
    mobid_buf_free(&hex);
    k->api_key = strdup(LOCAL_API_KEY);
    return err;
}

/* `mobid verifier serve` as a child; its URL from the {"url":...} line it prints. */
static mobid_err start_child(vkit *k)
{
    char cfg[128], db[128], log[128], line[512];
    int fd[2];
    snprintf(cfg, sizeof cfg, "%s/verifier.json", k->dir);
    snprintf(db, sizeof db, "sqlite:%s/verifier.db", k->dir);
    snprintf(log, sizeof log, "%s/serve.log", k->dir);
    if (pipe(fd) != 0 || (k->child = fork()) < 0)
        return MOBID_ERR_IO;
    if (k->child == 0) {
        FILE *err = freopen(log, "w", stderr);
        (void)err;
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/proc/self/exe", "mobid", "verifier", "serve", "--config", cfg, "--db", db,
              "--listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    json_t *j = f && fgets(line, sizeof line, f) ? json_loads(line, 0, NULL) : NULL;
    const char *url = json_string_value(json_object_get(j, "url"));
    if (url)
        snprintf(k->url, sizeof k->url, "%s", url);
    json_decref(j);
    if (f)
        fclose(f);
    return url ? MOBID_OK : MOBID_ERR_IO;
}

static mobid_err start_local(vkit *k)
{
    char cfg[128], db[128];
    mobid_http_config hc = { .name = "verifier" };
    mobid_err err;
    snprintf(k->dir, sizeof k->dir, "/tmp/mobid-bench-vp-XXXXXX");
    if (!mkdtemp(k->dir))
        return MOBID_ERR_IO;
    if ((err = local_pki(k)) || (err = local_registration(k)) || (err = local_config(k)))
        return err;
    if (k->o.child)
        return start_child(k);
    snprintf(cfg, sizeof cfg, "%s/verifier.json", k->dir);
    snprintf(db, sizeof db, "sqlite:%s/verifier.db", k->dir);
    if ((err = verifier_ctx_new(cfg, db, &k->ctx)) ||
        (verifier_http_config(k->ctx, &hc), (err = mobid_http_server_new(&hc, &k->srv))) ||
        (err = verifier_routes(k->ctx, k->srv)) || (err = mobid_http_server_start(k->srv)) ||
        (err = verifier_set_public_url(k->ctx, mobid_http_server_url(k->srv))))
        return err;
    snprintf(k->url, sizeof k->url, "%s", mobid_http_server_url(k->srv));
    return MOBID_OK;
}

static mobid_err read_into(const char *dir, const char *name, mobid_buf *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mobid_err err = mobid_file_read(path, 0, out);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_IO : err;
}

/* The newest document signer in a `mobid pki init` folder: the last ds-*.key by name. */
static mobid_err newest_ds(const char *dir, char name[64])
{
    DIR *d = opendir(dir);
    struct dirent *e;
    name[0] = 0;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "ds-", 3) && strlen(e->d_name) < 60 &&
            !strcmp(e->d_name + strlen(e->d_name) - 4, ".key") && strcmp(e->d_name, name) > 0)
            snprintf(name, 64, "%.63s", e->d_name);
    if (d)
        closedir(d);
    return name[0] ? MOBID_OK : MOBID_ERR_NOT_FOUND;
}

/* A deployment's pki folder: the wallets trust its RP CA and ministry root, and their
 * credentials are signed by its newest document signer (iss = its URI SAN). */
static mobid_err start_target(vkit *k)
{
    char ds[64], pem[80];
    mobid_buf b;
    char **san = NULL;
    size_t nsan = 0;
    mobid_err err;
    mobid_buf_init(&b, 0);
    if ((err = read_into(k->o.roots_dir, "rp-ca.pem", &k->rp_roots)) ||
        (err = read_into(k->o.roots_dir, "iaca.pem", &k->reg_roots)) ||
        (err = newest_ds(k->o.roots_dir, ds)) || (err = read_into(k->o.roots_dir, ds, &b)) ||
        (err = mobid_key_from_pem(mobid_buf_view(&b), &k->ds_k)))
        goto done;
    snprintf(pem, sizeof pem, "%.*s.pem", (int)strlen(ds) - 4, ds);
    b.len = 0;
    if ((err = read_into(k->o.roots_dir, pem, &b)) || (err = mobid_cert_parse(mobid_buf_view(&b), &k->ds)) ||
        (err = mobid_cert_san(k->ds, &san, &nsan)))
        goto done;
    for (size_t i = 0; i < nsan && !k->iss; i++)
        if (!strncmp(san[i], "http", 4))
            k->iss = strdup(san[i]);
    err = k->iss ? MOBID_OK : MOBID_ERR_CERT_INVALID;
    snprintf(k->url, sizeof k->url, "%s", k->o.target);
    k->api_key = strdup(k->o.api_key);
done:
    for (size_t i = 0; i < nsan; i++)
        free(san[i]);
    free(san);
    mobid_buf_free(&b);
    return err;
}

mobid_err vkit_start(vkit *k, const vkit_opts *o)
{
    memset(k, 0, sizeof *k);
    k->o = *o;
    mobid_buf_init(&k->rp_roots, 0);
    mobid_buf_init(&k->reg_roots, 0);
    mobid_err err = o->target ? start_target(k) : start_local(k);
    if (err)
        return err;
    json_t *q = o->use_mdoc
        ? json_pack("{s:{s:[{s:s,s:s,s:{s:s},s:[{s:[s,s]},{s:[s,s]}]}]}}", "dcql_query",
                    "credentials", "id", "c", "format", "mso_mdoc", "meta", "doctype_value",
                    o->doctype, "claims", "path", o->ns, "family_name", "path", o->ns, "age_over_19")
        : json_pack("{s:{s:[{s:s,s:s,s:{s:[s]},s:[{s:[s]},{s:[s]}]}]}}", "dcql_query",
                    "credentials", "id", "c", "format", "dc+sd-jwt", "meta", "vct_values",
                    o->vct, "claims", "path", "family_name", "path", "age_over_19");
    k->body = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    return k->body && k->api_key ? MOBID_OK : MOBID_ERR_NOMEM;
}

void vkit_stop(vkit *k)
{
    char cmd[128];
    if (k->child > 0) {
        kill(k->child, SIGTERM);
        waitpid(k->child, NULL, 0);
    }
    mobid_http_server_free(k->srv);
    verifier_ctx_free(k->ctx);
    mobid_key *keys[] = { k->iaca_k, k->ds_k, k->reg_k, k->rpca_k, k->rp_k };
    mobid_cert *certs[] = { k->iaca, k->ds, k->reg, k->rpca, k->rp };
    for (size_t i = 0; i < 5; i++) {
        mobid_key_free(keys[i]);
        mobid_cert_free(certs[i]);
    }
    mobid_buf_free(&k->rp_roots);
    mobid_buf_free(&k->reg_roots);
    free(k->api_key);
    free(k->body);
    free(k->iss);
    if (k->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench verifier: could not remove %s\n", k->dir);
    }
}

static mobid_err issue_mdoc(const vkit *k, vwallet *w)
{
    mobid_buf vals;
    mobid_cbor_enc e;
    mobid_mdoc_element el[2];
    unsigned age[] = { 19 };
    mobid_mdoc_issue_opts io = { .doctype = k->o.doctype, .elements = el, .n_elements = 2,
                                 .issuer_key = k->ds_k, .chain = (mobid_cert **)&k->ds,
                                 .n_chain = 1, .device_key = w->holder, .age_over = age,
                                 .n_age_over = 1, .age_ns = k->o.ns, .birth_ns = k->o.ns };
    mobid_buf_init(&vals, 0);
    mobid_cbor_enc_init(&e, &vals);
    mobid_cbor_put_text(&e, mobid_view_str("Kim"));
    size_t first = vals.len;
    mobid_cbor_put_tag(&e, 1004);
    mobid_cbor_put_text(&e, mobid_view_str("1990-04-01"));
    mobid_err err = mobid_cbor_enc_finish(&e);
    el[0] = (mobid_mdoc_element){ k->o.ns, "family_name", { vals.ptr, first } };
    el[1] = (mobid_mdoc_element){ k->o.ns, "birth_date", { vals.ptr + first, vals.len - first } };
    if (!err)
        err = mobid_mdoc_issue(&io, &w->mdoc);
    mobid_buf_free(&vals);
    return err;
}

mobid_err vwallet_new(const vkit *k, vwallet *w)
{
    json_t *claims = json_pack("{s:s,s:s,s:s,s:b}", "family_name", "Kim", "given_name", "Minji",
                               "birth_date", "1990-04-01", "age_over_19", 1);
    const char *sd[] = { "*", NULL };
    mobid_http_client_opts ho = { .timeout_ms = 30000, .ca_file = k->o.ca_file };
    memset(w, 0, sizeof *w);
    mobid_buf_init(&w->sdjwt, 0);
    mobid_buf_init(&w->mdoc, 0);
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &w->holder);
    mobid_sdjwt_issue_params p = { .claims = claims, .sd_paths = sd, .vct = k->o.vct,
                                   .iss = k->iss, .holder_key = w->holder,
                                   .issuer_key = k->ds_k, .x5c = (mobid_cert **)&k->ds,
                                   .x5c_len = 1 };
    if (!err)
        err = k->o.use_mdoc ? issue_mdoc(k, w) : mobid_sdjwt_issue(&p, &w->sdjwt);
    if (!err && !(err = mobid_trust_new(&w->rp_trust)) &&
        !(err = mobid_trust_add_pem(w->rp_trust, mobid_buf_view(&k->rp_roots))) &&
        !(err = mobid_trust_new(&w->reg_trust)))
        err = mobid_trust_add_pem(w->reg_trust, mobid_buf_view(&k->reg_roots));
    if (!err)
        err = mobid_http_client_new(&ho, &w->http);
    json_decref(claims);
    return err;
}

void vwallet_free(vwallet *w)
{
    mobid_key_free(w->holder);
    mobid_buf_free(&w->sdjwt);
    mobid_buf_free(&w->mdoc);
    mobid_trust_free(w->rp_trust);
    mobid_trust_free(w->reg_trust);
    mobid_http_client_free(w->http);
}

static mobid_err presentation(const vkit *k, const vwallet *w, const mobid_oid4vp_request *req,
                              mobid_buf *out)
{
    if (!k->o.use_mdoc) {
        const char *reveal[] = { "family_name", "age_over_19", NULL };
        mobid_sdjwt_present_params pp = { .reveal = reveal, .holder_key = w->holder,
                                          .aud = req->client_id, .nonce = req->nonce };
        return mobid_sdjwt_present(mobid_buf_view(&w->sdjwt), &pp, out);
    }
    mobid_buf tr, resp;
    uint8_t thumb[32];
    json_t *jwk = NULL;
    mobid_view tv = { 0 };
    mobid_mdoc_ref rv[] = { { k->o.ns, "family_name" }, { k->o.ns, "age_over_19" } };
    mobid_buf_init(&tr, 0);
    mobid_buf_init(&resp, 0);
    mobid_err err = req->enc_key ? mobid_jwk_from_key(req->enc_key, false, &jwk) : MOBID_OK;
    if (!err && jwk && !(err = mobid_jwk_thumbprint(jwk, thumb)))
        tv = mobid_view_make(thumb, 32);
    if (!err)
        err = mobid_mdoc_transcript_oid4vp(req->client_id, req->nonce, tv, req->response_uri, &tr);
    mobid_mdoc_present_opts po = { .issuer_signed = mobid_buf_view(&w->mdoc),
                                   .device_key = w->holder, .transcript = mobid_buf_view(&tr),
                                   .reveal = rv, .n_reveal = 2 };
    if (!err)
        err = mobid_mdoc_present(&po, &resp);
    if (!err)
        err = mobid_b64url_encode(mobid_buf_view(&resp), out);
    json_decref(jwk);
    mobid_buf_free(&tr);
    mobid_buf_free(&resp);
    return err;
}

/* The wallet's answer as a form body: response=<JWE>, or vp_token and state. */
static mobid_err answer_body(const vkit *k, const vwallet *w, const mobid_oid4vp_request *req,
                             mobid_buf *form)
{
    mobid_buf pres, jwe;
    json_t *params = NULL;
    mobid_buf_init(&pres, 0);
    mobid_buf_init(&jwe, 0);
    mobid_err err = presentation(k, w, req, &pres);
    if (!err)
        err = mobid_buf_terminate(&pres);
    if (!err && !(params = json_pack("{s:{s:[s]},s:s}", "vp_token", "c", (char *)pres.ptr, "state",
                                     req->state)))
        err = MOBID_ERR_NOMEM;
    if (!err && req->encrypted) {
        if (!(err = mobid_oid4vp_response_encrypt_for(req, params, &jwe)) &&
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

/* The relying party: method on url with its API key; *out the JSON answer of a 2xx. */
static mobid_err rp_call(const vkit *k, mobid_http_client *http, const char *method,
                         const char *url, const char *body, json_t **out, long *status)
{
    char auth[300];
    const char *hdr[] = { auth, NULL };
    mobid_http_result r;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", k->api_key);
    mobid_err err = mobid_http_client_request(http, method, url, hdr,
                                              body ? "application/json" : NULL,
                                              mobid_view_str(body ? body : ""), &r);
    *status = r.status;
    if (!err)
        err = r.status / 100 == 2 ? mobid_http_result_json(&r, out) : MOBID_ERR_FETCH_FAILED;
    mobid_http_result_free(&r);
    return err;
}

mobid_err vkit_create(const vkit *k, mobid_http_client *http, char **id, long *status)
{
    char url[300];
    json_t *created = NULL;
    snprintf(url, sizeof url, "%s/api/v1/verifications", k->url);
    mobid_err err = rp_call(k, http, "POST", url, k->body, &created, status);
    const char *s = json_string_value(json_object_get(created, "id"));
    if (!err && !s)
        err = MOBID_ERR_MALFORMED;
    if (!err && id && !(*id = strdup(s)))
        err = MOBID_ERR_NOMEM;
    json_decref(created);
    return err;
}

static void name_failure(mobid_err err, int step, long http, char *code, size_t n)
{
    if (err == MOBID_ERR_FETCH_FAILED && http)
        snprintf(code, n, "%s_HTTP_%ld", vk_step_names[step], http);
    else
        snprintf(code, n, "%s_%s", vk_step_names[step], mobid_err_name(err));
}

/* The request of the loop's current step, with the relying party's key when it is its. */
static void next_request(const vkit *k, vloop *l, const char *method, const char *url,
                         const char *ctype, mobid_view body, bool rp)
{
    l->method = method;
    snprintf(l->url, sizeof l->url, "%s", url);
    l->ctype = ctype;
    l->body = body;
    l->hdr[0] = rp ? l->auth : NULL;
    l->hdr[1] = NULL;
    if (rp)
        snprintf(l->auth, sizeof l->auth, "Authorization: Bearer %s", k->api_key);
}

void vkit_loop_start(const vkit *k, vloop *l)
{
    char url[300];
    memset(l, 0, sizeof *l);
    mobid_buf_init(&l->form, 0);
    l->at[0] = bench_now();
    snprintf(url, sizeof url, "%s/api/v1/verifications", k->url);
    next_request(k, l, "POST", url, "application/json", mobid_view_str(k->body), true);
}

/* The relying party's answer l->r as JSON, when it is a 2xx. */
static mobid_err rp_answer(vloop *l, json_t **out)
{
    return l->http / 100 != 2 ? MOBID_ERR_FETCH_FAILED : mobid_http_result_json(&l->r, out);
}

/* The wallet: check the request object l->r, build the answer, post it. */
static mobid_err wallet_step(const vkit *k, vwallet *w, vloop *l)
{
    mobid_err err = l->http != 200 ? MOBID_ERR_FETCH_FAILED : MOBID_OK;
    if (!err) {
        l->at[++l->step] = bench_now();
        err = mobid_oid4vp_request_verify(mobid_buf_view(&l->r.body), w->rp_trust, w->reg_trust,
                                          0, &l->req);
    }
    if (!err)
        err = answer_body(k, w, &l->req, &l->form);
    if (!err) {
        l->at[++l->step] = bench_now();
        next_request(k, l, "POST", l->req.response_uri, "application/x-www-form-urlencoded",
                     mobid_buf_view(&l->form), false);
    }
    return err;
}

/* Read the answer to the current step's request; on success start the next step. */
static mobid_err advance(const vkit *k, vwallet *w, vloop *l)
{
    json_t *j = NULL;
    mobid_err err = MOBID_OK;
    char url[512];
    const char *a, *b;
    switch (l->step) {
    case VK_CREATE:
        if ((err = rp_answer(l, &j)))
            break;
        a = json_string_value(json_object_get(j, "request_uri"));
        b = json_string_value(json_object_get(j, "id"));
        if (!a || !b || strlen(b) >= sizeof l->id || strlen(a) >= sizeof l->url) {
            err = MOBID_ERR_MALFORMED;
            break;
        }
        snprintf(l->id, sizeof l->id, "%s", b);
        l->at[++l->step] = bench_now();
        next_request(k, l, "GET", a, NULL, mobid_view_make(NULL, 0), false);
        break;
    case VK_FETCH:
        err = wallet_step(k, w, l);
        break;
    case VK_POST:
        if (l->http != 200) {
            err = MOBID_ERR_FETCH_FAILED;
            break;
        }
        l->at[++l->step] = bench_now();
        snprintf(url, sizeof url, "%s/api/v1/verifications/%s", k->url, l->id);
        next_request(k, l, "GET", url, NULL, mobid_view_make(NULL, 0), true);
        break;
    default:
        if ((err = rp_answer(l, &j)))
            break;
        a = json_string_value(json_object_get(j, "status"));
        if (!a || strcmp(a, "verified") || !json_object_get(j, "claims"))
            err = MOBID_ERR_SIGNATURE_INVALID;
        else
            l->at[++l->step] = bench_now();
    }
    json_decref(j);
    return err;
}

int vkit_loop_step(const vkit *k, vwallet *w, vloop *l, mobid_err err, double t[VK_STEPS],
                   char *code, size_t code_len)
{
    l->http = l->r.status;
    if (!err)
        err = advance(k, w, l);
    mobid_http_result_free(&l->r);
    if (!err && l->step < VK_STEPS)
        return 1;
    memset(t, 0, VK_STEPS * sizeof *t);
    for (int i = 0; i < l->step && i < VK_STEPS; i++)
        t[i] = l->at[i + 1] - l->at[i];
    if (err)
        name_failure(err, l->step, l->http, code, code_len);
    l->err = err;
    mobid_oid4vp_request_clear(&l->req);
    mobid_buf_free(&l->form);
    return err ? -1 : 0;
}

mobid_err vkit_loop(const vkit *k, vwallet *w, double t[VK_STEPS], char *code, size_t code_len)
{
    vloop l;
    vkit_loop_start(k, &l);
    while (vkit_loop_step(k, w, &l,
                          mobid_http_client_request(w->http, l.method, l.url, l.hdr, l.ctype,
                                                    l.body, &l.r),
                          t, code, code_len) > 0)
        ;
    return l.err;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double vk_pct_ms(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)n);
    return v[i < n ? i : n - 1] * 1e3;
}

static double round3(double x)
{
    return (double)(long long)(x * 1000 + 0.5) / 1000;
}

json_t *vk_pcts(double *v, size_t n)
{
    return json_pack("{s:f,s:f,s:f}", "p50", round3(vk_pct_ms(v, n, 50)), "p95",
                     round3(vk_pct_ms(v, n, 95)), "p99", round3(vk_pct_ms(v, n, 99)));
}

double vk_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    snprintf(path, sizeof path, pid ? "/proc/%ld/stat" : "/proc/self/stat", (long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    /* Fields 14 and 15 (utime, stime) follow the command name in parentheses. */
    const char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double vk_bench_verify_rate(bool mdoc)
{
    char cmd[160], line[512];
    snprintf(cmd, sizeof cmd,
             "/proc/%ld/exe bench verify --format %s --pool 2000 --seconds 1 --json 2>/dev/null",
             (long)getpid(), mdoc ? "mdoc" : "sdjwt");
    FILE *p = popen(cmd, "r");
    json_t *j = p && fgets(line, sizeof line, p) ? json_loads(line, 0, NULL) : NULL;
    double rate = json_number_value(json_object_get(j, "verify_per_s"));
    json_decref(j);
    if (p)
        pclose(p);
    return rate;
}
