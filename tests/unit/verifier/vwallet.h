/*
 * The test wallet and relying party for the verifier tests: credentials in both
 * formats issued by the fixture's ministry, a wallet that verifies the request object
 * and answers it, and the relying party's API calls. Included by the test programs.
 */
#ifndef VWALLET_H
#define VWALLET_H

#include "vfixture.h"

static vfix F;

/* ---- credentials ---- */

typedef struct cred_opts {
    int64_t status_idx;   /* < 0: no status */
    bool untrusted;       /* issued by the other root */
    bool no_family_name;
} cred_opts;

static void issue_sdjwt(const cred_opts *o, mobid_buf *out)
{
    json_t *claims = json_pack("{s:s, s:s, s:s, s:b, s:s}", "given_name", "Minji", "family_name",
                               "Kim", "birth_date", "1990-04-01", "age_over_19", 1,
                               "resident_registration_number", "900401-2345678");
    const char *sd[] = { "*", NULL };
    mobid_sdjwt_issue_params p = { 0 };
    const vf_pki *ds = o->untrusted ? &F.other_ds : &F.ds;
    if (o->no_family_name)
        json_object_del(claims, "family_name");
    p.claims = claims;
    p.sd_paths = sd;
    p.vct = VF_VCT;
    p.iss = VF_ISS;
    p.exp = mobid_now() + 86400 * 30;
    p.holder_key = F.holder;
    p.status_uri = o->status_idx >= 0 ? VF_STATUS_URI : NULL;
    p.status_idx = o->status_idx;
    p.issuer_key = ds->key;
    p.x5c = &ds->cert;
    p.x5c_len = 1;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_sdjwt_issue(&p, out), MOBID_OK);
    json_decref(claims);
}

__attribute__((unused)) static void put_text(mobid_buf *vals, size_t *offs, size_t k, const char *s)
{
    mobid_cbor_enc e;
    offs[k] = vals->len;
    mobid_cbor_enc_init(&e, vals);
    mobid_cbor_put_text(&e, mobid_view_str(s));
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
}

__attribute__((unused)) static void issue_mdoc(const cred_opts *o, mobid_buf *out)
{
    const char *ids[] = { "given_name", "family_name", "resident_registration_number" };
    const char *vals_s[] = { "Minji", "Kim", "900401-2345678" };
    mobid_mdoc_element el[4];
    size_t offs[4], n = 0;
    mobid_buf vals;
    mobid_cbor_enc e;
    unsigned age[] = { 19 };
    mobid_mdoc_issue_opts io = { 0 };
    const vf_pki *ds = o->untrusted ? &F.other_ds : &F.ds;

    mobid_buf_init(&vals, 0);
    for (size_t i = 0; i < 3; i++) {
        if (o->no_family_name && i == 1)
            continue;
        put_text(&vals, offs, n, vals_s[i]);
        el[n].ns = KR_RESIDENT_NS;
        el[n++].id = ids[i];
    }
    offs[n] = vals.len;
    mobid_cbor_enc_init(&e, &vals);
    mobid_cbor_put_tag(&e, 1004);
    mobid_cbor_put_text(&e, mobid_view_str("1990-04-01"));
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    el[n].ns = KR_RESIDENT_NS;
    el[n++].id = "birth_date";
    for (size_t i = 0; i < n; i++)
        el[i].value = mobid_view_make(vals.ptr + offs[i], (i + 1 < n ? offs[i + 1] : vals.len) - offs[i]);
    io.doctype = KR_RESIDENT_DOCTYPE;
    io.elements = el;
    io.n_elements = n;
    io.issuer_key = ds->key;
    io.chain = &ds->cert;
    io.n_chain = 1;
    io.device_key = F.holder;
    io.status_uri = o->status_idx >= 0 ? VF_STATUS_URI : NULL;
    io.status_idx = (uint64_t)o->status_idx;
    io.age_over = age;
    io.n_age_over = 1;
    io.age_ns = KR_RESIDENT_NS;
    io.birth_ns = KR_RESIDENT_NS;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_mdoc_issue(&io, out), MOBID_OK);
    mobid_buf_free(&vals);
}

