/* SD-JWT VC issuer metadata: the well-known URL (path after the host), the document
 * checks (same issuer, a JWK Set), the transport's size limit, the TTL of the cache,
 * kid selection, jwks_uri, and a presentation without x5c verified because its iss is
 * an issuer the trust set names, refused when the metadata names another issuer. */
#include "sdjwt_test.h"

#include <stdlib.h>

typedef struct fake_web {
    const char *url[3];
    const char *body[3];
    int calls;
} fake_web;

static mobid_err fake_fetch(void *ctx, const char *url, size_t max, mobid_buf *body)
{
    fake_web *w = ctx;
    w->calls++;
    for (int i = 0; i < 3; i++)
        if (w->url[i] && !strcmp(w->url[i], url)) {
            if (strlen(w->body[i]) > max)
                return MOBID_ERR_TOO_BIG;
            return mobid_buf_append_str(body, w->body[i]);
        }
    return MOBID_ERR_FETCH_FAILED;
}

static char *metadata(const char *issuer, const mobid_key *k, const char *kid)
{
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(k, false, &jwk), MOBID_OK);
    json_object_set_new(jwk, "kid", json_string(kid));
    json_t *doc = json_pack("{s:s,s:{s:[o]}}", "issuer", issuer, "jwks", "keys", jwk);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

static void test_url(void **state)
{
    (void)state;
    struct { const char *in, *out; } cases[] = {
        { "https://issuer.example", "https://issuer.example/.well-known/jwt-vc-issuer" },
        { "https://issuer.example/", "https://issuer.example/.well-known/jwt-vc-issuer" },
        { "https://ex.org:8443/tenant/1", "https://ex.org:8443/.well-known/jwt-vc-issuer/tenant/1" },
        { "http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/jwt-vc-issuer" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_buf b;
        mobid_buf_init(&b, 0);
        assert_int_equal(mobid_sdjwt_issuer_metadata_url(cases[i].in, &b), MOBID_OK);
        assert_string_equal((const char *)b.ptr, cases[i].out);
        mobid_buf_free(&b);
    }
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_sdjwt_issuer_metadata_url("ftp://x", &b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_sdjwt_issuer_metadata_url("https://x?a=b", &b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_sdjwt_issuer_metadata_url("https://", &b), MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&b);
}

static void test_cache_ttl_size_kid(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    char *doc = metadata("https://issuer.example", k.issuer, "ds-1");
    fake_web w = { .url = { "https://issuer.example/.well-known/jwt-vc-issuer" },
                   .body = { doc } };
    mobid_sdjwt_issuer_cache *c = NULL;
    mobid_sdjwt_issuer_cache_opts o = { .fetch = fake_fetch, .ctx = &w, .ttl = 60 };
    mobid_key *key = NULL;
    char detail[200];
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&o, &c), MOBID_OK);
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", "ds-1", TK_NOW, &key,
                                            detail, sizeof detail), MOBID_OK);
    assert_true(mobid_key_public_eq(key, k.issuer));
    mobid_key_free(key);
    /* From the cache within the TTL, with or without the kid (one key). */
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", NULL, TK_NOW + 59, &key,
                                            NULL, 0), MOBID_OK);
    mobid_key_free(key);
    assert_int_equal(w.calls, 1);
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", "ds-2", TK_NOW + 1, &key,
                                            detail, sizeof detail),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_non_null(strstr(detail, "ds-2"));
    /* Past the TTL: fetched again. */
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", "ds-1", TK_NOW + 61, &key,
                                            NULL, 0), MOBID_OK);
    mobid_key_free(key);
    assert_int_equal(w.calls, 2);
    unsigned long fetches = 0, hits = 0;
    mobid_sdjwt_issuer_cache_stats(c, &fetches, &hits);
    assert_int_equal(fetches, 2);
    assert_int_equal(hits, 2);
    mobid_sdjwt_issuer_cache_free(c);
    /* A document over the size limit. */
    o.max_bytes = 64;
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&o, &c), MOBID_OK);
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", "ds-1", TK_NOW, &key,
                                            NULL, 0), MOBID_ERR_TOO_BIG);
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://unknown.example", "ds-1", TK_NOW, &key,
                                            NULL, 0), MOBID_ERR_FETCH_FAILED);
    assert_null(key);
    mobid_sdjwt_issuer_cache_free(c);
    free(doc);
    tk_free(&k);
}