/* ---- the relying party ---- */

static json_t *rp_call(const char *method, const char *path, const json_t *body, long *status)
{
    char url[512];
    const char *hdr[] = { "Authorization: Bearer " VF_API_KEY, NULL };
    mobid_http_result r;
    json_t *j = NULL;
    mobid_buf text;
    snprintf(url, sizeof url, "%s%s", mobid_http_server_url(F.srv), path);
    mobid_buf_init(&text, 0);
    if (body)
        assert_int_equal(mobid_json_dump(body, false, &text), MOBID_OK);
    assert_int_equal(mobid_http_client_request(F.http, method, url, hdr,
                                               body ? "application/json" : NULL,
                                               mobid_buf_view(&text), &r),
                     MOBID_OK);
    *status = r.status;
    assert_int_equal(mobid_http_result_json(&r, &j), MOBID_OK);
    mobid_http_result_free(&r);
    mobid_buf_free(&text);
    return j;
}

static json_t *create(const char *fmt_json)
{
    long st;
    json_t *body = json_loads(fmt_json, 0, NULL);
    assert_non_null(body);
    json_t *j = rp_call("POST", "/api/v1/verifications", body, &st);
    json_decref(body);
    if (st != 201)
        print_message("create: %s\n", json_dumps(j, 0));
    assert_int_equal(st, 201);
    return j;
}

static json_t *status_of(const json_t *created, int wait)
{
    char path[256];
    long st;
    snprintf(path, sizeof path, "/api/v1/verifications/%s?wait=%d",
             json_string_value(json_object_get(created, "id")), wait);
    json_t *j = rp_call("GET", path, NULL, &st);
    assert_int_equal(st, 200);
    return j;
}

#define SDJWT_QUERY                                                                              \
    "{\"dcql_query\":{\"credentials\":[{\"id\":\"card\",\"format\":\"dc+sd-jwt\",\"meta\":"    \
    "{\"vct_values\":[\"" VF_VCT "\"]},\"claims\":[{\"path\":[\"given_name\"]},{\"path\":"      \
    "[\"family_name\"]},{\"path\":[\"age_over_19\"]}]}]}}"
#define MDOC_QUERY                                                                               \
    "{\"dcql_query\":{\"credentials\":[{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"meta\":"      \
    "{\"doctype_value\":\"" KR_RESIDENT_DOCTYPE "\"},\"claims\":[{\"path\":[\""         \
    KR_RESIDENT_NS "\",\"family_name\"]},{\"path\":[\"" KR_RESIDENT_NS            \
    "\",\"age_over_19\"]}]}]}}"

/* ---- the wallet ---- */

typedef struct wallet {
    mobid_oid4vp_request req;
    char *request_uri;
} wallet;

static void wallet_fetch(wallet *w, const json_t *created)
{
    mobid_http_result r;
    memset(w, 0, sizeof *w);
    w->request_uri = strdup(json_string_value(json_object_get(created, "request_uri")));
    assert_int_equal(mobid_http_client_get(F.whttp, w->request_uri, NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/oauth-authz-req+jwt");
    assert_int_equal(mobid_oid4vp_request_verify(mobid_buf_view(&r.body), F.rp_trust, F.reg_trust,
                                                 0, &w->req),
                     MOBID_OK);
    assert_true(w->req.has_registration);
    assert_string_equal(w->req.registration.name, "Example Bank");
    mobid_http_result_free(&r);
}

static void wallet_clear(wallet *w)
{
    mobid_oid4vp_request_clear(&w->req);
    free(w->request_uri);
}

static void present_sdjwt(const wallet *w, const cred_opts *o, const char *nonce, mobid_buf *out)
{
    mobid_buf cred;
    const char *reveal[] = { "given_name", "family_name", "age_over_19", "birth_date", NULL };
    const char *reveal_no_family[] = { "given_name", "age_over_19", "birth_date", NULL };
    mobid_sdjwt_present_params pp = { 0 };
    issue_sdjwt(o, &cred);
    pp.reveal = o->no_family_name ? reveal_no_family : reveal;
    pp.holder_key = F.holder;
    pp.aud = w->req.client_id;
    pp.nonce = nonce ? nonce : w->req.nonce;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_sdjwt_present(mobid_buf_view(&cred), &pp, out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
    mobid_buf_free(&cred);
}

__attribute__((unused)) static void present_mdoc(const wallet *w, const cred_opts *o, mobid_buf *out)
{
    mobid_buf cred, tr, resp, thumb;
    mobid_mdoc_ref rv[] = { { KR_RESIDENT_NS, "family_name" },
                            { KR_RESIDENT_NS, "age_over_19" } };
    mobid_mdoc_present_opts po = { 0 };
    json_t *jwk = NULL;
    uint8_t t[32];
    issue_mdoc(o, &cred);
    mobid_buf_init(&tr, 0);
    mobid_buf_init(&resp, 0);
    mobid_buf_init(&thumb, 0);
    if (w->req.enc_key) {
        assert_int_equal(mobid_jwk_from_key(w->req.enc_key, false, &jwk), MOBID_OK);
        assert_int_equal(mobid_jwk_thumbprint(jwk, t), MOBID_OK);
        mobid_buf_append(&thumb, t, 32);
    }
    assert_int_equal(mobid_mdoc_transcript_oid4vp(w->req.client_id, w->req.nonce,
                                                  mobid_buf_view(&thumb), w->req.response_uri, &tr),
                     MOBID_OK);
    po.issuer_signed = mobid_buf_view(&cred);
    po.device_key = F.holder;
    po.transcript = mobid_buf_view(&tr);
    po.reveal = rv;
    po.n_reveal = o->no_family_name ? 1 : 2;
    if (o->no_family_name)
        po.reveal = &rv[1];
    assert_int_equal(mobid_mdoc_present(&po, &resp), MOBID_OK);
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_b64url_encode(mobid_buf_view(&resp), out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
    json_decref(jwk);
    mobid_buf_free(&cred);
    mobid_buf_free(&tr);
    mobid_buf_free(&resp);
    mobid_buf_free(&thumb);
}

/* POST params (encrypted when the request says so) to the response_uri; returns the
 * HTTP status and the mobid_error code (or "" on success) in code. */
static long wallet_post(const wallet *w, const json_t *params, bool tamper, char code[64])
{
    mobid_buf body, jwe;
    mobid_http_result r;
    json_t *j = NULL;
    mobid_buf_init(&body, 0);
    mobid_buf_init(&jwe, 0);
    if (w->req.encrypted) {
        assert_int_equal(mobid_oid4vp_response_encrypt(params, w->req.enc_key, &jwe), MOBID_OK);
        assert_int_equal(mobid_buf_terminate(&jwe), MOBID_OK);
        if (tamper)
            jwe.ptr[jwe.len - 30] = jwe.ptr[jwe.len - 30] == 'A' ? 'B' : 'A';
        mobid_http_form_append(&body, "response", (const char *)jwe.ptr);
    } else {
        const char *k;
        json_t *v;
        json_object_foreach ((json_t *)params, k, v) {
            char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT);
            mobid_http_form_append(&body, k, s);
            free(s);
        }
    }
    assert_int_equal(mobid_http_client_request(F.whttp, "POST", w->req.response_uri, NULL,
                                               "application/x-www-form-urlencoded",
                                               mobid_buf_view(&body), &r),
                     MOBID_OK);
    assert_int_equal(mobid_http_result_json(&r, &j), MOBID_OK);
    snprintf(code, 64, "%s", json_string_value(json_object_get(j, "mobid_error")) ?: "");
    long st = r.status;
    json_decref(j);
    mobid_http_result_free(&r);
    mobid_buf_free(&body);
    mobid_buf_free(&jwe);
    return st;
}

static json_t *vp_params(const wallet *w, const char *id, const char *pres)
{
    return json_pack("{s:{s:[s]}, s:s}", "vp_token", id, pres, "state", w->req.state);
}


#endif