static void test_document_checks(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    char *other = metadata("https://evil.example", k.issuer, "ds-1");
    json_t *set = NULL;
    assert_int_equal(mobid_sdjwt_issuer_metadata_check(mobid_view_str(other),
                                                       "https://issuer.example", &set),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_int_equal(mobid_sdjwt_issuer_metadata_check(mobid_view_str("[1]"),
                                                       "https://issuer.example", &set),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_int_equal(mobid_sdjwt_issuer_metadata_check(
                         mobid_view_str("{\"issuer\":\"https://issuer.example\",\"jwks\":{\"keys\":[]}}"),
                         "https://issuer.example", &set),
                     MOBID_ERR_ISSUER_METADATA_INVALID);
    assert_null(set);
    /* jwks_uri instead of jwks. */
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(k.issuer, false, &jwk), MOBID_OK);
    json_t *jset = json_pack("{s:[o]}", "keys", jwk);
    char *keys = json_dumps(jset, JSON_COMPACT);
    fake_web w = { .url = { "https://issuer.example/.well-known/jwt-vc-issuer",
                            "https://issuer.example/jwks.json" },
                   .body = { "{\"issuer\":\"https://issuer.example\",\"jwks_uri\":"
                             "\"https://issuer.example/jwks.json\"}", keys } };
    mobid_sdjwt_issuer_cache *c = NULL;
    mobid_sdjwt_issuer_cache_opts o = { .fetch = fake_fetch, .ctx = &w };
    mobid_key *key = NULL;
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&o, &c), MOBID_OK);
    assert_int_equal(mobid_sdjwt_issuer_key(c, "https://issuer.example", NULL, TK_NOW, &key, NULL,
                                            0), MOBID_OK);
    assert_true(mobid_key_public_eq(key, k.issuer));
    assert_int_equal(w.calls, 2);
    mobid_key_free(key);
    mobid_sdjwt_issuer_cache_free(c);
    json_decref(jset);
    free(keys);
    free(other);
    tk_free(&k);
}

/* A presentation without x5c, its header kid "ds-1". */
static void issue_with_kid(tk *k, mobid_buf *pres)
{
    json_t *claims = tk_json("{\"given_name\":\"Ana\"}");
    json_t *hdr = tk_json("{\"kid\":\"ds-1\"}");
    const char *sd[] = { "given_name", NULL };
    mobid_sdjwt_issue_params p = { .claims = claims, .sd_paths = sd, .vct = "urn:example:pid",
                                   .iss = "https://issuer.example", .iat = TK_NOW - 10,
                                   .exp = TK_NOW + 86400, .issuer_key = k->issuer,
                                   .extra_header = hdr };
    mobid_buf_init(pres, 0);
    assert_int_equal(mobid_sdjwt_issue(&p, pres), MOBID_OK);
    json_decref(claims);
    json_decref(hdr);
}

static void test_verify_by_identifier(void **state)
{
    (void)state;
    tk k;
    tk_init(&k);
    mobid_buf pres;
    issue_with_kid(&k, &pres);
    char *doc = metadata("https://issuer.example", k.issuer, "ds-1");
    char *wrong = metadata("https://issuer.example", k.other, "ds-1");
    fake_web w = { .url = { "https://issuer.example/.well-known/jwt-vc-issuer" }, .body = { doc } };
    mobid_sdjwt_issuer_cache *c = NULL;
    mobid_sdjwt_issuer_cache_opts co = { .fetch = fake_fetch, .ctx = &w };
    mobid_trust *t = NULL;
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&co, &c), MOBID_OK);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    mobid_sdjwt_verify_opts o = { .trust = t, .issuers = c, .now = TK_NOW, .skew = -1 };
    mobid_sdjwt_result res;
    /* Not trusted by identifier yet: no x5c, so no key. */
    assert_int_equal(mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_sdjwt_result_clear(&res);
    assert_int_equal(mobid_trust_add_issuer(t, "https://issuer.example"), MOBID_OK);
    assert_int_equal(mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(res.claims, "given_name")), "Ana");
    mobid_sdjwt_result_clear(&res);
    /* Metadata publishing another key under that kid: the signature does not verify. */
    mobid_sdjwt_issuer_cache_free(c);
    w.body[0] = wrong;
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&co, &c), MOBID_OK);
    o.issuers = c;
    assert_int_equal(mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res),
                     MOBID_ERR_ISSUER_SIGNATURE_INVALID);
    mobid_sdjwt_result_clear(&res);
    /* Unreachable metadata fails closed. */
    w.url[0] = "https://elsewhere.example/";
    mobid_sdjwt_issuer_cache_free(c);
    assert_int_equal(mobid_sdjwt_issuer_cache_new(&co, &c), MOBID_OK);
    o.issuers = c;
    assert_int_equal(mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res), MOBID_ERR_FETCH_FAILED);
    mobid_sdjwt_result_clear(&res);
    mobid_sdjwt_issuer_cache_free(c);
    mobid_trust_free(t);
    mobid_buf_free(&pres);
    free(doc);
    free(wrong);
    tk_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_cache_ttl_size_kid),
        cmocka_unit_test(test_document_checks),
        cmocka_unit_test(test_verify_by_identifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
